/* pacer.h: how fast to send and how many requests to keep in flight, for one
 * integrated account or for the whole token, and (struct pacer_pair, at the
 * end) whose limit each refusal was. Pure: no I/O, no clock of its own, no
 * allocation after pacer_init.
 *
 * The scheduler asks pacer_next() "may I send now, and if not, when?", tells
 * pacer_sent() of each send, and tells pacer_done() of each outcome: accepted
 * (with its latency), refused (429, or 503 from a proxy) with the wait the
 * server asked for, or a transport error.
 *
 * Three limits apply, the strictest wins:
 *  - the ceiling: the configured N per DUR, a sliding window that is never
 *    exceeded (struct window), its sends spread DUR/N apart. It is kept a
 *    little longer than DUR: a send is counted when it is handed to libcurl,
 *    and reaches the server a moment later, by varying amounts;
 *  - the learned rate, below the ceiling. Nothing is learned until the server
 *    refuses a request. The first refusal starts a rate at PACER_BETA times
 *    what was accepted over the last second (a burst at the start is a count,
 *    not a rate; until a second and a latency have passed since the first
 *    send, sends not refused count as taken, for a 429 comes back before a
 *    slow provider's answers do) and doubles it every round trip (at least
 *    100 ms) until the next refusal of a send at least 100 ms after it (the
 *    server may still be full of the first burst). Each later refusal cuts to
 *    PACER_BETA times what the server
 *    was seen to accept over a span of at least a second (that measure taken
 *    as no less than half the rate in force, so one cut never falls below
 *    PACER_BETA of half of it), and the rate grows back as CUBIC does (RFC
 *    9438): fast while far below the rate that was refused, flat near it
 *    PACER_CUBIC_K_S after the cut, then probing beyond it. Only a request sent
 *    after the last cut can cut again, and not within HOLD_MS of it unless a
 *    quarter of what followed was refused: the refusals already in flight, or
 *    a server whose counter still remembers the overshoot, count once. When
 *    everything sent since the last cut was refused, a pause, not a cut. A
 *    limit the server states (pacer_stated) is taken as the learned rate and
 *    never probed beyond. Sends keep an even spacing at the rate, never early;
 *  - in flight: at most max_inflight (-c, --account-concurrency). Below that,
 *    enough for the rate at the observed latency (Little's law: rate x
 *    latency, with headroom), so a slow provider still gets its whole quota.
 *    While no rate is known at all, a slow start: 4 at first, one more for
 *    each accepted answer, but no faster than doubling every 100 ms
 *    (answers within a millisecond would grow it without bound, and a spent
 *    window then refuses all of it at once). A refusal without Retry-After
 *    with more in flight than any accepted request had, at a latency at which
 *    requests in flight bound the rate, is a concurrency cap (Okta's
 *    concurrent requests limit): the in-flight cap comes down to the count
 *    refused minus one, and the rate is left alone; it is probed up by one
 *    after a long run without such a refusal. Below a ceiling the first
 *    sends go at its pace, with no slow start: refused before any answer
 *    came back, no more are kept in flight than then until the first
 *    accepted answer (a cap on requests in flight refuses all that is sent
 *    before then, and the latency that tells a cap from a rate is not known
 *    yet).
 *
 * Waits: a refusal's Retry-After pauses the account when nothing was accepted
 * since the last cut (the window is spent); otherwise only the refused row
 * waits it (the caller's backoff). "0 remaining, reset in S" on an accepted
 * answer (pacer_reset_hint) pauses until then, unless our own limits hold
 * sends back about as long. A Retry-After on any other answer, a success
 * included, is no reason to wait: the caller does not pass it. With no rate
 * learned (learn without PACER_LEARN_RATE) a refusal's Retry-After simply
 * pauses.
 *
 * All times are mono_ms on the caller's monotonic clock, never going back. */
#ifndef GROUPRM_PACER_H
#define GROUPRM_PACER_H
#include "clock.h"
#include "ratelimit.h"

#define PACER_NEVER UINT64_MAX
#define PACER_BETA 0.8       /* a cut keeps this share of the rate the server took */
#define PACER_CUBIC_K_S 2.0  /* seconds from a cut back to the rate that was refused */

/* What a pacer learns below its ceilings (struct pacer_limits.learn). */
#define PACER_LEARN_RATE 1      /* a rate, from refusals */
#define PACER_LEARN_INFLIGHT 2  /* a slow start, Little's law, a concurrency cap */
#define PACER_LEARN_ALL 3
#define PACER_LEARN_START 4     /* only a slow start, one more for each accepted answer */

struct pacer_limits {
    unsigned n;              /* ceiling: most sends per dur_ms; 0 = none */
    mono_ms dur_ms;
    unsigned max_inflight;   /* 0 = none */
    int learn;               /* PACER_LEARN_*, or 0 for nothing */
    unsigned start;          /* the slow start's first in-flight cap; 0: 4 */
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
    mono_ms last_send;
    double send_rate;        /* the latest send's: 1000 / ms since the one before
                              * (1 ms at least); 0 for the first */
    double ramp_ok;          /* the most a send kept in the ramp and was accepted */
    double last_ms;          /* the learned rate's last slot */
    double hold_ms;          /* no send before this (a stated limit's window so far) */
    unsigned long cuts;

    unsigned long sends, accepts, refusals;  /* cumulative (refusals: by any limit) */
    unsigned long refused_run;  /* refusals since the last accepted answer, each
                                 * sent after the one before came back */
    mono_ms run_refused_at;     /* when the latest of them came back */
    unsigned long refused_since_cut, sent_since_cut, accepted_since_cut;
    unsigned long sends_hist[PACER_SLOTS];    /* cumulative sends at each slot's start */
    unsigned long accepts_hist[PACER_SLOTS];  /* and accepted answers */
    mono_ms hist_at;         /* start of the newest slot */
    unsigned hist_head;      /* the newest slot */
    unsigned hist_n;         /* slots filled */

    unsigned inflight;
    double cwnd, cwnd0;      /* slow start while no rate is known, and its start */
    unsigned first_hold;     /* refused before any answer: at most this many in flight
                              * until the first accepted one; 0 = none */
    double srtt, rttvar;     /* latency, smoothed (ms); srtt 0 = no sample yet */
    unsigned conc_cap;       /* learned from concurrency refusals; 0 = none */
    unsigned ok_inflight;    /* most in flight at an accepted request's send */
    unsigned long conc_quiet; /* accepted since the last concurrency refusal or probe */
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
    PACER_ELSEWHERE,         /* refused by a limit another pacer answers for */
};

struct pacer_outcome {
    enum pacer_result result;
    mono_ms sent_at;
    unsigned inflight_at_send;  /* in flight once it was sent, itself included */
    double rate_at_send;     /* the rate its send kept (pacer.send_rate then); 0: unknown */
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

/* ---- an account's pacer beside the token's ----
 *
 * Every send counts against both; a refusal is either one's. A token-wide
 * limit refuses every account alike, an account's own limit only that one
 * while the others get through: so a refusal is the token's when another
 * account was refused too within a second (or two round trips), and the
 * account's own when it was refused alone, or when no other account was
 * sending (then the two are one); only the account's own may then be read as
 * a concurrency cap. The token's pacer learns a rate and keeps a slow start of
 * its own before any refusal (PACER_TOKEN_START), so that many accounts
 * starting at once do not send a burst the token's limit refuses. */
#define PACER_TOKEN_LEARN (PACER_LEARN_RATE | PACER_LEARN_START)
#define PACER_TOKEN_START 32  /* before any refusal, at most this many in flight at first */

struct pacer_recent {        /* the two most recent distinct accounts, and when */
    const struct pacer *who[2];
    mono_ms at[2];
};

struct pacer_pair {
    struct pacer *token;
    struct pacer_recent sent, refused;
};

/* One send for the account whose pacer is acct. */
void pacer_pair_sent(struct pacer_pair *pp, struct pacer *acct, mono_ms now);
/* Its outcome, told to the pacer whose limit it was (and the other only that
 * it is no longer in flight). A Retry-After pauses an account, never the
 * token: on the account's own refusal as pacer_done() says, and on the
 * token's when the account was refused twice with nothing accepted between
 * (two accounts at their own limits at once look like the token's). */
void pacer_pair_done(struct pacer_pair *pp, struct pacer *acct, const struct pacer_outcome *o,
                     mono_ms now);

#endif
