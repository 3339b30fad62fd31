/*
 * xmm-sim - command line.
 *
 *   xmm-sim run [options] FILE...   run scenarios
 *   xmm-sim ops [NAME] [--check|--update FILE]   the op reference (markdown)
 *   xmm-sim man                     the manual page xmm-sim(1), in roff
 *   xmm-sim --version | --help | COMMAND --help
 *
 * Exit: 0 all passed, 1 a scenario failed, 2 bad input or usage.
 *
 * Every command is one row of `cmds` (cli.h): its function, synopsis,
 * one-line summary and option table.  The usage text, `COMMAND --help` and
 * the manual page are all printed from that table, so adding a command is
 * adding a row (and its `struct sim_cli_cmd`).
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

#ifndef XMM_VERSION
#define XMM_VERSION "unknown"
#endif

/* The commands, in the order the usage lists them.  Add new ones here. */
static const struct sim_cli_cmd *const cmds[] = {
    &sim_cli_run,
    &sim_cli_gen,
    &sim_cli_fuzz,
    &sim_cli_shrink,
    &sim_cli_export_c,
    &sim_cli_explain,
    &sim_cli_plot,
    &sim_cli_explore,
    &sim_cli_ops,
    &sim_cli_man,
};
static const size_t cmd_count = sizeof(cmds) / sizeof(cmds[0]);

const struct sim_cli_cmd *const *sim_cli_cmds(size_t *count)
{
    *count = cmd_count;
    return cmds;
}

const char *sim_cli_version(void)
{
    return XMM_VERSION;
}

/* The global usage: one line per command, then the global options. */
void sim_cli_usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: xmm-sim COMMAND [options]\n\ncommands:\n");
    for (i = 0; i < cmd_count; i++)
        fprintf(f, "  %-9s %s\n", cmds[i]->name, cmds[i]->summary);
    fprintf(f, "\noptions:\n  -h, --help     this text; `xmm-sim COMMAND --help` for a command\n"
               "  --version      print the version (%s) and exit\n"
               "\nexit: 0 all passed, 1 a scenario failed, 2 bad input or usage\n",
            XMM_VERSION);
}

/* Words of text to f, lines of at most 79 columns, later lines indented; a newline at the end. */
static void cli_wrap(FILE *f, const char *text, int indent)
{
    int col = indent;
    const char *p = text;

    while (*p) {
        size_t n = strcspn(p, " ");

        if (col > indent && col + 1 + (int)n > 79) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, n, f);
        col += (int)n;
        p += n;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

/* `COMMAND --help`: synopsis, summary, every option with its description. */
void sim_cli_cmd_help(FILE *f, const struct sim_cli_cmd *c)
{
    const struct sim_cli_opt *o;

    fprintf(f, "usage: xmm-sim %s %s\n\n%s.\n", c->name, c->synopsis, c->summary);
    if (c->description) {
        fputc('\n', f);
        cli_wrap(f, c->description, 0);
    }
    if (c->opts && c->opts->name) {
        fprintf(f, "\noptions:\n");
        for (o = c->opts; o->name; o++) {
            char head[64];

            snprintf(head, sizeof(head), "%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
            if (strlen(head) > 22)
                fprintf(f, "  %s\n%25s", head, "");
            else
                fprintf(f, "  %-22s ", head);
            cli_wrap(f, o->doc, 25);
        }
    }
}

/* A usage error: say what, print the usage, exit code 2. */
int sim_cli_usage_error(const struct sim_cli_cmd *c, const char *fmt, ...)
{
    va_list ap;

    fputs("xmm-sim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (c)
        fprintf(stderr, "usage: xmm-sim %s %s\n(xmm-sim %s --help describes every option)\n",
                c->name, c->synopsis, c->name);
    else
        sim_cli_usage(stderr);
    return SIM_EXIT_USAGE;
}

bool sim_cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* Dispatch on the subcommand. */
/*
 * fuzz, explore and run create and free worlds by the thousand, with
 * blocks of a few hundred KiB among them (a domain's leaf directory,
 * src/core.h).  glibc gave the freed top of its heap back to the kernel
 * and faulted it in again, page by page, run after run: a seventh of
 * fuzz's time went to the kernel.  The freed memory stays in the process
 * instead (at most 256 MiB of it at the heap's top).
 */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
    size_t i;

    keep_freed_memory();
    if (argc < 2)
        return sim_cli_usage_error(NULL, "no command given");
    if (sim_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc > 2) {
            for (i = 0; i < cmd_count; i++)
                if (strcmp(argv[2], cmds[i]->name) == 0) {
                    sim_cli_cmd_help(stdout, cmds[i]);
                    return 0;
                }
            return sim_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        }
        sim_cli_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("xmm-sim (libxmm) %s\n", XMM_VERSION);
        return 0;
    }
    for (i = 0; i < cmd_count; i++) {
        if (strcmp(argv[1], cmds[i]->name) != 0)
            continue;
        if (argc > 2 && sim_cli_is_help(argv[2])) {
            sim_cli_cmd_help(stdout, cmds[i]);
            return 0;
        }
        return cmds[i]->fn(argc - 1, argv + 1);
    }
    return sim_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}
