/*
 * A cmocka unit test of code built on libxmm, with libxmm-test: every call
 * is a step, checked as it happens (return code, then the incremental
 * invariant checker), so a failure names the call that broke isolation and
 * prints the frame's history.
 *
 *   cc t.c $(pkg-config --cflags --libs --static libxmm-test)
 *   CMake: find_package(libxmm) + target_link_libraries(t PRIVATE libxmm::test)
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <xmm/test.h>
#include <xmm/xmm.h>

/* A guest stays a zombie while dom0 maps one of its pages. */
static void foreign_mapping_keeps_zombie(void **state)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;      /* 64 MiB host */
    struct xmm_domain_opts d0 = XMM_DOMAIN_OPTS_INIT, d1 = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;

    (void)state;
    wo.policy.safe_range = XMM_SAFE_RANGE_NONE;          /* map anywhere */
    assert_int_equal(xmm_world_new(&wo, &w), 0);
    d0.max_pages = d1.max_pages = 256;
    xmm_test_step(w, xmm_domain_create(w, 0, &d0));
    xmm_test_step(w, xmm_domain_create(w, 1, &d1));
    xmm_test_step(w, xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 16));
    xmm_test_step(w, xmm_physmap_map_foreign(w, 0, xmm_gfn(0x80000), 1, xmm_gfn(0x40000)));
    xmm_test_step_rc(w, xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 1), -XMM_EEXIST);
    xmm_test_step(w, xmm_domain_destroy(w, 1, 100, NULL));
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_ZOMBIE);
    xmm_test_step(w, xmm_physmap_remove(w, 0, xmm_gfn(0x80000))); /* the last reference */
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    xmm_test_check_full(w);
    xmm_world_free(w);
}

/* The story of a frame, for a failure message or a log. */
static void history_of_a_frame(void **state)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts d1 = XMM_DOMAIN_OPTS_INIT;
    struct xmm_p2m_entry e;
    struct xmm_world *w;
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    assert_int_equal(xmm_world_new(&wo, &w), 0);
    d1.max_pages = 16;
    xmm_test_step(w, xmm_domain_create(w, 1, &d1));
    xmm_test_step(w, xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 1));
    assert_int_equal(xmm_p2m_lookup(w, 1, xmm_gfn(0x40000), &e), 0);
    f = open_memstream(&text, &len);
    assert_non_null(f);
    xmm_test_history(f, w, e.mfn);
    fclose(f);
    assert_non_null(strstr(text, "step 2, tick 0: allocated to d1"));
    free(text);
    xmm_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(foreign_mapping_keeps_zombie),
        cmocka_unit_test(history_of_a_frame),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
