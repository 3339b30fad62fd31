/*
 * libxmm - domain lifecycle (common/domain.c, arch/arm/domain.c).
 *
 * Reference counting follows Xen: creation holds one reference, dropped
 * when domain_kill completes; the first page assigned takes one, dropped
 * when tot_pages returns to 0; likewise the first shared xenheap page.
 * When the count reaches zero the domain structure goes ("gone").  A killed
 * domain still referenced is a zombie (`xl list` shows "(null)").
 *
 * domain_kill relinquishes resources in stages (FF-A, grant mappings held, P2M
 * mappings, xenheap list, page list, P2M tables), each preemptible after
 * XMM_KILL_BATCH units of work with a cursor saved in the domain, like
 * domain_relinquish_resources' PROG_* stages.  libxmm removes the P2M
 * mappings before it drops the page allocation references (Xen does it the
 * other way round and relies on the dead domain never running again); the
 * model's order means no freed frame is ever reachable through a P2M, even
 * between two preempted calls, so `free_clean` can be checked at every step.
 */
#include "internal.h"

/* --- the domain table, sorted by id --------------------------------------- */

static size_t domain_slot(const struct xmm_world *w, xmm_domid_t id)
{
    size_t lo = 0, hi = w->dom_count;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (w->doms[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* By id: the table indexed by id, kept next to the sorted one. */
struct xmm_domain *domain_find(const struct xmm_world *w, xmm_domid_t id)
{
    return domain_by_id(w, id);
}

struct xmm_domain *domain_find_inc(const struct xmm_world *w, xmm_domid_t id, uint64_t inc)
{
    struct xmm_domain *d = domain_find(w, id);

    return (d && d->inc == inc) ? d : NULL;
}

void domain_touch(struct xmm_world *w, struct xmm_domain *d)
{
    if (d->dirty)
        return;
    if (w->dirty_dom_count < DIRTY_DOMS_MAX) {
        w->dirty_doms[w->dirty_dom_count++] = d->id;
        d->dirty = true;
    } else {
        w->dirty_overflow = true;
    }
}

/* The structure goes: the last reference was dropped. */
static void domain_destroy_final(struct xmm_world *w, struct xmm_domain *d)
{
    size_t i = domain_slot(w, d->id);

    assert(i < w->dom_count && w->doms[i] == d);
    assert(d->tot_pages == 0 && d->xenheap_pages == 0 && d->p2m.entries == 0);
    if (!d->dirty && w->dirty_dom_count < DIRTY_DOMS_MAX)
        w->dirty_doms[w->dirty_dom_count++] = d->id;
    else if (!d->dirty)
        w->dirty_overflow = true;
    hist_domain(w, d->id, XMM_DOMAIN_GONE);
    gnttab_destroy(w, d);
    ffa_domain_free(w, d);
    mpu_domain_destroy(w, d);
    saferange_destroy(w, d);
    iommu_domain_free(w, d);
    memmove(&w->doms[i], &w->doms[i + 1], (w->dom_count - i - 1) * sizeof(*w->doms));
    w->dom_count--;
    w->dom_by_id[d->id] = NULL;
    xmm_free(w, d, sizeof(*d));
}

void domain_ref_get(struct xmm_world *w, struct xmm_domain *d)
{
    domain_touch(w, d);
    d->refs++;
}

void domain_ref_put(struct xmm_world *w, struct xmm_domain *d)
{
    assert(d->refs > 0);
    domain_touch(w, d);
    if (--d->refs == 0)
        domain_destroy_final(w, d);
}

void domains_free_all(struct xmm_world *w)
{
    for (size_t i = 0; i < w->dom_count; i++) {
        struct xmm_domain *d = w->doms[i];

        /* World teardown: nodes are freed, leaves need no accounting. */
        p2m_discard(w, d);
        gnttab_discard(w, d);
        ffa_domain_free(w, d);
        mpu_domain_discard(w, d);
        saferange_destroy(w, d);
        iommu_domain_free(w, d);
        w->dom_by_id[d->id] = NULL;
        xmm_free(w, d, sizeof(*d));
    }
    xmm_free(w, w->doms, w->dom_cap * sizeof(*w->doms));
    w->doms = NULL;
    w->dom_count = w->dom_cap = 0;
    xmm_free(w, w->dom_by_id, w->dom_by_id_cap * sizeof(*w->dom_by_id));
    w->dom_by_id = NULL;
    w->dom_by_id_cap = 0;
}

uint64_t domains_digest(const struct xmm_world *w)
{
    uint64_t h = mix64(w->dom_count ^ (w->last_inc << 32));

    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];

        h = mix64(h ^ d->id ^ (d->inc << 16));
        h = mix64(h ^ ((uint64_t)d->state << 32) ^ d->refs ^ ((uint64_t)d->ext_refs << 48));
        h = mix64(h ^ d->tot_pages ^ (d->max_pages << 20));
        h = mix64(h ^ d->xenheap_pages ^ ((uint64_t)d->kill_stage << 40) ^ d->kill_cursor);
        h = mix64(h ^ mpu_domain_hash(d));
        h = mix64(h ^ saferange_digest(d));
        h = mix64(h ^ d->opts.max_pages ^ ((uint64_t)d->opts.direct_map << 62) ^
                  ((uint64_t)d->opts.ffa << 61) ^ ((uint64_t)d->opts.grant_frames << 32) ^
                  ((uint64_t)d->opts.maptrack_frames << 44));
        h = mix64(h ^ d->pages.head ^ ((uint64_t)d->pages.tail << 32) ^ mix64(d->pages.count));
        h = mix64(h ^ d->xenpages.head ^ ((uint64_t)d->xenpages.tail << 32) ^
                  mix64(d->xenpages.count));
        h = mix64(h ^ d->kill_calls);
        h = mix64(h ^ gnttab_digest(d));
        h = mix64(h ^ ffa_domain_digest(d));
        h = mix64(h ^ iommu_domain_digest(d));
    }
    return h;
}

/* --- create ---------------------------------------------------------------- */

/*
 * A larger by-id index when `dom` is past it, prepared but not installed
 * (index_install commits it): *out is NULL when the index is big enough.
 */
static int index_prepare(struct xmm_world *w, xmm_domid_t dom, struct xmm_domain ***out,
                         size_t *cap)
{
    size_t ncap = w->dom_by_id_cap ? w->dom_by_id_cap : 16;

    *out = NULL;
    if (dom < w->dom_by_id_cap)
        return 0;
    while (ncap <= dom)
        ncap *= 2;
    *out = xmm_alloc(w, ncap * sizeof(**out));
    if (!*out)
        return -XMM_ENOMEM;
    memset(*out, 0, ncap * sizeof(**out));
    *cap = ncap;
    return 0;
}

static void index_install(struct xmm_world *w, struct xmm_domain **idx, size_t cap)
{
    if (!idx)
        return;
    if (w->dom_by_id_cap)
        memcpy(idx, w->dom_by_id, w->dom_by_id_cap * sizeof(*idx));
    xmm_free(w, w->dom_by_id, w->dom_by_id_cap * sizeof(*idx));
    w->dom_by_id = idx;
    w->dom_by_id_cap = cap;
}

/* Room for one more domain in the table. */
static int domain_table_grow(struct xmm_world *w)
{
    return xmm_array_grow(w, &w->doms, &w->dom_cap, w->dom_count, w->dom_count + 1,
                          sizeof(*w->doms), 8);
}

int xmm_domain_create(struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *opts)
{
    struct xmm_domain_opts def = XMM_DOMAIN_OPTS_INIT;
    struct xmm_domain *d;
    struct saferange sr;
    struct xmm_domain **idx;
    size_t slot, idx_cap = 0;
    int sr_rc;

    if (!opts)
        opts = &def;
    if (dom >= XMM_DOMID_FIRST_RESERVED)
        return -XMM_EINVAL;
    if (opts->grant_frames == 0 || opts->grant_frames > XMM_GRANT_FRAMES_MAX ||
        opts->maptrack_frames == 0 || opts->maptrack_frames > XMM_MAPTRACK_FRAMES_MAX)
        return -XMM_EINVAL;
    if (opts->safe_range == XMM_SAFE_RANGE_GIVEN &&
        (opts->safe_range_pages == 0 || opts->safe_range_gfn.g >= XMM_FRAME_LIMIT ||
         opts->safe_range_pages > XMM_FRAME_LIMIT - opts->safe_range_gfn.g))
        return -XMM_EINVAL;
    if (domain_find(w, dom))
        return -XMM_EEXIST;
    /* Seed 002: the toolstack's safe range is chosen before anything exists. */
    sr_rc = saferange_pick(w, dom, opts, &sr);
    if (sr_rc)
        return sr_rc;
    if (index_prepare(w, dom, &idx, &idx_cap))
        return -XMM_ENOMEM;
    d = xmm_alloc(w, sizeof(*d));
    if (!d) {
        xmm_free(w, idx, idx_cap * sizeof(*idx));
        return -XMM_ENOMEM;
    }
    d->id = dom;
    d->inc = w->last_inc + 1; /* taken only once the domain exists (below) */
    d->state = XMM_DOMAIN_RUNNING;
    d->refs = 1; /* the creation reference, dropped when the kill completes */
    d->max_pages = opts->max_pages;
    d->pages.head = d->pages.tail = XMM_NIL;
    d->xenpages.head = d->xenpages.tail = XMM_NIL;
    p2m_init(w, &d->p2m);
    d->opts = *opts;
    d->sr = sr;
    if (gnttab_init(w, d) || ffa_domain_init(w, d) || mpu_domain_init(w, d) ||
        domain_table_grow(w)) {
        mpu_domain_discard(w, d);
        ffa_domain_free(w, d);
        gnttab_discard(w, d);
        xmm_free(w, d, sizeof(*d));
        xmm_free(w, idx, idx_cap * sizeof(*idx));
        return -XMM_ENOMEM;
    }
    index_install(w, idx, idx_cap);
    slot = domain_slot(w, dom);
    memmove(&w->doms[slot + 1], &w->doms[slot], (w->dom_count - slot) * sizeof(*w->doms));
    w->doms[slot] = d;
    w->dom_count++;
    w->last_inc = d->inc;
    w->dom_by_id[dom] = d;
    domain_touch(w, d);
    hist_domain(w, dom, XMM_DOMAIN_RUNNING);
    return 0;
}

/* --- kill stages ------------------------------------------------------------ */

/* Remove up to *budget P2M leaves, in gfn order from the saved cursor. */
static int kill_p2m_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    uint64_t gfn, e;

    while (p2m_next_raw(&d->p2m, d->kill_cursor, &gfn, &e)) {
        /* Seed 003: no free invalidation-queue slot: preempt rather than spin. */
        if (*budget == 0 || iommu_kill_must_wait(w, d))
            return -XMM_ERESTART;
        (*budget)--;
        p2m_write(w, d, gfn, 0);
        d->kill_cursor = gfn + 1;
    }
    return 0;
}

/*
 * Drop the allocation reference of the frames on a list.  kill_cursor holds
 * how many frames at the head are still to be processed; a frame that stays
 * referenced elsewhere moves to the tail, behind the unprocessed ones.
 */
static int kill_list(struct xmm_world *w, struct xmm_domain *d, struct xmm_plist *l,
                     uint64_t *budget)
{
    for (;;) {
        uint32_t idx = l->head;
        struct xmm_page *pg;

        /*
         * A frame may have left the list between two preempted calls (its
         * last reference dropped elsewhere): never count past the list.  A
         * frame seen twice has no allocation reference left and is skipped.
         */
        if (d->kill_cursor > l->count)
            d->kill_cursor = l->count;
        if (d->kill_cursor == 0)
            break;

        if (*budget == 0)
            return -XMM_ERESTART;
        (*budget)--;
        assert(idx != XMM_NIL);
        d->kill_cursor--;
        pg = &w->frames[idx];
        if (pg->count_info & XMM_PGC_allocated) {
            int rc = xmm_page_put_alloc_ref(w, frame_mfn(w, idx));
            (void)rc;
            assert(rc == 0);
        }
        /* Still referenced by someone else: keep it, behind the rest. */
        if (l->head == idx && l->count > 1) {
            plist_remove(w, l, idx);
            plist_push_tail(w, l, idx);
        }
    }
    return 0;
}

static void kill_enter(struct xmm_world *w, struct xmm_domain *d, enum kill_stage s)
{
    domain_touch(w, d);
    d->kill_stage = s;
    d->kill_cursor = 0;
    if (s == KILL_XENHEAP)
        d->kill_cursor = d->xenpages.count;
    else if (s == KILL_PAGES)
        d->kill_cursor = d->pages.count;
}

/* Run stages from the saved one until done or out of budget. */
static int kill_run(struct xmm_world *w, struct xmm_domain *d)
{
    uint64_t budget = XMM_KILL_BATCH;
    int rc = 0;

    while (d->kill_stage != KILL_DONE) {
        switch (d->kill_stage) {
        case KILL_FFA:
            rc = ffa_teardown(w, d);
            break;
        case KILL_GNTTAB:
            rc = gnttab_release_mappings(w, d, &budget);
            break;
        case KILL_GUEST_AREAS:
            rc = shinfo_release(w, d, &budget);
            break;
        case KILL_IOMMU:
            rc = iommu_release_devices(w, d);
            break;
        case KILL_P2M_MAPPINGS:
            lock_take(w, LOCK_P2M);
            rc = kill_p2m_mappings(w, d, &budget);
            lock_release(w, LOCK_P2M);
            break;
        case KILL_XENHEAP:
            rc = kill_list(w, d, &d->xenpages, &budget);
            break;
        case KILL_PAGES:
            rc = kill_list(w, d, &d->pages, &budget);
            break;
        case KILL_P2M_TABLES:
            rc = p2m_free_tables(w, d, &budget);
            break;
        case KILL_NOT_STARTED:
        case KILL_DONE:
        default:
            assert(!"bad kill stage");
            return -XMM_EINVAL;
        }
        if (rc)
            return rc;
        kill_enter(w, d, (enum kill_stage)(d->kill_stage + 1));
    }
    return 0;
}

int xmm_domain_kill(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);
    int rc;

    if (!d)
        return -XMM_ESRCH;
    d->kill_calls++;
    domain_touch(w, d);
    if (d->state == XMM_DOMAIN_ZOMBIE) {
        ffa_kill_zombie(w, d); /* `xl destroy` again retries the reclaim */
        return 0;
    }
    if (d->state == XMM_DOMAIN_RUNNING) {
        d->state = XMM_DOMAIN_DYING;
        kill_enter(w, d, KILL_FFA);
        hist_domain(w, dom, XMM_DOMAIN_DYING);
    }
    lock_take(w, LOCK_DOMAIN);
    rc = kill_run(w, d);
    lock_release(w, LOCK_DOMAIN);
    if (rc)
        return rc;
    d->state = XMM_DOMAIN_ZOMBIE;
    hist_domain(w, dom, XMM_DOMAIN_ZOMBIE);
    domain_ref_put(w, d); /* the creation reference; may destroy d */
    return 0;
}

int xmm_domain_destroy(struct xmm_world *w, xmm_domid_t dom, uint32_t max_calls, uint32_t *calls)
{
    uint32_t n = 0;
    int rc;

    for (;;) {
        rc = xmm_domain_kill(w, dom);
        n++;
        if (rc != -XMM_ERESTART || n >= max_calls)
            break;
        xmm_world_advance(w, 1);
    }
    if (calls)
        *calls = n;
    return rc;
}

int xmm_domain_get(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);

    /*
     * get_domain fails only once the count has dropped to zero and the
     * structure is being destroyed (DOMAIN_DESTROYED): a dying domain or a
     * zombie can still be referenced.  Here such a domain is already gone.
     */
    if (!d)
        return -XMM_ESRCH;
    d->ext_refs++;
    domain_ref_get(w, d);
    return 0;
}

int xmm_domain_put(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);

    if (!d)
        return -XMM_ESRCH;
    /* Only a reference the caller took with xmm_domain_get can be dropped. */
    if (d->ext_refs == 0)
        return -XMM_EINVAL;
    d->ext_refs--;
    domain_ref_put(w, d);
    return 0;
}

/* --- queries ------------------------------------------------------------- */

int xmm_domain_info(const struct xmm_world *w, xmm_domid_t dom, struct xmm_domain_info *out)
{
    const struct xmm_domain *d = domain_find(w, dom);

    memset(out, 0, sizeof(*out));
    out->id = dom;
    if (!d)
        return -XMM_ESRCH;
    out->state = d->state;
    out->incarnation = d->inc;
    out->refs = d->refs;
    out->tot_pages = d->tot_pages;
    out->max_pages = d->max_pages;
    out->xenheap_pages = d->xenheap_pages;
    out->p2m_entries = d->p2m.entries;
    out->p2m_nodes = d->p2m.nodes;
    out->direct_map = d->opts.direct_map;
    out->ffa = d->opts.ffa;
    out->kill_stage = d->kill_stage;
    out->kill_calls = d->kill_calls;
    return 0;
}

enum xmm_domain_state xmm_domain_state(const struct xmm_world *w, xmm_domid_t dom)
{
    const struct xmm_domain *d = domain_find(w, dom);

    return d ? d->state : XMM_DOMAIN_GONE;
}

size_t xmm_domain_count(const struct xmm_world *w) { return w->dom_count; }

xmm_domid_t xmm_domain_id_at(const struct xmm_world *w, size_t i)
{
    return i < w->dom_count ? w->doms[i]->id : XMM_DOMID_INVALID;
}

/* --- clone (xmm_world_clone) -------------------------------------------------- */

/*
 * Copy w's domains into c (c has none): each domain and every module's
 * state of it, the sorted table and the by-id index.  On failure what was
 * copied is in c's table, for domains_free_all.
 */
int domains_clone(const struct xmm_world *w, struct xmm_world *c)
{
    c->doms = NULL;
    c->dom_count = c->dom_cap = 0;
    c->dom_by_id = NULL;
    c->dom_by_id_cap = 0;
    if (w->dom_cap) {
        c->doms = xmm_alloc(c, w->dom_cap * sizeof(*c->doms));
        if (!c->doms)
            return -XMM_ENOMEM;
        c->dom_cap = w->dom_cap;
    }
    if (w->dom_by_id_cap) {
        c->dom_by_id = xmm_alloc(c, w->dom_by_id_cap * sizeof(*c->dom_by_id));
        if (!c->dom_by_id)
            return -XMM_ENOMEM;
        memset(c->dom_by_id, 0, w->dom_by_id_cap * sizeof(*c->dom_by_id));
        c->dom_by_id_cap = w->dom_by_id_cap;
    }
    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];
        struct xmm_domain *nd = xmm_alloc(c, sizeof(*nd));

        if (!nd)
            return -XMM_ENOMEM;
        *nd = *d;
        nd->gt = NULL;
        nd->ffa = NULL;
        nd->mpu = NULL;
        nd->sr.told = NULL;
        nd->iommu = NULL;
        p2m_init(c, &nd->p2m);
        c->doms[c->dom_count++] = nd;
        c->dom_by_id[nd->id] = nd;
        if (p2m_clone(c, w, d, nd) || gnttab_clone(c, d, nd) || ffa_domain_clone(c, d, nd) ||
            mpu_domain_clone(c, d, nd) || saferange_clone(c, d, nd) ||
            iommu_domain_clone(c, d, nd))
            return -XMM_ENOMEM;
    }
    return 0;
}
