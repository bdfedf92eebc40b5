/* accounts.c: the accounts, three ways: found by id, taking turns, and queueing
 * their rows.
 *
 *  - The table: every account met so far, by id, in an open-addressing hash
 *    table (s->accts, a power of two, at most half full). accounts_find looks an
 *    id up; accounts_slot gives the slot where an id's account is or would go.
 *    accounts_get makes an account on first sight, with its pacer, and it lives
 *    until sched_free.
 *  - The active ring: the accounts with queued or unread rows (s->active),
 *    served round-robin from s->rr. The ring has room for every account, so
 *    joining it never fails.
 *  - The queues: each account's jobs in input order, retries put back at the
 *    front. An account leaves the ring when its queue is empty and it has no
 *    rows left to read.
 *
 * Also sched_accounts (see scheduler.h): the accounts by planned rows. */
#include "connect.h"
#include "sched_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int accts_grow(struct sched *s)
{
    size_t cap = s->acct_cap ? s->acct_cap * 2 : 64;
    struct account **t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->acct_cap; i++) {
        struct account *a = s->accts[i];
        if (!a)
            continue;
        size_t k = hash_bytes(a->id, a->id_len) & (cap - 1);
        while (t[k])
            k = (k + 1) & (cap - 1);
        t[k] = a;
    }
    free(s->accts);
    s->accts = t;
    s->acct_cap = cap;
    return 0;
}

/* The slot holding id's account, or the empty slot where it would go. The table
 * must have room (acct_cap > 0). */
static size_t probe(const struct sched *s, const char *id, size_t len)
{
    size_t k = hash_bytes(id, len) & (s->acct_cap - 1);
    for (; s->accts[k]; k = (k + 1) & (s->acct_cap - 1)) {
        struct account *a = s->accts[k];
        if (a->id_len == len && memcmp(a->id, id, len) == 0)
            break;
    }
    return k;
}

struct account *accounts_find(const struct sched *s, const char *id, size_t len)
{
    if (!s->acct_cap)
        return NULL;
    return s->accts[probe(s, id, len)];
}

/* Grows the table first when one more account would fill it past half. */
struct account **accounts_slot(struct sched *s, const char *id, size_t len)
{
    if ((s->acct_n + 1) * 2 > s->acct_cap && accts_grow(s) != 0)
        return NULL;
    return &s->accts[probe(s, id, len)];
}

/* The account of that id, made on first sight with its pacer: the configured
 * ceiling, --account-concurrency, and a rate learned below them. NULL when
 * memory is short. */
struct account *accounts_get(struct sched *s, const char *id, size_t len)
{
    struct account **slot = accounts_slot(s, id, len);
    if (!slot)
        return NULL;
    if (*slot)
        return *slot;
    /* On failure, fail frees whatever was made: a is zeroed from the start. */
    struct account *a = calloc(1, sizeof *a);
    if (!a || !(a->id = malloc(len + 1)) ||
        connect_account_pacer(&a->pace, s->cfg, uv_now(s->loop)) != 0)
        goto fail;
    memcpy(a->id, id, len);
    a->id[len] = '\0';
    a->id_len = len;
    /* Room for every account, so that accounts_enqueue() can never fail. */
    struct account **act = sched_room_for(s->active, s->acct_n, &s->active_cap, sizeof *act, 16);
    if (!act)
        goto fail;
    s->active = act;
    *slot = a;
    s->acct_n++;
    return a;
fail:
    if (a) {
        pacer_free(&a->pace);
        free(a->id);
    }
    free(a);
    return NULL;
}

static void deactivate_at(struct sched *s, size_t i)
{
    s->active[i]->active = 0;
    s->active[i] = s->active[--s->active_n];
    if (s->rr >= s->active_n)
        s->rr = 0;
}

void accounts_deactivate(struct sched *s, struct account *a)
{
    for (size_t i = 0; a->active && i < s->active_n; i++)
        if (s->active[i] == a)
            deactivate_at(s, i);
}

void accounts_activate(struct sched *s, struct account *a)
{
    if (!a->active) {
        s->active[s->active_n++] = a;
        a->active = 1;
    }
}

/* Queues a row on its account; the account joins the round-robin if it was idle. */
void accounts_enqueue(struct sched *s, struct job *j, int front)
{
    struct account *a = j->acct;
    accounts_activate(s, a);
    if (front) {
        j->next = a->head;
        a->head = j;
        if (!a->tail)
            a->tail = j;
    } else {
        j->next = NULL;
        if (a->tail)
            a->tail->next = j;
        else
            a->head = j;
        a->tail = j;
    }
    a->queued++;
    s->queued++;
}

struct job *accounts_dequeue(struct sched *s, struct account *a)
{
    struct job *j = a->head;
    if (!j)
        return NULL;
    a->head = j->next;
    if (!a->head)
        a->tail = NULL;
    a->queued--;
    s->queued--;
    j->next = NULL;
    if (!a->head && !a->rows_left)
        accounts_deactivate(s, a);
    return j;
}

static int by_rows_desc(const void *x, const void *y)
{
    const struct account *a = *(struct account *const *)x, *b = *(struct account *const *)y;
    return a->planned_valid < b->planned_valid ? 1 : a->planned_valid > b->planned_valid ? -1
                                                                                       : 0;
}

size_t sched_accounts(const struct sched *s, size_t max,
                      void (*cb)(const char *id, unsigned long rows,
                                 const unsigned long *by_status, void *ctx),
                      void *ctx)
{
    struct account **v = malloc((s->acct_n ? s->acct_n : 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return 0;
    for (size_t i = 0; i < s->acct_cap; i++)
        if (s->accts[i])
            v[n++] = s->accts[i];
    qsort(v, n, sizeof *v, by_rows_desc);
    for (size_t i = 0; cb && i < n && i < max; i++)
        cb(v[i]->id, v[i]->planned_valid, v[i]->by_status, ctx);
    free(v);
    return n;
}
