/*
 * xmm-sim - a pool of worker threads for independent tasks whose output
 * must come out in task order (run -j, and below an open-ended form for
 * fuzz -j).  Each task writes to its own FILE (a memory buffer when jobs > 1);
 * the calling thread copies the buffers to `out` in task order as soon as
 * every earlier task is done, so the bytes are the same for any job count.
 */
#ifndef XMM_SIM_POOL_H
#define XMM_SIM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Task i of ctx: write its output to f.  Called from a worker thread. */
typedef void (*sim_task_fn)(void *ctx, size_t i, FILE *f);

/* Run tasks 0..count-1 on `jobs` threads (1: in order, here, writing to out). */
void sim_pool_run(size_t count, unsigned jobs, sim_task_fn fn, void *ctx, FILE *out);

/*
 * An open-ended run of tasks 0, 1, 2, ... (fuzz -j) whose results are taken
 * in task order, with a stop as soon as one of them says so:
 * - more(ctx, i): may task i start?  false ends the handing out (a budget);
 *   called once per task, in task order, under the pool's lock.
 * - task(ctx, i, slot): run task i on a worker thread, its result into the
 *   caller's slot `slot` (0 .. window-1; a slot is reused only after take).
 * - take(ctx, i, slot): on the calling thread, in task order: use the
 *   result; false stops (the later tasks under way are finished, not taken).
 * jobs <= 1 runs more/task/take in turn on the calling thread; any job count
 * calls take for exactly the same tasks.  Returns the number of tasks taken.
 */
typedef bool (*sim_more_fn)(void *ctx, uint64_t i);
typedef void (*sim_slot_task_fn)(void *ctx, uint64_t i, size_t slot);
typedef bool (*sim_take_fn)(void *ctx, uint64_t i, size_t slot);

uint64_t sim_pool_ordered(unsigned jobs, size_t window, sim_more_fn more, sim_slot_task_fn task,
                          sim_take_fn take, void *ctx);

/* Slots sim_pool_ordered needs for `jobs` workers (the window's size). */
size_t sim_pool_window(unsigned jobs);

/* Number of online CPUs (at least 1): the default job count. */
unsigned sim_online_cpus(void);

/*
 * A -j value: 1..max, or 0 for one per online CPU (at most max).  false,
 * *jobs unchanged, when v is missing or not such a number.
 */
bool sim_parse_jobs(const char *v, unsigned max, unsigned *jobs);

#endif /* XMM_SIM_POOL_H */
