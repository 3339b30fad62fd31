/*
 * libxmm - physmap helpers shared with the modules that map frames (physmap.c) (private).
 */
#ifndef XMM_PHYSMAP_PRIV_H
#define XMM_PHYSMAP_PRIV_H

#include "module.h"

/*
 * May an add-to-physmap call (foreign, grant-table frame, shared_info)
 * replace what is mapped at gfn?  Under physmap_overwrite: refuse, anything
 * but a grant mapping (that owns a page reference and a maptrack handle and
 * goes only with GNTTABOP_unmap_grant_ref); under replace, anything, as
 * upstream.  Return: 0 or -XMM_EBUSY.
 */
int physmap_replaceable(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn);
/* get_page(page, dom) would succeed: dom's page (domheap or shared xenheap) with a count. */
bool physmap_own_page(const struct xmm_world *w, xmm_domid_t dom, uint64_t mfn);

/* physmap.c: gfn is neither host RAM nor declared MMIO (a direct-mapped domain's holes). */
bool physmap_gfn_is_hole(const struct xmm_world *w, uint64_t gfn);


/*
 * Map d's xenheap frame mfn (a grant-table frame, shared_info) at gfn as
 * RAM and record the GFN under the xenheap_gfn policy: `array` (pre-2022)
 * in *array_gfn, the frame's side-array slot, after removing whatever its
 * remembered GFN maps now; `page_info` in the frame's type_info.  The
 * caller holds the P2M lock and reserved the nodes: cannot fail.
 */
void xenheap_gfn_map(struct xmm_world *w, struct xmm_domain *d, uint64_t mfn, uint64_t *array_gfn,
                     uint64_t gfn);

#endif /* XMM_PHYSMAP_PRIV_H */
