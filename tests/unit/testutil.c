/*
 * libxmm unit tests - shared helpers (see testutil.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* --- counting allocator -------------------------------------------------- */

#define TU_MAGIC UINT64_C(0x786d6d2d74657374)

/* Each block carries its size and a magic word in front of it. */
struct tu_hdr {
    uint64_t size;
    uint64_t magic;
};

static void *tu_alloc_fn(void *ctx, size_t size)
{
    struct tu_alloc *a = ctx;
    struct tu_hdr *h;

    a->allocs++;
    if (a->fail_at) {
        if (a->fail_at == 1) {
            a->failures++;
            if (!a->fail_sticky)
                a->fail_at = 0;
            return NULL;
        }
        a->fail_at--;
    }
    h = calloc(1, sizeof(*h) + size);
    if (!h)
        return NULL;
    h->size = size;
    h->magic = TU_MAGIC;
    a->live_blocks++;
    a->live_bytes += size;
    return h + 1;
}

static void tu_free_fn(void *ctx, void *ptr, size_t size)
{
    struct tu_alloc *a = ctx;
    struct tu_hdr *h;

    if (!ptr)
        return;
    h = (struct tu_hdr *)ptr - 1;
    if (h->magic != TU_MAGIC) {
        a->bad_frees++;
        return;
    }
    if (h->size != size)
        a->size_mismatches++;
    h->magic = 0;
    a->live_blocks--;
    a->live_bytes -= h->size;
    free(h);
}

void tu_alloc_init(struct tu_alloc *a)
{
    memset(a, 0, sizeof(*a));
}

struct xmm_allocator tu_allocator(struct tu_alloc *a)
{
    struct xmm_allocator x = { .alloc = tu_alloc_fn, .free = tu_free_fn, .ctx = a };
    return x;
}

/* --- worlds: a registry from world to its counting allocator --------------- */

struct tu_reg {
    struct xmm_world *w;
    struct tu_alloc *a;
    struct tu_reg *next;
};
static struct tu_reg *tu_regs;

struct xmm_world_opts tu_opts(void)
{
    struct xmm_world_opts o = XMM_WORLD_OPTS_INIT;

    o.ram_pages = 4096;
    o.ram_base = xmm_mfn(0x40000);
    o.history_events = 4096;
    return o;
}

struct xmm_world_opts tu_opts_upstream(void)
{
    struct xmm_world_opts o = tu_opts();

    o.policy.safe_range = XMM_SAFE_RANGE_NONE;
    return o;
}

struct xmm_world *tu_world(const struct xmm_world_opts *opts)
{
    struct xmm_world_opts o = opts ? *opts : tu_opts();
    struct tu_reg *r = calloc(1, sizeof(*r));
    struct xmm_world *w = NULL;
    int rc;

    assert_non_null(r);
    r->a = calloc(1, sizeof(*r->a));
    assert_non_null(r->a);
    tu_alloc_init(r->a);
    o.allocator = tu_allocator(r->a);
    rc = xmm_world_new(&o, &w);
    if (rc)
        print_error("xmm_world_new: %s\n", xmm_strerror(rc));
    assert_int_equal(rc, 0);
    assert_non_null(w);
    r->w = w;
    r->next = tu_regs;
    tu_regs = r;
    return w;
}

static struct tu_reg **tu_find(struct xmm_world *w)
{
    struct tu_reg **p = &tu_regs;

    while (*p && (*p)->w != w)
        p = &(*p)->next;
    return p;
}

struct tu_alloc *tu_world_alloc(struct xmm_world *w)
{
    struct tu_reg **p = tu_find(w);

    assert_non_null(*p);
    return (*p)->a;
}

void tu_world_free(struct xmm_world *w)
{
    struct tu_reg **p = tu_find(w), *r = *p;
    struct tu_alloc a;

    assert_non_null(r);
    *p = r->next;
    xmm_world_free(w);
    a = *r->a;
    free(r->a);
    free(r);
    if (a.live_blocks || a.live_bytes || a.size_mismatches || a.bad_frees)
        print_error("world leaked %zu blocks / %zu bytes; %" PRIu64 " size mismatches, %" PRIu64
                    " bad frees\n",
                    a.live_blocks, a.live_bytes, a.size_mismatches, a.bad_frees);
    assert_int_equal(a.live_blocks, 0);
    assert_int_equal(a.live_bytes, 0);
    assert_int_equal(a.size_mismatches, 0);
    assert_int_equal(a.bad_frees, 0);
}

/* --- domains and shortcuts -------------------------------------------------- */

void tu_domain(struct xmm_world *w, xmm_domid_t dom, uint64_t max_pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = max_pages;
    assert_rc(xmm_domain_create(w, dom, &o), 0);
}

void tu_populate(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t pages)
{
    assert_rc(xmm_physmap_populate(w, dom, xmm_gfn(gfn), pages), 0);
}

xmm_mfn_t tu_mfn_at(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn)
{
    struct xmm_p2m_entry e;

    assert_rc(xmm_p2m_lookup(w, dom, xmm_gfn(gfn), &e), 0);
    return e.mfn;
}

struct xmm_frame_info tu_frame(struct xmm_world *w, xmm_mfn_t mfn)
{
    struct xmm_frame_info fi;

    assert_rc(xmm_frame_info(w, mfn, &fi), 0);
    return fi;
}

uint32_t tu_refcount(struct xmm_world *w, xmm_mfn_t mfn)
{
    return tu_frame(w, mfn).refcount;
}

struct xmm_domain_info tu_dom(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain_info di;

    assert_rc(xmm_domain_info(w, dom, &di), 0);
    return di;
}

static uint64_t tu_mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    return h;
}

uint64_t tu_state(struct xmm_world *w)
{
    uint64_t h = xmm_world_digest(w);

    h = tu_mix(h, xmm_world_blocks_live(w));
    h = tu_mix(h, xmm_timer_pending(w));
    h = tu_mix(h, xmm_domain_count(w));
    h = tu_mix(h, xmm_heap_free_pages(w));
    for (size_t i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t d = xmm_domain_id_at(w, i);

        h = tu_mix(h, d);
        h = tu_mix(h, xmm_p2m_node_count(w, d));
        h = tu_mix(h, xmm_p2m_entry_count(w, d));
    }
    return h;
}

void tu_print_report(const char *what, const struct xmm_check_report *rep)
{
    print_error("%s: %u violation(s), %u kept\n", what, rep->count, rep->kept);
    for (uint32_t i = 0; i < rep->kept; i++) {
        const struct xmm_violation *v = &rep->v[i];

        print_error("  [%s] kind %d mfn %#" PRIx64 " dom %u gfn %#" PRIx64 ": %s\n",
                    xmm_invariant_name(v->inv), (int)v->kind, xmm_mfn_x(v->mfn),
                    (unsigned)v->dom, xmm_gfn_x(v->gfn), v->detail);
    }
}

bool tu_report_has(const struct xmm_check_report *rep, enum xmm_invariant inv)
{
    for (uint32_t i = 0; i < rep->kept; i++)
        if (rep->v[i].inv == inv)
            return true;
    return false;
}

/* --- assertions ---------------------------------------------------------- */

void tu_assert_clean(struct xmm_world *w, const char *file, int line)
{
    struct xmm_check_report rep;
    int full = xmm_check_full(w, &rep);
    uint32_t inc;

    if (full != 0)
        tu_print_report("full sweep", &rep);
    _assert_int_equal((uintmax_t)(int64_t)full, 0, file, line);
    inc = xmm_check_incremental(w, &rep);
    if (inc != 0)
        tu_print_report("incremental", &rep);
    _assert_int_equal(inc, 0, file, line);
}

/*
 * expr is a call of the library that may change a world (and so must say why
 * it failed): the calls that take a world and are not read-only queries.
 */
static bool tu_call_explains(const char *expr)
{
    static const char *const calls[] = {
        "xmm_physmap_", "xmm_p2m_set(", "xmm_p2m_remove(", "xmm_domain_create(",
        "xmm_domain_kill(", "xmm_domain_destroy(", "xmm_domain_get(", "xmm_domain_put(",
        "xmm_ffa_share(", "xmm_ffa_reclaim(", "xmm_sp_retrieve(", "xmm_sp_relinquish(",
        "xmm_sp_access(", "xmm_spmc_attach(", "xmm_spmc_stub_attach(", "xmm_gnttab_grant(",
        "xmm_gnttab_end(", "xmm_gnttab_map(", "xmm_gnttab_unmap(", "xmm_gnttab_unmap_host(",
        "xmm_gnttab_map_frame(", "xmm_iommu_assign(", "xmm_iommu_dma(", "xmm_mpu_evtchn_send(",
        "xmm_shinfo_map(", "xmm_shinfo_register_vcpu_info(", "xmm_saferange_query(",
        "xmm_xenheap_alloc(", "xmm_xenheap_free(", "xmm_xenheap_share(", "xmm_page_put",
        "xmm_timer_arm(",
    };

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        if (!strncmp(expr, calls[i], strlen(calls[i])))
            return true;
    return false;
}

void tu_assert_rc(int got, int want, const char *expr, const char *file, int line)
{
    if (got != want) {
        print_error("%s returned %d (%s), expected %d (%s)\n", expr, got, xmm_strerror(got), want,
                    xmm_strerror(want));
        _fail(file, line);
    }
    /*
     * Every refusal of a call that changes a world says why, and a success
     * leaves no reason: checked when one tu_world is live (then it is the
     * world the call was given).
     */
    if (tu_regs && !tu_regs->next && tu_call_explains(expr))
        tu_assert_reason(tu_regs->w, got, expr, file, line);
}

bool tu_reason_generic(const char *r)
{
    static const char *const vague[] = { "error", "failed", "invalid", "invalid argument",
                                         "no memory", "busy", "not found", "denied" };
    enum xmm_rc_family fam;
    int rc;

    if (!r || strlen(r) < 16 || !strchr(r, ' ') || xmm_rc_parse(r, &fam, &rc) == 0)
        return true;
    for (size_t i = 0; i < sizeof(vague) / sizeof(vague[0]); i++)
        if (!strcmp(r, vague[i]))
            return true;
    /* A reason is a sentence naming its object and rule, not a word or two. */
    for (rc = 0; *r; r++)
        rc += *r == ' ';
    return rc < 3;
}

void tu_assert_reason(struct xmm_world *w, int got, const char *expr, const char *file, int line)
{
    const char *r = xmm_world_last_error(w);

    if (got != 0 && tu_reason_generic(r)) {
        print_error("%s failed with %d but its reason is empty or generic: '%s'\n", expr, got, r);
        _fail(file, line);
    }
    if (got == 0 && r[0]) {
        print_error("%s succeeded but left a reason: '%s'\n", expr, r);
        _fail(file, line);
    }
}

void tu_assert_unchanged(struct xmm_world *w, uint64_t digest, uint64_t state, int got, int want,
                         const char *expr, const char *file, int line)
{
    tu_assert_rc(got, want, expr, file, line);
    tu_assert_reason(w, got, expr, file, line);
    if (xmm_world_digest(w) != digest) {
        print_error("%s failed with %s but changed the world digest\n", expr, xmm_strerror(got));
        _fail(file, line);
    }
    if (tu_state(w) != state) {
        print_error("%s failed with %s but changed the model (blocks, nodes, timers)\n", expr,
                    xmm_strerror(got));
        _fail(file, line);
    }
}

/* --- allocation-failure driver ------------------------------------------ */

struct xmm_world *tu_world_pair(void)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_world *w;

    o.ram_pages = 4096;
    w = tu_world(&o);
    tu_domain(w, 1, 64);
    tu_domain(w, 2, 64);
    tu_populate(w, 1, 0x10, 8);
    tu_populate(w, 2, 0x10, 4);
    assert_world_clean(w);
    return w;
}

uint64_t tu_alloc_fail_drive(const struct tu_afd *d)
{
    uint64_t max_n = d->max_n ? d->max_n : 1000;
    int enomem = d->enomem ? d->enomem : -XMM_ENOMEM;

    for (uint64_t n = 1; n <= max_n; n++) {
        struct xmm_world *w = tu_world(d->opts);
        uint64_t dig, st, fails;
        int rc;

        if (d->setup)
            d->setup(w, d->ctx);
        assert_world_clean(w);
        dig = xmm_world_digest(w);
        st = tu_state(w);
        fails = xmm_world_alloc_failures(w);
        xmm_world_fail_alloc(w, n, false);
        rc = d->op(w, d->ctx);
        xmm_world_fail_alloc(w, 0, false);
        if (rc != 0 && tu_reason_generic(xmm_world_last_error(w))) {
            print_error("%s: with allocation %" PRIu64 " failing: rc %d, reason empty or generic: '%s'\n",
                        d->name, n, rc, xmm_world_last_error(w));
            fail();
        }
        if (rc == 0) {
            assert_world_clean(w);
            if (d->verify)
                d->verify(w, d->ctx);
            tu_world_free(w);
            return n - 1;
        }
        if (rc != enomem || xmm_world_alloc_failures(w) != fails + 1) {
            print_error("%s: with allocation %" PRIu64 " failing: rc %d (%s), %" PRIu64
                        " failures injected\n",
                        d->name, n, rc, xmm_strerror(rc), xmm_world_alloc_failures(w) - fails);
            fail();
        }
        if (xmm_world_digest(w) != dig || tu_state(w) != st) {
            print_error("%s: failed at allocation %" PRIu64 " but changed the world\n", d->name,
                        n);
            fail();
        }
        assert_world_clean(w);
        /* The failure left a usable world: the same call now succeeds. */
        rc = d->op(w, d->ctx);
        if (rc != 0) {
            print_error("%s: retry after failing allocation %" PRIu64 " returned %s\n", d->name,
                        n, xmm_strerror(rc));
            fail();
        }
        assert_world_clean(w);
        if (d->verify)
            d->verify(w, d->ctx);
        tu_world_free(w);
    }
    print_error("%s: still failing after %" PRIu64 " allocations\n", d->name, max_n);
    fail();
    return max_n;
}

uint64_t tu_world_new_fail_drive(const struct xmm_world_opts *opts)
{
    struct xmm_world_opts o = opts ? *opts : tu_opts();
    struct tu_alloc a;
    struct xmm_world *w;
    uint64_t total;

    /* How many allocations a successful xmm_world_new makes. */
    tu_alloc_init(&a);
    o.allocator = tu_allocator(&a);
    assert_rc(xmm_world_new(&o, &w), 0);
    total = a.allocs;
    xmm_world_free(w);
    assert_int_equal(a.live_blocks, 0);
    for (int sticky = 0; sticky < 2; sticky++)
        for (uint64_t n = 1; n <= total; n++) {
            tu_alloc_init(&a);
            a.fail_at = n;
            a.fail_sticky = sticky;
            w = (struct xmm_world *)&a; /* must be overwritten with NULL */
            assert_rc(xmm_world_new(&o, &w), -XMM_ENOMEM);
            assert_null(w);
            assert_int_equal(a.failures >= 1, 1);
            if (a.live_blocks || a.size_mismatches || a.bad_frees)
                print_error("xmm_world_new failing at allocation %" PRIu64
                            "%s: %zu blocks leaked, %" PRIu64 " size mismatches\n",
                            n, sticky ? " (sticky)" : "", a.live_blocks, a.size_mismatches);
            assert_int_equal(a.live_blocks, 0);
            assert_int_equal(a.live_bytes, 0);
            assert_int_equal(a.size_mismatches, 0);
            assert_int_equal(a.bad_frees, 0);
        }
    return total;
}

/* --- isolation ---------------------------------------------------------- */

int tu_run_isolated(bool (*fn)(void *arg), void *arg)
{
    pid_t pid;
    int status = 0;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* cmocka's handlers would resume the test runner inside the child. */
        const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            signal(sigs[i], SIG_DFL);
        _exit(fn(arg) ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        print_error("isolated child died of signal %d\n", WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return 255;
}

/* --- seeds ------------------------------------------------------------- */

uint64_t tu_seed(uint64_t def)
{
    const char *s = getenv("XMM_TEST_SEED");
    uint64_t seed = def;

    if (s && *s)
        seed = strtoull(s, NULL, 0);
    print_message("seed %#" PRIx64 " (set XMM_TEST_SEED to replay)\n", seed);
    return seed;
}

uint64_t tu_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
