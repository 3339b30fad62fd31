/*
 * xmm-sim - write a compiled scenario back as YAML, in a canonical form:
 * the world in full, one step per flow mapping, values as the op table
 * types them (frame numbers and handles in hex, variables as $NAME).
 * Loading the output gives the same scenario; a trace generator or a
 * shrinker builds steps as structs and writes them with this.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "write.h"

/* A YAML double-quoted string. */
static void wr_string(GString *s, const char *v)
{
    const unsigned char *p;

    g_string_append_c(s, '"');
    for (p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(s, "\\%c", *p);
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else if (*p == '\t')
            g_string_append(s, "\\t");
        else if (*p < 0x20)
            g_string_append_printf(s, "\\x%02x", *p);
        else
            g_string_append_c(s, (char)*p);
    }
    g_string_append_c(s, '"');
}

/* One value as written: integer, $variable, name, string or nested mapping. */
static void wr_rows(const struct sim_scenario *sc, const struct sim_op *op,
                    const struct sim_val *vals, int parent, GString *s);

static void wr_value(const struct sim_scenario *sc, const struct sim_op *op,
                     const struct sim_val *vals, int row, GString *s)
{
    const struct sim_arg *a = &op->args[row];
    const struct sim_val *v = &vals[row];
    enum sim_type t = a->type == SIM_T_NESTED ? a->int_alt : a->type;

    switch (v->kind) {
    case SIM_V_VAR:
        g_string_append_printf(s, "$%s", sc->vars[v->u]);
        break;
    case SIM_V_ENUM:
        g_string_append(s, a->values[v->u]);
        break;
    case SIM_V_STR:
        wr_string(s, v->s);
        break;
    case SIM_V_MAP:
        g_string_append_c(s, '{');
        wr_rows(sc, op, vals, row, s);
        g_string_append_c(s, '}');
        break;
    default:
        if (t == SIM_T_BOOL)
            g_string_append(s, v->u ? "true" : "false");
        else if (t == SIM_T_P2M_TYPE)
            g_string_append(s, xmm_p2m_type_name((enum xmm_p2m_type)v->u));
        else if (t == SIM_T_GFN || t == SIM_T_MFN || t == SIM_T_HANDLE || t == SIM_T_SP)
            g_string_append_printf(s, "0x%" PRIx64, v->u);
        else
            g_string_append_printf(s, "%" PRIu64, v->u);
        break;
    }
}

/* "k: v, k: v" for the written rows under `parent`. */
static void wr_rows(const struct sim_scenario *sc, const struct sim_op *op,
                    const struct sim_val *vals, int parent, GString *s)
{
    bool first = true;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        if (op->args[i].parent != parent || vals[i].kind == SIM_V_ABSENT)
            continue;
        g_string_append_printf(s, "%s%s: ", first ? "" : ", ", op->args[i].key);
        wr_value(sc, op, vals, (int)i, s);
        first = false;
    }
}

/* The `spmc` partitions. */
static void wr_spmc(const struct sim_world_cfg *wc, GString *s)
{
    static const char *const relinq[] = { "on_vm_destroyed", NULL, "never", "manual" };
    size_t i, k;

    g_string_append(s, "  spmc:\n    partitions:\n");
    for (i = 0; i < wc->partition_count; i++) {
        const struct sim_partition *p = &wc->partitions[i];

        g_string_append_printf(s, "      - {id: 0x%" PRIx32 ", vm_destroyed: %s", p->id,
                               p->subscribe ? "subscribe" : "ignore");
        if (p->reply_count) {
            g_string_append(s, ", vm_destroyed_replies: [");
            for (k = 0; k < p->reply_count; k++)
                g_string_append_printf(s, "%s%s", k ? ", " : "",
                                       xmm_rc_name(XMM_RC_FFA, p->replies[k]));
            g_string_append_c(s, ']');
        }
        g_string_append_printf(s, ", retrieve: %s", p->manual_retrieve ? "manual" : "auto");
        if (p->relinquish == SIM_RELINQ_AFTER)
            g_string_append_printf(s, ", relinquish: {after: %" PRIu64 "}", p->relinquish_after);
        else
            g_string_append_printf(s, ", relinquish: %s", relinq[p->relinquish]);
        if (p->has_reclaim_error)
            g_string_append_printf(s, ", reclaim_error: %s",
                                   xmm_rc_name(XMM_RC_FFA, p->reclaim_error));
        g_string_append(s, "}\n");
    }
}

/* The world, every key written. */
static void wr_world(const struct sim_world_cfg *wc, GString *s)
{
    static const char *const checks[] = { "every_step", "end", "off", "every_step" };
    size_t i;

    g_string_append_printf(s, "world:\n  ram: %" PRIu64 "\n  ram_base: 0x%" PRIx64 "\n",
                           wc->ram_pages, wc->ram_base);
    if (wc->mmio_count) {
        g_string_append(s, "  mmio:\n");
        for (i = 0; i < wc->mmio_count; i++) {
            g_string_append_printf(s, "    - {base: 0x%" PRIx64 ", pages: %" PRIu64 ", name: ",
                                   wc->mmio[i].base, wc->mmio[i].pages);
            wr_string(s, wc->mmio[i].name);
            g_string_append(s, "}\n");
        }
    }
    g_string_append_printf(s, "  allocator: %s\n  policy:\n",
                           wc->alloc_mode == XMM_ALLOC_LIFO ? "lifo" : "buddy");
    for (i = 0; i < sim_policy_knob_count; i++)
        g_string_append_printf(s, "    %s: %s\n", sim_policy_knobs[i].name,
                               sim_policy_knobs[i].values[sim_policy_knobs[i].get(&wc->policy)]);
    if (wc->has_spmc)
        wr_spmc(wc, s);
    if (wc->has_iommu) {
        g_string_append(s, "  iommu:\n");
        if (wc->has_flush_latency)
            g_string_append_printf(s, "    flush_latency: %" PRIu64 "\n", wc->flush_latency);
        g_string_append(s, "    devices:\n");
        for (i = 0; i < wc->device_count; i++) {
            g_string_append(s, "      - {id: ");
            wr_string(s, wc->devices[i].id);
            g_string_append_printf(s, ", ats: %s}\n", wc->devices[i].ats ? "true" : "false");
        }
    }
    if (wc->has_mpu) {
        static const char *const xdom[] = { "switch_view", "map_region", "map_or_switch" };

        g_string_append_printf(s, "  mpu: {regions: %" PRIu32, wc->mpu_regions);
        if (wc->has_mpu_xen_regions)
            g_string_append_printf(s, ", xen_regions: %" PRIu32, wc->mpu_xen_regions);
        g_string_append_printf(s, ", cross_domain: %s}\n", xdom[wc->mpu_cross_domain]);
    }
    g_string_append_printf(s, "  limits: {destroy_retries: %" PRIu32 ", ffa_retry_ticks: %" PRIu32
                              ", ffa_retry_limit: %" PRIu32 "}\n  checks: %s\n",
                           wc->limits.destroy_retries, wc->limits.ffa_retry_ticks,
                           wc->limits.ffa_retry_limit, checks[wc->checks]);
}

/* One step: op, then as / expect / note. */
void sim_step_to_yaml(const struct sim_scenario *sc, const struct sim_step *st, GString *s)
{
    g_string_append_printf(s, "  - %s: ", st->op->name);
    if (st->op->scalar) {
        wr_value(sc, st->op, st->vals, 0, s);
    } else {
        g_string_append_c(s, '{');
        wr_rows(sc, st->op, st->vals, -1, s);
        g_string_append_c(s, '}');
    }
    g_string_append_c(s, '\n');
    if (st->as_var >= 0)
        g_string_append_printf(s, "    as: %s\n", sc->vars[st->as_var]);
    if (st->expect_any)
        g_string_append(s, "    expect: any\n");
    else if (st->has_expect)
        g_string_append_printf(s, "    expect: %s\n", xmm_rc_name(st->expect_fam, st->expect_rc));
    if (st->note) {
        g_string_append(s, "    note: ");
        wr_string(s, st->note);
        g_string_append_c(s, '\n');
    }
}

void sim_header_to_yaml(const struct sim_scenario *sc, GString *s)
{
    g_string_append(s, "name: ");
    wr_string(s, sc->name);
    g_string_append_c(s, '\n');
    if (sc->description) {
        g_string_append(s, "description: ");
        wr_string(s, sc->description);
        g_string_append_c(s, '\n');
    }
    g_string_append_printf(s, "seed: %" PRIu64 "\n", sc->seed);
    wr_world(&sc->world, s);
    if (sc->expect_violation)
        g_string_append_printf(s, "expect: {violation: %s}\n", xmm_invariant_name(sc->violation));
    g_string_append(s, sc->step_count ? "steps:\n" : "steps: []\n");
}

char *sim_scenario_to_yaml(const struct sim_scenario *sc)
{
    GString *s = g_string_new(NULL);
    size_t i;

    sim_header_to_yaml(sc, s);
    for (i = 0; i < sc->step_count; i++)
        sim_step_to_yaml(sc, &sc->steps[i], s);
    return g_string_free(s, FALSE);
}
