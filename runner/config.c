/* config.c: command-line parsing. See config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "ascii.h"

const char *config_usage(void)
{
    return "usage: grouprm [options] INPUT   (a CSV with group_id, user_id and\n"
           "       grouprm --undo RESULTS     integrated_account_id or -a; - is stdin)\n"
           "       grouprm plan ... | grouprm check [INPUT]  (see grouprm plan --help)\n"
           "Remove users from groups in bulk through Truto's Unified User Directory API.\n"
           "Files\n"
           "  -a, --account ID         integrated_account_id for rows that have none\n"
           "  -o, --output FILE        results CSV (default output/results.csv)\n"
           "  -r, --retry-log FILE     rows to run again (default output/retry.csv)\n"
           "      --column F=NAME      take F (group_id, user_id, ...) from column NAME\n"
           "      --dry-run, --strict  send nothing / nothing if any row is invalid\n"
           "      --resume [--force]   after a crash: skip rows done (--force: new INPUT)\n"
           "      --overwrite          start again over results that hold rows (else exit 2)\n"
           "      --undo RESULTS       re-add every pair RESULTS records as removed\n"
           "Request\n"
           "      --method M           remove (default, deprecated), remove-user, or add\n"
           "      --remote-data JSON   body remote_data (a row's remote_data column wins)\n"
           "      --response-format F  unified|raw|normalized|stream; --with-remote-data\n"
           "      --exclude-field F, --remote-query KEY=VALUE   repeatable (KEY a.b nests)\n"
           "Pace\n"
           "  -c, --concurrency N      requests in flight at most, in all (default 256)\n"
           "      --account-concurrency N  in flight per account at most (default 0: none)\n"
           "      --threads N          threads running them (default 0: 1 per CPU, up to 4)\n"
           "      --account-rate N/DUR, --token-rate N/DUR  ceilings per integrated account\n"
           "                           (default 50/10s) and for the token (500/10s); 0 or\n"
           "                           auto: none. Below them the rate is learned\n"
           "      --max-attempts N     tries per row (6); --timeout SECONDS per request (30)\n"
           "      --max-failure-rate P stop once over P of 200+ finished rows failed (50%)\n"
           "Connection\n"
           "      --base-url URL       default $TRUTO_BASE_URL, else " DEFAULT_BASE_URL "\n"
           "      --token-file FILE    the token (else $TRUTO_API_TOKEN, or a credential)\n"
           "      --cacert FILE        also trust this CA (a TLS-inspecting proxy's)\n"
           "      --resolve H:P:ADDR[,ADDR]  connect to these addresses for H:P (repeatable)\n"
           "Reporting\n"
           "  -q, --quiet, -v, --verbose  errors only / one line per request\n"
           "      --summary-json FILE, --metrics-file FILE   for cron and monitoring\n"
           "      --log-format text|json, --progress-interval DUR (10s, when not a tty)\n"
           "  -h, --help, -V, --version\n"
           "Exit: 0 all removed or not_found | 1 some failed or invalid (see the retry log)\n"
           "      2 usage, input or write error | 3 token refused or too many failures\n"
           "      75 results file in use by another grouprm | 130 interrupted\n";
}

const char *config_usage_plan(void)
{
    return "usage: grouprm plan --groups-of USERS.csv [options]\n"
           "       grouprm plan --members-of GROUPS.csv [options]\n"
           "       grouprm check [INPUT] [-a ID]   (or grouprm --check ...)\n"
           "plan reads the directory and writes a pairs CSV to review and then run as\n"
           "INPUT; it sends no write. check makes one cheap read per account of INPUT (or\n"
           "-a), proving the token, base URL, TLS, proxy and each account.\n"
           "Plan\n"
           "      --groups-of FILE     every group of each user_id in FILE (a CSV with\n"
           "                           user_id, and integrated_account_id or -a)\n"
           "      --members-of FILE    every member of each group_id in FILE\n"
           "      --except-groups FILE groups never to plan (ids, one a line, or a CSV\n"
           "                           with group_id), e.g. Everyone, app-managed groups\n"
           "      --except-users FILE  users never to plan (one a line, or user_id)\n"
           "  -o, --output FILE        the plan (default output/plan.csv), written whole\n"
           "  -a, --account ID         integrated_account_id for lines that have none\n"
           "      --column F=NAME      read the list's user_id (or group_id, ...) from NAME\n"
           "      --summary-json FILE  the counts, and each user or group not read (check:\n"
           "                           each account's answer)\n"
           "Reads are paced by --account-rate, --token-rate, -c and --account-concurrency\n"
           "as a run's requests are, and take the connection options (see grouprm --help).\n"
           "Exit: 0 everything read in full | 1 some user or group could not be read\n"
           "      (each reported with its line; the rest is planned) | 2 usage, input,\n"
           "      TLS trouble or no answer at all | 3 token refused (no plan written)\n"
           "      check: 0 every account answered | 1 some account refused\n";
}

int check_resolve(const char *s)
{
    const char *c1 = strchr(s, ':');
    if (!c1 || c1 == s || c1[1] == '\0')
        return -1;
    char *end;
    errno = 0;
    long port = strtol(c1 + 1, &end, 10);
    if (errno || end == c1 + 1 || *end != ':' || port < 1 || port > 65535 || c1[1] == '+' ||
        c1[1] == '-')
        return -1;
    const char *a = end + 1;
    if (*a == '\0')
        return -1;
    /* Each address: non-empty; brackets only around a whole IPv6 address. */
    for (;;) {
        const char *comma = strchr(a, ',');
        size_t n = comma ? (size_t)(comma - a) : strlen(a);
        if (n == 0 || memchr(a, ' ', n))
            return -1;
        if (a[0] == '[' && (n < 3 || a[n - 1] != ']'))
            return -1;
        if (!comma)
            return 0;
        a = comma + 1;
    }
}

int parse_duration_ms(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mult;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return -1;
    double ms = v * mult;
    if (!(ms < 1e15))
        return -1;
    *out = (uint64_t)(ms + 0.5);
    return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int parse_rate(const char *s, struct rate *r)
{
    if (s && (strcmp(s, "0") == 0 || strcmp(s, "auto") == 0)) {
        r->n = 0;
        r->dur_ms = 0;
        return 0;
    }
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || slash == s || slash - s > 10)
        return -1;
    char num[16];
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = '\0';
    unsigned n;
    uint64_t ms;
    if (parse_uint(num, 0, 1000000, &n) != 0 || parse_duration_ms(slash + 1, &ms) != 0)
        return -1;
    if (n == 0) {
        r->n = 0;
        r->dur_ms = 0;
        return 0;
    }
    if (ms == 0)
        return -1;
    r->n = n;
    r->dur_ms = ms;
    return 0;
}

int parse_fraction(const char *s, double *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    if (strcmp(end, "%") == 0 || (*end == '\0' && v > 1))
        v /= 100.0;
    else if (*end != '\0')
        return -1;
    if (!(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

void format_rate(const struct rate *r, char *buf, size_t len)
{
    if (r->n == 0)
        snprintf(buf, len, "off");
    else if (r->dur_ms % 60000 == 0)
        snprintf(buf, len, "%u/%llum", r->n, (unsigned long long)(r->dur_ms / 60000));
    else if (r->dur_ms % 1000 == 0)
        snprintf(buf, len, "%u/%llus", r->n, (unsigned long long)(r->dur_ms / 1000));
    else
        snprintf(buf, len, "%u/%llums", r->n, (unsigned long long)r->dur_ms);
}

static int check_base_url(const char *u)
{
    return (strncmp(u, "https://", 8) == 0 && u[8]) || (strncmp(u, "http://", 7) == 0 && u[7]);
}

unsigned config_threads(const struct config *c, unsigned cpus)
{
    if (c->threads)
        return c->threads;
    return cpus < 1 ? 1 : cpus > 4 ? 4 : cpus;
}

/* ---- The options ----
 * One entry for each option config_parse takes: its names, what its value is
 * (which says how it is parsed, how it is checked and what the message says
 * when it is refused), the field of struct config it goes to, and where it may
 * stand. getopt_long's tables are built from it, and tests/unit/test_config.c
 * holds --help, the manual's option list and the bash completion to it. */

enum kind {
    FLAG,         /* no value: the int at off becomes num */
    SWITCH,       /* no value: set does what it means */
    STRING,       /* the value as given */
    NONEMPTY,     /* the value as given, never "" */
    UINT,         /* a whole number from min to max */
    SECONDS,      /* a number of seconds above 0, at most max, into a double */
    FRACTION,     /* parse_fraction's forms, into a double */
    RATE,         /* parse_rate's forms, into a struct rate */
    DURATION,     /* parse_duration_ms's forms, at least min ms, into a uint64_t */
    WORD,         /* one of words, kept as given */
    CHOICE,       /* one of words: its index goes in the int at off */
    JSON_OBJECT,  /* a JSON object, kept as given */
    REPEAT,       /* once check passes, appended to the array at off (its count
                   * at count), MAX_REPEAT at most */
    CUSTOM,       /* a value: set does it all */
};

/* Where an option may stand, for the pass after the walk. */
enum {
    RUN_ONLY = 1,   /* a run's writes: plan and check send none */
    PLAN_ONLY = 2,  /* plan's lists */
    NOT_CHECK = 4,  /* a file a run or a plan writes: check writes none */
    STOP = 8,       /* --help, --version: nothing after them is looked at */
};

struct opt {
    const char *name;
    char letter;                  /* the short option, or 0 */
    enum kind kind;
    size_t off;                   /* the field in struct config */
    unsigned min, max;            /* UINT; DURATION: min; SECONDS: max */
    int num;                      /* FLAG */
    const char *expect;           /* what the message says is expected */
    const char *const *words;     /* WORD, CHOICE: NULL-terminated */
    int (*check)(const char *arg);  /* REPEAT: 0 when well formed */
    size_t count;                 /* REPEAT: the size_t counting the array */
    int (*set)(struct config *c, const char *arg, char *err, size_t errlen);  /* SWITCH, CUSTOM */
    unsigned where;
};

static int set_column(struct config *c, const char *arg, char *err, size_t errlen)
{
    static const char *const fields[] = {"group_id", "user_id", "integrated_account_id",
                                         "remote_data"};
    const char *eq = strchr(arg, '=');
    size_t k = 0, flen = eq ? (size_t)(eq - arg) : 0;
    while (k < 4 && !(strlen(fields[k]) == flen && strncmp(arg, fields[k], flen) == 0))
        k++;
    const char *name = eq ? eq + 1 : "";
    size_t nlen = strlen(name);
    ascii_trim(&name, &nlen);  /* as csvin matches it: a blank NAME names no column */
    if (k == 4 || nlen == 0) {
        snprintf(err, errlen, "bad --column '%s': expected FIELD=NAME, FIELD one of "
                 "group_id, user_id, integrated_account_id, remote_data", arg);
        return -1;
    }
    if (c->columns[k]) {
        snprintf(err, errlen, "--column %s is given twice", fields[k]);
        return -1;
    }
    c->columns[k] = name;
    return 0;
}

static int set_token(struct config *c, const char *arg, char *err, size_t errlen)
{
    (void)c;
    (void)arg;
    /* Deliberately unsupported: argv is visible to every user on the host. */
    snprintf(err, errlen, "the token is never taken from the command line: "
                          "set TRUTO_API_TOKEN or use --token-file");
    return -1;
}

static int set_check(struct config *c, const char *arg, char *err, size_t errlen)
{
    (void)arg;
    if (c->command == CMD_PLAN) {
        snprintf(err, errlen, "--check is a command of its own: not with plan");
        return -1;
    }
    c->command = CMD_CHECK;
    return 0;
}

/* -q and -v: the last one given wins. */
static int set_quiet(struct config *c, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    c->quiet = 1;
    c->verbose = 0;
    return 0;
}

static int set_verbose(struct config *c, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    c->verbose = 1;
    c->quiet = 0;
    return 0;
}

static int check_nonempty(const char *s)
{
    return *s ? 0 : -1;
}

/* KEY=VALUE, KEY a name or dotted names (a.b). */
static int check_query(const char *s)
{
    const char *eq = strchr(s, '=');
    return !eq || eq == s || eq[-1] == '.' || *s == '.' || strstr(s, "..") ? -1 : 0;
}

static const char *const method_words[] = {"remove", "remove-user", "add", NULL};
static const char *const format_words[] = {"unified", "raw", "normalized", "stream", NULL};
static const char *const log_words[] = {"text", "json", NULL};  /* log_json: 0, 1 */

/* The kind and the field it writes, which must have the type that kind writes
 * (else _Generic finds no match and the build stops). */
#define FIELD(f, type) \
    .off = offsetof(struct config, f) + 0 * sizeof(_Generic(((struct config *)0)->f, type: 1))
#define AS(kind_, f, type) .kind = kind_, FIELD(f, type)
#define FLAG_OF(f) AS(FLAG, f, int)
#define STRING_OF(f) AS(STRING, f, const char *)
#define NONEMPTY_OF(f) AS(NONEMPTY, f, const char *)
#define UINT_OF(f) AS(UINT, f, unsigned)
#define SECONDS_OF(f) AS(SECONDS, f, double)
#define FRACTION_OF(f) AS(FRACTION, f, double)
#define RATE_OF(f) AS(RATE, f, struct rate)
#define DURATION_OF(f) AS(DURATION, f, uint64_t)
#define WORD_OF(f) AS(WORD, f, const char *)
#define CHOICE_OF(f) AS(CHOICE, f, int)
#define JSON_OBJECT_OF(f) AS(JSON_OBJECT, f, const char *)
#define REPEAT_OF(f, n) \
    AS(REPEAT, f, const char **), .count = offsetof(struct config, n) + \
    0 * sizeof(_Generic(((struct config *)0)->n, size_t: 1))
static const struct opt opts[] = {
    /* Files */
    {"account", 'a', NONEMPTY_OF(account), .expect = "ID"},
    {"output", 'o', STRING_OF(output), .where = NOT_CHECK},
    {"retry-log", 'r', STRING_OF(retry_log), .where = NOT_CHECK},
    {"column", 0, .kind = CUSTOM, .set = set_column},
    {"dry-run", 0, FLAG_OF(dry_run), .num = 1, .where = RUN_ONLY},
    {"strict", 0, FLAG_OF(strict), .num = 1, .where = RUN_ONLY},
    {"resume", 0, FLAG_OF(resume), .num = 1, .where = RUN_ONLY},
    {"force", 0, FLAG_OF(force), .num = 1, .where = RUN_ONLY},
    {"overwrite", 0, FLAG_OF(overwrite), .num = 1, .where = RUN_ONLY},
    {"undo", 0, STRING_OF(undo), .where = RUN_ONLY},
    /* Request */
    {"method", 0, WORD_OF(method), .words = method_words},
    {"remote-data", 0, JSON_OBJECT_OF(remote_data),
     .expect = "a JSON object like '{\"key\":\"value\"}'"},
    {"response-format", 0, WORD_OF(response_format), .words = format_words},
    {"ignore-remote-data", 0, FLAG_OF(ignore_remote_data), .num = 1},
    {"with-remote-data", 0, FLAG_OF(ignore_remote_data), .num = 0},
    {"exclude-field", 0, REPEAT_OF(exclude, nexclude),
     .check = check_nonempty, .expect = "a field name"},
    {"remote-query", 0, REPEAT_OF(remote_query, nremote_query), .check = check_query,
     .expect = "KEY=VALUE (KEY may be a.b for nesting)"},
    /* Pace */
    {"concurrency", 'c', UINT_OF(concurrency), .min = 1, .max = 10000,
     .expect = "1 to 10000"},
    {"account-concurrency", 0, UINT_OF(account_concurrency), .min = 0, .max = 10000,
     .expect = "0 (none) to 10000"},
    {"threads", 0, UINT_OF(threads), .min = 0, .max = 64, .expect = "0 (one per CPU) to 64"},
    {"account-rate", 0, RATE_OF(account_rate),
     .expect = "N/DUR like 50/10s, or 0 for no ceiling"},
    {"token-rate", 0, RATE_OF(token_rate), .expect = "N/DUR like 50/10s, or 0 for no ceiling"},
    {"max-attempts", 0, UINT_OF(max_attempts), .min = 1, .max = 1000, .expect = "1 to 1000"},
    {"timeout", 0, SECONDS_OF(timeout_s), .max = 86400, .expect = "seconds, above 0"},
    {"max-failure-rate", 0, FRACTION_OF(max_failure_rate),
     .expect = "a percentage like 50%"},
    /* Connection */
    /* Checked after the walk, as it may come from TRUTO_BASE_URL instead. */
    {"base-url", 0, STRING_OF(base_url)},
    {"token-file", 0, STRING_OF(token_file)},
    {"token", 0, .kind = CUSTOM, .set = set_token},
    {"cacert", 0, STRING_OF(cacert)},
    {"resolve", 0, REPEAT_OF(resolve, nresolve),
     .check = check_resolve, .expect = "HOST:PORT:ADDRESS[,ADDRESS...]"},
    /* Reporting */
    {"quiet", 'q', .kind = SWITCH, .set = set_quiet},
    {"verbose", 'v', .kind = SWITCH, .set = set_verbose},
    {"summary-json", 0, STRING_OF(summary_json)},
    {"metrics-file", 0, STRING_OF(metrics_file)},
    {"log-format", 0, CHOICE_OF(log_json), .words = log_words},
    {"progress-interval", 0, DURATION_OF(progress_interval_ms), .min = 100,
     .expect = "a duration of 100ms or more, like 10s"},
    {"help", 'h', FLAG_OF(help), .num = 1, .where = STOP},
    {"version", 'V', FLAG_OF(version), .num = 1, .where = STOP},
    /* Commands and plan */
    {"check", 0, .kind = SWITCH, .set = set_check},
    {"groups-of", 0, STRING_OF(groups_of), .where = PLAN_ONLY},
    {"members-of", 0, STRING_OF(members_of), .where = PLAN_ONLY},
    {"except-groups", 0, STRING_OF(except_groups), .where = PLAN_ONLY},
    {"except-users", 0, STRING_OF(except_users), .where = PLAN_ONLY},
};
#define NOPTS (sizeof opts / sizeof *opts)

static int takes_value(const struct opt *o)
{
    return o->kind != FLAG && o->kind != SWITCH;
}

const char *config_option(size_t i, char *letter, int *value)
{
    if (i >= NOPTS)
        return NULL;
    *letter = opts[i].letter;
    *value = takes_value(&opts[i]);
    return opts[i].name;
}

/* "A, B or C" of a NULL-terminated list, into buf. */
static void list_words(char *buf, size_t len, const char *const *w)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; w[k] && at < len; k++) {
        int n = snprintf(buf + at, len - at, "%s%s", k == 0 ? "" : w[k + 1] ? ", " : " or ",
                         w[k]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

/* Gives o its value arg (NULL when it takes none). 0, or -1 with the message. */
static int take(struct config *c, const struct opt *o, const char *arg, char *err,
                size_t errlen)
{
    void *field = (char *)c + o->off;
    switch (o->kind) {
    case FLAG:
        *(int *)field = o->num;
        return 0;
    case SWITCH:
    case CUSTOM:
        return o->set(c, arg, err, errlen);
    case STRING:
        *(const char **)field = arg;
        return 0;
    case NONEMPTY:
        if (!*arg) {
            snprintf(err, errlen, "--%s needs a non-empty %s", o->name, o->expect);
            return -1;
        }
        *(const char **)field = arg;
        return 0;
    case UINT:
        if (parse_uint(arg, o->min, o->max, field) != 0)
            break;
        return 0;
    case SECONDS: {
        char *end;
        errno = 0;
        double v = strtod(arg, &end);
        if (errno || end == arg || *end || !(v > 0 && v <= o->max))
            break;
        *(double *)field = v;
        return 0;
    }
    case FRACTION:
        if (parse_fraction(arg, field) != 0)
            break;
        return 0;
    case RATE:
        if (parse_rate(arg, field) != 0)
            break;
        return 0;
    case DURATION: {
        uint64_t ms;
        if (parse_duration_ms(arg, &ms) != 0 || ms < o->min)
            break;
        *(uint64_t *)field = ms;
        return 0;
    }
    case WORD:
    case CHOICE: {
        size_t k = 0;
        while (o->words[k] && strcmp(arg, o->words[k]) != 0)
            k++;
        if (!o->words[k]) {
            char words[128];
            list_words(words, sizeof words, o->words);
            snprintf(err, errlen, "bad --%s '%s': expected %s", o->name, arg, words);
            return -1;
        }
        if (o->kind == WORD)
            *(const char **)field = arg;
        else
            *(int *)field = (int)k;
        return 0;
    }
    case JSON_OBJECT: {
        cJSON *j = cJSON_Parse(arg);
        int ok = j && cJSON_IsObject(j);
        cJSON_Delete(j);
        if (!ok) {
            /* Not quoted back: a JSON body can be long. */
            snprintf(err, errlen, "bad --%s: expected %s", o->name, o->expect);
            return -1;
        }
        *(const char **)field = arg;
        return 0;
    }
    case REPEAT: {
        size_t *n = (size_t *)((char *)c + o->count);
        if (o->check(arg) != 0)
            break;
        if (*n == MAX_REPEAT) {
            snprintf(err, errlen, "too many --%s (at most %d)", o->name, MAX_REPEAT);
            return -1;
        }
        ((const char **)field)[(*n)++] = arg;
        return 0;
    }
    }
    snprintf(err, errlen, "bad --%s '%s': expected %s", o->name, arg, o->expect);
    return -1;
}

/* getopt_long's tables from opts: a long option's val is 256 + its entry. */
static void getopt_tables(struct option *longopts, char *shorts)
{
    /* "-": the operands come back in their place (as 1), so the word an error
     * is about is the one being read, even after an INPUT; ":": a missing
     * value is told apart from an unknown option. */
    *shorts++ = '-';
    *shorts++ = ':';
    for (size_t i = 0; i < NOPTS; i++) {
        longopts[i] = (struct option){opts[i].name,
                                      takes_value(&opts[i]) ? required_argument : no_argument,
                                      NULL, 256 + (int)i};
        if (opts[i].letter) {
            *shorts++ = opts[i].letter;
            if (takes_value(&opts[i]))
                *shorts++ = ':';
        }
    }
    *shorts = '\0';
    longopts[NOPTS] = (struct option){NULL, 0, NULL, 0};
}

/* The first option given (in the table's order) that stands only where flag says. */
static const struct opt *first_given(const unsigned char *given, unsigned flag)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (given[i] && (opts[i].where & flag))
            return &opts[i];
    return NULL;
}

/* The results and retry files a command writes, unless -o or -r named them. */
static void default_files(struct config *c, const char *output, const char *retry_log)
{
    if (!c->output)
        c->output = output;
    if (!c->retry_log)
        c->retry_log = retry_log;
}

int config_parse(struct config *c, int argc, char **argv, const char *env_base_url,
                 char *err, size_t errlen)
{
    struct option longopts[NOPTS + 1];
    char shorts[3 + 2 * NOPTS];
    getopt_tables(longopts, shorts);
    memset(c, 0, sizeof *c);
    c->concurrency = DEFAULT_CONCURRENCY;
    c->account_rate = (struct rate){50, 10000};
    c->token_rate = (struct rate){500, 10000};
    c->base_url = env_base_url && *env_base_url ? env_base_url : DEFAULT_BASE_URL;
    c->max_attempts = 6;
    c->max_failure_rate = 0.5;
    c->method = "remove";
    c->ignore_remote_data = 1;
    c->progress_interval_ms = 10000;
    c->timeout_s = 30;
    /* c->output and c->retry_log stay NULL until the command picks them. */

    /* A command word first, as git takes one: "grouprm plan ...". A file
     * named plan is ./plan. */
    if (argc > 1 && (strcmp(argv[1], "plan") == 0 || strcmp(argv[1], "check") == 0)) {
        c->command = strcmp(argv[1], "plan") == 0 ? CMD_PLAN : CMD_CHECK;
        argc--;
        argv++;
    }
    unsigned char given[NOPTS] = {0};
    const struct opt *last_write = NULL;  /* the last of a run's writes given */
    const char *operand[2] = {NULL, NULL};  /* the first two */
    int noperands = 0;
    opterr = 0;
    optind = 0;  /* GNU: start afresh, so tests can parse more than once */
    for (;;) {
        int prev = optind ? optind : 1;
        int v = getopt_long(argc, argv, shorts, longopts, NULL);
        if (v == -1)
            break;
        if (v == 1) {
            if (noperands < 2)
                operand[noperands] = optarg;
            noperands++;
            continue;
        }
        if (v == ':') {
            snprintf(err, errlen, "option '%s' needs a value", argv[prev]);
            return -1;
        }
        const struct opt *o = NULL;
        if (v >= 256 && v < 256 + (int)NOPTS)
            o = &opts[v - 256];
        for (size_t i = 0; !o && v != '?' && i < NOPTS; i++)
            if (opts[i].letter == v)
                o = &opts[i];
        if (!o) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", argv[prev]);
            return -1;
        }
        if (take(c, o, optarg, err, errlen) != 0)
            return -1;
        given[o - opts] = 1;
        if (o->where & RUN_ONLY)
            last_write = o;
        if (o->where & STOP) {
            default_files(c, "output/results.csv", "output/retry.csv");
            return 0;
        }
    }

    for (; optind < argc; optind++) {  /* after "--" */
        if (noperands < 2)
            operand[noperands] = argv[optind];
        noperands++;
    }

    /* What the table cannot say alone: options that depend on each other or on
     * the command. */
    if (!check_base_url(c->base_url)) {
        snprintf(err, errlen, "bad base URL '%s': expected http:// or https://", c->base_url);
        return -1;
    }
    if (c->overwrite && c->resume) {
        snprintf(err, errlen, "--overwrite starts again and --resume continues: give one");
        return -1;
    }
    const struct opt *plan_only = first_given(given, PLAN_ONLY);
    if (c->command != CMD_PLAN && plan_only) {
        snprintf(err, errlen, "--%s is an option of grouprm plan", plan_only->name);
        return -1;
    }
    if (c->command != CMD_RUN && last_write) {
        snprintf(err, errlen, "--%s is for a run: grouprm %s sends no write", last_write->name,
                 c->command == CMD_PLAN ? "plan" : "check");
        return -1;
    }
    if (c->command == CMD_PLAN) {
        if (!c->groups_of == !c->members_of) {
            snprintf(err, errlen, "plan needs one of --groups-of USERS.csv or "
                                  "--members-of GROUPS.csv");
            return -1;
        }
        if (noperands) {
            snprintf(err, errlen, "plan reads its list from --%s: unexpected '%s'",
                     c->groups_of ? "groups-of" : "members-of", operand[0]);
            return -1;
        }
        default_files(c, "output/plan.csv", "output/retry.csv");
        return 0;
    }
    if (c->command == CMD_CHECK) {
        if (noperands > 1) {
            snprintf(err, errlen, "one INPUT at a time: unexpected '%s'", operand[1]);
            return -1;
        }
        c->input = operand[0];
        if (!c->input && !c->account) {
            snprintf(err, errlen, "check needs an INPUT whose accounts to check, or -a ID");
            return -1;
        }
        const struct opt *file = first_given(given, NOT_CHECK);
        if (file) {
            snprintf(err, errlen, "check writes no results: --%s is for a run or a plan (for "
                     "a file, use --summary-json)", file->name);
            return -1;
        }
        default_files(c, "output/results.csv", "output/retry.csv");
        return 0;
    }
    if (c->undo) {
        /* --undo RESULTS: its removed pairs are the input, re-added. Its own
         * files by default, so the results being undone are never overwritten. */
        if (noperands) {
            snprintf(err, errlen, "--undo takes the results file itself: unexpected '%s'",
                     operand[0]);
            return -1;
        }
        if (strcmp(c->method, "remove") != 0 && strcmp(c->method, "add") != 0) {
            snprintf(err, errlen, "--undo re-adds: it cannot be combined with --method %s",
                     c->method);
            return -1;
        }
        c->method = "add";
        c->input = c->undo;
        default_files(c, "output/undo-results.csv", "output/undo-retry.csv");
        return 0;
    }
    if (!noperands) {
        snprintf(err, errlen, "no INPUT given (a CSV path, or - for stdin; see --help)");
        return -1;
    }
    if (noperands > 1) {
        snprintf(err, errlen, "one INPUT at a time: unexpected '%s'", operand[1]);
        return -1;
    }
    c->input = operand[0];
    default_files(c, "output/results.csv", "output/retry.csv");
    return 0;
}
