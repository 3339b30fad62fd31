/*
 * libxmm - where a domain's shared_info and vcpu_info live (seed 004).
 *
 * Xen today (policy shared_info=xenheap): d->shared_info is a xenheap page
 * shared with the guest; XENMAPSPACE_shared_info maps it, ram_rw, at a gfn
 * the guest picks, and the page records that GFN like a grant-table frame
 * (seed 001 rules).  On a direct-mapped MPU guest that mapping breaks
 * gfn == mfn, costs a region of its own and cuts Xen's heap region (mpu.c
 * counts both).  libxmm allocates the page on the first map where Xen does
 * it at domain creation, so that worlds which never use shared_info keep
 * their frame counts; the page is freed with the domain structure.
 *
 * The seed's proposal (shared_info=guest_page): the guest hands over one of
 * its own RAM pages; Xen copies the initial data into it, holds a page
 * reference for as long as it uses it, and the P2M is left alone.  Until
 * then the initial data stays in Xen's domain structure (the thread's
 * "drop the initial allocation").  vcpu_info works this way under both
 * policies (VCPUOP_register_vcpu_info).  The references are dropped by the
 * KILL_GUEST_AREAS stage of domain_kill, before the page list is released.
 */
#include "mpu_priv.h"
#include "physmap_priv.h"

/* --- guest pages ------------------------------------------------------------ */

/*
 * The page at gfn may become a shared_info / vcpu_info page: one of d's
 * own domheap pages, mapped ram_rw (Xen refuses anything it cannot take a
 * reference on as the domain's RAM).
 */
static int guest_page_check(struct xmm_world *w, const struct xmm_domain *d, uint64_t gfn,
                            uint64_t *mfn)
{
    uint64_t e = p2m_get(&d->p2m, gfn);
    const struct xmm_page *pg;

    if (!e || p2m_entry_type(e) != XMM_P2M_RAM_RW)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " of %s is %s, not ram_rw", gfn, DN(d->id),
                        xmm_p2m_type_name(p2m_entry_type(e)));
    *mfn = p2m_entry_mfn(e);
    if (!frame_valid(w, *mfn))
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " of %s maps mfn %#" PRIx64 ", not host RAM",
                        gfn, DN(d->id), *mfn);
    pg = &w->frames[*mfn - w->ram_base];
    if (pg->owner != d->id || (pg->count_info & XMM_PGC_xen_heap) || page_is_free(pg) ||
        page_count(pg) == 0 || page_count(pg) == XMM_PGC_count_mask)
        return xmm_fail(w, -XMM_EINVAL,
                        "mfn %#" PRIx64 " at gfn %#" PRIx64 " is not a domheap page of %s with a reference to take",
                        *mfn, gfn, DN(d->id));
    return 0;
}

/* Take the page reference and name it in the checker's holder index. */
static void guest_page_hold(struct xmm_world *w, xmm_domid_t dom, uint64_t mfn)
{
    uint32_t idx = (uint32_t)(mfn - w->ram_base);

    if (!page_get_quiet(w, xmm_mfn(mfn), dom))
        assert(!"get_page failed after guest_page_check");
    frame_touch(w, idx);
    w->rmap[idx].refs++;
}

/* Drop it; last, as it may free the frame. */
static void guest_page_drop(struct xmm_world *w, uint64_t mfn)
{
    uint32_t idx = (uint32_t)(mfn - w->ram_base);
    int rc;

    frame_touch(w, idx);
    assert(w->rmap[idx].refs > 0);
    w->rmap[idx].refs--;
    rc = xmm_page_put(w, xmm_mfn(mfn));
    (void)rc;
    assert(rc == 0);
}

/*
 * Point a slot (shared_info or one vCPU's vcpu_info) at the page at gfn.
 * Registering again moves it: the new page is held before the old one is
 * let go.
 */
static int guest_page_register(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn,
                               uint64_t *slot_mfn, uint64_t *slot_gfn)
{
    uint64_t mfn = 0, old = *slot_mfn;
    int rc = guest_page_check(w, d, gfn, &mfn);

    if (rc)
        return rc;
    if (old != mfn)
        guest_page_hold(w, d->id, mfn);
    *slot_mfn = mfn;
    *slot_gfn = gfn;
    domain_touch(w, d);
    if (old != XMM_INVALID_MFN_RAW && old != mfn)
        guest_page_drop(w, old);
    return 0;
}

/* --- XENMAPSPACE_shared_info, xenheap placement ------------------------------ */

static int map_xenheap(struct xmm_world *w, struct xmm_domain *d, uint64_t gfn)
{
    struct mpu_domain *m = mpu_of(d);
    bool array = w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY;
    int rc;

    /* Seed 002: the safe range is sized for shared_info too: it may go there. */
    rc = physmap_replaceable(w, d, gfn);
    if (rc)
        return rc;
    if (!m->shinfo_xenheap && w->free_pages == 0)
        return xmm_fail(w, -XMM_ENOMEM, "the heap has no free frame for %s's shared_info", DN(d->id));
    /* Since 2022 the frame records its GFN: mapped already -> remove it first. */
    if (m->shinfo_xenheap && !array &&
        (w->frames[m->shinfo_mfn - w->ram_base].type_info & XMM_PGT_gfn_mask) !=
            XMM_PGT_INVALID_GFN)
        return xmm_fail(w, -XMM_EBUSY,
                        "%s's shared_info is still mapped at gfn %#" PRIx64 " (remove it first)",
                        DN(d->id),
                        (uint64_t)(w->frames[m->shinfo_mfn - w->ram_base].type_info & XMM_PGT_gfn_mask));
    if (domain_dying(d))
        return xmm_fail(w, -XMM_ENOMEM, "%s is %s: p2m_set_entry refuses a dying domain", DN(d->id),
                        xmm_domain_state_name(d->state));
    rc = p2m_reserve(w, d, gfn, 1);
    if (rc)
        return rc;
    if (!m->shinfo_xenheap) {
        xmm_mfn_t mfn;

        rc = xmm_xenheap_alloc(w, &mfn);
        assert(rc == 0);
        rc = xmm_xenheap_share(w, mfn, d->id, false);
        assert(rc == 0);
        m->shinfo_mfn = mfn.m;
        m->shinfo_xenheap = true;
    }
    lock_take(w, LOCK_P2M);
    xenheap_gfn_map(w, d, m->shinfo_mfn, &m->shinfo_gfn, gfn);
    lock_release(w, LOCK_P2M);
    domain_touch(w, d);
    return 0;
}

/* xenheap_own hook: d's xenheap shared_info frame (the grant frames are gnttab.c's). */
bool shinfo_xenheap_own(const struct xmm_world *w, const struct xmm_domain *d, uint64_t mfn)
{
    (void)w;
    return mpu_of(d) && mpu_of(d)->shinfo_xenheap && mpu_of(d)->shinfo_mfn == mfn;
}

int xmm_shinfo_map(struct xmm_world *w, xmm_domid_t dom, xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);
    struct mpu_domain *m;
    int rc;

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);
    m = mpu_of(d);
    if (w->policy.shared_info == XMM_SHARED_INFO_XENHEAP)
        return map_xenheap(w, d, gfn.g); /* dying: ENOMEM, as p2m_set_entry */
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: it registers nothing any more", DN(dom),
                        xmm_domain_state_name(d->state));
    rc = guest_page_register(w, d, gfn.g, &m->shinfo_mfn, &m->shinfo_gfn);
    if (!rc)
        m->copies++; /* the data follows the page: copied from Xen or the previous one */
    return rc;
}

int xmm_shinfo_register_vcpu_info(struct xmm_world *w, xmm_domid_t dom, uint32_t vcpu,
                                  xmm_gfn_t gfn)
{
    struct xmm_domain *d = domain_find(w, dom);

    xmm_err_clear(w);
    if (!d)
        return xmm_fail_no_domain(w, dom);
    if (vcpu >= XMM_VCPUS_MAX)
        return xmm_fail(w, -XMM_EINVAL, "vcpu %" PRIu32 " does not exist (at most %d)", vcpu,
                        XMM_VCPUS_MAX);
    if (domain_dying(d))
        return xmm_fail(w, -XMM_EINVAL, "%s is %s: it registers nothing any more", DN(dom),
                        xmm_domain_state_name(d->state));
    if (gfn.g >= XMM_FRAME_LIMIT)
        return xmm_fail(w, -XMM_EINVAL, "gfn %#" PRIx64 " is beyond the 40-bit frame limit", gfn.g);

    return guest_page_register(w, d, gfn.g, &mpu_of(d)->vcpu_mfn[vcpu], &mpu_of(d)->vcpu_gfn[vcpu]);
}

/* --- teardown, checks, queries ------------------------------------------------ */

int shinfo_release(struct xmm_world *w, struct xmm_domain *d, uint64_t *budget)
{
    struct mpu_domain *m = mpu_of(d);
    uint64_t *slots[1 + XMM_VCPUS_MAX];

    slots[0] = m->shinfo_xenheap ? NULL : &m->shinfo_mfn;
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++)
        slots[1 + v] = &m->vcpu_mfn[v];
    for (uint32_t i = 0; i < 1 + XMM_VCPUS_MAX; i++) {
        uint64_t mfn;

        if (!slots[i] || *slots[i] == XMM_INVALID_MFN_RAW)
            continue;
        if (*budget == 0)
            return -XMM_ERESTART;
        (*budget)--;
        mfn = *slots[i];
        *slots[i] = XMM_INVALID_MFN_RAW;
        domain_touch(w, d);
        guest_page_drop(w, mfn);
    }
    return 0;
}

/* Apply fn to every guest page a domain's records hold a reference on. */
static void for_each_guest_page(const struct xmm_domain *d,
                                void (*fn)(const struct xmm_domain *d, uint64_t mfn, void *arg),
                                void *arg)
{
    const struct mpu_domain *m = mpu_of(d);

    if (!m)
        return;
    if (!m->shinfo_xenheap && m->shinfo_mfn != XMM_INVALID_MFN_RAW)
        fn(d, m->shinfo_mfn, arg);
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++)
        if (m->vcpu_mfn[v] != XMM_INVALID_MFN_RAW)
            fn(d, m->vcpu_mfn[v], arg);
}

struct rebuild_arg {
    const struct xmm_world *w;
    struct xmm_rmap *rm;
};

static void rebuild_one(const struct xmm_domain *d, uint64_t mfn, void *arg)
{
    struct rebuild_arg *a = arg;

    (void)d;
    if (frame_valid(a->w, mfn))
        a->rm[mfn - a->w->ram_base].refs++;
}

void shinfo_rebuild_rmap(const struct xmm_world *w, struct xmm_rmap *rm)
{
    struct rebuild_arg a = { w, rm };

    for (size_t i = 0; i < w->dom_count; i++)
        for_each_guest_page(w->doms[i], rebuild_one, &a);
}

struct check_arg {
    const struct xmm_world *w;
    struct xmm_check_report *rep;
};

/* A registered page is the domain's own, in use: the reference keeps it so. */
static void check_one(const struct xmm_domain *d, uint64_t mfn, void *arg)
{
    struct check_arg *a = arg;
    const struct xmm_page *pg = frame_valid(a->w, mfn) ? &a->w->frames[mfn - a->w->ram_base] : NULL;

    if (!pg || page_is_free(pg) || pg->owner != d->id)
        check_report(a->rep, XMM_INV_OWNERSHIP, XMM_SUBJECT_FRAME, mfn, d->id, 0,
                     "d%u uses frame %#llx for shared_info/vcpu_info, owned by %u",
                     (unsigned)d->id, (unsigned long long)mfn, pg ? (unsigned)pg->owner : 0u);
}

void shinfo_check_domain(const struct xmm_world *w, const struct xmm_domain *d,
                         struct xmm_check_report *rep)
{
    const struct mpu_domain *m = mpu_of(d);
    struct check_arg a = { w, rep };
    uint64_t e;

    if (!m)
        return;
    for_each_guest_page(d, check_one, &a);
    /* xenheap_gfn=array: the remembered GFN must still map the frame (seed 001). */
    if (!m->shinfo_xenheap || w->policy.xenheap_gfn != XMM_XENHEAP_GFN_ARRAY ||
        m->shinfo_gfn == XMM_INVALID_GFN_RAW)
        return;
    e = p2m_get(&d->p2m, m->shinfo_gfn);
    if (!e || p2m_entry_mfn(e) != m->shinfo_mfn || !xmm_p2m_is_ram(p2m_entry_type(e)))
        check_report(rep, XMM_INV_XENHEAP_GFN, XMM_SUBJECT_FRAME, m->shinfo_mfn, d->id,
                     m->shinfo_gfn,
                     "shared_info of d%u records gfn %#llx (side array), which maps %s",
                     (unsigned)d->id, (unsigned long long)m->shinfo_gfn,
                     e ? xmm_p2m_type_name(p2m_entry_type(e)) : "nothing");
}

int xmm_shinfo_info(const struct xmm_world *w, xmm_domid_t dom, struct xmm_shinfo_info *out)
{
    const struct xmm_domain *d = domain_find(w, dom);
    const struct mpu_domain *m;

    memset(out, 0, sizeof(*out));
    out->mfn = XMM_INVALID_MFN;
    out->gfn = XMM_INVALID_GFN;
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++)
        out->vcpu_info[v] = XMM_INVALID_MFN;
    if (!d || !mpu_of(d))
        return -XMM_ESRCH;
    m = mpu_of(d);
    out->xenheap = m->shinfo_xenheap;
    out->guest_page = !m->shinfo_xenheap && m->shinfo_mfn != XMM_INVALID_MFN_RAW;
    if (m->shinfo_mfn != XMM_INVALID_MFN_RAW)
        out->mfn = xmm_mfn(m->shinfo_mfn);
    if (out->guest_page || (out->xenheap && w->policy.xenheap_gfn == XMM_XENHEAP_GFN_ARRAY))
        out->gfn = m->shinfo_gfn == XMM_INVALID_GFN_RAW ? XMM_INVALID_GFN : xmm_gfn(m->shinfo_gfn);
    else if (out->xenheap)
        out->gfn = xmm_page_xenheap_gfn(w, out->mfn);
    out->copies = m->copies;
    for (uint32_t v = 0; v < XMM_VCPUS_MAX; v++)
        if (m->vcpu_mfn[v] != XMM_INVALID_MFN_RAW)
            out->vcpu_info[v] = xmm_mfn(m->vcpu_mfn[v]);
    return 0;
}
