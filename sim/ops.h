/*
 * xmm-sim - the op table: one description of every scenario op.
 *
 * Each op of scenario-format.md is one `struct sim_op`: its name, the
 * library module that implements it, whether that module exists yet, the
 * return-code family, what `as` binds, and its arguments as `struct
 * sim_arg` rows (key, type, range, required/default).  The loader validates
 * against these rows, the runner resolves arguments through them and calls
 * `exec`, `xmm-sim ops` prints them as the reference in
 * docs/scenario-format.md, and a trace generator or shrinker can draw and
 * narrow values from the same types and ranges.
 *
 * Nested arguments (safe_range: {gfn, pages}, frame: {dom, gfn}) are rows
 * of their own whose `parent` is the index of the row they belong to, so a
 * step's values are always one flat array indexed like the op's rows.
 */
#ifndef XMM_SIM_OPS_H
#define XMM_SIM_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xmm/xmm.h"

/* Maximum rows (arguments, nested included) of one op. */
#define SIM_MAX_ARGS 32

/* Argument types.  The integer ones accept `$NAME` variables. */
enum sim_type {
    SIM_T_NONE = 0,
    SIM_T_DOMID,    /* 0 .. 0x7FEF */
    SIM_T_GFN,      /* < 2^36 */
    SIM_T_MFN,      /* < 2^36 */
    SIM_T_U32,      /* [min, max] within uint32 */
    SIM_T_U64,      /* [min, max] */
    SIM_T_PAGES,    /* count or size string (4KiB, 2MiB, 1GiB) in [min, max] */
    SIM_T_HANDLE,   /* a handle returned by an earlier step */
    SIM_T_SP,       /* an FF-A partition id declared in world.spmc */
    SIM_T_BOOL,     /* true / false */
    SIM_T_STRING,   /* any scalar */
    SIM_T_DEVICE,   /* a device id declared in world.iommu.devices */
    SIM_T_ENUM,     /* one of `values` */
    SIM_T_OWNER,    /* DOMID or one of xen | park | free */
    SIM_T_P2M_TYPE, /* a P2M type name (xmm_p2m_type_parse), or absent */
    SIM_T_NESTED,   /* one of `values`, or (int_alt) an integer, or a mapping of child rows */
    SIM_T_PATH,     /* a relative file path without `..`, under --out */
};

/* Row flags. */
#define SIM_ARG_REQUIRED 0x1u /* must be given (a child: when its parent is a mapping) */

struct sim_arg {
    const char *key;
    enum sim_type type;
    uint32_t flags;
    int parent;          /* row index of the SIM_T_NESTED parent, or -1 */
    uint64_t min, max;   /* inclusive range of integer types */
    bool has_def;
    uint64_t def;        /* default: integer/bool value, or index into values */
    const char *const *values; /* ENUM / NESTED / OWNER names, NULL-terminated */
    enum sim_type int_alt;     /* NESTED: type of the integer form, or SIM_T_NONE */
    const char *doc;
};

/* What `as: NAME` binds. */
enum sim_bind { SIM_BIND_NONE = 0, SIM_BIND_GFN, SIM_BIND_MFN, SIM_BIND_HANDLE };

/* A value in a compiled step, exactly as written (variables unresolved). */
enum sim_vkind {
    SIM_V_ABSENT = 0,
    SIM_V_INT,  /* u: the integer (BOOL: 0/1; P2M_TYPE: enum xmm_p2m_type) */
    SIM_V_VAR,  /* u: variable index */
    SIM_V_ENUM, /* u: index into the row's values */
    SIM_V_STR,  /* s */
    SIM_V_MAP,  /* NESTED written as a mapping: see the child rows */
};

struct sim_val {
    uint8_t kind; /* enum sim_vkind */
    uint32_t line, col;
    uint64_t u;
    char *s;
};

/* A value resolved for execution: defaults applied, variables substituted. */
struct sim_res {
    bool present;
    uint8_t kind; /* enum sim_vkind (VAR resolved to INT) */
    uint64_t u;
    const char *s;
};

struct sim_step;
struct sim_exec;

/*
 * One argument of a step as the op's exec sees it: the written value, or
 * the argument's default when it is absent (kind INT or ENUM).  A VAR value
 * is copied as it is, for the caller to substitute.  Returns false (out
 * zeroed) when the argument's parent map was not given: nothing to pass.
 */
bool sim_res_of(const struct sim_arg *a, const struct sim_val *vals, size_t i,
                struct sim_res *out);

/* What an op's exec reports besides its return code. */
struct sim_exec_out {
    bool bound;          /* `as` gets `bind` */
    uint64_t bind;
    bool check_failed;   /* check op: an assertion did not hold */
    char msg[320];       /* check failure, or a note for -v ("3 kill calls") */
    bool has_frame;      /* check / show: the host frame the step is about */
    uint64_t frame;
    char *show;          /* show: what it prints, lines joined by '\n' (the runner frees it) */
};

/*
 * Execute one op against the world.  `a` is indexed like the op's rows.
 * Return: the op's return code in its family (0 = success).
 */
typedef int (*sim_exec_fn)(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);

struct sim_op {
    const char *name;
    const char *module;  /* library module that runs it */
    enum xmm_rc_family family;
    enum sim_bind binds;
    bool scalar;         /* written `op: VALUE` with one row (advance) */
    bool no_expect;      /* `expect` not allowed (check) */
    const struct sim_arg *args;
    size_t arg_count;
    sim_exec_fn exec;
    const char *summary;
    const char *example; /* one YAML step for the docs */
};

/* Subjects of `check:` and the assertion rows each admits. */
struct sim_check_subject {
    const char *key;
    int row;               /* the subject's row in the check op */
    const int *asserts;    /* assertion rows allowed with it */
    size_t assert_count;
    bool value_asserts;    /* the subject's own value is the assertion (free_pages: N) */
    const char *module;
};

/* A policy knob: its values in enum order (value 0 is the safe default). */
struct sim_policy_knob {
    const char *name;
    const char *const *values;
    const char *seed;
    const char *doc;
    void (*set)(struct xmm_policy *p, unsigned v);
    unsigned (*get)(const struct xmm_policy *p);
};

extern const struct sim_op sim_ops[];
extern const size_t sim_op_count;
extern const struct sim_check_subject sim_check_subjects[];
extern const size_t sim_check_subject_count;
extern const struct sim_policy_knob sim_policy_knobs[];
extern const size_t sim_policy_knob_count;

/* Op by name, or NULL. */
const struct sim_op *sim_op_find(const char *name);
/* The check op (its rows are the check keys). */
const struct sim_op *sim_op_check(void);
const struct sim_op *sim_op_show(void);
/* Row index of `key` among an op's rows with the given parent, or -1. */
int sim_op_arg(const struct sim_op *op, const char *key, int parent);
/* Policy knob by name, or NULL; index of a value name, or -1. */
const struct sim_policy_knob *sim_policy_find(const char *name);
int sim_enum_index(const char *const *values, const char *name);
/* "a, b, c" of a NULL-terminated list, into buf. */
void sim_enum_join(const char *const *values, char *buf, size_t len);

/* Integer-valued types (which accept variables). */
bool sim_type_is_int(enum sim_type t);
/* Inclusive range of a row's integer form (types fix it for domid/gfn/mfn). */
void sim_arg_range(const struct sim_arg *a, enum sim_type t, uint64_t *min, uint64_t *max);
/* Short type name for messages and docs ("gfn", "pages", "bool" ...). */
const char *sim_type_name(enum sim_type t);
/* Success code of a family: OK, GNTST_okay, FFA_RET_OK (all 0). */
const char *sim_family_codes(enum xmm_rc_family fam);

/* Print the op reference (markdown, as in docs/scenario-format.md). */
void sim_ops_print_markdown(FILE *f);

#endif /* XMM_SIM_OPS_H */
