/* hints.h: what a response's headers say about rate limits. Pure: the clock
 * is passed in.
 *
 * Understands Retry-After (delta seconds or an HTTP date), ratelimit-limit /
 * -remaining / -reset (reset in delta seconds, or epoch seconds when > 1e9;
 * limit may carry a policy like "110;w=10"), the same three as x-ratelimit-* and
 * as Okta's x-rate-limit-* (whose reset is in epoch seconds), the IETF RateLimit
 * ("default";r=50;t=30) and RateLimit-Policy ("default";q=100;w=10) fields, and
 * Date, to read the server's stated times against its own clock. The list-shaped
 * values are read as structured fields (sfv.h), the dates as HTTP dates
 * (httpdate.h). Header names are matched case-insensitively.
 * Bad or out-of-range values are ignored, never trusted: a hint is only set when
 * its value parsed cleanly. All times come out as seconds from now (>= 0),
 * against the server's own clock once hints_resolve has run. */
#ifndef GROUPRM_HINTS_H
#define GROUPRM_HINTS_H
#include <stddef.h>

/* The longest wait a header may ask for: a stated reset or Retry-After
 * beyond it is taken as this (see hints_resolve). Rate-limit windows are
 * seconds to minutes long; a longer wait is a wrong clock, or a quota that
 * retrying every five minutes learns about anyway. */
#define HINT_WAIT_CAP_S 300.0

struct rl_hints {
    int has_retry_after;  double retry_after_s;  /* Retry-After, seconds from now */
    int has_remaining;    long remaining;        /* requests left in the window */
    int has_reset;        double reset_s;        /* window resets in this many seconds */
    int has_limit;        long limit;            /* requests per window */
    int has_window;       double window_s;       /* window length from a ;w= policy */
    /* Times the server stated by its own clock, kept for hints_resolve. */
    int has_date;         double date_epoch;     /* the Date header */
    int reset_at_set;     double reset_at;       /* a reset given as a Unix time */
    int retry_at_set;     double retry_at;       /* a Retry-After given as an HTTP date */
    double asked_s;       /* set by hints_resolve when it capped a wait: what was asked */
    double host_epoch;    /* set by hints_resolve: the host's clock at the headers' end */
};

void hints_init(struct rl_hints *h);

/* Feeds one header field. name/value need not be NUL-terminated; value may carry
 * surrounding spaces and a trailing CRLF. now_epoch is the wall clock in seconds. */
void hints_feed(struct rl_hints *h, const char *name, size_t name_len,
                const char *value, size_t value_len, double now_epoch);

/* Feeds one raw header line as libcurl delivers it ("Name: value\r\n").
 * Status lines and blank lines are ignored. */
void hints_feed_line(struct rl_hints *h, const char *line, size_t len, double now_epoch);

/* 0 when hints_feed_line would certainly ignore the line (every header it reads
 * starts with D, R or X). */
int hints_may_use(const char *line, size_t len);

/* Once every header is in: turns the times the server stated by its own
 * clock (a reset as a Unix time, an HTTP-date Retry-After) into waits
 * against the response's Date, so that a host clock minutes off changes no
 * wait (RFC 9110 reads Retry-After so). Date has whole seconds: when the host
 * clock agrees with it to within a second, the host's finer reading is used;
 * without a Date, the host's (host_now_epoch) is the only reference. Each
 * wait is then held to HINT_WAIT_CAP_S; asked_s says what was asked when a
 * cap applied (0 otherwise). */
void hints_resolve(struct rl_hints *h, double host_now_epoch);
/* The same with what is known of the server's clock: server_minus_host_lo is
 * a lower bound of the server's clock minus the host's (skew.h), or NAN for
 * none. With it, the server's now is the host's clock plus that bound, finer
 * than Date's whole seconds and never later than the truth, so no wait is cut
 * short. */
void hints_resolve_skew(struct rl_hints *h, double host_now_epoch, double server_minus_host_lo);

/* A Retry-After value: delta seconds ("120": digits only, at most
 * SFV_MAX_INT_DIGITS of them) or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT",
 * read against now_epoch). Surrounding blanks and a CRLF are ignored. Returns 0
 * and sets *out_s (0 for a date in the past), or -1 when unparseable, leaving
 * *out_s untouched. */
int hints_retry_after(const char *v, size_t len, double now_epoch, double *out_s);

/* The delay the hints ask for before the next request, in seconds, or -1 for none:
 * Retry-After when present; else reset_s when remaining is 0. */
double hints_wait_s(const struct rl_hints *h);

#endif
