/* limits.h: one rate limit's arithmetic, for every --limit-mode.
 *
 * A struct limiter is the memory of one limit (the token's, or one account's);
 * a struct limit_rule says how it counts. These functions are pure: they take
 * the time as an argument (nanoseconds on mclock) and never lock; the caller
 * (state.c) holds its lock around them.
 *
 *  - fixed: windows index = floor(t / DUR); at most N requests per window.
 *  - leaky: a bucket draining N per DUR that holds max(1, N / 10).
 * A request is first checked (limiter_fits), then either charged when it is
 * admitted (limiter_charge) or left as it was. */
#ifndef TRUTO_MOCK_LIMITS_H
#define TRUTO_MOCK_LIMITS_H
#include <stdint.h>

#include "options.h"

struct limit_rule {
    enum limit_mode mode;
    struct rate_limit rate;   /* rate.n == 0: no limit */
};

/* One limit's memory: a fixed window's count, or a leaky bucket's level. */
struct limiter {
    uint64_t index;   /* fixed: which window the count belongs to */
    unsigned used;    /* fixed: requests admitted in that window */
    double level;     /* leaky: requests in the bucket at last_ns */
    uint64_t last_ns; /* leaky: when level was last brought up to date, on mclock */
};

/* A limit's standing, for the rate-limit headers and Retry-After. */
struct rl_report {
    int present;          /* 0: no such limit configured */
    unsigned limit;       /* N */
    uint64_t window_ms;   /* DUR */
    unsigned remaining;   /* requests that would be admitted right now */
    uint64_t reset_ns;    /* fixed: the window's end; leaky: when the bucket is empty */
    uint64_t retry_ns;    /* after a refusal: when a request can be admitted again */
};

/* Whether one more request fits at now_ns. */
int limiter_fits(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns);
/* Counts an admitted request. */
void limiter_charge(const struct limit_rule *r, struct limiter *l, uint64_t now_ns);
/* The limit's standing at now_ns. */
void limiter_report(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns,
                    struct rl_report *rep);

#endif
