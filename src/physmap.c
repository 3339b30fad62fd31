/*
 * libxmm - physmap hypercalls (common/memory.c, arch/arm/mm.c).
 *
 * Each call validates everything, reserves the P2M nodes it needs, then
 * commits in steps that cannot fail: an error leaves the world unchanged.
 */
#include "physmap_priv.h"
#include "saferange_priv.h"

static int range_ok(uint64_t gfn, uint64_t pages)
{
    return pages > 0 && gfn < XMM_FRAME_LIMIT && pages <= XMM_FRAME_LIMIT - gfn;
}

/* True when some gfn in [gfn, gfn+pages) is mapped in d's P2M. */
static bool range_mapped(const struct xmm_domain *d, uint64_t gfn, uint64_t pages)
{
    uint64_t g, e;

    return p2m_next_raw(&d->p2m, gfn, &g, &e) && g < gfn + pages;
}

/*
 * Seed 004: a gfn of a direct-mapped domain that is neither host RAM nor a
 * declared MMIO region.  RAM and devices are mapped 1:1 there, so foreign
 * and grant mappings must go in these holes (Xen places them in the
 * regions it finds unused in the host memory map).
 */
bool physmap_gfn_is_hole(const struct xmm_world *w, uint64_t gfn)
{
    return !frame_valid(w, gfn) && !xmm_world_mfn_is_mmio(w, xmm_mfn(gfn), 1);
}

/* Construction: every frame mfn == gfn of the range must be free RAM. */
static int direct_range_free(const struct xmm_world *w, uint64_t gfn, uint64_t pages)
{
    if (!frame_valid(w, gfn) || !frame_valid(w, gfn + pages - 1))
        return -XMM_EINVAL;
    for (uint64_t i = 0; i < pages; i++)
        if (!page_is_free(&w->frames[gfn - w->ram_base + i]))
            return -XMM_ENOMEM;
    return 0;
}

static bool overwrite_refused(const struct xmm_world *w)
{
    return w->policy.physmap_overwrite == XMM_PHYSMAP_OVERWRITE_REFUSE;
}

/*
 * A new leaf at gfn.  Under `replace` it is Arm's p2m_set_entry (the old
 * leaf is put unless it names the same frame); under `refuse` the callers
 * only get here over a leaf they may replace, and put it (today's model).
 */
static void physmap_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e)
{
    if (overwrite_refused(w))
        p2m_write(w, d, gfn, e);
    else
        p2m_set_leaf(w, d, gfn, e);
}

int physmap_replaceable(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn)
{
    if (!overwrite_refused(w))
        return 0;
    return xmm_p2m_is_grant(p2m_entry_type(p2m_get(&d->p2m, gfn))) ? -XMM_EBUSY : 0;
}

/* Checks shared by populate and construction, in Xen's order of discovery. */
static int populate_check(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t pages)
{
    /* A dying domain: assign_pages refuses with EINVAL (the scenario contract). */
    if (!range_ok(gfn, pages) || domain_dying(d))
        return -XMM_EINVAL;
    /* Seed 002: nothing is populated over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn, pages))
        return -XMM_EBUSY;
    if (overwrite_refused(w) && range_mapped(d, gfn, pages))
        return -XMM_EEXIST;
    return 0;
}

static int allocation_check(const struct xmm_world *w, const struct xmm_domain *d,
                            uint64_t pages)
{
    if (pages > d->max_pages || d->tot_pages > d->max_pages - pages)
        return -XMM_EPERM;
    if (w->free_pages < pages)
        return -XMM_ENOMEM;
    return 0;
}

/* Allocate `pages` frames (mfn == gfn when direct-mapped) and map them ram_rw. */
static void populate_commit(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn,
                            uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++) {
        uint32_t idx;

        if (d->opts.direct_map) {
            idx = (uint32_t)(gfn + i - w->ram_base);
            if (!heap_alloc_at(w, idx))
                assert(!"direct-map frame vanished between check and commit");
        } else {
            idx = heap_alloc_one(w);
            assert(idx != XMM_NIL);
        }
        frame_assign(w, d, idx);
        physmap_write(w, d, gfn + i, p2m_pack(w->ram_base + idx, XMM_P2M_RAM_RW));
    }
}

/*
 * populate_physmap of a direct-mapped domain allocates nothing: each mfn ==
 * gpfn must be a page the domain owns (get_page), such as one it gave back
 * with decrease_reservation.  A xenheap page shared with the domain would
 * pass get_page in Xen too; libxmm refuses it (docs/semantics.md).
 */
static int direct_owned(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                        uint64_t pages)
{
    if (!frame_valid(w, gfn) || !frame_valid(w, gfn + pages - 1))
        return -XMM_EINVAL;
    for (uint64_t i = 0; i < pages; i++) {
        const struct xmm_page *pg = &w->frames[gfn - w->ram_base + i];

        if (pg->owner != d->id || page_is_free(pg) || page_count(pg) == 0 ||
            page_count(pg) == XMM_PGC_count_mask)
            return -XMM_ENOMEM;
        if (pg->count_info & XMM_PGC_xen_heap)
            return -XMM_EINVAL;
    }
    return 0;
}

int xmm_physmap_populate(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    if (!d)
        return -XMM_ESRCH;
    rc = populate_check(w, d, gfn.g, pages);
    if (!rc)
        rc = d->opts.direct_map ? direct_owned(w, d, gfn.g, pages)
                                : allocation_check(w, d, pages);
    if (!rc)
        rc = p2m_reserve(w, d, gfn.g, pages);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    if (d->opts.direct_map) {
        for (uint64_t i = 0; i < pages; i++)
            physmap_write(w, d, gfn.g + i, p2m_pack(gfn.g + i, XMM_P2M_RAM_RW));
    } else {
        populate_commit(w, d, gfn.g, pages);
    }
    lock_release(w, LOCK_P2M);
    return 0;
}

/* Lowest run of `pages` free RAM frames whose gfns (== mfns) are unmapped in d. */
static bool find_direct_run(const struct xmm_world *w, const struct xmm_domain *d,
                            uint64_t pages, uint64_t *first)
{
    uint64_t run = 0;

    for (uint64_t i = 0; i < w->ram_pages; i++) {
        if (!page_is_free(&w->frames[i]) || p2m_get(&d->p2m, w->ram_base + i)) {
            run = 0;
            continue;
        }
        if (++run == pages) {
            *first = w->ram_base + i + 1 - pages;
            return true;
        }
    }
    return false;
}

/*
 * Construction of a direct-mapped domain's RAM (the domain builder's 1:1
 * allocation): free host frames become the domain's, mapped at gfn == mfn.
 */
int xmm_physmap_populate_direct_at(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                                   uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    if (!d)
        return -XMM_ESRCH;
    if (!d->opts.direct_map)
        return -XMM_EINVAL;
    rc = populate_check(w, d, gfn.g, pages);
    if (!rc)
        rc = direct_range_free(w, gfn.g, pages);
    if (!rc && range_mapped(d, gfn.g, pages))
        rc = -XMM_EEXIST; /* construction never replaces */
    if (!rc)
        rc = allocation_check(w, d, pages);
    if (!rc)
        rc = p2m_reserve(w, d, gfn.g, pages);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    populate_commit(w, d, gfn.g, pages);
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_physmap_populate_direct(struct xmm_world *w, xmm_domid_t dom, uint64_t pages,
                                xmm_gfn_t *first)
{
    struct xmm_domain *d = domain_find(w, dom);
    uint64_t gfn;
    int rc;

    if (!d)
        return -XMM_ESRCH;
    if (!d->opts.direct_map || pages == 0 || domain_dying(d))
        return -XMM_EINVAL;
    if (pages > d->max_pages || d->tot_pages > d->max_pages - pages)
        return -XMM_EPERM;
    if (!find_direct_run(w, d, pages, &gfn))
        return -XMM_ENOMEM;
    rc = xmm_physmap_populate_direct_at(w, dom, xmm_gfn(gfn), pages);
    if (!rc)
        *first = xmm_gfn(gfn);
    return rc;
}

/*
 * guest_remove_page's get_page(page, d): the domain's own page, domheap or
 * a xenheap page shared with it, with a reference to take.
 */
bool physmap_own_page(const struct xmm_world *w, xmm_domid_t dom, uint64_t mfn)
{
    const struct xmm_page *pg;

    if (!frame_valid(w, mfn))
        return false;
    pg = &w->frames[mfn - w->ram_base];
    return pg->owner == dom && !page_is_free(pg) && page_count(pg) != 0 &&
           page_count(pg) != XMM_PGC_count_mask;
}

int xmm_physmap_decrease(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);

    if (!d)
        return -XMM_ESRCH;
    if (!range_ok(gfn.g, pages))
        return -XMM_EINVAL;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t e = p2m_get(&d->p2m, gfn.g + i);

        if (!e)
            return -XMM_ENOENT;
        if (!xmm_p2m_is_ram(p2m_entry_type(e)) || !physmap_own_page(w, dom, p2m_entry_mfn(e)))
            return -XMM_EINVAL;
    }
    /* guest_physmap_remove_page -> p2m_set_entry: refused once the domain is dying. */
    if (domain_dying(d))
        return -XMM_ENOMEM;
    lock_take(w, LOCK_P2M);
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t mfn = p2m_entry_mfn(p2m_get(&d->p2m, gfn.g + i));
        int rc;

        p2m_write(w, d, gfn.g + i, 0);
        /*
         * A direct-mapped domain keeps the page (allocated, unmapped, in
         * tot_pages) so that populate gives it back at the same pfn.  Like
         * the test-and-clear of put_page_alloc_ref, an alias drops it once.
         */
        if (d->opts.direct_map || !(w->frames[mfn - w->ram_base].count_info & XMM_PGC_allocated))
            continue;
        rc = xmm_page_put_alloc_ref(w, xmm_mfn(mfn));
        (void)rc;
        assert(rc == 0);
    }
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_physmap_map_foreign(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                            xmm_domid_t from, xmm_gfn_t from_gfn)
{
    struct xmm_domain *d = domain_find(w, dom), *fd = domain_find(w, from);
    const struct xmm_page *pg;
    enum xmm_p2m_type st;
    uint64_t se, mfn;
    int rc;

    if (!d || !fd)
        return -XMM_ESRCH;
    if (dom == from || gfn.g >= XMM_FRAME_LIMIT || from_gfn.g >= XMM_FRAME_LIMIT)
        return -XMM_EINVAL;
    /* Seed 002: with a toolstack safe range, foreign mappings go only inside it. */
    if (!saferange_admits(w, d, gfn.g))
        return -XMM_EINVAL;
    /* Seed 004: a direct-mapped domain's RAM is gfn == mfn; other mappings go in holes. */
    if (d->opts.direct_map && !physmap_gfn_is_hole(w, gfn.g))
        return -XMM_EINVAL;
    se = p2m_get(&fd->p2m, from_gfn.g);
    st = p2m_entry_type(se);
    mfn = p2m_entry_mfn(se);
    if (!se || !xmm_p2m_is_ram(st) || !frame_valid(w, mfn))
        return -XMM_EINVAL;
    /* get_page(page, from) must succeed: check it before reserving. */
    pg = &w->frames[mfn - w->ram_base];
    if (pg->owner != from || page_is_free(pg) || page_count(pg) == 0 ||
        page_count(pg) == XMM_PGC_count_mask)
        return -XMM_EINVAL;
    rc = physmap_replaceable(w, d, gfn.g);
    /* p2m_set_entry refuses once the mapping domain is dying. */
    if (!rc && domain_dying(d))
        rc = -XMM_ENOMEM;
    if (!rc)
        rc = p2m_reserve(w, d, gfn.g, 1);
    if (rc)
        return rc;
    if (!xmm_page_get(w, xmm_mfn(mfn), from))
        assert(!"get_page failed after its conditions were checked");
    if (XMM_CANARY(XMM_CANARY_FOREIGN_REF))
        (void)xmm_page_put(w, xmm_mfn(mfn));
    /* Like Xen, a mapping already at gfn is replaced (and put). */
    lock_take(w, LOCK_P2M);
    physmap_write(w, d, gfn.g,
                  p2m_pack(mfn, st == XMM_P2M_RAM_RW ? XMM_P2M_MAP_FOREIGN_RW
                                                     : XMM_P2M_MAP_FOREIGN_RO));
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_physmap_map_mmio(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                         uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    if (!d)
        return -XMM_ESRCH;
    if (!range_ok(gfn.g, pages) || !range_ok(mfn.m, pages) ||
        !xmm_world_mfn_is_mmio(w, mfn, pages))
        return -XMM_EINVAL;
    /* Seed 002: no device is mapped over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn.g, pages))
        return -XMM_EBUSY;
    if (overwrite_refused(w) && range_mapped(d, gfn.g, pages))
        return -XMM_EEXIST;
    /* map_mmio_regions -> p2m_set_entry: refused once the domain is dying. */
    if (domain_dying(d))
        return -XMM_ENOMEM;
    rc = p2m_reserve(w, d, gfn.g, pages);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    for (uint64_t i = 0; i < pages; i++)
        physmap_write(w, d, gfn.g + i, p2m_pack(mfn.m + i, XMM_P2M_MMIO_DIRECT_DEV));
    lock_release(w, LOCK_P2M);
    return 0;
}

/*
 * XENMEM_remove_from_physmap finds the page with get_page_from_gfn: only a
 * RAM, grant or foreign entry has one, a RAM or grant entry only when the
 * page is the domain's own (get_page(page, d)), a foreign entry when its
 * page still has references.  Anything else: ENOENT, nothing removed.
 */
int xmm_physmap_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);
    enum xmm_p2m_type t;
    const struct xmm_page *pg;
    uint64_t e, mfn;

    if (!d)
        return -XMM_ESRCH;
    if (gfn.g >= XMM_FRAME_LIMIT)
        return -XMM_EINVAL;
    e = p2m_get(&d->p2m, gfn.g);
    t = p2m_entry_type(e);
    mfn = p2m_entry_mfn(e);
    if (!e || !(xmm_p2m_is_ram(t) || xmm_p2m_is_grant(t) || xmm_p2m_is_foreign(t)) ||
        !frame_valid(w, mfn))
        return -XMM_ENOENT;
    pg = &w->frames[mfn - w->ram_base];
    if (xmm_p2m_is_foreign(t) ? page_count(pg) == 0 || page_is_free(pg)
                              : !physmap_own_page(w, dom, mfn))
        return -XMM_ENOENT;
    return xmm_p2m_remove(w, dom, gfn);
}

void xenheap_gfn_map(struct xmm_world *w, struct xmm_domain *d, uint64_t mfn, uint64_t *array_gfn,
                     uint64_t gfn)
{
    bool array = w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY;
    uint32_t fi = (uint32_t)(mfn - w->ram_base);

    if (array && *array_gfn != XMM_INVALID_GFN_RAW) {
        /* Pre-2022: remove by the remembered GFN, whatever is there now. */
        if (p2m_get(&d->p2m, *array_gfn))
            p2m_write(w, d, *array_gfn, 0);
        *array_gfn = XMM_INVALID_GFN_RAW;
    }
    p2m_write(w, d, gfn, p2m_pack(mfn, XMM_P2M_RAM_RW));
    if (array) {
        *array_gfn = gfn;
    } else {
        struct xmm_page *pg = frame_touch(w, fi);

        pg->type_info = (pg->type_info & ~XMM_PGT_gfn_mask) | gfn;
    }
    hist_add(w, fi, XMM_EV_SET_GFN, d->id, gfn, 0);
}
