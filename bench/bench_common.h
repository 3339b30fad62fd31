/*
 * libxmm benchmarks - helpers shared by bench_*.c.
 *
 * Wall-clock time is read here (CLOCK_MONOTONIC) and nowhere in src/: the
 * model itself has no clock but its tick counter.  The random sequences are
 * splitmix64 from a fixed seed that every binary prints in its header, so
 * two runs (and every structure inside one run) see the same sequence.
 */
#ifndef XMM_BENCH_COMMON_H
#define XMM_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SEED UINT64_C(0x786d6d62656e6368) /* "xmmbench" */

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static inline double bench_secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static inline uint64_t bench_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (multiply-shift, no modulo bias worth noting). */
static inline uint64_t bench_below(uint64_t *s, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)bench_splitmix64(s) * n) >> 64);
}

/* Parse a count like 16777216, 16M, 64K, 1G (binary multiples). */
static inline int bench_parse_count(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);

    if (end == s)
        return -1;
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (*end || v == 0)
        return -1;
    *out = v;
    return 0;
}

/* The transparent-hugepage mode, which changes TLB behaviour of big arrays. */
static inline void bench_thp_mode(char *buf, size_t len)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

    snprintf(buf, len, "unknown");
    if (!f)
        return;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static inline void *bench_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fprintf(stderr, "out of memory (%zu x %zu bytes)\n", n, size);
        exit(2);
    }
    return p;
}

#endif /* XMM_BENCH_COMMON_H */
