/*
 * xmm-sim - reporters for `xmm-sim run` (see report.h), and the argument
 * formatting the runner and the reporters share.
 */
#include "report.h"
#include "inspect.h"

#include <inttypes.h>
#include <string.h>

/* --- arguments ----------------------------------------------------------- */

/* A JSON string literal: quotes, backslashes and control characters escaped. */
void sim_json_string(GString *out, const char *s)
{
    const unsigned char *p;

    g_string_append_c(out, '"');
    for (p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (*p < 0x20)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

/* Frame numbers, handles and partition ids read best in hex. */
static bool fmt_is_hex(const struct sim_arg *a)
{
    enum sim_type t = a->type == SIM_T_NESTED ? a->int_alt : a->type;

    return t == SIM_T_GFN || t == SIM_T_MFN || t == SIM_T_HANDLE || t == SIM_T_SP;
}

/* One resolved value. */
static void fmt_value(const struct sim_arg *a, const struct sim_res *v, bool json, GString *out)
{
    switch (v->kind) {
    case SIM_V_ENUM:
        if (json)
            sim_json_string(out, a->values[v->u]);
        else
            g_string_append(out, a->values[v->u]);
        break;
    case SIM_V_STR:
        if (json)
            sim_json_string(out, v->s);
        else
            g_string_append(out, v->s);
        break;
    default:
        if (a->type == SIM_T_BOOL)
            g_string_append(out, v->u ? "true" : "false");
        else if (a->type == SIM_T_P2M_TYPE && json)
            sim_json_string(out, xmm_p2m_type_name((enum xmm_p2m_type)v->u));
        else if (a->type == SIM_T_P2M_TYPE)
            g_string_append(out, xmm_p2m_type_name((enum xmm_p2m_type)v->u));
        else if (fmt_is_hex(a) && !json)
            g_string_append_printf(out, "0x%" PRIx64, v->u);
        else
            g_string_append_printf(out, "%" PRIu64, v->u);
        break;
    }
}

/* The written rows under `parent`, resolved. */
static void fmt_rows(const struct sim_op *op, const struct sim_val *vals,
                     const struct sim_res *args, int parent, bool json, GString *out)
{
    bool first = true;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];

        if (a->parent != parent || vals[i].kind == SIM_V_ABSENT || !args[i].present)
            continue;
        if (!first)
            g_string_append(out, json ? "," : " ");
        first = false;
        if (json) {
            sim_json_string(out, a->key);
            g_string_append_c(out, ':');
        } else if (!op->scalar) {
            g_string_append_printf(out, "%s=", a->key);
        }
        if (args[i].kind == SIM_V_MAP) {
            g_string_append_c(out, '{');
            fmt_rows(op, vals, args, (int)i, json, out);
            g_string_append_c(out, '}');
        } else {
            fmt_value(a, &args[i], json, out);
        }
    }
}

/* The written arguments of a step, resolved, as text or JSON members. */
void sim_format_args(const struct sim_op *op, const struct sim_val *vals,
                     const struct sim_res *args, bool json, GString *out)
{
    fmt_rows(op, vals, args, -1, json, out);
}

/* --- reporters ----------------------------------------------------------- */

static const char *const fail_kinds[] = {
    [SIM_FAIL_NONE] = "none",
    [SIM_FAIL_SETUP] = "setup",
    [SIM_FAIL_RESOLVE] = "variable",
    [SIM_FAIL_RC] = "rc",
    [SIM_FAIL_CHECK] = "check",
    [SIM_FAIL_VIOLATION] = "violation",
    [SIM_FAIL_WRONG_VIOLATION] = "wrong_violation",
    [SIM_FAIL_NO_VIOLATION] = "no_violation",
};

int sim_report_format_parse(const char *name, enum sim_format *out)
{
    static const char *const names[] = { "text", "tap", "json", "junit" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum sim_format)i;
            return 0;
        }
    return -1;
}

/* Text as XML character data (attr: as an attribute value, newlines kept as &#10;). */
static void xml_escape(GString *out, const char *s, bool attr)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\n':
        case '\t':
            if (attr)
                g_string_append_printf(out, "&#%d;", *p);
            else
                g_string_append_c(out, (char)*p);
            break;
        default:
            if (*p >= 0x20)
                g_string_append_c(out, (char)*p);
        }
    }
}

static void xml_text(GString *out, const char *s)
{
    xml_escape(out, s, false);
}

static void xml_attr(GString *out, const char *s)
{
    xml_escape(out, s, true);
}

/* Reset the counters; TAP prints its header and plan. */
void sim_report_begin(struct sim_report *r, size_t total)
{
    r->total = total;
    r->number = r->passed = r->failed = r->malformed = 0;
    if (r->fmt == SIM_FMT_TAP)
        fprintf(r->out, "TAP version 13\n1..%zu\n", total);
    if (r->fmt == SIM_FMT_JUNIT) {
        r->junit = g_string_new(NULL);
        r->junit_out = g_string_new(NULL);
    }
}

/* Number the scenario; -v prints a header. */
void sim_report_scenario_begin(struct sim_report *r, const struct sim_scenario *sc)
{
    r->number++;
    if (r->fmt == SIM_FMT_JUNIT)
        g_string_truncate(r->junit_out, 0);
    if (!r->verbose || r->fmt == SIM_FMT_JSON || r->fmt == SIM_FMT_JUNIT)
        return;
    fprintf(r->out, "%s%s (%s, seed %" PRIu64 ")\n", r->fmt == SIM_FMT_TAP ? "# " : "== ",
            sc->name, sc->file, sc->seed);
}

/* The JSON object of one step. */
static void report_step_json(GString *s, const struct sim_scenario *sc,
                             const struct sim_step_event *ev, uint64_t tick)
{
    const struct sim_step *st = ev->st;

    g_string_append(s, "{\"type\":\"step\",\"scenario\":");
    sim_json_string(s, sc->name);
    g_string_append_printf(s, ",\"step\":%zu,\"line\":%" PRIu32 ",\"tick\":%" PRIu64 ",\"op\":",
                           ev->number, st->line, tick);
    sim_json_string(s, st->op->name);
    g_string_append(s, ",\"args\":{");
    sim_format_args(st->op, st->vals, ev->args, true, s);
    g_string_append_c(s, '}');
    if (!st->op->no_expect) {
        g_string_append(s, ",\"rc\":");
        sim_json_string(s, xmm_rc_name(st->op->family, ev->rc));
        g_string_append(s, ",\"expect\":");
        sim_json_string(s, st->expect_any ? "any"
                                          : xmm_rc_name(st->op->family,
                                                        st->has_expect ? st->expect_rc : 0));
    }
    g_string_append_printf(s, ",\"ok\":%s", ev->rc_ok && !ev->check_failed ? "true" : "false");
    if (ev->rc && ev->reason && ev->reason[0]) {
        g_string_append(s, ",\"reason\":");
        sim_json_string(s, ev->reason);
    }
    if (ev->info && ev->info[0]) {
        g_string_append(s, ",\"info\":");
        sim_json_string(s, ev->info);
    }
    if (ev->show) {
        g_string_append(s, ",\"show\":");
        sim_json_string(s, ev->show);
    }
    g_string_append(s, "}\n");
}

/* "step 3, line 10, tick 0: populate dom=1 gfn=0x100 pages=16 -> OK" */
static void report_step_text(GString *s, const struct sim_step_event *ev, uint64_t tick)
{
    const struct sim_step *st = ev->st;

    g_string_append_printf(s, "step %zu, line %" PRIu32 ", tick %" PRIu64 ": %s ", ev->number,
                           st->line, tick, st->op->name);
    sim_format_args(st->op, st->vals, ev->args, false, s);
    if (st->op->no_expect)
        g_string_append(s, ev->check_failed ? " -> FAILED" : " -> holds");
    else
        g_string_append_printf(s, " -> %s", xmm_rc_name(st->op->family, ev->rc));
    if (!ev->rc_ok)
        g_string_append_printf(s, " (expected %s)",
                               xmm_rc_name(st->op->family, st->has_expect ? st->expect_rc : 0));
    if (ev->info && ev->info[0])
        g_string_append_printf(s, " [%s]", ev->info);
    if (ev->rc && ev->reason && ev->reason[0])
        g_string_append_printf(s, " because: %s", ev->reason);
    g_string_append_c(s, '\n');
}

/* What a show step prints, one indented line each ("# " in TAP). */
static void report_show(struct sim_report *r, const struct sim_step_event *ev)
{
    GString *s = r->fmt == SIM_FMT_JUNIT ? r->junit_out : g_string_new(NULL);
    const char *pre = r->fmt == SIM_FMT_TAP ? "#   " : "    ";
    char **lines = g_strsplit(ev->show, "\n", -1);

    g_string_append_printf(s, "%sshow (step %zu, line %" PRIu32 "):\n",
                           r->fmt == SIM_FMT_TAP ? "# " : "  ", ev->number, ev->st->line);
    for (char **l = lines; *l; l++)
        g_string_append_printf(s, "%s%s\n", pre, *l);
    g_strfreev(lines);
    if (r->fmt != SIM_FMT_JUNIT) {
        fputs(s->str, r->out);
        g_string_free(s, TRUE);
    }
}

/* --dump-at: the whole world after the step, readable or as a JSON object. */
static void report_dump(struct sim_report *r, const struct sim_scenario *sc,
                        const struct sim_step_event *ev)
{
    GString *s = g_string_new(NULL);

    if (r->fmt == SIM_FMT_JSON) {
        g_string_append(s, "{\"type\":\"dump\",\"scenario\":");
        sim_json_string(s, sc->name);
        g_string_append_printf(s, ",\"step\":%zu,\"line\":%" PRIu32 ",\"world\":", ev->number,
                               ev->st->line);
        sim_dump_world_json(ev->w, s);
        g_string_append(s, "}\n");
    } else {
        GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
        const char *pre = r->fmt == SIM_FMT_TAP ? "# " : "  ";

        g_string_append_printf(s, "%sdump after step %zu (line %" PRIu32 ", %s):\n", pre,
                               ev->number, ev->st->line, ev->st->op->name);
        sim_dump_world(ev->w, lines);
        for (guint i = 0; i < lines->len; i++)
            g_string_append_printf(s, "%s  %s\n", pre, (const char *)lines->pdata[i]);
        g_ptr_array_free(lines, TRUE);
    }
    if (r->fmt == SIM_FMT_JUNIT)
        g_string_append(r->junit_out, s->str);
    else
        fputs(s->str, r->out);
    g_string_free(s, TRUE);
}

/* One line per executed step (-v text/TAP/JUnit, always JSON), with the tick after it. */
void sim_report_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    struct sim_report *r = ctx;
    uint64_t tick = xmm_world_now(ev->w);
    GString *s;

    if (r->dump_at && ev->number == r->dump_at) {
        /* after the step's own line */
        r->dump_at = 0;
        sim_report_step(ctx, sc, ev);
        r->dump_at = ev->number;
        report_dump(r, sc, ev);
        return;
    }

    if (r->fmt != SIM_FMT_JSON && !r->verbose) {
        if (ev->show) /* show prints whatever the verbosity */
            report_show(r, ev);
        return;
    }
    if (r->fmt == SIM_FMT_JUNIT) {
        report_step_text(r->junit_out, ev, tick);
        return;
    }
    s = g_string_new(NULL);
    if (r->fmt == SIM_FMT_JSON) {
        report_step_json(s, sc, ev, tick);
    } else {
        g_string_append(s, r->fmt == SIM_FMT_TAP ? "# " : "  ");
        report_step_text(s, ev, tick);
    }
    fputs(s->str, r->out);
    if (ev->show && r->fmt != SIM_FMT_JSON)
        report_show(r, ev);
    g_string_free(s, TRUE);
}

/* "3 later steps not run: the expected violation ends the run" */
static char *report_not_run(const struct sim_result *res)
{
    if (!res->steps_not_run)
        return NULL;
    return g_strdup_printf("%zu later step%s not run: %s ends the run", res->steps_not_run,
                           res->steps_not_run == 1 ? "" : "s",
                           res->pass ? "the expected violation" : "the failure");
}

/* The failure (or, verbose, the expected violation) as lines with a prefix. */
static void report_lines_to(GString *out, const struct sim_report *r,
                            const struct sim_scenario *sc, const struct sim_result *res,
                            const char *prefix)
{
    size_t i;

    if (res->where)
        g_string_append_printf(out, "%s%s\n", prefix, res->where);
    if (res->what)
        g_string_append_printf(out, "%s%s\n", prefix, res->what);
    for (i = 0; i < res->details->len; i++)
        g_string_append_printf(out, "%s%s\n", prefix, (const char *)res->details->pdata[i]);
    if (!res->pass)
        g_string_append_printf(out, "%srerun: xmm-sim run -v --seed %" PRIu64 "%s%s %s\n", prefix,
                               res->seed, r->rerun_opts && r->rerun_opts[0] ? " " : "",
                               r->rerun_opts ? r->rerun_opts : "", sc->file);
}

static void report_lines(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res, const char *prefix)
{
    GString *s = g_string_new(NULL);

    report_lines_to(s, r, sc, res, prefix);
    fputs(s->str, r->out);
    g_string_free(s, TRUE);
}

/* The JSON object of a scenario verdict. */
static void report_json(struct sim_report *r, const struct sim_scenario *sc,
                        const struct sim_result *res)
{
    GString *s = g_string_new("{\"type\":\"scenario\",\"scenario\":");
    size_t i;

    sim_json_string(s, sc->name);
    g_string_append(s, ",\"file\":");
    sim_json_string(s, sc->file);
    g_string_append_printf(s, ",\"result\":\"%s\",\"steps\":%zu,\"seed\":%" PRIu64,
                           res->pass ? "pass" : "fail", res->steps_run, res->seed);
    if (res->steps_not_run)
        g_string_append_printf(s, ",\"not_run\":%zu", res->steps_not_run);
    if (res->violated && res->inv < XMM_INV_COUNT)
        g_string_append_printf(s, ",\"violation\":\"%s\"", xmm_invariant_name(res->inv));
    if (res->summary) {
        g_string_append(s, ",\"summary\":");
        sim_json_string(s, res->summary);
    }
    if (!res->pass || res->violated) {
        g_string_append(s, ",\"report\":{");
        g_string_append_printf(s, "\"kind\":\"%s\",\"step\":%zu,\"line\":%" PRIu32,
                               fail_kinds[res->fail], res->fail_step, res->fail_line);
        if (res->where) {
            g_string_append(s, ",\"where\":");
            sim_json_string(s, res->where);
        }
        if (res->what) {
            g_string_append(s, ",\"what\":");
            sim_json_string(s, res->what);
        }
        if (res->expected_rc) {
            g_string_append_printf(s, ",\"expected\":\"%s\",\"actual\":\"%s\"", res->expected_rc,
                                   res->actual_rc);
        }
        if (res->reason) {
            g_string_append(s, ",\"reason\":");
            sim_json_string(s, res->reason);
        }
        g_string_append(s, ",\"details\":[");
        for (i = 0; i < res->details->len; i++) {
            if (i)
                g_string_append_c(s, ',');
            sim_json_string(s, res->details->pdata[i]);
        }
        g_string_append(s, "]}");
    }
    g_string_append(s, "}\n");
    fputs(s->str, r->out);
    g_string_free(s, TRUE);
}

/* One testsuite (a file) holding one testcase (its scenario). */
static void report_junit(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res)
{
    GString *s = r->junit, *body = g_string_new(NULL);
    char *not_run = report_not_run(res);

    g_string_append(s, "  <testsuite name=\"");
    xml_attr(s, sc->file);
    g_string_append_printf(s, "\" tests=\"1\" failures=\"%d\" errors=\"0\" skipped=\"0\">\n",
                           res->pass ? 0 : 1);
    g_string_append(s, "    <testcase classname=\"");
    xml_attr(s, sc->file);
    g_string_append(s, "\" name=\"");
    xml_attr(s, sc->name);
    g_string_append(s, "\">\n");
    if (!res->pass) {
        report_lines_to(body, r, sc, res, "");
        g_string_append_printf(s, "      <failure type=\"%s\" message=\"", fail_kinds[res->fail]);
        xml_attr(s, res->what ? res->what : "failed");
        g_string_append(s, "\">");
        xml_text(s, body->str);
        g_string_append(s, "</failure>\n");
    }
    g_string_truncate(body, 0);
    if (r->verbose && res->pass && res->violated)
        report_lines_to(body, r, sc, res, "");
    if (not_run)
        g_string_append_printf(body, "%s\n", not_run);
    if (r->junit_out->len || body->len) {
        g_string_append(s, "      <system-out>");
        xml_text(s, r->junit_out->str);
        xml_text(s, body->str);
        g_string_append(s, "</system-out>\n");
    }
    g_string_append(s, "    </testcase>\n  </testsuite>\n");
    g_string_free(body, TRUE);
    g_free(not_run);
}

/* The verdict line, and the report of a failure. */
void sim_report_scenario(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res)
{
    char extra[96] = "";
    char *not_run;

    if (res->pass)
        r->passed++;
    else
        r->failed++;
    if (r->fmt == SIM_FMT_JSON) {
        report_json(r, sc, res);
        return;
    }
    if (r->fmt == SIM_FMT_JUNIT) {
        report_junit(r, sc, res);
        return;
    }
    not_run = report_not_run(res);
    if (res->pass && res->violated)
        snprintf(extra, sizeof(extra), ", violation %s as expected", xmm_invariant_name(res->inv));
    if (r->fmt == SIM_FMT_TAP) {
        fprintf(r->out, "%s %zu - %s", res->pass ? "ok" : "not ok", r->number, sc->name);
        if (res->pass)
            fprintf(r->out, " (%zu step%s%s)\n", res->steps_run, res->steps_run == 1 ? "" : "s",
                    extra);
        else
            fprintf(r->out, "\n# file: %s\n", sc->file);
        if (!res->pass || r->verbose)
            report_lines(r, sc, res, "# ");
        if (not_run)
            fprintf(r->out, "# %s\n", not_run);
    } else if (res->pass) {
        fprintf(r->out, "PASS %s (%zu step%s%s)\n", sc->name, res->steps_run,
                res->steps_run == 1 ? "" : "s", extra);
        if (r->verbose && res->violated)
            report_lines(r, sc, res, "  ");
        if (not_run)
            fprintf(r->out, "  %s\n", not_run);
        if (r->verbose && res->summary)
            fprintf(r->out, "  %s\n", res->summary);
    } else {
        fprintf(r->out, "FAIL %s (%s)\n", sc->name, sc->file);
        report_lines(r, sc, res, "  ");
        if (not_run)
            fprintf(r->out, "  %s\n", not_run);
    }
    g_free(not_run);
}

/* A file that did not load: TAP not ok, a JSON error object, a JUnit error. */
void sim_report_malformed(struct sim_report *r, const char *file, uint32_t line, uint32_t col,
                          const char *msg)
{
    GString *s;

    r->number++;
    r->malformed++;
    switch (r->fmt) {
    case SIM_FMT_TAP:
        fprintf(r->out, "not ok %zu - %s\n# malformed: ", r->number, file);
        if (line)
            fprintf(r->out, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", file, line, col, msg);
        else
            fprintf(r->out, "%s: %s\n", file, msg);
        break;
    case SIM_FMT_JSON:
        s = g_string_new("{\"type\":\"error\",\"file\":");
        sim_json_string(s, file);
        g_string_append_printf(s, ",\"line\":%" PRIu32 ",\"col\":%" PRIu32 ",\"message\":", line,
                               col);
        sim_json_string(s, msg);
        g_string_append(s, "}\n");
        fputs(s->str, r->out);
        g_string_free(s, TRUE);
        break;
    case SIM_FMT_JUNIT:
        s = r->junit;
        g_string_append(s, "  <testsuite name=\"");
        xml_attr(s, file);
        g_string_append(s, "\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
                           "    <testcase classname=\"");
        xml_attr(s, file);
        g_string_append(s, "\" name=\"");
        xml_attr(s, file);
        g_string_append(s, "\">\n      <error type=\"malformed\" message=\"");
        xml_attr(s, msg);
        g_string_append(s, "\">");
        xml_text(s, file);
        if (line)
            g_string_append_printf(s, ":%" PRIu32 ":%" PRIu32, line, col);
        g_string_append(s, ": ");
        xml_text(s, msg);
        g_string_append(s, "</error>\n    </testcase>\n  </testsuite>\n");
        break;
    default: /* text: the FILE:LINE:COL line on stderr is the report */
        break;
    }
}

/* The summary: "N passed, M failed" (CI parses it), ", K malformed" when files did not load. */
void sim_report_end(struct sim_report *r)
{
    char bad[48] = "";
    bool none = r->malformed && r->malformed == r->number;

    if (r->malformed)
        snprintf(bad, sizeof(bad), ", %zu malformed", r->malformed);
    switch (r->fmt) {
    case SIM_FMT_JSON:
        fprintf(r->out, "{\"type\":\"summary\",\"passed\":%zu,\"failed\":%zu", r->passed,
                r->failed);
        if (r->malformed)
            fprintf(r->out, ",\"malformed\":%zu", r->malformed);
        fputs("}\n", r->out);
        break;
    case SIM_FMT_TAP:
        if (none)
            fprintf(r->out, "Bail out! no scenario could be loaded (%zu malformed file%s)\n",
                    r->malformed, r->malformed == 1 ? "" : "s");
        else
            fprintf(r->out, "# %zu passed, %zu failed%s\n", r->passed, r->failed, bad);
        break;
    case SIM_FMT_JUNIT:
        fprintf(r->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"xmm-sim\" tests=\"%zu\" failures=\"%zu\" "
                        "errors=\"%zu\">\n%s</testsuites>\n",
                r->number, r->failed, r->malformed, r->junit->str);
        g_string_free(r->junit, TRUE);
        g_string_free(r->junit_out, TRUE);
        r->junit = r->junit_out = NULL;
        break;
    default:
        if (!none) /* nothing ran: the error lines on stderr say it all */
            fprintf(r->out, "%zu passed, %zu failed%s\n", r->passed, r->failed, bad);
        break;
    }
    fflush(r->out);
}
