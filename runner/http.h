/* http.h: libcurl's multi-socket interface driven by libuv loops.
 *
 * A fixed pool of transfers, one per allowed request in flight, each with a reused
 * easy handle whose options are set once (so connections, DNS and TLS sessions are
 * kept alive). The caller fills a free transfer's url/body/key and starts it;
 * when it ends, on_done runs on the caller's loop with the status, transport
 * error, latency, rate-limit hints and, for error statuses, the first 64 KiB of
 * the body. Completions come in batches: once every finished transfer has had its
 * on_done, on_batch runs once.
 *
 * The transfers run in lanes: each lane is a thread with its own libuv loop and
 * libcurl multi handle, and owns a fixed share of the pool (transfer i belongs to
 * lane i % lanes). The caller's loop stays the only place where decisions are
 * made: it starts transfers and receives every result; a lane only moves bytes.
 * A transfer belongs to exactly one side at a time, handed over under a mutex:
 * the caller's from http_acquire until http_start, the lane's until its result is
 * handed back, then the caller's again when on_done runs.
 *
 * Shutdown: http_free() stops every lane (any transfer still in flight is dropped
 * without a callback), joins the threads, then closes its one handle on the
 * caller's loop; the caller runs that loop once more so the handle is freed. */
#ifndef GROUPRM_HTTP_H
#define GROUPRM_HTTP_H
#include <curl/curl.h>
#include <uv.h>

#include "hints.h"
#include "request.h"

struct http;
struct lane;

struct transfer {
    /* Filled by the caller before http_start. */
    struct buf url, body;
    char idem_key[IDEMPOTENCY_KEY_LEN + 1];
    void *job;                /* the caller's row */

    /* Filled by http before on_done. */
    long http_status;         /* 0 when no response */
    int curl_code;            /* CURLcode; 0 = transfer completed */
    char curl_error[CURL_ERROR_SIZE];
    unsigned long latency_ms;
    struct rl_hints hints;
    struct buf resp;          /* body, kept only for status >= 300 (any, for reads), capped */

    int aborted;              /* stopped by http_abort_all: outcome unknown */

    /* Private. */
    CURL *easy;
    CURLU *url_handle;        /* the URL, parsed here: see http_start */
    struct buf url_head;      /* url_handle's URL up to the query */
    struct curl_slist *headers;
    struct curl_slist *idem_node;  /* the list node whose text carries the key */
    struct lane *lane;
    struct transfer *next;    /* in a hand-over list */
    uint64_t started_ns;
    int busy;                 /* the caller's view: started, result not yet handed back */
    int in_multi;             /* the lane's view */
};

struct http_opts {
    const char *token;        /* the bearer token; copied into one header, never logged */
    const char *user_agent;
    double timeout_s;
    unsigned pool;            /* transfers, = concurrency */
    unsigned lanes;           /* threads running them (at most pool) */
    int multiplex;            /* https: wait for HTTP/2 multiplexing (PIPEWAIT) */
    const char *cacert;       /* CA bundle instead of the system's, or NULL */
    const char *proxy, *noproxy;  /* from proxy_from_env: "" for none */
    const char *const *resolve;   /* CURLOPT_RESOLVE entries */
    int get;                  /* reads: every transfer is a GET with no body and no
                               * Idempotency-Key, and resp keeps every answer's body,
                               * 2xx included, up to 16 MiB */
    size_t nresolve;
    void (*on_done)(struct transfer *t, void *ctx);
    /* After a batch of on_done calls (every transfer libcurl had finished by
     * then): the place to flush what they recorded and start new transfers. */
    void (*on_batch)(void *ctx);
    void *ctx;
};

struct http *http_new(uv_loop_t *loop, const struct http_opts *o, char *err, size_t errlen);
/* A free transfer, or NULL when all are busy. */
struct transfer *http_acquire(struct http *h);
/* Starts a filled transfer. Returns 0, or -1 (the transfer is released). A
 * started transfer's result always comes back through on_done (or, once
 * aborted, cb of http_abort_all), never from inside this call. */
int http_start(struct http *h, struct transfer *t);
/* Aborts every transfer in flight. Each comes back on the caller's loop as
 * usual, from a later loop turn: to on_done if it had already finished, else to
 * cb with t->aborted set (its request may or may not have reached the server). */
void http_abort_all(struct http *h, void (*cb)(struct transfer *t, void *ctx), void *ctx);
unsigned http_busy(const struct http *h);
void http_free(struct http *h);

#endif
