/* it_plan.c: `grouprm plan` and `grouprm check` against the local server's
 * directory (its --members table).
 *
 *  - --members-of pages through a group (the server caps the page at 10, so
 *    25 members take 3 pages, each cursor passed back), and the plan is a
 *    valid input, sorted, with nothing else in it.
 *  - --groups-of reads each user's object in two accounts; where the server
 *    puts no "groups" on it, List Groups by user_id is used, and the source
 *    column says which; where that fails too, the user is reported with its
 *    line and nothing is planned for it (exit 1), never "no groups".
 *  - Unknown users and groups are reported with their lines (exit 1), the
 *    rest is planned; a refused token stops the plan and writes none (exit 3).
 *  - Reads are paced under the account and token limits, on the journal; told
 *    too high a limit, the 429s are retried and the plan is still whole.
 *  - --except-groups and --except-users leave rows out and count them; a
 *    user listed twice is read once and planned once.
 *  - End to end: plan a leaver, dry-run, run: the server then holds none of
 *    the leaver's memberships but the excepted group; --undo puts them back.
 *  - A group whose later page cannot be read leaves none of its rows; with no
 *    answer at all the plan stops (exit 2) and writes none; a keep list that
 *    cannot be read as one is refused before anything is read.
 *  - check: one line per account; exit 0, 1 (a blocked account, or Truto's
 *    own 404), 2 (nothing listening) and 3 (a refused token); --summary-json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

#define TOL_MS 20.0

/* A members table: groups gm0..gm(n-1) of account acc1 in group "big". */
static const char *write_members(struct it_ctx *c, size_t big)
{
    const char *path = it_path(c, "members.csv");
    size_t cap = (big + 16) * 3;
    const char **cells = it_own(c, calloc(cap, sizeof *cells), free);
    size_t n = 0;
    const char *head[] = {"group_id", "user_id", "integrated_account_id"};
    memcpy(cells, head, sizeof head);
    n = 1;
#define ROW(g, u, a) (cells[n * 3] = (g), cells[n * 3 + 1] = (u), cells[n * 3 + 2] = (a), n++)
    for (size_t i = 0; i < big; i++)
        ROW("big", it_fmt(c, "m%03zu", i), "acc1");
    ROW("g1", "u1", "acc1");
    ROW("g2", "u1", "acc1");
    ROW("g1", "u2", "acc1");
    ROW("gEveryone", "u1", "acc1");
    ROW("gEveryone", "u2", "acc1");
    ROW("g3", "u1", "acc2");
    ROW("g4", "u3", "acc2");
#undef ROW
    write_csv(path, 3, cells, n);
    return path;
}

static int is_get_path(const struct jrow *r, const void *arg)
{
    return strcmp(r->method, "GET") == 0 && strcmp(r->path, (const char *)arg) == 0;
}

static int is_get(const struct jrow *r, const void *arg)
{
    (void)arg;
    return strcmp(r->method, "GET") == 0;
}

static void expect_plan_row(const struct csv_table *t, const char *g, const char *u,
                            const char *a, const char *source)
{
    long r = -1;
    for (size_t i = 0; i < t->nrows; i++)
        if (strcmp(table_get(t, i, "group_id"), g) == 0 &&
            strcmp(table_get(t, i, "user_id"), u) == 0 &&
            strcmp(table_get(t, i, "integrated_account_id"), a) == 0)
            r = (long)i;
    if (r < 0)
        fail_msg("the plan has no row %s,%s,%s", g, u, a);
    if (source)
        assert_string_equal(table_get(t, (size_t)r, "source"), source);
}

static struct csv_table *plan_load(struct it_ctx *c, const char *path)
{
    struct csv_table *t = table_load(c, path);
    assert_string_equal(t->first_line,
                        "group_id,user_id,integrated_account_id,group_name,user_name,"
                        "user_email,source");
    /* Sorted by account, user, group; each pair once. */
    for (size_t i = 1; i < t->nrows; i++) {
        const char *k[2][3];
        for (int w = 0; w < 2; w++) {
            k[w][0] = table_get(t, i - 1 + (size_t)w, "integrated_account_id");
            k[w][1] = table_get(t, i - 1 + (size_t)w, "user_id");
            k[w][2] = table_get(t, i - 1 + (size_t)w, "group_id");
        }
        int cmp = strcmp(k[0][0], k[1][0]);
        if (!cmp)
            cmp = strcmp(k[0][1], k[1][1]);
        if (!cmp)
            cmp = strcmp(k[0][2], k[1][2]);
        assert_true(cmp < 0);
    }
    return t;
}

static int plan(struct it_ctx *c, ...)
{
    const char *args[40];
    size_t n = 0;
    args[n++] = "plan";
    args[n++] = "--base-url";
    args[n++] = c->base_url;
    va_list ap;
    va_start(ap, c);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 38)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return it_runv(c, args);
}

/* ---- --members-of ---------------------------------------------------------- */

static void test_members_of_pages(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 25), "--page-max", "10", NULL);
    it_write_file(it_path(c, "groups.csv"), "group_id\nbig\n");
    int rc = plan(c, "--members-of", "groups.csv", "-a", "acc1", "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 25);
    for (size_t i = 0; i < 25; i++) {
        assert_string_equal(table_get(t, i, "group_id"), "big");
        assert_string_equal(table_get(t, i, "user_id"), it_fmt(c, "m%03zu", i));
        assert_string_equal(table_get(t, i, "integrated_account_id"), "acc1");
        assert_string_equal(table_get(t, i, "source"), "group-members");
        assert_string_equal(table_get(t, i, "user_email"), it_fmt(c, "m%03zu@example.com", i));
    }
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count(j, is_get_path, "/unified/user-directory/users"), 3);
    assert_int_equal(journal_count(j, is_get, NULL), 3);
    assert_int_equal(j->n, 3);  /* nothing but reads */
    size_t cursors = 0;
    for (size_t i = 0; i < j->n; i++) {
        assert_non_null(strstr(j->rows[i].query, "group_id=big"));
        assert_non_null(strstr(j->rows[i].query, "limit=100"));
        cursors += strstr(j->rows[i].query, "next_cursor=") != NULL;
        assert_int_equal(j->rows[i].status, 200);
    }
    assert_int_equal(cursors, 2);

    /* The plan is an input as it is. */
    it_mock_start(c, "--members", it_path(c, "members.csv"), NULL);
    rc = it_grouprm(c, "plan.csv", "--dry-run", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *res = results_load(c, c->results);
    assert_int_equal(res->nrows, 25);
    assert_int_equal(table_count(res, "status", "dry_run"), 25);
}

/* ---- --groups-of ------------------------------------------------------------ */

static const char *write_users(struct it_ctx *c)
{
    const char *path = it_path(c, "users.csv");
    it_write_file(path, "user_id,integrated_account_id\nu1,acc1\nu2,acc1\nu1,acc2\n");
    return path;
}

static void expect_two_accounts(struct it_ctx *c, const char *source)
{
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 6);
    expect_plan_row(t, "g1", "u1", "acc1", source);
    expect_plan_row(t, "g2", "u1", "acc1", source);
    expect_plan_row(t, "gEveryone", "u1", "acc1", source);
    expect_plan_row(t, "g1", "u2", "acc1", source);
    expect_plan_row(t, "gEveryone", "u2", "acc1", source);
    expect_plan_row(t, "g3", "u1", "acc2", source);
    long r = table_find2(t, "group_id", "g3", "integrated_account_id", "acc2");
    assert_true(r >= 0);
    assert_string_equal(table_get(t, (size_t)r, "group_name"), "Group g3");
    assert_string_equal(table_get(t, (size_t)r, "user_name"), "User u1");
}

static void test_groups_of_two_accounts(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 0), NULL);
    write_users(c);
    int rc = plan(c, "--groups-of", "users.csv", "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    expect_two_accounts(c, "user.groups");
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);  /* one user object each */
    assert_int_equal(journal_count(j, is_get_path, "/unified/user-directory/users/u1"), 2);
    assert_int_equal(journal_count(j, is_get_path, "/unified/user-directory/users/u2"), 1);
}

static void test_user_without_groups(void **state)
{
    struct it_ctx *c = *state;
    const char *members = write_members(c, 0);
    write_users(c);
    /* No "groups" on the object: List Groups by user_id instead. */
    it_mock_start(c, "--members", members, "--no-user-groups", NULL);
    int rc = plan(c, "--groups-of", "users.csv", "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    expect_two_accounts(c, "list-groups");
    /* Said once per account, not once per user. */
    assert_int_equal(count_lines_with(c->err, "puts no \"groups\" on user objects"), 2);
    assert_non_null(strstr(c->err, "account 'acc1': the provider puts no \"groups\" on user "
                                   "objects (users.csv line 2, user 'u1')"));
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count(j, is_get_path, "/unified/user-directory/groups"), 3);

    /* And no user_id filter either: reported, never planned as empty. */
    it_mock_start(c, "--members", members, "--no-user-groups", "--no-groups-user-filter", NULL);
    rc = plan(c, "--groups-of", "users.csv", "-o", "plan2.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    assert_non_null(strstr(c->err, "users.csv line 2: user 'u1' in account 'acc1' could not "
                                   "be read"));
    assert_non_null(strstr(c->err, "users.csv line 3: user 'u2'"));
    assert_non_null(strstr(c->err, "users.csv line 4: user 'u1' in account 'acc2'"));
    assert_non_null(strstr(c->err, "no \"groups\""));
    struct csv_table *t = plan_load(c, it_path(c, "plan2.csv"));
    assert_int_equal(t->nrows, 0);
}

static void test_unknown_user_and_group(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 3), NULL);
    it_write_file(it_path(c, "users.csv"), "user_id\nu1\nnobody\nu2\n");
    int rc = plan(c, "--groups-of", "users.csv", "-a", "acc1", "-o", "plan.csv",
                  "--summary-json", "s.json", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    assert_non_null(strstr(c->err, "users.csv line 3: user 'nobody' not found in account "
                                   "'acc1'"));
    char *sum = it_read_file(c, it_path(c, "s.json"), NULL);
    assert_non_null(strstr(sum, "\"not_found\":\t[{\n\t\t\t\"line\":\t3,"));
    assert_non_null(strstr(sum, "\"id\":\t\"nobody\""));
    assert_non_null(strstr(sum, "\"memberships\":\t5,"));
    assert_non_null(strstr(sum, "\"exit_code\":\t1,"));
    assert_int_equal(count_lines_with(c->err, "not found in account"), 1);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 5);  /* u1: g1, g2, gEveryone; u2: g1, gEveryone */
    assert_int_equal(table_count(t, "user_id", "nobody"), 0);

    it_write_file(it_path(c, "groups.csv"), "group_id,integrated_account_id\nnone,acc1\n"
                                            "big,acc1\n");
    rc = plan(c, "--members-of", "groups.csv", "-o", "plan2.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    assert_non_null(strstr(c->err, "groups.csv line 2: group 'none' not found"));
    t = plan_load(c, it_path(c, "plan2.csv"));
    assert_int_equal(t->nrows, 3);
}

static void test_bad_token(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 0), NULL);
    write_users(c);
    it_set_token(c, "not-the-token");
    int rc = plan(c, "--groups-of", "users.csv", "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    it_mock_stop(c);
    assert_non_null(strstr(c->err, "the API token was refused"));
    assert_false(file_exists(it_path(c, "plan.csv")));
    assert_null(strstr(c->err, "not-the-token"));
    struct journal *j = journal_load(c);
    assert_true(j->n >= 1 && j->n <= 3);
    assert_int_equal(journal_count_status(j, 401), j->n);
}

/* ---- pacing ------------------------------------------------------------------ */

static void test_reads_paced(void **state)
{
    struct it_ctx *c = *state;
    /* 24 groups in two accounts; each account at 4/s, the token at 6/s. */
    const char *path = it_path(c, "members.csv");
    const char *cells[3 * 49] = {"group_id", "user_id", "integrated_account_id"};
    const char *list[3 * 25] = {"group_id", "integrated_account_id", ""};
    for (size_t i = 0; i < 24; i++) {
        const char *g = it_fmt(c, "g%02zu", i), *a = i % 2 ? "acc2" : "acc1";
        cells[(i + 1) * 3] = g;
        cells[(i + 1) * 3 + 1] = "u1";
        cells[(i + 1) * 3 + 2] = a;
        cells[(i + 25) * 3] = g;
        cells[(i + 25) * 3 + 1] = "u2";
        cells[(i + 25) * 3 + 2] = a;
        list[(i + 1) * 3] = g;
        list[(i + 1) * 3 + 1] = a;
        list[(i + 1) * 3 + 2] = "";
    }
    write_csv(path, 3, cells, 49);
    write_csv(it_path(c, "groups.csv"), 3, list, 25);
    it_mock_start(c, "--members", path, NULL);
    int rc = plan(c, "--members-of", "groups.csv", "-o", "plan.csv", "--account-rate", "4/1s",
                  "--token-rate", "6/1s", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 48);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 24);
    assert_true(journal_max_in_window(j, "acc1", 1000, TOL_MS) <= 4);
    assert_true(journal_max_in_window(j, "acc2", 1000, TOL_MS) <= 4);
    assert_true(journal_max_in_window(j, NULL, 1000, TOL_MS) <= 6);
    assert_int_equal(journal_count_status(j, 200), 24);
}

/* Told 10x the server's limit: the 429s are retried after their Retry-After,
 * and the plan is still whole. */
static void test_reads_refused_are_retried(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 40), "--page-max", "2", "--no-rate-headers",
                  "--account-limit", "3/1s", NULL);
    it_write_file(it_path(c, "groups.csv"), "group_id\nbig\ng1\n");
    int rc = plan(c, "--members-of", "groups.csv", "-a", "acc1", "-o", "plan.csv",
                  "--account-rate", "30/1s", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 42);
    struct journal *j = journal_load(c);
    size_t refused = journal_count_status(j, 429);
    assert_true(refused >= 1);
    assert_int_equal(journal_count_status(j, 200), 21);  /* 20 pages of big, 1 of g1 */
    assert_int_equal(j->n, 21 + refused);
    assert_non_null(strstr(c->err, it_fmt(c, "(%zu 429s,", refused)));
}

/* A group whose later page cannot be read leaves none of its rows in the plan. */
static void test_partial_list_left_out(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 9), "--page-max", "2", "--no-rate-headers",
                  "--account-limit", "2/30s", NULL);
    it_write_file(it_path(c, "groups.csv"), "group_id\nbig\n");
    int rc = plan(c, "--members-of", "groups.csv", "-a", "acc1", "-o", "plan.csv",
                  "--max-attempts", "1", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    assert_non_null(strstr(c->err, "groups.csv line 2: group 'big' in account 'acc1' could not "
                                   "be read: a later page: HTTP 429"));
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 0);
    struct journal *j = journal_load(c);
    assert_int_equal(journal_count_status(j, 200), 2);  /* 4 members were read, and dropped */
}

/* No answer at all: the server is the trouble, not the users. Exit 2, no plan. */
static void test_no_answer(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    it_mock_stop(c);  /* its port is closed now */
    write_users(c);
    int rc = plan(c, "--groups-of", "users.csv", "-o", "plan.csv", "--max-attempts", "2", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "no answer from http://127.0.0.1:"));
    assert_non_null(strstr(c->err, "the plan was not written"));
    assert_false(file_exists(it_path(c, "plan.csv")));
}

/* ---- what is left out ----------------------------------------------------------- */

static void test_except_and_duplicates(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--members", write_members(c, 0), NULL);
    it_write_file(it_path(c, "users.csv"), "user_id,integrated_account_id\nu1,acc1\nu2,acc1\n"
                                           "u1,acc1\n");
    it_write_file(it_path(c, "keep-groups.txt"), "# never these\ngEveryone\n");
    it_write_file(it_path(c, "keep-users.csv"), "name,user_id\nBreak glass,u2\n");
    int rc = plan(c, "--groups-of", "users.csv", "-o", "plan.csv", "--except-groups",
                  "keep-groups.txt", "--except-users", "keep-users.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 2);
    expect_plan_row(t, "g1", "u1", "acc1", "user.groups");
    expect_plan_row(t, "g2", "u1", "acc1", "user.groups");
    assert_non_null(strstr(c->err, "1 listed user,"));
    assert_non_null(strstr(c->err, "1 by --except-groups"));
    assert_non_null(strstr(c->err, "repeated lines read once"));
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 1);  /* u1 once; u2 never read */

    /* A keep list that cannot be read as one is refused, and nothing is read. */
    it_write_file(it_path(c, "export.csv"), "id,login\nu2,admin@example.com\n");
    rc = plan(c, "--groups-of", "users.csv", "-o", "plan3.csv", "--except-users", "export.csv",
              NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "export.csv line 1: a CSV header without a user_id column"));
    assert_false(file_exists(it_path(c, "plan3.csv")));

    /* The keep list of a cleanup: empty gEveryone except u2. */
    it_mock_start(c, "--members", it_path(c, "members.csv"), NULL);
    it_write_file(it_path(c, "groups.csv"), "group_id\ngEveryone\n");
    rc = plan(c, "--members-of", "groups.csv", "-a", "acc1", "-o", "plan2.csv",
              "--except-users", "keep-users.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    t = plan_load(c, it_path(c, "plan2.csv"));
    assert_int_equal(t->nrows, 1);
    expect_plan_row(t, "gEveryone", "u1", "acc1", "group-members");
    assert_non_null(strstr(c->err, "1 by --except-users"));
}

/* ---- end to end -------------------------------------------------------------------- */

static void test_leaver_end_to_end(void **state)
{
    struct it_ctx *c = *state;
    const char *members = write_members(c, 0);
    /* The server keeps its table across the runs below: one mock for all. */
    it_mock_start(c, "--members", members, "--unremovable-group", "gEveryone", NULL);
    it_write_file(it_path(c, "leaver.csv"), "user_id\nu1\n");
    it_write_file(it_path(c, "keep.txt"), "gEveryone\n");
    int rc = plan(c, "--groups-of", "leaver.csv", "-a", "acc1", "--except-groups", "keep.txt",
                  "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    struct csv_table *t = plan_load(c, it_path(c, "plan.csv"));
    assert_int_equal(t->nrows, 2);
    rc = it_grouprm(c, "plan.csv", "--dry-run", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    /* The run starts again over the dry run's record. */
    rc = it_grouprm(c, "plan.csv", "--overwrite", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    expect_all_removed(c, 2);

    /* What the server holds now: only the excepted group. */
    rc = plan(c, "--groups-of", "leaver.csv", "-a", "acc1", "-o", "after.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    t = plan_load(c, it_path(c, "after.csv"));
    assert_int_equal(t->nrows, 1);
    expect_plan_row(t, "gEveryone", "u1", "acc1", NULL);

    /* Undo puts them back. */
    rc = it_run(c, "--base-url", c->base_url, "--undo", c->results, "-o", "undo.csv", "-r",
                "undo-retry.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    rc = plan(c, "--groups-of", "leaver.csv", "-a", "acc1", "-o", "back.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    t = plan_load(c, it_path(c, "back.csv"));
    assert_int_equal(t->nrows, 3);
    expect_plan_row(t, "g1", "u1", "acc1", NULL);
    expect_plan_row(t, "g2", "u1", "acc1", NULL);
}

/* ---- check ----------------------------------------------------------------------------- */

static void test_check(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--blocked-account", "acc3", NULL);
    write_pairs(it_path(c, "in.csv"), 3, "acc1");
    it_write_file(it_path(c, "two.csv"), "group_id,user_id,integrated_account_id\ng,u,acc1\n"
                                         "g,u,acc2\ng2,u,acc1\n");
    int rc = it_run(c, "check", "--base-url", c->base_url, "two.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_non_null(strstr(c->err, "account 'acc1': ok"));
    assert_non_null(strstr(c->err, "account 'acc2': ok"));
    assert_int_equal(count_lines_with(c->err, "account '"), 2);

    rc = it_run(c, "--check", "--base-url", c->base_url, "-a", "acc3", "--summary-json",
                "check.json", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    assert_non_null(strstr(c->err, "account 'acc3': "));
    assert_non_null(strstr(c->err, "HTTP 503"));
    assert_int_equal(count_lines_with(c->err, "acc3"), 1);  /* one line per account */
    char *sum = it_read_file(c, it_path(c, "check.json"), NULL);
    assert_non_null(strstr(sum, "\"integrated_account_id\":\t\"acc3\""));
    assert_non_null(strstr(sum, "\"ok\":\tfalse"));
    assert_non_null(strstr(sum, "\"http_status\":\t503"));

    /* A 404 from Truto itself (here: a wrong base path) is no missing account data. */
    rc = it_run(c, "check", "--base-url", it_fmt(c, "%s/v2", c->base_url), "-a", "acc1", NULL);
    IT_EXPECT_EXIT(c, rc, 1);
    assert_non_null(strstr(c->err, "or the base URL is wrong"));

    it_set_token(c, "wrong");
    rc = it_run(c, "check", "--base-url", c->base_url, "-a", "acc1", NULL);
    IT_EXPECT_EXIT(c, rc, 3);
    assert_non_null(strstr(c->err, "the API token was refused"));
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    for (size_t i = 0; i < j->n; i++) {
        assert_string_equal(j->rows[i].method, "GET");
        assert_true(strcmp(j->rows[i].path, "/unified/user-directory/groups") == 0 ||
                    strcmp(j->rows[i].path, "/v2/unified/user-directory/groups") == 0);
        assert_non_null(strstr(j->rows[i].query, "limit=1"));
    }
    assert_int_equal(j->n, 5);

    /* Nothing listening any more: connection trouble. */
    it_set_token(c, IT_TOKEN_DEFAULT);
    rc = it_run(c, "check", "--base-url", c->base_url, "-a", "acc1", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "account 'acc1': "));

    rc = it_run(c, "check", "--base-url", c->base_url, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "needs an INPUT"));
}

static void test_usage(void **state)
{
    struct it_ctx *c = *state;
    int rc = it_run(c, "plan", "-o", "p.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "--groups-of"));
    rc = it_run(c, "plan", "--groups-of", "a.csv", "--members-of", "b.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    rc = it_run(c, "plan", "--groups-of", "a.csv", "--dry-run", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "--dry-run is for a run"));
    rc = it_run(c, "--except-users", "a.csv", "in.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "--except-users is an option of grouprm plan"));
    rc = it_run(c, "plan", "--groups-of", "a.csv", "--base-url", "http://bad host:1", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "bad base URL 'http://bad host:1'"));
    rc = it_run(c, "check", "-a", "x", "-o", "r.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "check writes no results"));
    /* A list with a bad line: nothing is read. */
    it_mock_start(c, NULL);
    it_write_file(it_path(c, "users.csv"), "user_id\nu1\n\"u\x01\"\n");
    rc = plan(c, "--groups-of", "users.csv", "-a", "acc1", "-o", "plan.csv", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "users.csv line 3:"));
    assert_non_null(strstr(c->err, "nothing was read"));
    it_write_file(it_path(c, "nouser.csv"), "group_id\ng1\n");
    rc = plan(c, "--groups-of", "nouser.csv", "-a", "acc1", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "missing required column 'user_id'"));
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_members_of_pages, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_groups_of_two_accounts, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_user_without_groups, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_user_and_group, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bad_token, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_reads_paced, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_reads_refused_are_retried, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_partial_list_left_out, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_no_answer, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_except_and_duplicates, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_leaver_end_to_end, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_check, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_usage, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
