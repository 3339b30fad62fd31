/*
 * xmm-sim - the runner (see run.h).
 *
 * Step numbers are 1-based everywhere a user sees them, and the same
 * number is given to xmm_world_set_step so that the event history names the
 * steps of the report.  Events before step 1 (world setup) carry step 0.
 */
#include "run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"
#include "timeline.h"

/* Histories printed per failure, and events per history. */
#define RUN_MAX_HISTORIES 4
#define RUN_HISTORY_EVENTS 32

struct run {
    const struct sim_scenario *sc;
    struct sim_result *res;
    struct sim_exec x;
    uint64_t *var_val;
    size_t *var_step;   /* step (1-based) that last bound or unbound the variable */
    uint32_t *var_line; /* its line */
    const struct sim_op **var_op; /* its op */
    int *var_rc;        /* what that step returned */
    guint8 *var_bound;
    struct xmm_check_report *rep;
    /* the step loop */
    enum sim_checks mode;
    sim_step_cb cb;
    void *cb_ctx;
    uint32_t line;      /* of the step being run */
    struct sim_lines lines; /* the line of every step run so far, for timelines */
    size_t done;        /* steps run to the end without stopping the run */
    bool stopped;
    const struct sim_run_hooks *hooks; /* never NULL (an empty set) */
    bool lenient;       /* after_step said: expectations are no longer judged */
};

/* Record the failure (the first one only) with its one-line summary. */
static void run_fail(struct run *r, enum sim_fail_kind kind, size_t step, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void run_fail(struct run *r, enum sim_fail_kind kind, size_t step, const char *fmt, ...)
{
    va_list ap;

    if (r->res->fail != SIM_FAIL_NONE)
        return;
    r->res->fail = kind;
    r->res->fail_step = step;
    r->res->fail_line = step ? r->line : 0;
    va_start(ap, fmt);
    r->res->what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* "step 3, line 12: populate dom=1 gfn=0x100 pages=16" */
static char *run_where(const struct sim_step *st, size_t number, const struct sim_res *args)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "step %zu, line %" PRIu32 ": %s", number, st->line, st->op->name);
    if (args) {
        g_string_append_c(s, ' ');
        sim_format_args(st->op, st->vals, args, false, s);
    }
    return g_string_free(s, FALSE);
}

/* Type a variable's value must fit when used in row a. */
static enum sim_type run_var_type(const struct sim_arg *a)
{
    if (a->type == SIM_T_NESTED)
        return a->int_alt;
    if (a->type == SIM_T_OWNER)
        return SIM_T_DOMID;
    return a->type;
}

/*
 * Resolve a step's values: defaults applied, variables substituted and
 * range-checked against the row they are used in.
 */
static bool run_resolve(struct run *r, const struct sim_step *st, size_t number,
                        struct sim_res *out)
{
    const struct sim_op *op = st->op;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];
        const struct sim_val *v = &st->vals[i];
        uint64_t min, max;

        if (!sim_res_of(a, st->vals, i, &out[i]))
            continue;
        if (v->kind != SIM_V_VAR)
            continue;
        if (!r->var_bound[v->u] && r->var_step[v->u] == 0) {
            run_fail(r, SIM_FAIL_RESOLVE, number, "%s.%s: variable $%s was never bound", op->name,
                     a->key, r->sc->vars[v->u]);
            return false;
        }
        if (!r->var_bound[v->u]) {
            run_fail(r, SIM_FAIL_RESOLVE, number,
                     "%s.%s: variable $%s has no value (step %zu, line %" PRIu32
                     ", which binds it, returned %s)",
                     op->name, a->key, r->sc->vars[v->u], r->var_step[v->u],
                     r->var_line[v->u], xmm_rc_name(r->var_op[v->u]->family, r->var_rc[v->u]));
            return false;
        }
        out[i].kind = SIM_V_INT;
        out[i].u = r->var_val[v->u];
        sim_arg_range(a, run_var_type(a), &min, &max);
        if (out[i].u < min || out[i].u > max) {
            run_fail(r, SIM_FAIL_RESOLVE, number,
                     "%s.%s: $%s = 0x%" PRIx64 " does not fit (range 0x%" PRIx64 "..0x%" PRIx64 ")",
                     op->name, a->key, r->sc->vars[v->u], out[i].u, min, max);
            return false;
        }
    }
    return true;
}

/* "frame mfn 0x40123" / "domain d1" / "p2m d1 gfn 0x10 -> mfn 0x40123" / "the world" */
static void run_subject(const struct xmm_violation *v, GString *s)
{
    switch (v->kind) {
    case XMM_SUBJECT_FRAME:
        g_string_append_printf(s, "frame mfn 0x%" PRIx64, xmm_mfn_x(v->mfn));
        break;
    case XMM_SUBJECT_DOMAIN:
        g_string_append_printf(s, "domain d%u", (unsigned)v->dom);
        break;
    case XMM_SUBJECT_P2M:
        g_string_append_printf(s, "p2m d%u gfn 0x%" PRIx64, (unsigned)v->dom, xmm_gfn_x(v->gfn));
        if (!xmm_mfn_eq(v->mfn, XMM_INVALID_MFN))
            g_string_append_printf(s, " -> mfn 0x%" PRIx64, xmm_mfn_x(v->mfn));
        break;
    default:
        g_string_append(s, "the world");
        break;
    }
}

/* A frame's timeline as detail lines, then the rule it broke (NULL: none). */
static void run_history(struct run *r, xmm_mfn_t mfn, const char *inv)
{
    sim_frame_timeline(r->x.w, &r->lines, mfn, RUN_HISTORY_EVENTS, r->res->details);
    if (inv)
        g_ptr_array_add(r->res->details, g_strdup_printf("  -> %s violated here", inv));
}

/* Detail lines for every violation kept in the report, with frame histories. */
static void run_violation_details(struct run *r, uint32_t count)
{
    const struct xmm_check_report *rep = r->rep;
    xmm_mfn_t shown[RUN_MAX_HISTORIES];
    size_t nshown = 0, k;
    uint32_t i;

    for (i = 0; i < rep->kept; i++) {
        const struct xmm_violation *v = &rep->v[i];
        GString *s = g_string_new(NULL);
        bool dup = false;

        g_string_append_printf(s, "violation: %s at ", xmm_invariant_name(v->inv));
        run_subject(v, s);
        g_string_append_printf(s, ": %s", v->detail);
        g_ptr_array_add(r->res->details, g_string_free(s, FALSE));
        if (v->kind != XMM_SUBJECT_FRAME && v->kind != XMM_SUBJECT_P2M)
            continue;
        if (xmm_mfn_eq(v->mfn, XMM_INVALID_MFN) || nshown == RUN_MAX_HISTORIES)
            continue;
        for (k = 0; k < nshown; k++)
            dup |= xmm_mfn_eq(shown[k], v->mfn);
        if (dup)
            continue;
        shown[nshown++] = v->mfn;
        run_history(r, v->mfn, xmm_invariant_name(v->inv));
    }
    if (count > rep->kept)
        g_ptr_array_add(r->res->details,
                        g_strdup_printf("(%" PRIu32 " violations in all, %" PRIu32 " shown)",
                                        count, rep->kept));
}

/*
 * Handle the result of an invariant check after step `number` (0: the
 * end-of-run sweep).  Return: true when the run stops here (a violation,
 * expected or not).
 */
static bool run_violations(struct run *r, int count, size_t number)
{
    const struct sim_scenario *sc = r->sc;
    uint32_t i;

    if (count < 0) {
        run_fail(r, SIM_FAIL_SETUP, number, "invariant check failed to run (%s)",
                 xmm_strerror(count));
        return true;
    }
    if (count == 0)
        return false;
    r->res->violated = true;
    r->res->inv = r->rep->kept ? r->rep->v[0].inv : XMM_INV_COUNT;
    if (r->rep->kept)
        r->res->first = r->rep->v[0];
    r->res->viol_step = number;
    run_violation_details(r, (uint32_t)count);
    if (sc->expect_violation) {
        for (i = 0; i < r->rep->kept; i++)
            if (r->rep->v[i].inv == sc->violation) {
                r->res->inv = sc->violation;
                r->res->first = r->rep->v[i];
                r->res->pass = true;
                return true;
            }
        run_fail(r, SIM_FAIL_WRONG_VIOLATION, number,
                 "expected violation %s, got %s", xmm_invariant_name(sc->violation),
                 r->res->inv < XMM_INV_COUNT ? xmm_invariant_name(r->res->inv) : "?");
        return true;
    }
    run_fail(r, SIM_FAIL_VIOLATION, number, "invariant violated: %s",
             r->res->inv < XMM_INV_COUNT ? xmm_invariant_name(r->res->inv) : "?");
    return true;
}

/* The invariant check after a step, as the check mode says. */
static bool run_step_checks(struct run *r, enum sim_checks mode, size_t number)
{
    memset(r->rep, 0, sizeof(*r->rep));
    if (mode == SIM_CHECKS_EVERY_STEP)
        return run_violations(r, (int)xmm_check_incremental(r->x.w, r->rep), number);
    if (mode == SIM_CHECKS_FULL)
        return run_violations(r, xmm_check_full(r->x.w, r->rep), number);
    return false;
}

/* Build the world of sc->world.  Return: 0 or the library's error. */
static int run_world(struct run *r, const struct sim_run_opts *opts)
{
    uint64_t seed = opts->has_seed ? opts->seed : r->sc->seed;

    r->res->seed = seed;
    return sim_world_build_alloc(&r->sc->world, seed, 0,
                                 r->hooks->allocator.alloc ? &r->hooks->allocator : NULL,
                                 &r->x.w);
}

/*
 * Call the step's exec with fail_alloc's injection (if armed) around it: the
 * allocations of the step are counted down, and the checker's between steps
 * are neither counted nor failed.
 */
static int run_exec(struct run *r, const struct sim_step *st, const struct sim_res *args,
                    struct sim_exec_out *out)
{
    struct xmm_world *w = r->x.w;
    bool inject = r->x.fa_armed;
    uint64_t calls = xmm_world_alloc_count(w), fails = xmm_world_alloc_failures(w);
    int rc;

    if (inject)
        xmm_world_fail_alloc(w, r->x.fa_left + 1, r->x.fa_sticky);
    rc = st->op->exec(&r->x, args, out);
    if (!inject)
        return rc;
    xmm_world_fail_alloc(w, 0, false);
    if (xmm_world_alloc_failures(w) != fails)
        r->x.fa_armed = r->x.fa_sticky; /* sticky: every later allocation fails */
    if (r->x.fa_armed)
        r->x.fa_left = xmm_world_alloc_failures(w) != fails
                           ? 0
                           : r->x.fa_left - (xmm_world_alloc_count(w) - calls);
    return rc;
}

/* Execute one step (number is 1-based); false when the run stops after it. */
/*
 * Step `number` failed: a violation stopped the run (stop), its code was
 * not the one expected (!rc_ok) or its check did not hold.  Record where,
 * why, and what the op and the step's note said.
 */
static void run_step_failed(struct run *r, const struct sim_step *st, size_t number,
                            const struct sim_res *args, int rc, bool rc_ok, bool stop,
                            const struct sim_exec_out *out, const char *reason)
{
    r->res->where = run_where(st, number, args);
    if (!rc_ok) {
        r->res->expected_rc = xmm_rc_name(st->op->family, st->has_expect ? st->expect_rc : 0);
        r->res->actual_rc = xmm_rc_name(st->op->family, rc);
        if (stop)
            g_ptr_array_add(r->res->details, g_strdup_printf("also rc: expected %s, got %s",
                                                             r->res->expected_rc,
                                                             r->res->actual_rc));
        run_fail(r, SIM_FAIL_RC, number, "rc: expected %s, got %s", r->res->expected_rc,
                 r->res->actual_rc);
        if (reason[0] && r->res->fail == SIM_FAIL_RC && !r->res->reason) {
            r->res->reason = g_strdup(reason);
            g_ptr_array_add(r->res->details, g_strdup_printf("because: %s", reason));
        }
    }
    if (out->check_failed) {
        run_fail(r, SIM_FAIL_CHECK, number, "check failed: %s", out->msg);
        if (out->has_frame)
            run_history(r, xmm_mfn(out->frame), NULL);
    } else if (out->msg[0])
        g_ptr_array_add(r->res->details, g_strdup_printf("%s said: %s", st->op->name, out->msg));
    if (st->note)
        g_ptr_array_add(r->res->details, g_strdup_printf("note: %s", st->note));
}

static bool run_step(void *ctx, const struct sim_step *st, size_t number)
{
    struct run *r = ctx;
    enum sim_checks mode = r->mode;
    struct sim_res args[SIM_MAX_ARGS];
    struct sim_exec_out out;
    struct sim_step_event ev;
    char reason[256];
    bool stop;
    int rc;

    r->line = st->line;
    sim_lines_set(&r->lines, number, st->line);
    xmm_world_set_step(r->x.w, (uint32_t)number);
    if (!run_resolve(r, st, number, args)) {
        r->res->where = run_where(st, number, NULL);
        return false;
    }
    memset(&out, 0, sizeof(out));
    if (r->hooks->before_step)
        r->hooks->before_step(r->hooks->ctx, r->x.w, number);
    rc = run_exec(r, st, args, &out);
    /* The reason of this step's refusal, before the checker's calls clear it. */
    g_strlcpy(reason, rc ? xmm_world_last_error(r->x.w) : "", sizeof(reason));
    if (st->as_var >= 0) {
        r->var_bound[st->as_var] = rc == 0 && out.bound;
        r->var_val[st->as_var] = out.bind;
        r->var_step[st->as_var] = number;
        r->var_line[st->as_var] = st->line;
        r->var_op[st->as_var] = st->op;
        r->var_rc[st->as_var] = rc;
    }
    ev.w = r->x.w;
    ev.number = number;
    ev.st = st;
    ev.args = args;
    ev.rc = rc;
    ev.rc_ok = st->expect_any || (rc == (st->has_expect ? st->expect_rc : 0));
    ev.check_failed = out.check_failed;
    ev.info = out.check_failed ? "" : out.msg;
    ev.reason = reason;
    ev.show = out.show;
    if (r->cb)
        r->cb(r->cb_ctx, r->sc, &ev);
    g_free(out.show);
    out.show = NULL;
    if (r->hooks->after_step && r->hooks->after_step(r->hooks->ctx, &ev))
        r->lenient = true;
    if (r->lenient) {
        /* Expectations are not judged; invariants still are. */
        ev.rc_ok = true;
        out.check_failed = false;
        out.msg[0] = '\0';
    }
    r->res->steps_run = number;
    stop = run_step_checks(r, mode, number);
    if (stop && r->res->pass) {
        /* the expected violation: the run has shown what it was written for */
        r->res->where = run_where(st, number, args);
        return false;
    }
    if (stop || !ev.rc_ok || out.check_failed) {
        run_step_failed(r, st, number, args, rc, ev.rc_ok, stop, &out, reason);
        return false;
    }
    r->done = number;
    return true;
}

static const struct sim_run_hooks no_hooks;

/* Build the world, run the steps, sweep at the end, tear down. */
int sim_run(const struct sim_scenario *sc, const struct sim_run_opts *opts, sim_step_cb cb,
            void *cb_ctx, struct sim_result *res)
{
    enum sim_checks mode = opts->check_override >= 0 ? (enum sim_checks)opts->check_override
                                                     : sc->world.checks;
    struct run r;
    struct sim_error serr;
    size_t i;
    int rc;

    memset(res, 0, sizeof(*res));
    res->details = g_ptr_array_new_with_free_func(g_free);
    memset(&r, 0, sizeof(r));
    sim_lines_init(&r.lines);
    r.sc = sc;
    r.res = res;
    r.x.sc = sc;
    r.x.out_dir = opts->out_dir ? opts->out_dir : ".";
    r.hooks = opts->hooks ? opts->hooks : &no_hooks;
    rc = run_world(&r, opts);
    if (rc != 0) {
        run_fail(&r, SIM_FAIL_SETUP, 0, "world: setting up the world failed (%s)",
                 xmm_strerror(rc));
        xmm_world_free(r.x.w);
        sim_lines_free(&r.lines);
        if (r.hooks->world_freed)
            r.hooks->world_freed(r.hooks->ctx);
        res->where = g_strdup("world setup");
        return 1;
    }
    r.var_val = g_new0(uint64_t, sc->var_count + 1);
    r.var_step = g_new0(size_t, sc->var_count + 1);
    r.var_bound = g_new0(guint8, sc->var_count + 1);
    r.var_rc = g_new0(int, sc->var_count + 1);
    r.var_line = g_new0(uint32_t, sc->var_count + 1);
    r.var_op = g_new0(const struct sim_op *, sc->var_count + 1);
    r.rep = g_new0(struct xmm_check_report, 1);
    r.mode = mode;
    r.cb = cb;
    r.cb_ctx = cb_ctx;
    if (sc->streamed) {
        if (sim_stream_steps(sc, run_step, &r, &serr) != 0 && res->fail == SIM_FAIL_NONE) {
            run_fail(&r, SIM_FAIL_SETUP, r.done + 1, "%s", serr.msg);
            res->where = g_strdup_printf("reading %s", sc->file);
        }
    } else {
        for (i = 0; i < sc->step_count; i++)
            if (!run_step(&r, &sc->steps[i], i + 1))
                break;
    }
    i = r.done;
    if (i < sc->step_count)
        res->steps_not_run = sc->step_count - i - 1;
    if (i == sc->step_count && res->fail == SIM_FAIL_NONE && mode != SIM_CHECKS_OFF) {
        memset(r.rep, 0, sizeof(*r.rep));
        if (run_violations(&r, xmm_check_full(r.x.w, r.rep), 0))
            res->where = g_strdup_printf("end-of-run full sweep, after step %zu", sc->step_count);
    }
    if (i == sc->step_count && !res->violated && res->fail == SIM_FAIL_NONE) {
        if (sc->expect_violation) {
            run_fail(&r, SIM_FAIL_NO_VIOLATION, 0,
                     "expected violation %s never happened (%s checks)",
                     xmm_invariant_name(sc->violation), sim_checks_name(mode));
            res->where = g_strdup_printf("end of run, after step %zu", sc->step_count);
        } else {
            res->pass = true;
        }
    }
    if (res->fail != SIM_FAIL_NONE)
        res->pass = false;
    res->summary = sim_world_summary(r.x.w);
    if (opts->keep_world) {
        res->world = r.x.w;
    } else {
        xmm_world_free(r.x.w);
        if (r.hooks->world_freed)
            r.hooks->world_freed(r.hooks->ctx);
    }
    g_free(r.var_val);
    g_free(r.var_step);
    g_free(r.var_bound);
    g_free(r.var_rc);
    g_free(r.var_line);
    g_free(r.var_op);
    g_free(r.rep);
    sim_lines_free(&r.lines);
    return res->pass ? 0 : 1;
}

/* Free what a result holds. */
void sim_result_clear(struct sim_result *res)
{
    g_free(res->where);
    g_free(res->what);
    g_free(res->reason);
    g_free(res->summary);
    xmm_world_free(res->world);
    if (res->details)
        g_ptr_array_free(res->details, TRUE);
    memset(res, 0, sizeof(*res));
}
