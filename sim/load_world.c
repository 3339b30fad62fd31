/*
 * xmm-sim - loader: the `world` mapping (host layout, allocator, policies,
 * stubs, limits, checks).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "load.h"

/* world.mmio: [{base, pages, name}] with no overlap with RAM or each other. */
static bool ld_mmio(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "base", "pages", "name", NULL };
    struct sim_world_cfg *wc = &l->sc->world;
    size_t i, j;

    if (!ld_seq(l, n, "world.mmio", SIM_MAX_MMIO))
        return false;
    wc->mmio = g_new0(struct sim_mmio, n->count);
    for (i = 0; i < n->count; i++) {
        const struct yt_node *e = n->items[i], *v;
        struct sim_mmio *m = &wc->mmio[i];

        wc->mmio_count = i + 1;
        if (!ld_keys(l, e, keys, "world.mmio entry") ||
            !ld_require(l, e, "base", "world.mmio entry") ||
            !ld_require(l, e, "pages", "world.mmio entry"))
            return false;
        m->line = e->line;
        m->col = e->col;
        if (!ld_u64(l, yt_map_get(e, "base"), "world.mmio.base", 0, XMM_FRAME_LIMIT - 1, true,
                    &m->base) ||
            !ld_pages(l, yt_map_get(e, "pages"), "world.mmio.pages", 1, XMM_FRAME_LIMIT, &m->pages))
            return false;
        if (m->base + m->pages > XMM_FRAME_LIMIT)
            return ld_fail(l, e, "world.mmio: region 0x%" PRIx64 "+%" PRIu64 " ends past 2^36",
                           m->base, m->pages);
        v = yt_map_get(e, "name");
        if (v && !ld_string(l, v, "world.mmio.name", &m->name))
            return false;
        if (!v)
            m->name = g_strdup_printf("mmio%zu", i);
        if (m->base < wc->ram_base + wc->ram_pages && wc->ram_base < m->base + m->pages)
            return ld_fail(l, e, "world.mmio: region '%s' overlaps RAM (0x%" PRIx64 "+%" PRIu64 ")",
                           m->name, wc->ram_base, wc->ram_pages);
        for (j = 0; j < i; j++)
            if (m->base < wc->mmio[j].base + wc->mmio[j].pages &&
                wc->mmio[j].base < m->base + m->pages)
                return ld_fail(l, e,
                               "world.mmio: region '%s' overlaps region '%s' (line %" PRIu32 ")",
                               m->name, wc->mmio[j].name, wc->mmio[j].line);
    }
    return true;
}

/* world.policy: knob: value for any of the knobs. */
static bool ld_policy(struct ld *l, const struct yt_node *n)
{
    const char *names[32];
    size_t i;
    char what[64];

    for (i = 0; i < sim_policy_knob_count && i < 31; i++)
        names[i] = sim_policy_knobs[i].name;
    names[i] = NULL;
    if (!ld_keys(l, n, names, "world.policy"))
        return false;
    for (i = 0; i < n->count; i++) {
        const struct sim_policy_knob *k = sim_policy_find(n->items[2 * i]->value);
        int v;

        snprintf(what, sizeof(what), "world.policy.%s", k->name);
        if (!ld_enum(l, n->items[2 * i + 1], what, k->values, &v))
            return false;
        k->set(&l->sc->world.policy, (unsigned)v);
    }
    return true;
}

/* world.limits: destroy_retries, ffa_retry_ticks, ffa_retry_limit. */
static bool ld_limits(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "destroy_retries", "ffa_retry_ticks", "ffa_retry_limit",
                                        NULL };
    struct xmm_limits *lim = &l->sc->world.limits;
    const struct yt_node *v;
    uint64_t x;

    if (!ld_keys(l, n, keys, "world.limits"))
        return false;
    if ((v = yt_map_get(n, "destroy_retries"))) {
        if (!ld_u64(l, v, "world.limits.destroy_retries", 1, SIM_MAX_DESTROY_RETRIES, false, &x))
            return false;
        lim->destroy_retries = (uint32_t)x;
    }
    if ((v = yt_map_get(n, "ffa_retry_ticks"))) {
        if (!ld_u64(l, v, "world.limits.ffa_retry_ticks", 1, SIM_MAX_TICKS, false, &x))
            return false;
        lim->ffa_retry_ticks = (uint32_t)x;
    }
    if ((v = yt_map_get(n, "ffa_retry_limit"))) {
        if (!ld_u64(l, v, "world.limits.ffa_retry_limit", 0, 1000000, false, &x))
            return false;
        lim->ffa_retry_limit = (uint32_t)x;
    }
    return true;
}

/* relinquish: on_vm_destroyed | never | manual | {after: TICKS} */
static bool ld_relinquish(struct ld *l, const struct yt_node *n, struct sim_partition *p)
{
    static const char *const names[] = { "on_vm_destroyed", "never", "manual", NULL };
    static const char *const keys[] = { "after", NULL };
    static const enum sim_relinquish kinds[] = { SIM_RELINQ_ON_VMD, SIM_RELINQ_NEVER,
                                                 SIM_RELINQ_MANUAL };
    int v;

    if (n->kind == YT_MAP) {
        if (!ld_keys(l, n, keys, "relinquish") || !ld_require(l, n, "after", "relinquish"))
            return false;
        p->relinquish = SIM_RELINQ_AFTER;
        return ld_u64(l, yt_map_get(n, "after"), "relinquish.after", 0, SIM_MAX_TICKS, false,
                      &p->relinquish_after);
    }
    if (!ld_enum(l, n, "world.spmc.partitions.relinquish", names, &v))
        return false;
    p->relinquish = kinds[v];
    return true;
}

/* One scripted SP. */
static bool ld_partition(struct ld *l, const struct yt_node *e, struct sim_partition *p)
{
    static const char *const keys[] = { "id", "vm_destroyed", "vm_destroyed_replies", "retrieve",
                                        "relinquish", "reclaim_error", NULL };
    static const char *const vmd[] = { "subscribe", "ignore", NULL };
    static const char *const retrieve[] = { "auto", "manual", NULL };
    const char *where = "world.spmc partition";
    const struct yt_node *v;
    uint64_t id;
    size_t i;
    int x;

    if (!ld_keys(l, e, keys, where) || !ld_require(l, e, "id", where) ||
        !ld_u64(l, yt_map_get(e, "id"), "world.spmc.partitions.id", 0, 0xFFFF, true, &id))
        return false;
    p->id = (uint32_t)id;
    p->subscribe = true;
    if ((v = yt_map_get(e, "vm_destroyed"))) {
        if (!ld_enum(l, v, "world.spmc.partitions.vm_destroyed", vmd, &x))
            return false;
        p->subscribe = x == 0;
    }
    if ((v = yt_map_get(e, "vm_destroyed_replies"))) {
        if (!ld_seq(l, v, "world.spmc.partitions.vm_destroyed_replies", SIM_MAX_REPLIES))
            return false;
        if (v->count == 0)
            return ld_fail(l, v, "world.spmc.partitions.vm_destroyed_replies: must not be empty");
        p->replies = g_new0(int, v->count);
        p->reply_count = v->count;
        for (i = 0; i < v->count; i++)
            if (!ld_ffa_code(l, v->items[i], "world.spmc.partitions.vm_destroyed_replies",
                             &p->replies[i]))
                return false;
    }
    if ((v = yt_map_get(e, "retrieve"))) {
        if (!ld_enum(l, v, "world.spmc.partitions.retrieve", retrieve, &x))
            return false;
        p->manual_retrieve = x == 1;
    }
    if ((v = yt_map_get(e, "relinquish")) && !ld_relinquish(l, v, p))
        return false;
    if ((v = yt_map_get(e, "reclaim_error"))) {
        if (!ld_ffa_code(l, v, "world.spmc.partitions.reclaim_error", &p->reclaim_error))
            return false;
        p->has_reclaim_error = true;
    }
    return true;
}

/* world.spmc: {partitions: [...]} with distinct ids. */
static bool ld_spmc(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "partitions", NULL };
    struct sim_world_cfg *wc = &l->sc->world;
    const struct yt_node *parts;
    size_t i, j;

    if (!ld_keys(l, n, keys, "world.spmc") || !ld_require(l, n, "partitions", "world.spmc"))
        return false;
    parts = yt_map_get(n, "partitions");
    if (!ld_seq(l, parts, "world.spmc.partitions", SIM_MAX_PARTITIONS))
        return false;
    wc->has_spmc = true;
    wc->partitions = g_new0(struct sim_partition, parts->count);
    for (i = 0; i < parts->count; i++) {
        wc->partition_count = i + 1;
        if (!ld_partition(l, parts->items[i], &wc->partitions[i]))
            return false;
        for (j = 0; j < i; j++)
            if (wc->partitions[j].id == wc->partitions[i].id)
                return ld_fail(l, parts->items[i], "world.spmc: partition id 0x%" PRIx32
                               " declared twice", wc->partitions[i].id);
    }
    return true;
}

/* world.iommu: {flush_latency, devices: [{id, ats}]} with distinct ids. */
static bool ld_iommu(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "flush_latency", "devices", NULL };
    static const char *const dkeys[] = { "id", "ats", NULL };
    struct sim_world_cfg *wc = &l->sc->world;
    const struct yt_node *v;
    size_t i, j;

    if (!ld_keys(l, n, keys, "world.iommu"))
        return false;
    wc->has_iommu = true;
    if ((v = yt_map_get(n, "flush_latency"))) {
        if (!ld_u64(l, v, "world.iommu.flush_latency", 0, SIM_MAX_TICKS, false,
                    &wc->flush_latency))
            return false;
        wc->has_flush_latency = true;
    }
    if (!(v = yt_map_get(n, "devices")))
        return true;
    if (!ld_seq(l, v, "world.iommu.devices", SIM_MAX_DEVICES))
        return false;
    wc->devices = g_new0(struct sim_device, v->count);
    for (i = 0; i < v->count; i++) {
        const struct yt_node *e = v->items[i], *a;

        wc->device_count = i + 1;
        if (!ld_keys(l, e, dkeys, "world.iommu device") ||
            !ld_require(l, e, "id", "world.iommu device") ||
            !ld_string(l, yt_map_get(e, "id"), "world.iommu.devices.id", &wc->devices[i].id))
            return false;
        if (wc->devices[i].id[0] == '\0')
            return ld_fail(l, yt_map_get(e, "id"), "world.iommu.devices.id: must not be empty");
        if ((a = yt_map_get(e, "ats")) &&
            !ld_bool(l, a, "world.iommu.devices.ats", &wc->devices[i].ats))
            return false;
        for (j = 0; j < i; j++)
            if (strcmp(wc->devices[j].id, wc->devices[i].id) == 0)
                return ld_fail(l, e, "world.iommu: device '%s' declared twice", wc->devices[i].id);
    }
    return true;
}

/* world.mpu: {regions: N, xen_regions: 3, cross_domain: switch_view} (seed 004) */
static bool ld_mpu(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "regions", "xen_regions", "cross_domain", NULL };
    static const char *const xdom[] = { "switch_view", "map_region", "map_or_switch", NULL };
    struct sim_world_cfg *wc = &l->sc->world;
    const struct yt_node *v;
    uint64_t x;
    int e;

    if (!ld_keys(l, n, keys, "world.mpu") || !ld_require(l, n, "regions", "world.mpu") ||
        !ld_u64(l, yt_map_get(n, "regions"), "world.mpu.regions", 1, XMM_MPU_REGIONS_MAX, false,
                &x))
        return false;
    wc->has_mpu = true;
    wc->mpu_regions = (uint32_t)x;
    if ((v = yt_map_get(n, "xen_regions"))) {
        if (!ld_u64(l, v, "world.mpu.xen_regions", 0, XMM_MPU_REGIONS_MAX, false, &x))
            return false;
        wc->has_mpu_xen_regions = true;
        wc->mpu_xen_regions = (uint32_t)x;
    }
    if ((v = yt_map_get(n, "cross_domain"))) {
        if (!ld_enum(l, v, "world.mpu.cross_domain", xdom, &e))
            return false;
        wc->mpu_cross_domain = (enum xmm_mpu_xdom_policy)e;
    }
    return true;
}

/* RAM size and base, checked together against 2^36. */
static bool ld_ram(struct ld *l, const struct yt_node *n)
{
    struct sim_world_cfg *wc = &l->sc->world;
    const struct yt_node *v;

    if ((v = yt_map_get(n, "ram")) &&
        !ld_pages(l, v, "world.ram", 1, SIM_MAX_RAM_PAGES, &wc->ram_pages))
        return false;
    if ((v = yt_map_get(n, "ram_base")) &&
        !ld_u64(l, v, "world.ram_base", 0, XMM_FRAME_LIMIT - 1, true, &wc->ram_base))
        return false;
    if (wc->ram_base + wc->ram_pages > XMM_FRAME_LIMIT)
        return ld_fail(l, v ? v : n, "world: RAM 0x%" PRIx64 "+%" PRIu64 " ends past 2^36",
                       wc->ram_base, wc->ram_pages);
    return true;
}

/* world: every key. */
bool ld_world(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "ram", "ram_base", "mmio", "allocator", "policy", "spmc",
                                        "iommu", "mpu", "limits", "checks", NULL };
    static const char *const allocators[] = { "buddy", "lifo", NULL };
    static const char *const checks[] = { "every_step", "end", "off", NULL };
    struct sim_world_cfg *wc = &l->sc->world;
    const struct yt_node *v;
    int x;

    if (!ld_keys(l, n, keys, "world") || !ld_ram(l, n))
        return false;
    if ((v = yt_map_get(n, "mmio")) && !ld_mmio(l, v))
        return false;
    if ((v = yt_map_get(n, "allocator"))) {
        if (!ld_enum(l, v, "world.allocator", allocators, &x))
            return false;
        wc->alloc_mode = x == 0 ? XMM_ALLOC_BUDDY : XMM_ALLOC_LIFO;
    }
    if ((v = yt_map_get(n, "policy")) && !ld_policy(l, v))
        return false;
    if ((v = yt_map_get(n, "spmc")) && !ld_spmc(l, v))
        return false;
    if ((v = yt_map_get(n, "iommu")) && !ld_iommu(l, v))
        return false;
    if ((v = yt_map_get(n, "mpu")) && !ld_mpu(l, v))
        return false;
    if ((v = yt_map_get(n, "limits")) && !ld_limits(l, v))
        return false;
    if ((v = yt_map_get(n, "checks"))) {
        if (!ld_enum(l, v, "world.checks", checks, &x))
            return false;
        wc->checks = (enum sim_checks)x;
    }
    return true;
}
