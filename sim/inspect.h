/*
 * xmm-sim - reading the model without changing it: the state of a frame, a
 * domain, a P2M entry, a share or a device in words (`show:`), the whole
 * world after a step (`run --dump-at`, text or JSON), and the census of
 * host frames by state that `plot` stacks.
 */
#ifndef XMM_SIM_INSPECT_H
#define XMM_SIM_INSPECT_H

#include <glib.h>
#include <stdbool.h>

#include <xmm/xmm.h>

/* What a host frame is doing, in the order a frame is classed (first match). */
enum sim_fclass {
    SIM_FC_FREE = 0,
    SIM_FC_PARKED,  /* owner park: refused by an SP, never handed out again */
    SIM_FC_ZOMBIE,  /* owned by a zombie domain */
    SIM_FC_DEVTLB,  /* held for a device-TLB flush (typed dev_tlb reference) */
    SIM_FC_SP,      /* pinned by the FF-A mediator for an SP */
    SIM_FC_XENHEAP, /* a xenheap frame (Xen's own or shared with a guest) */
    SIM_FC_OWNED,   /* a guest's page (per domain in sim_census.owned) */
    SIM_FC_COUNT
};

extern const char *const sim_fclass_names[SIM_FC_COUNT];

#define SIM_CENSUS_DOMS 8

struct sim_census {
    uint64_t n[SIM_FC_COUNT];
    /* SIM_FC_OWNED split by owner: the first SIM_CENSUS_DOMS ids seen, in id order */
    xmm_domid_t dom[SIM_CENSUS_DOMS];
    uint64_t owned[SIM_CENSUS_DOMS];
    size_t dom_count;
    uint64_t owned_other; /* owners beyond those */
};

/*
 * Pins of FF-A records per frame index (NULL when no frame is pinned):
 * g_free the result.  Shared by the census and the frame views.
 */
uint32_t *sim_ffa_pins(const struct xmm_world *w);
enum sim_fclass sim_frame_class(const struct xmm_world *w, const uint32_t *pins, xmm_mfn_t mfn);
void sim_census(const struct xmm_world *w, struct sim_census *c);

/* One subject in words, as lines appended to out (g_free'd strings). */
void sim_show_frame(const struct xmm_world *w, xmm_mfn_t mfn, GPtrArray *out);
void sim_show_domain(const struct xmm_world *w, xmm_domid_t dom, GPtrArray *out);
void sim_show_p2m(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, GPtrArray *out);
void sim_show_share(const struct xmm_world *w, xmm_ffa_handle_t handle, GPtrArray *out);
void sim_show_device(const struct xmm_world *w, const char *dev, GPtrArray *out);

/* The whole world, readable (lines into out) or as one JSON object (into js). */
void sim_dump_world(const struct xmm_world *w, GPtrArray *out);
void sim_dump_world_json(const struct xmm_world *w, GString *js);

#endif /* XMM_SIM_INSPECT_H */
