/*
 * libxmm - the reason of the last refusal (private to src/).
 *
 * Every error return in src/ goes through xmm_fail, which writes a one-line
 * reason into the world's fixed buffer (no allocation: writing a reason can
 * never fail the call) and returns the code it was given, so a refusal reads
 * `return xmm_fail(w, -XMM_EINVAL, "gfn %#llx ...", ...)`.  Public calls
 * start with xmm_err_clear, so xmm_world_last_error describes the last call.
 */
#ifndef XMM_ERROR_PRIV_H
#define XMM_ERROR_PRIV_H

#include <inttypes.h>
#include <stddef.h>

#include "xmm/types.h"

#define XMM_REASON_MAX 256

struct xmm_reason {
    char text[XMM_REASON_MAX];
};

struct xmm_world;

/* Set the world's reason (printf-style, truncated to one line) and return rc. */
int xmm_fail(struct xmm_world *w, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ESRCH: "there is no domain d3". */
int xmm_fail_no_domain(struct xmm_world *w, xmm_domid_t dom);
/* Empty the reason: the first thing every public call on a world does. */
void xmm_err_clear(struct xmm_world *w);

/*
 * A domain id in words, as the scenario names it ("d1", "xen", "park",
 * "io", "none"), in a temporary that lives until the end of the full
 * expression: `xmm_fail(w, rc, "%s ...", DN(dom))`.
 */
struct xmm_dname {
    char s[16];
};
struct xmm_dname xmm_dname(xmm_domid_t dom);
#define DN(dom) (xmm_dname(dom).s)

#endif /* XMM_ERROR_PRIV_H */
