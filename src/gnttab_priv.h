/*
 * libxmm - grant tables (gnttab.c), seed 001 (private).
 */
#ifndef XMM_GNTTAB_PRIV_H
#define XMM_GNTTAB_PRIV_H

#include "module.h"

/* --- grant tables (gnttab.c) ---------------------------------------------- */
int gnttab_init(struct xmm_world *w, struct xmm_domain *d);
/* Free the table: its shared frames have no reference left (Xen's, or given back by d). */
void gnttab_destroy(struct xmm_world *w, struct xmm_domain *d);
/* World teardown: free memory only. */
void gnttab_discard(struct xmm_world *w, struct xmm_domain *d);
/* Kill stage: unmap up to *budget grant mappings d holds; 0 or -ERESTART. */
int gnttab_release_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
/* xenheap_gfn and p2m_type rules that need the table. */
void gnttab_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep);
/* True if mfn is one of d's shared grant-table frames. */
bool gnttab_is_frame(const struct xmm_domain *d, uint64_t mfn);
/* isolation/refcount index: every maptrack entry in use holds a page reference. */
void gnttab_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
/* True if d holds a live maptrack entry mapping mfn at gfn. */
bool gnttab_mapping_live(const struct xmm_domain *d, uint64_t gfn, uint64_t mfn);
/*
 * isolation: maptrack entries of any domain that name granter `id` in an
 * incarnation that no longer exists (the granter went, or the id was reused).
 */
void gnttab_check_granter(const struct xmm_world *w, xmm_domid_t id,
                          struct xmm_check_report *rep);
/* The checker's tests only: a pointer to the pin count of d's entry ref, or NULL. */
uint32_t *gnttab_pin_slot(struct xmm_domain *d, xmm_grant_ref_t ref, bool rw);



struct gnttab;
/* The module's slot (module.h): NULL only before gnttab_init. */
static inline struct gnttab *gnttab_of(const struct xmm_domain *d)
{
    return (struct gnttab *)d->mod[XMM_MOD_GNTTAB];
}

#endif /* XMM_GNTTAB_PRIV_H */
