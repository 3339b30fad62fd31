/*
 * libxmm - the frame table and the heap.
 *
 * Models Xen's page_info array and page allocator (common/page_alloc.c):
 * a buddy allocator over orders 0..18 whose free lists are LIFO like Xen's,
 * plus a `lifo` mode that never merges, so the frame freed last is the one
 * handed out next (the adversarial reuse pattern behind use-after-free bugs).
 * Reference counting follows common/page_alloc.c and arch/arm/mm.c.
 */
#include <stdio.h>

#include "ilist.h"
#include "module.h"

/* --- frame lists (page lists, free lists) ---------------------------------- */

/* A page list of the frame table, linked through each frame's next/prev. */
#define PLIST(w, l) ILIST((w)->frames, struct xmm_page, next, prev, &(l)->head, &(l)->tail)

void plist_push_tail(struct xmm_world *w, struct xmm_plist *l, uint32_t idx)
{
    ilist_push_tail(&PLIST(w, l), idx);
    l->count++;
}

static void plist_push_head(struct xmm_world *w, struct xmm_plist *l, uint32_t idx)
{
    ilist_push_head(&PLIST(w, l), idx);
    l->count++;
}

void plist_remove(struct xmm_world *w, struct xmm_plist *l, uint32_t idx)
{
    struct xmm_page *pg = &w->frames[idx];

    assert(l->count > 0);
    ilist_unlink(&PLIST(w, l), idx);
    pg->next = pg->prev = XMM_NIL;
    l->count--;
}

static void plist_init(struct xmm_plist *l)
{
    l->head = l->tail = XMM_NIL;
    l->count = 0;
}

/* --- change tracking ------------------------------------------------------- */

/* The part of a frame that is model state (not list links or bookkeeping). */
uint64_t frame_hash(const struct xmm_world *w, uint32_t idx)
{
    const struct xmm_page *pg = &w->frames[idx];

    return mix64(mix64(idx + UINT64_C(0x100000000)) ^ mix64(pg->count_info) ^
                 mix64(pg->type_info + 3) ^ mix64((uint64_t)pg->owner << 40));
}

struct xmm_page *frame_touch(struct xmm_world *w, uint32_t idx)
{
    struct xmm_page *pg = &w->frames[idx];

    if (!(pg->flags & PGF_DIRTY)) {
        if (w->dirty_frame_count < w->dirty_frame_cap) {
            w->dirty_frames[w->dirty_frame_count].idx = idx;
            w->dirty_frames[w->dirty_frame_count].old_hash = frame_hash(w, idx);
            w->dirty_frames[w->dirty_frame_count].old_free = page_is_free(pg);
            w->dirty_frame_count++;
            pg->flags |= PGF_DIRTY;
        } else {
            w->dirty_overflow = true;
        }
    }
    return pg;
}

/* --- heap ------------------------------------------------------------------ */

static void block_make_free(struct xmm_world *w, uint32_t head, unsigned order)
{
    struct xmm_page *pg = &w->frames[head];

    pg->order = (uint8_t)order;
    pg->flags |= PGF_FREE_HEAD;
    plist_push_head(w, &w->free[order], head);
}

static void block_take(struct xmm_world *w, uint32_t head)
{
    struct xmm_page *pg = &w->frames[head];

    plist_remove(w, &w->free[pg->order], head);
    pg->flags &= (uint8_t)~PGF_FREE_HEAD;
}

int frame_table_init(struct xmm_world *w)
{
    /*
     * The digest of the fresh table is frame_hash of each frame, whose state
     * is the same for all (free, no type, no owner): only the index part is
     * mixed per frame.
     */
    const uint64_t free_hash = mix64(XMM_PGC_state_free) ^ mix64(0 + 3) ^
                               mix64((uint64_t)XMM_DOMID_INVALID << 40);
    uint64_t n = w->ram_pages, digest = 0;
    uint32_t idx;

    /* Every field of every frame is written below: no need to zero the table first. */
    w->frames = xmm_alloc_raw(w, n * sizeof(*w->frames));
    w->rmap = xmm_alloc(w, n * sizeof(*w->rmap));
    if (!w->frames || !w->rmap)
        return -XMM_ENOMEM;
    for (unsigned o = 0; o <= XMM_MAX_ORDER; o++)
        plist_init(&w->free[o]);
    plist_init(&w->park);
    for (uint64_t i = 0; i < n; i++) {
        struct xmm_page *pg = &w->frames[i];

        /* Every field (the entry has no padding): free, no type, no owner, no history. */
        pg->count_info = XMM_PGC_state_free;
        pg->type_info = 0;
        pg->next = pg->prev = XMM_NIL;
        pg->hist = 0;
        pg->owner = XMM_DOMID_INVALID;
        pg->order = 0;
        pg->flags = 0;
        digest ^= mix64(mix64(i + UINT64_C(0x100000000)) ^ free_hash);
    }
    assert(n == 0 || frame_hash(w, 0) == mix64(mix64(UINT64_C(0x100000000)) ^ free_hash));
    w->frame_digest = digest;
    /*
     * Carve RAM into maximal naturally aligned blocks, lowest first, each
     * appended to its list so the lowest block of an order is at its head.
     */
    idx = 0;
    while (idx < n) {
        unsigned o = 0;

        while (o < XMM_MAX_ORDER && !(idx & ((UINT32_C(1) << (o + 1)) - 1)) &&
               idx + (UINT64_C(1) << (o + 1)) <= n)
            o++;
        w->frames[idx].order = (uint8_t)o;
        w->frames[idx].flags |= PGF_FREE_HEAD;
        plist_push_tail(w, &w->free[o], idx);
        idx += UINT32_C(1) << o;
    }
    w->free_pages = n;
    return 0;
}

void frame_table_fini(struct xmm_world *w)
{
    xmm_free(w, w->frames, w->ram_pages * sizeof(*w->frames));
    xmm_free(w, w->rmap, w->ram_pages * sizeof(*w->rmap));
    w->frames = NULL;
    w->rmap = NULL;
}

/* Mark a frame of a block in use (the allocator's side of a state change). */
static void frame_set_inuse(struct xmm_world *w, uint32_t idx)
{
    struct xmm_page *pg = frame_touch(w, idx);

    pg->count_info = XMM_PGC_state_inuse;
    pg->type_info = XMM_PGT_INVALID_GFN;
    w->free_pages--;
}

/* Split block [head, order) down until idx is an order-0 block, then take it. */
static void block_split_take(struct xmm_world *w, uint32_t head, unsigned order, uint32_t idx)
{
    block_take(w, head);
    while (order > 0) {
        uint32_t half = UINT32_C(1) << (order - 1);

        order--;
        if (idx < head + half) {
            block_make_free(w, head + half, order);
        } else {
            block_make_free(w, head, order);
            head += half;
        }
    }
    frame_set_inuse(w, idx);
}

uint32_t heap_alloc_one(struct xmm_world *w)
{
    for (unsigned o = 0; o <= XMM_MAX_ORDER; o++) {
        uint32_t head = w->free[o].head;

        if (head != XMM_NIL) {
            block_split_take(w, head, o, head);
            return head;
        }
    }
    return XMM_NIL;
}

bool heap_alloc_at(struct xmm_world *w, uint32_t idx)
{
    if (!page_is_free(&w->frames[idx]))
        return false;
    for (unsigned o = 0; o <= XMM_MAX_ORDER; o++) {
        uint32_t head = idx & ~((UINT32_C(1) << o) - 1);
        const struct xmm_page *h = &w->frames[head];

        if ((h->flags & PGF_FREE_HEAD) && h->order == o) {
            block_split_take(w, head, o, idx);
            return true;
        }
    }
    assert(!"free frame outside any free block");
    return false;
}

void heap_free_one(struct xmm_world *w, uint32_t idx)
{
    struct xmm_page *pg = frame_touch(w, idx);
    unsigned order = 0;

    pg->count_info = XMM_PGC_state_free;
    pg->type_info = 0;
    frame_set_owner(w, idx, XMM_DOMID_INVALID);
    w->free_pages++;
    hist_add(w, idx, XMM_EV_FREE, XMM_DOMID_INVALID, 0, 0);
    if (w->alloc_mode == XMM_ALLOC_BUDDY) {
        while (order < XMM_MAX_ORDER) {
            uint32_t buddy = idx ^ (UINT32_C(1) << order);
            const struct xmm_page *b;

            if (buddy >= w->ram_pages)
                break;
            b = &w->frames[buddy];
            if (!(b->flags & PGF_FREE_HEAD) || b->order != order)
                break;
            block_take(w, buddy);
            if (buddy < idx)
                idx = buddy;
            order++;
        }
    }
    block_make_free(w, idx, order);
}

uint64_t xmm_heap_free_pages(const struct xmm_world *w) { return w->free_pages; }
uint64_t xmm_heap_total_pages(const struct xmm_world *w) { return w->ram_pages; }

/* --- ownership ----------------------------------------------------------- */

void frame_assign(struct xmm_world *w, struct xmm_domain *d, uint32_t idx)
{
    struct xmm_page *pg = frame_touch(w, idx);

    pg->count_info = XMM_PGC_allocated | XMM_PGC_state_inuse | 1;
    frame_set_owner(w, idx, d->id);
    pg->flags |= PGF_PAGE_LIST;
    plist_push_tail(w, &d->pages, idx);
    domain_touch(w, d);
    if (d->tot_pages++ == 0)
        domain_ref_get(w, d);
    hist_add(w, idx, XMM_EV_ALLOC, d->id, 0, 0);
}

/*
 * The count reached zero: free_domheap_page.  A domheap frame leaves its
 * owner (tot_pages, page list, the domain reference held for the first
 * page) and goes back to the heap; a shared xenheap frame goes back to Xen.
 */
static void frame_release(struct xmm_world *w, uint32_t idx)
{
    struct xmm_page *pg = frame_touch(w, idx);
    struct xmm_domain *d = domain_find(w, pg->owner);

    if (pg->owner == XMM_DOMID_PARK) {
        plist_remove(w, &w->park, idx);
        pg->flags &= (uint8_t)~PGF_PARK_LIST;
        heap_free_one(w, idx);
        return;
    }
    if (pg->count_info & XMM_PGC_xen_heap) {
        if (d && (pg->flags & PGF_XEN_LIST)) {
            plist_remove(w, &d->xenpages, idx);
            pg->flags &= (uint8_t)~PGF_XEN_LIST;
            /*
             * free_domheap_pages only takes a xenheap page off the owner's
             * list (arch_free_heap_page): the owner field is left alone.
             * d's own shared_info and grant-table frames stay d's ("given
             * back") until d is freed, which frees them; any other shared
             * frame is back with Xen, for its allocator to free.
             */
            if (!domain_xenheap_frame(w, d, w->ram_base + idx)) {
                frame_set_owner(w, idx, XMM_DOMID_XEN);
                pg->type_info = XMM_PGT_INVALID_GFN;
            }
            hist_add(w, idx, XMM_EV_XENHEAP_UNSHARE, d->id, 0, 0);
            domain_touch(w, d);
            if (--d->xenheap_pages == 0)
                domain_ref_put(w, d);
        }
        return;
    }
    if (d && (pg->flags & PGF_PAGE_LIST)) {
        plist_remove(w, &d->pages, idx);
        pg->flags &= (uint8_t)~PGF_PAGE_LIST;
        heap_free_one(w, idx);
        domain_touch(w, d);
        if (--d->tot_pages == 0)
            domain_ref_put(w, d);
        return;
    }
    heap_free_one(w, idx);
}

int xmm_frame_info(const struct xmm_world *w, xmm_mfn_t mfn, struct xmm_frame_info *out)
{
    const struct xmm_page *pg;
    uint64_t g;

    memset(out, 0, sizeof(*out));
    if (!frame_valid(w, mfn.m))
        return -XMM_EINVAL;
    pg = &w->frames[frame_idx(w, mfn)];
    g = pg->type_info & XMM_PGT_gfn_mask;
    out->mfn = mfn;
    out->count_info = pg->count_info;
    out->type_info = pg->type_info;
    out->owner = pg->owner;
    out->refcount = page_count(pg);
    out->allocated = !!(pg->count_info & XMM_PGC_allocated);
    out->xen_heap = !!(pg->count_info & XMM_PGC_xen_heap);
    out->free = page_is_free(pg);
    out->type = (enum xmm_page_type)((pg->type_info & XMM_PGT_type_mask) >> XMM_PGT_type_shift);
    out->type_count = (uint32_t)((pg->type_info & XMM_PGT_count_mask) >> XMM_PGT_count_shift);
    out->xenheap_gfn = (g == XMM_PGT_INVALID_GFN || out->free) ? XMM_INVALID_GFN : xmm_gfn(g);
    return 0;
}

/* EINVAL for a frame call on an mfn that is not host RAM. */
static int not_ram(struct xmm_world *w, xmm_mfn_t mfn)
{
    return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " is not host RAM [%#" PRIx64 ", %#" PRIx64 ")",
                    mfn.m, w->ram_base, w->ram_base + w->ram_pages);
}

bool page_get_quiet(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom)
{
    struct xmm_page *pg;
    uint32_t idx;

    if (!frame_valid(w, mfn.m))
        return false;
    idx = frame_idx(w, mfn);
    pg = &w->frames[idx];
    if (page_is_free(pg) || page_count(pg) == 0 || page_count(pg) == XMM_PGC_count_mask ||
        pg->owner != dom)
        return false;
    frame_touch(w, idx)->count_info++;
    hist_add(w, idx, XMM_EV_GET, dom, 0, 0);
    return true;
}

bool xmm_page_get(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom)
{
    const struct xmm_page *pg;

    xmm_err_clear(w);
    if (page_get_quiet(w, mfn, dom))
        return true;
    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn), false;
    pg = &w->frames[frame_idx(w, mfn)];
    return xmm_fail(w, 0, "get_page of mfn %#" PRIx64 " for %s fails: %s, owner %s, count %" PRIu32,
                    mfn.m, DN(dom), page_is_free(pg) ? "free" : "in use", DN(pg->owner),
                    page_count(pg)), false;
}

int xmm_page_put(struct xmm_world *w, xmm_mfn_t mfn)
{
    struct xmm_page *pg;
    uint32_t idx;

    xmm_err_clear(w);
    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn);
    idx = frame_idx(w, mfn);
    pg = &w->frames[idx];
    if (page_is_free(pg) || page_count(pg) == 0)
        return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " has no reference to drop (%s)", mfn.m,
                        page_is_free(pg) ? "free" : "count 0");
    frame_touch(w, idx)->count_info--;
    hist_add(w, idx, XMM_EV_PUT, pg->owner, 0, 0);
    if (page_count(pg) == 0)
        frame_release(w, idx);
    return 0;
}

int xmm_page_put_alloc_ref(struct xmm_world *w, xmm_mfn_t mfn)
{
    struct xmm_page *pg;
    uint32_t idx;

    xmm_err_clear(w);
    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn);
    idx = frame_idx(w, mfn);
    pg = &w->frames[idx];
    if (!(pg->count_info & XMM_PGC_allocated) || page_count(pg) == 0)
        return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " has no allocation reference to drop",
                        mfn.m);
    frame_touch(w, idx)->count_info &= ~XMM_PGC_allocated;
    hist_add(w, idx, XMM_EV_ALLOC_REF_DROP, pg->owner, 0, 0);
    return xmm_page_put(w, mfn);
}

/*
 * Why get_page_type fails, or NULL when it would succeed.  buf gets the
 * words; a NULL buf asks only whether (the quiet path formats nothing).
 */
#define REFUSE(...) (buf ? (snprintf(buf, len, __VA_ARGS__), (const char *)buf) : "")
static const char *get_type_refusal(const struct xmm_world *w, xmm_mfn_t mfn,
                                    enum xmm_page_type type, char *buf, size_t len)
{
    const struct xmm_page *pg;
    uint64_t cnt, cur;

    if (!frame_valid(w, mfn.m))
        return REFUSE("mfn %#" PRIx64 " is not host RAM", mfn.m);
    if ((unsigned)type > 0xF)
        return REFUSE("page type %u does not exist", (unsigned)type);
    pg = &w->frames[frame_idx(w, mfn)];
    if (page_is_free(pg) || page_count(pg) == 0)
        return REFUSE("mfn %#" PRIx64 " is %s: no typed reference on it", mfn.m,
                      page_is_free(pg) ? "free" : "unreferenced");
    cnt = (pg->type_info & XMM_PGT_count_mask) >> XMM_PGT_count_shift;
    cur = (pg->type_info & XMM_PGT_type_mask) >> XMM_PGT_type_shift;
    if (cnt == XMM_PGT_count_mask >> XMM_PGT_count_shift)
        return REFUSE("mfn %#" PRIx64 "'s type count would overflow", mfn.m);
    if (cnt != 0 && cur != (uint64_t)type)
        return REFUSE("mfn %#" PRIx64 " has type %" PRIu64 " (count %" PRIu64 "), not %u",
                      mfn.m, cur, cnt, (unsigned)type);
    return NULL;
}
#undef REFUSE

bool page_get_type_quiet(struct xmm_world *w, xmm_mfn_t mfn, enum xmm_page_type type)
{
    struct xmm_page *pg;
    uint64_t cnt;
    uint32_t idx;

    if (get_type_refusal(w, mfn, type, NULL, 0))
        return false;
    idx = frame_idx(w, mfn);
    pg = frame_touch(w, idx);
    cnt = (pg->type_info & XMM_PGT_count_mask) >> XMM_PGT_count_shift;
    pg->type_info = (pg->type_info & XMM_PGT_gfn_mask) | ((uint64_t)type << XMM_PGT_type_shift) |
                    ((cnt + 1) << XMM_PGT_count_shift);
    hist_add(w, idx, XMM_EV_GET_TYPE, pg->owner, 0, (uint8_t)type);
    return true;
}

bool xmm_page_get_type(struct xmm_world *w, xmm_mfn_t mfn, enum xmm_page_type type)
{
    char why[160];

    xmm_err_clear(w);
    if (get_type_refusal(w, mfn, type, why, sizeof(why)))
        return xmm_fail(w, 0, "%s", why), false;
    return page_get_type_quiet(w, mfn, type);
}

int xmm_page_put_type(struct xmm_world *w, xmm_mfn_t mfn)
{
    struct xmm_page *pg;
    uint64_t cnt;
    uint32_t idx;

    xmm_err_clear(w);
    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn);
    idx = frame_idx(w, mfn);
    pg = &w->frames[idx];
    cnt = (pg->type_info & XMM_PGT_count_mask) >> XMM_PGT_count_shift;
    if (page_is_free(pg) || cnt == 0)
        return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " has no typed reference to drop", mfn.m);
    pg = frame_touch(w, idx);
    pg->type_info -= UINT64_C(1) << XMM_PGT_count_shift;
    hist_add(w, idx, XMM_EV_PUT_TYPE, pg->owner, 0, 0);
    return 0;
}

xmm_gfn_t xmm_page_xenheap_gfn(const struct xmm_world *w, xmm_mfn_t mfn)
{
    const struct xmm_page *pg;
    uint64_t g;

    if (!frame_valid(w, mfn.m))
        return XMM_INVALID_GFN;
    pg = &w->frames[frame_idx(w, mfn)];
    g = pg->type_info & XMM_PGT_gfn_mask;
    if (!(pg->count_info & XMM_PGC_xen_heap) || g == XMM_PGT_INVALID_GFN)
        return XMM_INVALID_GFN;
    return xmm_gfn(g);
}

/* --- xenheap -------------------------------------------------------------- */

int xmm_xenheap_alloc(struct xmm_world *w, xmm_mfn_t *out)
{
    uint32_t idx = heap_alloc_one(w);
    struct xmm_page *pg;

    xmm_err_clear(w);
    if (idx == XMM_NIL)
        return xmm_fail(w, -XMM_ENOMEM, "the heap has no free frame for the xenheap");
    pg = frame_touch(w, idx);
    pg->count_info = XMM_PGC_xen_heap | XMM_PGC_state_inuse;
    frame_set_owner(w, idx, XMM_DOMID_XEN);
    hist_add(w, idx, XMM_EV_XENHEAP_ALLOC, XMM_DOMID_XEN, 0, 0);
    *out = frame_mfn(w, idx);
    return 0;
}

/* Free a xenheap frame with no reference left that belongs to Xen, or to `own` (given back). */
int xenheap_free_own(struct xmm_world *w, xmm_domid_t own, xmm_mfn_t mfn)
{
    struct xmm_page *pg;

    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn);
    pg = &w->frames[frame_idx(w, mfn)];
    if (!(pg->count_info & XMM_PGC_xen_heap) || page_is_free(pg))
        return xmm_fail(w, -XMM_EINVAL, "mfn %#" PRIx64 " is not an allocated xenheap frame", mfn.m);
    if (page_count(pg) != 0 || (pg->owner != XMM_DOMID_XEN && pg->owner != own) ||
        (pg->flags & (PGF_XEN_LIST | PGF_PAGE_LIST | PGF_PARK_LIST)))
        return xmm_fail(w, -XMM_EINVAL,
                        "xenheap mfn %#" PRIx64 " is still shared with %s (count %" PRIu32 ")",
                        mfn.m, DN(pg->owner), page_count(pg));
    heap_free_one(w, frame_idx(w, mfn));
    return 0;
}

int xmm_xenheap_free(struct xmm_world *w, xmm_mfn_t mfn)
{
    xmm_err_clear(w);
    return xenheap_free_own(w, XMM_DOMID_XEN, mfn);
}

int xmm_xenheap_share(struct xmm_world *w, xmm_mfn_t mfn, xmm_domid_t dom, bool readonly)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct xmm_page *pg;
    uint32_t idx;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (!frame_valid(w, mfn.m))
        return not_ram(w, mfn);
    idx = frame_idx(w, mfn);
    pg = &w->frames[idx];
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: nothing is shared with it", DN(dom),
                        xmm_domain_state_name(d->state));
    if (!(pg->count_info & XMM_PGC_xen_heap) || page_is_free(pg) || pg->owner != XMM_DOMID_XEN ||
        page_count(pg) != 0)
        return xmm_fail(w, -XMM_EINVAL,
                        "mfn %#" PRIx64 " is not an unshared xenheap frame of xen (owner %s)",
                        mfn.m, DN(pg->owner));
    pg = frame_touch(w, idx);
    pg->count_info = XMM_PGC_xen_heap | XMM_PGC_allocated | XMM_PGC_state_inuse | 1;
    pg->type_info = XMM_PGT_INVALID_GFN | (UINT64_C(1) << XMM_PGT_count_shift) |
                    ((uint64_t)(readonly ? XMM_PGT_NONE : XMM_PGT_WRITABLE) << XMM_PGT_type_shift);
    frame_set_owner(w, idx, dom);
    pg->flags |= PGF_XEN_LIST;
    plist_push_tail(w, &d->xenpages, idx);
    domain_touch(w, d);
    if (d->xenheap_pages++ == 0)
        domain_ref_get(w, d);
    hist_add(w, idx, XMM_EV_XENHEAP_SHARE, dom, 0, 0);
    return 0;
}

bool domain_xenheap_frame(const struct xmm_world *w, const struct xmm_domain *d, uint64_t mfn)
{
    const struct xmm_module *m;

    for (MOD_EACH(w, i, m))
        if (m->xenheap_own && m->xenheap_own(w, d, mfn))
            return true;
    return false;
}
