/*
 * libxmm unit tests - safe ranges (seed 002): the range chooser (sizing,
 * alignment, placement, rejection), the rules it enforces under policy
 * toolstack, the racy query, the XSA-300 accounting under policy none, the
 * `safe_range` invariant, and allocation failure at the new allocation site.
 */
#include <string.h>

#include "testutil.h"

#define GIB UINT64_C(0x40000) /* frames */
#define MIB2 UINT64_C(0x200)
#define MIB64 UINT64_C(0x4000)

static struct xmm_world *world_policy(enum xmm_safe_range_policy p)
{
    struct xmm_world_opts o = tu_opts();

    o.policy.safe_range = p;
    return tu_world(&o);
}

static struct xmm_domain_opts dopts(uint64_t max_pages)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    o.max_pages = max_pages;
    return o;
}

static struct xmm_saferange range_of(struct xmm_world *w, xmm_domid_t dom)
{
    struct xmm_saferange_info si;

    assert_rc(xmm_saferange_info(w, dom, &si), 0);
    return si.range;
}

/* dom grants its gfn `g` as ref to `to`; `to` maps it at `at`. */
static int grant_and_map(struct xmm_world *w, xmm_domid_t dom, xmm_grant_ref_t ref,
                         uint64_t g, xmm_domid_t to, uint64_t at, xmm_grant_handle_t *h)
{
    assert_rc(xmm_gnttab_grant(w, dom, ref, to, xmm_gfn(g), false), 0);
    return xmm_gnttab_map(w, to, dom, ref, xmm_gfn(at), false, h);
}

/* --- sizing ---------------------------------------------------------------- */

static void test_size_formula(void **state)
{
    struct xmm_domain_opts o = dopts(16);
    uint64_t need, s;

    (void)state;
    /* Defaults: 1024 maptrack frames x 512 + 64 grant frames + shared_info, rounded up to 2 MiB. */
    s = xmm_saferange_size(1, &o, &need);
    assert_int_equal(need, 1024 * 512 + 64 + 1);
    assert_int_equal(s, 0x80200);
    assert_int_equal(s % MIB2, 0);
    /* The control domain adds 128 GiB for foreign mappings. */
    s = xmm_saferange_size(0, &o, &need);
    assert_int_equal(need, 1024 * 512 + 64 + 1 + XMM_SAFERANGE_CONTROL_PAGES);
    assert_int_equal(s, 0x2080200);
    /* Small bounds are raised to the 64 MiB floor. */
    o.maptrack_frames = 1;
    o.grant_frames = 1;
    s = xmm_saferange_size(7, &o, &need);
    assert_int_equal(need, 514);
    assert_int_equal(s, MIB64);
    assert_int_equal(xmm_saferange_size(7, NULL, NULL), 0x80200);
    /* Exactly on a 2 MiB boundary: no rounding. */
    o.maptrack_frames = 256;
    o.grant_frames = 511;
    assert_int_equal(xmm_saferange_size(7, &o, NULL), 256 * 512 + 512);
    /* One frame past it rounds up by a whole granule. */
    o.grant_frames = 512;
    assert_int_equal(xmm_saferange_size(7, &o, NULL), 256 * 512 + 1024);
}

/* --- the grant-table region (issue 11 item 7) ----------------------------- */

/* A host whose RAM (mfn 0x30000-0x3ffff) covers GUEST_GNTTAB_BASE. */
static struct xmm_world *low_ram_world(const struct xmm_mmio_region *mmio, size_t n)
{
    struct xmm_world_opts o = tu_opts();

    o.ram_base = xmm_mfn(0x30000);
    o.ram_pages = 0x10000;
    o.mmio = mmio;
    o.mmio_count = n;
    return tu_world(&o);
}

static void test_gnttab_region(void **state)
{
    static const struct xmm_mmio_region dev = { { 0x40000 }, 0x300, "dev" };
    struct xmm_domain_opts o = dopts(256);
    struct xmm_saferange r;
    struct xmm_world *w = low_ram_world(NULL, 0);

    (void)state;
    /* On the guest layout: the fixed region, 16 MiB. */
    assert_rc(xmm_saferange_gnttab(w, 1, &o, &r), 0);
    assert_int_equal(r.gfn.g, XMM_GUEST_GNTTAB_GFN);
    assert_int_equal(r.pages, XMM_GUEST_GNTTAB_PAGES);
    /* Direct-mapped: GUEST_GNTTAB_BASE is host RAM, so the first hole after RAM. */
    o.direct_map = true;
    assert_rc(xmm_saferange_gnttab(w, 0, &o, &r), 0);
    assert_int_equal(r.gfn.g, 0x40000);
    assert_int_equal(r.pages, 64); /* the hardware domain: its grant frames */
    assert_rc(xmm_saferange_gnttab(w, 3, &o, &r), 0);
    assert_int_equal(r.gfn.g, 0x40000);
    assert_int_equal(r.pages, XMM_GUEST_GNTTAB_PAGES);
    /* Its safe range keeps clear of it; a given one over it is refused. */
    assert_rc(xmm_saferange_choose(w, 0, &o, &r), 0);
    assert_int_equal(r.gfn.g, 2 * GIB);
    o.safe_range = XMM_SAFE_RANGE_GIVEN;
    o.safe_range_gfn = xmm_gfn(0x40020);
    o.safe_range_pages = MIB64;
    assert_rc(xmm_saferange_choose(w, 0, &o, &r), -XMM_EINVAL);
    o.safe_range_gfn = xmm_gfn(0x40200);
    assert_rc(xmm_saferange_choose(w, 0, &o, &r), 0);
    tu_world_free(w);

    /* A device right after RAM: the next 2 MiB boundary after it. */
    w = low_ram_world(&dev, 1);
    o = dopts(256);
    o.direct_map = true;
    assert_rc(xmm_saferange_gnttab(w, 0, &o, &r), 0);
    assert_int_equal(r.gfn.g, 0x40400);
    tu_world_free(w);

    /* Host RAM at the default 0x40000: GUEST_GNTTAB_BASE is a hole and is kept. */
    w = world_policy(XMM_SAFE_RANGE_TOOLSTACK);
    assert_rc(xmm_saferange_gnttab(w, 0, &o, &r), 0);
    assert_int_equal(r.gfn.g, XMM_GUEST_GNTTAB_GFN);
    assert_int_equal(r.pages, 64);
    tu_world_free(w);
}

/* No host hole at all: a direct-mapped domain is refused, nothing changes. */
static void test_gnttab_region_nospace(void **state)
{
    static const struct xmm_mmio_region devs[2] = {
        { { 0 }, 0x30000, "low" },
        { { 0x40000 }, XMM_FRAME_LIMIT - 0x40000, "high" },
    };
    struct xmm_world *w = low_ram_world(devs, 2);
    struct xmm_domain_opts o = dopts(256);
    struct xmm_saferange r;

    (void)state;
    o.direct_map = true;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_saferange_gnttab(w, 0, &o, &r), -XMM_ENOSPC);
    assert_err_unchanged(w, xmm_domain_create(w, 0, &o), -XMM_ENOSPC);
    o.direct_map = false;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- placement ------------------------------------------------------------- */

static void test_auto_small_domu(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_domain_opts o = dopts(4096); /* 16 MiB of RAM in RAM0 */
    struct xmm_saferange r;

    (void)state;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    r = range_of(w, 1);
    /* Above RAM0's bank (ends at 0x41000), 1 GiB-aligned: 2 GiB. */
    assert_int_equal(r.gfn.g, 0x80000);
    assert_int_equal(r.pages, 0x80200);
    assert_int_equal(r.gfn.g % GIB, 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_auto_dom0_and_large_ram(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_domain_opts o = dopts(0x10000);
    struct xmm_saferange r;

    (void)state;
    assert_rc(xmm_domain_create(w, 0, &o), 0);
    r = range_of(w, 0);
    assert_int_equal(r.gfn.g, 0x80000);
    assert_int_equal(r.pages, 0x2080200);
    /* More RAM than RAM0 holds: the rest goes to RAM1, the range above it. */
    o.max_pages = XMM_GUEST_RAM0_PAGES + 1;
    assert_rc(xmm_domain_create(w, 2, &o), 0);
    assert_int_equal(range_of(w, 2).gfn.g, XMM_GUEST_RAM1_GFN + GIB);
    /* RAM beyond both windows is capped at RAM1's end (1 TiB). */
    o.max_pages = XMM_FRAME_LIMIT - 1;
    assert_rc(xmm_domain_create(w, 3, &o), 0);
    assert_int_equal(range_of(w, 3).gfn.g, XMM_GUEST_RAM1_GFN + XMM_GUEST_RAM1_PAGES);
    /* A domain without RAM: above the magic region, so RAM0's base. */
    o.max_pages = 0;
    assert_rc(xmm_domain_create(w, 4, &o), 0);
    assert_int_equal(range_of(w, 4).gfn.g, XMM_GUEST_RAM0_GFN);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Host MMIO (passed through 1:1) counts as a region to stay above. */
static void test_auto_above_mmio(void **state)
{
    struct xmm_world_opts wo = tu_opts();
    struct xmm_mmio_region pcie = { xmm_mfn(0x4000000), 16, "pcie" };
    struct xmm_domain_opts o = dopts(64);
    struct xmm_saferange r;
    struct xmm_world *w;

    (void)state;
    wo.mmio = &pcie;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    assert_rc(xmm_saferange_choose(w, 1, &o, &r), 0);
    assert_int_equal(r.gfn.g, 0x4040000);
    tu_world_free(w);
}

/* Nothing fits above the top region: the lowest 2 MiB-aligned hole, or ENOSPC. */
static void test_auto_fallback_and_enospc(void **state)
{
    struct xmm_world_opts wo = tu_opts();
    struct xmm_mmio_region top = { xmm_mfn(XMM_FRAME_LIMIT - 0x100000), 0x100000, "top" };
    struct xmm_mmio_region wall = { xmm_mfn(0x80000), XMM_FRAME_LIMIT - 0x80000, "wall" };
    struct xmm_domain_opts o = dopts(4096);
    struct xmm_saferange r;
    struct xmm_world *w;

    (void)state;
    wo.mmio = &top;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    assert_rc(xmm_saferange_choose(w, 1, &o, &r), 0);
    assert_int_equal(r.gfn.g, 0x41000); /* right after the RAM bank */
    assert_int_equal(r.gfn.g % MIB2, 0);
    tu_world_free(w);

    /* A wall of MMIO from 2 GiB up: a 2 GiB range fits nowhere. */
    wo.mmio = &wall;
    w = tu_world(&wo);
    assert_err_unchanged(w, xmm_domain_create(w, 1, &o), -XMM_ENOSPC);
    assert_int_equal(xmm_domain_count(w), 0);
    /* A 64 MiB one does, between the RAM bank and the wall. */
    o.maptrack_frames = 1;
    o.grant_frames = 1;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    r = range_of(w, 1);
    assert_int_equal(r.gfn.g, 0x41000);
    assert_int_equal(r.pages, MIB64);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_given_range(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_domain_opts o = dopts(64);
    struct xmm_saferange r;

    (void)state;
    o.safe_range = XMM_SAFE_RANGE_GIVEN;
    o.safe_range_gfn = xmm_gfn(0x90001);
    o.safe_range_pages = 5;
    /* Taken exactly as given: no trimming, no floor. */
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    r = range_of(w, 1);
    assert_int_equal(r.gfn.g, 0x90001);
    assert_int_equal(r.pages, 5);
    /* Over the grant-table or magic region: refused. */
    o.safe_range_gfn = xmm_gfn(XMM_GUEST_GNTTAB_GFN - 1);
    o.safe_range_pages = 2;
    assert_err_unchanged(w, xmm_domain_create(w, 2, &o), -XMM_EINVAL);
    o.safe_range_gfn = xmm_gfn(XMM_GUEST_MAGIC_GFN + XMM_GUEST_MAGIC_PAGES - 1);
    assert_err_unchanged(w, xmm_domain_create(w, 2, &o), -XMM_EINVAL);
    o.safe_range_gfn = xmm_gfn(XMM_FRAME_LIMIT - 1);
    assert_err_unchanged(w, xmm_domain_create(w, 2, &o), -XMM_EINVAL);
    /* Over the guest's own RAM window: the toolstack's business. */
    o.safe_range_gfn = xmm_gfn(XMM_GUEST_RAM0_GFN);
    assert_rc(xmm_domain_create(w, 2, &o), 0);
    /* safe_range none: no range at all. */
    o.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, 3, &o), 0);
    assert_int_equal(range_of(w, 3).pages, 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Other policies record no range, whatever domain_create was given. */
static void test_no_range_other_policies(void **state)
{
    (void)state;
    for (int p = XMM_SAFE_RANGE_QUERY; p <= XMM_SAFE_RANGE_NONE; p++) {
        struct xmm_world *w = world_policy((enum xmm_safe_range_policy)p);
        struct xmm_domain_opts o = dopts(64);

        assert_rc(xmm_domain_create(w, 1, &o), 0);
        assert_int_equal(range_of(w, 1).pages, 0);
        tu_world_free(w);
    }
}

/* --- direct-mapped domains ------------------------------------------------ */

static void test_direct_map_host_holes(void **state)
{
    struct xmm_world_opts wo = tu_opts();
    struct xmm_mmio_region uart = { xmm_mfn(0x9000), 4, "uart" };
    struct xmm_domain_opts o = dopts(64);
    struct xmm_saferange r;
    struct xmm_world *w;
    xmm_grant_handle_t h;
    xmm_gfn_t first;

    (void)state;
    wo.ram_base = xmm_mfn(0x100000); /* host RAM at 4 GiB */
    wo.mmio = &uart;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    o.direct_map = true;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    r = range_of(w, 1);
    /* Above host RAM (ends at 0x101000), never over RAM or MMIO. */
    assert_int_equal(r.gfn.g, 0x140000);
    /* A given range over host RAM or MMIO is refused for a direct-mapped domain. */
    o.safe_range = XMM_SAFE_RANGE_GIVEN;
    o.safe_range_gfn = xmm_gfn(0x100800);
    o.safe_range_pages = 0x1000;
    assert_err_unchanged(w, xmm_domain_create(w, 2, &o), -XMM_EINVAL);
    o.safe_range_gfn = xmm_gfn(0x9002);
    o.safe_range_pages = 1;
    assert_err_unchanged(w, xmm_domain_create(w, 2, &o), -XMM_EINVAL);
    o.safe_range_gfn = xmm_gfn(0x200000);
    assert_rc(xmm_domain_create(w, 2, &o), 0);

    /* Grant mappings cannot use gfn == mfn RAM space. */
    tu_domain(w, 3, 16);
    tu_populate(w, 3, 0x100, 1);
    assert_rc(xmm_physmap_populate_direct(w, 1, 4, &first), 0);
    assert_int_equal(grant_and_map(w, 3, 8, 0x100, 1, 0x100800, &h), XMM_GNTST_bad_virt_addr);
    assert_int_equal(xmm_gnttab_map(w, 1, 3, 8, xmm_gfn(r.gfn.g), false, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- rules under toolstack ------------------------------------------------- */

static struct xmm_world *toolstack_world(void)
{
    struct xmm_world_opts wo = tu_opts();
    static const struct xmm_mmio_region dev = { { 0x9000 }, 0x100, "dev" };
    struct xmm_world *w;

    wo.mmio = &dev;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    tu_domain(w, 1, 256); /* range [0x80000, 0x100200) */
    tu_domain(w, 2, 256);
    tu_populate(w, 2, 0x40000, 4);
    return w;
}

static void test_populate_mmio_rejected(void **state)
{
    struct xmm_world *w = toolstack_world();

    (void)state;
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x80000), 1), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x7FFFF), 2), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_physmap_populate(w, 1, xmm_gfn(0x1001FF), 1), -XMM_EBUSY);
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(0x7FFFF), 1), 0);
    assert_rc(xmm_physmap_populate(w, 1, xmm_gfn(0x100200), 1), 0);
    assert_err_unchanged(w, xmm_physmap_map_mmio(w, 1, xmm_gfn(0xFFFFF), xmm_mfn(0x9000), 4),
                         -XMM_EBUSY);
    assert_rc(xmm_physmap_map_mmio(w, 1, xmm_gfn(0x9000), xmm_mfn(0x9000), 4), 0);
    /* A grant-table frame is one of the ABI frames the range is sized for. */
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(0x80010)), 0);
    assert_rc(xmm_gnttab_map_frame(w, 1, 1, xmm_gfn(XMM_GUEST_GNTTAB_GFN)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_mappings_only_inside(void **state)
{
    struct xmm_world *w = toolstack_world();
    xmm_grant_handle_t h;

    (void)state;
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 1, xmm_gfn(0x10), 2, xmm_gfn(0x40000)),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_physmap_map_foreign(w, 1, xmm_gfn(0x100200), 2,
                                                    xmm_gfn(0x40000)),
                         -XMM_EINVAL);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x80000), 2, xmm_gfn(0x40000)), 0);
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x1001FF), 2, xmm_gfn(0x40001)), 0);
    assert_rc(xmm_gnttab_grant(w, 2, 8, 1, xmm_gfn(0x40002), false), 0);
    assert_err_unchanged(w, xmm_gnttab_map(w, 1, 2, 8, xmm_gfn(0x7FFFF), false, &h),
                         XMM_GNTST_bad_virt_addr);
    assert_int_equal(xmm_gnttab_map(w, 1, 2, 8, xmm_gfn(0x80001), false, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    tu_world_free(w);
}

/* A range opted out (safe_range: none): upstream behaviour for that domain. */
static void test_domain_without_range(void **state)
{
    struct xmm_world *w = toolstack_world();
    struct xmm_domain_opts o = dopts(64);

    (void)state;
    o.safe_range = XMM_SAFE_RANGE_OFF;
    assert_rc(xmm_domain_create(w, 3, &o), 0);
    assert_rc(xmm_physmap_map_foreign(w, 3, xmm_gfn(0x10), 2, xmm_gfn(0x40000)), 0);
    assert_rc(xmm_physmap_populate(w, 3, xmm_gfn(0x80000), 1), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* The range is exhausted by grant mappings: usage reaches capacity. */
static void test_exhaustion(void **state)
{
    struct xmm_world *w = toolstack_world();
    struct xmm_domain_opts o = dopts(64);
    struct xmm_saferange_info si;
    xmm_grant_handle_t h;

    (void)state;
    o.safe_range = XMM_SAFE_RANGE_GIVEN;
    o.safe_range_gfn = xmm_gfn(0x90000);
    o.safe_range_pages = 4;
    assert_rc(xmm_domain_create(w, 3, &o), 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(grant_and_map(w, 2, 8 + i, 0x40000 + (i % 4), 3, 0x90000 + i, &h),
                         XMM_GNTST_okay);
    assert_rc(xmm_saferange_info(w, 3, &si), 0);
    assert_int_equal(si.capacity, 4);
    assert_int_equal(si.used, 4);
    assert_int_equal(si.grant_maps, 4);
    assert_int_equal(si.ram_slots, 0);
    /* No free gfn left inside, and outside is refused. */
    assert_rc(xmm_gnttab_grant(w, 2, 12, 3, xmm_gfn(0x40000), false), 0);
    for (uint64_t g = 0x8FFFF; g <= 0x90004; g++)
        assert_err_unchanged(w, xmm_gnttab_map(w, 3, 2, 12, xmm_gfn(g), false, &h),
                             XMM_GNTST_bad_virt_addr);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- the `safe_range` invariant ------------------------------------------- */

static void test_invariant_toolstack(void **state)
{
    struct xmm_world *w = toolstack_world();
    struct xmm_check_report rep;

    (void)state;
    /* Raw P2M writes bypass the physmap rules: the checker must notice. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x80004), xmm_mfn(0x9000), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_int_equal(xmm_check_incremental(w, &rep), 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_int_equal(xmm_check_full(w, &rep), 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x80004)), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Issue 11 item 10: the range is sized for the ABI frames, so the domain's
 * own xenheap frames mapped RAM-typed inside it are fine; a domheap RAM
 * page there is still a violation, and so is another domain's grant-table
 * frame.  Incremental check and full sweep agree on each.
 */
static void test_invariant_abi_frames(void **state)
{
    struct xmm_world *w = toolstack_world();
    struct xmm_check_report rep;
    struct xmm_saferange_info si;
    struct xmm_p2m_entry pe;
    xmm_mfn_t ram, gt2;

    (void)state;
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(0x80000)), 0);
    assert_rc(xmm_gnttab_map_frame(w, 2, 0, xmm_gfn(0x38000)), 0);
    assert_world_clean(w);
    assert_rc(xmm_saferange_info(w, 1, &si), 0);
    assert_int_equal(si.used, 1);
    assert_int_equal(si.abi_frames, 1);
    /* d2's RAM page, raw, inside d1's range. */
    assert_rc(xmm_p2m_lookup(w, 2, xmm_gfn(0x40000), &pe), 0);
    ram = pe.mfn;
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x80001), ram, XMM_P2M_RAM_RW), 0);
    assert_true(xmm_check_incremental(w, &rep) >= 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_true(xmm_check_full(w, &rep) >= 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x80001)), 0);
    assert_world_clean(w);
    /* d2's grant-table frame is not one of d1's ABI frames. */
    gt2 = xmm_gnttab_frame_mfn(w, 2, 0);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x80002), gt2, XMM_P2M_RAM_RW), 0);
    assert_true(xmm_check_incremental(w, &rep) >= 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_true(xmm_check_full(w, &rep) >= 1);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    /* (Removing that raw entry would clear d2's frame's GFN record: seed 001.) */
    tu_world_free(w);
}

/* --- policy query ------------------------------------------------------------ */

static void test_query_reports_holes(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_QUERY);
    struct xmm_saferange out[4], t;
    size_t n;

    (void)state;
    tu_domain(w, 1, 4096);
    tu_populate(w, 1, 0x40000, 0x801); /* RAM up to 0x40801 */
    assert_rc(xmm_saferange_query(w, 1, out, 4, &n), 0);
    assert_int_equal(n, 2);
    /* Start rounded up to 2 MiB; RAM0's window ends at 4 GiB. */
    assert_int_equal(out[0].gfn.g, 0x40A00);
    assert_int_equal(out[0].pages, 0x100000 - 0x40A00);
    assert_int_equal(out[1].gfn.g, XMM_GUEST_RAM1_GFN);
    assert_int_equal(out[1].pages, XMM_GUEST_RAM1_PAGES);
    assert_rc(xmm_saferange_told(w, 1, 0, &t), 0);
    assert_int_equal(t.gfn.g, 0x40A00);
    /* Asking again tells nothing new. */
    assert_rc(xmm_saferange_query(w, 1, out, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_rc(xmm_saferange_told(w, 1, 1, &t), 0);
    assert_rc(xmm_saferange_told(w, 1, 2, &t), -XMM_ENOENT);
    /* A hole under 64 MiB after trimming is dropped; exactly 64 MiB is kept. */
    tu_domain(w, 2, 4096);
    tu_populate(w, 2, 0x40000, 1);
    tu_populate(w, 2, 0x44000, 1);
    tu_populate(w, 2, 0x48200, 1);
    assert_rc(xmm_saferange_query(w, 2, out, 1, &n), 0);
    assert_int_equal(out[0].gfn.g, 0x44200);
    assert_int_equal(out[0].pages, MIB64);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_query_errors(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_saferange out[1];
    size_t n;

    (void)state;
    tu_domain(w, 1, 16);
    assert_err_unchanged(w, xmm_saferange_query(w, 1, out, 1, &n), -XMM_ENOSYS);
    tu_world_free(w);
    w = world_policy(XMM_SAFE_RANGE_QUERY);
    tu_domain(w, 1, 16);
    assert_err_unchanged(w, xmm_saferange_query(w, 2, out, 1, &n), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_saferange_query(w, 1, out, 0, &n), -XMM_EINVAL);
    assert_rc(xmm_domain_kill(w, 1), 0);
    tu_world_free(w);
}

/* Direct-mapped: the holes are host holes, neither RAM nor MMIO. */
static void test_query_direct_map(void **state)
{
    struct xmm_world_opts wo = tu_opts(); /* host RAM 0x40000-0x40fff */
    struct xmm_mmio_region dev = { xmm_mfn(0x50000), 0x10, "dev" };
    struct xmm_domain_opts o = dopts(64);
    struct xmm_saferange out[3];
    struct xmm_world *w;
    size_t n;

    (void)state;
    wo.policy.safe_range = XMM_SAFE_RANGE_QUERY;
    wo.mmio = &dev;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    o.direct_map = true;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    assert_rc(xmm_saferange_query(w, 1, out, 3, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].gfn.g, 0x41000);
    assert_int_equal(out[0].pages, 0xF000);
    assert_int_equal(out[1].gfn.g, 0x50200);
    assert_int_equal(out[1].gfn.g + out[1].pages, XMM_FRAME_LIMIT);
    assert_world_clean(w);
    tu_world_free(w);
}

/* The race: the told hole is not reserved; a device lands in it. */
static void test_query_race(void **state)
{
    struct xmm_world_opts wo = tu_opts();
    struct xmm_mmio_region dev = { xmm_mfn(0x9000), 0x10, "dev" };
    struct xmm_check_report rep;
    struct xmm_saferange hole;
    struct xmm_world *w;
    xmm_grant_handle_t h;
    size_t n;

    (void)state;
    wo.policy.safe_range = XMM_SAFE_RANGE_QUERY;
    wo.mmio = &dev;
    wo.mmio_count = 1;
    w = tu_world(&wo);
    tu_domain(w, 1, 128);
    tu_domain(w, 2, 64);
    tu_populate(w, 2, 0x40000, 1);
    tu_populate(w, 1, 0x40000, 64);
    assert_rc(xmm_saferange_query(w, 1, &hole, 1, &n), 0);
    assert_world_clean(w);
    /* Before the guest uses it, the toolstack maps a device there. */
    assert_rc(xmm_physmap_map_mmio(w, 1, hole.gfn, xmm_mfn(0x9000), 0x10), 0);
    assert_int_equal(xmm_check_incremental(w, &rep), 0x10);
    assert_true(tu_report_has(&rep, XMM_INV_SAFE_RANGE));
    assert_int_equal(xmm_check_full(w, &rep), 0x10);
    /* The guest's grant mapping lands on the device. */
    assert_int_equal(grant_and_map(w, 2, 8, 0x40000, 1, hole.gfn.g, &h), XMM_GNTST_bad_virt_addr);
    /* Populating RAM in a told hole is caught the same way. */
    tu_populate(w, 1, hole.gfn.g + 0x100, 1);
    assert_int_equal(xmm_check_incremental(w, &rep), 1);
    tu_world_free(w);
}

/* At most XMM_SAFERANGE_TOLD_MAX told holes; one more is refused, unchanged. */
static void test_query_told_limit(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_QUERY);
    struct xmm_saferange out[XMM_SAFERANGE_TOLD_MAX];
    uint64_t sep = 0x4400; /* 68 MiB apart: each hole trims to 66 MiB */
    size_t n;

    (void)state;
    tu_domain(w, 1, 4096);
    for (uint64_t k = 0; k <= 40; k++)
        tu_populate(w, 1, 0x40000 + k * sep, 1);
    assert_rc(xmm_saferange_query(w, 1, out, 64, &n), 0);
    assert_int_equal(n, XMM_SAFERANGE_TOLD_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].gfn.g, 0x40000 + i * sep + MIB2);
        assert_int_equal(out[i].pages, sep - MIB2);
    }
    /* Split each told hole below 64 MiB: the next query names new ones. */
    for (uint64_t k = 0; k < XMM_SAFERANGE_TOLD_MAX; k++)
        tu_populate(w, 1, 0x40000 + k * sep + sep / 2, 1);
    assert_err_unchanged(w, xmm_saferange_query(w, 1, out, 1, &n), -XMM_ENOSPC);
    assert_int_equal(n, 0);
    tu_world_free(w);
}

/* --- policy none: the XSA-300 accounting ---------------------------------- */

static void test_none_counts_ram_slots(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_NONE);
    struct xmm_saferange_info si;
    xmm_grant_handle_t h;

    (void)state;
    tu_domain(w, 1, 64);
    tu_domain(w, 2, 64);
    tu_populate(w, 1, 0x40000, 64);
    tu_populate(w, 2, 0x40000, 4);
    /* The backend balloons out 4 pages to make room for 4 grant mappings. */
    assert_rc(xmm_physmap_decrease(w, 1, xmm_gfn(0x40010), 4), 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(grant_and_map(w, 2, 8 + i, 0x40000 + i, 1, 0x40010 + i, &h),
                         XMM_GNTST_okay);
    /* One more outside its RAM: not a RAM slot. */
    assert_rc(xmm_physmap_map_foreign(w, 1, xmm_gfn(0x10), 2, xmm_gfn(0x40000)), 0);
    assert_rc(xmm_saferange_info(w, 1, &si), 0);
    assert_int_equal(si.policy, XMM_SAFE_RANGE_NONE);
    assert_int_equal(si.ram_slots, 4);
    assert_int_equal(si.grant_maps, 4);
    assert_int_equal(si.foreign_maps, 1);
    assert_int_equal(si.used, 0);
    assert_int_equal(si.capacity, 0);
    assert_int_equal(tu_dom(w, 1).tot_pages, 60);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- allocation failure ------------------------------------------------------ */

static void query_setup(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x40000, 8);
}

static int query_op(struct xmm_world *w, void *ctx)
{
    struct xmm_saferange out[2];
    size_t n;

    (void)ctx;
    return xmm_saferange_query(w, 1, out, 2, &n);
}

static void query_verify(struct xmm_world *w, void *ctx)
{
    struct xmm_saferange_info si;

    (void)ctx;
    assert_rc(xmm_saferange_info(w, 1, &si), 0);
    assert_int_equal(si.told_count, 2);
}

static int create_op(struct xmm_world *w, void *ctx)
{
    struct xmm_domain_opts o = dopts(64);

    (void)ctx;
    return xmm_domain_create(w, 1, &o);
}

static void create_verify(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    assert_int_equal(range_of(w, 1).gfn.g, 0x80000);
}

static void test_alloc_failure(void **state)
{
    struct xmm_world_opts qo = tu_opts();
    struct tu_afd q = { .name = "saferange query", .opts = &qo, .setup = query_setup,
                        .op = query_op, .verify = query_verify };
    struct tu_afd c = { .name = "create with auto range", .op = create_op,
                        .verify = create_verify };

    (void)state;
    qo.policy.safe_range = XMM_SAFE_RANGE_QUERY;
    assert_int_equal(tu_alloc_fail_drive(&q), 1);
    assert_true(tu_alloc_fail_drive(&c) >= 1);
}

/* The told list goes with the domain (the leak check in tu_world_free). */
static void test_told_freed(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_QUERY);
    struct xmm_saferange out[1];
    size_t n;

    (void)state;
    tu_domain(w, 1, 64);
    tu_domain(w, 2, 64);
    assert_rc(xmm_saferange_query(w, 1, out, 1, &n), 0);
    assert_rc(xmm_saferange_query(w, 2, out, 1, &n), 0);
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w); /* d2's list is freed with the world */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_formula),
        cmocka_unit_test(test_auto_small_domu),
        cmocka_unit_test(test_auto_dom0_and_large_ram),
        cmocka_unit_test(test_auto_above_mmio),
        cmocka_unit_test(test_auto_fallback_and_enospc),
        cmocka_unit_test(test_given_range),
        cmocka_unit_test(test_no_range_other_policies),
        cmocka_unit_test(test_direct_map_host_holes),
        cmocka_unit_test(test_populate_mmio_rejected),
        cmocka_unit_test(test_mappings_only_inside),
        cmocka_unit_test(test_domain_without_range),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_gnttab_region),
        cmocka_unit_test(test_gnttab_region_nospace),
        cmocka_unit_test(test_invariant_toolstack),
        cmocka_unit_test(test_invariant_abi_frames),
        cmocka_unit_test(test_query_reports_holes),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_query_direct_map),
        cmocka_unit_test(test_query_race),
        cmocka_unit_test(test_query_told_limit),
        cmocka_unit_test(test_none_counts_ram_slots),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_told_freed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
