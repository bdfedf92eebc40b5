/* replies.h: Truto-shaped response bodies.
 *
 * Fixed bodies are static strings (sent without copying); the rest are built
 * per request and returned malloc'd with their length. Every body is JSON.
 * Errors follow Truto's shape {"statusCode","error","message"}, with
 * "truto_is_remote_error":true and "raw_response" when the failure is
 * reported as coming from the remote directory rather than from Truto. */
#ifndef TRUTO_MOCK_REPLIES_H
#define TRUTO_MOCK_REPLIES_H
#include <stddef.h>

#include "directory.h"
#include "strmap.h"

extern const char BODY_BAD_TOKEN[];      /* 401, Truto's own: not remote */
extern const char BODY_NO_ROUTE[];       /* 404 for an unknown path */
extern const char BODY_NO_METHOD[];      /* 405 */
extern const char BODY_RATE_LIMITED[];   /* 429 */
extern const char BODY_TOO_CONCURRENT[]; /* 429, over --account-concurrency */
extern const char BODY_BLOCKED[];        /* 503 account_blocked */
extern const char BODY_REAUTH[];         /* 401, remote: account needs re-auth */
extern const char BODY_NOT_MEMBER[];     /* 404, remote; also an unknown user or group */
extern const char BODY_UNREMOVABLE[];    /* 403, remote: --unremovable-group */
extern const char BODY_NO_USER_FILTER[]; /* 400, remote: --no-groups-user-filter */
extern const char BODY_BAD_CURSOR[];     /* 400 */
extern const char BODY_BAD_LIMIT[];      /* 400 */

/* {"statusCode":status,"error":<reason phrase>,"message":message}; message is
 * one of our own constants and is not escaped. */
char *reply_error(int status, const char *message, size_t *len);
/* The Truto group object for group_id, updated_at = now. */
char *reply_group(const char *group_id, size_t *len);

/* Directory reads. A list is {"result":[...],"next_cursor":next}, next_cursor
 * null when next is "". Users in a list carry no "groups". Group objects are
 * {"id","name","type"}, type BUILT_IN for the groups in unremovable, else
 * OKTA_GROUP. A single user carries "groups" (id and name of each) unless
 * groups is NULL. Names the file did not give are derived from the id. */
char *reply_user_list(const struct directory *d, const uint32_t *ids, size_t n,
                      const char *next, size_t *len);
char *reply_group_list(const struct directory *d, const struct strmap *unremovable,
                       const uint32_t *ids, size_t n, const char *next, size_t *len);
char *reply_user(const struct directory *d, uint32_t user, const struct dir_ids *groups,
                 size_t *len);

#endif
