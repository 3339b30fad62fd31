/*
 * bench_check: per-step cost of the incremental invariant checker against
 * the full sweep, on a big world (default: 1M-frame host, 3 domains of 256K
 * pages each), for a random mix of small steps: populate 1 page, map a
 * foreign page, remove a mapping, decrease 1 page.
 *
 * After every step the incremental check runs (timed); every --full-every
 * steps the full sweep runs first on the same state (timed; it does not
 * forget the change set, so the incremental check that follows sees the
 * same step).  The design (design.md, Performance) says the incremental
 * check is O(what the step touched) and the full sweep O(frames): the
 * ratio printed is full / incremental per step.  Both must report 0
 * violations (otherwise exit 1).
 *
 *   xmm-bench-check [--quick] [--frames N] [--domains D] [--pages N]
 *                   [--steps N] [--full-every K] [--seed S]
 */
#include <stdbool.h>

#include "xmm/xmm.h"
#include "bench_common.h"

#define RAM_GFN XMM_GUEST_RAM0_GFN
#define FOREIGN_GFN UINT64_C(0x10000000) /* each domain's window for foreign mappings */
#define FOREIGN_SLOTS 256
#define PROBES 16

enum kind { K_POPULATE, K_MAP_FOREIGN, K_REMOVE, K_DECREASE, K_COUNT };
static const char *const kind_name[K_COUNT] = { "populate 1", "map_foreign", "remove",
                                                "decrease 1" };

struct stats {
    uint64_t n, failed, op_ns, inc_ns;
};

struct bench {
    struct xmm_world *w;
    uint64_t rng;
    uint32_t doms;
    uint64_t region; /* gfns of each domain's RAM region */
};

static void usage(void)
{
    fprintf(stderr, "usage: xmm-bench-check [--quick] [--frames N] [--domains D] [--pages N] "
                    "[--steps N] [--full-every K] [--seed S]\n"
                    "  default 1M frames, 3 domains of 256K pages, 4000 steps, full sweep every "
                    "20 steps; --quick 64K frames, 3 x 16K pages, 400 steps\n");
    exit(2);
}

static enum xmm_p2m_type type_at(const struct bench *b, xmm_domid_t d, uint64_t gfn)
{
    struct xmm_p2m_entry e;

    return xmm_p2m_lookup(b->w, d, xmm_gfn(gfn), &e) == 0 ? e.type : XMM_P2M_INVALID;
}

/* A random gfn of d's RAM region that is mapped RAM (want_ram) or unmapped. */
static bool pick_ram(struct bench *b, xmm_domid_t d, bool want_ram, uint64_t *gfn)
{
    for (int i = 0; i < PROBES; i++) {
        uint64_t g = RAM_GFN + bench_below(&b->rng, b->region);
        enum xmm_p2m_type t = type_at(b, d, g);

        if (want_ram ? t == XMM_P2M_RAM_RW : t == XMM_P2M_INVALID) {
            *gfn = g;
            return true;
        }
    }
    return false;
}

static xmm_domid_t other_dom(struct bench *b, xmm_domid_t d)
{
    xmm_domid_t s = (xmm_domid_t)(1 + bench_below(&b->rng, b->doms - 1));

    return s >= d ? (xmm_domid_t)(s + 1) : s;
}

/* One step of the given kind (falling back to another when it has no target). */
static int do_step(struct bench *b, enum kind *k, xmm_domid_t d)
{
    uint64_t g, sg;

    switch (*k) {
    case K_POPULATE:
        if (pick_ram(b, d, false, &g))
            return xmm_physmap_populate(b->w, d, xmm_gfn(g), 1);
        *k = K_DECREASE;
        /* fall through */
    case K_DECREASE:
        if (pick_ram(b, d, true, &g))
            return xmm_physmap_decrease(b->w, d, xmm_gfn(g), 1);
        if (pick_ram(b, d, false, &g)) {
            *k = K_POPULATE;
            return xmm_physmap_populate(b->w, d, xmm_gfn(g), 1);
        }
        return -XMM_ENOENT;
    case K_REMOVE:
        for (int i = 0; i < PROBES; i++) {
            g = FOREIGN_GFN + bench_below(&b->rng, FOREIGN_SLOTS);
            if (type_at(b, d, g) != XMM_P2M_INVALID)
                return xmm_physmap_remove(b->w, d, xmm_gfn(g));
        }
        *k = K_MAP_FOREIGN;
        /* fall through */
    case K_MAP_FOREIGN:
    default: {
        xmm_domid_t s = other_dom(b, d);

        g = FOREIGN_GFN + bench_below(&b->rng, FOREIGN_SLOTS);
        if (!pick_ram(b, s, true, &sg))
            return -XMM_ENOENT;
        return xmm_physmap_map_foreign(b->w, d, xmm_gfn(g), s, xmm_gfn(sg));
    }
    }
}

static void print_violations(const struct xmm_check_report *rep)
{
    for (uint32_t i = 0; i < rep->kept; i++)
        printf("  violation %s: %s\n", xmm_invariant_name(rep->v[i].inv), rep->v[i].detail);
}

int main(int argc, char **argv)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts dopts = XMM_DOMAIN_OPTS_INIT;
    uint64_t frames = UINT64_C(1) << 20, pages = UINT64_C(256) << 10, steps = 4000;
    uint64_t full_every = 20, seed = BENCH_SEED, doms = 3, t0, t1;
    uint64_t full_ns = 0, full_n = 0, full_viol = 0, inc_viol = 0;
    struct stats st[K_COUNT], all;
    struct xmm_check_report rep;
    struct bench b;
    bool quick = false, ok = true;
    uint32_t v;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (i + 1 < argc && !strcmp(argv[i], "--frames"))
            ok &= bench_parse_count(argv[++i], &frames) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--domains"))
            ok &= bench_parse_count(argv[++i], &doms) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--pages"))
            ok &= bench_parse_count(argv[++i], &pages) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--steps"))
            ok &= bench_parse_count(argv[++i], &steps) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--full-every"))
            ok &= bench_parse_count(argv[++i], &full_every) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
            seed = strtoull(argv[++i], NULL, 0);
        else
            ok = false;
    }
    if (quick) {
        frames = UINT64_C(64) << 10;
        pages = UINT64_C(16) << 10;
        steps = 400;
    }
    if (!ok || doms < 2 || doms > 1000 || frames >= UINT32_MAX || pages > (UINT64_C(64) << 20) ||
        doms * pages > frames)
        usage();

    memset(&b, 0, sizeof(b));
    memset(st, 0, sizeof(st));
    b.rng = seed;
    b.doms = (uint32_t)doms;
    b.region = pages + pages / 4; /* room to populate into; ends below FOREIGN_GFN */
    wo.ram_pages = frames;
    wo.policy.safe_range = XMM_SAFE_RANGE_NONE;
    wo.seed = seed;
    dopts.max_pages = frames;
    dopts.safe_range = XMM_SAFE_RANGE_OFF;

    printf("== xmm-bench-check: incremental checker vs full sweep, per step\n");
    printf("host       %llu frames; %llu domains x %llu pages (RAM region %llu gfns at %#llx); "
           "free %llu\n", (unsigned long long)frames, (unsigned long long)doms,
           (unsigned long long)pages, (unsigned long long)b.region,
           (unsigned long long)RAM_GFN, (unsigned long long)(frames - doms * pages));
    printf("steps      %llu, uniform mix of populate 1 / map_foreign / remove / decrease 1; "
           "splitmix64 seed %#llx\n", (unsigned long long)steps, (unsigned long long)seed);
    printf("full sweep timed every %llu steps, on the same state as that step's incremental "
           "check\n\n", (unsigned long long)full_every);
    fflush(stdout);

    rc = xmm_world_new(&wo, &b.w);
    for (xmm_domid_t d = 1; !rc && d <= doms; d++) {
        rc = xmm_domain_create(b.w, d, &dopts);
        if (!rc)
            rc = xmm_physmap_populate(b.w, d, xmm_gfn(RAM_GFN), pages);
    }
    if (rc) {
        fprintf(stderr, "bench_check: setup failed: %s\n", xmm_strerror(rc));
        return 1;
    }
    t0 = bench_now_ns();
    v = xmm_check_incremental(b.w, &rep); /* the setup overflowed the change set: a full sweep */
    printf("setup check (falls back to the full sweep): %.3f ms, %u violation(s)\n",
           (double)(bench_now_ns() - t0) / 1e6, v);
    print_violations(&rep);
    inc_viol += v;

    for (uint64_t step = 0; step < steps; step++) {
        enum kind k = (enum kind)bench_below(&b.rng, K_COUNT);
        xmm_domid_t d = (xmm_domid_t)(1 + bench_below(&b.rng, b.doms));
        struct stats *s;

        xmm_world_set_step(b.w, (uint32_t)step + 1);
        t0 = bench_now_ns();
        rc = do_step(&b, &k, d);
        t1 = bench_now_ns();
        s = &st[k];
        s->n++;
        s->failed += rc != 0;
        s->op_ns += t1 - t0;
        if (step % full_every == 0) {
            int n;

            t0 = bench_now_ns();
            n = xmm_check_full(b.w, &rep);
            full_ns += bench_now_ns() - t0;
            full_n++;
            if (n) {
                printf("step %llu (%s): full sweep returned %d\n", (unsigned long long)step,
                       kind_name[k], n);
                print_violations(&rep);
                full_viol += n > 0 ? (uint64_t)n : 1;
            }
        }
        t0 = bench_now_ns();
        v = xmm_check_incremental(b.w, &rep);
        s->inc_ns += bench_now_ns() - t0;
        if (v) {
            printf("step %llu (%s): incremental check found %u\n", (unsigned long long)step,
                   kind_name[k], v);
            print_violations(&rep);
            inc_viol += v;
        }
    }

    memset(&all, 0, sizeof(all));
    printf("\n%-14s %8s %8s %14s %18s\n", "step", "count", "failed", "op ns/step",
           "incremental ns/step");
    for (int k = 0; k < K_COUNT; k++) {
        const struct stats *s = &st[k];

        all.n += s->n;
        all.failed += s->failed;
        all.op_ns += s->op_ns;
        all.inc_ns += s->inc_ns;
        if (s->n)
            printf("%-14s %8llu %8llu %14.0f %18.0f\n", kind_name[k], (unsigned long long)s->n,
                   (unsigned long long)s->failed, (double)s->op_ns / (double)s->n,
                   (double)s->inc_ns / (double)s->n);
    }
    printf("%-14s %8llu %8llu %14.0f %18.0f\n", "all", (unsigned long long)all.n,
           (unsigned long long)all.failed, (double)all.op_ns / (double)all.n,
           (double)all.inc_ns / (double)all.n);
    printf("\nper step:   incremental %12.0f ns   full sweep %14.0f ns (%llu sweeps)\n",
           (double)all.inc_ns / (double)all.n, (double)full_ns / (double)full_n,
           (unsigned long long)full_n);
    printf("ratio:      full sweep / incremental = %.0fx  (full sweep ns per host frame: %.2f)\n",
           ((double)full_ns / (double)full_n) / ((double)all.inc_ns / (double)all.n),
           (double)full_ns / (double)full_n / (double)frames);
    printf("violations: incremental %llu (%llu checks), full sweep %llu (%llu sweeps): %s\n",
           (unsigned long long)inc_viol, (unsigned long long)all.n + 1,
           (unsigned long long)full_viol, (unsigned long long)full_n,
           inc_viol || full_viol ? "FAILED" : "ok");
    xmm_world_free(b.w);
    return inc_viol || full_viol ? 1 : 0;
}
