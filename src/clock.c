/*
 * libxmm - the clock and its timers.  Above the allocator only: a timer's
 * function is the caller's.
 */
#include "core.h"

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
    xmm_err_clear(w);
    if (!fn || delay == 0)
        return xmm_fail(w, -XMM_EINVAL, "a timer needs a function and a delay of at least 1 tick");
    if (timer_grow(w))
        return xmm_fail(w, -XMM_ENOMEM, "no memory for timer %zu", w->timer_count + 1);
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
    xmm_err_clear(w);
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
    /* A timer's own refusals are not this call's: advance cannot fail. */
    xmm_err_clear(w);
    return 0;
}

void timer_arg_move(struct xmm_world *c, const void *old, void *arg)
{
    for (size_t i = 0; i < c->timer_count; i++)
        if (c->timers[i].arg == old)
            c->timers[i].arg = arg;
}
