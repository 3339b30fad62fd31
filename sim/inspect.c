/*
 * xmm-sim - reading the model (see inspect.h).  Everything here goes
 * through the library's public queries; nothing changes the world.
 */
#include "inspect.h"

#include <inttypes.h>
#include <string.h>

#include "report.h"

const char *const sim_fclass_names[SIM_FC_COUNT] = {
    [SIM_FC_FREE] = "free",       [SIM_FC_PARKED] = "parked", [SIM_FC_ZOMBIE] = "zombie",
    [SIM_FC_DEVTLB] = "devtlb",   [SIM_FC_SP] = "sp",         [SIM_FC_XENHEAP] = "xenheap",
    [SIM_FC_OWNED] = "owned",
};

/* Lines of at most this many P2M runs per domain in a dump. */
#define DUMP_RUNS_MAX 64

static void line(GPtrArray *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void line(GPtrArray *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(out, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static const char *dname(xmm_domid_t d, char *buf, size_t len)
{
    xmm_domid_name(d, buf, len);
    return buf;
}

struct pin_ctx {
    const struct xmm_world *w;
    uint32_t *pins;
};

static void pin_count(void *arg, uint16_t sp, xmm_ffa_handle_t h, xmm_domid_t sender,
                      xmm_mfn_t mfn)
{
    struct pin_ctx *c = arg;
    uint64_t base = xmm_mfn_x(xmm_world_ram_base(c->w));

    (void)sp;
    (void)h;
    (void)sender;
    if (!xmm_world_mfn_is_ram(c->w, mfn))
        return;
    if (!c->pins)
        c->pins = g_new0(uint32_t, xmm_world_ram_pages(c->w));
    c->pins[xmm_mfn_x(mfn) - base]++;
}

uint32_t *sim_ffa_pins(const struct xmm_world *w)
{
    struct pin_ctx c = { w, NULL };

    xmm_ffa_for_each_pin(w, pin_count, &c);
    return c.pins;
}

enum sim_fclass sim_frame_class(const struct xmm_world *w, const uint32_t *pins, xmm_mfn_t mfn)
{
    struct xmm_frame_info fi;

    if (xmm_frame_info(w, mfn, &fi) != 0 || fi.free)
        return SIM_FC_FREE;
    if (fi.owner == XMM_DOMID_PARK)
        return SIM_FC_PARKED;
    if (fi.owner < XMM_DOMID_FIRST_RESERVED &&
        xmm_domain_state(w, fi.owner) == XMM_DOMAIN_ZOMBIE)
        return SIM_FC_ZOMBIE;
    if (fi.type == XMM_PGT_DEV_TLB && fi.type_count)
        return SIM_FC_DEVTLB;
    if (pins && pins[xmm_mfn_x(mfn) - xmm_mfn_x(xmm_world_ram_base(w))])
        return SIM_FC_SP;
    if (fi.xen_heap || fi.owner == XMM_DOMID_XEN)
        return SIM_FC_XENHEAP;
    return SIM_FC_OWNED;
}

void sim_census(const struct xmm_world *w, struct sim_census *c)
{
    uint64_t base = xmm_mfn_x(xmm_world_ram_base(w)), n = xmm_world_ram_pages(w);
    uint32_t *pins = sim_ffa_pins(w);
    size_t i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < xmm_domain_count(w) && c->dom_count < SIM_CENSUS_DOMS; i++)
        c->dom[c->dom_count++] = xmm_domain_id_at(w, i);
    for (uint64_t k = 0; k < n; k++) {
        xmm_mfn_t mfn = xmm_mfn(base + k);
        enum sim_fclass fc = sim_frame_class(w, pins, mfn);

        c->n[fc]++;
        if (fc == SIM_FC_OWNED) {
            struct xmm_frame_info fi;
            bool found = false;

            xmm_frame_info(w, mfn, &fi);
            for (i = 0; i < c->dom_count && !found; i++)
                if (c->dom[i] == fi.owner) {
                    c->owned[i]++;
                    found = true;
                }
            if (!found)
                c->owned_other++;
        }
    }
    g_free(pins);
}

/* --- frames ----------------------------------------------------------------- */

struct reach_list {
    xmm_mfn_t mfn;
    GString *s;
    unsigned n;
};

static void reach_one(void *arg, uint16_t sp, xmm_ffa_handle_t h, xmm_domid_t sender,
                      xmm_mfn_t mfn)
{
    struct reach_list *r = arg;
    char d[16];

    if (!xmm_mfn_eq(mfn, r->mfn))
        return;
    g_string_append_printf(r->s, "%sSP %#x (handle %#" PRIx64 " of %s)", r->n++ ? ", " : "",
                           (unsigned)sp, (uint64_t)h, dname(sender, d, sizeof(d)));
}

static void tlb_one(void *arg, const char *dev, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                    bool stale)
{
    struct reach_list *r = arg;
    char d[16];

    if (!xmm_mfn_eq(mfn, r->mfn))
        return;
    g_string_append_printf(r->s, "%s%s (gfn 0x%" PRIx64 " of %s%s)", r->n++ ? ", " : "", dev,
                           xmm_gfn_x(gfn), dname(dom, d, sizeof(d)), stale ? ", stale" : "");
}

/* Start line `label` of r (its items follow, comma-separated). */
static void reach_begin(struct reach_list *r, const char *label)
{
    r->n = 0;
    r->s = g_string_new(label);
}

/* The line r built, `none_word` when nothing was listed, into out. */
static void reach_end(struct reach_list *r, const char *none_word, GPtrArray *out)
{
    if (!r->n)
        g_string_append(r->s, none_word);
    g_ptr_array_add(out, g_string_free(r->s, FALSE));
}

void sim_show_frame(const struct xmm_world *w, xmm_mfn_t mfn, GPtrArray *out)
{
    struct xmm_frame_info fi;
    struct reach_list r = { mfn, NULL, 0 };
    GString *s;
    char d[16];
    uint32_t *pins;

    if (xmm_frame_info(w, mfn, &fi) != 0) {
        line(out, "frame 0x%" PRIx64 ": not a RAM frame of this world", xmm_mfn_x(mfn));
        return;
    }
    pins = sim_ffa_pins(w);
    s = g_string_new(NULL);
    g_string_append_printf(s, "frame 0x%" PRIx64 ": %s", xmm_mfn_x(mfn),
                           sim_fclass_names[sim_frame_class(w, pins, mfn)]);
    if (!fi.free)
        g_string_append_printf(s, ", owner %s", dname(fi.owner, d, sizeof(d)));
    if (!fi.free && fi.owner < XMM_DOMID_FIRST_RESERVED)
        g_string_append_printf(s, " (%s)", xmm_domain_state_name(xmm_domain_state(w, fi.owner)));
    g_string_append_printf(s, ", refcount %" PRIu32 "%s%s", fi.refcount,
                           fi.allocated ? ", allocated" : "", fi.xen_heap ? ", xenheap" : "");
    if (fi.type_count)
        g_string_append_printf(s, ", type %s x%" PRIu32,
                               fi.type == XMM_PGT_DEV_TLB    ? "dev_tlb"
                               : fi.type == XMM_PGT_WRITABLE ? "writable"
                               : fi.type == XMM_PGT_SHARED   ? "shared"
                                                             : "none",
                               fi.type_count);
    g_ptr_array_add(out, g_string_free(s, FALSE));
    /* Every P2M entry that names it. */
    reach_begin(&r, "  mapped by: ");
    for (size_t i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t dom = xmm_domain_id_at(w, i);
        xmm_gfn_t g = xmm_gfn(0);
        struct xmm_p2m_entry e;

        while (xmm_p2m_next(w, dom, g, &g, &e) == 0) {
            if (xmm_mfn_eq(e.mfn, mfn))
                g_string_append_printf(r.s, "%s%s at gfn 0x%" PRIx64 " (%s)", r.n++ ? ", " : "",
                                       dname(dom, d, sizeof(d)), xmm_gfn_x(g),
                                       xmm_p2m_type_name(e.type));
            g = xmm_gfn(xmm_gfn_x(g) + 1);
        }
    }
    reach_end(&r, "nobody", out);
    reach_begin(&r, "  FF-A pins: ");
    xmm_ffa_for_each_pin(w, reach_one, &r);
    reach_end(&r, "none", out);
    reach_begin(&r, "  SP reach: ");
    xmm_ffa_for_each_reach(w, reach_one, &r);
    reach_end(&r, "none", out);
    if (xmm_iommu_device_count(w)) {
        reach_begin(&r, "  device TLBs: ");
        xmm_iommu_for_each_tlb(w, tlb_one, &r);
        reach_end(&r, "none", out);
    }
    g_free(pins);
}

/* --- domains, P2M entries, shares, devices ------------------------------------ */

void sim_show_domain(const struct xmm_world *w, xmm_domid_t dom, GPtrArray *out)
{
    struct xmm_domain_info di;
    struct xmm_saferange_info si;
    char d[16];

    dname(dom, d, sizeof(d));
    if (xmm_domain_info(w, dom, &di) != 0) {
        line(out, "domain %s: gone (or never created)", d);
        return;
    }
    line(out, "domain %s: %s, incarnation %" PRIu64 ", refs %" PRIu32 ", tot_pages %" PRIu64
              "/%" PRIu64 ", xenheap_pages %" PRIu64 ", p2m entries %" PRIu64 "%s%s",
         d, xmm_domain_state_name(di.state), di.incarnation, di.refs, di.tot_pages,
         di.max_pages, di.xenheap_pages, di.p2m_entries, di.direct_map ? ", direct-mapped" : "",
         di.ffa ? ", ffa" : "");
    if (di.state != XMM_DOMAIN_RUNNING)
        line(out, "  kill: %" PRIu32 " calls, stage %" PRIu32, di.kill_calls, di.kill_stage);
    if (xmm_saferange_info(w, dom, &si) == 0 && si.range.pages)
        line(out, "  safe range [0x%" PRIx64 ", 0x%" PRIx64 "), %" PRIu64 " used",
             xmm_gfn_x(si.range.gfn), xmm_gfn_x(si.range.gfn) + si.range.pages, si.used);
    if (di.ffa)
        line(out, "  FF-A shares: %" PRIu32, xmm_ffa_share_count(w, dom));
}

void sim_show_p2m(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, GPtrArray *out)
{
    struct xmm_p2m_entry e;
    char d[16];
    int rc = xmm_p2m_lookup(w, dom, xmm_gfn(gfn), &e);

    dname(dom, d, sizeof(d));
    if (rc != 0) {
        line(out, "p2m %s gfn 0x%" PRIx64 ": %s", d, gfn,
             rc == -XMM_ESRCH ? "no such domain" : "nothing mapped");
        return;
    }
    line(out, "p2m %s gfn 0x%" PRIx64 ": mfn 0x%" PRIx64 " %s", d, gfn, xmm_mfn_x(e.mfn),
         xmm_p2m_type_name(e.type));
    if (xmm_world_mfn_is_ram(w, e.mfn))
        sim_show_frame(w, e.mfn, out);
}

struct share_list {
    xmm_ffa_handle_t h;
    GString *s;
    unsigned n;
    uint16_t sp;
    xmm_domid_t sender;
};

static void share_one(void *arg, uint16_t sp, xmm_ffa_handle_t h, xmm_domid_t sender,
                      xmm_mfn_t mfn)
{
    struct share_list *l = arg;

    if (h != l->h)
        return;
    l->sp = sp;
    l->sender = sender;
    g_string_append_printf(l->s, "%s0x%" PRIx64, l->n++ ? " " : "", xmm_mfn_x(mfn));
}

void sim_show_share(const struct xmm_world *w, xmm_ffa_handle_t handle, GPtrArray *out)
{
    struct share_list l = { handle, g_string_new(NULL), 0, 0, 0 };
    enum xmm_ffa_handle_state st;
    char d[16];

    xmm_ffa_for_each_pin(w, share_one, &l);
    if (!l.n) {
        line(out, "share %#" PRIx64 ": the mediator holds no record of it", (uint64_t)handle);
    } else {
        line(out, "share %#" PRIx64 ": %s's %u pages with SP %#x, pinned frames %s",
             (uint64_t)handle, dname(l.sender, d, sizeof(d)), l.n, (unsigned)l.sp, l.s->str);
    }
    if (xmm_spmc_stub_handle_state(w, handle, &st) == 0)
        line(out, "  at the SPMC: %s",
             st == XMM_FFA_SENT ? "sent" : st == XMM_FFA_RETRIEVED ? "retrieved" : "relinquished");
    g_string_free(l.s, TRUE);
}

void sim_show_device(const struct xmm_world *w, const char *dev, GPtrArray *out)
{
    xmm_domid_t dom;
    uint32_t tlb;
    char d[16];

    if (xmm_iommu_device_info(w, dev, &dom, &tlb) != 0) {
        line(out, "device %s: no such device", dev);
        return;
    }
    line(out, "device %s: assigned to %s, %" PRIu32 " device-TLB entries", dev,
         dom == XMM_DOMID_INVALID ? "nobody" : dname(dom, d, sizeof(d)), tlb);
}

/* --- the whole world ----------------------------------------------------------- */

/* d's P2M as runs of one type with consecutive gfns and mfns. */
static void dump_p2m(const struct xmm_world *w, xmm_domid_t dom, GPtrArray *out)
{
    xmm_gfn_t g = xmm_gfn(0);
    struct xmm_p2m_entry e;
    uint64_t g0 = 0, m0 = 0, len = 0;
    enum xmm_p2m_type t0 = XMM_P2M_INVALID;
    unsigned runs = 0;

    for (;;) {
        int rc = xmm_p2m_next(w, dom, g, &g, &e);
        bool cont = rc == 0 && len && e.type == t0 && xmm_gfn_x(g) == g0 + len &&
                    xmm_mfn_x(e.mfn) == m0 + len;

        if (!cont && len) {
            if (runs++ < DUMP_RUNS_MAX)
                line(out, "    gfn 0x%" PRIx64 "+%" PRIu64 " -> mfn 0x%" PRIx64 " %s", g0, len, m0,
                     xmm_p2m_type_name(t0));
            len = 0;
        }
        if (rc != 0)
            break;
        if (!len) {
            g0 = xmm_gfn_x(g);
            m0 = xmm_mfn_x(e.mfn);
            t0 = e.type;
        }
        len++;
        g = xmm_gfn(xmm_gfn_x(g) + 1);
    }
    if (runs > DUMP_RUNS_MAX)
        line(out, "    ... %u more runs", runs - DUMP_RUNS_MAX);
}

void sim_dump_world(const struct xmm_world *w, GPtrArray *out)
{
    struct sim_census c;
    GString *s = g_string_new(NULL);
    char d[16];

    sim_census(w, &c);
    line(out, "world at tick %" PRIu64 ", after step %" PRIu32 ": %" PRIu64 " frames at mfn 0x%" PRIx64,
         xmm_world_now(w), xmm_world_step(w), xmm_world_ram_pages(w),
         xmm_mfn_x(xmm_world_ram_base(w)));
    for (int k = 0; k < SIM_FC_COUNT; k++)
        g_string_append_printf(s, "%s%s %" PRIu64, k ? ", " : "", sim_fclass_names[k], c.n[k]);
    for (size_t i = 0; i < c.dom_count; i++)
        g_string_append_printf(s, "%s%s %" PRIu64, i ? ", " : " (", dname(c.dom[i], d, sizeof(d)),
                               c.owned[i]);
    if (c.dom_count)
        g_string_append(s, ")");
    line(out, "  frames: %s", s->str);
    g_string_free(s, TRUE);
    for (size_t i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t dom = xmm_domain_id_at(w, i);

        sim_show_domain(w, dom, out);
        dump_p2m(w, dom, out);
    }
    for (size_t i = 0; i < xmm_iommu_device_count(w); i++)
        sim_show_device(w, xmm_iommu_device_id(w, i), out);
}

static void json_census(GString *js, const struct sim_census *c)
{
    char d[16];

    g_string_append(js, "{");
    for (int k = 0; k < SIM_FC_COUNT; k++)
        g_string_append_printf(js, "%s\"%s\":%" PRIu64, k ? "," : "", sim_fclass_names[k], c->n[k]);
    g_string_append(js, ",\"owned_by\":{");
    for (size_t i = 0; i < c->dom_count; i++)
        g_string_append_printf(js, "%s\"%s\":%" PRIu64, i ? "," : "",
                               dname(c->dom[i], d, sizeof(d)), c->owned[i]);
    g_string_append(js, "}}");
}

void sim_dump_world_json(const struct xmm_world *w, GString *js)
{
    struct sim_census c;
    char d[16];

    sim_census(w, &c);
    g_string_append_printf(js, "{\"tick\":%" PRIu64 ",\"step\":%" PRIu32 ",\"frames\":",
                           xmm_world_now(w), xmm_world_step(w));
    json_census(js, &c);
    g_string_append(js, ",\"domains\":[");
    for (size_t i = 0; i < xmm_domain_count(w); i++) {
        struct xmm_domain_info di;
        xmm_domid_t dom = xmm_domain_id_at(w, i);
        xmm_gfn_t g = xmm_gfn(0);
        struct xmm_p2m_entry e;
        bool first = true;

        xmm_domain_info(w, dom, &di);
        g_string_append_printf(js, "%s{\"id\":\"%s\",\"state\":\"%s\",\"refs\":%" PRIu32
                                   ",\"tot_pages\":%" PRIu64 ",\"max_pages\":%" PRIu64
                                   ",\"p2m\":[",
                               i ? "," : "", dname(dom, d, sizeof(d)),
                               xmm_domain_state_name(di.state), di.refs, di.tot_pages,
                               di.max_pages);
        while (xmm_p2m_next(w, dom, g, &g, &e) == 0) {
            g_string_append_printf(js, "%s[%" PRIu64 ",%" PRIu64 ",\"%s\"]", first ? "" : ",",
                                   xmm_gfn_x(g), xmm_mfn_x(e.mfn), xmm_p2m_type_name(e.type));
            first = false;
            g = xmm_gfn(xmm_gfn_x(g) + 1);
        }
        g_string_append(js, "]}");
    }
    g_string_append(js, "],\"devices\":[");
    for (size_t i = 0; i < xmm_iommu_device_count(w); i++) {
        xmm_domid_t dom = XMM_DOMID_INVALID;
        uint32_t tlb = 0;

        xmm_iommu_device_info(w, xmm_iommu_device_id(w, i), &dom, &tlb);
        g_string_append(js, i ? "," : "");
        g_string_append(js, "{\"id\":");
        sim_json_string(js, xmm_iommu_device_id(w, i));
        g_string_append_printf(js, ",\"dom\":\"%s\",\"tlb_entries\":%" PRIu32 "}",
                               dname(dom, d, sizeof(d)), tlb);
    }
    g_string_append(js, "]}");
}
