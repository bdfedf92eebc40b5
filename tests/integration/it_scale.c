/* it_scale.c: many rows at full speed, and the concurrency limit.
 *
 * 2,000 pairs with both rate limits off and 16 requests in flight: the journal
 * must hold each pair exactly once (nothing lost, nothing doubled under
 * concurrency), the results exactly one "removed" line per input line, the retry
 * log only its header, and the exit status 0.
 * -c is both a ceiling and a promise: with every answer held 500 ms by the server,
 * no 500 ms stretch sees more than -c arrivals, and the server counts -c of them
 * in progress at once; and a slow first row does not hold back the rows after it
 * (they all arrive before its answer is due). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

enum { N = 2000 };

/* The i of "g<i>"/"u<i>", or -1 when the ids are not a generated pair. */
static long pair_index(const char *group, const char *user)
{
    char *end = NULL;
    if (group[0] != 'g' || user[0] != 'u') {
        return -1;
    }
    long g = strtol(group + 1, &end, 10);
    if (end == group + 1 || *end != '\0') {
        return -1;
    }
    long u = strtol(user + 1, &end, 10);
    if (end == user + 1 || *end != '\0' || u != g || g < 0 || g >= N) {
        return -1;
    }
    return g;
}

/* 2000 pairs at -c 16, with grouprm's transfers in `threads` lanes ("0": one
 * per CPU): every pair sent once, every row recorded once at its line. */
static void pairs_once_each(struct it_ctx *c, const char *threads)
{
    const char *in = it_path(c, "in.csv");
    write_pairs(in, N, "acct-scale");

    it_mock_start(c, "--threads", "4", NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", "-c", "16",
                        "--threads", threads, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    static unsigned sent[N];
    memset(sent, 0, sizeof sent);
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        long k = pair_index(r->group, r->user);
        if (k < 0) {
            fail_msg("journal has an unexpected pair %s/%s", r->group, r->user);
        }
        assert_string_equal(r->account, "acct-scale");
        assert_int_equal(r->status, 200);
        sent[k]++;
    }
    for (long k = 0; k < N; k++) {
        if (sent[k] != 1) {
            fail_msg("pair g%ld/u%ld was sent %u times, want 1", k, k, sent[k]);
        }
    }
    assert_int_equal(j->n, N);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, N);
    static unsigned seen[N + 2];
    memset(seen, 0, sizeof seen);
    for (size_t r = 0; r < t->nrows; r++) {
        long line = atol(table_get(t, r, "line"));
        assert_true(line >= 2 && line <= N + 1);
        seen[line]++;
        long k = pair_index(table_get(t, r, "group_id"), table_get(t, r, "user_id"));
        if (k != line - 2) {
            fail_msg("results line %ld holds %s/%s", line, table_get(t, r, "group_id"),
                     table_get(t, r, "user_id"));
        }
        assert_string_equal(table_get(t, r, "status"), "removed");
        assert_string_equal(table_get(t, r, "attempts"), "1");
    }
    for (long line = 2; line <= N + 1; line++) {
        assert_int_equal(seen[line], 1);
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
    if (strstr(c->err, "grouprm: 2000 rows: 2000 removed, 0 not_found, 0 failed") == NULL) {
        fail_msg("no summary line for 2000 removed rows:\n%s", c->err);
    }
}

static void test_two_thousand_pairs_once_each(void **state) { pairs_once_each(*state, "0"); }

/* --threads 3: 16 slots over 3 lanes (6, 5 and 5), uneven shares handing
 * results back at once. (That the lanes are really three threads is checked
 * by it_crash's second-signal test, which can look at the live process.) */
static void test_two_thousand_pairs_over_three_lanes(void **state)
{
    pairs_once_each(*state, "3");
}

static void test_concurrency_is_a_ceiling(void **state)
{
    struct it_ctx *c = *state;
    enum { M = 20 };
    const char *cells[(M + 1) * 3] = {"group_id", "user_id", "integrated_account_id"};
    for (size_t i = 0; i < M; i++) {
        cells[(i + 1) * 3] = it_fmt(c, "g%zu", i);
        cells[(i + 1) * 3 + 1] = it_fmt(c, "slow-500-%zu", i);
        cells[(i + 1) * 3 + 2] = "acct-c";
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, M + 1);

    it_mock_start(c, "--threads", "4", NULL);
    /* Three lanes hold the 4 slots (2, 1 and 1): the ceiling is the pool's, not a lane's. */
    int rc = it_grouprm(c, in, "-c", "4", "--threads", "3", "--account-rate", "0", "--token-rate",
                        "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, M);
    /* The ceiling: each request holds its slot for 500 ms from its arrival, so
     * no 480 ms stretch may see more than -c arrivals. (Slowness only spreads
     * arrivals out, so this cannot fail for want of speed.) */
    size_t most = journal_max_in_window(j, NULL, 500, 20);
    if (most > 4) {
        fail_msg("%zu arrivals within 480 ms while each is held 500 ms: more than -c 4 "
                 "in flight",
                 most);
    }
    /* The promise, as the server counted it (the account's requests in progress
     * at each admission, itself included), with no clock involved: -c 4 of them
     * were in flight together, and never more. */
    int inflight = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (j->rows[i].inflight > inflight) {
            inflight = j->rows[i].inflight;
        }
    }
    if (inflight != 4) {
        fail_msg("at most %d requests in flight together, want exactly -c 4", inflight);
    }
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), M);
}

static void test_slow_first_row_does_not_block_others(void **state)
{
    struct it_ctx *c = *state;
    enum { M = 9 };
    const char *cells[(M + 1) * 3] = {"group_id", "user_id", "integrated_account_id"};
    for (size_t i = 0; i < M; i++) {
        cells[(i + 1) * 3] = it_fmt(c, "g%zu", i);
        cells[(i + 1) * 3 + 1] = i == 0 ? "slow-1500-first" : it_fmt(c, "u%zu", i);
        cells[(i + 1) * 3 + 2] = "acct-s";
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, M + 1);

    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-c", "16", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, M);
    const struct jrow **slow;
    assert_int_equal(journal_pair(c, j, "acct-s", "g0", "slow-1500-first", &slow), 1);
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        if (r == slow[0]) {
            continue;
        }
        /* The slow answer leaves the server 1500 ms after the slow row arrived:
         * a row that arrived before then did not wait for it. */
        double late = r->t_ms - slow[0]->t_ms;
        if (late >= 1500) {
            fail_msg("%s arrived %.0f ms after the slow row, which is held 1500 ms: it "
                     "waited for the slow answer",
                     r->user, late);
        }
    }
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), M);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_thousand_pairs_once_each, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_two_thousand_pairs_over_three_lanes, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_concurrency_is_a_ceiling, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_slow_first_row_does_not_block_others, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
