/* strmap.c: see strmap.h. */
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a with a final avalanche, so keys that differ only in their tail
 * (user ids like "u17", "u18") still spread over the low bits used as index. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void strmap_init(struct strmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

/* The slot holding key, or the empty slot where it would go. cap must be > 0. */
static struct strmap_slot *probe(const struct strmap *m, const char *key,
                                 size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key)
            return s;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
}

static void grow(struct strmap *m)
{
    struct strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = xmalloc(m->cap * sizeof *m->slots);
    memset(m->slots, 0, m->cap * sizeof *m->slots);
    for (size_t i = 0; i < old.cap; i++) {
        struct strmap_slot *s = &old.slots[i];
        if (s->key)
            *probe(m, s->key, s->len, s->hash) = *s;
    }
    free(old.slots);
}

struct strmap_slot *strmap_get(const struct strmap *m, const char *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    struct strmap_slot *s = probe(m, key, len, hash_bytes(key, len));
    return s->key ? s : NULL;
}

struct strmap_slot *strmap_put(struct strmap *m, const char *key, size_t len, int *created)
{
    /* Keep the load factor under 0.7 so probe sequences stay short. */
    if ((m->count + 1) * 10 > m->cap * 7)
        grow(m);
    uint64_t h = hash_bytes(key, len);
    struct strmap_slot *s = probe(m, key, len, h);
    if (created)
        *created = !s->key;
    if (!s->key) {
        s->key = xmalloc(len + 1);
        memcpy(s->key, key, len);
        s->key[len] = '\0';
        s->len = len;
        s->hash = h;
        s->ptr = NULL;
        s->num = 0;
        m->count++;
    }
    return s;
}

void strmap_free(struct strmap *m, void (*free_ptr)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        if (free_ptr && s->ptr)
            free_ptr(s->ptr);
        free(s->key);
    }
    free(m->slots);
    strmap_init(m);
}
