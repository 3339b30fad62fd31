/*
 * xmm-sim - run -j (see batch.h).  Each scenario is a pool task with its
 * own copy of the report (numbered as if run in order) writing to the
 * task's buffer; the counts are added up afterwards.
 */
#include "batch.h"

#include "pool.h"

struct batch {
    GPtrArray *scs;
    const struct sim_run_opts *opts;
    const struct sim_report *tmpl;
    size_t *passed, *failed;
};

static void batch_task(void *ctx, size_t i, FILE *f)
{
    struct batch *b = ctx;
    const struct sim_scenario *sc = b->scs->pdata[i];
    struct sim_report r = *b->tmpl;
    struct sim_result res;

    r.out = f;
    r.number = i;
    r.passed = r.failed = 0;
    sim_report_scenario_begin(&r, sc);
    sim_run(sc, b->opts, sim_report_step, &r, &res);
    sim_report_scenario(&r, sc, &res);
    sim_result_clear(&res);
    b->passed[i] = r.passed;
    b->failed[i] = r.failed;
}

void sim_run_batch(GPtrArray *scs, const struct sim_run_opts *opts, struct sim_report *rep,
                   unsigned jobs)
{
    struct batch b;
    size_t i;

    b.scs = scs;
    b.opts = opts;
    b.tmpl = rep;
    b.passed = g_new0(size_t, scs->len + 1);
    b.failed = g_new0(size_t, scs->len + 1);
    sim_pool_run(scs->len, jobs, batch_task, &b, rep->out);
    for (i = 0; i < scs->len; i++) {
        rep->passed += b.passed[i];
        rep->failed += b.failed[i];
    }
    rep->number += scs->len;
    g_free(b.passed);
    g_free(b.failed);
}
