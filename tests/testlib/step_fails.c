/*
 * libxmm-test must fail a test, at the right line and with the report:
 * tests/testlib/step_fails.sh runs this program and expects both tests to
 * fail.
 *  - isolation: seed 003 under iotlb: unsafe; the decrease frees a frame a
 *    device TLB still caches, and the step helper stops at that call with
 *    the isolation violation and the frame's history.
 *  - wrong_rc: a call returning another code than the one expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xmm/test.h>
#include <xmm/xmm.h>

static void isolation(void **state)
{
    static const struct xmm_iommu_device nic = { "nic0", true };
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts d1 = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;

    (void)state;
    wo.policy.iotlb = XMM_IOTLB_UNSAFE;
    wo.iommu.devices = &nic;
    wo.iommu.device_count = 1;
    assert_int_equal(xmm_world_new(&wo, &w), 0);
    d1.max_pages = 16;
    xmm_test_step(w, xmm_domain_create(w, 1, &d1));
    xmm_test_step(w, xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 4));
    xmm_test_step(w, xmm_iommu_assign(w, 1, "nic0"));
    xmm_test_step(w, xmm_iommu_dma(w, "nic0", xmm_gfn(0x40000), true, NULL));
    xmm_test_step(w, xmm_physmap_decrease(w, 1, xmm_gfn(0x40000), 1)); /* XMM_TEST_FAILS_HERE */
    xmm_world_free(w); /* not reached */
}

static void wrong_rc(void **state)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts d1 = XMM_DOMAIN_OPTS_INIT;
    static struct xmm_world *w;

    (void)state;
    assert_int_equal(xmm_world_new(&wo, &w), 0);
    d1.max_pages = 1;
    xmm_test_step(w, xmm_domain_create(w, 1, &d1));
    xmm_test_step(w, xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 2)); /* XMM_TEST_RC_HERE */
    xmm_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isolation),
        cmocka_unit_test(wrong_rc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
