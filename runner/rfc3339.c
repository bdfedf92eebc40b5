/* rfc3339.c: see rfc3339.h. */
#include "rfc3339.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LAST_SECOND 253402300799.0  /* 9999-12-31T23:59:59Z */
#define PREFIX_LEN 20

void rfc3339_format_cached(struct rfc3339_cache *c, double epoch, char out[RFC3339_LEN + 1])
{
    if (!(epoch >= 0))
        epoch = 0;  /* NaN too */
    if (epoch > LAST_SECOND + 0.999)
        epoch = LAST_SECOND + 0.999;
    double whole = floor(epoch);
    long long secs = (long long)whole;
    long ms = lround((epoch - whole) * 1000.0);
    if (ms > 999)
        ms = 999;
    if (!c->valid || c->secs != secs) {
        time_t t = (time_t)secs;
        struct tm tm;
        char text[64];  /* room for any int, though the years are 1970 to 9999 */
        gmtime_r(&t, &tm);
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        memcpy(c->prefix, text, PREFIX_LEN);
        c->prefix[PREFIX_LEN] = '\0';
        c->secs = secs;
        c->valid = 1;
    }
    memcpy(out, c->prefix, PREFIX_LEN);
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[RFC3339_LEN] = '\0';
}

void rfc3339_format(double epoch, char out[RFC3339_LEN + 1])
{
    struct rfc3339_cache c = { 0 };
    rfc3339_format_cached(&c, epoch, out);
}
