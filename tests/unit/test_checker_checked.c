/*
 * libxmm unit tests - the checker checked: for every invariant, the world
 * is broken the way that invariant exists to catch (through the test-only
 * hook, corrupt.h), and both xmm_check_incremental and xmm_check_full must
 * report it.  The table is indexed by enum xmm_invariant and must have an
 * entry for each: a new invariant cannot go untested.
 */
#include "testutil.h"
#include "corrupt.h"
#include "mpu_fixture.h"

/* Both checks must name `inv` (the incremental one first: it forgets the change set). */
static void both_report(struct xmm_world *w, enum xmm_invariant inv)
{
    struct xmm_check_report rep;
    uint32_t inc = xmm_check_incremental(w, &rep);

    if (inc == 0 || !tu_report_has(&rep, inv)) {
        tu_print_report("incremental", &rep);
        print_error("incremental check: expected %s\n", xmm_invariant_name(inv));
        fail();
    }
    if (xmm_check_full(w, &rep) <= 0 || !tu_report_has(&rep, inv)) {
        tu_print_report("full sweep", &rep);
        print_error("full sweep: expected %s\n", xmm_invariant_name(inv));
        fail();
    }
}

/* d1 (8 pages at 0x10) and d2 (4 pages at 0x10), upstream policies, clean. */
static struct xmm_world *pair(void) { return tu_world_pair(); }

static struct xmm_world *inv_refcount(void)
{
    struct xmm_world *w = pair();

    corrupt_stray_ref(w, tu_mfn_at(w, 1, 0x12));
    return w;
}

static struct xmm_world *inv_ownership(void)
{
    struct xmm_world *w = pair();

    corrupt_owner(w, tu_mfn_at(w, 1, 0x12), 2);
    return w;
}

static struct xmm_world *inv_free_clean(void)
{
    struct xmm_world *w = pair();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x17);

    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x17), 1), 0);
    assert_world_clean(w);
    corrupt_free_dirty(w, m);
    return w;
}

static struct xmm_world *inv_p2m_type(void)
{
    struct xmm_world *w = pair();

    assert_rc(corrupt_map_other(w, 2, 0x900, tu_mfn_at(w, 1, 0x12)), 0);
    return w;
}

static struct xmm_world *inv_xenheap_gfn(void)
{
    struct xmm_world *w = pair();
    xmm_mfn_t x;

    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_world_clean(w);
    corrupt_xenheap_gfn(w, x, 0x777);
    return w;
}

static struct xmm_world *inv_isolation(void)
{
    struct xmm_world *w = pair();
    xmm_grant_handle_t h;

    assert_rc(xmm_gnttab_grant(w, 1, 8, 2, xmm_gfn(0x12), false), 0);
    assert_rc(xmm_gnttab_map(w, 2, 1, 8, xmm_gfn(0x900), false, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    corrupt_granter_reincarnated(w, 1);
    return w;
}

static struct xmm_world *inv_safe_range(void)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;

    o.ram_pages = 4096;
    o.policy.safe_range = XMM_SAFE_RANGE_TOOLSTACK;
    w = tu_world(&o);
    d.max_pages = 64;
    d.safe_range = XMM_SAFE_RANGE_GIVEN;
    d.safe_range_gfn = xmm_gfn(0x80000);
    d.safe_range_pages = 0x1000;
    assert_rc(xmm_domain_create(w, 1, &d), 0);
    tu_populate(w, 1, 0x10, 4);
    assert_world_clean(w);
    /* The domain's own RAM page mapped again inside its safe range. */
    assert_rc(corrupt_ram_in_safe_range(w, 1, 0x80010, tu_mfn_at(w, 1, 0x11)), 0);
    return w;
}

static struct xmm_world *inv_destroy_progress(void)
{
    struct xmm_world *w = pair();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    assert_rc(xmm_physmap_map_foreign(w, 2, xmm_gfn(0x900), 1, xmm_gfn(0x12)), 0);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_ZOMBIE);
    assert_world_clean(w);
    corrupt_zombie_keeps_page(w, 1, m);
    return w;
}

static struct xmm_world *inv_lock_order(void)
{
    struct xmm_world *w = pair();

    corrupt_lock_inversion(w);
    return w;
}

static struct xmm_world *inv_mpu_regions(void)
{
    struct xmm_world *w = mpu_world(16, XMM_SHARED_INFO_GUEST_PAGE);

    direct_domain(w, 1, 64);
    direct_populate(w, 1, 16);
    assert_world_clean(w);
    corrupt_mpu_runs(w, 1, 32);
    return w;
}

static struct xmm_world *inv_accounting(void)
{
    struct xmm_world *w = pair();

    corrupt_free_count(w);
    return w;
}

static struct xmm_world *inv_grant_pin(void)
{
    struct xmm_world *w = pair();
    xmm_grant_handle_t h;

    assert_rc(xmm_gnttab_grant(w, 1, 8, 2, xmm_gfn(0x12), false), 0);
    assert_rc(xmm_gnttab_map(w, 2, 1, 8, xmm_gfn(0x900), false, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    corrupt_grant_pin(w, 1, 8);
    return w;
}

static struct xmm_world *(*const cases[])(void) = {
    [XMM_INV_REFCOUNT] = inv_refcount,
    [XMM_INV_OWNERSHIP] = inv_ownership,
    [XMM_INV_FREE_CLEAN] = inv_free_clean,
    [XMM_INV_P2M_TYPE] = inv_p2m_type,
    [XMM_INV_XENHEAP_GFN] = inv_xenheap_gfn,
    [XMM_INV_ISOLATION] = inv_isolation,
    [XMM_INV_SAFE_RANGE] = inv_safe_range,
    [XMM_INV_DESTROY_PROGRESS] = inv_destroy_progress,
    [XMM_INV_LOCK_ORDER] = inv_lock_order,
    [XMM_INV_MPU_REGIONS] = inv_mpu_regions,
    [XMM_INV_ACCOUNTING] = inv_accounting,
    [XMM_INV_GRANT_PIN] = inv_grant_pin,
};
_Static_assert(sizeof(cases) / sizeof(cases[0]) == XMM_INV_COUNT,
               "every invariant needs a corruption in test_checker_checked.c");

static void test_every_invariant(void **state)
{
    (void)state;
    for (unsigned i = 0; i < XMM_INV_COUNT; i++) {
        struct xmm_world *w;

        assert_non_null(cases[i]);
        w = cases[i]();
        both_report(w, (enum xmm_invariant)i);
        /* tu_world_free insists on a clean world: this one is broken on purpose. */
        xmm_world_free(w);
    }
}

/*
 * The owner index (frame_set_owner keeps xmm_rmap.ram_other): a frame given
 * to d2 while d1 still RAM-maps it is a P2M entry of another domain's frame,
 * and the incremental check sees that only through the index.
 */
static void test_owner_index(void **state)
{
    struct xmm_world *w = pair();

    (void)state;
    corrupt_owner(w, tu_mfn_at(w, 1, 0x12), 2);
    both_report(w, XMM_INV_P2M_TYPE);
    xmm_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_invariant),
        cmocka_unit_test(test_owner_index),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
