/* scheduler.h: the life of a row, from the input reader to a final results line.
 *
 *   read -> its account's queue -> waits for a slot (account window, token window,
 *   account pause, concurrency) -> in flight -> finished, or backoff -> queued again
 *
 * Accounts are served round-robin. A regular file is first read once whole (the
 * plan pass: malformed files are caught before anything is sent, and each
 * account's runs of rows are located); each account then reads its own rows
 * through a small cursor, so a file sorted by account still progresses on every
 * account at once. A pipe, or an interleaved file, is read in order with a
 * bounded read-ahead. Either way memory stays O(accounts + read-ahead).
 *
 * Stopping: a bad token (401), a fatal write error, or sched_interrupt() stops
 * dispatching; requests in flight finish; then every row not finished (queued,
 * backing off, or still unread) is recorded as not_attempted. A second
 * sched_interrupt() aborts the requests in flight: those rows are interrupted.
 * The first cause to stop is the one sched_stop_reason() reports; a write error
 * after it is still said, and sched_results_failed() tells it. */
#ifndef GROUPRM_SCHEDULER_H
#define GROUPRM_SCHEDULER_H
#include <uv.h>

#include "config.h"
#include "csvin.h"
#include "outcome.h"
#include "results.h"

enum stop_reason {
    STOP_NONE,
    STOP_TOKEN,      /* 401: the token is bad */
    STOP_SIGNAL,     /* SIGINT/SIGTERM */
    STOP_WRITE,      /* results or retry log could not be written */
    STOP_FATAL,      /* TLS or URL trouble: nothing can succeed */
    STOP_BREAKER,    /* too many rows failed (--max-failure-rate) */
    STOP_STRICT,     /* --strict and the input has invalid rows: nothing sent */
};

struct run_counts {
    unsigned long by_status[ST__COUNT];
    unsigned long rows;         /* input data rows seen */
    unsigned long requests;     /* HTTP requests sent */
    unsigned long http429;
    unsigned long retries;
    unsigned long skipped;      /* --resume: already done in an earlier run */
    unsigned long ignored;      /* --undo: rows that were not removed there */
    unsigned long unrecorded;   /* finished, but their line could not be written */
};

/* What the plan pass found. */
struct plan_stats {
    unsigned long rows, invalid, duplicates, accounts, ignored;
};

struct sched;

/* Does not take ownership of in. token is used only to build one header. */
/* fd: the input's descriptor when it is a regular file that can be read again
 * (enabling the plan pass and per-account cursors), else -1. */
struct sched *sched_new(uv_loop_t *loop, const struct config *cfg, const char *input_name,
                        struct csvin *in, int fd, const char *token,
                        void (*on_finished)(void *ctx), void *ctx, char *err, size_t errlen);
/* The plan pass (for a file): reads the whole input once, sending nothing.
 * Returns 1 with *id filled (size and SHA-256 of the input), 0 when the input
 * cannot be planned or hashed (a pipe), -1 when it is malformed (logged). */
int sched_plan(struct sched *s, struct input_id *id);
/* Starts sending. Rows whose pair is in done (may be NULL) are skipped. Does not
 * take ownership of res or done. */
void sched_start(struct sched *s, struct results *res, const struct pairset *done);
void sched_interrupt(struct sched *s);
const struct plan_stats *sched_stats(const struct sched *s);
/* Each account, largest first by valid distinct rows: (id, rows, final lines per
 * status); at most max of them. Returns how many accounts exist. */
size_t sched_accounts(const struct sched *s, size_t max,
                      void (*cb)(const char *id, unsigned long rows,
                                 const unsigned long *by_status, void *ctx),
                      void *ctx);
/* Shows progress while running: a line redrawn 10 times a second on a terminal
 * (tty), else a plain line every interval_ms. Call before sched_start. */
void sched_set_progress(struct sched *s, int tty, uint64_t interval_ms);
enum stop_reason sched_stop_reason(const struct sched *s);
/* 1 once the results could not be written (said on stderr then): the rows
 * finished after that are counted as unrecorded. */
int sched_results_failed(const struct sched *s);
const struct run_counts *sched_counts(const struct sched *s);
/* The server's clock against this host's (skew.h), from the answers so far. */
struct skew;
const struct skew *sched_skew(const struct sched *s);
/* Closes the scheduler's handles; run the loop afterwards, then sched_free. */
void sched_close(struct sched *s);
void sched_free(struct sched *s);

#endif
