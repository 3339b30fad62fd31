/*
 * xmm-sim - run -j (see batch.h).  Each file is a pool task with its own
 * copy of the report (numbered as if run in order) writing to the task's
 * buffer, and its own JUnit buffers; counts and JUnit suites are added up
 * in file order afterwards.
 */
#include "batch.h"

#include "pool.h"

struct batch_out {
    size_t passed, failed, malformed;
    GString *junit; /* JUnit: this file's testsuite */
};

struct batch {
    const struct sim_batch_entry *e;
    const struct sim_run_opts *opts;
    const struct sim_report *tmpl;
    struct batch_out *out;
};

static void batch_task(void *ctx, size_t i, FILE *f)
{
    struct batch *b = ctx;
    const struct sim_batch_entry *e = &b->e[i];
    struct sim_report r = *b->tmpl;
    struct sim_result res;

    r.out = f;
    r.number = b->tmpl->number + i;
    r.passed = r.failed = r.malformed = 0;
    if (r.fmt == SIM_FMT_JUNIT) {
        r.junit = g_string_new(NULL);
        r.junit_out = g_string_new(NULL);
    }
    if (!e->sc) {
        sim_report_malformed(&r, e->file, e->err.line, e->err.col, e->err.msg);
    } else {
        sim_report_scenario_begin(&r, e->sc);
        sim_run(e->sc, b->opts, sim_report_step, &r, &res);
        sim_report_scenario(&r, e->sc, &res);
        sim_result_clear(&res);
    }
    b->out[i].passed = r.passed;
    b->out[i].failed = r.failed;
    b->out[i].malformed = r.malformed;
    if (r.fmt == SIM_FMT_JUNIT) {
        b->out[i].junit = r.junit;
        g_string_free(r.junit_out, TRUE);
    }
}

void sim_run_batch(const struct sim_batch_entry *e, size_t count, const struct sim_run_opts *opts,
                   struct sim_report *rep, unsigned jobs)
{
    struct batch b;
    size_t i;

    b.e = e;
    b.opts = opts;
    b.tmpl = rep;
    b.out = g_new0(struct batch_out, count + 1);
    sim_pool_run(count, jobs, batch_task, &b, rep->out);
    for (i = 0; i < count; i++) {
        rep->passed += b.out[i].passed;
        rep->failed += b.out[i].failed;
        rep->malformed += b.out[i].malformed;
        if (b.out[i].junit) {
            g_string_append_len(rep->junit, b.out[i].junit->str, b.out[i].junit->len);
            g_string_free(b.out[i].junit, TRUE);
        }
    }
    rep->number += count;
    g_free(b.out);
}
