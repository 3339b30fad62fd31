/*
 * IOMMU unit tests (seed 003) - the fixture test_iommu.c and
 * test_iommu_random.c share: three devices (two with ATS), a guest with
 * RAM at GUEST_RAM0 and nic0 assigned, and an idle second domain.
 */
#ifndef XMM_TEST_IOMMU_FIXTURE_H
#define XMM_TEST_IOMMU_FIXTURE_H

#include <string.h>

#include "testutil.h"

#define GUEST 1
#define OTHER 2
#define RAM0 0x40000 /* GUEST_RAM0 >> 12 */
#define LAT 50

static const struct xmm_iommu_device devs[] = {
    { "nic0", true },  /* ATS: has a device TLB */
    { "nic1", true },
    { "hba0", false }, /* no ATS: every DMA walks the IOMMU */
};

struct fixture {
    enum xmm_iotlb_policy pol;
    enum xmm_alloc_mode alloc;
    uint64_t latency;
    uint32_t queue;
    const struct xmm_iommu_ops *ops;
    void *ctx;
};

static inline struct xmm_world_opts fx_opts(const struct fixture *f)
{
    struct xmm_world_opts o = tu_opts();

    o.policy.iotlb = f->pol;
    o.policy.safe_range = XMM_SAFE_RANGE_NONE; /* foreign mappings anywhere */
    o.alloc_mode = f->alloc;
    o.iommu.devices = devs;
    o.iommu.device_count = sizeof(devs) / sizeof(devs[0]);
    o.iommu.flush_latency = f->latency;
    o.iommu.queue = f->queue;
    o.iommu.ops = f->ops;
    o.iommu.ctx = f->ctx;
    return o;
}

static inline struct fixture fx(enum xmm_iotlb_policy pol, enum xmm_alloc_mode alloc)
{
    struct fixture f = { pol, alloc, LAT, 0, NULL, NULL };
    return f;
}

/* GUEST with `pages` at RAM0 and nic0 assigned; OTHER exists, empty. */
static inline struct xmm_world *make(const struct fixture *f, uint64_t pages)
{
    struct xmm_world_opts o = fx_opts(f);
    struct xmm_world *w = tu_world(&o);

    tu_domain(w, GUEST, 512);
    tu_domain(w, OTHER, 64);
    tu_populate(w, GUEST, RAM0, pages);
    assert_rc(xmm_iommu_assign(w, GUEST, "nic0"), 0);
    assert_world_clean(w);
    return w;
}

static inline struct xmm_iommu_stats stats(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_iommu_stats s;

    assert_rc(xmm_iommu_stats(w, dom, &s), 0);
    return s;
}

static inline xmm_mfn_t dma(struct xmm_world *w, const char *dev, uint64_t gfn)
{
    xmm_mfn_t m;

    assert_rc(xmm_iommu_dma(w, dev, xmm_gfn(gfn), true, &m), 0);
    return m;
}

static inline uint32_t check_inc(struct xmm_world *w, struct xmm_check_report *rep)
{
    return xmm_check_incremental(w, rep);
}

#endif /* XMM_TEST_IOMMU_FIXTURE_H */
