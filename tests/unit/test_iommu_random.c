/*
 * IOMMU (seed 003): randomized runs under every `iotlb` policy whose full
 * and incremental checks must agree (safe policies: no violation at all;
 * unsafe: isolation only), and the figures docs/semantics.md quotes,
 * measured on the same workloads as scenarios/iommu/.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "iommu_fixture.h"

/* --- randomized: checks agree, safe policies never break isolation -------- */

/* Safe policies: nothing.  unsafe: isolation only (stale entries reaching freed frames). */
static void random_verdict(enum xmm_iotlb_policy pol, const char *what, int n,
                           const struct xmm_check_report *rep, uint64_t seed, int step)
{
    bool bad = n < 0 || (pol != XMM_IOTLB_UNSAFE && n != 0);

    for (uint32_t i = 0; i < rep->kept; i++)
        bad |= rep->v[i].inv != XMM_INV_ISOLATION;
    if (bad) {
        tu_print_report(what, rep);
        print_error("policy %d seed %" PRIu64 " step %d\n", (int)pol, seed, step);
        fail();
    }
}

static void random_run(enum xmm_iotlb_policy pol, uint64_t seed)
{
    struct fixture f = fx(pol, seed & 1 ? XMM_ALLOC_LIFO : XMM_ALLOC_BUDDY);
    struct xmm_world *w;
    struct xmm_world_opts o;
    uint64_t rs = seed;
    static const char *const names[] = { "nic0", "nic1", "hba0" };

    f.latency = 1 + seed % 7;
    f.queue = 8;
    o = fx_opts(&f);
    w = tu_world(&o);
    for (xmm_domid_t d = 1; d <= 3; d++)
        tu_domain(w, d, 48);
    for (int step = 0; step < 1500; step++) {
        uint64_t r = tu_rand(&rs);
        xmm_domid_t dom = (xmm_domid_t)(1 + r % 3);
        uint64_t gfn = RAM0 + (r >> 8) % 24;
        struct xmm_check_report rep;
        int full;
        uint32_t inc;

        switch ((r >> 16) % 10) {
        case 0:
        case 1:
            xmm_physmap_populate(w, dom, xmm_gfn(gfn), 1 + (r >> 24) % 3);
            break;
        case 2:
            xmm_physmap_decrease(w, dom, xmm_gfn(gfn), 1 + (r >> 24) % 2);
            break;
        case 3:
        case 4:
            xmm_iommu_dma(w, names[(r >> 24) % 3], xmm_gfn(gfn), (r >> 30) & 1, NULL);
            break;
        case 5:
            xmm_world_advance(w, (r >> 24) % 5);
            break;
        case 6:
            xmm_iommu_assign(w, dom, names[(r >> 24) % 3]);
            break;
        case 7:
            xmm_physmap_map_foreign(w, dom, xmm_gfn(gfn + 64), (xmm_domid_t)(1 + (r >> 24) % 3),
                                    xmm_gfn(gfn));
            break;
        case 8:
            xmm_physmap_remove(w, dom, xmm_gfn(gfn + ((r >> 24) & 1) * 64));
            break;
        default:
            if ((r >> 24) % 8 == 0) {
                xmm_domain_destroy(w, dom, 1000, NULL);
                if (xmm_domain_state(w, dom) == XMM_DOMAIN_GONE)
                    tu_domain(w, dom, 48);
            } else if ((r >> 24) % 8 == 1) {
                /* A xenheap page in the P2M: the SMMU reaches it too (shared stage 2). */
                xmm_shinfo_map(w, dom, xmm_gfn(gfn));
            }
            break;
        }
        full = xmm_check_full(w, &rep);
        random_verdict(pol, "full sweep", full, &rep, seed, step);
        inc = xmm_check_incremental(w, &rep);
        random_verdict(pol, "incremental", (int)inc, &rep, seed, step);
    }
    xmm_world_advance(w, 100);
    if (pol != XMM_IOTLB_UNSAFE)
        assert_int_equal(stats(w, XMM_DOMID_INVALID).isolation, 0);
    assert_int_equal(stats(w, XMM_DOMID_INVALID).held, 0);
    tu_world_free(w);
}

static void test_random(void **state)
{
    uint64_t seed = tu_seed(3);
    static const enum xmm_iotlb_policy pols[] = { XMM_IOTLB_DEFERRED, XMM_IOTLB_SYNC,
                                                  XMM_IOTLB_PAUSE, XMM_IOTLB_UNSAFE };

    (void)state;
    for (uint64_t i = 0; i < 6; i++)
        for (size_t p = 0; p < 4; p++)
            random_run(pols[p], seed + i);
}


/* --- the figures of docs/semantics.md --------------------------------------- */

/*
 * The same three workloads under each policy; after every call the
 * incremental checker runs (as xmm-sim does) and its isolation reports are
 * counted.  Printed as the table docs/semantics.md quotes; the scenario
 * files in scenarios/iommu/ assert the same numbers.
 */
struct figure {
    uint32_t violations;
    struct xmm_iommu_stats st;
    uint64_t ticks, zombie_ticks;
};

static void fig_step(struct xmm_world *w, struct figure *f)
{
    struct xmm_check_report rep;

    f->violations += xmm_check_incremental(w, &rep) > 0; /* steps that broke an invariant */
}

static void fig_story(enum xmm_iotlb_policy pol, struct figure *f)
{
    struct xmm_world *w = make(&(struct fixture){ pol, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 4);
    uint64_t t0 = xmm_world_now(w);

    memset(f, 0, sizeof(*f));
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, NULL), fig_step(w, f);
    xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 1), fig_step(w, f);
    xmm_physmap_populate(w, OTHER, xmm_gfn(RAM0), 1), fig_step(w, f);
    xmm_physmap_populate(w, GUEST, xmm_gfn(RAM0), 1), fig_step(w, f);
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, NULL), fig_step(w, f);
    f->ticks = xmm_world_now(w) - t0;
    xmm_world_advance(w, LAT), fig_step(w, f);
    f->st = stats(w, XMM_DOMID_INVALID);
    tu_world_free(w);
}

static void fig_many(enum xmm_iotlb_policy pol, struct figure *f)
{
    struct xmm_world *w = make(&(struct fixture){ pol, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 300);
    uint64_t t0;

    memset(f, 0, sizeof(*f));
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, NULL), fig_step(w, f);
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 299), true, NULL), fig_step(w, f);
    t0 = xmm_world_now(w);
    xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0), 300), fig_step(w, f);
    f->ticks = xmm_world_now(w) - t0;
    xmm_world_advance(w, LAT), fig_step(w, f);
    f->st = stats(w, XMM_DOMID_INVALID);
    tu_world_free(w);
}

static void fig_teardown(enum xmm_iotlb_policy pol, struct figure *f)
{
    struct xmm_world *w = make(&(struct fixture){ pol, XMM_ALLOC_LIFO, LAT, 0, NULL, NULL }, 8);
    uint64_t t0 = xmm_world_now(w), t1;

    memset(f, 0, sizeof(*f));
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 1), true, NULL), fig_step(w, f);
    xmm_physmap_decrease(w, GUEST, xmm_gfn(RAM0 + 1), 1), fig_step(w, f);
    xmm_domain_destroy(w, GUEST, 1000, NULL), fig_step(w, f);
    f->ticks = xmm_world_now(w) - t0;
    t1 = xmm_world_now(w);
    while (xmm_domain_state(w, GUEST) != XMM_DOMAIN_GONE && xmm_world_now(w) - t1 < 10 * LAT)
        xmm_world_advance(w, 1), fig_step(w, f);
    f->zombie_ticks = xmm_world_now(w) - t1;
    xmm_world_advance(w, LAT), fig_step(w, f);
    f->st = stats(w, XMM_DOMID_INVALID);
    tu_world_free(w);
}

/* Issue 11 item 6: a 32 MiB guest whose NIC cached two pages is destroyed. */
static void fig_large(enum xmm_iotlb_policy pol, struct figure *f)
{
    struct fixture fxt = fx(pol, XMM_ALLOC_LIFO);
    struct xmm_world_opts o = fx_opts(&fxt);
    struct xmm_world *w;
    uint64_t t0, t1;

    memset(f, 0, sizeof(*f));
    o.ram_pages = 16384;
    w = tu_world(&o);
    tu_domain(w, GUEST, 8192);
    tu_populate(w, GUEST, RAM0, 8192);
    assert_rc(xmm_iommu_assign(w, GUEST, "nic0"), 0);
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0), true, NULL), fig_step(w, f);
    xmm_iommu_dma(w, "nic0", xmm_gfn(RAM0 + 8191), false, NULL), fig_step(w, f);
    t0 = xmm_world_now(w);
    assert_rc(xmm_domain_destroy(w, GUEST, 1000, NULL), 0), fig_step(w, f);
    f->ticks = xmm_world_now(w) - t0;
    t1 = xmm_world_now(w);
    while (xmm_domain_state(w, GUEST) != XMM_DOMAIN_GONE && xmm_world_now(w) - t1 < 10 * LAT)
        xmm_world_advance(w, 1), fig_step(w, f);
    f->zombie_ticks = xmm_world_now(w) - t1;
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    xmm_world_advance(w, LAT), fig_step(w, f);
    f->st = stats(w, XMM_DOMID_INVALID);
    tu_world_free(w);
}

static void test_figures(void **state)
{
    static const char *const names[] = { "deferred", "sync", "pause", "unsafe" };
    static void (*const runs[])(enum xmm_iotlb_policy, struct figure *) = { fig_story, fig_many,
                                                                            fig_teardown, fig_large };
    static const char *const workloads[] = { "seed story", "300 frames, one call", "teardown",
                                              "destroy 32 MiB" };

    (void)state;
    printf("| workload | iotlb | steps violating | stale DMA | call ticks | guest stall | CPU spin "
           "| holds | peak held | hold ticks (sum / max) | queue waits | zombie ticks |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t r = 0; r < 4; r++)
        for (int p = 0; p < 4; p++) {
            struct figure f;

            runs[r]((enum xmm_iotlb_policy)p, &f);
            printf("| %s | %s | %u | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
                   " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " / %" PRIu64 " | %" PRIu64
                   " | %" PRIu64 " |\n",
                   workloads[r], names[p], f.violations, f.st.stale_hits, f.ticks, f.st.stall_ticks,
                   f.st.spin_ticks, f.st.holds, f.st.held_peak, f.st.hold_ticks,
                   f.st.hold_ticks_max, f.st.queue_full, f.zombie_ticks);
            /* The safe policies never break isolation; unsafe always does. */
            if (p == XMM_IOTLB_UNSAFE)
                assert_true(f.violations > 0);
            else
                assert_int_equal(f.violations, 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_figures),
    };

    return cmocka_run_group_tests_name("iommu_random", tests, NULL, NULL);
}
