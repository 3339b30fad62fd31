/*
 * libxmm - the event history.
 *
 * Every change to a frame (allocated, mapped, referenced, shared, freed ...)
 * is appended to a bounded ring with the tick and the caller's step number.
 * Events of one frame are chained, so a frame's recent history costs
 * O(events shown), and the ring's size bounds the memory used whatever the
 * host size.  Old events fall off the ring.
 */
#ifndef XMM_HISTORY_H
#define XMM_HISTORY_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xmm_event_kind {
    XMM_EV_ALLOC = 1,      /* frame allocated to dom */
    XMM_EV_FREE,           /* frame returned to the heap */
    XMM_EV_XENHEAP_ALLOC,  /* frame taken for Xen's own use */
    XMM_EV_XENHEAP_SHARE,  /* xenheap frame shared with dom */
    XMM_EV_XENHEAP_UNSHARE,/* xenheap frame back to Xen */
    XMM_EV_MAP,            /* mapped in dom's P2M at arg (gfn), aux = type */
    XMM_EV_UNMAP,          /* removed from dom's P2M at arg (gfn) */
    XMM_EV_GET,            /* general reference taken */
    XMM_EV_PUT,            /* general reference dropped */
    XMM_EV_ALLOC_REF_DROP, /* PGC_allocated cleared */
    XMM_EV_GET_TYPE,       /* typed reference taken, aux = type */
    XMM_EV_PUT_TYPE,
    XMM_EV_SET_GFN,        /* xenheap GFN stored = arg */
    XMM_EV_FFA_SHARE,      /* shared with SP arg */
    XMM_EV_FFA_RECLAIM,
    XMM_EV_SP_ACCESS,      /* SP arg touched the frame */
    XMM_EV_PARK,           /* refused frame parked */
    XMM_EV_DMA,            /* device arg accessed the frame */
    XMM_EV_DEVTLB_HOLD,
    XMM_EV_DEVTLB_RELEASE,
    XMM_EV_DOMAIN,         /* domain lifecycle; frame = none, aux = state */
    XMM_EV_FFA_REFUSED,    /* teardown reclaim refused by SP arg, aux = -FFA_RET code */
    XMM_EV_FFA_DECIDED,    /* refused share dealt with: aux = enum xmm_ffa_refused_policy */
    XMM_EV_FFA_RETRY,      /* domain event: reclaim retry timer armed, due at tick arg */
    XMM_EV_VM_DESTROYED,   /* domain event: VM_DESTROYED sent to SP arg, aux = -reply */
    XMM_EV_DEVTLB_FILL,    /* device arg cached a translation of the frame for dom */
    XMM_EV_INV_QUEUED,     /* invalidation queued for dom's unmap, due at tick arg */
    XMM_EV_INV_DONE,       /* that invalidation completed */
    XMM_EV_GRANT_MAP,      /* grant-mapped by dom: arg = handle | ref << 32 */
    XMM_EV_GRANT_UNMAP,    /* grant unmapped by dom: arg = handle | ref << 32 */
    XMM_EV_SAFE_RANGE,     /* domain event: safe range chosen, arg = gfn | pages << 40 */
    XMM_EV_MPU_PEAK,       /* domain event: MPU regions needed reached a new peak, arg */
    XMM_EV_KIND_COUNT
};

struct xmm_event {
    uint64_t tick;
    uint64_t arg;      /* gfn, SP id, device index ... by kind */
    uint32_t seq;      /* global sequence number */
    uint32_t step;     /* caller's step number (xmm_world_set_step) */
    xmm_mfn_t mfn;     /* XMM_INVALID_MFN for domain events */
    xmm_domid_t dom;
    uint8_t kind;      /* enum xmm_event_kind */
    uint8_t aux;
};

const char *xmm_event_kind_name(enum xmm_event_kind k);

/*
 * The most recent events of a frame, newest first, at most `max`.
 * Return: number written to out.
 */
size_t xmm_history_frame(const struct xmm_world *w, xmm_mfn_t mfn, struct xmm_event *out,
                         size_t max);

/*
 * Every event still in the ring with sequence number >= from, oldest first,
 * at most max (frame and domain events alike).  Return: number written.
 */
size_t xmm_history_since(const struct xmm_world *w, uint64_t from, struct xmm_event *out,
                         size_t max);
/* Describe one event in words ("allocated to d1", "mapped by d2 at gfn 0x10 as map_foreign_rw"). */
int xmm_event_describe(const struct xmm_event *ev, char *buf, size_t len);

/*
 * The one way objects are named in reasons, histories and reports, accepted
 * back as input by xmm_domid_parse: "d1", "xen", "park", "io", "none"
 * (XMM_DOMID_INVALID: a frame nobody owns).  Return: as snprintf.
 */
int xmm_domid_name(xmm_domid_t dom, char *buf, size_t len);
/* "d1" or "1", "xen", "park", "io", "none".  Return: 0 or -XMM_EINVAL. */
int xmm_domid_parse(const char *s, xmm_domid_t *out);
/*
 * xmm_event_describe with the world's names: a device by its id ("DMA write
 * by device nic0") instead of its index.  Return: as snprintf.
 */
int xmm_event_describe_in(const struct xmm_world *w, const struct xmm_event *ev, char *buf,
                          size_t len);
/* Total events appended since the world was created. */
uint64_t xmm_history_count(const struct xmm_world *w);

#ifdef __cplusplus
}
#endif
#endif /* XMM_HISTORY_H */
