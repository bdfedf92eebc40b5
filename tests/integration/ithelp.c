/* ithelp.c: the integration-test harness (see ithelp.h).
 *
 * Child processes are started with fork + execve into a clean environment, their
 * output captured to files in the test directory. Waiting uses a pidfd and poll()
 * with a deadline, so a hung child is killed and reported instead of hanging the
 * suite. The mock's readiness is its "PORT <n>" line read from a pipe. */
#include "ithelp.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <csv.h>

#define MOCK_READY_TIMEOUT_MS 15000
#define MOCK_STOP_TIMEOUT_MS 15000
#define RUN_TIMEOUT_MS 120000
#define KILL_REAP_TIMEOUT_MS 15000
#define MAX_ARGS 128
#define JOURNAL_FIELDS 15

static const char JOURNAL_HEADER[] =
    "seq\tt_ms\tmethod\tpath\taccount\tgroup_id\tuser_id\tidempotency_key\tstatus\treplay"
    "\tuser_agent\tauth\tquery\tremote_data\tinflight";

const char *const it_pass_env[] = {
    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "LD_LIBRARY_PATH", NULL,
};

long it_thread_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    DIR *d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n;
}

struct it_owned {
    void *p;
    void (*fn)(void *);
    struct it_owned *next;
};

/* ------------------------------------------------------------------ basics */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fail_msg("out of memory");
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fail_msg("out of memory");
    }
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* close(2), reporting a failure (EINTR leaves the descriptor closed on Linux). */
static void xclose(int fd)
{
    if (close(fd) != 0 && errno != EINTR) {
        fprintf(stderr, "ithelp: close(%d): %s\n", fd, strerror(errno));
    }
}

void *it_own(struct it_ctx *c, void *p, void (*fn)(void *))
{
    struct it_owned *o = malloc(sizeof *o);
    if (o == NULL) {
        fn(p);
        fail_msg("out of memory");
    }
    o->p = p;
    o->fn = fn;
    o->next = c->owned;
    c->owned = o;
    return p;
}

char *it_strdup(struct it_ctx *c, const char *s)
{
    return it_own(c, xstrndup(s, strlen(s)), free);
}

char *it_fmt(struct it_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *s = it_own(c, xmalloc((size_t)n + 1), free);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

const char *it_path(struct it_ctx *c, const char *name)
{
    return it_fmt(c, "%s/%s", c->dir, name);
}

static void set_path(char *dst, const char *dir, const char *name)
{
    int n = snprintf(dst, PATH_MAX, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

/* Reads a whole file into a fresh NUL-terminated buffer; NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        xclose(fd);
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                xclose(fd);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            free(buf);
            xclose(fd);
            return NULL;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    xclose(fd);
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

/* The last max bytes of s, for error messages. */
static const char *tail(const char *s, size_t max)
{
    if (s == NULL) {
        return "(none)";
    }
    size_t n = strlen(s);
    return n > max ? s + n - max : s;
}

/* ------------------------------------------------------- setup / teardown */

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    if (remove(path) != 0) {
        fprintf(stderr, "ithelp: cannot remove %s: %s\n", path, strerror(errno));
    }
    return 0;
}

static int resolve_bin(const char *env, const char *def, char *out)
{
    const char *p = getenv(env);
    if (p == NULL || *p == '\0') {
        p = def;
    }
    if (realpath(p, out) == NULL) {
        print_error("ithelp: %s=%s: %s (build it first)\n", env, p, strerror(errno));
        return -1;
    }
    if (access(out, X_OK) != 0) {
        print_error("ithelp: %s is not executable: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

int it_setup(void **state)
{
    struct it_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return -1;
    }
    *state = c;
    c->mock_pidfd = -1;
    c->mock_out = -1;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') {
        tmp = "/tmp";
    }
    char tmpl[PATH_MAX];
    int n = snprintf(tmpl, sizeof tmpl, "%s/grouprm-it-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof tmpl) {
        return -1;
    }
    if (mkdtemp(tmpl) == NULL) {
        print_error("ithelp: mkdtemp %s: %s\n", tmpl, strerror(errno));
        return -1;
    }
    if (realpath(tmpl, c->dir) == NULL) {
        print_error("ithelp: realpath %s: %s\n", tmpl, strerror(errno));
        return -1;
    }
    if (resolve_bin("GROUPRM_BIN", "bin/grouprm", c->grouprm_bin) != 0 ||
        resolve_bin("TRUTO_MOCK_BIN", "bin/truto-mock", c->mock_bin) != 0) {
        return -1;
    }
    it_set_token(c, IT_TOKEN_DEFAULT);
    c->timeout_ms = RUN_TIMEOUT_MS;
    const char *t = getenv("IT_TIMEOUT_MS");
    if (t != NULL && atoi(t) > 0) {
        c->timeout_ms = atoi(t);
    }
    set_path(c->results, c->dir, "results.csv");
    set_path(c->retry, c->dir, "retry.csv");
    return 0;
}

int it_teardown(void **state)
{
    struct it_ctx *c = *state;
    if (c == NULL) {
        return 0;
    }
    if (c->mock_pid > 0) {
        if (kill(c->mock_pid, SIGKILL) != 0) {
            fprintf(stderr, "ithelp: kill mock: %s\n", strerror(errno));
        }
        int st;
        while (waitpid(c->mock_pid, &st, 0) < 0 && errno == EINTR) {
        }
        c->mock_pid = 0;
    }
    if (c->mock_pidfd >= 0) {
        xclose(c->mock_pidfd);
    }
    if (c->mock_out >= 0) {
        xclose(c->mock_out);
    }
    while (c->owned != NULL) {
        struct it_owned *o = c->owned;
        c->owned = o->next;
        o->fn(o->p);
        free(o);
    }
    for (size_t i = 0; i < c->n_env; i++) {
        free(c->env[i]);
    }
    free(c->out);
    free(c->err);
    const char *keep = getenv("IT_KEEP");
    if (c->dir[0] != '\0') {
        if (keep != NULL && strcmp(keep, "1") == 0) {
            fprintf(stderr, "ithelp: kept %s\n", c->dir);
        } else if (nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
            fprintf(stderr, "ithelp: cannot remove %s\n", c->dir);
        }
    }
    free(c);
    *state = NULL;
    return 0;
}

/* --------------------------------------------------------------- children */

/* Fills env with a child's clean environment (grouprm's also carries the token
 * and the test's additions); returns the count. Strings are test-owned. */
static size_t child_env(struct it_ctx *c, char **env, size_t cap, int for_grouprm)
{
    size_t n = 0;
    if (for_grouprm && c->token_set) {
        env[n++] = it_fmt(c, "TRUTO_API_TOKEN=%s", c->token);
    }
    if (for_grouprm) {
        for (size_t i = 0; i < c->n_env && n + 1 < cap; i++) {
            env[n++] = c->env[i];
        }
    }
    for (size_t i = 0; it_pass_env[i] != NULL && n + 1 < cap; i++) {
        const char *v = getenv(it_pass_env[i]);
        if (v != NULL) {
            env[n++] = it_fmt(c, "%s=%s", it_pass_env[i], v);
        }
    }
    env[n] = NULL;
    return n;
}

/* Forks and execs path. Fds in_fd/out_fd/err_fd become 0/1/2; the child runs in
 * dir with SIGINT, SIGTERM, SIGXFSZ and SIGPIPE at their default dispositions
 * and no signal blocked, whatever the test process inherited; fsize > 0 limits
 * every file it writes to that many bytes (RLIMIT_FSIZE). Returns the pid. */
static pid_t spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd,
                   int err_fd, const char *dir, rlim_t fsize)
{
    pid_t pid = fork();
    if (pid < 0) {
        fail_msg("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here to execve. */
        if (fsize > 0) {
            struct rlimit rl = {.rlim_cur = fsize, .rlim_max = fsize};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
                _exit(126);
            }
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        const int sigs[] = {SIGINT, SIGTERM, SIGXFSZ, SIGPIPE};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
            if (sigaction(sigs[i], &sa, NULL) != 0) {
                _exit(126);
            }
        }
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) {
            _exit(126);
        }
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
            _exit(126);
        }
        if (chdir(dir) != 0) {
            _exit(126);
        }
        execve(path, argv, envp);
        static const char msg[] = "ithelp: execve failed\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    return pid;
}

/* Waits for pid through its pidfd for at most timeout_ms. Returns 0 and the wait
 * status, or -1 on timeout (the child is still running). */
static int wait_child(pid_t pid, int pidfd, int timeout_ms, int *status)
{
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    for (;;) {
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            fail_msg("poll: %s", strerror(errno));
        }
        if (r == 0) {
            return -1;
        }
        break;
    }
    for (;;) {
        pid_t w = waitpid(pid, status, 0);
        if (w == pid) {
            return 0;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        fail_msg("waitpid: %s", strerror(errno));
    }
}

/* What grouprm logs when uv_loop_close finds handles still open on its main
 * loop, a lane's or the directory reader's (main.c, http.c, directory.c): a
 * handle leaked, which a run's results cannot show. */
#define OPEN_HANDLES_WARNING "closed with handles still open"

/* Fails the test when grouprm's stderr says a loop was closed with handles
 * still open. */
static void check_loops_closed(const char *err)
{
    if (err != NULL && strstr(err, OPEN_HANDLES_WARNING) != NULL) {
        print_error("grouprm stderr:\n%s\n", tail(err, 3000));
        fail_msg("grouprm closed an event loop with handles still open");
    }
}

static void kill_and_reap(pid_t pid)
{
    if (kill(pid, SIGKILL) != 0) {
        fprintf(stderr, "ithelp: kill: %s\n", strerror(errno));
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
}

static int open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail_msg("open %s: %s", path, strerror(errno));
    }
    return fd;
}

static int open_in(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail_msg("open %s: %s", path, strerror(errno));
    }
    return fd;
}

/* Appends the NULL-terminated string arguments in ap to out from index n, never
 * past room entries; returns the new count. */
static size_t take_args(va_list ap, const char **out, size_t n, size_t room)
{
    for (;;) {
        const char *a = va_arg(ap, const char *);
        if (a == NULL) {
            return n;
        }
        assert_true(n < room);
        out[n++] = a;
    }
}

/* Writes exactly len bytes to path (NUL bytes included), or fails the test. */
void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fail_msg("cannot create %s", path);
    }
    size_t put = len > 0 ? fwrite(data, 1, len, f) : 0;
    int bad = put != len || ferror(f);
    if (fclose(f) != 0 || bad) {
        fail_msg("cannot write %s", path);
    }
}

/* The results say every one of n rows was removed, and the retry log is empty. */
void expect_all_removed(struct it_ctx *c, size_t n)
{
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, n);
    size_t removed = table_count(t, "status", "removed");
    if (removed != n) {
        fail_msg("%zu of %zu rows removed", removed, n);
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

/* ------------------------------------------------------------------- mock */

void it_mock_start(struct it_ctx *c, ...)
{
    const char *extra[MAX_ARGS];
    va_list ap;
    va_start(ap, c);
    extra[take_args(ap, extra, 0, MAX_ARGS - 1)] = NULL;
    va_end(ap);
    it_mock_startv(c, extra);
}

void it_mock_startv(struct it_ctx *c, const char *const *extra)
{
    assert_int_equal(c->mock_pid, 0);
    c->mock_starts++;
    char name[64];
    snprintf(name, sizeof name, "journal-%d.tsv", c->mock_starts);
    set_path(c->journal_path, c->dir, name);
    char errpath[PATH_MAX];
    snprintf(name, sizeof name, "mock-%d.err", c->mock_starts);
    set_path(errpath, c->dir, name);

    const char *argv[MAX_ARGS];
    size_t n = 0;
    argv[n++] = c->mock_bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--journal";
    argv[n++] = c->journal_path;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        assert_true(n + 1 < MAX_ARGS);
        argv[n++] = extra[i];
    }
    argv[n] = NULL;

    char *envp[8];
    child_env(c, envp, 8, 0);

    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        fail_msg("pipe2: %s", strerror(errno));
    }
    int err_fd = open_out(errpath);
    int in_fd = open_in("/dev/null");
    pid_t pid = spawn(c->mock_bin, (char *const *)argv, envp, in_fd, pfd[1], err_fd, c->dir, 0);
    xclose(pfd[1]);
    xclose(err_fd);
    xclose(in_fd);
    c->mock_pid = pid;
    c->mock_out = pfd[0];
    c->mock_pidfd = pidfd_open(pid, 0);
    if (c->mock_pidfd < 0) {
        fail_msg("pidfd_open: %s", strerror(errno));
    }

    /* The PORT line is the readiness signal: block on the pipe (bounded). */
    char line[128];
    size_t len = 0;
    while (len == 0 || line[len - 1] != '\n') {
        struct pollfd p = {.fd = c->mock_out, .events = POLLIN};
        int r = poll(&p, 1, MOCK_READY_TIMEOUT_MS);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            fail_msg("poll: %s", strerror(errno));
        }
        if (r == 0) {
            fail_msg("truto-mock printed no PORT line within %d ms", MOCK_READY_TIMEOUT_MS);
        }
        ssize_t got = read(c->mock_out, line + len, sizeof line - 1 - len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            fail_msg("read from truto-mock: %s", strerror(errno));
        }
        if (got == 0) {
            char *err = slurp(errpath, NULL);
            print_error("truto-mock exited before printing its port; stderr:\n%s\n", tail(err, 2000));
            free(err);
            fail_msg("truto-mock did not start");
        }
        len += (size_t)got;
        if (len >= sizeof line - 1) {
            break;
        }
    }
    line[len] = '\0';
    int port = 0;
    char nl = 0;
    if (sscanf(line, "PORT %d%c", &port, &nl) != 2 || nl != '\n' || port <= 0 || port > 65535) {
        fail_msg("truto-mock's first line is not \"PORT <n>\": \"%s\"", line);
    }
    snprintf(c->base_url, sizeof c->base_url, "http://127.0.0.1:%d", port);
}

const char *it_mock_mark(struct it_ctx *c)
{
    assert_true(c->mock_pid > 0);
    int port = 0;
    if (sscanf(c->base_url, "http://127.0.0.1:%d", &port) != 1 || port <= 0) {
        fail_msg("no mock port in \"%s\"", c->base_url);
    }
    c->marks++;
    const char *path = it_fmt(c, "/ithelp/mark-%d", c->marks);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail_msg("socket: %s", strerror(errno));
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        fail_msg("connect to the mock: %s", strerror(e));
    }
    const char *req = it_fmt(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                             path, port);
    size_t len = strlen(req), put = 0;
    while (put < len) {
        ssize_t w = send(fd, req + put, len - put, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            int e = errno;
            close(fd);
            fail_msg("send to the mock: %s", strerror(e));
        }
        put += (size_t)w;
    }
    /* The answer comes after the request is journaled; its end is the close. */
    char buf[4096];
    size_t got = 0;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, MOCK_READY_TIMEOUT_MS);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            close(fd);
            fail_msg("the mock did not answer a mark within %d ms", MOCK_READY_TIMEOUT_MS);
        }
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            int e = errno;
            close(fd);
            fail_msg("read from the mock: %s", strerror(e));
        }
        if (k == 0) {
            break;
        }
        if (got == 0 && (k < 9 || memcmp(buf, "HTTP/1.1 ", 9) != 0)) {
            close(fd);
            fail_msg("the mock's answer to a mark is not HTTP/1.1");
        }
        got += (size_t)k;
    }
    xclose(fd);
    assert_true(got > 0);
    return path;
}

void it_mock_stop(struct it_ctx *c)
{
    assert_true(c->mock_pid > 0);
    pid_t pid = c->mock_pid;
    if (kill(pid, SIGTERM) != 0) {
        fail_msg("kill truto-mock: %s", strerror(errno));
    }
    int st = 0;
    int r = wait_child(pid, c->mock_pidfd, MOCK_STOP_TIMEOUT_MS, &st);
    if (r != 0) {
        kill_and_reap(pid);
    }
    c->mock_pid = 0;
    xclose(c->mock_pidfd);
    c->mock_pidfd = -1;
    xclose(c->mock_out);
    c->mock_out = -1;
    if (r != 0) {
        fail_msg("truto-mock did not exit within %d ms of SIGTERM", MOCK_STOP_TIMEOUT_MS);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char errpath[PATH_MAX];
        char name[64];
        snprintf(name, sizeof name, "mock-%d.err", c->mock_starts);
        set_path(errpath, c->dir, name);
        char *err = slurp(errpath, NULL);
        print_error("truto-mock stderr:\n%s\n", tail(err, 3000));
        free(err);
        if (WIFSIGNALED(st)) {
            fail_msg("truto-mock was killed by signal %d", WTERMSIG(st));
        }
        fail_msg("truto-mock exited with %d after SIGTERM (want 0)", WEXITSTATUS(st));
    }
}

/* ---------------------------------------------------------------- grouprm */

void it_set_token(struct it_ctx *c, const char *token)
{
    if (token == NULL) {
        c->token_set = 0;
        c->token[0] = '\0';
        return;
    }
    assert_true(strlen(token) < sizeof c->token);
    strcpy(c->token, token);
    c->token_set = 1;
}

void it_add_env(struct it_ctx *c, const char *name_value)
{
    assert_true(c->n_env < IT_MAX_ENV - 1);
    assert_non_null(strchr(name_value, '='));
    c->env[c->n_env++] = xstrndup(name_value, strlen(name_value));
}

void it_set_stdin(struct it_ctx *c, const char *path)
{
    if (path == NULL) {
        c->stdin_path[0] = '\0';
        return;
    }
    assert_true(strlen(path) < sizeof c->stdin_path);
    strcpy(c->stdin_path, path);
}

void it_set_outputs(struct it_ctx *c, const char *results_name, const char *retry_name)
{
    set_path(c->results, c->dir, results_name);
    set_path(c->retry, c->dir, retry_name);
}

int it_run(struct it_ctx *c, ...)
{
    const char *args[MAX_ARGS];
    va_list ap;
    va_start(ap, c);
    args[take_args(ap, args, 0, MAX_ARGS - 1)] = NULL;
    va_end(ap);
    return it_runv(c, args);
}

/* Starts grouprm with args (argv[0] supplied) in the test directory, with the
 * environment and stdin of later runs, stdout/stderr into out_path/err_path.
 * Returns the pid; *pidfd is its pidfd. */
static pid_t start_grouprm(struct it_ctx *c, const char *const *args, const char *out_path,
                           const char *err_path, rlim_t fsize, int *pidfd)
{
    const char *argv[MAX_ARGS];
    size_t n = 0;
    argv[n++] = c->grouprm_bin;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n + 1 < MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    char *envp[IT_MAX_ENV + 8];
    child_env(c, envp, IT_MAX_ENV + 8, 1);

    int in_fd = open_in(c->stdin_path[0] != '\0' ? c->stdin_path : "/dev/null");
    int out_fd = open_out(out_path);
    int err_fd = open_out(err_path);
    pid_t pid = spawn(c->grouprm_bin, (char *const *)argv, envp, in_fd, out_fd, err_fd, c->dir,
                      fsize);
    xclose(in_fd);
    xclose(out_fd);
    xclose(err_fd);
    *pidfd = pidfd_open(pid, 0);
    if (*pidfd < 0) {
        int e = errno;
        kill_and_reap(pid);
        fail_msg("pidfd_open: %s", strerror(e));
    }
    return pid;
}

int it_runv(struct it_ctx *c, const char *const *args)
{
    c->runs++;
    char name[64];
    snprintf(name, sizeof name, "run-%d.out", c->runs);
    set_path(c->out_path, c->dir, name);
    snprintf(name, sizeof name, "run-%d.err", c->runs);
    set_path(c->err_path, c->dir, name);

    int pidfd = -1;
    pid_t pid = start_grouprm(c, args, c->out_path, c->err_path, 0, &pidfd);
    int st = 0;
    int r = wait_child(pid, pidfd, c->timeout_ms, &st);
    xclose(pidfd);
    if (r != 0) {
        kill_and_reap(pid);
    }
    free(c->out);
    free(c->err);
    c->out = slurp(c->out_path, NULL);
    c->err = slurp(c->err_path, NULL);
    if (c->out == NULL || c->err == NULL) {
        fail_msg("cannot read grouprm's captured output");
    }
    if (r != 0) {
        print_error("grouprm stderr:\n%s\n", tail(c->err, 3000));
        fail_msg("grouprm did not finish within %d ms (killed)", c->timeout_ms);
    }
    check_loops_closed(c->err);
    if (WIFSIGNALED(st)) {
        print_error("grouprm was killed by signal %d (%s); stderr:\n%s\n", WTERMSIG(st),
                    strsignal(WTERMSIG(st)), tail(c->err, 3000));
        return -WTERMSIG(st);
    }
    return WEXITSTATUS(st);
}

/* Teardown of a background run a failed assertion left running. */
static void proc_release(void *v)
{
    struct it_proc *p = v;
    if (p->pid > 0) {
        kill_and_reap(p->pid);
    }
    if (p->pidfd >= 0 && close(p->pidfd) != 0) {
        fprintf(stderr, "ithelp: close pidfd: %s\n", strerror(errno));
    }
    free(p);
}

struct it_proc *it_start(struct it_ctx *c, const char *tag, long long fsize, ...)
{
    const char *args[MAX_ARGS];
    va_list ap;
    va_start(ap, fsize);
    args[take_args(ap, args, 0, MAX_ARGS - 1)] = NULL;
    va_end(ap);
    return it_startv(c, tag, fsize, args);
}

struct it_proc *it_startv(struct it_ctx *c, const char *tag, long long fsize,
                          const char *const *args)
{
    assert_true(fsize >= 0);
    struct it_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fail_msg("out of memory");
    }
    p->pidfd = -1;
    it_own(c, p, proc_release);
    char name[NAME_MAX];
    assert_true((size_t)snprintf(name, sizeof name, "%s.out", tag) < sizeof name);
    set_path(p->out_path, c->dir, name);
    snprintf(name, sizeof name, "%s.err", tag);
    set_path(p->err_path, c->dir, name);
    p->pid = start_grouprm(c, args, p->out_path, p->err_path, (rlim_t)fsize, &p->pidfd);
    return p;
}

int it_proc_wait(struct it_proc *p, int timeout_ms)
{
    if (p->pid == 0) {
        return 1;
    }
    if (wait_child(p->pid, p->pidfd, timeout_ms, &p->status) != 0) {
        return 0;
    }
    p->pid = 0;
    xclose(p->pidfd);
    p->pidfd = -1;
    return 1;
}

void it_proc_signal(struct it_proc *p, int sig)
{
    assert_true(p->pid > 0);
    if (kill(p->pid, sig) != 0) {
        fail_msg("kill(%ld, %d): %s", (long)p->pid, sig, strerror(errno));
    }
}

int it_proc_finish(struct it_ctx *c, struct it_proc *p, int timeout_ms)
{
    long pid = (long)p->pid;
    int done = it_proc_wait(p, timeout_ms);
    if (!done) {
        it_proc_signal(p, SIGKILL);
        it_proc_wait(p, KILL_REAP_TIMEOUT_MS);
    }
    p->err = it_read_file(c, p->err_path, NULL);
    if (!done) {
        print_error("grouprm (pid %ld) stderr:\n%s\n", pid, tail(p->err, 3000));
        fail_msg("grouprm (pid %ld) did not exit within %d ms (killed)", pid, timeout_ms);
    }
    check_loops_closed(p->err);
    if (WIFSIGNALED(p->status)) {
        return -WTERMSIG(p->status);
    }
    return WEXITSTATUS(p->status);
}

int it_grouprm(struct it_ctx *c, const char *input, ...)
{
    assert_true(c->base_url[0] != '\0');
    const char *args[MAX_ARGS];
    size_t n = 0;
    args[n++] = "--base-url";
    args[n++] = c->base_url;
    args[n++] = "-o";
    args[n++] = c->results;
    args[n++] = "-r";
    args[n++] = c->retry;
    va_list ap;
    va_start(ap, input);
    n = take_args(ap, args, n, MAX_ARGS - 2);
    va_end(ap);
    args[n++] = input;
    args[n] = NULL;
    return it_runv(c, args);
}

void it_expect_exit_at(struct it_ctx *c, int rc, int want, const char *file, int line)
{
    if (rc == want) {
        return;
    }
    print_error("grouprm exited with %d, expected %d; its stderr (tail):\n%s\n", rc, want,
                tail(c->err, 3000));
    _fail(file, line);
}

/* -------------------------------------------------------------------- CSV */

struct csv_build {
    struct csv_table *t;
    struct csv_row cur;
    size_t cap;
    size_t rows_cap;
    int have_header;
};

static void csv_table_free(void *p)
{
    struct csv_table *t = p;
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->header[i]);
    }
    free(t->header);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->rows[r].n; i++) {
            free(t->rows[r].f[i]);
        }
        free(t->rows[r].f);
    }
    free(t->rows);
    free(t->first_line);
    free(t);
}

static void free_row(struct csv_row *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->f[i]);
    }
    free(r->f);
    r->f = NULL;
    r->n = 0;
}

static void on_field(void *s, size_t len, void *data)
{
    struct csv_build *b = data;
    if (b->cur.n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **f = realloc(b->cur.f, cap * sizeof *f);
        if (f == NULL) {
            return; /* reported as a short row */
        }
        b->cur.f = f;
        b->cap = cap;
    }
    char *v = malloc(len + 1);
    if (v == NULL) {
        return;
    }
    if (len > 0) {
        memcpy(v, s, len);
    }
    v[len] = '\0';
    b->cur.f[b->cur.n++] = v;
}

static void on_row(int term, void *data)
{
    (void)term;
    struct csv_build *b = data;
    struct csv_table *t = b->t;
    if (!b->have_header) {
        t->header = b->cur.f;
        t->ncols = b->cur.n;
        b->have_header = 1;
    } else {
        if (t->nrows == b->rows_cap) {
            size_t cap = b->rows_cap ? b->rows_cap * 2 : 64;
            struct csv_row *rows = realloc(t->rows, cap * sizeof *rows);
            if (rows == NULL) {
                free_row(&b->cur);
                b->cap = 0;
                return;
            }
            t->rows = rows;
            b->rows_cap = cap;
        }
        t->rows[t->nrows++] = b->cur;
    }
    b->cur.f = NULL;
    b->cur.n = 0;
    b->cap = 0;
}

static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

struct csv_table *table_load(struct it_ctx *c, const char *path)
{
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (buf == NULL) {
        fail_msg("cannot read %s: %s", path, strerror(errno));
    }
    it_own(c, buf, free);
    struct csv_table *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fail_msg("out of memory");
    }
    it_own(c, t, csv_table_free);
    size_t eol = strcspn(buf, "\n");
    if (eol > 0 && buf[eol - 1] == '\r') {
        eol--;
    }
    t->first_line = xstrndup(buf, eol);

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fail_msg("csv_init failed");
    }
    csv_set_space_func(&p, no_space);
    struct csv_build b = {.t = t};
    size_t used = csv_parse(&p, buf, len, on_field, on_row, &b);
    int bad = used != len;
    if (!bad && csv_fini(&p, on_field, on_row, &b) != 0) {
        bad = 1;
    }
    int err = csv_error(&p);
    csv_free(&p);
    free_row(&b.cur);
    if (bad) {
        fail_msg("%s is not valid CSV (%s, near byte %zu)", path, csv_strerror(err), used);
    }
    if (!b.have_header) {
        fail_msg("%s has no header row", path);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        if (t->rows[r].n != t->ncols) {
            fail_msg("%s: data row %zu has %zu fields, the header %zu", path, r + 1, t->rows[r].n,
                     t->ncols);
        }
    }
    return t;
}

int table_col(const struct csv_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++) {
        if (strcmp(t->header[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *table_get(const struct csv_table *t, size_t row, const char *name)
{
    int col = table_col(t, name);
    if (col < 0) {
        fail_msg("no column \"%s\" in the CSV", name);
    }
    assert_true(row < t->nrows);
    return t->rows[row].f[col];
}

long table_find(const struct csv_table *t, const char *col, const char *val)
{
    int k = table_col(t, col);
    if (k < 0) {
        fail_msg("no column \"%s\" in the CSV", col);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(t->rows[r].f[k], val) == 0) {
            return (long)r;
        }
    }
    return -1;
}

long table_find2(const struct csv_table *t, const char *col1, const char *val1, const char *col2,
               const char *val2)
{
    int k1 = table_col(t, col1);
    int k2 = table_col(t, col2);
    if (k1 < 0 || k2 < 0) {
        fail_msg("no column \"%s\" or \"%s\" in the CSV", col1, col2);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(t->rows[r].f[k1], val1) == 0 && strcmp(t->rows[r].f[k2], val2) == 0) {
            return (long)r;
        }
    }
    return -1;
}

size_t table_count(const struct csv_table *t, const char *col, const char *val)
{
    int k = table_col(t, col);
    if (k < 0) {
        fail_msg("no column \"%s\" in the CSV", col);
    }
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (strcmp(t->rows[r].f[k], val) == 0) {
            n++;
        }
    }
    return n;
}

static void put_cell(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL ||
                (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"') {
            fputc('"', f);
        }
        fputc(*p, f);
    }
    fputc('"', f);
}

static FILE *open_write(const char *path)
{
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        fail_msg("cannot create %s: %s", path, strerror(errno));
    }
    return f;
}

static void close_write(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fail_msg("cannot write %s", path);
    }
}

void write_csv(const char *path, size_t ncols, const char *const *cells, size_t nrows)
{
    FILE *f = open_write(path);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            if (i > 0) {
                fputc(',', f);
            }
            put_cell(f, cells[r * ncols + i]);
        }
        fputc('\n', f);
    }
    close_write(f, path);
}

void write_pairs(const char *path, size_t n, const char *account)
{
    FILE *f = open_write(path);
    if (account != NULL) {
        fputs("group_id,user_id,integrated_account_id\n", f);
    } else {
        fputs("group_id,user_id\n", f);
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "g%zu,u%zu", i, i);
        if (account != NULL) {
            fputc(',', f);
            put_cell(f, account);
        }
        fputc('\n', f);
    }
    close_write(f, path);
}

size_t record_lines(struct it_ctx *c, const char *path, long **lines)
{
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (buf == NULL) {
        fail_msg("cannot read %s", path);
    }
    it_own(c, buf, free);
    size_t cap = 64, n = 0;
    long *out = it_own(c, xmalloc(cap * sizeof *out), free);
    long line = 1;
    int in_quotes = 0, at_start = 1, records = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (at_start) {
            if (ch == '\n') {
                line++;
                continue;
            }
            if (ch == '\r') {
                continue;
            }
            at_start = 0;
            if (records++ > 0) {
                if (n == cap) {
                    /* Grow in place: the owned pointer is replaced below. */
                    long *grown = xmalloc(cap * 2 * sizeof *grown);
                    memcpy(grown, out, n * sizeof *out);
                    cap *= 2;
                    out = it_own(c, grown, free);
                }
                out[n++] = line;
            }
        }
        if (ch == '"') {
            in_quotes = !in_quotes;
        } else if (ch == '\n') {
            line++;
            if (!in_quotes) {
                at_start = 1;
            }
        }
    }
    *lines = out;
    return n;
}

/* ------------------------------------------------------- grouprm's files */

static int is_number(const char *s)
{
    regex_t re;
    if (regcomp(&re, "^[0-9]+(\\.[0-9]+)?$", REG_EXTENDED | REG_NOSUB) != 0) {
        fail_msg("regcomp failed");
    }
    int ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static int is_http_status(const char *s)
{
    return strlen(s) == 3 && is_uint(s) && s[0] >= '1' && s[0] <= '5';
}

static const char *const STATUSES[] = {
    "removed", "not_found", "failed", "invalid", "not_attempted",
    "duplicate", "interrupted", "dry_run", NULL,
};

static int known_status(const char *s)
{
    for (size_t i = 0; STATUSES[i] != NULL; i++) {
        if (strcmp(s, STATUSES[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

struct csv_table *results_load(struct it_ctx *c, const char *path)
{
    struct csv_table *t = table_load(c, path);
    if (strcmp(t->first_line, RESULTS_HEADER) != 0) {
        fail_msg("%s: header is \"%s\", want \"%s\"", path, t->first_line, RESULTS_HEADER);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        const char *line = table_get(t, r, "line");
        const char *status = table_get(t, r, "status");
        const char *http = table_get(t, r, "http_status");
        const char *attempts = table_get(t, r, "attempts");
        const char *latency = table_get(t, r, "latency_ms");
        const char *fin = table_get(t, r, "finished_at");
        if (!is_uint(line) || atol(line) < 2) {
            fail_msg("%s row %zu: line \"%s\" is not a data line number", path, r + 1, line);
        }
        if (!known_status(status)) {
            fail_msg("%s row %zu: unknown status \"%s\"", path, r + 1, status);
        }
        if (*http != '\0' && !is_http_status(http)) {
            fail_msg("%s row %zu: http_status \"%s\"", path, r + 1, http);
        }
        if (!is_uint(attempts)) {
            fail_msg("%s row %zu: attempts \"%s\"", path, r + 1, attempts);
        }
        if (*latency != '\0' && !is_number(latency)) {
            fail_msg("%s row %zu: latency_ms \"%s\"", path, r + 1, latency);
        }
        int sent = strcmp(status, "removed") == 0 || strcmp(status, "not_found") == 0 ||
                   strcmp(status, "failed") == 0;
        if ((sent || *fin != '\0') && !is_rfc3339_utc(fin)) {
            fail_msg("%s row %zu: finished_at \"%s\" is not RFC 3339 UTC", path, r + 1, fin);
        }
    }
    return t;
}

struct csv_table *retry_load(struct it_ctx *c, const char *path)
{
    struct csv_table *t = table_load(c, path);
    if (strcmp(t->first_line, RETRY_HEADER) != 0) {
        fail_msg("%s: header is \"%s\", want \"%s\"", path, t->first_line, RETRY_HEADER);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        const char *reason = table_get(t, r, "reason");
        const char *http = table_get(t, r, "http_status");
        const char *attempts = table_get(t, r, "attempts");
        if (*reason == '\0') {
            fail_msg("%s row %zu: empty reason", path, r + 1);
        }
        if (*http != '\0' && !is_http_status(http)) {
            fail_msg("%s row %zu: http_status \"%s\"", path, r + 1, http);
        }
        if (!is_uint(attempts)) {
            fail_msg("%s row %zu: attempts \"%s\"", path, r + 1, attempts);
        }
    }
    return t;
}

size_t results_row_for_line(const struct csv_table *t, long line)
{
    int k = table_col(t, "line");
    assert_true(k >= 0);
    size_t found = 0, row = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (atol(t->rows[r].f[k]) == line) {
            found++;
            row = r;
        }
    }
    if (found != 1) {
        fail_msg("results: %zu rows for input line %ld, want 1", found, line);
    }
    return row;
}

/* ---------------------------------------------------------------- journal */

static void journal_free(void *p)
{
    struct journal *j = p;
    for (size_t i = 0; i < j->n; i++) {
        struct jrow *r = &j->rows[i];
        free(r->method);
        free(r->path);
        free(r->account);
        free(r->group);
        free(r->user);
        free(r->key);
        free(r->ua);
        free(r->auth);
        free(r->query);
        free(r->remote_data);
    }
    free(j->rows);
    free(j);
}

/* Unescapes one journal field in place; returns 0, or -1 on a bad escape. */
static int unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case '\\': *w++ = '\\'; break;
        case 't': *w++ = '\t'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        default: return -1;
        }
    }
    *w = '\0';
    return 0;
}

struct journal *journal_load(struct it_ctx *c)
{
    assert_int_equal(c->mock_pid, 0);
    assert_true(c->journal_path[0] != '\0');
    size_t len = 0;
    char *buf = slurp(c->journal_path, &len);
    if (buf == NULL) {
        fail_msg("cannot read the journal %s", c->journal_path);
    }
    it_own(c, buf, free);
    struct journal *j = calloc(1, sizeof *j);
    if (j == NULL) {
        fail_msg("out of memory");
    }
    it_own(c, j, journal_free);
    size_t cap = 0;
    char *line = buf;
    long lineno = 0;
    while (*line != '\0') {
        char *nl = strchr(line, '\n');
        if (nl == NULL) {
            fail_msg("journal line %ld is not terminated", lineno + 1);
        }
        *nl = '\0';
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, JOURNAL_HEADER) != 0) {
                fail_msg("unexpected journal header: \"%s\"", line);
            }
            line = nl + 1;
            continue;
        }
        char *f[JOURNAL_FIELDS];
        size_t nf = 0;
        char *p = line;
        for (;;) {
            if (nf == JOURNAL_FIELDS) {
                fail_msg("journal line %ld has more than %d fields", lineno, JOURNAL_FIELDS);
            }
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != JOURNAL_FIELDS) {
            fail_msg("journal line %ld has %zu fields, want %d", lineno, nf, JOURNAL_FIELDS);
        }
        for (size_t i = 0; i < nf; i++) {
            if (unescape(f[i]) != 0) {
                fail_msg("journal line %ld: bad escape in field %zu", lineno, i + 1);
            }
        }
        if (j->n == cap) {
            cap = cap ? cap * 2 : 256;
            j->rows = xrealloc(j->rows, cap * sizeof *j->rows);
        }
        struct jrow *r = &j->rows[j->n];
        memset(r, 0, sizeof *r);
        j->n++;
        char *end = NULL;
        r->seq = strtol(f[0], &end, 10);
        assert_true(end != f[0] && *end == '\0');
        r->t_ms = strtod(f[1], &end);
        assert_true(end != f[1] && *end == '\0');
        r->method = xstrndup(f[2], strlen(f[2]));
        r->path = xstrndup(f[3], strlen(f[3]));
        r->account = xstrndup(f[4], strlen(f[4]));
        r->group = xstrndup(f[5], strlen(f[5]));
        r->user = xstrndup(f[6], strlen(f[6]));
        r->key = xstrndup(f[7], strlen(f[7]));
        r->status = (int)strtol(f[8], &end, 10);
        assert_true(end != f[8] && *end == '\0');
        r->replay = (int)strtol(f[9], &end, 10);
        assert_true(end != f[9] && *end == '\0');
        r->ua = xstrndup(f[10], strlen(f[10]));
        r->auth = xstrndup(f[11], strlen(f[11]));
        r->query = xstrndup(f[12], strlen(f[12]));
        r->remote_data = xstrndup(f[13], strlen(f[13]));
        r->inflight = (int)strtol(f[14], &end, 10);
        assert_true(end != f[14] && *end == '\0');
        line = nl + 1;
    }
    if (lineno == 0) {
        fail_msg("the journal %s is empty (no header)", c->journal_path);
    }
    return j;
}

size_t journal_count(const struct journal *j, int (*pred)(const struct jrow *, const void *),
                     const void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (pred(&j->rows[i], arg)) {
            n++;
        }
    }
    return n;
}

size_t journal_count_status(const struct journal *j, int status)
{
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (j->rows[i].status == status) {
            n++;
        }
    }
    return n;
}

static int same_pair(const struct jrow *r, const char *account, const char *group,
                     const char *user)
{
    return strcmp(r->account, account) == 0 && strcmp(r->group, group) == 0 &&
           strcmp(r->user, user) == 0;
}

size_t journal_count_pair(const struct journal *j, const char *account, const char *group,
                          const char *user)
{
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (same_pair(&j->rows[i], account, group, user)) {
            n++;
        }
    }
    return n;
}

static int by_seq(const void *a, const void *b)
{
    const struct jrow *x = *(const struct jrow *const *)a;
    const struct jrow *y = *(const struct jrow *const *)b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t journal_pair(struct it_ctx *c, const struct journal *j, const char *account,
                    const char *group, const char *user, const struct jrow ***out)
{
    const struct jrow **v = it_own(c, xmalloc((j->n + 1) * sizeof *v), free);
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (same_pair(&j->rows[i], account, group, user)) {
            v[n++] = &j->rows[i];
        }
    }
    qsort(v, n, sizeof *v, by_seq);
    *out = v;
    return n;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

const struct jrow *journal_mark(const struct journal *j, const char *mark)
{
    const struct jrow *hit = NULL;
    for (size_t i = 0; i < j->n; i++) {
        if (strcmp(j->rows[i].path, mark) == 0) {
            if (hit != NULL) {
                fail_msg("the journal holds mark %s twice", mark);
            }
            hit = &j->rows[i];
        }
    }
    if (hit == NULL) {
        fail_msg("the journal has no mark %s", mark);
    }
    return hit;
}

size_t journal_max_in_window(const struct journal *j, const char *account, double dur_ms,
                             double tol_ms)
{
    double *t = xmalloc((j->n + 1) * sizeof *t);
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (account == NULL || strcmp(j->rows[i].account, account) == 0) {
            t[n++] = j->rows[i].t_ms;
        }
    }
    qsort(t, n, sizeof *t, by_double);
    double span = dur_ms - tol_ms;
    size_t best = 0, hi = 0;
    for (size_t lo = 0; lo < n; lo++) {
        if (hi < lo) {
            hi = lo;
        }
        while (hi < n && t[hi] < t[lo] + span) {
            hi++;
        }
        if (hi - lo > best) {
            best = hi - lo;
        }
    }
    free(t);
    return best;
}

/* ------------------------------------------------------ files and strings */

void it_write_file(const char *path, const char *content)
{
    FILE *f = open_write(path);
    fputs(content, f);
    close_write(f, path);
}

char *it_read_file(struct it_ctx *c, const char *path, size_t *len)
{
    char *s = slurp(path, len);
    if (s == NULL) {
        fail_msg("cannot read %s: %s", path, strerror(errno));
    }
    return it_own(c, s, free);
}

int file_contains(const char *path, const char *needle)
{
    size_t len = 0;
    char *s = slurp(path, &len);
    if (s == NULL) {
        return 0;
    }
    int found = memmem(s, len, needle, strlen(needle)) != NULL;
    free(s);
    return found;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

size_t count_lines_with(const char *s, const char *needle)
{
    size_t n = 0;
    while (s != NULL && *s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
        if (memmem(s, len, needle, strlen(needle)) != NULL) {
            n++;
        }
        s = nl != NULL ? nl + 1 : s + len;
    }
    return n;
}

int is_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (!isxdigit((unsigned char)s[n])) {
            return 0;
        }
    }
    return n == 64;
}

int is_rfc3339_utc(const char *s)
{
    regex_t re;
    if (regcomp(&re,
                "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]+)?Z$",
                REG_EXTENDED | REG_NOSUB) != 0) {
        fail_msg("regcomp failed");
    }
    int ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

int is_uint(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!isdigit((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}
