/*
 * libxmm - doubly linked lists of array elements, linked by 32-bit indices
 * (XMM_NIL ends them), as Xen links page_info by pdx.  One helper for every
 * such list: the frame table's page, free and park lists (frame.c), the
 * IOMMU's pending-flush and held-frame lists (iommu.c).
 *
 * A `struct ilist` names the array and where an element keeps its two
 * links; it is built by ILIST() from constants, so the inline functions
 * fold to plain loads and stores.
 */
#ifndef XMM_ILIST_H
#define XMM_ILIST_H

#include <stddef.h>
#include <stdint.h>

#ifndef XMM_NIL
#define XMM_NIL UINT32_MAX
#endif

struct ilist {
    char *base;        /* element 0 */
    size_t size;       /* bytes per element */
    size_t next, prev; /* offsets of the two uint32_t links in an element */
    uint32_t *head, *tail;
};

/* The list (head, tail) of the elements of `arr` (of `type`), linked by fields nf and pf. */
#define ILIST(arr, type, nf, pf, headp, tailp)                                                     \
    ((struct ilist){ (char *)(arr), sizeof(type), offsetof(type, nf), offsetof(type, pf), (headp), \
                     (tailp) })

static inline uint32_t *ilist_next(const struct ilist *l, uint32_t i)
{
    return (uint32_t *)(l->base + (size_t)i * l->size + l->next);
}

static inline uint32_t *ilist_prev(const struct ilist *l, uint32_t i)
{
    return (uint32_t *)(l->base + (size_t)i * l->size + l->prev);
}

/* Put element i after `after` (XMM_NIL: at the head). */
static inline void ilist_insert_after(const struct ilist *l, uint32_t after, uint32_t i)
{
    uint32_t next = after == XMM_NIL ? *l->head : *ilist_next(l, after);

    *ilist_prev(l, i) = after;
    *ilist_next(l, i) = next;
    if (after == XMM_NIL)
        *l->head = i;
    else
        *ilist_next(l, after) = i;
    if (next == XMM_NIL)
        *l->tail = i;
    else
        *ilist_prev(l, next) = i;
}

static inline void ilist_push_tail(const struct ilist *l, uint32_t i)
{
    ilist_insert_after(l, *l->tail, i);
}

static inline void ilist_push_head(const struct ilist *l, uint32_t i)
{
    ilist_insert_after(l, XMM_NIL, i);
}

/* Take element i off the list; its own links are left as they were. */
static inline void ilist_unlink(const struct ilist *l, uint32_t i)
{
    uint32_t next = *ilist_next(l, i), prev = *ilist_prev(l, i);

    if (prev != XMM_NIL)
        *ilist_next(l, prev) = next;
    else
        *l->head = next;
    if (next != XMM_NIL)
        *ilist_prev(l, next) = prev;
    else
        *l->tail = prev;
}

#endif /* XMM_ILIST_H */
