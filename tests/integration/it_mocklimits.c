/* it_mocklimits.c: the mock's own imitations of other servers' limits.
 *
 * These tests talk to truto-mock directly with libcurl (no grouprm), so that
 * the pacing controller's tests can trust what the mock does:
 *  - --limit-mode bucket --burst B admits B + 1 at once, then one per DUR / N,
 *    and a refusal costs nothing;
 *  - --limit-mode sliding counts refused requests, so a client that keeps
 *    sending stays refused, even in the next period;
 *  - --account-concurrency caps requests in progress per account with a bare
 *    429 (no Retry-After, no rate headers) that charges no limit;
 *  - --latency delays answers around the given median, reproducibly from
 *    --seed, and slow-MS replaces the draw;
 *  - --retry-after-always stamps every answer, but a 429 keeps its own value;
 *  - bad values of the new options exit 2 with one message.
 * Waiting for the mock never sleeps (ithelp reads its PORT line and waits for
 * its exit); the only sleeps let the server's clock move on for a limit, and
 * the assertions are on the journal's times and the answers. About six
 * seconds in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ithelp.h"

extern char **environ;

/* ---------------------------------------------------------------- requests */

/* What one answer said. */
struct answer {
    long status;
    char retry_after[32];   /* "" when absent */
    char remaining[32];     /* ratelimit-remaining, "" when absent */
    int rate_headers;       /* how many ratelimit-* headers came */
    char body[512];
    size_t body_len;
    double total_ms;        /* from the request's start to the answer's end */
};

/* One request's handle and headers, test-owned. */
struct call {
    CURL *h;
    struct curl_slist *hdrs;
    char *url, *body;
    struct answer a;
};

static void call_free(void *p)
{
    struct call *k = p;
    if (k->h != NULL) {
        curl_easy_cleanup(k->h);
    }
    curl_slist_free_all(k->hdrs);
    free(k->url);
    free(k->body);
    free(k);
}

/* A header value without surrounding blanks or the line ending. */
static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) {
        n--;
    }
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t len = size * n;
    if (len >= 12 && strncasecmp(b, "Retry-After:", 12) == 0) {
        copy_value(a->retry_after, sizeof a->retry_after, b + 12, len - 12);
    } else if (len >= 10 && strncasecmp(b, "ratelimit-", 10) == 0) {
        a->rate_headers++;
        if (len >= 20 && strncasecmp(b, "ratelimit-remaining:", 20) == 0) {
            copy_value(a->remaining, sizeof a->remaining, b + 20, len - 20);
        }
    }
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t len = size * n, room = sizeof a->body - 1 - a->body_len;
    size_t take = len < room ? len : room;
    memcpy(a->body + a->body_len, b, take);
    a->body_len += take;
    a->body[a->body_len] = '\0';
    return len;
}

static char *dup_fmt(const char *fmt, const char *a, const char *b)
{
    int n = snprintf(NULL, 0, fmt, a, b);
    assert_true(n > 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    snprintf(s, (size_t)n + 1, fmt, a, b);
    return s;
}

/* A POST to path (e.g. "/unified/user-directory/groups/add") for this
 * account and user, ready to run. */
static struct call *call_new(struct it_ctx *c, const char *path, const char *account,
                             const char *user)
{
    struct call *k = calloc(1, sizeof *k);
    assert_non_null(k);
    it_own(c, k, call_free);
    k->h = curl_easy_init();
    assert_non_null(k->h);
    char *base = dup_fmt("%s%s", c->base_url, path);
    k->url = dup_fmt("%s?integrated_account_id=%s", base, account);
    free(base);
    k->body = dup_fmt("{\"group_id\":\"%s\",\"user_id\":\"%s\"}", "g1", user);
    k->hdrs = curl_slist_append(k->hdrs, "Authorization: Bearer " IT_TOKEN_DEFAULT);
    k->hdrs = curl_slist_append(k->hdrs, "Content-Type: application/json");
    assert_non_null(k->hdrs);
    curl_easy_setopt(k->h, CURLOPT_URL, k->url);
    curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->hdrs);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, k->body);
    curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(k->h, CURLOPT_HEADERDATA, &k->a);
    curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k->h, CURLOPT_WRITEDATA, &k->a);
    curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k->h, CURLOPT_NOPROXY, "*");
    return k;
}

/* Points an existing call at another user (keeps its connection). */
static void call_user(struct call *k, const char *user)
{
    free(k->body);
    k->body = dup_fmt("{\"group_id\":\"%s\",\"user_id\":\"%s\"}", "g1", user);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, k->body);
}

static void collect(struct call *k)
{
    curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &k->a.status);
    double t = 0;
    curl_easy_getinfo(k->h, CURLINFO_TOTAL_TIME, &t);
    k->a.total_ms = t * 1000.0;
}

/* Runs the call to its end; returns the status. */
static long call_run(struct call *k)
{
    memset(&k->a, 0, sizeof k->a);
    CURLcode rc = curl_easy_perform(k->h);
    if (rc != CURLE_OK) {
        fail_msg("request to %s failed: %s", k->url, curl_easy_strerror(rc));
    }
    collect(k);
    return k->a.status;
}

/* Runs n calls at once, each on its own connection, until all have ended. */
static void run_parallel(struct call **ks, size_t n)
{
    CURLM *m = curl_multi_init();
    assert_non_null(m);
    for (size_t i = 0; i < n; i++) {
        memset(&ks[i]->a, 0, sizeof ks[i]->a);
        curl_easy_setopt(ks[i]->h, CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(m, ks[i]->h);
    }
    int running = 1;
    while (running > 0) {
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc == CURLM_OK && running > 0) {
            mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        }
        if (mc != CURLM_OK) {
            fail_msg("curl multi: %s", curl_multi_strerror(mc));
        }
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK) {
            fail_msg("a parallel request failed: %s", curl_easy_strerror(msg->data.result));
        }
    }
    for (size_t i = 0; i < n; i++) {
        curl_multi_remove_handle(m, ks[i]->h);
        collect(ks[i]);
    }
    curl_multi_cleanup(m);
}

#define ADD_PATH "/unified/user-directory/groups/add"

/* Lets the server's clock move on: a limit's time, not a synchronisation. */
static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The journal's rows of one user, in seq order; fails unless exactly one. */
static const struct jrow *row_of(const struct journal *j, const char *user)
{
    const struct jrow *found = NULL;
    for (size_t i = 0; i < j->n; i++) {
        if (strcmp(j->rows[i].user, user) == 0) {
            if (found != NULL) {
                fail_msg("user %s is in the journal twice", user);
            }
            found = &j->rows[i];
        }
    }
    if (found == NULL) {
        fail_msg("user %s is not in the journal", user);
    }
    return found;
}

/* ------------------------------------------------------------------ bucket */

static void test_bucket_burst(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--account-limit", "10/1s", "--limit-mode", "bucket", "--burst", "5", NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-b", "u1");

    /* B + 1 = 6 at once, each telling what is left. */
    for (int i = 1; i <= 6; i++) {
        call_user(k, it_fmt(c, "u%d", i));
        if (call_run(k) != 200) {
            fail_msg("burst request %d: %ld, want 200", i, k->a.status);
        }
        assert_string_equal(k->a.remaining, it_fmt(c, "%d", 6 - i));
        assert_string_equal(k->a.retry_after, "");
    }
    /* The 7th, within T = 100 ms of the first, is refused. */
    call_user(k, "u7");
    assert_int_equal(call_run(k), 429);
    assert_string_equal(k->a.retry_after, "1");
    assert_string_equal(k->a.remaining, "0");
    /* A refusal changes nothing: one T after the first, one more fits. */
    pause_ms(150);
    call_user(k, "u8");
    assert_int_equal(call_run(k), 200);
    assert_string_equal(k->a.remaining, "0");
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 8);
    double t1 = row_of(j, "u1")->t_ms;
    double t7 = row_of(j, "u7")->t_ms, t8 = row_of(j, "u8")->t_ms;
    if (t7 - t1 >= 100.0) {
        fail_msg("the 7th request came %.1f ms after the first: too slow to test a burst",
                 t7 - t1);
    }
    assert_true(t8 - t1 >= 100.0);
    for (int i = 1; i <= 8; i++) {
        const struct jrow *r = row_of(j, it_fmt(c, "u%d", i));
        assert_int_equal(r->status, i == 7 ? 429 : 200);
        /* Sequential requests: only ever this one in progress. */
        assert_int_equal(r->inflight, i == 7 ? 0 : 1);
    }
}

/* Without --burst, one per T: the second request at once is refused. */
static void test_bucket_no_burst(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--account-limit", "2/1s", "--limit-mode", "bucket", NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-b0", "u1");
    assert_int_equal(call_run(k), 200);
    assert_string_equal(k->a.remaining, "0");
    call_user(k, "u2");
    assert_int_equal(call_run(k), 429);
    assert_string_equal(k->a.retry_after, "1");
    /* Another account has its own bucket. */
    struct call *o = call_new(c, ADD_PATH, "acct-other", "u3");
    assert_int_equal(call_run(o), 200);
    it_mock_stop(c);
}

/* ----------------------------------------------------------------- sliding */

static void test_sliding_stays_refused(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--account-limit", "5/1s", "--limit-mode", "sliding", NULL);
    double start = now_ms();
    struct call *k = call_new(c, ADD_PATH, "acct-s", "u0");
    size_t sent = 0, refused = 0;
    /* About fifty a second against five: well into the next period, past the
     * point where a counter of admitted requests alone would readmit. */
    while (now_ms() - start < 1600.0) {
        call_user(k, it_fmt(c, "u%zu", sent));
        long st = call_run(k);
        if (sent < 5) {
            if (st != 200) {
                fail_msg("request %zu: %ld, want 200 (within the limit)", sent, st);
            }
        } else {
            if (st != 429) {
                fail_msg("request %zu was admitted (%ld) though the client kept sending", sent,
                         st);
            }
            if (strcmp(k->a.retry_after, "") == 0 || atoi(k->a.retry_after) < 1) {
                fail_msg("a sliding 429 has Retry-After \"%s\"", k->a.retry_after);
            }
            refused++;
        }
        sent++;
        pause_ms(20);
    }
    it_mock_stop(c);
    assert_true(refused >= 20);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, sent);
    size_t next_period = 0;
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        if (r->t_ms >= 1000.0 && r->t_ms < 2000.0) {
            assert_int_equal(r->status, 429);
            next_period++;
        }
    }
    /* Periods start at server start: the journal's t_ms 1000 is the boundary. */
    if (next_period < 5) {
        fail_msg("only %zu requests in the second period: the test did not reach it",
                 next_period);
    }
}

/* A sliding counter lets a steady client back in once it stops hammering:
 * with a period of 200 ms and five allowed, after two quiet periods the
 * estimate is 0 again. */
static void test_sliding_recovers(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--account-limit", "5/200ms", "--limit-mode", "sliding", NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-r", "u0");
    for (int i = 0; i < 8; i++) {
        call_user(k, it_fmt(c, "a%d", i));
        assert_int_equal(call_run(k), i < 5 ? 200 : 429);
    }
    pause_ms(450);
    call_user(k, "b0");
    assert_int_equal(call_run(k), 200);
    assert_string_equal(k->a.remaining, "4");
    it_mock_stop(c);
}

/* ------------------------------------------------------------- concurrency */

static void test_concurrency_cap(void **state)
{
    struct it_ctx *c = *state;
    /* --retry-after-always stamps every other answer, never this 429. */
    it_mock_start(c, "--account-concurrency", "2", "--latency", "300",
                  "--account-limit", "3/10s", "--retry-after-always", "5", NULL);
    struct call *ks[4];
    for (int i = 0; i < 3; i++) {
        ks[i] = call_new(c, ADD_PATH, "acct-c", it_fmt(c, "p%d", i));
    }
    ks[3] = call_new(c, ADD_PATH, "acct-d", "q0");
    run_parallel(ks, 4);

    size_t busy = 0;
    for (int i = 0; i < 3; i++) {
        if (ks[i]->a.status == 429) {
            busy++;
            assert_string_equal(ks[i]->a.body,
                                "{\"statusCode\":429,\"error\":\"Too Many Requests\","
                                "\"message\":\"Too many concurrent requests\"}");
            assert_string_equal(ks[i]->a.retry_after, "");
            assert_int_equal(ks[i]->a.rate_headers, 0);
            /* Refused at once, not after a latency draw. */
            assert_true(ks[i]->a.total_ms < 200.0);
        } else {
            assert_int_equal(ks[i]->a.status, 200);
            assert_string_equal(ks[i]->a.retry_after, "5");
        }
    }
    if (busy != 1) {
        fail_msg("%zu of 3 parallel requests got the concurrency 429, want 1", busy);
    }
    /* The cap is per account. */
    assert_int_equal(ks[3]->a.status, 200);

    /* The busy 429 charged nothing: the account has used 2 of its 3. */
    struct call *k = call_new(c, ADD_PATH, "acct-c", "s0");
    assert_int_equal(call_run(k), 200);
    call_user(k, "s1");
    assert_int_equal(call_run(k), 429);
    assert_string_equal(k->a.body,
                        "{\"statusCode\":429,\"error\":\"Too Many Requests\","
                        "\"message\":\"Rate limit exceeded\"}");
    /* The rate 429 keeps its own value: the 10 s window's end. */
    assert_true(atoi(k->a.retry_after) >= 9);
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 6);
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        const struct jrow *r = row_of(j, it_fmt(c, "p%d", i));
        assert_true(r->inflight >= 0 && r->inflight <= 2);
        seen[r->inflight]++;
        assert_int_equal(r->status, r->inflight == 0 ? 429 : 200);
    }
    /* One admitted first (1 in progress), one beside it (2), one refused (0). */
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 1);
    assert_int_equal(row_of(j, "q0")->inflight, 1);
    /* Answers are queued before the next sequential request: back to 1. */
    assert_int_equal(row_of(j, "s0")->inflight, 1);
    assert_int_equal(row_of(j, "s1")->inflight, 0);
}

/* ----------------------------------------------------------------- latency */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_latency_median(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 41 };
    it_mock_start(c, "--latency", "100", "--threads", "4", NULL);
    struct call *ks[N];
    for (int i = 0; i < N; i++) {
        ks[i] = call_new(c, ADD_PATH, "acct-l", it_fmt(c, "l%d", i));
    }
    run_parallel(ks, N);
    double t[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(ks[i]->a.status, 200);
        t[i] = ks[i]->a.total_ms;
    }
    qsort(t, N, sizeof *t, cmp_double);
    double median = t[N / 2];
    if (median < 60.0 || median > 170.0) {
        fail_msg("median answer time %.1f ms with --latency 100 (want 60-170)", median);
    }
    /* Random, not a fixed delay: sigma is ln(3) / 2.3263 = 0.47. */
    if (t[N - 1] - t[0] < 30.0) {
        fail_msg("answer times %.1f-%.1f ms: no spread", t[0], t[N - 1]);
    }
    it_mock_stop(c);

    /* Delayed answers still count in the journal as answered, in order of answer. */
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, N);
    assert_int_equal(journal_count_status(j, 200), N);
    size_t most = 0;
    for (size_t i = 0; i < j->n; i++) {
        if ((size_t)j->rows[i].inflight > most) {
            most = (size_t)j->rows[i].inflight;
        }
    }
    /* They waited side by side, so many were in progress at once. */
    if (most < 10) {
        fail_msg("at most %zu requests in progress at once: were they delayed?", most);
    }
}

/* One run of n sequential requests (so draws follow request order); the
 * answer times go to t. */
static void latency_run(struct it_ctx *c, const char *seed, double *t, size_t n)
{
    it_mock_start(c, "--latency", "50,150", "--seed", seed, NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-seed", "x");
    for (size_t i = 0; i < n; i++) {
        call_user(k, it_fmt(c, "x%zu", i));
        assert_int_equal(call_run(k), 200);
        t[i] = k->a.total_ms;
    }
    it_mock_stop(c);
}

static void test_latency_seeded(void **state)
{
    struct it_ctx *c = *state;
    enum { N = 15 };
    double a[N], b[N], other[N];
    latency_run(c, "42", a, N);
    latency_run(c, "42", b, N);
    latency_run(c, "43", other, N);
    size_t differ = 0;
    for (size_t i = 0; i < N; i++) {
        if (a[i] - b[i] > 25.0 || b[i] - a[i] > 25.0) {
            fail_msg("request %zu took %.1f then %.1f ms with the same seed", i, a[i], b[i]);
        }
        if (a[i] - other[i] > 25.0 || other[i] - a[i] > 25.0) {
            differ++;
        }
    }
    if (differ == 0) {
        fail_msg("seeds 42 and 43 gave the same delays");
    }
}

/* slow-MS's own delay replaces the draw, it is not added to it. */
static void test_latency_slow_replaces(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, "--latency", "100,101", NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-slow", "slow-500-a");
    assert_int_equal(call_run(k), 200);
    double slow = k->a.total_ms;
    call_user(k, "plain");
    assert_int_equal(call_run(k), 200);
    double plain = k->a.total_ms;
    it_mock_stop(c);
    if (slow < 490.0 || slow >= 590.0) {
        fail_msg("slow-500 took %.1f ms under --latency 100 (want 500, not 600)", slow);
    }
    if (plain < 90.0) {
        fail_msg("an ordinary answer took %.1f ms under --latency 100,101", plain);
    }
}

/* ------------------------------------------------------ retry-after-always */

static void test_retry_after_always(void **state)
{
    struct it_ctx *c = *state;
    /* Without the option a 200 has no Retry-After. */
    it_mock_start(c, NULL);
    struct call *k = call_new(c, ADD_PATH, "acct-ra", "u0");
    assert_int_equal(call_run(k), 200);
    assert_string_equal(k->a.retry_after, "");
    it_mock_stop(c);

    it_mock_start(c, "--retry-after-always", "3", "--account-limit", "2/10s", NULL);
    k = call_new(c, ADD_PATH, "acct-ra", "u1");
    assert_int_equal(call_run(k), 200);
    assert_string_equal(k->a.retry_after, "3");
    call_user(k, "status-500-x");
    assert_int_equal(call_run(k), 500);
    assert_string_equal(k->a.retry_after, "3");
    /* The limit is used up: the 429 tells its own wait, the window's end. */
    call_user(k, "u2");
    assert_int_equal(call_run(k), 429);
    int wait = atoi(k->a.retry_after);
    if (wait < 9 || wait > 10) {
        fail_msg("a 429 for a 10 s window says Retry-After \"%s\"", k->a.retry_after);
    }
    /* A 404 for an unknown route, before any limit, is stamped too. */
    struct call *nf = call_new(c, "/no/such/route", "acct-ra", "u3");
    assert_int_equal(call_run(nf), 404);
    assert_string_equal(nf->a.retry_after, "3");
    /* A member that is not there: the remote 404. */
    struct call *rm = call_new(c, "/unified/user-directory/groups/remove", "acct-ra2", "u4");
    assert_int_equal(call_run(rm), 200);
    assert_string_equal(rm->a.retry_after, "3");
    assert_int_equal(call_run(rm), 404);
    assert_string_equal(rm->a.retry_after, "3");
    it_mock_stop(c);
}

/* ----------------------------------------------------------------- options */

/* Runs the mock with args; returns its exit status, its stderr in *err. */
static int mock_exit(struct it_ctx *c, const char *const *args, char **err)
{
    const char *argv[16];
    size_t n = 0;
    argv[n++] = c->mock_bin;
    for (size_t i = 0; args[i] != NULL && n < 15; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    const char *errpath = it_path(c, "opt.err");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, c->mock_bin, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    *err = it_read_file(c, errpath, NULL);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void expect_bad(struct it_ctx *c, const char *const *args, const char *message)
{
    char *err;
    int rc = mock_exit(c, args, &err);
    if (rc != 2 || strstr(err, message) == NULL) {
        fail_msg("%s %s: exit %d, stderr \"%s\"; want 2 and \"%s\"", args[0], args[1], rc, err,
                 message);
    }
}

static void test_bad_options(void **state)
{
    struct it_ctx *c = *state;
    expect_bad(c, (const char *const[]){"--burst", "x", "--limit-mode", "bucket", NULL},
               "truto-mock: bad --burst 'x': expected ");
    expect_bad(c, (const char *const[]){"--burst", "3", NULL},
               "truto-mock: --burst needs --limit-mode bucket");
    expect_bad(c, (const char *const[]){"--limit-mode", "token", NULL},
               "truto-mock: bad --limit-mode 'token': expected fixed, leaky, bucket or sliding");
    expect_bad(c, (const char *const[]){"--latency", "400,100", NULL},
               "truto-mock: bad --latency '400,100': expected ");
    expect_bad(c, (const char *const[]){"--latency", "fast", NULL},
               "truto-mock: bad --latency 'fast': expected ");
    expect_bad(c, (const char *const[]){"--seed", "-1", NULL},
               "truto-mock: bad --seed '-1': expected ");
    expect_bad(c, (const char *const[]){"--account-concurrency", "many", NULL},
               "truto-mock: bad --account-concurrency 'many': expected ");
    expect_bad(c, (const char *const[]){"--retry-after-always", "1.5", NULL},
               "truto-mock: bad --retry-after-always '1.5': expected ");
    char *help;
    assert_int_equal(mock_exit(c, (const char *const[]){"--help", NULL}, &help), 0);
    (void)help;
}

static void test_help_lists_options(void **state)
{
    struct it_ctx *c = *state;
    const char *argv[] = {c->mock_bin, "--help", NULL};
    const char *out = it_path(c, "help.out");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, c->mock_bin, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const char *text = it_read_file(c, out, NULL);
    const char *want[] = {"--burst", "bucket", "sliding", "--latency", "--seed",
                          "--account-concurrency", "--retry-after-always"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (strstr(text, want[i]) == NULL) {
            fail_msg("truto-mock --help does not mention %s:\n%s", want[i], text);
        }
    }
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bucket_burst, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bucket_no_burst, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sliding_stays_refused, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_sliding_recovers, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_concurrency_cap, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_latency_median, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_latency_seeded, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_latency_slow_replaces, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_always, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_help_lists_options, it_setup, it_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
