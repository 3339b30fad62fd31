/*
 * xmm-sim - a pool of worker threads for independent tasks whose output
 * must come out in task order (run -j; meant for fuzz -j and explore -j
 * too).  Each task writes to its own FILE (a memory buffer when jobs > 1);
 * the calling thread copies the buffers to `out` in task order as soon as
 * every earlier task is done, so the bytes are the same for any job count.
 */
#ifndef XMM_SIM_POOL_H
#define XMM_SIM_POOL_H

#include <stddef.h>
#include <stdio.h>

/* Task i of ctx: write its output to f.  Called from a worker thread. */
typedef void (*sim_task_fn)(void *ctx, size_t i, FILE *f);

/* Run tasks 0..count-1 on `jobs` threads (1: in order, here, writing to out). */
void sim_pool_run(size_t count, unsigned jobs, sim_task_fn fn, void *ctx, FILE *out);

/* Number of online CPUs (at least 1): the default job count. */
unsigned sim_online_cpus(void);

#endif /* XMM_SIM_POOL_H */
