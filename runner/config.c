/* config.c: command-line parsing. See config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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

enum { OPT_ACCOUNT_RATE = 256, OPT_TOKEN_RATE, OPT_BASE_URL, OPT_TOKEN_FILE,
       OPT_MAX_ATTEMPTS, OPT_TIMEOUT, OPT_THREADS, OPT_TOKEN, OPT_MAX_FAILURE_RATE, OPT_RESUME, OPT_FORCE, OPT_DRY_RUN, OPT_STRICT, OPT_CACERT, OPT_RESOLVE, OPT_METHOD, OPT_UNDO,
       OPT_RESPONSE_FORMAT, OPT_IGNORE_REMOTE_DATA, OPT_WITH_REMOTE_DATA, OPT_EXCLUDE_FIELD,
       OPT_REMOTE_QUERY, OPT_REMOTE_DATA, OPT_PROGRESS_INTERVAL, OPT_SUMMARY_JSON,
       OPT_METRICS_FILE, OPT_LOG_FORMAT, OPT_ACCOUNT_CONCURRENCY, OPT_CHECK, OPT_GROUPS_OF,
       OPT_MEMBERS_OF, OPT_EXCEPT_GROUPS, OPT_EXCEPT_USERS, OPT_OVERWRITE, OPT_COLUMN };

unsigned config_threads(const struct config *c, unsigned cpus)
{
    if (c->threads)
        return c->threads;
    return cpus < 1 ? 1 : cpus > 4 ? 4 : cpus;
}

int config_parse(struct config *c, int argc, char **argv, const char *env_base_url,
                 char *err, size_t errlen)
{
    static const struct option longopts[] = {
        {"account", required_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'},
        {"retry-log", required_argument, NULL, 'r'},
        {"concurrency", required_argument, NULL, 'c'},
        {"account-concurrency", required_argument, NULL, OPT_ACCOUNT_CONCURRENCY},
        {"account-rate", required_argument, NULL, OPT_ACCOUNT_RATE},
        {"token-rate", required_argument, NULL, OPT_TOKEN_RATE},
        {"base-url", required_argument, NULL, OPT_BASE_URL},
        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"max-failure-rate", required_argument, NULL, OPT_MAX_FAILURE_RATE},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"force", no_argument, NULL, OPT_FORCE},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"column", required_argument, NULL, OPT_COLUMN},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"resolve", required_argument, NULL, OPT_RESOLVE},
        {"method", required_argument, NULL, OPT_METHOD},
        {"undo", required_argument, NULL, OPT_UNDO},
        {"response-format", required_argument, NULL, OPT_RESPONSE_FORMAT},
        {"ignore-remote-data", no_argument, NULL, OPT_IGNORE_REMOTE_DATA},
        {"with-remote-data", no_argument, NULL, OPT_WITH_REMOTE_DATA},
        {"exclude-field", required_argument, NULL, OPT_EXCLUDE_FIELD},
        {"remote-query", required_argument, NULL, OPT_REMOTE_QUERY},
        {"remote-data", required_argument, NULL, OPT_REMOTE_DATA},
        {"progress-interval", required_argument, NULL, OPT_PROGRESS_INTERVAL},
        {"summary-json", required_argument, NULL, OPT_SUMMARY_JSON},
        {"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"check", no_argument, NULL, OPT_CHECK},
        {"groups-of", required_argument, NULL, OPT_GROUPS_OF},
        {"members-of", required_argument, NULL, OPT_MEMBERS_OF},
        {"except-groups", required_argument, NULL, OPT_EXCEPT_GROUPS},
        {"except-users", required_argument, NULL, OPT_EXCEPT_USERS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof *c);
    c->output = "output/results.csv";
    c->retry_log = "output/retry.csv";
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

    int output_set = 0, retry_set = 0, writes = 0;
    /* A command word first, as git takes one: "grouprm plan ...". A file
     * named plan is ./plan. */
    if (argc > 1 && (strcmp(argv[1], "plan") == 0 || strcmp(argv[1], "check") == 0)) {
        c->command = strcmp(argv[1], "plan") == 0 ? CMD_PLAN : CMD_CHECK;
        argc--;
        argv++;
    }
    opterr = 0;
    optind = 0;  /* GNU: start afresh, so tests can parse more than once */
    for (;;) {
        int prev = optind ? optind : 1;
        int o = getopt_long(argc, argv, ":a:o:r:c:qvhV", longopts, NULL);
        if (o == -1)
            break;
        const char *arg = optarg;
        char *endp;
        switch (o) {
        case 'a':
            if (!*arg) {
                snprintf(err, errlen, "--account needs a non-empty ID");
                return -1;
            }
            c->account = arg;
            break;
        case 'o': c->output = arg; output_set = 1; break;
        case 'r': c->retry_log = arg; retry_set = 1; break;
        case 'c':
            if (parse_uint(arg, 1, 10000, &c->concurrency) != 0) {
                snprintf(err, errlen, "bad --concurrency '%s': expected 1 to 10000", arg);
                return -1;
            }
            break;
        case OPT_ACCOUNT_CONCURRENCY:
            if (parse_uint(arg, 0, 10000, &c->account_concurrency) != 0) {
                snprintf(err, errlen, "bad --account-concurrency '%s': expected 0 (none) to 10000",
                         arg);
                return -1;
            }
            break;
        case OPT_ACCOUNT_RATE:
        case OPT_TOKEN_RATE:
            if (parse_rate(arg, o == OPT_ACCOUNT_RATE ? &c->account_rate : &c->token_rate) != 0) {
                snprintf(err, errlen, "bad --%s '%s': expected N/DUR like 50/10s, or 0 for no ceiling",
                         o == OPT_ACCOUNT_RATE ? "account-rate" : "token-rate", arg);
                return -1;
            }
            break;
        case OPT_BASE_URL:
            c->base_url = arg;
            break;
        case OPT_TOKEN_FILE: c->token_file = arg; break;
        case OPT_TOKEN:
            /* Deliberately unsupported: argv is visible to every user on the host. */
            snprintf(err, errlen, "the token is never taken from the command line: "
                                  "set TRUTO_API_TOKEN or use --token-file");
            return -1;
        case OPT_THREADS:
            if (parse_uint(arg, 0, 64, &c->threads) != 0) {
                snprintf(err, errlen, "bad --threads '%s': expected 0 (one per CPU) to 64", arg);
                return -1;
            }
            break;
        case OPT_MAX_ATTEMPTS:
            if (parse_uint(arg, 1, 1000, &c->max_attempts) != 0) {
                snprintf(err, errlen, "bad --max-attempts '%s': expected 1 to 1000", arg);
                return -1;
            }
            break;
        case OPT_MAX_FAILURE_RATE:
            if (parse_fraction(arg, &c->max_failure_rate) != 0) {
                snprintf(err, errlen, "bad --max-failure-rate '%s': expected a percentage like 50%%",
                         arg);
                return -1;
            }
            break;
        case OPT_TIMEOUT:
            errno = 0;
            c->timeout_s = strtod(arg, &endp);
            if (errno || endp == arg || *endp || !(c->timeout_s > 0 && c->timeout_s <= 86400)) {
                snprintf(err, errlen, "bad --timeout '%s': expected seconds, above 0", arg);
                return -1;
            }
            break;
        case OPT_RESUME: c->resume = 1; writes = o; break;
        case OPT_FORCE: c->force = 1; writes = o; break;
        case OPT_OVERWRITE: c->overwrite = 1; writes = o; break;
        case OPT_DRY_RUN: c->dry_run = 1; writes = o; break;
        case OPT_STRICT: c->strict = 1; writes = o; break;
        case OPT_CHECK:
            if (c->command == CMD_PLAN) {
                snprintf(err, errlen, "--check is a command of its own: not with plan");
                return -1;
            }
            c->command = CMD_CHECK;
            break;
        case OPT_COLUMN: {
            static const char *const fields[] = {"group_id", "user_id", "integrated_account_id",
                                                 "remote_data"};
            const char *eq = strchr(arg, '=');
            size_t k = 0, flen = eq ? (size_t)(eq - arg) : 0;
            while (k < 4 && !(strlen(fields[k]) == flen && strncmp(arg, fields[k], flen) == 0))
                k++;
            const char *name = eq ? eq + 1 : "";
            while (*name == ' ' || *name == '\t')
                name++;
            if (k == 4 || !*name) {
                snprintf(err, errlen, "bad --column '%s': expected FIELD=NAME, FIELD one of "
                         "group_id, user_id, integrated_account_id, remote_data", arg);
                return -1;
            }
            if (c->columns[k]) {
                snprintf(err, errlen, "--column %s is given twice", fields[k]);
                return -1;
            }
            c->columns[k] = name;
            break;
        }
        case OPT_GROUPS_OF: c->groups_of = arg; break;
        case OPT_MEMBERS_OF: c->members_of = arg; break;
        case OPT_EXCEPT_GROUPS: c->except_groups = arg; break;
        case OPT_EXCEPT_USERS: c->except_users = arg; break;
        case OPT_CACERT: c->cacert = arg; break;
        case OPT_RESOLVE:
            if (check_resolve(arg) != 0) {
                snprintf(err, errlen, "bad --resolve '%s': expected HOST:PORT:ADDRESS[,ADDRESS...]",
                         arg);
                return -1;
            }
            if (c->nresolve == MAX_REPEAT) {
                snprintf(err, errlen, "too many --resolve (at most %d)", MAX_REPEAT);
                return -1;
            }
            c->resolve[c->nresolve++] = arg;
            break;
        case OPT_METHOD:
            if (strcmp(arg, "remove") && strcmp(arg, "remove-user") && strcmp(arg, "add")) {
                snprintf(err, errlen, "bad --method '%s': expected remove, remove-user or add", arg);
                return -1;
            }
            c->method = arg;
            break;
        case OPT_UNDO: c->undo = arg; writes = o; break;
        case OPT_RESPONSE_FORMAT:
            if (strcmp(arg, "unified") && strcmp(arg, "raw") && strcmp(arg, "normalized") &&
                strcmp(arg, "stream")) {
                snprintf(err, errlen, "bad --response-format '%s': expected unified, raw, "
                                      "normalized or stream", arg);
                return -1;
            }
            c->response_format = arg;
            break;
        case OPT_IGNORE_REMOTE_DATA: c->ignore_remote_data = 1; break;
        case OPT_WITH_REMOTE_DATA: c->ignore_remote_data = 0; break;
        case OPT_EXCLUDE_FIELD:
        case OPT_REMOTE_QUERY: {
            int ex = o == OPT_EXCLUDE_FIELD;
            size_t *n = ex ? &c->nexclude : &c->nremote_query;
            const char *eq = strchr(arg, '=');
            if (ex ? !*arg : (!eq || eq == arg || eq[-1] == '.' || *arg == '.' || strstr(arg, ".."))) {
                snprintf(err, errlen, ex ? "bad --exclude-field '%s': expected a field name"
                                         : "bad --remote-query '%s': expected KEY=VALUE (KEY may "
                                           "be a.b for nesting)", arg);
                return -1;
            }
            if (*n == MAX_REPEAT) {
                snprintf(err, errlen, "too many --%s (at most %d)",
                         ex ? "exclude-field" : "remote-query", MAX_REPEAT);
                return -1;
            }
            (ex ? c->exclude : c->remote_query)[(*n)++] = arg;
            break;
        }
        case OPT_REMOTE_DATA: {
            cJSON *j = cJSON_Parse(arg);
            int ok = j && cJSON_IsObject(j);
            cJSON_Delete(j);
            if (!ok) {
                snprintf(err, errlen, "bad --remote-data: expected a JSON object like "
                                      "'{\"key\":\"value\"}'");
                return -1;
            }
            c->remote_data = arg;
            break;
        }
        case OPT_PROGRESS_INTERVAL:
            if (parse_duration_ms(arg, &c->progress_interval_ms) != 0 ||
                c->progress_interval_ms < 100) {
                snprintf(err, errlen, "bad --progress-interval '%s': expected a duration of "
                                      "100ms or more, like 10s", arg);
                return -1;
            }
            break;
        case OPT_SUMMARY_JSON: c->summary_json = arg; break;
        case OPT_METRICS_FILE: c->metrics_file = arg; break;
        case OPT_LOG_FORMAT:
            if (strcmp(arg, "text") && strcmp(arg, "json")) {
                snprintf(err, errlen, "bad --log-format '%s': expected text or json", arg);
                return -1;
            }
            c->log_json = strcmp(arg, "json") == 0;
            break;
        case 'q': c->quiet = 1; c->verbose = 0; break;
        case 'v': c->verbose = 1; c->quiet = 0; break;
        case 'h': c->help = 1; return 0;
        case 'V': c->version = 1; return 0;
        case ':':
            snprintf(err, errlen, "option '%s' needs a value", argv[prev]);
            return -1;
        default:
            snprintf(err, errlen, "unknown option '%s' (see --help)", argv[prev]);
            return -1;
        }
    }
    if (!check_base_url(c->base_url)) {
        snprintf(err, errlen, "bad base URL '%s': expected http:// or https://", c->base_url);
        return -1;
    }
    if (c->overwrite && c->resume) {
        snprintf(err, errlen, "--overwrite starts again and --resume continues: give one");
        return -1;
    }
    if (c->command != CMD_PLAN && (c->groups_of || c->members_of || c->except_groups ||
                                   c->except_users)) {
        snprintf(err, errlen, "--%s is an option of grouprm plan",
                 c->groups_of ? "groups-of" : c->members_of ? "members-of"
                 : c->except_groups ? "except-groups" : "except-users");
        return -1;
    }
    if (c->command != CMD_RUN && writes) {
        static const struct { int opt; const char *name; } names[] = {
            {OPT_RESUME, "resume"}, {OPT_FORCE, "force"}, {OPT_DRY_RUN, "dry-run"},
            {OPT_STRICT, "strict"}, {OPT_UNDO, "undo"}, {OPT_OVERWRITE, "overwrite"},
        };
        const char *name = "";
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (names[i].opt == writes)
                name = names[i].name;
        snprintf(err, errlen, "--%s is for a run: grouprm %s sends no write", name,
                 c->command == CMD_PLAN ? "plan" : "check");
        return -1;
    }
    if (c->command == CMD_PLAN) {
        if (!c->groups_of == !c->members_of) {
            snprintf(err, errlen, "plan needs one of --groups-of USERS.csv or "
                                  "--members-of GROUPS.csv");
            return -1;
        }
        if (optind < argc) {
            snprintf(err, errlen, "plan reads its list from --%s: unexpected '%s'",
                     c->groups_of ? "groups-of" : "members-of", argv[optind]);
            return -1;
        }
        if (!output_set)
            c->output = "output/plan.csv";
        return 0;
    }
    if (c->command == CMD_CHECK) {
        if (argc - optind > 1) {
            snprintf(err, errlen, "one INPUT at a time: unexpected '%s'", argv[optind + 1]);
            return -1;
        }
        c->input = optind < argc ? argv[optind] : NULL;
        if (!c->input && !c->account) {
            snprintf(err, errlen, "check needs an INPUT whose accounts to check, or -a ID");
            return -1;
        }
        if (output_set || retry_set) {
            snprintf(err, errlen, "check writes no results: --%s is for a run or a plan (for "
                     "a file, use --summary-json)", output_set ? "output" : "retry-log");
            return -1;
        }
        return 0;
    }
    if (c->undo) {
        /* --undo RESULTS: its removed pairs are the input, re-added. Its own
         * files by default, so the results being undone are never overwritten. */
        if (optind < argc) {
            snprintf(err, errlen, "--undo takes the results file itself: unexpected '%s'",
                     argv[optind]);
            return -1;
        }
        if (strcmp(c->method, "remove") != 0 && strcmp(c->method, "add") != 0) {
            snprintf(err, errlen, "--undo re-adds: it cannot be combined with --method %s",
                     c->method);
            return -1;
        }
        c->method = "add";
        c->input = c->undo;
        if (!output_set)
            c->output = "output/undo-results.csv";
        if (!retry_set)
            c->retry_log = "output/undo-retry.csv";
        return 0;
    }
    if (optind >= argc) {
        snprintf(err, errlen, "no INPUT given (a CSV path, or - for stdin; see --help)");
        return -1;
    }
    if (argc - optind > 1) {
        snprintf(err, errlen, "one INPUT at a time: unexpected '%s'", argv[optind + 1]);
        return -1;
    }
    c->input = argv[optind];
    return 0;
}
