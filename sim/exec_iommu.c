/*
 * xmm-sim - exec functions of the IOMMU ops (include/xmm/iommu.h, seed 003).
 */
#include <inttypes.h>

#include "exec.h"
#include "xmm/iommu.h"

/* iommu_assign -> xmm_iommu_assign */
int sim_exec_iommu_assign(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    return xmm_iommu_assign(x->w, (xmm_domid_t)a[IA_DOM].u, a[IA_DEV].s);
}

/* dma -> xmm_iommu_dma: the device reaches gfn through its device TLB. */
int sim_exec_dma(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_mfn_t mfn = XMM_INVALID_MFN;
    int rc = xmm_iommu_dma(x->w, a[DMA_DEV].s, xmm_gfn(a[DMA_GFN].u), a[DMA_WRITE].u != 0, &mfn);

    if (rc == 0) {
        o->bound = true;
        o->bind = xmm_mfn_x(mfn);
        snprintf(o->msg, sizeof(o->msg), "reached mfn 0x%" PRIx64, xmm_mfn_x(mfn));
    }
    return rc;
}
