/*
 * xmm-sim explore: breadth-first search of every op sequence over a
 * scenario's alphabet (the `explore` key), deduplicated by world digest,
 * with every invariant checked in every distinct state and, optionally, a
 * teardown liveness check from each of them (docs/explore.md).
 *
 * A stored state is 16 bytes (digest, parent index, op index) plus its
 * slot in an open-addressed table of 32-bit indices: no world is kept.
 * A state is expanded by rebuilding its world: a new world, the scenario's
 * own steps (the setup), then the ops on the path from the initial state.
 * The children of one state are consecutive, so the path of the previous
 * expansion is usually a prefix of the next one.
 */
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "exec.h"
#include "pool.h"
#include "run.h"
#include "value.h"
#include "write.h"

#define EX_NONE UINT32_MAX
#define EX_MAX_PERMS 24 /* symmetry: permutations of at most 4 ids */
#define EX_HISTORY 16  /* history ring of explored worlds (reports only; not in the digest) */

struct ex_rec {
    uint64_t digest;
    uint32_t parent; /* index of the state it was reached from, EX_NONE for the initial one */
    uint32_t op;     /* alphabet index of the op that reached it */
};

struct ex_args {
    const char *file;
    uint32_t depth;          /* 0: from the file */
    uint64_t max_states;     /* 0: no bound */
    const char *ops;         /* --ops: comma-separated op names */
    const char *out_dir;
    bool no_symmetry;
    bool replay;
    unsigned jobs;           /* -j: workers expanding a depth (default one per CPU; 1: this
                              * thread alone) */
    bool has_liveness;
    uint64_t liveness;
    struct xmm_policy policy;
    uint32_t policy_set;
    GString *policy_args;
};

struct explore {
    struct sim_scenario *sc;
    struct sim_exec x;
    /* the setup (the scenario's steps), resolved once */
    struct sim_res *setup_res; /* step_count x SIM_MAX_ARGS */
    /* the alphabet, resolved once */
    const struct sim_step **alpha;
    struct sim_res *alpha_res; /* nalpha x SIM_MAX_ARGS */
    size_t nalpha;
    uint32_t depth;
    uint64_t max_states, liveness;
    /* the state store */
    struct ex_rec *st;
    size_t n, cap;
    uint32_t *tab;
    size_t tab_cap;
    uint64_t transitions, rebuilds;
    /* symmetry: perm[p * nalpha + a] is op a with the ids permuted */
    uint32_t *perm;
    size_t nperm;
    struct xmm_check_report *rep;
    uint32_t path[SIM_EXPLORE_MAX_DEPTH];
    /*
     * Expansion by cloning: stack[k] is the world after spath[0..k), its
     * change set checked; stack[0] is the world after the setup.  NULL
     * stack[0]: expansion by replay (--replay).
     */
    struct xmm_world *stack[SIM_EXPLORE_MAX_DEPTH + 1];
    uint32_t spath[SIM_EXPLORE_MAX_DEPTH];
    uint32_t top;
    bool replay;
    struct ex_cache *cache; /* the worlds' allocator */
};

/* --- the worlds' allocator ------------------------------------------------- */

/*
 * The worlds of one search are copies of each other: the same few block
 * sizes are allocated and freed over and over.  Freed blocks are kept on a
 * list per size and handed out again (zeroed for alloc, as they are for
 * alloc_raw); they go back to libc with the search.
 */
#define EX_CACHE_SIZES 64
#define EX_CACHE_SLOTS 128 /* a power of two, at most half full */
struct ex_cache {
    struct {
        size_t size; /* 0: a free slot */
        void *head;
    } bin[EX_CACHE_SLOTS];
    unsigned nbins;
};

/* The list of freed blocks of one size (open addressing on the size), or NULL. */
static void **ex_bin(struct ex_cache *c, size_t size)
{
    size_t i = (size_t)((size * UINT64_C(0x9E3779B97F4A7C15)) >> 57) & (EX_CACHE_SLOTS - 1);

    if (size < sizeof(void *))
        return NULL;
    while (c->bin[i].size != size) {
        if (c->bin[i].size == 0) {
            if (c->nbins == EX_CACHE_SIZES)
                return NULL;
            c->bin[i].size = size;
            c->bin[i].head = NULL;
            c->nbins++;
            break;
        }
        i = (i + 1) & (EX_CACHE_SLOTS - 1);
    }
    return &c->bin[i].head;
}

static void *ex_alloc_raw(void *ctx, size_t size)
{
    void **b = ex_bin(ctx, size), *p;

    if (!b || !*b)
        return malloc(size);
    p = *b;
    *b = *(void **)p;
    return p;
}

static void *ex_alloc(void *ctx, size_t size)
{
    void *p = ex_alloc_raw(ctx, size);

    if (p)
        memset(p, 0, size);
    return p;
}

static void ex_free_block(void *ctx, void *p, size_t size)
{
    void **b = ex_bin(ctx, size);

    if (!b) {
        free(p);
        return;
    }
    *(void **)p = *b;
    *b = p;
}

static void ex_cache_free(struct ex_cache *c)
{
    for (unsigned i = 0; c && i < EX_CACHE_SLOTS; i++)
        while (c->bin[i].head) {
            void *p = c->bin[i].head;

            c->bin[i].head = *(void **)p;
            free(p);
        }
    g_free(c);
}

static struct xmm_allocator ex_allocator(struct explore *e)
{
    struct xmm_allocator a = { .alloc = ex_alloc, .free = ex_free_block, .ctx = e->cache,
                               .alloc_raw = ex_alloc_raw };

    return a;
}

/* --- the state store ---------------------------------------------------- */

static size_t ex_slot(const struct explore *e, uint64_t dig)
{
    size_t i = (size_t)(dig ^ (dig >> 29)) & (e->tab_cap - 1);

    while (e->tab[i] && e->st[e->tab[i] - 1].digest != dig)
        i = (i + 1) & (e->tab_cap - 1);
    return i;
}

static void ex_grow(struct explore *e)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap + e->cap / 4 : 256;
        e->st = g_renew(struct ex_rec, e->st, e->cap);
    }
    if ((e->n + 1) * 4 > e->tab_cap * 3) { /* load factor at most 3/4 */
        uint32_t *old = e->tab;
        size_t oldcap = e->tab_cap, i;

        e->tab_cap = e->tab_cap ? e->tab_cap * 2 : 512;
        e->tab = g_new0(uint32_t, e->tab_cap);
        for (i = 0; i < oldcap; i++)
            if (old[i])
                e->tab[ex_slot(e, e->st[old[i] - 1].digest)] = old[i];
        g_free(old);
    }
}

/* Add a state unless its digest is known; true when it is new. */
static bool ex_add(struct explore *e, uint64_t dig, uint32_t parent, uint32_t op)
{
    size_t slot;

    ex_grow(e);
    slot = ex_slot(e, dig);
    if (e->tab[slot])
        return false;
    e->st[e->n].digest = dig;
    e->st[e->n].parent = parent;
    e->st[e->n].op = op;
    e->tab[slot] = (uint32_t)++e->n;
    return true;
}

/* The ops from the initial state to state s; returns the depth. */
static uint32_t ex_path(const struct explore *e, uint32_t s, uint32_t *path)
{
    uint32_t d = 0, k, i;

    for (i = s; e->st[i].parent != EX_NONE; i = e->st[i].parent)
        d++;
    k = d;
    for (i = s; e->st[i].parent != EX_NONE; i = e->st[i].parent)
        path[--k] = e->st[i].op;
    return d;
}

/* --- worlds --------------------------------------------------------------- */

/* A new world with the setup steps run (their rcs are not compared). */
static int ex_world(struct explore *e)
{
    struct sim_exec_out out;
    size_t i;
    struct xmm_allocator a = ex_allocator(e);
    int rc = sim_world_build_alloc(&e->sc->world, e->sc->seed, EX_HISTORY, &a, &e->x.w);

    if (rc != 0) {
        xmm_world_free(e->x.w);
        e->x.w = NULL;
        return rc;
    }
    for (i = 0; i < e->sc->step_count; i++) {
        memset(&out, 0, sizeof(out));
        xmm_world_set_step(e->x.w, (uint32_t)i + 1);
        e->sc->steps[i].op->exec(&e->x, &e->setup_res[i * SIM_MAX_ARGS], &out);
        g_free(out.show); /* a show: step's text: nobody prints it here */
    }
    return 0;
}

/* Run alphabet op a as step number `number`; its return code. */
static int ex_op(struct explore *e, uint32_t a, size_t number)
{
    struct sim_exec_out out;
    int rc;

    memset(&out, 0, sizeof(out));
    xmm_world_set_step(e->x.w, (uint32_t)number);
    rc = e->alpha[a]->op->exec(&e->x, &e->alpha_res[(size_t)a * SIM_MAX_ARGS], &out);
    g_free(out.show);
    return rc;
}

/* The world of a path: setup (or a clone of the world after it), then path[0..d). */
static int ex_replay(struct explore *e, const uint32_t *path, uint32_t d)
{
    int rc = e->stack[0] ? xmm_world_clone_shared(e->stack[0], &e->x.w) : ex_world(e);
    uint32_t i;

    for (i = 0; rc == 0 && i < d; i++)
        ex_op(e, path[i], e->sc->step_count + i + 1);
    e->rebuilds++;
    return rc;
}

static void ex_world_free(struct explore *e)
{
    xmm_world_free(e->x.w);
    e->x.w = NULL;
}

/*
 * Bring the clone stack to path[0..d): keep the worlds of the common prefix
 * with the path it holds, clone and step the rest.  Return: 0 or an error.
 */
static int ex_stack(struct explore *e, const uint32_t *path, uint32_t d)
{
    uint32_t j = 0;

    while (j < e->top && j < d && e->spath[j] == path[j])
        j++;
    for (; e->top > j; e->top--) {
        xmm_world_free(e->stack[e->top]);
        e->stack[e->top] = NULL;
    }
    for (; e->top < d; e->top++) {
        int rc = xmm_world_clone_shared(e->stack[e->top], &e->x.w);

        if (rc)
            return rc;
        ex_op(e, path[e->top], e->sc->step_count + e->top + 1);
        xmm_check_incremental(e->x.w, e->rep); /* it clears the report first */
        e->stack[e->top + 1] = e->x.w;
        e->spath[e->top] = path[e->top];
        e->x.w = NULL;
    }
    return 0;
}

/*
 * Free the clone stack, and the world in hand first: a world cloned from
 * another (xmm_world_clone_shared) is freed before it.
 */
static void ex_stack_free(struct explore *e)
{
    ex_world_free(e);
    for (uint32_t k = e->top + 1; k-- > 0;) {
        xmm_world_free(e->stack[k]);
        e->stack[k] = NULL;
    }
    e->top = 0;
}

/* --- resolution of the setup and the alphabet ------------------------------ */

/* Defaults applied, variables substituted (from the setup's bindings). */
static bool ex_resolve(const struct sim_step *st, const uint64_t *var_val, const bool *var_bound,
                       struct sim_res *out, char *err, size_t errlen)
{
    const struct sim_op *op = st->op;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];
        const struct sim_val *v = &st->vals[i];

        if (!sim_res_of(a, st->vals, i, &out[i]))
            continue;
        if (v->kind == SIM_V_VAR) {
            if (!var_bound[v->u]) {
                snprintf(err, errlen, "line %" PRIu32 ": %s.%s: the variable has no value",
                         st->line, op->name, a->key);
                return false;
            }
            out[i].kind = SIM_V_INT;
            out[i].u = var_val[v->u];
        }
    }
    return true;
}

/*
 * Run the setup once on a checked world: resolve every step and every op
 * of the alphabet.  Return: 0, 1 when the setup itself violates an
 * invariant (*inv), 2 when it cannot run as written (message printed).
 */
static int ex_prepare(struct explore *e, enum xmm_invariant *inv)
{
    struct sim_scenario *sc = e->sc;
    uint64_t *var_val = g_new0(uint64_t, sc->var_count + 1);
    bool *var_bound = g_new0(bool, sc->var_count + 1);
    char err[256];
    size_t i;
    int rc, ret = 0;

    e->setup_res = g_new0(struct sim_res, (sc->step_count + 1) * SIM_MAX_ARGS);
    {
        struct xmm_allocator a = ex_allocator(e);

        rc = sim_world_build_alloc(&sc->world, sc->seed, EX_HISTORY, &a, &e->x.w);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: world: setting up the world failed (%s)\n", sc->file,
                xmm_strerror(rc));
        ret = 2;
        goto out;
    }
    for (i = 0; i < sc->step_count && ret == 0; i++) {
        const struct sim_step *st = &sc->steps[i];
        struct sim_res *a = &e->setup_res[i * SIM_MAX_ARGS];
        struct sim_exec_out out;
        int want = st->has_expect ? st->expect_rc : 0;

        if (!ex_resolve(st, var_val, var_bound, a, err, sizeof(err))) {
            fprintf(stderr, "%s: setup step %zu, %s\n", sc->file, i + 1, err);
            ret = 2;
            break;
        }
        memset(&out, 0, sizeof(out));
        xmm_world_set_step(e->x.w, (uint32_t)i + 1);
        rc = st->op->exec(&e->x, a, &out);
        g_free(out.show);
        if (st->as_var >= 0) {
            var_bound[st->as_var] = rc == 0 && out.bound;
            var_val[st->as_var] = out.bind;
        }
        if (!st->expect_any && rc != want) {
            fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": setup step %zu (%s): expected %s, got %s\n",
                    sc->file, st->line, st->col, i + 1, st->op->name,
                    xmm_rc_name(st->op->family, want), xmm_rc_name(st->op->family, rc));
            ret = 2;
        } else if (out.check_failed) {
            fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": setup step %zu: check failed: %s\n",
                    sc->file, st->line, st->col, i + 1, out.msg);
            ret = 2;
        }
    }
    if (ret == 0) {
        if (xmm_check_full(e->x.w, e->rep) > 0) {
            *inv = e->rep->kept ? e->rep->v[0].inv : XMM_INV_COUNT;
            ret = 1;
        }
    }
    for (i = 0; i < e->nalpha && ret == 0; i++)
        if (!ex_resolve(e->alpha[i], var_val, var_bound, &e->alpha_res[i * SIM_MAX_ARGS], err,
                        sizeof(err))) {
            fprintf(stderr, "%s: explore.ops: %s\n", sc->file, err);
            ret = 2;
        }
out:
    if (ret == 0 && !e->replay) {
        /*
         * Expansion clones this one.  The full sweep leaves the change set:
         * checked here (clean, as the sweep was), so that every world on the
         * clone stack has an empty one and so have its clones.
         */
        xmm_check_incremental(e->x.w, e->rep);
        e->stack[0] = e->x.w;
        e->x.w = NULL;
    }
    if (e->x.w)
        ex_world_free(e);
    g_free(var_val);
    g_free(var_bound);
    return ret;
}

/* --- symmetry ------------------------------------------------------------- */

/* The domain-id rows of an op. */
static bool ex_domid_row(const struct sim_arg *a)
{
    return a->type == SIM_T_DOMID || a->type == SIM_T_OWNER ||
           (a->type == SIM_T_NESTED && a->int_alt == SIM_T_DOMID);
}

/* Alphabet op a with the ids mapped by (from[i] -> to[i]); EX_NONE if absent. */
static uint32_t ex_perm_op(const struct explore *e, uint32_t a, const xmm_domid_t *from,
                           const xmm_domid_t *to, size_t k)
{
    const struct sim_op *op = e->alpha[a]->op;
    const struct sim_res *ra = &e->alpha_res[(size_t)a * SIM_MAX_ARGS];
    struct sim_res want[SIM_MAX_ARGS];
    size_t i, j;

    memcpy(want, ra, op->arg_count * sizeof(*want));
    for (i = 0; i < op->arg_count; i++) {
        if (!ex_domid_row(&op->args[i]) || want[i].kind != SIM_V_INT)
            continue;
        for (j = 0; j < k; j++)
            if (ra[i].u == from[j]) {
                want[i].u = to[j];
                break;
            }
    }
    for (uint32_t b = 0; b < e->nalpha; b++) {
        const struct sim_res *rb = &e->alpha_res[(size_t)b * SIM_MAX_ARGS];
        bool same = e->alpha[b]->op == op;

        for (i = 0; same && i < op->arg_count; i++)
            same = want[i].present == rb[i].present && want[i].kind == rb[i].kind &&
                   want[i].u == rb[i].u &&
                   (want[i].kind != SIM_V_STR || g_strcmp0(want[i].s, rb[i].s) == 0);
        if (same)
            return b;
    }
    return EX_NONE;
}

/*
 * Every non-identity permutation of the symmetric ids, as a map of the
 * alphabet; false (symmetry off) when the alphabet is not closed under one
 * or the setup names one of the ids.
 */
static bool ex_symmetry(struct explore *e, const char **why)
{
    const struct sim_explore *ex = e->sc->explore;
    size_t k = ex->symmetric_count, p, i, j;
    xmm_domid_t to[4];
    size_t idx[4];

    *why = "no explore.symmetric ids";
    if (k < 2)
        return false;
    *why = "more than 4 symmetric ids";
    if (k > 4)
        return false;
    *why = "the setup steps create domains (their incarnations order the ids)";
    for (i = 0; i < e->sc->step_count; i++)
        if (strcmp(e->sc->steps[i].op->name, "domain_create") == 0)
            return false;
    e->perm = g_new0(uint32_t, EX_MAX_PERMS * e->nalpha);
    for (i = 0; i < k; i++)
        idx[i] = i;
    /* permutations in lexicographic order, the identity skipped */
    for (;;) {
        for (i = k - 1; i > 0 && idx[i - 1] > idx[i]; i--)
            ;
        if (i == 0)
            break;
        for (j = k - 1; idx[j] < idx[i - 1]; j--)
            ;
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
        for (j = k - 1; i < j; i++, j--) {
            t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        for (i = 0; i < k; i++)
            to[i] = ex->symmetric[idx[i]];
        p = e->nperm++;
        for (uint32_t a = 0; a < e->nalpha; a++) {
            e->perm[p * e->nalpha + a] = ex_perm_op(e, a, ex->symmetric, to, k);
            if (e->perm[p * e->nalpha + a] == EX_NONE) {
                *why = "the alphabet is not closed under swapping the ids";
                e->nperm = 0;
                return false;
            }
        }
    }
    return true;
}

/*
 * The canonical digest of the state reached by path[0..d) (+ op a): the
 * least digest over the path and its images under every permutation.
 * Leaves no world behind.
 */
static uint64_t ex_canonical(struct explore *e, const uint32_t *path, uint32_t d, uint64_t dig)
{
    uint32_t img[SIM_EXPLORE_MAX_DEPTH] = { 0 };

    for (size_t p = 0; p < e->nperm; p++) {
        uint64_t pd;

        for (uint32_t i = 0; i < d; i++)
            img[i] = e->perm[p * e->nalpha + path[i]];
        if (ex_replay(e, img, d) != 0)
            continue;
        pd = xmm_world_digest(e->x.w);
        ex_world_free(e);
        if (pd < dig)
            dig = pd;
    }
    return dig;
}

/* --- liveness ------------------------------------------------------------- */

struct ex_teardown {
    xmm_domid_t doms[2][64];
    size_t ndoms[2];
    bool failed;
    bool violated;
    enum xmm_invariant inv;
    xmm_domid_t stuck;
    enum xmm_domain_state stuck_state;
};

static int ex_destroy(struct explore *e, xmm_domid_t dom)
{
    const struct sim_op *op = sim_op_find("domain_destroy");
    struct sim_res a[SIM_MAX_ARGS];
    struct sim_exec_out out;

    memset(a, 0, sizeof(a));
    memset(&out, 0, sizeof(out));
    a[DD_DOM].present = true;
    a[DD_DOM].kind = SIM_V_INT;
    a[DD_DOM].u = dom;
    return op->exec(&e->x, a, &out);
}

/*
 * From the world of a state: destroy every domain (id order), run the
 * clock on for the liveness ticks, destroy what is left again, then check.
 * Left behind may be only a zombie, and only under ffa_refused=zombie.
 */
static void ex_teardown(struct explore *e, struct ex_teardown *t)
{
    struct xmm_world *w = e->x.w;
    size_t i, r;

    memset(t, 0, sizeof(*t));
    for (r = 0; r < 2; r++) {
        for (i = 0; i < xmm_domain_count(w) && t->ndoms[r] < 64; i++)
            t->doms[r][t->ndoms[r]++] = xmm_domain_id_at(w, i);
        for (i = 0; i < t->ndoms[r]; i++)
            ex_destroy(e, t->doms[r][i]);
        if (r == 0)
            xmm_world_advance(w, e->liveness);
    }
    if (xmm_check_full(w, e->rep) > 0) {
        t->failed = t->violated = true;
        t->inv = e->rep->kept ? e->rep->v[0].inv : XMM_INV_COUNT;
        return;
    }
    for (i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t d = xmm_domain_id_at(w, i);
        enum xmm_domain_state s = xmm_domain_state(w, d);

        if (s == XMM_DOMAIN_ZOMBIE && xmm_world_policy(w)->ffa_refused == XMM_FFA_REFUSED_ZOMBIE)
            continue;
        t->failed = true;
        t->stuck = d;
        t->stuck_state = s;
        return;
    }
}

/* --- the counterexample --------------------------------------------------- */

static void ex_step_int(struct sim_step *st, const char *opname, int row, uint64_t u)
{
    memset(st, 0, sizeof(*st));
    st->op = sim_op_find(opname);
    st->as_var = -1;
    st->vals = g_new0(struct sim_val, st->op->arg_count);
    st->vals[row].kind = SIM_V_INT;
    st->vals[row].u = u;
}

/*
 * Replay the path (+ teardown) recording return codes, write the scenario
 * to DIR/NAME.yaml and run it back.  Return: the path written (g_free).
 */
static char *ex_write(struct explore *e, const uint32_t *path, uint32_t d, bool violation,
                      enum xmm_invariant inv, const struct ex_teardown *t, const char *out_dir)
{
    struct sim_scenario *sc = e->sc, w;
    size_t extra = t ? t->ndoms[0] + t->ndoms[1] + 1 : 0;
    size_t n0 = sc->step_count, nsteps = n0 + d + extra, i, k;
    struct sim_step *steps = g_new0(struct sim_step, nsteps + 1);
    GString *s;
    char *file, *text, *base;
    int rc;

    ex_world(e);
    for (i = 0; i < n0; i++)
        steps[i] = sc->steps[i];
    for (i = 0; i < d; i++) {
        steps[n0 + i] = *e->alpha[path[i]];
        steps[n0 + i].note = NULL;
        rc = ex_op(e, path[i], n0 + i + 1);
        steps[n0 + i].has_expect = rc != 0;
        steps[n0 + i].expect_any = false;
        steps[n0 + i].expect_fam = steps[n0 + i].op->family;
        steps[n0 + i].expect_rc = rc;
    }
    k = n0 + d;
    if (t) {
        for (size_t r = 0; r < 2; r++) {
            for (i = 0; i < t->ndoms[r]; i++, k++) {
                ex_step_int(&steps[k], "domain_destroy", DD_DOM, t->doms[r][i]);
                xmm_world_set_step(e->x.w, (uint32_t)k + 1);
                rc = ex_destroy(e, t->doms[r][i]);
                steps[k].has_expect = rc != 0;
                steps[k].expect_fam = steps[k].op->family;
                steps[k].expect_rc = rc;
            }
            if (r == 0) {
                ex_step_int(&steps[k], "advance", ADV_TICKS, e->liveness);
                xmm_world_advance(e->x.w, e->liveness);
                k++;
            }
        }
    }
    ex_world_free(e);
    w = *sc;
    w.steps = steps;
    w.step_count = k;
    w.explore = NULL;
    w.expect_violation = violation;
    w.violation = inv;
    w.name = g_strdup_printf("%s-counterexample", sc->name);
    if (t && !violation)
        w.description = g_strdup_printf(
            "Found by xmm-sim explore %s: after these %u ops, destroying every domain and "
            "running the clock on for %" PRIu64 " ticks leaves d%u %s (teardown liveness).",
            sc->file, d, e->liveness, (unsigned)t->stuck,
            xmm_domain_state_name(t->stuck_state));
    else
        w.description = g_strdup_printf(
            "Found by xmm-sim explore %s: the shortest op sequence of its alphabet that %s "
            "(%u ops after the setup%s).",
            sc->file, t ? "leads to a teardown that violates an invariant" : "violates an invariant",
            d, t ? ", then the teardown" : "");
    s = g_string_new(NULL);
    text = sim_scenario_to_yaml(&w);
    g_string_append(s, text);
    g_free(text);
    if (t && !violation)
        g_string_append_printf(s, "  - check: {domain: %u, state: %s}\n", (unsigned)t->stuck,
                               sim_domain_states[t->stuck_state == XMM_DOMAIN_RUNNING ? 1
                                                 : t->stuck_state == XMM_DOMAIN_DYING ? 2
                                                                                      : 3]);
    base = g_strdup_printf("%s.yaml", w.name);
    file = g_build_filename(out_dir, base, NULL);
    g_free(base);
    if (g_mkdir_with_parents(out_dir, 0755) != 0 ||
        !g_file_set_contents(file, s->str, (gssize)s->len, NULL)) {
        fprintf(stderr, "xmm-sim explore: cannot write %s\n", file);
        g_free(file);
        file = NULL;
    }
    g_string_free(s, TRUE);
    for (i = n0 + d; i < k; i++)
        g_free(steps[i].vals);
    g_free(steps);
    g_free(w.name);
    g_free(w.description);
    return file;
}

/* Run the written file; true when it passes (it shows what it claims). */
static bool ex_verify(const char *file)
{
    struct sim_scenario *sc;
    struct sim_error err;
    struct sim_run_opts ro = { .check_override = -1 };
    struct sim_result res;
    bool ok;

    if (sim_load_file(file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", file, err.line, err.col, err.msg);
        return false;
    }
    ok = sim_run(sc, &ro, NULL, NULL, &res) == 0;
    sim_result_clear(&res);
    sim_scenario_free(sc);
    return ok;
}

static void ex_print_path(const struct explore *e, const uint32_t *path, uint32_t d)
{
    for (uint32_t i = 0; i < d; i++) {
        const struct sim_step *st = e->alpha[path[i]];
        GString *s = g_string_new(NULL);

        sim_format_args(st->op, st->vals, &e->alpha_res[(size_t)path[i] * SIM_MAX_ARGS], false,
                        s);
        printf("  %u. %s %s\n", i + 1, st->op->name, s->str);
        g_string_free(s, TRUE);
    }
}

/* --- the search ----------------------------------------------------------- */

/* --- expansion by workers (-j N) ------------------------------------------- */

/*
 * With -j N the states of one depth are expanded by N workers, each with
 * its own worlds, allocator, clone stack and check report (a copy of the
 * search's struct whose store it only reads), in chunks of EX_CHUNK
 * consecutive states handed out in order.  Per transition that changes the
 * digest a worker records the digest (and, with liveness on, the teardown
 * of a digest no earlier depth stored, when it fails); it stops at a
 * violation.  The calling thread then goes through the records in the
 * order the search of -j 1 makes them, storing states and stopping where
 * it would: the same states under the same indices, the same result.
 */
#define EX_CHUNK 16
#define EX_MAX_JOBS 64

enum ex_rkind { EX_R_STATE, EX_R_VIOLATION, EX_R_NO_STACK, EX_R_NO_WORLD };

struct ex_result {
    uint64_t digest;
    uint32_t s, a;
    enum ex_rkind kind;
    enum xmm_invariant inv; /* EX_R_VIOLATION */
    int32_t td;             /* the failed teardown's index in the chunk's tds, or -1 */
};

struct ex_chunk {
    GArray *res; /* struct ex_result, in the search's order */
    GArray *tds; /* struct ex_teardown */
};

struct ex_par {
    const struct explore *e;
    struct explore *wk; /* [jobs] */
    unsigned jobs;
    uint32_t first, count; /* the states of the depth */
    struct ex_chunk *chunks;
    gint nchunks;
    gint next; /* the next chunk to hand out */
    gint stop; /* no chunk after this one matters (it has a violation) */
};

struct ex_wctx {
    struct ex_par *p;
    struct explore *w;
};

static void ex_par_stop(struct ex_par *p, gint c)
{
    for (;;) {
        gint old = g_atomic_int_get(&p->stop);

        if (c >= old || g_atomic_int_compare_and_exchange(&p->stop, old, c))
            return;
    }
}

/* The loop body of ex_search for the states of chunk c, recording instead of storing. */
static void ex_expand_chunk(struct ex_par *p, struct explore *w, gint c)
{
    struct ex_chunk *ch = &p->chunks[c];
    uint32_t s0 = p->first + (uint32_t)c * EX_CHUNK;
    uint32_t end = MIN(s0 + EX_CHUNK, p->first + p->count);

    for (uint32_t s = s0; s < end; s++) {
        uint32_t pd = ex_path(w, s, w->path);
        uint64_t base = 0, base_s = 0;
        struct ex_result r = { .s = s, .td = -1 };

        if (!w->replay && ex_stack(w, w->path, pd) != 0) {
            r.kind = EX_R_NO_STACK;
            g_array_append_val(ch->res, r);
            ex_par_stop(p, c);
            return;
        }
        if (!w->replay)
            base_s = xmm_world_digest(w->stack[pd]);
        for (uint32_t a = 0; a < w->nalpha; a++) {
            r.a = a;
            r.td = -1;
            if (!w->x.w) {
                if (w->replay ? ex_replay(w, w->path, pd) != 0
                              : xmm_world_clone_shared(w->stack[pd], &w->x.w) != 0) {
                    r.kind = EX_R_NO_WORLD;
                    g_array_append_val(ch->res, r);
                    ex_par_stop(p, c);
                    return;
                }
                if (w->replay)
                    xmm_check_incremental(w->x.w, w->rep);
                base = w->replay ? xmm_world_digest(w->x.w) : base_s;
            }
            ex_op(w, a, w->sc->step_count + pd + 1);
            r.digest = xmm_world_digest(w->x.w);
            if (r.digest == base)
                continue; /* see ex_search */
            if (xmm_check_incremental(w->x.w, w->rep) > 0) {
                r.kind = EX_R_VIOLATION;
                r.inv = w->rep->kept ? w->rep->v[0].inv : XMM_INV_COUNT;
                g_array_append_val(ch->res, r);
                ex_world_free(w);
                ex_par_stop(p, c);
                return;
            }
            assert(xmm_world_digest(w->x.w) == r.digest);
            if (w->nperm) {
                w->path[pd] = a;
                ex_world_free(w);
                r.digest = ex_canonical(w, w->path, pd + 1, r.digest);
                ex_replay(w, w->path, pd + 1);
            }
            r.kind = EX_R_STATE;
            if (w->liveness && !p->e->tab[ex_slot(p->e, r.digest)]) {
                struct ex_teardown td;

                ex_teardown(w, &td);
                if (td.failed) {
                    r.td = (int32_t)ch->tds->len;
                    g_array_append_val(ch->tds, td);
                }
            }
            g_array_append_val(ch->res, r);
            ex_world_free(w);
        }
        if (w->x.w)
            ex_world_free(w);
    }
}

static gpointer ex_worker(gpointer data)
{
    struct ex_wctx *t = data;
    struct ex_par *p = t->p;

    for (;;) {
        gint c = g_atomic_int_add(&p->next, 1);

        if (c >= p->nchunks || c > g_atomic_int_get(&p->stop))
            return NULL;
        ex_expand_chunk(p, t->w, c);
    }
}

/*
 * The workers' own state: the search's struct with its own worlds,
 * allocator and report; the world after the setup built again (it
 * digests as the search's).  Return: 0, or 2 (message printed).
 */
static int ex_workers_init(struct explore *e, struct ex_par *p, unsigned jobs)
{
    (void)sim_op_check(); /* lazily set statics are set before any thread reads them */
    (void)sim_op_show();
    p->jobs = jobs;
    p->wk = g_new0(struct explore, jobs);
    for (unsigned i = 0; i < jobs; i++) {
        struct explore *w = &p->wk[i];

        *w = *e;
        w->x.w = NULL;
        memset(w->stack, 0, sizeof(w->stack));
        w->top = 0;
        w->cache = g_new0(struct ex_cache, 1);
        w->rep = g_new0(struct xmm_check_report, 1);
        if (e->replay)
            continue;
        if (ex_world(w) != 0 ||
            (xmm_check_incremental(w->x.w, w->rep), xmm_world_digest(w->x.w)) !=
                xmm_world_digest(e->stack[0])) {
            fprintf(stderr, "xmm-sim explore: a worker's world differs from the setup's\n");
            return 2;
        }
        w->stack[0] = w->x.w;
        w->x.w = NULL;
    }
    return 0;
}

static void ex_workers_free(struct ex_par *p)
{
    for (unsigned i = 0; p->wk && i < p->jobs; i++) {
        ex_stack_free(&p->wk[i]);
        ex_cache_free(p->wk[i].cache); /* after the worker's last world */
        g_free(p->wk[i].rep);
    }
    g_free(p->wk);
    p->wk = NULL;
}

struct ex_found {
    bool found, live, stopped;
    enum xmm_invariant inv;
    struct ex_teardown td;
    uint32_t d;
    uint32_t *path;
};

/*
 * Expand the states level[d]..level[d + 1] with the workers, then store
 * what they found in the order of the search.  Return: 0, or 2 (message
 * printed).
 */
static int ex_level_par(struct explore *e, struct ex_par *p, uint32_t first, uint32_t count,
                        struct ex_found *f)
{
    GThread *th[EX_MAX_JOBS];
    struct ex_wctx ctx[EX_MAX_JOBS];
    int ret = 0;

    p->e = e;
    p->first = first;
    p->count = count;
    p->nchunks = (gint)((count + EX_CHUNK - 1) / EX_CHUNK);
    p->next = 0;
    p->stop = p->nchunks;
    p->chunks = g_new0(struct ex_chunk, (size_t)p->nchunks);
    for (gint c = 0; c < p->nchunks; c++) {
        p->chunks[c].res = g_array_new(FALSE, FALSE, sizeof(struct ex_result));
        p->chunks[c].tds = g_array_new(FALSE, FALSE, sizeof(struct ex_teardown));
    }
    for (unsigned i = 0; i < p->jobs; i++) { /* the store as it is now, read only */
        p->wk[i].st = e->st;
        p->wk[i].n = e->n;
        p->wk[i].tab = e->tab;
        p->wk[i].tab_cap = e->tab_cap;
        ctx[i].p = p;
        ctx[i].w = &p->wk[i];
    }
    for (unsigned i = 1; i < p->jobs; i++)
        th[i] = g_thread_new("xmm-sim-explore", ex_worker, &ctx[i]);
    ex_worker(&ctx[0]);
    for (unsigned i = 1; i < p->jobs; i++)
        g_thread_join(th[i]);

    for (gint c = 0; c < p->nchunks && !f->found && !f->stopped && ret == 0; c++) {
        const struct ex_chunk *ch = &p->chunks[c];

        for (guint k = 0; k < ch->res->len; k++) {
            const struct ex_result *r = &g_array_index(ch->res, struct ex_result, k);
            uint64_t ran = (uint64_t)(r->s - first) * e->nalpha + r->a + 1;
            uint32_t n = (uint32_t)e->n;

            if (r->kind == EX_R_NO_STACK || r->kind == EX_R_NO_WORLD) {
                fprintf(stderr, r->kind == EX_R_NO_STACK
                                    ? "xmm-sim explore: out of memory\n"
                                    : "xmm-sim explore: the world could not be built\n");
                ret = 2;
                break;
            }
            if (r->kind == EX_R_VIOLATION) {
                f->found = true;
                f->inv = r->inv;
                f->d = ex_path(e, r->s, f->path);
                f->path[f->d++] = r->a;
                e->transitions += ran;
                break;
            }
            if (ex_add(e, r->digest, r->s, r->a) && e->liveness && r->td >= 0) {
                f->found = f->live = true;
                f->td = g_array_index(ch->tds, struct ex_teardown, (guint)r->td);
                f->d = ex_path(e, n, f->path);
                e->transitions += ran;
                break;
            }
            if (e->max_states && e->n >= e->max_states) {
                f->stopped = true;
                e->transitions += ran;
                break;
            }
        }
    }
    if (!f->found && !f->stopped)
        e->transitions += (uint64_t)count * e->nalpha;
    for (gint c = 0; c < p->nchunks; c++) {
        g_array_free(p->chunks[c].res, TRUE);
        g_array_free(p->chunks[c].tds, TRUE);
    }
    g_free(p->chunks);
    p->chunks = NULL;
    return ret;
}

static double ex_now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* One report line per policy knob that is not at its default. */
static void ex_print_policy(const struct xmm_policy *p)
{
    bool any = false;

    printf("policy:");
    for (size_t i = 0; i < sim_policy_knob_count; i++) {
        const struct sim_policy_knob *k = &sim_policy_knobs[i];
        unsigned v = k->get(p);

        if (v) {
            printf(" %s=%s", k->name, k->values[v]);
            any = true;
        }
    }
    printf("%s\n", any ? "" : " defaults");
}

static int ex_search(struct explore *e, const struct ex_args *ea)
{
    uint32_t level[SIM_EXPLORE_MAX_DEPTH + 2];
    uint32_t d, done = 0, found_d = 0;
    uint32_t found_path[SIM_EXPLORE_MAX_DEPTH + 1];
    enum xmm_invariant inv = XMM_INV_COUNT;
    struct ex_teardown td;
    bool found = false, found_live = false, stopped = false, fixpoint = false;
    double t0 = ex_now(), secs, cpu;
    clock_t c0 = clock();
    const char *why;
    bool sym;
    int rc;
    struct ex_par par = { 0 };

    e->rep = g_new0(struct xmm_check_report, 1);
    rc = ex_prepare(e, &inv);
    if (rc == 2)
        return 2;
    sym = !ea->no_symmetry && ex_symmetry(e, &why);
    if (ea->no_symmetry)
        why = "--no-symmetry";
    printf("explore %s: %zu ops in the alphabet, depth %u", e->sc->file, e->nalpha, e->depth);
    if (e->max_states)
        printf(", at most %" PRIu64 " states", e->max_states);
    printf("\n");
    ex_print_policy(&e->sc->world.policy);
    if (sym) {
        printf("symmetry reduction: on (ids");
        for (size_t i = 0; i < e->sc->explore->symmetric_count; i++)
            printf(" %u", (unsigned)e->sc->explore->symmetric[i]);
        printf(", %zu permutations)\n", e->nperm + 1);
    } else {
        printf("symmetry reduction: off (%s)\n", why);
    }
    if (e->liveness)
        printf("liveness: teardown from every state, clock run on %" PRIu64 " ticks\n",
               e->liveness);
    else
        printf("liveness: off\n");
    printf("expansion: %s\n", e->replay ? "replay from the initial world (--replay)"
                                          : "clone of the parent's world");
    if (ea->jobs > 1)
        printf("workers: %u (-j)\n", ea->jobs);
    if (rc == 1) {
        printf("result: the setup steps already violate %s\n", xmm_invariant_name(inv));
        return 1;
    }
    /* the initial state */
    ex_replay(e, NULL, 0);
    ex_add(e, xmm_world_digest(e->x.w), EX_NONE, EX_NONE); /* every image is itself */
    if (e->liveness) {
        ex_teardown(e, &td);
        if (td.failed)
            found = found_live = true;
    }
    ex_world_free(e);
    level[0] = 0;
    level[1] = 1;
    if (ea->jobs > 1 && !found && ex_workers_init(e, &par, ea->jobs) != 0) {
        ex_workers_free(&par);
        return 2;
    }
    for (d = 0; d < e->depth && !found && !stopped; d++) {
        if (par.wk) {
            struct ex_found f = { .path = found_path };

            if (ex_level_par(e, &par, level[d], level[d + 1] - level[d], &f) != 0) {
                ex_workers_free(&par);
                return 2;
            }
            found = f.found;
            found_live = f.live;
            stopped = f.stopped;
            found_d = f.d;
            if (f.live)
                td = f.td;
            else if (f.found)
                inv = f.inv;
        }
        for (uint32_t s = level[d]; !par.wk && s < level[d + 1] && !found && !stopped; s++) {
            uint32_t pd = ex_path(e, s, e->path);
            uint64_t base = 0, base_s = 0;

            if (!e->replay && ex_stack(e, e->path, pd) != 0) {
                fprintf(stderr, "xmm-sim explore: out of memory\n");
                return 2;
            }
            /* a clone digests as its original: s's digest once, not per clone */
            if (!e->replay)
                base_s = xmm_world_digest(e->stack[pd]);
            for (uint32_t a = 0; a < e->nalpha && !found && !stopped; a++) {
                uint64_t dig;
                uint32_t n;

                if (!e->x.w) {
                    /* the world of s, its change set checked (clean: s was) */
                    if (e->replay ? ex_replay(e, e->path, pd) != 0
                                  : xmm_world_clone_shared(e->stack[pd], &e->x.w) != 0) {
                        fprintf(stderr, "xmm-sim explore: the world could not be built\n");
                        return 2;
                    }
                    if (e->replay) /* a clone's change set is empty: stack[pd]'s was checked */
                        xmm_check_incremental(e->x.w, e->rep);
                    base = e->replay ? xmm_world_digest(e->x.w) : base_s;
                }
                ex_op(e, a, e->sc->step_count + pd + 1);
                e->transitions++;
                /*
                 * The digest before the check (the check changes no part of
                 * it unless it finds a violation flagged during the call,
                 * which is part of it).  Unchanged: the world is s's again,
                 * whose state was checked; what a call flags, and the lock
                 * graph, are in the digest, so such a call is not this
                 * case.  The world serves the next op, its change set
                 * checked with that op's.
                 */
                dig = xmm_world_digest(e->x.w);
                if (dig == base)
                    continue;
                if (xmm_check_incremental(e->x.w, e->rep) > 0) {
                    /* on the transition, whether or not its state is new */
                    inv = e->rep->kept ? e->rep->v[0].inv : XMM_INV_COUNT;
                    found = true;
                    found_d = ex_path(e, s, found_path);
                    found_path[found_d++] = a;
                    ex_world_free(e);
                    break;
                }
                assert(xmm_world_digest(e->x.w) == dig);
                if (e->nperm) {
                    e->path[pd] = a;
                    ex_world_free(e);
                    dig = ex_canonical(e, e->path, pd + 1, dig);
                    ex_replay(e, e->path, pd + 1);
                }
                n = (uint32_t)e->n;
                if (ex_add(e, dig, s, a) && e->liveness) {
                    ex_teardown(e, &td);
                    if (td.failed) {
                        found = found_live = true;
                        found_d = ex_path(e, n, found_path);
                    }
                }
                ex_world_free(e);
                if (!found && e->max_states && e->n >= e->max_states)
                    stopped = true;
            }
            if (e->x.w)
                ex_world_free(e);
        }
        level[d + 2] = (uint32_t)e->n;
        if (!found && !stopped) {
            done = d + 1;
            if (level[d + 2] == level[d + 1]) {
                fixpoint = true;
                break;
            }
        }
    }
    secs = ex_now() - t0;
    cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ex_workers_free(&par);
    ex_stack_free(e);
    if (found) {
        bool viol = !found_live || td.violated;
        enum xmm_invariant vinv = found_live ? td.inv : inv;
        char *file;

        if (found_live && td.violated)
            printf("result: teardown after %u ops violates %s\n", found_d,
                   xmm_invariant_name(vinv));
        else if (found_live)
            printf("result: liveness: after %u ops and the teardown, d%u stays %s\n", found_d,
                   (unsigned)td.stuck, xmm_domain_state_name(td.stuck_state));
        else
            printf("result: violation %s after %u ops (the shortest trace)\n",
                   xmm_invariant_name(vinv), found_d);
        ex_print_path(e, found_path, found_d);
        file = ex_write(e, found_path, found_d, viol, vinv, found_live ? &td : NULL,
                        ea->out_dir ? ea->out_dir : ".");
        if (file) {
            printf("written: %s (%s with xmm-sim run)\n", file,
                   ex_verify(file) ? "reproduces" : "DOES NOT reproduce");
            g_free(file);
        }
    } else if (fixpoint) {
        printf("result: exhausted clean: no new state at depth %u (every reachable state "
               "seen)\n", done + 1);
    } else if (stopped) {
        printf("result: clean so far: stopped at %" PRIu64 " states (--max-states)\n",
               (uint64_t)e->n);
    } else {
        printf("result: exhausted clean to depth %u\n", done);
    }
    printf("distinct states: %zu\n", e->n);
    printf("transitions: %" PRIu64 "\n", e->transitions);
    printf("depth completed: %u\n", done);
    printf("seconds: %.3f (cpu %.3f)\n", secs, cpu);
    printf("states/s: %.0f (per cpu second %.0f)\n", secs > 0 ? (double)e->n / secs : 0.0,
           cpu > 0 ? (double)e->n / cpu : 0.0);
    printf("bytes/state: %.1f (%zu-byte records, %zu table slots)\n",
           e->n ? (double)(e->cap * sizeof(struct ex_rec) + e->tab_cap * sizeof(uint32_t)) /
                      (double)e->n
                : 0.0,
           sizeof(struct ex_rec), e->tab_cap);
    return found ? 1 : 0;
}

/* --- command line --------------------------------------------------------- */

static int ex_usage(const char *fmt, const char *arg)
{
    return sim_cli_usage_error(&sim_cli_explore, fmt, arg);
}

static int ex_parse(int argc, char **argv, struct ex_args *ea)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;

        if (sim_cli_is_help(a)) {
            sim_cli_cmd_help(stdout, &sim_cli_explore);
            return 0;
        }
        if (strcmp(a, "--depth") == 0) {
            if (!v || sim_parse_u64(v, &u) != SIM_NUM_OK || u == 0 || u > SIM_EXPLORE_MAX_DEPTH)
                return ex_usage("--depth needs a number from 1 to 64, got '%s'", v ? v : "");
            ea->depth = (uint32_t)u;
            i++;
        } else if (strcmp(a, "--max-states") == 0) {
            if (!v || sim_parse_u64(v, &u) != SIM_NUM_OK || u == 0 || u >= EX_NONE)
                return ex_usage("--max-states needs a positive number, got '%s'", v ? v : "");
            ea->max_states = u;
            i++;
        } else if (strcmp(a, "--liveness") == 0) {
            if (!v || sim_parse_u64(v, &u) != SIM_NUM_OK || u > SIM_MAX_TICKS)
                return ex_usage("--liveness needs a number of ticks (0: off), got '%s'",
                                v ? v : "");
            ea->has_liveness = true;
            ea->liveness = u;
            i++;
        } else if (strcmp(a, "--ops") == 0) {
            if (!v)
                return ex_usage("--ops needs a comma-separated list of op names%s", "");
            ea->ops = v;
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (!v)
                return ex_usage("--out needs a directory%s", "");
            ea->out_dir = v;
            i++;
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0 ||
                   (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9')) {
            const char *n = a[1] == 'j' && a[2] ? a + 2 : v;

            if (!sim_parse_jobs(n, EX_MAX_JOBS, &ea->jobs))
                return ex_usage("-j needs a number of workers (0 to 64; 0 = one per CPU), "
                                "got '%s'", n ? n : "");
            if (n == v)
                i++;
        } else if (strcmp(a, "--replay") == 0) {
            ea->replay = true;
        } else if (strcmp(a, "--no-symmetry") == 0) {
            ea->no_symmetry = true;
        } else if (strcmp(a, "--policy") == 0) {
            char *knob;
            const char *eq;
            const struct sim_policy_knob *k;
            int idx;

            if (!v || !(eq = strchr(v, '=')))
                return ex_usage("--policy needs KNOB=VALUE, got '%s'", v ? v : "");
            knob = g_strndup(v, (size_t)(eq - v));
            k = sim_policy_find(knob);
            g_free(knob);
            if (!k)
                return ex_usage("unknown policy knob in '%s'", v);
            if ((idx = sim_enum_index(k->values, eq + 1)) < 0)
                return ex_usage("unknown policy value in '%s'", v);
            k->set(&ea->policy, (unsigned)idx);
            ea->policy_set |= UINT32_C(1) << (k - sim_policy_knobs);
            i++;
        } else if (a[0] == '-' && a[1]) {
            return ex_usage("unknown option '%s'", a);
        } else if (ea->file) {
            return ex_usage("one scenario file only (also '%s')", a);
        } else {
            ea->file = a;
        }
    }
    if (!ea->file)
        return ex_usage("no scenario file given%s", "");
    return -1;
}

/* Keep the alphabet ops --ops names; 2 (usage) for a name not in the op table. */
static int ex_filter(struct explore *e, const char *list)
{
    struct sim_explore *ex = e->sc->explore;
    char **names = list ? g_strsplit(list, ",", -1) : NULL;
    size_t i, j;
    int rc = 0;

    for (i = 0; names && names[i]; i++)
        if (!sim_op_find(g_strstrip(names[i]))) {
            rc = ex_usage("--ops: '%s' is not an op of the op table (xmm-sim ops lists them)",
                          names[i]);
            goto out;
        }
    e->alpha = g_new0(const struct sim_step *, ex->op_count + 1);
    for (i = 0; i < ex->op_count; i++) {
        bool keep = !names;

        for (j = 0; names && names[j]; j++)
            keep |= strcmp(names[j], ex->ops[i].op->name) == 0;
        if (keep)
            e->alpha[e->nalpha++] = &ex->ops[i];
    }
    if (e->nalpha == 0)
        rc = ex_usage("--ops '%s' keeps no op of the alphabet", list);
out:
    g_strfreev(names);
    return rc;
}

int sim_cmd_explore(int argc, char **argv)
{
    struct ex_args ea;
    struct explore e;
    struct sim_error err;
    int rc;

    memset(&ea, 0, sizeof(ea));
    ea.jobs = MIN(sim_online_cpus(), EX_MAX_JOBS); /* -j's default: one worker per CPU */
    memset(&e, 0, sizeof(e));
#ifdef M_TRIM_THRESHOLD
    /* worlds come and go by the million: keep the heap instead of trimming it */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    rc = ex_parse(argc, argv, &ea);
    if (rc >= 0)
        return rc;
    if (sim_load_file(ea.file, &e.sc, &err) != 0) {
        fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", ea.file, err.line, err.col, err.msg);
        return SIM_EXIT_USAGE;
    }
    e.cache = g_new0(struct ex_cache, 1); /* freed at out: */
    if (!e.sc->explore) {
        fprintf(stderr, "%s:1:1: explore: the scenario has no `explore` key (the op alphabet)\n",
                ea.file);
        rc = SIM_EXIT_USAGE;
        goto out;
    }
    e.depth = ea.depth ? ea.depth : e.sc->explore->depth;
    if (e.depth == 0) {
        fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": explore: no depth (give explore.depth or "
                        "--depth K)\n", ea.file, e.sc->explore->line, e.sc->explore->col);
        rc = SIM_EXIT_USAGE;
        goto out;
    }
    if ((rc = ex_filter(&e, ea.ops)) != 0)
        goto out;
    for (size_t i = 0; i < sim_policy_knob_count; i++)
        if (ea.policy_set & (UINT32_C(1) << i))
            sim_policy_knobs[i].set(&e.sc->world.policy, sim_policy_knobs[i].get(&ea.policy));
    e.max_states = ea.max_states;
    e.replay = ea.replay;
    e.liveness = ea.has_liveness ? ea.liveness : e.sc->explore->liveness_ticks;
    e.x.sc = e.sc;
    e.x.out_dir = ea.out_dir ? ea.out_dir : ".";
    e.alpha_res = g_new0(struct sim_res, (e.nalpha + 1) * SIM_MAX_ARGS);
    rc = ex_search(&e, &ea);
out:
    ex_stack_free(&e);
    xmm_world_free(e.x.w);
    ex_cache_free(e.cache); /* after the last world */
    g_free(e.st);
    g_free(e.tab);
    g_free(e.perm);
    g_free(e.rep);
    g_free(e.alpha);
    g_free(e.alpha_res);
    g_free(e.setup_res);
    sim_scenario_free(e.sc);
    return rc;
}
