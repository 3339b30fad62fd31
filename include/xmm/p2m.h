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
#include "xmm/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xmm_p2m_entry {
    xmm_mfn_t mfn;
    enum xmm_p2m_type type;
};

/*
 * The lookup's fast path, read by the inline xmm_p2m_lookup below in the
 * caller's own code.  Every struct xmm_world begins with this head (the
 * rest of the world stays opaque); libxmm alone writes it, a user only
 * reads it through xmm_p2m_lookup.  Its layout, and the node and leaf
 * layout below, are part of the library's ABI: they change only with the
 * soname (docs/architecture.md, "The lookup fast path"; this layout, a
 * leaf directory per domain, replaced a level-1 node per domain before
 * 0.3.0 reached users).
 *
 * slot has cap + 1 entries.  Entry i < cap is domain i's, entry cap belongs
 * to every id >= cap.  An entry is the domain's leaf directory for gfns
 * below XMM_P2M_FAST_GFN_LIMIT: dir[i] is the address of the leaf node
 * (level 3 of the P2M radix: 512 eight-byte leaves) that maps gfns
 * i * 512 .. i * 512 + 511, for every i < len.  len is one past the
 * highest such node that exists (0 when there is none, and for an id no
 * domain has); an index below len without a node of its own names a
 * shared node of zeros.  A leaf is 0 when nothing is mapped, else
 * XMM_P2M_LEAF_VALID | type << XMM_P2M_LEAF_TYPE_SHIFT | mfn.
 */
struct xmm_p2m_fast_slot {
    const uint64_t *const *dir;
    size_t len;
};
struct xmm_p2m_fast {
    const struct xmm_p2m_fast_slot *slot;
    size_t cap;
};
#define XMM_P2M_FAST_GFN_LIMIT (UINT64_C(1) << 27)
#define XMM_P2M_LEAF_VALID (UINT64_C(1) << 63)
#define XMM_P2M_LEAF_TYPE_SHIFT 56
#define XMM_P2M_LEAF_TYPE_MASK UINT64_C(0xF)
#define XMM_P2M_LEAF_MFN_MASK ((UINT64_C(1) << 40) - 1)

/*
 * The whole lookup as one word, out of line: the leaf (XMM_P2M_LEAF_VALID
 * set) or the positive XMM_E* code xmm_p2m_lookup negates.  It reads the
 * world and changes nothing (pure: a compiler may keep what it read from
 * the world across calls).  xmm_p2m_lookup calls it for every gfn its
 * domain's directory does not cover (no domain, no leaf node there, or at
 * or above XMM_P2M_FAST_GFN_LIMIT).
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((__pure__))
#endif
uint64_t xmm_p2m_lookup_word(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn);

/*
 * Look up gfn in dom's P2M: *out is the entry, or XMM_INVALID_MFN and
 * XMM_P2M_INVALID when the lookup fails.  Return: 0, -XMM_ENOENT (nothing
 * mapped), -XMM_ESRCH (no domain), -XMM_EINVAL (gfn out of range).
 *
 * Defined here, inline, so that it compiles into the caller: a call costs
 * more than the walk on a large P2M (bench/bench_p2m.c).  The library
 * exports the same function as a symbol too (for callers that take its
 * address, or do not inline).  C99 inline semantics; GNU C89 inline (gcc
 * -std=gnu89 or -fgnu89-inline) and C++ are handled; any other pre-C99
 * compiler gets the declaration only.
 */
#if defined(__cplusplus)
#define XMM_P2M_INLINE inline
#elif defined(__GNUC_GNU_INLINE__)
#define XMM_P2M_INLINE extern __inline__ __attribute__((__gnu_inline__))
int xmm_p2m_lookup(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                   struct xmm_p2m_entry *out);
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define XMM_P2M_INLINE inline
#endif
#if defined(__GNUC__) || defined(__clang__)
#define XMM_P2M_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define XMM_P2M_LIKELY(x) (x)
#endif

#ifdef XMM_P2M_INLINE
XMM_P2M_INLINE int xmm_p2m_lookup(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                                  struct xmm_p2m_entry *out)
{
    const struct xmm_p2m_fast *f = (const struct xmm_p2m_fast *)(const void *)w;
    const struct xmm_p2m_fast_slot *s = &f->slot[dom < f->cap ? dom : f->cap];
    uint64_t g = gfn.g, e;

    if (XMM_P2M_LIKELY((g >> 9) < s->len)) {
        e = s->dir[g >> 9][g & 511];
        /* Without a branch: 0 (nothing mapped) gives the invalid entry. */
        out->mfn.m = e ? e & XMM_P2M_LEAF_MFN_MASK : XMM_INVALID_MFN_RAW;
        out->type = (enum xmm_p2m_type)((e & (XMM_P2M_LEAF_TYPE_MASK << XMM_P2M_LEAF_TYPE_SHIFT)) >>
                                        XMM_P2M_LEAF_TYPE_SHIFT);
        return e ? 0 : -XMM_ENOENT;
    }
    e = xmm_p2m_lookup_word(w, dom, gfn);
    if (e & XMM_P2M_LEAF_VALID) {
        out->mfn.m = e & XMM_P2M_LEAF_MFN_MASK;
        out->type = (enum xmm_p2m_type)((e >> XMM_P2M_LEAF_TYPE_SHIFT) & XMM_P2M_LEAF_TYPE_MASK);
        return 0;
    }
    out->mfn.m = XMM_INVALID_MFN_RAW;
    out->type = XMM_P2M_INVALID;
    return -(int)e;
}
#else
int xmm_p2m_lookup(const struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                   struct xmm_p2m_entry *out);
#endif

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
