/* request.h: the bytes of one request, built into caller-owned buffers. Pure.
 *
 * URL:  {base}{path}?integrated_account_id=ENC(account)  (RFC 3986 unreserved kept,
 *       everything else percent-encoded; a trailing '/' on base is dropped).
 * Body: {"group_id":"...","user_id":"...","remote_data":{...}}, the ids escaped by
 *       hand exactly as cJSON prints a string (quote, backslash and control
 *       characters escaped, UTF-8 as is), so any bytes a CSV cell holds come out
 *       as valid JSON; cJSON only checks and minifies remote_data.
 * Idempotency-Key: hex SHA-256 of method, account, group and user, each
 *       length-prefixed, so it is the same on every attempt and every run. */
#ifndef GROUPRM_REQUEST_H
#define GROUPRM_REQUEST_H
#include <stddef.h>

#include "buf.h"

/* Appends the percent-encoding of s[0..n) to b. */
int url_encode_append(struct buf *b, const char *s, size_t n);

/* Writes the full URL into b (reset first). Returns 0 or -1. */
int request_url(struct buf *b, const char *base, const char *path, const char *account);

/* Writes the JSON body into b (reset first). remote_data is a JSON object text, or
 * NULL for {}. Returns 0, or -1 when remote_data is not a JSON object or on ENOMEM. */
int request_body(struct buf *b, const char *group_id, const char *user_id,
                 const char *remote_data);

/* The endpoint of a method: "remove" (the default, deprecated by Truto, Okta
 * only), "remove-user" (current, several integrations) or "add" (re-adds a
 * membership: undo). NULL for an unknown name. */
const char *request_path(const char *method);

/* The query parameters sent after integrated_account_id, the same for every
 * request of a run, so they are built once into a suffix ("&k=v&..."). Key
 * parts and values are percent-encoded; the brackets of array and nested keys
 * are kept as Truto documents them: truto_exclude_fields[]=F, remote_query[a][b]=V. */
struct query_opts {
    const char *response_format;      /* unified|raw|normalized|stream, or NULL */
    int ignore_remote_data;           /* 1: send true, 0: send false, -1: omit */
    const char *const *exclude;       /* field names */
    size_t nexclude;
    const char *const *remote_query;  /* "KEY=VALUE"; KEY "a.b" nests as [a][b] */
    size_t nremote_query;
};
/* Writes the suffix into b (reset first). -1 when a remote_query item has no '='
 * or an empty key part. */
int request_query_suffix(struct buf *b, const struct query_opts *q);

/* The same body from a remote_data already minified (json_object_minify), or
 * NULL for {}: written straight into b, with no allocation once b has grown. */
int request_body_raw(struct buf *b, const char *group_id, const char *user_id,
                     const char *remote_data_min);
/* remote_data text -> its minified form (free with cJSON_free), or NULL when it
 * is not exactly one JSON object. Done once per run or per row, not per request. */
char *json_object_minify(const char *text);

#define IDEMPOTENCY_KEY_LEN 64
/* out receives 64 hex characters and a NUL. */
void idempotency_key(char out[IDEMPOTENCY_KEY_LEN + 1], const char *method,
                     const char *account, const char *group_id, const char *user_id);

#endif
