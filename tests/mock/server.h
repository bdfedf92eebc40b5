/* server.h: the HTTP side of truto-mock, on libmicrohttpd.
 *
 * server_start binds 127.0.0.1:port (0 = any free port) with an internal
 * epoll thread pool of o->threads workers and HTTP/1.1 keep-alive, and
 * answers POSTs to the user-directory group endpoints following Truto's order
 * of checks: token, integrated_account_id, token then account limit, the
 * account's concurrency cap, Idempotency-Key replay, blocked / re-auth accounts, body, injected faults,
 * membership. GETs of the directory reads (.../users, .../users/{id},
 * .../groups) share the checks up to the account's state, then answer from
 * the directory (state.h): query, known ids, the page; never replayed or
 * faulted. Every request received is answered and journaled once, with
 * status 0 when no response was sent (drop-K, a client gone mid-request, or
 * a daemon already stopping). With --latency, admitted requests' answers
 * wait out a random delay on a suspended connection, as slow-MS ones do.
 * server_stop answers any delayed requests still waiting and waits for those
 * answers to go out, stops the daemon and frees the server; the state and
 * journal outlive it. */
#ifndef TRUTO_MOCK_SERVER_H
#define TRUTO_MOCK_SERVER_H
#include "journal.h"
#include "options.h"
#include "state.h"

struct mock_server;

/* Returns NULL after printing why; *port gets the bound port. */
struct mock_server *server_start(const struct mock_options *o, struct mock_state *st,
                                 struct journal *j, unsigned *port);
void server_stop(struct mock_server *s);

#endif
