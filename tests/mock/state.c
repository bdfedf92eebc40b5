/* state.c: see state.h. */
#include "state.h"
#include "util.h"

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
    st->account_rule = (struct limit_rule){o->limit_mode, o->account_limit, o->burst};
    st->token_rule = (struct limit_rule){o->limit_mode, o->token_limit, o->burst};
    st->concurrency = o->account_concurrency;
    strmap_init(&st->accounts);
    strmap_init(&st->members);
    strmap_init(&st->wildcard);
    strmap_init(&st->fault_hits);
    strmap_init(&st->idem);
    st->default_member = 1;
    fill_set(&st->blocked, o->blocked, o->nblocked);
    fill_set(&st->reauth, o->reauth, o->nreauth);
    fill_set(&st->unremovable, o->unremovable, o->nunremovable);
    dir_init(&st->dir);
}

void state_free(struct mock_state *st)
{
    strmap_free(&st->accounts, free);
    strmap_free(&st->members, NULL);
    strmap_free(&st->wildcard, NULL);
    strmap_free(&st->fault_hits, NULL);
    strmap_free(&st->idem, free);
    strmap_free(&st->blocked, NULL);
    strmap_free(&st->reauth, NULL);
    strmap_free(&st->unremovable, NULL);
    dir_free(&st->dir);
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
                       const char *group, const char *user, const char *group_name,
                       const char *user_name, const char *user_email)
{
    size_t len;
    int any = !account || !*account;
    char *key = any ? wildcard_key(group, user, &len)
                    : state_pair_key(account, group, user, &len);
    pthread_mutex_lock(&st->lock);
    strmap_put(any ? &st->wildcard : &st->members, key, len, NULL)->num = 1;
    dir_seed(&st->dir, account, group, user, group_name, user_name, user_email);
    pthread_mutex_unlock(&st->lock);
    free(key);
}

void state_members_done(struct mock_state *st)
{
    pthread_mutex_lock(&st->lock);
    dir_finish(&st->dir);
    pthread_mutex_unlock(&st->lock);
}

/* ---- rate limits ---- */

static struct account_state *account_state(struct mock_state *st, const char *account)
{
    struct strmap_slot *s = strmap_put(&st->accounts, account, strlen(account), NULL);
    if (!s->ptr) {
        struct account_state *a = xmalloc(sizeof *a);
        memset(a, 0, sizeof *a);
        s->ptr = a;
    }
    return s->ptr;
}

enum admit state_admit(struct mock_state *st, const char *account, uint64_t now_ns,
                       struct rl_report *rep, unsigned *inflight)
{
    const struct limit_rule *tl = &st->token_rule, *al = &st->account_rule;
    memset(rep, 0, sizeof *rep);
    *inflight = 0;

    pthread_mutex_lock(&st->lock);
    struct account_state *acc = account_state(st, account);
    struct limiter *tlim = tl->rate.n ? &st->token_limiter : NULL;
    struct limiter *alim = al->rate.n ? &acc->limiter : NULL;
    const struct limit_rule *refused = NULL;
    struct limiter *by = NULL;
    if (tlim && !limiter_fits(tl, tlim, now_ns)) {
        refused = tl;
        by = tlim;
    } else if (alim && !limiter_fits(al, alim, now_ns)) {
        refused = al;
        by = alim;
    }
    if (refused) {
        /* Only a sliding counter keeps count of refusals; it counts them in
         * both limits, as two HAProxy track-sc rules before a deny would. */
        if (tlim)
            limiter_refused(tl, tlim, now_ns);
        if (alim)
            limiter_refused(al, alim, now_ns);
        limiter_report(refused, by, now_ns, rep);
        pthread_mutex_unlock(&st->lock);
        return ADMIT_LIMITED;
    }
    if (st->concurrency && acc->inflight >= st->concurrency) {
        pthread_mutex_unlock(&st->lock);
        return ADMIT_BUSY;
    }
    /* Both have room: only now charge, so a refused request costs nothing
     * (except in a sliding counter, above). */
    if (tlim)
        limiter_charge(tl, tlim, now_ns);
    if (alim) {
        limiter_charge(al, alim, now_ns);
        limiter_report(al, alim, now_ns, rep);
    }
    *inflight = ++acc->inflight;
    pthread_mutex_unlock(&st->lock);
    return ADMIT_OK;
}

void state_release(struct mock_state *st, const char *account)
{
    pthread_mutex_lock(&st->lock);
    struct strmap_slot *s = strmap_get(&st->accounts, account, strlen(account));
    struct account_state *acc = s ? s->ptr : NULL;
    if (acc && acc->inflight)
        acc->inflight--;
    pthread_mutex_unlock(&st->lock);
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

int state_unremovable(const struct mock_state *st, const char *group)
{
    return strmap_get(&st->unremovable, group, strlen(group)) != NULL;
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

void state_add(struct mock_state *st, const char *pair, size_t pair_len,
               const char *account, const char *group, const char *user)
{
    pthread_mutex_lock(&st->lock);
    strmap_put(&st->members, pair, pair_len, NULL)->num = 1;
    if (!st->default_member)
        dir_note_add(&st->dir, account, group, user);
    pthread_mutex_unlock(&st->lock);
}

/* ---- directory reads ---- */

struct member_ctx {
    struct mock_state *st;
    const char *account;
    struct sbuf key;   /* reused for every candidate */
};

/* dir_member_fn; the caller holds the lock. */
static int member_now(void *p, const char *group, const char *user)
{
    struct member_ctx *m = p;
    const char *parts[] = {m->account, group, user};
    m->key.len = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        sbuf_addf(&m->key, "%zu:", l);
        sbuf_add(&m->key, parts[i], l);
    }
    return is_member(m->st, m->key.p, m->key.len, group, user);
}

enum read_result state_read_page(struct mock_state *st, enum dir_list kind,
                                 const char *account, const char *filter,
                                 const char *cursor, size_t limit, struct dir_ids *ids,
                                 char next[DIR_CURSOR_LEN + 1])
{
    /* The pools and indices are read-only since loading; only the added sets
     * and the membership need the lock. */
    const struct directory *d = &st->dir;
    uint32_t a = dir_find(&d->accounts, account), key = DIR_NONE;
    int filtered = kind == DIR_GROUP_MEMBERS || kind == DIR_USER_GROUPS;
    if (kind == DIR_GROUP_MEMBERS) {
        key = dir_find(&d->groups, filter);
        if (!dir_group_known(d, a, key))
            return READ_UNKNOWN;
    } else if (kind == DIR_USER_GROUPS) {
        key = dir_find(&d->users, filter);
        if (!dir_user_known(d, a, key))
            return READ_UNKNOWN;
    }
    const char *f = filtered ? filter : "";
    uint32_t after = DIR_NONE;
    if (cursor && *cursor && dir_cursor_decode(d, kind, account, f, cursor, &after))
        return READ_BAD_CURSOR;
    struct member_ctx m = {st, account, {0}};
    ids->n = 0;
    pthread_mutex_lock(&st->lock);
    /* One more than the page tells whether there is a next one. */
    dir_list(d, kind, account, a, key, after, limit + 1, member_now, &m, ids);
    pthread_mutex_unlock(&st->lock);
    sbuf_free(&m.key);
    next[0] = '\0';
    if (ids->n > limit) {
        ids->n = limit;
        dir_cursor_encode(d, kind, account, f, ids->v[limit - 1], next);
    }
    return READ_OK;
}

enum read_result state_read_user(struct mock_state *st, const char *account,
                                 const char *user, uint32_t *rank, struct dir_ids *groups)
{
    const struct directory *d = &st->dir;
    uint32_t a = dir_find(&d->accounts, account), u = dir_find(&d->users, user);
    if (!dir_user_known(d, a, u))
        return READ_UNKNOWN;
    *rank = u;
    if (groups) {
        struct member_ctx m = {st, account, {0}};
        groups->n = 0;
        pthread_mutex_lock(&st->lock);
        dir_list(d, DIR_USER_GROUPS, account, a, u, DIR_NONE, SIZE_MAX, member_now, &m, groups);
        pthread_mutex_unlock(&st->lock);
        sbuf_free(&m.key);
    }
    return READ_OK;
}
