/* fuzz_headers.c: libFuzzer target over the response-header parsers: the
 * rate-limit hints (hints.c), the structured fields they read (sfv.c) and HTTP
 * dates (httpdate.c).
 *
 * The input is split into lines, each fed as a header line, and also given
 * whole to the Retry-After, structured-field and HTTP-date parsers. Besides not
 * crashing, every value that comes out must be usable as it is: finite, not
 * negative where a count or a wait is meant, whole where an integer is. How
 * long a wait may be is not checked here (hints_resolve caps it). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hints.h"
#include "httpdate.h"
#include "sfv.h"
#include "fuzzcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const double now = 1764336000.0;
    struct rl_hints h;
    hints_init(&h);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || s[i] == '\n') {
            hints_feed_line(&h, s + start, i - start, now);
            start = i + 1;
        }
    }
    if (h.has_retry_after)
        CHECK(isfinite(h.retry_after_s) && h.retry_after_s >= 0);
    if (h.has_reset)
        CHECK(isfinite(h.reset_s) && h.reset_s >= 0);
    if (h.has_window)
        CHECK(isfinite(h.window_s) && h.window_s > 0);
    if (h.has_remaining)
        CHECK(h.remaining >= 0);
    double w = hints_wait_s(&h);
    CHECK(isfinite(w) && (w >= 0 || w == -1));

    double out;
    if (hints_retry_after(s, size, now, &out) == 0)
        CHECK(isfinite(out) && out >= 0);
    if (httpdate_parse(s, size, &out) == 0)
        CHECK(isfinite(out) && out == floor(out));

    struct sfv_item items[SFV_MAX_ITEMS];
    int n = sfv_parse_list(s, size, items);
    CHECK(n == -1 || (n >= 1 && n <= SFV_MAX_ITEMS));
    for (int i = 0; i < n; i++) {
        const struct sfv_item *it = &items[i];
        if (it->kind == SFV_NUMBER)
            CHECK(isfinite(it->num));
        if (it->has_r)
            CHECK(it->r >= 0 && it->r == floor(it->r));
        if (it->has_q)
            CHECK(it->q >= 0 && it->q == floor(it->q));
        if (it->has_t)
            CHECK(isfinite(it->t) && it->t >= 0);
        if (it->has_w)
            CHECK(isfinite(it->w) && it->w > 0);
    }
    return 0;
}
