/* directory.h: `grouprm plan` and `grouprm check`, which read the directory
 * and write nothing to it.
 *
 * Reads are paced exactly as a run's writes are: one pacer per account and
 * one for the token (pacer.h), under the same --account-rate, --token-rate,
 * -c and --account-concurrency, so a plan and a run share one quota. A 429 or
 * 5xx is retried with the same backoff; a 401 of the token stops everything;
 * a blocked account or one that needs re-authentication stops that account.
 *
 * plan: each user of --groups-of (its groups: the user object's "groups",
 * else List Groups by user_id) or each group of --members-of (its members,
 * page after page) becomes rows of a pairs CSV (planfile.h), written whole by
 * a rename once every read has ended. A user or group that cannot be read is
 * reported with its line and never planned as "nothing"; the rest is still
 * planned (exit 1). A stopped plan (401, a signal, a TLS failure) writes none.
 *
 * check: one GET .../groups?limit=1 per account of INPUT (or -a), each told
 * on one line. */
#ifndef GROUPRM_DIRECTORY_H
#define GROUPRM_DIRECTORY_H
#include "config.h"

/* Each returns the process's exit status. token is used only to build one
 * header. */
int directory_plan(const struct config *cfg, const char *token);
int directory_check(const struct config *cfg, const char *token);

#endif
