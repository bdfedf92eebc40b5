/* intake.c: reading rows into jobs on their accounts' queues.
 *
 * Every row read is disposed of at once (take_row): an invalid one, a duplicate,
 * or any row of a dry run is recorded; one an earlier run finished (--resume) or
 * --undo passes over is counted; while stopping, or when its account is
 * stopped, a valid row is recorded not_attempted; else it becomes a job queued
 * on its account. Two ways of reading, as the plan pass left them (plan.c):
 *
 *  - in order (s->seq): intake_refill keeps a bounded read-ahead queued
 *    (s->readahead rows); intake_read_rest reads to the end, recording
 *    every row (stopping, or a dry run).
 *  - by account: each account reads its own runs of rows through its own
 *    cursor. intake_fill_account reads until that many of its rows are queued;
 *    intake_consume_account reads all it has left, recording each row.
 *
 * When the input can no longer be read (an error, or a file that changed during
 * the run) the run stops (STOP_FATAL) and no further row is read. */
#include "sched_int.h"

#include <string.h>

#include "log.h"

#define MAX_INVALID_LOGGED 100  /* further invalid rows are only in the results */

/* Reads one row from src and disposes of it: an invalid row is recorded; while
 * stopping, or when its account is stopped, a valid row is not_attempted; else it
 * is queued on its account. expect, when given, is the account the row must have
 * (a cursor reads one account's runs). Returns 1 when a row was consumed, 0 at
 * the end, -1 when the input cannot be read (logged). */
static int take_row(struct sched *s, struct csvin *src, struct account *expect)
{
    struct csvin_row row;
    int r = csvin_next(src, &row);
    if (r < 0)
        log_error("%s", csvin_error(src));
    if (r <= 0)
        return r;
    s->counts.rows++;
    if (row.invalid) {
        if (s->invalid_logged++ < MAX_INVALID_LOGGED)
            log_row(s->input_name, row.line, row.invalid);
        else if (s->invalid_logged == MAX_INVALID_LOGGED + 1)
            log_error("more invalid rows are not shown here: see the results file");
        finish_record(s, row.line, row.group_id, row.group_len, row.user_id, row.user_len,
                      row.account, row.account_len, ST_INVALID, 0, 0, 0, row.invalid, NULL);
        return 1;
    }
    if (s->cfg->undo && !plan_undoable(&row)) {
        s->counts.ignored++;  /* --undo re-adds only what that run removed */
        return 1;
    }
    struct pair_key k;
    if (s->done || !s->dups_known)
        pair_key_of(&k, row.account, row.account_len, row.group_id, row.group_len, row.user_id,
                    row.user_len);
    if (s->done && pairset_has(s->done, &k)) {
        s->counts.skipped++;  /* an earlier run has its final line */
        return 1;
    }
    int dup = s->dups_known ? plan_is_dup_line(s, row.line) : pairset_add(&s->seen, &k) == 0;
    if (dup || s->cfg->dry_run) {
        /* A repeat is sent once: the first occurrence carries the outcome. */
        finish_record(s, row.line, row.group_id, row.group_len, row.user_id, row.user_len,
                      row.account, row.account_len, dup ? ST_DUPLICATE : ST_DRY_RUN, 0, 0, 0,
                      dup ? "same pair as an earlier row" : "", NULL);
        return 1;
    }
    struct account *a = expect ? expect : accounts_get(s, row.account, row.account_len);
    if (expect && (row.account_len != a->id_len || memcmp(row.account, a->id, a->id_len))) {
        log_error("%s line %lu: not the row read before: the input changed while grouprm "
                  "was running", s->input_name, row.line);
        return -1;
    }
    const char *why = s->stop != STOP_NONE ? "run stopped"
                      : a && a->stopped    ? "account stopped"
                                           : NULL;
    int no_memory = 0;
    if (!why) {
        struct job *j = a ? jobs_new(s, &row, a) : NULL;
        if (j) {
            accounts_enqueue(s, j, 0);
            return 1;
        }
        log_error("out of memory");
        why = "out of memory";
        no_memory = 1;
    }
    finish_record(s, row.line, row.group_id, row.group_len, row.user_id, row.user_len,
                  row.account, row.account_len, ST_NOT_ATTEMPTED, 0, 0, 0, why,
                  a && a->stopped ? a->stopped : NULL);
    if (no_memory)
        sched_stop_run(s, STOP_FATAL);
    return 1;
}

static void input_broke(struct sched *s)
{
    s->input_broken = 1;
    s->input_done = 1;
    log_error("no rows after that point are sent");
    sched_stop_run(s, STOP_FATAL);
}

/* Sequential mode: reads rows while want() says so and the input lasts. */
static void read_seq(struct sched *s, int (*want)(const struct sched *s))
{
    while (!s->input_done && want(s)) {
        int r = take_row(s, s->seq, NULL);
        if (r < 0)
            input_broke(s);
        else if (r == 0)
            s->input_done = 1;
    }
}

static int want_readahead(const struct sched *s)
{
    return s->stop == STOP_NONE && s->queued < s->readahead;
}

/* Every row is to be recorded (stopping, or a dry run), unless nothing can be. */
static int want_rest(const struct sched *s) { return !s->results_failed; }

/* Sequential mode: reads to the end; take_row records every row. */
void intake_read_rest(struct sched *s) { read_seq(s, want_rest); }

/* Sequential mode: keeps a bounded read-ahead queued. */
void intake_refill(struct sched *s) { read_seq(s, want_readahead); }

/* By-account mode: reads the account's next rows from its own cursor until want
 * are queued or none are left. */
void intake_fill_account(struct sched *s, struct account *a, unsigned long want)
{
    while (a->rows_left && a->queued < want && !s->input_broken) {
        if (a->run_left == 0) {
            char err[300];
            struct run *run = &a->runs[a->run_next++];
            /* The next run often lies in the bytes the cursor already holds
             * (accounts interleaved row by row): move there without a read. */
            if (a->cur && csvin_seek(a->cur, run->offset, run->line) == 0) {
                a->run_left = run->rows;
                continue;
            }
            csvin_close(a->cur);
            a->cur = csvin_cursor(s->in, s->fd, run->offset, run->line, err, sizeof err);
            if (!a->cur) {
                log_error("%s", err);
                input_broke(s);
                break;
            }
            a->run_left = run->rows;
        }
        int r = take_row(s, a->cur, a);
        if (r <= 0) {
            if (r == 0)
                log_error("%s: ended early: the input changed while grouprm was running",
                          s->input_name);
            input_broke(s);
            break;
        }
        a->run_left--;
        a->rows_left--;
    }
    if (!a->rows_left || s->input_broken) {
        csvin_close(a->cur);
        a->cur = NULL;
        if (!a->head)
            accounts_deactivate(s, a);
    }
}

/* Reads every row the account has left; take_row records each one (we are
 * stopping, or this is a dry run), so none is queued. */
void intake_consume_account(struct sched *s, struct account *a)
{
    if (s->results_failed || s->input_broken) {
        a->rows_left = 0;  /* nothing more can be read or recorded */
        intake_fill_account(s, a, 1);
    }
    while (a->rows_left)
        intake_fill_account(s, a, 1);
}
