/* it_accounts.c: what happens per integrated account, and across runs.
 *
 *  - A blocked account (503 "account_blocked") stops only that account: its rows
 *    are not_attempted with reason account_blocked, at most the requests already
 *    in flight reach the server for it, the other account finishes, exit 1, and
 *    stderr names the account.
 *  - An account needing re-authentication (401 with truto_is_remote_error) does
 *    the same with reason account_reauth, and is not mistaken for a refused token
 *    (exit 1, not 3).
 *  - A spent window pauses only its account: after the first 429 at T from the
 *    server's window (Retry-After: 1), the account sends at most one more request
 *    before T + 1000 ms, which the spent window refuses, and nothing in the second
 *    after that, while the other account keeps sending inside that pause. An
 *    injected one-off 429 pauses only its own row for its Retry-After.
 *  - A file sorted by account is still served round-robin: every account starts
 *    at once and the run takes about as long as one account's share, also when
 *    the file is longer than grouprm's read-ahead.
 *  - The account window holds from the very first send, even when reading a long
 *    input delays that send: no sliding second ever holds more than the limit.
 *  - The circuit breaker (--max-failure-rate) stops a run where most rows fail,
 *    accounting for every row exactly once; at 100% the same input runs to the end.
 *  - The Idempotency-Key of a (account, group, user) is the same on every attempt,
 *    in the retry-log run and in a rerun of the same input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

/* Milliseconds of slack for scheduling and delivery jitter. */
#define TOL_MS 20.0

/* ---- input files ---------------------------------------------------------- */

/* Rows of group_id,user_id,integrated_account_id, built up and written once. */
struct input {
    size_t nrows;
    size_t cap;
    const char **cells; /* 3 per row; row 0 is the header */
};

static void input_free(void *p)
{
    struct input *in = p;
    free(in->cells);
    free(in);
}

static struct input *input_new(struct it_ctx *c)
{
    struct input *in = calloc(1, sizeof *in);
    assert_non_null(in);
    it_own(c, in, input_free);
    in->cap = 64;
    in->cells = calloc(in->cap * 3, sizeof *in->cells);
    assert_non_null(in->cells);
    in->cells[0] = "group_id";
    in->cells[1] = "user_id";
    in->cells[2] = "integrated_account_id";
    in->nrows = 1;
    return in;
}

/* The strings must outlive the input (literals or test-owned). */
static void input_add(struct input *in, const char *group, const char *user, const char *account)
{
    if (in->nrows == in->cap) {
        size_t cap = in->cap * 2;
        const char **p = realloc(in->cells, cap * 3 * sizeof *p);
        assert_non_null(p);
        in->cells = p;
        in->cap = cap;
    }
    in->cells[in->nrows * 3] = group;
    in->cells[in->nrows * 3 + 1] = user;
    in->cells[in->nrows * 3 + 2] = account;
    in->nrows++;
}

static const char *input_group(const struct input *in, size_t i) { return in->cells[(i + 1) * 3]; }
static const char *input_user(const struct input *in, size_t i) { return in->cells[(i + 1) * 3 + 1]; }
static const char *input_account(const struct input *in, size_t i)
{
    return in->cells[(i + 1) * 3 + 2];
}
static size_t input_len(const struct input *in) { return in->nrows - 1; }

/* Writes the input as name in the test directory; returns its path. No field
 * holds a line break, so data row i is on physical line i + 2. */
static const char *input_write(struct it_ctx *c, const struct input *in, const char *name)
{
    const char *path = it_path(c, name);
    write_csv(path, 3, in->cells, in->nrows);
    return path;
}

/* ---- journal ---------------------------------------------------------------- */

/* Requests of one account (all with NULL), by arrival (t_ms), test-owned. */
static size_t journal_of(struct it_ctx *c, const struct journal *j, const char *account,
                         const struct jrow ***out)
{
    const struct jrow **v = it_own(c, calloc(j->n + 1, sizeof *v), free);
    assert_non_null(v);
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (account == NULL || strcmp(j->rows[i].account, account) == 0) {
            v[n++] = &j->rows[i];
        }
    }
    /* Insertion sort: the journals here are small and nearly in order. */
    for (size_t i = 1; i < n; i++) {
        const struct jrow *r = v[i];
        size_t k = i;
        while (k > 0 && v[k - 1]->t_ms > r->t_ms) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = r;
    }
    *out = v;
    return n;
}

static size_t journal_count_account(const struct journal *j, const char *account)
{
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        n += strcmp(j->rows[i].account, account) == 0;
    }
    return n;
}

/* 64 lowercase hexadecimal characters. */
static int is_lower_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        int digit = s[n] >= '0' && s[n] <= '9';
        int lower = s[n] >= 'a' && s[n] <= 'f';
        if (!digit && !lower) {
            return 0;
        }
    }
    return n == 64;
}

/* ---- results and retry log --------------------------------------------------- */

/* Asserts the results row of input row i (line i + 2) and returns it. */
static size_t expect_result_row(const struct csv_table *t, const struct input *in, size_t i,
                                const char *status)
{
    size_t r = results_row_for_line(t, (long)i + 2);
    assert_string_equal(table_get(t, r, "group_id"), input_group(in, i));
    assert_string_equal(table_get(t, r, "user_id"), input_user(in, i));
    assert_string_equal(table_get(t, r, "integrated_account_id"), input_account(in, i));
    if (status != NULL && strcmp(table_get(t, r, "status"), status) != 0) {
        fail_msg("line %zu (%s/%s on %s): status %s (http %s, error \"%s\"), want %s", i + 2,
                 input_group(in, i), input_user(in, i), input_account(in, i),
                 table_get(t, r, "status"), table_get(t, r, "http_status"),
                 table_get(t, r, "error"), status);
    }
    return r;
}

/* The retry-log row of (group, user, account), or -1. Fails on a duplicate. */
static long retry_row(const struct csv_table *rl, const char *group, const char *user,
                      const char *account)
{
    long found = -1;
    for (size_t r = 0; r < rl->nrows; r++) {
        if (strcmp(table_get(rl, r, "group_id"), group) == 0 &&
            strcmp(table_get(rl, r, "user_id"), user) == 0 &&
            strcmp(table_get(rl, r, "integrated_account_id"), account) == 0) {
            if (found >= 0) {
                fail_msg("%s/%s on %s is in the retry log twice", group, user, account);
            }
            found = (long)r;
        }
    }
    return found;
}

/* ---- 1, 2: an account that stops ---------------------------------------------- */

#define STOP_ROWS 20 /* rows per account */
#define STOP_CONCURRENCY 2

/* Runs 20 rows of acct-ok and 20 of the stopped account, interleaved, against a
 * mock started with mock_flag for that account, and checks that only it stopped. */
static void run_stopped_account(struct it_ctx *c, const char *mock_flag, const char *stopped,
                                int status, const char *reason)
{
    const char *ok = "acct-ok";
    struct input *in = input_new(c);
    for (size_t i = 0; i < STOP_ROWS; i++) {
        input_add(in, it_fmt(c, "g-ok-%zu", i), it_fmt(c, "u-ok-%zu", i), ok);
        input_add(in, it_fmt(c, "g-st-%zu", i), it_fmt(c, "u-st-%zu", i), stopped);
    }
    const char *path = input_write(c, in, "in.csv");

    it_mock_start(c, mock_flag, stopped, NULL);
    int rc = it_grouprm(c, path, "-c", it_fmt(c, "%d", STOP_CONCURRENCY), "--account-rate", "0",
                        "--token-rate", "0", NULL);
    /* Exit 0 needs every row removed or not_found; 3 is only for a refused token
     * or the circuit breaker: unfinished rows of one account make it 1. */
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    /* The server: every acct-ok pair once, answered 200. For the stopped account,
     * only what was in flight when its first refusal came back: that one and at
     * most concurrency - 1 others, all refused; nothing sent afterwards. */
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_account(j, ok), STOP_ROWS);
    for (size_t i = 0; i < STOP_ROWS; i++) {
        const char *g = it_fmt(c, "g-ok-%zu", i), *u = it_fmt(c, "u-ok-%zu", i);
        const struct jrow **v;
        size_t n = journal_pair(c, j, ok, g, u, &v);
        if (n != 1 || v[0]->status != 200) {
            fail_msg("%s/%s on %s: %zu requests, first answered %d; want one 200", g, u, ok, n,
                     n ? v[0]->status : 0);
        }
    }
    const struct jrow **sv;
    size_t sent = journal_of(c, j, stopped, &sv);
    if (sent < 1 || sent > STOP_CONCURRENCY) {
        fail_msg("%zu requests reached the server for %s, want 1 to %d (those in flight)", sent,
                 stopped, STOP_CONCURRENCY);
    }
    for (size_t k = 0; k < sent; k++) {
        if (sv[k]->status != status) {
            fail_msg("%s: request for %s answered %d, want %d", stopped, sv[k]->user,
                     sv[k]->status, status);
        }
    }
    assert_int_equal(j->n, STOP_ROWS + sent);

    /* The results: one line per row; acct-ok removed, the stopped account not_attempted. */
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 2 * STOP_ROWS);
    for (size_t i = 0; i < input_len(in); i++) {
        int is_ok = strcmp(input_account(in, i), ok) == 0;
        expect_result_row(t, in, i, is_ok ? "removed" : "not_attempted");
    }

    /* The retry log: exactly the stopped account's rows, each with the reason. */
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, STOP_ROWS);
    for (size_t i = 0; i < STOP_ROWS; i++) {
        const char *g = it_fmt(c, "g-st-%zu", i), *u = it_fmt(c, "u-st-%zu", i);
        long r = retry_row(rl, g, u, stopped);
        if (r < 0) {
            fail_msg("%s/%s on %s is not in the retry log", g, u, stopped);
        }
        assert_string_equal(table_get(rl, (size_t)r, "reason"), reason);
    }

    if (strstr(c->err, stopped) == NULL) {
        fail_msg("stderr does not name the account %s:\n%s", stopped, c->err);
    }
    const char *summary = it_fmt(c, "grouprm: %d rows: %d removed, 0 not_found, 0 failed, "
                                    "0 invalid, %d not_attempted in ",
                                 2 * STOP_ROWS, STOP_ROWS, STOP_ROWS);
    if (strstr(c->err, summary) == NULL) {
        fail_msg("no summary line \"%s...\":\n%s", summary, c->err);
    }
}

static void test_blocked_account_stops_alone(void **state)
{
    run_stopped_account(*state, "--blocked-account", "acct-blocked", 503, "account_blocked");
}

static void test_reauth_account_stops_alone(void **state)
{
    run_stopped_account(*state, "--reauth-account", "acct-reauth", 401, "account_reauth");
}

/* ---- 3: a pause is per account ------------------------------------------------- */

static void test_pause_is_per_account(void **state)
{
    struct it_ctx *c = *state;
    const char *acct[2] = {"acct-p1", "acct-p2"};
    struct input *in = input_new(c);
    for (size_t i = 0; i < 10; i++) {
        input_add(in, it_fmt(c, "g1-%zu", i), it_fmt(c, "u1-%zu", i), acct[0]);
        /* acct-p2's third row gets one injected 429 (Retry-After: 1) early on,
         * so the two accounts are out of step: acct-p2 comes back from its pause
         * while acct-p1 is paused by the server's window, and the other way round.
         * In lockstep each would be paused whenever the other is, and the
         * isolation could not be seen. Not the first row: the first requests
         * open connections, and their answers can come back after the next paced
         * send of the account has started. */
        input_add(in, it_fmt(c, "g2-%zu", i),
                  i == 2 ? "flaky-429-1-third" : it_fmt(c, "u2-%zu", i), acct[1]);
    }
    const char *path = input_write(c, in, "in.csv");

    /* Without ratelimit-* headers grouprm learns the limit only from 429s. */
    it_mock_start(c, "--account-limit", "5/1s", "--no-rate-headers", NULL);
    int rc = it_grouprm(c, path, "--account-rate", "50/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t window_429s = 0;
    for (size_t a = 0; a < 2; a++) {
        const char *other = acct[1 - a];
        /* The account's first 429 as grouprm saw it: the first one answered. */
        const struct jrow *first = NULL;
        for (size_t i = 0; i < j->n; i++) {
            const struct jrow *r = &j->rows[i];
            if (r->status == 429 && strcmp(r->account, acct[a]) == 0) {
                int from_window = strncmp(r->user, "flaky-", 6) != 0;
                window_429s += from_window;
                /* An injected one-off 429 is an overshoot, not a spent window:
                 * only its row waits (checked below). */
                if (first == NULL && from_window) {
                    first = r;
                }
            }
        }
        if (first == NULL) {
            fail_msg("%s never got a 429: the test did not exercise a pause", acct[a]);
        }
        double t429 = first->t_ms;
        /* Requests that arrived before that answer was written were in flight
         * when grouprm read it. The journal is in answer order, so the latest
         * arrival among lines up to it is a lower bound for the answer's time.
         * The account's own next send comes 20 ms (50/1s, paced) after the one
         * refused, far longer than an answer takes on a warm connection, so no
         * request of the account is in flight beyond these. */
        double answered = 0;
        for (size_t i = 0; i < j->n && j->rows[i].seq <= first->seq; i++) {
            if (j->rows[i].t_ms > answered) {
                answered = j->rows[i].t_ms;
            }
        }
        /* A first 429 after accepted sends is an overshoot: the rate is cut
         * and the refused row waits its Retry-After, and at most one more send
         * of the account (at the cut rate) may find the window spent. That
         * one's 429, with nothing accepted since, pauses the whole account for
         * its Retry-After. So: at most one send of the account within the
         * second after its first 429, refused, and none within the second
         * after that one. */
        const struct jrow **v;
        size_t n = journal_of(c, j, acct[a], &v);
        const struct jrow *probe = NULL;
        for (size_t k = 0; k < n; k++) {
            if (v[k] == first || v[k]->t_ms <= t429 || v[k]->t_ms <= answered ||
                strncmp(v[k]->user, "flaky-", 6) == 0) {
                continue;
            }
            double since = probe ? probe->t_ms : t429;
            if (v[k]->t_ms >= since + 1000.0 - TOL_MS) {
                continue;
            }
            if (probe == NULL && v[k]->status == 429) {
                probe = v[k];
                continue;
            }
            fail_msg("%s: %s/%s arrived at %.1f ms, %.1f ms after the account's %s 429 "
                     "(Retry-After: 1, %s/%s at %.1f ms, answered after %.1f ms)",
                     acct[a], v[k]->group, v[k]->user, v[k]->t_ms, v[k]->t_ms - since,
                     probe ? "second" : "first", first->group, first->user, t429, answered);
        }
        /* Meanwhile the other account, whose own window has room, carries on. */
        const struct jrow **w;
        size_t m = journal_of(c, j, other, &w);
        size_t during = 0;
        for (size_t k = 0; k < m; k++) {
            during += w[k]->t_ms > t429 && w[k]->t_ms < t429 + 1000.0;
        }
        if (during == 0) {
            fail_msg("%s sent nothing during %s's pause (%.1f to %.1f ms)", other, acct[a],
                     t429, t429 + 1000.0);
        }
    }
    if (window_429s == 0) {
        fail_msg("no 429 from the server's window: the test did not exercise it");
    }
    /* The injected 429's row itself waits its Retry-After. */
    const struct jrow **f;
    size_t nf = journal_pair(c, j, acct[1], "g2-2", "flaky-429-1-third", &f);
    assert_true(nf >= 2);
    assert_int_equal(f[0]->status, 429);
    if (f[1]->t_ms - f[0]->t_ms < 1000.0 - TOL_MS) {
        fail_msg("g2-2 retried %.1f ms after its 429 with Retry-After: 1",
                 f[1]->t_ms - f[0]->t_ms);
    }

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 20);
    for (size_t i = 0; i < input_len(in); i++) {
        expect_result_row(t, in, i, "removed");
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    assert_int_equal(journal_count_status(j, 200), 20);
}

/* ---- 4: a file sorted by account ----------------------------------------------- */

#define SORTED_ACCOUNTS 4

/* Runs SORTED_ACCOUNTS x per rows, sorted by account, with the server's limit and
 * grouprm's both at limit/1s per account. Round-robin finishes in about
 * per / limit seconds; one account after another would take SORTED_ACCOUNTS
 * times that. Asserts every account starts within the first 500 ms and the last
 * request comes within max_span_ms of the first. */
static void run_sorted(struct it_ctx *c, size_t per, int limit, double max_span_ms)
{
    const char *acct[SORTED_ACCOUNTS] = {"acct-s1", "acct-s2", "acct-s3", "acct-s4"};
    struct input *in = input_new(c);
    for (size_t a = 0; a < SORTED_ACCOUNTS; a++) {
        for (size_t i = 0; i < per; i++) {
            input_add(in, it_fmt(c, "g%zu-%zu", a, i), it_fmt(c, "u%zu-%zu", a, i), acct[a]);
        }
    }
    const char *path = input_write(c, in, "in.csv");
    const char *rate = it_fmt(c, "%d/1s", limit);

    it_mock_start(c, "--account-limit", rate, NULL);
    int rc = it_grouprm(c, path, "--account-rate", rate, "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t n429 = journal_count_status(j, 429);
    if (n429 != 0) {
        fail_msg("the server answered 429 %zu times", n429);
    }
    assert_int_equal(j->n, SORTED_ACCOUNTS * per);
    const struct jrow **all;
    size_t n = journal_of(c, j, NULL, &all);
    double start = all[0]->t_ms, end = all[n - 1]->t_ms;
    for (size_t a = 0; a < SORTED_ACCOUNTS; a++) {
        const struct jrow **v;
        size_t m = journal_of(c, j, acct[a], &v);
        assert_int_equal(m, per);
        if (v[0]->t_ms - start > 500.0) {
            fail_msg("%s's first request came %.1f ms after the run's first: accounts are "
                     "served one after another",
                     acct[a], v[0]->t_ms - start);
        }
    }
    if (end - start >= max_span_ms) {
        fail_msg("%zu rows over %d accounts at %s each took %.0f ms, want under %.0f",
                 SORTED_ACCOUNTS * per, SORTED_ACCOUNTS, rate, end - start, max_span_ms);
    }

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, SORTED_ACCOUNTS * per);
    for (size_t i = 0; i < input_len(in); i++) {
        expect_result_row(t, in, i, "removed");
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_sorted_file_is_served_round_robin(void **state)
{
    /* About 3 s side by side; about 12 s one account after another. */
    run_sorted(*state, 15, 5, 4500.0);
}

static void test_sorted_file_beyond_read_ahead(void **state)
{
    /* The same over more rows than grouprm reads ahead (256): reading the file in
     * order with a bounded read-ahead would not reach the later accounts in time.
     * About 3 s side by side; about 6 s or more otherwise. */
    run_sorted(*state, 300, 100, 4500.0);
}

/* ---- the account window from the very first send ---------------------------- */

static void test_window_holds_from_the_first_send(void **state)
{
    struct it_ctx *c = *state;
    enum { PAIRS = 6, FILLER = 100000 };
    const char *acct = "acct-w";
    /* Six rows to send, then one whose 401 (a refused token) ends the run, then
     * many more rows, so that reading the file before the first send takes a
     * while. Written directly: 100,000 rows through input_add would be slow. */
    const char *path = it_path(c, "in.csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "group_id,user_id,integrated_account_id\n");
    for (size_t i = 0; i < PAIRS; i++) {
        fprintf(f, "g-%zu,u-%zu,%s\n", i, i, acct);
    }
    fprintf(f, "g-stop,status-401-stop,%s\n", acct);
    for (size_t i = 0; i < FILLER; i++) {
        fprintf(f, "gf-%zu,uf-%zu,%s\n", i, i, acct);
    }
    assert_int_equal(fclose(f), 0);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, path, "--account-rate", "5/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, PAIRS + 1);
    const struct jrow **v;
    size_t n = journal_of(c, j, acct, &v);
    assert_int_equal(n, PAIRS + 1);
    assert_int_equal(v[n - 1]->status, 401);
    /* 5/1s: no second, from the first send on, may hold a sixth. */
    size_t most = journal_max_in_window(j, acct, 1000, TOL_MS);
    if (most > 5) {
        fail_msg("%zu sends within one sliding second, limit 5/1s; arrivals (ms): %.1f %.1f "
                 "%.1f %.1f %.1f %.1f %.1f",
                 most, v[0]->t_ms, v[1]->t_ms, v[2]->t_ms, v[3]->t_ms, v[4]->t_ms, v[5]->t_ms,
                 v[6]->t_ms);
    }
}

/* ---- 5: the circuit breaker ----------------------------------------------------- */

#define BREAKER_ROWS 400

/* Every row has exactly one results line; every row not removed is in the retry
 * log exactly once (failed or not_attempted), and no removed row is. Returns the
 * number of removed rows. */
static size_t expect_accounted(struct it_ctx *c, const struct input *in)
{
    struct csv_table *t = results_load(c, c->results);
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(t->nrows, input_len(in));
    size_t removed = 0;
    for (size_t i = 0; i < input_len(in); i++) {
        size_t r = expect_result_row(t, in, i, NULL);
        const char *st = table_get(t, r, "status");
        long in_retry = retry_row(rl, input_group(in, i), input_user(in, i), input_account(in, i));
        if (strcmp(st, "removed") == 0) {
            removed++;
            if (in_retry >= 0) {
                fail_msg("line %zu was removed and is also in the retry log", i + 2);
            }
        } else if (strcmp(st, "failed") == 0 || strcmp(st, "not_attempted") == 0) {
            if (in_retry < 0) {
                fail_msg("line %zu is %s but not in the retry log", i + 2, st);
            }
        } else {
            fail_msg("line %zu: status %s, want removed, failed or not_attempted", i + 2, st);
        }
    }
    assert_int_equal(rl->nrows, input_len(in) - removed);
    return removed;
}

static void test_circuit_breaker_stops_early(void **state)
{
    struct it_ctx *c = *state;
    const char *acct = "acct-cb";
    struct input *in = input_new(c);
    for (size_t i = 0; i < BREAKER_ROWS; i++) {
        /* Two of every three are forbidden (403, not retried). */
        const char *user = i % 3 == 2 ? it_fmt(c, "u-%zu", i) : it_fmt(c, "status-403-%zu", i);
        input_add(in, it_fmt(c, "g-%zu", i), user, acct);
    }
    const char *path = input_write(c, in, "in.csv");

    /* Default --max-failure-rate 50%, judged once 200 rows have finished. */
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, path, "-c", "4", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);
    if (strstr(c->err, "--max-failure-rate") == NULL) {
        fail_msg("stderr does not mention --max-failure-rate:\n%s", c->err);
    }
    struct journal *j = journal_load(c);
    if (j->n < 200 || j->n >= BREAKER_ROWS) {
        fail_msg("%zu requests reached the server, want 200 to %d (stopped early)", j->n,
                 BREAKER_ROWS - 1);
    }
    for (size_t i = 0; i < j->n; i++) {
        if (journal_count_pair(j, acct, j->rows[i].group, j->rows[i].user) != 1) {
            fail_msg("%s/%s was sent more than once", j->rows[i].group, j->rows[i].user);
        }
    }
    size_t removed = expect_accounted(c, in);
    assert_int_equal(removed, journal_count_status(j, 200));

    /* The same input with the breaker off runs to the end. */
    it_set_outputs(c, "results-all.csv", "retry-all.csv");
    it_mock_start(c, NULL);
    rc = it_grouprm(c, path, "-c", "4", "--account-rate", "0", "--token-rate", "0",
                    "--max-failure-rate", "100%", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    j = journal_load(c);
    assert_int_equal(j->n, BREAKER_ROWS);
    removed = expect_accounted(c, in);
    assert_int_equal(removed, BREAKER_ROWS / 3);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "failed"), BREAKER_ROWS - BREAKER_ROWS / 3);
}

/* ---- 6: idempotency keys across attempts and runs -------------------------------- */

static void test_idempotency_key_is_stable(void **state)
{
    struct it_ctx *c = *state;
    struct input *in = input_new(c);
    input_add(in, "g-1", "u-1", "acct-k1");
    input_add(in, "g-2", "u-2", "acct-k1");
    input_add(in, "g-3", "flaky-500-1-x", "acct-k1");
    input_add(in, "g-1", "u-1", "acct-k2"); /* the same pair on another account */
    input_add(in, "g-4", "u-4", "acct-k1");
    const char *path = input_write(c, in, "in.csv");

    it_mock_start(c, NULL);
    /* Run 1: one attempt each, so the flaky row fails into the retry log. */
    int rc = it_grouprm(c, path, "--max-attempts", "1", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 1);
    assert_int_equal(retry_row(rl, "g-3", "flaky-500-1-x", "acct-k1"), 0);
    /* Run 2: the retry log as the input. */
    const char *retry1 = it_strdup(c, c->retry);
    it_set_outputs(c, "results-2.csv", "retry-2.csv");
    rc = it_grouprm(c, retry1, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    /* Run 3: the original input again, answered from the server's cache. */
    it_set_outputs(c, "results-3.csv", "retry-3.csv");
    rc = it_grouprm(c, path, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    /* 5 + 1 + 5 requests: the flaky pair three times (500, 200, replay). */
    assert_int_equal(j->n, 11);
    const char *keys[5];
    for (size_t i = 0; i < input_len(in); i++) {
        const struct jrow **v;
        size_t n = journal_pair(c, j, input_account(in, i), input_group(in, i),
                                input_user(in, i), &v);
        size_t want = strncmp(input_user(in, i), "flaky-", 6) == 0 ? 3 : 2;
        if (n != want) {
            fail_msg("%s/%s on %s: %zu requests, want %zu", input_group(in, i), input_user(in, i),
                     input_account(in, i), n, want);
        }
        for (size_t k = 0; k < n; k++) {
            if (!is_lower_hex64(v[k]->key)) {
                fail_msg("Idempotency-Key \"%s\" is not 64 lowercase hex characters", v[k]->key);
            }
            if (strcmp(v[k]->key, v[0]->key) != 0) {
                fail_msg("%s/%s on %s: request %zu has key %s, request 1 had %s",
                         input_group(in, i), input_user(in, i), input_account(in, i), k + 1,
                         v[k]->key, v[0]->key);
            }
        }
        /* The last request (run 3) was a replay of a stored 200. */
        assert_int_equal(v[n - 1]->replay, 1);
        assert_int_equal(v[n - 1]->status, 200);
        keys[i] = v[0]->key;
    }
    /* Different (account, group, user) triples never share a key. */
    for (size_t a = 0; a < 5; a++) {
        for (size_t b = a + 1; b < 5; b++) {
            if (strcmp(keys[a], keys[b]) == 0) {
                fail_msg("lines %zu and %zu share the Idempotency-Key %s", a + 2, b + 2, keys[a]);
            }
        }
    }
    struct csv_table *t = results_load(c, c->results);
    for (size_t i = 0; i < input_len(in); i++) {
        expect_result_row(t, in, i, "removed");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocked_account_stops_alone, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_reauth_account_stops_alone, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_pause_is_per_account, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sorted_file_is_served_round_robin, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_sorted_file_beyond_read_ahead, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_window_holds_from_the_first_send, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_circuit_breaker_stops_early, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_key_is_stable, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
