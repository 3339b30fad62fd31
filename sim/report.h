/*
 * xmm-sim - output of `xmm-sim run`: text (default), TAP 13 or JSON lines.
 * Output depends only on the scenarios, the options and the model: no
 * clock, no addresses, no hash-table order, so the same input gives the
 * same bytes.
 */
#ifndef XMM_SIM_REPORT_H
#define XMM_SIM_REPORT_H

#include <stdio.h>

#include "run.h"

enum sim_format { SIM_FMT_TEXT = 0, SIM_FMT_TAP, SIM_FMT_JSON };

struct sim_report {
    enum sim_format fmt;
    bool verbose;
    FILE *out;
    const char *rerun_opts; /* options to repeat in the rerun hint ("--check full"), or "" */
    size_t total, number, passed, failed;
};

/* TAP header and plan. */
void sim_report_begin(struct sim_report *r, size_t total);
/* Before a scenario's steps (-v headers). */
void sim_report_scenario_begin(struct sim_report *r, const struct sim_scenario *sc);
/* sim_step_cb: one line per step with -v (text, TAP) and always in JSON. */
void sim_report_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev);
/* The verdict of one scenario, with the failure report. */
void sim_report_scenario(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res);
/* "N passed, M failed". */
void sim_report_end(struct sim_report *r);

/* Append s as a JSON string literal. */
void sim_json_string(GString *out, const char *s);

#endif /* XMM_SIM_REPORT_H */
