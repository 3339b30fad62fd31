/*
 * libxmm - grant tables, version 1 (common/grant_table.c).
 *
 * Each domain has a grant table: shared frames holding v1 entries
 * {flags, domid, frame} that the guest fills, and Xen's active entries with
 * pin counts.  Shared frames are xenheap frames shared with the guest,
 * allocated on demand up to `grant_frames` (libxmm grows the table lazily,
 * on the first entry written or frame mapped in a new frame, where Xen
 * allocates one frame at domain creation).  Each mapping domain has a
 * maptrack table: up to `maptrack_frames` frames of XMM_MAPTRACK_PER_FRAME
 * handles, handed out from a free list as Xen does for a domain with one
 * vCPU.
 *
 * Grant operations return GNTST_* codes; the guest-side entry writes and the
 * physmap call return errno codes.
 */
#ifndef XMM_GNTTAB_H
#define XMM_GNTTAB_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XMM_GRANT_ENTRIES_PER_FRAME 512 /* 4 KiB / 8-byte v1 entry */
#define XMM_MAPTRACK_PER_FRAME 512      /* 4 KiB / 8-byte grant_mapping */
#define XMM_GRANT_RESERVED_ENTRIES 8    /* 0: console, 1: xenstore */
#define XMM_GRANT_FRAMES_MAX 1024       /* bound on grant_frames */
#define XMM_MAPTRACK_FRAMES_MAX 4096    /* bound on maptrack_frames */

/* v1 entry flags (public/grant_table.h) */
#define XMM_GTF_permit_access 0x1
#define XMM_GTF_readonly 0x4
#define XMM_GTF_reading 0x8
#define XMM_GTF_writing 0x10

typedef uint32_t xmm_grant_ref_t;
typedef uint32_t xmm_grant_handle_t;

/*
 * The granting guest fills entry `ref`: permit `to` to map its frame at
 * `gfn`, read-only or not.  The table grows to hold `ref` if needed.
 * Return (errno): 0, -XMM_ESRCH, -XMM_EINVAL (dying, ref beyond grant_frames,
 * gfn out of range), -XMM_EBUSY (the entry is mapped), -XMM_ENOMEM.
 */
int xmm_gnttab_grant(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref, xmm_domid_t to,
                     xmm_gfn_t gfn, bool readonly);

/*
 * The granting guest revokes entry `ref`.  Return (errno): 0, -XMM_ESRCH,
 * -XMM_EINVAL (ref outside the table, entry not in use), -XMM_EBUSY (mapped).
 */
int xmm_gnttab_end(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref);

/*
 * GNTTABOP_map_grant_ref, host mapping: `dom` maps entry `ref` of `from`'s
 * table at its own `gfn` as grant_map_rw/ro, taking a page reference and a
 * maptrack handle.  `from` may be `dom` itself, or a dying domain whose P2M
 * still maps the page.  Checks in map_grant_ref's order.  Return (GNTST):
 * GNTST_okay and *handle; GNTST_general_error (caller unknown or dying);
 * GNTST_bad_domain (from unknown); GNTST_no_space (no handle: the maptrack's
 * last free entry is never handed out, so maptrack_frames x 512 - 1 at
 * most; or no memory for a maptrack frame); GNTST_bad_gntref (ref beyond
 * the granter's table); GNTST_general_error (entry not permitting `dom`,
 * write map of a read-only grant, 128 maps of that kind already: the pin
 * counter's top bit); GNTST_bad_page (the granted gfn maps nothing, MMIO,
 * a foreign or grant mapping, or nothing any more: a zombie granter);
 * GNTST_bad_virt_addr (gfn out of range, already mapped, or outside the
 * caller's safe range); GNTST_general_error (no memory for a P2M node).
 */
int xmm_gnttab_map(struct xmm_world *w, xmm_domid_t dom, xmm_domid_t from, xmm_grant_ref_t ref,
                   xmm_gfn_t gfn, bool readonly, xmm_grant_handle_t *handle);

/*
 * GNTTABOP_unmap_grant_ref, by a guest that names the gfn it mapped at.
 * A freed handle goes to the tail of the free list (put_maptrack_handle),
 * so it is handed out again only after every other free one.  Return
 * (GNTST): GNTST_okay, GNTST_bad_handle (unknown or unused handle),
 * GNTST_general_error (caller unknown).
 */
int xmm_gnttab_unmap(struct xmm_world *w, xmm_domid_t dom, xmm_grant_handle_t handle);

/*
 * GNTTABOP_unmap_grant_ref with the host address the guest gives (Xen's
 * host_addr, as a gfn), exactly as Arm Xen handles it: gfn 0 (host_addr 0)
 * undoes nothing and keeps the handle (GNTST_okay); a RAM, grant or foreign
 * entry at gfn with another frame gives GNTST_general_error and changes
 * nothing; anything else at gfn (the mapping itself, nothing, MMIO) is
 * removed and the handle, pin and page reference go, even when the
 * mapping itself stays at its own gfn (docs/semantics.md: a candidate
 * upstream issue).  Return (GNTST): as xmm_gnttab_unmap, and
 * GNTST_general_error (gfn out of range, another frame there).
 */
int xmm_gnttab_unmap_host(struct xmm_world *w, xmm_domid_t dom, xmm_grant_handle_t handle,
                          xmm_gfn_t host_gfn);

/*
 * XENMAPSPACE_grant_table: map shared frame `idx` of dom's table at gfn
 * (ram_rw), growing the table if needed.  Under xenheap_gfn=page_info the
 * frame's GFN lives in its type_info: -XMM_EBUSY if it is already mapped.
 * Under xenheap_gfn=array (pre-2022 Arm) the GFN lives in a side array and
 * the old mapping is removed by GFN first, whatever is mapped there now.
 * Return (errno): 0, -XMM_ESRCH, -XMM_EINVAL (dying, idx beyond
 * grant_frames, gfn out of range), -XMM_EBUSY (also: a grant mapping sits at
 * gfn), -XMM_ENOMEM.
 */
int xmm_gnttab_map_frame(struct xmm_world *w, xmm_domid_t dom, uint32_t idx, xmm_gfn_t gfn);

struct xmm_grant_info {
    uint16_t flags;
    xmm_domid_t domid;
    xmm_gfn_t frame;
    uint32_t pins_rw, pins_ro;
};

/* Return: 0, -XMM_ESRCH, -XMM_EINVAL (ref outside the current table). */
int xmm_gnttab_entry(const struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref,
                     struct xmm_grant_info *out);
/* Current shared frames, and maptrack handles in use, of dom (0 if none). */
uint32_t xmm_gnttab_nr_frames(const struct xmm_world *w, xmm_domid_t dom);
uint32_t xmm_gnttab_maptrack_used(const struct xmm_world *w, xmm_domid_t dom);
/* The mfn of shared frame idx, or XMM_INVALID_MFN. */
xmm_mfn_t xmm_gnttab_frame_mfn(const struct xmm_world *w, xmm_domid_t dom, uint32_t idx);

#ifdef __cplusplus
}
#endif
#endif /* XMM_GNTTAB_H */
