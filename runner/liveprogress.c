/* liveprogress.c: the progress line while a run goes on (sched_set_progress).
 *
 * When sched_set_progress asked for it (and not for a dry run), a timer
 * started by liveprogress_start as sending begins gathers the figures at each
 * tick: rows done out of the total the plan found, the outcomes so far, 429s,
 * the pace and request rate (smoothed over about ten seconds), the ETA within
 * what the limits allow, and the accounts the server has paused. progress.c
 * formats them; the line is redrawn in place on a terminal, or logged.
 * liveprogress_stop ends it and, on a terminal, clears the line for the
 * summary. The timer handle itself is made and closed with the scheduler's
 * others (sched_new, sched_close). */
#include "sched_int.h"

#include <stdio.h>

#include "log.h"
#include "progress.h"

static unsigned long rows_done(const struct sched *s)
{
    unsigned long d = s->counts.skipped + s->counts.ignored;
    for (int i = 0; i < ST__COUNT; i++)
        d += s->counts.by_status[i];
    return d;
}

/* What the pacers allow right now, in requests per second (0: no bound): the
 * active accounts' together, within the token's. */
static double limit_rate(const struct sched *s, mono_ms now)
{
    double r = 0;
    for (size_t i = 0; i < s->active_n; i++) {
        double a = pacer_bound(&s->active[i]->pace, now);
        if (a == 0)
            return pacer_bound(&s->token_pace, now);  /* one account is unbounded */
        r += a;
    }
    double t = pacer_bound(&s->token_pace, now);
    return t > 0 && (r == 0 || t < r) ? t : r;
}

static void progress_cb(uv_timer_t *timer)
{
    struct sched *s = timer->data;
    mono_ms now = uv_now(s->loop);
    double dt = (double)(now - s->last_tick) / 1000.0;
    unsigned long done = rows_done(s);
    if (dt > 0) {
        /* Smoothed over about ten seconds whatever the tick; before ten seconds
         * have passed, over the whole run so far, so the first figures are not
         * dragged toward zero. */
        double since = (double)(now - s->started_ms) / 1000.0;
        double span = since < dt ? dt : since > 10.0 ? 10.0 : since;
        double w = dt / span;
        s->pace += w * ((double)(done - s->last_done) / dt - s->pace);
        s->req_rate += w * ((double)(s->counts.requests - s->last_requests) / dt - s->req_rate);
    }
    s->last_tick = now;
    s->last_done = done;
    s->last_requests = s->counts.requests;

    struct progress_view v = {
        .done = done, .total = s->stats.rows,
        .removed = s->counts.by_status[ST_REMOVED],
        .not_found = s->counts.by_status[ST_NOT_FOUND],
        .failed = s->counts.by_status[ST_FAILED], .added = s->counts.by_status[ST_ADDED],
        .http429 = s->counts.http429, .rate = s->req_rate,
    };
    v.eta_s = progress_eta(v.total > done ? v.total - done : 0, s->pace, limit_rate(s, now));
    if (!v.total)
        v.eta_s = -1;
    mono_ms last_pause = 0;
    for (size_t i = 0; i < s->active_n; i++)
        if (s->active[i]->pace.paused_until > now) {
            v.paused++;
            if (s->active[i]->pace.paused_until > last_pause)
                last_pause = s->active[i]->pace.paused_until;
        }
    if (v.paused)
        v.paused_for_s = (double)(last_pause - now) / 1000.0;
    char line[512];
    progress_format(line, sizeof line, &v);
    if (s->progress_tty)
        fprintf(stderr, "\r\033[K%s", line);
    else
        log_info("progress: %s", line);
}

void sched_set_progress(struct sched *s, int tty, uint64_t interval_ms)
{
    s->progress_on = 1;
    s->progress_tty = tty;
    s->progress_ms = tty ? 100 : interval_ms;
    log_set_live_line(tty);
}

void liveprogress_start(struct sched *s)
{
    s->last_tick = uv_now(s->loop);
    s->started_ms = s->last_tick;
    if (s->progress_on && !s->cfg->dry_run)
        uv_timer_start(&s->progress, progress_cb, s->progress_ms, s->progress_ms);
}

void liveprogress_stop(struct sched *s)
{
    uv_timer_stop(&s->progress);
    if (s->progress_on && s->progress_tty)
        fputs("\r\033[K", stderr);  /* the summary takes the line's place */
    log_set_live_line(0);
}
