/* ascii.h: ASCII character classes, case folding and case-insensitive
 * comparison, the same whatever the locale.
 *
 * Header names, structured-field keys, HTTP-date names, CSV column names, URL
 * schemes and the API's error markers are ASCII, and case-insensitive by their
 * specifications. <ctype.h> and strncasecmp follow the C locale, which a library
 * or a later setlocale may change; these never do: only 'A'..'Z' fold, and every
 * other byte (UTF-8 included) compares as itself. */
#ifndef GROUPRM_ASCII_H
#define GROUPRM_ASCII_H
#include <stddef.h>
#include <string.h>

static inline int ascii_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int ascii_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Blanks and line ends: what surrounds a header value as libcurl delivers it. */
static inline int ascii_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 9110 token characters: what a header name or a token is made of. */
static inline int ascii_is_tchar(char c)
{
    return ascii_is_alpha(c) || ascii_is_digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static inline char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when the n bytes at a and at b are the same but for ASCII case. It stops at
 * the first difference, so a NUL-terminated string shorter than n is read no
 * further than its NUL when b holds no NUL in its first n bytes. */
static inline int ascii_eq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return 0;
    }
    return 1;
}

/* 1 when the counted string s[0..len) is lit (NUL-terminated) but for case. */
static inline int ascii_eq_lit(const char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && ascii_eq_nocase(s, lit, len);
}

/* 1 when the NUL-terminated strings a and b are the same but for case. */
static inline int ascii_eq_str(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (ascii_lower(*a) != ascii_lower(*b))
            return 0;
        if (*a == '\0')
            return 1;
    }
}

/* 1 when the NUL-terminated hay holds needle anywhere, but for case. */
static inline int ascii_contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p != '\0'; p++) {
        if (ascii_eq_nocase(p, needle, n))
            return 1;
    }
    return n == 0;
}

/* Drops blanks and line ends (ascii_is_space) from both ends of p[0..*len). */
static inline void ascii_trim(const char **p, size_t *len)
{
    while (*len > 0 && ascii_is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && ascii_is_space((*p)[*len - 1]))
        (*len)--;
}

#endif
