/* outcome.h: from what came back (HTTP status, transport error, body facts) to what
 * happens next. Pure: no I/O, no clock.
 *
 * The table follows Truto's retry table:
 *   2xx                        -> done, removed
 *   404                        -> done, not_found (the goal state already holds)
 *   408, 425, 429, 500, 502, 504, transport errors and timeouts -> retry
 *   401 without truto_is_remote_error -> stop the run (the token is bad)
 *   401 with truto_is_remote_error    -> stop the account (needs re-auth)
 *   503 whose body says the account is blocked -> stop the account
 *   503 otherwise (a bare proxy 503) -> retry
 *   other 4xx and 5xx          -> done, failed
 *   TLS verification failures, bad URLs, unsupported protocols -> stop the run
 * A retry whose attempts have reached max_attempts becomes done, failed. */
#ifndef GROUPRM_OUTCOME_H
#define GROUPRM_OUTCOME_H
#include <stddef.h>

/* Final status of a row, as written in the results file. */
enum status {
    ST_REMOVED,        /* 2xx */
    ST_NOT_FOUND,      /* 404: membership already gone */
    ST_FAILED,         /* will not succeed by itself; see error */
    ST_INVALID,        /* the row could not be read into a request */
    ST_DUPLICATE,      /* the same pair appeared earlier in the input */
    ST_NOT_ATTEMPTED,  /* the run stopped before this row was finished */
    ST_INTERRUPTED,    /* aborted in flight: outcome unknown */
    ST_DRY_RUN,        /* --dry-run: valid, would be sent */
    ST_ADDED,          /* --method add / --undo: 2xx, the membership is back */
    ST__COUNT
};

/* What a status counts as. Every rule that sorts rows by status asks
 * status_is(); the one table saying which status has which class is in
 * outcome.c. */
enum status_class {
    STC_ANSWERED = 1 << 0,  /* sent and answered for good: the breaker's rows */
    STC_FAILURE = 1 << 1,   /* a failure: the breaker's failed rows */
    STC_DONE = 1 << 2,      /* the goal state holds: --resume skips the pair */
    STC_RETRY = 1 << 3,     /* could succeed later: it goes to the retry log */
    STC_EXIT1 = 1 << 4,     /* in a run nothing stopped, makes the exit status 1 */
};
/*   status          answered failure done retry exit1
 *   removed            x               x
 *   not_found          x               x
 *   added              x               x
 *   failed             x        x            x     x
 *   invalid                                        x
 *   duplicate
 *   not_attempted                            x     x
 *   interrupted                              x     x
 *   dry_run                                            */
int status_is(enum status s, unsigned classes);  /* 1 when s has every class given */
/* The rows of by_status (ST__COUNT counts) whose status has every class given. */
unsigned long status_count(const unsigned long *by_status, unsigned classes);
const char *status_name(enum status s);  /* "removed", "not_found", ...; "unknown" */
/* The status written as name (len bytes, no NUL needed): 1 with *s set, or 0
 * when name is no status. */
int status_from_name(const char *name, size_t len, enum status *s);

enum action {
    ACT_DONE,          /* the row is finished with verdict.status */
    ACT_RETRY,         /* send again later (after backoff, at least wait_s) */
    ACT_STOP_ACCOUNT,  /* the row and its account's others go to the retry log */
    ACT_STOP_RUN,      /* stop dispatching everything */
};

/* Facts read from a response body; all optional. */
struct body_facts {
    int is_remote_error;   /* truto_is_remote_error: true */
    int account_blocked;   /* 503 body says the integrated account is blocked */
    char message[256];     /* message, else error, else a raw_response summary; "" if none */
};

/* Parses a JSON error body. Never fails: unknown shapes leave the facts empty. */
void body_facts_parse(struct body_facts *f, const char *body, size_t len);

struct verdict {
    enum action action;
    enum status status;    /* for ACT_DONE; ST_NOT_ATTEMPTED for the stop actions */
    const char *reason;    /* short machine word: "http_429", "timeout", "account_blocked",
                              "account_reauth", "bad_token", "tls", "max_attempts", ... */
};

/* http_status is 0 when no response arrived; curl_code is a CURLcode (0 = none).
 * attempts counts the attempt that just finished (1 for the first). */
struct verdict classify(long http_status, int curl_code, const struct body_facts *facts,
                        unsigned attempts, unsigned max_attempts);

#endif
