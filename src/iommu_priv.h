/*
 * libxmm - IOMMU structures shared by iommu.c (the model) and
 * iommu_check.c (its digest, checks and read-only queries).  Seed 003.
 */
#ifndef XMM_IOMMU_PRIV_H
#define XMM_IOMMU_PRIV_H

#include "module.h"

#define TLB_VALID 0x01
#define TLB_WRITE 0x02
#define TLB_STALE 0x04   /* the P2M no longer maps gfn -> mfn */
#define TLB_COVERED 0x08 /* stale, but a hold or a wait keeps the frame until the flush */
#define TLB_HELD 0x10    /* deassigned at teardown: the entry holds its frame until the device flush */
#define TLB_TYPED 0x20   /* ... and a typed XMM_PGT_DEV_TLB reference */

struct devtlb_entry {
    uint64_t gfn, mfn, lru;
    uint64_t held_since; /* TLB_HELD: the tick the hold was taken */
    /* Incarnations of dom and owner (0: not a domain), as the isolation rule compares. */
    uint64_t dom_inc, owner_inc;
    xmm_domid_t dom;   /* the domain whose translation this is */
    xmm_domid_t owner; /* owner of the frame when it was cached */
    uint8_t flags;
};

struct iommu_device {
    char *id;
    bool ats;
    xmm_domid_t dom; /* XMM_DOMID_INVALID: unassigned (DMA misses are blocked) */
    bool flushing;   /* deassigned; its whole-TLB invalidation has not completed yet */
    uint32_t tlb_used;
    uint64_t lru_clock;
    struct devtlb_entry tlb[XMM_IOMMU_DEVTLB_ENTRIES];
};

#define FL_HOLD 0x1  /* the slot holds its frame: general reference, on the domain's list */
#define FL_TYPED 0x2 /* ... and a typed XMM_PGT_DEV_TLB reference */
#define FL_PAUSE 0x4 /* the domain stays paused until this completes */
#define FL_DEVICE 0x8 /* deassignment: every translation of one device, not one gfn */

/* One queued invalidation, and the frame it holds until it completes. */
struct iommu_flush {
    uint64_t id, submitted, due, gfn, mfn;
    xmm_domid_t dom, owner;
    uint8_t flags;
    uint32_t dev;          /* FL_DEVICE: the device's index */
    uint32_t next, prev;   /* pending list in (due, id) order; free list through next */
    uint32_t dnext, dprev; /* the holding domain's list, oldest first */
};

struct iommu_world {
    const struct xmm_iommu_ops *ops;
    void *ctx;
    uint64_t latency;
    struct iommu_device *dev;
    uint32_t dev_count;
    struct iommu_flush *q;
    uint32_t q_cap, q_free, pend_head, pend_tail;
    uint64_t next_id;
    bool timer_armed;
    uint64_t timer_id, timer_due;
    struct xmm_iommu_stats st;
};

/* Per domain: its devices, the frames its unmaps hold, its counters. */
struct iommu_dom {
    uint32_t devices, ats_devices; /* assigned now: an unmap is invalidated per page */
    bool ats_ever; /* once set, a device TLB may still hold the domain's translations */
    bool dom_ref;  /* a domain reference while any frame is held */
    uint32_t tlb_held; /* frames held by device-TLB entries (TLB_HELD), part of st.held */
    uint32_t paused;
    uint32_t held_head, held_tail;
    struct xmm_iommu_stats st;
};

/* iommu.c */
struct iommu_device *iommu_dev_find(const struct iommu_world *iw, const char *id);
/* Does the IOMMU translate this P2M leaf?  *mfn and *writable when it does. */
bool iommu_leaf_visible(const struct xmm_world *w, uint64_t e, uint64_t *mfn, bool *writable);
/* A stale entry nothing protects reaches a frame that is free or changed hands. */
bool iommu_reach_breaks_isolation(const struct xmm_world *w, const struct devtlb_entry *e);

/* --- IOMMU and device TLBs (iommu.c): seed 003 ---------------------------- */
int iommu_world_init(struct xmm_world *w, const struct xmm_iommu_opts *o);
void iommu_world_fini(struct xmm_world *w);
uint64_t iommu_digest(const struct xmm_world *w);
/* One domain's IOMMU state (devices, held frames, pause) for the world digest. */
uint64_t iommu_domain_digest(const struct xmm_world *w, const struct xmm_domain *d);
/* p2m_write hook (d->iommu set): the leaf at gfn went from old to e.  Cannot fail. */
void iommu_p2m_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                     uint64_t e);
/* Kill: unmapping now would wait for an invalidation-queue slot (preempt instead). */
bool iommu_kill_must_wait(const struct xmm_world *w, const struct xmm_domain *d);
/* Kill stage: deassign d's devices, one whole-TLB flush each; 0, -XMM_ERESTART (queue full). */
int iommu_release_devices(struct xmm_world *w, struct xmm_domain *d);
/* Domain references the IOMMU holds (one while frames of d's unmaps are held). */
uint32_t iommu_domain_refs(const struct xmm_domain *d);
/* The domain structure goes (or the world): free d's IOMMU state. */
void iommu_domain_free(struct xmm_world *w, struct xmm_domain *d);
void iommu_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
void iommu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                        struct xmm_check_report *rep);
/* Device TLBs against the frames they reach (O(devices x TLB entries)). */
void iommu_check_world(const struct xmm_world *w, struct xmm_check_report *rep);


/* The module's slots (module.h). */
static inline struct iommu_world *iommu_world_of(const struct xmm_world *w)
{
    return (struct iommu_world *)w->mod[XMM_MOD_IOMMU];
}
static inline struct iommu_dom *iommu_of(const struct xmm_domain *d)
{
    return (struct iommu_dom *)d->mod[XMM_MOD_IOMMU];
}

#endif /* XMM_IOMMU_PRIV_H */
