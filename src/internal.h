/*
 * libxmm - structures private to the model.
 *
 * Nothing here is part of the public API; sim/ and users see only
 * include/xmm/.  Every structure is bounded and allocated through the
 * world's allocator (xmm_alloc / xmm_free).
 */
#ifndef XMM_INTERNAL_H
#define XMM_INTERNAL_H

#include <assert.h>
#include <string.h>

#include "xmm/xmm.h"

/*
 * Planted bugs for the fuzzing tests only (tests/gen, docs/fuzzing.md): a
 * copy of the library built with -DXMM_CANARIES turns the bug numbered
 * xmm_canary on; every other build compiles them out.
 */
enum {
    XMM_CANARY_NONE = 0,
    XMM_CANARY_XENHEAP_GFN, /* p2m: the xenheap GFN is not reset on unmap */
    XMM_CANARY_IOTLB_FREE,  /* iommu: freed with a device-TLB flush pending */
    XMM_CANARY_FFA_PIN,     /* ffa: a share drops one frame's pin at once */
    XMM_CANARY_FOREIGN_REF, /* physmap: a foreign map takes no reference */
    XMM_CANARY_GRANT_PIN,   /* gnttab: a grant map forgets its pin */
    XMM_CANARY_SAFE_RANGE,  /* saferange: no overlap check with the safe range */
};
#ifdef XMM_CANARIES
extern unsigned xmm_canary;
#define XMM_CANARY(n) (xmm_canary == (n))
#else
#define XMM_CANARY(n) 0
#endif

#define XMM_NIL UINT32_MAX
#define XMM_MAX_ORDER 18

/*
 * struct xmm_page models Xen's struct page_info: 32 bytes, like x86-64's.
 * List links are frame indices (Xen uses 32-bit pdx links the same way).
 */
struct xmm_page {
    uint64_t count_info;
    uint64_t type_info;
    uint32_t next, prev; /* page list, xenheap list, free list or park list */
    uint32_t hist;       /* 1 + seq of this frame's newest event; 0 = none */
    xmm_domid_t owner;
    uint8_t order;       /* buddy order, valid on a free block's head */
    uint8_t flags;       /* PGF_* */
};
static_assert(sizeof(struct xmm_page) <= 32, "a frame table entry must fit in 32 bytes");

#define PGF_DIRTY 0x01     /* changed since the last incremental check */
#define PGF_FREE_HEAD 0x02 /* head of a free buddy block (on free[order]) */
#define PGF_PAGE_LIST 0x04 /* on its owner's page list */
#define PGF_XEN_LIST 0x08  /* on its owner's xenheap list */
#define PGF_PARK_LIST 0x10 /* on the world's park list */

/*
 * What the checker knows independently of count_info: for each frame, how
 * many holders that own a reference point at it, and how it is RAM-mapped.
 * Kept up to date at the single places where holders appear and go (P2M
 * leaf writes, module records); the full sweep recomputes it from scratch.
 */
struct xmm_rmap {
    uint32_t refs;      /* foreign P2M entries, maptrack entries, pins, holds */
    uint16_t ram_maps;  /* RAM-typed P2M entries pointing here (saturates) */
    /*
     * Grant P2M entries pointing here (saturates).  They hold no reference:
     * the maptrack entry does (grant_table.c), and the P2M entry may go
     * first (remove_physmap, an overwrite) or outlive it (unmap_common at
     * another host address).
     */
    uint16_t grant_maps;
    uint8_t ram_other;  /* of those, by a domain that is not the owner (saturates) */
    uint8_t reach;      /* unreferenced reachers: stale device TLB entries ... */
};

struct xmm_plist {
    uint32_t head, tail;
    uint64_t count;
};

/* --- P2M ------------------------------------------------------------------ */

#define P2M_LEVELS 4
#define P2M_ENTRIES 512
#define P2M_VALID (UINT64_C(1) << 63)
#define P2M_TYPE_SHIFT 56
#define P2M_TYPE_MASK (UINT64_C(0xF) << P2M_TYPE_SHIFT)
#define P2M_MFN_MASK ((UINT64_C(1) << 40) - 1)

struct p2m_node {
    uint64_t e[P2M_ENTRIES]; /* levels 0-2: child pointer; level 3: leaf */
    uint32_t used;           /* non-empty slots (children that are not the empty node) */
    uint32_t sentinel;       /* 1: the world's shared empty node of its level */
};

struct xmm_p2m {
    struct p2m_node *root;
    /*
     * root->e[0]: the level-1 node of the first 512 GiB, where guest RAM
     * lives; lookups there start at level 1, as Arm's stage 2 does for
     * guests whose address space fits (VTCR_EL2.SL0).
     */
    struct p2m_node *low;
    uint64_t entries;
    uint64_t nodes;
};

/* --- domains ---------------------------------------------------------------- */

enum kill_stage {
    KILL_NOT_STARTED = 0,
    KILL_FFA,          /* VM_DESTROYED and reclaim of FF-A shares */
    KILL_GNTTAB,       /* release the grant mappings this domain holds */
    KILL_GUEST_AREAS,  /* drop the references on guest-page shared_info / vcpu_info */
    KILL_IOMMU,        /* deassign the domain's devices: one whole-TLB flush per ATS device */
    KILL_P2M_MAPPINGS, /* remove every P2M leaf (foreign refs, xenheap GFNs) */
    KILL_XENHEAP,      /* drop the allocation reference of shared xenheap frames */
    KILL_PAGES,        /* drop the allocation reference of every page */
    KILL_P2M_TABLES,   /* free the radix nodes */
    KILL_DONE,
};

/*
 * Safe-range state of a domain (saferange.c, seed 002): the range the
 * toolstack chose at create (policy toolstack; pages 0 = none), fixed for
 * the domain's life, and under policy query the holes it was told about,
 * kept as a sorted union of disjoint ranges (XMM_SAFERANGE_TOLD_MAX
 * entries, allocated on the first query).
 */
struct saferange {
    uint64_t gfn, pages;
    struct xmm_saferange *told;
    uint32_t told_count;
};

struct xmm_domain {
    xmm_domid_t id;
    uint64_t inc; /* incarnation: unique in the world, even when the id is reused */
    enum xmm_domain_state state;
    uint32_t refs;
    uint32_t ext_refs; /* taken through xmm_domain_get by users of the library */
    uint64_t tot_pages, max_pages, xenheap_pages;
    struct xmm_plist pages, xenpages;
    struct xmm_p2m p2m;
    struct xmm_domain_opts opts;
    enum kill_stage kill_stage;
    uint64_t kill_cursor;
    uint32_t kill_calls;
    bool dirty;
    struct gnttab *gt; /* gnttab.c */
    struct ffa_ctx *ffa; /* ffa.c, NULL unless created with ffa */
    struct mpu_domain *mpu; /* mpu.c, shinfo.c: seed 004 */
    struct saferange sr;    /* saferange.c: seed 002 */
    struct iommu_dom *iommu; /* iommu.c: seed 003, NULL until a device is assigned */
};

/* --- lock-order checking (lockdep.c) ---------------------------------------- */

/*
 * Lock classes the model takes on the paths where Xen takes them.  The
 * graph records "B taken while A held" as an edge A -> B, per class.
 */
enum lock_class {
    LOCK_DOMAIN = 0, /* d->domain_lock: domain_kill */
    LOCK_P2M,        /* p2m->lock (write) */
    LOCK_GRANT,      /* gt->lock */
    LOCK_PAGE_ALLOC, /* d->page_alloc_lock */
    LOCK_HEAP,       /* heap_lock */
    LOCK_CLASS_COUNT
};
#define LOCK_DEPTH_MAX 8

struct lockdep {
    uint8_t held[LOCK_DEPTH_MAX];
    uint8_t depth;
    uint32_t edges[LOCK_CLASS_COUNT]; /* successor bitmask per class */
    bool changed;                      /* an edge was added since the last check */
};

void lock_take(struct xmm_world *w, enum lock_class c);
void lock_release(struct xmm_world *w, enum lock_class c);
const char *lock_class_name(enum lock_class c);
/* True if the graph has a cycle; *a and *b name one edge on it. */
bool lockdep_cycle(const struct lockdep *ld, enum lock_class *a, enum lock_class *b);

/* --- world ------------------------------------------------------------------ */

struct xmm_timer {
    uint64_t tick, seq, id;
    xmm_timer_fn fn;
    void *arg;
};

struct hist_event {
    struct xmm_event ev;
    uint32_t prev; /* 1 + seq of the same frame's previous event; 0 = none */
};

#define DIRTY_FRAMES_MAX 8192
#define DIRTY_P2M_MAX 4096
#define DIRTY_DOMS_MAX 256
#define FLAGGED_MAX 16

struct dirty_frame {
    uint32_t idx;
    bool old_free;
    uint64_t old_hash;
};

struct dirty_p2m {
    xmm_domid_t dom;
    uint64_t gfn;
};

struct xmm_world {
    struct xmm_allocator allocator;
    uint64_t alloc_calls, alloc_fail_at, alloc_failures;
    bool alloc_fail_sticky;
    size_t bytes_live, blocks_live;

    struct xmm_policy policy;
    struct xmm_limits limits;
    enum xmm_alloc_mode alloc_mode;

    /* host */
    uint64_t ram_base, ram_pages;
    struct xmm_mmio_region *mmio;
    size_t mmio_count;

    /* frame table and heap */
    struct xmm_page *frames;
    struct xmm_rmap *rmap;
    struct xmm_plist free[XMM_MAX_ORDER + 1];
    uint64_t free_pages;
    struct xmm_plist park;

    /* domains, sorted by id */
    struct xmm_domain **doms;
    size_t dom_count, dom_cap;
    /*
     * Incarnations (Xen's d->unique_id): the last one given, and the last
     * one that existed when the checker last settled its change set.
     */
    uint64_t last_inc, inc_checked;
    /*
     * The same domains indexed by id, for lookups (domain_by_id): a direct
     * table covering ids below dom_by_id_cap, grown to the largest id
     * created (a world with domains 1 and 2 keeps a few slots, not 32752).
     */
    struct xmm_domain **dom_by_id;
    size_t dom_by_id_cap;

    /* clock */
    uint64_t now;
    struct xmm_timer *timers; /* binary heap on (tick, seq) */
    size_t timer_count, timer_cap;
    uint64_t timer_seq;
    size_t timer_reserved; /* heap slots kept free for timer_arm_reserved */

    uint64_t rng[4];
    uint32_t step;

    /* history ring */
    struct hist_event *hist;
    uint32_t hist_cap;
    uint64_t hist_total;

    /*
     * Change set since the last incremental check, allocated with the world:
     * at most DIRTY_FRAMES_MAX frames (and no more than the world has), at
     * most DIRTY_P2M_MAX P2M entries (fewer for a small world); past that,
     * dirty_overflow makes the next check a full sweep.
     */
    struct dirty_frame *dirty_frames;
    uint32_t dirty_frame_count, dirty_frame_cap;
    struct dirty_p2m *dirty_p2m;
    uint32_t dirty_p2m_count, dirty_p2m_cap;
    xmm_domid_t dirty_doms[DIRTY_DOMS_MAX];
    uint32_t dirty_dom_count;
    bool dirty_overflow;

    /* digest: XOR of per-frame and per-P2M-entry hashes, kept up to date */
    uint64_t frame_digest;
    uint64_t p2m_digest;

    struct lockdep lockdep;
    struct p2m_node p2m_empty[P2M_LEVELS]; /* shared empty node per level (p2m.c) */
    struct ffa_world *ffa; /* ffa.c: the plugged SPMC and mediator records */
    struct iommu_world *iommu; /* iommu.c: seed 003, NULL without devices */
    struct xmm_mpu_opts mpu;        /* mpu.c: seed 004 */
    struct xmm_mpu_stats mpu_stats; /* cross-domain access cost, not model state */

    /* The checker's own count of in-use frames, kept from the change set. */
    uint64_t chk_inuse;

    struct xmm_violation flagged[FLAGGED_MAX];
    uint32_t flagged_count;
    uint64_t check_total;
};

/* --- allocation (world.c) ------------------------------------------------- */
void *xmm_alloc(struct xmm_world *w, size_t size);
void xmm_free(struct xmm_world *w, void *p, size_t size);
/*
 * Make room for `need` elements of `elem` bytes in an array that doubles
 * (starting at `first`), keeping its `count` live elements.  The array and
 * its capacity change only on success.  Return: 0 or -XMM_ENOMEM.
 */
int xmm_array_grow(struct xmm_world *w, void *arrp, size_t *cap, size_t count, size_t need,
                   size_t elem, size_t first);

/* --- frames (frame.c) ----------------------------------------------------- */
static inline bool frame_valid(const struct xmm_world *w, uint64_t mfn)
{
    return mfn >= w->ram_base && mfn - w->ram_base < w->ram_pages;
}
static inline uint32_t frame_idx(const struct xmm_world *w, xmm_mfn_t mfn)
{
    return (uint32_t)(mfn.m - w->ram_base);
}
static inline xmm_mfn_t frame_mfn(const struct xmm_world *w, uint32_t idx)
{
    return xmm_mfn(w->ram_base + idx);
}
static inline uint32_t page_count(const struct xmm_page *pg)
{
    return (uint32_t)(pg->count_info & XMM_PGC_count_mask);
}
static inline bool page_is_free(const struct xmm_page *pg)
{
    return (pg->count_info & XMM_PGC_state_mask) == XMM_PGC_state_free;
}

uint64_t frame_hash(const struct xmm_world *w, uint32_t idx);
/* Mark a frame changed (call before changing it); returns it for writing. */
struct xmm_page *frame_touch(struct xmm_world *w, uint32_t idx);
int frame_table_init(struct xmm_world *w);
void frame_table_fini(struct xmm_world *w);
/* Take one free frame off the heap (order 0).  Return: index or XMM_NIL. */
uint32_t heap_alloc_one(struct xmm_world *w);
/* Take the free frame idx off the heap.  Return: false if it is not free. */
bool heap_alloc_at(struct xmm_world *w, uint32_t idx);
void heap_free_one(struct xmm_world *w, uint32_t idx);
/*
 * Give a frame a new owner.  Every RAM mapping it still has (always a bug)
 * now maps another domain's frame: the checker's index says so.  The one
 * place owners change, so the index cannot be forgotten.
 */
static inline void frame_set_owner(struct xmm_world *w, uint32_t idx, xmm_domid_t owner)
{
    struct xmm_rmap *r = &w->rmap[idx];

    w->frames[idx].owner = owner;
    r->ram_other = (uint8_t)(r->ram_maps > UINT8_MAX ? UINT8_MAX : r->ram_maps);
}
/* Give a free frame to dom: PGC_allocated|1, page list, tot_pages, domain ref. */
void frame_assign(struct xmm_world *w, struct xmm_domain *d, uint32_t idx);

void plist_push_tail(struct xmm_world *w, struct xmm_plist *l, uint32_t idx);
void plist_remove(struct xmm_world *w, struct xmm_plist *l, uint32_t idx);

/* --- domains (domain.c) --------------------------------------------------- */
struct xmm_domain *domain_find(const struct xmm_world *w, xmm_domid_t id);
/* The domain with this id if it is still incarnation `inc`, else NULL. */
struct xmm_domain *domain_find_inc(const struct xmm_world *w, xmm_domid_t id, uint64_t inc);
/* domain_find for hot paths: one load, no call. */
static inline struct xmm_domain *domain_by_id(const struct xmm_world *w, xmm_domid_t id)
{
    return id < w->dom_by_id_cap ? w->dom_by_id[id] : NULL;
}
static inline bool domain_dying(const struct xmm_domain *d)
{
    return d->state != XMM_DOMAIN_RUNNING;
}
void domain_touch(struct xmm_world *w, struct xmm_domain *d);
void domain_ref_get(struct xmm_world *w, struct xmm_domain *d);
void domain_ref_put(struct xmm_world *w, struct xmm_domain *d);
void domains_free_all(struct xmm_world *w);
uint64_t domains_digest(const struct xmm_world *w);

/* --- P2M (p2m.c) ---------------------------------------------------------- */
static inline uint64_t p2m_pack(uint64_t mfn, enum xmm_p2m_type t)
{
    return P2M_VALID | ((uint64_t)t << P2M_TYPE_SHIFT) | (mfn & P2M_MFN_MASK);
}
static inline enum xmm_p2m_type p2m_entry_type(uint64_t e)
{
    return (enum xmm_p2m_type)((e & P2M_TYPE_MASK) >> P2M_TYPE_SHIFT);
}
static inline uint64_t p2m_entry_mfn(uint64_t e) { return e & P2M_MFN_MASK; }

/*
 * Raw leaf read: 0 when nothing is mapped.  Inline: the hottest path there
 * is.  A missing subtree is the world's empty node of that level (all its
 * slots point at the next empty node, the last one is all zeros), so the
 * walk is four loads without a branch.
 */
static inline uint64_t p2m_get(const struct xmm_p2m *p, uint64_t gfn)
{
    const struct p2m_node *n = (gfn >> 27) ? (const struct p2m_node *)(uintptr_t)
                                                  p->root->e[(gfn >> 27) & (P2M_ENTRIES - 1)]
                                            : p->low;

    n = (const struct p2m_node *)(uintptr_t)n->e[(gfn >> 18) & (P2M_ENTRIES - 1)];
    n = (const struct p2m_node *)(uintptr_t)n->e[(gfn >> 9) & (P2M_ENTRIES - 1)];
    return n->e[gfn & (P2M_ENTRIES - 1)];
}
/* Set up the world's empty node of each level (once, at world creation). */
void p2m_world_init(struct xmm_world *w);
/* Point an empty P2M at the world's empty root (every domain starts so). */
void p2m_init(struct xmm_world *w, struct xmm_p2m *p);
/* Allocate every node the range needs; on failure free what it added. */
int p2m_reserve(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t n);
/* Write a leaf whose nodes are reserved; puts the old leaf.  Cannot fail. */
void p2m_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t entry);
/*
 * Arm's p2m_set_entry: like p2m_write, but the old leaf is put only when it
 * names another frame (a rewrite with the same mfn keeps what it held).
 */
void p2m_set_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t entry);
/* Free all nodes of an empty P2M, at most *budget of them; 0 or -ERESTART. */
int p2m_free_tables(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
/* Free every node whatever it holds (world teardown only). */
void p2m_discard(struct xmm_world *w, struct xmm_domain *d);
/* First mapped gfn >= from, or false. */
bool p2m_next_raw(const struct xmm_p2m *p, uint64_t from, uint64_t *gfn, uint64_t *entry);

/* --- physmap (physmap.c) -------------------------------------------------- */
/*
 * May an add-to-physmap call (foreign, grant-table frame, shared_info)
 * replace what is mapped at gfn?  Under physmap_overwrite: refuse, anything
 * but a grant mapping (that owns a page reference and a maptrack handle and
 * goes only with GNTTABOP_unmap_grant_ref); under replace, anything, as
 * upstream.  Return: 0 or -XMM_EBUSY.
 */
int physmap_replaceable(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn);
/*
 * A xenheap frame Xen allocated for d itself (its shared_info or a grant
 * table frame), freed only when d is freed: given back by the guest, it
 * stays d's (owner unchanged, off the xenheap list, no reference).
 */
bool domain_xenheap_frame(const struct xmm_domain *d, uint64_t mfn);
/* xmm_xenheap_free, also accepting a frame given back by `own`. */
int xenheap_free_own(struct xmm_world *w, xmm_domid_t own, xmm_mfn_t mfn);
/* get_page(page, dom) would succeed: dom's page (domheap or shared xenheap) with a count. */
bool physmap_own_page(const struct xmm_world *w, xmm_domid_t dom, uint64_t mfn);

/* --- history (history.c) -------------------------------------------------- */
void hist_add(struct xmm_world *w, uint32_t idx, enum xmm_event_kind kind, xmm_domid_t dom,
              uint64_t arg, uint8_t aux);
void hist_domain(struct xmm_world *w, xmm_domid_t dom, enum xmm_domain_state st);

/* --- checker (check.c) ---------------------------------------------------- */
void dirty_p2m_add(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn);
void check_report(struct xmm_check_report *rep, enum xmm_invariant inv,
                  enum xmm_subject_kind kind, uint64_t mfn, xmm_domid_t dom, uint64_t gfn,
                  const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* --- grant tables (gnttab.c) ---------------------------------------------- */
int gnttab_init(struct xmm_world *w, struct xmm_domain *d);
/* Free the table: its shared frames have no reference left (Xen's, or given back by d). */
void gnttab_destroy(struct xmm_world *w, struct xmm_domain *d);
/* World teardown: free memory only. */
void gnttab_discard(struct xmm_world *w, struct xmm_domain *d);
/* Kill stage: unmap up to *budget grant mappings d holds; 0 or -ERESTART. */
int gnttab_release_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
/* xenheap_gfn and p2m_type rules that need the table. */
void gnttab_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep);
/* d's table, maptrack and pins, for xmm_world_digest. */
uint64_t gnttab_digest(const struct xmm_domain *d);
/* True if mfn is one of d's shared grant-table frames. */
bool gnttab_is_frame(const struct xmm_domain *d, uint64_t mfn);
/* isolation/refcount index: every maptrack entry in use holds a page reference. */
void gnttab_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
/* True if d holds a live maptrack entry mapping mfn at gfn. */
bool gnttab_mapping_live(const struct xmm_domain *d, uint64_t gfn, uint64_t mfn);
/*
 * isolation: maptrack entries of any domain that name granter `id` in an
 * incarnation that no longer exists (the granter went, or the id was reused).
 */
void gnttab_check_granter(const struct xmm_world *w, xmm_domid_t id,
                          struct xmm_check_report *rep);

/* --- FF-A (ffa.c) ------------------------------------------------------- */
bool ffa_world_has_spmc(const struct xmm_world *w);
/* The plugged SPMC's context if its ops are `ops`, else NULL. */
const void *ffa_world_spmc_ctx(const struct xmm_world *w, const struct xmm_spmc_ops *ops);
void ffa_world_fini(struct xmm_world *w);
int ffa_domain_init(struct xmm_world *w, struct xmm_domain *d);
void ffa_domain_free(struct xmm_world *w, struct xmm_domain *d);
/* Domain references FF-A holds (one while any share remains). */
uint32_t ffa_domain_refs(const struct xmm_domain *d);
/* Kill stage; 0 or -ERESTART (ffa_teardown=restart only). May destroy nothing: d stays. */
int ffa_teardown(struct xmm_world *w, struct xmm_domain *d);
/* domain_kill on a zombie: retry what is pending now (may destroy d). */
void ffa_kill_zombie(struct xmm_world *w, struct xmm_domain *d);
void ffa_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
/* For xmm_world_digest: one domain's mediator state; the world's records and the SPMC stub. */
uint64_t ffa_domain_digest(const struct xmm_domain *d);
uint64_t ffa_world_digest(const struct xmm_world *w);
uint64_t spmc_stub_digest(const struct xmm_world *w);
void ffa_check_world(const struct xmm_world *w, struct xmm_check_report *rep);

/* --- MPU regions and shared_info (mpu.c, shinfo.c): seed 004 -------------- */

/*
 * Per-domain seed 004 state.  The region counts are kept for direct-mapped
 * domains by every P2M leaf write (the mpu_p2m_* hooks, O(1) each) and
 * recounted by the full sweep.
 */
struct mpu_domain {
    uint64_t runs;        /* maximal P2M runs: one type, consecutive gfns and mfns */
    uint64_t heap_pieces; /* pieces of Xen's heap region left in this view (1 = whole) */
    uint64_t peak;        /* largest need since creation */
    uint64_t shinfo_mfn;  /* xenheap frame or registered guest page, or XMM_INVALID_MFN_RAW */
    uint64_t shinfo_gfn;  /* guest page: its gfn; xenheap_gfn=array: the remembered GFN */
    bool shinfo_xenheap;  /* shinfo_mfn is this domain's xenheap shared_info frame */
    uint32_t copies;      /* initial data copied into a guest page */
    uint64_t vcpu_mfn[XMM_VCPUS_MAX], vcpu_gfn[XMM_VCPUS_MAX];
    struct xmm_mpu_stats cost; /* its cross-domain sends (statistics, not in the digest) */
};

int mpu_domain_init(struct xmm_world *w, struct xmm_domain *d);
/* The domain structure goes: free the xenheap shared_info frame and the state. */
void mpu_domain_destroy(struct xmm_world *w, struct xmm_domain *d);
/* World teardown: memory only. */
void mpu_domain_discard(struct xmm_world *w, struct xmm_domain *d);
uint64_t mpu_domain_hash(const struct xmm_domain *d);
/* Regions dom needs now (direct-mapped domains), and its breakdown. */
uint64_t mpu_need(const struct xmm_world *w, const struct xmm_domain *d);
/*
 * p2m_write hooks: after the checker's index counted d's leaf e at gfn
 * (+1: e comes, -1: e goes; before the old leaf is put) ...
 */
void mpu_p2m_rmap(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e, int delta);
/* ... and once the leaf at gfn went from old to e. */
void mpu_p2m_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                  uint64_t e);
/* Kill stage: drop the references on guest-page shared_info / vcpu_info; 0. */
int shinfo_release(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
void shinfo_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
void shinfo_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep);
/* mpu_regions for one domain (and its shared_info records): O(1) + O(vCPUs). */
void mpu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_check_report *rep);
/* Full sweep: recount every direct-mapped domain from its P2M and the rebuilt index. */
void mpu_check_full(const struct xmm_world *w, const struct xmm_rmap *rm,
                    struct xmm_check_report *rep);

/* physmap.c: gfn is neither host RAM nor declared MMIO (a direct-mapped domain's holes). */
bool physmap_gfn_is_hole(const struct xmm_world *w, uint64_t gfn);

/* --- safe ranges (saferange.c): seed 002 ----------------------------------- */
/* The range a new domain gets (toolstack policy; else none): 0 or an errno. */
int saferange_pick(const struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *o,
                   struct saferange *out);
void saferange_destroy(struct xmm_world *w, struct xmm_domain *d);
/* RAM or MMIO at [gfn, gfn+pages) would overlap d's toolstack range. */
bool saferange_blocks(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                      uint64_t pages);
/* A grant or foreign mapping may go at gfn (always, unless a toolstack range excludes it). */
bool saferange_admits(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn);
/* d's safe ranges as the guest sees them (toolstack range, or told holes). */
size_t saferange_list(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_saferange *out, size_t max);
uint64_t saferange_digest(const struct xmm_domain *d);
void saferange_check_entry(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e,
                           struct xmm_check_report *rep);
void saferange_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                            struct xmm_check_report *rep);

/* --- IOMMU and device TLBs (iommu.c): seed 003 ---------------------------- */
int iommu_world_init(struct xmm_world *w, const struct xmm_iommu_opts *o);
void iommu_world_fini(struct xmm_world *w);
uint64_t iommu_digest(const struct xmm_world *w);
/* One domain's IOMMU state (devices, held frames, pause) for xmm_world_digest. */
uint64_t iommu_domain_digest(const struct xmm_domain *d);
/* p2m_write hook (d->iommu set): the leaf at gfn went from old to e.  Cannot fail. */
void iommu_p2m_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                     uint64_t e);
/* Kill: unmapping now would wait for an invalidation-queue slot (preempt instead). */
bool iommu_kill_must_wait(const struct xmm_world *w, const struct xmm_domain *d);
/* Kill stage: deassign d's devices, one whole-TLB flush each; 0, -XMM_ERESTART (queue full). */
int iommu_release_devices(struct xmm_world *w, struct xmm_domain *d);
/* Domain references the IOMMU holds (one while frames of d's unmaps are held). */
uint32_t iommu_domain_refs(const struct xmm_domain *d);
/* The domain structure goes (or the world): free d's IOMMU state. */
void iommu_domain_free(struct xmm_world *w, struct xmm_domain *d);
void iommu_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
void iommu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                        struct xmm_check_report *rep);
/* Device TLBs against the frames they reach (O(devices x TLB entries)). */
void iommu_check_world(const struct xmm_world *w, struct xmm_check_report *rep);

/* world.c: a timer slot reserved beforehand, for arming where failure is not allowed. */
int timer_reserve(struct xmm_world *w);
void timer_arm_reserved(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg,
                        uint64_t *id);
/* The reserved timer ran or was cancelled: its slot is reserved again. */
void timer_slot_return(struct xmm_world *w);

/*
 * --- clone (xmm_world_clone, world.c) -------------------------------------
 * Each copies one module's state of w (or of domain d) into the new world
 * c through c's allocator.  On failure they return -XMM_ENOMEM (or
 * -XMM_ENOSYS: an SPMC other than the built-in stub) and leave what they
 * copied attached, so that xmm_world_free(c) releases it.
 */
int domains_clone(const struct xmm_world *w, struct xmm_world *c);
int p2m_clone(struct xmm_world *c, const struct xmm_world *w, const struct xmm_domain *d,
              struct xmm_domain *nd);
int gnttab_clone(struct xmm_world *c, const struct xmm_domain *d, struct xmm_domain *nd);
int ffa_domain_clone(struct xmm_world *c, const struct xmm_domain *d, struct xmm_domain *nd);
int mpu_domain_clone(struct xmm_world *c, const struct xmm_domain *d, struct xmm_domain *nd);
int saferange_clone(struct xmm_world *c, const struct xmm_domain *d, struct xmm_domain *nd);
int iommu_domain_clone(struct xmm_world *c, const struct xmm_domain *d, struct xmm_domain *nd);
int ffa_world_clone(const struct xmm_world *w, struct xmm_world *c);
int spmc_stub_clone(const struct xmm_world *w, struct xmm_world *c,
                    const struct xmm_spmc_ops **ops, void **ctx);
int iommu_world_clone(const struct xmm_world *w, struct xmm_world *c);
/* A timer argument of w as the same object of c, or NULL when it is not the module's. */
void *ffa_timer_arg(const struct xmm_world *w, struct xmm_world *c, void *arg);
void *spmc_stub_timer_arg(const struct xmm_world *w, struct xmm_world *c, void *arg);
void *iommu_timer_arg(const struct xmm_world *w, struct xmm_world *c, void *arg);

/* --- misc ----------------------------------------------------------------- */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

#endif /* XMM_INTERNAL_H */
