/* connect.c: see connect.h. */
#include "connect.h"

#include <stdlib.h>
#include <string.h>

#include "ascii.h"

static const char *first_set(const char *(*get)(const char *, void *), void *ud,
                             const char *a, const char *b)
{
    const char *v = get(a, ud);
    if (!v && b)
        v = get(b, ud);
    return v;
}

void proxy_from_env(const char *base_url, const char *(*get)(const char *name, void *ud),
                    void *ud, const char **proxy, const char **noproxy)
{
    int tls = ascii_eq_nocase(base_url, "https://", 8);
    const char *p = tls ? first_set(get, ud, "https_proxy", "HTTPS_PROXY")
                        : first_set(get, ud, "http_proxy", NULL);
    if (!p)
        p = first_set(get, ud, "all_proxy", "ALL_PROXY");
    const char *np = first_set(get, ud, "no_proxy", "NO_PROXY");
    *proxy = p ? p : "";
    *noproxy = np ? np : "";
}

static const char *env_get(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

void connect_http_opts(struct http_opts *o, const struct config *cfg, const char *token)
{
    const char *proxy, *noproxy;
    proxy_from_env(cfg->base_url, env_get, NULL, &proxy, &noproxy);
    *o = (struct http_opts){
        .token = token, .user_agent = "grouprm/" GROUPRM_VERSION, .timeout_s = cfg->timeout_s,
        .pool = cfg->concurrency, .lanes = config_threads(cfg, uv_available_parallelism()),
        .multiplex = strncmp(cfg->base_url, "https://", 8) == 0,
        .cacert = cfg->cacert, .proxy = proxy, .noproxy = noproxy,
        .resolve = cfg->resolve, .nresolve = cfg->nresolve,
    };
}

int connect_account_pacer(struct pacer *p, const struct config *cfg, mono_ms now)
{
    const struct rate *r = &cfg->account_rate;
    struct pacer_limits l = {.n = r->n, .dur_ms = r->dur_ms,
                             .max_inflight = cfg->account_concurrency,
                             .learn = PACER_LEARN_ALL};
    return pacer_init(p, &l, now);
}

int connect_token_pacer(struct pacer *p, const struct config *cfg, mono_ms now)
{
    const struct rate *r = &cfg->token_rate;
    struct pacer_limits l = {.n = r->n, .dur_ms = r->dur_ms, .max_inflight = cfg->concurrency,
                             .learn = PACER_TOKEN_LEARN, .start = PACER_TOKEN_START};
    return pacer_init(p, &l, now);
}
