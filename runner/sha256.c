/* sha256.c: SHA-256 as specified in FIPS 180-4, streaming, no allocation.
 *
 * Each request's Idempotency-Key and each row's pair key are hashes, so the
 * compression function is on the per-request path. The portable version is the
 * plain textbook loop over a 64-word schedule; on x86-64 CPUs with the SHA
 * extensions, the same function is computed with them (about ten times fewer
 * instructions). The unit tests check the two against each other. */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
    0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
    0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
    0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* Big-endian load: the standard fixes byte order independently of the host. */
static uint32_t load_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void compress_portable(uint32_t h[8], const unsigned char blk[64])
{
    uint32_t w[64];
    for (unsigned i = 0; i < 16; i++)
        w[i] = load_be32(blk + 4 * i);
    for (unsigned i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
    for (unsigned i = 0; i < 64; i++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = k + S1 + ch + K[i] + w[i];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

#ifdef HAVE_SHA_NI
/* The state lives in two registers as the instructions want it, ABEF and CDGH.
 * Each group of four rounds takes four schedule words; sha256msg1/msg2 extend
 * the schedule four words at a time (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) +
 * W[t-16]), the W[t-7] term coming from an alignr of the two latest groups. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_shani(uint32_t h[8], const unsigned char blk[64])
{
    const __m128i be = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    const __m128i abef0 = abef, cdgh0 = cdgh;

    __m128i w[4];
    for (int i = 0; i < 4; i++)
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)), be);
    for (int g = 0; g < 16; g++) {
        if (g >= 4) {
            __m128i m = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
            m = _mm_add_epi32(m, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
            w[g & 3] = _mm_sha256msg2_epu32(m, w[(g + 3) & 3]);
        }
        __m128i k = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int cpu_has_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (b & (1u << 29)) != 0;  /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}
#endif

static int accel = -1;  /* -1: not yet decided */

int sha256_accelerated(void)
{
#ifdef HAVE_SHA_NI
    if (accel < 0)
        accel = cpu_has_sha_ni();
#else
    accel = 0;
#endif
    return accel;
}

int sha256_set_accelerated(int on)
{
    int prev = sha256_accelerated();
#ifdef HAVE_SHA_NI
    accel = on && cpu_has_sha_ni();
#else
    (void)on;
#endif
    return prev;
}

static void compress(uint32_t h[8], const unsigned char blk[64])
{
#ifdef HAVE_SHA_NI
    if (accel > 0 || (accel < 0 && sha256_accelerated())) {
        compress_shani(h, blk);
        return;
    }
#endif
    compress_portable(h, blk);
}

void sha256_init(struct sha256 *s)
{
    /* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
    static const uint32_t iv[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };
    memcpy(s->h, iv, sizeof iv);
    s->total = 0;
    s->used = 0;
    memset(s->blk, 0, sizeof s->blk);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len == 0)
        return;  /* data may be NULL then; memcpy must not see it */
    s->total += len;

    /* Top up a partly filled block first, so whole blocks can be compressed
     * straight from the caller's memory without copying. */
    if (s->used > 0) {
        size_t take = 64 - s->used;
        if (take > len)
            take = len;
        memcpy(s->blk + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used < 64)
            return;
        compress(s->h, s->blk);
        s->used = 0;
    }
    while (len >= 64) {
        compress(s->h, p);
        p += 64;
        len -= 64;
    }
    if (len > 0) {
        memcpy(s->blk, p, len);
        s->used = len;
    }
}

void sha256_final(struct sha256 *s, unsigned char out[32])
{
    /* The length field counts bits modulo 2^64, as the standard allows. */
    uint64_t bits = s->total * 8u;

    s->blk[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->blk + s->used, 0, 64 - s->used);
        compress(s->h, s->blk);
        s->used = 0;
    }
    memset(s->blk + s->used, 0, 56 - s->used);
    for (unsigned i = 0; i < 8; i++)
        s->blk[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    compress(s->h, s->blk);

    for (unsigned i = 0; i < 8; i++)
        store_be32(out + 4 * i, s->h[i]);
    /* Leave the state clean so an accidental second final is not a silent
     * continuation of the old message. */
    sha256_init(s);
}

void sha256_hex(const unsigned char d[32], char out[65])
{
    static const char hexd[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hexd[d[i] >> 4];
        out[2 * i + 1] = hexd[d[i] & 0x0f];
    }
    out[64] = '\0';
}
