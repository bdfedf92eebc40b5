/* it_operator.c: what an operator sees and controls.
 *
 *  - on a terminal (a pseudo-terminal opened here) the progress line is redrawn
 *    in place with "\r\033[K": "N/15 (", "req/s", "ETA", then the summary;
 *  - not on a terminal, --progress-interval prints plain "grouprm: progress: "
 *    lines with no carriage return or escape;
 *  - --summary-json agrees with the results file, the journal and the input;
 *  - --metrics-file is valid Prometheus text, success 1 or 0 with the exit code;
 *  - --method picks the endpoint (remove by default);
 *  - every query parameter is percent-encoded exactly as documented, and
 *    --with-remote-data drops truto_ignore_remote_data;
 *  - remote_data: global, per row (the row wins), invalid rows, default {};
 *  - --undo re-adds what a results file records as removed.
 * The mock journals the raw query and the body's remote_data for this. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ithelp.h"
#include "sha256.h"

#define ACC "acc-op"
#define PTY_TIMEOUT_MS 60000

/* ------------------------------------------------------------ pseudo-terminal */

struct pty_run {
    char *out;     /* everything read from the master, NUL-terminated */
    size_t len;
    int status;    /* exit status, or -SIGNAL */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child's environment: the token and what sanitizer builds need. */
static char **pty_env(struct it_ctx *c)
{
    static const char *const pass[] = {
        "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH", NULL,
    };
    char **env = it_own(c, calloc(8, sizeof *env), free);
    assert_non_null(env);
    size_t n = 0;
    env[n++] = it_fmt(c, "TRUTO_API_TOKEN=%s", IT_TOKEN_DEFAULT);
    env[n++] = "TERM=xterm";
    for (size_t i = 0; pass[i] != NULL; i++) {
        const char *v = getenv(pass[i]);
        if (v != NULL) {
            env[n++] = it_fmt(c, "%s=%s", pass[i], v);
        }
    }
    env[n] = NULL;
    return env;
}

/* Child side: a new session whose controlling terminal is the slave. */
static void pty_child(const char *slave, const char *dir, char *const argv[], char *const env[])
{
    if (setsid() < 0) {
        _exit(126);
    }
    int fd = open(slave, O_RDWR);
    if (fd < 0) {
        _exit(126);
    }
    if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
        _exit(126);
    }
    if (fd > 2) {
        close(fd);
    }
    if (chdir(dir) != 0) {
        _exit(126);
    }
    execve(argv[0], argv, env);
    _exit(127);
}

/* Appends what the master has until the child side is closed (EIO) or the
 * deadline passes; returns 0, or -1 on timeout. */
static int pty_drain(int master, struct pty_run *r, long long deadline)
{
    size_t cap = 1 << 16;
    r->out = malloc(cap);
    assert_non_null(r->out);
    r->len = 0;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = {.fd = master, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        assert_true(pr >= 0);
        if (pr == 0) {
            return -1;
        }
        if (r->len + 4096 + 1 > cap) {
            cap *= 2;
            char *grown = realloc(r->out, cap);
            assert_non_null(grown);
            r->out = grown;
        }
        ssize_t n = read(master, r->out + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* EIO: every slave descriptor is closed */
        }
        r->len += (size_t)n;
    }
    r->out[r->len] = '\0';
    return 0;
}

/* Runs grouprm with args (NULL-terminated) on a fresh pseudo-terminal (its
 * stdin, stdout and stderr), in the test directory, and reads all it writes. */
static struct pty_run pty_grouprm(struct it_ctx *c, const char *const *args)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = c->grouprm_bin;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n + 1 < 64);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    char **env = pty_env(c);

    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    const char *name = ptsname(master);
    assert_non_null(name);
    char *slave = it_strdup(c, name);
    struct winsize ws = {.ws_row = 40, .ws_col = 160};
    assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pty_child(slave, c->dir, (char *const *)argv, env);
    }
    struct pty_run r = {0};
    int drained = pty_drain(master, &r, now_ms() + PTY_TIMEOUT_MS);
    close(master);
    it_own(c, r.out, free);
    if (drained != 0) {
        kill(pid, SIGKILL);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    if (drained != 0) {
        fail_msg("grouprm on a terminal did not finish within %d ms; it wrote:\n%s",
                 PTY_TIMEOUT_MS, r.out);
    }
    r.status = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
    return r;
}

/* ------------------------------------------------------------------ helpers */

/* Rows "g<i>,u<i>,ACC" with a remote_data column (cells[i], NULL: empty). */
static const char *write_remote_rows(struct it_ctx *c, const char *const *remote, size_t n)
{
    const char **cells = it_own(c, calloc((n + 1) * 4, sizeof *cells), free);
    assert_non_null(cells);
    cells[0] = "group_id";
    cells[1] = "user_id";
    cells[2] = "integrated_account_id";
    cells[3] = "remote_data";
    for (size_t i = 0; i < n; i++) {
        cells[(i + 1) * 4] = it_fmt(c, "g%zu", i);
        cells[(i + 1) * 4 + 1] = it_fmt(c, "u%zu", i);
        cells[(i + 1) * 4 + 2] = ACC;
        cells[(i + 1) * 4 + 3] = remote[i] != NULL ? remote[i] : "";
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 4, cells, n + 1);
    return in;
}

static const struct jrow *journal_row_of(const struct journal *j, const char *group)
{
    for (size_t i = 0; i < j->n; i++) {
        if (strcmp(j->rows[i].group, group) == 0) {
            return &j->rows[i];
        }
    }
    fail_msg("no journal row for group %s", group);
    return NULL;
}

static const cJSON *json_member(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (v == NULL) {
        fail_msg("summary JSON has no \"%s\"", name);
    }
    return v;
}

static double json_number(const cJSON *o, const char *name)
{
    const cJSON *v = json_member(o, name);
    if (!cJSON_IsNumber(v)) {
        fail_msg("summary JSON \"%s\" is not a number", name);
    }
    return v->valuedouble;
}

static const char *json_string(const cJSON *o, const char *name)
{
    const cJSON *v = json_member(o, name);
    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        fail_msg("summary JSON \"%s\" is not a string", name);
    }
    return v->valuestring;
}

static void json_free(void *p)
{
    cJSON_Delete(p);
}

/* Results rows of one status, of one account (NULL: every account). */
static size_t results_count(const struct csv_table *t, const char *account, const char *status)
{
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(table_get(t, r, "status"), status) == 0 &&
            (account == NULL ||
             strcmp(table_get(t, r, "integrated_account_id"), account) == 0)) {
            n++;
        }
    }
    return n;
}

static void expect_status_counts(const cJSON *o, const struct csv_table *t, const char *account)
{
    static const char *const statuses[] = {"removed", "not_found", "failed", "invalid",
                                           "duplicate", "not_attempted", NULL};
    for (size_t i = 0; statuses[i] != NULL; i++) {
        double got = json_number(o, statuses[i]);
        size_t want = results_count(t, account, statuses[i]);
        if (got != (double)want) {
            fail_msg("summary %s %s = %.0f, the results file has %zu",
                     account != NULL ? account : "counts", statuses[i], got, want);
        }
    }
}

static char *file_sha256(struct it_ctx *c, const char *path, size_t *size)
{
    char *data = it_read_file(c, path, size);
    struct sha256 s;
    unsigned char d[32];
    sha256_init(&s);
    sha256_update(&s, data, *size);
    sha256_final(&s, d);
    char *hex = it_own(c, calloc(65, 1), free);
    assert_non_null(hex);
    sha256_hex(d, hex);
    return hex;
}

/* ----------------------------------------------------- Prometheus text format */

static int matches(const char *re_text, const char *s)
{
    regex_t re;
    if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) != 0) {
        fail_msg("regcomp failed: %s", re_text);
    }
    int ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

#define METRIC_NAME "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LABEL "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
#define RE_HELP "^# HELP " METRIC_NAME " [^ ].*$"
#define RE_TYPE "^# TYPE " METRIC_NAME " gauge$"
#define RE_SAMPLE                                                                        \
    "^" METRIC_NAME "\\{" LABEL "(," LABEL ")*\\} -?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$"

struct seen {
    char *names[64];
    size_t n;
};

static int seen_has(const struct seen *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void seen_add(struct it_ctx *c, struct seen *s, const char *name)
{
    assert_true(s->n < 64);
    s->names[s->n++] = it_strdup(c, name);
}

/* The word after "# HELP " / "# TYPE " (test-owned). */
static char *comment_name(struct it_ctx *c, const char *line)
{
    const char *p = line + strlen("# HELP ");
    return it_fmt(c, "%.*s", (int)strcspn(p, " "), p);
}

/* Asserts every line of text is HELP, TYPE gauge or a labelled sample whose
 * metric had its HELP and TYPE before it. */
static void expect_prometheus(struct it_ctx *c, char *text)
{
    size_t len = strlen(text);
    assert_true(len > 0 && text[len - 1] == '\n');
    struct seen help = {0}, type = {0};
    size_t samples = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            if (!matches(RE_HELP, line)) {
                fail_msg("bad HELP line: %s", line);
            }
            seen_add(c, &help, comment_name(c, line));
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            if (!matches(RE_TYPE, line)) {
                fail_msg("bad TYPE line: %s", line);
            }
            seen_add(c, &type, comment_name(c, line));
        } else {
            if (!matches(RE_SAMPLE, line)) {
                fail_msg("not a Prometheus sample: %s", line);
            }
            char *name = it_fmt(c, "%.*s", (int)strcspn(line, "{"), line);
            if (!seen_has(&help, name) || !seen_has(&type, name)) {
                fail_msg("sample before its HELP and TYPE: %s", line);
            }
            samples++;
        }
    }
    assert_true(samples > 0);
}

/* The value of the first sample line starting with prefix and containing
 * needle (NULL: any). */
static double metric_value(const char *text, const char *prefix, const char *needle)
{
    const char *s = text;
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
        if (strncmp(s, prefix, strlen(prefix)) == 0 &&
            (needle == NULL || memmem(s, n, needle, strlen(needle)) != NULL)) {
            const char *sp = memrchr(s, ' ', n);
            assert_non_null(sp);
            return strtod(sp + 1, NULL);
        }
        s += n + (nl != NULL);
    }
    fail_msg("no metric %s %s", prefix, needle != NULL ? needle : "");
    return 0;
}

/* -------------------------------------------------------------------- tests */

static void test_progress_on_terminal(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 15, ACC);
    it_mock_start(c, "--account-limit", "5/1s", NULL);
    const char *args[] = {"--base-url", c->base_url, "-o", c->results, "-r", c->retry,
                          "--account-rate", "5/1s", in, NULL};
    struct pty_run r = pty_grouprm(c, args);
    it_mock_stop(c);
    if (r.status != 0) {
        fail_msg("grouprm on a terminal exited %d:\n%s", r.status, r.out);
    }
    /* Every redraw: "\r\033[K" then the line, up to the next CR or LF. */
    size_t redraws = 0, progress = 0;
    for (const char *p = strstr(r.out, "\r\033[K"); p != NULL; p = strstr(p + 1, "\r\033[K")) {
        redraws++;
        const char *text = p + 4;
        char *line = it_fmt(c, "%.*s", (int)strcspn(text, "\r\n"), text);
        if (strstr(line, "/15 (") != NULL && strstr(line, " req/s ") != NULL &&
            strstr(line, "ETA ") != NULL) {
            progress++;
        }
    }
    if (redraws < 3 || progress < 1) {
        fail_msg("%zu redraws, %zu with \"N/15 (... req/s ETA\"; terminal output:\n%s", redraws,
                 progress, r.out);
    }
    if (strstr(r.out, "grouprm: 15 rows: 15 removed, 0 not_found, 0 failed") == NULL) {
        fail_msg("no summary line on the terminal:\n%s", r.out);
    }
}

static void test_progress_not_on_terminal(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 10, ACC);
    it_mock_start(c, "--account-limit", "5/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "5/1s", "--progress-interval", "200ms", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    size_t lines = 0;
    for (const char *s = c->err; *s != '\0';) {
        if (strncmp(s, "grouprm: progress: ", 19) == 0) {
            lines++;
        }
        const char *nl = strchr(s, '\n');
        s = nl != NULL ? nl + 1 : s + strlen(s);
    }
    if (lines < 3) {
        fail_msg("%zu \"grouprm: progress: \" lines, want >= 3:\n%s", lines, c->err);
    }
    if (strchr(c->err, '\r') != NULL || strchr(c->err, '\033') != NULL) {
        fail_msg("terminal control characters on a non-terminal stderr:\n%s", c->err);
    }
}

static void test_summary_json(void **state)
{
    struct it_ctx *c = *state;
    const char *members = it_path(c, "members.csv");
    it_write_file(members, "group_id,user_id\ng1,u1\ng2,u2\ng3,status-403-x\n");
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id,integrated_account_id\n"
                      "g1,u1,acc-a\ng2,u2,acc-b\ng9,u9,acc-a\ng3,status-403-x,acc-b\n,u5,acc-a\n");
    const char *summary = it_path(c, "summary.json");
    it_mock_start(c, "--members", members, NULL);
    int rc = it_grouprm(c, in, "--summary-json", summary, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct csv_table *t = results_load(c, c->results);
    struct journal *j = journal_load(c);
    cJSON *root = cJSON_Parse(it_read_file(c, summary, NULL));
    if (root == NULL) {
        fail_msg("%s is not JSON", summary);
    }
    it_own(c, root, json_free);
    assert_string_equal(json_string(root, "version"), GROUPRM_VERSION);
    const char *started = json_string(root, "started_at");
    const char *finished = json_string(root, "finished_at");
    assert_true(is_rfc3339_utc(started));
    assert_true(is_rfc3339_utc(finished));
    assert_true(strcmp(started, finished) <= 0);
    assert_int_equal((int)json_number(root, "exit_code"), rc);
    assert_true(json_string(root, "exit_reason")[0] != '\0');
    expect_status_counts(json_member(root, "counts"), t, NULL);
    assert_int_equal(results_count(t, NULL, "removed"), 2);
    assert_int_equal(results_count(t, NULL, "invalid"), 1);

    const cJSON *accounts = json_member(root, "accounts");
    assert_int_equal(cJSON_GetArraySize(accounts), 2);
    expect_status_counts(json_member(accounts, "acc-a"), t, "acc-a");
    expect_status_counts(json_member(accounts, "acc-b"), t, "acc-b");

    assert_true(json_number(root, "requests") == (double)j->n);
    assert_true(json_number(root, "http_429") == 0);
    assert_true(json_number(root, "retries") == 0);
    assert_true(json_number(root, "elapsed_seconds") > 0);

    const cJSON *input = json_member(root, "input");
    assert_string_equal(json_string(input, "path"), in);
    size_t size = 0;
    const char *sha = file_sha256(c, in, &size);
    assert_true(json_number(input, "size") == (double)size);
    assert_true(is_hex64(json_string(input, "sha256")));
    assert_string_equal(json_string(input, "sha256"), sha);
    const cJSON *files = json_member(root, "files");
    assert_string_equal(json_string(files, "results"), c->results);
    assert_string_equal(json_string(files, "retry_log"), c->retry);
}

static void test_metrics_clean_run(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 4, ACC);
    const char *metrics = it_path(c, "grouprm.prom");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--metrics-file", metrics, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    char *text = it_read_file(c, metrics, NULL);
    assert_true(metric_value(text, "grouprm_last_run_success{", NULL) == 1);
    assert_true(metric_value(text, "grouprm_last_run_exit_code{", NULL) == 0);
    assert_true(metric_value(text, "grouprm_last_run_rows{", "status=\"removed\"}") == 4);
    expect_prometheus(c, text);
}

static void test_metrics_failed_run(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id,integrated_account_id\n"
                      "g1,u1," ACC "\ng2,status-403-a," ACC "\ng3,u3," ACC "\n");
    const char *metrics = it_path(c, "grouprm.prom");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--metrics-file", metrics, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    struct csv_table *t = results_load(c, c->results);
    char *text = it_read_file(c, metrics, NULL);
    assert_true(metric_value(text, "grouprm_last_run_success{", NULL) == 0);
    assert_true(metric_value(text, "grouprm_last_run_exit_code{", NULL) == 1);
    assert_true(metric_value(text, "grouprm_last_run_rows{", "status=\"removed\"}") ==
                (double)results_count(t, NULL, "removed"));
    assert_true(metric_value(text, "grouprm_last_run_rows{", "status=\"failed\"}") == 1);
    expect_prometheus(c, text);
}

static void test_method_paths(void **state)
{
    struct it_ctx *c = *state;
    static const char *const methods[] = {NULL, "remove", "remove-user", "add"};
    static const char *const paths[] = {
        "/unified/user-directory/groups/remove", "/unified/user-directory/groups/remove",
        "/unified/user-directory/groups/remove-user", "/unified/user-directory/groups/add"};
    it_mock_start(c, NULL);
    for (size_t i = 0; i < 4; i++) {
        const char *in = it_path(c, it_fmt(c, "in-%zu.csv", i));
        it_write_file(in, it_fmt(c, "group_id,user_id\ng%zu,u%zu\n", i, i));
        it_set_outputs(c, it_fmt(c, "results-%zu.csv", i), it_fmt(c, "retry-%zu.csv", i));
        int rc = methods[i] != NULL
                     ? it_grouprm(c, in, "-a", ACC, "--method", methods[i], NULL)
                     : it_grouprm(c, in, "-a", ACC, NULL);
        IT_EXPECT_EXIT(c, rc, 0);
    }
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 4);
    for (size_t i = 0; i < 4; i++) {
        const struct jrow *r = journal_row_of(j, it_fmt(c, "g%zu", i));
        if (strcmp(r->path, paths[i]) != 0) {
            fail_msg("--method %s: path %s, want %s", methods[i] != NULL ? methods[i] : "(default)",
                     r->path, paths[i]);
        }
        assert_int_equal(r->status, 200);
    }
}

#define ODD_ACCOUNT "acct&x=1 y"
#define QUERY_TAIL                                                                           \
    "truto_exclude_fields[]=id&truto_exclude_fields[]=na%20me"                               \
    "&remote_query[filter][a%20b]=x%26y&remote_query[k]=v"

static const struct jrow *run_query_options(struct it_ctx *c, const char *extra)
{
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 1, NULL);
    it_mock_start(c, NULL);
    int rc = extra != NULL
                 ? it_grouprm(c, in, "-a", ODD_ACCOUNT, "--response-format", "raw",
                              "--exclude-field", "id", "--exclude-field", "na me",
                              "--remote-query", "filter.a b=x&y", "--remote-query", "k=v", extra,
                              NULL)
                 : it_grouprm(c, in, "-a", ODD_ACCOUNT, "--response-format", "raw",
                              "--exclude-field", "id", "--exclude-field", "na me",
                              "--remote-query", "filter.a b=x&y", "--remote-query", "k=v", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 1);
    assert_string_equal(j->rows[0].account, ODD_ACCOUNT);
    return &j->rows[0];
}

static void test_query_encoding(void **state)
{
    struct it_ctx *c = *state;
    const struct jrow *r = run_query_options(c, NULL);
    assert_string_equal(r->query, "integrated_account_id=acct%26x%3D1%20y"
                                  "&truto_response_format=raw&truto_ignore_remote_data=true&"
                                  QUERY_TAIL);
}

static void test_with_remote_data_query(void **state)
{
    struct it_ctx *c = *state;
    const struct jrow *r = run_query_options(c, "--with-remote-data");
    assert_string_equal(r->query, "integrated_account_id=acct%26x%3D1%20y"
                                  "&truto_response_format=raw&" QUERY_TAIL);
}

static void test_remote_data_global_row_invalid(void **state)
{
    struct it_ctx *c = *state;
    const char *remote[] = {NULL, "{\"x\":true}", NULL, "[1]", "{bad"};
    const char *in = write_remote_rows(c, remote, 5);
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--remote-data", "{\"a\":1,\"b\":{\"c\":\"d\"}}", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_string_equal(journal_row_of(j, "g0")->remote_data, "{\"a\":1,\"b\":{\"c\":\"d\"}}");
    assert_string_equal(journal_row_of(j, "g1")->remote_data, "{\"x\":true}");
    assert_string_equal(journal_row_of(j, "g2")->remote_data, "{\"a\":1,\"b\":{\"c\":\"d\"}}");
    struct csv_table *t = results_load(c, c->results);
    assert_string_equal(table_get(t, results_row_for_line(t, 5), "status"), "invalid");
    assert_string_equal(table_get(t, results_row_for_line(t, 6), "status"), "invalid");
    assert_int_equal(count_lines_with(c->err, "line 5: "), 1);
    assert_int_equal(count_lines_with(c->err, "line 6: "), 1);
    assert_int_equal(count_lines_with(c->err, "remote_data"), 2);
}

static void test_remote_data_default_empty(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 2, ACC);
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 2);
    for (size_t i = 0; i < j->n; i++) {
        assert_string_equal(j->rows[i].remote_data, "{}");
    }
}

static int is_path(const struct jrow *r, const void *suffix)
{
    const char *s = suffix;
    size_t n = strlen(r->path), k = strlen(s);
    return r->status == 200 && n >= k && strcmp(r->path + n - k, s) == 0;
}

static void test_undo_end_to_end(void **state)
{
    struct it_ctx *c = *state;
    const char *members = it_path(c, "members.csv");
    write_pairs(members, 3, ACC);
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, ACC);
    it_mock_start(c, "--members", members, NULL);

    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    const char *removed_results = it_strdup(c, c->results);
    assert_int_equal(table_count(results_load(c, removed_results), "status", "removed"), 3);

    const char *undo = it_path(c, "undo-results.csv");
    rc = it_run(c, "--base-url", c->base_url, "-o", undo, "-r", it_path(c, "undo-retry.csv"),
                "--undo", removed_results, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    struct csv_table *u = table_load(c, undo);
    assert_string_equal(u->first_line, RESULTS_HEADER);
    assert_int_equal(u->nrows, 3);
    assert_int_equal(table_count(u, "status", "added"), 3);

    /* A different method, so different Idempotency-Keys: nothing is replayed. */
    it_set_outputs(c, "again.csv", "again-retry.csv");
    rc = it_grouprm(c, in, "--method", "remove-user", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_int_equal(table_count(results_load(c, c->results), "status", "removed"), 3);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 9);
    assert_int_equal(journal_count(j, is_path, "/groups/remove"), 3);
    assert_int_equal(journal_count(j, is_path, "/groups/add"), 3);
    assert_int_equal(journal_count(j, is_path, "/groups/remove-user"), 3);
    for (size_t i = 0; i < 3; i++) {
        const struct jrow **v;
        size_t n = journal_pair(c, j, ACC, it_fmt(c, "g%zu", i), it_fmt(c, "u%zu", i), &v);
        assert_int_equal(n, 3);
        assert_string_equal(v[0]->path, "/unified/user-directory/groups/remove");
        assert_string_equal(v[1]->path, "/unified/user-directory/groups/add");
        assert_string_equal(v[2]->path, "/unified/user-directory/groups/remove-user");
        assert_int_equal(v[2]->replay, 0);
        assert_int_equal(v[2]->status, 200);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_progress_on_terminal, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_progress_not_on_terminal, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_summary_json, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_metrics_clean_run, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_metrics_failed_run, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_method_paths, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_query_encoding, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_with_remote_data_query, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_remote_data_global_row_invalid, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_remote_data_default_empty, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_undo_end_to_end, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
