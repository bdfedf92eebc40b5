/* pairset.c: see pairset.h. Linear probing up to a load of 3/4; the digests are
 * uniform, so their low bits index the table directly and clusters stay short. */
#include "pairset.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

void pair_key_of(struct pair_key *k, const char *account, size_t alen, const char *group,
                 size_t glen, const char *user, size_t ulen)
{
    const char *f[] = {account, group, user};
    const size_t len[] = {alen, glen, ulen};
    unsigned char d[32];
    sha256_fields("grouprm-pair", 12, f, len, 3, d);
    k->hi = k->lo = 0;
    for (int i = 0; i < 8; i++) {
        k->hi = k->hi << 8 | d[i];
        k->lo = k->lo << 8 | d[8 + i];
    }
    if (k->hi == 0 && k->lo == 0)
        k->lo = 1;  /* keep the empty marker free */
}

void pairset_init(struct pairset *s) { memset(s, 0, sizeof *s); }

void pairset_free(struct pairset *s)
{
    free(s->slots);
    pairset_init(s);
}

static int is_empty(const struct pair_key *k) { return k->hi == 0 && k->lo == 0; }

static size_t find(const struct pair_key *slots, size_t cap, const struct pair_key *k)
{
    size_t i = (size_t)k->lo & (cap - 1);
    while (!is_empty(&slots[i]) && !(slots[i].hi == k->hi && slots[i].lo == k->lo))
        i = (i + 1) & (cap - 1);
    return i;
}

static int resize(struct pairset *s, size_t cap)
{
    struct pair_key *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (!is_empty(&s->slots[i]))
            t[find(t, cap, &s->slots[i])] = s->slots[i];
    free(s->slots);
    s->slots = t;
    s->cap = cap;
    return 0;
}

int pairset_reserve(struct pairset *s, size_t n)
{
    size_t cap = s->cap ? s->cap : 1024;
    while (cap / 4 * 3 < n)
        cap *= 2;
    return cap == s->cap ? 0 : resize(s, cap);
}

int pairset_add(struct pairset *s, const struct pair_key *k)
{
    if (s->n + 1 > s->cap / 4 * 3 && resize(s, s->cap ? s->cap * 2 : 1024) != 0)
        return -1;
    size_t i = find(s->slots, s->cap, k);
    if (!is_empty(&s->slots[i]))
        return 0;
    s->slots[i] = *k;
    s->n++;
    return 1;
}

int pairset_has(const struct pairset *s, const struct pair_key *k)
{
    return s->cap && !is_empty(&s->slots[find(s->slots, s->cap, k)]);
}
