/* scheduler.c: see scheduler.h. Sending, completions, stopping and the life of
 * the scheduler itself. How fast each account may send is pacer.c's to say.
 *
 * One ticker ("tick", ticker.h) is armed for the earliest moment anything could
 * be sent: a window freeing, an account pause ending, or a backoff expiring.
 * Completions and the ticker both call dispatch(), which fills every free slot it
 * can and re-arms the ticker; nothing ever polls.
 *
 * The rest of the scheduler, sharing its state through sched_int.h:
 *   plan.c          the plan pass (sched_plan, sched_stats)
 *   intake.c        reading rows into jobs on their accounts' queues
 *   accounts.c      the account table, the round-robin ring, the queues
 *   retryheap.c     the rows backing off, by due time
 *   jobs.c          a row's job and the pool of finished ones
 *   finish.c        a row's final line, and the circuit breaker
 *   liveprogress.c  the progress line while running (sched_set_progress) */
#include "scheduler.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "connect.h"
#include "hints.h"
#include "http.h"
#include "log.h"
#include "answer.h"
#include "request.h"
#include "sched_int.h"

#include <cjson/cJSON.h>

#define NEVER UINT64_MAX

static double next_uniform(struct sched *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return (double)(s->rng >> 11) / 9007199254740992.0;
}

/* ---- sending ----------------------------------------------------------- */

static void on_done(struct transfer *t, void *ctx);
static void on_batch(void *ctx);
static void dispatch(struct sched *s);

static void send_job(struct sched *s, struct job *j, mono_ms now)
{
    struct transfer *t = http_acquire(s->http);
    struct account *a = j->acct;
    if (request_url(&t->url, s->cfg->base_url, s->path, a->id) != 0 ||
        buf_append(&t->url, s->query.p, s->query.len) != 0 ||
        request_body_raw(&t->body, j->group, j->user,
                         j->remote_data ? j->remote_data : s->remote_data) != 0) {
        finish(s, j, ST_FAILED, 0, 0, "cannot build the request", "internal");
        return;
    }
    idempotency_key(t->idem_key, s->cfg->method, a->id, j->group, j->user);
    t->job = j;
    pacer_pair_sent(&s->pair, &a->pace, now);
    j->sent_at = now;
    j->inflight_at_send = a->pace.inflight;
    j->rate_at_send = a->pace.send_rate;
    j->attempts++;
    s->counts.requests++;
    if (http_start(s->http, t) != 0) {
        /* Its place in flight is free again, or enough of these would hold
         * every later send back for ever. */
        struct answer_sent sent = {now, j->inflight_at_send, j->rate_at_send};
        answer_not_started(&s->pair, &a->pace, &sent, now);
        finish(s, j, ST_FAILED, 0, 0, t->curl_error[0] ? t->curl_error : "cannot start the request",
               "internal");
        return;
    }
}

static void wake_cb(void *ctx) { dispatch(ctx); }

/* The next account, round-robin, that may send now. Also lowers *wake to the
 * earliest time a waiting account could send. */
static struct account *next_ready(struct sched *s, mono_ms now, mono_ms *wake)
{
    size_t n = s->active_n;
    for (size_t k = 0; k < n; k++) {
        size_t i = (s->rr + k) % n;
        struct account *a = s->active[i];
        mono_ms at = pacer_next(&a->pace, now);  /* NEVER: a completion must come first */
        if (at <= now) {
            s->rr = i;
            return a;
        }
        if (at < *wake)
            *wake = at;
    }
    return NULL;
}

/* Everything not finished becomes not_attempted; the input is read to its end. */
static void drain_unfinished(struct sched *s)
{
    const char *why = s->stop == STOP_TOKEN     ? "run stopped: API token refused"
                      : s->stop == STOP_SIGNAL  ? "run interrupted"
                      : s->stop == STOP_BREAKER ? "run stopped: too many failures"
                      : s->stop == STOP_STRICT  ? "not sent: the input has invalid rows (--strict)"
                                                : "run stopped";
    while (s->delayed_n) {
        struct job *j = retryheap_pop(s);
        finish(s, j, ST_NOT_ATTEMPTED, j->last_http, 0, why, NULL);
    }
    while (s->active_n) {
        struct job *j;
        while ((j = accounts_dequeue(s, s->active[0])) != NULL)
            finish(s, j, ST_NOT_ATTEMPTED, j->last_http, 0, why, NULL);
        if (s->active_n)
            intake_consume_account(s, s->active[0]);
    }
    intake_read_rest(s);
}

static void finished_cb(uv_timer_t *timer)
{
    struct sched *s = timer->data;
    s->on_finished(s->ctx);
}

static void check_finished(struct sched *s)
{
    if (s->finished || http_busy(s->http) != 0)
        return;
    if (s->stop != STOP_NONE)
        drain_unfinished(s);
    else if (!s->input_done || s->active_n || s->delayed_n)
        return;
    s->finished = 1;
    uv_timer_stop(&s->sync);
    liveprogress_stop(s);
    /* Not now: this may run inside http's hand-back loop, which goes on using
     * the transfers that on_finished frees. The next loop turn is safe. */
    uv_timer_start(&s->end_timer, finished_cb, 0, 0);
}

/* Finished rows' lines go to the kernel before new requests go out. */
static void flush_batch(struct sched *s)
{
    if (results_flush(s->res) != 0)
        finish_write_failed(s);
}

#define ACCOUNT_DEPTH 8  /* rows read ahead per account in by-account mode */

static void dispatch(struct sched *s)
{
    if (s->finished)
        return;
    /* Finished rows' lines reach the kernel, in one write, before any slot is
     * refilled: a crash loses at most the rows in flight, and no request goes
     * out while results cannot be written. */
    flush_batch(s);
    if (s->cfg->dry_run) {
        /* Nothing is sent: every row is read and recorded. */
        while (s->active_n)
            intake_consume_account(s, s->active[0]);
        intake_read_rest(s);
        check_finished(s);
        return;
    }
    mono_ms now = uv_now(s->loop);
    mono_ms wake = NEVER;
    if (s->stop == STOP_NONE) {
        while (s->delayed_n && s->delayed[0]->due <= now) {
            struct job *j = retryheap_pop(s);
            if (j->acct->stopped)
                finish(s, j, ST_NOT_ATTEMPTED, j->last_http, 0, "account stopped",
                       j->acct->stopped);
            else
                accounts_enqueue(s, j, 1);
        }
        intake_refill(s);
    }
    while (s->stop == STOP_NONE && http_busy(s->http) < s->cfg->concurrency) {
        if (!s->active_n)
            break;
        mono_ms tfree = pacer_next(&s->token_pace, now);
        if (tfree > now) {
            wake = tfree;
            break;
        }
        struct account *a = next_ready(s, now, &wake);
        if (!a)
            break;
        if (!a->head) {
            intake_fill_account(s, a, ACCOUNT_DEPTH);
            if (!a->head)
                continue;  /* only invalid rows were left; it has left the ring */
        }
        size_t served = s->rr;
        send_job(s, accounts_dequeue(s, a), now);
        /* If the account emptied, another took its place at this index. */
        if (a->active && s->active_n)
            s->rr = (served + 1) % s->active_n;
        intake_refill(s);
    }
    if (s->stop == STOP_NONE && s->delayed_n && s->delayed[0]->due < wake)
        wake = s->delayed[0]->due;
    if (wake != NEVER && s->stop == STOP_NONE)
        ticker_arm(&s->tick, wake);
    else
        ticker_stop(&s->tick);
    check_finished(s);
}

/* The account is blocked or needs re-authentication: nothing more is sent for it.
 * Its queued rows are recorded now; rows still backing off or unread are recorded
 * as they come up. Other accounts carry on. */
static void stop_account(struct sched *s, struct account *a, const char *reason,
                         const char *error)
{
    if (a->stopped)
        return;
    a->stopped = reason;
    log_error("account '%s': %s; its rows go to the retry log", a->id, error);
    struct job *j;
    while ((j = accounts_dequeue(s, a)) != NULL)
        finish(s, j, ST_NOT_ATTEMPTED, j->last_http, 0, "account stopped", reason);
    while (a->rows_left && !s->input_broken)
        intake_fill_account(s, a, 1);  /* records each unread row as not_attempted */
}

/* ---- completions ------------------------------------------------------- */

static void on_done(struct transfer *t, void *ctx)
{
    struct sched *s = ctx;
    struct job *j = t->job;
    struct account *a = j->acct;
    mono_ms now = uv_now(s->loop);
    struct body_facts facts;
    memset(&facts, 0, sizeof facts);
    if (t->http_status >= 300 && t->resp.len)
        body_facts_parse(&facts, t->resp.p, t->resp.len);
    struct verdict v = classify(t->http_status, t->curl_code, &facts, j->attempts,
                                s->cfg->max_attempts);
    if (s->adding && v.action == ACT_DONE) {
        /* Re-adding: success is "added"; a 404 means the group or user is gone,
         * which is a failure here, not the goal state. */
        if (v.status == ST_REMOVED)
            v.status = ST_ADDED;
        else if (v.status == ST_NOT_FOUND)
            v.status = ST_FAILED;
    }
    char error[400];
    answer_describe(error, sizeof error, t, &facts);
    log_debug("line %lu: POST %s (Authorization: Bearer [redacted]) %s -> %ld%s%s in %lu ms, "
              "attempt %u",
              j->line, t->url.p, t->body.p, t->http_status, error[0] ? " " : "", error,
              t->latency_ms, j->attempts);

    if (t->http_status == 429)
        s->counts.http429++;
    answer_clock(&s->skew, &s->capped_said, t, s->cfg->base_url);
    struct answer_sent sent = {j->sent_at, j->inflight_at_send, j->rate_at_send};
    double wait_s = answer_pace(&s->pair, &a->pace, t, &v, &sent,
                                s->cfg->account_rate.dur_ms, now);
    j->last_http = t->http_status;

    switch (v.action) {
    case ACT_DONE:
        finish(s, j, v.status, t->http_status, t->latency_ms, error, v.reason);
        break;
    case ACT_RETRY: {
        uint64_t floor_ms = wait_s > 0 ? (uint64_t)(wait_s * 1000.0) : 0;
        j->due = now + backoff_delay_ms(j->attempts, BACKOFF_BASE_MS, BACKOFF_CAP_MS,
                                        floor_ms, next_uniform(s));
        s->counts.retries++;
        if (retryheap_push(s, j) != 0) {
            finish(s, j, ST_NOT_ATTEMPTED, t->http_status, t->latency_ms, "out of memory",
                   v.reason);
            sched_stop_run(s, STOP_FATAL);
        }
        break;
    }
    case ACT_STOP_ACCOUNT:
        finish(s, j, ST_NOT_ATTEMPTED, t->http_status, t->latency_ms, error, v.reason);
        stop_account(s, a, v.reason, error);
        break;
    case ACT_STOP_RUN:
        finish(s, j, ST_NOT_ATTEMPTED, t->http_status, t->latency_ms, error, v.reason);
        if (!sched_stop_run(s, t->http_status == 401 ? STOP_TOKEN : STOP_FATAL))
            break;  /* an earlier cause stopped the run, and was said */
        if (t->http_status == 401)
            log_error("the API token was refused (HTTP 401): stopping; unfinished rows "
                      "go to the retry log");
        else
            log_error("stopping: %s", error);
        break;
    }
}

/* After a loop turn's completions: dispatch writes their lines first. */
static void on_batch(void *ctx) { dispatch(ctx); }

/* A request abandoned in flight may or may not have reached the server. */
static void on_abandoned(struct transfer *t, void *ctx)
{
    struct job *j = t->job;
    finish(ctx, j, ST_INTERRUPTED, 0, 0, "aborted in flight: outcome unknown", "interrupted");
}

/* ---- lifecycle --------------------------------------------------------- */

static void sync_cb(uv_timer_t *timer)
{
    struct sched *s = timer->data;
    if (results_sync(s->res) != 0 && !s->results_failed) {
        finish_write_failed(s);
        dispatch(s);
    }
}

/* One way out on failure: sched_free frees whatever was made so far, which the
 * zeroed fields tell, once fail has closed http if it was made. The ticker is
 * the last step that can fail (uv_timer_init returns 0 in every libuv). */
struct sched *sched_new(uv_loop_t *loop, const struct config *cfg, const char *input_name,
                        struct csvin *in, int fd, const char *token,
                        void (*on_finished)(void *ctx), void *ctx, char *err, size_t errlen)
{
    const char *why = "out of memory";  /* NULL: err says it already */
    struct sched *s = calloc(1, sizeof *s);
    if (!s)
        goto fail;
    s->loop = loop;
    s->cfg = cfg;
    s->input_name = input_name;
    s->in = in;
    s->fd = fd;
    s->on_finished = on_finished;
    s->ctx = ctx;
    s->readahead = cfg->concurrency * 4 > 256 ? cfg->concurrency * 4 : 256;
    s->path = request_path(cfg->method);
    s->adding = strcmp(cfg->method, "add") == 0;
    struct query_opts q = {
        .response_format = cfg->response_format,
        .ignore_remote_data = cfg->ignore_remote_data ? 1 : -1,
        .exclude = cfg->exclude, .nexclude = cfg->nexclude,
        .remote_query = cfg->remote_query, .nremote_query = cfg->nremote_query,
    };
    if (cfg->remote_data)
        s->remote_data = json_object_minify(cfg->remote_data);
    if (!s->path || request_query_suffix(&s->query, &q) != 0 ||
        (cfg->remote_data && !s->remote_data)) {
        why = "cannot build the request's query";
        goto fail;
    }
    s->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ull;
    if (connect_token_pacer(&s->token_pace, cfg, uv_now(loop)) != 0)
        goto fail;
    s->pair.token = &s->token_pace;
    struct http_opts ho;
    connect_http_opts(&ho, cfg, token);
    ho.on_done = on_done;
    ho.on_batch = on_batch;
    ho.ctx = s;
    s->http = http_new(loop, &ho, err, errlen);
    if (!s->http) {
        why = NULL;
        goto fail;
    }
    if (ticker_init(&s->tick, loop, wake_cb, s, err, errlen) != 0) {
        why = NULL;
        goto fail;
    }
    uv_timer_init(loop, &s->end_timer);
    uv_timer_init(loop, &s->sync);
    uv_timer_init(loop, &s->progress);
    s->end_timer.data = s;
    s->sync.data = s;
    s->progress.data = s;
    return s;
fail:
    if (why)
        snprintf(err, errlen, "%s", why);
    if (s && s->http) {
        /* Its handle is made: closed, it is freed in a turn of the loop. */
        http_free(s->http);
        uv_run(loop, UV_RUN_NOWAIT);
    }
    sched_free(s);
    return NULL;
}

void sched_start(struct sched *s, struct results *res, const struct pairset *done)
{
    s->res = res;
    results_on_settled(res, finish_settled, s);
    s->done = done;
    /* The loop's clock was cached before the plan pass read the whole input;
     * sends stamped with that old time would free window slots too early. */
    uv_update_time(s->loop);
    if (s->cfg->strict && s->stats.invalid) {
        log_error("%lu invalid rows: nothing is sent (--strict)", s->stats.invalid);
        sched_stop_run(s, STOP_STRICT);
    }
    uv_timer_start(&s->sync, sync_cb, 1000, 1000);
    liveprogress_start(s);
    dispatch(s);
}

void sched_interrupt(struct sched *s)
{
    if (s->finished)
        return;
    if (sched_stop_run(s, STOP_SIGNAL)) {
        log_error("interrupted: finishing requests in flight (signal again to abort them)");
    } else if (!s->aborting) {
        log_error("aborting requests in flight: their outcome is unknown");
        s->aborting = 1;
        http_abort_all(s->http, on_abandoned, s);
    }
    dispatch(s);
}

enum stop_reason sched_stop_reason(const struct sched *s) { return s->stop; }
int sched_results_failed(const struct sched *s) { return s->results_failed; }
const struct run_counts *sched_counts(const struct sched *s) { return &s->counts; }
const struct skew *sched_skew(const struct sched *s) { return &s->skew; }

static void noop_close(uv_handle_t *h) { (void)h; }

void sched_close(struct sched *s)
{
    http_free(s->http);
    s->http = NULL;
    uv_close((uv_handle_t *)&s->end_timer, noop_close);
    ticker_close(&s->tick);
    uv_close((uv_handle_t *)&s->sync, noop_close);
    uv_close((uv_handle_t *)&s->progress, noop_close);
}

/* Also frees a scheduler that sched_new left half made, before its handles. */
void sched_free(struct sched *s)
{
    if (!s)
        return;
    if (s->res)
        results_on_settled(s->res, NULL, NULL);  /* nothing left here to count rows in */
    for (size_t i = 0; i < s->acct_cap; i++) {
        struct account *a = s->accts ? s->accts[i] : NULL;
        if (!a)
            continue;
        struct job *j;
        while ((j = a->head) != NULL) {
            a->head = j->next;
            jobs_free(j);
        }
        pacer_free(&a->pace);
        csvin_close(a->cur);
        free(a->runs);
        free(a->id);
        free(a);
    }
    if (s->seq != s->in)
        csvin_close(s->seq);
    for (size_t i = 0; i < s->delayed_n; i++)
        jobs_free(s->delayed[i]);
    while (s->spare) {
        struct job *j = s->spare;
        s->spare = j->next;
        free(j);
    }
    free(s->accts);
    free(s->active);
    free(s->delayed);
    free(s->dups);
    pairset_free(&s->seen);
    buf_free(&s->query);
    cJSON_free(s->remote_data);
    pacer_free(&s->token_pace);
    sha256_free(&s->hash);
    free(s);
}
