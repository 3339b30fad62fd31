/*
 * libxmm - the frame table (Xen's struct page_info) and the heap allocator.
 *
 * One entry per host RAM frame, in one contiguous array.  Reference counting
 * follows Xen:
 *  - count_info holds PGC_allocated (the owner's allocation reference),
 *    PGC_xen_heap, a page state and the reference count.  A frame whose
 *    count drops to zero is freed.
 *  - type_info holds a type, a type count, and for xenheap frames the GFN at
 *    which the frame is mapped in its owner's P2M (Arm, since 2022).
 *  - owner is a domain id, XMM_DOMID_XEN, XMM_DOMID_PARK, or
 *    XMM_DOMID_INVALID for a frame nobody owns.
 */
#ifndef XMM_FRAME_H
#define XMM_FRAME_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* count_info bits */
#define XMM_PGC_allocated (UINT64_C(1) << 63)
#define XMM_PGC_xen_heap (UINT64_C(1) << 62)
#define XMM_PGC_state_shift 60
#define XMM_PGC_state_mask (UINT64_C(3) << XMM_PGC_state_shift)
#define XMM_PGC_state_inuse (UINT64_C(0) << XMM_PGC_state_shift)
#define XMM_PGC_state_offlining (UINT64_C(1) << XMM_PGC_state_shift)
#define XMM_PGC_state_offlined (UINT64_C(2) << XMM_PGC_state_shift)
#define XMM_PGC_state_free (UINT64_C(3) << XMM_PGC_state_shift)
#define XMM_PGC_count_mask ((UINT64_C(1) << 32) - 1)

/* type_info fields: type in bits 60..63, type count in 37..59, GFN in 0..36. */
#define XMM_PGT_type_shift 60
#define XMM_PGT_type_mask (UINT64_C(0xF) << XMM_PGT_type_shift)
#define XMM_PGT_count_shift 37
#define XMM_PGT_count_mask (((UINT64_C(1) << 23) - 1) << XMM_PGT_count_shift)
#define XMM_PGT_gfn_mask ((UINT64_C(1) << 37) - 1)
#define XMM_PGT_INVALID_GFN XMM_PGT_gfn_mask /* all-ones: no GFN stored */

enum xmm_page_type {
    XMM_PGT_NONE = 0,
    XMM_PGT_WRITABLE = 1,
    XMM_PGT_SHARED = 2,
    /* Seed 003: "may still be in a device TLB" (PGT_dev_tlb_page). */
    XMM_PGT_DEV_TLB = 3,
};

/* A read-only snapshot of one frame, for callers and checks. */
struct xmm_frame_info {
    xmm_mfn_t mfn;
    uint64_t count_info;
    uint64_t type_info;
    xmm_domid_t owner;
    uint32_t refcount;   /* count_info & XMM_PGC_count_mask */
    bool allocated;      /* PGC_allocated */
    bool xen_heap;       /* PGC_xen_heap */
    bool free;           /* state == free */
    enum xmm_page_type type;
    uint32_t type_count;
    xmm_gfn_t xenheap_gfn; /* XMM_INVALID_GFN when none is stored */
};

/* Return: 0, or -XMM_EINVAL when mfn is not a RAM frame of this world. */
int xmm_frame_info(const struct xmm_world *w, xmm_mfn_t mfn, struct xmm_frame_info *out);

/*
 * get_page: take a general reference on behalf of domain `dom`.  Fails
 * (returns false) when the frame is not RAM, is free, has a zero count, the
 * count would overflow, or is not owned by `dom`.
 */
bool xmm_page_get(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom);

/*
 * put_page: drop a general reference.  When the count reaches zero the frame
 * is freed: a domheap frame goes back to the heap (leaving its owner's page
 * list, tot_pages, and the owner's domain reference if it was the last
 * page); a xenheap frame shared with a guest goes back to Xen's ownership.
 * Dropping a reference the frame does not have is a model bug: it returns
 * -XMM_EINVAL and changes nothing.
 */
int xmm_page_put(struct xmm_world *w, xmm_mfn_t mfn);

/* put_page_alloc_ref: clear PGC_allocated, then put.  -XMM_EINVAL if clear. */
int xmm_page_put_alloc_ref(struct xmm_world *w, xmm_mfn_t mfn);

/*
 * get_page_type: take a typed reference of `type`.  Succeeds when the type
 * count is zero (the frame takes the type) or the frame already has `type`.
 * Return: true on success.
 */
bool xmm_page_get_type(struct xmm_world *w, xmm_mfn_t mfn, enum xmm_page_type type);
/* put_page_type: -XMM_EINVAL when the type count is already zero. */
int xmm_page_put_type(struct xmm_world *w, xmm_mfn_t mfn);

/* The GFN stored in a xenheap frame's type_info (XMM_INVALID_GFN if none). */
xmm_gfn_t xmm_page_xenheap_gfn(const struct xmm_world *w, xmm_mfn_t mfn);

/* --- heap ---------------------------------------------------------------- */

uint64_t xmm_heap_free_pages(const struct xmm_world *w);
uint64_t xmm_heap_total_pages(const struct xmm_world *w);

/*
 * alloc_xenheap_page: a frame for the hypervisor's own use, owned by Xen,
 * PGC_xen_heap set, no GFN stored.  Return: 0 or -XMM_ENOMEM.
 */
int xmm_xenheap_alloc(struct xmm_world *w, xmm_mfn_t *out);
/* free_xenheap_page: the frame must be owned by Xen with no references. */
int xmm_xenheap_free(struct xmm_world *w, xmm_mfn_t mfn);

/*
 * share_xen_page_with_guest: give a xenheap frame an owner, a type count of
 * 1 and PGC_allocated|1; it joins the domain's xenheap list and the first
 * such frame takes a domain reference.  Return: 0, -XMM_ESRCH (no domain),
 * -XMM_EINVAL (not a Xen-owned xenheap frame, or domain dying).
 */
int xmm_xenheap_share(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom, bool readonly);

#ifdef __cplusplus
}
#endif
#endif /* XMM_FRAME_H */
