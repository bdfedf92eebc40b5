/* test_results.c: the results writer, the resume reader (torn rows), the state
 * file and the lock, on files in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"

struct dir {
    char path[64], out[128], retry[128];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    strcpy(d->path, "/tmp/grouprm-test-XXXXXX");
    if (!d || !mkdtemp(d->path))
        return -1;
    snprintf(d->out, sizeof d->out, "%s/sub/results.csv", d->path);
    snprintf(d->retry, sizeof d->retry, "%s/sub/retry.csv", d->path);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
    int rc = system(cmd);
    free(d);
    return rc == 0 ? 0 : -1;
}

static void put(struct results *r, unsigned long line, const char *g, const char *u,
                enum status st)
{
    struct row_result row = {
        .line = line, .group_id = g, .group_len = strlen(g), .user_id = u,
        .user_len = strlen(u), .account = "acct", .account_len = 4, .status = st,
        .http_status = st == ST_REMOVED ? 200 : 403, .attempts = 1, .error = "",
        .finished_at = 1764336000.5,
    };
    assert_int_equal(results_write(r, &row), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_rows_written_quoted_when_needed(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct results *r = results_open(d->out, d->retry, -1, err, sizeof err);
    assert_non_null(r);
    put(r, 2, "g1", "u1", ST_REMOVED);
    put(r, 3, "g,2", "say \"hi\"", ST_FAILED);
    assert_int_equal(results_close(r), 0);
    const char *out = slurp(d->out);
    assert_string_equal(out,
        "line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,"
        "error,finished_at\n"
        "2,g1,u1,acct,removed,200,1,0,,2025-11-28T13:20:00.500Z\n"
        "3,\"g,2\",\"say \"\"hi\"\"\",acct,failed,403,1,0,,2025-11-28T13:20:00.500Z\n");
    const char *retry = slurp(d->retry);
    assert_string_equal(retry,
        "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n"
        "\"g,2\",\"say \"\"hi\"\"\",acct,failed,403,1,\n");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char HEADER[] =
    "line,group_id,user_id,integrated_account_id,status,http_status,attempts,latency_ms,"
    "error,finished_at\n";

/* Done pairs are those removed or not_found; a torn last row is not counted and
 * is cut off before appending, even when it was torn inside a quoted newline. */
static void test_resume_reads_done_and_cuts_torn_row(void **state)
{
    struct dir *d = *state;
    char err[256], text[1024];
    assert_int_equal(results_make_parent_dirs(d->out), 0);
    snprintf(text, sizeof text, "%s%s", HEADER,
             "2,g1,u1,acct,removed,200,1,3,,2026-01-01T00:00:00.000Z\n"
             "3,g2,u2,acct,failed,403,1,3,x,2026-01-01T00:00:00.000Z\n"
             "4,g3,u3,acct,not_found,404,1,3,,2026-01-01T00:00:00.000Z\n"
             "5,\"g\n4\",u4,acct,remov");
    write_file(d->out, text);
    struct pairset done;
    pairset_init(&done);
    unsigned long lines;
    long keep;
    assert_int_equal(results_read_done(d->out, &done, &lines, &keep, err, sizeof err), 0);
    assert_int_equal(lines, 3);
    assert_int_equal(done.n, 2);
    struct pair_key k;
    pair_key_of(&k, "acct", 4, "g1", 2, "u1", 2);
    assert_true(pairset_has(&done, &k));
    pair_key_of(&k, "acct", 4, "g2", 2, "u2", 2);
    assert_false(pairset_has(&done, &k));
    pair_key_of(&k, "acct", 4, "g3", 2, "u3", 2);
    assert_true(pairset_has(&done, &k));
    /* Appending keeps the whole rows and drops the torn one. */
    assert_int_equal(keep, (long)(strlen(text) - strlen("5,\"g\n4\",u4,acct,remov")));
    struct results *r = results_open(d->out, d->retry, keep, err, sizeof err);
    assert_non_null(r);
    put(r, 5, "g4", "u4", ST_REMOVED);
    assert_int_equal(results_close(r), 0);
    const char *out = slurp(d->out);
    assert_null(strstr(out, "remov\n"));
    assert_non_null(strstr(out, "2026-01-01T00:00:00.000Z\n5,g4,u4,acct,removed"));
    pairset_free(&done);
}

static void test_resume_without_file_starts_afresh(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct pairset done;
    pairset_init(&done);
    unsigned long lines;
    long keep = 7;
    assert_int_equal(results_read_done(d->out, &done, &lines, &keep, err, sizeof err), 0);
    assert_int_equal(keep, -1);
    assert_int_equal(done.n, 0);
}

static void test_resume_refuses_other_csv(void **state)
{
    struct dir *d = *state;
    char err[256];
    assert_int_equal(results_make_parent_dirs(d->out), 0);
    write_file(d->out, "group_id,user_id\ng,u\n");
    struct pairset done;
    pairset_init(&done);
    unsigned long lines;
    long keep;
    assert_int_equal(results_read_done(d->out, &done, &lines, &keep, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a grouprm results file"));
    pairset_free(&done);
}

static void test_state_round_trip(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct input_id a = {.size = 12345}, b;
    memset(a.sha256, 'a', 64);
    a.sha256[64] = '\0';
    assert_int_equal(results_make_parent_dirs(d->out), 0);
    assert_int_equal(results_state_read(d->out, &b, err, sizeof err), 0);
    assert_int_equal(results_state_write(d->out, &a, err, sizeof err), 0);
    assert_int_equal(results_state_read(d->out, &b, err, sizeof err), 1);
    assert_int_equal(b.size, 12345);
    assert_string_equal(b.sha256, a.sha256);
}

/* The same process may not take its own lock twice through another descriptor:
 * flock locks belong to open file descriptions. */
static void test_lock_is_exclusive(void **state)
{
    struct dir *d = *state;
    char err[256];
    int busy;
    int fd = results_lock(d->out, &busy, err, sizeof err);
    assert_true(fd >= 0);
    assert_int_equal(results_lock(d->out, &busy, err, sizeof err), -1);
    assert_int_equal(busy, 1);
    char want[64];
    snprintf(want, sizeof want, "(pid %ld)", (long)getpid());
    assert_non_null(strstr(err, want));
    close(fd);
    fd = results_lock(d->out, &busy, err, sizeof err);
    assert_true(fd >= 0);
    close(fd);
}

static void test_write_error_is_sticky(void **state)
{
    (void)state;
    char err[256];
    struct results *r = results_open("/dev/full", "/dev/null", -1, err, sizeof err);
    assert_null(r);
    assert_non_null(strstr(err, "cannot write '/dev/full'"));
}

/* ---- which lines are whole, and what the caller hears ------------------ */

static void test_whole_lines_counts_lines_ended_within_the_bytes(void **state)
{
    (void)state;
    const size_t ends[] = {10, 25, 40};
    assert_int_equal(results_whole_lines(ends, 0, 100), 0);
    assert_int_equal(results_whole_lines(ends, 3, 0), 0);
    assert_int_equal(results_whole_lines(ends, 3, 9), 0);
    assert_int_equal(results_whole_lines(ends, 3, 10), 1);
    assert_int_equal(results_whole_lines(ends, 3, 24), 1);
    assert_int_equal(results_whole_lines(ends, 3, 25), 2);
    assert_int_equal(results_whole_lines(ends, 3, 39), 2);
    assert_int_equal(results_whole_lines(ends, 3, 40), 3);
    assert_int_equal(results_whole_lines(ends, 2, 40), 2);
}

/* What the settled callback heard, in order. */
struct heard {
    size_t n, recorded;
    long tag[16];
    int ok[16];
};

static void on_settled(void *ctx, enum status st, void *tag, int recorded)
{
    struct heard *h = ctx;
    (void)st;
    assert_true(h->n < 16);
    h->tag[h->n] = (long)(intptr_t)tag;
    h->ok[h->n++] = recorded;
    h->recorded += recorded != 0;
}

static void put_tagged(struct results *r, unsigned long line, const char *u, enum status st,
                       int want)
{
    struct row_result row = {
        .line = line, .group_id = "g", .group_len = 1, .user_id = u, .user_len = strlen(u),
        .account = "acct", .account_len = 4, .status = st, .http_status = 403, .attempts = 1,
        .error = "", .finished_at = 1764336000.5, .tag = (void *)(intptr_t)line,
    };
    assert_int_equal(results_write(r, &row), want);
}

/* The fake write(2): writes at most 7 bytes a call, and fails every other call
 * with EINTR; on the file with inode `target`, only `budget` more bytes go in,
 * then ENOSPC. */
static struct {
    ino_t target;
    long budget;
    int calls;
} fake;

static ssize_t fake_write(int fd, const void *p, size_t n)
{
    if (++fake.calls % 2 == 0) {
        errno = EINTR;
        return -1;
    }
    if (n > 7)
        n = 7;
    struct stat st;
    if (fake.target && fstat(fd, &st) == 0 && st.st_ino == fake.target) {
        if (fake.budget <= 0) {
            errno = ENOSPC;
            return -1;
        }
        if ((long)n > fake.budget)
            n = (size_t)fake.budget;
        fake.budget -= (long)n;
    }
    return write(fd, p, n);
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

static const char LINE2[] = "2,g,u1,acct,failed,403,1,0,,2025-11-28T13:20:00.500Z\n";

/* Short writes and EINTR lose nothing; rows are heard of only once flushed. */
static void test_rows_count_once_written_through_short_writes(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct results *r = results_open(d->out, d->retry, -1, err, sizeof err);
    assert_non_null(r);
    struct heard h = {0};
    results_on_settled(r, on_settled, &h);
    memset(&fake, 0, sizeof fake);
    results_set_writer(r, fake_write);
    put_tagged(r, 2, "u1", ST_FAILED, 0);
    put_tagged(r, 3, "u2", ST_REMOVED, 0);
    assert_int_equal(h.n, 0);  /* buffered: not in the file yet */
    assert_int_equal(results_flush(r), 0);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.recorded, 2);
    assert_int_equal(h.tag[0], 2);
    assert_int_equal(h.tag[1], 3);
    assert_true(fake.calls > 10);
    assert_int_equal(results_close(r), 0);
    char want[512];
    snprintf(want, sizeof want, "%s%s%s", HEADER, LINE2,
             "3,g,u2,acct,removed,403,1,0,,2025-11-28T13:20:00.500Z\n");
    assert_string_equal(slurp(d->out), want);
    assert_string_equal(slurp(d->retry),
                        "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n"
                        "g,u1,acct,failed,403,1,\n");
}

/* The disk fills in the middle of the second line: the first is recorded, the
 * torn one is cut off, and it and the third are heard of as not recorded; the
 * retry log holds only the rows the results do. */
static void test_failure_mid_line_records_whole_lines_only(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct results *r = results_open(d->out, d->retry, -1, err, sizeof err);
    assert_non_null(r);
    struct heard h = {0};
    results_on_settled(r, on_settled, &h);
    memset(&fake, 0, sizeof fake);
    fake.target = inode_of(d->out);
    fake.budget = (long)strlen(LINE2) + 5;
    results_set_writer(r, fake_write);
    put_tagged(r, 2, "u1", ST_FAILED, 0);
    put_tagged(r, 3, "u2", ST_FAILED, 0);
    put_tagged(r, 4, "u3", ST_FAILED, 0);
    assert_int_equal(results_flush(r), -1);
    assert_non_null(strstr(results_error(r), "No space left on device"));
    assert_int_equal(h.n, 3);
    assert_int_equal(h.recorded, 1);
    assert_true(h.ok[0] && !h.ok[1] && !h.ok[2]);
    assert_int_equal(h.tag[1], 3);
    /* Sticky: a later row is heard of at once, as not recorded. */
    put_tagged(r, 5, "u4", ST_REMOVED, -1);
    assert_int_equal(h.n, 4);
    assert_false(h.ok[3]);
    assert_int_equal(results_close(r), -1);
    char want[512];
    snprintf(want, sizeof want, "%s%s", HEADER, LINE2);
    assert_string_equal(slurp(d->out), want);
    assert_string_equal(slurp(d->retry),
                        "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n"
                        "g,u1,acct,failed,403,1,\n");
}

/* The retry log fills mid-line: the rows are in the results and count as
 * recorded; the retry log is cut back to its last whole line and the error is
 * kept. */
static void test_retry_log_failure_keeps_whole_lines(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct results *r = results_open(d->out, d->retry, -1, err, sizeof err);
    assert_non_null(r);
    struct heard h = {0};
    results_on_settled(r, on_settled, &h);
    memset(&fake, 0, sizeof fake);
    fake.target = inode_of(d->retry);
    fake.budget = (long)strlen("g,u1,acct,failed,403,1,\n") + 3;
    results_set_writer(r, fake_write);
    put_tagged(r, 2, "u1", ST_FAILED, 0);
    put_tagged(r, 3, "u2", ST_FAILED, 0);
    assert_int_equal(results_sync(r), -1);
    assert_non_null(strstr(results_error(r), "retry.csv"));
    assert_int_equal(h.recorded, 2);
    assert_int_equal(results_close(r), -1);
    assert_string_equal(slurp(d->retry),
                        "group_id,user_id,integrated_account_id,reason,http_status,attempts,error\n"
                        "g,u1,acct,failed,403,1,\n");
}

static void count_settled(void *ctx, enum status st, void *tag, int recorded)
{
    (void)st;
    (void)tag;
    assert_true(recorded);
    ++*(size_t *)ctx;
}

/* Rows pile up past the buffer's size without a flush: results_write writes
 * them itself, and they are heard of then. */
static void test_big_buffer_flushes_itself(void **state)
{
    struct dir *d = *state;
    char err[256];
    struct results *r = results_open(d->out, d->retry, -1, err, sizeof err);
    assert_non_null(r);
    size_t heard = 0;
    results_on_settled(r, count_settled, &heard);
    unsigned long n = 0;
    while (heard == 0 && n < 100000)
        put(r, ++n + 1, "g", "u", ST_REMOVED);
    assert_true(heard > 0);
    assert_int_equal(heard, n);  /* every row written so far, in one go */
    assert_int_equal(results_close(r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_written_quoted_when_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_reads_done_and_cuts_torn_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_without_file_starts_afresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_refuses_other_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_is_sticky, setup, teardown),
        cmocka_unit_test(test_whole_lines_counts_lines_ended_within_the_bytes),
        cmocka_unit_test_setup_teardown(test_rows_count_once_written_through_short_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_mid_line_records_whole_lines_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_log_failure_keeps_whole_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_big_buffer_flushes_itself, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
