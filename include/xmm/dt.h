/*
 * libxmm - the guest device tree (seed 002).
 *
 * The seed's answer to "how does the guest learn its safe range": through
 * its normal memory map, which on Arm is the device tree the toolstack
 * builds.  libxmm writes a flattened device tree (DTB, built with libfdt)
 * describing one domain as it is now:
 *
 *   /                      #address-cells = #size-cells = 2
 *   /hypervisor            compatible "xen,xen-4.19", "xen,xen";
 *                          reg = grant-table region (xmm_saferange_gnttab:
 *                          never the domain's RAM), then each safe range
 *                          (upstream's extended regions)
 *   /memory@ADDR           device_type "memory"; reg = the domain's RAM
 *                          banks, from its P2M, adjacent frames merged
 *   /reserved-memory       one child per safe range, compatible
 *                          "xen,safe-range", no-map
 *
 * The safe ranges are the toolstack range (policy toolstack) or the holes
 * the domain was told about (policy query); under policy none, or for a
 * domain without a range, /hypervisor carries only the grant-table region.
 * The blob passes fdt_check_full and decompiles with `dtc -I dtb -O dts`.
 * No file is written here: the caller owns the buffer.
 */
#ifndef XMM_DT_H
#define XMM_DT_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Xen version the /hypervisor node claims. */
#define XMM_DT_XEN_COMPATIBLE "xen,xen-4.19"

/*
 * Write dom's guest device tree into buf[0..len).
 * Return: 0 and *size = the blob's length; -XMM_ENOSPC when len is too
 * small (*size = a length that is enough); -XMM_ESRCH; -XMM_EILSEQ if
 * libfdt refused the blob (a libxmm bug).
 */
int xmm_dt_export(const struct xmm_world *w, xmm_domid_t dom, void *buf, size_t len,
                  size_t *size);

#ifdef __cplusplus
}
#endif
#endif /* XMM_DT_H */
