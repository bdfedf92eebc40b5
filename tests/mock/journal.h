/* journal.h: the per-request record, and the counts behind the exit summary.
 *
 * With a file, the journal appends a header line (only when the file is empty,
 * so a restarted mock can keep appending to one journal) and then one line per
 * request:
 *   seq t_ms method path account group_id user_id idempotency_key status replay user_agent auth
 *   query remote_data inflight
 * TAB-separated, each field escaped (\ -> \\, TAB -> \t, LF -> \n, CR -> \r).
 * seq is assigned under the journal's lock at write time, so the file is in seq
 * order; every line is flushed at once so the file is complete whenever the
 * server exits. Without a file only the counts are kept.
 * Thread-safe: journal_record may be called from any worker. */
#ifndef TRUTO_MOCK_JOURNAL_H
#define TRUTO_MOCK_JOURNAL_H
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

struct journal_entry {
    uint64_t t_ns;            /* headers arrived, on mclock */
    const char *method;       /* NULL fields are written as "" */
    const char *path;
    const char *account;
    const char *group_id;
    const char *user_id;
    const char *idem_key;
    int status;               /* 0: no response was sent */
    int replay;
    const char *user_agent;
    int auth_ok;
    const char *query;        /* raw query string, without the '?' */
    const char *remote_data;  /* the body's remote_data, compact JSON */
    unsigned inflight;        /* the account's requests in progress at admission; 0: not admitted */
};

struct journal {
    pthread_mutex_t lock;
    FILE *f;                  /* NULL: counting only */
    unsigned long seq;
    unsigned long ok2xx, not_found, limited, other4xx, err5xx, unanswered, replayed;
};

/* Returns 0, or -1 after printing why. path may be NULL. */
int journal_open(struct journal *j, const char *path);
void journal_record(struct journal *j, const struct journal_entry *e);
/* One line: "truto-mock: N requests (...)". */
void journal_summary(struct journal *j, FILE *out);
void journal_close(struct journal *j);

#endif
