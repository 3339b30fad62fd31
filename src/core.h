/*
 * libxmm - the core's private structures: frames and heap, P2M, domains,
 * lock-order checking, the world, and the functions the core files share.
 *
 * Nothing here is part of the public API; sim/ and users see only
 * include/xmm/.  Every structure is bounded and allocated through the
 * world's allocator (xmm_alloc / xmm_free).  The seed modules keep their
 * own state in their own private headers (gnttab_priv.h, ffa_priv.h,
 * saferange_priv.h, mpu_priv.h, iommu_priv.h), reached through the slots
 * w->mod[] and d->mod[] (module.h); the core names none of them.
 */
#ifndef XMM_CORE_H
#define XMM_CORE_H

#include <assert.h>
#include <string.h>

#include "xmm/xmm.h"
#include "error.h"

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

/*
 * Small helpers on the checker's and the P2M walks' hot paths: inlined in
 * every build, also the unoptimised sanitizer builds the fuzz targets run.
 */
#define XMM_HOT_INLINE static inline __attribute__((always_inline))

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
/* No padding: frame_table_init writes every byte by writing every field. */
static_assert(sizeof(struct xmm_page) == 2 * sizeof(uint64_t) + 3 * sizeof(uint32_t) +
                                             sizeof(xmm_domid_t) + 2 * sizeof(uint8_t),
              "struct xmm_page has padding");

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
/*
 * Seven bytes per frame, packed (the 48-byte-per-frame budget: 32 for the
 * frame, 8 for the P2M leaf, 7 here).  Each count has a width; past it the
 * frame is reported, never skipped (check.c).
 */
struct __attribute__((packed)) xmm_rmap {
    /*
     * Foreign P2M entries, maptrack entries, pins, holds: 24 bits.  A frame
     * with more holders than that (the count itself goes to 2^32 - 1) wraps
     * the field and both checks report a `refcount` mismatch.
     */
    uint32_t refs : 24;
    uint32_t reach : 8; /* unreferenced reachers: stale device TLB entries ... */
    /* RAM-typed P2M entries pointing here (saturates at RMAP_RAM_MAX, reported) */
    uint32_t ram_maps : 10;
    uint32_t ram_other : 2; /* of those, by a domain that is not the owner (saturates) */
    /*
     * Grant P2M entries pointing here (saturates at RMAP_GRANT_MAX,
     * reported).  They hold no reference: the maptrack entry does
     * (grant_table.c), and the P2M entry may go first (remove_physmap, an
     * overwrite) or outlive it (unmap_common at another host address).
     */
    uint32_t grant_maps : 12;
};
static_assert(sizeof(struct xmm_rmap) == 7, "the checker's index is 7 bytes per frame");
#define RMAP_RAM_MAX 1023u  /* ram_maps saturates here: the checker reports the frame */
#define RMAP_OTHER_MAX 3u   /* ram_other saturates here (any non-zero value is a violation) */
#define RMAP_GRANT_MAX 4095u /* grant_maps saturates here: the checker reports the frame */
#define RMAP_REACH_MAX 255u

struct xmm_plist {
    uint32_t head, tail;
    uint64_t count;
};

/* --- P2M ------------------------------------------------------------------ */

#define P2M_LEVELS 4
#define P2M_ENTRIES 512
/* The leaf layout is public (include/xmm/p2m.h): the inline lookup decodes it. */
#define P2M_VALID XMM_P2M_LEAF_VALID
#define P2M_TYPE_SHIFT XMM_P2M_LEAF_TYPE_SHIFT
#define P2M_TYPE_MASK (XMM_P2M_LEAF_TYPE_MASK << P2M_TYPE_SHIFT)
#define P2M_MFN_MASK XMM_P2M_LEAF_MFN_MASK

/*
 * Exactly one 4 KiB page, as Arm's tables: whether a node is an empty one
 * (p2m_empty_nodes) is known from its address (struct xmm_p2m's `empty`), and
 * whether a real node holds anything from its slots, so a node keeps no
 * count beside them.
 */
struct p2m_node {
    uint64_t e[P2M_ENTRIES]; /* levels 0-2: child pointer; level 3: leaf */
};
static_assert(sizeof(struct p2m_node) == 4096, "a P2M node is one 4 KiB page");

struct xmm_p2m {
    struct p2m_node *root;
    /*
     * root->e[0]: the level-1 node of the first 512 GiB, where guest RAM
     * lives; lookups there start at level 1, as Arm's stage 2 does for
     * guests whose address space fits (VTCR_EL2.SL0).
     */
    struct p2m_node *low;
    const struct p2m_node *empty; /* the empty node of each level (p2m_empty_nodes) */
    uint64_t entries;
    uint64_t nodes;
    /*
     * Non-NULL: the nodes are another world's (xmm_world_clone_shared),
     * read only; these blocks, one per node, chained through e[0], become
     * this P2M's own copies on its first change (p2m_own), so that change
     * cannot fail.
     */
    struct p2m_node *spare;
    /*
     * The leaf directory (the lookup fast path, include/xmm/p2m.h): for
     * gfns below XMM_P2M_FAST_GFN_LIMIT, dir[i] is the leaf node's slots
     * of gfns i * 512.., or the empty leaf node's; dir_len is one past the
     * last real leaf node (entries from there to dir_cap are empty ones).
     * NULL with dir_cap 0 while no such leaf node exists.  Derived from
     * the nodes: p2m_reserve, free_subtree, p2m_own, p2m_clone and
     * p2m_discard keep it so.  While the nodes are shared (spare), dir is
     * the original's and dir_spare the block (dir_cap entries) p2m_own
     * fills with this P2M's own copies.
     */
    const uint64_t **dir;
    const uint64_t **dir_spare;
    size_t dir_len, dir_cap;
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
    /* The stages a module may claim (module.h, kill_stage); the rest are the core's. */
    KILL_MODULES_FIRST = KILL_FFA,
    KILL_MODULES_LAST = KILL_IOMMU,
};


/*
 * Module slots (module.h).  The built-in modules have fixed ids, one per
 * line of modules.def; a world may add XMM_MOD_MAX - XMM_MOD_BUILTIN more
 * (tests).  Only a module's own files use its id.
 */
enum xmm_mod_id {
#define XMM_MODULE(ID, name) XMM_MOD_##ID,
#include "modules.def"
#undef XMM_MODULE
    XMM_MOD_BUILTIN,
    XMM_MOD_MAX = XMM_MOD_BUILTIN + 3,
};
struct xmm_module;

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
    /* Module state (module.h): d->mod[id], through the module's own accessor. */
    void *mod[XMM_MOD_MAX];
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

/*
 * A module's P2M leaf hook as p2m_write calls it: the function, and the
 * module's slot when the hook runs only for domains whose slot is set
 * (XMM_MOD_ALWAYS: for every domain).
 */
#define XMM_MOD_ALWAYS UINT8_MAX
typedef void (*p2m_leaf_fn)(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn,
                            uint64_t old, uint64_t e);
struct p2m_hook {
    p2m_leaf_fn fn;
    uint8_t slot;
};
struct p2m_index_hook {
    void (*fn)(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e, int delta);
    uint8_t slot;
};

struct xmm_world {
    /*
     * First, for the inline xmm_p2m_lookup (include/xmm/p2m.h): by domain
     * id, each P2M's leaf directory.  fast.slot is the second part of the
     * dom_by_id block (domain.c), or &p2m_slot_none while there is none.
     * Kept by p2m_fast_sync wherever a domain or its directory changes.
     */
    struct xmm_p2m_fast fast;
    struct xmm_p2m_fast_slot p2m_slot_none; /* { NULL, 0 }: no domain */

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

    /* domain.c's domain_destroy_final (domain_ref_put). */
    void (*dom_release)(struct xmm_world *w, struct xmm_domain *d);

    struct lockdep lockdep;

    /*
     * Registered modules (module.h) and their state; the P2M leaf hooks
     * gathered into one small array each for p2m_write's hot path.
     */
    const struct xmm_module *mods[XMM_MOD_MAX];
    uint32_t mod_count;
    void *mod[XMM_MOD_MAX];
    uint8_t n_p2m_before, n_p2m_index, n_p2m_after, n_world_digest;
    struct p2m_hook p2m_before[XMM_MOD_MAX], p2m_after[XMM_MOD_MAX];
    struct p2m_index_hook p2m_index[XMM_MOD_MAX];
    const struct xmm_module *world_digest[XMM_MOD_MAX];
    /* check_entry hooks: the full sweep calls them once per P2M entry. */
    uint8_t n_check_entry;
    uint32_t check_entry_types[XMM_MOD_MAX]; /* bit t: call for P2M type t */
    void (*check_entry[XMM_MOD_MAX])(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn,
                                     uint64_t e, struct xmm_check_report *rep);

    /* The checker's own count of in-use frames, kept from the change set. */
    uint64_t chk_inuse;

    struct xmm_violation flagged[FLAGGED_MAX];
    uint32_t flagged_count;
    uint64_t check_total;

    struct xmm_reason err; /* error.c: why the last call failed, "" after a success */

    bool p2m_share; /* set while xmm_world_clone_shared copies the domains (p2m_clone) */

};
static_assert(offsetof(struct xmm_world, fast) == 0,
              "the inline xmm_p2m_lookup reads the world's first member");

/* --- allocation (alloc.c) ------------------------------------------------- */
/* calloc/free: the allocator of a world created without one. */
void xmm_allocator_default(struct xmm_allocator *a);
void *xmm_alloc(struct xmm_world *w, size_t size);
/*
 * xmm_alloc without the zeroing (when the allocator can skip it): for
 * memory the caller fills before it reads any of it (frame table, change
 * sets, history ring, P2M nodes).
 */
void *xmm_alloc_raw(struct xmm_world *w, size_t size);
void xmm_free(struct xmm_world *w, void *p, size_t size);
/*
 * xmm_alloc for a copy: size bytes whose first n are those at src; the
 * rest is unspecified (the caller writes it before reading), not zeroed.
 */
void *xmm_alloc_copy(struct xmm_world *w, size_t size, const void *src, size_t n);
/*
 * xmm_alloc_copy from allocator a, outside any world's count (for the
 * world structure itself).
 */
void *xmm_allocator_copy(const struct xmm_allocator *a, size_t size, const void *src, size_t n);
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
XMM_HOT_INLINE bool page_is_free(const struct xmm_page *pg)
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
    r->ram_other = r->ram_maps > RMAP_OTHER_MAX ? RMAP_OTHER_MAX : r->ram_maps;
}
/* Give a free frame to dom: PGC_allocated|1, page list, tot_pages, domain ref. */
void frame_assign(struct xmm_world *w, struct xmm_domain *d, uint32_t idx);
/*
 * xmm_page_get / xmm_page_get_type for the model's own holders (pins, holds,
 * mappings): the same rules, but a refusal is the caller's to handle and
 * leaves the world's reason alone (it may not be the call's failure).
 */
bool page_get_quiet(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom);
bool page_get_type_quiet(struct xmm_world *w, xmm_mfn_t mfn, enum xmm_page_type type);

/*
 * A xenheap frame Xen allocated for d itself (its shared_info or a grant
 * table frame), freed only when d is freed: given back by the guest, it
 * stays d's (owner unchanged, off the xenheap list, no reference).
 * Asks every module (xenheap_own hook); frame.c.
 */
bool domain_xenheap_frame(const struct xmm_world *w, const struct xmm_domain *d, uint64_t mfn);

/* xmm_xenheap_free, also accepting a frame given back by `own`. */
int xenheap_free_own(struct xmm_world *w, xmm_domid_t own, xmm_mfn_t mfn);

void plist_push_tail(struct xmm_world *w, struct xmm_plist *l, uint32_t idx);
void plist_remove(struct xmm_world *w, struct xmm_plist *l, uint32_t idx);

/* --- domains (domain.c) --------------------------------------------------- */
/*
 * Lookups, the change set and references are inline here: the frame and
 * P2M layers below domain.c use them without calling up into it.
 */
/* domain_find for hot paths: one load, no call. */
static inline struct xmm_domain *domain_by_id(const struct xmm_world *w, xmm_domid_t id)
{
    return id < w->dom_by_id_cap ? w->dom_by_id[id] : NULL;
}
/* By id: the table indexed by id, kept next to the sorted one. */
static inline struct xmm_domain *domain_find(const struct xmm_world *w, xmm_domid_t id)
{
    return domain_by_id(w, id);
}
/* The domain with this id if it is still incarnation `inc`, else NULL. */
static inline struct xmm_domain *domain_find_inc(const struct xmm_world *w, xmm_domid_t id,
                                                 uint64_t inc)
{
    struct xmm_domain *d = domain_find(w, id);

    return (d && d->inc == inc) ? d : NULL;
}
static inline bool domain_dying(const struct xmm_domain *d)
{
    return d->state != XMM_DOMAIN_RUNNING;
}
/* Mark d changed for the checker (its change set). */
static inline void domain_touch(struct xmm_world *w, struct xmm_domain *d)
{
    if (d->dirty)
        return;
    if (w->dirty_dom_count < DIRTY_DOMS_MAX) {
        w->dirty_doms[w->dirty_dom_count++] = d->id;
        d->dirty = true;
    } else {
        w->dirty_overflow = true;
    }
}
static inline void domain_ref_get(struct xmm_world *w, struct xmm_domain *d)
{
    domain_touch(w, d);
    d->refs++;
}
/*
 * The last reference gone, the structure goes: w->dom_release is domain.c's
 * domain_destroy_final, wired by world.c, so that the frame layer (a page's
 * owner reference, Xen's put_domain in free_domheap_pages) does not call up
 * into the domain layer by name.
 */
static inline void domain_ref_put(struct xmm_world *w, struct xmm_domain *d)
{
    assert(d->refs > 0);
    domain_touch(w, d);
    if (--d->refs == 0)
        w->dom_release(w, d);
}
void domain_destroy_final(struct xmm_world *w, struct xmm_domain *d);
void domains_free_all(struct xmm_world *w);
/*
 * xmm_world_clone: w's domains into c, each with its P2M and every module's
 * dom_clone.  On failure what was copied is in c's table (domains_free_all).
 */
int domains_clone(const struct xmm_world *w, struct xmm_world *c);
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
 * is.  A missing subtree is the shared empty node of that level (all its
 * slots point at the next empty node, the last one is all zeros), so the
 * walk is four loads without a branch.
 */
/* The level-2 node on gfn's path (the world's empty one if there is none). */
static inline const struct p2m_node *p2m_level2(const struct xmm_p2m *p, uint64_t gfn)
{
    const struct p2m_node *n = (gfn >> 27) ? (const struct p2m_node *)(uintptr_t)
                                                  p->root->e[(gfn >> 27) & (P2M_ENTRIES - 1)]
                                            : p->low;

    return (const struct p2m_node *)(uintptr_t)n->e[(gfn >> 18) & (P2M_ENTRIES - 1)];
}
static inline uint64_t p2m_get(const struct xmm_p2m *p, uint64_t gfn)
{
    const struct p2m_node *n = p2m_level2(p, gfn);

    n = (const struct p2m_node *)(uintptr_t)n->e[(gfn >> 9) & (P2M_ENTRIES - 1)];
    return n->e[gfn & (P2M_ENTRIES - 1)];
}
/*
 * The fast path's slot of domain `id` (struct xmm_p2m_fast): the leaf
 * directory of the domain the table by id holds there, or none (len 0).
 * Called wherever a domain enters or leaves the table by id and wherever
 * a domain's directory changes (p2m_reserve, p2m_free_tables, p2m_own),
 * also for a domain not (or no longer) in the table.
 */
static inline void p2m_fast_sync(struct xmm_world *w, xmm_domid_t id)
{
    const struct xmm_domain *d = domain_by_id(w, id);
    struct xmm_p2m_fast_slot *s;

    if (id >= w->fast.cap)
        return;
    s = (struct xmm_p2m_fast_slot *)(uintptr_t)&w->fast.slot[id];
    s->dir = d ? d->p2m.dir : NULL;
    s->len = d ? d->p2m.dir_len : 0;
}
/* The empty node of each level, shared by every world (p2m.c; read-only). */
extern const struct p2m_node p2m_empty_nodes[P2M_LEVELS];
/* The fast-path head of a new or copied world, before any domain (p2m.c). */
void p2m_world_init(struct xmm_world *w);
/* Point an empty P2M at the empty root (every domain starts so). */
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
/* xmm_world_clone: d's P2M (of w) into nd (of c); nd's P2M stays empty on failure. */
int p2m_clone(struct xmm_world *c, const struct xmm_world *w, const struct xmm_domain *d,
              struct xmm_domain *nd);
/*
 * For callers that visit every leaf in gfn order: the leaf node (512
 * slots, the first at gfn *base) holding the first mapped gfn >= from, or
 * NULL.  The caller reads the slots itself (0: no entry) from `from` on,
 * then asks again from *base + 512, instead of one walk per leaf.  Leaf
 * writes keep the node; only freeing the tables drops it.
 */
const uint64_t *p2m_next_block(const struct xmm_p2m *p, uint64_t from, uint64_t *base);
/* First mapped gfn >= from, or false. */
bool p2m_next_raw(const struct xmm_p2m *p, uint64_t from, uint64_t *gfn, uint64_t *entry);
/* First mapped gfn in [from, end), or false: the walk stops at end. */
bool p2m_next_below(const struct xmm_p2m *p, uint64_t from, uint64_t end, uint64_t *gfn,
                    uint64_t *entry);

/* --- history (history.c) -------------------------------------------------- */
void hist_add(struct xmm_world *w, uint32_t idx, enum xmm_event_kind kind, xmm_domid_t dom,
              uint64_t arg, uint8_t aux);
void hist_domain(struct xmm_world *w, xmm_domid_t dom, enum xmm_domain_state st);
/* An event of a domain, not of a frame (retry timers, VM_DESTROYED, safe ranges). */
void hist_dom_event(struct xmm_world *w, xmm_domid_t dom, enum xmm_event_kind kind,
                    uint64_t arg, uint8_t aux);

/* --- checker (check.c) ---------------------------------------------------- */
void dirty_p2m_add(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn);
void check_report(struct xmm_check_report *rep, enum xmm_invariant inv,
                  enum xmm_subject_kind kind, uint64_t mfn, xmm_domid_t dom, uint64_t gfn,
                  const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* clock.c: a timer slot reserved beforehand, for arming where failure is not allowed. */
int timer_reserve(struct xmm_world *w);
void timer_arm_reserved(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg,
                        uint64_t *id);
/* The reserved timer ran or was cancelled: its slot is reserved again. */
void timer_slot_return(struct xmm_world *w);
/*
 * xmm_world_clone: c's timers copy w's, arguments included; a module's
 * clone hook gives each of its objects that may be a timer argument
 * (`old`, of w) its copy (`arg`, of c).
 */
void timer_arg_move(struct xmm_world *c, const void *old, void *arg);

/* --- misc ----------------------------------------------------------------- */
XMM_HOT_INLINE uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}
/*
 * Lane k of a digest: mix64 of x under a key of its own.  A digest that sums
 * the lanes of its fields (rather than mixing each into the last) lets the
 * multiplications run side by side; the fields still differ by position.
 */
static inline uint64_t mix64_lane(uint64_t x, unsigned k)
{
    return mix64(x + (uint64_t)(k + 1) * UINT64_C(0x9e3779b97f4a7c15));
}

#endif /* XMM_CORE_H */
