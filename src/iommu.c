/*
 * libxmm - the IOMMU, device TLBs and the invalidation queue (seed 003).
 *
 * What is modelled:
 *  - devices behind one IOMMU, each assigned to at most one domain; the
 *    IOMMU translates through the domain's P2M (shared tables, as on Arm);
 *  - per ATS device, a small fully associative device TLB of gfn -> mfn
 *    translations filled on DMA misses and emptied only by invalidations
 *    (or LRU eviction).  Hits are honoured even when the P2M changed;
 *  - one invalidation queue of fixed size, like VT-d's queued-invalidation
 *    ring.  Each unmap of a leaf in a domain that has an ATS device
 *    assigned queues one invalidation for that gfn (Xen's per-page legacy
 *    unmap path flushes per page as well) and its completion comes
 *    `latency` ticks later, from a timer.  At teardown a device is
 *    deassigned first, with one invalidation of its whole TLB
 *    (device_flush), and the P2M leaves the kill removes afterwards need
 *    none of their own.  A full queue makes the unmapping CPU wait for
 *    the oldest completion, as Xen waits for a free descriptor;
 *  - the `iotlb` policies (include/xmm/iommu.h).
 *
 * The seed's objection to the deferred design was that remembering which
 * pages to release needs memory, and allocating can fail.  Here the queue
 * entry is the record: an invalidation and the frame it holds share one
 * preallocated slot, linked on the domain's list of held frames, so taking
 * a hold never allocates (a full queue waits instead).  Quan's RFC took the
 * typed reference on every page when the device was assigned and checked
 * it when the page was freed; libxmm takes it when the P2M entry goes,
 * before the frame's last other reference can be dropped, which protects
 * the same frames with bookkeeping bounded by the queue.
 *
 * The checker's view: a held frame counts as a referencing holder
 * (rmap.refs); a stale device-TLB entry nothing protects (unsafe) counts
 * in rmap.reach, so a free frame still reachable by a device is an
 * `isolation` violation, and so is a stale entry that reaches a frame that
 * changed owner (iommu_check_world).
 *
 * Waiting (sync, pause, full queue) moves the clock inside the call and
 * completes invalidations inline.  The model has one CPU: other timers that
 * fall due meanwhile run at the next xmm_world_advance, late but in order.
 *
 * iommu_check.c holds the digest, the invariants and the read-only queries;
 * iommu_priv.h the structures both files see.
 */
#include <stdio.h>

#include "ilist.h"
#include "iommu_priv.h"

/* --- lifetime ------------------------------------------------------------- */

static void world_free(struct xmm_world *w, struct iommu_world *iw)
{
    for (uint32_t i = 0; iw->dev && i < iw->dev_count; i++)
        if (iw->dev[i].id)
            xmm_free(w, iw->dev[i].id, strlen(iw->dev[i].id) + 1);
    xmm_free(w, iw->dev, iw->dev_count * sizeof(*iw->dev));
    xmm_free(w, iw->q, iw->q_cap * sizeof(*iw->q));
    xmm_free(w, iw, sizeof(*iw));
}

static int opts_check(const struct xmm_iommu_opts *o)
{
    if (o->device_count > XMM_IOMMU_DEVICES_MAX || !o->devices || o->queue > XMM_IOMMU_QUEUE_MAX ||
        (o->ops && !o->ops->flush))
        return -XMM_EINVAL;
    for (size_t i = 0; i < o->device_count; i++) {
        if (!o->devices[i].id || !o->devices[i].id[0])
            return -XMM_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->devices[i].id, o->devices[j].id) == 0)
                return -XMM_EINVAL;
    }
    return 0;
}

int iommu_world_init(struct xmm_world *w, const struct xmm_iommu_opts *o)
{
    struct iommu_world *iw;
    int rc;

    if (o->device_count == 0)
        return o->ops ? -XMM_EINVAL : 0;
    rc = opts_check(o);
    if (rc)
        return rc;
    iw = xmm_alloc(w, sizeof(*iw));
    if (!iw)
        return -XMM_ENOMEM;
    w->mod[XMM_MOD_IOMMU] = iw;
    iw->ops = o->ops;
    iw->ctx = o->ctx;
    iw->latency = o->flush_latency;
    iw->q_cap = o->queue ? o->queue : XMM_IOMMU_QUEUE_DEFAULT;
    iw->pend_head = iw->pend_tail = XMM_NIL;
    iw->dev = xmm_alloc(w, o->device_count * sizeof(*iw->dev));
    if (!iw->dev)
        return -XMM_ENOMEM;
    iw->dev_count = (uint32_t)o->device_count;
    for (uint32_t i = 0; i < iw->dev_count; i++) {
        size_t n = strlen(o->devices[i].id) + 1;

        iw->dev[i].dom = XMM_DOMID_INVALID;
        iw->dev[i].ats = o->devices[i].ats;
        iw->dev[i].id = xmm_alloc(w, n);
        if (!iw->dev[i].id)
            return -XMM_ENOMEM;
        memcpy(iw->dev[i].id, o->devices[i].id, n);
    }
    /* A slot is cleared when taken (slot_take); a free one holds only its link. */
    iw->q = xmm_alloc_raw(w, iw->q_cap * sizeof(*iw->q));
    if (!iw->q)
        return -XMM_ENOMEM;
    for (uint32_t i = 0; i < iw->q_cap; i++)
        iw->q[i].next = i + 1 < iw->q_cap ? i + 1 : XMM_NIL;
    iw->q_free = 0;
    /* The completion timer is armed inside P2M writes: its slot is kept now. */
    return timer_reserve(w);
}

void iommu_world_fini(struct xmm_world *w)
{
    if (iommu_world_of(w))
        world_free(w, iommu_world_of(w));
    w->mod[XMM_MOD_IOMMU] = NULL;
}

void iommu_domain_free(struct xmm_world *w, struct xmm_domain *d)
{
    struct iommu_world *iw = iommu_world_of(w);

    if (!iommu_of(d))
        return;
    /* Kill deassigned the devices and the domain reference kept holds away. */
    for (uint32_t i = 0; iw && i < iw->dev_count; i++)
        if (iw->dev[i].dom == d->id)
            iw->dev[i].dom = XMM_DOMID_INVALID;
    xmm_free(w, iommu_of(d), sizeof(*iommu_of(d)));
    d->mod[XMM_MOD_IOMMU] = NULL;
}

uint32_t iommu_domain_refs(const struct xmm_domain *d)
{
    return iommu_of(d) && iommu_of(d)->dom_ref ? 1u : 0u;
}

/* --- small helpers ------------------------------------------------------- */

struct iommu_device *iommu_dev_find(const struct iommu_world *iw, const char *id)
{
    for (uint32_t i = 0; id && i < iw->dev_count; i++)
        if (strcmp(iw->dev[i].id, id) == 0)
            return &iw->dev[i];
    return NULL;
}

/*
 * Does the IOMMU translate this P2M leaf?  RAM, foreign, grant and
 * iommu_map entries of RAM frames.  The SMMU walks the guest's stage-2
 * tables themselves (Xen on Arm shares them: iommu_use_hap_pt), so a
 * xenheap frame mapped into the guest (shared_info, a grant-table frame,
 * both ram_rw) is reachable by DMA like any other RAM page.  MMIO is not
 * modelled as a DMA target (its frames are not RAM).
 */
bool iommu_leaf_visible(const struct xmm_world *w, uint64_t e, uint64_t *mfn, bool *writable)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t m = p2m_entry_mfn(e);

    if (!e || !(xmm_p2m_is_ram(t) || xmm_p2m_is_foreign(t) || xmm_p2m_is_grant(t) ||
                t == XMM_P2M_IOMMU_MAP_RW || t == XMM_P2M_IOMMU_MAP_RO))
        return false;
    if (!frame_valid(w, m))
        return false;
    *mfn = m;
    *writable = xmm_p2m_is_writable(t);
    return true;
}

static void stat_add(struct xmm_iommu_stats *a, struct xmm_iommu_stats *b, size_t off, uint64_t v)
{
    *(uint64_t *)(void *)((char *)a + off) += v;
    if (b)
        *(uint64_t *)(void *)((char *)b + off) += v;
}
#define STAT(iw, io, field, v) \
    stat_add(&(iw)->st, (io) ? &(io)->st : NULL, offsetof(struct xmm_iommu_stats, field), (v))

static void reach_add(struct xmm_world *w, uint64_t mfn, int delta)
{
    uint32_t idx = (uint32_t)(mfn - w->ram_base);

    frame_touch(w, idx);
    w->rmap[idx].reach = (uint8_t)(w->rmap[idx].reach + delta);
}

/* --- device TLBs ---------------------------------------------------------- */

static struct devtlb_entry *tlb_find(struct iommu_device *dv, uint64_t gfn)
{
    for (uint32_t i = 0; dv->tlb_used && i < XMM_IOMMU_DEVTLB_ENTRIES; i++)
        if ((dv->tlb[i].flags & TLB_VALID) && dv->tlb[i].gfn == gfn)
            return &dv->tlb[i];
    return NULL;
}

/*
 * The IOMMU holds a domain reference exactly while it holds frames for d
 * (queue slots or device-TLB entries).  Dropping it may destroy d.
 */
static void dom_ref_sync(struct xmm_world *w, struct xmm_domain *d)
{
    struct iommu_dom *io = iommu_of(d);
    bool need = io->st.held > 0;

    if (need == io->dom_ref)
        return;
    io->dom_ref = need;
    if (need)
        domain_ref_get(w, d);
    else
        domain_ref_put(w, d); /* may destroy d and io */
}

/* A hold began: the counters of the world and of io (hold_ended's twin). */
static void hold_started(struct iommu_world *iw, struct iommu_dom *io)
{
    STAT(iw, io, holds, 1);
    STAT(iw, io, held, 1);
    if (iw->st.held > iw->st.held_peak)
        iw->st.held_peak = iw->st.held;
    if (io->st.held > io->st.held_peak)
        io->st.held_peak = io->st.held;
}

/* A hold ended after `ticks`: the counters of the world and of io. */
static void hold_ended(struct iommu_world *iw, struct iommu_dom *io, uint64_t ticks)
{
    STAT(iw, io, hold_ticks, ticks);
    if (ticks > iw->st.hold_ticks_max)
        iw->st.hold_ticks_max = ticks;
    if (ticks > io->st.hold_ticks_max)
        io->st.hold_ticks_max = ticks;
    iw->st.held--;
    io->st.held--;
}

/*
 * Teardown under deferred: device-TLB entry e of dying d keeps its frame
 * (general + typed reference, for the frame's owner) until the device's
 * whole-TLB invalidation completes.  False when the frame cannot be
 * referenced (the caller waits instead).
 */
static bool tlb_hold_take(struct xmm_world *w, struct iommu_world *iw, struct xmm_domain *d,
                          struct devtlb_entry *e)
{
    struct iommu_dom *io = iommu_of(d);
    uint32_t idx = (uint32_t)(e->mfn - w->ram_base);

    if (!page_get_quiet(w, xmm_mfn(e->mfn), w->frames[idx].owner))
        return false;
    e->flags |= TLB_HELD;
    if (page_get_type_quiet(w, xmm_mfn(e->mfn), XMM_PGT_DEV_TLB))
        e->flags |= TLB_TYPED;
    e->held_since = w->now;
    frame_touch(w, idx);
    w->rmap[idx].refs++;
    hist_add(w, idx, XMM_EV_DEVTLB_HOLD, d->id, 0, 0);
    io->tlb_held++;
    hold_started(iw, io);
    domain_touch(w, d);
    dom_ref_sync(w, d);
    return true;
}

/*
 * The device dropped entry e, which held its frame: put the references.
 * The frame may be freed; the domain reference is left to the caller
 * (dom_ref_sync), so that the domain outlives the loop that drops.
 */
static void tlb_hold_release(struct xmm_world *w, struct devtlb_entry *e)
{
    struct iommu_world *iw = iommu_world_of(w);
    struct xmm_domain *d = domain_find(w, e->dom); /* kept by the IOMMU's reference */
    uint32_t idx = (uint32_t)(e->mfn - w->ram_base);
    int rc;

    assert(d && iommu_of(d) && iommu_of(d)->tlb_held > 0);
    hold_ended(iw, iommu_of(d), w->now - e->held_since);
    iommu_of(d)->tlb_held--;
    domain_touch(w, d);
    frame_touch(w, idx);
    w->rmap[idx].refs--;
    hist_add(w, idx, XMM_EV_DEVTLB_RELEASE, e->dom, 0, 0);
    if (e->flags & TLB_TYPED) {
        rc = xmm_page_put_type(w, xmm_mfn(e->mfn));
        assert(rc == 0);
    }
    rc = xmm_page_put(w, xmm_mfn(e->mfn));
    assert(rc == 0);
    (void)rc;
}

/* The incarnation of domain `id`, 0 for Xen, the park or no domain. */
static uint64_t dom_inc(const struct xmm_world *w, xmm_domid_t id)
{
    const struct xmm_domain *d = domain_find(w, id);

    return d ? d->inc : 0;
}

static void tlb_drop(struct xmm_world *w, struct iommu_device *dv, struct devtlb_entry *e)
{
    if ((e->flags & (TLB_STALE | TLB_COVERED | TLB_HELD)) == TLB_STALE)
        reach_add(w, e->mfn, -1);
    if (e->flags & TLB_HELD)
        tlb_hold_release(w, e);
    e->flags = 0;
    dv->tlb_used--;
}

/* Cache a translation; a full TLB evicts its least recently used entry. */
static void tlb_insert(struct xmm_world *w, struct iommu_device *dv, uint64_t gfn, uint64_t mfn,
                       bool writable, xmm_domid_t dom)
{
    struct devtlb_entry *slot = NULL;

    for (uint32_t i = 0; i < XMM_IOMMU_DEVTLB_ENTRIES; i++) {
        struct devtlb_entry *e = &dv->tlb[i];

        if (!(e->flags & TLB_VALID)) {
            slot = e;
            break;
        }
        if (!slot || e->lru < slot->lru)
            slot = e;
    }
    if (slot->flags & TLB_VALID)
        tlb_drop(w, dv, slot);
    slot->gfn = gfn;
    slot->mfn = mfn;
    slot->dom = dom;
    slot->owner = w->frames[mfn - w->ram_base].owner;
    slot->dom_inc = dom_inc(w, slot->dom);
    slot->owner_inc = dom_inc(w, slot->owner);
    slot->lru = ++dv->lru_clock;
    slot->flags = TLB_VALID | (writable ? TLB_WRITE : 0);
    dv->tlb_used++;
    hist_add(w, (uint32_t)(mfn - w->ram_base), XMM_EV_DEVTLB_FILL, dom,
             (uint64_t)(dv - iommu_world_of(w)->dev), 0);
}

/*
 * dom's leaf gfn -> mfn went: every device TLB entry caching it is stale
 * from now on.  Covered entries are protected by a hold or a wait; the
 * others count as unreferenced reachers of the frame (unsafe).
 */
static void tlb_mark_stale(struct xmm_world *w, struct iommu_world *iw, struct iommu_dom *io,
                           xmm_domid_t dom, uint64_t gfn, uint64_t mfn, bool covered)
{
    for (uint32_t d = 0; d < iw->dev_count; d++) {
        struct iommu_device *dv = &iw->dev[d];

        for (uint32_t i = 0; dv->tlb_used && i < XMM_IOMMU_DEVTLB_ENTRIES; i++) {
            struct devtlb_entry *e = &dv->tlb[i];

            if (!(e->flags & TLB_VALID) || (e->flags & TLB_STALE) || e->dom != dom ||
                e->gfn != gfn || e->mfn != mfn)
                continue;
            /* An entry that holds its frame (teardown) covers itself. */
            e->flags |= TLB_STALE | (covered || (e->flags & TLB_HELD) ? TLB_COVERED : 0);
            if (e->flags & TLB_COVERED)
                continue;
            if (w->rmap[mfn - w->ram_base].reach == RMAP_REACH_MAX) {
                tlb_drop(w, dv, e); /* the index cannot count more: evicted instead */
                continue;
            }
            reach_add(w, mfn, +1);
            STAT(iw, io, stale_unheld, 1);
        }
    }
}

/* --- the invalidation queue ------------------------------------------------ */

static void iommu_timer(struct xmm_world *w, void *arg);

/* Keep the one completion timer armed for the earliest pending completion. */
static void arm_timer(struct xmm_world *w, struct iommu_world *iw)
{
    uint64_t due;

    if (iw->pend_head == XMM_NIL) {
        if (iw->timer_armed) {
            xmm_timer_cancel(w, iw->timer_id);
            timer_slot_return(w);
            iw->timer_armed = false;
        }
        return;
    }
    due = iw->q[iw->pend_head].due;
    if ((iw->timer_armed && iw->timer_due <= due) || due <= w->now)
        return;
    if (iw->timer_armed) {
        xmm_timer_cancel(w, iw->timer_id);
        timer_slot_return(w);
    }
    timer_arm_reserved(w, due - w->now, iommu_timer, iw, &iw->timer_id);
    iw->timer_armed = true;
    iw->timer_due = due;
}

/* The pending flushes in (due, id) order, and one domain's held frames, oldest first. */
#define PEND_LIST(iw)                                                                              \
    ILIST((iw)->q, struct iommu_flush, next, prev, &(iw)->pend_head, &(iw)->pend_tail)
#define HELD_LIST(iw, io)                                                                          \
    ILIST((iw)->q, struct iommu_flush, dnext, dprev, &(io)->held_head, &(io)->held_tail)

static void pend_unlink(struct iommu_world *iw, uint32_t s)
{
    ilist_unlink(&PEND_LIST(iw), s);
}

/* Insert in (due, id) order; with one latency that is always the tail. */
static void pend_insert(struct iommu_world *iw, uint32_t s)
{
    struct iommu_flush *r = &iw->q[s];
    uint32_t after = iw->pend_tail;

    while (after != XMM_NIL && iw->q[after].due > r->due)
        after = iw->q[after].prev;
    ilist_insert_after(&PEND_LIST(iw), after, s);
}

static void held_unlink(struct iommu_world *iw, struct iommu_dom *io, uint32_t s)
{
    ilist_unlink(&HELD_LIST(iw, io), s);
}

/*
 * The flush of record r completed: release the frame it held.  The page
 * put may free the frame (and drop its owner's last-page reference); the
 * last hold of d drops the IOMMU's domain reference, which may destroy d.
 */
static void hold_release(struct xmm_world *w, struct iommu_world *iw, struct xmm_domain *d,
                         const struct iommu_flush *r)
{
    struct iommu_dom *io = iommu_of(d);
    uint32_t idx = (uint32_t)(r->mfn - w->ram_base);
    int rc;

    hold_ended(iw, io, w->now - r->submitted);
    domain_touch(w, d);
    frame_touch(w, idx);
    w->rmap[idx].refs--;
    hist_add(w, idx, XMM_EV_DEVTLB_RELEASE, r->dom, r->id, 0);
    if (r->flags & FL_TYPED) {
        rc = xmm_page_put_type(w, xmm_mfn(r->mfn));
        assert(rc == 0);
    }
    rc = xmm_page_put(w, xmm_mfn(r->mfn));
    assert(rc == 0);
    (void)rc;
    dom_ref_sync(w, d); /* may destroy d and io */
}

/* The device reported completion of queue slot s. */
static void complete(struct xmm_world *w, struct iommu_world *iw, uint32_t s)
{
    struct iommu_flush r = iw->q[s];
    struct xmm_domain *d = domain_find(w, r.dom);
    struct iommu_dom *io = d ? iommu_of(d) : NULL;

    pend_unlink(iw, s);
    assert(io || !(r.flags & FL_HOLD)); /* a hold keeps its domain */
    if (r.flags & FL_HOLD)
        held_unlink(iw, io, s);
    iw->q[s].next = iw->q_free;
    iw->q_free = s;
    STAT(iw, io, flushes_done, 1);
    iw->st.pending--;
    if (io && io->st.pending) /* (a recreated domain of the same id has its own count) */
        io->st.pending--;
    if (iw->ops && iw->ops->flush_done)
        iw->ops->flush_done(iw->ctx, r.dom, r.id);
    if (!(r.flags & FL_DEVICE) && frame_valid(w, r.mfn))
        hist_add(w, (uint32_t)(r.mfn - w->ram_base), XMM_EV_INV_DONE, r.dom, r.id, 0);
    if (r.flags & FL_DEVICE) {
        /* Deassignment: the device drops everything; it can be assigned again. */
        struct iommu_device *dv = &iw->dev[r.dev];

        dv->flushing = false;
        for (uint32_t j = 0; dv->tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++)
            if (dv->tlb[j].flags & TLB_VALID)
                tlb_drop(w, dv, &dv->tlb[j]);
    }
    /* The devices drop every translation of gfn they hold for the domain. */
    for (uint32_t i = 0; !(r.flags & FL_DEVICE) && i < iw->dev_count; i++) {
        struct iommu_device *dv = &iw->dev[i];

        for (uint32_t j = 0; dv->tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++)
            if ((dv->tlb[j].flags & TLB_VALID) && dv->tlb[j].dom == r.dom &&
                dv->tlb[j].gfn == r.gfn)
                tlb_drop(w, dv, &dv->tlb[j]);
    }
    if ((r.flags & FL_PAUSE) && io)
        io->paused--;
    if (r.flags & FL_HOLD)
        hold_release(w, iw, d, &r); /* syncs the domain reference */
    else if (io)
        dom_ref_sync(w, d); /* device-TLB holds may have ended: may destroy d */
}

/* Complete everything due by now, then re-arm. */
static void process_due(struct xmm_world *w, struct iommu_world *iw)
{
    while (iw->pend_head != XMM_NIL && iw->q[iw->pend_head].due <= w->now)
        complete(w, iw, iw->pend_head);
    arm_timer(w, iw);
}

static void iommu_timer(struct xmm_world *w, void *arg)
{
    struct iommu_world *iw = arg;

    iw->timer_armed = false;
    timer_slot_return(w);
    process_due(w, iw);
}

/*
 * Wait inside the current call until `due`: the clock moves, completions
 * are taken as they come.  `io` is the guest that cannot run meanwhile
 * (NULL: nobody's, e.g. a dying domain); `spin` when the CPU is busy
 * polling rather than free (everything but a paused domain).
 */
static void wait_until(struct xmm_world *w, struct iommu_world *iw, uint64_t due,
                       struct iommu_dom *io, bool spin)
{
    uint64_t t = due > w->now ? due - w->now : 0;

    if (io) {
        STAT(iw, io, stalls, 1);
        STAT(iw, io, stall_ticks, t);
    }
    if (spin)
        STAT(iw, io, spin_ticks, t);
    w->now += t;
    process_due(w, iw);
}

/* A free queue slot, waiting for the oldest completion if there is none. */
static uint32_t slot_take(struct xmm_world *w, struct iommu_world *iw, struct iommu_dom *io)
{
    uint32_t s;

    while (iw->q_free == XMM_NIL) {
        assert(iw->pend_head != XMM_NIL);
        STAT(iw, io, queue_full, 1);
        wait_until(w, iw, iw->q[iw->pend_head].due, io, true);
    }
    s = iw->q_free;
    iw->q_free = iw->q[s].next;
    memset(&iw->q[s], 0, sizeof(iw->q[s]));
    iw->q[s].next = iw->q[s].prev = iw->q[s].dnext = iw->q[s].dprev = XMM_NIL;
    return s;
}

/* Hand slot s to the hardware: its latency fixes the completion tick. */
static void submit(struct xmm_world *w, struct iommu_world *iw, struct iommu_dom *io, uint32_t s)
{
    struct iommu_flush *r = &iw->q[s];
    uint64_t lat = iw->ops ? iw->ops->flush(iw->ctx, r->dom, xmm_gfn(r->gfn), r->id) : iw->latency;

    /* Bounded, so that the clock cannot be pushed to overflow by a wait. */
    r->due = w->now + (lat > XMM_IOMMU_LATENCY_MAX ? XMM_IOMMU_LATENCY_MAX : lat);
    pend_insert(iw, s);
    if (!(r->flags & FL_DEVICE) && frame_valid(w, r->mfn))
        hist_add(w, (uint32_t)(r->mfn - w->ram_base), XMM_EV_INV_QUEUED, r->dom, r->due, 0);
    STAT(iw, io, flushes, 1);
    STAT(iw, io, pending, 1);
}

/*
 * The seed's typed reference: a general reference for the frame's owner
 * and an XMM_PGT_DEV_TLB type reference; slot s joins d's held list.
 * Return: false when the frame cannot be referenced (the caller waits).
 */
static bool hold_take(struct xmm_world *w, struct iommu_world *iw, struct xmm_domain *d,
                      uint32_t s)
{
    struct iommu_dom *io = iommu_of(d);
    struct iommu_flush *r = &iw->q[s];
    uint32_t idx = (uint32_t)(r->mfn - w->ram_base);

    if (!page_get_quiet(w, xmm_mfn(r->mfn), r->owner))
        return false;
    domain_touch(w, d);
    r->flags |= FL_HOLD;
    if (page_get_type_quiet(w, xmm_mfn(r->mfn), XMM_PGT_DEV_TLB))
        r->flags |= FL_TYPED;
    frame_touch(w, idx);
    w->rmap[idx].refs++;
    hist_add(w, idx, XMM_EV_DEVTLB_HOLD, d->id, r->id, 0);
    ilist_push_tail(&HELD_LIST(iw, io), s);
    hold_started(iw, io);
    dom_ref_sync(w, d);
    return true;
}

/*
 * d's leaf gfn -> mfn went while a device may cache it: queue the
 * invalidation and apply the policy.  A dying domain's guest no longer
 * runs, so every safe policy then just holds (the domain stays a zombie
 * until the flush completes).
 */
static void invalidate(struct xmm_world *w, struct iommu_world *iw, struct xmm_domain *d,
                       uint64_t gfn, uint64_t mfn)
{
    struct iommu_dom *io = iommu_of(d);
    enum xmm_iotlb_policy pol = w->policy.iotlb;
    bool running = !domain_dying(d);
    bool hold = pol != XMM_IOTLB_UNSAFE && (pol != XMM_IOTLB_SYNC || !running);
    bool wait = running && (pol == XMM_IOTLB_SYNC || pol == XMM_IOTLB_PAUSE);
    uint32_t s = slot_take(w, iw, running ? io : NULL);
    struct iommu_flush *r = &iw->q[s];
    uint64_t due;

    r->id = ++iw->next_id;
    r->gfn = gfn;
    r->mfn = mfn;
    r->dom = d->id;
    r->owner = w->frames[mfn - w->ram_base].owner;
    r->submitted = w->now;
    hold = hold && !XMM_CANARY(XMM_CANARY_IOTLB_FREE);
    if (hold && !hold_take(w, iw, d, s)) {
        hold = false;
        wait = true; /* nothing can keep the frame: do as sync does */
    }
    if (wait && hold) {
        r->flags |= FL_PAUSE;
        io->paused++;
    }
    tlb_mark_stale(w, iw, io, d->id, gfn, mfn, hold || wait);
    submit(w, iw, io, s);
    due = r->due;
    if (wait)
        wait_until(w, iw, due, running ? io : NULL, !hold);
    process_due(w, iw);
}

void iommu_p2m_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                     uint64_t e)
{
    struct iommu_world *iw = iommu_world_of(w);
    uint64_t om = 0, nm = 0;
    bool ow = false, nw = false;
    bool ov = iommu_leaf_visible(w, old, &om, &ow), nv = iommu_leaf_visible(w, e, &nm, &nw);

    if (!iw || old == e)
        return;
    /* Same frame, no write permission lost: the cached translation stays right. */
    if (ov && nv && om == nm && (nw || !ow))
        ov = false;
    if (ov) {
        if (iw->ops && iw->ops->unmap)
            iw->ops->unmap(iw->ctx, d->id, xmm_gfn(gfn), xmm_mfn(om));
        if (iommu_of(d)->ats_devices)
            invalidate(w, iw, d, gfn, om);
        else if (iommu_of(d)->ats_ever)
            /*
             * Deassigned at teardown: the device's whole-TLB invalidation
             * is on its way (or done); what it still caches of this leaf
             * is stale from now on, covered when the entry holds its frame.
             */
            tlb_mark_stale(w, iw, iommu_of(d), d->id, gfn, om, false);
    }
    if (nv && iw->ops && iw->ops->map)
        iw->ops->map(iw->ctx, d->id, xmm_gfn(gfn), xmm_mfn(nm), nw);
}

bool iommu_kill_must_wait(const struct xmm_world *w, const struct xmm_domain *d)
{
    return iommu_world_of(w) && iommu_of(d) && iommu_of(d)->ats_devices && iommu_world_of(w)->q_free == XMM_NIL;
}

/*
 * Deassign ATS device i from dying d: one invalidation of the device's
 * whole TLB (VT-d: context + domain-selective IOTLB + device-TLB flush;
 * SMMUv3: ATC invalidation of the whole address space and a sync).  Its
 * completion empties the TLB and makes the device assignable again; DMA
 * misses are blocked from now on (quarantine).  What waits for it:
 *  - sync: the kill call spins until it completes, once;
 *  - pause: the kill call completes with it, the CPU is free meanwhile
 *    (the guest is dead, there is nothing else to pause);
 *  - deferred: nothing waits; each entry the TLB still holds keeps its
 *    frame until the completion, so the domain may stay a zombie for one
 *    flush latency (none if the TLB is empty);
 *  - unsafe: nothing waits and nothing is held: frames freed by the rest
 *    of the kill stay reachable until the completion.
 * The caller made sure a queue slot is free.
 */
static void device_flush(struct xmm_world *w, struct iommu_world *iw, struct xmm_domain *d,
                         uint32_t i)
{
    struct iommu_dom *io = iommu_of(d);
    struct iommu_device *dv = &iw->dev[i];
    enum xmm_iotlb_policy pol = w->policy.iotlb;
    bool wait = pol == XMM_IOTLB_SYNC || pol == XMM_IOTLB_PAUSE;
    bool spin = pol != XMM_IOTLB_PAUSE;
    uint32_t s = slot_take(w, iw, NULL);
    struct iommu_flush *r = &iw->q[s];
    uint64_t t;

    r->id = ++iw->next_id;
    r->gfn = XMM_INVALID_GFN_RAW;
    r->dom = r->owner = d->id;
    r->dev = i;
    r->flags = FL_DEVICE;
    r->submitted = w->now;
    dv->flushing = true;
    for (uint32_t j = 0; pol == XMM_IOTLB_DEFERRED && !wait && j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
        struct devtlb_entry *e = &dv->tlb[j];

        /* Stale entries are covered already (a per-page hold or wait). */
        if ((e->flags & (TLB_VALID | TLB_STALE)) == TLB_VALID && !tlb_hold_take(w, iw, d, e))
            wait = true; /* nothing can keep the frame: do as sync does */
    }
    submit(w, iw, io, s);
    if (!wait) {
        process_due(w, iw); /* arms the completion timer (or completes at once) */
        return;
    }
    t = r->due - w->now;
    STAT(iw, io, stalls, 1);
    if (spin)
        STAT(iw, io, spin_ticks, t);
    w->now += t;
    process_due(w, iw);
}

int iommu_release_devices(struct xmm_world *w, struct xmm_domain *d)
{
    struct iommu_world *iw = iommu_world_of(w);
    struct iommu_dom *io = iommu_of(d);

    if (!iw || !io)
        return 0;
    for (uint32_t i = 0; i < iw->dev_count; i++) {
        struct iommu_device *dv = &iw->dev[i];

        if (dv->dom != d->id)
            continue;
        /* No free invalidation descriptor: preempt rather than spin. */
        if (dv->ats && iw->q_free == XMM_NIL)
            return -XMM_ERESTART;
        dv->dom = XMM_DOMID_INVALID;
        io->devices--;
        domain_touch(w, d);
        if (dv->ats) {
            io->ats_devices--;
            device_flush(w, iw, d, i);
        }
    }
    return 0;
}

/* --- public API -------------------------------------------------------- */

int xmm_iommu_assign(struct xmm_world *w, xmm_domid_t dom, const char *dev)
{
    struct iommu_world *iw = iommu_world_of(w);
    struct xmm_domain *d = domain_find(w, dom);
    struct iommu_device *dv;
    uint64_t gfn = 0, g, e;

    xmm_err_clear(w);
    if (!iw)
        return xmm_fail(w, -XMM_ENOSYS, "the world has no IOMMU (no world.iommu.devices)");
    dv = iommu_dev_find(iw, dev);
    if (!dv)
        return xmm_fail(w, -XMM_EINVAL, "there is no device %s", dev ? dev : "(null)");
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: no device is assigned to it", DN(dom),
                        xmm_domain_state_name(d->state));
    if (dv->dom == dom)
        return xmm_fail(w, -XMM_EEXIST, "%s is assigned to %s already", dv->id, DN(dom));
    if (dv->dom != XMM_DOMID_INVALID)
        return xmm_fail(w, -XMM_EBUSY, "%s is assigned to %s", dv->id, DN(dv->dom));
    if (dv->tlb_used || dv->flushing)
        return xmm_fail(w, -XMM_EBUSY,
                        "%s still has %s (device TLB entries: %" PRIu32 ")", dv->id,
                        dv->flushing ? "a flush in flight" : "cached translations",
                        (uint32_t)dv->tlb_used);
    if (!iommu_of(d)) {
        d->mod[XMM_MOD_IOMMU] = xmm_alloc(w, sizeof(*iommu_of(d)));
        if (!iommu_of(d))
            return xmm_fail(w, -XMM_ENOMEM, "no memory for %s's IOMMU state", DN(dom));
        iommu_of(d)->held_head = iommu_of(d)->held_tail = XMM_NIL;
    }
    dv->dom = dom;
    iommu_of(d)->devices++;
    if (dv->ats) {
        iommu_of(d)->ats_devices++;
        iommu_of(d)->ats_ever = true;
    }
    domain_touch(w, d);
    /* The IOMMU tables start as a copy of what the P2M maps now. */
    while (iw->ops && iw->ops->map && p2m_next_raw(&d->p2m, gfn, &g, &e)) {
        uint64_t m;
        bool wr;

        if (iommu_leaf_visible(w, e, &m, &wr))
            iw->ops->map(iw->ctx, dom, xmm_gfn(g), xmm_mfn(m), wr);
        gfn = g + 1;
    }
    return 0;
}

/*
 * A stale entry nothing protects reaches a frame that is free or changed
 * hands.  Hands are domains, not ids: a frame given to a new domain that
 * reuses the translating domain's (or the old owner's) id has changed hands.
 */
bool iommu_reach_breaks_isolation(const struct xmm_world *w, const struct devtlb_entry *e)
{
    const struct xmm_page *pg = &w->frames[e->mfn - w->ram_base];
    uint64_t inc;

    if ((e->flags & (TLB_STALE | TLB_COVERED)) != TLB_STALE)
        return false;
    if (page_is_free(pg))
        return true;
    inc = dom_inc(w, pg->owner);
    return !((pg->owner == e->owner && inc == e->owner_inc) ||
             (pg->owner == e->dom && inc == e->dom_inc));
}

static int dma_fault(struct iommu_world *iw, struct xmm_domain *d, int rc)
{
    STAT(iw, d ? iommu_of(d) : NULL, dma_faults, 1);
    return rc;
}

/*
 * A DMA through translation e reached a frame that is no longer the
 * domain's: flag the isolation violation, in words.
 */
static void dma_flag_isolation(struct xmm_world *w, const struct iommu_device *dv,
                               const struct devtlb_entry *e, bool write)
{
    const struct xmm_page *pg = &w->frames[e->mfn - w->ram_base];
    struct xmm_violation v = {
        .inv = XMM_INV_ISOLATION, .kind = XMM_SUBJECT_FRAME, .mfn = xmm_mfn(e->mfn),
        .dom = e->dom, .gfn = xmm_gfn(e->gfn),
    };

    snprintf(v.detail, sizeof(v.detail),
             "device %s %s frame %#llx through a stale device-TLB entry (gfn %#llx of %s), "
             "frame now %s %s", dv->id, write ? "wrote" : "read", (unsigned long long)e->mfn,
             (unsigned long long)e->gfn, DN(e->dom),
             page_is_free(pg) ? "free, owner" : "owned by", DN(pg->owner));
    xmm_check_flag(w, &v);
}

int xmm_iommu_dma(struct xmm_world *w, const char *dev, xmm_gfn_t gfn, bool write,
                  xmm_mfn_t *out)
{
    struct iommu_world *iw = iommu_world_of(w);
    struct iommu_device *dv;
    struct devtlb_entry *e, *refetch = NULL, tmp;
    struct xmm_domain *d;
    uint32_t idx;

    xmm_err_clear(w);
    if (!iw)
        return xmm_fail(w, -XMM_ENOSYS, "the world has no IOMMU (no world.iommu.devices)");
    dv = iommu_dev_find(iw, dev);
    if (!dv)
        return xmm_fail(w, -XMM_EINVAL, "there is no device %s", dev ? dev : "(null)");
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    d = domain_find(w, dv->dom);
    e = dv->ats ? tlb_find(dv, gfn.g) : NULL;
    /* A write through a cached read-only translation: ATS asks the IOMMU again. */
    if (e && write && !(e->flags & TLB_WRITE)) {
        if (e->flags & TLB_STALE)
            return dma_fault(iw, d, xmm_fail(w, -XMM_EACCES,
                                             "%s writes gfn %#" PRIx64 " through a stale read-only device-TLB entry",
                                             dv->id, gfn.g));
        refetch = e;
        e = NULL;
    }
    if (e) {
        e->lru = ++dv->lru_clock;
        STAT(iw, d ? iommu_of(d) : NULL, tlb_hits, 1);
        if (e->flags & TLB_STALE)
            STAT(iw, d ? iommu_of(d) : NULL, stale_hits, 1);
    } else {
        uint64_t m;
        bool wr;

        if (!d)
            return dma_fault(iw, NULL, xmm_fail(w, -XMM_EPERM,
                                                "%s is assigned to no domain and has no cached translation of gfn %#" PRIx64,
                                                dv->id, gfn.g));
        if (!iommu_leaf_visible(w, p2m_get(&d->p2m, gfn.g), &m, &wr))
            return dma_fault(iw, d, xmm_fail(w, -XMM_ENOENT,
                                             "IOMMU fault: %s's tables map nothing at gfn %#" PRIx64 " for %s",
                                             DN(d->id), gfn.g, dv->id));
        if (write && !wr)
            return dma_fault(iw, d, xmm_fail(w, -XMM_EACCES,
                                             "IOMMU fault: gfn %#" PRIx64 " of %s is read-only for %s",
                                             gfn.g, DN(d->id), dv->id));
        memset(&tmp, 0, sizeof(tmp));
        tmp.gfn = gfn.g;
        tmp.mfn = m;
        tmp.dom = d->id;
        tmp.owner = w->frames[m - w->ram_base].owner;
        tmp.dom_inc = d->inc;
        tmp.owner_inc = dom_inc(w, tmp.owner);
        tmp.flags = TLB_VALID;
        e = &tmp;
        if (refetch)
            tlb_drop(w, dv, refetch);
        if (dv->ats)
            tlb_insert(w, dv, gfn.g, m, wr, d->id);
    }
    idx = (uint32_t)(e->mfn - w->ram_base);
    STAT(iw, d ? iommu_of(d) : NULL, dma, 1);
    hist_add(w, idx, XMM_EV_DMA, w->frames[idx].owner, (uint64_t)(dv - iw->dev), write);
    if (iommu_reach_breaks_isolation(w, e)) {
        STAT(iw, d ? iommu_of(d) : NULL, isolation, 1);
        dma_flag_isolation(w, dv, e, write);
    }
    if (out)
        *out = xmm_mfn(e->mfn);
    return 0;
}

/* --- the module (module.h): iommu.c and iommu_check.c ----------------------- */

static int iommu_mod_world_init(struct xmm_world *w, const struct xmm_world_opts *o)
{
    return iommu_world_init(w, &o->iommu);
}

static int iommu_teardown(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    (void)budget; /* one whole-TLB flush per device, bounded by the device count */
    return iommu_release_devices(w, d);
}

static uint32_t iommu_dom_refs(const struct xmm_world *w, const struct xmm_domain *d)
{
    (void)w;
    return iommu_domain_refs(d);
}

/* --- clone (xmm_world_clone) -------------------------------------------------- */

/*
 * world_clone: copy w's IOMMU into c: devices with their TLBs, the queue.  An external
 * IOMMU model (ops, ctx) is shared, not copied: it is its user's.
 */
static int iommu_world_clone(struct xmm_world *c, const struct xmm_world *w)
{
    const struct iommu_world *iw = iommu_world_of(w);
    struct iommu_world *n;

    if (!iw)
        return 0;
    n = xmm_alloc(c, sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    *n = *iw;
    n->dev = NULL;
    n->q = NULL;
    n->dev_count = 0;
    c->mod[XMM_MOD_IOMMU] = n;
    if (iw->timer_armed)
        timer_arg_move(c, iw, n); /* the completion timer */
    if (!(n->q = xmm_alloc_copy(c, iw->q_cap * sizeof(*n->q), iw->q, iw->q_cap * sizeof(*n->q))) ||
        !(n->dev = xmm_alloc_copy(c, iw->dev_count * sizeof(*n->dev), iw->dev,
                                  iw->dev_count * sizeof(*n->dev))))
        return -XMM_ENOMEM;
    n->dev_count = iw->dev_count;
    for (uint32_t i = 0; i < iw->dev_count; i++)
        n->dev[i].id = NULL;
    for (uint32_t i = 0; i < iw->dev_count; i++) {
        size_t len = strlen(iw->dev[i].id) + 1;

        n->dev[i].id = xmm_alloc(c, len);
        if (!n->dev[i].id)
            return -XMM_ENOMEM;
        memcpy(n->dev[i].id, iw->dev[i].id, len);
    }
    return 0;
}

/* dom_clone: d's IOMMU state (plain values), for domains with one. */
static int iommu_domain_clone(struct xmm_world *c, struct xmm_domain *nd,
                              const struct xmm_world *w, const struct xmm_domain *d)
{
    struct iommu_dom *n;

    (void)w;
    if (!iommu_of(d))
        return 0;
    n = xmm_alloc_copy(c, sizeof(*n), iommu_of(d), sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    nd->mod[XMM_MOD_IOMMU] = n;
    return 0;
}

static const char *const iommu_events[] = { "dma", "devtlb_hold", "devtlb_release", NULL };

const struct xmm_module xmm_mod_iommu = {
    .name = "iommu",
    .world_init = iommu_mod_world_init,
    .world_free = iommu_world_fini,
    .dom_free = iommu_domain_free,
    .dom_discard = iommu_domain_free,
    .kill_stage = KILL_IOMMU,
    .teardown = iommu_teardown,
    .kill_must_wait = iommu_kill_must_wait,
    .dom_refs = iommu_dom_refs,
    .p2m_before = iommu_p2m_write,
    .p2m_slot_only = true, /* only domains with a device assigned follow the P2M */
    .rebuild_rmap = iommu_rebuild_rmap,
    .check_domain = iommu_check_domain,
    .check_world = iommu_check_world,
    .world_digest = iommu_digest,
    .dom_digest = iommu_domain_digest,
    .world_clone = iommu_world_clone,
    .dom_clone = iommu_domain_clone,
    .events = iommu_events,
};
