/* results.h: the two files a run leaves behind.
 *
 * results CSV: one line per input data row, in the order rows finish:
 *   line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,error,finished_at
 * retry log: the rows that did not end removed/not_found and could succeed later
 *   (failed, not_attempted, interrupted), accepted back as grouprm's INPUT unchanged:
 *   group_id,user_id,integrated_account_id,reason,http_status,attempts,error
 *
 * Fields are quoted through libcsv only when they need it (separator, quote, CR, LF,
 * or surrounding blanks), so any id round-trips byte for byte. Every line is flushed
 * to the kernel as its row finishes; results_sync() makes it durable. A failed write
 * is sticky: every later call returns -1 and results_error() says why. */
#ifndef GROUPRM_RESULTS_H
#define GROUPRM_RESULTS_H
#include <stddef.h>
#include "outcome.h"

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
};

struct results;

/* Creates (truncating) both files, making parent folders. NULL with err set on failure. */
struct results *results_open(const char *path, const char *retry_path, char *err, size_t errlen);
int results_write(struct results *r, const struct row_result *row);
int results_sync(struct results *r);    /* fflush + fsync both files */
int results_close(struct results *r);   /* sync, close, free; -1 if anything failed */
const char *results_error(const struct results *r);
/* 1 when the status belongs in the retry log. */
int results_is_retryable(enum status s);

/* RFC 3339 UTC with milliseconds: 2026-11-28T13:02:11.123Z. buf >= 32 bytes. */
void format_rfc3339(double epoch, char *buf, size_t len);
/* mkdir -p of path's parent folder. 0 or -1 (errno set). */
int make_parent_dirs(const char *path);

#endif
