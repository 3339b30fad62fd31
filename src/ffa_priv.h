/*
 * libxmm - the FF-A mediator (ffa.c) and its SPMC (spmc.c), seed 000 (private).
 */
#ifndef XMM_FFA_PRIV_H
#define XMM_FFA_PRIV_H

#include "module.h"

/* --- FF-A (ffa.c) ------------------------------------------------------- */
bool ffa_world_has_spmc(const struct xmm_world *w);
/* The plugged SPMC's context if its ops are `ops`, else NULL. */
const void *ffa_world_spmc_ctx(const struct xmm_world *w, const struct xmm_spmc_ops *ops);
/* The built-in SPMC's state for the world digest (0 for another SPMC). */
uint64_t spmc_stub_digest(const struct xmm_world *w);
/*
 * world_clone: copy w's SPMC into c when it is the built-in stub (*ops,
 * *ctx set, its relinquish timers re-pointed).  Return: 0, -XMM_ENOMEM,
 * or -XMM_ENOSYS for another SPMC (its context is its user's).
 */
int spmc_stub_clone(const struct xmm_world *w, struct xmm_world *c,
                    const struct xmm_spmc_ops **ops, void **ctx);
void ffa_world_fini(struct xmm_world *w);
int ffa_domain_init(struct xmm_world *w, struct xmm_domain *d);
void ffa_domain_free(struct xmm_world *w, struct xmm_domain *d);
/* Domain references FF-A holds (one while any share remains). */
uint32_t ffa_domain_refs(const struct xmm_domain *d);
/* Kill stage; 0 or -ERESTART (ffa_teardown=restart only). May destroy nothing: d stays. */
int ffa_teardown(struct xmm_world *w, struct xmm_domain *d);
/* domain_kill on a zombie: retry what is pending now (may destroy d). */
void ffa_kill_zombie(struct xmm_world *w, struct xmm_domain *d);
void ffa_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
void ffa_check_world(const struct xmm_world *w, struct xmm_check_report *rep);



struct ffa_ctx;
struct ffa_world;
/* The module's slots (module.h): NULL until an SPMC is attached / without ffa. */
static inline struct ffa_world *ffa_world_of(const struct xmm_world *w)
{
    return (struct ffa_world *)w->mod[XMM_MOD_FFA];
}
static inline struct ffa_ctx *ffa_of(const struct xmm_domain *d)
{
    return (struct ffa_ctx *)d->mod[XMM_MOD_FFA];
}

#endif /* XMM_FFA_PRIV_H */
