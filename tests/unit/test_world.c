/*
 * libxmm unit tests - the world: options, clock and timers, PRNG, digest,
 * allocation accounting, names of codes / types / invariants.
 */
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* --- options ------------------------------------------------------------ */

static int try_new(const struct xmm_world_opts *o)
{
    struct xmm_world *w = (struct xmm_world *)&w;
    struct tu_alloc a;
    struct xmm_world_opts oo = *o;
    int rc;

    tu_alloc_init(&a);
    oo.allocator = tu_allocator(&a);
    rc = xmm_world_new(&oo, &w);
    if (rc)
        assert_null(w);
    xmm_world_free(w);
    assert_int_equal(a.live_blocks, 0);
    return rc;
}

static void test_opts_ram(void **state)
{
    struct xmm_world_opts o = tu_opts();

    (void)state;
    o.ram_pages = 0;
    assert_rc(try_new(&o), -XMM_EINVAL);
    /* RAM must end at or below 2^36. */
    o.ram_pages = 16;
    o.ram_base = xmm_mfn(XMM_FRAME_LIMIT - 16);
    assert_rc(try_new(&o), 0);
    o.ram_pages = 17;
    assert_rc(try_new(&o), -XMM_EINVAL);
    o.ram_base = xmm_mfn(XMM_FRAME_LIMIT);
    o.ram_pages = 1;
    assert_rc(try_new(&o), -XMM_EINVAL);
    /* Base near 2^64: the end wraps. */
    o.ram_base = xmm_mfn(UINT64_MAX - 4);
    o.ram_pages = 16;
    assert_rc(try_new(&o), -XMM_EINVAL);
    /* Too many frames for 32-bit frame indices. */
    o.ram_base = xmm_mfn(0);
    o.ram_pages = UINT64_C(1) << 32;
    assert_rc(try_new(&o), -XMM_EINVAL);
}

static void test_opts_mmio(void **state)
{
    struct xmm_world_opts o = tu_opts(); /* RAM 0x40000..0x40fff */
    struct xmm_mmio_region r[3] = {
        { xmm_mfn(0x1000), 16, "uart" },
        { xmm_mfn(0x2000), 32, "gic" },
        { xmm_mfn(0x3000), 1, NULL },
    };
    struct xmm_world *w;

    (void)state;
    o.mmio = r;
    o.mmio_count = 3;
    assert_rc(try_new(&o), 0);
    /* Overlapping regions, in either order. */
    r[1].base = xmm_mfn(0x100f);
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[1].base = xmm_mfn(0xff1);
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[1].base = xmm_mfn(0x1010); /* adjacent is fine */
    assert_rc(try_new(&o), 0);
    /* MMIO over RAM: first frame, last frame, straddling the start. */
    r[2].base = xmm_mfn(0x40000);
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[2].base = xmm_mfn(0x40fff);
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[2].base = xmm_mfn(0x3ffff);
    r[2].pages = 2;
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[2].base = xmm_mfn(0x41000);
    assert_rc(try_new(&o), 0);
    /* Empty region, region past 2^36, count without array. */
    r[2].pages = 0;
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[2].base = xmm_mfn(XMM_FRAME_LIMIT - 1);
    r[2].pages = 2;
    assert_rc(try_new(&o), -XMM_EINVAL);
    r[2].pages = 1;
    o.mmio = NULL;
    assert_rc(try_new(&o), -XMM_EINVAL);

    /* The regions are copied, names included. */
    o.mmio = r;
    w = tu_world(&o);
    r[0].name = "changed";
    assert_int_equal(xmm_world_mmio_count(w), 3);
    assert_string_equal(xmm_world_mmio(w, 0)->name, "uart");
    assert_string_equal(xmm_world_mmio(w, 2)->name, "");
    assert_null(xmm_world_mmio(w, 3));
    assert_true(xmm_world_mfn_is_mmio(w, xmm_mfn(0x1000), 16));
    assert_true(xmm_world_mfn_is_mmio(w, xmm_mfn(0x1005), 11));
    assert_false(xmm_world_mfn_is_mmio(w, xmm_mfn(0x1005), 12));
    /* Adjacent regions: a range over both is not inside one region. */
    assert_false(xmm_world_mfn_is_mmio(w, xmm_mfn(0x100f), 2));
    assert_false(xmm_world_mfn_is_mmio(w, xmm_mfn(0x40000), 1));
    assert_true(xmm_world_mfn_is_ram(w, xmm_mfn(0x40000)));
    assert_true(xmm_world_mfn_is_ram(w, xmm_mfn(0x40fff)));
    assert_false(xmm_world_mfn_is_ram(w, xmm_mfn(0x41000)));
    assert_false(xmm_world_mfn_is_ram(w, xmm_mfn(0x3ffff)));
    assert_int_equal(xmm_mfn_x(xmm_world_ram_base(w)), 0x40000);
    assert_int_equal(xmm_world_ram_pages(w), 4096);
    tu_world_free(w);
}

static void test_opts_defaults(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;

    (void)state;
    /* NULL options: XMM_WORLD_OPTS_INIT. */
    assert_rc(xmm_world_new(NULL, &w), 0);
    assert_int_equal(xmm_world_ram_pages(w), 16384);
    assert_int_equal(xmm_mfn_x(xmm_world_ram_base(w)), 0x40000);
    assert_int_equal(xmm_world_limits(w)->destroy_retries, 1000);
    assert_int_equal(xmm_heap_free_pages(w), 16384);
    xmm_world_free(w);
    xmm_world_free(NULL);

    o.policy.iotlb = XMM_IOTLB_PAUSE;
    o.limits.ffa_retry_ticks = 7;
    w = tu_world(&o);
    assert_int_equal(xmm_world_policy(w)->iotlb, XMM_IOTLB_PAUSE);
    assert_int_equal(xmm_world_limits(w)->ffa_retry_ticks, 7);
    assert_int_equal(xmm_world_now(w), 0);
    xmm_world_set_step(w, 42);
    assert_int_equal(xmm_world_step(w), 42);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- timers --------------------------------------------------------------- */

struct tlog {
    int order[64];
    uint64_t at[64];
    int n;
};

struct targ {
    struct tlog *log;
    int id;
    uint64_t rearm; /* arm a follow-up timer this many ticks later (0: none) */
};

static void timer_cb(struct xmm_world *w, void *p)
{
    struct targ *a = p;

    assert_true(a->log->n < 64);
    a->log->order[a->log->n] = a->id;
    a->log->at[a->log->n] = xmm_world_now(w);
    a->log->n++;
    if (a->rearm) {
        uint64_t d = a->rearm;

        a->rearm = 0;
        a->id += 100;
        assert_rc(xmm_timer_arm(w, d, timer_cb, a, NULL), 0);
    }
}

static void test_timer_order(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct tlog log = { .n = 0 };
    struct targ a[6];
    const uint64_t delay[6] = { 5, 3, 5, 3, 1, 9 };
    uint64_t id[6];

    (void)state;
    assert_rc(xmm_timer_arm(w, 0, timer_cb, &a[0], NULL), -XMM_EINVAL);
    assert_rc(xmm_timer_arm(w, 1, NULL, &a[0], NULL), -XMM_EINVAL);
    for (int i = 0; i < 6; i++) {
        a[i] = (struct targ){ &log, i, 0 };
        assert_rc(xmm_timer_arm(w, delay[i], timer_cb, &a[i], &id[i]), 0);
        if (i)
            assert_true(id[i] != id[i - 1]);
    }
    assert_int_equal(xmm_timer_pending(w), 6);
    assert_rc(xmm_world_advance(w, 4), 0);
    assert_int_equal(xmm_world_now(w), 4);
    /* By tick, and in arming order within a tick. */
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[0], 4);
    assert_int_equal(log.at[0], 1);
    assert_int_equal(log.order[1], 1);
    assert_int_equal(log.order[2], 3);
    assert_int_equal(log.at[2], 3);
    assert_rc(xmm_world_advance(w, 1), 0);
    assert_int_equal(log.n, 5);
    assert_int_equal(log.order[3], 0);
    assert_int_equal(log.order[4], 2);
    assert_int_equal(log.at[4], 5);
    assert_int_equal(xmm_timer_pending(w), 1);
    /* Nothing due: the clock still moves the whole way. */
    assert_rc(xmm_world_advance(w, 0), 0);
    assert_int_equal(xmm_world_now(w), 5);
    assert_rc(xmm_world_advance(w, 100), 0);
    assert_int_equal(xmm_world_now(w), 105);
    assert_int_equal(log.n, 6);
    assert_int_equal(log.at[5], 9);
    assert_int_equal(xmm_timer_pending(w), 0);
    tu_world_free(w);
}

static void test_timer_many(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct tlog log = { .n = 0 };
    struct targ a[64];
    uint64_t rs = 7, last_at = 0;
    int last_id = -1;

    (void)state;
    /* Random delays: run order must be sorted by (tick, arming order). */
    for (int i = 0; i < 64; i++) {
        a[i] = (struct targ){ &log, i, 0 };
        assert_rc(xmm_timer_arm(w, 1 + tu_rand(&rs) % 10, timer_cb, &a[i], NULL), 0);
    }
    assert_rc(xmm_world_advance(w, 20), 0);
    assert_int_equal(log.n, 64);
    for (int i = 0; i < 64; i++) {
        assert_true(log.at[i] >= last_at);
        if (log.at[i] == last_at)
            assert_true(log.order[i] > last_id);
        last_at = log.at[i];
        last_id = log.order[i];
    }
    tu_world_free(w);
}

static void test_timer_cancel(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct tlog log = { .n = 0 };
    struct targ a[4];
    uint64_t id[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        a[i] = (struct targ){ &log, i, 0 };
        assert_rc(xmm_timer_arm(w, 2 + (uint64_t)i, timer_cb, &a[i % 2], &id[i]), 0);
    }
    xmm_timer_cancel(w, id[1]);
    assert_int_equal(xmm_timer_pending(w), 3);
    xmm_timer_cancel(w, id[1]);          /* already cancelled: ignored */
    xmm_timer_cancel(w, UINT64_C(9999)); /* unknown: ignored */
    assert_int_equal(xmm_timer_pending(w), 3);
    /* id[0] and id[2] both have argument &a[0]. */
    xmm_timer_cancel_arg(w, &a[0]);
    assert_int_equal(xmm_timer_pending(w), 1);
    assert_rc(xmm_world_advance(w, 10), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.order[0], 1); /* a[1] via id[3] */
    assert_int_equal(log.at[0], 5);
    xmm_timer_cancel(w, id[3]); /* already ran: ignored */
    assert_int_equal(xmm_timer_pending(w), 0);
    xmm_timer_cancel_arg(w, NULL);
    tu_world_free(w);
}

static void test_timer_rearm(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct tlog log = { .n = 0 };
    struct targ a = { &log, 1, 2 }, b = { &log, 2, 0 };

    (void)state;
    /* A timer at tick 3 arms one for tick 5; one advance runs both. */
    assert_rc(xmm_timer_arm(w, 3, timer_cb, &a, NULL), 0);
    assert_rc(xmm_timer_arm(w, 5, timer_cb, &b, NULL), 0);
    assert_rc(xmm_world_advance(w, 10), 0);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(log.at[0], 3);
    /* b was armed first, so it runs before the re-armed timer at tick 5. */
    assert_int_equal(log.order[1], 2);
    assert_int_equal(log.order[2], 101);
    assert_int_equal(log.at[2], 5);
    assert_int_equal(xmm_world_now(w), 10);
    /* Re-armed past the end of the advance: runs on the next one. */
    a.rearm = 7;
    assert_rc(xmm_timer_arm(w, 1, timer_cb, &a, NULL), 0);
    assert_rc(xmm_world_advance(w, 5), 0);
    assert_int_equal(log.n, 4);
    assert_int_equal(xmm_timer_pending(w), 1);
    assert_rc(xmm_world_advance(w, 3), 0);
    assert_int_equal(log.n, 5);
    assert_int_equal(log.at[4], 18);
    tu_world_free(w);
}

/* --- PRNG ---------------------------------------------------------------- */

/* Reference xoshiro256** seeded through splitmix64, written from the papers. */
static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t ref_next(uint64_t s[4])
{
    uint64_t r = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return r;
}

static void test_prng(void **state)
{
    const uint64_t seeds[3] = { 0, 1, UINT64_C(0xdeadbeef) };
    uint64_t sm = 0;

    (void)state;
    /* splitmix64(0) first output, as published. */
    assert_true(tu_rand(&sm) == UINT64_C(0xe220a8397b1dcdaf));
    for (int k = 0; k < 3; k++) {
        struct xmm_world_opts o = tu_opts();
        struct xmm_world *a, *b;
        uint64_t s[4], sd = seeds[k];

        o.seed = seeds[k];
        a = tu_world(&o);
        b = tu_world(&o);
        for (int i = 0; i < 4; i++)
            s[i] = tu_rand(&sd);
        for (int i = 0; i < 1000; i++) {
            uint64_t x = xmm_world_random(a);

            assert_true(x == ref_next(s));
            assert_true(x == xmm_world_random(b));
        }
        tu_world_free(a);
        tu_world_free(b);
    }
    {
        struct xmm_world_opts o = tu_opts();
        struct xmm_world *a, *b;

        o.seed = 1;
        a = tu_world(&o);
        o.seed = 2;
        b = tu_world(&o);
        assert_true(xmm_world_random(a) != xmm_world_random(b));
        tu_world_free(a);
        tu_world_free(b);
    }
}

/* --- digest --------------------------------------------------------------- */

static void digest_history(struct xmm_world *w)
{
    tu_domain(w, 1, 64);
    tu_domain(w, 2, 64);
    tu_populate(w, 1, 0x100, 8);
    assert_rc(xmm_physmap_map_foreign(w, 2, xmm_gfn(0x10), 1, xmm_gfn(0x103)), 0);
    assert_rc(xmm_world_advance(w, 3), 0);
}

static void test_digest(void **state)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_world *a = tu_world(&o), *b = tu_world(&o);
    uint64_t d0 = xmm_world_digest(a), d1;

    (void)state;
    assert_true(d0 == xmm_world_digest(b));
    digest_history(a);
    assert_true(xmm_world_digest(a) != d0);
    digest_history(b);
    d1 = xmm_world_digest(a);
    assert_true(d1 == xmm_world_digest(b));
    /* Checks do not change the state, so not the digest either. */
    assert_world_clean(a);
    assert_true(xmm_world_digest(a) == d1);
    /* Each kind of change shows. */
    assert_rc(xmm_world_advance(b, 1), 0);
    assert_true(xmm_world_digest(b) != d1);
    assert_rc(xmm_world_advance(a, 1), 0);
    d1 = xmm_world_digest(a);
    assert_true(d1 == xmm_world_digest(b));
    assert_rc(xmm_physmap_remove(b, 2, xmm_gfn(0x10)), 0);
    assert_true(xmm_world_digest(b) != d1);
    assert_rc(xmm_physmap_remove(a, 2, xmm_gfn(0x10)), 0);
    assert_true(xmm_world_digest(a) == xmm_world_digest(b));
    assert_true(xmm_domain_get(a, 1) == 0);
    assert_true(xmm_world_digest(a) != xmm_world_digest(b));
    assert_rc(xmm_domain_put(a, 1), 0);
    assert_true(xmm_world_digest(a) == xmm_world_digest(b));
    tu_world_free(a);
    tu_world_free(b);
}

static void test_digest_is_state(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    uint64_t d0;

    (void)state;
    tu_domain(w, 1, 64);
    d0 = xmm_world_digest(w);
    /* Same state reached by another path: same digest. */
    tu_populate(w, 1, 0x10, 4);
    assert_true(xmm_world_digest(w) != d0);
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x10), 4), 0);
    assert_true(xmm_world_digest(w) == d0);
    /* A different RAM size is a different world. */
    {
        struct xmm_world_opts o = tu_opts();
        struct xmm_world *v;

        o.ram_pages = 4095;
        v = tu_world(&o);
        assert_true(xmm_world_digest(v) != xmm_world_digest(w));
        tu_world_free(v);
    }
    tu_world_free(w);
}

/* --- allocation accounting ------------------------------------------------ */

static void test_alloc_counters(void **state)
{
    struct xmm_mmio_region r = { xmm_mfn(0x1000), 4, "dev" };
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;
    struct tu_alloc *a;
    uint64_t n0;

    (void)state;
    w = tu_world(&o);
    n0 = xmm_world_blocks_live(w);
    /* History ring, frame table, rmap at least. */
    assert_true(n0 >= 3);
    tu_world_free(w);
    o.mmio = &r;
    o.mmio_count = 1;
    w = tu_world(&o);
    a = tu_world_alloc(w);
    /* The allocator sees the world struct, the world does not count it. */
    assert_int_equal(a->live_blocks, xmm_world_blocks_live(w) + 1);
    assert_int_equal(a->live_bytes, xmm_world_bytes_live(w) + sizeof(struct xmm_world));
    /* The mmio array and the region's name. */
    assert_int_equal(xmm_world_blocks_live(w), n0 + 2);
    assert_int_equal(xmm_world_alloc_failures(w), 0);
    tu_domain(w, 1, 16);
    n0 = xmm_world_alloc_count(w);
    /* First mapping: node pool + root + 3 nodes + the leaf directory.  Fail the third. */
    xmm_world_fail_alloc(w, 3, false);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0), 1), -XMM_ENOMEM);
    assert_int_equal(xmm_world_alloc_count(w), n0 + 3);
    assert_int_equal(xmm_world_alloc_failures(w), 1);
    /* Not sticky: the next attempt succeeds. */
    tu_populate(w, 1, 0, 1);
    assert_int_equal(xmm_world_alloc_count(w), n0 + 9); /* + the leaf directory */
    assert_int_equal(xmm_world_alloc_failures(w), 1);
    assert_int_equal(a->live_blocks, xmm_world_blocks_live(w) + 1);
    /* Sticky: everything fails until turned off. */
    xmm_world_fail_alloc(w, 1, true);
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(UINT64_C(1) << 30), 1), -XMM_ENOMEM);
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(UINT64_C(1) << 30), 1), -XMM_ENOMEM);
    assert_rc(xmm_domain_create(w, 2, NULL), -XMM_ENOMEM);
    assert_int_equal(xmm_world_alloc_failures(w), 4);
    /* No allocation needed (node exists): succeeds even now. */
    tu_populate(w, 1, 1, 1);
    xmm_world_fail_alloc(w, 0, false);
    assert_rc(xmm_domain_create(w, 2, NULL), 0);
    assert_int_equal(xmm_world_alloc_failures(w), 4);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- names ---------------------------------------------------------------- */

/*
 * xmm_world_clone takes its copies from the allocator's alloc_raw when it
 * has one, and a new world its frame table, change sets and event ring,
 * and the P2M its nodes: blocks of any content (here filled with 0xa5),
 * which the model must write before reading.  A world built that way
 * digests and checks as one built from zeroed memory; the copy digests,
 * checks and behaves as the original, and every block goes back with the
 * right size.
 */
static uint64_t raw_calls;

static void *raw_alloc(void *ctx, size_t size)
{
    struct xmm_allocator t = tu_allocator(ctx);
    void *p = t.alloc(ctx, size);

    raw_calls++;
    if (p)
        memset(p, 0xa5, size);
    return p;
}

static void test_clone_alloc_raw(void **state)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_world *w, *c;
    struct tu_alloc ta;

    (void)state;
    tu_alloc_init(&ta);
    o.allocator = tu_allocator(&ta);
    o.allocator.alloc_raw = raw_alloc;
    assert_int_equal(xmm_world_new(&o, &w), 0);
    assert_true(raw_calls > 0);
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x100, 8);
    o.allocator = tu_allocator(&ta); /* zeroed blocks only: the same world */
    assert_int_equal(xmm_world_new(&o, &c), 0);
    tu_domain(c, 1, 64);
    tu_populate(c, 1, 0x100, 8);
    assert_int_equal(xmm_world_digest(c), xmm_world_digest(w));
    assert_int_equal(xmm_check_incremental(w, NULL), 0);
    assert_int_equal(xmm_check_full(w, NULL), 0);
    xmm_world_free(c);
    raw_calls = 0;
    assert_rc(xmm_world_clone(w, &c), 0);
    assert_true(raw_calls > 0);
    assert_int_equal(xmm_world_digest(c), xmm_world_digest(w));
    assert_int_equal(xmm_check_full(c, NULL), 0);
    assert_rc(xmm_physmap_populate(c, 1, xmm_gfn(0x200), 2), 0);
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(0x200), 2), 0);
    assert_int_equal(xmm_world_digest(c), xmm_world_digest(w));
    xmm_world_free(c);
    xmm_world_free(w);
    assert_int_equal(ta.live_blocks, 0);
    assert_int_equal(ta.size_mismatches, 0);
    assert_int_equal(ta.bad_frees, 0);
}

static void test_rc_names(void **state)
{
    static const struct {
        enum xmm_rc_family fam;
        int rc;
        const char *name;
    } t[] = {
        { XMM_RC_ERRNO, 0, "OK" },
        { XMM_RC_ERRNO, -XMM_EPERM, "EPERM" },
        { XMM_RC_ERRNO, -XMM_ENOENT, "ENOENT" },
        { XMM_RC_ERRNO, -XMM_ESRCH, "ESRCH" },
        { XMM_RC_ERRNO, -XMM_E2BIG, "E2BIG" },
        { XMM_RC_ERRNO, -XMM_EAGAIN, "EAGAIN" },
        { XMM_RC_ERRNO, -XMM_ENOMEM, "ENOMEM" },
        { XMM_RC_ERRNO, -XMM_EACCES, "EACCES" },
        { XMM_RC_ERRNO, -XMM_EBUSY, "EBUSY" },
        { XMM_RC_ERRNO, -XMM_EEXIST, "EEXIST" },
        { XMM_RC_ERRNO, -XMM_EINVAL, "EINVAL" },
        { XMM_RC_ERRNO, -XMM_ENOSPC, "ENOSPC" },
        { XMM_RC_ERRNO, -XMM_ENOSYS, "ENOSYS" },
        { XMM_RC_ERRNO, -XMM_EILSEQ, "EILSEQ" },
        { XMM_RC_ERRNO, -XMM_ERESTART, "ERESTART" },
        { XMM_RC_GNTST, XMM_GNTST_okay, "GNTST_okay" },
        { XMM_RC_GNTST, XMM_GNTST_general_error, "GNTST_general_error" },
        { XMM_RC_GNTST, XMM_GNTST_bad_domain, "GNTST_bad_domain" },
        { XMM_RC_GNTST, XMM_GNTST_bad_gntref, "GNTST_bad_gntref" },
        { XMM_RC_GNTST, XMM_GNTST_bad_handle, "GNTST_bad_handle" },
        { XMM_RC_GNTST, XMM_GNTST_bad_virt_addr, "GNTST_bad_virt_addr" },
        { XMM_RC_GNTST, XMM_GNTST_bad_dev_addr, "GNTST_bad_dev_addr" },
        { XMM_RC_GNTST, XMM_GNTST_no_device_space, "GNTST_no_device_space" },
        { XMM_RC_GNTST, XMM_GNTST_permission_denied, "GNTST_permission_denied" },
        { XMM_RC_GNTST, XMM_GNTST_bad_page, "GNTST_bad_page" },
        { XMM_RC_GNTST, XMM_GNTST_bad_copy_arg, "GNTST_bad_copy_arg" },
        { XMM_RC_GNTST, XMM_GNTST_address_too_big, "GNTST_address_too_big" },
        { XMM_RC_GNTST, XMM_GNTST_eagain, "GNTST_eagain" },
        { XMM_RC_GNTST, XMM_GNTST_no_space, "GNTST_no_space" },
        { XMM_RC_FFA, XMM_FFA_RET_OK, "FFA_RET_OK" },
        { XMM_RC_FFA, XMM_FFA_RET_NOT_SUPPORTED, "FFA_RET_NOT_SUPPORTED" },
        { XMM_RC_FFA, XMM_FFA_RET_INVALID_PARAMETERS, "FFA_RET_INVALID_PARAMETERS" },
        { XMM_RC_FFA, XMM_FFA_RET_NO_MEMORY, "FFA_RET_NO_MEMORY" },
        { XMM_RC_FFA, XMM_FFA_RET_BUSY, "FFA_RET_BUSY" },
        { XMM_RC_FFA, XMM_FFA_RET_INTERRUPTED, "FFA_RET_INTERRUPTED" },
        { XMM_RC_FFA, XMM_FFA_RET_DENIED, "FFA_RET_DENIED" },
        { XMM_RC_FFA, XMM_FFA_RET_RETRY, "FFA_RET_RETRY" },
        { XMM_RC_FFA, XMM_FFA_RET_ABORTED, "FFA_RET_ABORTED" },
        { XMM_RC_FFA, XMM_FFA_RET_NO_DATA, "FFA_RET_NO_DATA" },
    };
    enum xmm_rc_family fam;
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_string_equal(xmm_rc_name(t[i].fam, t[i].rc), t[i].name);
        fam = (enum xmm_rc_family)99;
        rc = 12345;
        assert_rc(xmm_rc_parse(t[i].name, &fam, &rc), 0);
        assert_int_equal(fam, t[i].fam);
        assert_int_equal(rc, t[i].rc);
    }
    /* The families overlap numerically; the family picks the name. */
    assert_string_equal(xmm_rc_name(XMM_RC_ERRNO, -1), "EPERM");
    assert_string_equal(xmm_rc_name(XMM_RC_GNTST, -1), "GNTST_general_error");
    assert_string_equal(xmm_rc_name(XMM_RC_FFA, -1), "FFA_RET_NOT_SUPPORTED");
    assert_string_equal(xmm_strerror(-XMM_EEXIST), "EEXIST");
    assert_string_equal(xmm_strerror(-999), "E?");
    assert_string_equal(xmm_strerror(5), "E?");
    assert_string_equal(xmm_rc_name(XMM_RC_GNTST, -99), "GNTST_?");
    assert_string_equal(xmm_rc_name(XMM_RC_FFA, 3), "FFA_RET_?");
    fam = XMM_RC_FFA;
    rc = 7;
    assert_rc(xmm_rc_parse("EWHATEVER", &fam, &rc), -XMM_EINVAL);
    assert_rc(xmm_rc_parse("", &fam, &rc), -XMM_EINVAL);
    assert_rc(xmm_rc_parse("einval", &fam, &rc), -XMM_EINVAL);
    assert_rc(xmm_rc_parse("GNTST_?", &fam, &rc), -XMM_EINVAL);
    assert_int_equal(fam, XMM_RC_FFA);
    assert_int_equal(rc, 7);
}

static void test_type_names(void **state)
{
    enum xmm_p2m_type t;

    (void)state;
    for (int i = 0; i < XMM_P2M_TYPE_COUNT; i++) {
        const char *n = xmm_p2m_type_name((enum xmm_p2m_type)i);

        assert_true(strcmp(n, "?") != 0);
        t = XMM_P2M_TYPE_COUNT;
        assert_rc(xmm_p2m_type_parse(n, &t), 0);
        assert_int_equal(t, i);
    }
    assert_string_equal(xmm_p2m_type_name(XMM_P2M_INVALID), "absent");
    assert_string_equal(xmm_p2m_type_name(XMM_P2M_MAP_FOREIGN_RO), "map_foreign_ro");
    assert_string_equal(xmm_p2m_type_name(XMM_P2M_TYPE_COUNT), "?");
    t = XMM_P2M_RAM_RW;
    assert_rc(xmm_p2m_type_parse("invalid", &t), 0);
    assert_int_equal(t, XMM_P2M_INVALID);
    t = XMM_P2M_RAM_RW;
    assert_rc(xmm_p2m_type_parse("ram", &t), -XMM_EINVAL);
    assert_rc(xmm_p2m_type_parse("RAM_RW", &t), -XMM_EINVAL);
    assert_rc(xmm_p2m_type_parse("", &t), -XMM_EINVAL);
    assert_int_equal(t, XMM_P2M_RAM_RW);
    /* Classification helpers. */
    assert_true(xmm_p2m_is_ram(XMM_P2M_RAM_RO));
    assert_false(xmm_p2m_is_ram(XMM_P2M_MAP_FOREIGN_RW));
    assert_true(xmm_p2m_is_writable(XMM_P2M_MMIO_DIRECT_C));
    assert_false(xmm_p2m_is_writable(XMM_P2M_GRANT_MAP_RO));
}

static void test_invariant_names(void **state)
{
    enum xmm_invariant inv;

    (void)state;
    for (int i = 0; i < XMM_INV_COUNT; i++) {
        const char *n = xmm_invariant_name((enum xmm_invariant)i);

        assert_true(strcmp(n, "?") != 0);
        inv = XMM_INV_COUNT;
        assert_rc(xmm_invariant_parse(n, &inv), 0);
        assert_int_equal(inv, i);
    }
    assert_string_equal(xmm_invariant_name(XMM_INV_FREE_CLEAN), "free_clean");
    assert_string_equal(xmm_invariant_name(XMM_INV_COUNT), "?");
    inv = XMM_INV_REFCOUNT;
    assert_rc(xmm_invariant_parse("free-clean", &inv), -XMM_EINVAL);
    assert_rc(xmm_invariant_parse("?", &inv), -XMM_EINVAL);
    assert_int_equal(inv, XMM_INV_REFCOUNT);
    assert_string_equal(xmm_domain_state_name(XMM_DOMAIN_ZOMBIE), "zombie");
    assert_string_equal(xmm_domain_state_name(XMM_DOMAIN_GONE), "gone");
    assert_string_equal(xmm_domain_state_name((enum xmm_domain_state)77), "gone");
    assert_string_equal(xmm_event_kind_name(XMM_EV_MAP), "map");
    assert_string_equal(xmm_event_kind_name((enum xmm_event_kind)0), "?");
    assert_string_equal(xmm_event_kind_name(XMM_EV_KIND_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_ram),
        cmocka_unit_test(test_opts_mmio),
        cmocka_unit_test(test_opts_defaults),
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_many),
        cmocka_unit_test(test_timer_cancel),
        cmocka_unit_test(test_timer_rearm),
        cmocka_unit_test(test_prng),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_digest_is_state),
        cmocka_unit_test(test_alloc_counters),
        cmocka_unit_test(test_clone_alloc_raw),
        cmocka_unit_test(test_rc_names),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_invariant_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
