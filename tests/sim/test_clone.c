/*
 * xmm_world_clone against every scenario given on the command line: run
 * the scenario once as a reference (each step's return code, bound value,
 * exec note, invariant-check count and world digest), then again, cloning
 * the world after every step and running the remaining steps on the copy;
 * the copy must give the reference's answers and digests step for step,
 * and the original must stay as it was while the copy runs.  Every clone
 * is also checked to start with the original's digest.  Each copy is made
 * twice: by xmm_world_clone and by xmm_world_clone_shared (the original is
 * not changed while the copy runs, as the shared copy asks).
 *
 * Steps run as `xmm-sim run` runs them (defaults, variables), with the
 * incremental checker after each step; a run stops at its first violation.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "scenario.h"

static int failures;

struct rec {
    int rc;
    bool bound;
    uint64_t bind;
    uint32_t violations;
    uint64_t digest;
    char msg[320];
};

struct vars {
    uint64_t *val;
    bool *bound;
};

/* Defaults applied, variables substituted (unbound ones read as 0). */
static void resolve(const struct sim_step *st, const struct vars *v, struct sim_res *out)
{
    const struct sim_op *op = st->op;

    for (size_t i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];
        const struct sim_val *sv = &st->vals[i];

        memset(&out[i], 0, sizeof(out[i]));
        if (a->parent >= 0 && st->vals[a->parent].kind != SIM_V_MAP)
            continue;
        out[i].kind = sv->kind;
        out[i].u = sv->u;
        out[i].s = sv->s;
        out[i].present = sv->kind != SIM_V_ABSENT;
        if (sv->kind == SIM_V_ABSENT && a->has_def) {
            out[i].present = true;
            out[i].kind =
                (a->type == SIM_T_NESTED || a->type == SIM_T_ENUM) ? SIM_V_ENUM : SIM_V_INT;
            out[i].u = a->def;
        }
        if (sv->kind == SIM_V_VAR) {
            out[i].kind = SIM_V_INT;
            out[i].u = v->bound[sv->u] ? v->val[sv->u] : 0;
        }
    }
}

/* Run step i on x->w; fills *r.  Returns false once the run stops (a violation). */
static bool step(struct sim_exec *x, const struct sim_scenario *sc, size_t i, struct vars *v,
                 struct xmm_check_report *rep, struct rec *r)
{
    const struct sim_step *st = &sc->steps[i];
    struct sim_res args[SIM_MAX_ARGS];
    struct sim_exec_out out;

    memset(&out, 0, sizeof(out));
    memset(r, 0, sizeof(*r));
    resolve(st, v, args);
    xmm_world_set_step(x->w, (uint32_t)i + 1);
    r->rc = st->op->exec(x, args, &out);
    g_free(out.show); /* show: prints, it changes nothing to compare */
    if (st->as_var >= 0) {
        v->bound[st->as_var] = r->rc == 0 && out.bound;
        v->val[st->as_var] = out.bind;
    }
    r->bound = out.bound;
    r->bind = out.bind;
    memcpy(r->msg, out.msg, sizeof(r->msg));
    memset(rep, 0, sizeof(*rep));
    r->violations = xmm_check_incremental(x->w, rep);
    r->digest = xmm_world_digest(x->w);
    return r->violations == 0;
}

static bool same(const struct rec *a, const struct rec *b)
{
    return a->rc == b->rc && a->bound == b->bound && a->bind == b->bind &&
           a->violations == b->violations && a->digest == b->digest &&
           strcmp(a->msg, b->msg) == 0;
}

/*
 * Copy x's world after step k (xmm_world_clone, or xmm_world_clone_shared),
 * run steps k..n-1 on the copy against the reference, free the copy and
 * check that the original did not change.  False: the copy failed.
 */
static bool copy_runs(const char *file, struct sim_exec *x, struct sim_exec *y, size_t k,
                      size_t n, const struct vars *v, struct vars *vc,
                      struct xmm_check_report *rep, const struct rec *ref, bool shared)
{
    const struct sim_scenario *sc = x->sc;
    const char *kind = shared ? "shared clone" : "clone";
    uint64_t before = xmm_world_digest(x->w);
    int rc = shared ? xmm_world_clone_shared(x->w, &y->w) : xmm_world_clone(x->w, &y->w);
    struct rec r;

    if (rc != 0) {
        fprintf(stderr, "%s: %s after step %zu: %s\n", file, kind, k, xmm_strerror(rc));
        failures++;
        return false;
    }
    if (xmm_world_digest(y->w) != before) {
        fprintf(stderr, "%s: the %s after step %zu digests differently\n", file, kind, k);
        failures++;
    }
    memcpy(vc->val, v->val, (sc->var_count + 1) * sizeof(*v->val));
    memcpy(vc->bound, v->bound, (sc->var_count + 1) * sizeof(*v->bound));
    for (size_t i = k; i < n; i++) {
        step(y, sc, i, vc, rep, &r);
        if (!same(&r, &ref[i])) {
            fprintf(stderr,
                    "%s: %s after step %zu, step %zu (%s) differs: rc %d/%d, "
                    "violations %u/%u, digest %016" PRIx64 "/%016" PRIx64 ", note '%s'/'%s'\n",
                    file, kind, k, i + 1, sc->steps[i].op->name, r.rc, ref[i].rc, r.violations,
                    ref[i].violations, r.digest, ref[i].digest, r.msg, ref[i].msg);
            failures++;
            break;
        }
    }
    xmm_world_free(y->w);
    y->w = NULL;
    if (xmm_world_digest(x->w) != before) {
        fprintf(stderr, "%s: running the %s changed the original (step %zu)\n", file, kind, k);
        failures++;
    }
    return true;
}

static void one(const char *file, const char *out_dir)
{
    struct sim_scenario *sc;
    struct sim_error err;
    struct xmm_check_report *rep = calloc(1, sizeof(*rep));
    struct sim_exec x = { 0 }, y = { 0 };
    struct rec *ref, r;
    struct vars v, vc;
    size_t n = 0, k;

    if (sim_load_file(file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", file, (unsigned)err.line, (unsigned)err.col, err.msg);
        failures++;
        free(rep);
        return;
    }
    x.sc = y.sc = sc;
    x.out_dir = y.out_dir = out_dir;
    v.val = calloc(sc->var_count + 1, sizeof(*v.val));
    v.bound = calloc(sc->var_count + 1, sizeof(*v.bound));
    vc.val = calloc(sc->var_count + 1, sizeof(*vc.val));
    vc.bound = calloc(sc->var_count + 1, sizeof(*vc.bound));
    ref = calloc(sc->step_count + 1, sizeof(*ref));
    /* the reference */
    if (sim_world_build(&sc->world, sc->seed, 0, &x.w) != 0) {
        xmm_world_free(x.w);
        goto out; /* a scenario about a world that cannot be built */
    }
    while (n < sc->step_count && step(&x, sc, n, &v, rep, &ref[n]))
        n++;
    if (n < sc->step_count)
        n++; /* the violating step is compared too */
    xmm_world_free(x.w);
    /* clone after every step k (0: right after the world is built) */
    memset(v.val, 0, (sc->var_count + 1) * sizeof(*v.val));
    memset(v.bound, 0, (sc->var_count + 1) * sizeof(*v.bound));
    if (sim_world_build(&sc->world, sc->seed, 0, &x.w) != 0) {
        failures++;
        goto out;
    }
    for (k = 0; k <= n; k++) {
        if (!copy_runs(file, &x, &y, k, n, &v, &vc, rep, ref, false) ||
            !copy_runs(file, &x, &y, k, n, &v, &vc, rep, ref, true))
            break;
        if (k < n)
            step(&x, sc, k, &v, rep, &r);
    }
    xmm_world_free(x.w);
out:
    free(ref);
    free(v.val);
    free(v.bound);
    free(vc.val);
    free(vc.bound);
    free(rep);
    sim_scenario_free(sc);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_clone OUT_DIR SCENARIO...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++)
        one(argv[i], argv[1]);
    printf("%d scenario(s), %d failure(s)\n", argc - 2, failures);
    return failures ? 1 : 0;
}
