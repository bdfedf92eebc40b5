/* state.h: everything the mock remembers between requests.
 *
 *  - membership of (account, group_id, user_id) pairs: an explicit table of
 *    pairs that were seeded, removed or added, over a default that is
 *    "member" without --members and "not a member" with it; --members rows
 *    without an account are kept apart and match the pair under any account;
 *  - rate limiters, one for the token and one per account, counting as
 *    --limit-mode says (the arithmetic is in limits.c);
 *  - per account, the requests in progress: admitted and not yet answered
 *    (for --account-concurrency and the journal's inflight column);
 *  - the Idempotency-Key cache: the first cached answer for a key wins and is
 *    never changed or freed while the server runs, so callers may send it
 *    without copying;
 *  - per-pair request counts for flaky-/drop- faults;
 *  - the blocked and re-auth account sets and the --unremovable-group set
 *    (read-only after state_init);
 *  - the directory the reads serve (directory.h): who is known, with sorted
 *    indices over the --members rows; pages are filtered by the membership
 *    above under the lock, so a removal shows in the next read.
 * One mutex guards the mutable tables; each call holds it only briefly. */
#ifndef TRUTO_MOCK_STATE_H
#define TRUTO_MOCK_STATE_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "limits.h"
#include "options.h"
#include "strmap.h"

/* What is kept per integrated account. */
struct account_state {
    struct limiter limiter;  /* its --account-limit */
    unsigned inflight;       /* admitted, answer not yet queued */
};

enum admit {
    ADMIT_OK,       /* admitted: counts as in progress until state_release */
    ADMIT_LIMITED,  /* over a rate limit */
    ADMIT_BUSY,     /* within the rate limits, but over --account-concurrency */
};

struct cached_reply {
    int status;
    size_t len;
    char body[];
};

struct mock_state {
    pthread_mutex_t lock;
    struct limit_rule account_rule;
    struct limit_rule token_rule;
    unsigned concurrency;            /* --account-concurrency; 0: no cap */
    struct limiter token_limiter;
    struct strmap accounts;          /* account -> struct account_state * */
    struct strmap members;           /* pair key -> num: 1 member, 0 not */
    struct strmap wildcard;          /* group+user key -> member under any account */
    int default_member;
    struct strmap fault_hits;        /* pair key -> requests that reached step 7 */
    struct strmap idem;              /* Idempotency-Key -> struct cached_reply * */
    struct strmap blocked;           /* account -> 1 */
    struct strmap reauth;            /* account -> 1 */
    struct strmap unremovable;       /* group -> 1 */
    struct directory dir;            /* the known users and groups (--members) */
};

void state_init(struct mock_state *st, const struct mock_options *o);
void state_free(struct mock_state *st);

/* An unambiguous key for (account, group, user), malloc'd; *len gets its length. */
char *state_pair_key(const char *account, const char *group, const char *user, size_t *len);

/* --members: from now on unlisted pairs are not members. account NULL or ""
 * makes the row match any account. The names (NULL or "" when absent) are
 * for the directory reads. state_members_done builds the directory's indices
 * after the last row. */
void state_members_mode(struct mock_state *st);
void state_seed_member(struct mock_state *st, const char *account,
                       const char *group, const char *user, const char *group_name,
                       const char *user_name, const char *user_email);
void state_members_done(struct mock_state *st);

/* Step 3. ADMIT_OK: both limits charged, the request counts as in progress
 * for its account (*inflight gets the count, this one included) until
 * state_release, and *rep describes the account limit. ADMIT_LIMITED: over a
 * limit; nothing charged, except that sliding counters count the refusal in
 * both limits; *rep describes the limit that refused, remaining 0.
 * ADMIT_BUSY: the rate limits have room but the account already has
 * --account-concurrency requests in progress; nothing is charged or counted.
 * *inflight is 0 unless admitted. */
enum admit state_admit(struct mock_state *st, const char *account, uint64_t now_ns,
                       struct rl_report *rep, unsigned *inflight);
/* An admitted request's answer is queued (or it ended without one). */
void state_release(struct mock_state *st, const char *account);

const struct cached_reply *state_idem_get(struct mock_state *st, const char *key);
void state_idem_put(struct mock_state *st, const char *key, int status,
                    const char *body, size_t len);

int state_blocked(const struct mock_state *st, const char *account);
int state_needs_reauth(const struct mock_state *st, const char *account);
int state_unremovable(const struct mock_state *st, const char *group);

/* How many earlier requests of this pair reached fault injection; counts this one. */
unsigned long state_fault_hit(struct mock_state *st, const char *pair, size_t pair_len);

/* Returns 1 when the pair was a member (and now is not), 0 when it was not. */
int state_remove(struct mock_state *st, const char *pair, size_t pair_len,
                 const char *group, const char *user);
/* The pair becomes a member; when the account knows both the group and the
 * user, the directory's listings show it from now on. */
void state_add(struct mock_state *st, const char *pair, size_t pair_len,
               const char *account, const char *group, const char *user);

/* ---- directory reads ---- */

enum read_result {
    READ_OK,
    READ_UNKNOWN,      /* the group or user of the read is not known in the account */
    READ_BAD_CURSOR,   /* not a cursor of this listing */
};

/* A page of a listing: kind and filter (the group for DIR_GROUP_MEMBERS, the
 * user for DIR_USER_GROUPS, ignored otherwise), cursor NULL or "" for the
 * first page. On READ_OK, ids gets the page's ranks (in
 * dir_list_pool(&st->dir, kind)) and next the cursor of the next page, or ""
 * on the last. */
enum read_result state_read_page(struct mock_state *st, enum dir_list kind,
                                 const char *account, const char *filter,
                                 const char *cursor, size_t limit, struct dir_ids *ids,
                                 char next[DIR_CURSOR_LEN + 1]);
/* One user: *rank gets its rank, and groups (unless NULL) the ranks of the
 * groups it is a member of now. */
enum read_result state_read_user(struct mock_state *st, const char *account,
                                 const char *user, uint32_t *rank, struct dir_ids *groups);

#endif
