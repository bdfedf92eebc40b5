/* finish.c: a row's final line.
 *
 * finish_record hands a row's line to the results (results.c also puts it in
 * the retry log when it could succeed later). The row is counted, in the run's
 * counts and its account's, only once its whole line is in the file
 * (finish_settled, called back by results.c when the batch is written); a row
 * whose line did not make it is counted as unrecorded instead. When lines cannot
 * be written the run stops (finish_write_failed, the one place that says so).
 * finish does that for a job and hands the job back to the pool; after a failed
 * row it checks the circuit breaker (--max-failure-rate). */
#include "sched_int.h"

#include "log.h"

void finish_write_failed(struct sched *s)
{
    if (s->results_failed)
        return;  /* said already, and the run is stopping */
    s->results_failed = 1;
    log_error("%s", results_error(s->res));
    if (sched_stop_run(s, STOP_WRITE))
        log_error("stopping: no more requests while results cannot be recorded");
    else
        log_error("unfinished rows cannot be recorded now: they are not in the retry log");
}

void finish_settled(void *ctx, enum status st, void *tag, int recorded)
{
    struct sched *s = ctx;
    if (!recorded) {
        /* Counted apart: the summary speaks only of lines that are in the file. */
        s->counts.unrecorded++;
        return;
    }
    s->counts.by_status[st]++;
    struct account *a = tag;
    if (a)
        a->by_status[st]++;
}

void finish_record(struct sched *s, unsigned long line, const char *group, size_t glen,
                   const char *user, size_t ulen, const char *acct, size_t alen,
                   enum status st, long http, unsigned attempts, unsigned long latency,
                   const char *error, const char *reason)
{
    struct row_result r = {
        .line = line, .group_id = group, .group_len = glen, .user_id = user,
        .user_len = ulen, .account = acct, .account_len = alen, .status = st,
        .http_status = http, .attempts = attempts, .latency_ms = latency,
        .error = error, .reason = reason, .finished_at = wall_now(),
        .tag = accounts_find(s, acct, alen),
    };
    s->finished_by_status[st]++;
    if (results_write(s->res, &r) != 0)
        finish_write_failed(s);
}

/* The circuit breaker: once enough rows have finished, a failure share above
 * --max-failure-rate means something systemic (a wrong account, a revoked scope,
 * an outage): stop before burning the rest of the file. */
static void check_breaker(struct sched *s)
{
    const unsigned long *c = s->finished_by_status;
    unsigned long done = status_count(c, STC_ANSWERED), failed = status_count(c, STC_FAILURE);
    if (s->stop != STOP_NONE || done < BREAKER_MIN_ROWS)
        return;
    if ((double)failed > s->cfg->max_failure_rate * (double)done) {
        sched_stop_run(s, STOP_BREAKER);
        log_error("%lu of %lu finished rows failed, over --max-failure-rate %.0f%%: stopping; "
                  "unfinished rows go to the retry log",
                  failed, done, s->cfg->max_failure_rate * 100.0);
    }
}

void finish(struct sched *s, struct job *j, enum status st, long http,
                   unsigned long latency, const char *error, const char *reason)
{
    struct account *a = j->acct;
    finish_record(s, j->line, j->group, j->group_len, j->user, j->user_len, a->id, a->id_len,
                  st, http, j->attempts, latency, error, reason);
    jobs_release(s, j);
    if (status_is(st, STC_FAILURE))
        check_breaker(s);
}
