/* test_dirpage.c: the URLs of the directory reads and what their pages say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dirpage.h"

static void url_is(enum dir_read kind, const char *account, const char *id, const char *cursor,
                   unsigned limit, const char *want)
{
    struct buf b = {0};
    assert_int_equal(dir_url(&b, "https://api.truto.one/", kind, account, id, cursor, limit), 0);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_urls(void **state)
{
    (void)state;
    url_is(DIR_MEMBERS, "acc 1", "g/1", NULL, 0,
           "https://api.truto.one/unified/user-directory/users?integrated_account_id=acc%201"
           "&group_id=g%2F1&limit=100");
    url_is(DIR_MEMBERS, "a", "g", "c+/=&x", 7,
           "https://api.truto.one/unified/user-directory/users?integrated_account_id=a"
           "&group_id=g&limit=7&next_cursor=c%2B%2F%3D%26x");
    url_is(DIR_USER, "a", "00u1/..?x", NULL, 0,
           "https://api.truto.one/unified/user-directory/users/00u1%2F..%3Fx"
           "?integrated_account_id=a");
    url_is(DIR_USER_GROUPS, "a", "u@x.com", NULL, 0,
           "https://api.truto.one/unified/user-directory/groups?integrated_account_id=a"
           "&user_id=u%40x.com&limit=100");
    url_is(DIR_PROBE, "a", NULL, NULL, 50,
           "https://api.truto.one/unified/user-directory/groups?integrated_account_id=a&limit=1");
}

static const char page1[] =
    "{\"result\":[{\"id\":\"u1\",\"name\":\"Ann\",\"username\":\"ann\","
    "\"emails\":[{\"email\":\"a2@x\",\"is_primary\":false},{\"email\":\"a@x\",\"is_primary\":true}]},"
    "{\"id\":42,\"username\":\"bob@x\"},"
    "{\"id\":\"u3\",\"emails\":[{\"email\":\"c@x\"}]}],\"next_cursor\":\"abc=\"}";

static void test_page(void **state)
{
    (void)state;
    struct dir_page p;
    char err[200];
    assert_int_equal(dir_page_parse(&p, page1, strlen(page1), err, sizeof err), 0);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.items[0].id, "u1");
    assert_string_equal(p.items[0].name, "Ann");
    assert_string_equal(p.items[0].email, "a@x");          /* the primary one */
    assert_string_equal(p.items[1].id, "42");              /* a number id */
    assert_string_equal(p.items[1].name, "bob@x");         /* no name: the username */
    assert_string_equal(p.items[1].email, "bob@x");        /* a username with '@' */
    assert_string_equal(p.items[2].email, "c@x");          /* the first when none primary */
    assert_string_equal(p.next_cursor, "abc=");
    dir_page_free(&p);

    static const char last[] = "{\"result\":[],\"next_cursor\":null}";
    assert_int_equal(dir_page_parse(&p, last, strlen(last), err, sizeof err), 0);
    assert_int_equal(p.n, 0);
    assert_null(p.next_cursor);
    dir_page_free(&p);
    static const char empty_cursor[] = "{\"result\":[{\"id\":\"g\"}],\"next_cursor\":\"\"}";
    assert_int_equal(dir_page_parse(&p, empty_cursor, strlen(empty_cursor), err, sizeof err), 0);
    assert_null(p.next_cursor);
    dir_page_free(&p);
}

static void bad_page(const char *body, const char *want)
{
    struct dir_page p;
    char err[200] = "";
    assert_int_equal(dir_page_parse(&p, body, strlen(body), err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    assert_int_equal(p.n, 0);
    assert_null(p.items);
}

static void test_bad_pages(void **state)
{
    (void)state;
    bad_page("", "not a JSON object");
    bad_page("[1]", "not a JSON object");
    bad_page("{\"result\":[{\"id\":\"a\"}", "not a JSON object");  /* cut off */
    bad_page("{\"results\":[]}", "no \"result\" array");
    bad_page("{\"result\":{}}", "no \"result\" array");
    bad_page("{\"result\":[],\"next_cursor\":5}", "next_cursor is not a string");
    bad_page("{\"result\":[{\"id\":\"a\"},{\"name\":\"x\"}]}", "item 2 of the page has no id");
    bad_page("{\"result\":[{\"id\":1.5}]}", "item 1 of the page has no id");
    bad_page("{\"result\":[\"a\"]}", "item 1 of the page has no id");
    bad_page("{\"result\":[{\"id\":\"\"}]}", "item 1 of the page: empty id");
    bad_page("{\"result\":[{\"id\":\"a\\nb\"}]}", "item 1 of the page:");
}

static void test_user(void **state)
{
    (void)state;
    struct dir_user u;
    char err[200];
    static const char with[] = "{\"id\":\"u1\",\"name\":\"Ann\",\"groups\":[{\"id\":\"g1\","
                               "\"name\":\"Eng\"},{\"id\":\"g2\"}]}";
    assert_int_equal(dir_user_parse(&u, with, strlen(with), err, sizeof err), 0);
    assert_true(u.has_groups);
    assert_string_equal(u.self.id, "u1");
    assert_int_equal(u.groups.n, 2);
    assert_string_equal(u.groups.items[0].name, "Eng");
    assert_string_equal(u.groups.items[1].name, "");
    dir_user_free(&u);

    static const char none[] = "{\"id\":\"u1\",\"groups\":[]}";
    assert_int_equal(dir_user_parse(&u, none, strlen(none), err, sizeof err), 0);
    assert_true(u.has_groups);  /* an empty list is an answer: no groups */
    assert_int_equal(u.groups.n, 0);
    dir_user_free(&u);

    /* No "groups" at all, or not a list: the provider does not map it. */
    static const char absent[] = "{\"id\":\"u1\",\"name\":\"Ann\"}";
    assert_int_equal(dir_user_parse(&u, absent, strlen(absent), err, sizeof err), 0);
    assert_false(u.has_groups);
    dir_user_free(&u);
    static const char null_groups[] = "{\"id\":\"u1\",\"groups\":null}";
    assert_int_equal(dir_user_parse(&u, null_groups, strlen(null_groups), err, sizeof err), 0);
    assert_false(u.has_groups);
    dir_user_free(&u);

    static const char bad_group[] = "{\"id\":\"u1\",\"groups\":[{\"name\":\"x\"}]}";
    assert_int_equal(dir_user_parse(&u, bad_group, strlen(bad_group), err, sizeof err), -1);
    assert_non_null(strstr(err, "no id"));
    static const char no_id[] = "{\"name\":\"x\"}";
    assert_int_equal(dir_user_parse(&u, no_id, strlen(no_id), err, sizeof err), -1);
    assert_non_null(strstr(err, "no usable id"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_bad_pages),
        cmocka_unit_test(test_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
