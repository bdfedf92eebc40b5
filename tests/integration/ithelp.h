/* ithelp.h: the harness shared by grouprm's integration tests.
 *
 * Every test runs the real binaries: the grouprm under test ($GROUPRM_BIN, default
 * bin/grouprm) against the local truto-mock server ($TRUTO_MOCK_BIN, default
 * bin/truto-mock) listening on 127.0.0.1. A test gets its own temporary directory
 * (under $TMPDIR, else the system's; kept when IT_KEEP=1) holding its inputs,
 * grouprm's outputs and the mock's journal, and asserts on three things: the
 * journal of the requests the mock received, the files grouprm wrote, and
 * grouprm's exit status.
 *
 * Synchronisation never sleeps: the mock is ready once it has printed "PORT <n>"
 * on its stdout pipe; grouprm is finished once it has exited; the journal is
 * complete once the mock has exited after SIGTERM. Every wait is bounded by a
 * timeout that kills the child and fails the test.
 *
 * The helpers assert with cmocka themselves, so a test reads as a list of steps.
 * Everything a helper allocates is owned by the test context and released at
 * teardown, including when an assertion ends the test early. */
#ifndef GROUPRM_ITHELP_H
#define GROUPRM_ITHELP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define IT_TOKEN_DEFAULT "test-token"
#define IT_MAX_ENV 16

struct it_owned;

struct it_ctx {
    char dir[PATH_MAX];          /* this test's temporary directory (absolute) */
    char grouprm_bin[PATH_MAX];  /* absolute path of the grouprm under test */
    char mock_bin[PATH_MAX];     /* absolute path of truto-mock */

    /* The mock server. */
    pid_t mock_pid;              /* 0 when not running */
    int mock_pidfd;
    int mock_out;                /* read end of the mock's stdout pipe */
    int mock_starts;
    int marks;                   /* it_mock_mark calls */
    char journal_path[PATH_MAX]; /* journal of the latest mock */
    char base_url[64];           /* "http://127.0.0.1:<port>" */

    /* How grouprm is started. */
    char token[512];             /* TRUTO_API_TOKEN value */
    int token_set;               /* 0: TRUTO_API_TOKEN absent from the environment */
    char *env[IT_MAX_ENV];       /* further "NAME=value" entries */
    size_t n_env;
    char stdin_path[PATH_MAX];   /* "" = /dev/null */
    int timeout_ms;              /* bound on one grouprm run */
    char results[PATH_MAX];      /* -o used by it_grouprm */
    char retry[PATH_MAX];        /* -r used by it_grouprm */

    /* The latest grouprm run. */
    int runs;
    char out_path[PATH_MAX];
    char err_path[PATH_MAX];
    char *out;                   /* its stdout, NUL-terminated */
    char *err;                   /* its stderr, NUL-terminated */

    struct it_owned *owned;      /* released at teardown */
};

/* cmocka setup/teardown: *state becomes a struct it_ctx. */
int it_setup(void **state);
int it_teardown(void **state);

/* Registers p to be released with fn at teardown; returns p. */
void *it_own(struct it_ctx *c, void *p, void (*fn)(void *));
/* Test-owned copies and formatting. */
char *it_strdup(struct it_ctx *c, const char *s);
char *it_fmt(struct it_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Environment variables handed on to every child (NULL-terminated), so sanitizer
 * builds keep their settings. */
extern const char *const it_pass_env[];

/* How many threads process pid has now (its /proc/PID/task entries), or -1. */
long it_thread_count(pid_t pid);
/* Absolute path of name inside the test's directory (test-owned string). */
const char *it_path(struct it_ctx *c, const char *name);

/* ---- truto-mock ---- */
/* Starts the mock with --port 0 --journal DIR/journal-K.tsv and the extra
 * arguments (NULL-terminated), waits for its PORT line, sets c->base_url. */
void it_mock_start(struct it_ctx *c, ...) __attribute__((sentinel));
void it_mock_startv(struct it_ctx *c, const char *const *extra);
/* SIGTERM, then waits for the exit and asserts it exited with 0. */
void it_mock_stop(struct it_ctx *c);
/* A mark on the mock's clock: one request (GET /ithelp/mark-K, no token: a 401) sent now
 * and answered before this returns, so its journal row (journal_mark) comes
 * after everything that happened before the call. Returns its path. */
const char *it_mock_mark(struct it_ctx *c);

/* ---- grouprm ---- */
/* TRUTO_API_TOKEN for later runs; NULL removes it from the environment. */
void it_set_token(struct it_ctx *c, const char *token);
/* Adds "NAME=value" to the environment of later runs. */
void it_add_env(struct it_ctx *c, const char *name_value);
/* A file for grouprm's stdin (NULL: /dev/null). */
void it_set_stdin(struct it_ctx *c, const char *path);
/* Result and retry paths for it_grouprm, as names inside the test directory. */
void it_set_outputs(struct it_ctx *c, const char *results_name, const char *retry_name);

/* Runs grouprm with these arguments (NULL-terminated; argv[0] is supplied), in
 * the test directory, with a clean environment. stdout/stderr land in
 * files and in c->out / c->err. Returns the exit status, or -SIGNAL when a signal
 * ended it (also reported on the test output). Children start with SIGINT,
 * SIGTERM, SIGXFSZ and SIGPIPE at their default dispositions, nothing blocked.
 * A run (this or it_proc_finish's) whose stderr says it closed an event loop
 * with handles still open fails the test. */
int it_run(struct it_ctx *c, ...) __attribute__((sentinel));
int it_runv(struct it_ctx *c, const char *const *args);
/* Runs: grouprm --base-url URL -o RESULTS -r RETRY [extra...] INPUT. */
int it_grouprm(struct it_ctx *c, const char *input, ...) __attribute__((sentinel));

/* grouprm in the background, for a test that signals it, kills it or watches it
 * while it runs. */
struct it_proc {
    pid_t pid;                  /* 0 once reaped */
    int pidfd;                  /* -1 once reaped */
    int status;                 /* wait status, once reaped */
    char out_path[PATH_MAX];    /* its stdout: DIR/<tag>.out */
    char err_path[PATH_MAX];    /* its stderr: DIR/<tag>.err */
    char *err;                  /* its stderr once it_proc_finish read it (test-owned) */
};
/* Starts grouprm with these arguments (NULL-terminated; argv[0] is supplied) as
 * it_run does (test directory, environment, stdin), without waiting. fsize > 0
 * limits every file it writes to that many bytes (RLIMIT_FSIZE). A run still
 * going at teardown is killed. */
struct it_proc *it_start(struct it_ctx *c, const char *tag, long long fsize, ...)
    __attribute__((sentinel));
struct it_proc *it_startv(struct it_ctx *c, const char *tag, long long fsize,
                          const char *const *args);
/* Reaps p if it has exited, waiting at most timeout_ms. 1 once reaped, else 0. */
int it_proc_wait(struct it_proc *p, int timeout_ms);
/* Sends sig to p, which must not have been reaped. */
void it_proc_signal(struct it_proc *p, int sig);
/* Waits at most timeout_ms for p to exit (past that it is killed and the test
 * fails), reads its stderr into p->err and returns the exit status, or -SIGNAL
 * when a signal ended it. */
int it_proc_finish(struct it_ctx *c, struct it_proc *p, int timeout_ms);

/* Fails at the caller's line, showing grouprm's stderr, unless rc == want. */
void it_expect_exit_at(struct it_ctx *c, int rc, int want, const char *file, int line);
#define IT_EXPECT_EXIT(c, rc, want) it_expect_exit_at((c), (rc), (want), __FILE__, __LINE__)

/* ---- CSV ---- */
struct csv_row {
    size_t n;
    char **f;
};

struct csv_table {
    size_t ncols;         /* fields in the header */
    char **header;
    size_t nrows;         /* data rows */
    struct csv_row *rows;
    char *first_line;     /* the header line as bytes, without its line ending */
};

/* Loads a CSV strictly with libcsv (no trimming). Fails the test on a parse error
 * or a row whose width differs from the header's. */
struct csv_table *table_load(struct it_ctx *c, const char *path);
/* Index of the column named exactly name, or -1. */
int table_col(const struct csv_table *t, const char *name);
/* A row's field by column name; fails the test when the column is missing. */
const char *table_get(const struct csv_table *t, size_t row, const char *name);
/* First row whose column col equals val, or -1. */
long table_find(const struct csv_table *t, const char *col, const char *val);
/* First row matching two columns, or -1. */
long table_find2(const struct csv_table *t, const char *col1, const char *val1,
               const char *col2, const char *val2);
/* Rows whose column col equals val. */
size_t table_count(const struct csv_table *t, const char *col, const char *val);

/* Writes a CSV: nrows rows (the first usually the header) of ncols cells taken
 * row-major from cells; a cell is quoted when it needs to be. Lines end in "\n". */
void write_csv(const char *path, size_t ncols, const char *const *cells, size_t nrows);
/* Writes exactly len bytes (NULs included); WRITE_LIT writes a string literal's
 * bytes without its terminating NUL. */
void write_bytes(const char *path, const void *data, size_t len);
#define WRITE_LIT(path, lit) write_bytes((path), (lit), sizeof(lit) - 1)
/* Writes "group_id,user_id,integrated_account_id" then n rows g<i>,u<i>,account
 * (i from 0; with account NULL the header and rows have only the first two). */
void write_pairs(const char *path, size_t n, const char *account);
/* Physical line on which each data record of a CSV file starts (the header is
 * line 1). Returns the number of data records; *lines is test-owned. */
size_t record_lines(struct it_ctx *c, const char *path, long **lines);

/* ---- grouprm's output files ---- */
#define RESULTS_HEADER                                                                       \
    "line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,"   \
    "error,finished_at"
#define RETRY_HEADER "group_id,user_id,integrated_account_id,reason,http_status,attempts,error"
/* Loads a results file, asserting its exact header and the shape of every row
 * (line and attempts are integers, status a known name, http_status empty or three
 * digits, latency_ms empty or a number, finished_at RFC 3339 UTC where the row was
 * sent). */
struct csv_table *results_load(struct it_ctx *c, const char *path);
/* Loads a retry log, asserting its exact header and row shapes (a non-empty
 * reason, http_status empty or three digits, attempts an integer). */
struct csv_table *retry_load(struct it_ctx *c, const char *path);
/* The results row for input line `line`; fails unless exactly one exists. */
size_t results_row_for_line(const struct csv_table *t, long line);

/* ---- journal ---- */
struct jrow {
    long seq;
    double t_ms;
    char *method, *path, *account, *group, *user, *key;
    int status;
    int replay;
    char *ua, *auth;
    char *query;        /* raw query string as received, without the '?' */
    char *remote_data;  /* the body's remote_data as compact JSON, or "" */
    int inflight;       /* the account's requests in progress at admission; 0: not admitted */
};

struct journal {
    size_t n;
    struct jrow *rows;
};

/* Loads the latest mock's journal (the mock must have been stopped). */
struct journal *journal_load(struct it_ctx *c);
size_t journal_count(const struct journal *j, int (*pred)(const struct jrow *, const void *),
                     const void *arg);
size_t journal_count_status(const struct journal *j, int status);
size_t journal_count_pair(const struct journal *j, const char *account, const char *group,
                          const char *user);
/* The journal rows of one pair, in seq order (test-owned array). */
size_t journal_pair(struct it_ctx *c, const struct journal *j, const char *account,
                    const char *group, const char *user, const struct jrow ***out);
/* The journal row of a mark from it_mock_mark; fails unless exactly one exists. */
const struct jrow *journal_mark(const struct journal *j, const char *mark);
/* The most requests (of one account, or all with account NULL) that fall in any
 * half-open interval of length dur_ms - tol_ms. */
size_t journal_max_in_window(const struct journal *j, const char *account, double dur_ms,
                             double tol_ms);

/* ---- files and strings ---- */
void it_write_file(const char *path, const char *content);
/* Whole file, NUL-terminated, test-owned; fails when unreadable. */
char *it_read_file(struct it_ctx *c, const char *path, size_t *len);
/* 1 when the file exists and contains needle, else 0. */
int file_contains(const char *path, const char *needle);
int file_exists(const char *path);
/* Lines of s (split on "\n") that contain needle. */
size_t count_lines_with(const char *s, const char *needle);
int is_hex64(const char *s);
int is_rfc3339_utc(const char *s);
/* s is a non-negative decimal integer. */
int is_uint(const char *s);

/* The results say every one of n rows was removed, and the retry log is empty. */
void expect_all_removed(struct it_ctx *c, size_t n);

#endif
