/* test_ascii.c: the ASCII classes and case-insensitive comparisons: only
 * 'A'..'Z' fold, counted strings are compared by length, and a NUL-terminated
 * string is never read past its end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "ascii.h"

static void test_classes(void **state)
{
    (void)state;
    assert_true(ascii_is_digit('0') && ascii_is_digit('9'));
    assert_false(ascii_is_digit('a') || ascii_is_digit('/') || ascii_is_digit(':'));
    assert_true(ascii_is_alpha('a') && ascii_is_alpha('Z'));
    assert_false(ascii_is_alpha('@') || ascii_is_alpha('[') || ascii_is_alpha('`') ||
                 ascii_is_alpha('{') || ascii_is_alpha((char)0xC3));
    assert_true(ascii_is_space(' ') && ascii_is_space('\t') && ascii_is_space('\r') &&
                ascii_is_space('\n'));
    assert_false(ascii_is_space('\v') || ascii_is_space('\0') || ascii_is_space('x'));
    for (const char *t = "!#$%&'*+-.^_`|~azAZ09"; *t; t++)
        assert_true(ascii_is_tchar(*t));
    for (const char *t = " \t\"(),/:;<=>?@[\\]{}"; *t; t++)
        assert_false(ascii_is_tchar(*t));
    assert_false(ascii_is_tchar('\0') || ascii_is_tchar((char)0x80));
}

static void test_lower_folds_only_ascii_letters(void **state)
{
    (void)state;
    assert_int_equal(ascii_lower('A'), 'a');
    assert_int_equal(ascii_lower('Z'), 'z');
    assert_int_equal(ascii_lower('a'), 'a');
    assert_int_equal(ascii_lower('@'), '@');
    assert_int_equal(ascii_lower('['), '[');
    assert_int_equal(ascii_lower((char)0xC9), (char)0xC9);  /* Latin-1 E acute */
}

static void test_eq_nocase(void **state)
{
    (void)state;
    assert_true(ascii_eq_nocase("Retry-After", "rETRY-aFTER", 11));
    assert_false(ascii_eq_nocase("Retry-After", "Retry_After", 11));
    assert_true(ascii_eq_nocase("abcX", "ABCy", 3));  /* only n bytes */
    assert_true(ascii_eq_nocase("", "", 0));
    /* Counted: a NUL is a byte like any other. */
    assert_true(ascii_eq_nocase("a\0b", "A\0B", 3));
    assert_false(ascii_eq_nocase("a\0b", "A\0C", 3));
    /* '@' and '`' are 0x20 apart like 'A' and 'a', and must not match. */
    assert_false(ascii_eq_nocase("@", "`", 1));
    assert_false(ascii_eq_nocase("\xC3\x89", "\xC3\xA9", 2));
}

static void test_eq_lit_and_str(void **state)
{
    (void)state;
    assert_true(ascii_eq_lit("DATE", 4, "date"));
    assert_false(ascii_eq_lit("DATE", 3, "date"));
    assert_false(ascii_eq_lit("dates", 5, "date"));
    assert_true(ascii_eq_lit("dateX", 4, "date"));
    assert_true(ascii_eq_str("Account_Blocked", "account_blocked"));
    assert_false(ascii_eq_str("account_blocked!", "account_blocked"));
    assert_false(ascii_eq_str("account", "account_blocked"));
    assert_true(ascii_eq_str("", ""));
}

static void test_eq_stops_at_a_shorter_string(void **state)
{
    (void)state;
    /* "ab" and its NUL are all that is readable: the compare must stop there. */
    char *s = test_malloc(3);
    memcpy(s, "ab", 3);
    assert_false(ascii_eq_nocase(s, "abcdef", 6));
    assert_false(ascii_eq_str(s, "abcdef"));
    test_free(s);
}

static void test_contains(void **state)
{
    (void)state;
    assert_true(ascii_contains_nocase("Account is BLOCKED by admin", "blocked"));
    assert_true(ascii_contains_nocase("blocked", "blocked"));
    assert_false(ascii_contains_nocase("block", "blocked"));
    assert_false(ascii_contains_nocase("", "blocked"));
    assert_false(ascii_contains_nocase("unblocke d", "blocked"));
    assert_true(ascii_contains_nocase("xBlOcKeD", "blocked"));
}

static void test_trim(void **state)
{
    (void)state;
    const char *p = " \t 120 \r\n";
    size_t n = strlen(p);
    ascii_trim(&p, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "120", 3);
    p = " \r\n\t";
    n = strlen(p);
    ascii_trim(&p, &n);
    assert_int_equal(n, 0);
    p = "a b";
    n = strlen(p);
    ascii_trim(&p, &n);
    assert_int_equal(n, 3);
}

static void test_locale_changes_nothing(void **state)
{
    (void)state;
    /* Whatever locale a library sets, the rules stay ASCII's. */
    if (setlocale(LC_ALL, "tr_TR.UTF-8") == NULL && setlocale(LC_ALL, "C.UTF-8") == NULL)
        skip();
    assert_true(ascii_eq_str("TITLE", "title"));
    assert_int_equal(ascii_lower('I'), 'i');
    assert_false(ascii_eq_nocase("\xC3\x89", "\xC3\xA9", 2));
    setlocale(LC_ALL, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_lower_folds_only_ascii_letters),
        cmocka_unit_test(test_eq_nocase),
        cmocka_unit_test(test_eq_lit_and_str),
        cmocka_unit_test(test_eq_stops_at_a_shorter_string),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_locale_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
