/* results.h: the two files a run leaves behind.
 *
 * results CSV: one line per input data row, in the order rows finish:
 *   line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,error,finished_at
 * retry log: the rows that could still succeed on another run (failed,
 *   not_attempted, interrupted; not those that ended removed, not_found or
 *   added, nor invalid, duplicate or dry_run ones), accepted back as grouprm's
 *   INPUT unchanged:
 *   group_id,user_id,integrated_account_id,reason,http_status,attempts,error
 *
 * Fields are quoted (RFC 4180, quotes doubled) only when they need it (separator,
 * quote, CR, LF, or surrounding blanks), so any id round-trips byte for byte. Lines are buffered;
 * the caller flushes them to the kernel with results_flush() once per batch of
 * finished rows (before any new request goes out), and results_sync() makes them
 * durable. A failed write is sticky: every later call returns -1 and
 * results_error() says why.
 *
 * A row handed to results_write is pending until its line's fate is known: the
 * callback set with results_on_settled then hears, once per row and in order,
 * whether its whole results line reached the file (was handed to the kernel by
 * write(2)) or never will. That is when a caller may count it as recorded. After
 * a failed write the files are cut back to their last whole line when they can
 * be. */
#ifndef GROUPRM_RESULTS_H
#define GROUPRM_RESULTS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "outcome.h"
#include "pairset.h"

struct row_result {
    unsigned long line;
    const char *group_id, *user_id, *account;
    size_t group_len, user_len, account_len;
    enum status status;
    long http_status;          /* 0: none */
    unsigned attempts;
    unsigned long latency_ms;  /* of the last attempt */
    const char *error;         /* human text, may be "" */
    const char *reason;        /* retry log's reason; NULL: the status name */
    double finished_at;        /* wall clock, epoch seconds */
    void *tag;                 /* the caller's, handed back with the row's fate */
};

struct results;

/* Creates both files, making parent folders. keep > 0 keeps that many bytes of
 * an existing results file (from results_read_done: its whole lines, a torn last
 * line cut off) and appends after them; otherwise the file starts afresh. The
 * retry log is always rewritten. NULL with err set on failure. */
struct results *results_open(const char *path, const char *retry_path, long keep, char *err,
                             size_t errlen);
/* A row's fate: recorded 1 when its whole results line is in the file, 0 when it
 * will never be (a write failed: its line, or one before it, did not make it).
 * Called from results_write, results_flush, results_sync or results_close; it
 * must not call back into the results. */
typedef void results_settled_fn(void *ctx, enum status st, void *tag, int recorded);
void results_on_settled(struct results *r, results_settled_fn *fn, void *ctx);
/* Queues the row's line (and its retry-log line). 0, or -1 when the results
 * have failed (now or before; results_error says why): then the row, and maybe
 * rows pending before it, were settled as not recorded. Flushes on its own when
 * much is buffered. */
int results_write(struct results *r, const struct row_result *row);
int results_flush(struct results *r);   /* both files to the kernel, one write each */
int results_sync(struct results *r);    /* flush + fsync both files */
int results_close(struct results *r);   /* sync, close, free; -1 if anything failed */
const char *results_error(const struct results *r);
/* For tests: what writes the files (write(2) when fn is NULL). */
void results_set_writer(struct results *r, ssize_t (*fn)(int fd, const void *p, size_t n));
/* Of n lines ending at ends[0..n) (ascending offsets into one buffer), how many
 * are whole once the buffer's first `written` bytes reached the file. Pure. */
size_t results_whole_lines(const size_t *ends, size_t n, size_t written);
/* 1 when the status belongs in the retry log. */
int results_is_retryable(enum status s);

/* --resume: reads an existing results file and adds to done every pair recorded
 * removed, not_found or added (--method add and --undo rows end added). A torn
 * last row (a kill in the middle of a write) is ignored, and so is a line that
 * does not parse. *keep is the length of the
 * whole rows to keep, or -1 when there is no file (start from the beginning).
 * 0, or -1 with err set (unreadable, or not a grouprm results file). */
int results_read_done(const char *path, struct pairset *done, unsigned long *lines, long *keep,
                      char *err, size_t errlen);

/* One grouprm at a time per results file: an advisory lock (flock) on PATH.lock,
 * which holds the owner's pid for the message. The kernel drops it when the
 * process dies, however it dies, so a stale lock never blocks. Returns the lock's
 * fd, or -1 with err set; *busy is 1 when another live process holds it. */
int results_lock(const char *path, int *busy, char *err, size_t errlen);

/* How many lines after the header the results file at path holds (a
 * partial last line counts): 0 when it is absent, holds only a header, or is
 * not a regular file (/dev/null, a pipe), -1 when it cannot be read (err
 * set). */
long results_rows(const char *path, char *err, size_t errlen);

/* The state file PATH.state records which input the results were made from,
 * so that --resume refuses (without --force) results made from another input.
 * Written whole or not at all (results_write_file_atomic). */
struct input_id {
    uint64_t size;
    char sha256[65];
    char columns[65];    /* SHA-256 of the --column mapping; "" for none */
};
/* 0, or -1 with err set. */
int results_state_write(const char *results_path, const struct input_id *id, char *err,
                        size_t errlen);
/* 1 read, 0 absent, -1 unreadable or malformed (err set). */
int results_state_read(const char *results_path, struct input_id *id, char *err, size_t errlen);

/* Writes path whole or not at all: a temporary file beside it, synced, then
 * renamed over it. 0, or -1 with err set. */
int results_write_file_atomic(const char *path, const char *data, size_t len, char *err,
                              size_t errlen);

/* Appends one CSV field (after a comma unless first), quoted when a reader
 * would otherwise change it. 0, or -1 on ENOMEM. */
struct buf;
int results_csv_put_field(struct buf *b, const char *s, size_t n, int first);

/* mkdir -p of path's parent folder. 0 or -1 (errno set). */
int results_make_parent_dirs(const char *path);

#endif
