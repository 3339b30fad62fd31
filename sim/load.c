/*
 * xmm-sim - scenario loader: file reading, the top-level mapping, and the
 * scalar helpers every part of the loader uses.  The whole file is checked
 * before anything runs; the first problem is reported as FILE:LINE:COL.
 */
#include "load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "value.h"

/* --- errors -------------------------------------------------------------- */

bool ld_fail(struct ld *l, const struct yt_node *n, const char *fmt, ...)
{
    va_list ap;

    if (l->failed)
        return false;
    l->failed = true;
    l->err->line = n ? n->line : 1;
    l->err->col = n ? n->col : 1;
    va_start(ap, fmt);
    /* A message cut at the buffer's end says so (a hostile file's long names). */
    if (vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap) >= (int)sizeof(l->err->msg))
        memcpy(l->err->msg + sizeof(l->err->msg) - 4, "...", 4);
    va_end(ap);
    return false;
}

/* --- mappings ------------------------------------------------------------ */

bool ld_keys(struct ld *l, const struct yt_node *n, const char *const *allowed, const char *where)
{
    char list[512];
    size_t i, j;

    if (n->kind != YT_MAP)
        return ld_fail(l, n, "%s: expected a mapping, got %s", where, yt_kind_name(n));
    for (i = 0; i < n->count; i++) {
        const struct yt_node *k = n->items[2 * i];

        if (k->kind != YT_SCALAR)
            return ld_fail(l, k, "%s: keys must be plain names, got %s", where, yt_kind_name(k));
        if (sim_enum_index(allowed, k->value) < 0) {
            sim_enum_join(allowed, list, sizeof(list));
            return ld_fail(l, k, "unknown key '%s' in %s (allowed: %s)", k->value, where, list);
        }
        for (j = 0; j < i; j++) {
            const struct yt_node *prev = n->items[2 * j];

            if (strcmp(prev->value, k->value) == 0)
                return ld_fail(l, k, "duplicate key '%s' in %s (first at line %" PRIu32 ")",
                               k->value, where, prev->line);
        }
    }
    return true;
}

/* The key node (for its mark) of `key` in a mapping. */
const struct yt_node *ld_key_node(const struct yt_node *map, const char *key)
{
    size_t i;

    for (i = 0; map && map->kind == YT_MAP && i < map->count; i++) {
        const struct yt_node *k = map->items[2 * i];

        if (k->kind == YT_SCALAR && strcmp(k->value, key) == 0)
            return k;
    }
    return NULL;
}

/* A required key of a mapping. */
bool ld_require(struct ld *l, const struct yt_node *map, const char *key, const char *where)
{
    if (yt_map_get(map, key))
        return true;
    return ld_fail(l, map, "%s: missing required key '%s'", where, key);
}

/* --- scalars ------------------------------------------------------------- */

/* Common shape check for a number: a plain, non-null scalar. */
static bool ld_number_node(struct ld *l, const struct yt_node *n, const char *what)
{
    if (n->kind != YT_SCALAR)
        return ld_fail(l, n, "%s: expected an integer, got %s", what, yt_kind_name(n));
    if (yt_is_null(n))
        return ld_fail(l, n, "%s: missing value (expected an integer)", what);
    if (!n->plain)
        return ld_fail(l, n, "%s: expected an integer, got the quoted string \"%s\"", what,
                       n->value);
    return true;
}

/*
 * A scalar as quoted in a message: at most 40 bytes, then "... (N bytes)",
 * so a hostile file's megabyte scalar gives a message a reader can use.
 */
static const char *ld_clip(const char *v, char *buf, size_t len)
{
    size_t n = strlen(v);

    if (n <= 40)
        return v;
    snprintf(buf, len, "%.40s... (%zu bytes)", v, n);
    return buf;
}

/* Report a failed integer/size parse in words. */
static bool ld_number_error(struct ld *l, const struct yt_node *n, const char *what,
                            enum sim_num r)
{
    char buf[80];
    const char *v = ld_clip(n->value, buf, sizeof(buf));

    switch (r) {
    case SIM_NUM_NEGATIVE:
        return ld_fail(l, n, "%s: negative number %s (must be >= 0)", what, v);
    case SIM_NUM_BAD_HEX:
        return ld_fail(l, n, "%s: bad hex number '%s'", what, v);
    case SIM_NUM_OVERFLOW:
        return ld_fail(l, n, "%s: number '%s' does not fit 64 bits", what, v);
    case SIM_NUM_UNALIGNED:
        return ld_fail(l, n, "%s: size %s is not a multiple of 4 KiB", what, v);
    default:
        return ld_fail(l, n, "%s: '%s' is not an integer (decimal or 0x hex)", what, v);
    }
}

/* Range check with the bounds printed in the field's own base. */
static bool ld_range(struct ld *l, const struct yt_node *n, const char *what, uint64_t v,
                     uint64_t min, uint64_t max, bool hex)
{
    if (v >= min && v <= max)
        return true;
    if (hex || g_str_has_prefix(n->value, "0x") || g_str_has_prefix(n->value, "0X"))
        return ld_fail(l, n, "%s: 0x%" PRIx64 " is out of range (0x%" PRIx64 "..0x%" PRIx64 ")",
                       what, v, min, max);
    return ld_fail(l, n, "%s: %" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ")", what, v,
                   min, max);
}

/* An integer field: plain scalar, decimal or 0x hex, within [min, max]. */
bool ld_u64(struct ld *l, const struct yt_node *n, const char *what, uint64_t min, uint64_t max,
            bool hex, uint64_t *out)
{
    enum sim_num r;

    if (!ld_number_node(l, n, what))
        return false;
    r = sim_parse_u64(n->value, out);
    if (r != SIM_NUM_OK)
        return ld_number_error(l, n, what, r);
    return ld_range(l, n, what, *out, min, max, hex);
}

/* A page count or a size string, within [min, max] pages. */
bool ld_pages(struct ld *l, const struct yt_node *n, const char *what, uint64_t min, uint64_t max,
              uint64_t *out)
{
    enum sim_num r;

    if (!ld_number_node(l, n, what))
        return false;
    r = sim_parse_size(n->value, out);
    if (r == SIM_NUM_NOT_SIZE) {
        r = sim_parse_u64(n->value, out);
        if (r == SIM_NUM_BAD)
            return ld_fail(l, n, "%s: '%s' is neither a page count nor a size (4KiB, 2MiB, 1GiB)",
                           what, n->value);
    }
    if (r != SIM_NUM_OK)
        return ld_number_error(l, n, what, r);
    if (*out < min && min == 1)
        return ld_fail(l, n, "%s: must be at least 1 page", what);
    return ld_range(l, n, what, *out, min, max, false);
}

/* true / false (and their capitalised spellings). */
bool ld_bool(struct ld *l, const struct yt_node *n, const char *what, bool *out)
{
    static const char *const yes[] = { "true", "True", "TRUE", NULL };
    static const char *const no[] = { "false", "False", "FALSE", NULL };

    if (n->kind != YT_SCALAR || !n->plain)
        return ld_fail(l, n, "%s: expected true or false, got %s", what,
                       n->kind == YT_SCALAR ? "a quoted string" : yt_kind_name(n));
    if (sim_enum_index(yes, n->value) >= 0) {
        *out = true;
        return true;
    }
    if (sim_enum_index(no, n->value) >= 0) {
        *out = false;
        return true;
    }
    return ld_fail(l, n, "%s: expected true or false, got '%s'", what, n->value);
}

/* Any non-null scalar, copied. */
bool ld_string(struct ld *l, const struct yt_node *n, const char *what, char **out)
{
    if (n->kind != YT_SCALAR)
        return ld_fail(l, n, "%s: expected a string, got %s", what, yt_kind_name(n));
    if (yt_is_null(n))
        return ld_fail(l, n, "%s: missing value (expected a string)", what);
    *out = g_strdup(n->value);
    return true;
}

/* One name of a NULL-terminated list; *out is its index. */
bool ld_enum(struct ld *l, const struct yt_node *n, const char *what, const char *const *values,
             int *out)
{
    char list[512];

    sim_enum_join(values, list, sizeof(list));
    if (n->kind != YT_SCALAR || yt_is_null(n))
        return ld_fail(l, n, "%s: expected one of %s, got %s", what, list,
                       n->kind == YT_SCALAR ? "nothing" : yt_kind_name(n));
    *out = sim_enum_index(values, n->value);
    if (*out < 0)
        return ld_fail(l, n, "%s: unknown value '%s' (expected one of %s)", what, n->value, list);
    return true;
}

/* A sequence of at most `max` entries. */
bool ld_seq(struct ld *l, const struct yt_node *n, const char *what, size_t max)
{
    if (n->kind != YT_SEQ)
        return ld_fail(l, n, "%s: expected a sequence, got %s", what, yt_kind_name(n));
    if (n->count > max)
        return ld_fail(l, n, "%s: too many entries (%zu, at most %zu)", what, n->count, max);
    return true;
}

/* An FF-A status name, FFA_RET_ prefix optional (SP reply scripts). */
bool ld_ffa_code(struct ld *l, const struct yt_node *n, const char *what, int *out)
{
    enum xmm_rc_family fam;
    char *full;
    int r;

    if (n->kind != YT_SCALAR || yt_is_null(n))
        return ld_fail(l, n, "%s: expected an FF-A status name, got %s", what,
                       n->kind == YT_SCALAR ? "nothing" : yt_kind_name(n));
    full = strncmp(n->value, "FFA_RET_", 8) == 0 ? g_strdup(n->value)
                                                 : g_strconcat("FFA_RET_", n->value, NULL);
    r = xmm_rc_parse(full, &fam, out);
    g_free(full);
    if (r != 0 || fam != XMM_RC_FFA)
        return ld_fail(l, n, "%s: unknown FF-A status '%s' (OK, RETRY, BUSY, DENIED, ABORTED ...)",
                       what, n->value);
    return true;
}

/* --- variables ----------------------------------------------------------- */

int ld_var_find(struct ld *l, const char *name)
{
    gpointer v = g_hash_table_lookup(l->var_index, name);

    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

/* Bind `as: NAME`: a new index, or the old one when rebinding. */
int ld_var_bind(struct ld *l, const struct yt_node *n, const char *name)
{
    int idx = ld_var_find(l, name);
    char *copy;

    if (idx >= 0)
        return idx;
    if (l->vars->len >= SIM_MAX_VARS) {
        ld_fail(l, n, "too many variables (at most %u)", SIM_MAX_VARS);
        return -1;
    }
    copy = g_strdup(name);
    g_ptr_array_add(l->vars, copy);
    idx = (int)l->vars->len - 1;
    g_hash_table_insert(l->var_index, copy, GINT_TO_POINTER(idx + 1));
    return idx;
}

/* --- top level ----------------------------------------------------------- */

/* expect: {violation: ID} */
static bool ld_expect(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "violation", NULL };
    const struct yt_node *v;
    char list[512] = "";
    size_t used = 0;
    int i;

    if (!ld_keys(l, n, keys, "expect") || !ld_require(l, n, "violation", "expect"))
        return false;
    v = yt_map_get(n, "violation");
    if (v->kind != YT_SCALAR || yt_is_null(v))
        return ld_fail(l, v, "expect.violation: expected an invariant id, got %s",
                       v->kind == YT_SCALAR ? "nothing" : yt_kind_name(v));
    if (xmm_invariant_parse(v->value, &l->sc->violation) != 0) {
        for (i = 0; i < XMM_INV_COUNT && used < sizeof(list) - 32; i++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                     xmm_invariant_name((enum xmm_invariant)i));
        return ld_fail(l, v, "expect.violation: unknown invariant '%s' (known: %s)", v->value,
                       list);
    }
    l->sc->expect_violation = true;
    if (l->sc->world.checks == SIM_CHECKS_OFF)
        return ld_fail(l, v, "expect.violation: needs invariant checks, but world.checks is off");
    return true;
}

/* The document root: name, description, seed, world, steps, expect, explore. */
static bool ld_top(struct ld *l, const struct yt_node *root)
{
    static const char *const keys[] = { "name", "description", "seed", "world", "steps",
                                        "expect", "explore", NULL };
    struct sim_scenario *sc = l->sc;
    const struct yt_node *n;

    if (root->kind != YT_MAP)
        return ld_fail(l, root, "a scenario must be a mapping (name, world, steps ...), got %s",
                       yt_kind_name(root));
    if (!ld_keys(l, root, keys, "the scenario") || !ld_require(l, root, "name", "scenario") ||
        !ld_require(l, root, "steps", "scenario"))
        return false;
    if (!ld_string(l, yt_map_get(root, "name"), "name", &sc->name))
        return false;
    if (sc->name[0] == '\0')
        return ld_fail(l, yt_map_get(root, "name"), "name: must not be empty");
    n = yt_map_get(root, "description");
    if (n && !ld_string(l, n, "description", &sc->description))
        return false;
    n = yt_map_get(root, "seed");
    if (n && !ld_u64(l, n, "seed", 0, UINT64_MAX, false, &sc->seed))
        return false;
    n = yt_map_get(root, "world");
    if (n && !ld_world(l, n))
        return false;
    n = yt_map_get(root, "expect");
    if (n && !ld_expect(l, n))
        return false;
    if (!ld_steps(l, yt_map_get(root, "steps")))
        return false;
    /* after the steps: the alphabet may use the variables they bind */
    n = yt_map_get(root, "explore");
    return !n || ld_explore(l, n);
}

/* Defaults of a world when the file says nothing (scenario-format.md). */
static void ld_world_defaults(struct sim_world_cfg *wc)
{
    struct xmm_world_opts o = XMM_WORLD_OPTS_INIT;

    wc->ram_pages = o.ram_pages;
    wc->ram_base = xmm_mfn_x(o.ram_base);
    wc->alloc_mode = o.alloc_mode;
    wc->policy = o.policy;
    wc->limits = o.limits;
    wc->checks = SIM_CHECKS_EVERY_STEP;
}

/* A loader for the file `name`, with a new scenario holding the defaults. */
void ld_begin(struct ld *l, const char *name, struct sim_error *err)
{
    memset(l, 0, sizeof(*l));
    l->err = err;
    l->sc = g_new0(struct sim_scenario, 1);
    l->sc->file = g_strdup(name);
    ld_world_defaults(&l->sc->world);
    l->var_index = g_hash_table_new(g_str_hash, g_str_equal);
    l->vars = g_ptr_array_new();
}

/* Validate the document root; the first error wins. */
bool ld_validate(struct ld *l, const struct yt_node *root)
{
    if (!root) {
        l->err->line = 1;
        l->err->col = 1;
        g_strlcpy(l->err->msg, "empty file: a scenario is a mapping with name and steps",
                  sizeof(l->err->msg));
        l->failed = true;
    } else {
        ld_top(l, root);
    }
    return !l->failed;
}

/* Hand over the scenario (NULL when validation failed) and free the rest. */
struct sim_scenario *ld_end(struct ld *l)
{
    l->sc->var_count = l->vars->len;
    l->sc->vars = (char **)g_ptr_array_free(l->vars, FALSE);
    g_hash_table_destroy(l->var_index);
    l->vars = NULL;
    l->var_index = NULL;
    if (l->failed) {
        sim_scenario_free(l->sc);
        l->sc = NULL;
    }
    return l->sc;
}

/* Parse, then validate the whole document; the first error wins. */
int sim_load_buffer(const char *name, const char *buf, size_t len, struct sim_scenario **out,
                    struct sim_error *err)
{
    struct yt_doc doc;
    struct yt_error yerr;
    struct ld l;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    if (yt_load(buf, len, &doc, &yerr) != 0) {
        err->line = yerr.line;
        err->col = yerr.col;
        g_strlcpy(err->msg, yerr.msg, sizeof(err->msg));
        yt_free(&doc);
        return -1;
    }
    ld_begin(&l, name, err);
    ld_validate(&l, doc.root);
    *out = ld_end(&l);
    yt_free(&doc);
    return *out ? 0 : -1;
}

/* Read a file (bounded) and load it; an unreadable file has no line. */
int sim_load_file(const char *path, struct sim_scenario **out, struct sim_error *err)
{
    GByteArray *buf;
    FILE *f;
    guint8 chunk[65536];
    size_t got;
    int rc = -1;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
        return -1;
    }
    buf = g_byte_array_new();
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && buf->len <= YT_MAX_FILE_BYTES)
        g_byte_array_append(buf, chunk, (guint)got);
    if (ferror(f))
        snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
    else if (buf->len > YT_MAX_FILE_BYTES)
        snprintf(err->msg, sizeof(err->msg), "file too large (more than %u bytes)",
                 YT_MAX_FILE_BYTES);
    else
        rc = sim_load_buffer(path, (const char *)buf->data, buf->len, out, err);
    fclose(f);
    g_byte_array_free(buf, TRUE);
    return rc;
}

/* Free what a step owns and zero it. */
void sim_step_clear(struct sim_step *st)
{
    size_t j;

    for (j = 0; st->vals && j < st->op->arg_count; j++)
        g_free(st->vals[j].s);
    g_free(st->vals);
    g_free(st->note);
    memset(st, 0, sizeof(*st));
    st->as_var = -1;
}

/* Free a scenario and everything it owns. */
void sim_scenario_free(struct sim_scenario *sc)
{
    size_t i;

    if (!sc)
        return;
    for (i = 0; sc->steps && i < sc->step_count; i++)
        sim_step_clear(&sc->steps[i]);
    g_free(sc->steps);
    for (i = 0; i < sc->var_count; i++)
        g_free(sc->vars[i]);
    g_free(sc->vars);
    for (i = 0; i < sc->world.mmio_count; i++)
        g_free(sc->world.mmio[i].name);
    g_free(sc->world.mmio);
    for (i = 0; i < sc->world.partition_count; i++)
        g_free(sc->world.partitions[i].replies);
    g_free(sc->world.partitions);
    for (i = 0; i < sc->world.device_count; i++)
        g_free(sc->world.devices[i].id);
    g_free(sc->world.devices);
    if (sc->explore) {
        for (i = 0; i < sc->explore->op_count; i++)
            sim_step_clear(&sc->explore->ops[i]);
        g_free(sc->explore->ops);
        g_free(sc->explore->symmetric);
        g_free(sc->explore);
    }
    g_free(sc->name);
    g_free(sc->description);
    g_free(sc->file);
    g_free(sc);
}

static const char *const checks_names[] = { "every_step", "end", "off", "full", NULL };

/* Name of a check mode. */
const char *sim_checks_name(enum sim_checks c)
{
    return (unsigned)c < 4 ? checks_names[c] : "?";
}

/* Check mode by name (--check), or -1. */
int sim_checks_parse(const char *s)
{
    return sim_enum_index(checks_names, s);
}
