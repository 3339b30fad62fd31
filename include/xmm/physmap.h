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
 * XENMEM_populate_physmap at gfn .. gfn+pages-1 (ram_rw).  A domain that is
 * not direct-mapped gets newly allocated frames.  A direct-mapped domain
 * gets no allocation: each mfn == gfn must be a domheap page it owns already
 * (one it gave back with decrease_reservation); its RAM is allocated at
 * construction (xmm_physmap_populate_direct*).
 * Under physmap_overwrite: replace, a mapped gfn is overwritten (see
 * include/xmm/world.h); under refuse it is an error.
 * Return: 0, -XMM_EPERM (past max_pages), -XMM_ENOMEM (host out of frames;
 * direct-mapped: a frame in the range is not the domain's), -XMM_EINVAL
 * (domain dying, range out of bounds or not host RAM when direct-mapped,
 * pages == 0, a xenheap frame), -XMM_EEXIST (refuse: a gfn in the range is
 * mapped), -XMM_EBUSY (safe range), -XMM_ESRCH.
 */
int xmm_physmap_populate(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages);

/*
 * Construction of a direct-mapped domain's RAM: the free host frames
 * [gfn, gfn+pages) become the domain's (tot_pages, max_pages as populate)
 * and are mapped at gfn == mfn.  Return: 0, -XMM_EINVAL (not direct-mapped,
 * dying, not host RAM), -XMM_ENOMEM (a frame is taken), -XMM_EEXIST (a gfn
 * is mapped), -XMM_EPERM, -XMM_EBUSY, -XMM_ESRCH.
 */
int xmm_physmap_populate_direct_at(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                                   uint64_t pages);

/*
 * The same, the host range chosen: the lowest free contiguous run of `pages`
 * RAM frames whose gfns are unmapped.  *first gets the gfn.  -XMM_ENOMEM if
 * no run is free; -XMM_EINVAL if the domain is not direct-mapped.
 */
int xmm_physmap_populate_direct(struct xmm_world *w, xmm_domid_t dom, uint64_t pages,
                                xmm_gfn_t *first);

/*
 * XENMEM_decrease_reservation: for each gfn in the range that maps one of
 * the domain's own pages (RAM entry, get_page succeeds: a domheap page or a
 * xenheap page shared with it), remove the mapping and drop the allocation
 * reference (once per frame, as Xen's test-and-clear does).  A direct-mapped
 * domain keeps the allocation: the page stays its own, unmapped, in
 * tot_pages, for populate to map again.  All or nothing: -XMM_ENOENT if a
 * gfn in the range maps nothing, -XMM_EINVAL if one maps anything else
 * (grant, foreign, MMIO, another's page) or the range is out of bounds,
 * -XMM_ENOMEM once the domain is dying (p2m_set_entry), -XMM_ESRCH.
 */
int xmm_physmap_decrease(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint64_t pages);

/*
 * XENMAPSPACE_gmfn_foreign: map `from`'s frame at from_gfn into dom at gfn
 * (map_foreign_rw for a ram_rw source, else _ro), holding a page reference
 * until the entry goes.  Like Xen, whatever was mapped at gfn is replaced
 * (a foreign entry there drops its reference; a RAM page stays allocated but
 * unmapped); under physmap_overwrite: refuse a grant mapping is not (EBUSY),
 * under replace it is, and a foreign entry of the same frame keeps its
 * reference (upstream's leak, docs/semantics.md).
 * Return: 0, -XMM_EINVAL (self, source gfn unmapped or not RAM),
 * -XMM_EBUSY (refuse: a grant mapping at gfn), -XMM_ENOMEM (mapping domain
 * dying, or memory), -XMM_ESRCH (either domain).
 */
int xmm_physmap_map_foreign(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn,
                            xmm_domid_t from, xmm_gfn_t from_gfn);

/*
 * Map host MMIO frames [mfn, mfn+pages) at gfn as mmio_direct_dev
 * (XEN_DOMCTL_memory_mapping).  Return: 0, -XMM_EINVAL (not a declared MMIO
 * region, RAM), -XMM_EEXIST (refuse: gfn in use; replace overwrites it),
 * -XMM_EBUSY (safe range), -XMM_ENOMEM (domain dying), -XMM_ESRCH.
 */
int xmm_physmap_map_mmio(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, xmm_mfn_t mfn,
                         uint64_t pages);

/*
 * XENMEM_remove_from_physmap: remove the entry at gfn if get_page_from_gfn
 * finds a page there: a RAM or grant entry of the domain's own page, or a
 * foreign entry (which drops its reference).  A RAM page stays allocated to
 * the domain (only the mapping goes).  Return: 0, -XMM_ENOENT (nothing
 * mapped, MMIO, another domain's page: a grant mapping goes with grant
 * unmap), -XMM_ENOMEM (domain dying), -XMM_EINVAL (gfn out of range),
 * -XMM_ESRCH.
 */
int xmm_physmap_remove(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn);

#ifdef __cplusplus
}
#endif
#endif /* XMM_PHYSMAP_H */
