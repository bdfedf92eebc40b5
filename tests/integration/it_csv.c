/* it_csv.c: hostile input files.
 *
 * Every input here is written byte for byte (no CSV writer), since the point is
 * the odd bytes. Each test asserts what reached the server (the mock's journal,
 * compared byte for byte), what grouprm wrote (results and retry log) and its exit
 * status. Covered:
 * - a UTF-8 BOM before the header; LF, CRLF and lone CR files and a mix of all
 *   three in one file, with blank lines, results numbering physical lines;
 * - quoted fields holding separators and doubled quotes, sent and written back
 *   byte-exact, and a retry log of such ids that runs again as an input unchanged;
 * - quoted newlines (LF, CRLF, CR) in an ignored column, counted as physical
 *   lines by later rows' results and messages;
 * - blank lines, whitespace-only lines and all-empty rows skipped, no final newline;
 * - blanks around unquoted values trimmed, blanks inside quotes kept;
 * - header names quoted, padded and near-missed by other columns;
 * - 300 columns, and a 3 MB field in an ignored column;
 * - a header without a final newline and nothing else (exit 0), a 0-byte file (exit 2);
 * - ';' and TAB separated files with commas inside values;
 * - invalid rows: ids that are blank after trimming, hold control characters (NUL,
 *   TAB, CR, LF, DEL, \x01), are not UTF-8, or exceed 1,024 bytes (exactly 1,024
 *   is fine): each reported with its line on stderr and as invalid in the results,
 *   while the other rows are sent and the exit status is 1;
 * - an unclosed or a stray quote: exit 2 naming the line where the row begins,
 *   and nothing sent even with a thousand good rows before it;
 * - JSON-special ids and URL-special account ids reaching the server intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

struct sent {
    const char *account;
    const char *group;
    const char *user;
};

/* A growable byte buffer for inputs built in a loop. */
struct bytes {
    char *p;
    size_t len, cap;
};

static void bytes_free(void *p)
{
    struct bytes *b = p;
    free(b->p);
    free(b);
}

static struct bytes *bytes_new(struct it_ctx *c)
{
    struct bytes *b = calloc(1, sizeof *b);
    if (b == NULL) {
        fail_msg("out of memory");
    }
    return it_own(c, b, bytes_free);
}

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            fail_msg("out of memory");
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void bytes_str(struct bytes *b, const char *s)
{
    bytes_add(b, s, strlen(s));
}

static void bytes_repeat(struct bytes *b, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++) {
        bytes_str(b, s);
    }
}

/* s with every byte outside printable ASCII (and the backslash) as \xHH. */
static const char *visible(struct it_ctx *c, const char *s)
{
    size_t n = strlen(s);
    char *out = it_own(c, malloc(n * 4 + 1), free);
    if (out == NULL) {
        fail_msg("out of memory");
    }
    char *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '\\') {
            w += sprintf(w, "\\x%02x", *p);
        } else {
            *w++ = (char)*p;
        }
    }
    *w = '\0';
    return out;
}

static void dump_journal(struct it_ctx *c, const struct journal *j)
{
    print_error("journal (%zu requests):\n", j->n);
    for (size_t i = 0; i < j->n; i++) {
        const struct jrow *r = &j->rows[i];
        print_error("  account=\"%s\" group=\"%s\" user=\"%s\" status=%d\n",
                    visible(c, r->account), visible(c, r->group), visible(c, r->user),
                    r->status);
    }
}

/* The journal holds exactly these requests, each pair once, byte for byte. */
static void expect_sent_exactly(struct it_ctx *c, const struct journal *j, const struct sent *want,
                                size_t n)
{
    int bad = j->n != n;
    for (size_t i = 0; i < n; i++) {
        size_t k = journal_count_pair(j, want[i].account, want[i].group, want[i].user);
        if (k != 1) {
            print_error("sent %zu times, want once: account=\"%s\" group=\"%s\" user=\"%s\"\n", k,
                        visible(c, want[i].account), visible(c, want[i].group),
                        visible(c, want[i].user));
            bad = 1;
        }
    }
    if (bad) {
        dump_journal(c, j);
        fail_msg("the journal has %zu requests, want exactly the %zu listed", j->n, n);
    }
}

/* The results row of an input line: its ids byte for byte and its status. A NULL
 * account is not checked (rows whose account came from -a). */
static void expect_row(struct it_ctx *c, const struct csv_table *t, long line, const char *group,
                       const char *user, const char *account, const char *status)
{
    size_t r = results_row_for_line(t, line);
    const char *g = table_get(t, r, "group_id");
    const char *u = table_get(t, r, "user_id");
    const char *a = table_get(t, r, "integrated_account_id");
    const char *st = table_get(t, r, "status");
    if (strcmp(g, group) != 0 || strcmp(u, user) != 0 ||
        (account != NULL && strcmp(a, account) != 0) || strcmp(st, status) != 0) {
        fail_msg("results line %ld: group \"%s\" user \"%s\" account \"%s\" status %s; want "
                 "group \"%s\" user \"%s\" account \"%s\" status %s",
                 line, visible(c, g), visible(c, u), visible(c, a), st, visible(c, group),
                 visible(c, user), account != NULL ? visible(c, account) : "(any)", status);
    }
}

/* Exactly the listed pairs were sent, once each; the results file has exactly
 * their rows, and each ended removed at its input line (lines[i]). */
static void expect_removed_exactly(struct it_ctx *c, const struct journal *j,
                                   const struct sent *want, const long *lines, size_t n)
{
    expect_sent_exactly(c, j, want, n);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, n);
    for (size_t i = 0; i < n; i++)
        expect_row(c, t, lines[i], want[i].group, want[i].user, want[i].account, "removed");
}

/* An invalid row's results line: status invalid, never sent, and a reason in the
 * error column that contains what. */
static void expect_invalid(struct it_ctx *c, const struct csv_table *t, long line,
                           const char *what)
{
    size_t r = results_row_for_line(t, line);
    const char *st = table_get(t, r, "status");
    const char *err = table_get(t, r, "error");
    if (strcmp(st, "invalid") != 0 || strstr(err, what) == NULL) {
        fail_msg("results line %ld: status %s, error \"%s\"; want invalid with \"%s\"", line, st,
                 visible(c, err), what);
    }
    assert_string_equal(table_get(t, r, "http_status"), "");
    assert_string_equal(table_get(t, r, "attempts"), "0");
}

/* stderr has a line "grouprm: FILE line N: ..." holding each of what1 and what2. */
static void expect_line_message(struct it_ctx *c, const char *file, long line, const char *what1,
                                const char *what2)
{
    const char *prefix = it_fmt(c, "grouprm: %s line %ld: ", file, line);
    size_t plen = strlen(prefix);
    const char *p = c->err;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (len >= plen && strncmp(p, prefix, plen) == 0 &&
            memmem(p, len, what1, strlen(what1)) != NULL &&
            memmem(p, len, what2, strlen(what2)) != NULL) {
            return;
        }
        p = nl != NULL ? nl + 1 : p + len;
    }
    fail_msg("stderr has no line \"%s...\" with \"%s\" and \"%s\"; stderr:\n%s", prefix, what1,
             what2, c->err);
}

/* Runs grouprm on one input against a fresh mock; returns the journal. */
static struct journal *run_once(struct it_ctx *c, const char *in, int want_exit,
                                const char *const *extra)
{
    const char *args[16];
    size_t n = 0;
    args[n++] = "--base-url";
    args[n++] = NULL; /* filled once the mock is up */
    args[n++] = "-o";
    args[n++] = c->results;
    args[n++] = "-r";
    args[n++] = c->retry;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        assert_true(n + 2 < 16);
        args[n++] = extra[i];
    }
    args[n++] = in;
    args[n] = NULL;
    it_mock_start(c, NULL);
    args[1] = c->base_url;
    int rc = it_runv(c, args);
    IT_EXPECT_EXIT(c, rc, want_exit);
    it_mock_stop(c);
    return journal_load(c);
}

/* ------------------------------------------------------------ the BOM */

static void test_bom_before_header(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "\xEF\xBB\xBF"
                  "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc\n"
                  "g2,u2,acc\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u2"}};
    static const long at[] = {2, 3};
    expect_removed_exactly(c, j, want, at, 2);
}

/* ------------------------------------------------------- line endings */

/* The same rows with every line ended by eol, blank lines between them and a
 * final line ending: rows on physical lines 2, 4 and 7. */
static void line_endings(struct it_ctx *c, const char *eol)
{
    struct bytes *b = bytes_new(c);
    const char *lines[] = {
        "group_id,user_id,integrated_account_id", /* 1 */
        "g1,u1,acc",                              /* 2 */
        "",                                       /* 3 */
        "g2,\"u 2\",acc",                         /* 4 */
        "",                                       /* 5 */
        "",                                       /* 6 */
        "g3,u3,acc",                              /* 7 */
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        bytes_str(b, lines[i]);
        bytes_str(b, eol);
    }
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u 2"}, {"acc", "g3", "u3"}};
    static const long at[] = {2, 4, 7};
    expect_removed_exactly(c, j, want, at, 3);
}

static void test_lf_file(void **state)
{
    line_endings(*state, "\n");
}

static void test_crlf_file(void **state)
{
    line_endings(*state, "\r\n");
}

static void test_lone_cr_file(void **state)
{
    line_endings(*state, "\r");
}

static void test_mixed_line_endings(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\r\n" /* 1 */
                  "g1,u1,acc\n"                               /* 2 */
                  "g2,u2,acc\r"                               /* 3 */
                  "\r\n"                                      /* 4 */
                  "g3,u3,acc\r\n"                             /* 5 */
                  "\n"                                        /* 6 */
                  "\r"                                        /* 7 */
                  "g4,u4,acc\n"                               /* 8 */
                  "\n"                                        /* 9 */
                  "\r"                                        /* 10 */
                  "g5,u5,acc\r"                               /* 11 */
                  "g6,u6,acc");                               /* 12 */

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"},
        {"acc", "g4", "u4"}, {"acc", "g5", "u5"}, {"acc", "g6", "u6"},
    };
    static const long at[] = {2, 3, 5, 8, 11, 12};
    expect_removed_exactly(c, j, want, at, 6);
}

/* ------------------------------------------------------ quoted fields */

static void test_quoted_separators_and_quotes(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "\"a,b\",\"say \"\"hi\"\"\",acc\n"       /* a,b | say "hi" */
                  "\"\"\"\",\"\"\"\"\"\",acc\n"            /* " | "" */
                  "\"x\"\",\"\"y\",plain,\"acc,2\"\n"      /* x","y | plain | acc,2 */
                  "\"tail\"\"\",\"\"\"head\",\"a\"\"c\"\n" /* tail" | "head | a"c */
                  "\",,,\",\",\",acc\n");                  /* ,,, | , */

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acc", "a,b", "say \"hi\""}, {"acc", "\"", "\"\""},      {"acc,2", "x\",\"y", "plain"},
        {"a\"c", "tail\"", "\"head"}, {"acc", ",,,", ","},
    };
    static const long at[] = {2, 3, 4, 5, 6};
    expect_removed_exactly(c, j, want, at, 5);
}

/* Failed rows with such ids land in the retry log, and that log, run as the
 * input, sends the very same bytes again (the same Idempotency-Key too). */
static void test_retry_log_round_trips_odd_ids(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "\"a,b\",\"status-403-say \"\"hi\"\", ok\",acc\n"
                  "\" g 2 \",\"status-403-x \",\" acc \"\"q\"\" \"\n"
                  "\"g\xC3\xBC\"\"3\"\"\",status-403-\xF0\x9F\x98\x80;x,\"a\\c,d\"\n");
    const struct sent want[] = {
        {"acc", "a,b", "status-403-say \"hi\", ok"},
        {" acc \"q\" ", " g 2 ", "status-403-x "},
        {"a\\c,d", "g\xC3\xBC\"3\"", "status-403-\xF0\x9F\x98\x80;x"},
    };

    struct journal *j1 = run_once(c, in, 1, NULL);
    expect_sent_exactly(c, j1, want, 3);
    struct csv_table *retry = retry_load(c, c->retry);
    assert_int_equal(retry->nrows, 3);
    for (size_t i = 0; i < 3; i++) {
        long r = table_find2(retry, "group_id", want[i].group, "user_id", want[i].user);
        if (r < 0) {
            fail_msg("the retry log has no row group \"%s\" user \"%s\"",
                     visible(c, want[i].group), visible(c, want[i].user));
        }
        assert_string_equal(table_get(retry, (size_t)r, "integrated_account_id"),
                            want[i].account);
    }

    const char *again = it_path(c, "retry.csv");
    it_set_outputs(c, "results-2.csv", "retry-2.csv");
    struct journal *j2 = run_once(c, again, 1, NULL);
    expect_sent_exactly(c, j2, want, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct jrow **a, **b;
        assert_int_equal(journal_pair(c, j1, want[i].account, want[i].group, want[i].user, &a), 1);
        assert_int_equal(journal_pair(c, j2, want[i].account, want[i].group, want[i].user, &b), 1);
        assert_string_equal(a[0]->key, b[0]->key);
    }
}

static void test_quoted_newlines_in_ignored_column(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,note,user_id,integrated_account_id\n"      /* 1 */
                  "g1,\"first\nsecond\",u1,acc\n"                      /* 2-3 */
                  "g2,\"a\r\nb\r\nc\",u2,acc\n"                        /* 4-6 */
                  "g3,\"x\ry\",u3,acc\n"                               /* 7-8 */
                  "g4,\"\n\n\",u4,acc\n"                               /* 9-11 */
                  "g5,plain,u5,acc\n"                                  /* 12 */
                  "\"g6\",\"one, two\nthree \"\"four\"\"\",u6,acc\n"   /* 13-14 */
                  ",\"x\ny\",u7,acc\n"                                 /* 15-16 */
                  "g8,,u8,acc\n");                                     /* 17 */

    struct journal *j = run_once(c, in, 1, NULL);

    expect_line_message(c, in, 15, "empty", "group_id");
    const struct sent want[] = {
        {"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"}, {"acc", "g4", "u4"},
        {"acc", "g5", "u5"}, {"acc", "g6", "u6"}, {"acc", "g8", "u8"},
    };
    expect_sent_exactly(c, j, want, 7);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 8);
    expect_row(c, t, 2, "g1", "u1", "acc", "removed");
    expect_row(c, t, 4, "g2", "u2", "acc", "removed");
    expect_row(c, t, 7, "g3", "u3", "acc", "removed");
    expect_row(c, t, 9, "g4", "u4", "acc", "removed");
    expect_row(c, t, 12, "g5", "u5", "acc", "removed");
    expect_row(c, t, 13, "g6", "u6", "acc", "removed");
    expect_invalid(c, t, 15, "group_id");
    expect_row(c, t, 17, "g8", "u8", "acc", "removed");
}

/* ------------------------------------------------ blank lines, blanks */

static void test_blank_lines_and_no_final_newline(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n" /* 1 */
                  "\n"                                      /* 2 */
                  "g1,u1,acc\n"                             /* 3 */
                  "\n"                                      /* 4 */
                  "  \t \n"                                 /* 5 */
                  ",,\n"                                    /* 6 */
                  "\"\",\"\",\"\"\n"                        /* 7 */
                  "g2,u2,acc\n"                             /* 8 */
                  "\n"                                      /* 9 */
                  "\n"                                      /* 10 */
                  "g3,u3,acc");                             /* 11 */

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"}};
    static const long at[] = {3, 8, 11};
    expect_removed_exactly(c, j, want, at, 3);
    if (strstr(c->err, "grouprm: 3 rows: 3 removed,") == NULL) {
        fail_msg("the summary does not count 3 rows:\n%s", c->err);
    }
}

static void test_unquoted_blanks_trimmed_quoted_kept(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  " g1 ,  u1\t, acc \n"
                  "\" g2 \",\"u2 \",acc\n"
                  "g 3 ,\t u  3,\" acc\"\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acc", "g1", "u1"}, {"acc", " g2 ", "u2 "}, {" acc", "g 3", "u  3"},
    };
    static const long at[] = {2, 3, 4};
    expect_removed_exactly(c, j, want, at, 3);
}

/* --------------------------------------------------------------- header */

static void test_header_quoted_padded_near_misses(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "\"NOTE\",  \"User_Id\" ,group_id_old,\tGROUP_ID ,user,"
                  "\"integrated_account_ID\",groupid\n"
                  "n1,u1,old1,g1,wrong1,acc,x\n"
                  "n2,  \"u2\"  ,old2,g2,wrong2,acc,y\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u2"}};
    static const long at[] = {2, 3};
    expect_removed_exactly(c, j, want, at, 2);
}

/* ------------------------------------------------------------ big input */

static void test_three_hundred_columns(void **state)
{
    struct it_ctx *c = *state;
    enum { NCOLS = 300, GROUP_COL = 150, USER_COL = 299 }; /* 1-based */
    struct bytes *b = bytes_new(c);
    for (int i = 1; i <= NCOLS; i++) {
        if (i > 1) {
            bytes_str(b, ",");
        }
        bytes_str(b, i == GROUP_COL ? "group_id" : i == USER_COL ? "user_id" : it_fmt(c, "c%d", i));
    }
    bytes_str(b, "\n");
    for (int r = 1; r <= 3; r++) {
        for (int i = 1; i <= NCOLS; i++) {
            if (i > 1) {
                bytes_str(b, ",");
            }
            if (i == GROUP_COL) {
                bytes_str(b, it_fmt(c, "g%d", r));
            } else if (i == USER_COL) {
                bytes_str(b, it_fmt(c, "u%d", r));
            } else if (i % 7 == 0) {
                bytes_str(b, it_fmt(c, "\"v%d,%d \"\"q\"\"\"", r, i));
            } else if (i % 5 == 0) {
                continue; /* an empty field */
            } else {
                bytes_str(b, it_fmt(c, "v%d_%d", r, i));
            }
        }
        bytes_str(b, "\n");
    }
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    const char *const extra[] = {"-a", "acc", NULL};
    struct journal *j = run_once(c, in, 0, extra);

    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"}};
    expect_sent_exactly(c, j, want, 3);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    expect_row(c, t, 2, "g1", "u1", NULL, "removed");
    expect_row(c, t, 3, "g2", "u2", NULL, "removed");
    expect_row(c, t, 4, "g3", "u3", NULL, "removed");
}

static void test_three_megabyte_ignored_field(void **state)
{
    struct it_ctx *c = *state;
    struct bytes *b = bytes_new(c);
    bytes_str(b, "group_id,blob,user_id,integrated_account_id\n"
                 "g1,small,u1,acc\n"
                 "g2,\"");
    /* 3 MiB of text with separators and doubled quotes, no line ending. */
    for (size_t i = 0; i < 3 * 1024 * 1024 / 64; i++) {
        bytes_str(b, "abcdefghijklmnopqrstuvwxyz0123456789,;\"\" ABCDEFGHIJKLMNOPQRSTUVW");
    }
    bytes_str(b, "\",u2,acc\n"
                 "g3,\"");
    bytes_repeat(b, "0123456789abcdef", 3 * 1024 * 1024 / 16);
    bytes_str(b, "\",u3,acc\n"
                 "g4,tail,u4,acc\n");
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acc", "g1", "u1"}, {"acc", "g2", "u2"}, {"acc", "g3", "u3"}, {"acc", "g4", "u4"},
    };
    static const long at[] = {2, 3, 4, 5};
    expect_removed_exactly(c, j, want, at, 4);
}

/* ------------------------------------------------- empty, header only */

static void test_header_without_newline_only(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id");

    struct journal *j = run_once(c, in, 0, NULL);

    assert_int_equal(j->n, 0);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 0);
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_empty_file(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_bytes(in, "", 0);

    const char *const extra[] = {"-a", "acc", NULL};
    struct journal *j = run_once(c, in, 2, extra);

    assert_int_equal(j->n, 0);
    if (strstr(c->err, "header") == NULL || strstr(c->err, "required") == NULL) {
        fail_msg("stderr does not say a header is required:\n%s", c->err);
    }
}

/* ----------------------------------------------------------- separators */

static void test_semicolon_separated(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id;user_id;integrated_account_id\r\n"
                  "g,1;u,1;acc\r\n"
                  "\"g;2\";\"u \"\"2\"\", x\";acc,b\r\n"
                  "Gr\xC3\xBCppe 3;u3;acc\r\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acc", "g,1", "u,1"},
        {"acc,b", "g;2", "u \"2\", x"},
        {"acc", "Gr\xC3\xBCppe 3", "u3"},
    };
    static const long at[] = {2, 3, 4};
    expect_removed_exactly(c, j, want, at, 3);
}

static void test_tab_separated(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id\tuser_id\tintegrated_account_id\n"
                  "g,1\tu;1\tacc\n"
                  "g2\t\"u \"\"2\"\"\"\tacc\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {{"acc", "g,1", "u;1"}, {"acc", "g2", "u \"2\""}};
    static const long at[] = {2, 3};
    expect_removed_exactly(c, j, want, at, 2);
}

/* --------------------------------------------------------- invalid rows */

static void test_blank_ids_invalid(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc\n"       /* 2 */
                  "   ,u2,acc\n"      /* 3: blank after trimming */
                  "g3,\t \t,acc\n"    /* 4 */
                  "g4,u4,  \n"        /* 5: no account */
                  "g5,\" \",acc\n");  /* 6: a quoted space is an id */

    struct journal *j = run_once(c, in, 1, NULL);

    expect_line_message(c, in, 3, "empty", "group_id");
    expect_line_message(c, in, 4, "empty", "user_id");
    expect_line_message(c, in, 5, "integrated_account_id", "");
    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g5", " "}};
    expect_sent_exactly(c, j, want, 2);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 5);
    expect_row(c, t, 2, "g1", "u1", "acc", "removed");
    expect_invalid(c, t, 3, "group_id");
    expect_invalid(c, t, 4, "user_id");
    expect_invalid(c, t, 5, "integrated_account_id");
    expect_row(c, t, 6, "g5", " ", "acc", "removed");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_control_characters_invalid(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,u1,acc\n"              /* 2 */
                  "g\x01"
                  "2,u2,acc\n"               /* 3: \x01 */
                  "g3,u\0"
                  "3,acc\n"                  /* 4: NUL */
                  "g4,\"u\t4\",acc\n"        /* 5: TAB */
                  "g5,\"u\n5\",acc\n"        /* 6-7: LF */
                  "g8,u8\x7f,acc\n"          /* 8: DEL */
                  "g9,\"u\r9\",acc\n"        /* 9-10: CR */
                  "g11,u11,a\x1b"
                  "c\n"                      /* 11: ESC in the account */
                  "g12,u12,acc\n");          /* 12 */

    struct journal *j = run_once(c, in, 1, NULL);

    expect_line_message(c, in, 3, "group_id", "control");
    expect_line_message(c, in, 4, "user_id", "control");
    expect_line_message(c, in, 5, "user_id", "control");
    expect_line_message(c, in, 6, "user_id", "control");
    expect_line_message(c, in, 8, "user_id", "control");
    expect_line_message(c, in, 9, "user_id", "control");
    expect_line_message(c, in, 11, "integrated_account_id", "control");
    const struct sent want[] = {{"acc", "g1", "u1"}, {"acc", "g12", "u12"}};
    expect_sent_exactly(c, j, want, 2);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 9);
    expect_row(c, t, 2, "g1", "u1", "acc", "removed");
    expect_row(c, t, 12, "g12", "u12", "acc", "removed");
    const long bad[] = {3, 4, 5, 6, 8, 9, 11};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_invalid(c, t, bad[i], "control");
    }
    /* The ids are recorded as read, so the results show the offending bytes. */
    expect_row(c, t, 3, "g\x01" "2", "u2", "acc", "invalid");
    expect_row(c, t, 5, "g4", "u\t4", "acc", "invalid");
    expect_row(c, t, 6, "g5", "u\n5", "acc", "invalid");
    expect_row(c, t, 8, "g8", "u8\x7f", "acc", "invalid");
    expect_row(c, t, 9, "g9", "u\r9", "acc", "invalid");
    assert_int_equal(retry_load(c, c->retry)->nrows, 0);
}

static void test_invalid_utf8(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "g1,J\xC3\xBCrgen,acc\n"          /* 2: valid */
                  "g\xFF,u3,acc\n"                  /* 3: a byte never in UTF-8 */
                  "g4,u\xC0\xAF,acc\n"              /* 4: overlong '/' */
                  "g5,u\xE2\x82,acc\n"              /* 5: truncated at the field's end */
                  "\xF0\x9F\x98x,u6,acc\n"          /* 6: truncated, then ASCII */
                  "g7,u\xED\xA0\x80,acc\n"          /* 7: a surrogate */
                  "g8,u\xF4\x90\x80\x80,acc\n"      /* 8: above U+10FFFF */
                  "g9,u9,acc\xFE\n"                 /* 9: in the account */
                  "g10,\x80u10,acc\n"               /* 10: a lone continuation byte */
                  "g11,u\xF0\x9F\x98\x80,acc\n");   /* 11: valid (an emoji) */

    struct journal *j = run_once(c, in, 1, NULL);

    expect_line_message(c, in, 3, "group_id", "UTF-8");
    expect_line_message(c, in, 4, "user_id", "UTF-8");
    expect_line_message(c, in, 5, "user_id", "UTF-8");
    expect_line_message(c, in, 6, "group_id", "UTF-8");
    expect_line_message(c, in, 7, "user_id", "UTF-8");
    expect_line_message(c, in, 8, "user_id", "UTF-8");
    expect_line_message(c, in, 9, "integrated_account_id", "UTF-8");
    expect_line_message(c, in, 10, "user_id", "UTF-8");
    const struct sent want[] = {{"acc", "g1", "J\xC3\xBCrgen"}, {"acc", "g11", "u\xF0\x9F\x98\x80"}};
    expect_sent_exactly(c, j, want, 2);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 10);
    expect_row(c, t, 2, "g1", "J\xC3\xBCrgen", "acc", "removed");
    expect_row(c, t, 11, "g11", "u\xF0\x9F\x98\x80", "acc", "removed");
    for (long line = 3; line <= 10; line++) {
        expect_invalid(c, t, line, "UTF-8");
    }
    expect_row(c, t, 3, "g\xFF", "u3", "acc", "invalid");
    expect_row(c, t, 4, "g4", "u\xC0\xAF", "acc", "invalid");
    expect_row(c, t, 9, "g9", "u9", "acc\xFE", "invalid");
}

static void test_id_length_limit(void **state)
{
    struct it_ctx *c = *state;
    struct bytes *b = bytes_new(c);
    bytes_str(b, "group_id,user_id,integrated_account_id\n");
    bytes_str(b, "g2,");
    bytes_repeat(b, "x", 1024); /* 2: exactly 1,024 bytes */
    bytes_str(b, ",acc\ng3,");
    bytes_repeat(b, "x", 1025); /* 3: one too many */
    bytes_str(b, ",acc\n");
    bytes_repeat(b, "\xC3\xA9", 512); /* 4: 512 characters, 1,024 bytes */
    bytes_str(b, ",u4,acc\n");
    bytes_repeat(b, "\xC3\xA9", 512); /* 5: 513 characters, 1,025 bytes */
    bytes_str(b, "x,u5,acc\ng6,u6,");
    bytes_repeat(b, "a", 1025); /* 6: a long account */
    bytes_str(b, "\ng7,u7,acc\n");
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    struct journal *j = run_once(c, in, 1, NULL);

    char x1024[1025], x1025[1026], a1025[1026], e512[1025], e512x[1026];
    memset(x1024, 'x', 1024);
    x1024[1024] = '\0';
    memset(x1025, 'x', 1025);
    x1025[1025] = '\0';
    memset(a1025, 'a', 1025);
    a1025[1025] = '\0';
    for (size_t i = 0; i < 512; i++) {
        memcpy(e512 + 2 * i, "\xC3\xA9", 2);
    }
    e512[1024] = '\0';
    memcpy(e512x, e512, 1024);
    memcpy(e512x + 1024, "x", 2);

    expect_line_message(c, in, 3, "user_id", "longer");
    expect_line_message(c, in, 5, "group_id", "longer");
    expect_line_message(c, in, 6, "integrated_account_id", "longer");
    const struct sent want[] = {{"acc", "g2", x1024}, {"acc", e512, "u4"}, {"acc", "g7", "u7"}};
    expect_sent_exactly(c, j, want, 3);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 6);
    expect_row(c, t, 2, "g2", x1024, "acc", "removed");
    expect_row(c, t, 4, e512, "u4", "acc", "removed");
    expect_row(c, t, 7, "g7", "u7", "acc", "removed");
    expect_invalid(c, t, 3, "user_id");
    expect_invalid(c, t, 5, "group_id");
    expect_invalid(c, t, 6, "integrated_account_id");
    expect_row(c, t, 3, "g3", x1025, "acc", "invalid");
    expect_row(c, t, 5, e512x, "u5", "acc", "invalid");
    expect_row(c, t, 6, "g6", "u6", a1025, "invalid");
}

/* ------------------------------------------------------ malformed files */

static void test_unclosed_quote_sends_nothing(void **state)
{
    struct it_ctx *c = *state;
    struct bytes *b = bytes_new(c);
    bytes_str(b, "group_id,user_id,integrated_account_id\n");
    for (int i = 0; i < 1000; i++) {
        bytes_str(b, it_fmt(c, "g%d,u%d,acc-%d\n", i, i, i % 3)); /* lines 2-1001 */
    }
    bytes_str(b, "g1000,\"u1000,acc-0\n" /* 1002: the quote opens and never closes */
                 "g1001,u1001,acc-1\n"
                 "g1002,u1002,acc-2\n");
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    struct journal *j = run_once(c, in, 2, NULL);

    if (j->n != 0) {
        dump_journal(c, j);
        fail_msg("%zu requests sent from a malformed file", j->n);
    }
    expect_line_message(c, in, 1002, "quote", "");
}

static void test_stray_quote_sends_nothing(void **state)
{
    struct it_ctx *c = *state;
    struct bytes *b = bytes_new(c);
    bytes_str(b, "group_id,user_id,integrated_account_id\n"
                 "g,\"u\n2\",acc\n"); /* 2-3: a legitimate quoted newline */
    for (int i = 0; i < 1000; i++) {
        bytes_str(b, it_fmt(c, "g%d,u%d,acc-%d\n", i, i, i % 3)); /* lines 4-1003 */
    }
    bytes_str(b, "g1000,u\"1000,acc\n" /* 1004: a quote inside an unquoted field */
                 "g1001,u1001,acc\n");
    const char *in = it_path(c, "in.csv");
    write_bytes(in, b->p, b->len);

    struct journal *j = run_once(c, in, 2, NULL);

    if (j->n != 0) {
        dump_journal(c, j);
        fail_msg("%zu requests sent from a malformed file", j->n);
    }
    expect_line_message(c, in, 1004, "quote", "");
}

/* --------------------------------------------------- special characters */

static void test_json_and_url_special_ids(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    WRITE_LIT(in, "group_id,user_id,integrated_account_id\n"
                  "\"\"\"\",back\\slash\\\\,acct&x=1 y\n"
                  "J\xC3\xBCrgen,\xF0\x9F\x98\x80,a/b?c#d\n"
                  "\"{\"\"json\"\":true}\",\\u0041</script>,100%\n"
                  "g+4,u+4,a+b\n"
                  "g5,u5,%41%2F%00\n"
                  "g6,u\xE2\x80\xA8" "6,caf\xC3\xA9 \xE2\x82\xAC\n"
                  "g7,'; DROP TABLE x;--,=1+2\n");

    struct journal *j = run_once(c, in, 0, NULL);

    const struct sent want[] = {
        {"acct&x=1 y", "\"", "back\\slash\\\\"},
        {"a/b?c#d", "J\xC3\xBCrgen", "\xF0\x9F\x98\x80"},
        {"100%", "{\"json\":true}", "\\u0041</script>"},
        {"a+b", "g+4", "u+4"},
        {"%41%2F%00", "g5", "u5"},
        {"caf\xC3\xA9 \xE2\x82\xAC", "g6", "u\xE2\x80\xA8" "6"},
        {"=1+2", "g7", "'; DROP TABLE x;--"},
    };
    expect_sent_exactly(c, j, want, 7);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 7);
    for (size_t i = 0; i < 7; i++) {
        expect_row(c, t, (long)i + 2, want[i].group, want[i].user, want[i].account, "removed");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bom_before_header, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_lf_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_crlf_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_lone_cr_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_mixed_line_endings, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_quoted_separators_and_quotes, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_retry_log_round_trips_odd_ids, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_quoted_newlines_in_ignored_column, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_blank_lines_and_no_final_newline, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_unquoted_blanks_trimmed_quoted_kept, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_header_quoted_padded_near_misses, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_three_hundred_columns, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_three_megabyte_ignored_field, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_header_without_newline_only, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_semicolon_separated, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_tab_separated, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_blank_ids_invalid, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_control_characters_invalid, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_id_length_limit, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_unclosed_quote_sends_nothing, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_stray_quote_sends_nothing, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_json_and_url_special_ids, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
