/* results.c: the results CSV and the retry log. See results.h. */
#include "results.h"
#include "buf.h"
#include "grow.h"
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

/* Each file's lines wait in the module's own buffer, not stdio's, so that a
 * failed write tells exactly how many bytes reached the file and therefore which
 * lines are whole: a row is counted only once its line is there. */
struct outfile {
    int fd;                    /* -1: not open */
    char *path;
    struct buf data;           /* whole lines not written yet */
    size_t *ends;              /* where each of them ends in data, ascending */
    size_t nends, ends_cap;
    off_t size;                /* the file's length: whole lines, unless a cut failed */
};

/* A row whose results line waits in out.data: what the caller hears of it. */
struct pending {
    enum status status;
    void *tag;
    size_t retry_lines;        /* retry.nends once its retry line, if any, was added */
};

struct results {
    struct outfile out, retry;
    struct pending *pend;      /* one per line in out.data (out.nends of them) */
    size_t pend_cap;
    results_settled_fn *settled;
    void *settled_ctx;
    ssize_t (*write_fn)(int fd, const void *p, size_t n);
    int failed;
    char err[512];
    struct rfc3339_cache when; /* finished_at's date and time, formatted once a second */
};

/* Buffered bytes at which results_write flushes on its own. A loop turn's rows
 * (up to --concurrency lines) fit below it, so each flush is one write. */
enum { FLUSH_AT = 64 * 1024 };

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

/* The first error is the one kept; every later call fails. */
static int write_fail(struct results *r, const char *path, int e)
{
    if (!r->failed)
        snprintf(r->err, sizeof r->err, "cannot write '%s': %s", path,
                 e ? strerror(e) : "write error");
    r->failed = 1;
    return -1;
}

/* Hands p[0..len) to the kernel, through short writes and EINTR. Returns the
 * bytes that reached the file; fewer than len is an error, errno set. */
static size_t write_all(const struct results *r, int fd, const char *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = r->write_fn(fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0)
                errno = EIO;  /* no progress and no reason: do not spin */
            break;
        }
    }
    return done;
}

size_t results_whole_lines(const size_t *ends, size_t n, size_t written)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ends[mid] <= written)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Writes f's first `lines` buffered lines in one write and empties its buffer
 * (what was not asked for, or did not make it, is lost: a failure is sticky).
 * Returns how many of those lines are whole in the file. After a failure a torn
 * line is cut off so that the file ends at a line boundary; should the cut fail
 * too, the torn line stays: the resume reader (results_read_done) ignores a
 * last line without its newline, as after a kill mid-write. */
static size_t flush_file(struct results *r, struct outfile *f, size_t lines)
{
    size_t len = lines ? f->ends[lines - 1] : 0;
    size_t wrote = write_all(r, f->fd, f->data.p, len);
    size_t whole_n = results_whole_lines(f->ends, lines, wrote);
    size_t whole = whole_n ? f->ends[whole_n - 1] : 0;
    if (wrote < len) {
        write_fail(r, f->path, errno);
        if (wrote > whole && ftruncate(f->fd, f->size + (off_t)whole) != 0) {
            /* The torn line stays (see above). */
        }
    }
    f->size += (off_t)whole;
    buf_reset(&f->data);
    f->nends = 0;
    return whole_n;
}

static void settle(struct results *r, enum status st, void *tag, int recorded)
{
    if (r->settled)
        r->settled(r->settled_ctx, st, tag, recorded);
}

/* Writes the pending lines whatever r->failed says, and tells the caller each
 * row's fate. The retry log takes the lines of the rows now in the results file
 * and no others, so that it never holds a row the results do not; a row whose
 * retry line is lost is still recorded (its results line is in, and --resume runs
 * it again), and the error stops the run. */
static int flush_pending(struct results *r)
{
    size_t n = r->out.nends;
    size_t recorded = flush_file(r, &r->out, n);
    flush_file(r, &r->retry, recorded ? r->pend[recorded - 1].retry_lines : 0);
    for (size_t i = 0; i < n; i++)
        settle(r, r->pend[i].status, r->pend[i].tag, i < recorded);
    return r->failed ? -1 : 0;
}

/* keep > 0: keep that many bytes of an existing file (whole lines, found by
 * results_read_done) and append after them; -1 (or 0): start the file afresh. */
static int create(struct results *r, struct outfile *f, const char *path, const char *header,
                  long keep)
{
    f->fd = -1;
    if (!(f->path = strdup(path))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    if (results_make_parent_dirs(path) != 0) {
        snprintf(r->err, sizeof r->err, "cannot create the folder for '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    if (keep > 0) {
        f->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (f->fd < 0 || ftruncate(f->fd, keep) != 0 || lseek(f->fd, 0, SEEK_END) < 0) {
            snprintf(r->err, sizeof r->err, "cannot reopen '%s': %s", path, strerror(errno));
            return -1;
        }
        f->size = keep;
        return 0;
    }
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        snprintf(r->err, sizeof r->err, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(header);
    if (write_all(r, f->fd, header, len) != len) {
        snprintf(r->err, sizeof r->err, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    f->size = (off_t)len;
    return 0;
}

/* Frees f, closing it if results_close did not. */
static void free_file(struct outfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f->ends);
    buf_free(&f->data);
}

static void results_free(struct results *r)
{
    free_file(&r->out);
    free_file(&r->retry);
    free(r->pend);
    free(r);
}

/* One way out on failure: results_free frees whatever was made (a file not yet
 * opened has fd -1, a path not yet copied is NULL). */
struct results *results_open(const char *path, const char *retry_path, long keep, char *err,
                             size_t errlen)
{
    struct results *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->out.fd = r->retry.fd = -1;
    r->write_fn = write;
    if (create(r, &r->out, path, RESULTS_HEADER, keep) != 0 ||
        create(r, &r->retry, retry_path, RETRY_HEADER, -1) != 0)
        goto fail;
    return r;
fail:
    snprintf(err, errlen, "%s", r->err);
    results_free(r);
    return NULL;
}

void results_on_settled(struct results *r, results_settled_fn *fn, void *ctx)
{
    r->settled = fn;
    r->settled_ctx = ctx;
}

void results_set_writer(struct results *r, ssize_t (*fn)(int fd, const void *p, size_t n))
{
    r->write_fn = fn ? fn : write;
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

/* Room for one more row in every array results_write appends to. */
static int room_for_row(struct results *r)
{
    size_t n = r->out.nends;
    void *p = grow_room(r->pend, n, &r->pend_cap, sizeof *r->pend, 256);
    if (!p)
        return -1;
    r->pend = p;
    if (!(p = grow_room(r->out.ends, n, &r->out.ends_cap, sizeof *r->out.ends, 256)))
        return -1;
    r->out.ends = p;
    if (!(p = grow_room(r->retry.ends, r->retry.nends, &r->retry.ends_cap,
                        sizeof *r->retry.ends, 256)))
        return -1;
    r->retry.ends = p;
    return 0;
}

/* Puts the buffer back to len bytes (dropping a half-built line). */
static void cut_back(struct buf *b, size_t len)
{
    if (b->p) {
        b->len = len;
        b->p[len] = '\0';
    }
}

/* Lines are built by hand in the files' buffers (no stdio formatting: this runs
 * once per row); whole ones only are marked as lines. */
int results_write(struct results *r, const struct row_result *row)
{
    if (r->failed) {
        settle(r, row->status, row->tag, 0);
        return -1;
    }
    struct buf *b = &r->out.data, *rb = &r->retry.data;
    size_t out_start = b->len, retry_start = rb->len;
    const char *oom_path = r->out.path;
    if (room_for_row(r) != 0)
        goto oom;
    char when[RFC3339_LEN + 1];
    rfc3339_format_cached(&r->when, row->finished_at, when);
    if (put_num(b, row->line, 0, 1) ||
        results_csv_put_field(b, row->group_id, row->group_len, 0) ||
        results_csv_put_field(b, row->user_id, row->user_len, 0) ||
        results_csv_put_field(b, row->account, row->account_len, 0) ||
        put_str(b, status_name(row->status)) ||
        put_num(b, (unsigned long)row->http_status, 1, 0) ||
        put_num(b, row->attempts, 0, 0) ||
        put_num(b, row->latency_ms, row->attempts == 0, 0) ||
        put_str(b, row->error) || put_str(b, when) || buf_append(b, "\n", 1))
        goto oom;
    int retryable = results_is_retryable(row->status);
    oom_path = r->retry.path;
    if (retryable &&
        (results_csv_put_field(rb, row->group_id, row->group_len, 1) ||
         results_csv_put_field(rb, row->user_id, row->user_len, 0) ||
         results_csv_put_field(rb, row->account, row->account_len, 0) ||
         put_str(rb, row->reason ? row->reason : status_name(row->status)) ||
         put_num(rb, (unsigned long)row->http_status, 1, 0) || put_num(rb, row->attempts, 0, 0) ||
         put_str(rb, row->error) || buf_append(rb, "\n", 1)))
        goto oom;
    r->out.ends[r->out.nends] = b->len;
    if (retryable)
        r->retry.ends[r->retry.nends++] = rb->len;
    r->pend[r->out.nends++] =
        (struct pending){.status = row->status, .tag = row->tag, .retry_lines = r->retry.nends};
    if (b->len >= FLUSH_AT || rb->len >= FLUSH_AT)
        return flush_pending(r);
    return 0;
oom:
    /* This row is lost; those before it are whole and still go out. */
    cut_back(b, out_start);
    cut_back(rb, retry_start);
    settle(r, row->status, row->tag, 0);
    flush_pending(r);
    return write_fail(r, oom_path, ENOMEM);
}

int results_flush(struct results *r)
{
    if (r->failed)
        return -1;
    return flush_pending(r);
}

int results_sync(struct results *r)
{
    if (results_flush(r) != 0)
        return -1;
    if (fsync(r->out.fd) != 0)
        return write_fail(r, r->out.path, errno);
    if (fsync(r->retry.fd) != 0)
        return write_fail(r, r->retry.path, errno);
    return 0;
}

int results_close(struct results *r)
{
    if (!r)
        return 0;
    int rc = results_sync(r);
    if (close(r->out.fd) != 0 && rc == 0)
        rc = write_fail(r, r->out.path, errno);
    if (close(r->retry.fd) != 0 && rc == 0)
        rc = write_fail(r, r->retry.path, errno);
    r->out.fd = r->retry.fd = -1;
    results_free(r);
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
