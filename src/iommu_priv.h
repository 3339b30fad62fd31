/*
 * libxmm - IOMMU structures shared by iommu.c (the model) and
 * iommu_check.c (its digest, checks and read-only queries).  Seed 003.
 */
#ifndef XMM_IOMMU_PRIV_H
#define XMM_IOMMU_PRIV_H

#include "internal.h"

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

#endif /* XMM_IOMMU_PRIV_H */
