/* httpdate.h: HTTP dates (RFC 9110 section 5.6.7) to Unix time. Pure: no clock.
 *
 * Reads the IMF-fixdate a server sends ("Sun, 06 Nov 1994 08:49:37 GMT") and
 * the two obsolete forms a recipient must still accept: RFC 850 ("Sunday,
 * 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Day and
 * month names match case-insensitively, as a tolerance (the grammar itself is
 * case-sensitive); anything else is strict: fixed widths, one space where the
 * grammar has one, GMT and nothing after it. */
#ifndef GROUPRM_HTTPDATE_H
#define GROUPRM_HTTPDATE_H
#include <stddef.h>

/* Parses v[0..len) (need not be NUL-terminated; surrounding blanks and a
 * trailing CRLF are ignored) into seconds since the Unix epoch, whole seconds,
 * negative before 1970. Years 1900 to 9999 are accepted, leap days checked
 * against the proleptic Gregorian calendar, and a seconds field of 60 (a leap
 * second) is taken as the next second. RFC 850's two-digit years pivot at 70:
 * 00-69 are 2000-2069, 70-99 are 1970-1999 (without a clock the RFC's "50 years
 * in the future" rule cannot be applied). Returns 0 and sets *out_epoch, or -1
 * and leaves it untouched. */
int httpdate_parse(const char *v, size_t len, double *out_epoch);

#endif
