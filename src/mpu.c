/*
 * libxmm - MPU region accounting and the cost of cross-domain access
 * (seed 004: Armv8-R, where every domain is direct-mapped).
 *
 * An EL2 MPU has no translation: each region is one contiguous physical
 * range with one set of attributes.  What a direct-mapped domain's view
 * needs is therefore counted from its P2M as it changes:
 *  - runs: a maximal stretch of consecutive gfns whose leaves have one P2M
 *    type (the type carries the permissions) and consecutive mfns.  RAM of a
 *    direct-mapped domain is gfn == mfn, so a contiguous populate is one
 *    run; a xenheap page mapped at a gfn of the guest's choosing, or a grant
 *    mapping of a scattered frame, is a run of its own.
 *  - heap pieces: Xen's heap is one region in every view.  A xenheap page
 *    mapped into the guest (its own, RAM-typed, or another domain's,
 *    foreign-mapped) needs the guest's permissions, so the heap region
 *    around it is cut: the view holds one heap region per piece left.  libxmm models Xen's heap region as spanning host RAM (on real
 *    MPU systems a direct-mapped guest's RAM comes from its own static
 *    banks, outside the heap, so only xenheap pages cut it).
 *  - Xen's fixed regions (code, data, heap) and, under the map_region
 *    strategy, the regions reserved for cross-domain hypercalls.
 * Both counts change in O(1) per leaf write: a leaf only joins or splits
 * its two neighbours (gfn +- 1), and a xenheap frame only joins or splits
 * the heap pieces beside it (mfn +- 1) (a walk of the view's P2M is needed
 * only to tell whether a referenced xenheap neighbour is foreign-mapped
 * there).  The full sweep recounts both from the P2M and the rebuilt
 * holder index; the two must agree.
 */
#include "mpu_priv.h"
#include "physmap_priv.h"

/* --- accounting --------------------------------------------------------- */

/*
 * Regions every direct-mapped view keeps free under map_region: the worst
 * one send needs.  The target's vcpu_info is always a guest page; its
 * shared_info is one only under guest_page (a xenheap one is inside Xen's
 * heap region, reachable from every view).
 */
static uint32_t mpu_reserved(const struct xmm_world *w)
{
    if (mpu_world_of(w)->opts.cross_domain != XMM_MPU_XDOM_MAP)
        return 0;
    return w->policy.shared_info == XMM_SHARED_INFO_GUEST_PAGE ? 2 : 1;
}

static uint64_t heap_splits(const struct mpu_domain *m)
{
    return m->heap_pieces > 1 ? m->heap_pieces - 1 : 0;
}

uint64_t mpu_need(const struct xmm_world *w, const struct xmm_domain *d)
{
    const struct mpu_domain *m = mpu_of(d);

    if (!m || !d->opts.direct_map)
        return 0;
    return mpu_world_of(w)->opts.xen_regions + m->runs + heap_splits(m) + mpu_reserved(w);
}

static void note_peak(struct xmm_world *w, struct xmm_domain *d)
{
    uint64_t n = mpu_need(w, d);

    if (n > mpu_of(d)->peak) {
        mpu_of(d)->peak = n;
        hist_dom_event(w, d->id, XMM_EV_MPU_PEAK, n, 0);
    }
}

/* Leaves a (at gfn) and b (at gfn + 1) fall in one MPU region. */
static bool leaves_join(uint64_t a, uint64_t b)
{
    return a && b && p2m_entry_type(a) == p2m_entry_type(b) &&
           p2m_entry_mfn(b) == p2m_entry_mfn(a) + 1;
}

void mpu_p2m_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                  uint64_t e)
{
    struct mpu_domain *m = mpu_of(d);
    uint64_t l, r;
    int64_t delta;

    if (!m || !d->opts.direct_map)
        return;
    l = gfn ? p2m_get(&d->p2m, gfn - 1) : 0;
    r = gfn + 1 < XMM_FRAME_LIMIT ? p2m_get(&d->p2m, gfn + 1) : 0;
    /* runs = leaves - joins between neighbours; only the joins at gfn moved. */
    delta = (int64_t)(e != 0) - (int64_t)(old != 0);
    delta -= (int64_t)leaves_join(l, e) + (int64_t)leaves_join(e, r);
    delta += (int64_t)leaves_join(l, old) + (int64_t)leaves_join(old, r);
    assert(delta >= 0 || m->runs >= (uint64_t)-delta);
    m->runs = (uint64_t)((int64_t)m->runs + delta);
    note_peak(w, d);
}

/*
 * Heap holes.  Frame idx cuts Xen's heap region in view v when it is a
 * live xenheap frame that v reaches with guest permissions:
 *  - one of v's own xenheap frames that a RAM leaf maps (grant-table
 *    frames, Xen's shared_info);
 *  - another domain's xenheap frame that v foreign-maps (a toolstack
 *    mapping a guest's shared_info): the frame needs v's permissions just
 *    as it does in its owner's view.
 * The hooks run in the middle of a leaf write, so a hole is judged in a
 * stated view of the world: `s` names the leaf at (s->d, s->gfn) as it is
 * in that state and as the holder index `rm` counts it now; s NULL means
 * the world as it stands (the full sweep, with the rebuilt index).
 */
struct leaf_state {
    const struct xmm_domain *d;
    uint64_t gfn;
    uint64_t leaf;    /* the leaf at gfn in this state (0: none) */
    uint64_t counted; /* the leaf at gfn that rm counts now (0: none) */
};

static bool live_xenheap(const struct xmm_world *w, uint64_t idx)
{
    const struct xmm_page *pg = &w->frames[idx];

    return (pg->count_info & XMM_PGC_xen_heap) && !page_is_free(pg);
}

/* Leaf e maps frame idx with a type `is` accepts. */
static bool leaf_maps(const struct xmm_world *w, uint64_t e, uint64_t idx,
                      bool (*is)(enum xmm_p2m_type))
{
    return e && is(p2m_entry_type(e)) && p2m_entry_mfn(e) == w->ram_base + idx;
}

/*
 * v has a foreign leaf on frame idx.  Only a frame some foreign or grant
 * entry references can have one, so the walk of v's P2M is made only for
 * a xenheap frame that is referenced: a rare event (toolstack mappings).
 */
static bool foreign_maps(const struct xmm_world *w, const struct xmm_rmap *rm,
                         const struct xmm_domain *v, uint64_t idx, const struct leaf_state *s)
{
    uint64_t from = 0, g, e;
    int64_t refs = rm[idx].refs;

    if (s && s->d == v && leaf_maps(w, s->leaf, idx, xmm_p2m_is_foreign))
        return true;
    if (s && leaf_maps(w, s->counted, idx, xmm_p2m_is_foreign))
        refs--;
    if (refs <= 0)
        return false;
    while (p2m_next_raw(&v->p2m, from, &g, &e)) {
        from = g + 1;
        if (s && s->d == v && g == s->gfn)
            continue;
        if (leaf_maps(w, e, idx, xmm_p2m_is_foreign))
            return true;
    }
    return false;
}

static bool view_hole(const struct xmm_world *w, const struct xmm_rmap *rm,
                      const struct xmm_domain *v, uint64_t idx, const struct leaf_state *s)
{
    if (!live_xenheap(w, idx))
        return false;
    if (w->frames[idx].owner == v->id) {
        int64_t ram = rm[idx].ram_maps;

        if (s)
            ram += (int64_t)leaf_maps(w, s->leaf, idx, xmm_p2m_is_ram) -
                   (int64_t)leaf_maps(w, s->counted, idx, xmm_p2m_is_ram);
        if (ram > 0)
            return true;
    }
    return foreign_maps(w, rm, v, idx, s);
}

/* Frame i begins a piece of the heap region in v's view. */
static int piece_starts(const struct xmm_world *w, const struct xmm_domain *v, uint64_t i,
                        const struct leaf_state *s)
{
    return !view_hole(w, w->rmap, v, i, s) && (i == 0 || view_hole(w, w->rmap, v, i - 1, s));
}

/*
 * Only frame m differs between states b and a, so only the pieces that
 * begin at m or m + 1 can change: the heap is cut in two, a piece that was
 * only m goes, or a hole at the end of RAM just shrinks it.
 */
static void heap_recut(struct xmm_world *w, struct xmm_domain *v, uint64_t m,
                       const struct leaf_state *b, const struct leaf_state *a)
{
    struct mpu_domain *mp = mpu_of(v);
    int64_t delta = 0;

    for (uint64_t i = m; i <= m + 1 && i < w->ram_pages; i++)
        delta += piece_starts(w, v, i, a) - piece_starts(w, v, i, b);
    if (!delta)
        return;
    assert(delta > 0 || mp->heap_pieces >= (uint64_t)-delta);
    mp->heap_pieces = (uint64_t)((int64_t)mp->heap_pieces + delta);
    domain_touch(w, v);
}

/* A direct-mapped view whose regions are counted, or NULL. */
static struct xmm_domain *counted_view(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *v = domain_find(w, dom);

    return v && v->opts.direct_map && mpu_of(v) ? v : NULL;
}

void mpu_p2m_rmap(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e, int delta)
{
    struct leaf_state b = { d, gfn, 0, 0 }, a = { d, gfn, 0, 0 };
    enum xmm_p2m_type t = p2m_entry_type(e);
    struct xmm_domain *owner_view = NULL, *map_view = NULL;
    uint64_t mfn = p2m_entry_mfn(e), idx;

    if (!e || !frame_valid(w, mfn))
        return;
    idx = mfn - w->ram_base;
    if (!live_xenheap(w, idx))
        return;
    if (xmm_p2m_is_ram(t))
        owner_view = counted_view(w, w->frames[idx].owner);
    else if (xmm_p2m_is_foreign(t))
        map_view = counted_view(w, d->id);
    if (!owner_view && !map_view)
        return;
    /* -1: the index dropped e, the leaf goes; +1: the index counts e, the leaf comes. */
    if (delta < 0) {
        b.leaf = e;
    } else {
        b.counted = a.counted = e;
        a.leaf = e;
    }
    if (owner_view) {
        heap_recut(w, owner_view, idx, &b, &a);
        if (owner_view != d)
            note_peak(w, owner_view); /* d's is noted once its leaf write is complete */
    }
    if (map_view)
        heap_recut(w, map_view, idx, &b, &a);
}

/* --- per-domain state ------------------------------------------------------ */

int mpu_domain_init(struct xmm_world *w, struct xmm_domain *d)
{
    struct mpu_domain *m = xmm_alloc(w, sizeof(*m));

    if (!m)
        return -XMM_ENOMEM;
    m->heap_pieces = 1;
    m->shinfo_mfn = XMM_INVALID_MFN_RAW;
    m->shinfo_gfn = XMM_INVALID_GFN_RAW;
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++) {
        m->vcpu_mfn[v] = XMM_INVALID_MFN_RAW;
        m->vcpu_gfn[v] = XMM_INVALID_GFN_RAW;
    }
    d->mod[XMM_MOD_MPU] = m;
    if (d->opts.direct_map)
        m->peak = mpu_need(w, d);
    return 0;
}

void mpu_domain_discard(struct xmm_world *w, struct xmm_domain *d)
{
    xmm_free(w, mpu_of(d), sizeof(*mpu_of(d)));
    d->mod[XMM_MOD_MPU] = NULL;
}

void mpu_domain_destroy(struct xmm_world *w, struct xmm_domain *d)
{
    struct mpu_domain *m = mpu_of(d);

    if (!m)
        return;
    /* Xen frees d->shared_info with the domain structure (its P2M is gone by now). */
    if (m->shinfo_xenheap) {
        int rc = xenheap_free_own(w, d->id, xmm_mfn(m->shinfo_mfn));
        (void)rc;
        assert(rc == 0);
    }
    mpu_domain_discard(w, d);
}

/* The registration records are model state; the counts derive from the P2M. */
uint64_t mpu_domain_hash(const struct xmm_domain *d)
{
    const struct mpu_domain *m = mpu_of(d);
    uint64_t h;

    if (!m)
        return 0;
    /* lanes (core.h), summed: the mixes run side by side */
    h = mix64_lane(m->shinfo_mfn ^ ((uint64_t)m->shinfo_xenheap << 63), 0);
    h += mix64_lane(m->shinfo_gfn ^ ((uint64_t)m->copies << 40), 1);
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++) /* a vcpu_info never registered adds 0 */
        if (m->vcpu_mfn[v] != XMM_INVALID_MFN_RAW || m->vcpu_gfn[v] != XMM_INVALID_GFN_RAW)
            h += mix64_lane(m->vcpu_mfn[v] ^ (m->vcpu_gfn[v] << 7), 2 + v);
    return h;
}

/* --- queries ---------------------------------------------------------------- */

int xmm_mpu_usage(const struct xmm_world *w, xmm_domid_t dom, struct xmm_mpu_usage *out)
{
    const struct xmm_domain *d = domain_find(w, dom);

    memset(out, 0, sizeof(*out));
    out->limit = mpu_world_of(w)->opts.regions;
    if (!d)
        return -XMM_ESRCH;
    out->direct_map = d->opts.direct_map;
    if (!mpu_of(d))
        return 0;
    out->cost = mpu_of(d)->cost;
    if (!d->opts.direct_map)
        return 0;
    out->xen = mpu_world_of(w)->opts.xen_regions;
    out->p2m_runs = mpu_of(d)->runs;
    out->heap_splits = heap_splits(mpu_of(d));
    out->reserved = mpu_reserved(w);
    out->total = mpu_need(w, d);
    out->peak = mpu_of(d)->peak;
    out->cost.reserved = out->reserved;
    return 0;
}

const struct xmm_mpu_opts *xmm_mpu_opts(const struct xmm_world *w) { return &mpu_world_of(w)->opts; }

void xmm_mpu_stats(const struct xmm_world *w, struct xmm_mpu_stats *out)
{
    *out = mpu_world_of(w)->stats;
    out->reserved = 0;
    for (size_t i = 0; i < w->dom_count; i++)
        if (w->doms[i]->opts.direct_map)
            out->reserved = mpu_reserved(w);
}

/* --- cross-domain access ------------------------------------------------------ */

/*
 * The target's pages a send writes that are not in Xen's heap: a guest-page
 * shared_info and the vCPU's registered vcpu_info.  An unregistered
 * vcpu_info lives inside shared_info; a xenheap shared_info (or one not
 * set up yet, still in Xen's own memory) is reachable from every view.
 */
static unsigned remote_pages(const struct mpu_domain *t, uint32_t vcpu, uint64_t mfn[2])
{
    unsigned n = 0;

    if (t->shinfo_mfn != XMM_INVALID_MFN_RAW && !t->shinfo_xenheap)
        mfn[n++] = t->shinfo_mfn;
    if (t->vcpu_mfn[vcpu] != XMM_INVALID_MFN_RAW)
        mfn[n++] = t->vcpu_mfn[vcpu];
    return n;
}

/* Regions covering them: one page, or two adjacent ones, take one region. */
static unsigned regions_for(const uint64_t *mfn, unsigned n)
{
    if (n == 2 && (mfn[0] == mfn[1] || mfn[0] + 1 == mfn[1] || mfn[1] + 1 == mfn[0]))
        return 1;
    return n;
}

/*
 * Approach 2 of the seed: reprogram EL2 to Xen's full view for the
 * hypercall and back to the vCPU's view after it.  Each direction rewrites
 * the guest's regions and the one region that opens all of RAM to Xen.
 */
static void cost_switch(struct xmm_world *w, struct xmm_domain *d)
{
    uint64_t guest = mpu_need(w, d) - mpu_world_of(w)->opts.xen_regions;
    struct xmm_mpu_stats *s[2] = { &mpu_world_of(w)->stats, &mpu_of(d)->cost };

    for (int i = 0; i < 2; i++) {
        s[i]->switches++;
        s[i]->region_writes += 2 * (guest + 1);
    }
}

/* Approach 1: each remote page range gets a region, removed after the call. */
static void cost_temp(struct xmm_world *w, struct xmm_domain *d, unsigned regions)
{
    struct xmm_mpu_stats *s[2] = { &mpu_world_of(w)->stats, &mpu_of(d)->cost };

    for (int i = 0; i < 2; i++) {
        s[i]->temp_maps++;
        s[i]->temp_regions += regions;
        s[i]->region_writes += 2 * (uint64_t)regions;
    }
}

int xmm_mpu_evtchn_send(struct xmm_world *w, xmm_domid_t dom, xmm_domid_t to, uint32_t vcpu)
{
    struct xmm_domain *d = domain_find(w, dom), *t = domain_find(w, to);
    uint64_t mfn[2], need, free_regions;
    unsigned regions = 0;

    xmm_err_clear(w);
    if (!d || !t)
        return xmm_fail_no_domain(w, d ? to : dom);
    if (vcpu >= XMM_VCPUS_MAX)
        return xmm_fail(w, -XMM_EINVAL, "vcpu %" PRIu32 " does not exist (at most %d)", vcpu,
                        XMM_VCPUS_MAX);
    if (domain_dying(d) || domain_dying(t))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: no event is sent", DN(domain_dying(d) ? dom : to),
                        xmm_domain_state_name(domain_dying(d) ? d->state : t->state));
    mpu_world_of(w)->stats.sends++;
    mpu_of(d)->cost.sends++;
    if (dom != to)
        regions = regions_for(mfn, remote_pages(mpu_of(t), vcpu, mfn));
    /* An MMU host, or an MMU guest: Xen has its own translation regime at EL2. */
    if (!mpu_world_of(w)->opts.regions || !d->opts.direct_map || !regions) {
        mpu_world_of(w)->stats.sends_free++;
        mpu_of(d)->cost.sends_free++;
        return 0;
    }
    need = mpu_need(w, d);
    free_regions = need < mpu_world_of(w)->opts.regions ? mpu_world_of(w)->opts.regions - need : 0;
    switch (mpu_world_of(w)->opts.cross_domain) {
    case XMM_MPU_XDOM_MAP:
        /* The reservation (counted in `need`) covers the worst send. */
        assert(regions <= mpu_reserved(w));
        cost_temp(w, d, regions);
        break;
    case XMM_MPU_XDOM_MAP_OR_SWITCH:
        /* The thread's combination: map when regions are free, else switch. */
        if (regions <= free_regions)
            cost_temp(w, d, regions);
        else
            cost_switch(w, d);
        break;
    case XMM_MPU_XDOM_SWITCH:
    default:
        cost_switch(w, d);
        break;
    }
    return 0;
}

/* --- checks ---------------------------------------------------------------- */

void mpu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_check_report *rep)
{
    const struct mpu_domain *m = mpu_of(d);
    uint64_t need;

    shinfo_check_domain(w, d, rep);
    if (!m || !d->opts.direct_map || !mpu_world_of(w)->opts.regions || d->state != XMM_DOMAIN_RUNNING)
        return;
    need = mpu_need(w, d);
    if (need > mpu_world_of(w)->opts.regions)
        check_report(rep, XMM_INV_MPU_REGIONS, XMM_SUBJECT_DOMAIN, 0, d->id, 0,
                     "d%u needs %llu of %u MPU regions: %u Xen, %llu P2M runs, %llu heap "
                     "splits, %u reserved",
                     (unsigned)d->id, (unsigned long long)need, mpu_world_of(w)->opts.regions,
                     mpu_world_of(w)->opts.xen_regions, (unsigned long long)m->runs,
                     (unsigned long long)heap_splits(m), mpu_reserved(w));
}

/* Runs of d's P2M, walking it in gfn order. */
static uint64_t recount_runs(const struct xmm_domain *d)
{
    uint64_t base = 0, prev_g = 0, prev_e = 0, runs = 0;
    const uint64_t *blk;

    for (uint64_t from = 0; (blk = p2m_next_block(&d->p2m, from, &base)) != NULL;
         from = base + P2M_ENTRIES)
        for (unsigned s = (unsigned)(from > base ? from - base : 0); s < P2M_ENTRIES; s++) {
            uint64_t g = base + s, e = blk[s];

            if (!e)
                continue;
            if (!(prev_e && g == prev_g + 1 && leaves_join(prev_e, e)))
                runs++;
            prev_g = g;
            prev_e = e;
        }
    return runs;
}

/*
 * P2M leaf e at gfn g of d foreign-maps a live xenheap frame of another
 * domain (a hole in d's view) at the lowest gfn that maps it, and the frame
 * below is no hole: a run of holes starts there.
 */
static bool foreign_hole_starts(const struct xmm_world *w, const struct xmm_rmap *rm,
                                const struct xmm_domain *d, uint64_t g, uint64_t e)
{
    uint64_t mfn = p2m_entry_mfn(e), idx, f = 0, g2, e2;
    bool first = true;

    if (!xmm_p2m_is_foreign(p2m_entry_type(e)) || !frame_valid(w, mfn))
        return false;
    idx = mfn - w->ram_base;
    if (!live_xenheap(w, idx) || w->frames[idx].owner == d->id)
        return false; /* not a hole, or counted with d's own frames */
    while (first && p2m_next_raw(&d->p2m, f, &g2, &e2) && g2 < g) {
        f = g2 + 1;
        first = !leaf_maps(w, e2, idx, xmm_p2m_is_foreign);
    }
    return first && (idx == 0 || !view_hole(w, rm, d, idx - 1, NULL));
}

/*
 * Heap pieces in d's view from the rebuilt index and the P2M: the holes are
 * d's own xenheap frames (its xenheap list) and the xenheap frames it
 * foreign-maps (its P2M, each frame once: at its lowest gfn).  With H runs
 * of holes the heap is left in H + 1 pieces, less one for a run at either
 * end of RAM.
 */
static uint64_t recount_pieces(const struct xmm_world *w, const struct xmm_rmap *rm,
                               const struct xmm_domain *d)
{
    uint64_t runs = 0, seen = 0, last = w->ram_pages - 1, base = 0;
    const uint64_t *blk;

    for (uint32_t i = d->xenpages.head; i != XMM_NIL && seen <= w->ram_pages;
         i = w->frames[i].next, seen++)
        if (view_hole(w, rm, d, i, NULL) && (i == 0 || !view_hole(w, rm, d, i - 1, NULL)))
            runs++;
    for (uint64_t from = 0; (blk = p2m_next_block(&d->p2m, from, &base)) != NULL;
         from = base + P2M_ENTRIES)
        for (unsigned s = (unsigned)(from > base ? from - base : 0); s < P2M_ENTRIES; s++)
            if (blk[s] && foreign_hole_starts(w, rm, d, base + s, blk[s]))
                runs++;
    return runs + 1 - (view_hole(w, rm, d, 0, NULL) ? 1 : 0) -
           (view_hole(w, rm, d, last, NULL) ? 1 : 0);
}

void mpu_check_full(const struct xmm_world *w, const struct xmm_rmap *rm,
                    struct xmm_check_report *rep)
{
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];
        uint64_t runs, pieces;

        if (!mpu_of(d) || !d->opts.direct_map)
            continue;
        runs = recount_runs(d);
        pieces = recount_pieces(w, rm, d);
        if (runs != mpu_of(d)->runs || pieces != mpu_of(d)->heap_pieces)
            check_report(rep, XMM_INV_MPU_REGIONS, XMM_SUBJECT_DOMAIN, 0, d->id, 0,
                         "d%u region counts kept %llu runs / %llu heap pieces, recounted "
                         "%llu / %llu",
                         (unsigned)d->id, (unsigned long long)mpu_of(d)->runs,
                         (unsigned long long)mpu_of(d)->heap_pieces, (unsigned long long)runs,
                         (unsigned long long)pieces);
    }
}

/* --- the module (module.h): mpu.c and shinfo.c ----------------------------- */

static int mpu_world_check(const struct xmm_world_opts *o)
{
    return o->mpu.regions > XMM_MPU_REGIONS_MAX || o->mpu.xen_regions > XMM_MPU_REGIONS_MAX ||
           (unsigned)o->mpu.cross_domain > XMM_MPU_XDOM_MAP_OR_SWITCH;
}

static int mpu_world_init(struct xmm_world *w, const struct xmm_world_opts *o)
{
    mpu_world_of(w)->opts = o->mpu;
    return 0;
}

static uint64_t mpu_dom_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    (void)w;
    return mpu_domain_hash(d);
}

/* world_clone: the options and statistics are plain values, copied with the slot. */
static int mpu_world_clone(struct xmm_world *c, const struct xmm_world *w)
{
    (void)c;
    (void)w;
    return 0;
}

/* dom_clone: d's seed 004 state into nd (plain values). */
static int mpu_domain_clone(struct xmm_world *c, struct xmm_domain *nd, const struct xmm_world *w,
                            const struct xmm_domain *d)
{
    struct mpu_domain *n;

    (void)w;
    if (!mpu_of(d))
        return 0;
    n = xmm_alloc_copy(c, sizeof(*n), mpu_of(d), sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    nd->mod[XMM_MOD_MPU] = n;
    return 0;
}

const struct xmm_module xmm_mod_mpu = {
    .name = "mpu",
    .world_size = sizeof(struct mpu_world),
    .world_check = mpu_world_check,
    .world_init = mpu_world_init,
    .dom_init = mpu_domain_init,
    .dom_free = mpu_domain_destroy,
    .dom_discard = mpu_domain_discard,
    .kill_stage = KILL_GUEST_AREAS,
    .teardown = shinfo_release,
    .xenheap_own = shinfo_xenheap_own,
    .p2m_index = mpu_p2m_rmap,
    .p2m_after = mpu_p2m_leaf,
    .rebuild_rmap = shinfo_rebuild_rmap,
    .check_domain = mpu_check_domain,
    .check_full = mpu_check_full,
    .dom_digest = mpu_dom_digest,
    .world_clone = mpu_world_clone,
    .dom_clone = mpu_domain_clone,
};
