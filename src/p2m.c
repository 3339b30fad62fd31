/*
 * libxmm - the P2M: a four-level radix tree of 4 KiB nodes, 512 eight-byte
 * entries each, modelling Arm's LPAE stage-2 tables (arch/arm/mm/p2m.c).
 *
 * Level 0 is the root; level 3 holds leaves.  A leaf packs a valid bit, the
 * P2M type and the mfn.  Nodes needed by a change are allocated before the
 * change is made (p2m_reserve), so writing leaves cannot fail: callers
 * validate, reserve, then commit.  Empty nodes stay until teardown, as in
 * Xen, which frees intermediate tables only in p2m_teardown.
 *
 * A slot with no subtree points at the world's empty node of the next level
 * (never NULL), so lookups walk four levels without a branch; only writers
 * ask whether a child is real (is_real).
 */
#include "module.h"

static inline unsigned level_index(uint64_t gfn, int level)
{
    return (unsigned)((gfn >> (9 * (3 - level))) & (P2M_ENTRIES - 1));
}

static inline struct p2m_node *child_of(const struct p2m_node *n, unsigned i)
{
    return (struct p2m_node *)(uintptr_t)n->e[i];
}

/* Not the world's empty node of any level. */
static inline bool is_real(const struct xmm_p2m *p, const struct p2m_node *n)
{
    return (uintptr_t)n - (uintptr_t)p->empty >= P2M_LEVELS * sizeof(struct p2m_node);
}

#ifndef NDEBUG
/* A real node with nothing below it (what a `used` count of 0 said). */
static bool node_empty(const struct xmm_p2m *p, const struct p2m_node *n, int level)
{
    for (unsigned i = 0; i < P2M_ENTRIES; i++)
        if (level < 3 ? is_real(p, child_of(n, i)) : n->e[i] != 0)
            return false;
    return true;
}
#endif

/* A fresh node of `level`: every slot empty (levels 0-2 point one level down). */
static void node_init(struct xmm_world *w, struct p2m_node *n, int level)
{
    for (unsigned i = 0; i < P2M_ENTRIES; i++)
        n->e[i] = level < 3 ? (uint64_t)(uintptr_t)&w->p2m_empty[level + 1] : 0;
}

void p2m_world_init(struct xmm_world *w)
{
    for (int level = 0; level < P2M_LEVELS; level++)
        node_init(w, &w->p2m_empty[level], level);
    /* The fast path with no table yet: one slot, for every id (cap 0). */
    w->p2m_l1_none = (uintptr_t)&w->p2m_empty[1] | XMM_P2M_FAST_NO_DOMAIN;
    w->fast.l1 = &w->p2m_l1_none;
    w->fast.cap = 0;
}

void p2m_init(struct xmm_world *w, struct xmm_p2m *p)
{
    p->root = &w->p2m_empty[0];
    p->low = &w->p2m_empty[1];
    p->empty = w->p2m_empty;
    p->entries = p->nodes = 0;
}

/*
 * Count the nodes a range needs that do not exist yet.  Chunks of 512 gfns
 * are visited in order, so a missing parent shared by consecutive chunks is
 * counted once (last[] remembers the prefix of the node counted last).
 */
static uint64_t count_missing(const struct xmm_p2m *p, uint64_t gfn, uint64_t n)
{
    uint64_t last[P2M_LEVELS] = { ~UINT64_C(0), ~UINT64_C(0), ~UINT64_C(0), ~UINT64_C(0) };
    uint64_t count = is_real(p, p->root) ? 0 : 1;

    for (uint64_t g = gfn & ~UINT64_C(511); g < gfn + n; g += P2M_ENTRIES) {
        const struct p2m_node *node = p->root;

        for (int level = 0; level < 3; level++) {
            const struct p2m_node *c = child_of(node, level_index(g, level));
            uint64_t prefix = g >> (9 * (3 - level));

            if (!is_real(p, c) && last[level + 1] != prefix) {
                count++;
                last[level + 1] = prefix;
            }
            node = c; /* below an empty node everything is empty */
        }
    }
    return count;
}

static struct p2m_node *pool_take(struct p2m_node **pool, uint64_t *left)
{
    assert(*left > 0);
    return pool[--*left];
}

int p2m_reserve(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t n)
{
    struct xmm_p2m *p = &d->p2m;
    uint64_t need = count_missing(p, gfn, n), got = 0;
    struct p2m_node **pool;

    if (need == 0)
        return 0;
    pool = xmm_alloc(w, need * sizeof(*pool));
    if (!pool)
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the %" PRIu64 " P2M nodes %s needs at gfn %#" PRIx64,
                        need, DN(d->id), gfn);
    for (got = 0; got < need; got++) {
        pool[got] = xmm_alloc(w, sizeof(struct p2m_node));
        if (!pool[got])
            break;
    }
    if (got < need) {
        while (got > 0)
            xmm_free(w, pool[--got], sizeof(struct p2m_node));
        xmm_free(w, pool, need * sizeof(*pool));
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the %" PRIu64 " P2M nodes %s needs at gfn %#" PRIx64,
                        need, DN(d->id), gfn);
    }
    if (!is_real(p, p->root)) {
        p->root = pool_take(pool, &got);
        node_init(w, p->root, 0);
        p->nodes++;
    }
    for (uint64_t g = gfn & ~UINT64_C(511); g < gfn + n; g += P2M_ENTRIES) {
        struct p2m_node *node = p->root;

        for (int level = 0; level < 3; level++) {
            unsigned i = level_index(g, level);
            struct p2m_node *c = child_of(node, i);

            if (!is_real(p, c)) {
                c = pool_take(pool, &got);
                node_init(w, c, level + 1);
                node->e[i] = (uint64_t)(uintptr_t)c;
                if (level == 0 && i == 0)
                    p->low = c;
                p->nodes++;
            }
            node = c;
        }
    }
    assert(got == 0);
    xmm_free(w, pool, need * sizeof(*pool));
    p2m_fast_sync(w, d->id);
    return 0;
}

/* Record a changed entry in the checker's change set (frame_touch's twin). */
void dirty_p2m_add(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn)
{
    if (w->dirty_p2m_count < w->dirty_p2m_cap) {
        w->dirty_p2m[w->dirty_p2m_count].dom = dom;
        w->dirty_p2m[w->dirty_p2m_count].gfn = gfn;
        w->dirty_p2m_count++;
    } else {
        w->dirty_overflow = true;
    }
}

static uint64_t entry_hash(xmm_domid_t dom, uint64_t gfn, uint64_t e)
{
    if (!e)
        return 0;
    return mix64(mix64(((uint64_t)dom << 48) ^ gfn) ^ e);
}

/*
 * Account a leaf appearing (delta +1) or going (-1) in the checker's index
 * (false: it names no RAM frame, the index has nothing to count).
 * Foreign entries own a page reference; grant entries do not (their
 * maptrack entry does) and RAM entries do not, but both make the frame
 * reachable.
 */
static bool rmap_account(struct xmm_world *w, xmm_domid_t dom, uint64_t e, int delta)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t mfn = p2m_entry_mfn(e);
    struct xmm_rmap *r;
    uint32_t idx;

    if (!frame_valid(w, mfn))
        return false;
    idx = (uint32_t)(mfn - w->ram_base);
    r = &w->rmap[idx];
    frame_touch(w, idx);
    if (xmm_p2m_is_foreign(t)) {
        r->refs += (uint32_t)delta;
    } else if (xmm_p2m_is_grant(t)) {
        if (r->grant_maps != RMAP_GRANT_MAX)
            r->grant_maps = (uint16_t)(r->grant_maps + delta) & RMAP_GRANT_MAX;
    } else if (xmm_p2m_is_ram(t)) {
        bool other = w->frames[idx].owner != dom;

        /* A saturated counter stays put: the checker reports it. */
        if (r->ram_maps != RMAP_RAM_MAX)
            r->ram_maps = (uint16_t)(r->ram_maps + delta) & RMAP_RAM_MAX;
        if (other && r->ram_other != RMAP_OTHER_MAX && (delta > 0 || r->ram_other > 0))
            r->ram_other = (uint8_t)(r->ram_other + delta) & RMAP_OTHER_MAX;
    } else if (t == XMM_P2M_IOMMU_MAP_RW || t == XMM_P2M_IOMMU_MAP_RO) {
        r->reach = (uint8_t)(r->reach + delta);
    }
    return true;
}

/*
 * What Xen's p2m_put_l3_page does when a leaf goes: a foreign entry drops
 * its page reference; a RAM entry of a xenheap frame forgets the frame's
 * stored GFN (only under the page_info policy: with the pre-2022 side
 * arrays nothing resets it, which is the seed 001 bug).
 */
static void put_leaf(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e)
{
    enum xmm_p2m_type t = p2m_entry_type(e);
    uint64_t mfn = p2m_entry_mfn(e);
    uint32_t idx;

    if (!frame_valid(w, mfn))
        return;
    idx = (uint32_t)(mfn - w->ram_base);
    hist_add(w, idx, XMM_EV_UNMAP, dom, gfn, (uint8_t)t);
    if (xmm_p2m_is_foreign(t)) {
        int rc = xmm_page_put(w, xmm_mfn(mfn));
        (void)rc;
        assert(rc == 0);
    } else if (xmm_p2m_is_ram(t) && (w->frames[idx].count_info & XMM_PGC_xen_heap) &&
               w->policy.xenheap_gfn == XMM_XENHEAP_GFN_PAGE_INFO) {
        struct xmm_page *pg = frame_touch(w, idx);
        /* RFC v3 guarded the GFN with the grant lock, taken here under the P2M lock. */
        bool grant_lock = w->policy.gfn_lock == XMM_GFN_LOCK_GRANT;

        if (grant_lock)
            lock_take(w, LOCK_GRANT);
        if (!XMM_CANARY(XMM_CANARY_XENHEAP_GFN))
            pg->type_info |= XMM_PGT_INVALID_GFN;
        hist_add(w, idx, XMM_EV_SET_GFN, dom, XMM_INVALID_GFN_RAW, 0);
        if (grant_lock)
            lock_release(w, LOCK_GRANT);
    }
}

/* A module's P2M hook runs for d (module.h, p2m_slot_only). */
static inline bool hook_runs(const struct xmm_domain *d, uint8_t slot)
{
    return slot == XMM_MOD_ALWAYS || d->mod[slot];
}

static void write_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t entry,
                       bool same_keeps)
{
    struct xmm_p2m *p = &d->p2m;
    struct p2m_node *n = p->root;
    unsigned i = level_index(gfn, 3);
    uint64_t old;
    bool put_old;

    for (int level = 0; level < 3; level++)
        n = child_of(n, level_index(gfn, level));
    assert(is_real(p, n)); /* the caller reserved the nodes (or the leaf exists) */
    old = n->e[i];
    /*
     * p2m_write: rewriting the same leaf still puts the old one (its holder
     * was replaced).  p2m_set_leaf: Arm frees the old entry only when the
     * new one names another frame, so a same-mfn rewrite keeps it.
     */
    put_old = old && !(same_keeps && entry && p2m_entry_mfn(old) == p2m_entry_mfn(entry));
    n->e[i] = entry;
    if (old && !entry)
        p->entries--;
    else if (!old && entry)
        p->entries++;
    w->p2m_digest ^= entry_hash(d->id, gfn, old) ^ entry_hash(d->id, gfn, entry);
    dirty_p2m_add(w, d->id, gfn);
    domain_touch(w, d);
    /*
     * The modules follow the P2M (seed 003: the IOMMU).  Called before the
     * old leaf is put, so a frame a device TLB may cache can be held while
     * it still has the references this leaf's owner had.
     */
    for (unsigned k = 0; k < w->n_p2m_before; k++)
        if (hook_runs(d, w->p2m_before[k].slot))
            w->p2m_before[k].fn(w, d, gfn, old, entry);
    if (old) {
        if (rmap_account(w, d->id, old, -1))
            for (unsigned k = 0; k < w->n_p2m_index; k++)
                if (hook_runs(d, w->p2m_index[k].slot))
                    w->p2m_index[k].fn(w, d, gfn, old, -1);
        if (put_old)
            put_leaf(w, d->id, gfn, old);
    }
    if (entry) {
        if (rmap_account(w, d->id, entry, +1))
            for (unsigned k = 0; k < w->n_p2m_index; k++)
                if (hook_runs(d, w->p2m_index[k].slot))
                    w->p2m_index[k].fn(w, d, gfn, entry, +1);
        if (frame_valid(w, p2m_entry_mfn(entry)))
            hist_add(w, (uint32_t)(p2m_entry_mfn(entry) - w->ram_base), XMM_EV_MAP, d->id, gfn,
                     (uint8_t)p2m_entry_type(entry));
    }
    /* Seed 004: MPU region counts of a direct-mapped domain, O(1) per leaf. */
    for (unsigned k = 0; k < w->n_p2m_after; k++)
        if (hook_runs(d, w->p2m_after[k].slot))
            w->p2m_after[k].fn(w, d, gfn, old, entry);
}

void p2m_write(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t entry)
{
    write_leaf(w, d, gfn, entry, false);
}

void p2m_set_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t entry)
{
    write_leaf(w, d, gfn, entry, true);
}

/* Free empty nodes bottom-up; a node is freed only when all its children are. */
static bool free_subtree(struct xmm_world *w, struct xmm_p2m *p, struct p2m_node *n, int level,
                         uint64_t *budget)
{
    if (level < 3) {
        for (unsigned i = 0; i < P2M_ENTRIES; i++) {
            struct p2m_node *c = child_of(n, i);

            if (!is_real(p, c))
                continue;
            if (!free_subtree(w, p, c, level + 1, budget))
                return false;
            n->e[i] = (uint64_t)(uintptr_t)&w->p2m_empty[level + 1];
            if (level == 0 && i == 0)
                p->low = &w->p2m_empty[1];
        }
    }
    if (*budget == 0)
        return false;
    assert(node_empty(p, n, level));
    (*budget)--;
    xmm_free(w, n, sizeof(*n));
    p->nodes--;
    return true;
}

int p2m_free_tables(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    struct xmm_p2m *p = &d->p2m;

    assert(p->entries == 0);
    int rc = 0;

    if (!is_real(p, p->root))
        return 0;
    if (!free_subtree(w, p, p->root, 0, budget))
        rc = -XMM_ERESTART; /* the level-1 node may be gone already */
    else
        p2m_init(w, p);
    p2m_fast_sync(w, d->id);
    return rc;
}

static void discard_subtree(struct xmm_world *w, const struct xmm_p2m *p, struct p2m_node *n,
                            int level)
{
    for (unsigned i = 0; level < 3 && i < P2M_ENTRIES; i++)
        if (is_real(p, child_of(n, i)))
            discard_subtree(w, p, child_of(n, i), level + 1);
    xmm_free(w, n, sizeof(*n));
}

void p2m_discard(struct xmm_world *w, struct xmm_domain *d)
{
    if (is_real(&d->p2m, d->p2m.root))
        discard_subtree(w, &d->p2m, d->p2m.root, 0);
    p2m_init(w, &d->p2m);
}

/*
 * First leaf at or after `from` and before `end` inside node n (covering
 * base..): the walk stops at the first child that starts at or past `end`.
 */
static bool next_in(const struct xmm_p2m *p, const struct p2m_node *n, int level, uint64_t base,
                    uint64_t from, uint64_t end, uint64_t *gfn, uint64_t *entry)
{
    unsigned shift = 9 * (3 - level);
    unsigned start = from > base ? (unsigned)((from - base) >> shift) : 0;
    /* children that start before end (end > base: the caller's child does) */
    uint64_t lim = ((end - base - 1) >> shift) + 1;
    unsigned stop = lim < P2M_ENTRIES ? (unsigned)lim : P2M_ENTRIES;

    for (unsigned i = start; i < stop; i++) {
        uint64_t cbase = base + ((uint64_t)i << shift);

        if (!n->e[i])
            continue;
        if (level == 3) {
            *gfn = cbase;
            *entry = n->e[i];
            return true;
        }
        if (is_real(p, child_of(n, i)) &&
            next_in(p, child_of(n, i), level + 1, cbase, from > cbase ? from : cbase, end, gfn,
                    entry))
            return true;
    }
    return false;
}

bool p2m_next_raw(const struct xmm_p2m *p, uint64_t from, uint64_t *gfn, uint64_t *entry)
{
    if (!p->entries || from >= XMM_FRAME_LIMIT)
        return false;
    return next_in(p, p->root, 0, 0, from, XMM_FRAME_LIMIT, gfn, entry);
}

bool p2m_next_below(const struct xmm_p2m *p, uint64_t from, uint64_t end, uint64_t *gfn,
                    uint64_t *entry)
{
    if (!p->entries || from >= XMM_FRAME_LIMIT || from >= end)
        return false;
    return next_in(p, p->root, 0, 0, from, end, gfn, entry);
}

/* Last leaf inside node n. */
static bool last_in(const struct xmm_p2m *p, const struct p2m_node *n, int level, uint64_t base,
                    uint64_t *gfn)
{
    unsigned shift = 9 * (3 - level);

    for (unsigned i = P2M_ENTRIES; i-- > 0;) {
        uint64_t cbase = base + ((uint64_t)i << shift);

        if (!n->e[i])
            continue;
        if (level == 3) {
            *gfn = cbase;
            return true;
        }
        if (is_real(p, child_of(n, i)) && last_in(p, child_of(n, i), level + 1, cbase, gfn))
            return true;
    }
    return false;
}

/* --- public API --------------------------------------------------------- */

static const struct xmm_domain *p2m_domain(const struct xmm_world *w, xmm_domid_t dom)
{
    return domain_find(w, dom);
}

/*
 * The inline definition in include/xmm/p2m.h made external here: the
 * library exports xmm_p2m_lookup as a symbol too (C99 6.7.4).
 */
extern int xmm_p2m_lookup(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                          struct xmm_p2m_entry *out);

uint64_t xmm_p2m_lookup_word(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn)
{
    const struct xmm_domain *d = domain_by_id(w, dom);
    uint64_t e;

    if (!d)
        return XMM_ESRCH;
    if (gfn.g >= XMM_FRAME_LIMIT)
        return XMM_EINVAL;
    e = p2m_get(&d->p2m, gfn.g);
    return e ? e : XMM_ENOENT;
}

/*
 * A batch as a three-stage software pipeline, LOOKUP_AHEAD gfns apart: the
 * level-2 slot of gfn i is prefetched (the upper levels are few and stay
 * cached), read LOOKUP_AHEAD gfns later to find the leaf, which is then
 * prefetched, and the leaf read LOOKUP_AHEAD gfns after that.  The walks'
 * cache misses are in flight together instead of one walk's at a time (a
 * single call's instructions and its return leave the CPU room to overlap
 * far fewer of them: bench/bench_p2m.c).  An out-of-range gfn walks the
 * world's empty nodes and reads 0.
 */
#define LOOKUP_AHEAD 16
#define LOOKUP_RING 64 /* a power of two > 2 x LOOKUP_AHEAD */

int xmm_p2m_lookup_many(const struct xmm_world *w, xmm_domid_t dom, const xmm_gfn_t *gfns,
                        size_t n, struct xmm_p2m_entry *out)
{
    const struct xmm_domain *d = domain_by_id(w, dom);
    const uint64_t *slot2[LOOKUP_RING], *leaf[LOOKUP_RING];

    if (!d) {
        for (size_t i = 0; i < n; i++) {
            out[i].mfn = XMM_INVALID_MFN;
            out[i].type = XMM_P2M_INVALID;
        }
        return -XMM_ESRCH;
    }
    for (size_t i = 0; i < n + 2 * LOOKUP_AHEAD; i++) {
        if (i < n) {
            uint64_t g = gfns[i].g;
            const struct p2m_node *n2 = g < XMM_FRAME_LIMIT ? p2m_level2(&d->p2m, g)
                                                             : &w->p2m_empty[2];

            slot2[i % LOOKUP_RING] = &n2->e[(g >> 9) & (P2M_ENTRIES - 1)];
            __builtin_prefetch(slot2[i % LOOKUP_RING]);
        }
        if (i >= LOOKUP_AHEAD && i - LOOKUP_AHEAD < n) {
            size_t j = i - LOOKUP_AHEAD;
            const struct p2m_node *n3 = (const struct p2m_node *)(uintptr_t)*slot2[j % LOOKUP_RING];

            leaf[j % LOOKUP_RING] = &n3->e[gfns[j].g & (P2M_ENTRIES - 1)];
            __builtin_prefetch(leaf[j % LOOKUP_RING]);
        }
        if (i >= 2 * LOOKUP_AHEAD) {
            size_t j = i - 2 * LOOKUP_AHEAD;
            uint64_t e = *leaf[j % LOOKUP_RING];

            out[j].mfn = e ? xmm_mfn(p2m_entry_mfn(e)) : XMM_INVALID_MFN;
            out[j].type = e ? p2m_entry_type(e) : XMM_P2M_INVALID;
        }
    }
    return 0;
}

int xmm_p2m_set(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                enum xmm_p2m_type type)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (gfn.g >= XMM_FRAME_LIMIT || mfn.m >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " or mfn %#" PRIx64 " is beyond the 40-bit frame limit",
                        gfn.g, mfn.m);
    if (type <= XMM_P2M_INVALID || type >= XMM_P2M_TYPE_COUNT)
        return xmm_fail(w, -XMM_EINVAL, "p2m type %d is not one a leaf can have", (int)type);
    if (domain_dying(d)) /* p2m_set_entry refuses once the domain is dying */
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                        xmm_domain_state_name(d->state));
    rc = p2m_reserve(w, d, gfn.g, 1);
    if (rc)
        return rc;
    lock_take(w, LOCK_P2M);
    p2m_write(w, d, gfn.g, p2m_pack(mfn.m, type));
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_p2m_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    if (!p2m_get(&d->p2m, gfn.g))
        return xmm_fail(w, -XMM_ENOENT, "%s maps nothing at gfn %#" PRIx64, DN(dom), gfn.g);
    if (domain_dying(d)) /* p2m_set_entry, removals included */
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(dom),
                        xmm_domain_state_name(d->state));
    lock_take(w, LOCK_P2M);
    p2m_write(w, d, gfn.g, 0);
    lock_release(w, LOCK_P2M);
    return 0;
}

int xmm_p2m_next(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t from, xmm_gfn_t *gfn,
                 struct xmm_p2m_entry *out)
{
    const struct xmm_domain *d = p2m_domain(w, dom);
    uint64_t g, e;

    if (!d)
        return -XMM_ESRCH;
    if (!p2m_next_raw(&d->p2m, from.g, &g, &e))
        return -XMM_ENOENT;
    *gfn = xmm_gfn(g);
    if (out) {
        out->mfn = xmm_mfn(p2m_entry_mfn(e));
        out->type = p2m_entry_type(e);
    }
    return 0;
}

int xmm_p2m_lowest(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t *gfn)
{
    return xmm_p2m_next(w, dom, xmm_gfn(0), gfn, NULL);
}

int xmm_p2m_highest(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t *gfn)
{
    const struct xmm_domain *d = p2m_domain(w, dom);
    uint64_t g;

    if (!d)
        return -XMM_ESRCH;
    if (!d->p2m.entries || !last_in(&d->p2m, d->p2m.root, 0, 0, &g))
        return -XMM_ENOENT;
    *gfn = xmm_gfn(g);
    return 0;
}

uint64_t xmm_p2m_entry_count(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = p2m_domain(w, dom);
    return d ? d->p2m.entries : 0;
}

uint64_t xmm_p2m_node_count(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = p2m_domain(w, dom);
    return d ? d->p2m.nodes : 0;
}

/* --- clone (xmm_world_clone) -------------------------------------------------- */

/*
 * A copy of real node n of `level` (of P2M p) in world c, for P2M np (whose
 * `empty` is c's): its empty slots on c's empty nodes.
 */
static struct p2m_node *node_clone(struct xmm_world *c, const struct xmm_p2m *np,
                                   const struct xmm_p2m *p, const struct p2m_node *n, int level)
{
    struct p2m_node *m;

    if (level == 3) /* a leaf node: one copy, not zeroed first */
        return xmm_alloc_copy(c, sizeof(*m), n, sizeof(*n));
    m = xmm_alloc_copy(c, sizeof(*m), c->p2m_empty[level].e, sizeof(m->e));
    if (!m)
        return NULL;
    /*
     * Every slot empty first (c's empty node of this level is exactly that),
     * so a failure below frees only what was copied; then the real
     * children, in slot order.
     */
    for (unsigned i = 0; i < P2M_ENTRIES; i++) {
        const struct p2m_node *ch = child_of(n, i);

        if (!is_real(p, ch))
            continue;
        ch = node_clone(c, np, p, ch, level + 1);
        if (!ch) {
            discard_subtree(c, np, m, level);
            return NULL;
        }
        m->e[i] = (uint64_t)(uintptr_t)ch;
    }
    return m;
}

/* Copy d's P2M into nd (nd's P2M is empty on entry and stays so on failure). */
int p2m_clone(struct xmm_world *c, const struct xmm_world *w, const struct xmm_domain *d,
              struct xmm_domain *nd)
{
    struct p2m_node *root;

    (void)w;
    p2m_init(c, &nd->p2m);
    if (!is_real(&d->p2m, d->p2m.root))
        return 0;
    root = node_clone(c, &nd->p2m, &d->p2m, d->p2m.root, 0);
    if (!root)
        return -XMM_ENOMEM;
    nd->p2m.root = root;
    nd->p2m.low = child_of(root, 0);
    nd->p2m.entries = d->p2m.entries;
    nd->p2m.nodes = d->p2m.nodes;
    return 0;
}
