/* fuzz_csvin.c: libFuzzer target over the CSV reader.
 *
 * Any bytes as an input file, with or without a default account. Besides not
 * crashing (ASan, UBSan), it checks what the rest of grouprm relies on:
 *  - rows come out with strictly increasing line numbers and offsets;
 *  - lengths match the strings handed out;
 *  - a cursor reopened at a row's offset and line reads that same row, which is
 *    what the plan pass and the per-account cursors depend on;
 *  - one cursor moved from row to row with csvin_seek (forwards, backwards, inside
 *    or beyond the bytes it holds) reads each of those rows too, or refuses to
 *    move (then a new cursor is opened, as the scheduler does). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"
#include "fuzzcheck.h"

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
    enum { KEEP = 16 };
    struct kept {
        off_t off;
        unsigned long line;
        char *g, *u;
        size_t glen, ulen;
    } kept[KEEP];
    int nkept = 0;
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
        if (nkept < KEEP) {
            struct kept *k = &kept[nkept++];
            k->off = row.offset;
            k->line = row.line;
            k->glen = row.group_len;
            k->ulen = row.user_len;
            k->g = malloc(row.group_len + 1);
            k->u = malloc(row.user_len + 1);
            CHECK(k->g && k->u);
            memcpy(k->g, row.group_id, row.group_len + 1);
            memcpy(k->u, row.user_id, row.user_len + 1);
        }
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
    if (nkept > 0) {
        /* Every other kept row, then back to the others: forwards and backwards. */
        struct csvin *cur = NULL;
        for (int step = 0; step < nkept; step++) {
            int i = step < (nkept + 1) / 2 ? 2 * step : 2 * (step - (nkept + 1) / 2) + 1;
            struct kept *k = &kept[i];
            if (!cur || csvin_seek(cur, k->off, k->line) != 0) {
                csvin_close(cur);
                cur = csvin_cursor(c, fileno(fp), k->off, k->line, err, sizeof err);
                CHECK(cur);
            }
            struct csvin_row again;
            CHECK(csvin_next(cur, &again) == 1);
            CHECK(again.line == k->line && again.offset == k->off);
            CHECK(again.group_len == k->glen && memcmp(again.group_id, k->g, k->glen) == 0);
            CHECK(again.user_len == k->ulen && memcmp(again.user_id, k->u, k->ulen) == 0);
        }
        csvin_close(cur);
    }
    for (int i = 0; i < nkept; i++) {
        free(kept[i].g);
        free(kept[i].u);
    }
    csvin_close(c);
    fclose(fp);
    return 0;
}
