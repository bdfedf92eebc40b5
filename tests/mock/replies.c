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
