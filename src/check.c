/*
 * libxmm - the invariant checker.
 *
 * Two ways to check the same rules (scenario-format.md "Invariants"):
 *  - incremental: only frames, P2M entries and domains marked dirty since
 *    the last check, using the checker's own index of who holds references
 *    (struct xmm_rmap, kept at the places holders appear and go);
 *  - full sweep: rebuilds that index from the P2Ms and the module records,
 *    walks every list, and checks every frame and domain.
 * The full sweep also compares the rebuilt index with the kept one, so a
 * bookkeeping slip shows up as a disagreement.  When the change set
 * overflowed, the incremental check falls back to a full sweep.
 */
#include <stdarg.h>
#include <stdio.h>

#include "module.h"

void check_report(struct xmm_check_report *rep, enum xmm_invariant inv,
                   enum xmm_subject_kind kind, uint64_t mfn, xmm_domid_t dom, uint64_t gfn,
                   const char *fmt, ...)
{
    struct xmm_violation *v;
    va_list ap;

    rep->count++;
    if (rep->kept >= XMM_CHECK_MAX_REPORT)
        return;
    v = &rep->v[rep->kept++];
    memset(v, 0, sizeof(*v));
    v->inv = inv;
    v->kind = kind;
    v->mfn = xmm_mfn(mfn);
    v->dom = dom;
    v->gfn = xmm_gfn(gfn);
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
    va_end(ap);
}

/*
 * Whole index entries at once: the counts fill the 7 bytes (56 bits, no
 * padding), so equal bytes are equal counts and zero bytes zero counts.
 * Read byte by byte (compilers merge the loads; no memcmp call, which
 * sanitizers intercept).
 */
XMM_HOT_INLINE uint64_t rmap_bits(const struct xmm_rmap *r)
{
    const unsigned char *b = (const unsigned char *)r;

    static_assert(sizeof(*r) == 7, "rmap_bits reads 7 bytes");
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48;
}

XMM_HOT_INLINE bool rmap_none(const struct xmm_rmap *r)
{
    return rmap_bits(r) == 0;
}

/*
 * A report starts empty.  Only the kept entries are ever read, and
 * check_report clears each before filling it: no need to zero all of them
 * (3 KiB) on every check.
 */
static void report_clear(struct xmm_check_report *rep)
{
    rep->count = rep->kept = 0;
}

#define FRAME_V(inv, ...) check_report(rep, inv, XMM_SUBJECT_FRAME, mfn, pg->owner, 0, __VA_ARGS__)

/* Rules about one free frame. */
static void check_free_frame(const struct xmm_world *w, uint32_t idx, const struct xmm_rmap *r,
                             struct xmm_check_report *rep)
{
    const struct xmm_page *pg = &w->frames[idx];
    uint64_t mfn = w->ram_base + idx;

    if (pg->count_info != XMM_PGC_state_free || pg->owner != XMM_DOMID_INVALID ||
        pg->type_info != 0)
        FRAME_V(XMM_INV_FREE_CLEAN, "free frame has count_info %#llx, type_info %#llx, owner %u",
                (unsigned long long)pg->count_info, (unsigned long long)pg->type_info,
                (unsigned)pg->owner);
    if (!rmap_none(r)) {
        if (r->refs || r->ram_maps || r->grant_maps)
            FRAME_V(XMM_INV_FREE_CLEAN,
                    "free frame still reachable: %u referencing holders, %u RAM mappings, "
                    "%u grant mappings",
                    r->refs, r->ram_maps, r->grant_maps);
        /* A device TLB entry or an SP that still reaches a freed frame. */
        if (r->reach)
            FRAME_V(XMM_INV_ISOLATION,
                    "free frame still reachable by %u device or SP mapping(s)", r->reach);
    }
    if (pg->flags & (PGF_PAGE_LIST | PGF_XEN_LIST | PGF_PARK_LIST))
        FRAME_V(XMM_INV_OWNERSHIP, "free frame is still on a page list");
}

/*
 * O(1) proof that a listed frame sits on its owner's list: its neighbours
 * have the same owner, and an end of the chain is that list's head or tail.
 * (The full sweep walks the lists; this is what the incremental check can
 * afford.)
 */
static void check_list_place(const struct xmm_world *w, uint32_t idx, const struct xmm_plist *l,
                             struct xmm_check_report *rep)
{
    const struct xmm_page *pg = &w->frames[idx];
    uint64_t mfn = w->ram_base + idx;
    bool ok = true;

    if (pg->prev == XMM_NIL)
        ok &= l->head == idx;
    else
        ok &= w->frames[pg->prev].owner == pg->owner && w->frames[pg->prev].next == idx;
    if (pg->next == XMM_NIL)
        ok &= l->tail == idx;
    else
        ok &= w->frames[pg->next].owner == pg->owner && w->frames[pg->next].prev == idx;
    if (!ok)
        FRAME_V(XMM_INV_OWNERSHIP, "owned by %u but linked into another owner's list",
                (unsigned)pg->owner);
}

/* Who may own an in-use frame, and on which list it must be. */
static void check_owner(const struct xmm_world *w, uint32_t idx, struct xmm_check_report *rep)
{
    const struct xmm_page *pg = &w->frames[idx];
    uint64_t mfn = w->ram_base + idx;
    bool xenheap = pg->count_info & XMM_PGC_xen_heap;
    const struct xmm_domain *d = domain_find(w, pg->owner);

    if (pg->owner == XMM_DOMID_PARK) {
        if (!(pg->flags & PGF_PARK_LIST))
            FRAME_V(XMM_INV_OWNERSHIP, "parked frame is not on the park list");
        else
            check_list_place(w, idx, &w->park, rep);
        return;
    }
    if (xenheap && pg->owner == XMM_DOMID_XEN) {
        if (pg->flags & (PGF_PAGE_LIST | PGF_XEN_LIST))
            FRAME_V(XMM_INV_OWNERSHIP, "xen-owned xenheap frame is on a domain list");
        return;
    }
    if (!d) {
        FRAME_V(XMM_INV_OWNERSHIP, "in-use frame owned by %u, which is no domain",
                (unsigned)pg->owner);
        return;
    }
    /* Given back (free_domheap_pages): d's own xenheap frame, off its list, unreferenced. */
    if (xenheap && !(pg->flags & PGF_XEN_LIST) && !(pg->count_info & XMM_PGC_allocated) &&
        page_count(pg) == 0 && domain_xenheap_frame(w, d, mfn)) {
        if (pg->flags & PGF_PAGE_LIST)
            FRAME_V(XMM_INV_OWNERSHIP, "given-back xenheap frame is on a page list");
        return;
    }
    if (xenheap ? !(pg->flags & PGF_XEN_LIST) : !(pg->flags & PGF_PAGE_LIST))
        FRAME_V(XMM_INV_OWNERSHIP, "frame owned by d%u is not on its %s list", (unsigned)d->id,
                xenheap ? "xenheap" : "page");
    else
        check_list_place(w, idx, xenheap ? &d->xenpages : &d->pages, rep);
}

/* Rules about one in-use frame, given what holds it (r). */
static void check_used_frame(const struct xmm_world *w, uint32_t idx, const struct xmm_rmap *r,
                             struct xmm_check_report *rep)
{
    const struct xmm_page *pg = &w->frames[idx];
    uint64_t mfn = w->ram_base + idx;
    bool alloc = pg->count_info & XMM_PGC_allocated;
    bool xenheap = pg->count_info & XMM_PGC_xen_heap;
    uint32_t want = (alloc ? 1u : 0u) + r->refs;
    uint64_t g = pg->type_info & XMM_PGT_gfn_mask;

    if ((pg->count_info & XMM_PGC_state_mask) != XMM_PGC_state_inuse)
        FRAME_V(XMM_INV_OWNERSHIP, "frame in state %llu",
                (unsigned long long)((pg->count_info & XMM_PGC_state_mask) >> XMM_PGC_state_shift));
    if (page_count(pg) != want)
        FRAME_V(XMM_INV_REFCOUNT, "count %u but %u named (allocation %u, holders %u)",
                page_count(pg), want, alloc ? 1u : 0u, r->refs);
    if (!xenheap && page_count(pg) == 0)
        FRAME_V(XMM_INV_REFCOUNT, "domheap frame in use with a zero count");
    check_owner(w, idx, rep);
    if (r->ram_other)
        FRAME_V(XMM_INV_P2M_TYPE, "RAM-mapped by %u domain(s) other than its owner %u",
                r->ram_other, (unsigned)pg->owner);
    if (r->ram_maps == RMAP_RAM_MAX)
        FRAME_V(XMM_INV_P2M_TYPE, "RAM-mapped more than %u times: too many aliases to track",
                RMAP_RAM_MAX - 1);
    if (r->grant_maps == RMAP_GRANT_MAX)
        FRAME_V(XMM_INV_P2M_TYPE, "grant-mapped more than %u times: too many to track",
                RMAP_GRANT_MAX - 1);
    if (!xenheap)
        return;
    if (r->ram_maps > 1)
        FRAME_V(XMM_INV_XENHEAP_GFN, "xenheap frame mapped %u times", r->ram_maps);
    if (g != XMM_PGT_INVALID_GFN) {
        const struct xmm_domain *d = domain_find(w, pg->owner);
        uint64_t e = d ? p2m_get(&d->p2m, g) : 0;

        if (!e || p2m_entry_mfn(e) != mfn || !xmm_p2m_is_ram(p2m_entry_type(e)))
            FRAME_V(XMM_INV_XENHEAP_GFN, "records gfn %#llx but is not mapped there",
                    (unsigned long long)g);
    } else if (r->ram_maps && w->policy.xenheap_gfn == XMM_XENHEAP_GFN_PAGE_INFO) {
        FRAME_V(XMM_INV_XENHEAP_GFN, "mapped in a P2M but records no gfn");
    }
}

/*
 * A free frame exactly as the heap leaves it (free_frame_plain) and reached
 * by nothing (free_frame_clean): the case check_free_frame finds nothing
 * in, tested without a call (most frames of a full sweep).
 */
XMM_HOT_INLINE bool free_frame_plain(const struct xmm_page *pg)
{
    return pg->count_info == XMM_PGC_state_free && pg->owner == XMM_DOMID_INVALID &&
           pg->type_info == 0 && !(pg->flags & (PGF_PAGE_LIST | PGF_XEN_LIST | PGF_PARK_LIST));
}

XMM_HOT_INLINE bool free_frame_clean(const struct xmm_page *pg, const struct xmm_rmap *r)
{
    return free_frame_plain(pg) && rmap_none(r);
}

static inline void check_frame(const struct xmm_world *w, uint32_t idx, const struct xmm_rmap *r,
                               struct xmm_check_report *rep)
{
    if (free_frame_clean(&w->frames[idx], r))
        return;
    if (page_is_free(&w->frames[idx]))
        check_free_frame(w, idx, r, rep);
    else
        check_used_frame(w, idx, r, rep);
}

/* One P2M entry against the frame it names. */
static void check_entry(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e,
                        struct xmm_check_report *rep)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t mfn = p2m_entry_mfn(e);
    const struct xmm_page *pg = frame_valid(w, mfn) ? &w->frames[mfn - w->ram_base] : NULL;
    const char *tn = xmm_p2m_type_name(t);

    /* The modules' rules for this entry (seed 002's safe range, seed 001's maptrack). */
    for (unsigned i = 0; i < w->n_check_entry; i++)
        if (w->check_entry_types[i] & (UINT32_C(1) << t))
            w->check_entry[i](w, dom, gfn, e, rep);
#define P2M_V(...) check_report(rep, XMM_INV_P2M_TYPE, XMM_SUBJECT_P2M, mfn, dom, gfn, __VA_ARGS__)
    if (xmm_p2m_is_mmio(t)) {
        if (pg)
            P2M_V("%s entry maps RAM frame %#llx", tn, (unsigned long long)mfn);
        return;
    }
    if (!pg) {
        P2M_V("%s entry maps %#llx, which is not RAM", tn, (unsigned long long)mfn);
        return;
    }
    if (page_is_free(pg)) {
        P2M_V("%s entry maps free frame %#llx", tn, (unsigned long long)mfn);
        return;
    }
    if (xmm_p2m_is_ram(t) && pg->owner != dom)
        P2M_V("%s entry maps frame %#llx owned by %u", tn, (unsigned long long)mfn,
              (unsigned)pg->owner);
    /*
     * A foreign or grant mapping holds a page reference, which keeps the
     * frame with its owner (a zombie if need be): the owner exists, and a
     * frame is never parked while another domain maps it (ffa.c waits).
     * A grant mapping may be of the mapper's own grant; a foreign one not.
     */
    if ((xmm_p2m_is_foreign(t) || xmm_p2m_is_grant(t)) &&
        ((xmm_p2m_is_foreign(t) && pg->owner == dom) || page_count(pg) == 0 ||
         !domain_find(w, pg->owner)))
        P2M_V("%s entry maps frame %#llx owned by %u", tn, (unsigned long long)mfn,
              (unsigned)pg->owner);
#undef P2M_V
}

/* Counters and references of one domain. */
static void check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep)
{
    uint32_t want = (d->state != XMM_DOMAIN_ZOMBIE ? 1u : 0u) + (d->tot_pages ? 1u : 0u) +
                    (d->xenheap_pages ? 1u : 0u) + d->ext_refs;
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m))
        if (m->dom_refs)
            want += m->dom_refs(w, d);

#define DOM_V(inv, ...) check_report(rep, inv, XMM_SUBJECT_DOMAIN, 0, d->id, 0, __VA_ARGS__)
    if (d->tot_pages > d->max_pages && !domain_dying(d))
        DOM_V(XMM_INV_ACCOUNTING, "tot_pages %llu over max_pages %llu",
              (unsigned long long)d->tot_pages, (unsigned long long)d->max_pages);
    if (d->tot_pages != d->pages.count || d->xenheap_pages != d->xenpages.count)
        DOM_V(XMM_INV_OWNERSHIP, "tot_pages %llu / xenheap_pages %llu but lists hold %llu / %llu",
              (unsigned long long)d->tot_pages, (unsigned long long)d->xenheap_pages,
              (unsigned long long)d->pages.count, (unsigned long long)d->xenpages.count);
    if (d->refs != want)
        DOM_V(XMM_INV_OWNERSHIP, "%u domain references, %u named", d->refs, want);
    if (d->state == XMM_DOMAIN_ZOMBIE) {
        const struct xmm_plist *lists[2] = { &d->pages, &d->xenpages };

        for (int l = 0; l < 2; l++)
            for (uint32_t i = lists[l]->head; i != XMM_NIL; i = w->frames[i].next)
                if (w->frames[i].count_info & XMM_PGC_allocated)
                    DOM_V(XMM_INV_DESTROY_PROGRESS,
                          "zombie still holds frame %#llx with its allocation reference",
                          (unsigned long long)(w->ram_base + i));
    }
    for (MOD_EACH(w, i, m))
        if (m->check_domain)
            m->check_domain(w, d, rep);
#undef DOM_V
}

/* lock_order: the acquisition graph must stay acyclic. */
static void check_locks(struct xmm_world *w, bool only_if_changed, struct xmm_check_report *rep)
{
    enum lock_class a, b;

    if ((!only_if_changed || w->lockdep.changed) && lockdep_cycle(&w->lockdep, &a, &b))
        check_report(rep, XMM_INV_LOCK_ORDER, XMM_SUBJECT_WORLD, 0, 0, 0,
                     "lock order cycle: %s is taken under %s, and %s under %s on another path",
                     lock_class_name(b), lock_class_name(a), lock_class_name(a),
                     lock_class_name(b));
    if (only_if_changed)
        w->lockdep.changed = false;
}

/* The modules' own records (seed 000's shares, seed 003's device TLBs). */
static void check_modules_world(const struct xmm_world *w, struct xmm_check_report *rep)
{
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m))
        if (m->check_world)
            m->check_world(w, rep);
}

static void check_flagged(struct xmm_world *w, struct xmm_check_report *rep)
{
    for (uint32_t i = 0; i < w->flagged_count; i++) {
        const struct xmm_violation *v = &w->flagged[i];

        check_report(rep, v->inv, v->kind, v->mfn.m, v->dom, v->gfn.g, "%s", v->detail);
    }
    w->flagged_count = 0; /* reported once */
}

void xmm_check_flag(struct xmm_world *w, const struct xmm_violation *v)
{
    if (w->flagged_count < FLAGGED_MAX)
        w->flagged[w->flagged_count++] = *v;
}

/* --- full sweep ------------------------------------------------------------ */

/* One P2M leaf of d into the rebuilt index rm (and its own rules). */
static void rebuild_leaf(const struct xmm_world *w, const struct xmm_domain *d, uint64_t g,
                         uint64_t e, struct xmm_rmap *rm, struct xmm_check_report *rep)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t mfn = p2m_entry_mfn(e);
    struct xmm_rmap *r;

    check_entry(w, d->id, g, e, rep);
    if (!frame_valid(w, mfn))
        return;
    r = &rm[mfn - w->ram_base];
    if (xmm_p2m_is_foreign(t)) {
        r->refs++;
    } else if (xmm_p2m_is_grant(t)) {
        if (r->grant_maps != RMAP_GRANT_MAX)
            r->grant_maps++;
    } else if (xmm_p2m_is_ram(t)) {
        if (r->ram_maps != RMAP_RAM_MAX)
            r->ram_maps++;
        if (w->frames[mfn - w->ram_base].owner != d->id && r->ram_other != RMAP_OTHER_MAX)
            r->ram_other++;
    } else if (t == XMM_P2M_IOMMU_MAP_RW || t == XMM_P2M_IOMMU_MAP_RO) {
        r->reach++;
    }
}

static void rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm,
                         struct xmm_check_report *rep)
{
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];
        uint64_t base = 0;
        const uint64_t *blk;

        /* Every leaf in gfn order, a leaf node at a time. */
        for (uint64_t from = 0; (blk = p2m_next_block(&d->p2m, from, &base)) != NULL;
             from = base + P2M_ENTRIES)
            for (unsigned s = (unsigned)(from > base ? from - base : 0); s < P2M_ENTRIES; s++)
                if (blk[s])
                    rebuild_leaf(w, d, base + s, blk[s], rm, rep);
    }
}

/* Walk a list: every member must carry `flag` and be owned by `owner`. */
static uint64_t walk_list(const struct xmm_world *w, const struct xmm_plist *l, uint8_t flag,
                          xmm_domid_t owner, struct xmm_check_report *rep)
{
    uint64_t n = 0;

    for (uint32_t i = l->head; i != XMM_NIL && n <= w->ram_pages; i = w->frames[i].next, n++) {
        const struct xmm_page *pg = &w->frames[i];
        uint64_t mfn = w->ram_base + i;

        if (!(pg->flags & flag) || pg->owner != owner || page_is_free(pg))
            FRAME_V(XMM_INV_OWNERSHIP, "on the list of %u but owned by %u", (unsigned)owner,
                    (unsigned)pg->owner);
    }
    if (n != l->count)
        check_report(rep, XMM_INV_OWNERSHIP, XMM_SUBJECT_DOMAIN, 0, owner, 0,
               "list of %u links %llu frames, counts %llu", (unsigned)owner,
               (unsigned long long)n, (unsigned long long)l->count);
    return n;
}

/* The free lists against the frames (free_frames: the free frames the caller counted). */
static void sweep_heap(const struct xmm_world *w, uint64_t free_frames,
                       struct xmm_check_report *rep)
{
    uint64_t listed = 0;

    for (unsigned o = 0; o <= XMM_MAX_ORDER; o++)
        for (uint32_t i = w->free[o].head; i != XMM_NIL; i = w->frames[i].next) {
            for (uint32_t j = 0; j < (UINT32_C(1) << o) && i + j < w->ram_pages; j++)
                if (!page_is_free(&w->frames[i + j]))
                    check_report(rep, XMM_INV_ACCOUNTING, XMM_SUBJECT_FRAME, w->ram_base + i + j,
                           w->frames[i + j].owner, 0, "in a free block but in use");
            listed += UINT64_C(1) << o;
        }
    if (listed != w->free_pages || free_frames != w->free_pages)
        check_report(rep, XMM_INV_ACCOUNTING, XMM_SUBJECT_WORLD, 0, 0, 0,
               "heap counts %llu free, free lists hold %llu, frames free %llu of %llu",
               (unsigned long long)w->free_pages, (unsigned long long)listed,
               (unsigned long long)free_frames, (unsigned long long)w->ram_pages);
}

int xmm_check_full(struct xmm_world *w, struct xmm_check_report *rep)
{
    struct xmm_check_report local;
    const struct xmm_module *m;
    uint64_t free_frames = 0;
    struct xmm_rmap *rm;

    xmm_err_clear(w);
    if (!rep)
        rep = &local;
    report_clear(rep);
    rm = xmm_alloc(w, w->ram_pages * sizeof(*rm));
    if (!rm)
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the full sweep's index of %" PRIu64 " frames",
                        w->ram_pages);

    rebuild_rmap(w, rm, rep);
    for (MOD_EACH(w, i, m))
        if (m->rebuild_rmap)
            m->rebuild_rmap(w, rm);
    for (uint32_t i = 0; i < w->ram_pages; i++) {
        const struct xmm_rmap *a = &rm[i], *b = &w->rmap[i];
        uint64_t found = rmap_bits(a);

        if (found != rmap_bits(b))
            check_report(rep, XMM_INV_REFCOUNT, XMM_SUBJECT_FRAME, w->ram_base + i,
                         w->frames[i].owner, 0,
                         "checker index disagrees: holders %u/%u, RAM maps %u/%u (%u/%u by "
                         "others), grant maps %u/%u, reachers %u/%u (found/recorded)",
                         a->refs, b->refs, a->ram_maps, b->ram_maps, a->ram_other, b->ram_other,
                         a->grant_maps, b->grant_maps, a->reach, b->reach);
        if (found == 0 && free_frame_plain(&w->frames[i])) {
            free_frames++; /* clean: check_frame would find nothing */
            continue;
        }
        check_frame(w, i, a, rep);
        free_frames += page_is_free(&w->frames[i]);
    }
    for (MOD_EACH(w, i, m))
        if (m->check_full)
            m->check_full(w, rm, rep);
    xmm_free(w, rm, w->ram_pages * sizeof(*rm));
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];

        walk_list(w, &d->pages, PGF_PAGE_LIST, d->id, rep);
        walk_list(w, &d->xenpages, PGF_XEN_LIST, d->id, rep);
        check_domain(w, d, rep);
    }
    walk_list(w, &w->park, PGF_PARK_LIST, XMM_DOMID_PARK, rep);
    sweep_heap(w, free_frames, rep);
    check_modules_world(w, rep);
    check_locks(w, false, rep);
    check_flagged(w, rep);
    w->check_total += rep->count;
    return (int)rep->count;
}

/* --- incremental -------------------------------------------------------- */

/* Forget the change set, folding it into the digest. */
static void settle(struct xmm_world *w)
{
    if (w->dirty_overflow) {
        w->frame_digest = 0;
        w->chk_inuse = 0;
        for (uint32_t i = 0; i < w->ram_pages; i++) {
            w->frame_digest ^= frame_hash(w, i);
            w->chk_inuse += !page_is_free(&w->frames[i]);
            w->frames[i].flags &= (uint8_t)~PGF_DIRTY;
        }
        for (size_t i = 0; i < w->dom_count; i++)
            w->doms[i]->dirty = false;
    } else {
        for (uint32_t i = 0; i < w->dirty_frame_count; i++) {
            const struct dirty_frame *f = &w->dirty_frames[i];

            w->frame_digest ^= f->old_hash ^ frame_hash(w, f->idx);
            w->frames[f->idx].flags &= (uint8_t)~PGF_DIRTY;
        }
        for (uint32_t i = 0; i < w->dirty_dom_count; i++) {
            struct xmm_domain *d = domain_find(w, w->dirty_doms[i]);
            if (d)
                d->dirty = false;
        }
    }
    w->dirty_frame_count = w->dirty_p2m_count = w->dirty_dom_count = 0;
    w->dirty_overflow = false;
    w->inc_checked = w->last_inc;
}

uint32_t xmm_check_incremental(struct xmm_world *w, struct xmm_check_report *rep)
{
    struct xmm_check_report local;
    const struct xmm_module *m;

    xmm_err_clear(w);
    if (!rep)
        rep = &local;
    report_clear(rep);
    if (w->dirty_overflow) {
        int n = xmm_check_full(w, rep);

        if (n < 0) { /* no memory for the sweep: check what we can */
            report_clear(rep);
            check_flagged(w, rep);
            w->check_total += rep->count;
        }
        settle(w);
        return rep->count;
    }
    for (uint32_t i = 0; i < w->dirty_frame_count; i++) {
        const struct dirty_frame *f = &w->dirty_frames[i];
        bool now_free = page_is_free(&w->frames[f->idx]);

        check_frame(w, f->idx, &w->rmap[f->idx], rep);
        if (f->old_free != now_free)
            w->chk_inuse = now_free ? w->chk_inuse - 1 : w->chk_inuse + 1;
    }
    if (w->chk_inuse + w->free_pages != w->ram_pages)
        check_report(rep, XMM_INV_ACCOUNTING, XMM_SUBJECT_WORLD, 0, 0, 0,
               "heap counts %llu free, frames in use %llu, total %llu",
               (unsigned long long)w->free_pages, (unsigned long long)w->chk_inuse,
               (unsigned long long)w->ram_pages);
    for (uint32_t i = 0; i < w->dirty_p2m_count; i++) {
        const struct dirty_p2m *p = &w->dirty_p2m[i];
        const struct xmm_domain *d = domain_find(w, p->dom);
        uint64_t e = d ? p2m_get(&d->p2m, p->gfn) : 0;

        if (e)
            check_entry(w, p->dom, p->gfn, e, rep);
    }
    for (uint32_t i = 0; i < w->dirty_dom_count; i++) {
        const struct xmm_domain *d = domain_find(w, w->dirty_doms[i]);

        if (d)
            check_domain(w, d, rep);
        /* An incarnation went (or a new one took the id): records naming the old one. */
        if (!d || d->inc > w->inc_checked)
            for (MOD_EACH(w, j, m))
                if (m->check_gone)
                    m->check_gone(w, w->dirty_doms[i], rep);
    }
    check_modules_world(w, rep);
    check_locks(w, true, rep);
    check_flagged(w, rep);
    w->check_total += rep->count;
    settle(w);
    return rep->count;
}

uint64_t xmm_check_total(const struct xmm_world *w) { return w->check_total; }
