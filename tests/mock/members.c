/* members.c: see members.h. The whole file is read into memory first: member
 * lists are test fixtures, small next to the memory the tables use anyway. */
#include "members.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct csv {
    const char *p, *end;
    struct sbuf *fields;   /* reused between records */
    size_t nfields, capfields;
};

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sbuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_add(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        sbuf_free(&b);
        errno = EIO;
        return NULL;
    }
    if (!b.p)
        sbuf_add(&b, "", 0);
    *len = b.len;
    return b.p;
}

static struct sbuf *next_field(struct csv *c)
{
    if (c->nfields == c->capfields) {
        size_t cap = c->capfields ? c->capfields * 2 : 8;
        c->fields = xrealloc(c->fields, cap * sizeof *c->fields);
        memset(c->fields + c->capfields, 0, (cap - c->capfields) * sizeof *c->fields);
        c->capfields = cap;
    }
    struct sbuf *f = &c->fields[c->nfields++];
    f->len = 0;
    sbuf_add(f, "", 0); /* never NULL, so fields read as "" when empty */
    return f;
}

/* Reads one quoted field's body after the opening quote. Returns -1 when the
 * file ends inside the quotes. */
static int read_quoted(struct csv *c, struct sbuf *f)
{
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch != '"') {
            sbuf_add(f, &ch, 1);
        } else if (c->p < c->end && *c->p == '"') {
            sbuf_add(f, "\"", 1);
            c->p++;
        } else {
            return 0;
        }
    }
    return -1;
}

/* Reads one record into c->fields. Returns 1, 0 at end of input, -1 on an
 * unterminated quote. */
static int read_record(struct csv *c)
{
    c->nfields = 0;
    if (c->p >= c->end)
        return 0;
    struct sbuf *f = next_field(c);
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch == '"' && f->len == 0) {
            if (read_quoted(c, f))
                return -1;
        } else if (ch == ',') {
            f = next_field(c);
        } else if (ch == '\n') {
            break;
        } else if (ch == '\r' && c->p < c->end && *c->p == '\n') {
            c->p++;
            break;
        } else {
            sbuf_add(f, &ch, 1);
        }
    }
    return 1;
}

static int record_is_blank(const struct csv *c)
{
    return c->nfields == 1 && c->fields[0].len == 0;
}

/* Index of the header column named name (trimmed, case-insensitive), or -1. */
static long find_column(const struct csv *c, const char *name)
{
    size_t want = strlen(name);
    for (size_t i = 0; i < c->nfields; i++) {
        const char *s = c->fields[i].p;
        size_t n = c->fields[i].len;
        while (n && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
        if (n == want && strncasecmp(s, name, n) == 0)
            return (long)i;
    }
    return -1;
}

static const char *field(const struct csv *c, long i)
{
    return i >= 0 && (size_t)i < c->nfields ? c->fields[i].p : "";
}

static void csv_free(struct csv *c)
{
    for (size_t i = 0; i < c->capfields; i++)
        sbuf_free(&c->fields[i]);
    free(c->fields);
}

/* Parses the header, then seeds one member per data row. */
static long load_rows(struct mock_state *st, struct csv *c, const char *path)
{
    int r;
    while ((r = read_record(c)) == 1 && record_is_blank(c))
        ;
    if (r != 1) {
        fprintf(stderr, "truto-mock: --members '%s': %s\n", path,
                r == 0 ? "no header row" : "unterminated quote");
        return -1;
    }
    long gi = find_column(c, "group_id"), ui = find_column(c, "user_id");
    long ai = find_column(c, "integrated_account_id");
    long gn = find_column(c, "group_name"), un = find_column(c, "user_name");
    long ue = find_column(c, "user_email");
    if (gi < 0 || ui < 0) {
        fprintf(stderr, "truto-mock: --members '%s': no %s column\n", path,
                gi < 0 ? "group_id" : "user_id");
        return -1;
    }
    long rows = 0;
    while ((r = read_record(c)) == 1) {
        const char *g = field(c, gi), *u = field(c, ui);
        if (record_is_blank(c) || !*g || !*u)
            continue;
        state_seed_member(st, field(c, ai), g, u, field(c, gn), field(c, un), field(c, ue));
        rows++;
    }
    if (r < 0) {
        fprintf(stderr, "truto-mock: --members '%s': unterminated quote\n", path);
        return -1;
    }
    return rows;
}

long members_load(struct mock_state *st, const char *path)
{
    size_t len;
    char *text = read_all(path, &len);
    if (!text) {
        fprintf(stderr, "truto-mock: cannot read --members '%s': %s\n", path, strerror(errno));
        return -1;
    }
    state_members_mode(st);
    struct csv c = {text, text + len, NULL, 0, 0};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3;
    long rows = load_rows(st, &c, path);
    csv_free(&c);
    if (rows >= 0)
        state_members_done(st);
    free(text);
    return rows;
}
