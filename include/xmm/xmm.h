/*
 * libxmm - a deterministic userspace model of Xen-style guest memory
 * management.  Include this header for the whole public API.
 *
 * Conventions of the whole API:
 *  - Return codes: one of three families, all 0 on success and negative on
 *    failure; xmm/error.h says which family each function family returns.
 *  - Argument order: the world first, then the inputs, then the outputs.
 *    A function that fills results takes the pointers to them last
 *    (xmm_world_new(opts, &w), xmm_p2m_type_parse(name, &t),
 *    xmm_rc_parse(name, &fam, &rc)); a caller-supplied array is followed by
 *    its capacity (xmm_history_frame(w, mfn, out, max)) and, where there is
 *    one, by the pointer that receives how many were written
 *    (xmm_saferange_query(w, dom, out, max, &count)).
 *  - Option structs: start from their *_INIT macro (XMM_WORLD_OPTS_INIT,
 *    XMM_DOMAIN_OPTS_INIT), which name every field, then set what differs.
 *  - Threads: a world is not thread-safe and is never shared behind the
 *    caller's back.  Use each world from one thread at a time (one world per
 *    thread is the simple way; a world handed between threads needs the
 *    caller's own synchronisation).  The library has no global mutable
 *    state: every variable is in a world or in a caller's buffer, the only
 *    file-scope data are constant tables, and no call uses a libc function
 *    with hidden state; so different worlds can run in different threads at
 *    once.  The callbacks a world is given (allocator, SPMC ops, IOMMU ops)
 *    are called on the thread that called into that world.
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
#define XMM_VERSION_MINOR 3
#define XMM_VERSION_PATCH 0
#define XMM_VERSION_STRING "0.3.0"

#endif /* XMM_XMM_H */
