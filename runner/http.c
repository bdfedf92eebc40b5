/* http.c: libcurl multi on libuv. See http.h.
 *
 * Each socket libcurl opens gets a uv_poll; libcurl's single timeout is one
 * uv_timer. Both callbacks call curl_multi_socket_action and then drain
 * curl_multi_info_read, which is where finished transfers are handed to the
 * caller: outside every libcurl callback, so the caller may start new ones. */
#include "clock.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESP_CAP (64 * 1024)   /* error bodies beyond this are not needed */
#define IDEM_PREFIX "Idempotency-Key: "

struct sock_ctx {
    uv_poll_t poll;            /* first: the close callback casts back */
    curl_socket_t fd;
    struct http *http;
};

struct http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;          /* libcurl's timeout */
    struct transfer *pool;
    unsigned n, busy;
    void (*on_done)(struct transfer *t, void *ctx);
    void (*on_batch)(void *ctx);
    void *ctx;
};

static void free_sock(uv_handle_t *h) { free(h); }

static void drain(struct http *h)
{
    CURLMsg *msg;
    int left, any = 0;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        t->curl_code = (int)msg->data.result;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->http_status);
        t->latency_ms = (unsigned long)((uv_hrtime() - t->started_ns) / 1000000u);
        curl_multi_remove_handle(h->multi, t->easy);
        t->busy = 0;
        h->busy--;
        h->on_done(t, h->ctx);
        any = 1;
    }
    if (any && h->on_batch)
        h->on_batch(h->ctx);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock_ctx *sc = (struct sock_ctx *)p;
    struct http *h = sc->http;
    int flags = 0, running;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(h->multi, sc->fd, flags, &running);
    drain(h);
}

static void on_timeout(uv_timer_t *timer)
{
    struct http *h = timer->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(h);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http *h = userp;
    struct sock_ctx *sc = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            uv_poll_stop(&sc->poll);
            uv_close((uv_handle_t *)&sc->poll, free_sock);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc)
            return -1;
        sc->fd = fd;
        sc->http = h;
        if (uv_poll_init_socket(h->loop, &sc->poll, fd) != 0) {
            free(sc);
            return -1;
        }
        curl_multi_assign(h->multi, fd, sc);
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    return uv_poll_start(&sc->poll, ev, on_poll) == 0 ? 0 : -1;
}

/* A timeout of 0 means "soon": the uv timer runs it on the next loop turn. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http *h = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(b, "HTTP/", 5) == 0)
        hints_init(&t->hints);  /* a new response (after a 1xx, say) starts afresh */
    else
        hints_feed_line(&t->hints, b, len, wall_now());
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 300 && t->resp.len < RESP_CAP) {
        size_t take = len < RESP_CAP - t->resp.len ? len : RESP_CAP - t->resp.len;
        if (buf_append(&t->resp, b, take) != 0)
            return 0;
    }
    return len;
}

static int setup_transfer(struct http *h, struct transfer *t, const struct http_opts *o,
                          const char *auth, const char *ua)
{
    static const char zero_key[] = IDEM_PREFIX
        "0000000000000000000000000000000000000000000000000000000000000000";
    t->http = h;
    t->easy = curl_easy_init();
    t->url_handle = curl_url();
    if (!t->easy || !t->url_handle)
        return -1;
    /* No "Expect:" to suppress: libcurl only asks for 100-continue on large
     * bodies, and every extra header is compared on every request. */
    /* User-Agent is one of these fixed lines, not CURLOPT_USERAGENT, which
     * libcurl re-formats with its own (slow) printf on every request. */
    const char *fixed[] = {auth, ua, "Content-Type: application/json",
                           "Accept: application/json", zero_key};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *l = curl_slist_append(t->headers, fixed[i]);
        if (!l)
            return -1;
        t->headers = l;
    }
    /* The key's line is the last; its text is rewritten in place per request. */
    for (t->idem_node = t->headers; t->idem_node->next;)
        t->idem_node = t->idem_node->next;

    long timeout_ms = (long)(o->timeout_s * 1000.0);
    CURL *e = t->easy;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    /* Verification stays on (libcurl's default): a private CA is added by
     * naming it, never by turning checks off. */
    /* Set, even when empty, so libcurl does not read the environment again on
     * every transfer. */
    if (o->proxy)
        bad |= curl_easy_setopt(e, CURLOPT_PROXY, o->proxy) != CURLE_OK;
    if (o->noproxy)
        bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, o->noproxy) != CURLE_OK;
    if (o->cacert)
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert) != CURLE_OK;
    /* Over TLS, ALPN tells at handshake time whether a connection multiplexes
     * (HTTP/2), so waiting for it beats opening many. Over plain HTTP it would
     * hold every new request until the first response arrives. */
    if (o->multiplex)
        bad |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) != CURLE_OK;
    return bad ? -1 : 0;
}

struct http *http_new(uv_loop_t *loop, const struct http_opts *o, char *err, size_t errlen)
{
    struct http *h = calloc(1, sizeof *h);
    char *auth = NULL;
    if (!h)
        goto oom;
    h->loop = loop;
    h->on_done = o->on_done;
    h->on_batch = o->on_batch;
    h->ctx = o->ctx;
    h->n = o->pool;
    h->pool = calloc(o->pool, sizeof *h->pool);
    h->multi = curl_multi_init();
    size_t alen = strlen(o->token) + 32;
    auth = malloc(alen);
    if (!h->pool || !h->multi || !auth)
        goto oom;
    snprintf(auth, alen, "Authorization: Bearer %s", o->token);
    char ua[128];
    snprintf(ua, sizeof ua, "User-Agent: %s", o->user_agent);
    for (unsigned i = 0; i < h->n; i++)
        if (setup_transfer(h, &h->pool[i], o, auth, ua) != 0)
            goto oom;
    memset(auth, 0, alen);  /* the lists hold their own copies */
    free(auth);
    auth = NULL;

    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    return h;
oom:
    snprintf(err, errlen, "cannot set up HTTP: out of memory");
    if (auth)
        free(auth);
    if (h) {
        for (unsigned i = 0; h->pool && i < h->n; i++) {
            if (h->pool[i].easy)
                curl_easy_cleanup(h->pool[i].easy);
            curl_url_cleanup(h->pool[i].url_handle);
            curl_slist_free_all(h->pool[i].headers);
        }
        free(h->pool);
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free(h);
    }
    return NULL;
}

struct transfer *http_acquire(struct http *h)
{
    for (unsigned i = 0; i < h->n; i++)
        if (!h->pool[i].busy)
            return &h->pool[i];
    return NULL;
}

int http_start(struct http *h, struct transfer *t)
{
    t->http_status = 0;
    t->curl_code = 0;
    t->curl_error[0] = '\0';
    t->latency_ms = 0;
    buf_reset(&t->resp);
    hints_init(&t->hints);
    memcpy(t->idem_node->data + sizeof IDEM_PREFIX - 1, t->idem_key, IDEMPOTENCY_KEY_LEN);
    /* Handing libcurl a parsed URL (CURLOPT_CURLU) spares it re-building the
     * whole URL string through its printf on every transfer. */
    CURLUcode uc = curl_url_set(t->url_handle, CURLUPART_URL, t->url.p, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        snprintf(t->curl_error, sizeof t->curl_error, "bad URL: %s", curl_url_strerror(uc));
        return -1;
    }
    if (curl_easy_setopt(t->easy, CURLOPT_CURLU, t->url_handle) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)t->body.len) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body.p) != CURLE_OK)
        return -1;
    t->started_ns = uv_hrtime();
    if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK)
        return -1;
    t->busy = 1;
    h->busy++;
    return 0;
}

void http_abort(struct http *h, struct transfer *t)
{
    if (!t->busy)
        return;
    curl_multi_remove_handle(h->multi, t->easy);
    t->busy = 0;
    h->busy--;
}

void http_abort_all(struct http *h, void (*cb)(struct transfer *t, void *ctx), void *ctx)
{
    for (unsigned i = 0; i < h->n; i++) {
        struct transfer *t = &h->pool[i];
        if (t->busy) {
            http_abort(h, t);
            cb(t, ctx);
        }
    }
}

unsigned http_busy(const struct http *h) { return h->busy; }

static void free_http(uv_handle_t *timer) { free(timer->data); }

void http_free(struct http *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->n; i++)
        http_abort(h, &h->pool[i]);
    curl_multi_cleanup(h->multi);  /* may still close sockets through on_socket */
    for (unsigned i = 0; i < h->n; i++) {
        struct transfer *t = &h->pool[i];
        curl_easy_cleanup(t->easy);
        curl_url_cleanup(t->url_handle);
        curl_slist_free_all(t->headers);
        buf_free(&t->url);
        buf_free(&t->body);
        buf_free(&t->resp);
    }
    free(h->pool);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, free_http);
}
