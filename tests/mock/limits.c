/* limits.c: see limits.h. */
#include "limits.h"

#include <math.h>
#include <string.h>

/* ---- leaky buckets ---- */

/* A leaky bucket is kept as its level in requests (a small double, so it keeps
 * its precision however long the server runs) and the instant it was last
 * brought up to date; in between it drains (now - last) * N / DUR. The clock
 * counts whole nanoseconds, so an arrival is only known to within one tick and
 * a request's share of DUR (1s / 3) falls between ticks: levels less than one
 * tick's drain apart are a tie. So a stream at exactly N per DUR is never
 * refused, and rounding in the doubles cannot tip a decision. */
static unsigned leaky_capacity(const struct rate_limit *lim)
{
    return lim->n / 10 ? lim->n / 10 : 1;
}

static double dur_ns(const struct rate_limit *lim)
{
    return (double)lim->dur_ms * 1e6;
}

/* Requests drained per nanosecond: also the size of a tie. */
static double leaky_tick(const struct rate_limit *lim)
{
    return (double)lim->n / dur_ns(lim);
}

/* The level at now. Workers read the clock before taking the lock, so now may
 * be a little behind last; that drains nothing. */
static double leaky_level(const struct rate_limit *lim, const struct limiter *l,
                          uint64_t now_ns)
{
    if (now_ns <= l->last_ns)
        return l->level;
    double level = l->level - (double)(now_ns - l->last_ns) * leaky_tick(lim);
    return level > 0 ? level : 0;
}

/* ---- fixed windows ---- */

static uint64_t fixed_index(const struct rate_limit *lim, uint64_t now_ns)
{
    return now_ns / (lim->dur_ms * 1000000);
}

static uint64_t fixed_used(const struct limiter *l, uint64_t index)
{
    return l->index == index ? l->used : 0;
}

/* ---- GCRA (bucket) ---- */

/* The emission interval T = DUR / N, in nanoseconds. TAT is a double for the
 * same reason as the leaky level: T is rarely a whole number of nanoseconds.
 * Differences under a nanosecond (the clock's tick) are a tie, in the
 * request's favour. */
static double bucket_interval(const struct rate_limit *lim)
{
    return dur_ns(lim) / lim->n;
}

/* TAT - t, where TAT is never earlier than t: how far the bucket is ahead. */
static double bucket_ahead(const struct limiter *l, uint64_t now_ns)
{
    double ahead = l->tat_ns - (double)now_ns;
    return ahead > 0 ? ahead : 0;
}

/* ---- sliding counter ---- */

/* A sliding counter as HAProxy's freq_ctr keeps one: the count of the current
 * period, the count of the one before, and how far into the current period
 * now is. Periods are [k * DUR, (k + 1) * DUR) on mclock. */
struct sliding_view {
    uint64_t curr, prev;
    uint64_t elapsed_ns;  /* since the current period began */
    uint64_t index;       /* the current period */
};

static uint64_t period_ns(const struct rate_limit *lim)
{
    return lim->dur_ms * 1000000;
}

/* Workers read the clock before taking the lock, so now may be a little
 * behind a period another worker has already moved into; such a request
 * counts in that period, at its start. */
static struct sliding_view sliding_at(const struct rate_limit *lim, const struct limiter *l,
                                      uint64_t now_ns)
{
    uint64_t d = period_ns(lim);
    struct sliding_view v = {0, 0, 0, now_ns / d};
    if (v.index < l->index)
        v.index = l->index;
    else
        v.elapsed_ns = now_ns - v.index * d;
    if (v.index == l->index) {
        v.curr = l->used;
        v.prev = l->prev;
    } else if (v.index == l->index + 1) {
        v.prev = l->used;
    }
    return v;
}

/* curr + floor(prev * (DUR - elapsed) / DUR), in integers as HAProxy does;
 * long double holds the product exactly for any count a test reaches. */
static uint64_t sliding_estimate(const struct rate_limit *lim, const struct sliding_view *v)
{
    uint64_t d = period_ns(lim);
    long double past = (long double)v->prev * (long double)(d - v->elapsed_ns) / (long double)d;
    return v->curr + (uint64_t)floorl(past);
}

/* Nanoseconds from now until the estimate is at most m, if nothing more is
 * counted. The previous period's share floor(prev * (DUR - e) / DUR) is at
 * most k once prev * (DUR - e) / DUR < k + 1, i.e. once e > DUR - (k + 1) *
 * DUR / prev. If the current period's own count is over m, only the next
 * period (where it becomes prev) can bring the estimate down. */
static double sliding_wait(const struct rate_limit *lim, const struct sliding_view *v,
                           uint64_t m)
{
    double d = (double)period_ns(lim), e = (double)v->elapsed_ns;
    if (v->curr <= m) {
        if (v->prev == 0)
            return 0;
        double th = d - (double)(m - v->curr + 1) * d / (double)v->prev;
        if (th < e)
            return 0;
        if (th < d)
            return th - e + 1;
    }
    double th = d - (double)(m + 1) * d / (double)v->curr;
    return d - e + (th < 0 ? 0 : th + 1);
}

static void sliding_count(const struct rate_limit *lim, struct limiter *l, uint64_t now_ns)
{
    struct sliding_view v = sliding_at(lim, l, now_ns);
    l->index = v.index;
    l->prev = v.prev;
    l->used = v.curr + 1;
}

/* ---- common ---- */

/* now_ns plus a span, to the nearest nanosecond: the clock's resolution, and
 * enough to keep rounding noise from pushing a whole second to the next. Only
 * a DUR of a century or more reaches 2^62 ns; that saturates, not wraps. */
static uint64_t after(uint64_t now_ns, double span_ns)
{
    if (span_ns <= 0)
        return now_ns;
    double span = nearbyint(span_ns);
    if (span >= 0x1p62)
        return UINT64_MAX;
    return now_ns + (uint64_t)span;
}

int limiter_fits(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns)
{
    const struct rate_limit *lim = &r->rate;
    switch (r->mode) {
    case LIMIT_LEAKY:
        return leaky_level(lim, l, now_ns) + 1 < leaky_capacity(lim) + leaky_tick(lim);
    case LIMIT_BUCKET:
        return bucket_ahead(l, now_ns) <= r->burst * bucket_interval(lim) + 1;
    case LIMIT_SLIDING: {
        struct sliding_view v = sliding_at(lim, l, now_ns);
        return sliding_estimate(lim, &v) + 1 <= lim->n;
    }
    case LIMIT_FIXED:
        break;
    }
    return fixed_used(l, fixed_index(lim, now_ns)) < lim->n;
}

void limiter_charge(const struct limit_rule *r, struct limiter *l, uint64_t now_ns)
{
    const struct rate_limit *lim = &r->rate;
    switch (r->mode) {
    case LIMIT_LEAKY:
        l->level = leaky_level(lim, l, now_ns) + 1;
        if (now_ns > l->last_ns)
            l->last_ns = now_ns;
        return;
    case LIMIT_BUCKET:
        l->tat_ns = (double)now_ns + bucket_ahead(l, now_ns) + bucket_interval(lim);
        return;
    case LIMIT_SLIDING:
        sliding_count(lim, l, now_ns);
        return;
    case LIMIT_FIXED:
        break;
    }
    uint64_t index = fixed_index(lim, now_ns);
    if (l->index != index) {
        l->index = index;
        l->used = 0;
    }
    l->used++;
}

void limiter_refused(const struct limit_rule *r, struct limiter *l, uint64_t now_ns)
{
    if (r->mode == LIMIT_SLIDING)
        sliding_count(&r->rate, l, now_ns);
}

static void bucket_report(const struct limit_rule *r, const struct limiter *l,
                          uint64_t now_ns, struct rl_report *rep)
{
    double t = bucket_interval(&r->rate), ahead = bucket_ahead(l, now_ns);
    double burst = r->burst * t;
    /* floor((B*T - (TAT - t)) / T) + 1 requests fit now, with limiter_fits' tie. */
    double room = floor((burst - ahead + 1) / t) + 1;
    rep->remaining = room > 0 ? (room < 4e9 ? (unsigned)room : 4000000000u) : 0;
    rep->reset_ns = after(now_ns, ahead);
    /* A request fits once TAT - t is down to B*T. */
    rep->retry_ns = after(now_ns, ahead - burst);
}

static void sliding_report(const struct rate_limit *lim, const struct limiter *l,
                           uint64_t now_ns, struct rl_report *rep)
{
    struct sliding_view v = sliding_at(lim, l, now_ns);
    uint64_t est = sliding_estimate(lim, &v);
    rep->remaining = est < lim->n ? (unsigned)(lim->n - est) : 0;
    rep->reset_ns = after(now_ns, sliding_wait(lim, &v, 0));
    /* A request fits once the estimate counting it is at most N. */
    rep->retry_ns = after(now_ns, sliding_wait(lim, &v, lim->n - 1));
}

static void leaky_report(const struct rate_limit *lim, const struct limiter *l,
                         uint64_t now_ns, struct rl_report *rep)
{
    double level = leaky_level(lim, l, now_ns);
    double cap = leaky_capacity(lim), unit_ns = dur_ns(lim) / lim->n;
    /* The most k with level + k < cap + tick, as limiter_fits decides for one. */
    double room = ceil(cap - level + leaky_tick(lim)) - 1;
    rep->remaining = room > 0 ? (unsigned)room : 0;
    rep->reset_ns = after(now_ns, level * unit_ns);
    /* A request fits once the level is down to capacity - 1. */
    rep->retry_ns = after(now_ns, (level + 1 - cap) * unit_ns);
}

static void fixed_report(const struct rate_limit *lim, const struct limiter *l,
                         uint64_t now_ns, struct rl_report *rep)
{
    uint64_t index = fixed_index(lim, now_ns);
    uint64_t used = fixed_used(l, index);
    rep->remaining = used < lim->n ? (unsigned)(lim->n - used) : 0;
    rep->reset_ns = (index + 1) * (lim->dur_ms * 1000000);
    rep->retry_ns = rep->reset_ns;
}

void limiter_report(const struct limit_rule *r, const struct limiter *l, uint64_t now_ns,
                    struct rl_report *rep)
{
    const struct rate_limit *lim = &r->rate;
    rep->present = 1;
    rep->limit = lim->n;
    rep->window_ms = lim->dur_ms;
    switch (r->mode) {
    case LIMIT_LEAKY:
        leaky_report(lim, l, now_ns, rep);
        return;
    case LIMIT_BUCKET:
        bucket_report(r, l, now_ns, rep);
        return;
    case LIMIT_SLIDING:
        sliding_report(lim, l, now_ns, rep);
        return;
    case LIMIT_FIXED:
        break;
    }
    fixed_report(lim, l, now_ns, rep);
}
