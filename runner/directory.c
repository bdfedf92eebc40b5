/* directory.c: see directory.h.
 *
 * The shape is the scheduler's, smaller: a queue of reads per account served
 * round-robin as the pacers allow, a heap of reads backing off, one ticker
 * for the earliest moment anything could go, and dispatch() after every batch
 * of answers. An item is one line of the list (a user, a group, or for check
 * an account); a read is one request for it (a page, the user object), and
 * an item may need several, one after the other. */
#include "directory.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <cjson/cJSON.h>

#include "answer.h"
#include "backoff.h"
#include "connect.h"
#include "csvin.h"
#include "dirpage.h"
#include "grow.h"
#include "http.h"
#include "log.h"
#include "outcome.h"
#include "pacer.h"
#include "planfile.h"
#include "results.h"
#include "skew.h"
#include "ticker.h"

#define NEVER UINT64_MAX
#define CHECK_ATTEMPTS 3     /* check is a quick answer: at most this many tries */
#define MAX_PAGES 1000000    /* a list longer than this is a server looping */

enum item_state {
    IT_PENDING,
    IT_READ,                 /* read in full */
    IT_NOT_FOUND,            /* 404: no such user or group */
    IT_FAILED,               /* could not be read in full: see why */
};

struct dacct;

struct item {
    struct dacct *acct;
    unsigned long line;      /* in the list; 0 for -a alone (check) */
    char *id;
    char *name, *email;      /* a user's, once its object is read */
    enum item_state state;
    int unreachable;         /* check: no answer at all (transport, TLS) */
    long http;               /* the last status */
    unsigned long latency_ms;
    unsigned long planned;   /* rows it added to the plan */
    char *why;
};

struct task {
    struct task *next;       /* in its account's queue */
    struct item *item;
    enum dir_read kind;
    char *cursor;            /* the page to ask for; NULL: the first */
    unsigned attempts;
    unsigned long pages;
    mono_ms due;             /* backing off: may go again at this time */
    struct answer_sent sent;
};

struct dacct {
    char *id;
    struct pacer pace;
    struct task *head, *tail;
    char *stopped;           /* blocked or needs re-auth: no more reads */
    int no_user_groups;      /* said: its user objects carry no groups */
};

struct dir {
    const struct config *cfg;
    int plan;                /* plan, else check */
    int users;               /* plan --groups-of: the items are users */
    const char *list_name;
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_timer_t end_timer;
    struct http *http;
    struct ticker tick;
    struct pacer token_pace;
    struct pacer_pair pair;
    struct dacct **accts;    /* in the order first met */
    size_t nacct, acap, rr;
    struct dacct **atab;     /* by id: open addressing, at most half full */
    size_t atab_cap;
    struct item *items;
    size_t nitems, icap;
    struct task **heap;      /* min-heap by due */
    size_t nheap, hcap;
    unsigned long queued;
    unsigned max_attempts;
    /* Set by dir_stop_run only. */
    enum dir_stop { RUNNING, STOP_TOKEN_REFUSED, STOP_SIGNALLED, STOP_BROKEN } stop;
    int aborting, finished;
    uint64_t rng;
    struct idlist except_groups, except_users;
    struct pairset listed;   /* (account, id) of every item, for repeated lines */
    unsigned long listed_dups, left_listed, left_groups, left_users;
    unsigned long reads, answered, http429, retries;
    struct skew skew;
    int capped_said;
    struct planset plan_rows;
};

/* Every stop comes here: the first cause is the one kept, and the exit status
 * says it (stop_status). 1 when why is that first cause (the caller may say so),
 * 0 when the reads were stopping already. */
static int dir_stop_run(struct dir *d, enum dir_stop why)
{
    if (d->stop != RUNNING)
        return 0;
    d->stop = why;
    return 1;
}

static double next_uniform(struct dir *d)
{
    d->rng ^= d->rng << 13;
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return (double)(d->rng >> 11) / 9007199254740992.0;
}

static const char *what(const struct dir *d)
{
    return !d->plan ? "account" : d->users ? "user" : "group";
}

/* ---- accounts, items, queues --------------------------------------------- */

static size_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* The slot of id in the table, or the empty one where it would go. */
static struct dacct **account_slot(struct dacct **tab, size_t cap, const char *id)
{
    size_t i = hash_id(id) & (cap - 1);
    while (tab[i] && strcmp(tab[i]->id, id) != 0)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static struct dacct *account_get(struct dir *d, const char *id)
{
    if (d->atab_cap) {
        struct dacct **slot = account_slot(d->atab, d->atab_cap, id);
        if (*slot)
            return *slot;
    }
    if ((d->nacct + 1) * 2 > d->atab_cap) {
        size_t cap = d->atab_cap ? d->atab_cap * 2 : 64;
        struct dacct **tab = calloc(cap, sizeof *tab);
        if (!tab)
            return NULL;
        for (size_t i = 0; i < d->nacct; i++)
            *account_slot(tab, cap, d->accts[i]->id) = d->accts[i];
        free(d->atab);
        d->atab = tab;
        d->atab_cap = cap;
    }
    struct dacct **grown = grow_room(d->accts, d->nacct, &d->acap, sizeof *grown, 16);
    if (!grown)
        return NULL;
    d->accts = grown;
    /* On failure, fail frees whatever was made: a is zeroed from the start. */
    struct dacct *a = calloc(1, sizeof *a);
    if (!a || !(a->id = strdup(id)) ||
        connect_account_pacer(&a->pace, d->cfg, uv_now(&d->loop)) != 0)
        goto fail;
    d->accts[d->nacct++] = a;
    *account_slot(d->atab, d->atab_cap, id) = a;
    return a;
fail:
    if (a) {
        pacer_free(&a->pace);
        free(a->id);
    }
    free(a);
    return NULL;
}

static void enqueue(struct dir *d, struct task *t, int front)
{
    struct dacct *a = t->item->acct;
    t->next = NULL;
    if (front) {
        t->next = a->head;
        a->head = t;
        if (!a->tail)
            a->tail = t;
    } else {
        if (a->tail)
            a->tail->next = t;
        else
            a->head = t;
        a->tail = t;
    }
    d->queued++;
}

static struct task *dequeue(struct dir *d, struct dacct *a)
{
    struct task *t = a->head;
    if (t) {
        a->head = t->next;
        if (!a->head)
            a->tail = NULL;
        d->queued--;
    }
    return t;
}

static void task_free(struct task *t)
{
    if (t) {
        free(t->cursor);
        free(t);
    }
}

static int heap_push(struct dir *d, struct task *t)
{
    struct task **h = grow_room(d->heap, d->nheap, &d->hcap, sizeof *h, 64);
    if (!h)
        return -1;
    d->heap = h;
    size_t i = d->nheap++;
    while (i && d->heap[(i - 1) / 2]->due > t->due) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = t;
    return 0;
}

static struct task *heap_pop(struct dir *d)
{
    struct task *top = d->heap[0], *last = d->heap[--d->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->nheap)
            break;
        if (c + 1 < d->nheap && d->heap[c + 1]->due < d->heap[c]->due)
            c++;
        if (d->heap[c]->due >= last->due)
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (d->nheap)
        d->heap[i] = last;
    return top;
}

/* The item is over: read in full, or not. A failure is said at once, with
 * its line. */
static void item_end(struct dir *d, struct item *it, enum item_state st, const char *why)
{
    if (it->state != IT_PENDING)
        return;
    it->state = st;
    if (st == IT_READ)
        return;
    free(it->why);
    it->why = strdup(why ? why : "");
    if (!d->plan || d->stop != RUNNING)
        return;  /* check tells every account at the end; a stopped plan, the count */
    char msg[1200];
    if (st == IT_NOT_FOUND)
        snprintf(msg, sizeof msg, "%s '%s' not found in account '%s'%s%s", what(d), it->id,
                 it->acct->id, why && *why ? ": " : "", why ? why : "");
    else
        snprintf(msg, sizeof msg, "%s '%s' in account '%s' could not be read%s%s; nothing is "
                 "planned for it", what(d), it->id, it->acct->id, why && *why ? ": " : "",
                 why ? why : "");
    log_row(d->list_name, it->line, msg);
}

static int new_task(struct dir *d, struct item *it, enum dir_read kind, const char *cursor,
                    unsigned long pages, int front)
{
    if (it->acct->stopped) {
        item_end(d, it, IT_FAILED, "its account was stopped");
        return -1;
    }
    struct task *t = calloc(1, sizeof *t);
    if (!t || (cursor && !(t->cursor = strdup(cursor)))) {
        free(t);
        item_end(d, it, IT_FAILED, "out of memory");
        return -1;
    }
    t->item = it;
    t->kind = kind;
    t->pages = pages;
    enqueue(d, t, front);
    return 0;
}

/* ---- what a read found ---------------------------------------------------- */

static void plan_add(struct dir *d, struct item *it, const char *group, const char *group_name,
                     const char *user, const char *user_name, const char *email,
                     const char *source)
{
    if (idlist_has(&d->except_groups, group, strlen(group))) {
        d->left_groups++;
        return;
    }
    if (idlist_has(&d->except_users, user, strlen(user))) {
        d->left_users++;
        return;
    }
    struct plan_row r = {
        .account = it->acct->id, .group = group, .user = user, .group_name = group_name,
        .user_name = user_name, .user_email = email, .source = source,
        .tag = (size_t)(it - d->items),
    };
    if (planset_add(&d->plan_rows, &r) != 0) {
        item_end(d, it, IT_FAILED, "out of memory");
        return;
    }
    it->planned++;
}

/* A list page of DIR_MEMBERS or DIR_USER_GROUPS: its rows, then the next page. */
static void took_page(struct dir *d, struct task *t, const struct transfer *tr)
{
    struct item *it = t->item;
    struct dir_page p;
    char err[300], why[400];
    if (dir_page_parse(&p, tr->resp.p, tr->resp.len, err, sizeof err) != 0) {
        snprintf(why, sizeof why, "page %lu: %s", t->pages + 1, err);
        item_end(d, it, IT_FAILED, why);
        return;
    }
    for (size_t i = 0; i < p.n && it->state == IT_PENDING; i++) {
        const struct dir_entry *e = &p.items[i];
        if (t->kind == DIR_MEMBERS)
            plan_add(d, it, it->id, "", e->id, e->name, e->email, "group-members");
        else
            plan_add(d, it, e->id, e->name, it->id, it->name, it->email, "list-groups");
    }
    if (it->state != IT_PENDING) {
    } else if (!p.next_cursor) {
        item_end(d, it, IT_READ, NULL);
    } else if (t->cursor && strcmp(t->cursor, p.next_cursor) == 0) {
        snprintf(why, sizeof why, "page %lu gave back the cursor it was asked with",
                 t->pages + 1);
        item_end(d, it, IT_FAILED, why);
    } else if (t->pages + 1 >= MAX_PAGES) {
        snprintf(why, sizeof why, "more than %d pages", MAX_PAGES);
        item_end(d, it, IT_FAILED, why);
    } else {
        /* The next page goes first: an item finishes before the next one starts. */
        new_task(d, it, t->kind, p.next_cursor, t->pages + 1, 1);
    }
    dir_page_free(&p);
}

/* The user object: its groups, or where the provider maps none, List Groups. */
static void took_user(struct dir *d, struct task *t, const struct transfer *tr)
{
    struct item *it = t->item;
    struct dir_user u;
    char err[300];
    if (dir_user_parse(&u, tr->resp.p, tr->resp.len, err, sizeof err) != 0) {
        item_end(d, it, IT_FAILED, err);
        return;
    }
    free(it->name);
    free(it->email);
    it->name = strdup(u.self.name);
    it->email = strdup(u.self.email);
    if (!it->name || !it->email) {
        item_end(d, it, IT_FAILED, "out of memory");
    } else if (u.has_groups) {
        for (size_t i = 0; i < u.groups.n && it->state == IT_PENDING; i++)
            plan_add(d, it, u.groups.items[i].id, u.groups.items[i].name, it->id, it->name,
                     it->email, "user.groups");
        item_end(d, it, IT_READ, NULL);
    } else {
        if (!it->acct->no_user_groups)
            log_info("account '%s': the provider puts no \"groups\" on user objects (%s line "
                     "%lu, user '%s'); asking List Groups by user_id (source list-groups)",
                     it->acct->id, d->list_name, it->line, it->id);
        it->acct->no_user_groups = 1;
        new_task(d, it, DIR_USER_GROUPS, NULL, 0, 1);
    }
    dir_user_free(&u);
}

/* ---- sending and answers -------------------------------------------------- */

static void dispatch(struct dir *d);

static void send_task(struct dir *d, struct task *t, mono_ms now)
{
    struct transfer *tr = http_acquire(d->http);
    struct dacct *a = t->item->acct;
    if (dir_url(&tr->url, d->cfg->base_url, t->kind, a->id, t->item->id, t->cursor, 0) != 0) {
        item_end(d, t->item, IT_FAILED, "cannot build the request");
        task_free(t);
        return;
    }
    tr->job = t;
    pacer_pair_sent(&d->pair, &a->pace, now);
    t->sent = (struct answer_sent){now, a->pace.inflight, a->pace.send_rate};
    t->attempts++;
    d->reads++;
    if (http_start(d->http, tr) != 0) {
        /* Nothing else would start either: stop, with the pacers square. */
        const char *why = tr->curl_error[0] ? tr->curl_error : "cannot start the request";
        answer_not_started(&d->pair, &a->pace, &t->sent, now);
        item_end(d, t->item, IT_FAILED, why);
        if (dir_stop_run(d, STOP_BROKEN))
            log_error("stopping: %s", why);
        task_free(t);
    }
}

/* Everything queued or backing off for the account ends with its reason. */
static void stop_account(struct dir *d, struct dacct *a, const char *error)
{
    if (a->stopped)
        return;
    a->stopped = strdup(error);
    if (d->plan)  /* check says it on the account's one line */
        log_error("account '%s': %s; nothing more is read from it", a->id, error);
    struct task *t;
    while ((t = dequeue(d, a)) != NULL) {
        item_end(d, t->item, IT_FAILED, "its account was stopped");
        task_free(t);
    }
}

static void on_done(struct transfer *tr, void *ctx)
{
    struct dir *d = ctx;
    struct task *t = tr->job;
    struct item *it = t->item;
    struct dacct *a = it->acct;
    mono_ms now = uv_now(&d->loop);
    struct body_facts facts;
    memset(&facts, 0, sizeof facts);
    if (tr->http_status >= 300 && tr->resp.len)
        body_facts_parse(&facts, tr->resp.p, tr->resp.len);
    struct verdict v = classify(tr->http_status, tr->curl_code, &facts, t->attempts,
                                d->max_attempts);
    char error[600];
    answer_describe(error, sizeof error, tr, &facts);
    if (tr->http_status)
        d->answered++;
    answer_clock(&d->skew, &d->capped_said, tr, d->cfg->base_url);
    if (tr->http_status == 404 && !facts.is_remote_error) {
        /* Truto's own 404, not the provider's: no user or group is missing,
         * the account is not visible to this token (or the base URL is wrong). */
        v.action = ACT_STOP_ACCOUNT;
        size_t n = strlen(error);
        snprintf(error + n, sizeof error - n, " (from Truto, not the provider: the account is "
                 "not visible to this token, or the base URL is wrong)");
    }
    log_debug("%s line %lu: GET %s (Authorization: Bearer [redacted]) -> %ld%s%s in %lu ms, "
              "attempt %u", d->list_name, it->line, tr->url.p, tr->http_status,
              error[0] ? " " : "", error, tr->latency_ms, t->attempts);
    if (tr->http_status == 429)
        d->http429++;
    double wait_s = answer_pace(&d->pair, &a->pace, tr, &v, &t->sent,
                                d->cfg->account_rate.dur_ms, now);
    it->http = tr->http_status;
    it->latency_ms = tr->latency_ms;
    it->unreachable = tr->http_status == 0;

    switch (v.action) {
    case ACT_DONE:
        if (v.status == ST_REMOVED) {  /* 2xx */
            if (t->kind == DIR_USER)
                took_user(d, t, tr);
            else if (t->kind == DIR_PROBE)
                item_end(d, it, IT_READ, NULL);
            else
                took_page(d, t, tr);
        } else if (v.status == ST_NOT_FOUND && t->kind != DIR_USER_GROUPS &&
                   t->kind != DIR_PROBE && t->pages == 0) {
            item_end(d, it, IT_NOT_FOUND, error);
        } else {
            char why[800];
            if (t->kind == DIR_USER_GROUPS)
                snprintf(why, sizeof why, "the provider puts no \"groups\" on the user object, "
                         "and List Groups by user_id answered %s", error);
            else
                snprintf(why, sizeof why, "%s%s", t->pages ? "a later page: " : "", error);
            item_end(d, it, IT_FAILED, why);
        }
        break;
    case ACT_RETRY: {
        uint64_t floor_ms = wait_s > 0 ? (uint64_t)(wait_s * 1000.0) : 0;
        t->due = now + backoff_delay_ms(t->attempts, BACKOFF_BASE_MS, BACKOFF_CAP_MS, floor_ms,
                                        next_uniform(d));
        d->retries++;
        if (heap_push(d, t) == 0)
            return;  /* the task lives on */
        item_end(d, it, IT_FAILED, "out of memory");
        break;
    }
    case ACT_STOP_ACCOUNT:
        item_end(d, it, IT_FAILED, error);
        stop_account(d, a, error);
        break;
    case ACT_STOP_RUN:
        item_end(d, it, IT_FAILED, error);
        if (!dir_stop_run(d, tr->http_status == 401 ? STOP_TOKEN_REFUSED : STOP_BROKEN))
            break;  /* an earlier cause stopped the reads, and was said */
        if (tr->http_status == 401)
            log_error("the API token was refused (HTTP 401): stopping");
        else
            log_error("stopping: %s", error);
        break;
    }
    task_free(t);
}

static void on_batch(void *ctx) { dispatch(ctx); }

static void on_abandoned(struct transfer *tr, void *ctx)
{
    struct task *t = tr->job;
    item_end(ctx, t->item, IT_FAILED, "interrupted in flight");
    task_free(t);
}

static struct dacct *next_ready(struct dir *d, mono_ms now, mono_ms *wake)
{
    for (size_t k = 0; k < d->nacct; k++) {
        size_t i = (d->rr + k) % d->nacct;
        struct dacct *a = d->accts[i];
        if (!a->head || a->stopped)
            continue;
        mono_ms at = pacer_next(&a->pace, now);
        if (at <= now) {
            d->rr = (i + 1) % d->nacct;
            return a;
        }
        if (at < *wake)
            *wake = at;
    }
    return NULL;
}

static void end_cb(uv_timer_t *timer)
{
    struct dir *d = timer->data;
    http_free(d->http);
    d->http = NULL;
    ticker_close(&d->tick);
    uv_close((uv_handle_t *)&d->end_timer, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
}

static void check_finished(struct dir *d)
{
    if (d->finished || http_busy(d->http) != 0)
        return;
    if (d->stop == RUNNING && (d->queued || d->nheap))
        return;
    /* Stopped: what is left was not read. */
    while (d->nheap) {
        struct task *t = heap_pop(d);
        item_end(d, t->item, IT_FAILED, "not read: stopped");
        task_free(t);
    }
    for (size_t i = 0; i < d->nacct; i++) {
        struct task *t;
        while ((t = dequeue(d, d->accts[i])) != NULL) {
            item_end(d, t->item, IT_FAILED, "not read: stopped");
            task_free(t);
        }
    }
    d->finished = 1;
    /* Not now: this may run inside http's hand-back loop. */
    uv_timer_start(&d->end_timer, end_cb, 0, 0);
}

static void wake_cb(void *ctx) { dispatch(ctx); }

static void dispatch(struct dir *d)
{
    if (d->finished)
        return;
    mono_ms now = uv_now(&d->loop), wake = NEVER;
    if (d->stop == RUNNING) {
        while (d->nheap && d->heap[0]->due <= now) {
            struct task *t = heap_pop(d);
            if (t->item->acct->stopped) {
                item_end(d, t->item, IT_FAILED, "its account was stopped");
                task_free(t);
            } else {
                enqueue(d, t, 1);
            }
        }
        while (http_busy(d->http) < d->cfg->concurrency && d->queued) {
            mono_ms tfree = pacer_next(&d->token_pace, now);
            if (tfree > now) {
                wake = tfree;
                break;
            }
            struct dacct *a = next_ready(d, now, &wake);
            if (!a)
                break;
            send_task(d, dequeue(d, a), now);
        }
        if (d->nheap && d->heap[0]->due < wake)
            wake = d->heap[0]->due;
    }
    if (wake != NEVER && d->stop == RUNNING)
        ticker_arm(&d->tick, wake);
    else
        ticker_stop(&d->tick);
    check_finished(d);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct dir *d = h->data;
    (void)signum;
    if (d->finished)
        return;
    if (dir_stop_run(d, STOP_SIGNALLED)) {
        log_error("interrupted: finishing reads in flight (signal again to abort them)");
    } else if (!d->aborting) {
        d->aborting = 1;
        http_abort_all(d->http, on_abandoned, d);
    }
    dispatch(d);
}

/* ---- the list -------------------------------------------------------------- */

static int add_item(struct dir *d, const char *account, const char *id, unsigned long line)
{
    struct dacct *a = account_get(d, account);
    if (!a)
        return -1;
    struct pair_key k;
    pair_key_of(&k, account, strlen(account), id, strlen(id), "", 0);
    int fresh = pairset_add(&d->listed, &k);
    if (fresh < 0)
        return -1;
    if (!fresh) {
        d->listed_dups += d->plan;  /* check: an account's further rows say nothing new */
        return 0;
    }
    struct item *n = grow_room(d->items, d->nitems, &d->icap, sizeof *n, 64);
    if (!n)
        return -1;
    d->items = n;
    struct item *it = &d->items[d->nitems];
    memset(it, 0, sizeof *it);
    it->acct = a;
    it->line = line;
    if (!(it->id = strdup(id)))
        return -1;
    d->nitems++;
    return 0;
}

/* Reads the list of users, groups or (check) accounts. 0, or -1 (logged). */
static int read_list(struct dir *d, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        log_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char err[600];
    int need = !d->plan ? 0 : d->users ? CSVIN_NEED_USER : CSVIN_NEED_GROUP;
    struct csvin *in = csvin_open_need(f, d->list_name, d->cfg->account, need, d->cfg->columns,
                                       err, sizeof err);
    int rc = in ? 0 : -1, r = 0;
    if (!in)
        log_error("%s", err);
    struct csvin_row row;
    const struct idlist *skip = d->users ? &d->except_users : &d->except_groups;
    while (in && (r = csvin_next(in, &row)) == 1) {
        const char *id = d->users ? row.user_id : row.group_id;
        size_t len = d->users ? row.user_len : row.group_len;
        if (row.invalid) {
            log_row(d->list_name, row.line, row.invalid);
            rc = -1;
            continue;
        }
        if (d->plan && idlist_has(skip, id, len)) {
            d->left_listed++;
            continue;
        }
        if (add_item(d, row.account, d->plan ? id : row.account, row.line) != 0) {
            log_error("out of memory");
            rc = -1;
            break;
        }
    }
    if (in && r < 0) {
        log_error("%s", csvin_error(in));
        rc = -1;
    }
    if (rc != 0 && in)
        log_error("%s: nothing was read from the directory", d->list_name);
    csvin_close(in);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ---- the whole of it -------------------------------------------------------- */

static void dir_free(struct dir *d)
{
    for (size_t i = 0; i < d->nacct; i++) {
        struct task *t;
        while ((t = dequeue(d, d->accts[i])) != NULL)
            task_free(t);
        pacer_free(&d->accts[i]->pace);
        free(d->accts[i]->id);
        free(d->accts[i]->stopped);
        free(d->accts[i]);
    }
    for (size_t i = 0; i < d->nheap; i++)
        task_free(d->heap[i]);
    for (size_t i = 0; i < d->nitems; i++) {
        free(d->items[i].id);
        free(d->items[i].name);
        free(d->items[i].email);
        free(d->items[i].why);
    }
    free(d->accts);
    free(d->atab);
    free(d->items);
    free(d->heap);
    pacer_free(&d->token_pace);
    idlist_free(&d->except_groups);
    idlist_free(&d->except_users);
    pairset_free(&d->listed);
    planset_free(&d->plan_rows);
}

/* Sets up the loop and HTTP, sends every item's first read and runs until all
 * have ended. 0, or -1 (logged) when nothing could start. */
static int read_all(struct dir *d, const char *token)
{
    const struct config *cfg = d->cfg;
    char err[600];
    if (connect_token_pacer(&d->token_pace, cfg, uv_now(&d->loop)) != 0) {
        log_error("out of memory");
        return -1;
    }
    d->pair.token = &d->token_pace;
    struct http_opts ho;
    connect_http_opts(&ho, cfg, token);
    ho.on_done = on_done;
    ho.on_batch = on_batch;
    ho.ctx = d;
    ho.get = 1;
    d->http = http_new(&d->loop, &ho, err, sizeof err);
    if (!d->http) {
        log_error("%s", err);
        return -1;
    }
    if (ticker_init(&d->tick, &d->loop, wake_cb, d, err, sizeof err) != 0) {
        log_error("%s", err);
        http_free(d->http);  /* its handle is closed in dir_close's turn of the loop */
        d->http = NULL;
        return -1;
    }
    uv_timer_init(&d->loop, &d->end_timer);
    d->end_timer.data = d;
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sigterm);
    d->sigint.data = d->sigterm.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    enum dir_read first = !d->plan ? DIR_PROBE : d->users ? DIR_USER : DIR_MEMBERS;
    for (size_t i = 0; i < d->nitems; i++)
        new_task(d, &d->items[i], first, NULL, 0, 0);
    uv_update_time(&d->loop);
    dispatch(d);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    return 0;
}

static int dir_open(struct dir *d, const struct config *cfg, int plan)
{
    memset(d, 0, sizeof *d);
    d->cfg = cfg;
    d->plan = plan;
    d->users = plan && cfg->groups_of != NULL;
    d->max_attempts = plan || cfg->max_attempts < CHECK_ATTEMPTS ? cfg->max_attempts
                                                                 : CHECK_ATTEMPTS;
    d->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ull;
    idlist_init(&d->except_groups);
    idlist_init(&d->except_users);
    pairset_init(&d->listed);
    planset_init(&d->plan_rows);
    int e = uv_loop_init(&d->loop);
    if (e != 0) {
        log_error("cannot start the event loop: %s", uv_strerror(e));
        return -1;
    }
    return 0;
}

static void dir_close(struct dir *d)
{
    /* Closed by end_cb once reading ended; if it never started, nothing is open. */
    uv_run(&d->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&d->loop) != 0)
        log_warn("event loop closed with handles still open");
    dir_free(d);
}

static int stop_status(const struct dir *d)
{
    return d->stop == STOP_TOKEN_REFUSED ? 3 : d->stop == STOP_SIGNALLED ? 130 : 2;
}

/* --summary-json for a plan: the counts, and each user or group not read. 0, or
 * -1 (logged). */
static int plan_summary(const struct dir *d, int rc, const unsigned long *counts)
{
    const struct config *cfg = d->cfg;
    cJSON *o = cJSON_CreateObject(), *nf = cJSON_CreateArray(), *fl = cJSON_CreateArray();
    cJSON *left = cJSON_CreateObject();
    if (!o || !nf || !fl || !left) {
        cJSON_Delete(o);
        cJSON_Delete(nf);
        cJSON_Delete(fl);
        cJSON_Delete(left);
        log_error("out of memory");
        return -1;
    }
    cJSON_AddStringToObject(o, "command", "plan");
    cJSON_AddStringToObject(o, "list", d->list_name);
    cJSON_AddStringToObject(o, "listed_kind", what(d));
    cJSON_AddNumberToObject(o, "exit_code", rc);
    cJSON_AddNumberToObject(o, "listed", (double)d->nitems);
    cJSON_AddNumberToObject(o, "read_in_full", (double)counts[IT_READ]);
    for (size_t i = 0; i < d->nitems; i++) {
        const struct item *it = &d->items[i];
        if (it->state != IT_NOT_FOUND && it->state != IT_FAILED)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "line", (double)it->line);
        cJSON_AddStringToObject(e, "id", it->id);
        cJSON_AddStringToObject(e, "integrated_account_id", it->acct->id);
        cJSON_AddStringToObject(e, "error", it->why ? it->why : "");
        cJSON_AddItemToArray(it->state == IT_NOT_FOUND ? nf : fl, e);
    }
    cJSON_AddItemToObject(o, "not_found", nf);
    cJSON_AddItemToObject(o, "not_read", fl);
    cJSON_AddNumberToObject(o, "memberships", (double)d->plan_rows.n);
    cJSON_AddNumberToObject(o, "duplicates", (double)d->plan_rows.duplicates);
    cJSON_AddNumberToObject(left, "listed", (double)d->left_listed);
    cJSON_AddNumberToObject(left, "except_groups", (double)d->left_groups);
    cJSON_AddNumberToObject(left, "except_users", (double)d->left_users);
    cJSON_AddItemToObject(o, "left_out", left);
    cJSON_AddNumberToObject(o, "reads", (double)d->reads);
    cJSON_AddNumberToObject(o, "http_429", (double)d->http429);
    cJSON_AddNumberToObject(o, "retries", (double)d->retries);
    if (d->skew.samples)
        cJSON_AddNumberToObject(o, "server_clock_skew_s", round(d->skew.est_s * 10) / 10);
    else
        cJSON_AddNullToObject(o, "server_clock_skew_s");
    if (d->stop == RUNNING)
        cJSON_AddStringToObject(o, "plan", cfg->output);
    else
        cJSON_AddNullToObject(o, "plan");  /* a stopped plan writes none */
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char err[600];
    int r = text ? results_write_file_atomic(cfg->summary_json, text, strlen(text), err,
                                             sizeof err)
                 : -1;
    if (r != 0)
        log_error("%s", text ? err : "out of memory");
    cJSON_free(text);
    return r;
}

static int item_read(size_t tag, void *ctx)
{
    const struct dir *d = ctx;
    return d->items[tag].state == IT_READ;
}

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int directory_plan(const struct config *cfg, const char *token)
{
    struct dir d;
    char err[600];
    if (dir_open(&d, cfg, 1) != 0)
        return 2;
    const char *path = d.users ? cfg->groups_of : cfg->members_of;
    d.list_name = strcmp(path, "-") == 0 ? "stdin" : path;
    int rc = 2;
    if ((cfg->except_groups &&
         idlist_load(&d.except_groups, cfg->except_groups, "group_id", err, sizeof err) != 0) ||
        (cfg->except_users &&
         idlist_load(&d.except_users, cfg->except_users, "user_id", err, sizeof err) != 0)) {
        log_error("%s", err);
        goto out;
    }
    if (read_list(&d, path) != 0 || read_all(&d, token) != 0)
        goto out;
    unsigned long counts[4] = {0}, unreachable = 0;
    for (size_t i = 0; i < d.nitems; i++) {
        counts[d.items[i].state]++;
        unreachable += d.items[i].state == IT_FAILED && d.items[i].unreachable;
    }
    /* Not one answer: the server, not these users or groups, is the trouble. */
    if (unreachable && !d.answered && dir_stop_run(&d, STOP_BROKEN))
        log_error("no answer from %s (%s): stopping", cfg->base_url,
                  d.items[0].why ? d.items[0].why : "");
    if (d.stop != RUNNING) {
        log_error("the plan was not written: it would be missing what was not read "
                  "(%lu of %zu %s%s not read in full)", d.nitems - counts[IT_READ], d.nitems,
                  what(&d), d.nitems == 1 ? "" : "s");
        rc = stop_status(&d);
        if (cfg->summary_json)
            plan_summary(&d, rc, counts);
        goto out;
    }
    /* A list that failed part way leaves none of its rows: "nothing is planned for it". */
    planset_keep(&d.plan_rows, item_read, &d);
    planset_sort(&d.plan_rows);
    struct buf csv = {0};
    if (planset_csv(&d.plan_rows, &csv) != 0) {
        log_error("out of memory");
        buf_free(&csv);
        goto out;
    }
    int wrote = results_write_file_atomic(cfg->output, csv.p, csv.len, err, sizeof err);
    buf_free(&csv);
    if (wrote != 0) {
        log_error("%s", err);
        goto out;
    }
    size_t accts = 0;
    for (size_t i = 0; i < d.plan_rows.n; i++)
        if (i == 0 || strcmp(d.plan_rows.rows[i].account, d.plan_rows.rows[i - 1].account))
            accts++;
    char left[300] = "";
    size_t used = 0;
    if (d.left_listed)
        used += (size_t)snprintf(left + used, sizeof left - used, "%s%lu listed %s%s",
                                 used ? ", " : "", d.left_listed, what(&d),
                                 d.left_listed == 1 ? "" : "s");
    if (d.left_groups)
        used += (size_t)snprintf(left + used, sizeof left - used, "%s%lu by --except-groups",
                                 used ? ", " : "", d.left_groups);
    if (d.left_users)
        used += (size_t)snprintf(left + used, sizeof left - used, "%s%lu by --except-users",
                                 used ? ", " : "", d.left_users);
    log_info("plan: %zu %s%s read: %lu in full, %lu not found, %lu could not be read%s",
             d.nitems, what(&d), d.nitems == 1 ? "" : "s", counts[IT_READ],
             counts[IT_NOT_FOUND], counts[IT_FAILED],
             d.listed_dups ? " (repeated lines read once)" : "");
    log_info("plan: %zu %s in %zu %s; %lu %s written once%s%s", d.plan_rows.n,
             plural(d.plan_rows.n, "membership", "memberships"), accts,
             plural(accts, "account", "accounts"), d.plan_rows.duplicates,
             plural(d.plan_rows.duplicates, "duplicate", "duplicates"),
             used ? "; left out: " : "", left);
    log_info("plan: %lu %s (%lu 429s, %lu %s); written to '%s'", d.reads,
             plural(d.reads, "read", "reads"), d.http429, d.retries,
             plural(d.retries, "retry", "retries"), cfg->output);
    if (counts[IT_NOT_FOUND] || counts[IT_FAILED])
        log_warn("the plan leaves out what could not be read (see above): read those again "
                 "before relying on it");
    log_info("next: grouprm --dry-run %s, then grouprm %s", cfg->output, cfg->output);
    rc = counts[IT_NOT_FOUND] || counts[IT_FAILED] ? 1 : 0;
    if (cfg->summary_json && plan_summary(&d, rc, counts) != 0)
        rc = rc ? rc : 2;
out:
    dir_close(&d);
    return rc;
}

/* --summary-json for check: each account's answer. 0, or -1 (logged). */
static int check_summary(const struct dir *d, int rc)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!o || !arr) {
        cJSON_Delete(o);
        cJSON_Delete(arr);
        log_error("out of memory");
        return -1;
    }
    cJSON_AddStringToObject(o, "command", "check");
    cJSON_AddNumberToObject(o, "exit_code", rc);
    for (size_t i = 0; i < d->nitems; i++) {
        const struct item *it = &d->items[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "integrated_account_id", it->acct->id);
        cJSON_AddBoolToObject(e, "ok", it->state == IT_READ);
        if (it->http)
            cJSON_AddNumberToObject(e, "http_status", (double)it->http);
        else
            cJSON_AddNullToObject(e, "http_status");
        cJSON_AddNumberToObject(e, "latency_ms", (double)it->latency_ms);
        cJSON_AddStringToObject(e, "error", it->state == IT_READ ? "" : it->why ? it->why : "");
        cJSON_AddItemToArray(arr, e);
    }
    cJSON_AddItemToObject(o, "accounts", arr);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char err[600];
    int r = text ? results_write_file_atomic(d->cfg->summary_json, text, strlen(text), err,
                                             sizeof err)
                 : -1;
    if (r != 0)
        log_error("%s", text ? err : "out of memory");
    cJSON_free(text);
    return r;
}

int directory_check(const struct config *cfg, const char *token)
{
    struct dir d;
    if (dir_open(&d, cfg, 0) != 0)
        return 2;
    d.list_name = cfg->input ? (strcmp(cfg->input, "-") == 0 ? "stdin" : cfg->input) : "-a";
    int rc = 2;
    if (cfg->input ? read_list(&d, cfg->input) != 0 : add_item(&d, cfg->account,
                                                              cfg->account, 0) != 0)
        goto out;
    if (read_all(&d, token) != 0)
        goto out;
    int refused = 0, unreachable = 0;
    for (size_t i = 0; i < d.nitems; i++) {
        struct item *it = &d.items[i];
        if (it->state == IT_READ) {
            log_info("account '%s': ok (HTTP %ld in %lu ms)", it->acct->id, it->http,
                     it->latency_ms);
            continue;
        }
        if (it->state == IT_PENDING || !it->why) {
            free(it->why);
            it->why = strdup(it->state == IT_PENDING ? "not checked: stopped" : "");
        }
        log_error("account '%s': %s", it->acct->id, it->why ? it->why : "");
        if (it->unreachable)
            unreachable = 1;
        else
            refused = 1;
    }
    rc = d.stop != RUNNING ? stop_status(&d) : unreachable ? 2 : refused ? 1 : 0;
    if (cfg->summary_json && check_summary(&d, rc) != 0 && rc == 0)
        rc = 2;
out:
    dir_close(&d);
    return rc;
}
