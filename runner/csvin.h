/* csvin.h: the input CSV, streamed one row at a time through libcsv.
 *
 * Owns: UTF-8 BOM stripping (a UTF-16 or UTF-32 BOM is refused, naming the
 * encoding and the fix), separator detection from the header (',' ';' or TAB),
 * the header map (group_id, user_id, integrated_account_id, remote_data; found by
 * name, case-insensitive, surrounding spaces ignored, any order, others skipped),
 * physical line numbers (CRLF, LF and lone CR each end one line; a quoted field
 * that spans lines counts every line), and per-row validation.
 *
 * It reads the file it is given (a FILE*, or a cursor's fd through pread; it owns
 * neither) and does nothing else: no network, no clock, no output. Rows whose
 * fields are all empty (",,,") are skipped like blank lines. A row that fails
 * validation is still returned, with row->invalid set, so the caller can record
 * it; only a malformed file (unclosed or stray quote, read error) ends the
 * stream with an error. */
#ifndef GROUPRM_CSVIN_H
#define GROUPRM_CSVIN_H
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct sha256;

#define CSVIN_MAX_ID 1024  /* longest id accepted, in bytes */

struct csvin_row {
    unsigned long line;      /* physical line where the row starts (header = 1) */
    off_t offset;            /* byte offset of the row's first line in the input */
    const char *group_id;    /* NUL-terminated; "" when absent. Valid until the next */
    const char *user_id;     /* call to csvin_next or csvin_close. */
    const char *account;     /* the row's own account, else the default one, else "" */
    const char *remote_data; /* the remote_data column, or NULL when absent/empty */
    const char *status;      /* a status column (a results file, for --undo), or NULL */
    size_t group_len, user_len, account_len;
    const char *invalid;     /* NULL, or why the row cannot be sent ("empty user_id") */
};

struct csvin;

/* Reads the header. name is used in messages ("input.csv", "stdin");
 * default_account (may be NULL) fills rows whose account column is empty or absent.
 * On failure returns NULL and writes a one-line message (without "grouprm: ")
 * into err, e.g. "input.csv: missing required column 'user_id'". */
struct csvin *csvin_open(FILE *fp, const char *name, const char *default_account,
                         char *err, size_t errlen);

/* The same for a list that needs only some of the id columns (a list of users
 * or of groups): need is CSVIN_NEED_GROUP, CSVIN_NEED_USER or both, and
 * CSVIN_NO_ACCOUNT for a list of ids whatever their account. A column
 * not needed is neither required nor checked; it is read if present. */
#define CSVIN_NEED_GROUP 1
#define CSVIN_NEED_USER 2
#define CSVIN_NO_ACCOUNT 4   /* the account column is neither required nor checked */
/* columns, when not NULL, holds for group_id, user_id, integrated_account_id
 * and remote_data the header name each is read from (NULL: its own name),
 * matched as the own names are (--column). */
struct csvin *csvin_open_need(FILE *fp, const char *name, const char *default_account,
                              int need, const char *const *columns, char *err, size_t errlen);

/* 1: *row filled; 0: end of input; -1: the file is malformed or unreadable, see
 * csvin_error(). After 0 or -1, further calls return the same. */
int csvin_next(struct csvin *c, struct csvin_row *row);

/* A second reader over the same input, starting at a row boundary found by an
 * earlier pass (offset and line from a csvin_row), with tmpl's header map,
 * separator and default account. It reads through fd with pread (fd is not
 * owned), with a small buffer, so many cursors can be open at once. */
struct csvin *csvin_cursor(const struct csvin *tmpl, int fd, off_t offset,
                           unsigned long line, char *err, size_t errlen);

/* Moves a cursor, resting between rows, to another row boundary (offset and line
 * as for csvin_cursor). A target inside the bytes already read costs no read.
 * Returns 0, or -1 when c cannot move (not a cursor, mid-row, ended or failed):
 * open a new cursor instead. */
int csvin_seek(struct csvin *c, off_t offset, unsigned long line);

/* Feeds every byte of the input into h: those read so far, then all later ones.
 * -1 when the bytes read so far are no longer all in memory (a header longer
 * than the first chunk). */
int csvin_hash_into(struct csvin *c, struct sha256 *h);

/* 1, with the message in err, when data starts with a UTF-16 or UTF-32 byte
 * order mark: grouprm reads UTF-8 only, and says how to convert. */
int csvin_refuse_wide(const void *data, size_t n, const char *name, char *err, size_t errlen);

const char *csvin_error(const struct csvin *c);  /* "input.csv line 7: unclosed quote" */
char csvin_separator(const struct csvin *c);
void csvin_close(struct csvin *c);               /* frees; does not fclose */

/* Why an id cannot be sent, or NULL when it is fine. what names the field in the
 * reason, e.g. "user_id". reason points into buf. */
const char *csvin_check_id(const char *s, size_t len, const char *what,
                           char *buf, size_t buflen);

#endif
