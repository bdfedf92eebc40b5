/* test_skew.c: the estimate of the server's clock against the host's, on a
 * fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "skew.h"

/* Answers from a server whose clock is skew seconds off, at host times
 * t0, t0 + step, ...: each Date is the server's time truncated. */
static int feed(struct skew *k, double skew, double t0, double step, int n)
{
    int said = 0;
    for (int i = 0; i < n; i++) {
        double host = t0 + i * step, server = host + skew;
        said += skew_sample(k, floor(server), host);
    }
    return said;
}

static void test_estimate_and_bound(void **state)
{
    (void)state;
    const double skews[] = {-3600, -300, -5.5, 0, 0.7, 5.5, 300, 3600};
    for (size_t i = 0; i < sizeof skews / sizeof *skews; i++) {
        struct skew k;
        memset(&k, 0, sizeof k);
        int said = feed(&k, skews[i], 1700000000.13, 0.137, 60);
        assert_true(fabs(k.est_s - skews[i]) < 0.35);
        /* The bound is never above the truth, and close to it once answers
         * have straddled second boundaries. */
        assert_true(k.lo_s <= skews[i] + 1e-9);
        assert_true(k.lo_s > skews[i] - 0.15);
        assert_int_equal(said, fabs(skews[i]) > SKEW_WARN_S ? 1 : 0);
        assert_int_equal(k.said, said);
    }
}

static void test_said_once_and_not_on_one_answer(void **state)
{
    (void)state;
    struct skew k;
    memset(&k, 0, sizeof k);
    assert_int_equal(skew_sample(&k, 1700000300.0, 1700000000.0), 0);
    assert_int_equal(skew_sample(&k, 1700000300.0, 1700000000.1), 0);
    assert_int_equal(skew_sample(&k, 1700000300.0, 1700000000.2), 1);  /* the third */
    assert_int_equal(feed(&k, 300, 1700000001.0, 0.1, 50), 0);         /* never again */
    /* A single odd answer among true ones says nothing. */
    memset(&k, 0, sizeof k);
    assert_int_equal(skew_sample(&k, 1700000900.0, 1700000000.0), 0);
    assert_int_equal(feed(&k, 0, 1700000000.0, 0.5, 20), 0);
}

/* The host's clock stepping back (NTP) mid-run: the old bound no longer
 * holds, and the new one is taken. */
static void test_step_takes_the_new_bound(void **state)
{
    (void)state;
    struct skew k;
    memset(&k, 0, sizeof k);
    feed(&k, 0, 1700000000.0, 0.1, 30);
    assert_true(k.lo_s <= 0 && k.lo_s > -0.15);
    feed(&k, 120, 1699999883.0, 0.1, 30);  /* the host now 120 s behind */
    assert_true(k.lo_s <= 120 && k.lo_s > 119.85);
}

static void test_host(void **state)
{
    (void)state;
    char h[64];
    skew_host("https://api.truto.one", h, sizeof h);
    assert_string_equal(h, "api.truto.one");
    skew_host("http://127.0.0.1:8080/x?y", h, sizeof h);
    assert_string_equal(h, "127.0.0.1");
    skew_host("https://user:pw@host.example:443/", h, sizeof h);
    assert_string_equal(h, "host.example");
    skew_host("https://[::1]:8443/", h, sizeof h);
    assert_string_equal(h, "[::1]:8443");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate_and_bound),
        cmocka_unit_test(test_said_once_and_not_on_one_answer),
        cmocka_unit_test(test_step_takes_the_new_bound),
        cmocka_unit_test(test_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
