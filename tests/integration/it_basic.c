/* it_basic.c: the ordinary run, end to end.
 *
 * 25 rows over two integrated accounts (one from -a, one from each row's own
 * integrated_account_id column) must all be removed: one results line per input
 * row with its line number, an empty retry log, exit 0, and in the mock's journal
 * each pair exactly once as a well-formed request (POST to the remove path, the
 * right account in the query, a grouprm/ User-Agent, a 64-hex Idempotency-Key
 * distinct per pair, a good token). Also: account ids that need percent-encoding
 * arrive intact, output directories are created, -q silences stderr, and an input
 * without an account column works with -a. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

#define REMOVE_PATH "/unified/user-directory/groups/remove"
#define UA_PREFIX "grouprm/" GROUPRM_VERSION

static void check_request(const struct jrow *r, const char *account)
{
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, REMOVE_PATH);
    assert_string_equal(r->account, account);
    if (strncmp(r->ua, UA_PREFIX, strlen(UA_PREFIX)) != 0) {
        fail_msg("User-Agent \"%s\" does not start with \"%s\"", r->ua, UA_PREFIX);
    }
    if (!is_hex64(r->key)) {
        fail_msg("Idempotency-Key \"%s\" is not 64 hex characters", r->key);
    }
    assert_string_equal(r->auth, "ok");
    assert_int_equal(r->replay, 0);
}

/* Every results row for a removed pair, looked up by its input line. The
 * results name the account the request went to: for a row whose own column was
 * empty, the -a account it took, never the empty cell. */
static void check_removed(const struct csv_table *t, long line, const char *group,
                          const char *user, const char *account)
{
    size_t r = results_row_for_line(t, line);
    assert_string_equal(table_get(t, r, "group_id"), group);
    assert_string_equal(table_get(t, r, "user_id"), user);
    const char *acct = table_get(t, r, "integrated_account_id");
    if (strcmp(acct, account) != 0) {
        fail_msg("line %ld: integrated_account_id \"%s\", want \"%s\"", line, acct, account);
    }
    assert_string_equal(table_get(t, r, "status"), "removed");
    assert_string_equal(table_get(t, r, "http_status"), "200");
    assert_string_equal(table_get(t, r, "attempts"), "1");
    assert_string_equal(table_get(t, r, "error"), "");
}

static void test_two_accounts_all_removed(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 25, SPLIT = 13 };
    const char *cells[(N + 1) * 3] = {"group_id", "user_id", "integrated_account_id"};
    for (size_t i = 0; i < N; i++) {
        /* Rows from SPLIT on repeat earlier group/user pairs on the other account. */
        cells[(i + 1) * 3 + 0] = it_fmt(c, "grp-%zu", i % SPLIT);
        cells[(i + 1) * 3 + 1] = it_fmt(c, "usr-%zu", i % SPLIT);
        cells[(i + 1) * 3 + 2] = i < SPLIT ? "" : "acct-B";
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, N + 1);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acct-A", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, N);
    const char *keys[N];
    for (size_t i = 0; i < N; i++) {
        const char *acct = i < SPLIT ? "acct-A" : "acct-B";
        const struct jrow **v;
        size_t n = journal_pair(c, j, acct, cells[(i + 1) * 3], cells[(i + 1) * 3 + 1], &v);
        if (n != 1) {
            fail_msg("pair %s/%s/%s sent %zu times, want 1", acct, cells[(i + 1) * 3],
                     cells[(i + 1) * 3 + 1], n);
        }
        check_request(v[0], acct);
        assert_int_equal(v[0]->status, 200);
        keys[i] = v[0]->key;
    }
    for (size_t a = 0; a < N; a++) {
        for (size_t b = a + 1; b < N; b++) {
            if (strcmp(keys[a], keys[b]) == 0) {
                fail_msg("rows %zu and %zu share the Idempotency-Key %s", a + 2, b + 2, keys[a]);
            }
        }
    }

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, N);
    for (size_t i = 0; i < N; i++) {
        check_removed(t, (long)i + 2, cells[(i + 1) * 3], cells[(i + 1) * 3 + 1],
                      i < SPLIT ? "acct-A" : "acct-B");
    }
    struct csv_table *rl = retry_load(c, c->retry);
    assert_int_equal(rl->nrows, 0);
    if (strstr(c->err, "grouprm: 25 rows: 25 removed, 0 not_found, 0 failed, 0 invalid, "
                       "0 not_attempted in ") == NULL) {
        fail_msg("no summary line for 25 removed rows on stderr:\n%s", c->err);
    }
}

static void test_account_ids_are_encoded(void **state)
{
    struct it_ctx *c = *state;
    const char *flag_acct = "acct B/&=?+%\xc3\xbc#x";
    const char *col_acct = "x%2Fy;,\"q\"";
    const char *cells[] = {
        "group_id", "user_id", "integrated_account_id",
        "g1",       "u1",      "",
        "g2",       "u2",      col_acct,
        "g3",       "u3",      "",
    };
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, 4);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--account", flag_acct, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_pair(j, flag_acct, "g1", "u1"), 1);
    assert_int_equal(journal_count_pair(j, col_acct, "g2", "u2"), 1);
    assert_int_equal(journal_count_pair(j, flag_acct, "g3", "u3"), 1);
    assert_int_equal(journal_count_status(j, 200), 3);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), 3);
    assert_string_equal(table_get(t, results_row_for_line(t, 3), "integrated_account_id"),
                        col_acct);
}

static void test_output_directories_created(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acct-1");
    it_set_outputs(c, "deep/a/results.csv", "deeper/b/c/retry.csv");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    assert_true(file_exists(it_path(c, "deep/a/results.csv")));
    assert_true(file_exists(it_path(c, "deeper/b/c/retry.csv")));
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), 3);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    assert_int_equal(journal_load(c)->n, 3);
}

static void test_quiet_prints_nothing(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 4, "acct-1");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-q", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    if (c->err[0] != '\0') {
        fail_msg("-q run wrote to stderr:\n%s", c->err);
    }
    assert_int_equal(results_load(c, c->results)->nrows, 4);
    assert_int_equal(journal_load(c)->n, 4);
}

static void test_account_flag_without_column(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 5, NULL);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "only-flag", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 5);
    for (size_t i = 0; i < 5; i++) {
        char g[32], u[32];
        snprintf(g, sizeof g, "g%zu", i);
        snprintf(u, sizeof u, "u%zu", i);
        assert_int_equal(journal_count_pair(j, "only-flag", g, u), 1);
    }
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), 5);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_accounts_all_removed, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_account_ids_are_encoded, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_output_directories_created, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_quiet_prints_nothing, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_account_flag_without_column, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
