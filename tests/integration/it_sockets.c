/* it_sockets.c: connections that come and go while a run goes on.
 *
 * grouprm keeps each established connection's poll registered between transfers
 * and forgets it when libcurl closes the socket. libcurl 7.88 closes the loser of
 * a happy-eyeballs race with a plain close() and reports it only afterwards, so
 * a context kept for such a socket would sit on an fd number the next socket
 * reuses (the run then stopped or hung). Here a host name resolves (--resolve)
 * to ::1, where a listener with a full accept queue lets no connect finish, and
 * to 127.0.0.1, where the local server is: every new connection is such a race.
 * Rows whose first request is dropped force reconnects. Every row must still end
 * removed, and the run must exit 0 in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ithelp.h"

#define FILLERS 2

struct blackhole {
    int listener;
    int filler[FILLERS];
};

/* A listener on [::1]:port that accepts nothing, its queue filled, so that
 * further connects hang. Returns -1 when this machine has no IPv6 loopback. */
static int blackhole_open(struct blackhole *b, int port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    a.sin6_addr = in6addr_loopback;
    b->listener = socket(AF_INET6, SOCK_STREAM, 0);
    if (b->listener < 0)
        return -1;
    int one = 1;
    setsockopt(b->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(b->listener, (struct sockaddr *)&a, sizeof a) != 0 || listen(b->listener, 0) != 0) {
        close(b->listener);
        return -1;
    }
    for (int i = 0; i < FILLERS; i++) {
        b->filler[i] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (b->filler[i] >= 0 && connect(b->filler[i], (struct sockaddr *)&a, sizeof a) != 0 &&
            errno != EINPROGRESS)
            fail_msg("cannot fill the blackhole's queue: %s", strerror(errno));
    }
    return 0;
}

static void blackhole_close(struct blackhole *b)
{
    for (int i = 0; i < FILLERS; i++)
        if (b->filler[i] >= 0)
            close(b->filler[i]);
    close(b->listener);
}

static void test_happy_eyeballs_losers_and_reconnects(void **state)
{
    struct it_ctx *c = *state;
    it_mock_start(c, NULL);
    int port = atoi(strrchr(c->base_url, ':') + 1);
    struct blackhole b;
    if (blackhole_open(&b, port) != 0) {
        it_mock_stop(c);
        skip();  /* no IPv6 loopback here: the race cannot be staged */
    }
    /* 24 rows over 3 accounts; every third row's first request is dropped by
     * the server (the connection closes without an answer). */
    const char *in = it_path(c, "in.csv");
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("group_id,user_id,integrated_account_id\n", f);
    for (int i = 0; i < 24; i++)
        fprintf(f, "g%d,%su%d,acct-%d\n", i, i % 3 == 0 ? "drop-1-" : "", i, i % 3);
    fclose(f);

    char *resolve = it_fmt(c, "dual.test:%d:[::1],127.0.0.1", port);
    char *url = it_fmt(c, "http://dual.test:%d", port);
    int rc = it_grouprm(c, in, "--base-url", url, "--resolve", resolve, "-c", "4", NULL);
    blackhole_close(&b);
    IT_EXPECT_EXIT(c, rc, 0);
    it_mock_stop(c);

    struct csv_table *t = results_load(c, c->results);
    assert_int_equal(t->nrows, 24);
    assert_int_equal(table_count(t, "status", "removed"), 24);
    struct journal *j = journal_load(c);
    /* Each pair was removed once: 24 answered requests, and the 8 dropped ones. */
    assert_int_equal(journal_count_status(j, 200), 24);
    assert_int_equal(journal_count_status(j, 0), 8);
}

static void test_resolve_is_checked(void **state)
{
    struct it_ctx *c = *state;
    const char *in = it_path(c, "in.csv");
    write_pairs(in, 1, "acct");
    it_mock_start(c, NULL);
    const char *bad[] = {"dual.test", "dual.test:80", "dual.test:80:", ":80:127.0.0.1",
                         "dual.test:x:127.0.0.1", "dual.test:0:127.0.0.1",
                         "dual.test:80:127.0.0.1,", "dual.test:80:[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = it_grouprm(c, in, "--resolve", bad[i], NULL);
        IT_EXPECT_EXIT(c, rc, 2);
        char *want = it_fmt(c, "grouprm: bad --resolve '%s': expected HOST:PORT:ADDRESS", bad[i]);
        assert_non_null(strstr(c->err, want));
    }
    it_mock_stop(c);
    assert_int_equal(journal_load(c)->n, 0);  /* nothing was sent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_happy_eyeballs_losers_and_reconnects, it_setup,
                                        it_teardown),
        cmocka_unit_test_setup_teardown(test_resolve_is_checked, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
