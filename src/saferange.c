/*
 * libxmm - safe ranges for grant and foreign mappings (seed 002).
 *
 * What the seed thread settles on, and what libxmm models of it:
 *  - The toolstack chooses the range at domain creation, because only it
 *    knows the whole layout in advance; it is sized from the domain's own
 *    bounds (the maptrack table limits how many grants it can map; the
 *    control domain's foreign mappings are bounded by nothing, so it gets a
 *    flat, large budget), placed 1 GiB-aligned above everything else, and
 *    never changes.  Anything that would later overlap it is refused.
 *  - The rejected alternative, a hypercall reporting the current holes of
 *    the P2M, is kept as policy `query` so that its race can be shown: the
 *    hole a guest was told about is not reserved, and a device mapping may
 *    land in it afterwards.  The checker treats every told hole as the
 *    domain's safe range from then on.
 *  - Policy `none` is upstream behaviour: mappings go on ballooned-out RAM
 *    gfns, and xmm_saferange_info counts the RAM slots they occupy.
 *
 * Upstream libxl finds "extended regions" in the unused parts of the guest
 * RAM windows (dom0: host holes) and trims them: start rounded up to 2 MiB,
 * size rounded down to 2 MiB, regions under 64 MiB dropped.  libxmm applies
 * those rules to the holes it reports (query) and to the fallback search;
 * a range it sizes itself is rounded *up* to 2 MiB and raised to 64 MiB
 * instead, since rounding down would break the bound it was sized from; a
 * range the toolstack gives is taken exactly as given (docs/semantics.md).
 */
#include "saferange_priv.h"

/* An interval of frames [start, end). */
struct span {
    uint64_t start, end;
};

/* Rounding to a granule (v < 2^36, so nothing overflows). */
static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v / a * a;
}

/* [gfn, gfn+pages) and s share a frame. */
static bool span_overlaps(struct span s, uint64_t gfn, uint64_t pages)
{
    return gfn < s.end && s.start < gfn + pages;
}

static bool span_has(struct span s, uint64_t gfn)
{
    return gfn >= s.start && gfn < s.end;
}

/*
 * One of the ABI frames the range is sized for: a RAM entry of one of the
 * domain's own xenheap frames (grant-table frame, shared_info).
 */
static bool abi_frame(const struct xmm_world *w, xmm_domid_t dom, uint64_t e)
{
    uint64_t mfn = p2m_entry_mfn(e);
    const struct xmm_page *pg;

    if (!xmm_p2m_is_ram(p2m_entry_type(e)) || !frame_valid(w, mfn))
        return false;
    pg = &w->frames[mfn - w->ram_base];
    return (pg->count_info & XMM_PGC_xen_heap) && !page_is_free(pg) && pg->owner == dom;
}

/*
 * The RAM banks libxl would give a guest of max_pages frames: RAM0 first,
 * the rest in RAM1, each capped at its window.  Return: number of banks.
 */
static size_t layout_ram_banks(uint64_t max_pages, struct span out[2])
{
    uint64_t b0 = max_pages < XMM_GUEST_RAM0_PAGES ? max_pages : XMM_GUEST_RAM0_PAGES;
    uint64_t b1 = max_pages - b0;
    size_t n = 0;

    if (b0)
        out[n++] = (struct span){ XMM_GUEST_RAM0_GFN, XMM_GUEST_RAM0_GFN + b0 };
    if (b1 > XMM_GUEST_RAM1_PAGES)
        b1 = XMM_GUEST_RAM1_PAGES;
    if (b1)
        out[n++] = (struct span){ XMM_GUEST_RAM1_GFN, XMM_GUEST_RAM1_GFN + b1 };
    return n;
}

/*
 * The grant-table region a domain is told about (/hypervisor reg[0]).
 * Domains built on the guest layout get GUEST_GNTTAB_BASE, 16 MiB, as
 * libxl and dom0less give a domU.  A direct-mapped domain's address space
 * is the host's, so that fixed address may be host RAM the domain is
 * given at that very gfn; Xen's find_gnttab_region instead hands the
 * hardware domain a host range that can never be its RAM (Xen's own text
 * section), sized to its grant table.  libxmm's host has no Xen image, so
 * the region is a host hole, neither RAM nor MMIO: GUEST_GNTTAB_BASE when
 * that is one, else the lowest 2 MiB-aligned start right after a host RAM
 * or MMIO region that fits below 2^36.  The host map is fixed for the
 * world's life, so the region is too.
 */
static bool host_hole(const struct xmm_world *w, uint64_t gfn, uint64_t pages)
{
    struct span ram = { w->ram_base, w->ram_base + w->ram_pages };

    if (gfn >= XMM_FRAME_LIMIT || pages > XMM_FRAME_LIMIT - gfn || span_overlaps(ram, gfn, pages))
        return false;
    for (size_t i = 0; i < w->mmio_count; i++) {
        struct span m = { w->mmio[i].base.m, w->mmio[i].base.m + w->mmio[i].pages };

        if (span_overlaps(m, gfn, pages))
            return false;
    }
    return true;
}

static int gnttab_region(const struct xmm_world *w, xmm_domid_t dom,
                         const struct xmm_domain_opts *o, struct span *out)
{
    uint64_t pages = XMM_GUEST_GNTTAB_PAGES, best = XMM_FRAME_LIMIT, c;

    if (!o->direct_map) {
        *out = (struct span){ XMM_GUEST_GNTTAB_GFN, XMM_GUEST_GNTTAB_GFN + pages };
        return 0;
    }
    if (dom == XMM_SAFERANGE_CONTROL_DOMID)
        pages = o->grant_frames; /* the hardware domain: gnttab_dom0_frames() */
    if (host_hole(w, XMM_GUEST_GNTTAB_GFN, pages)) {
        *out = (struct span){ XMM_GUEST_GNTTAB_GFN, XMM_GUEST_GNTTAB_GFN + pages };
        return 0;
    }
    c = align_up(w->ram_base + w->ram_pages, XMM_SAFERANGE_GRANULE);
    if (host_hole(w, c, pages))
        best = c;
    for (size_t i = 0; i < w->mmio_count; i++) {
        c = align_up(w->mmio[i].base.m + w->mmio[i].pages, XMM_SAFERANGE_GRANULE);
        if (c < best && host_hole(w, c, pages))
            best = c;
    }
    if (best == XMM_FRAME_LIMIT)
        return -XMM_ENOSPC;
    *out = (struct span){ best, best + pages };
    return 0;
}

int xmm_saferange_gnttab(const struct xmm_world *w, xmm_domid_t dom,
                         const struct xmm_domain_opts *opts, struct xmm_saferange *out)
{
    struct xmm_domain_opts def = XMM_DOMAIN_OPTS_INIT;
    struct span s;
    int rc;

    out->gfn = xmm_gfn(0);
    out->pages = 0;
    if (!opts)
        opts = &def;
    if (opts->grant_frames == 0)
        return -XMM_EINVAL;
    rc = gnttab_region(w, dom, opts, &s);
    if (rc)
        return rc;
    out->gfn = xmm_gfn(s.start);
    out->pages = s.end - s.start;
    return 0;
}

/*
 * What a range must stay clear of, numbered 0 .. obstacle_count()-1 so
 * callers can walk them without allocating: the domain's grant-table
 * region and the magic region; the guest's RAM banks (a direct-mapped
 * guest: host RAM, since gfn == mfn); and the host MMIO regions, which the
 * toolstack passes through 1:1.
 */
#define OBS_FIXED 4

/* The domain a range is placed or checked for. */
struct layout {
    bool direct;
    uint64_t max_pages;
    struct span gnttab;
};

static size_t obstacle_count(const struct xmm_world *w)
{
    return OBS_FIXED + w->mmio_count;
}

static bool obstacle(const struct xmm_world *w, const struct layout *l, size_t i,
                     struct span *out)
{
    struct span banks[2];
    size_t nb;

    switch (i) {
    case 0:
        *out = l->gnttab;
        return true;
    case 1:
        *out = (struct span){ XMM_GUEST_MAGIC_GFN, XMM_GUEST_MAGIC_GFN + XMM_GUEST_MAGIC_PAGES };
        return true;
    case 2:
    case 3:
        if (l->direct) {
            *out = (struct span){ w->ram_base, w->ram_base + w->ram_pages };
            return i == 2;
        }
        nb = layout_ram_banks(l->max_pages, banks);
        if (i - 2 >= nb)
            return false;
        *out = banks[i - 2];
        return true;
    default:
        if (i - OBS_FIXED >= w->mmio_count)
            return false;
        out->start = w->mmio[i - OBS_FIXED].base.m;
        out->end = out->start + w->mmio[i - OBS_FIXED].pages;
        return true;
    }
}

/* True when [gfn, gfn+pages) avoids every obstacle and ends below 2^36. */
static bool clear_of_obstacles(const struct xmm_world *w, const struct layout *l, uint64_t gfn,
                               uint64_t pages)
{
    struct span s;

    if (gfn >= XMM_FRAME_LIMIT || pages > XMM_FRAME_LIMIT - gfn)
        return false;
    for (size_t i = 0; i < obstacle_count(w); i++)
        if (obstacle(w, l, i, &s) && span_overlaps(s, gfn, pages))
            return false;
    return true;
}

/* The layout of a domain about to be created: its grant-table region must exist. */
static int layout_of(const struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *o,
                     struct layout *l)
{
    l->direct = o->direct_map;
    l->max_pages = o->max_pages;
    return gnttab_region(w, dom, o, &l->gnttab);
}

uint64_t xmm_saferange_size(xmm_domid_t dom, const struct xmm_domain_opts *opts, uint64_t *need)
{
    struct xmm_domain_opts def = XMM_DOMAIN_OPTS_INIT;
    uint64_t n, s;

    if (!opts)
        opts = &def;
    /* every grant mapping it can hold, then the ABI frames: grant table, shared_info */
    n = (uint64_t)opts->maptrack_frames * XMM_MAPTRACK_PER_FRAME + opts->grant_frames +
        XMM_SAFERANGE_SHINFO_PAGES;

    if (dom == XMM_SAFERANGE_CONTROL_DOMID)
        n += XMM_SAFERANGE_CONTROL_PAGES;
    if (need)
        *need = n;
    s = align_up(n, XMM_SAFERANGE_GRANULE);
    return s < XMM_SAFERANGE_MIN_PAGES ? XMM_SAFERANGE_MIN_PAGES : s;
}

/*
 * Place an auto range: 1 GiB-aligned above the highest obstacle (the rule
 * proposed in the seed); when that does not fit below 2^36, the lowest
 * 2 MiB-aligned start above 1 GiB, right after an obstacle, that fits.
 */
static int place(const struct xmm_world *w, const struct layout *l, uint64_t pages, uint64_t *gfn)
{
    uint64_t top = 0, best = XMM_FRAME_LIMIT;
    struct span s;

    for (size_t i = 0; i < obstacle_count(w); i++)
        if (obstacle(w, l, i, &s) && s.end > top)
            top = s.end;
    top = align_up(top, XMM_SAFERANGE_ALIGN);
    if (clear_of_obstacles(w, l, top, pages)) {
        *gfn = top;
        return 0;
    }
    if (clear_of_obstacles(w, l, XMM_GUEST_RAM0_GFN, pages))
        best = XMM_GUEST_RAM0_GFN;
    for (size_t i = 0; i < obstacle_count(w); i++) {
        uint64_t c;

        if (!obstacle(w, l, i, &s))
            continue;
        c = align_up(s.end, XMM_SAFERANGE_GRANULE);
        if (c >= XMM_GUEST_RAM0_GFN && c < best &&
            clear_of_obstacles(w, l, c, pages))
            best = c;
    }
    if (best == XMM_FRAME_LIMIT)
        return -XMM_ENOSPC;
    *gfn = best;
    return 0;
}

/*
 * A given range may not cover the grant-table or magic region.  For a
 * direct-mapped domain it may not cover host RAM or MMIO either (those
 * gfns are the host's frames); otherwise RAM and passthrough MMIO are
 * placed by the same toolstack, which can put them elsewhere.
 */
static int check_given(const struct xmm_world *w, const struct layout *l, uint64_t gfn,
                       uint64_t pages)
{
    struct span s;

    if (pages == 0 || gfn >= XMM_FRAME_LIMIT || pages > XMM_FRAME_LIMIT - gfn)
        return -XMM_EINVAL;
    for (size_t i = 0; i < obstacle_count(w); i++) {
        if (i >= 2 && !l->direct)
            break;
        if (obstacle(w, l, i, &s) && span_overlaps(s, gfn, pages))
            return -XMM_EINVAL;
    }
    return 0;
}

int xmm_saferange_choose(const struct xmm_world *w, xmm_domid_t dom,
                         const struct xmm_domain_opts *opts, struct xmm_saferange *out)
{
    struct xmm_domain_opts def = XMM_DOMAIN_OPTS_INIT;
    struct layout l;
    uint64_t gfn = 0, pages;
    int rc;

    if (!opts)
        opts = &def;
    out->gfn = xmm_gfn(0);
    out->pages = 0;
    if (opts->safe_range == XMM_SAFE_RANGE_OFF)
        return 0;
    rc = layout_of(w, dom, opts, &l);
    if (rc)
        return rc;
    switch (opts->safe_range) {
    case XMM_SAFE_RANGE_OFF:
        return 0;
    case XMM_SAFE_RANGE_GIVEN:
        rc = check_given(w, &l, opts->safe_range_gfn.g, opts->safe_range_pages);
        if (rc)
            return rc;
        gfn = opts->safe_range_gfn.g;
        pages = opts->safe_range_pages;
        break;
    case XMM_SAFE_RANGE_AUTO:
    default:
        pages = xmm_saferange_size(dom, opts, NULL);
        rc = place(w, &l, pages, &gfn);
        if (rc)
            return rc;
        break;
    }
    out->gfn = xmm_gfn(gfn);
    out->pages = pages;
    return 0;
}

/*
 * The layout of an existing domain.  Its grant-table region was found when
 * it was created and the host map has not changed since; should it be
 * missing all the same, the fixed guest-layout region stands in.
 */
static void layout_of_domain(const struct xmm_world *w, const struct xmm_domain *d,
                             struct layout *l)
{
    if (layout_of(w, d->id, &d->opts, l))
        l->gnttab = (struct span){ XMM_GUEST_GNTTAB_GFN, XMM_GUEST_GNTTAB_GFN + XMM_GUEST_GNTTAB_PAGES };
}

/* --- per-domain state -------------------------------------------------------- */

int saferange_pick(const struct xmm_world *w, xmm_domid_t dom, const struct xmm_domain_opts *o,
                   struct saferange *out)
{
    struct xmm_saferange r;
    int rc;

    memset(out, 0, sizeof(*out));
    /* Item 7: a domain without a grant-table region outside its RAM is not built. */
    rc = xmm_saferange_gnttab(w, dom, o, &r);
    if (rc)
        return rc;
    if (w->policy.safe_range != XMM_SAFE_RANGE_TOOLSTACK)
        return 0; /* the domain_create argument is a toolstack input only */
    rc = xmm_saferange_choose(w, dom, o, &r);
    if (rc)
        return rc;
    out->gfn = r.gfn.g;
    out->pages = r.pages;
    return 0;
}

void saferange_destroy(struct xmm_world *w, struct xmm_domain *d)
{
    xmm_free(w, saferange_of(d)->told, XMM_SAFERANGE_TOLD_MAX * sizeof(*saferange_of(d)->told));
    saferange_of(d)->told = NULL;
    saferange_of(d)->told_count = 0;
}

/* d has a range the toolstack chose, and the policy enforces it. */
static bool toolstack_range(const struct xmm_world *w, const struct xmm_domain *d)
{
    return w->policy.safe_range == XMM_SAFE_RANGE_TOOLSTACK && saferange_of(d)->pages;
}

static struct span range_span(const struct xmm_domain *d)
{
    return (struct span){ saferange_of(d)->gfn, saferange_of(d)->gfn + saferange_of(d)->pages };
}

static struct span told_span(const struct xmm_domain *d, uint32_t i)
{
    return (struct span){ saferange_of(d)->told[i].gfn.g, saferange_of(d)->told[i].gfn.g + saferange_of(d)->told[i].pages };
}

/* True when gfn lies in d's safe range(s): the toolstack range, or a told hole. */
static bool in_safe(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn)
{
    if (w->policy.safe_range == XMM_SAFE_RANGE_TOOLSTACK)
        return saferange_of(d)->pages && span_has(range_span(d), gfn);
    if (w->policy.safe_range == XMM_SAFE_RANGE_QUERY)
        for (uint32_t i = 0; i < saferange_of(d)->told_count; i++)
            if (span_has(told_span(d, i), gfn))
                return true;
    return false;
}

bool saferange_blocks(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                      uint64_t pages)
{
    if (XMM_CANARY(XMM_CANARY_SAFE_RANGE))
        return false;
    return toolstack_range(w, d) && span_overlaps(range_span(d), gfn, pages);
}

bool saferange_admits(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn)
{
    return !toolstack_range(w, d) || span_has(range_span(d), gfn);
}

int saferange_refuse(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                     uint64_t pages, int rc)
{
    struct span r = range_span(d);

    if (pages == 1 && !span_has(r, gfn))
        return xmm_fail(w, rc, "gfn %#" PRIx64 " is outside %s's safe range [%#" PRIx64 ", %#" PRIx64
                               ") (safe_range: toolstack)",
                        gfn, DN(d->id), r.start, r.end);
    return xmm_fail(w, rc, "[%#" PRIx64 ", %#" PRIx64 ") overlaps %s's safe range [%#" PRIx64
                           ", %#" PRIx64 "), kept for grant and foreign mappings",
                    gfn, gfn + pages, DN(d->id), r.start, r.end);
}

size_t saferange_list(const struct xmm_world *w, const struct xmm_domain *d,
                      struct xmm_saferange *out, size_t max)
{
    size_t n = 0;

    if (toolstack_range(w, d) && max > 0) {
        out[n].gfn = xmm_gfn(saferange_of(d)->gfn);
        out[n++].pages = saferange_of(d)->pages;
    } else if (w->policy.safe_range == XMM_SAFE_RANGE_QUERY) {
        for (uint32_t i = 0; i < saferange_of(d)->told_count && n < max; i++)
            out[n++] = saferange_of(d)->told[i];
    }
    return n;
}

uint64_t saferange_digest(const struct xmm_domain *d)
{
    uint64_t h = mix64(saferange_of(d)->gfn ^ (saferange_of(d)->pages << 20) ^ saferange_of(d)->told_count);

    for (uint32_t i = 0; i < saferange_of(d)->told_count; i++)
        h = mix64(h ^ saferange_of(d)->told[i].gfn.g ^ (saferange_of(d)->told[i].pages << 24));
    return h;
}

/* --- the query (XENMEM_get_unallocated_space) ------------------------------ */

/*
 * Where the query looks: the guest RAM windows (upstream looks for a domU's
 * extended regions in their unused parts); for a direct-mapped domain, the
 * host address space above 1 GiB outside host RAM and MMIO.
 */
static size_t query_windows(const struct xmm_domain *d, struct span out[2])
{
    if (d->opts.direct_map) {
        out[0] = (struct span){ XMM_GUEST_RAM0_GFN, XMM_FRAME_LIMIT };
        return 1;
    }
    out[0] = (struct span){ XMM_GUEST_RAM0_GFN, XMM_GUEST_RAM0_GFN + XMM_GUEST_RAM0_PAGES };
    out[1] = (struct span){ XMM_GUEST_RAM1_GFN, XMM_GUEST_RAM1_GFN + XMM_GUEST_RAM1_PAGES };
    return 2;
}

/* Direct-mapped domains: host RAM, MMIO and the grant-table region are never holes. */
static bool host_obstacle_at(const struct xmm_world *w, const struct xmm_domain *d, uint64_t g,
                             uint64_t *next_start, uint64_t *end)
{
    struct layout l;
    struct span s;
    bool in = false;

    *next_start = XMM_FRAME_LIMIT;
    if (!d->opts.direct_map)
        return false;
    layout_of_domain(w, d, &l);
    for (size_t i = 0; i < obstacle_count(w); i++) {
        if (i == 1 || !obstacle(w, &l, i, &s))
            continue;
        if (span_has(s, g)) {
            *end = s.end;
            in = true;
        } else if (s.start > g && s.start < *next_start) {
            *next_start = s.start;
        }
    }
    return in;
}

/* The next maximal unmapped run at or after `from`, below `end`, or false. */
static bool next_hole(const struct xmm_world *w, const struct xmm_domain *d, uint64_t from,
                      uint64_t end, struct span *out)
{
    uint64_t g = from, m, e, next_obs, obs_end;

    while (g < end) {
        if (host_obstacle_at(w, d, g, &next_obs, &obs_end)) {
            g = obs_end;
            continue;
        }
        if (p2m_get(&d->p2m, g)) {
            while (g < end && p2m_get(&d->p2m, g))
                g++;
            continue;
        }
        if (!p2m_next_raw(&d->p2m, g, &m, &e) || m > end)
            m = end;
        out->start = g;
        out->end = m < next_obs ? m : next_obs;
        return true;
    }
    return false;
}

/* Upstream's extended-region trimming; false when the region is dropped. */
static bool trim(struct span *s)
{
    uint64_t a = align_up(s->start, XMM_SAFERANGE_GRANULE);
    uint64_t b = align_down(s->end, XMM_SAFERANGE_GRANULE);

    if (b <= a || b - a < XMM_SAFERANGE_MIN_PAGES)
        return false;
    s->start = a;
    s->end = b;
    return true;
}

/*
 * Fold new told holes into the sorted, disjoint union of d's told holes.
 * Return: the resulting count (may exceed XMM_SAFERANGE_TOLD_MAX: then
 * nothing is written), written to out[] when it fits.
 */
static size_t told_union(const struct xmm_domain *d, const struct span *add, size_t n_add,
                         struct span *out, size_t cap)
{
    struct span all[2 * XMM_SAFERANGE_TOLD_MAX];
    size_t n = 0, m = 0;

    for (uint32_t i = 0; i < saferange_of(d)->told_count; i++)
        all[n++] = told_span(d, i);
    for (size_t i = 0; i < n_add; i++)
        all[n++] = add[i];
    /* insertion sort by start: at most 2 x 16 entries */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && all[j].start < all[j - 1].start; j--) {
            struct span t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && all[i].start <= all[m - 1].end) {
            if (all[i].end > all[m - 1].end)
                all[m - 1].end = all[i].end;
            continue;
        }
        all[m++] = all[i];
    }
    if (m <= cap)
        memcpy(out, all, m * sizeof(*out));
    return m;
}

int xmm_saferange_query(struct xmm_world *w, xmm_domid_t dom, struct xmm_saferange *out,
                        size_t max, size_t *count)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct span win[2], holes[XMM_SAFERANGE_TOLD_MAX], merged[2 * XMM_SAFERANGE_TOLD_MAX];
    size_t nw, n = 0, m;

    xmm_err_clear(w);
    *count = 0;
    if (w->policy.safe_range != XMM_SAFE_RANGE_QUERY)
        return xmm_fail(w, -XMM_ENOSYS, "the safe-range query needs policy safe_range: query");
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (max == 0)
        return xmm_fail(w, -XMM_EINVAL, "the query has room for no range (max 0)");
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: it asks nothing any more", DN(dom),
                        xmm_domain_state_name(d->state));
    if (max > XMM_SAFERANGE_TOLD_MAX)
        max = XMM_SAFERANGE_TOLD_MAX;
    nw = query_windows(d, win);
    for (size_t i = 0; i < nw && n < max; i++) {
        struct span h;
        uint64_t g = win[i].start;

        while (n < max && next_hole(w, d, g, win[i].end, &h)) {
            g = h.end;
            if (trim(&h))
                holes[n++] = h;
        }
    }
    if (n == 0)
        return xmm_fail(w, -XMM_ENOSPC, "%s's address space has no unused hole to report", DN(dom));
    m = told_union(d, holes, n, merged, XMM_SAFERANGE_TOLD_MAX);
    if (m > XMM_SAFERANGE_TOLD_MAX)
        return xmm_fail(w, -XMM_ENOSPC,
                        "%s would be told more than %d disjoint safe ranges", DN(dom),
                        XMM_SAFERANGE_TOLD_MAX);
    if (!(*saferange_of(d)).told) {
        (*saferange_of(d)).told = xmm_alloc(w, XMM_SAFERANGE_TOLD_MAX * sizeof(*(*saferange_of(d)).told));
        if (!(*saferange_of(d)).told)
            return xmm_fail(w, -XMM_ENOMEM, "no memory for %s's list of told safe ranges", DN(dom));
    }

    /* commit: nothing below can fail */
    for (size_t i = 0; i < m; i++) {
        saferange_of(d)->told[i].gfn = xmm_gfn(merged[i].start);
        saferange_of(d)->told[i].pages = merged[i].end - merged[i].start;
    }
    saferange_of(d)->told_count = (uint32_t)m;
    domain_touch(w, d);
    for (size_t i = 0; i < n; i++) {
        out[i].gfn = xmm_gfn(holes[i].start);
        out[i].pages = holes[i].end - holes[i].start;
    }
    *count = n;
    return 0;
}

/* --- queries ---------------------------------------------------------------- */

/* gfn in d's RAM: its layout banks, or for a direct-mapped domain host RAM. */
static bool in_ram(const struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn)
{
    struct span banks[2];
    size_t nb;

    if (d->opts.direct_map)
        return frame_valid(w, gfn);
    nb = layout_ram_banks(d->max_pages, banks);
    for (size_t i = 0; i < nb; i++)
        if (span_has(banks[i], gfn))
            return true;
    return false;
}

/* What one P2M leaf of d adds to xmm_saferange_info's counts. */
static void info_count(const struct xmm_world *w, const struct xmm_domain *d, uint64_t g,
                       uint64_t e, struct xmm_saferange_info *out)
{
    enum xmm_p2m_type t = p2m_entry_type(e);

    if (abi_frame(w, d->id, e)) {
        if (in_safe(w, d, g)) {
            out->used++;
            out->abi_frames++;
        }
        return;
    }
    if (!xmm_p2m_is_grant(t) && !xmm_p2m_is_foreign(t))
        return;
    out->grant_maps += xmm_p2m_is_grant(t);
    out->foreign_maps += xmm_p2m_is_foreign(t);
    if (in_safe(w, d, g))
        out->used++;
    else if (in_ram(w, d, g))
        out->ram_slots++;
}

int xmm_saferange_info(const struct xmm_world *w, xmm_domid_t dom,
                       struct xmm_saferange_info *out)
{
    const struct xmm_domain *d = domain_find(w, dom);
    const uint64_t *blk;
    uint64_t base;

    memset(out, 0, sizeof(*out));
    out->policy = w->policy.safe_range;
    if (!d)
        return -XMM_ESRCH;
    if (toolstack_range(w, d)) {
        out->range.gfn = xmm_gfn(saferange_of(d)->gfn);
        out->range.pages = saferange_of(d)->pages;
        out->capacity = saferange_of(d)->pages;
    }
    out->told_count = saferange_of(d)->told_count;
    if (w->policy.safe_range == XMM_SAFE_RANGE_QUERY)
        for (uint32_t i = 0; i < saferange_of(d)->told_count; i++)
            out->capacity += saferange_of(d)->told[i].pages;
    /* Every leaf, a leaf node at a time, until all d->p2m.entries are seen. */
    for (uint64_t from = 0, left = d->p2m.entries;
         left && (blk = p2m_next_block(&d->p2m, from, &base)) != NULL; from = base + P2M_ENTRIES)
        for (unsigned s = (unsigned)(from > base ? from - base : 0); s < P2M_ENTRIES && left; s++)
            if (blk[s]) {
                left--;
                info_count(w, d, base + s, blk[s], out);
            }
    return 0;
}

int xmm_saferange_told(const struct xmm_world *w, xmm_domid_t dom, uint32_t i,
                       struct xmm_saferange *out)
{
    const struct xmm_domain *d = domain_find(w, dom);

    if (!d)
        return -XMM_ESRCH;
    if (i >= saferange_of(d)->told_count)
        return -XMM_ENOENT;
    *out = saferange_of(d)->told[i];
    return 0;
}

/* --- the `safe_range` invariant --------------------------------------------- */

/*
 * One P2M entry: no RAM or MMIO inside a safe range (the toolstack range,
 * or a hole the domain was told about), except the domain's own xenheap
 * ABI frames, for which the range is sized; under toolstack, grant and
 * foreign entries only inside the range.
 */
void saferange_check_entry(const struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, uint64_t e,
                           struct xmm_check_report *rep)
{
    const struct xmm_domain *d = domain_find(w, dom);
    enum xmm_p2m_type t = p2m_entry_type(e);
    bool inside;

    if (w->policy.safe_range == XMM_SAFE_RANGE_NONE || !d)
        return;
    inside = in_safe(w, d, gfn);
    if (inside && ((xmm_p2m_is_ram(t) && !abi_frame(w, dom, e)) || xmm_p2m_is_mmio(t)))
        check_report(rep, XMM_INV_SAFE_RANGE, XMM_SUBJECT_P2M, p2m_entry_mfn(e), dom, gfn,
                     "%s entry at gfn %#llx inside d%u's %s", xmm_p2m_type_name(t),
                     (unsigned long long)gfn, (unsigned)dom,
                     toolstack_range(w, d) ? "safe range" : "told hole");
    if (!inside && toolstack_range(w, d) && (xmm_p2m_is_grant(t) || xmm_p2m_is_foreign(t)))
        check_report(rep, XMM_INV_SAFE_RANGE, XMM_SUBJECT_P2M, p2m_entry_mfn(e), dom, gfn,
                     "%s entry at gfn %#llx outside d%u's safe range [%#llx, %#llx)",
                     xmm_p2m_type_name(t), (unsigned long long)gfn, (unsigned)dom,
                     (unsigned long long)saferange_of(d)->gfn, (unsigned long long)(saferange_of(d)->gfn + saferange_of(d)->pages));
}

/* The domain's own record: a well-formed range, told holes sorted and disjoint. */
void saferange_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                            struct xmm_check_report *rep)
{
#define SR_V(...) check_report(rep, XMM_INV_SAFE_RANGE, XMM_SUBJECT_DOMAIN, 0, d->id, 0, __VA_ARGS__)
    struct layout l;

    layout_of_domain(w, d, &l);
    if (saferange_of(d)->pages && (saferange_of(d)->gfn >= XMM_FRAME_LIMIT || saferange_of(d)->pages > XMM_FRAME_LIMIT - saferange_of(d)->gfn))
        SR_V("safe range [%#llx, +%#llx) is out of bounds", (unsigned long long)saferange_of(d)->gfn,
             (unsigned long long)saferange_of(d)->pages);
    else if (toolstack_range(w, d) && d->opts.direct_map &&
             !clear_of_obstacles(w, &l, saferange_of(d)->gfn, saferange_of(d)->pages))
        SR_V("direct-mapped d%u's safe range [%#llx, +%#llx) covers host RAM, MMIO or a "
             "fixed guest region",
             (unsigned)d->id, (unsigned long long)saferange_of(d)->gfn, (unsigned long long)saferange_of(d)->pages);
    if (saferange_of(d)->told_count > XMM_SAFERANGE_TOLD_MAX || (saferange_of(d)->told_count && !saferange_of(d)->told)) {
        SR_V("%u told holes recorded", saferange_of(d)->told_count);
        return;
    }
    for (uint32_t i = 1; i < saferange_of(d)->told_count; i++)
        if (told_span(d, i).start <= told_span(d, i - 1).end)
            SR_V("told holes %u and %u overlap or are out of order", i - 1, i);
#undef SR_V
}

/* --- the module (module.h) ------------------------------------------------ */

static bool saferange_args(const struct xmm_domain_opts *o)
{
    return o->safe_range == XMM_SAFE_RANGE_GIVEN &&
           (o->safe_range_pages == 0 || o->safe_range_gfn.g >= XMM_FRAME_LIMIT ||
            o->safe_range_pages > XMM_FRAME_LIMIT - o->safe_range_gfn.g);
}

/* Seed 002: the toolstack's safe range is chosen before anything exists. */
static int saferange_check(const struct xmm_world *w, xmm_domid_t id,
                           const struct xmm_domain_opts *o)
{
    struct saferange sr;

    return saferange_pick(w, id, o, &sr);
}

/* The same choice again (saferange_check accepted it): cannot fail. */
static int saferange_init(struct xmm_world *w, struct xmm_domain *d)
{
    int rc = saferange_pick(w, d->id, &d->opts, saferange_of(d));
    const struct saferange *sr = saferange_of(d);

    (void)rc;
    assert(rc == 0);
    hist_dom_event(w, d->id, XMM_EV_SAFE_RANGE, sr->pages ? sr->gfn | (sr->pages << 40) : 0, 0);
    return 0;
}

static uint64_t saferange_dom_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    (void)w;
    return saferange_digest(d);
}

/*
 * dom_clone: the slot's bytes (range, told count) are already copied; the
 * told holes get their own array.
 */
static int saferange_clone(struct xmm_world *c, struct xmm_domain *nd, const struct xmm_world *w,
                           const struct xmm_domain *d)
{
    const struct saferange *o = saferange_of(d);
    struct saferange *n = saferange_of(nd);

    (void)w;
    n->told = NULL;
    if (!o->told)
        return 0;
    n->told = xmm_alloc_copy(c, XMM_SAFERANGE_TOLD_MAX * sizeof(*n->told), o->told,
                             XMM_SAFERANGE_TOLD_MAX * sizeof(*n->told));
    if (!n->told)
        return -XMM_ENOMEM;
    return 0;
}

const struct xmm_module xmm_mod_saferange = {
    .name = "saferange",
    .dom_size = sizeof(struct saferange),
    .dom_args = saferange_args,
    .dom_check = saferange_check,
    .dom_init = saferange_init,
    .dom_free = saferange_destroy,
    .dom_discard = saferange_destroy,
    .check_entry = saferange_check_entry,
    .check_domain = saferange_check_domain,
    .dom_digest = saferange_dom_digest,
    .dom_clone = saferange_clone,
};
