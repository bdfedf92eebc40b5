/* log.c: see log.h. Each message is one write of one line, so lines from
 * different moments never interleave mid-line. */
#include "log.h"
#include "clock.h"
#include "rfc3339.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level level = LOG_NORMAL;
static int live_line;
static int json;

void log_set_live_line(int on) { live_line = on; }
void log_set_json(int on) { json = on; }
void log_set_level(enum log_level l) { level = l; }

static void put_line(char *line, size_t len, size_t cap)
{
    if (len > cap - 2)
        len = cap - 2;  /* truncated: still one line */
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

static void emit_json(const char *lvl, const char *msg, cJSON *fields)
{
    char when[RFC3339_LEN + 1];
    rfc3339_format(wall_now(), when);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "level", lvl);
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddItemToObject(o, "fields", fields ? fields : cJSON_CreateObject());
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text) {
        size_t n = strlen(text);
        text[n] = '\n';  /* cJSON's NUL becomes the line's end */
        fwrite(text, 1, n + 1, stderr);
        cJSON_free(text);
    }
}

static void emit(const char *lvl, const char *prefix, cJSON *fields, const char *fmt, va_list ap)
{
    char line[2048];
    if (json) {
        vsnprintf(line, sizeof line, fmt, ap);
        emit_json(lvl, line, fields);
        return;
    }
    cJSON_Delete(fields);
    int n = snprintf(line, sizeof line, "%sgrouprm: %s", live_line ? "\r\033[K" : "", prefix);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (m >= 0)
        put_line(line, (size_t)n + (size_t)m, sizeof line);
}

#define DEFINE_LOG(name, min, lvl, prefix)       \
    void name(const char *fmt, ...)              \
    {                                            \
        if (level < (min))                       \
            return;                              \
        va_list ap;                              \
        va_start(ap, fmt);                       \
        emit(lvl, prefix, NULL, fmt, ap);        \
        va_end(ap);                              \
    }

DEFINE_LOG(log_error, LOG_QUIET, "error", "")
DEFINE_LOG(log_warn, LOG_QUIET, "warning", "warning: ")
DEFINE_LOG(log_info, LOG_NORMAL, "info", "")
DEFINE_LOG(log_debug, LOG_VERBOSE, "debug", "")

static void row_message(cJSON *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error", "", fields, fmt, ap);
    va_end(ap);
}

void log_row(const char *file, unsigned long line, const char *reason)
{
    cJSON *f = json ? cJSON_CreateObject() : NULL;
    if (f) {
        cJSON_AddStringToObject(f, "file", file);
        cJSON_AddNumberToObject(f, "line", (double)line);
        cJSON_AddStringToObject(f, "reason", reason);
    }
    row_message(f, "%s line %lu: %s", file, line, reason);
}
