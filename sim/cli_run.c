/*
 * xmm-sim run: load every file, report the ones that do not load, run the
 * rest in the order given.
 *
 * A malformed file does not stop the batch: it is reported in the chosen
 * format (text: its FILE:LINE:COL line on stderr; TAP: `not ok`; JSON: an
 * error object; JUnit: a testsuite with an <error>) and the other files
 * still run.  TAP says `Bail out!` only when no file could be loaded.
 * Exit: 2 if any file was malformed, else 1 if any scenario failed, else 0.
 */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "cli.h"
#include "pool.h"
#include "report.h"
#include "scenario.h"
#include "sweep.h"
#include "value.h"

static const struct sim_cli_opt run_opts[] = {
    { "--format", "text|tap|json|junit",
      "output format: text (default), TAP version 13, JSON lines (one object per step, "
      "scenario and malformed file, then a summary), or a JUnit XML report (one testsuite "
      "per file, one testcase per scenario) for GitLab CI and Jenkins" },
    { "--check", "every_step|end|off|full",
      "when invariants are checked, overriding world.checks of every scenario: incremental "
      "after each step, a full sweep at the end only, never, or a full sweep after each step" },
    { "--out", "DIR",
      "directory for the files scenarios write (export_dt); created with its parents when "
      "missing (default: the current directory)" },
    { "--seed", "N", "seed every world with N (decimal or 0x hex) instead of the scenario's seed" },
    { "--dump-at", "STEP",
      "after step STEP (1-based) print the whole world: frames by state, every domain with its "
      "P2M, every device (text), or a {\"type\":\"dump\"} object with --format json" },
    { "-j, --jobs", "N",
      "run N files at a time on worker threads (default, and 0: one per online CPU); each "
      "file's report is held until the files before it are printed, so the output is the "
      "same bytes for any N" },
    { "--fail-alloc-sweep", NULL,
      "instead of judging each scenario, fail every allocation its steps make in turn "
      "(once transient, once sticky): the step hit must return its family's out-of-memory "
      "code and change nothing, the invariants must hold, the run must end cleanly and "
      "xmm_world_free must give every block back; prints the allocation points and every "
      "problem, exit 1 on any" },
    { "-v, --verbose", NULL,
      "one line per executed step with its tick and return code, and the report of an "
      "expected violation" },
    { "-h, --help", NULL, "this text" },
    { "--", NULL, "every later argument is a file" },
    { NULL, NULL, NULL },
};

static int cmd_run(int argc, char **argv);

const struct sim_cli_cmd sim_cli_run = {
    .name = "run",
    .fn = cmd_run,
    .synopsis = "[--format text|tap|json|junit] [--check MODE] [--out DIR] [--seed N] [--dump-at STEP] "
                "[-j N] [-v] [--fail-alloc-sweep] FILE...",
    .summary = "run scenario files and report each verdict",
    .description =
        "Each FILE is validated in full first; a file that does not load is reported (text: "
        "FILE:LINE:COL: message on stderr) and the others still run. A failing scenario is "
        "reported with the step, its YAML line, what differed, the violated invariant with the "
        "frame's history, and a command that reruns it. The last line (text, TAP) is "
        "\"N passed, M failed\" (\", K malformed\" when files did not load). Exit status: 2 if "
        "any file was malformed or the command line is wrong, else 1 if any scenario failed, "
        "else 0.",
    .opts = run_opts,
};

struct run_args {
    struct sim_run_opts opts;
    struct sim_report rep;
    GPtrArray *files;
    GString *rerun; /* options repeated in the rerun hint */
    unsigned jobs;  /* -j: worker threads */
    bool sweep;     /* --fail-alloc-sweep */
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

/* --out DIR: an existing directory, or one made (with its parents) now. */
static int run_out_dir(const char *v)
{
    if (g_file_test(v, G_FILE_TEST_IS_DIR))
        return -1;
    if (g_file_test(v, G_FILE_TEST_EXISTS))
        return sim_cli_usage_error(&sim_cli_run, "--out '%s' is not a directory", v);
    if (g_mkdir_with_parents(v, 0777) != 0)
        return sim_cli_usage_error(&sim_cli_run, "--out '%s': cannot create it: %s", v,
                                   g_strerror(errno));
    return -1;
}

/* Parse `run` options; returns -1 when parsing succeeded, else an exit code. */
static int run_parse(int argc, char **argv, struct run_args *ra)
{
    const struct sim_cli_cmd *c = &sim_cli_run;
    bool only_files = false;
    const char *v;
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            g_ptr_array_add(ra->files, argv[i]);
        } else if (strcmp(a, "--") == 0) {
            only_files = true;
        } else if (sim_cli_is_help(a)) {
            sim_cli_cmd_help(stdout, c);
            return 0;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            ra->rep.verbose = true;
        } else if (strcmp(a, "--fail-alloc-sweep") == 0) {
            ra->sweep = true;
        } else if (opt_is(a, "--format")) {
            if (!(v = opt_value(argc, argv, &i, "--format")))
                return sim_cli_usage_error(c, "--format needs a value (text, tap, json or junit)");
            if (sim_report_format_parse(v, &ra->rep.fmt) != 0)
                return sim_cli_usage_error(c, "unknown --format '%s' (text, tap, json or junit)",
                                           v);
        } else if (opt_is(a, "--check")) {
            if (!(v = opt_value(argc, argv, &i, "--check")))
                return sim_cli_usage_error(c, "--check needs a value (every_step, end, off or "
                                              "full)");
            if ((ra->opts.check_override = sim_checks_parse(v)) < 0)
                return sim_cli_usage_error(c, "unknown --check '%s' (every_step, end, off or "
                                              "full)", v);
            g_string_append_printf(ra->rerun, "%s--check %s", ra->rerun->len ? " " : "", v);
        } else if (opt_is(a, "--out")) {
            if (!(v = opt_value(argc, argv, &i, "--out")))
                return sim_cli_usage_error(c, "--out needs a directory");
            if ((rc = run_out_dir(v)) >= 0)
                return rc;
            ra->opts.out_dir = v;
        } else if (strcmp(a, "-j") == 0 || opt_is(a, "--jobs") ||
                   (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9')) {
            v = a[1] == 'j' && a[2] ? a + 2
                                    : opt_value(argc, argv, &i, a[1] == 'j' ? "-j" : "--jobs");
            if (!v)
                return sim_cli_usage_error(c, "-j needs a number of jobs");
            if (!sim_parse_jobs(v, 4096, &ra->jobs))
                return sim_cli_usage_error(c, "-j '%s' is not a number of jobs (0 to 4096; 0 = "
                                              "one per CPU)", v);
        } else if (opt_is(a, "--dump-at")) {
            uint64_t n;

            if (!(v = opt_value(argc, argv, &i, "--dump-at")))
                return sim_cli_usage_error(c, "--dump-at needs a step number");
            if (sim_parse_u64(v, &n) != SIM_NUM_OK || n == 0 || n > SIZE_MAX)
                return sim_cli_usage_error(c, "--dump-at '%s' is not a step number (1, 2, ...)",
                                           v);
            ra->rep.dump_at = (size_t)n;
        } else if (opt_is(a, "--seed")) {
            if (!(v = opt_value(argc, argv, &i, "--seed")))
                return sim_cli_usage_error(c, "--seed needs a number");
            if (sim_parse_u64(v, &ra->opts.seed) != SIM_NUM_OK)
                return sim_cli_usage_error(c, "--seed '%s' is not a number (decimal or 0x hex)",
                                           v);
            ra->opts.has_seed = true;
        } else {
            return sim_cli_usage_error(c, "run: unknown option '%s'", a);
        }
    }
    if (ra->files->len == 0)
        return sim_cli_usage_error(c, "run: no scenario file given");
    return -1;
}

/* Load every file (errors to stderr as FILE:LINE:COL: message); count the bad ones. */
static size_t run_load(const GPtrArray *files, struct sim_batch_entry *e)
{
    size_t i, bad = 0;

    for (i = 0; i < files->len; i++) {
        e[i].file = files->pdata[i];
        if (sim_open_file(e[i].file, &e[i].sc, &e[i].err) == 0)
            continue;
        e[i].sc = NULL;
        bad++;
        if (e[i].err.line)
            fprintf(stderr, "%s:%u:%u: %s\n", e[i].file, (unsigned)e[i].err.line,
                    (unsigned)e[i].err.col, e[i].err.msg);
        else
            fprintf(stderr, "%s: %s\n", e[i].file, e[i].err.msg);
    }
    fflush(stderr);
    return bad;
}

/* --fail-alloc-sweep over the files that loaded (sweep.c). */
static int run_sweep(const struct sim_batch_entry *e, size_t count, const struct sim_run_opts *o)
{
    const struct sim_scenario **sc = g_new0(const struct sim_scenario *, count + 1);
    size_t i, n = 0;
    int rc;

    for (i = 0; i < count; i++)
        if (e[i].sc)
            sc[n++] = e[i].sc;
    rc = sim_sweep_alloc(sc, n, o, stdout);
    g_free(sc);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    struct sim_batch_entry *e;
    struct run_args ra;
    size_t i, bad;
    int rc;

    memset(&ra, 0, sizeof(ra));
    ra.opts.check_override = -1;
    ra.rep.out = stdout;
    ra.files = g_ptr_array_new();
    ra.rerun = g_string_new(NULL);
    ra.jobs = sim_online_cpus();
    rc = run_parse(argc, argv, &ra);
    if (rc >= 0)
        goto out;
    e = g_new0(struct sim_batch_entry, ra.files->len + 1);
    bad = run_load(ra.files, e);
    if (ra.sweep) {
        rc = run_sweep(e, ra.files->len, &ra.opts);
        rc = bad ? SIM_EXIT_USAGE : rc;
        goto done;
    }
    ra.rep.rerun_opts = ra.rerun->str;
    sim_report_begin(&ra.rep, ra.files->len);
    sim_run_batch(e, ra.files->len, &ra.opts, &ra.rep, ra.jobs);
    sim_report_end(&ra.rep);
    rc = bad ? SIM_EXIT_USAGE : ra.rep.failed ? 1 : 0;
done:
    for (i = 0; i < ra.files->len; i++)
        if (e[i].sc)
            sim_scenario_free(e[i].sc);
    g_free(e);
out:
    g_ptr_array_free(ra.files, TRUE);
    g_string_free(ra.rerun, TRUE);
    return rc;
}
