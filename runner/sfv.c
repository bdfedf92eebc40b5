/* sfv.c: the structured-field subset of sfv.h, read strictly where a value
 * counts: a field either parses whole or is refused whole. */
#include "sfv.h"
#include "ascii.h"

#include <string.h>

#define MAX_FRAC_DIGITS 9

/* A read position over a counted string. */
struct cur {
    const char *p, *end;
};

static int at_end(const struct cur *c)
{
    return c->p >= c->end;
}

static char peek(const struct cur *c)
{
    return at_end(c) ? '\0' : *c->p;
}

static void skip_ows(struct cur *c)
{
    while (!at_end(c) && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Reads [-]DIGITS[.DIGITS]. Sets *neg and *is_int. Returns 0, or -1 when there is
 * no number here or it has too many digits (too many to be trusted exactly). */
static int read_number(struct cur *c, double *out, int *neg, int *is_int)
{
    *neg = 0;
    *is_int = 1;
    if (peek(c) == '-') {
        *neg = 1;
        c->p++;
    }
    double v = 0;
    int nd = 0;
    while (ascii_is_digit(peek(c))) {
        nd++;
        if (nd > SFV_MAX_INT_DIGITS)
            return -1;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    if (nd == 0)
        return -1;
    if (peek(c) == '.') {
        c->p++;
        *is_int = 0;
        double scale = 1;
        int fd = 0;
        while (ascii_is_digit(peek(c))) {
            fd++;
            if (fd > MAX_FRAC_DIGITS)
                return -1;
            scale /= 10;
            v += (*c->p - '0') * scale;
            c->p++;
        }
        if (fd == 0)
            return -1;
    }
    *out = *neg ? -v : v;
    return 0;
}

/* Reads one bare item of any type, setting *kind, and *num for a number.
 * Returns 0 or -1. */
static int read_bare(struct cur *c, enum sfv_kind *kind, double *num)
{
    char ch = peek(c);
    *kind = SFV_OTHER;
    if (ch == '"') {  /* string: printable ASCII, only \" and \\ escapes */
        c->p++;
        while (!at_end(c) && *c->p != '"') {
            unsigned char u = (unsigned char)*c->p;
            if (u < 0x20 || u > 0x7e)
                return -1;
            if (*c->p == '\\') {
                c->p++;
                if (peek(c) != '"' && peek(c) != '\\')
                    return -1;
            }
            c->p++;
        }
        if (at_end(c))
            return -1;
        c->p++;
        *kind = SFV_NAME;
        return 0;
    }
    if (ascii_is_alpha(ch) || ch == '*') {  /* token */
        while (!at_end(c) && (ascii_is_tchar(*c->p) || *c->p == ':' || *c->p == '/'))
            c->p++;
        *kind = SFV_NAME;
        return 0;
    }
    if (ascii_is_digit(ch) || ch == '-') {
        int neg, is_int;
        if (read_number(c, num, &neg, &is_int) != 0)
            return -1;
        *kind = SFV_NUMBER;
        return 0;
    }
    if (ch == '?') {  /* boolean */
        c->p++;
        if (peek(c) != '0' && peek(c) != '1')
            return -1;
        c->p++;
        return 0;
    }
    if (ch == ':') {  /* byte sequence, base64 inside colons */
        c->p++;
        while (!at_end(c) && *c->p != ':') {
            char b = *c->p;
            if (!(ascii_is_alpha(b) || ascii_is_digit(b) || b == '+' || b == '/' || b == '='))
                return -1;
            c->p++;
        }
        if (at_end(c))
            return -1;
        c->p++;
        return 0;
    }
    if (ch == '@') {  /* date: @ then an integer */
        int neg, is_int;
        double ignored;
        c->p++;
        if (read_number(c, &ignored, &neg, &is_int) != 0 || !is_int)
            return -1;
        return 0;
    }
    return -1;
}

/* Reads the value of a known parameter: a non-negative number, an integer when
 * want_int. Returns 0 or -1. */
static int read_param_number(struct cur *c, int want_int, double *out)
{
    int neg, is_int;
    if (read_number(c, out, &neg, &is_int) != 0 || neg)
        return -1;
    if (want_int && !is_int)
        return -1;
    return 0;
}

/* Reads ";key[=value]" parameters after a bare item. Returns 0 or -1. */
static int read_params(struct cur *c, struct sfv_item *it)
{
    for (;;) {
        skip_ows(c);
        if (peek(c) != ';')
            return 0;
        c->p++;
        skip_ows(c);
        const char *key = c->p;
        char k0 = ascii_lower(peek(c));
        if (!(ascii_is_alpha(k0) || k0 == '*'))
            return -1;
        while (!at_end(c)) {
            char k = ascii_lower(*c->p);
            if (!(ascii_is_alpha(k) || ascii_is_digit(k) || k == '_' || k == '-' || k == '.' ||
                  k == '*'))
                break;
            c->p++;
        }
        size_t klen = (size_t)(c->p - key);
        int known = klen == 1 && strchr("rtqw", ascii_lower(key[0])) != NULL;
        if (peek(c) != '=') {
            if (known)
                return -1;  /* a bare flag where a number belongs */
            continue;
        }
        c->p++;
        if (!known) {
            enum sfv_kind kind;
            double ignored;
            if (read_bare(c, &kind, &ignored) != 0)
                return -1;
            continue;
        }
        int *has, want_int = 0, positive = 0;
        double *val, v;
        switch (ascii_lower(key[0])) {
        case 'r': has = &it->has_r; val = &it->r; want_int = 1; break;
        case 'q': has = &it->has_q; val = &it->q; want_int = 1; break;
        case 't': has = &it->has_t; val = &it->t; break;
        /* 'w': a window of zero length means nothing; refuse it. */
        default: has = &it->has_w; val = &it->w; positive = 1; break;
        }
        if (read_param_number(c, want_int, &v) != 0 || (positive && v <= 0))
            return -1;
        *has = 1;
        *val = v;
    }
}

int sfv_parse_list(const char *v, size_t len, struct sfv_item items[SFV_MAX_ITEMS])
{
    struct cur c = { v, v + len };
    int n = 0;
    skip_ows(&c);
    if (at_end(&c))
        return -1;
    for (;;) {
        struct sfv_item it;
        memset(&it, 0, sizeof it);
        if (read_bare(&c, &it.kind, &it.num) != 0)
            return -1;
        if (read_params(&c, &it) != 0)
            return -1;
        if (n < SFV_MAX_ITEMS)
            items[n++] = it;
        skip_ows(&c);
        if (at_end(&c))
            return n;
        if (*c.p != ',')
            return -1;
        c.p++;
        skip_ows(&c);
        if (at_end(&c))
            return -1;  /* trailing comma */
    }
}
