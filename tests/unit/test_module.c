/*
 * libxmm unit tests - the module interface (src/module.h): a test-only
 * module, defined here and nowhere else, registered with one call.  It
 * counts the P2M leaf writes of the world and of each domain, and mixes
 * them into the digest; the tests check both against the calls made.
 */
#include "testutil.h"
#include "internal.h"

/* Per-world state: the core allocates it (world_size) into the slot. */
struct toy_world {
    uint64_t writes, maps, unmaps;
    uint32_t inits, frees;
};

/* Per-domain state: allocated with the domain (dom_size). */
struct toy_dom {
    uint64_t writes;
    uint32_t inits;
};

static const struct xmm_module toy_module, toy_clonable;

/* The toy's slot, as registered (toy_module) or in its clonable variant. */
static int toy_slot(const struct xmm_world *w)
{
    int slot = xmm_module_slot(w, &toy_module);

    return slot >= 0 ? slot : xmm_module_slot(w, &toy_clonable);
}

static struct toy_world *toy_world(const struct xmm_world *w)
{
    return (struct toy_world *)w->mod[toy_slot(w)];
}

static struct toy_dom *toy_dom(const struct xmm_world *w, const struct xmm_domain *d)
{
    return (struct toy_dom *)d->mod[toy_slot(w)];
}

static int toy_world_init(struct xmm_world *w, const struct xmm_world_opts *o)
{
    (void)o;
    toy_world(w)->inits++;
    return 0;
}

static int toy_dom_init(struct xmm_world *w, struct xmm_domain *d)
{
    toy_dom(w, d)->inits++;
    return 0;
}

static void toy_p2m_after(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn, uint64_t old,
                          uint64_t e)
{
    struct toy_world *t = toy_world(w);

    (void)gfn;
    t->writes++;
    t->maps += !old && e;
    t->unmaps += old && !e;
    toy_dom(w, d)->writes++;
}

static uint64_t toy_world_digest(const struct xmm_world *w)
{
    return mix64(toy_world(w)->writes + 0x70);
}

static uint64_t toy_dom_digest(const struct xmm_world *w, const struct xmm_domain *d)
{
    return mix64(toy_dom(w, d)->writes + 0x71);
}

static const char *const toy_events[] = { NULL };

static const struct xmm_module toy_module = {
    .name = "toy",
    .world_size = sizeof(struct toy_world),
    .world_init = toy_world_init,
    .dom_size = sizeof(struct toy_dom),
    .dom_init = toy_dom_init,
    .p2m_after = toy_p2m_after,
    .world_digest = toy_world_digest,
    .dom_digest = toy_dom_digest,
    .events = toy_events,
};

static struct xmm_world *toy_new(bool with_toy)
{
    struct xmm_world_opts o = tu_opts_upstream();
    struct xmm_world *w = tu_world(&o);

    if (with_toy) /* the one registration line */
        assert_int_equal(xmm_world_add_module(w, &toy_module), XMM_MOD_BUILTIN);
    return w;
}

/* The same calls on a world with and one without the module. */
static void drive(struct xmm_world *w)
{
    tu_domain(w, 1, 64);
    tu_domain(w, 2, 64);
    tu_populate(w, 1, 0x100, 8);
    tu_populate(w, 2, 0x200, 3);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x103)), 0);
    assert_rc(xmm_p2m_remove(w, 1, xmm_gfn(0x104)), 0);
}

static void test_counts(void **state)
{
    struct xmm_world *w = toy_new(true);
    struct toy_world *t;

    (void)state;
    t = toy_world(w);
    assert_int_equal(t->inits, 1);
    assert_int_equal(t->writes, 0);
    drive(w);
    assert_int_equal(t->maps, 11);
    assert_int_equal(t->unmaps, 2);
    assert_int_equal(t->writes, 13);
    assert_int_equal(toy_dom(w, domain_find(w, 1))->writes, 10);
    assert_int_equal(toy_dom(w, domain_find(w, 2))->writes, 3);
    assert_int_equal(toy_dom(w, domain_find(w, 1))->inits, 1);
    /* A failed call writes no leaf. */
    assert_err_unchanged(w, xmm_p2m_remove(w, 3, xmm_gfn(0x100)), -XMM_ESRCH);
    assert_int_equal(t->writes, 13);
    /* The kill removes domain 2's three leaves through the same path. */
    assert_rc(xmm_domain_destroy(w, 2, 100, NULL), 0);
    assert_int_equal(t->unmaps, 5);
    assert_world_clean(w);
    tu_world_free(w);
}

static void test_digest(void **state)
{
    struct xmm_world *a = toy_new(false), *b = toy_new(true);
    uint64_t before;

    (void)state;
    /* Nothing written yet: the module's contributions still change the digest. */
    assert_true(xmm_world_digest(a) != xmm_world_digest(b));
    drive(a);
    drive(b);
    assert_true(xmm_world_digest(a) != xmm_world_digest(b));
    /* One more write moves b's digest by the module's part as well as the P2M's. */
    before = xmm_world_digest(b);
    assert_rc(xmm_p2m_remove(b, 1, xmm_gfn(0x105)), 0);
    assert_true(xmm_world_digest(b) != before);
    /* Read-only calls leave it alone. */
    before = xmm_world_digest(b);
    assert_int_equal(xmm_check_full(b, NULL), 0);
    assert_int_equal(xmm_world_digest(b), before);
    tu_world_free(a);
    tu_world_free(b);
}

/*
 * Cloning: the toy module keeps state (world_size, dom_size) but has no
 * clone hooks, so xmm_world_clone refuses its worlds, allocating nothing.
 * The same module with clone hooks (its state is plain values: the core's
 * byte copies are the whole copy) is cloned, and the copy counts on
 * independently of the original.
 */
static int toy_world_clone(struct xmm_world *dst, const struct xmm_world *src)
{
    (void)src;
    toy_world(dst)->inits += 100; /* the hook ran on the copy's slot */
    return 0;
}

static int toy_dom_clone(struct xmm_world *dst, struct xmm_domain *dd,
                         const struct xmm_world *src, const struct xmm_domain *sd)
{
    assert_ptr_not_equal(toy_dom(dst, dd), toy_dom(src, sd));
    assert_int_equal(toy_dom(dst, dd)->writes, toy_dom(src, sd)->writes);
    return 0;
}

static const struct xmm_module toy_clonable = {
    .name = "toy-clonable",
    .world_size = sizeof(struct toy_world),
    .world_init = toy_world_init,
    .dom_size = sizeof(struct toy_dom),
    .dom_init = toy_dom_init,
    .p2m_after = toy_p2m_after,
    .world_digest = toy_world_digest,
    .dom_digest = toy_dom_digest,
    .world_clone = toy_world_clone,
    .dom_clone = toy_dom_clone,
};

/* A module without state at all: nothing to copy, clone goes ahead. */
static const struct xmm_module toy_stateless = {
    .name = "toy-stateless",
};

static void test_clone(void **state)
{
    struct xmm_world *w = toy_new(true), *c = (struct xmm_world *)&c;
    struct xmm_world_opts o = tu_opts_upstream();
    size_t blocks;
    uint64_t before;

    (void)state;
    drive(w);
    before = xmm_world_digest(w);
    blocks = w->blocks_live;
    assert_int_equal(xmm_world_clone(w, &c), -XMM_ENOSYS);
    assert_null(c);
    assert_int_equal(w->blocks_live, blocks);
    assert_int_equal(xmm_world_digest(w), before);
    tu_world_free(w);

    w = tu_world(&o);
    assert_int_equal(xmm_world_add_module(w, &toy_stateless), XMM_MOD_BUILTIN);
    drive(w);
    assert_rc(xmm_world_clone(w, &c), 0);
    assert_int_equal(xmm_world_digest(c), xmm_world_digest(w));
    xmm_world_free(c);
    tu_world_free(w);

    w = tu_world(&o);
    assert_int_equal(xmm_world_add_module(w, &toy_clonable), XMM_MOD_BUILTIN);
    drive(w);
    assert_rc(xmm_world_clone(w, &c), 0);
    assert_int_equal(xmm_world_digest(c), xmm_world_digest(w));
    {
        struct toy_world *tw = w->mod[XMM_MOD_BUILTIN], *tc = c->mod[XMM_MOD_BUILTIN];

        assert_ptr_not_equal(tw, tc);
        assert_int_equal(tc->writes, 13);
        assert_int_equal(tc->inits, 101);
        /* One more write on the copy only: the original's count stays. */
        assert_rc(xmm_p2m_remove(c, 1, xmm_gfn(0x105)), 0);
        assert_int_equal(tc->writes, 14);
        assert_int_equal(tw->writes, 13);
        assert_true(xmm_world_digest(c) != xmm_world_digest(w));
    }
    xmm_world_free(c);
    tu_world_free(w);
}

/* Registration is refused once domains exist, and past the last slot. */
static void test_register_limits(void **state)
{
    struct xmm_world *w = toy_new(false);

    (void)state;
    for (int i = XMM_MOD_BUILTIN; i < XMM_MOD_MAX; i++)
        assert_int_equal(xmm_world_add_module(w, &toy_module), i);
    assert_int_equal(xmm_world_add_module(w, &toy_module), -XMM_EINVAL);
    tu_world_free(w);
    w = toy_new(false);
    tu_domain(w, 1, 4);
    assert_int_equal(xmm_world_add_module(w, &toy_module), -XMM_EINVAL);
    assert_int_equal(xmm_module_slot(w, &toy_module), -1);
    tu_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_register_limits),
        cmocka_unit_test(test_clone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
