/* connect.c: see connect.h. */
#include "connect.h"

#include <stdlib.h>
#include <string.h>

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
