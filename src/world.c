/*
 * libxmm - the world: creation and teardown (the lifecycle root), PRNG, host
 * layout, digest.  The allocator is alloc.c, the clock clock.c.
 */
#include "module.h"

#ifdef XMM_CANARIES
unsigned xmm_canary; /* tests only: the planted bug that is on */
#endif

/* --- creation ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    *s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(*s);
}

/* Reject layouts the model cannot represent: empty RAM, overlaps, >= 2^36. */
static int check_layout(const struct xmm_world_opts *o)
{
    uint64_t ram_end = o->ram_base.m + o->ram_pages;

    if (o->ram_pages == 0 || o->ram_pages >= XMM_NIL || ram_end > XMM_FRAME_LIMIT ||
        ram_end < o->ram_base.m)
        return -XMM_EINVAL;
    if (o->mmio_count && !o->mmio)
        return -XMM_EINVAL;
    for (int i = 0; i < XMM_MOD_BUILTIN; i++)
        if (xmm_builtin_modules[i]->world_check && xmm_builtin_modules[i]->world_check(o))
            return -XMM_EINVAL;
    for (size_t i = 0; i < o->mmio_count; i++) {
        const struct xmm_mmio_region *r = &o->mmio[i];
        uint64_t end = r->base.m + r->pages;

        if (r->pages == 0 || end > XMM_FRAME_LIMIT || end < r->base.m)
            return -XMM_EINVAL;
        if (r->base.m < ram_end && o->ram_base.m < end)
            return -XMM_EINVAL;
        for (size_t j = 0; j < i; j++) {
            const struct xmm_mmio_region *q = &o->mmio[j];
            if (r->base.m < q->base.m + q->pages && q->base.m < end)
                return -XMM_EINVAL;
        }
    }
    return 0;
}

/* --- modules ------------------------------------------------------------- */

/* Gather m's P2M hooks into the hot-path arrays. */
static void hooks_add(struct xmm_world *w, const struct xmm_module *m, uint32_t id)
{
    uint8_t slot = m->p2m_slot_only ? (uint8_t)id : XMM_MOD_ALWAYS;

    if (m->p2m_before)
        w->p2m_before[w->n_p2m_before++] = (struct p2m_hook){ m->p2m_before, slot };
    if (m->p2m_index)
        w->p2m_index[w->n_p2m_index++] = (struct p2m_index_hook){ m->p2m_index, slot };
    if (m->p2m_after)
        w->p2m_after[w->n_p2m_after++] = (struct p2m_hook){ m->p2m_after, slot };
    if (m->world_digest)
        w->world_digest[w->n_world_digest++] = m;
    if (m->check_entry) {
        w->check_entry_types[w->n_check_entry] = m->check_entry_types ? m->check_entry_types
                                                                      : UINT32_MAX;
        w->check_entry[w->n_check_entry++] = m->check_entry;
    }
}

/* Register m in the next slot: its world state, then world_init.  Return: slot or error. */
static int module_register(struct xmm_world *w, const struct xmm_module *m,
                           const struct xmm_world_opts *o)
{
    uint32_t id = w->mod_count;
    int rc;

    if (id >= XMM_MOD_MAX)
        return xmm_fail(w, -XMM_EINVAL, "module %s: the world has its %d modules already",
                        m->name, XMM_MOD_MAX);
    if (w->dom_count)
        return xmm_fail(w, -XMM_EINVAL, "module %s: modules are added before any domain exists",
                        m->name);
    if (m->world_size) {
        w->mod[id] = xmm_alloc(w, m->world_size);
        if (!w->mod[id])
            return xmm_fail(w, -XMM_ENOMEM, "no memory for module %s's world state", m->name);
    }
    w->mods[id] = m;
    w->mod_count++;
    rc = m->world_init ? m->world_init(w, o) : 0;
    if (rc) {
        /* Unregistered again: world_free undoes what world_init did, the slot goes. */
        if (m->world_free)
            m->world_free(w);
        xmm_free(w, w->mod[id], m->world_size);
        w->mod[id] = NULL;
        w->mods[id] = NULL;
        w->mod_count--;
        if (!xmm_world_last_error(w)[0])
            xmm_fail(w, rc, "module %s could not set itself up in this world (%s)", m->name,
                     xmm_strerror(rc));
        return rc;
    }
    hooks_add(w, m, id);
    return (int)id;
}

static int modules_init(struct xmm_world *w, const struct xmm_world_opts *o)
{
    for (int i = 0; i < XMM_MOD_BUILTIN; i++) {
        int rc = module_register(w, xmm_builtin_modules[i], o);

        if (rc < 0)
            return rc;
    }
    return 0;
}

static void modules_fini(struct xmm_world *w)
{
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m)) {
        if (m->world_free)
            m->world_free(w);
        xmm_free(w, w->mod[i], m->world_size);
        w->mod[i] = NULL;
    }
    w->mod_count = 0;
}

int xmm_world_add_module(struct xmm_world *w, const struct xmm_module *m)
{
    struct xmm_world_opts def = XMM_WORLD_OPTS_INIT;

    xmm_err_clear(w);
    return module_register(w, m, &def);
}

int xmm_module_slot(const struct xmm_world *w, const struct xmm_module *m)
{
    for (uint32_t i = 0; i < w->mod_count; i++)
        if (w->mods[i] == m)
            return (int)i;
    return -1;
}

static char *dup_name(struct xmm_world *w, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 1;
    char *p = xmm_alloc(w, n);

    if (p && s)
        memcpy(p, s, n);
    return p;
}

static int copy_mmio(struct xmm_world *w, const struct xmm_world_opts *o)
{
    if (!o->mmio_count)
        return 0;
    w->mmio = xmm_alloc(w, o->mmio_count * sizeof(*w->mmio));
    if (!w->mmio)
        return -XMM_ENOMEM;
    w->mmio_count = o->mmio_count;
    for (size_t i = 0; i < o->mmio_count; i++) {
        w->mmio[i] = o->mmio[i];
        w->mmio[i].name = dup_name(w, o->mmio[i].name);
        if (!w->mmio[i].name)
            return -XMM_ENOMEM;
    }
    return 0;
}

int xmm_world_new(const struct xmm_world_opts *opts, struct xmm_world **out)
{
    struct xmm_world_opts def = XMM_WORLD_OPTS_INIT;
    struct xmm_allocator a;
    struct xmm_world *w;
    uint64_t s;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &def;
    rc = check_layout(opts);
    if (rc)
        return rc;
    a = opts->allocator;
    if (!a.alloc || !a.free) {
        xmm_allocator_default(&a);
    }
    /* Zeroed here, once (alloc would zero it too). */
    w = xmm_allocator_copy(&a, sizeof(*w), NULL, 0);
    if (!w)
        return -XMM_ENOMEM;
    memset(w, 0, sizeof(*w));
    w->allocator = a;
    w->policy = opts->policy;
    w->limits = opts->limits;
    w->alloc_mode = opts->alloc_mode;
    w->dom_release = domain_destroy_final;
    w->ram_base = opts->ram_base.m;
    w->ram_pages = opts->ram_pages;
    s = opts->seed;
    for (int i = 0; i < 4; i++)
        w->rng[i] = splitmix64(&s);
    w->hist_cap = opts->history_events;
    p2m_world_init(w);

    rc = copy_mmio(w, opts);
    if (!rc) {
        /* Room for the usual number of pending timers, so arming rarely allocates. */
        w->timers = xmm_alloc(w, 16 * sizeof(*w->timers));
        w->timer_cap = w->timers ? 16 : 0;
        if (!w->timers)
            rc = -XMM_ENOMEM;
    }
    if (!rc && w->hist_cap) {
        /* A slot is read only once an event was written there (history.c). */
        w->hist = xmm_alloc_raw(w, (size_t)w->hist_cap * sizeof(*w->hist));
        if (!w->hist)
            rc = -XMM_ENOMEM;
    }
    if (!rc) {
        w->dirty_frame_cap = w->ram_pages < DIRTY_FRAMES_MAX ? (uint32_t)w->ram_pages
                                                             : DIRTY_FRAMES_MAX;
        w->dirty_p2m_cap = w->ram_pages < DIRTY_P2M_MAX / 4 ? 4 * (uint32_t)w->ram_pages + 64
                                                            : DIRTY_P2M_MAX;
        /* Only the first dirty_*_count entries are ever read. */
        w->dirty_frames = xmm_alloc_raw(w, w->dirty_frame_cap * sizeof(*w->dirty_frames));
        w->dirty_p2m = xmm_alloc_raw(w, w->dirty_p2m_cap * sizeof(*w->dirty_p2m));
        if (!w->dirty_frames || !w->dirty_p2m)
            rc = -XMM_ENOMEM;
    }
    if (!rc)
        rc = frame_table_init(w);
    if (!rc)
        rc = modules_init(w, opts);
    if (rc) {
        xmm_world_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void xmm_world_free(struct xmm_world *w)
{
    struct xmm_allocator a;

    if (!w)
        return;
    domains_free_all(w);
    modules_fini(w);
    frame_table_fini(w);
    xmm_free(w, w->dirty_frames, w->dirty_frame_cap * sizeof(*w->dirty_frames));
    xmm_free(w, w->dirty_p2m, w->dirty_p2m_cap * sizeof(*w->dirty_p2m));
    xmm_free(w, w->timers, w->timer_cap * sizeof(*w->timers));
    xmm_free(w, w->hist, (size_t)w->hist_cap * sizeof(*w->hist));
    for (size_t i = 0; i < w->mmio_count; i++)
        if (w->mmio[i].name)
            xmm_free(w, (void *)w->mmio[i].name, strlen(w->mmio[i].name) + 1);
    xmm_free(w, w->mmio, w->mmio_count * sizeof(*w->mmio));
    a = w->allocator;
    assert(w->blocks_live == 0);
    a.free(a.ctx, w, sizeof(*w));
}

/* --- clone ----------------------------------------------------------------- */

/* A copy of n bytes at src in c, or NULL (also for n == 0). */
static void *clone_bytes(struct xmm_world *c, const void *src, size_t n)
{
    return n ? xmm_alloc_copy(c, n, src, n) : NULL;
}

/*
 * A module that keeps state (a size, or an init or free hook, per world or
 * per domain) must say how to copy it (world_clone, dom_clone); a module
 * without state has nothing to copy.
 */
static bool module_clonable(const struct xmm_module *m)
{
    if ((m->world_size || m->world_init || m->world_free) && !m->world_clone)
        return false;
    if ((m->dom_size || m->dom_init || m->dom_free || m->dom_discard) && !m->dom_clone)
        return false;
    return true;
}

/*
 * Register w's modules on c again, one at a time (so that xmm_world_free(c)
 * releases exactly those that copied something): the world_size bytes
 * copied as they are, then world_clone.
 */
static int modules_clone(const struct xmm_world *w, struct xmm_world *c)
{
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m)) {
        int rc = 0;

        if (m->world_size && !(c->mod[i] = clone_bytes(c, w->mod[i], m->world_size)))
            return -XMM_ENOMEM;
        c->mod_count = i + 1;
        if (m->world_clone && (rc = m->world_clone(c, w)) != 0)
            return rc;
    }
    return 0;
}

static int clone_core(const struct xmm_world *w, struct xmm_world *c)
{
    if (w->mmio_count) {
        c->mmio = xmm_alloc(c, w->mmio_count * sizeof(*c->mmio));
        if (!c->mmio)
            return -XMM_ENOMEM;
        c->mmio_count = w->mmio_count;
        for (size_t i = 0; i < w->mmio_count; i++) {
            c->mmio[i] = w->mmio[i];
            c->mmio[i].name = NULL;
        }
        for (size_t i = 0; i < w->mmio_count; i++)
            if (!(c->mmio[i].name = dup_name(c, w->mmio[i].name)))
                return -XMM_ENOMEM;
    }
    c->ram_pages = 0; /* frame_table_fini frees by ram_pages */
    if (!(c->frames = clone_bytes(c, w->frames, w->ram_pages * sizeof(*w->frames))))
        return -XMM_ENOMEM;
    c->ram_pages = w->ram_pages;
    if (!(c->rmap = clone_bytes(c, w->rmap, w->ram_pages * sizeof(*w->rmap))))
        return -XMM_ENOMEM;
    /* The change sets and the timer heap: only the entries in use are copied. */
    if (!(c->dirty_frames = xmm_alloc_copy(c, w->dirty_frame_cap * sizeof(*w->dirty_frames),
                                           w->dirty_frames,
                                           w->dirty_frame_count * sizeof(*w->dirty_frames))))
        return -XMM_ENOMEM;
    c->dirty_frame_cap = w->dirty_frame_cap;
    if (!(c->dirty_p2m = xmm_alloc_copy(c, w->dirty_p2m_cap * sizeof(*w->dirty_p2m), w->dirty_p2m,
                                        w->dirty_p2m_count * sizeof(*w->dirty_p2m))))
        return -XMM_ENOMEM;
    c->dirty_p2m_cap = w->dirty_p2m_cap;
    if (w->timer_cap && !(c->timers = xmm_alloc_copy(c, w->timer_cap * sizeof(*w->timers), w->timers,
                                                     w->timer_count * sizeof(*w->timers))))
        return -XMM_ENOMEM;
    c->timer_cap = w->timer_cap;
    c->timer_count = w->timer_count;
    if (w->hist_cap && !(c->hist = clone_bytes(c, w->hist, (size_t)w->hist_cap * sizeof(*w->hist))))
        return -XMM_ENOMEM;
    c->hist_cap = w->hist_cap;
    return 0;
}

static int world_clone(const struct xmm_world *w, struct xmm_world **out, bool share)
{
    const struct xmm_module *m;
    struct xmm_world *c;
    int rc;

    if (!out)
        return -XMM_EINVAL;
    *out = NULL;
    if (!w)
        return -XMM_EINVAL;
    for (MOD_EACH(w, i, m))
        if (!module_clonable(m))
            return -XMM_ENOSYS;
    /* every field, of the flagged violations only those held (most of 3 KiB is not) */
    c = xmm_allocator_copy(&w->allocator, sizeof(*c), w, offsetof(struct xmm_world, flagged));
    if (!c)
        return -XMM_ENOMEM;
    memcpy(c->flagged, w->flagged, w->flagged_count * sizeof(*w->flagged));
    memcpy(&c->flagged_count, &w->flagged_count,
           sizeof(*c) - offsetof(struct xmm_world, flagged_count));
    /* nothing owned yet: xmm_world_free(c) releases what is copied below */
    c->bytes_live = c->blocks_live = 0;
    c->mmio = NULL;
    c->mmio_count = 0;
    c->frames = NULL;
    c->rmap = NULL;
    c->doms = NULL;
    c->dom_count = c->dom_cap = 0;
    c->dom_by_id = NULL;
    c->dom_by_id_cap = 0;
    c->timers = NULL;
    c->timer_count = c->timer_cap = 0;
    c->hist = NULL;
    c->hist_cap = 0;
    c->dirty_frames = NULL;
    c->dirty_p2m = NULL;
    c->dirty_frame_cap = c->dirty_p2m_cap = 0;
    c->mod_count = 0;
    for (uint32_t i = 0; i < XMM_MOD_MAX; i++)
        c->mod[i] = NULL;
    c->p2m_share = share;
    p2m_world_init(c); /* the head copied above points at w's slots */

    rc = clone_core(w, c);
    if (!rc)
        rc = modules_clone(w, c);
    if (!rc)
        rc = domains_clone(w, c);
    c->p2m_share = false;
    if (rc) {
        xmm_world_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int xmm_world_clone(const struct xmm_world *w, struct xmm_world **out)
{
    return world_clone(w, out, false);
}

int xmm_world_clone_shared(const struct xmm_world *w, struct xmm_world **out)
{
    return world_clone(w, out, true);
}

const struct xmm_policy *xmm_world_policy(const struct xmm_world *w) { return &w->policy; }
const struct xmm_limits *xmm_world_limits(const struct xmm_world *w) { return &w->limits; }

/* --- PRNG: xoshiro256** ---------------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t xmm_world_random(struct xmm_world *w)
{
    uint64_t *s = w->rng;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* --- step label and host layout ------------------------------------------- */

void xmm_world_set_step(struct xmm_world *w, uint32_t step) { w->step = step; }
uint32_t xmm_world_step(const struct xmm_world *w) { return w->step; }
xmm_mfn_t xmm_world_ram_base(const struct xmm_world *w) { return xmm_mfn(w->ram_base); }
uint64_t xmm_world_ram_pages(const struct xmm_world *w) { return w->ram_pages; }
bool xmm_world_mfn_is_ram(const struct xmm_world *w, xmm_mfn_t mfn) { return frame_valid(w, mfn.m); }
size_t xmm_world_mmio_count(const struct xmm_world *w) { return w->mmio_count; }

const struct xmm_mmio_region *xmm_world_mmio(const struct xmm_world *w, size_t i)
{
    return i < w->mmio_count ? &w->mmio[i] : NULL;
}

bool xmm_world_mfn_is_mmio(const struct xmm_world *w, xmm_mfn_t mfn, uint64_t pages)
{
    for (size_t i = 0; i < w->mmio_count; i++) {
        const struct xmm_mmio_region *r = &w->mmio[i];
        if (mfn.m >= r->base.m && pages <= r->pages && mfn.m - r->base.m <= r->pages - pages)
            return true;
    }
    return false;
}

/* --- digest --------------------------------------------------------------- */

/*
 * What else decides the future of a world: the pending timers (their ticks
 * from now, in firing order: the heap's layout and the absolute ids do not
 * matter), the parked frames, the lock graph, violations flagged and not
 * yet reported, and the PRNG.  Not included: the order of the free lists
 * (which free frame the next allocation takes).  A call that fails after
 * taking frames gives them back, and the buddy allocator's merge may leave
 * a list in another order than before: such worlds digest alike.
 */
static uint64_t world_rest_digest(const struct xmm_world *w)
{
    uint64_t h = mix64(w->timer_count ^ UINT64_C(0x7133));

    for (size_t i = 0; i < w->timer_count; i++) {
        const struct xmm_timer *t = &w->timers[i];
        size_t before = 0;

        for (size_t j = 0; j < w->timer_count; j++)
            before += w->timers[j].tick < t->tick ||
                      (w->timers[j].tick == t->tick && w->timers[j].seq < t->seq);
        h += mix64_lane((t->tick - w->now) ^ ((uint64_t)before << 40), 3 + LOCK_CLASS_COUNT);
    }
    h += mix64_lane(w->park.count, 0);
    for (unsigned c = 0; c < LOCK_CLASS_COUNT; c++)
        h += mix64_lane(w->lockdep.edges[c], 1 + c);
    h += mix64_lane(w->flagged_count, 1 + LOCK_CLASS_COUNT);
    return mix64(h + mix64_lane(w->rng[0] ^ w->rng[3], 2 + LOCK_CLASS_COUNT));
}

/*
 * The frame part is kept up to date by frame_touch (old hash recorded) and
 * folded in here; the P2M part by every leaf write.  Domains and the clock
 * are few and hashed on demand.
 */
uint64_t xmm_world_digest(const struct xmm_world *w)
{
    uint64_t d = 0;

    if (w->dirty_overflow) {
        for (uint32_t i = 0; i < w->ram_pages; i++)
            d ^= frame_hash(w, i);
    } else {
        d = w->frame_digest;
        for (uint32_t i = 0; i < w->dirty_frame_count; i++) {
            const struct dirty_frame *f = &w->dirty_frames[i];
            d ^= f->old_hash ^ frame_hash(w, f->idx);
        }
    }
    for (uint32_t i = 0; i < w->n_world_digest; i++)
        d ^= mix64(w->world_digest[i]->world_digest(w) + i);
    d ^= world_rest_digest(w);
    return mix64(d ^ mix64(w->p2m_digest) ^ domains_digest(w) ^ mix64(w->now + 1) ^
                 mix64(w->free_pages + 7));
}
