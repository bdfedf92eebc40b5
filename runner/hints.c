/* hints.c: rate-limit hints from response headers. Pure parsing, no clock.
 *
 * Servers and proxies disagree on formats, and a wrong hint is worse than none
 * (a bogus huge reset stalls a run; a bogus zero defeats the limiter), so every
 * value is parsed strictly: a whole field either parses cleanly and sets its hint,
 * or it is ignored and leaves earlier hints untouched. The list-shaped fields
 * (ratelimit-limit "110;w=10", IETF RateLimit and RateLimit-Policy) go through
 * sfv.c, whose numbers are exact in a double; Retry-After's delta seconds are
 * held to the same number of digits. */
#include "hints.h"
#include "ascii.h"
#include "httpdate.h"
#include "sfv.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define EPOCH_THRESHOLD 1e9    /* a reset above this is a Unix time, not a delta */

void hints_init(struct rl_hints *h)
{
    memset(h, 0, sizeof *h);
}

/* ---- individual fields -------------------------------------------------- */

static int to_long(double v, long *out)
{
    if (v < 0 || v > (double)LONG_MAX)
        return -1;
    *out = (long)v;
    return 0;
}

/* A reset value: delta seconds, or a Unix time when above EPOCH_THRESHOLD. */
static double reset_from_value(double v, double now_epoch)
{
    if (v > EPOCH_THRESHOLD)
        v -= now_epoch;
    return v > 0 ? v : 0;
}

/* The leading number of a list field ("110;w=10", "10, 10;w=1"), non-negative. */
static int first_number(const char *v, size_t len, struct sfv_item *items, int *n, int want_int,
                        double *out)
{
    *n = sfv_parse_list(v, len, items);
    if (*n < 1 || items[0].kind != SFV_NUMBER || items[0].num < 0)
        return -1;
    if (want_int && items[0].num != (double)(long long)items[0].num)
        return -1;
    *out = items[0].num;
    return 0;
}

/* The same, a count: a non-negative integer that fits a long. */
static int first_count(const char *v, size_t len, struct sfv_item *items, int *n, long *out)
{
    double d;
    return first_number(v, len, items, n, 1, &d) == 0 && to_long(d, out) == 0 ? 0 : -1;
}

static void feed_limit(struct rl_hints *h, const char *v, size_t len)
{
    struct sfv_item items[SFV_MAX_ITEMS];
    int n;
    long l;
    if (first_count(v, len, items, &n, &l) != 0)
        return;
    double lim = (double)l;
    h->has_limit = 1;
    h->limit = l;
    /* The window comes from the first item's own ;w=, or else from a later
     * policy item describing the same quota ("10, 10;w=1, 50;w=60"). */
    for (int i = 0; i < n; i++) {
        if (items[i].kind == SFV_NUMBER && items[i].num == lim && items[i].has_w) {
            h->has_window = 1;
            h->window_s = items[i].w;
            return;
        }
    }
}

static void feed_remaining(struct rl_hints *h, const char *v, size_t len)
{
    struct sfv_item items[SFV_MAX_ITEMS];
    int n;
    if (first_count(v, len, items, &n, &h->remaining) == 0)
        h->has_remaining = 1;
}

static void feed_reset(struct rl_hints *h, const char *v, size_t len, double now_epoch)
{
    struct sfv_item items[SFV_MAX_ITEMS];
    int n;
    double r;
    if (first_number(v, len, items, &n, 0, &r) != 0)
        return;
    h->has_reset = 1;
    h->reset_s = reset_from_value(r, now_epoch);
    h->reset_at_set = r > EPOCH_THRESHOLD;
    h->reset_at = r;
}

/* IETF RateLimit: "policy";r=REMAINING;t=SECONDS, possibly several policies.
 * The most constrained policy wins: the fewest remaining, then the longest reset. */
static void feed_ietf_ratelimit(struct rl_hints *h, const char *v, size_t len)
{
    struct sfv_item items[SFV_MAX_ITEMS];
    int n = sfv_parse_list(v, len, items);
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (items[i].kind != SFV_NAME || !items[i].has_r)
            continue;
        if (best < 0 || items[i].r < items[best].r ||
            (items[i].r == items[best].r && items[i].has_t &&
             (!items[best].has_t || items[i].t > items[best].t)))
            best = i;
    }
    long rem;
    if (best < 0 || to_long(items[best].r, &rem) != 0)
        return;
    h->has_remaining = 1;
    h->remaining = rem;
    if (items[best].has_t) {
        h->has_reset = 1;
        h->reset_s = items[best].t;
    }
}

/* IETF RateLimit-Policy: "policy";q=QUOTA;w=SECONDS. The first policy with a
 * quota is taken; it is the one a server lists as primary. */
static void feed_ietf_policy(struct rl_hints *h, const char *v, size_t len)
{
    struct sfv_item items[SFV_MAX_ITEMS];
    int n = sfv_parse_list(v, len, items);
    for (int i = 0; i < n; i++) {
        long q;
        if (items[i].kind != SFV_NAME || !items[i].has_q || to_long(items[i].q, &q) != 0)
            continue;
        h->has_limit = 1;
        h->limit = q;
        if (items[i].has_w) {
            h->has_window = 1;
            h->window_s = items[i].w;
        }
        return;
    }
}

int hints_may_use(const char *line, size_t len)
{
    char c = len > 0 ? ascii_lower(line[0]) : '\0';
    return c == 'r' || c == 'x' || c == 'd';
}

/* A wait against the server's clock: stated minus the server's now. */
static double wait_until(double at, double server_now)
{
    return at > server_now ? at - server_now : 0;
}

void hints_resolve(struct rl_hints *h, double host_now_epoch)
{
    hints_resolve_skew(h, host_now_epoch, NAN);
}

void hints_resolve_skew(struct rl_hints *h, double host_now_epoch, double server_minus_host_lo)
{
    double server_now = host_now_epoch;
    h->host_epoch = host_now_epoch;
    if (h->has_date) {
        /* Date is truncated to the second: the server's now is in [Date, Date + 1). */
        double mid = h->date_epoch + 0.5;
        if (host_now_epoch < mid - 1.0 || host_now_epoch > mid + 1.0)
            server_now = isnan(server_minus_host_lo) ? mid
                                                     : host_now_epoch + server_minus_host_lo;
    }
    if (h->retry_at_set)
        h->retry_after_s = wait_until(h->retry_at, server_now);
    if (h->reset_at_set)
        h->reset_s = wait_until(h->reset_at, server_now);
    h->asked_s = 0;
    if (h->has_retry_after && h->retry_after_s > HINT_WAIT_CAP_S) {
        h->asked_s = h->retry_after_s;
        h->retry_after_s = HINT_WAIT_CAP_S;
    }
    if (h->has_reset && h->reset_s > HINT_WAIT_CAP_S) {
        if (h->reset_s > h->asked_s)
            h->asked_s = h->reset_s;
        h->reset_s = HINT_WAIT_CAP_S;
    }
}

/* ---- Retry-After -------------------------------------------------------- */

int hints_retry_after(const char *v, size_t len, double now_epoch, double *out_s)
{
    if (v == NULL)
        return -1;
    ascii_trim(&v, &len);
    if (len == 0)
        return -1;
    if (ascii_is_digit(v[0])) {
        /* delta-seconds is digits only: no sign, fraction or exponent. */
        if (len > SFV_MAX_INT_DIGITS)
            return -1;
        double s = 0;
        for (size_t i = 0; i < len; i++) {
            if (!ascii_is_digit(v[i]))
                return -1;
            s = s * 10 + (v[i] - '0');
        }
        *out_s = s;
        return 0;
    }
    double when;
    if (httpdate_parse(v, len, &when) != 0)
        return -1;
    double s = when - now_epoch;
    *out_s = s > 0 ? s : 0;
    return 0;
}

void hints_feed(struct rl_hints *h, const char *name, size_t name_len,
                const char *value, size_t value_len, double now_epoch)
{
    if (name == NULL || value == NULL)
        return;
    ascii_trim(&name, &name_len);
    ascii_trim(&value, &value_len);

    if (ascii_eq_lit(name, name_len, "retry-after")) {
        double s, when;
        if (hints_retry_after(value, value_len, now_epoch, &s) == 0) {
            h->has_retry_after = 1;
            h->retry_after_s = s;
            h->retry_at_set = !ascii_is_digit(value[0]) &&
                              httpdate_parse(value, value_len, &when) == 0;
            h->retry_at = h->retry_at_set ? when : 0;
        }
    } else if (ascii_eq_lit(name, name_len, "date")) {
        double when;
        if (httpdate_parse(value, value_len, &when) == 0) {
            h->has_date = 1;
            h->date_epoch = when;
        }
    } else if (ascii_eq_lit(name, name_len, "ratelimit-limit") ||
               ascii_eq_lit(name, name_len, "x-ratelimit-limit") ||
               ascii_eq_lit(name, name_len, "x-rate-limit-limit")) {
        feed_limit(h, value, value_len);
    } else if (ascii_eq_lit(name, name_len, "ratelimit-remaining") ||
               ascii_eq_lit(name, name_len, "x-ratelimit-remaining") ||
               ascii_eq_lit(name, name_len, "x-rate-limit-remaining")) {
        feed_remaining(h, value, value_len);
    } else if (ascii_eq_lit(name, name_len, "ratelimit-reset") ||
               ascii_eq_lit(name, name_len, "x-ratelimit-reset") ||
               ascii_eq_lit(name, name_len, "x-rate-limit-reset")) {
        feed_reset(h, value, value_len, now_epoch);
    } else if (ascii_eq_lit(name, name_len, "ratelimit")) {
        feed_ietf_ratelimit(h, value, value_len);
    } else if (ascii_eq_lit(name, name_len, "ratelimit-policy")) {
        feed_ietf_policy(h, value, value_len);
    }
}

void hints_feed_line(struct rl_hints *h, const char *line, size_t len, double now_epoch)
{
    if (line == NULL)
        return;
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return;  /* blank line, or a status line without a colon */
    /* A field name is a bare token; this also turns away status lines such as
     * "HTTP/1.1 503 Service: down" and folded continuation lines. */
    for (const char *q = line; q < colon; q++) {
        if (!ascii_is_tchar(*q))
            return;
    }
    size_t name_len = (size_t)(colon - line);
    hints_feed(h, line, name_len, colon + 1, len - name_len - 1, now_epoch);
}

double hints_wait_s(const struct rl_hints *h)
{
    if (h->has_retry_after)
        return h->retry_after_s;
    if (h->has_remaining && h->remaining == 0 && h->has_reset)
        return h->reset_s;
    return -1;
}
