/* test_httpdate.c: HTTP dates, the three forms, the calendar's edges and the
 * malformed ones that must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "httpdate.h"

static int date(const char *s, double *out)
{
    return httpdate_parse(s, strlen(s), out);
}

/* ---- HTTP dates --------------------------------------------------------- */

static void test_date_three_forms_agree(void **state)
{
    (void)state;
    double a = 0, b = 0, c = 0;
    assert_int_equal(date("Sun, 06 Nov 1994 08:49:37 GMT", &a), 0);
    assert_int_equal(date("Sunday, 06-Nov-94 08:49:37 GMT", &b), 0);
    assert_int_equal(date("Sun Nov  6 08:49:37 1994", &c), 0);
    assert_true(a == 784111777.0);
    assert_true(b == 784111777.0);
    assert_true(c == 784111777.0);
}

static void test_date_asctime_two_digit_day(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("Wed Nov 16 08:49:37 1994", &t), 0);
    assert_true(t == 784111777.0 + 10 * 86400.0);
}

static void test_date_epoch_and_before(void **state)
{
    (void)state;
    double t = 1;
    assert_int_equal(date("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
    assert_true(t == 0.0);
    assert_int_equal(date("Wed, 31 Dec 1969 23:59:59 GMT", &t), 0);
    assert_true(t == -1.0);
}

static void test_date_leap_years(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("Thu, 29 Feb 2024 12:00:00 GMT", &t), 0);
    assert_true(t == 1709208000.0);
    assert_int_equal(date("Tue, 29 Feb 2000 00:00:00 GMT", &t), 0);
    assert_true(t == 951782400.0);
    assert_int_equal(date("Wed, 29 Feb 2023 00:00:00 GMT", &t), -1);
    assert_int_equal(date("Thu, 29 Feb 1900 00:00:00 GMT", &t), -1);
}

static void test_date_far_future(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("Fri, 31 Dec 9999 23:59:59 GMT", &t), 0);
    assert_true(t == 253402300799.0);
}

static void test_date_leap_second_accepted(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
    assert_true(t == 1483228800.0);
}

static void test_date_rfc850_year_pivot(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("Tuesday, 01-Jan-69 00:00:00 GMT", &t), 0);
    assert_true(t == 3124224000.0);  /* 2069 */
    assert_int_equal(date("Thursday, 01-Jan-70 00:00:00 GMT", &t), 0);
    assert_true(t == 0.0);           /* 1970 */
}

static void test_date_names_case_insensitive(void **state)
{
    (void)state;
    double t = 0;
    assert_int_equal(date("SUN, 06 NOV 1994 08:49:37 gmt", &t), 0);
    assert_true(t == 784111777.0);
}

static void test_date_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "Sun",
        "Sun, 06 Nov 1994 08:49:37",          /* no zone */
        "Sun, 06 Nov 1994 08:49:37 UTC",      /* wrong zone */
        "Sun, 06 Nov 1994 08:49:37 GMT junk",
        "Sun, 6 Nov 1994 08:49:37 GMT",       /* one-digit day */
        "Sun, 06 Nvm 1994 08:49:37 GMT",
        "Sun, 32 Oct 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",        /* two-digit year in IMF */
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",            /* asctime day needs padding */
        "Sun Nov  6 08:49:37 94",
        "Sun, 06 Nov 1899 08:49:37 GMT",      /* before the range kept */
        "1994-11-06T08:49:37Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t = 777;
        assert_int_equal(date(bad[i], &t), -1);
        assert_true(t == 777);
    }
}

static void test_date_counted_not_terminated(void **state)
{
    (void)state;
    /* The length is honoured: the trailing digits are outside the value. */
    const char *s = "Sun, 06 Nov 1994 08:49:37 GMT999";
    double t = 0;
    assert_int_equal(httpdate_parse(s, strlen(s) - 3, &t), 0);
    assert_true(t == 784111777.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_three_forms_agree),
        cmocka_unit_test(test_date_asctime_two_digit_day),
        cmocka_unit_test(test_date_epoch_and_before),
        cmocka_unit_test(test_date_leap_years),
        cmocka_unit_test(test_date_far_future),
        cmocka_unit_test(test_date_leap_second_accepted),
        cmocka_unit_test(test_date_rfc850_year_pivot),
        cmocka_unit_test(test_date_names_case_insensitive),
        cmocka_unit_test(test_date_rejects_malformed),
        cmocka_unit_test(test_date_counted_not_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
