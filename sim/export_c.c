/*
 * xmm-sim export-c FILE [-o OUT.c]: a scenario as a standalone cmocka test
 * that replays it through libxmm's public API (docs/fuzzing.md).
 *
 * The test builds the same world, makes each step's library call with the
 * scenario's values (variables become C variables bound from the calls'
 * out-parameters), asserts each step's return code as the scenario
 * expects it, runs the invariant checks as the scenario's check mode says,
 * and asserts the expected violation (or none).  `check` steps become
 * assertions for the subjects domain, frame, p2m, free_pages, violations
 * and shares; mpu_regions and iommu checks, and export_dt, are left as
 * comments.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exec.h"
#include "gen.h"

struct ex {
    const struct sim_scenario *sc;
    GString *o;
    const struct sim_step *st;
};

/* A row's value as a C expression (variables as v_NAME; defaults applied). */
static char *ex_val(struct ex *e, int row)
{
    const struct sim_arg *a = &e->st->op->args[row];
    const struct sim_val *v = &e->st->vals[row];

    if (v->kind == SIM_V_VAR)
        return g_strdup_printf("v_%s", e->sc->vars[v->u]);
    if (v->kind == SIM_V_ABSENT)
        return g_strdup_printf("UINT64_C(%" PRIu64 ")", a->has_def ? a->def : 0);
    if (v->kind == SIM_V_STR) {
        GString *s = g_string_new("\"");
        const char *p;

        for (p = v->s; *p; p++)
            if (*p == '"' || *p == '\\')
                g_string_append_printf(s, "\\%c", *p);
            else if ((unsigned char)*p < 0x20)
                g_string_append_printf(s, "\\%03o", (unsigned char)*p);
            else
                g_string_append_c(s, *p);
        g_string_append_c(s, '"');
        return g_string_free(s, FALSE);
    }
    return g_strdup_printf("UINT64_C(0x%" PRIx64 ")", v->u);
}

/* printf into the output, with each %V replaced by the next row's value. */
static void ex_call(struct ex *e, const char *fmt, const int *rows)
{
    const char *p;

    for (p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 'V') {
            char *v = ex_val(e, *rows++);

            g_string_append(e->o, v);
            g_free(v);
            p++;
        } else {
            g_string_append_c(e->o, *p);
        }
    }
}

#define CALL(fmt, ...)                                   \
    do {                                                 \
        static const int rows_[] = { __VA_ARGS__ };      \
        ex_call(e, fmt, rows_);                          \
    } while (0)

/* Bind the step's `as` variable from a local, when the call succeeded. */
static void ex_bind(struct ex *e, const char *expr)
{
    if (e->st->as_var >= 0)
        g_string_append_printf(e->o, "        if (rc == 0)\n            v_%s = %s;\n",
                               e->sc->vars[e->st->as_var], expr);
}

static void ex_check(struct ex *e)
{
    const struct sim_val *v = e->st->vals;
    GString *o = e->o;

    if (v[CK_DOMAIN].kind != SIM_V_ABSENT) {
        CALL("        struct xmm_domain_info di;\n\n"
             "        memset(&di, 0, sizeof(di));\n"
             "        (void)xmm_domain_info(w, (xmm_domid_t)%V, &di);\n", CK_DOMAIN);
        if (v[CK_STATE].kind == SIM_V_ENUM)
            g_string_append_printf(o, "        assert_string_equal(xmm_domain_state_name(di.state),"
                                      " \"%s\");\n", sim_domain_states[v[CK_STATE].u]);
        if (v[CK_TOT_PAGES].kind != SIM_V_ABSENT)
            CALL("        assert_int_equal(di.tot_pages, %V);\n", CK_TOT_PAGES);
        if (v[CK_REFS].kind != SIM_V_ABSENT)
            CALL("        assert_int_equal(di.refs, %V);\n", CK_REFS);
    } else if (v[CK_FRAME].kind != SIM_V_ABSENT) {
        g_string_append(o, "        struct xmm_frame_info fi;\n        xmm_mfn_t mfn;\n\n");
        if (v[CK_FRAME].kind == SIM_V_MAP)
            CALL("        struct xmm_p2m_entry pe;\n\n"
                 "        assert_int_equal(xmm_p2m_lookup(w, (xmm_domid_t)%V, xmm_gfn(%V), &pe), 0);\n"
                 "        mfn = pe.mfn;\n", CK_FRAME_DOM, CK_FRAME_GFN);
        else
            CALL("        mfn = xmm_mfn(%V);\n", CK_FRAME);
        g_string_append(o, "        assert_int_equal(xmm_frame_info(w, mfn, &fi), 0);\n");
        if (v[CK_OWNER].kind == SIM_V_ENUM) {
            static const char *const cond[] = { "!fi.free && fi.owner == XMM_DOMID_XEN",
                                                "!fi.free && fi.owner == XMM_DOMID_PARK",
                                                "fi.free" };

            g_string_append_printf(o, "        assert_true(%s);\n", cond[v[CK_OWNER].u]);
        } else if (v[CK_OWNER].kind != SIM_V_ABSENT) {
            CALL("        assert_true(!fi.free && fi.owner == %V);\n", CK_OWNER);
        }
        if (v[CK_REFCOUNT].kind != SIM_V_ABSENT)
            CALL("        assert_int_equal(fi.refcount, %V);\n", CK_REFCOUNT);
    } else if (v[CK_P2M].kind != SIM_V_ABSENT) {
        CALL("        struct xmm_p2m_entry pe;\n"
             "        int lr = xmm_p2m_lookup(w, (xmm_domid_t)%V, xmm_gfn(%V), &pe);\n\n",
             CK_P2M_DOM, CK_P2M_GFN);
        if (v[CK_TYPE].kind == SIM_V_ABSENT && v[CK_MFN].kind == SIM_V_ABSENT) {
            g_string_append(o, "        (void)lr;\n");
        } else if (v[CK_TYPE].kind == SIM_V_INT &&
                   v[CK_TYPE].u == (uint64_t)XMM_P2M_INVALID) {
            g_string_append(o, "        assert_int_not_equal(lr, 0);\n");
        } else {
            g_string_append(o, "        assert_int_equal(lr, 0);\n");
            if (v[CK_TYPE].kind == SIM_V_INT)
                g_string_append_printf(o, "        assert_string_equal(xmm_p2m_type_name(pe.type), "
                                          "\"%s\");\n",
                                       xmm_p2m_type_name((enum xmm_p2m_type)v[CK_TYPE].u));
            if (v[CK_MFN].kind != SIM_V_ABSENT)
                CALL("        assert_int_equal(xmm_mfn_x(pe.mfn), %V);\n", CK_MFN);
        }
    } else if (v[CK_FREE_PAGES].kind != SIM_V_ABSENT) {
        CALL("        assert_int_equal(xmm_heap_free_pages(w), %V);\n", CK_FREE_PAGES);
    } else if (v[CK_VIOLATIONS].kind != SIM_V_ABSENT) {
        CALL("        static struct xmm_check_report rep2;\n\n"
             "        assert_int_equal(xmm_check_full(w, &rep2), %V);\n", CK_VIOLATIONS);
    } else if (v[CK_SHARES].kind != SIM_V_ABSENT) {
        CALL("        assert_int_equal(xmm_ffa_share_count(w, (xmm_domid_t)%V), %V);\n",
             CK_SHARES_DOM, CK_COUNT);
    } else {
        g_string_append(o, "        /* this check subject is not exported */\n");
    }
    g_string_append(o, "        rc = 0;\n");
}

/* The library call of one step, setting rc. */
static void ex_step(struct ex *e)
{
    const char *n = e->st->op->name;
    GString *o = e->o;

    if (strcmp(n, "advance") == 0) {
        CALL("        rc = xmm_world_advance(w, %V);\n", ADV_TICKS);
    } else if (strcmp(n, "domain_create") == 0) {
        CALL("        struct xmm_domain_opts d = XMM_DOMAIN_OPTS_INIT;\n\n"
             "        d.max_pages = %V;\n        d.direct_map = %V != 0;\n        d.ffa = %V != 0;\n"
             "        d.grant_frames = (uint32_t)%V;\n        d.maptrack_frames = (uint32_t)%V;\n",
             DC_MAX_PAGES, DC_DIRECT_MAP, DC_FFA, DC_GRANT_FRAMES, DC_MAPTRACK_FRAMES);
        if (e->st->vals[DC_SAFE_RANGE].kind == SIM_V_MAP)
            CALL("        d.safe_range = XMM_SAFE_RANGE_GIVEN;\n"
                 "        d.safe_range_gfn = xmm_gfn(%V);\n        d.safe_range_pages = %V;\n",
                 DC_SR_GFN, DC_SR_PAGES);
        else if (e->st->vals[DC_SAFE_RANGE].kind == SIM_V_ENUM &&
                 e->st->vals[DC_SAFE_RANGE].u == SIM_SR_NONE)
            g_string_append(o, "        d.safe_range = XMM_SAFE_RANGE_OFF;\n");
        CALL("        rc = xmm_domain_create(w, (xmm_domid_t)%V, &d);\n", DC_DOM);
    } else if (strcmp(n, "populate") == 0) {
        if (e->st->vals[POP_GFN].kind != SIM_V_ABSENT) {
            CALL("        rc = xmm_physmap_populate(w, (xmm_domid_t)%V, xmm_gfn(%V), %V);\n",
                 POP_DOM, POP_GFN, POP_PAGES);
            if (e->st->as_var >= 0) {
                char *g = ex_val(e, POP_GFN);

                ex_bind(e, g);
                g_free(g);
            }
        } else {
            CALL("        xmm_gfn_t first = XMM_INVALID_GFN;\n\n"
                 "        rc = xmm_physmap_populate_direct(w, (xmm_domid_t)%V, %V, &first);\n",
                 POP_DOM, POP_PAGES);
            ex_bind(e, "xmm_gfn_x(first)");
        }
    } else if (strcmp(n, "decrease") == 0) {
        CALL("        rc = xmm_physmap_decrease(w, (xmm_domid_t)%V, xmm_gfn(%V), %V);\n", DEC_DOM,
             DEC_GFN, DEC_PAGES);
    } else if (strcmp(n, "domain_destroy") == 0) {
        CALL("        uint32_t calls = 0;\n\n"
             "        rc = xmm_domain_destroy(w, (xmm_domid_t)%V, "
             "xmm_world_limits(w)->destroy_retries, &calls);\n"
             "        if (rc == -XMM_ERESTART) {\n"
             "            struct xmm_violation v;\n\n"
             "            memset(&v, 0, sizeof(v));\n"
             "            v.inv = XMM_INV_DESTROY_PROGRESS;\n"
             "            v.kind = XMM_SUBJECT_DOMAIN;\n"
             "            v.mfn = XMM_INVALID_MFN;\n"
             "            v.gfn = XMM_INVALID_GFN;\n"
             "            v.dom = (xmm_domid_t)%V;\n"
             "            xmm_check_flag(w, &v);\n"
             "        }\n", DD_DOM, DD_DOM);
    } else if (strcmp(n, "map_foreign") == 0) {
        CALL("        rc = xmm_physmap_map_foreign(w, (xmm_domid_t)%V, xmm_gfn(%V), (xmm_domid_t)%V, "
             "xmm_gfn(%V));\n", MF_DOM, MF_GFN, MF_FROM, MF_FROM_GFN);
    } else if (strcmp(n, "map_mmio") == 0) {
        CALL("        rc = xmm_physmap_map_mmio(w, (xmm_domid_t)%V, xmm_gfn(%V), xmm_mfn(%V), %V);\n",
             MM_DOM, MM_GFN, MM_MFN, MM_PAGES);
    } else if (strcmp(n, "map_grant_frame") == 0) {
        CALL("        rc = xmm_gnttab_map_frame(w, (xmm_domid_t)%V, (uint32_t)%V, xmm_gfn(%V));\n",
             MG_DOM, MG_IDX, MG_GFN);
    } else if (strcmp(n, "map_shared_info") == 0) {
        CALL("        rc = xmm_shinfo_map(w, (xmm_domid_t)%V, xmm_gfn(%V));\n", MS_DOM, MS_GFN);
    } else if (strcmp(n, "register_vcpu_info") == 0) {
        CALL("        rc = xmm_shinfo_register_vcpu_info(w, (xmm_domid_t)%V, (uint32_t)%V, "
             "xmm_gfn(%V));\n", RV_DOM, RV_VCPU, RV_GFN);
    } else if (strcmp(n, "evtchn_send") == 0) {
        CALL("        rc = xmm_mpu_evtchn_send(w, (xmm_domid_t)%V, (xmm_domid_t)%V, (uint32_t)%V);\n",
             ES_DOM, ES_TO, ES_VCPU);
    } else if (strcmp(n, "remove_physmap") == 0) {
        CALL("        rc = xmm_physmap_remove(w, (xmm_domid_t)%V, xmm_gfn(%V));\n", RP_DOM, RP_GFN);
    } else if (strcmp(n, "lookup") == 0) {
        CALL("        struct xmm_p2m_entry pe;\n\n"
             "        rc = xmm_p2m_lookup(w, (xmm_domid_t)%V, xmm_gfn(%V), &pe);\n", LK_DOM, LK_GFN);
        ex_bind(e, "xmm_mfn_x(pe.mfn)");
    } else if (strcmp(n, "grant") == 0) {
        CALL("        rc = xmm_gnttab_grant(w, (xmm_domid_t)%V, (xmm_grant_ref_t)%V, (xmm_domid_t)%V, "
             "xmm_gfn(%V), %V != 0);\n", GR_DOM, GR_REF, GR_TO, GR_GFN, GR_READONLY);
    } else if (strcmp(n, "grant_end") == 0) {
        CALL("        rc = xmm_gnttab_end(w, (xmm_domid_t)%V, (xmm_grant_ref_t)%V);\n", GE_DOM,
             GE_REF);
    } else if (strcmp(n, "grant_map") == 0) {
        CALL("        xmm_grant_handle_t h = 0;\n\n"
             "        rc = xmm_gnttab_map(w, (xmm_domid_t)%V, (xmm_domid_t)%V, (xmm_grant_ref_t)%V, "
             "xmm_gfn(%V), %V != 0, &h);\n", GM_DOM, GM_FROM, GM_REF, GM_GFN, GM_READONLY);
        ex_bind(e, "(uint64_t)h");
    } else if (strcmp(n, "grant_unmap") == 0) {
        CALL("        rc = xmm_gnttab_unmap(w, (xmm_domid_t)%V, (xmm_grant_handle_t)%V);\n", GU_DOM,
             GU_HANDLE);
    } else if (strcmp(n, "ffa_share") == 0) {
        CALL("        xmm_ffa_handle_t h = 0;\n\n"
             "        rc = xmm_ffa_share(w, (xmm_domid_t)%V, xmm_gfn(%V), (uint32_t)%V, (uint16_t)%V, "
             "&h);\n", FS_DOM, FS_GFN, FS_PAGES, FS_SP);
        ex_bind(e, "(uint64_t)h");
    } else if (strcmp(n, "ffa_reclaim") == 0) {
        CALL("        rc = xmm_ffa_reclaim(w, (xmm_domid_t)%V, %V);\n", FR_DOM, FR_HANDLE);
    } else if (strcmp(n, "sp_retrieve") == 0) {
        CALL("        rc = xmm_sp_retrieve(w, (uint16_t)%V, %V);\n", SPH_SP, SPH_HANDLE);
    } else if (strcmp(n, "sp_relinquish") == 0) {
        CALL("        rc = xmm_sp_relinquish(w, (uint16_t)%V, %V);\n", SPH_SP, SPH_HANDLE);
    } else if (strcmp(n, "sp_access") == 0) {
        CALL("        rc = xmm_sp_access(w, (uint16_t)%V, %V, (uint32_t)%V, %V != 0);\n", SA_SP,
             SA_HANDLE, SA_PAGE, SA_WRITE);
    } else if (strcmp(n, "iommu_assign") == 0) {
        CALL("        rc = xmm_iommu_assign(w, (xmm_domid_t)%V, %V);\n", IA_DOM, IA_DEV);
    } else if (strcmp(n, "dma") == 0) {
        CALL("        xmm_mfn_t m = XMM_INVALID_MFN;\n\n"
             "        rc = xmm_iommu_dma(w, %V, xmm_gfn(%V), %V != 0, &m);\n", DMA_DEV, DMA_GFN,
             DMA_WRITE);
        ex_bind(e, "xmm_mfn_x(m)");
    } else if (strcmp(n, "query_unallocated") == 0) {
        CALL("        struct xmm_saferange holes[XMM_SAFERANGE_TOLD_MAX];\n"
             "        size_t count = 0;\n\n"
             "        rc = xmm_saferange_query(w, (xmm_domid_t)%V, holes, XMM_SAFERANGE_TOLD_MAX, "
             "&count);\n", QU_DOM);
        if (e->st->as_var >= 0)
            g_string_append_printf(o, "        if (rc == 0 && count > 0)\n"
                                      "            v_%s = xmm_gfn_x(holes[0].gfn);\n",
                                   e->sc->vars[e->st->as_var]);
    } else if (strcmp(n, "check") == 0) {
        ex_check(e);
    } else if (strcmp(n, "fail_alloc") == 0) {
        /* The runner counts only the steps' allocations; the incremental
         * check between steps here makes none. */
        CALL("        xmm_world_fail_alloc(w, %V + 1, %V != 0);\n        rc = 0;\n", FA_AFTER,
             FA_STICKY);
    } else {
        g_string_append_printf(o, "        rc = 0; /* %s: not replayed */\n", n);
    }
}

static void ex_world(struct ex *e)
{
    const struct sim_world_cfg *wc = &e->sc->world;
    GString *o = e->o;
    size_t i, k;

    g_string_append_printf(o, "    o.ram_pages = UINT64_C(%" PRIu64 ");\n"
                              "    o.ram_base = xmm_mfn(UINT64_C(0x%" PRIx64 "));\n"
                              "    o.alloc_mode = %s;\n    o.seed = UINT64_C(%" PRIu64 ");\n",
                           wc->ram_pages, wc->ram_base,
                           wc->alloc_mode == XMM_ALLOC_LIFO ? "XMM_ALLOC_LIFO" : "XMM_ALLOC_BUDDY",
                           e->sc->seed);
    if (wc->mmio_count) {
        g_string_append(o, "    static const struct xmm_mmio_region mmio[] = {\n");
        for (i = 0; i < wc->mmio_count; i++)
            g_string_append_printf(o, "        { .base = { UINT64_C(0x%" PRIx64 ") }, .pages = %"
                                      PRIu64 ", .name = \"mmio%zu\" },\n",
                                   wc->mmio[i].base, wc->mmio[i].pages, i);
        g_string_append_printf(o, "    };\n    o.mmio = mmio;\n    o.mmio_count = %zu;\n",
                               wc->mmio_count);
    }
    for (i = 0; i < sim_policy_knob_count; i++) {
        const struct sim_policy_knob *kn = &sim_policy_knobs[i];
        unsigned v = kn->get(&wc->policy);

        g_string_append_printf(o, "    o.policy.%s = %u; /* %s */\n", kn->name, v, kn->values[v]);
    }
    g_string_append_printf(o, "    o.limits.destroy_retries = %" PRIu32 ";\n"
                              "    o.limits.ffa_retry_ticks = %" PRIu32 ";\n"
                              "    o.limits.ffa_retry_limit = %" PRIu32 ";\n",
                           wc->limits.destroy_retries, wc->limits.ffa_retry_ticks,
                           wc->limits.ffa_retry_limit);
    if (wc->has_mpu) {
        g_string_append_printf(o, "    o.mpu.regions = %" PRIu32 ";\n    o.mpu.cross_domain = %u;\n",
                               wc->mpu_regions, (unsigned)wc->mpu_cross_domain);
        if (wc->has_mpu_xen_regions)
            g_string_append_printf(o, "    o.mpu.xen_regions = %" PRIu32 ";\n",
                                   wc->mpu_xen_regions);
    }
    if (wc->has_iommu) {
        g_string_append(o, "    static const struct xmm_iommu_device devs[] = {\n");
        for (i = 0; i < wc->device_count; i++)
            g_string_append_printf(o, "        { .id = \"%s\", .ats = %s },\n", wc->devices[i].id,
                                   wc->devices[i].ats ? "true" : "false");
        g_string_append_printf(o, "    };\n    o.iommu.devices = devs;\n"
                                  "    o.iommu.device_count = %zu;\n", wc->device_count);
        if (wc->has_flush_latency)
            g_string_append_printf(o, "    o.iommu.flush_latency = UINT64_C(%" PRIu64 ");\n",
                                   wc->flush_latency);
    }
    g_string_append(o, "    assert_int_equal(xmm_world_new(&o, &w), 0);\n");
    if (wc->has_spmc) {
        static const char *const relinq[] = {
            [SIM_RELINQ_ON_VMD] = "XMM_SP_RELINQUISH_ON_VM_DESTROYED",
            [SIM_RELINQ_AFTER] = "XMM_SP_RELINQUISH_AFTER",
            [SIM_RELINQ_NEVER] = "XMM_SP_RELINQUISH_NEVER",
            [SIM_RELINQ_MANUAL] = "XMM_SP_RELINQUISH_MANUAL",
        };

        g_string_append_printf(o, "    struct xmm_sp_config sps[%zu];\n\n"
                                  "    memset(sps, 0, sizeof(sps));\n", wc->partition_count);
        for (i = 0; i < wc->partition_count; i++) {
            const struct sim_partition *p = &wc->partitions[i];

            g_string_append_printf(
                o, "    sps[%zu].id = 0x%" PRIx32 ";\n    sps[%zu].subscribe_vm_destroyed = %s;\n"
                   "    sps[%zu].retrieve = %s;\n    sps[%zu].relinquish = %s;\n"
                   "    sps[%zu].relinquish_after = UINT64_C(%" PRIu64 ");\n"
                   "    sps[%zu].reclaim_error = %d;\n",
                i, p->id, i, p->subscribe ? "true" : "false", i,
                p->manual_retrieve ? "XMM_SP_RETRIEVE_MANUAL" : "XMM_SP_RETRIEVE_AUTO", i,
                relinq[p->relinquish], i, p->relinquish_after, i,
                p->has_reclaim_error ? p->reclaim_error : 0);
            for (k = 0; k < p->reply_count && k < SIM_MAX_REPLIES; k++)
                g_string_append_printf(o, "    sps[%zu].vm_destroyed_replies[%zu] = %d;\n", i, k,
                                       p->replies[k]);
            g_string_append_printf(o, "    sps[%zu].vm_destroyed_reply_count = %zu;\n", i, k);
        }
        g_string_append_printf(o, "    assert_int_equal(xmm_spmc_stub_attach(w, sps, %zu), 0);\n",
                               wc->partition_count);
    }
}

/* The scenario as a C test (g_free it). */
static char *export_c(const struct sim_scenario *sc, const char *file)
{
    struct ex e;
    GString *o = g_string_new(NULL);
    const char *inv = sc->expect_violation ? xmm_invariant_name(sc->violation) : NULL;
    size_t i;

    memset(&e, 0, sizeof(e));
    e.sc = sc;
    e.o = o;
    g_string_append_printf(o,
        "/*\n * Generated by xmm-sim export-c from %s (scenario \"%s\").\n"
        " * It replays the scenario through libxmm's public API and asserts the same\n"
        " * return codes and %s.\n"
        " * Build: cc -I<libxmm>/include this.c -lxmm -lfdt -lcmocka\n */\n"
        "#include <setjmp.h>\n#include <stdarg.h>\n#include <stdbool.h>\n#include <stddef.h>\n"
        "#include <stdint.h>\n#include <string.h>\n\n#include <cmocka.h>\n\n"
        "#include \"xmm/xmm.h\"\n\n",
        file, sc->name, inv ? "the same invariant violation" : "that no invariant breaks");
    if (inv)
        g_string_append(o,
            "/* Does the report name invariant `name`? */\n"
            "static bool has_violation(const struct xmm_check_report *rep, const char *name)\n{\n"
            "    for (uint32_t i = 0; i < rep->kept; i++)\n"
            "        if (strcmp(xmm_invariant_name(rep->v[i].inv), name) == 0)\n"
            "            return true;\n    return false;\n}\n\n");
    g_string_append(o,
        "static void test_scenario(void **state)\n{\n"
        "    static struct xmm_check_report rep;\n"
        "    struct xmm_world_opts o = XMM_WORLD_OPTS_INIT;\n"
        "    struct xmm_world *w = NULL;\n    int rc = 0;\n    int n = 0;\n");
    for (i = 0; i < sc->var_count; i++)
        g_string_append_printf(o, "    uint64_t v_%s = 0;\n", sc->vars[i]);
    g_string_append(o, "\n    (void)state;\n    (void)rc;\n    (void)n;\n");
    ex_world(&e);
    for (i = 0; i < sc->step_count; i++) {
        const struct sim_step *st = &sc->steps[i];

        e.st = st;
        g_string_append_printf(o, "\n    /* step %zu (line %" PRIu32 "): %s */\n"
                                  "    xmm_world_set_step(w, %zu);\n    {\n",
                               i + 1, st->line, st->op->name, i + 1);
        ex_step(&e);
        g_string_append(o, "    }\n");
        if (sc->world.checks == SIM_CHECKS_EVERY_STEP) {
            g_string_append(o, "    memset(&rep, 0, sizeof(rep));\n"
                               "    n = (int)xmm_check_incremental(w, &rep);\n");
            if (inv)
                g_string_append_printf(o, "    if (n > 0) {\n"
                                          "        assert_true(has_violation(&rep, \"%s\"));\n"
                                          "        goto out;\n    }\n", inv);
            else
                g_string_append(o, "    assert_int_equal(n, 0);\n");
        }
        /* as the runner: the step that shows the expected violation ends the run first */
        if (!st->expect_any && !st->op->no_expect)
            g_string_append_printf(o, "    assert_int_equal(rc, %d); /* %s */\n",
                                   st->has_expect ? st->expect_rc : 0,
                                   xmm_rc_name(st->op->family, st->has_expect ? st->expect_rc : 0));
    }
    if (sc->world.checks != SIM_CHECKS_OFF) {
        g_string_append(o, "\n    /* the end-of-run full sweep */\n"
                           "    memset(&rep, 0, sizeof(rep));\n    n = xmm_check_full(w, &rep);\n");
        if (inv)
            g_string_append_printf(o, "    assert_true(n > 0 && has_violation(&rep, \"%s\"));\n",
                                   inv);
        else
            g_string_append(o, "    assert_int_equal(n, 0);\n");
    } else if (inv) {
        g_string_append(o, "    fail_msg(\"the scenario expects a violation with checks off\");\n");
    }
    if (inv && sc->world.checks == SIM_CHECKS_EVERY_STEP && sc->step_count)
        g_string_append(o, "out:\n");
    g_string_append(o, "    xmm_world_free(w);\n}\n\n"
                       "int main(void)\n{\n"
                       "    const struct CMUnitTest tests[] = { cmocka_unit_test(test_scenario) };\n\n"
                       "    return cmocka_run_group_tests(tests, NULL, NULL);\n}\n");
    return g_string_free(o, FALSE);
}

int sim_cmd_export_c(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    struct sim_scenario *sc;
    struct sim_error err;
    char *text;
    int i, rc = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (sim_cli_is_help(argv[i])) {
            sim_cli_cmd_help(stdout, &sim_cli_export_c);
            return 0;
        } else if (argv[i][0] == '-' || file) {
            return sim_cli_usage_error(&sim_cli_export_c, "export-c: unexpected argument '%s'",
                                       argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return sim_cli_usage_error(&sim_cli_export_c, "export-c: no scenario file given");
    if (sim_load_file(file, &sc, &err) != 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", file, (unsigned)err.line, (unsigned)err.col, err.msg);
        return 2;
    }
    text = export_c(sc, file);
    if (!out || strcmp(out, "-") == 0) {
        fputs(text, stdout);
    } else {
        GError *ge = NULL;

        if (!g_file_set_contents(out, text, -1, &ge)) {
            fprintf(stderr, "xmm-sim export-c: cannot write %s: %s\n", out, ge->message);
            g_error_free(ge);
            rc = 2;
        }
    }
    g_free(text);
    sim_scenario_free(sc);
    return rc;
}
