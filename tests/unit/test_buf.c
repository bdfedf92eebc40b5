/* test_buf.c: the growable buffer: the NUL kept after the data, growth,
 * reuse after a reset, and a size that would overflow refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"

static const struct buf EMPTY_BUF;

static void test_buf_append_keeps_nul(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_append(&b, "defXX", 3), 0);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.p, "abcdef");
    assert_true(b.cap > b.len);
    buf_free(&b);
}

static void test_buf_empty_append_gives_string(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    assert_non_null(b.p);
    assert_string_equal(b.p, "");
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_buf_reset_keeps_memory(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    char *p = b.p;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    assert_ptr_equal(b.p, p);
    assert_int_equal(b.cap, cap);
    buf_free(&b);
}

static void test_buf_reset_on_empty(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    buf_reset(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void test_buf_grows_large(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    char chunk[97];
    for (int i = 0; i < 97; i++)
        chunk[i] = (char)('a' + i % 26);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 2000 * 97);
    assert_int_equal(b.p[b.len], '\0');
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(b.p[i], chunk[i % 97]);
    buf_free(&b);
}

static void test_buf_free_resets(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "x", 1), 0);
    buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b);
}

static void test_buf_overflowing_length_refused(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.p, "abc");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_keeps_nul),
        cmocka_unit_test(test_buf_empty_append_gives_string),
        cmocka_unit_test(test_buf_reset_keeps_memory),
        cmocka_unit_test(test_buf_reset_on_empty),
        cmocka_unit_test(test_buf_grows_large),
        cmocka_unit_test(test_buf_free_resets),
        cmocka_unit_test(test_buf_overflowing_length_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
