/*
 * libxmm - MPU regions and shared_info (mpu.c, shinfo.c), seed 004 (private).
 */
#ifndef XMM_MPU_PRIV_H
#define XMM_MPU_PRIV_H

#include "module.h"

/* --- MPU regions and shared_info (mpu.c, shinfo.c): seed 004 -------------- */

/*
 * Per-domain seed 004 state.  The region counts are kept for direct-mapped
 * domains by every P2M leaf write (the mpu_p2m_* hooks, O(1) each) and
 * recounted by the full sweep.
 */
struct mpu_domain {
    uint64_t runs;        /* maximal P2M runs: one type, consecutive gfns and mfns */
    uint64_t heap_pieces; /* pieces of Xen's heap region left in this view (1 = whole) */
    uint64_t peak;        /* largest need since creation */
    uint64_t shinfo_mfn;  /* xenheap frame or registered guest page, or XMM_INVALID_MFN_RAW */
    uint64_t shinfo_gfn;  /* guest page: its gfn; xenheap_gfn=array: the remembered GFN */
    bool shinfo_xenheap;  /* shinfo_mfn is this domain's xenheap shared_info frame */
    uint32_t copies;      /* initial data copied into a guest page */
    uint64_t vcpu_mfn[XMM_VCPUS_MAX], vcpu_gfn[XMM_VCPUS_MAX];
    struct xmm_mpu_stats cost; /* its cross-domain sends (statistics, not in the digest) */
};

int mpu_domain_init(struct xmm_world *w, struct xmm_domain *d);
/* The domain structure goes: free the xenheap shared_info frame and the state. */
void mpu_domain_destroy(struct xmm_world *w, struct xmm_domain *d);
/* World teardown: memory only. */
void mpu_domain_discard(struct xmm_world *w, struct xmm_domain *d);
uint64_t mpu_domain_hash(const struct xmm_domain *d);
/* Regions dom needs now (direct-mapped domains), and its breakdown. */
uint64_t mpu_need(const struct xmm_world *w, const struct xmm_domain *d);
/*
 * p2m_write hooks: after the checker's index counted d's leaf e at gfn
 * (+1: e comes, -1: e goes; before the old leaf is put) ...
 */
void mpu_p2m_rmap(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e, int delta);
/* ... and once the leaf at gfn went from old to e. */
void mpu_p2m_leaf(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                  uint64_t e);
/* xenheap_own hook: mfn is d's xenheap shared_info frame. */
bool shinfo_xenheap_own(const struct xmm_world *w, const struct xmm_domain *d, uint64_t mfn);
/* Kill stage: drop the references on guest-page shared_info / vcpu_info; 0. */
int shinfo_release(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
void shinfo_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm);
void shinfo_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep);
/* mpu_regions for one domain (and its shared_info records): O(1) + O(vCPUs). */
void mpu_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_check_report *rep);
/* Full sweep: recount every direct-mapped domain from its P2M and the rebuilt index. */
void mpu_check_full(const struct xmm_world *w, const struct xmm_rmap *rm,
                    struct xmm_check_report *rep);



/* World state of seed 004: the MPU options, and the cross-domain send cost. */
struct mpu_world {
    struct xmm_mpu_opts opts;
    struct xmm_mpu_stats stats; /* cross-domain access cost, not model state */
};
/* The module's slots (module.h). */
static inline struct mpu_world *mpu_world_of(const struct xmm_world *w)
{
    return (struct mpu_world *)w->mod[XMM_MOD_MPU];
}
static inline struct mpu_domain *mpu_of(const struct xmm_domain *d)
{
    return (struct mpu_domain *)d->mod[XMM_MOD_MPU];
}

#endif /* XMM_MPU_PRIV_H */
