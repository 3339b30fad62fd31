/*
 * libxmm fuzz targets - the calls a trace makes (see fuzz_trace.c): each op
 * reads its arguments from the input through the pickers below, which
 * favour values that make calls meet (small domain ids, gfns by populated
 * ranges or in the safe range, refs and handles returned earlier), calls
 * the library and describes the call in t->what.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

bool tr_verbose(void)
{
    static int v = -1;

    if (v < 0)
        v = getenv("XMM_FUZZ_VERBOSE") != NULL;
    return v;
}

/* Describe the current call (kept for messages). */
void tr_what(struct trace *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->what, sizeof(t->what), fmt, ap);
    va_end(ap);
}

/* Report a finding about call `t->call` and abort (libFuzzer keeps the input). */
void tr_die(const struct trace *t, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz_trace: call #%u (%s%s): ", t->call, t->what, t->note);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* --- upstream findings the trace steps around ------------------------------- */

/*
 * The trace checks that no invariant ever breaks.  One thing upstream does
 * breaks one, and is shown by a scenario instead (docs/semantics.md,
 * "Fidelity and conformance" of the foundation section): under
 * physmap_overwrite: replace, map_foreign rewriting a foreign entry with
 * the same frame (one reference is never dropped):
 * scenarios/foundation/overwrite-replace-foreign-leak.  Such a call is not
 * made; the trace notes it in t->what.  (Overwriting a grant mapping is no
 * such case: its maptrack entry keeps the reference.)
 */
static bool replacing(const struct trace *t)
{
    return xmm_world_policy(t->w)->physmap_overwrite == XMM_PHYSMAP_OVERWRITE_REPLACE;
}

/* Under replace: would map_foreign rewrite a foreign entry with the frame it maps? */
static bool foreign_same_frame(const struct trace *t, xmm_domid_t dom, uint64_t gfn,
                               xmm_domid_t from, uint64_t fgfn)
{
    struct xmm_p2m_entry to, src;

    return replacing(t) && xmm_p2m_lookup(t->w, dom, xmm_gfn(gfn), &to) == 0 &&
           xmm_p2m_lookup(t->w, from, xmm_gfn(fgfn), &src) == 0 &&
           xmm_p2m_is_foreign(to.type) && xmm_mfn_eq(to.mfn, src.mfn);
}

static int skip(struct trace *t, const char *why)
{
    size_t n = strlen(t->what);

    snprintf(t->what + n, sizeof(t->what) - n, " [not made: %s]", why);
    return 0;
}

/* --- argument pickers ------------------------------------------------------- */

static void remember_range(struct trace *t, xmm_domid_t dom, uint64_t gfn, uint64_t pages)
{
    t->ranges[t->nranges++ % TR_RING] = (struct range){ dom, gfn, pages };
}

static unsigned ring_count(unsigned n) { return n < TR_RING ? n : TR_RING; }

/* Mostly the ids 0..3 (0 is the control domain), sometimes anything. */
static xmm_domid_t pick_dom(struct trace *t)
{
    static const xmm_domid_t odd[] = { 4, 5, XMM_DOMID_MAX, XMM_DOMID_FIRST_RESERVED,
                                       XMM_DOMID_IO, XMM_DOMID_XEN, XMM_DOMID_INVALID,
                                       XMM_DOMID_PARK };
    uint8_t b = in_u8(&t->in);

    if (b < 224)
        return (xmm_domid_t)(b & 3);
    if (b < 248)
        return odd[b & 7];
    return in_u16(&t->in);
}

/*
 * A gfn for dom: next to a populated range, inside or at the edge of its
 * safe range, in the guest layout's special regions, in host RAM (where a
 * direct-mapped domain lives), or anything, including out of range.
 */
static uint64_t pick_gfn(struct trace *t, xmm_domid_t dom)
{
    uint8_t k = in_u8(&t->in);
    uint8_t off = in_u8(&t->in);

    switch (k & 15) {
    case 0: case 1: case 2: case 3: case 4: {
        unsigned n = ring_count(t->nranges);
        const struct range *r;

        if (!n)
            return XMM_GUEST_RAM0_GFN + off;
        r = &t->ranges[(k >> 4) % n];
        return r->gfn + off % (r->pages < 1024 ? r->pages + 2 : 1026) - (off & 0x80 ? 1 : 0);
    }
    case 5: case 6: case 7: {
        struct xmm_saferange_info si;

        if (xmm_saferange_info(t->w, dom, &si) != 0 || si.range.pages == 0)
            return XMM_GUEST_RAM0_GFN + 0x1000 + off;
        if (k & 0x80) /* the last pages of the range, and just past it */
            return xmm_gfn_x(si.range.gfn) + si.range.pages - 1 - (off & 0x7f) + (off >> 7);
        return xmm_gfn_x(si.range.gfn) + off;
    }
    case 8:
        return XMM_GUEST_RAM0_GFN + off + ((uint64_t)(k >> 4) << 8);
    case 9:
        return ((k & 0x10) ? XMM_GUEST_MAGIC_GFN : XMM_GUEST_GNTTAB_GFN) + off;
    case 10:
        return TR_RAM_BASE + ((uint64_t)in_u16(&t->in) % (t->ram_pages + 8));
    case 11:
        return TR_MMIO_BASE + off % (TR_MMIO_PAGES + 8);
    case 12:
        return in_u64(&t->in) & (XMM_FRAME_LIMIT - 1);
    case 13:
        return XMM_FRAME_LIMIT - 1 - (off & 3) + (off >> 6);
    case 14:
        return (uint64_t)off << ((k >> 4) & 31);
    default:
        return in_u16(&t->in);
    }
}

/* Mostly a few pages; sometimes 0, a few hundred, or absurd. */
static uint64_t pick_pages(struct trace *t)
{
    uint8_t b = in_u8(&t->in);

    if (b < 200)
        return 1 + (b & 7);
    if (b < 210)
        return 0;
    if (b < 250)
        return 1 + in_u16(&t->in) % 700;
    return in_u64(&t->in);
}

/* A frame: one mapped at dom:gfn, one of ours, or any RAM or MMIO frame. */
static xmm_mfn_t pick_mfn(struct trace *t, xmm_domid_t dom)
{
    uint8_t k = in_u8(&t->in);
    struct xmm_p2m_entry e;

    if (k < 128) {
        uint64_t g = pick_gfn(t, dom);

        if (xmm_p2m_lookup(t->w, dom, xmm_gfn(g), &e) == 0)
            return e.mfn;
    }
    if (k < 160 && t->nxen)
        return t->xen[k % t->nxen];
    if (k < 240)
        return xmm_mfn(TR_RAM_BASE + in_u16(&t->in) % (t->ram_pages + 4));
    if (k < 250)
        return xmm_mfn(TR_MMIO_BASE + in_u8(&t->in) % (TR_MMIO_PAGES + 4));
    return xmm_mfn(in_u64(&t->in));
}

static xmm_grant_ref_t pick_ref(struct trace *t)
{
    uint8_t b = in_u8(&t->in);

    if (b < 160)
        return XMM_GRANT_RESERVED_ENTRIES + (b & 15);
    if (b < 200)
        return b & 7;
    if (b < 240)
        return (uint32_t)((b & 7) + 1) * XMM_GRANT_ENTRIES_PER_FRAME - 1 + (b >> 7);
    return in_u32(&t->in);
}

static uint16_t pick_sp(struct trace *t)
{
    uint8_t b = in_u8(&t->in);

    if (b < 240)
        return b & 1 ? TR_SP2 : TR_SP1;
    return in_u16(&t->in);
}

static const char *pick_dev(struct trace *t)
{
    return in_u8(&t->in) < 240 ? TR_DEV : "nope";
}

/* --- the calls --------------------------------------------------------------- */

static int op_domain_create(struct trace *t)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;
    xmm_domid_t dom = pick_dom(t);
    uint8_t f = in_u8(&t->in), m = in_u8(&t->in);

    o.direct_map = (f & 7) == 0;
    o.ffa = (f & 8) != 0;
    o.max_pages = m < 128 ? m : m < 250 ? (uint64_t)(m - 128) * 16 : in_u64(&t->in);
    if (f & 0x10)
        o.grant_frames = (f & 0x20) ? 1u + (in_u8(&t->in) & 3u) : in_u32(&t->in);
    if (f & 0x40)
        o.maptrack_frames = (f & 0x20) ? 1u + (in_u8(&t->in) & 3u) : in_u32(&t->in);
    if (f & 0x80) {
        uint8_t s = in_u8(&t->in);

        if (s & 1) {
            o.safe_range = XMM_SAFE_RANGE_OFF;
        } else {
            o.safe_range = XMM_SAFE_RANGE_GIVEN;
            o.safe_range_gfn = xmm_gfn(pick_gfn(t, dom));
            o.safe_range_pages = pick_pages(t) << (s >> 4);
        }
    }
    tr_what(t, "domain_create d%u max_pages %" PRIu64 "%s%s grant_frames %u maptrack_frames %u "
         "safe_range %s %#" PRIx64 "+%" PRIu64, (unsigned)dom, o.max_pages,
         o.direct_map ? " direct_map" : "", o.ffa ? " ffa" : "", o.grant_frames,
         o.maptrack_frames,
         o.safe_range == XMM_SAFE_RANGE_AUTO ? "auto" : o.safe_range == XMM_SAFE_RANGE_OFF ? "off"
                                                                                          : "given",
         xmm_gfn_x(o.safe_range_gfn), o.safe_range_pages);
    return xmm_domain_create(t->w, dom, &o);
}

static int op_populate(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom), pages = pick_pages(t);
    int rc;

    tr_what(t, "populate d%u gfn %#" PRIx64 " pages %" PRIu64, (unsigned)dom, gfn, pages);
    t->last_pages = pages;
    rc = xmm_physmap_populate(t->w, dom, xmm_gfn(gfn), pages);
    if (rc == 0)
        remember_range(t, dom, gfn, pages);
    return rc;
}

static int op_populate_direct(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t pages = pick_pages(t);
    xmm_gfn_t first = XMM_INVALID_GFN;
    int rc;

    tr_what(t, "populate_direct d%u pages %" PRIu64, (unsigned)dom, pages);
    rc = xmm_physmap_populate_direct(t->w, dom, pages, &first);
    if (rc == 0)
        remember_range(t, dom, xmm_gfn_x(first), pages);
    return rc;
}

static int op_decrease(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom), pages = pick_pages(t);

    tr_what(t, "decrease d%u gfn %#" PRIx64 " pages %" PRIu64, (unsigned)dom, gfn, pages);
    return xmm_physmap_decrease(t->w, dom, xmm_gfn(gfn), pages);
}

static int op_map_foreign(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t), from = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom), fgfn = pick_gfn(t, from);

    tr_what(t, "map_foreign d%u gfn %#" PRIx64 " <- d%u gfn %#" PRIx64, (unsigned)dom, gfn,
         (unsigned)from, fgfn);
    if (foreign_same_frame(t, dom, gfn, from, fgfn))
        return skip(t, "would rewrite a foreign entry with its own frame");
    return xmm_physmap_map_foreign(t->w, dom, xmm_gfn(gfn), from, xmm_gfn(fgfn));
}

static int op_map_mmio(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom), pages = pick_pages(t);
    xmm_mfn_t mfn = pick_mfn(t, dom);

    if (pages > 4 * TR_MMIO_PAGES && in_u8(&t->in) < 250)
        pages = 1 + pages % TR_MMIO_PAGES;
    tr_what(t, "map_mmio d%u gfn %#" PRIx64 " mfn %#" PRIx64 " pages %" PRIu64, (unsigned)dom, gfn,
         xmm_mfn_x(mfn), pages);
    t->last_pages = pages;
    return xmm_physmap_map_mmio(t->w, dom, xmm_gfn(gfn), mfn, pages);
}

static int op_remove_physmap(struct trace *t)
{
    uint8_t k = in_u8(&t->in);
    unsigned n = ring_count(t->ngmaps);
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom);
    struct xmm_p2m_entry e;
    bool grant;
    int rc;

    /* Often a grant mapping made earlier: an own grant's entry is removed. */
    if (n && k < 96) {
        dom = t->gmaps[k % n].dom;
        gfn = t->gmaps[k % n].gfn;
    }

    tr_what(t, "remove_physmap d%u gfn %#" PRIx64, (unsigned)dom, gfn);
    grant = xmm_p2m_lookup(t->w, dom, xmm_gfn(gfn), &e) == 0 && xmm_p2m_is_grant(e.type);
    rc = xmm_physmap_remove(t->w, dom, xmm_gfn(gfn));
    t->grant_removed += rc == 0 && grant;
    return rc;
}

static int op_grant(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t), to = pick_dom(t);
    xmm_grant_ref_t ref = pick_ref(t);
    uint64_t gfn = pick_gfn(t, dom);
    bool ro = in_u8(&t->in) & 1;
    int rc;

    tr_what(t, "grant d%u ref %u to d%u gfn %#" PRIx64 "%s", (unsigned)dom, ref, (unsigned)to, gfn,
         ro ? " readonly" : "");
    rc = xmm_gnttab_grant(t->w, dom, ref, to, xmm_gfn(gfn), ro);
    if (rc == 0)
        t->grefs[t->ngrefs++ % TR_RING] = (struct gref){ dom, to, ref };
    return rc;
}

static int op_grant_end(struct trace *t)
{
    uint8_t k = in_u8(&t->in);
    unsigned n = ring_count(t->ngrefs);
    xmm_domid_t dom;
    xmm_grant_ref_t ref;

    if (n && k < 200) {
        dom = t->grefs[k % n].dom;
        ref = t->grefs[k % n].ref;
    } else {
        dom = pick_dom(t);
        ref = pick_ref(t);
    }
    tr_what(t, "grant_end d%u ref %u", (unsigned)dom, ref);
    return xmm_gnttab_end(t->w, dom, ref);
}

static int op_grant_map(struct trace *t)
{
    uint8_t k = in_u8(&t->in);
    unsigned n = ring_count(t->ngrefs);
    xmm_domid_t dom, from;
    xmm_grant_ref_t ref;
    xmm_grant_handle_t h = 0;
    uint64_t gfn;
    bool ro;
    int rc;

    if (n && k < 200) {
        from = t->grefs[k % n].dom;
        dom = t->grefs[k % n].to;
        ref = t->grefs[k % n].ref;
    } else {
        dom = pick_dom(t);
        from = pick_dom(t);
        ref = pick_ref(t);
    }
    gfn = pick_gfn(t, dom);
    ro = in_u8(&t->in) & 1;
    t->fam = XMM_RC_GNTST;
    tr_what(t, "grant_map d%u <- d%u ref %u at gfn %#" PRIx64 "%s", (unsigned)dom, (unsigned)from,
         ref, gfn, ro ? " readonly" : "");
    rc = xmm_gnttab_map(t->w, dom, from, ref, xmm_gfn(gfn), ro, &h);
    if (rc == XMM_GNTST_okay)
        t->gmaps[t->ngmaps++ % TR_RING] = (struct gmap){ dom, h, gfn };
    return rc;
}

static int op_grant_unmap(struct trace *t)
{
    uint8_t k = in_u8(&t->in);
    unsigned n = ring_count(t->ngmaps);
    xmm_domid_t dom;
    xmm_grant_handle_t h;

    if (n && k < 200) {
        dom = t->gmaps[k % n].dom;
        h = t->gmaps[k % n].handle;
        if (k & 0x80) /* someone else's handle */
            dom = pick_dom(t);
    } else {
        dom = pick_dom(t);
        h = k < 240 ? in_u8(&t->in) : in_u32(&t->in);
    }
    t->fam = XMM_RC_GNTST;
    tr_what(t, "grant_unmap d%u handle %u", (unsigned)dom, h);
    return xmm_gnttab_unmap(t->w, dom, h);
}

static int op_map_grant_frame(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint8_t b = in_u8(&t->in);
    uint32_t idx = b < 240 ? b & 7 : in_u32(&t->in);
    uint64_t gfn = pick_gfn(t, dom);

    tr_what(t, "map_grant_frame d%u idx %u gfn %#" PRIx64, (unsigned)dom, idx, gfn);
    return xmm_gnttab_map_frame(t->w, dom, idx, xmm_gfn(gfn));
}

static int op_ffa_share(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom), pages = pick_pages(t);
    uint16_t sp = pick_sp(t);
    uint32_t p32 = pages > UINT32_MAX ? UINT32_MAX : (uint32_t)pages;
    xmm_ffa_handle_t h = XMM_FFA_HANDLE_INVALID;
    int rc;

    t->fam = XMM_RC_FFA;
    tr_what(t, "ffa_share d%u gfn %#" PRIx64 " pages %u sp %#x", (unsigned)dom, gfn, p32,
         (unsigned)sp);
    rc = xmm_ffa_share(t->w, dom, xmm_gfn(gfn), p32, sp, &h);
    if (rc == XMM_FFA_RET_OK)
        t->shares[t->nshares++ % TR_RING] = (struct share){ dom, sp, h };
    return rc;
}

/* A share made earlier (its sender, SP and handle), or made-up values. */
static struct share pick_share(struct trace *t)
{
    uint8_t k = in_u8(&t->in);
    unsigned n = ring_count(t->nshares);
    struct share s;

    if (n && k < 200) {
        s = t->shares[k % n];
        if (k & 0x80) /* the other partition, or another domain */
            s.sp = s.sp == TR_SP1 ? TR_SP2 : TR_SP1;
        if ((k & 0xc0) == 0x40)
            s.dom = pick_dom(t);
        return s;
    }
    s.dom = pick_dom(t);
    s.sp = pick_sp(t);
    s.handle = k < 240 ? UINT64_C(0x1000) + in_u8(&t->in) : in_u64(&t->in);
    return s;
}

static int op_ffa_reclaim(struct trace *t)
{
    struct share s = pick_share(t);

    t->fam = XMM_RC_FFA;
    tr_what(t, "ffa_reclaim d%u handle %#" PRIx64, (unsigned)s.dom, s.handle);
    return xmm_ffa_reclaim(t->w, s.dom, s.handle);
}

static int op_sp_retrieve(struct trace *t)
{
    struct share s = pick_share(t);

    t->fam = XMM_RC_FFA;
    tr_what(t, "sp_retrieve sp %#x handle %#" PRIx64, (unsigned)s.sp, s.handle);
    return xmm_sp_retrieve(t->w, s.sp, s.handle);
}

static int op_sp_relinquish(struct trace *t)
{
    struct share s = pick_share(t);

    t->fam = XMM_RC_FFA;
    tr_what(t, "sp_relinquish sp %#x handle %#" PRIx64, (unsigned)s.sp, s.handle);
    return xmm_sp_relinquish(t->w, s.sp, s.handle);
}

static int op_sp_access(struct trace *t)
{
    struct share s = pick_share(t);
    uint8_t b = in_u8(&t->in);
    uint32_t page = b < 240 ? b & 7 : in_u32(&t->in);
    bool wr = !(b & 8);

    t->fam = XMM_RC_FFA;
    tr_what(t, "sp_access sp %#x handle %#" PRIx64 " page %u%s", (unsigned)s.sp, s.handle, page,
         wr ? " write" : "");
    return xmm_sp_access(t->w, s.sp, s.handle, page, wr);
}

static int op_iommu_assign(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    const char *dev = pick_dev(t);

    tr_what(t, "iommu_assign d%u dev %s", (unsigned)dom, dev);
    return xmm_iommu_assign(t->w, dom, dev);
}

static int op_dma(struct trace *t)
{
    const char *dev = pick_dev(t);
    xmm_domid_t dom = XMM_DOMID_INVALID;
    uint64_t gfn;
    bool wr = in_u8(&t->in) & 1;
    xmm_mfn_t mfn = XMM_INVALID_MFN;

    xmm_iommu_device_info(t->w, TR_DEV, &dom, NULL);
    gfn = pick_gfn(t, dom);
    tr_what(t, "dma dev %s gfn %#" PRIx64 "%s", dev, gfn, wr ? " write" : "");
    return xmm_iommu_dma(t->w, dev, xmm_gfn(gfn), wr, &mfn);
}

static int op_domain_kill(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    int rc;

    tr_what(t, "domain_kill d%u", (unsigned)dom);
    rc = xmm_domain_kill(t->w, dom);
    t->atomic = rc != -XMM_ERESTART; /* a preempted kill made progress */
    return rc;
}

static int op_domain_destroy(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint32_t budget = 1 + in_u8(&t->in) % 16;
    int rc;

    tr_what(t, "domain_destroy d%u budget %u", (unsigned)dom, budget);
    rc = xmm_domain_destroy(t->w, dom, budget, NULL);
    t->atomic = rc != -XMM_ERESTART;
    return rc;
}

static int op_advance(struct trace *t)
{
    uint8_t b = in_u8(&t->in);
    uint64_t ticks = b < 200 ? b & 15 : b < 250 ? (uint64_t)(b - 199) * 20 : 1000;

    tr_what(t, "advance %" PRIu64, ticks);
    t->atomic = false;
    return xmm_world_advance(t->w, ticks);
}

/*
 * get_page / put_page (and a typed reference in between): what a
 * hypercall does around an access.  Balanced, so the digest must not move.
 */
static int op_page_get_put(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    xmm_mfn_t mfn = pick_mfn(t, dom);
    uint8_t b = in_u8(&t->in);
    enum xmm_page_type type = (enum xmm_page_type)(b & 3);
    uint64_t before = xmm_world_digest(t->w);
    bool typed = false;

    tr_what(t, "page_get/put mfn %#" PRIx64 " for d%u%s%s", xmm_mfn_x(mfn), (unsigned)dom,
         b & 4 ? " with a typed ref " : "", b & 4 ? (const char *[]){ "none", "writable",
                                                                       "shared", "dev_tlb" }[type]
                                                    : "");
    if (!xmm_page_get(t->w, mfn, dom))
        return -XMM_EINVAL;
    if (b & 4) {
        typed = xmm_page_get_type(t->w, mfn, type);
        if (typed && xmm_page_put_type(t->w, mfn) != 0)
            tr_die(t, "put_type after a successful get_type failed");
    }
    if (xmm_page_put(t->w, mfn) != 0)
        tr_die(t, "put_page after a successful get_page failed");
    /* A type taken on a frame with no typed refs stays (as in Xen). */
    if (!typed && xmm_world_digest(t->w) != before)
        tr_die(t, "a balanced get_page/put_page changed the digest");
    return 0;
}

static int op_domain_get(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);

    tr_what(t, "domain_get d%u", (unsigned)dom);
    return xmm_domain_get(t->w, dom);
}

static int op_domain_put(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);

    tr_what(t, "domain_put d%u", (unsigned)dom);
    return xmm_domain_put(t->w, dom);
}

static int op_map_shared_info(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom);

    tr_what(t, "map_shared_info d%u gfn %#" PRIx64, (unsigned)dom, gfn);
    return xmm_shinfo_map(t->w, dom, xmm_gfn(gfn));
}

static int op_register_vcpu_info(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t);
    uint8_t b = in_u8(&t->in);
    uint32_t vcpu = b < 250 ? b & 7 : b;
    uint64_t gfn = pick_gfn(t, dom);

    tr_what(t, "register_vcpu_info d%u vcpu %u gfn %#" PRIx64, (unsigned)dom, vcpu, gfn);
    return xmm_shinfo_register_vcpu_info(t->w, dom, vcpu, xmm_gfn(gfn));
}

static int op_evtchn_send(struct trace *t)
{
    xmm_domid_t dom = pick_dom(t), to = pick_dom(t);
    uint8_t b = in_u8(&t->in);
    uint32_t vcpu = b < 250 ? b & 7 : b;

    tr_what(t, "evtchn_send d%u -> d%u vcpu %u", (unsigned)dom, (unsigned)to, vcpu);
    return xmm_mpu_evtchn_send(t->w, dom, to, vcpu);
}

static int op_xenheap(struct trace *t)
{
    uint8_t b = in_u8(&t->in);
    unsigned i = t->nxen ? (b >> 2) % t->nxen : 0;
    xmm_mfn_t x;
    int rc;

    switch (b & 3) {
    case 0:
        tr_what(t, "xenheap_alloc");
        if (t->nxen == TR_XENHEAP)
            return 0;
        rc = xmm_xenheap_alloc(t->w, &x);
        if (rc == 0)
            t->xen[t->nxen++] = x;
        return rc;
    case 1: {
        xmm_domid_t dom = pick_dom(t);
        bool ro = in_u8(&t->in) & 1;

        /*
         * Only frames the trace allocated: share_xen_page_with_guest is
         * Xen's own call, for pages its caller owns.  (Any Xen-owned
         * xenheap frame is accepted, also one the library still tracks,
         * such as a zombie's shared_info page; sharing that one leaks it.)
         */
        if (!t->nxen)
            return 0;
        x = t->xen[i];
        tr_what(t, "xenheap_share mfn %#" PRIx64 " with d%u%s", xmm_mfn_x(x), (unsigned)dom,
             ro ? " readonly" : "");
        return xmm_xenheap_share(t->w, x, dom, ro);
    }
    case 2:
        /* Only ever on a xenheap frame: its allocation reference is the share. */
        if (!t->nxen)
            return 0;
        tr_what(t, "put_alloc_ref of xenheap mfn %#" PRIx64, xmm_mfn_x(t->xen[i]));
        return xmm_page_put_alloc_ref(t->w, t->xen[i]);
    default:
        if (!t->nxen)
            return 0;
        tr_what(t, "xenheap_free mfn %#" PRIx64, xmm_mfn_x(t->xen[i]));
        rc = xmm_xenheap_free(t->w, t->xen[i]);
        if (rc == 0)
            t->xen[i] = t->xen[--t->nxen];
        return rc;
    }
}

/* A populate from timer context: it may fail, the world must stay sound. */
static void utimer_fire(struct xmm_world *w, void *arg)
{
    struct utimer *u = arg;
    struct xmm_p2m_entry e;

    /* Under replace, not over a grant mapping (see "upstream findings" above). */
    if (xmm_world_policy(w)->physmap_overwrite == XMM_PHYSMAP_OVERWRITE_REPLACE &&
        xmm_p2m_lookup(w, u->dom, xmm_gfn(u->gfn), &e) == 0 && xmm_p2m_is_grant(e.type))
        return;
    (void)xmm_physmap_populate(w, u->dom, xmm_gfn(u->gfn), 1);
}

static int op_timer(struct trace *t)
{
    uint8_t b = in_u8(&t->in);
    struct utimer *u = &t->timers[b & 3];

    xmm_timer_cancel_arg(t->w, u);
    u->dom = pick_dom(t);
    u->gfn = pick_gfn(t, u->dom);
    tr_what(t, "timer in %u ticks: populate d%u gfn %#" PRIx64, 1u + (b >> 4), (unsigned)u->dom,
         u->gfn);
    t->atomic = false; /* cancelling is a change too */
    return xmm_timer_arm(t->w, 1 + (b >> 4), utimer_fire, u, NULL);
}

/* Read-only calls: whatever they return, the digest stays. */
static int op_query(struct trace *t)
{
    uint8_t b = in_u8(&t->in);
    xmm_domid_t dom = pick_dom(t);
    uint64_t gfn = pick_gfn(t, dom);
    static uint8_t dtb[64 * 1024];
    int rc;

    t->readonly = true;
    switch (b & 7) {
    case 0: {
        struct xmm_p2m_entry e;

        tr_what(t, "p2m_lookup d%u gfn %#" PRIx64, (unsigned)dom, gfn);
        return xmm_p2m_lookup(t->w, dom, xmm_gfn(gfn), &e);
    }
    case 1: {
        struct xmm_frame_info fi;
        xmm_mfn_t mfn = pick_mfn(t, dom);

        tr_what(t, "frame_info mfn %#" PRIx64, xmm_mfn_x(mfn));
        return xmm_frame_info(t->w, mfn, &fi);
    }
    case 2: {
        struct xmm_domain_info di;
        struct xmm_saferange_info si;
        struct xmm_shinfo_info hi;
        struct xmm_mpu_usage mu;
        struct xmm_iommu_stats st;

        tr_what(t, "infos of d%u", (unsigned)dom);
        rc = xmm_domain_info(t->w, dom, &di);
        (void)xmm_saferange_info(t->w, dom, &si);
        (void)xmm_shinfo_info(t->w, dom, &hi);
        (void)xmm_mpu_usage(t->w, dom, &mu);
        (void)xmm_iommu_stats(t->w, dom, &st);
        (void)xmm_ffa_share_count(t->w, dom);
        (void)xmm_gnttab_nr_frames(t->w, dom);
        (void)xmm_gnttab_maptrack_used(t->w, dom);
        (void)xmm_gnttab_frame_mfn(t->w, dom, b >> 3);
        return rc;
    }
    case 3: {
        size_t size = 0;
        size_t len = (b & 8) ? sizeof(dtb) : in_u16(&t->in) % 512;

        tr_what(t, "dt_export d%u into %zu bytes", (unsigned)dom, len);
        return xmm_dt_export(t->w, dom, dtb, len, &size);
    }
    case 4: {
        xmm_gfn_t g;
        struct xmm_p2m_entry e;

        tr_what(t, "p2m_next d%u from %#" PRIx64, (unsigned)dom, gfn);
        (void)xmm_p2m_lowest(t->w, dom, &g);
        (void)xmm_p2m_highest(t->w, dom, &g);
        return xmm_p2m_next(t->w, dom, xmm_gfn(gfn), &g, &e);
    }
    case 5: {
        struct xmm_grant_info gi;
        xmm_grant_ref_t ref = pick_ref(t);

        tr_what(t, "gnttab_entry d%u ref %u", (unsigned)dom, ref);
        return xmm_gnttab_entry(t->w, dom, ref, &gi);
    }
    case 6: {
        struct share s = pick_share(t);
        enum xmm_ffa_handle_state st;

        tr_what(t, "spmc handle state %#" PRIx64, s.handle);
        return xmm_spmc_stub_handle_state(t->w, s.handle, &st);
    }
    default: {
        struct xmm_saferange holes[4];
        size_t count = 0;

        /* ENOSYS under policy toolstack: must change nothing. */
        t->readonly = false;
        tr_what(t, "saferange_query d%u", (unsigned)dom);
        return xmm_saferange_query(t->w, dom, holes, 4, &count);
    }
    }
}

static int op_with_alloc_failure(struct trace *t);

/*
 * The op byte of a call, modulo trace_op_count, picks a row.  Some ops
 * have two rows (they matter more).  gen_seeds.py reads the names from this table
 * to encode the seed traces: keep one row per line.
 */
const struct trace_op trace_ops[] = {
    { "domain_create", op_domain_create },
    { "populate", op_populate },
    { "populate", op_populate },
    { "populate_direct", op_populate_direct },
    { "decrease", op_decrease },
    { "map_foreign", op_map_foreign },
    { "map_foreign", op_map_foreign },
    { "map_mmio", op_map_mmio },
    { "remove_physmap", op_remove_physmap },
    { "grant", op_grant },
    { "grant_end", op_grant_end },
    { "grant_map", op_grant_map },
    { "grant_map", op_grant_map },
    { "grant_unmap", op_grant_unmap },
    { "map_grant_frame", op_map_grant_frame },
    { "ffa_share", op_ffa_share },
    { "ffa_reclaim", op_ffa_reclaim },
    { "sp_retrieve", op_sp_retrieve },
    { "sp_relinquish", op_sp_relinquish },
    { "sp_access", op_sp_access },
    { "iommu_assign", op_iommu_assign },
    { "dma", op_dma },
    { "domain_kill", op_domain_kill },
    { "domain_destroy", op_domain_destroy },
    { "advance", op_advance },
    { "page_get_put", op_page_get_put },
    { "domain_get", op_domain_get },
    { "domain_put", op_domain_put },
    { "map_shared_info", op_map_shared_info },
    { "register_vcpu_info", op_register_vcpu_info },
    { "evtchn_send", op_evtchn_send },
    { "xenheap", op_xenheap },
    { "timer", op_timer },
    { "query", op_query },
    { "with_alloc_failure", op_with_alloc_failure },
    { "domain_create", op_domain_create },
};
const size_t trace_op_count = sizeof(trace_ops) / sizeof(trace_ops[0]);

/*
 * Another op, with one of its allocations made to fail (SQLite's
 * discipline, one failure point per call; sticky: that one and all after):
 * the call must fail cleanly or succeed, and leave no violation either way.
 */
static int op_with_alloc_failure(struct trace *t)
{
    static char note[64];
    uint8_t b = in_u8(&t->in);
    op_fn fn = trace_ops[in_u8(&t->in) % trace_op_count].fn;
    int rc;

    if (fn == op_with_alloc_failure)
        fn = op_populate;
    snprintf(note, sizeof(note), " [allocation %u from now fails%s]", 1u + (b & 7),
             b & 8 ? ", and every one after" : "");
    t->note = note;
    xmm_world_fail_alloc(t->w, 1 + (b & 7), (b & 8) != 0);
    rc = fn(t);
    xmm_world_fail_alloc(t->w, 0, false);
    return rc;
}
