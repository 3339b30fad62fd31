/*
 * xmm-sim - loader internals shared by load.c, load_world.c and
 * load_step.c.  Every helper returns false after recording the first error
 * (FILE:LINE:COL is formed by the caller from err->line/col).
 */
#ifndef XMM_SIM_LOAD_H
#define XMM_SIM_LOAD_H

#include <glib.h>

#include "scenario.h"
#include "ytree.h"

struct ld {
    struct sim_error *err;
    bool failed;
    struct sim_scenario *sc;
    GHashTable *var_index; /* name -> GINT_TO_POINTER(index + 1) */
    GPtrArray *vars;       /* names, by index (moved into sc at the end) */
    struct ld_stream *stream; /* streamed steps (load_stream.c), or NULL */
};

/* Start a loader with a new scenario holding the defaults. */
void ld_begin(struct ld *l, const char *name, struct sim_error *err);
/* Validate a document root (NULL: empty file); false with *err set. */
bool ld_validate(struct ld *l, const struct yt_node *root);
/* The scenario (NULL if validation failed); frees the loader's tables. */
struct sim_scenario *ld_end(struct ld *l);
/* One step from its node (st zeroed, as_var -1). */
bool ld_step(struct ld *l, const struct yt_node *n, struct sim_step *st);
/* steps: when they are streamed (load_stream.c). */
bool ld_stream_steps(struct ld *l, const struct yt_node *n);

/* Record an error at node n (the first one wins); returns false. */
bool ld_fail(struct ld *l, const struct yt_node *n, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/*
 * Check a mapping's keys: n must be a mapping (`where` names it in
 * messages), every key a scalar in `allowed` (NULL-terminated), none twice.
 */
bool ld_keys(struct ld *l, const struct yt_node *n, const char *const *allowed, const char *where);
/* The key node of the first pair whose key is `key`, or NULL. */
const struct yt_node *ld_key_node(const struct yt_node *map, const char *key);
/* Error unless `key` is present in map. */
bool ld_require(struct ld *l, const struct yt_node *map, const char *key, const char *where);

/* Integer in [min, max]; `hex` prints the bounds in hex. */
bool ld_u64(struct ld *l, const struct yt_node *n, const char *what, uint64_t min, uint64_t max,
            bool hex, uint64_t *out);
/* Page count or size string, in [min, max] pages. */
bool ld_pages(struct ld *l, const struct yt_node *n, const char *what, uint64_t min, uint64_t max,
              uint64_t *out);
bool ld_bool(struct ld *l, const struct yt_node *n, const char *what, bool *out);
/* Any non-null scalar; *out is a new string. */
bool ld_string(struct ld *l, const struct yt_node *n, const char *what, char **out);
bool ld_enum(struct ld *l, const struct yt_node *n, const char *what, const char *const *values,
             int *out);
/* A sequence of at most `max` items. */
bool ld_seq(struct ld *l, const struct yt_node *n, const char *what, size_t max);
/* An FF-A status name, with or without the FFA_RET_ prefix. */
bool ld_ffa_code(struct ld *l, const struct yt_node *n, const char *what, int *out);

/* Variable index of a name, or -1. */
int ld_var_find(struct ld *l, const char *name);
/* Bind a name (new or rebound); returns its index, or -1 past the bound. */
int ld_var_bind(struct ld *l, const struct yt_node *n, const char *name);

/* explore: (load_explore.c) */
bool ld_explore(struct ld *l, const struct yt_node *n);

/* world: and steps: */
bool ld_world(struct ld *l, const struct yt_node *n);
bool ld_steps(struct ld *l, const struct yt_node *n);

#endif /* XMM_SIM_LOAD_H */
