/* test_sha256.c: SHA-256 against the FIPS 180-4 example vectors, plus padding
 * boundaries and streaming in uneven pieces. */
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

/* The CPU's SHA instructions and the portable code must agree on everything:
 * the standard's vectors, then random messages of every length around the block
 * and padding boundaries, fed in random pieces. */
static void digest_both(const unsigned char *m, size_t len, unsigned seed, char portable[65],
                        char accel[65])
{
    for (int mode = 0; mode < 2; mode++) {
        sha256_set_accelerated(mode);
        struct sha256 s;
        unsigned char d[32];
        sha256_init(&s);
        srand(seed);
        for (size_t off = 0; off < len;) {
            size_t n = (size_t)rand() % 150;
            if (n > len - off)
                n = len - off;
            sha256_update(&s, m + off, n);
            off += n;
        }
        sha256_final(&s, d);
        sha256_hex(d, mode ? accel : portable);
    }
    sha256_set_accelerated(1);
}

static void test_sha_instructions_match_portable(void **state)
{
    (void)state;
    int prev = sha256_set_accelerated(1);
    if (!sha256_accelerated()) {
        sha256_set_accelerated(prev);
        skip();  /* this CPU has no SHA instructions: only the portable code runs */
    }
    static const struct { const char *msg, *hex; } v[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char p[65], a[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        digest_both((const unsigned char *)v[i].msg, strlen(v[i].msg), 1, p, a);
        assert_string_equal(p, v[i].hex);
        assert_string_equal(a, v[i].hex);
    }
    unsigned char m[700];
    srand(7);
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (unsigned char)rand();
    for (size_t len = 0; len <= sizeof m; len++) {
        digest_both(m, len, (unsigned)len, p, a);
        assert_string_equal(a, p);
    }
    sha256_set_accelerated(prev);
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
        cmocka_unit_test(test_sha_instructions_match_portable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
