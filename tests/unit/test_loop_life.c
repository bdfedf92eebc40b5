/* test_loop_life.c: every handle the core opens on a loop is closed by the end.
 *
 * As libuv's own tests do, each case builds the parts on its own uv_loop_t,
 * runs them to the end the way main.c does (sched_new, sched_plan,
 * results_open, sched_start, run the loop, sched_close from the finished
 * callback, run the loop, sched_free) and then asserts uv_loop_close() == 0:
 * a handle left open (a timer, an async, a lane's poll) makes it UV_EBUSY.
 * The lanes' own loops are closed inside http_free, which only logs when one
 * is still busy, so stderr is captured around each case and must not hold
 * that warning.
 *
 * Cases: a dry run (no server), a real run against truto-mock started as a
 * child process ($TRUTO_MOCK_BIN, default bin/truto-mock; ready once it has
 * printed "PORT <n>", stopped with SIGTERM), a run on three lanes, and
 * http_new/http_free alone on one and on several lanes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "config.h"
#include "csvin.h"
#include "http.h"
#include "results.h"
#include "scheduler.h"

/* What http.c, directory.c and main.c log when uv_loop_close finds handles. */
#define OPEN_HANDLES_WARNING "closed with handles still open"
#define ROWS 12
#define MOCK_READY_MS 15000

struct life {
    char dir[64];
    char input[128], results[128], retry[128], err_path[128];
    int saved_err;        /* fd 2 while captured, else -1 */
    pid_t mock;           /* 0 when not running */
    char base_url[64];
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct life *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    strcpy(l->dir, "/tmp/grouprm-life-XXXXXX");
    if (!mkdtemp(l->dir)) {
        free(l);
        return -1;
    }
    snprintf(l->input, sizeof l->input, "%s/in.csv", l->dir);
    snprintf(l->results, sizeof l->results, "%s/results.csv", l->dir);
    snprintf(l->retry, sizeof l->retry, "%s/retry.csv", l->dir);
    snprintf(l->err_path, sizeof l->err_path, "%s/stderr.txt", l->dir);
    l->saved_err = -1;
    FILE *f = fopen(l->input, "w");
    if (!f)
        return -1;
    fputs("group_id,user_id,integrated_account_id\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "g%d,u%d,acct-%d\n", i, i, i % 3);
    if (fclose(f) != 0)
        return -1;
    *state = l;
    return 0;
}

static void mock_stop(struct life *l);

static int teardown(void **state)
{
    struct life *l = *state;
    if (l->saved_err >= 0) {
        /* A case failed while stderr was captured: show what it said. */
        fflush(stderr);
        dup2(l->saved_err, 2);
        close(l->saved_err);
        FILE *f = fopen(l->err_path, "r");
        if (f) {
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, stderr);
            fclose(f);
        }
    }
    if (l->mock > 0) {
        kill(l->mock, SIGKILL);
        waitpid(l->mock, NULL, 0);
    }
    nftw(l->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(l);
    return 0;
}

/* ---- stderr ---- */

static void capture_stderr(struct life *l)
{
    fflush(stderr);
    l->saved_err = dup(2);
    assert_true(l->saved_err >= 0);
    int fd = open(l->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_true(dup2(fd, 2) == 2);
    close(fd);
}

/* Puts stderr back, echoes what was captured, and fails when it holds the
 * open-handles warning. */
static void release_stderr(struct life *l)
{
    fflush(stderr);
    assert_true(dup2(l->saved_err, 2) == 2);
    close(l->saved_err);
    l->saved_err = -1;
    FILE *f = fopen(l->err_path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (strstr(text, OPEN_HANDLES_WARNING) != NULL)
        fail_msg("a loop was closed with handles still open:\n%s", text);
    fputs(text, stderr);
}

/* ---- truto-mock as a child ---- */

static void mock_start(struct life *l)
{
    const char *bin = getenv("TRUTO_MOCK_BIN");
    if (!bin || !*bin)
        bin = "bin/truto-mock";
    if (access(bin, X_OK) != 0)
        fail_msg("TRUTO_MOCK_BIN=%s: %s (build it first)", bin, strerror(errno));
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0)
            _exit(126);
        execl(bin, bin, "--port", "0", "--threads", "2", (char *)NULL);
        _exit(127);
    }
    l->mock = pid;
    close(p[1]);
    char buf[64];
    size_t got = 0;
    while (got < sizeof buf - 1 && memchr(buf, '\n', got) == NULL) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int r = poll(&pfd, 1, MOCK_READY_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            fail_msg("truto-mock printed no PORT line within %d ms", MOCK_READY_MS);
        ssize_t k = read(p[0], buf + got, sizeof buf - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            fail_msg("truto-mock exited before printing its port");
        got += (size_t)k;
    }
    close(p[0]);
    buf[got] = '\0';
    int port = 0;
    if (sscanf(buf, "PORT %d", &port) != 1 || port <= 0)
        fail_msg("truto-mock printed \"%s\", not PORT <n>", buf);
    snprintf(l->base_url, sizeof l->base_url, "http://127.0.0.1:%d", port);
}

static void mock_stop(struct life *l)
{
    assert_int_equal(kill(l->mock, SIGTERM), 0);
    int st = 0;
    pid_t w;
    while ((w = waitpid(l->mock, &st, 0)) < 0 && errno == EINTR) {
    }
    assert_int_equal(w, l->mock);
    l->mock = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- a run, as main.c drives one ---- */

struct app {
    struct sched *sched;
    int finished;
};

static void on_finished(void *ctx)
{
    struct app *a = ctx;
    a->finished++;
    sched_close(a->sched);
}

/* Runs grouprm's core over l->input with these options (NULL-terminated)
 * and returns the rows removed; every handle must be closed at the end. */
static unsigned long run_to_end(struct life *l, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "grouprm";
    argv[argc++] = "-q";
    argv[argc++] = "-o";
    argv[argc++] = l->results;
    argv[argc++] = "-r";
    argv[argc++] = l->retry;
    va_list ap;
    va_start(ap, l);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) {
        assert_true(argc < 30);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc++] = l->input;
    argv[argc] = NULL;

    struct config cfg;
    char err[600];
    if (config_parse(&cfg, argc, argv, NULL, err, sizeof err) != 0)
        fail_msg("config: %s", err);

    FILE *fp = fopen(l->input, "rb");
    assert_non_null(fp);
    struct csvin *in = csvin_open_need(fp, "in.csv", cfg.account,
                                       CSVIN_NEED_GROUP | CSVIN_NEED_USER, cfg.columns, err,
                                       sizeof err);
    if (!in)
        fail_msg("input: %s", err);

    capture_stderr(l);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct app app = {0};
    app.sched = sched_new(&loop, &cfg, "in.csv", in, fileno(fp), "test-token", on_finished,
                          &app, err, sizeof err);
    if (!app.sched)
        fail_msg("sched_new: %s", err);
    struct input_id id;
    memset(&id, 0, sizeof id);
    assert_int_equal(sched_plan(app.sched, &id), 1);
    struct results *res = results_open(cfg.output, cfg.retry_log, -1, err, sizeof err);
    if (!res)
        fail_msg("results: %s", err);
    sched_start(app.sched, res, NULL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(app.finished, 1);
    assert_int_equal(results_sync(res), 0);
    const struct run_counts *counts = sched_counts(app.sched);
    assert_int_equal(counts->rows, ROWS);
    unsigned long removed = counts->by_status[ST_REMOVED];
    assert_int_equal(sched_stop_reason(app.sched), STOP_NONE);
    sched_free(app.sched);
    int closed = uv_loop_close(&loop);
    release_stderr(l);
    if (closed != 0)
        fail_msg("uv_loop_close: %s: a handle was left open", uv_strerror(closed));

    assert_int_equal(results_close(res), 0);
    csvin_close(in);
    fclose(fp);
    return removed;
}

static void test_dry_run_closes_every_handle(void **state)
{
    struct life *l = *state;
    /* A dry run sends nothing: every row is recorded, none removed. */
    assert_int_equal(run_to_end(l, "--dry-run", NULL), 0);
}

static void test_real_run_closes_every_handle(void **state)
{
    struct life *l = *state;
    mock_start(l);
    unsigned long removed = run_to_end(l, "--base-url", l->base_url, "--account-rate", "0",
                                       "--token-rate", "0", "-c", "4", "--threads", "1", NULL);
    mock_stop(l);
    assert_int_equal(removed, ROWS);
}

static void test_run_on_three_lanes_closes_every_handle(void **state)
{
    struct life *l = *state;
    mock_start(l);
    unsigned long removed = run_to_end(l, "--base-url", l->base_url, "--account-rate", "0",
                                       "--token-rate", "0", "-c", "6", "--threads", "3", NULL);
    mock_stop(l);
    assert_int_equal(removed, ROWS);
}

/* ---- http alone ---- */

static void no_done(struct transfer *t, void *ctx)
{
    (void)t;
    (void)ctx;
    fail_msg("no transfer was started");
}

static void no_batch(void *ctx)
{
    (void)ctx;
}

static void http_alone(struct life *l, unsigned pool, unsigned lanes)
{
    capture_stderr(l);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct http_opts o;
    memset(&o, 0, sizeof o);
    o.token = "test-token";
    o.user_agent = "grouprm-test";
    o.timeout_s = 5;
    o.pool = pool;
    o.lanes = lanes;
    o.proxy = "";
    o.noproxy = "";
    o.on_done = no_done;
    o.on_batch = no_batch;
    char err[256];
    struct http *h = http_new(&loop, &o, err, sizeof err);
    if (!h)
        fail_msg("http_new: %s", err);
    assert_int_equal(http_busy(h), 0);
    http_free(h);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    int closed = uv_loop_close(&loop);
    release_stderr(l);
    if (closed != 0)
        fail_msg("uv_loop_close: %s: http left a handle open", uv_strerror(closed));
}

static void test_http_one_lane_closes_every_handle(void **state)
{
    http_alone(*state, 4, 1);
}

static void test_http_lanes_close_every_handle(void **state)
{
    http_alone(*state, 7, 3);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    /* As main.c does before any run. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dry_run_closes_every_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_run_closes_every_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_on_three_lanes_closes_every_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_one_lane_closes_every_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_lanes_close_every_handle, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
