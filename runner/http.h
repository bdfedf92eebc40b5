/* http.h: libcurl's multi-socket interface driven by a libuv loop.
 *
 * A fixed pool of transfers, one per allowed request in flight, each with a reused
 * easy handle whose options are set once (so connections, DNS and TLS sessions are
 * shared and kept alive). The caller fills a free transfer's url/body/key and starts
 * it; when it ends, on_done runs from the loop (never from inside a libcurl
 * callback) with the status, transport error, latency, rate-limit hints and, for
 * error statuses, the first 64 KiB of the body. Completions come in batches: once
 * every finished transfer has had its on_done, on_batch runs once.
 *
 * Shutdown order matters: http_free() cleans up the multi handle first (it may still
 * call the socket callback), then closes every uv handle; the caller then runs the
 * loop once more so the close callbacks free them. */
#ifndef GROUPRM_HTTP_H
#define GROUPRM_HTTP_H
#include <curl/curl.h>
#include <uv.h>

#include "headers.h"
#include "request.h"

struct http;

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
    struct buf resp;          /* body, kept only for status >= 300, capped */

    /* Private. */
    CURL *easy;
    CURLU *url_handle;        /* the URL, parsed here: see http_start */
    struct buf url_head;      /* url_handle's URL up to the query */
    struct curl_slist *headers;
    struct curl_slist *idem_node;  /* the list node whose text carries the key */
    struct http *http;
    uint64_t started_ns;
    int busy;
};

struct http_opts {
    const char *token;        /* the bearer token; copied into one header, never logged */
    const char *user_agent;
    double timeout_s;
    unsigned pool;            /* transfers, = concurrency */
    int multiplex;            /* https: wait for HTTP/2 multiplexing (PIPEWAIT) */
    const char *cacert;       /* CA bundle instead of the system's, or NULL */
    const char *proxy, *noproxy;  /* from proxy_from_env: "" for none */
    const char *const *resolve;   /* CURLOPT_RESOLVE entries */
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
/* Starts a filled transfer. Returns 0, or -1 (the transfer is released). */
int http_start(struct http *h, struct transfer *t);
/* Stops a busy transfer without calling on_done; the caller records it. */
void http_abort(struct http *h, struct transfer *t);
/* Aborts every busy transfer, handing each to cb (not on_done). */
void http_abort_all(struct http *h, void (*cb)(struct transfer *t, void *ctx), void *ctx);
unsigned http_busy(const struct http *h);
void http_free(struct http *h);

#endif
