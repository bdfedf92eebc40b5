/* options.c: see options.h. Long options only; parsing never touches the network. */
#include "options.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_PORT = 256, OPT_TOKEN, OPT_JOURNAL, OPT_MEMBERS, OPT_ACCOUNT_LIMIT,
    OPT_TOKEN_LIMIT, OPT_LIMIT_MODE, OPT_NO_RATE_HEADERS, OPT_RETRY_AFTER_DATE, OPT_RATE_HEADERS, OPT_BLOCKED,
    OPT_REAUTH, OPT_THREADS, OPT_TLS_CERT, OPT_TLS_KEY, OPT_BURST,
    OPT_LATENCY, OPT_SEED, OPT_ACCOUNT_CONCURRENCY, OPT_RETRY_AFTER_ALWAYS,
    OPT_UNREMOVABLE, OPT_PAGE_MAX, OPT_NO_USER_GROUPS, OPT_NO_GROUPS_USER_FILTER,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"journal", required_argument, NULL, OPT_JOURNAL},
    {"members", required_argument, NULL, OPT_MEMBERS},
    {"account-limit", required_argument, NULL, OPT_ACCOUNT_LIMIT},
    {"token-limit", required_argument, NULL, OPT_TOKEN_LIMIT},
    {"limit-mode", required_argument, NULL, OPT_LIMIT_MODE},
    {"burst", required_argument, NULL, OPT_BURST},
    {"latency", required_argument, NULL, OPT_LATENCY},
    {"seed", required_argument, NULL, OPT_SEED},
    {"account-concurrency", required_argument, NULL, OPT_ACCOUNT_CONCURRENCY},
    {"retry-after-always", required_argument, NULL, OPT_RETRY_AFTER_ALWAYS},
    {"no-rate-headers", no_argument, NULL, OPT_NO_RATE_HEADERS},
    {"retry-after-date", no_argument, NULL, OPT_RETRY_AFTER_DATE},
    {"rate-headers", required_argument, NULL, OPT_RATE_HEADERS},
    {"blocked-account", required_argument, NULL, OPT_BLOCKED},
    {"reauth-account", required_argument, NULL, OPT_REAUTH},
    {"unremovable-group", required_argument, NULL, OPT_UNREMOVABLE},
    {"page-max", required_argument, NULL, OPT_PAGE_MAX},
    {"no-user-groups", no_argument, NULL, OPT_NO_USER_GROUPS},
    {"no-groups-user-filter", no_argument, NULL, OPT_NO_GROUPS_USER_FILTER},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage[] =
    "usage: truto-mock [options]\n"
    "  --port N               listen on 127.0.0.1:N (default 0: any free port)\n"
    "  --token TOKEN          bearer token accepted (default: env MOCK_TOKEN, else test-token)\n"
    "  --journal FILE         append one TAB-separated line per request\n"
    "  --members FILE         CSV of group_id,user_id[,integrated_account_id] members\n"
    "                         (optional group_name, user_name, user_email columns)\n"
    "  --account-limit N/DUR  limit per integrated account (e.g. 50/10s)\n"
    "  --token-limit N/DUR    limit for the token\n"
    "  --limit-mode MODE      how both limits count: fixed (default: fixed windows),\n"
    "                         leaky (leaky buckets), bucket (GCRA, like nginx limit_req)\n"
    "                         or sliding (HAProxy-style sliding counter; refused\n"
    "                         requests count too)\n"
    "  --burst B              bucket mode: B + 1 requests may go at once (default 0)\n"
    "  --rate-headers STYLE   truto (default: ratelimit-*), okta (x-rate-limit-*)\n"
    "                         or ietf (RateLimit, RateLimit-Policy)\n"
    "  --no-rate-headers      omit the rate-limit headers (Retry-After stays)\n"
    "  --retry-after-date     a 429's Retry-After as an HTTP date by this host's clock\n"
    "  --latency MEDIAN[,P99] delay admitted answers by a log-normal random time\n"
    "                         (milliseconds; P99 default 3 x MEDIAN; 0: off)\n"
    "  --seed N               seed for the latency draws (default 1)\n"
    "  --account-concurrency N  at most N requests in progress per account; one more\n"
    "                         gets 429 without Retry-After (default 0: no cap)\n"
    "  --retry-after-always S every answer carries Retry-After: S (a rate-limit 429\n"
    "                         keeps its own value)\n"
    "  --blocked-account ID   answer 503 account_blocked (repeatable)\n"
    "  --reauth-account ID    answer remote 401, needs re-auth (repeatable)\n"
    "  --unremovable-group ID remove of this group answers 403, a BUILT_IN group\n"
    "                         (repeatable)\n"
    "  --page-max N           largest limit= a directory read honours, 1-10000\n"
    "                         (default 100)\n"
    "  --no-user-groups       user objects carry no \"groups\"\n"
    "  --no-groups-user-filter  GET .../groups?user_id= answers 400 (not supported)\n"
    "  --threads N            worker threads (default 2)\n"
    "  --tls-cert PEM --tls-key PEM  serve HTTPS with this certificate and key\n"
    "Prints \"PORT <n>\" once listening; runs until SIGTERM or SIGINT.\n";

/* Decimal digits only (no sign, no spaces), at most max. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Milliseconds per unit for a DUR suffix, or 0 when unknown. */
static uint64_t unit_ms(const char *unit)
{
    if (!*unit || !strcmp(unit, "s"))
        return 1000;
    if (!strcmp(unit, "ms"))
        return 1;
    if (!strcmp(unit, "m"))
        return 60000;
    if (!strcmp(unit, "h"))
        return 3600000;
    return 0;
}

int parse_rate(const char *s, struct rate_limit *out)
{
    if (!strcmp(s, "0")) {
        out->n = 0;
        out->dur_ms = 0;
        return 0;
    }
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || slash - s > 9)
        return -1;
    char num[10];
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = '\0';
    unsigned long n;
    if (parse_ulong(num, 1000000000ul, &n) || n == 0)
        return -1;

    const char *d = slash + 1;
    if (*d < '0' || *d > '9')
        return -1;
    errno = 0;
    char *unit;
    unsigned long long v = strtoull(d, &unit, 10);
    uint64_t mult = unit_ms(unit);
    if (errno || v == 0 || mult == 0 || v > UINT64_MAX / 1000000 / mult)
        return -1;
    out->n = (unsigned)n;
    out->dur_ms = v * mult;
    return 0;
}

/* "MEDIAN[,P99]" in milliseconds: MEDIAN 0-60000 (0: off, then alone),
 * MEDIAN <= P99 <= 3600000; P99 defaults to 3 x MEDIAN. */
static int parse_latency(const char *s, unsigned *median, unsigned *p99)
{
    char num[16];
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, s, n);
    num[n] = '\0';
    unsigned long m, p;
    if (parse_ulong(num, 60000, &m))
        return -1;
    if (!comma)
        p = 3 * m;
    else if (m == 0 || parse_ulong(comma + 1, 3600000, &p) || p < m)
        return -1;
    *median = (unsigned)m;
    *p99 = (unsigned)p;
    return 0;
}

static void push(const char ***list, size_t *n, const char *v)
{
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = v;
}

static int bad(const char *opt, const char *val, const char *expected)
{
    fprintf(stderr, "truto-mock: bad %s '%s': expected %s\n", opt, val, expected);
    return -1;
}

/* Applies one parsed option. Returns 0, or -1 after printing why. */
static int apply(struct mock_options *o, int c, const char *arg)
{
    unsigned long v;
    switch (c) {
    case OPT_PORT:
        if (parse_ulong(arg, 65535, &v))
            return bad("--port", arg, "a port number 0-65535");
        o->port = (unsigned)v;
        return 0;
    case OPT_TOKEN:
        if (!*arg) {
            fputs("truto-mock: bad --token: must not be empty\n", stderr);
            return -1;
        }
        o->token = arg;
        return 0;
    case OPT_JOURNAL:
        o->journal_path = arg;
        return 0;
    case OPT_MEMBERS:
        o->members_path = arg;
        return 0;
    case OPT_ACCOUNT_LIMIT:
        return parse_rate(arg, &o->account_limit) ? bad("--account-limit", arg, "N/DUR") : 0;
    case OPT_TOKEN_LIMIT:
        return parse_rate(arg, &o->token_limit) ? bad("--token-limit", arg, "N/DUR") : 0;
    case OPT_LIMIT_MODE:
        if (!strcmp(arg, "fixed"))
            o->limit_mode = LIMIT_FIXED;
        else if (!strcmp(arg, "leaky"))
            o->limit_mode = LIMIT_LEAKY;
        else if (!strcmp(arg, "bucket"))
            o->limit_mode = LIMIT_BUCKET;
        else if (!strcmp(arg, "sliding"))
            o->limit_mode = LIMIT_SLIDING;
        else
            return bad("--limit-mode", arg, "fixed, leaky, bucket or sliding");
        return 0;
    case OPT_LATENCY:
        if (parse_latency(arg, &o->latency_median_ms, &o->latency_p99_ms))
            return bad("--latency", arg,
                       "MEDIAN[,P99] in milliseconds, MEDIAN 0-60000, MEDIAN <= P99 <= 3600000");
        return 0;
    case OPT_SEED:
        if (parse_ulong(arg, ULONG_MAX, &v))
            return bad("--seed", arg, "a non-negative integer");
        o->seed = v;
        return 0;
    case OPT_ACCOUNT_CONCURRENCY:
        if (parse_ulong(arg, 1000000ul, &v))
            return bad("--account-concurrency", arg, "a number 0-1000000");
        o->account_concurrency = (unsigned)v;
        return 0;
    case OPT_RETRY_AFTER_ALWAYS:
        if (parse_ulong(arg, 86400ul, &v))
            return bad("--retry-after-always", arg, "whole seconds 0-86400");
        o->retry_after_always = (long)v;
        return 0;
    case OPT_BURST:
        if (parse_ulong(arg, 1000000000ul, &v))
            return bad("--burst", arg, "a number 0-1000000000");
        o->burst = (unsigned)v;
        o->burst_set = 1;
        return 0;
    case OPT_RETRY_AFTER_DATE:
        o->retry_after_date = 1;
        return 0;
    case OPT_NO_RATE_HEADERS:
        o->rate_headers = 0;
        return 0;
    case OPT_RATE_HEADERS:
        if (!strcmp(arg, "truto"))
            o->rate_style = RATE_TRUTO;
        else if (!strcmp(arg, "okta"))
            o->rate_style = RATE_OKTA;
        else if (!strcmp(arg, "ietf"))
            o->rate_style = RATE_IETF;
        else
            return bad("--rate-headers", arg, "truto, okta or ietf");
        return 0;
    case OPT_BLOCKED:
        push(&o->blocked, &o->nblocked, arg);
        return 0;
    case OPT_REAUTH:
        push(&o->reauth, &o->nreauth, arg);
        return 0;
    case OPT_UNREMOVABLE:
        push(&o->unremovable, &o->nunremovable, arg);
        return 0;
    case OPT_PAGE_MAX:
        if (parse_ulong(arg, 10000, &v) || v == 0)
            return bad("--page-max", arg, "a number 1-10000");
        o->page_max = (unsigned)v;
        return 0;
    case OPT_NO_USER_GROUPS:
        o->user_groups = 0;
        return 0;
    case OPT_NO_GROUPS_USER_FILTER:
        o->groups_user_filter = 0;
        return 0;
    case OPT_TLS_CERT:
        o->tls_cert = arg;
        return 0;
    case OPT_TLS_KEY:
        o->tls_key = arg;
        return 0;
    case OPT_THREADS:
        if (parse_ulong(arg, 256, &v) || v == 0)
            return bad("--threads", arg, "a number 1-256");
        o->threads = (unsigned)v;
        return 0;
    }
    return -1;
}

/* Combinations that would silently mean nothing. Returns 0, or -1 after printing why. */
static int check(const struct mock_options *o)
{
    if (o->burst_set && o->limit_mode != LIMIT_BUCKET) {
        fputs("truto-mock: --burst needs --limit-mode bucket\n", stderr);
        return -1;
    }
    return 0;
}

static void set_defaults(struct mock_options *o)
{
    memset(o, 0, sizeof *o);
    const char *env = getenv("MOCK_TOKEN");
    o->token = env && *env ? env : "test-token";
    o->limit_mode = LIMIT_FIXED;
    o->rate_headers = 1;
    o->rate_style = RATE_TRUTO;
    o->threads = 2;
    o->seed = 1;
    o->retry_after_always = -1;
    o->page_max = 100;
    o->user_groups = 1;
    o->groups_user_filter = 1;
}

int options_parse(struct mock_options *o, int argc, char **argv)
{
    set_defaults(o);
    opterr = 0; /* our own messages, in our own format */
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            options_free(o);
            return 1;
        }
        const char *opt = argv[optind - 1];
        if (c == '?' || c == ':') {
            /* Only the option's name: a stray "--token=..." must not echo the value. */
            const char *eq = strchr(opt, '=');
            int n = eq ? (int)(eq - opt) : (int)strlen(opt);
            fprintf(stderr, "truto-mock: %s option '%.*s' (see --help)\n",
                    c == ':' ? "missing value for" : "unknown", n, opt);
            options_free(o);
            return -1;
        }
        if (apply(o, c, optarg)) {
            options_free(o);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "truto-mock: unexpected argument '%s' (see --help)\n", argv[optind]);
        options_free(o);
        return -1;
    }
    if (check(o)) {
        options_free(o);
        return -1;
    }
    return 0;
}

void options_free(struct mock_options *o)
{
    free(o->blocked);
    free(o->reauth);
    free(o->unremovable);
    o->blocked = o->reauth = o->unremovable = NULL;
    o->nblocked = o->nreauth = o->nunremovable = 0;
}
