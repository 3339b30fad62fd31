/*
 * libxmm unit tests - the test-only corruption hook (private: tests only,
 * never installed, not API).  Each function breaks the world the way a bug
 * would, one invariant at a time, through the module's own internal
 * helpers where the bug would go through them too (so the checker's index
 * is kept as the buggy code would keep it), and marks what it changed
 * dirty as every model change does.  test_checker_checked.c requires both
 * the incremental check and the full sweep to name the broken invariant.
 */
#ifndef XMM_TEST_CORRUPT_H
#define XMM_TEST_CORRUPT_H

#include "internal.h"

/* refcount: a reference taken with no holder to drop it (a leak). */
static inline void corrupt_stray_ref(struct xmm_world *w, xmm_mfn_t m)
{
    frame_touch(w, frame_idx(w, m))->count_info++;
}

/*
 * ownership: a frame handed to another domain without moving it between
 * page lists (and still RAM-mapped by its old owner), through the one
 * place owners change, frame_set_owner, which keeps the owner index.
 */
static inline void corrupt_owner(struct xmm_world *w, xmm_mfn_t m, xmm_domid_t to)
{
    uint32_t idx = frame_idx(w, m);

    frame_touch(w, idx);
    frame_set_owner(w, idx, to);
}

/* free_clean: a frame freed with its type (a pin or GFN) left behind. */
static inline void corrupt_free_dirty(struct xmm_world *w, xmm_mfn_t m)
{
    frame_touch(w, frame_idx(w, m))->type_info = 1;
}

/* p2m_type: dom's P2M gets a RAM entry for a frame another domain owns. */
static inline int corrupt_map_other(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn,
                                    xmm_mfn_t m)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc = p2m_reserve(w, d, gfn, 1);

    if (rc == 0)
        p2m_write(w, d, gfn, p2m_pack(xmm_mfn_x(m), XMM_P2M_RAM_RW));
    return rc;
}

/* xenheap_gfn: a shared xenheap frame whose stored GFN names nothing mapped. */
static inline void corrupt_xenheap_gfn(struct xmm_world *w, xmm_mfn_t x, uint64_t gfn)
{
    struct xmm_page *pg = frame_touch(w, frame_idx(w, x));

    pg->type_info = (pg->type_info & ~XMM_PGT_gfn_mask) | gfn;
}

/*
 * isolation: the granter's id now names a new incarnation (the old domain
 * went and the id was reused) while another domain's maptrack record of
 * the old one's grant was never torn down.
 */
static inline void corrupt_granter_reincarnated(struct xmm_world *w, xmm_domid_t granter)
{
    struct xmm_domain *d = domain_find(w, granter);

    d->inc = ++w->last_inc;
    domain_touch(w, d);
}

/* grant_pin: one more read-write pin on granter's entry ref than maptrack entries map it. */
static inline void corrupt_grant_pin(struct xmm_world *w, xmm_domid_t granter, xmm_grant_ref_t ref)
{
    struct xmm_domain *d = domain_find(w, granter);

    (*gnttab_pin_slot(d, ref, true))++;
    domain_touch(w, d);
}

/* safe_range: RAM mapped inside the domain's safe range (p2m_pack'd own frame). */
static inline int corrupt_ram_in_safe_range(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn,
                                            xmm_mfn_t own)
{
    return corrupt_map_other(w, dom, gfn, own);
}

/* destroy_progress: a zombie whose frame keeps its allocation reference. */
static inline void corrupt_zombie_keeps_page(struct xmm_world *w, xmm_domid_t dom, xmm_mfn_t m)
{
    frame_touch(w, frame_idx(w, m))->count_info += XMM_PGC_allocated | 1;
    domain_touch(w, domain_find(w, dom));
}

/* lock_order: one path takes the P2M lock under the grant lock, another the reverse. */
static inline void corrupt_lock_inversion(struct xmm_world *w)
{
    lock_take(w, LOCK_GRANT);
    lock_take(w, LOCK_P2M);
    lock_release(w, LOCK_P2M);
    lock_release(w, LOCK_GRANT);
    lock_take(w, LOCK_P2M);
    lock_take(w, LOCK_GRANT);
    lock_release(w, LOCK_GRANT);
    lock_release(w, LOCK_P2M);
}

/* mpu_regions: the kept run count drifts from the P2M (an update missed). */
static inline void corrupt_mpu_runs(struct xmm_world *w, xmm_domid_t dom, uint64_t extra)
{
    struct xmm_domain *d = domain_find(w, dom);

    mpu_of(d)->runs += extra;
    domain_touch(w, d);
}

/* accounting: the heap's free counter drifts from the frames. */
static inline void corrupt_free_count(struct xmm_world *w) { w->free_pages++; }

#endif /* XMM_TEST_CORRUPT_H */
