/* config.h: the command line, parsed into a struct config. Pure: no I/O besides
 * reading argv and the environment values handed in; the caller prints errors.
 *
 * Also parses the value forms other modules share: N/DUR rates and durations. */
#ifndef GROUPRM_CONFIG_H
#define GROUPRM_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#define DEFAULT_BASE_URL "https://api.truto.one"
#define BREAKER_MIN_ROWS 200  /* rows finished before --max-failure-rate applies */
#define DEFAULT_CONCURRENCY 256  /* -c: enough for Truto's token rate at 2 s latency */

struct rate {
    unsigned n;        /* most requests per window; 0 = no limit */
    uint64_t dur_ms;   /* window length */
};

#define MAX_REPEAT 64  /* most --exclude-field / --remote-query items */

enum command {
    CMD_RUN,                  /* grouprm INPUT: remove (or add) the pairs */
    CMD_PLAN,                 /* grouprm plan: read the directory, write a pairs CSV */
    CMD_CHECK,                /* grouprm check [INPUT]: one cheap read per account */
};

struct config {
    enum command command;
    const char *input;        /* path, or "-" for stdin; NULL for plan, or check with -a */
    const char *groups_of;    /* plan --groups-of USERS.csv */
    const char *members_of;   /* plan --members-of GROUPS.csv */
    const char *except_groups, *except_users;  /* plan: ids never to plan */
    /* --column F=NAME: the header name each field is read from, or NULL for
     * the field's own name; in csvin's order: group_id, user_id,
     * integrated_account_id, remote_data. */
    const char *columns[4];
    const char *account;      /* -a: default integrated_account_id, or NULL */
    const char *output;       /* results CSV */
    const char *retry_log;    /* retry log CSV */
    unsigned concurrency;     /* -c: requests in flight at most, in all (a ceiling) */
    unsigned account_concurrency;  /* --account-concurrency: per account; 0 = none */
    unsigned threads;         /* --threads: lanes running transfers; 0 = one per CPU, up to 4 */
    struct rate account_rate, token_rate;
    const char *base_url;
    const char *token_file;   /* NULL: the token comes from TRUTO_API_TOKEN */
    const char *cacert;       /* PEM bundle of CAs to trust, or NULL for the system's */
    const char *resolve[MAX_REPEAT];  /* --resolve HOST:PORT:ADDR[,ADDR...] */
    size_t nresolve;
    unsigned max_attempts;
    double max_failure_rate;  /* 0..1: stop when more rows than this fail */
    double timeout_s;
    int resume;               /* skip pairs the results file has done; append */
    int force;                /* resume even if the input changed */
    int overwrite;            /* start again over a results file that holds rows */
    int dry_run;              /* plan and record, send nothing */
    int strict;               /* send nothing if any row is invalid */
    const char *method;       /* remove | remove-user | add */
    const char *undo;         /* --undo RESULTS: re-add its removed pairs */
    const char *response_format;  /* NULL: not sent */
    int ignore_remote_data;   /* 1 (default): truto_ignore_remote_data=true; 0: omit */
    const char *exclude[MAX_REPEAT];
    size_t nexclude;
    const char *remote_query[MAX_REPEAT];
    size_t nremote_query;
    const char *remote_data;  /* JSON object for every body, or NULL for {} */
    uint64_t progress_interval_ms;  /* plain progress lines when not on a terminal */
    const char *summary_json; /* --summary-json FILE, or NULL */
    const char *metrics_file; /* --metrics-file FILE, or NULL */
    int log_json;             /* --log-format json */
    int quiet, verbose;
    int help, version;        /* print and exit 0 */
};

/* The lanes to run transfers in: --threads, or for 0 one per CPU (cpus), at most
 * 4 (beyond that the single scheduling loop is the limit), and at least 1. */
unsigned config_threads(const struct config *c, unsigned cpus);

/* Fills c from argv. env_base_url is TRUTO_BASE_URL (may be NULL).
 * Returns 0, or -1 with a one-line message in err (without "grouprm: "). */
int config_parse(struct config *c, int argc, char **argv, const char *env_base_url,
                 char *err, size_t errlen);

/* "500ms", "1s", "10s", "1m", "1h"; a bare number is seconds. 0 on success. */
int parse_duration_ms(const char *s, uint64_t *out);
/* HOST:PORT:ADDRESS[,ADDRESS...] as libcurl's CURLOPT_RESOLVE takes it (an IPv6
 * address in brackets). 0 when well formed, else -1. */
int check_resolve(const char *s);
/* "50/10s", "200/1s", or "0" or "auto" (no ceiling: learned). 0 on success. */
int parse_rate(const char *s, struct rate *r);
/* "50%", "0.5" or "50" (a percentage when above 1). 0 on success. */
int parse_fraction(const char *s, double *out);
/* Formats a rate back, e.g. "50/10s", "off". */
void format_rate(const struct rate *r, char *buf, size_t len);

/* The options config_parse takes, for i from 0: the long name (NULL past the
 * last), with its short letter (or 0) in *letter and in *value whether it takes
 * a value. For the tests that hold --help, the manual page and the bash
 * completion to what the parser takes. */
const char *config_option(size_t i, char *letter, int *value);

const char *config_usage(void);  /* the --help text */
const char *config_usage_plan(void);  /* grouprm plan --help, grouprm check --help */

#endif
