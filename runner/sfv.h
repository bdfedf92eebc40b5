/* sfv.h: the subset of RFC 8941 structured fields that the rate-limit headers
 * need. Pure: no clock, no allocation.
 *
 * A field is a list: items separated by commas (blanks around them allowed),
 * each a bare item with ";key=value" parameters. Every bare item type is
 * checked for syntax (integer and decimal, string, token, boolean, byte
 * sequence, date); numbers, strings and tokens are told apart, and only a
 * number's value is kept. The parser is lenient where servers are sloppy and
 * nothing is at stake: blanks around ';', keys and tokens in either case.
 *
 * Numbers are read by hand, not with strtod, so "1e999", "inf", "0x10", '+'
 * and the locale never sneak in; they have at most SFV_MAX_INT_DIGITS integer
 * digits (so that every value is exact in a double and fits a 64-bit long) and
 * at most 9 fractional digits. Inner lists are not supported (a field holding
 * one is malformed). */
#ifndef GROUPRM_SFV_H
#define GROUPRM_SFV_H
#include <stddef.h>

#define SFV_MAX_INT_DIGITS 12  /* 999,999,999,999 */
#define SFV_MAX_ITEMS 16       /* items kept from one list */

enum sfv_kind {
    SFV_NUMBER,  /* an integer or a decimal: num holds it */
    SFV_NAME,    /* a string or a token, as the RateLimit fields name a policy */
    SFV_OTHER,   /* a boolean, byte sequence or date: well formed, not kept */
};

/* One item and the parameters the IETF RateLimit fields use. Any other
 * parameter is skipped when well formed; one of these four whose value is not
 * what it must be (or that has no value) makes the whole field malformed. */
struct sfv_item {
    enum sfv_kind kind;
    double num;          /* when kind == SFV_NUMBER; may be negative */
    int has_r, has_t, has_q, has_w;
    double r;            /* ;r= a non-negative integer (remaining) */
    double t;            /* ;t= a non-negative number (seconds to reset) */
    double q;            /* ;q= a non-negative integer (quota) */
    double w;            /* ;w= a positive number (window in seconds) */
};

/* Parses v[0..len) (need not be NUL-terminated) as a list into items, in
 * order. Returns how many were kept (1 to SFV_MAX_ITEMS), or -1 when the field
 * is empty or malformed anywhere (a trailing comma included); items past
 * SFV_MAX_ITEMS are checked for syntax but not kept. */
int sfv_parse_list(const char *v, size_t len, struct sfv_item items[SFV_MAX_ITEMS]);

#endif
