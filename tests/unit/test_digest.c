/*
 * xmm_world_digest covers every module, and xmm_world_clone copies all of
 * it: two orders of independent calls reach one digest; a change to one
 * module's state alone (a grant entry, the maptrack, the SPMC's handle
 * state, an FF-A record, a device TLB entry, told safe ranges, a pending
 * timer) changes it; a clone digests as its original, answers as it, and
 * fails cleanly at every allocation; so does a shared clone
 * (xmm_world_clone_shared), which leaves its original as it was.
 */
#include <string.h>

#include "testutil.h"

#define D1 1
#define D2 2
#define SP 0x8001
#define RAM 0x40000

static const struct xmm_iommu_device devs[] = { { "nic0", true }, { "nic1", true } };

static struct xmm_world_opts opts(void)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.iommu.devices = devs;
    o.iommu.device_count = 2;
    o.iommu.flush_latency = 10;
    return o;
}

/* Two FF-A domains with RAM, the SPMC stub with one SP, two ATS devices. */
static struct xmm_world *base(void)
{
    struct xmm_world_opts o = opts();
    struct xmm_world *w = tu_world(&o);
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
    struct xmm_sp_config sp = { .id = SP, .subscribe_vm_destroyed = true,
                                .retrieve = XMM_SP_RETRIEVE_MANUAL };

    d.max_pages = 16;
    d.ffa = true;
    assert_rc(xmm_spmc_stub_attach(w, &sp, 1), 0);
    assert_rc(xmm_domain_create(w, D1, &d), 0);
    assert_rc(xmm_domain_create(w, D2, &d), 0);
    tu_populate(w, D1, RAM, 4);
    tu_populate(w, D2, RAM, 4);
    /* each table has its first shared frame: later grants take no frame from the heap */
    assert_rc(xmm_gnttab_grant(w, D1, 1, D2, xmm_gfn(RAM + 3), true), 0);
    assert_rc(xmm_gnttab_grant(w, D2, 1, D1, xmm_gfn(RAM + 3), true), 0);
    return w;
}

static void nop_timer(struct xmm_world *w, void *arg)
{
    (void)w;
    (void)arg;
}

/* --- two orders of independent calls ------------------------------------------- */

static void grants(struct xmm_world *w, bool swap)
{
    for (int i = 0; i < 2; i++) {
        if ((i == 0) != swap)
            assert_rc(xmm_gnttab_grant(w, D1, 3, D2, xmm_gfn(RAM), false), 0);
        else
            assert_rc(xmm_gnttab_grant(w, D2, 5, D1, xmm_gfn(RAM + 1), true), 0);
    }
}

static void assigns(struct xmm_world *w, bool swap)
{
    assert_rc(xmm_iommu_assign(w, swap ? D2 : D1, swap ? "nic1" : "nic0"), 0);
    assert_rc(xmm_iommu_assign(w, swap ? D1 : D2, swap ? "nic0" : "nic1"), 0);
}

static void timers(struct xmm_world *w, bool swap)
{
    assert_rc(xmm_timer_arm(w, swap ? 7 : 5, nop_timer, NULL, NULL), 0);
    assert_rc(xmm_timer_arm(w, swap ? 5 : 7, nop_timer, NULL, NULL), 0);
}

static void test_two_orders(void **state)
{
    void (*const calls[])(struct xmm_world *, bool) = { grants, assigns, timers };

    (void)state;
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        struct xmm_world *a = base(), *b = base();

        assert_true(xmm_world_digest(a) == xmm_world_digest(b));
        calls[i](a, false);
        calls[i](b, true);
        assert_true(xmm_world_digest(a) == xmm_world_digest(b));
        /* and the two go on alike */
        assert_rc(xmm_world_advance(a, 20), 0);
        assert_rc(xmm_world_advance(b, 20), 0);
        assert_true(xmm_world_digest(a) == xmm_world_digest(b));
        tu_world_free(a);
        tu_world_free(b);
    }
}

/* --- one field of one module --------------------------------------------------- */

static int ch_grant(struct xmm_world *w)
{
    return xmm_gnttab_grant(w, D1, 3, D2, xmm_gfn(RAM), false);
}

/* A map and its unmap: the P2M and the references are back, the maptrack is not. */
static int ch_maptrack(struct xmm_world *w)
{
    xmm_grant_handle_t h;
    int rc = xmm_gnttab_grant(w, D1, 3, D2, xmm_gfn(RAM), false);

    if (rc == 0)
        rc = xmm_gnttab_map(w, D2, D1, 3, xmm_gfn(0x50000), false, &h);
    if (rc == 0)
        rc = xmm_gnttab_unmap(w, D2, h);
    if (rc == 0)
        rc = xmm_gnttab_end(w, D1, 3);
    return rc;
}

static int ch_ffa_record(struct xmm_world *w)
{
    xmm_ffa_handle_t h;

    return xmm_ffa_share(w, D1, xmm_gfn(RAM), 1, SP, &h);
}

static int ch_spmc(struct xmm_world *w)
{
    /* the share is in the base of this case: only the SP's retrieve differs */
    return xmm_sp_retrieve(w, SP, 0x1000);
}

static int ch_devtlb(struct xmm_world *w)
{
    xmm_mfn_t m;

    return xmm_iommu_dma(w, "nic0", xmm_gfn(RAM), false, &m);
}

static int ch_saferange(struct xmm_world *w)
{
    struct xmm_saferange r[4];
    size_t n;

    return xmm_saferange_query(w, D1, r, 4, &n);
}

static int ch_timer(struct xmm_world *w)
{
    return xmm_timer_arm(w, 3, nop_timer, NULL, NULL);
}

struct one_change {
    const char *what;
    int (*change)(struct xmm_world *w);
    bool share_first; /* base with one share of D1 */
    bool assign_first; /* base with nic0 assigned to D1 */
    enum xmm_safe_range_policy sr;
};

static void test_one_field_each(void **state)
{
    static const struct one_change cases[] = {
        { "grant entry", ch_grant, false, false, XMM_SAFE_RANGE_NONE },
        { "maptrack", ch_maptrack, false, false, XMM_SAFE_RANGE_NONE },
        { "FF-A record", ch_ffa_record, false, false, XMM_SAFE_RANGE_NONE },
        { "SPMC handle state", ch_spmc, true, false, XMM_SAFE_RANGE_NONE },
        { "device TLB", ch_devtlb, false, true, XMM_SAFE_RANGE_NONE },
        { "told safe ranges", ch_saferange, false, false, XMM_SAFE_RANGE_QUERY },
        { "timer", ch_timer, false, false, XMM_SAFE_RANGE_NONE },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct one_change *c = &cases[i];
        struct xmm_world_opts o = opts();
        struct xmm_world *w, *copy;
        struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;
        struct xmm_sp_config sp = { .id = SP, .subscribe_vm_destroyed = true,
                                    .retrieve = XMM_SP_RETRIEVE_MANUAL };
        uint64_t before;

        o.policy.safe_range = c->sr;
        w = tu_world(&o);
        d.max_pages = 16;
        d.ffa = true;
        assert_rc(xmm_spmc_stub_attach(w, &sp, 1), 0);
        assert_rc(xmm_domain_create(w, D1, &d), 0);
        assert_rc(xmm_domain_create(w, D2, &d), 0);
        tu_populate(w, D1, RAM, 4);
        tu_populate(w, D2, RAM, 4);
        if (c->share_first)
            assert_int_equal(ch_ffa_record(w), XMM_FFA_RET_OK);
        if (c->assign_first)
            assert_rc(xmm_iommu_assign(w, D1, "nic0"), 0);
        assert_rc(xmm_world_clone(w, &copy), 0);
        before = xmm_world_digest(w);
        assert_true(xmm_world_digest(copy) == before);
        if (c->change(copy) != 0)
            fail_msg("%s: the change failed", c->what);
        if (xmm_world_digest(copy) == before)
            fail_msg("%s: the digest does not see it", c->what);
        assert_true(xmm_world_digest(w) == before); /* the original is untouched */
        /* the same change on the original: the two meet again */
        assert_int_equal(c->change(w), 0);
        assert_true(xmm_world_digest(w) == xmm_world_digest(copy));
        xmm_world_free(copy);
        tu_world_free(w);
    }
}

/* --- clone --------------------------------------------------------------------- */

/* A world with something in every module: grants, a map, a share, a DMA, timers. */
static struct xmm_world *busy(void)
{
    struct xmm_world *w = base();
    xmm_grant_handle_t h;
    xmm_ffa_handle_t fh;
    xmm_mfn_t m;

    assert_rc(xmm_gnttab_grant(w, D1, 3, D2, xmm_gfn(RAM), false), 0);
    assert_rc(xmm_gnttab_map(w, D2, D1, 3, xmm_gfn(0x50000), false, &h), 0);
    assert_int_equal(xmm_ffa_share(w, D1, xmm_gfn(RAM + 2), 1, SP, &fh), XMM_FFA_RET_OK);
    assert_rc(xmm_iommu_assign(w, D2, "nic1"), 0);
    assert_rc(xmm_iommu_dma(w, "nic1", xmm_gfn(RAM + 1), true, &m), 0);
    assert_rc(xmm_physmap_decrease(w, D2, xmm_gfn(RAM + 1), 1), 0); /* a flush in the queue */
    assert_rc(xmm_timer_arm(w, 4, nop_timer, NULL, NULL), 0);
    return w;
}

static void test_clone_same_future(void **state)
{
    struct xmm_world *w = busy(), *c;
    struct xmm_check_report rep;

    (void)state;
    assert_rc(xmm_world_clone(w, &c), 0);
    assert_true(xmm_world_digest(c) == xmm_world_digest(w));
    /* the same calls, the same answers and digests, each step */
    for (int i = 0; i < 2; i++) {
        struct xmm_world *x = i ? c : w;

        assert_rc(xmm_world_advance(x, 100), 0);
        assert_rc(xmm_domain_destroy(x, D2, 1000, NULL), 0);
    }
    assert_true(xmm_world_digest(c) == xmm_world_digest(w));
    assert_int_equal(xmm_domain_destroy(w, D1, 1000, NULL), xmm_domain_destroy(c, D1, 1000, NULL));
    assert_true(xmm_world_digest(c) == xmm_world_digest(w));
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(xmm_check_full(c, &rep), 0);
    xmm_world_free(c);
    tu_world_free(w);
}

typedef int (*clone_fn)(const struct xmm_world *w, struct xmm_world **out);

/* Every allocation of a clone (of either kind) fails cleanly; returns the blocks a clone takes. */
static size_t clone_alloc_failure(clone_fn clone)
{
    struct xmm_world *w = busy();
    struct tu_alloc *a = tu_world_alloc(w);
    uint64_t dig = xmm_world_digest(w), n;
    size_t blocks = a->live_blocks, taken = 0;

    for (n = 1; n < 10000; n++) {
        struct xmm_world *c = NULL;
        int rc;

        xmm_world_fail_alloc(w, n, false);
        rc = clone(w, &c);
        xmm_world_fail_alloc(w, 0, false);
        if (rc == 0) {
            assert_true(xmm_world_digest(c) == dig);
            taken = a->live_blocks - blocks;
            xmm_world_free(c);
            break;
        }
        assert_int_equal(rc, -XMM_ENOMEM);
        assert_null(c);
        if (a->size_mismatches || a->bad_frees)
            fail_msg("clone failing at allocation %llu freed a block with another size",
                     (unsigned long long)n);
        if (a->live_blocks != blocks)
            fail_msg("clone failing at allocation %llu left %zu blocks behind", 
                     (unsigned long long)n, a->live_blocks - blocks);
        assert_true(xmm_world_digest(w) == dig);
    }
    assert_true(n > 10); /* every module allocated, so there were many points to fail */
    assert_int_equal(a->live_blocks, blocks);
    tu_world_free(w);
    return taken;
}

static void test_clone_alloc_failure(void **state)
{
    size_t deep, shared;

    (void)state;
    deep = clone_alloc_failure(xmm_world_clone);
    shared = clone_alloc_failure(xmm_world_clone_shared);
    /* the shared clone sets aside one block per P2M node: a copy's allocations */
    assert_true(deep > 0);
    assert_int_equal(shared, deep);
}

/* One step of test_clone_shared on world x; its return code. */
static int shared_step(struct xmm_world *x, int i)
{
    switch (i) {
    case 0: return xmm_physmap_populate(x, D1, xmm_gfn(0x60000), 1);
    case 1: return xmm_physmap_decrease(x, D1, xmm_gfn(RAM + 3), 1);
    case 2: return xmm_world_advance(x, 100);
    case 3: return xmm_domain_destroy(x, D2, 1000, NULL);
    default: return xmm_domain_destroy(x, D1, 1000, NULL);
    }
}

/*
 * xmm_world_clone_shared: the copy answers as a deep copy does, call for
 * call, while its original (and the original of a shared copy of a shared
 * copy) stays as it was; each copy frees what it took.
 */
static void test_clone_shared(void **state)
{
    struct xmm_world *w = busy(), *deep, *sh, *sh2;
    struct tu_alloc *a = tu_world_alloc(w);
    uint64_t dig = xmm_world_digest(w);
    size_t blocks = a->live_blocks;
    struct xmm_check_report rep;
    struct xmm_p2m_entry e;

    (void)state;
    assert_rc(xmm_world_clone(w, &deep), 0);
    assert_rc(xmm_world_clone_shared(w, &sh), 0);
    assert_true(xmm_world_digest(sh) == dig);
    assert_rc(xmm_world_clone_shared(sh, &sh2), 0);
    assert_true(xmm_world_digest(sh2) == dig);
    for (int i = 0; i < 5; i++) {
        int rc = shared_step(deep, i);

        assert_int_equal(shared_step(sh2, i), rc);
        assert_true(xmm_world_digest(sh2) == xmm_world_digest(deep));
        assert_true(xmm_world_digest(sh) == dig);
        assert_true(xmm_world_digest(w) == dig);
    }
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(xmm_check_full(sh2, &rep), 0);
    xmm_world_free(sh2);
    xmm_world_free(deep);
    /* sh2 gone: sh may change now, and answers as w would */
    assert_rc(xmm_world_clone(w, &deep), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(shared_step(sh, i), shared_step(deep, i));
        assert_true(xmm_world_digest(sh) == xmm_world_digest(deep));
        assert_true(xmm_world_digest(w) == dig);
    }
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(xmm_check_full(sh, &rep), 0);
    xmm_world_free(sh);
    xmm_world_free(deep);
    assert_int_equal(a->live_blocks, blocks);
    assert_int_equal(a->size_mismatches, 0);
    assert_int_equal(a->bad_frees, 0);
    /* the original's P2M itself (its digest is kept, not recomputed from the nodes) */
    assert_rc(xmm_p2m_lookup(w, D1, xmm_gfn(0x60000), &e), -XMM_ENOENT);
    assert_rc(xmm_p2m_lookup(w, D1, xmm_gfn(RAM + 3), &e), 0);
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(xmm_check_full(w, &rep), 0);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_orders),
        cmocka_unit_test(test_one_field_each),
        cmocka_unit_test(test_clone_same_future),
        cmocka_unit_test(test_clone_alloc_failure),
        cmocka_unit_test(test_clone_shared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
