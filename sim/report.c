/*
 * xmm-sim - reporters for `xmm-sim run` (see report.h), and the argument
 * formatting the runner and the reporters share.
 */
#include "report.h"

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

/* Reset the counters; TAP prints its header and plan. */
void sim_report_begin(struct sim_report *r, size_t total)
{
    r->total = total;
    r->number = r->passed = r->failed = 0;
    if (r->fmt == SIM_FMT_TAP)
        fprintf(r->out, "TAP version 13\n1..%zu\n", total);
}

/* Number the scenario; -v prints a header. */
void sim_report_scenario_begin(struct sim_report *r, const struct sim_scenario *sc)
{
    r->number++;
    if (!r->verbose || r->fmt == SIM_FMT_JSON)
        return;
    fprintf(r->out, "%s%s (%s, seed %" PRIu64 ")\n", r->fmt == SIM_FMT_TAP ? "# " : "== ",
            sc->name, sc->file, sc->seed);
}

/* One line per executed step (-v text/TAP, always JSON). */
void sim_report_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    struct sim_report *r = ctx;
    const struct sim_step *st = ev->st;
    bool is_check = st->op->no_expect;
    GString *s;

    if (r->fmt != SIM_FMT_JSON && !r->verbose)
        return;
    s = g_string_new(NULL);
    if (r->fmt == SIM_FMT_JSON) {
        g_string_append(s, "{\"type\":\"step\",\"scenario\":");
        sim_json_string(s, sc->name);
        g_string_append_printf(s, ",\"step\":%zu,\"line\":%" PRIu32 ",\"op\":", ev->number,
                               st->line);
        sim_json_string(s, st->op->name);
        g_string_append(s, ",\"args\":{");
        sim_format_args(st->op, st->vals, ev->args, true, s);
        g_string_append_c(s, '}');
        if (!is_check) {
            g_string_append(s, ",\"rc\":");
            sim_json_string(s, xmm_rc_name(st->op->family, ev->rc));
            g_string_append(s, ",\"expect\":");
            sim_json_string(s, st->expect_any ? "any"
                                              : xmm_rc_name(st->op->family,
                                                            st->has_expect ? st->expect_rc : 0));
        }
        g_string_append_printf(s, ",\"ok\":%s",
                               ev->rc_ok && !ev->check_failed ? "true" : "false");
        if (ev->info && ev->info[0]) {
            g_string_append(s, ",\"info\":");
            sim_json_string(s, ev->info);
        }
        g_string_append(s, "}\n");
    } else {
        g_string_append_printf(s, "%sstep %zu, line %" PRIu32 ": %s ",
                               r->fmt == SIM_FMT_TAP ? "# " : "  ", ev->number, st->line,
                               st->op->name);
        sim_format_args(st->op, st->vals, ev->args, false, s);
        if (is_check)
            g_string_append(s, ev->check_failed ? " -> FAILED" : " -> holds");
        else
            g_string_append_printf(s, " -> %s", xmm_rc_name(st->op->family, ev->rc));
        if (!ev->rc_ok)
            g_string_append_printf(s, " (expected %s)",
                                   xmm_rc_name(st->op->family, st->has_expect ? st->expect_rc : 0));
        if (ev->info && ev->info[0])
            g_string_append_printf(s, " [%s]", ev->info);
        g_string_append_c(s, '\n');
    }
    fputs(s->str, r->out);
    g_string_free(s, TRUE);
}

/* The failure (or, verbose, the expected violation) as indented lines. */
static void report_lines(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res, const char *prefix)
{
    size_t i;

    if (res->where)
        fprintf(r->out, "%s%s\n", prefix, res->where);
    if (res->what)
        fprintf(r->out, "%s%s\n", prefix, res->what);
    for (i = 0; i < res->details->len; i++)
        fprintf(r->out, "%s%s\n", prefix, (const char *)res->details->pdata[i]);
    if (!res->pass)
        fprintf(r->out, "%srerun: xmm-sim run -v --seed %" PRIu64 "%s%s %s\n", prefix, res->seed,
                r->rerun_opts && r->rerun_opts[0] ? " " : "", r->rerun_opts ? r->rerun_opts : "",
                sc->file);
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

/* The verdict line, and the report of a failure. */
void sim_report_scenario(struct sim_report *r, const struct sim_scenario *sc,
                         const struct sim_result *res)
{
    char extra[96] = "";

    if (res->pass)
        r->passed++;
    else
        r->failed++;
    if (r->fmt == SIM_FMT_JSON) {
        report_json(r, sc, res);
        return;
    }
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
        return;
    }
    if (res->pass) {
        fprintf(r->out, "PASS %s (%zu step%s%s)\n", sc->name, res->steps_run,
                res->steps_run == 1 ? "" : "s", extra);
        if (r->verbose && res->violated)
            report_lines(r, sc, res, "  ");
        if (r->verbose && res->summary)
            fprintf(r->out, "  %s\n", res->summary);
    } else {
        fprintf(r->out, "FAIL %s (%s)\n", sc->name, sc->file);
        report_lines(r, sc, res, "  ");
    }
}

/* The summary: "N passed, M failed" (CI parses it). */
void sim_report_end(struct sim_report *r)
{
    if (r->fmt == SIM_FMT_JSON)
        fprintf(r->out, "{\"type\":\"summary\",\"passed\":%zu,\"failed\":%zu}\n", r->passed,
                r->failed);
    else if (r->fmt == SIM_FMT_TAP)
        fprintf(r->out, "# %zu passed, %zu failed\n", r->passed, r->failed);
    else
        fprintf(r->out, "%zu passed, %zu failed\n", r->passed, r->failed);
    fflush(r->out);
}
