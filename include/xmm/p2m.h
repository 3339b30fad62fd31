/*
 * libxmm - the per-domain P2M (stage-2 translation), gfn -> (mfn, type).
 *
 * A radix tree of 4 KiB nodes, 512 eight-byte entries each, four levels,
 * like the LPAE tables it models; gfn < 2^36.  The raw setters here are the
 * building block of the physmap, grant and FF-A code: they keep the
 * reference bookkeeping of a leaf as Xen's p2m_put_l3_page does on removal
 * (a foreign entry drops its page reference; a RAM entry of a xenheap frame
 * resets the frame's stored GFN) but take no references themselves.
 */
#ifndef XMM_P2M_H
#define XMM_P2M_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xmm_p2m_entry {
    xmm_mfn_t mfn;
    enum xmm_p2m_type type;
};

/*
 * Look up gfn in dom's P2M.  Return: 0, -XMM_ENOENT (nothing mapped),
 * -XMM_ESRCH (no domain), -XMM_EINVAL (gfn out of range).
 */
int xmm_p2m_lookup(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                   struct xmm_p2m_entry *out);

/*
 * Look up n gfns of dom's P2M at once: out[i] for gfns[i], as
 * xmm_p2m_lookup would give it (XMM_INVALID_MFN and XMM_P2M_INVALID where
 * nothing is mapped or the gfn is out of range).  Faster than n calls on
 * a large P2M: the walks' cache misses overlap.  Return: 0, or -XMM_ESRCH
 * (no domain; every out[i] invalid).
 */
int xmm_p2m_lookup_many(const struct xmm_world *w, xmm_domid_t dom, const xmm_gfn_t *gfns,
                        size_t n, struct xmm_p2m_entry *out);

/*
 * p2m_set_entry for one gfn; replaces what was there (the old leaf is put
 * as by p2m_put_l3_page).  Return: 0, -XMM_ENOMEM (node allocation, or
 * the domain is dying), -XMM_EINVAL, -XMM_ESRCH.
 */
int xmm_p2m_set(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                enum xmm_p2m_type type);

/*
 * Remove the entry at gfn (p2m_put_l3_page semantics).  -XMM_ENOENT if
 * none, -XMM_ENOMEM once the domain is dying (p2m_set_entry refuses
 * removals then too).
 */
int xmm_p2m_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn);

/*
 * Ordered walk: the first mapped gfn >= from.  Return: 0 with *gfn and *out,
 * -XMM_ENOENT when there is none.
 */
int xmm_p2m_next(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t from, xmm_gfn_t *gfn,
                 struct xmm_p2m_entry *out);

/* Lowest / highest mapped gfn.  Return: 0, or -XMM_ENOENT when empty. */
int xmm_p2m_lowest(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t *gfn);
int xmm_p2m_highest(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t *gfn);

/* Number of leaf entries / radix nodes in dom's P2M. */
uint64_t xmm_p2m_entry_count(const struct xmm_world *w, xmm_domid_t dom);
uint64_t xmm_p2m_node_count(const struct xmm_world *w, xmm_domid_t dom);

#ifdef __cplusplus
}
#endif
#endif /* XMM_P2M_H */
