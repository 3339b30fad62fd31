/*
 * xmm-sim explore: the command description (the search lives in
 * explore.c; docs/explore.md).
 */
#include "cli.h"

static const struct sim_cli_opt explore_opts[] = {
    { "--depth", "K", "explore every op sequence up to K ops (1..64; default explore.depth)" },
    { "--max-states", "N", "stop once N distinct states are stored (the result says so)" },
    { "--ops", "LIST", "keep only the alphabet ops with these names (comma-separated)" },
    { "--policy", "KNOB=VALUE", "set one policy knob of the world (repeatable; the knobs of "
                                "docs/scenario-format.md)" },
    { "--liveness", "TICKS", "teardown check from every state, running the clock on TICKS "
                             "(0: off; default explore.liveness)" },
    { "--no-symmetry", NULL, "do not reduce by the ids of explore.symmetric" },
    { "--replay", NULL, "expand a state by replaying its path from a new world instead of "
                        "cloning its parent's world (slower; same result)" },
    { "-j, --jobs", "N", "expand each depth with N worker threads (default, and 0: one per "
                         "online CPU, at most 64); the output is the one of -j 1 but for the "
                         "line workers: N and the timings" },
    { "--out", "DIR", "directory for the counterexample scenario (created; default .)" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

const struct sim_cli_cmd sim_cli_explore = {
    .name = "explore",
    .fn = sim_cmd_explore,
    .synopsis = "FILE [--depth K] [--max-states N] [--ops LIST] [--policy KNOB=VALUE ...] "
                "[--liveness TICKS] [--no-symmetry] [--replay] [-j N] [--out DIR]",
    .summary = "search every op sequence of a scenario's alphabet for the shortest violation",
    .description =
        "Builds the scenario's world and runs its steps (the setup), then explores breadth-first "
        "every sequence of the ops listed under its `explore` key up to depth K, keeping one "
        "state per world digest and checking every invariant in every new state. The first "
        "violation found is the shortest: it is written as a scenario with expect: {violation} "
        "(DIR/NAME-counterexample.yaml), run back, and the exit status is 1. Otherwise the "
        "distinct states, transitions, depth completed and states per second are printed and "
        "the exit status is 0. A scenario without `explore`, an op not in the op table or a "
        "depth of 0 is an error (exit 2).",
    .opts = explore_opts,
};
