/* limits.h: one rate limit's arithmetic, for every --limit-mode.
 *
 * A struct limiter is the memory of one limit (the token's, or one account's);
 * a struct limit_rule says how it counts. These functions are pure: they take
 * the time as an argument (nanoseconds on mclock) and never lock; the caller
 * (state.c) holds its lock around them.
 *
 *  - fixed: windows index = floor(t / DUR); at most N requests per window.
 *  - leaky: a bucket draining N per DUR that holds max(1, N / 10).
 *  - bucket: GCRA, like nginx limit_req rate=N/DUR burst=B nodelay: with
 *    T = DUR / N and TAT starting at 0, a request at t fits when
 *    TAT - t <= B * T and then sets TAT = max(TAT, t) + T.
 *  - sliding: HAProxy's sliding counter over periods of DUR aligned at server
 *    start: estimate = curr + floor(prev * (DUR - elapsed) / DUR); a request
 *    fits when the estimate counting it is at most N.
 * A request is first checked (limiter_fits), then either charged when it is
 * admitted (limiter_charge) or, when a limit refused it, passed to
 * limiter_refused: only a sliding counter counts refused requests. */
#ifndef TRUTO_MOCK_LIMITS_H
#define TRUTO_MOCK_LIMITS_H
#include <stdint.h>

#include "options.h"

struct limit_rule {
    enum limit_mode mode;
    struct rate_limit rate;   /* rate.n == 0: no limit */
    unsigned burst;           /* bucket: B */
};

/* One limit's memory: a window's or period's count, a leaky bucket's level,
 * or a GCRA's theoretical arrival time. */
struct limiter {
    uint64_t index;   /* fixed, sliding: which window or period the count belongs to */
    uint64_t used;    /* fixed: requests admitted in that window; sliding: counted in it */
    uint64_t prev;    /* sliding: counted in the period before index */
    double level;     /* leaky: requests in the bucket at last_ns */
    uint64_t last_ns; /* leaky: when level was last brought up to date, on mclock */
    double tat_ns;    /* bucket: theoretical arrival time, on mclock */
};

/* A limit's standing, for the rate-limit headers and Retry-After. */
struct rl_report {
    int present;          /* 0: no such limit configured */
    unsigned limit;       /* N */
    uint64_t window_ms;   /* DUR */
    unsigned remaining;   /* requests that would be admitted right now */
    uint64_t reset_ns;    /* when remaining is back to its most (fixed: the window's end) */
    uint64_t retry_ns;    /* after a refusal: when a request can be admitted again */
};

/* Whether one more request fits at now_ns. */
int limiter_fits(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns);
/* Counts an admitted request. */
void limiter_charge(const struct limit_rule *r, struct limiter *l, uint64_t now_ns);
/* Counts a request a rate limit refused: the sliding counter counts every
 * request; the other modes leave the limiter as it was. */
void limiter_refused(const struct limit_rule *r, struct limiter *l, uint64_t now_ns);
/* The limit's standing at now_ns. */
void limiter_report(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns,
                    struct rl_report *rep);

#endif
