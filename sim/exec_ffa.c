/*
 * xmm-sim - exec functions of the FF-A ops (include/xmm/ffa.h) and the
 * world's SPMC stub.  Every op returns an
 * FFA_RET code.
 */
#include <glib.h>
#include <inttypes.h>

#include "exec.h"

/* ffa_share -> xmm_ffa_share (FFA_MEM_SHARE); binds the handle. */
int sim_exec_ffa_share(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    uint64_t pages = a[FS_PAGES].u;
    xmm_ffa_handle_t h = XMM_FFA_HANDLE_INVALID;
    int rc = xmm_ffa_share(x->w, (xmm_domid_t)a[FS_DOM].u, xmm_gfn(a[FS_GFN].u),
                           pages > UINT32_MAX ? UINT32_MAX : (uint32_t)pages,
                           (uint16_t)a[FS_SP].u, &h);

    if (rc == XMM_FFA_RET_OK) {
        o->bound = true;
        o->bind = h;
        snprintf(o->msg, sizeof(o->msg), "handle 0x%" PRIx64, h);
    }
    return rc;
}

/* ffa_reclaim -> xmm_ffa_reclaim (FFA_MEM_RECLAIM) */
int sim_exec_ffa_reclaim(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_ffa_reclaim(x->w, (xmm_domid_t)a[FR_DOM].u, a[FR_HANDLE].u);
}

/* sp_retrieve -> xmm_sp_retrieve (the SP side, manual SPs) */
int sim_exec_sp_retrieve(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_sp_retrieve(x->w, (uint16_t)a[SPH_SP].u, a[SPH_HANDLE].u);
}

/* sp_relinquish -> xmm_sp_relinquish */
int sim_exec_sp_relinquish(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_sp_relinquish(x->w, (uint16_t)a[SPH_SP].u, a[SPH_HANDLE].u);
}

/* sp_access -> xmm_sp_access: the SP touches page N of a share. */
int sim_exec_sp_access(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_sp_access(x->w, (uint16_t)a[SA_SP].u, a[SA_HANDLE].u, (uint32_t)a[SA_PAGE].u,
                         a[SA_WRITE].u != 0);
}

/* The scripted partitions of world.spmc as the built-in stub's configs. */
int sim_world_attach_spmc(struct xmm_world *w, const struct sim_world_cfg *wc)
{
    static const enum xmm_sp_relinquish relinq[] = {
        [SIM_RELINQ_ON_VMD] = XMM_SP_RELINQUISH_ON_VM_DESTROYED,
        [SIM_RELINQ_AFTER] = XMM_SP_RELINQUISH_AFTER,
        [SIM_RELINQ_NEVER] = XMM_SP_RELINQUISH_NEVER,
        [SIM_RELINQ_MANUAL] = XMM_SP_RELINQUISH_MANUAL,
    };
    struct xmm_sp_config *cfg = g_new0(struct xmm_sp_config, wc->partition_count + 1);
    size_t i, k;
    int rc;

    for (i = 0; i < wc->partition_count; i++) {
        const struct sim_partition *p = &wc->partitions[i];

        cfg[i].id = (uint16_t)p->id;
        cfg[i].subscribe_vm_destroyed = p->subscribe;
        for (k = 0; k < p->reply_count && k < XMM_SP_REPLIES_MAX; k++)
            cfg[i].vm_destroyed_replies[k] = p->replies[k];
        cfg[i].vm_destroyed_reply_count = (uint32_t)k;
        cfg[i].retrieve = p->manual_retrieve ? XMM_SP_RETRIEVE_MANUAL : XMM_SP_RETRIEVE_AUTO;
        cfg[i].relinquish = relinq[p->relinquish];
        cfg[i].relinquish_after = p->relinquish_after;
        cfg[i].reclaim_error = p->has_reclaim_error ? p->reclaim_error : 0;
    }
    rc = xmm_spmc_stub_attach(w, cfg, (uint32_t)wc->partition_count);
    g_free(cfg);
    return rc;
}

