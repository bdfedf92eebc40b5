/* util.h: allocation that never fails and a growable byte string.
 *
 * The mock is a test tool: running out of memory is not a condition worth
 * answering gracefully, so x* helpers print one line and abort instead of
 * threading error paths through every caller.
 *
 * struct sbuf is a NUL-terminated growable buffer; an all-zero sbuf is empty
 * and valid. sbuf_add_escaped writes the journal's field escaping. */
#ifndef TRUTO_MOCK_UTIL_H
#define TRUTO_MOCK_UTIL_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* NULL stays NULL: for optional header and query values. */
char *xstrdup_opt(const char *s);

struct sbuf {
    char *p;     /* NUL-terminated once anything was added; NULL while empty */
    size_t len;  /* bytes in use, excluding the NUL */
    size_t cap;  /* bytes allocated */
};

void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s (NULL = "") with \ -> \\, TAB -> \t, LF -> \n, CR -> \r. */
void sbuf_add_escaped(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);

#endif
