/* it_retrylog.c: the retry log is a valid input, byte for byte.
 *
 * A first run leaves failures (403s and a 500 with --max-attempts 1) on ids that
 * need CSV quoting or are not ASCII: commas, double quotes, LF, CRLF, a TAB, UTF-8.
 * The retry log must hold exactly those rows (not the removed one), with the
 * account filled in from -a where the row had none. Fed back unchanged as the
 * input of a second run (against a fresh server, without -a), it must be accepted
 * and produce the same requests: identical group, user and account bytes and the
 * same Idempotency-Keys, with results lines that are the retry log's physical line
 * numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

#define FLAG_ACC "acct-main"
#define MAX_ROWS 16

struct row {
    const char *group, *user, *account; /* account "" = from -a */
    int status;                         /* what the mock answers */
};

static const char *effective_account(const struct row *r)
{
    return r->account[0] != '\0' ? r->account : FLAG_ACC;
}

static const char *status_text(struct it_ctx *c, int status)
{
    return it_fmt(c, "%d", status);
}

static void round_trip(struct it_ctx *c, const struct row *rows, size_t nrows)
{
    assert_true(nrows <= MAX_ROWS);
    size_t nfail = 0;
    for (size_t i = 0; i < nrows; i++) {
        nfail += rows[i].status != 200;
    }
    const char *cells[(MAX_ROWS + 1) * 3] = {"group_id", "user_id", "integrated_account_id"};
    for (size_t i = 0; i < nrows; i++) {
        cells[(i + 1) * 3] = rows[i].group;
        cells[(i + 1) * 3 + 1] = rows[i].user;
        cells[(i + 1) * 3 + 2] = rows[i].account;
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, nrows + 1);

    /* Run 1. */
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-a", FLAG_ACC, "--max-attempts", "1", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    struct journal *j1 = journal_load(c);
    const char *keys[MAX_ROWS];
    for (size_t i = 0; i < nrows; i++) {
        const struct jrow **v;
        size_t n = journal_pair(c, j1, effective_account(&rows[i]), rows[i].group, rows[i].user,
                                &v);
        if (n != 1) {
            fail_msg("run 1: row %zu (user %s) sent %zu times with these exact ids, want 1",
                     i + 1, rows[i].user, n);
        }
        assert_int_equal(v[0]->status, rows[i].status);
        keys[i] = v[0]->key;
    }
    assert_int_equal(j1->n, nrows);
    const char *retry1 = c->retry;
    struct csv_table *rl = retry_load(c, retry1);
    for (size_t i = 0; i < nrows; i++) {
        long r = table_find2(rl, "group_id", rows[i].group, "user_id", rows[i].user);
        if (rows[i].status == 200) {
            assert_true(r < 0);
            continue;
        }
        if (r < 0) {
            fail_msg("row %zu (user %s) is missing from the retry log", i + 1, rows[i].user);
        }
        assert_string_equal(table_get(rl, (size_t)r, "integrated_account_id"),
                            effective_account(&rows[i]));
        assert_string_equal(table_get(rl, (size_t)r, "http_status"),
                            status_text(c, rows[i].status));
        assert_string_equal(table_get(rl, (size_t)r, "attempts"), "1");
    }
    assert_int_equal(rl->nrows, nfail);

    /* Run 2: the retry log, unchanged, is the input. */
    char *retry_in = it_strdup(c, retry1);
    it_set_outputs(c, "results2.csv", "retry2.csv");
    it_mock_start(c, NULL);
    rc = it_grouprm(c, retry_in, "--max-attempts", "1", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    struct journal *j2 = journal_load(c);
    for (size_t i = 0; i < nrows; i++) {
        const struct jrow **v;
        size_t n = journal_pair(c, j2, effective_account(&rows[i]), rows[i].group, rows[i].user,
                                &v);
        if (rows[i].status == 200) {
            assert_int_equal(n, 0);
            continue;
        }
        if (n != 1) {
            fail_msg("run 2: row %zu (user %s) sent %zu times with identical ids, want 1", i + 1,
                     rows[i].user, n);
        }
        if (strcmp(v[0]->key, keys[i]) != 0) {
            fail_msg("row %zu: Idempotency-Key %s in run 2, %s in run 1", i + 1, v[0]->key,
                     keys[i]);
        }
    }
    assert_int_equal(j2->n, nfail);

    struct csv_table *t2 = results_load(c, c->results);
    assert_int_equal(t2->nrows, nfail);
    assert_int_equal(table_count(t2, "status", "failed"), nfail);
    long *lines;
    size_t nrec = record_lines(c, retry_in, &lines);
    assert_int_equal(nrec, nfail);
    int gcol = table_col(rl, "group_id"), ucol = table_col(rl, "user_id");
    for (size_t k = 0; k < nrec; k++) {
        /* The record starting on that physical line is the k-th retry log row. */
        size_t r = results_row_for_line(t2, lines[k]);
        assert_string_equal(table_get(t2, r, "group_id"), rl->rows[k].f[gcol]);
        assert_string_equal(table_get(t2, r, "user_id"), rl->rows[k].f[ucol]);
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, nfail);
}

/* Ids that need CSV quoting, or are not ASCII. */
static void test_round_trip_quoting_and_utf8(void **state)
{
    static const struct row rows[] = {
        {"g,1", "status-403-a,b", "", 403},
        {"g\"2\"", "status-403-\"q\"", "acct,\"B\"", 403},
        {"gr\xc3\xbcppe \xe2\x9c\x93", "status-403-\xe6\x97\xa5\xe6\x9c\xac-\xc3\xbc",
         "kont\xc3\xb6", 403},
        {"ok-g", "ok-u", "", 200},
        {"g 5", "status-500-x y", "", 500},
        {"'g6'", "status-403-;6=", "acct'6", 403},
    };
    round_trip(*state, rows, sizeof rows / sizeof rows[0]);
}

/* Ids holding line breaks and a TAB: a quoted CSV field carries them. */
/* Ids with line breaks or TABs are control characters: such a row is invalid,
 * never sent, reported with its line, and not in the retry log (it cannot
 * succeed unchanged); the results file still holds the ids byte for byte. */
static void test_line_breaks_are_invalid_but_recorded_exactly(void **state)
{
    struct it_ctx *c = *state;
    const char *cells[] = {"group_id", "user_id", "integrated_account_id",
                           "g\n3", "u-line1\nline2", "acct-a",
                           "g5", "u-crlf\r\nx", "acct\tT",
                           "ok-g", "ok-u", "acct-a"};
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, 4);
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 1);
    assert_string_equal(j->rows[0].user, "ok-u");
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    long r = table_find2(t, "group_id", "g\n3", "user_id", "u-line1\nline2");
    assert_true(r >= 0);
    assert_string_equal(table_get(t, (size_t)r, "status"), "invalid");
    assert_string_equal(table_get(t, (size_t)r, "line"), "2");
    r = table_find2(t, "group_id", "g5", "user_id", "u-crlf\r\nx");
    assert_true(r >= 0);
    assert_string_equal(table_get(t, (size_t)r, "status"), "invalid");
    assert_string_equal(table_get(t, (size_t)r, "integrated_account_id"), "acct\tT");
    assert_string_equal(table_get(t, (size_t)r, "line"), "5");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    assert_non_null(strstr(c->err, "line 2: group_id has a control character"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_quoting_and_utf8, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_line_breaks_are_invalid_but_recorded_exactly, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
