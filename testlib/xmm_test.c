/*
 * libxmm-test (see include/xmm/test.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xmm/test.h"

/* Events written per history; more are summarised as "(N earlier events)". */
#define XT_HISTORY_MAX 64

void xmm_test_history(FILE *f, const struct xmm_world *w, xmm_mfn_t mfn)
{
    struct xmm_event ev[XT_HISTORY_MAX];
    size_t n = xmm_history_frame(w, mfn, ev, XT_HISTORY_MAX), i;

    fprintf(f, "mfn 0x%" PRIx64 ", oldest first:\n", xmm_mfn_x(mfn));
    if (n == 0)
        fprintf(f, "  no events recorded\n");
    else if (n == XT_HISTORY_MAX)
        fprintf(f, "  (earlier events not shown)\n");
    for (i = n; i-- > 0;) {
        char what[160];

        xmm_event_describe_in(w, &ev[i], what, sizeof(what));
        fprintf(f, "  step %" PRIu32 ", tick %" PRIu64 ": %s\n", ev[i].step, ev[i].tick, what);
    }
}

/* One violation: "violation: refcount at frame mfn 0x40000: ..." */
static void xt_violation(FILE *f, const struct xmm_violation *v)
{
    fprintf(f, "violation: %s at ", xmm_invariant_name(v->inv));
    if (v->kind == XMM_SUBJECT_FRAME)
        fprintf(f, "frame mfn 0x%" PRIx64, xmm_mfn_x(v->mfn));
    else if (v->kind == XMM_SUBJECT_DOMAIN)
        fprintf(f, "domain d%u", (unsigned)v->dom);
    else if (v->kind == XMM_SUBJECT_P2M)
        fprintf(f, "p2m d%u gfn 0x%" PRIx64, (unsigned)v->dom, xmm_gfn_x(v->gfn));
    else
        fprintf(f, "the world");
    fprintf(f, ": %s\n", v->detail);
}

void xmm_test_report(FILE *f, const struct xmm_world *w, const struct xmm_check_report *rep)
{
    uint32_t i, j;

    for (i = 0; i < rep->kept; i++) {
        const struct xmm_violation *v = &rep->v[i];
        bool seen = false;

        xt_violation(f, v);
        if (xmm_mfn_eq(v->mfn, XMM_INVALID_MFN) ||
            (v->kind != XMM_SUBJECT_FRAME && v->kind != XMM_SUBJECT_P2M))
            continue;
        for (j = 0; j < i; j++)
            seen |= xmm_mfn_eq(rep->v[j].mfn, v->mfn);
        if (!seen)
            xmm_test_history(f, w, v->mfn);
    }
    if (rep->count > rep->kept)
        fprintf(f, "(%" PRIu32 " violations in all, %" PRIu32 " shown)\n", rep->count, rep->kept);
}

void xmm_test_step_begin(struct xmm_world *w)
{
    xmm_world_set_step(w, xmm_world_step(w) + 1);
}

/* Print a report through cmocka (its error stream), then fail at file:line. */
static void xt_fail(const struct xmm_world *w, const struct xmm_check_report *rep,
                    const char *file, int line, const char *fmt, ...)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    va_list ap;

    if (m) {
        va_start(ap, fmt);
        vfprintf(m, fmt, ap);
        va_end(ap);
        if (rep)
            xmm_test_report(m, w, rep);
        fclose(m);
        print_error("%s", text);
        free(text);
    }
    _fail(file, line);
}

int xmm_test_step_end(struct xmm_world *w, int rc, int want, const char *call, const char *file,
                      int line)
{
    struct xmm_check_report rep;
    uint32_t step = xmm_world_step(w);

    if (rc != want)
        xt_fail(w, NULL, file, line,
                "%s:%d: step %" PRIu32 ": %s returned %d (%s), expected %d (%s)%s%s\n", file,
                line, step, call, rc, xmm_strerror(rc), want, xmm_strerror(want),
                xmm_world_last_error(w)[0] ? ": " : "", xmm_world_last_error(w));
    memset(&rep, 0, sizeof(rep));
    if (xmm_check_incremental(w, &rep) != 0)
        xt_fail(w, &rep, file, line, "%s:%d: step %" PRIu32 ": %s broke an invariant\n", file,
                line, step, call);
    return rc;
}

void xmm_test_check_full_at(struct xmm_world *w, const char *file, int line)
{
    struct xmm_check_report rep;
    int n;

    memset(&rep, 0, sizeof(rep));
    n = xmm_check_full(w, &rep);

    if (n < 0)
        xt_fail(w, NULL, file, line, "%s:%d: the full sweep failed to run (%s)\n", file, line,
                xmm_strerror(n));
    if (n > 0)
        xt_fail(w, &rep, file, line, "%s:%d: the full sweep found %d violation%s\n", file, line,
                n, n == 1 ? "" : "s");
}
