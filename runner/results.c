/* results.c: the results CSV and the retry log. See results.h. */
#include "results.h"
#include "buf.h"
#include "rfc3339.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct results {
    FILE *out, *retry;
    char *out_path, *retry_path;
    int failed;
    char err[512];
    struct buf line;           /* the line being built, reused */
    struct rfc3339_cache when; /* finished_at's date and time, formatted once a second */
};

static const char RESULTS_HEADER[] =
    "line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,error,finished_at\n";
static const char RETRY_HEADER[] =
    "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n";

int results_make_parent_dirs(const char *path)
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

/* A loop turn's rows (up to --concurrency lines) fit in one buffer, so each
 * flush is one write. */
static FILE *buffered(FILE *f)
{
    if (f)
        setvbuf(f, NULL, _IOFBF, 64 * 1024);  /* before any other use of f */
    return f;
}

/* keep >= 0: keep that many bytes of an existing file (whole lines, found by
 * results_read_done) and append after them; -1 (or 0): start the file afresh. */
static FILE *create(struct results *r, const char *path, const char *header, long keep)
{
    if (results_make_parent_dirs(path) != 0) {
        snprintf(r->err, sizeof r->err, "cannot create the folder for '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    if (keep > 0) {
        FILE *f = buffered(fopen(path, "r+"));
        if (!f || ftruncate(fileno(f), keep) != 0 || fseek(f, 0, SEEK_END) != 0) {
            snprintf(r->err, sizeof r->err, "cannot reopen '%s': %s", path, strerror(errno));
            if (f)
                fclose(f);
            return NULL;
        }
        return f;
    }
    FILE *f = buffered(fopen(path, "w"));
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

struct results *results_open(const char *path, const char *retry_path, long keep, char *err,
                             size_t errlen)
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
    else if ((r->out = create(r, path, RESULTS_HEADER, keep)))
        r->retry = create(r, retry_path, RETRY_HEADER, -1);
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

/* Lines are built in r->line by hand (no stdio formatting: this runs once per
 * row), then handed to the FILE in one fwrite. */
int results_csv_put_field(struct buf *b, const char *s, size_t n, int first)
{
    if (!first && buf_append(b, ",", 1) != 0)
        return -1;
    if (!needs_quotes(s, n))
        return buf_append(b, s, n);
    if (buf_append(b, "\"", 1) != 0)
        return -1;
    for (const char *q; (q = memchr(s, '"', n)) != NULL; n -= (size_t)(q + 1 - s), s = q + 1)
        if (buf_append(b, s, (size_t)(q + 1 - s)) != 0 || buf_append(b, "\"", 1) != 0)
            return -1;
    return buf_append(b, s, n) != 0 || buf_append(b, "\"", 1) != 0 ? -1 : 0;
}

static int put_str(struct buf *b, const char *s)
{
    return results_csv_put_field(b, s ? s : "", s ? strlen(s) : 0, 0);
}

static int put_num(struct buf *b, unsigned long v, int empty_if_zero, int first)
{
    if (!first && buf_append(b, ",", 1) != 0)
        return -1;
    if (empty_if_zero && v == 0)
        return 0;
    char d[24];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return buf_append(b, d + i, sizeof d - i);
}

int results_is_retryable(enum status s) { return status_is(s, STC_RETRY); }

static int write_fail(struct results *r, const char *path)
{
    if (!r->failed)
        snprintf(r->err, sizeof r->err, "cannot write '%s': %s", path,
                 errno ? strerror(errno) : "write error");
    r->failed = 1;
    return -1;
}

static int emit(struct results *r, FILE *f, const char *path)
{
    errno = 0;
    if (fwrite(r->line.p, 1, r->line.len, f) != r->line.len)
        return write_fail(r, path);
    return 0;
}

int results_write(struct results *r, const struct row_result *row)
{
    if (r->failed)
        return -1;
    char when[RFC3339_LEN + 1];
    rfc3339_format_cached(&r->when, row->finished_at, when);
    struct buf *b = &r->line;
    buf_reset(b);
    if (put_num(b, row->line, 0, 1) ||
        results_csv_put_field(b, row->group_id, row->group_len, 0) ||
        results_csv_put_field(b, row->user_id, row->user_len, 0) ||
        results_csv_put_field(b, row->account, row->account_len, 0) ||
        put_str(b, status_name(row->status)) ||
        put_num(b, (unsigned long)row->http_status, 1, 0) ||
        put_num(b, row->attempts, 0, 0) ||
        put_num(b, row->latency_ms, row->attempts == 0, 0) ||
        put_str(b, row->error) || put_str(b, when) || buf_append(b, "\n", 1)) {
        errno = ENOMEM;
        return write_fail(r, r->out_path);
    }
    if (emit(r, r->out, r->out_path) != 0)
        return -1;

    if (!results_is_retryable(row->status))
        return 0;
    buf_reset(b);
    if (results_csv_put_field(b, row->group_id, row->group_len, 1) ||
        results_csv_put_field(b, row->user_id, row->user_len, 0) ||
        results_csv_put_field(b, row->account, row->account_len, 0) ||
        put_str(b, row->reason ? row->reason : status_name(row->status)) ||
        put_num(b, (unsigned long)row->http_status, 1, 0) || put_num(b, row->attempts, 0, 0) ||
        put_str(b, row->error) || buf_append(b, "\n", 1)) {
        errno = ENOMEM;
        return write_fail(r, r->retry_path);
    }
    return emit(r, r->retry, r->retry_path);
}

int results_flush(struct results *r)
{
    if (r->failed)
        return -1;
    errno = 0;
    if (fflush(r->out) != 0)
        return write_fail(r, r->out_path);
    if (fflush(r->retry) != 0)
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
    buf_free(&r->line);
    free(r);
    return rc;
}

const char *results_error(const struct results *r) { return r->err; }

/* ---- resume ------------------------------------------------------------ */

enum { COL_GROUP = 1, COL_USER = 2, COL_ACCOUNT = 3, COL_STATUS = 4, RESULT_COLS = 10 };

struct reader {
    struct pairset *done;
    char *cell[RESULT_COLS];
    size_t len[RESULT_COLS];
    size_t field;
    unsigned long rows;
    int header_ok, oom;
    int is_header;
    unsigned long ended;  /* rows ended by a newline, header included */
};

static void rd_field(void *s, size_t len, void *data)
{
    struct reader *rd = data;
    size_t i = rd->field++;
    if (i >= RESULT_COLS)
        return;
    char *p = malloc(len + 1);
    if (!p) {
        rd->oom = 1;
        return;
    }
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    free(rd->cell[i]);
    rd->cell[i] = p;
    rd->len[i] = len;
}

static void rd_row(int term, void *data)
{
    struct reader *rd = data;
    size_t nf = rd->field;
    rd->field = 0;
    if (term == -1)
        return;  /* ended by the end of the file, not a newline: torn */
    rd->ended++;
    if (rd->is_header) {
        rd->is_header = 0;
        rd->header_ok = nf == RESULT_COLS && rd->cell[0] && strcmp(rd->cell[0], "line") == 0 &&
                        rd->cell[COL_STATUS] && strcmp(rd->cell[COL_STATUS], "status") == 0;
        return;
    }
    if (nf != RESULT_COLS)
        return;  /* not a whole results line: ignore it */
    rd->rows++;
    enum status st;
    if (!status_from_name(rd->cell[COL_STATUS], rd->len[COL_STATUS], &st) ||
        !status_is(st, STC_DONE))
        return;
    struct pair_key k;
    pair_key_of(&k, rd->cell[COL_ACCOUNT], rd->len[COL_ACCOUNT], rd->cell[COL_GROUP],
                rd->len[COL_GROUP], rd->cell[COL_USER], rd->len[COL_USER]);
    if (pairset_add(rd->done, &k) < 0)
        rd->oom = 1;
}

int results_read_done(const char *path, struct pairset *done, unsigned long *lines, long *keep,
                      char *err, size_t errlen)
{
    *keep = -1;
    *lines = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser p;
    struct reader rd;
    memset(&rd, 0, sizeof rd);
    rd.done = done;
    rd.is_header = 1;
    int rc = 0;
    if (csv_init(&p, 0) != 0) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Fed one line at a time, so that after each piece we know whether a row
     * ended in it: the file is whole up to the last such piece. Whatever
     * follows was torn by a kill in the middle of a write. */
    char buf[65536];
    size_t n;
    long off = 0, whole = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && !rd.oom) {
        size_t pos = 0;
        while (pos < n) {
            char *nl = memchr(buf + pos, '\n', n - pos);
            size_t piece = nl ? (size_t)(nl - (buf + pos)) + 1 : n - pos;
            unsigned long before = rd.ended;
            if (csv_parse(&p, buf + pos, piece, rd_field, rd_row, &rd) != piece)
                break;
            pos += piece;
            off += (long)piece;
            if (rd.ended != before)
                whole = off;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        rc = -1;
    }
    csv_fini(&p, rd_field, rd_row, &rd);
    csv_free(&p);
    fclose(f);
    for (size_t i = 0; i < RESULT_COLS; i++)
        free(rd.cell[i]);
    if (rc == 0 && rd.oom) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        rc = -1;
    }
    if (rc == 0 && !rd.header_ok && (rd.rows || !rd.is_header)) {
        snprintf(err, errlen, "'%s' is not a grouprm results file", path);
        rc = -1;
    }
    *keep = rc == 0 ? whole : -1;
    *lines = rd.rows;
    return rc;
}

/* ---- the lock ------------------------------------------------------------- */

int results_lock(const char *path, int *busy, char *err, size_t errlen)
{
    char lock[4096];
    *busy = 0;
    snprintf(lock, sizeof lock, "%s.lock", path);
    if (results_make_parent_dirs(lock) != 0) {
        snprintf(err, errlen, "cannot create the folder for '%s': %s", lock, strerror(errno));
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK) {
            *busy = 1;
            snprintf(err, errlen,
                     "'%s' is in use by another grouprm (pid %s): wait for it to finish, or "
                     "give this run another --output",
                     path, pid[0] ? pid : "unknown");
        } else {
            snprintf(err, errlen, "cannot lock '%s': %s", lock, strerror(e));
        }
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write '%s': %s", lock, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- an earlier run's rows, and whole-file writes ---------------------- */

long results_rows(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);  /* a device or a pipe holds no earlier run */
        return 0;
    }
    long lines = 0;
    int c, last = '\n';
    while ((c = getc(f)) != EOF) {
        if (c == '\n')
            lines++;
        last = c;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "cannot read '%s'", path);
        return -1;
    }
    if (last != '\n')
        lines++;  /* a last line cut short by a crash is a row too */
    return lines > 0 ? lines - 1 : 0;
}

int results_write_file_atomic(const char *path, const char *data, size_t len, char *err,
                              size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (results_make_parent_dirs(path) != 0) {
        snprintf(err, errlen, "cannot create the folder for '%s': %s", path, strerror(errno));
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(data, 1, len, f) == len;
    ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- the state file ---------------------------------------------------- */

int results_state_write(const char *results_path, const struct input_id *id, char *err, size_t errlen)
{
    char path[4096], text[320];
    snprintf(path, sizeof path, "%s.state", results_path);
    int n = snprintf(text, sizeof text, "grouprm-state 1\ninput_size %llu\ninput_sha256 %s\n",
                     (unsigned long long)id->size, id->sha256);
    if (id->columns[0] && n > 0 && (size_t)n < sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "input_columns %s\n", id->columns);
    return results_write_file_atomic(path, text, (size_t)n, err, errlen);
}

int results_state_read(const char *results_path, struct input_id *id, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.state", results_path);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    unsigned long long size;
    int version;
    int n = fscanf(f, "grouprm-state %d input_size %llu input_sha256 %64s", &version, &size,
                   id->sha256);
    id->columns[0] = '\0';
    /* Written only for a mapped run: absent, the columns had their own names. */
    if (n == 3 && fscanf(f, " input_columns %64s", id->columns) != 1)
        id->columns[0] = '\0';
    fclose(f);
    if (n != 3 || version != 1 || strlen(id->sha256) != 64 ||
        (id->columns[0] && strlen(id->columns) != 64)) {
        snprintf(err, errlen, "'%s' is not a grouprm state file", path);
        return -1;
    }
    id->size = size;
    return 1;
}
