/* test_progress.c: the progress line, the ETA and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "progress.h"

static void test_line_with_total(void **state)
{
    (void)state;
    struct progress_view v = {.done = 250, .total = 1000, .removed = 240, .not_found = 8,
                              .failed = 2, .http429 = 3, .rate = 49.5, .eta_s = 75};
    char buf[256];
    progress_format(buf, sizeof buf, &v);
    assert_string_equal(buf, "250/1000 (25.0%) 49.5 req/s ETA 1m15s | 240 removed, 8 not_found, "
                             "2 failed | 3 429s");
}

static void test_line_unknown_total_and_eta(void **state)
{
    (void)state;
    struct progress_view v = {.done = 7, .eta_s = -1};
    char buf[256];
    progress_format(buf, sizeof buf, &v);
    assert_string_equal(buf, "7/? 0.0 req/s ETA ? | 0 removed, 0 not_found, 0 failed | 0 429s");
}

static void test_line_shows_paused_accounts(void **state)
{
    (void)state;
    struct progress_view v = {.done = 1, .total = 2, .eta_s = 1, .paused = 2,
                              .paused_for_s = 75};
    char buf[256];
    progress_format(buf, sizeof buf, &v);
    assert_non_null(strstr(buf, ", paused: 2 accounts for 1m15s"));
    v.paused = 1;
    v.paused_for_s = 0.2;  /* never "for 0s" */
    progress_format(buf, sizeof buf, &v);
    assert_non_null(strstr(buf, ", paused: 1 account for 1s"));
}

static void test_line_truncates_safely(void **state)
{
    (void)state;
    struct progress_view v = {.done = 1, .total = 2, .eta_s = 1};
    char buf[12];
    progress_format(buf, sizeof buf, &v);
    assert_int_equal(strlen(buf), sizeof buf - 1);
}

static void test_eta_uses_slower_of_pace_and_limits(void **state)
{
    (void)state;
    assert_true(progress_eta(0, 10, 5) == 0);
    assert_true(progress_eta(100, 10, 0) == 10);
    assert_true(progress_eta(100, 10, 5) == 20);   /* the limits bind */
    assert_true(progress_eta(100, 2, 5) == 50);    /* the pace binds */
    assert_true(progress_eta(100, 0, 5) == 20);    /* no pace yet: the limits */
    assert_true(progress_eta(100, 0, 0) < 0);      /* nothing known */
}

static void test_durations(void **state)
{
    (void)state;
    char b[24];
    format_duration(0, b, sizeof b);
    assert_string_equal(b, "0s");
    format_duration(59.4, b, sizeof b);
    assert_string_equal(b, "59s");
    format_duration(60, b, sizeof b);
    assert_string_equal(b, "1m00s");
    format_duration(3723, b, sizeof b);
    assert_string_equal(b, "1h02m03s");
    format_duration(-5, b, sizeof b);
    assert_string_equal(b, "0s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_with_total),
        cmocka_unit_test(test_line_unknown_total_and_eta),
        cmocka_unit_test(test_line_shows_paused_accounts),
        cmocka_unit_test(test_line_truncates_safely),
        cmocka_unit_test(test_eta_uses_slower_of_pace_and_limits),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
