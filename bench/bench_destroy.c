/*
 * bench_destroy: a big host, one domain populated with every frame (in
 * chunks, with XENMEM_populate_physmap), then destroyed with the toolstack
 * loop (xmm_domain_destroy).  Prints the wall time of both, the number of
 * domain_kill calls, and the model's memory per host frame
 * (xmm_world_bytes_live / frames) with a breakdown.
 *
 * Design targets (design.md, Performance): a 16M-frame (64 GiB) host with a
 * domain of 16M pages is populated and destroyed in seconds, not minutes,
 * and the model holds <= 48 bytes per frame (measured at the peak, with the
 * domain populated).  A miss is reported, not fatal; an invariant violation
 * or a failed call is (exit 1).
 *
 *   xmm-bench-destroy [--quick] [--frames N | --ram SIZE] [--chunk N] [--history N]
 *
 * --ram takes a host size (64GiB, 1TiB; binary K/M/G/T suffixes, bytes):
 * frames = SIZE / 4 KiB.
 */
#include <stdbool.h>

#include "internal.h" /* sizes of the frame table, radix node and history entry */
#include "bench_common.h"

#define DOM 1
#define BYTES_TARGET 48.0
#define SECONDS_TARGET 60.0 /* "seconds, not minutes" */

static void usage(void)
{
    fprintf(stderr, "usage: xmm-bench-destroy [--quick] [--frames N | --ram SIZE] [--chunk N] "
                    "[--history N]\n  SIZE: bytes with a K/M/G/T suffix (binary), e.g. 1TiB\n"
                    "  default 16M frames (64 GiB), --quick 1M; chunk default 256K pages (1 GiB)\n");
    exit(2);
}

/* Gfn of the i-th page of a libxl-style guest: RAM0 first, then RAM1. */
static uint64_t gfn_of(uint64_t i)
{
    return i < XMM_GUEST_RAM0_PAGES ? XMM_GUEST_RAM0_GFN + i
                                    : XMM_GUEST_RAM1_GFN + (i - XMM_GUEST_RAM0_PAGES);
}

/* A check after a big change: the change set overflowed, so this is a full sweep. */
static bool check_world(struct xmm_world *w, const char *when)
{
    struct xmm_check_report rep;
    uint64_t t0 = bench_now_ns();
    uint32_t n = xmm_check_incremental(w, &rep);
    double s = bench_secs(bench_now_ns() - t0);

    printf("check %-16s %8.3f s   %u violation(s)\n", when, s, n);
    for (uint32_t i = 0; i < rep.kept; i++)
        printf("  %s: %s\n", xmm_invariant_name(rep.v[i].inv), rep.v[i].detail);
    return n == 0;
}

static void mem_line(const char *what, size_t bytes, uint64_t frames)
{
    printf("  %-34s %14zu bytes  %8.3f bytes/frame\n", what, bytes,
           (double)bytes / (double)frames);
}

/* "1TiB", "64GiB", "64G": a host size in bytes, to 4 KiB frames. */
static int parse_ram(const char *s, uint64_t *frames)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    unsigned shift = 0;

    switch (*end) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: break;
    }
    if (shift)
        end++;
    if (*end == 'i' && shift)
        end++;
    if (*end == 'B')
        end++;
    if (end == s || *end || v == 0 || v > (UINT64_MAX >> shift) || ((v << shift) % 4096) != 0)
        return -1;
    *frames = (v << shift) / 4096;
    return 0;
}

/* The command line. */
struct args {
    uint64_t frames, chunk, history;
};

/* Parse the command line (usage() on anything wrong). */
static void parse_args(int argc, char **argv, struct args *a)
{
    bool quick = false, ok = true;

    *a = (struct args){ .frames = UINT64_C(16) << 20, .chunk = UINT64_C(256) << 10,
                        .history = 65536 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (i + 1 < argc && !strcmp(argv[i], "--frames"))
            ok &= bench_parse_count(argv[++i], &a->frames) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--ram"))
            ok &= parse_ram(argv[++i], &a->frames) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--chunk"))
            ok &= bench_parse_count(argv[++i], &a->chunk) == 0;
        else if (i + 1 < argc && !strcmp(argv[i], "--history"))
            a->history = strtoull(argv[++i], NULL, 0);
        else
            ok = false;
    }
    if (quick)
        a->frames = UINT64_C(1) << 20;
    if (!ok || a->frames >= UINT32_MAX || a->history > UINT32_MAX)
        usage();
}

/* What was measured. */
struct measured {
    uint64_t pop_ns, kill_ns, nodes, chunks;
    size_t bytes0, bytes1, bytes2;
    uint32_t calls;
    bool ok;
};

/* The header, the world and the empty domain (NULL on failure). */
static struct xmm_world *setup(const struct args *a, struct measured *m)
{
    struct xmm_world_opts wo = XMM_WORLD_OPTS_INIT;
    struct xmm_domain_opts dopts = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w;
    uint64_t t0;
    int rc;

    wo.ram_pages = a->frames;
    wo.policy.safe_range = XMM_SAFE_RANGE_NONE;
    wo.seed = BENCH_SEED;
    wo.history_events = (uint32_t)a->history;
    dopts.max_pages = a->frames;
    dopts.safe_range = XMM_SAFE_RANGE_OFF;

    printf("== xmm-bench-destroy: populate a whole host into one domain, then destroy it\n");
    printf("host       %llu frames (%.2f GiB) at mfn %#llx; history ring %llu events; seed %#llx\n",
           (unsigned long long)a->frames, (double)a->frames / 262144.0,
           (unsigned long long)xmm_mfn_x(wo.ram_base), (unsigned long long)a->history,
           (unsigned long long)BENCH_SEED);
    printf("domain     d%u, %llu pages populated in chunks of %llu (RAM0 gfn %#llx.., then RAM1 "
           "gfn %#llx..)\n", DOM, (unsigned long long)a->frames, (unsigned long long)a->chunk,
           (unsigned long long)XMM_GUEST_RAM0_GFN, (unsigned long long)XMM_GUEST_RAM1_GFN);
    printf("sizes      frame %zu + checker index %zu bytes per frame, radix node %zu, "
           "history entry %zu\n\n", sizeof(struct xmm_page), sizeof(struct xmm_rmap),
           sizeof(struct p2m_node), sizeof(struct hist_event));
    fflush(stdout);

    t0 = bench_now_ns();
    rc = xmm_world_new(&wo, &w);
    if (!rc)
        rc = xmm_domain_create(w, DOM, &dopts);
    if (rc) {
        fprintf(stderr, "bench_destroy: cannot create the world: %d\n", rc);
        return NULL;
    }
    printf("world_new + domain_create %8.3f s\n", bench_secs(bench_now_ns() - t0));
    m->bytes0 = xmm_world_bytes_live(w);
    return w;
}

/* Populate every frame in chunks, then destroy, both timed.  Return: 0 or 1. */
static int measure(const struct args *a, struct xmm_world *w, struct measured *m)
{
    uint64_t t0, done = 0;
    int rc;

    t0 = bench_now_ns();
    while (done < a->frames) {
        /* A chunk never straddles the RAM0/RAM1 boundary. */
        uint64_t n = a->frames - done < a->chunk ? a->frames - done : a->chunk;

        if (done < XMM_GUEST_RAM0_PAGES && done + n > XMM_GUEST_RAM0_PAGES)
            n = XMM_GUEST_RAM0_PAGES - done;
        rc = xmm_physmap_populate(w, DOM, xmm_gfn(gfn_of(done)), n);
        if (rc) {
            fprintf(stderr, "bench_destroy: populate of %llu pages at page %llu: %s\n",
                    (unsigned long long)n, (unsigned long long)done, xmm_strerror(rc));
            return 1;
        }
        done += n;
        m->chunks++;
    }
    m->pop_ns = bench_now_ns() - t0;
    m->bytes1 = xmm_world_bytes_live(w);
    m->nodes = xmm_p2m_node_count(w, DOM);
    printf("populate   %8.3f s  %7.1f ns/page  (%llu calls, %llu radix nodes, host free %llu)\n",
           bench_secs(m->pop_ns), (double)m->pop_ns / (double)a->frames,
           (unsigned long long)m->chunks, (unsigned long long)m->nodes,
           (unsigned long long)xmm_heap_free_pages(w));
    fflush(stdout);
    m->ok &= check_world(w, "after populate");

    t0 = bench_now_ns();
    rc = xmm_domain_destroy(w, DOM, UINT32_MAX, &m->calls);
    m->kill_ns = bench_now_ns() - t0;
    m->bytes2 = xmm_world_bytes_live(w);
    printf("destroy    %8.3f s  %7.1f ns/page  (%u domain_kill calls of <= %u units, rc %d, "
           "d%u %s, host free %llu)\n", bench_secs(m->kill_ns),
           (double)m->kill_ns / (double)a->frames,
           m->calls, XMM_KILL_BATCH, rc, DOM, xmm_domain_state_name(xmm_domain_state(w, DOM)),
           (unsigned long long)xmm_heap_free_pages(w));
    m->ok &= rc == 0 && xmm_domain_state(w, DOM) == XMM_DOMAIN_GONE &&
             xmm_heap_free_pages(w) == a->frames;
    fflush(stdout);
    m->ok &= check_world(w, "after destroy");
    return 0;
}

/* Memory breakdown, the design targets, the verdict. */
static void report(const struct args *a, const struct measured *m)
{
    uint64_t frames = a->frames;
    size_t frame_bytes = (size_t)frames * (sizeof(struct xmm_page) + sizeof(struct xmm_rmap));
    size_t node_bytes = (size_t)m->nodes * sizeof(struct p2m_node);
    size_t hist_bytes = (size_t)a->history * sizeof(struct hist_event);
    double per_frame = (double)m->bytes1 / (double)frames;

    printf("\nmodel memory (xmm_world_bytes_live; the world struct itself, %zu bytes, excluded)\n",
           sizeof(struct xmm_world));
    mem_line("empty domain (after create)", m->bytes0, frames);
    mem_line("populated (peak)", m->bytes1, frames);
    mem_line("  frame table + checker index", frame_bytes, frames);
    mem_line("  P2M radix nodes", node_bytes, frames);
    mem_line("  history ring", hist_bytes, frames);
    mem_line("  other", m->bytes1 - frame_bytes - node_bytes - hist_bytes, frames);
    mem_line("after destroy", m->bytes2, frames);

    printf("\ntargets\n");
    printf("  model bytes per frame (peak) %7.3f   target <= %.0f: %s", per_frame, BYTES_TARGET,
           per_frame <= BYTES_TARGET ? "met" : "MISSED");
    if (per_frame > BYTES_TARGET)
        printf(" (by %.3f bytes/frame, %.2f%%)", per_frame - BYTES_TARGET,
               100.0 * (per_frame - BYTES_TARGET) / BYTES_TARGET);
    printf("\n  (without the history ring, which --history 0 turns off: %.3f bytes/frame)",
           (double)(m->bytes1 - hist_bytes) / (double)frames);
    printf("\n  populate + destroy           %7.3f s target: seconds, not minutes (< %.0f s): %s\n",
           bench_secs(m->pop_ns + m->kill_ns), SECONDS_TARGET,
           bench_secs(m->pop_ns + m->kill_ns) < SECONDS_TARGET ? "met" : "MISSED");
    printf("result: %s\n", m->ok ? "ok (0 violations, every frame back on the heap)" : "FAILED");
}

int main(int argc, char **argv)
{
    struct measured m = { .ok = true };
    struct xmm_world *w;
    struct args a;

    parse_args(argc, argv, &a);
    w = setup(&a, &m);
    if (!w || measure(&a, w, &m))
        return 1;
    report(&a, &m);
    xmm_world_free(w);
    return m.ok ? 0 : 1;
}
