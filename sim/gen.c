/*
 * xmm-sim - the trace generator (see gen.h).
 *
 * A step is drawn in three parts: an op kind (by the seed's swarm weights,
 * among the kinds of the profile), its arguments (mostly from what the
 * generator saw succeed: live domains, populated ranges, mapped gfns,
 * granted refs, handles; sometimes deliberately wrong), and its execution
 * through the op's exec function on the live world.  The generator
 * remembers only what it did and what the model answered; it never
 * predicts an rc, so it keeps working when the model's rules change.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "exec.h"
#include "gen.h"

const char *const sim_profile_names[] = { "lifecycle", "grants", "ffa", "iommu",
                                          "saferange", "mpu", "mixed", NULL };

/* --- random numbers (splitmix64: seeded, platform-independent) ---------- */

struct g_rng {
    uint64_t s;
};

static uint64_t g_next(struct g_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t g_below(struct g_rng *r, uint64_t n)
{
    return n ? g_next(r) % n : 0;
}

static bool g_chance(struct g_rng *r, unsigned num, unsigned den)
{
    return g_below(r, den) < num;
}

static uint64_t g_range(struct g_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + g_below(r, hi - lo + 1);
}

/* --- op kinds --------------------------------------------------------- */

enum g_kind {
    K_ADVANCE, K_DCREATE, K_POPULATE, K_DECREASE, K_DDESTROY, K_MFOREIGN, K_MMMIO,
    K_MGFRAME, K_MSHINFO, K_RVCPU, K_EVTCHN, K_RPHYSMAP, K_LOOKUP, K_GRANT, K_GEND,
    K_GMAP, K_GUNMAP, K_FSHARE, K_FRECLAIM, K_SPRET, K_SPREL, K_SPACC, K_IASSIGN, K_DMA,
    K_QUERY, K_COUNT
};

static const char *const kind_op[K_COUNT] = {
    "advance", "domain_create", "populate", "decrease", "domain_destroy", "map_foreign",
    "map_mmio", "map_grant_frame", "map_shared_info", "register_vcpu_info", "evtchn_send",
    "remove_physmap", "lookup", "grant", "grant_end", "grant_map", "grant_unmap", "ffa_share",
    "ffa_reclaim", "sp_retrieve", "sp_relinquish", "sp_access", "iommu_assign", "dma",
    "query_unallocated",
};

/* Base weights: foundation ops often, teardown rarely. */
static const unsigned kind_weight[K_COUNT] = {
    [K_ADVANCE] = 3, [K_DCREATE] = 3,  [K_POPULATE] = 6, [K_DECREASE] = 3, [K_DDESTROY] = 1,
    [K_MFOREIGN] = 3, [K_MMMIO] = 3,   [K_MGFRAME] = 3,  [K_MSHINFO] = 2,  [K_RVCPU] = 2,
    [K_EVTCHN] = 2,  [K_RPHYSMAP] = 3, [K_LOOKUP] = 1,   [K_GRANT] = 4,    [K_GEND] = 2,
    [K_GMAP] = 4,    [K_GUNMAP] = 2,   [K_FSHARE] = 4,   [K_FRECLAIM] = 2, [K_SPRET] = 2,
    [K_SPREL] = 2,   [K_SPACC] = 2,    [K_IASSIGN] = 3,  [K_DMA] = 4,      [K_QUERY] = 2,
};

#define KB(k) (UINT32_C(1) << (k))
#define K_CORE (KB(K_DCREATE) | KB(K_POPULATE) | KB(K_DECREASE) | KB(K_DDESTROY) | KB(K_ADVANCE))

static const uint32_t profile_kinds[SIM_PROF_COUNT] = {
    [SIM_PROF_LIFECYCLE] = K_CORE | KB(K_MFOREIGN) | KB(K_MMMIO) | KB(K_RPHYSMAP) | KB(K_LOOKUP),
    [SIM_PROF_GRANTS] = K_CORE | KB(K_MFOREIGN) | KB(K_RPHYSMAP) | KB(K_MGFRAME) | KB(K_GRANT) |
                        KB(K_GEND) | KB(K_GMAP) | KB(K_GUNMAP) | KB(K_MSHINFO) | KB(K_RVCPU),
    [SIM_PROF_FFA] = K_CORE | KB(K_FSHARE) | KB(K_FRECLAIM) | KB(K_SPRET) | KB(K_SPREL) |
                     KB(K_SPACC) | KB(K_RPHYSMAP),
    [SIM_PROF_IOMMU] = K_CORE | KB(K_RPHYSMAP) | KB(K_IASSIGN) | KB(K_DMA) | KB(K_MFOREIGN) |
                       KB(K_GRANT) | KB(K_GMAP) | KB(K_GUNMAP),
    [SIM_PROF_SAFERANGE] = K_CORE | KB(K_QUERY) | KB(K_MMMIO) | KB(K_GRANT) | KB(K_GMAP) |
                           KB(K_GUNMAP) | KB(K_MGFRAME) | KB(K_MFOREIGN) | KB(K_RPHYSMAP),
    [SIM_PROF_MPU] = K_CORE | KB(K_MMMIO) | KB(K_MGFRAME) | KB(K_MSHINFO) | KB(K_RVCPU) |
                     KB(K_EVTCHN) | KB(K_RPHYSMAP) | KB(K_GRANT) | KB(K_GMAP) | KB(K_GUNMAP),
    [SIM_PROF_MIXED] = (UINT32_C(1) << K_COUNT) - 1,
};

/* --- generator state ---------------------------------------------------- */

#define G_MAX_DOM 6     /* meaningful domain ids are 1 .. G_MAX_DOM - 1 */
#define G_RANGES 8
#define G_MAPPED 8
#define G_HOLES 4
#define G_REFS 16
#define G_HANDLES 16

struct g_range {
    uint64_t gfn, pages;
    int var; /* bound to the first gfn (direct-mapped populate), or -1 */
};

struct g_dom {
    bool created, direct, ffa;
    struct g_range r[G_RANGES];
    unsigned nr;
    uint64_t mapped[G_MAPPED]; /* gfns where something not its own RAM was mapped */
    unsigned nm;
    int hole_var[G_HOLES];     /* query_unallocated results */
    uint64_t hole[G_HOLES];
    unsigned nh;
    uint64_t next_gfn, next_foreign;
};

struct g_ref {
    xmm_domid_t dom, to;
    uint32_t ref;
};

struct g_handle {
    int var;
    xmm_domid_t dom;
    uint32_t sp;
    uint64_t pages;
};

struct gen {
    struct g_rng rng;
    const struct sim_gen_opts *o;
    struct sim_world_cfg wc;
    struct sim_exec x;
    struct xmm_check_report *rep;
    bool record;
    struct sim_scenario *sc; /* when recording */
    GArray *steps;           /* struct sim_step, when recording */
    GPtrArray *var_names;    /* when recording */
    uint64_t *var_val;
    size_t var_count, var_cap;
    unsigned weight[K_COUNT];
    unsigned weight_sum;
    const struct sim_op *op[K_COUNT];
    struct g_dom dom[G_MAX_DOM];
    struct g_dom none;             /* gdom() of an id out of range */
    struct g_ref refs[G_REFS];
    unsigned nrefs;
    struct g_handle gh[G_HANDLES]; /* grant handles */
    unsigned ngh;
    struct g_handle fh[G_HANDLES]; /* FF-A handles */
    unsigned nfh;
    int dev_dom[SIM_MAX_DEVICES];  /* domain a device was assigned to, or -1 */
};

/* A step being built. */
struct g_step {
    const struct sim_op *op;
    struct sim_val v[SIM_MAX_ARGS];
    int as_var;
    char as_prefix;
};

/* --- world ------------------------------------------------------------- */

void sim_world_cfg_copy(struct sim_world_cfg *dst, const struct sim_world_cfg *src)
{
    size_t i;

    *dst = *src;
    dst->mmio = g_new0(struct sim_mmio, src->mmio_count + 1);
    for (i = 0; i < src->mmio_count; i++) {
        dst->mmio[i] = src->mmio[i];
        dst->mmio[i].name = g_strdup(src->mmio[i].name);
    }
    dst->partitions = g_new0(struct sim_partition, src->partition_count + 1);
    for (i = 0; i < src->partition_count; i++) {
        dst->partitions[i] = src->partitions[i];
        dst->partitions[i].replies =
            src->partitions[i].reply_count
                ? g_memdup2(src->partitions[i].replies, src->partitions[i].reply_count * sizeof(int))
                : NULL;
    }
    dst->devices = g_new0(struct sim_device, src->device_count + 1);
    for (i = 0; i < src->device_count; i++) {
        dst->devices[i] = src->devices[i];
        dst->devices[i].id = g_strdup(src->devices[i].id);
    }
}

static void world_cfg_clear(struct sim_world_cfg *wc)
{
    size_t i;

    for (i = 0; i < wc->mmio_count; i++)
        g_free(wc->mmio[i].name);
    for (i = 0; i < wc->partition_count; i++)
        g_free(wc->partitions[i].replies);
    for (i = 0; i < wc->device_count; i++)
        g_free(wc->devices[i].id);
    g_free(wc->mmio);
    g_free(wc->partitions);
    g_free(wc->devices);
}

/* Draw the world a profile needs: small RAM, a few MMIO regions, SPs, devices, MPU. */
static void draw_world(struct gen *g)
{
    static const uint64_t rams[] = { 512, 1024, 2048, 4096 };
    struct sim_world_cfg *wc = &g->wc;
    struct xmm_world_opts d = XMM_WORLD_OPTS_INIT;
    enum sim_profile p = g->o->profile;
    bool mixed = p == SIM_PROF_MIXED;
    size_t i, n;

    memset(wc, 0, sizeof(*wc));
    wc->ram_pages = p == SIM_PROF_MPU ? 16384 : rams[g_below(&g->rng, 4)];
    wc->ram_base = xmm_mfn_x(d.ram_base);
    wc->alloc_mode = g_chance(&g->rng, 1, 2) ? XMM_ALLOC_LIFO : XMM_ALLOC_BUDDY;
    wc->checks = SIM_CHECKS_EVERY_STEP;
    wc->limits = d.limits;
    /* retry timer: the shares' fate is decided within a few hundred ticks */
    wc->limits.ffa_retry_ticks = (uint32_t)g_range(&g->rng, 5, 50);
    wc->limits.ffa_retry_limit = (uint32_t)g_range(&g->rng, 1, 5);
    /*
     * The toolstack's kill budget is chosen far above the longest wait a
     * well-behaved teardown can need (SP relinquish after <= 200 ticks,
     * retry timer <= 250 ticks), so destroy_progress is not provoked.
     */
    wc->limits.destroy_retries = 2000;
    if (p != SIM_PROF_FFA && p != SIM_PROF_GRANTS && p != SIM_PROF_IOMMU) {
        n = g_range(&g->rng, 1, p == SIM_PROF_MPU ? 8 : 3);
        wc->mmio = g_new0(struct sim_mmio, n + 1);
        wc->mmio_count = n;
        for (i = 0; i < n; i++) {
            wc->mmio[i].base = 0x9000 + 0x100 * i;
            wc->mmio[i].pages = g_range(&g->rng, 1, 16);
            wc->mmio[i].name = g_strdup_printf("dev%zu", i);
        }
    }
    if (p == SIM_PROF_FFA || mixed || g_chance(&g->rng, 1, 8)) {
        n = g_range(&g->rng, 1, 2);
        wc->has_spmc = true;
        wc->partitions = g_new0(struct sim_partition, n + 1);
        wc->partition_count = n;
        for (i = 0; i < n; i++) {
            struct sim_partition *sp = &wc->partitions[i];
            unsigned k = (unsigned)g_below(&g->rng, 20);

            sp->id = 0x8001 + (uint32_t)i;
            sp->subscribe = g_chance(&g->rng, 3, 4);
            if (g_chance(&g->rng, 1, 3)) {
                size_t j;

                sp->reply_count = g_range(&g->rng, 1, 3);
                sp->replies = g_new0(int, sp->reply_count);
                for (j = 0; j + 1 < sp->reply_count; j++)
                    sp->replies[j] = g_chance(&g->rng, 1, 2) ? XMM_FFA_RET_RETRY : 0;
                sp->replies[sp->reply_count - 1] = 0;
            }
            sp->manual_retrieve = g_chance(&g->rng, 1, 4);
            if (k < 8) {
                sp->relinquish = SIM_RELINQ_ON_VMD;
            } else if (k < 13) {
                sp->relinquish = SIM_RELINQ_AFTER;
                sp->relinquish_after = g_range(&g->rng, 1, 200);
            } else if (k < 17) {
                sp->relinquish = SIM_RELINQ_NEVER;
            } else {
                sp->relinquish = SIM_RELINQ_MANUAL;
            }
        }
    }
    if (p == SIM_PROF_IOMMU || mixed) {
        n = g_range(&g->rng, 1, 2);
        wc->has_iommu = true;
        wc->has_flush_latency = true;
        wc->flush_latency = g_range(&g->rng, 0, 100);
        wc->devices = g_new0(struct sim_device, n + 1);
        wc->device_count = n;
        for (i = 0; i < n; i++) {
            wc->devices[i].id = g_strdup_printf("nic%zu", i);
            wc->devices[i].ats = i == 0 || g_chance(&g->rng, 1, 2);
        }
    }
    if (p == SIM_PROF_MPU) {
        wc->has_mpu = true;
        wc->mpu_regions = (uint32_t)g_range(&g->rng, 12, 20);
        wc->mpu_cross_domain = XMM_MPU_XDOM_SWITCH;
    }
}

/*
 * Build the world of g->wc (as the runner does); the event history only
 * serves reports, so a short ring keeps world setup cheap.
 */
static int build_world(struct gen *g)
{
    return sim_world_build(&g->wc, g->o->seed, 1024, &g->x.w);
}

/* Swarm: drop a random subset of the profile's kinds, weight the rest at random. */
static void draw_swarm(struct gen *g)
{
    uint32_t kinds = profile_kinds[g->o->profile];
    unsigned k;

    for (k = 0; k < K_COUNT; k++) {
        g->op[k] = sim_op_find(kind_op[k]);
        g->weight[k] = 0;
        if (!(kinds & KB(k)) || !g->op[k])
            continue;
        /* domain_create and populate carry every story; the rest may be off */
        if (k != K_DCREATE && k != K_POPULATE && g_chance(&g->rng, 1, 4))
            continue;
        g->weight[k] = kind_weight[k] * (unsigned)g_range(&g->rng, 1, 4);
    }
    g->weight_sum = 0;
    for (k = 0; k < K_COUNT; k++)
        g->weight_sum += g->weight[k];
}

/* --- variables and values ------------------------------------------------ */

static int new_var(struct gen *g, char prefix)
{
    if (g->var_count >= SIM_MAX_VARS)
        return -1;
    if (g->var_count == g->var_cap) {
        g->var_cap = g->var_cap ? 2 * g->var_cap : 64;
        g->var_val = g_renew(uint64_t, g->var_val, g->var_cap);
    }
    g->var_val[g->var_count] = UINT64_MAX;
    if (g->record)
        g_ptr_array_add(g->var_names, g_strdup_printf("%c%zu", prefix, g->var_count + 1));
    return (int)g->var_count++;
}

static void set_int(struct g_step *s, int row, uint64_t u)
{
    s->v[row].kind = SIM_V_INT;
    s->v[row].u = u;
}

static void set_var(struct g_step *s, int row, int var)
{
    s->v[row].kind = SIM_V_VAR;
    s->v[row].u = (uint64_t)var;
}

/* A gfn: the variable when it names exactly this gfn and is bound. */
static void set_gfn(struct gen *g, struct g_step *s, int row, uint64_t gfn, int var)
{
    if (var >= 0 && g->var_val[var] == gfn)
        set_var(s, row, var);
    else
        set_int(s, row, gfn & (XMM_FRAME_LIMIT - 1));
}

/* --- argument pickers ---------------------------------------------------- */

/* Running domains the generator created (the model says which still run). */
static unsigned running_doms(struct gen *g, xmm_domid_t *out)
{
    unsigned n = 0, i;

    for (i = 1; i < G_MAX_DOM; i++)
        if (g->dom[i].created && xmm_domain_state(g->x.w, (xmm_domid_t)i) == XMM_DOMAIN_RUNNING)
            out[n++] = (xmm_domid_t)i;
    return n;
}

/* A running domain, sometimes one that is dying or gone, rarely one never created. */
static xmm_domid_t pick_dom(struct gen *g)
{
    xmm_domid_t live[G_MAX_DOM];
    unsigned n, i;

    if (g_chance(&g->rng, 1, 25))
        return (xmm_domid_t)g_range(&g->rng, 1, 9);
    n = running_doms(g, live);
    if (n == 0 || g_chance(&g->rng, 1, 12)) {
        n = 0;
        for (i = 1; i < G_MAX_DOM; i++)
            if (g->dom[i].created)
                live[n++] = (xmm_domid_t)i;
    }
    if (n == 0)
        return (xmm_domid_t)g_range(&g->rng, 1, 9);
    return live[g_below(&g->rng, n)];
}

/* A domain other than `not`, when there is one. */
static xmm_domid_t pick_other(struct gen *g, xmm_domid_t not)
{
    unsigned t;

    for (t = 0; t < 6; t++) {
        xmm_domid_t d = pick_dom(g);

        if (d != not)
            return d;
    }
    return (xmm_domid_t)(not == 1 ? 2 : 1);
}

/* Domain d's state; an id out of range gets a blank one (the run's own: fuzz -j). */
static struct g_dom *gdom(struct gen *g, xmm_domid_t d)
{
    if (d < G_MAX_DOM)
        return &g->dom[d];
    memset(&g->none, 0, sizeof(g->none));
    return &g->none;
}

/* A gfn inside one of d's populated ranges (*var when it is a bound first gfn). */
static uint64_t pick_owned(struct gen *g, xmm_domid_t d, int *var, uint64_t *room)
{
    struct g_dom *gd = gdom(g, d);
    uint64_t off;
    struct g_range *r;

    *var = -1;
    if (gd->nr == 0 || g_chance(&g->rng, 1, 25)) {
        *room = g_range(&g->rng, 1, 8);
        return 0x40000 + g_below(&g->rng, 0x400);
    }
    r = &gd->r[g_below(&g->rng, gd->nr < G_RANGES ? gd->nr : G_RANGES)];
    off = g_chance(&g->rng, 1, 3) ? 0 : g_below(&g->rng, r->pages);
    if (off == 0)
        *var = r->var;
    *room = r->pages - off;
    return r->gfn + off;
}

/* A gfn where d has something mapped that is not its RAM, else one of its RAM. */
static uint64_t pick_mapped(struct gen *g, xmm_domid_t d, int *var)
{
    struct g_dom *gd = gdom(g, d);
    uint64_t room;

    *var = -1;
    if (gd->nm && g_chance(&g->rng, 2, 3))
        return gd->mapped[g_below(&g->rng, gd->nm < G_MAPPED ? gd->nm : G_MAPPED)];
    return pick_owned(g, d, var, &room);
}

static void note_mapped(struct gen *g, xmm_domid_t d, uint64_t gfn)
{
    struct g_dom *gd = gdom(g, d);

    gd->mapped[gd->nm++ % G_MAPPED] = gfn;
}

/* A fresh gfn for a mapping: foreign window, a hole we were told about, or a RAM gfn. */
static uint64_t pick_map_target(struct gen *g, xmm_domid_t d, int *var)
{
    struct g_dom *gd = gdom(g, d);
    uint64_t room;

    *var = -1;
    if (gd->nh && g_chance(&g->rng, 1, 2)) {
        unsigned i = (unsigned)g_below(&g->rng, gd->nh < G_HOLES ? gd->nh : G_HOLES);

        *var = gd->hole_var[i];
        return gd->hole[i];
    }
    if (g_chance(&g->rng, 1, 8))
        return pick_owned(g, d, var, &room);
    if (g_chance(&g->rng, 1, 6)) {
        /* inside the domain's fixed safe range, as the model reports it */
        struct xmm_saferange_info si;

        if (xmm_saferange_info(g->x.w, d, &si) == 0 && si.range.pages)
            return xmm_gfn_x(si.range.gfn) + g_below(&g->rng, si.range.pages);
    }
    if (!gd->next_foreign)
        gd->next_foreign = 0x80000;
    return gd->next_foreign++;
}

/*
 * On an MPU host: may a step grow d's layout?  The budget rule of
 * docs/fuzzing.md: one step of the safe layout adds at most three regions
 * (a mapping placed inside a run splits it, adds its own run and, for a
 * xenheap page, a cut in Xen's heap region), so layout-growing steps are
 * drawn only while three regions are free.  Steps that under the fixed
 * policies leave the P2M alone (shared_info as a guest page, vcpu_info,
 * event channels under switch_view) are not held back.
 */
static bool mpu_room(struct gen *g, xmm_domid_t d)
{
    struct xmm_mpu_usage u;

    if (!g->wc.has_mpu || xmm_mpu_usage(g->x.w, d, &u) != 0 || !u.direct_map || !u.limit)
        return true;
    return u.total + 3 <= u.limit;
}

static uint32_t pick_sp(struct gen *g)
{
    if (!g->wc.partition_count)
        return 0;
    return g->wc.partitions[g_below(&g->rng, g->wc.partition_count)].id;
}

/* --- step builders: fill s, return false when the kind has nothing to act on --- */

static bool build(struct gen *g, enum g_kind k, struct g_step *s)
{
    struct g_rng *r = &g->rng;
    xmm_domid_t d, e;
    uint64_t gfn, room;
    int var = -1;
    unsigned i;

    s->as_var = -1;
    switch (k) {
    case K_ADVANCE:
        set_int(s, ADV_TICKS, g_chance(r, 1, 4) ? g_range(r, 50, 400) : g_range(r, 1, 30));
        return true;
    case K_DCREATE:
        d = (xmm_domid_t)g_range(r, 1, G_MAX_DOM - 1);
        if (gdom(g, d)->created && g_chance(r, 3, 4)) {
            for (i = 1; i < G_MAX_DOM && g->dom[i].created; i++)
                ;
            if (i < G_MAX_DOM)
                d = (xmm_domid_t)i;
        }
        set_int(s, DC_DOM, d);
        set_int(s, DC_MAX_PAGES, g_chance(r, 1, 10) ? g_range(r, 0, 16) : g_range(r, 64, 1024));
        if (g->o->profile == SIM_PROF_MPU ? g_chance(r, 9, 10) : g_chance(r, 1, 12))
            set_int(s, DC_DIRECT_MAP, 1);
        if (g->wc.has_spmc && g_chance(r, 4, 5))
            set_int(s, DC_FFA, 1);
        if (g->o->profile == SIM_PROF_SAFERANGE || g_chance(r, 1, 10)) {
            s->v[DC_SAFE_RANGE].kind = SIM_V_ENUM;
            s->v[DC_SAFE_RANGE].u = g_below(r, 2);
        }
        return true;
    case K_POPULATE:
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        set_int(s, POP_DOM, d);
        if (gdom(g, d)->direct && g_chance(r, 15, 16)) {
            set_int(s, POP_PAGES, g_range(r, 1, 64));
            s->as_var = new_var(g, 'g');
            s->as_prefix = 'g';
            return true;
        }
        {
            struct g_dom *gd = gdom(g, d);

            if (!gd->next_gfn)
                gd->next_gfn = 0x40000;
            gfn = gd->next_gfn;
            if (gd->nr && g_chance(r, 1, 10))
                gfn = pick_owned(g, d, &var, &room); /* over a populated page: EEXIST */
            set_int(s, POP_GFN, gfn);
            set_int(s, POP_PAGES, g_chance(r, 1, 16) ? g_range(r, 256, 4096) : g_range(r, 1, 32));
        }
        return true;
    case K_DECREASE:
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        gfn = pick_owned(g, d, &var, &room);
        set_int(s, DEC_DOM, d);
        set_gfn(g, s, DEC_GFN, gfn, var);
        set_int(s, DEC_PAGES, g_range(r, 1, room < 4 ? room : 4));
        return true;
    case K_DDESTROY:
        set_int(s, DD_DOM, pick_dom(g));
        return true;
    case K_MFOREIGN:
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        e = pick_other(g, d);
        set_int(s, MF_DOM, d);
        set_gfn(g, s, MF_GFN, pick_map_target(g, d, &var), var);
        gfn = pick_owned(g, e, &var, &room);
        set_int(s, MF_FROM, e);
        set_gfn(g, s, MF_FROM_GFN, gfn, var);
        return true;
    case K_MMMIO: {
        const struct sim_mmio *m;
        uint64_t off;

        if (!g->wc.mmio_count)
            return false;
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        m = &g->wc.mmio[g_below(r, g->wc.mmio_count)];
        off = g_chance(r, 2, 3) ? 0 : g_below(r, m->pages);
        set_int(s, MM_DOM, d);
        set_int(s, MM_MFN, m->base + off);
        set_int(s, MM_PAGES, g_chance(r, 1, 10) ? m->pages + 1 : g_range(r, 1, m->pages - off));
        if (gdom(g, d)->direct || g_chance(r, 1, 3)) {
            set_int(s, MM_GFN, m->base + off);
        } else {
            gfn = pick_map_target(g, d, &var);
            set_gfn(g, s, MM_GFN, gfn, var);
        }
        return true;
    }
    case K_MGFRAME:
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        i = g_chance(r, 1, 20) ? (unsigned)g_range(r, 4, 100) : (unsigned)g_below(r, 4);
        set_int(s, MG_DOM, d);
        set_int(s, MG_IDX, i);
        gfn = g_chance(r, 3, 4) ? 0x38000 + i : pick_map_target(g, d, &var);
        set_int(s, MG_GFN, gfn);
        return true;
    case K_MSHINFO:
        d = pick_dom(g);
        set_int(s, MS_DOM, d);
        if (g_chance(r, 1, 2)) {
            gfn = pick_owned(g, d, &var, &room);
            set_gfn(g, s, MS_GFN, gfn, var);
        } else {
            set_int(s, MS_GFN, 0x39000);
        }
        return true;
    case K_RVCPU:
        d = pick_dom(g);
        gfn = pick_owned(g, d, &var, &room);
        set_int(s, RV_DOM, d);
        set_int(s, RV_VCPU, g_below(r, 2));
        set_gfn(g, s, RV_GFN, gfn, var);
        return true;
    case K_EVTCHN:
        d = pick_dom(g);
        set_int(s, ES_DOM, d);
        set_int(s, ES_TO, g_chance(r, 1, 5) ? d : pick_other(g, d));
        set_int(s, ES_VCPU, g_below(r, 2));
        return true;
    case K_RPHYSMAP:
        d = pick_dom(g);
        if (!mpu_room(g, d))
            return false;
        gfn = pick_mapped(g, d, &var);
        set_int(s, RP_DOM, d);
        set_gfn(g, s, RP_GFN, gfn, var);
        return true;
    case K_LOOKUP:
        d = pick_dom(g);
        gfn = pick_mapped(g, d, &var);
        set_int(s, LK_DOM, d);
        set_gfn(g, s, LK_GFN, gfn, var);
        return true;
    case K_GRANT:
        d = pick_dom(g);
        gfn = pick_owned(g, d, &var, &room);
        set_int(s, GR_DOM, d);
        set_int(s, GR_REF, g_chance(r, 1, 30) ? g_range(r, 100000, 2000000) : g_below(r, 16));
        set_int(s, GR_TO, pick_other(g, d));
        set_gfn(g, s, GR_GFN, gfn, var);
        if (g_chance(r, 1, 5))
            set_int(s, GR_READONLY, 1);
        return true;
    case K_GEND: {
        const struct g_ref *f;

        if (!g->nrefs)
            return false;
        f = &g->refs[g_below(r, g->nrefs < G_REFS ? g->nrefs : G_REFS)];
        set_int(s, GE_DOM, f->dom);
        set_int(s, GE_REF, f->ref);
        return true;
    }
    case K_GMAP: {
        const struct g_ref *f;

        if (!g->nrefs)
            return false;
        f = &g->refs[g_below(r, g->nrefs < G_REFS ? g->nrefs : G_REFS)];
        d = g_chance(r, 1, 10) ? pick_dom(g) : f->to;
        if (!mpu_room(g, d))
            return false;
        set_int(s, GM_DOM, d);
        set_int(s, GM_FROM, f->dom);
        set_int(s, GM_REF, f->ref);
        gfn = pick_map_target(g, d, &var);
        set_gfn(g, s, GM_GFN, gfn, var);
        if (g_chance(r, 1, 5))
            set_int(s, GM_READONLY, 1);
        s->as_var = new_var(g, 'h');
        s->as_prefix = 'h';
        return true;
    }
    case K_GUNMAP: {
        const struct g_handle *h;

        if (!g->ngh)
            return false;
        h = &g->gh[g_below(r, g->ngh < G_HANDLES ? g->ngh : G_HANDLES)];
        set_int(s, GU_DOM, g_chance(r, 1, 10) ? pick_dom(g) : h->dom);
        set_var(s, GU_HANDLE, h->var);
        return true;
    }
    case K_FSHARE:
        if (!g->wc.partition_count)
            return false;
        d = pick_dom(g);
        gfn = pick_owned(g, d, &var, &room);
        set_int(s, FS_DOM, d);
        set_gfn(g, s, FS_GFN, gfn, var);
        set_int(s, FS_PAGES, g_chance(r, 1, 10) ? room + 1 : g_range(r, 1, room < 4 ? room : 4));
        set_int(s, FS_SP, pick_sp(g));
        s->as_var = new_var(g, 'h');
        s->as_prefix = 'h';
        return true;
    case K_FRECLAIM:
    case K_SPRET:
    case K_SPREL:
    case K_SPACC: {
        const struct g_handle *h;

        if (!g->nfh)
            return false;
        h = &g->fh[g_below(r, g->nfh < G_HANDLES ? g->nfh : G_HANDLES)];
        if (k == K_FRECLAIM) {
            set_int(s, FR_DOM, g_chance(r, 1, 10) ? pick_dom(g) : h->dom);
            set_var(s, FR_HANDLE, h->var);
            return true;
        }
        set_int(s, SPH_SP, g_chance(r, 1, 8) ? pick_sp(g) : h->sp);
        set_var(s, SPH_HANDLE, h->var);
        if (k == K_SPACC) {
            set_int(s, SA_PAGE, g_below(r, h->pages + (g_chance(r, 1, 8) ? 1 : 0)));
            if (g_chance(r, 1, 3))
                set_int(s, SA_WRITE, 0);
        }
        return true;
    }
    case K_IASSIGN:
        if (!g->wc.device_count)
            return false;
        i = (unsigned)g_below(r, g->wc.device_count);
        set_int(s, IA_DOM, pick_dom(g));
        s->v[IA_DEV].kind = SIM_V_STR;
        s->v[IA_DEV].s = g->wc.devices[i].id;
        return true;
    case K_DMA:
        if (!g->wc.device_count)
            return false;
        i = (unsigned)g_below(r, g->wc.device_count);
        d = g->dev_dom[i] > 0 && g_chance(r, 7, 8) ? (xmm_domid_t)g->dev_dom[i] : pick_dom(g);
        gfn = g_chance(r, 3, 4) ? pick_owned(g, d, &var, &room) : pick_mapped(g, d, &var);
        s->v[DMA_DEV].kind = SIM_V_STR;
        s->v[DMA_DEV].s = g->wc.devices[i].id;
        set_gfn(g, s, DMA_GFN, gfn, var);
        if (g_chance(r, 1, 3))
            set_int(s, DMA_WRITE, 0);
        return true;
    case K_QUERY:
        set_int(s, QU_DOM, pick_dom(g));
        s->as_var = new_var(g, 'g');
        s->as_prefix = 'g';
        return true;
    default:
        return false;
    }
}

/* What the generator learns from a step that succeeded. */
static void learn(struct gen *g, enum g_kind k, const struct sim_res *a, uint64_t bind, bool bound,
                  int as_var)
{
    xmm_domid_t d = (xmm_domid_t)a[A_DOM].u;
    struct g_dom *gd;
    size_t i;

    if (as_var >= 0 && bound)
        g->var_val[as_var] = bind;
    switch (k) {
    case K_DCREATE:
        gd = gdom(g, d);
        memset(gd, 0, sizeof(*gd));
        gd->created = true;
        gd->direct = a[DC_DIRECT_MAP].u != 0;
        gd->ffa = a[DC_FFA].u != 0;
        break;
    case K_POPULATE:
        gd = gdom(g, d);
        i = gd->nr++ % G_RANGES;
        gd->r[i].pages = a[POP_PAGES].u;
        gd->r[i].var = a[POP_GFN].present ? -1 : as_var;
        gd->r[i].gfn = a[POP_GFN].present ? a[POP_GFN].u : bind;
        if (a[POP_GFN].present && a[POP_GFN].u + a[POP_PAGES].u > gd->next_gfn)
            gd->next_gfn = a[POP_GFN].u + a[POP_PAGES].u + g_below(&g->rng, 3);
        break;
    case K_MFOREIGN:
    case K_MMMIO:
    case K_MSHINFO:
        note_mapped(g, d, a[A_GFN].u);
        break;
    case K_MGFRAME:
        note_mapped(g, d, a[MG_GFN].u);
        break;
    case K_GRANT:
        i = g->nrefs++ % G_REFS;
        g->refs[i].dom = d;
        g->refs[i].ref = (uint32_t)a[GR_REF].u;
        g->refs[i].to = (xmm_domid_t)a[GR_TO].u;
        break;
    case K_GMAP:
        note_mapped(g, d, a[GM_GFN].u);
        if (as_var >= 0) {
            i = g->ngh++ % G_HANDLES;
            g->gh[i].var = as_var;
            g->gh[i].dom = d;
        }
        break;
    case K_FSHARE:
        if (as_var >= 0) {
            i = g->nfh++ % G_HANDLES;
            g->fh[i].var = as_var;
            g->fh[i].dom = d;
            g->fh[i].sp = (uint32_t)a[FS_SP].u;
            g->fh[i].pages = a[FS_PAGES].u;
        }
        break;
    case K_IASSIGN:
        for (i = 0; i < g->wc.device_count; i++)
            if (strcmp(g->wc.devices[i].id, a[IA_DEV].s) == 0)
                g->dev_dom[i] = (int)d;
        break;
    case K_QUERY:
        gd = gdom(g, d);
        if (as_var >= 0) {
            i = gd->nh++ % G_HOLES;
            gd->hole[i] = bind;
            gd->hole_var[i] = as_var;
        }
        break;
    default:
        break;
    }
}

/* Values -> resolved arguments (defaults applied, variables substituted). */
static void resolve(struct gen *g, const struct g_step *s, struct sim_res *out)
{
    const struct sim_op *op = s->op;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        const struct sim_arg *a = &op->args[i];
        const struct sim_val *v = &s->v[i];

        if (!sim_res_of(a, s->v, i, &out[i]))
            continue;
        if (v->kind == SIM_V_VAR) {
            out[i].kind = SIM_V_INT;
            out[i].u = g->var_val[v->u];
        }
    }
}

/* Keep a step in the recorded trace. */
static void record_step(struct gen *g, const struct g_step *s, int rc)
{
    struct sim_step st;
    size_t i;

    memset(&st, 0, sizeof(st));
    st.op = s->op;
    st.vals = g_new0(struct sim_val, s->op->arg_count);
    for (i = 0; i < s->op->arg_count; i++) {
        st.vals[i] = s->v[i];
        st.vals[i].s = g_strdup(s->v[i].s);
    }
    st.as_var = s->as_var;
    if (rc != 0) {
        st.has_expect = true;
        st.expect_fam = s->op->family;
        st.expect_rc = rc;
    }
    g_array_append_val(g->steps, st);
}

/* Pick a kind by weight; kinds whose builder finds nothing to act on are redrawn. */
static enum g_kind draw_kind(struct gen *g)
{
    uint64_t x = g_below(&g->rng, g->weight_sum);
    unsigned k;

    for (k = 0; k < K_COUNT; k++) {
        if (x < g->weight[k])
            return (enum g_kind)k;
        x -= g->weight[k];
    }
    return K_POPULATE;
}

/* One step: build, execute, learn, check.  Return true when a violation stopped the run. */
static bool gen_step(struct gen *g, size_t number, struct sim_gen_result *res)
{
    struct g_step s;
    struct sim_res args[SIM_MAX_ARGS];
    struct sim_exec_out out;
    enum g_kind k = K_DCREATE;
    unsigned t;
    int rc;

    {
        xmm_domid_t live[G_MAX_DOM];
        unsigned n = running_doms(g, live);

        /* most stories need two running domains first */
        if (n == 0 || (n == 1 && g_chance(&g->rng, 1, 4)))
            t = 12;
        else
            t = 0;
    }
    for (; t < 12; t++) {
        k = draw_kind(g);
        memset(&s, 0, sizeof(s));
        s.op = g->op[k];
        if (build(g, k, &s))
            break;
        k = K_COUNT;
    }
    if (t >= 12) {
        k = K_DCREATE;
        memset(&s, 0, sizeof(s));
        s.op = g->op[k];
        build(g, k, &s);
    }
    resolve(g, &s, args);
    xmm_world_set_step(g->x.w, (uint32_t)number);
    memset(&out, 0, sizeof(out));
    rc = s.op->exec(&g->x, args, &out);
    res->ops_seen |= UINT64_C(1) << (s.op - sim_ops);
    if (rc == 0)
        learn(g, k, args, out.bind, out.bound, s.as_var);
    if (g->record)
        record_step(g, &s, rc);
    res->steps_run = number;
    g->rep->count = g->rep->kept = 0;
    if (xmm_check_incremental(g->x.w, g->rep) > 0) {
        res->violated = true;
        res->inv = g->rep->kept ? g->rep->v[0].inv : XMM_INV_COUNT;
        return true;
    }
    return false;
}

int sim_gen_run(const struct sim_gen_opts *o, bool record, struct sim_gen_result *res)
{
    struct gen *g = g_new0(struct gen, 1);
    size_t i;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    g->o = o;
    g->rng.s = o->seed ^ UINT64_C(0x6a09e667f3bcc908);
    g->record = record;
    if (o->world) {
        sim_world_cfg_copy(&g->wc, o->world);
    } else {
        draw_world(g);
        /*
         * On an MPU host the fixed design of seed 004 is a guest-provided
         * shared_info page (the xenheap page costs regions): the profile's
         * default, unless --policy names the knob.
         */
        if (o->profile == SIM_PROF_MPU)
            g->wc.policy.shared_info = XMM_SHARED_INFO_GUEST_PAGE;
    }
    for (i = 0; i < sim_policy_knob_count; i++)
        if (o->policy_set & (UINT32_C(1) << i))
            sim_policy_knobs[i].set(&g->wc.policy, sim_policy_knobs[i].get(&o->policy));
    draw_swarm(g);
    for (i = 0; i < SIM_MAX_DEVICES; i++)
        g->dev_dom[i] = -1;
    g->rep = g_new(struct xmm_check_report, 1);
    if (record) {
        g->steps = g_array_new(FALSE, TRUE, sizeof(struct sim_step));
        g->var_names = g_ptr_array_new();
    }
    g->x.out_dir = ".";
    if (build_world(g) != 0) {
        rc = -1;
    } else {
        for (i = 0; i < o->steps; i++)
            if (gen_step(g, i + 1, res))
                break;
        if (!res->violated) {
            g->rep->count = g->rep->kept = 0;
            if (xmm_check_full(g->x.w, g->rep) > 0) {
                res->violated = true;
                res->inv = g->rep->kept ? g->rep->v[0].inv : XMM_INV_COUNT;
            }
        }
    }
    xmm_world_free(g->x.w);
    if (record && rc == 0) {
        struct sim_scenario *sc = g_new0(struct sim_scenario, 1);

        sc->seed = o->seed;
        sim_world_cfg_copy(&sc->world, &g->wc);
        sc->step_count = g->steps->len;
        sc->steps = (struct sim_step *)(void *)g_array_free(g->steps, FALSE);
        sc->var_count = g->var_names->len;
        sc->vars = (char **)g_ptr_array_free(g->var_names, FALSE);
        sc->expect_violation = res->violated && res->inv < XMM_INV_COUNT;
        sc->violation = res->inv;
        res->sc = sc;
    } else if (record) {
        for (i = 0; i < g->steps->len; i++) {
            struct sim_step *st = &g_array_index(g->steps, struct sim_step, i);
            size_t j;

            for (j = 0; j < st->op->arg_count; j++)
                g_free(st->vals[j].s);
            g_free(st->vals);
        }
        g_array_free(g->steps, TRUE);
        g_ptr_array_free(g->var_names, TRUE);
    }
    world_cfg_clear(&g->wc);
    g_free(g->var_val);
    g_free(g->rep);
    g_free(g);
    return rc;
}
