/*
 * libxmm - the allocator: every allocation of the model, counted, with
 * injected failures for the tests.  The lowest layer: it calls nothing.
 */
#include <stdlib.h>

#include "core.h"

/* --- allocator ------------------------------------------------------------ */

static void *libc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return calloc(1, size);
}

static void *libc_alloc_raw(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void libc_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

void xmm_allocator_default(struct xmm_allocator *a)
{
    a->alloc = libc_alloc;
    a->free = libc_free;
    a->ctx = NULL;
    a->alloc_raw = libc_alloc_raw;
}

/*
 * Every allocation of the model comes through here, so a test can make the
 * n-th one fail (xmm_world_fail_alloc) and the world can report what it
 * still holds.
 */
/* One allocation of w, counted and subject to the injected failures; raw: not zeroed. */
static void *alloc_counted(struct xmm_world *w, size_t size, bool raw)
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
    if (raw && w->allocator.alloc_raw)
        p = w->allocator.alloc_raw(w->allocator.ctx, size ? size : 1);
    else
        p = w->allocator.alloc(w->allocator.ctx, size ? size : 1);
    if (p) {
        w->bytes_live += size;
        w->blocks_live++;
    }
    return p;
}

void *xmm_alloc(struct xmm_world *w, size_t size)
{
    return alloc_counted(w, size, false);
}

void *xmm_alloc_raw(struct xmm_world *w, size_t size)
{
    return alloc_counted(w, size, true);
}

/* Copies skip the zeroing: alloc_raw when the allocator has one (libc's: malloc). */
void *xmm_alloc_copy(struct xmm_world *w, size_t size, const void *src, size_t n)
{
    void *p = alloc_counted(w, size, true);

    if (p && n)
        memcpy(p, src, n);
    return p;
}

void *xmm_allocator_copy(const struct xmm_allocator *a, size_t size, const void *src, size_t n)
{
    void *p = a->alloc_raw ? a->alloc_raw(a->ctx, size) : a->alloc(a->ctx, size);

    if (p && n)
        memcpy(p, src, n);
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
        return xmm_fail(w, -XMM_ENOMEM, "no memory to grow a table to %zu entries of %zu bytes",
                        ncap, elem);
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

