/*
 * Seed 004: shared_info placement (xenheap page vs guest page), vcpu_info,
 * their teardown, and the cost of cross-domain event-channel sends under
 * each strategy.
 */
#include "mpu_fixture.h"

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
    /*
     * The guest gives the page back: unmapped, but a direct-mapped domain
     * keeps its allocation (guest_remove_page), and Xen's reference stays.
     */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(a + 8), 1), 0);
    assert_int_equal(tu_refcount(w, m1), 2);
    assert_int_equal(tu_frame(w, m1).owner, 1);
    assert_true(tu_frame(w, m1).allocated);
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
    /* The same, counted for the sender. */
    assert_int_equal(usage(s.w, 1).cost.sends, 2);
    assert_int_equal(usage(s.w, 1).cost.switches, 1);
    assert_int_equal(usage(s.w, 1).cost.temp_regions, 2);
    assert_int_equal(usage(s.w, 2).cost.sends, 0);
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

/*
 * With a toolstack safe range (seed 002): the range is sized for
 * shared_info, so the xenheap page may be mapped inside it, and the
 * checker accepts it there (a domheap RAM page there is still refused).
 */
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
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(0x80010)), 0);
    assert_world_clean(w);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x80010)), 0);
    assert_rc(xmm_shinfo_map(w, 1, xmm_gfn(HOLE)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shinfo_xenheap),
        cmocka_unit_test(test_shinfo_xenheap_array),
        cmocka_unit_test(test_shinfo_guest_page),
        cmocka_unit_test(test_vcpu_info),
        cmocka_unit_test(test_small_mpu_placements),
        cmocka_unit_test(test_evtchn_switch),
        cmocka_unit_test(test_evtchn_map),
        cmocka_unit_test(test_evtchn_map_or_switch),
        cmocka_unit_test(test_kill_preempts_guest_areas),
        cmocka_unit_test(test_shinfo_safe_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
