/*
 * xmm-sim - exec functions of the grant-table ops (include/xmm/gnttab.h),
 * grant / grant_end / map_grant_frame
 * return errno codes; grant_map / grant_unmap GNTST codes.
 */
#include "exec.h"

/* A handle from a variable: anything past 32 bits is no handle at all. */
static xmm_grant_handle_t grant_handle(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (xmm_grant_handle_t)v;
}

/* map_grant_frame -> xmm_gnttab_map_frame (XENMAPSPACE_grant_table) */
int sim_exec_map_grant_frame(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_gnttab_map_frame(x->w, (xmm_domid_t)a[MG_DOM].u, (uint32_t)a[MG_IDX].u,
                                xmm_gfn(a[MG_GFN].u));
}

/* grant -> xmm_gnttab_grant: the granting guest fills entry `ref`. */
int sim_exec_grant(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_gnttab_grant(x->w, (xmm_domid_t)a[GR_DOM].u, (xmm_grant_ref_t)a[GR_REF].u,
                            (xmm_domid_t)a[GR_TO].u, xmm_gfn(a[GR_GFN].u), a[GR_READONLY].u != 0);
}

/* grant_end -> xmm_gnttab_end */
int sim_exec_grant_end(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_gnttab_end(x->w, (xmm_domid_t)a[GE_DOM].u, (xmm_grant_ref_t)a[GE_REF].u);
}

/* grant_map -> xmm_gnttab_map (GNTTABOP_map_grant_ref); binds the handle. */
int sim_exec_grant_map(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_grant_handle_t h = 0;
    int rc = xmm_gnttab_map(x->w, (xmm_domid_t)a[GM_DOM].u, (xmm_domid_t)a[GM_FROM].u,
                            (xmm_grant_ref_t)a[GM_REF].u, xmm_gfn(a[GM_GFN].u),
                            a[GM_READONLY].u != 0, &h);

    if (rc == XMM_GNTST_okay) {
        o->bound = true;
        o->bind = h;
        snprintf(o->msg, sizeof(o->msg), "handle %u", (unsigned)h);
    }
    return rc;
}

/*
 * grant_unmap -> xmm_gnttab_unmap (GNTTABOP_unmap_grant_ref), or with `gfn`
 * xmm_gnttab_unmap_host (the host address the guest gives).
 */
int sim_exec_grant_unmap(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    if (a[GU_GFN].present)
        return xmm_gnttab_unmap_host(x->w, (xmm_domid_t)a[GU_DOM].u,
                                     grant_handle(a[GU_HANDLE].u), xmm_gfn(a[GU_GFN].u));
    return xmm_gnttab_unmap(x->w, (xmm_domid_t)a[GU_DOM].u, grant_handle(a[GU_HANDLE].u));
}

