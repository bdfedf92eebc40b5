/* fuzz_headers.c: libFuzzer target over the response-header parsers.
 *
 * The input is split into lines, each fed as a header line, and also given
 * whole to the Retry-After and HTTP-date parsers. Besides not crashing, every
 * hint that comes out must be usable as it is: finite, not negative, and a
 * wait no longer than a day would be absurd only if the server said so, so
 * only sanity (finite, >= 0) is required. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headers.h"
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
    if (parse_retry_after(s, size, now, &out) == 0)
        CHECK(isfinite(out) && out >= 0);
    if (parse_http_date(s, size, &out) == 0)
        CHECK(isfinite(out));
    return 0;
}
