/* it_badtoken.c: a token the server rejects stops the whole run.
 *
 * With a wrong token, 200 rows and 4 requests in flight, grouprm must stop at the
 * first 401: at most 4 requests reach the server (all 401, auth "bad"), the exit
 * status is 3, every input row appears once in the results (not_attempted, or
 * failed with 401 for a row whose request was answered) and once in the retry
 * log. Fed back with the right token, that retry log removes all 200 pairs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

enum { N = 200, CONC = 4 };

static void test_bad_token_aborts(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, N, "acct-tok");
    it_set_token(c, "wrong-token");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-c", "4", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    if (j->n < 1 || j->n > CONC) {
        fail_msg("%zu requests reached the server, want 1..%d", j->n, CONC);
    }
    for (size_t i = 0; i < j->n; i++) {
        assert_int_equal(j->rows[i].status, 401);
        assert_string_equal(j->rows[i].auth, "bad");
        assert_string_equal(j->rows[i].account, "acct-tok");
    }

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, N);
    size_t failed = 0, not_attempted = 0;
    for (long line = 2; line <= N + 1; line++) {
        size_t r = results_row_for_line(t, line);
        const char *g = table_get(t, r, "group_id");
        const char *u = table_get(t, r, "user_id");
        assert_string_equal(g, it_fmt(c, "g%ld", line - 2));
        assert_string_equal(u, it_fmt(c, "u%ld", line - 2));
        const char *st = table_get(t, r, "status");
        size_t sent = journal_count_pair(j, "acct-tok", g, u);
        if (strcmp(st, "not_attempted") == 0) {
            not_attempted++;
        } else if (strcmp(st, "failed") == 0 && sent == 1) {
            assert_string_equal(table_get(t, r, "http_status"), "401");
            failed++;
        } else {
            fail_msg("line %ld: status %s (sent %zu times)", line, st, sent);
        }
    }
    assert_int_equal(failed + not_attempted, N);

    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, N);
    for (size_t i = 0; i < N; i++) {
        long r = table_find2(rl, "group_id", it_fmt(c, "g%zu", i), "user_id", it_fmt(c, "u%zu", i));
        if (r < 0) {
            fail_msg("pair g%zu/u%zu is missing from the retry log", i, i);
        }
        assert_string_equal(table_get(rl, (size_t)r, "integrated_account_id"), "acct-tok");
    }
    const char *summary = it_fmt(c,
                                 "grouprm: %d rows: 0 removed, 0 not_found, %zu failed, 0 invalid, "
                                 "%zu not_attempted in ",
                                 N, failed, not_attempted);
    if (strstr(c->err, summary) == NULL) {
        fail_msg("no summary line \"%s\" on stderr:\n%s", summary, c->err);
    }

    /* The retry log is the next run's input. */
    const char *retry_copy = it_path(c, "retry-in.csv");
    it_write_file(retry_copy, it_read_file(c, c->retry, NULL));
    it_set_token(c, IT_TOKEN_DEFAULT);
    it_set_outputs(c, "results2.csv", "retry2.csv");
    it_mock_start(c, NULL);
    rc = it_grouprm(c, retry_copy, "-c", "4", "--account-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j2 = journal_load(c);
    assert_int_equal(j2->n, N);
    assert_int_equal(journal_count_status(j2, 200), N);
    struct csv_table *t2 = results_load(c, c->results);
    assert_int_equal(table_count(t2, "status", "removed"), N);
}

static void test_bad_token_serial_sends_one(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 30, "acct-tok");

    /* The mock expects another token; with one request in flight only one is sent. */
    it_mock_start(c, "--token", "the-real-token", NULL);
    int rc = it_grouprm(c, in, "-c", "1", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 1);
    assert_int_equal(j->rows[0].status, 401);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 30);
    assert_true(table_count(t, "status", "not_attempted") >= 29);
    assert_int_equal(retry_load(c, c->retry)->nrows, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_token_aborts, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bad_token_serial_sends_one, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
