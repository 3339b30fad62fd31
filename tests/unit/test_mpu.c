/*
 * Seed 004: direct-mapped domains and MPU region accounting (runs merging
 * and splitting, heap splits, the limit, holes for foreign and grant
 * mappings), the world options, and allocation failure at every new
 * allocation site.  shared_info placement and cross-domain sends are in
 * test_shinfo.c.
 */
#include <string.h>

#include "mpu_fixture.h"

/* --- region counting ------------------------------------------------------- */

static void test_runs_merge_split(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_XENHEAP);
    uint64_t a, b;

    (void)state;
    direct_domain(w, 1, 256);
    assert_int_equal(usage(w, 1).total, 3);
    assert_int_equal(usage(w, 1).limit, 16);
    a = direct_populate(w, 1, 16);
    assert_int_equal(a, RAM0); /* lowest free host range, gfn == mfn */
    assert_true(xmm_mfn_eq(tu_mfn_at(w, 1, a + 5), xmm_mfn(a + 5)));
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    /* The next range is adjacent: one region still. */
    b = direct_populate(w, 1, 16);
    assert_int_equal(b, a + 16);
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    assert_int_equal(usage(w, 1).total, 4);
    /* A page given back splits the run; its neighbour going too does not add one. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(a + 10), 1), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(a + 11), 1), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    /* Filling the hole again (gfn == mfn) merges both sides. */
    tu_populate(w, 1, a + 10, 2);
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    /* Another type in the middle: three regions. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(a + 20), xmm_mfn(a + 20), XMM_P2M_RAM_RO), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 3);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(a + 20), xmm_mfn(a + 20), XMM_P2M_RAM_RW), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    /* A leaf whose mfn breaks the contiguity is a region of its own. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(a + 32), xmm_mfn(a + 31), XMM_P2M_RAM_RW), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_int_equal(usage(w, 1).p2m_runs, brute_runs(w, 1));
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(a + 32)), 0);
    /* MMIO of a direct-mapped domain: one region per device range. */
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(UART), xmm_mfn(UART), 4), 0);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9100), xmm_mfn(0x9100), 4), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 3);
    assert_int_equal(usage(w, 1).peak, 3 + 3);
    assert_world_clean(w);
    /* Teardown empties the P2M: back to Xen's own regions. */
    assert_rc(xmm_domain_destroy(w, 1, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Random leaf changes in a small window (RAM types over the domain's own
 * frames, MMIO over a device): kept count == walk == full recount.
 */
static void test_runs_random(void **state)
{
    static const enum xmm_p2m_type types[] = { XMM_P2M_RAM_RW, XMM_P2M_RAM_RO,
                                               XMM_P2M_MMIO_DIRECT_DEV };
    struct xmm_world *w = mpu_world(0, XMM_SHARED_INFO_XENHEAP);
    uint64_t seed = tu_seed(0x004d9001);

    (void)state;
    direct_domain(w, 1, 64);
    direct_populate(w, 1, 48);
    for (int i = 0; i < 3000; i++) {
        uint64_t r = tu_rand(&seed), gfn = RAM0 + (r % 40);
        enum xmm_p2m_type t = types[(r >> 24) % 3];
        uint64_t mfn = t == XMM_P2M_MMIO_DIRECT_DEV ? UART + ((r >> 8) % 4)
                                                    : RAM0 + ((r >> 8) % 42);

        if ((r >> 20) % 4 == 0)
            (void)xmm_p2m_remove(w, 1, xmm_gfn(gfn));
        else
            assert_rc(xmm_p2m_set(w, 1, xmm_gfn(gfn), xmm_mfn(mfn), t), 0);
        assert_int_equal(usage(w, 1).p2m_runs, brute_runs(w, 1));
        if (i % 100 == 0)
            assert_int_equal(xmm_check_full(w, NULL), 0);
    }
    tu_world_free(w);
}

static void test_limit(void **state)
{
    struct xmm_world *w = mpu_world(5, XMM_SHARED_INFO_XENHEAP);

    (void)state;
    direct_domain(w, 1, 64);
    direct_populate(w, 1, 8);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(UART), xmm_mfn(UART), 4), 0);
    assert_int_equal(usage(w, 1).total, 5); /* exactly the MPU: fits */
    assert_false(has_violation(w, XMM_INV_MPU_REGIONS));
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9100), xmm_mfn(0x9100), 4), 0);
    assert_int_equal(usage(w, 1).total, 6);
    assert_true(has_violation(w, XMM_INV_MPU_REGIONS));
    {
        struct xmm_check_report rep;

        assert_int_equal(xmm_check_full(w, &rep), 1);
        assert_int_equal(rep.v[0].inv, XMM_INV_MPU_REGIONS);
        assert_int_equal(rep.v[0].dom, 1);
    }
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x9100)), 0); /* remove_physmap leaves MMIO */
    /* Four pages of one device: removing one in the middle splits it. */
    assert_int_equal(usage(w, 1).total, 6);
    assert_true(has_violation(w, XMM_INV_MPU_REGIONS));
    for (int i = 0; i < 3; i++)
        assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x9101 + i)), 0);
    assert_int_equal(usage(w, 1).total, 5);
    assert_world_clean(w);
    /* A domain that is not direct-mapped has no MPU view of its own. */
    tu_domain(w, 2, 64);
    tu_populate(w, 2, 0x100, 4);
    tu_populate(w, 2, 0x200, 4);
    assert_false(usage(w, 2).direct_map);
    assert_int_equal(usage(w, 2).total, 0);
    assert_world_clean(w);
    {
        struct xmm_mpu_usage u;

        assert_rc(xmm_mpu_usage(w, 9, &u), -XMM_ESRCH);
    }
    tu_world_free(w);
}

/* Xen's heap region: cut by mapped xenheap pages, not at the ends of RAM. */
static void test_heap_splits(void **state)
{
    struct xmm_world *w = mpu_world(32, XMM_SHARED_INFO_XENHEAP);
    xmm_mfn_t gt;

    (void)state;
    direct_domain(w, 1, 64);
    /* Nothing allocated yet: the grant frame is the first frame of RAM. */
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(HOLE)), 0);
    gt = xmm_gnttab_frame_mfn(w, 1, 0);
    assert_int_equal(gt.m, RAM0);
    assert_int_equal(usage(w, 1).heap_splits, 0);
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    /* shared_info next to it: the hole grows, the heap is still one piece. */
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE + 0x100)), 0);
    assert_int_equal(tu_frame(w, xmm_mfn(RAM0 + 1)).xen_heap, true);
    assert_int_equal(usage(w, 1).heap_splits, 0);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_world_clean(w);
    /* Unmapping the first frame leaves a hole in the middle: one split. */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 1).total, 3 + 1 + 1);
    assert_world_clean(w);
    /* A second domain's pages do not cut d1's view. */
    direct_domain(w, 2, 64);
    assert_rc(xmm_shinfo_map(w, 2, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 2).heap_splits, 1);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Issue 11 item 8: a direct-mapped toolstack domain foreign-maps guests'
 * xenheap shared_info frames; each cuts Xen's heap region in the mapper's
 * view as in the owner's (adjacent ones make one hole), a second mapping
 * of the same frame cuts nothing more, and the incremental counts agree
 * with the full recount at every step.
 */
static void test_heap_splits_foreign(void **state)
{
    struct xmm_world *w = mpu_world(32, XMM_SHARED_INFO_XENHEAP);
    struct xmm_shinfo_info s2, s3;
    xmm_mfn_t gt;

    (void)state;
    direct_domain(w, 1, 64);
    direct_domain(w, 2, 64);
    direct_domain(w, 3, 64);
    assert_int_equal(direct_populate(w, 1, 16), RAM0);
    assert_int_equal(direct_populate(w, 2, 16), RAM0 + 16);
    assert_int_equal(direct_populate(w, 3, 16), RAM0 + 32);
    assert_rc(xmm_shinfo_map(w, 2, xmm_gfn(HOLE)), 0);
    assert_rc(xmm_shinfo_map(w, 3, xmm_gfn(HOLE)), 0);
    assert_rc(xmm_shinfo_info(w, 2, &s2), 0);
    assert_rc(xmm_shinfo_info(w, 3, &s3), 0);
    /* Two xenheap frames side by side, inside RAM (not at either end). */
    assert_int_equal(s3.mfn.m, s2.mfn.m + 1);
    assert_true(s2.mfn.m > RAM0 && s3.mfn.m + 1 < RAM_END);
    assert_int_equal(usage(w, 1).total, 3 + 1);
    /* d1 maps d2's: its own region and a cut, +2. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(HOLE), 2, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 1).total, 3 + 1 + 2);
    assert_world_clean(w);
    /* The same frame again: one more run, the same cut. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(HOLE + 8), 2, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 1).p2m_runs, 3);
    assert_world_clean(w);
    /* d3's frame beside it widens the hole: still one cut. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(HOLE + 16), 3, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    /* The owners' views are their own business. */
    assert_int_equal(usage(w, 2).heap_splits, 1);
    assert_int_equal(usage(w, 3).heap_splits, 1);
    assert_world_clean(w);
    /* d1's own grant frame: a xenheap frame after d3's, joined to the hole. */
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(HOLE + 32)), 0);
    gt = xmm_gnttab_frame_mfn(w, 1, 0);
    assert_int_equal(gt.m, s3.mfn.m + 1);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_world_clean(w);
    /* d2's frame goes from one gfn, then the other: d3's and d1's stay cut. */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(HOLE + 8)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_world_clean(w);
    /* d3's goes: only d1's own frame is left, still one cut. */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(HOLE + 16)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 1).total, 3 + 1 + 1 + 1);
    assert_world_clean(w);
    /* A foreign mapping replaced in place by another of a neighbour frame. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(HOLE + 16), 3, xmm_gfn(HOLE)), 0);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(HOLE + 16), 2, xmm_gfn(HOLE)), 0);
    assert_int_equal(usage(w, 1).heap_splits, 2);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Heap splits of view v the slow way, from the public API: a hole is a live
 * xenheap frame that is v's own and RAM-mapped by any domain, or that v
 * foreign-maps; pieces are the maximal runs of RAM frames left.
 */
static uint64_t brute_heap_splits(struct xmm_world *w, xmm_domid_t v, const xmm_domid_t *doms,
                                  size_t n)
{
    static bool hole[4096];
    uint64_t pieces = 0;

    memset(hole, 0, sizeof(hole));
    for (size_t k = 0; k < n; k++) {
        struct xmm_p2m_entry e;
        xmm_gfn_t g, from = xmm_gfn(0);

        while (xmm_p2m_next(w, doms[k], from, &g, &e) == 0) {
            struct xmm_frame_info f;

            from = xmm_gfn(g.g + 1);
            if (e.mfn.m < RAM0 || e.mfn.m >= RAM_END)
                continue;
            f = tu_frame(w, e.mfn);
            if (!f.xen_heap || f.free)
                continue;
            if ((xmm_p2m_is_ram(e.type) && f.owner == v) ||
                (xmm_p2m_is_foreign(e.type) && doms[k] == v))
                hole[e.mfn.m - RAM0] = true;
        }
    }
    for (uint64_t i = 0; i < 4096; i++)
        pieces += !hole[i] && (i == 0 || hole[i - 1]);
    return pieces > 1 ? pieces - 1 : 0;
}

/*
 * Random shared_info / grant-frame / foreign-map / remove sequences among
 * three direct-mapped domains: the kept heap splits equal the slow count
 * in every view after every step, and the full sweep agrees.
 */
static void test_heap_splits_random(void **state)
{
    static const xmm_domid_t doms[3] = { 1, 2, 3 };
    struct xmm_world *w = mpu_world(0, XMM_SHARED_INFO_XENHEAP);
    uint64_t seed = tu_seed(0x004d9008);

    (void)state;
    for (size_t k = 0; k < 3; k++) {
        direct_domain(w, doms[k], 64);
        direct_populate(w, doms[k], 3);
    }
    for (int i = 0; i < 3000; i++) {
        uint64_t r = tu_rand(&seed);
        xmm_domid_t d = doms[r % 3], o = doms[(r >> 4) % 3];
        uint64_t gfn = HOLE + ((r >> 8) % 24), src = HOLE + ((r >> 16) % 24);

        switch ((r >> 28) % 5) {
        case 0:
            (void)xmm_shinfo_map(w, d, xmm_gfn(gfn));
            break;
        case 1:
            (void)xmm_gnttab_map_frame(w, d, (uint32_t)((r >> 32) % 4), xmm_gfn(gfn));
            break;
        case 2:
        case 3:
            (void)xmm_physmap_map_foreign(w, d, xmm_gfn(gfn), o, xmm_gfn(src));
            break;
        default:
            (void)xmm_physmap_remove(w, d, xmm_gfn(gfn));
            break;
        }
        for (size_t k = 0; k < 3; k++)
            assert_int_equal(usage(w, doms[k]).heap_splits, brute_heap_splits(w, doms[k], doms, 3));
        if (i % 50 == 0)
            assert_world_clean(w);
    }
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- direct-mapped domains: placement ----------------------------------------- */

static void test_direct_map_holes(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_XENHEAP);
    xmm_grant_handle_t h[4];
    uint64_t a0, a1;

    (void)state;
    direct_domain(w, 0, 256);
    tu_domain(w, 1, 64);
    a0 = direct_populate(w, 0, 64);
    tu_populate(w, 1, 0x100, 8); /* 8 contiguous host frames */
    a1 = tu_mfn_at(w, 1, 0x100).m;
    for (uint32_t i = 0; i < 4; i++)
        assert_rc(xmm_gnttab_grant(w, 1, 8 + i, 0, xmm_gfn(0x100 + i), false), 0);
    /* Inside host RAM or a device: refused. */
    assert_err_unchanged(w, xmm_gnttab_map(w, 0, 1, 8, xmm_gfn(a0 + 100), false, &h[0]),
                         XMM_GNTST_bad_virt_addr);
    assert_err_unchanged(w, xmm_gnttab_map(w, 0, 1, 8, xmm_gfn(RAM_END - 1), false, &h[0]),
                         XMM_GNTST_bad_virt_addr);
    assert_err_unchanged(w, xmm_gnttab_map(w, 0, 1, 8, xmm_gfn(UART + 1), false, &h[0]),
                         XMM_GNTST_bad_virt_addr);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(a0 + 100), 1, xmm_gfn(0x100)),
                         -XMM_EINVAL);
    /* In a hole: fine.  Contiguous frames at contiguous gfns are one region. */
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(xmm_gnttab_map(w, 0, 1, 8 + i, xmm_gfn(HOLE + i), false, &h[i]),
                         XMM_GNTST_okay);
    assert_int_equal(usage(w, 0).p2m_runs, 2);
    assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 0, HOLE + 3)), a1 + 3);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(RAM_END), 1, xmm_gfn(0x105)), 0);
    assert_int_equal(usage(w, 0).p2m_runs, 3);
    assert_world_clean(w);
    /* Unmapping the second grant splits the run in two. */
    assert_int_equal(xmm_gnttab_unmap(w, 0, h[1]), XMM_GNTST_okay);
    assert_int_equal(usage(w, 0).p2m_runs, 4);
    assert_world_clean(w);
    /* A domain that is not direct-mapped may map anywhere. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(RAM0 + 5), 0, xmm_gfn(a0)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_direct_populate_errors(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_XENHEAP);
    xmm_gfn_t g;
    uint64_t a;

    (void)state;
    direct_domain(w, 1, 8192);
    tu_domain(w, 2, 64);
    /* A frame in the middle of RAM taken by d2 (buddy: the lowest free one). */
    a = direct_populate(w, 1, 2000);
    tu_populate(w, 2, 0x100, 1);
    assert_int_equal(tu_mfn_at(w, 2, 0x100).m, a + 2000);
    /* Explicit gfns: the frame must be free host RAM. */
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(a + 2000), 1), -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(HOLE), 1), -XMM_EINVAL);
    /* 2095 frames are free after d2's, 2096 are not in one range. */
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 1, 2096, &g), -XMM_ENOMEM);
    assert_rc(xmm_physmap_populate_direct(w, 1, 2095, &g), 0);
    assert_int_equal(g.g, a + 2001);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 2, 1, &g), -XMM_EINVAL);
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Teardown preempted just before the guest-area stage. */
/* --- options --------------------------------------------------------------- */

static void test_world_opts(void **state)
{
    struct xmm_world_opts o = mpu_opts(XMM_MPU_REGIONS_MAX + 1, XMM_SHARED_INFO_XENHEAP,
                                       XMM_MPU_XDOM_SWITCH);
    struct xmm_world *w = NULL;

    (void)state;
    assert_rc(xmm_world_new(&o, &w), -XMM_EINVAL);
    assert_null(w);
    o.mpu.regions = 16;
    o.mpu.cross_domain = (enum xmm_mpu_xdom_policy)7;
    assert_rc(xmm_world_new(&o, &w), -XMM_EINVAL);
    o.mpu.cross_domain = XMM_MPU_XDOM_MAP;
    w = tu_world(&o);
    assert_int_equal(xmm_mpu_opts(w)->regions, 16);
    assert_int_equal(xmm_mpu_opts(w)->cross_domain, XMM_MPU_XDOM_MAP);
    tu_world_free(w);
    {
        struct xmm_world_opts def = XMM_WORLD_OPTS_INIT;

        assert_int_equal(def.mpu.regions, 0);
        assert_int_equal(def.mpu.xen_regions, 3);
    }
}

/* --- allocation failure at every new site ------------------------------------- */

static void af_setup_world(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    direct_domain(w, 1, 64);
    direct_populate(w, 1, 16);
}

static int af_create_direct(struct xmm_world *w, void *ctx)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;
    int rc;

    (void)ctx;
    o.max_pages = 64;
    o.direct_map = true;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    rc = xmm_domain_create(w, 5, &o);
    return rc;
}

static int af_create_plain(struct xmm_world *w, void *ctx)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    (void)ctx;
    o.max_pages = 64;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    return xmm_domain_create(w, 6, &o);
}

static void af_verify_created(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    assert_int_equal(xmm_domain_count(w), 2);
}

static int af_shinfo(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_shinfo_map(w, 1, xmm_gfn(HOLE));
}

static void af_verify_shinfo(struct xmm_world *w, void *ctx)
{
    struct xmm_shinfo_info si;

    (void)ctx;
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_true(si.xenheap || si.guest_page);
}

static int af_shinfo_guest(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_shinfo_map(w, 1, xmm_gfn(RAM0 + 3));
}

static int af_vcpu_info(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_shinfo_register_vcpu_info(w, 1, 3, xmm_gfn(RAM0 + 4));
}

static int af_grant_in_hole(struct xmm_world *w, void *ctx)
{
    xmm_grant_handle_t h;
    int rc;

    (void)ctx;
    rc = xmm_gnttab_map(w, 1, 2, 8, xmm_gfn(HOLE + 0x10000), false, &h);
    return rc == XMM_GNTST_okay ? 0 : rc == XMM_GNTST_no_space ||
                                              rc == XMM_GNTST_general_error
                                          ? -XMM_ENOMEM
                                          : rc;
}

/*
 * The maptrack is grown by one map and unmap first: gnttab.c grows it
 * before it reserves P2M nodes and keeps it when that fails (reported to
 * its owner), so the op under test only allocates the P2M nodes of the
 * hole.
 */
static void af_setup_grant(struct xmm_world *w, void *ctx)
{
    xmm_grant_handle_t h;

    af_setup_world(w, ctx);
    tu_domain(w, 2, 64);
    tu_populate(w, 2, 0x100, 1);
    assert_rc(xmm_gnttab_grant(w, 2, 8, 1, xmm_gfn(0x100), false), 0);
    assert_int_equal(xmm_gnttab_map(w, 1, 2, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_unmap(w, 1, h), XMM_GNTST_okay);
}

static int af_populate_direct(struct xmm_world *w, void *ctx)
{
    xmm_gfn_t g;

    (void)ctx;
    return xmm_physmap_populate_direct(w, 1, 16, &g);
}

static void test_alloc_failure(void **state)
{
    struct xmm_world_opts xo = mpu_opts(16, XMM_SHARED_INFO_XENHEAP, XMM_MPU_XDOM_MAP);
    struct xmm_world_opts go = mpu_opts(16, XMM_SHARED_INFO_GUEST_PAGE, XMM_MPU_XDOM_MAP);
    struct tu_afd d = { 0 };

    (void)state;
    d.opts = &xo;
    d.name = "domain_create direct-mapped";
    d.setup = af_setup_world;
    d.op = af_create_direct;
    d.verify = af_verify_created;
    assert_true(tu_alloc_fail_drive(&d) >= 2);
    d.name = "domain_create";
    d.op = af_create_plain;
    assert_true(tu_alloc_fail_drive(&d) >= 2);
    d.name = "map_shared_info xenheap";
    d.op = af_shinfo;
    d.verify = af_verify_shinfo;
    assert_true(tu_alloc_fail_drive(&d) >= 1);
    d.opts = &go;
    d.name = "map_shared_info guest_page";
    d.op = af_shinfo_guest;
    assert_int_equal(tu_alloc_fail_drive(&d), 0);
    d.name = "register_vcpu_info";
    d.op = af_vcpu_info;
    d.verify = NULL;
    assert_int_equal(tu_alloc_fail_drive(&d), 0);
    d.name = "direct populate";
    d.op = af_populate_direct;
    (void)tu_alloc_fail_drive(&d); /* nodes may exist already: 0 runs is fine */
    d.name = "grant map in a hole";
    d.setup = af_setup_grant;
    d.op = af_grant_in_hole;
    assert_true(tu_alloc_fail_drive(&d) >= 1);
    assert_true(tu_world_new_fail_drive(&xo) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_merge_split),
        cmocka_unit_test(test_runs_random),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_heap_splits),
        cmocka_unit_test(test_heap_splits_foreign),
        cmocka_unit_test(test_heap_splits_random),
        cmocka_unit_test(test_direct_map_holes),
        cmocka_unit_test(test_direct_populate_errors),
        cmocka_unit_test(test_world_opts),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
