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

extern const char BODY_BAD_TOKEN[];      /* 401, Truto's own: not remote */
extern const char BODY_NO_ROUTE[];       /* 404 for an unknown path */
extern const char BODY_NO_METHOD[];      /* 405 */
extern const char BODY_RATE_LIMITED[];   /* 429 */
extern const char BODY_TOO_CONCURRENT[]; /* 429, over --account-concurrency */
extern const char BODY_BLOCKED[];        /* 503 account_blocked */
extern const char BODY_REAUTH[];         /* 401, remote: account needs re-auth */
extern const char BODY_NOT_MEMBER[];     /* 404, remote */

/* {"statusCode":status,"error":<reason phrase>,"message":message}; message is
 * one of our own constants and is not escaped. */
char *reply_error(int status, const char *message, size_t *len);
/* The Truto group object for group_id, updated_at = now. */
char *reply_group(const char *group_id, size_t *len);

#endif
