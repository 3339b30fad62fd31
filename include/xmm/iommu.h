/*
 * libxmm - the IOMMU and device TLBs (seed 003).
 *
 * A device assigned to a domain does DMA through the IOMMU, which follows
 * the domain's P2M (Arm shares the stage-2 tables with the SMMU; on x86 the
 * VT-d tables are kept in step with the P2M).  A device with PCIe ATS keeps
 * its own cache of translations, the device TLB, which the hypervisor can
 * only empty by queueing an invalidation and waiting for the device to say
 * it is done.  Until then the device still uses what it cached, even when
 * the P2M entry has gone: a frame freed in that window may be reused while
 * a device can still write to it.
 *
 * The world policy `iotlb` decides what an unmap does while an invalidation
 * is pending (scenario-format.md "Policies"):
 *  - deferred: the seed 003 design (Tim Deegan's suggestion in the thread):
 *    the frame takes a general and a typed XMM_PGT_DEV_TLB reference, waits
 *    on a per-domain list and is released when the flush completes;
 *  - sync: the unmapping call does not return before the flush completes
 *    (Xen since XSA-373); the guest is stalled and the CPU spins;
 *  - pause: as deferred, and the domain is paused until the flush completes
 *    (Quan Xu's RFC): the call that caused it does not complete meanwhile;
 *  - unsafe: the frame is freed at once (the hazard the thread is about).
 *
 * The device TLBs, the IOMMU's walk of the P2M and the invalidation queue
 * are the library's own (the invariants look at them).  What the hardware
 * does with an invalidation is pluggable: `struct xmm_iommu_ops` sees every
 * mapping and unmapping and says how long each invalidation takes; without
 * ops the built-in IOMMU completes every invalidation after
 * `flush_latency` ticks.  Devices and options are given at world creation
 * (struct xmm_iommu_opts in world.h).
 */
#ifndef XMM_IOMMU_H
#define XMM_IOMMU_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XMM_IOMMU_DEVICES_MAX 16     /* devices behind the IOMMU */
#define XMM_IOMMU_DEVTLB_ENTRIES 64  /* translations one device TLB caches */
#define XMM_IOMMU_QUEUE_DEFAULT 256  /* VT-d's invalidation queue: one 4 KiB page of 16-byte descriptors */
#define XMM_IOMMU_QUEUE_MAX 65536
#define XMM_IOMMU_LATENCY_MAX (UINT64_C(1) << 40) /* longer invalidations are cut to this */

/*
 * The hardware side of the IOMMU, for users who want their own.  Every
 * callback is optional except `flush`.  They are called from inside the
 * library while it changes the world: they must not call libxmm functions
 * other than the read-only ones (lookups, infos, xmm_world_now).
 */
struct xmm_iommu_ops {
    /* The IOMMU now translates dom's gfn to mfn (a P2M leaf appeared or changed). */
    void (*map)(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn, bool writable);
    /* dom's gfn no longer translates to mfn; an invalidation follows if dom has ATS devices. */
    void (*unmap)(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn);
    /*
     * Invalidate gfn in the device TLBs of dom's devices (invalidation
     * `flush_id`, numbered from 1).  gfn is XMM_INVALID_GFN when a device
     * of dom is deassigned at teardown: its whole TLB is invalidated.
     * Return: the ticks until the devices report completion; 0 means at
     * once (at most XMM_IOMMU_LATENCY_MAX).
     */
    uint64_t (*flush)(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t flush_id);
    /* Invalidation `flush_id` completed (called before its frames are released). */
    void (*flush_done)(void *ctx, xmm_domid_t dom, uint64_t flush_id);
};

/*
 * Assign device `dev` (an id from the world's device list) to `dom`; the
 * IOMMU follows dom's P2M from now on (every leaf already there is reported
 * to ops->map).  While dom has an ATS device every unmap is invalidated
 * page by page.  Devices are deassigned first thing when the domain is
 * killed, an ATS device with one invalidation of its whole TLB (Xen's
 * pci_release_devices); after that its DMA misses are blocked.
 * Return: 0; -XMM_ENOSYS (the world has no IOMMU); -XMM_EINVAL (unknown
 * device, dying domain); -XMM_ESRCH; -XMM_EEXIST (already assigned to
 * dom); -XMM_EBUSY (assigned to another domain, its whole-TLB invalidation
 * has not completed, or its TLB still holds translations waiting for an
 * invalidation); -XMM_ENOMEM.
 */
int xmm_iommu_assign(struct xmm_world *w, xmm_domid_t dom, const char *dev);

/*
 * Device `dev` reads or writes gfn.  The device TLB is looked up first and
 * a hit is used even when the P2M has changed since (stale entries are
 * honoured, as real devices do); on a miss the IOMMU walks the P2M of the
 * device's domain and an ATS device caches the result (least recently used
 * entry evicted).  The IOMMU translates RAM, foreign and grant entries: it
 * walks the domain's stage-2 tables (shared with the P2M, as on Arm), so
 * a xenheap page mapped into the guest (shared_info, grant-table frames)
 * is reached like RAM; MMIO is not a DMA target here.  A DMA that reaches a free frame, or a
 * frame that changed owner since it was cached, is flagged as an
 * `isolation` violation.  *mfn (may be NULL) gets the frame reached.
 * Return: 0; -XMM_ENOSYS (no IOMMU); -XMM_EINVAL (unknown device, gfn out
 * of range); -XMM_EPERM (a miss on a device assigned to no domain: the
 * IOMMU blocks it); -XMM_ENOENT (a miss and the IOMMU translates nothing
 * at gfn: an IOMMU fault); -XMM_EACCES (a write through a read-only
 * translation).
 */
int xmm_iommu_dma(struct xmm_world *w, const char *dev, xmm_gfn_t gfn, bool write,
                  xmm_mfn_t *mfn);

/* What the IOMMU cost so far: the figures docs/semantics.md compares. */
struct xmm_iommu_stats {
    uint64_t flushes;        /* invalidations requested */
    uint64_t flushes_done;   /* ... and completed */
    uint64_t pending;        /* requested, not completed (now) */
    uint64_t holds;          /* frames held for an invalidation (deferred, pause; at teardown under deferred, frames a deassigned device still caches) */
    uint64_t held;           /* frames held now */
    uint64_t held_peak;      /* most frames held at once */
    uint64_t hold_ticks;     /* sum, over released holds, of the ticks each frame was held */
    uint64_t hold_ticks_max; /* the longest hold */
    uint64_t stalls;         /* unmapping calls that waited for the device */
    uint64_t stall_ticks;    /* guest ticks lost waiting (sync, pause, full queue) */
    uint64_t spin_ticks;     /* ticks the hypervisor CPU spun (sync, full queue, teardown) */
    uint64_t queue_full;     /* waits for a free invalidation-queue slot */
    uint64_t stale_unheld;   /* stale device-TLB entries nothing protected (unsafe) */
    uint64_t dma;            /* DMA accesses that reached a frame */
    uint64_t dma_faults;     /* DMA that reached nothing (EPERM, ENOENT, EACCES) */
    uint64_t tlb_hits;       /* DMA served by a device TLB */
    uint64_t stale_hits;     /* ... through an entry the P2M no longer has */
    uint64_t isolation;      /* DMA that reached a free frame or another owner's */
};

/*
 * Counters of one domain (kept while the domain exists), or of the whole
 * world when dom is XMM_DOMID_INVALID.  A domain's counters are those of
 * its devices: a frame held for a device-TLB invalidation counts for the
 * domain whose entry was unmapped, even when another domain owns the
 * frame.  A domain that never had a device reports zeros.  Return: 0, -XMM_ENOSYS (no IOMMU), -XMM_ESRCH.
 */
int xmm_iommu_stats(const struct xmm_world *w, xmm_domid_t dom, struct xmm_iommu_stats *out);

/* Devices of the world, in declaration order (0 without an IOMMU). */
size_t xmm_iommu_device_count(const struct xmm_world *w);
/* Id of device i, or NULL. */
const char *xmm_iommu_device_id(const struct xmm_world *w, size_t i);
/*
 * Device `dev`: its domain (XMM_DOMID_INVALID when unassigned) and the
 * translations its TLB holds now.  Return: 0, -XMM_ENOSYS, -XMM_EINVAL.
 */
int xmm_iommu_device_info(const struct xmm_world *w, const char *dev, xmm_domid_t *dom,
                          uint32_t *tlb_entries);

/*
 * Every translation cached in a device TLB now: fn(arg, device id, the
 * domain it translates for, gfn, mfn, stale: the P2M no longer maps gfn to
 * mfn).  For tools that explain or draw the model.
 */
typedef void (*xmm_iommu_tlb_fn)(void *arg, const char *dev, xmm_domid_t dom, xmm_gfn_t gfn,
                                 xmm_mfn_t mfn, bool stale);
void xmm_iommu_for_each_tlb(const struct xmm_world *w, xmm_iommu_tlb_fn fn, void *arg);

/* True while dom is paused waiting for an invalidation (iotlb=pause). */
bool xmm_iommu_domain_paused(const struct xmm_world *w, xmm_domid_t dom);

#ifdef __cplusplus
}
#endif
#endif /* XMM_IOMMU_H */
