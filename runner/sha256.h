/* sha256.h: SHA-256 (FIPS 180-4), streaming. Pure, no allocation. */
#ifndef GROUPRM_SHA256_H
#define GROUPRM_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t total;        /* bytes hashed so far */
    unsigned char blk[64];
    size_t used;           /* bytes waiting in blk */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* 1 when the CPU's SHA instructions compute the hashes (x86-64 with the SHA
 * extensions), else 0. sha256_set_accelerated(0) forces the portable code and
 * (1) allows the instructions again where the CPU has them; it returns the
 * previous setting. For tests, which compare the two. */
int sha256_accelerated(void);
int sha256_set_accelerated(int on);
/* Lower-case hex of a digest: out gets 64 characters and a NUL. */
void sha256_hex(const unsigned char d[32], char out[65]);

#endif
