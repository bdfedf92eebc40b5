/* it_pacing.c: the pacing controller against the local server's other kinds
 * of limit, judged on the server's journal.
 *
 *  - told nothing (--account-rate 0, and auto) against a token bucket with a
 *    burst: the first 429 starts a learned rate, so 0 is no 429 storm;
 *  - a Retry-After stamped on every answer, successes included, is no reason
 *    to pause: the sends keep their pace;
 *  - --account-concurrency is a hard cap on requests in flight, as the server
 *    counts them;
 *  - a server that caps requests in flight and refuses over the cap, told
 *    nothing: the refusals stay few, as the in-flight cap comes down;
 *  - many accounts under a token-wide limit, told nothing: the token's pacer
 *    learns it once for all of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

static const char *write_one(struct it_ctx *c, size_t n, const char *account)
{
    const char *in = it_path(c, "in.csv");
    write_pairs(in, n, account);
    return in;
}

/* After a run of n rows against the stopped mock: every row removed, and at
 * most max_pct percent of the requests answered 429. Returns the 429s. */
static size_t expect_removed_with_429s(struct it_ctx *c, size_t n, unsigned max_pct,
                                       const char *what)
{
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200), n);
    size_t n429 = journal_count_status(j, 429);
    if (n429 * 100 > j->n * max_pct)
        fail_msg("%s: %zu 429s in %zu requests", what, n429, j->n);
    expect_all_removed(c, n);
    return n429;
}

static int max_inflight(const struct journal *j)
{
    int most = 0;
    for (size_t i = 0; i < j->n; i++)
        if (j->rows[i].inflight > most)
            most = j->rows[i].inflight;
    return most;
}

/* Told nothing, against a bucket of 40/s with a burst of 8: every row removed,
 * few 429s, and never more than the bucket allows (checked by the server). */
static void run_told_nothing(struct it_ctx *c, const char *told)
{
    enum { N = 200 };
    const char *in = write_one(c, N, "acct-learn");
    it_mock_start(c, "--limit-mode", "bucket", "--burst", "8", "--account-limit", "40/1s",
                  "--no-rate-headers", NULL);
    int rc = it_grouprm(c, in, "--account-rate", told, "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    /* The old limiter, told nothing, sent 59% to 81% of its requests into
     * 429s; the first refused burst here is at most a dozen. */
    const char *what = it_fmt(c, "--account-rate %s", told);
    if (expect_removed_with_429s(c, N, 15, what) == 0)
        fail_msg("%s: no 429 at all: the test did not reach the limit", what);
}

static void test_told_nothing_learns(void **state)
{
    run_told_nothing(*state, "0");
}

static void test_told_auto_learns(void **state)
{
    run_told_nothing(*state, "auto");
}

/* Retry-After: 1 on every answer, 2xx too: told the right rate, the sends stay
 * paced at it, with no pause of a second after each success. */
static void test_retry_after_on_success_ignored(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 60 };
    const char *in = write_one(c, N, "acct-ra");
    it_mock_start(c, "--account-limit", "20/1s", "--retry-after-always", "1", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "20/1s", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 429), 0);
    assert_int_equal(j->n, N);
    /* 20 a second, paced: a pause of a second after a success would show as a
     * sliding second with far fewer sends than 20 once the run is going. */
    size_t quiet = 0;
    for (size_t i = 1; i < j->n; i++)
        if (j->rows[i].t_ms - j->rows[i - 1].t_ms > 500.0)
            quiet++;
    if (quiet)
        fail_msg("%zu gaps of over half a second between sends at 20/1s", quiet);
    expect_all_removed(c, N);
}

/* --account-concurrency 3: never more than 3 of the account's requests in
 * progress at the server, even with the rate allowing far more. */
static void test_account_concurrency_is_a_cap(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 40 };
    const char *in = write_one(c, N, "acct-conc");
    it_mock_start(c, "--latency", "60", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0",
                        "--account-concurrency", "3", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200), N);
    int most = max_inflight(j);
    if (most > 3)
        fail_msg("%d requests in progress at once with --account-concurrency 3", most);
    if (most < 2)
        fail_msg("at most %d in progress: the cap was never approached", most);
    expect_all_removed(c, N);
}

/* A server that refuses over 6 in flight (no Retry-After, as Okta does), told
 * nothing of it: the in-flight cap comes down to it. */
static void test_server_concurrency_cap_learned(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 240 };
    const char *in = write_one(c, N, "acct-okta");
    it_mock_start(c, "--account-concurrency", "6", "--latency", "80", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    expect_removed_with_429s(c, N, 20, "against a cap of 6 in flight");
}

/* Twelve accounts under a token-wide bucket of 40/s (each account's own limit
 * is 20/s, so the token binds), told nothing, at a 100 ms latency: the token's
 * pacer learns the limit once, for all of them. Each account learning it on
 * its own sent 61% of its requests into 429s here. */
static void test_token_limit_learned_once(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 240, ACCOUNTS = 12 };
    const char *in = it_path(c, "in.csv");
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "group_id,user_id,integrated_account_id\n");
    for (int i = 0; i < N; i++)
        fprintf(f, "g%03d,u%05d,acct-%02d\n", i % 17, i, i % ACCOUNTS);
    assert_int_equal(fclose(f), 0);
    it_mock_start(c, "--limit-mode", "bucket", "--burst", "4", "--account-limit", "20/1s",
                  "--token-limit", "40/1s", "--latency", "100", "--no-rate-headers", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    expect_removed_with_429s(c, N, 20, "12 accounts under a token limit, told nothing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_told_nothing_learns, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_told_auto_learns, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_on_success_ignored, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_account_concurrency_is_a_cap, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_server_concurrency_cap_learned, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_token_limit_learned_once, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
