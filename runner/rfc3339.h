/* rfc3339.h: a Unix time as RFC 3339 UTC text with milliseconds, the one
 * format grouprm writes times in (the results' finished_at, the reports, the
 * JSON log). Pure: the time is an argument.
 *
 * The text is always RFC3339_LEN characters, 2026-11-28T13:02:11.123Z: the
 * nearest millisecond, but .999 at most, so that a time is never written as
 * the next second (which could be the next day). Times before 1970 are written
 * as 1970-01-01T00:00:00.000Z and times after 9999 as 9999-12-31T23:59:59.999Z,
 * so the width never changes; so is a NaN, as 1970. */
#ifndef GROUPRM_RFC3339_H
#define GROUPRM_RFC3339_H

#define RFC3339_LEN 24

/* Writes epoch's text and a NUL into out. */
void rfc3339_format(double epoch, char out[RFC3339_LEN + 1]);

/* The same, formatting the date and time of day only when the second differs
 * from the last call's: for a writer that stamps many lines a second. Start
 * from a zeroed cache; one cache per writer (it is not shared across threads). */
struct rfc3339_cache {
    long long secs;          /* the second prefix holds */
    int valid;
    char prefix[21];         /* "YYYY-MM-DDTHH:MM:SS." */
};
void rfc3339_format_cached(struct rfc3339_cache *c, double epoch, char out[RFC3339_LEN + 1]);

#endif
