/*
 * libxmm unit tests - the P2M radix tree: set / lookup / remove, the
 * ordered walk, node accounting, leaf put semantics, and a comparison with
 * a simple reference model over random operations.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* Worlds without a toolstack safe range: mappings go anywhere. */
static struct xmm_world *world_up(void)
{
    struct xmm_world_opts o = tu_opts_upstream();

    return tu_world(&o);
}

#define TOP (XMM_FRAME_LIMIT - 1)
/* mfns below RAM (0x40000): the P2M stores them, no frame is involved. */
#define NOT_RAM(n) xmm_mfn(0x1000 + (n))

static void assert_entry(struct xmm_world *w, xmm_domid_t dom, uint64_t gfn, xmm_mfn_t mfn,
                         enum xmm_p2m_type t)
{
    struct xmm_p2m_entry e;

    assert_rc(xmm_p2m_lookup(w, dom, xmm_gfn(gfn), &e), 0);
    assert_int_equal(xmm_mfn_x(e.mfn), xmm_mfn_x(mfn));
    assert_int_equal(e.type, t);
}

static void test_set_lookup_remove(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_p2m_entry e;

    (void)state;
    tu_domain(w, 1, 0);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(5), &e), -XMM_ENOENT);
    assert_int_equal(e.type, XMM_P2M_INVALID);
    assert_true(xmm_mfn_eq(e.mfn, XMM_INVALID_MFN));
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(5), NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_entry(w, 1, 5, NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 1);
    /* Replacing keeps one entry. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(5), NOT_RAM(2), XMM_P2M_MMIO_DIRECT_NC), 0);
    assert_entry(w, 1, 5, NOT_RAM(2), XMM_P2M_MMIO_DIRECT_NC);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 1);
    /* Same entry again: nothing changes. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(5), NOT_RAM(2), XMM_P2M_MMIO_DIRECT_NC), 0);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 1);
    /* The largest mfn the P2M can hold. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(6), xmm_mfn(TOP), XMM_P2M_MMIO_DIRECT_C), 0);
    assert_entry(w, 1, 6, xmm_mfn(TOP), XMM_P2M_MMIO_DIRECT_C);
    assert_world_clean(w);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(5)), 0);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(5), &e), -XMM_ENOENT);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 1);
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(5)), -XMM_ENOENT);
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(0x123456)), -XMM_ENOENT);
    /* Nodes stay until teardown. */
    assert_int_equal(xmm_p2m_node_count(w, 1), 4);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_errors(void **state)
{
    struct xmm_world *w = world_up();
    struct xmm_p2m_entry e;
    xmm_gfn_t g;

    (void)state;
    tu_domain(w, 1, 0);
    assert_err_unchanged(w, xmm_p2m_set(w, 2, xmm_gfn(0), NOT_RAM(0), XMM_P2M_MMIO_DIRECT_DEV),
                         -XMM_ESRCH);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(XMM_FRAME_LIMIT), NOT_RAM(0),
                                        XMM_P2M_MMIO_DIRECT_DEV),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(0), xmm_mfn(XMM_FRAME_LIMIT),
                                        XMM_P2M_MMIO_DIRECT_DEV),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(0), NOT_RAM(0), XMM_P2M_INVALID),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(0), NOT_RAM(0), XMM_P2M_TYPE_COUNT),
                         -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(0), NOT_RAM(0), (enum xmm_p2m_type)-1),
                         -XMM_EINVAL);
    assert_int_equal(xmm_p2m_node_count(w, 1), 0);
    assert_rc(xmm_p2m_lookup(w, 2, xmm_gfn(0), &e), -XMM_ESRCH);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(XMM_FRAME_LIMIT), &e), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_remove(w, 2, xmm_gfn(0)), -XMM_ESRCH);
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(XMM_FRAME_LIMIT)), -XMM_EINVAL);
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(0)), -XMM_ENOENT);
    assert_rc(xmm_p2m_next(w, 2, xmm_gfn(0), &g, &e), -XMM_ESRCH);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(0), &g, &e), -XMM_ENOENT);
    assert_rc(xmm_p2m_lowest(w, 2, &g), -XMM_ESRCH);
    assert_rc(xmm_p2m_highest(w, 2, &g), -XMM_ESRCH);
    assert_rc(xmm_p2m_lowest(w, 1, &g), -XMM_ENOENT);
    assert_rc(xmm_p2m_highest(w, 1, &g), -XMM_ENOENT);
    assert_int_equal(xmm_p2m_entry_count(w, 2), 0);
    assert_int_equal(xmm_p2m_node_count(w, 2), 0);
    tu_world_free(w);
}

static void test_sparse_walk(void **state)
{
    static const uint64_t gfns[] = { 0, 511, 512, TOP };
    struct xmm_world *w = world_up();
    struct xmm_p2m_entry e;
    xmm_gfn_t g;

    (void)state;
    tu_domain(w, 1, 0);
    /* Node counts: root + L1 + L2 + leaf; 511 shares them; 512 needs a
     * leaf; 2^36-1 needs its own L1, L2 and leaf. */
    const uint64_t nodes[] = { 4, 4, 5, 8 };
    for (int i = 0; i < 4; i++) {
        assert_rc(xmm_p2m_set(w, 1, xmm_gfn(gfns[i]), NOT_RAM(i), XMM_P2M_MMIO_DIRECT_DEV), 0);
        assert_int_equal(xmm_p2m_node_count(w, 1), nodes[i]);
        assert_int_equal(xmm_p2m_entry_count(w, 1), i + 1);
    }
    assert_rc(xmm_p2m_lowest(w, 1, &g), 0);
    assert_int_equal(xmm_gfn_x(g), 0);
    assert_rc(xmm_p2m_highest(w, 1, &g), 0);
    assert_int_equal(xmm_gfn_x(g), TOP);
    /* Walk in order from every interesting start. */
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(0), &g, &e), 0);
    assert_int_equal(xmm_gfn_x(g), 0);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(1), &g, &e), 0);
    assert_int_equal(xmm_gfn_x(g), 511);
    assert_int_equal(xmm_mfn_x(e.mfn), xmm_mfn_x(NOT_RAM(1)));
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(512), &g, NULL), 0);
    assert_int_equal(xmm_gfn_x(g), 512);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(513), &g, &e), 0);
    assert_int_equal(xmm_gfn_x(g), TOP);
    assert_int_equal(e.type, XMM_P2M_MMIO_DIRECT_DEV);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(TOP), &g, &e), 0);
    assert_int_equal(xmm_gfn_x(g), TOP);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(XMM_FRAME_LIMIT), &g, &e), -XMM_ENOENT);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(UINT64_MAX), &g, &e), -XMM_ENOENT);
    /* Removing the ends moves lowest and highest inward. */
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0)), 0);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(TOP)), 0);
    assert_rc(xmm_p2m_lowest(w, 1, &g), 0);
    assert_int_equal(xmm_gfn_x(g), 511);
    assert_rc(xmm_p2m_highest(w, 1, &g), 0);
    assert_int_equal(xmm_gfn_x(g), 512);
    assert_rc(xmm_p2m_next(w, 1, xmm_gfn(513), &g, &e), -XMM_ENOENT);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(511)), 0);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(512)), 0);
    assert_rc(xmm_p2m_lowest(w, 1, &g), -XMM_ENOENT);
    assert_rc(xmm_p2m_highest(w, 1, &g), -XMM_ENOENT);
    assert_int_equal(xmm_p2m_entry_count(w, 1), 0);
    assert_int_equal(xmm_p2m_node_count(w, 1), 8);
    /* Teardown frees the empty nodes. */
    assert_rc(xmm_domain_destroy(w, 1, 10, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_foreign_leaf_put(void **state)
{
    struct xmm_world *w = world_up();
    xmm_mfn_t m;

    (void)state;
    tu_domain(w, 0, 8);
    tu_domain(w, 1, 8);
    tu_populate(w, 1, 0x10, 2);
    m = tu_mfn_at(w, 1, 0x10);
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x20), 1, xmm_gfn(0x10)), 0);
    assert_int_equal(tu_refcount(w, m), 2);
    /* Raw remove of a foreign entry drops its page reference. */
    assert_rc(xmm_p2m_remove(w, 0, xmm_gfn(0x20)), 0);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_world_clean(w);
    /* Raw replace of a foreign entry drops it too. */
    assert_rc(xmm_physmap_map_foreign(w, 0, xmm_gfn(0x20), 1, xmm_gfn(0x10)), 0);
    assert_rc(xmm_p2m_set(w, 0, xmm_gfn(0x20), NOT_RAM(0), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_world_clean(w);
    /* Raw RAM entries take no reference and put none: only the mapping moves. */
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x30), m, XMM_P2M_RAM_RO), 0);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x30)), 0);
    assert_int_equal(tu_refcount(w, m), 1);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_xenheap_leaf_put(void **state)
{
    struct xmm_world *w = world_up();
    xmm_mfn_t x;

    (void)state;
    /* A RAM entry of a xenheap frame: removing it resets the stored GFN. */
    tu_domain(w, 1, 8);
    assert_rc(xmm_xenheap_alloc(w, &x), 0);
    assert_rc(xmm_xenheap_share(w, x, 1, false), 0);
    assert_rc(xmm_p2m_set(w, 1, xmm_gfn(0x99), x, XMM_P2M_RAM_RW), 0);
    /* What XENMAPSPACE_grant_table would store with the mapping. */
    {
        struct xmm_page *pg = frame_touch(w, frame_idx(w, x));

        pg->type_info = (pg->type_info & ~XMM_PGT_gfn_mask) | 0x99;
    }
    assert_int_equal(xmm_gfn_x(xmm_page_xenheap_gfn(w, x)), 0x99);
    assert_int_equal(xmm_gfn_x(tu_frame(w, x).xenheap_gfn), 0x99);
    assert_world_clean(w);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x99)), 0);
    assert_true(xmm_gfn_eq(xmm_page_xenheap_gfn(w, x), XMM_INVALID_GFN));
    assert_int_equal(tu_frame(w, x).type_count, 1); /* only the GFN changed */
    assert_int_equal(tu_refcount(w, x), 1);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_set_dying(void **state)
{
    struct xmm_world *w = world_up();

    (void)state;
    tu_domain(w, 1, 1024);
    tu_populate(w, 1, 0, 1024);
    assert_rc(xmm_domain_kill(w, 1), -XMM_ERESTART);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_DYING);
    assert_err_unchanged(w, xmm_p2m_set(w, 1, xmm_gfn(0x5000), NOT_RAM(0),
                                        XMM_P2M_MMIO_DIRECT_DEV),
                         -XMM_ENOMEM);
    /* p2m_set_entry refuses removals too once the domain is dying. */
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(1000)), -XMM_ENOMEM);
    assert_err_unchanged(w, xmm_p2m_remove(w, 1, xmm_gfn(0x5000)), -XMM_ENOENT);
    assert_world_clean(w);
    tu_world_free(w);
}

/* --- comparison with a reference model ------------------------------------ */

#define REF_MAX 4096

struct ref_p2m {
    uint64_t gfn[REF_MAX]; /* sorted */
    uint64_t mfn[REF_MAX];
    int type[REF_MAX];
    size_t n;
};

static size_t ref_find(const struct ref_p2m *r, uint64_t gfn)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (r->gfn[mid] < gfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void ref_set(struct ref_p2m *r, uint64_t gfn, uint64_t mfn, int type)
{
    size_t i = ref_find(r, gfn);

    if (i == r->n || r->gfn[i] != gfn) {
        assert_true(r->n < REF_MAX);
        memmove(&r->gfn[i + 1], &r->gfn[i], (r->n - i) * sizeof(r->gfn[0]));
        memmove(&r->mfn[i + 1], &r->mfn[i], (r->n - i) * sizeof(r->mfn[0]));
        memmove(&r->type[i + 1], &r->type[i], (r->n - i) * sizeof(r->type[0]));
        r->n++;
    }
    r->gfn[i] = gfn;
    r->mfn[i] = mfn;
    r->type[i] = type;
}

static bool ref_remove(struct ref_p2m *r, uint64_t gfn)
{
    size_t i = ref_find(r, gfn);

    if (i == r->n || r->gfn[i] != gfn)
        return false;
    memmove(&r->gfn[i], &r->gfn[i + 1], (r->n - i - 1) * sizeof(r->gfn[0]));
    memmove(&r->mfn[i], &r->mfn[i + 1], (r->n - i - 1) * sizeof(r->mfn[0]));
    memmove(&r->type[i], &r->type[i + 1], (r->n - i - 1) * sizeof(r->type[0]));
    r->n--;
    return true;
}

/* Distinct node prefixes ever used, to predict the node count. */
struct prefix_set {
    uint64_t v[REF_MAX];
    size_t n;
};

static void prefix_add(struct prefix_set *s, uint64_t p)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == p)
            return;
    assert_true(s->n < REF_MAX);
    s->v[s->n++] = p;
}

/* gfns clustered at node boundaries, plus some anywhere. */
static uint64_t pick_gfn(uint64_t *rs)
{
    static const uint64_t bases[] = { 0,
                                      512,
                                      UINT64_C(1) << 18,
                                      UINT64_C(1) << 27,
                                      (UINT64_C(1) << 27) + (UINT64_C(1) << 18),
                                      XMM_FRAME_LIMIT - 1024 };
    uint64_t r = tu_rand(rs);

    if (r % 8 == 0)
        return tu_rand(rs) % XMM_FRAME_LIMIT;
    return bases[(r >> 8) % 6] + ((r >> 16) % 1024) - (bases[(r >> 8) % 6] ? 512 : 0);
}

static void test_reference_model(void **state)
{
    struct xmm_world *w = world_up();
    struct ref_p2m *ref = calloc(1, sizeof(*ref));
    struct prefix_set *pre = calloc(3, sizeof(*pre));
    uint64_t rs = tu_seed(0x5eed0001), roots = 0;

    (void)state;
    assert_non_null(ref);
    assert_non_null(pre);
    tu_domain(w, 1, 0);
    for (int step = 0; step < 4000; step++) {
        uint64_t op = tu_rand(&rs) % 10, gfn = pick_gfn(&rs);
        struct xmm_p2m_entry e;
        xmm_gfn_t g;
        size_t i;

        if (op < 4 && ref->n < REF_MAX - 1) {
            uint64_t mfn = tu_rand(&rs) % 0x40000; /* below RAM */
            int t = 1 + (int)(tu_rand(&rs) % (XMM_P2M_TYPE_COUNT - 1));

            assert_rc(xmm_p2m_set(w, 1, xmm_gfn(gfn), xmm_mfn(mfn), (enum xmm_p2m_type)t), 0);
            ref_set(ref, gfn, mfn, t);
            roots = 1;
            prefix_add(&pre[0], gfn >> 27);
            prefix_add(&pre[1], gfn >> 18);
            prefix_add(&pre[2], gfn >> 9);
        } else if (op < 6) {
            bool had = ref_remove(ref, gfn);

            assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(gfn)), had ? 0 : -XMM_ENOENT);
        } else if (op < 8) {
            i = ref_find(ref, gfn);
            if (i < ref->n) {
                assert_rc(xmm_p2m_next(w, 1, xmm_gfn(gfn), &g, &e), 0);
                assert_true(xmm_gfn_x(g) == ref->gfn[i]);
                assert_true(xmm_mfn_x(e.mfn) == ref->mfn[i]);
                assert_int_equal(e.type, ref->type[i]);
            } else {
                assert_rc(xmm_p2m_next(w, 1, xmm_gfn(gfn), &g, &e), -XMM_ENOENT);
            }
        } else {
            i = ref_find(ref, gfn);
            if (i < ref->n && ref->gfn[i] == gfn) {
                assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(gfn), &e), 0);
                assert_true(xmm_mfn_x(e.mfn) == ref->mfn[i]);
                assert_int_equal(e.type, ref->type[i]);
            } else {
                assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(gfn), &e), -XMM_ENOENT);
            }
        }
        assert_int_equal(xmm_p2m_entry_count(w, 1), ref->n);
        assert_int_equal(xmm_p2m_node_count(w, 1), roots + pre[0].n + pre[1].n + pre[2].n);
        if (ref->n) {
            assert_rc(xmm_p2m_lowest(w, 1, &g), 0);
            assert_true(xmm_gfn_x(g) == ref->gfn[0]);
            assert_rc(xmm_p2m_highest(w, 1, &g), 0);
            assert_true(xmm_gfn_x(g) == ref->gfn[ref->n - 1]);
        } else {
            assert_rc(xmm_p2m_lowest(w, 1, &g), -XMM_ENOENT);
            assert_rc(xmm_p2m_highest(w, 1, &g), -XMM_ENOENT);
        }
    }
    /* A full ordered walk visits exactly the model's entries. */
    {
        uint64_t from = 0;
        size_t n = 0;
        xmm_gfn_t g;
        struct xmm_p2m_entry e;

        while (xmm_p2m_next(w, 1, xmm_gfn(from), &g, &e) == 0) {
            assert_true(n < ref->n);
            assert_true(xmm_gfn_x(g) == ref->gfn[n]);
            n++;
            from = xmm_gfn_x(g) + 1;
        }
        assert_int_equal(n, ref->n);
    }
    /* Destroy frees every node, however sparse. */
    assert_rc(xmm_domain_destroy(w, 1, 1000, NULL), 0);
    assert_int_equal(xmm_domain_state(w, 1), XMM_DOMAIN_GONE);
    free(ref);
    free(pre);
    tu_world_free(w);
}

/*
 * xmm_p2m_lookup_many gives what one xmm_p2m_lookup per gfn gives: over a
 * sparse P2M, for mapped, unmapped and out-of-range gfns, batches of every
 * length around the pipeline's depth, and for a domain that does not exist.
 */
static void test_lookup_many(void **state)
{
    struct xmm_world *w = world_up();
    enum { N = 700 };
    xmm_gfn_t g[N];
    struct xmm_p2m_entry out[N], one;
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned mapped = 0;

    (void)state;
    tu_domain(w, 1, 0);
    for (unsigned i = 0; i < 300; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        assert_rc(xmm_p2m_set(w, 1, xmm_gfn((x >> 20) % 0x200000), NOT_RAM(i),
                              XMM_P2M_MMIO_DIRECT_DEV + (int)(i % 3)), 0);
    }
    x = 0x9e3779b97f4a7c15u;
    for (unsigned i = 0; i < N; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        g[i] = i % 7 == 6 ? xmm_gfn(XMM_FRAME_LIMIT + i) :
               i % 2 ? xmm_gfn((x >> 20) % 0x200000) : xmm_gfn((x >> 7) % XMM_FRAME_LIMIT);
    }
    for (size_t n = 0; n <= N; n += n < 40 ? 1 : 331) {
        memset(out, 0xa5, sizeof(out));
        assert_rc(xmm_p2m_lookup_many(w, 1, g, n, out), 0);
        for (size_t i = 0; i < n; i++) {
            int rc = xmm_p2m_lookup(w, 1, g[i], &one);

            mapped += rc == 0;
            assert_true(xmm_mfn_eq(out[i].mfn, one.mfn));
            assert_int_equal(out[i].type, one.type);
        }
        assert_int_equal(out[n < N ? n : N - 1].type, n < N ? (enum xmm_p2m_type)0xa5a5a5a5
                                                             : out[N - 1].type);
    }
    assert_true(mapped > 100); /* the batch did meet mapped gfns */
    assert_rc(xmm_p2m_lookup_many(w, 9, g, 3, out), -XMM_ESRCH);
    assert_int_equal(out[2].type, XMM_P2M_INVALID);
    assert_world_clean(w);
    tu_world_free(w);
}

/*
 * The lookup's inline fast path (include/xmm/p2m.h) against the truth,
 * xmm_p2m_lookup_word (the by-id table and the walk from the root, no
 * fast-path slot): every probe, for domain ids below, at and past the
 * slots, after each change of the slots: creation, a first mapping (the
 * level-1 node appears), the table growing, a destroy (the nodes go), in
 * a clone, and in a shared copy before and after its first change.  The
 * exported symbol, called through a pointer, agrees too.
 * set_probes maps four of the probe gfns (two below the fast path's limit,
 * two above it).
 */
static void assert_fast_path(const struct xmm_world *w, unsigned mapped)
{
    int (*volatile ool)(const struct xmm_world *, xmm_domid_t, xmm_gfn_t,
                        struct xmm_p2m_entry *) = xmm_p2m_lookup;
    static const uint64_t gfns[] = { 0, 5, 0x40000, 0x40001, 0x7ffffff, 0x8000000, 0x8000005,
                                     TOP, XMM_FRAME_LIMIT, ~UINT64_C(0) };
    static const xmm_domid_t doms[] = { 0, 1, 2, 3, 15, 16, 40, 63, 64, 200, XMM_DOMID_MAX,
                                        XMM_DOMID_INVALID, 0xffff };
    unsigned ok = 0;

    for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++)
        for (size_t j = 0; j < sizeof(gfns) / sizeof(gfns[0]); j++) {
            uint64_t word = xmm_p2m_lookup_word(w, doms[i], xmm_gfn(gfns[j]));
            struct xmm_p2m_entry e, o;
            int rc = xmm_p2m_lookup(w, doms[i], xmm_gfn(gfns[j]), &e);

            assert_rc(ool(w, doms[i], xmm_gfn(gfns[j]), &o), rc);
            assert_true(xmm_mfn_eq(e.mfn, o.mfn));
            assert_int_equal(e.type, o.type);
            if (word & XMM_P2M_LEAF_VALID) {
                assert_rc(rc, 0);
                assert_int_equal(xmm_mfn_x(e.mfn), word & XMM_P2M_LEAF_MFN_MASK);
                assert_int_equal(e.type, (word >> XMM_P2M_LEAF_TYPE_SHIFT) & 0xF);
                ok++;
            } else {
                assert_rc(rc, -(int)word);
                assert_true(xmm_mfn_eq(e.mfn, XMM_INVALID_MFN));
                assert_int_equal(e.type, XMM_P2M_INVALID);
            }
        }
    assert_int_equal(ok, mapped); /* the probes that hit a mapping */
}

/*
 * The leaf directory behind the fast path is exact: every slot the inline
 * lookup reads (each id of the table by id and the one for the ids past
 * it) is its domain's directory, or empty for an id no domain has; the
 * directory names, at index k, the real leaf node of gfns k * 512.. of
 * that P2M's own tree (walked here from its level-1 node, node by node,
 * empty leaf nodes included) and the shared empty leaf node elsewhere, and
 * its len is one past the last real one.  Returns the real leaf nodes seen.
 */
static unsigned assert_dir_exact(const struct xmm_world *w)
{
    const uint64_t *empty = p2m_empty_nodes[3].e;
    unsigned leaves = 0;

    assert_int_equal(w->fast.slot[w->fast.cap].len, 0);
    for (size_t id = 0; id < w->fast.cap; id++) {
        const struct xmm_domain *d = domain_by_id(w, (xmm_domid_t)id);
        const struct xmm_p2m_fast_slot *s = &w->fast.slot[id];
        size_t len = 0;

        if (!d) {
            assert_int_equal(s->len, 0);
            continue;
        }
        assert_ptr_equal(s->dir, d->p2m.dir);
        assert_int_equal(s->len, d->p2m.dir_len);
        assert_true(d->p2m.dir_len <= d->p2m.dir_cap);
        for (size_t k = 0; k < d->p2m.dir_cap; k++) {
            const struct p2m_node *n2 = (const struct p2m_node *)(uintptr_t)d->p2m.low->e[k >> 9];
            const uint64_t *leaf = ((const struct p2m_node *)(uintptr_t)n2->e[k & 511])->e;

            assert_ptr_equal(d->p2m.dir[k], leaf);
            if (leaf != empty) {
                len = k + 1;
                leaves++;
            }
        }
        assert_int_equal(d->p2m.dir_len, len);
        /* no real leaf node below the limit past the directory's capacity */
        for (size_t k = d->p2m.dir_cap; k < (size_t)(XMM_P2M_FAST_GFN_LIMIT >> 9); k++) {
            const struct p2m_node *n2 = (const struct p2m_node *)(uintptr_t)d->p2m.low->e[k >> 9];

            if (n2 == &p2m_empty_nodes[2]) {
                k |= 511;
                continue;
            }
            assert_ptr_equal(((const struct p2m_node *)(uintptr_t)n2->e[k & 511])->e, empty);
        }
    }
    return leaves;
}

static void set_probes(struct xmm_world *w, xmm_domid_t dom)
{
    assert_rc(xmm_p2m_set(w, dom, xmm_gfn(5), NOT_RAM(dom), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_rc(xmm_p2m_set(w, dom, xmm_gfn(0x7ffffff), NOT_RAM(dom + 1), XMM_P2M_MMIO_DIRECT_C), 0);
    assert_rc(xmm_p2m_set(w, dom, xmm_gfn(0x8000005), NOT_RAM(dom + 2), XMM_P2M_MMIO_DIRECT_NC), 0);
    assert_rc(xmm_p2m_set(w, dom, xmm_gfn(TOP), xmm_mfn(TOP), XMM_P2M_MMIO_DIRECT_DEV), 0);
}

static void test_fast_path(void **state)
{
    struct xmm_world *w = world_up(), *c = NULL, *s = NULL;
    struct xmm_p2m_entry e;

    (void)state;
    assert_dir_exact(w);
    assert_fast_path(w, 0); /* no domain, no table */
    assert_rc(xmm_p2m_lookup(w, 0, xmm_gfn(0), &e), -XMM_ESRCH);
    tu_domain(w, 1, 0);
    assert_fast_path(w, 0); /* an empty P2M */
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(5), &e), -XMM_ENOENT);
    set_probes(w, 1);
    assert_int_equal(assert_dir_exact(w), 2); /* gfns 5 and 0x7ffffff: two leaf nodes */
    assert_fast_path(w, 4);
    assert_entry(w, 1, 5, NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV);
    assert_entry(w, 1, 0x8000005, NOT_RAM(3), XMM_P2M_MMIO_DIRECT_NC);
    tu_domain(w, 63, 0); /* the table grows: slot 1 is copied */
    set_probes(w, 63);
    tu_domain(w, 3, 0);
    assert_int_equal(assert_dir_exact(w), 4);
    assert_fast_path(w, 8);
    /* The directory grows (its entries are copied) and shrinks back. */
    for (uint64_t g = 0x1200; g <= 0x120000; g *= 4) {
        assert_rc(xmm_p2m_set(w, 3, xmm_gfn(g), NOT_RAM(g & 0xff), XMM_P2M_MMIO_DIRECT_DEV), 0);
        assert_entry(w, 3, g, NOT_RAM(g & 0xff), XMM_P2M_MMIO_DIRECT_DEV);
    }
    assert_int_equal(assert_dir_exact(w), 4 + 5);
    assert_entry(w, 63, 0x7ffffff, NOT_RAM(64), XMM_P2M_MMIO_DIRECT_C);
    assert_rc(xmm_p2m_lookup(w, 2, xmm_gfn(5), &e), -XMM_ESRCH);
    assert_rc(xmm_p2m_lookup(w, 64, xmm_gfn(5), &e), -XMM_ESRCH);
    assert_rc(xmm_world_clone(w, &c), 0);
    assert_int_equal(assert_dir_exact(c), 4 + 5); /* its own nodes, not w's */
    assert_fast_path(c, 8);
    assert_entry(c, 1, 5, NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV);
    /*
     * A shared copy reads c's nodes until its first change gives it its
     * own (p2m_own): from then its slot must name its own level-1 node.
     */
    assert_rc(xmm_world_clone_shared(c, &s), 0);
    assert_int_equal(assert_dir_exact(s), 4 + 5); /* c's nodes, c's directory */
    assert_fast_path(s, 8);
    assert_rc(xmm_p2m_set(s, 1, xmm_gfn(6), NOT_RAM(9), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_entry(s, 1, 6, NOT_RAM(9), XMM_P2M_MMIO_DIRECT_DEV);
    assert_rc(xmm_p2m_lookup(c, 1, xmm_gfn(6), &e), -XMM_ENOENT);
    assert_int_equal(assert_dir_exact(s), 4 + 5); /* own nodes and directory for d1 */
    assert_true(domain_by_id(s, 1)->p2m.dir != domain_by_id(c, 1)->p2m.dir);
    assert_fast_path(s, 8);
    /* A first change that grows the directory of a shared P2M. */
    assert_rc(xmm_p2m_set(s, 3, xmm_gfn(0x4000000), NOT_RAM(7), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_int_equal(assert_dir_exact(s), 4 + 5 + 1);
    assert_int_equal(assert_dir_exact(c), 4 + 5); /* the original's is untouched */
    assert_entry(s, 3, 0x4000000, NOT_RAM(7), XMM_P2M_MMIO_DIRECT_DEV);
    assert_entry(s, 3, 0x48000, NOT_RAM(0), XMM_P2M_MMIO_DIRECT_DEV);
    xmm_world_free(s);
    /* Destroyed: the nodes are freed and the slot says "no domain". */
    assert_rc(xmm_domain_destroy(w, 1, 1000, NULL), 0);
    assert_int_equal(assert_dir_exact(w), 2 + 5);
    assert_fast_path(w, 4);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(5), &e), -XMM_ESRCH);
    assert_fast_path(c, 8); /* the clone kept its own */
    assert_entry(c, 1, 5, NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV);
    tu_domain(w, 1, 0); /* the id again, with an empty P2M */
    assert_fast_path(w, 4);
    assert_rc(xmm_p2m_lookup(w, 1, xmm_gfn(5), &e), -XMM_ENOENT);
    assert_int_equal(assert_dir_exact(w), 2 + 5);
    xmm_world_free(c);
    tu_world_free(w);
}

/*
 * A preempted teardown frees leaf nodes a batch at a time: between the
 * calls the directory names only the leaf nodes left (the inline lookup
 * still agrees with the walk), and the last one frees it, while a
 * reference held keeps the domain (a zombie) in the table by id.
 */
static void test_fast_path_teardown(void **state)
{
    struct xmm_world *w = world_up();
    unsigned calls = 0, left, seen_partial = 0;
    int rc;

    (void)state;
    tu_domain(w, 5, 0);
    for (uint64_t k = 0; k < 700; k++)
        assert_rc(xmm_p2m_set(w, 5, xmm_gfn(k * 512 + k % 512), NOT_RAM(k),
                              XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_rc(xmm_p2m_set(w, 5, xmm_gfn(0x9000000), NOT_RAM(1), XMM_P2M_MMIO_DIRECT_DEV), 0);
    assert_int_equal(assert_dir_exact(w), 700);
    assert_int_equal(domain_by_id(w, 5)->p2m.dir_len, 700);
    assert_rc(xmm_domain_get(w, 5), 0);
    do {
        rc = xmm_domain_kill(w, 5);
        calls++;
        assert_non_null(domain_by_id(w, 5));
        left = assert_dir_exact(w);
        seen_partial += left > 0 && left < 700;
        for (uint64_t k = 0; k < 700; k += 7) {
            struct xmm_p2m_entry e;
            uint64_t word = xmm_p2m_lookup_word(w, 5, xmm_gfn(k * 512 + k % 512));

            assert_rc(xmm_p2m_lookup(w, 5, xmm_gfn(k * 512 + k % 512), &e),
                      word & XMM_P2M_LEAF_VALID ? 0 : -(int)word);
        }
    } while (rc == -XMM_ERESTART && calls < 100);
    assert_rc(rc, 0);
    assert_true(seen_partial > 0); /* a call stopped with some leaf nodes freed, some not */
    assert_int_equal(assert_dir_exact(w), 0);
    assert_null(domain_by_id(w, 5)->p2m.dir);
    assert_rc(xmm_domain_put(w, 5), 0);
    assert_null(domain_by_id(w, 5));
    assert_int_equal(assert_dir_exact(w), 0);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_lookup_remove),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sparse_walk),
        cmocka_unit_test(test_foreign_leaf_put),
        cmocka_unit_test(test_xenheap_leaf_put),
        cmocka_unit_test(test_set_dying),
        cmocka_unit_test(test_reference_model),
        cmocka_unit_test(test_lookup_many),
        cmocka_unit_test(test_fast_path),
        cmocka_unit_test(test_fast_path_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
