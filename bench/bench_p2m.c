/*
 * bench_p2m: P2M lookup and insert throughput, and memory per mapping, of
 * libxmm's radix (p2m_get, the public xmm_p2m_lookup as the installed
 * header compiles it into the caller, and the batched xmm_p2m_lookup_many)
 * side by side with a flat uint64 array indexed by gfn (the ideal), JudyL
 * and a GHashTable.
 *
 * Mappings follow the Arm guest layout (libxl): the first 3 GiB of RAM at
 * RAM0 (gfn 0x40000), the rest at RAM1 (gfn 0x200000), inserted in
 * ascending gfn order as populate_physmap would.  Lookups are the same
 * splitmix64 sequence of mapped gfns for every structure (precomputed, so
 * generating it is not timed); each repetition times every structure once,
 * and the best of --reps (3) counts.  Throughput is independent lookups (the
 * CPU overlaps their misses); latency is a dependent chain (one miss at a
 * time).  Design targets (design.md, Performance), on throughput: radix
 * lookups >= 0.7x the flat array and >= 5x JudyL.  A miss is reported, not
 * fatal; a checksum disagreement is (exit 1).  Four rows are no peers and
 * no targets: "radix walk inlined" (p2m_get's walk compiled into the
 * caller, on the same nodes), "walk inlined, converted" (the same with the
 * conversion the xmm_p2m_lookup row makes of its struct xmm_p2m_entry for
 * the checksum), "lookup out of line" (the library's exported
 * xmm_p2m_lookup symbol, called through a pointer) and "flat array behind
 * a call" (the flat array read by a noinline function: what an out-of-line
 * call itself costs here).
 *
 *   xmm-bench-p2m [--quick] [--mappings N] [--lookups N] [--reps R] [--seed S]
 */
#include <malloc.h>
#include <stdbool.h>

#include "internal.h" /* p2m_get, struct p2m_node, domain_find */
#include "bench_common.h"

#ifdef XMM_BENCH_HAVE_JUDY
#include <Judy.h>
#endif
#ifdef XMM_BENCH_HAVE_GLIB
#include <glib.h>
#endif

#define DOM 1
#define MFN_BASE UINT64_C(0x1000000) /* outside the host RAM: no frame bookkeeping */

/*
 * S_LOOKUP is the public call as a user's code compiled against the
 * installed header makes it: xmm_p2m_lookup is inline there (its fast path
 * reads the world's head, include/xmm/p2m.h).  S_MANY is the batched public
 * call, xmm_p2m_lookup_many.  Not peers, not targets: S_INLINE, the same
 * radix walked by a copy of p2m_get's loop compiled into the benchmark;
 * S_INLINE_CONV, that walk with S_LOOKUP's conversion of the result (an
 * entry, 0 when nothing is mapped) back to the leaf; S_LOOKUP_OOL, the
 * library's exported xmm_p2m_lookup symbol called through a pointer (what a
 * caller that does not inline gets); S_FLAT_CALL, the flat array read
 * through a noinline function, to show what any out-of-line call costs on
 * this machine.
 */
enum {
    S_RADIX, S_LOOKUP, S_MANY, S_INLINE, S_INLINE_CONV, S_LOOKUP_OOL, S_FLAT, S_FLAT_CALL,
    S_JUDY, S_GHASH, S_COUNT
};
static const char *const s_name[S_COUNT] = {
    "radix p2m_get", "radix xmm_p2m_lookup", "radix lookup_many", "radix walk inlined",
    "walk inlined, converted", "lookup out of line", "flat array", "flat array behind a call",
    "JudyL", "GHashTable",
};

struct result {
    bool present;
    double insert_ns;      /* per mapping */
    double lookup_ns;      /* per lookup, independent lookups, best repetition */
    double latency_ns;     /* per lookup, dependent chain, best repetition */
    double model_bytes;    /* per mapping, by the structure's own account */
    double malloc_bytes;   /* per mapping, by mallinfo2 around the build */
    uint64_t checksum, dep_checksum;
};

struct bench {
    uint64_t n, lookups, dep_lookups, range;
    uint64_t zero; /* 0, read at run time: makes the latency chain opaque */
    uint64_t *seq; /* gfns to look up */
    xmm_gfn_t *gseq; /* the same, typed, for xmm_p2m_lookup_many */
    struct xmm_world *w;
    const struct xmm_domain *d;
    /* The exported symbol, called through this pointer (S_LOOKUP_OOL). */
    int (*lookup_fn)(const struct xmm_world *, xmm_domid_t, xmm_gfn_t, struct xmm_p2m_entry *);
    uint64_t *flat;
#ifdef XMM_BENCH_HAVE_JUDY
    Pvoid_t judy;
#endif
#ifdef XMM_BENCH_HAVE_GLIB
    GHashTable *ghash;
#endif
    struct result r[S_COUNT];
};

static uint64_t gfn_of(uint64_t i)
{
    return i < XMM_GUEST_RAM0_PAGES ? XMM_GUEST_RAM0_GFN + i
                                    : XMM_GUEST_RAM1_GFN + (i - XMM_GUEST_RAM0_PAGES);
}

static uint64_t entry_of(uint64_t i)
{
    return p2m_pack(MFN_BASE + i, XMM_P2M_RAM_RW);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

/* --- builds ------------------------------------------------------------- */

static void build_radix(struct bench *b)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts dopts = XMM_DOMAIN_OPTS_INIT;
    size_t before;
    uint64_t t0, t1;

    wo.policy.safe_range = XMM_SAFE_RANGE_NONE;
    wo.seed = BENCH_SEED;
    if (xmm_world_new(&wo, &b->w) || xmm_domain_create(b->w, DOM, &dopts)) {
        fprintf(stderr, "bench_p2m: cannot create the world\n");
        exit(2);
    }
    b->d = domain_find(b->w, DOM);
    before = heap_in_use();
    t0 = bench_now_ns();
    for (uint64_t i = 0; i < b->n; i++)
        if (xmm_p2m_set(b->w, DOM, xmm_gfn(gfn_of(i)), xmm_mfn(MFN_BASE + i), XMM_P2M_RAM_RW)) {
            fprintf(stderr, "bench_p2m: xmm_p2m_set failed at mapping %llu\n",
                    (unsigned long long)i);
            exit(2);
        }
    t1 = bench_now_ns();
    b->lookup_fn = xmm_p2m_lookup;
    for (int s = S_RADIX; s <= S_LOOKUP_OOL; s++) { /* every radix row */
        b->r[s].present = true;
        b->r[s].insert_ns = (double)(t1 - t0) / (double)b->n;
        b->r[s].model_bytes = (double)xmm_p2m_node_count(b->w, DOM) *
                              (double)sizeof(struct p2m_node) / (double)b->n;
        b->r[s].malloc_bytes = (double)(heap_in_use() - before) / (double)b->n;
    }
}

static void build_flat(struct bench *b)
{
    size_t before = heap_in_use();
    uint64_t t0 = bench_now_ns();

    b->flat = bench_xcalloc(b->range, sizeof(*b->flat));
    for (uint64_t i = 0; i < b->n; i++)
        b->flat[gfn_of(i) - XMM_GUEST_RAM0_GFN] = entry_of(i);
    b->r[S_FLAT].insert_ns = (double)(bench_now_ns() - t0) / (double)b->n;
    b->r[S_FLAT].present = true;
    b->r[S_FLAT].model_bytes = 8.0 * (double)b->range / (double)b->n;
    b->r[S_FLAT].malloc_bytes = (double)(heap_in_use() - before) / (double)b->n;
    b->r[S_FLAT_CALL] = b->r[S_FLAT]; /* the same array */
}

static void build_judy(struct bench *b)
{
#ifdef XMM_BENCH_HAVE_JUDY
    size_t before = heap_in_use();
    uint64_t t0 = bench_now_ns();

    b->judy = NULL;
    for (uint64_t i = 0; i < b->n; i++) {
        PWord_t pv = (PWord_t)JudyLIns(&b->judy, (Word_t)gfn_of(i), PJE0);

        if (pv == PJERR) {
            fprintf(stderr, "bench_p2m: JudyLIns failed\n");
            exit(2);
        }
        *pv = (Word_t)entry_of(i);
    }
    b->r[S_JUDY].insert_ns = (double)(bench_now_ns() - t0) / (double)b->n;
    b->r[S_JUDY].present = true;
    b->r[S_JUDY].model_bytes = (double)JudyLMemUsed(b->judy) / (double)b->n;
    b->r[S_JUDY].malloc_bytes = (double)(heap_in_use() - before) / (double)b->n;
#else
    (void)b;
#endif
}

static void build_ghash(struct bench *b)
{
#ifdef XMM_BENCH_HAVE_GLIB
    size_t before = heap_in_use();
    uint64_t t0 = bench_now_ns();

    b->ghash = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (uint64_t i = 0; i < b->n; i++)
        g_hash_table_insert(b->ghash, GSIZE_TO_POINTER(gfn_of(i)), GSIZE_TO_POINTER(entry_of(i)));
    b->r[S_GHASH].insert_ns = (double)(bench_now_ns() - t0) / (double)b->n;
    b->r[S_GHASH].present = true;
    /* No accounting API: the mallinfo2 figure is the measurement. */
    b->r[S_GHASH].malloc_bytes = (double)(heap_in_use() - before) / (double)b->n;
    b->r[S_GHASH].model_bytes = b->r[S_GHASH].malloc_bytes;
#else
    (void)b;
#endif
}

/*
 * --- lookups ---------------------------------------------------------------
 * Throughput: independent lookups, so the CPU overlaps their cache misses.
 * Latency: each gfn depends on the previous result (v & zero, where zero is
 * a field the compiler cannot see is 0), so misses are paid one after
 * another.
 * Each loop is its own noinline function.
 */
#define LOOKUP_LOOPS(GET)                                                       \
    uint64_t sum = 0, v = 0, zero = b->zero;                                    \
    if (!dep) {                                                                 \
        for (uint64_t i = 0; i < count; i++)                                    \
            sum += GET(b, b->seq[i]);                                           \
    } else {                                                                    \
        for (uint64_t i = 0; i < count; i++) {                                  \
            v = GET(b, b->seq[i] + (v & zero));                                 \
            sum += v;                                                           \
        }                                                                       \
    }                                                                           \
    return sum

static inline uint64_t get_radix(const struct bench *b, uint64_t gfn)
{
    return p2m_get(&b->d->p2m, gfn);
}

static inline uint64_t get_lookup(const struct bench *b, uint64_t gfn)
{
    struct xmm_p2m_entry e;

    if (xmm_p2m_lookup(b->w, DOM, xmm_gfn(gfn), &e))
        return 0;
    return p2m_pack(xmm_mfn_x(e.mfn), e.type);
}

/* The walk with get_lookup's conversion: what the struct xmm_p2m_entry costs the caller. */
static inline uint64_t get_inline_conv(const struct bench *b, uint64_t gfn)
{
    uint64_t e = p2m_get(&b->d->p2m, gfn);

    if (!e)
        return 0;
    return p2m_pack(p2m_entry_mfn(e), p2m_entry_type(e));
}

/* The same call, to the library's out-of-line symbol. */
static inline uint64_t get_lookup_ool(const struct bench *b, uint64_t gfn)
{
    struct xmm_p2m_entry e;

    if (b->lookup_fn(b->w, DOM, xmm_gfn(gfn), &e))
        return 0;
    return p2m_pack(xmm_mfn_x(e.mfn), e.type);
}

/* p2m_get is inline in internal.h: this is the same walk compiled into the caller. */
static inline uint64_t get_inline(const struct bench *b, uint64_t gfn)
{
    return p2m_get(&b->d->p2m, gfn);
}

static inline uint64_t get_flat(const struct bench *b, uint64_t gfn)
{
    return b->flat[gfn - XMM_GUEST_RAM0_GFN];
}

/* get_flat, but a call: the cost of an out-of-line function here. */
__attribute__((noinline)) static uint64_t get_flat_call(const struct bench *b, uint64_t gfn)
{
    return b->flat[gfn - XMM_GUEST_RAM0_GFN];
}

static inline uint64_t get_judy(const struct bench *b, uint64_t gfn)
{
#ifdef XMM_BENCH_HAVE_JUDY
    PWord_t pv = (PWord_t)JudyLGet(b->judy, (Word_t)gfn, PJE0);

    return pv ? (uint64_t)*pv : 0;
#else
    (void)b;
    (void)gfn;
    return 0;
#endif
}

static inline uint64_t get_ghash(const struct bench *b, uint64_t gfn)
{
#ifdef XMM_BENCH_HAVE_GLIB
    return GPOINTER_TO_SIZE(g_hash_table_lookup(b->ghash, GSIZE_TO_POINTER(gfn)));
#else
    (void)b;
    (void)gfn;
    return 0;
#endif
}

__attribute__((noinline)) static uint64_t run_radix(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_radix);
}

__attribute__((noinline)) static uint64_t run_lookup(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_lookup);
}

/*
 * The batched call over the same gfns, MANY_CHUNK at a time.  Its latency
 * row is a chain of one-gfn calls (a batch cannot depend on itself).
 */
#define MANY_CHUNK 256
__attribute__((noinline)) static uint64_t run_many(const struct bench *b, bool dep, uint64_t count)
{
    struct xmm_p2m_entry out[MANY_CHUNK];
    uint64_t sum = 0, v = 0, zero = b->zero;

    for (uint64_t i = 0; i < count; i += dep ? 1 : MANY_CHUNK) {
        size_t m = dep ? 1 : (count - i < MANY_CHUNK ? (size_t)(count - i) : MANY_CHUNK);
        xmm_gfn_t one = xmm_gfn(b->seq[i] + (v & zero));

        xmm_p2m_lookup_many(b->w, DOM, dep ? &one : &b->gseq[i], m, out);
        for (size_t k = 0; k < m; k++) {
            v = out[k].type == XMM_P2M_INVALID ? 0 : p2m_pack(xmm_mfn_x(out[k].mfn), out[k].type);
            sum += v;
        }
    }
    return sum;
}

__attribute__((noinline)) static uint64_t run_lookup_ool(const struct bench *b, bool dep,
                                                         uint64_t count)
{
    LOOKUP_LOOPS(get_lookup_ool);
}

__attribute__((noinline)) static uint64_t run_inline(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_inline);
}

__attribute__((noinline)) static uint64_t run_inline_conv(const struct bench *b, bool dep,
                                                          uint64_t count)
{
    LOOKUP_LOOPS(get_inline_conv);
}

__attribute__((noinline)) static uint64_t run_flat(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_flat);
}

__attribute__((noinline)) static uint64_t run_flat_call(const struct bench *b, bool dep,
                                                        uint64_t count)
{
    LOOKUP_LOOPS(get_flat_call);
}

__attribute__((noinline)) static uint64_t run_judy(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_judy);
}

__attribute__((noinline)) static uint64_t run_ghash(const struct bench *b, bool dep, uint64_t count)
{
    LOOKUP_LOOPS(get_ghash);
}

static uint64_t (*const runner[S_COUNT])(const struct bench *, bool, uint64_t) = {
    run_radix, run_lookup, run_many, run_inline, run_inline_conv, run_lookup_ool, run_flat,
    run_flat_call, run_judy, run_ghash,
};

/* --- report --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: xmm-bench-p2m [--quick] [--mappings N] [--lookups N] [--reps R] "
                    "[--seed S]\n  N accepts K/M/G suffixes (binary); default 16M mappings "
                    "(64 GiB of 4 KiB pages), --quick 1M\n");
    exit(2);
}

static void ratio_line(const struct bench *b, int radix, int peer, double target)
{
    double x;

    if (!b->r[peer].present || !b->r[radix].present)
        return;
    x = b->r[peer].lookup_ns / b->r[radix].lookup_ns;
    printf("  %-24s vs %-10s : %6.2fx throughput  (%5.2fx latency)", s_name[radix],
           s_name[peer], x, b->r[peer].latency_ns / b->r[radix].latency_ns);
    if (target > 0) {
        printf("   target >= %.1fx: %s", target, x >= target ? "met" : "MISSED");
        if (x < target)
            printf(" by %.0f%%", 100.0 * (target - x) / target);
    }
    printf("\n");
}

/* Parse the command line into b (sizes), *seed and *reps (usage() on anything wrong). */
static void parse_args(int argc, char **argv, struct bench *b, uint64_t *seed, unsigned *reps)
{
    bool quick = false;

    b->n = UINT64_C(16) << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (i + 1 < argc && !strcmp(argv[i], "--mappings")) {
            if (bench_parse_count(argv[++i], &b->n))
                usage();
        } else if (i + 1 < argc && !strcmp(argv[i], "--lookups")) {
            if (bench_parse_count(argv[++i], &b->lookups))
                usage();
        } else if (i + 1 < argc && !strcmp(argv[i], "--reps")) {
            uint64_t r;
            if (bench_parse_count(argv[++i], &r) || r > 100)
                usage();
            *reps = (unsigned)r;
        } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
            *seed = strtoull(argv[++i], NULL, 0);
        } else {
            usage();
        }
    }
    if (quick) {
        b->n = UINT64_C(1) << 20;
        *reps = 1;
    }
    if (b->n > XMM_GUEST_RAM0_PAGES + XMM_GUEST_RAM1_PAGES)
        usage();
    if (!b->lookups)
        b->lookups = b->n;
    /* Dependent lookups wait for each miss in turn: a shorter run gives the same mean. */
    b->dep_lookups = b->lookups < (UINT64_C(1) << 20) ? b->lookups : UINT64_C(1) << 20;
    b->range = gfn_of(b->n - 1) + 1 - XMM_GUEST_RAM0_GFN;
}

/* The header, the lookup sequence, and every structure built (insert timed). */
static void setup(struct bench *b, uint64_t seed, unsigned reps)
{
    char thp[128];
    uint64_t s;

    bench_thp_mode(thp, sizeof(thp));
    printf("== xmm-bench-p2m: P2M random lookup and insert\n");
    printf("mappings   %llu (%.1f GiB of 4 KiB pages): RAM0 gfn %#llx.., RAM1 gfn %#llx..; "
           "inserted in ascending gfn order\n",
           (unsigned long long)b->n, (double)b->n / 262144.0,
           (unsigned long long)XMM_GUEST_RAM0_GFN, (unsigned long long)XMM_GUEST_RAM1_GFN);
    printf("lookups    %llu uniform over the mapped gfns (latency: the first %llu, each gfn "
           "dependent on the last result),\n           splitmix64 seed %#llx, best of %u\n",
           (unsigned long long)b->lookups, (unsigned long long)b->dep_lookups,
           (unsigned long long)seed, reps);
    printf("radix      4 levels, node %zu bytes (512 x 8-byte entries)\n",
           sizeof(struct p2m_node));
    printf("flat range %llu gfns; THP: %s\n", (unsigned long long)b->range, thp);
#ifndef XMM_BENCH_HAVE_JUDY
    printf("note: Judy.h/libJudy not found at build time: the JudyL peer is skipped "
           "(apt-get install -y libjudy-dev)\n");
#endif
#ifndef XMM_BENCH_HAVE_GLIB
    printf("note: glib not found at build time: the GHashTable peer is skipped\n");
#endif
    fflush(stdout);

    b->seq = bench_xcalloc(b->lookups, sizeof(*b->seq));
    s = seed;
    for (uint64_t i = 0; i < b->lookups; i++)
        b->seq[i] = gfn_of(bench_below(&s, b->n));
    b->gseq = bench_xcalloc(b->lookups, sizeof(*b->gseq));
    for (uint64_t i = 0; i < b->lookups; i++)
        b->gseq[i] = xmm_gfn(b->seq[i]);

    build_radix(b);
    build_flat(b);
    build_judy(b);
    build_ghash(b);
}

/* Time every structure once per repetition; keep the best. */
static void measure(struct bench *b, unsigned reps)
{
    for (unsigned rep = 0; rep < reps; rep++)
        for (int k = 0; k < S_COUNT; k++) {
            struct result *r = &b->r[k];
            uint64_t t0, t1, t2;

            if (!r->present)
                continue;
            t0 = bench_now_ns();
            r->checksum = runner[k](b, false, b->lookups);
            t1 = bench_now_ns();
            r->dep_checksum = runner[k](b, true, b->dep_lookups);
            t2 = bench_now_ns();
            if (rep == 0 || (double)(t1 - t0) / (double)b->lookups < r->lookup_ns)
                r->lookup_ns = (double)(t1 - t0) / (double)b->lookups;
            if (rep == 0 || (double)(t2 - t1) / (double)b->dep_lookups < r->latency_ns)
                r->latency_ns = (double)(t2 - t1) / (double)b->dep_lookups;
        }
}

/* The table, the ratios against the targets.  Return: true when a checksum disagrees. */
static bool report(const struct bench *b)
{
    uint64_t ref = b->r[S_FLAT].checksum, dref = b->r[S_FLAT].dep_checksum;
    bool bad = false;

    printf("\n%-24s %8s %8s %10s %9s %14s %14s\n", "structure", "insert", "lookup",
           "Mlookup/s", "latency", "bytes/mapping", "bytes/mapping");
    printf("%-24s %8s %8s %10s %9s %14s %14s\n", "", "ns/op", "ns/op", "", "ns/op",
           "(own account)", "(mallinfo2)");
    for (int k = 0; k < S_COUNT; k++) {
        const struct result *r = &b->r[k];

        if (!r->present) {
            printf("%-24s %10s\n", s_name[k], "skipped");
            continue;
        }
        printf("%-24s %8.1f %8.1f %10.1f %9.1f %14.2f %14.2f%s\n", s_name[k], r->insert_ns,
               r->lookup_ns, 1e3 / r->lookup_ns, r->latency_ns, r->model_bytes, r->malloc_bytes,
               r->checksum == ref && r->dep_checksum == dref ? "" : "  CHECKSUM MISMATCH");
        bad |= r->checksum != ref || r->dep_checksum != dref;
    }
    printf("(radix insert = xmm_p2m_set, the public one-entry path with its bookkeeping; "
           "xmm_p2m_lookup: inline\n from the public header, as a user's code compiles it; "
           "radix walk inlined: a copy of p2m_get's\n loop compiled into the benchmark (converted: "
           "its result turned into an entry and back,\n as the xmm_p2m_lookup row does); lookup "
           "out of line: the library's xmm_p2m_lookup symbol,\n called through a pointer; "
           "flat array behind a call: the flat array read by a noinline function;\n own account: "
           "radix = xmm_p2m_node_count x %zu, flat = 8 x range, JudyL = JudyLMemUsed,\n "
           "GHashTable = mallinfo2)\n", sizeof(struct p2m_node));

    printf("\nratios: peer ns/op / radix ns/op (higher is better for the radix); the targets are on "
           "throughput\n");
    for (int k = S_RADIX; k <= S_MANY; k++) {
        ratio_line(b, k, S_FLAT, 0.7);
        ratio_line(b, k, S_JUDY, 5.0);
        ratio_line(b, k, S_GHASH, 0.0);
    }
    printf("  (not targets: the bare walk inlined, and with the xmm_p2m_lookup row's conversion; "
           "the exported\n   symbol called out of line; what any out-of-line call costs: the "
           "flat array behind one)\n");
    ratio_line(b, S_INLINE, S_FLAT, 0.0);
    ratio_line(b, S_INLINE_CONV, S_FLAT, 0.0);
    ratio_line(b, S_LOOKUP_OOL, S_FLAT, 0.0);
    ratio_line(b, S_FLAT_CALL, S_FLAT, 0.0);
    if (!b->r[S_JUDY].present)
        printf("  radix vs JudyL: not measured (JudyL skipped)\n");
    printf("lookup checksums: %s\n", bad ? "MISMATCH" : "all equal");
    return bad;
}

int main(int argc, char **argv)
{
    uint64_t seed = BENCH_SEED;
    unsigned reps = 3;
    struct bench b;
    bool bad;

    memset(&b, 0, sizeof(b));
    parse_args(argc, argv, &b, &seed, &reps);
    setup(&b, seed, reps);
    measure(&b, reps);
    bad = report(&b);

#ifdef XMM_BENCH_HAVE_GLIB
    g_hash_table_destroy(b.ghash);
#endif
#ifdef XMM_BENCH_HAVE_JUDY
    JudyLFreeArray(&b.judy, PJE0);
#endif
    free(b.flat);
    free(b.seq);
    free(b.gseq);
    xmm_world_free(b.w);
    return bad ? 1 : 0;
}
