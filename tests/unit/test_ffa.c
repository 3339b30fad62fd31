/*
 * FF-A: the scripted SPMC's state machine, the mediator's error paths, a
 * user SPMC plugged through the ops table, and guest-destroy teardown under
 * every policy (seed 000).
 */
#include <string.h>

#include "testutil.h"

#define GUEST 1
#define OTHER 2
#define SP_A 0x8001
#define SP_B 0x8002
#define RAM0 0x40000

struct fixture {
    enum xmm_ffa_teardown_policy teardown;
    enum xmm_ffa_vm_destroyed_policy vmd;
    enum xmm_ffa_refused_policy refused;
    enum xmm_alloc_mode alloc;
    struct xmm_sp_config sp[2];
    uint32_t sp_count;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->sp[0].id = SP_A;
    f->sp[0].subscribe_vm_destroyed = true;
    f->sp[1].id = SP_B;
    f->sp[1].subscribe_vm_destroyed = true;
    f->sp_count = 2;
}

static void ffa_domain(struct xmm_world *w, xmm_domid_t dom, uint64_t pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = 64;
    o.ffa = true;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
    tu_populate(w, dom, RAM0, pages);
}

static struct xmm_world *make(const struct fixture *f)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;

    o.policy.ffa_teardown = f->teardown;
    o.policy.ffa_vm_destroyed = f->vmd;
    o.policy.ffa_refused = f->refused;
    o.alloc_mode = f->alloc;
    o.limits.ffa_retry_ticks = 10;
    o.limits.ffa_retry_limit = 3;
    w = tu_world(&o);
    assert_rc(xmm_spmc_stub_attach(w, f->sp, f->sp_count), 0);
    ffa_domain(w, GUEST, 16);
    return w;
}

static enum xmm_ffa_handle_state hstate(struct xmm_world *w, xmm_ffa_handle_t h)
{
    enum xmm_ffa_handle_state s;

    assert_rc(xmm_spmc_stub_handle_state(w, h, &s), 0);
    return s;
}

static void test_share_reclaim(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    xmm_mfn_t m;

    (void)state;
    fixture_init(&f);
    f.sp[0].retrieve = XMM_SP_RETRIEVE_MANUAL;
    f.sp[0].relinquish = XMM_SP_RELINQUISH_MANUAL;
    w = make(&f);
    m = tu_mfn_at(w, GUEST, RAM0 + 2);
    assert_int_equal(tu_dom(w, GUEST).refs, 2);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 2), 4, SP_A, &h), XMM_FFA_RET_OK);
    assert_false(h & XMM_FFA_HANDLE_HYP_BIT);
    assert_int_equal(tu_refcount(w, m), 2);
    assert_int_equal(tu_dom(w, GUEST).refs, 3); /* the first share's domain reference */
    assert_int_equal(xmm_ffa_share_count(w, GUEST), 1);
    assert_int_equal(hstate(w, h), XMM_FFA_SENT);
    assert_world_clean(w);

    /* retrieve, second retrieve, reclaim refused while retrieved, access */
    assert_int_equal(xmm_sp_retrieve(w, SP_A, h), XMM_FFA_RET_OK);
    assert_int_equal(xmm_sp_retrieve(w, SP_A, h), XMM_FFA_RET_DENIED);
    /* Hafnium: a retrieve by an SP that is not the receiver */
    assert_int_equal(xmm_sp_retrieve(w, SP_B, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_int_equal(xmm_sp_relinquish(w, SP_B, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_int_equal(xmm_sp_access(w, SP_A, h, 3, true), XMM_FFA_RET_OK);
    assert_int_equal(xmm_sp_access(w, SP_A, h, 4, true), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_int_equal(xmm_ffa_reclaim(w, GUEST, h), XMM_FFA_RET_DENIED);
    assert_world_clean(w);
    assert_int_equal(xmm_sp_relinquish(w, SP_A, h), XMM_FFA_RET_OK);
    /* Hafnium: relinquishing what is not retrieved (any more) */
    assert_int_equal(xmm_sp_relinquish(w, SP_A, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_int_equal(xmm_sp_access(w, SP_A, h, 0, false), XMM_FFA_RET_DENIED);
    assert_int_equal(xmm_ffa_reclaim(w, GUEST, h), XMM_FFA_RET_OK);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_int_equal(tu_dom(w, GUEST).refs, 2);
    assert_int_equal(xmm_ffa_reclaim(w, GUEST, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_int_equal(xmm_sp_retrieve(w, SP_A, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_share_errors(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    struct xmm_world *bare = tu_world(NULL);

    (void)state;
    tu_domain(bare, GUEST, 8);
    assert_int_equal(xmm_ffa_share(bare, GUEST, xmm_gfn(RAM0), 1, SP_A, &h),
                     XMM_FFA_RET_NOT_SUPPORTED);
    tu_world_free(bare);

    fixture_init(&f);
    w = make(&f);
    tu_domain(w, OTHER, 8); /* no FF-A context */
    tu_populate(w, OTHER, RAM0, 1);
    assert_rc(xmm_physmap_map_foreign(w, GUEST, xmm_gfn(0x90000), OTHER, xmm_gfn(RAM0)), 0);
    assert_err_unchanged(w, xmm_ffa_share(w, OTHER, xmm_gfn(RAM0), 1, SP_A, &h),
                         XMM_FFA_RET_NOT_SUPPORTED);
    assert_err_unchanged(w, xmm_ffa_share(w, 77, xmm_gfn(RAM0), 1, SP_A, &h),
                         XMM_FFA_RET_INVALID_PARAMETERS);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 1, 0x9999, &h),
                         XMM_FFA_RET_INVALID_PARAMETERS);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 0, SP_A, &h),
                         XMM_FFA_RET_INVALID_PARAMETERS);
    /* beyond the P2M: get_page_from_gfn finds nothing; past 2^64 bytes: a bad address */
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(XMM_FRAME_LIMIT - 1), 2, SP_A, &h),
                         XMM_FFA_RET_DENIED);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(UINT64_MAX >> 12), 2, SP_A, &h),
                         XMM_FFA_RET_DENIED);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(UINT64_MAX), 1, SP_A, &h),
                         XMM_FFA_RET_INVALID_PARAMETERS);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 257, SP_A, &h),
                         XMM_FFA_RET_NO_MEMORY);
    /* the mediator counts before the SPMC sees the share: an unknown SP too */
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 257, 0x9999, &h),
                         XMM_FFA_RET_NO_MEMORY);
    /* bit 15 clear: not a secure partition, whatever else is wrong */
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 0, 0x0001, &h),
                         XMM_FFA_RET_NOT_SUPPORTED);
    /* unmapped page, foreign (not ram_rw) page */
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 15), 2, SP_A, &h),
                         XMM_FFA_RET_DENIED);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(0x90000), 1, SP_A, &h),
                         XMM_FFA_RET_DENIED);
    tu_populate(w, GUEST, RAM0 + 16, 16);
    for (uint32_t i = 0; i < XMM_FFA_MAX_SHARES; i++)
        assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + i), 1, SP_A, &h), XMM_FFA_RET_OK);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 1, SP_A, &h),
                         XMM_FFA_RET_NO_MEMORY);
    assert_int_equal(xmm_ffa_reclaim(w, 77, h), XMM_FFA_RET_INVALID_PARAMETERS);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Hafnium refuses a page already in a live share, whoever it is shared with. */
static void test_share_overlap(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h1, h2;
    xmm_mfn_t m;

    (void)state;
    fixture_init(&f);
    f.sp[0].relinquish = XMM_SP_RELINQUISH_MANUAL;
    w = make(&f);
    m = tu_mfn_at(w, GUEST, RAM0 + 3);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 2), 4, SP_A, &h1), XMM_FFA_RET_OK);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 5), 2, SP_B, &h2),
                         XMM_FFA_RET_DENIED);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 3, SP_A, &h2),
                         XMM_FFA_RET_DENIED);
    assert_int_equal(tu_refcount(w, m), 2);
    /* the neighbours are free to share */
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 6), 2, SP_B, &h2), XMM_FFA_RET_OK);
    /* relinquished is not enough: the sender has it back only once reclaimed */
    assert_int_equal(xmm_sp_relinquish(w, SP_A, h1), XMM_FFA_RET_OK);
    assert_err_unchanged(w, xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 3), 1, SP_B, &h2),
                         XMM_FFA_RET_DENIED);
    assert_int_equal(xmm_ffa_reclaim(w, GUEST, h1), XMM_FFA_RET_OK);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 3), 1, SP_B, &h2), XMM_FFA_RET_OK);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Happy path: SPs relinquish on VM_DESTROYED, destroy completes, domain goes. */
static void test_teardown_clean(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    struct xmm_ffa_stats st;
    xmm_ffa_handle_t h;

    (void)state;
    fixture_init(&f);
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 4, SP_A, &h), XMM_FFA_RET_OK);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 4), 4, SP_B, &h), XMM_FFA_RET_OK);
    assert_int_equal(hstate(w, h), XMM_FFA_RETRIEVED);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    xmm_ffa_stats(w, &st);
    assert_int_equal(st.vm_destroyed_sent, 2);
    assert_int_equal(st.frames_parked, 0);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w));
    assert_world_clean(w);
    tu_world_free(w);
}

/* Deferred: a DMA-delayed relinquish keeps a zombie; the timer finishes the job. */
static void test_deferred_dma_delay(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    struct xmm_ffa_stats st;
    xmm_ffa_handle_t h;
    uint32_t calls;

    (void)state;
    fixture_init(&f);
    f.sp[0].relinquish = XMM_SP_RELINQUISH_AFTER;
    f.sp[0].relinquish_after = 15;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, &calls), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(tu_dom(w, GUEST).tot_pages, 2); /* only the lent pages remain */
    assert_world_clean(w);
    /* retry at tick 10 refused; the SP relinquishes at 15; retry at 20 succeeds */
    assert_rc(xmm_world_advance(w, 12), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_world_clean(w);
    assert_rc(xmm_world_advance(w, 8), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    xmm_ffa_stats(w, &st);
    assert_int_equal(st.last_teardown_reclaim_tick, 20);
    assert_int_equal(xmm_ffa_parked_frames(w), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Restart: the RFC; with an SP that never lets go the toolstack spins. */
static void test_restart_spins(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    uint32_t calls;

    (void)state;
    fixture_init(&f);
    f.teardown = XMM_FFA_TEARDOWN_RESTART;
    f.sp[0].relinquish = XMM_SP_RELINQUISH_NEVER;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 50, &calls), -XMM_ERESTART);
    assert_int_equal(calls, 50);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_DYING);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Park: after the retry limit only the refused frames stay; the domain goes. */
static void test_park(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    xmm_mfn_t m;

    (void)state;
    fixture_init(&f);
    f.sp[0].relinquish = XMM_SP_RELINQUISH_NEVER;
    w = make(&f);
    m = tu_mfn_at(w, GUEST, RAM0 + 1);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0 + 1), 3, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_rc(xmm_world_advance(w, 30), 0); /* retries 2 and 3 */
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_int_equal(xmm_ffa_parked_frames(w), 3);
    assert_int_equal(tu_frame(w, m).owner, XMM_DOMID_PARK);
    assert_int_equal(xmm_heap_free_pages(w), xmm_heap_total_pages(w) - 3);
    assert_world_clean(w);
    /* The SP may still touch what it refused; nobody else ever gets it. */
    assert_int_equal(xmm_sp_access(w, SP_A, h, 0, true), XMM_FFA_RET_OK);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Zombie: kept until the SP lets go; a permanent error waits for a second destroy. */
static void test_zombie_second_destroy(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;

    (void)state;
    fixture_init(&f);
    f.refused = XMM_FFA_REFUSED_ZOMBIE;
    f.sp[0].relinquish = XMM_SP_RELINQUISH_MANUAL;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_rc(xmm_world_advance(w, 200), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_world_clean(w);
    assert_int_equal(xmm_sp_relinquish(w, SP_A, h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0); /* retries at once */
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Leak (Xen today): a permanent reclaim error leaves a zombie forever. */
static void test_leak(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    struct xmm_ffa_stats st;
    xmm_ffa_handle_t h;

    (void)state;
    fixture_init(&f);
    f.refused = XMM_FFA_REFUSED_LEAK;
    f.sp[0].reclaim_error = XMM_FFA_RET_ABORTED;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_rc(xmm_world_advance(w, 500), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(xmm_ffa_share_count(w, GUEST), 0);
    assert_int_equal(tu_dom(w, GUEST).tot_pages, 2);
    xmm_ffa_stats(w, &st);
    assert_int_equal(st.frames_leaked, 2);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Settling a refused share needs no memory (issue 18, found by the
 * allocation-failure sweep): with every allocation failing from the
 * destroy on, `leak` under `restart` still drops the record at the first
 * domain_kill (BUSY is permanent for leak) and the domain becomes a zombie;
 * the record used to need room on the leaked list, so the kill returned
 * ERESTART for as long as memory was short.
 */
static void test_settle_without_memory(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    xmm_ffa_handle_t h;
    uint32_t calls = 0;

    (void)state;
    fixture_init(&f);
    f.teardown = XMM_FFA_TEARDOWN_RESTART;
    f.refused = XMM_FFA_REFUSED_LEAK;
    f.sp[0].reclaim_error = XMM_FFA_RET_BUSY;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    xmm_world_fail_alloc(w, 1, true);
    assert_rc(xmm_domain_destroy(w, GUEST, 10, &calls), 0);
    xmm_world_fail_alloc(w, 0, false);
    assert_int_equal(calls, 1);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(xmm_ffa_share_count(w, GUEST), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Leak is upstream's reclaim loop: DENIED is retried every period with no
 * limit, so an SP that lets go late still lets the domain go.
 */
static void test_leak_denied_no_limit(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    struct xmm_ffa_stats st;
    xmm_ffa_handle_t h;

    (void)state;
    fixture_init(&f);
    f.refused = XMM_FFA_REFUSED_LEAK;
    f.sp[0].relinquish = XMM_SP_RELINQUISH_MANUAL;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_rc(xmm_world_advance(w, 1000), 0); /* 100 periods, limit 3 */
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(xmm_ffa_share_count(w, GUEST), 1);
    xmm_ffa_stats(w, &st);
    assert_int_equal(st.frames_leaked, 0);
    assert_int_equal(st.reclaim_refusals, 101);
    assert_int_equal(xmm_sp_relinquish(w, SP_A, h), XMM_FFA_RET_OK);
    assert_rc(xmm_world_advance(w, 10), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_int_equal(xmm_timer_pending(w), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Any other error is permanent on the first pass, BUSY included: the record
 * goes, the pins and the FF-A domain reference stay (Xen never lowers
 * shm_count for it), the timer requeues the context forever, and a second
 * destroy does nothing (domain_kill of a dead domain).
 */
static void test_leak_busy_permanent(void **state)
{
    static const int codes[] = { XMM_FFA_RET_BUSY, XMM_FFA_RET_RETRY, XMM_FFA_RET_INTERRUPTED,
                                 XMM_FFA_RET_ABORTED, XMM_FFA_RET_NO_MEMORY };

    (void)state;
    for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
        struct fixture f;
        struct xmm_world *w;
        struct xmm_ffa_stats st;
        xmm_ffa_handle_t h;

        fixture_init(&f);
        f.refused = XMM_FFA_REFUSED_LEAK;
        f.sp[0].reclaim_error = codes[c];
        w = make(&f);
        assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
        assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_int_equal(xmm_ffa_share_count(w, GUEST), 0);
        assert_int_equal(tu_dom(w, GUEST).tot_pages, 2);
        assert_int_equal(tu_dom(w, GUEST).refs, 2); /* tot_pages and FF-A's */
        xmm_ffa_stats(w, &st);
        assert_int_equal(st.frames_leaked, 2);
        assert_int_equal(st.reclaim_attempts, 1);
        assert_int_equal(xmm_timer_pending(w), 1);
        assert_rc(xmm_world_advance(w, 100), 0);
        assert_int_equal(xmm_timer_pending(w), 1);
        assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
        xmm_ffa_stats(w, &st);
        assert_int_equal(st.reclaim_attempts, 1);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_world_clean(w);
        tu_world_free(w);
    }
}

/* The unsafe variant: refused frames are freed and reused; isolation catches the SP. */
static void test_free_unsafe_isolation(void **state)
{
    struct fixture f;
    struct xmm_world *w;
    struct xmm_check_report rep;
    xmm_ffa_handle_t h;

    (void)state;
    fixture_init(&f);
    f.refused = XMM_FFA_REFUSED_FREE;
    f.alloc = XMM_ALLOC_LIFO;
    f.sp[0].relinquish = XMM_SP_RELINQUISH_NEVER;
    w = make(&f);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 1, SP_A, &h), XMM_FFA_RET_OK);
    assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    assert_rc(xmm_world_advance(w, 30), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    tu_world_free(w);
}

/* global (RFC): a temporary failure for one domain silences the next one. */
static void test_vm_destroyed_global_vs_per_domain(void **state)
{
    for (int global = 0; global < 2; global++) {
        struct fixture f;
        struct xmm_world *w;
        struct xmm_ffa_stats st;
        xmm_ffa_handle_t h;

        (void)state;
        fixture_init(&f);
        f.vmd = global ? XMM_FFA_VMD_GLOBAL : XMM_FFA_VMD_PER_DOMAIN;
        f.sp[0].vm_destroyed_replies[0] = XMM_FFA_RET_RETRY;
        f.sp[0].vm_destroyed_replies[1] = XMM_FFA_RET_OK;
        f.sp[0].vm_destroyed_reply_count = 2;
        w = make(&f);
        ffa_domain(w, OTHER, 4);
        assert_int_equal(xmm_ffa_share(w, OTHER, xmm_gfn(RAM0), 1, SP_A, &h), XMM_FFA_RET_OK);
        assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
        assert_rc(xmm_world_advance(w, 10), 0);
        assert_rc(xmm_domain_destroy(w, OTHER, 100, NULL), 0);
        assert_rc(xmm_world_advance(w, 100), 0);
        xmm_ffa_stats(w, &st);
        if (global) {
            /* only GUEST's first round went out; OTHER's share ends parked */
            assert_int_equal(st.vm_destroyed_sent, 1);
            assert_int_equal(xmm_ffa_parked_frames(w), 1);
        } else {
            assert_int_equal(st.vm_destroyed_sent, 4);
            assert_int_equal(st.vm_destroyed_retries, 1);
            assert_int_equal(xmm_ffa_parked_frames(w), 0);
        }
        assert_int_equal(xmm_domain_state(w, OTHER), XMM_DOMAIN_GONE);
        assert_world_clean(w);
        tu_world_free(w);
    }
}

/* --- a user SPMC through the ops table ----------------------------------- */

struct user_spmc {
    uint64_t next;
    int reclaim_rc;
    unsigned shares, reclaims, notified;
};

static int u_share(void *ctx, struct xmm_world *w, xmm_domid_t dom, uint16_t sp,
                   const xmm_mfn_t *mfns, uint32_t count, xmm_ffa_handle_t *handle)
{
    struct user_spmc *u = ctx;

    (void)w, (void)dom, (void)sp, (void)mfns, (void)count;
    u->shares++;
    *handle = u->next++;
    return XMM_FFA_RET_OK;
}

static int u_reclaim(void *ctx, struct xmm_world *w, xmm_ffa_handle_t handle)
{
    struct user_spmc *u = ctx;

    (void)w, (void)handle;
    if (u->reclaim_rc == XMM_FFA_RET_OK)
        u->reclaims++;
    return u->reclaim_rc;
}

static int u_vmd(void *ctx, struct xmm_world *w, uint16_t sp, xmm_domid_t dom)
{
    (void)w, (void)sp, (void)dom;
    ((struct user_spmc *)ctx)->notified++;
    return XMM_FFA_RET_OK;
}

static uint32_t u_count(void *ctx) { (void)ctx; return 1; }
static uint16_t u_id(void *ctx, uint32_t i) { (void)ctx, (void)i; return SP_A; }
static bool u_sub(void *ctx, uint32_t i) { (void)ctx, (void)i; return true; }

static void test_user_spmc(void **state)
{
    static const struct xmm_spmc_ops ops = {
        .mem_share = u_share, .mem_reclaim = u_reclaim, .vm_destroyed = u_vmd,
        .sp_count = u_count, .sp_id = u_id, .sp_subscribed = u_sub,
    };
    struct xmm_spmc_ops bad = ops;
    struct user_spmc u = { .next = 7, .reclaim_rc = XMM_FFA_RET_DENIED };
    struct xmm_world *w = tu_world(NULL);
    xmm_ffa_handle_t h;

    (void)state;
    bad.mem_reclaim = NULL;
    assert_rc(xmm_spmc_attach(w, &bad, &u), -XMM_EINVAL);
    assert_rc(xmm_spmc_attach(w, &ops, &u), 0);
    assert_rc(xmm_spmc_attach(w, &ops, &u), -XMM_EBUSY);
    assert_rc(xmm_spmc_stub_attach(w, NULL, 0), -XMM_EBUSY);
    ffa_domain(w, GUEST, 4);
    assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_A, &h), XMM_FFA_RET_OK);
    assert_int_equal(h, 7);
    assert_int_equal(xmm_ffa_reclaim(w, GUEST, h), XMM_FFA_RET_DENIED);
    assert_int_equal(xmm_sp_retrieve(w, SP_A, h), XMM_FFA_RET_NOT_SUPPORTED);
    u.reclaim_rc = XMM_FFA_RET_OK;
    assert_rc(xmm_domain_destroy(w, GUEST, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
    assert_int_equal(u.shares, 1);
    assert_int_equal(u.reclaims, 1);
    assert_int_equal(u.notified, 1);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * A user SPMC that lets a page be in two live shares (Xen's mediator does
 * not check; Hafnium does).  SP_A is retrieved until `a_released`; every
 * reclaim of SP_B's shares fails with `b_error`.
 */
struct overlap_spmc {
    struct { uint16_t sp; xmm_mfn_t mfn[4]; uint32_t count; bool live; } h[4];
    uint32_t n;
    bool a_released;
    int b_error;
};

static int o_share(void *ctx, struct xmm_world *w, xmm_domid_t dom, uint16_t sp,
                   const xmm_mfn_t *mfns, uint32_t count, xmm_ffa_handle_t *handle)
{
    struct overlap_spmc *o = ctx;

    (void)w, (void)dom;
    if (o->n == 4 || count > 4)
        return XMM_FFA_RET_NO_MEMORY;
    o->h[o->n].sp = sp;
    o->h[o->n].count = count;
    o->h[o->n].live = true;
    memcpy(o->h[o->n].mfn, mfns, count * sizeof(*mfns));
    *handle = o->n++;
    return XMM_FFA_RET_OK;
}

static bool o_reaches(const struct overlap_spmc *o, uint32_t i)
{
    return o->h[i].live && (o->h[i].sp == SP_B || !o->a_released);
}

static int o_reclaim(void *ctx, struct xmm_world *w, xmm_ffa_handle_t handle)
{
    struct overlap_spmc *o = ctx;

    (void)w;
    if (handle >= o->n || !o->h[handle].live)
        return XMM_FFA_RET_INVALID_PARAMETERS;
    if (o->h[handle].sp == SP_B)
        return o->b_error;
    if (o_reaches(o, (uint32_t)handle))
        return XMM_FFA_RET_DENIED;
    o->h[handle].live = false;
    return XMM_FFA_RET_OK;
}

static int o_access(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle,
                    uint32_t page, bool write, xmm_mfn_t *mfn)
{
    struct overlap_spmc *o = ctx;

    (void)w, (void)write;
    if (handle >= o->n || o->h[handle].sp != sp || page >= o->h[handle].count)
        return XMM_FFA_RET_INVALID_PARAMETERS;
    if (!o_reaches(o, (uint32_t)handle))
        return XMM_FFA_RET_DENIED;
    *mfn = o->h[handle].mfn[page];
    return XMM_FFA_RET_OK;
}

static void o_reach(void *ctx, xmm_ffa_reach_fn fn, void *arg)
{
    struct overlap_spmc *o = ctx;

    for (uint32_t i = 0; i < o->n; i++)
        for (uint32_t p = 0; o_reaches(o, i) && p < o->h[i].count; p++)
            fn(arg, o->h[i].sp, i, GUEST, o->h[i].mfn[p]);
}

static uint32_t o_count(void *ctx) { (void)ctx; return 2; }
static uint16_t o_id(void *ctx, uint32_t i) { (void)ctx; return i ? SP_B : SP_A; }

/*
 * Fuzz-found (scenarios used to carry it as sp-access-parked-by-other-sp,
 * which the built-in SPMC now refuses at the second share): SP_B's
 * permanent refusal parks a page SP_A still reaches through its own live
 * share.  SP_A's access must pass (record_covers finds the live share in
 * its sender, as the sweep does); if both refuse, park_frame meets a frame
 * it parked already.
 */
static void test_user_spmc_overlap(void **state)
{
    static const struct xmm_spmc_ops ops = {
        .mem_share = o_share, .mem_reclaim = o_reclaim, .vm_destroyed = u_vmd,
        .sp_count = o_count, .sp_id = o_id, .sp_subscribed = u_sub,
        .access = o_access, .for_each_reach = o_reach,
    };

    (void)state;
    for (int both = 0; both < 2; both++) {
        struct overlap_spmc o = { .b_error = XMM_FFA_RET_ABORTED };
        struct xmm_world_opts wo = tu_opts();
        struct xmm_check_report rep;
        struct xmm_world *w;
        xmm_ffa_handle_t ha, hb;
        xmm_mfn_t m;

        wo.limits.ffa_retry_ticks = 10;
        wo.limits.ffa_retry_limit = 3;
        w = tu_world(&wo);
        assert_rc(xmm_spmc_attach(w, &ops, &o), 0);
        ffa_domain(w, GUEST, 8);
        m = tu_mfn_at(w, GUEST, RAM0);
        assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 4, SP_A, &ha), XMM_FFA_RET_OK);
        assert_int_equal(xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 2, SP_B, &hb), XMM_FFA_RET_OK);
        assert_rc(xmm_domain_destroy(w, GUEST, 100, NULL), 0);
        assert_int_equal(tu_frame(w, m).owner, XMM_DOMID_PARK);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_ZOMBIE);
        assert_int_equal(xmm_sp_access(w, SP_A, ha, 0, true), XMM_FFA_RET_OK);
        assert_int_equal(xmm_check_incremental(w, &rep), 0);
        assert_int_equal(xmm_check_full(w, &rep), 0);
        o.a_released = !both; /* both: SP_A never lets go either */
        assert_rc(xmm_world_advance(w, 100), 0);
        assert_int_equal(xmm_domain_state(w, GUEST), XMM_DOMAIN_GONE);
        /* both: SP_A's 4 pages parked after the limit, 2 of them parked already */
        assert_int_equal(xmm_ffa_parked_frames(w), both ? 4 : 2);
        assert_int_equal(tu_refcount(w, m), both ? 2 : 1);
        assert_world_clean(w);
        tu_world_free(w);
    }
}

static void test_stub_config_errors(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_sp_config sp[2] = { { .id = 1 }, { .id = 1 } };

    (void)state;
    assert_rc(xmm_spmc_stub_attach(w, sp, 2), -XMM_EINVAL);
    sp[1].id = 2;
    sp[1].reclaim_error = -XMM_EINVAL - 100;
    assert_rc(xmm_spmc_stub_attach(w, sp, 2), -XMM_EINVAL);
    sp[1].reclaim_error = 0;
    sp[1].vm_destroyed_reply_count = XMM_SP_REPLIES_MAX + 1;
    assert_rc(xmm_spmc_stub_attach(w, sp, 2), -XMM_EINVAL);
    assert_rc(xmm_spmc_stub_attach(w, sp, XMM_FFA_MAX_SPS + 1), -XMM_EINVAL);
    tu_world_free(w);
}

/* --- allocation failure ------------------------------------------------------ */

static void setup_share(struct xmm_world *w, void *ctx)
{
    static const struct xmm_sp_config sp = { .id = SP_A, .subscribe_vm_destroyed = true,
                                             .relinquish = XMM_SP_RELINQUISH_AFTER,
                                             .relinquish_after = 5 };
    (void)ctx;
    assert_rc(xmm_spmc_stub_attach(w, &sp, 1), 0);
    ffa_domain(w, GUEST, 8);
}

static int op_share(struct xmm_world *w, void *ctx)
{
    xmm_ffa_handle_t h;
    int rc = xmm_ffa_share(w, GUEST, xmm_gfn(RAM0), 4, SP_A, &h);

    (void)ctx;
    return rc;
}

static int op_attach(struct xmm_world *w, void *ctx)
{
    static const struct xmm_sp_config sp = { .id = SP_A };

    (void)ctx;
    return xmm_spmc_stub_attach(w, &sp, 1);
}

static int op_create_ffa(struct xmm_world *w, void *ctx)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    (void)ctx;
    o.ffa = true;
    return xmm_domain_create(w, 3, &o);
}

static void test_alloc_failure(void **state)
{
    struct tu_afd share = { .name = "ffa share", .setup = setup_share, .op = op_share,
                            .enomem = XMM_FFA_RET_NO_MEMORY };
    struct tu_afd attach = { .name = "stub attach", .op = op_attach };
    struct tu_afd create = { .name = "create ffa domain", .op = op_create_ffa };

    (void)state;
    /* the mediator's record, the SPMC's handle */
    assert_int_equal(tu_alloc_fail_drive(&share), 2);
    /* the mediator's world state, the stub, its handle table */
    assert_int_equal(tu_alloc_fail_drive(&attach), 3);
    assert_true(tu_alloc_fail_drive(&create) >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_reclaim),
        cmocka_unit_test(test_share_errors),
        cmocka_unit_test(test_share_overlap),
        cmocka_unit_test(test_teardown_clean),
        cmocka_unit_test(test_deferred_dma_delay),
        cmocka_unit_test(test_restart_spins),
        cmocka_unit_test(test_park),
        cmocka_unit_test(test_zombie_second_destroy),
        cmocka_unit_test(test_leak),
        cmocka_unit_test(test_leak_denied_no_limit),
        cmocka_unit_test(test_settle_without_memory),
        cmocka_unit_test(test_leak_busy_permanent),
        cmocka_unit_test(test_free_unsafe_isolation),
        cmocka_unit_test(test_vm_destroyed_global_vs_per_domain),
        cmocka_unit_test(test_user_spmc),
        cmocka_unit_test(test_user_spmc_overlap),
        cmocka_unit_test(test_stub_config_errors),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
