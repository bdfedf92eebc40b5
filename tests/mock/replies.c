/* replies.c: see replies.h. */
#include "replies.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char BODY_BAD_TOKEN[] =
    "{\"statusCode\":401,\"error\":\"Unauthorized\",\"message\":\"Invalid API token\"}";
const char BODY_NO_ROUTE[] =
    "{\"statusCode\":404,\"error\":\"Not Found\",\"message\":\"Route not found\"}";
const char BODY_NO_METHOD[] =
    "{\"statusCode\":405,\"error\":\"Method Not Allowed\",\"message\":\"Method not allowed\"}";
const char BODY_RATE_LIMITED[] =
    "{\"statusCode\":429,\"error\":\"Too Many Requests\",\"message\":\"Rate limit exceeded\"}";
const char BODY_TOO_CONCURRENT[] =
    "{\"statusCode\":429,\"error\":\"Too Many Requests\","
    "\"message\":\"Too many concurrent requests\"}";
const char BODY_BLOCKED[] =
    "{\"statusCode\":503,\"error\":\"Service Unavailable\","
    "\"message\":\"Integrated account is blocked\",\"truto_error_insight\":\"account_blocked\"}";
const char BODY_REAUTH[] =
    "{\"statusCode\":401,\"error\":\"Unauthorized\","
    "\"message\":\"Integrated account needs re-authentication\",\"truto_is_remote_error\":true,"
    "\"raw_response\":{\"errorCode\":\"E0000011\",\"errorSummary\":\"Invalid token provided\"}}";
const char BODY_NOT_MEMBER[] =
    "{\"statusCode\":404,\"error\":\"Not Found\",\"message\":\"Resource not found\","
    "\"truto_is_remote_error\":true,\"raw_response\":{\"errorCode\":\"E0000007\","
    "\"errorSummary\":\"Not found: Resource not found\"}}";

const char BODY_UNREMOVABLE[] =
    "{\"statusCode\":403,\"error\":\"Forbidden\","
    "\"message\":\"Cannot change the members of a BUILT_IN or APP_GROUP group\","
    "\"truto_is_remote_error\":true}";
const char BODY_NO_USER_FILTER[] =
    "{\"statusCode\":400,\"error\":\"Bad Request\","
    "\"message\":\"user_id is not a supported filter for this integration\","
    "\"truto_is_remote_error\":true}";
const char BODY_BAD_CURSOR[] =
    "{\"statusCode\":400,\"error\":\"Bad Request\",\"message\":\"Invalid cursor\"}";
const char BODY_BAD_LIMIT[] =
    "{\"statusCode\":400,\"error\":\"Bad Request\","
    "\"message\":\"limit must be a positive integer\"}";

char *reply_error(int status, const char *message, size_t *len)
{
    struct sbuf b = {0};
    sbuf_addf(&b, "{\"statusCode\":%d,\"error\":\"%s\",\"message\":\"%s\"}", status,
              MHD_get_reason_phrase_for((unsigned)status), message);
    *len = b.len;
    return b.p;
}

/* RFC 3339 UTC with milliseconds, e.g. 2026-11-28T13:02:11.123Z. */
static void utc_now(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char secs[32];
    strftime(secs, sizeof secs, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03ldZ", secs, ts.tv_nsec / 1000000);
}

char *reply_group(const char *group_id, size_t *len)
{
    char now[48];
    utc_now(now, sizeof now);
    struct sbuf name = {0};
    sbuf_adds(&name, "Group ");
    sbuf_adds(&name, group_id);

    /* cJSON does the escaping: group ids are client data. */
    cJSON *g = cJSON_CreateObject();
    if (!g ||
        !cJSON_AddStringToObject(g, "id", group_id) ||
        !cJSON_AddStringToObject(g, "name", name.p) ||
        !cJSON_AddStringToObject(g, "description", "") ||
        !cJSON_AddStringToObject(g, "group_type", "group") ||
        !cJSON_AddStringToObject(g, "created_at", "2024-01-15T09:30:00.000Z") ||
        !cJSON_AddStringToObject(g, "updated_at", now) ||
        !cJSON_AddObjectToObject(g, "remote_data")) {
        fputs("truto-mock: out of memory\n", stderr);
        abort();
    }
    char *text = cJSON_PrintUnformatted(g);
    cJSON_Delete(g);
    sbuf_free(&name);
    if (!text) {
        fputs("truto-mock: out of memory\n", stderr);
        abort();
    }
    *len = strlen(text);
    return text;
}

/* ---- directory reads ---- */

/* s as a JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (ids are client data, not necessarily UTF-8, as cJSON
 * would pass them too). */
static void add_json_string(struct sbuf *b, const char *s)
{
    sbuf_add(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        sbuf_add(b, run, (size_t)(s - run));
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            sbuf_add(b, esc, 2);
        } else {
            sbuf_addf(b, "\\u%04x", ch);
        }
        run = s + 1;
    }
    sbuf_add(b, run, (size_t)(s - run));
    sbuf_add(b, "\"", 1);
}

/* "<prefix><id><suffix>" as a JSON string, or the file's value when given. */
static void add_name(struct sbuf *b, const char *given, const char *prefix, const char *id,
                     const char *suffix)
{
    if (given) {
        add_json_string(b, given);
        return;
    }
    struct sbuf t = {0};
    sbuf_adds(&t, prefix);
    sbuf_adds(&t, id);
    sbuf_adds(&t, suffix);
    add_json_string(b, t.p);
    sbuf_free(&t);
}

static void add_user(struct sbuf *b, const struct directory *d, uint32_t u,
                     const struct dir_ids *groups)
{
    const struct dir_entity *e = &d->users.v[u];
    sbuf_adds(b, "{\"id\":");
    add_json_string(b, e->id);
    sbuf_adds(b, ",\"name\":");
    add_name(b, e->name, "User ", e->id, "");
    sbuf_adds(b, ",\"username\":");
    add_name(b, e->email, "", e->id, "@example.com");
    sbuf_adds(b, ",\"emails\":[{\"email\":");
    add_name(b, e->email, "", e->id, "@example.com");
    sbuf_adds(b, ",\"type\":\"work\",\"is_primary\":true}],\"status\":\"ACTIVE\"");
    if (groups) {
        sbuf_adds(b, ",\"groups\":[");
        for (size_t i = 0; i < groups->n; i++) {
            const struct dir_entity *g = &d->groups.v[groups->v[i]];
            sbuf_adds(b, i ? ",{\"id\":" : "{\"id\":");
            add_json_string(b, g->id);
            sbuf_adds(b, ",\"name\":");
            add_name(b, g->name, "Group ", g->id, "");
            sbuf_add(b, "}", 1);
        }
        sbuf_add(b, "]", 1);
    }
    sbuf_add(b, "}", 1);
}

static void add_group(struct sbuf *b, const struct directory *d,
                      const struct strmap *unremovable, uint32_t g)
{
    const struct dir_entity *e = &d->groups.v[g];
    sbuf_adds(b, "{\"id\":");
    add_json_string(b, e->id);
    sbuf_adds(b, ",\"name\":");
    add_name(b, e->name, "Group ", e->id, "");
    sbuf_adds(b, strmap_get(unremovable, e->id, strlen(e->id)) ? ",\"type\":\"BUILT_IN\"}"
                                                             : ",\"type\":\"OKTA_GROUP\"}");
}

static char *list_end(struct sbuf *b, const char *next, size_t *len)
{
    sbuf_adds(b, "],\"next_cursor\":");
    if (*next)
        add_json_string(b, next);
    else
        sbuf_adds(b, "null");
    sbuf_add(b, "}", 1);
    *len = b->len;
    return b->p;
}

char *reply_user_list(const struct directory *d, const uint32_t *ids, size_t n,
                      const char *next, size_t *len)
{
    struct sbuf b = {0};
    sbuf_adds(&b, "{\"result\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_add(&b, ",", 1);
        add_user(&b, d, ids[i], NULL);
    }
    return list_end(&b, next, len);
}

char *reply_group_list(const struct directory *d, const struct strmap *unremovable,
                       const uint32_t *ids, size_t n, const char *next, size_t *len)
{
    struct sbuf b = {0};
    sbuf_adds(&b, "{\"result\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_add(&b, ",", 1);
        add_group(&b, d, unremovable, ids[i]);
    }
    return list_end(&b, next, len);
}

char *reply_user(const struct directory *d, uint32_t user, const struct dir_ids *groups,
                 size_t *len)
{
    struct sbuf b = {0};
    add_user(&b, d, user, groups);
    *len = b.len;
    return b.p;
}
