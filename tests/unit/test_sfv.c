/* test_sfv.c: the structured-field subset: every bare item type, the
 * parameters the RateLimit fields use, lists, and the malformed fields that
 * must be refused whole. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sfv.h"

static struct sfv_item items[SFV_MAX_ITEMS];

static int list(const char *s)
{
    memset(items, 0, sizeof items);
    return sfv_parse_list(s, strlen(s), items);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(list("110"), 1);
    assert_int_equal(items[0].kind, SFV_NUMBER);
    assert_true(items[0].num == 110.0);
    assert_int_equal(list("2.5"), 1);
    assert_true(items[0].num == 2.5);
    assert_int_equal(list("-3"), 1);
    assert_true(items[0].num == -3.0);
    assert_int_equal(list("999999999999"), 1);  /* SFV_MAX_INT_DIGITS */
    assert_true(items[0].num == 999999999999.0);
    assert_int_equal(list("0.123456789"), 1);   /* nine fractional digits */
    assert_true(items[0].num > 0.1234567889 && items[0].num < 0.1234567891);
}

static void test_numbers_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "9999999999999", "0.1234567890", "1.", ".5", "-", "+1", "1e5", "0x10", "1,5.",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(list(bad[i]), -1);
}

static void test_strings_and_tokens_are_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "\"default\"", "\"a \\\"quoted\\\" \\\\ name\"", "\"\"", "default", "*star",
        "a:b/c", "inf", "tok_en-1.2",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_int_equal(list(names[i]), 1);
        assert_int_equal(items[0].kind, SFV_NAME);
    }
}

static void test_strings_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"open", "\"bad \\n escape\"", "\"tab\there\"", "\"caf\xc3\xa9\"", "\"a\"b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(list(bad[i]), -1);
}

static void test_other_bare_items_checked_not_kept(void **state)
{
    (void)state;
    static const char *const other[] = { "?0", "?1", ":cHJvamVjdA==:", "::", "@1700000000" };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        assert_int_equal(list(other[i]), 1);
        assert_int_equal(items[0].kind, SFV_OTHER);
    }
    static const char *const bad[] = { "?", "?2", ":a b:", ":open", "@1.5", "@", "(a b)", "#x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(list(bad[i]), -1);
}

static void test_known_parameters(void **state)
{
    (void)state;
    assert_int_equal(list("\"default\";r=50;t=2.5;q=100;w=10"), 1);
    assert_true(items[0].has_r && items[0].r == 50.0);
    assert_true(items[0].has_t && items[0].t == 2.5);
    assert_true(items[0].has_q && items[0].q == 100.0);
    assert_true(items[0].has_w && items[0].w == 10.0);
    assert_int_equal(list("110"), 1);
    assert_false(items[0].has_r || items[0].has_t || items[0].has_q || items[0].has_w);
}

static void test_parameters_lenient_where_harmless(void **state)
{
    (void)state;
    /* Blanks around ';' and upper-case keys, as some servers send them. */
    assert_int_equal(list("110 ; W=10;  R=3"), 1);
    assert_true(items[0].has_w && items[0].w == 10.0);
    assert_true(items[0].has_r && items[0].r == 3.0);
}

static void test_unknown_parameters_skipped(void **state)
{
    (void)state;
    assert_int_equal(list("default;r=3;pk=:cHJvamVjdDEyMw==:;burst;c=\"per app\";n=-1.5;"
                          "f=?1;d=@5;x_y.z-1*=tok"),
                     1);
    assert_true(items[0].has_r && items[0].r == 3.0);
    assert_false(items[0].has_t);
}

static void test_parameters_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a;r=-1", "a;r=1.5", "a;q=-1", "a;q=2.5", "a;t=-3", "a;w=0", "a;w=-1", "a;r",
        "a;w", "a;r=x", "a;", "a;1=2", "a;k=", "a;k=\"open", "a; =1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(list(bad[i]), -1);
}

static void test_list_in_order(void **state)
{
    (void)state;
    assert_int_equal(list(" 10, 10;w=1 ,\t50;w=60 "), 3);
    assert_true(items[0].num == 10.0 && !items[0].has_w);
    assert_true(items[1].num == 10.0 && items[1].w == 1.0);
    assert_true(items[2].num == 50.0 && items[2].w == 60.0);
    assert_int_equal(list("\"burst\";r=5;t=1, \"day\";r=0;t=3600"), 2);
    assert_int_equal(items[1].kind, SFV_NAME);
    assert_true(items[1].r == 0.0 && items[1].t == 3600.0);
}

static void test_lists_refused(void **state)
{
    (void)state;
    static const char *const bad[] = { "", "   ", "5,", ",5", "5,,6", "5 6", "a b", "5;w=1 x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(list(bad[i]), -1);
}

static void test_items_past_the_limit_checked_not_kept(void **state)
{
    (void)state;
    char s[256] = "";
    for (int i = 0; i < SFV_MAX_ITEMS + 4; i++)
        snprintf(s + strlen(s), sizeof s - strlen(s), "%s%d", i ? ", " : "", i);
    assert_int_equal(list(s), SFV_MAX_ITEMS);
    assert_true(items[SFV_MAX_ITEMS - 1].num == SFV_MAX_ITEMS - 1);
    snprintf(s + strlen(s), sizeof s - strlen(s), ", ?9");
    assert_int_equal(list(s), -1);
}

static void test_counted_not_terminated(void **state)
{
    (void)state;
    const char *s = "5, 6;w=2garbage";
    assert_int_equal(sfv_parse_list(s, strlen("5, 6;w=2"), items), 2);
    assert_true(items[1].num == 6.0 && items[1].w == 2.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_numbers_refused),
        cmocka_unit_test(test_strings_and_tokens_are_names),
        cmocka_unit_test(test_strings_refused),
        cmocka_unit_test(test_other_bare_items_checked_not_kept),
        cmocka_unit_test(test_known_parameters),
        cmocka_unit_test(test_parameters_lenient_where_harmless),
        cmocka_unit_test(test_unknown_parameters_skipped),
        cmocka_unit_test(test_parameters_refused),
        cmocka_unit_test(test_list_in_order),
        cmocka_unit_test(test_lists_refused),
        cmocka_unit_test(test_items_past_the_limit_checked_not_kept),
        cmocka_unit_test(test_counted_not_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
