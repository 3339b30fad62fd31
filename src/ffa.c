/*
 * libxmm - the FF-A mediator: Xen's side of memory sharing with secure
 * partitions (arch/arm/tee/ffa_shm.c and the teardown in ffa.c), and what
 * the seed 000 thread settles on for guest destroy.
 *
 * A share record pins every frame it covers with one reference (the holder
 * the refcount invariant names); the first share takes a domain reference
 * and the last one to go drops it, so a destroyed domain with memory still
 * lent out stays a zombie holding little more than that memory.
 *
 * Teardown (the first kill stage):
 *  - VM_DESTROYED goes to the subscribed SPs.  ffa_vm_destroyed=per_domain
 *    keeps a bitmap of SPs still to be told per domain and retries RETRY /
 *    INTERRUPTED; =global reproduces the RFC, which cleared one global
 *    subscriber count after the first destroy, so no domain destroyed later
 *    tells anyone.
 *  - Every share is reclaimed.  ffa_teardown=restart returns -ERESTART
 *    while any is refused (the RFC: the toolstack spins); =deferred never
 *    blocks: a timer retries every limits.ffa_retry_ticks.
 *  - A share refused limits.ffa_retry_limit times, or with a permanent
 *    error, is dealt with by ffa_refused: park (only its frames go to the
 *    park owner, never reused, once nothing but the pins holds them; the
 *    domain goes), zombie (kept, retried, until the SP lets go; a second
 *    destroy retries at once), or free
 *    (unsafe: unpinned as if reclaimed although an SP may still reach them).
 *  - leak is upstream Xen (ffa_shm_domain_destroy): DENIED is retried every
 *    period with no limit; any other error drops the record at once, its
 *    frames stay pinned and the domain reference stays: a zombie forever.
 */
#include <stdio.h>

#include "ffa_priv.h"

struct ffa_share {
    xmm_ffa_handle_t handle;
    uint64_t gfn;    /* first page in the sender's P2M when shared */
    xmm_domid_t dom; /* the sender */
    uint64_t inc;    /* ... and its incarnation: the id alone may be reused */
    uint16_t sp;
    uint32_t retries;
    int last_error;
    uint32_t count;
    struct ffa_share *next; /* on the parked or leaked list */
    xmm_mfn_t mfns[];
};

struct ffa_ctx {
    struct ffa_share *shares[XMM_FFA_MAX_SHARES];
    uint32_t count;
    uint32_t leaked; /* records dropped by `leak`: Xen never lowers shm_count for them */
    uint32_t vmd_pending; /* bit i: SP i still to be told VM_DESTROYED */
    bool teardown_started;
    bool holding;   /* holds a domain reference: shares or notifications pending */
    uint64_t timer; /* retry timer id, 0 if none */
    xmm_domid_t dom;
};

/*
 * Records that left their domain: parked or leaked frames stay pinned.
 * Linked through the records themselves, oldest first, so that moving a
 * record there needs no memory: a teardown can always settle it.
 */
struct ffa_list {
    struct ffa_share *head, *tail;
    size_t count;
};

struct ffa_world {
    const struct xmm_spmc_ops *ops;
    void *ctx;
    uint32_t vmd_global_count; /* the RFC's global subscriber count */
    struct ffa_list parked, leaked;
    struct xmm_ffa_stats stats;
};

/* The last frame a 64-bit guest address can name. */
#define FFA_MAX_ADDR_GFN (UINT64_MAX >> 12)

static size_t share_size(uint32_t count)
{
    return sizeof(struct ffa_share) + count * sizeof(xmm_mfn_t);
}

/* --- world attach / fini ---------------------------------------------------- */

bool ffa_world_has_spmc(const struct xmm_world *w) { return ffa_world_of(w) && ffa_world_of(w)->ops; }

const void *ffa_world_spmc_ctx(const struct xmm_world *w, const struct xmm_spmc_ops *ops)
{
    return (ffa_world_of(w) && ffa_world_of(w)->ops == ops) ? ffa_world_of(w)->ctx : NULL;
}

int xmm_spmc_attach(struct xmm_world *w, const struct xmm_spmc_ops *ops, void *ctx)
{
    uint32_t subscribed = 0;

    xmm_err_clear(w);
    if (!ops || !ops->mem_share || !ops->mem_reclaim || !ops->vm_destroyed || !ops->sp_count ||
        !ops->sp_id || !ops->sp_subscribed)
        return xmm_fail(w, -XMM_EINVAL, "an SPMC needs every one of its ops (a NULL one was given)");
    if (ffa_world_has_spmc(w))
        return xmm_fail(w, -XMM_EBUSY, "the world already has an SPMC attached");
    if (ops->sp_count(ctx) > XMM_FFA_MAX_SPS)
        return xmm_fail(w, -XMM_EINVAL, "the SPMC has %" PRIu32 " SPs, at most %d are supported",
                        ops->sp_count(ctx), XMM_FFA_MAX_SPS);
    if (!ffa_world_of(w)) {
        w->mod[XMM_MOD_FFA] = xmm_alloc(w, sizeof(*ffa_world_of(w)));
        if (!ffa_world_of(w))
            return xmm_fail(w, -XMM_ENOMEM, "no memory for the FF-A mediator's records");
    }
    ffa_world_of(w)->ops = ops;
    ffa_world_of(w)->ctx = ctx;
    for (uint32_t i = 0; i < ops->sp_count(ctx); i++)
        subscribed += ops->sp_subscribed(ctx, i);
    ffa_world_of(w)->vmd_global_count = subscribed;
    return 0;
}

static void list_free(struct xmm_world *w, struct ffa_list *l)
{
    struct ffa_share *s = l->head, *next;

    for (; s; s = next) {
        next = s->next;
        xmm_free(w, s, share_size(s->count));
    }
    memset(l, 0, sizeof(*l));
}

void ffa_world_fini(struct xmm_world *w)
{
    if (!ffa_world_of(w))
        return;
    if (ffa_world_of(w)->ops && ffa_world_of(w)->ops->fini)
        ffa_world_of(w)->ops->fini(ffa_world_of(w)->ctx, w);
    list_free(w, &ffa_world_of(w)->parked);
    list_free(w, &ffa_world_of(w)->leaked);
    xmm_free(w, ffa_world_of(w), sizeof(*ffa_world_of(w)));
    w->mod[XMM_MOD_FFA] = NULL;
}

/* --- per domain ------------------------------------------------------------- */

int ffa_domain_init(struct xmm_world *w, struct xmm_domain *d)
{
    if (!d->opts.ffa)
        return 0;
    d->mod[XMM_MOD_FFA] = xmm_alloc(w, sizeof(*ffa_of(d)));
    if (!ffa_of(d))
        return -XMM_ENOMEM;
    ffa_of(d)->dom = d->id;
    return 0;
}

void ffa_domain_free(struct xmm_world *w, struct xmm_domain *d)
{
    if (!ffa_of(d))
        return;
    for (uint32_t i = 0; i < ffa_of(d)->count; i++)
        xmm_free(w, ffa_of(d)->shares[i], share_size(ffa_of(d)->shares[i]->count));
    if (ffa_of(d)->timer)
        xmm_timer_cancel(w, ffa_of(d)->timer);
    xmm_free(w, ffa_of(d), sizeof(*ffa_of(d)));
    d->mod[XMM_MOD_FFA] = NULL;
}

uint32_t ffa_domain_refs(const struct xmm_domain *d)
{
    return (ffa_of(d) && ffa_of(d)->holding) ? 1 : 0;
}

/*
 * One domain reference while any share or VM_DESTROYED notification is
 * pending (Andrew Cooper's suggestion in the seed thread, modelled on
 * domain_adjust_tot_pages).  Returns false if dropping it destroyed d.
 */
static bool hold_sync(struct xmm_world *w, struct xmm_domain *d)
{
    struct ffa_ctx *c = ffa_of(d);
    bool want = c->count || c->leaked || c->vmd_pending;

    if (want == c->holding)
        return true;
    c->holding = want;
    domain_touch(w, d);
    if (want) {
        domain_ref_get(w, d);
        return true;
    }
    bool last = d->refs == 1;

    domain_ref_put(w, d);
    return !last;
}

/* Pin or unpin the frames of a record, keeping the checker's holder index. */
static void pin(struct xmm_world *w, const struct ffa_share *s)
{
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t idx = frame_idx(w, s->mfns[i]);

        if (!page_get_quiet(w, s->mfns[i], s->dom))
            assert(!"share pin failed after its checks");
        frame_touch(w, idx);
        w->rmap[idx].refs++;
        hist_add(w, idx, XMM_EV_FFA_SHARE, s->dom, s->sp, 0);
    }
}

static void unpin(struct xmm_world *w, const struct ffa_share *s)
{
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t idx = frame_idx(w, s->mfns[i]);
        int rc;

        frame_touch(w, idx);
        w->rmap[idx].refs--;
        hist_add(w, idx, XMM_EV_FFA_RECLAIM, s->dom, s->sp, 0);
        rc = xmm_page_put(w, s->mfns[i]);
        (void)rc;
        assert(rc == 0);
    }
}

/* Take record i out of d's context (the caller syncs the domain reference). */
static struct ffa_share *ctx_take(struct xmm_world *w, struct xmm_domain *d, uint32_t i)
{
    struct ffa_ctx *c = ffa_of(d);
    struct ffa_share *s = c->shares[i];

    memmove(&c->shares[i], &c->shares[i + 1], (c->count - i - 1) * sizeof(*c->shares));
    c->count--;
    domain_touch(w, d);
    return s;
}

/* --- share / reclaim -------------------------------------------------------- */

/*
 * The mediator's checks, in the order ffa_handle_mem_share and
 * get_shm_pages make them: a destination that is not a secure partition
 * (FF-A id bit 15 clear: Xen shares with SPs only), an empty share, the
 * record limits (alloc_ffa_shm_mem: more than 256 pages or 32 shares), then
 * page by page an address that overflows (ffa_safe_addr_add) and a page
 * get_page_from_gfn cannot take as ram_rw (beyond the P2M, unmapped, not
 * the guest's RAM).  Whether the SP exists and whether a page is already
 * shared are the SPMC's to say.
 */
static int share_check_descr(struct xmm_world *w, const struct xmm_domain *d, uint32_t pages,
                             uint16_t sp)
{
    if (!(sp & XMM_FFA_ID_SECURE_BIT))
        return xmm_fail(w, XMM_FFA_RET_NOT_SUPPORTED,
                        "endpoint %#x is not a secure partition (bit 15 clear): Xen shares only with SPs",
                        (unsigned)sp);
    if (pages == 0)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "a share of 0 pages");
    if (pages > XMM_FFA_MAX_SHARE_PAGES)
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "a share of %" PRIu32 " pages is over the limit of %d",
                        pages, XMM_FFA_MAX_SHARE_PAGES);
    if (ffa_of(d)->count >= XMM_FFA_MAX_SHARES)
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "%s already has %" PRIu32 " shares, the limit",
                        DN(d->id), ffa_of(d)->count);
    return XMM_FFA_RET_OK;
}

static int share_check_pages(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                             uint32_t pages, xmm_mfn_t *mfns)
{
    for (uint32_t i = 0; i < pages; i++) {
        uint64_t e, mfn;
        const struct xmm_page *pg;

        /* The guest names pages by 64-bit address: gfn + i must be one. */
        if (gfn > FFA_MAX_ADDR_GFN || i > FFA_MAX_ADDR_GFN - gfn)
            return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS,
                            "page %" PRIu32 " of the share at gfn %#" PRIx64 " overflows a 64-bit address",
                            i, gfn);
        if (gfn + i >= XMM_FRAME_LIMIT)
            return xmm_fail(w, XMM_FFA_RET_DENIED, "gfn %#" PRIx64 " is beyond %s's P2M", gfn + i,
                            DN(d->id));
        e = p2m_get(&d->p2m, gfn + i);
        mfn = p2m_entry_mfn(e);
        if (!e)
            return xmm_fail(w, XMM_FFA_RET_DENIED, "%s maps nothing at gfn %#" PRIx64, DN(d->id),
                            gfn + i);
        if (p2m_entry_type(e) != XMM_P2M_RAM_RW || !frame_valid(w, mfn))
            return xmm_fail(w, XMM_FFA_RET_DENIED, "gfn %#" PRIx64 " of %s is %s, not ram_rw",
                            gfn + i, DN(d->id), xmm_p2m_type_name(p2m_entry_type(e)));
        pg = &w->frames[mfn - w->ram_base];
        /* Only the guest's own domheap pages can be lent out. */
        if (pg->owner != d->id || (pg->count_info & XMM_PGC_xen_heap))
            return xmm_fail(w, XMM_FFA_RET_DENIED,
                            "mfn %#" PRIx64 " at gfn %#" PRIx64 " is %s, not a domheap page of %s",
                            mfn, gfn + i,
                            (pg->count_info & XMM_PGC_xen_heap) ? "a xenheap frame" : DN(pg->owner),
                            DN(d->id));
        if (page_count(pg) == 0 || page_count(pg) == XMM_PGC_count_mask)
            return xmm_fail(w, XMM_FFA_RET_DENIED,
                            "mfn %#" PRIx64 " of %s has reference count %" PRIu32 ": get_page fails",
                            mfn, DN(d->id), page_count(pg));
        mfns[i] = xmm_mfn(mfn);
    }
    return XMM_FFA_RET_OK;
}

/*
 * A guest's FF-A memory call enters here: the world has an SPMC, the caller
 * exists and is not dying.  XMM_FFA_RET_OK with *out set, or the refusal.
 */
static int ffa_caller(struct xmm_world *w, xmm_domid_t dom, struct xmm_domain **out)
{
    struct xmm_domain *d = domain_find(w, dom);

    xmm_err_clear(w);
    if (!ffa_world_has_spmc(w))
        return xmm_fail(w, XMM_FFA_RET_NOT_SUPPORTED, "the world has no SPMC (world.spmc)");
    if (!d)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "there is no domain %s", DN(dom));
    if (domain_dying(d))
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "%s is %s: it makes no more FF-A calls",
                        DN(dom), xmm_domain_state_name(d->state));
    *out = d;
    return XMM_FFA_RET_OK;
}

int xmm_ffa_share(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn, uint32_t pages,
                  uint16_t sp, xmm_ffa_handle_t *handle)
{
    struct xmm_domain *d = NULL;
    struct ffa_share *s;
    int rc = ffa_caller(w, dom, &d);

    if (rc != XMM_FFA_RET_OK)
        return rc;
    if (!ffa_of(d))
        return xmm_fail(w, XMM_FFA_RET_NOT_SUPPORTED, "%s was created without ffa", DN(dom));
    rc = share_check_descr(w, d, pages, sp);
    if (rc != XMM_FFA_RET_OK)
        return rc;
    s = xmm_alloc(w, share_size(pages));
    if (!s)
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "no memory for the record of a %" PRIu32 "-page share",
                        pages);
    rc = share_check_pages(w, d, gfn.g, pages, s->mfns);
    if (rc == XMM_FFA_RET_OK) {
        rc = ffa_world_of(w)->ops->mem_share(ffa_world_of(w)->ctx, w, dom, sp, s->mfns, pages, &s->handle);
        if (rc != XMM_FFA_RET_OK && !xmm_world_last_error(w)[0])
            xmm_fail(w, rc, "the SPMC refused the share of %s's gfn %#" PRIx64 " with SP %#x (%s)",
                     DN(dom), gfn.g, (unsigned)sp, xmm_rc_name(XMM_RC_FFA, rc));
    }
    if (rc != XMM_FFA_RET_OK) {
        xmm_free(w, s, share_size(pages));
        return rc;
    }
    s->dom = dom;
    s->inc = d->inc;
    s->sp = sp;
    s->gfn = gfn.g;
    s->count = pages;
    pin(w, s);
    if (XMM_CANARY(XMM_CANARY_FFA_PIN))
        (void)xmm_page_put(w, s->mfns[0]);
    ffa_of(d)->shares[ffa_of(d)->count++] = s;
    hold_sync(w, d);
    ffa_world_of(w)->stats.shares++;
    *handle = s->handle;
    return XMM_FFA_RET_OK;
}

static int find_share(const struct xmm_domain *d, xmm_ffa_handle_t handle)
{
    for (uint32_t i = 0; ffa_of(d) && i < ffa_of(d)->count; i++)
        if (ffa_of(d)->shares[i]->handle == handle)
            return (int)i;
    return -1;
}

/* Reclaim record i of d at the SPMC; on success unpin and forget it. */
static int reclaim_one(struct xmm_world *w, struct xmm_domain *d, uint32_t i)
{
    struct ffa_share *s = ffa_of(d)->shares[i];
    int rc = ffa_world_of(w)->ops->mem_reclaim(ffa_world_of(w)->ctx, w, s->handle);

    if (rc != XMM_FFA_RET_OK) {
        s->last_error = rc;
        return rc;
    }
    ctx_take(w, d, i);
    unpin(w, s);
    xmm_free(w, s, share_size(s->count));
    return XMM_FFA_RET_OK;
}

int xmm_ffa_reclaim(struct xmm_world *w, xmm_domid_t dom, xmm_ffa_handle_t handle)
{
    struct xmm_domain *d = NULL;
    int i, rc = ffa_caller(w, dom, &d);

    if (rc != XMM_FFA_RET_OK)
        return rc;
    i = find_share(d, handle);
    if (i < 0)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "handle %#" PRIx64 " is not a share of %s",
                        (uint64_t)handle, DN(dom));
    rc = reclaim_one(w, d, (uint32_t)i);
    if (rc != XMM_FFA_RET_OK && !xmm_world_last_error(w)[0])
        xmm_fail(w, rc, "the SPMC refused to reclaim handle %#" PRIx64 " of %s (%s)",
                 (uint64_t)handle, DN(dom), xmm_rc_name(XMM_RC_FFA, rc));

    if (rc == XMM_FFA_RET_OK) {
        ffa_world_of(w)->stats.reclaims++;
        hold_sync(w, d); /* may destroy d: a running domain keeps its creation ref */
    }
    return rc;
}

/* --- teardown ----------------------------------------------------------- */

/* park, zombie and free: the errors worth retrying (up to the retry limit). */
static bool transient(int rc)
{
    return rc == XMM_FFA_RET_DENIED || rc == XMM_FFA_RET_RETRY || rc == XMM_FFA_RET_BUSY ||
           rc == XMM_FFA_RET_INTERRUPTED;
}

/*
 * Whether teardown gives up on a share its SPMC just refused with `rc`
 * (s->retries refusals so far).  `leak` is upstream Xen's
 * ffa_shm_domain_destroy: DENIED is retried every period without limit,
 * anything else is permanent at once.  The other policies retry the
 * transient errors, under `deferred` up to limits.ffa_retry_limit; the
 * RFC's restart has no limit, only a permanent error ends it.
 */
static bool give_up(const struct xmm_world *w, const struct ffa_share *s, int rc)
{
    if (w->policy.ffa_refused == XMM_FFA_REFUSED_LEAK)
        return rc != XMM_FFA_RET_DENIED;
    return !transient(rc) || (w->policy.ffa_teardown == XMM_FFA_TEARDOWN_DEFERRED &&
                              s->retries >= w->limits.ffa_retry_limit);
}

/* Tell the SPs still pending that d is gone. */
static void notify(struct xmm_world *w, struct xmm_domain *d)
{
    struct ffa_world *f = ffa_world_of(w);

    for (uint32_t i = 0; i < f->ops->sp_count(f->ctx); i++) {
        int rc;

        if (!(ffa_of(d)->vmd_pending & (UINT32_C(1) << i)))
            continue;
        rc = f->ops->vm_destroyed(f->ctx, w, f->ops->sp_id(f->ctx, i), d->id);
        hist_dom_event(w, d->id, XMM_EV_VM_DESTROYED, f->ops->sp_id(f->ctx, i), (uint8_t)-rc);
        if (rc == XMM_FFA_RET_OK) {
            f->stats.vm_destroyed_sent++;
        } else if ((rc == XMM_FFA_RET_RETRY || rc == XMM_FFA_RET_INTERRUPTED) &&
                   w->policy.ffa_vm_destroyed == XMM_FFA_VMD_PER_DOMAIN) {
            f->stats.vm_destroyed_retries++;
            continue; /* told again on the next attempt */
        } else {
            f->stats.vm_destroyed_failed++;
        }
        ffa_of(d)->vmd_pending &= ~(UINT32_C(1) << i);
    }
}

/* First teardown call: who must be told. */
static void teardown_start(struct xmm_world *w, struct xmm_domain *d)
{
    struct ffa_world *f = ffa_world_of(w);
    uint32_t left = f->vmd_global_count;

    ffa_of(d)->teardown_started = true;
    for (uint32_t i = 0; i < f->ops->sp_count(f->ctx); i++) {
        if (!f->ops->sp_subscribed(f->ctx, i))
            continue;
        if (w->policy.ffa_vm_destroyed == XMM_FFA_VMD_GLOBAL) {
            /* The RFC walked the global list up to the global count ... */
            if (left == 0)
                continue;
            left--;
        }
        ffa_of(d)->vmd_pending |= UINT32_C(1) << i;
    }
    /* ... and then zeroed that count for every domain to come. */
    if (w->policy.ffa_vm_destroyed == XMM_FFA_VMD_GLOBAL)
        f->vmd_global_count = 0;
    hold_sync(w, d);
}

static void list_push(struct ffa_list *l, struct ffa_share *s)
{
    s->next = NULL;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->count++;
}

/*
 * Move a refused frame from its domain to the park owner; its pins stay.
 * A dying guest may still map it (the FF-A stage runs before the P2M is
 * torn down): that mapping goes first, the frame is no longer the guest's.
 */
static void park_frame(struct xmm_world *w, struct xmm_domain *d, xmm_mfn_t mfn, uint64_t gfn,
                       uint16_t sp)
{
    uint32_t idx = frame_idx(w, mfn);
    uint64_t e = p2m_get(&d->p2m, gfn);
    struct xmm_page *pg;

    if (w->frames[idx].owner == XMM_DOMID_PARK)
        return; /* in two refused shares: only a user SPMC allows overlaps */
    if (e && p2m_entry_mfn(e) == mfn.m && xmm_p2m_is_ram(p2m_entry_type(e))) {
        lock_take(w, LOCK_P2M);
        p2m_write(w, d, gfn, 0);
        lock_release(w, LOCK_P2M);
    }
    pg = frame_touch(w, idx);
    assert(pg->owner == d->id && (pg->flags & PGF_PAGE_LIST));
    plist_remove(w, &d->pages, idx);
    pg->flags &= (uint8_t)~PGF_PAGE_LIST;
    if (pg->count_info & XMM_PGC_allocated) {
        pg->count_info &= ~XMM_PGC_allocated;
        pg->count_info--; /* the pins keep it above zero */
    }
    frame_set_owner(w, idx, XMM_DOMID_PARK);
    pg->flags |= PGF_PARK_LIST;
    plist_push_tail(w, &w->park, idx);
    hist_add(w, idx, XMM_EV_PARK, d->id, sp, 0);
    ffa_world_of(w)->stats.frames_parked++;
    domain_touch(w, d);
    if (--d->tot_pages == 0)
        domain_ref_put(w, d); /* the FF-A reference still holds d */
}

/* FF-A pins on a frame: records of d, parked and leaked ones. */
static uint32_t pins_on(const struct xmm_world *w, const struct xmm_domain *d, xmm_mfn_t mfn)
{
    const struct ffa_list *lists[2] = { &ffa_world_of(w)->parked, &ffa_world_of(w)->leaked };
    uint32_t n = 0;

    for (uint32_t i = 0; i < ffa_of(d)->count; i++)
        for (uint32_t p = 0; p < ffa_of(d)->shares[i]->count; p++)
            n += xmm_mfn_eq(ffa_of(d)->shares[i]->mfns[p], mfn);
    for (int l = 0; l < 2; l++)
        for (const struct ffa_share *s = lists[l]->head; s; s = s->next)
            for (uint32_t p = 0; p < s->count; p++)
                n += xmm_mfn_eq(s->mfns[p], mfn);
    return n;
}

/*
 * May the frames of record s leave their owner for the park now?  Not
 * while anything but the owner's allocation and the FF-A pins holds one (a
 * grant or foreign mapping, an IOMMU hold, a guest-page registration): in
 * Xen such a reference keeps the page, and so the domain, alive as a zombie
 * whose id cannot be reused (issue 11).  The record waits with its domain
 * and is parked by a later retry, once those references are gone.
 */
static bool park_ready(const struct xmm_world *w, const struct xmm_domain *d,
                       const struct ffa_share *s)
{
    for (uint32_t p = 0; p < s->count; p++) {
        const struct xmm_page *pg = &w->frames[frame_idx(w, s->mfns[p])];
        uint32_t held = (pg->count_info & XMM_PGC_allocated) ? 1 : 0;

        if (pg->owner == d->id && page_count(pg) > held + pins_on(w, d, s->mfns[p]))
            return false;
    }
    return true;
}

/*
 * A share the SP will not give back.  Returns true if the record left the
 * domain (park, leak, free); false if it stays (zombie; park while another
 * reference holds one of its frames: it is tried again later).  Needs no
 * memory.
 */
static bool refuse(struct xmm_world *w, struct xmm_domain *d, uint32_t i)
{
    struct ffa_share *s = ffa_of(d)->shares[i];
    struct ffa_world *f = ffa_world_of(w);

    for (uint32_t p = 0; p < s->count; p++)
        hist_add(w, frame_idx(w, s->mfns[p]), XMM_EV_FFA_DECIDED, d->id, s->sp,
                 (uint8_t)w->policy.ffa_refused);

    switch (w->policy.ffa_refused) {
    case XMM_FFA_REFUSED_PARK:
        if (!park_ready(w, d, s))
            return false;
        list_push(&f->parked, s);
        for (uint32_t p = 0; p < s->count; p++)
            park_frame(w, d, s->mfns[p], s->gfn + p, s->sp);
        break;
    case XMM_FFA_REFUSED_LEAK:
        list_push(&f->leaked, s);
        ffa_of(d)->leaked++;
        f->stats.frames_leaked += s->count;
        break;
    case XMM_FFA_REFUSED_FREE:
        unpin(w, s);
        f->stats.frames_freed_unsafe += s->count;
        break;
    case XMM_FFA_REFUSED_ZOMBIE:
    default:
        return false;
    }
    ctx_take(w, d, i);
    if (w->policy.ffa_refused == XMM_FFA_REFUSED_FREE)
        xmm_free(w, s, share_size(s->count));
    return true;
}

/*
 * One attempt at everything pending: notify, reclaim, and (when `settle`)
 * deal with refused shares.  Returns true if anything is still pending.
 * Drops the domain reference when nothing is: the caller re-finds d by id.
 */
static bool attempt(struct xmm_world *w, struct xmm_domain *d, bool settle)
{
    struct ffa_world *f = ffa_world_of(w);
    uint32_t i = 0;

    notify(w, d);
    while (i < ffa_of(d)->count) {
        struct ffa_share *s = ffa_of(d)->shares[i];
        int rc;

        f->stats.reclaim_attempts++;
        rc = reclaim_one(w, d, i);
        if (rc == XMM_FFA_RET_OK) {
            f->stats.last_teardown_reclaim_tick = w->now;
            continue;
        }
        f->stats.reclaim_refusals++;
        s->retries++;
        for (uint32_t p = 0; p < s->count; p++)
            hist_add(w, frame_idx(w, s->mfns[p]), XMM_EV_FFA_REFUSED, d->id, s->sp, (uint8_t)-rc);
        /* Dropping a record moves no frame: `leak` need not wait for a safe moment. */
        if ((settle || w->policy.ffa_refused == XMM_FFA_REFUSED_LEAK) && give_up(w, s, rc) &&
            refuse(w, d, i))
            continue;
        i++;
    }
    /*
     * Leaked records keep Xen's shm_count above zero, so its teardown
     * timer requeues the context every period forever (each pass finds
     * nothing to do); the RFC's restart looked at the list only.
     */
    return hold_sync(w, d) && (ffa_of(d)->count || ffa_of(d)->leaked || ffa_of(d)->vmd_pending);
}

static void retry_timer(struct xmm_world *w, void *arg);

static void arm_retry(struct xmm_world *w, struct ffa_ctx *c)
{
    uint32_t period = w->limits.ffa_retry_ticks ? w->limits.ffa_retry_ticks : 1;

    c->timer = 0;
    /* Out of memory for the timer: the next destroy call retries instead. */
    if (xmm_timer_arm(w, period, retry_timer, c, &c->timer))
        c->timer = 0;
    else
        hist_dom_event(w, c->dom, XMM_EV_FFA_RETRY, w->now + period, 0);
}

/* Whether refused shares may be settled now (not while pages are being released). */
static bool may_settle(const struct xmm_domain *d)
{
    return d->state == XMM_DOMAIN_ZOMBIE || d->kill_stage <= KILL_FFA;
}

static void retry_timer(struct xmm_world *w, void *arg)
{
    struct ffa_ctx *c = arg;
    xmm_domid_t id = c->dom;
    struct xmm_domain *d = domain_find(w, id);
    bool pending;

    c->timer = 0;
    if (!d || ffa_of(d) != c)
        return;
    /* attempt() may destroy d and free c: only `id` is safe to use after it. */
    pending = attempt(w, d, may_settle(d));
    d = pending ? domain_find(w, id) : NULL;
    if (d) {
        c = ffa_of(d);
        bool permanent_zombie = w->policy.ffa_refused == XMM_FFA_REFUSED_ZOMBIE && c->count &&
                                !c->vmd_pending;

        /* A zombie whose every share failed for good waits for the next destroy. */
        for (uint32_t i = 0; permanent_zombie && i < c->count; i++)
            permanent_zombie = !transient(c->shares[i]->last_error);
        if (!permanent_zombie)
            arm_retry(w, c);
    }
}

int ffa_teardown(struct xmm_world *w, struct xmm_domain *d)
{
    xmm_domid_t id = d->id;
    bool pending;

    if (!ffa_of(d) || !ffa_world_has_spmc(w))
        return 0;
    if (!ffa_of(d)->teardown_started)
        teardown_start(w, d);
    /* The FF-A reference keeps d alive until attempt() lets it go. */
    pending = attempt(w, d, may_settle(d));
    d = domain_find(w, id);
    if (!d || !pending)
        return 0;
    if (w->policy.ffa_teardown == XMM_FFA_TEARDOWN_RESTART)
        return (ffa_of(d)->count || ffa_of(d)->vmd_pending) ? -XMM_ERESTART : 0;
    if (!ffa_of(d)->timer)
        arm_retry(w, ffa_of(d));
    return 0;
}

/*
 * `xl destroy` of a zombie.  Xen's domain_kill does nothing for a dead
 * domain, so under `leak` (upstream) it waits for the timer; the other
 * policies retry at once.
 */
void ffa_kill_zombie(struct xmm_world *w, struct xmm_domain *d)
{
    if (!ffa_of(d) || !ffa_world_has_spmc(w) || !(ffa_of(d)->count || ffa_of(d)->vmd_pending) ||
        w->policy.ffa_refused == XMM_FFA_REFUSED_LEAK)
        return;
    if (ffa_of(d)->timer) {
        xmm_timer_cancel(w, ffa_of(d)->timer);
        ffa_of(d)->timer = 0;
    }
    retry_timer(w, ffa_of(d));
}

/* --- SP side ------------------------------------------------------------ */

typedef int (*sp_call_fn)(void *ctx, struct xmm_world *w, uint16_t sp,
                          xmm_ffa_handle_t handle);

/* An SP's call on a handle, through the SPMC's op (NULL: not supported). */
static int sp_call(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle, sp_call_fn fn,
                   const char *what)
{
    int rc;

    xmm_err_clear(w);
    if (!ffa_world_has_spmc(w) || !fn)
        return xmm_fail(w, XMM_FFA_RET_NOT_SUPPORTED, "the SPMC has no %s", what);
    rc = fn(ffa_world_of(w)->ctx, w, sp, handle);
    if (rc != XMM_FFA_RET_OK && !xmm_world_last_error(w)[0])
        xmm_fail(w, rc, "the SPMC refused SP %#x's %s of handle %#" PRIx64 " (%s)",
                 (unsigned)sp, what, (uint64_t)handle, xmm_rc_name(XMM_RC_FFA, rc));
    return rc;
}

int xmm_sp_retrieve(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle)
{
    return sp_call(w, sp, handle, ffa_world_has_spmc(w) ? ffa_world_of(w)->ops->retrieve : NULL,
                   "retrieve");
}

int xmm_sp_relinquish(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle)
{
    return sp_call(w, sp, handle,
                   ffa_world_has_spmc(w) ? ffa_world_of(w)->ops->relinquish : NULL,
                   "relinquish");
}

/*
 * The mediator's record for `handle` (live in its sender, parked or
 * leaked), or NULL.
 */
static const struct ffa_share *record_of(const struct xmm_world *w, xmm_ffa_handle_t handle)
{
    const struct ffa_list *lists[2] = { &ffa_world_of(w)->parked, &ffa_world_of(w)->leaked };

    for (size_t i = 0; i < w->dom_count; i++) {
        int j = find_share(w->doms[i], handle);

        if (j >= 0)
            return ffa_of(w->doms[i])->shares[j];
    }
    for (int l = 0; l < 2; l++)
        for (const struct ffa_share *s = lists[l]->head; s; s = s->next)
            if (s->handle == handle)
                return s;
    return NULL;
}

/*
 * isolation: may an SP reach `mfn` through the record of its handle?  Only
 * a frame parked, or owned by the very incarnation that shared it: a later
 * domain with the sender's id is someone else.  No record at all (the
 * mediator forgot a share an SP still holds) is never allowed.
 */
static bool record_covers(const struct xmm_world *w, const struct ffa_share *s, xmm_mfn_t mfn)
{
    const struct xmm_page *pg = &w->frames[frame_idx(w, mfn)];

    if (!s || page_is_free(pg))
        return false;
    return pg->owner == XMM_DOMID_PARK ||
           (pg->owner == s->dom && domain_find_inc(w, s->dom, s->inc));
}

int xmm_sp_access(struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle, uint32_t page,
                  bool write)
{
    xmm_mfn_t mfn;
    int rc;

    xmm_err_clear(w);
    if (!ffa_world_has_spmc(w) || !ffa_world_of(w)->ops->access)
        return xmm_fail(w, XMM_FFA_RET_NOT_SUPPORTED, "the SPMC has no access");
    rc = ffa_world_of(w)->ops->access(ffa_world_of(w)->ctx, w, sp, handle, page, write, &mfn);
    if (rc != XMM_FFA_RET_OK && !xmm_world_last_error(w)[0])
        xmm_fail(w, rc, "the SPMC refused SP %#x's access to page %" PRIu32 " of handle %#" PRIx64 " (%s)",
                 (unsigned)sp, page, (uint64_t)handle, xmm_rc_name(XMM_RC_FFA, rc));
    if (rc != XMM_FFA_RET_OK)
        return rc;

    if (!frame_valid(w, mfn.m))
        return XMM_FFA_RET_OK;
    hist_add(w, frame_idx(w, mfn), XMM_EV_SP_ACCESS, w->frames[frame_idx(w, mfn)].owner, sp,
             write);
    if (!record_covers(w, record_of(w, handle), mfn)) {
        struct xmm_violation v = { .inv = XMM_INV_ISOLATION, .kind = XMM_SUBJECT_FRAME,
                                   .mfn = mfn, .dom = w->frames[frame_idx(w, mfn)].owner };

        snprintf(v.detail, sizeof(v.detail),
                 "SP %#x %s frame %#llx through handle %#llx, but the frame now belongs to %s",
                 (unsigned)sp, write ? "wrote" : "read", (unsigned long long)mfn.m,
                 (unsigned long long)handle, DN(w->frames[frame_idx(w, mfn)].owner));
        xmm_check_flag(w, &v);
    }
    return XMM_FFA_RET_OK;
}

/* --- queries and checks --------------------------------------------------- */

uint32_t xmm_ffa_share_count(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);
    return (d && ffa_of(d)) ? ffa_of(d)->count : 0;
}

void xmm_ffa_stats(const struct xmm_world *w, struct xmm_ffa_stats *out)
{
    if (ffa_world_of(w))
        *out = ffa_world_of(w)->stats;
    else
        memset(out, 0, sizeof(*out));
}

uint64_t xmm_ffa_parked_frames(const struct xmm_world *w) { return w->park.count; }

/* Every record with pins: the live shares of every domain, then the parked and leaked ones. */
static void each_share(const struct xmm_world *w, void (*fn)(const struct ffa_share *, void *),
                       void *arg)
{
    if (!ffa_world_of(w))
        return;
    for (size_t i = 0; i < w->dom_count; i++)
        for (uint32_t j = 0; ffa_of(w->doms[i]) && j < ffa_of(w->doms[i])->count; j++)
            fn(ffa_of(w->doms[i])->shares[j], arg);
    for (const struct ffa_share *s = ffa_world_of(w)->parked.head; s; s = s->next)
        fn(s, arg);
    for (const struct ffa_share *s = ffa_world_of(w)->leaked.head; s; s = s->next)
        fn(s, arg);
}

struct pin_index {
    const struct xmm_world *w;
    struct xmm_rmap *rm;
};

static void add_pins(const struct ffa_share *s, void *arg)
{
    struct pin_index *pi = arg;

    for (uint32_t p = 0; p < s->count; p++)
        if (frame_valid(pi->w, s->mfns[p].m))
            pi->rm[frame_idx(pi->w, s->mfns[p])].refs++;
}

void ffa_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm)
{
    struct pin_index pi = { w, rm };

    each_share(w, add_pins, &pi);
}

struct reach_ctx {
    const struct xmm_world *w;
    struct xmm_check_report *rep;
    xmm_ffa_handle_t last; /* the handle looked up last, and its record */
    const struct ffa_share *rec;
};

/*
 * isolation: an SP may reach only frames of the incarnation that shared
 * them, or parked ones (record_covers).
 */
static void reach_one(void *arg, uint16_t sp, xmm_ffa_handle_t handle, xmm_domid_t sender,
                      xmm_mfn_t mfn)
{
    struct reach_ctx *r = arg;
    const struct xmm_page *pg;

    if (!frame_valid(r->w, mfn.m))
        return;
    if (handle != r->last) {
        r->last = handle;
        r->rec = record_of(r->w, handle);
    }
    pg = &r->w->frames[frame_idx(r->w, mfn)];
    if (record_covers(r->w, r->rec, mfn))
        return;
    if (page_is_free(pg))
        check_report(r->rep, XMM_INV_ISOLATION, XMM_SUBJECT_FRAME, mfn.m, sender, 0,
                     "SP %#x can still reach free frame %#llx (handle %#llx of %s)",
                     (unsigned)sp, (unsigned long long)mfn.m, (unsigned long long)handle,
                     DN(sender));
    else
        check_report(r->rep, XMM_INV_ISOLATION, XMM_SUBJECT_FRAME, mfn.m, pg->owner, 0,
                     "SP %#x can reach frame %#llx owned by %s incarnation %llu (handle "
                     "%#llx of %s, %s)",
                     (unsigned)sp, (unsigned long long)mfn.m, DN(pg->owner),
                     domain_find(r->w, pg->owner)
                         ? (unsigned long long)domain_find(r->w, pg->owner)->inc
                         : 0ULL,
                     (unsigned long long)handle, DN(sender),
                     r->rec ? "another incarnation's" : "a share the mediator no longer has");
}

struct pin_visit {
    xmm_ffa_reach_fn fn;
    void *arg;
};

static void pins_of(const struct ffa_share *s, void *arg)
{
    struct pin_visit *pv = arg;

    for (uint32_t p = 0; p < s->count; p++)
        pv->fn(pv->arg, s->sp, s->handle, s->dom, s->mfns[p]);
}

void xmm_ffa_for_each_pin(const struct xmm_world *w, xmm_ffa_reach_fn fn, void *arg)
{
    struct pin_visit pv = { fn, arg };

    each_share(w, pins_of, &pv);
}

void xmm_ffa_for_each_reach(const struct xmm_world *w, xmm_ffa_reach_fn fn, void *arg)
{
    if (ffa_world_of(w) && ffa_world_of(w)->ops && ffa_world_of(w)->ops->for_each_reach)
        ffa_world_of(w)->ops->for_each_reach(ffa_world_of(w)->ctx, fn, arg);
}

void ffa_check_world(const struct xmm_world *w, struct xmm_check_report *rep)
{
    struct reach_ctx r = { w, rep, XMM_FFA_HANDLE_INVALID, NULL };

    if (ffa_world_of(w) && ffa_world_of(w)->ops && ffa_world_of(w)->ops->for_each_reach)
        ffa_world_of(w)->ops->for_each_reach(ffa_world_of(w)->ctx, reach_one, &r);
}

/* --- the module (module.h) ------------------------------------------------ */

static int ffa_teardown_stage(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    (void)budget; /* one reclaim attempt per share and call, as the mediator makes */
    return ffa_teardown(w, d);
}

static uint32_t ffa_dom_refs(const struct xmm_world *w, const struct xmm_domain *d)
{
    (void)w;
    return ffa_domain_refs(d);
}

/* --- digest ----------------------------------------------------------------- */

static uint64_t share_digest(uint64_t h, const struct ffa_share *s)
{
    h = mix64(h ^ s->handle ^ ((uint64_t)s->dom << 48));
    h = mix64(h ^ s->gfn ^ (s->inc << 40) ^ ((uint64_t)s->sp << 24));
    /* last_error is not read before the next reclaim attempt overwrites it */
    h = mix64(h ^ s->retries);
    h = mix64(h ^ s->count);
    for (uint32_t i = 0; i < s->count; i++)
        h = mix64(h ^ s->mfns[i].m);
    return h;
}

/* d's mediator context: its share records, VM_DESTROYED and teardown progress. */
static uint64_t ffa_domain_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    const struct ffa_ctx *c = ffa_of(d);
    uint64_t h;

    (void)w;
    if (!c)
        return 0;
    h = mix64(c->count ^ ((uint64_t)c->leaked << 16) ^ ((uint64_t)c->vmd_pending << 32));
    h = mix64(h ^ c->teardown_started ^ ((uint64_t)c->holding << 1) ^
              ((uint64_t)(c->timer != 0) << 2));
    for (uint32_t i = 0; i < c->count; i++)
        h = share_digest(mix64(h ^ i), c->shares[i]);
    return h;
}

/* The mediator's world records (parked, leaked, the global count) and the SPMC stub. */
static uint64_t ffa_world_digest(const struct xmm_world *w)
{
    const struct ffa_world *f = ffa_world_of(w);
    uint64_t h;

    if (!f)
        return 0;
    h = mix64(f->vmd_global_count ^ ((uint64_t)f->parked.count << 32) ^
              ((uint64_t)f->leaked.count << 48));
    for (const struct ffa_share *s = f->parked.head; s; s = s->next)
        h = share_digest(h, s);
    for (const struct ffa_share *s = f->leaked.head; s; s = s->next)
        h = share_digest(mix64(h ^ 1), s);
    return mix64(h ^ spmc_stub_digest(w));
}

/* --- clone (xmm_world_clone) -------------------------------------------------- */

static struct ffa_share *share_clone(struct xmm_world *c, const struct ffa_share *s)
{
    return xmm_alloc_copy(c, share_size(s->count), s, share_size(s->count));
}

/*
 * dom_clone: copy d's mediator context into nd (nd's slot is NULL on
 * entry); a pending retry timer of the old context now names the copy.
 */
static int ffa_domain_clone(struct xmm_world *c, struct xmm_domain *nd, const struct xmm_world *w,
                            const struct xmm_domain *d)
{
    const struct ffa_ctx *o = ffa_of(d);
    struct ffa_ctx *n;

    (void)w;
    if (!o)
        return 0;
    n = xmm_alloc(c, sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    *n = *o;
    memset(n->shares, 0, sizeof(n->shares));
    n->count = 0;
    nd->mod[XMM_MOD_FFA] = n;
    timer_arg_move(c, o, n);
    for (uint32_t i = 0; i < o->count; i++) {
        n->shares[i] = share_clone(c, o->shares[i]);
        if (!n->shares[i])
            return -XMM_ENOMEM;
        n->count = i + 1;
    }
    return 0;
}

/* Copy a list of parked or leaked records, in order; n is empty on entry. */
static int list_clone(struct xmm_world *c, const struct ffa_list *l, struct ffa_list *n)
{
    for (const struct ffa_share *s = l->head; s; s = s->next) {
        struct ffa_share *copy = share_clone(c, s);

        if (!copy)
            return -XMM_ENOMEM;
        list_push(n, copy);
    }
    return 0;
}

/*
 * world_clone: the mediator's world records and the SPMC.  Only the built-in stub can
 * be copied (spmc_stub_clone); another SPMC's context belongs to its user:
 * -XMM_ENOSYS.
 */
static int ffa_world_clone(struct xmm_world *c, const struct xmm_world *w)
{
    const struct ffa_world *f = ffa_world_of(w);
    struct ffa_world *n;
    int rc;

    if (!f)
        return 0;
    n = xmm_alloc(c, sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    *n = *f;
    n->ops = NULL;
    n->ctx = NULL;
    n->parked = n->leaked = (struct ffa_list){ NULL, NULL, 0 };
    c->mod[XMM_MOD_FFA] = n;
    rc = list_clone(c, &f->parked, &n->parked);
    if (!rc)
        rc = list_clone(c, &f->leaked, &n->leaked);
    if (!rc && f->ops)
        rc = spmc_stub_clone(w, c, &n->ops, &n->ctx);
    return rc;
}

static const char *const ffa_events[] = { "ffa_share", "ffa_reclaim", "sp_access", "park", NULL };

const struct xmm_module xmm_mod_ffa = {
    .name = "ffa",
    .world_free = ffa_world_fini,
    .dom_init = ffa_domain_init,
    .dom_free = ffa_domain_free,
    .dom_discard = ffa_domain_free,
    .kill_stage = KILL_FFA,
    .teardown = ffa_teardown_stage,
    .kill_zombie = ffa_kill_zombie,
    .dom_refs = ffa_dom_refs,
    .rebuild_rmap = ffa_rebuild_rmap,
    .check_world = ffa_check_world,
    .world_digest = ffa_world_digest,
    .dom_digest = ffa_domain_digest,
    .world_clone = ffa_world_clone,
    .dom_clone = ffa_domain_clone,
    .events = ffa_events,
};
