/*
 * libxmm unit tests - the bookkeeping lines the incremental checker relies
 * on.  Each test fails when one line that keeps the checker's index or the
 * change set up to date is removed (mutation probes):
 *
 *  - src/core.h frame_set_owner: the owner changes while the frame is
 *    still RAM-mapped, so the index must count those mappings as another
 *    domain's (test_owner_change_while_mapped);
 *  - src/frame.c frame_release, domheap branch: the owner's domain joins the
 *    change set when a page leaves it (test_release_marks_owner);
 *  - src/frame.c frame_release, xenheap branch: likewise when a shared
 *    xenheap frame goes back to Xen (test_unshare_marks_owner);
 *  - src/frame.c xmm_xenheap_share: likewise when a frame is shared with a
 *    domain (test_share_marks_domain).
 *
 * The change-set tests plant a disagreement in a domain's accounting
 * through internal.h without marking the domain, as a bug elsewhere would,
 * then make one legitimate call that changes only that domain's accounting
 * (no P2M write on it, which would mark it anyway): the incremental check
 * must then look at the domain and agree with the full sweep.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* The full sweep's own index agrees with the one the model keeps. */
static void assert_index_agrees(struct xmm_world *w)
{
    struct xmm_check_report rep;

    assert_true(xmm_check_full(w, &rep) >= 0);
    for (uint32_t i = 0; i < rep.kept; i++) {
        if (strstr(rep.v[i].detail, "checker index disagrees")) {
            tu_print_report("full sweep", &rep);
            fail();
        }
    }
}

/* The incremental check (then the sweep) reports inv about domain dom. */
static void expect_domain(struct xmm_world *w, xmm_domid_t dom, enum xmm_invariant inv)
{
    struct xmm_check_report rep;
    bool found = false;

    assert_true(xmm_check_incremental(w, &rep) > 0);
    for (uint32_t i = 0; i < rep.kept; i++)
        found |= rep.v[i].inv == inv && rep.v[i].kind == XMM_SUBJECT_DOMAIN && rep.v[i].dom == dom;
    if (!found) {
        tu_print_report("incremental", &rep);
        print_error("expected %s on d%u\n", xmm_invariant_name(inv), (unsigned)dom);
        fail();
    }
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, inv));
}

/*
 * A xenheap frame shared with d1 and RAM-mapped by d1 goes back to Xen when
 * d1 drops its allocation reference, but the mapping stays (a P2M entry of a
 * xenheap frame holds no reference).  From then on d1 maps a frame it does
 * not own: both checks say so, and the model's index matches the rebuilt
 * one.  Without frame_set_owner's index update the incremental check sees
 * nothing and the sweep finds the index wrong.
 */
static void test_owner_change_while_mapped(void **state)
{
    struct xmm_world *w = tu_world_pair();
    struct xmm_check_report rep;
    xmm_mfn_t x;

    (void)state;
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x500), x, XMM_P2M_RAM_RW), 0);
    frame_touch(w, frame_idx(w, x))->type_info =
        (w->frames[frame_idx(w, x)].type_info & ~XMM_PGT_gfn_mask) | 0x500;
    assert_world_clean(w);

    assert_rc(xmm_page_put_alloc_ref(w, x), 0);
    assert_int_equal(tu_frame(w, x).owner, XMM_DOMID_XEN);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    if (!tu_report_has(&rep, XMM_INV_P2M_TYPE)) {
        tu_print_report("incremental", &rep);
        fail();
    }
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_P2M_TYPE));
    assert_index_agrees(w);

    /* The mapping goes: the index counts it down again. */
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x500)), 0);
    assert_index_agrees(w);
    assert_world_clean(w);
    assert_rc(xmm_xenheap_free(w, x), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * d1's page, still held by d2's foreign mapping after d1 gave it back,
 * leaves d1 when d2 unmaps it: a P2M write on d2 only, so only
 * frame_release can mark d1 changed.
 */
static void test_release_marks_owner(void **state)
{
    struct xmm_world *w = tu_world_pair();
    struct xmm_domain *d1 = domain_find(w, 1);
    xmm_mfn_t m = tu_mfn_at(w, 1, 0x12);

    (void)state;
    assert_rc(xmm_physmap_map_foreign(w, 2, xmm_gfn(0x80), 1, xmm_gfn(0x12)), 0);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x12), 1), 0);
    assert_int_equal(tu_frame(w, m).owner, 1);
    assert_world_clean(w);

    d1->max_pages = 1; /* planted: tot_pages over max_pages, d1 not marked */
    assert_rc(xmm_physmap_remove(w, 2, xmm_gfn(0x80)), 0);
    assert_true(tu_frame(w, m).free);
    expect_domain(w, 1, XMM_INV_ACCOUNTING);
    d1->max_pages = 64;
    tu_world_free(w);
}

/*
 * Two xenheap frames shared with d1 (so the domain reference the first one
 * took stays); d1 drops one of them.
 */
static void test_unshare_marks_owner(void **state)
{
    struct xmm_world *w = tu_world_pair();
    struct xmm_domain *d1 = domain_find(w, 1);
    xmm_mfn_t x, y;

    (void)state;
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_alloc(w, &y), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_rc(xmm_xenheap_share(w, y, 1, false), 0);
    assert_world_clean(w);

    d1->max_pages = 1;
    assert_rc(xmm_page_put_alloc_ref(w, y), 0);
    assert_int_equal(tu_frame(w, y).owner, XMM_DOMID_XEN);
    expect_domain(w, 1, XMM_INV_ACCOUNTING);
    d1->max_pages = 64;
    tu_world_free(w);
}

/* d1 already holds a shared xenheap frame; a second one is shared with it. */
static void test_share_marks_domain(void **state)
{
    struct xmm_world *w = tu_world_pair();
    struct xmm_domain *d1 = domain_find(w, 1);
    xmm_mfn_t x, y;

    (void)state;
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_alloc(w, &y), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_world_clean(w);

    d1->max_pages = 1;
    assert_rc(xmm_xenheap_share(w, y, 1, false), 0);
    expect_domain(w, 1, XMM_INV_ACCOUNTING);
    d1->max_pages = 64;
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_change_while_mapped),
        cmocka_unit_test(test_release_marks_owner),
        cmocka_unit_test(test_unshare_marks_owner),
        cmocka_unit_test(test_share_marks_domain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
