/* test_csvin.c: the CSV reader: header mapping, line numbers, validation, separators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"

struct reader {
    FILE *fp;
    struct csvin *c;
    char err[512];
};

static struct csvin *open_mem(struct reader *r, const char *data, size_t len, const char *acct)
{
    r->fp = fmemopen((void *)data, len, "rb");
    assert_non_null(r->fp);
    r->c = csvin_open(r->fp, "in.csv", acct, r->err, sizeof r->err);
    return r->c;
}

static void close_mem(struct reader *r)
{
    csvin_close(r->c);
    fclose(r->fp);
}

#define OPEN(r, s, acct) open_mem((r), (s), sizeof(s) - 1, (acct))

static void test_header_any_order_case_and_spaces(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = " User_ID ,note, GROUP_id\nu1,hello,g1\n";
    assert_non_null(OPEN(&r, in, "acme"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_string_equal(row.user_id, "u1");
    assert_string_equal(row.account, "acme");
    assert_null(row.invalid);
    assert_int_equal(row.line, 2);
    assert_int_equal(csvin_next(r.c, &row), 0);
    close_mem(&r);
}

/* Names are trimmed as ascii_trim does: blanks and line ends, so a quoted
 * header cell that ends in a line break (a spreadsheet cell with one) still
 * names its column; the row after it is on the line after the break. */
static void test_header_cell_line_break_trimmed(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "\"group_id\r\n\",\" user_id\n\"\ng1,u1\n";
    assert_non_null(OPEN(&r, in, "acme"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_string_equal(row.user_id, "u1");
    assert_int_equal(row.line, 4);
    close_mem(&r);
}

static void test_missing_columns_named(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group,user_id\ng,u\n";
    assert_null(OPEN(&r, in, "acme"));
    assert_non_null(strstr(r.err, "in.csv: missing required column 'group_id'"));
    fclose(r.fp);
    static const char in2[] = "group_id,user_id\ng,u\n";
    assert_null(OPEN(&r, in2, NULL));
    assert_non_null(strstr(r.err, "'integrated_account_id'"));
    assert_non_null(strstr(r.err, "--account"));
    fclose(r.fp);
}

static void test_empty_file_is_an_error(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "";
    assert_null(open_mem(&r, in, 0, "a"));
    assert_non_null(strstr(r.err, "in.csv: empty file"));
    fclose(r.fp);
}

static void test_header_only_has_no_rows(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 0);
    assert_int_equal(csvin_next(r.c, &row), 0);
    close_mem(&r);
}

static void test_row_account_wins_over_default(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id,integrated_account_id\ng,u,own\ng,u2,\n";
    assert_non_null(OPEN(&r, in, "dflt"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.account, "own");
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.account, "dflt");
    close_mem(&r);
}

static void test_no_account_anywhere_is_invalid(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id,integrated_account_id\ng,u,\n";
    assert_non_null(OPEN(&r, in, NULL));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.invalid, "empty integrated_account_id");
    close_mem(&r);
}

/* Physical lines: CRLF, LF and lone CR each end one line; a quoted newline counts;
 * blank lines are skipped but counted. */
static void test_physical_line_numbers(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\r\n"      /* 1 */
                             "g1,u1\r\n"                /* 2 */
                             "\r\n"                     /* 3 blank */
                             "\"multi\nline\",u2\n"     /* 4-5 */
                             "g3,u3\r"                  /* 6 lone CR */
                             "g4,\"a\r\nb\"\r\n"        /* 7-8 */
                             "   \n"                    /* 9 spaces only */
                             ",,\n"                     /* 10 all empty: skipped */
                             "g5,u5";                   /* 11, no final newline */
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    unsigned long want[] = {2, 4, 6, 7, 11};
    const char *users[] = {"u1", "u2", "u3", "a\r\nb", "u5"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(csvin_next(r.c, &row), 1);
        assert_int_equal(row.line, want[i]);
        assert_string_equal(row.user_id, users[i]);
    }
    assert_int_equal(csvin_next(r.c, &row), 0);
    close_mem(&r);
}

static void test_bom_and_quotes(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "\xEF\xBB\xBFgroup_id,user_id\n\"g,1\",\"say \"\"hi\"\"\"\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g,1");
    assert_string_equal(row.user_id, "say \"hi\"");
    close_mem(&r);
}

static void test_unquoted_values_trimmed(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\n  g1  ,\t u1 \n\" g2 \",u2\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_string_equal(row.user_id, "u1");
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, " g2 ");
    close_mem(&r);
}

static void test_semicolon_separator_detected(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id;user_id;note\ng1;u1;a,b\n";
    assert_non_null(OPEN(&r, in, "a"));
    assert_int_equal(csvin_separator(r.c), ';');
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_string_equal(row.user_id, "u1");
    close_mem(&r);
}

static void test_invalid_rows_reported_others_continue(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\n,u1\ng2,\ng3,u3\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.invalid, "empty group_id");
    assert_int_equal(row.line, 2);
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.invalid, "empty user_id");
    assert_int_equal(row.line, 3);
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_null(row.invalid);
    close_mem(&r);
}

static void test_short_row_missing_field_is_empty(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\ng1\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.invalid, "empty user_id");
    close_mem(&r);
}

static void test_unclosed_quote_names_opening_line(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\ng1,u1\ng2,\"oops\ng3,u3\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_int_equal(csvin_next(r.c, &row), -1);
    assert_string_equal(csvin_error(r.c), "in.csv line 3: unclosed quote");
    assert_int_equal(csvin_next(r.c, &row), -1);
    close_mem(&r);
}

static void test_stray_quote_is_an_error(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id\ng1,u\"1\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), -1);
    assert_non_null(strstr(csvin_error(r.c), "in.csv line 2: stray quote"));
    close_mem(&r);
}

static void test_check_id(void **state)
{
    (void)state;
    char buf[128];
    assert_null(csvin_check_id("00u1", 4, "user_id", buf, sizeof buf));
    assert_null(csvin_check_id("J\xC3\xBCrgen", 7, "user_id", buf, sizeof buf));
    assert_string_equal(csvin_check_id("", 0, "user_id", buf, sizeof buf), "empty user_id");
    assert_string_equal(csvin_check_id("a\tb", 3, "user_id", buf, sizeof buf),
                        "user_id has a control character");
    assert_string_equal(csvin_check_id("a\0b", 3, "group_id", buf, sizeof buf),
                        "group_id has a control character");
    assert_string_equal(csvin_check_id("a\xC3", 2, "user_id", buf, sizeof buf),
                        "user_id is not valid UTF-8");
    assert_string_equal(csvin_check_id("\xC0\xAF", 2, "user_id", buf, sizeof buf),
                        "user_id is not valid UTF-8");  /* overlong */
    assert_string_equal(csvin_check_id("\xED\xA0\x80", 3, "user_id", buf, sizeof buf),
                        "user_id is not valid UTF-8");  /* surrogate */
    char big[CSVIN_MAX_ID + 1];
    memset(big, 'x', sizeof big);
    assert_null(csvin_check_id(big, CSVIN_MAX_ID, "user_id", buf, sizeof buf));
    assert_string_equal(csvin_check_id(big, sizeof big, "user_id", buf, sizeof buf),
                        "user_id longer than 1024 bytes");
}

static void test_remote_data_column(void **state)
{
    (void)state;
    struct reader r;
    static const char in[] = "group_id,user_id,remote_data\n"
                             "g1,u1,\"{\"\"a\"\":1}\"\n"
                             "g2,u2,\n"
                             "g3,u3,[1]\n";
    assert_non_null(OPEN(&r, in, "a"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.remote_data, "{\"a\":1}");
    assert_null(row.invalid);
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_null(row.remote_data);
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.invalid, "remote_data is not a JSON object");
    close_mem(&r);
}

/* Rows larger than the reader's chunk, and many rows across chunk boundaries. */
static void test_large_input_across_chunks(void **state)
{
    (void)state;
    size_t n = 20000, cap = n * 40 + 200000;
    char *in = malloc(cap);
    assert_non_null(in);
    size_t len = (size_t)sprintf(in, "group_id,user_id,big\n");
    len += (size_t)sprintf(in + len, "g0,u0,\"");
    memset(in + len, 'z', 150000);
    len += 150000;
    len += (size_t)sprintf(in + len, "\"\n");
    for (size_t i = 1; i < n; i++)
        len += (size_t)sprintf(in + len, "g%zu,u%zu\r\n", i, i);
    struct reader r;
    assert_non_null(open_mem(&r, in, len, "a"));
    struct csvin_row row;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(csvin_next(r.c, &row), 1);
        assert_int_equal(row.line, i + 2);
        char want[32];
        sprintf(want, "u%zu", i);
        assert_string_equal(row.user_id, want);
    }
    assert_int_equal(csvin_next(r.c, &row), 0);
    close_mem(&r);
    free(in);
}

/* A cursor opened at a row's recorded offset and line reads that row and the ones
 * after it exactly as the first pass did, quoted newlines, CRs and BOM included. */
static void test_cursor_resumes_at_recorded_rows(void **state)
{
    (void)state;
    static const char in[] = "\xEF\xBB\xBFnote;group_id;user_id\r\n"
                             "x;g1;u1\r\n"
                             "\r\n"
                             "\"a;\nb\";g2;\"u\n2\"\n"
                             "y;g3;u3\r"
                             "z;g4;u4";
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(fwrite(in, 1, sizeof in - 1, fp), sizeof in - 1);
    rewind(fp);
    char err[256];
    struct csvin *c = csvin_open(fp, "in.csv", "acct", err, sizeof err);
    assert_non_null(c);
    struct csvin_row row;
    off_t offs[4];
    unsigned long lines[4];
    char users[4][16];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(csvin_next(c, &row), 1);
        offs[i] = row.offset;
        lines[i] = row.line;
        snprintf(users[i], sizeof users[i], "%s", row.user_id);
    }
    assert_int_equal(csvin_next(c, &row), 0);
    assert_int_equal(lines[0], 2);
    assert_int_equal(lines[1], 4);
    assert_int_equal(lines[2], 7);
    assert_int_equal(lines[3], 8);
    for (int i = 0; i < 4; i++) {
        struct csvin *cur = csvin_cursor(c, fileno(fp), offs[i], lines[i], err, sizeof err);
        assert_non_null(cur);
        for (int k = i; k < 4; k++) {
            assert_int_equal(csvin_next(cur, &row), 1);
            assert_int_equal(row.line, lines[k]);
            assert_int_equal(row.offset, offs[k]);
            assert_string_equal(row.user_id, users[k]);
            assert_string_equal(row.account, "acct");
        }
        assert_int_equal(csvin_next(cur, &row), 0);
        csvin_close(cur);
    }
    csvin_close(c);
    fclose(fp);
}

/* One cursor moved from run to run: inside the bytes it holds, beyond them, and
 * across odd line endings, each row read must be the one the first pass saw. */
static void test_cursor_seek_within_and_beyond_its_buffer(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    fputs("group_id,user_id,integrated_account_id\r\n", fp);
    enum { N = 2000 };
    for (int i = 0; i < N; i++)
        fprintf(fp, i % 7 == 3 ? "\"g%d\nx\",u%d,a%d\r\n" : "g%d,u%d,a%d\n", i, i, i % 10);
    rewind(fp);
    char err[256];
    struct csvin *c = csvin_open(fp, "in.csv", NULL, err, sizeof err);
    assert_non_null(c);
    static off_t offs[N];
    static unsigned long lines[N];
    struct csvin_row row;
    for (int i = 0; i < N; i++) {
        assert_int_equal(csvin_next(c, &row), 1);
        offs[i] = row.offset;
        lines[i] = row.line;
    }
    assert_int_equal(csvin_seek(c, offs[0], lines[0]), -1);  /* not a cursor */

    struct csvin *cur = csvin_cursor(c, fileno(fp), offs[0], lines[0], err, sizeof err);
    assert_non_null(cur);
    /* Every tenth row (one account's rows), then far jumps and a step back. */
    int order[] = {0, 10, 20, 30, 1500, 1510, 1999, 3, 4, 5, 1000};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        int i = order[k];
        if (k > 0)
            assert_int_equal(csvin_seek(cur, offs[i], lines[i]), 0);
        assert_int_equal(csvin_next(cur, &row), 1);
        char want[16];
        snprintf(want, sizeof want, "u%d", i);
        assert_string_equal(row.user_id, want);
        assert_int_equal(row.line, lines[i]);
        assert_int_equal(row.offset, offs[i]);
    }
    /* Read on to the end: an ended cursor cannot move. */
    while (csvin_next(cur, &row) == 1)
        ;
    assert_int_equal(csvin_seek(cur, offs[0], lines[0]), -1);
    csvin_close(cur);
    csvin_close(c);
    fclose(fp);
}

/* UTF-16 and UTF-32 (Excel's "Unicode Text" is UTF-16LE with a BOM) are
 * refused by their byte order marks, naming the encoding and the fix; a
 * UTF-8 BOM is read as before. */
static void test_wide_encodings_refused(void **state)
{
    (void)state;
    static const struct { const char *data; size_t len; const char *enc; } cases[] = {
        {"\xff\xfeg\0r\0o\0u\0p\0", 12, "UTF-16 (Excel's \"Unicode Text\")"},
        {"\xfe\xff\0g\0r", 6, "UTF-16 (Excel's \"Unicode Text\")"},
        {"\xff\xfe\0\0g\0\0\0", 8, "UTF-32"},
        {"\0\0\xfe\xff\0\0\0g", 8, "UTF-32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct reader r;
        assert_null(open_mem(&r, cases[i].data, cases[i].len, "acme"));
        char want[300];
        snprintf(want, sizeof want, "in.csv is %s; save it as \"CSV UTF-8\" or convert it with "
                 "iconv -f %s -t UTF-8", cases[i].enc, strncmp(cases[i].enc, "UTF-32", 6) ? "UTF-16"
                 : "UTF-32");
        assert_string_equal(r.err, want);
        fclose(r.fp);
    }
    struct reader r;
    static const char utf8[] = "\xef\xbb\xbfgroup_id,user_id\ng1,u1\n";
    assert_non_null(OPEN(&r, utf8, "acme"));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_int_equal(row.line, 2);
    close_mem(&r);
}

static struct csvin *open_cols(struct reader *r, const char *data, const char *const *cols)
{
    r->fp = fmemopen((void *)data, strlen(data), "rb");
    assert_non_null(r->fp);
    r->c = csvin_open_need(r->fp, "export.csv", NULL, CSVIN_NEED_GROUP | CSVIN_NEED_USER, cols,
                           r->err, sizeof r->err);
    return r->c;
}

/* --column: a field is read from the column named for it, matched as the
 * own names are; its own name then no longer counts. */
static void test_column_mapping(void **state)
{
    (void)state;
    const char *cols[4] = {"Group ID", "User ID", " Okta Account ", NULL};
    struct reader r;
    assert_non_null(open_cols(&r, "user_id,group id,USER ID ,okta account,group_id\n"
                                   "x,g1,u1,a1,y\n", cols));
    struct csvin_row row;
    assert_int_equal(csvin_next(r.c, &row), 1);
    assert_string_equal(row.group_id, "g1");
    assert_string_equal(row.user_id, "u1");
    assert_string_equal(row.account, "a1");
    assert_null(row.invalid);
    close_mem(&r);

    /* A mapped column that is missing names the option and the header row. */
    const char *bad[4] = {"Group", NULL, NULL, NULL};
    assert_null(open_cols(&r, "Group ID\tuser_id\tintegrated_account_id\ng\tu\ta\n", bad));
    assert_string_equal(r.err, "export.csv: --column group_id='Group': no such column in the "
                               "header row (line 1: Group ID,user_id,integrated_account_id)");
    fclose(r.fp);
    /* Also for a field not required (remote_data). */
    const char *rd[4] = {NULL, NULL, NULL, "Extra"};
    assert_null(open_cols(&r, "group_id,user_id,integrated_account_id\ng,u,a\n", rd));
    assert_non_null(strstr(r.err, "--column remote_data='Extra': no such column"));
    fclose(r.fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_any_order_case_and_spaces),
        cmocka_unit_test(test_header_cell_line_break_trimmed),
        cmocka_unit_test(test_missing_columns_named),
        cmocka_unit_test(test_empty_file_is_an_error),
        cmocka_unit_test(test_header_only_has_no_rows),
        cmocka_unit_test(test_row_account_wins_over_default),
        cmocka_unit_test(test_no_account_anywhere_is_invalid),
        cmocka_unit_test(test_physical_line_numbers),
        cmocka_unit_test(test_bom_and_quotes),
        cmocka_unit_test(test_unquoted_values_trimmed),
        cmocka_unit_test(test_semicolon_separator_detected),
        cmocka_unit_test(test_invalid_rows_reported_others_continue),
        cmocka_unit_test(test_short_row_missing_field_is_empty),
        cmocka_unit_test(test_unclosed_quote_names_opening_line),
        cmocka_unit_test(test_stray_quote_is_an_error),
        cmocka_unit_test(test_check_id),
        cmocka_unit_test(test_remote_data_column),
        cmocka_unit_test(test_large_input_across_chunks),
        cmocka_unit_test(test_cursor_resumes_at_recorded_rows),
        cmocka_unit_test(test_cursor_seek_within_and_beyond_its_buffer),
        cmocka_unit_test(test_wide_encodings_refused),
        cmocka_unit_test(test_column_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
