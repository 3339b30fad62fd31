/*
 * xmm-sim - the streaming loader (sim_open_file, sim_stream_steps).
 *
 * Pass 1 reads the file's events once: everything but the items of the
 * top-level `steps` sequence becomes a tree as in sim_load_file; each step
 * is validated as soon as it is complete and then dropped, so memory does
 * not grow with the number of steps.  Steps need the world (partitions,
 * devices): when `world` comes after `steps` in the file, the steps are
 * validated in a second read once the world is known.  Errors are ranked
 * as the tree loader ranks them: YAML errors anywhere first, then the
 * top-level keys, name, seed, world and expect, then the first bad step.
 *
 * The run (sim_stream_steps) reads the file again and builds each step
 * with the same validator, so variables get the same indices.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* Step validation state of one read. */
struct ld_stream {
    struct ld steps;             /* variables, first error of the steps */
    struct sim_error err;
    struct sim_scenario *wsc;    /* holds the world the steps are checked against */
    const struct yt_doc *doc;
    bool prepared;               /* world looked for at the first step */
    bool world_first;            /* a valid `world` came before `steps` */
    bool skip;                   /* the world before steps is bad: do not check steps */
    size_t count;
    /*
     * Steps seen before, by their text (line reader only): a step whose
     * text validated once validates again wherever it is (variables are
     * never unbound while loading, the world does not change), and builds
     * the same sim_step, so pass 1 skips it and the run reuses it.
     */
    GHashTable *seen;            /* pass 1: text -> 1 */
    GHashTable *built;           /* run: text -> struct sim_step * */
    size_t lookups, hits;        /* the memo is dropped when it rarely hits */
    bool memo_off;
    /* run mode */
    sim_step_fn fn;
    void *fn_ctx;
};

/* Value of `key` in a mapping that may still be open (raw key/value items). */
static const struct yt_node *ls_partial_get(const struct yt_node *map, const char *key)
{
    size_t i;

    for (i = 0; map && map->kind == YT_MAP && i + 1 < map->count; i += 2)
        if (map->items[i]->kind == YT_SCALAR && strcmp(map->items[i]->value, key) == 0)
            return map->items[i + 1];
    return NULL;
}

/* Texts remembered at most (a bound on memory whatever the file). */
#define LS_CACHE_MAX 65536u

/* Is the memo worth its cost?  Off for good once 1 lookup in 4 or fewer hits. */
static bool ls_memo_on(struct ld_stream *s, bool hit)
{
    s->lookups++;
    s->hits += hit;
    if (s->lookups >= 4096 && s->hits * 4 < s->lookups)
        s->memo_off = true;
    return !s->memo_off;
}

/* A hash of a step's text, 8 bytes at a time (g_str_hash goes byte by byte). */
static guint ls_hash(gconstpointer key)
{
    const char *p = key;
    size_t len = strlen(p), i;
    uint64_t h = 0x9e3779b97f4a7c15u ^ len, w;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p + i, len - i);
    h = (h ^ w) * 0x94d049bb133111ebu;
    return (guint)(h ^ (h >> 32));
}

static void ls_cached_free(gpointer p)
{
    sim_step_clear(p);
    g_free(p);
}

/* A step-validation loader checking against sc's world. */
static void ls_init(struct ld_stream *s, struct sim_scenario *wsc)
{
    memset(&s->steps, 0, sizeof(s->steps));
    s->steps.err = &s->err;
    s->steps.sc = wsc;
    s->steps.var_index = g_hash_table_new(g_str_hash, g_str_equal);
    s->steps.vars = g_ptr_array_new_with_free_func(g_free);
    s->wsc = wsc;
    memset(&s->err, 0, sizeof(s->err));
    s->seen = g_hash_table_new_full(ls_hash, g_str_equal, g_free, NULL);
    s->built = g_hash_table_new_full(ls_hash, g_str_equal, g_free, ls_cached_free);
}

static void ls_fini(struct ld_stream *s)
{
    if (s->steps.var_index)
        g_hash_table_destroy(s->steps.var_index);
    if (s->steps.vars)
        g_ptr_array_free(s->steps.vars, TRUE);
    s->steps.var_index = NULL;
    s->steps.vars = NULL;
    if (s->seen)
        g_hash_table_destroy(s->seen);
    if (s->built)
        g_hash_table_destroy(s->built);
    s->seen = s->built = NULL;
}

/*
 * At the first step: validate the world written before `steps` (in a
 * scratch scenario, errors kept apart: the final validation reports them).
 */
static void ls_prepare(struct ld_stream *s)
{
    const struct yt_node *w = ls_partial_get(s->doc->root, "world");
    struct sim_error werr;
    struct ld lw;

    s->prepared = true;
    if (!w)
        return; /* defaults, unless a world comes later (checked at the end) */
    ld_begin(&lw, "", &werr);
    if (ld_world(&lw, w)) {
        s->world_first = true;
        s->wsc->world = lw.sc->world;
        memset(&lw.sc->world, 0, sizeof(lw.sc->world));
    } else {
        s->skip = true;
    }
    ld_end(&lw);
    if (lw.sc)
        sim_scenario_free(lw.sc);
}

/* Pass 1: validate one step, keep nothing of it. */
static bool ls_check_item(void *ctx, const struct yt_node *item, size_t index)
{
    struct ld_stream *s = ctx;
    struct sim_step st;

    (void)index;
    if (!s->prepared)
        ls_prepare(s);
    s->count++;
    if (s->skip || s->steps.failed)
        return true; /* keep reading: a YAML error later in the file still wins */
    memset(&st, 0, sizeof(st));
    st.as_var = -1;
    if (ld_step(&s->steps, item, &st) && s->doc->raw && !s->memo_off &&
        g_hash_table_size(s->seen) < LS_CACHE_MAX)
        g_hash_table_add(s->seen, g_strndup(s->doc->raw, s->doc->raw_len));
    sim_step_clear(&st);
    return true;
}

/* Pass 1, line reader: a step seen before needs no second look. */
static int ls_check_raw(void *ctx, const char *raw, size_t len, uint32_t line, uint32_t col)
{
    struct ld_stream *s = ctx;
    bool hit;

    (void)len;
    (void)line;
    (void)col;
    if (!s->prepared)
        return 0;
    if (s->steps.failed)
        return 2; /* the line reader's answer is not used: libyaml reads the file again */
    if (s->memo_off)
        return 0;
    hit = g_hash_table_contains(s->seen, raw);
    if (!ls_memo_on(s, hit) || !hit)
        return 0;
    s->count++;
    return 1;
}

static int ls_run_raw(void *ctx, const char *raw, size_t len, uint32_t line, uint32_t col);

/* Open and read a file with fn on every step. */
static int ls_read(const char *path, bool fast, yt_item_fn fn, struct ld_stream *s,
                   struct yt_doc *doc, struct sim_error *err, bool *stopped)
{
    struct yt_error yerr;
    FILE *f = fopen(path, "rb");
    int rc, read_errno;

    memset(doc, 0, sizeof(*doc));
    memset(&yerr, 0, sizeof(yerr));
    if (!f) {
        snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
        return -1;
    }
    s->doc = doc;
    if (fast) {
        rc = yt_stream_fast(f, fn, s->fn ? ls_run_raw : ls_check_raw, s, doc, stopped);
        if (rc != 0)
            g_strlcpy(yerr.msg, "the file is no longer in the shape it had when validated",
                      sizeof(yerr.msg));
    } else {
        rc = yt_stream(f, fn, s, doc, &yerr, stopped);
    }
    read_errno = errno;
    if (ferror(f)) {
        /* what the reader saw first: a directory, an I/O error */
        snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(read_errno));
        err->line = err->col = 0;
        rc = -1;
    } else if (rc != 0) {
        err->line = yerr.line;
        err->col = yerr.col;
        g_strlcpy(err->msg, yerr.msg, sizeof(err->msg));
    }
    fclose(f);
    return rc;
}

/* The steps of the final validation: the result of the streamed check. */
bool ld_stream_steps(struct ld *l, const struct yt_node *n)
{
    struct ld_stream *s = l->stream;

    if (n->kind != YT_SEQ)
        return ld_fail(l, n, "steps: expected a sequence, got %s", yt_kind_name(n));
    if (s->steps.failed) {
        *l->err = s->err;
        l->failed = true;
        return false;
    }
    l->sc->step_count = s->count;
    return true;
}

static int ls_open(const char *path, bool fast, struct sim_scenario **out,
                   struct sim_error *err)
{
    struct sim_scenario *scratch = g_new0(struct sim_scenario, 1);
    struct ld_stream s;
    struct yt_doc doc;
    struct ld l;
    bool stopped;
    const struct yt_node *w;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    memset(&s, 0, sizeof(s));
    ld_begin(&l, path, err);
    scratch->world = l.sc->world; /* the defaults: nothing allocated */
    ls_init(&s, scratch);
    if (ls_read(path, fast, ls_check_item, &s, &doc, err, &stopped) != 0) {
        l.failed = true;
    } else {
        w = yt_map_get(doc.root, "world");
        if (w && !s.world_first && !s.skip && s.count > 0 && doc.root->kind == YT_MAP) {
            /*
             * `world` follows `steps`: validate the world first (if it is bad,
             * the final validation says so), then read the steps again.
             */
            struct yt_doc again;
            struct sim_error werr;
            struct ld lw;

            ld_begin(&lw, "", &werr);
            if (ld_world(&lw, w)) {
                ls_fini(&s);
                ls_init(&s, lw.sc);
                s.prepared = true;
                s.world_first = true;
                s.count = 0;
                if (ls_read(path, fast, ls_check_item, &s, &again, err, &stopped) != 0)
                    l.failed = true;
                yt_free(&again);
            }
            ld_end(&lw);
            if (lw.sc)
                sim_scenario_free(lw.sc);
        }
        if (!l.failed) {
            l.stream = &s;
            ld_validate(&l, doc.root);
        }
    }
    if (!l.failed) {
        /* the variables are the ones the steps bound */
        g_ptr_array_free(l.vars, TRUE);
        g_hash_table_destroy(l.var_index);
        l.vars = s.steps.vars;
        l.var_index = s.steps.var_index;
        g_ptr_array_set_free_func(l.vars, NULL);
        s.steps.vars = NULL;
        s.steps.var_index = NULL;
        l.sc->streamed = true;
        l.sc->fast = fast;
    }
    yt_free(&doc);
    ls_fini(&s);
    sim_scenario_free(scratch);
    *out = ld_end(&l);
    return *out ? 0 : -1;
}

/*
 * Try the line reader first; on any doubt (a line it does not take, or any
 * error at all) read the file again with libyaml, which gives the answer.
 */
int sim_open_file(const char *path, struct sim_scenario **out, struct sim_error *err)
{
    const char *env = getenv("XMM_SIM_FAST_YAML");
    const char *loader = getenv("XMM_SIM_LOADER");

    if (loader && strcmp(loader, "tree") == 0)
        return sim_load_file(path, out, err); /* the whole-file loader, for comparisons */
    if ((!env || strcmp(env, "0") != 0) && ls_open(path, true, out, err) == 0)
        return 0;
    return ls_open(path, false, out, err);
}

/* Pass 2: build one step and hand it to the runner. */
static bool ls_run_item(void *ctx, const struct yt_node *item, size_t index)
{
    struct ld_stream *s = ctx;
    struct sim_step st;
    bool more;

    (void)index;
    memset(&st, 0, sizeof(st));
    st.as_var = -1;
    if (!ld_step(&s->steps, item, &st)) {
        sim_step_clear(&st);
        return false;
    }
    s->count++;
    more = s->fn(s->fn_ctx, &st, s->count);
    if (s->doc->raw && !s->memo_off && g_hash_table_size(s->built) < LS_CACHE_MAX)
        g_hash_table_insert(s->built, g_strndup(s->doc->raw, s->doc->raw_len),
                            g_memdup2(&st, sizeof(st)));
    else
        sim_step_clear(&st);
    return more;
}

/* The run, line reader: a step seen before is built already. */
static int ls_run_raw(void *ctx, const char *raw, size_t len, uint32_t line, uint32_t col)
{
    struct ld_stream *s = ctx;
    const struct sim_step *cached;
    struct sim_step st;

    (void)len;
    if (s->memo_off)
        return 0;
    cached = g_hash_table_lookup(s->built, raw);
    if (!ls_memo_on(s, cached != NULL) || !cached)
        return 0;
    st = *cached;
    st.line = line;
    st.col = col;
    s->count++;
    return s->fn(s->fn_ctx, &st, s->count) ? 1 : 2;
}

int sim_stream_steps(const struct sim_scenario *sc, sim_step_fn fn, void *ctx,
                     struct sim_error *err)
{
    struct ld_stream s;
    struct yt_doc doc;
    bool stopped = false;
    int rc;

    memset(err, 0, sizeof(*err));
    memset(&s, 0, sizeof(s));
    ls_init(&s, (struct sim_scenario *)sc);
    s.prepared = true;
    s.fn = fn;
    s.fn_ctx = ctx;
    rc = ls_read(sc->file, sc->fast, ls_run_item, &s, &doc, err, &stopped);
    if (rc == 0 && (s.steps.failed || (!stopped && s.count != sc->step_count))) {
        snprintf(err->msg, sizeof(err->msg),
                 "the file changed after it was validated (step %zu)", s.count + 1);
        rc = -1;
    }
    yt_free(&doc);
    ls_fini(&s);
    return rc;
}
