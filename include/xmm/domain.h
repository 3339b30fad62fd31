/*
 * libxmm - domain lifecycle.
 *
 * Models Xen's struct domain as far as memory management goes: creation,
 * reference counting (get_domain / put_domain), the page lists and their
 * counters, and destruction in stages.  domain_kill relinquishes resources
 * stage by stage; each stage does a bounded amount of work and returns
 * -XMM_ERESTART with a saved cursor, and the toolstack calls again.  Once
 * the kill completed the domain drops its creation reference; if frames it
 * owns are still referenced elsewhere (a foreign mapping, an FF-A pin, a
 * device TLB) it stays a zombie until the last one goes.
 */
#ifndef XMM_DOMAIN_H
#define XMM_DOMAIN_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Work done by one domain_kill call before it is preempted (Arm: 512). */
#define XMM_KILL_BATCH 512

enum xmm_domain_state {
    XMM_DOMAIN_GONE = 0,  /* never created, or destroyed */
    XMM_DOMAIN_RUNNING,   /* created, not killed */
    XMM_DOMAIN_DYING,     /* domain_kill started, not finished */
    XMM_DOMAIN_ZOMBIE,    /* killed, still referenced */
};

const char *xmm_domain_state_name(enum xmm_domain_state s);

enum xmm_safe_range_mode {
    XMM_SAFE_RANGE_AUTO = 0, /* chosen by the toolstack model */
    XMM_SAFE_RANGE_OFF,      /* no safe range for this domain */
    XMM_SAFE_RANGE_GIVEN,    /* gfn/pages given by the caller */
};

struct xmm_domain_opts {
    uint64_t max_pages;
    bool direct_map;       /* gfn == mfn (Armv8-R, dom0less direct-map) */
    bool ffa;              /* FF-A mediator context */
    uint32_t grant_frames; /* max grant-table frames */
    uint32_t maptrack_frames;
    enum xmm_safe_range_mode safe_range;
    xmm_gfn_t safe_range_gfn;
    uint64_t safe_range_pages;
};

/* Defaults for struct xmm_domain_opts; every field named (see XMM_WORLD_OPTS_INIT). */
#define XMM_DOMAIN_OPTS_INIT                                                   \
    {                                                                          \
        .max_pages = 0, .direct_map = false, .ffa = false, .grant_frames = 64, \
        .maptrack_frames = 1024, .safe_range = XMM_SAFE_RANGE_AUTO,           \
        .safe_range_gfn = { .g = 0 }, .safe_range_pages = 0,                        \
    }

/*
 * domain_create.  Return: 0, -XMM_EEXIST (id taken, including a zombie),
 * -XMM_EINVAL (reserved id, bad options, a given safe range that is out of
 * bounds or overlaps what it must not), -XMM_ENOSPC (no room for a region
 * the domain needs: a direct-mapped domain with no host range for its
 * grant-table region (xmm_saferange_gnttab), or under safe_range: toolstack
 * no hole for an automatic safe range (xmm_saferange_choose)), -XMM_ENOMEM.
 */
int xmm_domain_create(struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *opts);

/*
 * domain_kill: one call of the staged teardown.  Stages, in order, with the
 * number xmm_domain_info.kill_stage reports while the stage runs (0: not
 * started):
 *   1 FF-A: VM_DESTROYED to the SPMC, reclaim of the domain's FF-A shares;
 *   2 grant mappings this domain holds, released;
 *   3 guest-page shared_info / vcpu_info references, dropped;
 *   4 IOMMU: the domain's devices deassigned (one whole-TLB flush per ATS
 *     device);
 *   5 P2M mappings: every leaf removed (foreign references, xenheap GFNs);
 *   6 xenheap list: the allocation reference of shared xenheap frames;
 *   7 page list: the allocation reference of every page;
 *   8 P2M tables: the radix nodes freed;
 *   9 done.
 * A stage that cannot finish returns -XMM_ERESTART and the next call
 * resumes it: stages 2, 3 and 5-8 after XMM_KILL_BATCH units of work (a
 * cursor is saved in the domain), stage 1 under ffa_teardown: restart while
 * shares or VM_DESTROYED are pending, stage 4 while no IOMMU invalidation
 * descriptor is free.  Return: 0 when the kill is complete (the domain is a zombie
 * or gone; killing a zombie again retries what is pending and returns 0),
 * -XMM_ERESTART when preempted, -XMM_ESRCH if no such domain.
 */
int xmm_domain_kill(struct xmm_world *w, xmm_domid_t dom);

/*
 * The toolstack's destroy loop (`xl destroy`): domain_kill again while it
 * returns -XMM_ERESTART, advancing the clock one tick between calls, at most
 * `max_calls` calls (0 is taken as 1: the first call is always made).
 * *calls (may be NULL) receives the number of calls made.
 * Return: 0, -XMM_ESRCH, or -XMM_ERESTART if the budget ran out.
 */
int xmm_domain_destroy(struct xmm_world *w, xmm_domid_t dom, uint32_t max_calls,
                       uint32_t *calls);

/*
 * Take / drop a domain reference (get_domain / put_domain) on behalf of the
 * library's user.  Like get_domain, get works on a running, dying or zombie
 * domain and fails only once the structure is gone: -XMM_ESRCH.  A reference
 * held keeps a killed domain a zombie.  put drops only a reference taken
 * with get: -XMM_ESRCH, -XMM_EINVAL if none is held.
 */
int xmm_domain_get(struct xmm_world *w, xmm_domid_t dom);
int xmm_domain_put(struct xmm_world *w, xmm_domid_t dom);

struct xmm_domain_info {
    xmm_domid_t id;
    enum xmm_domain_state state;
    /*
     * Incarnation (Xen's unique_id): 1 for the first domain created in the
     * world, then counting up; never reused, even when an id is.
     */
    uint64_t incarnation;
    uint32_t refs;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t xenheap_pages;
    uint64_t p2m_entries;
    uint64_t p2m_nodes;
    bool direct_map;
    bool ffa;
    uint32_t kill_stage;  /* teardown stage reached */
    uint32_t kill_calls;  /* domain_kill calls made so far */
};

/* Return: 0 and *out, or -XMM_ESRCH (out->state is then GONE). */
int xmm_domain_info(const struct xmm_world *w, xmm_domid_t dom, struct xmm_domain_info *out);
enum xmm_domain_state xmm_domain_state(const struct xmm_world *w, xmm_domid_t dom);

/* Domains that exist (running, dying, zombie), in id order. */
size_t xmm_domain_count(const struct xmm_world *w);
xmm_domid_t xmm_domain_id_at(const struct xmm_world *w, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* XMM_DOMAIN_H */
