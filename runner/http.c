/* http.c: libcurl multi on libuv, in lanes. See http.h.
 *
 * In each lane, every socket libcurl opens gets a uv_poll and libcurl's timeout
 * is one uv_timer. Both callbacks call curl_multi_socket_action and then drain
 * curl_multi_info_read, which is where finished transfers are collected:
 * outside every libcurl callback.
 *
 * Why lanes: the per-request cost is libcurl's (and the kernel's, for its
 * sockets), and one thread spends all of it serially while the other cores
 * idle. The scheduler, the rate limits, the results and the journal of what
 * was sent stay on the caller's one loop; only the transfers are spread.
 *
 * Two things keep a lane's loop turning as it should:
 *  - libcurl asks for a timeout of 0 ("call me at once") every time a transfer
 *    is added. libuv (1.44, as in Debian 12) runs a timer that is re-armed at 0
 *    from its own callback again in the same pass, before any I/O is polled: a
 *    busy loop that reads no other socket. A 0 timeout is therefore served by
 *    an idle handle, which runs once per loop turn and keeps the poll from
 *    blocking.
 *  - Completions are gathered over a loop turn, every ready socket read, and
 *    handed back together from that same idle handle at the start of the next
 *    turn: the caller gets one wake-up, writes the batch's results once and
 *    refills all the slots together. */
#include "clock.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define RESP_CAP (64 * 1024)   /* error bodies beyond this are not needed */
#define READ_CAP (16 * 1024 * 1024)  /* a read's page; one larger is cut off, and so not JSON */
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
    struct lane *lane;
    int ours;                  /* opened by on_open_socket */
    int established;           /* ours, and libcurl has read from it: see above */
    int poll_ready;            /* poll initialised */
    int events;                /* what the poll watches now (UV_*), 0 stopped */
    int wanted;                /* libcurl watches it (not between transfers) */
};

struct tlist {
    struct transfer *head, *tail;
};

struct lane {
    struct http *http;
    unsigned idx;
    uv_thread_t thread;
    int started;               /* the thread runs */
    uv_loop_t loop;
    CURLM *multi;
    uv_timer_t timer;          /* libcurl's timeout, when not 0 */
    uv_idle_t turn;            /* next loop turn: a 0 timeout, then hand back */
    uv_async_t wake;           /* the caller has posted work (or a stop) */
    int want_kick, turn_on;
    struct sock_ctx **socks;   /* by fd */
    size_t nsocks;
    struct tlist done;         /* finished, not yet handed back */
    /* Shared with the caller's thread, under mu. */
    uv_mutex_t mu;
    struct tlist inbox;        /* to start */
    int abort, quit;
};

struct http {
    uv_loop_t *loop;
    uv_async_t back;           /* lanes have handed results back */
    struct transfer *pool;
    unsigned n, busy;
    struct lane *lanes;
    unsigned nlanes;
    unsigned lanes_ready;      /* lane_init done for lanes[0 .. lanes_ready) */
    int mu_ready;              /* mu initialised */
    struct curl_slist *resolve;  /* --resolve, shared by every easy handle */
    void (*on_done)(struct transfer *t, void *ctx);
    void (*on_batch)(void *ctx);
    void *ctx;
    void (*on_abort)(struct transfer *t, void *ctx);
    void *abort_ctx;
    int get;                   /* reads: see http_opts */
    /* Shared with the lanes, under mu. */
    uv_mutex_t mu;
    struct tlist outbox;       /* finished, for on_done */
};

static void tlist_push(struct tlist *l, struct transfer *t)
{
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

static void tlist_join(struct tlist *l, struct tlist *more)
{
    if (!more->head)
        return;
    if (l->tail)
        l->tail->next = more->head;
    else
        l->head = more->head;
    l->tail = more->tail;
    more->head = more->tail = NULL;
}

static void free_sock(uv_handle_t *h) { free(h); }

/* ---- in a lane's thread -------------------------------------------------- */

static void arm_turn(struct lane *l);

static void drain(struct lane *l)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        t->curl_code = (int)msg->data.result;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->http_status);
        t->latency_ms = (unsigned long)((uv_hrtime() - t->started_ns) / 1000000u);
        curl_multi_remove_handle(l->multi, t->easy);
        t->in_multi = 0;
        tlist_push(&l->done, t);
        arm_turn(l);
    }
}

/* The turn's finished transfers go back to the caller in one list, one wake-up. */
static void hand_back(struct lane *l)
{
    struct http *h = l->http;
    if (!l->done.head)
        return;
    uv_mutex_lock(&h->mu);
    tlist_join(&h->outbox, &l->done);
    uv_mutex_unlock(&h->mu);
    uv_async_send(&h->back);
}

static void socket_timeout(struct lane *l)
{
    int running;
    curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(l);
}

static void on_turn(uv_idle_t *idle)
{
    struct lane *l = idle->data;
    if (l->want_kick) {
        l->want_kick = 0;
        socket_timeout(l);  /* sends what was added; may finish some */
    }
    hand_back(l);
    if (!l->want_kick && l->turn_on) {
        l->turn_on = 0;
        uv_idle_stop(&l->turn);
    }
}

static void arm_turn(struct lane *l)
{
    if (!l->turn_on) {
        l->turn_on = 1;
        uv_idle_start(&l->turn, on_turn);
    }
}

static int set_events(struct sock_ctx *sc, int ev);

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock_ctx *sc = (struct sock_ctx *)p;
    struct lane *l = sc->lane;
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
    curl_multi_socket_action(l->multi, sc->fd, flags, &running);
    drain(l);
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

static void sock_free(struct lane *l, struct sock_ctx *sc);

static struct sock_ctx *sock_new(struct lane *l, curl_socket_t fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= l->nsocks) {
        size_t n = l->nsocks ? l->nsocks : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct sock_ctx **p = realloc(l->socks, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + l->nsocks, 0, (n - l->nsocks) * sizeof *p);
        l->socks = p;
        l->nsocks = n;
    }
    /* A context still here belongs to a socket closed behind our back: the fd
     * number is new now, so its registration goes first. */
    if (l->socks[fd])
        sock_free(l, l->socks[fd]);
    struct sock_ctx *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->fd = fd;
    sc->lane = l;
    l->socks[fd] = sc;
    return sc;
}

static void sock_free(struct lane *l, struct sock_ctx *sc)
{
    l->socks[sc->fd] = NULL;
    if (sc->poll_ready) {
        uv_poll_stop(&sc->poll);
        uv_close((uv_handle_t *)&sc->poll, free_sock);
    } else {
        free(sc);
    }
}

static struct sock_ctx *sock_get(struct lane *l, curl_socket_t fd)
{
    return fd >= 0 && (size_t)fd < l->nsocks ? l->socks[fd] : NULL;
}

/* Connections' sockets are opened here so that a stale context left on the same
 * fd number is cleared before the new socket is watched.
 *
 * Each lane has its own table and its own epoll set. A stale context in one
 * lane (a loser closed behind our back, REMOVE not yet seen) can share its fd
 * number with a socket another lane has just opened. Freeing it then touches
 * only this lane's loop, where the new socket is not registered: the kernel
 * dropped the old registration along with the old socket. (A thread sanitizer
 * reports this as a race on the fd number; it is the case described here.) */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct lane *l = ud;
    (void)purpose;
    int type = a->socktype;
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC;
#endif
    curl_socket_t fd = socket(a->family, type, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    struct sock_ctx *sc = sock_new(l, fd);
    if (!sc) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    sc->ours = 1;
    return fd;
}

static int on_close_socket(void *ud, curl_socket_t fd)
{
    struct lane *l = ud;
    struct sock_ctx *sc = sock_get(l, fd);
    if (sc)
        sock_free(l, sc);  /* before the close: libuv must forget the fd first */
    return close(fd);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct lane *l = userp;
    struct sock_ctx *sc = sock_get(l, fd);
    (void)easy;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sc && sc->established)
            sc->wanted = 0;  /* the poll stays: see on_poll */
        else if (sc)
            sock_free(l, sc);  /* it may be closed already: see struct sock_ctx */
        return 0;
    }
    if (!sc && !(sc = sock_new(l, fd)))
        return -1;
    if (!sc->poll_ready) {
        if (uv_poll_init_socket(&l->loop, &sc->poll, fd) != 0) {
            sock_free(l, sc);
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
    struct lane *l = userp;
    (void)multi;
    if (timeout_ms == 0) {
        uv_timer_stop(&l->timer);
        l->want_kick = 1;
        arm_turn(l);
        return 0;
    }
    l->want_kick = 0;
    if (timeout_ms < 0)
        uv_timer_stop(&l->timer);
    else
        uv_timer_start(&l->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(b, "HTTP/", 5) == 0)
        hints_init(&t->hints);  /* a new response (after a 1xx, say) starts afresh */
    else if (hints_may_use(b, len))
        /* No clock here: a time the server states is kept as it is, and read
         * once, below, when every header (its Date too) is in. */
        hints_feed_line(&t->hints, b, len, 0);
    else if (len <= 2 && (len == 0 || b[0] == '\r' || b[0] == '\n')) {
        /* The end of the headers: the server's stated times against its Date.
         * The host's clock is read only when there is something to read it
         * against; most answers state nothing by a clock. */
        const struct rl_hints *h = &t->hints;
        int clocked = h->has_date || h->reset_at_set || h->retry_at_set;
        hints_resolve(&t->hints, clocked ? wall_now() : 0);
    }
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    size_t cap = t->lane->http->get ? READ_CAP : RESP_CAP;
    if ((code >= 300 || t->lane->http->get) && t->resp.len < cap) {
        size_t take = len < cap - t->resp.len ? len : cap - t->resp.len;
        if (buf_append(&t->resp, b, take) != 0)
            return 0;
    }
    return len;
}

/* This lane's transfers: i, i + lanes, i + 2 lanes, ... of the pool. */
#define FOR_LANE_TRANSFERS(l, t)                                                    \
    for (struct transfer *t = (l)->http->pool + (l)->idx;                           \
         t < (l)->http->pool + (l)->http->n; t += (l)->http->nlanes)

/* Takes every transfer in flight out of the multi handle, onto the done list
 * marked aborted. */
static void abort_in_flight(struct lane *l)
{
    FOR_LANE_TRANSFERS(l, t) {
        if (!t->in_multi)
            continue;
        curl_multi_remove_handle(l->multi, t->easy);
        t->in_multi = 0;
        t->aborted = 1;
        tlist_push(&l->done, t);
        arm_turn(l);
    }
}

static void close_lane_handles(struct lane *l)
{
    abort_in_flight(l);  /* the done list is never handed back: the caller is leaving */
    curl_multi_cleanup(l->multi);  /* closes its connections through on_close_socket */
    l->multi = NULL;
    FOR_LANE_TRANSFERS(l, t) {
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
    }
    for (size_t fd = 0; fd < l->nsocks; fd++)
        if (l->socks[fd])
            sock_free(l, l->socks[fd]);
    free(l->socks);
    l->socks = NULL;
    uv_close((uv_handle_t *)&l->timer, NULL);
    uv_close((uv_handle_t *)&l->turn, NULL);
    uv_close((uv_handle_t *)&l->wake, NULL);
}

/* The caller has posted: transfers to start, an abort, or the end. */
static void on_wake(uv_async_t *a)
{
    struct lane *l = a->data;
    uv_mutex_lock(&l->mu);
    struct tlist in = l->inbox;
    int abort = l->abort, quit = l->quit;
    l->inbox.head = l->inbox.tail = NULL;
    l->abort = 0;
    uv_mutex_unlock(&l->mu);
    if (quit) {
        close_lane_handles(l);  /* the loop ends once they are closed */
        return;
    }
    for (struct transfer *t = in.head, *next; t; t = next) {
        next = t->next;
        if (curl_multi_add_handle(l->multi, t->easy) == CURLM_OK) {
            t->in_multi = 1;
        } else {
            /* Nothing was sent: the row fails with the code on record. */
            t->curl_code = CURLE_FAILED_INIT;
            snprintf(t->curl_error, sizeof t->curl_error, "cannot start the request");
            tlist_push(&l->done, t);
            arm_turn(l);
        }
    }
    if (abort)
        abort_in_flight(l);
}

static void lane_run(void *arg)
{
    struct lane *l = arg;
    uv_run(&l->loop, UV_RUN_DEFAULT);
}

/* ---- on the caller's loop ------------------------------------------------- */

/* Results handed back by the lanes: each to on_done (or the abort callback),
 * then one on_batch. */
static void on_back(uv_async_t *a)
{
    struct http *h = a->data;
    uv_mutex_lock(&h->mu);
    struct tlist got = h->outbox;
    h->outbox.head = h->outbox.tail = NULL;
    uv_mutex_unlock(&h->mu);
    if (!got.head)
        return;
    for (struct transfer *t = got.head, *next; t; t = next) {
        next = t->next;  /* on_done may start t again */
        t->busy = 0;
        h->busy--;
        if (t->aborted && h->on_abort)
            h->on_abort(t, h->abort_ctx);
        else
            h->on_done(t, h->ctx);
    }
    if (h->on_batch)
        h->on_batch(h->ctx);
}

static int setup_transfer(struct http *h, struct transfer *t, const struct http_opts *o,
                          const char *auth, const char *ua)
{
    static const char zero_key[] = IDEM_PREFIX
        "0000000000000000000000000000000000000000000000000000000000000000";
    t->easy = curl_easy_init();
    t->url_handle = curl_url();
    if (!t->easy || !t->url_handle)
        return -1;
    /* No "Expect:" to suppress: libcurl only asks for 100-continue on large
     * bodies, and every extra header is compared on every request. */
    /* User-Agent is one of these fixed lines, not CURLOPT_USERAGENT, which
     * libcurl re-formats with its own (slow) printf on every request. */
    const char *fixed[] = {auth, ua, "Accept: application/json", "Content-Type: application/json",
                           zero_key};
    /* A read carries neither a body nor a key. */
    size_t nfixed = h->get ? 3 : sizeof fixed / sizeof fixed[0];
    for (size_t i = 0; i < nfixed; i++) {
        struct curl_slist *l = curl_slist_append(t->headers, fixed[i]);
        if (!l)
            return -1;
        t->headers = l;
    }
    /* The key's line is the last; its text is rewritten in place per request. */
    for (t->idem_node = t->headers; !h->get && t->idem_node->next;)
        t->idem_node = t->idem_node->next;
    if (h->get)
        t->idem_node = NULL;

    long timeout_ms = (long)(o->timeout_s * 1000.0);
    CURL *e = t->easy;
    struct lane *l = t->lane;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, h->get ? CURLOPT_HTTPGET : CURLOPT_POST, 1L) != CURLE_OK;
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
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, l) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, l) != CURLE_OK;
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

/* A lane's loop, multi handle and handles; its thread is started later.
 * Returns 0, or -1 with err set (what is missing; it undoes what it did). */
static int lane_init(struct http *h, struct lane *l, unsigned idx, char *err, size_t errlen)
{
    int loop_ready = 0, mu_ready = 0, e;
    l->http = h;
    l->idx = idx;
    if ((e = uv_loop_init(&l->loop)) != 0) {
        /* EMFILE, typically: a loop needs descriptors of its own */
        snprintf(err, errlen, "cannot start an event loop for its threads: %s", uv_strerror(e));
        goto fail;
    }
    loop_ready = 1;
    if ((e = uv_mutex_init(&l->mu)) != 0) {
        snprintf(err, errlen, "cannot make a lock: %s", uv_strerror(e));
        goto fail;
    }
    mu_ready = 1;
    if (!(l->multi = curl_multi_init())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    unsigned share = (h->n - idx + h->nlanes - 1) / h->nlanes;
    /* libcurl's default cache holds 4 connections per transfer *currently
     * added*: as a loop turn's completions are removed it shrinks and closes
     * connections that the refilled slots then open again. Keep one per slot. */
    curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)share);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    uv_timer_init(&l->loop, &l->timer);
    uv_idle_init(&l->loop, &l->turn);
    uv_async_init(&l->loop, &l->wake, on_wake);
    l->timer.data = l->turn.data = l->wake.data = l;
    return 0;
fail:
    if (mu_ready)
        uv_mutex_destroy(&l->mu);
    if (loop_ready)
        uv_loop_close(&l->loop);
    return -1;
}

/* Stops a lane's thread (or, if it never started, does its closing here) and
 * frees what the lane holds. */
static void lane_end(struct lane *l)
{
    if (l->started) {
        uv_mutex_lock(&l->mu);
        l->quit = 1;
        uv_mutex_unlock(&l->mu);
        uv_async_send(&l->wake);
        uv_thread_join(&l->thread);
    } else {
        close_lane_handles(l);
        uv_run(&l->loop, UV_RUN_DEFAULT);
    }
    if (uv_loop_close(&l->loop) != 0)
        log_warn("an HTTP lane's event loop closed with handles still open");
    uv_mutex_destroy(&l->mu);
}

static void free_http(uv_handle_t *handle)
{
    struct http *h = handle->data;
    free(h);
}

/* Frees whatever h holds (it may be half made: see http_new) but the
 * caller-loop handle (h->back), which the caller closes once it is made. */
static void http_release(struct http *h)
{
    for (unsigned i = 0; i < h->lanes_ready; i++)
        lane_end(&h->lanes[i]);
    for (unsigned i = 0; h->pool && i < h->n; i++) {
        struct transfer *t = &h->pool[i];  /* its easy handle went with its lane */
        curl_url_cleanup(t->url_handle);
        curl_slist_free_all(t->headers);
        buf_free(&t->url);
        buf_free(&t->url_head);
        buf_free(&t->body);
        buf_free(&t->resp);
    }
    free(h->pool);
    free(h->lanes);
    curl_slist_free_all(h->resolve);
    if (h->mu_ready)
        uv_mutex_destroy(&h->mu);
}

/* One way out on failure: fail frees whatever was made so far, which h's
 * zeroed fields and readiness flags tell. */
struct http *http_new(uv_loop_t *loop, const struct http_opts *o, char *err, size_t errlen)
{
    char why[300] = "out of memory";
    size_t alen = strlen(o->token) + 32;
    char *auth = NULL;
    struct http *h = calloc(1, sizeof *h);
    if (!h || uv_mutex_init(&h->mu) != 0)
        goto fail;
    h->mu_ready = 1;
    h->loop = loop;
    h->on_done = o->on_done;
    h->on_batch = o->on_batch;
    h->ctx = o->ctx;
    h->get = o->get;
    h->n = o->pool;
    h->nlanes = o->lanes < 1 ? 1 : o->lanes > o->pool ? o->pool : o->lanes;
    h->pool = calloc(o->pool, sizeof *h->pool);
    h->lanes = calloc(h->nlanes, sizeof *h->lanes);
    auth = malloc(alen);
    if (!h->pool || !h->lanes || !auth)
        goto fail;
    snprintf(auth, alen, "Authorization: Bearer %s", o->token);
    char ua[128];
    snprintf(ua, sizeof ua, "User-Agent: %s", o->user_agent);
    for (size_t i = 0; i < o->nresolve; i++) {
        struct curl_slist *l = curl_slist_append(h->resolve, o->resolve[i]);
        if (!l)
            goto fail;
        h->resolve = l;
    }
    for (; h->lanes_ready < h->nlanes; h->lanes_ready++)
        if (lane_init(h, &h->lanes[h->lanes_ready], h->lanes_ready, why, sizeof why) != 0)
            goto fail;
    for (unsigned i = 0; i < h->n; i++) {
        h->pool[i].lane = &h->lanes[i % h->nlanes];
        if (setup_transfer(h, &h->pool[i], o, auth, ua) != 0)
            goto fail;  /* why: still "out of memory" */
    }
    memset(auth, 0, alen);  /* the lists hold their own copies */
    free(auth);
    auth = NULL;
    for (unsigned i = 0; i < h->nlanes; i++) {
        struct lane *l = &h->lanes[i];
        if (uv_thread_create(&l->thread, lane_run, l) != 0) {
            snprintf(why, sizeof why, "cannot start a thread");
            goto fail;
        }
        l->started = 1;
    }
    uv_async_init(loop, &h->back, on_back);
    h->back.data = h;
    return h;
fail:
    snprintf(err, errlen, "cannot set up HTTP: %s", why);
    if (auth) {
        memset(auth, 0, alen);  /* it holds the token */
        free(auth);
    }
    if (h)
        http_release(h);
    free(h);
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
    t->aborted = 0;
    buf_reset(&t->resp);
    hints_init(&t->hints);
    if (t->idem_node)
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
        (!h->get &&
         (curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)t->body.len) != CURLE_OK ||
          curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body.p) != CURLE_OK)))
        return -1;
    t->started_ns = uv_hrtime();
    t->busy = 1;
    h->busy++;
    struct lane *l = t->lane;
    uv_mutex_lock(&l->mu);
    tlist_push(&l->inbox, t);
    uv_mutex_unlock(&l->mu);
    uv_async_send(&l->wake);  /* one wake-up however many are posted before it runs */
    return 0;
}

void http_abort_all(struct http *h, void (*cb)(struct transfer *t, void *ctx), void *ctx)
{
    h->on_abort = cb;
    h->abort_ctx = ctx;
    for (unsigned i = 0; i < h->nlanes; i++) {
        struct lane *l = &h->lanes[i];
        uv_mutex_lock(&l->mu);
        l->abort = 1;
        uv_mutex_unlock(&l->mu);
        uv_async_send(&l->wake);
    }
}

unsigned http_busy(const struct http *h) { return h->busy; }

void http_free(struct http *h)
{
    if (!h)
        return;
    http_release(h);
    uv_close((uv_handle_t *)&h->back, free_http);
}
