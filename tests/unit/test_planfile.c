/* test_planfile.c: the plan's rows (sorted, written once) and the lists that
 * leave rows out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "planfile.h"

static void add(struct planset *p, const char *a, const char *g, const char *u, const char *gn,
                const char *un, const char *src)
{
    struct plan_row r = {.account = a, .group = g, .user = u, .group_name = gn, .user_name = un,
                         .user_email = NULL, .source = src};
    assert_int_equal(planset_add(p, &r), 0);
}

static void test_sorted_and_once(void **state)
{
    (void)state;
    struct planset p;
    planset_init(&p);
    add(&p, "b", "g1", "u1", "G1", "", "user.groups");
    add(&p, "a", "g2", "u2", "", "U2", "group-members");
    add(&p, "a", "g1", "u2", "", "", "group-members");
    add(&p, "a", "g2", "u2", "Two", "", "list-groups");   /* the same pair again */
    add(&p, "a", "g2", "u1", NULL, NULL, "group-members");
    planset_sort(&p);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.duplicates, 1);
    /* account, then user, then group */
    const char *want[][3] = {{"a", "u1", "g2"}, {"a", "u2", "g1"}, {"a", "u2", "g2"},
                             {"b", "u1", "g1"}};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(p.rows[i].account, want[i][0]);
        assert_string_equal(p.rows[i].user, want[i][1]);
        assert_string_equal(p.rows[i].group, want[i][2]);
    }
    /* The first added kept, with the name it lacked from the other, both sources. */
    assert_string_equal(p.rows[2].user_name, "U2");
    assert_string_equal(p.rows[2].group_name, "Two");
    assert_string_equal(p.rows[2].source, "group-members+list-groups");

    struct buf b = {0};
    assert_int_equal(planset_csv(&p, &b), 0);
    assert_string_equal(b.p,
        "group_id,user_id,integrated_account_id,group_name,user_name,user_email,source\n"
        "g2,u1,a,,,,group-members\n"
        "g1,u2,a,,,,group-members\n"
        "g2,u2,a,Two,U2,,group-members+list-groups\n"
        "g1,u1,b,G1,,,user.groups\n");
    buf_free(&b);
    planset_free(&p);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    struct planset p;
    planset_init(&p);
    add(&p, "a", "g,1", "u\"1", "Sales, EMEA", " lead", "user.groups");
    struct buf b = {0};
    assert_int_equal(planset_csv(&p, &b), 0);
    assert_non_null(strstr(b.p, "\n\"g,1\",\"u\"\"1\",a,\"Sales, EMEA\",\" lead\",,user.groups\n"));
    buf_free(&b);
    planset_free(&p);
}

/* A name a spreadsheet would run is written after a '; ids never change. */
static void test_formula_names(void **state)
{
    (void)state;
    struct planset p;
    planset_init(&p);
    add(&p, "a", "=g", "-u", "=HYPERLINK(\"x\")", "@bob", "user.groups");
    struct buf b = {0};
    assert_int_equal(planset_csv(&p, &b), 0);
    assert_non_null(strstr(b.p, "\n=g,-u,a,\"'=HYPERLINK(\"\"x\"\")\",'@bob,,user.groups\n"));
    buf_free(&b);
    planset_free(&p);
}

static int even_tag(size_t tag, void *ctx)
{
    (void)ctx;
    return tag % 2 == 0;
}

static void test_keep_by_tag(void **state)
{
    (void)state;
    struct planset p;
    planset_init(&p);
    for (size_t i = 0; i < 6; i++) {
        char u[8];
        snprintf(u, sizeof u, "u%zu", i);
        struct plan_row r = {.account = "a", .group = "g", .user = u, .source = "s", .tag = i};
        assert_int_equal(planset_add(&p, &r), 0);
    }
    planset_keep(&p, even_tag, NULL);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.rows[0].user, "u0");
    assert_string_equal(p.rows[1].user, "u2");
    assert_string_equal(p.rows[2].user, "u4");
    planset_free(&p);
}

static void test_many_rows(void **state)
{
    (void)state;
    struct planset p;
    planset_init(&p);
    char g[32], u[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(g, sizeof g, "g%05d", i % 97);
        snprintf(u, sizeof u, "u%05d", (i * 7919) % 10007);
        add(&p, "acct", g, u, "", "", "group-members");
    }
    planset_sort(&p);
    assert_int_equal(p.n + p.duplicates, 20000);
    for (size_t i = 1; i < p.n; i++) {
        int c = strcmp(p.rows[i - 1].user, p.rows[i].user);
        assert_true(c < 0 || (c == 0 && strcmp(p.rows[i - 1].group, p.rows[i].group) < 0));
    }
    planset_free(&p);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/test_planfile-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_idlist_lines(void **state)
{
    (void)state;
    char *path = write_tmp("\xEF\xBB\xBF" "00gEveryone\n\n# app groups\n  00gApp1  \r\n00gApp2");
    struct idlist l;
    char err[300];
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, path, "group_id", err, sizeof err), 0);
    assert_int_equal(l.n, 3);
    assert_true(idlist_has(&l, "00gEveryone", 11));
    assert_true(idlist_has(&l, "00gApp1", 7));
    assert_true(idlist_has(&l, "00gApp2", 7));
    assert_false(idlist_has(&l, "# app groups", 12));
    assert_false(idlist_has(&l, "00gApp", 6));
    idlist_free(&l);
    unlink(path);
    free(path);
}

/* A list of one id a line is trimmed by isspace: a form-feed page break is a
 * blank line, and \v or \f around an id are blanks, not part of it. */
static void test_idlist_lines_page_breaks(void **state)
{
    (void)state;
    char *path = write_tmp("00gA\n\f\n\v 00gB\f\r\n");
    struct idlist l;
    char err[300];
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, path, "group_id", err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_true(idlist_has(&l, "00gA", 4));
    assert_true(idlist_has(&l, "00gB", 4));
    idlist_free(&l);
    unlink(path);
    free(path);

    /* A one-column header is matched with blanks around it trimmed. */
    path = write_tmp("  group_id \n00gC\n");
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, path, "group_id", err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    assert_true(idlist_has(&l, "00gC", 4));
    assert_false(idlist_has(&l, "group_id", 8));
    idlist_free(&l);
    unlink(path);
    free(path);
}

static void test_idlist_csv(void **state)
{
    (void)state;
    char *path = write_tmp("name; Group_ID \nEveryone;00gE\n\"App, one\";00gA\n");
    struct idlist l;
    char err[300];
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, path, "group_id", err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_true(idlist_has(&l, "00gE", 4));
    assert_true(idlist_has(&l, "00gA", 4));
    assert_false(idlist_has(&l, "Everyone", 8));
    idlist_free(&l);
    unlink(path);
    free(path);

    /* A user list's header names user_id, not group_id: for group_id it is lines. */
    path = write_tmp("user_id\nadmin1\n");
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, path, "user_id", err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    assert_true(idlist_has(&l, "admin1", 6));
    idlist_free(&l);
    unlink(path);
    free(path);
}

static void test_idlist_errors(void **state)
{
    (void)state;
    struct idlist l;
    char err[300];
    idlist_init(&l);
    assert_int_equal(idlist_load(&l, "/nonexistent/except.txt", "user_id", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open '/nonexistent/except.txt'"));
    char *path = write_tmp("user_id,x\nok,1\n,2\n");
    assert_int_equal(idlist_load(&l, path, "user_id", err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s line 3: empty user_id", path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);
    path = write_tmp("a\x01" "b\n");
    assert_int_equal(idlist_load(&l, path, "user_id", err, sizeof err), -1);
    snprintf(want, sizeof want, "%s line 1:", path);
    assert_non_null(strstr(err, want));
    unlink(path);
    free(path);
    /* A keep list is never half read: an export whose header lacks the column,
     * or a line holding a separator or a quote, is refused. */
    const char *bad[][2] = {
        {"id,login\nu2,admin@example.com\n", "line 1: a CSV header without a user_id column"},
        {"Group ID;Name\ng1;x\n", "line 1: a CSV header without a user_id column"},
        {"\"u2\"\n", "line 1: a CSV header without a user_id column"},
        {"u1\nu2,admin\n", "line 2: a separator or quote in a list of one user_id a line"},
        {"# keep\nu1\n\"u2\"\n", "line 3: a separator or quote"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        path = write_tmp(bad[i][0]);
        assert_int_equal(idlist_load(&l, path, "user_id", err, sizeof err), -1);
        snprintf(want, sizeof want, "%s %s", path, bad[i][1]);
        assert_non_null(strstr(err, want));
        unlink(path);
        free(path);
    }
    idlist_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_and_once),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_formula_names),
        cmocka_unit_test(test_keep_by_tag),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_idlist_lines),
        cmocka_unit_test(test_idlist_lines_page_breaks),
        cmocka_unit_test(test_idlist_csv),
        cmocka_unit_test(test_idlist_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
