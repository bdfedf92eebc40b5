/* connect.h: what a run and a plan share to reach the API, from the
 * configuration: the HTTP options (token, TLS, proxy, lanes, pool) and the
 * limits each pacer starts from (an account's, the token's). */
#ifndef GROUPRM_CONNECT_H
#define GROUPRM_CONNECT_H
#include "config.h"
#include "http.h"
#include "pacer.h"

/* Fills o for cfg: everything but on_done, on_batch, ctx and get. The proxy
 * is read from the environment once, here. */
void connect_http_opts(struct http_opts *o, const struct config *cfg, const char *token);
/* An account's pacer, or the token's, as cfg configures it. 0, or -1 on ENOMEM. */
int connect_account_pacer(struct pacer *p, const struct config *cfg, mono_ms now);
int connect_token_pacer(struct pacer *p, const struct config *cfg, mono_ms now);

/* The proxy settings libcurl would read from the environment for base_url, read
 * once (libcurl would read them on every transfer): <scheme>_proxy, then
 * upper-case <SCHEME>_PROXY except HTTP_PROXY (which a CGI client can set),
 * then all_proxy / ALL_PROXY; and no_proxy / NO_PROXY. get(name, ud) looks a
 * variable up (NULL when unset). *proxy and *noproxy are never NULL: "" means
 * none, which also stops libcurl from looking again. */
void proxy_from_env(const char *base_url, const char *(*get)(const char *name, void *ud),
                    void *ud, const char **proxy, const char **noproxy);

#endif
