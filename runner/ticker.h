/* ticker.h: one wake-up at a given millisecond of the loop's clock, landing on
 * that millisecond.
 *
 * A uv timer wakes when the loop's cached clock, in whole milliseconds, has
 * reached its due time, and epoll sleeps whole milliseconds from a clock read
 * up to one earlier: the wake comes anywhere in the millisecond after the due
 * one. Two sends paced 5 ms apart can then leave 4.1 ms apart, and a bucket
 * without a burst (nginx's limit_req, by default) refuses the second. A
 * timerfd armed on CLOCK_MONOTONIC (the clock libuv's own reads) half way
 * into the due millisecond wakes within microseconds of that, so sends paced
 * on whole milliseconds leave the same distance apart as their slots, and
 * reach the server at the same point of a millisecond each time.
 *
 * Where timerfd is missing, a uv timer does the same job, as before. */
#ifndef GROUPRM_TICKER_H
#define GROUPRM_TICKER_H
#include <uv.h>

#include "clock.h"

#define TICKER_OFF UINT64_MAX

struct ticker {
    uv_poll_t poll;
    uv_timer_t timer;        /* without a timerfd */
    int fd;                  /* the timerfd; -1: none */
    mono_ms armed_at;        /* TICKER_OFF when not armed */
    void (*cb)(void *ctx);
    void *ctx;
};

/* Returns 0, or -1 with the reason in err when its uv timer could not be made;
 * then nothing is left to close. Without a timerfd the timer does its job. */
int ticker_init(struct ticker *t, uv_loop_t *loop, void (*cb)(void *ctx), void *ctx,
                char *err, size_t errlen);
/* Calls cb once, at the loop's time `at` (uv_now's clock) or at once if that
 * has passed, with the loop's clock brought up to date first. Replaces any
 * earlier arming; arming again for the same time, or stopping a ticker that is
 * not armed, costs no system call (the scheduler does both after every
 * answer). */
void ticker_arm(struct ticker *t, mono_ms at);
void ticker_stop(struct ticker *t);
/* Closes the handles; the fd is closed once libuv is done with it. */
void ticker_close(struct ticker *t);

#endif
