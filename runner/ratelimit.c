/* ratelimit.c: sliding-window limiter over a ring of the last n send times.
 *
 * The ring holds the times of the most recent sends, oldest at head. With the
 * ring full, a send at t is allowed once t >= oldest + dur_ms: the sends in
 * (t - dur_ms, t] are then at most the n-1 newer ones plus this one, so no
 * half-open interval of length dur_ms ever holds more than n sends.
 * All arithmetic saturates at UINT64_MAX instead of wrapping. */
#include "ratelimit.h"

#include <stdlib.h>

int window_init(struct window *w, unsigned n, mono_ms dur_ms)
{
    w->ring = NULL;
    w->n = n;
    w->head = 0;
    w->count = 0;
    w->dur_ms = dur_ms;
    w->pace = 0;
    if (n == 0)
        return 0;  /* unlimited: nothing to remember */
    w->ring = calloc(n, sizeof *w->ring);
    if (w->ring == NULL) {
        w->n = 0;
        return -1;
    }
    return 0;
}

void window_free(struct window *w)
{
    free(w->ring);
    w->ring = NULL;
    w->n = 0;
    w->head = 0;
    w->count = 0;
}

/* Ring slot i places after head, without computing head + i, which could wrap
 * an unsigned for capacities near UINT_MAX. */
static unsigned slot(const struct window *w, unsigned i)
{
    unsigned room = w->n - w->head;
    return i < room ? w->head + i : i - room;
}

static mono_ms add_sat(mono_ms a, mono_ms b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void window_set_pacing(struct window *w, int on) { w->pace = on; }

/* The send n places back from the newest bounds the next one: it must be at
 * least dur_ms old. Pacing adds a floor after the newest. */
mono_ms window_next_free(const struct window *w, mono_ms now)
{
    if (w->n == 0 || w->count == 0)
        return now;
    mono_ms free_at = 0;
    if (w->count >= w->n) {
        mono_ms bound = w->ring[slot(w, w->count - w->n)];
        /* Saturate: a send recorded near the end of time keeps the window shut
         * rather than wrapping around to "free long ago". */
        free_at = add_sat(bound, w->dur_ms);
    }
    if (w->pace) {
        mono_ms newest = w->ring[slot(w, w->count - 1)];
        mono_ms paced = add_sat(newest, w->dur_ms / w->n);
        if (paced > free_at)
            free_at = paced;
    }
    return free_at > now ? free_at : now;
}

void window_record(struct window *w, mono_ms now)
{
    if (w->n == 0)
        return;
    if (w->count > 0) {
        mono_ms newest = w->ring[slot(w, w->count - 1)];
        /* A clock that steps back must not make old sends look newer than
         * they are relative to this one: pin to the newest entry. */
        if (now < newest)
            now = newest;
    }
    if (w->count < w->n) {
        w->ring[slot(w, w->count)] = now;
        w->count++;
        return;
    }
    /* Full: overwrite the oldest, which becomes the newest. */
    w->ring[w->head] = now;
    w->head = w->head + 1 == w->n ? 0 : w->head + 1;
}
