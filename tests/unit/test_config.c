/* test_config.c: option parsing, N/DUR rates and durations, help text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static int parse(struct config *c, char *err, const char *env_base, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    argv[0] = "grouprm";
    for (int i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    return config_parse(c, argc, argv, env_base, err, 512);
}

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_string_equal(c.input, "in.csv");
    assert_string_equal(c.output, "output/results.csv");
    assert_string_equal(c.retry_log, "output/retry.csv");
    assert_int_equal(c.concurrency, 256);
    assert_int_equal(c.account_concurrency, 0);
    assert_int_equal(c.account_rate.n, 50);
    assert_int_equal(c.account_rate.dur_ms, 10000);
    assert_int_equal(c.token_rate.n, 500);
    assert_int_equal(c.token_rate.dur_ms, 10000);
    assert_string_equal(c.base_url, "https://api.truto.one");
    assert_int_equal(c.max_attempts, 6);
    assert_true(c.timeout_s == 30);
    assert_null(c.account);
    assert_null(c.token_file);
}

static void test_all_flags(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 21, "-a", "acme", "-o", "r.csv", "-r", "x.csv", "-c",
                           "64", "--account-rate", "20/1s", "--token-rate", "0", "--base-url",
                           "http://127.0.0.1:9", "--max-attempts", "3", "--timeout", "2.5",
                           "-v", "-"),
                     0);
    assert_string_equal(c.account, "acme");
    assert_string_equal(c.output, "r.csv");
    assert_string_equal(c.retry_log, "x.csv");
    assert_int_equal(c.concurrency, 64);
    assert_int_equal(c.account_rate.n, 20);
    assert_int_equal(c.account_rate.dur_ms, 1000);
    assert_int_equal(c.token_rate.n, 0);
    assert_string_equal(c.base_url, "http://127.0.0.1:9");
    assert_int_equal(c.max_attempts, 3);
    assert_true(c.timeout_s == 2.5);
    assert_true(c.verbose);
    assert_string_equal(c.input, "-");
}

/* -c is a ceiling; --account-concurrency caps one account; auto means no
 * ceiling on the rate, as 0 does. */
static void test_pacing_options(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 6, "--account-concurrency", "35", "--account-rate",
                           "auto", "in.csv"),
                     0);
    assert_int_equal(c.account_concurrency, 35);
    assert_int_equal(c.account_rate.n, 0);
    assert_int_equal(parse(&c, err, NULL, 4, "--account-concurrency", "-1", "in.csv"), -1);
    assert_non_null(strstr(err, "--account-concurrency"));
    assert_int_equal(parse(&c, err, NULL, 4, "--account-rate", "automatic", "in.csv"), -1);
    assert_non_null(strstr(err, "--account-rate"));
}

static void test_options_after_input(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 4, "in.csv", "--account", "acme"), 0);
    assert_string_equal(c.input, "in.csv");
    assert_string_equal(c.account, "acme");
}

static void test_env_base_url_and_flag_wins(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, "http://env:1", 2, "in.csv"), 0);
    assert_string_equal(c.base_url, "http://env:1");
    assert_int_equal(parse(&c, err, "http://env:1", 4, "--base-url", "https://flag", "in.csv"), 0);
    assert_string_equal(c.base_url, "https://flag");
}

static void test_errors_are_one_line_and_specific(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 1), -1);
    assert_non_null(strstr(err, "no INPUT"));
    assert_int_equal(parse(&c, err, NULL, 3, "--bogus", "in.csv"), -1);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    /* After the INPUT too, the word named is the option, not the INPUT. */
    assert_int_equal(parse(&c, err, NULL, 3, "in.csv", "--bogus"), -1);
    assert_string_equal(err, "unknown option '--bogus' (see --help)");
    assert_int_equal(parse(&c, err, NULL, 4, "in.csv", "-v", "-x"), -1);
    assert_string_equal(err, "unknown option '-x' (see --help)");
    assert_int_equal(parse(&c, err, NULL, 4, "in.csv", "--", "--bogus"), -1);
    assert_string_equal(err, "one INPUT at a time: unexpected '--bogus'");
    assert_int_equal(parse(&c, err, NULL, 4, "-v", "--", "-x"), 0);
    assert_string_equal(c.input, "-x");
    assert_int_equal(parse(&c, err, NULL, 4, "--account-rate", "50/10x", "in.csv"), -1);
    assert_int_equal(parse(&c, err, NULL, 4, "--account-rate", "fast", "in.csv"), -1);
    assert_non_null(strstr(err, "bad --account-rate 'fast'"));
    assert_int_equal(parse(&c, err, NULL, 4, "-c", "0", "in.csv"), -1);
    assert_non_null(strstr(err, "--concurrency"));
    assert_int_equal(parse(&c, err, NULL, 4, "--timeout", "-1", "in.csv"), -1);
    assert_int_equal(parse(&c, err, NULL, 4, "--base-url", "ftp://x", "in.csv"), -1);
    assert_non_null(strstr(err, "bad base URL"));
    assert_int_equal(parse(&c, err, NULL, 3, "a.csv", "b.csv"), -1);
    assert_non_null(strstr(err, "one INPUT"));
    assert_int_equal(parse(&c, err, NULL, 2, "-o"), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_null(strchr(err, '\n'));
}

/* The token must never be accepted on the command line, where ps shows it. */
static void test_token_flag_refused(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 4, "--token", "s3cret", "in.csv"), -1);
    assert_non_null(strstr(err, "TRUTO_API_TOKEN"));
    assert_null(strstr(err, "s3cret"));
}

static void test_durations(void **state)
{
    (void)state;
    uint64_t ms;
    assert_int_equal(parse_duration_ms("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(parse_duration_ms("1s", &ms), 0);
    assert_int_equal(ms, 1000);
    assert_int_equal(parse_duration_ms("10s", &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(parse_duration_ms("1m", &ms), 0);
    assert_int_equal(ms, 60000);
    assert_int_equal(parse_duration_ms("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(parse_duration_ms("2", &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(parse_duration_ms("", &ms), -1);
    assert_int_equal(parse_duration_ms("-1s", &ms), -1);
    assert_int_equal(parse_duration_ms("1 s", &ms), -1);
    assert_int_equal(parse_duration_ms("1d", &ms), -1);
    assert_int_equal(parse_duration_ms("1e300s", &ms), -1);
}

static void test_rates(void **state)
{
    (void)state;
    struct rate r;
    assert_int_equal(parse_rate("50/10s", &r), 0);
    assert_int_equal(r.n, 50);
    assert_int_equal(r.dur_ms, 10000);
    assert_int_equal(parse_rate("0", &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(parse_rate("0/1s", &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(parse_rate("5/0s", &r), -1);
    assert_int_equal(parse_rate("/1s", &r), -1);
    assert_int_equal(parse_rate("5/", &r), -1);
    assert_int_equal(parse_rate("-5/1s", &r), -1);
    assert_int_equal(parse_rate("5x/1s", &r), -1);
    char buf[32];
    assert_int_equal(parse_rate("200/1s", &r), 0);
    format_rate(&r, buf, sizeof buf);
    assert_string_equal(buf, "200/1s");
    assert_int_equal(parse_rate("5/500ms", &r), 0);
    format_rate(&r, buf, sizeof buf);
    assert_string_equal(buf, "5/500ms");
    r.n = 0;
    format_rate(&r, buf, sizeof buf);
    assert_string_equal(buf, "off");
}

static void test_fractions(void **state)
{
    (void)state;
    double f;
    assert_int_equal(parse_fraction("50%", &f), 0);
    assert_true(f == 0.5);
    assert_int_equal(parse_fraction("0.25", &f), 0);
    assert_true(f == 0.25);
    assert_int_equal(parse_fraction("10", &f), 0);
    assert_true(f == 0.1);
    assert_int_equal(parse_fraction("100%", &f), 0);
    assert_true(f == 1.0);
    assert_int_equal(parse_fraction("101%", &f), -1);
    assert_int_equal(parse_fraction("-5%", &f), -1);
    assert_int_equal(parse_fraction("half", &f), -1);
    assert_int_equal(parse_fraction("5%%", &f), -1);
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_true(c.max_failure_rate == 0.5);
    assert_int_equal(parse(&c, err, NULL, 4, "--max-failure-rate", "20%", "in.csv"), 0);
    assert_true(c.max_failure_rate == 0.2);
    assert_int_equal(parse(&c, err, NULL, 4, "--max-failure-rate", "x", "in.csv"), -1);
    assert_non_null(strstr(err, "--max-failure-rate"));
}

static void test_help_lists_exit_codes(void **state)
{
    (void)state;
    const char *h = config_usage();
    assert_non_null(strstr(h, "usage: grouprm"));
    assert_non_null(strstr(h, " 3 token refused"));
    assert_non_null(strstr(h, " 75 "));
    assert_non_null(strstr(h, "130 interrupted"));
    assert_non_null(strstr(h, "--token-file"));
    size_t lines = 0;
    for (const char *p = h; *p; p++)
        lines += *p == '\n';
    assert_true(lines <= 40);  /* one screen */
}

static void test_plan_and_check_commands(void **state)
{
    (void)state;
    struct config c;
    char err[600];
    assert_int_equal(parse(&c, err, NULL, 6, "plan", "--groups-of", "u.csv",
                           "--except-groups", "keep.txt"), 0);
    assert_int_equal(c.command, CMD_PLAN);
    assert_string_equal(c.groups_of, "u.csv");
    assert_string_equal(c.except_groups, "keep.txt");
    assert_null(c.members_of);
    assert_string_equal(c.output, "output/plan.csv");
    assert_null(c.input);
    assert_int_equal(parse(&c, err, NULL, 6, "plan", "--members-of", "g.csv", "-o",
                           "p.csv"), 0);
    assert_string_equal(c.output, "p.csv");
    assert_string_equal(c.members_of, "g.csv");

    assert_int_equal(parse(&c, err, NULL, 2, "plan"), -1);
    assert_non_null(strstr(err, "needs one of --groups-of"));
    assert_int_equal(parse(&c, err, NULL, 6, "plan", "--groups-of", "a",
                           "--members-of", "b"), -1);
    assert_int_equal(parse(&c, err, NULL, 5, "plan", "--groups-of", "a", "x.csv"),
                     -1);
    assert_non_null(strstr(err, "unexpected 'x.csv'"));
    assert_int_equal(parse(&c, err, NULL, 5, "plan", "--groups-of", "a", "--resume"),
                     -1);
    assert_string_equal(err, "--resume is for a run: grouprm plan sends no write");
    assert_int_equal(parse(&c, err, NULL, 4, "--groups-of", "a", "in.csv"), -1);
    assert_string_equal(err, "--groups-of is an option of grouprm plan");

    assert_int_equal(parse(&c, err, NULL, 3, "check", "in.csv"), 0);
    assert_int_equal(c.command, CMD_CHECK);
    assert_string_equal(c.input, "in.csv");
    assert_int_equal(parse(&c, err, NULL, 4, "--check", "-a", "acc"), 0);
    assert_int_equal(c.command, CMD_CHECK);
    assert_null(c.input);
    assert_int_equal(parse(&c, err, NULL, 2, "check"), -1);
    assert_non_null(strstr(err, "needs an INPUT"));
    assert_int_equal(parse(&c, err, NULL, 4, "check", "--dry-run", "in.csv"), -1);
    /* A file named plan is ./plan; "plan" elsewhere is an INPUT. */
    assert_int_equal(parse(&c, err, NULL, 3, "-v", "plan"), 0);
    assert_int_equal(c.command, CMD_RUN);
    assert_string_equal(c.input, "plan");
}

static void test_column_option(void **state)
{
    (void)state;
    struct config c;
    char err[600];
    assert_int_equal(parse(&c, err, NULL, 6, "--column", "group_id=Group ID", "--column",
                           "remote_data= extra", "in.csv"), 0);
    assert_string_equal(c.columns[0], "Group ID");
    assert_null(c.columns[1]);
    assert_null(c.columns[2]);
    assert_string_equal(c.columns[3], "extra");
    /* A NAME of blanks and line ends only is none: csvin would trim it to "". */
    const char *bad[] = {"group_id", "group_id=", "groupid=X", "=X", "user_id= ",
                         "user_id=\t\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(&c, err, NULL, 4, "--column", bad[i], "in.csv"), -1);
        assert_non_null(strstr(err, "expected FIELD=NAME"));
    }
    assert_int_equal(parse(&c, err, NULL, 6, "--column", "user_id=A", "--column", "user_id=B",
                           "in.csv"), -1);
    assert_string_equal(err, "--column user_id is given twice");
}

static void test_plan_help(void **state)
{
    (void)state;
    const char *h = config_usage_plan();
    const char *opts[] = {"--groups-of", "--members-of", "--except-groups", "--except-users",
                          "-o, --output", "grouprm check", "--check"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        assert_non_null(strstr(h, opts[i]));
    size_t lines = 0;
    for (const char *p = h; *p; p++)
        lines += *p == '\n';
    assert_true(lines <= 40);
    assert_non_null(strstr(config_usage(), "grouprm plan --help"));
}

/* --threads: explicit counts win; 0 (the default) follows the CPUs, 1 to 4. */
static void test_threads(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_int_equal(c.threads, 0);
    assert_int_equal(config_threads(&c, 0), 1);
    assert_int_equal(config_threads(&c, 1), 1);
    assert_int_equal(config_threads(&c, 2), 2);
    assert_int_equal(config_threads(&c, 4), 4);
    assert_int_equal(config_threads(&c, 64), 4);
    assert_int_equal(parse(&c, err, NULL, 4, "--threads", "3", "in.csv"), 0);
    assert_int_equal(config_threads(&c, 1), 3);
    assert_int_equal(config_threads(&c, 64), 3);
    assert_int_equal(parse(&c, err, NULL, 4, "--threads", "65", "in.csv"), -1);
    assert_string_equal(err, "bad --threads '65': expected 0 (one per CPU) to 64");
    assert_int_equal(parse(&c, err, NULL, 4, "--threads", "two", "in.csv"), -1);
    assert_non_null(strstr(err, "bad --threads 'two'"));
}

static void test_check_resolve(void **state)
{
    (void)state;
    assert_int_equal(check_resolve("api.truto.one:443:10.0.0.5"), 0);
    assert_int_equal(check_resolve("h:8080:[::1],127.0.0.1"), 0);
    assert_int_equal(check_resolve("h:1:[2001:db8::1]"), 0);
    const char *bad[] = {"", "h", "h:443", "h:443:", ":443:1.2.3.4", "h::1.2.3.4",
                         "h:-1:1.2.3.4", "h:+1:1.2.3.4", "h:65536:1.2.3.4", "h:0:1.2.3.4",
                         "h:44x:1.2.3.4", "h:443:1.2.3.4,", "h:443:,1.2.3.4", "h:443:[::1",
                         "h:443:[]", "h:443:1.2.3.4, 5.6.7.8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(check_resolve(bad[i]), -1);
}

/* Every option that takes a value, given none (as the last word), is told so
 * by the spelling given: --name or -x, before the INPUT or after it. */
static void test_value_options_need_a_value(void **state)
{
    (void)state;
    struct config c;
    char err[512], lng[64], sht[3] = "-x", want[96], letter;
    int value;
    const char *name;
    for (size_t i = 0; (name = config_option(i, &letter, &value)); i++) {
        if (!value)
            continue;
        snprintf(lng, sizeof lng, "--%s", name);
        snprintf(want, sizeof want, "option '%s' needs a value", lng);
        assert_int_equal(parse(&c, err, NULL, 2, lng), -1);
        assert_string_equal(err, want);
        assert_int_equal(parse(&c, err, NULL, 3, "in.csv", lng), -1);  /* after the INPUT */
        assert_string_equal(err, want);
        if (letter) {
            sht[1] = letter;
            snprintf(want, sizeof want, "option '%s' needs a value", sht);
            assert_int_equal(parse(&c, err, NULL, 2, sht), -1);
            assert_string_equal(err, want);
            assert_int_equal(parse(&c, err, NULL, 4, "-v", "in.csv", sht), -1);
            assert_string_equal(err, want);
        }
    }
}

/* A value refused is refused in git's grammar, naming the option: "bad
 * --name 'value': ..." or another message that names it. --base-url's is
 * "bad base URL", as TRUTO_BASE_URL's is, and --token's names
 * TRUTO_API_TOKEN and --token-file instead. */
static void test_refused_values_name_their_option(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "x", "-1", "0", "1/0s", "99999999999", "{", "a..b",
                                      "h:0:", "group_id"};
    struct config c;
    char err[512], lng[64], letter;
    int value;
    const char *name;
    size_t refused = 0;
    for (size_t i = 0; (name = config_option(i, &letter, &value)); i++) {
        if (!value || strcmp(name, "base-url") == 0 || strcmp(name, "token") == 0)
            continue;
        snprintf(lng, sizeof lng, "--%s", name);
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            if (parse(&c, err, NULL, 4, lng, bad[k], "in.csv") == 0)
                continue;
            refused++;
            const char *at = strstr(err, lng);
            if (!at || (at[strlen(lng)] != ' ' && at[strlen(lng)] != ':' && at[strlen(lng)] != ')'))
                fail_msg("%s %s: the message does not name %s: %s", lng, bad[k], lng, err);
            assert_null(strchr(err, '\n'));
        }
    }
    assert_true(refused > 50);
    assert_int_equal(parse(&c, err, NULL, 4, "--base-url", "x", "in.csv"), -1);
    assert_string_equal(err, "bad base URL 'x': expected http:// or https://");
}

/* -x VALUE is --name VALUE, to the last field. */
static void test_letters_are_their_long_options(void **state)
{
    (void)state;
    struct config a, b;
    char err[512], lng[64], sht[3] = "-x", letter;
    int value;
    const char *name;
    char *one = "1";  /* a value each of them takes */
    for (size_t i = 0; (name = config_option(i, &letter, &value)); i++) {
        if (!letter)
            continue;
        snprintf(lng, sizeof lng, "--%s", name);
        sht[1] = letter;
        memset(&a, 0xa5, sizeof a);
        memset(&b, 0x5a, sizeof b);
        if (value) {
            assert_int_equal(parse(&a, err, NULL, 4, sht, one, "in.csv"), 0);
            assert_int_equal(parse(&b, err, NULL, 4, lng, one, "in.csv"), 0);
        } else {
            assert_int_equal(parse(&a, err, NULL, 3, sht, "in.csv"), 0);
            assert_int_equal(parse(&b, err, NULL, 3, lng, "in.csv"), 0);
        }
        assert_memory_equal(&a, &b, sizeof a);
    }
}

/* Each kind of value the table knows: what it takes, where it goes, and its
 * refusal, word for word. */
static void test_value_kinds(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    /* A string that must not be empty. */
    assert_int_equal(parse(&c, err, NULL, 4, "-a", "", "in.csv"), -1);
    assert_string_equal(err, "--account needs a non-empty ID");
    /* Seconds: above 0, up to a day. */
    assert_int_equal(parse(&c, err, NULL, 4, "--timeout", "86400", "in.csv"), 0);
    assert_true(c.timeout_s == 86400);
    const char *bad_timeouts[] = {"0", "86401", "1s", "", "nan"};
    for (size_t i = 0; i < sizeof bad_timeouts / sizeof *bad_timeouts; i++) {
        char want[96];
        assert_int_equal(parse(&c, err, NULL, 4, "--timeout", bad_timeouts[i], "in.csv"), -1);
        snprintf(want, sizeof want, "bad --timeout '%s': expected seconds, above 0",
                 bad_timeouts[i]);
        assert_string_equal(err, want);
    }
    /* A number in a range. */
    assert_int_equal(parse(&c, err, NULL, 4, "--max-attempts", "1000", "in.csv"), 0);
    assert_int_equal(c.max_attempts, 1000);
    assert_int_equal(parse(&c, err, NULL, 4, "--max-attempts", "0", "in.csv"), -1);
    assert_string_equal(err, "bad --max-attempts '0': expected 1 to 1000");
    assert_int_equal(parse(&c, err, NULL, 4, "-c", "10001", "in.csv"), -1);
    assert_string_equal(err, "bad --concurrency '10001': expected 1 to 10000");
    assert_int_equal(parse(&c, err, NULL, 4, "--account-concurrency", "10001", "in.csv"), -1);
    assert_string_equal(err, "bad --account-concurrency '10001': expected 0 (none) to 10000");
    /* Rates. */
    assert_int_equal(parse(&c, err, NULL, 4, "--token-rate", "200/1s", "in.csv"), 0);
    assert_int_equal(c.token_rate.n, 200);
    assert_int_equal(c.token_rate.dur_ms, 1000);
    assert_int_equal(parse(&c, err, NULL, 4, "--token-rate", "5/0s", "in.csv"), -1);
    assert_string_equal(err, "bad --token-rate '5/0s': expected N/DUR like 50/10s, or 0 for no "
                             "ceiling");
    /* A duration with a floor. */
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_int_equal(c.progress_interval_ms, 10000);
    assert_int_equal(parse(&c, err, NULL, 4, "--progress-interval", "100ms", "in.csv"), 0);
    assert_int_equal(c.progress_interval_ms, 100);
    assert_int_equal(parse(&c, err, NULL, 4, "--progress-interval", "99ms", "in.csv"), -1);
    assert_string_equal(err, "bad --progress-interval '99ms': expected a duration of 100ms or "
                             "more, like 10s");
    /* One of some words, kept as given or as its place. */
    assert_int_equal(parse(&c, err, NULL, 4, "--method", "remove-user", "in.csv"), 0);
    assert_string_equal(c.method, "remove-user");
    assert_int_equal(parse(&c, err, NULL, 4, "--method", "delete", "in.csv"), -1);
    assert_string_equal(err, "bad --method 'delete': expected remove, remove-user or add");
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_null(c.response_format);
    assert_int_equal(parse(&c, err, NULL, 4, "--response-format", "raw", "in.csv"), 0);
    assert_string_equal(c.response_format, "raw");
    assert_int_equal(parse(&c, err, NULL, 4, "--response-format", "Raw", "in.csv"), -1);
    assert_string_equal(err, "bad --response-format 'Raw': expected unified, raw, normalized or "
                             "stream");
    assert_int_equal(parse(&c, err, NULL, 4, "--log-format", "json", "in.csv"), 0);
    assert_int_equal(c.log_json, 1);
    assert_int_equal(parse(&c, err, NULL, 6, "--log-format", "json", "--log-format", "text",
                           "in.csv"), 0);
    assert_int_equal(c.log_json, 0);
    assert_int_equal(parse(&c, err, NULL, 4, "--log-format", "xml", "in.csv"), -1);
    assert_string_equal(err, "bad --log-format 'xml': expected text or json");
    /* A JSON object: not quoted back. */
    assert_int_equal(parse(&c, err, NULL, 4, "--remote-data", "{\"a\":1}", "in.csv"), 0);
    assert_string_equal(c.remote_data, "{\"a\":1}");
    assert_int_equal(parse(&c, err, NULL, 4, "--remote-data", "[1]", "in.csv"), -1);
    assert_string_equal(err, "bad --remote-data: expected a JSON object like '{\"key\":\"value\"}'");
    /* Flags that set a field either way, the last one winning. */
    assert_int_equal(parse(&c, err, NULL, 2, "in.csv"), 0);
    assert_int_equal(c.ignore_remote_data, 1);
    assert_int_equal(parse(&c, err, NULL, 3, "--with-remote-data", "in.csv"), 0);
    assert_int_equal(c.ignore_remote_data, 0);
    assert_int_equal(parse(&c, err, NULL, 4, "--with-remote-data", "--ignore-remote-data",
                           "in.csv"), 0);
    assert_int_equal(c.ignore_remote_data, 1);
    assert_int_equal(parse(&c, err, NULL, 4, "-q", "-v", "in.csv"), 0);
    assert_true(c.verbose && !c.quiet);
    assert_int_equal(parse(&c, err, NULL, 4, "-v", "-q", "in.csv"), 0);
    assert_true(c.quiet && !c.verbose);
}

/* Repeatable options: each checked, in order, MAX_REPEAT at most. */
static void test_repeatable_options(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    assert_int_equal(parse(&c, err, NULL, 8, "--exclude-field", "a", "--remote-query", "x.y=1",
                           "--exclude-field", "b", "in.csv"), 0);
    assert_int_equal(c.nexclude, 2);
    assert_string_equal(c.exclude[0], "a");
    assert_string_equal(c.exclude[1], "b");
    assert_int_equal(c.nremote_query, 1);
    assert_string_equal(c.remote_query[0], "x.y=1");
    assert_int_equal(parse(&c, err, NULL, 4, "--exclude-field", "", "in.csv"), -1);
    assert_string_equal(err, "bad --exclude-field '': expected a field name");
    const char *bad_queries[] = {"a", "=1", "a.=1", ".a=1", "a..b=1"};
    for (size_t i = 0; i < sizeof bad_queries / sizeof *bad_queries; i++) {
        char want[128];
        assert_int_equal(parse(&c, err, NULL, 4, "--remote-query", bad_queries[i], "in.csv"), -1);
        snprintf(want, sizeof want, "bad --remote-query '%s': expected KEY=VALUE (KEY may be a.b "
                 "for nesting)", bad_queries[i]);
        assert_string_equal(err, want);
    }
    assert_int_equal(parse(&c, err, NULL, 4, "--resolve", "h:443", "in.csv"), -1);
    assert_string_equal(err, "bad --resolve 'h:443': expected HOST:PORT:ADDRESS[,ADDRESS...]");

    static const char *const opt[] = {"--resolve", "--exclude-field", "--remote-query"};
    static const char *const val[] = {"h:443:10.0.0.1", "f", "k=v"};
    for (size_t o = 0; o < 3; o++) {
        char *argv[2 * MAX_REPEAT + 8], want[64];
        int argc = 0;
        argv[argc++] = "grouprm";
        for (int i = 0; i < MAX_REPEAT; i++) {
            argv[argc++] = (char *)opt[o];
            argv[argc++] = (char *)val[o];
        }
        argv[argc++] = "in.csv";
        argv[argc] = NULL;
        assert_int_equal(config_parse(&c, argc, argv, NULL, err, sizeof err), 0);
        argv[argc - 1] = (char *)opt[o];
        argv[argc++] = (char *)val[o];
        argv[argc++] = "in.csv";
        argv[argc] = NULL;
        assert_int_equal(config_parse(&c, argc, argv, NULL, err, sizeof err), -1);
        snprintf(want, sizeof want, "too many %s (at most %d)", opt[o], MAX_REPEAT);
        assert_string_equal(err, want);
    }
}

/* Where options may stand, and the files each command writes by default. */
static void test_options_per_command(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    /* --help and --version: nothing after them is looked at. */
    assert_int_equal(parse(&c, err, NULL, 4, "--help", "--base-url", "ftp://x"), 0);
    assert_true(c.help);
    assert_string_equal(c.output, "output/results.csv");
    assert_int_equal(parse(&c, err, NULL, 4, "plan", "-V", "--bogus"), 0);
    assert_true(c.version);
    assert_int_equal(parse(&c, err, NULL, 3, "--bogus", "--help"), -1);
    /* A run's writes: the last one given is named. */
    assert_int_equal(parse(&c, err, NULL, 6, "plan", "--groups-of", "u.csv", "--dry-run",
                           "--strict"), -1);
    assert_string_equal(err, "--strict is for a run: grouprm plan sends no write");
    assert_int_equal(parse(&c, err, NULL, 5, "check", "--undo", "r.csv", "in.csv"), -1);
    assert_string_equal(err, "--undo is for a run: grouprm check sends no write");
    /* plan's lists: the first of them (groups, members, except) is named. */
    assert_int_equal(parse(&c, err, NULL, 6, "--except-users", "k.txt", "--members-of", "g.csv",
                           "in.csv"), -1);
    assert_string_equal(err, "--members-of is an option of grouprm plan");
    assert_int_equal(parse(&c, err, NULL, 5, "check", "--except-users", "k.txt", "in.csv"), -1);
    assert_string_equal(err, "--except-users is an option of grouprm plan");
    /* check writes no results or retry log. */
    assert_int_equal(parse(&c, err, NULL, 5, "check", "-r", "x.csv", "in.csv"), -1);
    assert_string_equal(err, "check writes no results: --retry-log is for a run or a plan (for a "
                             "file, use --summary-json)");
    assert_int_equal(parse(&c, err, NULL, 7, "check", "-r", "x.csv", "-o", "y.csv", "in.csv"), -1);
    assert_non_null(strstr(err, "--output is for a run or a plan"));
    assert_int_equal(parse(&c, err, NULL, 3, "check", "in.csv"), 0);
    assert_string_equal(c.output, "output/results.csv");
    assert_string_equal(c.retry_log, "output/retry.csv");
    /* Each command's files. */
    assert_int_equal(parse(&c, err, NULL, 4, "plan", "--groups-of", "u.csv"), 0);
    assert_string_equal(c.output, "output/plan.csv");
    assert_string_equal(c.retry_log, "output/retry.csv");
    assert_int_equal(parse(&c, err, NULL, 3, "--undo", "r.csv"), 0);
    assert_string_equal(c.input, "r.csv");
    assert_string_equal(c.method, "add");
    assert_string_equal(c.output, "output/undo-results.csv");
    assert_string_equal(c.retry_log, "output/undo-retry.csv");
    assert_int_equal(parse(&c, err, NULL, 5, "--undo", "r.csv", "-r", "x.csv"), 0);
    assert_string_equal(c.output, "output/undo-results.csv");
    assert_string_equal(c.retry_log, "x.csv");
    assert_int_equal(parse(&c, err, NULL, 5, "--undo", "r.csv", "--method", "remove-user"), -1);
    assert_string_equal(err, "--undo re-adds: it cannot be combined with --method remove-user");
    assert_int_equal(parse(&c, err, NULL, 5, "--undo", "r.csv", "--method", "add"), 0);
    assert_int_equal(parse(&c, err, NULL, 4, "plan", "--check", "-a"), -1);
    assert_int_equal(parse(&c, err, NULL, 5, "plan", "--groups-of", "u.csv", "--check"), -1);
    assert_string_equal(err, "--check is a command of its own: not with plan");
}

/* ---- The option table against --help, the manual page and the completion ---- */

#ifndef GROUPRM_SRCDIR
#define GROUPRM_SRCDIR "."  /* the repository root, where scripts/run-tests runs */
#endif

/* Options kept out of a document on purpose; each list is exact: an option in
 * it must be missing there, so the list cannot go stale. */
/* The token is refused, never offered (docs/usage.md says so); and
 * --ignore-remote-data is the default, only --with-remote-data is worth a word. */
static const char *const not_in_help[] = {"token", "ignore-remote-data", NULL};
static const char *const not_in_manual[] = {"token", NULL};
static const char *const not_in_completion[] = {"token", "ignore-remote-data", NULL};
/* In --help, but only in the text of another line, not as an option of its
 * own: --timeout beside --max-attempts, --with-remote-data beside
 * --response-format, --check in plan --help's usage lines. */
static const char *const help_in_text_only[] = {"timeout", "with-remote-data", "check", NULL};

struct words {
    size_t n;
    char w[512][48];
};

static int listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static int words_has(const struct words *s, const char *w)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->w[i], w) == 0)
            return 1;
    return 0;
}

static void words_add(struct words *s, const char *p, size_t len)
{
    char w[48];
    assert_true(len < sizeof w);
    memcpy(w, p, len);
    w[len] = '\0';
    if (words_has(s, w))
        return;
    assert_true(s->n < sizeof s->w / sizeof *s->w);
    strcpy(s->w[s->n++], w);
}

static int word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* The -x and --long-name words of text, wherever they stand (a - inside a
 * word, as in re-add, starts none). */
static void options_in(struct words *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p != '-' || (p > text && word_char(p[-1])))
            continue;
        const char *q = p + (p[1] == '-' ? 2 : 1);
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
            continue;
        while (word_char(*q) && *q != '_')
            q++;
        words_add(s, p, (size_t)(q - p));
        p = q - 1;
    }
}

static char *slurp(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GROUPRM_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s (run from the repository root)", path);
    static char bufs[2][1 << 17];
    static int which;
    char *b = bufs[which++ % 2];
    size_t n = fread(b, 1, sizeof bufs[0] - 1, f);
    assert_true(n < sizeof bufs[0] - 1);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* The option column of the help's option lines: each line that starts with
 * spaces and a -, up to the two spaces before its description. */
static void help_columns(const char *help, char *out, size_t len)
{
    size_t at = 0;
    for (const char *line = help; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *p = line;
        while (*p == ' ')
            p++;
        if (p > line && *p == '-') {
            const char *gap = strstr(p, "  ");
            const char *stop = gap && gap < end ? gap : end;
            assert_true(at + (size_t)(stop - p) + 2 < len);
            memcpy(out + at, p, (size_t)(stop - p));
            at += (size_t)(stop - p);
            out[at++] = '\n';
        }
        line = *end ? end + 1 : end;
    }
    out[at] = '\0';
}

/* The tags of the manual's .TP paragraphs (the line after each .TP), as troff
 * prints them: a macro's arguments run together (.BR a ", " b is "a, b"),
 * \- is -, font changes dropped. One a line. */
static void manual_tags(const char *page, char *out, size_t len)
{
    size_t at = 0;
    for (const char *tp = strstr(page, "\n.TP\n"); tp; tp = strstr(tp + 1, "\n.TP\n")) {
        const char *p = tp + 5, *end = strchr(p, '\n');
        assert_non_null(end);
        if (*p == '.')
            while (p < end && *p != ' ')
                p++;  /* the macro's name */
        int quoted = 0;
        for (; p < end; p++) {
            if (*p == '"') {
                quoted = !quoted;
                continue;
            }
            if (*p == ' ' && !quoted)
                continue;
            if (*p == '\\' && p + 1 < end) {
                if (p[1] == '-')
                    out[at++] = '-';
                else if (p[1] == 'f')
                    p++;  /* \fB, \fI, \fR, \fP: the letter is skipped below */
                p++;
                continue;
            }
            assert_true(at + 2 < len);
            out[at++] = *p;
        }
        out[at++] = '\n';
    }
    out[at] = '\0';
}

/* The words of the completion script's list NAME='...'. */
static void completion_list(const char *script, const char *name, struct words *s)
{
    char key[64];
    snprintf(key, sizeof key, "\n%s='", name);
    const char *p = strstr(script, key);
    if (!p)
        fail_msg("completion/grouprm has no list %s", name);
    p += strlen(key);
    const char *end = strchr(p, '\'');
    assert_non_null(end);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t'))
            p++;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '\n' && *p != '\t')
            p++;
        if (p > w)
            words_add(s, w, (size_t)(p - w));
    }
}

/* Whether word is an option of the table: --name, or -x for its letter. */
static int in_table(const char *word)
{
    char letter;
    int value;
    const char *name;
    for (size_t i = 0; (name = config_option(i, &letter, &value)); i++)
        if ((strncmp(word, "--", 2) == 0 && strcmp(word + 2, name) == 0) ||
            (letter && word[0] == '-' && word[1] == letter && word[2] == '\0'))
            return 1;
    return 0;
}

static int problems;
#define PROBLEM(...) (print_error(__VA_ARGS__), print_error("\n"), problems++)

static void test_options_match_help_manual_and_completion(void **state)
{
    (void)state;
    static char help[8192], columns[8192], tags[16384];
    static struct words in_help, in_columns, in_tags, lists[6];
    static const char *const list_names[6] = {
        "_grouprm_run_opts", "_grouprm_plan_opts", "_grouprm_check_opts",   /* offered */
        "_grouprm_input_opts", "_grouprm_file_opts", "_grouprm_value_opts", /* take a value */
    };
    problems = 0;
    snprintf(help, sizeof help, "%s%s", config_usage(), config_usage_plan());
    help_columns(help, columns, sizeof columns);
    options_in(&in_help, help);
    options_in(&in_columns, columns);
    manual_tags(slurp("runner/grouprm.1"), tags, sizeof tags);
    options_in(&in_tags, tags);
    const char *script = slurp("completion/grouprm");
    for (size_t k = 0; k < 6; k++)
        completion_list(script, list_names[k], &lists[k]);
    assert_true(in_columns.n >= 30 && in_tags.n >= 30 && lists[0].n >= 30);

    char letter;
    int value;
    const char *name;
    size_t n = 0;
    for (size_t i = 0; (name = config_option(i, &letter, &value)); i++, n++) {
        char lng[48], sht[3] = {'-', letter, '\0'}, pair[64];
        snprintf(lng, sizeof lng, "--%s", name);
        snprintf(pair, sizeof pair, "-%c, --%s", letter, name);
        /* --help (grouprm --help and grouprm plan --help) */
        if (listed(not_in_help, name)) {
            if (words_has(&in_help, lng))
                PROBLEM("%s is in --help: take it off not_in_help", lng);
        } else if (listed(help_in_text_only, name)) {
            if (!words_has(&in_help, lng))
                PROBLEM("--help does not name %s", lng);
            else if (words_has(&in_columns, lng))
                PROBLEM("%s has a --help line of its own: take it off help_in_text_only", lng);
        } else if (!words_has(&in_columns, lng)) {
            PROBLEM("--help has no option line for %s", lng);
        }
        if (letter && !strstr(columns, pair))
            PROBLEM("--help has no option line with \"%s\"", pair);
        /* the manual's option list */
        if (listed(not_in_manual, name)) {
            if (words_has(&in_tags, lng))
                PROBLEM("%s is in grouprm.1's option list: take it off not_in_manual", lng);
        } else if (!words_has(&in_tags, lng)) {
            PROBLEM("runner/grouprm.1 has no .TP entry for %s", lng);
        }
        if (letter && !strstr(tags, pair))
            PROBLEM("runner/grouprm.1 has no .TP entry with \"%s\"", pair);
        /* the completion's lists */
        int offered = 0, value_lists = 0;
        for (size_t k = 0; k < 6; k++) {
            int has = words_has(&lists[k], lng);
            if (letter && words_has(&lists[k], sht) != has)
                PROBLEM("completion/grouprm: %s has %s without %s, or the other way", list_names[k],
                        lng, sht);
            if (k < 3)
                offered += has;
            else
                value_lists += has;
        }
        if (listed(not_in_completion, name)) {
            if (offered || value_lists)
                PROBLEM("completion/grouprm offers %s: take it off not_in_completion", lng);
            continue;
        }
        if (!offered)
            PROBLEM("completion/grouprm offers %s for no command", lng);
        if (value_lists != value)
            PROBLEM("completion/grouprm: %s %s, but is in %d of the lists of options that take "
                    "one", lng, value ? "takes a value" : "takes no value", value_lists);
    }
    assert_true(n >= 40);

    /* The other way: whatever the three name is an option of the table. */
    for (size_t i = 0; i < in_help.n; i++)
        if (!in_table(in_help.w[i]))
            PROBLEM("--help names %s, which grouprm does not take", in_help.w[i]);
    for (size_t i = 0; i < in_tags.n; i++)
        if (!in_table(in_tags.w[i]))
            PROBLEM("runner/grouprm.1 documents %s, which grouprm does not take", in_tags.w[i]);
    for (size_t k = 0; k < 6; k++)
        for (size_t i = 0; i < lists[k].n; i++)
            if (!in_table(lists[k].w[i]))
                PROBLEM("completion/grouprm's %s has %s, which grouprm does not take",
                        list_names[k], lists[k].w[i]);
    /* The exceptions name options of the table. */
    const char *const *const exceptions[] = {not_in_help, not_in_manual, not_in_completion,
                                             help_in_text_only};
    for (size_t e = 0; e < 4; e++)
        for (const char *const *x = exceptions[e]; *x; x++) {
            char lng[48];
            snprintf(lng, sizeof lng, "--%s", *x);
            if (!in_table(lng))
                PROBLEM("an exception names %s, which grouprm does not take", lng);
        }
    assert_int_equal(problems, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_flags),
        cmocka_unit_test(test_pacing_options),
        cmocka_unit_test(test_options_after_input),
        cmocka_unit_test(test_env_base_url_and_flag_wins),
        cmocka_unit_test(test_errors_are_one_line_and_specific),
        cmocka_unit_test(test_token_flag_refused),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_help_lists_exit_codes),
        cmocka_unit_test(test_plan_and_check_commands),
        cmocka_unit_test(test_plan_help),
        cmocka_unit_test(test_column_option),
        cmocka_unit_test(test_check_resolve),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_value_options_need_a_value),
        cmocka_unit_test(test_refused_values_name_their_option),
        cmocka_unit_test(test_letters_are_their_long_options),
        cmocka_unit_test(test_value_kinds),
        cmocka_unit_test(test_repeatable_options),
        cmocka_unit_test(test_options_per_command),
        cmocka_unit_test(test_options_match_help_manual_and_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
