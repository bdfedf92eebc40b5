/* test_backoff.c: full-jitter backoff bounds, cap, floor and overflow safety. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "backoff.h"

/* The largest double below 1: what a uniform [0, 1) source can return. */
#define U_MAX nextafter(1.0, 0.0)

static void test_u_zero_gives_zero(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1, 100, 10000, 0, 0.0), 0);
    assert_int_equal(backoff_delay_ms(5, 100, 10000, 0, 0.0), 0);
}

static void test_u_near_one_stays_below_ceiling(void **state)
{
    (void)state;
    /* attempt 1: ceiling = base */
    uint64_t d = backoff_delay_ms(1, 100, 10000, 0, U_MAX);
    assert_true(d <= 99);
    assert_true(d >= 98);
    /* attempt 4: ceiling = base * 8 */
    d = backoff_delay_ms(4, 100, 10000, 0, U_MAX);
    assert_true(d <= 799);
    assert_true(d >= 798);
}

static void test_half_is_half_the_ceiling(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1, 100, 10000, 0, 0.5), 50);
    assert_int_equal(backoff_delay_ms(2, 100, 10000, 0, 0.5), 100);
    assert_int_equal(backoff_delay_ms(3, 100, 10000, 0, 0.5), 200);
    assert_int_equal(backoff_delay_ms(4, 100, 10000, 0, 0.5), 400);
}

static void test_ceiling_doubles_until_cap(void **state)
{
    (void)state;
    /* 100, 200, 400, 800, 1600, then capped at 1000 from attempt 5 on */
    assert_int_equal(backoff_delay_ms(4, 100, 1000, 0, 0.5), 400);
    assert_int_equal(backoff_delay_ms(5, 100, 1000, 0, 0.5), 500);
    assert_int_equal(backoff_delay_ms(6, 100, 1000, 0, 0.5), 500);
    assert_true(backoff_delay_ms(30, 100, 1000, 0, U_MAX) <= 999);
}

static void test_cap_below_base_wins(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1, 5000, 1000, 0, 0.5), 500);
}

static void test_floor_raises_short_delay(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1, 100, 10000, 3000, 0.5), 3000);
    assert_int_equal(backoff_delay_ms(1, 100, 10000, 3000, 0.0), 3000);
}

static void test_floor_above_cap_still_applies(void **state)
{
    (void)state;
    /* Retry-After asks for more than the cap allows: the server wins. */
    assert_int_equal(backoff_delay_ms(10, 100, 1000, 60000, U_MAX), 60000);
}

static void test_floor_below_delay_is_ignored(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(4, 100, 10000, 10, 0.5), 400);
}

static void test_attempt_zero_acts_as_first(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(0, 100, 10000, 0, 0.5),
                     backoff_delay_ms(1, 100, 10000, 0, 0.5));
}

static void test_huge_attempt_does_not_overflow(void **state)
{
    (void)state;
    /* 2^(k-1) overflows 64 bits long before these; the cap must hold. */
    assert_int_equal(backoff_delay_ms(64, 100, 30000, 0, 0.5), 15000);
    assert_int_equal(backoff_delay_ms(65, 100, 30000, 0, 0.5), 15000);
    assert_int_equal(backoff_delay_ms(1000, 100, 30000, 0, 0.5), 15000);
    assert_int_equal(backoff_delay_ms(UINT32_MAX, 100, 30000, 0, 0.5), 15000);
}

static void test_shift_just_below_overflow(void **state)
{
    (void)state;
    /* attempt 64 shifts by 63: base 1 gives exactly 2^63, base 3 would
     * overflow and must fall back to the cap (half of it, give or take the
     * rounding of a double near 2^63); wrapping would give 3 << 63 == 2^63
     * and a delay of only 2^62. */
    assert_true(backoff_delay_ms(64, 1, UINT64_MAX, 0, 0.5) == (uint64_t)1 << 62);
    uint64_t d = backoff_delay_ms(64, 3, UINT64_MAX, 0, 0.5);
    assert_true(d >= UINT64_MAX / 2 - 4096);
    assert_true(d <= (uint64_t)1 << 63);
}

static void test_huge_values_stay_in_range(void **state)
{
    (void)state;
    uint64_t d = backoff_delay_ms(80, UINT64_MAX, UINT64_MAX, 0, U_MAX);
    assert_true(d < UINT64_MAX);
    assert_true(d > UINT64_MAX / 2);
    assert_true(backoff_delay_ms(1, UINT64_MAX, UINT64_MAX, UINT64_MAX, 0.0) == UINT64_MAX);
}

static void test_zero_base_gives_floor(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(3, 0, 1000, 0, 0.9), 0);
    assert_int_equal(backoff_delay_ms(3, 0, 1000, 250, 0.9), 250);
}

static void test_out_of_contract_u_is_contained(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1, 100, 1000, 0, -0.5), 0);
    assert_int_equal(backoff_delay_ms(1, 100, 1000, 0, NAN), 0);
    assert_int_equal(backoff_delay_ms(1, 100, 1000, 0, 1.0), 99);
    assert_int_equal(backoff_delay_ms(1, 100, 1000, 0, INFINITY), 99);
}

static void test_delay_grows_monotonically_in_u(void **state)
{
    (void)state;
    uint64_t prev = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t d = backoff_delay_ms(6, 100, 100000, 0, i / 1000.0);
        assert_true(d >= prev);
        assert_true(d < 3200);
        prev = d;
    }
    assert_true(prev >= 3100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u_zero_gives_zero),
        cmocka_unit_test(test_u_near_one_stays_below_ceiling),
        cmocka_unit_test(test_half_is_half_the_ceiling),
        cmocka_unit_test(test_ceiling_doubles_until_cap),
        cmocka_unit_test(test_cap_below_base_wins),
        cmocka_unit_test(test_floor_raises_short_delay),
        cmocka_unit_test(test_floor_above_cap_still_applies),
        cmocka_unit_test(test_floor_below_delay_is_ignored),
        cmocka_unit_test(test_attempt_zero_acts_as_first),
        cmocka_unit_test(test_huge_attempt_does_not_overflow),
        cmocka_unit_test(test_shift_just_below_overflow),
        cmocka_unit_test(test_huge_values_stay_in_range),
        cmocka_unit_test(test_zero_base_gives_floor),
        cmocka_unit_test(test_out_of_contract_u_is_contained),
        cmocka_unit_test(test_delay_grows_monotonically_in_u),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
