/*
 * libxmm - the world: one simulated host.
 *
 * A world holds everything the model knows: the host frames, the domains,
 * the virtual clock and its timer queue, a seeded PRNG, the policy knobs, the
 * allocator every other module allocates through, the lock-order graph and
 * the event history.  Two worlds never share state.
 */
#ifndef XMM_WORLD_H
#define XMM_WORLD_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Policy knobs (scenario-format.md "Policies"); value 0 is the safe design. */
enum xmm_xenheap_gfn_policy { XMM_XENHEAP_GFN_PAGE_INFO = 0, XMM_XENHEAP_GFN_ARRAY };
enum xmm_gfn_lock_policy { XMM_GFN_LOCK_P2M = 0, XMM_GFN_LOCK_GRANT };
enum xmm_ffa_teardown_policy { XMM_FFA_TEARDOWN_DEFERRED = 0, XMM_FFA_TEARDOWN_RESTART };
enum xmm_ffa_vm_destroyed_policy { XMM_FFA_VMD_PER_DOMAIN = 0, XMM_FFA_VMD_GLOBAL };
enum xmm_ffa_refused_policy {
    XMM_FFA_REFUSED_PARK = 0,
    XMM_FFA_REFUSED_ZOMBIE,
    XMM_FFA_REFUSED_LEAK,
    XMM_FFA_REFUSED_FREE, /* libxmm's unsafe variant: unpin anyway (shows the hazard) */
};
enum xmm_iotlb_policy { XMM_IOTLB_DEFERRED = 0, XMM_IOTLB_SYNC, XMM_IOTLB_PAUSE, XMM_IOTLB_UNSAFE };
enum xmm_safe_range_policy { XMM_SAFE_RANGE_TOOLSTACK = 0, XMM_SAFE_RANGE_QUERY, XMM_SAFE_RANGE_NONE };
enum xmm_shared_info_policy { XMM_SHARED_INFO_XENHEAP = 0, XMM_SHARED_INFO_GUEST_PAGE };
/*
 * What populate, map_mmio and the add-to-physmap spaces do with a gfn that
 * already maps something.  REFUSE (libxmm's guard): populate and map_mmio
 * fail with EEXIST, and nothing replaces a grant mapping (EBUSY).  REPLACE
 * (upstream Arm p2m_set_entry): the new leaf replaces the old one, which
 * drops what it held as p2m_put_l3_page does -- unless both name the same
 * frame, in which case nothing is dropped.
 */
enum xmm_physmap_overwrite_policy {
    XMM_PHYSMAP_OVERWRITE_REFUSE = 0,
    XMM_PHYSMAP_OVERWRITE_REPLACE,
};

struct xmm_policy {
    enum xmm_xenheap_gfn_policy xenheap_gfn;
    enum xmm_gfn_lock_policy gfn_lock;
    enum xmm_ffa_teardown_policy ffa_teardown;
    enum xmm_ffa_vm_destroyed_policy ffa_vm_destroyed;
    enum xmm_ffa_refused_policy ffa_refused;
    enum xmm_iotlb_policy iotlb;
    enum xmm_safe_range_policy safe_range;
    enum xmm_shared_info_policy shared_info;
    enum xmm_physmap_overwrite_policy physmap_overwrite;
};

/* Bounds on retries (scenario-format.md world.limits). */
struct xmm_limits {
    uint32_t destroy_retries;  /* toolstack kill loop iterations */
    uint32_t ffa_retry_ticks;  /* period of the FF-A reclaim timer */
    uint32_t ffa_retry_limit;  /* reclaim attempts before refused frames are dealt with */
};

/*
 * Seed 004: the EL2 MPU of an Armv8-R host.  A hypercall keeps the calling
 * vCPU's view, so touching another domain's shared_info / vcpu_info needs
 * either a temporary region for the remote page or a switch of EL2 to
 * Xen's full view (include/xmm/mpu.h).
 */
enum xmm_mpu_xdom_policy {
    XMM_MPU_XDOM_SWITCH = 0,    /* switch_view: Xen's full view for the hypercall, then back */
    XMM_MPU_XDOM_MAP,           /* map_region: temporary regions, reserved in every view */
    XMM_MPU_XDOM_MAP_OR_SWITCH, /* map_or_switch: map if regions are free, else switch */
};

#define XMM_MPU_REGIONS_MAX 255 /* the architecture's bound on EL2 MPU regions */

struct xmm_mpu_opts {
    uint32_t regions;     /* regions of the EL2 MPU; 0 = an MMU host (no accounting limit) */
    uint32_t xen_regions; /* Xen's own regions in every view: code, data, heap */
    enum xmm_mpu_xdom_policy cross_domain;
};

/*
 * Seed 003: the IOMMU and the devices behind it (include/xmm/iommu.h).  A
 * world without devices has no IOMMU.
 */
struct xmm_iommu_ops;

struct xmm_iommu_device {
    const char *id; /* copied; unique, non-empty */
    bool ats;       /* PCIe ATS: the device caches translations in a device TLB */
};

struct xmm_iommu_opts {
    const struct xmm_iommu_device *devices;
    size_t device_count;           /* 0: no IOMMU; at most XMM_IOMMU_DEVICES_MAX */
    uint64_t flush_latency;        /* built-in IOMMU: ticks until an invalidation completes */
    uint32_t queue;                /* invalidations pending at once; 0: XMM_IOMMU_QUEUE_DEFAULT */
    const struct xmm_iommu_ops *ops; /* NULL: the built-in IOMMU */
    void *ctx;                     /* passed to ops */
};

/* How freed frames are handed out again. */
enum xmm_alloc_mode {
    XMM_ALLOC_BUDDY = 0, /* Xen's buddy allocator: smallest free block first, LIFO lists */
    XMM_ALLOC_LIFO,      /* most recently freed frame first: adversarial reuse */
};

/* A host device region: never RAM. */
struct xmm_mmio_region {
    xmm_mfn_t base;
    uint64_t pages;
    const char *name; /* copied */
};

/*
 * Where the model's own memory comes from.  Every allocation in libxmm goes
 * through these hooks so that a test can make any one of them fail.  `free`
 * receives the size that was asked for.  NULL alloc or free means libc for
 * all three.  alloc_raw (optional, NULL: alloc) serves blocks the model
 * writes before it reads them (the copies of xmm_world_clone, a new world's
 * frame table, change sets and event ring, P2M nodes); they need not be
 * zeroed, and go back through `free` like the others.
 */
struct xmm_allocator {
    void *(*alloc)(void *ctx, size_t size); /* zeroed memory or NULL */
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
    void *(*alloc_raw)(void *ctx, size_t size); /* memory of any content, or NULL */
};

struct xmm_world_opts {
    uint64_t ram_pages;      /* host RAM in 4 KiB frames */
    xmm_mfn_t ram_base;      /* first RAM mfn */
    const struct xmm_mmio_region *mmio;
    size_t mmio_count;
    enum xmm_alloc_mode alloc_mode;
    struct xmm_policy policy;
    struct xmm_limits limits;
    uint64_t seed;
    struct xmm_allocator allocator;
    uint32_t history_events; /* ring size of the event history; 0 = no history */
    struct xmm_mpu_opts mpu; /* seed 004 */
    struct xmm_iommu_opts iommu; /* seed 003 */
};

/*
 * Defaults for struct xmm_world_opts.  Every field is named (nested ones
 * too), so a field added to any of these structs leaves the others' values
 * where they are; a field not named here starts as zero.
 */
#define XMM_WORLD_OPTS_INIT                                                   \
    {                                                                         \
        .ram_pages = 16384,                                                   \
        .ram_base = { .m = 0x40000 },                                         \
        .mmio = NULL,                                                         \
        .mmio_count = 0,                                                      \
        .alloc_mode = XMM_ALLOC_BUDDY,                                        \
        .policy = { .xenheap_gfn = XMM_XENHEAP_GFN_PAGE_INFO },               \
        .limits = { .destroy_retries = 1000,                                  \
                    .ffa_retry_ticks = 100,                                   \
                    .ffa_retry_limit = 10 },                                  \
        .seed = 0,                                                            \
        .allocator = { .alloc = NULL, .free = NULL, .ctx = NULL },            \
        .history_events = 65536,                                              \
        .mpu = { .regions = 0, .xen_regions = 3,                              \
                 .cross_domain = XMM_MPU_XDOM_SWITCH },                       \
        .iommu = { .devices = NULL, .device_count = 0, .flush_latency = 10,   \
                   .queue = 0, .ops = NULL, .ctx = NULL },                    \
    }

/*
 * Create a world.  Return: 0, -XMM_EINVAL for a bad option (RAM empty, not
 * below 2^36, overlapping MMIO, MPU regions or xen_regions over
 * XMM_MPU_REGIONS_MAX; IOMMU devices: too many, an id missing or given
 * twice, ops without `flush`, queue over XMM_IOMMU_QUEUE_MAX), -XMM_ENOMEM
 * if an allocation failed.
 */
int xmm_world_new(const struct xmm_world_opts *opts, struct xmm_world **out);

/* Release the world and everything it allocated.  NULL is fine. */
void xmm_world_free(struct xmm_world *w);

/*
 * An independent deep copy of w in *out: frames, domains, P2Ms, every
 * module's state (grant tables and maptracks, FF-A records and the built-in
 * SPMC, IOMMU queue and device TLBs, MPU and safe-range state), pending
 * timers, history, change set and policy; allocated through w's allocator
 * (with its failure injection), so it fails cleanly.  The copy has the same
 * digest and answers every later call as w would.  An external IOMMU model
 * (xmm_iommu_opts.ops) is shared by both worlds; a timer armed by the user
 * keeps its argument.  Return: 0, -XMM_ENOMEM, -XMM_ENOSYS (an SPMC other
 * than the built-in stub is attached: its context is not the world's).
 */
int xmm_world_clone(const struct xmm_world *w, struct xmm_world **out);

/*
 * xmm_world_clone, but each P2M of the copy keeps pointing at w's nodes
 * until the copy first changes it; then it copies them into blocks this
 * call set aside (one per node: the allocations of xmm_world_clone, in its
 * order), so no later call fails for it.  For many short-lived copies of
 * one world (xmm-sim explore): w must stay unchanged, and not be freed,
 * until the copy is freed.  The copy is as independent as xmm_world_clone's
 * in everything it answers.  Return: as xmm_world_clone.
 */
int xmm_world_clone_shared(const struct xmm_world *w, struct xmm_world **out);

const struct xmm_policy *xmm_world_policy(const struct xmm_world *w);
const struct xmm_limits *xmm_world_limits(const struct xmm_world *w);

/* --- virtual clock and timers ------------------------------------------ */

uint64_t xmm_world_now(const struct xmm_world *w);

/*
 * Advance the clock by `ticks`, one tick at a time, running every timer that
 * falls due in (tick, sequence) order.  Return: 0.
 */
int xmm_world_advance(struct xmm_world *w, uint64_t ticks);

typedef void (*xmm_timer_fn)(struct xmm_world *w, void *arg);

/*
 * Arm a one-shot timer `delay` ticks from now (delay >= 1).  Timers due at
 * the same tick run in the order they were armed.  Return: 0 and an id in
 * *id (may be NULL), or -XMM_ENOMEM.
 */
int xmm_timer_arm(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg,
                  uint64_t *id);
/* Cancel a timer by id; a timer that already ran or was cancelled is ignored. */
void xmm_timer_cancel(struct xmm_world *w, uint64_t id);
/* Cancel every pending timer whose argument is `arg`. */
void xmm_timer_cancel_arg(struct xmm_world *w, void *arg);
size_t xmm_timer_pending(const struct xmm_world *w);

/* --- deterministic randomness ------------------------------------------- */

/* Next 64 bits of the world's PRNG (xoshiro256** seeded by splitmix64). */
uint64_t xmm_world_random(struct xmm_world *w);

/* --- allocation -------------------------------------------------------- */

/*
 * Make the n-th allocation from now fail (n >= 1), and every one after it
 * too when `sticky`; n = 0 turns injection off.  Used by allocation-failure
 * tests (fail the Nth allocation for N = 1, 2, ... until the call succeeds).
 */
void xmm_world_fail_alloc(struct xmm_world *w, uint64_t n, bool sticky);
/* Allocations made so far, and failures injected so far. */
uint64_t xmm_world_alloc_count(const struct xmm_world *w);
uint64_t xmm_world_alloc_failures(const struct xmm_world *w);
/* Bytes and blocks the world currently holds (excluding the world struct). */
size_t xmm_world_bytes_live(const struct xmm_world *w);
size_t xmm_world_blocks_live(const struct xmm_world *w);

/* --- why the last call failed ------------------------------------------ */

/*
 * One line saying why the last call on this world failed, naming the object
 * and the rule: "gfn 0x38010 is outside d2's safe range [0x80000, 0x100200)".
 * Every call on a world that can fail empties it first and a refusal writes
 * it, so after a successful call it is "" and after a failed one it explains
 * that failure (never empty).  The string belongs to the world and stays
 * valid until the next call on that world.  Writing it allocates nothing,
 * so it cannot fail a call.  xmm_world_new has no world to hold a reason;
 * queries that take a const world (lookups, info, export_dt) answer by
 * their return code alone and leave the reason as it was.
 */
const char *xmm_world_last_error(const struct xmm_world *w);

/* --- step label, for the history ---------------------------------------- */

/* The caller's step number, recorded with every event from now on. */
void xmm_world_set_step(struct xmm_world *w, uint32_t step);
uint32_t xmm_world_step(const struct xmm_world *w);

/* --- host layout -------------------------------------------------------- */

xmm_mfn_t xmm_world_ram_base(const struct xmm_world *w);
uint64_t xmm_world_ram_pages(const struct xmm_world *w);
bool xmm_world_mfn_is_ram(const struct xmm_world *w, xmm_mfn_t mfn);
/* True when [mfn, mfn+pages) lies inside one declared MMIO region. */
bool xmm_world_mfn_is_mmio(const struct xmm_world *w, xmm_mfn_t mfn, uint64_t pages);
size_t xmm_world_mmio_count(const struct xmm_world *w);
const struct xmm_mmio_region *xmm_world_mmio(const struct xmm_world *w, size_t i);

/*
 * A canonical 64-bit digest of the model state: frames, domains, P2Ms,
 * clock.  Same state, same digest; cheap enough to take after every step.
 */
uint64_t xmm_world_digest(const struct xmm_world *w);

#ifdef __cplusplus
}
#endif
#endif /* XMM_WORLD_H */
