/*
 * Grant tables v1, XENMAPSPACE_grant_table, the xenheap GFN policies and
 * the lock-order checker (seed 001).
 */
#include "testutil.h"
#include "internal.h"

#define FE 1 /* frontend: grants */
#define BE 0 /* backend: maps */
#define RAM0 0x40000
#define HOLE 0x80000 /* inside the small domains' auto safe range */
#define GNTTAB 0x38000 /* GUEST_GNTTAB_BASE: where grant-table frames go */

static struct xmm_world *world_with(enum xmm_xenheap_gfn_policy xg, enum xmm_gfn_lock_policy gl)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_world *w;

    o.policy.xenheap_gfn = xg;
    o.policy.gfn_lock = gl;
    o.policy.safe_range = XMM_SAFE_RANGE_NONE; /* seed 002 is tested on its own */
    w = tu_world(&o);
    tu_domain(w, BE, 64);
    tu_domain(w, FE, 64);
    tu_populate(w, FE, RAM0, 8);
    tu_populate(w, BE, RAM0, 8);
    return w;
}

static struct xmm_world *world(void) { return world_with(XMM_XENHEAP_GFN_PAGE_INFO, XMM_GFN_LOCK_P2M); }

static void test_grant_map_unmap(void **state)
{
    struct xmm_world *w = world();
    xmm_mfn_t mfn = tu_mfn_at(w, FE, RAM0 + 3);
    struct xmm_p2m_entry e;
    struct xmm_grant_info gi;
    xmm_grant_handle_t h;
    uint32_t before = tu_refcount(w, mfn);

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 10, BE, xmm_gfn(RAM0 + 3), false), 0);
    assert_int_equal(xmm_gnttab_nr_frames(w, FE), 1);
    assert_int_equal(tu_dom(w, FE).xenheap_pages, 1);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 10, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_int_equal(tu_refcount(w, mfn), before + 1);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE), &e), 0);
    assert_int_equal(e.type, XMM_P2M_GRANT_MAP_RW);
    assert_true(xmm_mfn_eq(e.mfn, mfn));
    assert_rc(xmm_gnttab_entry(w, FE, 10, &gi), 0);
    assert_true(gi.flags & XMM_GTF_reading);
    assert_true(gi.flags & XMM_GTF_writing);
    assert_int_equal(gi.pins_rw, 1);
    assert_int_equal(xmm_gnttab_maptrack_used(w, BE), 1);
    assert_world_clean(w);

    /* grant_end is refused while mapped; remove_physmap finds no page of BE's (ENOENT). */
    assert_err_unchanged(w, xmm_gnttab_end(w, FE, 10), -XMM_EBUSY);
    assert_err_unchanged(w, xmm_physmap_remove(w, BE, xmm_gfn(HOLE)), -XMM_ENOENT);
    assert_err_unchanged(w, xmm_gnttab_grant(w, FE, 10, BE, xmm_gfn(RAM0), false), -XMM_EBUSY);

    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
    assert_int_equal(tu_refcount(w, mfn), before);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE), &e), -XMM_ENOENT);
    assert_rc(xmm_gnttab_entry(w, FE, 10, &gi), 0);
    assert_int_equal(gi.flags & (XMM_GTF_reading | XMM_GTF_writing), 0);
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_bad_handle);
    assert_rc(xmm_gnttab_end(w, FE, 10), 0);
    assert_err_unchanged(w, xmm_gnttab_end(w, FE, 10), -XMM_EINVAL);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_readonly(void **state)
{
    struct xmm_world *w = world();
    struct xmm_p2m_entry e;
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 9, BE, xmm_gfn(RAM0), true), 0);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 9, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_general_error);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 9, xmm_gfn(HOLE), true, &h), XMM_GNTST_okay);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE), &e), 0);
    assert_int_equal(e.type, XMM_P2M_GRANT_MAP_RO);
    assert_world_clean(w);
    tu_world_free(w);
}

/* Every GNTST error map_grant_ref and unmap give, each leaving the world alone. */
static void test_map_errors(void **state)
{
    struct xmm_world *w = world();
    xmm_grant_handle_t h;

    (void)state;
    tu_domain(w, 2, 8);
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 1), false), 0);
    assert_rc(xmm_gnttab_grant(w, FE, 11, 2, xmm_gfn(RAM0 + 1), false), 0);
    assert_rc(xmm_gnttab_grant(w, FE, 12, BE, xmm_gfn(0x99999), false), 0);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, 77, 8, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_bad_domain);
    /* The mapper's own table: no refusal of ld == rd, the ref is beyond it. */
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, BE, 8, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_bad_gntref);
    assert_err_unchanged(w, xmm_gnttab_map(w, 77, FE, 8, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_general_error);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 512, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_bad_gntref);
    /* entry for another domain, unused entry */
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 11, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_general_error);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 13, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_general_error);
    /* get_paged_frame: the granted gfn maps nothing */
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 12, xmm_gfn(HOLE), false, &h),
                         XMM_GNTST_bad_page);
    /* gfn taken, gfn out of range */
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(RAM0), false, &h),
                         XMM_GNTST_bad_virt_addr);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(XMM_FRAME_LIMIT), false, &h),
                         XMM_GNTST_bad_virt_addr);
    assert_err_unchanged(w, xmm_gnttab_unmap(w, BE, 0), XMM_GNTST_bad_handle);
    assert_err_unchanged(w, xmm_gnttab_unmap(w, 77, 0), XMM_GNTST_general_error);
    /* guest-side errno paths */
    assert_err_unchanged(w, xmm_gnttab_grant(w, 77, 1, BE, xmm_gfn(RAM0), false), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_gnttab_grant(w, FE, 64 * 512, BE, xmm_gfn(RAM0), false),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_gnttab_grant(w, FE, 1, BE, xmm_gfn(XMM_FRAME_LIMIT), false),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_gnttab_end(w, 77, 1), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_gnttab_end(w, FE, 4096), -XMM_EINVAL);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * get_maptrack_handle keeps one entry on a vCPU's free list: with one vCPU
 * and one maptrack frame, 511 mappings; the handle is taken before the ref
 * is looked at, so a full maptrack answers GNTST_no_space even to a bad ref.
 */
static void test_maptrack_exhaustion(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_domain_opts bo = XMM_DOMAIN_OPTS_INIT;
    struct xmm_world *w = tu_world(&o);
    xmm_grant_handle_t h, first = 0;

    (void)state;
    bo.max_pages = 8;
    bo.maptrack_frames = 1;
    assert_rc(xmm_domain_create(w, BE, &bo), 0);
    tu_domain(w, FE, 8);
    tu_populate(w, FE, RAM0, 1);
    /* 128 read-only maps per entry at most: spread over entries 8..11. */
    for (uint32_t i = 0; i < XMM_MAPTRACK_PER_FRAME - 1; i++) {
        uint32_t ref = 8 + i / 128;

        if (i % 128 == 0)
            assert_rc(xmm_gnttab_grant(w, FE, ref, BE, xmm_gfn(RAM0), true), 0);
        assert_int_equal(xmm_gnttab_map(w, BE, FE, ref, xmm_gfn(HOLE + i), true, &h),
                         XMM_GNTST_okay);
        assert_int_equal(h, i); /* handed out in order */
        if (i == 0)
            first = h;
    }
    assert_int_equal(xmm_gnttab_maptrack_used(w, BE), XMM_MAPTRACK_PER_FRAME - 1);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 11, xmm_gfn(HOLE + 9999), true, &h),
                         XMM_GNTST_no_space);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 600, xmm_gfn(HOLE + 9999), true, &h),
                         XMM_GNTST_no_space);
    /* A freed handle goes behind the one kept: the next map gets 511, then none. */
    assert_int_equal(xmm_gnttab_unmap(w, BE, first), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 11, xmm_gfn(HOLE + 9999), true, &h),
                     XMM_GNTST_okay);
    assert_int_equal(h, XMM_MAPTRACK_PER_FRAME - 1);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 11, xmm_gfn(HOLE + 9998), true, &h),
                         XMM_GNTST_no_space);
    assert_world_clean(w);
    tu_world_free(w);
}

/* GNTPIN_incr2oflow_mask: the 129th map of one kind of one entry is refused. */
static void test_pin_overflow(void **state)
{
    struct xmm_world *w = world();
    struct xmm_grant_info gi;
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0), false), 0);
    for (uint32_t i = 0; i < 128; i++)
        assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + i), false, &h),
                         XMM_GNTST_okay);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + 300), false, &h),
                         XMM_GNTST_general_error);
    /* The read counter is another one: 128 more, read-only. */
    for (uint32_t i = 0; i < 128; i++)
        assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + 400 + i), true, &h),
                         XMM_GNTST_okay);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + 600), true, &h),
                         XMM_GNTST_general_error);
    assert_rc(xmm_gnttab_entry(w, FE, 8, &gi), 0);
    assert_int_equal(gi.pins_rw, 128);
    assert_int_equal(gi.pins_ro, 128);
    /* One unmap makes room for one more of that kind. */
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + 600), true, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    tu_world_free(w);
}

/* map_grant_ref has no ld == rd refusal: a domain may map its own grant. */
static void test_map_own_grant(void **state)
{
    struct xmm_world *w = world();
    xmm_mfn_t mfn = tu_mfn_at(w, FE, RAM0 + 4);
    struct xmm_p2m_entry e;
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, FE, xmm_gfn(RAM0 + 4), false), 0);
    assert_int_equal(xmm_gnttab_map(w, FE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_rc(xmm_p2m_lookup(w, FE, xmm_gfn(HOLE), &e), 0);
    assert_int_equal(e.type, XMM_P2M_GRANT_MAP_RW);
    assert_true(xmm_mfn_eq(e.mfn, mfn));
    assert_int_equal(tu_refcount(w, mfn), 2);
    assert_world_clean(w);
    /* Its own teardown releases the mapping first, then everything goes. */
    assert_rc(xmm_domain_destroy(w, FE, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, FE), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* get_paged_frame: only a page the granter owns and can take a reference on. */
static void test_bad_page(void **state)
{
    struct xmm_world_opts o = tu_opts();
    struct xmm_mmio_region mmio = { { 0x9000 }, 16, "uart" };
    struct xmm_world *w;
    xmm_grant_handle_t h, hb;

    (void)state;
    o.policy.safe_range = XMM_SAFE_RANGE_NONE;
    o.mmio = &mmio;
    o.mmio_count = 1;
    w = tu_world(&o);
    tu_domain(w, BE, 64);
    tu_domain(w, FE, 64);
    tu_domain(w, 2, 64);
    tu_populate(w, FE, RAM0, 4);
    tu_populate(w, 2, RAM0, 4);
    assert_rc(xmm_physmap_map_mmio(w, FE, xmm_gfn(0x9000), xmm_mfn(0x9000), 1), 0);
    assert_rc(xmm_physmap_map_foreign(w, FE, xmm_gfn(0x70000), 2, xmm_gfn(RAM0)), 0);
    assert_rc(xmm_gnttab_grant(w, 2, 8, FE, xmm_gfn(RAM0 + 1), false), 0);
    assert_int_equal(xmm_gnttab_map(w, FE, 2, 8, xmm_gfn(0x70001), false, &hb), XMM_GNTST_okay);
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(0x9000), false), 0);  /* MMIO */
    assert_rc(xmm_gnttab_grant(w, FE, 9, BE, xmm_gfn(0x70000), false), 0); /* foreign */
    assert_rc(xmm_gnttab_grant(w, FE, 10, BE, xmm_gfn(0x70001), false), 0); /* a grant */
    assert_rc(xmm_gnttab_grant(w, FE, 11, BE, xmm_gfn(RAM0 + 9), false), 0); /* nothing */
    for (xmm_grant_ref_t ref = 8; ref <= 11; ref++)
        assert_err_unchanged(w, xmm_gnttab_map(w, BE, FE, ref, xmm_gfn(HOLE), false, &h),
                             XMM_GNTST_bad_page);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Arm's get_paged_frame ignores whether the map is read-only (its
 * check_get_page_from_gfn query flags do nothing on Arm): a write map of a
 * granter's ram_ro gfn is allowed when the grant itself is not read-only.
 */
static void test_write_map_of_ram_ro(void **state)
{
    struct xmm_world *w = world();
    xmm_mfn_t mfn = tu_mfn_at(w, FE, RAM0 + 5);
    struct xmm_p2m_entry e;
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_p2m_set(w, FE, xmm_gfn(RAM0 + 5), mfn, XMM_P2M_RAM_RO), 0);
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 5), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE), &e), 0);
    assert_int_equal(e.type, XMM_P2M_GRANT_MAP_RW);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * No is_dying check on the granter: while its P2M is intact (the kill was
 * preempted before the P2M stage) its page can be mapped, and the mapping
 * keeps it a zombie.  Once the P2M is gone (a zombie): GNTST_bad_page.
 */
static void test_dying_granter(void **state)
{
    struct xmm_world *w = world();
    xmm_grant_handle_t h;

    (void)state;
    tu_domain(w, 3, 1024);
    tu_populate(w, 3, RAM0, 600);
    assert_rc(xmm_gnttab_grant(w, 3, 8, BE, xmm_gfn(RAM0 + 599), false), 0);
    assert_rc(xmm_gnttab_grant(w, 3, 9, BE, xmm_gfn(RAM0 + 598), false), 0);
    assert_rc(xmm_domain_kill(w, 3), -XMM_ERESTART);
    assert_int_equal(xmm_domain_state(w, 3), XMM_DOMAIN_DYING);
    /* The first call removed the first 512 P2M leaves: the granted ones remain. */
    assert_int_equal(xmm_gnttab_map(w, BE, 3, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_rc(xmm_domain_destroy(w, 3, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 3), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(tu_dom(w, 3).tot_pages, 1);
    assert_err_unchanged(w, xmm_gnttab_map(w, BE, 3, 9, xmm_gfn(HOLE + 1), false, &h),
                         XMM_GNTST_bad_page);
    assert_world_clean(w);
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
    assert_int_equal(xmm_domain_state(w, 3), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * put_maptrack_handle appends: a stale handle is not reused at once, and a
 * second unmap of it is refused without touching the newer mapping.
 */
static void test_stale_handle(void **state)
{
    struct xmm_world *w = world();
    xmm_grant_handle_t a, b;
    struct xmm_p2m_entry e;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 1), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &a), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_unmap(w, BE, a), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE + 1), false, &b), XMM_GNTST_okay);
    assert_true(b != a);
    assert_err_unchanged(w, xmm_gnttab_unmap(w, BE, a), XMM_GNTST_bad_handle);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE + 1), &e), 0);
    assert_int_equal(e.type, XMM_P2M_GRANT_MAP_RW);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * The checker, both ways, reports a maptrack record whose granter
 * incarnation no longer exists.  The model cannot make one any more (a
 * mapping keeps its granter), so the test gives the granter a new
 * incarnation behind the model's back, as an id reuse would look.
 */
static void test_stale_granter_reported(void **state)
{
    struct xmm_world *w = world();
    struct xmm_check_report rep;
    struct xmm_domain *d;
    xmm_grant_handle_t h;
    uint64_t old;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 1), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_world_clean(w);
    d = domain_find(w, FE);
    old = d->inc;
    d->inc = ++w->last_inc;
    domain_touch(w, d);
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_ISOLATION));
    /* The unmap does not touch the "new" domain's pins: it refuses. */
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_general_error);
    d->inc = old;
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
    tu_world_free(w);
}

/* replace_grant_host_mapping's checks on the host gfn the guest names. */
static void test_unmap_host(void **state)
{
    struct xmm_world *w = world();
    xmm_grant_handle_t h;
    struct xmm_p2m_entry e;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 1), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    /* another frame at that gfn (BE's own RAM): -EILSEQ, nothing changes */
    assert_err_unchanged(w, xmm_gnttab_unmap_host(w, BE, h, xmm_gfn(RAM0)),
                         XMM_GNTST_general_error);
    assert_err_unchanged(w, xmm_gnttab_unmap_host(w, BE, h, xmm_gfn(XMM_FRAME_LIMIT)),
                         XMM_GNTST_general_error);
    /* host_addr 0: nothing undone, the handle stays */
    assert_err_unchanged(w, xmm_gnttab_unmap_host(w, BE, h, xmm_gfn(0)), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_unmap_host(w, BE, h, xmm_gfn(HOLE)), XMM_GNTST_okay);
    assert_rc(xmm_p2m_lookup(w, BE, xmm_gfn(HOLE), &e), -XMM_ENOENT);
    assert_int_equal(xmm_gnttab_maptrack_used(w, BE), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

/* The backend keeps the frontend's pages: zombie until the unmap. */
static void test_frontend_destroyed_while_mapped(void **state)
{
    struct xmm_world *w = world();
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 2), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_rc(xmm_domain_destroy(w, FE, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, FE), XMM_DOMAIN_ZOMBIE);
    assert_int_equal(tu_dom(w, FE).tot_pages, 1);
    assert_world_clean(w);
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
    assert_int_equal(xmm_domain_state(w, FE), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

/* The backend's own teardown releases the mappings it holds. */
static void test_backend_destroyed_releases(void **state)
{
    struct xmm_world *w = world();
    xmm_mfn_t mfn = tu_mfn_at(w, FE, RAM0 + 2);
    xmm_grant_handle_t h;

    (void)state;
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 2), false), 0);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h), XMM_GNTST_okay);
    assert_rc(xmm_domain_destroy(w, BE, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, BE), XMM_DOMAIN_GONE);
    assert_int_equal(tu_refcount(w, mfn), 1);
    assert_rc(xmm_gnttab_end(w, FE, 8), 0);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_map_frame_page_info(void **state)
{
    struct xmm_world *w = world();
    struct xmm_frame_info fi;
    xmm_mfn_t gf;

    (void)state;
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB)), 0);
    gf = xmm_gnttab_frame_mfn(w, FE, 0);
    fi = tu_frame(w, gf);
    assert_true(fi.xen_heap);
    assert_int_equal(fi.owner, FE);
    assert_int_equal(xmm_gfn_x(fi.xenheap_gfn), GNTTAB);
    assert_err_unchanged(w, xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB + 1)), -XMM_EBUSY);
    assert_rc(xmm_physmap_remove(w, FE, xmm_gfn(GNTTAB)), 0);
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, gf), XMM_INVALID_GFN));
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB + 1)), 0);
    assert_err_unchanged(w, xmm_gnttab_map_frame(w, FE, 64, xmm_gfn(GNTTAB)), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_gnttab_map_frame(w, 77, 0, xmm_gfn(GNTTAB)), -XMM_ESRCH);
    assert_rc(xmm_gnttab_map_frame(w, FE, 3, xmm_gfn(GNTTAB + 8)), 0);
    assert_int_equal(xmm_gnttab_nr_frames(w, FE), 4);
    assert_world_clean(w);
    /* Teardown hands the frames back to Xen, then frees them with the domain. */
    assert_rc(xmm_domain_destroy(w, FE, 100, NULL), 0);
    assert_int_equal(xmm_domain_state(w, FE), XMM_DOMAIN_GONE);
    assert_true(tu_frame(w, gf).free);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * Seed 001: with the side array, remove_physmap leaves a stale GFN; a later
 * remap removes whatever sits there now (here a foreign mapping).
 */
static void test_stale_gfn_array(void **state)
{
    struct xmm_world *w = world_with(XMM_XENHEAP_GFN_ARRAY, XMM_GFN_LOCK_P2M);
    struct xmm_check_report rep;
    struct xmm_p2m_entry e;

    (void)state;
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB)), 0);
    assert_world_clean(w);
    assert_rc(xmm_physmap_remove(w, FE, xmm_gfn(GNTTAB)), 0);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_XENHEAP_GFN));
    assert_rc(xmm_physmap_map_foreign(w, FE, xmm_gfn(GNTTAB), BE, xmm_gfn(RAM0)), 0);
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB + 5)), 0);
    /* The unrelated foreign mapping at the old gfn is gone. */
    assert_rc(xmm_p2m_lookup(w, FE, xmm_gfn(GNTTAB), &e), -XMM_ENOENT);
    tu_world_free(w);
}

static void test_lock_order(void **state)
{
    struct xmm_check_report rep;
    struct xmm_world *w;

    (void)state;
    /* gfn_lock=p2m: map then remove a grant frame, no cycle. */
    w = world();
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB)), 0);
    assert_rc(xmm_physmap_remove(w, FE, xmm_gfn(GNTTAB)), 0);
    assert_world_clean(w);
    tu_world_free(w);

    /* gfn_lock=grant (RFC v3): the same two calls close a cycle. */
    w = world_with(XMM_XENHEAP_GFN_PAGE_INFO, XMM_GFN_LOCK_GRANT);
    assert_rc(xmm_gnttab_map_frame(w, FE, 0, xmm_gfn(GNTTAB)), 0);
    assert_int_equal(xmm_check_incremental(w, &rep), 0);
    assert_rc(xmm_physmap_remove(w, FE, xmm_gfn(GNTTAB)), 0);
    assert_true(xmm_check_incremental(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_LOCK_ORDER));
    assert_true(xmm_check_full(w, &rep) > 0);
    assert_true(tu_report_has(&rep, XMM_INV_LOCK_ORDER));
    tu_world_free(w);
}

/* --- allocation failure ----------------------------------------------------- */

static void setup_pair(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    tu_domain(w, BE, 64);
    tu_domain(w, FE, 64);
    tu_populate(w, FE, RAM0, 8);
    assert_rc(xmm_gnttab_grant(w, FE, 8, BE, xmm_gfn(RAM0 + 1), false), 0);
}

/* Nodes for HOLE exist: only the maptrack allocates (fails with no_space). */
static void setup_nodes(struct xmm_world *w, void *ctx)
{
    setup_pair(w, ctx);
    tu_populate(w, BE, HOLE + 1, 1);
}

/* The maptrack exists: only the P2M node reservation allocates (general_error). */
static void setup_maptrack(struct xmm_world *w, void *ctx)
{
    xmm_grant_handle_t h;

    setup_pair(w, ctx);
    tu_populate(w, BE, RAM0, 1);
    assert_int_equal(xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(RAM0 + 1), false, &h), XMM_GNTST_okay);
    assert_int_equal(xmm_gnttab_unmap(w, BE, h), XMM_GNTST_okay);
}

static int op_grant_grow(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_gnttab_grant(w, FE, 5 * 512 + 3, BE, xmm_gfn(RAM0), false);
}

static int op_map(struct xmm_world *w, void *ctx)
{
    xmm_grant_handle_t h;
    int rc;

    (void)ctx;
    rc = xmm_gnttab_map(w, BE, FE, 8, xmm_gfn(HOLE), false, &h);
    return rc == XMM_GNTST_okay ? 0 : rc;
}

static int op_map_frame(struct xmm_world *w, void *ctx)
{
    (void)ctx;
    return xmm_gnttab_map_frame(w, FE, 2, xmm_gfn(GNTTAB));
}

static int op_create(struct xmm_world *w, void *ctx)
{
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;

    (void)ctx;
    o.max_pages = 4;
    return xmm_domain_create(w, 5, &o);
}

static void test_alloc_failure(void **state)
{
    /* Safe ranges off: the setups place RAM and mappings freely. */
    static struct xmm_world_opts o;
    struct tu_afd grow = { .name = "grant grow", .setup = setup_pair, .op = op_grant_grow };
    struct tu_afd create = { .name = "create with gnttab", .op = op_create };
    struct tu_afd frame = { .name = "map grant frame", .setup = setup_pair, .op = op_map_frame };
    struct tu_afd map_mt = { .name = "grant map: maptrack", .setup = setup_nodes, .op = op_map,
                             .enomem = XMM_GNTST_no_space };
    struct tu_afd map_p2m = { .name = "grant map: p2m", .setup = setup_maptrack, .op = op_map,
                              .enomem = XMM_GNTST_general_error };

    (void)state;
    o = tu_opts();
    o.policy.safe_range = XMM_SAFE_RANGE_NONE;
    grow.opts = create.opts = frame.opts = map_mt.opts = map_p2m.opts = &o;
    assert_true(tu_alloc_fail_drive(&grow) >= 2);
    assert_true(tu_alloc_fail_drive(&create) >= 2);
    assert_true(tu_alloc_fail_drive(&frame) >= 2);
    assert_int_equal(tu_alloc_fail_drive(&map_mt), 1);
    assert_true(tu_alloc_fail_drive(&map_p2m) >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grant_map_unmap),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_map_errors),
        cmocka_unit_test(test_maptrack_exhaustion),
        cmocka_unit_test(test_pin_overflow),
        cmocka_unit_test(test_map_own_grant),
        cmocka_unit_test(test_bad_page),
        cmocka_unit_test(test_write_map_of_ram_ro),
        cmocka_unit_test(test_dying_granter),
        cmocka_unit_test(test_stale_handle),
        cmocka_unit_test(test_unmap_host),
        cmocka_unit_test(test_stale_granter_reported),
        cmocka_unit_test(test_frontend_destroyed_while_mapped),
        cmocka_unit_test(test_backend_destroyed_releases),
        cmocka_unit_test(test_map_frame_page_info),
        cmocka_unit_test(test_stale_gfn_array),
        cmocka_unit_test(test_lock_order),
        cmocka_unit_test(test_alloc_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
