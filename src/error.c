/*
 * libxmm - the reason of the last refusal (error.h, xmm_world_last_error).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

int xmm_fail(struct xmm_world *w, int rc, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    vsnprintf(w->err.text, sizeof(w->err.text), fmt, ap);
    va_end(ap);
    /* One line: a reason never carries a newline into a report. */
    for (p = w->err.text; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return rc;
}

int xmm_fail_no_domain(struct xmm_world *w, xmm_domid_t dom)
{
    if (dom >= XMM_DOMID_FIRST_RESERVED)
        return xmm_fail(w, -XMM_ESRCH, "domain id %#x is reserved (%s), not a guest", (unsigned)dom,
                        DN(dom));
    return xmm_fail(w, -XMM_ESRCH, "there is no domain %s", DN(dom));
}

void xmm_err_clear(struct xmm_world *w) { w->err.text[0] = '\0'; }

const char *xmm_world_last_error(const struct xmm_world *w) { return w ? w->err.text : ""; }

struct xmm_dname xmm_dname(xmm_domid_t dom)
{
    struct xmm_dname n;

    xmm_domid_name(dom, n.s, sizeof(n.s));
    return n;
}

int xmm_domid_name(xmm_domid_t dom, char *buf, size_t len)
{
    switch (dom) {
    case XMM_DOMID_XEN: return snprintf(buf, len, "xen");
    case XMM_DOMID_PARK: return snprintf(buf, len, "park");
    case XMM_DOMID_IO: return snprintf(buf, len, "io");
    case XMM_DOMID_INVALID: return snprintf(buf, len, "none");
    default: return snprintf(buf, len, "d%u", (unsigned)dom);
    }
}

int xmm_domid_parse(const char *s, xmm_domid_t *out)
{
    static const struct {
        const char *name;
        xmm_domid_t dom;
    } special[] = { { "xen", XMM_DOMID_XEN }, { "park", XMM_DOMID_PARK },
                    { "io", XMM_DOMID_IO },   { "none", XMM_DOMID_INVALID } };
    unsigned long v = 0;
    const char *p = s;

    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (!strcmp(s, special[i].name)) {
            *out = special[i].dom;
            return 0;
        }
    if (*p == 'd')
        p++;
    if (*p < '0' || *p > '9')
        return -XMM_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > XMM_DOMID_MAX)
            return -XMM_EINVAL;
    }
    if (*p)
        return -XMM_EINVAL;
    *out = (xmm_domid_t)v;
    return 0;
}
