/*
 * libxmm - names of codes, types, states and invariants, and their parsers.
 * These are the names scenario files use, so they never change.
 */
#include "core.h"

struct code_name {
    int rc;
    const char *name;
};

static const struct code_name errno_names[] = {
    { 0, "OK" },
    { -XMM_EPERM, "EPERM" },
    { -XMM_ENOENT, "ENOENT" },
    { -XMM_ESRCH, "ESRCH" },
    { -XMM_E2BIG, "E2BIG" },
    { -XMM_EAGAIN, "EAGAIN" },
    { -XMM_ENOMEM, "ENOMEM" },
    { -XMM_EACCES, "EACCES" },
    { -XMM_EBUSY, "EBUSY" },
    { -XMM_EEXIST, "EEXIST" },
    { -XMM_EINVAL, "EINVAL" },
    { -XMM_ENOSPC, "ENOSPC" },
    { -XMM_ENOSYS, "ENOSYS" },
    { -XMM_EILSEQ, "EILSEQ" },
    { -XMM_ERESTART, "ERESTART" },
};

static const struct code_name gntst_names[] = {
    { XMM_GNTST_okay, "GNTST_okay" },
    { XMM_GNTST_general_error, "GNTST_general_error" },
    { XMM_GNTST_bad_domain, "GNTST_bad_domain" },
    { XMM_GNTST_bad_gntref, "GNTST_bad_gntref" },
    { XMM_GNTST_bad_handle, "GNTST_bad_handle" },
    { XMM_GNTST_bad_virt_addr, "GNTST_bad_virt_addr" },
    { XMM_GNTST_bad_dev_addr, "GNTST_bad_dev_addr" },
    { XMM_GNTST_no_device_space, "GNTST_no_device_space" },
    { XMM_GNTST_permission_denied, "GNTST_permission_denied" },
    { XMM_GNTST_bad_page, "GNTST_bad_page" },
    { XMM_GNTST_bad_copy_arg, "GNTST_bad_copy_arg" },
    { XMM_GNTST_address_too_big, "GNTST_address_too_big" },
    { XMM_GNTST_eagain, "GNTST_eagain" },
    { XMM_GNTST_no_space, "GNTST_no_space" },
};

static const struct code_name ffa_names[] = {
    { XMM_FFA_RET_OK, "FFA_RET_OK" },
    { XMM_FFA_RET_NOT_SUPPORTED, "FFA_RET_NOT_SUPPORTED" },
    { XMM_FFA_RET_INVALID_PARAMETERS, "FFA_RET_INVALID_PARAMETERS" },
    { XMM_FFA_RET_NO_MEMORY, "FFA_RET_NO_MEMORY" },
    { XMM_FFA_RET_BUSY, "FFA_RET_BUSY" },
    { XMM_FFA_RET_INTERRUPTED, "FFA_RET_INTERRUPTED" },
    { XMM_FFA_RET_DENIED, "FFA_RET_DENIED" },
    { XMM_FFA_RET_RETRY, "FFA_RET_RETRY" },
    { XMM_FFA_RET_ABORTED, "FFA_RET_ABORTED" },
    { XMM_FFA_RET_NO_DATA, "FFA_RET_NO_DATA" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct code_name *family_table(enum xmm_rc_family fam, size_t *n)
{
    switch (fam) {
    case XMM_RC_GNTST:
        *n = N(gntst_names);
        return gntst_names;
    case XMM_RC_FFA:
        *n = N(ffa_names);
        return ffa_names;
    case XMM_RC_ERRNO:
    default:
        *n = N(errno_names);
        return errno_names;
    }
}

const char *xmm_rc_name(enum xmm_rc_family fam, int rc)
{
    size_t n;
    const struct code_name *t = family_table(fam, &n);

    for (size_t i = 0; i < n; i++)
        if (t[i].rc == rc)
            return t[i].name;
    return fam == XMM_RC_GNTST ? "GNTST_?" : fam == XMM_RC_FFA ? "FFA_RET_?" : "E?";
}

const char *xmm_strerror(int rc) { return xmm_rc_name(XMM_RC_ERRNO, rc); }

int xmm_rc_parse(const char *name, enum xmm_rc_family *fam, int *rc)
{
    static const enum xmm_rc_family fams[] = { XMM_RC_ERRNO, XMM_RC_GNTST, XMM_RC_FFA };

    for (size_t f = 0; f < N(fams); f++) {
        size_t n;
        const struct code_name *t = family_table(fams[f], &n);

        for (size_t i = 0; i < n; i++)
            if (!strcmp(t[i].name, name)) {
                *fam = fams[f];
                *rc = t[i].rc;
                return 0;
            }
    }
    return -XMM_EINVAL;
}

static const char *const p2m_type_names[XMM_P2M_TYPE_COUNT] = {
    [XMM_P2M_INVALID] = "absent",
    [XMM_P2M_RAM_RW] = "ram_rw",
    [XMM_P2M_RAM_RO] = "ram_ro",
    [XMM_P2M_MMIO_DIRECT_DEV] = "mmio_direct_dev",
    [XMM_P2M_MMIO_DIRECT_NC] = "mmio_direct_nc",
    [XMM_P2M_MMIO_DIRECT_C] = "mmio_direct_c",
    [XMM_P2M_MAP_FOREIGN_RW] = "map_foreign_rw",
    [XMM_P2M_MAP_FOREIGN_RO] = "map_foreign_ro",
    [XMM_P2M_GRANT_MAP_RW] = "grant_map_rw",
    [XMM_P2M_GRANT_MAP_RO] = "grant_map_ro",
    [XMM_P2M_IOMMU_MAP_RW] = "iommu_map_rw",
    [XMM_P2M_IOMMU_MAP_RO] = "iommu_map_ro",
};

const char *xmm_p2m_type_name(enum xmm_p2m_type t)
{
    return (unsigned)t < XMM_P2M_TYPE_COUNT ? p2m_type_names[t] : "?";
}

int xmm_p2m_type_parse(const char *name, enum xmm_p2m_type *out)
{
    for (int i = 0; i < XMM_P2M_TYPE_COUNT; i++)
        if (!strcmp(p2m_type_names[i], name)) {
            *out = (enum xmm_p2m_type)i;
            return 0;
        }
    if (!strcmp(name, "invalid")) {
        *out = XMM_P2M_INVALID;
        return 0;
    }
    return -XMM_EINVAL;
}

const char *xmm_domain_state_name(enum xmm_domain_state s)
{
    switch (s) {
    case XMM_DOMAIN_RUNNING: return "running";
    case XMM_DOMAIN_DYING: return "dying";
    case XMM_DOMAIN_ZOMBIE: return "zombie";
    case XMM_DOMAIN_GONE:
    default: return "gone";
    }
}

static const char *const inv_names[XMM_INV_COUNT] = {
    [XMM_INV_REFCOUNT] = "refcount",
    [XMM_INV_OWNERSHIP] = "ownership",
    [XMM_INV_FREE_CLEAN] = "free_clean",
    [XMM_INV_P2M_TYPE] = "p2m_type",
    [XMM_INV_XENHEAP_GFN] = "xenheap_gfn",
    [XMM_INV_ISOLATION] = "isolation",
    [XMM_INV_SAFE_RANGE] = "safe_range",
    [XMM_INV_DESTROY_PROGRESS] = "destroy_progress",
    [XMM_INV_LOCK_ORDER] = "lock_order",
    [XMM_INV_MPU_REGIONS] = "mpu_regions",
    [XMM_INV_ACCOUNTING] = "accounting",
    [XMM_INV_GRANT_PIN] = "grant_pin",
};

const char *xmm_invariant_name(enum xmm_invariant inv)
{
    return (unsigned)inv < XMM_INV_COUNT ? inv_names[inv] : "?";
}

int xmm_invariant_parse(const char *name, enum xmm_invariant *out)
{
    for (int i = 0; i < XMM_INV_COUNT; i++)
        if (!strcmp(inv_names[i], name)) {
            *out = (enum xmm_invariant)i;
            return 0;
        }
    return -XMM_EINVAL;
}
