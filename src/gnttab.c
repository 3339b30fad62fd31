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
#include "gnttab_priv.h"
#include "physmap_priv.h"
#include "saferange_priv.h"

/*
 * Xen's pin counters are 8 bits per kind (host/device, read/write), and
 * map_grant_ref refuses a map while the counter it would raise has its top
 * bit set (GNTPIN_incr2oflow_mask): at most 128 maps of one kind per entry.
 */
#define GNTPIN_OFLOW 0x80

struct grant_entry {
    uint16_t flags;
    xmm_domid_t domid;
    uint64_t frame; /* gfn in the granter's P2M */
};

struct active_entry {
    uint32_t pin_rw, pin_ro;
    uint64_t mfn;
    /*
     * The checker's index (grant_pin): maptrack entries of any domain that
     * name this entry, read-write and read-only.  Kept where maptrack
     * entries are filled and freed, never where pins change, so a pin
     * taken or dropped without its mapping shows up.
     */
    uint32_t mt_rw, mt_ro;
};

/*
 * One shared frame of the table.  `used` is 1 + the highest index of the
 * frame handed out for writing (entry_of, active_of), in its shared or its
 * active entries: every entry at or above it has never been written and is
 * all zero in both, so the digest stops there.  It only grows (a hint for
 * the digest, not state of the model: nothing decides on it).
 */
struct grant_frame {
    struct grant_entry e[XMM_GRANT_ENTRIES_PER_FRAME];
    uint32_t used;
};

#define MT_INUSE 0x1
#define MT_RW 0x2
#define MT_TAIL UINT32_MAX /* MAPTRACK_TAIL: end of the free list */

/*
 * struct grant_mapping: in use, the granter (with its incarnation, so a
 * record can never be taken for one of a later domain with the same id)
 * and the ref; free, `ref` links the free list as in Xen.
 */
struct maptrack_entry {
    uint64_t gfn, mfn;
    uint64_t from_inc;
    xmm_grant_ref_t ref;
    xmm_domid_t from;
    uint16_t flags;
};

struct gnttab {
    uint32_t max_frames, nr_frames;
    xmm_mfn_t *frames;            /* [max_frames] */
    uint64_t *array_gfn;          /* [max_frames], xenheap_gfn=array */
    struct grant_frame **shared;  /* [max_frames] -> 512 entries */
    struct active_entry **active; /* [max_frames] -> [512] */
    /*
     * The maptrack as Xen keeps it for a domain with one vCPU: frames of
     * XMM_MAPTRACK_PER_FRAME entries added one at a time up to mt_max, and
     * a free list with a head and a tail (get_maptrack_handle takes at the
     * head and always leaves one entry; put_maptrack_handle appends).
     */
    uint32_t mt_max, mt_frames, mt_head, mt_tail, maptrack_used;
    struct maptrack_entry **mt; /* [mt_max] -> [XMM_MAPTRACK_PER_FRAME] */
};

#define EPF XMM_GRANT_ENTRIES_PER_FRAME
#define MPF XMM_MAPTRACK_PER_FRAME

static inline uint32_t mt_limit(const struct gnttab *gt) { return gt->mt_frames * MPF; }

static inline struct maptrack_entry *mt_entry(const struct gnttab *gt, uint32_t h)
{
    return &gt->mt[h / MPF][h % MPF];
}

/* --- lifetime ------------------------------------------------------------- */

void gnttab_discard(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = gnttab_of(d);

    if (!gt)
        return;
    for (uint32_t i = 0; i < gt->max_frames; i++) {
        if (gt->shared)
            xmm_free(w, gt->shared[i], sizeof(struct grant_frame));
        if (gt->active)
            xmm_free(w, gt->active[i], EPF * sizeof(struct active_entry));
    }
    xmm_free(w, gt->frames, gt->max_frames * sizeof(*gt->frames));
    xmm_free(w, gt->array_gfn, gt->max_frames * sizeof(*gt->array_gfn));
    xmm_free(w, gt->shared, gt->max_frames * sizeof(*gt->shared));
    xmm_free(w, gt->active, gt->max_frames * sizeof(*gt->active));
    for (uint32_t i = 0; gt->mt && i < gt->mt_frames; i++)
        xmm_free(w, gt->mt[i], MPF * sizeof(struct maptrack_entry));
    xmm_free(w, gt->mt, gt->mt_max * sizeof(*gt->mt));
    xmm_free(w, gt, sizeof(*gt));
    d->mod[XMM_MOD_GNTTAB] = NULL;
}

int gnttab_init(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = xmm_alloc(w, sizeof(*gt));
    uint32_t n = d->opts.grant_frames;

    if (!gt)
        return -XMM_ENOMEM;
    d->mod[XMM_MOD_GNTTAB] = gt;
    gt->max_frames = n;
    gt->mt_max = d->opts.maptrack_frames;
    gt->mt_head = gt->mt_tail = MT_TAIL;
    gt->frames = xmm_alloc(w, n * sizeof(*gt->frames));
    gt->array_gfn = xmm_alloc(w, n * sizeof(*gt->array_gfn));
    gt->shared = xmm_alloc(w, n * sizeof(*gt->shared));
    gt->active = xmm_alloc(w, n * sizeof(*gt->active));
    /* Slots are filled as maptrack frames are added; none past mt_frames is read. */
    gt->mt = xmm_alloc_raw(w, gt->mt_max * sizeof(*gt->mt));
    if (!gt->frames || !gt->array_gfn || !gt->shared || !gt->active || !gt->mt) {
        gnttab_discard(w, d);
        return -XMM_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        gt->array_gfn[i] = XMM_INVALID_GFN_RAW;
    return 0;
}

void gnttab_destroy(struct xmm_world *w, struct xmm_domain *d)
{
    struct gnttab *gt = gnttab_of(d);

    if (!gt)
        return;
    for (uint32_t i = 0; i < gt->nr_frames; i++) {
        int rc = xenheap_free_own(w, d->id, gt->frames[i]);
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
    struct gnttab *gt = gnttab_of(d);

    for (uint32_t i = gt->nr_frames; i < want; i++) {
        xmm_free(w, gt->shared[i], sizeof(struct grant_frame));
        xmm_free(w, gt->active[i], EPF * sizeof(struct active_entry));
        gt->shared[i] = NULL;
        gt->active[i] = NULL;
        if (!xmm_mfn_eq(gt->frames[i], XMM_INVALID_MFN))
            (void)xenheap_free_own(w, XMM_DOMID_XEN, gt->frames[i]);
        gt->frames[i] = XMM_INVALID_MFN;
    }
}

static int grow_prepare(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    struct gnttab *gt = gnttab_of(d);

    if (want > gt->max_frames)
        return xmm_fail(w, -XMM_EINVAL, "%s's grant table has at most %" PRIu32 " frames, %" PRIu32 " needed",
                        DN(d->id), gt->max_frames, want);
    for (uint32_t i = gt->nr_frames; i < want; i++)
        gt->frames[i] = XMM_INVALID_MFN;
    for (uint32_t i = gt->nr_frames; i < want; i++) {
        gt->shared[i] = xmm_alloc(w, sizeof(struct grant_frame));
        gt->active[i] = xmm_alloc(w, EPF * sizeof(struct active_entry));
        if (!gt->shared[i] || !gt->active[i] || xmm_xenheap_alloc(w, &gt->frames[i])) {
            grow_abort(w, d, want);
            return xmm_fail(w, -XMM_ENOMEM, "no memory or free frame for grant-table frame %" PRIu32 " of %s",
                            i, DN(d->id));
        }
    }
    return 0;
}

static void grow_commit(struct xmm_world *w, struct xmm_domain *d, uint32_t want)
{
    struct gnttab *gt = gnttab_of(d);

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

    if (want <= gnttab_of(d)->nr_frames)
        return 0;
    rc = grow_prepare(w, d, want);
    if (!rc)
        grow_commit(w, d, want);
    return rc;
}

/* Entry ref of a table that has its frame, to read. */
static const struct grant_entry *entry_at(const struct gnttab *gt, xmm_grant_ref_t ref)
{
    return &gt->shared[ref / EPF]->e[ref % EPF];
}

static const struct active_entry *active_at(const struct gnttab *gt, xmm_grant_ref_t ref)
{
    return &gt->active[ref / EPF][ref % EPF];
}

/* The frame's high-water mark covers ref: it may be written from now on. */
static void frame_use(struct gnttab *gt, xmm_grant_ref_t ref)
{
    struct grant_frame *f = gt->shared[ref / EPF];

    if (f->used <= ref % EPF)
        f->used = ref % EPF + 1;
}

/* Entry ref, to write. */
static struct grant_entry *entry_of(struct gnttab *gt, xmm_grant_ref_t ref)
{
    frame_use(gt, ref);
    return &gt->shared[ref / EPF]->e[ref % EPF];
}

static struct active_entry *active_of(struct gnttab *gt, xmm_grant_ref_t ref)
{
    frame_use(gt, ref);
    return &gt->active[ref / EPF][ref % EPF];
}

/*
 * For the checker's own tests (tests/unit/corrupt.h): the pin count of d's
 * entry `ref` of one kind, or NULL when there is no such entry.
 */
uint32_t *gnttab_pin_slot(struct xmm_domain *d, xmm_grant_ref_t ref, bool rw)
{
    struct gnttab *gt = gnttab_of(d);
    struct active_entry *a;

    if (!gt || ref >= gt->nr_frames * EPF)
        return NULL;
    a = active_of(gt, ref);
    return rw ? &a->pin_rw : &a->pin_ro;
}

/* --- guest side ------------------------------------------------------------ */

int xmm_gnttab_grant(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref, xmm_domid_t to,
                     xmm_gfn_t gfn, bool readonly)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct grant_entry *e;
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: it grants nothing any more", DN(dom),
                        xmm_domain_state_name(d->state));
    if (ref >= (uint64_t)gnttab_of(d)->max_frames * EPF)
        return xmm_fail(w, -XMM_EINVAL, "ref %" PRIu32 " is beyond %s's grant table (%u refs)", ref,
                        DN(dom), (unsigned)(gnttab_of(d)->max_frames * EPF));
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    if (ref < gnttab_of(d)->nr_frames * EPF) {
        const struct active_entry *a = active_at(gnttab_of(d), ref);
        if (a->pin_rw || a->pin_ro)
            return xmm_fail(w, -XMM_EBUSY, "ref %" PRIu32 " of %s is mapped by %s (%u pins): it cannot be rewritten",
                            ref, DN(dom), DN(entry_at(gnttab_of(d), ref)->domid),
                            (unsigned)(a->pin_rw + a->pin_ro));
    }
    lock_take(w, LOCK_GRANT);
    rc = grow(w, d, ref / EPF + 1);
    if (!rc) {
        e = entry_of(gnttab_of(d), ref);
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
    const struct grant_entry *e;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (ref >= gnttab_of(d)->nr_frames * EPF)
        return xmm_fail(w, -XMM_EINVAL, "ref %" PRIu32 " is beyond %s's grant table (%u refs in use)",
                        ref, DN(dom), (unsigned)(gnttab_of(d)->nr_frames * EPF));
    e = entry_at(gnttab_of(d), ref);
    if (!(e->flags & XMM_GTF_permit_access))
        return xmm_fail(w, -XMM_EINVAL, "ref %" PRIu32 " of %s grants nothing", ref, DN(dom));
    if (e->flags & (XMM_GTF_reading | XMM_GTF_writing))
        return xmm_fail(w, -XMM_EBUSY, "ref %" PRIu32 " of %s is still mapped by %s", ref, DN(dom),
                        DN(e->domid));
    memset(entry_of(gnttab_of(d), ref), 0, sizeof(*e));
    domain_touch(w, d);
    return 0;
}

/* --- maptrack -------------------------------------------------------------- */

/*
 * get_maptrack_handle, split so that a map that fails leaves the free list
 * as it was: mt_claim says which handle the map would take, allocating the
 * maptrack frame Xen would add for it; mt_take commits, mt_abort gives the
 * frame back.  (Xen takes the handle first and puts it back, at the tail,
 * when a later check fails: see docs/semantics.md.)
 */
struct mt_claim {
    struct maptrack_entry *frame; /* a frame to add, or NULL */
    uint32_t handle;
};

static int mt_claim(struct xmm_world *w, const struct xmm_domain *ld, struct mt_claim *c)
{
    const struct gnttab *gt = gnttab_of(ld);

    c->frame = NULL;
    c->handle = MT_TAIL;
    /* The last free entry is never handed out: frees are appended to it. */
    if (gt->mt_head != MT_TAIL && mt_entry(gt, gt->mt_head)->ref != MT_TAIL) {
        c->handle = gt->mt_head;
        return XMM_GNTST_okay;
    }
    /* Xen would steal from another vCPU's list: a domain here has one vCPU. */
    if (gt->mt_frames >= gt->mt_max)
        return xmm_fail(w, XMM_GNTST_no_space,
                        "%s's maptrack is full (%" PRIu32 " frames, maptrack_frames %" PRIu32 ")",
                        DN(ld->id), gt->mt_frames, gt->mt_max);
    c->frame = xmm_alloc(w, MPF * sizeof(*c->frame));
    if (!c->frame)
        return xmm_fail(w, XMM_GNTST_no_space, "no memory for a maptrack frame of %s", DN(ld->id));
    c->handle = mt_limit(gt);
    return XMM_GNTST_okay;
}

static void mt_abort(struct xmm_world *w, struct mt_claim *c)
{
    xmm_free(w, c->frame, MPF * sizeof(*c->frame));
    c->frame = NULL;
}

/* Take the claimed handle off the free list (cannot fail). */
static void mt_take(struct gnttab *gt, const struct mt_claim *c)
{
    if (c->frame) {
        uint32_t base = mt_limit(gt);

        /* Xen hands out the new frame's first entry and puts the rest in front. */
        for (uint32_t i = 0; i < MPF; i++)
            c->frame[i].ref = base + i + 1;
        c->frame[MPF - 1].ref = gt->mt_head;
        if (gt->mt_tail == MT_TAIL)
            gt->mt_tail = base + MPF - 1;
        gt->mt[gt->mt_frames++] = c->frame;
        gt->mt_head = base + 1;
    } else {
        assert(c->handle == gt->mt_head);
        gt->mt_head = mt_entry(gt, c->handle)->ref;
    }
    gt->maptrack_used++;
}

/* put_maptrack_handle: a freed handle goes to the tail of the free list. */
static void mt_put(struct gnttab *gt, uint32_t h)
{
    struct maptrack_entry *m = mt_entry(gt, h);

    assert(gt->mt_tail != MT_TAIL && gt->maptrack_used > 0);
    m->flags = 0;
    m->ref = MT_TAIL;
    mt_entry(gt, gt->mt_tail)->ref = h;
    gt->mt_tail = h;
    gt->maptrack_used--;
}

/* --- mapping --------------------------------------------------------------- */

/*
 * get_paged_frame on Arm (check_get_page_from_gfn, p2m_get_page_from_gfn):
 * the granted gfn must map RAM, a grant or a foreign page that the granter
 * can take a reference on; a foreign page is refused after all.  An
 * unmapped or MMIO gfn, another domain's page (a grant or foreign mapping),
 * or a P2M already torn down (a zombie granter) give GNTST_bad_page.  Arm
 * ignores whether the map is read-only: a write map of a ram_ro gfn passes.
 */
static int get_paged_frame(struct xmm_world *w, const struct xmm_domain *rd,
                           xmm_grant_ref_t ref, uint64_t gfn, uint64_t *mfn)
{
    uint64_t e = gfn < XMM_FRAME_LIMIT ? p2m_get(&rd->p2m, gfn) : 0;
    enum xmm_p2m_type t = p2m_entry_type(e);
    const struct xmm_page *pg;

    *mfn = p2m_entry_mfn(e);
    if (!e)
        return xmm_fail(w, XMM_GNTST_bad_page,
                        "ref %" PRIu32 " of %s grants gfn %#" PRIx64 ", where %s maps nothing%s", ref,
                        DN(rd->id), gfn, DN(rd->id),
                        rd->state == XMM_DOMAIN_ZOMBIE ? " (a zombie: its P2M is gone)" : "");
    if (!(xmm_p2m_is_ram(t) || xmm_p2m_is_grant(t)) || !frame_valid(w, *mfn))
        return xmm_fail(w, XMM_GNTST_bad_page,
                        "ref %" PRIu32 " of %s grants gfn %#" PRIx64 ", which is %s: not a page to grant",
                        ref, DN(rd->id), gfn, xmm_p2m_type_name(t));
    pg = &w->frames[*mfn - w->ram_base];
    if (page_is_free(pg) || pg->owner != rd->id || page_count(pg) == 0 ||
        page_count(pg) == XMM_PGC_count_mask)
        return xmm_fail(w, XMM_GNTST_bad_page,
                        "ref %" PRIu32 " of %s grants gfn %#" PRIx64 " = mfn %#" PRIx64 ", which belongs to %s (count %" PRIu32 "): get_page fails",
                        ref, DN(rd->id), gfn, *mfn, page_is_free(pg) ? "the heap" : DN(pg->owner),
                        page_count(pg));
    return XMM_GNTST_okay;
}

/*
 * Everything map_grant_ref checks once it holds a handle, in its order:
 * the ref, the active entry (pinned by another domain, pin overflow), the
 * shared entry (_set_status), the frame, then the host mapping.
 */
static int map_check(struct xmm_world *w, const struct xmm_domain *ld,
                     const struct xmm_domain *rd, xmm_grant_ref_t ref, uint64_t gfn,
                     bool readonly, uint64_t *mfn)
{
    const struct grant_entry *e;
    const struct active_entry *a;
    bool pinned;

    if (ref >= gnttab_of(rd)->nr_frames * EPF)
        return xmm_fail(w, XMM_GNTST_bad_gntref, "ref %" PRIu32 " is beyond %s's grant table (%u refs in use)",
                        ref, DN(rd->id), (unsigned)(gnttab_of(rd)->nr_frames * EPF));
    e = entry_at(gnttab_of(rd), ref);
    a = active_at(gnttab_of(rd), ref);
    pinned = a->pin_rw || a->pin_ro;
    /* The entry cannot be rewritten while pinned: its domid is the active one. */
    if (pinned && e->domid != ld->id)
        return xmm_fail(w, XMM_GNTST_general_error, "ref %" PRIu32 " of %s is granted to %s, not %s",
                        ref, DN(rd->id), DN(e->domid), DN(ld->id));
    if (pinned && ((readonly ? a->pin_ro : a->pin_rw) & GNTPIN_OFLOW))
        return xmm_fail(w, XMM_GNTST_general_error, "ref %" PRIu32 " of %s has too many %s pins",
                        ref, DN(rd->id), readonly ? "read-only" : "writable");
    if (!pinned && !(e->flags & XMM_GTF_permit_access))
        return xmm_fail(w, XMM_GNTST_general_error, "ref %" PRIu32 " of %s grants nothing", ref,
                        DN(rd->id));
    if (!pinned && e->domid != ld->id)
        return xmm_fail(w, XMM_GNTST_general_error, "ref %" PRIu32 " of %s is granted to %s, not %s",
                        ref, DN(rd->id), DN(e->domid), DN(ld->id));
    if (!readonly && !a->pin_rw && (e->flags & XMM_GTF_readonly))
        return xmm_fail(w, XMM_GNTST_general_error,
                        "ref %" PRIu32 " of %s is granted read-only: a writable map is refused", ref,
                        DN(rd->id));
    if (pinned) {
        const struct xmm_page *pg = frame_valid(w, a->mfn) ? &w->frames[a->mfn - w->ram_base]
                                                            : NULL;

        *mfn = a->mfn;
        /* page_get_owner_and_reference, and the owner must be the granter. */
        if (!pg || page_is_free(pg) || pg->owner != rd->id || page_count(pg) == 0 ||
            page_count(pg) == XMM_PGC_count_mask)
            return xmm_fail(w, XMM_GNTST_general_error,
                            "mfn %#" PRIx64 " pinned by ref %" PRIu32 " of %s no longer belongs to %s",
                            a->mfn, ref, DN(rd->id), DN(rd->id));
    } else {
        int rc = get_paged_frame(w, rd, ref, e->frame, mfn);

        if (rc != XMM_GNTST_okay)
            return rc;
    }
    /* create_grant_host_mapping, with libxmm's own refusals (semantics.md). */
    if (gfn >= XMM_FRAME_LIMIT)
        return xmm_fail(w, XMM_GNTST_bad_virt_addr, "gfn %#" PRIx64 " is beyond the 40-bit frame limit",
                        gfn);
    /* Seed 002: with a toolstack safe range, grant mappings go only inside it. */
    if (!saferange_admits(w, ld, gfn))
        return saferange_refuse(w, ld, gfn, 1, XMM_GNTST_bad_virt_addr);
    /* Seed 004: a direct-mapped domain maps grants only in holes (not RAM, not MMIO). */
    if (ld->opts.direct_map && !physmap_gfn_is_hole(w, gfn))
        return xmm_fail(w, XMM_GNTST_bad_virt_addr,
                        "gfn %#" PRIx64 " of direct-mapped %s is %s, not a hole for a grant mapping",
                        gfn, DN(ld->id), frame_valid(w, gfn) ? "host RAM" : "a device region");
    if (p2m_get(&ld->p2m, gfn))
        return xmm_fail(w, XMM_GNTST_bad_virt_addr, "%s already maps %s at gfn %#" PRIx64, DN(ld->id),
                        xmm_p2m_type_name(p2m_entry_type(p2m_get(&ld->p2m, gfn))), gfn);
    return XMM_GNTST_okay;
}

int xmm_gnttab_map(struct xmm_world *w, xmm_domid_t dom, xmm_domid_t from, xmm_grant_ref_t ref,
                   xmm_gfn_t gfn, bool readonly, xmm_grant_handle_t *handle)
{
    struct xmm_domain *ld = domain_find(w, dom), *rd = domain_find(w, from);
    struct maptrack_entry *m;
    struct active_entry *a;
    struct mt_claim claim;
    uint64_t mfn = 0;
    int rc;

    xmm_err_clear(w);
    /* A dying domain runs no more hypercalls. */
    if (!ld)
        return xmm_fail(w, XMM_GNTST_general_error, "there is no domain %s", DN(dom));
    if (domain_dying(ld))
        return xmm_fail(w, XMM_GNTST_general_error, "%s is %s: it makes no more hypercalls", DN(dom),
                        xmm_domain_state_name(ld->state));
    /*
     * Any domain that still exists may be the granter: the mapper itself
     * (map_grant_ref has no ld == rd refusal), a dying one whose P2M is
     * still there, a zombie (whose P2M is gone: GNTST_bad_page below).
     */
    if (!rd)
        return xmm_fail(w, XMM_GNTST_bad_domain, "there is no granter domain %s", DN(from));
    /* The handle comes first: a full maptrack wins over a bad ref. */
    rc = mt_claim(w, ld, &claim);
    if (rc == XMM_GNTST_okay)
        rc = map_check(w, ld, rd, ref, gfn.g, readonly, &mfn);
    if (rc == XMM_GNTST_okay && p2m_reserve(w, ld, gfn.g, 1))
        rc = XMM_GNTST_general_error; /* p2m_reserve gave the reason */
    if (rc != XMM_GNTST_okay) {
        mt_abort(w, &claim);
        return rc;
    }

    if (!page_get_quiet(w, xmm_mfn(mfn), from))
        assert(!"get_page failed after map_check");
    lock_take(w, LOCK_GRANT);
    a = active_of(gnttab_of(rd), ref);
    if (readonly)
        a->pin_ro++;
    else
        a->pin_rw++;
    if (XMM_CANARY(XMM_CANARY_GRANT_PIN))
        readonly ? a->pin_ro-- : a->pin_rw--;
    a->mfn = mfn;
    entry_of(gnttab_of(rd), ref)->flags |= XMM_GTF_reading | (readonly ? 0 : XMM_GTF_writing);
    domain_touch(w, rd);
    lock_release(w, LOCK_GRANT);

    mt_take(gnttab_of(ld), &claim);
    m = mt_entry(gnttab_of(ld), claim.handle);
    m->gfn = gfn.g;
    m->mfn = mfn;
    m->ref = ref;
    m->from = from;
    m->from_inc = rd->inc;
    m->flags = MT_INUSE | (readonly ? 0 : MT_RW);
    readonly ? a->mt_ro++ : a->mt_rw++; /* grant_pin's index */
    w->rmap[mfn - w->ram_base].refs++; /* the maptrack entry holds the reference */
    domain_touch(w, ld);
    lock_take(w, LOCK_P2M);
    p2m_write(w, ld, gfn.g, p2m_pack(mfn, readonly ? XMM_P2M_GRANT_MAP_RO : XMM_P2M_GRANT_MAP_RW));
    lock_release(w, LOCK_P2M);
    hist_add(w, (uint32_t)(mfn - w->ram_base), XMM_EV_GRANT_MAP, dom,
             claim.handle | ((uint64_t)ref << 32), 0);
    *handle = claim.handle;
    return XMM_GNTST_okay;
}

/*
 * unmap_common_complete and the handle: drop the pin and the flags of the
 * granter's entry, free the handle, drop the page reference.  The granter
 * is looked up by incarnation: a record of a granter that no longer exists
 * (a model bug the `isolation` check reports) never touches another domain.
 */
static void unmap_complete(struct xmm_world *w, struct xmm_domain *ld, uint32_t h)
{
    struct maptrack_entry *m = mt_entry(gnttab_of(ld), h);
    struct xmm_domain *rd = domain_find_inc(w, m->from, m->from_inc);
    uint64_t mfn = m->mfn, gfn = m->gfn;
    bool rw = m->flags & MT_RW;
    int rc;

    hist_add(w, (uint32_t)(mfn - w->ram_base), XMM_EV_GRANT_UNMAP, ld->id,
             h | ((uint64_t)m->ref << 32), 0);
    if (rd && gnttab_of(rd) && m->ref < gnttab_of(rd)->nr_frames * EPF) {
        struct active_entry *a = active_of(gnttab_of(rd), m->ref);
        struct grant_entry *ge = entry_of(gnttab_of(rd), m->ref);

        lock_take(w, LOCK_GRANT);
        if (rw && a->pin_rw)
            a->pin_rw--;
        else if (!rw && a->pin_ro)
            a->pin_ro--;
        assert(rw ? a->mt_rw > 0 : a->mt_ro > 0);
        rw ? a->mt_rw-- : a->mt_ro--; /* grant_pin's index */
        if (!a->pin_rw)
            ge->flags &= (uint16_t)~XMM_GTF_writing;
        if (!a->pin_rw && !a->pin_ro)
            ge->flags &= (uint16_t)~XMM_GTF_reading;
        domain_touch(w, rd);
        lock_release(w, LOCK_GRANT);
    }
    mt_put(gnttab_of(ld), h);
    domain_touch(w, ld);
    /* A grant entry left at the handle's gfn is now unreferenced: recheck it. */
    dirty_p2m_add(w, ld->id, gfn);
    assert(w->rmap[mfn - w->ram_base].refs > 0);
    w->rmap[mfn - w->ram_base].refs--;
    frame_touch(w, (uint32_t)(mfn - w->ram_base));
    /* Last: dropping the reference may free the frame and its owner. */
    rc = xmm_page_put(w, xmm_mfn(mfn));
    (void)rc;
    assert(rc == 0);
}

/* Remove the leaf at gfn of ld's P2M, if there is one. */
static void unmap_leaf(struct xmm_world *w, struct xmm_domain *ld, uint64_t gfn)
{
    if (!p2m_get(&ld->p2m, gfn))
        return;
    lock_take(w, LOCK_P2M);
    p2m_write(w, ld, gfn, 0);
    lock_release(w, LOCK_P2M);
}

/* Teardown of one mapping the domain holds (gnttab_release_mappings). */
static void unmap_one(struct xmm_world *w, struct xmm_domain *ld, uint32_t h)
{
    const struct maptrack_entry *m = mt_entry(gnttab_of(ld), h);
    uint64_t e = p2m_get(&ld->p2m, m->gfn);

    if (e && xmm_p2m_is_grant(p2m_entry_type(e)) && p2m_entry_mfn(e) == m->mfn)
        unmap_leaf(w, ld, m->gfn);
    unmap_complete(w, ld, h);
}

/*
 * GNTTABOP_unmap_grant_ref with host_addr at `gfn` (unmap_common): a guest
 * may name any gfn.  `zero_skips`: host_addr 0 means "no host mapping to
 * undo", and the handle stays in use.
 */
static int unmap_at(struct xmm_world *w, struct xmm_domain *ld, xmm_grant_handle_t handle,
                    uint64_t gfn, bool zero_skips)
{
    const struct maptrack_entry *m;
    uint64_t e;

    if (handle >= mt_limit(gnttab_of(ld)) || !(mt_entry(gnttab_of(ld), handle)->flags & MT_INUSE))
        return xmm_fail(w, XMM_GNTST_bad_handle, "handle %" PRIu32 " of %s maps nothing", handle,
                        DN(ld->id));
    m = mt_entry(gnttab_of(ld), handle);
    /* Xen crashes the caller here; a mapping keeps its granter, so never. */
    if (!domain_find_inc(w, m->from, m->from_inc))
        return xmm_fail(w, XMM_GNTST_general_error,
                        "granter %s of handle %" PRIu32 " of %s no longer exists", DN(m->from),
                        handle, DN(ld->id));
    if (zero_skips && gfn == 0)
        return XMM_GNTST_okay;
    /*
     * replace_grant_host_mapping (Arm) -> guest_physmap_remove_page ->
     * p2m_remove_mapping: a RAM, grant or foreign entry there must map the
     * granted frame (else -EILSEQ, GNTST_general_error); whatever else is
     * there (nothing, MMIO) is removed without a word, and the handle, the
     * pin and the page reference go.
     */
    if (gfn >= XMM_FRAME_LIMIT)
        return xmm_fail(w, XMM_GNTST_general_error, "gfn %#" PRIx64 " is beyond the 40-bit frame limit",
                        gfn);
    e = p2m_get(&ld->p2m, gfn);
    if (e &&
        (xmm_p2m_is_ram(p2m_entry_type(e)) || xmm_p2m_is_grant(p2m_entry_type(e)) ||
         xmm_p2m_is_foreign(p2m_entry_type(e))) &&
        p2m_entry_mfn(e) != m->mfn)
        return xmm_fail(w, XMM_GNTST_general_error,
                        "gfn %#" PRIx64 " of %s maps mfn %#" PRIx64 ", not mfn %#" PRIx64 " of handle %" PRIu32,
                        gfn, DN(ld->id), p2m_entry_mfn(e), m->mfn, handle);
    unmap_leaf(w, ld, gfn);
    unmap_complete(w, ld, handle);
    return XMM_GNTST_okay;
}

int xmm_gnttab_unmap_host(struct xmm_world *w, xmm_domid_t dom, xmm_grant_handle_t handle,
                          xmm_gfn_t host_gfn)
{
    struct xmm_domain *ld = domain_find(w, dom);

    xmm_err_clear(w);
    return ld ? unmap_at(w, ld, handle, host_gfn.g, true)
              : xmm_fail(w, XMM_GNTST_general_error, "there is no domain %s", DN(dom));
}

int xmm_gnttab_unmap(struct xmm_world *w, xmm_domid_t dom, xmm_grant_handle_t handle)
{
    struct xmm_domain *ld = domain_find(w, dom);

    xmm_err_clear(w);
    if (!ld)
        return xmm_fail(w, XMM_GNTST_general_error, "there is no domain %s", DN(dom));
    /* The guest names the gfn it mapped at. */
    return unmap_at(w, ld, handle,
                    handle < mt_limit(gnttab_of(ld)) ? mt_entry(gnttab_of(ld), handle)->gfn : 0, false);
}

int gnttab_release_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    struct gnttab *gt = gnttab_of(d);

    for (; d->kill_cursor < mt_limit(gt); d->kill_cursor++) {
        if (!(mt_entry(gt, (uint32_t)d->kill_cursor)->flags & MT_INUSE))
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
    struct gnttab *gt = gnttab_of(d);

    xenheap_gfn_map(w, d, gt->frames[idx].m, &gt->array_gfn[idx], gfn);
    domain_touch(w, d);
}

int xmm_gnttab_map_frame(struct xmm_world *w, xmm_domid_t dom, uint32_t idx, xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);
    bool grant_guards_gfn = w->policy.gfn_lock == XMM_GFN_LOCK_GRANT;
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (idx >= gnttab_of(d)->max_frames)
        return xmm_fail(w, -XMM_EINVAL, "%s's grant table has %" PRIu32 " frames at most: no frame %" PRIu32,
                        DN(dom), gnttab_of(d)->max_frames, idx);
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    /* Seed 002: the safe range is sized for grant-table frames: they may go there. */
    rc = physmap_replaceable(w, d, gfn.g);
    if (rc)
        return rc;
    /*
     * gnttab_map_frame_begin's get_page: fails for a frame the guest gave
     * back (decrease_reservation), and for a new frame of a dying domain
     * (shared without a reference).
     */
    if (idx < gnttab_of(d)->nr_frames ? !physmap_own_page(w, d->id, gnttab_of(d)->frames[idx].m)
                               : domain_dying(d))
        return xmm_fail(w, -XMM_EBUSY, "grant-table frame %" PRIu32 " of %s %s: get_page fails", idx,
                        DN(dom), idx < gnttab_of(d)->nr_frames ? "was given back" : "would be new for a dying domain");
    /* page_info: the frame records where it is mapped; unmap it first. */
    if (idx < gnttab_of(d)->nr_frames && w->policy.xenheap_gfn == XMM_XENHEAP_GFN_PAGE_INFO &&
        !xmm_gfn_eq(xmm_page_xenheap_gfn(w, gnttab_of(d)->frames[idx]), XMM_INVALID_GFN))
        return xmm_fail(w, -XMM_EBUSY,
                        "grant-table frame %" PRIu32 " of %s is still mapped at gfn %#" PRIx64 " (unmap it first)",
                        idx, DN(dom), xmm_page_xenheap_gfn(w, gnttab_of(d)->frames[idx]).g);
    if (domain_dying(d)) /* p2m_set_entry */
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                        xmm_domain_state_name(d->state));

    lock_take(w, LOCK_GRANT);
    rc = grow_prepare(w, d, idx + 1 > gnttab_of(d)->nr_frames ? idx + 1 : gnttab_of(d)->nr_frames);
    if (!rc) {
        rc = p2m_reserve(w, d, gfn.g, 1);
        if (rc)
            grow_abort(w, d, idx + 1 > gnttab_of(d)->nr_frames ? idx + 1 : gnttab_of(d)->nr_frames);
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
    if (ref >= gnttab_of(d)->nr_frames * EPF)
        return -XMM_EINVAL;
    e = entry_at(gnttab_of(d), ref);
    a = active_at(gnttab_of(d), ref);
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
    return d ? gnttab_of(d)->nr_frames : 0;
}

uint32_t xmm_gnttab_maptrack_used(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return d ? gnttab_of(d)->maptrack_used : 0;
}

xmm_mfn_t xmm_gnttab_frame_mfn(const struct xmm_world *w, xmm_domid_t dom, uint32_t idx)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return (d && idx < gnttab_of(d)->nr_frames) ? gnttab_of(d)->frames[idx] : XMM_INVALID_MFN;
}

void gnttab_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm)
{
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct gnttab *gt = gnttab_of(w->doms[i]);

        for (uint32_t h = 0; gt && h < mt_limit(gt); h++) {
            const struct maptrack_entry *m = mt_entry(gt, h);

            if ((m->flags & MT_INUSE) && frame_valid(w, m->mfn))
                rm[m->mfn - w->ram_base].refs++;
        }
    }
}

bool gnttab_is_frame(const struct xmm_domain *d, uint64_t mfn)
{
    for (uint32_t i = 0; gnttab_of(d) && i < gnttab_of(d)->nr_frames; i++)
        if (gnttab_of(d)->frames[i].m == mfn)
            return true;
    return false;
}

bool gnttab_mapping_live(const struct xmm_domain *d, uint64_t gfn, uint64_t mfn)
{
    const struct gnttab *gt = gnttab_of(d);

    for (uint32_t i = 0; gt && i < mt_limit(gt); i++) {
        const struct maptrack_entry *m = mt_entry(gt, i);
        if ((m->flags & MT_INUSE) && m->gfn == gfn && m->mfn == mfn)
            return true;
    }
    return false;
}

/*
 * grant_pin: an active entry's pins are its live host mappings.  Xen's
 * map_grant_ref adds GNTPIN_hstw_inc or GNTPIN_hstr_inc to act->pin for a
 * GNTMAP_host_map (device maps add GNTPIN_dev*_inc; libxmm maps host only)
 * and records the flags in the maptrack entry; unmap_common_complete and
 * gnttab_release_mappings take the same amount off when that entry goes.
 * So between hypercalls pin_rw (pin_ro) is the number of maptrack entries
 * of any domain naming the entry without (with) GNTMAP_readonly.
 * Incremental: the pins of a dirty domain's entries against the index.
 */
static void check_pins(const struct xmm_domain *d, struct xmm_check_report *rep)
{
    const struct gnttab *gt = gnttab_of(d);

    for (uint32_t f = 0; f < gt->nr_frames; f++)
        for (uint32_t j = 0; j < EPF; j++) {
            const struct active_entry *a = &gt->active[f][j];

            if (a->pin_rw == a->mt_rw && a->pin_ro == a->mt_ro)
                continue;
            check_report(rep, XMM_INV_GRANT_PIN, XMM_SUBJECT_DOMAIN, a->mfn, d->id, 0,
                         "grant ref %u of d%u is pinned %u rw + %u ro, but %u rw + %u ro "
                         "maptrack entries map it",
                         f * EPF + j, (unsigned)d->id, a->pin_rw, a->pin_ro, a->mt_rw, a->mt_ro);
        }
}

/* Maptrack entries of every domain naming (rd, ref): the index recounted. */
static void count_mappers(const struct xmm_world *w, const struct xmm_domain *rd, uint32_t ref,
                          uint32_t *rw, uint32_t *ro)
{
    *rw = *ro = 0;
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct gnttab *gt = gnttab_of(w->doms[i]);

        for (uint32_t h = 0; gt && h < mt_limit(gt); h++) {
            const struct maptrack_entry *m = mt_entry(gt, h);

            if ((m->flags & MT_INUSE) && m->from == rd->id && m->from_inc == rd->inc &&
                m->ref == ref)
                (m->flags & MT_RW) ? (*rw)++ : (*ro)++;
        }
    }
}

static void check_index_of(const struct xmm_world *w, const struct xmm_domain *rd, uint32_t ref,
                           struct xmm_check_report *rep)
{
    const struct active_entry *a = &gnttab_of(rd)->active[ref / EPF][ref % EPF];
    uint32_t rw, ro;

    count_mappers(w, rd, ref, &rw, &ro);
    if (rw != a->mt_rw || ro != a->mt_ro)
        check_report(rep, XMM_INV_GRANT_PIN, XMM_SUBJECT_DOMAIN, a->mfn, rd->id, 0,
                     "grant ref %u of d%u: %u rw + %u ro maptrack entries map it, the index "
                     "says %u rw + %u ro",
                     ref, (unsigned)rd->id, rw, ro, a->mt_rw, a->mt_ro);
}

/*
 * Full sweep only: the index itself, recounted from every maptrack (for
 * entries the index or the pins count, and entries a mapping names).
 */
static void gnttab_check_full(const struct xmm_world *w, const struct xmm_rmap *rm,
                              struct xmm_check_report *rep)
{
    (void)rm;
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *rd = w->doms[i];
        const struct gnttab *gt = gnttab_of(rd);

        for (uint32_t ref = 0; gt && ref < gt->nr_frames * EPF; ref++) {
            const struct active_entry *a = &gt->active[ref / EPF][ref % EPF];

            if (a->mt_rw || a->mt_ro || a->pin_rw || a->pin_ro)
                check_index_of(w, rd, ref, rep);
        }
    }
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct gnttab *gt = gnttab_of(w->doms[i]);

        for (uint32_t h = 0; gt && h < mt_limit(gt); h++) {
            const struct maptrack_entry *m = mt_entry(gt, h);
            const struct xmm_domain *rd = domain_find(w, m->from);
            const struct active_entry *a;

            if (!(m->flags & MT_INUSE) || !rd || rd->inc != m->from_inc || !gnttab_of(rd) ||
                m->ref >= gnttab_of(rd)->nr_frames * EPF)
                continue; /* a gone granter is isolation's */
            a = &gnttab_of(rd)->active[m->ref / EPF][m->ref % EPF];
            if (!a->mt_rw && !a->mt_ro && !a->pin_rw && !a->pin_ro)
                check_index_of(w, rd, m->ref, rep);
        }
    }
}

/* isolation: a mapping record whose granter incarnation is gone. */
static void check_granter_of(const struct xmm_world *w, const struct xmm_domain *d, uint32_t h,
                             struct xmm_check_report *rep)
{
    const struct maptrack_entry *m = mt_entry(gnttab_of(d), h);
    const struct xmm_domain *rd = domain_find(w, m->from);

    if (rd && rd->inc == m->from_inc)
        return;
    check_report(rep, XMM_INV_ISOLATION, XMM_SUBJECT_P2M, m->mfn, d->id, m->gfn,
                 "maptrack handle %u of d%u names granter d%u incarnation %llu, which is %s", h,
                 (unsigned)d->id, (unsigned)m->from, (unsigned long long)m->from_inc,
                 rd ? "gone (the id was reused)" : "gone");
}

void gnttab_check_granter(const struct xmm_world *w, xmm_domid_t id,
                          struct xmm_check_report *rep)
{
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];

        for (uint32_t h = 0; gnttab_of(d) && h < mt_limit(gnttab_of(d)); h++) {
            const struct maptrack_entry *m = mt_entry(gnttab_of(d), h);

            if ((m->flags & MT_INUSE) && m->from == id)
                check_granter_of(w, d, h, rep);
        }
    }
}

void gnttab_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep)
{
    const struct gnttab *gt = gnttab_of(d);

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
    for (uint32_t i = 0; i < mt_limit(gt); i++) {
        if (!(mt_entry(gt, i)->flags & MT_INUSE))
            continue;
        /* Its P2M entry may be gone (see check_entry): the reference is the entry's. */
        check_granter_of(w, d, i, rep);
    }
    check_pins(d, rep);
}

/* --- the module (module.h) ------------------------------------------------ */

static bool gnttab_xenheap_own(const struct xmm_world *w, const struct xmm_domain *d,
                               uint64_t mfn)
{
    (void)w;
    return gnttab_is_frame(d, mfn);
}

static int gnttab_teardown(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    return gnttab_release_mappings(w, d, budget);
}

/*
 * p2m_type: the page reference of a grant mapping is its maptrack entry's:
 * a grant entry without one maps a page nothing keeps (the granter may end
 * the grant and free it).  A maptrack entry whose P2M entry went
 * (remove_physmap, an overwrite) is no violation: it still holds the
 * reference, dropped by an unmap or at the mapper's teardown.  (Entries of
 * a free or non-RAM frame are the core's violations.)
 */
static void gnttab_check_entry(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn,
                               uint64_t e, struct xmm_check_report *rep)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t mfn = p2m_entry_mfn(e);
    const struct xmm_domain *d;

    if (!xmm_p2m_is_grant(t) || !frame_valid(w, mfn) ||
        page_is_free(&w->frames[mfn - w->ram_base]))
        return;
    d = domain_find(w, dom);
    if (!d || gnttab_mapping_live(d, gfn, mfn))
        return;
    check_report(rep, XMM_INV_P2M_TYPE, XMM_SUBJECT_P2M, mfn, dom, gfn,
                 "%s entry has no live maptrack handle: no reference keeps frame %#llx",
                 xmm_p2m_type_name(t), (unsigned long long)mfn);
}

/* --- digest ----------------------------------------------------------------- */

/*
 * Everything of d's table that decides what later calls do: the frames it
 * has (and where xenheap_gfn=array remembers them), every grant entry and
 * pin in use, the maptrack frames, every entry in use and the free list
 * (its order decides which handle the next map gets).
 */
static uint64_t gnttab_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    const struct gnttab *gt = gnttab_of(d);
    uint64_t h;

    (void)w;
    if (!gt)
        return 0;
    /* the table's fields and entries: summed lanes (core.h), side by side */
    h = mix64_lane(gt->nr_frames ^ ((uint64_t)gt->max_frames << 20) ^ ((uint64_t)gt->mt_max << 40),
                   0);
    for (uint32_t f = 0; f < gt->nr_frames; f++) {
        h += mix64_lane(gt->frames[f].m ^ ((uint64_t)f << 48), 1);
        if (gt->array_gfn)
            h += mix64_lane(gt->array_gfn[f] ^ ((uint64_t)f << 48), 2);
    }
    /*
     * Only frames below nr_frames have entries (grow_commit raises it, it
     * never falls), and in them, entries at or above the frame's `used`
     * are all zero: nothing to mix in.
     */
    for (uint32_t f = 0; f < gt->nr_frames; f++) {
        uint32_t used = gt->shared[f]->used;

        for (uint32_t i = 0; i < used; i++) {
            const struct grant_entry *g = &gt->shared[f]->e[i];

            if (g->flags || g->domid || g->frame)
                h += mix64_lane(((uint64_t)(f * EPF + i) << 32) ^ g->flags ^
                                    ((uint64_t)g->domid << 16) ^ mix64(g->frame),
                                3);
        }
        for (uint32_t i = 0; i < used; i++) {
            const struct active_entry *a = &gt->active[f][i];

            if (a->pin_rw || a->pin_ro || a->mfn)
                h += mix64_lane(((uint64_t)(f * EPF + i) << 32) ^ a->pin_rw ^
                                    ((uint64_t)a->pin_ro << 16) ^ mix64(a->mfn + 1),
                                4);
        }
    }
    h += mix64_lane(gt->mt_frames ^ ((uint64_t)gt->mt_head << 16) ^ ((uint64_t)gt->mt_tail << 40),
                    5);
    h = mix64(h + mix64_lane(gt->maptrack_used, 6));
    /*
     * Every maptrack entry, free ones too (their links are the free list):
     * three chains, one per group of fields, side by side; a single chain
     * of three mixes per entry waited on each multiply in turn (the
     * fuzz trace target's digests spent most of their time here).
     */
    {
        uint64_t h1 = h, h2 = ~h, h3 = h ^ UINT64_C(0x6d61707472636b);

        for (uint32_t f = 0; f < gt->mt_frames; f++) {
            const struct maptrack_entry *m = gt->mt[f];

            for (uint32_t i = 0; i < MPF; i++, m++) {
                uint64_t hd = (uint64_t)f * MPF + i;

                h1 = mix64(h1 ^ m->gfn ^ (hd << 44));
                h2 = mix64(h2 ^ m->mfn ^ (m->from_inc << 36));
                h3 = mix64(h3 ^ m->ref ^ ((uint64_t)m->from << 32) ^ ((uint64_t)m->flags << 48));
            }
        }
        h = mix64(mix64(mix64(h ^ h1) ^ h2) ^ h3);
    }
    return h;
}

/* --- clone (xmm_world_clone) -------------------------------------------------- */

/*
 * dom_clone: copy sd's table into dd (dd's slot is NULL on entry).  On
 * failure what was copied stays in the slot for gnttab_discard.
 */
static int gnttab_clone(struct xmm_world *c, struct xmm_domain *nd, const struct xmm_world *w,
                        const struct xmm_domain *d)
{
    const struct gnttab *gt = gnttab_of(d);
    struct gnttab *ng;
    uint32_t n;

    (void)w;
    if (!gt)
        return 0;
    ng = xmm_alloc(c, sizeof(*ng));
    if (!ng)
        return -XMM_ENOMEM;
    *ng = *gt;
    ng->frames = NULL;
    ng->array_gfn = NULL;
    ng->shared = NULL;
    ng->active = NULL;
    ng->mt = NULL;
    ng->mt_frames = 0;
    nd->mod[XMM_MOD_GNTTAB] = ng;
    n = gt->max_frames;
    if (!(ng->shared = xmm_alloc(c, n * sizeof(*ng->shared))))
        return -XMM_ENOMEM;
    memset(ng->shared, 0, n * sizeof(*ng->shared));
    if (!(ng->active = xmm_alloc(c, n * sizeof(*ng->active))))
        return -XMM_ENOMEM;
    memset(ng->active, 0, n * sizeof(*ng->active));
    if (!(ng->mt = xmm_alloc(c, gt->mt_max * sizeof(*ng->mt))))
        return -XMM_ENOMEM;
    memset(ng->mt, 0, gt->mt_max * sizeof(*ng->mt));
    if (!(ng->frames = xmm_alloc_copy(c, n * sizeof(*ng->frames), gt->frames,
                                      n * sizeof(*ng->frames))) ||
        !(ng->array_gfn = xmm_alloc_copy(c, n * sizeof(*ng->array_gfn), gt->array_gfn,
                                         n * sizeof(*ng->array_gfn))))
        return -XMM_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        /* entries from the frame's `used` on are all zero: written, not read */
        uint32_t used = gt->shared[i] ? gt->shared[i]->used : EPF;

        if (gt->shared[i]) {
            ng->shared[i] = xmm_alloc_copy(c, sizeof(struct grant_frame), gt->shared[i],
                                           used * sizeof(struct grant_entry));
            if (!ng->shared[i])
                return -XMM_ENOMEM;
            memset(&ng->shared[i]->e[used], 0, (EPF - used) * sizeof(struct grant_entry));
            ng->shared[i]->used = used;
        }
        if (gt->active[i]) {
            ng->active[i] = xmm_alloc_copy(c, EPF * sizeof(struct active_entry), gt->active[i],
                                           used * sizeof(struct active_entry));
            if (!ng->active[i])
                return -XMM_ENOMEM;
            memset(&ng->active[i][used], 0, (EPF - used) * sizeof(struct active_entry));
        }
    }
    for (uint32_t i = 0; i < gt->mt_frames; i++) {
        ng->mt[i] = xmm_alloc_copy(c, MPF * sizeof(struct maptrack_entry), gt->mt[i],
                                   MPF * sizeof(struct maptrack_entry));
        if (!ng->mt[i])
            return -XMM_ENOMEM;
        ng->mt_frames = i + 1;
    }
    return 0;
}

const struct xmm_module xmm_mod_gnttab = {
    .name = "gnttab",
    .dom_init = gnttab_init,
    .dom_free = gnttab_destroy,
    .dom_discard = gnttab_discard,
    .kill_stage = KILL_GNTTAB,
    .teardown = gnttab_teardown,
    .xenheap_own = gnttab_xenheap_own,
    .rebuild_rmap = gnttab_rebuild_rmap,
    .check_entry = gnttab_check_entry,
    .check_entry_types = (1u << XMM_P2M_GRANT_MAP_RW) | (1u << XMM_P2M_GRANT_MAP_RO),
    .check_domain = gnttab_check_domain,
    .check_full = gnttab_check_full,
    .check_gone = gnttab_check_granter,
    .dom_digest = gnttab_digest,
    .dom_clone = gnttab_clone,
};
