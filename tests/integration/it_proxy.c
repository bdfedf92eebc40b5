/* it_proxy.c: the proxy variables, read once at start the way libcurl reads them.
 *
 * No proxy runs here, so the tests point the proxy variables at a closed port on
 * 127.0.0.1: when grouprm honours a variable, nothing reaches the local server
 * (its journal stays empty) and the rows are not removed; when it must ignore
 * one (no_proxy names the host, or the upper-case HTTP_PROXY), every row is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

#define DEAD_PROXY "http://127.0.0.1:1"

static const char *rows(struct it_ctx *c)
{
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acct-proxy");
    return in;
}

/* The proxy was used: nothing reached the server, no row says removed. */
static void expect_went_to_proxy(struct it_ctx *c, int rc)
{
    IT_EXPECT_EXIT(c, rc, 1);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 0);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(table_count(t, "status", "removed"), 0);
}

static void run_with(struct it_ctx *c, const char *const *env, int proxied)
{
    const char *in = rows(c);
    it_mock_start(c, NULL);
    for (; *env; env++)
        it_add_env(c, *env);
    int rc = it_grouprm(c, in, "--max-attempts", "1", "-c", "2", NULL);
    if (proxied) {
        expect_went_to_proxy(c, rc);
    } else {
        IT_EXPECT_EXIT(c, rc, 0);
        it_mock_stop(c);
        expect_all_removed(c, 3);
    }
}

static void test_http_proxy_is_used(void **state)
{
    const char *env[] = {"http_proxy=" DEAD_PROXY, NULL};
    run_with(*state, env, 1);
}

static void test_all_proxy_is_used(void **state)
{
    const char *env[] = {"ALL_PROXY=" DEAD_PROXY, NULL};
    run_with(*state, env, 1);
}

static void test_no_proxy_naming_the_host_bypasses_it(void **state)
{
    const char *env[] = {"http_proxy=" DEAD_PROXY, "no_proxy=example.com,127.0.0.1", NULL};
    run_with(*state, env, 0);
}

/* A CGI program's environment holds HTTP_PROXY from a request header: it is
 * never taken as the proxy for http://. */
static void test_upper_case_http_proxy_is_ignored(void **state)
{
    const char *env[] = {"HTTP_PROXY=" DEAD_PROXY, NULL};
    run_with(*state, env, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_proxy_is_used, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_all_proxy_is_used, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_no_proxy_naming_the_host_bypasses_it, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_upper_case_http_proxy_is_ignored, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
