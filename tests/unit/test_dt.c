/*
 * libxmm unit tests - the guest device tree export (seed 002).
 *
 * Each case builds a world, exports one domain's DTB, validates it with
 * libfdt (fdt_check_full, then the nodes and properties the guest reads),
 * and, when XMM_DT_OUT names a directory, writes it there as CASE.dtb: the
 * ctest dt/golden decompiles those with dtc and compares them with
 * tests/golden/CASE.dts.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "testutil.h"

#define BUF_LEN 65536

static uint8_t buf[BUF_LEN];

static struct xmm_world *world_policy(enum xmm_safe_range_policy p)
{
    struct xmm_world_opts o = tu_opts();

    o.policy.safe_range = p;
    return tu_world(&o);
}

/* Export dom into buf (unchanged world, no allocation), validate, save as NAME.dtb. */
static size_t export(struct xmm_world *w, xmm_domid_t dom, const char *name)
{
    uint64_t dig = xmm_world_digest(w), allocs = xmm_world_alloc_count(w);
    const char *dir = getenv("XMM_DT_OUT");
    size_t size = 0;

    assert_rc(xmm_dt_export(w, dom, buf, sizeof(buf), &size), 0);
    assert_int_equal(xmm_world_digest(w), dig);
    assert_int_equal(xmm_world_alloc_count(w), allocs);
    assert_int_equal(size, fdt_totalsize(buf));
    assert_int_equal(fdt_check_full(buf, size), 0);
    if (name && dir && *dir) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s.dtb", dir, name);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
    }
    return size;
}

static uint64_t be64_at(const void *p, size_t i)
{
    fdt64_t v;

    memcpy(&v, (const uint8_t *)p + 8 * i, sizeof(v));
    return fdt64_to_cpu(v);
}

/* The reg property of `path`: pairs of (address, size) in bytes. */
static const void *reg_of(const char *path, int *len)
{
    int off = fdt_path_offset(buf, path);
    const void *p;

    if (off < 0)
        print_error("no node %s: %s\n", path, fdt_strerror(off));
    assert_true(off >= 0);
    p = fdt_getprop(buf, off, "reg", len);
    assert_non_null(p);
    return p;
}

static void assert_reg(const char *path, const uint64_t *want, size_t pairs)
{
    int len;
    const void *p = reg_of(path, &len);

    assert_int_equal(len, (int)(pairs * 16));
    for (size_t i = 0; i < 2 * pairs; i++)
        assert_int_equal(be64_at(p, i), want[i]);
}

static void assert_common(void)
{
    int off = fdt_path_offset(buf, "/hypervisor");
    const fdt32_t *c;

    assert_true(off >= 0);
    assert_int_equal(fdt_stringlist_count(buf, off, "compatible"), 2);
    assert_int_equal(fdt_node_check_compatible(buf, off, "xen,xen"), 0);
    assert_int_equal(fdt_node_check_compatible(buf, off, XMM_DT_XEN_COMPATIBLE), 0);
    c = fdt_getprop(buf, 0, "#address-cells", NULL);
    assert_non_null(c);
    assert_int_equal(fdt32_to_cpu(*c), 2);
    c = fdt_getprop(buf, 0, "#size-cells", NULL);
    assert_non_null(c);
    assert_int_equal(fdt32_to_cpu(*c), 2);
}

/* --- cases, one golden file each ------------------------------------------- */

/* Toolstack policy, small domU: two RAM banks, grant frame not counted as RAM. */
static void test_domu_small(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    const uint64_t mem[] = { 0x40000000, 0x20000, 0x50000000, 0x4000 };
    const uint64_t hyp[] = { 0x38000000, 0x1000000, 0x80000000, 0x80200000 };
    const uint64_t res[] = { 0x80000000, 0x80200000 };
    int off;

    (void)state;
    tu_domain(w, 1, 4096);
    tu_populate(w, 1, 0x40000, 16);
    tu_populate(w, 1, 0x40010, 16);
    tu_populate(w, 1, 0x50000, 4);
    assert_rc(xmm_gnttab_map_frame(w, 1, 0, xmm_gfn(XMM_GUEST_GNTTAB_GFN)), 0);
    export(w, 1, "domu-small");
    assert_common();
    assert_reg("/memory@40000000", mem, 2);
    assert_reg("/hypervisor", hyp, 2);
    assert_reg("/reserved-memory/xen-safe-range@80000000", res, 1);
    off = fdt_path_offset(buf, "/reserved-memory/xen-safe-range@80000000");
    assert_non_null(fdt_getprop(buf, off, "no-map", NULL));
    assert_int_equal(fdt_node_check_compatible(buf, off, "xen,safe-range"), 0);
    tu_world_free(w);
}

/* The control domain: 128 GiB more. */
static void test_dom0(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    const uint64_t hyp[] = { 0x38000000, 0x1000000, 0x80000000, UINT64_C(0x2080200000) };

    (void)state;
    tu_domain(w, 0, 0x10000);
    tu_populate(w, 0, 0x40000, 64);
    export(w, 0, "dom0");
    assert_reg("/hypervisor", hyp, 2);
    tu_world_free(w);
}

/* Query policy: the told holes are the safe ranges. */
static void test_query_told(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_QUERY);
    const uint64_t hyp_before[] = { 0x38000000, 0x1000000 };
    const uint64_t hyp[] = { 0x38000000, 0x1000000, 0x40200000, 0xBFE00000,
                             0x200000000, UINT64_C(0xFE00000000) };
    struct xmm_saferange out[2];
    size_t n;

    (void)state;
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x40000, 64);
    export(w, 1, "query-untold");
    assert_reg("/hypervisor", hyp_before, 1);
    assert_true(fdt_path_offset(buf, "/reserved-memory") < 0);
    assert_rc(xmm_saferange_query(w, 1, out, 2, &n), 0);
    export(w, 1, "query-told");
    assert_reg("/hypervisor", hyp, 3);
    assert_true(fdt_path_offset(buf, "/reserved-memory/xen-safe-range@200000000") >= 0);
    tu_world_free(w);
}

/* Policy none, and a domain that opted out: the grant-table region only. */
static void test_none(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_NONE);
    const uint64_t hyp[] = { 0x38000000, 0x1000000 };

    (void)state;
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x40000, 64);
    export(w, 1, "policy-none");
    assert_reg("/hypervisor", hyp, 1);
    assert_true(fdt_path_offset(buf, "/reserved-memory") < 0);
    tu_world_free(w);
}

/* Direct-mapped: RAM at gfn == mfn, the range above host RAM. */
static void test_direct_map(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;
    const uint64_t mem[] = { 0x40000000, 0x10000 };
    const uint64_t hyp[] = { 0x38000000, 0x1000000, 0x80000000, 0x80200000 };
    xmm_gfn_t first;

    (void)state;
    o.max_pages = 64;
    o.direct_map = true;
    assert_rc(xmm_domain_create(w, 1, &o), 0);
    assert_rc(xmm_physmap_populate_direct(w, 1, 16, &first), 0);
    assert_int_equal(first.g, 0x40000);
    export(w, 1, "direct-map");
    assert_reg("/memory@40000000", mem, 1);
    assert_reg("/hypervisor", hyp, 2);
    tu_world_free(w);
}

/*
 * Issue 11 item 7: a direct-mapped dom0 whose RAM covers 0x38000000.  The
 * grant-table region (reg[0]) lies outside every /memory bank: the first
 * 2 MiB-aligned host hole after host RAM, as long as its grant table.
 */
static void test_direct_dom0_low_ram(void **state)
{
    struct xmm_world_opts wo = tu_opts();
    struct xmm_domain_opts o = XMM_DOMAIN_OPTS_INIT;
    const uint64_t mem[] = { 0x38000000, 0x10000 };
    const uint64_t hyp[] = { 0x40000000, 0x40000, 0x80000000, 0x2080200000 };
    struct xmm_world *w;
    const void *m, *h;
    int mlen, hlen;

    (void)state;
    wo.ram_base = xmm_mfn(0x30000);
    wo.ram_pages = 0x10000;
    w = tu_world(&wo);
    o.max_pages = 0x4000;
    o.direct_map = true;
    assert_rc(xmm_domain_create(w, 0, &o), 0);
    /* Construction at a fixed range (a populate with a gfn only re-maps owned pages). */
    assert_rc(xmm_physmap_populate_direct_at(w, 0, xmm_gfn(0x38000), 16), 0);
    export(w, 0, NULL);
    assert_reg("/memory@38000000", mem, 1);
    assert_reg("/hypervisor", hyp, 2);
    /* Whatever the numbers: reg[0] and every RAM bank are disjoint. */
    m = reg_of("/memory@38000000", &mlen);
    h = reg_of("/hypervisor", &hlen);
    for (int i = 0; i < mlen / 16; i++)
        assert_true(be64_at(h, 0) + be64_at(h, 1) <= be64_at(m, 2 * (size_t)i) ||
                    be64_at(m, 2 * (size_t)i) + be64_at(m, 2 * (size_t)i + 1) <= be64_at(h, 0));
    tu_world_free(w);
}

/* No RAM at all: no memory node. */
static void test_no_ram(void **state)
{
    struct xmm_world *w = tu_world(NULL);

    (void)state;
    tu_domain(w, 1, 0);
    export(w, 1, "no-ram");
    assert_int_equal(fdt_subnode_offset(buf, 0, "memory"), -FDT_ERR_NOTFOUND);
    tu_world_free(w);
}

/* --- buffer sizes, errors, determinism ------------------------------------ */

static void test_buffer_too_small(void **state)
{
    struct xmm_world *w = tu_world(NULL);
    uint8_t small[128];
    size_t size = 0, full;

    (void)state;
    tu_domain(w, 1, 64);
    tu_populate(w, 1, 0x40000, 8);
    assert_rc(xmm_dt_export(w, 1, NULL, 0, &size), -XMM_ENOSPC);
    assert_true(size >= 64);
    assert_rc(xmm_dt_export(w, 1, small, sizeof(small), &size), -XMM_ENOSPC);
    assert_true(size > sizeof(small));
    full = export(w, 1, NULL);
    assert_true(size >= full);
    assert_rc(xmm_dt_export(w, 2, buf, sizeof(buf), &size), -XMM_ESRCH);
    tu_world_free(w);
}

/* The size hint is always enough, even with many banks and told holes. */
static void test_size_hint_enough(void **state)
{
    struct xmm_world *w = world_policy(XMM_SAFE_RANGE_QUERY);
    struct xmm_saferange out[XMM_SAFERANGE_TOLD_MAX];
    size_t n, size = 0, got;
    void *p;

    (void)state;
    tu_domain(w, 1, 4096);
    for (uint64_t k = 0; k < 40; k++)
        tu_populate(w, 1, 0x40000 + k * 0x4400, 1); /* 40 banks, holes between */
    for (uint64_t k = 0; k < 1500; k++)
        tu_populate(w, 1, 0x10000000 + 2 * k, 1); /* 1500 more banks, outside the windows */
    assert_rc(xmm_saferange_query(w, 1, out, XMM_SAFERANGE_TOLD_MAX, &n), 0);
    assert_int_equal(n, XMM_SAFERANGE_TOLD_MAX);
    assert_rc(xmm_dt_export(w, 1, NULL, 0, &size), -XMM_ENOSPC);
    p = malloc(size);
    assert_non_null(p);
    assert_rc(xmm_dt_export(w, 1, p, size, &got), 0);
    assert_true(got <= size);
    assert_int_equal(fdt_check_full(p, got), 0);
    {
        int len;
        int off = fdt_path_offset(p, "/memory@40000000");
        const void *reg = fdt_getprop(p, off, "reg", &len);

        assert_non_null(reg);
        assert_int_equal(len, 1540 * 16);
        reg = fdt_getprop(p, fdt_path_offset(p, "/hypervisor"), "reg", &len);
        assert_int_equal(len, (1 + XMM_SAFERANGE_TOLD_MAX) * 16);
    }
    free(p);
    tu_world_free(w);
}

static void test_deterministic(void **state)
{
    static uint8_t other[BUF_LEN];
    size_t a = 0, b = 0;

    (void)state;
    for (int i = 0; i < 2; i++) {
        struct xmm_world *w = tu_world(NULL);

        tu_domain(w, 1, 64);
        tu_populate(w, 1, 0x40000, 8);
        assert_rc(xmm_dt_export(w, 1, i ? other : buf, BUF_LEN, i ? &b : &a), 0);
        tu_world_free(w);
    }
    assert_int_equal(a, b);
    assert_memory_equal(buf, other, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domu_small),
        cmocka_unit_test(test_dom0),
        cmocka_unit_test(test_query_told),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_direct_map),
        cmocka_unit_test(test_direct_dom0_low_ram),
        cmocka_unit_test(test_no_ram),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_size_hint_enough),
        cmocka_unit_test(test_deterministic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
