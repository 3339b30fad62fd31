/*
 * xmm-sim - the op table (see ops.h).  Everything the loader, runner and
 * docs know about an op is written here, once.
 */
#include "ops.h"

#include <string.h>

#include "exec.h"

/* --- row builders -------------------------------------------------------- */

#define ROW_REQ(k, t, d) \
    { .key = (k), .type = (t), .flags = SIM_ARG_REQUIRED, .parent = -1, .doc = (d) }
#define ROW_DOM(k, d) ROW_REQ(k, SIM_T_DOMID, d)
#define ROW_GFN(k, d) ROW_REQ(k, SIM_T_GFN, d)
#define ROW_MFN(k, d) ROW_REQ(k, SIM_T_MFN, d)
#define ROW_HANDLE(k, d) ROW_REQ(k, SIM_T_HANDLE, d)
#define ROW_SP(k, d) ROW_REQ(k, SIM_T_SP, d)
#define ROW_DEV(k, d) ROW_REQ(k, SIM_T_DEVICE, d)
#define ROW_PAGES(k, lo, d)                                                              \
    { .key = (k), .type = SIM_T_PAGES, .flags = SIM_ARG_REQUIRED, .parent = -1, .min = (lo), \
      .max = XMM_FRAME_LIMIT, .doc = (d) }
#define ROW_U32(k, d)                                                                   \
    { .key = (k), .type = SIM_T_U32, .flags = SIM_ARG_REQUIRED, .parent = -1, .min = 0,  \
      .max = UINT32_MAX, .doc = (d) }
#define ROW_U32_DEF(k, dv, d)                                                          \
    { .key = (k), .type = SIM_T_U32, .parent = -1, .min = 0, .max = UINT32_MAX,       \
      .has_def = true, .def = (dv), .doc = (d) }
#define ROW_BOOL(k, dv, d) \
    { .key = (k), .type = SIM_T_BOOL, .parent = -1, .has_def = true, .def = (dv), .doc = (d) }
#define ROW_CHILD(k, t, p, lo, hi, d) \
    { .key = (k), .type = (t), .flags = SIM_ARG_REQUIRED, .parent = (p), .min = (lo), .max = (hi), \
      .doc = (d) }
#define ROW_OPT(k, t, lo, hi, d) \
    { .key = (k), .type = (t), .parent = -1, .min = (lo), .max = (hi), .doc = (d) }

#define OP_ROWS(rows) .args = (rows), .arg_count = sizeof(rows) / sizeof((rows)[0])

/* A step's values and resolved arguments are arrays of SIM_MAX_ARGS. */
_Static_assert(CK_ROWS <= SIM_MAX_ARGS, "check has more rows than SIM_MAX_ARGS");
_Static_assert(DC_ROWS <= SIM_MAX_ARGS, "domain_create has more rows than SIM_MAX_ARGS");

static const char *const safe_range_alts[] = { "auto", "none", NULL };
static const char *const owner_names[] = { "xen", "park", "free", NULL };
const char *const sim_domain_states[] = { "gone", "running", "dying", "zombie", NULL };

/* --- rows of each op ----------------------------------------------------- */

static const struct sim_arg advance_rows[ADV_ROWS] = {
    [ADV_TICKS] = { .key = "ticks", .type = SIM_T_U64, .flags = SIM_ARG_REQUIRED, .parent = -1,
                    .min = 0, .max = SIM_MAX_TICKS, .doc = "ticks to advance the clock by" },
};

static const struct sim_arg domain_create_rows[DC_ROWS] = {
    [DC_DOM] = ROW_DOM("dom", "id of the new domain"),
    [DC_MAX_PAGES] = ROW_PAGES("max_pages", 0, "allocation limit (pages or size)"),
    [DC_DIRECT_MAP] = ROW_BOOL("direct_map", 0, "gfn == mfn (Armv8-R, dom0less direct map)"),
    [DC_FFA] = ROW_BOOL("ffa", 0, "give the domain an FF-A mediator context"),
    [DC_GRANT_FRAMES] = ROW_U32_DEF("grant_frames", 64, "max grant-table frames"),
    [DC_MAPTRACK_FRAMES] = ROW_U32_DEF("maptrack_frames", 1024, "max maptrack frames"),
    [DC_SAFE_RANGE] = { .key = "safe_range", .type = SIM_T_NESTED, .parent = -1,
                        .has_def = true, .def = SIM_SR_AUTO, .values = safe_range_alts,
                        .doc = "`auto`, `none` or `{gfn, pages}`; used under policy "
                               "safe_range: toolstack" },
    [DC_SR_GFN] = ROW_CHILD("gfn", SIM_T_GFN, DC_SAFE_RANGE, 0, 0, "first gfn of the safe range"),
    [DC_SR_PAGES] = ROW_CHILD("pages", SIM_T_PAGES, DC_SAFE_RANGE, 1, XMM_FRAME_LIMIT,
                              "size of the safe range"),
};

static const struct sim_arg populate_rows[POP_ROWS] = {
    [POP_DOM] = ROW_DOM("dom", "domain"),
    [POP_GFN] = ROW_OPT("gfn", SIM_T_GFN, 0, 0,
                        "first gfn; omit for a direct-mapped domain (the host range is chosen)"),
    [POP_PAGES] = ROW_PAGES("pages", 1, "number of pages (or size)"),
};

static const struct sim_arg decrease_rows[DEC_ROWS] = {
    [DEC_DOM] = ROW_DOM("dom", "domain"),
    [DEC_GFN] = ROW_GFN("gfn", "first gfn"),
    [DEC_PAGES] = ROW_PAGES("pages", 1, "number of pages (or size)"),
};

static const struct sim_arg domain_destroy_rows[DD_ROWS] = {
    [DD_DOM] = ROW_DOM("dom", "domain to destroy"),
};

static const struct sim_arg map_foreign_rows[MF_ROWS] = {
    [MF_DOM] = ROW_DOM("dom", "mapping domain"),
    [MF_GFN] = ROW_GFN("gfn", "where in dom's P2M"),
    [MF_FROM] = ROW_DOM("from", "domain whose page is mapped"),
    [MF_FROM_GFN] = ROW_GFN("from_gfn", "gfn of that page in from's P2M"),
};

static const struct sim_arg map_mmio_rows[MM_ROWS] = {
    [MM_DOM] = ROW_DOM("dom", "domain"),
    [MM_GFN] = ROW_GFN("gfn", "first gfn"),
    [MM_MFN] = ROW_MFN("mfn", "first host frame (inside a world.mmio region)"),
    [MM_PAGES] = ROW_PAGES("pages", 1, "number of pages (or size)"),
};

static const struct sim_arg map_grant_frame_rows[MG_ROWS] = {
    [MG_DOM] = ROW_DOM("dom", "domain"),
    [MG_IDX] = ROW_U32("idx", "grant-table frame index"),
    [MG_GFN] = ROW_GFN("gfn", "where to map it"),
};

static const struct sim_arg map_shared_info_rows[MS_ROWS] = {
    [MS_DOM] = ROW_DOM("dom", "domain"),
    [MS_GFN] = ROW_GFN("gfn", "where to map (or the guest page to register)"),
};

static const struct sim_arg register_vcpu_info_rows[RV_ROWS] = {
    [RV_DOM] = ROW_DOM("dom", "domain"),
    [RV_VCPU] = { .key = "vcpu", .type = SIM_T_U32, .parent = -1, .min = 0,
                  .max = XMM_VCPUS_MAX - 1, .has_def = true, .def = 0, .doc = "vCPU" },
    [RV_GFN] = ROW_GFN("gfn", "the guest's RAM page that becomes the vcpu_info"),
};

static const struct sim_arg evtchn_send_rows[ES_ROWS] = {
    [ES_DOM] = ROW_DOM("dom", "sending domain"),
    [ES_TO] = ROW_DOM("to", "domain notified"),
    [ES_VCPU] = { .key = "vcpu", .type = SIM_T_U32, .parent = -1, .min = 0,
                  .max = XMM_VCPUS_MAX - 1, .has_def = true, .def = 0,
                  .doc = "vCPU of `to` whose vcpu_info is written" },
};

static const struct sim_arg remove_physmap_rows[RP_ROWS] = {
    [RP_DOM] = ROW_DOM("dom", "domain"),
    [RP_GFN] = ROW_GFN("gfn", "entry to remove"),
};

static const struct sim_arg lookup_rows[LK_ROWS] = {
    [LK_DOM] = ROW_DOM("dom", "domain"),
    [LK_GFN] = ROW_GFN("gfn", "entry to read"),
};

static const struct sim_arg grant_rows[GR_ROWS] = {
    [GR_DOM] = ROW_DOM("dom", "granting domain"),
    [GR_REF] = ROW_U32("ref", "grant reference"),
    [GR_TO] = ROW_DOM("to", "grantee"),
    [GR_GFN] = ROW_GFN("gfn", "granted page"),
    [GR_READONLY] = ROW_BOOL("readonly", 0, "read-only grant"),
};

static const struct sim_arg grant_end_rows[GE_ROWS] = {
    [GE_DOM] = ROW_DOM("dom", "granting domain"),
    [GE_REF] = ROW_U32("ref", "grant reference"),
};

static const struct sim_arg grant_map_rows[GM_ROWS] = {
    [GM_DOM] = ROW_DOM("dom", "mapping domain"),
    [GM_FROM] = ROW_DOM("from", "granting domain"),
    [GM_REF] = ROW_U32("ref", "grant reference"),
    [GM_GFN] = ROW_GFN("gfn", "where in dom's P2M"),
    [GM_READONLY] = ROW_BOOL("readonly", 0, "map read-only"),
};

static const struct sim_arg grant_unmap_rows[GU_ROWS] = {
    [GU_DOM] = ROW_DOM("dom", "mapping domain"),
    [GU_HANDLE] = ROW_HANDLE("handle", "handle from grant_map"),
    [GU_GFN] = ROW_OPT("gfn", SIM_T_GFN, 0, 0,
                       "host gfn the guest names (Xen's host_addr); omit for the gfn it mapped "
                       "at; 0 undoes nothing"),
};

static const struct sim_arg ffa_share_rows[FS_ROWS] = {
    [FS_DOM] = ROW_DOM("dom", "sharing domain"),
    [FS_GFN] = ROW_GFN("gfn", "first gfn"),
    [FS_PAGES] = ROW_PAGES("pages", 1, "number of pages (or size)"),
    [FS_SP] = ROW_SP("sp", "partition id (world.spmc)"),
};

static const struct sim_arg ffa_reclaim_rows[FR_ROWS] = {
    [FR_DOM] = ROW_DOM("dom", "sharing domain"),
    [FR_HANDLE] = ROW_HANDLE("handle", "handle from ffa_share"),
};

static const struct sim_arg sp_handle_rows[SPH_ROWS] = {
    [SPH_SP] = ROW_SP("sp", "partition id"),
    [SPH_HANDLE] = ROW_HANDLE("handle", "handle from ffa_share"),
};

static const struct sim_arg sp_access_rows[SA_ROWS] = {
    [SA_SP] = ROW_SP("sp", "partition id"),
    [SA_HANDLE] = ROW_HANDLE("handle", "handle from ffa_share"),
    [SA_PAGE] = { .key = "page", .type = SIM_T_U32, .parent = -1, .min = 0,
                  .max = UINT32_MAX, .has_def = true, .def = 0,
                  .doc = "page index inside the share" },
    [SA_WRITE] = ROW_BOOL("write", 1, "write access"),
};

static const struct sim_arg iommu_assign_rows[IA_ROWS] = {
    [IA_DOM] = ROW_DOM("dom", "domain"),
    [IA_DEV] = ROW_DEV("dev", "device id (world.iommu.devices)"),
};

static const struct sim_arg dma_rows[DMA_ROWS] = {
    [DMA_DEV] = ROW_DEV("dev", "device id"),
    [DMA_GFN] = ROW_GFN("gfn", "guest frame the device accesses"),
    [DMA_WRITE] = ROW_BOOL("write", 1, "write access"),
};

static const struct sim_arg query_unallocated_rows[QU_ROWS] = {
    [QU_DOM] = ROW_DOM("dom", "domain"),
};

static const struct sim_arg export_dt_rows[DT_ROWS] = {
    [DT_DOM] = ROW_DOM("dom", "domain"),
    [DT_FILE] = ROW_REQ("file", SIM_T_PATH, "output file, relative to --out (no `..`)"),
};

static const struct sim_arg fail_alloc_rows[FA_ROWS] = {
    [FA_AFTER] = { .key = "after", .type = SIM_T_U64, .flags = SIM_ARG_REQUIRED, .parent = -1,
                   .min = 0, .max = UINT32_MAX,
                   .doc = "allocations later steps make successfully before one fails" },
    [FA_STICKY] = ROW_BOOL("sticky", 0, "every allocation after the failing one fails too"),
};

static const struct sim_arg check_rows[CK_ROWS] = {
    [CK_DOMAIN] = ROW_OPT("domain", SIM_T_DOMID, 0, 0, "subject: a domain"),
    [CK_STATE] = { .key = "state", .type = SIM_T_ENUM, .parent = -1, .values = sim_domain_states,
                   .doc = "domain state" },
    [CK_TOT_PAGES] = ROW_OPT("tot_pages", SIM_T_U64, 0, XMM_FRAME_LIMIT, "pages the domain owns"),
    [CK_REFS] = ROW_OPT("refs", SIM_T_U32, 0, UINT32_MAX, "domain references"),
    [CK_FRAME] = { .key = "frame", .type = SIM_T_NESTED, .parent = -1, .int_alt = SIM_T_MFN,
                   .doc = "subject: a frame, by mfn or `{dom, gfn}` (the frame mapped there)" },
    [CK_FRAME_DOM] = ROW_CHILD("dom", SIM_T_DOMID, CK_FRAME, 0, 0, "domain"),
    [CK_FRAME_GFN] = ROW_CHILD("gfn", SIM_T_GFN, CK_FRAME, 0, 0, "gfn"),
    [CK_OWNER] = { .key = "owner", .type = SIM_T_OWNER, .parent = -1, .values = owner_names,
                   .doc = "DOMID, `xen`, `park` or `free`" },
    [CK_REFCOUNT] = ROW_OPT("refcount", SIM_T_U32, 0, UINT32_MAX, "general reference count"),
    [CK_P2M] = { .key = "p2m", .type = SIM_T_NESTED, .parent = -1,
                 .doc = "subject: a P2M entry `{dom, gfn}`" },
    [CK_P2M_DOM] = ROW_CHILD("dom", SIM_T_DOMID, CK_P2M, 0, 0, "domain"),
    [CK_P2M_GFN] = ROW_CHILD("gfn", SIM_T_GFN, CK_P2M, 0, 0, "gfn"),
    [CK_MFN] = ROW_OPT("mfn", SIM_T_MFN, 0, 0, "mapped frame"),
    [CK_TYPE] = { .key = "type", .type = SIM_T_P2M_TYPE, .parent = -1,
                  .doc = "P2M type name (`ram_rw`, `map_foreign_rw` ...) or `absent`" },
    [CK_FREE_PAGES] = ROW_OPT("free_pages", SIM_T_U64, 0, XMM_FRAME_LIMIT,
                              "subject and assertion: free host frames"),
    [CK_SHARES] = { .key = "shares", .type = SIM_T_NESTED, .parent = -1,
                    .doc = "subject: FF-A shares of `{dom}`" },
    [CK_SHARES_DOM] = ROW_CHILD("dom", SIM_T_DOMID, CK_SHARES, 0, 0, "domain"),
    [CK_COUNT] = ROW_OPT("count", SIM_T_U64, 0, UINT32_MAX, "number of shares / MPU regions"),
    [CK_MPU] = { .key = "mpu_regions", .type = SIM_T_NESTED, .parent = -1,
                 .doc = "subject: MPU regions used by `{dom}`" },
    [CK_MPU_DOM] = ROW_CHILD("dom", SIM_T_DOMID, CK_MPU, 0, 0, "domain"),
    [CK_SWITCHES] = ROW_OPT("switches", SIM_T_U64, 0, UINT64_MAX,
                            "cross-domain hypercalls of the domain served by switching EL2 to "
                            "Xen's full view"),
    [CK_TEMP_REGIONS] = ROW_OPT("temp_regions", SIM_T_U64, 0, UINT64_MAX,
                                "temporary MPU regions its cross-domain hypercalls programmed"),
    [CK_REGION_WRITES] = ROW_OPT("region_writes", SIM_T_U64, 0, UINT64_MAX,
                                 "MPU region programmings those cost (both strategies)"),
    [CK_VIOLATIONS] = ROW_OPT("violations", SIM_T_U64, 0, UINT32_MAX,
                              "subject and assertion: violations a full sweep finds now"),
    [CK_IOMMU] = { .key = "iommu", .type = SIM_T_NESTED, .parent = -1,
                   .doc = "subject: the IOMMU counters of `{dom}` (xmm_iommu_stats), charged to "
                          "the domain whose devices cached the entry: a frame held for d1's "
                          "device counts in d1's `held` even when d2 owns it" },
    [CK_IOMMU_DOM] = ROW_CHILD("dom", SIM_T_DOMID, CK_IOMMU, 0, 0, "domain"),
    [CK_HELD] = ROW_OPT("held", SIM_T_U64, 0, XMM_FRAME_LIMIT,
                        "frames held now for pending device-TLB invalidations"),
    [CK_HOLDS] = ROW_OPT("holds", SIM_T_U64, 0, UINT64_MAX, "frames ever held"),
    [CK_HOLD_TICKS] = ROW_OPT("hold_ticks", SIM_T_U64, 0, UINT64_MAX,
                              "ticks frames were held, summed over released holds"),
    [CK_STALL_TICKS] = ROW_OPT("stall_ticks", SIM_T_U64, 0, UINT64_MAX,
                               "guest ticks lost waiting for invalidations"),
    [CK_PENDING] = ROW_OPT("pending", SIM_T_U64, 0, UINT64_MAX,
                           "invalidations requested and not completed"),
};

static const struct sim_arg show_rows[SH_ROWS] = {
    [SH_FRAME] = { .key = "frame", .type = SIM_T_NESTED, .parent = -1, .int_alt = SIM_T_MFN,
                   .doc = "subject: a frame, by mfn or `{dom, gfn}` (the frame mapped there)" },
    [SH_FRAME_DOM] = ROW_CHILD("dom", SIM_T_DOMID, SH_FRAME, 0, 0, "domain"),
    [SH_FRAME_GFN] = ROW_CHILD("gfn", SIM_T_GFN, SH_FRAME, 0, 0, "gfn"),
    [SH_DOMAIN] = ROW_OPT("domain", SIM_T_DOMID, 0, 0, "subject: a domain"),
    [SH_P2M] = { .key = "p2m", .type = SIM_T_NESTED, .parent = -1,
                 .doc = "subject: a P2M entry `{dom, gfn}`" },
    [SH_P2M_DOM] = ROW_CHILD("dom", SIM_T_DOMID, SH_P2M, 0, 0, "domain"),
    [SH_P2M_GFN] = ROW_CHILD("gfn", SIM_T_GFN, SH_P2M, 0, 0, "gfn"),
    [SH_SHARE] = { .key = "share", .type = SIM_T_HANDLE, .parent = -1,
                   .doc = "subject: an FF-A share, by its handle" },
    [SH_DEVICE] = { .key = "device", .type = SIM_T_DEVICE, .parent = -1,
                    .doc = "subject: a device of world.iommu.devices" },
};

/* --- the table ----------------------------------------------------------- */

const struct sim_op sim_ops[] = {
    { .name = "advance", .module = "world", .scalar = true,
      OP_ROWS(advance_rows), .exec = sim_exec_advance,
      .summary = "advance the clock: run due timers, SP scripts, IOMMU completions",
      .example = "advance: 100" },
    { .name = "domain_create", .module = "domain",
      OP_ROWS(domain_create_rows), .exec = sim_exec_domain_create,
      .summary = "domain_create, with the toolstack's choice of safe range; EEXIST if the id "
                 "is taken; ENOSPC if a direct-mapped domain has no host range for its "
                 "grant-table region (or the toolstack finds no hole for its safe range)",
      .example = "domain_create: {dom: 1, max_pages: 4MiB}" },
    { .name = "populate", .module = "physmap", .binds = SIM_BIND_GFN,
      OP_ROWS(populate_rows), .exec = sim_exec_populate,
      .summary = "XENMEM_populate_physmap, all or nothing: EPERM past max_pages, ENOMEM when the "
                 "host is out of frames, EINVAL once the domain is dying, EEXIST if a gfn is "
                 "mapped (physmap_overwrite: refuse; replace overwrites it).  Direct-mapped: "
                 "without gfn, construction (the lowest free host run becomes the domain's RAM); "
                 "with gfn, no allocation: mfn == gfn must be the domain's own page (ENOMEM "
                 "otherwise), e.g. one it decreased",
      .example = "populate: {dom: 1, gfn: 0x100, pages: 16}" },
    { .name = "decrease", .module = "physmap",
      OP_ROWS(decrease_rows), .exec = sim_exec_decrease,
      .summary = "XENMEM_decrease_reservation, all or nothing: each gfn must map the domain's "
                 "own page (a xenheap page shared with it included; ENOENT for a hole, EINVAL "
                 "otherwise); ENOMEM once the domain is dying.  A direct-mapped domain keeps the "
                 "page (allocated, unmapped, in tot_pages)",
      .example = "decrease: {dom: 1, gfn: 0x100, pages: 4}" },
    { .name = "domain_destroy", .module = "domain",
      OP_ROWS(domain_destroy_rows), .exec = sim_exec_domain_destroy,
      .summary = "the toolstack loop: domain_kill again while ERESTART, one tick apart, up to "
                 "limits.destroy_retries (running out is a destroy_progress violation)",
      .example = "domain_destroy: {dom: 1}" },
    { .name = "map_foreign", .module = "physmap",
      OP_ROWS(map_foreign_rows), .exec = sim_exec_map_foreign,
      .summary = "XENMAPSPACE_gmfn_foreign: the source must be RAM (EINVAL); replaces what is "
                 "at gfn but a grant mapping (EBUSY) under physmap_overwrite: refuse; ENOMEM once "
                 "the mapping domain is dying",
      .example = "map_foreign: {dom: 2, gfn: 0x80000, from: 1, from_gfn: 0x100}" },
    { .name = "map_mmio", .module = "physmap",
      OP_ROWS(map_mmio_rows), .exec = sim_exec_map_mmio,
      .summary = "mmio_direct mapping of a world.mmio region: EEXIST over a mapped gfn "
                 "(physmap_overwrite: refuse); ENOMEM once the domain is dying",
      .example = "map_mmio: {dom: 1, gfn: 0x9000, mfn: 0x9000, pages: 1}" },
    { .name = "map_grant_frame", .module = "grant tables", .exec = sim_exec_map_grant_frame,
      OP_ROWS(map_grant_frame_rows),
      .summary = "XENMAPSPACE_grant_table",
      .example = "map_grant_frame: {dom: 1, idx: 0, gfn: 0x38000}" },
    { .name = "map_shared_info", .module = "shared_info", .exec = sim_exec_map_shared_info,
      OP_ROWS(map_shared_info_rows),
      .summary = "XENMAPSPACE_shared_info, or the guest-page registration under "
                 "shared_info: guest_page.  xenheap: Xen's page (allocated on first use) mapped "
                 "ram_rw at gfn, replacing what is there; EBUSY while it is mapped "
                 "(xenheap_gfn: page_info) or inside the safe range.  guest_page: gfn must be the "
                 "domain's own ram_rw page (else EINVAL); Xen keeps a reference, copies the "
                 "initial data, the P2M is unchanged; registering again moves it",
      .example = "map_shared_info: {dom: 1, gfn: 0x39000}" },
    { .name = "register_vcpu_info", .module = "shared_info",
      .exec = sim_exec_register_vcpu_info, OP_ROWS(register_vcpu_info_rows),
      .summary = "VCPUOP_register_vcpu_info: vcpu_info moves out of shared_info into the guest's "
                 "RAM page at gfn (ram_rw, its own, not a xenheap page; else EINVAL); Xen holds a "
                 "reference until the domain dies; registering again moves it",
      .example = "register_vcpu_info: {dom: 1, vcpu: 0, gfn: 0x40001}" },
    { .name = "evtchn_send", .module = "MPU", .exec = sim_exec_evtchn_send, OP_ROWS(evtchn_send_rows),
      .summary = "EVTCHNOP_send: Xen writes the pending bits in `to`'s shared_info and vCPU "
                 "`vcpu`'s vcpu_info; on an MPU host, from a direct-mapped domain, guest pages of "
                 "another domain cost temporary regions or a switch to Xen's full view "
                 "(world.mpu.cross_domain); ESRCH: no such domain, EINVAL: one is dying",
      .example = "evtchn_send: {dom: 1, to: 2}" },
    { .name = "remove_physmap", .module = "physmap",
      OP_ROWS(remove_physmap_rows), .exec = sim_exec_remove_physmap,
      .summary = "XENMEM_remove_physmap: removes a RAM or grant entry of the domain's own page, "
                 "or a foreign entry; ENOENT for anything else (a hole, MMIO, another domain's "
                 "page); ENOMEM once the domain is dying",
      .example = "remove_physmap: {dom: 2, gfn: 0x80000}" },
    { .name = "lookup", .module = "p2m", .binds = SIM_BIND_MFN,
      OP_ROWS(lookup_rows), .exec = sim_exec_lookup,
      .summary = "read the P2M entry at gfn; `as` binds its mfn; ENOENT if nothing is mapped",
      .example = "lookup: {dom: 1, gfn: 0x100}\n  as: m" },
    { .name = "grant", .module = "grant tables", .exec = sim_exec_grant, OP_ROWS(grant_rows),
      .summary = "the granting guest fills entry `ref`",
      .example = "grant: {dom: 1, ref: 8, to: 2, gfn: 0x100}" },
    { .name = "grant_end", .module = "grant tables", .exec = sim_exec_grant_end, OP_ROWS(grant_end_rows),
      .summary = "the granting guest revokes entry `ref` (EBUSY while mapped)",
      .example = "grant_end: {dom: 1, ref: 8}" },
    { .name = "grant_map", .module = "grant tables", .exec = sim_exec_grant_map, OP_ROWS(grant_map_rows),
      .family = XMM_RC_GNTST, .binds = SIM_BIND_HANDLE,
      .summary = "GNTTABOP_map_grant_ref; `as` binds the handle",
      .example = "grant_map: {dom: 2, from: 1, ref: 8, gfn: 0x38010}\n  as: h" },
    { .name = "grant_unmap", .module = "grant tables", .exec = sim_exec_grant_unmap,
      OP_ROWS(grant_unmap_rows), .family = XMM_RC_GNTST,
      .summary = "GNTTABOP_unmap_grant_ref; with `gfn`, Arm's replace_grant_host_mapping checks "
                 "at that gfn (another frame there: GNTST_general_error)",
      .example = "grant_unmap: {dom: 2, handle: $h}" },
    { .name = "ffa_share", .module = "FF-A", .exec = sim_exec_ffa_share, OP_ROWS(ffa_share_rows),
      .family = XMM_RC_FFA, .binds = SIM_BIND_HANDLE,
      .summary = "FFA_MEM_SHARE; `as` binds the handle",
      .example = "ffa_share: {dom: 1, gfn: 0x100, pages: 2, sp: 0x8001}\n  as: s" },
    { .name = "ffa_reclaim", .module = "FF-A", .exec = sim_exec_ffa_reclaim, OP_ROWS(ffa_reclaim_rows),
      .family = XMM_RC_FFA,
      .summary = "FFA_MEM_RECLAIM",
      .example = "ffa_reclaim: {dom: 1, handle: $s}" },
    { .name = "sp_retrieve", .module = "FF-A", .exec = sim_exec_sp_retrieve, OP_ROWS(sp_handle_rows),
      .family = XMM_RC_FFA,
      .summary = "the SP retrieves a share (`manual` SPs)",
      .example = "sp_retrieve: {sp: 0x8001, handle: $s}" },
    { .name = "sp_relinquish", .module = "FF-A", .exec = sim_exec_sp_relinquish, OP_ROWS(sp_handle_rows),
      .family = XMM_RC_FFA,
      .summary = "the SP relinquishes a share (`manual` SPs)",
      .example = "sp_relinquish: {sp: 0x8001, handle: $s}" },
    { .name = "sp_access", .module = "FF-A", .exec = sim_exec_sp_access, OP_ROWS(sp_access_rows),
      .family = XMM_RC_FFA,
      .summary = "the SP touches page N of a share",
      .example = "sp_access: {sp: 0x8001, handle: $s, page: 1}" },
    { .name = "iommu_assign", .module = "IOMMU", .exec = sim_exec_iommu_assign,
      OP_ROWS(iommu_assign_rows),
      .summary = "assign an ATS device; the IOMMU follows the domain's P2M",
      .example = "iommu_assign: {dom: 1, dev: nic0}" },
    { .name = "dma", .module = "IOMMU", .exec = sim_exec_dma, OP_ROWS(dma_rows),
      .binds = SIM_BIND_MFN,
      .summary = "the device accesses gfn through its device TLB (stale entries honoured), "
                 "else the IOMMU; `as` binds the frame reached; EPERM: unassigned device, "
                 "ENOENT: nothing translated (IOMMU fault), EACCES: write to read-only",
      .example = "dma: {dev: nic0, gfn: 0x100}\n  as: m" },
    { .name = "query_unallocated", .module = "safe range query",
      .exec = sim_exec_query_unallocated, OP_ROWS(query_unallocated_rows),
      .binds = SIM_BIND_GFN,
      .summary = "the racy hypercall (proposed XENMEM_get_unallocated_space; policy query only, "
                 "ENOSYS otherwise): reports up to 16 holes of the P2M inside the guest RAM "
                 "windows (direct-mapped: host holes), 2 MiB-aligned, 64 MiB or more, lowest "
                 "first, and remembers them as the domain's safe range; `as` binds the first gfn; "
                 "ENOSPC when there is none or more than 16 would be remembered",
      .example = "query_unallocated: {dom: 1}\n  as: hole" },
    { .name = "export_dt", .module = "device tree", .exec = sim_exec_export_dt, OP_ROWS(export_dt_rows),
      .summary = "write the guest's DTB (relative to --out DIR, default the current directory): "
                 "/memory (its RAM banks), /hypervisor (reg: grant-table region, then its safe "
                 "ranges), /reserved-memory (one xen,safe-range child per range)",
      .example = "export_dt: {dom: 1, file: d1.dtb}" },
    { .name = "fail_alloc", .module = "world",
      OP_ROWS(fail_alloc_rows), .exec = sim_exec_fail_alloc,
      .summary = "make one of the model's own allocations fail (xmm_world_fail_alloc): later "
                 "steps make `after` allocations, the next one fails (and every one after it "
                 "when sticky); the invariant checker's allocations between steps are not "
                 "counted.  The step that hits it returns its family's out-of-memory code "
                 "(ENOMEM, GNTST_no_space or GNTST_general_error, FFA_RET_NO_MEMORY) and "
                 "changes nothing.  `xmm-sim run --fail-alloc-sweep` runs a scenario with this step "
                 "once and does not sweep it",
      .example = "fail_alloc: {after: 2, sticky: false}" },
    { .name = "check", .module = "check", .no_expect = true,
      OP_ROWS(check_rows), .exec = sim_exec_check,
      .summary = "assertions on the model; no state change (subjects below)",
      .example = "check: {domain: 1, state: zombie}" },
    { .name = "show", .module = "check", .no_expect = true,
      OP_ROWS(show_rows), .exec = sim_exec_show,
      .summary = "print the state of one subject (`frame`, `domain`, `p2m`, `share` or "
                 "`device`) without asserting anything: owner, references, every mapping, "
                 "FF-A pins and SP reach of a frame; a domain's state and counts",
      .example = "show: {frame: {dom: 1, gfn: 0x40000}}" },
};
const size_t sim_op_count = sizeof(sim_ops) / sizeof(sim_ops[0]);

/* --- check subjects ------------------------------------------------------ */

static const int domain_asserts[] = { CK_STATE, CK_TOT_PAGES, CK_REFS };
static const int frame_asserts[] = { CK_OWNER, CK_REFCOUNT };
static const int p2m_asserts[] = { CK_MFN, CK_TYPE };
static const int count_asserts[] = { CK_COUNT };
static const int mpu_asserts[] = { CK_COUNT, CK_SWITCHES, CK_TEMP_REGIONS, CK_REGION_WRITES };
static const int iommu_asserts[] = { CK_HELD, CK_HOLDS, CK_HOLD_TICKS, CK_STALL_TICKS,
                                     CK_PENDING };

#define SUBJ(k, r, a, mod) \
    { .key = (k), .row = (r), .asserts = (a), .assert_count = sizeof(a) / sizeof((a)[0]), \
      .module = (mod) }

const struct sim_check_subject sim_check_subjects[] = {
    SUBJ("domain", CK_DOMAIN, domain_asserts, "domain"),
    SUBJ("frame", CK_FRAME, frame_asserts, "frame"),
    SUBJ("p2m", CK_P2M, p2m_asserts, "p2m"),
    { .key = "free_pages", .row = CK_FREE_PAGES, .value_asserts = true,
      .module = "frame" },
    SUBJ("shares", CK_SHARES, count_asserts, "FF-A"),
    SUBJ("mpu_regions", CK_MPU, mpu_asserts, "MPU"),
    SUBJ("iommu", CK_IOMMU, iommu_asserts, "IOMMU"),
    { .key = "violations", .row = CK_VIOLATIONS, .value_asserts = true,
      .module = "check" },
};
const size_t sim_check_subject_count = sizeof(sim_check_subjects) / sizeof(sim_check_subjects[0]);

/* --- policy knobs -------------------------------------------------------- */

#define KNOB_ACCESS(field)                                                     \
    static void knob_set_##field(struct xmm_policy *p, unsigned v) { p->field = v; } \
    static unsigned knob_get_##field(const struct xmm_policy *p) { return (unsigned)p->field; }
KNOB_ACCESS(xenheap_gfn)
KNOB_ACCESS(gfn_lock)
KNOB_ACCESS(ffa_teardown)
KNOB_ACCESS(ffa_vm_destroyed)
KNOB_ACCESS(ffa_refused)
KNOB_ACCESS(iotlb)
KNOB_ACCESS(safe_range)
KNOB_ACCESS(shared_info)
KNOB_ACCESS(physmap_overwrite)

static const char *const v_xenheap_gfn[] = { "page_info", "array", NULL };
static const char *const v_gfn_lock[] = { "p2m", "grant", NULL };
static const char *const v_ffa_teardown[] = { "deferred", "restart", NULL };
static const char *const v_ffa_vm_destroyed[] = { "per_domain", "global", NULL };
static const char *const v_ffa_refused[] = { "park", "zombie", "leak", "free", NULL };
static const char *const v_iotlb[] = { "deferred", "sync", "pause", "unsafe", NULL };
static const char *const v_safe_range[] = { "toolstack", "query", "none", NULL };
static const char *const v_shared_info[] = { "xenheap", "guest_page", NULL };
static const char *const v_physmap_overwrite[] = { "refuse", "replace", NULL };

#define KNOB(f, s, d) \
    { .name = #f, .values = v_##f, .seed = (s), .doc = (d), .set = knob_set_##f,              \
      .get = knob_get_##f }

const struct sim_policy_knob sim_policy_knobs[] = {
    KNOB(xenheap_gfn, "001",
         "`page_info`: the GFN of a mapped xenheap frame lives in its type_info; `array`: a "
         "side array that goes stale after remove_physmap (pre-2022 Arm)"),
    KNOB(gfn_lock, "001",
         "`p2m`: the GFN is set under the P2M lock in add_to_physmap; `grant`: under the grant "
         "lock, also taken from the P2M path (RFC v3)"),
    KNOB(ffa_teardown, "000",
         "`deferred`: teardown never blocks (zombie + timer retries); `restart`: destroy returns "
         "ERESTART until everything is reclaimed"),
    KNOB(ffa_vm_destroyed, "000",
         "`per_domain`: VM_DESTROYED pending per domain; `global`: one global count (the RFC bug)"),
    KNOB(ffa_refused, "000",
         "after the retry limit: `park` only the refused frames, the domain goes; `zombie`: keep "
         "the domain until the SP lets go; `leak` (upstream Xen, its own rule: DENIED retried "
         "with no limit, any other error at once): drop the record, pages stay pinned; `free` "
         "(libxmm's unsafe variant): unpin and free them although the SP may still reach them"),
    KNOB(iotlb, "003",
         "`deferred`: typed device-TLB reference until the flush completes; `sync`: unmap waits; "
         "`pause`: domain paused until completion; `unsafe`: freed at once"),
    KNOB(safe_range, "002",
         "`toolstack`: fixed at create, overlapping mappings refused; `query`: holes reported on "
         "demand, nothing reserved; `none`"),
    KNOB(shared_info, "004",
         "`xenheap`: a Xen page mapped into the guest P2M; `guest_page`: a guest-provided domheap "
         "page, no P2M change"),
    KNOB(physmap_overwrite, "foundation",
         "`refuse` (libxmm's guard): populate and map_mmio over a mapped gfn fail with EEXIST, "
         "nothing replaces a grant mapping (EBUSY); `replace` (upstream Arm p2m_set_entry): the "
         "new entry replaces the old one, which drops what it held (a foreign entry its "
         "reference; a RAM page stays allocated, unmapped; a grant entry nothing)"),
};
const size_t sim_policy_knob_count = sizeof(sim_policy_knobs) / sizeof(sim_policy_knobs[0]);

/* --- lookups ------------------------------------------------------------- */

/* Op by name. */
const struct sim_op *sim_op_find(const char *name)
{
    size_t i;

    for (i = 0; i < sim_op_count; i++)
        if (sim_ops[i].name[0] == name[0] && strcmp(sim_ops[i].name, name) == 0)
            return &sim_ops[i];
    return NULL;
}

/* The check op, found once. */
const struct sim_op *sim_op_show(void)
{
    static const struct sim_op *show;

    if (!show)
        show = sim_op_find("show");
    return show;
}

const struct sim_op *sim_op_check(void)
{
    static const struct sim_op *check;

    if (!check)
        check = sim_op_find("check");
    return check;
}

/* Row of an op by key, among the rows under `parent`. */
int sim_op_arg(const struct sim_op *op, const char *key, int parent)
{
    size_t i;

    for (i = 0; i < op->arg_count; i++)
        if (op->args[i].parent == parent && op->args[i].key[0] == key[0] &&
            strcmp(op->args[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* Policy knob by name. */
const struct sim_policy_knob *sim_policy_find(const char *name)
{
    size_t i;

    for (i = 0; i < sim_policy_knob_count; i++)
        if (strcmp(sim_policy_knobs[i].name, name) == 0)
            return &sim_policy_knobs[i];
    return NULL;
}

/* Index of a name in a NULL-terminated list, or -1. */
int sim_enum_index(const char *const *values, const char *name)
{
    int i;

    for (i = 0; values && values[i]; i++)
        if (strcmp(values[i], name) == 0)
            return i;
    return -1;
}

/* A NULL-terminated list joined with ", ", truncated to len. */
void sim_enum_join(const char *const *values, char *buf, size_t len)
{
    size_t used = 0;
    int i;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (i = 0; values && values[i]; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", values[i]);

        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

/* Types written as integers (or $variables). */
bool sim_type_is_int(enum sim_type t)
{
    switch (t) {
    case SIM_T_DOMID:
    case SIM_T_GFN:
    case SIM_T_MFN:
    case SIM_T_U32:
    case SIM_T_U64:
    case SIM_T_PAGES:
    case SIM_T_HANDLE:
    case SIM_T_SP:
        return true;
    default:
        return false;
    }
}

/* Inclusive range of a row read as type t. */
void sim_arg_range(const struct sim_arg *a, enum sim_type t, uint64_t *min, uint64_t *max)
{
    switch (t) {
    case SIM_T_DOMID:
    case SIM_T_OWNER:
        *min = 0;
        *max = XMM_DOMID_MAX;
        break;
    case SIM_T_GFN:
    case SIM_T_MFN:
        *min = 0;
        *max = XMM_FRAME_LIMIT - 1;
        break;
    case SIM_T_SP:
        *min = 0;
        *max = 0xFFFF;
        break;
    case SIM_T_HANDLE:
        *min = 0;
        *max = UINT64_MAX;
        break;
    default:
        *min = a->min;
        *max = a->max;
        break;
    }
}

/* Type name for messages and docs. */
const char *sim_type_name(enum sim_type t)
{
    static const char *const names[] = {
        [SIM_T_NONE] = "none",       [SIM_T_DOMID] = "domid",   [SIM_T_GFN] = "gfn",
        [SIM_T_MFN] = "mfn",         [SIM_T_U32] = "u32",       [SIM_T_U64] = "u64",
        [SIM_T_PAGES] = "pages",     [SIM_T_HANDLE] = "handle", [SIM_T_SP] = "sp id",
        [SIM_T_BOOL] = "bool",       [SIM_T_STRING] = "string", [SIM_T_DEVICE] = "device id",
        [SIM_T_ENUM] = "enum",       [SIM_T_OWNER] = "owner",   [SIM_T_P2M_TYPE] = "p2m type",
        [SIM_T_NESTED] = "mapping",  [SIM_T_PATH] = "path",
    };

    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* How a family is named in messages. */
const char *sim_family_codes(enum xmm_rc_family fam)
{
    switch (fam) {
    case XMM_RC_GNTST:
        return "GNTST_*";
    case XMM_RC_FFA:
        return "FFA_RET_*";
    default:
        return "errno";
    }
}

bool sim_res_of(const struct sim_arg *a, const struct sim_val *vals, size_t i,
                struct sim_res *out)
{
    const struct sim_val *v = &vals[i];

    memset(out, 0, sizeof(*out));
    if (a->parent >= 0 && vals[a->parent].kind != SIM_V_MAP)
        return false;
    out->kind = v->kind;
    out->u = v->u;
    out->s = v->s;
    out->present = v->kind != SIM_V_ABSENT;
    if (v->kind == SIM_V_ABSENT && a->has_def) {
        out->present = true;
        out->kind = (a->type == SIM_T_NESTED || a->type == SIM_T_ENUM) ? SIM_V_ENUM : SIM_V_INT;
        out->u = a->def;
    }
    return true;
}
