/*
 * libxmm unit tests - differential check of the two checker modes.
 *
 * Thousands of seeded random API calls across a few domains, valid and
 * invalid arguments mixed.  After every call: the incremental check and the
 * full sweep both find nothing; a call that failed left the digest (and the
 * rest of tu_state) unchanged; the digest kept up to date incrementally
 * equals the one recomputed from every frame.  The seed is printed and can
 * be replayed with XMM_TEST_SEED.
 *
 * Each run is made under both physmap_overwrite values.  Under `replace`
 * one call is left out: a map_foreign of the frame a foreign entry at the
 * target gfn already maps, where upstream keeps both references and so
 * leaks one (a finding, scenarios/foundation/overwrite-replace-foreign-leak.yaml).
 * Grant mappings (often of the mapper's own grant, often removed at once
 * with remove_physmap) and unmaps through their handles are mixed in; the
 * maptrack entry, not the P2M entry, holds the reference.
 *
 * Two more runs mix in, one call in eight, the fuzz trace's op table
 * (tests/fuzz/trace_ops.c), fed with bytes from a second seeded stream, on
 * a host with the trace's MMIO region, IOMMU device and two partitions:
 * every op the trace knows (FF-A, IOMMU, shared_info, MPU, queries, calls
 * under a failing allocator, ...) runs here too, and an op added there is
 * added here.  The calls of one_call below are this test's own shaping of
 * the world (populate and map often, grant then map at once, repeat the
 * last call verbatim), which uniform bytes through the trace's pickers
 * reach far less often; the four runs without the trace are as they were.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "trace.h"

#define NDOM 6     /* ids 0..5; 5 is never created (ESRCH paths) */
#define NXEN 16    /* xenheap frames the test keeps track of */
#define NTIMER 8
#define RAM 2048
#define NGH 16     /* grant handles the test keeps track of */
#define CHUNK 4096 /* random bytes drawn at a time for the trace's calls */

struct targ {
    xmm_domid_t dom;
    uint64_t gfn;
    int ran;
};

struct rig {
    struct xmm_world *w;
    uint64_t rs, seed;
    int step;
    char what[400];
    xmm_mfn_t xen[NXEN];
    int nxen;
    struct targ targs[NTIMER];
    bool toolstack;
    bool replace; /* physmap_overwrite: replace */
    /* The last map or populate that succeeded, to issue again verbatim. */
    int last_kind; /* 0 none, 1 populate, 2 map_foreign, 3 map_mmio */
    xmm_domid_t last_d, last_e;
    uint64_t last_g, last_fg, last_n;
    /* Grant mappings made, to unmap later (may go stale: bad_handle). */
    struct { xmm_domid_t dom; xmm_grant_handle_t h; } gh[NGH];
    int ngh;
    uint64_t own_removed; /* own grant mappings removed with remove_physmap */
    struct trace *t;      /* the trace's memory of its calls, and its input */
    uint64_t ts;          /* the trace's own stream: this test's calls stay as they were */
    uint8_t bytes[2 * CHUNK];
    uint64_t trace_calls[2]; /* failed, succeeded */
};

static uint64_t rnd(struct rig *r, uint64_t n) { return n ? tu_rand(&r->rs) % n : 0; }

static xmm_domid_t pick_dom(struct rig *r)
{
    if (rnd(r, 50) == 0)
        return XMM_DOMID_XEN;
    return (xmm_domid_t)rnd(r, NDOM);
}

/* gfns that collide often, straddle node boundaries, and sometimes are invalid. */
static uint64_t pick_gfn(struct rig *r, xmm_domid_t dom)
{
    static const uint64_t bases[] = { 0, 0x1f0, 0x3fff0, 0x40000 + RAM - 16 };
    uint64_t k = rnd(r, 40);

    if (k == 0)
        return XMM_FRAME_LIMIT - rnd(r, 3);
    if (k == 1)
        return XMM_FRAME_LIMIT + rnd(r, 3);
    if (k < 6 && r->toolstack) {
        struct xmm_saferange_info si;

        if (xmm_saferange_info(r->w, dom, &si) == 0 && si.range.pages)
            return xmm_gfn_x(si.range.gfn) + rnd(r, 24);
    }
    return bases[rnd(r, 4)] + rnd(r, 32);
}

/* Where a grant mapping goes: the safe range if the domain has one, else a quiet area. */
static uint64_t pick_map_gfn(struct rig *r, xmm_domid_t dom)
{
    struct xmm_saferange_info si;

    if (rnd(r, 8) == 0)
        return pick_gfn(r, dom);
    if (r->toolstack && xmm_saferange_info(r->w, dom, &si) == 0 && si.range.pages)
        return xmm_gfn_x(si.range.gfn) + rnd(r, 24);
    return 0x7f000 + rnd(r, 24);
}

static uint64_t pick_pages(struct rig *r)
{
    uint64_t k = rnd(r, 20);

    if (k == 0)
        return 0;
    if (k == 1)
        return 300 + rnd(r, 400);
    return 1 + rnd(r, 12);
}

/* Keep a successful call's arguments for a later verbatim repeat. */
static int remember(struct rig *r, int kind, xmm_domid_t d, uint64_t g, xmm_domid_t e,
                    uint64_t fg, uint64_t n, int rc)
{
    if (rc == 0) {
        r->last_kind = kind;
        r->last_d = d;
        r->last_g = g;
        r->last_e = e;
        r->last_fg = fg;
        r->last_n = n;
    }
    return rc;
}

/*
 * Under `replace`, would map_foreign(d, g <- e, fg) rewrite a foreign entry
 * with the frame it already maps?  (Upstream's leak: see the header.)
 */
static bool foreign_same_frame(struct rig *r, xmm_domid_t d, uint64_t g, xmm_domid_t e,
                               uint64_t fg)
{
    struct xmm_p2m_entry to, from;

    if (!r->replace || xmm_p2m_lookup(r->w, d, xmm_gfn(g), &to) != 0 ||
        xmm_p2m_lookup(r->w, e, xmm_gfn(fg), &from) != 0)
        return false;
    return xmm_p2m_is_foreign(to.type) && xmm_mfn_eq(to.mfn, from.mfn);
}

/* Keep at least CHUNK random bytes ahead of the trace (an op reads a few dozen at most). */
static void refill(struct rig *r)
{
    struct input *in = &r->t->in;
    size_t left = in->n;

    if (left >= CHUNK)
        return;
    if (left)
        memmove(r->bytes, in->p, left);
    for (size_t i = left; i < sizeof(r->bytes); i += sizeof(uint64_t)) {
        uint64_t v = tu_rand(&r->ts);
        size_t n = sizeof(r->bytes) - i < sizeof(v) ? sizeof(r->bytes) - i : sizeof(v);

        memcpy(r->bytes + i, &v, n);
    }
    in->p = r->bytes;
    in->n = sizeof(r->bytes);
}

/* One call of the fuzz trace's op table; its atomicity and read-only rules are the trace's. */
static int trace_call(struct rig *r, bool *atomic, bool *readonly)
{
    struct trace *t = r->t;
    int rc;

    refill(r);
    t->call++;
    t->fam = XMM_RC_ERRNO;
    t->atomic = true;
    t->readonly = false;
    t->note = "";
    rc = trace_ops[in_u8(&t->in) % trace_op_count].fn(t);
    snprintf(r->what, sizeof(r->what), "trace: %s%s -> %s", t->what, t->note,
             xmm_rc_name(t->fam, rc));
    *atomic = t->atomic;
    *readonly = t->readonly;
    r->trace_calls[rc == 0]++;
    return rc;
}

static void timer_cb(struct xmm_world *w, void *arg)
{
    struct targ *t = arg;

    /* A populate from timer context: may fail, must keep the world sound. */
    t->ran++;
    (void)xmm_physmap_populate(w, t->dom, xmm_gfn(t->gfn), 1);
}

static void create(struct rig *r, xmm_domid_t d)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = rnd(r, 700);
    o.direct_map = rnd(r, 5) == 0;
    if (r->toolstack && rnd(r, 4) == 0)
        o.safe_range = XMM_SAFE_RANGE_OFF;
    snprintf(r->what, sizeof(r->what), "create d%u max %" PRIu64 "%s", (unsigned)d, o.max_pages,
             o.direct_map ? " direct" : "");
    (void)xmm_domain_create(r->w, d, &o);
}

/* One random call; returns its rc and whether a failure must change nothing. */
static int one_call(struct rig *r, bool *atomic)
{
    struct xmm_world *w = r->w;
    xmm_domid_t d = pick_dom(r), e = pick_dom(r);
    uint64_t g = pick_gfn(r, d), n = pick_pages(r);
    uint32_t calls;
    xmm_gfn_t first;
    int op = (int)rnd(r, 100);

    *atomic = true;
    if (op < 4 && r->last_kind) {
        /* The same call again: idempotence and replacement paths. */
        snprintf(r->what, sizeof(r->what), "repeat kind %d d%u %#" PRIx64 " <- d%u %#" PRIx64,
                 r->last_kind, r->last_d, r->last_g, r->last_e, r->last_fg);
        if (r->last_kind == 1)
            return xmm_physmap_populate(w, r->last_d, xmm_gfn(r->last_g), r->last_n);
        if (r->last_kind == 2 && foreign_same_frame(r, r->last_d, r->last_g, r->last_e, r->last_fg))
            return 0;
        if (r->last_kind == 2)
            return xmm_physmap_map_foreign(w, r->last_d, xmm_gfn(r->last_g), r->last_e,
                                           xmm_gfn(r->last_fg));
        return xmm_physmap_map_mmio(w, r->last_d, xmm_gfn(r->last_g), xmm_mfn(r->last_fg),
                                    r->last_n);
    }
    if (op < 8) {
        create(r, d == NDOM - 1 ? 0 : d);
        return 0;
    }
    if (op < 30) {
        snprintf(r->what, sizeof(r->what), "populate d%u %#" PRIx64 " +%" PRIu64, d, g, n);
        return remember(r, 1, d, g, 0, 0, n, xmm_physmap_populate(w, d, xmm_gfn(g), n));
    }
    if (op < 34) {
        snprintf(r->what, sizeof(r->what), "populate_direct d%u +%" PRIu64, d, n);
        return xmm_physmap_populate_direct(w, d, n, &first);
    }
    if (op < 44) {
        n = 1 + rnd(r, 6);
        snprintf(r->what, sizeof(r->what), "decrease d%u %#" PRIx64 " +%" PRIu64, d, g, n);
        return xmm_physmap_decrease(w, d, xmm_gfn(g), n);
    }
    if (op < 58) {
        uint64_t fg = pick_gfn(r, e);

        snprintf(r->what, sizeof(r->what), "map_foreign d%u %#" PRIx64 " <- d%u %#" PRIx64, d,
                 g, e, fg);
        if (foreign_same_frame(r, d, g, e, fg))
            return 0;
        return remember(r, 2, d, g, e, fg, 1,
                        xmm_physmap_map_foreign(w, d, xmm_gfn(g), e, xmm_gfn(fg)));
    }
    if (op < 63) {
        uint64_t m = rnd(r, 4) ? 0x1000 + rnd(r, 20) : 0x40000 + rnd(r, RAM);

        n = 1 + rnd(r, 8);
        snprintf(r->what, sizeof(r->what), "map_mmio d%u %#" PRIx64 " mfn %#" PRIx64 " +%" PRIu64,
                 d, g, m, n);
        return remember(r, 3, d, g, 0, m, n, xmm_physmap_map_mmio(w, d, xmm_gfn(g), xmm_mfn(m), n));
    }
    if (op < 66) {
        /*
         * Grant a page (mostly to the granter itself) and map it; an own
         * mapping is often removed at once with remove_physmap, which
         * leaves the maptrack entry holding the reference.
         */
        xmm_domid_t from = rnd(r, 3) ? d : e;
        uint64_t fg = pick_gfn(r, from);
        struct xmm_p2m_entry pe;

        /* Mostly a gfn that maps RAM (a few tries), so that the map can work. */
        for (int k = 0; k < 8 && (xmm_p2m_lookup(w, from, xmm_gfn(fg), &pe) != 0 ||
                                  !xmm_p2m_is_ram(pe.type));
             k++)
            fg = pick_gfn(r, from);
        g = pick_map_gfn(r, d);
        xmm_grant_ref_t ref = (xmm_grant_ref_t)rnd(r, 16);
        xmm_grant_handle_t h;
        int rc;

        *atomic = false;
        snprintf(r->what, sizeof(r->what), "grant d%u ref %u %#" PRIx64 " -> map d%u %#" PRIx64,
                 from, ref, fg, d, g);
        rc = xmm_gnttab_grant(w, from, ref, d, xmm_gfn(fg), rnd(r, 4) == 0);
        if (rc)
            return rc;
        rc = xmm_gnttab_map(w, d, from, ref, xmm_gfn(g), rnd(r, 2) == 0, &h);
        if (rc != XMM_GNTST_okay)
            return rc;
        if (r->ngh < NGH) {
            r->gh[r->ngh].dom = d;
            r->gh[r->ngh++].h = h;
        }
        if (from == d && rnd(r, 2)) {
            rc = xmm_physmap_remove(w, d, xmm_gfn(g));
            r->own_removed += rc == 0;
        }
        return rc;
    }
    if (op < 68) {
        int i = (int)rnd(r, (uint64_t)r->ngh + 1);

        *atomic = false;
        if (i == r->ngh)
            return 0;
        snprintf(r->what, sizeof(r->what), "grant_unmap d%u handle %u", r->gh[i].dom,
                 (unsigned)r->gh[i].h);
        d = r->gh[i].dom;
        n = r->gh[i].h;
        r->gh[i] = r->gh[--r->ngh];
        return xmm_gnttab_unmap(w, d, (xmm_grant_handle_t)n);
    }
    if (op < 73) {
        snprintf(r->what, sizeof(r->what), "remove d%u %#" PRIx64, d, g);
        return xmm_physmap_remove(w, d, xmm_gfn(g));
    }
    if (op < 77) {
        *atomic = false; /* a preempted kill makes progress */
        snprintf(r->what, sizeof(r->what), "kill d%u", d);
        return xmm_domain_kill(w, d);
    }
    if (op < 80) {
        uint32_t budget = 1 + (uint32_t)rnd(r, 4);

        *atomic = false;
        snprintf(r->what, sizeof(r->what), "destroy d%u budget %u", d, budget);
        return xmm_domain_destroy(w, d, budget, &calls);
    }
    if (op < 85) {
        *atomic = false;
        snprintf(r->what, sizeof(r->what), "advance");
        return xmm_world_advance(w, 1 + rnd(r, 3));
    }
    if (op < 88) {
        struct targ *t = &r->targs[rnd(r, NTIMER)];

        xmm_timer_cancel_arg(w, t);
        t->dom = d;
        t->gfn = g;
        *atomic = false;
        snprintf(r->what, sizeof(r->what), "timer populate d%u %#" PRIx64, d, g);
        return xmm_timer_arm(w, 1 + rnd(r, 4), timer_cb, t, NULL);
    }
    if (op < 92) {
        xmm_mfn_t x;
        int rc;

        if (r->nxen == NXEN)
            return 0;
        snprintf(r->what, sizeof(r->what), "xenheap alloc");
        rc = xmm_xenheap_alloc(w, &x);
        if (rc == 0)
            r->xen[r->nxen++] = x;
        return rc;
    }
    if (r->nxen) {
        int i = (int)rnd(r, (uint64_t)r->nxen);
        xmm_mfn_t x = r->xen[i];
        int rc;

        if (op < 95) {
            snprintf(r->what, sizeof(r->what), "xenheap share %#" PRIx64 " d%u", xmm_mfn_x(x), d);
            return xmm_xenheap_share(w, x, d, rnd(r, 2));
        }
        if (op < 98) {
            snprintf(r->what, sizeof(r->what), "xenheap unshare %#" PRIx64, xmm_mfn_x(x));
            /* Only ever a xenheap frame: its allocation reference is the share. */
            return xmm_page_put_alloc_ref(w, x);
        }
        snprintf(r->what, sizeof(r->what), "xenheap free %#" PRIx64, xmm_mfn_x(x));
        rc = xmm_xenheap_free(w, x);
        if (rc == 0)
            r->xen[i] = r->xen[--r->nxen];
        return rc;
    }
    return 0;
}

static void check_step(struct rig *r, int rc, bool atomic, bool readonly, uint64_t dig,
                       uint64_t st)
{
    struct xmm_world *w = r->w;
    struct xmm_check_report rep;
    int full;
    uint32_t inc;
    uint64_t d1, d2;

    if (readonly && xmm_world_digest(w) != dig) {
        print_error("seed %#" PRIx64 " step %d: read-only %s changed the digest\n", r->seed,
                    r->step, r->what);
        fail();
    }
    if (rc != 0 && atomic && (xmm_world_digest(w) != dig || tu_state(w) != st)) {
        print_error("seed %#" PRIx64 " step %d: %s failed with %s but changed the world\n",
                    r->seed, r->step, r->what, xmm_strerror(rc));
        fail();
    }
    full = xmm_check_full(w, &rep);
    if (full != 0) {
        print_error("seed %#" PRIx64 " step %d: after %s (%s):\n", r->seed, r->step, r->what,
                    xmm_strerror(rc));
        tu_print_report("full sweep", &rep);
        fail();
    }
    inc = xmm_check_incremental(w, &rep);
    if (inc != 0) {
        print_error("seed %#" PRIx64 " step %d: after %s (%s):\n", r->seed, r->step, r->what,
                    xmm_strerror(rc));
        tu_print_report("incremental", &rep);
        fail();
    }
    /* The incrementally kept digest equals one recomputed from every frame. */
    d1 = xmm_world_digest(w);
    w->dirty_overflow = true;
    d2 = xmm_world_digest(w);
    w->dirty_overflow = false;
    if (d1 != d2) {
        print_error("seed %#" PRIx64 " step %d: after %s the kept digest is stale\n", r->seed,
                    r->step, r->what);
        fail();
    }
}

/* trace_every: one call in that many from the trace's op table (0: none). */
static void run(uint64_t seed, bool toolstack, bool replace, int steps, unsigned trace_every)
{
    struct xmm_world_opts o = toolstack ? tu_opts() : tu_opts_upstream();
    /* With the trace: its MMIO region (it starts where this test's does) and IOMMU device. */
    const struct xmm_mmio_region mmio = { { TR_MMIO_BASE }, trace_every ? TR_MMIO_PAGES : 16,
                                          "dev" };
    const struct xmm_iommu_device dev = { TR_DEV, true };
    static struct rig r; /* ~9 KiB of bytes: keep them off the stack */
    static struct trace t;
    uint64_t counts[2] = { 0, 0 }, replaced = 0;
    struct xmm_sp_config sp[2];

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    r = (struct rig){ .rs = seed, .seed = seed, .toolstack = toolstack, .replace = replace,
                      .t = &t, .ts = seed ^ UINT64_C(0x7472616365) };
    t.note = "";
    t.ram_pages = RAM;
    o.ram_pages = RAM;
    o.mmio = &mmio;
    o.mmio_count = 1;
    o.seed = seed;
    o.history_events = 1024;
    o.policy.physmap_overwrite = replace ? XMM_PHYSMAP_OVERWRITE_REPLACE
                                         : XMM_PHYSMAP_OVERWRITE_REFUSE;
    if (trace_every) {
        o.iommu.devices = &dev;
        o.iommu.device_count = 1;
    }
    r.w = t.w = tu_world(&o);
    memset(sp, 0, sizeof(sp));
    sp[0].id = TR_SP1;
    sp[0].subscribe_vm_destroyed = true;
    sp[1].id = TR_SP2;
    sp[1].relinquish = XMM_SP_RELINQUISH_AFTER;
    sp[1].relinquish_after = 30;
    if (trace_every)
        assert_rc(xmm_spmc_stub_attach(r.w, sp, 2), 0);
    for (r.step = 0; r.step < steps; r.step++) {
        uint64_t dig = xmm_world_digest(r.w), st = tu_state(r.w);
        bool atomic, readonly = false, traced = trace_every && tu_rand(&r.ts) % trace_every == 0;
        int rc;

        uint64_t entries = 0;

        for (xmm_domid_t d = 0; d < NDOM; d++)
            entries += xmm_p2m_entry_count(r.w, d);
        xmm_world_set_step(r.w, (uint32_t)r.step);
        r.what[0] = '\0';
        rc = traced ? trace_call(&r, &atomic, &readonly) : one_call(&r, &atomic);
        counts[rc == 0]++;
        /* A successful populate / map_mmio that added fewer leaves overwrote some. */
        if (!traced && rc == 0 && (strncmp(r.what, "populate d", 10) == 0 ||
                        strncmp(r.what, "map_mmio", 8) == 0)) {
            uint64_t now = 0;

            for (xmm_domid_t d = 0; d < NDOM; d++)
                now += xmm_p2m_entry_count(r.w, d);
            replaced += now - entries < r.last_n;
        }
        check_step(&r, rc, atomic, readonly, dig, st);
    }
    /* Both outcomes were exercised, in quantity. */
    print_message("%s%s: %" PRIu64 " calls succeeded, %" PRIu64 " failed (of the trace's: %" PRIu64
                  ", %" PRIu64 "), %" PRIu64 " overwrote entries, %" PRIu64
                  " own grant mappings removed, %zu domains left\n",
                  toolstack ? "toolstack" : "upstream", replace ? " replace" : "", counts[1],
                  counts[0], r.trace_calls[1], r.trace_calls[0], replaced, r.own_removed,
                  xmm_domain_count(r.w));
    if (trace_every)
        assert_true(r.trace_calls[0] > 0 && r.trace_calls[1] > 0);
    assert_true(counts[0] > (uint64_t)steps / 10);
    assert_true(counts[1] > (uint64_t)steps / 10);
    /* The own-grant remove_physmap path was taken (by this test's calls or the trace's). */
    assert_true(r.own_removed + t.grant_removed > 0);
    /* Overwrites happen under replace, never under refuse. */
    assert_true(replace ? replaced > 0 : replaced == 0);
    /*
     * Tear everything down: the world ends clean and empty.  The trace's
     * calls may hold domain references and leave domains with other ids;
     * FF-A shares and device-TLB invalidations need the clock to settle.
     */
    for (int round = 0; round < 4 && xmm_domain_count(r.w); round++) {
        for (size_t i = xmm_domain_count(r.w); i-- > 0;) {
            xmm_domid_t d = xmm_domain_id_at(r.w, i);

            while (xmm_domain_put(r.w, d) == 0)
                ;
            if (xmm_domain_state(r.w, d) != XMM_DOMAIN_GONE)
                assert_rc(xmm_domain_destroy(r.w, d, 100000, NULL), 0);
        }
        assert_rc(xmm_world_advance(r.w, 3000), 0);
    }
    assert_int_equal(xmm_domain_count(r.w), 0);
    assert_world_clean(r.w);
    tu_world_free(r.w);
}

static void test_random_upstream(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0001), false, false, 30000, 0);
}

static void test_random_upstream_replace(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0003), false, true, 20000, 0);
}

static void test_random_toolstack_replace(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0004), true, true, 10000, 0);
}

static void test_random_toolstack(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0002), true, false, 20000, 0);
}

static void test_random_trace_toolstack(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0005), true, false, 20000, 8);
}

static void test_random_trace_upstream_replace(void **state)
{
    (void)state;
    run(tu_seed(0xd1ff0006), false, true, 20000, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_upstream),
        cmocka_unit_test(test_random_toolstack),
        cmocka_unit_test(test_random_upstream_replace),
        cmocka_unit_test(test_random_toolstack_replace),
        cmocka_unit_test(test_random_trace_toolstack),
        cmocka_unit_test(test_random_trace_upstream_replace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
