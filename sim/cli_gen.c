/*
 * xmm-sim gen | fuzz | shrink | export-c: the command descriptions (the
 * parsing and the work live in gen_cli.c and export_c.c; docs/fuzzing.md).
 */
#include "cli.h"
#include "gen.h"

#define OPT_PROFILE                                                                          \
    { "--profile", "P",                                                                      \
      "which ops the generator draws: lifecycle, grants, ffa, iommu, saferange, mpu or mixed " \
      "(default mixed)" }
#define OPT_POLICY                                                                           \
    { "--policy", "KNOB=VALUE",                                                              \
      "set one policy knob of the generated world (repeatable; the knobs of "               \
      "docs/scenario-format.md, e.g. ffa_teardown=naive); unset knobs are drawn per run" }
#define OPT_WORLD                                                                            \
    { "--world", "FILE",                                                                     \
      "take the world (memory, domains, SPs, devices, policy) from this scenario file "     \
      "instead of drawing one" }

static const struct sim_cli_opt gen_opts[] = {
    { "--seed", "N", "the seed of the trace (decimal or 0x hex); required" },
    { "--steps", "M", "how many steps to draw at most; the trace stops early at a violation" },
    OPT_PROFILE,
    OPT_POLICY,
    OPT_WORLD,
    { "-o", "FILE", "write the scenario to FILE instead of standard output" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_gen = {
    .name = "gen",
    .fn = sim_cmd_gen,
    .synopsis = "--seed N --steps M [--profile P] [--policy KNOB=VALUE ...] [--world FILE] "
                "[-o FILE]",
    .summary = "generate a random trace as a scenario file",
    .description =
        "Draws a world and a sequence of steps from the op table, running each step on a live "
        "world as it goes, so every return code written into the scenario is the model's own "
        "answer; the written file replays unchanged with `xmm-sim run`. Same seed and options, "
        "same file, byte for byte.",
    .opts = gen_opts,
};

static const struct sim_cli_opt fuzz_opts[] = {
    { "--seed", "N", "the base seed (default 0); run k uses seed N + k*SHARDS + SHARD" },
    { "--runs", "K", "stop after K runs (the default budget is 1000 runs)" },
    { "--time", "SECONDS", "stop after this much wall-clock time (the only non-deterministic "
                           "budget: which runs happen depends on the machine's speed)" },
    { "--steps", "M", "steps per run (default 200)" },
    OPT_PROFILE,
    OPT_POLICY,
    OPT_WORLD,
    { "--shard", "I/N", "run only the seeds congruent to I modulo N, so N machines share one "
                        "seed space without overlap" },
    { "-j, --jobs", "N", "run N traces at a time on worker threads (default, and 0: one per "
                         "online CPU); the results are taken in run order, so the violation "
                         "reported, its reproducer and the counts are those of -j 1 (only the "
                         "steps/s figure differs)" },
    { "--out", "DIR", "directory (existing) for the shrunk reproducer of a violation "
                      "(default: the current directory)" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_fuzz = {
    .name = "fuzz",
    .fn = sim_cmd_fuzz,
    .synopsis = "[--seed N] [--runs K | --time SECONDS] [--steps M] [--profile P] "
                "[--policy KNOB=VALUE ...] [--world FILE] [--shard I/N] [-j N] [--out DIR]",
    .summary = "run generated traces until one violates an invariant",
    .description =
        "Each run generates a trace (as `gen` would) without recording it and checks every "
        "invariant after every step. On the first violation in run order (whatever -j) the "
        "trace is recorded, shrunk to a minimal scenario, written to DIR, and a command reproducing it is printed. Exit status: "
        "0 when the budget was spent with nothing found, 1 when a violation was found, 2 for a "
        "wrong command line.",
    .opts = fuzz_opts,
};

static const struct sim_cli_opt shrink_opts[] = {
    { "-o", "OUT", "write the shrunk scenario to OUT instead of standard output" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_shrink = {
    .name = "shrink",
    .fn = sim_cmd_shrink,
    .synopsis = "FILE [-o OUT]",
    .summary = "shrink a failing scenario to a minimal one that fails the same way",
    .description =
        "Cuts the steps after the violation, deletes chunks of steps, moves integer arguments "
        "toward small values and drops the RAM, MMIO regions, partitions and devices no step "
        "names, keeping each change only while the same invariant still breaks; then writes the "
        "result with every step's return code as the model returns it. A FILE that "
        "does not violate an invariant is a usage error (exit 2).",
    .opts = shrink_opts,
};

static const struct sim_cli_opt export_c_opts[] = {
    { "-o", "OUT.c", "write the C file to OUT.c instead of standard output" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_export_c = {
    .name = "export-c",
    .fn = sim_cmd_export_c,
    .synopsis = "FILE [-o OUT.c]",
    .summary = "turn a scenario into a cmocka unit test against the public API",
    .description =
        "Writes one C file that builds the scenario's world with libxmm calls, makes each step's "
        "call and asserts its return code and the invariants; link it with libxmm and cmocka.",
    .opts = export_c_opts,
};
