/* headers.c: rate-limit hints from response headers. Pure parsing, no clock.
 *
 * Servers and proxies disagree on formats, and a wrong hint is worse than none
 * (a bogus huge reset stalls a run; a bogus zero defeats the limiter), so every
 * value is parsed strictly: a whole field either parses cleanly and sets its hint,
 * or it is ignored and leaves earlier hints untouched. Numbers are read by hand,
 * not with strtod, so "1e999", "inf", "0x10", signs and locale never sneak in,
 * and they are limited to 12 integer digits so every value is exact in a double.
 *
 * The list-shaped fields (ratelimit-limit "110;w=10", IETF RateLimit and
 * RateLimit-Policy) are read with a small lenient subset of the structured-field
 * grammar: items separated by commas, each a bare item with ;key=value
 * parameters. Unknown parameters are skipped if well formed. */
#include "headers.h"

#include <math.h>

#include <limits.h>
#include <string.h>

#define MAX_INT_DIGITS 12      /* 999,999,999,999: exact in a double, fits 64-bit long */
#define MAX_FRAC_DIGITS 9
#define EPOCH_THRESHOLD 1e9    /* a reset above this is a Unix time, not a delta */

void hints_init(struct rl_hints *h)
{
    memset(h, 0, sizeof *h);
}

/* ---- small helpers ------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 token characters: what a header name may be made of. */
static int is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*p)[*len - 1]))
        (*len)--;
}

/* Case-insensitive comparison of a counted string with a lower-case literal. */
static int eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != lit[i])
            return 0;
    }
    return 1;
}

/* A read position over a counted string. */
struct cur {
    const char *p, *end;
};

static int at_end(const struct cur *c)
{
    return c->p >= c->end;
}

static char peek(const struct cur *c)
{
    return at_end(c) ? '\0' : *c->p;
}

static void skip_ows(struct cur *c)
{
    while (!at_end(c) && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Reads [-]DIGITS[.DIGITS]. Sets *neg and *is_int. Returns 0, or -1 when there is
 * no number here or it has too many digits (too many to be trusted exactly). */
static int read_number(struct cur *c, double *out, int *neg, int *is_int)
{
    *neg = 0;
    *is_int = 1;
    if (peek(c) == '-') {
        *neg = 1;
        c->p++;
    }
    double v = 0;
    int nd = 0;
    while (is_digit(peek(c))) {
        nd++;
        if (nd > MAX_INT_DIGITS)
            return -1;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    if (nd == 0)
        return -1;
    if (peek(c) == '.') {
        c->p++;
        *is_int = 0;
        double scale = 1;
        int fd = 0;
        while (is_digit(peek(c))) {
            fd++;
            if (fd > MAX_FRAC_DIGITS)
                return -1;
            scale /= 10;
            v += (*c->p - '0') * scale;
            c->p++;
        }
        if (fd == 0)
            return -1;
    }
    *out = *neg ? -v : v;
    return 0;
}

/* ---- structured-field subset -------------------------------------------- */

enum bare_kind { BARE_NUMBER, BARE_NAME, BARE_OTHER };

/* The parameters this module understands; others are parsed and dropped. */
struct item {
    enum bare_kind kind;
    double num;           /* when kind == BARE_NUMBER */
    int has_r, has_t, has_q, has_w;
    double r, t, q, w;
};

/* Skips one bare item of a kind we do not interpret. Returns 0 or -1. */
static int skip_bare(struct cur *c, enum bare_kind *kind, double *num)
{
    char ch = peek(c);
    *kind = BARE_OTHER;
    if (ch == '"') {  /* string: printable ASCII, only \" and \\ escapes */
        c->p++;
        while (!at_end(c) && *c->p != '"') {
            unsigned char u = (unsigned char)*c->p;
            if (u < 0x20 || u > 0x7e)
                return -1;
            if (*c->p == '\\') {
                c->p++;
                if (peek(c) != '"' && peek(c) != '\\')
                    return -1;
            }
            c->p++;
        }
        if (at_end(c))
            return -1;
        c->p++;
        *kind = BARE_NAME;
        return 0;
    }
    if (is_alpha(ch) || ch == '*') {  /* token */
        while (!at_end(c) && (is_tchar(*c->p) || *c->p == ':' || *c->p == '/'))
            c->p++;
        *kind = BARE_NAME;
        return 0;
    }
    if (is_digit(ch) || ch == '-') {
        int neg, is_int;
        if (read_number(c, num, &neg, &is_int) != 0)
            return -1;
        *kind = BARE_NUMBER;
        return 0;
    }
    if (ch == '?') {  /* boolean */
        c->p++;
        if (peek(c) != '0' && peek(c) != '1')
            return -1;
        c->p++;
        return 0;
    }
    if (ch == ':') {  /* byte sequence, base64 inside colons */
        c->p++;
        while (!at_end(c) && *c->p != ':') {
            char b = *c->p;
            if (!(is_alpha(b) || is_digit(b) || b == '+' || b == '/' || b == '='))
                return -1;
            c->p++;
        }
        if (at_end(c))
            return -1;
        c->p++;
        return 0;
    }
    if (ch == '@') {  /* date: @ then an integer */
        int neg, is_int;
        double ignored;
        c->p++;
        if (read_number(c, &ignored, &neg, &is_int) != 0 || !is_int)
            return -1;
        return 0;
    }
    return -1;
}

/* Reads the value of a known parameter: a non-negative number, an integer when
 * want_int. Returns 0 or -1. */
static int read_param_number(struct cur *c, int want_int, double *out)
{
    int neg, is_int;
    if (read_number(c, out, &neg, &is_int) != 0 || neg)
        return -1;
    if (want_int && !is_int)
        return -1;
    return 0;
}

/* Reads ";key[=value]" parameters after a bare item. Returns 0 or -1. */
static int read_params(struct cur *c, struct item *it)
{
    for (;;) {
        skip_ows(c);
        if (peek(c) != ';')
            return 0;
        c->p++;
        skip_ows(c);
        const char *key = c->p;
        char k0 = lower(peek(c));
        if (!((k0 >= 'a' && k0 <= 'z') || k0 == '*'))
            return -1;
        while (!at_end(c)) {
            char k = lower(*c->p);
            if (!((k >= 'a' && k <= 'z') || is_digit(k) || k == '_' || k == '-' ||
                  k == '.' || k == '*'))
                break;
            c->p++;
        }
        size_t klen = (size_t)(c->p - key);
        int known = klen == 1 && strchr("rtqw", lower(key[0])) != NULL;
        if (peek(c) != '=') {
            if (known)
                return -1;  /* a bare flag where a number belongs */
            continue;
        }
        c->p++;
        if (!known) {
            enum bare_kind kind;
            double ignored;
            if (skip_bare(c, &kind, &ignored) != 0)
                return -1;
            continue;
        }
        double v;
        switch (lower(key[0])) {
        case 'r':
            if (read_param_number(c, 1, &v) != 0)
                return -1;
            it->has_r = 1;
            it->r = v;
            break;
        case 'q':
            if (read_param_number(c, 1, &v) != 0)
                return -1;
            it->has_q = 1;
            it->q = v;
            break;
        case 't':
            if (read_param_number(c, 0, &v) != 0)
                return -1;
            it->has_t = 1;
            it->t = v;
            break;
        default: /* 'w' */
            /* A window of zero length means nothing; refuse it. */
            if (read_param_number(c, 0, &v) != 0 || v <= 0)
                return -1;
            it->has_w = 1;
            it->w = v;
            break;
        }
    }
}

#define MAX_ITEMS 16

/* Parses a comma-separated list of items. Returns the count (>= 1), or -1 when
 * the field is empty or malformed anywhere; extra items past MAX_ITEMS are
 * checked for syntax but not kept. */
static int read_list(const char *v, size_t len, struct item *items)
{
    struct cur c = { v, v + len };
    int n = 0;
    skip_ows(&c);
    if (at_end(&c))
        return -1;
    for (;;) {
        struct item it;
        memset(&it, 0, sizeof it);
        if (skip_bare(&c, &it.kind, &it.num) != 0)
            return -1;
        if (read_params(&c, &it) != 0)
            return -1;
        if (n < MAX_ITEMS)
            items[n++] = it;
        skip_ows(&c);
        if (at_end(&c))
            return n;
        if (*c.p != ',')
            return -1;
        c.p++;
        skip_ows(&c);
        if (at_end(&c))
            return -1;  /* trailing comma */
    }
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
static int first_number(const char *v, size_t len, struct item *items, int *n, int want_int,
                        double *out)
{
    *n = read_list(v, len, items);
    if (*n < 1 || items[0].kind != BARE_NUMBER || items[0].num < 0)
        return -1;
    if (want_int && items[0].num != (double)(long long)items[0].num)
        return -1;
    *out = items[0].num;
    return 0;
}

static void feed_limit(struct rl_hints *h, const char *v, size_t len)
{
    struct item items[MAX_ITEMS];
    int n;
    double lim;
    long l;
    if (first_number(v, len, items, &n, 1, &lim) != 0 || to_long(lim, &l) != 0)
        return;
    h->has_limit = 1;
    h->limit = l;
    /* The window comes from the first item's own ;w=, or else from a later
     * policy item describing the same quota ("10, 10;w=1, 50;w=60"). */
    for (int i = 0; i < n; i++) {
        if (items[i].kind == BARE_NUMBER && items[i].num == lim && items[i].has_w) {
            h->has_window = 1;
            h->window_s = items[i].w;
            return;
        }
    }
}

static void feed_remaining(struct rl_hints *h, const char *v, size_t len)
{
    struct item items[MAX_ITEMS];
    int n;
    double rem;
    long l;
    if (first_number(v, len, items, &n, 1, &rem) != 0 || to_long(rem, &l) != 0)
        return;
    h->has_remaining = 1;
    h->remaining = l;
}

static void feed_reset(struct rl_hints *h, const char *v, size_t len, double now_epoch)
{
    struct item items[MAX_ITEMS];
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
    struct item items[MAX_ITEMS];
    int n = read_list(v, len, items);
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (items[i].kind != BARE_NAME || !items[i].has_r)
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
    struct item items[MAX_ITEMS];
    int n = read_list(v, len, items);
    for (int i = 0; i < n; i++) {
        long q;
        if (items[i].kind != BARE_NAME || !items[i].has_q || to_long(items[i].q, &q) != 0)
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
    return len > 0 && (lower(line[0]) == 'r' || lower(line[0]) == 'x' || lower(line[0]) == 'd');
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

void hints_feed(struct rl_hints *h, const char *name, size_t name_len,
                const char *value, size_t value_len, double now_epoch)
{
    if (name == NULL || value == NULL)
        return;
    trim(&name, &name_len);
    trim(&value, &value_len);

    if (eq_nocase(name, name_len, "retry-after")) {
        double s, when;
        if (parse_retry_after(value, value_len, now_epoch, &s) == 0) {
            h->has_retry_after = 1;
            h->retry_after_s = s;
            h->retry_at_set = !is_digit(value[0]) &&
                              parse_http_date(value, value_len, &when) == 0;
            h->retry_at = h->retry_at_set ? when : 0;
        }
    } else if (eq_nocase(name, name_len, "date")) {
        double when;
        if (parse_http_date(value, value_len, &when) == 0) {
            h->has_date = 1;
            h->date_epoch = when;
        }
    } else if (eq_nocase(name, name_len, "ratelimit-limit") ||
               eq_nocase(name, name_len, "x-ratelimit-limit") ||
               eq_nocase(name, name_len, "x-rate-limit-limit")) {
        feed_limit(h, value, value_len);
    } else if (eq_nocase(name, name_len, "ratelimit-remaining") ||
               eq_nocase(name, name_len, "x-ratelimit-remaining") ||
               eq_nocase(name, name_len, "x-rate-limit-remaining")) {
        feed_remaining(h, value, value_len);
    } else if (eq_nocase(name, name_len, "ratelimit-reset") ||
               eq_nocase(name, name_len, "x-ratelimit-reset") ||
               eq_nocase(name, name_len, "x-rate-limit-reset")) {
        feed_reset(h, value, value_len, now_epoch);
    } else if (eq_nocase(name, name_len, "ratelimit")) {
        feed_ietf_ratelimit(h, value, value_len);
    } else if (eq_nocase(name, name_len, "ratelimit-policy")) {
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
        if (!is_tchar(*q))
            return;
    }
    size_t name_len = (size_t)(colon - line);
    hints_feed(h, line, name_len, colon + 1, len - name_len - 1, now_epoch);
}

/* ---- Retry-After and HTTP dates ----------------------------------------- */

int parse_retry_after(const char *v, size_t len, double now_epoch, double *out_s)
{
    if (v == NULL)
        return -1;
    trim(&v, &len);
    if (len == 0)
        return -1;
    if (is_digit(v[0])) {
        /* delta-seconds is digits only: no sign, fraction or exponent. */
        if (len > MAX_INT_DIGITS)
            return -1;
        double s = 0;
        for (size_t i = 0; i < len; i++) {
            if (!is_digit(v[i]))
                return -1;
            s = s * 10 + (v[i] - '0');
        }
        *out_s = s;
        return 0;
    }
    double when;
    if (parse_http_date(v, len, &when) != 0)
        return -1;
    double s = when - now_epoch;
    *out_s = s > 0 ? s : 0;
    return 0;
}

static const char *const MONTHS[12] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const DAYS_SHORT[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const DAYS_LONG[7] = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* Matches one of the names in table at the cursor (case-insensitively, as a
 * tolerance; the grammar itself is case-sensitive). Returns the index or -1. */
static int read_name(struct cur *c, const char *const *table, int count)
{
    for (int i = 0; i < count; i++) {
        size_t n = strlen(table[i]);
        if ((size_t)(c->end - c->p) >= n && eq_nocase(c->p, n, table[i])) {
            c->p += n;
            return i;
        }
    }
    return -1;
}

static int expect(struct cur *c, char ch)
{
    if (peek(c) != ch)
        return -1;
    c->p++;
    return 0;
}

/* Exactly n digits. */
static int read_digits(struct cur *c, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(peek(c)))
            return -1;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    *out = v;
    return 0;
}

/* "HH:MM:SS"; 60 seconds is allowed for a leap second. */
static int read_time(struct cur *c, int *hh, int *mm, int *ss)
{
    if (read_digits(c, 2, hh) != 0 || expect(c, ':') != 0 || read_digits(c, 2, mm) != 0 ||
        expect(c, ':') != 0 || read_digits(c, 2, ss) != 0)
        return -1;
    return *hh <= 23 && *mm <= 59 && *ss <= 60 ? 0 : -1;
}

static int read_gmt(struct cur *c)
{
    if (c->end - c->p < 3 || !eq_nocase(c->p, 3, "gmt"))
        return -1;
    c->p += 3;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap days in years 1..y (proleptic Gregorian). */
static long leaps_through(long y)
{
    return y / 4 - y / 100 + y / 400;
}

static int to_epoch(int year, int mon, int day, int hh, int mm, int ss, double *out)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1900 || year > 9999 || mon < 0 || mon > 11 || day < 1)
        return -1;
    int dim = mdays[mon] + (mon == 1 && is_leap(year));
    if (day > dim)
        return -1;
    long days = 365L * (year - 1970) + (leaps_through(year - 1) - leaps_through(1969));
    for (int m = 0; m < mon; m++)
        days += mdays[m] + (m == 1 && is_leap(year));
    days += day - 1;
    *out = (double)days * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
    return 0;
}

/* Sun, 06 Nov 1994 08:49:37 GMT */
static int parse_imf(struct cur *c, double *out)
{
    int day, year, hh, mm, ss, mon;
    if (read_name(c, DAYS_SHORT, 7) < 0 || expect(c, ',') != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 2, &day) != 0 || expect(c, ' ') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, ' ') != 0 || read_digits(c, 4, &year) != 0 ||
        expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_gmt(c) != 0 || !at_end(c))
        return -1;
    return to_epoch(year, mon, day, hh, mm, ss, out);
}

/* Sunday, 06-Nov-94 08:49:37 GMT. Two-digit years pivot at 70: without a clock
 * here the "50 years in the future" rule cannot be applied, and 70 is where the
 * Unix epoch makes earlier years meaningless anyway. */
static int parse_rfc850(struct cur *c, double *out)
{
    int day, yy, hh, mm, ss, mon;
    if (read_name(c, DAYS_LONG, 7) < 0 || expect(c, ',') != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 2, &day) != 0 || expect(c, '-') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, '-') != 0 || read_digits(c, 2, &yy) != 0 ||
        expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_gmt(c) != 0 || !at_end(c))
        return -1;
    return to_epoch(yy < 70 ? 2000 + yy : 1900 + yy, mon, day, hh, mm, ss, out);
}

/* Sun Nov  6 08:49:37 1994 (day padded with a space, or two digits) */
static int parse_asctime(struct cur *c, double *out)
{
    int day, year, hh, mm, ss, mon;
    if (read_name(c, DAYS_SHORT, 7) < 0 || expect(c, ' ') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, ' ') != 0)
        return -1;
    if (peek(c) == ' ') {
        c->p++;
        if (read_digits(c, 1, &day) != 0)
            return -1;
    } else if (read_digits(c, 2, &day) != 0) {
        return -1;
    }
    if (expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 4, &year) != 0 || !at_end(c))
        return -1;
    return to_epoch(year, mon, day, hh, mm, ss, out);
}

int parse_http_date(const char *v, size_t len, double *out_epoch)
{
    if (v == NULL)
        return -1;
    trim(&v, &len);
    if (len < 4)
        return -1;
    struct cur c = { v, v + len };
    /* The three forms differ right after the day name: ", " after a short
     * name, a space after a short name, or a long name. */
    if (v[3] == ',')
        return parse_imf(&c, out_epoch);
    if (v[3] == ' ')
        return parse_asctime(&c, out_epoch);
    return parse_rfc850(&c, out_epoch);
}

double hints_wait_s(const struct rl_hints *h)
{
    if (h->has_retry_after)
        return h->retry_after_s;
    if (h->has_remaining && h->remaining == 0 && h->has_reset)
        return h->reset_s;
    return -1;
}
