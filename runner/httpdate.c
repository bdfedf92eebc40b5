/* httpdate.c: HTTP dates to Unix time, by hand: strptime reads names in the
 * locale's language and is lenient about widths and blanks, and C has no UTC
 * mktime (timegm is an extension). See httpdate.h. */
#include "httpdate.h"
#include "ascii.h"

#include <string.h>

static const char *const MONTHS[12] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const DAYS_SHORT[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const DAYS_LONG[7] = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* A read position over the counted date text. */
struct cur {
    const char *p, *end;
};

/* Matches one of the names in table at the cursor (case-insensitively).
 * Returns the index or -1. */
static int read_name(struct cur *c, const char *const *table, int count)
{
    for (int i = 0; i < count; i++) {
        size_t n = strlen(table[i]);
        if ((size_t)(c->end - c->p) >= n && ascii_eq_nocase(c->p, table[i], n)) {
            c->p += n;
            return i;
        }
    }
    return -1;
}

static int expect(struct cur *c, char ch)
{
    if (c->p >= c->end || *c->p != ch)
        return -1;
    c->p++;
    return 0;
}

/* Exactly n digits. */
static int read_digits(struct cur *c, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (c->p >= c->end || !ascii_is_digit(*c->p))
            return -1;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    *out = v;
    return 0;
}

/* "HH:MM:SS"; 60 seconds is allowed for a leap second. */
static int read_time(struct cur *c, int *hh, int *mm, int *ss)
{
    if (read_digits(c, 2, hh) != 0 || expect(c, ':') != 0 || read_digits(c, 2, mm) != 0 ||
        expect(c, ':') != 0 || read_digits(c, 2, ss) != 0)
        return -1;
    return *hh <= 23 && *mm <= 59 && *ss <= 60 ? 0 : -1;
}

/* "GMT", the last thing in the text. */
static int read_gmt_end(struct cur *c)
{
    if (c->end - c->p != 3 || !ascii_eq_nocase(c->p, "gmt", 3))
        return -1;
    c->p += 3;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap days in years 1..y (proleptic Gregorian). */
static long leaps_through(long y)
{
    return y / 4 - y / 100 + y / 400;
}

static int to_epoch(int year, int mon, int day, int hh, int mm, int ss, double *out)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1900 || year > 9999 || mon < 0 || mon > 11 || day < 1)
        return -1;
    int dim = mdays[mon] + (mon == 1 && is_leap(year));
    if (day > dim)
        return -1;
    long days = 365L * (year - 1970) + (leaps_through(year - 1) - leaps_through(1969));
    for (int m = 0; m < mon; m++)
        days += mdays[m] + (m == 1 && is_leap(year));
    days += day - 1;
    *out = (double)days * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
    return 0;
}

/* Sun, 06 Nov 1994 08:49:37 GMT */
static int parse_imf(struct cur *c, double *out)
{
    int day, year, hh, mm, ss, mon;
    if (read_name(c, DAYS_SHORT, 7) < 0 || expect(c, ',') != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 2, &day) != 0 || expect(c, ' ') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, ' ') != 0 || read_digits(c, 4, &year) != 0 ||
        expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_gmt_end(c) != 0)
        return -1;
    return to_epoch(year, mon, day, hh, mm, ss, out);
}

/* Sunday, 06-Nov-94 08:49:37 GMT; the year pivot is in httpdate.h. */
static int parse_rfc850(struct cur *c, double *out)
{
    int day, yy, hh, mm, ss, mon;
    if (read_name(c, DAYS_LONG, 7) < 0 || expect(c, ',') != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 2, &day) != 0 || expect(c, '-') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, '-') != 0 || read_digits(c, 2, &yy) != 0 ||
        expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_gmt_end(c) != 0)
        return -1;
    return to_epoch(yy < 70 ? 2000 + yy : 1900 + yy, mon, day, hh, mm, ss, out);
}

/* Sun Nov  6 08:49:37 1994 (day padded with a space, or two digits) */
static int parse_asctime(struct cur *c, double *out)
{
    int day, year, hh, mm, ss, mon;
    if (read_name(c, DAYS_SHORT, 7) < 0 || expect(c, ' ') != 0)
        return -1;
    mon = read_name(c, MONTHS, 12);
    if (mon < 0 || expect(c, ' ') != 0)
        return -1;
    if (expect(c, ' ') == 0) {
        if (read_digits(c, 1, &day) != 0)
            return -1;
    } else if (read_digits(c, 2, &day) != 0) {
        return -1;
    }
    if (expect(c, ' ') != 0 || read_time(c, &hh, &mm, &ss) != 0 || expect(c, ' ') != 0 ||
        read_digits(c, 4, &year) != 0 || c->p != c->end)
        return -1;
    return to_epoch(year, mon, day, hh, mm, ss, out);
}

int httpdate_parse(const char *v, size_t len, double *out_epoch)
{
    if (v == NULL)
        return -1;
    ascii_trim(&v, &len);
    if (len < 4)
        return -1;
    struct cur c = { v, v + len };
    /* The three forms differ right after the day name: ", " after a short
     * name, a space after a short name, or a long name. */
    if (v[3] == ',')
        return parse_imf(&c, out_epoch);
    if (v[3] == ' ')
        return parse_asctime(&c, out_epoch);
    return parse_rfc850(&c, out_epoch);
}
