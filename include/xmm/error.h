/*
 * libxmm - return codes.
 *
 * Three families, as in Xen and FF-A:
 *  - errno: 0 or a negative XMM_E* value.  The numbers are Xen's public
 *    errno values (xen/include/public/errno.h), fixed here so the model does
 *    not depend on the host libc's numbering.
 *  - grant table status (GNTST_*), returned by grant-table operations.
 *  - FF-A return codes (FFA_RET_*), returned by FF-A operations.
 * The families overlap numerically (-1 is EPERM, GNTST_general_error and
 * FFA_RET_NOT_SUPPORTED); every operation documents which family it uses.
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
