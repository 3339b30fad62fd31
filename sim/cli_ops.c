/*
 * xmm-sim ops: the op reference printed from the op table (all of it, or
 * one op), and the check that docs/scenario-format.md carries the same text.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ops.h"
#include "ops_doc.h"

static const struct sim_cli_opt ops_opts[] = {
    { "NAME", NULL, "print the reference of one op (its arguments, codes and an example)" },
    { "--check", "FILE",
      "exit 1 when the generated section of FILE (between the xmm-sim ops markers) differs "
      "from the op table" },
    { "--update", "FILE", "rewrite the generated section of FILE from the op table" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

static int cmd_ops(int argc, char **argv);

const struct sim_cli_cmd sim_cli_ops = {
    .name = "ops",
    .fn = cmd_ops,
    .synopsis = "[NAME | --check FILE | --update FILE]",
    .summary = "print the scenario op reference (markdown), or one op's",
    .description = "Without arguments, the whole reference of docs/scenario-format.md: every op, "
                   "its arguments with types, ranges and defaults, the check subjects and the "
                   "policy knobs.",
    .opts = ops_opts,
};

/* One op by name; an unknown name lists the ops. */
static int ops_one(const char *name)
{
    const struct sim_op *op = sim_op_find(name);
    GString *names;
    char *md;
    size_t i;

    if (op) {
        md = sim_ops_op_markdown(op);
        fputs(md, stdout);
        g_free(md);
        return 0;
    }
    names = g_string_new(NULL);
    for (i = 0; i < sim_op_count; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "", sim_ops[i].name);
    fprintf(stderr, "xmm-sim: ops: unknown op '%s' (ops: %s)\n", name, names->str);
    g_string_free(names, TRUE);
    return SIM_EXIT_USAGE;
}

static int cmd_ops(int argc, char **argv)
{
    if (argc == 1) {
        sim_ops_print_markdown(stdout);
        return 0;
    }
    if (argc == 2 && sim_cli_is_help(argv[1])) {
        sim_cli_cmd_help(stdout, &sim_cli_ops);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return sim_ops_doc_sync(argv[2], false, stderr);
    if (argc == 3 && strcmp(argv[1], "--update") == 0)
        return sim_ops_doc_sync(argv[2], true, stderr);
    if (argc == 2 && argv[1][0] != '-')
        return ops_one(argv[1]);
    return sim_cli_usage_error(&sim_cli_ops, "ops: unexpected argument '%s'", argv[1]);
}
