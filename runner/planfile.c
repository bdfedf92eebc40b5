/* planfile.c: see planfile.h. */
#include "planfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ascii.h"

#include "csvin.h"
#include "grow.h"
#include "results.h"

#define CHUNK_BYTES (64 * 1024)

/* The rows' strings live in chunks that are only ever freed together. */
struct plan_chunk {
    struct plan_chunk *next;
    size_t used, cap;
    char data[];
};

void planset_init(struct planset *p) { memset(p, 0, sizeof *p); }

void planset_free(struct planset *p)
{
    while (p->chunks) {
        struct plan_chunk *c = p->chunks;
        p->chunks = c->next;
        free(c);
    }
    free(p->rows);
    memset(p, 0, sizeof *p);
}

static const char *keep(struct planset *p, const char *s)
{
    static const char empty[] = "";
    if (!s || !*s)
        return empty;
    size_t n = strlen(s) + 1;
    struct plan_chunk *c = p->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = p->chunks;
        c->used = 0;
        c->cap = cap;
        p->chunks = c;
    }
    char *d = c->data + c->used;
    memcpy(d, s, n);
    c->used += n;
    return d;
}

int planset_add(struct planset *p, const struct plan_row *r)
{
    struct plan_row *rows = grow_room(p->rows, p->n, &p->cap, sizeof *rows, 256);
    if (!rows)
        return -1;
    p->rows = rows;
    struct plan_row k = {
        keep(p, r->account), keep(p, r->group), keep(p, r->user), keep(p, r->group_name),
        keep(p, r->user_name), keep(p, r->user_email), keep(p, r->source), r->tag, p->n,
    };
    if (!k.account || !k.group || !k.user || !k.group_name || !k.user_name || !k.user_email ||
        !k.source)
        return -1;
    p->rows[p->n++] = k;
    return 0;
}

static int cmp_key(const struct plan_row *a, const struct plan_row *b)
{
    int c = strcmp(a->account, b->account);
    if (!c)
        c = strcmp(a->user, b->user);
    if (!c)
        c = strcmp(a->group, b->group);
    return c;
}

/* By the pair, then by the order added (qsort is not stable). */
static int cmp_rows(const void *x, const void *y)
{
    const struct plan_row *a = x, *b = y;
    int c = cmp_key(a, b);
    return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const char *or_else(const char *a, const char *b) { return *a ? a : b; }

void planset_sort(struct planset *p)
{
    if (p->n > 1)
        qsort(p->rows, p->n, sizeof *p->rows, cmp_rows);
    size_t w = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct plan_row *r = &p->rows[i];
        if (w && cmp_key(&p->rows[w - 1], r) == 0) {
            struct plan_row *k = &p->rows[w - 1];
            k->group_name = or_else(k->group_name, r->group_name);
            k->user_name = or_else(k->user_name, r->user_name);
            k->user_email = or_else(k->user_email, r->user_email);
            if (strcmp(k->source, r->source) != 0 && !strstr(k->source, r->source)) {
                char joined[256];
                snprintf(joined, sizeof joined, "%s+%s", k->source, r->source);
                const char *j = keep(p, joined);
                if (j)
                    k->source = j;
            }
            p->duplicates++;
            continue;
        }
        p->rows[w++] = *r;
    }
    p->n = w;
}

void planset_keep(struct planset *p, int (*keep_row)(size_t tag, void *ctx), void *ctx)
{
    size_t w = 0;
    for (size_t i = 0; i < p->n; i++)
        if (keep_row(p->rows[i].tag, ctx))
            p->rows[w++] = p->rows[i];
    p->n = w;
}

/* A cell a spreadsheet would evaluate. */
static int formula_like(const char *s) { return strchr("=+-@", s[0]) && s[0]; }

int planset_csv(const struct planset *p, struct buf *b)
{
    static const char header[] =
        "group_id,user_id,integrated_account_id,group_name,user_name,user_email,source\n";
    buf_reset(b);
    if (buf_append(b, header, sizeof header - 1) != 0)
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_row *r = &p->rows[i];
        const char *f[] = {r->group, r->user, r->account, r->group_name, r->user_name,
                           r->user_email, r->source};
        for (size_t k = 0; k < sizeof f / sizeof *f; k++) {
            if (k >= 3 && k <= 5 && formula_like(f[k])) {
                /* The ' goes inside the field, quoted or not. */
                struct buf cell = {0};
                int bad = buf_append(&cell, "'", 1) || buf_append(&cell, f[k], strlen(f[k])) ||
                          results_csv_put_field(b, cell.p, cell.len, 0);
                buf_free(&cell);
                if (bad)
                    return -1;
            } else if (results_csv_put_field(b, f[k], strlen(f[k]), k == 0) != 0) {
                return -1;
            }
        }
        if (buf_append(b, "\n", 1) != 0)
            return -1;
    }
    return 0;
}

/* ---- id lists ------------------------------------------------------------ */

void idlist_init(struct idlist *l)
{
    pairset_init(&l->set);
    l->n = 0;
}

void idlist_free(struct idlist *l) { pairset_free(&l->set); }

static void id_key(struct pair_key *k, const char *id, size_t len)
{
    pair_key_of(k, "", 0, id, len, "", 0);
}

int idlist_has(const struct idlist *l, const char *id, size_t len)
{
    struct pair_key k;
    id_key(&k, id, len);
    return pairset_has(&l->set, &k);
}

int idlist_add(struct idlist *l, const char *id, size_t len)
{
    struct pair_key k;
    id_key(&k, id, len);
    int r = pairset_add(&l->set, &k);
    if (r == 1)
        l->n++;
    return r;
}

/* 1 when the first line names column among its fields (',', ';' or TAB), 0
 * when it holds no separator or quote, or is a comment (a one-id-a-line
 * list), -1 when it is a header without column. */
static int header_names(const char *line, const char *column)
{
    size_t clen = strlen(column);
    const char *s = line;
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        s += 3;
    size_t first = strcspn(s, ",;\t\"\r\n");
    if (s[0] == '#' || s[first] == '\0' || s[first] == '\r' || s[first] == '\n') {
        /* One field: a header of that one column, or the first id. */
        const char *a = s;
        size_t n = first;
        ascii_trim(&a, &n);
        return n == clen && ascii_eq_nocase(a, column, clen);
    }
    while (*s && *s != '\n' && *s != '\r') {
        size_t n = strcspn(s, ",;\t\r\n");
        const char *a = s, *e = s + n;
        while (a < e && (*a == ' ' || *a == '"'))
            a++;
        while (e > a && (e[-1] == ' ' || e[-1] == '"'))
            e--;
        if ((size_t)(e - a) == clen && ascii_eq_nocase(a, column, clen))
            return 1;
        s += n;
        if (*s == ',' || *s == ';' || *s == '\t')
            s++;
    }
    return -1;
}

static int load_csv(struct idlist *l, FILE *f, const char *path, const char *column, char *err,
                    size_t errlen)
{
    int need = strcmp(column, "group_id") == 0 ? CSVIN_NEED_GROUP : CSVIN_NEED_USER;
    /* Ids, whatever the account. */
    struct csvin *in = csvin_open_need(f, path, NULL, need | CSVIN_NO_ACCOUNT, NULL, err, errlen);
    if (!in)
        return -1;
    struct csvin_row row;
    int r, rc = 0;
    while ((r = csvin_next(in, &row)) == 1) {
        const char *id = need == CSVIN_NEED_GROUP ? row.group_id : row.user_id;
        size_t len = need == CSVIN_NEED_GROUP ? row.group_len : row.user_len;
        if (row.invalid) {
            snprintf(err, errlen, "%s line %lu: %s", path, row.line, row.invalid);
            rc = -1;
            break;
        }
        if (idlist_add(l, id, len) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    if (r < 0) {
        snprintf(err, errlen, "%s", csvin_error(in));
        rc = -1;
    }
    csvin_close(in);
    return rc;
}

static int load_lines(struct idlist *l, FILE *f, const char *path, const char *column,
                      char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;
    char why[160];
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = line, *e = line + n;
        if (lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        /* isspace, not ascii_trim: in a text file's line \v and \f are blanks
         * too, so a form-feed page break stays a blank line, skipped, where
         * ascii_trim would leave it an id with a control character and refuse the
         * whole list. grouprm never calls setlocale: this is the C locale's. */
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        if (memchr(s, ',', (size_t)(e - s)) || memchr(s, ';', (size_t)(e - s)) ||
            memchr(s, '\t', (size_t)(e - s)) || memchr(s, '"', (size_t)(e - s))) {
            snprintf(err, errlen, "%s line %lu: a separator or quote in a list of one %s a "
                     "line; a CSV needs a %s column in its header", path, lineno, column, column);
            rc = -1;
            break;
        }
        const char *bad = csvin_check_id(s, (size_t)(e - s), column, why, sizeof why);
        if (bad) {
            snprintf(err, errlen, "%s line %lu: %s", path, lineno, bad);
            rc = -1;
            break;
        }
        if (idlist_add(l, s, (size_t)(e - s)) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

int idlist_load(struct idlist *l, const char *path, const char *column, char *err,
                size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char first[4096] = "";
    size_t got = fread(first, 1, sizeof first - 1, f);
    first[got] = '\0';
    rewind(f);
    if (csvin_refuse_wide(first, got, path, err, errlen)) {
        fclose(f);
        return -1;
    }
    first[strcspn(first, "\n")] = '\0';
    int kind = header_names(first, column), rc = -1;
    if (kind > 0)
        rc = load_csv(l, f, path, column, err, errlen);
    else if (kind == 0)
        rc = load_lines(l, f, path, column, err, errlen);
    else
        snprintf(err, errlen, "%s line 1: a CSV header without a %s column", path, column);
    fclose(f);
    return rc;
}
