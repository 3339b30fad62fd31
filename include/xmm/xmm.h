/*
 * libxmm - a deterministic userspace model of Xen-style guest memory
 * management.  Include this header for the whole public API.
 */
#ifndef XMM_XMM_H
#define XMM_XMM_H

#include "xmm/types.h"
#include "xmm/error.h"
#include "xmm/world.h"
#include "xmm/frame.h"
#include "xmm/domain.h"
#include "xmm/p2m.h"
#include "xmm/physmap.h"
#include "xmm/gnttab.h"
#include "xmm/mpu.h"
#include "xmm/ffa.h"
#include "xmm/saferange.h"
#include "xmm/dt.h"
#include "xmm/iommu.h"
#include "xmm/check.h"
#include "xmm/history.h"

#define XMM_VERSION_MAJOR 0
#define XMM_VERSION_MINOR 1
#define XMM_VERSION_PATCH 0
#define XMM_VERSION_STRING "0.1.0"

#endif /* XMM_XMM_H */
