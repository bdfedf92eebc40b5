/* sha256.h: SHA-256 (FIPS 180-4) from libcrypto, which libcurl's OpenSSL
 * backend has loaded into the process already.
 *
 * Two forms: sha256_once() for a short message held in memory (the
 * Idempotency-Key, a pair's digest: once per request or row, with no
 * allocation), and a stream (the input file's hash) through an EVP digest
 * context that sha256_init allocates and sha256_final or sha256_free frees. */
#ifndef GROUPRM_SHA256_H
#define GROUPRM_SHA256_H
#include <stddef.h>

struct evp_md_ctx_st;

struct sha256 {
    struct evp_md_ctx_st *ctx;  /* NULL when not started, or after final/free */
};

void sha256_once(const void *data, size_t len, unsigned char out[32]);
/* The digest of prefix (plen bytes, as they are) followed by each of the n
 * fields as an 8-byte big-endian length and its bytes: an encoding in which
 * no two lists of fields look alike. Short messages (the usual: ids are at
 * most 1 KiB) are hashed from the stack in one call. */
void sha256_fields(const void *prefix, size_t plen, const char *const *f, const size_t *len,
                   size_t n, unsigned char out[32]);

/* 0, or -1 when out of memory (the stream then stays unstarted). */
int sha256_init(struct sha256 *s);
/* Nothing happens on an unstarted stream. */
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest, then the stream is freed. 0, or -1 when it was never started
 * or libcrypto failed (out is then zeroed). */
int sha256_final(struct sha256 *s, unsigned char out[32]);
/* Frees a stream that will not be finished; harmless on one that was. */
void sha256_free(struct sha256 *s);
/* Lower-case hex of a digest: out gets 64 characters and a NUL. */
void sha256_hex(const unsigned char d[32], char out[65]);

#endif
