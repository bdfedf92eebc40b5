/* log.c: see log.h. Each message is one write of one line, so lines from
 * different moments never interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level level = LOG_NORMAL;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }

static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "grouprm: %s", prefix);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2;  /* truncated: still one line */
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

#define DEFINE_LOG(name, min, prefix)            \
    void name(const char *fmt, ...)              \
    {                                            \
        if (level < (min))                       \
            return;                              \
        va_list ap;                              \
        va_start(ap, fmt);                       \
        emit(prefix, fmt, ap);                   \
        va_end(ap);                              \
    }

DEFINE_LOG(log_error, LOG_QUIET, "")
DEFINE_LOG(log_warn, LOG_QUIET, "warning: ")
DEFINE_LOG(log_info, LOG_NORMAL, "")
DEFINE_LOG(log_debug, LOG_VERBOSE, "")
