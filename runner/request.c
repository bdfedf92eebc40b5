/* request.c: URL, JSON body and Idempotency-Key of one removal request.
 *
 * Everything is written into caller-owned growable buffers so one buffer can be
 * reused across thousands of rows. The body is written straight into the buffer,
 * the ids escaped by hand as cJSON escapes a string (json_string_append), so that
 * any bytes a CSV cell can hold come out as valid JSON with no allocation per
 * request; cJSON parses and minifies remote_data once (json_object_minify). The
 * idempotency key hashes length-prefixed fields: with plain concatenation
 * ("ab","c") and ("a","bc") would share a key. */
#include "request.h"
#include "ascii.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

/* RFC 3986 section 2.3: these never need encoding. */
static int is_unreserved(unsigned char c)
{
    return ascii_is_alpha((char)c) || ascii_is_digit((char)c) || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

int url_encode_append(struct buf *b, const char *s, size_t n)
{
    static const char hexd[] = "0123456789ABCDEF";  /* upper case, as 3986 recommends */
    /* Reserving the worst case up front means one allocation per call. */
    if (n > (SIZE_MAX - 1) / 3 || buf_reserve(b, 3 * n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c)) {
            b->p[b->len++] = (char)c;
        } else {
            b->p[b->len++] = '%';
            b->p[b->len++] = hexd[c >> 4];
            b->p[b->len++] = hexd[c & 0x0f];
        }
    }
    b->p[b->len] = '\0';
    return 0;
}

int request_url(struct buf *b, const char *base, const char *path, const char *account)
{
    static const char query[] = "?integrated_account_id=";
    if (base == NULL || path == NULL || account == NULL)
        return -1;
    buf_reset(b);
    size_t blen = strlen(base);
    /* Drop every trailing '/', so "https://h/" and "https://h" join the path
     * the same way and "//" never appears at the seam. */
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (buf_append(b, base, blen) != 0)
        return -1;
    if (path[0] != '\0' && path[0] != '/' && buf_append(b, "/", 1) != 0)
        return -1;
    if (buf_append(b, path, strlen(path)) != 0 ||
        buf_append(b, query, sizeof query - 1) != 0 ||
        url_encode_append(b, account, strlen(account)) != 0)
        return -1;
    return 0;
}

const char *request_path(const char *method)
{
    if (method == NULL)
        return NULL;
    if (strcmp(method, "remove") == 0)
        return "/unified/user-directory/groups/remove";
    if (strcmp(method, "remove-user") == 0)
        return "/unified/user-directory/groups/remove-user";
    if (strcmp(method, "add") == 0)
        return "/unified/user-directory/groups/add";
    return NULL;
}

static int add_param(struct buf *b, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (buf_append(b, "&", 1) != 0 || buf_append(b, key, klen) != 0 ||
        buf_append(b, "=", 1) != 0 || url_encode_append(b, val, vlen) != 0)
        return -1;
    return 0;
}

int request_query_suffix(struct buf *b, const struct query_opts *q)
{
    buf_reset(b);
    if (buf_append(b, "", 0) != 0)
        return -1;  /* an empty suffix is still a valid string */
    if (q->response_format &&
        add_param(b, "truto_response_format", 21, q->response_format,
                  strlen(q->response_format)) != 0)
        return -1;
    if (q->ignore_remote_data >= 0) {
        const char *v = q->ignore_remote_data ? "true" : "false";
        if (add_param(b, "truto_ignore_remote_data", 24, v, strlen(v)) != 0)
            return -1;
    }
    for (size_t i = 0; i < q->nexclude; i++)
        if (add_param(b, "truto_exclude_fields[]", 22, q->exclude[i], strlen(q->exclude[i])) != 0)
            return -1;
    for (size_t i = 0; i < q->nremote_query; i++) {
        const char *item = q->remote_query[i];
        const char *eq = strchr(item, '=');
        if (eq == NULL || eq == item)
            return -1;
        /* remote_query[a][b]: each dot-separated part of KEY, encoded, in brackets. */
        struct buf key = {0};
        int bad = buf_append(&key, "remote_query", 12);
        for (const char *p = item; !bad && p < eq;) {
            const char *dot = memchr(p, '.', (size_t)(eq - p));
            const char *end = dot ? dot : eq;
            bad = end == p || buf_append(&key, "[", 1) != 0 ||
                  url_encode_append(&key, p, (size_t)(end - p)) != 0 ||
                  buf_append(&key, "]", 1) != 0;
            p = dot ? dot + 1 : eq;
            if (dot && p == eq)
                bad = 1;  /* "a.=v": an empty last part */
        }
        if (!bad)
            bad = add_param(b, key.p, key.len, eq + 1, strlen(eq + 1)) != 0;
        buf_free(&key);
        if (bad)
            return -1;
    }
    return 0;
}

/* A JSON string, escaped exactly as cJSON prints one: the quote, the backslash
 * and control characters escaped, everything else (UTF-8 included) as is. */
static int json_string_append(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (buf_append(b, "\"", 1) != 0)
        return -1;
    const char *run = s;
    for (;; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch != '\0' && ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        if (buf_append(b, run, (size_t)(s - run)) != 0)
            return -1;
        if (ch == '\0')
            break;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (ch) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        if (buf_append(b, esc, n) != 0)
            return -1;
        run = s + 1;
    }
    return buf_append(b, "\"", 1);
}

int request_body_raw(struct buf *b, const char *group_id, const char *user_id,
                     const char *remote_data_min)
{
    if (group_id == NULL || user_id == NULL)
        return -1;
    const char *rd = remote_data_min ? remote_data_min : "{}";
    buf_reset(b);
    if (buf_append(b, "{\"group_id\":", 12) != 0 || json_string_append(b, group_id) != 0 ||
        buf_append(b, ",\"user_id\":", 11) != 0 || json_string_append(b, user_id) != 0 ||
        buf_append(b, ",\"remote_data\":", 15) != 0 || buf_append(b, rd, strlen(rd)) != 0 ||
        buf_append(b, "}", 1) != 0)
        return -1;
    return 0;
}

char *json_object_minify(const char *text)
{
    /* require_null_terminated: trailing text after the object is an error,
     * not something to drop silently. */
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(text, &end, 1);
    char *out = j && cJSON_IsObject(j) ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return out;
}

int request_body(struct buf *b, const char *group_id, const char *user_id,
                 const char *remote_data)
{
    if (group_id == NULL || user_id == NULL)
        return -1;
    char *min = NULL;
    if (remote_data != NULL && (min = json_object_minify(remote_data)) == NULL)
        return -1;  /* not a JSON object, or out of memory */
    int rc = request_body_raw(b, group_id, user_id, min);
    cJSON_free(min);
    return rc;
}

void idempotency_key(char out[IDEMPOTENCY_KEY_LEN + 1], const char *method,
                     const char *account, const char *group_id, const char *user_id)
{
    /* Each field as an 8-byte big-endian length and its bytes; NULL is "". */
    const char *f[] = {method ? method : "", account ? account : "",
                       group_id ? group_id : "", user_id ? user_id : ""};
    size_t len[4];
    for (size_t i = 0; i < 4; i++)
        len[i] = strlen(f[i]);
    unsigned char d[32];
    sha256_fields(NULL, 0, f, len, 4, d);
    sha256_hex(d, out);
}
