/* it_tls.c: TLS against the local server, with a CA made by the test itself.
 *
 * Each test creates a throwaway CA and a server certificate for 127.0.0.1 with
 * the openssl command, and starts the local server on TLS with them. Without
 * --cacert grouprm (a run, and check) must refuse the server (exit 2, a message
 * that names the certificate problem, nothing sent, no retry storm); with
 * --cacert naming the test's CA it must work. Certificate verification is never turned off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

/* Makes ca.pem, srv.pem and srv.key in the test directory. */
static void make_pki(struct it_ctx *c)
{
    char cmd[4096];
    const char *d = it_path(c, "");
    snprintf(cmd, sizeof cmd,
             "cd '%s' && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
             "-subj /CN=grouprm-test-ca && "
             "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
             "-subj /CN=127.0.0.1 && "
             "printf 'subjectAltName=IP:127.0.0.1\\n' > srv.ext && "
             "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out srv.pem -days 1 -extfile srv.ext",
             d);
    char full[4200];
    snprintf(full, sizeof full, "( %s ) >/dev/null 2>&1", cmd);
    if (system(full) != 0)
        fail_msg("could not make the test's CA and server certificate with openssl");
}

/* Starts the local server on TLS and points grouprm at https://. */
static void start_tls_mock(struct it_ctx *c)
{
    it_mock_start(c, "--tls-cert", it_path(c, "srv.pem"), "--tls-key", it_path(c, "srv.key"),
                  NULL);
    char https[sizeof c->base_url];
    assert_true(strncmp(c->base_url, "http://", 7) == 0);
    snprintf(https, sizeof https, "https://%s", c->base_url + 7);
    memcpy(c->base_url, https, sizeof https);
}

static const char *three_rows(struct it_ctx *c)
{
    const char *cells[] = {"group_id", "user_id", "integrated_account_id",
                           "g1", "u1", "acct-tls", "g2", "u2", "acct-tls",
                           "g3", "u3", "acct-tls"};
    const char *in = it_path(c, "in.csv");
    write_csv(in, 3, cells, 4);
    return in;
}

static void test_untrusted_certificate_is_refused(void **state)
{
    struct it_ctx *c = *state;
    make_pki(c);
    const char *in = three_rows(c);
    start_tls_mock(c);
    int rc = it_grouprm(c, in, "-c", "2", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);
    /* The handshake fails before any request reaches the server. */
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 0);
    assert_non_null(strstr(c->err, "certificate"));
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(table_count(t, "status", "not_attempted"), 3);
    /* One attempt per row in flight at most: the run stops, it does not retry. */
    for (size_t i = 0; i < t->nrows; i++)
        assert_true(atoi(table_get(t, i, "attempts")) <= 1);
}

static void test_cacert_makes_it_work(void **state)
{
    struct it_ctx *c = *state;
    make_pki(c);
    const char *in = three_rows(c);
    start_tls_mock(c);
    int rc = it_grouprm(c, in, "--cacert", it_path(c, "ca.pem"), NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_status(j, 200), 3);
    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(table_count(t, "status", "removed"), 3);
}

/* check says the same of TLS as a run does, and exits 2; with --cacert, 0. */
static void test_check_over_tls(void **state)
{
    struct it_ctx *c = *state;
    make_pki(c);
    const char *in = three_rows(c);
    start_tls_mock(c);
    int rc = it_grouprm(c, in, "-c", "2", NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    const char *run_err = it_strdup(c, c->err);
    rc = it_run(c, "check", "--base-url", c->base_url, in, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    /* The run's "stopping: <libcurl's message>" line, word for word. */
    const char *stop = strstr(run_err, "stopping: ");
    assert_non_null(stop);
    size_t n = strcspn(stop, "\n");
    assert_non_null(strstr(c->err, it_fmt(c, "%.*s", (int)n, stop)));
    assert_non_null(strstr(c->err, "account 'acct-tls': "));
    rc = it_run(c, "check", "--base-url", c->base_url, "--cacert", it_path(c, "ca.pem"), in,
                NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    assert_non_null(strstr(c->err, "account 'acct-tls': ok"));
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 1);  /* only the trusted check reached it */
    assert_string_equal(j->rows[0].method, "GET");
}

static void test_unreadable_cacert_is_a_usage_error(void **state)
{
    struct it_ctx *c = *state;
    const char *in = three_rows(c);
    it_mock_start(c, NULL);
    int rc = it_grouprm(c, in, "--cacert", it_path(c, "missing.pem"), NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
    assert_non_null(strstr(c->err, "--cacert"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_untrusted_certificate_is_refused, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_cacert_makes_it_work, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_check_over_tls, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_cacert_is_a_usage_error, it_setup,
                                        it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
