/*
 * libxmm - the guest physmap hypercalls (XENMEM_*).
 *
 * Every call here is all-or-nothing: it validates its arguments and reserves
 * what it needs first, then commits; an error leaves the world unchanged.
 *
 * Safe ranges (seed 002, include/xmm/saferange.h): under the default
 * policy `toolstack`, populate and map_mmio over a domain's safe range fail
 * with -XMM_EBUSY, and map_foreign outside it with -XMM_EINVAL; for a
 * direct-mapped domain map_foreign must also target a hole (neither host
 * RAM nor MMIO), else -XMM_EINVAL.
 */
#ifndef XMM_PHYSMAP_H
#define XMM_PHYSMAP_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * XENMEM_populate_physmap: allocate `pages` frames and map them ram_rw at
 * gfn .. gfn+pages-1.  For a direct-mapped domain the frames are the ones
 * with mfn == gfn.  Return: 0, -XMM_EPERM (past max_pages), -XMM_ENOMEM
 * (host out of frames; or for a direct-mapped domain, a frame in the range
 * is taken), -XMM_EINVAL (domain dying, range out of bounds, pages == 0),
 * -XMM_EEXIST (a gfn in the range is mapped), -XMM_ESRCH.
 */
int xmm_physmap_populate(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages);

/*
 * Direct-mapped populate: choose a free contiguous host range of `pages`
 * RAM frames (lowest first) and map it at gfn == mfn.  *first gets the gfn.
 * Errors as xmm_physmap_populate; -XMM_ENOMEM if no range is free;
 * -XMM_EINVAL if the domain is not direct-mapped.
 */
int xmm_physmap_populate_direct(struct xmm_world *w, xmm_domid_t dom, uint64_t pages,
                                xmm_gfn_t *first);

/*
 * XENMEM_decrease_reservation: for each gfn in the range that maps one of
 * the domain's own RAM frames, remove the mapping and drop the allocation
 * reference (once per frame: a frame mapped twice in the range is released
 * once, as Xen's test-and-clear does).  All or nothing: -XMM_ENOENT if a
 * gfn in the range maps nothing, -XMM_EINVAL if one maps anything but RAM (grant, foreign, MMIO),
 * or the range is out of bounds; -XMM_ESRCH.
 */
int xmm_physmap_decrease(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages);

/*
 * XENMAPSPACE_gmfn_foreign: map `from`'s frame at from_gfn into dom at gfn
 * (map_foreign_rw for a ram_rw source, else _ro), holding a page reference
 * until the entry goes.  Like Xen, whatever was mapped at gfn is replaced
 * (a foreign entry there drops its reference; a RAM page stays allocated but
 * unmapped), except a grant mapping, which only grant unmap removes.
 * Return: 0, -XMM_EINVAL (self, source gfn unmapped or not RAM, mapping
 * domain dying), -XMM_EBUSY (a grant mapping at gfn), -XMM_ESRCH (either
 * domain), -XMM_ENOMEM.
 */
int xmm_physmap_map_foreign(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                            xmm_domid_t from, xmm_gfn_t from_gfn);

/*
 * Map host MMIO frames [mfn, mfn+pages) at gfn as mmio_direct_dev.
 * Return: 0, -XMM_EINVAL (not a declared MMIO region, RAM), -XMM_EEXIST
 * (gfn in use), -XMM_ESRCH.
 */
int xmm_physmap_map_mmio(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                         uint64_t pages);

/*
 * XENMEM_remove_physmap: remove the mapping at gfn.  A RAM page stays
 * allocated to the domain (only the mapping goes); a foreign entry drops its
 * reference.  Return: 0, -XMM_ENOENT (nothing mapped), -XMM_EINVAL (a grant
 * mapping: those go with grant unmap), -XMM_ESRCH.
 */
int xmm_physmap_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn);

#ifdef __cplusplus
}
#endif
#endif /* XMM_PHYSMAP_H */
