/* state.c: see state.h. */
#include "state.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_set(struct strmap *set, const char **ids, size_t n)
{
    strmap_init(set);
    for (size_t i = 0; i < n; i++)
        strmap_put(set, ids[i], strlen(ids[i]), NULL)->num = 1;
}

void state_init(struct mock_state *st, const struct mock_options *o)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    st->account_limit = o->account_limit;
    st->token_limit = o->token_limit;
    st->limit_mode = o->limit_mode;
    strmap_init(&st->account_limiters);
    strmap_init(&st->members);
    strmap_init(&st->wildcard);
    strmap_init(&st->fault_hits);
    strmap_init(&st->idem);
    st->default_member = 1;
    fill_set(&st->blocked, o->blocked, o->nblocked);
    fill_set(&st->reauth, o->reauth, o->nreauth);
}

void state_free(struct mock_state *st)
{
    strmap_free(&st->account_limiters, free);
    strmap_free(&st->members, NULL);
    strmap_free(&st->wildcard, NULL);
    strmap_free(&st->fault_hits, NULL);
    strmap_free(&st->idem, free);
    strmap_free(&st->blocked, NULL);
    strmap_free(&st->reauth, NULL);
    pthread_mutex_destroy(&st->lock);
}

/* Length-prefixed parts: "a-b"+"c" and "a"+"b-c" can never collide, whatever
 * bytes the ids hold. */
static char *join_key(const char *const *parts, size_t n, size_t *len)
{
    struct sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        sbuf_addf(&b, "%zu:", l);
        sbuf_add(&b, parts[i], l);
    }
    *len = b.len;
    return b.p;
}

char *state_pair_key(const char *account, const char *group, const char *user, size_t *len)
{
    const char *parts[] = {account, group, user};
    return join_key(parts, 3, len);
}

static char *wildcard_key(const char *group, const char *user, size_t *len)
{
    const char *parts[] = {group, user};
    return join_key(parts, 2, len);
}

void state_members_mode(struct mock_state *st)
{
    st->default_member = 0;
}

void state_seed_member(struct mock_state *st, const char *account,
                       const char *group, const char *user)
{
    size_t len;
    int any = !account || !*account;
    char *key = any ? wildcard_key(group, user, &len)
                    : state_pair_key(account, group, user, &len);
    pthread_mutex_lock(&st->lock);
    strmap_put(any ? &st->wildcard : &st->members, key, len, NULL)->num = 1;
    pthread_mutex_unlock(&st->lock);
    free(key);
}

/* ---- rate limits ---- */

/* A leaky bucket is kept as its level in requests (a small double, so it keeps
 * its precision however long the server runs) and the instant it was last
 * brought up to date; in between it drains (now - last) * N / DUR. The clock
 * counts whole nanoseconds, so an arrival is only known to within one tick and
 * a request's share of DUR (1s / 3) falls between ticks: levels less than one
 * tick's drain apart are a tie. So a stream at exactly N per DUR is never
 * refused, and rounding in the doubles cannot tip a decision. */
static unsigned leaky_capacity(const struct rate_limit *lim)
{
    return lim->n / 10 ? lim->n / 10 : 1;
}

static double leaky_dur_ns(const struct rate_limit *lim)
{
    return (double)lim->dur_ms * 1e6;
}

/* Requests drained per nanosecond: also the size of a tie. */
static double leaky_tick(const struct rate_limit *lim)
{
    return (double)lim->n / leaky_dur_ns(lim);
}

/* The level at now. Workers read the clock before taking the lock, so now may
 * be a little behind last; that drains nothing. */
static double leaky_level(const struct rate_limit *lim, const struct limiter *l,
                          uint64_t now_ns)
{
    if (now_ns <= l->last_ns)
        return l->level;
    double level = l->level - (double)(now_ns - l->last_ns) * leaky_tick(lim);
    return level > 0 ? level : 0;
}

static uint64_t fixed_index(const struct rate_limit *lim, uint64_t now_ns)
{
    return now_ns / (lim->dur_ms * 1000000);
}

static unsigned fixed_used(const struct limiter *l, uint64_t index)
{
    return l->index == index ? l->used : 0;
}

/* Whether one more request fits now. */
static int has_room(const struct mock_state *st, const struct rate_limit *lim,
                    const struct limiter *l, uint64_t now_ns)
{
    if (st->limit_mode == LIMIT_LEAKY)
        return leaky_level(lim, l, now_ns) + 1 < leaky_capacity(lim) + leaky_tick(lim);
    return fixed_used(l, fixed_index(lim, now_ns)) < lim->n;
}

static void charge(const struct mock_state *st, const struct rate_limit *lim,
                   struct limiter *l, uint64_t now_ns)
{
    if (st->limit_mode == LIMIT_LEAKY) {
        l->level = leaky_level(lim, l, now_ns) + 1;
        if (now_ns > l->last_ns)
            l->last_ns = now_ns;
        return;
    }
    uint64_t index = fixed_index(lim, now_ns);
    if (l->index != index) {
        l->index = index;
        l->used = 0;
    }
    l->used++;
}

/* now_ns plus a span, to the nearest nanosecond: the clock's resolution, and
 * enough to keep rounding noise from pushing a whole second to the next. Only
 * a DUR of a century or more reaches 2^62 ns; that saturates, not wraps. */
static uint64_t after(uint64_t now_ns, double span_ns)
{
    if (span_ns <= 0)
        return now_ns;
    double span = nearbyint(span_ns);
    if (span >= 0x1p62)
        return UINT64_MAX;
    return now_ns + (uint64_t)span;
}

static void report(const struct mock_state *st, struct rl_report *rep,
                   const struct rate_limit *lim, const struct limiter *l, uint64_t now_ns)
{
    rep->present = 1;
    rep->limit = lim->n;
    rep->window_ms = lim->dur_ms;
    if (st->limit_mode == LIMIT_LEAKY) {
        double level = leaky_level(lim, l, now_ns);
        double cap = leaky_capacity(lim), unit_ns = leaky_dur_ns(lim) / lim->n;
        /* The most k with level + k < cap + tick, as has_room decides for one. */
        double room = ceil(cap - level + leaky_tick(lim)) - 1;
        rep->remaining = room > 0 ? (unsigned)room : 0;
        rep->reset_ns = after(now_ns, level * unit_ns);
        /* A request fits once the level is down to capacity - 1. */
        rep->retry_ns = after(now_ns, (level + 1 - cap) * unit_ns);
        return;
    }
    uint64_t index = fixed_index(lim, now_ns);
    unsigned used = fixed_used(l, index);
    rep->remaining = used < lim->n ? lim->n - used : 0;
    rep->reset_ns = (index + 1) * (lim->dur_ms * 1000000);
    rep->retry_ns = rep->reset_ns;
}

static struct limiter *account_limiter(struct mock_state *st, const char *account)
{
    struct strmap_slot *s = strmap_put(&st->account_limiters, account, strlen(account), NULL);
    if (!s->ptr) {
        struct limiter *l = xmalloc(sizeof *l);
        memset(l, 0, sizeof *l);
        s->ptr = l;
    }
    return s->ptr;
}

int state_admit(struct mock_state *st, const char *account, uint64_t now_ns,
                struct rl_report *rep)
{
    const struct rate_limit *tl = &st->token_limit, *al = &st->account_limit;
    memset(rep, 0, sizeof *rep);

    pthread_mutex_lock(&st->lock);
    if (tl->n && !has_room(st, tl, &st->token_limiter, now_ns)) {
        report(st, rep, tl, &st->token_limiter, now_ns);
        pthread_mutex_unlock(&st->lock);
        return 0;
    }
    struct limiter *alim = al->n ? account_limiter(st, account) : NULL;
    if (alim && !has_room(st, al, alim, now_ns)) {
        report(st, rep, al, alim, now_ns);
        pthread_mutex_unlock(&st->lock);
        return 0;
    }
    /* Both have room: only now charge, so a refused request costs nothing. */
    if (tl->n)
        charge(st, tl, &st->token_limiter, now_ns);
    if (alim) {
        charge(st, al, alim, now_ns);
        report(st, rep, al, alim, now_ns);
    }
    pthread_mutex_unlock(&st->lock);
    return 1;
}

/* ---- idempotency cache ---- */

const struct cached_reply *state_idem_get(struct mock_state *st, const char *key)
{
    pthread_mutex_lock(&st->lock);
    struct strmap_slot *s = strmap_get(&st->idem, key, strlen(key));
    const struct cached_reply *r = s ? s->ptr : NULL;
    pthread_mutex_unlock(&st->lock);
    return r;
}

void state_idem_put(struct mock_state *st, const char *key, int status,
                    const char *body, size_t len)
{
    struct cached_reply *r = xmalloc(sizeof *r + len + 1);
    r->status = status;
    r->len = len;
    memcpy(r->body, body, len);
    r->body[len] = '\0';

    pthread_mutex_lock(&st->lock);
    struct strmap_slot *s = strmap_put(&st->idem, key, strlen(key), NULL);
    if (!s->ptr) {
        s->ptr = r;
        r = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    free(r); /* a concurrent twin cached first: its answer stands */
}

/* ---- accounts, faults, membership ---- */

int state_blocked(const struct mock_state *st, const char *account)
{
    return strmap_get(&st->blocked, account, strlen(account)) != NULL;
}

int state_needs_reauth(const struct mock_state *st, const char *account)
{
    return strmap_get(&st->reauth, account, strlen(account)) != NULL;
}

unsigned long state_fault_hit(struct mock_state *st, const char *pair, size_t pair_len)
{
    pthread_mutex_lock(&st->lock);
    struct strmap_slot *s = strmap_put(&st->fault_hits, pair, pair_len, NULL);
    unsigned long before = (unsigned long)s->num++;
    pthread_mutex_unlock(&st->lock);
    return before;
}

/* Caller holds the lock. */
static int is_member(struct mock_state *st, const char *pair, size_t pair_len,
                     const char *group, const char *user)
{
    struct strmap_slot *s = strmap_get(&st->members, pair, pair_len);
    if (s)
        return s->num != 0;
    if (st->wildcard.count) {
        size_t len;
        char *key = wildcard_key(group, user, &len);
        int hit = strmap_get(&st->wildcard, key, len) != NULL;
        free(key);
        if (hit)
            return 1;
    }
    return st->default_member;
}

int state_remove(struct mock_state *st, const char *pair, size_t pair_len,
                 const char *group, const char *user)
{
    pthread_mutex_lock(&st->lock);
    int was = is_member(st, pair, pair_len, group, user);
    if (was)
        strmap_put(&st->members, pair, pair_len, NULL)->num = 0;
    pthread_mutex_unlock(&st->lock);
    return was;
}

void state_add(struct mock_state *st, const char *pair, size_t pair_len)
{
    pthread_mutex_lock(&st->lock);
    strmap_put(&st->members, pair, pair_len, NULL)->num = 1;
    pthread_mutex_unlock(&st->lock);
}
