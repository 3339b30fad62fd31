/*
 * The hostile-argument matrix, generated from the op table (sim/ops.c):
 * every op x every row x every class of bad value that applies to the
 * row's type, in a world where each class means something (running,
 * dying, zombie and gone domains, grants, handles, an MMIO mapping, a safe
 * range, an FF-A share, an assigned device).  Each cell calls the op's
 * exec with the row's value replaced and every other row at a plausible
 * value, and requires an error code of the op's family (the documented one
 * where the class has one: `documented`), an unchanged digest and a
 * non-empty reason (xmm_world_last_error, CELL_REASON below).  A cell the
 * model may accept on purpose is in `accepted` with the reason: it may
 * succeed, and if it fails it is judged like the others.  A new op or row
 * is in the matrix by construction: its rows' types decide its cells.
 *
 * Each cell runs in a fresh copy of the world.  Prints every cell that
 * failed and the count of cells tried; exit 1 on any failure.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"
#include "run.h"
#include "scenario.h"

/*
 * The world: d0 dom0, d1 and d2 running (d1 with a given safe range), d3
 * dying (a teardown stopped by its budget), d4 a zombie (d2 maps one of
 * its pages), d5 gone.  d2 grant-maps d1's ref 8 (handle $h) and unmapped
 * a second one (stale handle $old); d1 shares a page with SP 0x8001 ($s);
 * nic0 is d1's.
 */
static const char world_yaml[] =
    "name: hostile-matrix\n"
    "world:\n"
    "  ram: 64MiB\n"
    "  mmio: [{base: 0x9000, pages: 16, name: uart}]\n"
    "  policy: {safe_range: toolstack}\n"
    "  limits: {destroy_retries: 1}\n"
    "  checks: off\n"
    "  spmc:\n"
    "    partitions:\n"
    "      - {id: 0x8001}\n"
    "  iommu:\n"
    "    devices:\n"
    "      - {id: nic0}\n"
    "steps:\n"
    "  - domain_create: {dom: 0, max_pages: 256}\n"
    "  - domain_create: {dom: 1, max_pages: 256, ffa: true, safe_range: {gfn: 0x80000, pages: "
    "0x1000}}\n"
    "  - domain_create: {dom: 2, max_pages: 256}\n"
    "  - domain_create: {dom: 3, max_pages: 4096}\n"
    "  - domain_create: {dom: 4, max_pages: 64}\n"
    "  - domain_create: {dom: 5, max_pages: 64}\n"
    "  - populate: {dom: 1, gfn: 0x100, pages: 16}\n"
    "  - populate: {dom: 2, gfn: 0x300, pages: 16}\n"
    "  - populate: {dom: 3, gfn: 0x1000, pages: 2048}\n"
    "  - populate: {dom: 4, gfn: 0x100, pages: 4}\n"
    "  - map_mmio: {dom: 1, gfn: 0x9000, mfn: 0x9000, pages: 1}\n"
    "  - grant: {dom: 1, ref: 8, to: 2, gfn: 0x100}\n"
    "  - grant: {dom: 1, ref: 9, to: 2, gfn: 0x101}\n"
    "  - grant_map: {dom: 2, from: 1, ref: 8, gfn: 0x80010}\n"
    "    as: h\n"
    "  - grant_map: {dom: 2, from: 1, ref: 9, gfn: 0x80011}\n"
    "    as: old\n"
    "  - grant_unmap: {dom: 2, handle: $old}\n"
    "  - ffa_share: {dom: 1, gfn: 0x102, pages: 1, sp: 0x8001}\n"
    "    as: s\n"
    "  - iommu_assign: {dom: 1, dev: nic0}\n"
    "  - map_foreign: {dom: 2, gfn: 0x80020, from: 4, from_gfn: 0x100}\n"
    "  - domain_destroy: {dom: 4}\n"
    "  - domain_destroy: {dom: 5}\n"
    "  - domain_destroy: {dom: 3}\n"
    "    expect: ERESTART\n";

/* A refusal leaves a reason naming the object and the rule (xmm_world_last_error). */
#define CELL_REASON(w) (xmm_world_last_error(w)[0] != '\0')

enum cls {
    C_DOM_UNKNOWN, C_DOM_DYING, C_DOM_ZOMBIE, C_DOM_GONE, C_DOM_SELF,
    C_GFN_RANGE, C_GFN_UNMAPPED, C_GFN_OTHERS, C_GFN_MMIO, C_GFN_SAFE,
    C_MFN_RAM, C_MFN_RANGE,
    C_PAGES_ZERO, C_PAGES_HUGE, C_PAGES_WRAP,
    C_HANDLE_NEVER, C_HANDLE_STALE, C_HANDLE_FOREIGN,
    C_SP_UNKNOWN, C_DEV_UNKNOWN, C_U32_HUGE,
    C_COUNT
};

static const char *const cls_name[C_COUNT] = {
    "domid unknown", "domid dying", "domid zombie", "domid gone", "domid self",
    "gfn out of range", "gfn unmapped", "gfn of another domain", "gfn MMIO", "gfn in safe range",
    "mfn RAM", "mfn out of range",
    "pages 0", "pages huge", "pages overflowing",
    "handle never issued", "handle stale", "handle foreign",
    "sp unknown", "device unknown", "u32 huge",
};

/* Cells the model accepts on purpose: op, row key, class, why. */
static const struct {
    const char *op, *row;
    enum cls c;
    const char *why;
} accepted[] = {
    { "domain_create", "dom", C_DOM_UNKNOWN, "creates it" },
    { "domain_create", "dom", C_DOM_GONE, "the id is free again" },
    { "domain_create", "max_pages", C_PAGES_ZERO, "a domain may own nothing" },
    { "domain_create", "max_pages", C_PAGES_HUGE, "a limit, not an allocation" },
    { "domain_create", "max_pages", C_PAGES_WRAP, "a limit, not an allocation" },
    { "domain_destroy", "dom", C_DOM_DYING, "the toolstack calls again: teardown goes on" },
    { "populate", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "populate", "gfn", C_GFN_OTHERS, "a free destination in d1: the call succeeds" },
    { "map_mmio", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "map_mmio", "gfn", C_GFN_OTHERS, "a free destination in d1: the call succeeds" },
    { "map_grant_frame", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "map_grant_frame", "gfn", C_GFN_OTHERS, "a free destination in d1: the call succeeds" },
    { "map_shared_info", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "map_shared_info", "gfn", C_GFN_OTHERS, "a free destination in d1: the call succeeds" },
    { "map_foreign", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "map_foreign", "gfn", C_GFN_OTHERS, "a free destination in d1: the call succeeds" },
    { "grant_map", "gfn", C_GFN_UNMAPPED, "a free destination: the call succeeds" },
    { "grant_map", "gfn", C_GFN_OTHERS, "a free destination in d2: the call succeeds" },
    { "grant_map", "gfn", C_GFN_SAFE, "grant mappings belong in the safe range" },
    { "grant_unmap", "gfn", C_GFN_UNMAPPED,
      "Arm's unmap at an empty host gfn drops the handle (semantics.md: candidate upstream "
      "issue)" },
    { "evtchn_send", "to", C_DOM_SELF, "a loopback event is allowed" },
    { "map_grant_frame", "gfn", C_GFN_MMIO,
      "XENMAPSPACE replaces what is at gfn (Arm p2m_set_entry); only a grant mapping is kept" },
    { "map_shared_info", "gfn", C_GFN_MMIO,
      "XENMAPSPACE replaces what is at gfn (Arm p2m_set_entry); only a grant mapping is kept" },
    { "map_grant_frame", "gfn", C_GFN_SAFE, "an ABI frame (Xen's xenheap page) may sit there" },
    { "map_shared_info", "gfn", C_GFN_SAFE, "an ABI frame (Xen's xenheap page) may sit there" },
    { "grant_unmap", "gfn", C_GFN_MMIO,
      "Arm's unmap removes what is at the host gfn (semantics.md: candidate upstream issue)" },
    { "grant_unmap", "gfn", C_GFN_SAFE, "nothing mapped there: as gfn unmapped" },
    { "map_foreign", "gfn", C_GFN_SAFE, "foreign mappings belong in the safe range" },
    { "export_dt", "dom", C_DOM_DYING, "the toolstack reads the model (no hypercall)" },
    { "export_dt", "dom", C_DOM_ZOMBIE, "the toolstack reads the model (no hypercall)" },
    { "domain_destroy", "dom", C_DOM_ZOMBIE, "xl destroy of a zombie retries its teardown" },
    { "grant", "gfn", C_GFN_UNMAPPED, "a guest writes any gfn in its entry; map checks it" },
    { "grant", "gfn", C_GFN_OTHERS, "a guest writes any gfn in its entry; map checks it" },
    { "grant", "gfn", C_GFN_MMIO, "a guest writes any gfn in its entry; map checks it" },
    { "grant", "gfn", C_GFN_SAFE, "a guest writes any gfn in its entry; map checks it" },
    { "grant", "to", C_DOM_UNKNOWN, "a guest may name any domain in its entry" },
    { "grant", "to", C_DOM_DYING, "a guest may name any domain in its entry" },
    { "grant", "to", C_DOM_ZOMBIE, "a guest may name any domain in its entry" },
    { "grant", "to", C_DOM_GONE, "a guest may name any domain in its entry" },
    { "grant", "to", C_DOM_SELF, "a guest may name any domain in its entry" },
    { "grant", "ref", C_U32_HUGE, "never reached: the row value is clipped" },
    { "lookup", "gfn", C_GFN_OTHERS, "reads the entry: none, ENOENT" },
    { "lookup", "gfn", C_GFN_MMIO, "reads the MMIO entry" },
    { "dma", "gfn", C_GFN_MMIO, "the device reaches what the P2M maps" },
    { "query_unallocated", "dom", C_DOM_UNKNOWN, "policy toolstack: ENOSYS first" },
};

struct mx {
    const struct sim_scenario *sc;
    uint64_t h, old, s; /* handles bound by the setup */
    unsigned cells, failed, ok_accepted;
    unsigned target, seen; /* the cell this run tries; cells enumerated so far */
};

/*
 * The documented code, where a class has one (include/xmm headers): an unknown
 * or gone domain is ESRCH (query_unallocated: ENOSYS first outside policy
 * query), GNTST_general_error for the caller of a grant op and
 * GNTST_bad_domain for the granter, FFA_RET_INVALID_PARAMETERS; a bad
 * handle GNTST_bad_handle or FFA_RET_INVALID_PARAMETERS, an unknown SP the
 * latter; a gfn past 2^36 EINVAL (grant_map: GNTST_bad_virt_addr,
 * grant_unmap: GNTST_general_error, ffa_share: FFA_RET_DENIED); 0 pages
 * EINVAL or FFA_RET_INVALID_PARAMETERS.  Other classes: any error.
 */
static bool documented(const struct sim_op *op, const char *row, enum cls c, int rc)
{
    bool errno_fam = op->family == XMM_RC_ERRNO, gnt = op->family == XMM_RC_GNTST;

    switch (c) {
    case C_DOM_UNKNOWN:
    case C_DOM_GONE:
        if (strcmp(op->name, "query_unallocated") == 0)
            return rc == -XMM_ENOSYS;
        if (errno_fam)
            return rc == -XMM_ESRCH;
        if (gnt)
            return rc == (strcmp(row, "from") == 0 ? XMM_GNTST_bad_domain
                                                   : XMM_GNTST_general_error);
        return rc == XMM_FFA_RET_INVALID_PARAMETERS;
    case C_HANDLE_NEVER:
    case C_HANDLE_STALE:
    case C_HANDLE_FOREIGN:
        return rc == (gnt ? XMM_GNTST_bad_handle : XMM_FFA_RET_INVALID_PARAMETERS);
    case C_SP_UNKNOWN:
        return rc == XMM_FFA_RET_INVALID_PARAMETERS;
    case C_GFN_RANGE:
        if (strcmp(op->name, "grant_map") == 0)
            return rc == XMM_GNTST_bad_virt_addr;
        if (strcmp(op->name, "grant_unmap") == 0)
            return rc == XMM_GNTST_general_error;
        return rc == (errno_fam ? -XMM_EINVAL : XMM_FFA_RET_DENIED);
    case C_PAGES_ZERO:
        return rc == (errno_fam ? -XMM_EINVAL : XMM_FFA_RET_INVALID_PARAMETERS);
    default:
        return true;
    }
}

static bool is_accepted(const char *op, const char *row, enum cls c)
{
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
        if (strcmp(accepted[i].op, op) == 0 && strcmp(accepted[i].row, row) == 0 &&
            accepted[i].c == c)
            return true;
    return false;
}

/* Classes that apply to a row of type t (and key). */
static bool applies(const struct sim_arg *a, enum cls c)
{
    switch (a->type) {
    case SIM_T_DOMID:
        return c <= C_DOM_SELF && (c != C_DOM_SELF || strcmp(a->key, "dom") != 0);
    case SIM_T_GFN:
        return c >= C_GFN_RANGE && c <= C_GFN_SAFE;
    case SIM_T_MFN:
        return c == C_MFN_RAM || c == C_MFN_RANGE;
    case SIM_T_PAGES:
        return c >= C_PAGES_ZERO && c <= C_PAGES_WRAP;
    case SIM_T_HANDLE:
        return c >= C_HANDLE_NEVER && c <= C_HANDLE_FOREIGN;
    case SIM_T_SP:
        return c == C_SP_UNKNOWN;
    case SIM_T_DEVICE:
        return c == C_DEV_UNKNOWN;
    case SIM_T_U32:
        return c == C_U32_HUGE;
    default:
        return false;
    }
}

/* A plausible value for a row: d1 acts on its own page, d2 is the other side. */
static void plausible(const struct mx *m, const struct sim_op *op, size_t i, struct sim_res *r)
{
    const struct sim_arg *a = &op->args[i];

    memset(r, 0, sizeof(*r));
    r->present = true;
    r->kind = SIM_V_INT;
    switch (a->type) {
    case SIM_T_DOMID:
        r->u = strcmp(a->key, "dom") == 0 ? 1 : 2;
        if (strcmp(op->name, "grant_map") == 0 || strcmp(op->name, "grant_unmap") == 0)
            r->u = strcmp(a->key, "dom") == 0 ? 2 : 1;
        if (strcmp(op->name, "domain_create") == 0)
            r->u = 6; /* a free id */
        break;
    case SIM_T_GFN:
        r->u = 0x103;
        if (strcmp(op->name, "grant_map") == 0 || strcmp(op->name, "map_foreign") == 0)
            r->u = strcmp(a->key, "gfn") == 0 ? 0x80030 : 0x303; /* from_gfn: d2's page */
        break;
    case SIM_T_MFN:
        r->u = 0x9001;
        break;
    case SIM_T_PAGES:
        r->u = 1;
        break;
    case SIM_T_HANDLE:
        r->u = strcmp(op->name, "grant_unmap") == 0 ? m->h : m->s;
        break;
    case SIM_T_SP:
        r->u = 0x8001;
        break;
    case SIM_T_DEVICE:
        r->kind = SIM_V_STR;
        r->s = "nic0";
        break;
    case SIM_T_PATH:
        r->kind = SIM_V_STR;
        r->s = "hostile-matrix.dtb";
        break;
    case SIM_T_U32:
        /* ref: 8 is granted and mapped; `grant` fills a free one */
        r->u = a->has_def ? a->def : 0;
        if (strcmp(a->key, "ref") == 0)
            r->u = strcmp(op->name, "grant") == 0 ? 10 : 8;
        break;
    case SIM_T_NESTED:
    case SIM_T_ENUM:
    case SIM_T_BOOL:
        r->kind = a->type == SIM_T_BOOL ? SIM_V_INT : SIM_V_ENUM;
        r->u = a->def;
        r->present = a->has_def;
        break;
    default:
        r->u = a->def;
        break;
    }
}

/* The bad value of class c for a row. */
static void bad_value(const struct mx *m, const struct sim_op *op, size_t row,
                      const struct sim_res *args, enum cls c, struct sim_res *r)
{
    int dom_row = sim_op_arg(op, "dom", -1);

    r->kind = SIM_V_INT;
    r->present = true;
    switch (c) {
    case C_DOM_UNKNOWN: r->u = 7; break;
    case C_DOM_DYING: r->u = 3; break;
    case C_DOM_ZOMBIE: r->u = 4; break;
    case C_DOM_GONE: r->u = 5; break;
    case C_DOM_SELF: r->u = dom_row >= 0 ? args[dom_row].u : 1; break;
    case C_GFN_RANGE: r->u = UINT64_C(1) << 36; break;
    case C_GFN_UNMAPPED: r->u = 0x7000; break;
    case C_GFN_OTHERS: /* a page of the other side, nothing of this row's domain there */
        r->u = strcmp(op->args[row].key, "from_gfn") == 0 ? 0x105 : 0x305;
        break;
    case C_GFN_MMIO: r->u = 0x9000; break;
    case C_GFN_SAFE: r->u = 0x80100; break;
    case C_MFN_RAM: r->u = 0x40000; break;
    case C_MFN_RANGE: r->u = UINT64_C(1) << 36; break;
    case C_PAGES_ZERO: r->u = 0; break;
    case C_PAGES_HUGE: r->u = UINT64_C(1) << 36; break;
    case C_PAGES_WRAP: r->u = UINT64_MAX; break;
    case C_HANDLE_NEVER: r->u = 0xdead; break;
    case C_HANDLE_STALE: r->u = strcmp(op->name, "grant_unmap") == 0 ? m->old : 0x7000; break;
    case C_HANDLE_FOREIGN: r->u = strcmp(op->name, "grant_unmap") == 0 ? m->s : m->h; break;
    case C_SP_UNKNOWN: r->u = 0x8fff; break;
    case C_DEV_UNKNOWN: r->kind = SIM_V_STR; r->s = "nic9"; break;
    case C_U32_HUGE: r->u = UINT32_MAX; break;
    default: break;
    }
}

static void run_cell(struct mx *m, struct xmm_world *w, const struct sim_op *op, size_t row,
                     enum cls c)
{
    struct sim_exec x = { .w = w, .sc = m->sc, .out_dir = "." };
    struct sim_res args[SIM_MAX_ARGS];
    struct sim_exec_out out;
    uint64_t before = xmm_world_digest(w);
    bool ok;
    int rc;

    for (size_t i = 0; i < op->arg_count; i++)
        plausible(m, op, i, &args[i]);
    bad_value(m, op, row, args, c, &args[row]);
    memset(&out, 0, sizeof(out));
    rc = op->exec(&x, args, &out);
    m->cells++;
    /*
     * An accepted cell may succeed; if it fails, it must fail cleanly like
     * any other (but domain_destroy of a dying domain makes progress even
     * when its kill calls run out: ERESTART).
     */
    if (is_accepted(op->name, op->args[row].key, c) &&
        (rc == 0 || strcmp(op->name, "domain_destroy") == 0)) {
        m->ok_accepted++;
        return;
    }
    ok = rc != 0 && xmm_world_digest(w) == before && documented(op, op->args[row].key, c, rc) &&
         CELL_REASON(w);
    if (getenv("MATRIX_DUMP"))
        printf("CELL %s.%s %s -> %s\n", op->name, op->args[row].key, cls_name[c],
               xmm_rc_name(op->family, rc));
    if (!ok) {
        m->failed++;
        printf("FAIL %s.%s = %s: %s%s%s\n", op->name, op->args[row].key, cls_name[c],
               xmm_rc_name(op->family, rc),
               xmm_world_digest(w) != before ? ", digest changed" : "",
               rc && !CELL_REASON(w) ? ", no reason" : "");
    }
}

/* Ops with nothing to attack (their rows are not guest-controlled handles). */
static bool skipped(const struct sim_op *op)
{
    return !op->exec || op->no_expect || strcmp(op->name, "advance") == 0 ||
           strcmp(op->name, "fail_alloc") == 0;
}

static bool matrix(void *ctx, const struct sim_step_event *ev)
{
    struct mx *m = ctx;

    if (ev->number != m->sc->step_count)
        return false;
    /* The states the classes need, or the cells would test nothing. */
    if (xmm_domain_state(ev->w, 3) != XMM_DOMAIN_DYING ||
        xmm_domain_state(ev->w, 4) != XMM_DOMAIN_ZOMBIE ||
        xmm_domain_state(ev->w, 5) != XMM_DOMAIN_GONE ||
        xmm_domain_state(ev->w, 7) != XMM_DOMAIN_GONE) {
        printf("setup: d3 dying, d4 zombie, d5 and d7 gone expected\n");
        m->failed++;
        m->seen = m->target + 1;
        return false;
    }
    for (size_t k = 0; k < sim_op_count; k++) {
        const struct sim_op *op = &sim_ops[k];

        if (skipped(op))
            continue;
        for (size_t row = 0; row < op->arg_count; row++)
            for (int c = 0; c < C_COUNT; c++)
                if (op->args[row].parent < 0 && applies(&op->args[row], (enum cls)c) &&
                    m->seen++ == m->target)
                    run_cell(m, ev->w, op, row, (enum cls)c);
    }
    return false;
}

int main(void)
{
    struct sim_scenario *sc;
    struct sim_error err;
    struct mx m;
    struct sim_run_hooks h = { .after_step = matrix };
    struct sim_run_opts o = { .check_override = -1, .out_dir = ".", .hooks = &h };
    struct sim_result res;

    memset(&m, 0, sizeof(m));
    if (sim_load_buffer("hostile-matrix.yaml", world_yaml, strlen(world_yaml), &sc, &err) != 0) {
        printf("setup does not load: %u:%u: %s\n", (unsigned)err.line, (unsigned)err.col,
               err.msg);
        return 1;
    }
    m.sc = sc;
    /* Handles are issued deterministically: grant handles from 0, FF-A from 0x1000. */
    m.h = 0;
    m.old = 1;
    m.s = 0x1000;
    h.ctx = &m;
    /* One fresh world per cell: a cell that changes the world cannot mislead the next. */
    for (m.target = 0; m.target == 0 || m.target < m.seen; m.target++) {
        m.seen = 0;
        if (sim_run(sc, &o, NULL, NULL, &res) != 0) {
            printf("setup fails: %s: %s\n", res.where ? res.where : "?",
                   res.what ? res.what : "?");
            return 1;
        }
        sim_result_clear(&res);
    }
    sim_scenario_free(sc);
    printf("hostile-argument matrix: %u cells, %u accepted on purpose, %u failed\n", m.cells,
           m.ok_accepted, m.failed);
    return m.failed ? 1 : 0;
}
