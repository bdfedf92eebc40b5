/* test_connect.c: the connection settings taken from the environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "connect.h"

/* A fake environment: "NAME=value" entries. */
static const char *fake_get(const char *name, void *ud)
{
    for (const char *const *e = ud; *e; e++) {
        size_t n = strlen(name);
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

static void expect_proxy(const char *url, const char *const *env, const char *want_proxy,
                         const char *want_noproxy)
{
    const char *p = "unset", *np = "unset";
    proxy_from_env(url, fake_get, (void *)env, &p, &np);
    assert_string_equal(p, want_proxy);
    assert_string_equal(np, want_noproxy);
}

static void test_proxy_from_env_follows_libcurl_rules(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    expect_proxy("https://api.truto.one", none, "", "");
    const char *lower[] = {"https_proxy=http://p1:3128", "HTTPS_PROXY=http://p2:3128",
                           "all_proxy=http://p3:3128", "no_proxy=.corp", NULL};
    expect_proxy("https://api.truto.one", lower, "http://p1:3128", ".corp");
    const char *upper[] = {"HTTPS_PROXY=http://p2:3128", "ALL_PROXY=http://p4:3128",
                           "NO_PROXY=localhost", NULL};
    expect_proxy("https://api.truto.one", upper, "http://p2:3128", "localhost");
    /* For http:// only the lower-case name counts; all_proxy is the fallback. */
    const char *http[] = {"HTTP_PROXY=http://evil:1", "ALL_PROXY=http://p4:3128", NULL};
    expect_proxy("http://127.0.0.1:8080", http, "http://p4:3128", "");
    const char *http_only_upper[] = {"HTTP_PROXY=http://evil:1", NULL};
    expect_proxy("http://127.0.0.1:8080", http_only_upper, "", "");
    const char *http_lower[] = {"http_proxy=http://p5:8080", "https_proxy=http://p1:3128", NULL};
    expect_proxy("http://127.0.0.1:8080", http_lower, "http://p5:8080", "");
    /* Set but empty: no proxy, and all_proxy is not consulted (as libcurl). */
    const char *empty[] = {"https_proxy=", "all_proxy=http://p3:3128", NULL};
    expect_proxy("https://api.truto.one", empty, "", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_from_env_follows_libcurl_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
