/*
 * libxmm - direct-mapped domains on an MPU host, shared_info placement and
 * MPU region accounting (seed 004: Armv8-R event channels).
 *
 * An Armv8-R host has no stage-2 MMU: every domain is direct-mapped
 * (gfn == mfn) and the hypervisor describes what a vCPU may touch with a
 * small number of EL2 MPU regions (16 to 32 on small cores, at most 255).
 * While a vCPU runs, or traps into Xen with a hypercall, the MPU holds
 *  - Xen's own regions (code, data, heap): a fixed overhead;
 *  - one region per maximal run of the domain's P2M with one type and one
 *    set of permissions (consecutive gfns mapping consecutive mfns);
 *  - one extra region for each split of Xen's heap region: a xenheap page
 *    mapped into the domain (its grant table, Xen's shared_info today, or
 *    another domain's shared_info it foreign-maps) must get the guest's
 *    permissions, cutting the heap region around it;
 *  - under the `map_region` cross-domain strategy, regions kept free for
 *    hypercalls that touch another domain's shared_info / vcpu_info.
 * The `mpu_regions` invariant fails when a running direct-mapped domain
 * needs more than the MPU has (world.mpu.regions).
 *
 * shared_info placement (policy `shared_info`):
 *  - xenheap (Xen today): a xenheap frame is shared with the guest and
 *    mapped at the gfn the guest picks (XENMAPSPACE_shared_info), with the
 *    xenheap GFN rules of seed 001;
 *  - guest_page (the seed 004 proposal): the guest hands over one of its
 *    own RAM pages; Xen copies the initial data into it, keeps a reference
 *    and never changes the P2M.
 * vcpu_info is a guest page under both (VCPUOP_register_vcpu_info).
 *
 * Cross-domain access: an event-channel send writes the pending bits in
 * the target's shared_info and vcpu_info.  On an MPU host those pages are
 * outside the sender's view unless they live in Xen's heap; Xen either
 * maps them in temporary regions or switches EL2 to its own full view.
 * The world counts what each strategy costs.
 */
#ifndef XMM_MPU_H
#define XMM_MPU_H

#include "xmm/types.h"
#include "xmm/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vCPUs per domain that can register a vcpu_info page. */
#define XMM_VCPUS_MAX 8

/* --- region accounting --------------------------------------------------- */

/*
 * What cross-domain hypercalls cost so far: for the whole world
 * (xmm_mpu_stats), or for the hypercalls one domain made (its usage).
 */
struct xmm_mpu_stats {
    uint64_t sends;         /* event-channel sends made */
    uint64_t sends_free;    /* ... that reached nothing outside the sender's view */
    uint64_t temp_maps;     /* ... served by temporary regions */
    uint64_t temp_regions;  /* temporary regions programmed (each added, then removed) */
    uint64_t switches;      /* ... served by switching EL2 to Xen's full view and back */
    uint64_t region_writes; /* MPU region programmings: 2 per temporary region,
                               2 x (guest regions + 1) per switch */
    uint32_t reserved;      /* regions each direct-mapped view keeps free (map_region) */
};

/* What a domain's EL2 MPU view needs, by cause. */
struct xmm_mpu_usage {
    bool direct_map;      /* counts below are kept for direct-mapped domains only */
    uint32_t xen;         /* Xen's fixed regions (world.mpu xen_regions) */
    uint64_t p2m_runs;    /* maximal runs of the P2M (type, permissions, contiguity) */
    uint64_t heap_splits; /* extra pieces of Xen's heap region cut by mapped xenheap pages */
    uint32_t reserved;    /* kept free for cross-domain access (map_region only) */
    uint64_t total;       /* xen + p2m_runs + heap_splits + reserved */
    uint64_t peak;        /* largest total since the domain was created */
    uint32_t limit;       /* world.mpu.regions; 0 = no MPU (no limit) */
    struct xmm_mpu_stats cost; /* cross-domain hypercalls made by this domain */
};

/*
 * The MPU regions dom needs now.  O(1): the counts are kept up to date by
 * every P2M leaf change.  Return: 0, -XMM_ESRCH.
 */
int xmm_mpu_usage(const struct xmm_world *w, xmm_domid_t dom, struct xmm_mpu_usage *out);

/* The world's MPU options (regions 0 = an MMU host). */
const struct xmm_mpu_opts *xmm_mpu_opts(const struct xmm_world *w);

/* --- cross-domain access -------------------------------------------------- */

void xmm_mpu_stats(const struct xmm_world *w, struct xmm_mpu_stats *out);

/*
 * EVTCHNOP_send from `dom` to vCPU `vcpu` of `to`: Xen sets the pending
 * bits in the target's shared_info and vcpu_info.  Pages that live in Xen's
 * heap (a xenheap shared_info, a vcpu_info still inside it) are reachable
 * in every view; guest pages of another domain are not, and cost one
 * temporary region (two adjacent pages share one) or a switch, as the
 * world's strategy says.  On an MMU host, or from a domain that is not
 * direct-mapped, a send costs nothing.
 * Return: 0, -XMM_ESRCH (either domain), -XMM_EINVAL (vcpu out of range,
 * a domain not running).
 */
int xmm_mpu_evtchn_send(struct xmm_world *w, xmm_domid_t dom, xmm_domid_t to, uint32_t vcpu);

/* --- shared_info and vcpu_info (shinfo.c) ---------------------------------- */

/*
 * XENMAPSPACE_shared_info, by the world's `shared_info` policy.
 *  - xenheap: map the domain's xenheap shared_info frame at gfn as ram_rw
 *    (allocated and shared on first use; Xen allocates it at domain
 *    creation).  Whatever is mapped at gfn is replaced, as for grant
 *    frames.  Under xenheap_gfn=page_info the frame records its GFN:
 *    -XMM_EBUSY while it is mapped (remove it first); under
 *    xenheap_gfn=array the old mapping is removed by the remembered GFN,
 *    whatever is there now (seed 001).
 *  - guest_page: gfn must map one of the domain's own RAM pages, ram_rw,
 *    not a xenheap page; Xen takes a reference on it, copies the initial
 *    data and uses it from then on; the P2M is unchanged.  Registering
 *    again moves it (the old page's reference is dropped).
 * Return: 0, -XMM_ESRCH, -XMM_EINVAL (dying, gfn out of range; guest_page:
 * gfn not the domain's ram_rw page), -XMM_EBUSY (xenheap: mapped already,
 * or a grant mapping sits at gfn), -XMM_ENOMEM (no frame or no memory for
 * P2M nodes).  The gfn may lie inside the domain's toolstack safe range,
 * which is sized for it (seed 002).
 */
int xmm_shinfo_map(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn);

/*
 * VCPUOP_register_vcpu_info: vCPU `vcpu` moves its vcpu_info out of
 * shared_info into the guest page at gfn (same rules as a guest_page
 * shared_info; registering again moves it).  Return: 0, -XMM_ESRCH,
 * -XMM_EINVAL (vcpu >= XMM_VCPUS_MAX, dying, gfn not the domain's ram_rw
 * page).
 */
int xmm_shinfo_register_vcpu_info(struct xmm_world *w, xmm_domid_t dom, uint32_t vcpu,
                                  xmm_gfn_t gfn);

struct xmm_shinfo_info {
    bool xenheap;           /* shared_info is a xenheap frame (allocated) */
    bool guest_page;        /* shared_info is a registered guest page */
    xmm_mfn_t mfn;          /* its frame, XMM_INVALID_MFN if neither */
    xmm_gfn_t gfn;          /* guest page: gfn given; xenheap: GFN recorded, or INVALID */
    uint32_t copies;        /* times the data was copied into a guest page */
    xmm_mfn_t vcpu_info[XMM_VCPUS_MAX]; /* registered pages, XMM_INVALID_MFN if none */
};

/* Return: 0, -XMM_ESRCH. */
int xmm_shinfo_info(const struct xmm_world *w, xmm_domid_t dom, struct xmm_shinfo_info *out);

#ifdef __cplusplus
}
#endif
#endif /* XMM_MPU_H */
