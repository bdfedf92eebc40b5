/* ticker.c: see ticker.h. */
#include "ticker.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TICKER_PHASE_NS 500000L  /* into the due millisecond */

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    struct ticker *t = h->data;
    uint64_t expirations;
    ssize_t n;
    do
        n = read(t->fd, &expirations, sizeof expirations);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return;  /* armed again, for later, since it became readable */
    uv_poll_stop(&t->poll);  /* cb arms it again if it wants another */
    t->armed_at = TICKER_OFF;
    uv_update_time(h->loop);
    t->cb(t->ctx);
}

static void on_timer(uv_timer_t *h)
{
    struct ticker *t = h->data;
    t->armed_at = TICKER_OFF;
    t->cb(t->ctx);
}

static void arm_timer(struct ticker *t, mono_ms at)
{
    mono_ms now = uv_now(t->timer.loop);
    uv_timer_start(&t->timer, on_timer, at > now ? at - now : 0, 0);
}

int ticker_init(struct ticker *t, uv_loop_t *loop, void (*cb)(void *ctx), void *ctx,
                char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->cb = cb;
    t->ctx = ctx;
    t->armed_at = TICKER_OFF;
    int e = uv_timer_init(loop, &t->timer);
    if (e != 0) {
        snprintf(err, errlen, "cannot make a timer: %s", uv_strerror(e));
        return -1;
    }
    t->timer.data = t;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->fd >= 0 && uv_poll_init(loop, &t->poll, t->fd) != 0) {
        close(t->fd);
        t->fd = -1;
    }
    t->poll.data = t;
    return 0;
}

void ticker_arm(struct ticker *t, mono_ms at)
{
    if (at == t->armed_at)
        return;
    t->armed_at = at;
    if (t->fd < 0) {
        arm_timer(t, at);
        return;
    }
    /* On CLOCK_MONOTONIC, which uv_now() reads in whole ms: half way through
     * the due millisecond, so that what is sent then reaches a server's own
     * millisecond clock in the same millisecond each time, small delays on the
     * way either side notwithstanding. Armed relative to a clock read made
     * here, not with TFD_TIMER_ABSTIME: the same instant, and a tool that
     * shifts the wall clock for a test (libfaketime) leaves a relative timer
     * alone where it would move an absolute one. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t due = (int64_t)at * 1000000 + TICKER_PHASE_NS;
    int64_t rel = due - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
    if (rel < 1)
        rel = 1;  /* due already: at once (a zero value would disarm) */
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(rel / 1000000000);
    its.it_value.tv_nsec = (long)(rel % 1000000000);
    if (timerfd_settime(t->fd, 0, &its, NULL) != 0) {
        arm_timer(t, at);  /* not expected; it still wakes within a millisecond */
        return;
    }
    uv_poll_start(&t->poll, UV_READABLE, on_poll);
}

void ticker_stop(struct ticker *t)
{
    if (t->armed_at == TICKER_OFF)
        return;
    t->armed_at = TICKER_OFF;
    uv_timer_stop(&t->timer);
    if (t->fd < 0)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
    uv_poll_stop(&t->poll);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct ticker *t = h->data;
    close(t->fd);
    t->fd = -1;
}

void ticker_close(struct ticker *t)
{
    uv_close((uv_handle_t *)&t->timer, NULL);
    if (t->fd >= 0)
        uv_close((uv_handle_t *)&t->poll, on_poll_closed);
}
