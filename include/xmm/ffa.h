/*
 * libxmm - FF-A memory sharing with secure partitions (seed 000).
 *
 * Two halves, as on real systems:
 *  - the mediator, Xen's side (arch/arm/tee/ffa*.c): per-domain share
 *    records, each pinning the guest frames it covers; VM_DESTROYED
 *    notification and reclaim on guest destroy, under the teardown policies
 *    of the world (ffa_teardown, ffa_vm_destroyed, ffa_refused);
 *  - the SPMC, the secure side, behind `struct xmm_spmc_ops`: the handle
 *    state machine (sent, retrieved, relinquished, reclaimed) and the SPs'
 *    behaviour.  A built-in scripted SPMC is used when the world is given
 *    partitions and no ops; users can plug their own.
 *
 * Mediator and SPMC calls return FFA_RET_* codes.
 */
#ifndef XMM_FFA_H
#define XMM_FFA_H

#include "xmm/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t xmm_ffa_handle_t;
#define XMM_FFA_HANDLE_INVALID (~UINT64_C(0))
#define XMM_FFA_HANDLE_HYP_BIT (UINT64_C(1) << 63) /* set: allocated by the hypervisor */
#define XMM_FFA_ID_SECURE_BIT 0x8000u /* set in the FF-A id of a secure partition */

#define XMM_FFA_MAX_SHARES 32       /* per guest, as Xen */
#define XMM_FFA_MAX_SHARE_PAGES 256 /* per share (1 MiB), as Xen */
#define XMM_FFA_MAX_SPS 32          /* partitions the SPMC may host */

/* What an SPMC says about a handle. */
enum xmm_ffa_handle_state {
    XMM_FFA_SENT = 0,     /* shared, not yet retrieved by the SP */
    XMM_FFA_RETRIEVED,    /* mapped by the SP */
    XMM_FFA_RELINQUISHED, /* given back by the SP, reclaimable */
};

/* Called by for_each_reach for every frame an SP can currently reach. */
typedef void (*xmm_ffa_reach_fn)(void *arg, uint16_t sp, xmm_ffa_handle_t handle,
                                 xmm_domid_t sender, xmm_mfn_t mfn);

/*
 * The secure side.  Every function returns an FFA_RET code.  `w` lets an
 * implementation arm timers (xmm_timer_arm) for delayed behaviour.
 */
struct xmm_spmc_ops {
    /*
     * FFA_MEM_SHARE from `dom` to `sp` of `count` frames: a handle (bit 63
     * clear).  The mediator does not check that `sp` exists nor that a
     * frame is in another live share: the SPMC decides (the built-in one,
     * as Hafnium: INVALID_PARAMETERS, DENIED).  An SPMC may accept
     * overlapping shares; the mediator copes.
     */
    int (*mem_share)(void *ctx, struct xmm_world *w, xmm_domid_t dom, uint16_t sp,
                     const xmm_mfn_t *mfns, uint32_t count, xmm_ffa_handle_t *handle);
    /* FFA_MEM_RECLAIM: OK once no borrower has it retrieved; DENIED while one does. */
    int (*mem_reclaim)(void *ctx, struct xmm_world *w, xmm_ffa_handle_t handle);
    /* The VM_DESTROYED framework message to `sp` about `dom`. */
    int (*vm_destroyed)(void *ctx, struct xmm_world *w, uint16_t sp, xmm_domid_t dom);
    /* Partitions: how many, their ids, and whether they subscribed to VM_DESTROYED. */
    uint32_t (*sp_count)(void *ctx);
    uint16_t (*sp_id)(void *ctx, uint32_t i);
    bool (*sp_subscribed)(void *ctx, uint32_t i);
    /* SP side (optional: NULL returns NOT_SUPPORTED). */
    int (*retrieve)(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle);
    int (*relinquish)(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle);
    /* Page `page` of a handle the SP has retrieved: its frame in *mfn. */
    int (*access)(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle,
                  uint32_t page, bool write, xmm_mfn_t *mfn);
    /* Every frame an SP can reach now (used by the `isolation` invariant). */
    void (*for_each_reach)(void *ctx, xmm_ffa_reach_fn fn, void *arg);
    /* Release the implementation's state when the world goes (may be NULL). */
    void (*fini)(void *ctx, struct xmm_world *w);
};

/* --- the built-in scripted SPMC ------------------------------------------- */

enum xmm_sp_retrieve { XMM_SP_RETRIEVE_AUTO = 0, XMM_SP_RETRIEVE_MANUAL };
enum xmm_sp_relinquish {
    XMM_SP_RELINQUISH_ON_VM_DESTROYED = 0, /* when told the sender is gone */
    XMM_SP_RELINQUISH_AFTER,               /* `after` ticks after retrieving (DMA) */
    XMM_SP_RELINQUISH_NEVER,
    XMM_SP_RELINQUISH_MANUAL,              /* only sp_relinquish */
};

#define XMM_SP_REPLIES_MAX 16

struct xmm_sp_config {
    uint16_t id;
    bool subscribe_vm_destroyed;
    int vm_destroyed_replies[XMM_SP_REPLIES_MAX]; /* in order; the last repeats */
    uint32_t vm_destroyed_reply_count;            /* 0: always OK */
    enum xmm_sp_retrieve retrieve;
    enum xmm_sp_relinquish relinquish;
    uint64_t relinquish_after; /* ticks, for XMM_SP_RELINQUISH_AFTER */
    int reclaim_error;         /* 0, or the code every reclaim of its shares fails with */
};

/*
 * Create the built-in SPMC with these partitions and plug it into the world
 * (the world releases it).  Partition ids must be unique.
 * Return: 0, -XMM_EINVAL (too many partitions, duplicate id, a reply code
 * that is not an FFA_RET code), -XMM_EBUSY (an SPMC is already plugged),
 * -XMM_ENOMEM.
 */
int xmm_spmc_stub_attach(struct xmm_world *w, const struct xmm_sp_config *sps, uint32_t count);

/*
 * Plug a user SPMC.  Return: 0, -XMM_EBUSY (one is plugged already),
 * -XMM_EINVAL (mem_share, mem_reclaim, vm_destroyed, sp_count, sp_id or
 * sp_subscribed missing).
 */
int xmm_spmc_attach(struct xmm_world *w, const struct xmm_spmc_ops *ops, void *ctx);

/* Handle state in the built-in SPMC.  Return: 0, -XMM_ENOENT, -XMM_EINVAL (not the stub). */
int xmm_spmc_stub_handle_state(const struct xmm_world *w, xmm_ffa_handle_t handle,
                               enum xmm_ffa_handle_state *out);

/* --- the mediator ------------------------------------------------------ */

/*
 * FFA_MEM_SHARE from `dom`: share gfn .. gfn+pages-1 with `sp`.  Each page
 * must be mapped ram_rw and is pinned with one reference; the first share
 * takes a domain reference.  Checked in Xen's order.  Return (FFA_RET): OK
 * and *handle; NOT_SUPPORTED (no SPMC, dom has no FF-A context, or `sp`
 * has bit 15 clear: not a secure partition); INVALID_PARAMETERS (unknown
 * or dying domain, pages == 0, a page past the 64-bit address space);
 * NO_MEMORY (more than 256 pages, 32 shares already, or no memory);
 * DENIED (a page beyond the P2M, unmapped, not ram_rw or not the guest's
 * own RAM); or the SPMC's error (the built-in one: INVALID_PARAMETERS for
 * an unknown SP, DENIED for a page already in a live share).
 */
int xmm_ffa_share(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint32_t pages,
                  uint16_t sp, xmm_ffa_handle_t *handle);

/*
 * FFA_MEM_RECLAIM by `dom`.  Return (FFA_RET): OK (pins dropped; the last
 * share drops the domain reference); INVALID_PARAMETERS (unknown domain or
 * handle, dying domain); NOT_SUPPORTED; or the SPMC's refusal (DENIED
 * while an SP has it retrieved).
 */
int xmm_ffa_reclaim(struct xmm_world *w, xmm_domid_t dom, xmm_ffa_handle_t handle);

/*
 * SP side, through the plugged SPMC (FFA_RET codes).  The built-in SPMC:
 * retrieve by an SP that is not the receiver, relinquish by one that is
 * not the borrower or of a share not retrieved -> INVALID_PARAMETERS; a
 * second retrieve -> DENIED.
 */
int xmm_sp_retrieve(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle);
int xmm_sp_relinquish(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle);
/*
 * The SP touches page `page` of a handle.  A touch of a frame that belongs
 * to anyone but the sender (or the park, for the SP that refused it) is
 * flagged as an `isolation` violation.  Return (FFA_RET).
 */
int xmm_sp_access(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle, uint32_t page,
                  bool write);

/* Shares dom has with SPs (0 if none or no domain). */
uint32_t xmm_ffa_share_count(const struct xmm_world *w, xmm_domid_t dom);

struct xmm_ffa_stats {
    uint64_t shares, reclaims;        /* successful calls */
    uint64_t reclaim_attempts;        /* by teardown (timer, restart or destroy) */
    uint64_t reclaim_refusals;        /* attempts the SPMC refused */
    uint64_t vm_destroyed_sent;       /* messages delivered (OK) */
    uint64_t vm_destroyed_retries;    /* RETRY / INTERRUPTED replies */
    uint64_t vm_destroyed_failed;     /* final errors */
    uint64_t frames_parked, frames_leaked, frames_freed_unsafe;
    uint64_t last_teardown_reclaim_tick; /* tick of the last reclaim by teardown */
};
void xmm_ffa_stats(const struct xmm_world *w, struct xmm_ffa_stats *out);
/* Frames now parked (refused by an SP, never handed out again). */
uint64_t xmm_ffa_parked_frames(const struct xmm_world *w);

/*
 * Every frame the mediator keeps pinned for an SP (records of live senders,
 * parked and leaked ones), record by record: fn(arg, sp, handle, sender,
 * mfn).  For tools that draw or explain the model.
 */
void xmm_ffa_for_each_pin(const struct xmm_world *w, xmm_ffa_reach_fn fn, void *arg);
/* Every frame an SP can reach now, as the SPMC reports it (nothing without one). */
void xmm_ffa_for_each_reach(const struct xmm_world *w, xmm_ffa_reach_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* XMM_FFA_H */
