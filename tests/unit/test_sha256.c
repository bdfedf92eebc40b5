/* test_sha256.c: SHA-256 (libcrypto's) against the FIPS 180-4 example vectors,
 * plus padding boundaries, streaming in uneven pieces, the one-shot form and
 * the length-prefixed fields encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void hex_of(const void *data, size_t len, char out[65])
{
    struct sha256 s;
    unsigned char d[32];
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, d);
    sha256_hex(d, out);
}

static void test_abc(void **state)
{
    (void)state;
    char hex[65];
    hex_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_empty(void **state)
{
    (void)state;
    char hex[65];
    hex_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_448_bit_message(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    assert_int_equal(strlen(m), 56);
    hex_of(m, strlen(m), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bit_message(void **state)
{
    (void)state;
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[65];
    assert_int_equal(strlen(m), 112);
    hex_of(m, strlen(m), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    /* Fed in 1000-byte pieces, which do not align with 64-byte blocks. */
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    struct sha256 s;
    unsigned char d[32];
    char hex[65];
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, chunk, sizeof chunk);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the point where padding needs a second block (55/56) and
 * around whole blocks; expected values from an independent implementation. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        { 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
        { 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
        { 57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73" },
        { 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
        { 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
        { 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
        { 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
        { 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
        { 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
        { 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
    };
    unsigned char msg[128];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)((i * 7 + 3) & 0xff);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        hex_of(msg, cases[i].n, hex);
        assert_string_equal(hex, cases[i].hex);
    }
}

/* Any split of the input into pieces gives the same digest as one update. */
static void test_streaming_matches_one_shot(void **state)
{
    (void)state;
    unsigned char msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 31 + 1);
    for (size_t len = 0; len <= sizeof msg; len += 7) {
        char whole[65];
        hex_of(msg, len, whole);
        for (size_t step = 1; step <= 70; step += 3) {
            struct sha256 s;
            unsigned char d[32];
            char parts[65];
            sha256_init(&s);
            for (size_t off = 0; off < len; off += step)
                sha256_update(&s, msg + off, len - off < step ? len - off : step);
            sha256_final(&s, d);
            sha256_hex(d, parts);
            assert_string_equal(parts, whole);
        }
    }
}

static void test_zero_length_update_is_noop(void **state)
{
    (void)state;
    struct sha256 s;
    unsigned char d[32];
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, "ab", 2);
    sha256_update(&s, NULL, 0);
    sha256_update(&s, "c", 1);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hex_is_lower_case_and_terminated(void **state)
{
    (void)state;
    unsigned char d[32];
    char out[66];
    for (int i = 0; i < 32; i++)
        d[i] = (unsigned char)(i * 8 + 0x0f);
    memset(out, 'X', sizeof out);
    sha256_hex(d, out);
    assert_int_equal(out[64], '\0');
    assert_int_equal(out[65], 'X');  /* nothing written past the NUL */
    assert_memory_equal(out, "0f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff07", 64);
}

/* The one-shot form and the stream agree on every length around the block
 * and padding boundaries, the stream fed in random pieces. */
static void test_once_matches_stream(void **state)
{
    (void)state;
    unsigned char m[700];
    srand(7);
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (unsigned char)rand();
    for (size_t len = 0; len <= sizeof m; len++) {
        unsigned char once[32], streamed[32];
        sha256_once(m, len, once);
        struct sha256 s;
        assert_int_equal(sha256_init(&s), 0);
        for (size_t off = 0; off < len;) {
            size_t n = (size_t)rand() % 150;
            if (n > len - off)
                n = len - off;
            sha256_update(&s, m + off, n);
            off += n;
        }
        assert_int_equal(sha256_final(&s, streamed), 0);
        assert_memory_equal(once, streamed, 32);
    }
}

/* The fields' encoding, built by hand: prefix, then each length (8 bytes,
 * big-endian) and bytes; the same from the stack and, for a message too long
 * for it, from the stream. */
static void fields_by_hand(const char *prefix, const char *const *f, const size_t *len, size_t n,
                           unsigned char out[32])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, prefix, strlen(prefix));
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8] = {0};
        for (int k = 0; k < 8; k++)
            b[k] = (unsigned char)((uint64_t)len[i] >> (56 - 8 * k));
        sha256_update(&s, b, 8);
        sha256_update(&s, f[i], len[i]);
    }
    sha256_final(&s, out);
}

static void test_fields(void **state)
{
    (void)state;
    static char big[6000];
    memset(big, 'q', sizeof big);
    const char *f[] = {"acct", "", "g\0x", big};
    const size_t lens[][4] = {{4, 0, 3, 10}, {4, 0, 3, 1024}, {4, 0, 3, 4070}, {4, 0, 3, 6000}};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        unsigned char want[32], got[32];
        fields_by_hand("grouprm-pair", f, lens[i], 4, want);
        sha256_fields("grouprm-pair", 12, f, lens[i], 4, got);
        assert_memory_equal(got, want, 32);
    }
    /* No two lists of fields look alike: ("ab", "") is not ("a", "b"). */
    const char *x[] = {"ab", ""}, *y[] = {"a", "b"};
    const size_t lx[] = {2, 0}, ly[] = {1, 1};
    unsigned char dx[32], dy[32];
    sha256_fields(NULL, 0, x, lx, 2, dx);
    sha256_fields(NULL, 0, y, ly, 2, dy);
    assert_memory_not_equal(dx, dy, 32);
}

static void test_unstarted_stream(void **state)
{
    (void)state;
    struct sha256 s = {0};
    unsigned char d[32];
    memset(d, 0xAA, sizeof d);
    sha256_update(&s, "abc", 3);  /* nothing happens */
    assert_int_equal(sha256_final(&s, d), -1);
    for (int i = 0; i < 32; i++)
        assert_int_equal(d[i], 0);
    sha256_free(&s);  /* harmless, twice too */
    sha256_free(&s);
    assert_int_equal(sha256_init(&s), 0);
    sha256_free(&s);  /* a stream that is never finished */
    assert_null(s.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_448_bit_message),
        cmocka_unit_test(test_896_bit_message),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_streaming_matches_one_shot),
        cmocka_unit_test(test_zero_length_update_is_noop),
        cmocka_unit_test(test_hex_is_lower_case_and_terminated),
        cmocka_unit_test(test_once_matches_stream),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unstarted_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
