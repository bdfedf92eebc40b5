/* test_outcome.c: status names and classes, body facts and every row of the retry
 * table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "outcome.h"

#define MAX 5

static struct body_facts facts_of(const char *json)
{
    struct body_facts f;
    body_facts_parse(&f, json, strlen(json));
    return f;
}

static void expect(struct verdict v, enum action a, enum status s, const char *reason)
{
    assert_int_equal(v.action, a);
    assert_int_equal(v.status, s);
    assert_non_null(v.reason);
    assert_string_equal(v.reason, reason);
}

static const struct body_facts NO_FACTS;

/* ---- status names ------------------------------------------------------- */

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(status_name(ST_REMOVED), "removed");
    assert_string_equal(status_name(ST_NOT_FOUND), "not_found");
    assert_string_equal(status_name(ST_FAILED), "failed");
    assert_string_equal(status_name(ST_INVALID), "invalid");
    assert_string_equal(status_name(ST_DUPLICATE), "duplicate");
    assert_string_equal(status_name(ST_NOT_ATTEMPTED), "not_attempted");
    assert_string_equal(status_name(ST_INTERRUPTED), "interrupted");
    assert_string_equal(status_name(ST_DRY_RUN), "dry_run");
}

static void test_status_name_out_of_range(void **state)
{
    (void)state;
    assert_string_equal(status_name(ST__COUNT), "unknown");
    assert_string_equal(status_name((enum status)-1), "unknown");
}

static void test_every_status_has_its_own_name(void **state)
{
    (void)state;
    for (int i = 0; i < ST__COUNT; i++) {
        const char *n = status_name((enum status)i);
        assert_non_null(n);
        assert_true(n[0] != '\0');
        assert_string_not_equal(n, "unknown");
        for (int k = 0; k < i; k++)
            assert_string_not_equal(n, status_name((enum status)k));
    }
    assert_string_equal(status_name(ST_ADDED), "added");
}

static void test_status_from_name_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < ST__COUNT; i++) {
        const char *n = status_name((enum status)i);
        enum status got = ST__COUNT;
        assert_int_equal(status_from_name(n, strlen(n), &got), 1);
        assert_int_equal(got, i);
    }
    /* A field of a larger buffer: only len bytes count. */
    enum status got = ST__COUNT;
    assert_int_equal(status_from_name("removed,200", 7, &got), 1);
    assert_int_equal(got, ST_REMOVED);
}

static void test_status_from_name_refuses_others(void **state)
{
    (void)state;
    enum status got = ST__COUNT;
    assert_int_equal(status_from_name("", 0, &got), 0);
    assert_int_equal(status_from_name("remove", 6, &got), 0);
    assert_int_equal(status_from_name("removed ", 8, &got), 0);
    assert_int_equal(status_from_name("Removed", 7, &got), 0);
    assert_int_equal(status_from_name("unknown", 7, &got), 0);
    assert_int_equal(got, ST__COUNT);
}

/* The table of outcome.h, written out again: a change to either shows here. */
static void test_status_classes(void **state)
{
    (void)state;
    static const struct {
        enum status st;
        unsigned classes;
    } want[] = {
        {ST_REMOVED, STC_ANSWERED | STC_DONE},
        {ST_NOT_FOUND, STC_ANSWERED | STC_DONE},
        {ST_ADDED, STC_ANSWERED | STC_DONE},
        {ST_FAILED, STC_ANSWERED | STC_FAILURE | STC_RETRY | STC_EXIT1},
        {ST_INVALID, STC_EXIT1},
        {ST_DUPLICATE, 0},
        {ST_NOT_ATTEMPTED, STC_RETRY | STC_EXIT1},
        {ST_INTERRUPTED, STC_RETRY | STC_EXIT1},
        {ST_DRY_RUN, 0},
    };
    static const unsigned each[] = {STC_ANSWERED, STC_FAILURE, STC_DONE, STC_RETRY, STC_EXIT1};
    assert_int_equal(sizeof want / sizeof want[0], ST__COUNT);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        for (size_t k = 0; k < sizeof each / sizeof each[0]; k++) {
            int has = status_is(want[i].st, each[k]);
            if (has != ((want[i].classes & each[k]) != 0))
                fail_msg("%s: class %#x is %d", status_name(want[i].st), each[k], has);
        }
}

static void test_status_is_wants_every_class_given(void **state)
{
    (void)state;
    assert_int_equal(status_is(ST_FAILED, STC_RETRY | STC_FAILURE), 1);
    assert_int_equal(status_is(ST_NOT_ATTEMPTED, STC_RETRY | STC_FAILURE), 0);
    assert_int_equal(status_is(ST_REMOVED, 0), 0);
    assert_int_equal(status_is(ST__COUNT, STC_DONE), 0);
    assert_int_equal(status_is((enum status)-1, STC_RETRY), 0);
}

static void test_status_count(void **state)
{
    (void)state;
    unsigned long c[ST__COUNT] = {0};
    c[ST_REMOVED] = 5;
    c[ST_NOT_FOUND] = 2;
    c[ST_FAILED] = 3;
    c[ST_INVALID] = 7;
    c[ST_NOT_ATTEMPTED] = 11;
    c[ST_DUPLICATE] = 13;
    assert_int_equal(status_count(c, STC_ANSWERED), 10);
    assert_int_equal(status_count(c, STC_FAILURE), 3);
    assert_int_equal(status_count(c, STC_DONE), 7);
    assert_int_equal(status_count(c, STC_RETRY), 14);
    assert_int_equal(status_count(c, STC_EXIT1), 21);
    assert_int_equal(status_count(c, STC_RETRY | STC_ANSWERED), 3);
}

/* ---- body facts --------------------------------------------------------- */

static void test_facts_truto_error(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"statusCode\":401,\"error\":\"Unauthorized\","
                                   "\"message\":\"Invalid token\",\"truto_is_remote_error\":true}");
    assert_true(f.is_remote_error);
    assert_false(f.account_blocked);
    assert_string_equal(f.message, "Invalid token");
}

static void test_facts_remote_error_must_be_true(void **state)
{
    (void)state;
    assert_false(facts_of("{\"truto_is_remote_error\":false}").is_remote_error);
    assert_false(facts_of("{\"truto_is_remote_error\":\"true\"}").is_remote_error);
    assert_false(facts_of("{\"truto_is_remote_error\":1}").is_remote_error);
}

static void test_facts_error_when_message_empty(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"\",\"error\":\"Bad Gateway\"}");
    assert_string_equal(f.message, "Bad Gateway");
    f = facts_of("{\"message\":null,\"error\":\"Bad Gateway\"}");
    assert_string_equal(f.message, "Bad Gateway");
}

static void test_facts_raw_response_error_summary(void **state)
{
    (void)state;
    struct body_facts f = facts_of(
        "{\"truto_is_remote_error\":true,\"raw_response\":"
        "{\"errorCode\":\"E0000007\",\"errorSummary\":\"Not found: Resource not found\"}}");
    assert_string_equal(f.message, "Not found: Resource not found");
}

static void test_facts_raw_response_message(void **state)
{
    (void)state;
    assert_string_equal(facts_of("{\"raw_response\":{\"message\":\"Rate limited\"}}").message,
                        "Rate limited");
    assert_string_equal(facts_of("{\"raw_response\":{\"error\":{\"message\":\"nested\"}}}").message,
                        "nested");
    assert_string_equal(facts_of("{\"raw_response\":\"upstream said no\"}").message,
                        "upstream said no");
}

static void test_facts_message_preferred_over_raw(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"top\",\"error\":\"err\","
                                   "\"raw_response\":{\"errorSummary\":\"raw\"}}");
    assert_string_equal(f.message, "top");
}

static void test_facts_blocked_message(void **state)
{
    (void)state;
    assert_true(facts_of("{\"message\":\"Integrated account is BLOCKED\"}").account_blocked);
    assert_true(facts_of("{\"message\":\"\",\"error\":\"account blocked\"}").account_blocked);
    assert_false(facts_of("{\"message\":\"Service Unavailable\"}").account_blocked);
}

static void test_facts_blocked_insight(void **state)
{
    (void)state;
    assert_true(facts_of("{\"message\":\"Service Unavailable\","
                         "\"truto_error_insight\":\"account_blocked\"}").account_blocked);
    assert_true(facts_of("{\"truto_error_insight\":[\"x\",\"account_blocked\"]}").account_blocked);
    assert_true(facts_of("{\"truto_error_insight\":{\"account_blocked\":true}}").account_blocked);
    assert_false(facts_of("{\"truto_error_insight\":{\"account_blocked\":false}}").account_blocked);
    assert_false(facts_of("{\"truto_error_insight\":\"rate_limited\"}").account_blocked);
}

static void test_facts_blocked_beyond_truncation(void **state)
{
    (void)state;
    /* "blocked" past the 255 bytes that fit still counts. */
    char body[600];
    char pad[401];
    memset(pad, 'x', 400);
    pad[400] = '\0';
    snprintf(body, sizeof body, "{\"message\":\"%s blocked\"}", pad);
    struct body_facts f = facts_of(body);
    assert_true(f.account_blocked);
    assert_int_equal(strlen(f.message), sizeof f.message - 1);
}

static void test_facts_truncates_at_utf8_boundary(void **state)
{
    (void)state;
    /* 254 ASCII bytes then a 3-byte character: only 1 byte of room is left, so
     * the whole character is dropped instead of leaving a broken sequence. */
    char body[400];
    char pad[255];
    memset(pad, 'a', 254);
    pad[254] = '\0';
    snprintf(body, sizeof body, "{\"message\":\"%s\xe2\x82\xac tail\"}", pad);
    struct body_facts f = facts_of(body);
    assert_int_equal(strlen(f.message), 254);
    assert_int_equal(f.message[253], 'a');
}

static void test_facts_utf8_kept_when_it_fits(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"caf\xc3\xa9 \\u20ac\"}");
    assert_string_equal(f.message, "caf\xc3\xa9 \xe2\x82\xac");
}

static void test_facts_control_chars_flattened(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"line1\\nline2\\ttab\"}");
    assert_string_equal(f.message, "line1 line2 tab");
}

static void test_facts_unknown_shapes_empty(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "", "not json", "<html>503 Service Unavailable</html>", "[1,2,3]", "\"text\"",
        "{\"message\":42}", "{\"message\":{\"a\":1}}", "{", "null",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct body_facts f = facts_of(bodies[i]);
        assert_false(f.is_remote_error);
        assert_false(f.account_blocked);
        assert_string_equal(f.message, "");
    }
}

static void test_facts_length_is_honoured(void **state)
{
    (void)state;
    /* The buffer is not NUL-terminated at len: the text after it is not read. */
    const char *body = "{\"message\":\"ok\"}{\"message\":\"blocked\"}";
    struct body_facts f;
    body_facts_parse(&f, body, 16);
    assert_string_equal(f.message, "ok");
    assert_false(f.account_blocked);
}

static void test_facts_null_body(void **state)
{
    (void)state;
    struct body_facts f;
    memset(&f, 0x55, sizeof f);
    body_facts_parse(&f, NULL, 0);
    assert_false(f.is_remote_error);
    assert_string_equal(f.message, "");
}

/* ---- the retry table ---------------------------------------------------- */

static void test_2xx_removed(void **state)
{
    (void)state;
    expect(classify(200, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_REMOVED, "");
    expect(classify(204, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_REMOVED, "");
    expect(classify(299, 0, &NO_FACTS, 3, MAX), ACT_DONE, ST_REMOVED, "");
}

static void test_2xx_on_last_attempt_still_removed(void **state)
{
    (void)state;
    expect(classify(204, 0, &NO_FACTS, MAX, MAX), ACT_DONE, ST_REMOVED, "");
}

static void test_404_not_found(void **state)
{
    (void)state;
    expect(classify(404, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_NOT_FOUND, "http_404");
}

static void test_retryable_statuses(void **state)
{
    (void)state;
    static const struct {
        long st;
        const char *reason;
    } rows[] = {
        { 408, "http_408" }, { 425, "http_425" }, { 429, "http_429" },
        { 500, "http_500" }, { 502, "http_502" }, { 504, "http_504" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct verdict v = classify(rows[i].st, 0, &NO_FACTS, 1, MAX);
        assert_int_equal(v.action, ACT_RETRY);
        assert_string_equal(v.reason, rows[i].reason);
    }
}

static void test_retry_becomes_max_attempts(void **state)
{
    (void)state;
    assert_int_equal(classify(429, 0, &NO_FACTS, MAX - 1, MAX).action, ACT_RETRY);
    expect(classify(429, 0, &NO_FACTS, MAX, MAX), ACT_DONE, ST_FAILED, "max_attempts");
    expect(classify(500, 0, &NO_FACTS, MAX + 3, MAX), ACT_DONE, ST_FAILED, "max_attempts");
    expect(classify(0, CURLE_OPERATION_TIMEDOUT, NULL, MAX, MAX), ACT_DONE, ST_FAILED,
           "max_attempts");
}

static void test_max_attempts_one_never_retries(void **state)
{
    (void)state;
    expect(classify(503, 0, &NO_FACTS, 1, 1), ACT_DONE, ST_FAILED, "max_attempts");
}

static void test_401_truto_token_stops_run(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"statusCode\":401,\"message\":\"Unauthorized\"}");
    expect(classify(401, 0, &f, 1, MAX), ACT_STOP_RUN, ST_NOT_ATTEMPTED, "bad_token");
    expect(classify(401, 0, NULL, 1, MAX), ACT_STOP_RUN, ST_NOT_ATTEMPTED, "bad_token");
}

static void test_401_remote_stops_account(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"statusCode\":401,\"truto_is_remote_error\":true}");
    expect(classify(401, 0, &f, 1, MAX), ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_reauth");
}

static void test_stops_ignore_attempt_count(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"account blocked\"}");
    expect(classify(401, 0, &NO_FACTS, MAX, MAX), ACT_STOP_RUN, ST_NOT_ATTEMPTED, "bad_token");
    expect(classify(503, 0, &f, MAX, MAX), ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_blocked");
}

static void test_503_blocked_stops_account(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"statusCode\":503,\"message\":\"Integrated account is blocked\"}");
    expect(classify(503, 0, &f, 1, MAX), ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_blocked");
    f = facts_of("{\"statusCode\":503,\"truto_error_insight\":\"account_blocked\"}");
    expect(classify(503, 0, &f, 1, MAX), ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_blocked");
}

static void test_bare_503_retries(void **state)
{
    (void)state;
    struct body_facts f = facts_of("<html>Service Unavailable</html>");
    struct verdict v = classify(503, 0, &f, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "http_503");
    assert_int_equal(classify(503, 0, NULL, 1, MAX).action, ACT_RETRY);
}

static void test_blocked_only_matters_on_503(void **state)
{
    (void)state;
    struct body_facts f = facts_of("{\"message\":\"blocked\"}");
    assert_int_equal(classify(500, 0, &f, 1, MAX).action, ACT_RETRY);
    expect(classify(403, 0, &f, 1, MAX), ACT_DONE, ST_FAILED, "http_403");
}

static void test_other_4xx_5xx_fail(void **state)
{
    (void)state;
    expect(classify(400, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_400");
    expect(classify(403, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_403");
    expect(classify(409, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_409");
    expect(classify(422, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_422");
    expect(classify(418, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_4xx");
    expect(classify(501, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_501");
    expect(classify(507, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_5xx");
}

static void test_odd_statuses_fail(void **state)
{
    (void)state;
    expect(classify(302, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_3xx");
    expect(classify(101, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_1xx");
    expect(classify(999, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_other");
    expect(classify(-1, 0, &NO_FACTS, 1, MAX), ACT_DONE, ST_FAILED, "http_other");
}

static void test_no_response_no_error_retries(void **state)
{
    (void)state;
    struct verdict v = classify(0, 0, NULL, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "network");
}

static void test_timeout_retries(void **state)
{
    (void)state;
    struct verdict v = classify(0, CURLE_OPERATION_TIMEDOUT, NULL, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "timeout");
}

static void test_network_errors_retry(void **state)
{
    (void)state;
    static const int codes[] = {
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
        CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE,
        CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY, CURLE_AGAIN,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct verdict v = classify(0, codes[i], NULL, 1, MAX);
        assert_int_equal(v.action, ACT_RETRY);
        assert_string_equal(v.reason, "network");
    }
}

static void test_transport_error_outranks_status(void **state)
{
    (void)state;
    /* A 204 status line followed by a broken transfer is not trusted. */
    struct verdict v = classify(204, CURLE_RECV_ERROR, &NO_FACTS, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "network");
}

static void test_tls_handshake_retries(void **state)
{
    (void)state;
    struct verdict v = classify(0, CURLE_SSL_CONNECT_ERROR, NULL, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "tls_handshake");
}

static void test_tls_failures_stop_run(void **state)
{
    (void)state;
    static const int codes[] = {
        CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
        CURLE_SSL_CIPHER, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
        CURLE_SSL_ENGINE_NOTFOUND,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        expect(classify(0, codes[i], NULL, 1, MAX), ACT_STOP_RUN, ST_NOT_ATTEMPTED, "tls");
}

static void test_bad_url_stops_run(void **state)
{
    (void)state;
    expect(classify(0, CURLE_URL_MALFORMAT, NULL, 1, MAX), ACT_STOP_RUN, ST_NOT_ATTEMPTED,
           "bad_url");
    expect(classify(0, CURLE_UNSUPPORTED_PROTOCOL, NULL, 1, MAX), ACT_STOP_RUN,
           ST_NOT_ATTEMPTED, "bad_url");
}

static void test_other_curl_errors_fail_row(void **state)
{
    (void)state;
    expect(classify(0, CURLE_OUT_OF_MEMORY, NULL, 1, MAX), ACT_DONE, ST_FAILED, "curl_error");
    expect(classify(0, CURLE_WRITE_ERROR, NULL, 1, MAX), ACT_DONE, ST_FAILED, "curl_error");
    expect(classify(0, CURLE_TOO_MANY_REDIRECTS, NULL, 1, MAX), ACT_DONE, ST_FAILED,
           "curl_error");
}

static void test_failonerror_uses_status(void **state)
{
    (void)state;
    struct verdict v = classify(429, CURLE_HTTP_RETURNED_ERROR, &NO_FACTS, 1, MAX);
    assert_int_equal(v.action, ACT_RETRY);
    assert_string_equal(v.reason, "http_429");
    expect(classify(404, CURLE_HTTP_RETURNED_ERROR, &NO_FACTS, 1, MAX), ACT_DONE, ST_NOT_FOUND,
           "http_404");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_name_out_of_range),
        cmocka_unit_test(test_every_status_has_its_own_name),
        cmocka_unit_test(test_status_from_name_round_trip),
        cmocka_unit_test(test_status_from_name_refuses_others),
        cmocka_unit_test(test_status_classes),
        cmocka_unit_test(test_status_is_wants_every_class_given),
        cmocka_unit_test(test_status_count),
        cmocka_unit_test(test_facts_truto_error),
        cmocka_unit_test(test_facts_remote_error_must_be_true),
        cmocka_unit_test(test_facts_error_when_message_empty),
        cmocka_unit_test(test_facts_raw_response_error_summary),
        cmocka_unit_test(test_facts_raw_response_message),
        cmocka_unit_test(test_facts_message_preferred_over_raw),
        cmocka_unit_test(test_facts_blocked_message),
        cmocka_unit_test(test_facts_blocked_insight),
        cmocka_unit_test(test_facts_blocked_beyond_truncation),
        cmocka_unit_test(test_facts_truncates_at_utf8_boundary),
        cmocka_unit_test(test_facts_utf8_kept_when_it_fits),
        cmocka_unit_test(test_facts_control_chars_flattened),
        cmocka_unit_test(test_facts_unknown_shapes_empty),
        cmocka_unit_test(test_facts_length_is_honoured),
        cmocka_unit_test(test_facts_null_body),
        cmocka_unit_test(test_2xx_removed),
        cmocka_unit_test(test_2xx_on_last_attempt_still_removed),
        cmocka_unit_test(test_404_not_found),
        cmocka_unit_test(test_retryable_statuses),
        cmocka_unit_test(test_retry_becomes_max_attempts),
        cmocka_unit_test(test_max_attempts_one_never_retries),
        cmocka_unit_test(test_401_truto_token_stops_run),
        cmocka_unit_test(test_401_remote_stops_account),
        cmocka_unit_test(test_stops_ignore_attempt_count),
        cmocka_unit_test(test_503_blocked_stops_account),
        cmocka_unit_test(test_bare_503_retries),
        cmocka_unit_test(test_blocked_only_matters_on_503),
        cmocka_unit_test(test_other_4xx_5xx_fail),
        cmocka_unit_test(test_odd_statuses_fail),
        cmocka_unit_test(test_no_response_no_error_retries),
        cmocka_unit_test(test_timeout_retries),
        cmocka_unit_test(test_network_errors_retry),
        cmocka_unit_test(test_transport_error_outranks_status),
        cmocka_unit_test(test_tls_handshake_retries),
        cmocka_unit_test(test_tls_failures_stop_run),
        cmocka_unit_test(test_bad_url_stops_run),
        cmocka_unit_test(test_other_curl_errors_fail_row),
        cmocka_unit_test(test_failonerror_uses_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
