/*
 * libxmm-test - checking a libxmm world after every call of a cmocka test.
 *
 * The point of libxmm is to find the call that breaks an isolation
 * invariant, not only to learn at the end that something did.  Wrap each
 * call of a test in xmm_test_step(): it numbers the call (the number is
 * the `step` of the events the call records), checks its return code, then
 * runs the incremental checker over what the call changed.  On a wrong
 * code or a violation it prints the report (each violation, and for a
 * frame its history, oldest first) through cmocka and fails the test at
 * the caller's file and line.
 *
 *     xmm_test_step(w, xmm_physmap_populate(w, 1, xmm_gfn(0x100), 16));
 *     xmm_test_step_rc(w, xmm_physmap_populate(w, 1, xmm_gfn(0x100), 1), -XMM_EEXIST);
 *     xmm_test_check_full(w);                  at the end: the full sweep
 *
 * Link with `pkg-config --cflags --libs libxmm-test` or, in CMake,
 * find_package(libxmm) and target_link_libraries(t PRIVATE libxmm::test).
 * Include <cmocka.h> (and its prerequisites) before this header.
 */
#ifndef XMM_TEST_H
#define XMM_TEST_H

#include <stdio.h>

#include "xmm/xmm.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Run `call` as the next step of world w: it must return 0, and no
 * invariant may break.  Evaluates to nothing useful; fails the test.
 */
#define xmm_test_step(w, call) xmm_test_step_rc(w, call, 0)

/* The same, when `call` must return `want` (-XMM_EEXIST, an FFA_RET_ or GNTST_ code). */
#define xmm_test_step_rc(w, call, want)                                                    \
    xmm_test_step_end((w), (xmm_test_step_begin(w), (int)(call)), (int)(want), #call,        \
                      __FILE__, __LINE__)

/* Full sweep of every invariant; fails the test with the report. */
#define xmm_test_check_full(w) xmm_test_check_full_at((w), __FILE__, __LINE__)

/* Number the next call: the world's step + 1 (xmm_world_set_step). */
void xmm_test_step_begin(struct xmm_world *w);
/*
 * After the call: compare rc with want, run xmm_check_incremental, print
 * the report and fail the cmocka test on a difference.  Return: rc.
 */
int xmm_test_step_end(struct xmm_world *w, int rc, int want, const char *call, const char *file,
                      int line);
void xmm_test_check_full_at(struct xmm_world *w, const char *file, int line);

/*
 * Write the history of frame mfn to f, oldest first, one event a line:
 *   mfn 0x40000, oldest first:
 *     step 3, tick 0: allocated to d1
 *     step 3, tick 0: mapped by d1 at gfn 0x100 as ram_rw
 * (at most the world's history_events most recent events of the frame).
 */
void xmm_test_history(FILE *f, const struct xmm_world *w, xmm_mfn_t mfn);

/* Write every violation of a report to f, each frame's history after it. */
void xmm_test_report(FILE *f, const struct xmm_world *w, const struct xmm_check_report *rep);

#ifdef __cplusplus
}
#endif
#endif /* XMM_TEST_H */
