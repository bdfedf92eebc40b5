/* fuzz_csvin.c: libFuzzer target over the CSV reader.
 *
 * Any bytes as an input file, with or without a default account. Besides not
 * crashing (ASan, UBSan), it checks what the rest of grouprm relies on:
 *  - rows come out with strictly increasing line numbers and offsets;
 *  - lengths match the strings handed out;
 *  - a cursor reopened at a row's offset and line reads that same row, which is
 *    what the plan pass and the per-account cursors depend on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"

#define CHECK(c)                                                          \
    do {                                                                  \
        if (!(c)) {                                                       \
            fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                      \
        }                                                                 \
    } while (0)

static int tmpfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (tmpfd < 0) {
        FILE *t = tmpfile();
        CHECK(t);
        tmpfd = dup(fileno(t));
        fclose(t);
    }
    CHECK(ftruncate(tmpfd, 0) == 0);
    CHECK(pwrite(tmpfd, data, size, 0) == (ssize_t)size);
    FILE *fp = fdopen(dup(tmpfd), "rb");
    CHECK(fp);
    char err[512];
    struct csvin *c = csvin_open(fp, "fuzz.csv", size % 2 ? "acct" : NULL, err, sizeof err);
    if (!c) {
        CHECK(err[0] != '\0');
        fclose(fp);
        return 0;
    }
    struct csvin_row row;
    unsigned long last_line = 0;
    off_t last_off = -1;
    int r, n = 0;
    while ((r = csvin_next(c, &row)) == 1) {
        CHECK(row.line > last_line);
        CHECK(row.offset > last_off);
        CHECK(row.group_len <= strlen(row.group_id) || memchr(row.group_id, 0, row.group_len));
        CHECK(row.user_len <= strlen(row.user_id) || memchr(row.user_id, 0, row.user_len));
        last_line = row.line;
        last_off = row.offset;
        if (n++ < 4) {
            /* Keep copies: the row's strings die with the next call. */
            char *g = malloc(row.group_len + 1), *u = malloc(row.user_len + 1);
            CHECK(g && u);
            memcpy(g, row.group_id, row.group_len + 1);
            memcpy(u, row.user_id, row.user_len + 1);
            size_t glen = row.group_len, ulen = row.user_len;
            unsigned long line = row.line;
            struct csvin *cur = csvin_cursor(c, fileno(fp), row.offset, row.line, err, sizeof err);
            CHECK(cur);
            struct csvin_row again;
            CHECK(csvin_next(cur, &again) == 1);
            CHECK(again.line == line);
            CHECK(again.group_len == glen && memcmp(again.group_id, g, glen) == 0);
            CHECK(again.user_len == ulen && memcmp(again.user_id, u, ulen) == 0);
            csvin_close(cur);
            free(g);
            free(u);
        }
    }
    CHECK(r == 0 || (r == -1 && csvin_error(c)[0] != '\0'));
    csvin_close(c);
    fclose(fp);
    return 0;
}
