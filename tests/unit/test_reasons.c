/*
 * libxmm unit tests - the reason of every refusal (xmm_world_last_error).
 *
 * One case per distinct EINVAL / EBUSY / ENOENT (and their GNTST / FF-A
 * counterparts) path of map_foreign, grant_map, populate and ffa_share: the
 * call fails with its code, leaves the world as it was and says why in the
 * exact words below.  A success leaves the reason empty.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define RAM0 XMM_GUEST_RAM0_GFN
#define SP_A 0x8001
#define D1 1
#define D2 2
#define D3 3

/* expr fails with want, changes nothing, and gives exactly this reason. */
#define assert_reason_is(w, expr, want, text)                                         \
    do {                                                                              \
        assert_err_unchanged((w), (expr), (want));                                    \
        if (strcmp(xmm_world_last_error(w), (text)) != 0) {                           \
            print_error("%s: reason\n  got:  '%s'\n  want: '%s'\n", #expr,            \
                        xmm_world_last_error(w), (text));                             \
            fail();                                                                   \
        }                                                                             \
    } while (0)

static void domain(struct xmm_world *w, xmm_domid_t dom, bool ffa)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = 64;
    o.ffa = ffa;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
}

/* d1 with 16 pages at RAM0, d2 with 4, under the toolstack safe-range policy. */
static struct xmm_world *world(void)
{
    struct xmm_world *w = tu_world(NULL);

    domain(w, D1, true);
    domain(w, D2, false);
    tu_populate(w, D1, RAM0, 16);
    tu_populate(w, D2, RAM0, 4);
    return w;
}

static uint64_t safe_pages;

/* The toolstack safe range of dom: its first gfn (and its size in safe_pages). */
static uint64_t safe_gfn(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_saferange_info si;

    assert_rc(xmm_saferange_info(w, dom, &si), 0);
    assert_true(si.range.pages > 0);
    safe_pages = si.range.pages;
    return si.range.gfn.g;
}

static void test_success_clears(void **state)
{
    struct xmm_world *w = world();

    (void)state;
    assert_rc(xmm_physmap_populate(w, D1, xmm_gfn(RAM0), 1), -XMM_EEXIST);
    assert_true(xmm_world_last_error(w)[0] != '\0');
    assert_rc(xmm_physmap_populate(w, D1, xmm_gfn(RAM0 + 16), 1), 0);
    assert_string_equal(xmm_world_last_error(w), "");
    tu_world_free(w);
}

static void test_map_foreign(void **state)
{
    struct xmm_world *w = world();
    uint64_t sg = safe_gfn(w, D2);
    char want[200];

    (void)state;
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(sg), 7, xmm_gfn(RAM0)), -XMM_ESRCH,
                     "there is no domain d7");
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(sg), D2, xmm_gfn(RAM0)),
                     -XMM_EINVAL, "d2 cannot foreign-map its own memory");
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(UINT64_C(1) << 40), D1, xmm_gfn(RAM0)),
                     -XMM_EINVAL, "gfn 0x10000000000 is beyond the 40-bit frame limit");
    snprintf(want, sizeof(want),
             "gfn 0x38010 is outside d2's safe range [%#llx, %#llx) (safe_range: toolstack)",
             (unsigned long long)sg, (unsigned long long)(sg + safe_pages));
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(0x38010), D1, xmm_gfn(RAM0)),
                     -XMM_EINVAL, want);
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(sg), D1, xmm_gfn(RAM0 + 100)),
                     -XMM_EINVAL, "d1 maps nothing at gfn 0x40064");
    assert_rc(xmm_p2m_set(w, D1, xmm_gfn(RAM0 + 100), xmm_mfn(0x1000), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(sg), D1, xmm_gfn(RAM0 + 100)),
                     -XMM_EINVAL,
                     "gfn 0x40064 of d1 is mmio_direct_dev mfn 0x1000, not RAM (only RAM is foreign-mapped)");
    /* d1 maps a page of d2 as RAM: get_page(page, d1) fails. */
    assert_rc(xmm_p2m_set(w, D1, xmm_gfn(RAM0 + 101), tu_mfn_at(w, D2, RAM0), XMM_P2M_RAM_RW), 0);
    snprintf(want, sizeof(want), "mfn %#llx at gfn 0x40065 of d1 belongs to d2: get_page fails",
             (unsigned long long)tu_mfn_at(w, D2, RAM0).m);
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(sg), D1, xmm_gfn(RAM0 + 101)),
                     -XMM_EINVAL, want);
    tu_world_free(w);
}

/* Seed 004: a direct-mapped domain maps foreign pages only in holes. */
static void test_map_foreign_direct(void **state)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;
    xmm_gfn_t first;

    (void)state;
    w = tu_world(&o);
    d.max_pages = 16;
    d.direct_map = true;
    assert_rc(xmm_domain_create(w, D1, &d), 0);
    domain(w, D2, false);
    tu_populate(w, D2, RAM0, 1);
    assert_rc(xmm_physmap_populate_direct(w, D1, 4, &first), 0);
    assert_int_equal(first.g, 0x40001); /* mfn 0x40000 is d2's page */
    assert_reason_is(w, xmm_physmap_map_foreign(w, D1, first, D2, xmm_gfn(RAM0)), -XMM_EINVAL,
                     "gfn 0x40001 of direct-mapped d1 is host RAM, not a hole for a foreign mapping");
    tu_world_free(w);
}

/* The physmap_overwrite guard: a grant mapping is not replaced. */
static void test_map_foreign_busy(void **state)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_world *w;
    xmm_grant_handle_t h;

    (void)state;
    w = tu_world(&o);
    domain(w, D1, false);
    domain(w, D2, false);
    tu_populate(w, D1, RAM0, 2);
    assert_rc(xmm_gnttab_grant(w, D1, 8, D2, xmm_gfn(RAM0), false), 0);
    assert_rc(xmm_gnttab_map(w, D2, D1, 8, xmm_gfn(0x90000), false, &h), XMM_GNTST_okay);
    assert_reason_is(w, xmm_physmap_map_foreign(w, D2, xmm_gfn(0x90000), D1, xmm_gfn(RAM0 + 1)),
                     -XMM_EBUSY,
                     "gfn 0x90000 of d2 holds a grant mapping: only unmap_grant_ref removes it");
    tu_world_free(w);
}

static void test_grant_map(void **state)
{
    struct xmm_world *w = world();
    uint64_t sg = safe_gfn(w, D2);
    xmm_grant_handle_t h;
    char want[200];

    (void)state;
    domain(w, D3, false);
    assert_rc(xmm_gnttab_grant(w, D1, 8, D3, xmm_gfn(RAM0), false), 0);
    assert_rc(xmm_gnttab_grant(w, D1, 9, D2, xmm_gfn(RAM0 + 1), true), 0);
    assert_rc(xmm_gnttab_grant(w, D1, 10, D2, xmm_gfn(RAM0 + 200), false), 0);
    assert_rc(xmm_gnttab_grant(w, D1, 11, D2, xmm_gfn(RAM0 + 2), false), 0);
    assert_reason_is(w, xmm_gnttab_map(w, D2, 7, 8, xmm_gfn(sg), false, &h), XMM_GNTST_bad_domain,
                     "there is no granter domain d7");
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 600, xmm_gfn(sg), false, &h),
                     XMM_GNTST_bad_gntref, "ref 600 is beyond d1's grant table (512 refs in use)");
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 8, xmm_gfn(sg), false, &h),
                     XMM_GNTST_general_error, "ref 8 of d1 is granted to d3, not d2");
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 12, xmm_gfn(sg), false, &h),
                     XMM_GNTST_general_error, "ref 12 of d1 grants nothing");
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 9, xmm_gfn(sg), false, &h),
                     XMM_GNTST_general_error,
                     "ref 9 of d1 is granted read-only: a writable map is refused");
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 10, xmm_gfn(sg), false, &h), XMM_GNTST_bad_page,
                     "ref 10 of d1 grants gfn 0x400c8, where d1 maps nothing");
    snprintf(want, sizeof(want),
             "gfn 0x38010 is outside d2's safe range [%#llx, %#llx) (safe_range: toolstack)",
             (unsigned long long)sg, (unsigned long long)(sg + safe_pages));
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 11, xmm_gfn(0x38010), false, &h),
                     XMM_GNTST_bad_virt_addr, want);
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 11, xmm_gfn(UINT64_C(1) << 40), false, &h),
                     XMM_GNTST_bad_virt_addr, "gfn 0x10000000000 is beyond the 40-bit frame limit");
    assert_rc(xmm_gnttab_map(w, D2, D1, 11, xmm_gfn(sg), false, &h), XMM_GNTST_okay);
    assert_string_equal(xmm_world_last_error(w), "");
    snprintf(want, sizeof(want), "d2 already maps grant_map_rw at gfn %#llx", (unsigned long long)sg);
    assert_reason_is(w, xmm_gnttab_map(w, D2, D1, 11, xmm_gfn(sg), false, &h),
                     XMM_GNTST_bad_virt_addr, want);
    tu_world_free(w);
}

static void test_populate(void **state)
{
    struct xmm_world *w = world();
    uint64_t sg = safe_gfn(w, D1);
    char want[200];

    (void)state;
    assert_reason_is(w, xmm_physmap_populate(w, 9, xmm_gfn(RAM0), 1), -XMM_ESRCH,
                     "there is no domain d9");
    assert_reason_is(w, xmm_physmap_populate(w, D1, xmm_gfn(RAM0 + 16), 0), -XMM_EINVAL,
                     "gfn range [0x40010, +0 pages) is empty or beyond the 40-bit frame limit");
    snprintf(want, sizeof(want),
             "[%#llx, %#llx) overlaps d1's safe range [%#llx, %#llx), kept for grant and foreign mappings",
             (unsigned long long)sg + 1, (unsigned long long)sg + 3, (unsigned long long)sg,
             (unsigned long long)(sg + safe_pages));
    assert_reason_is(w, xmm_physmap_populate(w, D1, xmm_gfn(sg + 1), 2), -XMM_EBUSY, want);
    assert_reason_is(w, xmm_physmap_populate(w, D1, xmm_gfn(RAM0 + 15), 2), -XMM_EEXIST,
                     "d1 already maps a gfn in [0x4000f, 0x40011) (physmap_overwrite: refuse)");
    assert_reason_is(w, xmm_physmap_populate(w, D1, xmm_gfn(RAM0 + 16), 49), -XMM_EPERM,
                     "49 more pages would take d1 over max_pages 64 (it has 16)");
    assert_rc(xmm_domain_kill(w, D2), 0);
    assert_reason_is(w, xmm_physmap_populate(w, D2, xmm_gfn(RAM0 + 16), 1), -XMM_ESRCH,
                     "there is no domain d2");
    tu_world_free(w);
}

static void test_populate_dying(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    struct xmm_sp_config sp = { .id = SP_A, .subscribe_vm_destroyed = true,
                                .reclaim_error = XMM_FFA_RET_DENIED };

    (void)state;
    o.policy.ffa_refused = XMM_FFA_REFUSED_ZOMBIE;
    w = tu_world(&o);
    assert_rc(xmm_spmc_stub_attach(w, &sp, 1), 0);
    domain(w, D1, true);
    tu_populate(w, D1, RAM0, 2);
    assert_rc(xmm_ffa_share(w, D1, xmm_gfn(RAM0), 1, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_kill(w, D1), 0);
    assert_reason_is(w, xmm_physmap_populate(w, D1, xmm_gfn(RAM0 + 2), 1), -XMM_EINVAL,
                     "d1 is zombie: assign_pages refuses a dying domain");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0 + 1), 1, SP_A, &h),
                     XMM_FFA_RET_INVALID_PARAMETERS, "d1 is zombie: it makes no more FF-A calls");
    xmm_world_free(w);
}

static void test_ffa_share(void **state)
{
    struct xmm_world *w = world();
    struct xmm_sp_config sp = { .id = SP_A, .subscribe_vm_destroyed = true };
    xmm_ffa_handle_t h;
    xmm_mfn_t xh;

    (void)state;
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0), 1, SP_A, &h),
                     XMM_FFA_RET_NOT_SUPPORTED, "the world has no SPMC (world.spmc)");
    assert_rc(xmm_spmc_stub_attach(w, &sp, 1), 0);
    assert_reason_is(w, xmm_ffa_share(w, D2, xmm_gfn(RAM0), 1, SP_A, &h),
                     XMM_FFA_RET_NOT_SUPPORTED, "d2 was created without ffa");
    assert_reason_is(w, xmm_ffa_share(w, 5, xmm_gfn(RAM0), 1, SP_A, &h),
                     XMM_FFA_RET_INVALID_PARAMETERS, "there is no domain d5");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0), 1, 0x1, &h), XMM_FFA_RET_NOT_SUPPORTED,
                     "endpoint 0x1 is not a secure partition (bit 15 clear): Xen shares only with SPs");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0), 0, SP_A, &h),
                     XMM_FFA_RET_INVALID_PARAMETERS, "a share of 0 pages");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0), 257, SP_A, &h), XMM_FFA_RET_NO_MEMORY,
                     "a share of 257 pages is over the limit of 256");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0 + 15), 2, SP_A, &h), XMM_FFA_RET_DENIED,
                     "d1 maps nothing at gfn 0x40010");
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0), 1, 0x8009, &h),
                     XMM_FFA_RET_INVALID_PARAMETERS, "the SPMC has no SP 0x8009");
    assert_rc(xmm_p2m_set(w, D1, xmm_gfn(RAM0 + 20), xmm_mfn(0x1000), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0 + 20), 1, SP_A, &h), XMM_FFA_RET_DENIED,
                     "gfn 0x40014 of d1 is mmio_direct_dev, not ram_rw");
    assert_rc(xmm_xenheap_alloc(w, &xh), 0);
    assert_rc(xmm_xenheap_share(w, xh, D1, false), 0);
    assert_rc(xmm_p2m_set(w, D1, xmm_gfn(RAM0 + 21), xh, XMM_P2M_RAM_RW), 0);
    {
        char want[200];

        snprintf(want, sizeof(want),
                 "mfn %#llx at gfn 0x40015 is a xenheap frame, not a domheap page of d1",
                 (unsigned long long)xh.m);
        assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0 + 21), 1, SP_A, &h),
                         XMM_FFA_RET_DENIED, want);
    }
    assert_rc(xmm_ffa_share(w, D1, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_reason_is(w, xmm_ffa_share(w, D1, xmm_gfn(RAM0 + 1), 1, SP_A, &h), XMM_FFA_RET_DENIED,
                     "a frame of d1's share is already in a live share (the SPMC tracks pages by address)");
    xmm_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_clears),
        cmocka_unit_test(test_map_foreign),
        cmocka_unit_test(test_map_foreign_direct),
        cmocka_unit_test(test_map_foreign_busy),
        cmocka_unit_test(test_grant_map),
        cmocka_unit_test(test_populate),
        cmocka_unit_test(test_populate_dying),
        cmocka_unit_test(test_ffa_share),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
