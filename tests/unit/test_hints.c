/* test_hints.c: rate-limit hints from response headers, every accepted form
 * and the bad values that must be ignored. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hints.h"

#define NOW 1700000000.0  /* a fixed wall clock: 2023-11-14 */

static void feed(struct rl_hints *h, const char *name, const char *value)
{
    hints_feed(h, name, strlen(name), value, strlen(value), NOW);
}

static void line(struct rl_hints *h, const char *l)
{
    hints_feed_line(h, l, strlen(l), NOW);
}

static int retry_after(const char *s, double now, double *out)
{
    return hints_retry_after(s, strlen(s), now, out);
}

/* ---- Retry-After -------------------------------------------------------- */

static void test_retry_after_delta_seconds(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(retry_after("120", NOW, &s), 0);
    assert_true(s == 120.0);
    assert_int_equal(retry_after("0", NOW, &s), 0);
    assert_true(s == 0.0);
}

static void test_retry_after_spaces_and_crlf(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(retry_after("  120 \r\n", NOW, &s), 0);
    assert_true(s == 120.0);
}

static void test_retry_after_future_date(void **state)
{
    (void)state;
    double s = -1;
    /* 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 - 30, &s), 0);
    assert_true(s == 30.0);
}

static void test_retry_after_past_date_is_zero(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW, &s), 0);
    assert_true(s == 0.0);
}

static void test_retry_after_rejects_bad_values(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "-5", "+5", "abc", "1e999", "1.5", "12 34", "120s", "0x10",
        "inf", "NaN", "9999999999999" /* 13 digits */, "99999999999999999999999",
        "Wed, 21 Oct 2015 07:28:00", "tomorrow",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double s = 12345;
        assert_int_equal(retry_after(bad[i], NOW, &s), -1);
        assert_true(s == 12345);  /* untouched */
    }
}

static void test_retry_after_largest_accepted(void **state)
{
    (void)state;
    double s = 0;
    assert_int_equal(retry_after("999999999999", NOW, &s), 0);
    assert_true(s == 999999999999.0);
}

/* ---- hints_feed: Retry-After and names ---------------------------------- */

static void test_feed_retry_after_any_case(void **state)
{
    (void)state;
    static const char *const names[] = { "Retry-After", "retry-after", "RETRY-AFTER", "rEtRy-AfTeR" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct rl_hints h;
        hints_init(&h);
        feed(&h, names[i], "7");
        assert_true(h.has_retry_after);
        assert_true(h.retry_after_s == 7.0);
    }
}

static void test_feed_retry_after_date(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    /* NOW + 90 s is Tue, 14 Nov 2023 22:14:50 GMT */
    feed(&h, "Retry-After", "Tue, 14 Nov 2023 22:14:50 GMT");
    assert_true(h.has_retry_after);
    assert_true(h.retry_after_s == 90.0);
}

static void test_feed_unknown_header_ignored(void **state)
{
    (void)state;
    struct rl_hints h, zero;
    hints_init(&h);
    hints_init(&zero);
    feed(&h, "Content-Length", "5");
    feed(&h, "x-retry-after", "5");
    feed(&h, "retry-afterx", "5");
    assert_memory_equal(&h, &zero, sizeof h);
}

/* ---- ratelimit-* (Truto's normalised fields) --------------------------- */

static void test_ratelimit_limit_with_window(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-limit", "110;w=10");
    assert_true(h.has_limit);
    assert_int_equal(h.limit, 110);
    assert_true(h.has_window);
    assert_true(h.window_s == 10.0);
}

static void test_ratelimit_limit_plain(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit-Limit", "100");
    assert_true(h.has_limit);
    assert_int_equal(h.limit, 100);
    assert_false(h.has_window);
}

static void test_ratelimit_limit_policy_list(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-limit", "10, 10;w=1, 50;w=60");
    assert_int_equal(h.limit, 10);
    assert_true(h.has_window);
    assert_true(h.window_s == 1.0);
}

static void test_ratelimit_limit_with_other_params(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-limit", "110; w=10; comment=\"per app\"; burst");
    assert_int_equal(h.limit, 110);
    assert_true(h.window_s == 10.0);
}

static void test_ratelimit_remaining(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-remaining", " 109 \r\n");
    assert_true(h.has_remaining);
    assert_int_equal(h.remaining, 109);
    feed(&h, "ratelimit-remaining", "0");
    assert_int_equal(h.remaining, 0);
}

static void test_ratelimit_reset_delta(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-reset", "60");
    assert_true(h.has_reset);
    assert_true(h.reset_s == 60.0);
    feed(&h, "ratelimit-reset", "2.5");
    assert_true(h.reset_s == 2.5);
}

static void test_ratelimit_reset_epoch(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-reset", "1700000030");
    assert_true(h.has_reset);
    assert_true(h.reset_s == 30.0);
}

static void test_ratelimit_reset_epoch_in_past_is_zero(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-reset", "1600000000");
    assert_true(h.has_reset);
    assert_true(h.reset_s == 0.0);
}

static void test_ratelimit_reset_threshold(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    /* exactly 1e9 is still a (very long) delta; one more is an epoch time */
    feed(&h, "ratelimit-reset", "1000000000");
    assert_true(h.reset_s == 1e9);
    feed(&h, "ratelimit-reset", "1000000001");
    assert_true(h.reset_s == 0.0);
}

static void test_ratelimit_bad_values_ignored(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " ", "-1", "+1", "abc", "1e999", "99999999999999999999", "5 apples", "5,",
        ",5", "5;", "5;w", "0x5", "inf", "5;w=-1", "5;w=0", "5;W=abc", "\"5\"", "1.",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rl_hints h, zero;
        hints_init(&h);
        hints_init(&zero);
        feed(&h, "ratelimit-limit", bad[i]);
        feed(&h, "ratelimit-remaining", bad[i]);
        feed(&h, "ratelimit-reset", bad[i]);
        assert_memory_equal(&h, &zero, sizeof h);
    }
}

static void test_remaining_and_limit_must_be_integers(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-remaining", "1.5");
    feed(&h, "ratelimit-limit", "10.5;w=1");
    assert_false(h.has_remaining);
    assert_false(h.has_limit);
    assert_false(h.has_window);
}

static void test_bad_value_keeps_earlier_good_one(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-remaining", "4");
    feed(&h, "ratelimit-remaining", "-1");
    assert_true(h.has_remaining);
    assert_int_equal(h.remaining, 4);
    feed(&h, "Retry-After", "3");
    feed(&h, "Retry-After", "soon");
    assert_true(h.retry_after_s == 3.0);
}

/* ---- Okta x-rate-limit-* ----------------------------------------------- */

static void test_okta_headers(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "X-Rate-Limit-Limit", "600");
    feed(&h, "X-Rate-Limit-Remaining", "0");
    feed(&h, "X-Rate-Limit-Reset", "1700000045");
    assert_int_equal(h.limit, 600);
    assert_true(h.has_remaining);
    assert_int_equal(h.remaining, 0);
    assert_true(h.reset_s == 45.0);
}

static void test_x_ratelimit_variant(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "X-RateLimit-Remaining", "12");
    feed(&h, "X-RateLimit-Reset", "9");
    assert_int_equal(h.remaining, 12);
    assert_true(h.reset_s == 9.0);
}

/* ---- IETF RateLimit and RateLimit-Policy -------------------------------- */

static void test_ietf_ratelimit(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit", "\"default\";r=50;t=30");
    assert_true(h.has_remaining);
    assert_int_equal(h.remaining, 50);
    assert_true(h.has_reset);
    assert_true(h.reset_s == 30.0);
}

static void test_ietf_ratelimit_token_name_and_extra_params(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit", "default;r=3;t=4;pk=:cHJvamVjdDEyMw==:");
    assert_int_equal(h.remaining, 3);
    assert_true(h.reset_s == 4.0);
}

static void test_ietf_ratelimit_most_constrained_policy(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit", "\"burst\";r=5;t=1, \"day\";r=0;t=3600");
    assert_int_equal(h.remaining, 0);
    assert_true(h.reset_s == 3600.0);
}

static void test_ietf_ratelimit_tie_takes_longest_reset(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit", "\"a\";r=0;t=10, \"b\";r=0;t=20, \"c\";r=0;t=15");
    assert_int_equal(h.remaining, 0);
    assert_true(h.reset_s == 20.0);
}

static void test_ietf_ratelimit_without_t(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit", "\"default\";r=7");
    assert_int_equal(h.remaining, 7);
    assert_false(h.has_reset);
}

static void test_ietf_ratelimit_malformed_ignored(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"default\";t=30",           /* no r */
        "\"default\";r=-1;t=30",
        "\"default\";r=1.5;t=30",
        "\"default\";r=5;t=-3",
        "\"default\";r;t=3",
        "\"default;r=5;t=3",          /* unterminated string */
        "\"default\";r=5;t=3,",
        "\"a\";r=5, garbage here",
        "50",                         /* bare number is not a policy name */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rl_hints h, zero;
        hints_init(&h);
        hints_init(&zero);
        feed(&h, "RateLimit", bad[i]);
        assert_memory_equal(&h, &zero, sizeof h);
    }
}

static void test_ietf_policy(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "RateLimit-Policy", "\"default\";q=100;w=10");
    assert_true(h.has_limit);
    assert_int_equal(h.limit, 100);
    assert_true(h.has_window);
    assert_true(h.window_s == 10.0);
}

static void test_ietf_policy_first_of_several(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-policy", "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400");
    assert_int_equal(h.limit, 100);
    assert_true(h.window_s == 60.0);
}

static void test_ietf_policy_malformed_ignored(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"default\";w=10", "\"default\";q=abc;w=10", "\"default\";q=10;w=0", "q=10",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rl_hints h;
        hints_init(&h);
        feed(&h, "RateLimit-Policy", bad[i]);
        assert_false(h.has_limit);
        assert_false(h.has_window);
    }
}

/* ---- raw lines as libcurl delivers them -------------------------------- */

static void test_line_crlf(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    line(&h, "Retry-After: 120\r\n");
    assert_true(h.has_retry_after);
    assert_true(h.retry_after_s == 120.0);
}

static void test_line_without_space_after_colon(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    line(&h, "ratelimit-remaining:3\r\n");
    assert_int_equal(h.remaining, 3);
}

static void test_line_value_with_colons(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    line(&h, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n");
    assert_true(h.has_retry_after);
    assert_true(h.retry_after_s == 0.0);  /* in the past of NOW */
}

static void test_line_status_and_blank_ignored(void **state)
{
    (void)state;
    struct rl_hints h, zero;
    hints_init(&h);
    hints_init(&zero);
    line(&h, "HTTP/1.1 429 Too Many Requests\r\n");
    line(&h, "HTTP/2 503\r\n");
    line(&h, "HTTP/1.1 503 Retry-After: 5\r\n");
    line(&h, "\r\n");
    line(&h, "");
    line(&h, ": 5\r\n");
    line(&h, " Retry-After: 5\r\n");      /* folded continuation */
    line(&h, "Retry After: 5\r\n");
    assert_memory_equal(&h, &zero, sizeof h);
}

static void test_line_length_is_honoured(void **state)
{
    (void)state;
    struct rl_hints h;
    const char *l = "Retry-After: 1234";
    hints_init(&h);
    hints_feed_line(&h, l, strlen(l) - 2, NOW);
    assert_true(h.retry_after_s == 12.0);
}

static void test_line_sequence_gives_wait(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    line(&h, "HTTP/1.1 200 OK\r\n");
    line(&h, "Content-Type: application/json\r\n");
    line(&h, "RateLimit-Remaining: 0\r\n");
    line(&h, "RateLimit-Reset: 12\r\n");
    line(&h, "\r\n");
    assert_true(hints_wait_s(&h) == 12.0);
}

/* ---- hints_wait_s ------------------------------------------------------- */

static void test_wait_none(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    assert_true(hints_wait_s(&h) == -1.0);
}

static void test_wait_retry_after_wins(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-remaining", "0");
    feed(&h, "ratelimit-reset", "50");
    feed(&h, "Retry-After", "5");
    assert_true(hints_wait_s(&h) == 5.0);
}

static void test_wait_retry_after_zero_is_a_wait(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "Retry-After", "0");
    assert_true(hints_wait_s(&h) == 0.0);
}

static void test_wait_reset_only_when_exhausted(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-reset", "50");
    assert_true(hints_wait_s(&h) == -1.0);  /* remaining unknown */
    feed(&h, "ratelimit-remaining", "3");
    assert_true(hints_wait_s(&h) == -1.0);  /* budget left */
    feed(&h, "ratelimit-remaining", "0");
    assert_true(hints_wait_s(&h) == 50.0);
}

static void test_wait_exhausted_without_reset(void **state)
{
    (void)state;
    struct rl_hints h;
    hints_init(&h);
    feed(&h, "ratelimit-remaining", "0");
    assert_true(hints_wait_s(&h) == -1.0);
}

/* hints_may_use is only a shortcut: every line the parser reads passes it, and a
 * line it turns away leaves the hints untouched when fed anyway. */
static int feeding_changes_hints(const char *l)
{
    struct rl_hints h, blank;
    memset(&h, 0, sizeof h);  /* padding too: the structs are compared whole */
    memset(&blank, 0, sizeof blank);
    hints_init(&h);
    hints_init(&blank);
    line(&h, l);
    return memcmp(&h, &blank, sizeof h) != 0;
}

static void test_may_use_keeps_every_line_that_counts(void **state)
{
    (void)state;
    static const char *const used[] = {
        "Retry-After: 3\r\n", "retry-after: 3\r\n", "RateLimit-Limit: 50\r\n",
        "X-RateLimit-Remaining: 0\r\n", "x-rate-limit-reset: 9\r\n",
        "RateLimit: \"default\";r=0;t=5\r\n", "RateLimit-Policy: \"d\";q=50;w=10\r\n",
        "X-Rate-Limit-Limit: 100\r\n", "ratelimit-reset: 4\r\n",
        "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n", "date: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
    };
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        assert_true(hints_may_use(used[i], strlen(used[i])));
        assert_true(feeding_changes_hints(used[i]));
    }
    static const char *const ignored[] = {
        "Content-Type: application/json\r\n", "Server: nginx\r\n",
        "Content-Language: en\r\n", "Connection: keep-alive\r\n", "\r\n", "",
        "Content-Length: 48\r\n", "HTTP/1.1 200 OK\r\n",
    };
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        assert_false(hints_may_use(ignored[i], strlen(ignored[i])));
        assert_false(feeding_changes_hints(ignored[i]));
    }
}

/* ---- hints_resolve: the server's times against its own Date --------------- */

static void feed_all(struct rl_hints *h, const char *const *lines, double host_now)
{
    hints_init(h);
    for (; *lines; lines++)
        hints_feed_line(h, *lines, strlen(*lines), host_now);
    hints_resolve(h, host_now);
}

/* The Okta-style reset and an HTTP-date Retry-After mean the same wait
 * whatever the host's clock says, once the response has a Date. */
static void test_resolve_uses_the_servers_date(void **state)
{
    (void)state;
    const double server = 1700000000.0;  /* Date: Tue, 14 Nov 2023 22:13:20 GMT */
    const char *const okta[] = {"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
                                "x-rate-limit-remaining: 0\r\n",
                                "x-rate-limit-reset: 1700000003\r\n", NULL};
    const char *const ra[] = {"Retry-After: Tue, 14 Nov 2023 22:13:24 GMT\r\n",
                              "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n", NULL};
    const double skews[] = {-3600, -300, -2, 0, 0.3, 2, 300, 3600};
    for (size_t i = 0; i < sizeof skews / sizeof *skews; i++) {
        double host = server + 0.4 + skews[i];
        struct rl_hints h;
        feed_all(&h, okta, host);
        assert_true(h.has_reset && h.reset_at_set && h.has_date);
        /* 3 s after a Date of 22:13:20, the server's now being in [:20, :21):
         * the host's finer reading when it agrees with Date within a second,
         * else Date's middle. */
        double want = skews[i] > -1 && skews[i] < 1 ? 3 - 0.4 - skews[i] : 2.5;
        assert_true(h.reset_s > want - 0.01 && h.reset_s < want + 0.01);
        assert_true(h.asked_s == 0);
        feed_all(&h, ra, host);
        assert_true(h.has_retry_after && h.retry_at_set);
        want = skews[i] > -1 && skews[i] < 1 ? 4 - 0.4 - skews[i] : 3.5;
        assert_true(h.retry_after_s > want - 0.01 && h.retry_after_s < want + 0.01);
    }
    /* Without a Date the host's clock is all there is: as before. */
    const char *const nodate[] = {"x-rate-limit-reset: 1700000003\r\n", NULL};
    struct rl_hints h;
    feed_all(&h, nodate, server + 1);
    assert_true(h.reset_s > 1.99 && h.reset_s < 2.01);
    feed_all(&h, nodate, server + 10);
    assert_true(h.reset_s == 0);
    /* Delta seconds need no clock at all. */
    const char *const delta[] = {"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
                                 "Retry-After: 7\r\n", "ratelimit-reset: 4\r\n", NULL};
    feed_all(&h, delta, server + 3600);
    assert_true(h.retry_after_s == 7 && h.reset_s == 4 && !h.retry_at_set && !h.reset_at_set);
}

/* A wait no limit explains is held to HINT_WAIT_CAP_S, and says what was asked. */
static void test_resolve_caps_what_a_header_may_ask(void **state)
{
    (void)state;
    const char *const far[] = {"Retry-After: 86400\r\n", NULL};
    struct rl_hints h;
    feed_all(&h, far, 1700000000.0);
    assert_true(h.retry_after_s == HINT_WAIT_CAP_S);
    assert_true(h.asked_s == 86400);
    const char *const reset[] = {"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
                                 "x-rate-limit-reset: 1700003600\r\n", NULL};
    feed_all(&h, reset, 1700000000.2);
    assert_true(h.reset_s == HINT_WAIT_CAP_S);
    assert_true(h.asked_s > 3599 && h.asked_s < 3601);
    const char *const fine[] = {"Retry-After: 300\r\n", NULL};
    feed_all(&h, fine, 1700000000.0);
    assert_true(h.retry_after_s == 300 && h.asked_s == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after_delta_seconds),
        cmocka_unit_test(test_retry_after_spaces_and_crlf),
        cmocka_unit_test(test_retry_after_future_date),
        cmocka_unit_test(test_retry_after_past_date_is_zero),
        cmocka_unit_test(test_retry_after_rejects_bad_values),
        cmocka_unit_test(test_retry_after_largest_accepted),
        cmocka_unit_test(test_feed_retry_after_any_case),
        cmocka_unit_test(test_feed_retry_after_date),
        cmocka_unit_test(test_feed_unknown_header_ignored),
        cmocka_unit_test(test_ratelimit_limit_with_window),
        cmocka_unit_test(test_ratelimit_limit_plain),
        cmocka_unit_test(test_ratelimit_limit_policy_list),
        cmocka_unit_test(test_ratelimit_limit_with_other_params),
        cmocka_unit_test(test_ratelimit_remaining),
        cmocka_unit_test(test_ratelimit_reset_delta),
        cmocka_unit_test(test_ratelimit_reset_epoch),
        cmocka_unit_test(test_ratelimit_reset_epoch_in_past_is_zero),
        cmocka_unit_test(test_ratelimit_reset_threshold),
        cmocka_unit_test(test_ratelimit_bad_values_ignored),
        cmocka_unit_test(test_remaining_and_limit_must_be_integers),
        cmocka_unit_test(test_bad_value_keeps_earlier_good_one),
        cmocka_unit_test(test_okta_headers),
        cmocka_unit_test(test_x_ratelimit_variant),
        cmocka_unit_test(test_ietf_ratelimit),
        cmocka_unit_test(test_ietf_ratelimit_token_name_and_extra_params),
        cmocka_unit_test(test_ietf_ratelimit_most_constrained_policy),
        cmocka_unit_test(test_ietf_ratelimit_tie_takes_longest_reset),
        cmocka_unit_test(test_ietf_ratelimit_without_t),
        cmocka_unit_test(test_ietf_ratelimit_malformed_ignored),
        cmocka_unit_test(test_ietf_policy),
        cmocka_unit_test(test_ietf_policy_first_of_several),
        cmocka_unit_test(test_ietf_policy_malformed_ignored),
        cmocka_unit_test(test_line_crlf),
        cmocka_unit_test(test_line_without_space_after_colon),
        cmocka_unit_test(test_line_value_with_colons),
        cmocka_unit_test(test_line_status_and_blank_ignored),
        cmocka_unit_test(test_line_length_is_honoured),
        cmocka_unit_test(test_line_sequence_gives_wait),
        cmocka_unit_test(test_wait_none),
        cmocka_unit_test(test_wait_retry_after_wins),
        cmocka_unit_test(test_wait_retry_after_zero_is_a_wait),
        cmocka_unit_test(test_wait_reset_only_when_exhausted),
        cmocka_unit_test(test_wait_exhausted_without_reset),
        cmocka_unit_test(test_may_use_keeps_every_line_that_counts),
        cmocka_unit_test(test_resolve_uses_the_servers_date),
        cmocka_unit_test(test_resolve_caps_what_a_header_may_ask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
