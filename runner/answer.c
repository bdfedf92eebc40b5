/* answer.c: see answer.h. */
#include "answer.h"

#include <math.h>
#include <stdio.h>

#include "log.h"
#include "skew.h"

double answer_pace(struct pacer_pair *pair, struct pacer *acct, const struct transfer *t,
                   const struct verdict *v, const struct answer_sent *sent,
                   uint64_t window_ms, mono_ms now)
{
    const struct rl_hints *h = &t->hints;
    int refused = t->http_status == 429 || (t->http_status == 503 && v->action == ACT_RETRY);
    double wait_s = hints_wait_s(h);
    struct pacer_outcome o = {
        .result = t->http_status == 0 ? PACER_FAILED : refused ? PACER_REFUSED : PACER_ACCEPTED,
        .sent_at = sent->sent_at, .inflight_at_send = sent->inflight_at_send,
        .rate_at_send = sent->rate_at_send,
        .retry_after_s = refused && wait_s > 0 ? wait_s : -1,
    };
    if (o.result == PACER_ACCEPTED && h->has_limit) {
        /* The server's stated limit, over its window, or else over ours. */
        double w = h->has_window && h->window_s > 0 ? h->window_s : (double)window_ms / 1000.0;
        pacer_stated(acct, (double)h->limit, w, now);
    }
    if (o.result == PACER_ACCEPTED && h->has_remaining && h->remaining == 0 && h->has_reset)
        pacer_reset_hint(acct, h->reset_s, now);
    pacer_pair_done(pair, acct, &o, now);
    if (v->action != ACT_RETRY || (!refused && !h->has_retry_after))
        return 0;  /* a reset after a 5xx says nothing of this row */
    return wait_s > 0 ? wait_s : 0;
}

void answer_not_started(struct pacer_pair *pair, struct pacer *acct,
                        const struct answer_sent *sent, mono_ms now)
{
    struct pacer_outcome o = {
        .result = PACER_FAILED, .sent_at = sent->sent_at,
        .inflight_at_send = sent->inflight_at_send, .rate_at_send = sent->rate_at_send,
        .retry_after_s = -1,
    };
    pacer_pair_done(pair, acct, &o, now);
}

void answer_describe(char *buf, size_t len, const struct transfer *t,
                     const struct body_facts *f)
{
    if (t->curl_code)
        snprintf(buf, len, "%s", t->curl_error[0] ? t->curl_error
                                                  : curl_easy_strerror(t->curl_code));
    else if (f->message[0])
        snprintf(buf, len, "HTTP %ld: %s", t->http_status, f->message);
    else if (t->http_status >= 300)
        snprintf(buf, len, "HTTP %ld", t->http_status);
    else
        buf[0] = '\0';
}

void answer_clock(struct skew *k, int *capped_said, struct transfer *t, const char *base_url)
{
    struct rl_hints *h = &t->hints;
    if (h->has_date) {
        if (skew_sample(k, h->date_epoch, h->host_epoch)) {
            char host[256];
            skew_host(base_url, host, sizeof host);
            log_info("%s's clock is %.0f s %s this host's; waits use the server's clock", host,
                     fabs(k->est_s), k->est_s > 0 ? "ahead of" : "behind");
        }
        hints_resolve_skew(h, h->host_epoch, k->lo_s);
    }
    if (h->asked_s > 0 && !*capped_said) {
        *capped_said = 1;
        log_info("the server asked for a wait of %.0f s, which no rate limit explains: waiting "
                 "%.0f s at most (said once)", h->asked_s, HINT_WAIT_CAP_S);
    }
}
