/* pacer.h: how fast to send and how many requests to keep in flight, for one
 * integrated account or for the whole token. Pure: no I/O, no clock of its own,
 * no allocation after pacer_init.
 *
 * The scheduler asks pacer_next() "may I send now, and if not, when?", tells
 * pacer_sent() of each send, and tells pacer_done() of each outcome: accepted
 * (with its latency), refused (429, or 503 from a proxy) with the wait the
 * server asked for, or a transport error.
 *
 * Three limits apply, the strictest wins:
 *  - the ceiling: the configured N per DUR, a sliding window that is never
 *    exceeded (struct window). It is kept a little longer than DUR: a send is
 *    counted when it is handed to libcurl, and reaches the server a moment
 *    later, by varying amounts;
 *  - the learned rate, below the ceiling. Nothing is learned until the server
 *    refuses a request. On a refusal the rate is cut to BETA times the rate the
 *    server was seen to take over the last second (the sends of the last
 *    SPAN_MS, refused ones included, over SPAN_MS: a span of time, never the
 *    count of one burst). Then it grows back as CUBIC does (RFC 9438): fast
 *    while far below the rate that was refused, flat near it, then probing
 *    beyond it. When that rate is not known well (the first refusal came
 *    before a whole span had passed), it doubles every round trip until the
 *    next refusal instead. A limit the server states (ratelimit-limit with a
 *    window) is taken as the learned rate and never probed beyond.
 *    A refusal cuts at most once per round trip: only a request sent after the
 *    last cut can cut again, and not within HOLD_MS of it (unless most sends
 *    since the cut were refused), so the burst of refusals that were already
 *    in flight, or a server whose counter still remembers the overshoot, counts
 *    once;
 *  - in flight: at most max_inflight (-c, --account-concurrency). Below that,
 *    enough for the rate at the observed latency (Little's law: rate x latency,
 *    with headroom), so a slow provider still gets its whole quota. While no
 *    rate is known at all, a slow start: a few at first, one more for every two
 *    accepted. A refusal that comes while the account sends well under its rate
 *    and carries no Retry-After is a concurrency cap (Okta's concurrent
 *    requests limit): the in-flight cap is lowered to the count that was
 *    refused minus one, and the rate is left alone; it is probed up by one
 *    after a long run without such a refusal.
 *
 * Waits the server asks for (Retry-After on 413, 429 and 503, or "0 remaining,
 * reset in S" that our own window does not already explain) pause sending
 * until then. A Retry-After on any other answer, a success included, is no
 * reason to wait and is ignored.
 *
 * All times are mono_ms on the caller's monotonic clock, never going back. */
#ifndef GROUPRM_PACER_H
#define GROUPRM_PACER_H
#include "clock.h"
#include "ratelimit.h"

#define PACER_NEVER UINT64_MAX
#define PACER_BETA 0.8       /* a cut keeps this share of the rate the server took */
#define PACER_CUBIC_K_S 2.0  /* seconds from a cut back to the rate that was refused */

struct pacer_limits {
    unsigned n;              /* ceiling: most sends per dur_ms; 0 = none */
    mono_ms dur_ms;
    unsigned max_inflight;   /* 0 = none */
    int learn;               /* learn a rate and a concurrency below the ceilings */
};

enum pacer_mode {
    PACE_FREE,               /* nothing learned: only the ceilings */
    PACE_RAMP,               /* learned from too little: doubling each round trip */
    PACE_CUBIC,              /* growing back towards w_max, then beyond it */
    PACE_STATED,             /* the server stated its limit */
};

#define PACER_SLOTS 64       /* history of cumulative counts, one slot per PACER_SLOT_MS */
#define PACER_SLOT_MS 50

struct pacer {
    struct window win;       /* the configured ceiling */
    double ceiling_rate;     /* n per second, 0 = none */
    unsigned max_inflight;
    int learn;

    enum pacer_mode mode;
    double r0;               /* rate just after the last cut (requests per second) */
    double w_max;            /* the rate that was refused (CUBIC's W_max) */
    double stated;           /* a stated limit, per second; 0 = none */
    mono_ms epoch;           /* the last cut, or when a stated limit came */
    mono_ms first_send;      /* PACER_NEVER before the first */
    double last_ms;          /* the learned rate's last slot */
    double hold_ms;          /* no send before this (a stated limit's window so far) */
    unsigned long cuts;

    unsigned long sends, accepts;          /* cumulative */
    unsigned long refused_since_cut, sent_since_cut, accepted_since_cut;
    unsigned long sends_hist[PACER_SLOTS];    /* cumulative sends at each slot's start */
    unsigned long accepts_hist[PACER_SLOTS];  /* and accepted answers */
    mono_ms hist_at;         /* start of the newest slot */
    unsigned hist_head;      /* the newest slot */
    unsigned hist_n;         /* slots filled */

    unsigned inflight;
    double cwnd;             /* slow start while no rate is known */
    double srtt, rttvar;     /* latency, smoothed (ms); srtt 0 = no sample yet */
    unsigned conc_cap;       /* learned from concurrency refusals; 0 = none */
    unsigned ok_inflight;    /* most in flight at an accepted request's send */
    unsigned long conc_quiet; /* accepted since the last concurrency refusal or probe */
    unsigned long conc_cuts;
    mono_ms paused_until;
};

/* Returns 0, or -1 when out of memory. */
int pacer_init(struct pacer *p, const struct pacer_limits *l, mono_ms now);
void pacer_free(struct pacer *p);

/* The earliest time >= now at which one more send may go: PACER_NEVER while
 * the in-flight cap is reached (a completion must come first). */
mono_ms pacer_next(const struct pacer *p, mono_ms now);

/* A send went out at now. The caller checked pacer_next(p, now) == now. */
void pacer_sent(struct pacer *p, mono_ms now);

enum pacer_result {
    PACER_ACCEPTED,          /* any answer that is not a refusal */
    PACER_REFUSED,           /* 429, or a bare 503 */
    PACER_FAILED,            /* no answer: transport error, timeout */
};

struct pacer_outcome {
    enum pacer_result result;
    mono_ms sent_at;
    unsigned inflight_at_send;  /* in flight once it was sent, itself included */
    double retry_after_s;    /* asked on a refusal; < 0: none */
};

void pacer_done(struct pacer *p, const struct pacer_outcome *o, mono_ms now);

/* A limit the server stated: limit requests per window_s seconds. */
void pacer_stated(struct pacer *p, double limit, double window_s, mono_ms now);

/* The server said nothing remains for reset_s seconds (on an accepted answer):
 * pause until then, unless our own limits hold sends back about as long. */
void pacer_reset_hint(struct pacer *p, double reset_s, mono_ms now);

/* Pause sending until at least until. */
void pacer_pause(struct pacer *p, mono_ms until);

/* The learned rate in force now, requests per second; 0 when none. */
double pacer_rate(const struct pacer *p, mono_ms now);
/* The in-flight cap in force now. */
unsigned pacer_inflight_cap(const struct pacer *p, mono_ms now);
/* Requests per second the ceilings and learned rate allow now; 0 = no bound. */
double pacer_bound(const struct pacer *p, mono_ms now);

#endif
