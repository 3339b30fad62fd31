/*
 * xmm-sim - command line.
 *
 *   xmm-sim run [options] FILE...   run scenarios
 *   xmm-sim ops [--check|--update FILE]   the op reference (markdown)
 *
 * Exit: 0 all passed, 1 a scenario failed, 2 bad input or usage.
 * Subcommands gen, fuzz, shrink, explain and plot have their slot in the
 * dispatch table and are not written yet.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "ops_doc.h"
#include "pool.h"
#include "report.h"
#include "scenario.h"
#include "value.h"

#define EXIT_USAGE 2

struct sim_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
};

static int cmd_run(int argc, char **argv);
static int cmd_ops(int argc, char **argv);

static const struct sim_cmd cmds[] = {
    { "run", cmd_run, "run [--format text|tap|json] [--check every_step|end|off|full] "
                      "[--out DIR] [--seed N] [-j N] [-v] FILE..." },
    { "ops", cmd_ops, "ops [--check FILE | --update FILE]" },
    { "gen", NULL, "gen    (not written yet)" },
    { "fuzz", NULL, "fuzz   (not written yet)" },
    { "shrink", NULL, "shrink (not written yet)" },
    { "explain", NULL, "explain (not written yet)" },
    { "plot", NULL, "plot   (not written yet)" },
};

/* The usage text, to stdout for --help, stderr for a usage error. */
static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: xmm-sim COMMAND [options]\n");
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "       xmm-sim %s\n", cmds[i].usage);
}

/* A usage error: say what, print the usage line, exit code 2. */
static int usage_error(const char *fmt, const char *arg) G_GNUC_PRINTF(1, 0);
static int usage_error(const char *fmt, const char *arg)
{
    fputs("xmm-sim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return EXIT_USAGE;
}

struct run_args {
    struct sim_run_opts opts;
    struct sim_report rep;
    GPtrArray *files;
    GString *rerun; /* options repeated in the rerun hint */
    unsigned jobs;  /* -j: worker threads (default: online CPUs) */
};

/* The value of an option given as `--opt VALUE` or `--opt=VALUE`. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* True when argv[i] is the option `name` (with or without =VALUE). */
static bool opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Parse `run` options; returns -1 when parsing succeeded, else an exit code. */
static int run_parse(int argc, char **argv, struct run_args *ra)
{
    bool only_files = false;
    const char *v;
    int i, c;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            g_ptr_array_add(ra->files, argv[i]);
        } else if (strcmp(a, "--") == 0) {
            only_files = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            ra->rep.verbose = true;
        } else if (opt_is(a, "--format")) {
            if (!(v = opt_value(argc, argv, &i, "--format")))
                return usage_error("--format needs a value (%s)", "text, tap or json");
            if (strcmp(v, "text") == 0)
                ra->rep.fmt = SIM_FMT_TEXT;
            else if (strcmp(v, "tap") == 0)
                ra->rep.fmt = SIM_FMT_TAP;
            else if (strcmp(v, "json") == 0)
                ra->rep.fmt = SIM_FMT_JSON;
            else
                return usage_error("unknown --format '%s' (text, tap or json)", v);
        } else if (opt_is(a, "--check")) {
            if (!(v = opt_value(argc, argv, &i, "--check")))
                return usage_error("--check needs a value (%s)", "every_step, end, off or full");
            if ((c = sim_checks_parse(v)) < 0)
                return usage_error("unknown --check '%s' (every_step, end, off or full)", v);
            ra->opts.check_override = c;
            g_string_append_printf(ra->rerun, "%s--check %s", ra->rerun->len ? " " : "", v);
        } else if (opt_is(a, "--out")) {
            if (!(v = opt_value(argc, argv, &i, "--out")))
                return usage_error("--out needs a %s", "directory");
            if (!g_file_test(v, G_FILE_TEST_IS_DIR))
                return usage_error("--out '%s' is not a directory", v);
            ra->opts.out_dir = v;
        } else if (strcmp(a, "-j") == 0 || opt_is(a, "--jobs") ||
                   (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9')) {
            uint64_t n;

            v = a[1] == 'j' && a[2] ? a + 2 : opt_value(argc, argv, &i, a[1] == 'j' ? "-j" : "--jobs");
            if (!v)
                return usage_error("-j needs a %s", "number of jobs");
            if (sim_parse_u64(v, &n) != SIM_NUM_OK || n > 4096)
                return usage_error("-j '%s' is not a number of jobs (0 = one per CPU)", v);
            ra->jobs = n ? (unsigned)n : sim_online_cpus();
        } else if (opt_is(a, "--seed")) {
            if (!(v = opt_value(argc, argv, &i, "--seed")))
                return usage_error("--seed needs a %s", "number");
            if (sim_parse_u64(v, &ra->opts.seed) != SIM_NUM_OK)
                return usage_error("--seed '%s' is not a number (decimal or 0x hex)", v);
            ra->opts.has_seed = true;
        } else {
            return usage_error("run: unknown option '%s'", a);
        }
    }
    if (ra->files->len == 0)
        return usage_error("run: %s", "no scenario file given");
    return -1;
}

/* Print a load error as FILE:LINE:COL: message. */
static void print_load_error(const char *file, const struct sim_error *e)
{
    if (e->line)
        fprintf(stderr, "%s:%u:%u: %s\n", file, (unsigned)e->line, (unsigned)e->col, e->msg);
    else
        fprintf(stderr, "%s: %s\n", file, e->msg);
}

/*
 * xmm-sim run: validate every file first (any bad file: exit 2, nothing
 * runs), then run them in the order given.
 */
static int cmd_run(int argc, char **argv)
{
    struct run_args ra;
    GPtrArray *scs;
    size_t i;
    int rc, bad = 0;

    memset(&ra, 0, sizeof(ra));
    ra.opts.check_override = -1;
    ra.rep.out = stdout;
    ra.files = g_ptr_array_new();
    ra.rerun = g_string_new(NULL);
    ra.jobs = sim_online_cpus();
    scs = g_ptr_array_new_with_free_func((GDestroyNotify)sim_scenario_free);
    rc = run_parse(argc, argv, &ra);
    for (i = 0; rc < 0 && i < ra.files->len; i++) {
        struct sim_scenario *sc = NULL;
        struct sim_error err;

        if (sim_open_file(ra.files->pdata[i], &sc, &err) != 0) {
            print_load_error(ra.files->pdata[i], &err);
            bad++;
        } else {
            g_ptr_array_add(scs, sc);
        }
    }
    if (rc < 0 && bad)
        rc = EXIT_USAGE;
    if (rc < 0) {
        ra.rep.rerun_opts = ra.rerun->str;
        sim_report_begin(&ra.rep, scs->len);
        sim_run_batch(scs, &ra.opts, &ra.rep, ra.jobs);
        sim_report_end(&ra.rep);
        rc = ra.rep.failed ? 1 : 0;
    }
    g_ptr_array_free(scs, TRUE);
    g_ptr_array_free(ra.files, TRUE);
    g_string_free(ra.rerun, TRUE);
    return rc;
}

/* xmm-sim ops: print the op reference, or check/update a docs file. */
static int cmd_ops(int argc, char **argv)
{
    if (argc == 1) {
        sim_ops_print_markdown(stdout);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return sim_ops_doc_sync(argv[2], false, stderr);
    if (argc == 3 && strcmp(argv[1], "--update") == 0)
        return sim_ops_doc_sync(argv[2], true, stderr);
    return usage_error("ops: unexpected argument '%s'", argv[1]);
}

/* Dispatch on the subcommand. */
int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2)
        return usage_error("%s", "no command given");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (!cmds[i].fn) {
            fprintf(stderr, "xmm-sim: '%s' is not written yet\n", cmds[i].name);
            return EXIT_USAGE;
        }
        return cmds[i].fn(argc - 1, argv + 1);
    }
    return usage_error("unknown command '%s'", argv[1]);
}
