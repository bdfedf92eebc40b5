/* log.h: messages on stderr, in git's grammar: "grouprm: input.csv line 14: empty user_id".
 *
 * Levels: errors and warnings always print; info is silenced by -q; debug needs -v.
 * Callers never pass the token: nothing here can redact what it is not shown. */
#ifndef GROUPRM_LOG_H
#define GROUPRM_LOG_H

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

void log_set_level(enum log_level l);
/* --log-format json: one object per line, {"time","level","message","fields"}. */
void log_set_json(int on);
/* "FILE line N: REASON" as an error; in JSON the three are also fields. */
void log_row(const char *file, unsigned long line, const char *reason);
/* A live progress line is on the terminal: each message first clears it. */
void log_set_live_line(int on);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
