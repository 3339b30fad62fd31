/*
 * libxmm - basic types shared by every module.
 *
 * Frame numbers are typed: a machine frame number (mfn) and a guest frame
 * number (gfn) are one-member structs, so passing one where the other is
 * expected is a compile error (Xen does the same with mfn_t / gfn_t under
 * TYPE_SAFE, Hafnium with paddr_t / ipaddr_t).
 */
#ifndef XMM_TYPES_H
#define XMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Guest and machine frame numbers are below 2^36 (48-bit addresses). */
#define XMM_FRAME_BITS 36
#define XMM_FRAME_LIMIT (UINT64_C(1) << XMM_FRAME_BITS)

typedef struct { uint64_t m; } xmm_mfn_t;
typedef struct { uint64_t g; } xmm_gfn_t;

#define XMM_INVALID_MFN_RAW (~UINT64_C(0))
#define XMM_INVALID_GFN_RAW (~UINT64_C(0))

static inline xmm_mfn_t xmm_mfn(uint64_t v) { xmm_mfn_t r = { v }; return r; }
static inline xmm_gfn_t xmm_gfn(uint64_t v) { xmm_gfn_t r = { v }; return r; }
static inline uint64_t xmm_mfn_x(xmm_mfn_t m) { return m.m; }
static inline uint64_t xmm_gfn_x(xmm_gfn_t g) { return g.g; }
static inline bool xmm_mfn_eq(xmm_mfn_t a, xmm_mfn_t b) { return a.m == b.m; }
static inline bool xmm_gfn_eq(xmm_gfn_t a, xmm_gfn_t b) { return a.g == b.g; }
static inline xmm_mfn_t xmm_mfn_add(xmm_mfn_t m, uint64_t n) { return xmm_mfn(m.m + n); }
static inline xmm_gfn_t xmm_gfn_add(xmm_gfn_t g, uint64_t n) { return xmm_gfn(g.g + n); }
#define XMM_INVALID_MFN xmm_mfn(XMM_INVALID_MFN_RAW)
#define XMM_INVALID_GFN xmm_gfn(XMM_INVALID_GFN_RAW)

/*
 * Domain ids.  Guest domains use 0..XMM_DOMID_FIRST_RESERVED-1; the values
 * above follow Xen's reserved ids.  XMM_DOMID_PARK is libxmm's own: the
 * owner of frames that a secure partition refused to give back, which are
 * never handed to anyone again (seed 000).
 */
typedef uint16_t xmm_domid_t;
#define XMM_DOMID_FIRST_RESERVED 0x7FF0u
#define XMM_DOMID_IO 0x7FF1u
#define XMM_DOMID_XEN 0x7FF2u
#define XMM_DOMID_INVALID 0x7FF4u
#define XMM_DOMID_PARK 0x7FF8u
#define XMM_DOMID_MAX (XMM_DOMID_FIRST_RESERVED - 1)

/* Arm P2M types (xen/arch/arm/include/asm/p2m.h), same order. */
enum xmm_p2m_type {
    XMM_P2M_INVALID = 0,
    XMM_P2M_RAM_RW,
    XMM_P2M_RAM_RO,
    XMM_P2M_MMIO_DIRECT_DEV,
    XMM_P2M_MMIO_DIRECT_NC,
    XMM_P2M_MMIO_DIRECT_C,
    XMM_P2M_MAP_FOREIGN_RW,
    XMM_P2M_MAP_FOREIGN_RO,
    XMM_P2M_GRANT_MAP_RW,
    XMM_P2M_GRANT_MAP_RO,
    XMM_P2M_IOMMU_MAP_RW,
    XMM_P2M_IOMMU_MAP_RO,
    XMM_P2M_TYPE_COUNT
};

static inline bool xmm_p2m_is_ram(enum xmm_p2m_type t)
{
    return t == XMM_P2M_RAM_RW || t == XMM_P2M_RAM_RO;
}
static inline bool xmm_p2m_is_foreign(enum xmm_p2m_type t)
{
    return t == XMM_P2M_MAP_FOREIGN_RW || t == XMM_P2M_MAP_FOREIGN_RO;
}
static inline bool xmm_p2m_is_grant(enum xmm_p2m_type t)
{
    return t == XMM_P2M_GRANT_MAP_RW || t == XMM_P2M_GRANT_MAP_RO;
}
static inline bool xmm_p2m_is_mmio(enum xmm_p2m_type t)
{
    return t == XMM_P2M_MMIO_DIRECT_DEV || t == XMM_P2M_MMIO_DIRECT_NC ||
           t == XMM_P2M_MMIO_DIRECT_C;
}
static inline bool xmm_p2m_is_writable(enum xmm_p2m_type t)
{
    return t == XMM_P2M_RAM_RW || t == XMM_P2M_MAP_FOREIGN_RW ||
           t == XMM_P2M_GRANT_MAP_RW || t == XMM_P2M_IOMMU_MAP_RW ||
           xmm_p2m_is_mmio(t);
}

/* Name of a P2M type as used in scenario files ("ram_rw", "absent", ...). */
const char *xmm_p2m_type_name(enum xmm_p2m_type t);
/* Parse a P2M type name; returns 0 or -XMM_EINVAL. "absent" parses as INVALID. */
int xmm_p2m_type_parse(const char *name, enum xmm_p2m_type *out);

struct xmm_world;
struct xmm_domain;

#ifdef __cplusplus
}
#endif
#endif /* XMM_TYPES_H */
