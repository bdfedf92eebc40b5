/* test_ticker.c: the ticker wakes once, never before its millisecond, and not
 * at all once stopped. It runs a real libuv loop: the ticker is I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

struct fixture {
    uv_loop_t loop;
    struct ticker t;
    struct seen s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || uv_loop_init(&f->loop) != 0)
        return -1;
    f->s.t = &f->t;
    f->s.loop = &f->loop;
    char err[200];
    if (ticker_init(&f->t, &f->loop, on_tick, &f->s, err, sizeof err) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ticker_close(&f->t);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&f->loop);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void test_wakes_once_not_before_its_millisecond(void **state)
{
    struct fixture *f = *state;
    mono_ms due = uv_now(&f->loop) + 30;
    ticker_arm(&f->t, due);
    uv_run(&f->loop, UV_RUN_DEFAULT);  /* returns once nothing is armed */
    assert_int_equal(f->s.calls, 1);
    /* The loop's clock was brought up to date, and had reached the due ms,
     * as had the clock it is read from. */
    assert_true(f->s.at_call >= due);
    assert_true(f->s.hr_call >= (uint64_t)due * 1000000u);
}

static void test_past_due_wakes_at_once(void **state)
{
    struct fixture *f = *state;
    ticker_arm(&f->t, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->s.calls, 1);
}

static void test_arming_again_replaces_and_repeats(void **state)
{
    struct fixture *f = *state;
    mono_ms now = uv_now(&f->loop);
    ticker_arm(&f->t, now + 500);
    ticker_arm(&f->t, now + 5);  /* replaces the first */
    f->s.rearm_at = now + 20;    /* and the callback asks for one more */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->s.calls, 2);
    assert_true(f->s.at_call >= now + 20);
    assert_true(f->s.at_call < now + 500);  /* the first arming never fired */
}

static void test_same_time_twice_wakes_once(void **state)
{
    struct fixture *f = *state;
    mono_ms due = uv_now(&f->loop) + 5;
    ticker_arm(&f->t, due);
    ticker_arm(&f->t, due);  /* as dispatch() does after every answer */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->s.calls, 1);
    assert_true(f->s.at_call >= due);
    ticker_stop(&f->t);      /* not armed any more: nothing to stop */
    ticker_arm(&f->t, due);  /* the same time, after it fired: fires again, at once */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->s.calls, 2);
}

static void test_stopped_never_wakes(void **state)
{
    struct fixture *f = *state;
    ticker_arm(&f->t, uv_now(&f->loop) + 10);
    ticker_stop(&f->t);
    /* Nothing armed: the loop has nothing to wait for and returns. */
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->s.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wakes_once_not_before_its_millisecond, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_past_due_wakes_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arming_again_replaces_and_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_time_twice_wakes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_never_wakes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
