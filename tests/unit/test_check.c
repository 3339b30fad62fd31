/*
 * libxmm unit tests - the invariant checker.  Corruptions are planted
 * through internal.h; both the incremental check (the frame or domain
 * marked dirty, as the model does before every change) and the full sweep
 * must name the broken invariant.
 */
#include <stdio.h>

#include "testutil.h"
#include "internal.h"

static struct xmm_world *world_up(uint64_t ram_pages)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.ram_pages = ram_pages;
    return tu_world(&o);
}

/* A world with d1 (8 pages at gfn 0x10) and d2 (4 pages at gfn 0x10). */
static struct xmm_world *base_world(void) { return tu_world_pair(); }

static struct xmm_page *touch(struct xmm_world *w, xmm_mfn_t m)
{
    return frame_touch(w, frame_idx(w, m));
}

/* Run both checks; each must report `inv` (or nothing, for XMM_INV_COUNT). */
static void expect(struct xmm_world *w, enum xmm_invariant inc_inv, enum xmm_invariant full_inv)
{
    struct xmm_check_report rep;
    int full = xmm_check_full(w, &rep);
    uint32_t inc;

    if (full_inv == XMM_INV_COUNT ? full != 0 : (full <= 0 || !tu_report_has(&rep, full_inv))) {
        tu_print_report("full sweep", &rep);
        print_error("expected %s\n", xmm_invariant_name(full_inv));
        fail();
    }
    inc = xmm_check_incremental(w, &rep);
    if (inc_inv == XMM_INV_COUNT ? inc != 0 : (inc == 0 || !tu_report_has(&rep, inc_inv))) {
        tu_print_report("incremental", &rep);
        print_error("expected %s\n", xmm_invariant_name(inc_inv));
        fail();
    }
}

static void expect_both(struct xmm_world *w, enum xmm_invariant inv) { expect(w, inv, inv); }

/* --- frames -------------------------------------------------------------- */

static void test_refcount(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);
    struct xmm_check_report rep;
    uint64_t total = xmm_check_total(w);

    (void)state;
    touch(w, m)->count_info++;
    expect_both(w, XMM_INV_REFCOUNT);
    assert_true(xmm_check_total(w) >= total + 2);
    /* The change set is gone: incremental no longer looks, the sweep does. */
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_int_equal(rep.v[0].inv, XMM_INV_REFCOUNT);
    assert_int_equal(rep.v[0].kind, XMM_SUBJECT_FRAME);
    assert_true(xmm_mfn_eq(rep.v[0].mfn, m));
    assert_true(rep.v[0].detail[0] != '\0');
    /* Noticed again once a legitimate change touches the frame. */
    assert_true(xmm_page_get(w, m, 1));
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_REFCOUNT));
    assert_rc(xmm_page_put(w, m), 0);
    touch(w, m)->count_info--;
    assert_world_clean(w);
    /* A domheap frame in use with a zero count. */
    touch(w, m)->count_info &= ~XMM_PGC_count_mask;
    touch(w, m)->count_info &= ~XMM_PGC_allocated;
    expect_both(w, XMM_INV_REFCOUNT);
    touch(w, m)->count_info |= XMM_PGC_allocated | 1;
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_owner_no_domain(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    touch(w, m)->owner = 7;
    expect_both(w, XMM_INV_OWNERSHIP);
    touch(w, m)->owner = 1;
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_owner_other_domain_mapped(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    /*
     * Mapped RAM in d1 but owned by d2.  The full sweep sees both the P2M
     * entry and the list; the incremental check sees the frame linked into
     * d1's list with d2 as owner (an owner changed behind the model's back
     * never went through rmap_owner_changed).
     */
    touch(w, m)->owner = 2;
    expect(w, XMM_INV_OWNERSHIP, XMM_INV_P2M_TYPE);
    touch(w, m)->owner = 1;
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * SRC BUG (checker): an unmapped frame on d1's page list whose owner
 * became d2 is found by the full sweep (list walk) but not by the
 * incremental check, which only asks whether the frame is on *a* page list.
 */
static void test_owner_other_domain_unmapped(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    assert_rc(xmm_physmap_remove(w, 1, xmm_gfn(0x12)), 0);
    assert_world_clean(w);
    touch(w, m)->owner = 2;
    expect_both(w, XMM_INV_OWNERSHIP);
    tu_world_free(w);
}

static void test_ram_map_of_other_domain(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    /* d2 RAM-maps d1's frame through the raw setter: not its to map. */
    assert_rc(xmm_p2m_set(w, 2, xmm_gfn(0x99), m, XMM_P2M_RAM_RW), 0);
    expect_both(w, XMM_INV_P2M_TYPE);
    tu_world_free(w);
}

/*
 * SRC BUG (checker): struct xmm_rmap remembers only the domain of the last
 * RAM mapping (ram_dom).  After the bad mapping above is removed, the
 * frame's remaining RAM mapping is its owner's, but the incremental check
 * still compares the owner with the stale ram_dom and reports p2m_type,
 * while the full sweep (which rebuilds the index) finds nothing.
 */
static void test_ram_map_removed_again(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    assert_rc(xmm_p2m_set(w, 2, xmm_gfn(0x99), m, XMM_P2M_RAM_RW), 0);
    assert_int_equal(xmm_check_incremental(w, NULL) > 0, 1);
    assert_rc(xmm_p2m_remove(w, 2, xmm_gfn(0x99)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * SRC BUG (checker): rmap.ram_maps saturates at 255 and is then never
 * decremented; the full sweep's rebuilt count goes down, so after a frame
 * has been RAM-mapped more than 255 times (legal for one's own domheap
 * frame) and the aliases go, the two indexes disagree.
 */
static void test_many_ram_aliases(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    for (uint64_t i = 0; i < 300; i++)
        assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x1000 + i), m, XMM_P2M_RAM_RW), 0);
    assert_world_clean(w);
    for (uint64_t i = 0; i < 300; i++)
        assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x1000 + i)), 0);
    assert_world_clean(w);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x12), 1), 0);
    assert_true(tu_frame(w, m).free);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * The index counts RAM aliases of a frame in 10 bits: up to RMAP_RAM_MAX - 1
 * the checks are exact; at RMAP_RAM_MAX both report the frame (p2m_type,
 * "too many aliases to track"), never a silent miss.
 */
static void test_ram_alias_cap(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);
    uint64_t i;

    (void)state;
    for (i = 0; i + 2 < RMAP_RAM_MAX; i++) /* with the owner's own mapping: RMAP_RAM_MAX - 1 */
        assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x1000 + i), m, XMM_P2M_RAM_RW), 0);
    assert_world_clean(w);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x1000 + i), m, XMM_P2M_RAM_RW), 0);
    expect_both(w, XMM_INV_P2M_TYPE);
    tu_world_free(w);
}

static void test_mmio_entry_on_ram(void **state)
{
    struct xmm_world *w = base_world();

    (void)state;
    /* An MMIO entry naming a RAM frame; a RAM entry naming no RAM. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x80), xmm_mfn(0x40800), XMM_P2M_MMIO_DIRECT_DEV), 0);
    expect_both(w, XMM_INV_P2M_TYPE);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x80)), 0);
    assert_world_clean(w);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x80), xmm_mfn(0x10), XMM_P2M_RAM_RW), 0);
    expect_both(w, XMM_INV_P2M_TYPE);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x80)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_free_frame(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t f = xmm_mfn(0x40000 + 3000);
    uint32_t idx = frame_idx(w, f);

    (void)state;
    assert_true(tu_frame(w, f).free);
    /* Owner or count on a free frame. */
    touch(w, f)->owner = 1;
    expect_both(w, XMM_INV_FREE_CLEAN);
    touch(w, f)->owner = XMM_DOMID_INVALID;
    touch(w, f)->count_info |= 1;
    expect_both(w, XMM_INV_FREE_CLEAN);
    touch(w, f)->count_info &= ~XMM_PGC_count_mask;
    assert_world_clean(w);
    /*
     * The checker's own index says something holds the free frame: the
     * incremental check believes it (free_clean); the sweep rebuilds the
     * index, finds no holder, and reports the disagreement (refcount).
     */
    w->rmap[idx].refs = 1;
    frame_touch(w, idx);
    expect(w, XMM_INV_FREE_CLEAN, XMM_INV_REFCOUNT);
    w->rmap[idx].refs = 0;
    frame_touch(w, idx);
    assert_world_clean(w);
    /* On a page list while free. */
    touch(w, f)->flags |= PGF_PAGE_LIST;
    expect_both(w, XMM_INV_OWNERSHIP);
    touch(w, f)->flags &= (uint8_t)~PGF_PAGE_LIST;
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_xenheap_gfn(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t x;

    (void)state;
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_world_clean(w);
    /* Mapped, but no GFN stored. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x500), x, XMM_P2M_RAM_RW), 0);
    expect_both(w, XMM_INV_XENHEAP_GFN);
    touch(w, x)->type_info = (touch(w, x)->type_info & ~XMM_PGT_gfn_mask) | 0x500;
    assert_world_clean(w);
    /* Mapped twice. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x501), x, XMM_P2M_RAM_RW), 0);
    expect_both(w, XMM_INV_XENHEAP_GFN);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x501)), 0); /* resets the GFN */
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, x), XMM_INVALID_GFN));
    expect_both(w, XMM_INV_XENHEAP_GFN); /* still mapped at 0x500 */
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x500)), 0);
    assert_world_clean(w);
    /* A GFN stored where nothing is mapped. */
    touch(w, x)->type_info = (touch(w, x)->type_info & ~XMM_PGT_gfn_mask) | 0x777;
    expect_both(w, XMM_INV_XENHEAP_GFN);
    touch(w, x)->type_info |= XMM_PGT_gfn_mask;
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- domains and lists ------------------------------------------------------- */

static void test_list_count(void **state)
{
    struct xmm_world *w = base_world();
    struct xmm_domain *d = domain_find(w, 1);

    (void)state;
    d->pages.count++;
    domain_touch(w, d);
    expect_both(w, XMM_INV_OWNERSHIP);
    d->pages.count--;
    domain_touch(w, d);
    assert_world_clean(w);
    d->tot_pages++;
    domain_touch(w, d);
    expect_both(w, XMM_INV_OWNERSHIP);
    d->tot_pages--;
    domain_touch(w, d);
    d->refs++;
    domain_touch(w, d);
    expect_both(w, XMM_INV_OWNERSHIP);
    d->refs--;
    domain_touch(w, d);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_accounting(void **state)
{
    struct xmm_world *w = base_world();
    struct xmm_domain *d = domain_find(w, 1);

    (void)state;
    d->max_pages = 4;
    domain_touch(w, d);
    expect_both(w, XMM_INV_ACCOUNTING);
    d->max_pages = 64;
    domain_touch(w, d);
    assert_world_clean(w);
    /* The heap counter disagrees with the frames. */
    w->free_pages++;
    expect_both(w, XMM_INV_ACCOUNTING);
    w->free_pages--;
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_zombie_progress(void **state)
{
    struct xmm_world *w = base_world();
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);
    struct xmm_domain *d;

    (void)state;
    assert_rc(xmm_physmap_map_foreign(w, 2, xmm_gfn(0x900), 1, xmm_gfn(0x12)), 0);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_ZOMBIE);
    assert_world_clean(w);
    /* A zombie still holding an allocation reference: the kill did not finish. */
    touch(w, m)->count_info += XMM_PGC_allocated | 1;
    d = domain_find(w, 1);
    domain_touch(w, d);
    expect_both(w, XMM_INV_DESTROY_PROGRESS);
    touch(w, m)->count_info -= XMM_PGC_allocated | 1;
    domain_touch(w, d);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- flags, reports, change-set overflow ---------------------------------- */

static void test_flag_once(void **state)
{
    struct xmm_world *w = base_world();
    struct xmm_violation v = { .inv = XMM_INV_DESTROY_PROGRESS, .kind = XMM_SUBJECT_DOMAIN,
                               .dom = 1 };
    struct xmm_check_report rep;
    uint64_t total = xmm_check_total(w);

    (void)state;
    snprintf(v.detail, sizeof(v.detail), "destroy ran out of retries");
    xmm_check_flag(w, &v);
    assert_int_equal(xmm_check_incremental(w, &rep), 1);
    assert_int_equal(rep.v[0].inv, XMM_INV_DESTROY_PROGRESS);
    assert_int_equal(rep.v[0].kind, XMM_SUBJECT_DOMAIN);
    assert_int_equal(rep.v[0].dom, 1);
    assert_string_equal(rep.v[0].detail, "destroy ran out of retries");
    assert_int_equal(xmm_check_total(w), total + 1);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    assert_int_equal(xmm_check_full(w, &rep), 0);
    /* The full sweep reports it too, once. */
    xmm_check_flag(w, &v);
    assert_int_equal(xmm_check_full(w, &rep), 1);
    assert_int_equal(xmm_check_full(w, &rep), 0);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    /* Many flags: all counted up to the flag store's bound, 16 kept. */
    for (int i = 0; i < 40; i++)
        xmm_check_flag(w, &v);
    assert_true(xmm_check_incremental(w, &rep) >= XMM_CHECK_MAX_REPORT);
    assert_int_equal(rep.kept, XMM_CHECK_MAX_REPORT);
    assert_true(rep.count >= rep.kept);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    tu_world_free(w);
}

static void test_report_truncated(void **state)
{
    struct xmm_world *w = base_world();
    struct xmm_check_report rep;

    (void)state;
    for (uint64_t g = 0x10; g < 0x18; g++)
        touch(w, tu_mfn_at(w, 1, g))->count_info += 2;
    for (uint64_t g = 0x10; g < 0x14; g++)
        touch(w, tu_mfn_at(w, 2, g))->count_info += 2;
    for (uint32_t i = 3000; i < 3010; i++)
        frame_touch(w, i)->owner = 1;
    {
        int n = xmm_check_full(w, &rep);

        assert_int_equal(n, (int)rep.count);
    }
    assert_true(rep.count >= 22);
    assert_int_equal(rep.kept, XMM_CHECK_MAX_REPORT);
    assert_true(xmm_check_incremental(w, &rep) >= 22);
    assert_int_equal(rep.kept, XMM_CHECK_MAX_REPORT);
    tu_world_free(w);
}

static void test_dirty_overflow(void **state)
{
    struct xmm_world *w = world_up(16384);
    struct xmm_check_report rep;
    xmm_mfn_t m;
    uint32_t idx;

    (void)state;
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0, 4);
    m = tu_mfn_at(w, 1, 2);
    idx = frame_idx(w, m);
    assert_world_clean(w);
    /* Corrupt without marking: the incremental check cannot see it ... */
    w->frames[idx].count_info++;
    for (uint32_t i = 8000; i < 8100; i++)
        frame_touch(w, i);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    /* ... until the change set overflows and it sweeps everything. */
    for (uint32_t i = 4000; i < 4000 + DIRTY_FRAMES_MAX + 1; i++)
        frame_touch(w, i);
    assert_true(w->dirty_overflow);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_REFCOUNT));
    assert_false(w->dirty_overflow);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    w->frames[idx].count_info--;
    for (uint32_t i = 0; i < DIRTY_FRAMES_MAX + 1; i++)
        frame_touch(w, i);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_overflow_natural(void **state)
{
    struct xmm_world *a = world_up(16384), *b = world_up(16384);

    (void)state;
    tu_domain(a, 1, 10000);
    tu_domain(b, 1, 10000);
    /* One call touching more frames than the change set holds ... */
    tu_populate(a, 1, 0, 9000);
    assert_true(a->dirty_overflow);
    /* ... and the same state reached in small steps, checked as it goes. */
    for (uint64_t g = 0; g < 9000; g += 1000) {
        tu_populate(b, 1, g, 1000);
        assert_world_clean(b);
    }
    assert_true(xmm_world_digest(a) == xmm_world_digest(b));
    assert_world_clean(a);
    assert_false(a->dirty_overflow);
    assert_true(xmm_world_digest(a) == xmm_world_digest(b));
    tu_world_free(a);
    tu_world_free(b);
}

static void test_full_enomem(void **state)
{
    struct xmm_world *w = base_world();
    struct xmm_violation v = { .inv = XMM_INV_LOCK_ORDER, .kind = XMM_SUBJECT_WORLD };
    struct xmm_check_report rep;
    uint64_t total, dig;

    (void)state;
    xmm_check_flag(w, &v);
    total = xmm_check_total(w);
    dig = xmm_world_digest(w);
    xmm_world_fail_alloc(w, 1, false);
    assert_rc(xmm_check_full(w, &rep), -XMM_ENOMEM);
    assert_int_equal(xmm_world_alloc_failures(w), 1);
    assert_int_equal(xmm_check_total(w), total);
    assert_true(xmm_world_digest(w) == dig);
    /* Nothing was consumed: the flag is still pending. */
    assert_int_equal(xmm_check_full(w, &rep), 1);
    assert_int_equal(rep.v[0].inv, XMM_INV_LOCK_ORDER);
    assert_world_clean(w);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_owner_no_domain),
        cmocka_unit_test(test_owner_other_domain_mapped),
        cmocka_unit_test(test_owner_other_domain_unmapped),
        cmocka_unit_test(test_ram_map_of_other_domain),
        cmocka_unit_test(test_ram_map_removed_again),
        cmocka_unit_test(test_many_ram_aliases),
        cmocka_unit_test(test_ram_alias_cap),
        cmocka_unit_test(test_mmio_entry_on_ram),
        cmocka_unit_test(test_free_frame),
        cmocka_unit_test(test_xenheap_gfn),
        cmocka_unit_test(test_list_count),
        cmocka_unit_test(test_accounting),
        cmocka_unit_test(test_zombie_progress),
        cmocka_unit_test(test_flag_once),
        cmocka_unit_test(test_report_truncated),
        cmocka_unit_test(test_dirty_overflow),
        cmocka_unit_test(test_overflow_natural),
        cmocka_unit_test(test_full_enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
