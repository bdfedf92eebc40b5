/* it_outcomes.c: what each kind of answer does to a row.
 *
 * Uses the mock's fault injection (chosen by the user_id prefix) and membership:
 *  - 404 (not a member) -> not_found, sent once, exit 0;
 *  - a second run over already-removed pairs is answered from the idempotency cache
 *    (same keys, replay=1) and still counts as removed;
 *  - 403, 400, 409, 422 -> failed after one request, in the retry log, exit 1;
 *  - flaky 500 twice -> removed on the third request, all three with the same
 *    Idempotency-Key; a permanent 500 -> failed after exactly --max-attempts requests;
 *  - a dropped connection, a 429, 408, 425, 502, 504 and a bare 503 are retried,
 *    a 429 or 503 no sooner than its Retry-After: 1;
 *  - a request slower than --timeout is retried, then fails with no HTTP status;
 *  - a refused token (401) and then results that cannot be written (a file-size
 *    limit reached while the unfinished rows are recorded): the first cause
 *    decides the exit status (3), the write error is still said, after the
 *    401's, and every row not recorded is counted as unrecorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ithelp.h"

#define ACC "acc-out"

/* Writes group_id,user_id,integrated_account_id rows "g-<user>,<user>,ACC". */
static const char *write_users(struct it_ctx *c, const char *const *users, size_t n)
{
    const char **cells = it_own(c, calloc((n + 1) * 3, sizeof *cells), free);
    assert_non_null(cells);
    cells[0] = "group_id";
    cells[1] = "user_id";
    cells[2] = "integrated_account_id";
    for (size_t i = 0; i < n; i++) {
        cells[(i + 1) * 3] = it_fmt(c, "g-%s", users[i]);
        cells[(i + 1) * 3 + 1] = users[i];
        cells[(i + 1) * 3 + 2] = ACC;
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, n + 1);
    return in;
}

/* Asserts the results row of user: status, http_status, attempts. */
static void expect_result(struct it_ctx *c, const struct csv_table *t, const char *user,
                          const char *status, const char *http, const char *attempts)
{
    long r = table_find2(t, "group_id", it_fmt(c, "g-%s", user), "user_id", user);
    if (r < 0) {
        fail_msg("no results row for %s", user);
    }
    const char *got = table_get(t, (size_t)r, "status");
    if (strcmp(got, status) != 0) {
        fail_msg("%s: status %s (http %s, attempts %s, error \"%s\"), want %s", user, got,
                 table_get(t, (size_t)r, "http_status"), table_get(t, (size_t)r, "attempts"),
                 table_get(t, (size_t)r, "error"), status);
    }
    assert_string_equal(table_get(t, (size_t)r, "http_status"), http);
    if (attempts[0] == '<') {
        /* "<=N": at least 1 and at most N attempts */
        long n = strtol(table_get(t, (size_t)r, "attempts"), NULL, 10);
        if (n < 1 || n > strtol(attempts + 2, NULL, 10))
            fail_msg("%s: %ld attempts, want 1 to %s", user, n, attempts + 2);
    } else {
        assert_string_equal(table_get(t, (size_t)r, "attempts"), attempts);
    }
    if (strcmp(status, "failed") == 0 && table_get(t, (size_t)r, "error")[0] == '\0') {
        fail_msg("%s failed with an empty error column", user);
    }
}

/* Asserts the retry log row of user. */
static void expect_retry(struct it_ctx *c, const struct csv_table *t, const char *user,
                         const char *http, const char *attempts)
{
    long r = table_find2(t, "group_id", it_fmt(c, "g-%s", user), "user_id", user);
    if (r < 0) {
        fail_msg("%s is not in the retry log", user);
    }
    assert_string_equal(table_get(t, (size_t)r, "integrated_account_id"), ACC);
    assert_string_equal(table_get(t, (size_t)r, "http_status"), http);
    assert_string_equal(table_get(t, (size_t)r, "attempts"), attempts);
}

/* Asserts the journal statuses of user's requests, in order, and one shared key. */
static void expect_requests(struct it_ctx *c, const struct journal *j, const char *user,
                            const int *statuses, size_t n)
{
    const struct jrow **v;
    size_t got = journal_pair(c, j, ACC, it_fmt(c, "g-%s", user), user, &v);
    if (got != n) {
        fail_msg("%s: %zu requests in the journal, want %zu", user, got, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i]->status != statuses[i]) {
            fail_msg("%s: request %zu answered %d, want %d", user, i + 1, v[i]->status,
                     statuses[i]);
        }
        assert_true(is_hex64(v[i]->key));
        if (strcmp(v[i]->key, v[0]->key) != 0) {
            fail_msg("%s: request %zu has Idempotency-Key %s, request 1 had %s", user, i + 1,
                     v[i]->key, v[0]->key);
        }
    }
}

/* Asserts every retry of user came at least min_ms after the request before it
 * (on the server's clock, less a few ms of scheduling slack). */
static void expect_spacing(struct it_ctx *c, const struct journal *j, const char *user,
                           double min_ms)
{
    const struct jrow **v;
    size_t n = journal_pair(c, j, ACC, it_fmt(c, "g-%s", user), user, &v);
    for (size_t k = 0; k + 1 < n; k++) {
        double gap = v[k + 1]->t_ms - v[k]->t_ms;
        if (gap < min_ms - 10.0) {
            fail_msg("%s: retry %zu came %.1f ms after a %d with Retry-After, want >= %.0f", user,
                     k + 1, gap, v[k]->status, min_ms);
        }
    }
}

static void test_not_found_from_membership(void **state)
{
    struct it_ctx *c = *state;
    const char *members = it_path(c, "members.csv");
    it_write_file(members, "group_id,user_id\ng-u1,u1\ng-u3,u3\n");
    const char *users[] = {"u1", "u2", "u3", "u4"};
    const char *in = write_users(c, users, 4);

    it_mock_start(c, "--members", members, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 4);
    expect_requests(c, j, "u1", (int[]){200}, 1);
    expect_requests(c, j, "u2", (int[]){404}, 1);
    expect_requests(c, j, "u3", (int[]){200}, 1);
    expect_requests(c, j, "u4", (int[]){404}, 1);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    expect_result(c, t, "u1", "removed", "200", "1");
    expect_result(c, t, "u2", "not_found", "404", "1");
    expect_result(c, t, "u3", "removed", "200", "1");
    expect_result(c, t, "u4", "not_found", "404", "1");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    if (strstr(c->err, "grouprm: 4 rows: 2 removed, 2 not_found, 0 failed, 0 invalid, "
                       "0 not_attempted in ") == NULL) {
        fail_msg("no summary line with 2 not_found:\n%s", c->err);
    }
}

static void test_second_run_is_replayed(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"r1", "r2", "r3"};
    const char *in = write_users(c, users, 3);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_set_outputs(c, "results2.csv", "retry2.csv");
    rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 6);
    for (size_t i = 0; i < 3; i++) {
        const struct jrow **v;
        size_t n = journal_pair(c, j, ACC, it_fmt(c, "g-%s", users[i]), users[i], &v);
        assert_int_equal(n, 2);
        assert_int_equal(v[0]->replay, 0);
        assert_int_equal(v[0]->status, 200);
        assert_int_equal(v[1]->replay, 1);
        assert_int_equal(v[1]->status, 200);
        assert_string_equal(v[0]->key, v[1]->key);
    }
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), 3);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_forbidden_fails_without_retry(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"ok-1", "status-403-a", "ok-2"};
    const char *in = write_users(c, users, 3);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    expect_requests(c, j, "status-403-a", (int[]){403}, 1);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "status-403-a", "failed", "403", "1");
    expect_result(c, t, "ok-1", "removed", "200", "1");
    expect_result(c, t, "ok-2", "removed", "200", "1");
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 1);
    expect_retry(c, rl, "status-403-a", "403", "1");
    if (strstr(c->err, "grouprm: 3 rows: 2 removed, 0 not_found, 1 failed, 0 invalid, "
                       "0 not_attempted in ") == NULL) {
        fail_msg("no summary line with 1 failed:\n%s", c->err);
    }
}

static void test_other_4xx_fail_without_retry(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"status-400-a", "status-409-a", "status-422-a", "ok"};
    const char *in = write_users(c, users, 4);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 4);
    expect_requests(c, j, "status-400-a", (int[]){400}, 1);
    expect_requests(c, j, "status-409-a", (int[]){409}, 1);
    expect_requests(c, j, "status-422-a", (int[]){422}, 1);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "status-400-a", "failed", "400", "1");
    expect_result(c, t, "status-409-a", "failed", "409", "1");
    expect_result(c, t, "status-422-a", "failed", "422", "1");
    expect_result(c, t, "ok", "removed", "200", "1");
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 3);
    expect_retry(c, rl, "status-400-a", "400", "1");
    expect_retry(c, rl, "status-422-a", "422", "1");
}

static void test_flaky_500_same_key(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"flaky-500-2-a", "ok"};
    const char *in = write_users(c, users, 2);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 4);
    expect_requests(c, j, "flaky-500-2-a", (int[]){500, 500, 200}, 3);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "flaky-500-2-a", "removed", "200", "3");
    expect_result(c, t, "ok", "removed", "200", "1");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_500_exhausts_max_attempts(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"status-500-a", "ok"};
    const char *in = write_users(c, users, 2);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--max-attempts", "3", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    expect_requests(c, j, "status-500-a", (int[]){500, 500, 500}, 3);
    assert_int_equal(j->n, 4);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "status-500-a", "failed", "500", "3");
    expect_result(c, t, "ok", "removed", "200", "1");
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 1);
    expect_retry(c, rl, "status-500-a", "500", "3");
}

static void test_dropped_connection_retried(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"drop-1-a", "drop-2-b", "ok"};
    const char *in = write_users(c, users, 3);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    /* The server drops exactly K times, then answers, all under one key. When a
     * reused keep-alive connection dies before answering, libcurl re-sends once
     * on a fresh connection by itself, so grouprm may count fewer attempts than
     * the server saw; never more. */
    struct journal *j = journal_load(c);
    expect_requests(c, j, "drop-1-a", (int[]){0, 200}, 2);
    expect_requests(c, j, "drop-2-b", (int[]){0, 0, 200}, 3);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "drop-1-a", "removed", "200", "<=2");
    expect_result(c, t, "drop-2-b", "removed", "200", "<=3");
    expect_result(c, t, "ok", "removed", "200", "1");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_429_retried(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"flaky-429-1-a"};
    const char *in = write_users(c, users, 1);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    expect_requests(c, j, "flaky-429-1-a", (int[]){429, 200}, 2);
    expect_spacing(c, j, "flaky-429-1-a", 1000);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "flaky-429-1-a", "removed", "200", "2");
}

static void test_bare_503_retried(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"status-503-a", "flaky-503-1-b"};
    const char *in = write_users(c, users, 2);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--max-attempts", "2", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    expect_requests(c, j, "status-503-a", (int[]){503, 503}, 2);
    expect_requests(c, j, "flaky-503-1-b", (int[]){503, 200}, 2);
    expect_spacing(c, j, "status-503-a", 1000);
    expect_spacing(c, j, "flaky-503-1-b", 1000);
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "status-503-a", "failed", "503", "2");
    expect_result(c, t, "flaky-503-1-b", "removed", "200", "2");
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 1);
    expect_retry(c, rl, "status-503-a", "503", "2");
}

static void test_other_retryable_statuses(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"flaky-408-1-a", "flaky-425-1-a", "flaky-502-1-a", "flaky-504-1-a"};
    const int first[] = {408, 425, 502, 504};
    const char *in = write_users(c, users, 4);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 8);
    struct csv_table *t = results_load(c, c->results);
    for (size_t i = 0; i < 4; i++) {
        expect_requests(c, j, users[i], (int[]){first[i], 200}, 2);
        expect_result(c, t, users[i], "removed", "200", "2");
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_timeout_retried_then_failed(void **state)
{
    struct it_ctx *c = *state;
    const char *users[] = {"slow-2500-a", "ok"};
    const char *in = write_users(c, users, 2);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--timeout", "1", "--max-attempts", "2", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    /* The last slow answer is still pending when the mock stops, so count the
     * distinct arrivals (t_ms is when the request's headers came in) rather than
     * journal lines: at most --max-attempts of them. */
    struct journal *j = journal_load(c);
    const struct jrow **v;
    size_t n = journal_pair(c, j, ACC, "g-slow-2500-a", "slow-2500-a", &v);
    size_t arrivals = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++) {
            seen |= v[k]->t_ms == v[i]->t_ms;
        }
        arrivals += !seen;
    }
    if (arrivals < 1 || arrivals > 2) {
        fail_msg("%zu distinct requests for the slow row, want 1..2", arrivals);
    }
    struct csv_table *t = results_load(c, c->results);
    expect_result(c, t, "slow-2500-a", "failed", "", "2");
    expect_result(c, t, "ok", "removed", "200", "1");
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 1);
    expect_retry(c, rl, "slow-2500-a", "", "2");
}

/* The file's whole lines (a write cut short by the size limit may leave a torn
 * last one), copied to name in the test directory. */
static const char *whole_lines(struct it_ctx *c, const char *path, const char *name)
{
    size_t len = 0;
    char *buf = it_read_file(c, path, &len);
    while (len > 0 && buf[len - 1] != '\n') {
        len--;
    }
    const char *out = it_path(c, name);
    write_bytes(out, buf, len);
    return out;
}

/* The number after "; " and before " more could not be recorded" in the
 * summary line, or 0 when the summary does not say it. */
static unsigned long unrecorded_in_summary(const char *err)
{
    const char *p = strstr(err, " more could not be recorded");
    if (p == NULL) {
        return 0;
    }
    while (p > err && p[-1] >= '0' && p[-1] <= '9') {
        p--;
    }
    return strtoul(p, NULL, 10);
}

static void test_write_error_after_401_keeps_the_token_status(void **state)
{
    struct it_ctx *c = *state;
    enum { FILLER = 3000 };
    const rlim_t limit = 16384;
    /* One row removed, then the refused token, then more rows than the
     * results file may hold under the limit: recording them as not_attempted
     * is what fails. */
    const char **users = it_own(c, calloc(FILLER + 2, sizeof *users), free);
    assert_non_null(users);
    users[0] = "ok";
    users[1] = "status-401-stop";
    for (size_t i = 0; i < FILLER; i++) {
        users[i + 2] = it_fmt(c, "u-%zu", i);
    }
    const char *in = write_users(c, users, FILLER + 2);

    it_mock_start(c, NULL);
    /* The limit is inherited by grouprm (which ignores SIGXFSZ and sees EFBIG);
     * this process only waits meanwhile, and gets its own limit back after. Its
     * own output, maybe a log file larger than the limit, goes out first. */
    assert_int_equal(fflush(stdout), 0);
    assert_int_equal(fflush(stderr), 0);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    assert_true(old.rlim_max == RLIM_INFINITY || old.rlim_max >= limit);
    struct rlimit lim = {.rlim_cur = limit, .rlim_max = old.rlim_max};
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const char *summary = it_path(c, "summary.json");
    int rc = it_grouprm(c, in, "-c", "1", "--summary-json", summary, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);
    it_mock_stop(c);
    IT_EXPECT_EXIT(c, rc, 3);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 2);
    assert_int_equal(j->rows[0].status, 200);
    assert_int_equal(j->rows[1].status, 401);

    /* Said in the order it happened: the token, then the write error. */
    const char *tok = strstr(c->err, "the API token was refused (HTTP 401)");
    const char *wr = strstr(c->err, "cannot write '");
    const char *left = strstr(c->err, "unfinished rows cannot be recorded now");
    if (tok == NULL || wr == NULL || left == NULL || !(tok < wr && wr < left)) {
        fail_msg("want the 401, then the write error, then that the rest cannot be recorded; "
                 "stderr:\n%s", c->err);
    }
    assert_non_null(strstr(wr, "File too large"));
    assert_int_equal(count_lines_with(c->err, "cannot write '"), 1);
    assert_null(strstr(c->err, "stopping: no more requests"));

    /* What was recorded is right, and what was not is counted. */
    struct csv_table *t = results_load(c, whole_lines(c, c->results, "results-whole.csv"));
    expect_result(c, t, "ok", "removed", "200", "1");
    expect_result(c, t, "status-401-stop", "not_attempted", "401", "1");
    assert_true(t->nrows < FILLER + 2);
    unsigned long unrecorded = unrecorded_in_summary(c->err);
    if (unrecorded == 0) {
        fail_msg("the summary does not count the rows not recorded; stderr:\n%s", c->err);
    }
    assert_true(t->nrows + unrecorded <= FILLER + 2);
    /* Every row read is in the summary: recorded under its status, or unrecorded. */
    const char *sum = strstr(c->err, " rows: ");
    assert_non_null(sum);
    while (sum > c->err && sum[-1] != '\n') {
        sum--;
    }
    unsigned long rows, removed, not_found, failed, invalid, not_attempted;
    assert_int_equal(sscanf(sum, "grouprm: %lu rows: %lu removed, %lu not_found, %lu failed, "
                            "%lu invalid, %lu not_attempted", &rows, &removed, &not_found,
                            &failed, &invalid, &not_attempted), 6);
    assert_int_equal(rows, FILLER + 2);
    assert_int_equal(removed + not_found + failed + invalid + not_attempted + unrecorded, rows);

    /* A row counted is a line in the file: the file ends at a line boundary (a
     * line the limit tore is cut off again), and the summary's counts, status
     * by status, are its whole lines. */
    size_t len = 0;
    const char *raw = it_read_file(c, c->results, &len);
    if (len == 0 || raw[len - 1] != '\n') {
        fail_msg("the results file ends in a torn line (%zu bytes)", len);
    }
    const struct csv_table *all = t;  /* the whole lines, which are now all of it */
    const struct {
        const char *name;
        unsigned long counted;
    } by[] = {
        {"removed", removed}, {"not_found", not_found}, {"failed", failed},
        {"invalid", invalid}, {"not_attempted", not_attempted},
    };
    /* And so are --summary-json's, run-wide and the account's. */
    cJSON *root = cJSON_Parse(it_read_file(c, summary, NULL));
    assert_non_null(root);
    const cJSON *runwide = cJSON_GetObjectItemCaseSensitive(root, "counts");
    const cJSON *acct =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "accounts"), ACC);
    assert_non_null(runwide);
    assert_non_null(acct);
    size_t in_file = 0;
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++) {
        size_t n = table_count(all, "status", by[i].name);
        if (n != by[i].counted) {
            fail_msg("the summary counts %lu %s rows, the results file holds %zu",
                     by[i].counted, by[i].name, n);
        }
        const cJSON *jr = cJSON_GetObjectItemCaseSensitive(runwide, by[i].name);
        const cJSON *ja = cJSON_GetObjectItemCaseSensitive(acct, by[i].name);
        if (!cJSON_IsNumber(jr) || !cJSON_IsNumber(ja) || jr->valuedouble != (double)n ||
            ja->valuedouble != (double)n) {
            fail_msg("--summary-json counts %s %.0f run-wide and %.0f for %s; the file holds %zu",
                     by[i].name, cJSON_IsNumber(jr) ? jr->valuedouble : -1.0,
                     cJSON_IsNumber(ja) ? ja->valuedouble : -1.0, ACC, n);
        }
        in_file += n;
    }
    cJSON_Delete(root);
    assert_int_equal(in_file, all->nrows);
    assert_int_equal(all->nrows + unrecorded, rows);
    struct csv_table *rl = retry_load(c, whole_lines(c, c->retry, "retry-whole.csv"));
    assert_true(rl->nrows >= 1);
    assert_string_equal(table_get(rl, 0, "user_id"), "status-401-stop");
    assert_string_equal(table_get(rl, 0, "reason"), "bad_token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_found_from_membership, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_second_run_is_replayed, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_forbidden_fails_without_retry, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_other_4xx_fail_without_retry, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_flaky_500_same_key, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_500_exhausts_max_attempts, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_dropped_connection_retried, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_429_retried, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bare_503_retried, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_other_retryable_statuses, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_retried_then_failed, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_write_error_after_401_keeps_the_token_status,
                                        it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
