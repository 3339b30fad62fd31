/*
 * xmm-sim - shrinking a failing scenario (see gen.h, docs/fuzzing.md).
 *
 * Every candidate is run by the ordinary runner with each step's rc left
 * open (`expect: any`) and `expect: {violation: INV}`: it is kept when the
 * same invariant still breaks.  Passes, repeated to a fixed point: cut
 * after the violating step; delete chunks of steps from the back (halving
 * the chunk size down to one step), dropping the later steps that use a
 * variable only a deleted step bound; move integer arguments toward small
 * values and drop optional ones; shrink the world (RAM, MMIO regions,
 * partitions and devices no step names).  At the end each step's rc is
 * recorded as the model returns it.
 */
#include <glib.h>
#include <string.h>

#include "exec.h"
#include "gen.h"
#include "run.h"

#define SHRINK_ROUNDS 6

/* Deep copy of sc, keeping the steps whose keep[i] is true (all when NULL). */
static struct sim_scenario *sc_copy(const struct sim_scenario *sc, const bool *keep)
{
    struct sim_scenario *c = g_new0(struct sim_scenario, 1);
    size_t i, j, n = 0;

    c->name = g_strdup(sc->name);
    c->description = g_strdup(sc->description);
    c->seed = sc->seed;
    sim_world_cfg_copy(&c->world, &sc->world);
    c->steps = g_new0(struct sim_step, sc->step_count + 1);
    for (i = 0; i < sc->step_count; i++) {
        const struct sim_step *s = &sc->steps[i];
        struct sim_step *d;

        if (keep && !keep[i])
            continue;
        d = &c->steps[n++];
        *d = *s;
        d->vals = g_new0(struct sim_val, s->op->arg_count);
        for (j = 0; j < s->op->arg_count; j++) {
            d->vals[j] = s->vals[j];
            d->vals[j].s = g_strdup(s->vals[j].s);
        }
        d->note = g_strdup(s->note);
    }
    c->step_count = n;
    c->var_count = sc->var_count;
    c->vars = g_new0(char *, sc->var_count + 1);
    for (i = 0; i < sc->var_count; i++)
        c->vars[i] = g_strdup(sc->vars[i]);
    c->expect_violation = sc->expect_violation;
    c->violation = sc->violation;
    return c;
}

/* Run sc as a shrink candidate: every rc accepted, violation inv expected. */
static bool sh_fails(struct sim_scenario *sc, enum xmm_invariant inv, const struct sim_op *want,
                     size_t *steps_run, size_t *runs)
{
    struct sim_run_opts opts;
    struct sim_result res;
    bool ok;
    size_t i;

    memset(&opts, 0, sizeof(opts));
    opts.check_override = SIM_CHECKS_EVERY_STEP;
    opts.out_dir = g_get_tmp_dir();
    for (i = 0; i < sc->step_count; i++)
        sc->steps[i].expect_any = true;
    sc->expect_violation = true;
    sc->violation = inv;
    sim_run(sc, &opts, NULL, NULL, &res);
    ok = res.pass && res.violated;
    /* the same failure: the same op breaks it (or the end-of-run sweep, as before) */
    if (ok && want)
        ok = res.where && strncmp(res.where, "step ", 5) == 0 && res.steps_run > 0 &&
             sc->steps[res.steps_run - 1].op == want;
    if (steps_run)
        *steps_run = res.fail_step ? res.fail_step : res.steps_run;
    sim_result_clear(&res);
    if (runs)
        (*runs)++;
    return ok;
}

bool sim_shrink_fails(const struct sim_scenario *sc, enum xmm_invariant inv, size_t *steps_run)
{
    struct sim_scenario *c = sc_copy(sc, NULL);
    bool ok = sh_fails(c, inv, NULL, steps_run, NULL);

    sim_scenario_free(c);
    return ok;
}

/* Cut after the violating step. */
static void sh_truncate(struct sim_scenario *sc, size_t steps_run)
{
    size_t i, j;

    if (steps_run == 0 || steps_run >= sc->step_count)
        return;
    for (i = steps_run; i < sc->step_count; i++) {
        for (j = 0; j < sc->steps[i].op->arg_count; j++)
            g_free(sc->steps[i].vals[j].s);
        g_free(sc->steps[i].vals);
        g_free(sc->steps[i].note);
    }
    sc->step_count = steps_run;
}

/* Does step s use variable v? */
static bool step_uses(const struct sim_step *s, size_t v)
{
    size_t j;

    for (j = 0; j < s->op->arg_count; j++)
        if (s->vals[j].kind == SIM_V_VAR && s->vals[j].u == v)
            return true;
    return false;
}

/*
 * sc without steps [from, from + n), and without the later steps that use
 * a variable bound only by a deleted step.
 */
static struct sim_scenario *sh_without(const struct sim_scenario *sc, size_t from, size_t n)
{
    bool *keep = g_new0(bool, sc->step_count + 1);
    bool *lost = g_new0(bool, sc->var_count + 1);
    struct sim_scenario *c;
    size_t i, v;

    for (i = 0; i < sc->step_count; i++) {
        const struct sim_step *s = &sc->steps[i];

        keep[i] = i < from || i >= from + n;
        for (v = 0; keep[i] && v < sc->var_count; v++)
            if (lost[v] && step_uses(s, v))
                keep[i] = false;
        if (s->as_var >= 0)
            lost[s->as_var] = !keep[i];
    }
    c = sc_copy(sc, keep);
    g_free(keep);
    g_free(lost);
    return c;
}

struct shrink {
    struct sim_scenario *cur;
    enum xmm_invariant inv;
    const struct sim_op *want; /* op of the violating step, NULL: the end-of-run sweep */
    size_t runs;
};

/* Try a candidate; keep it (cut after its violation) when it still fails. */
static bool sh_try(struct shrink *s, struct sim_scenario *cand)
{
    size_t steps_run = 0;

    if (!sh_fails(cand, s->inv, s->want, &steps_run, &s->runs)) {
        sim_scenario_free(cand);
        return false;
    }
    sh_truncate(cand, steps_run);
    sim_scenario_free(s->cur);
    s->cur = cand;
    return true;
}

/* Delete chunks back to front, halving the chunk size. */
static bool sh_delete(struct shrink *s)
{
    bool changed = false;
    size_t k, end;

    for (k = s->cur->step_count / 2; k >= 1; k /= 2) {
        end = s->cur->step_count;
        while (end > 0) {
            size_t start = end >= k ? end - k : 0;

            if (end > s->cur->step_count)
                end = s->cur->step_count;
            if (start >= end) {
                end = start;
                continue;
            }
            if (sh_try(s, sh_without(s->cur, start, end - start)))
                changed = true;
            end = start;
        }
    }
    return changed;
}

/* Simpler values for one integer argument, smallest first. */
static size_t sh_smaller(const struct sim_arg *a, uint64_t u, uint64_t *cand)
{
    uint64_t min, max;
    size_t n = 0;

    sim_arg_range(a, a->type == SIM_T_NESTED ? a->int_alt : a->type, &min, &max);
    if (u > min)
        cand[n++] = min;
    if (min < 1 && u > 1)
        cand[n++] = 1;
    if (u / 2 > min && u / 2 > 1)
        cand[n++] = u / 2;
    if (u > min + 1 && u - 1 != u / 2)
        cand[n++] = u - 1;
    return n;
}

/* Move arguments toward small values; drop optional ones. */
static bool sh_args(struct shrink *s)
{
    bool changed = false;
    size_t i, j, c;

    for (i = 0; i < s->cur->step_count; i++) {
        const struct sim_op *op = s->cur->steps[i].op;

        for (j = 0; j < op->arg_count; j++) {
            const struct sim_arg *a = &op->args[j];
            const struct sim_val *v = &s->cur->steps[i].vals[j];
            uint64_t cands[4];
            size_t n;

            if (v->kind == SIM_V_ABSENT || a->parent >= 0)
                continue;
            if (!(a->flags & SIM_ARG_REQUIRED) && v->kind != SIM_V_MAP) {
                struct sim_scenario *cand = sc_copy(s->cur, NULL);

                cand->steps[i].vals[j].kind = SIM_V_ABSENT;
                g_free(cand->steps[i].vals[j].s);
                cand->steps[i].vals[j].s = NULL;
                if (i < cand->step_count && sh_try(s, cand)) {
                    changed = true;
                    continue;
                }
                if (i >= s->cur->step_count)
                    break;
                v = &s->cur->steps[i].vals[j];
            }
            if (v->kind != SIM_V_INT || !sim_type_is_int(a->type) || a->type == SIM_T_SP ||
                a->type == SIM_T_HANDLE || a->type == SIM_T_DOMID)
                continue;
            n = sh_smaller(a, v->u, cands);
            for (c = 0; c < n; c++) {
                struct sim_scenario *cand = sc_copy(s->cur, NULL);

                cand->steps[i].vals[j].u = cands[c];
                if (sh_try(s, cand)) {
                    changed = true;
                    break;
                }
            }
            if (i >= s->cur->step_count)
                break;
        }
    }
    return changed;
}

/* Merge neighbouring `advance` steps into one (the clock reaches the same tick). */
static bool sh_merge_advance(struct shrink *s)
{
    bool changed = false;
    size_t i;

    for (i = 0; i + 1 < s->cur->step_count; i++) {
        const struct sim_step *a = &s->cur->steps[i], *b = &s->cur->steps[i + 1];
        struct sim_scenario *cand;
        uint64_t sum;

        if (!a->op->scalar || a->op != b->op || a->vals[0].kind != SIM_V_INT ||
            b->vals[0].kind != SIM_V_INT)
            continue;
        sum = a->vals[0].u + b->vals[0].u;
        if (sum > a->op->args[0].max)
            continue;
        cand = sh_without(s->cur, i + 1, 1);
        cand->steps[i].vals[0].u = sum;
        if (sh_try(s, cand)) {
            changed = true;
            i--; /* the merged step may merge again */
        }
    }
    return changed;
}

/* Does any step name this SP id / device? */
static bool sh_names(const struct sim_scenario *sc, enum sim_type t, uint64_t id, const char *dev)
{
    size_t i, j;

    for (i = 0; i < sc->step_count; i++)
        for (j = 0; j < sc->steps[i].op->arg_count; j++) {
            const struct sim_val *v = &sc->steps[i].vals[j];

            if (sc->steps[i].op->args[j].type != t)
                continue;
            if (t == SIM_T_SP && v->kind == SIM_V_INT && v->u == id)
                return true;
            if (t == SIM_T_DEVICE && v->s && strcmp(v->s, dev) == 0)
                return true;
        }
    return false;
}

/* Smaller RAM; MMIO regions, partitions and devices dropped. */
static bool sh_world(struct shrink *s)
{
    bool changed = false;
    size_t i;

    while (s->cur->world.ram_pages > 64) {
        struct sim_scenario *cand = sc_copy(s->cur, NULL);

        cand->world.ram_pages /= 2;
        if (!sh_try(s, cand))
            break;
        changed = true;
    }
    /*
     * Fewer MPU regions: kept only while the same op still breaks it (a
     * step the fixed design gives no region to cannot be made to fail by
     * the budget alone).
     */
    while (s->cur->world.has_mpu && s->cur->world.mpu_regions > 1) {
        struct sim_scenario *cand = sc_copy(s->cur, NULL);

        cand->world.mpu_regions--;
        if (!sh_try(s, cand))
            break;
        changed = true;
    }
    /* the FF-A retry timer: fewer, shorter retries */
    while (s->cur->world.limits.ffa_retry_limit > 0) {
        struct sim_scenario *cand = sc_copy(s->cur, NULL);

        cand->world.limits.ffa_retry_limit /= 2;
        if (!sh_try(s, cand))
            break;
        changed = true;
    }
    while (s->cur->world.limits.ffa_retry_ticks > 1) {
        struct sim_scenario *cand = sc_copy(s->cur, NULL);

        cand->world.limits.ffa_retry_ticks /= 2;
        if (!sh_try(s, cand))
            break;
        changed = true;
    }
    for (i = s->cur->world.mmio_count; i-- > 0;) {
        struct sim_scenario *cand = sc_copy(s->cur, NULL);

        g_free(cand->world.mmio[i].name);
        memmove(&cand->world.mmio[i], &cand->world.mmio[i + 1],
                (cand->world.mmio_count - i - 1) * sizeof(cand->world.mmio[0]));
        cand->world.mmio_count--;
        changed |= sh_try(s, cand);
    }
    for (i = s->cur->world.partition_count; i-- > 0;) {
        struct sim_scenario *cand;

        if (sh_names(s->cur, SIM_T_SP, s->cur->world.partitions[i].id, NULL))
            continue;
        cand = sc_copy(s->cur, NULL);
        g_free(cand->world.partitions[i].replies);
        memmove(&cand->world.partitions[i], &cand->world.partitions[i + 1],
                (cand->world.partition_count - i - 1) * sizeof(cand->world.partitions[0]));
        if (--cand->world.partition_count == 0)
            cand->world.has_spmc = false;
        changed |= sh_try(s, cand);
    }
    for (i = s->cur->world.device_count; i-- > 0;) {
        struct sim_scenario *cand;

        if (sh_names(s->cur, SIM_T_DEVICE, 0, s->cur->world.devices[i].id))
            continue;
        cand = sc_copy(s->cur, NULL);
        g_free(cand->world.devices[i].id);
        memmove(&cand->world.devices[i], &cand->world.devices[i + 1],
                (cand->world.device_count - i - 1) * sizeof(cand->world.devices[0]));
        if (--cand->world.device_count == 0)
            cand->world.has_iommu = false;
        changed |= sh_try(s, cand);
    }
    return changed;
}

/* Record each step's rc as the model answers it. */
static void sh_record_cb(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    struct sim_step *st = &((struct sim_scenario *)ctx)->steps[ev->number - 1];

    (void)sc;
    st->expect_any = false;
    st->has_expect = ev->rc != 0 && !st->op->no_expect;
    st->expect_fam = st->op->family;
    st->expect_rc = ev->rc;
}

struct sim_scenario *sim_shrink(const struct sim_scenario *sc, enum xmm_invariant *inv_out,
                                struct sim_shrink_stats *st)
{
    struct shrink s;
    struct sim_run_opts opts;
    struct sim_result res;
    size_t steps_run = 0, round;

    memset(&s, 0, sizeof(s));
    memset(st, 0, sizeof(*st));
    st->steps_before = sc->step_count;
    s.cur = sc_copy(sc, NULL);
    if (sc->expect_violation) {
        s.inv = sc->violation;
    } else {
        /* which invariant does it break, if any? */
        size_t i;

        memset(&opts, 0, sizeof(opts));
        opts.check_override = SIM_CHECKS_EVERY_STEP;
        opts.out_dir = g_get_tmp_dir();
        for (i = 0; i < s.cur->step_count; i++)
            s.cur->steps[i].expect_any = true;
        sim_run(s.cur, &opts, NULL, NULL, &res);
        s.inv = res.inv;
        if (!res.violated || res.inv >= XMM_INV_COUNT) {
            sim_result_clear(&res);
            sim_scenario_free(s.cur);
            return NULL;
        }
        sim_result_clear(&res);
    }
    if (!sh_fails(s.cur, s.inv, NULL, &steps_run, &s.runs)) {
        sim_scenario_free(s.cur);
        return NULL;
    }
    sh_truncate(s.cur, steps_run);
    if (steps_run > 0 && sh_fails(s.cur, s.inv, s.cur->steps[steps_run - 1].op, NULL, &s.runs))
        s.want = s.cur->steps[steps_run - 1].op;
    for (round = 0; round < SHRINK_ROUNDS; round++) {
        bool changed = sh_delete(&s);

        changed |= sh_merge_advance(&s);
        changed |= sh_args(&s);
        changed |= sh_world(&s);
        if (!changed)
            break;
    }
    /* the rcs as the model gives them now */
    memset(&opts, 0, sizeof(opts));
    opts.check_override = SIM_CHECKS_EVERY_STEP;
    opts.out_dir = g_get_tmp_dir();
    sim_run(s.cur, &opts, sh_record_cb, s.cur, &res);
    sim_result_clear(&res);
    s.cur->world.checks = SIM_CHECKS_EVERY_STEP;
    st->steps_after = s.cur->step_count;
    st->runs = s.runs;
    *inv_out = s.inv;
    return s.cur;
}
