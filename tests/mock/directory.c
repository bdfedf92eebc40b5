/* directory.c: see directory.h. */
#include "directory.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

void dir_ids_push(struct dir_ids *l, uint32_t v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = v;
}

void dir_ids_free(struct dir_ids *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void free_ids(void *p)
{
    dir_ids_free(p);
    free(p);
}

/* Length-prefixed, so ("a-b", "c") and ("a", "b-c") never share a key. */
static char *two_key(const char *x, const char *y, size_t *len)
{
    struct sbuf b = {0};
    size_t lx = strlen(x), ly = strlen(y);
    sbuf_addf(&b, "%zu:", lx);
    sbuf_add(&b, x, lx);
    sbuf_addf(&b, "%zu:", ly);
    sbuf_add(&b, y, ly);
    *len = b.len;
    return b.p;
}

static int cmp_tuple(const uint32_t *a, const uint32_t *b, unsigned k)
{
    for (unsigned i = 0; i < k; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int cmp3(const void *a, const void *b) { return cmp_tuple(a, b, 3); }
static int cmp2(const void *a, const void *b) { return cmp_tuple(a, b, 2); }

static int cmp_entity(const void *a, const void *b)
{
    return strcmp(((const struct dir_entity *)a)->id, ((const struct dir_entity *)b)->id);
}

/* ---- pools ---- */

static void pool_init(struct dir_pool *p)
{
    memset(p, 0, sizeof *p);
    strmap_init(&p->map);
}

static void pool_free(struct dir_pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].email);
    }
    free(p->v);
    strmap_free(&p->map, NULL);
    pool_init(p);
}

static uint32_t intern(struct dir_pool *p, const char *id)
{
    int created;
    struct strmap_slot *s = strmap_put(&p->map, id, strlen(id), &created);
    if (!created)
        return (uint32_t)s->num;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    s->num = (long)p->n;
    p->v[p->n] = (struct dir_entity){s->key, NULL, NULL, (uint32_t)p->n};
    return (uint32_t)p->n++;
}

static void set_once(char **slot, const char *value)
{
    if (!*slot && value && *value)
        *slot = xstrdup(value);
}

/* Sorts the pool by id and returns old index -> rank (malloc'd). */
static uint32_t *pool_sort(struct dir_pool *p)
{
    if (p->n)
        qsort(p->v, p->n, sizeof *p->v, cmp_entity);
    uint32_t *rank = xmalloc((p->n ? p->n : 1) * sizeof *rank);
    for (size_t i = 0; i < p->n; i++)
        rank[p->v[i].old] = (uint32_t)i;
    for (size_t i = 0; i < p->map.cap; i++)
        if (p->map.slots[i].key)
            p->map.slots[i].num = rank[p->map.slots[i].num];
    return rank;
}

uint32_t dir_find(const struct dir_pool *p, const char *id)
{
    const struct strmap_slot *s = strmap_get(&p->map, id, strlen(id));
    return s ? (uint32_t)s->num : DIR_NONE;
}

/* ---- indices ---- */

static void index_sort_unique(struct dir_index *x)
{
    if (x->n < 2)
        return;
    size_t sz = x->w * sizeof *x->v;
    qsort(x->v, x->n, sz, x->w == 3 ? cmp3 : cmp2);
    size_t out = 1;
    for (size_t i = 1; i < x->n; i++) {
        if (cmp_tuple(&x->v[i * x->w], &x->v[(out - 1) * x->w], x->w) != 0) {
            memmove(&x->v[out * x->w], &x->v[i * x->w], sz);
            out++;
        }
    }
    x->n = out;
}

/* The distinct first-k-field prefixes of a sorted index: sorted, no duplicates. */
static struct dir_index index_prefix(const struct dir_index *x, unsigned k)
{
    struct dir_index p = {xmalloc((x->n ? x->n : 1) * k * sizeof *p.v), 0, k};
    for (size_t i = 0; i < x->n; i++) {
        const uint32_t *t = &x->v[i * x->w];
        if (p.n && cmp_tuple(&p.v[(p.n - 1) * k], t, k) == 0)
            continue;
        memcpy(&p.v[p.n * k], t, k * sizeof *t);
        p.n++;
    }
    return p;
}

/* The first tuple whose first k fields are >= key (upper: > key). */
static size_t bound(const struct dir_index *x, const uint32_t *key, unsigned k, int upper)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_tuple(&x->v[mid * x->w], key, k);
        if (c < 0 || (upper && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int index_has(const struct dir_index *x, const uint32_t *key)
{
    size_t i = bound(x, key, x->w, 0);
    return i < x->n && cmp_tuple(&x->v[i * x->w], key, x->w) == 0;
}

/* ---- loading ---- */

void dir_init(struct directory *d)
{
    memset(d, 0, sizeof *d);
    pool_init(&d->accounts);
    pool_init(&d->groups);
    pool_init(&d->users);
    strmap_init(&d->added_ag);
    strmap_init(&d->added_au);
}

void dir_free(struct directory *d)
{
    pool_free(&d->accounts);
    pool_free(&d->groups);
    pool_free(&d->users);
    struct dir_index *ix[] = {&d->agu, &d->aug, &d->wgu, &d->wug, &d->ag, &d->au, &d->wg, &d->wu};
    for (size_t i = 0; i < sizeof ix / sizeof *ix; i++)
        free(ix[i]->v);
    strmap_free(&d->added_ag, free_ids);
    strmap_free(&d->added_au, free_ids);
    dir_ids_free(&d->stage);
    memset(d, 0, sizeof *d);
}

void dir_seed(struct directory *d, const char *account, const char *group, const char *user,
              const char *group_name, const char *user_name, const char *user_email)
{
    uint32_t a = account && *account ? intern(&d->accounts, account) : DIR_NONE;
    uint32_t g = intern(&d->groups, group);
    uint32_t u = intern(&d->users, user);
    set_once(&d->groups.v[g].name, group_name);
    set_once(&d->users.v[u].name, user_name);
    set_once(&d->users.v[u].email, user_email);
    dir_ids_push(&d->stage, a);
    dir_ids_push(&d->stage, g);
    dir_ids_push(&d->stage, u);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

void dir_finish(struct directory *d)
{
    uint32_t *ra = pool_sort(&d->accounts), *rg = pool_sort(&d->groups), *ru = pool_sort(&d->users);
    size_t rows = d->stage.n / 3, nexp = 0, nwild = 0;
    for (size_t i = 0; i < rows; i++)
        *(d->stage.v[i * 3] == DIR_NONE ? &nwild : &nexp) += 1;
    d->agu = (struct dir_index){xmalloc((nexp ? nexp : 1) * 3 * sizeof(uint32_t)), 0, 3};
    d->aug = (struct dir_index){xmalloc((nexp ? nexp : 1) * 3 * sizeof(uint32_t)), 0, 3};
    d->wgu = (struct dir_index){xmalloc((nwild ? nwild : 1) * 2 * sizeof(uint32_t)), 0, 2};
    d->wug = (struct dir_index){xmalloc((nwild ? nwild : 1) * 2 * sizeof(uint32_t)), 0, 2};
    for (size_t i = 0; i < rows; i++) {
        const uint32_t *t = &d->stage.v[i * 3];
        uint32_t g = rg[t[1]], u = ru[t[2]];
        if (t[0] == DIR_NONE) {
            uint32_t *x = &d->wgu.v[d->wgu.n++ * 2], *y = &d->wug.v[d->wug.n++ * 2];
            x[0] = g, x[1] = u;
            y[0] = u, y[1] = g;
        } else {
            uint32_t a = ra[t[0]];
            uint32_t *x = &d->agu.v[d->agu.n++ * 3], *y = &d->aug.v[d->aug.n++ * 3];
            x[0] = a, x[1] = g, x[2] = u;
            y[0] = a, y[1] = u, y[2] = g;
        }
    }
    free(ra);
    free(rg);
    free(ru);
    dir_ids_free(&d->stage);
    index_sort_unique(&d->agu);
    index_sort_unique(&d->aug);
    index_sort_unique(&d->wgu);
    index_sort_unique(&d->wug);
    d->ag = index_prefix(&d->agu, 2);
    d->au = index_prefix(&d->aug, 2);
    d->wg = index_prefix(&d->wgu, 1);
    d->wu = index_prefix(&d->wug, 1);
    uint64_t h = 0x74727574u;
    const size_t shape[] = {d->accounts.n, d->groups.n, d->users.n, d->agu.n, d->wgu.n};
    for (size_t i = 0; i < sizeof shape / sizeof *shape; i++)
        h = mix(h, shape[i]);
    d->digest = h;
}

/* ---- questions ---- */

int dir_group_known(const struct directory *d, uint32_t a, uint32_t g)
{
    if (g == DIR_NONE)
        return 0;
    uint32_t ak[2] = {a, g};
    return (a != DIR_NONE && index_has(&d->ag, ak)) || index_has(&d->wg, &g);
}

int dir_user_known(const struct directory *d, uint32_t a, uint32_t u)
{
    if (u == DIR_NONE)
        return 0;
    uint32_t ak[2] = {a, u};
    return (a != DIR_NONE && index_has(&d->au, ak)) || index_has(&d->wu, &u);
}

/* First index in a sorted list whose value is > after (all of it for DIR_NONE). */
static size_t ids_after(const struct dir_ids *l, uint32_t after)
{
    if (after == DIR_NONE)
        return 0;
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid] <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void ids_insert(struct strmap *m, const char *x, const char *y, uint32_t v)
{
    size_t len;
    char *key = two_key(x, y, &len);
    struct strmap_slot *s = strmap_put(m, key, len, NULL);
    free(key);
    if (!s->ptr) {
        struct dir_ids *l = xmalloc(sizeof *l);
        memset(l, 0, sizeof *l);
        s->ptr = l;
    }
    struct dir_ids *l = s->ptr;
    size_t i = ids_after(l, v == 0 ? DIR_NONE : v - 1);
    if (i < l->n && l->v[i] == v)
        return;
    dir_ids_push(l, v);
    memmove(&l->v[i + 1], &l->v[i], (l->n - 1 - i) * sizeof *l->v);
    l->v[i] = v;
}

void dir_note_add(struct directory *d, const char *account, const char *group,
                  const char *user)
{
    uint32_t g = dir_find(&d->groups, group), u = dir_find(&d->users, user);
    uint32_t a = dir_find(&d->accounts, account);
    if (!dir_group_known(d, a, g) || !dir_user_known(d, a, u))
        return;
    uint32_t agu[3] = {a, g, u}, gu[2] = {g, u};
    if ((a != DIR_NONE && index_has(&d->agu, agu)) || index_has(&d->wgu, gu))
        return; /* seeded: the indices list it already */
    ids_insert(&d->added_ag, account, group, u);
    ids_insert(&d->added_au, account, user, g);
}

/* ---- listings ---- */

/* A sorted run of candidate ranks: field f of tuples of width w, [i, end). */
struct run {
    const uint32_t *v;
    size_t i, end;
    unsigned w, f;
};

/* The tuples of x that start with prefix (plen fields), from the first whose
 * next field is > after. */
static struct run index_run(const struct dir_index *x, const uint32_t *prefix, unsigned plen,
                            uint32_t after)
{
    uint32_t key[3];
    memcpy(key, prefix, plen * sizeof *key);
    struct run r = {x->v, 0, bound(x, prefix, plen, 1), x->w, plen};
    if (after == DIR_NONE) {
        r.i = bound(x, prefix, plen, 0);
    } else {
        key[plen] = after;
        r.i = bound(x, key, plen + 1, 1);
    }
    return r;
}

static struct run added_run(const struct strmap *m, const char *x, const char *y,
                            uint32_t after)
{
    size_t len;
    char *key = two_key(x, y, &len);
    const struct strmap_slot *s = strmap_get(m, key, len);
    free(key);
    const struct dir_ids *l = s ? s->ptr : NULL;
    struct run r = {NULL, 0, 0, 1, 0};
    if (l) {
        r.v = l->v;
        r.i = ids_after(l, after);
        r.end = l->n;
    }
    return r;
}

static uint32_t head(const struct run *r)
{
    return r->v[r->i * r->w + r->f];
}

void dir_list(const struct directory *d, enum dir_list kind, const char *account,
              uint32_t a, uint32_t key, uint32_t after, size_t max,
              dir_member_fn member, void *ctx, struct dir_ids *out)
{
    struct run runs[3];
    size_t nr = 0;
    uint32_t pk[2] = {a, key};
    switch (kind) {
    case DIR_GROUP_MEMBERS:
        if (a != DIR_NONE)
            runs[nr++] = index_run(&d->agu, pk, 2, after);
        runs[nr++] = index_run(&d->wgu, &key, 1, after);
        runs[nr++] = added_run(&d->added_ag, account, d->groups.v[key].id, after);
        break;
    case DIR_USER_GROUPS:
        if (a != DIR_NONE)
            runs[nr++] = index_run(&d->aug, pk, 2, after);
        runs[nr++] = index_run(&d->wug, &key, 1, after);
        runs[nr++] = added_run(&d->added_au, account, d->users.v[key].id, after);
        break;
    case DIR_ACCOUNT_USERS:
        if (a != DIR_NONE)
            runs[nr++] = index_run(&d->au, pk, 1, after);
        runs[nr++] = index_run(&d->wu, pk, 0, after);
        break;
    case DIR_ACCOUNT_GROUPS:
        if (a != DIR_NONE)
            runs[nr++] = index_run(&d->ag, pk, 1, after);
        runs[nr++] = index_run(&d->wg, pk, 0, after);
        break;
    }
    size_t taken = 0;
    while (taken < max) {
        uint32_t min = DIR_NONE;
        int any = 0;
        for (size_t i = 0; i < nr; i++) {
            if (runs[i].i < runs[i].end && (!any || head(&runs[i]) < min)) {
                min = head(&runs[i]);
                any = 1;
            }
        }
        if (!any)
            break;
        for (size_t i = 0; i < nr; i++)
            if (runs[i].i < runs[i].end && head(&runs[i]) == min)
                runs[i].i++;
        if (kind == DIR_GROUP_MEMBERS &&
            !member(ctx, d->groups.v[key].id, d->users.v[min].id))
            continue;
        if (kind == DIR_USER_GROUPS &&
            !member(ctx, d->groups.v[min].id, d->users.v[key].id))
            continue;
        dir_ids_push(out, min);
        taken++;
    }
}

const struct dir_pool *dir_list_pool(const struct directory *d, enum dir_list kind)
{
    return kind == DIR_GROUP_MEMBERS || kind == DIR_ACCOUNT_USERS ? &d->users : &d->groups;
}

/* ---- cursors ---- */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define CURSOR_BYTES 13

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    uint64_t n = strlen(s);
    h = fnv_bytes(h, &n, sizeof n);
    return fnv_bytes(h, s, (size_t)n);
}

static uint64_t cursor_check(const struct directory *d, enum dir_list kind,
                             const char *account, const char *filter, uint32_t rank)
{
    uint64_t h = fnv_str(1469598103934665603ull, "truto-mock cursor 1");
    uint64_t k = (uint64_t)kind, r = rank;
    h = fnv_bytes(h, &d->digest, sizeof d->digest);
    h = fnv_bytes(h, &k, sizeof k);
    h = fnv_str(h, account);
    h = fnv_str(h, filter);
    h = fnv_bytes(h, &r, sizeof r);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void dir_cursor_encode(const struct directory *d, enum dir_list kind, const char *account,
                       const char *filter, uint32_t rank, char out[DIR_CURSOR_LEN + 1])
{
    unsigned char b[CURSOR_BYTES + 2] = {1};
    uint64_t check = cursor_check(d, kind, account, filter, rank);
    for (int i = 0; i < 4; i++)
        b[1 + i] = (unsigned char)(rank >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        b[5 + i] = (unsigned char)(check >> (56 - 8 * i));
    size_t o = 0;
    for (size_t i = 0; i < CURSOR_BYTES; i += 3) {
        /* b has two zero bytes of slack past the 13, so the last group reads 0s. */
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        size_t chars = CURSOR_BYTES - i >= 3 ? 4 : CURSOR_BYTES - i + 1;
        for (size_t j = 0; j < chars; j++)
            out[o++] = b64url[(v >> (18 - 6 * j)) & 63];
    }
    out[o] = '\0';
}

int dir_cursor_decode(const struct directory *d, enum dir_list kind, const char *account,
                      const char *filter, const char *text, uint32_t *rank)
{
    if (strlen(text) != DIR_CURSOR_LEN)
        return -1;
    /* The rank is bits 8-39, in chars 1-6; the rest is checked by encoding again. */
    uint64_t bits = 0;
    for (size_t i = 0; i < 7; i++) {
        const char *p = strchr(b64url, text[i]);
        if (!p || !*p)
            return -1;
        bits = bits << 6 | (uint64_t)(p - b64url);
    }
    uint32_t r = (uint32_t)(bits >> (42 - 40));
    if (r >= dir_list_pool(d, kind)->n)
        return -1;
    char again[DIR_CURSOR_LEN + 1];
    dir_cursor_encode(d, kind, account, filter, r, again);
    if (strcmp(again, text) != 0)
        return -1;
    *rank = r;
    return 0;
}
