/*
 * xmm-sim - exec function of the guest device-tree export
 * (include/xmm/dt.h, seed 002).
 */
#include <glib.h>
#include <inttypes.h>

#include "exec.h"
#include "xmm/dt.h"

/*
 * export_dt -> xmm_dt_export, written to --out/FILE.  A file that cannot
 * be written gives EACCES (the model itself is not at fault; the message
 * says why).
 */
int sim_exec_export_dt(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    size_t len = 64 * 1024, size = 0;
    void *buf = g_malloc(len);
    GError *err = NULL;
    char *path;
    int rc = xmm_dt_export(x->w, (xmm_domid_t)a[DT_DOM].u, buf, len, &size);

    if (rc == -XMM_ENOSPC && size > len && size <= (16u << 20)) {
        len = size;
        buf = g_realloc(buf, len);
        rc = xmm_dt_export(x->w, (xmm_domid_t)a[DT_DOM].u, buf, len, &size);
    }
    if (rc == 0) {
        path = g_build_filename(x->out_dir, a[DT_FILE].s, NULL);
        if (g_file_set_contents(path, buf, (gssize)size, &err)) {
            snprintf(o->msg, sizeof(o->msg), "%zu bytes to %s", size, a[DT_FILE].s);
        } else {
            snprintf(o->msg, sizeof(o->msg), "cannot write %s: %s", a[DT_FILE].s, err->message);
            g_error_free(err);
            rc = -XMM_EACCES;
        }
        g_free(path);
    }
    g_free(buf);
    return rc;
}
