/*
 * xmm-sim runner and loader, tested through the sim library: the failure
 * report of a violation (subject, detail, frame history), expected and
 * wrong violations, checks at the end only, the text reporter, and loader
 * features a scenario file can only show indirectly (aliases, sizes,
 * variable rebinding, defaults), and, for every scenario file given on the
 * command line, that writing it back as YAML and loading that gives the
 * same scenario (same canonical text, same run result).
 *
 * A violation cannot be provoked through the supported ops of a correct
 * model, so the step callback flags one with xmm_check_flag, as a module
 * of the library would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "write.h"

static int failures;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* Which violation the callback flags, and after which step. */
struct flagger {
    size_t at_step;
    enum xmm_invariant inv;
};

/* Step callback: flag a frame violation on d1's page at gfn 0x100. */
static void flag_cb(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    const struct flagger *f = ctx;
    struct xmm_p2m_entry e;
    struct xmm_violation v;

    (void)sc;
    if (ev->number != f->at_step || xmm_p2m_lookup(ev->w, 1, xmm_gfn(0x100), &e) != 0)
        return;
    memset(&v, 0, sizeof(v));
    v.inv = f->inv;
    v.kind = XMM_SUBJECT_FRAME;
    v.mfn = e.mfn;
    v.dom = 1;
    v.gfn = XMM_INVALID_GFN;
    snprintf(v.detail, sizeof(v.detail), "flagged by the test");
    xmm_check_flag(ev->w, &v);
}

static const char base_yaml[] =
    "name: t\n"
    "steps:\n"
    "  - domain_create: {dom: 1, max_pages: 16}\n"
    "  - domain_create: {dom: 2, max_pages: 16, safe_range: {gfn: 0x80000, pages: 16}}\n"
    "  - populate: {dom: 1, gfn: 0x100, pages: 1}\n"
    "  - map_foreign: {dom: 2, gfn: 0x80000, from: 1, from_gfn: 0x100}\n"
    "  - check: {violations: 0}\n";

/* Load `prefix` + base_yaml, fail the test if it does not load. */
static struct sim_scenario *load(const char *prefix)
{
    char *text = g_strconcat(prefix, base_yaml, NULL);
    struct sim_scenario *sc = NULL;
    struct sim_error err;

    if (sim_load_buffer("t.yaml", text, strlen(text), &sc, &err) != 0) {
        fprintf(stderr, "t.yaml:%u:%u: %s\n", err.line, err.col, err.msg);
        failures++;
    }
    g_free(text);
    return sc;
}

/* Is there a detail line starting with `prefix` and containing `needle`? */
static bool has_detail(const struct sim_result *res, const char *prefix, const char *needle)
{
    guint i;

    for (i = 0; i < res->details->len; i++) {
        const char *d = res->details->pdata[i];

        if (g_str_has_prefix(d, prefix) && strstr(d, needle))
            return true;
    }
    return false;
}

/* An unexpected frame violation: subject, detail and history in the report. */
static void test_violation_report(void)
{
    struct sim_scenario *sc = load("");
    struct sim_run_opts opts = { .check_override = -1 };
    struct flagger f = { 4, XMM_INV_REFCOUNT };
    struct sim_result res;
    guint i;

    if (!sc)
        return;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(!res.pass);
    EXPECT(res.fail == SIM_FAIL_VIOLATION);
    EXPECT(res.fail_step == 4 && res.fail_line == 6);
    EXPECT(res.inv == XMM_INV_REFCOUNT);
    EXPECT(strcmp(res.where, "step 4, line 6: map_foreign dom=2 gfn=0x80000 from=1 from_gfn=0x100") == 0);
    EXPECT(strcmp(res.what, "invariant violated: refcount") == 0);
    EXPECT(has_detail(&res, "violation: refcount at frame mfn 0x40000: ", "flagged by the test"));
    EXPECT(has_detail(&res, "history of mfn 0x40000 (oldest first):", ""));
    EXPECT(has_detail(&res, "  tick 0, step 3, line 5: ", "allocated to d1"));
    EXPECT(has_detail(&res, "  tick 0, step 4, line 6: ", "mapped by d2 at gfn 0x80000 as map_foreign_rw"));
    EXPECT(has_detail(&res, "  -> refcount violated here", ""));
    for (i = 0; i < res.details->len; i++)
        printf("  %s\n", (const char *)res.details->pdata[i]);
    sim_result_clear(&res);
    sim_scenario_free(sc);
}

/* The expected violation passes; a different one fails. */
static void test_expected_violation(void)
{
    struct sim_scenario *sc = load("expect: {violation: refcount}\n");
    struct sim_run_opts opts = { .check_override = -1 };
    struct flagger f = { 4, XMM_INV_REFCOUNT };
    struct sim_result res;

    if (!sc)
        return;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 0);
    EXPECT(res.pass && res.violated && res.steps_run == 4);
    sim_result_clear(&res);
    f.inv = XMM_INV_OWNERSHIP;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_WRONG_VIOLATION);
    EXPECT(strcmp(res.what, "expected violation refcount, got ownership") == 0);
    sim_result_clear(&res);
    f.at_step = 99;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_NO_VIOLATION);
    sim_result_clear(&res);
    sim_scenario_free(sc);
}

/* checks: end finds the violation only in the end-of-run sweep. */
static void test_checks_end(void)
{
    struct sim_scenario *sc = load("world: {checks: end}\n");
    struct sim_run_opts opts = { .check_override = -1 };
    struct flagger f = { 4, XMM_INV_REFCOUNT };
    struct sim_result res;

    if (!sc)
        return;
    /* step 5 is `check: {violations: 0}`, a full sweep that sees the flag */
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_CHECK && res.fail_step == 5);
    sim_result_clear(&res);
    opts.check_override = SIM_CHECKS_OFF;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_CHECK);
    sim_result_clear(&res);
    f.at_step = 5;
    opts.check_override = SIM_CHECKS_END;
    EXPECT(sim_run(sc, &opts, flag_cb, &f, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_VIOLATION && res.fail_step == 0);
    EXPECT(res.where && strcmp(res.where, "end-of-run full sweep, after step 5") == 0);
    sim_result_clear(&res);
    sim_scenario_free(sc);
}

/* The text reporter: FAIL line, indented report, rerun hint, summary. */
static void test_text_report(void)
{
    struct sim_scenario *sc = load("seed: 42\n");
    struct sim_run_opts opts = { .check_override = -1 };
    struct flagger f = { 4, XMM_INV_REFCOUNT };
    struct sim_report rep;
    struct sim_result res;
    char buf[4096];
    size_t n;
    FILE *out = tmpfile();

    if (!sc || !out)
        return;
    memset(&rep, 0, sizeof(rep));
    rep.out = out;
    rep.rerun_opts = "--check full";
    sim_report_begin(&rep, 1);
    sim_report_scenario_begin(&rep, sc);
    sim_run(sc, &opts, flag_cb, &f, &res);
    sim_report_scenario(&rep, sc, &res);
    sim_report_end(&rep);
    sim_result_clear(&res);
    rewind(out);
    n = fread(buf, 1, sizeof(buf) - 1, out);
    buf[n] = '\0';
    fclose(out);
    EXPECT(g_str_has_prefix(buf, "FAIL t (t.yaml)\n  step 4, line 7: map_foreign "));
    EXPECT(strstr(buf, "\n  invariant violated: refcount\n") != NULL);
    EXPECT(strstr(buf, "\n  rerun: xmm-sim run -v --seed 42 --check full t.yaml\n") != NULL);
    EXPECT(g_str_has_suffix(buf, "\n0 passed, 1 failed\n"));
    sim_scenario_free(sc);
}

/* Loader features: aliases, sizes, hex, defaults, rebinding, expect forms. */
static void test_loader(void)
{
    static const char text[] =
        "name: loader\n"
        "world:\n"
        "  ram: 2MiB\n"
        "  ram_base: 0x80000\n"
        "  policy: {safe_range: none, iotlb: sync}\n"
        "  limits: {destroy_retries: 5}\n"
        "steps:\n"
        "  - domain_create: &d1 {dom: 1, max_pages: 1MiB, safe_range: {gfn: 0x80000, pages: 1GiB}}\n"
        "  - domain_create: *d1\n"
        "    expect: {rc: EEXIST}\n"
        "  - populate: {dom: 1, gfn: 0x10, pages: 8KiB}\n"
        "    as: g\n"
        "  - populate: {dom: 1, gfn: 0x20, pages: 1}\n"
        "    as: g\n"
        "  - lookup: {dom: 1, gfn: $g}\n"
        "    as: m\n"
        "    expect: any\n"
        "  - check: {frame: $m, owner: 1}\n"
        "  - advance: 0x10\n";
    struct sim_scenario *sc = NULL;
    struct sim_run_opts opts = { .check_override = -1 };
    struct sim_result res;
    struct sim_error err;
    const struct sim_step *st;

    if (sim_load_buffer("l.yaml", text, strlen(text), &sc, &err) != 0) {
        fprintf(stderr, "l.yaml:%u:%u: %s\n", err.line, err.col, err.msg);
        failures++;
        return;
    }
    EXPECT(sc->world.ram_pages == 512 && sc->world.ram_base == 0x80000);
    EXPECT(sc->world.policy.safe_range == XMM_SAFE_RANGE_NONE);
    EXPECT(sc->world.policy.iotlb == XMM_IOTLB_SYNC);
    EXPECT(sc->world.limits.destroy_retries == 5 && sc->world.limits.ffa_retry_ticks == 100);
    EXPECT(sc->step_count == 7 && sc->var_count == 2);
    st = &sc->steps[0];
    EXPECT(st->vals[DC_MAX_PAGES].u == 256);
    EXPECT(st->vals[DC_SAFE_RANGE].kind == SIM_V_MAP && st->vals[DC_SR_PAGES].u == 262144);
    EXPECT(st->vals[DC_DIRECT_MAP].kind == SIM_V_ABSENT);
    EXPECT(sc->steps[1].has_expect && sc->steps[1].expect_rc == -XMM_EEXIST);
    EXPECT(sc->steps[2].vals[POP_PAGES].u == 2 && sc->steps[2].as_var == sc->steps[3].as_var);
    EXPECT(sc->steps[4].expect_any && sc->steps[4].vals[LK_GFN].kind == SIM_V_VAR);
    EXPECT(sc->steps[6].vals[ADV_TICKS].u == 16);
    EXPECT(sim_run(sc, &opts, NULL, NULL, &res) == 0);
    sim_result_clear(&res);
    sim_scenario_free(sc);
}

/*
 * The canonical text through the streaming loader (sim_open_file): the
 * same scenario, run from the file step by step, gives the same result.
 */
static void stream_same(const char *yaml, const struct sim_result *want)
{
    struct sim_run_opts opts = { .check_override = -1 };
    struct sim_scenario *sc = NULL;
    struct sim_result res;
    struct sim_error err;
    char *path = NULL;
    int fd = g_file_open_tmp("xmm-stream-XXXXXX.yaml", &path, NULL);

    if (fd < 0 || !g_file_set_contents(path, yaml, -1, NULL)) {
        failures++;
        return;
    }
    close(fd);
    if (sim_open_file(path, &sc, &err) != 0) {
        fprintf(stderr, "streamed: %u:%u: %s\n", err.line, err.col, err.msg);
        failures++;
    } else {
        EXPECT(sc->streamed);
        sim_run(sc, &opts, NULL, NULL, &res);
        EXPECT(res.pass == want->pass && res.steps_run == want->steps_run &&
               res.fail == want->fail);
        sim_result_clear(&res);
        sim_scenario_free(sc);
    }
    remove(path);
    g_free(path);
}

/* load -> write -> load -> write: the same text, and the same run result. */
static void test_round_trip(const char *path)
{
    struct sim_scenario *a = NULL, *b = NULL;
    struct sim_run_opts opts = { .check_override = -1 };
    struct sim_result ra, rb;
    struct sim_error err;
    char *ya, *yb = NULL;

    if (sim_load_file(path, &a, &err) != 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
        failures++;
        return;
    }
    ya = sim_scenario_to_yaml(a);
    if (sim_load_buffer("canonical.yaml", ya, strlen(ya), &b, &err) != 0) {
        fprintf(stderr, "%s, written back: %u:%u: %s\n%s", path, err.line, err.col, err.msg, ya);
        failures++;
    } else {
        yb = sim_scenario_to_yaml(b);
        EXPECT(strcmp(ya, yb) == 0);
        sim_run(a, &opts, NULL, NULL, &ra);
        sim_run(b, &opts, NULL, NULL, &rb);
        EXPECT(ra.pass == rb.pass && ra.steps_run == rb.steps_run && ra.fail == rb.fail);
        sim_result_clear(&rb);
        stream_same(ya, &ra); /* the canonical text, streamed (mostly by the line reader) */
        sim_result_clear(&ra);
    }
    g_free(ya);
    g_free(yb);
    sim_scenario_free(a);
    sim_scenario_free(b);
}

/*
 * Streaming: a file validated by sim_open_file and changed before it runs
 * is not run past the change (the run fails in setup, naming the step);
 * one that stays the same runs every step, with `as:` variables and the
 * line reader's memo of repeated steps.
 */
static void test_stream_changed(void)
{
    static const char ok[] = "name: s\nsteps:\n"
                             "  - domain_create: {dom: 1, max_pages: 8}\n"
                             "  - populate: {dom: 1, gfn: 0x10, pages: 1}\n    as: g\n"
                             "  - decrease: {dom: 1, gfn: $g, pages: 1}\n"
                             "  - populate: {dom: 1, gfn: 0x10, pages: 1}\n    as: g\n"
                             "  - decrease: {dom: 1, gfn: $g, pages: 1}\n";
    static const char bad[] = "name: s\nsteps:\n"
                              "  - domain_create: {dom: 1, max_pages: 8}\n"
                              "  - populate: {dom: 1, gfn: 0x10, pages: 0}\n";
    struct sim_run_opts opts = { .check_override = -1 };
    struct sim_scenario *sc = NULL;
    struct sim_result res;
    struct sim_error err;
    char *path = NULL;
    int fd = g_file_open_tmp("xmm-stream-XXXXXX.yaml", &path, NULL);

    EXPECT(fd >= 0 && g_file_set_contents(path, ok, -1, NULL));
    if (fd >= 0)
        close(fd);
    EXPECT(sim_open_file(path, &sc, &err) == 0);
    if (!sc) {
        g_free(path);
        return;
    }
    EXPECT(sc->streamed && sc->step_count == 5 && sc->var_count == 1);
    EXPECT(sim_run(sc, &opts, NULL, NULL, &res) == 0 && res.steps_run == 5);
    sim_result_clear(&res);
    EXPECT(g_file_set_contents(path, bad, -1, NULL));
    EXPECT(sim_run(sc, &opts, NULL, NULL, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_SETUP && res.steps_run == 1 && res.what &&
           strstr(res.what, "changed after it was validated (step 2)") != NULL);
    sim_result_clear(&res);
    sim_scenario_free(sc);
    remove(path);
    g_free(path);
}

/* An rc mismatch says why; a failed frame check prints the frame's timeline. */
static void test_reason_and_check_history(void)
{
    static const char yaml[] =
        "name: r\n"
        "steps:\n"
        "  - domain_create: {dom: 1, max_pages: 4}\n"
        "  - populate: {dom: 1, gfn: 0x100, pages: 8}\n";
    static const char yaml2[] =
        "name: c\n"
        "steps:\n"
        "  - domain_create: {dom: 1, max_pages: 4}\n"
        "  - populate: {dom: 1, gfn: 0x100, pages: 1}\n"
        "  - check: {frame: {dom: 1, gfn: 0x100}, refcount: 2}\n";
    struct sim_run_opts opts = { .check_override = -1 };
    struct sim_scenario *sc = NULL;
    struct sim_result res;
    struct sim_error err;

    EXPECT(sim_load_buffer("r.yaml", yaml, strlen(yaml), &sc, &err) == 0);
    if (!sc)
        return;
    EXPECT(sim_run(sc, &opts, NULL, NULL, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_RC);
    EXPECT(res.reason && strcmp(res.reason, "8 more pages would take d1 over max_pages 4 (it has 0)") == 0);
    EXPECT(has_detail(&res, "because: 8 more pages would take d1 over max_pages 4", ""));
    sim_result_clear(&res);
    sim_scenario_free(sc);
    sc = NULL;
    EXPECT(sim_load_buffer("c.yaml", yaml2, strlen(yaml2), &sc, &err) == 0);
    if (!sc)
        return;
    EXPECT(sim_run(sc, &opts, NULL, NULL, &res) == 1);
    EXPECT(res.fail == SIM_FAIL_CHECK);
    EXPECT(has_detail(&res, "history of mfn 0x40000 (oldest first):", ""));
    EXPECT(has_detail(&res, "  tick 0, step 2, line 4: ", "allocated to d1"));
    sim_result_clear(&res);
    sim_scenario_free(sc);
}

int main(int argc, char **argv)
{
    int i;

    test_violation_report();
    test_reason_and_check_history();
    test_expected_violation();
    test_checks_end();
    test_text_report();
    test_loader();
    test_stream_changed();
    for (i = 1; i < argc; i++)
        test_round_trip(argv[i]);
    if (failures)
        fprintf(stderr, "%d expectation(s) failed\n", failures);
    else
        printf("all sim report tests passed\n");
    return failures ? 1 : 0;
}
