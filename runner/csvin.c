/* csvin.c: streaming CSV input on libcsv. See csvin.h for the contract.
 *
 * Line numbers: libcsv reports fields and rows but not positions, so the input is
 * fed to it one physical line at a time (each piece ends just after a CR or LF).
 * A row-end callback can then only fire at the end of a piece, and the line where
 * the row began is the line of the first piece that held anything but blanks since
 * the previous row ended. */
#include "csvin.h"

#include <unistd.h>
#include <errno.h>
#include "sha256.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ascii.h"

enum slot { SLOT_GROUP, SLOT_USER, SLOT_ACCOUNT, SLOT_REMOTE, SLOT_STATUS, SLOT__COUNT,
            SLOT_NONE = -1 };
static const char *const slot_name[SLOT__COUNT] = {
    "group_id", "user_id", "integrated_account_id", "remote_data", "status",
};

struct field {
    char *p;
    size_t len, cap;
    int seen;              /* the row had this column */
};

#define CHUNK_MAIN (64 * 1024)   /* the first reader: one sequential pass */
#define CHUNK_CURSOR (4 * 1024)  /* cursors: many open at once */

struct csvin {
    FILE *fp;              /* the source, or NULL for a cursor reading fd */
    int fd;
    off_t fd_off;          /* a cursor's next pread offset */
    char *name;
    char *default_account;
    struct csv_parser parser;
    unsigned char sep;
    struct sha256 *hash;   /* optional: every byte read goes in */

    char *chunk;
    size_t chunk_cap, chunk_len, chunk_pos;
    off_t chunk_off;       /* input offset of chunk[0] */
    off_t row_off;         /* offset where the current row began */
    off_t ready_off;
    int eof_read;          /* fread reached the end */
    int state;             /* 0 reading, 1 ended, -1 failed */
    int started;           /* first chunk seen: BOM and separator handled */

    unsigned long line;    /* physical line of the next byte fed */
    int prev_cr;           /* the last byte fed was CR, so a LF now ends no new line */
    unsigned long row_start;  /* line where the current row began; 0 = none yet */

    int header_done;
    int *colmap;           /* column index -> enum slot */
    size_t ncols, colcap;
    int have[SLOT__COUNT]; /* the header names this slot */
    int need;              /* CSVIN_NEED_*: the id columns required */
    char *names[SLOT__COUNT];  /* --column: the header name of a slot; NULL: its own */
    char header_text[200]; /* the header row as read, for messages */

    size_t field_idx;      /* index of the next field in the current row */
    int row_ready;         /* a complete row is waiting */
    int row_nonempty;      /* some field of the current row is non-empty */
    int oom;
    unsigned long ready_line;
    struct field f[SLOT__COUNT];

    char reason[160];
    char errmsg[512];
};

static int field_set(struct field *f, const char *s, size_t len)
{
    if (len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 64;
        while (cap < len + 1)
            cap *= 2;
        char *p = realloc(f->p, cap);
        if (!p)
            return -1;
        f->p = p;
        f->cap = cap;
    }
    if (len)
        memcpy(f->p, s, len);
    f->p[len] = '\0';
    f->len = len;
    f->seen = 1;
    return 0;
}

/* libcsv grows a field's buffer by a fixed step, copying it each time: a
 * megabytes-long field (a pasted blob in an ignored column) would cost time
 * quadratic in its size. This gives it geometric growth instead: a request the
 * block already holds is granted in place, and a real growth at least doubles. */
static void *grow_geometric(void *p, size_t want)
{
    size_t have = p ? malloc_usable_size(p) : 0;
    if (p && have >= want)
        return p;
    return realloc(p, want < 2 * have ? 2 * have : want);
}

static void parser_init_growth(struct csv_parser *p)
{
    csv_set_realloc_func(p, grow_geometric);
    csv_set_blk_size(p, 4096);
}

/* Header names match after trimming blanks and line ends (ascii_trim: a quoted
 * cell may end in a line break), ignoring case. */
static int header_slot(const struct csvin *c, const char *s, size_t len)
{
    ascii_trim(&s, &len);
    for (int i = 0; i < SLOT__COUNT; i++) {
        const char *want = c->names[i] ? c->names[i] : slot_name[i];
        size_t wlen = strlen(want);
        ascii_trim(&want, &wlen);
        if (wlen == len && ascii_eq_nocase(s, want, len))
            return i;
    }
    return SLOT_NONE;
}

static void on_field(void *s, size_t len, void *data)
{
    struct csvin *c = data;
    size_t idx = c->field_idx++;
    const char *str = s ? s : "";

    if (!c->header_done) {
        if (idx >= c->colcap) {
            size_t cap = c->colcap ? c->colcap * 2 : 16;
            int *m = realloc(c->colmap, cap * sizeof *m);
            if (!m) {
                c->oom = 1;
                return;
            }
            c->colmap = m;
            c->colcap = cap;
        }
        size_t used = strlen(c->header_text);
        if (used < sizeof c->header_text - 1)
            snprintf(c->header_text + used, sizeof c->header_text - used, "%s%.*s",
                     idx ? "," : "", (int)len, str);
        int slot = header_slot(c, str, len);
        if (slot != SLOT_NONE && c->have[slot])
            slot = SLOT_NONE;  /* a repeated name: the first column wins */
        if (slot != SLOT_NONE)
            c->have[slot] = 1;
        c->colmap[idx] = slot;
        c->ncols = idx + 1;
        return;
    }
    if (len)
        c->row_nonempty = 1;
    if (idx < c->ncols && c->colmap[idx] != SLOT_NONE)
        if (field_set(&c->f[c->colmap[idx]], str, len) != 0)
            c->oom = 1;
}

static void on_row(int term, void *data)
{
    struct csvin *c = data;
    (void)term;
    if (!c->header_done) {
        c->header_done = 1;
        c->row_ready = 1;
    } else if (c->row_nonempty) {
        c->row_ready = 1;
    }
    c->ready_line = c->row_start;
    c->ready_off = c->row_off;
    c->row_start = 0;
    c->field_idx = 0;
    c->row_nonempty = 0;
}

/* Picks the separator the header line uses most: ',' ';' or TAB (',' on a tie). */
static unsigned char detect_separator(const char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && (ch == '\r' || ch == '\n'))
            break;
        else if (!quoted && ch == ',')
            comma++;
        else if (!quoted && ch == ';')
            semi++;
        else if (!quoted && ch == '\t')
            tab++;
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

static int is_blank_piece(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static int fail(struct csvin *c, const char *what, unsigned long line)
{
    if (line)
        snprintf(c->errmsg, sizeof c->errmsg, "%s line %lu: %s", c->name, line, what);
    else
        snprintf(c->errmsg, sizeof c->errmsg, "%s: %s", c->name, what);
    c->state = -1;
    return -1;
}

int csvin_refuse_wide(const void *data, size_t n, const char *name, char *err, size_t errlen)
{
    const unsigned char *b = data;
    int utf32 = n >= 4 && ((b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0) ||
                           (b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF));
    int utf16 = n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
    if (!utf32 && !utf16)
        return 0;
    snprintf(err, errlen, "%s is %s; save it as \"CSV UTF-8\" or convert it with iconv -f %s -t UTF-8",
             name, utf32 ? "UTF-32" : "UTF-16 (Excel's \"Unicode Text\")",
             utf32 ? "UTF-32" : "UTF-16");
    return 1;
}

static int refill(struct csvin *c)
{
    size_t n;
    c->chunk_off += (off_t)c->chunk_len;
    if (c->fp) {
        n = fread(c->chunk, 1, c->chunk_cap, c->fp);
        if (n == 0 && ferror(c->fp))
            return fail(c, "read error", 0);
    } else {
        ssize_t r;
        do
            r = pread(c->fd, c->chunk, c->chunk_cap, c->fd_off);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return fail(c, "read error", 0);
        n = (size_t)r;
        c->fd_off += (off_t)n;
    }
    c->chunk_len = n;
    c->chunk_pos = 0;
    if (n == 0) {
        c->eof_read = 1;
        return 0;
    }
    if (c->hash)
        sha256_update(c->hash, c->chunk, n);
    if (!c->started) {
        c->started = 1;
        if (csvin_refuse_wide(c->chunk, n, c->name, c->errmsg, sizeof c->errmsg)) {
            c->state = -1;
            return -1;
        }
        if (n >= 3 && memcmp(c->chunk, "\xEF\xBB\xBF", 3) == 0)
            c->chunk_pos = 3;
        c->sep = detect_separator(c->chunk + c->chunk_pos, n - c->chunk_pos);
        csv_set_delim(&c->parser, c->sep);
    }
    return 0;
}

/* Feeds physical lines to libcsv until a row is complete or the input ends.
 * Returns 1 with c->row_ready set, 0 at the end, -1 on error. */
static int pump(struct csvin *c)
{
    while (!c->row_ready) {
        if (c->oom)
            return fail(c, "out of memory", 0);
        if (c->chunk_pos == c->chunk_len) {
            if (c->eof_read) {
                if (csv_fini(&c->parser, on_field, on_row, c) != 0)
                    return fail(c, "unclosed quote", c->row_start ? c->row_start : c->line);
                if (c->oom)
                    return fail(c, "out of memory", 0);
                c->state = 1;
                return c->row_ready ? 1 : 0;
            }
            if (refill(c) != 0)
                return -1;
            continue;
        }
        const char *s = c->chunk + c->chunk_pos;
        size_t rem = c->chunk_len - c->chunk_pos, i = 0;
        while (i < rem && s[i] != '\r' && s[i] != '\n')
            i++;
        size_t n = i < rem ? i + 1 : rem;
        char term = i < rem ? s[i] : 0;

        if (c->row_start == 0 && !is_blank_piece(s, n)) {
            c->row_start = c->line;
            c->row_off = c->chunk_off + (off_t)c->chunk_pos;
        }
        if (csv_parse(&c->parser, s, n, on_field, on_row, c) != n)
            return fail(c, csv_error(&c->parser) == CSV_EPARSE
                               ? "stray quote (quote a field that holds quotes, and double them)"
                               : "out of memory",
                        c->line);
        c->chunk_pos += n;

        if (term == '\r') {
            c->line++;
            c->prev_cr = 1;
        } else if (term == '\n') {
            if (!(c->prev_cr && n == 1))
                c->line++;
            c->prev_cr = 0;
        } else {
            c->prev_cr = 0;
        }
    }
    return 1;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t need;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            need = 1; cp = b & 0x1F; min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            need = 2; cp = b & 0x0F; min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            need = 3; cp = b & 0x07; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

const char *csvin_check_id(const char *s, size_t len, const char *what, char *buf,
                           size_t buflen)
{
    const char *why = NULL;
    if (len == 0)
        why = "empty %s";
    else if (len > CSVIN_MAX_ID)
        why = "%s longer than 1024 bytes";
    else {
        for (size_t i = 0; i < len && !why; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch < 0x20 || ch == 0x7F)
                why = "%s has a control character";
        }
        if (!why && !utf8_valid((const unsigned char *)s, len))
            why = "%s is not valid UTF-8";
    }
    if (!why)
        return NULL;
    snprintf(buf, buflen, why, what);
    return buf;
}

static const char *check_remote_data(const char *s, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(s, len);
    int ok = j && cJSON_IsObject(j);
    cJSON_Delete(j);
    return ok ? NULL : "remote_data is not a JSON object";
}

struct csvin *csvin_open(FILE *fp, const char *name, const char *default_account,
                         char *err, size_t errlen)
{
    return csvin_open_need(fp, name, default_account, CSVIN_NEED_GROUP | CSVIN_NEED_USER, NULL,
                           err, errlen);
}

/* One way out on failure: fail hands c to csvin_close, which frees whatever was
 * made so far, told by the zeroed fields (csv_free leaves a zeroed parser alone). */
struct csvin *csvin_open_need(FILE *fp, const char *name, const char *default_account,
                              int need, const char *const *columns, char *err, size_t errlen)
{
    const char *why = "out of memory";  /* NULL: err says it already */
    struct csvin *c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->fp = fp;
    c->fd = -1;
    c->line = 1;
    c->need = need;
    for (int i = 0; columns && i <= SLOT_REMOTE; i++)
        if (columns[i] && !(c->names[i] = strdup(columns[i])))
            goto fail;
    c->chunk_cap = CHUNK_MAIN;
    if (!(c->chunk = malloc(c->chunk_cap)) || !(c->name = strdup(name)) ||
        (default_account && *default_account &&
         !(c->default_account = strdup(default_account))) ||
        csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        goto fail;
    parser_init_growth(&c->parser);
    why = NULL;  /* from here on, each failure writes err itself */
    int r = pump(c);
    if (r <= 0 || !c->header_done) {
        snprintf(err, errlen, "%s", r < 0 ? c->errmsg : "");
        if (r == 0)
            snprintf(err, errlen, "%s: empty file: a header row is required", name);
        goto fail;
    }
    c->row_ready = 0;

    /* A column asked for by name must be there, wanted or not. */
    for (int i = SLOT_GROUP; i <= SLOT_REMOTE; i++) {
        if (!c->names[i] || c->have[i])
            continue;
        snprintf(err, errlen, "%s: --column %s='%s': no such column in the header row "
                 "(line 1: %s)", name, slot_name[i], c->names[i], c->header_text);
        goto fail;
    }
    char missing[160] = "";
    int nmissing = 0;
    for (int i = SLOT_GROUP; i <= SLOT_ACCOUNT; i++) {
        if (c->have[i] || (i == SLOT_ACCOUNT && (c->default_account || (need & CSVIN_NO_ACCOUNT))) ||
            (i == SLOT_GROUP && !(need & CSVIN_NEED_GROUP)) ||
            (i == SLOT_USER && !(need & CSVIN_NEED_USER)))
            continue;
        size_t used = strlen(missing);
        snprintf(missing + used, sizeof missing - used, "%s'%s'", nmissing ? ", " : "",
                 slot_name[i]);
        nmissing++;
    }
    if (nmissing) {
        snprintf(err, errlen, "%s: missing required column%s %s%s", name,
                 nmissing > 1 ? "s" : "", missing,
                 !c->have[SLOT_ACCOUNT] && !c->default_account ? " (or give --account)" : "");
        goto fail;
    }
    return c;
fail:
    if (why)
        snprintf(err, errlen, "%s: %s", name, why);
    csvin_close(c);
    return NULL;
}

int csvin_next(struct csvin *c, struct csvin_row *row)
{
    if (c->state != 0)
        return c->state < 0 ? -1 : 0;
    for (int i = 0; i < SLOT__COUNT; i++) {
        c->f[i].seen = 0;
        c->f[i].len = 0;
    }
    int r = pump(c);
    if (r <= 0)
        return r;
    c->row_ready = 0;

    static const char empty[] = "";
    struct field *g = &c->f[SLOT_GROUP], *u = &c->f[SLOT_USER];
    struct field *a = &c->f[SLOT_ACCOUNT], *rd = &c->f[SLOT_REMOTE];
    memset(row, 0, sizeof *row);
    row->line = c->ready_line;
    row->offset = c->ready_off;
    row->group_id = g->seen ? g->p : empty;
    row->group_len = g->seen ? g->len : 0;
    row->user_id = u->seen ? u->p : empty;
    row->user_len = u->seen ? u->len : 0;
    if (a->seen && a->len) {
        row->account = a->p;
        row->account_len = a->len;
    } else if (c->default_account) {
        row->account = c->default_account;
        row->account_len = strlen(c->default_account);
    } else {
        row->account = empty;
    }
    row->remote_data = rd->seen && rd->len ? rd->p : NULL;
    row->status = c->f[SLOT_STATUS].seen ? c->f[SLOT_STATUS].p : NULL;

    if (c->need & CSVIN_NEED_GROUP)
        row->invalid = csvin_check_id(row->group_id, row->group_len, "group_id", c->reason,
                                      sizeof c->reason);
    if (!row->invalid && (c->need & CSVIN_NEED_USER))
        row->invalid = csvin_check_id(row->user_id, row->user_len, "user_id", c->reason,
                                      sizeof c->reason);
    if (!row->invalid && !(c->need & CSVIN_NO_ACCOUNT))
        row->invalid = csvin_check_id(row->account, row->account_len,
                                      "integrated_account_id", c->reason, sizeof c->reason);
    if (!row->invalid && row->remote_data)
        row->invalid = check_remote_data(rd->p, rd->len);
    return 1;
}

/* One way out on failure, as csvin_open_need's: its only cause is memory. */
struct csvin *csvin_cursor(const struct csvin *tmpl, int fd, off_t offset,
                           unsigned long line, char *err, size_t errlen)
{
    struct csvin *c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->fd = fd;
    c->fd_off = offset;
    c->chunk_off = offset;
    c->line = line;
    c->started = 1;
    c->header_done = 1;
    c->sep = tmpl->sep;
    memcpy(c->have, tmpl->have, sizeof c->have);
    c->need = tmpl->need;
    c->ncols = c->colcap = tmpl->ncols;
    c->chunk_cap = CHUNK_CURSOR;
    if (!(c->chunk = malloc(c->chunk_cap)) ||
        !(c->colmap = malloc((tmpl->ncols ? tmpl->ncols : 1) * sizeof *c->colmap)) ||
        !(c->name = strdup(tmpl->name)) ||
        (tmpl->default_account && !(c->default_account = strdup(tmpl->default_account))) ||
        csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        goto fail;
    memcpy(c->colmap, tmpl->colmap, tmpl->ncols * sizeof *c->colmap);
    csv_set_delim(&c->parser, c->sep);
    parser_init_growth(&c->parser);
    return c;
fail:
    snprintf(err, errlen, "%s: out of memory", tmpl->name);
    csvin_close(c);
    return NULL;
}

int csvin_seek(struct csvin *c, off_t offset, unsigned long line)
{
    if (c->fp || c->state != 0 || c->row_ready || c->row_start != 0 || c->field_idx != 0)
        return -1;
    if (offset >= c->chunk_off && offset <= c->chunk_off + (off_t)c->chunk_len) {
        c->chunk_pos = (size_t)(offset - c->chunk_off);
    } else {
        c->chunk_off = offset;
        c->fd_off = offset;
        c->chunk_len = 0;
        c->chunk_pos = 0;
        c->eof_read = 0;
    }
    c->line = line;
    c->prev_cr = 0;
    return 0;
}

int csvin_hash_into(struct csvin *c, struct sha256 *h)
{
    if (c->chunk_off != 0)
        return -1;  /* earlier chunks are gone: cannot hash from the start */
    sha256_update(h, c->chunk, c->chunk_len);
    c->hash = h;
    return 0;
}

const char *csvin_error(const struct csvin *c) { return c->errmsg; }
char csvin_separator(const struct csvin *c) { return (char)c->sep; }

void csvin_close(struct csvin *c)
{
    if (!c)
        return;
    csv_free(&c->parser);
    for (int i = 0; i < SLOT__COUNT; i++)
        free(c->f[i].p);
    free(c->colmap);
    free(c->chunk);
    free(c->name);
    free(c->default_account);
    for (int i = 0; i < SLOT__COUNT; i++)
        free(c->names[i]);
    free(c);
}
