/*
 * libxmm fuzz target: the input is a trace of library calls on one world.
 *
 * The world runs the safe design of every seed (policy value 0 of every
 * knob: toolstack safe ranges, deferred FF-A teardown with parking,
 * deferred device-TLB invalidation, the xenheap GFN in page_info, the GFN
 * set under the P2M lock, shared_info in a xenheap page), a small host,
 * one MMIO region, the built-in SPMC with two partitions and an IOMMU with
 * one ATS device.  physmap_overwrite takes both values (header bytes);
 * trace_ops.c steps around the upstream findings it would otherwise hit.
 * Under those policies no invariant may ever break, so after EVERY call:
 *
 *  - xmm_check_incremental must report 0; at random points (about one call
 *    in 64, chosen by the input, full_due) and at the end, xmm_check_full
 *    must report 0 too, and so agree (XMM_FUZZ_FULL=1: after every call);
 *  - a call that failed (other than a preempted kill or destroy loop)
 *    must have left the world as it was: the digest, the pending timers,
 *    the domains and their P2M sizes (architecture.md "What a failed call
 *    may leave behind");
 *  - read-only calls (lookups, infos, the device-tree export) and
 *    get/put pairs must not change the digest at all;
 *  - at the same random points, the digest kept from the change sets
 *    equals one recomputed from every frame.
 *
 * At the end every domain is destroyed and the clock run until FF-A
 * retries and invalidations are over: every domain must be gone and every
 * frame free or parked (the liveness side).  Then xmm_world_free, and
 * LeakSanitizer looks for leaks.  Any failure prints the call number, the
 * call with its arguments and the violations, and aborts (libFuzzer saves
 * the input; `XMM_FUZZ_VERBOSE=1 xmm-fuzz-replay-trace FILE` prints the
 * whole trace).
 *
 * Input layout: two header bytes choose the host size, the allocator, the
 * SP scripts and the IOMMU latency (all within the safe policies); then
 * each call is an op byte followed by the argument bytes that op reads.
 * Missing bytes read as zero.  Arguments are biased toward what makes
 * calls interact: small domain ids, gfns next to populated ranges or
 * inside the domain's safe range, handles and refs returned earlier.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h" /* digest_fresh only */
#include "trace.h"

/* XMM_FUZZ_FULL=1: every check after every call (full_due, digest_before). */
static bool every_call(void)
{
    static int every = -1;

    if (every < 0)
        every = getenv("XMM_FUZZ_FULL") != NULL;
    return every;
}

/*
 * The digest kept up to date from the change sets equals one recomputed
 * from every frame (as test_differential checks it; needs internal.h: an
 * overflowed change set makes xmm_world_digest hash every frame).  The
 * atomicity checks above are only as good as this digest.
 */
static void digest_fresh(struct trace *t)
{
    struct xmm_world *w = t->w;
    uint64_t kept = xmm_world_digest(w), fresh;
    bool was = w->dirty_overflow;

    w->dirty_overflow = true;
    fresh = xmm_world_digest(w);
    w->dirty_overflow = was;
    if (kept != fresh)
        tr_die(t, "the kept digest %#" PRIx64 " is stale (every frame hashes to %#" PRIx64 ")",
               kept, fresh);
    /* The next call's "before" digest (not under XMM_FUZZ_FULL: step's own reuse is tested). */
    if (!every_call()) {
        t->dig = kept;
        t->dig_known = true;
    }
}

/* The violations a check kept, one per line. */
static void print_report(const char *mode, int count, const struct xmm_check_report *rep)
{
    fprintf(stderr, "  %s: %d violation(s)\n", mode, count);
    for (uint32_t i = 0; i < rep->kept; i++) {
        const struct xmm_violation *v = &rep->v[i];

        fprintf(stderr, "    [%s] subject %d mfn %#" PRIx64 " d%u gfn %#" PRIx64 ": %s\n",
                xmm_invariant_name(v->inv), (int)v->kind, xmm_mfn_x(v->mfn), (unsigned)v->dom,
                xmm_gfn_x(v->gfn), v->detail);
    }
}

/* --- checks after every call ---------------------------------------------- */

/* What a failed call must leave alone (besides the digest `dig` of w, taken by the caller). */
static uint64_t state_of(struct xmm_world *w, uint64_t dig)
{
    uint64_t h = dig;

    h = h * 31 + xmm_timer_pending(w);
    h = h * 31 + xmm_domain_count(w);
    for (size_t i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t d = xmm_domain_id_at(w, i);

        h = h * 31 + d;
        h = h * 31 + xmm_p2m_entry_count(w, d);
        h = h * 31 + xmm_p2m_node_count(w, d);
    }
    return h;
}

/*
 * Known bugs, not fixed yet (crashers/README.md), by name.  While one is
 * open, a fuzzing session can run past it with XMM_FUZZ_IGNORE=NAME,...
 * so it does not stop on it again and again; replays and the ctests
 * ignore nothing.  A bug is recognised by the violations it causes; one
 * that is not (a crash, a changed digest) can instead be steered around
 * in trace_ops.c with tr_ignoring().  Drop an entry once it is fixed.
 * None is open now.
 */
static const struct known_issue {
    const char *name;     /* NULL ends the table */
    enum xmm_invariant inv;
    const char *detail;   /* a substring of the violation's detail */
} known_issues[] = {
    /* e.g. (bug 4, fixed): { "sp-access-park", XMM_INV_ISOLATION, "now belongs to 32760" }, */
    { NULL, XMM_INV_COUNT, NULL },
};

bool tr_ignoring(const char *name)
{
    const char *env = getenv("XMM_FUZZ_IGNORE");

    return env && strstr(env, name);
}

static bool ignored(const struct xmm_violation *v)
{
    for (size_t i = 0; known_issues[i].name; i++)
        if (tr_ignoring(known_issues[i].name) && v->inv == known_issues[i].inv &&
            strstr(v->detail, known_issues[i].detail))
            return true;
    return false;
}

/*
 * Every violation of the report (if any) is a known, ignored one, and all
 * were kept.  (The incremental check reports a lasting violation once, the
 * full sweep every time: their counts differ after an ignored one.)
 */
static bool all_ignored(const struct xmm_check_report *rep)
{
    if (rep->count != rep->kept)
        return false;
    for (uint32_t i = 0; i < rep->kept; i++)
        if (!ignored(&rep->v[i]))
            return false;
    return true;
}

/*
 * Is this call one of the random points where the full sweep and the
 * fresh digest run (besides the world's creation and the teardown)?  About
 * one call in 64, chosen by the call number and the input, so a replay
 * checks the same calls.  Both cost a pass over every frame; the
 * incremental check after every call is cheap.  XMM_FUZZ_FULL=1 checks
 * every call (the old oracle, 10 to 20 times slower).
 */
static bool full_due(const struct trace *t)
{
    uint32_t h = t->call * UINT32_C(2654435761) ^ t->seed_mix;

    if (every_call())
        return true;
    h ^= h >> 15;
    h *= UINT32_C(0x2c1b3c6d);
    h ^= h >> 12;
    return (h & 63) == 0;
}

/*
 * After every call: the incremental check, which must find nothing under
 * the safe policies; at random points (full_due) and whenever it finds
 * something, also the full sweep, which must agree, and the kept digest
 * against a fresh one.
 */
static void check_world_mode(struct trace *t, bool full_now)
{
    static struct xmm_check_report ri, rf;
    uint32_t inc = xmm_check_incremental(t->w, &ri);
    int full;

    if (!full_now && inc == 0)
        return;
    full = xmm_check_full(t->w, &rf);

    if (full < 0)
        tr_die(t, "the full sweep could not run (%s)", xmm_strerror(full));
    if ((inc != (uint32_t)full || full != 0) &&
        !(all_ignored(&ri) && all_ignored(&rf))) {
        /*
         * A violation flagged during a call (sp_access, dma, a destroy loop
         * out of budget) is reported once, by the first check after it:
         * the incremental one here.
         */
        fprintf(stderr, "fuzz_trace: call #%u (%s%s): %s\n", t->call, t->what, t->note,
                inc != (uint32_t)full
                    ? "the incremental check and the full sweep disagree (a violation the "
                      "call flagged itself is reported by the first check only)"
                    : "invariant violated under the safe policies");
        print_report("incremental", (int)inc, &ri);
        print_report("full sweep", full, &rf);
        tr_die(t, "%u incremental vs %d full violation(s)", inc, full);
    }
    digest_fresh(t);
}

static void check_world(struct trace *t)
{
    check_world_mode(t, true);
}

/*
 * The digest before a call.  A check changes nothing the digest covers
 * (it folds the change set into the kept digest, which hashes the same),
 * except that it forgets the violations flagged during a call: so the
 * digest taken after the previous call, or by the check's digest_fresh,
 * still holds if nothing was flagged (step).  XMM_FUZZ_FULL=1 recomputes
 * it and compares.
 */
static uint64_t digest_before(struct trace *t)
{
    uint64_t dig;

    if (!t->dig_known)
        return xmm_world_digest(t->w);
    t->dig_known = false;
    dig = t->dig;
    if (every_call() && dig != xmm_world_digest(t->w))
        tr_die(t, "the digest changed between two calls (%#" PRIx64 " -> %#" PRIx64 ")", dig,
               xmm_world_digest(t->w));
    return dig;
}

/* Run one call and check the world after it. */
static void step(struct trace *t, op_fn fn)
{
    uint64_t dig = digest_before(t), st = state_of(t->w, dig), now = 0;
    bool now_holds = false;
    int rc;

    t->fam = XMM_RC_ERRNO;
    t->atomic = true;
    t->readonly = false;
    t->note = "";
    snprintf(t->what, sizeof(t->what), "nothing");
    xmm_world_set_step(t->w, t->call);
    rc = fn(t);
    if (tr_verbose())
        fprintf(stderr, "#%u %s%s -> %s\n", t->call, t->what, t->note, xmm_rc_name(t->fam, rc));
    /* One digest after the call serves both checks (the world is the same). */
    if (t->readonly || (rc != 0 && t->atomic)) {
        now = xmm_world_digest(t->w);
        now_holds = t->w->flagged_count == 0; /* the check below changes nothing digested */
    }
    if (t->readonly && now != dig)
        tr_die(t, "a read-only call changed the digest");
    if (rc != 0 && t->atomic && (now != dig || state_of(t->w, now) != st))
        tr_die(t, "failed with %s but changed the world (digest %#" PRIx64 " -> %#" PRIx64 ")",
            xmm_rc_name(t->fam, rc), dig, now);
    t->dig_known = false;
    check_world_mode(t, full_due(t));
    if (!t->dig_known && now_holds) {
        t->dig = now;
        t->dig_known = true;
    }
}

/* --- world ----------------------------------------------------------------- */

static const enum xmm_sp_relinquish relinq[] = {
    XMM_SP_RELINQUISH_ON_VM_DESTROYED, XMM_SP_RELINQUISH_AFTER, XMM_SP_RELINQUISH_NEVER,
    XMM_SP_RELINQUISH_MANUAL,
};

/* The host of a trace: the safe policies, its knobs from the header bytes. */
static struct xmm_world *make_world(struct trace *t)
{
    static const uint64_t rams[] = { 1024, 1024, 256, 4096 }; /* small hosts: a fast run */
    static const uint64_t latency[] = { 10, 1, 50, 200 };
    static const struct xmm_limits limits[] = { { 1000, 100, 10 }, { 1000, 10, 2 },
                                                { 1000, 1, 1 }, { 1000, 50, 4 } };
    const struct xmm_mmio_region mmio = { { TR_MMIO_BASE }, TR_MMIO_PAGES, "dev" };
    const struct xmm_iommu_device dev = { TR_DEV, true };
    struct xmm_world_opts o = XMM_WORLD_OPTS_INIT;
    struct xmm_sp_config sp[2];
    uint8_t h0 = in_u8(&t->in), h1 = in_u8(&t->in);
    struct xmm_world *w = NULL;

    memset(&o.policy, 0, sizeof(o.policy)); /* value 0 of every knob: the safe design */
    /*
     * ... but both physmap_overwrite values (the low bits of the two header
     * bytes, which also choose other things, differ: replace, Xen's own).
     */
    if ((h0 ^ h1) & 1)
        o.policy.physmap_overwrite = XMM_PHYSMAP_OVERWRITE_REPLACE;
    o.ram_pages = t->ram_pages = rams[h1 & 3];
    o.ram_base = xmm_mfn(TR_RAM_BASE);
    o.mmio = &mmio;
    o.mmio_count = 1;
    o.alloc_mode = (h0 & 0x40) ? XMM_ALLOC_LIFO : XMM_ALLOC_BUDDY;
    o.limits = limits[(h1 >> 4) & 3];
    o.seed = h0 ^ ((uint64_t)h1 << 8);
    o.history_events = 256;
    o.iommu.devices = &dev;
    o.iommu.device_count = 1;
    o.iommu.flush_latency = latency[(h1 >> 2) & 3];
    if (xmm_world_new(&o, &w) != 0) {
        fprintf(stderr, "fuzz_trace: xmm_world_new failed\n");
        abort();
    }
    memset(sp, 0, sizeof(sp));
    sp[0].id = TR_SP1;
    sp[0].subscribe_vm_destroyed = (h0 & 4) != 0;
    sp[0].relinquish = relinq[h0 & 3];
    sp[0].relinquish_after = 5;
    if (h0 & 0x80) {
        sp[0].vm_destroyed_replies[0] = XMM_FFA_RET_RETRY;
        sp[0].vm_destroyed_replies[1] = XMM_FFA_RET_BUSY;
        sp[0].vm_destroyed_replies[2] = XMM_FFA_RET_OK;
        sp[0].vm_destroyed_reply_count = 3;
    }
    sp[1].id = TR_SP2;
    sp[1].subscribe_vm_destroyed = (h1 & 0x80) != 0;
    sp[1].retrieve = (h0 & 0x20) ? XMM_SP_RETRIEVE_MANUAL : XMM_SP_RETRIEVE_AUTO;
    sp[1].relinquish = relinq[(h0 >> 3) & 3];
    sp[1].relinquish_after = 30;
    sp[1].reclaim_error = (h1 & 0x40) ? XMM_FFA_RET_ABORTED : 0;
    if (xmm_spmc_stub_attach(w, sp, 2) != 0) {
        fprintf(stderr, "fuzz_trace: xmm_spmc_stub_attach failed\n");
        abort();
    }
    if (tr_verbose())
        fprintf(stderr, "world: %" PRIu64 " frames, %s, latency %" PRIu64 ", retry %u x %u; "
                "sp1 %s%s%s, sp2 %s%s%s, physmap_overwrite %s\n", o.ram_pages, h0 & 0x40 ? "lifo" : "buddy",
                o.iommu.flush_latency, o.limits.ffa_retry_ticks, o.limits.ffa_retry_limit,
                sp[0].subscribe_vm_destroyed ? "subscribed " : "", h0 & 0x80 ? "retry-replies " : "",
                (const char *[]){ "on_vm_destroyed", "after", "never", "manual" }[h0 & 3],
                sp[1].subscribe_vm_destroyed ? "subscribed " : "",
                sp[1].retrieve ? "manual-retrieve " : "",
                (const char *[]){ "on_vm_destroyed", "after", "never", "manual" }[(h0 >> 3) & 3],
                (h0 ^ h1) & 1 ? "replace" : "refuse");
    return w;
}

/*
 * Liveness: with every user reference dropped and every domain destroyed,
 * and the clock run past FF-A retries and invalidations, nothing may be
 * left but parked frames.
 */
static void teardown(struct trace *t)
{
    struct xmm_world *w = t->w;

    t->call++;
    t->note = "";
    tr_what(t, "teardown");
    for (int round = 0; round < 4 && xmm_domain_count(w); round++) {
        xmm_domid_t ids[64];
        size_t n = xmm_domain_count(w);

        n = n < 64 ? n : 64;
        for (size_t i = 0; i < n; i++)
            ids[i] = xmm_domain_id_at(w, i);
        for (size_t i = 0; i < n; i++) {
            while (xmm_domain_put(w, ids[i]) == 0)
                ;
            (void)xmm_domain_destroy(w, ids[i], 100000, NULL);
            check_world_mode(t, false);
        }
        xmm_world_advance(w, 3000);
        check_world_mode(t, false);
    }
    if (xmm_domain_count(w)) {
        struct xmm_domain_info di;

        xmm_domain_info(w, xmm_domain_id_at(w, 0), &di);
        tr_die(t, "%zu domain(s) left after destroying all and 12000 ticks: d%u is %s with %u refs, "
            "%" PRIu64 " pages, kill stage %u", xmm_domain_count(w), (unsigned)di.id,
            xmm_domain_state_name(di.state), di.refs, di.tot_pages, di.kill_stage);
    }
    for (unsigned i = 0; i < t->nxen; i++)
        if (xmm_xenheap_free(w, t->xen[i]) != 0)
            tr_die(t, "xenheap frame %#" PRIx64 " cannot be freed after teardown",
                xmm_mfn_x(t->xen[i]));
    t->nxen = 0;
    check_world(t);
    if (xmm_heap_free_pages(w) + xmm_ffa_parked_frames(w) != xmm_heap_total_pages(w))
        tr_die(t, "after teardown %" PRIu64 " frames are free and %" PRIu64 " parked, of %" PRIu64,
            xmm_heap_free_pages(w), xmm_ffa_parked_frames(w), xmm_heap_total_pages(w));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct trace t; /* ~3 KiB of rings: keep it off the stack */

    memset(&t, 0, sizeof(t));
    t.note = "";
    t.in.p = data;
    t.in.n = size;
    for (size_t i = 0; i < size && i < 16; i++)
        t.seed_mix = t.seed_mix * 31 + data[i];
    t.seed_mix ^= (uint32_t)size;
    t.w = make_world(&t);
    check_world_mode(&t, false);
    while (t.in.n && t.call < TR_MAX_CALLS) {
        t.call++;
        step(&t, trace_ops[in_u8(&t.in) % trace_op_count].fn);
    }
    teardown(&t);
    xmm_world_free(t.w);
    return 0;
}
