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
static int direct_range_free(struct xmm_world *w, uint64_t gfn, uint64_t pages)
{
    if (!frame_valid(w, gfn) || !frame_valid(w, gfn + pages - 1))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn range [%#" PRIx64 ", %#" PRIx64 ") of a direct-mapped domain is not host RAM",
                        gfn, gfn + pages);
    for (uint64_t i = 0; i < pages; i++)
        if (!page_is_free(&w->frames[gfn - w->ram_base + i]))
            return xmm_fail(w, -XMM_ENOMEM,
                            "mfn %#" PRIx64 " (gfn == mfn, direct map) is not free", gfn + i);
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

int physmap_replaceable(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn)
{
    if (!overwrite_refused(w))
        return 0;
    if (!xmm_p2m_is_grant(p2m_entry_type(p2m_get(&d->p2m, gfn))))
        return 0;
    return xmm_fail(w, -XMM_EBUSY,
                    "gfn %#" PRIx64 " of %s holds a grant mapping: only unmap_grant_ref removes it",
                    gfn, DN(d->id));
}


/* Checks shared by populate and construction, in Xen's order of discovery. */
static int populate_check(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t pages)
{
    /* A dying domain: assign_pages refuses with EINVAL (the scenario contract). */
    if (!range_ok(gfn, pages))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn range [%#" PRIx64 ", +%" PRIu64 " pages) is empty or beyond the 40-bit frame limit",
                        gfn, pages);
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: assign_pages refuses a dying domain", DN(d->id),
                        xmm_domain_state_name(d->state));
    /* Seed 002: nothing is populated over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn, pages))
        return saferange_refuse(w, d, gfn, pages, -XMM_EBUSY);
    if (overwrite_refused(w) && range_mapped(d, gfn, pages))
        return xmm_fail(w, -XMM_EEXIST,
                        "%s already maps a gfn in [%#" PRIx64 ", %#" PRIx64 ") (physmap_overwrite: refuse)",
                        DN(d->id), gfn, gfn + pages);
    return 0;
}

static int allocation_check(struct xmm_world *w, const struct xmm_domain *d, uint64_t pages)
{
    if (pages > d->max_pages || d->tot_pages > d->max_pages - pages)
        return xmm_fail(w, -XMM_EPERM,
                        "%" PRIu64 " more pages would take %s over max_pages %" PRIu64 " (it has %" PRIu64 ")",
                        pages, DN(d->id), d->max_pages, d->tot_pages);
    if (w->free_pages < pages)
        return xmm_fail(w, -XMM_ENOMEM, "the heap has %" PRIu64 " free frames, %" PRIu64 " asked",
                        w->free_pages, pages);
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
static int direct_owned(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                        uint64_t pages)
{
    if (!frame_valid(w, gfn) || !frame_valid(w, gfn + pages - 1))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn range [%#" PRIx64 ", %#" PRIx64 ") of direct-mapped %s is not host RAM",
                        gfn, gfn + pages, DN(d->id));
    for (uint64_t i = 0; i < pages; i++) {
        const struct xmm_page *pg = &w->frames[gfn - w->ram_base + i];

        if (pg->owner != d->id || page_is_free(pg) || page_count(pg) == 0 ||
            page_count(pg) == XMM_PGC_count_mask)
            return xmm_fail(w, -XMM_ENOMEM,
                            "mfn %#" PRIx64 " is not a page %s owns (direct map: populate only gives back its own pages)",
                            gfn + i, DN(d->id));
        if (pg->count_info & XMM_PGC_xen_heap)
            return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " is a xenheap page shared with %s",
                            gfn + i, DN(d->id));
    }
    return 0;
}

int xmm_physmap_populate(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
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

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (!d->opts.direct_map)
        return xmm_fail(w, -XMM_EINVAL, "%s is not direct-mapped", DN(dom));
    rc = populate_check(w, d, gfn.g, pages);
    if (!rc)
        rc = direct_range_free(w, gfn.g, pages);
    if (!rc && range_mapped(d, gfn.g, pages)) /* construction never replaces */
        rc = xmm_fail(w, -XMM_EEXIST, "%s already maps a gfn in [%#" PRIx64 ", %#" PRIx64 ")",
                      DN(dom), gfn.g, gfn.g + pages);
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

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (!d->opts.direct_map || pages == 0 || domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s, %s, and %" PRIu64 " pages were asked", DN(dom),
                        d->opts.direct_map ? "direct-mapped" : "not direct-mapped",
                        xmm_domain_state_name(d->state), pages);
    rc = allocation_check(w, d, pages);
    if (rc == -XMM_EPERM)
        return rc;
    if (!find_direct_run(w, d, pages, &gfn))
        return xmm_fail(w, -XMM_ENOMEM, "no run of %" PRIu64 " free frames unmapped in %s",
                        pages, DN(dom));
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

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (!range_ok(gfn.g, pages))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn range [%#" PRIx64 ", +%" PRIu64 " pages) is empty or beyond the 40-bit frame limit",
                        gfn.g, pages);
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t e = p2m_get(&d->p2m, gfn.g + i);

        if (!e)
            return xmm_fail(w, -XMM_ENOENT, "%s maps nothing at gfn %#" PRIx64, DN(dom), gfn.g + i);
        if (!xmm_p2m_is_ram(p2m_entry_type(e)) || !physmap_own_page(w, dom, p2m_entry_mfn(e)))
            return xmm_fail(w, -XMM_EINVAL,
                            "gfn %#" PRIx64 " of %s maps %s mfn %#" PRIx64 ", not a RAM page it owns",
                            gfn.g + i, DN(dom), xmm_p2m_type_name(p2m_entry_type(e)),
                            p2m_entry_mfn(e));
    }
    /* guest_physmap_remove_page -> p2m_set_entry: refused once the domain is dying. */
    if (domain_dying(d))
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                        xmm_domain_state_name(d->state));
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

    xmm_err_clear(w);
    if (!d || !fd)
        return xmm_fail_no_domain(w, d ? from : dom);
    if (dom == from)
        return xmm_fail(w, -XMM_EINVAL, "%s cannot foreign-map its own memory", DN(dom));
    if (gfn.g >= XMM_FRAME_LIMIT || from_gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit",
                        gfn.g >= XMM_FRAME_LIMIT ? gfn.g : from_gfn.g);
    /* Seed 002: with a toolstack safe range, foreign mappings go only inside it. */
    if (!saferange_admits(w, d, gfn.g))
        return saferange_refuse(w, d, gfn.g, 1, -XMM_EINVAL);
    /* Seed 004: a direct-mapped domain's RAM is gfn == mfn; other mappings go in holes. */
    if (d->opts.direct_map && !physmap_gfn_is_hole(w, gfn.g))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn %#" PRIx64 " of direct-mapped %s is %s, not a hole for a foreign mapping",
                        gfn.g, DN(dom), frame_valid(w, gfn.g) ? "host RAM" : "a device region");
    se = p2m_get(&fd->p2m, from_gfn.g);
    st = p2m_entry_type(se);
    mfn = p2m_entry_mfn(se);
    if (!se)
        return xmm_fail(w, -XMM_EINVAL, "%s maps nothing at gfn %#" PRIx64, DN(from), from_gfn.g);
    if (!xmm_p2m_is_ram(st) || !frame_valid(w, mfn))
        return xmm_fail(w, -XMM_EINVAL,
                        "gfn %#" PRIx64 " of %s is %s mfn %#" PRIx64 ", not RAM (only RAM is foreign-mapped)",
                        from_gfn.g, DN(from), xmm_p2m_type_name(st), mfn);
    /* get_page(page, from) must succeed: check it before reserving. */
    pg = &w->frames[mfn - w->ram_base];
    if (page_is_free(pg) || pg->owner != from)
        return xmm_fail(w, -XMM_EINVAL,
                        "mfn %#" PRIx64 " at gfn %#" PRIx64 " of %s belongs to %s: get_page fails",
                        mfn, from_gfn.g, DN(from), page_is_free(pg) ? "the heap" : DN(pg->owner));
    if (page_count(pg) == 0 || page_count(pg) == XMM_PGC_count_mask)
        return xmm_fail(w, -XMM_EINVAL,
                        "mfn %#" PRIx64 " of %s has reference count %" PRIu32 ": get_page fails",
                        mfn, DN(from), page_count(pg));
    rc = physmap_replaceable(w, d, gfn.g);
    /* p2m_set_entry refuses once the mapping domain is dying. */
    if (!rc && domain_dying(d))
        rc = xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                      xmm_domain_state_name(d->state));
    if (!rc)
        rc = p2m_reserve(w, d, gfn.g, 1);
    if (rc)
        return rc;
    if (!page_get_quiet(w, xmm_mfn(mfn), from))
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

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (!range_ok(gfn.g, pages) || !range_ok(mfn.m, pages))
        return xmm_fail(w, -XMM_EINVAL,
                        "range of %" PRIu64 " pages at gfn %#" PRIx64 " / mfn %#" PRIx64 " is empty or beyond the 40-bit frame limit",
                        pages, gfn.g, mfn.m);
    if (!xmm_world_mfn_is_mmio(w, mfn, pages))
        return xmm_fail(w, -XMM_EINVAL,
                        "mfn range [%#" PRIx64 ", %#" PRIx64 ") is not inside one declared MMIO region",
                        mfn.m, mfn.m + pages);
    /* Seed 002: no device is mapped over the toolstack's safe range. */
    if (saferange_blocks(w, d, gfn.g, pages))
        return saferange_refuse(w, d, gfn.g, pages, -XMM_EBUSY);
    if (overwrite_refused(w) && range_mapped(d, gfn.g, pages))
        return xmm_fail(w, -XMM_EEXIST,
                        "%s already maps a gfn in [%#" PRIx64 ", %#" PRIx64 ") (physmap_overwrite: refuse)",
                        DN(dom), gfn.g, gfn.g + pages);
    /* map_mmio_regions -> p2m_set_entry: refused once the domain is dying. */
    if (domain_dying(d))
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                        xmm_domain_state_name(d->state));
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

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    e = p2m_get(&d->p2m, gfn.g);
    t = p2m_entry_type(e);
    mfn = p2m_entry_mfn(e);
    if (!e)
        return xmm_fail(w, -XMM_ENOENT, "%s maps nothing at gfn %#" PRIx64, DN(dom), gfn.g);
    if (!(xmm_p2m_is_ram(t) || xmm_p2m_is_grant(t) || xmm_p2m_is_foreign(t)) ||
        !frame_valid(w, mfn))
        return xmm_fail(w, -XMM_ENOENT,
                        "gfn %#" PRIx64 " of %s is %s: get_page_from_gfn finds no page",
                        gfn.g, DN(dom), xmm_p2m_type_name(t));
    pg = &w->frames[mfn - w->ram_base];
    if (xmm_p2m_is_foreign(t) ? page_count(pg) == 0 || page_is_free(pg)
                              : !physmap_own_page(w, dom, mfn))
        return xmm_fail(w, -XMM_ENOENT,
                        "mfn %#" PRIx64 " at gfn %#" PRIx64 " of %s is %s: get_page fails", mfn,
                        gfn.g, DN(dom),
                        page_is_free(pg) ? "free" : xmm_p2m_is_foreign(t) ? "unreferenced" : "not its own page");
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
