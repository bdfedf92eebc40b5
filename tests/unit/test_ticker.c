/* test_ticker.c: the ticker wakes once, never before its millisecond, and not
 * at all once stopped. It runs a real libuv loop: the ticker is I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <uv.h>

#include "ticker.h"

struct seen {
    struct ticker *t;
    uv_loop_t *loop;
    int calls;
    mono_ms at_call;        /* uv_now() in the callback */
    uint64_t hr_call;       /* uv_hrtime() in the callback */
    mono_ms rearm_at;       /* arm again at this from the first call; 0: no */
};

static void on_tick(void *ctx)
{
    struct seen *s = ctx;
    s->calls++;
    s->at_call = uv_now(s->loop);
    s->hr_call = uv_hrtime();
    if (s->rearm_at) {
        mono_ms again = s->rearm_at;
        s->rearm_at = 0;
        ticker_arm(s->t, again);
    }
}

static void closed_run(uv_loop_t *loop, struct ticker *t)
{
    ticker_close(t);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void test_wakes_once_not_before_its_millisecond(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ticker t;
    struct seen s = {.t = &t, .loop = &loop};
    assert_int_equal(ticker_init(&t, &loop, on_tick, &s), 0);
    mono_ms due = uv_now(&loop) + 30;
    ticker_arm(&t, due);
    uv_run(&loop, UV_RUN_DEFAULT);  /* returns once nothing is armed */
    assert_int_equal(s.calls, 1);
    /* The loop's clock was brought up to date, and had reached the due ms,
     * as had the clock it is read from. */
    assert_true(s.at_call >= due);
    assert_true(s.hr_call >= (uint64_t)due * 1000000u);
    closed_run(&loop, &t);
}

static void test_past_due_wakes_at_once(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ticker t;
    struct seen s = {.t = &t, .loop = &loop};
    assert_int_equal(ticker_init(&t, &loop, on_tick, &s), 0);
    ticker_arm(&t, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(s.calls, 1);
    closed_run(&loop, &t);
}

static void test_arming_again_replaces_and_repeats(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ticker t;
    struct seen s = {.t = &t, .loop = &loop};
    assert_int_equal(ticker_init(&t, &loop, on_tick, &s), 0);
    mono_ms now = uv_now(&loop);
    ticker_arm(&t, now + 500);
    ticker_arm(&t, now + 5);  /* replaces the first */
    s.rearm_at = now + 20;    /* and the callback asks for one more */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(s.calls, 2);
    assert_true(s.at_call >= now + 20);
    assert_true(s.at_call < now + 500);  /* the first arming never fired */
    closed_run(&loop, &t);
}

static void test_stopped_never_wakes(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ticker t;
    struct seen s = {.t = &t, .loop = &loop};
    assert_int_equal(ticker_init(&t, &loop, on_tick, &s), 0);
    ticker_arm(&t, uv_now(&loop) + 10);
    ticker_stop(&t);
    /* Nothing armed: the loop has nothing to wait for and returns. */
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(s.calls, 0);
    closed_run(&loop, &t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wakes_once_not_before_its_millisecond),
        cmocka_unit_test(test_past_due_wakes_at_once),
        cmocka_unit_test(test_arming_again_replaces_and_repeats),
        cmocka_unit_test(test_stopped_never_wakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
