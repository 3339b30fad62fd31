/*
 * xmm-sim - the `check` op: assertions on the model, no state change.
 * A failed assertion is reported as "SUBJECT KEY: expected X, got Y";
 * every assertion of the step is evaluated and all that fail are listed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "exec.h"
#include "inspect.h"

/* Append one failed assertion to o->msg. */
static void ck_fail(struct sim_exec_out *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void ck_fail(struct sim_exec_out *o, const char *fmt, ...)
{
    size_t used = strlen(o->msg);
    va_list ap;

    if (used && used < sizeof(o->msg) - 2) {
        strcat(o->msg, "; ");
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(o->msg + used, sizeof(o->msg) - used, fmt, ap);
    va_end(ap);
    o->check_failed = true;
}

/* domain: state / tot_pages / refs */
static void ck_domain(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_domid_t dom = (xmm_domid_t)a[CK_DOMAIN].u;
    struct xmm_domain_info info;
    int rc = xmm_domain_info(x->w, dom, &info);

    if (a[CK_STATE].present) {
        enum xmm_domain_state want = (enum xmm_domain_state)a[CK_STATE].u;
        enum xmm_domain_state got = xmm_domain_state(x->w, dom);

        if (want != got)
            ck_fail(o, "domain d%u state: expected %s, got %s", (unsigned)dom,
                    xmm_domain_state_name(want), xmm_domain_state_name(got));
    }
    if ((a[CK_TOT_PAGES].present || a[CK_REFS].present) && rc != 0) {
        ck_fail(o, "domain d%u does not exist (%s)", (unsigned)dom, xmm_strerror(rc));
        return;
    }
    if (a[CK_TOT_PAGES].present && info.tot_pages != a[CK_TOT_PAGES].u)
        ck_fail(o, "domain d%u tot_pages: expected %" PRIu64 ", got %" PRIu64, (unsigned)dom,
                a[CK_TOT_PAGES].u, info.tot_pages);
    if (a[CK_REFS].present && info.refs != a[CK_REFS].u)
        ck_fail(o, "domain d%u refs: expected %" PRIu64 ", got %" PRIu32, (unsigned)dom,
                a[CK_REFS].u, info.refs);
}

/* frame: owner / refcount, the frame given by mfn or by {dom, gfn}. */
static void ck_frame(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_frame_info fi;
    xmm_mfn_t mfn;
    char want[32], got[32];
    int rc;

    if (a[CK_FRAME].kind == SIM_V_MAP) {
        struct xmm_p2m_entry e;
        xmm_domid_t dom = (xmm_domid_t)a[CK_FRAME_DOM].u;

        rc = xmm_p2m_lookup(x->w, dom, xmm_gfn(a[CK_FRAME_GFN].u), &e);
        if (rc != 0) {
            ck_fail(o, "frame at d%u gfn 0x%" PRIx64 ": nothing mapped (%s)", (unsigned)dom,
                    a[CK_FRAME_GFN].u, xmm_strerror(rc));
            return;
        }
        mfn = e.mfn;
    } else {
        mfn = xmm_mfn(a[CK_FRAME].u);
    }
    rc = xmm_frame_info(x->w, mfn, &fi);
    if (rc != 0) {
        ck_fail(o, "frame 0x%" PRIx64 " is not a RAM frame of this world", xmm_mfn_x(mfn));
        return;
    }
    o->has_frame = true;
    o->frame = xmm_mfn_x(mfn);
    if (a[CK_OWNER].present) {
        bool ok;

        if (fi.free)
            snprintf(got, sizeof(got), "free");
        else
            xmm_domid_name(fi.owner, got, sizeof(got));
        if (a[CK_OWNER].kind == SIM_V_ENUM) {
            static const char *const names[] = { "xen", "park", "free" };

            snprintf(want, sizeof(want), "%s", names[a[CK_OWNER].u]);
            ok = a[CK_OWNER].u == SIM_OWNER_FREE ? fi.free
                 : a[CK_OWNER].u == SIM_OWNER_XEN ? !fi.free && fi.owner == XMM_DOMID_XEN
                                                  : !fi.free && fi.owner == XMM_DOMID_PARK;
        } else {
            xmm_domid_name((xmm_domid_t)a[CK_OWNER].u, want, sizeof(want));
            ok = !fi.free && fi.owner == a[CK_OWNER].u;
        }
        if (!ok)
            ck_fail(o, "frame 0x%" PRIx64 " owner: expected %s, got %s", xmm_mfn_x(mfn), want,
                    got);
    }
    if (a[CK_REFCOUNT].present && fi.refcount != a[CK_REFCOUNT].u)
        ck_fail(o, "frame 0x%" PRIx64 " refcount: expected %" PRIu64 ", got %" PRIu32,
                xmm_mfn_x(mfn), a[CK_REFCOUNT].u, fi.refcount);
}

/* p2m: mfn / type of the entry at {dom, gfn}; type absent = nothing mapped. */
static void ck_p2m(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    xmm_domid_t dom = (xmm_domid_t)a[CK_P2M_DOM].u;
    uint64_t gfn = a[CK_P2M_GFN].u;
    struct xmm_p2m_entry e;
    int rc = xmm_p2m_lookup(x->w, dom, xmm_gfn(gfn), &e);

    if (rc != 0 && rc != -XMM_ENOENT) {
        ck_fail(o, "p2m d%u gfn 0x%" PRIx64 ": lookup failed (%s)", (unsigned)dom, gfn,
                xmm_strerror(rc));
        return;
    }
    if (rc == -XMM_ENOENT) {
        e.type = XMM_P2M_INVALID;
        e.mfn = XMM_INVALID_MFN;
    }
    /* A failed assertion prints the history of the frame mapped there, and of the expected one. */
    if (rc == 0 && xmm_world_mfn_is_ram(x->w, e.mfn)) {
        o->has_frame = true;
        o->frame = xmm_mfn_x(e.mfn);
    } else if (a[CK_MFN].present && xmm_world_mfn_is_ram(x->w, xmm_mfn(a[CK_MFN].u))) {
        o->has_frame = true;
        o->frame = a[CK_MFN].u;
    }
    if (a[CK_TYPE].present && e.type != (enum xmm_p2m_type)a[CK_TYPE].u)
        ck_fail(o, "p2m d%u gfn 0x%" PRIx64 " type: expected %s, got %s", (unsigned)dom, gfn,
                xmm_p2m_type_name((enum xmm_p2m_type)a[CK_TYPE].u), xmm_p2m_type_name(e.type));
    if (a[CK_MFN].present && rc == -XMM_ENOENT)
        ck_fail(o, "p2m d%u gfn 0x%" PRIx64 " mfn: expected 0x%" PRIx64 ", got absent",
                (unsigned)dom, gfn, a[CK_MFN].u);
    else if (a[CK_MFN].present && xmm_mfn_x(e.mfn) != a[CK_MFN].u)
        ck_fail(o, "p2m d%u gfn 0x%" PRIx64 " mfn: expected 0x%" PRIx64 ", got 0x%" PRIx64,
                (unsigned)dom, gfn, a[CK_MFN].u, xmm_mfn_x(e.mfn));
}

/* violations: N -> what a full sweep finds right now. */
static void ck_violations(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    struct xmm_check_report *rep = g_new0(struct xmm_check_report, 1);
    int n = xmm_check_full(x->w, rep);

    if (n < 0)
        ck_fail(o, "violations: full sweep failed (%s)", xmm_strerror(n));
    else if ((uint64_t)n != a[CK_VIOLATIONS].u)
        ck_fail(o, "violations: expected %" PRIu64 ", got %d%s%s", a[CK_VIOLATIONS].u, n,
                rep->kept ? ", first: " : "",
                rep->kept ? xmm_invariant_name(rep->v[0].inv) : "");
    g_free(rep);
}

/* shares: {dom} / mpu_regions: {dom} with count: N */
static void ck_count(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    int row = a[CK_SHARES].present ? CK_SHARES : CK_MPU;
    xmm_domid_t dom = (xmm_domid_t)a[row == CK_SHARES ? CK_SHARES_DOM : CK_MPU_DOM].u;
    const char *what = row == CK_SHARES ? "shares" : "mpu_regions";
    uint64_t n;
    int rc = sim_check_count(x, row, dom, &n);

    if (rc != 0)
        ck_fail(o, "%s of d%u: %s", what, (unsigned)dom, xmm_strerror(rc));
    else if (a[CK_COUNT].present && n != a[CK_COUNT].u)
        ck_fail(o, "%s of d%u count: expected %" PRIu64 ", got %" PRIu64, what, (unsigned)dom,
                a[CK_COUNT].u, n);
}

/* iommu: {dom} with held / holds / hold_ticks / stall_ticks / pending (seed 003). */
static void ck_iommu(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    static const struct {
        int row;
        const char *name;
        size_t off;
    } f[] = {
        { CK_HELD, "held", offsetof(struct xmm_iommu_stats, held) },
        { CK_HOLDS, "holds", offsetof(struct xmm_iommu_stats, holds) },
        { CK_HOLD_TICKS, "hold_ticks", offsetof(struct xmm_iommu_stats, hold_ticks) },
        { CK_STALL_TICKS, "stall_ticks", offsetof(struct xmm_iommu_stats, stall_ticks) },
        { CK_PENDING, "pending", offsetof(struct xmm_iommu_stats, pending) },
    };
    xmm_domid_t dom = (xmm_domid_t)a[CK_IOMMU_DOM].u;
    struct xmm_iommu_stats st;
    int rc = xmm_iommu_stats(x->w, dom, &st);

    if (rc != 0) {
        ck_fail(o, "iommu of d%u: %s", (unsigned)dom, xmm_strerror(rc));
        return;
    }
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint64_t got;

        memcpy(&got, (const char *)&st + f[i].off, sizeof(got));
        if (a[f[i].row].present && got != a[f[i].row].u)
            ck_fail(o, "iommu of d%u %s: expected %" PRIu64 ", got %" PRIu64, (unsigned)dom,
                    f[i].name, a[f[i].row].u, got);
    }
}

/* check: dispatch on the one subject the loader allowed; rc is always 0. */
int sim_exec_check(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    uint64_t free_pages;

    o->msg[0] = '\0';
    if (a[CK_DOMAIN].present) {
        ck_domain(x, a, o);
    } else if (a[CK_FRAME].present) {
        ck_frame(x, a, o);
    } else if (a[CK_P2M].present) {
        ck_p2m(x, a, o);
    } else if (a[CK_FREE_PAGES].present) {
        free_pages = xmm_heap_free_pages(x->w);
        if (free_pages != a[CK_FREE_PAGES].u)
            ck_fail(o, "free_pages: expected %" PRIu64 ", got %" PRIu64, a[CK_FREE_PAGES].u,
                    free_pages);
    } else if (a[CK_VIOLATIONS].present) {
        ck_violations(x, a, o);
    } else if (a[CK_MPU].present) {
        sim_check_mpu(x, a, o);
    } else if (a[CK_SHARES].present || a[CK_MPU].present) {
        ck_count(x, a, o);
    } else if (a[CK_IOMMU].present) {
        ck_iommu(x, a, o);
    } else {
        ck_fail(o, "check subject not supported by this build");
    }
    return 0;
}

/* show: the subject's state in words, no assertion. */
int sim_exec_show(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    if (a[SH_FRAME].present) {
        xmm_mfn_t mfn = xmm_mfn(a[SH_FRAME].u);

        if (a[SH_FRAME].kind == SIM_V_MAP) {
            struct xmm_p2m_entry e;

            if (xmm_p2m_lookup(x->w, (xmm_domid_t)a[SH_FRAME_DOM].u,
                               xmm_gfn(a[SH_FRAME_GFN].u), &e) != 0)
                mfn = XMM_INVALID_MFN;
            else
                mfn = e.mfn;
        }
        if (xmm_mfn_eq(mfn, XMM_INVALID_MFN)) {
            sim_show_p2m(x->w, (xmm_domid_t)a[SH_FRAME_DOM].u, a[SH_FRAME_GFN].u, lines);
        } else {
            sim_show_frame(x->w, mfn, lines);
            o->has_frame = xmm_world_mfn_is_ram(x->w, mfn);
            o->frame = xmm_mfn_x(mfn);
        }
    } else if (a[SH_DOMAIN].present) {
        sim_show_domain(x->w, (xmm_domid_t)a[SH_DOMAIN].u, lines);
    } else if (a[SH_P2M].present) {
        sim_show_p2m(x->w, (xmm_domid_t)a[SH_P2M_DOM].u, a[SH_P2M_GFN].u, lines);
    } else if (a[SH_SHARE].present) {
        sim_show_share(x->w, (xmm_ffa_handle_t)a[SH_SHARE].u, lines);
    } else if (a[SH_DEVICE].present) {
        sim_show_device(x->w, a[SH_DEVICE].s, lines);
    }
    g_ptr_array_add(lines, NULL);
    o->show = g_strjoinv("\n", (char **)lines->pdata);
    g_ptr_array_free(lines, TRUE);
    return 0;
}
