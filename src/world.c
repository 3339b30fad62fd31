/*
 * libxmm - the world: allocator, clock and timers, PRNG, host layout, digest.
 */
#include <stdlib.h>

#include "internal.h"

#ifdef XMM_CANARIES
unsigned xmm_canary; /* tests only: the planted bug that is on */
#endif

/* --- allocator ------------------------------------------------------------ */

static void *libc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return calloc(1, size);
}

static void libc_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

/*
 * Every allocation of the model comes through here, so a test can make the
 * n-th one fail (xmm_world_fail_alloc) and the world can report what it
 * still holds.
 */
void *xmm_alloc(struct xmm_world *w, size_t size)
{
    void *p;

    w->alloc_calls++;
    if (w->alloc_fail_at) {
        if (w->alloc_fail_at == 1) {
            w->alloc_failures++;
            if (!w->alloc_fail_sticky)
                w->alloc_fail_at = 0;
            return NULL;
        }
        w->alloc_fail_at--;
    }
    p = w->allocator.alloc(w->allocator.ctx, size ? size : 1);
    if (p) {
        w->bytes_live += size;
        w->blocks_live++;
    }
    return p;
}

void xmm_free(struct xmm_world *w, void *p, size_t size)
{
    if (!p)
        return;
    w->bytes_live -= size;
    w->blocks_live--;
    w->allocator.free(w->allocator.ctx, p, size ? size : 1);
}

int xmm_array_grow(struct xmm_world *w, void *arrp, size_t *cap, size_t count, size_t need,
                   size_t elem, size_t first)
{
    void **arr = arrp;
    size_t ncap = *cap ? *cap : first;
    void *n;

    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    n = xmm_alloc(w, ncap * elem);
    if (!n)
        return -XMM_ENOMEM;
    if (count)
        memcpy(n, *arr, count * elem);
    xmm_free(w, *arr, *cap * elem);
    *arr = n;
    *cap = ncap;
    return 0;
}

void xmm_world_fail_alloc(struct xmm_world *w, uint64_t n, bool sticky)
{
    w->alloc_fail_at = n;
    w->alloc_fail_sticky = sticky;
}

uint64_t xmm_world_alloc_count(const struct xmm_world *w) { return w->alloc_calls; }
uint64_t xmm_world_alloc_failures(const struct xmm_world *w) { return w->alloc_failures; }
size_t xmm_world_bytes_live(const struct xmm_world *w) { return w->bytes_live; }
size_t xmm_world_blocks_live(const struct xmm_world *w) { return w->blocks_live; }

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
    if (o->mpu.regions > XMM_MPU_REGIONS_MAX || o->mpu.xen_regions > XMM_MPU_REGIONS_MAX ||
        (unsigned)o->mpu.cross_domain > XMM_MPU_XDOM_MAP_OR_SWITCH)
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

int xmm_world_new(struct xmm_world **out, const struct xmm_world_opts *opts)
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
        a.alloc = libc_alloc;
        a.free = libc_free;
        a.ctx = NULL;
    }
    w = a.alloc(a.ctx, sizeof(*w));
    if (!w)
        return -XMM_ENOMEM;
    memset(w, 0, sizeof(*w));
    w->allocator = a;
    w->policy = opts->policy;
    w->limits = opts->limits;
    w->mpu = opts->mpu;
    w->alloc_mode = opts->alloc_mode;
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
        w->hist = xmm_alloc(w, (size_t)w->hist_cap * sizeof(*w->hist));
        if (!w->hist)
            rc = -XMM_ENOMEM;
    }
    if (!rc) {
        w->dirty_frame_cap = w->ram_pages < DIRTY_FRAMES_MAX ? (uint32_t)w->ram_pages
                                                             : DIRTY_FRAMES_MAX;
        w->dirty_p2m_cap = w->ram_pages < DIRTY_P2M_MAX / 4 ? 4 * (uint32_t)w->ram_pages + 64
                                                            : DIRTY_P2M_MAX;
        w->dirty_frames = xmm_alloc(w, w->dirty_frame_cap * sizeof(*w->dirty_frames));
        w->dirty_p2m = xmm_alloc(w, w->dirty_p2m_cap * sizeof(*w->dirty_p2m));
        if (!w->dirty_frames || !w->dirty_p2m)
            rc = -XMM_ENOMEM;
    }
    if (!rc)
        rc = frame_table_init(w);
    if (!rc)
        rc = iommu_world_init(w, &opts->iommu);
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
    ffa_world_fini(w);
    iommu_world_fini(w);
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
    void *p = n ? xmm_alloc(c, n) : NULL;

    if (p)
        memcpy(p, src, n);
    return p;
}

/*
 * Timers: the same heap; each argument that is an object of w's modules
 * becomes the same object of c (a user timer's argument is kept as it is).
 */
static void clone_timer_args(const struct xmm_world *w, struct xmm_world *c)
{
    for (size_t i = 0; i < c->timer_count; i++) {
        void *arg = c->timers[i].arg, *n;

        if ((n = ffa_timer_arg(w, c, arg)) || (n = iommu_timer_arg(w, c, arg)))
            c->timers[i].arg = n;
    }
}

int xmm_world_clone(const struct xmm_world *w, struct xmm_world **out)
{
    struct xmm_world *c;
    int rc = -XMM_ENOMEM;

    *out = NULL;
    if (!w)
        return -XMM_EINVAL;
    c = w->allocator.alloc(w->allocator.ctx, sizeof(*c));
    if (!c)
        return -XMM_ENOMEM;
    memcpy(c, w, sizeof(*c));
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
    c->dirty_frames = NULL;
    c->dirty_p2m = NULL;
    c->ffa = NULL;
    c->iommu = NULL;
    p2m_world_init(c);

    if (w->mmio_count) {
        c->mmio = xmm_alloc(c, w->mmio_count * sizeof(*c->mmio));
        if (!c->mmio)
            goto fail;
        c->mmio_count = w->mmio_count;
        for (size_t i = 0; i < w->mmio_count; i++) {
            c->mmio[i] = w->mmio[i];
            c->mmio[i].name = NULL;
        }
        for (size_t i = 0; i < w->mmio_count; i++)
            if (!(c->mmio[i].name = dup_name(c, w->mmio[i].name)))
                goto fail;
    }
    if (!(c->frames = clone_bytes(c, w->frames, w->ram_pages * sizeof(*w->frames))) ||
        !(c->rmap = clone_bytes(c, w->rmap, w->ram_pages * sizeof(*w->rmap))) ||
        !(c->dirty_frames = clone_bytes(c, w->dirty_frames,
                                        w->dirty_frame_cap * sizeof(*w->dirty_frames))) ||
        !(c->dirty_p2m = clone_bytes(c, w->dirty_p2m, w->dirty_p2m_cap * sizeof(*w->dirty_p2m))))
        goto fail;
    c->timers = clone_bytes(c, w->timers, w->timer_cap * sizeof(*w->timers));
    if (w->timer_cap && !c->timers)
        goto fail;
    c->timer_cap = w->timer_cap;
    c->timer_count = w->timer_count;
    if (w->hist_cap) {
        c->hist = clone_bytes(c, w->hist, (size_t)w->hist_cap * sizeof(*w->hist));
        if (!c->hist)
            goto fail;
    }
    rc = domains_clone(w, c);
    if (!rc)
        rc = iommu_world_clone(w, c);
    if (!rc)
        rc = ffa_world_clone(w, c);
    if (rc)
        goto fail;
    clone_timer_args(w, c);
    *out = c;
    return 0;
fail:
    if (!c->frames)
        c->ram_pages = 0; /* frame_table_fini frees by ram_pages */
    if (!c->hist)
        c->hist_cap = 0;
    if (!c->dirty_frames)
        c->dirty_frame_cap = 0;
    if (!c->dirty_p2m)
        c->dirty_p2m_cap = 0;
    xmm_world_free(c);
    return rc ? rc : -XMM_ENOMEM;
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

/* --- timers: a binary min-heap on (tick, seq) ------------------------------ */

static bool timer_before(const struct xmm_timer *a, const struct xmm_timer *b)
{
    return a->tick < b->tick || (a->tick == b->tick && a->seq < b->seq);
}

static void timer_swap(struct xmm_timer *a, struct xmm_timer *b)
{
    struct xmm_timer t = *a;
    *a = *b;
    *b = t;
}

static void timer_sift_up(struct xmm_world *w, size_t i)
{
    while (i > 0 && timer_before(&w->timers[i], &w->timers[(i - 1) / 2])) {
        timer_swap(&w->timers[i], &w->timers[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static void timer_sift_down(struct xmm_world *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < w->timer_count && timer_before(&w->timers[l], &w->timers[m]))
            m = l;
        if (r < w->timer_count && timer_before(&w->timers[r], &w->timers[m]))
            m = r;
        if (m == i)
            return;
        timer_swap(&w->timers[i], &w->timers[m]);
        i = m;
    }
}

/* Make room for one more timer beside the reserved slots. */
static int timer_grow(struct xmm_world *w)
{
    return xmm_array_grow(w, &w->timers, &w->timer_cap, w->timer_count,
                          w->timer_count + w->timer_reserved + 1, sizeof(*w->timers), 16);
}

static void timer_insert(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg,
                         uint64_t *id)
{
    struct xmm_timer *t = &w->timers[w->timer_count];

    assert(w->timer_count < w->timer_cap);
    t->tick = w->now + delay;
    t->seq = ++w->timer_seq;
    t->id = t->seq;
    t->fn = fn;
    t->arg = arg;
    if (id)
        *id = t->id;
    timer_sift_up(w, w->timer_count++);
}

/*
 * Seed 003: the IOMMU arms its completion timer from inside a P2M write,
 * where nothing may fail.  It reserves a heap slot when the world is made;
 * xmm_timer_arm keeps reserved slots free, timer_arm_reserved uses one, and
 * the slot is reserved again once that timer ran or was cancelled.
 */
int timer_reserve(struct xmm_world *w)
{
    int rc = timer_grow(w);

    if (!rc)
        w->timer_reserved++;
    return rc;
}

void timer_arm_reserved(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg,
                        uint64_t *id)
{
    assert(w->timer_reserved > 0 && delay > 0);
    w->timer_reserved--;
    timer_insert(w, delay, fn, arg, id);
}

void timer_slot_return(struct xmm_world *w)
{
    w->timer_reserved++;
    assert(w->timer_count + w->timer_reserved <= w->timer_cap);
}

int xmm_timer_arm(struct xmm_world *w, uint64_t delay, xmm_timer_fn fn, void *arg, uint64_t *id)
{
    if (!fn || delay == 0)
        return -XMM_EINVAL;
    if (timer_grow(w))
        return -XMM_ENOMEM;
    timer_insert(w, delay, fn, arg, id);
    return 0;
}

static void timer_remove_at(struct xmm_world *w, size_t i)
{
    w->timer_count--;
    if (i == w->timer_count)
        return;
    w->timers[i] = w->timers[w->timer_count];
    timer_sift_down(w, i);
    timer_sift_up(w, i);
}

void xmm_timer_cancel(struct xmm_world *w, uint64_t id)
{
    for (size_t i = 0; i < w->timer_count; i++)
        if (w->timers[i].id == id) {
            timer_remove_at(w, i);
            return;
        }
}

void xmm_timer_cancel_arg(struct xmm_world *w, void *arg)
{
    size_t i = 0;

    while (i < w->timer_count) {
        if (w->timers[i].arg == arg)
            timer_remove_at(w, i);
        else
            i++;
    }
}

size_t xmm_timer_pending(const struct xmm_world *w) { return w->timer_count; }
uint64_t xmm_world_now(const struct xmm_world *w) { return w->now; }

int xmm_world_advance(struct xmm_world *w, uint64_t ticks)
{
    for (uint64_t i = 0; i < ticks; i++) {
        w->now++;
        while (w->timer_count && w->timers[0].tick <= w->now) {
            struct xmm_timer t = w->timers[0];

            timer_remove_at(w, 0);
            t.fn(w, t.arg);
        }
        /* Nothing left to happen: jump the clock to the end. */
        if (!w->timer_count) {
            w->now += ticks - i - 1;
            break;
        }
    }
    return 0;
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
        h += mix64((t->tick - w->now) ^ ((uint64_t)before << 40));
    }
    h = mix64(h ^ mix64(w->park.count));
    for (unsigned c = 0; c < LOCK_CLASS_COUNT; c++)
        h = mix64(h ^ w->lockdep.edges[c] ^ ((uint64_t)c << 40));
    return mix64(h ^ w->flagged_count ^ mix64(w->rng[0] ^ w->rng[3]));
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
    d ^= iommu_digest(w);
    d ^= mix64(ffa_world_digest(w) + 11);
    d ^= world_rest_digest(w);
    return mix64(d ^ mix64(w->p2m_digest) ^ domains_digest(w) ^ mix64(w->now + 1) ^
                 mix64(w->free_pages + 7));
}
