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
    int pace;        /* also space sends at least dur_ms/n apart */
    unsigned head;   /* index of the oldest entry */
    unsigned count;  /* entries in use, <= n */
    mono_ms dur_ms;  /* window length */
};

/* Returns 0, or -1 when out of memory. */
int window_init(struct window *w, unsigned n, mono_ms dur_ms);
void window_free(struct window *w);

/* Earliest time >= now at which one more send is allowed. */
mono_ms window_next_free(const struct window *w, mono_ms now);

/* Spreads sends evenly (at least dur_ms/n apart) instead of in bursts, so
 * a server that smooths its limit (a leaky bucket) sees a steady stream. */
void window_set_pacing(struct window *w, int on);

/* Records a send at now. The caller has checked window_next_free(w, now) == now.
 * Times passed in must not go backwards; a time earlier than the newest entry is
 * treated as equal to it, so a clock step back never lets a burst through. */
void window_record(struct window *w, mono_ms now);

#endif
