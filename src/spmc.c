/*
 * libxmm - the built-in scripted SPMC: the secure side of FF-A memory
 * sharing, driven by per-partition scripts.
 *
 * Per handle it keeps the FF-A lifecycle seen from the secure world: the
 * share is sent, an SP retrieves it (maps it), later relinquishes it, and
 * only then can the sender reclaim it (FF-A v1.1, memory management
 * chapter).  A reclaim while the borrower still has the memory retrieved is
 * DENIED; a second retrieve is DENIED.  Handles are allocated by the SPMC
 * with bit 63 clear.  As Hafnium does (ffa_memory.c): a frame already in a
 * live share (sent, retrieved or relinquished, until reclaimed) cannot be
 * shared again (DENIED, ffa_send_check_transition: the sender no longer
 * has it exclusively); a retrieve by an SP that is not the receiver, a
 * relinquish by one that is not the borrower or of memory it has not
 * retrieved are INVALID_PARAMETERS (ffa_memory_retrieve_validate,
 * ffa_memory_relinquish).
 *
 * Scripts: whether an SP subscribed to VM_DESTROYED (manifest
 * vm-availability-messages), its replies to it, auto or manual retrieve,
 * when it relinquishes (when told the sender is gone, N ticks after
 * retrieving as for a DMA in flight, never, or only on request), and an
 * optional permanent reclaim error.
 */
#include <stdlib.h>

#include "ffa_priv.h"

struct stub_handle {
    xmm_ffa_handle_t handle;
    xmm_domid_t sender;
    uint32_t sp; /* index into stub->sp */
    enum xmm_ffa_handle_state state;
    uint64_t timer; /* relinquish timer id, 0 if none */
    struct spmc_stub *stub;
    uint32_t count;
    xmm_mfn_t mfns[];
};

struct spmc_stub {
    struct xmm_sp_config sp[XMM_FFA_MAX_SPS];
    uint32_t reply_pos[XMM_FFA_MAX_SPS];
    uint32_t sp_count;
    struct stub_handle **h; /* sorted by handle (allocated increasing) */
    size_t h_count, h_cap;
    uint64_t next_handle;
    struct xmm_world *w;
};

static size_t handle_size(uint32_t count)
{
    return sizeof(struct stub_handle) + count * sizeof(xmm_mfn_t);
}

static int sp_index(const struct spmc_stub *s, uint16_t id, uint32_t *idx)
{
    for (uint32_t i = 0; i < s->sp_count; i++)
        if (s->sp[i].id == id) {
            *idx = i;
            return 0;
        }
    return -1;
}

static struct stub_handle *find(const struct spmc_stub *s, xmm_ffa_handle_t handle,
                                size_t *pos)
{
    size_t lo = 0, hi = s->h_count;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (s->h[mid]->handle < handle)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return (lo < s->h_count && s->h[lo]->handle == handle) ? s->h[lo] : NULL;
}

static void relinquish_timer(struct xmm_world *w, void *arg)
{
    struct stub_handle *h = arg;

    (void)w;
    h->timer = 0;
    if (h->state == XMM_FFA_RETRIEVED)
        h->state = XMM_FFA_RELINQUISHED;
}

/* The SP maps the share; a DMA-style SP arms its relinquish timer. */
static int do_retrieve(struct xmm_world *w, struct spmc_stub *s, struct stub_handle *h)
{
    const struct xmm_sp_config *c = &s->sp[h->sp];

    if (c->relinquish == XMM_SP_RELINQUISH_AFTER) {
        int rc = xmm_timer_arm(w, c->relinquish_after ? c->relinquish_after : 1,
                               relinquish_timer, h, &h->timer);
        if (rc)
            return XMM_FFA_RET_NO_MEMORY;
    }
    h->state = XMM_FFA_RETRIEVED;
    return XMM_FFA_RET_OK;
}

static int mfn_cmp(const void *a, const void *b)
{
    uint64_t x = ((const xmm_mfn_t *)a)->m, y = ((const xmm_mfn_t *)b)->m;

    return (x > y) - (x < y);
}

/*
 * Is any of these frames in a live share?  Hafnium tracks the state of every
 * page of the normal world by physical address, so this holds across
 * senders.  Sorts a copy of the new frames and looks every live frame up.
 */
static bool overlaps(const struct spmc_stub *s, const xmm_mfn_t *mfns, uint32_t count)
{
    xmm_mfn_t sorted[XMM_FFA_MAX_SHARE_PAGES];

    if (count > XMM_FFA_MAX_SHARE_PAGES) {
        for (size_t i = 0; i < s->h_count; i++)
            for (uint32_t p = 0; p < s->h[i]->count; p++)
                for (uint32_t j = 0; j < count; j++)
                    if (s->h[i]->mfns[p].m == mfns[j].m)
                        return true;
        return false;
    }
    memcpy(sorted, mfns, count * sizeof(*mfns));
    qsort(sorted, count, sizeof(*sorted), mfn_cmp);
    for (size_t i = 0; i < s->h_count; i++)
        for (uint32_t p = 0; p < s->h[i]->count; p++)
            if (bsearch(&s->h[i]->mfns[p], sorted, count, sizeof(*sorted), mfn_cmp))
                return true;
    return false;
}

static int stub_share(void *ctx, struct xmm_world *w, xmm_domid_t dom, uint16_t sp,
                      const xmm_mfn_t *mfns, uint32_t count, xmm_ffa_handle_t *handle)
{
    struct spmc_stub *s = ctx;
    struct stub_handle *h;
    uint32_t idx;
    size_t pos;

    if (sp_index(s, sp, &idx))
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "the SPMC has no SP %#x", (unsigned)sp);
    if (overlaps(s, mfns, count))
        return xmm_fail(w, XMM_FFA_RET_DENIED,
                        "a frame of %s's share is already in a live share (the SPMC tracks pages by address)",
                        DN(dom));
    if (xmm_array_grow(w, &s->h, &s->h_cap, s->h_count, s->h_count + 1, sizeof(*s->h), 16))
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "the SPMC has no memory for handle %zu",
                        s->h_count + 1);
    h = xmm_alloc(w, handle_size(count));
    if (!h)
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "the SPMC has no memory for a %" PRIu32 "-page handle",
                        count);
    h->handle = s->next_handle;
    h->sender = dom;
    h->sp = idx;
    h->stub = s;
    h->count = count;
    memcpy(h->mfns, mfns, count * sizeof(*mfns));
    h->state = XMM_FFA_SENT;
    if (s->sp[idx].retrieve == XMM_SP_RETRIEVE_AUTO && do_retrieve(w, s, h) != XMM_FFA_RET_OK) {
        xmm_free(w, h, handle_size(count));
        return xmm_fail(w, XMM_FFA_RET_NO_MEMORY, "no memory for SP %#x's relinquish timer",
                        (unsigned)sp);
    }
    s->next_handle++;
    find(s, h->handle, &pos);
    s->h[s->h_count++] = h; /* handles only grow: append keeps the order */
    assert(pos == s->h_count - 1);
    *handle = h->handle;
    return XMM_FFA_RET_OK;
}

static int stub_reclaim(void *ctx, struct xmm_world *w, xmm_ffa_handle_t handle)
{
    struct spmc_stub *s = ctx;
    size_t pos;
    struct stub_handle *h = find(s, handle, &pos);

    if (!h)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "the SPMC knows no handle %#" PRIx64,
                        (uint64_t)handle);
    if (s->sp[h->sp].reclaim_error)
        return xmm_fail(w, s->sp[h->sp].reclaim_error,
                        "SP %#x refuses every reclaim (reclaim_error %s)", (unsigned)s->sp[h->sp].id,
                        xmm_rc_name(XMM_RC_FFA, s->sp[h->sp].reclaim_error));
    if (h->state == XMM_FFA_RETRIEVED)
        return xmm_fail(w, XMM_FFA_RET_DENIED,
                        "SP %#x still has handle %#" PRIx64 " retrieved: the reclaim is denied",
                        (unsigned)s->sp[h->sp].id, (uint64_t)handle);
    if (h->timer)
        xmm_timer_cancel(w, h->timer);
    memmove(&s->h[pos], &s->h[pos + 1], (s->h_count - pos - 1) * sizeof(*s->h));
    s->h_count--;
    xmm_free(w, h, handle_size(h->count));
    return XMM_FFA_RET_OK;
}

static int stub_vm_destroyed(void *ctx, struct xmm_world *w, uint16_t sp, xmm_domid_t dom)
{
    struct spmc_stub *s = ctx;
    const struct xmm_sp_config *c;
    uint32_t idx;
    int reply = XMM_FFA_RET_OK;

    (void)w;
    if (sp_index(s, sp, &idx))
        return XMM_FFA_RET_INVALID_PARAMETERS;
    c = &s->sp[idx];
    if (c->vm_destroyed_reply_count) {
        reply = c->vm_destroyed_replies[s->reply_pos[idx]];
        if (s->reply_pos[idx] + 1 < c->vm_destroyed_reply_count)
            s->reply_pos[idx]++;
    }
    if (reply == XMM_FFA_RET_OK && c->relinquish == XMM_SP_RELINQUISH_ON_VM_DESTROYED)
        for (size_t i = 0; i < s->h_count; i++)
            if (s->h[i]->sp == idx && s->h[i]->sender == dom &&
                s->h[i]->state == XMM_FFA_RETRIEVED)
                s->h[i]->state = XMM_FFA_RELINQUISHED;
    return reply;
}

static uint32_t stub_sp_count(void *ctx) { return ((struct spmc_stub *)ctx)->sp_count; }
static uint16_t stub_sp_id(void *ctx, uint32_t i) { return ((struct spmc_stub *)ctx)->sp[i].id; }

static bool stub_sp_subscribed(void *ctx, uint32_t i)
{
    return ((struct spmc_stub *)ctx)->sp[i].subscribe_vm_destroyed;
}

/*
 * The handle, if `sp` is its borrower; else NULL and *rc = `not_borrower`
 * (INVALID_PARAMETERS for the FF-A calls, as Hafnium; DENIED for a touch).
 */
static struct stub_handle *borrowed(struct spmc_stub *s, uint16_t sp, xmm_ffa_handle_t handle,
                                    int not_borrower, int *rc)
{
    struct stub_handle *h = find(s, handle, NULL);
    uint32_t idx;

    *rc = XMM_FFA_RET_OK;
    if (!h || sp_index(s, sp, &idx))
        *rc = XMM_FFA_RET_INVALID_PARAMETERS;
    else if (h->sp != idx)
        *rc = not_borrower;
    return *rc ? NULL : h;
}

static int stub_retrieve(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle)
{
    int rc;
    struct stub_handle *h = borrowed(ctx, sp, handle, XMM_FFA_RET_INVALID_PARAMETERS, &rc);

    if (!h)
        return xmm_fail(w, rc, "SP %#x is not the borrower of handle %#" PRIx64, (unsigned)sp,
                        (uint64_t)handle);
    if (h->state == XMM_FFA_RETRIEVED)
        return xmm_fail(w, XMM_FFA_RET_DENIED, "SP %#x has retrieved handle %#" PRIx64 " already",
                        (unsigned)sp, (uint64_t)handle);
    rc = do_retrieve(w, ctx, h);
    if (rc)
        return xmm_fail(w, rc, "no memory for SP %#x's relinquish timer", (unsigned)sp);
    return rc;
}

static int stub_relinquish(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle)
{
    int rc;
    struct stub_handle *h = borrowed(ctx, sp, handle, XMM_FFA_RET_INVALID_PARAMETERS, &rc);

    if (!h)
        return xmm_fail(w, rc, "SP %#x is not the borrower of handle %#" PRIx64, (unsigned)sp,
                        (uint64_t)handle);
    /* Not retrieved (never, or relinquished already): Hafnium's "not yet fully retrieved". */
    if (h->state != XMM_FFA_RETRIEVED)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS,
                        "SP %#x has not retrieved handle %#" PRIx64 " (nothing to relinquish)",
                        (unsigned)sp, (uint64_t)handle);
    if (h->timer) {
        xmm_timer_cancel(w, h->timer);
        h->timer = 0;
    }
    h->state = XMM_FFA_RELINQUISHED;
    return XMM_FFA_RET_OK;
}

static int stub_access(void *ctx, struct xmm_world *w, uint16_t sp, xmm_ffa_handle_t handle,
                       uint32_t page, bool write, xmm_mfn_t *mfn)
{
    int rc;
    struct stub_handle *h = borrowed(ctx, sp, handle, XMM_FFA_RET_DENIED, &rc);

    (void)write;
    if (!h)
        return xmm_fail(w, rc, "SP %#x is not the borrower of handle %#" PRIx64, (unsigned)sp,
                        (uint64_t)handle);
    if (h->state != XMM_FFA_RETRIEVED)
        return xmm_fail(w, XMM_FFA_RET_DENIED, "SP %#x has not retrieved handle %#" PRIx64,
                        (unsigned)sp, (uint64_t)handle);
    if (page >= h->count)
        return xmm_fail(w, XMM_FFA_RET_INVALID_PARAMETERS, "handle %#" PRIx64 " has %" PRIu32 " pages, no page %" PRIu32,
                        (uint64_t)handle, h->count, page);

    *mfn = h->mfns[page];
    return XMM_FFA_RET_OK;
}

static void stub_for_each_reach(void *ctx, xmm_ffa_reach_fn fn, void *arg)
{
    struct spmc_stub *s = ctx;

    for (size_t i = 0; i < s->h_count; i++) {
        const struct stub_handle *h = s->h[i];

        if (h->state != XMM_FFA_RETRIEVED)
            continue;
        for (uint32_t p = 0; p < h->count; p++)
            fn(arg, s->sp[h->sp].id, h->handle, h->sender, h->mfns[p]);
    }
}

static void stub_fini(void *ctx, struct xmm_world *w)
{
    struct spmc_stub *s = ctx;

    for (size_t i = 0; i < s->h_count; i++)
        xmm_free(w, s->h[i], handle_size(s->h[i]->count));
    xmm_free(w, s->h, s->h_cap * sizeof(*s->h));
    xmm_free(w, s, sizeof(*s));
}

static const struct xmm_spmc_ops stub_ops = {
    .mem_share = stub_share,
    .mem_reclaim = stub_reclaim,
    .vm_destroyed = stub_vm_destroyed,
    .sp_count = stub_sp_count,
    .sp_id = stub_sp_id,
    .sp_subscribed = stub_sp_subscribed,
    .retrieve = stub_retrieve,
    .relinquish = stub_relinquish,
    .access = stub_access,
    .for_each_reach = stub_for_each_reach,
    .fini = stub_fini,
};

static bool ffa_code(int rc)
{
    return rc <= XMM_FFA_RET_OK && rc >= XMM_FFA_RET_NO_DATA;
}

int xmm_spmc_stub_attach(struct xmm_world *w, const struct xmm_sp_config *sps, uint32_t count)
{
    struct spmc_stub *s;
    int rc;

    xmm_err_clear(w);
    if (count > XMM_FFA_MAX_SPS || (count && !sps))
        return xmm_fail(w, -XMM_EINVAL, "%" PRIu32 " SPs given (at most %d, and a list is needed)",
                        count, XMM_FFA_MAX_SPS);
    for (uint32_t i = 0; i < count; i++) {
        if (sps[i].vm_destroyed_reply_count > XMM_SP_REPLIES_MAX || !ffa_code(sps[i].reclaim_error))
            return xmm_fail(w, -XMM_EINVAL,
                            "SP %#x: more than %d VM_DESTROYED replies or a reclaim_error that is no FF-A code",
                            (unsigned)sps[i].id, XMM_SP_REPLIES_MAX);
        for (uint32_t r = 0; r < sps[i].vm_destroyed_reply_count; r++)
            if (!ffa_code(sps[i].vm_destroyed_replies[r]))
                return xmm_fail(w, -XMM_EINVAL, "SP %#x: VM_DESTROYED reply %" PRIu32 " is no FF-A code",
                                (unsigned)sps[i].id, r);
        for (uint32_t j = 0; j < i; j++)
            if (sps[j].id == sps[i].id)
                return xmm_fail(w, -XMM_EINVAL, "SP %#x is given twice", (unsigned)sps[i].id);
    }
    if (ffa_world_has_spmc(w))
        return xmm_fail(w, -XMM_EBUSY, "the world already has an SPMC attached");
    s = xmm_alloc(w, sizeof(*s));
    if (!s)
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the SPMC stub");
    if (count)
        memcpy(s->sp, sps, count * sizeof(*sps));
    s->sp_count = count;
    s->next_handle = 0x1000;
    /* Room for the first handles up front, so a share allocates only its record. */
    s->h_cap = 16;
    s->h = xmm_alloc(w, s->h_cap * sizeof(*s->h));
    if (!s->h) {
        xmm_free(w, s, sizeof(*s));
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the SPMC stub's handle table");
    }

    s->w = w;
    rc = xmm_spmc_attach(w, &stub_ops, s);
    if (rc) {
        xmm_free(w, s->h, s->h_cap * sizeof(*s->h));
        xmm_free(w, s, sizeof(*s));
    }
    return rc;
}

int xmm_spmc_stub_handle_state(const struct xmm_world *w, xmm_ffa_handle_t handle,
                               enum xmm_ffa_handle_state *out)
{
    const struct spmc_stub *s = ffa_world_spmc_ctx(w, &stub_ops);
    const struct stub_handle *h;

    if (!s)
        return -XMM_EINVAL;
    h = find(s, handle, NULL);
    if (!h)
        return -XMM_ENOENT;
    *out = h->state;
    return 0;
}

/*
 * The built-in SPMC's state for xmm_world_digest (0 for another SPMC):
 * where each partition is in its scripted replies, the next handle, and
 * every handle with its state, sender, frames and pending relinquish.
 */
uint64_t spmc_stub_digest(const struct xmm_world *w)
{
    const struct spmc_stub *s = ffa_world_spmc_ctx(w, &stub_ops);
    uint64_t h;

    if (!s)
        return 0;
    h = mix64(s->next_handle ^ ((uint64_t)s->sp_count << 48) ^ ((uint64_t)s->h_count << 32));
    for (uint32_t i = 0; i < s->sp_count; i++)
        h = mix64(h ^ s->reply_pos[i] ^ ((uint64_t)s->sp[i].id << 32));
    for (size_t i = 0; i < s->h_count; i++) {
        const struct stub_handle *sh = s->h[i];

        h = mix64(h ^ sh->handle ^ ((uint64_t)sh->sender << 40) ^ ((uint64_t)sh->sp << 56));
        h = mix64(h ^ sh->state ^ ((uint64_t)(sh->timer != 0) << 8) ^ ((uint64_t)sh->count << 16));
        for (uint32_t p = 0; p < sh->count; p++)
            h = mix64(h ^ sh->mfns[p].m);
    }
    return h;
}

/*
 * Copy w's SPMC into c when it is the built-in stub: its partitions, script
 * positions and handles.  Return: 0 (*ops, *ctx set), -XMM_ENOMEM, or
 * -XMM_ENOSYS for another SPMC (its context is its user's).
 */
int spmc_stub_clone(const struct xmm_world *w, struct xmm_world *c,
                    const struct xmm_spmc_ops **ops, void **ctx)
{
    const struct spmc_stub *s = ffa_world_spmc_ctx(w, &stub_ops);
    struct spmc_stub *n;

    if (!s)
        return -XMM_ENOSYS;
    n = xmm_alloc(c, sizeof(*n));
    if (!n)
        return -XMM_ENOMEM;
    *n = *s;
    n->w = c;
    n->h_count = 0;
    n->h = xmm_alloc(c, s->h_cap * sizeof(*n->h));
    if (!n->h) {
        xmm_free(c, n, sizeof(*n));
        return -XMM_ENOMEM;
    }
    /* attached from here on: ffa_world_fini frees what was copied */
    *ops = &stub_ops;
    *ctx = n;
    for (size_t i = 0; i < s->h_count; i++) {
        n->h[i] = xmm_alloc_copy(c, handle_size(s->h[i]->count), s->h[i],
                                 handle_size(s->h[i]->count));
        if (!n->h[i])
            return -XMM_ENOMEM;
        n->h[i]->stub = n;
        if (s->h[i]->timer)
            timer_arg_move(c, s->h[i], n->h[i]);
        n->h_count = i + 1;
    }
    return 0;
}
