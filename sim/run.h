/*
 * xmm-sim - the runner: build the world a scenario describes, execute its
 * steps in order, compare return codes and checks, run the invariant
 * checker, and describe any failure so that a reader can act on it without
 * a debugger (step, YAML line, op, expected vs actual, and for a violation
 * the subject and its event history).
 */
#ifndef XMM_SIM_RUN_H
#define XMM_SIM_RUN_H

#include <glib.h>

#include "scenario.h"

struct sim_step_event;

/*
 * Hooks for tools that drive a run from outside (the allocation-failure
 * sweep, sweep.c).  Every member may be NULL / zero.
 */
struct sim_run_hooks {
    void *ctx;
    struct xmm_allocator allocator; /* the world's allocator (alloc NULL: libc) */
    /* Step `number` is about to run (its arguments resolved). */
    void (*before_step)(void *ctx, struct xmm_world *w, size_t number);
    /*
     * Step ran; return true to stop judging the scenario's own expectations
     * (return codes, checks, violations) from this step on: the run goes on
     * to the last step or the first step whose variables have no value.
     */
    bool (*after_step)(void *ctx, const struct sim_step_event *ev);
    /* The world has been freed. */
    void (*world_freed)(void *ctx);
};

struct sim_run_opts {
    int check_override; /* -1, or enum sim_checks from --check */
    bool has_seed;      /* --seed given: overrides the scenario's seed */
    uint64_t seed;
    const char *out_dir; /* --out; NULL = current directory */
    bool keep_world;     /* hand the world to the result (explain, plot) instead of freeing it */
    const struct sim_run_hooks *hooks; /* NULL: none */
};

enum sim_fail_kind {
    SIM_FAIL_NONE = 0,
    SIM_FAIL_SETUP,           /* the world could not be built */
    SIM_FAIL_RESOLVE,         /* a variable had no value or did not fit the field */
    SIM_FAIL_RC,              /* unexpected return code */
    SIM_FAIL_CHECK,           /* a check step failed */
    SIM_FAIL_VIOLATION,       /* an invariant was violated */
    SIM_FAIL_WRONG_VIOLATION, /* a violation happened, not the expected one */
    SIM_FAIL_NO_VIOLATION,    /* the expected violation never happened */
};

struct sim_result {
    bool pass;
    size_t steps_run;
    size_t steps_not_run;      /* steps after the one the run stopped on */
    bool violated;             /* the run stopped on a violation */
    enum xmm_invariant inv;    /* the expected one if it matched, else the first */
    enum sim_fail_kind fail;
    size_t fail_step;          /* 1-based; 0 = world setup or the end-of-run sweep */
    uint32_t fail_line;
    char *where;               /* "step 3, line 12: populate dom=1 ..." */
    char *what;                /* one line: what differed */
    const char *expected_rc;   /* SIM_FAIL_RC: names (static strings) */
    const char *actual_rc;
    char *reason;              /* SIM_FAIL_RC: the library's reason for the failure, or NULL */
    GPtrArray *details;        /* more lines: violations, histories, notes */
    uint64_t seed;             /* the seed the world ran with */
    char *summary;             /* one line of figures at the end of the run (MPU), or NULL */
    struct xmm_world *world;   /* keep_world: the world as the run left it (freed by clear) */
    struct xmm_violation first;/* violated: the first violation kept in the report */
    size_t viol_step;          /* violated: the step after which it was found (0: end sweep) */
};

/* One executed step, for the reporter. */
struct sim_step_event {
    struct xmm_world *w;       /* the world after the step (for tools and tests) */
    size_t number;             /* 1-based */
    const struct sim_step *st;
    const struct sim_res *args;
    int rc;
    bool rc_ok;
    bool check_failed;         /* a check step whose assertion did not hold */
    const char *info;          /* exec's note ("3 kill calls"), may be "" */
    const char *reason;        /* rc != 0: why, in the library's words (may be "") */
    const char *show;          /* a show step: what it prints (lines joined by '\n'), or NULL */
};

typedef void (*sim_step_cb)(void *ctx, const struct sim_scenario *sc,
                            const struct sim_step_event *ev);

/*
 * Run one validated scenario.  `cb` (may be NULL) sees every executed step.
 * *res is filled (clear with sim_result_clear).  Return: 0 passed, 1 failed.
 */
int sim_run(const struct sim_scenario *sc, const struct sim_run_opts *opts, sim_step_cb cb,
            void *cb_ctx, struct sim_result *res);
void sim_result_clear(struct sim_result *res);

/* Arguments of a step as "dom=1 gfn=0x100 pages=16" (json: a JSON object body). */
void sim_format_args(const struct sim_op *op, const struct sim_val *vals,
                     const struct sim_res *args, bool json, GString *out);

#endif /* XMM_SIM_RUN_H */
