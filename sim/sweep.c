/*
 * xmm-sim run --fail-alloc-sweep: every allocation of every scenario fails
 * in turn.
 *
 * A scenario is run once to count the allocations its steps make (the
 * invariant checker's between steps are not counted), then once per
 * allocation with that one failing (transient), then once more per
 * allocation with every one from it on failing (sticky).  Each step during
 * which an injected failure happened must:
 *  - return its family's out-of-memory code: ENOMEM; GNTST_no_space (no
 *    maptrack frame, map_grant_ref) or GNTST_general_error (no P2M node:
 *    Arm's create_grant_host_mapping); FFA_RET_NO_MEMORY; a check step must
 *    report that it could not check;
 *  - leave the digest and the blocks the world holds as they were;
 *  - leave every invariant holding (a full sweep, injection off).
 * No op is exempt: domain_destroy (Xen's domain_kill returns only 0 or
 * ERESTART) and advance (a timer returns nothing) must not hit an
 * allocation at all; the sweep found the one teardown path that did
 * (settling a refused FF-A share, ffa.c: refuse) and it no longer does.
 * From the first hit on, the scenario's own expectations are not judged;
 * the run goes on to its end (invariants still checked as the scenario
 * says), and xmm_world_free must give back every block.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "sweep.h"

/* A libc allocator that counts the blocks live. */
struct sweep_heap {
    uint64_t live;
};

static void *heap_alloc(void *ctx, size_t size)
{
    struct sweep_heap *h = ctx;
    void *p = calloc(1, size);

    if (p)
        h->live++;
    return p;
}

static void heap_free(void *ctx, void *p, size_t size)
{
    struct sweep_heap *h = ctx;

    (void)size;
    h->live--;
    free(p);
}

struct sweep {
    const struct sim_scenario *sc;
    const char *file;
    uint64_t target;   /* allocation (1-based, counted over steps) that fails; 0: none */
    bool sticky;
    uint64_t seen;     /* allocations made by steps so far */
    bool hit;          /* an injected failure has happened */
    bool judge_inv;    /* the world is clean before each step: checks every_step or full */
    size_t hit_step;
    bool own;          /* the scenario has fail_alloc steps: it is run, not swept */
    uint64_t later_violations; /* runs stopped by a violation steps after the failure */
    /* the step being run */
    uint64_t dig, calls, fails;
    size_t blocks;
    struct sweep_heap heap;
    struct xmm_check_report rep;
    GPtrArray *problems;
};

static void sweep_problem(struct sweep *s, size_t step, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void sweep_problem(struct sweep *s, size_t step, const char *fmt, ...)
{
    GString *g = g_string_new(NULL);
    va_list ap;

    g_string_append_printf(g, "%s: allocation %" PRIu64 " failing (%s)", s->file, s->target,
                            s->sticky ? "sticky" : "transient");
    if (step)
        g_string_append_printf(g, ", step %zu", step);
    g_string_append(g, ": ");
    va_start(ap, fmt);
    g_string_append_vprintf(g, fmt, ap);
    va_end(ap);
    g_ptr_array_add(s->problems, g_string_free(g, FALSE));
}

/* The out-of-memory codes of a family (upstream: see the file comment). */
static bool sweep_is_oom(enum xmm_rc_family fam, int rc)
{
    switch (fam) {
    case XMM_RC_GNTST:
        return rc == XMM_GNTST_no_space || rc == XMM_GNTST_general_error;
    case XMM_RC_FFA:
        return rc == XMM_FFA_RET_NO_MEMORY;
    default:
        return rc == -XMM_ENOMEM;
    }
}

static void sweep_before(void *ctx, struct xmm_world *w, size_t number)
{
    struct sweep *s = ctx;

    (void)number;
    s->dig = xmm_world_digest(w);
    s->calls = xmm_world_alloc_count(w);
    s->fails = xmm_world_alloc_failures(w);
    s->blocks = xmm_world_blocks_live(w);
    if (!s->target)
        return;
    if (s->hit && s->sticky)
        xmm_world_fail_alloc(w, 1, true);
    else if (!s->hit && s->target > s->seen)
        xmm_world_fail_alloc(w, s->target - s->seen, s->sticky);
}

static bool sweep_after(void *ctx, const struct sim_step_event *ev)
{
    struct sweep *s = ctx;
    struct xmm_world *w = ev->w;
    const struct sim_op *op = ev->st->op;
    int n;

    if (strcmp(op->name, "fail_alloc") == 0)
        s->own = true;
    xmm_world_fail_alloc(w, 0, false);
    s->seen += xmm_world_alloc_count(w) - s->calls;
    if (!s->target)
        return false;
    if (xmm_world_alloc_failures(w) == s->fails)
        return s->hit;
    if (!s->hit)
        s->hit_step = ev->number;
    s->hit = true;
    if (op->no_expect ? !ev->check_failed : !sweep_is_oom(op->family, ev->rc))
        sweep_problem(s, ev->number, "%s returned %s, not its out-of-memory code", op->name,
                      xmm_rc_name(op->family, ev->rc));
    if (xmm_world_digest(w) != s->dig)
        sweep_problem(s, ev->number, "%s failed but changed the world (digest)", op->name);
    if (xmm_world_blocks_live(w) != s->blocks)
        sweep_problem(s, ev->number, "%s failed but the world holds %zu blocks, %zu before",
                      op->name, xmm_world_blocks_live(w), s->blocks);
    memset(&s->rep, 0, sizeof(s->rep));
    n = xmm_check_full(w, &s->rep);
    if (n < 0)
        sweep_problem(s, ev->number, "full sweep after %s could not run (%s)", op->name,
                      xmm_strerror(n));
    else if (n > 0 && s->judge_inv)
        sweep_problem(s, ev->number, "after %s: %d violation(s), first %s: %s", op->name, n,
                      xmm_invariant_name(s->rep.v[0].inv), s->rep.v[0].detail);
    return true;
}

static void sweep_freed(void *ctx)
{
    struct sweep *s = ctx;

    if (s->heap.live)
        sweep_problem(s, 0, "xmm_world_free left %" PRIu64 " block(s) live", s->heap.live);
}

/* One run of sc with allocation `target` failing (0: none). */
static int sweep_run(struct sweep *s, const struct sim_run_opts *base, uint64_t target,
                     bool sticky)
{
    struct sim_run_hooks h = {
        .ctx = s,
        .allocator = { .alloc = heap_alloc, .free = heap_free, .ctx = &s->heap },
        .before_step = sweep_before,
        .after_step = sweep_after,
        .world_freed = sweep_freed,
    };
    struct sim_run_opts o = *base;
    enum sim_checks mode = base->check_override >= 0 ? (enum sim_checks)base->check_override
                                                     : s->sc->world.checks;
    struct sim_result res;
    int rc;

    /*
     * A scenario that checks after every step stops at its first violation,
     * so the world before each step is clean and the sweep after the failed
     * one must be too.  Under `end` or `off`, or expecting a violation, the
     * world may hold violations the scenario tolerates: the unchanged
     * digest stands for "nothing broke" there.
     */
    s->judge_inv = !s->sc->expect_violation &&
                   (mode == SIM_CHECKS_EVERY_STEP || mode == SIM_CHECKS_FULL);
    s->target = target;
    s->sticky = sticky;
    s->seen = 0;
    s->hit = false;
    s->hit_step = 0;
    s->heap.live = 0;
    o.hooks = &h;
    rc = sim_run(s->sc, &o, NULL, NULL, &res);
    if (target == 0 && rc != 0)
        sweep_problem(s, res.fail_step, "the scenario fails without injected failures: %s",
                      res.what ? res.what : "?");
    if (target && !s->hit)
        sweep_problem(s, 0, "the run made only %" PRIu64 " allocations", s->seen);
    if (target && s->hit) {
        switch (res.fail) {
        case SIM_FAIL_VIOLATION:
            /*
             * Judged at the step that failed (above).  A violation steps
             * later comes from the guest's different course (e.g. a map
             * that never happened), which the model allows: counted only.
             */
            s->later_violations++;
            break;
        case SIM_FAIL_SETUP:
            sweep_problem(s, res.fail_step, "after the failure at step %zu the run broke: %s",
                          s->hit_step, res.what);
            break;
        default:
            /* passed, a variable left unbound by the failed step, or (a
             * scenario expecting a violation) another or no violation */
            break;
        }
    }
    sim_result_clear(&res);
    return 0;
}

int sim_sweep_alloc(const struct sim_scenario *const *sc, size_t count,
                    const struct sim_run_opts *opts, FILE *out)
{
    uint64_t all_points = 0, all_runs = 0, all_problems = 0, all_later = 0;
    size_t i;

    for (i = 0; i < count; i++) {
        struct sweep s;
        uint64_t points, k;
        size_t before;

        memset(&s, 0, sizeof(s));
        s.sc = sc[i];
        s.file = sc[i]->file;
        s.problems = g_ptr_array_new_with_free_func(g_free);
        sweep_run(&s, opts, 0, false);
        points = s.own ? 0 : s.seen;
        before = s.problems->len;
        if (s.own)
            fprintf(out, "%s: drives its own allocation failures (fail_alloc): run once, not "
                         "swept\n", s.file);
        for (k = 1; before == 0 && k <= points; k++) {
            sweep_run(&s, opts, k, false);
            sweep_run(&s, opts, k, true);
        }
        fprintf(out,
                "%s: %" PRIu64 " allocation point%s, %" PRIu64 " runs (%" PRIu64
                " later violations), %u problem%s\n",
                s.file, points, points == 1 ? "" : "s", 1 + 2 * points, s.later_violations,
                s.problems->len, s.problems->len == 1 ? "" : "s");
        for (k = 0; k < s.problems->len; k++)
            fprintf(out, "  %s\n", (const char *)s.problems->pdata[k]);
        all_points += points;
        all_runs += 1 + 2 * points;
        all_problems += s.problems->len;
        all_later += s.later_violations;
        g_ptr_array_free(s.problems, TRUE);
    }
    fprintf(out,
            "fail-alloc sweep: %zu scenario%s, %" PRIu64 " allocation points, %" PRIu64
            " runs (%" PRIu64 " later violations), %" PRIu64 " problem%s\n",
            count, count == 1 ? "" : "s", all_points, all_runs, all_later, all_problems,
            all_problems == 1 ? "" : "s");
    fflush(out);
    return all_problems ? 1 : 0;
}
