/*
 * libxmm - the guest device tree (seed 002), written with libfdt.
 *
 * In the seed thread the safe range reaches the guest through its normal
 * firmware memory map rather than through a new hypercall; on Arm that is
 * the device tree the toolstack builds.  The blob libxmm writes follows
 * the shape libxl gives a guest, reduced to what concerns memory:
 *  - /memory: the RAM the domain really has, read from its P2M (ram_rw /
 *    ram_ro leaves of its own domheap frames; xenheap frames mapped into
 *    it, such as grant-table frames, are not RAM), adjacent gfns merged
 *    into banks;
 *  - /hypervisor: reg[0] is the grant-table region (GUEST_GNTTAB_BASE, or
 *    for a direct-mapped domain a host range that is never its RAM:
 *    xmm_saferange_gnttab), reg[1..] the safe ranges, which is where
 *    upstream lists its extended regions;
 *  - /reserved-memory: one child per safe range so an OS that knows the
 *    binding never uses it for anything else (no-map: nothing backs it
 *    until a mapping is made).  "xen,safe-range" is libxmm's own
 *    compatible string, modelled on the reserved-memory binding the seed
 *    suggests adding next to xen,shared-memory; upstream has none.
 * Event-channel interrupts, CPUs, the GIC and the timer are left out.
 *
 * The blob is built with libfdt's sequential-write functions straight into
 * the caller's buffer: nothing is allocated and the world is not changed.
 */
#include <limits.h>
#include <stdio.h>

#include <libfdt.h>

#include "saferange_priv.h"

#define DT_PAGE_SHIFT 12
#define DT_MAX_RANGES XMM_SAFERANGE_TOLD_MAX

static const char root_compat[] = "xen,xenvm-4.19\0xen,xenvm";
static const char hyp_compat[] = XMM_DT_XEN_COMPATIBLE "\0xen,xen";
static const char range_compat[] = "xen,safe-range";

/* A RAM leaf of d's own memory (not a xenheap frame mapped into it). */
static bool ram_leaf(const struct xmm_world *w, const struct xmm_domain *d, uint64_t e)
{
    uint64_t mfn = p2m_entry_mfn(e);
    const struct xmm_page *pg;

    if (!e || !xmm_p2m_is_ram(p2m_entry_type(e)) || !frame_valid(w, mfn))
        return false;
    pg = &w->frames[mfn - w->ram_base];
    return pg->owner == d->id && !(pg->count_info & XMM_PGC_xen_heap);
}

/* The next RAM bank at or after *cursor: a maximal run of RAM leaves. */
static bool next_bank(const struct xmm_world *w, const struct xmm_domain *d, uint64_t *cursor,
                      uint64_t *start, uint64_t *pages)
{
    uint64_t g, e, n;

    while (p2m_next_raw(&d->p2m, *cursor, &g, &e)) {
        *cursor = g + 1;
        if (!ram_leaf(w, d, e))
            continue;
        for (n = 1; g + n < XMM_FRAME_LIMIT && ram_leaf(w, d, p2m_get(&d->p2m, g + n)); n++)
            ;
        *start = g;
        *pages = n;
        *cursor = g + n;
        return true;
    }
    return false;
}

/* How many banks, and where the first starts (it names the memory node). */
static uint64_t count_banks(const struct xmm_world *w, const struct xmm_domain *d,
                            uint64_t *first)
{
    uint64_t cursor = 0, start, pages, n = 0;

    *first = 0;
    while (next_bank(w, d, &cursor, &start, &pages))
        if (n++ == 0)
            *first = start;
    return n;
}

/* One (address, size) pair of a reg property, in bytes, big-endian. */
static uint8_t *put_reg(uint8_t *p, uint64_t gfn, uint64_t pages)
{
    fdt64_t a = cpu_to_fdt64(gfn << DT_PAGE_SHIFT), s = cpu_to_fdt64(pages << DT_PAGE_SHIFT);

    memcpy(p, &a, sizeof(a));
    memcpy(p + sizeof(a), &s, sizeof(s));
    return p + sizeof(a) + sizeof(s);
}

#define REG_PAIR 16

/* Stop at the first libfdt error (a negative FDT_ERR_*). */
#define TRY(x)              \
    do {                    \
        int try_rc_ = (x);  \
        if (try_rc_ < 0)    \
            return try_rc_; \
    } while (0)

/* A node named BASE@ADDRESS, the unit address in bytes. */
static int begin_at(void *fdt, const char *base, uint64_t gfn)
{
    char name[48];

    snprintf(name, sizeof(name), "%s@%llx", base,
             (unsigned long long)(gfn << DT_PAGE_SHIFT));
    return fdt_begin_node(fdt, name);
}

/* /memory: one reg pair per bank, filled by a second walk of the P2M. */
static int write_memory(void *fdt, const struct xmm_world *w, const struct xmm_domain *d,
                        uint64_t nbanks, uint64_t first)
{
    uint64_t cursor = 0, start, pages;
    void *val;
    uint8_t *p;

    if (nbanks == 0)
        return 0; /* a domain without RAM gets no memory node */
    if (nbanks > (uint64_t)INT_MAX / REG_PAIR)
        return -FDT_ERR_NOSPACE;
    TRY(begin_at(fdt, "memory", first));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(fdt_property_placeholder(fdt, "reg", (int)(nbanks * REG_PAIR), &val));
    p = val;
    while (next_bank(w, d, &cursor, &start, &pages))
        p = put_reg(p, start, pages);
    return fdt_end_node(fdt);
}

/* /reserved-memory with one no-map child per safe range. */
static int write_reserved(void *fdt, const struct xmm_saferange *sr, size_t n)
{
    void *val;

    if (n == 0)
        return 0;
    TRY(fdt_begin_node(fdt, "reserved-memory"));
    TRY(fdt_property_cell(fdt, "#address-cells", 2));
    TRY(fdt_property_cell(fdt, "#size-cells", 2));
    TRY(fdt_property(fdt, "ranges", NULL, 0));
    for (size_t i = 0; i < n; i++) {
        TRY(begin_at(fdt, "xen-safe-range", sr[i].gfn.g));
        TRY(fdt_property_string(fdt, "compatible", range_compat));
        TRY(fdt_property_placeholder(fdt, "reg", REG_PAIR, &val));
        put_reg(val, sr[i].gfn.g, sr[i].pages);
        TRY(fdt_property(fdt, "no-map", NULL, 0));
        TRY(fdt_end_node(fdt));
    }
    return fdt_end_node(fdt);
}

/*
 * /hypervisor, named without a unit address as libxl names it (dtc warns
 * about that: unit_address_vs_reg); Linux finds it by "xen,xen".
 */
static int write_hypervisor(void *fdt, const struct xmm_saferange *gt,
                            const struct xmm_saferange *sr, size_t n)
{
    void *val;
    uint8_t *p;

    TRY(fdt_begin_node(fdt, "hypervisor"));
    TRY(fdt_property(fdt, "compatible", hyp_compat, sizeof(hyp_compat)));
    TRY(fdt_property_placeholder(fdt, "reg", (int)((1 + n) * REG_PAIR), &val));
    p = put_reg(val, gt->gfn.g, gt->pages);
    for (size_t i = 0; i < n; i++)
        p = put_reg(p, sr[i].gfn.g, sr[i].pages);
    return fdt_end_node(fdt);
}

/* The whole tree, in the order a reader expects; a libfdt error or 0. */
static int build(void *fdt, int len, const struct xmm_world *w, const struct xmm_domain *d,
                 const struct xmm_saferange *gt, const struct xmm_saferange *sr, size_t nsr)
{
    uint64_t first, nbanks = count_banks(w, d, &first);

    TRY(fdt_create(fdt, len));
    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_cell(fdt, "#address-cells", 2));
    TRY(fdt_property_cell(fdt, "#size-cells", 2));
    TRY(fdt_property(fdt, "compatible", root_compat, sizeof(root_compat)));
    TRY(fdt_property_string(fdt, "model", "XENVM-4.19"));
    TRY(write_memory(fdt, w, d, nbanks, first));
    TRY(write_reserved(fdt, sr, nsr));
    TRY(write_hypervisor(fdt, gt, sr, nsr));
    TRY(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

/* A length that always holds the blob: fixed part, strings, and per bank / range. */
static size_t size_bound(uint64_t nbanks, size_t nsr)
{
    return 1024 + (size_t)nbanks * REG_PAIR + nsr * (2 * REG_PAIR + 128);
}

int xmm_dt_export(const struct xmm_world *w, xmm_domid_t dom, void *buf, size_t len,
                  size_t *size)
{
    const struct xmm_domain *d = domain_find(w, dom);
    struct xmm_saferange sr[DT_MAX_RANGES], gt;
    uint64_t first;
    size_t nsr, need;
    int rc;

    *size = 0;
    if (!d)
        return -XMM_ESRCH;
    /* Found when the domain was created: the host map has not changed since. */
    if (xmm_saferange_gnttab(w, dom, &d->opts, &gt))
        return -XMM_EILSEQ;
    nsr = saferange_list(w, d, sr, DT_MAX_RANGES);
    need = size_bound(count_banks(w, d, &first), nsr);
    if (len > INT_MAX)
        len = INT_MAX;
    if (!buf || len < 64) {
        *size = need;
        return -XMM_ENOSPC;
    }
    rc = build(buf, (int)len, w, d, &gt, sr, nsr);
    if (rc == -FDT_ERR_NOSPACE) {
        *size = need > len ? need : 2 * len;
        return -XMM_ENOSPC;
    }
    if (rc < 0 || fdt_check_full(buf, fdt_totalsize(buf)) != 0)
        return -XMM_EILSEQ;
    *size = fdt_totalsize(buf);
    return 0;
}
