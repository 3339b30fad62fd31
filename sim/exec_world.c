/*
 * xmm-sim - world setup: the world keys of the modules (world.mpu,
 * world.iommu) turned into xmm_world_opts before xmm_world_new, and the
 * stubs (world.spmc) plugged in after it.
 */
#include <glib.h>

#include "exec.h"
#include "xmm/iommu.h"

/* Options of the modules, before xmm_world_new (see exec.h). */
void *sim_world_opts(const struct sim_world_cfg *wc, struct xmm_world_opts *o)
{
    void *owned = NULL;

    if (wc->has_mpu) {
        o->mpu.regions = wc->mpu_regions;
        o->mpu.cross_domain = wc->mpu_cross_domain;
        if (wc->has_mpu_xen_regions)
            o->mpu.xen_regions = wc->mpu_xen_regions;
    }
    if (wc->has_iommu) {
        struct xmm_iommu_device *devs = g_new0(struct xmm_iommu_device, wc->device_count + 1);
        size_t i;

        for (i = 0; i < wc->device_count; i++) {
            devs[i].id = wc->devices[i].id;
            devs[i].ats = wc->devices[i].ats;
        }
        o->iommu.devices = devs;
        o->iommu.device_count = wc->device_count;
        if (wc->has_flush_latency)
            o->iommu.flush_latency = wc->flush_latency;
        owned = devs;
    }
    return owned;
}

/* Stubs plugged into a new world, after xmm_world_new (see exec.h). */
int sim_world_attach(struct xmm_world *w, const struct sim_world_cfg *wc)
{
    if (wc->has_spmc)
        return sim_world_attach_spmc(w, wc);
    return 0;
}
