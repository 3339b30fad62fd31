/*
 * xmm-sim - exec functions of the shared_info / vcpu_info ops
 * (include/xmm/mpu.h, seed 004).
 */
#include <inttypes.h>

#include "exec.h"

/* map_shared_info -> xmm_shinfo_map (by the world's shared_info policy). */
int sim_exec_map_shared_info(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_domid_t dom = (xmm_domid_t)a[MS_DOM].u;
    struct xmm_shinfo_info si;
    int rc = xmm_shinfo_map(x->w, dom, xmm_gfn(a[MS_GFN].u));

    if (rc == 0 && xmm_shinfo_info(x->w, dom, &si) == 0)
        snprintf(o->msg, sizeof(o->msg), "%s page mfn 0x%" PRIx64,
                 si.xenheap ? "xenheap" : "guest", xmm_mfn_x(si.mfn));
    return rc;
}

/* register_vcpu_info -> xmm_shinfo_register_vcpu_info */
int sim_exec_register_vcpu_info(struct sim_exec *x, const struct sim_res *a,
                                struct sim_exec_out *o)
{
    (void)o;
    return xmm_shinfo_register_vcpu_info(x->w, (xmm_domid_t)a[RV_DOM].u, (uint32_t)a[RV_VCPU].u,
                                         xmm_gfn(a[RV_GFN].u));
}
