/*
 * libxmm - the module interface (private).
 *
 * The core (allocator and clock, frames and heap, P2M, domains, checker,
 * world) knows no seed module by name.  A module (grant tables, FF-A, safe
 * ranges, MPU and shared_info, IOMMU, or a test's own) describes itself
 * with one `struct xmm_module` and is listed once in modules.c; the core
 * calls the hooks it fills, in registration order.  Every hook is optional
 * (NULL: nothing to do).  docs/architecture.md, "The module interface",
 * says when each one runs.
 *
 * A module's state lives in its slot: w->mod[id] per world, d->mod[id] per
 * domain, reached through a typed accessor in the module's private header.
 * The id is the module's position in the world's list (modules.c fixes it
 * for the built-in ones: enum xmm_mod_id).
 */
#ifndef XMM_MODULE_H
#define XMM_MODULE_H

#include "core.h"

struct xmm_module {
    const char *name;

    /*
     * Per world.  world_size > 0: the core allocates that many zeroed bytes
     * into w->mod[id] before world_init and frees them after world_free.
     * world_init gets the creation options; an error fails xmm_world_new
     * (world_free then runs all the same: it must undo a partial init).
     */
    size_t world_size;
    /* Creation options this module refuses (xmm_world_new: -XMM_EINVAL, nothing allocated). */
    int (*world_check)(const struct xmm_world_opts *o);
    int (*world_init)(struct xmm_world *w, const struct xmm_world_opts *o);
    void (*world_free)(struct xmm_world *w);

    /*
     * Per domain.  dom_size > 0: that many zeroed bytes, allocated with the
     * domain structure itself, in d->mod[id].  dom_args and then (once
     * the id is known to be free) dom_check validate the creation before
     * anything is allocated (dom_check's error is xmm_domain_create's; it
     * may not change the world); dom_init may then fail only for lack of memory
     * (the core unwinds with dom_discard).  dom_free runs when the
     * structure goes (its last reference dropped): give back what the
     * domain still owns.  dom_discard runs at world teardown: memory only.
     */
    size_t dom_size;
    /* Creation arguments this module refuses (xmm_domain_create: -XMM_EINVAL). */
    bool (*dom_args)(const struct xmm_domain_opts *o);
    int (*dom_check)(const struct xmm_world *w, xmm_domid_t id, const struct xmm_domain_opts *o);
    int (*dom_init)(struct xmm_world *w, struct xmm_domain *d);
    void (*dom_free)(struct xmm_world *w, struct xmm_domain *d);
    void (*dom_discard)(struct xmm_world *w, struct xmm_domain *d);

    /*
     * Teardown: domain_kill runs `teardown` as stage `kill_stage` (one of
     * KILL_FFA .. KILL_IOMMU; 0: none), with the stage's work budget.
     * Return 0 (stage done) or -XMM_ERESTART (preempted).  kill_must_wait:
     * the P2M stage must preempt before its next unmap.  kill_zombie:
     * domain_kill called again on a zombie (may destroy d).
     */
    enum kill_stage kill_stage;
    int (*teardown)(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget);
    bool (*kill_must_wait)(const struct xmm_world *w, const struct xmm_domain *d);
    void (*kill_zombie)(struct xmm_world *w, struct xmm_domain *d);
    /* Domain references the module holds on d (the checker counts them). */
    uint32_t (*dom_refs)(const struct xmm_world *w, const struct xmm_domain *d);
    /* mfn is a xenheap frame Xen allocated for d itself (freed with d). */
    bool (*xenheap_own)(const struct xmm_world *w, const struct xmm_domain *d, uint64_t mfn);

    /*
     * P2M leaf hooks, on p2m_write's hot path (the core keeps one small
     * array per hook).  p2m_before: the leaf at gfn goes from old to e,
     * before the old leaf is put (its references still held).  p2m_index:
     * leaf e of d, naming a RAM frame, was counted in (+1) or out of (-1)
     * the checker's index.
     * p2m_after: the write is complete.  None may fail.  p2m_slot_only:
     * the three run only for domains whose slot d->mod[id] is set (seed
     * 003: domains with a device), saving the call for the others.
     */
    bool p2m_slot_only;
    void (*p2m_before)(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                       uint64_t e);
    void (*p2m_index)(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t e,
                      int delta);
    void (*p2m_after)(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                      uint64_t e);

    /* Full sweep: add the module's holders to the rebuilt index. */
    void (*rebuild_rmap)(const struct xmm_world *w, struct xmm_rmap *rm);
    /*
     * Checks.  check_entry: one P2M entry (incremental: dirty entries; full:
     * every entry).  check_domain: one domain (dirty ones; all).
     * check_gone: records naming incarnation-less domain id (an
     * incarnation went or took the id; incremental only, the full sweep
     * finds them through check_domain).  check_world: the module's own
     * records (both checks).  check_full: full sweep only, with the rebuilt
     * index.
     */
    void (*check_entry)(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e,
                        struct xmm_check_report *rep);
    /* check_entry runs only for entries of these P2M types (bit 1 << type; 0: all). */
    uint32_t check_entry_types;
    void (*check_domain)(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep);
    void (*check_gone)(const struct xmm_world *w, xmm_domid_t id, struct xmm_check_report *rep);
    void (*check_world)(const struct xmm_world *w, struct xmm_check_report *rep);
    void (*check_full)(const struct xmm_world *w, const struct xmm_rmap *rm,
                       struct xmm_check_report *rep);

    /*
     * Digest contributions (xmm_world_digest): world_digest is mixed into
     * the frame part (with the module's slot id); dom_digest into each
     * domain's hash.  Together they cover every field of the module's state
     * that decides what a later call does, so that worlds with equal
     * digests behave alike (docs/explore.md, "What the digest covers").
     */
    uint64_t (*world_digest)(const struct xmm_world *w);
    uint64_t (*dom_digest)(const struct xmm_world *w, const struct xmm_domain *d);

    /*
     * History: names of the event kinds this module records (NULL-terminated;
     * documentation and the `explain` tooling, the core does not read them).
     */
    const char *const *events;

    /*
     * Cloning (xmm_world_clone): copy the module's state of src into dst
     * through dst's allocator.  A module that keeps state (a world_size or
     * dom_size, or a world_init/world_free or dom_init/dom_free/dom_discard
     * hook) must fill the matching hook, or xmm_world_clone refuses the
     * world with -XMM_ENOSYS before allocating anything; a module without
     * state has nothing to copy.
     *
     * world_clone runs once, in registration order, after the core state
     * (frames, timers, history, change set) is copied and before any
     * domain: dst's slot holds a byte copy of src's world_size bytes, or
     * NULL without world_size.  dom_clone runs per domain, after its P2M is
     * copied: dd's slot holds a byte copy of sd's dom_size bytes, or NULL.
     * Either hook must replace every pointer it finds in a byte copy
     * (by a copy, or NULL) before it can fail, and on failure leave the
     * slot so that world_free / dom_discard releases what it copied.
     * Timers are copied with their arguments: a hook gives each of its
     * objects that may be one its copy (timer_arg_move).  Return: 0,
     * -XMM_ENOMEM, or -XMM_ENOSYS (state the module cannot copy, e.g. an
     * SPMC that is not the built-in stub).
     */
    int (*world_clone)(struct xmm_world *dst, const struct xmm_world *src);
    int (*dom_clone)(struct xmm_world *dst, struct xmm_domain *dd, const struct xmm_world *src,
                     const struct xmm_domain *sd);
};

/* The built-in modules, in registration order (modules.c). */
extern const struct xmm_module *const xmm_builtin_modules[XMM_MOD_BUILTIN];

/*
 * Register one more module on a world: tests and experiments only (not
 * part of the public API).  Call right after xmm_world_new, before any
 * domain exists; its world_init gets the default options (XMM_WORLD_OPTS_INIT).  Return: its slot id, or -XMM_EINVAL (no room, domains
 * exist), -XMM_ENOMEM, or world_init's error.
 */
int xmm_world_add_module(struct xmm_world *w, const struct xmm_module *m);
/* The slot id of m on w, or -1. */
int xmm_module_slot(const struct xmm_world *w, const struct xmm_module *m);

/* Iterate the modules of w: for (MOD_EACH(w, i, m)) ... */
#define MOD_EACH(w, i, m)                                                                          \
    uint32_t i = 0; i < (w)->mod_count && ((m) = (w)->mods[i], 1); i++

#endif /* XMM_MODULE_H */
