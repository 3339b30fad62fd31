/*
 * xmm-sim - the check subjects that compare a count (shares, mpu_regions)
 * and the mpu_regions check with its cost breakdown (seed 004).
 */
#include <glib.h>
#include <inttypes.h>

#include "exec.h"

/* The count a shares / mpu_regions check compares; -XMM_ENOSYS for another subject. */
int sim_check_count(struct sim_exec *x, int subject_row, xmm_domid_t dom, uint64_t *count)
{
    *count = 0;
    if (subject_row == CK_SHARES) {
        if (xmm_domain_state(x->w, dom) == XMM_DOMAIN_GONE)
            return -XMM_ESRCH;
        *count = xmm_ffa_share_count(x->w, dom);
        return 0;
    }
    if (subject_row == CK_MPU) {
        struct xmm_mpu_usage u;
        int rc = xmm_mpu_usage(x->w, dom, &u);

        *count = rc == 0 ? u.total : 0;
        return rc;
    }
    return -XMM_ENOSYS;
}

/* mpu_regions: {dom}: the total, and the domain's cross-domain cost. */
void sim_check_mpu(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    static const struct {
        int row;
        const char *name;
    } f[] = {
        { CK_COUNT, "count" },
        { CK_SWITCHES, "switches" },
        { CK_TEMP_REGIONS, "temp_regions" },
        { CK_REGION_WRITES, "region_writes" },
    };
    xmm_domid_t dom = (xmm_domid_t)a[CK_MPU_DOM].u;
    struct xmm_mpu_usage u;
    GString *bad = g_string_new(NULL);
    int rc = xmm_mpu_usage(x->w, dom, &u);

    o->msg[0] = '\0';
    if (rc != 0) {
        snprintf(o->msg, sizeof(o->msg), "mpu_regions of d%u: %s", (unsigned)dom,
                 xmm_strerror(rc));
        o->check_failed = true;
        g_string_free(bad, TRUE);
        return;
    }
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint64_t got = f[i].row == CK_COUNT           ? u.total
                       : f[i].row == CK_SWITCHES      ? u.cost.switches
                       : f[i].row == CK_TEMP_REGIONS  ? u.cost.temp_regions
                                                      : u.cost.region_writes;

        if (a[f[i].row].present && got != a[f[i].row].u)
            g_string_append_printf(bad, "%smpu_regions of d%u %s: expected %" PRIu64
                                   ", got %" PRIu64,
                                   bad->len ? "; " : "", (unsigned)dom, f[i].name,
                                   a[f[i].row].u, got);
    }
    if (bad->len) {
        snprintf(o->msg, sizeof(o->msg), "%s", bad->str);
        o->check_failed = true;
    } else if (!u.direct_map) {
        snprintf(o->msg, sizeof(o->msg), "d%u is not direct-mapped: no MPU view",
                 (unsigned)dom);
    } else {
        snprintf(o->msg, sizeof(o->msg),
                 "%" PRIu64 " of %u: %u Xen + %" PRIu64 " P2M runs + %" PRIu64
                 " heap splits + %u reserved; peak %" PRIu64 "; sends %" PRIu64 ", %" PRIu64
                 " temp regions, %" PRIu64 " switches, %" PRIu64 " region writes",
                 u.total, u.limit, u.xen, u.p2m_runs, u.heap_splits, u.reserved, u.peak,
                 u.cost.sends, u.cost.temp_regions, u.cost.switches, u.cost.region_writes);
    }
    g_string_free(bad, TRUE);
}
