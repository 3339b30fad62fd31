/*
 * libxmm - every private header at once, for the white-box tests and the
 * benchmarks (tests/, bench/).  Files in src/ include only what they use:
 * core.h (the core), module.h (the module interface) and the private
 * header of each module they talk to.
 */
#ifndef XMM_INTERNAL_H
#define XMM_INTERNAL_H

#include "core.h"
#include "module.h"
#include "ffa_priv.h"
#include "gnttab_priv.h"
#include "iommu_priv.h"
#include "mpu_priv.h"
#include "physmap_priv.h"
#include "saferange_priv.h"

#endif /* XMM_INTERNAL_H */
