/* dirpage.c: see dirpage.h. */
#include "dirpage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "csvin.h"
#include "request.h"

#define DIR_BASE "/unified/user-directory/"

static int put(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

static int put_param(struct buf *b, const char *key, const char *value)
{
    return put(b, "&") || put(b, key) || put(b, "=") ||
           url_encode_append(b, value, strlen(value));
}

int dir_url(struct buf *b, const char *base, enum dir_read kind, const char *account,
            const char *id, const char *cursor, unsigned limit)
{
    struct buf path = {0};
    int bad = put(&path, DIR_BASE);
    switch (kind) {
    case DIR_MEMBERS: bad |= put(&path, "users"); break;
    case DIR_USER: bad |= put(&path, "users/") || url_encode_append(&path, id, strlen(id)); break;
    case DIR_USER_GROUPS:
    case DIR_PROBE: bad |= put(&path, "groups"); break;
    }
    bad |= bad ? -1 : request_url(b, base, path.p, account);
    buf_free(&path);
    if (bad)
        return -1;
    char num[24];
    snprintf(num, sizeof num, "%u", kind == DIR_PROBE ? 1u : limit ? limit : DIR_PAGE_SIZE);
    switch (kind) {
    case DIR_MEMBERS: bad = put_param(b, "group_id", id); break;
    case DIR_USER_GROUPS: bad = put_param(b, "user_id", id); break;
    case DIR_USER: return 0;
    case DIR_PROBE: break;
    }
    bad = bad || put_param(b, "limit", num);
    if (!bad && cursor)
        bad = put_param(b, "next_cursor", cursor);
    return bad ? -1 : 0;
}

/* ---- parsing ------------------------------------------------------------- */

static char *dup_str(const char *s)
{
    char *d = strdup(s ? s : "");
    return d;
}

/* An id as text: a string, or a whole number (some providers' ids are). NULL
 * when it is neither. */
static const char *id_text(const cJSON *v, char *num, size_t numlen)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
        fabs(v->valuedouble) < 9007199254740992.0) {
        snprintf(num, numlen, "%.0f", v->valuedouble);
        return num;
    }
    return NULL;
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The email to show for a user: the primary one, else the first, else a
 * username that looks like one. */
static const char *email_of(const cJSON *user)
{
    const cJSON *emails = cJSON_GetObjectItemCaseSensitive(user, "emails"), *e;
    const char *first = NULL;
    if (!cJSON_IsArray(emails))
        emails = NULL;
    cJSON_ArrayForEach(e, emails) {
        const char *addr = cJSON_IsString(e) ? e->valuestring : str_of(e, "email");
        if (!addr || !*addr)
            continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "is_primary")))
            return addr;
        if (!first)
            first = addr;
    }
    if (first)
        return first;
    const char *un = str_of(user, "username");
    return un && strchr(un, '@') ? un : "";
}

static int entry_from(struct dir_entry *d, const cJSON *obj, int user, size_t index, char *err,
                      size_t errlen)
{
    char num[32], why[160];
    const char *id = cJSON_IsObject(obj) ? id_text(cJSON_GetObjectItemCaseSensitive(obj, "id"),
                                                   num, sizeof num)
                                         : NULL;
    if (!id) {
        snprintf(err, errlen, "item %zu of the page has no id", index + 1);
        return -1;
    }
    const char *bad = csvin_check_id(id, strlen(id), "id", why, sizeof why);
    if (bad) {
        snprintf(err, errlen, "item %zu of the page: %s", index + 1, bad);
        return -1;
    }
    const char *name = str_of(obj, "name");
    if (user && (!name || !*name))
        name = str_of(obj, "username");
    d->id = dup_str(id);
    d->name = dup_str(name);
    d->email = dup_str(user ? email_of(obj) : "");
    if (!d->id || !d->name || !d->email) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void entry_free(struct dir_entry *d)
{
    free(d->id);
    free(d->name);
    free(d->email);
    memset(d, 0, sizeof *d);
}

/* Fills p from a JSON array of users or groups. */
static int items_from(struct dir_page *p, const cJSON *arr, int user, char *err, size_t errlen)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    p->items = n ? calloc(n, sizeof *p->items) : NULL;
    if (n && !p->items) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (entry_from(&p->items[p->n], it, user, p->n, err, errlen) != 0) {
            entry_free(&p->items[p->n]);
            return -1;
        }
        p->n++;
    }
    return 0;
}

void dir_page_free(struct dir_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        entry_free(&p->items[i]);
    free(p->items);
    free(p->next_cursor);
    memset(p, 0, sizeof *p);
}

static cJSON *parse_object(const char *body, size_t len, char *err, size_t errlen)
{
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the answer is not a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int dir_page_parse(struct dir_page *p, const char *body, size_t len, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    cJSON *root = parse_object(body, len, err, errlen);
    if (!root)
        return -1;
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(root, "next_cursor");
    int rc = -1;
    if (!cJSON_IsArray(result))
        snprintf(err, errlen, "the page has no \"result\" array");
    else if (next && !cJSON_IsNull(next) && !cJSON_IsString(next))
        snprintf(err, errlen, "the page's next_cursor is not a string");
    else if (items_from(p, result, 1, err, errlen) == 0)
        rc = 0;
    /* Users and groups parse alike: a group's email stays "" (it has none). */
    if (rc == 0 && cJSON_IsString(next) && next->valuestring[0] &&
        !(p->next_cursor = strdup(next->valuestring))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    cJSON_Delete(root);
    if (rc != 0)
        dir_page_free(p);
    return rc;
}

int dir_user_parse(struct dir_user *u, const char *body, size_t len, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    cJSON *root = parse_object(body, len, err, errlen);
    if (!root)
        return -1;
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
    int rc = entry_from(&u->self, root, 1, 0, err, errlen);
    if (rc != 0)
        snprintf(err, errlen, "the user object has no usable id");
    if (rc == 0 && cJSON_IsArray(groups)) {
        u->has_groups = 1;
        rc = items_from(&u->groups, groups, 0, err, errlen);
    }
    cJSON_Delete(root);
    if (rc != 0)
        dir_user_free(u);
    return rc;
}

void dir_user_free(struct dir_user *u)
{
    entry_free(&u->self);
    dir_page_free(&u->groups);
    u->has_groups = 0;
}
