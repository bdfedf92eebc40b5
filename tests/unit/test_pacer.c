/* test_pacer.c: the pacing controller's rules, one at a time, on a fake clock.
 * The controller's behaviour over whole runs against modelled servers is in
 * test_pacer_sim.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "pacer.h"

static void init(struct pacer *p, unsigned n, mono_ms dur, unsigned max_inflight, int learn)
{
    struct pacer_limits l = {.n = n, .dur_ms = dur, .max_inflight = max_inflight,
                             .learn = learn ? PACER_LEARN_ALL : 0};
    assert_int_equal(pacer_init(p, &l, 0), 0);
}

static void accept_at(struct pacer *p, mono_ms sent, mono_ms now)
{
    struct pacer_outcome o = {.result = PACER_ACCEPTED, .sent_at = sent,
                              .inflight_at_send = p->inflight, .retry_after_s = -1};
    pacer_done(p, &o, now);
}

static void refuse_at(struct pacer *p, mono_ms sent, unsigned inflight, double ra, mono_ms now)
{
    struct pacer_outcome o = {.result = PACER_REFUSED, .sent_at = sent,
                              .inflight_at_send = inflight, .retry_after_s = ra};
    pacer_done(p, &o, now);
}

/* Sends whenever allowed from t0 to t1, each answered (accepted) lat ms later. */
static unsigned run_accepting(struct pacer *p, mono_ms t0, mono_ms t1, mono_ms lat)
{
    unsigned sent = 0;
    mono_ms pending[4096];
    size_t np = 0;
    for (mono_ms t = t0; t < t1; t++) {
        size_t k = 0;
        for (size_t i = 0; i < np; i++) {
            if (pending[i] + lat <= t)
                accept_at(p, pending[i], t);
            else
                pending[k++] = pending[i];
        }
        np = k;
        while (pacer_next(p, t) == t && np < 4096) {
            pacer_sent(p, t);
            pending[np++] = t;
            sent++;
        }
    }
    for (size_t i = 0; i < np; i++)
        accept_at(p, pending[i], t1 + lat);
    return sent;
}

/* 20 sends accepted at once, then one refused, answered at answered: the
 * ramp starts from 20 a second (counted over a whole second). */
static void start_ramp(struct pacer *p, mono_ms answered)
{
    init(p, 0, 0, 0, 1);
    for (int i = 0; i < 20; i++) {
        pacer_sent(p, 0);
        accept_at(p, 0, 0);
    }
    pacer_sent(p, 1);
    refuse_at(p, 1, 1, -1, answered);
}

/* The configured ceiling is a sliding window that is never exceeded. */
static void test_ceiling_is_a_sliding_window(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 5, 1000, 0, 1);
    mono_ms sends[64];
    unsigned n = 0;
    for (mono_ms t = 0; t < 3000 && n < 64; t++)
        while (pacer_next(&p, t) == t && n < 64) {
            pacer_sent(&p, t);
            sends[n++] = t;
            accept_at(&p, t, t);
        }
    assert_true(n >= 14);
    for (unsigned i = 5; i < n; i++)
        assert_true(sends[i] - sends[i - 5] >= 1000);
    pacer_free(&p);
}

/* Nothing is learned before a refusal: no rate, and a slow start in flight. */
static void test_slow_start_before_any_refusal(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 1);
    assert_true(pacer_rate(&p, 0) == 0);
    assert_int_equal(pacer_inflight_cap(&p, 0), 4);
    for (int i = 0; i < 4; i++)
        pacer_sent(&p, 0);
    assert_true(pacer_next(&p, 0) == PACER_NEVER);
    for (int i = 0; i < 4; i++)
        accept_at(&p, 0, 40);
    /* Each accepted answer adds one (8 now), but 40 ms after the first send
     * doubling every 100 ms allows 4 x 2^0.4. */
    assert_int_equal(pacer_inflight_cap(&p, 40), 5);
    for (int i = 0; i < 5; i++)
        pacer_sent(&p, 40);
    assert_true(pacer_next(&p, 40) == PACER_NEVER);
    /* But no faster than doubling every 100 ms, however quick the answers:
     * 400 answers within 2 ms would make it 408. */
    for (int i = 0; i < 400; i++) {
        pacer_sent(&p, 41);
        accept_at(&p, 41, 42);
    }
    assert_int_equal(pacer_inflight_cap(&p, 42), 5);
    assert_int_equal(pacer_inflight_cap(&p, 100), 8);  /* 4 x 2^(100 ms / 100 ms) */
    assert_int_equal(pacer_inflight_cap(&p, 300), 32);
    assert_int_equal(pacer_inflight_cap(&p, 2000), 408);  /* the answers' own count */
    pacer_free(&p);
}

/* The first refusal starts a learned rate from what was accepted over a whole
 * second (a burst at the start is a count, not a rate), then doubles each
 * round trip (at least 100 ms). */
static void test_first_refusal_ramps_from_what_was_accepted(void **state)
{
    (void)state;
    struct pacer p;
    start_ramp(&p, 2);
    double r = pacer_rate(&p, 2);
    assert_true(fabs(r - PACER_BETA * 20) < 1e-6);
    assert_true(fabs(pacer_rate(&p, 102) - 2 * r) < 1e-6);
    assert_true(fabs(pacer_rate(&p, 302) - 8 * r) < 1e-6);
    /* The sends now keep to it: about 1/r apart. */
    pacer_sent(&p, 2);
    assert_true(pacer_next(&p, 2) >= 2 + (mono_ms)(1000 / r) - 1);
    pacer_free(&p);
}

/* Requests in flight when a cut came are part of the same overshoot. */
static void test_one_cut_per_round_trip(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 1);
    for (int i = 0; i < 10; i++) {
        pacer_sent(&p, 0);
        accept_at(&p, 0, 0);
    }
    for (int i = 0; i < 8; i++)
        pacer_sent(&p, 5);
    refuse_at(&p, 5, 8, -1, 6);
    double r = pacer_rate(&p, 6);
    unsigned long cuts = p.cuts;
    for (int i = 0; i < 7; i++)
        refuse_at(&p, 5, 8, -1, 6);
    assert_int_equal(p.cuts, cuts);
    assert_true(fabs(pacer_rate(&p, 6) - r) < 1e-9);
    pacer_free(&p);
}

/* Between cuts the rate grows back as a cubic: from PACER_BETA times the rate
 * that was refused, back to it after PACER_CUBIC_K_S, beyond it after. */
static void test_cubic_recovery(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 200, 1000, 0, 1);
    /* A steady 200/s for two seconds, then a refusal: the first cut ramps. */
    run_accepting(&p, 0, 2000, 1);
    pacer_sent(&p, 2000);
    refuse_at(&p, 2000, 1, -1, 2001);
    assert_int_equal(p.mode, PACE_RAMP);
    /* Then a refusal after the ramp went past it: a cubic cut. */
    run_accepting(&p, 2001, 4000, 1);
    double before = pacer_rate(&p, 4000);
    pacer_sent(&p, 4000);
    refuse_at(&p, 4000, 1, -1, 4001);
    assert_int_equal(p.mode, PACE_CUBIC);
    double w = p.w_max, r0 = pacer_rate(&p, 4001);
    mono_ms k = (mono_ms)(PACER_CUBIC_K_S * 1000);
    assert_true(r0 <= PACER_BETA * before + 1e-6);
    assert_true(w <= before);
    assert_true(fabs(pacer_rate(&p, 4001 + k) - w) < 1e-6);
    assert_true(pacer_rate(&p, 4001 + k / 2) > r0);
    assert_true(pacer_rate(&p, 4001 + k / 2) < w);
    assert_true(pacer_rate(&p, 4001 + 2 * k) > w);
    pacer_free(&p);
}

/* Retry-After on a refusal pauses; nothing else in the answer does. */
static void test_retry_after_on_refusal_pauses(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 0);
    pacer_sent(&p, 100);
    refuse_at(&p, 100, 1, 2.5, 110);
    assert_int_equal(pacer_next(&p, 110), 2610);
    assert_int_equal(pacer_next(&p, 2610), 2610);
    /* Without learning (the token's pacer) a refusal changes no rate. */
    assert_true(pacer_rate(&p, 3000) == 0);
    pacer_free(&p);
}

/* Refused without Retry-After, with more in flight than the server ever
 * accepted, at a latency at which in flight bounds the rate: a cap on requests
 * in flight. The cap comes down, the rate does not. */
static void test_refusal_over_accepted_inflight_lowers_concurrency(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 5, 1000, 0, 1);
    run_accepting(&p, 0, 1500, 200);  /* 5/s at 200 ms: one or two in flight */
    assert_true(p.ok_inflight <= 2);
    mono_ms t = 1600;
    for (int i = 0; i < 10; i++)
        pacer_sent(&p, t);
    double before = pacer_bound(&p, t + 1);
    refuse_at(&p, t, 10, -1, t + 1);
    assert_int_equal(p.conc_cap, 9);
    assert_true(pacer_inflight_cap(&p, t + 1) <= 9);
    assert_true(fabs(pacer_bound(&p, t + 1) - before) < 1e-9);
    assert_int_equal(p.cuts, 0);
    /* Told to wait, it is a rate limit, not a cap. */
    struct pacer q;
    init(&q, 5, 1000, 0, 1);
    run_accepting(&q, 0, 1500, 200);
    for (int i = 0; i < 10; i++)
        pacer_sent(&q, 1600);
    refuse_at(&q, 1600, 10, 1, 1601);
    assert_int_equal(q.conc_cap, 0);
    assert_int_equal(q.cuts, 1);
    /* On a fast link in flight never bounds the rate: a cut. */
    struct pacer f;
    init(&f, 0, 0, 0, 1);
    run_accepting(&f, 0, 500, 1);
    for (int i = 0; i < 10; i++)
        pacer_sent(&f, 600);
    refuse_at(&f, 600, f.ok_inflight + 5, -1, 601);
    assert_int_equal(f.conc_cap, 0);
    assert_int_equal(f.cuts, 1);
    pacer_free(&p);
    pacer_free(&q);
    pacer_free(&f);
}

/* In flight follows Little's law: enough for the rate at the latency seen. */
static void test_inflight_follows_latency(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 50, 1000, 0, 1);
    /* Leave the slow start: one refusal. */
    pacer_sent(&p, 0);
    refuse_at(&p, 0, 1, -1, 1);
    for (int i = 0; i < 40; i++) {
        pacer_sent(&p, 10);
        accept_at(&p, 10, 1010);  /* one second each */
    }
    double r = pacer_bound(&p, 1010);
    unsigned want = (unsigned)ceil(r * (p.srtt + 2 * p.rttvar) / 1000.0 * 1.5) + 2;
    assert_int_equal(pacer_inflight_cap(&p, 1010), want);
    assert_true(want >= (unsigned)(r * 1.0));
    /* A hard cap wins. */
    struct pacer q;
    init(&q, 50, 1000, 3, 1);
    assert_int_equal(pacer_inflight_cap(&q, 0), 3);
    for (int i = 0; i < 3; i++)
        pacer_sent(&q, 0);
    assert_true(pacer_next(&q, 0) == PACER_NEVER);
    pacer_free(&p);
    pacer_free(&q);
}

/* A limit the server states is taken as the rate, and never probed beyond. */
static void test_stated_limit(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 1);
    pacer_stated(&p, 100, 10, 0);
    assert_true(fabs(pacer_rate(&p, 0) - 10) < 1e-9);
    assert_true(fabs(pacer_rate(&p, 60000) - 10) < 1e-9);
    /* One above the ceiling changes nothing: the ceiling holds already. */
    struct pacer q;
    init(&q, 5, 1000, 0, 1);
    pacer_stated(&q, 100, 1, 0);
    assert_true(pacer_rate(&q, 0) == 0);
    pacer_free(&p);
    pacer_free(&q);
}

/* "0 remaining, resets in S" pauses only when our own limits do not already
 * hold sends back about that long. */
static void test_reset_hint(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 2, 1000, 0, 1);
    pacer_sent(&p, 0);
    pacer_sent(&p, 0);
    pacer_reset_hint(&p, 1, 0);  /* our window is shut until about then */
    assert_true(p.paused_until == 0);
    pacer_reset_hint(&p, 5, 0);  /* the server counts sends we did not make */
    assert_int_equal(p.paused_until, 5000);
    assert_int_equal(pacer_next(&p, 1500), 5000);
    pacer_free(&p);
}

/* A first refusal that comes back before any accepted answer (429s come
 * sooner than a slow provider's answers): the sends not refused, still in
 * flight, are what the server took, counted over a second. */
static void test_first_refusal_before_any_answer(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 1);
    for (int i = 0; i < 40; i++)
        pacer_sent(&p, 0);
    refuse_at(&p, 0, 40, -1, 5);
    assert_int_equal(p.mode, PACE_RAMP);
    assert_true(fabs(pacer_rate(&p, 5) - PACER_BETA * 39) < 1e-6);
    pacer_free(&p);
}

/* Told a ceiling, refused before any answer came back, behind a slow
 * provider: what is in flight stays the most in flight until an answer comes
 * (a cap on requests in flight would refuse all that is sent before then),
 * and then the rate and Little's law decide again. Told no ceiling, the slow
 * start already holds the first sends, and nothing is added. */
static void test_refused_before_any_answer_holds_inflight(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 2000, 1000, 0, 1);  /* 2000/s: told 10x the 200/s a cap of 20 at 100 ms allows */
    for (mono_ms t = 0; t < 20; t++) {
        assert_int_equal(pacer_next(&p, t), t);
        pacer_sent(&p, t);
        pacer_sent(&p, t);
    }
    refuse_at(&p, 19, 40, -1, 20);  /* the 40th: 39 in flight */
    assert_int_equal(p.inflight, 39);
    assert_int_equal(pacer_inflight_cap(&p, 21), 39);
    assert_int_equal(pacer_next(&p, 50), PACER_NEVER);
    accept_at(&p, 0, 100);  /* the first answer: the latency is known */
    /* Little's law for the ramp's rate at 100 ms asks for fewer. */
    double little = ceil(pacer_bound(&p, 101) * (p.srtt + 2 * p.rttvar) / 1000.0 * 1.5) + 2;
    assert_true(little < 39);
    assert_int_equal(pacer_inflight_cap(&p, 101), (unsigned)little);

    struct pacer f;  /* told nothing */
    init(&f, 0, 0, 0, 1);
    for (int i = 0; i < 4; i++)
        pacer_sent(&f, 0);
    refuse_at(&f, 0, 4, -1, 1);
    assert_int_equal(f.first_hold, 0);
    pacer_free(&p);
    pacer_free(&f);
}

/* Just after the ramp starts the server may still be full of the overshoot:
 * a refusal of a send in its first 100 ms does not cut again; a later one does. */
static void test_ramp_holds_its_first_step(void **state)
{
    (void)state;
    struct pacer p;
    start_ramp(&p, 10);
    assert_int_equal(p.mode, PACE_RAMP);
    pacer_sent(&p, 50);
    refuse_at(&p, 50, 1, -1, 51);
    assert_int_equal(p.mode, PACE_RAMP);
    assert_int_equal(p.cuts, 1);
    pacer_sent(&p, 150);
    refuse_at(&p, 150, 1, -1, 151);
    assert_int_equal(p.mode, PACE_CUBIC);
    assert_int_equal(p.cuts, 2);
    pacer_free(&p);
}

/* The ramp's cut keeps what the server took at the ramp's top, not the
 * average of a doubling climb: against a bucket of 175/s with no burst, sends
 * kept up to 175/s were accepted, so the rate to come back to is near it. */
static void test_ramp_cut_keeps_its_top(void **state)
{
    (void)state;
    struct pacer p;
    init(&p, 0, 0, 0, 1);
    pacer_sent(&p, 0);
    accept_at(&p, 0, 0);
    pacer_sent(&p, 1);
    refuse_at(&p, 1, 1, -1, 1);
    assert_int_equal(p.mode, PACE_RAMP);
    double top = 0;
    for (mono_ms t = 2; t < 5000 && p.mode == PACE_RAMP; t++) {
        if (pacer_next(&p, t) != t)
            continue;
        pacer_sent(&p, t);
        struct pacer_outcome o = {.result = p.send_rate <= 175 ? PACER_ACCEPTED : PACER_REFUSED,
                                  .sent_at = t, .inflight_at_send = 1,
                                  .rate_at_send = p.send_rate, .retry_after_s = -1};
        if (o.result == PACER_ACCEPTED && p.send_rate > top)
            top = p.send_rate;
        pacer_done(&p, &o, t);
    }
    assert_int_equal(p.mode, PACE_CUBIC);
    assert_true(top > 120);
    assert_true(p.w_max >= 0.95 * top);
    assert_true(p.w_max <= 190);
    pacer_free(&p);
}

/* ---- an account's pacer beside the token's ---- */

struct duo {
    struct pacer token, a, b;
    struct pacer_pair pair;
};

static void duo_init(struct duo *d)
{
    struct pacer_limits tl = {.learn = PACER_TOKEN_LEARN, .start = PACER_TOKEN_START};
    assert_int_equal(pacer_init(&d->token, &tl, 0), 0);
    init(&d->a, 0, 0, 0, 1);
    init(&d->b, 0, 0, 0, 1);
    d->pair = (struct pacer_pair){.token = &d->token};
}

static void duo_free(struct duo *d)
{
    pacer_free(&d->token);
    pacer_free(&d->a);
    pacer_free(&d->b);
}

static void duo_done(struct duo *d, struct pacer *acct, enum pacer_result r, mono_ms sent,
                     mono_ms now)
{
    struct pacer_outcome o = {.result = r, .sent_at = sent, .inflight_at_send = 1,
                              .retry_after_s = -1};
    pacer_pair_done(&d->pair, acct, &o, now);
}

/* a and b take turns for 20 ms, every send accepted at once. */
static void duo_take_turns(struct duo *d)
{
    for (mono_ms t = 0; t < 20; t++) {
        struct pacer *acct = t % 2 ? &d->b : &d->a;
        pacer_pair_sent(&d->pair, acct, t);
        duo_done(d, acct, PACER_ACCEPTED, t, t);
    }
}

/* Alone, an account's refusal is its own: the token learns nothing. */
static void test_pair_one_account_is_its_own_limit(void **state)
{
    (void)state;
    struct duo d;
    duo_init(&d);
    for (mono_ms t = 0; t < 10; t++) {
        pacer_pair_sent(&d.pair, &d.a, t);
        duo_done(&d, &d.a, PACER_ACCEPTED, t, t);
    }
    pacer_pair_sent(&d.pair, &d.a, 20);
    duo_done(&d, &d.a, PACER_REFUSED, 20, 21);
    assert_int_equal(d.a.mode, PACE_RAMP);
    assert_int_equal(d.token.mode, PACE_FREE);
    assert_int_equal(d.a.inflight + d.token.inflight, 0);
    duo_free(&d);
}

/* Refused alone while another account gets through: the account's own limit.
 * Refused too within a second of another's refusal: the token's, and the
 * account's pacer is told only that the request is no longer in flight. */
static void test_pair_blames_the_token_when_two_are_refused(void **state)
{
    (void)state;
    struct duo d;
    duo_init(&d);
    duo_take_turns(&d);
    pacer_pair_sent(&d.pair, &d.a, 30);
    pacer_pair_sent(&d.pair, &d.b, 31);
    duo_done(&d, &d.a, PACER_REFUSED, 30, 32);
    assert_int_equal(d.a.mode, PACE_RAMP);      /* alone: its own */
    assert_int_equal(d.token.mode, PACE_FREE);
    duo_done(&d, &d.b, PACER_REFUSED, 31, 33);
    assert_int_equal(d.b.mode, PACE_FREE);      /* the second: the token's */
    assert_int_equal(d.token.mode, PACE_RAMP);
    assert_int_equal(d.a.inflight + d.b.inflight + d.token.inflight, 0);
    /* Two seconds on, a refusal of b alone is b's again. */
    pacer_pair_sent(&d.pair, &d.a, 2500);
    duo_done(&d, &d.a, PACER_ACCEPTED, 2500, 2500);
    pacer_pair_sent(&d.pair, &d.b, 2501);
    duo_done(&d, &d.b, PACER_REFUSED, 2501, 2502);
    assert_int_equal(d.b.mode, PACE_RAMP);
    duo_free(&d);
}

/* Refused twice in a row by the token's limit (by the pair's reckoning) and
 * told when to come back, an account still waits as told: two accounts at
 * their own limits at once look like the token's. */
static void test_pair_account_waits_after_two_token_refusals(void **state)
{
    (void)state;
    struct duo d;
    duo_init(&d);
    duo_take_turns(&d);
    struct pacer_outcome o = {.result = PACER_REFUSED, .inflight_at_send = 1, .retry_after_s = 1};
    pacer_pair_sent(&d.pair, &d.a, 30);
    o.sent_at = 30;
    pacer_pair_done(&d.pair, &d.a, &o, 30);   /* a's own */
    for (mono_ms t = 31; t <= 32; t++) {
        pacer_pair_sent(&d.pair, &d.b, t);
        o.sent_at = t;
        pacer_pair_done(&d.pair, &d.b, &o, t);  /* the token's */
        assert_int_equal(d.b.mode, PACE_FREE);
    }
    assert_true(pacer_next(&d.b, 32) >= 1032);
    duo_free(&d);
}

/* Before any refusal the token keeps a slow start of its own: at most
 * PACER_TOKEN_START in flight, one more for each accepted answer; none once a
 * rate is known. */
static void test_token_slow_start(void **state)
{
    (void)state;
    struct duo d;
    duo_init(&d);
    assert_int_equal(pacer_inflight_cap(&d.token, 0), PACER_TOKEN_START);
    for (int i = 0; i < PACER_TOKEN_START; i++)
        pacer_pair_sent(&d.pair, i % 2 ? &d.b : &d.a, 0);
    assert_int_equal(pacer_next(&d.token, 0), PACER_NEVER);
    duo_done(&d, &d.a, PACER_ACCEPTED, 0, 10);
    assert_int_equal(pacer_inflight_cap(&d.token, 10), PACER_TOKEN_START + 1);
    struct pacer_limits told = {.n = 50, .dur_ms = 1000, .learn = PACER_TOKEN_LEARN,
                                .start = PACER_TOKEN_START};
    struct pacer t2;
    assert_int_equal(pacer_init(&t2, &told, 0), 0);
    assert_true(pacer_inflight_cap(&t2, 0) > 1000);  /* a ceiling: no slow start */
    pacer_free(&t2);
    duo_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_is_a_sliding_window),
        cmocka_unit_test(test_slow_start_before_any_refusal),
        cmocka_unit_test(test_first_refusal_ramps_from_what_was_accepted),
        cmocka_unit_test(test_one_cut_per_round_trip),
        cmocka_unit_test(test_cubic_recovery),
        cmocka_unit_test(test_retry_after_on_refusal_pauses),
        cmocka_unit_test(test_refusal_over_accepted_inflight_lowers_concurrency),
        cmocka_unit_test(test_refused_before_any_answer_holds_inflight),
        cmocka_unit_test(test_inflight_follows_latency),
        cmocka_unit_test(test_stated_limit),
        cmocka_unit_test(test_reset_hint),
        cmocka_unit_test(test_first_refusal_before_any_answer),
        cmocka_unit_test(test_ramp_holds_its_first_step),
        cmocka_unit_test(test_ramp_cut_keeps_its_top),
        cmocka_unit_test(test_pair_one_account_is_its_own_limit),
        cmocka_unit_test(test_pair_blames_the_token_when_two_are_refused),
        cmocka_unit_test(test_pair_account_waits_after_two_token_refusals),
        cmocka_unit_test(test_token_slow_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
