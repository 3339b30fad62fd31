/*
 * xmm-sim - run loaded scenario files on a worker pool (run -j), the report
 * in the order given: the same bytes for any number of jobs.
 */
#ifndef XMM_SIM_BATCH_H
#define XMM_SIM_BATCH_H

#include "report.h"
#include "scenario.h"

/* A file and what loading it gave: a scenario, or (sc NULL) an error. */
struct sim_batch_entry {
    const char *file;
    struct sim_scenario *sc;
    struct sim_error err;
};

/*
 * Report every entry of e[0..count) in order: run the scenarios (with
 * `jobs` workers), report the files that did not load as malformed.  rep
 * (begun with sim_report_begin) gets the verdicts and the counts.
 */
void sim_run_batch(const struct sim_batch_entry *e, size_t count, const struct sim_run_opts *opts,
                   struct sim_report *rep, unsigned jobs);

#endif /* XMM_SIM_BATCH_H */
