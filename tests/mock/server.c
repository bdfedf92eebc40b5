/* server.c: see server.h. One struct req per HTTP request carries what the
 * checks need across the handler's calls (headers, body chunks, the final
 * call, and a second final call after a slow-MS or --latency suspension).
 *
 * A request is answered once. libmicrohttpd makes the final call again
 * whenever no response is queued, and while the daemon is stopping
 * MHD_queue_response reports success yet drops the response; so after the
 * answer (or the drop) further calls only close the connection, and
 * server_stop lets the delayed requests it resumes finish before it stops
 * the daemon, which is what lets them really be answered. */
#include "server.h"
#include "faults.h"
#include "latency.h"
#include "mclock.h"
#include "replies.h"
#include "timer.h"
#include "util.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bodies are a few hundred bytes; anything past this is refused, not buffered. */
#define MAX_BODY (1u << 20)
/* Benchmarks open many keep-alive connections; the library default is ~1000. */
#define CONNECTION_LIMIT 16384u
/* Idle keep-alive connections are closed after this, so none leak forever. */
#define IDLE_TIMEOUT_S 300u
#define LISTEN_BACKLOG 4096u
/* How long server_stop waits for resumed delayed answers to go out. They are
 * a few hundred bytes and go straight into the socket buffer, so this only
 * bounds the wait should something unforeseen keep one from completing. */
#define DRAIN_TIMEOUT_NS (5ull * 1000000000u)

struct mock_server {
    struct MHD_Daemon *daemon;
    struct mock_state *state;
    struct journal *journal;
    struct resume_timer *timer;
    char *expected_auth;   /* "Bearer <token>", compared whole */
    int rate_headers;
    enum rate_style rate_style;
    pthread_mutex_t lock;
    pthread_cond_t drained;   /* on CLOCK_MONOTONIC, like mclock; signalled at delayed == 0 */
    unsigned delayed;         /* requests suspended (slow-MS, --latency), not yet completed */
    struct latency latency;
    long retry_after_always;  /* --retry-after-always; -1: off */
    int retry_after_date;     /* --retry-after-date */
    char *tls_cert, *tls_key; /* PEM text for HTTPS, or NULL */
    size_t page_max;          /* --page-max */
    int user_groups;          /* user objects carry "groups" (not --no-user-groups) */
    int groups_user_filter;   /* groups?user_id= is supported (not --no-groups-user-filter) */
};

/* The POSTs, then the directory reads (GET). */
enum route {
    ROUTE_NONE, ROUTE_REMOVE, ROUTE_ADD,
    ROUTE_USERS,   /* GET .../users: a group's members, or every user */
    ROUTE_USER,    /* GET .../users/{id} */
    ROUTE_GROUPS,  /* GET .../groups: every group, or a user's */
};

#define USERS_PATH "/unified/user-directory/users"
#define DEFAULT_LIMIT 20u

struct reply {
    int status;
    const char *body;
    size_t len;
    int owned;          /* body is malloc'd; MHD frees it with the response */
    unsigned long retry_after;  /* seconds; 0: none of its own */
    int no_retry_after; /* not even --retry-after-always's */
    int rate_headers;   /* send the rate-limit headers from req.rl */
    const char *allow;  /* 405: the Allow header's value */
    int cacheable;      /* store under the request's Idempotency-Key */
    int replay;
};

struct req {
    int started;                /* the access handler has seen it (req_start) */
    char *query;                /* raw query string without the '?', "" if none */
    char *raw_path;             /* the request target before the '?', as received, or NULL */
    uint64_t t_ns;              /* when the headers arrived */
    char *method, *path;
    char *account;              /* decoded integrated_account_id, or NULL */
    char *idem_key;             /* NULL when absent or empty */
    char *user_agent;
    int auth_ok;
    enum route route;
    struct sbuf body;
    int too_big;
    char *group_id, *user_id;   /* string members of the body (reads: query or path), else NULL */
    char *limit, *cursor;       /* reads: the limit and next_cursor query values, else NULL */
    char *remote_data;          /* the body's remote_data, compact JSON, else NULL */
    const char *problem;        /* why the body is refused (step 6), or NULL */
    char *pair;                 /* state_pair_key, once the body is valid */
    size_t pair_len;
    struct rl_report rl;        /* account limit, or the limit that refused */
    int admitted;               /* counts as in progress for its account (state_release) */
    unsigned inflight;          /* the account's requests in progress at admission */
    int suspended;              /* waiting out a delay; the next final call answers */
    int delayed;                /* counted in mock_server.delayed until completed */
    int waited;                 /* has had its delay (slow-MS or --latency) */
    int has_pending;            /* pending is the answer, sent once the delay is over */
    struct reply pending;
    int journaled;              /* answered (or dropped): nothing more to do */
};

/* ---- per-request context ---- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A path segment with %XX decoded (malformed escapes and %00 stay as they
 * are; '+' is a plus in a path). */
static char *pct_decode(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    while (*s) {
        int hi, lo;
        if (s[0] == '%' && (hi = hex_digit(s[1])) >= 0 && (lo = hex_digit(s[2])) >= 0 &&
            (hi || lo)) {
            *o++ = (char)(hi << 4 | lo);
            s += 3;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static int is_read(enum route r)
{
    return r == ROUTE_USERS || r == ROUTE_USER || r == ROUTE_GROUPS;
}

/* The route of a path; for .../users/{id}, *user gets the decoded id, taken
 * from the request target as received (raw, may be NULL) so that an id with
 * an encoded '/' stays one segment. */
static enum route route_of(const char *path, const char *raw, char **user)
{
    if (!strcmp(path, "/unified/user-directory/groups/remove") ||
        !strcmp(path, "/unified/user-directory/groups/remove-user"))
        return ROUTE_REMOVE;
    if (!strcmp(path, "/unified/user-directory/groups/add"))
        return ROUTE_ADD;
    if (!strcmp(path, USERS_PATH))
        return ROUTE_USERS;
    if (!strcmp(path, "/unified/user-directory/groups"))
        return ROUTE_GROUPS;
    const size_t plen = strlen(USERS_PATH "/");
    const char *seg = NULL;
    if (raw && !strncmp(raw, USERS_PATH "/", plen))
        seg = raw + plen;
    else if (!strncmp(path, USERS_PATH "/", plen))
        seg = path + plen;
    if (!seg || !*seg || strchr(seg, '/'))
        return ROUTE_NONE;
    *user = pct_decode(seg);
    return ROUTE_USER;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Made by the URI log callback, which alone sees the request target as
 * received: the access handler's url has lost the query. */
static struct req *req_new(const char *uri)
{
    struct req *rq = xmalloc(sizeof *rq);
    memset(rq, 0, sizeof *rq);
    const char *q = uri ? strchr(uri, '?') : NULL;
    rq->query = xstrdup(q ? q + 1 : "");
    if (uri) {
        size_t n = q ? (size_t)(q - uri) : strlen(uri);
        rq->raw_path = xmalloc(n + 1);
        memcpy(rq->raw_path, uri, n);
        rq->raw_path[n] = '\0';
    }
    return rq;
}

/* All headers and the query are there on the first call; only the body is not. */
static void req_start(const struct mock_server *s, struct MHD_Connection *c, struct req *rq,
                      const char *url, const char *method)
{
    rq->started = 1;
    rq->t_ns = mclock_ns();
    rq->method = xstrdup(method);
    rq->path = xstrdup(url);
    rq->route = route_of(url, rq->raw_path, &rq->user_id);
    rq->account = xstrdup_opt(
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "integrated_account_id"));
    const char *key = header(c, "Idempotency-Key");
    /* Reads are never cached, and journal no key. */
    rq->idem_key = key && *key && !is_read(rq->route) ? xstrdup(key) : NULL;
    if (rq->route == ROUTE_USERS)
        rq->group_id = xstrdup_opt(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "group_id"));
    if (rq->route == ROUTE_GROUPS)
        rq->user_id = xstrdup_opt(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "user_id"));
    if (rq->route == ROUTE_USERS || rq->route == ROUTE_GROUPS) {
        rq->limit = xstrdup_opt(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"));
        rq->cursor =
            xstrdup_opt(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "next_cursor"));
    }
    rq->user_agent = xstrdup_opt(header(c, MHD_HTTP_HEADER_USER_AGENT));
    const char *auth = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    rq->auth_ok = auth && strcmp(auth, s->expected_auth) == 0;
}

static void req_free(struct req *rq)
{
    free(rq->query);
    free(rq->raw_path);
    free(rq->limit);
    free(rq->cursor);
    free(rq->remote_data);
    free(rq->method);
    free(rq->path);
    free(rq->account);
    free(rq->idem_key);
    free(rq->user_agent);
    sbuf_free(&rq->body);
    if (rq->has_pending && rq->pending.owned)
        free((void *)rq->pending.body);
    free(rq->group_id);
    free(rq->user_id);
    free(rq->pair);
    free(rq);
}

static void take_body(struct req *rq, const char *data, size_t n)
{
    if (rq->too_big || rq->body.len + n > MAX_BODY) {
        rq->too_big = 1;
        return;
    }
    sbuf_add(&rq->body, data, n);
}

static char *string_member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

/* A JSON text with nothing but whitespace after it, or NULL. */
static cJSON *parse_json(const struct sbuf *b)
{
    if (!b->len)
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(b->p, b->len, &end, 0);
    if (!root)
        return NULL;
    while (end && end < b->p + b->len && *end && strchr(" \t\r\n", *end))
        end++;
    if (end && end < b->p + b->len) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static const char *body_problem(const struct req *rq, const cJSON *root)
{
    if (rq->too_big)
        return "Request body too large";
    if (!root)
        return "Request body must be valid JSON";
    if (!cJSON_IsObject(root))
        return "Request body must be a JSON object";
    if (!rq->group_id || !*rq->group_id)
        return "group_id is required and must be a non-empty string";
    if (!rq->user_id || !*rq->user_id)
        return "user_id is required and must be a non-empty string";
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(root, "remote_data");
    if (rd && !cJSON_IsObject(rd))
        return "remote_data must be an object";
    return NULL;
}

/* Parses the body once, for the journal (ids) and for step 6 (problem). */
static void read_body(struct req *rq)
{
    cJSON *root = rq->too_big ? NULL : parse_json(&rq->body);
    if (cJSON_IsObject(root)) {
        rq->group_id = string_member(root, "group_id");
        rq->user_id = string_member(root, "user_id");
        const cJSON *rd = cJSON_GetObjectItemCaseSensitive(root, "remote_data");
        rq->remote_data = rd ? cJSON_PrintUnformatted(rd) : NULL;
    }
    rq->problem = body_problem(rq, root);
    cJSON_Delete(root);
}

/* ---- answering ---- */

/* The request is over: answered, dropped or abandoned. It stops counting as
 * in progress and gets its journal line. */
static void finish_req(struct mock_server *s, struct req *rq, int status, int replay)
{
    if (rq->admitted) {
        state_release(s->state, rq->account);
        rq->admitted = 0;
    }
    struct journal_entry e = {
        rq->t_ns, rq->method, rq->path, rq->account, rq->group_id, rq->user_id,
        rq->idem_key, status, replay, rq->user_agent, rq->auth_ok, rq->query,
        rq->remote_data, rq->inflight,
    };
    journal_record(s->journal, &e);
    rq->journaled = 1;
}

/* Whole seconds until end, rounded up, at least 1. */
static unsigned long secs_until(uint64_t end_ns, uint64_t now_ns)
{
    if (end_ns <= now_ns)
        return 1;
    uint64_t s = (end_ns - now_ns + 999999999u) / 1000000000u;
    return s ? (unsigned long)s : 1;
}

/* The wall-clock second (Unix time) in which mclock's at_ns falls, rounded up:
 * Okta's resets are instants, not delays. */
static unsigned long long epoch_secs_at(uint64_t at_ns, uint64_t now_ns)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t ns = (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec;
    if (at_ns > now_ns)
        ns += at_ns - now_ns;
    return (unsigned long long)((ns + 999999999u) / 1000000000u);
}

/* DUR in seconds as a structured-field number: "10", or "0.5" for 500ms
 * (DUR is whole milliseconds, and a decimal carries three places). */
static void format_window(char *buf, size_t n, uint64_t ms)
{
    if (ms % 1000 == 0) {
        snprintf(buf, n, "%llu", (unsigned long long)(ms / 1000));
        return;
    }
    snprintf(buf, n, "%llu.%03u", (unsigned long long)(ms / 1000), (unsigned)(ms % 1000));
    char *end = buf + strlen(buf);
    while (end[-1] == '0')
        *--end = '\0';
}

static void add_number_header(struct MHD_Response *resp, const char *name, unsigned long long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", v);
    MHD_add_response_header(resp, name, buf);
}

static void add_rate_headers(const struct mock_server *s, const struct rl_report *rl,
                             struct MHD_Response *resp)
{
    uint64_t now = mclock_ns();
    char buf[128], window[32];
    switch (s->rate_style) {
    case RATE_TRUTO:
        add_number_header(resp, "ratelimit-limit", rl->limit);
        add_number_header(resp, "ratelimit-remaining", rl->remaining);
        add_number_header(resp, "ratelimit-reset", secs_until(rl->reset_ns, now));
        break;
    case RATE_OKTA:
        add_number_header(resp, "x-rate-limit-limit", rl->limit);
        add_number_header(resp, "x-rate-limit-remaining", rl->remaining);
        add_number_header(resp, "x-rate-limit-reset", epoch_secs_at(rl->reset_ns, now));
        break;
    case RATE_IETF:
        snprintf(buf, sizeof buf, "\"default\";r=%u;t=%lu", rl->remaining,
                 secs_until(rl->reset_ns, now));
        MHD_add_response_header(resp, "RateLimit", buf);
        format_window(window, sizeof window, rl->window_ms);
        snprintf(buf, sizeof buf, "\"default\";q=%u;w=%s", rl->limit, window);
        MHD_add_response_header(resp, "RateLimit-Policy", buf);
        break;
    }
}

static void add_headers(const struct mock_server *s, const struct req *rq,
                        const struct reply *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (r->retry_after && s->retry_after_date) {
        /* The same wait as a date by this host's wall clock, rounded up a
         * second more so that it is never earlier than the delay. */
        time_t when = time(NULL) + (time_t)r->retry_after + 1;
        struct tm tm;
        char date[64];
        gmtime_r(&when, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, date);
    } else if (r->retry_after) {
        add_number_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
    }
    else if (s->retry_after_always >= 0 && !r->no_retry_after)
        add_number_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
                          (unsigned long long)s->retry_after_always);
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->rate_headers && s->rate_headers && rq->rl.present)
        add_rate_headers(s, &rq->rl, resp);
}

/* Suspends the connection for delay_ns; the timer resumes it, and the next
 * final call carries on (answer_membership, or the pending answer). */
static void suspend_for(struct mock_server *s, struct MHD_Connection *c, struct req *rq,
                        uint64_t delay_ns)
{
    /* Counted before the timer can see it, so server_stop never misses it. */
    pthread_mutex_lock(&s->lock);
    s->delayed++;
    pthread_mutex_unlock(&s->lock);
    rq->delayed = rq->waited = 1;
    /* Suspend first: the timer may resume us as soon as it has the entry. */
    MHD_suspend_connection(c);
    rq->suspended = 1;
    timer_add(s->timer, c, mclock_ns() + delay_ns);
}

/* Sends and journals. Takes ownership of an owned body. */
static enum MHD_Result deliver(struct mock_server *s, struct MHD_Connection *c,
                               struct req *rq, const struct reply *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->len, (void *)r->body, r->owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_NO;
    if (resp) {
        add_headers(s, rq, r, resp);
        ret = MHD_queue_response(c, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
    } else if (r->owned) {
        free((void *)r->body);
    }
    /* A stopping daemon says yes but queues nothing; then nothing is sent. */
    int queued = ret == MHD_YES &&
                 MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS) != NULL;
    finish_req(s, rq, queued ? r->status : 0, r->replay);
    return ret;
}

/* Caches (when asked), then sends now, or after a --latency draw for an
 * admitted request that has not had a delay yet. Takes ownership of an owned
 * body. The state has changed already; only the answer waits. */
static enum MHD_Result send_reply(struct mock_server *s, struct MHD_Connection *c,
                                  struct req *rq, const struct reply *r)
{
    if (r->cacheable && rq->idem_key)
        state_idem_put(s->state, rq->idem_key, r->status, r->body, r->len);
    if (rq->admitted && !rq->waited) {
        uint64_t delay = latency_draw_ns(&s->latency);
        if (delay) {
            rq->pending = *r;
            rq->has_pending = 1;
            suspend_for(s, c, rq, delay);
            return MHD_YES;
        }
    }
    return deliver(s, c, rq, r);
}

static struct reply fixed_reply(int status, const char *body)
{
    struct reply r = {0};
    r.status = status;
    r.body = body;
    r.len = strlen(body);
    return r;
}

static struct reply error_reply(int status, const char *message)
{
    struct reply r = {0};
    r.status = status;
    r.body = reply_error(status, message, &r.len);
    r.owned = 1;
    return r;
}

/* Statuses a client retries are never cached: the retry must reach us again. */
static int cacheable_status(int status)
{
    return !(status >= 500 || status == 408 || status == 425 || status == 429);
}

static struct reply injected_reply(int status)
{
    struct reply r = error_reply(status, "Injected fault");
    r.retry_after = status == 429 || status == 503;
    r.cacheable = cacheable_status(status);
    return r;
}

/* ---- the checks, in Truto's order ---- */

/* Step 8: membership. */
static enum MHD_Result answer_membership(struct mock_server *s, struct MHD_Connection *c,
                                         struct req *rq)
{
    struct reply r;
    if (rq->route == ROUTE_REMOVE && state_unremovable(s->state, rq->group_id)) {
        r = fixed_reply(403, BODY_UNREMOVABLE);
        r.cacheable = 1;
        return send_reply(s, c, rq, &r);
    }
    if (rq->route == ROUTE_ADD) {
        state_add(s->state, rq->pair, rq->pair_len, rq->account, rq->group_id, rq->user_id);
    } else if (!state_remove(s->state, rq->pair, rq->pair_len, rq->group_id, rq->user_id)) {
        r = fixed_reply(404, BODY_NOT_MEMBER);
        r.cacheable = r.rate_headers = 1;
        return send_reply(s, c, rq, &r);
    }
    r = (struct reply){0};
    r.status = 200;
    r.body = reply_group(rq->group_id, &r.len);
    r.owned = r.cacheable = r.rate_headers = 1;
    return send_reply(s, c, rq, &r);
}

/* Step 7: fault injection by the user_id's prefix. */
static enum MHD_Result answer_faults(struct mock_server *s, struct MHD_Connection *c,
                                     struct req *rq)
{
    struct fault f = fault_parse(rq->user_id);
    struct reply r;
    switch (f.kind) {
    case FAULT_STATUS:
        r = injected_reply(f.status);
        return send_reply(s, c, rq, &r);
    case FAULT_FLAKY:
        if (state_fault_hit(s->state, rq->pair, rq->pair_len) < f.count) {
            r = injected_reply(f.status);
            return send_reply(s, c, rq, &r);
        }
        break;
    case FAULT_DROP:
        if (state_fault_hit(s->state, rq->pair, rq->pair_len) < f.count) {
            finish_req(s, rq, 0, 0);
            return MHD_NO; /* MHD closes the connection without a response */
        }
        break;
    case FAULT_SLOW:
        /* Its own delay, instead of a --latency draw. */
        suspend_for(s, c, rq, (uint64_t)f.delay_ms * 1000000u);
        return MHD_YES;
    case FAULT_NONE:
        break;
    }
    return answer_membership(s, c, rq);
}

/* Steps 5 and 6: account state, then the body. */
static enum MHD_Result answer_checked(struct mock_server *s, struct MHD_Connection *c,
                                      struct req *rq)
{
    struct reply r;
    if (state_blocked(s->state, rq->account))
        r = fixed_reply(503, BODY_BLOCKED);
    else if (state_needs_reauth(s->state, rq->account))
        r = fixed_reply(401, BODY_REAUTH);
    else if (rq->problem)
        r = error_reply(400, rq->problem);
    else {
        rq->pair = state_pair_key(rq->account, rq->group_id, rq->user_id, &rq->pair_len);
        return answer_faults(s, c, rq);
    }
    r.cacheable = 1;
    return send_reply(s, c, rq, &r);
}

/* limit=: absent means DEFAULT_LIMIT; otherwise digits only, at least 1,
 * capped at --page-max. Returns 0, or -1 when it is not a positive integer. */
static int parse_limit(const char *s, size_t max, size_t *out)
{
    if (!s) {
        *out = DEFAULT_LIMIT < max ? DEFAULT_LIMIT : max;
        return 0;
    }
    if (!*s)
        return -1;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v <= max)
            v = v * 10 + (size_t)(*s - '0');
    }
    if (v == 0)
        return -1;
    *out = v < max ? v : max;
    return 0;
}

/* The reads, after the account checks: query, then the directory. */
static enum MHD_Result answer_read(struct mock_server *s, struct MHD_Connection *c,
                                   struct req *rq)
{
    struct reply r = {0};
    struct dir_ids ids = {0};
    const struct directory *d = &s->state->dir;
    enum read_result res;
    if (rq->route == ROUTE_USER) {
        uint32_t rank = 0;
        res = state_read_user(s->state, rq->account, rq->user_id, &rank,
                              s->user_groups ? &ids : NULL);
        if (res == READ_OK) {
            r.body = reply_user(d, rank, s->user_groups ? &ids : NULL, &r.len);
            r.owned = 1;
        }
    } else {
        size_t limit;
        const char *filter = rq->route == ROUTE_USERS ? rq->group_id : rq->user_id;
        int filtered = filter && *filter;
        if (parse_limit(rq->limit, s->page_max, &limit)) {
            r = fixed_reply(400, BODY_BAD_LIMIT);
            return send_reply(s, c, rq, &r);
        }
        if (rq->route == ROUTE_GROUPS && filtered && !s->groups_user_filter) {
            r = fixed_reply(400, BODY_NO_USER_FILTER);
            return send_reply(s, c, rq, &r);
        }
        enum dir_list kind = rq->route == ROUTE_USERS
                                 ? (filtered ? DIR_GROUP_MEMBERS : DIR_ACCOUNT_USERS)
                                 : (filtered ? DIR_USER_GROUPS : DIR_ACCOUNT_GROUPS);
        char next[DIR_CURSOR_LEN + 1];
        res = state_read_page(s->state, kind, rq->account, filtered ? filter : "", rq->cursor,
                              limit, &ids, next);
        if (res == READ_OK) {
            r.body = rq->route == ROUTE_USERS
                         ? reply_user_list(d, ids.v, ids.n, next, &r.len)
                         : reply_group_list(d, &s->state->unremovable, ids.v, ids.n, next,
                                            &r.len);
            r.owned = 1;
        }
    }
    dir_ids_free(&ids);
    if (res == READ_BAD_CURSOR) {
        r = fixed_reply(400, BODY_BAD_CURSOR);
        return send_reply(s, c, rq, &r);
    }
    if (res == READ_UNKNOWN)
        r = fixed_reply(404, BODY_NOT_MEMBER);
    else
        r.status = 200;
    r.rate_headers = 1;
    return send_reply(s, c, rq, &r);
}

/* Steps 3 and 4: rate limits and concurrency, then the idempotency cache. */
static enum MHD_Result answer_admitted(struct mock_server *s, struct MHD_Connection *c,
                                       struct req *rq)
{
    uint64_t now = mclock_ns();
    struct reply r;
    switch (state_admit(s->state, rq->account, now, &rq->rl, &rq->inflight)) {
    case ADMIT_LIMITED:
        r = fixed_reply(429, BODY_RATE_LIMITED);
        r.retry_after = secs_until(rq->rl.retry_ns, now);
        r.rate_headers = 1;
        return send_reply(s, c, rq, &r);
    case ADMIT_BUSY:
        /* Like Okta's concurrency limit: no Retry-After, no rate headers. */
        r = fixed_reply(429, BODY_TOO_CONCURRENT);
        r.no_retry_after = 1;
        return send_reply(s, c, rq, &r);
    case ADMIT_OK:
        break;
    }
    rq->admitted = 1;
    if (is_read(rq->route)) {
        /* No replay for reads; then the account's state, as for a POST. */
        if (state_blocked(s->state, rq->account))
            r = fixed_reply(503, BODY_BLOCKED);
        else if (state_needs_reauth(s->state, rq->account))
            r = fixed_reply(401, BODY_REAUTH);
        else
            return answer_read(s, c, rq);
        return send_reply(s, c, rq, &r);
    }
    const struct cached_reply *cached = rq->idem_key ? state_idem_get(s->state, rq->idem_key) : NULL;
    if (cached) {
        /* Cached bodies live until the state is freed, after the daemon stops. */
        r = (struct reply){0};
        r.status = cached->status;
        r.body = cached->body;
        r.len = cached->len;
        r.replay = 1;
        r.rate_headers = (r.status >= 200 && r.status < 300) || r.status == 404;
        return send_reply(s, c, rq, &r);
    }
    return answer_checked(s, c, rq);
}

/* Steps 1 and 2, after routing: token, method, account. */
static enum MHD_Result answer(struct mock_server *s, struct MHD_Connection *c, struct req *rq)
{
    struct reply r;
    int read = is_read(rq->route);
    const char *method = read ? MHD_HTTP_METHOD_GET : MHD_HTTP_METHOD_POST;
    if (!read)
        read_body(rq); /* a read's ids come from its query or path */
    if (!rq->auth_ok)
        r = fixed_reply(401, BODY_BAD_TOKEN);
    else if (rq->route == ROUTE_NONE)
        r = fixed_reply(404, BODY_NO_ROUTE);
    else if (strcmp(rq->method, method) != 0) {
        r = fixed_reply(405, BODY_NO_METHOD);
        r.allow = method;
    } else if (!rq->account || !*rq->account)
        r = error_reply(400, "integrated_account_id is required");
    else
        return answer_admitted(s, c, rq);
    return send_reply(s, c, rq, &r);
}

/* ---- libmicrohttpd callbacks ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct mock_server *s = cls;
    struct req *rq = *con_cls;
    (void)version;
    if (!rq) {
        /* Not expected: the URI log callback makes every request's context. */
        rq = req_new(NULL);
        *con_cls = rq;
    }
    if (!rq->started) {
        req_start(s, c, rq, url, method);
        return MHD_YES;
    }
    if (rq->journaled) {
        /* Called again after our answer: the daemon is stopping and dropped
         * it. Running the checks again would answer (and journal) twice. */
        return MHD_NO;
    }
    if (*upload_size) {
        take_body(rq, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->suspended) {
        rq->suspended = 0;
        if (rq->has_pending) {
            /* Back from a --latency wait: the answer is ready. */
            struct reply r = rq->pending;
            rq->has_pending = 0;
            return deliver(s, c, rq, &r);
        }
        /* Back from a slow-MS wait: steps 1-7 are done. */
        return answer_membership(s, c, rq);
    }
    return answer(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct mock_server *s = cls;
    struct req *rq = *con_cls;
    (void)c;
    (void)toe;
    if (!rq)
        return;
    if (!rq->started) {
        /* Refused before the access handler saw it (a malformed request):
         * never journaled, as before the URI callback existed. */
        req_free(rq);
        *con_cls = NULL;
        return;
    }
    if (!rq->journaled)
        finish_req(s, rq, 0, 0); /* the client left, or we stopped, before an answer */
    if (rq->delayed) {
        pthread_mutex_lock(&s->lock);
        if (--s->delayed == 0)
            pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
    }
    req_free(rq);
    *con_cls = NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    return req_new(uri);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* drop-K closes connections on purpose; that is not worth a line each. */
    if (strstr(msg, "Application reported internal error"))
        return;
    fprintf(stderr, "truto-mock: %s%s", msg, strchr(msg, '\n') ? "" : "\n");
}

/* A whole PEM file as a string, or NULL (message printed). */
static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "truto-mock: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n <= 0) {
        free(text);
        fprintf(stderr, "truto-mock: '%s' is empty\n", path);
        return NULL;
    }
    return text;
}

static struct MHD_Daemon *start_daemon(struct mock_server *s, const struct mock_options *o)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    /* The library warns about a pool of one (that is just the polling thread),
     * so the pool size is only passed when there is a pool. */
    struct MHD_OptionItem pool[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (s->tls_cert)
        flags |= MHD_USE_TLS;
    return MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s,
        /* The logger must come first to catch messages about later options. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG,
        MHD_OPTION_ARRAY, o->threads > 1 ? pool : pool + 1,
        MHD_OPTION_ARRAY, s->tls_cert ? tls : tls + 2,
        MHD_OPTION_END);
}

struct mock_server *server_start(const struct mock_options *o, struct mock_state *st,
                                 struct journal *j, unsigned *port)
{
    struct mock_server *s = xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->state = st;
    s->journal = j;
    s->rate_headers = o->rate_headers;
    s->rate_style = o->rate_style;
    s->retry_after_always = o->retry_after_always;
    s->retry_after_date = o->retry_after_date;
    s->page_max = o->page_max;
    s->user_groups = o->user_groups;
    s->groups_user_filter = o->groups_user_filter;
    latency_init(&s->latency, o->latency_median_ms, o->latency_p99_ms, o->seed);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->drained, &attr);
    pthread_condattr_destroy(&attr);
    struct sbuf auth = {0};
    sbuf_adds(&auth, "Bearer ");
    sbuf_adds(&auth, o->token);
    s->expected_auth = auth.p;

    s->timer = timer_start();
    int tls = o->tls_cert || o->tls_key;
    if (tls) {
        s->tls_cert = o->tls_cert ? read_pem(o->tls_cert) : NULL;
        s->tls_key = o->tls_key ? read_pem(o->tls_key) : NULL;
    }
    if (s->timer && (!tls || (s->tls_cert && s->tls_key)))
        s->daemon = start_daemon(s, o);
    if (!s->daemon) {
        if (s->timer)
            fprintf(stderr, "truto-mock: cannot listen on 127.0.0.1:%u\n", o->port);
        server_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info && info->port ? info->port : o->port;
    return s;
}

/* Waits until every delayed request has completed (or DRAIN_TIMEOUT_NS). The
 * timer has resumed them all, but the workers answer them on their own time:
 * stopping the daemon first would drop those answers. */
static void drain_delayed(struct mock_server *s)
{
    struct timespec until = mclock_abs(mclock_ns() + DRAIN_TIMEOUT_NS);
    pthread_mutex_lock(&s->lock);
    while (s->delayed > 0) {
        int err = pthread_cond_timedwait(&s->drained, &s->lock, &until);
        if (err == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->lock);
}

void server_stop(struct mock_server *s)
{
    if (!s)
        return;
    if (s->timer)
        timer_shutdown(s->timer);
    if (s->daemon) {
        drain_delayed(s);
        MHD_stop_daemon(s->daemon);
    }
    timer_free(s->timer);
    pthread_cond_destroy(&s->drained);
    pthread_mutex_destroy(&s->lock);
    latency_free(&s->latency);
    free(s->expected_auth);
    free(s->tls_cert);
    free(s->tls_key);
    free(s);
}
