/*
 * xmm-sim - the `explore` key of a scenario: the op alphabet of
 * `xmm-sim explore` (docs/scenario-format.md, docs/explore.md).
 *
 *   explore:
 *     depth: 6                   # optional: the depth explore goes to
 *     liveness: 300              # optional: teardown check, clock ticks
 *     symmetric: [1, 2]          # optional: interchangeable domain ids
 *     ops:
 *       - domain_create: {dom: [1, 2], max_pages: 4}
 *       - populate: {dom: [1, 2], gfn: [0x10, 0x11]}
 *       - advance: [1, 100]
 *
 * An entry is written like a step with exactly one op key; an argument
 * (or the value of a scalar op) written as a sequence lists the values it
 * takes, and the entry stands for every combination of them, in order
 * (the first argument varying slowest).  Each combination is validated as
 * a step would be, so errors point at the value in the file.
 */
#include <string.h>

#include "load.h"

/* Bound on the combinations of one entry (also SIM_EXPLORE_MAX_OPS overall). */
#define EXPLORE_MAX_ARGS 16

/* Expand one alphabet entry into ex->ops. */
static bool ld_explore_entry(struct ld *l, struct sim_explore *ex, const struct yt_node *e)
{
    const struct yt_node *key, *val;
    const struct sim_op *op;
    const struct yt_node *alt[EXPLORE_MAX_ARGS]; /* value nodes that list alternatives */
    size_t alt_slot[EXPLORE_MAX_ARGS], pos[EXPLORE_MAX_ARGS];
    size_t nalt = 0, i, combos = 1;

    if (e->kind != YT_MAP || e->count == 0)
        return ld_fail(l, e, "explore.ops: an entry is a mapping with one op, got %s",
                       e->kind == YT_MAP ? "an empty mapping" : yt_kind_name(e));
    key = e->items[0];
    val = e->items[1];
    if (e->count > 1)
        return ld_fail(l, e->items[2],
                       "explore.ops: an entry is one op and its argument values (no as, expect "
                       "or note), got '%s'",
                       e->items[2]->kind == YT_SCALAR ? e->items[2]->value : "?");
    op = key->kind == YT_SCALAR ? sim_op_find(key->value) : NULL;
    if (op && op->no_expect)
        return ld_fail(l, key, "explore.ops: '%s' cannot be in the alphabet (every state is "
                               "checked anyway)", op->name);
    if (op && val->kind == YT_SEQ) {
        if (!op->scalar)
            return ld_fail(l, val, "explore.ops: %s takes a mapping of arguments", op->name);
        alt[nalt] = val;
        alt_slot[nalt++] = SIZE_MAX;
    } else if (op && val->kind == YT_MAP) {
        for (i = 0; i < val->count; i++) {
            if (val->items[2 * i + 1]->kind != YT_SEQ)
                continue;
            if (nalt == EXPLORE_MAX_ARGS)
                return ld_fail(l, val->items[2 * i + 1],
                               "explore.ops: at most %d arguments may list values",
                               EXPLORE_MAX_ARGS);
            alt[nalt] = val->items[2 * i + 1];
            alt_slot[nalt++] = 2 * i + 1;
        }
    }
    for (i = 0; i < nalt; i++) {
        if (alt[i]->count == 0)
            return ld_fail(l, alt[i], "explore.ops: %s: an empty list of values", op->name);
        if (combos * alt[i]->count > SIM_EXPLORE_MAX_OPS)
            return ld_fail(l, alt[i], "explore.ops: %s: more than %u combinations", op->name,
                           SIM_EXPLORE_MAX_OPS);
        combos *= alt[i]->count;
        pos[i] = 0;
    }
    if (ex->op_count + combos > SIM_EXPLORE_MAX_OPS)
        return ld_fail(l, e, "explore.ops: the alphabet has more than %u ops",
                       SIM_EXPLORE_MAX_OPS);
    for (size_t c = 0; c < combos; c++) {
        struct yt_node stepn = *e, valn, *pair[2], **items = NULL;
        struct sim_step *st = &ex->ops[ex->op_count];
        bool ok;

        valn = *val;
        if (val->kind == YT_MAP) {
            items = g_new(struct yt_node *, 2 * val->count + 1);
            memcpy(items, val->items, 2 * val->count * sizeof(*items));
            valn.items = items;
        }
        for (i = 0; i < nalt; i++) {
            const struct yt_node *pick = alt[i]->items[pos[i]];

            if (alt_slot[i] == SIZE_MAX)
                valn = *pick;
            else
                items[alt_slot[i]] = (struct yt_node *)pick;
        }
        pair[0] = (struct yt_node *)key;
        pair[1] = &valn;
        stepn.items = pair;
        stepn.count = 1;
        memset(st, 0, sizeof(*st));
        st->as_var = -1;
        ex->op_count++;
        ok = ld_step(l, &stepn, st);
        g_free(items);
        if (!ok)
            return false;
        for (i = nalt; i-- > 0;) {
            if (++pos[i] < alt[i]->count)
                break;
            pos[i] = 0;
        }
    }
    return true;
}

bool ld_explore(struct ld *l, const struct yt_node *n)
{
    static const char *const keys[] = { "depth", "ops", "liveness", "symmetric", NULL };
    struct sim_explore *ex;
    const struct yt_node *v;
    uint64_t u;
    size_t i;

    if (!ld_keys(l, n, keys, "explore") || !ld_require(l, n, "ops", "explore"))
        return false;
    ex = g_new0(struct sim_explore, 1);
    l->sc->explore = ex;
    ex->line = n->line;
    ex->col = n->col;
    v = yt_map_get(n, "depth");
    if (v) {
        if (!ld_u64(l, v, "explore.depth", 1, SIM_EXPLORE_MAX_DEPTH, false, &u))
            return false;
        ex->depth = (uint32_t)u;
    }
    v = yt_map_get(n, "liveness");
    if (v && !ld_u64(l, v, "explore.liveness", 1, SIM_MAX_TICKS, false, &ex->liveness_ticks))
        return false;
    v = yt_map_get(n, "symmetric");
    if (v) {
        if (!ld_seq(l, v, "explore.symmetric", 8))
            return false;
        ex->symmetric = g_new0(xmm_domid_t, v->count + 1);
        for (i = 0; i < v->count; i++) {
            if (!ld_u64(l, v->items[i], "explore.symmetric", 0, XMM_DOMID_FIRST_RESERVED - 1,
                        false, &u))
                return false;
            ex->symmetric[i] = (xmm_domid_t)u;
            ex->symmetric_count = i + 1;
        }
    }
    v = yt_map_get(n, "ops");
    if (!ld_seq(l, v, "explore.ops", SIM_EXPLORE_MAX_OPS))
        return false;
    /*
     * A streamed load (xmm-sim run) keeps no variable table to check the
     * alphabet against, and runs only the steps: explore loads the whole
     * file and validates every op of the alphabet.
     */
    if (l->stream)
        return true;
    if (v->count == 0)
        return ld_fail(l, v, "explore.ops: the alphabet is empty (list at least one op)");
    ex->ops = g_new0(struct sim_step, SIM_EXPLORE_MAX_OPS);
    for (i = 0; i < v->count; i++)
        if (!ld_explore_entry(l, ex, v->items[i]))
            return false;
    ex->ops = g_renew(struct sim_step, ex->ops, ex->op_count);
    return true;
}
