/* strmap.h: a hash table keyed by byte strings (open addressing, linear probing).
 *
 * Keys are copied and may contain any bytes, NUL included (length-given).
 * Each entry carries both a pointer and a number so callers can use whichever
 * fits (a cached reply, a counter, a flag) without casting.
 * Entries are never deleted: the mock only ever adds pairs, keys and windows,
 * which keeps probing trivial. Lookups stay O(1) at 200,000+ entries because
 * the table doubles before it is 70% full.
 * Not thread-safe: callers hold their own lock. A slot pointer returned by
 * strmap_get/strmap_put is valid only until the next strmap_put. */
#ifndef TRUTO_MOCK_STRMAP_H
#define TRUTO_MOCK_STRMAP_H
#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    char *key;      /* NULL: slot unused */
    size_t len;
    uint64_t hash;
    void *ptr;      /* caller's pointer value, NULL when new */
    long num;       /* caller's number value, 0 when new */
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap;     /* power of two, or 0 before the first put */
    size_t count;
};

void strmap_init(struct strmap *m);
struct strmap_slot *strmap_get(const struct strmap *m, const char *key, size_t len);
/* Finds or inserts key; *created (may be NULL) says which. Never NULL. */
struct strmap_slot *strmap_put(struct strmap *m, const char *key, size_t len, int *created);
/* Frees keys and slots; free_ptr (may be NULL) is called on each non-NULL ptr. */
void strmap_free(struct strmap *m, void (*free_ptr)(void *));

#endif
