/*
 * xmm-sim explain: replay a scenario and tell the story of one object -- a
 * host frame, the frame at a guest address, a domain, an FF-A share -- or,
 * without a selector, of the first violation: the frames involved, every
 * holder of a reference or a mapping, the step after which the invariant
 * no longer held, and every event on the way there, one per line with its
 * tick, step and scenario line.
 *
 * The replay checks every invariant after every step (whatever
 * world.checks says), so the step named is the one that broke it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "run.h"
#include "scenario.h"
#include "timeline.h"
#include "value.h"

#define EXPLAIN_FRAMES_MAX 8

static const struct sim_cli_opt explain_opts[] = {
    { "--frame", "MFN", "the story of a host frame (decimal or 0x hex)" },
    { "--gfn", "DOM:GFN",
      "the story of the frame(s) mapped at GFN of domain DOM (d1:0x40000 or 1:0x40000) at any "
      "point of the run" },
    { "--domain", "D", "the story of a domain (d1 or 1): its state changes, safe range, "
                       "FF-A and IOMMU events, and what happened to its frames" },
    { "--handle", "H", "the story of the frames of an FF-A share, by its handle" },
    { "--seed", "N", "seed the world with N instead of the scenario's seed" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

static int cmd_explain(int argc, char **argv);

const struct sim_cli_cmd sim_cli_explain = {
    .name = "explain",
    .fn = cmd_explain,
    .synopsis = "FILE [--frame MFN | --gfn DOM:GFN | --domain D | --handle H] [--seed N]",
    .summary = "replay a scenario and tell the story of a frame, a domain or a violation",
    .description =
        "Without a selector, explains the first violation of the run: the invariant and its "
        "subject, the step after which it no longer held (invariants are checked after every "
        "step), every holder of a reference or a mapping of the frames involved, and their "
        "events from the start, one per line with tick, step and scenario line. Same file and "
        "seed, same text, byte for byte. Exit status: 0 when there was something to explain, "
        "2 for a file that does not load, a wrong selector, a frame the run never touched, or "
        "no violation to explain.",
    .opts = explain_opts,
};

enum sel { SEL_VIOLATION = 0, SEL_FRAME, SEL_GFN, SEL_DOMAIN, SEL_HANDLE };

struct explain {
    enum sel sel;
    uint64_t mfn, gfn, handle;
    xmm_domid_t dom;
    struct sim_lines lines;
    xmm_mfn_t frames[EXPLAIN_FRAMES_MAX];
    size_t frame_count;
    bool frames_more;
};

static void add_frame(struct explain *e, xmm_mfn_t mfn)
{
    for (size_t i = 0; i < e->frame_count; i++)
        if (xmm_mfn_eq(e->frames[i], mfn))
            return;
    if (e->frame_count == EXPLAIN_FRAMES_MAX) {
        e->frames_more = true;
        return;
    }
    e->frames[e->frame_count++] = mfn;
}

static void pin_of_handle(void *arg, uint16_t sp, xmm_ffa_handle_t h, xmm_domid_t sender,
                          xmm_mfn_t mfn)
{
    struct explain *e = arg;

    (void)sp;
    (void)sender;
    if (h == e->handle)
        add_frame(e, mfn);
}

/* After every step: its line, and the frames a --gfn or --handle selector names now. */
static void explain_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    struct explain *e = ctx;
    struct xmm_p2m_entry pe;

    (void)sc;
    sim_lines_set(&e->lines, ev->number, ev->st->line);
    if (e->sel == SEL_GFN && xmm_p2m_lookup(ev->w, e->dom, xmm_gfn(e->gfn), &pe) == 0 &&
        xmm_world_mfn_is_ram(ev->w, pe.mfn))
        add_frame(e, pe.mfn);
    if (e->sel == SEL_HANDLE)
        xmm_ffa_for_each_pin(ev->w, pin_of_handle, e);
}

static bool is_frame(const struct explain *e, xmm_mfn_t mfn)
{
    for (size_t i = 0; i < e->frame_count; i++)
        if (xmm_mfn_eq(e->frames[i], mfn))
            return true;
    return false;
}

/* Domains the frames' events name (owners, mappers, senders), in id order. */
static size_t involved_domains(const struct xmm_event *ev, size_t n, const struct explain *e,
                               xmm_domid_t *doms, size_t max)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        xmm_domid_t d = ev[i].dom;
        size_t j;

        if (xmm_mfn_eq(ev[i].mfn, XMM_INVALID_MFN) || !is_frame(e, ev[i].mfn) ||
            d >= XMM_DOMID_FIRST_RESERVED)
            continue;
        for (j = 0; j < k && doms[j] != d; j++)
            ;
        if (j < k || k == max)
            continue;
        for (j = k++; j > 0 && doms[j - 1] > d; j--)
            doms[j] = doms[j - 1];
        doms[j] = d;
    }
    return k;
}

static bool dom_in(xmm_domid_t d, const xmm_domid_t *doms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (doms[i] == d)
            return true;
    return false;
}

/*
 * The story: every event of the frames, and the domain events (state,
 * safe range, retry timers, VM_DESTROYED) of the domains involved.  With
 * --domain: the domain's events, its frames' events grouped per step and kind.
 */
static bool story_wants(const struct explain *e, const xmm_domid_t *doms, size_t nd,
                        const struct xmm_event *x)
{
    if (e->sel == SEL_DOMAIN)
        return x->dom == e->dom;
    return !xmm_mfn_eq(x->mfn, XMM_INVALID_MFN) ? is_frame(e, x->mfn) : dom_in(x->dom, doms, nd);
}

static void story_line(const struct xmm_world *w, const struct explain *e,
                       const struct xmm_event *x, size_t more, GString *out)
{
    GString *s = g_string_new("  ");
    bool frame_ev = !xmm_mfn_eq(x->mfn, XMM_INVALID_MFN);

    g_string_append_printf(s, "tick %" PRIu64 ", step %" PRIu32, x->tick, x->step);
    if (x->step && sim_lines_get(&e->lines, x->step))
        g_string_append_printf(s, ", line %" PRIu32, sim_lines_get(&e->lines, x->step));
    else if (!x->step)
        g_string_append(s, " (setup)");
    g_string_append(s, ": ");
    if (frame_ev && (e->frame_count != 1 || e->sel == SEL_DOMAIN))
        g_string_append_printf(s, "mfn 0x%" PRIx64 ": ", xmm_mfn_x(x->mfn));
    sim_event_text(w, x, s);
    if (more)
        g_string_append_printf(s, " (and %zu more frames)", more);
    g_string_append_c(s, '\n');
    g_string_append(out, s->str);
    g_string_free(s, TRUE);
}

/*
 * The story: every event of the frames, and the domain events (state,
 * safe range, retry timers, VM_DESTROYED) of the domains involved.  With
 * --domain: the domain's own events, and its frames' events one line per
 * kind and step ("allocated to d1 (and 15 more frames)").
 */
static void story(const struct xmm_world *w, struct explain *e, const struct xmm_event *ev,
                  size_t n, GString *out)
{
    xmm_domid_t doms[16];
    size_t nd = e->sel == SEL_DOMAIN ? 1 : involved_domains(ev, n, e, doms, 16);
    guint8 *done = g_new0(guint8, n ? n : 1);

    if (e->sel == SEL_DOMAIN)
        doms[0] = e->dom;
    for (size_t i = 0; i < n; i++) {
        const struct xmm_event *x = &ev[i];
        size_t more = 0;

        if (done[i] || !story_wants(e, doms, nd, x))
            continue;
        if (e->sel == SEL_DOMAIN && !xmm_mfn_eq(x->mfn, XMM_INVALID_MFN))
            for (size_t j = i + 1; j < n && ev[j].step == x->step && ev[j].tick == x->tick; j++)
                if (!done[j] && ev[j].kind == x->kind && ev[j].dom == x->dom &&
                    !xmm_mfn_eq(ev[j].mfn, XMM_INVALID_MFN)) {
                    done[j] = 1;
                    more++;
                }
        story_line(w, e, x, more, out);
    }
    g_free(done);
}

static void frames_list(const struct explain *e, GString *out)
{
    for (size_t i = 0; i < e->frame_count; i++)
        g_string_append_printf(out, "%s0x%" PRIx64, i ? ", " : "", xmm_mfn_x(e->frames[i]));
    if (e->frames_more)
        g_string_append(out, ", ...");
}

static void holders(const struct xmm_world *w, const struct explain *e, GString *out)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    for (size_t i = 0; i < e->frame_count; i++)
        sim_show_frame(w, e->frames[i], lines);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(out, "  %s\n", (const char *)lines->pdata[i]);
    g_ptr_array_free(lines, TRUE);
}

/* "the invariant stopped holding in step 5 (line 21: advance), at tick 10" and its last events. */
static void decisive(const struct sim_scenario *sc, const struct sim_result *res,
                     struct explain *e, const struct xmm_world *w, const struct xmm_event *ev,
                     size_t n, GString *out)
{
    size_t step = res->viol_step, last = n;
    char inv[32];

    g_strlcpy(inv, xmm_invariant_name(res->first.inv), sizeof(inv));
    if (step == 0) {
        g_string_append_printf(out, "%s was found broken by the sweep at the end of the run\n",
                               inv);
        return;
    }
    for (size_t i = n; i-- > 0;)
        if (ev[i].step == step && !xmm_mfn_eq(ev[i].mfn, XMM_INVALID_MFN) &&
            is_frame(e, ev[i].mfn)) {
            last = i;
            break;
        }
    g_string_append_printf(out, "%s held until step %zu (line %" PRIu32 ": %s) broke it", inv,
                           step, sim_lines_get(&e->lines, step),
                           step <= sc->step_count ? sc->steps[step - 1].op->name : "?");
    if (last == n) {
        g_string_append(out, "\n");
        return;
    }
    g_string_append_printf(out, "; its last event on the frames, at tick %" PRIu64 ":\n",
                           ev[last].tick);
    {
        GString *s = g_string_new("  ");

        if (e->frame_count != 1)
            g_string_append_printf(s, "mfn 0x%" PRIx64 ": ", xmm_mfn_x(ev[last].mfn));
        sim_event_text(w, &ev[last], s);
        g_string_append_printf(out, "%s\n", s->str);
        g_string_free(s, TRUE);
    }
}

static int explain_usage(const char *fmt, const char *arg)
{
    return sim_cli_usage_error(&sim_cli_explain, fmt, arg);
}

/* Parse DOM:GFN ("d1:0x40000"). */
static bool parse_dom_gfn(const char *v, xmm_domid_t *dom, uint64_t *gfn)
{
    const char *colon = strchr(v, ':');
    char d[32];

    if (!colon || (size_t)(colon - v) >= sizeof(d))
        return false;
    memcpy(d, v, (size_t)(colon - v));
    d[colon - v] = '\0';
    return xmm_domid_parse(d, dom) == 0 && sim_parse_u64(colon + 1, gfn) == SIM_NUM_OK &&
           *gfn < XMM_FRAME_LIMIT;
}

static int cmd_explain(int argc, char **argv)
{
    struct explain e;
    struct sim_run_opts opts = { .check_override = SIM_CHECKS_EVERY_STEP, .keep_world = true };
    struct sim_scenario *sc = NULL;
    struct sim_result res;
    struct sim_error err;
    const char *file = NULL;
    struct xmm_event *ev;
    GString *out;
    size_t n;
    int i, rc = 0;

    memset(&e, 0, sizeof(e));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool sel = !strcmp(a, "--frame") || !strcmp(a, "--gfn") || !strcmp(a, "--domain") ||
                   !strcmp(a, "--handle");

        if (sel && e.sel != SEL_VIOLATION)
            return explain_usage("one selector at a time ('%s' is a second one)", a);
        if ((sel || !strcmp(a, "--seed")) && !v)
            return explain_usage("%s needs a value", a);
        if (!strcmp(a, "--frame")) {
            e.sel = SEL_FRAME;
            if (sim_parse_u64(v, &e.mfn) != SIM_NUM_OK)
                return explain_usage("--frame '%s' is not a frame number (decimal or 0x hex)", v);
        } else if (!strcmp(a, "--gfn")) {
            e.sel = SEL_GFN;
            if (!parse_dom_gfn(v, &e.dom, &e.gfn))
                return explain_usage("--gfn '%s' is not DOM:GFN (d1:0x40000)", v);
        } else if (!strcmp(a, "--domain")) {
            e.sel = SEL_DOMAIN;
            if (xmm_domid_parse(v, &e.dom) != 0)
                return explain_usage("--domain '%s' is not a domain (d1 or 1)", v);
        } else if (!strcmp(a, "--handle")) {
            e.sel = SEL_HANDLE;
            if (sim_parse_u64(v, &e.handle) != SIM_NUM_OK)
                return explain_usage("--handle '%s' is not a handle (decimal or 0x hex)", v);
        } else if (!strcmp(a, "--seed")) {
            if (sim_parse_u64(v, &opts.seed) != SIM_NUM_OK)
                return explain_usage("--seed '%s' is not a number (decimal or 0x hex)", v);
            opts.has_seed = true;
        } else if (a[0] == '-' && a[1]) {
            return explain_usage("unknown option '%s'", a);
        } else if (file) {
            return explain_usage("one FILE at a time ('%s' is a second one)", a);
        } else {
            file = a;
            continue;
        }
        i++;
    }
    if (!file)
        return explain_usage("%s", "no FILE given");
    if (sim_load_file(file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", file, err.line, err.col, err.msg);
        return SIM_EXIT_USAGE;
    }
    sim_lines_init(&e.lines);
    sim_run(sc, &opts, explain_step, &e, &res);
    if (!res.world) {
        fprintf(stderr, "xmm-sim: explain: %s: the world could not be built (%s)\n", file,
                res.what ? res.what : "?");
        rc = SIM_EXIT_USAGE;
        goto done;
    }
    if (e.sel == SEL_FRAME) {
        if (!xmm_world_mfn_is_ram(res.world, xmm_mfn(e.mfn))) {
            fprintf(stderr, "xmm-sim: explain: mfn 0x%" PRIx64 " is not a RAM frame of %s\n", e.mfn,
                    file);
            rc = SIM_EXIT_USAGE;
            goto done;
        }
        add_frame(&e, xmm_mfn(e.mfn));
    } else if (e.sel == SEL_VIOLATION) {
        if (!res.violated) {
            fprintf(stderr, "xmm-sim: explain: %s has no violation to explain; pick an object "
                            "with --frame, --gfn, --domain or --handle\n", file);
            rc = SIM_EXIT_USAGE;
            goto done;
        }
        if (!xmm_mfn_eq(res.first.mfn, XMM_INVALID_MFN) &&
            xmm_world_mfn_is_ram(res.world, res.first.mfn))
            add_frame(&e, res.first.mfn);
        e.dom = res.first.dom;
    }
    n = (size_t)xmm_history_count(res.world);
    ev = g_new(struct xmm_event, n ? n : 1);
    n = xmm_history_since(res.world, 0, ev, n);
    if (e.sel == SEL_FRAME || e.sel == SEL_GFN || e.sel == SEL_HANDLE) {
        bool touched = false;

        for (size_t k = 0; k < n && !touched; k++)
            touched = is_frame(&e, ev[k].mfn);
        if (!touched) {
            if (e.sel == SEL_FRAME)
                fprintf(stderr, "xmm-sim: explain: mfn 0x%" PRIx64 " was never touched in this "
                                "run (no event recorded)\n", e.mfn);
            else if (e.sel == SEL_GFN)
                fprintf(stderr, "xmm-sim: explain: nothing was ever mapped at gfn 0x%" PRIx64
                                " of d%u in this run\n", e.gfn, (unsigned)e.dom);
            else
                fprintf(stderr, "xmm-sim: explain: no share with handle 0x%" PRIx64
                                " was ever made in this run\n", e.handle);
            rc = SIM_EXIT_USAGE;
            g_free(ev);
            goto done;
        }
    }
    if (e.sel == SEL_DOMAIN) {
        bool seen = false;

        for (size_t k = 0; k < n && !seen; k++)
            seen = ev[k].dom == e.dom;
        if (!seen) {
            fprintf(stderr, "xmm-sim: explain: domain d%u never existed in this run\n",
                    (unsigned)e.dom);
            rc = SIM_EXIT_USAGE;
            g_free(ev);
            goto done;
        }
    }
    out = g_string_new(NULL);
    g_string_append_printf(out, "explain %s: scenario %s, seed %" PRIu64 ", %zu steps run\n", file,
                           sc->name, res.seed, res.steps_run);
    if (e.sel == SEL_VIOLATION) {
        char d[16];

        g_string_append_printf(out, "violation: %s (%s) ", xmm_invariant_name(res.first.inv),
                               res.pass ? "expected" : "unexpected");
        if (res.first.kind == XMM_SUBJECT_DOMAIN) {
            xmm_domid_name(res.first.dom, d, sizeof(d));
            g_string_append_printf(out, "at domain %s", d);
        } else if (!xmm_mfn_eq(res.first.mfn, XMM_INVALID_MFN)) {
            g_string_append_printf(out, "at frame 0x%" PRIx64, xmm_mfn_x(res.first.mfn));
        } else {
            g_string_append(out, "in the world");
        }
        g_string_append_printf(out, ": %s\n", res.first.detail);
        decisive(sc, &res, &e, res.world, ev, n, out);
    }
    if (e.frame_count) {
        g_string_append(out, e.frame_count == 1 ? "frame: " : "frames: ");
        frames_list(&e, out);
        g_string_append(out, "\nholders at the end of the run:\n");
        holders(res.world, &e, out);
    }
    if (e.sel == SEL_DOMAIN || (e.sel == SEL_VIOLATION && !e.frame_count)) {
        GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

        e.sel = SEL_DOMAIN;
        sim_show_domain(res.world, e.dom, lines);
        g_string_append(out, "at the end of the run:\n");
        for (guint k = 0; k < lines->len; k++)
            g_string_append_printf(out, "  %s\n", (const char *)lines->pdata[k]);
        g_ptr_array_free(lines, TRUE);
    }
    g_string_append(out, "story, oldest first (tick, step, scenario line):\n");
    story(res.world, &e, ev, n, out);
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    g_free(ev);
done:
    sim_result_clear(&res);
    sim_lines_free(&e.lines);
    sim_scenario_free(sc);
    return rc;
}
