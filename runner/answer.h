/* answer.h: what one finished transfer means, for a run's writes and a plan's
 * reads alike: what it tells the pacers (pacer.h), and what it says in words.
 * It holds no state of its own.
 *
 * A refusal (429, or a bare 503 from a proxy) with Retry-After, or with "0
 * remaining, resets in S", pauses the account. On any other answer a
 * Retry-After is no reason to wait, as urllib3 also holds: only a stated
 * limit, or "0 remaining" that our own pacing does not already explain, is
 * used. */
#ifndef GROUPRM_ANSWER_H
#define GROUPRM_ANSWER_H
#include <stdint.h>

#include "http.h"
#include "outcome.h"
#include "pacer.h"

/* What was recorded when the request was sent. */
struct answer_sent {
    mono_ms sent_at;
    unsigned inflight_at_send;  /* the account's in flight then, itself included */
    double rate_at_send;        /* its pacer's send_rate then */
};

/* Tells the account's pacer (and the token's, through pair) what came back.
 * window_ms is the configured account window, for a stated limit that names
 * none. Returns the wait in seconds the server asked this request to keep
 * before it is sent again (0 for none). */
double answer_pace(struct pacer_pair *pair, struct pacer *acct, const struct transfer *t,
                   const struct verdict *v, const struct answer_sent *sent,
                   uint64_t window_ms, mono_ms now);

/* A request told to the pacers as sent (pacer_pair_sent) that never started:
 * they let its place go, as for a request that got no answer. */
void answer_not_started(struct pacer_pair *pair, struct pacer *acct,
                        const struct answer_sent *sent, mono_ms now);

struct skew;

/* What the answer says of the server's clock: a sample for the skew estimate,
 * then the answer's stated times read again against the estimate's bound
 * (hints_resolve_skew),
 * said once when it is beyond SKEW_WARN_S ("api.truto.one's clock is 300 s
 * ahead of this host's; waits use the server's clock"), and, once per run
 * (*capped_said), a wait that hints_resolve held to HINT_WAIT_CAP_S. */
void answer_clock(struct skew *k, int *capped_said, struct transfer *t, const char *base_url);

/* The transfer's error in one line: the transport error, else "HTTP 404:
 * message" from the body's facts, else "HTTP 404"; "" for a success. */
void answer_describe(char *buf, size_t len, const struct transfer *t,
                     const struct body_facts *f);

#endif
