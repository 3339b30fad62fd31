/*
 * libxmm - the bounded event history.
 *
 * One ring for the whole world; each frame keeps the sequence number of
 * its newest event and each event the previous one of the same frame, so a
 * frame's story is read backwards in O(events) without any per-frame
 * storage beyond 4 bytes.  An event overwritten by the ring ends the chain.
 */
#include <stdio.h>

#include "core.h"

static struct hist_event *hist_append(struct xmm_world *w, uint32_t *seq)
{
    struct hist_event *h;

    if (!w->hist_cap)
        return NULL;
    *seq = (uint32_t)w->hist_total;
    h = &w->hist[*seq % w->hist_cap];
    w->hist_total++;
    memset(h, 0, sizeof(*h));
    h->ev.seq = *seq;
    h->ev.tick = w->now;
    h->ev.step = w->step;
    return h;
}

void hist_add(struct xmm_world *w, uint32_t idx, enum xmm_event_kind kind, xmm_domid_t dom,
              uint64_t arg, uint8_t aux)
{
    struct xmm_page *pg = &w->frames[idx];
    struct hist_event *h;
    uint32_t seq;

    h = hist_append(w, &seq);
    if (!h)
        return;
    h->ev.mfn = frame_mfn(w, idx);
    h->ev.dom = dom;
    h->ev.kind = (uint8_t)kind;
    h->ev.aux = aux;
    h->ev.arg = arg;
    h->prev = pg->hist;
    pg->hist = seq + 1;
}

void hist_dom_event(struct xmm_world *w, xmm_domid_t dom, enum xmm_event_kind kind,
                    uint64_t arg, uint8_t aux)
{
    struct hist_event *h;
    uint32_t seq;

    h = hist_append(w, &seq);
    if (!h)
        return;
    h->ev.mfn = XMM_INVALID_MFN;
    h->ev.dom = dom;
    h->ev.kind = (uint8_t)kind;
    h->ev.arg = arg;
    h->ev.aux = aux;
}

void hist_domain(struct xmm_world *w, xmm_domid_t dom, enum xmm_domain_state st)
{
    hist_dom_event(w, dom, XMM_EV_DOMAIN, 0, (uint8_t)st);
}

size_t xmm_history_since(const struct xmm_world *w, uint64_t from, struct xmm_event *out,
                         size_t max)
{
    uint64_t first = w->hist_total > w->hist_cap ? w->hist_total - w->hist_cap : 0;
    size_t n = 0;

    if (!w->hist_cap)
        return 0;
    for (uint64_t s = from > first ? from : first; s < w->hist_total && n < max; s++)
        out[n++] = w->hist[s % w->hist_cap].ev;
    return n;
}

size_t xmm_history_frame(const struct xmm_world *w, xmm_mfn_t mfn, struct xmm_event *out,
                         size_t max)
{
    uint32_t s, idx;
    size_t n = 0;

    if (!w->hist_cap || !frame_valid(w, mfn.m))
        return 0;
    idx = frame_idx(w, mfn);
    s = w->frames[idx].hist;
    while (s && n < max) {
        const struct hist_event *h = &w->hist[(s - 1) % w->hist_cap];

        /* Overwritten by a newer event: the rest of the chain is gone. */
        if (h->ev.seq != s - 1 || !xmm_mfn_eq(h->ev.mfn, mfn))
            break;
        if (w->hist_total - h->ev.seq > w->hist_cap)
            break;
        out[n++] = h->ev;
        s = h->prev;
    }
    return n;
}

uint64_t xmm_history_count(const struct xmm_world *w) { return w->hist_total; }

static const char *const kind_names[XMM_EV_KIND_COUNT] = {
    [XMM_EV_ALLOC] = "alloc",
    [XMM_EV_FREE] = "free",
    [XMM_EV_XENHEAP_ALLOC] = "xenheap_alloc",
    [XMM_EV_XENHEAP_SHARE] = "xenheap_share",
    [XMM_EV_XENHEAP_UNSHARE] = "xenheap_unshare",
    [XMM_EV_MAP] = "map",
    [XMM_EV_UNMAP] = "unmap",
    [XMM_EV_GET] = "get",
    [XMM_EV_PUT] = "put",
    [XMM_EV_ALLOC_REF_DROP] = "alloc_ref_drop",
    [XMM_EV_GET_TYPE] = "get_type",
    [XMM_EV_PUT_TYPE] = "put_type",
    [XMM_EV_SET_GFN] = "set_gfn",
    [XMM_EV_FFA_SHARE] = "ffa_share",
    [XMM_EV_FFA_RECLAIM] = "ffa_reclaim",
    [XMM_EV_SP_ACCESS] = "sp_access",
    [XMM_EV_PARK] = "park",
    [XMM_EV_DMA] = "dma",
    [XMM_EV_DEVTLB_HOLD] = "devtlb_hold",
    [XMM_EV_DEVTLB_RELEASE] = "devtlb_release",
    [XMM_EV_DOMAIN] = "domain",
    [XMM_EV_FFA_REFUSED] = "ffa_refused",
    [XMM_EV_FFA_DECIDED] = "ffa_decided",
    [XMM_EV_FFA_RETRY] = "ffa_retry",
    [XMM_EV_VM_DESTROYED] = "vm_destroyed",
    [XMM_EV_DEVTLB_FILL] = "devtlb_fill",
    [XMM_EV_INV_QUEUED] = "inv_queued",
    [XMM_EV_INV_DONE] = "inv_done",
    [XMM_EV_GRANT_MAP] = "grant_map",
    [XMM_EV_GRANT_UNMAP] = "grant_unmap",
    [XMM_EV_SAFE_RANGE] = "safe_range",
    [XMM_EV_MPU_PEAK] = "mpu_peak",
};

const char *xmm_event_kind_name(enum xmm_event_kind k)
{
    return ((unsigned)k < XMM_EV_KIND_COUNT && kind_names[k]) ? kind_names[k] : "?";
}

int xmm_event_describe(const struct xmm_event *ev, char *buf, size_t len)
{
    char d[16];
    unsigned long long a = (unsigned long long)ev->arg;

    xmm_domid_name(ev->dom, d, sizeof(d));
    switch ((enum xmm_event_kind)ev->kind) {
    case XMM_EV_ALLOC: return snprintf(buf, len, "allocated to %s", d);
    case XMM_EV_FREE: return snprintf(buf, len, "freed to the heap");
    case XMM_EV_XENHEAP_ALLOC: return snprintf(buf, len, "allocated to xen (xenheap)");
    case XMM_EV_XENHEAP_SHARE: return snprintf(buf, len, "xenheap frame shared with %s", d);
    case XMM_EV_XENHEAP_UNSHARE: return snprintf(buf, len, "xenheap frame back from %s", d);
    case XMM_EV_MAP:
        return snprintf(buf, len, "mapped by %s at gfn %#llx as %s", d, a,
                        xmm_p2m_type_name((enum xmm_p2m_type)ev->aux));
    case XMM_EV_UNMAP:
        return snprintf(buf, len, "unmapped by %s at gfn %#llx (%s)", d, a,
                        xmm_p2m_type_name((enum xmm_p2m_type)ev->aux));
    case XMM_EV_GET: return snprintf(buf, len, "reference taken for %s", d);
    case XMM_EV_PUT: return snprintf(buf, len, "reference dropped (owner %s)", d);
    case XMM_EV_ALLOC_REF_DROP: return snprintf(buf, len, "allocation reference dropped by %s", d);
    case XMM_EV_GET_TYPE: return snprintf(buf, len, "typed reference %u taken", ev->aux);
    case XMM_EV_PUT_TYPE: return snprintf(buf, len, "typed reference dropped");
    case XMM_EV_SET_GFN:
        if (ev->arg == XMM_INVALID_GFN_RAW)
            return snprintf(buf, len, "stored xenheap gfn reset by %s", d);
        return snprintf(buf, len, "stored xenheap gfn %#llx for %s", a, d);
    case XMM_EV_FFA_SHARE: return snprintf(buf, len, "shared by %s with SP %#llx", d, a);
    case XMM_EV_FFA_RECLAIM: return snprintf(buf, len, "reclaimed by %s from SP %#llx", d, a);
    case XMM_EV_SP_ACCESS:
        return snprintf(buf, len, "%s by SP %#llx", ev->aux ? "written" : "read", a);
    case XMM_EV_PARK: return snprintf(buf, len, "parked: owner park (refused by SP %#llx)", a);
    case XMM_EV_DMA:
        return snprintf(buf, len, "DMA %s by device %llu", ev->aux ? "write" : "read", a);
    case XMM_EV_DEVTLB_HOLD: return snprintf(buf, len, "held for a device-TLB flush of %s", d);
    case XMM_EV_DEVTLB_RELEASE: return snprintf(buf, len, "device-TLB hold released");
    case XMM_EV_FFA_REFUSED:
        return snprintf(buf, len, "reclaim of %s's share refused by SP %#llx (%s)", d, a,
                        xmm_rc_name(XMM_RC_FFA, -(int)ev->aux));
    case XMM_EV_FFA_DECIDED: {
        static const char *const what[] = { "parked", "kept by the zombie", "leaked",
                                            "unpinned and freed (unsafe)" };

        return snprintf(buf, len, "refused share of %s: %s (ffa_refused: %s)", d,
                        ev->aux < 4 ? what[ev->aux] : "?",
                        ev->aux == 0 ? "park" : ev->aux == 1 ? "zombie" : ev->aux == 2 ? "leak" : "free");
    }
    case XMM_EV_FFA_RETRY:
        return snprintf(buf, len, "reclaim retry for %s armed, due at tick %llu", d, a);
    case XMM_EV_VM_DESTROYED:
        return snprintf(buf, len, "VM_DESTROYED for %s sent to SP %#llx, reply %s", d, a,
                        xmm_rc_name(XMM_RC_FFA, -(int)ev->aux));
    case XMM_EV_DEVTLB_FILL:
        return snprintf(buf, len, "device %llu cached a translation of %s", a, d);
    case XMM_EV_INV_QUEUED:
        return snprintf(buf, len, "invalidation for %s queued, due at tick %llu", d, a);
    case XMM_EV_INV_DONE: return snprintf(buf, len, "invalidation for %s done", d);
    case XMM_EV_GRANT_MAP:
        return snprintf(buf, len, "grant-mapped by %s, handle %llu (ref %llu)", d, a & 0xffffffffu,
                        a >> 32);
    case XMM_EV_GRANT_UNMAP:
        return snprintf(buf, len, "grant unmapped by %s, handle %llu (ref %llu)", d,
                        a & 0xffffffffu, a >> 32);
    case XMM_EV_MPU_PEAK:
        return snprintf(buf, len, "%s needs %llu MPU regions, its most so far", d, a);
    case XMM_EV_SAFE_RANGE:
        if (!(a >> 40))
            return snprintf(buf, len, "%s has no toolstack safe range", d);
        return snprintf(buf, len, "%s's safe range is [%#llx, %#llx)", d, a & ((1ULL << 40) - 1),
                        (a & ((1ULL << 40) - 1)) + (a >> 40));
    case XMM_EV_DOMAIN:
        return snprintf(buf, len, "%s is %s", d,
                        xmm_domain_state_name((enum xmm_domain_state)ev->aux));
    case XMM_EV_KIND_COUNT:
    default:
        return snprintf(buf, len, "event %u", ev->kind);
    }
}
