/* ratelimit.h: sliding-window request limits, pure arithmetic on a caller's clock.
 *
 * A window admits at most n sends in any interval of length dur_ms. It keeps the
 * times of the last n sends in a ring: a send is allowed when the ring is not yet
 * full, or when its oldest entry is at least dur_ms old. Holding the sliding
 * invariant also keeps every fixed window of the same length at or below n.
 *
 * n == 0 means "no limit": window_next_free always answers now.
 * Nothing here sleeps, allocates after init, or reads a clock. */
#ifndef GROUPRM_RATELIMIT_H
#define GROUPRM_RATELIMIT_H
#include <stddef.h>
#include "clock.h"

struct window {
    mono_ms *ring;   /* send times, oldest at ring[head] once full */
    unsigned n;      /* capacity: most sends per window; 0 = unlimited */
    unsigned limit;  /* sends per window in force now, 1..n (lowered by struct adapt) */
    int pace;        /* also space sends at least dur_ms/limit apart */
    unsigned head;   /* index of the oldest entry */
    unsigned count;  /* entries in use, <= n */
    mono_ms dur_ms;  /* window length */
};

/* Returns 0, or -1 when out of memory. */
int window_init(struct window *w, unsigned n, mono_ms dur_ms);
void window_free(struct window *w);

/* Earliest time >= now at which one more send is allowed. */
mono_ms window_next_free(const struct window *w, mono_ms now);

/* Sets the sends per window in force, clamped to 1..n. */
void window_set_limit(struct window *w, unsigned limit);

/* Spreads sends evenly (at least dur_ms/limit apart) instead of in bursts, so
 * a server that smooths its limit (a leaky bucket) sees a steady stream. */
void window_set_pacing(struct window *w, int on);

/* Sends recorded after `since` (at most n). */
unsigned window_sent_since(const struct window *w, mono_ms since);

/* Records a send at now. The caller has checked window_next_free(w, now) == now.
 * Times passed in must not go backwards; a time earlier than the newest entry is
 * treated as equal to it, so a clock step back never lets a burst through. */
void window_record(struct window *w, mono_ms now);

/* Adaptive limit (AIMD) for one account, on top of its window.
 *
 * The configured rate may be higher than what the server really allows, and the
 * server may 429 without saying why. On a 429 the limit drops to what the server
 * was seen to accept: the sends of the last window before the rejected one (the
 * caller counts them from its window), and at least one below the limit that
 * failed; by 30% when that tells nothing. At most once per window, so the burst
 * of 429s from requests already in flight counts once. After each full window
 * without a 429 it climbs back: by 10% while well below the level that last
 * failed, then by one request after a few windows (twice as many each time such
 * a probe fails, up to 96), so it settles just under the real
 * limit instead of oscillating. A limit the server states (ratelimit-limit) is
 * taken as it is. */
struct adapt {
    unsigned max;       /* the configured limit: never exceeded */
    double limit;       /* in force now */
    double known_bad;   /* the limit in force at the last 429; 0 = none yet */
    mono_ms dur;        /* window length */
    mono_ms last_cut;   /* when the limit last went down (or the run began) */
    mono_ms last_step;  /* when it last changed */
    unsigned probe_windows;  /* windows to wait before probing above known_bad */
};

void adapt_init(struct adapt *a, unsigned max, mono_ms dur, mono_ms now);
/* Each returns the limit now in force (>= 1). */
/* sent_last_window: sends in the window before now, the rejected one included. */
unsigned adapt_on_429(struct adapt *a, mono_ms now, unsigned sent_last_window);
unsigned adapt_on_accepted(struct adapt *a, mono_ms now);
unsigned adapt_on_server_limit(struct adapt *a, long limit, mono_ms now);
unsigned adapt_limit(const struct adapt *a);

#endif
