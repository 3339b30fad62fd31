/*
 * xmm-sim - exec function of the racy safe-range query
 * (include/xmm/saferange.h, seed 002).
 */
#include <inttypes.h>

#include "exec.h"
#include "xmm/saferange.h"

/* query_unallocated -> xmm_saferange_query; binds the first hole reported. */
int sim_exec_query_unallocated(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_saferange holes[XMM_SAFERANGE_TOLD_MAX];
    size_t count = 0;
    int rc = xmm_saferange_query(x->w, (xmm_domid_t)a[QU_DOM].u, holes, XMM_SAFERANGE_TOLD_MAX,
                                 &count);

    if (rc == 0 && count > 0) {
        o->bound = true;
        o->bind = xmm_gfn_x(holes[0].gfn);
        snprintf(o->msg, sizeof(o->msg), "%zu hole%s, first 0x%" PRIx64 "+%" PRIu64, count,
                 count == 1 ? "" : "s", xmm_gfn_x(holes[0].gfn), holes[0].pages);
    } else if (rc == 0) {
        snprintf(o->msg, sizeof(o->msg), "no holes");
    }
    return rc;
}
