/* test_request.c: percent-encoding, URL, JSON body, idempotency key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "request.h"

static const struct buf EMPTY_BUF;

static const char *enc(struct buf *b, const char *s, size_t n)
{
    buf_reset(b);
    assert_int_equal(url_encode_append(b, s, n), 0);
    assert_int_equal(strlen(b->p), b->len);
    return b->p;
}

/* ---- percent-encoding --------------------------------------------------- */

static void test_encode_reserved(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_string_equal(enc(&b, "&", 1), "%26");
    assert_string_equal(enc(&b, "=", 1), "%3D");
    assert_string_equal(enc(&b, " ", 1), "%20");
    assert_string_equal(enc(&b, "/", 1), "%2F");
    assert_string_equal(enc(&b, "%", 1), "%25");
    assert_string_equal(enc(&b, "+", 1), "%2B");
    assert_string_equal(enc(&b, "?#[]@!$'()*,;:", 14),
                        "%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A");
    buf_free(&b);
}

static void test_encode_unreserved_kept(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    const char *u = "ABCXYZabcxyz0189-._~";
    assert_string_equal(enc(&b, u, strlen(u)), u);
    buf_free(&b);
}

static void test_encode_utf8_bytes(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_string_equal(enc(&b, "caf\xc3\xa9", 5), "caf%C3%A9");
    assert_string_equal(enc(&b, "\xf0\x9f\x98\x80", 4), "%F0%9F%98%80");
    assert_string_equal(enc(&b, "\xff\x80\x7f", 3), "%FF%80%7F");
    buf_free(&b);
}

static void test_encode_nul_byte_counted(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_string_equal(enc(&b, "a\0b", 3), "a%00b");
    buf_free(&b);
}

static void test_encode_empty(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_string_equal(enc(&b, "", 0), "");
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_encode_appends(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "k=", 2), 0);
    assert_int_equal(url_encode_append(&b, "a b", 3), 0);
    assert_string_equal(b.p, "k=a%20b");
    assert_int_equal(b.len, 7);
    buf_free(&b);
}

/* ---- URL ---------------------------------------------------------------- */

static void test_url_basic(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_url(&b, "https://api.truto.one", "/unified/user-directory/x",
                                 "acc-1"),
                     0);
    assert_string_equal(b.p,
                        "https://api.truto.one/unified/user-directory/x?integrated_account_id=acc-1");
    buf_free(&b);
}

static void test_url_trailing_slash_dropped(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    const char *want = "https://h.example/p?integrated_account_id=a";
    assert_int_equal(request_url(&b, "https://h.example/", "/p", "a"), 0);
    assert_string_equal(b.p, want);
    assert_int_equal(request_url(&b, "https://h.example///", "/p", "a"), 0);
    assert_string_equal(b.p, want);
    assert_int_equal(request_url(&b, "https://h.example", "/p", "a"), 0);
    assert_string_equal(b.p, want);
    buf_free(&b);
}

static void test_url_path_without_slash(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_url(&b, "https://h.example/", "p", "a"), 0);
    assert_string_equal(b.p, "https://h.example/p?integrated_account_id=a");
    buf_free(&b);
}

static void test_url_account_encoded(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_url(&b, "https://h", "/p", "a b&c=d/e%f"), 0);
    assert_string_equal(b.p, "https://h/p?integrated_account_id=a%20b%26c%3Dd%2Fe%25f");
    buf_free(&b);
}

static void test_url_resets_buffer(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(buf_append(&b, "leftover", 8), 0);
    assert_int_equal(request_url(&b, "https://h", "/p", "a"), 0);
    assert_string_equal(b.p, "https://h/p?integrated_account_id=a");
    assert_int_equal(b.len, strlen(b.p));
    buf_free(&b);
}

static void test_url_null_refused(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_url(&b, NULL, "/p", "a"), -1);
    assert_int_equal(request_url(&b, "https://h", NULL, "a"), -1);
    assert_int_equal(request_url(&b, "https://h", "/p", NULL), -1);
    buf_free(&b);
}

/* ---- JSON body ---------------------------------------------------------- */

static void test_body_plain(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "g1", "u1", NULL), 0);
    assert_string_equal(b.p, "{\"group_id\":\"g1\",\"user_id\":\"u1\",\"remote_data\":{}}");
    assert_int_equal(b.len, strlen(b.p));
    buf_free(&b);
}

static void test_body_escapes_quotes_and_backslash(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "a\"b", "c\\d", NULL), 0);
    assert_string_equal(b.p,
                        "{\"group_id\":\"a\\\"b\",\"user_id\":\"c\\\\d\",\"remote_data\":{}}");
    buf_free(&b);
}

static void test_body_escapes_control_chars(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "x\ny\tz\x01", "u", NULL), 0);
    assert_non_null(strstr(b.p, "\"group_id\":\"x\\ny\\tz\\u0001\""));
    for (size_t i = 0; i < b.len; i++)
        assert_true((unsigned char)b.p[i] >= 0x20);
    buf_free(&b);
}

static void test_body_unicode_intact(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "caf\xc3\xa9", "\xf0\x9f\x98\x80", NULL), 0);
    assert_string_equal(b.p, "{\"group_id\":\"caf\xc3\xa9\",\"user_id\":\"\xf0\x9f\x98\x80\","
                             "\"remote_data\":{}}");
    buf_free(&b);
}

/* Every ASCII byte survives a round trip through the body. */
static void test_body_round_trips_all_ascii(void **state)
{
    (void)state;
    char all[128];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = '\0';
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, all, "u", NULL), 0);
    cJSON *root = cJSON_Parse(b.p);
    assert_non_null(root);
    cJSON *g = cJSON_GetObjectItemCaseSensitive(root, "group_id");
    assert_true(cJSON_IsString(g));
    assert_string_equal(g->valuestring, all);
    cJSON_Delete(root);
    buf_free(&b);
}

static void test_body_remote_data_object(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "g", "u", " {\"role\": \"member\", \"n\": [1, true, null]} \n"), 0);
    assert_string_equal(b.p, "{\"group_id\":\"g\",\"user_id\":\"u\","
                             "\"remote_data\":{\"role\":\"member\",\"n\":[1,true,null]}}");
    buf_free(&b);
}

static void test_body_remote_data_non_object_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "[]", "[{}]", "1", "\"s\"", "null", "true", "{", "{\"a\":}", "{} x", "{}{}",
        "not json",
    };
    struct buf b = EMPTY_BUF;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(request_body(&b, "g", "u", bad[i]), -1);
    buf_free(&b);
}

static void test_body_null_ids_refused(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, NULL, "u", NULL), -1);
    assert_int_equal(request_body(&b, "g", NULL, NULL), -1);
    buf_free(&b);
}

static void test_body_resets_buffer(void **state)
{
    (void)state;
    struct buf b = EMPTY_BUF;
    assert_int_equal(request_body(&b, "first", "u", NULL), 0);
    assert_int_equal(request_body(&b, "g", "u", NULL), 0);
    assert_string_equal(b.p, "{\"group_id\":\"g\",\"user_id\":\"u\",\"remote_data\":{}}");
    buf_free(&b);
}

/* ---- idempotency key ---------------------------------------------------- */

static void key(char out[IDEMPOTENCY_KEY_LEN + 1], const char *m, const char *a,
                const char *g, const char *u)
{
    memset(out, 'X', IDEMPOTENCY_KEY_LEN + 1);
    idempotency_key(out, m, a, g, u);
}

static void test_key_format(void **state)
{
    (void)state;
    char k[IDEMPOTENCY_KEY_LEN + 1];
    key(k, "DELETE", "acc-1", "grp-1", "usr-1");
    assert_int_equal(strlen(k), 64);
    for (int i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", k[i]));
}

/* Pins the exact construction: SHA-256 over each field as an 8-byte big-endian
 * length and its bytes. Changing it would change keys between versions. */
static void test_key_known_value(void **state)
{
    (void)state;
    char k[IDEMPOTENCY_KEY_LEN + 1];
    key(k, "DELETE", "acc-1", "grp-1", "usr-1");
    assert_string_equal(k, "67e87a08210b9c7f0d0f420611111c1c4561dc7e4e49ae85f0053159bcf1cb87");
}

/* Keys recorded with the SHA-256 this project computed itself, before it
 * came from libcrypto: every key a server has cached stays the same. */
static void test_keys_recorded_before(void **state)
{
    (void)state;
    static const char *const v[][5] = {
        {"remove", "acct_okta_prod", "00g1k2x9aHRcontractors", "00u8f3a1bJdoe",
         "ce331cecf850e8aa0c0c0265cfbb7d81430cada3420d717c75838caeba67f625"},
        {"remove-user", "a", "g", "u",
         "9a175a0d213cd40bbc86c385b92fded46fe7b224129d7137c4aaba4bf71fee97"},
        {"add", "", "", "", "8d63c5b5e87ecb637124f009965949be705029ec6541a19fc17b1cfe540e6c8c"},
        {"remove", "\xc3\x84\xc3\x96\xe2\x82\xac", "g\"1,\n", "u\\\t",
         "08f32d435d8beda1d6970f40700717118f9f4dd0e974a89cf5801e00d1512e93"},
    };
    char k[IDEMPOTENCY_KEY_LEN + 1];
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        key(k, v[i][0], v[i][1], v[i][2], v[i][3]);
        assert_string_equal(k, v[i][4]);
    }
}

static void test_key_stable(void **state)
{
    (void)state;
    char k1[IDEMPOTENCY_KEY_LEN + 1], k2[IDEMPOTENCY_KEY_LEN + 1];
    key(k1, "POST", "a", "g", "u");
    key(k2, "POST", "a", "g", "u");
    assert_string_equal(k1, k2);
}

static void test_key_changes_with_each_field(void **state)
{
    (void)state;
    char base[IDEMPOTENCY_KEY_LEN + 1], k[IDEMPOTENCY_KEY_LEN + 1];
    key(base, "POST", "acc", "grp", "usr");
    key(k, "DELETE", "acc", "grp", "usr");
    assert_string_not_equal(k, base);
    key(k, "POST", "acc2", "grp", "usr");
    assert_string_not_equal(k, base);
    key(k, "POST", "acc", "grp2", "usr");
    assert_string_not_equal(k, base);
    key(k, "POST", "acc", "grp", "usr2");
    assert_string_not_equal(k, base);
    key(k, "POST", "acc", "grp", "Usr");
    assert_string_not_equal(k, base);
}

static void test_key_fields_not_interchangeable(void **state)
{
    (void)state;
    char k1[IDEMPOTENCY_KEY_LEN + 1], k2[IDEMPOTENCY_KEY_LEN + 1];
    key(k1, "POST", "a", "g", "u");
    key(k2, "POST", "g", "a", "u");
    assert_string_not_equal(k1, k2);
}

/* Moving bytes across a field boundary keeps the concatenation the same; the
 * length prefixes must still tell the keys apart, at every boundary. */
static void test_key_not_confusable_by_shifting(void **state)
{
    (void)state;
    char k1[IDEMPOTENCY_KEY_LEN + 1], k2[IDEMPOTENCY_KEY_LEN + 1];
    key(k1, "POST", "ab", "c", "d");
    key(k2, "POST", "a", "bc", "d");
    assert_string_not_equal(k1, k2);
    key(k1, "POST", "a", "bc", "d");
    key(k2, "POST", "a", "b", "cd");
    assert_string_not_equal(k1, k2);
    key(k1, "POSTa", "b", "c", "d");
    key(k2, "POST", "ab", "c", "d");
    assert_string_not_equal(k1, k2);
    key(k1, "POST", "abc", "", "d");
    key(k2, "POST", "a", "bc", "d");
    assert_string_not_equal(k1, k2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_reserved),
        cmocka_unit_test(test_encode_unreserved_kept),
        cmocka_unit_test(test_encode_utf8_bytes),
        cmocka_unit_test(test_encode_nul_byte_counted),
        cmocka_unit_test(test_encode_empty),
        cmocka_unit_test(test_encode_appends),
        cmocka_unit_test(test_url_basic),
        cmocka_unit_test(test_url_trailing_slash_dropped),
        cmocka_unit_test(test_url_path_without_slash),
        cmocka_unit_test(test_url_account_encoded),
        cmocka_unit_test(test_url_resets_buffer),
        cmocka_unit_test(test_url_null_refused),
        cmocka_unit_test(test_body_plain),
        cmocka_unit_test(test_body_escapes_quotes_and_backslash),
        cmocka_unit_test(test_body_escapes_control_chars),
        cmocka_unit_test(test_body_unicode_intact),
        cmocka_unit_test(test_body_round_trips_all_ascii),
        cmocka_unit_test(test_body_remote_data_object),
        cmocka_unit_test(test_body_remote_data_non_object_rejected),
        cmocka_unit_test(test_body_null_ids_refused),
        cmocka_unit_test(test_body_resets_buffer),
        cmocka_unit_test(test_key_format),
        cmocka_unit_test(test_key_known_value),
        cmocka_unit_test(test_keys_recorded_before),
        cmocka_unit_test(test_key_stable),
        cmocka_unit_test(test_key_changes_with_each_field),
        cmocka_unit_test(test_key_fields_not_interchangeable),
        cmocka_unit_test(test_key_not_confusable_by_shifting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
