/* options.h: truto-mock's command line.
 *
 * options_parse fills struct mock_options from argv (and MOCK_TOKEN), or prints
 * one "truto-mock: ..." line on stderr and fails; the caller exits 2 then.
 * Strings point into argv or the environment and are not copied; only the
 * repeatable lists are allocated (options_free releases them).
 * The token is never echoed in any message. */
#ifndef TRUTO_MOCK_OPTIONS_H
#define TRUTO_MOCK_OPTIONS_H
#include <stddef.h>
#include <stdint.h>

/* N requests per dur_ms; n == 0 means no limit. */
struct rate_limit {
    unsigned n;
    uint64_t dur_ms;
};

/* How a limit counts (--limit-mode). */
enum limit_mode {
    LIMIT_FIXED,   /* fixed windows: n per window, the count resets at its end */
    LIMIT_LEAKY,   /* leaky buckets: drain n per dur_ms, hold max(1, n / 10) */
    LIMIT_BUCKET,  /* GCRA: one per dur_ms / n, bursts of burst + 1 */
    LIMIT_SLIDING, /* sliding counter: every request counts, refused ones too */
};

/* Which headers carry a limit's standing (--rate-headers). */
enum rate_style {
    RATE_TRUTO,    /* ratelimit-limit / -remaining / -reset (delta seconds) */
    RATE_OKTA,     /* x-rate-limit-limit / -remaining / -reset (epoch seconds) */
    RATE_IETF,     /* RateLimit and RateLimit-Policy structured fields */
};

struct mock_options {
    unsigned port;                 /* 0: any free port */
    const char *token;
    const char *journal_path;      /* NULL: no journal */
    const char *members_path;      /* NULL: every pair is a member until removed */
    struct rate_limit account_limit;
    struct rate_limit token_limit;
    enum limit_mode limit_mode;
    unsigned burst;                /* --burst, for --limit-mode bucket */
    int burst_set;
    int rate_headers;              /* 0 after --no-rate-headers */
    enum rate_style rate_style;
    const char *tls_cert;          /* --tls-cert PEM file, or NULL for plain HTTP */
    const char *tls_key;           /* --tls-key PEM file */
    unsigned latency_median_ms;    /* --latency MEDIAN; 0: off */
    unsigned latency_p99_ms;       /* --latency ...,P99; default 3 x MEDIAN */
    uint64_t seed;                 /* --seed, for the latency draws; default 1 */
    unsigned account_concurrency;  /* --account-concurrency; 0: off */
    long retry_after_always;       /* --retry-after-always S; -1: off */
    int retry_after_date;          /* --retry-after-date: Retry-After as an HTTP date */
    const char **blocked;          /* --blocked-account values */
    size_t nblocked;
    const char **reauth;           /* --reauth-account values */
    size_t nreauth;
    const char **unremovable;      /* --unremovable-group values */
    size_t nunremovable;
    unsigned page_max;             /* --page-max: largest limit= honoured; default 100 */
    int user_groups;               /* 0 after --no-user-groups: user objects carry no groups */
    int groups_user_filter;        /* 0 after --no-groups-user-filter */
    unsigned threads;
};

/* Returns 0 to run, 1 when --help was printed (exit 0), -1 on a bad option. */
int options_parse(struct mock_options *o, int argc, char **argv);
void options_free(struct mock_options *o);

/* "N/DUR" with DUR like 500ms, 1s, 10s, 1m, 1h (a bare number is seconds),
 * or "0" for off. Returns 0, or -1 when malformed. */
int parse_rate(const char *s, struct rate_limit *out);

#endif
