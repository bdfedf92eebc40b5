/* it_ratelimit.c: grouprm's own rate limits, and how it treats the server's.
 *
 * When grouprm is told the server's real limit (--account-rate or --token-rate
 * equal to the mock's --account-limit / --token-limit), the server must never
 * answer 429 and no sliding interval of the window's length (less a small
 * tolerance for clock and delivery jitter) may hold more sends than the limit;
 * account limits are per account, so two accounts proceed side by side. When
 * grouprm is told a limit ten times too high and the server sends no ratelimit-*
 * headers, 429s happen, every row still ends removed, and each retry after a 429
 * waits at least its Retry-After (always one second for the mock's one-second
 * windows), as seen on the server's clock. With the headers on, grouprm takes the
 * limit they state as its rate: no sliding second holds more sends than that
 * limit, although it was told ten times as much. */
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

/* Writes n rows spread round-robin over the given accounts. */
static const char *write_spread(struct it_ctx *c, size_t n, const char *const *accounts,
                                size_t n_accounts)
{
    const char **cells = it_own(c, calloc((n + 1) * 3, sizeof *cells), free);
    assert_non_null(cells);
    cells[0] = "group_id";
    cells[1] = "user_id";
    cells[2] = "integrated_account_id";
    for (size_t i = 0; i < n; i++) {
        cells[(i + 1) * 3] = it_fmt(c, "g%zu", i);
        cells[(i + 1) * 3 + 1] = it_fmt(c, "u%zu", i);
        cells[(i + 1) * 3 + 2] = accounts[i % n_accounts];
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, n + 1);
    return in;
}

static double journal_span_ms(const struct journal *j)
{
    if (j->n == 0) {
        return 0;
    }
    double lo = j->rows[0].t_ms, hi = j->rows[0].t_ms;
    for (size_t i = 1; i < j->n; i++) {
        if (j->rows[i].t_ms < lo) {
            lo = j->rows[i].t_ms;
        }
        if (j->rows[i].t_ms > hi) {
            hi = j->rows[i].t_ms;
        }
    }
    return hi - lo;
}

static void test_account_rate_matches_server(void **state)
{
    struct it_ctx *c = *state;
    const char *acc[] = {"acct-rl"};
    const char *in = write_spread(c, 60, acc, 1);

    it_mock_start(c, "--account-limit", "20/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "20/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t n429 = journal_count_status(j, 429);
    if (n429 != 0) {
        fail_msg("the server answered 429 %zu times", n429);
    }
    assert_int_equal(j->n, 60);
    size_t most = journal_max_in_window(j, "acct-rl", 1000, TOL_MS);
    if (most > 20) {
        fail_msg("%zu sends within one sliding second, limit 20", most);
    }
    /* 60 sends at 20 per second need two seconds; a limiter that crawls fails this. */
    double span = journal_span_ms(j);
    if (span > 5000) {
        fail_msg("60 sends at 20/1s took %.0f ms", span);
    }
    expect_all_removed(c, 60);
}

static void test_account_rate_is_per_account(void **state)
{
    struct it_ctx *c = *state;
    const char *acc[] = {"acct-x", "acct-y"};
    const char *in = write_spread(c, 80, acc, 2);

    it_mock_start(c, "--account-limit", "20/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "20/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 429), 0);
    assert_int_equal(j->n, 80);
    for (size_t a = 0; a < 2; a++) {
        size_t most = journal_max_in_window(j, acc[a], 1000, TOL_MS);
        if (most > 20) {
            fail_msg("%s: %zu sends within one sliding second, limit 20", acc[a], most);
        }
    }
    /* Both accounts use their own budget at once. */
    size_t both = journal_max_in_window(j, NULL, 1000, 0);
    if (both <= 20) {
        fail_msg("at most %zu sends per second over two accounts: limits look global", both);
    }
    expect_all_removed(c, 80);
}

static void test_token_rate_matches_server(void **state)
{
    struct it_ctx *c = *state;
    const char *acc[] = {"acct-1", "acct-2", "acct-3"};
    const char *in = write_spread(c, 90, acc, 3);

    it_mock_start(c, "--token-limit", "30/1s", NULL);
    int rc = it_grouprm(c, in, "--token-rate", "30/1s", "--account-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t n429 = journal_count_status(j, 429);
    if (n429 != 0) {
        fail_msg("the server answered 429 %zu times", n429);
    }
    assert_int_equal(j->n, 90);
    size_t most = journal_max_in_window(j, NULL, 1000, TOL_MS);
    if (most > 30) {
        fail_msg("%zu sends within one sliding second, token limit 30", most);
    }
    double span = journal_span_ms(j);
    if (span > 6000) {
        fail_msg("90 sends at 30/1s took %.0f ms", span);
    }
    expect_all_removed(c, 90);
}

/* Every pair ends removed, and each retry after a 429 comes at least a second
 * (the mock's Retry-After for one-second windows) after it, on the server's clock.
 * Returns the number of 429s. */
static size_t check_429_retries(struct it_ctx *c, const struct journal *j, size_t n_rows,
                                const char *account)
{
    for (size_t i = 0; i < n_rows; i++) {
        const char *g = it_fmt(c, "g%zu", i), *u = it_fmt(c, "u%zu", i);
        const struct jrow **v;
        size_t n = journal_pair(c, j, account, g, u, &v);
        assert_true(n >= 1);
        assert_int_equal(v[n - 1]->status, 200);
        for (size_t k = 0; k + 1 < n; k++) {
            assert_int_equal(v[k]->status, 429);
            double gap = v[k + 1]->t_ms - v[k]->t_ms;
            if (gap < 1000.0 - TOL_MS) {
                fail_msg("%s/%s retried %.1f ms after a 429 with Retry-After: 1", g, u, gap);
            }
            assert_string_equal(v[k + 1]->key, v[k]->key);
        }
    }
    assert_int_equal(journal_count_status(j, 200), n_rows);
    return journal_count_status(j, 429);
}

static void test_server_limit_lower_than_told(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 30 };
    const char *acc[] = {"acct-low"};
    const char *in = write_spread(c, N, acc, 1);

    /* Without ratelimit-* headers grouprm cannot know the real limit in advance. */
    it_mock_start(c, "--account-limit", "10/1s", "--no-rate-headers", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "100/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t n429 = check_429_retries(c, j, N, "acct-low");
    if (n429 == 0) {
        fail_msg("no 429 at all: the test did not exercise the server's limit");
    }
    expect_all_removed(c, N);
    if (strstr(c->err, it_fmt(c, ", %zu 429s", n429)) == NULL) {
        fail_msg("the summary does not count %zu 429s:\n%s", n429, c->err);
    }
}

/* With the ratelimit-* headers on, the first answer states the real limit
 * (10 per second) and grouprm takes it as its rate, counting what it has
 * already sent: the server's limit is reached, yet no sliding second holds more
 * than the stated 10 sends, where the told 100/1s would send all 30 within a
 * third of a second and the run without headers sends 12 in its first second.
 * Any 429 that still comes (one sent before the first answer was back) is
 * retried no sooner than its Retry-After. */
static void test_server_limit_with_rate_headers(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 30, LIMIT = 10 };
    const char *acc[] = {"acct-hdr"};
    const char *in = write_spread(c, N, acc, 1);

    it_mock_start(c, "--account-limit", "10/1s", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "100/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    size_t n429 = check_429_retries(c, j, N, "acct-hdr");
    size_t most = journal_max_in_window(j, "acct-hdr", 1000, TOL_MS);
    if (most > LIMIT) {
        fail_msg("%zu sends within one sliding second after the server stated %d: "
                 "the ratelimit-* headers were not honoured (%zu 429s)",
                 most, LIMIT, n429);
    }
    expect_all_removed(c, N);
    if (strstr(c->err, it_fmt(c, ", %zu 429s", n429)) == NULL) {
        fail_msg("the summary does not count %zu 429s:\n%s", n429, c->err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_rate_matches_server, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_account_rate_is_per_account, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_token_rate_matches_server, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_server_limit_lower_than_told, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_server_limit_with_rate_headers, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
