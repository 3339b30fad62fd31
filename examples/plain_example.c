/* Linking libxmm into a program (no test framework): populate a guest, map a
 * page into dom0, destroy the guest, and check that it stays a zombie until
 * dom0 lets go.  examples/unit_test_example.c is the same as a cmocka test
 * that checks after every call, with libxmm-test. */
#include <stdio.h>
#include <xmm/xmm.h>

int main(void)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts d0 = XMM_DOMAIN_OPTS_INIT, d1 = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;
    int bad = 0;

    wo.policy.safe_range = XMM_SAFE_RANGE_NONE; /* map anywhere */
    if (xmm_world_new(&wo, &w))
        return 1;
    d0.max_pages = d1.max_pages = 256;
    bad |= xmm_domain_create(w, 0, &d0) || xmm_domain_create(w, 1, &d1);
    bad |= xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 16);
    bad |= xmm_physmap_map_foreign(w, 0, xmm_gfn(0x80000), 1, xmm_gfn(0x40000));
    bad |= xmm_domain_destroy(w, 1, 100, NULL);
    bad |= xmm_domain_state(w, 1) != XMM_DOMAIN_ZOMBIE;
    bad |= xmm_physmap_remove(w, 0, xmm_gfn(0x80000));
    bad |= xmm_domain_state(w, 1) != XMM_DOMAIN_GONE;
    bad |= xmm_check_full(w, NULL) != 0;
    printf("example: %s\n", bad ? "FAILED" : "ok");
    xmm_world_free(w);
    return bad;
}
