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

static unsigned fixed_used(const struct limiter *l, uint64_t index)
{
    return l->index == index ? l->used : 0;
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
    unsigned used = fixed_used(l, index);
    rep->remaining = used < lim->n ? lim->n - used : 0;
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
    case LIMIT_FIXED:
        break;
    }
    fixed_report(lim, l, now_ns, rep);
}
