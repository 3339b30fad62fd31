/*
 * xmm-sim gen | fuzz | shrink: command lines (docs/fuzzing.md).
 *
 *   gen --seed N --steps M [--profile P] [--policy KNOB=VALUE ...] [--world FILE] [-o FILE]
 *   fuzz [--seed N] [--runs K | --time S] [--steps M] [--profile P] [--policy KNOB=VALUE ...]
 *        [--shard I/N] [-j N] [--out DIR]
 *   shrink FILE [-o OUT]
 *
 * Exit: 0 done (fuzz: budget spent, nothing found), 1 fuzz found a
 * violation, 2 bad arguments (or shrink given a file that does not fail).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gen.h"
#include "pool.h"
#include "value.h"
#include "write.h"

#define EXIT_USAGE 2

struct gen_args {
    struct sim_gen_opts o;
    bool has_seed, has_steps;
    const char *world_file;
    const char *out;          /* -o FILE / --out DIR */
    uint64_t runs;            /* fuzz: runs budget (0 = none given) */
    double time;              /* fuzz: seconds budget (0 = none given) */
    uint64_t shard_i, shard_n;
    unsigned jobs;            /* fuzz -j: worker threads */
    GString *policy_args;     /* " --policy k=v" ..., for the reproduce command */
    struct sim_scenario *world_sc;
    const char *file;         /* shrink: the input */
};

/* The command's descriptor (cli_gen.c), for its usage line and --help. */
static const struct sim_cli_cmd *gen_cmd(const char *cmd)
{
    if (strcmp(cmd, "gen") == 0)
        return &sim_cli_gen;
    return strcmp(cmd, "fuzz") == 0 ? &sim_cli_fuzz : &sim_cli_shrink;
}

static int arg_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int arg_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    int rc;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rc = sim_cli_usage_error(gen_cmd(cmd), "%s: %s", cmd, msg);
    g_free(msg);
    return rc;
}

/* `--opt VALUE` or `--opt=VALUE`; NULL (and *missing) when no value follows. */
static const char *ga_value(int argc, char **argv, int *i, const char *name, bool *match)
{
    size_t n = strlen(name);

    *match = false;
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *match = true;
        return argv[*i] + n + 1;
    }
    if (strcmp(argv[*i], name) == 0) {
        *match = true;
        return *i + 1 < argc ? argv[++*i] : NULL;
    }
    return NULL;
}

static int parse_policy(const char *cmd, const char *v, struct gen_args *ga)
{
    const char *eq = strchr(v, '=');
    char *knob = g_strndup(v, eq ? (size_t)(eq - v) : strlen(v));
    const struct sim_policy_knob *k = sim_policy_find(knob);
    char list[256];
    int idx, rc = -1;

    if (!k) {
        GString *names = g_string_new(NULL);
        size_t i;

        for (i = 0; i < sim_policy_knob_count; i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", sim_policy_knobs[i].name);
        rc = arg_error(cmd, "unknown policy knob '%s' (knobs: %s)", knob, names->str);
        g_string_free(names, TRUE);
    } else if (!eq) {
        sim_enum_join(k->values, list, sizeof(list));
        rc = arg_error(cmd, "--policy %s needs a value: KNOB=VALUE (%s)", knob, list);
    } else if ((idx = sim_enum_index(k->values, eq + 1)) < 0) {
        sim_enum_join(k->values, list, sizeof(list));
        rc = arg_error(cmd, "unknown value '%s' of policy %s (values: %s)", eq + 1, knob, list);
    } else {
        k->set(&ga->o.policy, (unsigned)idx);
        ga->o.policy_set |= UINT32_C(1) << (k - sim_policy_knobs);
        g_string_append_printf(ga->policy_args, " --policy %s=%s", knob, eq + 1);
    }
    g_free(knob);
    return rc;
}

/* Parse the options of gen / fuzz / shrink; -1 when parsing succeeded. */
static int ga_parse(const char *cmd, int argc, char **argv, struct gen_args *ga)
{
    bool gen = strcmp(cmd, "gen") == 0, fuzz = strcmp(cmd, "fuzz") == 0;
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool m;
        int p;

        if (sim_cli_is_help(a)) {
            sim_cli_cmd_help(stdout, gen_cmd(cmd));
            return 0;
        }
        if (!gen && !fuzz) {
            if ((v = ga_value(argc, argv, &i, "-o", &m)) || m) {
                if (!v)
                    return arg_error(cmd, "-o needs a file");
                ga->out = v;
            } else if (a[0] == '-' && a[1]) {
                return arg_error(cmd, "unknown option '%s'", a);
            } else if (ga->file) {
                return arg_error(cmd, "one scenario file only ('%s' and '%s')", ga->file, a);
            } else {
                ga->file = a;
            }
            continue;
        }
        if ((v = ga_value(argc, argv, &i, "--seed", &m)) || m) {
            if (!v || sim_parse_u64(v, &ga->o.seed) != SIM_NUM_OK)
                return arg_error(cmd, "--seed needs a number (decimal or 0x hex)");
            ga->has_seed = true;
        } else if ((v = ga_value(argc, argv, &i, "--steps", &m)) || m) {
            uint64_t n;

            if (!v || sim_parse_u64(v, &n) != SIM_NUM_OK || n == 0 || n > SIM_MAX_STEPS)
                return arg_error(cmd, "--steps needs a number from 1 to %u", SIM_MAX_STEPS);
            ga->o.steps = (size_t)n;
            ga->has_steps = true;
        } else if ((v = ga_value(argc, argv, &i, "--profile", &m)) || m) {
            if (!v || (p = sim_enum_index(sim_profile_names, v)) < 0)
                return arg_error(cmd, "unknown profile '%s' (lifecycle, grants, ffa, iommu, "
                                      "saferange, mpu, mixed)", v ? v : "");
            ga->o.profile = (enum sim_profile)p;
        } else if ((v = ga_value(argc, argv, &i, "--policy", &m)) || m) {
            if (!v)
                return arg_error(cmd, "--policy needs KNOB=VALUE");
            if ((rc = parse_policy(cmd, v, ga)) >= 0)
                return rc;
        } else if (((v = ga_value(argc, argv, &i, "--world", &m)) || m)) {
            if (!v)
                return arg_error(cmd, "--world needs a scenario file");
            ga->world_file = v;
        } else if (gen && (((v = ga_value(argc, argv, &i, "-o", &m)) || m))) {
            if (!v)
                return arg_error(cmd, "-o needs a file");
            ga->out = v;
        } else if (fuzz && (((v = ga_value(argc, argv, &i, "--out", &m)) || m))) {
            if (!v || !g_file_test(v, G_FILE_TEST_IS_DIR))
                return arg_error(cmd, "--out needs an existing directory ('%s')", v ? v : "");
            ga->out = v;
        } else if (fuzz && (((v = ga_value(argc, argv, &i, "--runs", &m)) || m))) {
            if (!v || sim_parse_u64(v, &ga->runs) != SIM_NUM_OK || ga->runs == 0)
                return arg_error(cmd, "--runs needs a positive number");
        } else if (fuzz && (((v = ga_value(argc, argv, &i, "--time", &m)) || m))) {
            char *end = NULL;

            ga->time = v ? g_ascii_strtod(v, &end) : 0;
            if (!v || !end || *end || !(ga->time > 0))
                return arg_error(cmd, "--time needs a positive number of seconds");
        } else if (fuzz && (strcmp(a, "-j") == 0 || strncmp(a, "-j=", 3) == 0 ||
                            strcmp(a, "--jobs") == 0 || strncmp(a, "--jobs=", 7) == 0 ||
                            (a[0] == '-' && a[1] == 'j' && a[2] >= '0' && a[2] <= '9'))) {
            v = a[1] == 'j' && a[2] >= '0' && a[2] <= '9'
                    ? a + 2
                    : ga_value(argc, argv, &i, a[1] == 'j' ? "-j" : "--jobs", &m);
            if (!v)
                return arg_error(cmd, "-j needs a number of jobs");
            if (!sim_parse_jobs(v, 4096, &ga->jobs))
                return arg_error(cmd, "-j '%s' is not a number of jobs (0 to 4096; 0 = one per "
                                      "CPU)", v);
        } else if (fuzz && (((v = ga_value(argc, argv, &i, "--shard", &m)) || m))) {
            const char *slash = v ? strchr(v, '/') : NULL;
            char *first = slash ? g_strndup(v, (size_t)(slash - v)) : NULL;
            bool ok = first && sim_parse_u64(first, &ga->shard_i) == SIM_NUM_OK &&
                      sim_parse_u64(slash + 1, &ga->shard_n) == SIM_NUM_OK && ga->shard_n > 0 &&
                      ga->shard_i < ga->shard_n;

            g_free(first);
            if (!ok)
                return arg_error(cmd, "malformed --shard '%s': I/N with 0 <= I < N (e.g. 3/16)",
                                 v ? v : "");
        } else {
            return arg_error(cmd, "unknown argument '%s'", a);
        }
    }
    if (fuzz && ga->runs && ga->time > 0)
        return arg_error(cmd, "--runs and --time exclude each other");
    if (gen && (!ga->has_seed || !ga->has_steps))
        return arg_error(cmd, "--seed N and --steps M are required");
    if (!gen && !fuzz && !ga->file)
        return arg_error(cmd, "no scenario file given");
    if (ga->world_file) {
        struct sim_error err;

        if (sim_load_file(ga->world_file, &ga->world_sc, &err) != 0) {
            fprintf(stderr, "%s:%u:%u: %s\n", ga->world_file, (unsigned)err.line,
                    (unsigned)err.col, err.msg);
            return EXIT_USAGE;
        }
        ga->o.world = &ga->world_sc->world;
    }
    return -1;
}

static void ga_init(struct gen_args *ga)
{
    memset(ga, 0, sizeof(*ga));
    ga->o.profile = SIM_PROF_MIXED;
    ga->o.steps = 200;
    ga->shard_n = 1;
    ga->jobs = sim_online_cpus();
    ga->policy_args = g_string_new(NULL);
}

static void ga_clear(struct gen_args *ga)
{
    g_string_free(ga->policy_args, TRUE);
    sim_scenario_free(ga->world_sc);
}

/* Write text to a file, or stdout when path is NULL or "-". */
static int write_text(const char *path, const char *text)
{
    GError *e = NULL;

    if (!path || strcmp(path, "-") == 0) {
        fputs(text, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (!g_file_set_contents(path, text, -1, &e)) {
        fprintf(stderr, "xmm-sim: cannot write %s: %s\n", path, e->message);
        g_error_free(e);
        return EXIT_USAGE;
    }
    return 0;
}

int sim_cmd_gen(int argc, char **argv)
{
    struct gen_args ga;
    struct sim_gen_result res;
    int rc;

    ga_init(&ga);
    rc = ga_parse("gen", argc, argv, &ga);
    if (rc < 0) {
        if (sim_gen_run(&ga.o, true, &res) != 0) {
            fprintf(stderr, "xmm-sim gen: the world could not be built\n");
            rc = EXIT_USAGE;
        } else {
            char *yaml;

            res.sc->name = g_strdup_printf("gen-%s-%" PRIu64, sim_profile_names[ga.o.profile],
                                           ga.o.seed);
            res.sc->description = g_strdup_printf(
                "generated by: xmm-sim gen --seed %" PRIu64 " --steps %zu --profile %s%s%s%s",
                ga.o.seed, ga.o.steps, sim_profile_names[ga.o.profile], ga.policy_args->str,
                ga.world_file ? " --world " : "", ga.world_file ? ga.world_file : "");
            yaml = sim_scenario_to_yaml(res.sc);
            rc = write_text(ga.out, yaml);
            g_free(yaml);
            sim_scenario_free(res.sc);
        }
    }
    ga_clear(&ga);
    return rc;
}

/* The finding: regenerate with recording, shrink, write, verify, report. */
static int fuzz_report(struct gen_args *ga, uint64_t seed, enum xmm_invariant inv)
{
    struct sim_gen_opts o = ga->o;
    struct sim_gen_result res;
    struct sim_shrink_stats st;
    struct sim_scenario *small;
    enum xmm_invariant kept = inv;
    const char *dir = ga->out ? ga->out : ".";
    char *path, *yaml, *gencmd;
    int rc;

    o.seed = seed;
    gencmd = g_strdup_printf("xmm-sim gen --seed %" PRIu64 " --steps %zu --profile %s%s", seed,
                             o.steps, sim_profile_names[o.profile], ga->policy_args->str);
    if (sim_gen_run(&o, true, &res) != 0 || !res.violated) {
        fprintf(stderr, "xmm-sim fuzz: seed %" PRIu64 " did not fail again when recorded "
                        "(nondeterminism): %s\n", seed, gencmd);
        g_free(gencmd);
        if (res.sc)
            sim_scenario_free(res.sc);
        return 1;
    }
    res.sc->name = g_strdup("generated");
    small = sim_shrink(res.sc, &kept, &st);
    if (!small) {
        small = res.sc;
        res.sc = NULL;
        st.steps_before = st.steps_after = small->step_count;
    }
    g_free(small->name);
    g_free(small->description);
    small->name = g_strdup_printf("%s-%" PRIu64, xmm_invariant_name(kept), seed);
    small->description = g_strdup_printf(
        "Found by xmm-sim fuzz, seed %" PRIu64 ": %s broken; shrunk from %zu to %zu steps. "
        "Unshrunk trace: %s", seed, xmm_invariant_name(kept), st.steps_before, st.steps_after,
        gencmd);
    small->expect_violation = true;
    small->violation = kept;
    path = g_strdup_printf("%s/%s-%" PRIu64 ".yaml", dir, xmm_invariant_name(kept), seed);
    yaml = sim_scenario_to_yaml(small);
    rc = write_text(path, yaml);
    printf("xmm-sim fuzz: seed %" PRIu64 ": invariant %s violated (%zu steps, shrunk to %zu)\n",
           seed, xmm_invariant_name(kept), st.steps_before, st.steps_after);
    printf("  reproducer: %s\n  reproduce:  xmm-sim run %s\n  the trace:  %s\n", path, path,
           gencmd);
    fflush(stdout);
    g_free(yaml);
    g_free(path);
    g_free(gencmd);
    sim_scenario_free(small);
    if (res.sc)
        sim_scenario_free(res.sc);
    return rc ? rc : 1;
}

/*
 * A fuzz campaign: run k uses seed N + k*SHARDS + SHARD.  The runs go to
 * `jobs` workers (sim_pool_ordered) and are taken back in run order, so the
 * first violating run in that order is the one reported, and the runs and
 * steps counted are those one job would have done, for any job count.
 */
struct fuzz {
    struct gen_args *ga;
    struct fuzz_slot {
        struct sim_gen_result res;
        int rc;               /* sim_gen_run's */
    } *slot;                  /* [window] */
    uint64_t runs, steps, ops; /* taken so far */
    uint64_t found;           /* the run that stopped the campaign (UINT64_MAX: none) */
    int rc;                   /* -1 while going on */
    gint64 start, last;
    bool tty;
};

static uint64_t fuzz_seed(const struct gen_args *ga, uint64_t k)
{
    return ga->o.seed + k * ga->shard_n + ga->shard_i;
}

/* The budget: --runs K, or --time S (checked before a run starts). */
static bool fuzz_more(void *ctx, uint64_t k)
{
    const struct fuzz *f = ctx;

    if (f->ga->runs && k >= f->ga->runs)
        return false;
    return !(f->ga->time > 0 && (double)(g_get_monotonic_time() - f->start) / 1e6 >= f->ga->time);
}

/* One run, unrecorded, on a worker: everything it touches is its own. */
static void fuzz_task(void *ctx, uint64_t k, size_t slot)
{
    const struct fuzz *f = ctx;
    struct sim_gen_opts o = f->ga->o;

    o.seed = fuzz_seed(f->ga, k);
    f->slot[slot].rc = sim_gen_run(&o, false, &f->slot[slot].res);
}

/* Run k's result, in run order: count it, stop at a violation. */
static bool fuzz_take(void *ctx, uint64_t k, size_t slot)
{
    struct fuzz *f = ctx;
    const struct sim_gen_result *res = &f->slot[slot].res;
    gint64 now;

    if (f->slot[slot].rc != 0) {
        fprintf(stderr, "xmm-sim fuzz: seed %" PRIu64 ": the drawn world could not be built\n",
                fuzz_seed(f->ga, k));
        f->rc = 1;
        return false;
    }
    f->runs = k + 1;
    f->steps += res->steps_run;
    f->ops |= res->ops_seen;
    if (res->violated) {
        f->found = k;
        return false;
    }
    if (f->tty && ((now = g_get_monotonic_time()) - f->last) >= 1000000) {
        double secs = (double)(now - f->start) / 1e6;

        f->last = now;
        fprintf(stderr, "\rxmm-sim fuzz: %" PRIu64 " runs, %.0f steps/s, %d op kinds, "
                        "policy%s   ", f->runs, (double)f->steps / secs,
                __builtin_popcountll(f->ops),
                f->ga->policy_args->len ? f->ga->policy_args->str + 9 : ": defaults");
    }
    return true;
}

int sim_cmd_fuzz(int argc, char **argv)
{
    struct gen_args ga;
    struct fuzz f;
    size_t window;
    int rc;

    ga_init(&ga);
    rc = ga_parse("fuzz", argc, argv, &ga);
    if (rc >= 0) {
        ga_clear(&ga);
        return rc;
    }
    if (!ga.runs && !(ga.time > 0))
        ga.runs = 1000;
    memset(&f, 0, sizeof(f));
    f.ga = &ga;
    f.found = UINT64_MAX;
    f.rc = -1;
    f.tty = isatty(2);
    window = sim_pool_window(ga.jobs);
    f.slot = g_new0(struct fuzz_slot, window);
    f.start = f.last = g_get_monotonic_time();
    (void)sim_pool_ordered(ga.jobs, window, fuzz_more, fuzz_task, fuzz_take, &f);
    if (f.found != UINT64_MAX) {
        if (f.tty)
            fputc('\n', stderr);
        f.rc = fuzz_report(&ga, fuzz_seed(&ga, f.found), f.slot[f.found % window].res.inv);
    } else if (f.rc < 0) {
        double secs = (double)(g_get_monotonic_time() - f.start) / 1e6;

        if (f.tty)
            fputc('\n', stderr);
        printf("xmm-sim fuzz: %" PRIu64 " runs, %" PRIu64 " steps, %d op kinds, no violation "
               "(%.0f steps/s)\n", f.runs, f.steps, __builtin_popcountll(f.ops),
               secs > 0 ? (double)f.steps / secs : 0.0);
        f.rc = 0;
    }
    g_free(f.slot);
    ga_clear(&ga);
    return f.rc;
}

int sim_cmd_shrink(int argc, char **argv)
{
    struct gen_args ga;
    struct sim_scenario *sc = NULL, *small;
    struct sim_shrink_stats st;
    struct sim_error err;
    enum xmm_invariant inv;
    int rc;

    ga_init(&ga);
    rc = ga_parse("shrink", argc, argv, &ga);
    if (rc >= 0) {
        ga_clear(&ga);
        return rc;
    }
    if (sim_load_file(ga.file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", ga.file, (unsigned)err.line, (unsigned)err.col,
                err.msg);
        ga_clear(&ga);
        return EXIT_USAGE;
    }
    small = sim_shrink(sc, &inv, &st);
    if (!small) {
        rc = arg_error("shrink", "%s does not end in an invariant violation%s: nothing to shrink",
                       ga.file, sc->expect_violation ? " (the one it expects)" : "");
    } else {
        char *yaml;

        if (!small->description || !strstr(small->description, "shrunk")) {
            char *d = g_strdup_printf("%s%sShrunk by xmm-sim shrink from %zu to %zu steps.",
                                      small->description ? small->description : "",
                                      small->description ? " " : "", st.steps_before,
                                      st.steps_after);

            g_free(small->description);
            small->description = d;
        }
        small->expect_violation = true;
        small->violation = inv;
        yaml = sim_scenario_to_yaml(small);
        rc = write_text(ga.out, yaml);
        fprintf(stderr, "xmm-sim shrink: %s: %s, %zu steps -> %zu steps (%zu runs)\n", ga.file,
                xmm_invariant_name(inv), st.steps_before, st.steps_after, st.runs);
        g_free(yaml);
        sim_scenario_free(small);
    }
    sim_scenario_free(sc);
    ga_clear(&ga);
    return rc;
}
