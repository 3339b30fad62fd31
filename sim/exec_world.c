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


/*
 * Build the world a scenario describes: options, then xmm_world_new, then
 * the stubs.  history_events 0 keeps the library's default ring.
 */
int sim_world_build(const struct sim_world_cfg *wc, uint64_t seed, uint32_t history_events,
                    struct xmm_world **out)
{
    return sim_world_build_alloc(wc, seed, history_events, NULL, out);
}

int sim_world_build_alloc(const struct sim_world_cfg *wc, uint64_t seed, uint32_t history_events,
                          const struct xmm_allocator *alloc, struct xmm_world **out)
{
    struct xmm_world_opts o = XMM_WORLD_OPTS_INIT;
    struct xmm_mmio_region *mmio = g_new0(struct xmm_mmio_region, wc->mmio_count + 1);
    void *owned;
    size_t i;
    int rc;

    for (i = 0; i < wc->mmio_count; i++) {
        mmio[i].base = xmm_mfn(wc->mmio[i].base);
        mmio[i].pages = wc->mmio[i].pages;
        mmio[i].name = wc->mmio[i].name;
    }
    o.ram_pages = wc->ram_pages;
    o.ram_base = xmm_mfn(wc->ram_base);
    o.mmio = mmio;
    o.mmio_count = wc->mmio_count;
    o.alloc_mode = wc->alloc_mode;
    o.policy = wc->policy;
    o.limits = wc->limits;
    o.seed = seed;
    if (history_events)
        o.history_events = history_events;
    if (alloc)
        o.allocator = *alloc;
    owned = sim_world_opts(wc, &o);
    rc = xmm_world_new(&o, out);
    g_free(owned);
    g_free(mmio);
    if (rc == 0)
        rc = sim_world_attach(*out, wc);
    return rc;
}
