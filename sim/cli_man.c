/*
 * xmm-sim man: the manual page xmm-sim(1) in roff, printed from the command
 * table (synopsis, summaries, options) and the op table, so it says what
 * `--help` and `xmm-sim ops` say.  The build writes it to xmm-sim.1 and
 * installs it.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ops_doc.h"

static int cmd_man(int argc, char **argv);

static const struct sim_cli_opt man_opts[] = {
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_man = {
    .name = "man",
    .fn = cmd_man,
    .synopsis = "",
    .summary = "print the manual page xmm-sim(1) in roff (man -l - reads it)",
    .description = NULL,
    .opts = man_opts,
};

/* Roff-escaped text, as written. */
static void roff(GString *s, const char *t)
{
    sim_roff(s, t, false);
}

/* One command: synopsis line, summary, description, options. */
static void man_cmd(GString *s, const struct sim_cli_cmd *c)
{
    const struct sim_cli_opt *o;

    g_string_append(s, ".SS \"xmm\\-sim ");
    roff(s, c->name);
    g_string_append(s, "\"\n\\fBxmm\\-sim ");
    roff(s, c->name);
    g_string_append(s, "\\fR ");
    roff(s, c->synopsis);
    g_string_append(s, "\n.PP\n");
    roff(s, c->summary);
    g_string_append(s, ".\n");
    if (c->description) {
        g_string_append(s, ".PP\n");
        roff(s, c->description);
        g_string_append(s, "\n");
    }
    for (o = c->opts; o && o->name; o++) {
        g_string_append(s, ".TP\n\\fB");
        roff(s, o->name);
        g_string_append(s, "\\fR");
        if (o->arg) {
            g_string_append(s, " \\fI");
            roff(s, o->arg);
            g_string_append(s, "\\fR");
        }
        g_string_append(s, "\n");
        roff(s, o->doc);
        g_string_append(s, ".\n");
    }
}

static int cmd_man(int argc, char **argv)
{
    const struct sim_cli_cmd *const *cmds;
    GString *s;
    size_t n, i;
    char *ops;

    if (argc > 1)
        return sim_cli_usage_error(&sim_cli_man, "man: unexpected argument '%s'", argv[1]);
    cmds = sim_cli_cmds(&n);
    s = g_string_new(NULL);
    g_string_append_printf(s, ".TH XMM\\-SIM 1 \"\" \"libxmm %s\" \"User Commands\"\n",
                           sim_cli_version());
    g_string_append(s, ".SH NAME\nxmm\\-sim \\- run scenarios against libxmm, a deterministic "
                       "model of Xen\\-style guest memory management\n.SH SYNOPSIS\n");
    for (i = 0; i < n; i++) {
        g_string_append(s, ".br\n\\fBxmm\\-sim ");
        roff(s, cmds[i]->name);
        g_string_append(s, "\\fR ");
        roff(s, cmds[i]->synopsis);
        g_string_append(s, "\n");
    }
    g_string_append(s, ".br\n\\fBxmm\\-sim\\fR \\-\\-version | \\-\\-help | \\fICOMMAND\\fR "
                       "\\-\\-help\n.SH DESCRIPTION\n"
                       "A scenario is a YAML file: a world (RAM, MMIO, policies, secure "
                       "partitions, IOMMU devices), a list of steps and optionally the invariant "
                       "it is expected to break. \\fBxmm\\-sim\\fR builds the world, runs the "
                       "steps, checks the isolation invariants after every step and, when one "
                       "breaks, names the frame and prints its history. The same scenario and "
                       "seed give the same output, byte for byte.\n.SH COMMANDS\n");
    for (i = 0; i < n; i++)
        man_cmd(s, cmds[i]);
    ops = sim_ops_man();
    g_string_append(s, ops);
    g_free(ops);
    g_string_append(s, ".SH EXIT STATUS\n.TP\n0\nevery scenario passed\n.TP\n1\na scenario "
                       "failed\n.TP\n2\na file was malformed, or the command line is wrong\n"
                       ".SH SEE ALSO\nThe scenario format and the op reference: "
                       "docs/scenario-format.md in the libxmm sources; "
                       "\\fBxmm\\-sim ops\\fR prints the same reference.\n");
    fputs(s->str, stdout);
    g_string_free(s, TRUE);
    return 0;
}
