/* results.c: the results CSV and the retry log. See results.h. */
#include "results.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct results {
    FILE *out, *retry;
    char *out_path, *retry_path;
    int failed;
    char err[512];
};

static const char RESULTS_HEADER[] =
    "line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,error,finished_at\n";
static const char RETRY_HEADER[] =
    "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n";

int make_parent_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    char *slash = strrchr(p, '/');
    if (!slash || slash == p) {
        free(p);
        return 0;
    }
    *slash = '\0';
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char keep = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                errno = e;
                return -1;
            }
            *s = keep;
            if (keep == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

void format_rfc3339(double epoch, char *buf, size_t len)
{
    time_t secs = (time_t)epoch;
    int ms = (int)((epoch - (double)secs) * 1000.0);
    if (ms < 0)
        ms = 0;
    if (ms > 999)
        ms = 999;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static FILE *create(struct results *r, const char *path, const char *header)
{
    if (make_parent_dirs(path) != 0) {
        snprintf(r->err, sizeof r->err, "cannot create the folder for '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(r->err, sizeof r->err, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fputs(header, f) == EOF || fflush(f) != 0) {
        snprintf(r->err, sizeof r->err, "cannot write '%s': %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

struct results *results_open(const char *path, const char *retry_path, char *err, size_t errlen)
{
    struct results *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->out_path = strdup(path);
    r->retry_path = strdup(retry_path);
    if (!r->out_path || !r->retry_path)
        snprintf(r->err, sizeof r->err, "out of memory");
    else if ((r->out = create(r, path, RESULTS_HEADER)))
        r->retry = create(r, retry_path, RETRY_HEADER);
    if (!r->retry) {
        snprintf(err, errlen, "%s", r->err);
        if (r->out)
            fclose(r->out);
        free(r->out_path);
        free(r->retry_path);
        free(r);
        return NULL;
    }
    return r;
}

/* A field needs quotes when a reader would otherwise change it. */
static int needs_quotes(const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n' ||
            s[i] == '\t')
            return 1;
    return 0;
}

static int put_field(FILE *f, const char *s, size_t n, int first)
{
    if (!first && putc(',', f) == EOF)
        return -1;
    if (needs_quotes(s, n))
        return csv_fwrite(f, s, n) == 0 ? 0 : -1;
    return n == 0 || fwrite(s, 1, n, f) == n ? 0 : -1;
}

static int put_str(FILE *f, const char *s)
{
    return put_field(f, s ? s : "", s ? strlen(s) : 0, 0);
}

static int put_num(FILE *f, unsigned long v, int empty_if_zero)
{
    if (empty_if_zero && v == 0)
        return putc(',', f) == EOF ? -1 : 0;
    return fprintf(f, ",%lu", v) < 0 ? -1 : 0;
}

int results_is_retryable(enum status s)
{
    return s == ST_FAILED || s == ST_NOT_ATTEMPTED || s == ST_INTERRUPTED;
}

static int write_fail(struct results *r, const char *path)
{
    if (!r->failed)
        snprintf(r->err, sizeof r->err, "cannot write '%s': %s", path,
                 errno ? strerror(errno) : "write error");
    r->failed = 1;
    return -1;
}

int results_write(struct results *r, const struct row_result *row)
{
    if (r->failed)
        return -1;
    char when[40];
    format_rfc3339(row->finished_at, when, sizeof when);
    FILE *f = r->out;
    errno = 0;
    if (fprintf(f, "%lu", row->line) < 0 ||
        put_field(f, row->group_id, row->group_len, 0) ||
        put_field(f, row->user_id, row->user_len, 0) ||
        put_field(f, row->account, row->account_len, 0) ||
        put_str(f, status_name(row->status)) ||
        put_num(f, (unsigned long)row->http_status, 1) ||
        put_num(f, row->attempts, 0) ||
        put_num(f, row->latency_ms, row->attempts == 0) ||
        put_str(f, row->error) || put_str(f, when) || putc('\n', f) == EOF ||
        fflush(f) != 0)
        return write_fail(r, r->out_path);

    if (!results_is_retryable(row->status))
        return 0;
    f = r->retry;
    if (put_field(f, row->group_id, row->group_len, 1) ||
        put_field(f, row->user_id, row->user_len, 0) ||
        put_field(f, row->account, row->account_len, 0) ||
        put_str(f, row->reason ? row->reason : status_name(row->status)) ||
        put_num(f, (unsigned long)row->http_status, 1) || put_num(f, row->attempts, 0) ||
        put_str(f, row->error) || putc('\n', f) == EOF || fflush(f) != 0)
        return write_fail(r, r->retry_path);
    return 0;
}

int results_sync(struct results *r)
{
    if (r->failed)
        return -1;
    errno = 0;
    if (fflush(r->out) != 0 || fsync(fileno(r->out)) != 0)
        return write_fail(r, r->out_path);
    if (fflush(r->retry) != 0 || fsync(fileno(r->retry)) != 0)
        return write_fail(r, r->retry_path);
    return 0;
}

int results_close(struct results *r)
{
    if (!r)
        return 0;
    int rc = results_sync(r);
    if (fclose(r->out) != 0 && rc == 0)
        rc = write_fail(r, r->out_path);
    if (fclose(r->retry) != 0 && rc == 0)
        rc = write_fail(r, r->retry_path);
    free(r->out_path);
    free(r->retry_path);
    free(r);
    return rc;
}

const char *results_error(const struct results *r) { return r->err; }
