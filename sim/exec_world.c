/*
 * xmm-sim - world setup and ops of the smaller switched modules: MPU
 * regions and shared_info (seed 004), the racy safe-range query (seed 002),
 * the guest device tree (seed 002).  Each part is compiled when its
 * SIM_HAVE_* switch is 1.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "exec.h"
#if SIM_HAVE_SAFERANGE_QUERY
#include "xmm/saferange.h"
#endif
#if SIM_HAVE_IOMMU
#include "xmm/iommu.h"
#endif
#if SIM_HAVE_DT
#include "xmm/dt.h"
#endif

/* Options of switched modules, before xmm_world_new (see exec.h). */
void *sim_world_opts(const struct sim_world_cfg *wc, struct xmm_world_opts *o)
{
    void *owned = NULL;

    (void)wc;
    (void)o;
#if SIM_HAVE_MPU
    if (wc->has_mpu) {
        o->mpu.regions = wc->mpu_regions;
        o->mpu.cross_domain = wc->mpu_cross_domain;
        if (wc->has_mpu_xen_regions)
            o->mpu.xen_regions = wc->mpu_xen_regions;
    }
#endif
#if SIM_HAVE_IOMMU
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
#endif
    return owned;
}

/* Stubs plugged into a new world, after xmm_world_new (see exec.h). */
int sim_world_attach(struct xmm_world *w, const struct sim_world_cfg *wc)
{
    (void)w;
    (void)wc;
#if SIM_HAVE_FFA
    if (wc->has_spmc)
        return sim_world_attach_spmc(w, wc);
#endif
    return 0;
}

/* The count a shares / mpu_regions check compares; -XMM_ENOSYS when switched off. */
int sim_check_count(struct sim_exec *x, int subject_row, xmm_domid_t dom, uint64_t *count)
{
    (void)x;
    (void)dom;
    *count = 0;
#if SIM_HAVE_FFA
    if (subject_row == CK_SHARES) {
        if (xmm_domain_state(x->w, dom) == XMM_DOMAIN_GONE)
            return -XMM_ESRCH;
        *count = xmm_ffa_share_count(x->w, dom);
        return 0;
    }
#endif
#if SIM_HAVE_MPU
    if (subject_row == CK_MPU) {
        struct xmm_mpu_usage u;
        int rc = xmm_mpu_usage(x->w, dom, &u);

        *count = rc == 0 ? u.total : 0;
        return rc;
    }
#endif
    (void)subject_row;
    return -XMM_ENOSYS;
}

char *sim_world_summary(struct xmm_world *w)
{
#if SIM_HAVE_MPU
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
#else
    (void)w;
    return NULL;
#endif
}

#if SIM_HAVE_SHARED_INFO
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
#endif

#if SIM_HAVE_MPU
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
#endif

#if SIM_HAVE_IOMMU
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
#endif

#if SIM_HAVE_SAFERANGE_QUERY
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
#endif

#if SIM_HAVE_DT
/*
 * export_dt -> xmm_dt_export, written to --out/FILE.  A file that cannot
 * be written gives EACCES (the model itself is not at fault; the message
 * says why).
 */
int sim_exec_export_dt(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    size_t len = 64 * 1024, size = 0;
    void *buf = g_malloc(len);
    GError *err = NULL;
    char *path;
    int rc = xmm_dt_export(x->w, (xmm_domid_t)a[DT_DOM].u, buf, len, &size);

    if (rc == -XMM_ENOSPC && size > len && size <= (16u << 20)) {
        len = size;
        buf = g_realloc(buf, len);
        rc = xmm_dt_export(x->w, (xmm_domid_t)a[DT_DOM].u, buf, len, &size);
    }
    if (rc == 0) {
        path = g_build_filename(x->out_dir, a[DT_FILE].s, NULL);
        if (g_file_set_contents(path, buf, (gssize)size, &err)) {
            snprintf(o->msg, sizeof(o->msg), "%zu bytes to %s", size, a[DT_FILE].s);
        } else {
            snprintf(o->msg, sizeof(o->msg), "cannot write %s: %s", a[DT_FILE].s, err->message);
            g_error_free(err);
            rc = -XMM_EACCES;
        }
        g_free(path);
    }
    g_free(buf);
    return rc;
}
#endif

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
    rc = xmm_world_new(out, &o);
    g_free(owned);
    g_free(mmio);
    if (rc == 0)
        rc = sim_world_attach(*out, wc);
    return rc;
}
