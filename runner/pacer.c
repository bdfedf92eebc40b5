/* pacer.c: see pacer.h. */
#include "pacer.h"

#include <math.h>

#define SPAN_MS 1000       /* rates are measured over at least this span */
#define SHORT_MS 200       /* and over this one too, to see a change sooner */
#define EDGE_SHARE 0.97    /* refused while the server took this share of the rate ... */
#define EDGE_BETA 0.9      /* ... then W_max is at least this share of the base */
#define CUT_FLOOR 0.5      /* one cut never goes below this share of the rate in force */
#define QUIET_MS 250       /* the pause when everything after a cut is refused */
#define HOLD_MS 1000       /* no second cut this soon after one ... */
#define HOLD_BREAK 8       /* ... unless this many sends since it were refused, a quarter of them */
#define SLOW_START_MS 100  /* the slow start doubles at most this often */
#define RAMP_MIN_MS 100    /* the ramp doubles every round trip, at least this long */
#define RAMP_START 1.0     /* requests per second: the ramp starts no lower */
#define MIN_RATE 0.1       /* requests per second: never slower than this */
#define MAX_RATE 1e6
#define CONC_MIN_RTT_MS 20 /* below this latency, in flight never bounds the rate */
#define LITTLE_HEADROOM 1.5
#define LATENCY_PRIOR_MS 1000.0  /* before the first answer */
#define CWND_START 4.0
#define CONC_PROBE 20      /* round trips of accepted answers before probing one more */
#define CONC_MIN 3         /* refused with fewer in flight: never a concurrency cap */
#define MEASURE_ACCEPTS 8  /* a rate is measured over a span that holds this many */
#define MEASURE_MAX_MS 3000
#define BLAME_MS 1000     /* refusals of two accounts this close: the token's limit */

static double fmin2(double a, double b) { return a < b ? a : b; }
static double fmax2(double a, double b) { return a > b ? a : b; }

/* The margin a window is kept longer than configured (see pacer.h). */
static mono_ms window_margin(mono_ms dur)
{
    mono_ms m = dur / 100;
    return m < 2 ? 2 : m > 100 ? 100 : m;
}

int pacer_init(struct pacer *p, const struct pacer_limits *l, mono_ms now)
{
    *p = (struct pacer){0};
    if (window_init(&p->win, l->n, l->n ? l->dur_ms + window_margin(l->dur_ms) : 0) != 0)
        return -1;
    window_set_pacing(&p->win, 1);
    p->ceiling_rate = l->n ? (double)l->n * 1000.0 / (double)l->dur_ms : 0.0;
    p->max_inflight = l->max_inflight;
    p->learn = l->learn;
    p->mode = PACE_FREE;
    p->epoch = now;
    p->first_send = PACER_NEVER;
    p->last_ms = -1e18;
    p->hist_at = now;
    p->hist_n = 1;
    p->cwnd = p->cwnd0 = l->start ? l->start : CWND_START;
    return 0;
}

void pacer_free(struct pacer *p) { window_free(&p->win); }

/* ---- the learned rate ---------------------------------------------------- */

/* The learned rate at time t >= epoch; 0 when none. */
static double learned_at(const struct pacer *p, mono_ms t)
{
    double dt = t > p->epoch ? (double)(t - p->epoch) : 0.0, r;
    switch (p->mode) {
    case PACE_FREE:
        return 0.0;
    case PACE_STATED:
        return p->stated;
    case PACE_RAMP:
        r = p->r0 * exp2(fmin2(dt / fmax2(RAMP_MIN_MS, p->srtt), 40.0));
        break;
    case PACE_CUBIC:
    default: {
        /* W(t) = w_max + C (t - K)^3 with W(0) = r0 = PACER_BETA w_max: C follows from
         * K, so recovery takes PACER_CUBIC_K_S whatever the scale of the rate. */
        double k3 = PACER_CUBIC_K_S * PACER_CUBIC_K_S * PACER_CUBIC_K_S;
        double x = dt / 1000.0 - PACER_CUBIC_K_S;
        r = p->w_max + p->w_max * (1.0 - PACER_BETA) / k3 * x * x * x;
        break;
    }
    }
    if (p->stated > 0)
        r = fmin2(r, p->stated);
    return fmin2(fmax2(r, MIN_RATE), MAX_RATE);
}

double pacer_rate(const struct pacer *p, mono_ms now) { return learned_at(p, now); }

double pacer_bound(const struct pacer *p, mono_ms now)
{
    double r = learned_at(p, now);
    if (p->ceiling_rate > 0 && (r == 0 || p->ceiling_rate < r))
        r = p->ceiling_rate;
    return r;
}

/* ---- history of sends, for rates over a span ---------------------------- */

static void hist_advance(struct pacer *p, mono_ms now)
{
    if (now < p->hist_at + PACER_SLOT_MS)
        return;
    if (now - p->hist_at >= (mono_ms)PACER_SLOTS * PACER_SLOT_MS) {
        /* Idle for longer than the history holds: nothing happened since. */
        p->hist_at = now;
        p->hist_head = 0;
        p->hist_n = 1;
        p->sends_hist[0] = p->sends;
        p->accepts_hist[0] = p->accepts;
        return;
    }
    while (now >= p->hist_at + PACER_SLOT_MS) {
        p->hist_at += PACER_SLOT_MS;
        p->hist_head = (p->hist_head + 1) % PACER_SLOTS;
        p->sends_hist[p->hist_head] = p->sends;
        p->accepts_hist[p->hist_head] = p->accepts;
        if (p->hist_n < PACER_SLOTS)
            p->hist_n++;
    }
}

/* Events per second over the last span_ms (whole slots) of one history: sends
 * (refused ones included) or accepted answers. Before a whole span has passed,
 * the events so far still count over span_ms: a burst at the start is not a
 * rate. */
static double rate_over(const struct pacer *p, const unsigned long *hist, unsigned long now_count,
                        mono_ms span_ms)
{
    unsigned back = (unsigned)((span_ms + PACER_SLOT_MS - 1) / PACER_SLOT_MS);
    if (back >= PACER_SLOTS)
        back = PACER_SLOTS - 1;
    unsigned long base;
    if (back >= p->hist_n)
        base = hist[(p->hist_head + PACER_SLOTS - (p->hist_n - 1)) % PACER_SLOTS];
    else
        base = hist[(p->hist_head + PACER_SLOTS - back) % PACER_SLOTS];
    double span = (double)back * PACER_SLOT_MS;
    if (span < PACER_SLOT_MS)
        span = PACER_SLOT_MS;
    return (double)(now_count - base) * 1000.0 / span;
}

static double accepted_rate(const struct pacer *p, mono_ms span_ms)
{
    return rate_over(p, p->accepts_hist, p->accepts, span_ms);
}

/* What the server took over span_ms, per second. Accepted answers come a
 * latency after their sends, and refusals usually sooner: until a whole span
 * and a latency have passed since the first send, the answers so far say
 * little, and sends not refused (those still in flight included) say more. */
static double taken_rate(const struct pacer *p, mono_ms span_ms, mono_ms now)
{
    double acc = accepted_rate(p, span_ms);
    double lat = p->srtt > 0 ? p->srtt : LATENCY_PRIOR_MS;
    if (p->first_send == PACER_NEVER || (double)(now - p->first_send) >= (double)span_ms + lat)
        return acc;
    double since = fmax2((double)(now - p->first_send), (double)span_ms);
    double admitted = p->sends > p->refusals ? (double)(p->sends - p->refusals) : 0.0;
    return fmax2(acc, admitted * 1000.0 / since);
}

/* ---- concurrency --------------------------------------------------------- */

/* The slow start's cap: what accepted answers have grown it to, but no more
 * than doubling every SLOW_START_MS since the first send. Answers that come
 * back within a millisecond would otherwise grow it without bound before the
 * first refusal, and a spent window then refuses all of it at once. */
static double slow_start(const struct pacer *p, mono_ms now)
{
    double since = p->first_send == PACER_NEVER || now < p->first_send
                       ? 0.0 : (double)(now - p->first_send);
    return floor(fmin2(p->cwnd, p->cwnd0 * exp2(fmin2(since / SLOW_START_MS, 40.0))));
}

unsigned pacer_inflight_cap(const struct pacer *p, mono_ms now)
{
    double cap = p->max_inflight ? (double)p->max_inflight : 1e9;
    if (p->conc_cap && p->conc_cap < cap)
        cap = p->conc_cap;
    double r = pacer_bound(p, now);
    if ((p->learn & PACER_LEARN_INFLIGHT) && r > 0) {
        /* With a rate to keep, what it needs at the latency seen. */
        double lat = p->srtt > 0 ? p->srtt + 2.0 * p->rttvar : LATENCY_PRIOR_MS;
        cap = fmin2(cap, ceil(r * lat / 1000.0 * LITTLE_HEADROOM) + 2.0);
    } else if ((p->learn & (PACER_LEARN_INFLIGHT | PACER_LEARN_START)) && r == 0) {
        /* With none (nothing told, nothing learned) a slow start, so the
         * burst a server refuses first is small and a fast server is still
         * reached within a few round trips. */
        cap = fmin2(cap, slow_start(p, now));
    }
    if (p->first_hold && p->accepts == 0)
        cap = fmin2(cap, p->first_hold);
    return cap < 1 ? 1u : (unsigned)cap;
}

/* ---- the scheduler's questions and reports ------------------------------- */

/* When the learned rate lets the next send go: one interval at today's rate
 * after the last (so a rate that grows lets the next go sooner). 0: now. */
static double next_slot(const struct pacer *p, mono_ms now)
{
    double r = p->mode == PACE_FREE ? p->ceiling_rate : learned_at(p, now), slot = p->hold_ms;
    if (r > 0)
        slot = fmax2(slot, p->last_ms + 1000.0 / r);
    return slot;
}

mono_ms pacer_next(const struct pacer *p, mono_ms now)
{
    if (p->inflight >= pacer_inflight_cap(p, now))
        return PACER_NEVER;
    mono_ms t = window_next_free(&p->win, now);
    if (p->paused_until > t)
        t = p->paused_until;
    double slot = next_slot(p, now);
    if (slot > (double)t)
        t = (mono_ms)ceil(slot - 1e-9);
    return t;
}

void pacer_sent(struct pacer *p, mono_ms now)
{
    hist_advance(p, now);
    window_record(&p->win, now);
    p->inflight++;
    p->sends++;
    p->sent_since_cut++;
    if (p->first_send == PACER_NEVER) {
        p->first_send = now;
        p->send_rate = 0;
    } else {
        p->send_rate = 1000.0 / fmax2((double)(now - p->last_send), 1.0);
    }
    p->last_send = now;
    double r = p->mode == PACE_FREE ? p->ceiling_rate : learned_at(p, now);
    if (r > 0) {
        /* Keep to the schedule while sending on it (a send waits for the next
         * whole millisecond, so it may come a little late); start afresh after
         * a pause. Never early: a strict bucket refuses a send that is. */
        double iv = 1000.0 / r, slot = p->last_ms + iv;
        p->last_ms = slot >= (double)now - iv ? fmax2(slot, (double)now - 1.0 + 1e-9) : (double)now;
    }
}

void pacer_pause(struct pacer *p, mono_ms until)
{
    if (until > p->paused_until)
        p->paused_until = until;
}

static void latency_sample(struct pacer *p, double ms)
{
    if (p->srtt == 0) {
        p->srtt = ms > 0 ? ms : 0.001;
        p->rttvar = ms / 2.0;
        return;
    }
    double err = ms - p->srtt;
    p->srtt += err / 8.0;
    p->rttvar += (fabs(err) - p->rttvar) / 4.0;
}

/* A span over which to measure a rate of about r: long enough to hold a few
 * events at that rate, and two round trips, within min_ms..max_ms. */
static mono_ms span_for(const struct pacer *p, double r, double min_ms, double max_ms)
{
    double span = r > 0 ? MEASURE_ACCEPTS * 1000.0 / r : min_ms;
    span = fmax2(span, fmax2(min_ms, 2.0 * p->srtt));
    return (mono_ms)fmin2(span, max_ms);
}

/* A refusal that a rate cut answers. The new rate comes from what the server
 * accepted lately, never from a count of one burst; but one cut never goes
 * below half the rate in force (times PACER_BETA), so a moment in which nothing was
 * accepted cannot throw the rate to the floor. Cuts that follow each other
 * closely (see refused()) bring a rate far too high down quickly. */
static void cut_rate(struct pacer *p, const struct pacer_outcome *o, mono_ms now)
{
    if (p->mode == PACE_FREE) {
        /* The first refusal: what was accepted over the last whole second is
         * all that is known, and a burst at the start makes that a count, not
         * a rate. Start from it and double each round trip until the next
         * refusal, which will tell more. */
        double acc1 = taken_rate(p, SPAN_MS, now);
        double ceil_r = p->ceiling_rate > 0 ? p->ceiling_rate : MAX_RATE;
        p->r0 = fmin2(fmax2(PACER_BETA * acc1, RAMP_START), ceil_r);
        p->w_max = 0;
        p->mode = PACE_RAMP;
    } else {
        /* What the server took, over the last second and over the last few
         * round trips: a server refusing part of what it is sent admits at
         * its rate, and the shorter span sees that sooner when the rate was
         * climbing. Never below half the rate in force in one cut, so a
         * moment in which nothing was accepted cannot throw it to the floor. */
        double at_send = pacer_bound(p, o->sent_at);
        double acc = taken_rate(p, span_for(p, at_send, SPAN_MS, MEASURE_MAX_MS), now);
        if (p->mode == PACE_RAMP) {
            /* Climbing: the last second lags behind, and the last few round
             * trips too, by the ramp's doubling; the sends the server took at
             * the ramp's highest rate say most. */
            acc = fmax2(acc, accepted_rate(p, span_for(p, at_send, SHORT_MS, SPAN_MS)));
            acc = fmax2(acc, fmin2(p->ramp_ok, at_send));
        }
        double base = fmax2(fmin2(fmax2(acc, CUT_FLOOR * at_send), at_send), MIN_RATE);
        /* The rate to come back to (CUBIC's W_max): the rate that was refused,
         * but no more than the server was seen to take (sending twice its
         * rate says only that the limit is below, not where; and a counter
         * that averages over its window refuses only once the rate is well
         * past it), and no less than PACER_BETA of the base, or EDGE_BETA of
         * it when the server took nearly all of what was sent (the edge of
         * its limit, not an overshoot). The rate restarts at PACER_BETA of it. */
        double keep = acc >= EDGE_SHARE * at_send ? EDGE_BETA : PACER_BETA;
        p->w_max = fmax2(fmin2(at_send, acc), keep * base);
        p->r0 = PACER_BETA * p->w_max;
        p->mode = PACE_CUBIC;
    }
    if (p->stated > 0 && p->r0 > p->stated)
        p->r0 = PACER_BETA * p->stated;
    p->epoch = now;
    /* The refused sends were the last: the next keeps an interval of the new
     * rate after them. */
    p->last_ms = fmax2(p->last_ms, (double)o->sent_at);
    p->cuts++;
    p->ramp_ok = 0;
    p->refused_since_cut = 0;
    p->sent_since_cut = 0;
    p->accepted_since_cut = 0;
}

/* Refused without being told to wait, with more in flight than any request
 * the server accepted had, at a latency at which requests in flight bound what
 * can be sent: the server caps requests in flight (Okta's concurrent requests
 * limit). That cap comes down, not the rate. */
static int conc_refusal(const struct pacer *p, const struct pacer_outcome *o)
{
    return (p->learn & PACER_LEARN_INFLIGHT) && o->retry_after_s < 0 &&
           o->inflight_at_send >= CONC_MIN && o->inflight_at_send > p->ok_inflight &&
           p->srtt >= CONC_MIN_RTT_MS;
}

static void refused(struct pacer *p, const struct pacer_outcome *o, mono_ms now)
{
    int told = o->retry_after_s >= 0;
    mono_ms told_until = told ? now + (mono_ms)(o->retry_after_s * 1000.0) : 0;
    if (!(p->learn & PACER_LEARN_RATE)) {
        if (told)
            pacer_pause(p, told_until);
        return;
    }
    if (p->cuts && o->sent_at <= p->epoch)
        return;  /* in flight at the last cut: part of the same overshoot */
    if (p->accepts == 0 && !p->first_hold && p->ceiling_rate > 0 &&
        (p->learn & PACER_LEARN_INFLIGHT))
        /* Refused before any answer came back, with a ceiling that let the
         * first sends go at its pace (told nothing, the slow start holds
         * them): the server took what is in flight, and nothing says yet at
         * what latency. A cap on requests in flight refuses so too, and
         * would refuse all that is sent until the first answers come: hold
         * what is in flight until then. */
        p->first_hold = p->inflight ? p->inflight : 1;
    p->refused_since_cut++;
    if (conc_refusal(p, o)) {
        p->conc_cap = o->inflight_at_send - 1;
        p->conc_quiet = 0;
        return;
    }
    /* Told when to come back, and nothing accepted since the last cut: the
     * window is spent, so wait as told. A refusal just after accepted sends
     * is an overshoot, which a cut answers; the refused row itself waits the
     * Retry-After (the caller's backoff), so a server that stamps a second
     * on every 429 does not stop the account for a second at each probe. */
    if (told && p->cuts && p->accepted_since_cut == 0) {
        pacer_pause(p, told_until);
        return;
    }
    /* The server may still remember the overshoot (a counter that counts
     * refused requests too, a window that is spent): hold. Only a server that
     * still accepts some, but refuses most, of what came after the cut is
     * being sent far too much. */
    if (p->mode == PACE_CUBIC && p->accepted_since_cut == 0 && p->refused_since_cut >= 2) {
        /* Everything since the cut refused: a counter that counts refused
         * requests too, still over, or a window that is spent. More requests
         * only keep it there, and what was accepted lately (nothing) says
         * nothing of the rate: pause, and let it fall. */
        if (p->paused_until < now)
            pacer_pause(p, now + QUIET_MS);
        return;
    }
    if (p->mode == PACE_RAMP && o->sent_at < p->epoch + RAMP_MIN_MS)
        return;  /* the server still full of the overshoot: the ramp's first step goes on */
    if (p->mode == PACE_CUBIC && o->sent_at < p->epoch + HOLD_MS &&
        (p->refused_since_cut < HOLD_BREAK || 4 * p->refused_since_cut <= p->sent_since_cut))
        return;
    cut_rate(p, o, now);
}

/* Counts a refusal into the run since the last accepted answer, when it was
 * sent after the run's previous refusal came back (those in flight together
 * are one); returns the run's length. */
static unsigned long refused_in_run(struct pacer *p, const struct pacer_outcome *o, mono_ms now)
{
    if (p->refused_run == 0 || o->sent_at >= p->run_refused_at)
        p->refused_run++;
    p->run_refused_at = now;
    return p->refused_run;
}

void pacer_done(struct pacer *p, const struct pacer_outcome *o, mono_ms now)
{
    hist_advance(p, now);
    if (p->inflight)
        p->inflight--;
    switch (o->result) {
    case PACER_ACCEPTED:
        p->accepts++;
        p->refused_run = 0;
        if (o->sent_at > p->epoch)
            p->accepted_since_cut++;
        if (o->inflight_at_send > p->ok_inflight)
            p->ok_inflight = o->inflight_at_send;
        if (p->mode == PACE_RAMP && o->sent_at > p->epoch && o->rate_at_send > p->ramp_ok)
            p->ramp_ok = o->rate_at_send;
        latency_sample(p, (double)(now >= o->sent_at ? now - o->sent_at : 0));
        if (p->mode == PACE_FREE) {
            p->cwnd += 1.0;  /* one more per answer: doubling each round trip */
            if (p->cwnd > 1e6)
                p->cwnd = 1e6;
        }
        if (p->conc_cap && ++p->conc_quiet >= (unsigned long)CONC_PROBE * p->conc_cap) {
            p->conc_cap++;
            p->conc_quiet = 0;
        }
        break;
    case PACER_REFUSED:
        p->refusals++;
        refused_in_run(p, o, now);
        refused(p, o, now);
        break;
    case PACER_ELSEWHERE:
        p->refusals++;
        /* The token's limit, by pacer_pair's reckoning, but perhaps this
         * account's own as well (two accounts at their own limits at once look
         * the same): refused again after a refusal came back, with nothing
         * accepted between, and told when to come back, the account waits as
         * told. */
        if (refused_in_run(p, o, now) >= 2 && o->retry_after_s >= 0)
            pacer_pause(p, now + (mono_ms)(o->retry_after_s * 1000.0));
        break;
    case PACER_FAILED:
        break;
    }
}

void pacer_stated(struct pacer *p, double limit, double window_s, mono_ms now)
{
    if (!(p->learn & PACER_LEARN_RATE) || limit <= 0 || window_s <= 0)
        return;
    double r = limit / window_s;
    if (p->ceiling_rate > 0 && r >= p->ceiling_rate)
        return;  /* the ceiling already holds sends below it */
    if (p->stated > 0 && fabs(r - p->stated) < 1e-9)
        return;
    p->stated = r;
    if (p->mode == PACE_FREE || learned_at(p, now) > r) {
        p->mode = PACE_STATED;
        p->epoch = now;
        /* The sends of this window so far count against it: the next waits
         * for their share. */
        mono_ms span = (mono_ms)(window_s * 1000.0);
        double k = p->first_send != PACER_NEVER && now - p->first_send < span
                       ? (double)p->sends
                       : rate_over(p, p->sends_hist, p->sends, span) * window_s;
        p->hold_ms = fmax2(p->hold_ms, (double)now + k * 1000.0 / r);
    }
}

void pacer_reset_hint(struct pacer *p, double reset_s, mono_ms now)
{
    mono_ms until = now + (mono_ms)(reset_s * 1000.0);
    /* Reset times come in whole seconds, rounded up. When our own window or
     * rate already holds this account back until about then, the server
     * agrees with us and a pause would only waste the rest of the window. Only
     * a server that counts sends we did not make needs the pause. */
    mono_ms held = window_next_free(&p->win, now);
    double slot = next_slot(p, now);
    if (slot > (double)held)
        held = (mono_ms)slot;
    if (held + 1000 >= until)
        return;
    pacer_pause(p, until);
}

/* ---- an account's pacer beside the token's ------------------------------- */

/* Whether, of the two most recent distinct accounts in r, one that is not who
 * came at or after since. */
static int other_since(const struct pacer_recent *r, const struct pacer *who, mono_ms since)
{
    for (int i = 0; i < 2; i++)
        if (r->who[i] && r->who[i] != who)
            return r->at[i] >= since;
    return 0;
}

static void recent_note(struct pacer_recent *r, const struct pacer *who, mono_ms now)
{
    if (r->who[0] != who) {
        r->who[1] = r->who[0];
        r->at[1] = r->at[0];
        r->who[0] = who;
    }
    r->at[0] = now;
}

void pacer_pair_sent(struct pacer_pair *pp, struct pacer *acct, mono_ms now)
{
    pacer_sent(pp->token, now);
    pacer_sent(acct, now);
    recent_note(&pp->sent, acct, now);
}

/* Whose limit refused: the token's when another account was refused lately
 * too, and the account's own when it was refused alone while others were
 * sending (or nobody else was sending at all: then the two are one). */
static int token_to_blame(struct pacer_pair *pp, const struct pacer *who, mono_ms now)
{
    mono_ms span = (mono_ms)fmax2(BLAME_MS, 2.0 * pp->token->srtt);
    mono_ms since = now > span ? now - span : 0;
    int others_sent = other_since(&pp->sent, who, since);
    int others_refused = other_since(&pp->refused, who, since);
    recent_note(&pp->refused, who, now);
    return others_sent && others_refused;
}

void pacer_pair_done(struct pacer_pair *pp, struct pacer *acct, const struct pacer_outcome *o,
                     mono_ms now)
{
    struct pacer_outcome a = *o, t = *o;
    /* The token's pause would stop every account, and "nothing accepted since
     * the cut" says little there: at a provider's latency the answers of many
     * accounts are still on their way. Each account waits for itself. */
    t.retry_after_s = -1;
    if (o->result == PACER_REFUSED) {
        if (token_to_blame(pp, acct, now))
            a.result = PACER_ELSEWHERE;
        else
            t.result = PACER_ELSEWHERE;
    }
    pacer_done(acct, &a, now);
    pacer_done(pp->token, &t, now);
}
