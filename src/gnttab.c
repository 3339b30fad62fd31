/*
 * libxmm - grant tables v1 (common/grant_table.c, arch/arm/mm.c).
 *
 * A domain's table: up to max_frames shared frames (xenheap frames shared
 * with the guest) of 512 v1 entries, with Xen's active entries (pin counts,
 * the pinned frame) beside them.  A domain's maptrack: the handles of the
 * grant mappings it holds, bounded by maptrack_frames x 512.
 *
 * The GFN at which a shared frame is mapped in its owner's P2M lives, by
 * policy, in the frame's type_info (xenheap_gfn=page_info, Xen since 2022)
 * or in a side array (xenheap_gfn=array, earlier Arm), which goes stale
 * when the guest removes the mapping itself (seed 001).
 */
#include "internal.h"

#define GNTPIN_MAX 0xFF /* Xen's pin counters are 8 bits per kind */

struct grant_entry {
    uint16_t flags;
    xmm_domid_t domid;
    uint64_t frame; /* gfn in the granter's P2M */
};

struct active_entry {
    uint32_t pin_rw, pin_ro;
    uint64_t mfn;
};

#define MT_INUSE 0x1
#define MT_RW 0x2

struct maptrack_entry {
    uint64_t gfn, mfn;
    xmm_grant_ref_t ref;
    uint32_t next_free;
    xmm_domid_t from;
    uint16_t flags;
};

struct gnttab {
    uint32_t max_frames, nr_frames;
    xmm_mfn_t *frames;            /* [max_frames] */
    uint64_t *array_gfn;          /* [max_frames], xenheap_gfn=array */
    struct grant_entry **shared;  /* [max_frames] -> [512] */
    struct active_entry **active; /* [max_frames] -> [512] */
    uint32_t maptrack_limit, maptrack_cap, maptrack_used, maptrack_free;
    struct maptrack_entry *maptrack;
};

#define EPF XMM_GRANT_ENTRIES_PER_FRAME

/* --- lifetime ------------------------------------------------------------- */

void gnttab_discard(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = d->gt;

    if (!gt)
        return;
    for (uint32_t i = 0; i < gt->max_frames; i++) {
        if (gt->shared)
            xmm_free(w, gt->shared[i], EPF * sizeof(struct grant_entry));
        if (gt->active)
            xmm_free(w, gt->active[i], EPF * sizeof(struct active_entry));
    }
    xmm_free(w, gt->frames, gt->max_frames * sizeof(*gt->frames));
    xmm_free(w, gt->array_gfn, gt->max_frames * sizeof(*gt->array_gfn));
    xmm_free(w, gt->shared, gt->max_frames * sizeof(*gt->shared));
    xmm_free(w, gt->active, gt->max_frames * sizeof(*gt->active));
    xmm_free(w, gt->maptrack, gt->maptrack_cap * sizeof(*gt->maptrack));
    xmm_free(w, gt, sizeof(*gt));
    d->gt = NULL;
}

int gnttab_init(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = xmm_alloc(w, sizeof(*gt));
    uint32_t n = d->opts.grant_frames;

    if (!gt)
        return -XMM_ENOMEM;
    d->gt = gt;
    gt->max_frames = n;
    gt->maptrack_limit = d->opts.maptrack_frames * XMM_MAPTRACK_PER_FRAME;
    gt->maptrack_free = XMM_NIL;
    gt->frames = xmm_alloc(w, n * sizeof(*gt->frames));
    gt->array_gfn = xmm_alloc(w, n * sizeof(*gt->array_gfn));
    gt->shared = xmm_alloc(w, n * sizeof(*gt->shared));
    gt->active = xmm_alloc(w, n * sizeof(*gt->active));
    if (!gt->frames || !gt->array_gfn || !gt->shared || !gt->active) {
        gnttab_discard(w, d);
        return -XMM_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        gt->array_gfn[i] = XMM_INVALID_GFN_RAW;
    return 0;
}

void gnttab_destroy(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = d->gt;

    if (!gt)
        return;
    for (uint32_t i = 0; i < gt->nr_frames; i++) {
        int rc = xmm_xenheap_free(w, gt->frames[i]);
        (void)rc;
        assert(rc == 0);
    }
    gnttab_discard(w, d);
}

/*
 * gnttab_grow_table in three steps so callers can reserve other things in
 * between: prepare allocates the memory and the xenheap frames for shared
 * frames nr_frames..want-1; commit shares them with the guest (cannot fail);
 * abort gives everything back.
 */
static void grow_abort(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    struct gnttab *gt = d->gt;

    for (uint32_t i = gt->nr_frames; i < want; i++) {
        xmm_free(w, gt->shared[i], EPF * sizeof(struct grant_entry));
        xmm_free(w, gt->active[i], EPF * sizeof(struct active_entry));
        gt->shared[i] = NULL;
        gt->active[i] = NULL;
        if (!xmm_mfn_eq(gt->frames[i], XMM_INVALID_MFN))
            xmm_xenheap_free(w, gt->frames[i]);
        gt->frames[i] = XMM_INVALID_MFN;
    }
}

static int grow_prepare(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    struct gnttab *gt = d->gt;

    if (want > gt->max_frames)
        return -XMM_EINVAL;
    for (uint32_t i = gt->nr_frames; i < want; i++)
        gt->frames[i] = XMM_INVALID_MFN;
    for (uint32_t i = gt->nr_frames; i < want; i++) {
        gt->shared[i] = xmm_alloc(w, EPF * sizeof(struct grant_entry));
        gt->active[i] = xmm_alloc(w, EPF * sizeof(struct active_entry));
        if (!gt->shared[i] || !gt->active[i] || xmm_xenheap_alloc(w, &gt->frames[i])) {
            grow_abort(w, d, want);
            return -XMM_ENOMEM;
        }
    }
    return 0;
}

static void grow_commit(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    struct gnttab *gt = d->gt;

    for (uint32_t i = gt->nr_frames; i < want; i++) {
        int rc = xmm_xenheap_share(w, gt->frames[i], d->id, false);
        (void)rc;
        assert(rc == 0);
    }
    if (want > gt->nr_frames)
        gt->nr_frames = want;
}

static int grow(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    int rc;

    if (want <= d->gt->nr_frames)
        return 0;
    rc = grow_prepare(w, d, want);
    if (!rc)
        grow_commit(w, d, want);
    return rc;
}

static struct grant_entry *entry_of(struct gnttab *gt, xmm_grant_ref_t ref)
{
    return &gt->shared[ref / EPF][ref % EPF];
}

static struct active_entry *active_of(struct gnttab *gt, xmm_grant_ref_t ref)
{
    return &gt->active[ref / EPF][ref % EPF];
}

/* --- guest side ------------------------------------------------------------ */

int xmm_gnttab_grant(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref, xmm_domid_t to,
                     xmm_gfn_t gfn, bool readonly)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct grant_entry *e;
    int rc;

    if (!d)
        return -XMM_ESRCH;
    if (domain_dying(d) || ref >= (uint64_t)d->gt->max_frames * EPF || gfn.g >= XMM_FRAME_LIMIT)
        return -XMM_EINVAL;
    if (ref < d->gt->nr_frames * EPF) {
        const struct active_entry *a = active_of(d->gt, ref);
        if (a->pin_rw || a->pin_ro)
            return -XMM_EBUSY;
    }
    lock_take(w, LOCK_GRANT);
    rc = grow(w, d, ref / EPF + 1);
    if (!rc) {
        e = entry_of(d->gt, ref);
        e->flags = XMM_GTF_permit_access | (readonly ? XMM_GTF_readonly : 0);
        e->domid = to;
        e->frame = gfn.g;
        domain_touch(w, d);
    }
    lock_release(w, LOCK_GRANT);
    return rc;
}

int xmm_gnttab_end(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct grant_entry *e;

    if (!d)
        return -XMM_ESRCH;
    if (ref >= d->gt->nr_frames * EPF)
        return -XMM_EINVAL;
    e = entry_of(d->gt, ref);
    if (!(e->flags & XMM_GTF_permit_access))
        return -XMM_EINVAL;
    if (e->flags & (XMM_GTF_reading | XMM_GTF_writing))
        return -XMM_EBUSY;
    memset(e, 0, sizeof(*e));
    domain_touch(w, d);
    return 0;
}

/* --- mapping --------------------------------------------------------------- */

/* A free maptrack handle, growing the table (doubling) within its limit. */
static int maptrack_get(struct xmm_world *w, struct gnttab *gt, uint32_t *handle)
{
    if (gt->maptrack_free == XMM_NIL) {
        uint32_t cap = gt->maptrack_cap ? gt->maptrack_cap * 2 : 64;
        struct maptrack_entry *n;

        if (gt->maptrack_cap >= gt->maptrack_limit)
            return XMM_GNTST_no_space;
        if (cap > gt->maptrack_limit)
            cap = gt->maptrack_limit;
        n = xmm_alloc(w, cap * sizeof(*n));
        if (!n)
            return XMM_GNTST_no_space;
        if (gt->maptrack_cap)
            memcpy(n, gt->maptrack, gt->maptrack_cap * sizeof(*n));
        for (uint32_t i = cap; i-- > gt->maptrack_cap;) {
            n[i].next_free = gt->maptrack_free;
            gt->maptrack_free = i;
        }
        xmm_free(w, gt->maptrack, gt->maptrack_cap * sizeof(*n));
        gt->maptrack = n;
        gt->maptrack_cap = cap;
    }
    *handle = gt->maptrack_free;
    return XMM_GNTST_okay;
}

/* Everything map_grant_ref checks before it changes anything. */
static int map_check(struct xmm_world *w, struct xmm_domain *ld, struct xmm_domain *rd,
                     xmm_grant_ref_t ref, uint64_t gfn, bool readonly, uint64_t *mfn)
{
    const struct grant_entry *e;
    const struct active_entry *a;
    const struct xmm_page *pg;
    uint64_t se;

    if (domain_dying(rd))
        return XMM_GNTST_general_error;
    if (gfn >= XMM_FRAME_LIMIT)
        return XMM_GNTST_bad_virt_addr;
    /* Seed 002: with a toolstack safe range, grant mappings go only inside it. */
    if (!saferange_admits(w, ld, gfn))
        return XMM_GNTST_bad_virt_addr;
    /* Seed 004: a direct-mapped domain maps grants only in holes (not RAM, not MMIO). */
    if (ld->opts.direct_map && !physmap_gfn_is_hole(w, gfn))
        return XMM_GNTST_bad_virt_addr;
    if (ref >= rd->gt->nr_frames * EPF)
        return XMM_GNTST_bad_gntref;
    e = entry_of(rd->gt, ref);
    a = active_of(rd->gt, ref);
    if (!(e->flags & XMM_GTF_permit_access) || e->domid != ld->id)
        return XMM_GNTST_general_error;
    if (!readonly && (e->flags & XMM_GTF_readonly))
        return XMM_GNTST_general_error;
    if ((readonly ? a->pin_ro : a->pin_rw) >= GNTPIN_MAX)
        return XMM_GNTST_general_error;
    se = p2m_get(&rd->p2m, e->frame);
    *mfn = p2m_entry_mfn(se);
    if (!se || !xmm_p2m_is_ram(p2m_entry_type(se)) || !frame_valid(w, *mfn) ||
        (!readonly && p2m_entry_type(se) != XMM_P2M_RAM_RW))
        return XMM_GNTST_general_error;
    pg = &w->frames[*mfn - w->ram_base];
    if (pg->owner != rd->id || page_count(pg) == 0 || page_count(pg) == XMM_PGC_count_mask)
        return XMM_GNTST_general_error;
    if (p2m_get(&ld->p2m, gfn))
        return XMM_GNTST_bad_virt_addr;
    if (ld->gt->maptrack_used >= ld->gt->maptrack_limit)
        return XMM_GNTST_no_space;
    return XMM_GNTST_okay;
}

int xmm_gnttab_map(struct xmm_world *w, xmm_domid_t dom, xmm_domid_t from, xmm_grant_ref_t ref,
                   xmm_gfn_t gfn, bool readonly, xmm_grant_handle_t *handle)
{
    struct xmm_domain *ld = domain_find(w, dom), *rd = domain_find(w, from);
    struct maptrack_entry *m;
    struct active_entry *a;
    uint64_t mfn = 0;
    uint32_t h;
    int rc;

    if (!ld || domain_dying(ld))
        return XMM_GNTST_general_error;
    if (!rd || from == dom)
        return XMM_GNTST_bad_domain;
    rc = map_check(w, ld, rd, ref, gfn.g, readonly, &mfn);
    if (rc == XMM_GNTST_okay)
        rc = maptrack_get(w, ld->gt, &h);
    if (rc == XMM_GNTST_okay && p2m_reserve(w, ld, gfn.g, 1))
        rc = XMM_GNTST_general_error;
    if (rc != XMM_GNTST_okay)
        return rc;

    if (!xmm_page_get(w, xmm_mfn(mfn), from))
        assert(!"get_page failed after map_check");
    lock_take(w, LOCK_GRANT);
    a = active_of(rd->gt, ref);
    if (readonly)
        a->pin_ro++;
    else
        a->pin_rw++;
    if (XMM_CANARY(XMM_CANARY_GRANT_PIN))
        readonly ? a->pin_ro-- : a->pin_rw--;
    a->mfn = mfn;
    entry_of(rd->gt, ref)->flags |= XMM_GTF_reading | (readonly ? 0 : XMM_GTF_writing);
    domain_touch(w, rd);
    lock_release(w, LOCK_GRANT);

    m = &ld->gt->maptrack[h];
    ld->gt->maptrack_free = m->next_free;
    ld->gt->maptrack_used++;
    m->gfn = gfn.g;
    m->mfn = mfn;
    m->ref = ref;
    m->from = from;
    m->flags = MT_INUSE | (readonly ? 0 : MT_RW);
    m->next_free = XMM_NIL;
    lock_take(w, LOCK_P2M);
    p2m_write(w, ld, gfn.g, p2m_pack(mfn, readonly ? XMM_P2M_GRANT_MAP_RO : XMM_P2M_GRANT_MAP_RW));
    lock_release(w, LOCK_P2M);
    *handle = h;
    return XMM_GNTST_okay;
}

/* Undo one mapping: P2M entry, page reference, pin, handle. */
static void unmap_one(struct xmm_world *w, struct xmm_domain *ld, uint32_t h)
{
    struct maptrack_entry *m = &ld->gt->maptrack[h];
    struct xmm_domain *rd = domain_find(w, m->from);
    uint64_t e = p2m_get(&ld->p2m, m->gfn);
    bool rw = m->flags & MT_RW;
    int rc;

    lock_take(w, LOCK_P2M);
    if (e && xmm_p2m_is_grant(p2m_entry_type(e)) && p2m_entry_mfn(e) == m->mfn)
        p2m_write(w, ld, m->gfn, 0);
    lock_release(w, LOCK_P2M);
    if (rd && rd->gt && m->ref < rd->gt->nr_frames * EPF) {
        struct active_entry *a = active_of(rd->gt, m->ref);
        struct grant_entry *ge = entry_of(rd->gt, m->ref);

        lock_take(w, LOCK_GRANT);
        if (rw && a->pin_rw)
            a->pin_rw--;
        else if (!rw && a->pin_ro)
            a->pin_ro--;
        if (!a->pin_rw)
            ge->flags &= (uint16_t)~XMM_GTF_writing;
        if (!a->pin_rw && !a->pin_ro)
            ge->flags &= (uint16_t)~XMM_GTF_reading;
        domain_touch(w, rd);
        lock_release(w, LOCK_GRANT);
    }
    m->flags = 0;
    m->next_free = ld->gt->maptrack_free;
    ld->gt->maptrack_free = h;
    ld->gt->maptrack_used--;
    domain_touch(w, ld);
    /* Last: dropping the reference may free the frame and its owner. */
    rc = xmm_page_put(w, xmm_mfn(m->mfn));
    (void)rc;
    assert(rc == 0);
}

int xmm_gnttab_unmap(struct xmm_world *w, xmm_domid_t dom, xmm_grant_handle_t handle)
{
    struct xmm_domain *ld = domain_find(w, dom);

    if (!ld)
        return XMM_GNTST_general_error;
    if (handle >= ld->gt->maptrack_cap || !(ld->gt->maptrack[handle].flags & MT_INUSE))
        return XMM_GNTST_bad_handle;
    unmap_one(w, ld, handle);
    return XMM_GNTST_okay;
}

int gnttab_release_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    struct gnttab *gt = d->gt;

    for (; d->kill_cursor < gt->maptrack_cap; d->kill_cursor++) {
        if (!(gt->maptrack[d->kill_cursor].flags & MT_INUSE))
            continue;
        if (*budget == 0)
            return -XMM_ERESTART;
        (*budget)--;
        unmap_one(w, d, (uint32_t)d->kill_cursor);
    }
    return 0;
}

/* --- XENMAPSPACE_grant_table ---------------------------------------------- */

/* The P2M side, under the P2M lock: map, record the GFN.  Cannot fail. */
static void map_frame_p2m(struct xmm_world *w, struct xmm_domain *d, uint32_t idx, uint64_t gfn)
{
    struct gnttab *gt = d->gt;
    uint64_t mfn = gt->frames[idx].m;
    uint32_t fi = (uint32_t)(mfn - w->ram_base);

    if (w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY &&
        gt->array_gfn[idx] != XMM_INVALID_GFN_RAW) {
        /* Pre-2022: remove by the remembered GFN, whatever is there now. */
        if (p2m_get(&d->p2m, gt->array_gfn[idx]))
            p2m_write(w, d, gt->array_gfn[idx], 0);
        gt->array_gfn[idx] = XMM_INVALID_GFN_RAW;
    }
    p2m_write(w, d, gfn, p2m_pack(mfn, XMM_P2M_RAM_RW));
    if (w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY) {
        gt->array_gfn[idx] = gfn;
    } else {
        struct xmm_page *pg = frame_touch(w, fi);

        pg->type_info = (pg->type_info & ~XMM_PGT_gfn_mask) | gfn;
    }
    hist_add(w, fi, XMM_EV_SET_GFN, d->id, gfn, 0);
    domain_touch(w, d);
}

int xmm_gnttab_map_frame(struct xmm_world *w, xmm_domid_t dom, uint32_t idx, xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);
    bool grant_guards_gfn = w->policy.gfn_lock == XMM_GFN_LOCK_GRANT;
    int rc;

    if (!d)
        return -XMM_ESRCH;
    if (domain_dying(d) || idx >= d->gt->max_frames || gfn.g >= XMM_FRAME_LIMIT)
        return -XMM_EINVAL;
    /* Seed 002: a grant-table frame is a RAM mapping: never inside the safe range. */
    if (saferange_blocks(w, d, gfn.g, 1))
        return -XMM_EBUSY;
    rc = physmap_replaceable(d, gfn.g);
    if (rc)
        return rc;
    /* page_info: the frame records where it is mapped; unmap it first. */
    if (idx < d->gt->nr_frames && w->policy.xenheap_gfn == XMM_XENHEAP_GFN_PAGE_INFO &&
        !xmm_gfn_eq(xmm_page_xenheap_gfn(w, d->gt->frames[idx]), XMM_INVALID_GFN))
        return -XMM_EBUSY;
    lock_take(w, LOCK_GRANT);
    rc = grow_prepare(w, d, idx + 1 > d->gt->nr_frames ? idx + 1 : d->gt->nr_frames);
    if (!rc) {
        rc = p2m_reserve(w, d, gfn.g, 1);
        if (rc)
            grow_abort(w, d, idx + 1 > d->gt->nr_frames ? idx + 1 : d->gt->nr_frames);
        else
            grow_commit(w, d, idx + 1);
    }
    if (!grant_guards_gfn)
        lock_release(w, LOCK_GRANT);
    if (!rc) {
        /* RFC v3 took the P2M lock here with the grant lock still held. */
        lock_take(w, LOCK_P2M);
        map_frame_p2m(w, d, idx, gfn.g);
        lock_release(w, LOCK_P2M);
    }
    if (grant_guards_gfn)
        lock_release(w, LOCK_GRANT);
    return rc;
}

/* --- queries and checks ---------------------------------------------------- */

int xmm_gnttab_entry(const struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref,
                     struct xmm_grant_info *out)
{
    const struct xmm_domain *d = domain_find(w, dom);
    const struct grant_entry *e;
    const struct active_entry *a;

    memset(out, 0, sizeof(*out));
    if (!d)
        return -XMM_ESRCH;
    if (ref >= d->gt->nr_frames * EPF)
        return -XMM_EINVAL;
    e = entry_of(d->gt, ref);
    a = active_of(d->gt, ref);
    out->flags = e->flags;
    out->domid = e->domid;
    out->frame = xmm_gfn(e->frame);
    out->pins_rw = a->pin_rw;
    out->pins_ro = a->pin_ro;
    return 0;
}

uint32_t xmm_gnttab_nr_frames(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return d ? d->gt->nr_frames : 0;
}

uint32_t xmm_gnttab_maptrack_used(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return d ? d->gt->maptrack_used : 0;
}

xmm_mfn_t xmm_gnttab_frame_mfn(const struct xmm_world *w, xmm_domid_t dom, uint32_t idx)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return (d && idx < d->gt->nr_frames) ? d->gt->frames[idx] : XMM_INVALID_MFN;
}

bool gnttab_mapping_live(const struct xmm_domain *d, uint64_t gfn, uint64_t mfn)
{
    const struct gnttab *gt = d->gt;

    for (uint32_t i = 0; gt && i < gt->maptrack_cap; i++) {
        const struct maptrack_entry *m = &gt->maptrack[i];
        if ((m->flags & MT_INUSE) && m->gfn == gfn && m->mfn == mfn)
            return true;
    }
    return false;
}

void gnttab_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep)
{
    const struct gnttab *gt = d->gt;

    if (!gt)
        return;
    for (uint32_t i = 0; i < gt->nr_frames && w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY;
         i++) {
        uint64_t g = gt->array_gfn[i], e;

        if (g == XMM_INVALID_GFN_RAW)
            continue;
        e = p2m_get(&d->p2m, g);
        if (!e || p2m_entry_mfn(e) != gt->frames[i].m || !xmm_p2m_is_ram(p2m_entry_type(e)))
            check_report(rep, XMM_INV_XENHEAP_GFN, XMM_SUBJECT_FRAME, gt->frames[i].m, d->id, g,
                         "grant frame %u of d%u records gfn %#llx (side array), which maps %s",
                         i, (unsigned)d->id, (unsigned long long)g,
                         e ? xmm_p2m_type_name(p2m_entry_type(e)) : "nothing");
    }
    for (uint32_t i = 0; i < gt->maptrack_cap; i++) {
        const struct maptrack_entry *m = &gt->maptrack[i];
        uint64_t e;

        if (!(m->flags & MT_INUSE))
            continue;
        e = p2m_get(&d->p2m, m->gfn);
        if (!e || !xmm_p2m_is_grant(p2m_entry_type(e)) || p2m_entry_mfn(e) != m->mfn)
            check_report(rep, XMM_INV_P2M_TYPE, XMM_SUBJECT_P2M, m->mfn, d->id, m->gfn,
                         "maptrack handle %u maps gfn %#llx but the P2M holds %s", i,
                         (unsigned long long)m->gfn,
                         e ? xmm_p2m_type_name(p2m_entry_type(e)) : "nothing");
    }
}
