/*
 * xmm-sim - output of `xmm-sim run`: text (default), TAP 13, JSON lines or
 * a JUnit XML report.
 * Output depends only on the scenarios, the options and the model: no
 * clock, no addresses, no hash-table order, so the same input gives the
 * same bytes.
 */
#ifndef XMM_SIM_REPORT_H
#define XMM_SIM_REPORT_H

#include <stdio.h>

#include "run.h"

enum sim_format { SIM_FMT_TEXT = 0, SIM_FMT_TAP, SIM_FMT_JSON, SIM_FMT_JUNIT };

struct sim_report {
    enum sim_format fmt;
    bool verbose;
    FILE *out;
    const char *rerun_opts; /* options to repeat in the rerun hint ("--check full"), or "" */
    size_t total, number, passed, failed;
    size_t malformed;       /* files that did not load */
    GString *junit;         /* JUnit: the testsuites, written out at the end */
    GString *junit_out;     /* JUnit -v: the step lines of the current scenario */
    size_t dump_at;         /* --dump-at: the world after this step (1-based), 0 = never */
};

/* "text", "tap", "json", "junit".  Return: 0, or -1 for an unknown name. */
int sim_report_format_parse(const char *name, enum sim_format *out);

/* TAP header and plan (total: files given, malformed ones included). */
void sim_report_begin(struct sim_report *r, size_t total);
/* Before a scenario's steps (-v headers). */
void sim_report_scenario_begin(struct sim_report *r, const struct sim_scenario *sc);
/* sim_step_cb: one line per step with -v (text, TAP) and always in JSON. */
void sim_report_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev);
/* The verdict of one scenario, with the failure report. */
void sim_report_scenario(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res);
/* A file that did not load (line 0: no position). */
void sim_report_malformed(struct sim_report *r, const char *file, uint32_t line, uint32_t col,
                          const char *msg);
/* "N passed, M failed" (", K malformed"); TAP: Bail out! when nothing ran. */
void sim_report_end(struct sim_report *r);

/* Append s as a JSON string literal. */
void sim_json_string(GString *out, const char *s);

#endif /* XMM_SIM_REPORT_H */
