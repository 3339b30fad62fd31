/*
 * Seed 004 test fixture shared by test_mpu.c and test_shinfo.c: a world
 * with an MPU, eight declared devices and no safe ranges, direct-mapped
 * domains, and the region counts read back through the public API.
 */
#ifndef XMM_MPU_FIXTURE_H
#define XMM_MPU_FIXTURE_H

#include "testutil.h"

#define RAM0 0x40000 /* tu_opts: 4096 frames from here */
#define RAM_END (RAM0 + 4096)
#define HOLE 0x38000 /* below RAM: neither RAM nor MMIO */
#define UART 0x9000  /* a declared MMIO region (mmio_regions[]) */

static const struct xmm_mmio_region mmio_regions[] = {
    { { 0x9000 }, 4, "uart" },
    { { 0x9100 }, 4, "gic" },
    { { 0x9200 }, 4, "timer" },
    { { 0x9300 }, 4, "rtc" },
    { { 0x9400 }, 4, "gpio" },
    { { 0x9500 }, 4, "spi" },
    { { 0x9600 }, 4, "i2c" },
    { { 0x9700 }, 4, "watchdog" },
};

static inline struct xmm_world_opts mpu_opts(uint32_t regions, enum xmm_shared_info_policy si,
                                      enum xmm_mpu_xdom_policy x)
{
    struct xmm_world_opts o = tu_opts();

    o.policy.safe_range = XMM_SAFE_RANGE_NONE;
    o.policy.shared_info = si;
    o.mpu.regions = regions;
    o.mpu.xen_regions = 3;
    o.mpu.cross_domain = x;
    o.mmio = mmio_regions;
    o.mmio_count = sizeof(mmio_regions) / sizeof(mmio_regions[0]);
    return o;
}

static inline struct xmm_world *mpu_world(uint32_t regions, enum xmm_shared_info_policy si)
{
    struct xmm_world_opts o = mpu_opts(regions, si, XMM_MPU_XDOM_SWITCH);

    return tu_world(&o);
}

static inline void direct_domain(struct xmm_world *w, xmm_domid_t dom, uint64_t max_pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = max_pages;
    o.direct_map = true;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
}

static inline uint64_t direct_populate(struct xmm_world *w, xmm_domid_t dom, uint64_t pages)
{
    xmm_gfn_t g;

    assert_rc(xmm_physmap_populate_direct(w, dom, pages, &g), 0);
    return xmm_gfn_x(g);
}

static inline struct xmm_mpu_usage usage(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_mpu_usage u;

    assert_rc(xmm_mpu_usage(w, dom, &u), 0);
    return u;
}

/* Runs counted the slow way, through the public P2M walk. */
static inline uint64_t brute_runs(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_p2m_entry e, prev = { XMM_INVALID_MFN, XMM_P2M_INVALID };
    xmm_gfn_t g, pg = xmm_gfn(0);
    uint64_t runs = 0;

    for (xmm_gfn_t from = xmm_gfn(0); xmm_p2m_next(w, dom, from, &g, &e) == 0;
         from = xmm_gfn_add(g, 1)) {
        if (!(prev.type == e.type && prev.type != XMM_P2M_INVALID && g.g == pg.g + 1 &&
              e.mfn.m == prev.mfn.m + 1))
            runs++;
        prev = e;
        pg = g;
    }
    return runs;
}

static inline bool has_violation(struct xmm_world *w, enum xmm_invariant inv)
{
    struct xmm_check_report rep;

    xmm_check_incremental(w, &rep);
    return tu_report_has(&rep, inv);
}


#endif /* XMM_MPU_FIXTURE_H */
