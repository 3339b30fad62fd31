/*
 * libxmm - safe ranges (saferange.c), seed 002 (private).
 */
#ifndef XMM_SAFERANGE_PRIV_H
#define XMM_SAFERANGE_PRIV_H

#include "module.h"

/*
 * Safe-range state of a domain (saferange.c, seed 002): the range the
 * toolstack chose at create (policy toolstack; pages 0 = none), fixed for
 * the domain's life, and under policy query the holes it was told about,
 * kept as a sorted union of disjoint ranges (XMM_SAFERANGE_TOLD_MAX
 * entries, allocated on the first query).
 */
struct saferange {
    uint64_t gfn, pages;
    struct xmm_saferange *told;
    uint32_t told_count;
};

/* --- safe ranges (saferange.c): seed 002 ----------------------------------- */
/* The range a new domain gets (toolstack policy; else none): 0 or an errno. */
int saferange_pick(const struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *o,
                   struct saferange *out);
void saferange_destroy(struct xmm_world *w, struct xmm_domain *d);
/* RAM or MMIO at [gfn, gfn+pages) would overlap d's toolstack range. */
bool saferange_blocks(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                      uint64_t pages);
/* A grant or foreign mapping may go at gfn (always, unless a toolstack range excludes it). */
bool saferange_admits(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn);
/* Say why [gfn, gfn+pages) is refused by d's safe range (blocks or does not admit); rc. */
int saferange_refuse(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                     uint64_t pages, int rc);
/* d's safe ranges as the guest sees them (toolstack range, or told holes). */
size_t saferange_list(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_saferange *out, size_t max);
uint64_t saferange_digest(const struct xmm_domain *d);
void saferange_check_entry(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e,
                           struct xmm_check_report *rep);
void saferange_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                            struct xmm_check_report *rep);



/* The module's slot (module.h): allocated with the domain (dom_size). */
static inline struct saferange *saferange_of(const struct xmm_domain *d)
{
    return (struct saferange *)d->mod[XMM_MOD_SAFERANGE];
}

#endif /* XMM_SAFERANGE_PRIV_H */
