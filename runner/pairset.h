/* pairset.h: a set of (account, group_id, user_id) pairs, stored compactly. Pure.
 *
 * Each pair is kept as 16 bytes: the first half of the SHA-256 of its three fields,
 * each length-prefixed (so no two different pairs share an encoding). At that
 * width a false match among a million pairs has a probability near 1e-27, and the
 * table for a million pairs takes 32 MiB (open addressing, load <= 3/4),
 * where full strings would not fit a 64 MiB budget. Used for --resume (pairs
 * already done) and for duplicate detection. */
#ifndef GROUPRM_PAIRSET_H
#define GROUPRM_PAIRSET_H
#include <stddef.h>
#include <stdint.h>

struct pair_key {
    uint64_t hi, lo;    /* never both 0: that marks an empty slot */
};

struct pairset {
    struct pair_key *slots;
    size_t cap;         /* a power of two, or 0 */
    size_t n;
};

void pair_key_of(struct pair_key *k, const char *account, size_t alen, const char *group,
                 size_t glen, const char *user, size_t ulen);

void pairset_init(struct pairset *s);
void pairset_free(struct pairset *s);
/* Makes room for n pairs at once, so that a set whose final size can be
 * estimated never holds an old and a new table together while growing.
 * 0, or -1 when out of memory (the set is unchanged). */
int pairset_reserve(struct pairset *s, size_t n);
/* 1 if newly added, 0 if it was there, -1 when out of memory. */
int pairset_add(struct pairset *s, const struct pair_key *k);
int pairset_has(const struct pairset *s, const struct pair_key *k);

#endif
