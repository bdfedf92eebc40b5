/* truto-mock.c: a local Truto-compatible server for grouprm's tests.
 *
 * Contract: parse options (bad ones: message on stderr, exit 2), load
 * --members, open --journal, listen on 127.0.0.1, print exactly "PORT <n>\n"
 * on stdout once bound (tests wait for that line), then serve until SIGTERM
 * or SIGINT. On a signal: answer any delayed requests, stop the server, print
 * one summary line on stderr, flush and close the journal, free everything,
 * exit 0. A listen failure exits 1.
 *
 * Signals are blocked before any thread exists, so every thread inherits the
 * mask and only the main thread's sigwait ever sees them: no async handler,
 * no flag polling. */
#include "journal.h"
#include "mclock.h"
#include "members.h"
#include "options.h"
#include "server.h"
#include "state.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

/* Load tests open many sockets at once; use the hard limit, not the soft one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    /* A client that hangs up must not kill the server mid-write. */
    signal(SIGPIPE, SIG_IGN);
}

/* Serves until a stop signal; returns the process exit status. */
static int serve(const struct mock_options *o, struct mock_state *st, struct journal *j,
                 const sigset_t *stop)
{
    unsigned port;
    struct mock_server *srv = server_start(o, st, j, &port);
    if (!srv)
        return 1;
    printf("PORT %u\n", port);
    fflush(stdout);

    int sig;
    while (sigwait(stop, &sig) != 0)
        ;
    server_stop(srv);
    journal_summary(j, stderr);
    return 0;
}

int main(int argc, char **argv)
{
    struct mock_options o;
    int rc = options_parse(&o, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;

    mclock_init();
    sigset_t stop;
    block_stop_signals(&stop);
    raise_fd_limit();

    struct mock_state st;
    state_init(&st, &o);
    struct journal j;
    int status = 2;
    if ((!o.members_path || members_load(&st, o.members_path) >= 0) &&
        journal_open(&j, o.journal_path) == 0) {
        status = serve(&o, &st, &j, &stop);
        journal_close(&j);
    }
    state_free(&st);
    options_free(&o);
    return status;
}
