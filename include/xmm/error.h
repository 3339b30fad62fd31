/*
 * libxmm - return codes.
 *
 * Three families, as in Xen and FF-A.  All three use 0 for success and
 * negative values for failure; no libxmm function returns a positive code
 * (a function returning a count or an id says so and has no error code).
 *
 *  - errno: 0 or the NEGATED XMM_E* value, e.g. -XMM_EINVAL (the XMM_E*
 *    constants below are positive, as in Xen's public errno.h, and are
 *    negated at the return, as Xen's hypercalls do).  The numbers are fixed
 *    here so the model does not depend on the host libc's numbering.
 *  - GNTST: a grant-table status, XMM_GNTST_okay (0) or one of the
 *    XMM_GNTST_* values, which are negative already: return them as they
 *    are, never negated.
 *  - FFA_RET: an FF-A status, XMM_FFA_RET_OK (0) or one of the
 *    XMM_FFA_RET_* values, also negative already and returned as they are.
 *
 * Which family a function returns (each header also says it per function):
 *  - errno: everything not listed below: world, frame, domain, p2m,
 *    physmap, shared_info, MPU, safe range, device tree, IOMMU, check,
 *    history; in gnttab.h the guest-side calls xmm_gnttab_grant,
 *    xmm_gnttab_end, xmm_gnttab_map_frame and the query xmm_gnttab_entry;
 *    in ffa.h the set-up and query calls xmm_spmc_stub_attach,
 *    xmm_spmc_attach and xmm_spmc_stub_handle_state.
 *  - GNTST: the grant operations of gnttab.h, xmm_gnttab_map,
 *    xmm_gnttab_unmap and xmm_gnttab_unmap_host (GNTTABOP_map_grant_ref /
 *    unmap_grant_ref / unmap_and_replace).
 *  - FFA_RET: the FF-A calls of ffa.h, xmm_ffa_share, xmm_ffa_reclaim,
 *    xmm_sp_retrieve, xmm_sp_relinquish and xmm_sp_access, and every
 *    function of a struct xmm_spmc_ops.
 * Those are the only two headers that hold more than one family; the
 * comment of each function there names its family, "Return (GNTST)" or
 * "Return (FFA_RET)" or "Return (errno)".
 *
 * The families overlap numerically (-1 is -XMM_EPERM, XMM_GNTST_general_error
 * and XMM_FFA_RET_NOT_SUPPORTED): name a code with xmm_rc_name and the
 * family of the function that returned it.
 */
#ifndef XMM_ERROR_H
#define XMM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define XMM_OK 0
#define XMM_EPERM 1
#define XMM_ENOENT 2
#define XMM_ESRCH 3
#define XMM_E2BIG 7
#define XMM_EAGAIN 11
#define XMM_ENOMEM 12
#define XMM_EACCES 13
#define XMM_EBUSY 16
#define XMM_EEXIST 17
#define XMM_EINVAL 22
#define XMM_ENOSPC 28
#define XMM_ENOSYS 38
#define XMM_EILSEQ 84
#define XMM_ERESTART 85

/* Grant table status codes (xen/include/public/grant_table.h). */
#define XMM_GNTST_okay 0
#define XMM_GNTST_general_error (-1)
#define XMM_GNTST_bad_domain (-2)
#define XMM_GNTST_bad_gntref (-3)
#define XMM_GNTST_bad_handle (-4)
#define XMM_GNTST_bad_virt_addr (-5)
#define XMM_GNTST_bad_dev_addr (-6)
#define XMM_GNTST_no_device_space (-7)
#define XMM_GNTST_permission_denied (-8)
#define XMM_GNTST_bad_page (-9)
#define XMM_GNTST_bad_copy_arg (-10)
#define XMM_GNTST_address_too_big (-11)
#define XMM_GNTST_eagain (-12)
#define XMM_GNTST_no_space (-13)

/* FF-A status codes (FF-A v1.1, table "Error status codes"). */
#define XMM_FFA_RET_OK 0
#define XMM_FFA_RET_NOT_SUPPORTED (-1)
#define XMM_FFA_RET_INVALID_PARAMETERS (-2)
#define XMM_FFA_RET_NO_MEMORY (-3)
#define XMM_FFA_RET_BUSY (-4)
#define XMM_FFA_RET_INTERRUPTED (-5)
#define XMM_FFA_RET_DENIED (-6)
#define XMM_FFA_RET_RETRY (-7)
#define XMM_FFA_RET_ABORTED (-8)
#define XMM_FFA_RET_NO_DATA (-9)

enum xmm_rc_family {
    XMM_RC_ERRNO = 0,
    XMM_RC_GNTST,
    XMM_RC_FFA,
};

/*
 * Name of a code in a family: "OK", "EINVAL", "GNTST_bad_handle",
 * "FFA_RET_DENIED".  Unknown values give "E?" / "GNTST_?" / "FFA_RET_?".
 * xmm_strerror(rc) is xmm_rc_name(XMM_RC_ERRNO, rc).
 */
const char *xmm_rc_name(enum xmm_rc_family fam, int rc);
const char *xmm_strerror(int rc);

/*
 * Parse a code name.  Sets *fam and *rc and returns 0, or returns -XMM_EINVAL
 * for an unknown name.  "OK" parses as the errno family; "GNTST_okay" and
 * "FFA_RET_OK" as their own.
 */
int xmm_rc_parse(const char *name, enum xmm_rc_family *fam, int *rc);

#ifdef __cplusplus
}
#endif
#endif /* XMM_ERROR_H */
