/* it_headers.c: grouprm learning from the server's rate-limit headers.
 *
 * The mock can state its limit in three header styles (truto's ratelimit-*,
 * Okta's x-rate-limit-*, the IETF RateLimit/RateLimit-Policy pair), count in
 * fixed windows or leaky buckets, and answer an injected 429 with Retry-After.
 * These tests check, on the mock's journal, that:
 *  - told a limit ten times too high, grouprm adopts the limit the server
 *    states in every header style, from the first answer: no 429 at all,
 *    and once the first second is over no sliding second holds much more than
 *    the real limit;
 *  - told the right rate against a leaky bucket, its even spacing keeps 429s
 *    rare;
 *  - Retry-After wins over headers that say there is room: the refused row
 *    comes back no earlier than a second later, while another account keeps
 *    sending meanwhile.
 * The suite takes about seventeen seconds. */
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
#define TOL_MS 15.0
/* Slack allowed under Retry-After: the retry is timed from grouprm's receipt
 * of the answer, which comes after the request's arrival in the journal. */
#define RETRY_TOL_MS 5.0

/* Builds an input file row by row. */
struct rows {
    struct it_ctx *c;
    const char **cells; /* row-major, three per row, the header first */
    size_t n;           /* rows including the header */
    size_t cap;
};

static struct rows *rows_new(struct it_ctx *c, size_t cap)
{
    struct rows *r = it_own(c, calloc(1, sizeof *r), free);
    assert_non_null(r);
    r->c = c;
    r->cap = cap + 1;
    r->cells = it_own(c, calloc(r->cap * 3, sizeof *r->cells), free);
    assert_non_null(r->cells);
    r->cells[0] = "group_id";
    r->cells[1] = "user_id";
    r->cells[2] = "integrated_account_id";
    r->n = 1;
    return r;
}

static void rows_add(struct rows *r, const char *group, const char *user, const char *account)
{
    assert_true(r->n < r->cap);
    r->cells[r->n * 3] = it_strdup(r->c, group);
    r->cells[r->n * 3 + 1] = it_strdup(r->c, user);
    r->cells[r->n * 3 + 2] = it_strdup(r->c, account);
    r->n++;
}

static const char *rows_write(struct rows *r)
{
    const char *in = it_path(r->c, "in.csv");
    write_csv(in, 3, r->cells, r->n);
    return in;
}

/* n rows g<i>,u<i> on one account. */
static const char *write_one_account(struct it_ctx *c, size_t n, const char *account)
{
    struct rows *r = rows_new(c, n);
    for (size_t i = 0; i < n; i++) {
        rows_add(r, it_fmt(c, "g%zu", i), it_fmt(c, "u%zu", i), account);
    }
    return rows_write(r);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The most requests of the account (all statuses) in any half-open interval of
 * length span_ms, counting only requests that arrived at least skip_ms after
 * the account's first. */
static size_t max_in_window_after(const struct journal *j, const char *account, double skip_ms,
                                  double span_ms)
{
    double *t = malloc((j->n + 1) * sizeof *t);
    assert_non_null(t);
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (strcmp(j->rows[i].account, account) == 0) {
            t[n++] = j->rows[i].t_ms;
        }
    }
    qsort(t, n, sizeof *t, by_double);
    size_t start = 0;
    while (start < n && t[start] < t[0] + skip_ms) {
        start++;
    }
    size_t best = 0, hi = start;
    for (size_t lo = start; lo < n; lo++) {
        while (hi < n && t[hi] < t[lo] + span_ms) {
            hi++;
        }
        if (hi - lo > best) {
            best = hi - lo;
        }
    }
    free(t);
    return best;
}

/* ---- 1: every header style states the limit -------------------------------- */

/* The limit the server states in its headers is adopted from the first answer,
 * before any overshoot: no 429 at all. (Without headers grouprm would learn it
 * from a 429 or two; this bound is what proves each style is read.) */
#define STATED_MAX_429 0
/* At most this many requests in a sliding second once the first second is over
 * (the limit is 10; one more for a retry landing beside a paced send). */
#define STATED_MAX_PER_S 11

static void run_stated_limit(struct it_ctx *c, const char *style)
{
    enum { N = 40 };
    const char *acct = "acct-hdr";
    const char *in = write_one_account(c, N, acct);

    it_mock_start(c, "--account-limit", "10/1s", "--rate-headers", style, NULL);
    int rc = it_grouprm(c, in, "--account-rate", "100/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200), N);
    size_t n429 = journal_count_status(j, 429);
    if (n429 > STATED_MAX_429) {
        fail_msg("%s headers: %zu 429s (at most %d expected) in %zu requests", style, n429,
                 STATED_MAX_429, j->n);
    }
    if (j->n != N + n429) {
        fail_msg("%s headers: %zu requests for %d rows and %zu 429s", style, j->n, N, n429);
    }
    size_t most = max_in_window_after(j, acct, 1000.0, 1000.0 - TOL_MS);
    if (most > STATED_MAX_PER_S) {
        fail_msg("%s headers: %zu requests within one sliding second after the first, "
                 "server limit 10",
                 style, most);
    }
    expect_all_removed(c, N);
}

static void test_stated_limit_truto(void **state)
{
    run_stated_limit(*state, "truto");
}

static void test_stated_limit_okta(void **state)
{
    run_stated_limit(*state, "okta");
}

static void test_stated_limit_ietf(void **state)
{
    run_stated_limit(*state, "ietf");
}

/* ---- 2: a leaky bucket sees a steady stream --------------------------------- */

static void test_leaky_bucket_right_rate(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 60 };
    const char *in = write_one_account(c, N, "acct-leaky");

    /* Capacity max(1, 20 / 10) = 2: a burst of three is refused. */
    it_mock_start(c, "--limit-mode", "leaky", "--account-limit", "20/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "20/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200), N);
    size_t n429 = journal_count_status(j, 429);
    if (n429 * 10 > j->n) {
        fail_msg("%zu 429s in %zu requests against a leaky bucket at the told rate", n429,
                 j->n);
    }
    expect_all_removed(c, N);
}

/* ---- 3: Retry-After wins -------------------------------------------------------- */

static void test_retry_after_wins(void **state)
{
    struct it_ctx *c = *state;
    enum { N_A = 6, N_B = 30 };
    const char *acct_a = "acct-ra", *acct_b = "acct-rb";
    const char *flaky = "flaky-429-1-x";
    struct rows *r = rows_new(c, N_A + N_B);
    for (size_t i = 0; i < N_A; i++) {
        /* Not the first row: the first requests also open connections. */
        rows_add(r, it_fmt(c, "ga%zu", i), i == 2 ? flaky : it_fmt(c, "ua%zu", i), acct_a);
    }
    for (size_t i = 0; i < N_B; i++) {
        rows_add(r, it_fmt(c, "gb%zu", i), it_fmt(c, "ub%zu", i), acct_b);
    }
    const char *in = rows_write(r);

    /* A generous server limit: every 2xx says there is plenty of room, yet the
     * injected 429's Retry-After: 1 must hold the refused row for a second. */
    it_mock_start(c, "--account-limit", "1000/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "20/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    const struct jrow **v;
    size_t n = journal_pair(c, j, acct_a, "ga2", flaky, &v);
    assert_int_equal(n, 2);
    assert_int_equal(v[0]->status, 429);
    assert_int_equal(v[1]->status, 200);
    assert_string_equal(v[1]->key, v[0]->key);
    double first = v[0]->t_ms, second = v[1]->t_ms;
    if (second - first < 1000.0 - RETRY_TOL_MS) {
        fail_msg("%s retried %.1f ms after a 429 with Retry-After: 1", flaky, second - first);
    }

    /* The other account's rows flow during the pause: at 20/1s about twenty
     * of them fit in the second between the two attempts. */
    size_t during = 0;
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *row = &j->rows[i];
        if (strcmp(row->account, acct_b) == 0 && row->t_ms > first && row->t_ms < second) {
            during++;
        }
    }
    if (during < 10) {
        fail_msg("only %zu requests of %s between %.1f and %.1f ms", during, acct_b, first,
                 second);
    }
    assert_int_equal(journal_count_status(j, 429), 1);
    expect_all_removed(c, N_A + N_B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stated_limit_truto, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_stated_limit_okta, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_stated_limit_ietf, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_leaky_bucket_right_rate, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_wins, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
