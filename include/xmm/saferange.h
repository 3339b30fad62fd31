/*
 * libxmm - safe ranges for grant and foreign mappings (seed 002).
 *
 * A guest needs guest-physical space in which to place grant and foreign
 * mappings.  Upstream Arm guests use ballooned-out RAM pages for that (each
 * mapping costs the guest a real page: the XSA-300 concern), or the
 * "extended regions" the toolstack finds in the unused parts of the guest
 * layout.  Seed 002 discusses two designs:
 *
 *  - the toolstack chooses a safe range once, at domain_create, sized from
 *    the domain's own bounds, and it never changes; anything that would
 *    overlap it later (RAM populate, MMIO mapping) is refused, and grant and
 *    foreign mappings are accepted only inside it (policy `toolstack`);
 *  - the hypervisor reports the current holes of the P2M on demand
 *    (the proposed XENMEM_get_unallocated_space); nothing is reserved, so a
 *    hole can be handed out and then filled by a device mapping (policy
 *    `query`, the race the seed warns about).
 *
 * Policy `none` is upstream today: mappings go wherever the guest puts
 * them, and this module only counts the RAM slots they use up.
 *
 * All numbers are 4 KiB frames (gfns), like everything else in libxmm.
 */
#ifndef XMM_SAFERANGE_H
#define XMM_SAFERANGE_H

#include "xmm/types.h"
#include "xmm/world.h"
#include "xmm/domain.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The Arm guest layout (public/arch-arm.h), as gfns: the grant-table region,
 * the magic pages (xenstore, console ...), and the two RAM windows.  RAM is
 * laid out as libxl does it: bank 0 fills RAM0 first, the rest goes to RAM1.
 */
#define XMM_GUEST_GNTTAB_GFN UINT64_C(0x38000)    /* 0x38000000 */
#define XMM_GUEST_GNTTAB_PAGES UINT64_C(0x1000)   /* 16 MiB */
#define XMM_GUEST_MAGIC_GFN UINT64_C(0x39000)     /* 0x39000000 */
#define XMM_GUEST_MAGIC_PAGES UINT64_C(0x1000)    /* 16 MiB */
#define XMM_GUEST_RAM0_GFN UINT64_C(0x40000)      /* 0x40000000 */
#define XMM_GUEST_RAM0_PAGES UINT64_C(0xC0000)    /* 3 GiB */
#define XMM_GUEST_RAM1_GFN UINT64_C(0x200000)     /* 0x0200000000 */
#define XMM_GUEST_RAM1_PAGES UINT64_C(0xFE00000)  /* 1016 GiB */

/* Placement and trimming rules, in frames. */
#define XMM_SAFERANGE_ALIGN UINT64_C(0x40000)     /* 1 GiB: an auto range starts here */
#define XMM_SAFERANGE_GRANULE UINT64_C(0x200)     /* 2 MiB: extended-region granule */
#define XMM_SAFERANGE_MIN_PAGES UINT64_C(0x4000)  /* 64 MiB: smaller regions are dropped */
#define XMM_SAFERANGE_CONTROL_PAGES UINT64_C(0x2000000) /* 128 GiB for the control domain */
#define XMM_SAFERANGE_CONTROL_DOMID 0             /* the control domain (dom0) */
#define XMM_SAFERANGE_SHINFO_PAGES 1              /* shared_info, a xenheap frame mapped by the guest */
/* Holes a domain can be told about over its life (policy query). */
#define XMM_SAFERANGE_TOLD_MAX 16

/* A range of guest frames [gfn, gfn + pages). */
struct xmm_saferange {
    xmm_gfn_t gfn;
    uint64_t pages;
};

/*
 * The sizing formula for a domain's safe range (toolstack `auto`):
 * maptrack_frames x 512 (every grant mapping the domain can hold) +
 * grant_frames + 1 (the ABI frames the guest maps there: its grant table
 * and shared_info; vcpu_info lives in guest RAM pages), plus
 * XMM_SAFERANGE_CONTROL_PAGES for the control domain
 * (its foreign mappings are not bounded by anything else); then rounded up
 * to 2 MiB and raised to 64 MiB.  *need (may be NULL) receives the bound
 * before rounding.  opts NULL: XMM_DOMAIN_OPTS_INIT.  Return: the size in
 * frames.
 */
uint64_t xmm_saferange_size(xmm_domid_t dom, const struct xmm_domain_opts *opts, uint64_t *need);

/*
 * The range xmm_domain_create would give `dom` under policy toolstack, with
 * the world as it is now: the given range as is, or (auto) a range of
 * xmm_saferange_size frames placed 1 GiB-aligned above the highest RAM,
 * MMIO or special region (for a direct-mapped domain: above host RAM and
 * MMIO, in a host hole), or failing that in the lowest hole that fits.
 * out->pages is 0 for `safe_range: none`.
 * The grant-table region it avoids is the domain's (xmm_saferange_gnttab).
 * Return: 0; -XMM_EINVAL (a given range that is out of bounds or overlaps
 * the grant-table or magic region, or for a direct-mapped domain host RAM or
 * MMIO); -XMM_ENOSPC (no hole is large enough, or a direct-mapped domain
 * has no grant-table region).
 */
int xmm_saferange_choose(const struct xmm_world *w, xmm_domid_t dom,
                         const struct xmm_domain_opts *opts, struct xmm_saferange *out);

/*
 * The grant-table region `dom` is told about (/hypervisor reg[0]), for a
 * domain created with opts (NULL: XMM_DOMAIN_OPTS_INIT) in this world:
 *  - not direct-mapped: GUEST_GNTTAB_BASE, 16 MiB (libxl, dom0less domUs);
 *  - direct-mapped: a host range that can never be the domain's RAM nor a
 *    device (Xen's find_gnttab_region gives the hardware domain its own
 *    text section; libxmm's host has no Xen image, so a host hole):
 *    GUEST_GNTTAB_BASE if that is a hole, else the lowest 2 MiB-aligned
 *    start right after host RAM or an MMIO region that fits below 2^36.
 *    Size: grant_frames pages for the hardware domain (domid 0, as Xen sizes
 *    dom0's with gnttab_dom0_frames), 16 MiB for any other.
 * xmm_domain_create refuses a domain for which this fails.
 * Return: 0; -XMM_EINVAL (grant_frames 0); -XMM_ENOSPC (no host hole of
 * that size).
 */
int xmm_saferange_gnttab(const struct xmm_world *w, xmm_domid_t dom,
                         const struct xmm_domain_opts *opts, struct xmm_saferange *out);

/*
 * The proposed XENMEM_get_unallocated_space (policy query only): the
 * lowest holes of dom's P2M inside the guest RAM windows (direct-mapped:
 * host holes, neither RAM nor MMIO), trimmed by the extended-region rules
 * (start up to 2 MiB, end down to 2 MiB, under 64 MiB dropped); at most
 * `max` of them, lowest first, in out[0..*count).  Every hole reported is
 * remembered: from then on it counts as dom's safe range for the
 * `safe_range` invariant.
 * Return: 0; -XMM_ENOSYS (the policy is not query); -XMM_ESRCH;
 * -XMM_EINVAL (max == 0, or the domain is dying); -XMM_ENOSPC (no hole, or
 * more than XMM_SAFERANGE_TOLD_MAX holes to remember); -XMM_ENOMEM.
 */
int xmm_saferange_query(struct xmm_world *w, xmm_domid_t dom, struct xmm_saferange *out,
                        size_t max, size_t *count);

struct xmm_saferange_info {
    enum xmm_safe_range_policy policy;
    struct xmm_saferange range; /* toolstack: the fixed range (pages 0: none) */
    uint32_t told_count;        /* query: holes the domain was told about */
    uint64_t capacity;          /* frames in its safe range(s) */
    uint64_t used;              /* grant + foreign entries and ABI frames inside them */
    uint64_t abi_frames;        /* of those, ABI frames: the domain's own xenheap frames
                                   (grant table, shared_info) mapped RAM-typed */
    uint64_t grant_maps;        /* grant entries anywhere in the P2M */
    uint64_t foreign_maps;      /* foreign entries anywhere in the P2M */
    /*
     * Grant and foreign entries outside any safe range that sit in the
     * domain's RAM (its RAM banks of the guest layout; direct-mapped: host
     * RAM).  Each one is a RAM page the guest gave back to make room for a
     * mapping (XSA-300).
     */
    uint64_t ram_slots;
};

/* Return: 0 and *out; -XMM_ESRCH. */
int xmm_saferange_info(const struct xmm_world *w, xmm_domid_t dom,
                       struct xmm_saferange_info *out);

/* Told hole i of dom (policy query).  Return: 0; -XMM_ESRCH; -XMM_ENOENT. */
int xmm_saferange_told(const struct xmm_world *w, xmm_domid_t dom, uint32_t i,
                       struct xmm_saferange *out);

#ifdef __cplusplus
}
#endif
#endif /* XMM_SAFERANGE_H */
