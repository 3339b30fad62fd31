/*
 * libxmm - lock-order checking, in the spirit of Linux lockdep.
 *
 * The model runs single-threaded, so locks are never contended; what
 * matters is the order in which code paths nest them.  Every time a class
 * is taken while others are held, an edge held -> taken joins the world's
 * graph.  A cycle means two paths nest the same locks in opposite orders:
 * on real hardware, two CPUs can deadlock.  Seed 001: the RFC v3 guarded
 * the xenheap GFN with the grant-table lock, so p2m_put_l3_page took the
 * grant lock under the P2M lock while gnttab_map_frame took the P2M lock
 * under the grant lock.
 *
 * Order the model follows (outermost first):
 *   domain_lock -> grant lock -> P2M lock -> page_alloc_lock -> heap_lock
 * with the grant lock never taken under the P2M lock (gfn_lock=p2m).
 */
#include <stdio.h>

#include "core.h"

static const char *const class_names[LOCK_CLASS_COUNT] = {
    [LOCK_DOMAIN] = "domain_lock",
    [LOCK_P2M] = "p2m_lock",
    [LOCK_GRANT] = "grant_lock",
    [LOCK_PAGE_ALLOC] = "page_alloc_lock",
    [LOCK_HEAP] = "heap_lock",
};

const char *lock_class_name(enum lock_class c)
{
    return (unsigned)c < LOCK_CLASS_COUNT ? class_names[c] : "?";
}

/* Is `to` reachable from `from` along recorded edges? */
static bool reachable(const struct lockdep *ld, unsigned from, unsigned to)
{
    uint32_t seen = 0, frontier = UINT32_C(1) << from;

    while (frontier) {
        uint32_t next = 0;

        for (unsigned c = 0; c < LOCK_CLASS_COUNT; c++)
            if (frontier & (UINT32_C(1) << c))
                next |= ld->edges[c];
        if (next & (UINT32_C(1) << to))
            return true;
        seen |= frontier;
        frontier = next & ~seen;
    }
    return false;
}

void lock_take(struct xmm_world *w, enum lock_class c)
{
    struct lockdep *ld = &w->lockdep;

    for (unsigned i = 0; i < ld->depth; i++) {
        unsigned h = ld->held[i];

        if (h == (unsigned)c || (ld->edges[h] & (UINT32_C(1) << c)))
            continue;
        ld->edges[h] |= UINT32_C(1) << c;
        ld->changed = true;
    }
    assert(ld->depth < LOCK_DEPTH_MAX);
    if (ld->depth < LOCK_DEPTH_MAX)
        ld->held[ld->depth++] = (uint8_t)c;
}

void lock_release(struct xmm_world *w, enum lock_class c)
{
    struct lockdep *ld = &w->lockdep;

    assert(ld->depth > 0 && ld->held[ld->depth - 1] == (uint8_t)c);
    (void)c;
    if (ld->depth > 0)
        ld->depth--;
}

bool lockdep_cycle(const struct lockdep *ld, enum lock_class *a, enum lock_class *b)
{
    for (unsigned x = 0; x < LOCK_CLASS_COUNT; x++)
        for (unsigned y = 0; y < LOCK_CLASS_COUNT; y++)
            if ((ld->edges[x] & (UINT32_C(1) << y)) && reachable(ld, y, x)) {
                *a = (enum lock_class)x;
                *b = (enum lock_class)y;
                return true;
            }
    return false;
}
