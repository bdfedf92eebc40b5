/* sha256.c: see sha256.h. */
#include "sha256.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

void sha256_once(const void *data, size_t len, unsigned char out[32])
{
    SHA256(data, len, out);
}

static void be64(unsigned char b[8], uint64_t n)
{
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(n & 0xff);
        n >>= 8;
    }
}

void sha256_fields(const void *prefix, size_t plen, const char *const *f, const size_t *len,
                   size_t n, unsigned char out[32])
{
    unsigned char msg[4096];
    size_t used = plen;
    int fits = plen <= sizeof msg;
    if (fits && plen)
        memcpy(msg, prefix, plen);
    for (size_t i = 0; i < n && fits; i++) {
        fits = len[i] <= sizeof msg - used && sizeof msg - used - len[i] >= 8;
        if (fits) {
            be64(msg + used, len[i]);
            if (len[i])
                memcpy(msg + used + 8, f[i], len[i]);
            used += 8 + len[i];
        }
    }
    if (fits) {
        sha256_once(msg, used, out);
        return;
    }
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, prefix, plen);
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8];
        be64(b, len[i]);
        sha256_update(&s, b, sizeof b);
        sha256_update(&s, f[i], len[i]);
    }
    sha256_final(&s, out);
}

int sha256_init(struct sha256 *s)
{
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx && EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) == 1)
        return 0;
    sha256_free(s);
    return -1;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
    if (s->ctx && len && EVP_DigestUpdate(s->ctx, data, len) != 1)
        sha256_free(s);  /* final then says so */
}

int sha256_final(struct sha256 *s, unsigned char out[32])
{
    unsigned int n = 0;
    int ok = s->ctx && EVP_DigestFinal_ex(s->ctx, out, &n) == 1 && n == 32;
    sha256_free(s);
    if (!ok)
        memset(out, 0, 32);
    return ok ? 0 : -1;
}

void sha256_free(struct sha256 *s)
{
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
}

void sha256_hex(const unsigned char d[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}
