/*
 * libxmm fuzz targets - the trace target's shared parts (fuzz_trace.c runs
 * a trace and checks the world; trace_ops.c decodes and makes the calls).
 * The op table is also the call generator of tests/unit/test_differential.c,
 * which feeds it seeded random bytes: a new op is added once, here, for
 * both.
 */
#ifndef XMM_FUZZ_TRACE_H
#define XMM_FUZZ_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xmm/xmm.h>

#define TR_MAX_CALLS 400   /* calls of one input (a run stays within a few ms) */
#define TR_RING 16         /* remembered ranges, handles, refs */
#define TR_XENHEAP 8       /* xenheap frames the trace holds */
#define TR_MMIO_BASE UINT64_C(0x1000)
#define TR_MMIO_PAGES 64
#define TR_RAM_BASE UINT64_C(0x40000)
#define TR_SP1 0x8001
#define TR_SP2 0x8002
#define TR_DEV "nic0"

/* --- input ------------------------------------------------------------------ */

struct input {
    const uint8_t *p;
    size_t n;
};

/* Bytes of the input, little-endian; past the end they read as zero. */
static inline uint8_t in_u8(struct input *in)
{
    uint8_t v = 0;

    if (in->n) {
        v = *in->p++;
        in->n--;
    }
    return v;
}

static inline uint16_t in_u16(struct input *in)
{
    uint16_t lo = in_u8(in);

    return (uint16_t)(lo | (uint16_t)in_u8(in) << 8);
}

static inline uint32_t in_u32(struct input *in)
{
    uint32_t lo = in_u16(in);

    return lo | (uint32_t)in_u16(in) << 16;
}

static inline uint64_t in_u64(struct input *in)
{
    uint64_t lo = in_u32(in);

    return lo | (uint64_t)in_u32(in) << 32;
}

/* --- the trace's memory of what it did ----------------------------------------- */

struct range {
    xmm_domid_t dom;
    uint64_t gfn, pages;
};

struct gmap {
    xmm_domid_t dom; /* the mapping domain */
    xmm_grant_handle_t handle;
    uint64_t gfn;    /* where it was mapped (remove_physmap may remove it) */
};

struct gref {
    xmm_domid_t dom, to;
    xmm_grant_ref_t ref;
};

struct share {
    xmm_domid_t dom;
    uint16_t sp;
    xmm_ffa_handle_t handle;
};

/* A user timer: populates one page when it fires (timer-context calls). */
struct utimer {
    xmm_domid_t dom;
    uint64_t gfn;
};

struct trace {
    struct input in;
    struct xmm_world *w;
    uint64_t ram_pages;
    unsigned call;
    uint32_t seed_mix; /* from the input: which calls get the full sweep (full_due) */
    char what[256];
    const char *note; /* "" or what is done to the call (an allocation failure) */
    enum xmm_rc_family fam;
    bool atomic;   /* a failure must leave the world unchanged */
    bool readonly; /* the call must not change the digest, whatever it returns */
    /*
     * The world's digest as the last check left it, when already known
     * (dig_known): the next call's "before" digest, not computed again.
     */
    bool dig_known;
    uint64_t dig;
    struct range ranges[TR_RING];
    unsigned nranges;
    struct gmap gmaps[TR_RING];
    unsigned ngmaps;
    struct gref grefs[TR_RING];
    unsigned ngrefs;
    struct share shares[TR_RING];
    unsigned nshares;
    xmm_mfn_t xen[TR_XENHEAP];
    unsigned nxen;
    struct utimer timers[4];
    /* Tallies for the drivers (test_differential); they steer nothing. */
    uint64_t last_pages;     /* pages asked for by the last populate / map_mmio */
    uint64_t grant_removed;  /* grant entries removed with remove_physmap */
};

/* One kind of call: decode its arguments from t->in, make it, return its code. */
typedef int (*op_fn)(struct trace *t);

struct trace_op {
    const char *name;
    op_fn fn;
};

/* The op table: an op byte, modulo trace_op_count, picks a row. */
extern const struct trace_op trace_ops[];
extern const size_t trace_op_count;

/* XMM_FUZZ_IGNORE names known bug NAME: the session runs past it. */
bool tr_ignoring(const char *name);
/* XMM_FUZZ_VERBOSE is set: print every call. */
bool tr_verbose(void);
/* Describe the current call in t->what (for messages). */
void tr_what(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a finding about the current call and abort (libFuzzer keeps the input). */
void tr_die(const struct trace *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif /* XMM_FUZZ_TRACE_H */
