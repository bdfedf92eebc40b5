/* http.c: libcurl multi on libuv. See http.h.
 *
 * Each socket libcurl opens gets a uv_poll; libcurl's timeout is one uv_timer.
 * Both callbacks call curl_multi_socket_action and then drain
 * curl_multi_info_read, which is where finished transfers are handed to the
 * caller: outside every libcurl callback.
 *
 * Two things keep the loop turning as it should:
 *  - libcurl asks for a timeout of 0 ("call me at once") every time a transfer
 *    is added. libuv (1.44, as in Debian 12) runs a timer that is re-armed at 0
 *    from its own callback again in the same pass, before any I/O is polled: a
 *    busy loop that reads no other socket. A 0 timeout is therefore served by
 *    an idle handle, which runs once per loop turn and keeps the poll from
 *    blocking.
 *  - Completions are gathered over a loop turn, every ready socket read, and
 *    handed to on_batch from that same idle handle at the start of the next
 *    turn: the caller writes the batch's results once and refills all the
 *    slots together, and the new transfers go out at once. */
#include "clock.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESP_CAP (64 * 1024)   /* error bodies beyond this are not needed */
#define IDEM_PREFIX "Idempotency-Key: "

/* One per socket libcurl watches. An established connection's context lives as
 * long as its socket: between transfers, while the connection waits in
 * libcurl's cache, its poll stays registered, so the next transfer on it costs
 * no epoll_ctl or ioctl. It ends when libcurl closes the socket, which it does
 * through on_close_socket for a connection's socket.
 *
 * Established means: opened by on_open_socket (a connection's, not a resolver's
 * socketpair) and read from (libcurl asked for CURL_POLL_IN, which it does only
 * once the TCP connect is done). Any other socket's context ends when libcurl
 * stops watching it: libcurl 7.88 closes the loser of a happy-eyeballs race,
 * still connecting, with a plain close() and says so only afterwards, and a
 * poll left registered on a closed fd would collide with the next socket given
 * the same number. (Asking libcurl for a transfer's socket instead,
 * CURLINFO_ACTIVESOCKET, cost about 20% of the throughput.) */
struct sock_ctx {
    uv_poll_t poll;            /* first: the close callback casts back */
    curl_socket_t fd;
    struct http *http;
    int ours;                  /* opened by on_open_socket */
    int established;           /* ours, and libcurl has read from it: see above */
    int poll_ready;            /* poll initialised */
    int events;                /* what the poll watches now (UV_*), 0 stopped */
    int wanted;                /* libcurl watches it (not between transfers) */
};

struct http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;          /* libcurl's timeout, when not 0 */
    uv_idle_t turn;            /* next loop turn: on_batch, then a 0 timeout */
    int want_batch, want_kick, turn_on, closing;
    struct transfer *pool;
    unsigned n, busy;
    struct curl_slist *resolve;  /* --resolve, shared by every easy handle */
    struct sock_ctx **socks;   /* by fd */
    size_t nsocks;
    void (*on_done)(struct transfer *t, void *ctx);
    void (*on_batch)(void *ctx);
    void *ctx;
};

static void free_sock(uv_handle_t *h) { free(h); }

static void arm_turn(struct http *h);

static void drain(struct http *h)
{
    CURLMsg *msg;
    int left;
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
        h->want_batch = 1;
        arm_turn(h);
    }
}

static void socket_timeout(struct http *h)
{
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(h);
}

static void on_turn(uv_idle_t *idle)
{
    struct http *h = idle->data;
    if (h->want_batch) {
        h->want_batch = 0;
        if (h->on_batch)
            h->on_batch(h->ctx);
    }
    if (h->want_kick) {
        h->want_kick = 0;
        socket_timeout(h);  /* may want another batch: the handle stays on */
    }
    if (!h->want_batch && !h->want_kick && h->turn_on) {
        h->turn_on = 0;
        uv_idle_stop(&h->turn);
    }
}

static void arm_turn(struct http *h)
{
    if (!h->turn_on) {
        h->turn_on = 1;
        uv_idle_start(&h->turn, on_turn);
    }
}

static int set_events(struct sock_ctx *sc, int ev);

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock_ctx *sc = (struct sock_ctx *)p;
    struct http *h = sc->http;
    int flags = 0, running;
    if (!sc->wanted) {
        /* An idle connection stirred (the server closed it, say): libcurl will
         * find out when it next picks it. Stop watching until then. */
        set_events(sc, 0);
        return;
    }
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

static void on_timeout(uv_timer_t *timer) { socket_timeout(timer->data); }

static int set_events(struct sock_ctx *sc, int ev)
{
    if (ev == sc->events)
        return 0;
    if (ev && uv_poll_start(&sc->poll, ev, on_poll) != 0)
        return -1;
    if (!ev)
        uv_poll_stop(&sc->poll);
    sc->events = ev;
    return 0;
}

static void sock_free(struct http *h, struct sock_ctx *sc);

static struct sock_ctx *sock_new(struct http *h, curl_socket_t fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= h->nsocks) {
        size_t n = h->nsocks ? h->nsocks : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct sock_ctx **p = realloc(h->socks, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + h->nsocks, 0, (n - h->nsocks) * sizeof *p);
        h->socks = p;
        h->nsocks = n;
    }
    /* A context still here belongs to a socket closed behind our back: the fd
     * number is new now, so its registration goes first. */
    if (h->socks[fd])
        sock_free(h, h->socks[fd]);
    struct sock_ctx *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->fd = fd;
    sc->http = h;
    h->socks[fd] = sc;
    return sc;
}

static void sock_free(struct http *h, struct sock_ctx *sc)
{
    h->socks[sc->fd] = NULL;
    if (sc->poll_ready) {
        uv_poll_stop(&sc->poll);
        uv_close((uv_handle_t *)&sc->poll, free_sock);
    } else {
        free(sc);
    }
}

static struct sock_ctx *sock_get(struct http *h, curl_socket_t fd)
{
    return fd >= 0 && (size_t)fd < h->nsocks ? h->socks[fd] : NULL;
}

/* Connections' sockets are opened here so that a stale context left on the same
 * fd number is cleared before the new socket is watched. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct http *h = ud;
    (void)purpose;
    int type = a->socktype;
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC;
#endif
    curl_socket_t fd = socket(a->family, type, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    struct sock_ctx *sc = sock_new(h, fd);
    if (!sc) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    sc->ours = 1;
    return fd;
}

static int on_close_socket(void *ud, curl_socket_t fd)
{
    struct http *h = ud;
    struct sock_ctx *sc = sock_get(h, fd);
    if (sc)
        sock_free(h, sc);  /* before the close: libuv must forget the fd first */
    return close(fd);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http *h = userp;
    struct sock_ctx *sc = sock_get(h, fd);
    (void)easy;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sc && sc->established)
            sc->wanted = 0;  /* the poll stays: see on_poll */
        else if (sc)
            sock_free(h, sc);  /* it may be closed already: see struct sock_ctx */
        return 0;
    }
    if (!sc && !(sc = sock_new(h, fd)))
        return -1;
    if (!sc->poll_ready) {
        if (uv_poll_init_socket(h->loop, &sc->poll, fd) != 0) {
            sock_free(h, sc);
            return -1;
        }
        sc->poll_ready = 1;
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    sc->wanted = 1;
    if ((what & CURL_POLL_IN) && sc->ours)
        sc->established = 1;
    return set_events(sc, ev);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http *h = userp;
    (void)multi;
    if (timeout_ms == 0) {
        uv_timer_stop(&h->timer);
        h->want_kick = 1;
        arm_turn(h);
        return 0;
    }
    h->want_kick = 0;
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
    else if (hints_may_use(b, len))  /* the clock is read only for lines that may need it */
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
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, h) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h) != CURLE_OK;
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
    if (h->resolve)
        bad |= curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve) != CURLE_OK;
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
    for (size_t i = 0; i < o->nresolve; i++) {
        struct curl_slist *l = curl_slist_append(h->resolve, o->resolve[i]);
        if (!l)
            goto oom;
        h->resolve = l;
    }
    for (unsigned i = 0; i < h->n; i++)
        if (setup_transfer(h, &h->pool[i], o, auth, ua) != 0)
            goto oom;
    memset(auth, 0, alen);  /* the lists hold their own copies */
    free(auth);
    auth = NULL;

    /* libcurl's default cache holds 4 connections per transfer *currently
     * added*: as a loop turn's completions are removed it shrinks and closes
     * connections that the refilled slots then open again. Keep one per slot. */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->n);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    uv_timer_init(loop, &h->timer);
    uv_idle_init(loop, &h->turn);
    h->timer.data = h->turn.data = h;
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
        curl_slist_free_all(h->resolve);
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
     * whole URL string through its printf on every transfer. And as only the
     * query changes between rows (the account), the handle keeps the rest and
     * only the query is set again. */
    const char *q = memchr(t->url.p, '?', t->url.len);
    size_t head = q ? (size_t)(q - t->url.p) : t->url.len;
    CURLUcode uc;
    if (q && t->url_head.len == head && memcmp(t->url_head.p, t->url.p, head) == 0) {
        uc = curl_url_set(t->url_handle, CURLUPART_QUERY, q + 1, 0);
    } else {
        buf_reset(&t->url_head);
        uc = curl_url_set(t->url_handle, CURLUPART_URL, t->url.p, CURLU_NON_SUPPORT_SCHEME);
        if (uc == CURLUE_OK && buf_append(&t->url_head, t->url.p, head) != 0)
            uc = CURLUE_OUT_OF_MEMORY;
    }
    if (uc != CURLUE_OK) {
        buf_reset(&t->url_head);
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

static void free_http(uv_handle_t *handle)
{
    struct http *h = handle->data;
    if (--h->closing == 0)
        free(h);
}

void http_free(struct http *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->n; i++)
        http_abort(h, &h->pool[i]);
    curl_multi_cleanup(h->multi);  /* may still close sockets through on_socket */
    for (unsigned i = 0; i < h->n; i++) {
        struct transfer *t = &h->pool[i];
        curl_easy_cleanup(t->easy);  /* closes any connection it still holds */
        curl_url_cleanup(t->url_handle);
        curl_slist_free_all(t->headers);
        buf_free(&t->url);
        buf_free(&t->url_head);
        buf_free(&t->body);
        buf_free(&t->resp);
    }
    free(h->pool);
    curl_slist_free_all(h->resolve);
    for (size_t fd = 0; fd < h->nsocks; fd++)
        if (h->socks[fd])
            sock_free(h, h->socks[fd]);
    free(h->socks);
    uv_timer_stop(&h->timer);
    uv_idle_stop(&h->turn);
    h->closing = 2;
    uv_close((uv_handle_t *)&h->timer, free_http);
    uv_close((uv_handle_t *)&h->turn, free_http);
}
