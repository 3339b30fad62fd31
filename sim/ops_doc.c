/*
 * xmm-sim - the op reference in markdown, printed from the op table.
 * docs/scenario-format.md embeds this text between two markers; `xmm-sim
 * ops --check FILE` fails when the embedded copy differs from the table
 * (a ctest runs it) and `--update FILE` rewrites it.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "exec.h"
#include "ops.h"
#include "ops_doc.h"

/* "0..0x7fef", "1..2^36 pages or a size", "true / false" ... */
static void doc_range(const struct sim_arg *a, GString *s)
{
    enum sim_type t = a->type == SIM_T_NESTED ? a->int_alt : a->type;
    uint64_t min, max;
    int i;

    if (a->type == SIM_T_NESTED || a->type == SIM_T_ENUM || a->type == SIM_T_OWNER) {
        for (i = 0; a->values && a->values[i]; i++)
            g_string_append_printf(s, "%s`%s`", i ? ", " : "", a->values[i]);
        if (a->type == SIM_T_OWNER)
            g_string_append(s, ", or a domid (`1` or `d1`)");
        if (a->type == SIM_T_NESTED && t != SIM_T_NONE)
            g_string_append_printf(s, "%s%s", a->values ? ", " : "", sim_type_name(t));
        if (a->type == SIM_T_NESTED)
            g_string_append(s, a->values || t != SIM_T_NONE ? ", or a mapping" : "a mapping");
        return;
    }
    if (t == SIM_T_BOOL) {
        g_string_append(s, "`true`, `false`");
        return;
    }
    if (t == SIM_T_P2M_TYPE) {
        for (i = 0; i < XMM_P2M_TYPE_COUNT; i++)
            g_string_append_printf(s, "%s`%s`", i ? ", " : "",
                                   xmm_p2m_type_name((enum xmm_p2m_type)i));
        return;
    }
    if (t == SIM_T_DEVICE) {
        g_string_append(s, "an id from world.iommu.devices");
        return;
    }
    if (!sim_type_is_int(t))
        return;
    sim_arg_range(a, t, &min, &max);
    if (max == XMM_FRAME_LIMIT - 1)
        g_string_append_printf(s, "%" PRIu64 "..2^36-1", min);
    else if (max == XMM_FRAME_LIMIT)
        g_string_append_printf(s, "%" PRIu64 "..2^36", min);
    else if (max == UINT64_MAX)
        g_string_append_printf(s, "%" PRIu64 "..2^64-1", min);
    else if (t == SIM_T_DOMID || t == SIM_T_SP)
        g_string_append_printf(s, "0x%" PRIx64 "..0x%" PRIx64, min, max);
    else
        g_string_append_printf(s, "%" PRIu64 "..%" PRIu64, min, max);
    if (t == SIM_T_PAGES)
        g_string_append(s, " pages, or a size (`4KiB`, `2MiB`, `1GiB`)");
    if (t == SIM_T_SP)
        g_string_append(s, ", declared in world.spmc");
}

/* "required", "default `64`", "optional" */
static void doc_default(const struct sim_arg *a, GString *s)
{
    if (a->flags & SIM_ARG_REQUIRED)
        g_string_append(s, "required");
    else if (!a->has_def)
        g_string_append(s, "optional");
    else if (a->type == SIM_T_BOOL)
        g_string_append_printf(s, "default `%s`", a->def ? "true" : "false");
    else if (a->values)
        g_string_append_printf(s, "default `%s`", a->values[a->def]);
    else
        g_string_append_printf(s, "default `%" PRIu64 "`", a->def);
}

/* "`safe_range.gfn`": the dotted path of a row. */
static void doc_key(const struct sim_op *op, int row, GString *s)
{
    if (op->args[row].parent >= 0) {
        doc_key(op, op->args[row].parent, s);
        g_string_append_c(s, '.');
    }
    g_string_append(s, op->args[row].key);
}

static const char *const bind_names[] = { "-", "gfn", "mfn", "handle" };

/* One op: heading, summary, status, argument table, example. */
static void doc_op(const struct sim_op *op, GString *s)
{
    size_t i;

    g_string_append_printf(s, "### `%s`\n\n%s.\n\n", op->name, op->summary);
    if (op->no_expect)
        g_string_append(s, "Returns no code (`expect` is not allowed).");
    else
        g_string_append_printf(s, "Returns %s codes.", sim_family_codes(op->family));
    if (op->binds != SIM_BIND_NONE)
        g_string_append_printf(s, " `as` binds the %s.", bind_names[op->binds]);
    g_string_append(s, op->scalar ? " Written `" : "\n\n");
    if (op->scalar) {
        g_string_append_printf(s, "%s: %s`.\n\n", op->name, op->args[0].key);
    }
    g_string_append(s, "| argument | type | required / default | values | meaning |\n"
                       "|---|---|---|---|---|\n");
    for (i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];

        g_string_append(s, "| `");
        doc_key(op, (int)i, s);
        g_string_append_printf(s, "` | %s | ", sim_type_name(a->type));
        doc_default(a, s);
        g_string_append(s, " | ");
        doc_range(a, s);
        g_string_append_printf(s, " | %s |\n", a->doc);
    }
    g_string_append_printf(s, "\n```yaml\n- %s\n```\n\n", op->example);
}

/* The check subjects and what each takes. */
static void doc_check_subjects(GString *s)
{
    const struct sim_op *ck = sim_op_check();
    size_t i, k;

    g_string_append(s, "#### check subjects\n\nA check names exactly one subject and asserts "
                       "at least one thing about it.\n\n| subject | asserts |\n"
                       "|---|---|\n");
    for (i = 0; i < sim_check_subject_count; i++) {
        const struct sim_check_subject *c = &sim_check_subjects[i];

        g_string_append_printf(s, "| `%s` | ", c->key);
        if (c->value_asserts)
            g_string_append(s, "its own value");
        for (k = 0; k < c->assert_count; k++)
            g_string_append_printf(s, "%s`%s`", k ? ", " : "", ck->args[c->asserts[k]].key);
        g_string_append(s, " |\n");
    }
    g_string_append(s, "\n");
}

/* The policy knobs. */
static void doc_policies(GString *s)
{
    size_t i;
    int v;

    g_string_append(s, "### Policy knobs\n\nThe first value is the default.\n\n"
                       "| knob | values | seed | meaning |\n|---|---|---|---|\n");
    for (i = 0; i < sim_policy_knob_count; i++) {
        g_string_append_printf(s, "| `%s` | ", sim_policy_knobs[i].name);
        for (v = 0; sim_policy_knobs[i].values[v]; v++)
            g_string_append_printf(s, "%s`%s`", v ? ", " : "", sim_policy_knobs[i].values[v]);
        g_string_append_printf(s, " | %s | %s |\n", sim_policy_knobs[i].seed,
                               sim_policy_knobs[i].doc);
    }
    g_string_append(s, "\n");
}

/* The whole op reference: summary table, each op, policies. */
char *sim_ops_markdown(void)
{
    GString *s = g_string_new(NULL);
    size_t i;

    g_string_append(s, "## Op reference\n\n"
                       "Generated from the op table (sim/ops.c) by `xmm-sim ops`.\n\n"
                       "| op | returns | `as` binds |\n|---|---|---|\n");
    for (i = 0; i < sim_op_count; i++) {
        const struct sim_op *op = &sim_ops[i];

        g_string_append_printf(s, "| [`%s`](#%s) | %s | %s |\n", op->name, op->name,
                               op->no_expect ? "-" : sim_family_codes(op->family),
                               bind_names[op->binds]);
    }
    g_string_append(s, "\n");
    for (i = 0; i < sim_op_count; i++) {
        doc_op(&sim_ops[i], s);
        if (&sim_ops[i] == sim_op_check())
            doc_check_subjects(s);
    }
    doc_policies(s);
    return g_string_free(s, FALSE);
}

/* One op's reference (`xmm-sim ops NAME`), as markdown (g_free it). */
char *sim_ops_op_markdown(const struct sim_op *op)
{
    GString *s = g_string_new(NULL);

    doc_op(op, s);
    if (op == sim_op_check())
        doc_check_subjects(s);
    return g_string_free(s, FALSE);
}

/* Roff text: backslashes and minus signs escaped, a leading dot or quote guarded. */
void sim_roff(GString *s, const char *t, bool drop_backquotes)
{
    if (*t == '.' || *t == '\'')
        g_string_append(s, "\\&");
    for (; *t; t++) {
        if (*t == '\\')
            g_string_append(s, "\\e");
        else if (*t == '-')
            g_string_append(s, "\\-");
        else if (*t != '`' || !drop_backquotes)
            g_string_append_c(s, *t);
    }
}

/* Markdown text in roff: the backquotes of code go. */
static void man_text(GString *s, const char *t)
{
    sim_roff(s, t, true);
}

/* The ops and policy knobs as roff sections of xmm-sim(1) (g_free it). */
char *sim_ops_man(void)
{
    GString *s = g_string_new(NULL), *t = g_string_new(NULL);
    size_t i, k;
    int v;

    g_string_append(s, ".SH SCENARIO OPS\n"
                       "Each step of a scenario is one op. The list is printed from the op "
                       "table, like \\fBxmm\\-sim ops\\fR, which gives the full reference "
                       "of one op with \\fBxmm\\-sim ops\\fR \\fINAME\\fR.\n");
    for (i = 0; i < sim_op_count; i++) {
        const struct sim_op *op = &sim_ops[i];

        g_string_append(s, ".TP\n.B ");
        man_text(s, op->name);
        g_string_append(s, "\n");
        man_text(s, op->summary);
        g_string_append(s, ".");
        g_string_append(s, "\n.RS\n");
        for (k = 0; k < op->arg_count; k++) {
            const struct sim_arg *a = &op->args[k];

            g_string_truncate(t, 0);
            doc_key(op, (int)k, t);
            g_string_append(s, ".br\n\\fI");
            man_text(s, t->str);
            g_string_truncate(t, 0);
            g_string_append_printf(t, "\\fR (%s, ", sim_type_name(a->type));
            doc_default(a, t);
            g_string_append(t, "): ");
            g_string_append(s, t->str);
            man_text(s, a->doc);
            g_string_append(s, "\n");
        }
        g_string_append(s, ".RE\n");
    }
    g_string_append(s, ".SH POLICY KNOBS\n"
                       "Set under \\fBworld.policy\\fR; the first value is the default.\n");
    for (i = 0; i < sim_policy_knob_count; i++) {
        g_string_append(s, ".TP\n.B ");
        man_text(s, sim_policy_knobs[i].name);
        g_string_append(s, "\n");
        for (v = 0; sim_policy_knobs[i].values[v]; v++) {
            g_string_append(s, v ? ", " : "");
            man_text(s, sim_policy_knobs[i].values[v]);
        }
        g_string_append(s, ": ");
        man_text(s, sim_policy_knobs[i].doc);
        g_string_append(s, " (seed ");
        man_text(s, sim_policy_knobs[i].seed);
        g_string_append(s, ")\n");
    }
    g_string_free(t, TRUE);
    return g_string_free(s, FALSE);
}

/* Print the reference (`xmm-sim ops`). */
void sim_ops_print_markdown(FILE *f)
{
    char *md = sim_ops_markdown();

    fputs(md, f);
    g_free(md);
}

/*
 * Find the generated section of a docs file: *start at the first byte after
 * the BEGIN marker's line, *end at the END marker.  Return: false if the
 * markers are missing.
 */
static bool doc_section(const char *text, const char **start, const char **end)
{
    const char *b = strstr(text, SIM_DOC_BEGIN), *e;

    if (!b)
        return false;
    b = strchr(b, '\n');
    if (!b)
        return false;
    e = strstr(b, SIM_DOC_END);
    if (!e)
        return false;
    *start = b + 1;
    *end = e;
    return true;
}

/* Compare (or rewrite) the generated section of a docs file. */
int sim_ops_doc_sync(const char *path, bool update, FILE *err)
{
    char *text = NULL, *md = NULL, *joined;
    const char *start, *end;
    GError *gerr = NULL;
    int rc = 2;

    if (!g_file_get_contents(path, &text, NULL, &gerr)) {
        fprintf(err, "xmm-sim ops: %s\n", gerr->message);
        g_error_free(gerr);
        return 2;
    }
    md = sim_ops_markdown();
    if (!doc_section(text, &start, &end)) {
        fprintf(err, "%s: markers '%s' ... '%s' not found\n", path, SIM_DOC_BEGIN, SIM_DOC_END);
    } else if ((size_t)(end - start) == strlen(md) && memcmp(start, md, strlen(md)) == 0) {
        rc = 0;
    } else if (!update) {
        fprintf(err, "%s: the op reference is out of date with sim/ops.c; "
                     "run: xmm-sim ops --update %s\n", path, path);
        rc = 1;
    } else {
        joined = g_strdup_printf("%.*s%s%s", (int)(start - text), text, md, end);
        if (g_file_set_contents(path, joined, -1, &gerr)) {
            rc = 0;
        } else {
            fprintf(err, "xmm-sim ops: %s\n", gerr->message);
            g_error_free(gerr);
        }
        g_free(joined);
    }
    g_free(md);
    g_free(text);
    return rc;
}
