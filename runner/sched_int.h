/* sched_int.h: private to the scheduler's files (scheduler.c and the files it
 * was split into); nothing else includes it. The public face is scheduler.h.
 *
 * It holds the state they share: a row's job, an account, a run of the input
 * found by the plan pass, and the scheduler itself; two small helpers all of
 * them use; and the functions one of these files offers the others, grouped by
 * the file that defines them, in the order scheduler.c's opening comment lists
 * them. Each file's own opening comment says what it owns. */
#ifndef GROUPRM_SCHED_INT_H
#define GROUPRM_SCHED_INT_H
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <uv.h>

#include "clock.h"
#include "grow.h"
#include "csvin.h"
#include "pairset.h"
#include "ratelimit.h"
#include "pacer.h"
#include "ticker.h"
#include "buf.h"
#include "scheduler.h"
#include "sha256.h"
#include "skew.h"

struct account;

/* A stretch of the input whose rows all belong to one account (invalid rows
 * inside it included), found by the plan pass. */
struct run {
    off_t offset;              /* where its first row starts */
    unsigned long line;        /* that row's line */
    unsigned long rows;        /* rows in it */
};

struct job {
    struct job *next;          /* link in its account's queue */
    struct account *acct;
    unsigned long line;
    unsigned attempts;
    mono_ms due;               /* backing off: may go again at this time */
    mono_ms sent_at;           /* of the attempt in flight */
    unsigned inflight_at_send; /* its account's requests in flight then, itself included */
    double rate_at_send;       /* the rate its account's sends kept then (pacer.h) */
    long last_http;            /* of the latest attempt, 0 if none */
    size_t group_len, user_len;
    size_t cap;                /* bytes data[] can hold */
    char *remote_data;         /* NULL: {} */
    char *group, *user;        /* point into data[] */
    char data[];
};

struct account {
    char *id;
    size_t id_len;
    struct pacer pace;         /* how fast, how many in flight, when next (pacer.h) */
    struct job *head, *tail;   /* queued, in input order (retries go first) */
    unsigned long queued;
    const char *stopped;       /* blocked or needs re-auth: its rows are not sent */
    int active;                /* in sched.active: has queued or unread rows */

    struct run *runs;          /* by-account mode: where its rows lie in the input */
    size_t nruns, runs_cap, run_next;
    unsigned long run_left;    /* rows left in the run its cursor is in */
    unsigned long rows_left;   /* rows not read yet */
    unsigned long planned_valid;  /* valid, distinct rows the plan found */
    unsigned long by_status[ST__COUNT];  /* final lines recorded for it */
    struct csvin *cur;         /* reads its runs; open only while rows are left */
};

struct sched {
    uv_loop_t *loop;
    struct job *spare;         /* finished jobs kept for reuse */
    size_t nspare;
    const struct config *cfg;
    const char *input_name;
    struct csvin *in;
    struct results *res;
    struct http *http;
    uv_timer_t end_timer;      /* the end of the run, once every row is recorded */
    struct ticker tick;        /* the earliest moment anything could be sent */
    uv_timer_t sync;           /* fsync the results once a second */
    void (*on_finished)(void *);
    void *ctx;

    struct pacer token_pace;   /* the token's ceiling, -c, and a learned rate */
    struct pacer_pair pair;    /* whose limit a refusal was (pacer.h) */
    struct account **accts;    /* open-addressing table by id */
    size_t acct_cap, acct_n;
    struct account **active;   /* accounts with queued rows, served round-robin */
    size_t active_n, active_cap, rr;

    struct job **delayed;      /* min-heap by due */
    size_t delayed_n, delayed_cap;
    unsigned long queued;      /* rows in account queues */
    unsigned long readahead;

    int fd;                    /* the input, when it can be read again; else -1 */
    struct csvin *seq;         /* sequential mode: the one reader */
    int by_account;            /* the plan found runs: one cursor per account */
    int input_done;            /* nothing left to read sequentially */
    int input_broken;          /* rows can no longer be read at all (an error, or changed) */
    const struct pairset *done;  /* --resume: pairs already removed, not_found or added */
    struct pairset seen;       /* pairs met so far (duplicates), while reading in order */
    unsigned long *dups;       /* lines of duplicate rows found by the plan, ascending */
    size_t ndups, dups_cap;
    int dups_known;            /* the plan found them: seen is not needed */
    int adding;                /* --method add: success is "added" */
    unsigned long invalid_logged;
    struct plan_stats stats;
    struct sha256 hash;        /* of the input, filled by the plan pass */
    const char *path;          /* the method's endpoint */
    struct buf query;          /* the query after integrated_account_id, built once */
    char *remote_data;         /* --remote-data, minified once; NULL for {} */
    enum stop_reason stop;     /* the first cause to stop, set by sched_stop_run only */
    int results_failed;        /* nothing more can be recorded (finish_write_failed) */
    int aborting;              /* second interrupt: in-flight rows are abandoned */
    int finished;
    uint64_t rng;
    struct run_counts counts;  /* by_status: lines in the results file (finish_settled) */
    /* Rows finished, by status, whether or not their lines made it into the file:
     * what the circuit breaker weighs, at once rather than a batch later. */
    unsigned long finished_by_status[ST__COUNT];
    struct skew skew;          /* the server's clock against ours, from Date */
    int capped_said;           /* a header's wait was held to HINT_WAIT_CAP_S, and said */

    uv_timer_t progress;       /* redraws (terminal) or prints (log) the progress line */
    int progress_on, progress_tty;
    uint64_t progress_ms;
    unsigned long last_done;   /* at the previous tick, for the pace */
    mono_ms last_tick;
    mono_ms started_ms;        /* when sending began */
    double pace;               /* rows finished per second, smoothed */
    double req_rate;           /* requests per second, smoothed */
    unsigned long last_requests;
};

/* Room for one more item (grow.h). */
#define sched_room_for grow_room

/* Every stop comes here: the first cause is the one kept, and the exit status
 * says it (main.c). 1 when why is that first cause (the caller may say so), 0
 * when the run was stopping already. */
static inline int sched_stop_run(struct sched *s, enum stop_reason why)
{
    if (s->stop != STOP_NONE)
        return 0;
    s->stop = why;
    return 1;
}

/* scheduler.c */
struct account *accounts_get(struct sched *s, const char *id, size_t len);

/* plan.c */
/* --undo: whether the row is one of those it re-adds (it said removed). */
int plan_undoable(const struct csvin_row *row);
/* Whether the row at that line repeats an earlier pair (once the plan ran:
 * s->dups_known). */
int plan_is_dup_line(const struct sched *s, unsigned long line);

/* intake.c */
void intake_refill(struct sched *s);
void intake_read_rest(struct sched *s);
void intake_fill_account(struct sched *s, struct account *a, unsigned long want);
void intake_consume_account(struct sched *s, struct account *a);

/* accounts.c */
struct account *accounts_find(const struct sched *s, const char *id, size_t len);
/* Where id's account is (*slot set) or would go (*slot NULL); NULL when memory
 * is short. The slot holds until the next account is added. */
struct account **accounts_slot(struct sched *s, const char *id, size_t len);
void accounts_activate(struct sched *s, struct account *a);
void accounts_deactivate(struct sched *s, struct account *a);
/* Queues a job on its account (front: a retry, served first); the account joins
 * the ring if it was idle. */
void accounts_enqueue(struct sched *s, struct job *j, int front);
/* The account's next job, or NULL; the account leaves the ring once it has
 * nothing queued and nothing left to read. */
struct job *accounts_dequeue(struct sched *s, struct account *a);

/* retryheap.c */
int retryheap_push(struct sched *s, struct job *j);
struct job *retryheap_pop(struct sched *s);

/* jobs.c */
/* A job for a valid row of account a; NULL when memory is short. */
struct job *jobs_new(struct sched *s, const struct csvin_row *row, struct account *a);
void jobs_release(struct sched *s, struct job *j);
void jobs_free(struct job *j);

/* finish.c */
void finish_record(struct sched *s, unsigned long line, const char *group, size_t glen,
                   const char *user, size_t ulen, const char *acct, size_t alen,
                   enum status st, long http, unsigned attempts, unsigned long latency,
                   const char *error, const char *reason);
/* The results' callback (results_on_settled, ctx the sched): the row counts,
 * run-wide and for its account (tag, or NULL), once its line is in the file, or
 * as unrecorded when it never will be. */
void finish_settled(void *ctx, enum status st, void *tag, int recorded);
/* The results cannot be written (results_error says why): said once, and the
 * run stops with STOP_WRITE unless an earlier cause stopped it. From then on
 * s->results_failed says that nothing more can be recorded. */
void finish_write_failed(struct sched *s);
/* Records the job's final line and releases the job. */
void finish(struct sched *s, struct job *j, enum status st, long http,
            unsigned long latency, const char *error, const char *reason);

/* liveprogress.c */
void liveprogress_start(struct sched *s);
void liveprogress_stop(struct sched *s);

#endif
