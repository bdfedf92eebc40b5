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
    w->limit = n;
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

void window_set_limit(struct window *w, unsigned limit)
{
    if (w->n == 0)
        return;
    w->limit = limit < 1 ? 1 : limit > w->n ? w->n : limit;
}

void window_set_pacing(struct window *w, int on) { w->pace = on; }

/* With `limit` in force, the send `limit` places back from the newest bounds the
 * next one: it must be at least dur_ms old. Pacing adds a floor after the newest. */
mono_ms window_next_free(const struct window *w, mono_ms now)
{
    if (w->n == 0 || w->count == 0)
        return now;
    mono_ms free_at = 0;
    if (w->count >= w->limit) {
        mono_ms bound = w->ring[slot(w, w->count - w->limit)];
        /* Saturate: a send recorded near the end of time keeps the window shut
         * rather than wrapping around to "free long ago". */
        free_at = add_sat(bound, w->dur_ms);
    }
    if (w->pace) {
        mono_ms newest = w->ring[slot(w, w->count - 1)];
        mono_ms paced = add_sat(newest, w->dur_ms / w->limit);
        if (paced > free_at)
            free_at = paced;
    }
    return free_at > now ? free_at : now;
}

unsigned window_sent_since(const struct window *w, mono_ms since)
{
    unsigned k = 0;
    while (k < w->count && w->ring[slot(w, w->count - 1 - k)] > since)
        k++;
    return k;
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

/* ---- adaptive limit ------------------------------------------------------ */

static unsigned as_limit(double v)
{
    return v < 1.0 ? 1u : (unsigned)(v + 1e-9);
}

void adapt_init(struct adapt *a, unsigned max, mono_ms dur, mono_ms now)
{
    a->max = max;
    a->limit = max;
    a->known_bad = 0;
    a->dur = dur;
    a->last_cut = now;
    a->last_step = now;
    a->probe_windows = 3;
}

unsigned adapt_limit(const struct adapt *a) { return as_limit(a->limit); }

unsigned adapt_on_429(struct adapt *a, mono_ms now, unsigned sent_last_window)
{
    if (a->max == 0)
        return 0;
    /* Requests already in flight when the first 429 came are part of the same
     * overshoot: one cut per window. */
    if (now < a->last_cut + a->dur && a->known_bad > 0)
        return adapt_limit(a);
    double observed = sent_last_window > 1 ? (double)(sent_last_window - 1) : 0.0;
    if (observed > a->limit - 1.0)
        observed = a->limit - 1.0;
    double next = a->limit * 0.7, bad = a->limit;
    if (observed >= 1.0) {
        /* What the server accepted is the best estimate of its limit, and the
         * level that fails is just above it, whatever we had configured. */
        next = observed;
        bad = observed + 1.0 < a->limit ? observed + 1.0 : a->limit;
    }
    /* A probe just above a level that already failed, failing again: wait twice
     * as long before the next one. */
    if (a->known_bad > 0 && a->limit <= a->known_bad + 1.0)
        a->probe_windows = a->probe_windows >= 48 ? 96 : a->probe_windows * 2;
    a->known_bad = bad;
    a->limit = next < 1.0 ? 1.0 : next;
    a->last_cut = now;
    a->last_step = now;
    return adapt_limit(a);
}

unsigned adapt_on_accepted(struct adapt *a, mono_ms now)
{
    if (a->max == 0)
        return 0;
    if (a->limit >= a->max || now < a->last_step + a->dur)
        return adapt_limit(a);
    /* A whole window without a 429: climb, fast while far below the level that
     * failed, then one request per window. */
    int near_bad = a->known_bad > 0 && a->limit >= 0.9 * a->known_bad;
    if (near_bad && now < a->last_step + a->probe_windows * a->dur)
        return adapt_limit(a);  /* probe above a level that failed only now and then */
    double step = near_bad ? 1.0 : a->limit * 0.1;
    if (step < 1.0)
        step = 1.0;
    a->limit += step;
    if (a->limit > a->max)
        a->limit = a->max;
    a->last_step = now;
    return adapt_limit(a);
}

unsigned adapt_on_server_limit(struct adapt *a, long limit, mono_ms now)
{
    if (a->max == 0 || limit <= 0)
        return adapt_limit(a);
    double l = (double)limit < (double)a->max ? (double)limit : (double)a->max;
    if (as_limit(l) != as_limit(a->limit)) {
        a->limit = l;
        a->known_bad = l + 1;
        a->last_step = now;
    }
    return adapt_limit(a);
}
