/*
 * xmm-sim - the command table.  Each command describes itself once (name,
 * synopsis, summary, options); `xmm-sim --help`, `xmm-sim COMMAND --help`
 * and the manual page (`xmm-sim man`) are all printed from it.
 *
 * To add a command: write `const struct sim_cli_cmd sim_cli_NAME` in its
 * own file, declare it below, and add it to the table in main.c.
 */
#ifndef XMM_SIM_CLI_H
#define XMM_SIM_CLI_H

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define SIM_EXIT_USAGE 2

struct sim_cli_opt {
    const char *name; /* "--format" or "-v, --verbose"; NULL ends the table */
    const char *arg;  /* "text|tap|json|junit", or NULL for a flag */
    const char *doc;  /* one sentence */
};

struct sim_cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *synopsis;             /* after "xmm-sim NAME " */
    const char *summary;              /* one line, no final period */
    const char *description;          /* a paragraph, or NULL */
    const struct sim_cli_opt *opts;   /* NULL-name terminated, or NULL */
};

extern const struct sim_cli_cmd sim_cli_run;
extern const struct sim_cli_cmd sim_cli_ops;
extern const struct sim_cli_cmd sim_cli_man;
extern const struct sim_cli_cmd sim_cli_gen;      /* cli_gen.c */
extern const struct sim_cli_cmd sim_cli_fuzz;
extern const struct sim_cli_cmd sim_cli_shrink;
extern const struct sim_cli_cmd sim_cli_export_c;
extern const struct sim_cli_cmd sim_cli_explain;  /* explain.c */
extern const struct sim_cli_cmd sim_cli_plot;     /* plot.c */
extern const struct sim_cli_cmd sim_cli_explore;  /* cli_explore.c */

/* xmm-sim explore (explore.c) */
int sim_cmd_explore(int argc, char **argv);

/* The table of main.c. */
const struct sim_cli_cmd *const *sim_cli_cmds(size_t *count);
const char *sim_cli_version(void);

void sim_cli_usage(FILE *f);
void sim_cli_cmd_help(FILE *f, const struct sim_cli_cmd *c);
/* "xmm-sim: MESSAGE" and the usage on stderr; returns SIM_EXIT_USAGE. */
int sim_cli_usage_error(const struct sim_cli_cmd *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
bool sim_cli_is_help(const char *arg);

#endif /* XMM_SIM_CLI_H */
