/*
 * xmm-sim - execution of ops against a world (private to sim/).
 *
 * The row enums below fix the order of each op's rows in the op table
 * (ops.c initialises the rows by these indices, exec_*.c reads the resolved
 * values by them), so the table and the exec functions cannot drift apart.
 */
#ifndef XMM_SIM_EXEC_H
#define XMM_SIM_EXEC_H

#include "ops.h"
#include "scenario.h"

/* What an exec function may use besides its arguments. */
struct sim_exec {
    struct xmm_world *w;
    const struct sim_scenario *sc;
    const char *out_dir; /* --out: where ops write files */
    /*
     * fail_alloc: armed by the step, applied by the runner around each later
     * step (the checker's own allocations are neither counted nor failed):
     * `fa_left` more allocations succeed, then one fails (every one from then
     * on when `fa_sticky`).
     */
    bool fa_armed, fa_sticky;
    uint64_t fa_left;
};

/* Rows shared by most ops: the acting domain, then a gfn. */
enum { A_DOM = 0, A_GFN = 1 };

enum { ADV_TICKS, ADV_ROWS };
enum {
    DC_DOM, DC_MAX_PAGES, DC_DIRECT_MAP, DC_FFA, DC_GRANT_FRAMES, DC_MAPTRACK_FRAMES,
    DC_SAFE_RANGE, DC_SR_GFN, DC_SR_PAGES, DC_ROWS
};
enum { POP_DOM, POP_GFN, POP_PAGES, POP_ROWS };
enum { DEC_DOM, DEC_GFN, DEC_PAGES, DEC_ROWS };
enum { DD_DOM, DD_ROWS };
enum { MF_DOM, MF_GFN, MF_FROM, MF_FROM_GFN, MF_ROWS };
enum { MM_DOM, MM_GFN, MM_MFN, MM_PAGES, MM_ROWS };
enum { MG_DOM, MG_IDX, MG_GFN, MG_ROWS };
enum { MS_DOM, MS_GFN, MS_ROWS };
enum { RV_DOM, RV_VCPU, RV_GFN, RV_ROWS };
enum { ES_DOM, ES_TO, ES_VCPU, ES_ROWS };
enum { RP_DOM, RP_GFN, RP_ROWS };
enum { LK_DOM, LK_GFN, LK_ROWS };
enum { GR_DOM, GR_REF, GR_TO, GR_GFN, GR_READONLY, GR_ROWS };
enum { GE_DOM, GE_REF, GE_ROWS };
enum { GM_DOM, GM_FROM, GM_REF, GM_GFN, GM_READONLY, GM_ROWS };
enum { GU_DOM, GU_HANDLE, GU_GFN, GU_ROWS };
enum { FS_DOM, FS_GFN, FS_PAGES, FS_SP, FS_ROWS };
enum { FR_DOM, FR_HANDLE, FR_ROWS };
enum { SPH_SP, SPH_HANDLE, SPH_ROWS };
enum { SA_SP, SA_HANDLE, SA_PAGE, SA_WRITE, SA_ROWS };
enum { IA_DOM, IA_DEV, IA_ROWS };
enum { DMA_DEV, DMA_GFN, DMA_WRITE, DMA_ROWS };
enum { QU_DOM, QU_ROWS };
enum { DT_DOM, DT_FILE, DT_ROWS };
enum { FA_AFTER, FA_STICKY, FA_ROWS };
enum { SH_FRAME, SH_FRAME_DOM, SH_FRAME_GFN, SH_DOMAIN, SH_P2M, SH_P2M_DOM, SH_P2M_GFN, SH_SHARE,
       SH_DEVICE, SH_ROWS };
enum {
    CK_DOMAIN, CK_STATE, CK_TOT_PAGES, CK_REFS,
    CK_FRAME, CK_FRAME_DOM, CK_FRAME_GFN, CK_OWNER, CK_REFCOUNT,
    CK_P2M, CK_P2M_DOM, CK_P2M_GFN, CK_MFN, CK_TYPE,
    CK_FREE_PAGES,
    CK_SHARES, CK_SHARES_DOM, CK_COUNT,
    CK_MPU, CK_MPU_DOM, CK_SWITCHES, CK_TEMP_REGIONS, CK_REGION_WRITES,
    CK_VIOLATIONS,
    CK_IOMMU, CK_IOMMU_DOM, CK_HELD, CK_HOLDS, CK_HOLD_TICKS, CK_STALL_TICKS, CK_PENDING,
    CK_ROWS
};

/* Values of the domain `state` check, in this order. */
extern const char *const sim_domain_states[];
/* Non-numeric owners of a frame, in this order. */
enum { SIM_OWNER_XEN = 0, SIM_OWNER_PARK, SIM_OWNER_FREE };
/* safe_range alternatives, in this order. */
enum { SIM_SR_AUTO = 0, SIM_SR_NONE };

int sim_exec_advance(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_domain_create(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_populate(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_decrease(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_domain_destroy(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_map_foreign(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_map_mmio(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_remove_physmap(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_lookup(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_check(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_fail_alloc(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_show(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);

/* Ops of the seed modules (exec_gnttab.c, exec_shinfo.c, exec_mpu.c, exec_ffa.c,
 * exec_iommu.c, exec_saferange.c, exec_dt.c). */
int sim_exec_map_grant_frame(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_grant(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_grant_end(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_grant_map(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_grant_unmap(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_map_shared_info(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_register_vcpu_info(struct sim_exec *x, const struct sim_res *a,
                                struct sim_exec_out *o);
int sim_exec_evtchn_send(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_ffa_share(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_ffa_reclaim(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_sp_retrieve(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_sp_relinquish(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_sp_access(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_iommu_assign(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_dma(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_query_unallocated(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);
int sim_exec_export_dt(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);

/*
 * World setup beyond struct xmm_world_opts' common fields: options of
 * switched modules (MPU regions, IOMMU devices) before xmm_world_new, stubs
 * (the SPMC) after it.  sim_world_opts returns memory the options point to,
 * to g_free once the world is made (may be NULL); sim_world_attach returns
 * 0 or the library's error.
 */
void *sim_world_opts(const struct sim_world_cfg *wc, struct xmm_world_opts *o);
int sim_world_attach(struct xmm_world *w, const struct sim_world_cfg *wc);
/*
 * The whole world of wc (sim_world_opts, xmm_world_new, sim_world_attach):
 * 0, or the library's error with *out to free (it may be NULL).
 * history_events 0: the library's default ring.
 */
int sim_world_build(const struct sim_world_cfg *wc, uint64_t seed, uint32_t history_events,
                    struct xmm_world **out);
/* The same with the world's allocator (NULL: libc's). */
int sim_world_build_alloc(const struct sim_world_cfg *wc, uint64_t seed, uint32_t history_events,
                          const struct xmm_allocator *alloc, struct xmm_world **out);
/* world.spmc -> the built-in SPMC stub (exec_ffa.c). */
int sim_world_attach_spmc(struct xmm_world *w, const struct sim_world_cfg *wc);

/*
 * Figures for the end of a run (exec_mpu.c): with an MPU, each
 * direct-mapped domain's regions now / peak and the cross-domain cost.
 * g_free the result; NULL when there is nothing to say.
 */
char *sim_world_summary(struct xmm_world *w);

/* check subjects shares / mpu_regions -> the count now (exec_mpu_check.c). */
int sim_check_count(struct sim_exec *x, int subject_row, xmm_domid_t dom, uint64_t *count);
/*
 * mpu_regions: {dom} with count / switches / temp_regions / region_writes
 * (exec_mpu_check.c): failures go to o; a holding check leaves
 * the domain's breakdown in o->msg.
 */
void sim_check_mpu(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o);

#endif /* XMM_SIM_EXEC_H */
