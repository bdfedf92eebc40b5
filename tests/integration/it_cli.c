/* it_cli.c: the command line itself.
 *
 * --help / -h exit 0 and document the options and the exit codes; -V / --version
 * print the version. Usage and configuration errors exit 2 with a message and send
 * nothing: an unknown flag, a --token flag (the token is never a flag value), bad
 * --account-rate / --token-rate / -c / --max-attempts values, no token at all, a
 * missing or unreadable input, no input argument. Every documented rate form is
 * accepted, and TRUTO_BASE_URL stands in for --base-url. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ithelp.h"

static void expect_in(const char *text, const char *needle, const char *what)
{
    if (strstr(text, needle) == NULL) {
        fail_msg("%s lacks \"%s\":\n%s", what, needle, text);
    }
}

static void help_checks(struct it_ctx *c, const char *flag)
{
    int rc = it_run(c, flag, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    const char *h = c->out;
    expect_in(h, "--account-rate", "help");
    expect_in(h, "--token-rate", "help");
    expect_in(h, "--token-file", "help");
    expect_in(h, "--max-attempts", "help");
    expect_in(h, "--retry-log", "help");
    expect_in(h, "TRUTO_API_TOKEN", "help");
    /* The exit codes: each documented value appears as a word. */
    const char *codes[] = {"0", "1", "2", "3", "130"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int found = 0;
        size_t n = strlen(codes[i]);
        for (const char *p = strstr(h, codes[i]); p != NULL; p = strstr(p + 1, codes[i])) {
            int before = p == h || !(p[-1] >= '0' && p[-1] <= '9');
            int after = !(p[n] >= '0' && p[n] <= '9');
            if (before && after) {
                found = 1;
                break;
            }
        }
        if (!found) {
            fail_msg("help does not list exit code %s:\n%s", codes[i], h);
        }
    }
}

static void test_help(void **state)
{
    help_checks(*state, "--help");
}

static void test_help_short(void **state)
{
    help_checks(*state, "-h");
}

static void test_version(void **state)
{
    struct it_ctx *c = *state;
    int rc = it_run(c, "-V", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    expect_in(c->out, GROUPRM_VERSION, "-V output");
    rc = it_run(c, "--version", NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    expect_in(c->out, GROUPRM_VERSION, "--version output");
}

/* Runs grouprm against a live mock with these extra arguments before a valid
 * input, expects exit 2, a message on stderr, and nothing sent. */
static void expect_usage_error(struct it_ctx *c, const char *const *extra, const char *mention)
{
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acc");
    const char *args[32] = {"--base-url", c->base_url, "-o", c->results, "-r", c->retry};
    size_t n = 6;
    for (size_t i = 0; extra[i] != NULL; i++) {
        args[n++] = extra[i];
    }
    args[n++] = in;
    args[n] = NULL;
    int rc = it_runv(c, args);
    IT_EXPECT_EXIT(c, rc, 2);
    if (c->err[0] == '\0') {
        fail_msg("exit 2 without a message on stderr");
    }
    if (mention != NULL) {
        expect_in(c->err, mention, "the error message");
    }
}

static void test_unknown_flag(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    expect_usage_error(c, (const char *[]){"--bogus-flag", NULL}, "bogus-flag");
    expect_usage_error(c, (const char *[]){"--token", "test-token", NULL}, NULL);
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_bad_values(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    const char *bad_rates[] = {"abc", "5/", "/1s", "5/10q", "-3/1s", "5/1s/2", "x/1s"};
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        expect_usage_error(c, (const char *[]){"--account-rate", bad_rates[i], NULL}, NULL);
        expect_usage_error(c, (const char *[]){"--token-rate", bad_rates[i], NULL}, NULL);
    }
    expect_usage_error(c, (const char *[]){"-c", "abc", NULL}, NULL);
    expect_usage_error(c, (const char *[]){"-c", "-4", NULL}, NULL);
    expect_usage_error(c, (const char *[]){"--max-attempts", "many", NULL}, NULL);
    expect_usage_error(c, (const char *[]){"--timeout", "soon", NULL}, NULL);
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_rate_forms_accepted(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 2, "acc");
    const char *forms[] = {"0", "5/500ms", "10/1s", "100/10s", "30/1m"};
    it_mock_start(c, NULL);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int rc = it_grouprm(c, in, "--account-rate", forms[i], "--token-rate", forms[i],
                            "--overwrite", NULL);
        if (rc != 0) {
            fail_msg("rate \"%s\": exit %d; stderr:\n%s", forms[i], rc, c->err);
        }
    }
    it_mock_stop(c);
    /* The first run removes both pairs; the later ones are answered from the
     * idempotency cache. */
    assert_int_equal(journal_load(c)->n, 2 * 5);
}

static void test_no_token(void **state)
{
    struct it_ctx *c = *state;
    it_set_token(c, NULL);
    it_mock_start(c, NULL);
    expect_usage_error(c, (const char *[]){NULL}, NULL);
    it_mock_stop(c);
    if (strstr(c->err, "token") == NULL && strstr(c->err, "TOKEN") == NULL) {
        fail_msg("the message does not mention the token:\n%s", c->err);
    }
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_missing_token_file(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    const char *tf = it_path(c, "no-such-token-file");
    expect_usage_error(c, (const char *[]){"--token-file", tf, NULL}, "no-such-token-file");
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_missing_input(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    const char *missing = it_path(c, "does-not-exist.csv");
    int rc = it_grouprm(c, missing, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    expect_in(c->err, missing, "the error message");
    /* A directory is not a readable CSV either. */
    rc = it_grouprm(c, c->dir, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    expect_in(c->err, c->dir, "the error message");
    /* No input argument at all. */
    rc = it_run(c, "--base-url", c->base_url, "-o", c->results, "-r", c->retry, NULL);
    IT_EXPECT_EXIT(c, rc, 2);
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);
}

static void test_base_url_from_env(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 3, "acc");
    it_mock_start(c, NULL);
    it_add_env(c, it_fmt(c, "TRUTO_BASE_URL=%s", c->base_url));
    int rc = it_run(c, "-o", c->results, "-r", c->retry, in, NULL);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);
    struct journal *j = journal_load(c);
    assert_int_equal(j->n, 3);
    assert_int_equal(journal_count_status(j, 200), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_help_short, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_version, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_flag, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_rate_forms_accepted, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_no_token, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_missing_token_file, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_missing_input, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_base_url_from_env, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
