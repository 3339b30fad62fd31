/*
 * Seed 004: direct-mapped domains, MPU region accounting, shared_info
 * placement (xenheap vs guest page), vcpu_info, and the cost of
 * cross-domain event-channel sends under each strategy.
 */
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

static struct xmm_world_opts mpu_opts(uint32_t regions, enum xmm_shared_info_policy si,
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

static struct xmm_world *mpu_world(uint32_t regions, enum xmm_shared_info_policy si)
{
    struct xmm_world_opts o = mpu_opts(regions, si, XMM_MPU_XDOM_SWITCH);

    return tu_world(&o);
}

static void direct_domain(struct xmm_world *w, xmm_domid_t dom, uint64_t max_pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = max_pages;
    o.direct_map = true;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
}

static uint64_t direct_populate(struct xmm_world *w, xmm_domid_t dom, uint64_t pages)
{
    xmm_gfn_t g;

    assert_rc(xmm_physmap_populate_direct(w, dom, pages, &g), 0);
    return xmm_gfn_x(g);
}

static struct xmm_mpu_usage usage(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_mpu_usage u;

    assert_rc(xmm_mpu_usage(w, dom, &u), 0);
    return u;
}

/* Runs counted the slow way, through the public P2M walk. */
static uint64_t brute_runs(struct xmm_world *w, xmm_domid_t dom)
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

static bool has_violation(struct xmm_world *w, enum xmm_invariant inv)
{
    struct xmm_check_report rep;

    xmm_check_incremental(w, &rep);
    return tu_report_has(&rep, inv);
}

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
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0x9100)), 0);
    /* Four pages of one device: removing one in the middle splits it. */
    assert_int_equal(usage(w, 1).total, 6);
    assert_true(has_violation(w, XMM_INV_MPU_REGIONS));
    for (int i = 0; i < 3; i++)
        assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0x9101 + i)), 0);
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

/* --- shared_info: xenheap placement ------------------------------------------ */

static void test_shinfo_xenheap(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_XENHEAP);
    struct xmm_shinfo_info si;
    struct xmm_p2m_entry e;
    uint64_t free0;

    (void)state;
    direct_domain(w, 1, 64);
    direct_populate(w, 1, 32);
    free0 = xmm_heap_free_pages(w);
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_false(si.xenheap);
    assert_true(xmm_mfn_eq(si.mfn, XMM_INVALID_MFN));
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), 0);
    assert_int_equal(xmm_heap_free_pages(w), free0 - 1);
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_true(si.xenheap);
    assert_true(xmm_gfn_eq(si.gfn, xmm_gfn(HOLE)));
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(HOLE), &e), 0);
    assert_int_equal(e.type, XMM_P2M_RAM_RW);
    assert_true(xmm_mfn_eq(e.mfn, si.mfn));
    assert_int_equal(si.mfn.m, RAM0 + 32); /* next to the guest's RAM, inside the heap */
    assert_int_equal(tu_frame(w, si.mfn).owner, 1);
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, si.mfn), xmm_gfn(HOLE)));
    assert_int_equal(tu_dom(w, 1).xenheap_pages, 1);
    /* The extra region, and the heap split it causes. */
    assert_int_equal(usage(w, 1).p2m_runs, 2);
    assert_int_equal(usage(w, 1).heap_splits, 1);
    assert_int_equal(usage(w, 1).total, 6);
    assert_world_clean(w);
    /* Mapped already: EBUSY, at any gfn, until it is removed. */
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(HOLE + 1)), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), -XMM_EBUSY);
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(HOLE)), 0);
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, si.mfn), XMM_INVALID_GFN));
    assert_int_equal(usage(w, 1).total, 4);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE + 1)), 0);
    assert_int_equal(xmm_heap_free_pages(w), free0 - 1); /* the same frame again */
    assert_world_clean(w);
    /* Errors. */
    assert_err_unchanged(w, xmm_shinfo_map(w, 7, xmm_gfn(HOLE)), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(XMM_FRAME_LIMIT)), -XMM_EINVAL);
    /* Destroy: the frame goes back to Xen with the kill, and is freed with the domain. */
    assert_rc(xmm_domain_destroy(w, 1, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w));
    assert_world_clean(w);
    tu_world_free(w);
}

/* Pre-2022 side array: a second map removes by the remembered GFN. */
static void test_shinfo_xenheap_array(void **state)
{
    struct xmm_world_opts o = mpu_opts(16, XMM_SHARED_INFO_XENHEAP, XMM_MPU_XDOM_SWITCH);
    struct xmm_world *w;
    struct xmm_check_report rep;
    struct xmm_p2m_entry e;

    (void)state;
    o.policy.xenheap_gfn = XMM_XENHEAP_GFN_ARRAY;
    w = tu_world(&o);
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x100, 4);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(0x200)), 0);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(0x201)), 0); /* moves it */
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(0x200), &e), -XMM_ENOENT);
    assert_world_clean(w);
    /* The guest removes it itself: the remembered GFN is stale (seed 001) ... */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0x201)), 0);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_XENHEAP_GFN));
    /* ... and RAM populated there later is unmapped by the next map. */
    tu_populate(w, 1, 0x201, 1);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(0x300)), 0);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(0x201), &e), -XMM_ENOENT);
    assert_int_equal(xmm_check_incremental(w, NULL), 0);
    tu_world_free(w);
}

/* --- shared_info: guest page placement ---------------------------------------- */

static void test_shinfo_guest_page(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_GUEST_PAGE);
    struct xmm_shinfo_info si;
    xmm_mfn_t m0, m1;
    uint64_t a, free0, entries;
    struct xmm_mpu_usage u0;

    (void)state;
    direct_domain(w, 1, 64);
    a = direct_populate(w, 1, 32);
    m0 = tu_mfn_at(w, 1, a + 7);
    free0 = xmm_heap_free_pages(w);
    entries = xmm_p2m_entry_count(w, 1);
    u0 = usage(w, 1);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(a + 7)), 0);
    /* No frame allocated, no P2M change, no region: the page is held. */
    assert_int_equal(xmm_heap_free_pages(w), free0);
    assert_int_equal(xmm_p2m_entry_count(w, 1), entries);
    assert_int_equal(usage(w, 1).total, u0.total);
    assert_int_equal(tu_refcount(w, m0), 2);
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_true(si.guest_page);
    assert_false(si.xenheap);
    assert_true(xmm_mfn_eq(si.mfn, m0));
    assert_true(xmm_gfn_eq(si.gfn, xmm_gfn(a + 7)));
    assert_int_equal(si.copies, 1);
    assert_world_clean(w);
    /* Not the domain's ram_rw page: refused, nothing changes. */
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), -XMM_EINVAL);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(UART), xmm_mfn(UART), 1), 0);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(UART)), -XMM_EINVAL);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(a + 9), tu_mfn_at(w, 1, a + 9), XMM_P2M_RAM_RO), 0);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(a + 9)), -XMM_EINVAL);
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(HOLE)), 0);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), -XMM_EINVAL);
    /* Registering again moves it: the old page's reference goes. */
    m1 = tu_mfn_at(w, 1, a + 8);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(a + 8)), 0);
    assert_int_equal(tu_refcount(w, m0), 1);
    assert_int_equal(tu_refcount(w, m1), 2);
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_int_equal(si.copies, 2);
    assert_world_clean(w);
    /* The guest gives the page back: Xen's reference keeps the frame. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(a + 8), 1), 0);
    assert_int_equal(tu_refcount(w, m1), 1);
    assert_int_equal(tu_frame(w, m1).owner, 1);
    assert_false(tu_frame(w, m1).allocated);
    assert_world_clean(w);
    /* The kill drops the reference; everything goes. */
    assert_rc(xmm_domain_destroy(w, 1, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_int_equal(tu_frame(w, m1).free, true);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w));
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_vcpu_info(void **state)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_XENHEAP);
    struct xmm_shinfo_info si;
    uint64_t a;

    (void)state;
    direct_domain(w, 1, 64);
    a = direct_populate(w, 1, 16);
    assert_rc(xmm_shinfo_register_vcpu_info(w, 1, 0, xmm_gfn(a + 1)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(w, 1, 1, xmm_gfn(a + 2)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(w, 1, 1, xmm_gfn(a + 1)), 0); /* shares a page */
    assert_int_equal(tu_refcount(w, xmm_mfn(a + 1)), 3);
    assert_int_equal(tu_refcount(w, xmm_mfn(a + 2)), 1);
    assert_err_unchanged(w, xmm_shinfo_register_vcpu_info(w, 1, XMM_VCPUS_MAX, xmm_gfn(a)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_shinfo_register_vcpu_info(w, 1, 2, xmm_gfn(HOLE)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_shinfo_register_vcpu_info(w, 3, 0, xmm_gfn(a)), -XMM_ESRCH);
    assert_rc(xmm_shinfo_info(w, 1, &si), 0);
    assert_true(xmm_mfn_eq(si.vcpu_info[0], xmm_mfn(a + 1)));
    assert_true(xmm_mfn_eq(si.vcpu_info[2], XMM_INVALID_MFN));
    assert_int_equal(usage(w, 1).p2m_runs, 1);
    assert_world_clean(w);
    assert_rc(xmm_domain_destroy(w, 1, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w));
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * The seed's case on a 16-region MPU: a guest with two RAM banks, eight
 * devices and its grant table fits; mapping the xenheap shared_info adds a
 * region for the page and one for the heap split and tips it over; the
 * guest-page design leaves the count where it was.
 */
static int small_mpu_guest(enum xmm_shared_info_policy si, uint64_t *total)
{
    struct xmm_world *w = mpu_world(16, si);
    uint64_t a;
    int bad;

    direct_domain(w, 1, 256);
    a = direct_populate(w, 1, 64);
    for (uint64_t i = 0; i < 8; i++)
        assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9000 + 0x100 * i),
                                       xmm_mfn(0x9000 + 0x100 * i), 4),
                  0);
    /* The grant frame comes from the heap right after bank 0 ... */
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(HOLE)), 0);
    /* ... so bank 1 starts after it. */
    assert_int_equal(direct_populate(w, 1, 64), a + 65);
    assert_int_equal(usage(w, 1).total, 3 + 2 + 8 + 1 + 1);
    assert_false(has_violation(w, XMM_INV_MPU_REGIONS));
    if (si == XMM_SHARED_INFO_XENHEAP)
        assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE + 0x1000)), 0);
    else
        assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(a)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(w, 1, 0, xmm_gfn(a + 1)), 0);
    *total = usage(w, 1).total;
    bad = has_violation(w, XMM_INV_MPU_REGIONS);
    assert_int_equal(xmm_check_full(w, NULL), bad ? 1 : 0);
    tu_world_free(w);
    return bad;
}

static void test_small_mpu_placements(void **state)
{
    uint64_t total;

    (void)state;
    assert_false(small_mpu_guest(XMM_SHARED_INFO_GUEST_PAGE, &total));
    assert_int_equal(total, 15);
    assert_true(small_mpu_guest(XMM_SHARED_INFO_XENHEAP, &total));
    assert_int_equal(total, 17);
}

/* --- cross-domain access ------------------------------------------------------ */

struct xdom {
    struct xmm_world *w;
    uint64_t a1, a2;
};

static struct xdom xdom_world(uint32_t regions, enum xmm_shared_info_policy si,
                              enum xmm_mpu_xdom_policy x)
{
    struct xmm_world_opts o = mpu_opts(regions, si, x);
    struct xdom s;

    s.w = tu_world(&o);
    direct_domain(s.w, 1, 64);
    direct_domain(s.w, 2, 64);
    s.a1 = direct_populate(s.w, 1, 16);
    s.a2 = direct_populate(s.w, 2, 16);
    return s;
}

static void test_evtchn_switch(void **state)
{
    struct xdom s = xdom_world(16, XMM_SHARED_INFO_GUEST_PAGE, XMM_MPU_XDOM_SWITCH);
    struct xmm_mpu_stats st;

    (void)state;
    /* Nothing registered: the target's shared_info is still Xen's. */
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0);
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.sends, 1);
    assert_int_equal(st.sends_free, 1);
    assert_rc(xmm_shinfo_map(s.w, 2, xmm_gfn(s.a2)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(s.w, 2, 0, xmm_gfn(s.a2 + 1)), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 1, 0), 0); /* to itself: in its own view */
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.sends, 3);
    assert_int_equal(st.sends_free, 2);
    assert_int_equal(st.switches, 1);
    assert_int_equal(st.temp_maps, 0);
    assert_int_equal(st.reserved, 0);
    /* 2 x (1 guest region + the all-RAM one). */
    assert_int_equal(st.region_writes, 4);
    assert_int_equal(usage(s.w, 1).reserved, 0);
    /* Errors change nothing. */
    assert_err_unchanged(s.w, xmm_mpu_evtchn_send(s.w, 1, 9, 0), -XMM_ESRCH);
    assert_err_unchanged(s.w, xmm_mpu_evtchn_send(s.w, 1, 2, XMM_VCPUS_MAX), -XMM_EINVAL);
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.sends, 3);
    assert_world_clean(s.w);
    tu_world_free(s.w);
}

static void test_evtchn_map(void **state)
{
    struct xdom s = xdom_world(16, XMM_SHARED_INFO_GUEST_PAGE, XMM_MPU_XDOM_MAP);
    struct xmm_mpu_stats st;

    (void)state;
    /* Two regions reserved in every direct-mapped view. */
    assert_int_equal(usage(s.w, 1).reserved, 2);
    assert_int_equal(usage(s.w, 1).total, 3 + 1 + 2);
    assert_rc(xmm_shinfo_map(s.w, 2, xmm_gfn(s.a2)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(s.w, 2, 0, xmm_gfn(s.a2 + 1)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(s.w, 2, 1, xmm_gfn(s.a2 + 9)), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0); /* adjacent pages: one region */
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 1), 0); /* apart: two */
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.temp_maps, 2);
    assert_int_equal(st.temp_regions, 3);
    assert_int_equal(st.switches, 0);
    assert_int_equal(st.region_writes, 6);
    assert_int_equal(st.reserved, 2);
    assert_world_clean(s.w);
    tu_world_free(s.w);

    /* Under xenheap placement only vcpu_info can be remote: one reserved. */
    s = xdom_world(16, XMM_SHARED_INFO_XENHEAP, XMM_MPU_XDOM_MAP);
    assert_int_equal(usage(s.w, 1).reserved, 1);
    assert_rc(xmm_shinfo_map(s.w, 2, xmm_gfn(HOLE)), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0); /* in Xen's heap: free */
    assert_rc(xmm_shinfo_register_vcpu_info(s.w, 2, 0, xmm_gfn(s.a2 + 3)), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0);
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.sends_free, 1);
    assert_int_equal(st.temp_regions, 1);
    tu_world_free(s.w);
}

static void test_evtchn_map_or_switch(void **state)
{
    struct xdom s = xdom_world(6, XMM_SHARED_INFO_GUEST_PAGE, XMM_MPU_XDOM_MAP_OR_SWITCH);
    struct xmm_mpu_stats st;

    (void)state;
    assert_int_equal(usage(s.w, 1).reserved, 0);
    assert_rc(xmm_shinfo_map(s.w, 2, xmm_gfn(s.a2)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(s.w, 2, 0, xmm_gfn(s.a2 + 5)), 0);
    /* d1 needs 4 of 6: two free, enough for both pages. */
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0);
    /* One more device in d1's view: one free region, not enough: switch. */
    assert_rc(xmm_physmap_map_mmio(s.w, 1, xmm_gfn(UART), xmm_mfn(UART), 1), 0);
    assert_rc(xmm_mpu_evtchn_send(s.w, 1, 2, 0), 0);
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.temp_maps, 1);
    assert_int_equal(st.temp_regions, 2);
    assert_int_equal(st.switches, 1);
    assert_int_equal(st.region_writes, 4 + 2 * (2 + 1));
    /* An MMU guest (not direct-mapped) pays nothing. */
    tu_domain(s.w, 3, 16);
    assert_rc(xmm_mpu_evtchn_send(s.w, 3, 2, 0), 0);
    xmm_mpu_stats(s.w, &st);
    assert_int_equal(st.sends_free, 1);
    /* Dying domains neither send nor receive. */
    assert_rc(xmm_domain_kill(s.w, 2), 0);
    assert_err_unchanged(s.w, xmm_mpu_evtchn_send(s.w, 1, 2, 0), -XMM_ESRCH);
    assert_world_clean(s.w);
    tu_world_free(s.w);
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
static void test_kill_preempts_guest_areas(void **state)
{
    struct xmm_world_opts o = mpu_opts(0, XMM_SHARED_INFO_GUEST_PAGE, XMM_MPU_XDOM_SWITCH);
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;
    int rc, calls = 0;

    (void)state;
    o.ram_pages = 8192;
    w = tu_world(&o);
    d.max_pages = 1024;
    d.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, 0, &d), 0);
    assert_rc(xmm_domain_create(w, 1, &d), 0);
    tu_populate(w, 0, 0x100, 4);
    tu_populate(w, 1, 0x100, XMM_KILL_BATCH);
    for (uint32_t i = 0; i < XMM_KILL_BATCH; i++) {
        xmm_grant_handle_t h;

        assert_rc(xmm_gnttab_grant(w, 1, 8 + i, 0, xmm_gfn(0x100 + i), true), 0);
        assert_int_equal(xmm_gnttab_map(w, 0, 1, 8 + i, xmm_gfn(0x10000 + i), true, &h),
                         XMM_GNTST_okay);
    }
    assert_rc(xmm_shinfo_map(w, 0, xmm_gfn(0x100)), 0);
    assert_rc(xmm_shinfo_register_vcpu_info(w, 0, 0, xmm_gfn(0x101)), 0);
    do {
        rc = xmm_domain_kill(w, 0);
        calls++;
        assert_int_equal(xmm_check_incremental(w, NULL), 0);
    } while (rc == -XMM_ERESTART && calls < 10);
    assert_rc(rc, 0);
    assert_true(calls >= 2);
    assert_int_equal(xmm_domain_state(w, 0), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* With a toolstack safe range (seed 002), the xenheap page stays out of it. */
static void test_shinfo_safe_range(void **state)
{
    struct xmm_world_opts o = mpu_opts(16, XMM_SHARED_INFO_XENHEAP, XMM_MPU_XDOM_SWITCH);
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;

    (void)state;
    o.policy.safe_range = XMM_SAFE_RANGE_TOOLSTACK;
    w = tu_world(&o);
    d.max_pages = 64;
    d.direct_map = true;
    d.safe_range = XMM_SAFE_RANGE_GIVEN;
    d.safe_range_gfn = xmm_gfn(0x80000); /* above RAM, clear of the grant-table region */
    d.safe_range_pages = 0x1000;
    assert_rc(xmm_domain_create(w, 1, &d), 0);
    assert_err_unchanged(w, xmm_shinfo_map(w, 1, xmm_gfn(0x80010)), -XMM_EBUSY);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- options --------------------------------------------------------------- */

static void test_world_opts(void **state)
{
    struct xmm_world_opts o = mpu_opts(XMM_MPU_REGIONS_MAX + 1, XMM_SHARED_INFO_XENHEAP,
                                       XMM_MPU_XDOM_SWITCH);
    struct xmm_world *w = NULL;

    (void)state;
    assert_rc(xmm_world_new(&w, &o), -XMM_EINVAL);
    assert_null(w);
    o.mpu.regions = 16;
    o.mpu.cross_domain = (enum xmm_mpu_xdom_policy)7;
    assert_rc(xmm_world_new(&w, &o), -XMM_EINVAL);
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
        cmocka_unit_test(test_shinfo_xenheap),
        cmocka_unit_test(test_shinfo_xenheap_array),
        cmocka_unit_test(test_shinfo_guest_page),
        cmocka_unit_test(test_vcpu_info),
        cmocka_unit_test(test_small_mpu_placements),
        cmocka_unit_test(test_evtchn_switch),
        cmocka_unit_test(test_evtchn_map),
        cmocka_unit_test(test_evtchn_map_or_switch),
        cmocka_unit_test(test_direct_map_holes),
        cmocka_unit_test(test_direct_populate_errors),
        cmocka_unit_test(test_kill_preempts_guest_areas),
        cmocka_unit_test(test_shinfo_safe_range),
        cmocka_unit_test(test_world_opts),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
