/*
 * xmm-sim - worker pool (see pool.h).  The locks are POSIX ones, not
 * GMutex/GCond: glib builds those on bare futexes, which ThreadSanitizer
 * cannot see, so a TSan build would report every handover as a race.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream, sysconf */
#include "pool.h"

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops.h"
#include "value.h"

struct pool_slot {
    char *buf;
    size_t len;
    bool done;
};

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
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

        pthread_mutex_lock(&p->lock);
        i = p->next < p->count ? p->next++ : p->count;
        pthread_mutex_unlock(&p->lock);
        if (i == p->count)
            return NULL;
        f = open_memstream(&buf, &len);
        if (!f)
            abort(); /* out of memory in the tool itself, not a scenario error */
        p->fn(p->ctx, i, f);
        fclose(f);
        pthread_mutex_lock(&p->lock);
        p->slots[i].buf = buf;
        p->slots[i].len = len;
        p->slots[i].done = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
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
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    p.next = 0;
    p.count = count;
    p.slots = g_new0(struct pool_slot, count);
    p.fn = fn;
    p.ctx = ctx;
    threads = g_new0(GThread *, jobs);
    for (t = 0; t < jobs; t++)
        threads[t] = g_thread_new("xmm-sim-worker", pool_worker, &p);
    for (i = 0; i < count; i++) {
        pthread_mutex_lock(&p.lock);
        while (!p.slots[i].done)
            pthread_cond_wait(&p.cond, &p.lock);
        pthread_mutex_unlock(&p.lock);
        fwrite(p.slots[i].buf, 1, p.slots[i].len, out);
        free(p.slots[i].buf);
        p.slots[i].buf = NULL;
    }
    for (t = 0; t < jobs; t++)
        g_thread_join(threads[t]);
    fflush(out);
    g_free(threads);
    g_free(p.slots);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.cond);
}

/* --- open-ended, taken in order (sim_pool_ordered) ---------------------- */

struct ordered {
    pthread_mutex_t lock;
    pthread_cond_t cond;          /* a result is in, a slot is free, or the run stops */
    uint64_t next;       /* next task to hand out */
    uint64_t end;        /* no task from here on is handed out (UINT64_MAX: open) */
    uint64_t taken;      /* tasks taken so far: task i may use its slot once i < taken + window */
    bool stop;
    bool *done;          /* [window]: the slot holds its task's result */
    size_t window;
    sim_more_fn more;
    sim_slot_task_fn task;
    void *ctx;
};

static gpointer ordered_worker(gpointer data)
{
    struct ordered *p = data;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        uint64_t i;

        while (!p->stop && p->next < p->end && p->next - p->taken >= p->window)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop || p->next >= p->end)
            break;
        if (!p->more(p->ctx, p->next)) {
            p->end = p->next;
            pthread_cond_broadcast(&p->cond);
            break;
        }
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        p->task(p->ctx, i, (size_t)(i % p->window));
        pthread_mutex_lock(&p->lock);
        p->done[i % p->window] = true;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

size_t sim_pool_window(unsigned jobs)
{
    return jobs > 1 ? 4 * (size_t)jobs : 1;
}

uint64_t sim_pool_ordered(unsigned jobs, size_t window, sim_more_fn more, sim_slot_task_fn task,
                          sim_take_fn take, void *ctx)
{
    struct ordered p;
    GThread **threads;
    uint64_t i;
    unsigned t;

    if (jobs <= 1 || window < 2) {
        for (i = 0; more(ctx, i); i++) {
            task(ctx, i, 0);
            if (!take(ctx, i, 0))
                return i + 1;
        }
        return i;
    }
    (void)sim_op_check(); /* lazily set statics are set before any thread reads them */
    (void)sim_op_show();
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    p.next = p.taken = 0;
    p.end = UINT64_MAX;
    p.stop = false;
    p.done = g_new0(bool, window);
    p.window = window;
    p.more = more;
    p.task = task;
    p.ctx = ctx;
    threads = g_new0(GThread *, jobs);
    for (t = 0; t < jobs; t++)
        threads[t] = g_thread_new("xmm-sim-worker", ordered_worker, &p);
    for (i = 0;; i++) {
        size_t slot = (size_t)(i % window);
        bool go;

        pthread_mutex_lock(&p.lock);
        while (!p.done[slot] && i < p.end)
            pthread_cond_wait(&p.cond, &p.lock);
        go = p.done[slot];
        pthread_mutex_unlock(&p.lock);
        if (!go)
            break; /* every task handed out is taken */
        go = take(ctx, i, slot);
        pthread_mutex_lock(&p.lock);
        p.done[slot] = false;
        if (go)
            p.taken = i + 1; /* the slot is free for task i + window */
        else
            p.stop = true;   /* the tasks under way finish; none is taken */
        pthread_cond_broadcast(&p.cond);
        pthread_mutex_unlock(&p.lock);
        if (!go) {
            i++;
            break;
        }
    }
    for (t = 0; t < jobs; t++)
        g_thread_join(threads[t]);
    g_free(threads);
    g_free(p.done);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.cond);
    return i;
}

unsigned sim_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1u;
}

bool sim_parse_jobs(const char *v, unsigned max, unsigned *jobs)
{
    uint64_t n;
    unsigned cpus;

    if (!v || sim_parse_u64(v, &n) != SIM_NUM_OK || n > max)
        return false;
    cpus = sim_online_cpus();
    *jobs = n ? (unsigned)n : cpus < max ? cpus : max;
    return true;
}
