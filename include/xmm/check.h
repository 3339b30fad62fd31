/*
 * libxmm - invariants.
 *
 * Each invariant has an id (scenario-format.md "Invariants").  The checker
 * has two modes that must agree:
 *  - incremental: looks only at what changed since the last check (frames,
 *    P2M entries and domains the model marked dirty), O(what a step touched);
 *  - full sweep: recomputes every reference and list from scratch.
 * A differential test runs both after every random call.
 */
#ifndef XMM_CHECK_H
#define XMM_CHECK_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xmm_invariant {
    XMM_INV_REFCOUNT = 0,
    XMM_INV_OWNERSHIP,
    XMM_INV_FREE_CLEAN,
    XMM_INV_P2M_TYPE,
    XMM_INV_XENHEAP_GFN,
    XMM_INV_ISOLATION,
    XMM_INV_SAFE_RANGE,
    XMM_INV_DESTROY_PROGRESS,
    XMM_INV_LOCK_ORDER,
    XMM_INV_MPU_REGIONS,
    XMM_INV_ACCOUNTING,
    XMM_INV_GRANT_PIN,
    XMM_INV_COUNT
};

const char *xmm_invariant_name(enum xmm_invariant inv);
/* Return: 0 and *out, or -XMM_EINVAL for an unknown name. */
int xmm_invariant_parse(const char *name, enum xmm_invariant *out);

enum xmm_subject_kind {
    XMM_SUBJECT_WORLD = 0,
    XMM_SUBJECT_FRAME,
    XMM_SUBJECT_DOMAIN,
    XMM_SUBJECT_P2M, /* an entry: dom + gfn */
};

struct xmm_violation {
    enum xmm_invariant inv;
    enum xmm_subject_kind kind;
    xmm_mfn_t mfn;    /* FRAME, and P2M when the entry names a frame */
    xmm_domid_t dom;  /* DOMAIN, P2M */
    xmm_gfn_t gfn;    /* P2M */
    char detail[160]; /* what differs, in words */
};

/*
 * Violations found by the last check, at most XMM_CHECK_MAX_REPORT kept:
 * v[0] .. v[kept - 1] (the entries past those are left as they were).
 */
#define XMM_CHECK_MAX_REPORT 16

struct xmm_check_report {
    uint32_t count;   /* all violations found (may exceed the kept ones) */
    uint32_t kept;
    struct xmm_violation v[XMM_CHECK_MAX_REPORT];
};

/*
 * Check what changed since the last check (or since the world was created),
 * then forget the change set.  Return: number of violations (0 = all hold).
 */
uint32_t xmm_check_incremental(struct xmm_world *w, struct xmm_check_report *rep);

/*
 * Check everything from scratch.  Does not forget the change set.
 * Return: number of violations, or -XMM_ENOMEM if scratch space could not
 * be allocated (nothing is checked then).
 */
int xmm_check_full(struct xmm_world *w, struct xmm_check_report *rep);

/*
 * Record a violation found outside the checker (the toolstack destroy loop
 * running out of retries, a module's own check): it is reported by the next
 * xmm_check_incremental / xmm_check_full call.
 */
void xmm_check_flag(struct xmm_world *w, const struct xmm_violation *v);

/* Total violations reported by checks of this world so far. */
uint64_t xmm_check_total(const struct xmm_world *w);

#ifdef __cplusplus
}
#endif
#endif /* XMM_CHECK_H */
