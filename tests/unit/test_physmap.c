/*
 * libxmm unit tests - the physmap hypercalls.  Every error path must leave
 * the world unchanged (assert_err_unchanged compares the digest and the
 * model's allocations, P2M nodes and timers).
 */
#include "testutil.h"

#define BASE 0x40000u
#define LIMIT XMM_FRAME_LIMIT

static const struct xmm_mmio_region regions[2] = {
    { { 0x1000 }, 16, "dev0" },
    { { 0x1010 }, 16, "dev1" },
};

static struct xmm_world *mk_world(uint64_t ram_pages)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.ram_pages = ram_pages;
    o.mmio = regions;
    o.mmio_count = 2;
    return tu_world(&o);
}

static void mk_direct(struct xmm_world *w, xmm_domid_t dom, uint64_t max_pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = max_pages;
    o.direct_map = true;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
}

/* Put a domain in the middle of its kill (dying, not finished). */
static void make_dying(struct xmm_world *w, xmm_domid_t dom)
{
    tu_domain(w, dom, 1024);
    tu_populate(w, dom, 0x100000, 1024);
    assert_rc(xmm_domain_kill(w, dom), -XMM_ERESTART);
    assert_int_equal(xmm_domain_state(w, dom), XMM_DOMAIN_DYING);
}

static void assert_type(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, enum xmm_p2m_type t)
{
    struct xmm_p2m_entry e;

    assert_rc(xmm_p2m_lookup(w, dom, xmm_gfn(gfn), &e), 0);
    assert_int_equal(e.type, t);
}

static void assert_unmapped(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn)
{
    struct xmm_p2m_entry e;

    assert_rc(xmm_p2m_lookup(w, dom, xmm_gfn(gfn), &e), -XMM_ENOENT);
}

/* --- populate ---------------------------------------------------------------- */

static void test_populate(void **state)
{
    struct xmm_world *w = mk_world(4096);
    struct xmm_frame_info fi;

    (void)state;
    tu_domain(w, 1, 10);
    tu_populate(w, 1, 0x100, 8);
    assert_int_equal(tu_dom(w, 1).tot_pages, 8);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 8);
    assert_int_equal(xmm_heap_free_pages(w), 4088);
    for (uint64_t g = 0x100; g < 0x108; g++) {
        assert_type(w, 1, g, XMM_P2M_RAM_RW);
        fi = tu_frame(w, tu_mfn_at(w, 1, g));
        assert_int_equal(fi.owner, 1);
        assert_true(fi.allocated);
        assert_int_equal(fi.refcount, 1);
    }
    assert_world_clean(w);
    /* Errors, each leaving the world as it was. */
    assert_err_unchanged(w, xmm_physmap_populate(w, 9, xmm_gfn(0), 1), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0), 0), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(LIMIT), 1), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(LIMIT - 1), 2), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x10), UINT64_MAX), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0xff), 2), -XMM_EEXIST);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x107), 1), -XMM_EEXIST);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x200), 3), -XMM_EPERM);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x200), 11), -XMM_EPERM);
    /* Exactly up to max_pages, at the top of the gfn space. */
    tu_populate(w, 1, LIMIT - 2, 2);
    assert_int_equal(tu_dom(w, 1).tot_pages, 10);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x200), 1), -XMM_EPERM);
    /* An MMIO mapping in the range is a collision too. */
    tu_domain(w, 2, 100);
    assert_rc(xmm_physmap_map_mmio(w, 2, xmm_gfn(0x50), xmm_mfn(0x1000), 1), 0);
    assert_err_unchanged(w, xmm_physmap_populate(w, 2, xmm_gfn(0x40), 17), -XMM_EEXIST);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_populate_host_full(void **state)
{
    struct xmm_world *w = mk_world(64);

    (void)state;
    tu_domain(w, 1, 1000);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0), 65), -XMM_ENOMEM);
    tu_populate(w, 1, 0, 60);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(100), 5), -XMM_ENOMEM);
    tu_populate(w, 1, 100, 4);
    assert_int_equal(xmm_heap_free_pages(w), 0);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(200), 1), -XMM_ENOMEM);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_populate_dying(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_gfn_t first = xmm_gfn(7);

    (void)state;
    make_dying(w, 1);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0), 1), -XMM_EINVAL);
    mk_direct(w, 2, 2048);
    assert_rc(xmm_physmap_populate_direct_at(w, 2, xmm_gfn(BASE + 2048), 1024), 0);
    assert_rc(xmm_physmap_decrease(w, 2, xmm_gfn(BASE + 2048), 1), 0);
    assert_rc(xmm_domain_kill(w, 2), -XMM_ERESTART);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 2, 1, &first), -XMM_EINVAL);
    /* The contract keeps EINVAL for populate (Xen's p2m_set_entry would say ENOMEM). */
    assert_err_unchanged(w, xmm_physmap_populate(w, 2, xmm_gfn(BASE + 2048), 1), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 2, xmm_gfn(BASE + 100), 1),
                         -XMM_EINVAL);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_populate_direct_mapped_gfn(void **state)
{
    struct xmm_world *w = mk_world(4096);
    uint64_t free0;
    xmm_mfn_t x;

    (void)state;
    mk_direct(w, 1, 64);
    /* Construction: the host range is the domain's RAM, gfn == mfn. */
    assert_rc(xmm_physmap_populate_direct_at(w, 1, xmm_gfn(BASE + 100), 4), 0);
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 1, BASE + 100 + i)), BASE + 100 + i);
    /* The frame at mfn == gfn is taken: ENOMEM. */
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 1, xmm_gfn(xmm_mfn_x(x)), 2),
                         -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 1, xmm_gfn(xmm_mfn_x(x) - 1), 2),
                         -XMM_ENOMEM);
    tu_domain(w, 2, 16);
    tu_populate(w, 2, 0, 3);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(
                                w, 1, xmm_gfn(xmm_mfn_x(tu_mfn_at(w, 2, 1))), 1),
                         -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 2, xmm_gfn(BASE + 200), 1),
                         -XMM_EINVAL); /* not direct-mapped */
    /* Not RAM at all: out of bounds. */
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 1, xmm_gfn(BASE - 1), 2),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate_direct_at(w, 1, xmm_gfn(BASE + 4095), 2),
                         -XMM_EINVAL);
    assert_rc(xmm_physmap_populate_direct_at(w, 1, xmm_gfn(BASE + 4095), 1), 0);
    assert_world_clean(w);

    /*
     * XENMEM_populate_physmap allocates nothing for a direct-mapped domain:
     * mfn == gpfn must already be its page.  A free frame, another domain's
     * frame, a frame outside RAM: refused.
     */
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(BASE + 300), 1), -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(xmm_mfn_x(tu_mfn_at(w, 2, 1))), 1),
                         -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x1000), 1), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(BASE + 100), 1), -XMM_EEXIST);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(xmm_mfn_x(x)), 1), -XMM_EINVAL);
    assert_rc(xmm_page_put_alloc_ref(w, x), 0);
    /* decrease keeps the pages (allocated, unmapped, in tot_pages): nobody else gets them. */
    free0 = xmm_heap_free_pages(w);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(BASE + 101), 2), 0);
    assert_unmapped(w, 1, BASE + 101);
    assert_unmapped(w, 1, BASE + 102);
    assert_true(tu_frame(w, xmm_mfn(BASE + 101)).allocated);
    assert_int_equal(tu_frame(w, xmm_mfn(BASE + 102)).owner, 1);
    assert_int_equal(tu_refcount(w, xmm_mfn(BASE + 102)), 1);
    assert_int_equal(tu_dom(w, 1).tot_pages, 5);
    assert_int_equal(xmm_heap_free_pages(w), free0);
    assert_world_clean(w);
    /* populate maps the same frames back, allocating nothing. */
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(BASE + 101), 2), 0);
    assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 1, BASE + 102)), BASE + 102);
    assert_int_equal(tu_dom(w, 1).tot_pages, 5);
    assert_int_equal(xmm_heap_free_pages(w), free0);
    assert_world_clean(w);
    /* The kept pages go with the domain. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(BASE + 100), 4), 0);
    assert_rc(xmm_domain_destroy(w, 1, 100, NULL), 0);
    assert_true(tu_frame(w, xmm_mfn(BASE + 101)).free);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_populate_direct(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_gfn_t first = xmm_gfn(0);
    xmm_mfn_t x;

    (void)state;
    mk_direct(w, 1, 4096);
    tu_domain(w, 2, 4096);
    /* Lowest free run first. */
    assert_rc(xmm_physmap_populate_direct(w, 1, 8, &first), 0);
    assert_int_equal(xmm_gfn_x(first), BASE);
    assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 1, BASE + 7)), BASE + 7);
    /* Fragment: frame BASE+8 free, BASE+9 taken, BASE+10.. free. */
    tu_populate(w, 2, 0, 2); /* BASE+8, BASE+9 */
    assert_rc(xmm_physmap_decrease(w, 2, xmm_gfn(0), 1), 0);
    assert_rc(xmm_physmap_populate_direct(w, 1, 2, &first), 0);
    assert_int_equal(xmm_gfn_x(first), BASE + 10);
    assert_rc(xmm_physmap_populate_direct(w, 1, 1, &first), 0);
    assert_int_equal(xmm_gfn_x(first), BASE + 8);
    assert_int_equal(tu_dom(w, 1).tot_pages, 11);
    assert_world_clean(w);
    /* Errors. */
    first = xmm_gfn(0x77);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 9, 1, &first), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 2, 1, &first), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 1, 0, &first), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 1, 4096 - 11 + 1, &first),
                         -XMM_EPERM);
    /* Plenty of free frames, but no run long enough: 13..1999, 2001..4095. */
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_int_equal(xmm_mfn_x(x), BASE + 12);
    mk_direct(w, 3, 1);
    assert_rc(xmm_physmap_populate_direct_at(w, 3, xmm_gfn(BASE + 2000), 1), 0);
    assert_int_equal(xmm_heap_free_pages(w), 1987 + 2095);
    assert_err_unchanged(w, xmm_physmap_populate_direct(w, 1, 2096, &first), -XMM_ENOMEM);
    assert_rc(xmm_physmap_populate_direct(w, 1, 2095, &first), 0);
    assert_int_equal(xmm_gfn_x(first), BASE + 2001);
    assert_int_equal(xmm_heap_free_pages(w), 1987);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- decrease ---------------------------------------------------------------- */

static void test_decrease(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_mfn_t m[8], x;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 8);
    for (int i = 0; i < 8; i++)
        m[i] = tu_mfn_at(w, 1, 0x10 + (uint64_t)i);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x10), 3), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(tu_frame(w, m[i]).free);
        assert_unmapped(w, 1, 0x10 + (uint64_t)i);
    }
    assert_int_equal(tu_dom(w, 1).tot_pages, 5);
    assert_int_equal(xmm_heap_free_pages(w), 4096 - 5);
    assert_world_clean(w);
    /* All or nothing: a hole in the range fails the whole call. */
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x12), 3), -XMM_ENOENT);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x16), 3), -XMM_ENOENT);
    /* Anything but the domain's own RAM: EINVAL. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x18), 0, xmm_gfn(0)), -XMM_EINVAL);
    tu_populate(w, 0, 0, 1);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x18), 0, xmm_gfn(0)), 0);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x16), 3), -XMM_EINVAL);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x19), xmm_mfn(0x1003), 1), 0);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x19), 1), -XMM_EINVAL);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x1a), x, XMM_P2M_RAM_RW), 0);
    /*
     * A xenheap page shared with the domain: get_page works (the domain owns
     * it) and put_page_alloc_ref is safe, so decrease succeeds; the frame
     * goes back to Xen.
     */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x1a), 1), 0);
    assert_unmapped(w, 1, 0x1a);
    assert_int_equal(tu_frame(w, x).owner, XMM_DOMID_XEN);
    assert_int_equal(tu_refcount(w, x), 0);
    assert_int_equal(tu_dom(w, 1).xenheap_pages, 0);
    assert_world_clean(w);
    assert_rc(xmm_xenheap_free(w, x), 0);
    /* Bad ranges, unknown domain. */
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x13), 0), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(LIMIT), 1), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(LIMIT - 1), 2), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 9, xmm_gfn(0x13), 1), -XMM_ESRCH);
    assert_world_clean(w);

    /* A page another domain maps survives until the mapping goes. */
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x40), 1, xmm_gfn(0x13)), 0);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x13), 1), 0);
    assert_unmapped(w, 1, 0x13);
    assert_false(tu_frame(w, m[3]).free);
    assert_false(tu_frame(w, m[3]).allocated);
    assert_int_equal(tu_refcount(w, m[3]), 1);
    assert_int_equal(tu_dom(w, 1).tot_pages, 5); /* still d1's until freed */
    assert_world_clean(w);
    assert_rc(xmm_physmap_remove(w, 0, xmm_gfn(0x40)), 0);
    assert_true(tu_frame(w, m[3]).free);
    assert_int_equal(tu_dom(w, 1).tot_pages, 4);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_decrease_dying(void **state)
{
    struct xmm_world *w = mk_world(4096);

    (void)state;
    make_dying(w, 1);
    /* The lookups come first; p2m_set_entry then refuses a dying domain. */
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x100000 + 1000), 1),
                         -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x100000 + 1023), 2),
                         -XMM_ENOENT);
    assert_err_unchanged(w, xmm_physmap_remove(w, 1, xmm_gfn(0x100000 + 1000)), -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_remove(w, 1, xmm_gfn(0x100000 + 1024)), -XMM_ENOENT);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * SRC BUG (Debug builds): a range in which one frame is RAM-mapped twice
 * (an alias made with the raw xmm_p2m_set) passes validation, then the
 * second put_alloc_ref finds the allocation reference already gone and
 * physmap.c's assert(rc == 0) aborts.  Xen's guest_remove_page uses
 * test_and_clear on _PGC_allocated and tolerates it.
 */
static bool decrease_alias_child(void *arg)
{
    struct xmm_world_opts wo = tu_opts_upstream();
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;
    struct xmm_frame_info fi;
    struct xmm_p2m_entry e;
    struct xmm_world *w;
    bool ok;

    (void)arg;
    o.max_pages = 8;
    if (xmm_world_new(&wo, &w) || xmm_domain_create(w, 1, &o) ||
        xmm_physmap_populate(w, 1, xmm_gfn(0x10), 1) ||
        xmm_p2m_lookup(w, 1, xmm_gfn(0x10), &e) ||
        xmm_p2m_set(w, 1, xmm_gfn(0x11), e.mfn, XMM_P2M_RAM_RW) || xmm_check_full(w, NULL))
        return false;
    ok = xmm_physmap_decrease(w, 1, xmm_gfn(0x10), 2) == 0 &&
         xmm_frame_info(w, e.mfn, &fi) == 0 && fi.free &&
         xmm_p2m_entry_count(w, 1) == 0 && xmm_check_full(w, NULL) == 0;
    xmm_world_free(w);
    return ok;
}

static void test_decrease_aliased_frame(void **state)
{
    (void)state;
    assert_int_equal(tu_run_isolated(decrease_alias_child, NULL), 0);
}

/* --- map_foreign ------------------------------------------------------------- */

static void test_map_foreign(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_mfn_t a, b, own;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 4);
    tu_populate(w, 0, 0x80, 1);
    a = tu_mfn_at(w, 1, 0x10);
    b = tu_mfn_at(w, 1, 0x11);
    own = tu_mfn_at(w, 0, 0x80);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_type(w, 0, 0x100, XMM_P2M_MAP_FOREIGN_RW);
    assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 0, 0x100)), xmm_mfn_x(a));
    assert_int_equal(tu_refcount(w, a), 2);
    assert_int_equal(tu_dom(w, 0).tot_pages, 1); /* a foreign map is not ours */
    assert_world_clean(w);
    /* A read-only source gives a read-only foreign entry. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x11), b, XMM_P2M_RAM_RO), 0);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x101), 1, xmm_gfn(0x11)), 0);
    assert_type(w, 0, 0x101, XMM_P2M_MAP_FOREIGN_RO);
    assert_world_clean(w);
    /* Replacing a foreign entry drops the old reference. */
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x11)), 0);
    assert_int_equal(tu_refcount(w, a), 1);
    assert_int_equal(tu_refcount(w, b), 3);
    assert_type(w, 0, 0x100, XMM_P2M_MAP_FOREIGN_RO);
    /* Replacing our own RAM page: it stays allocated, unmapped. */
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x80), 1, xmm_gfn(0x12)), 0);
    assert_type(w, 0, 0x80, XMM_P2M_MAP_FOREIGN_RW);
    assert_true(tu_frame(w, own).allocated);
    assert_int_equal(tu_frame(w, own).owner, 0);
    assert_int_equal(tu_dom(w, 0).tot_pages, 1);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_map_foreign_errors(void **state)
{
    struct xmm_world *w = mk_world(4096);

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 2);
    tu_populate(w, 0, 0x10, 1);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x20), xmm_mfn(0x1000), 1), 0);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x30), 0, xmm_gfn(0x10)), 0);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 0, xmm_gfn(0x10)),
                         -XMM_EINVAL); /* self */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x12)),
                         -XMM_EINVAL); /* source unmapped */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x20)),
                         -XMM_EINVAL); /* source MMIO */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x30)),
                         -XMM_EINVAL); /* source is itself a foreign map */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(LIMIT), 1, xmm_gfn(0x10)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(LIMIT)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 9, xmm_gfn(0x100), 1, xmm_gfn(0x10)),
                         -XMM_ESRCH);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 9, xmm_gfn(0x10)),
                         -XMM_ESRCH);
    make_dying(w, 2);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 2, xmm_gfn(0x100), 1, xmm_gfn(0x10)),
                         -XMM_ENOMEM); /* mapper dying: p2m_set_entry */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 2, xmm_gfn(0x100), 1, xmm_gfn(0x12)),
                         -XMM_EINVAL); /* ... after the source is checked */
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * SRC BUG: mapping the same foreign frame at the same gfn twice takes a
 * second page reference, but p2m_write sees the identical entry and returns
 * early, so nothing ever drops that reference (refcount violation; the
 * source domain can never be destroyed).
 */
static void test_map_foreign_same_twice(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_mfn_t a;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 1);
    a = tu_mfn_at(w, 1, 0x10);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_int_equal(tu_refcount(w, a), 2);
    assert_world_clean(w);
    assert_rc(xmm_physmap_remove(w, 0, xmm_gfn(0x100)), 0);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    tu_world_free(w);
}

/* --- map_mmio ---------------------------------------------------------------- */

static void test_map_mmio(void **state)
{
    struct xmm_world *w = mk_world(4096);
    struct xmm_p2m_entry e;

    (void)state;
    tu_domain(w, 1, 16);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9000), xmm_mfn(0x1002), 14), 0);
    for (uint64_t i = 0; i < 14; i++) {
        assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(0x9000 + i), &e), 0);
        assert_int_equal(e.type, XMM_P2M_MMIO_DIRECT_DEV);
        assert_int_equal(xmm_mfn_x(e.mfn), 0x1002 + i);
    }
    assert_int_equal(tu_dom(w, 1).tot_pages, 0);
    assert_world_clean(w);
    /* The same device frames may be mapped again elsewhere. */
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0xa000), xmm_mfn(0x1010), 16), 0);
    /* Errors. */
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9010), xmm_mfn(0x5000), 1),
                         -XMM_EINVAL); /* no region */
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9010), xmm_mfn(0x100c), 8),
                         -XMM_EINVAL); /* across two regions */
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9010), xmm_mfn(0x101f), 2),
                         -XMM_EINVAL); /* past the last region */
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9010), xmm_mfn(BASE), 1),
                         -XMM_EINVAL); /* RAM */
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9010), xmm_mfn(0x1000), 0),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(LIMIT - 1), xmm_mfn(0x1000), 2),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0x8ff8), xmm_mfn(0x1000), 16),
                         -XMM_EEXIST);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 9, xmm_gfn(0x9010), xmm_mfn(0x1000), 1),
                         -XMM_ESRCH);
    make_dying(w, 2);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 2, xmm_gfn(0x9010), xmm_mfn(0x1000), 1),
                         -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 2, xmm_gfn(0x9010), xmm_mfn(0x5000), 1),
                         -XMM_EINVAL);
    assert_world_clean(w);
    /* Teardown removes the MMIO entries with the rest. */
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- remove ----------------------------------------------------------------- */

static void test_remove(void **state)
{
    struct xmm_world *w = mk_world(4096);
    xmm_mfn_t m, f;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 2);
    m = tu_mfn_at(w, 1, 0x10);
    f = tu_mfn_at(w, 1, 0x11);
    /* A RAM page stays allocated to the domain; only the mapping goes. */
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0x10)), 0);
    assert_unmapped(w, 1, 0x10);
    assert_true(tu_frame(w, m).allocated);
    assert_int_equal(tu_frame(w, m).owner, 1);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_int_equal(tu_dom(w, 1).tot_pages, 2);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 1);
    assert_world_clean(w);
    assert_err_unchanged(w, xmm_physmap_remove(w, 1, xmm_gfn(0x10)), -XMM_ENOENT);
    assert_err_unchanged(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x10), 1), -XMM_ENOENT);
    /* MMIO: get_page_from_gfn finds no page, nothing is removed.  Foreign: removed. */
    assert_rc(xmm_physmap_map_mmio(w, 0, xmm_gfn(0x20), xmm_mfn(0x1000), 1), 0);
    assert_err_unchanged(w, xmm_physmap_remove(w, 0, xmm_gfn(0x20)), -XMM_ENOENT);
    assert_type(w, 0, 0x20, XMM_P2M_MMIO_DIRECT_DEV);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x21), 1, xmm_gfn(0x11)), 0);
    assert_int_equal(tu_refcount(w, f), 2);
    assert_rc(xmm_physmap_remove(w, 0, xmm_gfn(0x21)), 0);
    assert_int_equal(tu_refcount(w, f), 1);
    assert_world_clean(w);
    /* A grant entry of another domain's page: get_page(page, d) fails, ENOENT. */
    assert_true(xmm_page_get(w, f, 1));
    assert_rc(xmm_p2m_set(w, 0, xmm_gfn(0x22), f, XMM_P2M_GRANT_MAP_RW), 0);
    assert_err_unchanged(w, xmm_physmap_remove(w, 0, xmm_gfn(0x22)), -XMM_ENOENT);
    assert_type(w, 0, 0x22, XMM_P2M_GRANT_MAP_RW);
    assert_rc(xmm_p2m_remove(w, 0, xmm_gfn(0x22)), 0);
    assert_rc(xmm_page_put(w, f), 0);
    /* Bad arguments. */
    assert_err_unchanged(w, xmm_physmap_remove(w, 9, xmm_gfn(0x11)), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_physmap_remove(w, 1, xmm_gfn(LIMIT)), -XMM_EINVAL);
    assert_world_clean(w);
    /* The unmapped page goes with the domain. */
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_true(tu_frame(w, m).free);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- the toolstack safe range (seed 002, the default policy) --------------- */

static void test_safe_range_toolstack(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_domain_opts off = XMM_DOMAIN_OPTS_INIT;
    struct xmm_saferange_info si;
    uint64_t g, end;
    struct xmm_world *w;

    (void)state;
    o.mmio = regions;
    o.mmio_count = 2;
    w = tu_world(&o);
    tu_domain(w, 0, 64);
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x40000, 2);
    assert_rc(xmm_saferange_info(w, 0, &si), 0);
    assert_int_equal(si.policy, XMM_SAFE_RANGE_TOOLSTACK);
    assert_true(si.range.pages > 0);
    g = xmm_gfn_x(si.range.gfn);
    end = g + si.range.pages;
    /* Nothing is populated or device-mapped over the range. */
    assert_err_unchanged(w, xmm_physmap_populate(w, 0, xmm_gfn(g - 1), 2), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_physmap_populate(w, 0, xmm_gfn(end - 1), 1), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 0, xmm_gfn(g + 5), xmm_mfn(0x1000), 1),
                         -XMM_EBUSY);
    tu_populate(w, 0, g - 1, 1);
    tu_populate(w, 0, end, 1);
    /* Foreign mappings go only inside it. */
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(g - 2), 1, xmm_gfn(0x40000)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(end), 1, xmm_gfn(0x40000)),
                         -XMM_EINVAL);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(g), 1, xmm_gfn(0x40000)), 0);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(end - 1), 1, xmm_gfn(0x40001)), 0);
    assert_rc(xmm_saferange_info(w, 0, &si), 0);
    assert_int_equal(si.used, 2);
    assert_int_equal(si.foreign_maps, 2);
    assert_world_clean(w);
    /* A domain created without a safe range maps wherever it likes. */
    off.max_pages = 8;
    off.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, 2, &off), 0);
    assert_rc(xmm_physmap_map_foreign(w, 2, xmm_gfn(0x10), 1, xmm_gfn(0x40000)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- physmap_overwrite: replace (upstream Arm p2m_set_entry) ----------------- */

static struct xmm_world *mk_replace_world(void)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.ram_pages = 4096;
    o.mmio = regions;
    o.mmio_count = 2;
    o.policy.physmap_overwrite = XMM_PHYSMAP_OVERWRITE_REPLACE;
    return tu_world(&o);
}

static void test_replace(void **state)
{
    struct xmm_world *w = mk_replace_world();
    xmm_mfn_t a, own, fresh;
    uint64_t free0;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 4);
    tu_populate(w, 0, 0x80, 2);
    a = tu_mfn_at(w, 1, 0x10);
    own = tu_mfn_at(w, 0, 0x80);
    /* populate over a foreign entry: the reference goes, a new frame is mapped. */
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_int_equal(tu_refcount(w, a), 2);
    free0 = xmm_heap_free_pages(w);
    assert_rc(xmm_physmap_populate(w, 0, xmm_gfn(0x100), 1), 0);
    assert_int_equal(tu_refcount(w, a), 1);
    assert_type(w, 0, 0x100, XMM_P2M_RAM_RW);
    assert_int_equal(xmm_heap_free_pages(w), free0 - 1);
    assert_world_clean(w);
    /* populate over our own RAM: the old page stays ours, allocated, unmapped. */
    assert_rc(xmm_physmap_populate(w, 0, xmm_gfn(0x80), 1), 0);
    fresh = tu_mfn_at(w, 0, 0x80);
    assert_false(xmm_mfn_eq(fresh, own));
    assert_true(tu_frame(w, own).allocated);
    assert_int_equal(tu_frame(w, own).owner, 0);
    assert_int_equal(tu_refcount(w, own), 1);
    assert_int_equal(tu_dom(w, 0).tot_pages, 4);
    assert_world_clean(w);
    /* map_mmio over RAM and over MMIO. */
    assert_rc(xmm_physmap_map_mmio(w, 0, xmm_gfn(0x80), xmm_mfn(0x1000), 2), 0);
    assert_type(w, 0, 0x81, XMM_P2M_MMIO_DIRECT_DEV);
    assert_rc(xmm_physmap_map_mmio(w, 0, xmm_gfn(0x80), xmm_mfn(0x1004), 1), 0);
    assert_int_equal(xmm_mfn_x(tu_mfn_at(w, 0, 0x80)), 0x1004);
    assert_int_equal(tu_dom(w, 0).tot_pages, 4);
    assert_world_clean(w);
    /* A direct-mapped populate over its own page's gfn rewrites the same frame. */
    mk_direct(w, 2, 8);
    assert_rc(xmm_physmap_populate_direct_at(w, 2, xmm_gfn(BASE + 3000), 2), 0);
    assert_rc(xmm_physmap_populate(w, 2, xmm_gfn(BASE + 3000), 2), 0);
    assert_int_equal(tu_refcount(w, xmm_mfn(BASE + 3000)), 1);
    assert_int_equal(tu_dom(w, 2).tot_pages, 2);
    assert_world_clean(w);
    /* Errors still come first: the safe range is off here, but range and dying checks stay. */
    assert_err_unchanged(w, xmm_physmap_populate(w, 0, xmm_gfn(LIMIT), 1), -XMM_EINVAL);
    for (xmm_domid_t d = 0; d < 3; d++)
        assert_rc(xmm_domain_destroy(w, d, 100, NULL), 0);
    assert_int_equal(xmm_heap_free_pages(w), 4096);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Upstream's leak under replace (scenarios/foundation/overwrite-replace-
 * foreign-leak.yaml): the same foreign frame mapped twice at one gfn keeps
 * both references, and the refcount rule sees the one nothing names.
 */
static void test_replace_foreign_same_frame(void **state)
{
    struct xmm_world *w = mk_replace_world();
    struct xmm_check_report rep;
    xmm_mfn_t a;

    (void)state;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 1);
    a = tu_mfn_at(w, 1, 0x10);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x100), 1, xmm_gfn(0x10)), 0);
    assert_int_equal(tu_refcount(w, a), 3);
    assert_int_equal(xmm_check_full(w, &rep), 1);
    assert_int_equal(rep.v[0].inv, XMM_INV_REFCOUNT);
    assert_int_equal(xmm_check_incremental(w, &rep), 1);
    assert_rc(xmm_physmap_remove(w, 0, xmm_gfn(0x100)), 0);
    assert_int_equal(tu_refcount(w, a), 2);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_ZOMBIE);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_populate),
        cmocka_unit_test(test_populate_host_full),
        cmocka_unit_test(test_populate_dying),
        cmocka_unit_test(test_populate_direct_mapped_gfn),
        cmocka_unit_test(test_populate_direct),
        cmocka_unit_test(test_decrease),
        cmocka_unit_test(test_decrease_dying),
        cmocka_unit_test(test_decrease_aliased_frame),
        cmocka_unit_test(test_map_foreign),
        cmocka_unit_test(test_map_foreign_errors),
        cmocka_unit_test(test_map_foreign_same_twice),
        cmocka_unit_test(test_map_mmio),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_safe_range_toolstack),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_replace_foreign_same_frame),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
