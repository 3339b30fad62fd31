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
#include "module.h"

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

static size_t domain_size(const struct xmm_world *w);

/*
 * The by-id index is one block: cap domain pointers, then the cap + 1
 * slots of the lookup fast path (w->fast, include/xmm/p2m.h).
 */
static size_t index_bytes(size_t cap)
{
    return cap * sizeof(struct xmm_domain *) + (cap + 1) * sizeof(struct xmm_p2m_fast_slot);
}

static struct xmm_p2m_fast_slot *index_slots(struct xmm_domain **idx, size_t cap)
{
    return (struct xmm_p2m_fast_slot *)(void *)(idx + cap);
}

/* A new index of `cap` ids: no domain in it. */
static struct xmm_domain **index_alloc(struct xmm_world *w, size_t cap)
{
    struct xmm_domain **idx = xmm_alloc(w, index_bytes(cap));

    if (idx) {
        memset(idx, 0, cap * sizeof(*idx));
        for (size_t i = 0; i <= cap; i++)
            index_slots(idx, cap)[i] = w->p2m_slot_none;
    }
    return idx;
}

/* Make idx (of cap ids, filled in) w's index, for domain_find and the fast path. */
static void index_set(struct xmm_world *w, struct xmm_domain **idx, size_t cap)
{
    w->dom_by_id = idx;
    w->dom_by_id_cap = cap;
    w->fast.slot = idx ? index_slots(idx, cap) : &w->p2m_slot_none;
    w->fast.cap = cap;
}

static void index_free(struct xmm_world *w)
{
    xmm_free(w, w->dom_by_id, index_bytes(w->dom_by_id_cap));
    index_set(w, NULL, 0);
}

/* The structure goes: the last reference was dropped (domain_ref_put, core.h). */
void domain_destroy_final(struct xmm_world *w, struct xmm_domain *d)
{
    size_t i = domain_slot(w, d->id);
    const struct xmm_module *m;

    assert(i < w->dom_count && w->doms[i] == d);
    assert(d->tot_pages == 0 && d->xenheap_pages == 0 && d->p2m.entries == 0);
    if (!d->dirty && w->dirty_dom_count < DIRTY_DOMS_MAX)
        w->dirty_doms[w->dirty_dom_count++] = d->id;
    else if (!d->dirty)
        w->dirty_overflow = true;
    hist_domain(w, d->id, XMM_DOMAIN_GONE);
    for (MOD_EACH(w, m_i, m))
        if (m->dom_free)
            m->dom_free(w, d);
    memmove(&w->doms[i], &w->doms[i + 1], (w->dom_count - i - 1) * sizeof(*w->doms));
    w->dom_count--;
    w->dom_by_id[d->id] = NULL;
    p2m_fast_sync(w, d->id);
    xmm_free(w, d, domain_size(w));
}

void domains_free_all(struct xmm_world *w)
{
    const struct xmm_module *m;

    for (size_t i = 0; i < w->dom_count; i++) {
        struct xmm_domain *d = w->doms[i];

        /* World teardown: nodes are freed, leaves need no accounting. */
        p2m_discard(w, d);
        for (MOD_EACH(w, m_i, m))
            if (m->dom_discard)
                m->dom_discard(w, d);
        w->dom_by_id[d->id] = NULL;
        p2m_fast_sync(w, d->id);
        xmm_free(w, d, domain_size(w));
    }
    xmm_free(w, w->doms, w->dom_cap * sizeof(*w->doms));
    w->doms = NULL;
    w->dom_count = w->dom_cap = 0;
    index_free(w);
}

/*
 * Per domain, the lanes of its field groups and of each module's state,
 * summed and mixed (so that two domains cannot trade a field unnoticed);
 * the domains' results summed (each names its id).
 */
uint64_t domains_digest(const struct xmm_world *w)
{
    uint64_t h = mix64(w->dom_count ^ (w->last_inc << 32));
    const struct xmm_module *m;

    for (size_t i = 0; i < w->dom_count; i++) {
        const struct xmm_domain *d = w->doms[i];
        uint64_t dh;

        dh = mix64_lane(d->id ^ (d->inc << 16), 0);
        dh += mix64_lane(((uint64_t)d->state << 32) ^ d->refs ^ ((uint64_t)d->ext_refs << 48), 1);
        dh += mix64_lane(d->tot_pages ^ (d->max_pages << 20), 2);
        dh += mix64_lane(d->xenheap_pages ^ ((uint64_t)d->kill_stage << 40) ^ d->kill_cursor, 3);
        dh += mix64_lane(d->opts.max_pages ^ ((uint64_t)d->opts.direct_map << 62) ^
                             ((uint64_t)d->opts.ffa << 61) ^ ((uint64_t)d->opts.grant_frames << 32) ^
                             ((uint64_t)d->opts.maptrack_frames << 44),
                         4);
        dh += mix64_lane(d->pages.head ^ ((uint64_t)d->pages.tail << 32), 5);
        dh += mix64_lane(d->xenpages.head ^ ((uint64_t)d->xenpages.tail << 32), 6);
        /* frame counts are below 2^32 (RAM is below 2^36 bytes) */
        dh += mix64_lane(d->pages.count ^ (d->xenpages.count << 32), 7);
        dh += mix64_lane(d->kill_calls, 8);
        for (MOD_EACH(w, m_i, m))
            if (m->dom_digest)
                dh += mix64_lane(m->dom_digest(w, d), 9 + m_i);
        h += mix64(dh);
    }
    return h;
}

/* --- create ---------------------------------------------------------------- */

/*
 * The domain structure and, behind it, the per-domain state of every module
 * that asks for some (dom_size): one allocation, d->mod[] pointing into it.
 */
static size_t domain_size(const struct xmm_world *w)
{
    size_t size = sizeof(struct xmm_domain);

    for (uint32_t i = 0; i < w->mod_count; i++)
        size += (w->mods[i]->dom_size + 7) & ~(size_t)7;
    return size;
}

static void domain_slots(const struct xmm_world *w, struct xmm_domain *d)
{
    unsigned char *p = (unsigned char *)(d + 1);

    for (uint32_t i = 0; i < w->mod_count; i++) {
        if (!w->mods[i]->dom_size)
            continue;
        d->mod[i] = p;
        p += (w->mods[i]->dom_size + 7) & ~(size_t)7;
    }
}

/* A module's dom_init failed (no memory): undo those that ran, in reverse. */
static void domain_unwind(struct xmm_world *w, struct xmm_domain *d, uint32_t ran)
{
    while (ran--)
        if (w->mods[ran]->dom_discard)
            w->mods[ran]->dom_discard(w, d);
}

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
    *out = index_alloc(w, ncap);
    if (!*out)
        return -XMM_ENOMEM;
    *cap = ncap;
    return 0;
}

static void index_install(struct xmm_world *w, struct xmm_domain **idx, size_t cap)
{
    size_t old = w->dom_by_id_cap;

    if (!idx)
        return;
    if (old) {
        memcpy(idx, w->dom_by_id, old * sizeof(*idx));
        memcpy(index_slots(idx, cap), w->fast.slot, old * sizeof(struct xmm_p2m_fast_slot));
    }
    xmm_free(w, w->dom_by_id, index_bytes(old));
    index_set(w, idx, cap);
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
    const struct xmm_module *m;
    struct xmm_domain *d, **idx;
    size_t slot, idx_cap = 0;
    uint32_t ran;
    int rc = 0;

    xmm_err_clear(w);
    if (!opts)
        opts = &def;
    if (dom >= XMM_DOMID_FIRST_RESERVED)
        return xmm_fail(w, -XMM_EINVAL, "domain id %#x is reserved (guests use 0..%#x)",
                        (unsigned)dom, (unsigned)XMM_DOMID_MAX);
    if (opts->grant_frames == 0 || opts->grant_frames > XMM_GRANT_FRAMES_MAX)
        return xmm_fail(w, -XMM_EINVAL, "grant_frames %" PRIu32 " is outside 1..%u",
                        opts->grant_frames, (unsigned)XMM_GRANT_FRAMES_MAX);
    if (opts->maptrack_frames == 0 || opts->maptrack_frames > XMM_MAPTRACK_FRAMES_MAX)
        return xmm_fail(w, -XMM_EINVAL, "maptrack_frames %" PRIu32 " is outside 1..%u",
                        opts->maptrack_frames, (unsigned)XMM_MAPTRACK_FRAMES_MAX);
    for (MOD_EACH(w, m_i, m))
        if (m->dom_args && m->dom_args(opts))
            return xmm_fail(w, -XMM_EINVAL,
                            "%s's options for the %s module are out of range (safe range: %" PRIu64
                            " pages at gfn %#" PRIx64 ")",
                            DN(dom), m->name, opts->safe_range_pages, opts->safe_range_gfn.g);
    if (domain_find(w, dom))
        return xmm_fail(w, -XMM_EEXIST, "%s already exists (%s)", DN(dom),
                        xmm_domain_state_name(domain_find(w, dom)->state));
    /* Module choices made before anything exists (seed 002: the safe range). */
    for (MOD_EACH(w, m_i, m))
        if (m->dom_check && (rc = m->dom_check(w, dom, opts)) != 0)
            return xmm_fail(w, rc, "the %s module refuses %s: %s", m->name, DN(dom),
                            rc == -XMM_ENOSPC ? "no hole of the address space fits what it places"
                                              : "the given range covers the grant-table region, "
                                                "host RAM or MMIO");
    if (index_prepare(w, dom, &idx, &idx_cap))
        return xmm_fail(w, -XMM_ENOMEM, "no memory for the domain table to hold %s", DN(dom));
    d = xmm_alloc(w, domain_size(w));
    if (!d) {
        xmm_free(w, idx, index_bytes(idx_cap));
        return xmm_fail(w, -XMM_ENOMEM, "no memory for %s's domain structure", DN(dom));
    }
    domain_slots(w, d);
    d->id = dom;
    d->inc = w->last_inc + 1; /* taken only once the domain exists (below) */
    d->state = XMM_DOMAIN_RUNNING;
    d->refs = 1; /* the creation reference, dropped when the kill completes */
    d->max_pages = opts->max_pages;
    d->pages.head = d->pages.tail = XMM_NIL;
    d->xenpages.head = d->xenpages.tail = XMM_NIL;
    p2m_init(w, &d->p2m);
    d->opts = *opts;
    for (ran = 0; ran < w->mod_count && !rc; ran++)
        if (w->mods[ran]->dom_init)
            rc = w->mods[ran]->dom_init(w, d);
    if (rc || domain_table_grow(w)) {
        const char *mod = rc ? w->mods[ran - 1]->name : "domain table";

        domain_unwind(w, d, ran);
        xmm_free(w, d, domain_size(w));
        xmm_free(w, idx, index_bytes(idx_cap));
        return xmm_fail(w, -XMM_ENOMEM, "no memory for %s's %s state", DN(dom), mod);
    }
    index_install(w, idx, idx_cap);
    slot = domain_slot(w, dom);
    memmove(&w->doms[slot + 1], &w->doms[slot], (w->dom_count - slot) * sizeof(*w->doms));
    w->doms[slot] = d;
    w->dom_count++;
    w->last_inc = d->inc;
    w->dom_by_id[dom] = d;
    p2m_fast_sync(w, dom);
    domain_touch(w, d);
    hist_domain(w, dom, XMM_DOMAIN_RUNNING);
    return 0;
}

/* --- kill stages ------------------------------------------------------------ */

/* A module needs the P2M stage to preempt first (seed 003: no free invalidation-queue slot). */
static bool kill_must_wait(const struct xmm_world *w, const struct xmm_domain *d)
{
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m))
        if (m->kill_must_wait && m->kill_must_wait(w, d))
            return true;
    return false;
}

/* The module stages: each module's teardown, in registration order, at its stage. */
static int kill_modules(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    enum kill_stage s = d->kill_stage;
    xmm_domid_t id = d->id;
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m)) {
        if (m->kill_stage != s || !m->teardown)
            continue;
        int rc = m->teardown(w, d, budget);

        if (rc)
            return rc;
        /* A teardown may not destroy d (it holds a reference to keep it). */
        assert(domain_find(w, id) == d);
        (void)id;
    }
    return 0;
}

/* Remove up to *budget P2M leaves, in gfn order from the saved cursor. */
static int kill_p2m_mappings(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    uint64_t from = d->kill_cursor, base;
    const uint64_t *blk;

    /* A leaf node at a time (removing leaves keeps the node). */
    for (; (blk = p2m_next_block(&d->p2m, from, &base)) != NULL; from = base + P2M_ENTRIES)
        for (uint64_t s = from > base ? from - base : 0; s < P2M_ENTRIES; s++) {
            if (!blk[s])
                continue;
            if (*budget == 0 || kill_must_wait(w, d))
                return -XMM_ERESTART;
            (*budget)--;
            p2m_write(w, d, base + s, 0);
            d->kill_cursor = base + s + 1;
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

/* The stage's name in reasons: the resource the kill is releasing. */
static const char *kill_stage_name(enum kill_stage s)
{
    static const char *const names[] = {
        [KILL_NOT_STARTED] = "not_started", [KILL_FFA] = "ffa",
        [KILL_GNTTAB] = "gnttab",           [KILL_GUEST_AREAS] = "guest_areas",
        [KILL_IOMMU] = "iommu",             [KILL_P2M_MAPPINGS] = "p2m_mappings",
        [KILL_XENHEAP] = "xenheap",         [KILL_PAGES] = "pages",
        [KILL_P2M_TABLES] = "p2m_tables",   [KILL_DONE] = "done",
    };

    return (unsigned)s <= KILL_DONE ? names[s] : "?";
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
            assert(!"bad kill stage");
            return xmm_fail(w, -XMM_EINVAL, "%s is in no kill stage", DN(d->id));
        default: /* KILL_MODULES_FIRST .. KILL_MODULES_LAST: the modules' stages */
            rc = kill_modules(w, d, &budget);
            break;
        }
        if (rc == -XMM_ERESTART)
            return xmm_fail(w, rc, "%s's kill was preempted in stage %s (call again)",
                            DN(d->id), kill_stage_name(d->kill_stage));
        if (rc)
            return rc;
        kill_enter(w, d, (enum kill_stage)(d->kill_stage + 1));
    }
    return 0;
}

int xmm_domain_kill(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);
    const struct xmm_module *m;
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    d->kill_calls++;
    domain_touch(w, d);
    if (d->state == XMM_DOMAIN_ZOMBIE) {
        /* `xl destroy` again: seed 000 retries the reclaim (d may go). */
        for (MOD_EACH(w, m_i, m))
            if (m->kill_zombie && domain_find(w, dom) == d)
                m->kill_zombie(w, d);
        xmm_err_clear(w); /* the SPMC's refusals are in the history, not this call's */
        return 0;
    }
    if (d->state == XMM_DOMAIN_RUNNING) {
        d->state = XMM_DOMAIN_DYING;
        kill_enter(w, d, KILL_MODULES_FIRST);
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
    xmm_err_clear(w);
    return 0;

}

int xmm_domain_destroy(struct xmm_world *w, xmm_domid_t dom, uint32_t max_calls, uint32_t *calls)
{
    uint32_t n = 0;
    int rc;

    xmm_err_clear(w);
    for (;;) {
        rc = xmm_domain_kill(w, dom);
        n++;
        if (rc != -XMM_ERESTART || n >= max_calls)
            break;
        xmm_world_advance(w, 1);
    }
    if (calls)
        *calls = n;
    if (rc == -XMM_ERESTART) {
        const struct xmm_domain *d = domain_find(w, dom);

        return xmm_fail(w, rc, "%s is still dying after %" PRIu32 " kill calls (stuck in stage %s)",
                        DN(dom), n, d ? kill_stage_name(d->kill_stage) : "?");
    }
    return rc;
}

int xmm_domain_get(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);

    xmm_err_clear(w);
    /*
     * get_domain fails only once the count has dropped to zero and the
     * structure is being destroyed (DOMAIN_DESTROYED): a dying domain or a
     * zombie can still be referenced.  Here such a domain is already gone.
     */
    if (!d)
        return xmm_fail_no_domain(w, dom);
    d->ext_refs++;
    domain_ref_get(w, d);
    return 0;
}

int xmm_domain_put(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_domain *d = domain_find(w, dom);

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    /* Only a reference the caller took with xmm_domain_get can be dropped. */
    if (d->ext_refs == 0)
        return xmm_fail(w, -XMM_EINVAL, "no reference to %s taken with xmm_domain_get is left",
                        DN(dom));

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
 * A copy of domain d of w for c (same modules): the structure with the
 * module bytes behind it (dom_size) copied as they are, the P2M, then every
 * module's dom_clone in registration order.  A slot outside the structure
 * (no dom_size) is NULL when dom_clone runs.  A dom_clone that fails leaves
 * its slot so that dom_discard releases it; the core then discards the
 * modules that ran and the copy.
 */
static int domain_clone(const struct xmm_world *w, struct xmm_world *c,
                        const struct xmm_domain *d, struct xmm_domain **out)
{
    size_t size = domain_size(w);
    struct xmm_domain *nd = xmm_alloc_copy(c, size, d, size);
    uint32_t k;
    int rc = 0;

    if (!nd)
        return -XMM_ENOMEM;
    for (k = 0; k < XMM_MOD_MAX; k++)
        nd->mod[k] = NULL;
    domain_slots(c, nd);
    if (p2m_clone(c, w, d, nd)) {
        xmm_free(c, nd, size);
        return -XMM_ENOMEM;
    }
    for (k = 0; k < w->mod_count && !rc; k++)
        if (w->mods[k]->dom_clone)
            rc = w->mods[k]->dom_clone(c, nd, w, d);
    if (rc) {
        while (k--)
            if (w->mods[k]->dom_discard)
                w->mods[k]->dom_discard(c, nd);
        p2m_discard(c, nd);
        xmm_free(c, nd, size);
        return rc;
    }
    *out = nd;
    return 0;
}

/*
 * Copy w's domains into c (c has none yet): the sorted table, the by-id
 * index and each domain.  On failure what was copied is in c's table, for
 * domains_free_all.
 */
int domains_clone(const struct xmm_world *w, struct xmm_world *c)
{
    c->doms = NULL;
    c->dom_count = c->dom_cap = 0;
    index_set(c, NULL, 0);
    if (w->dom_cap) {
        c->doms = xmm_alloc(c, w->dom_cap * sizeof(*c->doms));
        if (!c->doms)
            return -XMM_ENOMEM;
        c->dom_cap = w->dom_cap;
    }
    if (w->dom_by_id_cap) {
        struct xmm_domain **idx = index_alloc(c, w->dom_by_id_cap);

        if (!idx)
            return -XMM_ENOMEM;
        index_set(c, idx, w->dom_by_id_cap);
    }
    for (size_t i = 0; i < w->dom_count; i++) {
        struct xmm_domain *nd;
        int rc = domain_clone(w, c, w->doms[i], &nd);

        if (rc)
            return rc;
        c->doms[c->dom_count++] = nd;
        c->dom_by_id[nd->id] = nd;
        p2m_fast_sync(c, nd->id);
    }
    return 0;
}
