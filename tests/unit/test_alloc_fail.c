/*
 * libxmm unit tests - allocation failure in every allocating call.
 *
 * tu_alloc_fail_drive fails allocation N = 1, 2, ... of the call until it
 * succeeds; each failure must return ENOMEM, leave the world as it was
 * (digest, allocations, P2M nodes, timers), keep the invariants, let the
 * same call succeed on retry, and leak nothing.
 */
#include "testutil.h"

#define BASE 0x40000u

static const struct xmm_mmio_region regions[2] = {
    { { 0x1000 }, 64, "uart" },
    { { 0x2000 }, 16, "gic" },
};

static struct xmm_world_opts opts_up(void)
{
    struct xmm_world_opts o = tu_opts_upstream();

    o.mmio = regions;
    o.mmio_count = 2;
    return o;
}

/* --- xmm_world_new -------------------------------------------------------- */

static void test_world_new(void **state)
{
    struct xmm_world_opts o = opts_up();
    uint64_t plain, with_mmio;

    (void)state;
    with_mmio = tu_world_new_fail_drive(&o);
    o.mmio = NULL;
    o.mmio_count = 0;
    plain = tu_world_new_fail_drive(&o);
    /* World, history ring, frame table, rmap at least; mmio adds an array and two names. */
    assert_true(plain >= 4);
    assert_int_equal(with_mmio, plain + 3);
    /* Without a history ring, one allocation fewer. */
    o.history_events = 0;
    assert_int_equal(tu_world_new_fail_drive(&o), plain - 1);
}

/* --- domain_create ------------------------------------------------------------ */

struct create_ctx {
    xmm_domid_t pre; /* domains created by setup: 0 .. pre-1 */
};

static void setup_domains(struct xmm_world *w, void *ctx)
{
    const struct create_ctx *c = ctx;

    for (xmm_domid_t d = 0; d < c->pre; d++)
        tu_domain(w, d, 16);
}

static int op_create(struct xmm_world *w, void *ctx)
{
    const struct create_ctx *c = ctx;
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = 16;
    return xmm_domain_create(w, c->pre, &o);
}

static void verify_create(struct xmm_world *w, void *ctx)
{
    const struct create_ctx *c = ctx;

    assert_int_equal(xmm_domain_count(w), c->pre + 1u);
    assert_int_equal(xmm_domain_state(w, c->pre), XMM_DOMAIN_RUNNING);
}

static uint64_t drive_create(xmm_domid_t pre)
{
    struct xmm_world_opts o = opts_up();
    struct create_ctx c = { pre };
    struct tu_afd d = { .name = "domain_create", .opts = &o, .setup = setup_domains,
                        .op = op_create, .verify = verify_create, .ctx = &c };

    return tu_alloc_fail_drive(&d);
}

static void test_domain_create(void **state)
{
    uint64_t first, second, ninth;

    (void)state;
    first = drive_create(0);  /* the table and the by-id index (16 ids) are allocated */
    second = drive_create(1); /* room in both */
    ninth = drive_create(8);  /* the table grows from 8 to 16 */
    assert_true(second >= 1);
    assert_int_equal(first, second + 2);
    assert_int_equal(ninth, second + 1);
    /* id 16: the table grows from 16 to 32, and so does the index */
    assert_int_equal(drive_create(16), second + 2);
}

/* --- populate ---------------------------------------------------------------- */

struct pop_ctx {
    uint64_t gfn, pages, nodes_before, nodes_after;
    bool direct;
};

static void setup_pop(struct xmm_world *w, void *ctx)
{
    struct pop_ctx *c = ctx;
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = 4096;
    o.direct_map = c->direct;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    if (c->nodes_before) {
        /* Nodes already there: the call needs none. */
        tu_populate(w, 1, c->gfn, c->pages);
        assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(c->gfn), c->pages), 0);
    }
    assert_int_equal(xmm_p2m_node_count(w, 1), c->nodes_before);
}

static int op_pop(struct xmm_world *w, void *ctx)
{
    struct pop_ctx *c = ctx;
    xmm_gfn_t first;

    if (c->direct)
        return xmm_physmap_populate_direct(w, 1, c->pages, &first);
    return xmm_physmap_populate(w, 1, xmm_gfn(c->gfn), c->pages);
}

static void verify_pop(struct xmm_world *w, void *ctx)
{
    struct pop_ctx *c = ctx;

    assert_int_equal(xmm_p2m_node_count(w, 1), c->nodes_after);
    assert_int_equal(xmm_p2m_entry_count(w, 1), c->pages);
    assert_int_equal(tu_dom(w, 1).tot_pages, c->pages);
}

static uint64_t drive_pop(struct pop_ctx *c)
{
    struct xmm_world_opts o = opts_up();
    struct tu_afd d = { .name = "populate", .opts = &o, .setup = setup_pop, .op = op_pop,
                        .verify = verify_pop, .ctx = c };

    return tu_alloc_fail_drive(&d);
}

static void test_populate(void **state)
{
    /*
     * One page: root, L1, L2, leaf; plus the reservation pool and the leaf
     * directory (gfns below 2^27: the lookup fast path).
     */
    struct pop_ctx one = { .gfn = 0x10, .pages = 1, .nodes_after = 4 };
    /* 2048 pages from 0x3fe00: two L2 nodes, four leaves. */
    struct pop_ctx wide = { .gfn = 0x3fe00, .pages = 2048, .nodes_after = 8 };
    /* Nodes already there: nothing to allocate. */
    struct pop_ctx again = { .gfn = 0x3fe00, .pages = 2048, .nodes_before = 8,
                             .nodes_after = 8 };
    /* Direct-mapped, gfn == mfn from BASE: 600 pages need two leaves. */
    struct pop_ctx direct = { .pages = 600, .nodes_after = 5, .direct = true };

    (void)state;
    assert_int_equal(drive_pop(&one), 6);
    assert_int_equal(drive_pop(&wide), 10);
    assert_int_equal(drive_pop(&again), 0);
    assert_int_equal(drive_pop(&direct), 7);
}

/* --- map_foreign, map_mmio, p2m_set ------------------------------------------ */

static void setup_pair(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 16);
    tu_populate(w, 1, 0x10, 4);
}

static int op_map_foreign(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_physmap_map_foreign(w, 0, xmm_gfn(0x1ff), 1, xmm_gfn(0x12));
}

static void verify_map_foreign(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    assert_int_equal(tu_refcount(w, tu_mfn_at(w, 1, 0x12)), 2);
    assert_int_equal(xmm_p2m_node_count(w, 0), 4);
}

static int op_map_mmio(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    /* 32 pages across a leaf boundary. */
    return xmm_physmap_map_mmio(w, 0, xmm_gfn(0x1f0), xmm_mfn(0x1010), 32);
}

static void verify_map_mmio(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    assert_int_equal(xmm_p2m_entry_count(w, 0), 32);
    assert_int_equal(xmm_p2m_node_count(w, 0), 5);
}

static int op_p2m_set(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_p2m_set(w, 1, xmm_gfn(XMM_FRAME_LIMIT - 1), xmm_mfn(0x2003),
                       XMM_P2M_MMIO_DIRECT_NC);
}

static void test_p2m_ops(void **state)
{
    struct xmm_world_opts o = opts_up();
    struct tu_afd foreign = { .name = "map_foreign", .opts = &o, .setup = setup_pair,
                              .op = op_map_foreign, .verify = verify_map_foreign };
    struct tu_afd mmio = { .name = "map_mmio", .opts = &o, .setup = setup_pair,
                           .op = op_map_mmio, .verify = verify_map_mmio };
    struct tu_afd set = { .name = "p2m_set", .opts = &o, .setup = setup_pair,
                          .op = op_p2m_set };

    (void)state;
    /* Each first mapping below 2^27 also allocates d0's leaf directory. */
    assert_int_equal(tu_alloc_fail_drive(&foreign), 6);
    assert_int_equal(tu_alloc_fail_drive(&mmio), 7);
    /* d1 has a root already: a new L1, L2 and leaf (past 2^27: no directory). */
    assert_int_equal(tu_alloc_fail_drive(&set), 4);
}

/* --- timers ------------------------------------------------------------------ */

static void nop_timer(struct xmm_world *w, void *arg)
{
    (void)w;
    (void)arg;
}

static void setup_timers(struct xmm_world *w, void *ctx)
{
    const unsigned *n = ctx;

    for (unsigned i = 0; i < *n; i++)
        assert_rc(xmm_timer_arm(w, 1 + i, nop_timer, NULL, NULL), 0);
}

static int op_timer(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_timer_arm(w, 3, nop_timer, NULL, NULL);
}

/* How many timers are pending when an arm first has to grow the queue. */
static unsigned timers_before_growth(void)
{
    struct xmm_world *w = tu_world(NULL);
    unsigned n = 0;

    for (;; n++) {
        uint64_t before = xmm_world_alloc_count(w);

        assert_true(n < 1000);
        assert_rc(xmm_timer_arm(w, 1 + n, nop_timer, NULL, NULL), 0);
        if (xmm_world_alloc_count(w) != before)
            break;
    }
    tu_world_free(w);
    return n;
}

static void test_timer_arm(void **state)
{
    unsigned grow = timers_before_growth(), room = grow + 1;
    struct tu_afd d = { .name = "timer_arm", .op = op_timer, .setup = setup_timers };

    (void)state;
    d.ctx = &grow; /* the queue is allocated or grows */
    assert_int_equal(tu_alloc_fail_drive(&d), 1);
    d.ctx = &room; /* room in the grown queue */
    assert_int_equal(tu_alloc_fail_drive(&d), 0);
}

/* --- check_full, teardown ---------------------------------------------------- */

static int op_check_full(struct xmm_world *w, void *ctx)
{
    int n = xmm_check_full(w, NULL);

    (void)ctx;
    return n < 0 ? n : 0;
}

static int op_destroy(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_domain_destroy(w, 1, 100, NULL);
}

static void setup_teardown(struct xmm_world *w, void *ctx)
{
    xmm_mfn_t x;

    (void)ctx;
    tu_domain(w, 0, 16);
    tu_domain(w, 1, 2000);
    tu_populate(w, 1, 0x10, 4);
    tu_populate(w, 1, 0x100000, 1500);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x40), 1, xmm_gfn(0x11)), 0);
    tu_populate(w, 0, 0x10, 1);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x40), 0, xmm_gfn(0x10)), 0);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x50), xmm_mfn(0x1000), 8), 0);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
}

static void verify_destroy(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(tu_dom(w, 1).tot_pages, 1);
}

static void test_check_and_teardown(void **state)
{
    struct xmm_world_opts o = opts_up();
    struct tu_afd check = { .name = "check_full", .opts = &o, .setup = setup_pair,
                            .op = op_check_full };
    struct tu_afd destroy = { .name = "destroy", .opts = &o, .setup = setup_teardown,
                              .op = op_destroy, .verify = verify_destroy };

    (void)state;
    assert_int_equal(tu_alloc_fail_drive(&check), 1);
    /* Teardown never allocates, so it cannot fail for lack of memory. */
    assert_int_equal(tu_alloc_fail_drive(&destroy), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_new),
        cmocka_unit_test(test_domain_create),
        cmocka_unit_test(test_populate),
        cmocka_unit_test(test_p2m_ops),
        cmocka_unit_test(test_timer_arm),
        cmocka_unit_test(test_check_and_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
