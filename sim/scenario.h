/*
 * xmm-sim - a scenario compiled from YAML: the world to build and the steps
 * to run, every value already checked against the op table (ops.h).
 * Variables stay symbolic (an index into `vars`) and are resolved when the
 * step runs, from what earlier steps bound.
 */
#ifndef XMM_SIM_SCENARIO_H
#define XMM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "xmm/xmm.h"

/* Bounds on a scenario. */
#define SIM_MAX_STEPS 100000u
#define SIM_MAX_VARS 4096u
#define SIM_MAX_VAR_NAME 64u
#define SIM_MAX_MMIO 64u
#define SIM_MAX_PARTITIONS 16u
#define SIM_MAX_REPLIES 16u /* XMM_SP_REPLIES_MAX */
#define SIM_MAX_DEVICES 16u
#define SIM_MAX_RAM_PAGES (UINT64_C(1) << 22) /* 16 GiB of model host */
#define SIM_MAX_TICKS UINT64_C(100000000)    /* one advance step */
#define SIM_MAX_DESTROY_RETRIES 10000000u

/* When invariants are checked (world.checks, or --check). */
enum sim_checks {
    SIM_CHECKS_EVERY_STEP = 0, /* incremental after each step, full at the end */
    SIM_CHECKS_END,            /* full sweep at the end only */
    SIM_CHECKS_OFF,            /* never */
    SIM_CHECKS_FULL,           /* full sweep after each step (--check full only) */
};

struct sim_mmio {
    uint64_t base, pages;
    char *name;
    uint32_t line, col;
};

enum sim_relinquish {
    SIM_RELINQ_ON_VMD = 0, /* on_vm_destroyed */
    SIM_RELINQ_AFTER,      /* {after: TICKS} */
    SIM_RELINQ_NEVER,
    SIM_RELINQ_MANUAL,
};

/* A scripted secure partition of the SPMC stub (world.spmc.partitions). */
struct sim_partition {
    uint32_t id;
    bool subscribe;        /* vm_destroyed: subscribe | ignore */
    int *replies;          /* FFA_RET_* codes in order; the last repeats */
    size_t reply_count;
    bool manual_retrieve;  /* retrieve: manual */
    enum sim_relinquish relinquish;
    uint64_t relinquish_after;
    bool has_reclaim_error;
    int reclaim_error;
};

struct sim_device {
    char *id;
    bool ats;
};

struct sim_world_cfg {
    uint64_t ram_pages, ram_base;
    struct sim_mmio *mmio;
    size_t mmio_count;
    enum xmm_alloc_mode alloc_mode;
    struct xmm_policy policy;
    struct xmm_limits limits;
    enum sim_checks checks;
    bool has_spmc;
    struct sim_partition *partitions;
    size_t partition_count;
    bool has_iommu;
    bool has_flush_latency;
    uint64_t flush_latency;
    struct sim_device *devices;
    size_t device_count;
    bool has_mpu;
    uint32_t mpu_regions;
    bool has_mpu_xen_regions;
    uint32_t mpu_xen_regions;
    enum xmm_mpu_xdom_policy mpu_cross_domain;
};

/*
 * explore: (xmm-sim explore, docs/explore.md): the op alphabet, every
 * combination of the argument values an entry lists expanded into one
 * step (no `as`, no `expect`), and the search bounds the file suggests.
 */
#define SIM_EXPLORE_MAX_OPS 4096u
#define SIM_EXPLORE_MAX_DEPTH 64u

struct sim_explore {
    uint32_t line, col;          /* of the explore mapping */
    uint32_t depth;              /* 0: not given (the command line must say) */
    uint64_t liveness_ticks;     /* teardown check: ticks the clock runs on; 0 = off */
    struct sim_step *ops;        /* the alphabet, in file order */
    size_t op_count;
    xmm_domid_t *symmetric;      /* interchangeable domain ids (symmetry reduction) */
    size_t symmetric_count;
};

/* One step: the op, its values (indexed like the op's rows), as/expect/note. */
struct sim_step {
    const struct sim_op *op;
    uint32_t line, col;          /* of the step mapping */
    struct sim_val *vals;        /* op->arg_count values, indexed like its rows */
    int as_var;                  /* variable bound by `as`, or -1 */
    bool has_expect;
    bool expect_any;
    enum xmm_rc_family expect_fam;
    int expect_rc;
    char *note;
};

struct sim_scenario {
    char *file;                  /* as given on the command line */
    char *name;
    char *description;
    uint64_t seed;
    struct sim_world_cfg world;
    struct sim_step *steps;
    size_t step_count;
    char **vars;                 /* variable names, by index */
    size_t var_count;
    bool expect_violation;
    enum xmm_invariant violation;
    bool streamed;               /* from sim_open_file: steps are read when run */
    bool fast;                   /* ... by the line reader (yt_stream_fast) */
    struct sim_explore *explore; /* the explore: key, or NULL */
};

/* A validation error: FILE:LINE:COL: msg (FILE: msg when line is 0). */
struct sim_error {
    uint32_t line, col;
    char msg[512];
};

/*
 * Read and validate a scenario file.  Return: 0 and *out (free with
 * sim_scenario_free), or -1 with *err (the first problem found; nothing
 * of the file runs then).
 */
int sim_load_file(const char *path, struct sim_scenario **out, struct sim_error *err);
/* The same, from a buffer; `name` is used as the file name. */
int sim_load_buffer(const char *name, const char *buf, size_t len, struct sim_scenario **out,
                    struct sim_error *err);
void sim_scenario_free(struct sim_scenario *sc);
/* Free what one step owns (zeroes it, as_var -1). */
void sim_step_clear(struct sim_step *st);

/*
 * Streaming: validate a scenario file in one pass of libyaml events (no
 * bound on its size or its number of steps; memory holds one step at a
 * time) and return the scenario without its steps (sc->steps is NULL,
 * sc->step_count and sc->vars are set, sc->streamed is true).  The first
 * problem is reported as by sim_load_file, before anything runs.  sim_run
 * reads the steps again from the file, one at a time.
 */
int sim_open_file(const char *path, struct sim_scenario **out, struct sim_error *err);

/*
 * Read the steps of a scenario opened by sim_open_file in order and hand
 * each to fn (number is 1-based) until fn returns false.  Return 0, or -1
 * with *err when the file no longer reads as it did when it was validated.
 */
typedef bool (*sim_step_fn)(void *ctx, const struct sim_step *st, size_t number);
int sim_stream_steps(const struct sim_scenario *sc, sim_step_fn fn, void *ctx,
                     struct sim_error *err);

/* "every_step" ... */
const char *sim_checks_name(enum sim_checks c);
/* Parse a --check value; -1 if unknown. */
int sim_checks_parse(const char *s);

#endif /* XMM_SIM_SCENARIO_H */
