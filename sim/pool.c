/*
 * xmm-sim - worker pool (see pool.h).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream, sysconf */
#include "pool.h"

#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops.h"

struct pool_slot {
    char *buf;
    size_t len;
    bool done;
};

struct pool {
    GMutex lock;
    GCond cond;
    size_t next;  /* next task to hand out */
    size_t count;
    struct pool_slot *slots;
    sim_task_fn fn;
    void *ctx;
};

/* A worker: take the next task, run it into a buffer, publish the buffer. */
static gpointer pool_worker(gpointer data)
{
    struct pool *p = data;

    for (;;) {
        size_t i;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        g_mutex_lock(&p->lock);
        i = p->next < p->count ? p->next++ : p->count;
        g_mutex_unlock(&p->lock);
        if (i == p->count)
            return NULL;
        f = open_memstream(&buf, &len);
        if (!f)
            abort(); /* out of memory in the tool itself, not a scenario error */
        p->fn(p->ctx, i, f);
        fclose(f);
        g_mutex_lock(&p->lock);
        p->slots[i].buf = buf;
        p->slots[i].len = len;
        p->slots[i].done = true;
        g_cond_broadcast(&p->cond);
        g_mutex_unlock(&p->lock);
    }
}

void sim_pool_run(size_t count, unsigned jobs, sim_task_fn fn, void *ctx, FILE *out)
{
    struct pool p;
    GThread **threads;
    size_t i;
    unsigned t;

    if (jobs > count)
        jobs = (unsigned)count;
    if (jobs <= 1) {
        for (i = 0; i < count; i++)
            fn(ctx, i, out);
        return;
    }
    (void)sim_op_check(); /* lazily set statics are set before any thread reads them */
    g_mutex_init(&p.lock);
    g_cond_init(&p.cond);
    p.next = 0;
    p.count = count;
    p.slots = g_new0(struct pool_slot, count);
    p.fn = fn;
    p.ctx = ctx;
    threads = g_new0(GThread *, jobs);
    for (t = 0; t < jobs; t++)
        threads[t] = g_thread_new("xmm-sim-worker", pool_worker, &p);
    for (i = 0; i < count; i++) {
        g_mutex_lock(&p.lock);
        while (!p.slots[i].done)
            g_cond_wait(&p.cond, &p.lock);
        g_mutex_unlock(&p.lock);
        fwrite(p.slots[i].buf, 1, p.slots[i].len, out);
        free(p.slots[i].buf);
        p.slots[i].buf = NULL;
    }
    for (t = 0; t < jobs; t++)
        g_thread_join(threads[t]);
    fflush(out);
    g_free(threads);
    g_free(p.slots);
    g_mutex_clear(&p.lock);
    g_cond_clear(&p.cond);
}

unsigned sim_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1u;
}
