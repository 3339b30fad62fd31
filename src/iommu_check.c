/*
 * libxmm - the IOMMU seen from outside (seed 003): its counters and device
 * queries, its part of the world digest, and its invariants: the frames
 * held for invalidations (refcount, rebuilt for the full sweep) and what
 * the device TLBs can still reach (isolation).
 */
#include <stdio.h>

#include "iommu_priv.h"

/* --- queries ------------------------------------------------------------- */

int xmm_iommu_stats(const struct xmm_world *w, xmm_domid_t dom, struct xmm_iommu_stats *out)
{
    const struct xmm_domain *d;

    memset(out, 0, sizeof(*out));
    if (!iommu_world_of(w))
        return -XMM_ENOSYS;
    if (dom == XMM_DOMID_INVALID) {
        *out = iommu_world_of(w)->st;
        return 0;
    }
    d = domain_find(w, dom);
    if (!d)
        return -XMM_ESRCH;
    if (iommu_of(d))
        *out = iommu_of(d)->st;
    return 0;
}

size_t xmm_iommu_device_count(const struct xmm_world *w)
{
    return iommu_world_of(w) ? iommu_world_of(w)->dev_count : 0;
}

const char *xmm_iommu_device_id(const struct xmm_world *w, size_t i)
{
    return iommu_world_of(w) && i < iommu_world_of(w)->dev_count ? iommu_world_of(w)->dev[i].id : NULL;
}

int xmm_iommu_device_info(const struct xmm_world *w, const char *dev, xmm_domid_t *dom,
                          uint32_t *tlb_entries)
{
    const struct iommu_device *dv;

    if (!iommu_world_of(w))
        return -XMM_ENOSYS;
    dv = iommu_dev_find(iommu_world_of(w), dev);
    if (!dv)
        return -XMM_EINVAL;
    if (dom)
        *dom = dv->dom;
    if (tlb_entries)
        *tlb_entries = dv->tlb_used;
    return 0;
}

bool xmm_iommu_domain_paused(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);

    return d && iommu_of(d) && iommu_of(d)->paused > 0;
}

/* --- checker ------------------------------------------------------------ */

uint64_t iommu_digest(const struct xmm_world *w)
{
    const struct iommu_world *iw = iommu_world_of(w);
    uint64_t h;

    if (!iw)
        return 0;
    h = mix64(iw->next_id ^ UINT64_C(0x10));
    for (uint32_t i = 0; i < iw->dev_count; i++) {
        const struct iommu_device *dv = &iw->dev[i];

        h = mix64(h ^ ((uint64_t)dv->dom << 32) ^ dv->tlb_used ^ ((uint64_t)dv->flushing << 63));
        for (uint32_t j = 0; dv->tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
            const struct devtlb_entry *e = &dv->tlb[j];

            if (!(e->flags & TLB_VALID))
                continue;
            h = mix64(h ^ e->gfn ^ ((uint64_t)j << 40));
            h = mix64(h ^ e->mfn ^ ((uint64_t)e->flags << 48) ^ e->lru);
            h = mix64(h ^ ((uint64_t)e->dom << 16) ^ e->owner ^ (e->held_since << 32));
        }
    }
    for (uint32_t s = iw->pend_head; s != XMM_NIL; s = iw->q[s].next) {
        const struct iommu_flush *r = &iw->q[s];

        h = mix64(h ^ r->id ^ (r->due << 1));
        h = mix64(h ^ r->gfn ^ (r->mfn << 20) ^ ((uint64_t)r->flags << 60));
        h = mix64(h ^ ((uint64_t)r->dom << 16) ^ r->owner ^ (r->submitted << 32));
        h = mix64(h ^ r->dev);
    }
    return h;
}

void iommu_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm)
{
    const struct iommu_world *iw = iommu_world_of(w);

    if (!iw)
        return;
    for (uint32_t s = iw->pend_head; s != XMM_NIL; s = iw->q[s].next)
        if (iw->q[s].flags & FL_HOLD)
            rm[iw->q[s].mfn - w->ram_base].refs++;
    for (uint32_t i = 0; i < iw->dev_count; i++)
        for (uint32_t j = 0; j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
            const struct devtlb_entry *e = &iw->dev[i].tlb[j];

            if ((e->flags & (TLB_VALID | TLB_STALE | TLB_COVERED)) == (TLB_VALID | TLB_STALE))
                rm[e->mfn - w->ram_base].reach++;
            if ((e->flags & (TLB_VALID | TLB_HELD)) == (TLB_VALID | TLB_HELD))
                rm[e->mfn - w->ram_base].refs++;
        }
}

void iommu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                        struct xmm_check_report *rep)
{
    const struct iommu_world *iw = iommu_world_of(w);
    const struct iommu_dom *io = iommu_of(d);
    uint64_t n = 0, t = 0;

    if (!iw || !io)
        return;
#define HOLD_V(inv, mfn, ...) check_report(rep, inv, XMM_SUBJECT_FRAME, mfn, d->id, 0, __VA_ARGS__)
    for (uint32_t s = io->held_head; s != XMM_NIL && n <= iw->q_cap; s = iw->q[s].dnext, n++) {
        const struct iommu_flush *r = &iw->q[s];
        const struct xmm_page *pg = &w->frames[r->mfn - w->ram_base];

        if (!(r->flags & FL_HOLD) || r->dom != d->id)
            HOLD_V(XMM_INV_REFCOUNT, r->mfn, "d%u's device-TLB hold list names invalidation %llu "
                   "of d%u", (unsigned)d->id, (unsigned long long)r->id, (unsigned)r->dom);
        /*
         * A frame an SP refused may be parked while held (seed 000 meets
         * seed 003): parking keeps every reference and never frees the
         * frame, so the hold still protects it.
         */
        else if (page_is_free(pg) || page_count(pg) == 0 ||
                 (pg->owner != r->owner && pg->owner != XMM_DOMID_PARK))
            HOLD_V(XMM_INV_REFCOUNT, r->mfn, "frame held for invalidation %llu is %s (owner %u, "
                   "held for %u)", (unsigned long long)r->id, page_is_free(pg) ? "free" : "in use",
                   (unsigned)pg->owner, (unsigned)r->owner);
    }
    /* Frames held by device-TLB entries of a device deassigned at teardown. */
    for (uint32_t i = 0; i < iw->dev_count; i++)
        for (uint32_t j = 0; iw->dev[i].tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
            const struct devtlb_entry *e = &iw->dev[i].tlb[j];

            if ((e->flags & (TLB_VALID | TLB_HELD)) == (TLB_VALID | TLB_HELD) && e->dom == d->id)
                t++;
        }
    if (t != io->tlb_held || n + t != io->st.held)
        check_report(rep, XMM_INV_REFCOUNT, XMM_SUBJECT_DOMAIN, 0, d->id, 0,
                     "d%u holds %llu frames for device-TLB flushes (%u by TLB entries), its list "
                     "links %llu and TLB entries hold %llu", (unsigned)d->id,
                     (unsigned long long)io->st.held, (unsigned)io->tlb_held,
                     (unsigned long long)n, (unsigned long long)t);
    if (io->dom_ref != (io->st.held > 0))
        check_report(rep, XMM_INV_OWNERSHIP, XMM_SUBJECT_DOMAIN, 0, d->id, 0,
                     "IOMMU domain reference %s with %llu frames held",
                     io->dom_ref ? "kept" : "missing", (unsigned long long)io->st.held);
#undef HOLD_V
}

void iommu_check_world(const struct xmm_world *w, struct xmm_check_report *rep)
{
    const struct iommu_world *iw = iommu_world_of(w);

    if (!iw)
        return;
    for (uint32_t i = 0; i < iw->dev_count; i++) {
        const struct iommu_device *dv = &iw->dev[i];

        for (uint32_t j = 0; dv->tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
            const struct devtlb_entry *e = &dv->tlb[j];
            const struct xmm_page *pg;
            const struct xmm_domain *d;
            uint64_t m;
            bool wr;

            if (!(e->flags & TLB_VALID))
                continue;
            pg = &w->frames[e->mfn - w->ram_base];
            d = domain_find(w, e->dom);
            if ((e->flags & TLB_HELD) && (!dv->flushing || page_is_free(pg)))
                check_report(rep, XMM_INV_REFCOUNT, XMM_SUBJECT_FRAME, e->mfn, e->dom, e->gfn,
                             "device %s's entry for gfn %#llx holds frame %#llx %s", dv->id,
                             (unsigned long long)e->gfn, (unsigned long long)e->mfn,
                             page_is_free(pg) ? "which is free" : "but no flush of it is pending");
            if (!(e->flags & TLB_STALE)) {
                if (!d || !iommu_leaf_visible(w, p2m_get(&d->p2m, e->gfn), &m, &wr) || m != e->mfn)
                    check_report(rep, XMM_INV_ISOLATION, XMM_SUBJECT_FRAME, e->mfn, e->dom,
                                 e->gfn, "device %s caches gfn %#llx of d%u, which the P2M no "
                                 "longer maps there, and it was never invalidated", dv->id,
                                 (unsigned long long)e->gfn, (unsigned)e->dom);
            } else if ((e->flags & TLB_COVERED) && page_is_free(pg)) {
                check_report(rep, XMM_INV_ISOLATION, XMM_SUBJECT_FRAME, e->mfn, e->dom, e->gfn,
                             "device %s reaches free frame %#llx that a hold should keep",
                             dv->id, (unsigned long long)e->mfn);
            } else if (!page_is_free(pg) && iommu_reach_breaks_isolation(w, e)) {
                /* Free frames with stale reachers are the frame check's (rmap.reach). */
                check_report(rep, XMM_INV_ISOLATION, XMM_SUBJECT_FRAME, e->mfn, pg->owner,
                             e->gfn, "device %s (%s) can still reach frame %#llx through a "
                             "stale entry for gfn %#llx; the frame now belongs to %s "
                             "(incarnation %llu; cached for %s incarnation %llu)", dv->id,
                             DN(e->dom), (unsigned long long)e->mfn,
                             (unsigned long long)e->gfn, DN(pg->owner),
                             (unsigned long long)(domain_find(w, pg->owner)
                                                      ? domain_find(w, pg->owner)->inc : 0),
                             DN(e->owner), (unsigned long long)e->owner_inc);
            }
        }
    }
}

void xmm_iommu_for_each_tlb(const struct xmm_world *w, xmm_iommu_tlb_fn fn, void *arg)
{
    for (uint32_t i = 0; iommu_world_of(w) && i < iommu_world_of(w)->dev_count; i++) {
        const struct iommu_device *dv = &iommu_world_of(w)->dev[i];

        for (uint32_t j = 0; dv->tlb_used && j < XMM_IOMMU_DEVTLB_ENTRIES; j++) {
            const struct devtlb_entry *e = &dv->tlb[j];

            if (e->flags & TLB_VALID)
                fn(arg, dv->id, e->dom, xmm_gfn(e->gfn), xmm_mfn(e->mfn),
                   (e->flags & TLB_STALE) != 0);
        }
    }
}

/* History descriptions with device ids: the IOMMU knows its devices' names. */
int xmm_event_describe_in(const struct xmm_world *w, const struct xmm_event *ev, char *buf,
                          size_t len)
{
    const char *dev = NULL;
    char d[16];

    if (ev->kind == XMM_EV_DMA || ev->kind == XMM_EV_DEVTLB_FILL)
        dev = xmm_iommu_device_id(w, ev->arg);
    if (!dev)
        return xmm_event_describe(ev, buf, len);
    xmm_domid_name(ev->dom, d, sizeof(d));
    if (ev->kind == XMM_EV_DMA)
        return snprintf(buf, len, "DMA %s by device %s", ev->aux ? "write" : "read", dev);
    return snprintf(buf, len, "device %s cached a translation of %s", dev, d);
}

uint64_t iommu_domain_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    const struct iommu_dom *id = iommu_of(d);

    (void)w;
    if (!id)
        return 0;
    return mix64(id->devices ^ ((uint64_t)id->ats_devices << 16) ^ ((uint64_t)id->ats_ever << 32) ^
                 ((uint64_t)id->dom_ref << 33) ^ ((uint64_t)id->paused << 40) ^
                 mix64(id->tlb_held ^ ((uint64_t)id->held_head << 32) ^ id->held_tail));
}
