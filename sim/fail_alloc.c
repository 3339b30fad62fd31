/*
 * xmm-sim - the fail_alloc step (the runner applies it around later steps,
 * run.c: run_exec).
 */
#include "exec.h"

/* fail_alloc: {after: N, sticky: BOOL} */
int sim_exec_fail_alloc(struct sim_exec *x, const struct sim_res *a, struct sim_exec_out *o)
{
    (void)o;
    x->fa_armed = true;
    x->fa_left = a[FA_AFTER].u;
    x->fa_sticky = a[FA_STICKY].u != 0;
    return 0;
}
