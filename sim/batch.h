/*
 * xmm-sim - run validated scenarios on a worker pool (run -j), the report
 * in the order given: the same bytes for any number of jobs.
 */
#ifndef XMM_SIM_BATCH_H
#define XMM_SIM_BATCH_H

#include <glib.h>

#include "report.h"

/*
 * Run every scenario of scs (struct sim_scenario *) with `jobs` workers;
 * rep (begun with sim_report_begin) gets the verdicts and counts in order.
 */
void sim_run_batch(GPtrArray *scs, const struct sim_run_opts *opts, struct sim_report *rep,
                   unsigned jobs);

#endif /* XMM_SIM_BATCH_H */
