/*
 * xmm-sim - loader: the `steps` sequence.  Each step is checked against
 * the op table: one op key, its arguments by row (type, range, required),
 * `as` / `expect` / `note`, and for `check` the subject rules.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "value.h"

static bool ld_args_map(struct ld *l, const struct sim_op *op, const struct yt_node *n,
                        int parent, struct sim_val *vals, const char *where);

/* "where.key" into buf (truncated); a step's hot path, so no printf. */
static void ld_join(char *buf, size_t len, const char *where, const char *key)
{
    size_t a = strlen(where), b = strlen(key);

    if (a + 1 + b >= len) {
        snprintf(buf, len, "%s.%s", where, key);
        return;
    }
    memcpy(buf, where, a);
    buf[a] = '.';
    memcpy(buf + a + 1, key, b + 1);
}

/* "dom, gfn, pages": the rows of op under `parent`. */
static void ld_row_list(const struct sim_op *op, int parent, char *buf, size_t len)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < op->arg_count && used < len; i++) {
        int n;

        if (op->args[i].parent != parent)
            continue;
        n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", op->args[i].key);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* "advance, domain_create, ...": every op name. */
static void ld_op_list(char *buf, size_t len)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < sim_op_count && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", sim_ops[i].name);

        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Is the partition id declared in world.spmc? */
static bool ld_partition_known(const struct sim_world_cfg *wc, uint64_t id)
{
    size_t i;

    for (i = 0; i < wc->partition_count; i++)
        if (wc->partitions[i].id == id)
            return true;
    return false;
}

/*
 * An integer-typed value of type t: `$NAME` (must be bound by an earlier
 * step) or a literal in the type's range.
 */
/* A domain written as the reports print it: `d` and decimal digits ("d1"). */
static bool ld_domid_name(const struct yt_node *n)
{
    const char *p = n->value;

    if (n->kind != YT_SCALAR || !n->plain || p[0] != 'd' || !p[1])
        return false;
    for (p++; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static bool ld_intval(struct ld *l, const struct sim_arg *a, enum sim_type t,
                      const struct yt_node *n, struct sim_val *v, const char *what)
{
    uint64_t min, max;
    int idx;

    if (n->kind == YT_SCALAR && n->value[0] == '$') {
        if (!sim_var_name_ok(n->value + 1))
            return ld_fail(l, n, "%s: bad variable name '%s'", what, n->value);
        idx = ld_var_find(l, n->value + 1);
        if (idx < 0)
            return ld_fail(l, n, "%s: unknown variable %s (no earlier step binds it with 'as: %s')",
                           what, n->value, n->value + 1);
        v->kind = SIM_V_VAR;
        v->u = (uint64_t)idx;
        return true;
    }
    sim_arg_range(a, t, &min, &max);
    if (t == SIM_T_DOMID && ld_domid_name(n)) {
        /* "d1", as the reports print a domain */
        struct yt_node num = *n;

        num.value = n->value + 1;
        if (!ld_u64(l, &num, what, min, max, false, &v->u))
            return false;
    } else if (t == SIM_T_PAGES) {
        if (!ld_pages(l, n, what, min, max, &v->u))
            return false;
    } else if (!ld_u64(l, n, what, min, max,
                       t == SIM_T_GFN || t == SIM_T_MFN || t == SIM_T_HANDLE || t == SIM_T_SP,
                       &v->u)) {
        return false;
    }
    if (t == SIM_T_SP && !ld_partition_known(&l->sc->world, v->u))
        return ld_fail(l, n, "%s: partition 0x%" PRIx64 " is not declared in world.spmc.partitions",
                       what, v->u);
    v->kind = SIM_V_INT;
    return true;
}

/* A device id declared in world.iommu.devices. */
static bool ld_device(struct ld *l, const struct yt_node *n, struct sim_val *v, const char *what)
{
    const struct sim_world_cfg *wc = &l->sc->world;
    size_t i;

    if (!ld_string(l, n, what, &v->s))
        return false;
    v->kind = SIM_V_STR;
    for (i = 0; i < wc->device_count; i++)
        if (strcmp(wc->devices[i].id, v->s) == 0)
            return true;
    return ld_fail(l, n, "%s: device '%s' is not declared in world.iommu.devices", what, v->s);
}

/* A file name under --out: relative, no `..` component, no empty name. */
static bool ld_path(struct ld *l, const struct yt_node *n, struct sim_val *v, const char *what)
{
    char **parts;
    bool up = false;
    size_t i;

    if (!ld_string(l, n, what, &v->s))
        return false;
    if (v->s[0] == '\0' || v->s[0] == '/')
        return ld_fail(l, n, "%s: '%s' must be a relative file name (it goes under --out)", what,
                       v->s);
    parts = g_strsplit(v->s, "/", -1);
    for (i = 0; parts[i]; i++)
        up |= strcmp(parts[i], "..") == 0;
    g_strfreev(parts);
    if (up)
        return ld_fail(l, n, "%s: '%s' must not leave the output directory (..)", what, v->s);
    return true;
}

/* A P2M type name, or absent. */
static bool ld_p2m_type(struct ld *l, const struct yt_node *n, struct sim_val *v, const char *what)
{
    enum xmm_p2m_type t;
    char list[512] = "";
    size_t used = 0;
    int i;

    if (n->kind != YT_SCALAR || yt_is_null(n))
        return ld_fail(l, n, "%s: expected a P2M type name, got %s", what,
                       n->kind == YT_SCALAR ? "nothing" : yt_kind_name(n));
    if (xmm_p2m_type_parse(n->value, &t) != 0) {
        for (i = 0; i < XMM_P2M_TYPE_COUNT && used < sizeof(list) - 32; i++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                     xmm_p2m_type_name((enum xmm_p2m_type)i));
        return ld_fail(l, n, "%s: unknown P2M type '%s' (one of %s)", what, n->value, list);
    }
    v->kind = SIM_V_INT;
    v->u = (uint64_t)t;
    return true;
}

/* A nested row: one of its names, its integer form, or a mapping of child rows. */
static bool ld_nested(struct ld *l, const struct sim_op *op, int row, const struct yt_node *n,
                      struct sim_val *vals, const char *what)
{
    const struct sim_arg *a = &op->args[row];
    struct sim_val *v = &vals[row];
    char names[256] = "", rows[256];
    int idx;

    if (n->kind == YT_MAP) {
        v->kind = SIM_V_MAP;
        return ld_args_map(l, op, n, row, vals, what);
    }
    if (n->kind == YT_SCALAR && a->values && (idx = sim_enum_index(a->values, n->value)) >= 0) {
        v->kind = SIM_V_ENUM;
        v->u = (uint64_t)idx;
        return true;
    }
    if (n->kind == YT_SCALAR && a->int_alt != SIM_T_NONE)
        return ld_intval(l, a, a->int_alt, n, v, what);
    sim_enum_join(a->values, names, sizeof(names));
    ld_row_list(op, row, rows, sizeof(rows));
    return ld_fail(l, n, "%s: expected %s%sa mapping {%s}, got %s%s%s", what, names,
                   names[0] ? ", or " : "", rows,
                   n->kind == YT_SCALAR ? "'" : yt_kind_name(n),
                   n->kind == YT_SCALAR ? n->value : "", n->kind == YT_SCALAR ? "'" : "");
}

/* One argument value, by the type of its row. */
static bool ld_val(struct ld *l, const struct sim_op *op, int row, const struct yt_node *n,
                   struct sim_val *vals, const char *what)
{
    const struct sim_arg *a = &op->args[row];
    struct sim_val *v = &vals[row];
    bool b;
    int idx;

    v->line = n->line;
    v->col = n->col;
    if (sim_type_is_int(a->type))
        return ld_intval(l, a, a->type, n, v, what);
    switch (a->type) {
    case SIM_T_BOOL:
        if (!ld_bool(l, n, what, &b))
            return false;
        v->kind = SIM_V_INT;
        v->u = b;
        return true;
    case SIM_T_STRING:
        v->kind = SIM_V_STR;
        return ld_string(l, n, what, &v->s);
    case SIM_T_PATH:
        v->kind = SIM_V_STR;
        return ld_path(l, n, v, what);
    case SIM_T_DEVICE:
        return ld_device(l, n, v, what);
    case SIM_T_ENUM:
        if (!ld_enum(l, n, what, a->values, &idx))
            return false;
        v->kind = SIM_V_ENUM;
        v->u = (uint64_t)idx;
        return true;
    case SIM_T_OWNER:
        if (n->kind == YT_SCALAR && (idx = sim_enum_index(a->values, n->value)) >= 0) {
            v->kind = SIM_V_ENUM;
            v->u = (uint64_t)idx;
            return true;
        }
        if (n->kind == YT_SCALAR && n->plain && n->value[0] != '$' && !ld_domid_name(n) &&
            (n->value[0] < '0' || n->value[0] > '9') && n->value[0] != '-')
            return ld_fail(l, n, "%s: expected a domain id (1 or d1) or one of xen, park, free, "
                           "got '%s'", what, n->value);
        return ld_intval(l, a, SIM_T_DOMID, n, v, what);
    case SIM_T_P2M_TYPE:
        return ld_p2m_type(l, n, v, what);
    case SIM_T_NESTED:
        return ld_nested(l, op, row, n, vals, what);
    default:
        return ld_fail(l, n, "%s: internal error: row type %d", what, (int)a->type);
    }
}

/* An unknown key in a check: list the subjects, then the assertions. */
static bool ld_check_unknown(struct ld *l, const struct yt_node *k)
{
    const struct sim_op *op = sim_op_check();
    char subjects[256] = "", asserts[256] = "";
    size_t i, su = 0, au = 0;

    for (i = 0; i < sim_check_subject_count; i++)
        su += (size_t)snprintf(subjects + su, sizeof(subjects) - su, "%s%s", i ? ", " : "",
                               sim_check_subjects[i].key);
    for (i = 0; i < op->arg_count; i++) {
        bool subject = false;
        size_t j;

        for (j = 0; j < sim_check_subject_count; j++)
            subject |= sim_check_subjects[j].row == (int)i;
        if (!subject && op->args[i].parent < 0)
            au += (size_t)snprintf(asserts + au, sizeof(asserts) - au, "%s%s", au ? ", " : "",
                                   op->args[i].key);
    }
    return ld_fail(l, k, "unknown check key '%s' (subjects: %s; assertions: %s)", k->value,
                   subjects, asserts);
}

/* A mapping of arguments: the rows of op under `parent`. */
static bool ld_args_map(struct ld *l, const struct sim_op *op, const struct yt_node *n,
                        int parent, struct sim_val *vals, const char *where)
{
    char list[256], what[128];
    size_t i, j;

    for (i = 0; i < n->count; i++) {
        const struct yt_node *k = n->items[2 * i];
        int row;

        if (k->kind != YT_SCALAR)
            return ld_fail(l, k, "%s: keys must be plain names, got %s", where, yt_kind_name(k));
        row = sim_op_arg(op, k->value, parent);
        if (row < 0 && op == sim_op_check() && parent < 0)
            return ld_check_unknown(l, k);
        if (row < 0) {
            ld_row_list(op, parent, list, sizeof(list));
            return ld_fail(l, k, "unknown argument '%s' for %s (allowed: %s)", k->value, where,
                           list);
        }
        for (j = 0; j < i; j++)
            if (strcmp(n->items[2 * j]->value, k->value) == 0)
                return ld_fail(l, k, "duplicate key '%s' in %s (first at line %" PRIu32 ")",
                               k->value, where, n->items[2 * j]->line);
        ld_join(what, sizeof(what), where, k->value);
        if (!ld_val(l, op, row, n->items[2 * i + 1], vals, what))
            return false;
    }
    for (i = 0; i < op->arg_count; i++)
        if (op->args[i].parent == parent && (op->args[i].flags & SIM_ARG_REQUIRED) &&
            vals[i].kind == SIM_V_ABSENT)
            return ld_fail(l, n, "%s: missing required argument '%s'", where, op->args[i].key);
    return true;
}

/* The value of the op key: a scalar for `advance`, else a mapping of rows. */
static bool ld_op_value(struct ld *l, struct sim_step *st, const struct yt_node *n)
{
    const struct sim_op *op = st->op;
    char list[256];

    if (op->scalar)
        return ld_val(l, op, 0, n, st->vals, op->name);
    if (n->kind != YT_MAP) {
        ld_row_list(op, -1, list, sizeof(list));
        return ld_fail(l, n, "%s: expected a mapping of arguments (%s), got %s", op->name, list,
                       yt_kind_name(n));
    }
    return ld_args_map(l, op, n, -1, st->vals, op->name);
}

/* expect: NAME | {rc: NAME}; the code must be of the op's family. */
static bool ld_step_expect(struct ld *l, struct sim_step *st, const struct yt_node *n)
{
    static const char *const keys[] = { "rc", NULL };
    const struct sim_op *op = st->op;

    if (op->no_expect)
        return ld_fail(l, n, "%s steps take no 'expect' (they return no code)", op->name);
    if (n->kind == YT_MAP) {
        if (!ld_keys(l, n, keys, "expect") || !ld_require(l, n, "rc", "expect"))
            return false;
        n = yt_map_get(n, "rc");
    }
    if (n->kind != YT_SCALAR || yt_is_null(n))
        return ld_fail(l, n, "expect: expected a return-code name, got %s",
                       n->kind == YT_SCALAR ? "nothing" : yt_kind_name(n));
    st->has_expect = true;
    if (strcmp(n->value, "any") == 0) {
        st->expect_any = true;
        return true;
    }
    if (xmm_rc_parse(n->value, &st->expect_fam, &st->expect_rc) != 0)
        return ld_fail(l, n, "expect: unknown return code '%s' (OK, errno names like EINVAL, "
                       "GNTST_*, FFA_RET_*, or any)", n->value);
    if (st->expect_fam != op->family)
        return ld_fail(l, n, "op %s returns %s codes, not %s", op->name,
                       sim_family_codes(op->family), n->value);
    return true;
}

/* as: NAME, for ops that bind something. */
static bool ld_step_as(struct ld *l, struct sim_step *st, const struct yt_node *n)
{
    if (st->op->binds == SIM_BIND_NONE)
        return ld_fail(l, n, "op '%s' binds nothing; 'as' is not allowed", st->op->name);
    if (n->kind != YT_SCALAR || yt_is_null(n))
        return ld_fail(l, n, "as: expected a variable name, got %s",
                       n->kind == YT_SCALAR ? "nothing" : yt_kind_name(n));
    if (n->value[0] == '$')
        return ld_fail(l, n, "as: write the name without '$' (as: %s)", n->value + 1);
    if (!sim_var_name_ok(n->value))
        return ld_fail(l, n, "as: bad variable name '%s' (letters, digits, _; at most %u)",
                       n->value, SIM_MAX_VAR_NAME);
    st->as_var = ld_var_bind(l, n, n->value);
    return st->as_var >= 0;
}

/* Index of the check subject whose row is r, or -1. */
static int ld_subject_of_row(int r)
{
    size_t i;

    for (i = 0; i < sim_check_subject_count; i++)
        if (sim_check_subjects[i].row == r)
            return (int)i;
    return -1;
}

/* `show`: exactly one subject. */
static bool ld_show_rules(struct ld *l, const struct sim_step *st, const struct yt_node *n)
{
    const struct sim_op *op = st->op;
    const struct sim_arg *first = NULL;
    size_t i;

    for (i = 0; i < op->arg_count; i++) {
        const struct sim_val *v = &st->vals[i];

        if (op->args[i].parent != -1 || v->kind == SIM_V_ABSENT)
            continue;
        if (first) {
            struct yt_node at = { .line = v->line, .col = v->col };

            return ld_fail(l, &at, "show has two subjects, '%s' and '%s' (one per show)",
                           first->key, op->args[i].key);
        }
        first = &op->args[i];
    }
    if (!first)
        return ld_fail(l, n, "show needs a subject: one of frame, domain, p2m, share, device");
    return true;
}

/* `check`: exactly one subject, and only the assertions it takes. */
static bool ld_check_rules(struct ld *l, const struct sim_step *st, const struct yt_node *n)
{
    const struct sim_check_subject *subj = NULL;
    const struct sim_op *op = st->op;
    const struct sim_val *vals = st->vals;
    char list[256] = "";
    size_t i, k, used = 0;
    bool any = false;

    for (i = 0; i < sim_check_subject_count; i++) {
        const struct sim_check_subject *s = &sim_check_subjects[i];
        const struct sim_val *v = &vals[s->row];

        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", s->key);
        if (v->kind == SIM_V_ABSENT)
            continue;
        if (subj) {
            struct yt_node at = { .line = v->line, .col = v->col };

            return ld_fail(l, &at, "check has two subjects, '%s' and '%s' (one per check)",
                           subj->key, s->key);
        }
        subj = s;
    }
    if (!subj)
        return ld_fail(l, n, "check needs a subject: one of %s", list);
    for (i = 0; i < op->arg_count; i++) {
        bool ok = false;

        if (op->args[i].parent != -1 || vals[i].kind == SIM_V_ABSENT ||
            ld_subject_of_row((int)i) >= 0)
            continue;
        for (k = 0; k < subj->assert_count; k++)
            ok |= subj->asserts[k] == (int)i;
        if (!ok) {
            struct yt_node at = { .line = vals[i].line, .col = vals[i].col };

            list[0] = '\0';
            for (k = 0, used = 0; k < subj->assert_count; k++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "",
                                         op->args[subj->asserts[k]].key);
            return ld_fail(l, &at, "check on '%s' does not take '%s' (%s%s)", subj->key,
                           op->args[i].key, list[0] ? "allowed: " : "it takes no other keys",
                           list);
        }
        any = true;
    }
    if (!any && !subj->value_asserts) {
        list[0] = '\0';
        for (k = 0, used = 0; k < subj->assert_count; k++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "",
                                     op->args[subj->asserts[k]].key);
        return ld_fail(l, n, "check on '%s' asserts nothing (add one of %s)", subj->key, list);
    }
    return true;
}

/* Find the op key of a step and sort out the other keys. */
static bool ld_step_keys(struct ld *l, const struct yt_node *n, const struct yt_node **opkey,
                         const struct sim_op **opp, const struct yt_node **opval,
                         const struct yt_node *meta[3])
{
    static const char *const metas[] = { "as", "expect", "note", NULL };
    const struct sim_op *ops[8];
    char list[512];
    bool any_op = false;
    size_t i, j;
    int m;

    for (i = 0; i < n->count; i++) {
        const struct sim_op *op =
            n->items[2 * i]->kind == YT_SCALAR ? sim_op_find(n->items[2 * i]->value) : NULL;

        if (i < 8)
            ops[i] = op;
        any_op |= op != NULL;
    }
    for (i = 0; i < n->count; i++) {
        const struct yt_node *k = n->items[2 * i];
        const struct sim_op *op;

        if (k->kind != YT_SCALAR)
            return ld_fail(l, k, "step: keys must be plain names, got %s", yt_kind_name(k));
        for (j = 0; j < i; j++)
            if (strcmp(n->items[2 * j]->value, k->value) == 0)
                return ld_fail(l, k, "duplicate key '%s' in step (first at line %" PRIu32 ")",
                               k->value, n->items[2 * j]->line);
        op = i < 8 ? ops[i] : sim_op_find(k->value);
        if (!op && (m = sim_enum_index(metas, k->value)) >= 0) {
            meta[m] = n->items[2 * i + 1];
        } else if (op) {
            if (*opkey)
                return ld_fail(l, k, "step has two ops, '%s' and '%s' (one op per step)",
                               (*opkey)->value, k->value);
            *opkey = k;
            *opp = op;
            *opval = n->items[2 * i + 1];
        } else if (!any_op) {
            ld_op_list(list, sizeof(list));
            return ld_fail(l, k, "unknown op '%s' (ops: %s)", k->value, list);
        } else {
            return ld_fail(l, k, "unknown key '%s' in step (allowed: as, expect, note, and one op)",
                           k->value);
        }
    }
    if (!*opkey) {
        ld_op_list(list, sizeof(list));
        return ld_fail(l, n, "step has no op (one of: %s)", list);
    }
    return true;
}

/* One step. */
bool ld_step(struct ld *l, const struct yt_node *n, struct sim_step *st)
{
    const struct yt_node *opkey = NULL, *opval = NULL, *meta[3] = { NULL, NULL, NULL };
    const struct sim_op *op = NULL;

    if (n->kind != YT_MAP)
        return ld_fail(l, n, "step: expected a mapping with one op, got %s", yt_kind_name(n));
    if (!ld_step_keys(l, n, &opkey, &op, &opval, meta))
        return false;
    st->op = op;
    st->line = n->line;
    st->col = n->col;
    st->vals = g_new0(struct sim_val, st->op->arg_count);
    if (!ld_op_value(l, st, opval))
        return false;
    if (meta[1] && !ld_step_expect(l, st, meta[1]))
        return false;
    if (meta[2] && !ld_string(l, meta[2], "note", &st->note))
        return false;
    if (meta[0] && !ld_step_as(l, st, meta[0]))
        return false;
    if (st->op == sim_op_check() && !ld_check_rules(l, st, opval))
        return false;
    if (st->op == sim_op_show() && !ld_show_rules(l, st, opval))
        return false;
    return true;
}

/* steps: every step, in order, into sc->steps. */
bool ld_steps(struct ld *l, const struct yt_node *n)
{
    struct sim_scenario *sc = l->sc;
    size_t i;

    if (l->stream)
        return ld_stream_steps(l, n);
    if (!ld_seq(l, n, "steps", SIM_MAX_STEPS))
        return false;
    sc->steps = g_new0(struct sim_step, n->count ? n->count : 1);
    for (i = 0; i < n->count; i++) {
        sc->step_count = i + 1;
        sc->steps[i].as_var = -1;
        if (!ld_step(l, n->items[i], &sc->steps[i]))
            return false;
    }
    return true;
}
