/*
 * libxmm unit tests - the bounded event history: per-frame chains newest
 * first, descriptions, and ring overwrite cutting chains safely.
 */
#include <string.h>

#include "testutil.h"

static struct xmm_world *world_hist(uint32_t events)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.history_events = events;
    return tu_world(&o);
}

static void describe(const struct xmm_event *ev, const char *want)
{
    char buf[160];
    int n = xmm_event_describe(ev, buf, sizeof(buf));

    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_chain(void **state)
{
    struct xmm_world *w = world_hist(4096);
    struct xmm_event ev[32];
    uint64_t c0;
    xmm_mfn_t m;
    size_t n;

    (void)state;
    tu_domain(w, 0, 8);
    tu_domain(w, 1, 8);
    xmm_world_set_step(w, 5);
    c0 = xmm_history_count(w);
    tu_populate(w, 1, 0x10, 1);
    m = tu_mfn_at(w, 1, 0x10);
    assert_int_equal(xmm_history_count(w), c0 + 2);
    assert_rc(xmm_world_advance(w, 3), 0);
    xmm_world_set_step(w, 6);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x20), 1, xmm_gfn(0x10)), 0);
    assert_rc(xmm_physmap_remove(w, 0, xmm_gfn(0x20)), 0);
    xmm_world_set_step(w, 7);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x10), 1), 0);

    n = xmm_history_frame(w, m, ev, 32);
    assert_int_equal(n, 10);
    {
        static const enum xmm_event_kind kinds[10] = {
            XMM_EV_FREE, XMM_EV_PUT, XMM_EV_ALLOC_REF_DROP, XMM_EV_UNMAP, XMM_EV_PUT,
            XMM_EV_UNMAP, XMM_EV_MAP, XMM_EV_GET, XMM_EV_MAP, XMM_EV_ALLOC,
        };
        static const xmm_domid_t doms[10] = { XMM_DOMID_INVALID, 1, 1, 1, 1, 0, 0, 1, 1, 1 };
        static const uint32_t steps[10] = { 7, 7, 7, 7, 6, 6, 6, 6, 5, 5 };

        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ev[i].kind, kinds[i]);
            assert_int_equal(ev[i].dom, doms[i]);
            assert_int_equal(ev[i].step, steps[i]);
            assert_int_equal(ev[i].tick, steps[i] == 5 ? 0 : 3);
            assert_true(xmm_mfn_eq(ev[i].mfn, m));
            if (i)
                assert_true(ev[i].seq < ev[i - 1].seq);
        }
    }
    assert_int_equal(ev[0].seq, xmm_history_count(w) - 1);
    assert_int_equal(ev[6].arg, 0x20);
    assert_int_equal(ev[6].aux, XMM_P2M_MAP_FOREIGN_RW);
    assert_int_equal(ev[8].arg, 0x10);
    assert_int_equal(ev[8].aux, XMM_P2M_RAM_RW);
    describe(&ev[9], "allocated to d1");
    describe(&ev[8], "mapped by d1 at gfn 0x10 as ram_rw");
    describe(&ev[7], "reference taken for d1");
    describe(&ev[6], "mapped by d0 at gfn 0x20 as map_foreign_rw");
    describe(&ev[5], "unmapped by d0 at gfn 0x20 (map_foreign_rw)");
    describe(&ev[4], "reference dropped (owner d1)");
    describe(&ev[2], "allocation reference dropped by d1");
    describe(&ev[0], "freed to the heap");
    /* At most `max`, newest first. */
    assert_int_equal(xmm_history_frame(w, m, ev, 3), 3);
    assert_int_equal(ev[0].kind, XMM_EV_FREE);
    assert_int_equal(ev[2].kind, XMM_EV_ALLOC_REF_DROP);
    assert_int_equal(xmm_history_frame(w, m, ev, 0), 0);
    /* Frames without events, and non-RAM. */
    assert_int_equal(xmm_history_frame(w, xmm_mfn(0x40000 + 4000), ev, 32), 0);
    assert_int_equal(xmm_history_frame(w, xmm_mfn(5), ev, 32), 0);
    tu_world_free(w);
}

static void test_describe(void **state)
{
    struct xmm_event ev = { .tick = 1, .arg = 0x44, .mfn = { 0x40000 }, .dom = 3 };
    char small[8];

    (void)state;
    ev.kind = XMM_EV_XENHEAP_ALLOC;
    describe(&ev, "allocated to xen (xenheap)");
    ev.kind = XMM_EV_XENHEAP_SHARE;
    describe(&ev, "xenheap frame shared with d3");
    ev.kind = XMM_EV_XENHEAP_UNSHARE;
    describe(&ev, "xenheap frame back from d3");
    ev.kind = XMM_EV_SET_GFN;
    describe(&ev, "stored xenheap gfn 0x44 for d3");
    ev.arg = XMM_INVALID_GFN_RAW;
    describe(&ev, "stored xenheap gfn reset by d3");
    ev.arg = 0x44;
    ev.kind = XMM_EV_GET_TYPE;
    ev.aux = XMM_PGT_WRITABLE;
    describe(&ev, "typed reference 1 taken");
    ev.kind = XMM_EV_PUT_TYPE;
    describe(&ev, "typed reference dropped");
    ev.kind = XMM_EV_DOMAIN;
    ev.aux = XMM_DOMAIN_ZOMBIE;
    describe(&ev, "d3 is zombie");
    ev.dom = XMM_DOMID_PARK;
    ev.kind = XMM_EV_ALLOC;
    describe(&ev, "allocated to park");
    ev.dom = XMM_DOMID_XEN;
    describe(&ev, "allocated to xen");
    ev.dom = XMM_DOMID_INVALID;
    describe(&ev, "allocated to none");
    ev.dom = 1;
    ev.kind = XMM_EV_FFA_REFUSED;
    ev.arg = 0x8001;
    ev.aux = (uint8_t)-XMM_FFA_RET_DENIED;
    describe(&ev, "reclaim of d1's share refused by SP 0x8001 (FFA_RET_DENIED)");
    ev.kind = XMM_EV_FFA_DECIDED;
    ev.aux = XMM_FFA_REFUSED_FREE;
    describe(&ev, "refused share of d1: unpinned and freed (unsafe) (ffa_refused: free)");
    ev.kind = XMM_EV_VM_DESTROYED;
    ev.aux = (uint8_t)-XMM_FFA_RET_RETRY;
    describe(&ev, "VM_DESTROYED for d1 sent to SP 0x8001, reply FFA_RET_RETRY");
    ev.kind = XMM_EV_FFA_RETRY;
    ev.arg = 60;
    describe(&ev, "reclaim retry for d1 armed, due at tick 60");
    ev.kind = XMM_EV_INV_QUEUED;
    describe(&ev, "invalidation for d1 queued, due at tick 60");
    ev.kind = XMM_EV_GRANT_MAP;
    ev.arg = 3 | ((uint64_t)8 << 32);
    describe(&ev, "grant-mapped by d1, handle 3 (ref 8)");
    ev.kind = XMM_EV_SAFE_RANGE;
    ev.arg = 0x80000 | ((uint64_t)0x80200 << 40);
    describe(&ev, "d1's safe range is [0x80000, 0x100200)");
    ev.kind = XMM_EV_MPU_PEAK;
    ev.arg = 7;
    describe(&ev, "d1 needs 7 MPU regions, its most so far");
    ev.kind = 200;
    describe(&ev, "event 200");
    /* Truncates like snprintf and says how long the whole text is. */
    ev.kind = XMM_EV_FREE;
    assert_int_equal(xmm_event_describe(&ev, small, sizeof(small)),
                     (int)strlen("freed to the heap"));
    assert_string_equal(small, "freed t");
    for (int k = XMM_EV_ALLOC; k < XMM_EV_KIND_COUNT; k++) {
        char buf[160];

        ev.kind = (uint8_t)k;
        assert_true(xmm_event_describe(&ev, buf, sizeof(buf)) > 0);
        assert_true(strcmp(xmm_event_kind_name((enum xmm_event_kind)k), "?") != 0);
    }
}

static void test_ring_overwrite(void **state)
{
    struct xmm_world *w = world_hist(8);
    struct xmm_event ev[16];
    xmm_mfn_t a, b;
    size_t n;

    (void)state;
    tu_domain(w, 1, 8);
    tu_populate(w, 1, 0, 2);
    a = tu_mfn_at(w, 1, 0);
    b = tu_mfn_at(w, 1, 1);
    /* 2 + 20 events on a: only the newest 8 remain. */
    for (int i = 0; i < 10; i++) {
        assert_true(xmm_page_get(w, a, 1));
        assert_rc(xmm_page_put(w, a), 0);
    }
    n = xmm_history_frame(w, a, ev, 16);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_true(xmm_mfn_eq(ev[i].mfn, a));
        assert_int_equal(ev[i].seq, xmm_history_count(w) - 1 - i);
        assert_int_equal(ev[i].kind, i % 2 ? XMM_EV_GET : XMM_EV_PUT);
    }
    /* Five events of b overwrite the oldest five of a's chain. */
    for (int i = 0; i < 2; i++) {
        assert_true(xmm_page_get(w, b, 1));
        assert_rc(xmm_page_put(w, b), 0);
    }
    assert_true(xmm_page_get(w, b, 1));
    n = xmm_history_frame(w, a, ev, 16);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_true(xmm_mfn_eq(ev[i].mfn, a));
    n = xmm_history_frame(w, b, ev, 16);
    assert_int_equal(n, 5);
    /* b's older events (ALLOC, MAP) fell off long ago: chain ends there. */
    assert_int_equal(ev[4].kind, XMM_EV_GET);
    assert_rc(xmm_page_put(w, b), 0);
    for (int i = 0; i < 4; i++) {
        assert_true(xmm_page_get(w, b, 1));
        assert_rc(xmm_page_put(w, b), 0);
    }
    assert_int_equal(xmm_history_frame(w, a, ev, 16), 0);
    assert_int_equal(xmm_history_frame(w, b, ev, 16), 8);
    /* Domain events share the ring and cut frame chains too. */
    for (xmm_domid_t d = 2; d < 10; d++)
        tu_domain(w, d, 0);
    assert_int_equal(xmm_history_frame(w, b, ev, 16), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_no_history(void **state)
{
    struct xmm_world *w = world_hist(0);
    struct xmm_event ev[4];

    (void)state;
    tu_domain(w, 1, 8);
    tu_populate(w, 1, 0, 2);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0), 1), 0);
    assert_int_equal(xmm_history_count(w), 0);
    assert_int_equal(xmm_history_frame(w, tu_mfn_at(w, 1, 1), ev, 4), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_history_count(void **state)
{
    struct xmm_world *w = world_hist(16);
    uint64_t c;

    (void)state;
    c = xmm_history_count(w);
    tu_domain(w, 1, 64);
    assert_int_equal(xmm_history_count(w), c + 2); /* its safe range, "d1 is running" */
    {
        struct xmm_event ev[4];

        /* The domain's events, oldest first, by sequence number. */
        assert_int_equal(xmm_history_since(w, c, ev, 4), 2);
        assert_int_equal(ev[0].kind, XMM_EV_SAFE_RANGE);
        assert_int_equal(ev[1].kind, XMM_EV_DOMAIN);
        assert_int_equal(xmm_history_since(w, c + 1, ev, 4), 1);
    }
    /* The count keeps growing past the ring size. */
    tu_populate(w, 1, 0, 40);
    assert_int_equal(xmm_history_count(w), c + 2 + 80);
    {
        struct xmm_event ev[32];

        /* Only the last 16 are still in the ring. */
        assert_int_equal(xmm_history_since(w, 0, ev, 32), 16);
        assert_int_equal(ev[15].seq, (uint32_t)(c + 2 + 80 - 1));
    }
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_ring_overwrite),
        cmocka_unit_test(test_no_history),
        cmocka_unit_test(test_history_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
