/* timer.c: see timer.h. */
#include "timer.h"
#include "mclock.h"
#include "util.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
    uint64_t due_ns;
    struct MHD_Connection *conn;
};

struct resume_timer {
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* on CLOCK_MONOTONIC, like mclock */
    pthread_t thread;
    struct pending *heap;    /* min-heap on due_ns */
    size_t len, cap;
    int stopping;
};

static void swap(struct pending *a, struct pending *b)
{
    struct pending t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(struct resume_timer *t, struct pending p)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->heap = xrealloc(t->heap, t->cap * sizeof *t->heap);
    }
    size_t i = t->len++;
    t->heap[i] = p;
    while (i > 0 && t->heap[(i - 1) / 2].due_ns > t->heap[i].due_ns) {
        swap(&t->heap[(i - 1) / 2], &t->heap[i]);
        i = (i - 1) / 2;
    }
}

static struct pending heap_pop(struct resume_timer *t)
{
    struct pending top = t->heap[0];
    t->heap[0] = t->heap[--t->len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->len && t->heap[l].due_ns < t->heap[m].due_ns)
            m = l;
        if (r < t->len && t->heap[r].due_ns < t->heap[m].due_ns)
            m = r;
        if (m == i)
            break;
        swap(&t->heap[i], &t->heap[m]);
        i = m;
    }
    return top;
}

static void *run(void *arg)
{
    struct resume_timer *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        if (t->len == 0) {
            pthread_cond_wait(&t->wake, &t->lock);
            continue;
        }
        uint64_t due = t->heap[0].due_ns;
        if (due > mclock_ns()) {
            struct timespec at = mclock_abs(due);
            pthread_cond_timedwait(&t->wake, &t->lock, &at);
            continue;
        }
        struct pending p = heap_pop(t);
        /* Resume outside our lock: MHD takes its own locks in there. */
        pthread_mutex_unlock(&t->lock);
        MHD_resume_connection(p.conn);
        pthread_mutex_lock(&t->lock);
    }
    /* Shutting down: everyone still waiting is answered now. */
    while (t->len > 0)
        MHD_resume_connection(heap_pop(t).conn);
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct resume_timer *timer_start(void)
{
    struct resume_timer *t = xmalloc(sizeof *t);
    memset(t, 0, sizeof *t);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&t->lock, NULL);
    int err = pthread_create(&t->thread, NULL, run, t);
    if (err) {
        fprintf(stderr, "truto-mock: cannot start timer thread: %s\n", strerror(err));
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

void timer_add(struct resume_timer *t, struct MHD_Connection *c, uint64_t due_ns)
{
    pthread_mutex_lock(&t->lock);
    if (t->stopping) {
        pthread_mutex_unlock(&t->lock);
        MHD_resume_connection(c);
        return;
    }
    heap_push(t, (struct pending){due_ns, c});
    /* Only a new earliest deadline changes how long the thread should sleep. */
    if (t->heap[0].conn == c)
        pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void timer_shutdown(struct resume_timer *t)
{
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
}

void timer_free(struct resume_timer *t)
{
    if (!t)
        return;
    free(t->heap);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
