/* it_secrets.c: the API token, and the other ways to feed grouprm.
 *
 * A distinctive token must never appear in anything grouprm writes: the results,
 * the retry log, stdout or stderr, even with -v (one line per request) and with
 * failures and retries in the run. --token-file supplies the token instead of
 * TRUTO_API_TOKEN (and wins over it); "-" reads the input from stdin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

#define SECRET "tok-S3cr3t-7f1d09c2e4b8a6f0-do-not-leak"

static void expect_no_secret(struct it_ctx *c)
{
    const char *files[] = {c->results, c->retry, c->out_path, c->err_path};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!file_exists(files[i])) {
            fail_msg("%s was not written", files[i]);
        }
        if (file_contains(files[i], SECRET)) {
            fail_msg("the token appears in %s", files[i]);
        }
        /* A long piece of it is as bad as all of it. */
        if (file_contains(files[i], "7f1d09c2e4b8a6f0")) {
            fail_msg("part of the token appears in %s", files[i]);
        }
    }
}

static void test_verbose_never_prints_token(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id,integrated_account_id\n"
                      "g1,u1,acc\n"
                      "g2,status-403-x,acc\n"
                      "g3,flaky-500-1-x,acc\n"
                      "g4,u4,acc\n");
    it_set_token(c, SECRET);

    it_mock_start(c, "--token", SECRET, NULL);
    int rc = it_grouprm(c, in, "-v", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 5);
    for (size_t i = 0; i < j->n; i++) {
        assert_string_equal(j->rows[i].auth, "ok");
    }
    /* -v: a line per request, so at least as many lines as requests. */
    size_t lines = count_lines_with(c->err, "");
    if (lines < j->n) {
        fail_msg("-v printed %zu lines for %zu requests:\n%s", lines, j->n, c->err);
    }
    expect_no_secret(c);
}

static void test_bad_secret_not_printed(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 5, "acc");
    it_set_token(c, SECRET);

    /* The server wants another token, so the run aborts with a token error. */
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-v", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);
    expect_no_secret(c);
}

static void test_token_file(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acc");
    const char *tf = it_path(c, "token");
    it_write_file(tf, SECRET);
    it_set_token(c, NULL);

    it_mock_start(c, "--token", SECRET, NULL);
    int rc = it_grouprm(c, in, "--token-file", tf, "-v", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_status(j, 200), 3);
    expect_no_secret(c);
}

static void test_token_file_with_newline_wins_over_env(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acc");
    const char *tf = it_path(c, "token");
    it_write_file(tf, SECRET "\n");
    it_set_token(c, "env-token-is-wrong");

    it_mock_start(c, "--token", SECRET, NULL);
    int rc = it_grouprm(c, in, "--token-file", tf, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_status(j, 200), 3);
    expect_no_secret(c);
}

/* The systemd credential: $CREDENTIALS_DIRECTORY/truto-token, used when
 * neither --token-file nor TRUTO_API_TOKEN is given, and only then. */
static void test_systemd_credential(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acc");
    const char *creds = it_path(c, "creds");
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", creds);
    assert_int_equal(system(cmd), 0);
    it_write_file(it_path(c, "creds/truto-token"), SECRET "\n");
    it_add_env(c, it_fmt(c, "CREDENTIALS_DIRECTORY=%s", creds));
    it_set_token(c, NULL);

    it_mock_start(c, "--token", SECRET, NULL);
    int rc = it_grouprm(c, in, "-v", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    expect_no_secret(c);
    /* TRUTO_API_TOKEN comes first: a wrong one is used, and refused. */
    it_set_token(c, "env-token-is-wrong");
    rc = it_grouprm(c, in, "--overwrite", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    /* And --token-file before both. */
    const char *tf = it_path(c, "token");
    it_write_file(tf, SECRET);
    rc = it_grouprm(c, in, "--token-file", tf, "--overwrite", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200) + journal_count_status(j, 404), 6);
    assert_true(journal_count_status(j, 401) >= 1);
}

/* A credentials folder without the credential: said, with its path. */
static void test_systemd_credential_missing(void **state)
{
    struct it_ctx *c = *state;
    int rc;
    it_set_token(c, NULL);
    it_add_env(c, it_fmt(c, "CREDENTIALS_DIRECTORY=%s", it_path(c, "nowhere")));
    rc = it_run(c, "check", "--base-url", "http://127.0.0.1:9", "-a", "acc", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "cannot open systemd credential '"));
    assert_non_null(strstr(c->err, "nowhere/truto-token'"));
}

static void test_stdin_input(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "user_id,group_id,note\n"
                      "u1,g1,\n"
                      "u2,g2,\"two\nlines\"\n"
                      ",g3,\n"
                      "u4,g4,\n");
    it_set_stdin(c, in);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, "-", "-a", "acc-stdin", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_pair(j, "acc-stdin", "g1", "u1"), 1);
    assert_int_equal(journal_count_pair(j, "acc-stdin", "g2", "u2"), 1);
    assert_int_equal(journal_count_pair(j, "acc-stdin", "g4", "u4"), 1);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    assert_string_equal(table_get(t, results_row_for_line(t, 2), "status"), "removed");
    assert_string_equal(table_get(t, results_row_for_line(t, 3), "status"), "removed");
    assert_string_equal(table_get(t, results_row_for_line(t, 5), "status"), "invalid");
    assert_string_equal(table_get(t, results_row_for_line(t, 6), "status"), "removed");
    if (strstr(c->err, "line 5: empty user_id") == NULL) {
        fail_msg("no message for the empty user_id on line 5:\n%s", c->err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verbose_never_prints_token, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bad_secret_not_printed, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_token_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_token_file_with_newline_wins_over_env, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_systemd_credential, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_systemd_credential_missing, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_stdin_input, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
