/* it_dryrun.c: --dry-run, --strict, duplicate rows, and stdin validated first.
 *
 * --dry-run reads and validates the whole input and sends nothing, with or
 * without a token: every row is recorded dry_run, invalid or duplicate with its
 * physical line, stderr shows the plan (row, valid, invalid and duplicate counts,
 * each account with its rows, an estimated duration), and the exit status is 1
 * when a row is invalid, else 0. --strict sends nothing while any row is invalid
 * (exit 2, each invalid row named by line; the others not_attempted and in the
 * retry log) and sends everything normally when none is. A pair (account, group,
 * user) repeated in a normal run is sent once: the first row carries the outcome,
 * the repeats are duplicate, and they alone leave the exit status 0; the same
 * group and user under another account is a different pair, and the account a
 * row gets from -a counts as its own. stdin gets the same validation before the
 * first request: a malformed quote or, with --strict, an invalid row on stdin
 * sends nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"


struct sent {
    const char *account;
    const char *group;
    const char *user;
};

static void dump_journal(const struct journal *j)
{
    print_error("journal (%zu requests):\n", j->n);
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        print_error("  account=\"%s\" group=\"%s\" user=\"%s\" status=%d\n", r->account, r->group,
                    r->user, r->status);
    }
}

static void expect_nothing_sent(const struct journal *j)
{
    if (j->n != 0) {
        dump_journal(j);
        fail_msg("%zu requests were sent, want none", j->n);
    }
}

/* The journal holds exactly these requests, each pair once. */
static void expect_sent_exactly(const struct journal *j, const struct sent *want, size_t n)
{
    int bad = j->n != n;
    for (size_t i = 0; i < n; i++) {
        size_t k = journal_count_pair(j, want[i].account, want[i].group, want[i].user);
        if (k != 1) {
            print_error("sent %zu times, want once: account=\"%s\" group=\"%s\" user=\"%s\"\n", k,
                        want[i].account, want[i].group, want[i].user);
            bad = 1;
        }
    }
    if (bad) {
        dump_journal(j);
        fail_msg("the journal has %zu requests, want exactly the %zu listed", j->n, n);
    }
}

/* The results row of an input line; a NULL account is not checked. */
static void expect_row(const struct csv_table *t, long line, const char *group, const char *user,
                       const char *account, const char *status)
{
    size_t r = results_row_for_line(t, line);
    const char *g = table_get(t, r, "group_id");
    const char *u = table_get(t, r, "user_id");
    const char *a = table_get(t, r, "integrated_account_id");
    const char *st = table_get(t, r, "status");
    if (strcmp(g, group) != 0 || strcmp(u, user) != 0 ||
        (account != NULL && strcmp(a, account) != 0) || strcmp(st, status) != 0) {
        fail_msg("results line %ld: group \"%s\" user \"%s\" account \"%s\" status %s; want "
                 "group \"%s\" user \"%s\" account \"%s\" status %s",
                 line, g, u, a, st, group, user, account != NULL ? account : "(any)", status);
    }
}

/* A row that was never sent: no HTTP status, no attempt. */
static void expect_unsent(const struct csv_table *t, long line)
{
    size_t r = results_row_for_line(t, line);
    assert_string_equal(table_get(t, r, "http_status"), "");
    assert_string_equal(table_get(t, r, "attempts"), "0");
}

/* stderr has a line that starts with start (when not NULL) and holds every
 * string of want (NULL-terminated). */
static void expect_stderr_line(struct it_ctx *c, const char *start, const char *const *want)
{
    size_t slen = start != NULL ? strlen(start) : 0;
    const char *p = c->err;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        int all = len >= slen && (start == NULL || strncmp(p, start, slen) == 0);
        for (size_t i = 0; want[i] != NULL && all; i++) {
            all = memmem(p, len, want[i], strlen(want[i])) != NULL;
        }
        if (all) {
            return;
        }
        p = nl != NULL ? nl + 1 : p + len;
    }
    print_error("stderr:\n%s\n", c->err);
    fail_msg("stderr has no line%s%s%s with \"%s\"%s", start != NULL ? " starting \"" : "",
             start != NULL ? start : "", start != NULL ? "\"" : "", want[0],
             want[1] != NULL ? " and more" : "");
}

/* stderr has a line "grouprm: NAME line N: ..." that contains what. */
static void expect_line_message(struct it_ctx *c, const char *name, long line, const char *what)
{
    const char *const want[] = {what, NULL};
    expect_stderr_line(c, it_fmt(c, "grouprm: %s line %ld: ", name, line), want);
}

/* ---------------------------------------------------------------- dry run */

static void test_dry_run_mixed_without_token(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc-a\n"   /* 2 */
                  "g2,u2,acc-b\n"   /* 3 */
                  "g3,,acc-a\n"     /* 4: invalid */
                  "g4,u4,acc-a\n"   /* 5 */
                  "g1,u1,acc-a\n"   /* 6: duplicate of line 2 */
                  "g5,u5,acc-b\n"   /* 7 */
                  "g6,\"u\n6\",acc-a\n" /* 8-9 */
                  "g7,u7,acc-a\n"); /* 10 */
    it_set_token(c, NULL);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--dry-run", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    expect_nothing_sent(journal_load(c));
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 8);
    expect_row(t, 2, "g1", "u1", "acc-a", "dry_run");
    expect_row(t, 3, "g2", "u2", "acc-b", "dry_run");
    expect_row(t, 4, "g3", "", "acc-a", "invalid");
    expect_row(t, 5, "g4", "u4", "acc-a", "dry_run");
    expect_row(t, 6, "g1", "u1", "acc-a", "duplicate");
    expect_row(t, 7, "g5", "u5", "acc-b", "dry_run");
    expect_row(t, 8, "g6", "u\n6", "acc-a", "invalid");
    expect_row(t, 10, "g7", "u7", "acc-a", "dry_run");
    const long lines[] = {2, 3, 4, 5, 6, 7, 8, 10};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        expect_unsent(t, lines[i]);
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);

    expect_line_message(c, in, 4, "user_id");
    expect_line_message(c, in, 8, "user_id");
    const char *const plan[] = {" 8 rows", " 5 valid", " 2 invalid", " 1 duplicate", NULL};
    expect_stderr_line(c, NULL, plan);
    const char *const acct_a[] = {"acc-a", " 3 row", NULL};
    expect_stderr_line(c, NULL, acct_a);
    const char *const acct_b[] = {"acc-b", " 2 row", NULL};
    expect_stderr_line(c, NULL, acct_b);
    const char *const estimate[] = {"estimated", NULL};
    expect_stderr_line(c, NULL, estimate);
}

static void test_dry_run_clean_exits_zero(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc-a\n"
                  "g2,u2,acc-b\n"
                  "\n"
                  "g3,u3,acc-a\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--dry-run", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    expect_nothing_sent(journal_load(c));
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    expect_row(t, 2, "g1", "u1", "acc-a", "dry_run");
    expect_row(t, 3, "g2", "u2", "acc-b", "dry_run");
    expect_row(t, 5, "g3", "u3", "acc-a", "dry_run");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    const char *const plan[] = {" 3 rows", " 3 valid", " 0 invalid", " 0 duplicate", NULL};
    expect_stderr_line(c, NULL, plan);
}

/* ----------------------------------------------------------------- strict */

static void test_strict_with_invalid_rows_sends_nothing(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc-a\n"  /* 2 */
                  "g2,,acc-a\n"    /* 3: invalid */
                  "g3,u3,acc-b\n"  /* 4 */
                  ",u5,acc-b\n"    /* 5: invalid */
                  "g6,u6,acc-a\n"); /* 6 */

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--strict", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);

    expect_nothing_sent(journal_load(c));
    expect_line_message(c, in, 3, "user_id");
    expect_line_message(c, in, 5, "group_id");

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 5);
    expect_row(t, 2, "g1", "u1", "acc-a", "not_attempted");
    expect_row(t, 3, "g2", "", "acc-a", "invalid");
    expect_row(t, 4, "g3", "u3", "acc-b", "not_attempted");
    expect_row(t, 5, "", "u5", "acc-b", "invalid");
    expect_row(t, 6, "g6", "u6", "acc-a", "not_attempted");
    for (long line = 2; line <= 6; line++) {
        expect_unsent(t, line);
    }

    struct csv_table *r = retry_load(c, c->retry);
    assert_int_equal(r->nrows, 3);
    const struct sent want[] = {{"acc-a", "g1", "u1"}, {"acc-b", "g3", "u3"}, {"acc-a", "g6", "u6"}};
    for (size_t i = 0; i < 3; i++) {
        long k = table_find2(r, "group_id", want[i].group, "user_id", want[i].user);
        if (k < 0) {
            fail_msg("the retry log has no row %s,%s", want[i].group, want[i].user);
        }
        assert_string_equal(table_get(r, (size_t)k, "integrated_account_id"), want[i].account);
    }
}

static void test_strict_without_invalid_rows_sends_all(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc-a\n"
                  "g2,u2,acc-b\n"
                  "g3,u3,acc-a\n"
                  "g4,u4,acc-b\n");

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--strict", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    const struct sent want[] = {
        {"acc-a", "g1", "u1"}, {"acc-b", "g2", "u2"}, {"acc-a", "g3", "u3"}, {"acc-b", "g4", "u4"},
    };
    expect_sent_exactly(journal_load(c), want, 4);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    for (size_t i = 0; i < 4; i++) {
        expect_row(t, (long)i + 2, want[i].group, want[i].user, want[i].account, "removed");
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

/* ------------------------------------------------------------- duplicates */

static void test_duplicates_sent_once(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc\n"  /* 2 */
                  "g2,u2,acc\n"  /* 3 */
                  "g1,u1,acc\n"  /* 4: duplicate */
                  "g3,u3,acc\n"  /* 5 */
                  "g1,u1,acc\n"); /* 6: duplicate */

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"}};
    expect_sent_exactly(journal_load(c), want, 3);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 5);
    expect_row(t, 2, "g1", "u1", "acc", "removed");
    expect_row(t, 3, "g2", "u2", "acc", "removed");
    expect_row(t, 4, "g1", "u1", "acc", "duplicate");
    expect_row(t, 5, "g3", "u3", "acc", "removed");
    expect_row(t, 6, "g1", "u1", "acc", "duplicate");
    expect_unsent(t, 4);
    expect_unsent(t, 6);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_same_pair_other_account_is_not_duplicate(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc-a\n"
                  "g1,u1,acc-b\n"
                  "g1,u1,\n"        /* the -a account */
                  "g1,u1,ACC-A\n"); /* ids are compared byte for byte */

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc-c", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    const struct sent want[] = {
        {"acc-a", "g1", "u1"}, {"acc-b", "g1", "u1"}, {"acc-c", "g1", "u1"}, {"ACC-A", "g1", "u1"},
    };
    expect_sent_exactly(journal_load(c), want, 4);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    assert_int_equal(table_count(t, "status", "removed"), 4);
}

/* Duplicates are judged on what would be sent: the account a row gets from -a,
 * and its ids after the trimming of unquoted blanks. */
static void test_duplicate_after_default_account_and_trimming(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,\n"         /* 2: acc from -a */
                  "g1,u1,acc\n"      /* 3: the same pair */
                  " g1 , u1 ,acc\n"  /* 4: the same after trimming */
                  "\" g1\",u1,acc\n"); /* 5: a different group id */

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", "acc", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", " g1", "u1"}};
    expect_sent_exactly(journal_load(c), want, 2);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    expect_row(t, 2, "g1", "u1", NULL, "removed");
    expect_row(t, 3, "g1", "u1", "acc", "duplicate");
    expect_row(t, 4, "g1", "u1", "acc", "duplicate");
    expect_row(t, 5, " g1", "u1", "acc", "removed");
}

/* ------------------------------------------------------------------ stdin */

static void test_stdin_unclosed_quote_sends_nothing(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "stdin.csv");
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    fputs("group_id,user_id,integrated_account_id\n", f);
    for (int i = 0; i < 2000; i++) {
        fprintf(f, "g%d,u%d,acc-%d\n", i, i, i % 4); /* lines 2-2001 */
    }
    fputs("g2000,\"u2000,acc-0\n" /* 2002: never closed */
          "g2001,u2001,acc-1\n",
          f);
    assert_int_equal(fclose(f), 0);
    it_set_stdin(c, in);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, "-", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);

    expect_nothing_sent(journal_load(c));
    const char *const msg[] = {" line 2002: ", "quote", NULL};
    expect_stderr_line(c, "grouprm: ", msg);
}

static void test_stdin_strict_invalid_sends_nothing(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "stdin.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc\n"
                  "g2,u2,acc\n"
                  "g3,u\x01" "3,acc\n" /* 4: invalid */
                  "g4,u4,acc\n");
    it_set_stdin(c, in);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, "-", "--strict", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);

    expect_nothing_sent(journal_load(c));
    const char *const msg[] = {" line 4: ", "user_id", NULL};
    expect_stderr_line(c, "grouprm: ", msg);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 4);
    expect_row(t, 2, "g1", "u1", "acc", "not_attempted");
    expect_row(t, 3, "g2", "u2", "acc", "not_attempted");
    expect_row(t, 4, "g3", "u\x01" "3", "acc", "invalid");
    expect_row(t, 5, "g4", "u4", "acc", "not_attempted");
    assert_int_equal(retry_load(c, c->retry)->nrows, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dry_run_mixed_without_token, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_clean_exits_zero, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_strict_with_invalid_rows_sends_nothing, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_strict_without_invalid_rows_sends_all, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_sent_once, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_same_pair_other_account_is_not_duplicate, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_after_default_account_and_trimming,
                                        it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_stdin_unclosed_quote_sends_nothing, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_stdin_strict_invalid_sends_nothing, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
