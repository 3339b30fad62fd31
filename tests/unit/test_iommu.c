/*
 * IOMMU and device TLBs (seed 003): the seed's gfn1 -> mfn1 / mfn2 story
 * under every `iotlb` policy, teardown with pending invalidations, a full
 * invalidation queue, the built-in IOMMU and a user-plugged ops table, the
 * error paths, and allocation failure at every new allocation site.
 * test_iommu_random.c has the randomized runs and the measured figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "iommu_fixture.h"

/* --- the seed's story --------------------------------------------------- */

/*
 * decrease_reservation of gfn1 while nic0's TLB caches gfn1 -> mfn1; OTHER
 * takes a page (under lifo: mfn1 if it was freed); gfn1 is repopulated
 * with another frame; nic0 DMAs to gfn1 through its stale entry.
 */
struct story {
    xmm_mfn_t mfn1, mfn2, other, reached;
    uint64_t t0, t_decrease;
};

static void story_run(struct xmm_world *w, struct story *s)
{
    s->mfn1 = tu_mfn_at(w, GUEST, RAM0);
    assert_true(xmm_mfn_eq(dma(w, "nic0", RAM0), s->mfn1));
    s->t0 = xmm_world_now(w);
    assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 1), 0);
    s->t_decrease = xmm_world_now(w) - s->t0;
}

static void story_rest(struct xmm_world *w, struct story *s)
{
    tu_populate(w, OTHER, RAM0, 1);
    s->other = tu_mfn_at(w, OTHER, RAM0);
    tu_populate(w, GUEST, RAM0, 1);
    s->mfn2 = tu_mfn_at(w, GUEST, RAM0);
    assert_false(xmm_mfn_eq(s->mfn1, s->mfn2));
    s->reached = dma(w, "nic0", RAM0);
}

static void test_story_deferred(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    struct xmm_frame_info fi;
    struct xmm_iommu_stats st;
    struct story s;

    (void)state;
    story_run(w, &s);
    assert_int_equal(s.t_decrease, 0); /* the guest keeps running */
    fi = tu_frame(w, s.mfn1);
    assert_false(fi.free);
    assert_false(fi.allocated);
    assert_int_equal(fi.owner, GUEST);
    assert_int_equal(fi.refcount, 1);
    assert_int_equal(fi.type, XMM_PGT_DEV_TLB);
    assert_int_equal(fi.type_count, 1);
    assert_int_equal(tu_dom(w, GUEST).tot_pages, 4); /* still the guest's until released */
    assert_int_equal(tu_dom(w, GUEST).refs, 3);      /* + the IOMMU's while it holds */
    assert_world_clean(w);
    story_rest(w, &s);
    assert_false(xmm_mfn_eq(s.other, s.mfn1));  /* held: not handed out */
    assert_true(xmm_mfn_eq(s.reached, s.mfn1)); /* the stale entry: the old page, still the guest's */
    assert_world_clean(w);
    st = stats(w, GUEST);
    assert_int_equal(st.held, 1);
    assert_int_equal(st.stale_hits, 1);
    assert_int_equal(st.isolation, 0);
    assert_rc(xmm_world_advance(w, LAT), 0);
    assert_true(tu_frame(w, s.mfn1).free);
    assert_int_equal(tu_dom(w, GUEST).refs, 2);
    assert_true(xmm_mfn_eq(dma(w, "nic0", RAM0), s.mfn2)); /* invalidated: walks the P2M again */
    st = stats(w, GUEST);
    assert_int_equal(st.holds, 1);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.hold_ticks, LAT);
    assert_int_equal(st.hold_ticks_max, LAT);
    assert_int_equal(st.stall_ticks, 0);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(st.flushes_done, 1);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_story_sync(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_SYNC, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    struct xmm_iommu_stats st;
    struct story s;

    (void)state;
    story_run(w, &s);
    assert_int_equal(s.t_decrease, LAT); /* the call returned after the flush */
    assert_true(tu_frame(w, s.mfn1).free);
    assert_int_equal(xmm_timer_pending(w), 0);
    assert_world_clean(w);
    story_rest(w, &s);
    assert_true(xmm_mfn_eq(s.other, s.mfn1)); /* lifo: OTHER got it, safely */
    assert_true(xmm_mfn_eq(s.reached, s.mfn2));
    assert_world_clean(w);
    st = stats(w, GUEST);
    assert_int_equal(st.holds, 0);
    assert_int_equal(st.stalls, 1);
    assert_int_equal(st.stall_ticks, LAT);
    assert_int_equal(st.spin_ticks, LAT);
    assert_int_equal(st.stale_hits, 0);
    tu_world_free(w);
}

/* A plugged flush_done that records what it saw. */
struct pause_probe {
    struct xmm_world *w;
    bool paused_seen;
};

static uint64_t probe_flush(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t id)
{
    (void)ctx, (void)dom, (void)gfn, (void)id;
    return LAT;
}

static void probe_done(void *ctx, xmm_domid_t dom, uint64_t id)
{
    struct pause_probe *p = ctx;

    (void)id;
    p->paused_seen = xmm_iommu_domain_paused(p->w, dom);
}

static void test_story_pause(void **state)
{
    struct xmm_world *w;
    struct xmm_iommu_stats st;
    struct story s;

    (void)state;
    w = make(&(struct fixture){ XMM_IOTLB_PAUSE, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    story_run(w, &s);
    assert_int_equal(s.t_decrease, LAT); /* the paused vCPU's call completes with the flush */
    assert_false(xmm_iommu_domain_paused(w, GUEST));
    assert_true(tu_frame(w, s.mfn1).free); /* released when the flush completed */
    assert_world_clean(w);
    story_rest(w, &s);
    assert_true(xmm_mfn_eq(s.other, s.mfn1));
    assert_true(xmm_mfn_eq(s.reached, s.mfn2));
    st = stats(w, GUEST);
    assert_int_equal(st.holds, 1);
    assert_int_equal(st.hold_ticks, LAT);
    assert_int_equal(st.stall_ticks, LAT);
    assert_int_equal(st.spin_ticks, 0); /* the CPU was free: only the domain waited */
    assert_world_clean(w);
    tu_world_free(w);

    /* The domain is seen paused while its flush is in flight. */
    {
        static const struct xmm_iommu_ops ops = { .flush = probe_flush, .flush_done = probe_done };
        struct pause_probe p = { NULL, false };

        w = make(&(struct fixture){ XMM_IOTLB_PAUSE, XMM_ALLOC_LIFO, LAT, 0, &ops, &p }, 4);
        p.w = w;
        story_run(w, &s);
        assert_true(p.paused_seen);
        assert_false(xmm_iommu_domain_paused(w, GUEST));
        tu_world_free(w);
    }
}

static void test_story_unsafe(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_UNSAFE, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    struct xmm_check_report rep;
    struct xmm_iommu_stats st;
    struct story s;

    (void)state;
    story_run(w, &s);
    assert_int_equal(s.t_decrease, 0);
    assert_true(tu_frame(w, s.mfn1).free);
    /* A device can still reach a free frame. */
    assert_true(check_inc(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    story_rest(w, &s);
    assert_true(xmm_mfn_eq(s.other, s.mfn1));   /* lifo: mfn1 went to OTHER */
    assert_true(xmm_mfn_eq(s.reached, s.mfn1)); /* ... and the guest's device wrote into it */
    assert_true(check_inc(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    st = stats(w, GUEST);
    assert_int_equal(st.stale_unheld, 1);
    assert_int_equal(st.isolation, 1);
    assert_int_equal(st.holds, 0);
    /* The flush completes: the stale entry is gone, nothing reaches OTHER's frame. */
    assert_rc(xmm_world_advance(w, LAT), 0);
    assert_true(xmm_mfn_eq(dma(w, "nic0", RAM0), s.mfn2));
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- teardown ---------------------------------------------------------- */

/*
 * Destroy with one per-page invalidation pending (RAM0+1 was decreased
 * while nic0 cached it).  The kill deassigns nic0 with one whole-TLB
 * invalidation; no P2M leaf of the kill is invalidated on its own.
 */
static void teardown_with_pending(enum xmm_iotlb_policy pol)
{
    struct xmm_world *w = make(&(struct fixture){ pol, XMM_ALLOC_BUDDY, LAT, 0, NULL, NULL }, 8);
    uint64_t free0 = xmm_heap_free_pages(w) + 8, t0;
    uint64_t flushes0;
    uint32_t calls = 0;
    xmm_domid_t owner;

    dma(w, "nic0", RAM0 + 1);
    assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0 + 1), 1), 0);
    t0 = xmm_world_now(w);
    flushes0 = stats(w, XMM_DOMID_INVALID).flushes;
    assert_rc(xmm_domain_destroy(w, GUEST, 100, &calls), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(stats(w, XMM_DOMID_INVALID).flushes, flushes0 + 1); /* the device flush only */
    assert_rc(xmm_iommu_device_info(w, "nic0", &owner, NULL), 0);
    assert_int_equal(owner, XMM_DOMID_INVALID);
    if (pol == XMM_IOTLB_UNSAFE) {
        struct xmm_check_report rep;

        assert_int_equal(xmm_world_now(w), t0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_true(xmm_check_full(w, &rep) > 0); /* nic0 still reaches a freed frame */
        assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
        assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), -XMM_EBUSY);
        assert_rc(xmm_world_advance(w, LAT), 0);
        assert_rc(xmm_check_full(w, &rep), 0);
        xmm_check_incremental(w, &rep);
    } else if (pol == XMM_IOTLB_DEFERRED) {
        /* The decreased frame is still held by its own invalidation. */
        assert_int_equal(xmm_world_now(w), t0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_int_equal(tu_dom(w, GUEST).tot_pages, 1);
        assert_int_equal(tu_dom(w, GUEST).refs, 2); /* its page + the IOMMU's */
        assert_int_equal(stats(w, GUEST).pending, 2);
        assert_world_clean(w);
        assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), -XMM_EBUSY);
        assert_rc(xmm_world_advance(w, LAT - 1), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_rc(xmm_world_advance(w, 1), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_world_clean(w);
    } else {
        /* The kill call waited once for the device flush; nothing is held after it. */
        struct xmm_iommu_stats st = stats(w, XMM_DOMID_INVALID);

        assert_int_equal(xmm_world_now(w), t0 + LAT);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_int_equal(st.pending, 0);
        assert_int_equal(st.spin_ticks, pol == XMM_IOTLB_SYNC ? 2 * LAT : 0);
        assert_world_clean(w);
    }
    assert_int_equal(xmm_heap_free_pages(w), free0);
    /* The device is free for someone else once its whole-TLB flush completed. */
    assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_teardown_deferred(void **state) { (void)state; teardown_with_pending(XMM_IOTLB_DEFERRED); }
static void test_teardown_sync(void **state) { (void)state; teardown_with_pending(XMM_IOTLB_SYNC); }
static void test_teardown_pause(void **state) { (void)state; teardown_with_pending(XMM_IOTLB_PAUSE); }
static void test_teardown_unsafe(void **state) { (void)state; teardown_with_pending(XMM_IOTLB_UNSAFE); }

/*
 * A queue of 4 filled by the guest's own unmaps: the kill has no slot for
 * the device flush and is preempted (no spinning) until one frees up.
 */
static void test_teardown_queue_full(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_BUDDY, 3, 4, NULL, NULL }, 10);
    uint32_t calls = 0;

    (void)state;
    dma(w, "nic0", RAM0 + 9);
    assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 4), 0);
    assert_int_equal(stats(w, GUEST).pending, 4);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, &calls), 0);
    assert_int_equal(calls, 4); /* ERESTART at ticks 0, 1, 2; the slots free at 3 */
    assert_int_equal(stats(w, XMM_DOMID_INVALID).spin_ticks, 0);
    /* nic0 caches RAM0+9: that frame is held until the device flush completes. */
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(tu_dom(w, GUEST).tot_pages, 1);
    assert_int_equal(stats(w, GUEST).held, 1);
    assert_world_clean(w);
    assert_rc(xmm_world_advance(w, 3), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_int_equal(stats(w, XMM_DOMID_INVALID).holds, 5);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Issue 11 item 6: a 32 MiB guest (8192 pages) whose ATS NIC cached two
 * translations.  Per-page invalidation at teardown made this run out of
 * the toolstack's 1000 kill calls; one whole-device flush costs one wait.
 */
static void destroy_large(enum xmm_iotlb_policy pol)
{
    struct fixture f = fx(pol, XMM_ALLOC_BUDDY);
    struct xmm_world_opts o = fx_opts(&f);
    struct xmm_world *w;
    struct xmm_check_report rep;
    struct xmm_iommu_stats st;
    uint64_t t0;
    uint32_t calls = 0;
    xmm_mfn_t m;

    o.ram_pages = 16384;
    w = tu_world(&o);
    tu_domain(w, GUEST, 8192);
    tu_domain(w, OTHER, 64);
    tu_populate(w, GUEST, RAM0, 8192);
    assert_rc(xmm_iommu_assign(w, GUEST, "nic0"), 0);
    assert_rc(xmm_iommu_assign(w, GUEST, "hba0"), 0);
    dma(w, "nic0", RAM0);
    dma(w, "nic0", RAM0 + 8191);
    t0 = xmm_world_now(w);
    assert_rc(xmm_domain_destroy(w, GUEST, 1000, &calls), 0);
    assert_int_equal(calls, 33); /* 16 x 512 leaves, 16 x 512 pages, the tables */
    st = stats(w, XMM_DOMID_INVALID);
    assert_int_equal(st.flushes, 1); /* nic0's; hba0 has no device TLB */
    assert_int_equal(st.queue_full, 0);
    switch (pol) {
    case XMM_IOTLB_SYNC:
    case XMM_IOTLB_PAUSE:
        assert_int_equal(xmm_world_now(w), t0 + LAT + 32);
        assert_int_equal(st.stalls, 1);
        assert_int_equal(st.spin_ticks, pol == XMM_IOTLB_SYNC ? LAT : 0);
        assert_int_equal(st.holds, 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_world_clean(w);
        break;
    case XMM_IOTLB_DEFERRED:
        assert_int_equal(xmm_world_now(w), t0 + 32);
        assert_int_equal(st.spin_ticks, 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_int_equal(tu_dom(w, GUEST).tot_pages, 2);
        assert_int_equal(stats(w, GUEST).held, 2);
        assert_world_clean(w);
        /* Before the flush completes: TLB hits still land, misses are blocked. */
        assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, &m), 0);
        assert_int_equal(tu_frame(w, m).owner, GUEST);
        assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 1), false, NULL), -XMM_EPERM);
        assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), -XMM_EBUSY);
        assert_rc(xmm_world_advance(w, LAT - 32 - 1), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_rc(xmm_world_advance(w, 1), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_int_equal(stats(w, XMM_DOMID_INVALID).hold_ticks, 2 * LAT);
        assert_world_clean(w);
        break;
    case XMM_IOTLB_UNSAFE:
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        assert_true(xmm_check_full(w, &rep) > 0);
        assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
        assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), -XMM_EBUSY);
        assert_rc(xmm_world_advance(w, LAT), 0);
        assert_rc(xmm_check_full(w, &rep), 0);
        xmm_check_incremental(w, &rep);
        break;
    }
    /* Quarantined: nothing cached, nothing translated; assignable again. */
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, NULL), -XMM_EPERM);
    assert_rc(xmm_iommu_assign(w, OTHER, "nic0"), 0);
    assert_rc(xmm_iommu_assign(w, OTHER, "hba0"), 0);
    assert_int_equal(xmm_heap_free_pages(w), 16384);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_destroy_large_sync(void **state) { (void)state; destroy_large(XMM_IOTLB_SYNC); }
static void test_destroy_large_deferred(void **state) { (void)state; destroy_large(XMM_IOTLB_DEFERRED); }
static void test_destroy_large_pause(void **state) { (void)state; destroy_large(XMM_IOTLB_PAUSE); }
static void test_destroy_large_unsafe(void **state) { (void)state; destroy_large(XMM_IOTLB_UNSAFE); }

/*
 * Issue 11 item 9: the SMMU shares the guest's stage-2 tables, so a
 * xenheap page mapped ram_rw (shared_info) is a DMA target like RAM, and
 * its unmap is invalidated (and held, under deferred) like any other.
 */
static void test_xenheap_dma(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_BUDDY, LAT, 0, NULL, NULL }, 4);
    const uint64_t g = 0x39000;
    xmm_mfn_t shinfo, m;

    (void)state;
    assert_rc(xmm_shinfo_map(w, GUEST, xmm_gfn(g)), 0);
    shinfo = tu_mfn_at(w, GUEST, g);
    assert_true(tu_frame(w, shinfo).xen_heap);
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(g), true, &m), 0);
    assert_true(xmm_mfn_eq(m, shinfo));
    assert_rc(xmm_iommu_dma(w, "hba0", xmm_gfn(g), true, NULL), -XMM_EPERM); /* not assigned */
    assert_rc(xmm_physmap_remove(w, GUEST, xmm_gfn(g)), 0);
    assert_int_equal(stats(w, GUEST).held, 1);
    assert_int_equal(tu_frame(w, shinfo).refcount, 2); /* allocation + the hold */
    assert_world_clean(w);
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(g), true, &m), 0); /* stale hit, held page */
    assert_true(xmm_mfn_eq(m, shinfo));
    assert_rc(xmm_world_advance(w, LAT), 0);
    assert_int_equal(stats(w, GUEST).held, 0);
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(g), true, NULL), -XMM_ENOENT);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- many frames in one flush window -------------------------------------- */

static void test_many_frames(void **state)
{
    static const enum xmm_iotlb_policy pols[] = { XMM_IOTLB_DEFERRED, XMM_IOTLB_SYNC,
                                                  XMM_IOTLB_PAUSE, XMM_IOTLB_UNSAFE };

    (void)state;
    for (size_t p = 0; p < 4; p++) {
        struct xmm_world *w = make(&(struct fixture){ pols[p], XMM_ALLOC_BUDDY, LAT, 16, NULL, NULL }, 40);
        struct xmm_iommu_stats st;
        uint64_t t0 = xmm_world_now(w);

        for (uint64_t g = 0; g < 40; g++)
            dma(w, "nic0", RAM0 + g); /* the TLB keeps the last 64 */
        assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 40), 0);
        st = stats(w, GUEST);
        assert_int_equal(st.flushes, 40);
        switch (pols[p]) {
        case XMM_IOTLB_DEFERRED:
            /* 16 slots: the 17th and 33rd unmaps wait for the oldest flushes. */
            assert_int_equal(st.queue_full, 2);
            assert_int_equal(st.stall_ticks, 2 * LAT);
            assert_int_equal(st.held, 8);
            assert_int_equal(st.held_peak, 16);
            break;
        case XMM_IOTLB_SYNC:
            assert_int_equal(st.stall_ticks, 40 * LAT);
            assert_int_equal(st.holds, 0);
            break;
        case XMM_IOTLB_PAUSE:
            assert_int_equal(st.stall_ticks, 40 * LAT);
            assert_int_equal(st.holds, 40);
            assert_int_equal(st.held_peak, 1);
            break;
        default:
            assert_int_equal(st.stale_unheld, 40);
            break;
        }
        assert_int_equal(xmm_world_now(w) - t0, st.stall_ticks);
        if (pols[p] != XMM_IOTLB_UNSAFE)
            assert_world_clean(w);
        assert_rc(xmm_world_advance(w, LAT), 0);
        st = stats(w, GUEST);
        assert_int_equal(st.held, 0);
        assert_int_equal(st.pending, 0);
        if (pols[p] != XMM_IOTLB_SYNC && pols[p] != XMM_IOTLB_UNSAFE)
            assert_int_equal(st.hold_ticks_max, LAT);
        tu_world_free(w);
    }
}

/* --- a user-plugged IOMMU ------------------------------------------------- */

struct rec {
    uint32_t maps, unmaps, flushes, dones;
    uint64_t last_done;
    uint64_t order[16];
};

static void rec_map(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn, bool wr)
{
    struct rec *r = ctx;

    (void)dom, (void)gfn, (void)mfn, (void)wr;
    r->maps++;
}

static void rec_unmap(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn)
{
    struct rec *r = ctx;

    (void)dom, (void)gfn, (void)mfn;
    r->unmaps++;
}

/* Later gfns complete sooner: completions arrive out of order. */
static uint64_t rec_flush(void *ctx, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t id)
{
    struct rec *r = ctx;

    (void)dom, (void)id;
    r->flushes++;
    return 10 - (xmm_gfn_x(gfn) - RAM0);
}

static void rec_done(void *ctx, xmm_domid_t dom, uint64_t id)
{
    struct rec *r = ctx;

    (void)dom;
    if (r->dones < 16)
        r->order[r->dones] = id;
    r->dones++;
    r->last_done = id;
}

static void test_user_ops(void **state)
{
    static const struct xmm_iommu_ops ops = { rec_map, rec_unmap, rec_flush, rec_done };
    struct rec r;
    struct xmm_world *w;
    struct xmm_world_opts o;
    struct fixture f = fx(XMM_IOTLB_DEFERRED, XMM_ALLOC_BUDDY);

    (void)state;
    memset(&r, 0, sizeof(r));
    f.ops = &ops;
    f.ctx = &r;
    o = fx_opts(&f);
    w = tu_world(&o);
    tu_domain(w, GUEST, 64);
    tu_populate(w, GUEST, RAM0, 4);
    assert_int_equal(r.maps, 0);
    assert_rc(xmm_iommu_assign(w, GUEST, "nic0"), 0);
    assert_int_equal(r.maps, 4); /* the IOMMU copies the P2M */
    tu_populate(w, GUEST, RAM0 + 4, 2);
    assert_int_equal(r.maps, 6);
    assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0 + 1), 3), 0);
    assert_int_equal(r.unmaps, 3);
    assert_int_equal(r.flushes, 3);
    assert_int_equal(stats(w, GUEST).held, 3);
    assert_rc(xmm_world_advance(w, 7), 0); /* gfn +3 was due after 7 ticks */
    assert_int_equal(r.dones, 1);
    assert_int_equal(r.order[0], 3);
    assert_int_equal(stats(w, GUEST).held, 2);
    assert_world_clean(w);
    assert_rc(xmm_world_advance(w, 2), 0);
    assert_int_equal(r.dones, 3);
    assert_int_equal(r.order[1], 2);
    assert_int_equal(r.order[2], 1);
    assert_int_equal(stats(w, GUEST).held, 0);
    assert_world_clean(w);
    tu_world_free(w);

    /* Ops without flush are refused; ops without devices too. */
    {
        static const struct xmm_iommu_ops bad = { rec_map, rec_unmap, NULL, rec_done };
        struct xmm_world *x = NULL;

        f.ops = &bad;
        o = fx_opts(&f);
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        f.ops = &ops;
        o = fx_opts(&f);
        o.iommu.device_count = 0;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        assert_null(x);
    }
}

/* Latency 0: every invalidation completes inside the unmapping call. */
static void test_instant_flush(void **state)
{
    struct fixture f = fx(XMM_IOTLB_UNSAFE, XMM_ALLOC_LIFO);
    struct xmm_world *w;
    struct story s;

    (void)state;
    f.latency = 0;
    w = make(&f, 4);
    story_run(w, &s);
    assert_world_clean(w); /* even unsafe is safe when the device answers at once */
    story_rest(w, &s);
    assert_true(xmm_mfn_eq(s.reached, s.mfn2));
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- errors --------------------------------------------------------------- */

static void test_errors(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_BUDDY, LAT, 0, NULL, NULL }, 4);
    struct xmm_world *bare = tu_world(NULL);
    struct xmm_iommu_stats st;
    uint32_t n = 0;
    xmm_mfn_t m;

    (void)state;
    tu_domain(bare, GUEST, 8);
    assert_err_unchanged(bare, xmm_iommu_assign(bare, GUEST, "nic0"), -XMM_ENOSYS);
    assert_err_unchanged(bare, xmm_iommu_dma(bare, "nic0", xmm_gfn(RAM0), true, &m), -XMM_ENOSYS);
    assert_rc(xmm_iommu_stats(bare, XMM_DOMID_INVALID, &st), -XMM_ENOSYS);
    assert_int_equal(xmm_iommu_device_count(bare), 0);
    tu_world_free(bare);

    assert_int_equal(xmm_iommu_device_count(w), 3);
    assert_string_equal(xmm_iommu_device_id(w, 2), "hba0");
    assert_null(xmm_iommu_device_id(w, 3));
    assert_err_unchanged(w, xmm_iommu_assign(w, GUEST, "nope"), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_iommu_assign(w, GUEST, NULL), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_iommu_assign(w, 7, "nic1"), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_iommu_assign(w, GUEST, "nic0"), -XMM_EEXIST);
    assert_err_unchanged(w, xmm_iommu_assign(w, OTHER, "nic0"), -XMM_EBUSY);
    assert_rc(xmm_iommu_stats(w, 7, &st), -XMM_ESRCH);
    assert_rc(xmm_iommu_device_info(w, "nope", NULL, NULL), -XMM_EINVAL);

    assert_err_unchanged(w, xmm_iommu_dma(w, "nope", xmm_gfn(RAM0), true, &m), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_iommu_dma(w, "nic0", xmm_gfn(XMM_FRAME_LIMIT), true, &m),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_iommu_dma(w, "nic1", xmm_gfn(RAM0), true, &m), -XMM_EPERM);
    assert_err_unchanged(w, xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 100), true, &m), -XMM_ENOENT);
    /* A read-only translation refuses writes, cached or not. */
    assert_rc(xmm_p2m_set(w, GUEST, xmm_gfn(RAM0 + 3), tu_mfn_at(w, GUEST, RAM0 + 3),
                          XMM_P2M_RAM_RO), 0);
    assert_err_unchanged(w, xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 3), true, &m), -XMM_EACCES);
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 3), false, &m), 0);
    assert_err_unchanged(w, xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 3), true, &m), -XMM_EACCES);
    /* Made writable again: the device re-translates instead of faulting. */
    assert_rc(xmm_p2m_set(w, GUEST, xmm_gfn(RAM0 + 3), m, XMM_P2M_RAM_RW), 0);
    assert_rc(xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 3), true, NULL), 0);
    assert_rc(xmm_iommu_device_info(w, "nic0", NULL, &n), 0);
    assert_int_equal(n, 1);
    st = stats(w, GUEST);
    assert_int_equal(st.dma_faults, 3); /* the unassigned nic1's fault is the world's */
    assert_int_equal(stats(w, XMM_DOMID_INVALID).dma_faults, 4);
    assert_world_clean(w);

    /* A dying domain takes no devices. */
    assert_rc(xmm_domain_kill(w, OTHER), 0);
    tu_domain(w, 3, 8);
    assert_rc(xmm_domain_get(w, 3), 0);
    assert_rc(xmm_domain_kill(w, 3), 0);
    assert_err_unchanged(w, xmm_iommu_assign(w, 3, "nic1"), -XMM_EINVAL);
    assert_rc(xmm_domain_put(w, 3), 0);
    tu_world_free(w);

    /* Bad device lists. */
    {
        struct xmm_iommu_device dup[2] = { { "a", true }, { "a", false } };
        struct xmm_iommu_device empty[1] = { { "", true } };
        struct xmm_world_opts o = tu_opts();
        struct xmm_world *x = NULL;

        o.iommu.devices = dup;
        o.iommu.device_count = 2;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        o.iommu.devices = empty;
        o.iommu.device_count = 1;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        o.iommu.devices = NULL;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        o.iommu.devices = dup;
        o.iommu.device_count = XMM_IOMMU_DEVICES_MAX + 1;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        o.iommu.device_count = 1;
        o.iommu.queue = XMM_IOMMU_QUEUE_MAX + 1;
        assert_rc(xmm_world_new(&o, &x), -XMM_EINVAL);
        assert_null(x);
    }
}

/* A device without ATS caches nothing: unmaps need no hold. */
static void test_no_ats(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_BUDDY, LAT, 0, NULL, NULL }, 4);
    uint32_t n = 9;

    (void)state;
    assert_rc(xmm_iommu_assign(w, OTHER, "hba0"), 0);
    tu_populate(w, OTHER, RAM0, 2);
    dma(w, "hba0", RAM0);
    assert_rc(xmm_iommu_device_info(w, "hba0", NULL, &n), 0);
    assert_int_equal(n, 0);
    assert_rc(xmm_physmap_decrease(w, OTHER, xmm_gfn(RAM0), 1), 0);
    assert_int_equal(stats(w, OTHER).flushes, 0);
    assert_int_equal(stats(w, OTHER).holds, 0);
    assert_int_equal(xmm_iommu_dma(w, "hba0", xmm_gfn(RAM0), false, NULL), -XMM_ENOENT);
    assert_world_clean(w);
    tu_world_free(w);
}

/* A foreign mapping's frame is held for its owner when the mapper's entry goes. */
static void test_foreign_hold(void **state)
{
    struct xmm_world *w = make(&(struct fixture){ XMM_IOTLB_DEFERRED, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    xmm_mfn_t m;

    (void)state;
    tu_populate(w, OTHER, RAM0, 1);
    m = tu_mfn_at(w, OTHER, RAM0);
    assert_rc(xmm_physmap_map_foreign(w, GUEST, xmm_gfn(RAM0 + 8), OTHER, xmm_gfn(RAM0)), 0);
    assert_true(xmm_mfn_eq(dma(w, "nic0", RAM0 + 8), m));
    assert_rc(xmm_physmap_remove(w, GUEST, xmm_gfn(RAM0 + 8)), 0);
    assert_rc(xmm_physmap_decrease(w, OTHER, xmm_gfn(RAM0), 1), 0);
    assert_false(tu_frame(w, m).free); /* held for OTHER until the flush */
    assert_int_equal(tu_frame(w, m).owner, OTHER);
    assert_true(xmm_mfn_eq(dma(w, "nic0", RAM0 + 8), m));
    assert_world_clean(w);
    assert_rc(xmm_domain_destroy(w, OTHER, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, OTHER), XMM_DOMAIN_ZOMBIE);
    assert_rc(xmm_world_advance(w, LAT), 0);
    assert_true(tu_frame(w, m).free);
    assert_int_equal(xmm_domain_state(w, OTHER), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- allocation failure ----------------------------------------------------- */

static void setup_story(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    tu_domain(w, GUEST, 64);
    tu_populate(w, GUEST, RAM0, 8);
}

static int op_assign(struct xmm_world *w, void *ctx)
{
    int rc;

    (void)ctx;
    rc = xmm_iommu_assign(w, GUEST, "nic0");
    if (rc == -XMM_EEXIST)
        rc = 0;
    return rc;
}

static void setup_assigned(struct xmm_world *w, void *ctx)
{
    setup_story(w, ctx);
    assert_rc(xmm_iommu_assign(w, GUEST, "nic0"), 0);
    dma(w, "nic0", RAM0 + 7); /* cached, never unmapped below (unsafe stays clean) */
}

static int op_decrease(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 4);
}

static int op_dma(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 2), true, NULL);
}

static int op_destroy(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_domain_destroy(w, GUEST, 100, NULL);
}

static int op_advance(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_world_advance(w, LAT);
}

static void setup_held(struct xmm_world *w, void *ctx)
{
    setup_assigned(w, ctx);
    assert_rc(xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 2), 0);
}

/* Timers others arm beside the IOMMU's: the reserved slot stays free. */
static void nop_timer(struct xmm_world *w, void *arg) { (void)w, (void)arg; }

static void setup_timers(struct xmm_world *w, void *ctx)
{
    setup_assigned(w, ctx);
    for (unsigned i = 0; i < 15; i++)
        assert_rc(xmm_timer_arm(w, 1000 + i, nop_timer, NULL, NULL), 0);
}

static int op_timer_then_unmap(struct xmm_world *w, void *ctx)
{
    int rc = xmm_timer_arm(w, 5, nop_timer, NULL, NULL);

    (void)ctx;
    if (rc)
        return rc;
    /* The IOMMU's completion timer goes in its reserved slot: no allocation. */
    return xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 1);
}

static void test_alloc_failure(void **state)
{
    static const enum xmm_iotlb_policy pols[] = { XMM_IOTLB_DEFERRED, XMM_IOTLB_SYNC,
                                                  XMM_IOTLB_PAUSE, XMM_IOTLB_UNSAFE };

    (void)state;
    for (size_t p = 0; p < 4; p++) {
        struct fixture f = fx(pols[p], XMM_ALLOC_LIFO);
        struct xmm_world_opts o = fx_opts(&f);
        struct tu_afd d = { .opts = &o };
        uint64_t total = tu_world_new_fail_drive(&o), plain;
        struct xmm_world_opts po = tu_opts();

        /* world: the IOMMU, its device array, three ids, the queue. */
        plain = tu_world_new_fail_drive(&po);
        assert_int_equal(total, plain + 1 + 1 + 3 + 1);

        d.name = "iommu_assign";
        d.setup = setup_story;
        d.op = op_assign;
        assert_int_equal(tu_alloc_fail_drive(&d), 1); /* the per-domain state */

        /* Everything else the IOMMU does allocates nothing. */
        d.name = "decrease with a device";
        d.setup = setup_assigned;
        d.op = op_decrease;
        assert_int_equal(tu_alloc_fail_drive(&d), 0);
        d.name = "dma";
        d.op = op_dma;
        assert_int_equal(tu_alloc_fail_drive(&d), 0);
        d.name = "completion";
        d.setup = setup_held;
        d.op = op_advance;
        assert_int_equal(tu_alloc_fail_drive(&d), 0);
        d.name = "destroy with holds";
        d.op = op_destroy;
        if (pols[p] != XMM_IOTLB_UNSAFE) /* unsafe: nic0 still reaches gfn +7's freed frame */
            assert_int_equal(tu_alloc_fail_drive(&d), 0);
        d.name = "timer heap full";
        d.setup = setup_timers;
        d.op = op_timer_then_unmap;
        assert_int_equal(tu_alloc_fail_drive(&d), 1); /* only xmm_timer_arm's growth */
    }
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_story_deferred),
        cmocka_unit_test(test_story_sync),
        cmocka_unit_test(test_story_pause),
        cmocka_unit_test(test_story_unsafe),
        cmocka_unit_test(test_teardown_deferred),
        cmocka_unit_test(test_teardown_sync),
        cmocka_unit_test(test_teardown_pause),
        cmocka_unit_test(test_teardown_unsafe),
        cmocka_unit_test(test_teardown_queue_full),
        cmocka_unit_test(test_destroy_large_sync),
        cmocka_unit_test(test_destroy_large_deferred),
        cmocka_unit_test(test_destroy_large_pause),
        cmocka_unit_test(test_destroy_large_unsafe),
        cmocka_unit_test(test_xenheap_dma),
        cmocka_unit_test(test_many_frames),
        cmocka_unit_test(test_user_ops),
        cmocka_unit_test(test_instant_flush),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_no_ats),
        cmocka_unit_test(test_foreign_hold),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests_name("iommu", tests, NULL, NULL);
}
