/* buf.h: a growable byte buffer, always NUL-terminated, reused between uses so
 * that a run's thousands of requests and lines allocate only while it grows.
 * Pure: no clock, no I/O.
 *
 * A zeroed struct buf is an empty buffer; p stays NULL until the first append
 * (an append of nothing included), after which p[len] is always '\0'. Growth
 * doubles the capacity (64 bytes at least), and a size that would overflow is
 * refused, leaving the buffer as it was. */
#ifndef GROUPRM_BUF_H
#define GROUPRM_BUF_H
#include <stddef.h>

struct buf {
    char *p;
    size_t len, cap;  /* len excludes the NUL kept after the data */
};

/* Empties b, keeping its memory for the next use. */
void buf_reset(struct buf *b);
/* Appends s[0..n) (s may be NULL when n is 0). 0, or -1 on ENOMEM or overflow. */
int buf_append(struct buf *b, const char *s, size_t n);
/* Makes room for extra more bytes and the NUL, so that appends of that many
 * bytes will not fail, nor move p. 0, or -1 on ENOMEM or overflow. */
int buf_reserve(struct buf *b, size_t extra);
/* Frees b's memory and leaves it empty and zeroed, ready for reuse. */
void buf_free(struct buf *b);

#endif
