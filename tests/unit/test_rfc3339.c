/* test_rfc3339.c: the one timestamp format: the calendar, milliseconds
 * rounded and held to 0..999, the range kept, and the per-second cache giving
 * the same text as the plain call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "rfc3339.h"

static const char *fmt(double epoch)
{
    static char out[RFC3339_LEN + 1];
    memset(out, 'x', sizeof out);
    rfc3339_format(epoch, out);
    return out;
}

static void test_epoch_and_known_times(void **state)
{
    (void)state;
    assert_string_equal(fmt(0), "1970-01-01T00:00:00.000Z");
    assert_string_equal(fmt(784111777), "1994-11-06T08:49:37.000Z");
    assert_string_equal(fmt(1764336000.5), "2025-11-28T13:20:00.500Z");
    assert_int_equal(strlen(fmt(1764336000.5)), RFC3339_LEN);
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_string_equal(fmt(1709208000.25), "2024-02-29T12:00:00.250Z");
    assert_string_equal(fmt(1709251199.999), "2024-02-29T23:59:59.999Z");
    assert_string_equal(fmt(1709251200), "2024-03-01T00:00:00.000Z");
    assert_string_equal(fmt(951782400), "2000-02-29T00:00:00.000Z");    /* 400-year rule */
    assert_string_equal(fmt(4107542400.0), "2100-03-01T00:00:00.000Z"); /* 2100: no 29th */
}

static void test_milliseconds_round_to_nearest(void **state)
{
    (void)state;
    /* .123 is not exact in a double this large (it is .12299990...): it must
     * still be written .123, not truncated to .122. */
    assert_string_equal(fmt(1700000000.123), "2023-11-14T22:13:20.123Z");
    assert_string_equal(fmt(1764336000.007), "2025-11-28T13:20:00.007Z");
    assert_string_equal(fmt(1700000000.0004), "2023-11-14T22:13:20.000Z");
    assert_string_equal(fmt(1700000000.0006), "2023-11-14T22:13:20.001Z");
    assert_string_equal(fmt(1700000000.0996), "2023-11-14T22:13:20.100Z");
}

static void test_milliseconds_held_to_999(void **state)
{
    (void)state;
    /* Rounding up past .999 would be the next second; it is held at .999. */
    assert_string_equal(fmt(1700000000.9996), "2023-11-14T22:13:20.999Z");
    assert_string_equal(fmt(1704067199.9999), "2023-12-31T23:59:59.999Z");
    assert_string_equal(fmt(1700000000.999), "2023-11-14T22:13:20.999Z");
}

static void test_out_of_range_clamped(void **state)
{
    (void)state;
    assert_string_equal(fmt(-1), "1970-01-01T00:00:00.000Z");
    assert_string_equal(fmt(-0.5), "1970-01-01T00:00:00.000Z");
    assert_string_equal(fmt(NAN), "1970-01-01T00:00:00.000Z");
    assert_string_equal(fmt(253402300799.0), "9999-12-31T23:59:59.000Z");
    assert_string_equal(fmt(1e300), "9999-12-31T23:59:59.999Z");
    assert_string_equal(fmt(INFINITY), "9999-12-31T23:59:59.999Z");
}

static void test_cache_gives_the_same_text(void **state)
{
    (void)state;
    struct rfc3339_cache c;
    memset(&c, 0, sizeof c);
    char a[RFC3339_LEN + 1];
    /* Within a second, across seconds, backwards, and across a day. */
    const double times[] = { 1700000000.001, 1700000000.5, 1700000000.999, 1700000001.0,
                             1700000000.25, 1709251199.9995, 1709251200.0004, 0, 0.5 };
    for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
        rfc3339_format_cached(&c, times[i], a);
        assert_string_equal(a, fmt(times[i]));
    }
    /* A zeroed cache is not mistaken for a formatted 1970-01-01T00:00:00. */
    memset(&c, 0, sizeof c);
    rfc3339_format_cached(&c, 0.25, a);
    assert_string_equal(a, "1970-01-01T00:00:00.250Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_and_known_times),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_milliseconds_round_to_nearest),
        cmocka_unit_test(test_milliseconds_held_to_999),
        cmocka_unit_test(test_out_of_range_clamped),
        cmocka_unit_test(test_cache_gives_the_same_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
