/*
 * xmm-sim - exec functions of the MPU ops (include/xmm/mpu.h, seed 004):
 * evtchn_send, and the MPU line of the end-of-run summary.
 */
#include <glib.h>
#include <inttypes.h>

#include "exec.h"

char *sim_world_summary(struct xmm_world *w)
{
    struct xmm_mpu_stats st;
    GString *s;
    size_t i;

    if (!w || xmm_mpu_opts(w)->regions == 0)
        return NULL;
    s = g_string_new("mpu:");
    for (i = 0; i < xmm_domain_count(w); i++) {
        xmm_domid_t dom = xmm_domain_id_at(w, i);
        struct xmm_mpu_usage u;

        if (xmm_mpu_usage(w, dom, &u) == 0 && u.direct_map)
            g_string_append_printf(s, " d%u %" PRIu64 "/%u (peak %" PRIu64 "),", (unsigned)dom,
                                   u.total, u.limit, u.peak);
    }
    xmm_mpu_stats(w, &st);
    g_string_append_printf(s, " %" PRIu64 " sends: %" PRIu64 " temp regions, %" PRIu64
                           " switches, %" PRIu64 " region writes, %u reserved per view",
                           st.sends, st.temp_regions, st.switches, st.region_writes, st.reserved);
    return g_string_free(s, FALSE);
}

/* evtchn_send -> xmm_mpu_evtchn_send; the note says what the access cost. */
int sim_exec_evtchn_send(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_mpu_stats before, after;
    int rc;

    xmm_mpu_stats(x->w, &before);
    rc = xmm_mpu_evtchn_send(x->w, (xmm_domid_t)a[ES_DOM].u, (xmm_domid_t)a[ES_TO].u,
                             (uint32_t)a[ES_VCPU].u);
    if (rc != 0)
        return rc;
    xmm_mpu_stats(x->w, &after);
    if (after.switches != before.switches)
        snprintf(o->msg, sizeof(o->msg), "switched to Xen's view: %" PRIu64 " region writes",
                 after.region_writes - before.region_writes);
    else if (after.temp_maps != before.temp_maps)
        snprintf(o->msg, sizeof(o->msg), "%" PRIu64 " temporary region%s",
                 after.temp_regions - before.temp_regions,
                 after.temp_regions - before.temp_regions == 1 ? "" : "s");
    else
        snprintf(o->msg, sizeof(o->msg), "nothing outside the sender's view");
    return 0;
}
