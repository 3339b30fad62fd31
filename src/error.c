/*
 * libxmm - the reason of the last refusal (error.h, xmm_world_last_error).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core.h"

/*
 * One conversion of a reason's format: p points after the '%'.  Fills the
 * length modifier and the conversion, returns the pointer after it, or
 * NULL for what the lazy path does not keep ('*', an unknown conversion).
 */
struct conv {
    char len[3]; /* "", "hh", "h", "l", "ll", "z", "j", "t" */
    char c;
};

static const char *conv_parse(const char *p, struct conv *cv)
{
    size_t n = 0;

    while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0')
        p++;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    while ((*p == 'h' || *p == 'l') && n < 2 && (n == 0 || *p == cv->len[0]))
        cv->len[n++] = *p++;
    if (n == 0 && (*p == 'z' || *p == 'j' || *p == 't'))
        cv->len[n++] = *p++;
    cv->len[n] = '\0';
    cv->c = *p;
    switch (*p) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c': case 's': case 'p':
        return p + 1;
    default:
        return NULL;
    }
}

/* Format fmt with ap into the text now (the eager path, and the fallback). */
static void reason_vformat(struct xmm_reason *r, const char *fmt, va_list ap)
{
    char *p;

    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    /* One line: a reason never carries a newline into a report. */
    for (p = r->text; *p; p++)
        if (*p == '\n')
            *p = ' ';
    r->fmt = NULL;
}

/*
 * Keep the arguments of fmt (the types its conversions name, as printf
 * reads them; h and hh narrowed as printf narrows them).  False if fmt is
 * not one the lazy path keeps.
 */
static bool reason_keep(struct xmm_reason *r, const char *fmt, va_list ap)
{
    size_t used = 0;
    unsigned n = 0;
    struct conv cv;

    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        if (n == XMM_REASON_ARGS || !(p = conv_parse(p + 1, &cv)))
            return false;
        p--; /* on the conversion: the loop steps over it */
        if (cv.c == 's') {
            const char *s = va_arg(ap, const char *);
            size_t k;

            if (!s) {
                r->arg[n++].i = -1;
                continue;
            }
            /* a string inside the buffer would be overwritten: format now */
            if ((uintptr_t)s >= (uintptr_t)r->text &&
                (uintptr_t)s < (uintptr_t)(r->text + sizeof(r->text)))
                return false;
            k = strlen(s);
            if (k + 1 > sizeof(r->text) - used)
                return false;
            memcpy(r->text + used, s, k + 1);
            r->arg[n++].i = (intmax_t)used;
            used += k + 1;
        } else if (cv.c == 'p') {
            r->arg[n++].p = va_arg(ap, const void *);
        } else if (cv.c == 'c') {
            r->arg[n++].i = va_arg(ap, int);
        } else if (cv.c == 'd' || cv.c == 'i') {
            intmax_t v;

            switch (cv.len[0]) {
            case 'l': v = cv.len[1] ? va_arg(ap, long long) : va_arg(ap, long); break;
            case 'z': v = va_arg(ap, ptrdiff_t); break; /* the signed size_t */
            case 'j': v = va_arg(ap, intmax_t); break;
            case 't': v = va_arg(ap, ptrdiff_t); break;
            case 'h': v = va_arg(ap, int); v = cv.len[1] ? (signed char)v : (short)v; break;
            default: v = va_arg(ap, int); break;
            }
            r->arg[n++].i = v;
        } else {
            uintmax_t v;

            switch (cv.len[0]) {
            case 'l':
                v = cv.len[1] ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
                break;
            case 'z': v = va_arg(ap, size_t); break;
            case 'j': v = va_arg(ap, uintmax_t); break;
            case 't': v = (uintmax_t)va_arg(ap, ptrdiff_t); break;
            case 'h':
                v = va_arg(ap, unsigned);
                v = cv.len[1] ? (unsigned char)v : (unsigned short)v;
                break;
            default: v = va_arg(ap, unsigned); break;
            }
            r->arg[n++].u = v;
        }
    }
    r->fmt = fmt;
    return true;
}

/*
 * Format a kept reason into text: literal characters as they are, each
 * conversion by snprintf with its own flags, width and precision (its
 * length modifier replaced by j for the integers, which hold the value
 * printf would print): the same text as one vsnprintf, truncated alike.
 */
static void reason_format(struct xmm_reason *r)
{
    char out[XMM_REASON_MAX], spec[32], *q;
    size_t pos = 0, room;
    unsigned n = 0;
    struct conv cv;

    for (const char *p = r->fmt; *p; p++) {
        const char *start = p, *end;
        size_t k;
        int len;

        if (*p != '%' || p[1] == '%') {
            if (*p == '%')
                p++;
            if (pos < sizeof(out) - 1)
                out[pos++] = *p;
            continue;
        }
        end = conv_parse(p + 1, &cv);
        /* spec: '%', flags, width and precision, then j and the conversion */
        k = (size_t)(end - start) - strlen(cv.len) - 1;
        if (k > sizeof(spec) - 3)
            k = sizeof(spec) - 3; /* cannot happen: formats are literals of src/ */
        memcpy(spec, start, k);
        q = spec + k;
        if (cv.c != 's' && cv.c != 'p' && cv.c != 'c')
            *q++ = 'j';
        *q++ = cv.c;
        *q = '\0';
        room = sizeof(out) - pos;
        if (cv.c == 's')
            len = snprintf(out + pos, room, spec, r->arg[n].i < 0 ? NULL : r->text + r->arg[n].i);
        else if (cv.c == 'p')
            len = snprintf(out + pos, room, spec, r->arg[n].p);
        else if (cv.c == 'c')
            len = snprintf(out + pos, room, spec, (int)r->arg[n].i);
        else if (cv.c == 'd' || cv.c == 'i')
            len = snprintf(out + pos, room, spec, r->arg[n].i);
        else
            len = snprintf(out + pos, room, spec, r->arg[n].u);
        n++;
        if (len > 0)
            pos += (size_t)len < room - 1 ? (size_t)len : room - 1;
        p = end - 1;
    }
    out[pos] = '\0';
    for (q = out; *q; q++)
        if (*q == '\n')
            *q = ' ';
    memcpy(r->text, out, pos + 1);
    r->fmt = NULL;
}

int xmm_fail(struct xmm_world *w, int rc, const char *fmt, ...)
{
    va_list ap;
    bool kept;

    va_start(ap, fmt);
    kept = reason_keep(&w->err, fmt, ap);
    va_end(ap);
    if (!kept) {
        va_start(ap, fmt);
        reason_vformat(&w->err, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int xmm_fail_no_domain(struct xmm_world *w, xmm_domid_t dom)
{
    if (dom >= XMM_DOMID_FIRST_RESERVED)
        return xmm_fail(w, -XMM_ESRCH, "domain id %#x is reserved (%s), not a guest", (unsigned)dom,
                        DN(dom));
    return xmm_fail(w, -XMM_ESRCH, "there is no domain %s", DN(dom));
}

void xmm_err_clear(struct xmm_world *w)
{
    w->err.text[0] = '\0';
    w->err.fmt = NULL;
}

/*
 * The world is const to the caller, but a kept reason is formatted here,
 * once: the buffer is the world's own (never const storage).
 */
const char *xmm_world_last_error(const struct xmm_world *w)
{
    struct xmm_reason *r;

    if (!w)
        return "";
    r = (struct xmm_reason *)&w->err;
    if (r->fmt)
        reason_format(r);
    return r->text;
}

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
    default: break;
    }
    /*
     * "d%u" by hand: every refusal naming a domain comes here (DN), and
     * snprintf costs more than the rest of a failing call.  Same text and
     * return value as snprintf: truncated to len - 1 characters, the length
     * it wanted returned.
     */
    {
        char tmp[12];
        unsigned v = dom;
        size_t n = sizeof(tmp), total;

        do
            tmp[--n] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        tmp[--n] = 'd';
        total = sizeof(tmp) - n;
        if (len > 0) {
            size_t k = total < len - 1 ? total : len - 1;

            memcpy(buf, tmp + n, k);
            buf[k] = '\0';
        }
        return (int)total;
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
