/* test_pairset.c: the compact pair set used by --resume and duplicate detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pairset.h"

static void key(struct pair_key *k, const char *a, const char *g, const char *u)
{
    pair_key_of(k, a, strlen(a), g, strlen(g), u, strlen(u));
}

static void test_add_and_find(void **state)
{
    (void)state;
    struct pairset s;
    struct pair_key k1, k2;
    pairset_init(&s);
    key(&k1, "acct", "g1", "u1");
    key(&k2, "acct", "g1", "u2");
    assert_false(pairset_has(&s, &k1));
    assert_int_equal(pairset_add(&s, &k1), 1);
    assert_int_equal(pairset_add(&s, &k1), 0);
    assert_true(pairset_has(&s, &k1));
    assert_false(pairset_has(&s, &k2));
    assert_int_equal(s.n, 1);
    pairset_free(&s);
}

/* Moving bytes between fields must not give the same key. */
static void test_fields_are_not_confusable(void **state)
{
    (void)state;
    struct pair_key a, b, c;
    key(&a, "ab", "c", "d");
    key(&b, "a", "bc", "d");
    key(&c, "a", "b", "cd");
    assert_false(a.hi == b.hi && a.lo == b.lo);
    assert_false(b.hi == c.hi && b.lo == c.lo);
    assert_false(a.hi == c.hi && a.lo == c.lo);
}

/* Many pairs across several growths: all found, none invented. */
static void test_many_pairs(void **state)
{
    (void)state;
    struct pairset s;
    pairset_init(&s);
    char g[32], u[32];
    for (int i = 0; i < 50000; i++) {
        struct pair_key k;
        snprintf(g, sizeof g, "g%d", i % 97);
        snprintf(u, sizeof u, "u%d", i);
        key(&k, "acct", g, u);
        assert_int_equal(pairset_add(&s, &k), 1);
    }
    assert_int_equal(s.n, 50000);
    assert_true(s.cap >= 50000 / 3 * 4);
    for (int i = 0; i < 50000; i++) {
        struct pair_key k;
        snprintf(g, sizeof g, "g%d", i % 97);
        snprintf(u, sizeof u, "u%d", i);
        key(&k, "acct", g, u);
        assert_true(pairset_has(&s, &k));
        snprintf(u, sizeof u, "x%d", i);
        key(&k, "acct", g, u);
        assert_false(pairset_has(&s, &k));
    }
    pairset_free(&s);
    assert_int_equal(s.n, 0);
}

static void test_reserve_keeps_members(void **state)
{
    (void)state;
    struct pairset s;
    struct pair_key k;
    pairset_init(&s);
    key(&k, "a", "g", "u");
    assert_int_equal(pairset_add(&s, &k), 1);
    assert_int_equal(pairset_reserve(&s, 100000), 0);
    assert_true(s.cap >= 100000 / 3 * 4);
    assert_true(s.cap <= 262144);  /* the next power of two, not more */
    size_t cap = s.cap;
    assert_true(pairset_has(&s, &k));
    assert_int_equal(pairset_reserve(&s, 10), 0);  /* never shrinks */
    assert_int_equal(s.cap, cap);
    pairset_free(&s);
}

/* Digests recorded before SHA-256 came from libcrypto: a --resume across
 * the change finds the same pairs. */
static void test_keys_recorded_before(void **state)
{
    (void)state;
    struct pair_key k;
    key(&k, "acct", "g1", "u1");
    assert_true(k.hi == 0xa4a0a8de511d2d8fULL && k.lo == 0xae7d78b75ee3228fULL);
    static char big[1024];
    memset(big, 'x', sizeof big);
    pair_key_of(&k, big, sizeof big, big, sizeof big, big, sizeof big);
    assert_true(k.hi == 0xe2b63065e1e30ed9ULL && k.lo == 0x09d6927819276a51ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_find),
        cmocka_unit_test(test_fields_are_not_confusable),
        cmocka_unit_test(test_many_pairs),
        cmocka_unit_test(test_reserve_keeps_members),
        cmocka_unit_test(test_keys_recorded_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
