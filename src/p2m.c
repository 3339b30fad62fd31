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
 * A slot with no subtree points at the empty node of the next level (never
 * NULL), so lookups walk four levels without a branch; only writers ask
 * whether a child is real (is_real).
 */
#include "module.h"

/*
 * The empty node of each level, one read-only set for every world: level
 * 0-2 slots point at the next level's, the level-3 one is all zeros.  As
 * they hold no world's addresses, a world's copy of a node is the node's
 * bytes with only its real children replaced, and a copied world builds
 * no empty nodes of its own.
 */
#define EMPTY_AT(l) ((uint64_t)(uintptr_t)&p2m_empty_nodes[l])
#define EMPTY_8(x) x, x, x, x, x, x, x, x
#define EMPTY_64(x) EMPTY_8(x), EMPTY_8(x), EMPTY_8(x), EMPTY_8(x), \
                    EMPTY_8(x), EMPTY_8(x), EMPTY_8(x), EMPTY_8(x)
#define EMPTY_512(x) EMPTY_64(x), EMPTY_64(x), EMPTY_64(x), EMPTY_64(x), \
                     EMPTY_64(x), EMPTY_64(x), EMPTY_64(x), EMPTY_64(x)
const struct p2m_node p2m_empty_nodes[P2M_LEVELS] = {
    { { EMPTY_512(EMPTY_AT(1)) } },
    { { EMPTY_512(EMPTY_AT(2)) } },
    { { EMPTY_512(EMPTY_AT(3)) } },
    { { 0 } },
};
static_assert(P2M_ENTRIES == 512, "EMPTY_512 fills one node");

static inline unsigned level_index(uint64_t gfn, int level)
{
    return (unsigned)((gfn >> (9 * (3 - level))) & (P2M_ENTRIES - 1));
}

XMM_HOT_INLINE struct p2m_node *child_of(const struct p2m_node *n, unsigned i)
{
    return (struct p2m_node *)(uintptr_t)n->e[i];
}

/* Not the shared empty node of any level. */
XMM_HOT_INLINE bool is_real(const struct xmm_p2m *p, const struct p2m_node *n)
{
    return (uintptr_t)n - (uintptr_t)p->empty >= P2M_LEVELS * sizeof(struct p2m_node);
}

/*
 * The first used slot of n in [i, stop), or stop.  An unused slot holds
 * one known value (0 in a leaf node, the next level's empty node above:
 * what the empty node of n's level holds in every slot), so runs of
 * unused slots are skipped 64 (one memcmp) or eight (one test) at a time.
 */
static unsigned next_used(const struct p2m_node *n, int level, unsigned i, unsigned stop)
{
    uint64_t none = level < 3 ? EMPTY_AT(level + 1) : 0;
    const uint64_t *empty = p2m_empty_nodes[level].e;

    while (i + 64 <= stop && memcmp(&n->e[i], &empty[i], 64 * sizeof(n->e[0])) == 0)
        i += 64;
    for (; i + 8 <= stop; i += 8) {
        uint64_t diff = 0;

        for (unsigned k = 0; k < 8; k++)
            diff |= n->e[i + k] ^ none;
        if (diff)
            break;
    }
    for (; i < stop; i++)
        if (n->e[i] != none)
            return i;
    return stop;
}

#ifndef NDEBUG
/* A real node with nothing below it (what a `used` count of 0 said). */
static bool node_empty(const struct p2m_node *n, int level)
{
    return next_used(n, level, 0, P2M_ENTRIES) == P2M_ENTRIES;
}
#endif

/* A fresh node of `level`: every slot empty (levels 0-2 point one level down). */
static void node_init(struct p2m_node *n, int level)
{
    memcpy(n, &p2m_empty_nodes[level], sizeof(*n));
}

/* The first slot at or after i of interior node n (of `level`) with a real child. */
static unsigned next_real(const struct p2m_node *n, int level, unsigned i)
{
    return next_used(n, level, i, P2M_ENTRIES);
}

/* The fast path of a world with no domain table yet: one slot, for every id (cap 0). */
void p2m_world_init(struct xmm_world *w)
{
    w->p2m_slot_none.dir = NULL;
    w->p2m_slot_none.len = 0;
    w->fast.slot = &w->p2m_slot_none;
    w->fast.cap = 0;
}

/*
 * The leaf directory (struct xmm_p2m's dir): one entry per leaf node of
 * the gfns below the fast path's limit, read by the inline lookup.
 */
#define DIR_EMPTY (p2m_empty_nodes[3].e)

static size_t dir_bytes(size_t cap)
{
    return cap * sizeof(const uint64_t *);
}

/* Point all cap entries of dir at p's leaf nodes (or the empty one); the len. */
static size_t dir_fill(const struct xmm_p2m *p, const uint64_t **dir, size_t cap)
{
    size_t len = 0;

    for (size_t k = 0; k < cap; k++)
        dir[k] = DIR_EMPTY;
    if (!is_real(p, p->low))
        return 0;
    for (unsigned i = 0; (i = next_real(p->low, 1, i)) < P2M_ENTRIES; i++) {
        const struct p2m_node *n2 = child_of(p->low, i);

        for (unsigned j = 0; (j = next_real(n2, 2, j)) < P2M_ENTRIES; j++) {
            size_t k = (size_t)i * P2M_ENTRIES + j;

            assert(k < cap);
            dir[k] = child_of(n2, j)->e;
            len = k + 1;
        }
    }
    return len;
}

/* The capacity p's directory needs for new leaf nodes in [gfn, gfn + n). */
static size_t dir_need(const struct xmm_p2m *p, uint64_t gfn, uint64_t n)
{
    size_t cap = p->dir_cap ? p->dir_cap : 8;
    uint64_t end = gfn + n < XMM_P2M_FAST_GFN_LIMIT ? gfn + n : XMM_P2M_FAST_GFN_LIMIT;
    uint64_t hi;

    if (n == 0 || gfn >= XMM_P2M_FAST_GFN_LIMIT)
        return p->dir_cap;
    hi = (end - 1) >> 9;
    while (cap <= hi)
        cap *= 2;
    return cap;
}

/* Leaf node k (of gfns k * 512..) is gone: its entry names the empty one. */
static void dir_drop(struct xmm_p2m *p, uint64_t k)
{
    assert(k < p->dir_len);
    p->dir[k] = DIR_EMPTY;
    while (p->dir_len > 0 && p->dir[p->dir_len - 1] == DIR_EMPTY)
        p->dir_len--;
}

void p2m_init(struct xmm_world *w, struct xmm_p2m *p)
{
    (void)w;
    p->root = (struct p2m_node *)(uintptr_t)&p2m_empty_nodes[0];
    p->low = (struct p2m_node *)(uintptr_t)&p2m_empty_nodes[1];
    p->empty = p2m_empty_nodes;
    p->entries = p->nodes = 0;
    p->spare = NULL;
    p->dir = p->dir_spare = NULL;
    p->dir_len = p->dir_cap = 0;
}

/* A copy of shared node n (and of the real nodes below it) in p's spare blocks. */
static struct p2m_node *node_own(struct xmm_p2m *p, const struct p2m_node *n, int level,
                                 uint64_t *left)
{
    struct p2m_node *m = p->spare;

    assert(m);
    p->spare = (struct p2m_node *)(uintptr_t)m->e[0];
    memcpy(m, n, sizeof(*m));
    for (unsigned i = 0; level < 3 && *left && (i = next_real(n, level, i)) < P2M_ENTRIES; i++) {
        (*left)--;
        m->e[i] = (uint64_t)(uintptr_t)node_own(p, child_of(n, i), level + 1, left);
    }
    return m;
}

/*
 * Before p's nodes change: a P2M whose nodes are shared (another world's,
 * xmm_world_clone_shared) gets its own copies, in the blocks set aside for
 * them.  Cannot fail.
 */
static void p2m_own(struct xmm_world *w, struct xmm_domain *d)
{
    struct xmm_p2m *p = &d->p2m;
    uint64_t left;

    if (!p->spare)
        return;
    left = p->nodes - 1;
    p->root = node_own(p, p->root, 0, &left);
    p->low = child_of(p->root, 0);
    assert(left == 0 && !p->spare);
    /* the directory named the shared leaf nodes: now the block set aside names ours */
    p->dir = p->dir_spare;
    p->dir_spare = NULL;
    p->dir_len = dir_fill(p, p->dir, p->dir_cap);
    p2m_fast_sync(w, d->id);
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
    size_t dir_cap = dir_need(p, gfn, n);
    const uint64_t **dir = NULL;
    struct p2m_node **pool;

    if (need == 0)
        return 0;
    pool = xmm_alloc(w, need * sizeof(*pool));
    if (!pool)
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the %" PRIu64 " P2M nodes %s needs at gfn %#" PRIx64,
                        need, DN(d->id), gfn);
    for (got = 0; got < need; got++) {
        pool[got] = xmm_alloc_raw(w, sizeof(struct p2m_node)); /* node_init fills it */
        if (!pool[got])
            break;
    }
    if (got == need && dir_cap != p->dir_cap) /* a larger directory, filled below */
        dir = xmm_alloc_raw(w, dir_bytes(dir_cap));
    if (got < need || (dir_cap != p->dir_cap && !dir)) {
        while (got > 0)
            xmm_free(w, pool[--got], sizeof(struct p2m_node));
        xmm_free(w, pool, need * sizeof(*pool));
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the %" PRIu64 " P2M nodes %s needs at gfn %#" PRIx64,
                        need, DN(d->id), gfn);
    }
    p2m_own(w, d);
    if (dir) {
        if (p->dir_cap)
            memcpy(dir, p->dir, dir_bytes(p->dir_cap));
        for (size_t k = p->dir_cap; k < dir_cap; k++)
            dir[k] = DIR_EMPTY;
        xmm_free(w, p->dir, dir_bytes(p->dir_cap));
        p->dir = dir;
        p->dir_cap = dir_cap;
    }
    if (!is_real(p, p->root)) {
        p->root = pool_take(pool, &got);
        node_init(p->root, 0);
        p->nodes++;
    }
    for (uint64_t g = gfn & ~UINT64_C(511); g < gfn + n; g += P2M_ENTRIES) {
        struct p2m_node *node = p->root;

        for (int level = 0; level < 3; level++) {
            unsigned i = level_index(g, level);
            struct p2m_node *c = child_of(node, i);

            if (!is_real(p, c)) {
                c = pool_take(pool, &got);
                node_init(c, level + 1);
                node->e[i] = (uint64_t)(uintptr_t)c;
                if (level == 0 && i == 0)
                    p->low = c;
                if (level == 2 && g < XMM_P2M_FAST_GFN_LIMIT) {
                    p->dir[g >> 9] = c->e;
                    if (p->dir_len <= g >> 9)
                        p->dir_len = (size_t)(g >> 9) + 1;
                }
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
    struct p2m_node *n;
    unsigned i = level_index(gfn, 3);
    uint64_t old;
    bool put_old;

    p2m_own(w, d);
    n = p->root;
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

/*
 * Free empty nodes bottom-up; a node is freed only when all its children are.
 * The nodes left are n and the level + 1 nodes above it (p->nodes counts
 * them): then n has no real child left to look for.
 */
static bool free_subtree(struct xmm_world *w, struct xmm_p2m *p, struct p2m_node *n, int level,
                         uint64_t base, uint64_t *budget)
{
    if (level < 3) {
        for (unsigned i = 0; p->nodes > (uint64_t)level + 1 && (i = next_real(n, level, i)) < P2M_ENTRIES;
             i++) {
            uint64_t cbase = base + ((uint64_t)i << (9 * (3 - level)));

            if (!free_subtree(w, p, child_of(n, i), level + 1, cbase, budget))
                return false;
            n->e[i] = EMPTY_AT(level + 1);
            if (level == 0 && i == 0)
                p->low = (struct p2m_node *)(uintptr_t)&p2m_empty_nodes[1];
        }
    }
    if (*budget == 0)
        return false;
    assert(node_empty(n, level));
    (*budget)--;
    xmm_free(w, n, sizeof(*n));
    p->nodes--;
    if (level == 3 && base < XMM_P2M_FAST_GFN_LIMIT)
        dir_drop(p, base >> 9);
    return true;
}

int p2m_free_tables(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    struct xmm_p2m *p = &d->p2m;

    assert(p->entries == 0);
    int rc = 0;

    if (!is_real(p, p->root))
        return 0;
    p2m_own(w, d);
    if (!free_subtree(w, p, p->root, 0, 0, budget)) {
        rc = -XMM_ERESTART; /* the level-1 node may be gone already */
    } else {
        assert(p->dir_len == 0);
        xmm_free(w, p->dir, dir_bytes(p->dir_cap));
        p2m_init(w, p);
    }
    p2m_fast_sync(w, d->id);
    return rc;
}

/*
 * Free real node n and everything below it.  *left: how many real nodes
 * below those already found are still to be found in the whole tree (the
 * walk stops looking when none is), or UINT64_MAX when not known.
 */
static void discard_subtree(struct xmm_world *w, struct p2m_node *n, int level, uint64_t *left)
{
    for (unsigned i = 0; level < 3 && *left && (i = next_real(n, level, i)) < P2M_ENTRIES; i++) {
        (*left)--;
        discard_subtree(w, child_of(n, i), level + 1, left);
    }
    xmm_free(w, n, sizeof(*n));
}

void p2m_discard(struct xmm_world *w, struct xmm_domain *d)
{
    /* the directory is this P2M's own unless the nodes are shared (then dir_spare is) */
    xmm_free(w, d->p2m.dir_spare, dir_bytes(d->p2m.dir_cap));
    if (!d->p2m.spare)
        xmm_free(w, d->p2m.dir, dir_bytes(d->p2m.dir_cap));
    while (d->p2m.spare) { /* shared nodes: only the blocks set aside are this P2M's */
        struct p2m_node *b = d->p2m.spare;

        d->p2m.spare = (struct p2m_node *)(uintptr_t)b->e[0];
        xmm_free(w, b, sizeof(*b));
        d->p2m.root = (struct p2m_node *)(uintptr_t)&p2m_empty_nodes[0];
    }
    if (is_real(&d->p2m, d->p2m.root)) {
        uint64_t left = d->p2m.nodes - 1;

        discard_subtree(w, d->p2m.root, 0, &left);
        assert(left == 0);
    }
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

    for (unsigned i = next_used(n, level, start, stop); i < stop;
         i = next_used(n, level, i + 1, stop)) {
        uint64_t cbase = base + ((uint64_t)i << shift);

        if (level == 3) {
            *gfn = cbase;
            *entry = n->e[i];
            return true;
        }
        if (next_in(p, child_of(n, i), level + 1, cbase, from > cbase ? from : cbase, end, gfn,
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

const uint64_t *p2m_next_block(const struct xmm_p2m *p, uint64_t from, uint64_t *base)
{
    const struct p2m_node *n = p->root;
    uint64_t gfn, e;

    if (!p2m_next_raw(p, from, &gfn, &e))
        return NULL;
    for (int level = 0; level < 3; level++)
        n = child_of(n, level_index(gfn, level));
    *base = gfn & ~(uint64_t)(P2M_ENTRIES - 1);
    return n->e;
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
 * shared empty nodes and reads 0.
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
                                                             : &p2m_empty_nodes[2];

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
 * A copy in world c of real node n of `level`: its bytes (the empty slots
 * point at the shared empty nodes, right for c too), then a copy of each
 * real child in its slot.  *left: as discard_subtree's.  On failure nothing
 * is left allocated.
 */
static struct p2m_node *node_clone(struct xmm_world *c, const struct p2m_node *n, int level,
                                   uint64_t *left)
{
    struct p2m_node *m = xmm_alloc_copy(c, sizeof(*m), n, sizeof(*n));

    if (!m || level == 3)
        return m;
    for (unsigned i = 0; *left && (i = next_real(n, level, i)) < P2M_ENTRIES; i++) {
        struct p2m_node *ch;

        (*left)--;
        ch = node_clone(c, child_of(n, i), level + 1, left);
        if (!ch) {
            /* the slots from i on still name n's children: empty them first */
            uint64_t all = UINT64_MAX;

            for (unsigned j = i; j < P2M_ENTRIES; j++)
                m->e[j] = EMPTY_AT(level + 1);
            discard_subtree(c, m, level, &all);
            return NULL;
        }
        m->e[i] = (uint64_t)(uintptr_t)ch;
    }
    return m;
}

/*
 * Copy d's P2M into nd (nd's P2M is empty on entry and stays so on failure).
 * Under xmm_world_clone_shared (c->p2m_share), nd points at d's nodes and
 * gets one block per node for its own copies (p2m_own): the same
 * allocations as a copy, in the same order, without copying.
 */
int p2m_clone(struct xmm_world *c, const struct xmm_world *w, const struct xmm_domain *d,
              struct xmm_domain *nd)
{
    struct p2m_node *root;
    uint64_t left = d->p2m.nodes - 1;
    const uint64_t **dir = NULL;

    (void)w;
    p2m_init(c, &nd->p2m);
    if (!is_real(&d->p2m, d->p2m.root))
        return 0;
    /* The directory first, in both cases: filled from the copy's own nodes, never the original's. */
    if (d->p2m.dir_cap) {
        dir = xmm_alloc_raw(c, dir_bytes(d->p2m.dir_cap));
        if (!dir)
            return -XMM_ENOMEM;
    }
    nd->p2m.dir_cap = d->p2m.dir_cap;
    if (c->p2m_share) {
        nd->p2m.dir_spare = dir; /* p2m_own fills it; until then the original's is read */
        for (uint64_t k = 0; k < d->p2m.nodes; k++) {
            struct p2m_node *b = xmm_alloc_copy(c, sizeof(*b), NULL, 0);

            if (!b) {
                p2m_discard(c, nd);
                return -XMM_ENOMEM;
            }
            b->e[0] = (uint64_t)(uintptr_t)nd->p2m.spare;
            nd->p2m.spare = b;
        }
        nd->p2m.root = d->p2m.root;
        nd->p2m.low = d->p2m.low;
        nd->p2m.entries = d->p2m.entries;
        nd->p2m.nodes = d->p2m.nodes;
        nd->p2m.dir = d->p2m.dir;
        nd->p2m.dir_len = d->p2m.dir_len;
        return 0;
    }
    root = node_clone(c, d->p2m.root, 0, &left);
    if (!root) {
        xmm_free(c, dir, dir_bytes(d->p2m.dir_cap));
        nd->p2m.dir_cap = 0;
        return -XMM_ENOMEM;
    }
    assert(left == 0);
    nd->p2m.root = root;
    nd->p2m.low = child_of(root, 0);
    nd->p2m.entries = d->p2m.entries;
    nd->p2m.nodes = d->p2m.nodes;
    nd->p2m.dir = dir;
    nd->p2m.dir_len = dir_fill(&nd->p2m, dir, nd->p2m.dir_cap);
    assert(nd->p2m.dir_len == d->p2m.dir_len);
    return 0;
}
