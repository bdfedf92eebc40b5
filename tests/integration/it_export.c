/* it_export.c: the files admins actually have.
 *
 *  - A list saved by Excel as "Unicode Text" (UTF-16LE with a BOM, TABs, CRLF)
 *    is refused before anything is sent, with a message that names the
 *    encoding and the fix, and so are its UTF-32 cousins.
 *  - An export whose columns are named "Group ID" and "User ID" runs with
 *    --column; its results and retry log keep grouprm's own column names, so
 *    the retry log runs again without --column.
 *  - The mapping is part of the input's record: --resume with another
 *    mapping is refused as a changed input is (and --force takes it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

/* text as UTF-16LE with a BOM, each '\n' written as CRLF. */
static void write_utf16le(const char *path, const char *text)
{
    size_t n = strlen(text);
    unsigned char *b = malloc(2 + 4 * n);
    assert_non_null(b);
    size_t len = 0;
    b[len++] = 0xFF;
    b[len++] = 0xFE;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            b[len++] = '\r';
            b[len++] = 0;
        }
        b[len++] = (unsigned char)text[i];
        b[len++] = 0;
    }
    write_bytes(path, b, len);
    free(b);
}

static void test_unicode_text_refused(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "list.txt");
    write_utf16le(in, "group_id\tuser_id\tintegrated_account_id\ng1\tu1\tacc\ng2\tu2\tacc\n");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    char *want = it_fmt(c, "grouprm: %s is UTF-16 (Excel's \"Unicode Text\"); save it as "
                           "\"CSV UTF-8\" or convert it with iconv -f UTF-16 -t UTF-8", in);
    if (!strstr(c->err, want))
        fail_msg("expected\n%s\nin:\n%s", want, c->err);
    assert_int_equal(count_lines_with(c->err, "grouprm:"), 1);  /* one line, not a column list */

    /* UTF-32 too, and a plan's list. */
    static const unsigned char utf32[] = {0xFF, 0xFE, 0, 0, 'u', 0, 0, 0};
    write_bytes(it_path(c, "users.txt"), utf32, sizeof utf32);
    rc = it_run(c, "plan", "--base-url", c->base_url, "--groups-of", "users.txt", "-a", "acc",
                NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "users.txt is UTF-32; save it as \"CSV UTF-8\" or convert "
                                   "it with iconv -f UTF-32 -t UTF-8"));
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_export_with_column(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "export.csv");
    /* Two rows fail at once (injected 400s): they go to the retry log. */
    it_write_file(in, "Okta ID,Group ID,User ID,Account\n"
                      "x1,00gA,00u1,acc\n"
                      "x2,00gA,status-400-a,acc\n"
                      "x3,00gB,00u2,acc\n"
                      "x4,00gB,status-400-b,acc\n");
    it_mock_start(c, NULL);
    /* Without the mapping: the columns are not found. */
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "missing required columns 'group_id', 'user_id'"));

    rc = it_grouprm(c, in, "--column", "group_id=Group ID", "--column", "user_id= user id ",
                    "--column", "integrated_account_id=Account", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    assert_int_equal(table_count(t, "status", "removed"), 2);
    assert_int_equal(table_count(t, "status", "failed"), 2);
    assert_string_equal(table_get(t, results_row_for_line(t, 2), "group_id"), "00gA");
    assert_string_equal(table_get(t, results_row_for_line(t, 2), "user_id"), "00u1");
    struct csv_table *r = retry_load(c, c->retry);
    assert_int_equal(r->nrows, 2);

    /* The retry log is an input as it is: no --column. */
    rc = it_run(c, "--base-url", c->base_url, "-o", "again.csv", "-r", "again-retry.csv",
                c->retry, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    t = results_load(c, it_path(c, "again.csv"));
    assert_int_equal(t->nrows, 2);
    assert_int_equal(table_count(t, "status", "failed"), 2);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_pair(j, "acc", "00gA", "status-400-a"), 2);
    assert_int_equal(journal_count_pair(j, "acc", "00gA", "00u1"), 1);
}

static void test_resume_with_another_mapping(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "export.csv");
    it_write_file(in, "Group ID,User ID,Other\n00gA,00u1,00u9\n00gB,00u2,00u8\n");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc", "--column", "group_id=Group ID", "--column",
                        "user_id=User ID", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    /* The same mapping resumes (nothing left to do). */
    rc = it_grouprm(c, in, "-a", "acc", "--resume", "--column", "user_id=User ID", "--column",
                    "group_id=Group ID", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    /* Another mapping of the same bytes is another input. */
    rc = it_grouprm(c, in, "-a", "acc", "--resume", "--column", "group_id=Group ID",
                    "--column", "user_id=Other", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "mapped differently (--column)"));
    assert_non_null(strstr(c->err, "--force"));
    rc = it_grouprm(c, in, "-a", "acc", "--resume", "--force", "--column", "group_id=Group ID",
                    "--column", "user_id=Other", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 4);  /* two pairs, then the two others */
    assert_int_equal(journal_count_pair(j, "acc", "00gA", "00u9"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unicode_text_refused, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_export_with_column, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_with_another_mapping, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
