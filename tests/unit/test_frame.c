/*
 * libxmm unit tests - the frame table, reference counting and the heap.
 */
#include "testutil.h"
#include "internal.h"

/* Worlds without a toolstack safe range: mappings go anywhere. */
static struct xmm_world *world_up(void)
{
    struct xmm_world_opts o = tu_opts_upstream();

    return tu_world(&o);
}

_Static_assert(sizeof(struct xmm_page) <= 32, "struct xmm_page must stay within 32 bytes");

#define BASE 0x40000u

static xmm_mfn_t M(uint32_t idx) { return xmm_mfn(BASE + idx); }

/* Every free list holds only maximal blocks: the carving of a fresh heap. */
static void assert_heap_maximal(struct xmm_world *w)
{
    struct xmm_world *fresh;
    struct xmm_world_opts o = tu_opts();

    o.ram_pages = w->ram_pages;
    o.ram_base = xmm_mfn(w->ram_base);
    fresh = tu_world(&o);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w));
    for (unsigned i = 0; i <= XMM_MAX_ORDER; i++)
        assert_int_equal(w->free[i].count, fresh->free[i].count);
    tu_world_free(fresh);
}

/* --- allocation order ---------------------------------------------------- */

static void test_buddy_order(void **state)
{
    struct xmm_world *w = world_up(); /* 4096 frames: one order-12 block */
    xmm_mfn_t m;

    (void)state;
    assert_int_equal(w->free[12].count, 1);
    for (uint32_t i = 0; i < 40; i++) {
        assert_rc(xmm_xenheap_alloc(w, &m), 0);
        assert_int_equal(xmm_mfn_x(m), BASE + i);
    }
    assert_int_equal(xmm_heap_free_pages(w), 4096 - 40);
    /* Populate continues upward, gfn order = mfn order. */
    tu_domain(w, 1, 100);
    tu_populate(w, 1, 0x1000, 8);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 1, 0x1000 + i)), BASE + 40 + i);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_buddy_smallest_block_first(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;
    xmm_mfn_t m;

    (void)state;
    /* 1000 frames: blocks 512@0, 256@512, 128@768, 64@896, 32@960, 8@992. */
    o.ram_pages = 1000;
    w = tu_world(&o);
    assert_int_equal(w->free[9].count, 1);
    assert_int_equal(w->free[3].count, 1);
    assert_int_equal(w->free[3].head, 992);
    /* Like Xen, the smallest block that fits is split first. */
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 992);
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 993);
    assert_rc(xmm_xenheap_free(w, M(992)), 0);
    assert_rc(xmm_xenheap_free(w, M(993)), 0);
    assert_heap_maximal(w);
    tu_world_free(w);
}

static void test_split_merge(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_domain_opts dopt = XMM_DOMAIN_OPTS_INIT;
    uint64_t rs = 99, order[4096];
    xmm_gfn_t first;

    (void)state;
    tu_domain(w, 1, 4096);
    tu_populate(w, 1, 0, 4096);
    assert_int_equal(xmm_heap_free_pages(w), 0);
    for (unsigned i = 0; i <= XMM_MAX_ORDER; i++)
        assert_int_equal(w->free[i].count, 0);
    /* Free everything in a random order: the buddies merge back. */
    for (uint64_t i = 0; i < 4096; i++)
        order[i] = i;
    for (uint64_t i = 4095; i > 0; i--) {
        uint64_t j = tu_rand(&rs) % (i + 1), t = order[i];

        order[i] = order[j];
        order[j] = t;
    }
    for (uint64_t i = 0; i < 4096; i++) {
        assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(order[i]), 1), 0);
        assert_int_equal(xmm_heap_free_pages(w), i + 1);
        if (i % 512 == 0)
            assert_world_clean(w);
    }
    assert_heap_maximal(w);
    assert_world_clean(w);
    /* The whole of RAM can be taken as one direct-mapped range. */
    dopt.max_pages = 4096;
    dopt.direct_map = true;
    assert_rc(xmm_domain_create(w, 2, &dopt), 0);
    assert_rc(xmm_physmap_populate_direct(w, 2, 4096, &first), 0);
    assert_int_equal(xmm_gfn_x(first), BASE);
    assert_int_equal(xmm_heap_free_pages(w), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_lifo(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w, *b;
    xmm_mfn_t m;

    (void)state;
    o.alloc_mode = XMM_ALLOC_LIFO;
    w = tu_world(&o);
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0, 16);
    /* The frame freed last is handed out first. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(3), 1), 0);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(9), 1), 0);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(2), 1), 0);
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 2);
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 9);
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 3);
    assert_rc(xmm_xenheap_alloc(w, &m), 0);
    assert_int_equal(xmm_mfn_x(m), BASE + 16);
    /* Freed frames never merge in LIFO mode. */
    {
        uint64_t n0 = w->free[0].count, n1 = w->free[1].count;

        assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0), 2), 0);
        assert_int_equal(w->free[0].count, n0 + 2);
        assert_int_equal(w->free[1].count, n1);
        assert_int_equal(w->free[0].head, 1);
    }
    assert_world_clean(w);

    /* Buddy mode merges the same two frames into an order-1 block. */
    b = world_up();
    tu_domain(b, 1, 64);
    tu_populate(b, 1, 0, 16);
    assert_rc(xmm_physmap_decrease(b, 1, xmm_gfn(0), 2), 0);
    assert_int_equal(b->free[0].count, 0);
    assert_int_equal(b->free[1].count, 1);
    assert_int_equal(b->free[1].head, 0);
    tu_world_free(b);
    tu_world_free(w);
}

/* --- references ------------------------------------------------------------ */

static void test_get_page(void **state)
{
    struct xmm_world *w = world_up();
    xmm_mfn_t m, x;
    uint64_t d;

    (void)state;
    tu_domain(w, 1, 8);
    tu_domain(w, 2, 8);
    tu_populate(w, 1, 0, 1);
    m = tu_mfn_at(w, 1, 0);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_true(xmm_page_get(w, m, 1));
    assert_int_equal(tu_refcount(w, m), 2);
    assert_rc(xmm_page_put(w, m), 0);
    d = xmm_world_digest(w);
    /* Wrong owner, free frame, not RAM, zero count (Xen-owned xenheap). */
    assert_false(xmm_page_get(w, m, 2));
    assert_false(xmm_page_get(w, M(100), 1));
    assert_false(xmm_page_get(w, M(100), XMM_DOMID_INVALID));
    assert_false(xmm_page_get(w, xmm_mfn(0x1000), 1));
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    d = xmm_world_digest(w);
    assert_false(xmm_page_get(w, x, XMM_DOMID_XEN));
    assert_true(xmm_world_digest(w) == d);
    /* Overflow: a count at its maximum takes no more. */
    frame_touch(w, frame_idx(w, m))->count_info |= XMM_PGC_count_mask;
    assert_false(xmm_page_get(w, m, 1));
    assert_int_equal(tu_refcount(w, m), XMM_PGC_count_mask);
    frame_touch(w, frame_idx(w, m))->count_info &= ~XMM_PGC_count_mask;
    frame_touch(w, frame_idx(w, m))->count_info |= 1;
    assert_rc(xmm_xenheap_free(w, x), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_put_page(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_domain_info di;
    xmm_mfn_t m, x;

    (void)state;
    tu_domain(w, 1, 8);
    tu_populate(w, 1, 0, 2);
    m = tu_mfn_at(w, 1, 0);
    /* Put on a free frame, a non-RAM frame, a zero count: EINVAL, no change. */
    assert_err_unchanged(w, xmm_page_put(w, M(200)), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_page_put(w, xmm_mfn(5)), -XMM_EINVAL);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_err_unchanged(w, xmm_page_put(w, x), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_page_put_alloc_ref(w, x), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_page_put_alloc_ref(w, M(200)), -XMM_EINVAL);
    /* put_alloc_ref on a page held elsewhere: not freed until the last put. */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0)), 0);
    assert_true(xmm_page_get(w, m, 1));
    assert_rc(xmm_page_put_alloc_ref(w, m), 0);
    assert_false(tu_frame(w, m).allocated);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_int_equal(tu_dom(w, 1).tot_pages, 2);
    assert_err_unchanged(w, xmm_page_put_alloc_ref(w, m), -XMM_EINVAL);
    assert_rc(xmm_page_put(w, m), 0);
    assert_true(tu_frame(w, m).free);
    assert_int_equal(tu_frame(w, m).owner, XMM_DOMID_INVALID);
    di = tu_dom(w, 1);
    assert_int_equal(di.tot_pages, 1);
    assert_int_equal(di.refs, 2);
    assert_err_unchanged(w, xmm_page_put(w, m), -XMM_EINVAL);
    /* The last page freed drops the domain's page reference. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(1), 1), 0);
    di = tu_dom(w, 1);
    assert_int_equal(di.tot_pages, 0);
    assert_int_equal(di.refs, 1);
    assert_rc(xmm_xenheap_free(w, x), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_page_type(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_frame_info fi;
    xmm_mfn_t m;

    (void)state;
    tu_domain(w, 1, 8);
    tu_populate(w, 1, 0, 1);
    m = tu_mfn_at(w, 1, 0);
    assert_err_unchanged(w, xmm_page_put_type(w, m), -XMM_EINVAL);
    assert_true(xmm_page_get_type(w, m, XMM_PGT_WRITABLE));
    assert_true(xmm_page_get_type(w, m, XMM_PGT_WRITABLE));
    fi = tu_frame(w, m);
    assert_int_equal(fi.type, XMM_PGT_WRITABLE);
    assert_int_equal(fi.type_count, 2);
    /* Another type while the count is held: refused. */
    assert_false(xmm_page_get_type(w, m, XMM_PGT_SHARED));
    assert_false(xmm_page_get_type(w, m, XMM_PGT_DEV_TLB));
    assert_rc(xmm_page_put_type(w, m), 0);
    assert_false(xmm_page_get_type(w, m, XMM_PGT_SHARED));
    assert_rc(xmm_page_put_type(w, m), 0);
    assert_int_equal(tu_frame(w, m).type_count, 0);
    /* Count back at zero: the frame may take a new type. */
    assert_true(xmm_page_get_type(w, m, XMM_PGT_DEV_TLB));
    fi = tu_frame(w, m);
    assert_int_equal(fi.type, XMM_PGT_DEV_TLB);
    assert_int_equal(fi.type_count, 1);
    /* The stored GFN bits are untouched by typed references. */
    assert_int_equal(fi.type_info & XMM_PGT_gfn_mask, XMM_PGT_INVALID_GFN);
    assert_rc(xmm_page_put_type(w, m), 0);
    /* Free frames and non-RAM take no types. */
    assert_false(xmm_page_get_type(w, M(100), XMM_PGT_WRITABLE));
    assert_false(xmm_page_get_type(w, xmm_mfn(3), XMM_PGT_WRITABLE));
    assert_false(xmm_page_get_type(w, m, (enum xmm_page_type)16));
    assert_err_unchanged(w, xmm_page_put_type(w, M(100)), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_page_put_type(w, xmm_mfn(3)), -XMM_EINVAL);
    /* Type count overflow. */
    frame_touch(w, frame_idx(w, m))->type_info |= XMM_PGT_count_mask;
    assert_false(xmm_page_get_type(w, m, XMM_PGT_NONE));
    frame_touch(w, frame_idx(w, m))->type_info &= ~XMM_PGT_count_mask;
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- xenheap ---------------------------------------------------------------- */

static void test_xenheap(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_frame_info fi;
    xmm_mfn_t x, y;

    (void)state;
    tu_domain(w, 1, 8);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_alloc(w, &y), 0);
    fi = tu_frame(w, x);
    assert_true(fi.xen_heap);
    assert_false(fi.allocated);
    assert_false(fi.free);
    assert_int_equal(fi.owner, XMM_DOMID_XEN);
    assert_int_equal(fi.refcount, 0);
    assert_true(xmm_gfn_eq(fi.xenheap_gfn, XMM_INVALID_GFN));
    assert_int_equal(xmm_heap_free_pages(w), 4094);

    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    fi = tu_frame(w, x);
    assert_int_equal(fi.owner, 1);
    assert_true(fi.allocated);
    assert_int_equal(fi.refcount, 1);
    assert_int_equal(fi.type_count, 1);
    assert_int_equal(fi.type, XMM_PGT_WRITABLE);
    assert_int_equal(tu_dom(w, 1).xenheap_pages, 1);
    assert_int_equal(tu_dom(w, 1).refs, 2);
    assert_int_equal(tu_dom(w, 1).tot_pages, 0);
    /* A second shared frame takes no further domain reference. */
    assert_rc(xmm_xenheap_share(w, y, 1, true), 0);
    assert_int_equal(tu_frame(w, y).type, XMM_PGT_NONE);
    assert_int_equal(tu_dom(w, 1).refs, 2);
    assert_world_clean(w);

    /* Errors. */
    assert_err_unchanged(w, xmm_xenheap_share(w, x, 2, false), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_xenheap_share(w, x, 1, false), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_xenheap_share(w, M(500), 1, false), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_xenheap_share(w, xmm_mfn(1), 1, false), -XMM_EINVAL);
    tu_populate(w, 1, 0, 1);
    assert_err_unchanged(w, xmm_xenheap_share(w, tu_mfn_at(w, 1, 0), 1, false), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_xenheap_free(w, x), -XMM_EINVAL);           /* shared */
    assert_err_unchanged(w, xmm_xenheap_free(w, M(500)), -XMM_EINVAL);      /* free */
    assert_err_unchanged(w, xmm_xenheap_free(w, xmm_mfn(1)), -XMM_EINVAL);  /* not RAM */
    assert_err_unchanged(w, xmm_xenheap_free(w, tu_mfn_at(w, 1, 0)), -XMM_EINVAL);

    /* Unshare: the allocation reference goes, the frame is Xen's again. */
    assert_rc(xmm_page_put_alloc_ref(w, x), 0);
    fi = tu_frame(w, x);
    assert_int_equal(fi.owner, XMM_DOMID_XEN);
    assert_int_equal(fi.refcount, 0);
    assert_false(fi.allocated);
    assert_int_equal(fi.type_count, 0);
    assert_int_equal(tu_dom(w, 1).xenheap_pages, 1);
    assert_int_equal(tu_dom(w, 1).refs, 3); /* creation, pages, xenheap */
    assert_rc(xmm_page_put_alloc_ref(w, y), 0);
    assert_int_equal(tu_dom(w, 1).refs, 2);
    assert_world_clean(w);
    assert_rc(xmm_xenheap_free(w, x), 0);
    assert_rc(xmm_xenheap_free(w, y), 0);
    assert_true(tu_frame(w, x).free);
    assert_err_unchanged(w, xmm_xenheap_free(w, x), -XMM_EINVAL);
    assert_int_equal(xmm_heap_free_pages(w), 4095);

    /* A dying domain takes no xenheap frames. */
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_err_unchanged(w, xmm_xenheap_share(w, x, 1, false), -XMM_ESRCH);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_xenheap_share_dying(void **state)
{
    struct xmm_world *w = world_up();
    xmm_mfn_t x;

    (void)state;
    tu_domain(w, 1, 1024);
    tu_populate(w, 1, 0, 1024);
    assert_rc(xmm_domain_kill(w, 1), -XMM_ERESTART);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_DYING);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_err_unchanged(w, xmm_xenheap_share(w, x, 1, false), -XMM_EINVAL);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_frame_info(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_frame_info fi;
    xmm_mfn_t m;

    (void)state;
    assert_rc(xmm_frame_info(w, xmm_mfn(BASE - 1), &fi), -XMM_EINVAL);
    assert_rc(xmm_frame_info(w, xmm_mfn(BASE + 4096), &fi), -XMM_EINVAL);
    fi = tu_frame(w, M(7));
    assert_int_equal(xmm_mfn_x(fi.mfn), BASE + 7);
    assert_true(fi.free);
    assert_int_equal(fi.count_info, XMM_PGC_state_free);
    assert_int_equal(fi.owner, XMM_DOMID_INVALID);
    assert_int_equal(fi.refcount, 0);
    assert_false(fi.allocated);
    assert_true(xmm_gfn_eq(fi.xenheap_gfn, XMM_INVALID_GFN));
    tu_domain(w, 3, 8);
    tu_populate(w, 3, 0x77, 1);
    m = tu_mfn_at(w, 3, 0x77);
    assert_true(xmm_page_get(w, m, 3));
    fi = tu_frame(w, m);
    assert_true(xmm_mfn_eq(fi.mfn, m));
    assert_false(fi.free);
    assert_false(fi.xen_heap);
    assert_true(fi.allocated);
    assert_int_equal(fi.owner, 3);
    assert_int_equal(fi.refcount, 2);
    assert_int_equal(fi.count_info,
                     XMM_PGC_allocated | XMM_PGC_state_inuse | 2);
    assert_int_equal(fi.type, XMM_PGT_NONE);
    assert_true(xmm_gfn_eq(fi.xenheap_gfn, XMM_INVALID_GFN));
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, m), XMM_INVALID_GFN));
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, xmm_mfn(1)), XMM_INVALID_GFN));
    assert_rc(xmm_page_put(w, m), 0);
    assert_int_equal(xmm_heap_total_pages(w), 4096);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buddy_order),
        cmocka_unit_test(test_buddy_smallest_block_first),
        cmocka_unit_test(test_split_merge),
        cmocka_unit_test(test_lifo),
        cmocka_unit_test(test_get_page),
        cmocka_unit_test(test_put_page),
        cmocka_unit_test(test_page_type),
        cmocka_unit_test(test_xenheap),
        cmocka_unit_test(test_xenheap_share_dying),
        cmocka_unit_test(test_frame_info),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
