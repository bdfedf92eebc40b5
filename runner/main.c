/* main.c: argv -> config -> token, input, output files -> the run -> summary and
 * exit status. Everything with a lifetime is opened here and closed here, in order:
 * the scheduler's handles close before the loop does, and the results files are
 * synced before the summary claims anything. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "config.h"
#include "csvin.h"
#include "directory.h"
#include "log.h"
#include "report.h"
#include "results.h"
#include "scheduler.h"
#include "sha256.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_SOME_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_ABORTED = 3,
    EXIT_LOCKED = 75,
    EXIT_INTERRUPTED = 130,
};

struct app {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct sched *sched;
};

static void on_signal(uv_signal_t *h, int signum)
{
    struct app *app = h->data;
    (void)signum;
    sched_interrupt(app->sched);
}

static void on_finished(void *ctx)
{
    struct app *app = ctx;
    /* The signal handles stay open (unreferenced, so the loop can end) until the
     * results are synced: closing them puts back the default action, and a second
     * Ctrl-C would then kill the run before its last lines reach the file. */
    uv_unref((uv_handle_t *)&app->sigint);
    uv_unref((uv_handle_t *)&app->sigterm);
    sched_close(app->sched);
}

/* A token file's whole text (malloc'd), or NULL (message logged). */
static char *slurp_token(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        log_error("cannot open %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        log_warn("%s '%s' is readable by others: chmod 600 it", what, path);
    char *tok = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&tok, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(tok);
        log_error("%s '%s' is empty", what, path);
        return NULL;
    }
    return tok;
}

/* The token, from the first of: --token-file, TRUTO_API_TOKEN, and the
 * systemd credential truto-token ($CREDENTIALS_DIRECTORY/truto-token, as
 * LoadCredential= hands it over). Trailing newlines and blanks (as editors
 * leave them) are dropped; anything else unusual is refused, since the token
 * goes into a header. Returns a malloc'd string or NULL (message logged). */
static char *read_token(const struct config *cfg)
{
    char *tok = NULL;
    const char *env = getenv("TRUTO_API_TOKEN"), *creds = getenv("CREDENTIALS_DIRECTORY");
    const char *source = "in TRUTO_API_TOKEN";
    if (cfg->token_file) {
        tok = slurp_token(cfg->token_file, "token file");
        source = "in the token file";
    } else if (env && *env) {
        tok = strdup(env);
    } else if (creds && *creds) {
        char path[4096];
        snprintf(path, sizeof path, "%s/truto-token", creds);
        tok = slurp_token(path, "systemd credential");
        source = "in the systemd credential truto-token";
    } else {
        log_error("no API token: set TRUTO_API_TOKEN, use --token-file FILE, or hand it over "
                  "as the systemd credential truto-token (LoadCredential=)");
        return NULL;
    }
    if (!tok)
        return NULL;
    size_t len = strlen(tok);
    while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' ' ||
                   tok[len - 1] == '\t'))
        tok[--len] = '\0';
    int bad = len == 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)tok[i] < 0x21 || (unsigned char)tok[i] == 0x7f)
            bad = 1;
    if (bad) {
        log_error("the API token %s is empty or holds spaces or control characters", source);
        memset(tok, 0, len);
        free(tok);
        return NULL;
    }
    return tok;
}

static void print_summary(const struct run_counts *c, double elapsed)
{
    char extra[256] = "";
    size_t used = 0;
    if (c->by_status[ST_DUPLICATE])
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", %lu duplicate",
                                 c->by_status[ST_DUPLICATE]);
    if (c->by_status[ST_INTERRUPTED])
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", %lu interrupted",
                                 c->by_status[ST_INTERRUPTED]);
    if (c->by_status[ST_DRY_RUN])
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", %lu dry_run",
                                 c->by_status[ST_DRY_RUN]);
    if (c->by_status[ST_ADDED])
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", %lu added",
                                 c->by_status[ST_ADDED]);
    if (c->ignored)
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 ", %lu not removed there (left alone)", c->ignored);
    if (c->skipped)
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", %lu already done",
                                 c->skipped);
    if (c->unrecorded)
        snprintf(extra + used, sizeof extra - used, "; %lu more could not be recorded",
                 c->unrecorded);
    log_info("%lu rows: %lu removed, %lu not_found, %lu failed, %lu invalid, "
             "%lu not_attempted%s in %.1fs (%.1f req/s, %lu 429s, %lu retries)",
             c->rows, c->by_status[ST_REMOVED], c->by_status[ST_NOT_FOUND],
             c->by_status[ST_FAILED], c->by_status[ST_INVALID],
             c->by_status[ST_NOT_ATTEMPTED], extra, elapsed,
             elapsed > 0 ? (double)c->requests / elapsed : 0.0, c->http429, c->retries);
}

/* The first cause that stopped the run decides (sched_stop_run keeps only it):
 * a write error after a refused token still exits 3, and its unrecorded rows
 * are in the summary. write_failed: the last sync of the results failed. A run
 * that nothing stopped exits by its rows. */
static int exit_code(enum stop_reason stop, int write_failed, const struct run_counts *c)
{
    switch (stop) {
    case STOP_TOKEN:
    case STOP_BREAKER:
        return EXIT_ABORTED;
    case STOP_SIGNAL:
        return EXIT_INTERRUPTED;
    case STOP_WRITE:
    case STOP_FATAL:
    case STOP_STRICT:
        return EXIT_USAGE;
    case STOP_NONE:
        break;
    }
    if (write_failed)
        return EXIT_USAGE;
    return status_count(c->by_status, STC_EXIT1) ? EXIT_SOME_FAILED : EXIT_OK;
}

/* --resume: which pairs are done, and is this the input they were done from?
 * Fills done and *keep (the whole-line length of the results to append to, or
 * -1 to start afresh). Returns 0, or -1 (logged) to refuse. */
static int prepare_resume(const struct config *cfg, int planned, const struct input_id *id,
                          struct pairset *done, long *keep)
{
    char err[600];
    struct input_id old;
    unsigned long lines;
    int st = results_state_read(cfg->output, &old, err, sizeof err);
    if (st < 0 || results_read_done(cfg->output, done, &lines, keep, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    if (*keep <= 0 || lines == 0) {
        /* No rows recorded (at most a header, from a run killed at its start):
         * nothing to protect, nothing to skip. */
        log_info("no results in '%s' yet: starting from the beginning", cfg->output);
        *keep = -1;
        return 0;
    }
    const char *why = NULL;
    if (!planned)
        why = "the input could not be hashed to check it";
    else if (st == 0)
        why = "no state file beside it says which input it was made from";
    else if (old.size != id->size || strcmp(old.sha256, id->sha256) != 0)
        why = "the input differs from the one it was made from (size or SHA-256)";
    else if (strcmp(old.columns, id->columns) != 0)
        why = "its columns were mapped differently (--column) when it was made";
    if (why && !cfg->force) {
        log_error("cannot resume '%s': %s; use --force to resume anyway", cfg->output, why);
        return -1;
    }
    if (why)
        log_warn("resuming '%s' although %s (--force)", cfg->output, why);
    log_info("resuming: %lu results lines read, %zu pairs already done", lines, done->n);
    return 0;
}

/* The --column mapping as a digest for the state file: "" when every field
 * is read from its own name. */
static void columns_id(const struct config *cfg, char out[65])
{
    const char *f[4];
    size_t len[4], mapped = 0;
    for (int i = 0; i < 4; i++) {
        f[i] = cfg->columns[i] ? cfg->columns[i] : "";
        len[i] = strlen(f[i]);
        mapped += cfg->columns[i] != NULL;
    }
    out[0] = '\0';
    if (!mapped)
        return;
    unsigned char d[32];
    sha256_fields("grouprm-columns", 15, f, len, 4, d);
    sha256_hex(d, out);
}

/* Whether path names the file fp has open. */
static int same_file(FILE *fp, const char *path)
{
    struct stat a, b;
    return fstat(fileno(fp), &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* The scheduler was made but never started: close its handles ourselves. */
static void discard_sched(struct app *app)
{
    sched_close(app->sched);
    uv_run(&app->loop, UV_RUN_DEFAULT);
    sched_free(app->sched);
    app->sched = NULL;
    uv_loop_close(&app->loop);
}

/* stdin cannot be read twice, so it is copied to a file beside the results
 * (unlinked at once, so it vanishes with the process) and then planned, hashed
 * and read by cursors like any file. Returns a FILE at its start, or NULL. */
static FILE *spool_stdin(const struct config *cfg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.stdin-XXXXXX", cfg->output);
    if (results_make_parent_dirs(path) != 0) {
        log_error("cannot create the folder for '%s': %s", path, strerror(errno));
        return NULL;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        log_error("cannot create '%s' to hold stdin: %s", path, strerror(errno));
        return NULL;
    }
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    char buf[65536];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, n, f) != n)
            break;
    if (!f || ferror(stdin) || ferror(f) || fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        log_error("cannot copy stdin to '%s': %s", path, strerror(errno));
        if (f)
            fclose(f);
        else
            close(fd);
        return NULL;
    }
    return f;
}

static void print_account(const char *id, unsigned long rows, const unsigned long *by_status,
                          void *ctx)
{
    (void)ctx;
    (void)by_status;
    if (rows)
        log_info("  %s: %lu row%s", id, rows, rows == 1 ? "" : "s");
}

/* The lower bound the limits put on the run: each account at its rate, all of
 * them together at the token's. */
static double estimate_seconds(const struct config *cfg, unsigned long total,
                               unsigned long biggest)
{
    double t = 0;
    const struct rate *ar = &cfg->account_rate, *tr = &cfg->token_rate;
    if (ar->n)
        t = (double)biggest * (double)ar->dur_ms / 1000.0 / ar->n;
    if (tr->n && (double)total * (double)tr->dur_ms / 1000.0 / tr->n > t)
        t = (double)total * (double)tr->dur_ms / 1000.0 / tr->n;
    return t;
}

static void biggest_cb(const char *id, unsigned long rows, const unsigned long *by_status,
                       void *ctx)
{
    (void)id;
    (void)by_status;
    *(unsigned long *)ctx = rows;
}

static void report_plan(const struct config *cfg, struct sched *s)
{
    const struct plan_stats *p = sched_stats(s);
    unsigned long valid = p->rows - p->invalid - p->duplicates - p->ignored, biggest = 0;
    log_info("dry run: %lu rows: %lu valid, %lu invalid, %lu duplicate; %lu accounts", p->rows,
             valid, p->invalid, p->duplicates, p->accounts);
    sched_accounts(s, 1, biggest_cb, &biggest);
    size_t n = sched_accounts(s, 20, print_account, NULL);
    if (n > 20)
        log_info("  ... and %zu more accounts", n - 20);
    char ar[32], tr[32];
    format_rate(&cfg->account_rate, ar, sizeof ar);
    format_rate(&cfg->token_rate, tr, sizeof tr);
    unsigned long est = (unsigned long)(estimate_seconds(cfg, valid, biggest) + 0.5);
    log_info("estimated duration at %s per account and %s per token: at least %luh%02lum%02lus",
             ar, tr, est / 3600, est % 3600 / 60, est % 60);
}

static const char *exit_reason(int rc, enum stop_reason stop)
{
    switch (rc) {
    case EXIT_OK: return "every row removed or not_found";
    case EXIT_SOME_FAILED: return "some rows failed or were invalid";
    case EXIT_ABORTED:
        return stop == STOP_BREAKER ? "stopped: too many rows failed"
                                    : "stopped: the API token was refused";
    case EXIT_LOCKED: return "another grouprm was writing the same results file";
    case EXIT_INTERRUPTED: return "interrupted by a signal";
    default: return "usage, configuration, input or write error";
    }
}

/* --summary-json and --metrics-file, on every way out of a run. A report that
 * cannot be written turns a clean exit into 2: monitoring would miss it. */
static int write_reports(const struct config *cfg, struct sched *s, double started, int rc,
                         const struct input_id *id)
{
    char err[600];
    struct report r = {
        .cfg = cfg, .sched = s, .started = started, .finished = wall_now(), .exit_code = rc,
        .exit_reason = exit_reason(rc, s ? sched_stop_reason(s) : STOP_NONE), .input = id,
    };
    if (cfg->summary_json && report_summary_json(&r, err, sizeof err) != 0) {
        log_error("%s", err);
        rc = rc == EXIT_OK ? EXIT_USAGE : rc;
    }
    if (cfg->metrics_file && report_metrics(&r, err, sizeof err) != 0) {
        log_error("%s", err);
        rc = rc == EXIT_OK ? EXIT_USAGE : rc;
    }
    return rc;
}

static void print_account_summary(const char *id, unsigned long rows,
                                  const unsigned long *c, void *ctx)
{
    (void)rows;
    (void)ctx;
    unsigned long n = 0;
    for (int st = 0; st < ST__COUNT; st++)
        n += c[st];
    if (n)
        log_info("  %s: %lu removed, %lu not_found, %lu failed, %lu invalid, %lu not_attempted%s",
                 id, c[ST_REMOVED], c[ST_NOT_FOUND], c[ST_FAILED], c[ST_INVALID],
                 c[ST_NOT_ATTEMPTED], c[ST_ADDED] ? " (re-added rows: see the results)" : "");
}

static int run(const struct config *cfg)
{
    double started = wall_now();
    int reported = 0;
    struct input_id id = {0};
    int planned = 0;
    char err[600];
    int rc = EXIT_USAGE, lock_fd = -1, busy = 0;
    int write_failed = 0;  /* the results could not be written, and that was said */
    struct pairset done;
    pairset_init(&done);
    /* A dry run sends nothing, so it needs no token. */
    char *token = cfg->dry_run ? strdup("") : read_token(cfg);
    if (!token)
        return EXIT_USAGE;

    int from_stdin = strcmp(cfg->input, "-") == 0;
    const char *name = from_stdin ? "stdin" : cfg->input;
    FILE *fp = NULL;
    struct csvin *in = NULL;
    struct results *res = NULL;
    struct app app;
    memset(&app, 0, sizeof app);

    /* First the lock: nothing, not even the results file, is touched while
     * another run owns it. */
    lock_fd = results_lock(cfg->output, &busy, err, sizeof err);
    if (lock_fd < 0) {
        log_error("%s", err);
        rc = busy ? EXIT_LOCKED : EXIT_USAGE;
        goto out;
    }
    /* An earlier run's results are its audit trail: never replaced unasked. */
    if (!cfg->resume && !cfg->overwrite) {
        long rows = results_rows(cfg->output, err, sizeof err);
        if (rows != 0) {
            if (rows < 0)
                log_error("%s", err);
            else
                log_error("'%s' already holds %ld result line%s of an earlier run: --resume to "
                          "continue it, or --overwrite to start again (or -o another file)",
                          cfg->output, rows, rows == 1 ? "" : "s");
            goto out;
        }
    }
    fp = from_stdin ? spool_stdin(cfg) : fopen(cfg->input, "rb");
    if (!fp) {
        if (!from_stdin)
            log_error("cannot open '%s': %s", cfg->input, strerror(errno));
        goto out;
    }
    in = csvin_open_need(fp, name, cfg->account, CSVIN_NEED_GROUP | CSVIN_NEED_USER, cfg->columns,
                         err, sizeof err);
    if (!in) {
        log_error("%s", err);
        goto out;
    }

    int uerr = uv_loop_init(&app.loop);
    if (uerr != 0) {
        log_error("cannot start the event loop: %s", uv_strerror(uerr));
        goto out;
    }
    struct stat st;
    int fd = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) ? fileno(fp) : -1;
    app.sched = sched_new(&app.loop, cfg, name, in, fd, token, on_finished, &app, err,
                          sizeof err);
    memset(token, 0, strlen(token));
    if (!app.sched) {
        log_error("%s", err);
        uv_loop_close(&app.loop);
        goto out;
    }
    long keep = -1;
    planned = sched_plan(app.sched, &id);
    columns_id(cfg, id.columns);
    if (planned < 0 || (cfg->resume && prepare_resume(cfg, planned, &id, &done, &keep) != 0)) {
        discard_sched(&app);
        goto out;
    }
    if (cfg->dry_run)
        report_plan(cfg, app.sched);
    if (same_file(fp, cfg->output) || same_file(fp, cfg->retry_log)) {
        /* Opening the outputs would truncate the input before it is read. */
        log_error("'%s' is the input: give this run another --output/--retry-log "
                  "(the retry log can be run as input, but not written over while read)",
                  same_file(fp, cfg->output) ? cfg->output : cfg->retry_log);
        discard_sched(&app);
        goto out;
    }
    /* The state first: a results file never exists without the record of its input. */
    if ((planned > 0 && results_state_write(cfg->output, &id, err, sizeof err) != 0) ||
        !(res = results_open(cfg->output, cfg->retry_log, keep, err, sizeof err))) {
        log_error("%s", err);
        discard_sched(&app);
        goto out;
    }

    if (!cfg->quiet)
        sched_set_progress(app.sched, isatty(STDERR_FILENO), cfg->progress_interval_ms);
    uv_signal_init(&app.loop, &app.sigint);
    uv_signal_init(&app.loop, &app.sigterm);
    app.sigint.data = app.sigterm.data = &app;
    uv_signal_start(&app.sigint, on_signal, SIGINT);
    uv_signal_start(&app.sigterm, on_signal, SIGTERM);

    uint64_t t0 = uv_hrtime();
    sched_start(app.sched, res, cfg->resume ? &done : NULL);
    uv_run(&app.loop, UV_RUN_DEFAULT);
    double elapsed = (double)(uv_hrtime() - t0) / 1e9;

    write_failed = results_sync(res) != 0;
    if (write_failed && !sched_results_failed(app.sched))
        log_error("%s", results_error(res));
    const struct run_counts *counts = sched_counts(app.sched);
    print_summary(counts, elapsed);
    if (sched_accounts(app.sched, 0, NULL, NULL) > 1)
        sched_accounts(app.sched, 50, print_account_summary, NULL);
    rc = exit_code(sched_stop_reason(app.sched), write_failed, counts);
    rc = write_reports(cfg, app.sched, started, rc, planned > 0 ? &id : NULL);
    reported = 1;
    if (rc != EXIT_OK && rc != EXIT_USAGE && !cfg->dry_run &&
        status_count(counts->by_status, STC_RETRY))
        log_info("rows to run again are in '%s'", cfg->retry_log);
    uv_close((uv_handle_t *)&app.sigint, NULL);
    uv_close((uv_handle_t *)&app.sigterm, NULL);
    uv_run(&app.loop, UV_RUN_DEFAULT);
    /* Everything is recorded and reported; what is left is freeing memory. A
     * signal now would only turn the exit status into "killed". */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    sched_free(app.sched);
    if (uv_loop_close(&app.loop) != 0)
        log_warn("event loop closed with handles still open");
out:
    if (!reported)
        rc = write_reports(cfg, NULL, started, rc, planned > 0 ? &id : NULL);
    /* A failure already said, and already in rc, is not a new cause; a new one
     * fails a run that nothing had stopped. */
    if (res && results_close(res) != 0 && !write_failed) {
        log_error("cannot close the results files");
        if (rc == EXIT_OK || rc == EXIT_SOME_FAILED)
            rc = EXIT_USAGE;
    }
    csvin_close(in);
    if (fp)
        fclose(fp);
    if (lock_fd >= 0)
        close(lock_fd);
    pairset_free(&done);
    free(token);
    return rc;
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[600];
    if (config_parse(&cfg, argc, argv, getenv("TRUTO_BASE_URL"), err, sizeof err) != 0) {
        log_error("%s", err);
        return EXIT_USAGE;
    }
    if (cfg.help) {
        fputs(cfg.command == CMD_RUN ? config_usage() : config_usage_plan(), stdout);
        return EXIT_OK;
    }
    if (cfg.version) {
        printf("grouprm %s\n", GROUPRM_VERSION);
        return EXIT_OK;
    }
    log_set_level(cfg.quiet ? LOG_QUIET : cfg.verbose ? LOG_VERBOSE : LOG_NORMAL);
    log_set_json(cfg.log_json);
    CURLU *url = curl_url();
    CURLUcode uc = url ? curl_url_set(url, CURLUPART_URL, cfg.base_url, 0) : CURLUE_OUT_OF_MEMORY;
    curl_url_cleanup(url);
    if (uc != CURLUE_OK) {
        log_error("bad base URL '%s': %s", cfg.base_url, curl_url_strerror(uc));
        return EXIT_USAGE;
    }
    if (cfg.cacert && access(cfg.cacert, R_OK) != 0) {
        log_error("cannot read --cacert '%s': %s", cfg.cacert, strerror(errno));
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit must surface as a write error (EFBIG), which stops the
     * run cleanly, not kill the process between a request and its record. */
    signal(SIGXFSZ, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return EXIT_USAGE;
    }
    int rc;
    if (cfg.command == CMD_RUN) {
        rc = run(&cfg);
    } else {
        char *token = read_token(&cfg);
        rc = !token ? EXIT_USAGE
             : cfg.command == CMD_PLAN ? directory_plan(&cfg, token) : directory_check(&cfg, token);
        if (token)
            memset(token, 0, strlen(token));
        free(token);
    }
    curl_global_cleanup();
    return rc;
}
