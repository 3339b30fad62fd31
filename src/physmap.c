/*
 * libxmm - physmap hypercalls (common/memory.c, arch/arm/mm.c).
 *
 * Each call validates everything, reserves the P2M nodes it needs, then
 * commits in steps that cannot fail: an error leaves the world unchanged.
 */
#include "internal.h"

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

/* Direct-mapped domains: every frame mfn == gfn of the range must be free RAM. */
static int direct_range_free(const struct xmm_world *w, uint64_t gfn, uint64_t pages)
{
    if (!frame_valid(w, gfn) || !frame_valid(w, gfn + pages - 1))
        return -XMM_EINVAL;
    for (uint64_t i = 0; i < pages; i++)
        if (!page_is_free(&w->frames[gfn - w->ram_base + i]))
            return -XMM_ENOMEM;
    return 0;
}

int physmap_replaceable(const struct xmm_domain *d, uint64_t gfn)
{
    return xmm_p2m_is_grant(p2m_entry_type(p2m_get(&d->p2m, gfn))) ? -XMM_EBUSY : 0;
}

/* Checks shared by both populate forms, in Xen's order of discovery. */
static int populate_check(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t pages)
{
    if (!range_ok(gfn, pages) || domain_dying(d))
        return -XMM_EINVAL;
    /* Seed 002: nothing is populated over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn, pages))
        return -XMM_EBUSY;
    if (range_mapped(d, gfn, pages))
        return -XMM_EEXIST;
    if (pages > d->max_pages || d->tot_pages > d->max_pages - pages)
        return -XMM_EPERM;
    if (w->free_pages < pages)
        return -XMM_ENOMEM;
    return 0;
}

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
        p2m_write(w, d, gfn + i, p2m_pack(w->ram_base + idx, XMM_P2M_RAM_RW));
    }
}

int xmm_physmap_populate(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    if (!d)
        return -XMM_ESRCH;
    rc = populate_check(w, d, gfn.g, pages);
    if (!rc && d->opts.direct_map)
        rc = direct_range_free(w, gfn.g, pages);
    if (!rc)
        rc = p2m_reserve(w, d, gfn.g, pages);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    populate_commit(w, d, gfn.g, pages);
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

int xmm_physmap_populate_direct(struct xmm_world *w, xmm_domid_t dom, uint64_t pages,
                                xmm_gfn_t *first)
{
    struct xmm_domain *d = domain_find(w, dom);
    uint64_t gfn;

    if (!d)
        return -XMM_ESRCH;
    if (!d->opts.direct_map || pages == 0 || domain_dying(d))
        return -XMM_EINVAL;
    if (pages > d->max_pages || d->tot_pages > d->max_pages - pages)
        return -XMM_EPERM;
    if (!find_direct_run(w, d, pages, &gfn))
        return -XMM_ENOMEM;
    *first = xmm_gfn(gfn);
    return xmm_physmap_populate(w, dom, xmm_gfn(gfn), pages);
}

int xmm_physmap_decrease(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);

    if (!d)
        return -XMM_ESRCH;
    if (!range_ok(gfn.g, pages) || domain_dying(d))
        return -XMM_EINVAL;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t e = p2m_get(&d->p2m, gfn.g + i), mfn = p2m_entry_mfn(e);

        if (!e)
            return -XMM_ENOENT;
        if (!xmm_p2m_is_ram(p2m_entry_type(e)) || !frame_valid(w, mfn))
            return -XMM_EINVAL;
        if (w->frames[mfn - w->ram_base].owner != dom ||
            (w->frames[mfn - w->ram_base].count_info & XMM_PGC_xen_heap) ||
            !(w->frames[mfn - w->ram_base].count_info & XMM_PGC_allocated))
            return -XMM_EINVAL;
    }
    lock_take(w, LOCK_P2M);
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t mfn = p2m_entry_mfn(p2m_get(&d->p2m, gfn.g + i));
        int rc;

        p2m_write(w, d, gfn.g + i, 0);
        /* Like guest_remove_page's test-and-clear: an alias drops it once. */
        if (!(w->frames[mfn - w->ram_base].count_info & XMM_PGC_allocated))
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
    if (dom == from || gfn.g >= XMM_FRAME_LIMIT || from_gfn.g >= XMM_FRAME_LIMIT ||
        domain_dying(d))
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
    rc = physmap_replaceable(d, gfn.g);
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
    p2m_write(w, d, gfn.g,
              p2m_pack(mfn, st == XMM_P2M_RAM_RW ? XMM_P2M_MAP_FOREIGN_RW : XMM_P2M_MAP_FOREIGN_RO));
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
    if (!range_ok(gfn.g, pages) || !range_ok(mfn.m, pages) || domain_dying(d) ||
        !xmm_world_mfn_is_mmio(w, mfn, pages))
        return -XMM_EINVAL;
    /* Seed 002: no device is mapped over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn.g, pages))
        return -XMM_EBUSY;
    if (range_mapped(d, gfn.g, pages))
        return -XMM_EEXIST;
    rc = p2m_reserve(w, d, gfn.g, pages);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    for (uint64_t i = 0; i < pages; i++)
        p2m_write(w, d, gfn.g + i, p2m_pack(mfn.m + i, XMM_P2M_MMIO_DIRECT_DEV));
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_physmap_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn)
{
    const struct xmm_domain *d = domain_find(w, dom);

    /* A grant mapping goes with GNTTABOP_unmap_grant_ref, which owns its reference. */
    if (d && gfn.g < XMM_FRAME_LIMIT && physmap_replaceable(d, gfn.g))
        return -XMM_EINVAL;
    return xmm_p2m_remove(w, dom, gfn);
}
