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

/* The command line. */
struct args {
    uint64_t frames, pages, steps, full_every, seed, doms;
};

/* Parse the command line (usage() on anything wrong). */
static void parse_args(int argc, char **argv, struct args *a)
{
    bool quick = false, ok = true;

    *a = (struct args){ .frames = UINT64_C(1) << 20, .pages = UINT64_C(256) << 10, .steps = 4000,
                        .full_every = 20, .seed = BENCH_SEED, .doms = 3 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (i + 1 < argc && !strcmp(argv[i], "--frames"))
            ok &= bench_parse_count(argv[++i], &a->frames) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--domains"))
            ok &= bench_parse_count(argv[++i], &a->doms) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--pages"))
            ok &= bench_parse_count(argv[++i], &a->pages) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--steps"))
            ok &= bench_parse_count(argv[++i], &a->steps) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--full-every"))
            ok &= bench_parse_count(argv[++i], &a->full_every) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
            a->seed = strtoull(argv[++i], NULL, 0);
        else
            ok = false;
    }
    if (quick) {
        a->frames = UINT64_C(64) << 10;
        a->pages = UINT64_C(16) << 10;
        a->steps = 400;
    }
    if (!ok || a->doms < 2 || a->doms > 1000 || a->frames >= UINT32_MAX ||
        a->pages > (UINT64_C(64) << 20) || a->doms * a->pages > a->frames)
        usage();
}

/* What the measured loop found and how long it took. */
struct measured {
    struct stats st[K_COUNT];
    uint64_t full_ns, full_n, full_viol, inc_viol;
};

/* The world: doms domains of `pages` pages each, then the first (timed) check. */
static int setup(const struct args *a, struct bench *b, struct measured *m)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts dopts = XMM_DOMAIN_OPTS_INIT;
    struct xmm_check_report rep;
    uint64_t t0;
    uint32_t v;
    int rc;

    memset(b, 0, sizeof(*b));
    b->rng = a->seed;
    b->doms = (uint32_t)a->doms;
    b->region = a->pages + a->pages / 4; /* room to populate into; ends below FOREIGN_GFN */
    wo.ram_pages = a->frames;
    wo.policy.safe_range = XMM_SAFE_RANGE_NONE;
    wo.seed = a->seed;
    dopts.max_pages = a->frames;
    dopts.safe_range = XMM_SAFE_RANGE_OFF;

    printf("== xmm-bench-check: incremental checker vs full sweep, per step\n");
    printf("host       %llu frames; %llu domains x %llu pages (RAM region %llu gfns at %#llx); "
           "free %llu\n", (unsigned long long)a->frames, (unsigned long long)a->doms,
           (unsigned long long)a->pages, (unsigned long long)b->region,
           (unsigned long long)RAM_GFN, (unsigned long long)(a->frames - a->doms * a->pages));
    printf("steps      %llu, uniform mix of populate 1 / map_foreign / remove / decrease 1; "
           "splitmix64 seed %#llx\n", (unsigned long long)a->steps, (unsigned long long)a->seed);
    printf("full sweep timed every %llu steps, on the same state as that step's incremental "
           "check\n\n", (unsigned long long)a->full_every);
    fflush(stdout);

    rc = xmm_world_new(&wo, &b->w);
    for (xmm_domid_t d = 1; !rc && d <= a->doms; d++) {
        rc = xmm_domain_create(b->w, d, &dopts);
        if (!rc)
            rc = xmm_physmap_populate(b->w, d, xmm_gfn(RAM_GFN), a->pages);
    }
    if (rc) {
        fprintf(stderr, "bench_check: setup failed: %s\n", xmm_strerror(rc));
        return rc;
    }
    t0 = bench_now_ns();
    v = xmm_check_incremental(b->w, &rep); /* the setup overflowed the change set: a full sweep */
    printf("setup check (falls back to the full sweep): %.3f ms, %u violation(s)\n",
           (double)(bench_now_ns() - t0) / 1e6, v);
    print_violations(&rep);
    m->inc_viol += v;
    return 0;
}

/* The random steps, each followed by the timed checks. */
static void measure(const struct args *a, struct bench *b, struct measured *m)
{
    struct xmm_check_report rep;
    uint64_t t0, t1;
    uint32_t v;
    int rc;

    for (uint64_t step = 0; step < a->steps; step++) {
        enum kind k = (enum kind)bench_below(&b->rng, K_COUNT);
        xmm_domid_t d = (xmm_domid_t)(1 + bench_below(&b->rng, b->doms));
        struct stats *s;

        xmm_world_set_step(b->w, (uint32_t)step + 1);
        t0 = bench_now_ns();
        rc = do_step(b, &k, d);
        t1 = bench_now_ns();
        s = &m->st[k];
        s->n++;
        s->failed += rc != 0;
        s->op_ns += t1 - t0;
        if (step % a->full_every == 0) {
            int n;

            t0 = bench_now_ns();
            n = xmm_check_full(b->w, &rep);
            m->full_ns += bench_now_ns() - t0;
            m->full_n++;
            if (n) {
                printf("step %llu (%s): full sweep returned %d\n", (unsigned long long)step,
                       kind_name[k], n);
                print_violations(&rep);
                m->full_viol += n > 0 ? (uint64_t)n : 1;
            }
        }
        t0 = bench_now_ns();
        v = xmm_check_incremental(b->w, &rep);
        s->inc_ns += bench_now_ns() - t0;
        if (v) {
            printf("step %llu (%s): incremental check found %u\n", (unsigned long long)step,
                   kind_name[k], v);
            print_violations(&rep);
            m->inc_viol += v;
        }
    }
}

/* The table per kind of step, the ratio, the verdict. */
static void report(const struct args *a, const struct measured *m)
{
    struct stats all;

    memset(&all, 0, sizeof(all));
    printf("\n%-14s %8s %8s %14s %18s\n", "step", "count", "failed", "op ns/step",
           "incremental ns/step");
    for (int k = 0; k < K_COUNT; k++) {
        const struct stats *s = &m->st[k];

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
           (double)all.inc_ns / (double)all.n, (double)m->full_ns / (double)m->full_n,
           (unsigned long long)m->full_n);
    printf("ratio:      full sweep / incremental = %.0fx  (full sweep ns per host frame: %.2f)\n",
           ((double)m->full_ns / (double)m->full_n) / ((double)all.inc_ns / (double)all.n),
           (double)m->full_ns / (double)m->full_n / (double)a->frames);
    printf("violations: incremental %llu (%llu checks), full sweep %llu (%llu sweeps): %s\n",
           (unsigned long long)m->inc_viol, (unsigned long long)all.n + 1,
           (unsigned long long)m->full_viol, (unsigned long long)m->full_n,
           m->inc_viol || m->full_viol ? "FAILED" : "ok");
}

int main(int argc, char **argv)
{
    struct measured m;
    struct bench b;
    struct args a;

    parse_args(argc, argv, &a);
    memset(&m, 0, sizeof(m));
    if (setup(&a, &b, &m))
        return 1;
    measure(&a, &b, &m);
    report(&a, &m);
    xmm_world_free(b.w);
    return m.inc_viol || m.full_viol ? 1 : 0;
}
