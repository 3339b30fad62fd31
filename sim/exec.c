/*
 * xmm-sim - exec functions of the supported ops: each one calls the
 * library API with the resolved arguments and returns the library's code.
 * The `check` op lives in exec_check.c.
 */
#include <inttypes.h>
#include <stdio.h>

#include "exec.h"

/* advance: TICKS -> xmm_world_advance */
int sim_exec_advance(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_world_advance(x->w, a[ADV_TICKS].u);
}

/* domain_create -> xmm_domain_create with the options of the step. */
int sim_exec_domain_create(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;

    (void)o;
    d.max_pages = a[DC_MAX_PAGES].u;
    d.direct_map = a[DC_DIRECT_MAP].u != 0;
    d.ffa = a[DC_FFA].u != 0;
    d.grant_frames = (uint32_t)a[DC_GRANT_FRAMES].u;
    d.maptrack_frames = (uint32_t)a[DC_MAPTRACK_FRAMES].u;
    if (a[DC_SAFE_RANGE].kind == SIM_V_MAP) {
        d.safe_range = XMM_SAFE_RANGE_GIVEN;
        d.safe_range_gfn = xmm_gfn(a[DC_SR_GFN].u);
        d.safe_range_pages = a[DC_SR_PAGES].u;
    } else {
        d.safe_range = a[DC_SAFE_RANGE].u == SIM_SR_NONE ? XMM_SAFE_RANGE_OFF : XMM_SAFE_RANGE_AUTO;
    }
    return xmm_domain_create(x->w, (xmm_domid_t)a[DC_DOM].u, &d);
}

/*
 * populate: with a gfn -> xmm_physmap_populate; without (direct-mapped
 * form) -> xmm_physmap_populate_direct.  Binds the first gfn.
 */
int sim_exec_populate(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_domid_t dom = (xmm_domid_t)a[POP_DOM].u;
    xmm_gfn_t first;
    int rc;

    if (a[POP_GFN].present) {
        first = xmm_gfn(a[POP_GFN].u);
        rc = xmm_physmap_populate(x->w, dom, first, a[POP_PAGES].u);
    } else {
        first = XMM_INVALID_GFN;
        rc = xmm_physmap_populate_direct(x->w, dom, a[POP_PAGES].u, &first);
        if (rc == 0)
            snprintf(o->msg, sizeof(o->msg), "at gfn 0x%" PRIx64, xmm_gfn_x(first));
    }
    if (rc == 0) {
        o->bound = true;
        o->bind = xmm_gfn_x(first);
    }
    return rc;
}

/* decrease -> xmm_physmap_decrease */
int sim_exec_decrease(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_physmap_decrease(x->w, (xmm_domid_t)a[DEC_DOM].u, xmm_gfn(a[DEC_GFN].u),
                                a[DEC_PAGES].u);
}

/*
 * domain_destroy -> xmm_domain_destroy within limits.destroy_retries.
 * Running out of the budget is a destroy_progress violation: it is flagged
 * for the next invariant check, and the step returns ERESTART.
 */
int sim_exec_domain_destroy(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_domid_t dom = (xmm_domid_t)a[DD_DOM].u;
    uint32_t budget = xmm_world_limits(x->w)->destroy_retries;
    uint32_t calls = 0;
    int rc = xmm_domain_destroy(x->w, dom, budget, &calls);

    snprintf(o->msg, sizeof(o->msg), "%" PRIu32 " kill call%s", calls, calls == 1 ? "" : "s");
    if (rc == -XMM_ERESTART) {
        struct xmm_violation v = {
            .inv = XMM_INV_DESTROY_PROGRESS,
            .kind = XMM_SUBJECT_DOMAIN,
            .mfn = XMM_INVALID_MFN,
            .dom = dom,
            .gfn = XMM_INVALID_GFN,
        };

        snprintf(v.detail, sizeof(v.detail),
                 "domain_destroy of d%u still got ERESTART after %" PRIu32
                 " domain_kill call%s (limits.destroy_retries)",
                 (unsigned)dom, calls, calls == 1 ? "" : "s");
        xmm_check_flag(x->w, &v);
    }
    return rc;
}

/* map_foreign -> xmm_physmap_map_foreign */
int sim_exec_map_foreign(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_physmap_map_foreign(x->w, (xmm_domid_t)a[MF_DOM].u, xmm_gfn(a[MF_GFN].u),
                                   (xmm_domid_t)a[MF_FROM].u, xmm_gfn(a[MF_FROM_GFN].u));
}

/* map_mmio -> xmm_physmap_map_mmio */
int sim_exec_map_mmio(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_physmap_map_mmio(x->w, (xmm_domid_t)a[MM_DOM].u, xmm_gfn(a[MM_GFN].u),
                                xmm_mfn(a[MM_MFN].u), a[MM_PAGES].u);
}

/* remove_physmap -> xmm_physmap_remove */
int sim_exec_remove_physmap(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_physmap_remove(x->w, (xmm_domid_t)a[RP_DOM].u, xmm_gfn(a[RP_GFN].u));
}

/* lookup -> xmm_p2m_lookup; binds the mfn. */
int sim_exec_lookup(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_p2m_entry e;
    int rc = xmm_p2m_lookup(x->w, (xmm_domid_t)a[LK_DOM].u, xmm_gfn(a[LK_GFN].u), &e);

    if (rc == 0) {
        o->bound = true;
        o->bind = xmm_mfn_x(e.mfn);
        snprintf(o->msg, sizeof(o->msg), "mfn 0x%" PRIx64 " %s", xmm_mfn_x(e.mfn),
                 xmm_p2m_type_name(e.type));
    }
    return rc;
}
