/*
 * xmm-sim plot: replay a scenario and draw it.  After every step the host
 * frames are counted by state (sim_census: owned per domain, xenheap,
 * shared with SPs, held for device-TLB flushes, parked, held by zombies;
 * free ones are counted, not stacked); the plot stacks them over ticks with
 * a marker at every domain_destroy and at the violation, axes and a legend,
 * and gives each frame of interest a swimlane: its state and owner, its
 * references and mappings, whether an SP can reach it, and the window
 * between an invalidation being queued and completing.
 *
 * The SVG is written by hand (no dependency) and is the same bytes for the
 * same scenario and seed.  --format json prints the counters instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "timeline.h"
#include "value.h"

#define PLOT_LANES_MAX 4

static const struct sim_cli_opt plot_opts[] = {
    { "-o", "OUT", "write the plot to OUT (required for svg; json defaults to standard output)" },
    { "--format", "svg|json",
      "svg (default): the drawing; json: one object per step with the counters the plot uses "
      "(tick, step, line, op, frames by state, destroy and violation markers)" },
    { "--frame", "MFN",
      "give this frame a swimlane (repeatable, at most 4; default: the violation's frame, else "
      "the first frames that were parked, held by a zombie, held for a flush or pinned for an "
      "SP)" },
    { "--seed", "N", "seed the world with N instead of the scenario's seed" },
    { "-h, --help", NULL, "this text" },
    { NULL, NULL, NULL },
};

static int cmd_plot(int argc, char **argv);

const struct sim_cli_cmd sim_cli_plot = {
    .name = "plot",
    .fn = cmd_plot,
    .synopsis = "FILE -o OUT.svg [--format svg|json] [--frame MFN]... [--seed N]",
    .summary = "replay a scenario and plot host frames by state over ticks (SVG or JSON)",
    .description =
        "Invariants are checked after every step. The stacked areas are the frames in use by "
        "state after each step, drawn from that step's tick to the next one's (the x axis is the "
        "step number when every step runs at tick 0); dashed lines mark domain_destroy steps, a "
        "red line the violation. Exit status: 0, or 2 for a file that does not load, a wrong "
        "option, a frame never touched, or an output file that cannot be written.",
    .opts = plot_opts,
};

/* The state of one swimlane frame after a step. */
struct lane_pt {
    uint8_t cls;
    xmm_domid_t owner;
    uint32_t refs, maps;
    bool reach, tlb;
};

struct sample {
    size_t step;
    uint32_t line;
    uint64_t tick;
    const char *op;
    bool destroy;
    struct sim_census c;
    struct lane_pt lane[PLOT_LANES_MAX];
};

struct plot {
    GArray *samples; /* struct sample */
    xmm_mfn_t lanes[PLOT_LANES_MAX];
    size_t lane_count;
    bool lanes_given;
    xmm_domid_t doms[SIM_CENSUS_DOMS]; /* every domain seen, for stable colours */
    size_t dom_count;
    /* candidates for default lanes: frames that were ever parked/zombie/devtlb/sp */
    xmm_mfn_t cand[PLOT_LANES_MAX];
    size_t cand_count;
};

struct reach_ctx {
    struct plot *p;
    struct sample *s;
};

static void reach_mark(void *arg, uint16_t sp, xmm_ffa_handle_t h, xmm_domid_t sender,
                       xmm_mfn_t mfn)
{
    struct reach_ctx *r = arg;

    (void)sp;
    (void)h;
    (void)sender;
    for (size_t i = 0; i < r->p->lane_count; i++)
        if (xmm_mfn_eq(r->p->lanes[i], mfn))
            r->s->lane[i].reach = true;
}

static void tlb_mark(void *arg, const char *dev, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                     bool stale)
{
    struct reach_ctx *r = arg;

    (void)dev;
    (void)dom;
    (void)gfn;
    (void)stale;
    for (size_t i = 0; i < r->p->lane_count; i++)
        if (xmm_mfn_eq(r->p->lanes[i], mfn))
            r->s->lane[i].tlb = true;
}

static void note_candidates(struct plot *p, const struct xmm_world *w)
{
    uint64_t base = xmm_mfn_x(xmm_world_ram_base(w)), n = xmm_world_ram_pages(w);
    uint32_t *pins = sim_ffa_pins(w);

    for (uint64_t k = 0; k < n && p->cand_count < PLOT_LANES_MAX; k++) {
        xmm_mfn_t m = xmm_mfn(base + k);
        enum sim_fclass fc = sim_frame_class(w, pins, m);
        size_t j;

        if (fc != SIM_FC_PARKED && fc != SIM_FC_ZOMBIE && fc != SIM_FC_DEVTLB && fc != SIM_FC_SP)
            continue;
        for (j = 0; j < p->cand_count && !xmm_mfn_eq(p->cand[j], m); j++)
            ;
        if (j == p->cand_count)
            p->cand[p->cand_count++] = m;
    }
    g_free(pins);
}

static void plot_step(void *ctx, const struct sim_scenario *sc, const struct sim_step_event *ev)
{
    struct plot *p = ctx;
    struct sample s;
    struct reach_ctx rc = { p, &s };
    uint32_t *pins;

    (void)sc;
    memset(&s, 0, sizeof(s));
    s.step = ev->number;
    s.line = ev->st->line;
    s.tick = xmm_world_now(ev->w);
    s.op = ev->st->op->name;
    s.destroy = strcmp(s.op, "domain_destroy") == 0;
    sim_census(ev->w, &s.c);
    for (size_t i = 0; i < s.c.dom_count; i++) {
        size_t j;

        for (j = 0; j < p->dom_count && p->doms[j] != s.c.dom[i]; j++)
            ;
        if (j == p->dom_count && p->dom_count < SIM_CENSUS_DOMS)
            p->doms[p->dom_count++] = s.c.dom[i];
    }
    if (!p->lanes_given)
        note_candidates(p, ev->w);
    pins = sim_ffa_pins(ev->w);
    for (size_t i = 0; i < p->lane_count; i++) {
        struct xmm_frame_info fi;

        xmm_frame_info(ev->w, p->lanes[i], &fi);
        s.lane[i].cls = (uint8_t)sim_frame_class(ev->w, pins, p->lanes[i]);
        s.lane[i].owner = fi.free ? XMM_DOMID_INVALID : fi.owner;
        s.lane[i].refs = fi.refcount;
    }
    g_free(pins);
    /* mappings of the lane frames: one pass over every P2M */
    for (size_t d = 0; p->lane_count && d < xmm_domain_count(ev->w); d++) {
        xmm_domid_t dom = xmm_domain_id_at(ev->w, d);
        xmm_gfn_t g = xmm_gfn(0);
        struct xmm_p2m_entry e;

        while (xmm_p2m_next(ev->w, dom, g, &g, &e) == 0) {
            for (size_t i = 0; i < p->lane_count; i++)
                s.lane[i].maps += xmm_mfn_eq(e.mfn, p->lanes[i]);
            g = xmm_gfn(xmm_gfn_x(g) + 1);
        }
    }
    if (p->lane_count) {
        xmm_ffa_for_each_reach(ev->w, reach_mark, &rc);
        xmm_iommu_for_each_tlb(ev->w, tlb_mark, &rc);
    }
    g_array_append_val(p->samples, s);
}

/* --- JSON ------------------------------------------------------------------ */

static void plot_json(const struct plot *p, const struct sim_result *res, GString *out)
{
    char d[16];

    for (guint i = 0; i < p->samples->len; i++) {
        const struct sample *s = &g_array_index(p->samples, struct sample, i);

        g_string_append_printf(out, "{\"step\":%zu,\"line\":%" PRIu32 ",\"tick\":%" PRIu64
                                    ",\"op\":\"%s\",\"frames\":{",
                               s->step, s->line, s->tick, s->op);
        for (int k = 0; k < SIM_FC_COUNT; k++)
            g_string_append_printf(out, "%s\"%s\":%" PRIu64, k ? "," : "", sim_fclass_names[k],
                                   s->c.n[k]);
        g_string_append(out, ",\"owned_by\":{");
        for (size_t j = 0; j < s->c.dom_count; j++) {
            xmm_domid_name(s->c.dom[j], d, sizeof(d));
            g_string_append_printf(out, "%s\"%s\":%" PRIu64, j ? "," : "", d, s->c.owned[j]);
        }
        g_string_append_printf(out, "}},\"destroy\":%s,\"violation\":%s}\n",
                               s->destroy ? "true" : "false",
                               res->violated && res->viol_step == s->step ? "true" : "false");
    }
}

/* --- SVG ------------------------------------------------------------------- */

#define W 960
#define ML 70  /* left margin */
#define MR 200 /* right margin: the legend */
#define MT 40
#define CH 300 /* chart height */
#define LANE_H 56

static const char *const class_colour[SIM_FC_COUNT] = {
    [SIM_FC_FREE] = "#ffffff",   [SIM_FC_PARKED] = "#7f3c8d", [SIM_FC_ZOMBIE] = "#e73f74",
    [SIM_FC_DEVTLB] = "#f2b701", [SIM_FC_SP] = "#e68310",     [SIM_FC_XENHEAP] = "#80ba5a",
    [SIM_FC_OWNED] = "#3969ac",
};
static const char *const dom_colour[SIM_CENSUS_DOMS] = {
    "#3969ac", "#11a579", "#008695", "#4b4b8f", "#1b9e77", "#5f9ed1", "#2a5783", "#6a8ca8",
};

/* Series stacked bottom-up: owned per domain, then the other in-use states. */
#define SERIES_MAX (SIM_CENSUS_DOMS + 1 + 5)

static uint64_t value_of(const struct plot *p, const struct sample *s, size_t k)
{
    static const enum sim_fclass rest[] = { SIM_FC_XENHEAP, SIM_FC_SP, SIM_FC_DEVTLB,
                                            SIM_FC_PARKED, SIM_FC_ZOMBIE };

    if (k < p->dom_count) {
        for (size_t j = 0; j < s->c.dom_count; j++)
            if (s->c.dom[j] == p->doms[k])
                return s->c.owned[j];
        return 0;
    }
    if (k == p->dom_count)
        return s->c.owned_other;
    return s->c.n[rest[k - p->dom_count - 1]];
}

static const char *series_name(const struct plot *p, size_t k, char *buf, size_t len)
{
    static const char *const rest[] = { "xenheap", "shared with SPs", "held for device-TLB flush",
                                        "parked", "held by zombies" };
    char d[16];

    if (k < p->dom_count) {
        xmm_domid_name(p->doms[k], d, sizeof(d));
        snprintf(buf, len, "owned by %s", d);
    } else if (k == p->dom_count) {
        snprintf(buf, len, "owned by others");
    } else {
        snprintf(buf, len, "%s", rest[k - p->dom_count - 1]);
    }
    return buf;
}

static const char *series_colour(const struct plot *p, size_t k)
{
    static const enum sim_fclass rest[] = { SIM_FC_XENHEAP, SIM_FC_SP, SIM_FC_DEVTLB,
                                            SIM_FC_PARKED, SIM_FC_ZOMBIE };

    if (k < p->dom_count)
        return dom_colour[k % SIM_CENSUS_DOMS];
    if (k == p->dom_count)
        return "#a5aa99";
    return class_colour[rest[k - p->dom_count - 1]];
}

struct axis {
    bool by_step;
    uint64_t max;
    double x0, x1;
};

static uint64_t sample_x(const struct axis *a, const struct sample *s)
{
    return a->by_step ? s->step : s->tick;
}

static double px(const struct axis *a, uint64_t v)
{
    return a->x0 + (a->x1 - a->x0) * (a->max ? (double)v / (double)a->max : 0.0);
}

/* A "nice" tick spacing for 0..max with about n ticks. */
static uint64_t nice_step(uint64_t max, unsigned n)
{
    uint64_t raw = max / n + 1, p = 1;

    while (p * 10 <= raw)
        p *= 10;
    return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

static void svg_text(GString *o, double x, double y, const char *anchor, const char *cls,
                     const char *text)
{
    g_string_append_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x,
                           y, anchor, cls);
    for (const char *c = text; *c; c++) {
        if (*c == '<')
            g_string_append(o, "&lt;");
        else if (*c == '>')
            g_string_append(o, "&gt;");
        else if (*c == '&')
            g_string_append(o, "&amp;");
        else
            g_string_append_c(o, *c);
    }
    g_string_append(o, "</text>\n");
}

/* Invalidation windows of a frame: [queued, done or due) from the history. */
static void lane_windows(const struct xmm_world *w, xmm_mfn_t mfn, const struct axis *a,
                         double y, double h, GString *o)
{
    struct xmm_event ev[256];
    size_t n = xmm_history_frame(w, mfn, ev, 256);
    uint64_t open_at = 0, due = 0;
    bool open = false;

    for (size_t i = n; i-- > 0;) {
        if (ev[i].kind == XMM_EV_INV_QUEUED && !open) {
            open = true;
            open_at = ev[i].tick;
            due = ev[i].arg;
        } else if (ev[i].kind == XMM_EV_INV_DONE && open) {
            open = false;
            if (!a->by_step)
                g_string_append_printf(o, "<rect class=\"inval\" x=\"%.1f\" y=\"%.1f\" "
                                          "width=\"%.1f\" height=\"%.1f\"/>\n",
                                       px(a, open_at), y, px(a, ev[i].tick) - px(a, open_at), h);
        }
    }
    if (open && !a->by_step) {
        uint64_t end = due > a->max ? a->max : due;

        g_string_append_printf(o, "<rect class=\"inval\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                  "height=\"%.1f\"/>\n",
                               px(a, open_at), y, px(a, end) - px(a, open_at), h);
    }
}

static void plot_svg(const struct plot *p, const struct sim_scenario *sc,
                     const struct sim_result *res, GString *o)
{
    size_t ns = p->samples->len, series = p->dom_count + 1 + 5;
    double y0 = MT + CH, lanes_top = MT + CH + 60;
    int height = (int)(lanes_top + (double)p->lane_count * LANE_H + 30);
    uint64_t ymax = 1, tick_max = 0, free_min = UINT64_MAX, free_max = 0;
    struct axis a = { false, 0, ML, W - MR };
    char buf[96];

    for (size_t i = 0; i < ns; i++) {
        const struct sample *s = &g_array_index(p->samples, struct sample, i);
        uint64_t tot = 0;

        for (size_t k = 0; k < series; k++)
            tot += value_of(p, s, k);
        ymax = tot > ymax ? tot : ymax;
        tick_max = s->tick > tick_max ? s->tick : tick_max;
        free_min = s->c.n[SIM_FC_FREE] < free_min ? s->c.n[SIM_FC_FREE] : free_min;
        free_max = s->c.n[SIM_FC_FREE] > free_max ? s->c.n[SIM_FC_FREE] : free_max;
    }
    a.by_step = tick_max == 0;
    a.max = a.by_step ? (ns ? g_array_index(p->samples, struct sample, ns - 1).step : 1)
                      : tick_max + (tick_max / 20 ? tick_max / 20 : 1);
    {
        uint64_t st = nice_step(ymax, 5);

        ymax = (ymax + st - 1) / st * st;
    }
    g_string_append_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                              "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                           W, height, W, height);
    g_string_append(o, "<style>text{font-family:sans-serif;font-size:11px;fill:#222}"
                       ".title{font-size:14px;font-weight:bold}.axis{stroke:#222;stroke-width:1}"
                       ".grid{stroke:#ddd;stroke-width:1}.destroy{stroke:#555;stroke-width:1.5;"
                       "stroke-dasharray:4 3}.violation{stroke:#d00;stroke-width:2}"
                       ".inval{fill:#f2b701;fill-opacity:0.35;stroke:#b08500;stroke-dasharray:2 2}"
                       ".reach{fill:#d00}.tlb{fill:#e68310}.small{font-size:9px}</style>\n");
    g_string_append_printf(o, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n",
                           W, height);
    snprintf(buf, sizeof(buf), "%s: host frames in use by state", sc->name);
    svg_text(o, ML, 24, "start", "title", buf);
    /* grid and y axis */
    {
        uint64_t st = nice_step(ymax, 5);

        for (uint64_t v = 0; v <= ymax; v += st) {
            double y = y0 - CH * (double)v / (double)ymax;

            g_string_append_printf(o, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
                                      "y2=\"%.1f\"/>\n", ML, y, W - MR, y);
            snprintf(buf, sizeof(buf), "%" PRIu64, v);
            svg_text(o, ML - 6, y + 4, "end", "", buf);
        }
    }
    /* stacked areas: each series a polygon of step segments */
    for (size_t k = 0; k < series; k++) {
        GString *top = g_string_new(NULL), *bot = g_string_new(NULL);
        bool any = false;

        for (size_t i = 0; i < ns; i++) {
            const struct sample *s = &g_array_index(p->samples, struct sample, i);
            uint64_t x = sample_x(&a, s), xn;
            uint64_t below = 0;
            double xa, xb, yb, yt;

            xn = i + 1 < ns ? sample_x(&a, &g_array_index(p->samples, struct sample, i + 1))
                            : a.max;
            for (size_t j = 0; j < k; j++)
                below += value_of(p, s, j);
            any |= value_of(p, s, k) != 0;
            xa = px(&a, x);
            xb = px(&a, xn);
            yb = y0 - CH * (double)below / (double)ymax;
            yt = y0 - CH * (double)(below + value_of(p, s, k)) / (double)ymax;
            g_string_append_printf(top, "%.1f,%.1f %.1f,%.1f ", xa, yt, xb, yt);
            {
                char seg[64];

                snprintf(seg, sizeof(seg), "%.1f,%.1f %.1f,%.1f ", xb, yb, xa, yb);
                g_string_prepend(bot, seg);
            }
        }
        if (any)
            g_string_append_printf(o, "<polygon class=\"series\" data-series=\"%s\" fill=\"%s\" "
                                      "stroke=\"none\" points=\"%s%s\"/>\n",
                                   series_name(p, k, buf, sizeof(buf)), series_colour(p, k),
                                   top->str, bot->str);
        g_string_free(top, TRUE);
        g_string_free(bot, TRUE);
    }
    /* x axis */
    g_string_append_printf(o, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
                           ML, y0, W - MR, y0);
    g_string_append_printf(o, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\"/>\n",
                           ML, MT, ML, y0);
    {
        uint64_t st = nice_step(a.max, 8);

        for (uint64_t v = 0; v <= a.max; v += st) {
            snprintf(buf, sizeof(buf), "%" PRIu64, v);
            svg_text(o, px(&a, v), y0 + 16, "middle", "", buf);
        }
    }
    svg_text(o, (ML + W - MR) / 2.0, y0 + 34, "middle", "", a.by_step ? "step" : "tick");
    svg_text(o, 16, MT + CH / 2.0, "middle", "", "frames");
    /* markers: destroy calls and the violation */
    for (size_t i = 0; i < ns; i++) {
        const struct sample *s = &g_array_index(p->samples, struct sample, i);
        double x = px(&a, sample_x(&a, s));

        if (s->destroy) {
            g_string_append_printf(o, "<line class=\"destroy\" data-step=\"%zu\" x1=\"%.1f\" "
                                      "y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                                   s->step, x, MT, x, y0);
            snprintf(buf, sizeof(buf), "destroy (step %zu)", s->step);
            svg_text(o, x + 3, MT + 10 + 12.0 * (double)(i % 3), "start", "small", buf);
        }
        if (res->violated && res->viol_step == s->step) {
            g_string_append_printf(o, "<line class=\"violation\" data-step=\"%zu\" x1=\"%.1f\" "
                                      "y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                                   s->step, x, MT, x, y0);
            snprintf(buf, sizeof(buf), "%s (step %zu)", xmm_invariant_name(res->first.inv),
                     s->step);
            svg_text(o, x + 3, y0 - 6, "start", "small", buf);
        }
    }
    /* legend */
    {
        double ly = MT;

        for (size_t k = series; k-- > 0;) {
            g_string_append_printf(o, "<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"12\" "
                                      "fill=\"%s\" stroke=\"#222\" stroke-width=\"0.5\"/>\n",
                                   W - MR + 16, ly, series_colour(p, k));
            svg_text(o, W - MR + 34, ly + 10, "start", "", series_name(p, k, buf, sizeof(buf)));
            ly += 18;
        }
        snprintf(buf, sizeof(buf), "free (not stacked): %" PRIu64 "..%" PRIu64,
                 ns ? free_min : 0, ns ? free_max : 0);
        svg_text(o, W - MR + 16, ly + 10, "start", "small", buf);
        svg_text(o, W - MR + 16, ly + 26, "start", "small", "- - destroy call");
        svg_text(o, W - MR + 16, ly + 40, "start", "small", "red: violation");
    }
    /* swimlanes */
    if (p->lane_count)
        svg_text(o, ML, lanes_top - 12, "start", "",
                 "frames of interest: state and owner; r refs / m mappings; red bar: an SP can "
                 "reach it; orange bar: a device TLB caches it; shaded: invalidation pending");
    for (size_t l = 0; l < p->lane_count; l++) {
        double ly = lanes_top + (double)l * LANE_H;
        const struct lane_pt *prev = NULL;

        snprintf(buf, sizeof(buf), "0x%" PRIx64, xmm_mfn_x(p->lanes[l]));
        svg_text(o, ML - 6, ly + 14, "end", "", buf);
        g_string_append_printf(o, "<g class=\"lane\" data-mfn=\"0x%" PRIx64 "\">\n",
                               xmm_mfn_x(p->lanes[l]));
        lane_windows(res->world, p->lanes[l], &a, ly, 40, o);
        for (size_t i = 0; i < ns; i++) {
            const struct sample *s = &g_array_index(p->samples, struct sample, i);
            const struct lane_pt *pt = &s->lane[l];
            uint64_t xn = i + 1 < ns
                              ? sample_x(&a, &g_array_index(p->samples, struct sample, i + 1))
                              : a.max;
            double xa = px(&a, sample_x(&a, s)), xb = px(&a, xn);
            char d[16];

            /* Steps that run at one tick have no width: the last of them is drawn. */
            if (xb - xa < 0.05)
                continue;

            g_string_append_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" "
                                      "fill=\"%s\" stroke=\"#999\" stroke-width=\"0.3\"/>\n",
                                   xa, ly, xb - xa, class_colour[pt->cls]);
            if (pt->reach)
                g_string_append_printf(o, "<rect class=\"reach\" x=\"%.1f\" y=\"%.1f\" "
                                          "width=\"%.1f\" height=\"4\"/>\n",
                                       xa, ly + 34, xb - xa);
            if (pt->tlb)
                g_string_append_printf(o, "<rect class=\"tlb\" x=\"%.1f\" y=\"%.1f\" "
                                          "width=\"%.1f\" height=\"4\"/>\n",
                                       xa, ly + 40, xb - xa);
            if ((prev && prev->cls == pt->cls && prev->owner == pt->owner &&
                 prev->refs == pt->refs && prev->maps == pt->maps) ||
                xb - xa < 28)
                continue;
            if (pt->cls == SIM_FC_FREE)
                snprintf(d, sizeof(d), "free");
            else
                xmm_domid_name(pt->owner, d, sizeof(d));
            svg_text(o, xa + 2, ly + 12, "start", "small", d);
            snprintf(buf, sizeof(buf), "r%" PRIu32 " m%" PRIu32, pt->refs, pt->maps);
            svg_text(o, xa + 2, ly + 28, "start", "small", buf);
            prev = pt;
        }
        g_string_append(o, "</g>\n");
    }
    g_string_append(o, "</svg>\n");
}

static int plot_usage(const char *fmt, const char *arg)
{
    return sim_cli_usage_error(&sim_cli_plot, fmt, arg);
}

static int cmd_plot(int argc, char **argv)
{
    struct plot p;
    struct sim_run_opts opts = { .check_override = SIM_CHECKS_EVERY_STEP, .keep_world = true };
    struct sim_scenario *sc = NULL;
    struct sim_result res;
    struct sim_error err;
    const char *file = NULL, *outp = NULL;
    bool json = false;
    GString *o;
    int i, rc = 0;

    memset(&p, 0, sizeof(p));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if ((!strcmp(a, "-o") || !strcmp(a, "--format") || !strcmp(a, "--frame") ||
             !strcmp(a, "--seed")) && !v)
            return plot_usage("%s needs a value", a);
        if (!strcmp(a, "-o")) {
            outp = v;
        } else if (!strcmp(a, "--format")) {
            if (strcmp(v, "svg") && strcmp(v, "json"))
                return plot_usage("unknown --format '%s' (svg or json)", v);
            json = !strcmp(v, "json");
        } else if (!strcmp(a, "--frame")) {
            uint64_t m;

            if (sim_parse_u64(v, &m) != SIM_NUM_OK)
                return plot_usage("--frame '%s' is not a frame number (decimal or 0x hex)", v);
            if (p.lane_count == PLOT_LANES_MAX)
                return plot_usage("at most 4 --frame options ('%s' is a fifth)", v);
            p.lanes[p.lane_count++] = xmm_mfn(m);
            p.lanes_given = true;
        } else if (!strcmp(a, "--seed")) {
            if (sim_parse_u64(v, &opts.seed) != SIM_NUM_OK)
                return plot_usage("--seed '%s' is not a number (decimal or 0x hex)", v);
            opts.has_seed = true;
        } else if (a[0] == '-' && a[1]) {
            return plot_usage("unknown option '%s'", a);
        } else if (file) {
            return plot_usage("one FILE at a time ('%s' is a second one)", a);
        } else {
            file = a;
            continue;
        }
        i++;
    }
    if (!file)
        return plot_usage("%s", "no FILE given");
    if (!outp && !json)
        return plot_usage("%s", "no output file given (-o OUT.svg)");
    if (sim_load_file(file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", file, err.line, err.col, err.msg);
        return SIM_EXIT_USAGE;
    }
    p.samples = g_array_new(FALSE, TRUE, sizeof(struct sample));
    /* Default lanes need a first pass to find the frames worth a lane. */
    if (!p.lanes_given) {
        struct sim_run_opts o1 = opts;

        o1.keep_world = false;
        sim_run(sc, &o1, plot_step, &p, &res);
        if (res.violated && !xmm_mfn_eq(res.first.mfn, XMM_INVALID_MFN))
            p.lanes[p.lane_count++] = res.first.mfn;
        for (size_t k = 0; k < p.cand_count && p.lane_count < PLOT_LANES_MAX; k++)
            if (p.lane_count == 0 || !xmm_mfn_eq(p.cand[k], p.lanes[0]))
                p.lanes[p.lane_count++] = p.cand[k];
        sim_result_clear(&res);
        g_array_set_size(p.samples, 0);
        p.dom_count = 0;
    }
    sim_run(sc, &opts, plot_step, &p, &res);
    if (!res.world) {
        fprintf(stderr, "xmm-sim: plot: %s: the world could not be built (%s)\n", file,
                res.what ? res.what : "?");
        rc = SIM_EXIT_USAGE;
        goto done;
    }
    for (size_t l = 0; p.lanes_given && l < p.lane_count; l++) {
        struct xmm_event ev;

        if (!xmm_world_mfn_is_ram(res.world, p.lanes[l]) ||
            xmm_history_frame(res.world, p.lanes[l], &ev, 1) == 0) {
            fprintf(stderr, "xmm-sim: plot: mfn 0x%" PRIx64 " was never touched in this run\n",
                    xmm_mfn_x(p.lanes[l]));
            rc = SIM_EXIT_USAGE;
            goto done;
        }
    }
    o = g_string_new(NULL);
    if (json)
        plot_json(&p, &res, o);
    else
        plot_svg(&p, sc, &res, o);
    if (outp) {
        GError *gerr = NULL;

        if (!g_file_set_contents(outp, o->str, (gssize)o->len, &gerr)) {
            fprintf(stderr, "xmm-sim: plot: %s\n", gerr->message);
            g_error_free(gerr);
            rc = SIM_EXIT_USAGE;
        }
    } else {
        fputs(o->str, stdout);
    }
    g_string_free(o, TRUE);
done:
    sim_result_clear(&res);
    g_array_free(p.samples, TRUE);
    sim_scenario_free(sc);
    return rc;
}
