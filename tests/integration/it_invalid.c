/* it_invalid.c: reading the input file.
 *
 * Rows with an empty group_id or user_id, or with no account at all, are reported
 * on stderr as "grouprm: FILE line N: empty <column>" with physical line numbers
 * (a quoted note spanning lines earlier in the file makes them differ from row
 * numbers), recorded as invalid, never sent, while the other rows still run; the
 * exit status is then 1. A missing required column stops the run with exit 2
 * before anything is sent, naming the column. Header names match
 * case-insensitively, with surrounding spaces, in any order, among extra columns;
 * CRLF line endings are accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

/* Asserts stderr has a line starting "grouprm: FILE line N: " that contains what. */
static void expect_line_message(struct it_ctx *c, const char *file, long line, const char *what)
{
    const char *prefix = it_fmt(c, "grouprm: %s line %ld: ", file, line);
    const char *p = c->err;
    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (len >= strlen(prefix) && strncmp(p, prefix, strlen(prefix)) == 0 &&
            memmem(p, len, what, strlen(what)) != NULL) {
            return;
        }
        p = nl != NULL ? nl + 1 : p + len;
    }
    fail_msg("stderr has no line \"%s...%s...\"; stderr:\n%s", prefix, what, c->err);
}

static void expect_invalid(const struct csv_table *t, long line)
{
    size_t r = results_row_for_line(t, line);
    if (strcmp(table_get(t, r, "status"), "invalid") != 0) {
        fail_msg("line %ld: status %s, want invalid", line, table_get(t, r, "status"));
    }
    assert_string_equal(table_get(t, r, "http_status"), "");
    assert_string_equal(table_get(t, r, "attempts"), "0");
}

static void expect_removed(const struct csv_table *t, long line, const char *group,
                           const char *user)
{
    size_t r = results_row_for_line(t, line);
    assert_string_equal(table_get(t, r, "group_id"), group);
    assert_string_equal(table_get(t, r, "user_id"), user);
    if (strcmp(table_get(t, r, "status"), "removed") != 0) {
        fail_msg("line %ld: status %s, want removed", line, table_get(t, r, "status"));
    }
}

static void test_empty_fields_physical_lines(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in,
                  "group_id,user_id,integrated_account_id,note\n" /* 1 */
                  "g1,u1,acc,\n"                                   /* 2 */
                  "g2,u2,acc,\"a note\non two lines\"\n"          /* 3-4 */
                  ",u3,acc,\n"                                     /* 5 */
                  "g4,,acc,\n"                                     /* 6 */
                  "g5,u5,,\n"                                      /* 7 */
                  "\"g6\",\"u6\",\"acc\",\"\"\n"                  /* 8 */
                  "\"\",u7,acc,x\n");                              /* 9 */

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    expect_line_message(c, in, 5, "empty group_id");
    expect_line_message(c, in, 6, "empty user_id");
    expect_line_message(c, in, 7, "integrated_account_id");
    expect_line_message(c, in, 9, "empty group_id");

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_pair(j, "acc", "g1", "u1"), 1);
    assert_int_equal(journal_count_pair(j, "acc", "g2", "u2"), 1);
    assert_int_equal(journal_count_pair(j, "acc", "g6", "u6"), 1);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 7);
    expect_removed(t, 2, "g1", "u1");
    expect_removed(t, 3, "g2", "u2");
    expect_removed(t, 8, "g6", "u6");
    expect_invalid(t, 5);
    expect_invalid(t, 6);
    expect_invalid(t, 7);
    expect_invalid(t, 9);
    assert_string_equal(table_get(t, results_row_for_line(t, 6), "group_id"), "g4");
    assert_string_equal(table_get(t, results_row_for_line(t, 5), "user_id"), "u3");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    if (strstr(c->err, "grouprm: 7 rows: 3 removed, 0 not_found, 0 failed, 4 invalid, "
                       "0 not_attempted in ") == NULL) {
        fail_msg("no summary line with 4 invalid rows:\n%s", c->err);
    }
}

static void missing_column(struct it_ctx *c, const char *header, const char *column)
{
    const char *in = it_path(c, "in.csv");
    it_write_file(in, it_fmt(c, "%s\nx1,y1\nx2,y2\n", header));

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);

    if (strstr(c->err, column) == NULL) {
        fail_msg("the error does not name the missing column %s:\n%s", column, c->err);
    }
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_missing_group_id_column(void **state)
{
    missing_column(*state, "grp,user_id", "group_id");
}

static void test_missing_user_id_column(void **state)
{
    missing_column(*state, "group_id,users", "user_id");
}

static void test_header_matching(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, " User_ID ,extra,  GROUP_id  ,Integrated_Account_ID,more\n"
                      "u1,\"x,1\",g1,acc-1,\n"
                      "u2,,g2,acc-2,\"y\"\"\"\n"
                      "u3,z,g3,,w\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc-flag", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_pair(j, "acc-1", "g1", "u1"), 1);
    assert_int_equal(journal_count_pair(j, "acc-2", "g2", "u2"), 1);
    assert_int_equal(journal_count_pair(j, "acc-flag", "g3", "u3"), 1);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    expect_removed(t, 2, "g1", "u1");
    expect_removed(t, 3, "g2", "u2");
    expect_removed(t, 4, "g3", "u3");
}

static void test_crlf_line_endings(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id,integrated_account_id\r\n"
                      "g1,u1,acc\r\n"
                      "g2,\"u 2\",acc\r\n"
                      "g3,u3,acc\r\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_pair(j, "acc", "g1", "u1"), 1);
    assert_int_equal(journal_count_pair(j, "acc", "g2", "u 2"), 1);
    assert_int_equal(journal_count_pair(j, "acc", "g3", "u3"), 1);
    struct csv_table *t = results_load(c, c->results);
    expect_removed(t, 2, "g1", "u1");
    expect_removed(t, 3, "g2", "u 2");
    expect_removed(t, 4, "g3", "u3");
}

static void test_only_invalid_rows(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id\n,u1\ng2,\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    expect_line_message(c, in, 2, "empty group_id");
    expect_line_message(c, in, 3, "empty user_id");
    assert_int_equal(journal_load(c)->n, 0);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 2);
    expect_invalid(t, 2);
    expect_invalid(t, 3);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_header_only(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    it_write_file(in, "group_id,user_id,integrated_account_id\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    assert_int_equal(journal_load(c)->n, 0);
    assert_int_equal(results_load(c, c->results)->nrows, 0);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_fields_physical_lines, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_missing_group_id_column, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_missing_user_id_column, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_header_matching, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_crlf_line_endings, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_only_invalid_rows, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_header_only, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
