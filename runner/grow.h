/* grow.h: room for one more item in a growable array. Pure. */
#ifndef GROUPRM_GROW_H
#define GROUPRM_GROW_H
#include <stdint.h>
#include <stdlib.h>

/* Room for item n of an array of elem-sized items with capacity *cap: the
 * array itself when it has room, else a copy grown to twice the capacity (first
 * when empty), with *cap updated. NULL when memory is short; then the array and
 * *cap are unchanged. */
static inline void *grow_room(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return arr;
    size_t want = *cap ? *cap * 2 : first;
    if (want < *cap || want > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(arr, want * elem);
    if (p)
        *cap = want;
    return p;
}

#endif
