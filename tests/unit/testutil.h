/*
 * libxmm unit tests - shared helpers.
 *
 * Every world a test makes through tu_world() allocates through a counting
 * allocator, so tu_world_free() can fail the test when the world leaked a
 * block or freed one with a size other than the one it asked for.  The
 * allocation-failure driver (SQLite's discipline: fail the Nth allocation
 * for N = 1, 2, ... until the call succeeds) lives here too.
 */
#ifndef XMM_TESTUTIL_H
#define XMM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xmm/xmm.h>

/* --- counting allocator -------------------------------------------------- */

struct tu_alloc {
    size_t live_blocks, live_bytes;
    uint64_t allocs;          /* calls to alloc, including failed ones */
    uint64_t size_mismatches; /* free() told another size than alloc() got */
    uint64_t bad_frees;       /* free() of something this allocator never gave */
    uint64_t fail_at;         /* fail the fail_at-th call from now (0 = off) */
    bool fail_sticky;
    uint64_t failures;
};

void tu_alloc_init(struct tu_alloc *a);
struct xmm_allocator tu_allocator(struct tu_alloc *a);

/* --- worlds and domains -------------------------------------------------- */

/* Test defaults: 4096 RAM frames at mfn 0x40000, history 4096 events. */
struct xmm_world_opts tu_opts(void);
/*
 * tu_opts() with safe_range policy `none` (upstream Xen today): mappings go
 * wherever the guest puts them, so tests of the physmap mechanics need not
 * place foreign mappings inside a toolstack safe range.
 */
struct xmm_world_opts tu_opts_upstream(void);

/* A world on a fresh counting allocator (opts NULL: tu_opts()); fails the test on error. */
struct xmm_world *tu_world(const struct xmm_world_opts *opts);
/*
 * The checker tests' world: upstream policies, 4096 frames, d1 (8 pages at
 * gfn 0x10) and d2 (4 pages at gfn 0x10), max_pages 64 each; clean.
 */
struct xmm_world *tu_world_pair(void);
/* Free a tu_world and fail the test if anything leaked. */
void tu_world_free(struct xmm_world *w);
/* The counting allocator behind a tu_world. */
struct tu_alloc *tu_world_alloc(struct xmm_world *w);

/* Create a domain with max_pages (fails the test on error). */
void tu_domain(struct xmm_world *w, xmm_domid_t dom, uint64_t max_pages);
/* populate / map, failing the test on error. */
void tu_populate(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t pages);
/* mfn mapped at dom:gfn (fails the test when nothing is). */
xmm_mfn_t tu_mfn_at(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn);
/* Shortcuts for frame and domain fields. */
uint32_t tu_refcount(struct xmm_world *w, xmm_mfn_t mfn);
struct xmm_frame_info tu_frame(struct xmm_world *w, xmm_mfn_t mfn);
struct xmm_domain_info tu_dom(struct xmm_world *w, xmm_domid_t dom);

/*
 * Everything the model holds that a failed call must leave alone: the
 * digest, the blocks the world holds, per-domain P2M node counts, pending
 * timers and the domain count, folded into one value.
 */
uint64_t tu_state(struct xmm_world *w);

/* Print a check report (to stderr through cmocka). */
void tu_print_report(const char *what, const struct xmm_check_report *rep);

/* --- assertions that report the caller's file and line -------------------- */

void tu_assert_clean(struct xmm_world *w, const char *file, int line);
void tu_assert_rc(int got, int want, const char *expr, const char *file, int line);
void tu_assert_unchanged(struct xmm_world *w, uint64_t digest, uint64_t state, int got, int want,
                         const char *expr, const char *file, int line);

/*
 * A refusal's reason (xmm_world_last_error) is missing or says nothing: under
 * 16 characters, under four words, a bare code name or a stock phrase.
 */
bool tu_reason_generic(const char *r);
/* After a call that returned `got`: a failure has a specific reason, a success none. */
void tu_assert_reason(struct xmm_world *w, int got, const char *expr, const char *file, int line);
/* Failing `expr` on w returns want and leaves a specific reason. */
#define assert_reason(w, expr, want)                                                    \
    do {                                                                                \
        int tu_rc_ = (int)(expr);                                                       \
        tu_assert_rc(tu_rc_, (want), #expr, __FILE__, __LINE__);                        \
        tu_assert_reason((w), tu_rc_, #expr, __FILE__, __LINE__);                       \
    } while (0)

/* Full sweep and incremental check both find nothing. */
#define assert_world_clean(w) tu_assert_clean((w), __FILE__, __LINE__)
/* expr returns `want` (errno family, printed by name). */
#define assert_rc(expr, want) tu_assert_rc((int)(expr), (want), #expr, __FILE__, __LINE__)
/* expr fails with `want` and leaves the digest and tu_state unchanged. */
#define assert_err_unchanged(w, expr, want)                                              \
    do {                                                                                 \
        uint64_t tu_d_ = xmm_world_digest(w), tu_s_ = tu_state(w);                       \
        int tu_rc_ = (int)(expr);                                                        \
        tu_assert_unchanged((w), tu_d_, tu_s_, tu_rc_, (want), #expr, __FILE__, __LINE__); \
    } while (0)

/* --- violations ---------------------------------------------------------- */

/* True when the report names `inv` (among the kept violations). */
bool tu_report_has(const struct xmm_check_report *rep, enum xmm_invariant inv);

/* --- allocation-failure driver ------------------------------------------ */

struct tu_afd {
    const char *name;
    const struct xmm_world_opts *opts; /* NULL: tu_opts() */
    void (*setup)(struct xmm_world *w, void *ctx);    /* may be NULL */
    int (*op)(struct xmm_world *w, void *ctx);        /* the call under test */
    void (*verify)(struct xmm_world *w, void *ctx);   /* after success; may be NULL */
    void *ctx;
    int enomem;     /* what a failed allocation must return (0: -XMM_ENOMEM) */
    uint64_t max_n; /* the op must succeed by then (0: 1000) */
};

/*
 * For N = 1, 2, ...: fresh world, setup, fail the Nth allocation, run op.
 * On error: rc is enomem, exactly one failure was injected, digest and
 * tu_state are unchanged, invariants hold, the op then succeeds on retry,
 * and freeing the world leaks nothing.  Stops at the first N where op
 * succeeds.  Return: the number of failing runs (N - 1).
 */
uint64_t tu_alloc_fail_drive(const struct tu_afd *d);

/*
 * xmm_world_new failing at every allocation (world struct included) with
 * these options.  Return: the number of allocations a successful
 * xmm_world_new makes.
 */
uint64_t tu_world_new_fail_drive(const struct xmm_world_opts *opts);

/* --- isolation ---------------------------------------------------------- */

/*
 * Run fn(arg) in a child process and return its exit status (0 when fn
 * returned true, 1 when false, 128 + signal when it crashed).  For tests of
 * src bugs that may crash the process, so the rest of the file still runs.
 */
int tu_run_isolated(bool (*fn)(void *arg), void *arg);

/* --- seeds ------------------------------------------------------------- */

/* XMM_TEST_SEED from the environment when set, else `def`; printed. */
uint64_t tu_seed(uint64_t def);
/* splitmix64 step, for test-side randomness independent of the world's PRNG. */
uint64_t tu_rand(uint64_t *state);

#endif /* XMM_TESTUTIL_H */
