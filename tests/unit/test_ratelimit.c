/* test_ratelimit.c: the sliding window on a fake clock (plain numbers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "ratelimit.h"

/* Sends as many as the window allows at time t; returns how many. */
static unsigned drain(struct window *w, mono_ms t, unsigned max)
{
    unsigned sent = 0;
    while (sent < max && window_next_free(w, t) == t) {
        window_record(w, t);
        sent++;
    }
    return sent;
}

static void test_burst_of_n_then_wait_full_window(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 5, 1000), 0);
    assert_int_equal(drain(&w, 0, 100), 5);
    assert_int_equal(window_next_free(&w, 0), 1000);
    assert_int_equal(window_next_free(&w, 999), 1000);
    assert_int_equal(window_next_free(&w, 1000), 1000);
    assert_int_equal(drain(&w, 1000, 100), 5);
    assert_int_equal(window_next_free(&w, 1000), 2000);
    window_free(&w);
}

static void test_not_full_answers_now(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 3, 1000), 0);
    assert_int_equal(window_next_free(&w, 42), 42);
    window_record(&w, 42);
    window_record(&w, 50);
    assert_int_equal(window_next_free(&w, 60), 60);
    window_free(&w);
}

/* Sends spread out: the window reopens as each one ages out, in order. */
static void test_ring_wraps_oldest_first(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 3, 1000), 0);
    window_record(&w, 0);
    window_record(&w, 100);
    window_record(&w, 200);
    assert_int_equal(window_next_free(&w, 200), 1000);
    window_record(&w, 1000);
    assert_int_equal(window_next_free(&w, 1000), 1100);
    window_record(&w, 1100);
    assert_int_equal(window_next_free(&w, 1100), 1200);
    window_record(&w, 1200);
    assert_int_equal(window_next_free(&w, 1200), 2000);
    window_record(&w, 2000);
    assert_int_equal(window_next_free(&w, 2000), 2100);
    window_free(&w);
}

static void test_n_one_spaces_sends_by_duration(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 1, 250), 0);
    for (mono_ms t = 0; t < 2500; t += 250) {
        assert_int_equal(window_next_free(&w, t), t);
        window_record(&w, t);
        assert_int_equal(window_next_free(&w, t), t + 250);
        assert_int_equal(window_next_free(&w, t + 249), t + 250);
    }
    window_free(&w);
}

static void test_n_zero_is_unlimited(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 0, 1000), 0);
    assert_null(w.ring);
    for (int i = 0; i < 10000; i++)
        window_record(&w, 7);
    assert_int_equal(window_next_free(&w, 7), 7);
    assert_int_equal(window_next_free(&w, UINT64_MAX), UINT64_MAX);
    window_free(&w);
}

static void test_zero_duration_never_blocks(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 2, 0), 0);
    assert_int_equal(drain(&w, 10, 50), 50);
    assert_int_equal(window_next_free(&w, 10), 10);
    window_free(&w);
}

/* After a full burst, a clock that jumps back does not reopen the window: the
 * caller waits until the clock is past the old sends again. */
static void test_clock_back_keeps_window_shut(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 3, 1000), 0);
    assert_int_equal(drain(&w, 5000, 10), 3);
    assert_int_equal(window_next_free(&w, 0), 6000);
    assert_int_equal(window_next_free(&w, 5999), 6000);
    window_free(&w);
}

/* Sends recorded with earlier times than the newest count as at the newest, so
 * a burst split across a step back still fills the same window. */
static void test_clock_back_mid_burst_counts_as_newest(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 3, 1000), 0);
    window_record(&w, 5000);
    assert_int_equal(drain(&w, 10, 10), 2);  /* room for two more, recorded as 5000 */
    assert_int_equal(w.ring[1], 5000);
    assert_int_equal(w.ring[2], 5000);
    assert_int_equal(window_next_free(&w, 10), 6000);
    assert_int_equal(drain(&w, 6000, 10), 3);
    assert_int_equal(window_next_free(&w, 6000), 7000);
    window_free(&w);
}

static void test_huge_times_saturate(void **state)
{
    (void)state;
    struct window w;
    mono_ms t = UINT64_MAX - 10;
    assert_int_equal(window_init(&w, 2, 1000), 0);
    assert_int_equal(drain(&w, t, 10), 2);
    /* oldest + dur would wrap to a small number and reopen the window */
    assert_true(window_next_free(&w, t) == UINT64_MAX);
    assert_true(window_next_free(&w, UINT64_MAX) == UINT64_MAX);
    window_free(&w);
}

static void test_huge_duration_saturates(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 1, UINT64_MAX), 0);
    window_record(&w, 5);
    assert_true(window_next_free(&w, 6) == UINT64_MAX);
    window_free(&w);
}

static void test_free_is_idempotent(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 4, 100), 0);
    window_free(&w);
    assert_null(w.ring);
    assert_int_equal(w.n, 0);
    window_free(&w);
}

/* ---- exhaustive check over a simulated stream --------------------------- */

/* Sends in [from, to], inclusive, among the first count of times[]. */
static unsigned count_in(const mono_ms *times, size_t count, mono_ms from, mono_ms to)
{
    unsigned c = 0;
    for (size_t i = 0; i < count; i++) {
        if (times[i] >= from && times[i] <= to)
            c++;
    }
    return c;
}

/* Sends in the dur-long half-open interval ending just after t: (t - dur, t]. */
static unsigned count_ending_at(const mono_ms *times, size_t count, mono_ms t, mono_ms dur)
{
    mono_ms from = t + 1 >= dur ? t + 1 - dur : 0;
    return count_in(times, count, from, t);
}

static void simulate(unsigned n, mono_ms dur, mono_ms horizon, uint32_t seed)
{
    struct window w;
    assert_int_equal(window_init(&w, n, dur), 0);
    size_t cap = (size_t)horizon * 4 + 1;
    mono_ms *times = calloc(cap, sizeof *times);
    assert_non_null(times);
    size_t count = 0;
    uint32_t rng = seed;

    for (mono_ms t = 0; t < horizon; t++) {
        /* Bursty demand: mostly nothing, sometimes several at once. */
        rng = rng * 1664525u + 1013904223u;
        unsigned want = (rng >> 24) % 8;
        want = want > 4 ? 0 : want;
        for (unsigned k = 0; k < want; k++) {
            mono_ms f = window_next_free(&w, t);
            assert_true(f >= t);
            if (f == t) {
                window_record(&w, t);
                times[count++] = t;
                continue;
            }
            /* A refusal must be justified: n sends already in (t - dur, t]. */
            assert_int_equal(count_ending_at(times, count, t, dur), n);
            /* And next_free must be exact: free at f, not at f - 1. */
            assert_true(count_ending_at(times, count, f, dur) < n);
            assert_int_equal(count_ending_at(times, count, f - 1, dur), n);
            break;
        }
    }

    /* The invariant: no interval [s, s + dur) holds more than n sends. */
    assert_true(count > 0);
    for (mono_ms s = 0; s < horizon; s++)
        assert_true(count_in(times, count, s, s + dur - 1) <= n);
    /* Fixed windows follow from it, but check them too. */
    for (mono_ms s = 0; s < horizon; s += dur)
        assert_true(count_in(times, count, s, s + dur - 1) <= n);

    free(times);
    window_free(&w);
}

static void test_stream_never_exceeds_n_per_interval(void **state)
{
    (void)state;
    simulate(5, 100, 1500, 1);
    simulate(1, 7, 600, 2);
    simulate(3, 10, 800, 3);
    simulate(7, 33, 1200, 4);
    simulate(16, 250, 2000, 5);
}

/* Pacing spreads sends dur/n apart; the window bound still applies. */
static void test_pacing_spreads_sends(void **state)
{
    (void)state;
    struct window w;
    assert_int_equal(window_init(&w, 4, 1000), 0);
    window_set_pacing(&w, 1);
    mono_ms t = 0;
    for (int i = 0; i < 8; i++) {
        t = window_next_free(&w, t);
        assert_int_equal(t, (mono_ms)i * 250);
        window_record(&w, t);
    }
    /* The 4th most recent send (1000) + 1000 binds before pacing (1750 + 250). */
    assert_int_equal(window_next_free(&w, t), 2000);
    window_free(&w);
}

/* After a cut it climbs 10% per clean window while far below the failed level,
 * and never above the configured maximum. */
/* Near a level that failed, probes are rare and back off when they fail again:
 * the limit settles instead of oscillating. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_of_n_then_wait_full_window),
        cmocka_unit_test(test_not_full_answers_now),
        cmocka_unit_test(test_ring_wraps_oldest_first),
        cmocka_unit_test(test_n_one_spaces_sends_by_duration),
        cmocka_unit_test(test_n_zero_is_unlimited),
        cmocka_unit_test(test_zero_duration_never_blocks),
        cmocka_unit_test(test_clock_back_keeps_window_shut),
        cmocka_unit_test(test_clock_back_mid_burst_counts_as_newest),
        cmocka_unit_test(test_huge_times_saturate),
        cmocka_unit_test(test_huge_duration_saturates),
        cmocka_unit_test(test_free_is_idempotent),
        cmocka_unit_test(test_stream_never_exceeds_n_per_interval),
        cmocka_unit_test(test_pacing_spreads_sends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
