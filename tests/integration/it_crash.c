/* it_crash.c: crash safety, asserted on the mock's journal, grouprm's files and
 * its exit status.
 *
 *  - kill -9 at random moments, then --resume, over and over (3,000 rows, three
 *    rate-limited accounts, -c 8, every 25th row held 40 ms by the server so that
 *    kills find requests in flight): no row is lost (every pair ends `removed`), no
 *    pair that had a `removed` line before a kill is ever sent again, re-sends are
 *    at most -c per kill and carry the pair's one Idempotency-Key, and the results
 *    file is one CSV with its header once at the top. The kill moments come from
 *    a seeded generator; the seed is printed and IT_SEED=<n> replays that plan;
 *  - one SIGINT (every request held 200 ms, so some are in flight): those
 *    finish, every other row is not_attempted, exit 130; each row is finished in
 *    the results or in the retry log, never both, never neither; the retry log
 *    alone as the next input (no -a) finishes the rest without re-sending a
 *    removed pair;
 *  - SIGINT then SIGTERM: the requests in flight are abandoned at once: exit 130
 *    long before the server would have answered, those rows `interrupted` in the
 *    results and the retry log, nothing dispatched after the first signal;
 *  - the lock: a second grouprm on the same -o exits 75 naming the first's pid
 *    and sends nothing; once the first is killed with -9 its lock file is left
 *    behind but does not block the next run;
 *  - failed writes: a file-size limit reached mid-run (SIGXFSZ at its default
 *    disposition, as under `ulimit -f`) ends the run with exit 2 and at most -c
 *    requests after the failed write, and the results end at a line boundary
 *    (the line the limit tore is cut off); a results file or retry log on a full disk
 *    (/dev/full) ends it with exit 2 before anything is sent;
 *  - --resume: refused (exit 2, naming --force) when the input changed, accepted
 *    with --force (only new pairs are sent), from the beginning when there is no
 *    results file yet or only its header (a kill before the state file was
 *    written), and a torn last line is cut off and its row run again.
 *
 * grouprm is started in the background (ithelp's it_start) where a test needs to
 * signal it or kill it; every wait polls a real condition (a file growing, a
 * string appearing, the process exiting) through inotify and a pidfd, bounded by
 * a deadline. The only sleeps are the random extra delay before a kill -9, whose
 * point is to land at an arbitrary moment, and the 1 ms between two looks at
 * /proc/net/tcp while waiting for the mock to close a killed run's connections
 * (a socket's state has no event to wait on). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ithelp.h"

#define WAIT_MS 60000       /* bound on waiting for a condition or an exit */
#define MAX_ARGV 64

/* ------------------------------------------------------------ small tools */

static int64_t now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        fail_msg("clock_gettime: %s", strerror(errno));
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The random extra delay before a kill -9, whose point is an arbitrary moment. */
static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR) {
            fail_msg("nanosleep: %s", strerror(errno));
        }
    }
}

/* splitmix64: a small seeded generator, so a failing kill plan replays. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static long rng_range(struct rng *r, long lo, long hi)
{
    if (hi <= lo) {
        return lo;
    }
    return lo + (long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static uint64_t pick_seed(void)
{
    const char *env = getenv("IT_SEED");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (errno != 0 || end == env || *end != '\0') {
            fail_msg("IT_SEED=\"%s\" is not a decimal number", env);
        }
        return (uint64_t)v;
    }
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        fail_msg("clock_gettime: %s", strerror(errno));
    }
    return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
           ((uint64_t)getpid() << 32);
}

/* Size of a file, 0 when it does not exist. */
static off_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) {
            fail_msg("stat %s: %s", path, strerror(errno));
        }
        return 0;
    }
    return st.st_size;
}

/* Newlines in a file, 0 when it does not exist. */
static long count_newlines(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            fail_msg("open %s: %s", path, strerror(errno));
        }
        return 0;
    }
    char buf[65536];
    long n = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            int e = errno;
            close(fd);
            fail_msg("read %s: %s", path, strerror(e));
        }
        if (got == 0) {
            break;
        }
        for (ssize_t i = 0; i < got; i++) {
            n += buf[i] == '\n';
        }
    }
    if (close(fd) != 0) {
        fail_msg("close %s: %s", path, strerror(errno));
    }
    return n;
}

/* Requests journaled so far by the running mock (the journal minus its header). */
static long journal_lines_now(struct it_ctx *c)
{
    long n = count_newlines(c->journal_path);
    return n > 0 ? n - 1 : 0;
}

/* Copies the whole lines of a file (up to its last newline) to dst; returns
 * their length. What follows the last newline is a line torn by a kill. */
static size_t copy_whole_lines(struct it_ctx *c, const char *src, const char *dst)
{
    size_t len = 0;
    char *s = it_read_file(c, src, &len);
    char *nl = len > 0 ? memrchr(s, '\n', len) : NULL;
    size_t whole = nl != NULL ? (size_t)(nl - s) + 1 : 0;
    s[whole] = '\0';
    it_write_file(dst, s);
    return whole;
}

/* Occurrences of needle in a file. */
static size_t count_in_file(struct it_ctx *c, const char *path, const char *needle)
{
    size_t len = 0;
    const char *s = it_read_file(c, path, &len);
    size_t n = 0, k = strlen(needle);
    const char *p = s;
    for (;;) {
        const char *hit = memmem(p, len - (size_t)(p - s), needle, k);
        if (hit == NULL) {
            break;
        }
        n++;
        p = hit + 1;
    }
    return n;
}

/* Writes "group_id,user_id[,integrated_account_id]" and n rows
 * <prefix>g<i>,<prefix>u<i>[,account] with i zero-padded to four digits.
 * account NULL: no account column. */
static void write_rows(const char *path, const char *prefix, size_t n, const char *account)
{
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        fail_msg("cannot create %s: %s", path, strerror(errno));
    }
    fputs(account != NULL ? "group_id,user_id,integrated_account_id\n" : "group_id,user_id\n",
          f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%sg%04zu,%su%04zu", prefix, i, prefix, i);
        if (account != NULL) {
            fprintf(f, ",%s", account);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fail_msg("cannot write %s", path);
    }
}

/* The i of a user id "<prefix>u<i>", or -1. */
static long row_index(const char *prefix, const char *user, size_t n)
{
    size_t k = strlen(prefix);
    if (strncmp(user, prefix, k) != 0 || user[k] != 'u') {
        return -1;
    }
    const char *digits = user + k + 1;
    if (!is_uint(digits) || strlen(digits) != 4) {
        return -1;
    }
    long i = strtol(digits, NULL, 10);
    return (size_t)i < n ? i : -1;
}

/* ------------------------------------------- grouprm in the background */

/* Starts grouprm --base-url URL -o results -r retry [args...] (NULL-terminated)
 * in the background (it_startv: stdout/stderr in <tag>.out/<tag>.err). fsize > 0
 * puts a limit of that many bytes on every file it writes (RLIMIT_FSIZE). */
static struct it_proc *start_grouprm(struct it_ctx *c, const char *tag, long long fsize,
                                     const char *results, const char *retry, ...)
    __attribute__((sentinel));

static struct it_proc *start_grouprm(struct it_ctx *c, const char *tag, long long fsize,
                                     const char *results, const char *retry, ...)
{
    const char *args[MAX_ARGV];
    size_t n = 0;
    args[n++] = "--base-url";
    args[n++] = c->base_url;
    args[n++] = "-o";
    args[n++] = results;
    args[n++] = "-r";
    args[n++] = retry;
    va_list ap;
    va_start(ap, retry);
    for (;;) {
        const char *a = va_arg(ap, const char *);
        if (a == NULL) {
            break;
        }
        assert_true(n + 1 < MAX_ARGV);
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    return it_startv(c, tag, fsize, args);
}

static void expect_exit(struct it_proc *p, int rc, int want, int line)
{
    if (rc == want) {
        return;
    }
    print_error("grouprm exited with %d (negative: killed by that signal), want %d; "
                "stderr:\n%s\n", rc, want, p->err != NULL ? p->err : "");
    _fail(__FILE__, line);
}
#define EXPECT_EXIT(p, rc, want) expect_exit((p), (rc), (want), __LINE__)

/* ------------------------------------------------------ waiting for files */

enum cond_kind {
    COND_SIZE,    /* path is at least n bytes */
    COND_LINES,   /* path holds at least n newlines */
    COND_TEXT,    /* path contains text */
};

struct cond {
    enum cond_kind kind;
    const char *path;
    long n;
    const char *text;
};

static int cond_holds(const struct cond *w)
{
    switch (w->kind) {
    case COND_SIZE: return file_size(w->path) >= (off_t)w->n;
    case COND_LINES: return count_newlines(w->path) >= w->n;
    case COND_TEXT: return file_contains(w->path, w->text);
    }
    return 0;
}

/* Waits until w holds, watching the test directory with inotify (every file a
 * test waits on lives there). Returns 1 when it holds; 0 when timeout_ms passed
 * or p (when given) exited first. */
static int wait_until(struct it_ctx *c, struct it_proc *p, const struct cond *w, int timeout_ms)
{
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino < 0) {
        fail_msg("inotify_init1: %s", strerror(errno));
    }
    if (inotify_add_watch(ino, c->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) <
        0) {
        int e = errno;
        close(ino);
        fail_msg("inotify_add_watch %s: %s", c->dir, strerror(e));
    }
    int64_t deadline = now_ms() + timeout_ms;
    int ok = 0;
    for (;;) {
        /* Checked after the watch is in place, so no change is missed. */
        if (cond_holds(w)) {
            ok = 1;
            break;
        }
        struct pollfd pfd[2] = {{.fd = ino, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        if (p != NULL && p->pid > 0) {
            pfd[1].fd = p->pidfd;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            break;
        }
        int r = poll(pfd, 2, (int)left);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            close(ino);
            fail_msg("poll: %s", strerror(e));
        }
        if (pfd[1].revents != 0) {
            ok = cond_holds(w);
            break;
        }
        char buf[8192];
        while (read(ino, buf, sizeof buf) > 0) {
        }
    }
    if (close(ino) != 0) {
        fail_msg("close inotify: %s", strerror(errno));
    }
    return ok;
}

/* Waits for w or fails the test, naming what was awaited. */
static void await(struct it_ctx *c, struct it_proc *p, const struct cond *w, const char *what)
{
    if (wait_until(c, p, w, WAIT_MS)) {
        return;
    }
    if (p != NULL && it_proc_wait(p, 0)) {
        p->err = it_read_file(c, p->err_path, NULL);
        print_error("grouprm stderr:\n%s\n", p->err);
        fail_msg("grouprm exited (status 0x%x) before %s", (unsigned)p->status, what);
    }
    fail_msg("no %s within %d ms", what, WAIT_MS);
}

/* ================================================== 1. kill -9 and resume */

enum {
    T_ROWS = 3000,
    T_ACCOUNTS = 3,
    T_KILLS = 6,
    T_CONC = 8,
    T_LINE_BYTES = 60,   /* a results line here is 63-66 bytes: a floor for "R lines" */
    T_MAX_DELAY_MS = 25,
};

/* What the journal says about one pair. */
struct pair_sends {
    unsigned sends;          /* requests past the rate limit (every status but 429) */
    unsigned all;            /* every request, 429s included */
    long last_seq;           /* of any send */
    long last_any;           /* of any request, 429s included */
    unsigned runs;           /* bit r: a send journaled during run r */
    char key[65];            /* the first request's Idempotency-Key */
    int kill_removed;        /* first kill whose results already had it removed, or -1 */
};

/* Torture rows: g<i>, u<i> on account acct-<i % 3>; every 25th user is
 * "slow-40-u<i>", held 40 ms by the server, so that a kill at any moment is
 * likely to find requests in flight. */
static int torture_slow(long i)
{
    return i % 25 == 12;
}

static void write_torture_input(const char *path)
{
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        fail_msg("cannot create %s: %s", path, strerror(errno));
    }
    fputs("group_id,user_id,integrated_account_id\n", f);
    for (long i = 0; i < T_ROWS; i++) {
        fprintf(f, "g%04ld,%su%04ld,acct-%ld\n", i, torture_slow(i) ? "slow-40-" : "", i,
                i % T_ACCOUNTS);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fail_msg("cannot write %s", path);
    }
}

/* The i of a torture user id, or -1. */
static long torture_index(const char *user)
{
    const char *u = user;
    if (strncmp(u, "slow-40-", 8) == 0) {
        u += 8;
    }
    long i = row_index("", u, T_ROWS);
    if (i < 0 || torture_slow(i) != (u != user)) {
        return -1;
    }
    return i;
}

/* Connections of the mock (127.0.0.1:port as the local end) still open. */
static int mock_connections(struct it_ctx *c)
{
    unsigned port = 0;
    if (sscanf(c->base_url, "http://127.0.0.1:%u", &port) != 1) {
        fail_msg("cannot read the mock's port from %s", c->base_url);
    }
    FILE *f = fopen("/proc/net/tcp", "re");
    if (f == NULL) {
        fail_msg("open /proc/net/tcp: %s", strerror(errno));
    }
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned laddr = 0, lport = 0, st = 0;
        if (sscanf(line, " %*u: %x:%x %*x:%*x %x", &laddr, &lport, &st) != 3 ||
            laddr != 0x0100007Fu || lport != port) {
            continue;  /* the header, or not the mock's 127.0.0.1:port */
        }
        n += st != 0x0A && st != 0x06;  /* neither LISTEN nor TIME_WAIT */
    }
    if (fclose(f) != 0) {
        fail_msg("close /proc/net/tcp: %s", strerror(errno));
    }
    return n;
}

/* After a kill: waits until the mock has closed every connection of the dead
 * run, i.e. answered (and journaled) its slow requests. A re-send racing the
 * original inside the mock's 40 ms hold would find neither a cached answer nor a
 * membership, a quirk of the mock rather than of grouprm. There is no event for
 * a socket's state, so this polls /proc every millisecond, up to WAIT_MS. */
static void await_mock_idle(struct it_ctx *c)
{
    int64_t deadline = now_ms() + WAIT_MS;
    for (;;) {
        int n = mock_connections(c);
        if (n == 0) {
            return;
        }
        if (now_ms() > deadline) {
            fail_msg("the mock still holds %d connections of a killed run after %d ms", n,
                     WAIT_MS);
        }
        struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000L};
        if (nanosleep(&ms, NULL) != 0 && errno != EINTR) {
            fail_msg("nanosleep: %s", strerror(errno));
        }
    }
}

static int run_of_seq(const long *bound, int nkills, long seq)
{
    for (int k = 0; k < nkills; k++) {
        if (seq <= bound[k + 1]) {
            return k;
        }
    }
    return nkills;
}

static void test_kill9_and_resume_loses_nothing(void **state)
{
    struct it_ctx *c = *state;
    struct rng rng = {.s = pick_seed()};
    unsigned long long seed = (unsigned long long)rng.s;
    print_message("it_crash: kill -9 plan from seed %llu (IT_SEED=%llu replays it)\n",
                  seed, seed);
    const char *in = it_path(c, "in.csv");
    write_torture_input(in);
    struct pair_sends *ps = it_own(c, calloc(T_ROWS, sizeof *ps), free);
    assert_non_null(ps);
    for (size_t i = 0; i < T_ROWS; i++) {
        ps[i].kill_removed = -1;
    }
    size_t removed_so_far = 0;

    it_mock_start(c, "--account-limit", "400/1s", "--threads", "4", NULL);
    /* bound[k]: journal lines written before run k started (k <= T_KILLS); run k
     * is killed and bound[k + 1] read once it has been reaped. */
    long bound[T_KILLS + 2];
    bound[0] = 0;
    /* Whole lines in the results file when run k starts (the header's on run 0). */
    size_t whole = strlen(RESULTS_HEADER) + 1;
    int64_t t0 = now_ms();
    for (int k = 0; k < T_KILLS; k++) {
        /* The plan drawn from the seed: a share of the rows still to do (up to
         * 60%, so the run cannot finish first) and an extra delay. */
        long permille = rng_range(&rng, 0, 600);
        long delay = rng_range(&rng, 0, T_MAX_DELAY_MS);
        long r_lines = (long)(T_ROWS - removed_so_far) * permille / 1000;
        long jstart = journal_lines_now(c);
        const char *tag = it_fmt(c, "run-%d", k);
        struct it_proc *p;
        if (k == 0) {
            p = start_grouprm(c, tag, 0, c->results, c->retry, "--account-rate", "400/1s",
                              "--token-rate", "0", "-c", "8", in, NULL);
        } else {
            p = start_grouprm(c, tag, 0, c->results, c->retry, "--account-rate", "400/1s",
                              "--token-rate", "0", "-c", "8", "--resume", in, NULL);
        }
        if (r_lines == 0) {
            /* As soon as requests arrive, possibly before anything is recorded. */
            struct cond w = {.kind = COND_LINES, .path = c->journal_path, .n = jstart + 2};
            await(c, p, &w, "request from this run");
        } else {
            struct cond w = {.kind = COND_SIZE, .path = c->results,
                             .n = (long)whole + r_lines * T_LINE_BYTES};
            await(c, p, &w, it_fmt(c, "%ld more results lines", r_lines));
        }
        sleep_ms(delay);
        long pid = (long)p->pid;
        it_proc_signal(p, SIGKILL);
        if (!it_proc_wait(p, WAIT_MS)) {
            fail_msg("grouprm did not die within %d ms of SIGKILL", WAIT_MS);
        }
        if (!WIFSIGNALED(p->status) || WTERMSIG(p->status) != SIGKILL) {
            print_error("%s\n", it_read_file(c, p->err_path, NULL));
            fail_msg("run %d ended with wait status 0x%x before its kill", k,
                     (unsigned)p->status);
        }
        await_mock_idle(c);
        bound[k + 1] = journal_lines_now(c);

        /* The results as the kill left them: whole lines only. */
        const char *snap = it_path(c, it_fmt(c, "snap-%d.csv", k));
        whole = copy_whole_lines(c, c->results, snap);
        /* Shape only here (results_load's per-field checks run on the final file). */
        struct csv_table *t = table_load(c, snap);
        assert_string_equal(t->first_line, RESULTS_HEADER);
        for (size_t r = 0; r < t->nrows; r++) {
            long i = torture_index(table_get(t, r, "user_id"));
            if (i < 0) {
                fail_msg("results row %zu has an unknown user_id", r + 1);
            }
            if (strcmp(table_get(t, r, "status"), "removed") == 0 && ps[i].kill_removed < 0) {
                ps[i].kill_removed = k;
                removed_so_far++;
            }
        }
        print_message("it_crash: kill %d (pid %ld) after %ld more lines (%ld%% of the rest) "
                      "+ %ld ms: %zu of %d removed, %ld requests so far\n",
                      k + 1, pid, r_lines, permille / 10, delay, removed_so_far, T_ROWS,
                      bound[k + 1]);
        if (removed_so_far >= T_ROWS) {
            fail_msg("kill %d came after every row was done: nothing left to resume", k + 1);
        }
    }

    int rc = it_grouprm(c, in, "--resume", "--account-rate", "400/1s", "--token-rate", "0",
                        "-c", "8", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    print_message("it_crash: %d kills and the final resume took %.1f s\n", T_KILLS,
                  (double)(now_ms() - t0) / 1000.0);

    /* (d) one CSV, its header once, at the top. */
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(count_in_file(c, c->results, RESULTS_HEADER), 1);

    /* (a) every pair ends removed, with exactly one removed line: 0 rows lost. */
    int *removed_lines = it_own(c, calloc(T_ROWS, sizeof(int)), free);
    const char **last_status = it_own(c, calloc(T_ROWS, sizeof(char *)), free);
    assert_non_null(removed_lines);
    assert_non_null(last_status);
    for (size_t r = 0; r < t->nrows; r++) {
        long i = torture_index(table_get(t, r, "user_id"));
        if (i < 0) {
            fail_msg("results row %zu: unknown user_id \"%s\"", r + 1,
                     table_get(t, r, "user_id"));
        }
        if (strcmp(table_get(t, r, "integrated_account_id"),
                   it_fmt(c, "acct-%ld", i % T_ACCOUNTS)) != 0 ||
            strcmp(table_get(t, r, "group_id"), it_fmt(c, "g%04ld", i)) != 0) {
            fail_msg("results row %zu: group or account does not match u%04ld", r + 1, i);
        }
        last_status[i] = table_get(t, r, "status");
        removed_lines[i] += strcmp(last_status[i], "removed") == 0;
    }
    size_t lost = 0;
    for (size_t i = 0; i < T_ROWS; i++) {
        if (last_status[i] == NULL || strcmp(last_status[i], "removed") != 0 ||
            removed_lines[i] != 1) {
            if (lost++ < 10) {
                print_error("u%04zu: last status %s, %d removed lines\n", i,
                            last_status[i] != NULL ? last_status[i] : "(no line)",
                            removed_lines[i]);
            }
        }
    }
    if (lost > 0) {
        fail_msg("%zu of %d pairs do not end with exactly one removed line", lost, T_ROWS);
    }
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);

    /* The journal, pair by pair. */
    bound[T_KILLS + 1] = LONG_MAX;
    struct journal *j = journal_load(c);
    size_t n429 = 0, replays = 0;
    for (size_t r = 0; r < j->n; r++) {
        const struct jrow *e = &j->rows[r];
        long i = torture_index(e->user);
        if (i < 0) {
            fail_msg("journal seq %ld: unknown user_id \"%s\"", e->seq, e->user);
        }
        struct pair_sends *s = &ps[i];
        if (!is_hex64(e->key)) {
            fail_msg("journal seq %ld (u%04ld): Idempotency-Key \"%s\"", e->seq, i, e->key);
        }
        /* (c) every request of a pair, in any run, carries the pair's one key. */
        if (s->all == 0) {
            memcpy(s->key, e->key, 65);
        } else if (strcmp(s->key, e->key) != 0) {
            fail_msg("u%04ld: request seq %ld has Idempotency-Key %s, its first had %s", i,
                     e->seq, e->key, s->key);
        }
        s->all++;
        if (e->seq > s->last_any) {
            s->last_any = e->seq;
        }
        replays += e->replay != 0;
        if (e->status == 429) {
            n429++;
            continue;
        }
        s->sends++;
        if (e->seq > s->last_seq) {
            s->last_seq = e->seq;
        }
        s->runs |= 1u << run_of_seq(bound, T_KILLS, e->seq);
    }

    size_t extra = 0, resent_removed = 0;
    size_t resent_at_kill[T_KILLS] = {0};
    for (size_t i = 0; i < T_ROWS; i++) {
        const struct pair_sends *s = &ps[i];
        if (s->sends == 0) {
            fail_msg("u%04zu was never sent, yet its results line says removed", i);
        }
        extra += s->sends - 1;
        /* (b) removed before kill k: nothing for it after that kill. */
        if (s->kill_removed >= 0 && s->last_any > bound[s->kill_removed + 1]) {
            if (resent_removed++ < 10) {
                print_error("u%04zu: removed in the results at kill %d (journal line %ld), "
                            "sent again at journal seq %ld\n",
                            i, s->kill_removed + 1, bound[s->kill_removed + 1], s->last_any);
            }
        }
        for (int k = 0; k < T_KILLS; k++) {
            resent_at_kill[k] += (s->runs >> k & 1u) && s->last_seq > bound[k + 1];
        }
    }
    print_message("it_crash: %zu requests: %zu re-sends, %zu replayed, %zu 429s\n", j->n, extra,
                  replays, n429);
    if (resent_removed > 0) {
        fail_msg("%zu pairs removed before a kill were sent again after it", resent_removed);
    }
    /* (c) at most -c re-sends per kill: only requests in flight lack a line. */
    for (int k = 0; k < T_KILLS; k++) {
        if (resent_at_kill[k] > T_CONC) {
            fail_msg("%zu pairs sent before kill %d were sent again after it (-c %d)",
                     resent_at_kill[k], k + 1, T_CONC);
        }
    }
    if (extra > (size_t)T_KILLS * T_CONC) {
        fail_msg("%zu re-sends over %d kills at -c %d (at most %d)", extra, T_KILLS, T_CONC,
                 T_KILLS * T_CONC);
    }
}

/* ========================================================== 2. one SIGINT */

enum { S_ROWS = 200 };
/* Every request is held 200 ms by the server; at 20 a second, about four are
 * in flight at any moment. */
#define S_PREFIX "slow-200-"

static void test_sigint_finishes_in_flight_and_lists_the_rest(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, S_PREFIX, S_ROWS, NULL);
    it_mock_start(c, NULL);

    struct it_proc *p = start_grouprm(c, "run-1", 0, c->results, c->retry, "-a", "acct-int",
                                   "--account-rate", "20/1s", "--token-rate", "0", "-c", "8",
                                   in, NULL);
    struct cond w = {.kind = COND_LINES, .path = c->results, .n = 1 + 20};
    await(c, p, &w, "20 results lines");
    long done_at_signal = count_newlines(c->results) - 1;
    it_proc_signal(p, SIGINT);
    int rc = it_proc_finish(c, p, WAIT_MS);
    EXPECT_EXIT(p, rc, 130);
    long boundary = journal_lines_now(c);

    struct csv_table *res = results_load(c, c->results);
    struct csv_table *rl = retry_load(c, c->retry);
    long *lines;
    assert_int_equal(record_lines(c, in, &lines), S_ROWS);
    size_t finished = 0;
    for (size_t i = 0; i < S_ROWS; i++) {
        const char *g = it_fmt(c, S_PREFIX "g%04zu", i);
        const char *u = it_fmt(c, S_PREFIX "u%04zu", i);
        size_t r = results_row_for_line(res, lines[i]);
        const char *st = table_get(res, r, "status");
        int done = strcmp(st, "removed") == 0 || strcmp(st, "not_found") == 0;
        int retry = table_find2(rl, "group_id", g, "user_id", u) >= 0;
        if (done == retry) {
            fail_msg("%s: results say %s and it is %sin the retry log", u, st,
                     retry ? "" : "not ");
        }
        if (!done && strcmp(st, "not_attempted") != 0) {
            fail_msg("%s: status %s after one SIGINT, want removed or not_attempted", u, st);
        }
        finished += done;
    }
    assert_int_equal(rl->nrows, S_ROWS - finished);
    for (size_t r = 0; r < rl->nrows; r++) {
        assert_string_equal(table_get(rl, r, "integrated_account_id"), "acct-int");
    }
    if (finished == S_ROWS) {
        fail_msg("all %d rows finished: the SIGINT did not land mid-run", S_ROWS);
    }
    /* Requests were in flight at the signal; they finished rather than being
     * abandoned. */
    if ((long)finished <= done_at_signal) {
        fail_msg("%zu rows finished, %ld had at the SIGINT: the requests in flight did "
                 "not finish",
                 finished, done_at_signal);
    }

    /* The retry log alone, no -a, a fresh -o. */
    const char *retry1 = it_strdup(c, c->retry);
    it_set_outputs(c, "results-2.csv", "retry-2.csv");
    rc = it_grouprm(c, retry1, "--account-rate", "0", "--token-rate", "0", "-c", "64", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *res2 = results_load(c, c->results);
    assert_int_equal(res2->nrows, S_ROWS - finished);
    assert_int_equal(table_count(res2, "status", "removed"), S_ROWS - finished);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);

    /* Run 1 sent exactly its finished rows (in flight ones were let finish); run 2
     * exactly the retry log's, each once. */
    struct journal *j = journal_load(c);
    unsigned before[S_ROWS] = {0}, after[S_ROWS] = {0};
    for (size_t r = 0; r < j->n; r++) {
        long i = row_index(S_PREFIX, j->rows[r].user, S_ROWS);
        if (i < 0) {
            fail_msg("journal seq %ld: unknown user_id", j->rows[r].seq);
        }
        if (j->rows[r].seq <= boundary) {
            before[i]++;
        } else {
            after[i]++;
        }
    }
    for (size_t i = 0; i < S_ROWS; i++) {
        size_t r = results_row_for_line(res, lines[i]);
        int removed = strcmp(table_get(res, r, "status"), "removed") == 0;
        if (before[i] != (unsigned)removed) {
            fail_msg(S_PREFIX "u%04zu: %u requests in run 1, results say %s", i, before[i],
                     table_get(res, r, "status"));
        }
        if (after[i] != (unsigned)!removed) {
            fail_msg(S_PREFIX "u%04zu: %u requests from the retry log run (removed in run 1: %d)",
                     i,
                     after[i], removed);
        }
    }
}

/* ===================================================== 3. SIGINT, SIGTERM */

static void test_second_signal_abandons_requests_in_flight(void **state)
{
    struct it_ctx *c = *state;
    /* One quick row, then rows the server holds for 3 s. */
    const char *users[] = {"quick-0", "slow-3000-1", "slow-3000-2", "slow-3000-3",
                           "slow-3000-4", "slow-3000-5", "slow-3000-6", "slow-3000-7"};
    enum { N = sizeof users / sizeof users[0] };
    const char *cells[(N + 1) * 2] = {"group_id", "user_id"};
    for (size_t i = 0; i < N; i++) {
        cells[(i + 1) * 2] = it_fmt(c, "g-%s", users[i]);
        cells[(i + 1) * 2 + 1] = users[i];
    }
    const char *in = it_path(c, "in.csv");
    write_csv(in, 2, cells, N + 1);
    it_mock_start(c, NULL);

    /* Three lanes (2, 1 and 1 slots): the abort reaches every one of them. */
    struct it_proc *p = start_grouprm(c, "run", 0, c->results, c->retry, "-a", "acct-sig",
                                   "--account-rate", "0", "--token-rate", "0", "-c", "4",
                                   "--threads", "3", in, NULL);
    /* The quick row leaves with the first three slow ones; once its results line
     * is written its slot has gone to the fourth: -c 4 requests are in flight, and
     * the server has answered none of them. */
    struct cond first = {.kind = COND_TEXT, .path = c->results, .text = ",quick-0,"};
    await(c, p, &first, "results line of the quick row");
    /* The main loop and three lanes (a sanitizer may add a thread of its own). */
    long threads = it_thread_count(p->pid);
    if (threads < 4) {
        fail_msg("grouprm --threads 3 runs %ld threads, want the main one and 3 lanes",
                 threads);
    }
    it_proc_signal(p, SIGINT);
    struct cond said = {.kind = COND_TEXT, .path = p->err_path, .text = "interrupted"};
    await(c, p, &said, "\"interrupted\" on stderr after SIGINT");
    it_proc_signal(p, SIGTERM);
    int rc = it_proc_finish(c, p, WAIT_MS);
    EXPECT_EXIT(p, rc, 130);
    /* grouprm has exited: on the mock's clock this mark comes after its exit. */
    const char *exited = it_mock_mark(c);
    it_mock_stop(c);

    struct csv_table *res = results_load(c, c->results);
    struct csv_table *rl = retry_load(c, c->retry);
    struct journal *j = journal_load(c);
    /* The server holds each slow answer 3 s from its arrival: an exit before
     * that (the mark less than 3 s after every slow arrival) did not wait. */
    double gone = journal_mark(j, exited)->t_ms;
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        if (strncmp(r->user, "slow-3000-", 10) == 0 && gone - r->t_ms >= 3000.0) {
            fail_msg("grouprm exited %.0f ms after %s reached the server, which holds it "
                     "3000 ms: the requests in flight were not abandoned",
                     gone - r->t_ms, r->user);
        }
    }
    assert_int_equal(res->nrows, N);
    size_t interrupted = 0;
    for (size_t i = 0; i < N; i++) {
        const char *g = it_fmt(c, "g-%s", users[i]);
        size_t r = results_row_for_line(res, (long)i + 2);
        assert_string_equal(table_get(res, r, "user_id"), users[i]);
        const char *st = table_get(res, r, "status");
        long in_retry = table_find2(rl, "group_id", g, "user_id", users[i]);
        size_t sent = journal_count_pair(j, "acct-sig", g, users[i]);
        if (i == 0) {
            assert_string_equal(st, "removed");
            assert_true(in_retry < 0);
            continue;
        }
        if (strcmp(st, "interrupted") == 0) {
            interrupted++;
            assert_string_equal(table_get(res, r, "http_status"), "");
            if (in_retry < 0) {
                fail_msg("%s is interrupted but not in the retry log", users[i]);
            }
            assert_string_equal(table_get(rl, (size_t)in_retry, "reason"), "interrupted");
            if (sent > 1) {
                fail_msg("%s: %zu requests for one abandoned row", users[i], sent);
            }
        } else if (strcmp(st, "not_attempted") == 0) {
            if (in_retry < 0) {
                fail_msg("%s is not_attempted but not in the retry log", users[i]);
            }
            if (sent != 0) {
                fail_msg("%s: not_attempted, yet the server saw %zu requests", users[i], sent);
            }
        } else {
            fail_msg("%s: status %s, want interrupted or not_attempted", users[i], st);
        }
    }
    assert_int_equal(rl->nrows, N - 1);
    if (interrupted != 4) {
        fail_msg("%zu rows interrupted, want the 4 in flight (-c 4)", interrupted);
    }
}

/* ================================================================ 4. lock */

static void test_second_run_on_same_output_exits_75(void **state)
{
    struct it_ctx *c = *state;
    const char *in_a = it_path(c, "in-a.csv");
    const char *in_b = it_path(c, "in-b.csv");
    write_rows(in_a, "a", 60, "acct-lock");
    write_rows(in_b, "b", 10, "acct-lock");
    it_mock_start(c, NULL);

    struct it_proc *a = start_grouprm(c, "run-a", 0, c->results, c->retry, "--account-rate",
                                   "20/1s", "--token-rate", "0", in_a, NULL);
    struct cond running = {.kind = COND_LINES, .path = c->results, .n = 2};
    await(c, a, &running, "first results line of the first run");

    it_set_outputs(c, "results.csv", "retry-b.csv");
    int rc = it_grouprm(c, in_b, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 75);
    if (strstr(c->err, it_fmt(c, "pid %ld", (long)a->pid)) == NULL) {
        fail_msg("the refusal does not name pid %ld:\n%s", (long)a->pid, c->err);
    }
    if (file_exists(c->retry)) {
        fail_msg("the refused run created its retry log %s", c->retry);
    }
    if (it_proc_wait(a, 0)) {
        fail_msg("the first run ended (status 0x%x) before the second was refused: the "
                 "lock was not under test", (unsigned)a->status);
    }
    it_proc_signal(a, SIGKILL);
    assert_true(it_proc_wait(a, WAIT_MS));
    it_mock_stop(c);

    struct journal *j = journal_load(c);
    assert_true(j->n > 0);
    for (size_t r = 0; r < j->n; r++) {
        if (row_index("b", j->rows[r].user, 10) >= 0) {
            fail_msg("journal seq %ld: the refused run sent %s", j->rows[r].seq,
                     j->rows[r].user);
        }
    }
}

static void test_lock_of_killed_run_does_not_block(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 60, "acct-lock");
    it_mock_start(c, NULL);

    struct it_proc *a = start_grouprm(c, "run-a", 0, c->results, c->retry, "--account-rate",
                                   "20/1s", "--token-rate", "0", in, NULL);
    struct cond running = {.kind = COND_LINES, .path = c->results, .n = 2};
    await(c, a, &running, "first results line");
    long pid = (long)a->pid;
    it_proc_signal(a, SIGKILL);
    assert_true(it_proc_wait(a, WAIT_MS));
    assert_true(WIFSIGNALED(a->status));

    /* The lock file stays behind, naming the dead owner. */
    const char *lock = it_fmt(c, "%s.lock", c->results);
    if (!file_contains(lock, it_fmt(c, "%ld", pid))) {
        fail_msg("%s does not name the killed run's pid %ld", lock, pid);
    }
    int rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = results_load(c, c->results);
    for (size_t i = 0; i < 60; i++) {
        if (table_find2(t, "user_id", it_fmt(c, "u%04zu", i), "status", "removed") < 0) {
            fail_msg("u%04zu has no removed line after the run behind the stale lock", i);
        }
    }
}

/* ===================================================== 5. failed writes */

enum { D_ROWS = 300, D_LIMIT = 4096, D_CONC = 4 };

static void test_file_size_limit_mid_run_exits_2(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", D_ROWS, "acct-full");
    it_mock_start(c, NULL);

    /* Under `ulimit -f`, SIGXFSZ at its default disposition would kill the run at
     * the write past the limit: grouprm must survive it and exit 2. */
    struct it_proc *p = start_grouprm(c, "run", D_LIMIT, c->results, c->retry, "--account-rate",
                                   "0", "--token-rate", "0", "-c", "4", in, NULL);
    int rc = it_proc_finish(c, p, WAIT_MS);
    if (rc == -SIGXFSZ) {
        fail_msg("grouprm was killed by SIGXFSZ at the file-size limit instead of exiting 2");
    }
    EXPECT_EXIT(p, rc, 2);
    if (strstr(p->err, "cannot write") == NULL) {
        fail_msg("no \"cannot write\" message:\n%s", p->err);
    }
    it_mock_stop(c);

    /* The write past the limit tore a line; it is cut off again, so the file
     * ends at a line boundary below the limit. */
    size_t len = 0;
    const char *raw = it_read_file(c, c->results, &len);
    assert_true(len > 0 && len <= D_LIMIT);
    assert_int_equal(raw[len - 1], '\n');
    const char *snap = it_path(c, "whole.csv");
    copy_whole_lines(c, c->results, snap);
    struct csv_table *t = results_load(c, snap);
    struct journal *j = journal_load(c);
    print_message("it_crash: %zu whole results lines at the limit, %zu requests\n", t->nrows,
                  j->n);
    if (t->nrows == 0 || t->nrows >= D_ROWS) {
        fail_msg("%zu results lines: the limit did not fall mid-run", t->nrows);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        assert_string_equal(table_get(t, r, "status"), "removed");
        if (journal_count_pair(j, "acct-full", table_get(t, r, "group_id"),
                               table_get(t, r, "user_id")) != 1) {
            fail_msg("%s is recorded removed but was not sent exactly once",
                     table_get(t, r, "user_id"));
        }
    }
    /* Sent: the rows recorded, the row whose line failed, and the others in
     * flight then (-c 4 in all with that one); nothing dispatched afterwards. */
    if (j->n > t->nrows + D_CONC) {
        fail_msg("%zu requests for %zu recorded rows: more than -c %d after the failed write",
                 j->n, t->nrows, D_CONC);
    }
}

/* -o or -r is a symlink to /dev/full: the first write fails. */
static void run_on_full_disk(struct it_ctx *c, int results_full)
{
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 20, "acct-full");
    const char *link = results_full ? c->results : c->retry;
    if (symlink("/dev/full", link) != 0) {
        fail_msg("symlink %s: %s", link, strerror(errno));
    }
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    if (strstr(c->err, "cannot write") == NULL && strstr(c->err, "cannot open") == NULL) {
        fail_msg("no message about the failed write:\n%s", c->err);
    }
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    if (j->n != 0) {
        fail_msg("%zu requests sent although the %s could not be written", j->n,
                 results_full ? "results file" : "retry log");
    }
}

static void test_results_on_full_disk_sends_nothing(void **state)
{
    run_on_full_disk(*state, 1);
}

static void test_retry_log_on_full_disk_sends_nothing(void **state)
{
    run_on_full_disk(*state, 0);
}

/* ============================================================ 6. resume */

/* A complete run over 20 rows, then the input grows by 5. */
static const char *changed_input_after_run(struct it_ctx *c)
{
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 20, "acct-res");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    write_rows(in, "", 25, "acct-res");
    return in;
}

/* A rerun without --resume never replaces an earlier run's results: it stops
 * before sending anything, names the file and both ways on. */
static void test_rerun_refuses_to_overwrite(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 20, "acct-ow");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    size_t before_len = 0;
    const char *before = it_read_file(c, c->results, &before_len);
    long jbefore = journal_lines_now(c);

    rc = it_grouprm(c, in, "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    char *want = it_fmt(c, "grouprm: '%s' already holds 20 result lines of an earlier run: "
                           "--resume to continue it, or --overwrite to start again", c->results);
    if (strstr(c->err, want) == NULL)
        fail_msg("expected\n%s\nin:\n%s", want, c->err);
    rc = it_grouprm(c, in, "--dry-run", NULL);  /* a dry run would replace them too */
    IT_EXPECT_EXIT(c, rc, 2);
    size_t after_len = 0;
    const char *after = it_read_file(c, c->results, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    assert_int_equal(journal_lines_now(c), jbefore);  /* nothing sent */

    /* --resume continues (nothing left to do), --overwrite starts again. */
    rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_int_equal(journal_lines_now(c), jbefore);
    rc = it_grouprm(c, in, "--overwrite", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_int_equal(journal_lines_now(c), jbefore + 20);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 20);
    assert_true(file_exists(it_fmt(c, "%s.state", c->results)));
    rc = it_grouprm(c, in, "--overwrite", "--resume", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    assert_non_null(strstr(c->err, "give one"));
    it_mock_stop(c);
}

static void test_resume_refuses_changed_input(void **state)
{
    struct it_ctx *c = *state;
    const char *in = changed_input_after_run(c);
    size_t before_len = 0;
    const char *before = it_read_file(c, c->results, &before_len);
    long jbefore = journal_lines_now(c);

    int rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    if (strstr(c->err, "--force") == NULL) {
        fail_msg("the refusal does not mention --force:\n%s", c->err);
    }
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal((long)j->n, jbefore);
    size_t after_len = 0;
    const char *after = it_read_file(c, c->results, &after_len);
    if (after_len != before_len || memcmp(before, after, before_len) != 0) {
        fail_msg("the refused resume changed the results file");
    }
}

static void test_resume_force_accepts_changed_input(void **state)
{
    struct it_ctx *c = *state;
    const char *in = changed_input_after_run(c);
    long jbefore = journal_lines_now(c);

    int rc = it_grouprm(c, in, "--resume", "--force", "--account-rate", "0", "--token-rate",
                        "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, (size_t)jbefore + 5);
    for (size_t r = (size_t)jbefore; r < j->n; r++) {
        long i = row_index("", j->rows[r].user, 25);
        if (i < 20) {
            fail_msg("--force re-sent %s, done in the first run", j->rows[r].user);
        }
        assert_int_equal(j->rows[r].replay, 0);
    }
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 25);
    assert_int_equal(table_count(t, "status", "removed"), 25);
}

static void test_resume_without_results_starts_from_beginning(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 20, "acct-res");
    assert_false(file_exists(c->results));
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 20);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 20);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(journal_count_pair(j, "acct-res", it_fmt(c, "g%04zu", i),
                                            it_fmt(c, "u%04zu", i)),
                         1);
        size_t r = results_row_for_line(t, (long)i + 2);
        assert_string_equal(table_get(t, r, "status"), "removed");
    }
}

/* The first run writes the results header, then the state file naming its
 * input: a kill -9 between the two leaves a results file with no row and no
 * state file. Nothing is done yet, so a resume has nothing to check the input
 * against and nothing to skip: it must start from the beginning, like a resume
 * with no results file at all. */
static void test_resume_after_kill_before_state_file(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 20, "acct-res");
    it_write_file(c->results, RESULTS_HEADER "\n");
    assert_false(file_exists(it_fmt(c, "%s.state", c->results)));
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 20);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 20);
    assert_int_equal(table_count(t, "status", "removed"), 20);
    assert_int_equal(count_in_file(c, c->results, RESULTS_HEADER), 1);
}

static void test_resume_cuts_torn_last_line(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_rows(in, "", 10, "acct-res");
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "-c", "1", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);

    /* As a kill in the middle of writing the last line would leave it. */
    size_t len = 0;
    char *s = it_read_file(c, c->results, &len);
    assert_true(len > 20 && s[len - 1] == '\n');
    char *prev = memrchr(s, '\n', len - 1);
    assert_non_null(prev);
    char *last = prev + 1;
    struct csv_table *whole = results_load(c, c->results);
    const char *torn_user = table_get(whole, whole->nrows - 1, "user_id");
    size_t keep = (size_t)(last - s) + 12;
    if (truncate(c->results, (off_t)keep) != 0) {
        fail_msg("truncate: %s", strerror(errno));
    }
    long jbefore = journal_lines_now(c);

    rc = it_grouprm(c, in, "--resume", "--account-rate", "0", "--token-rate", "0", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 10);
    for (long line = 2; line <= 11; line++) {
        size_t r = results_row_for_line(t, line);
        assert_string_equal(table_get(t, r, "status"), "removed");
    }
    /* Only the torn row ran again, under its key: the server replays it. */
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, (size_t)jbefore + 1);
    const struct jrow *again = &j->rows[j->n - 1];
    assert_string_equal(again->user, torn_user);
    assert_int_equal(again->replay, 1);
    assert_int_equal(again->status, 200);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_and_resume_loses_nothing, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_sigint_finishes_in_flight_and_lists_the_rest,
                                        it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_second_signal_abandons_requests_in_flight,
                                        it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_second_run_on_same_output_exits_75, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_lock_of_killed_run_does_not_block, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_file_size_limit_mid_run_exits_2, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_results_on_full_disk_sends_nothing, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_retry_log_on_full_disk_sends_nothing, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_refuses_to_overwrite, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_refuses_changed_input, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_force_accepts_changed_input, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_without_results_starts_from_beginning,
                                        it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_kill_before_state_file, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_resume_cuts_torn_last_line, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
