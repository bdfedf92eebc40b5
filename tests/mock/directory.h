/* directory.h: the users and groups the --members file names, indexed for
 * the directory reads (GET .../users, .../users/{id}, .../groups).
 *
 * Loading stages one (account, group, user) triple per member row, plus the
 * optional names, then dir_finish sorts every id by byte order, so that an
 * id's index in its pool is its rank in a listing, and builds sorted tuple
 * indices over the ranks:
 *   agu (account, group, user) and aug (account, user, group): rows with an account;
 *   wgu (group, user) and wug (user, group): rows without one (any account);
 *   ag, au, wg, wu: the distinct groups and users of each, for "who is known".
 * A page is then a few binary searches and a merge of at most three sorted
 * runs (the account's rows, the wildcard rows, the pairs added at run time),
 * O(page + log n) whatever the size of the file. Membership itself (seeded
 * minus removed plus added) is not kept here: the caller filters candidates
 * through its own lookup.
 *
 * Everything but the added sets is read-only after dir_finish and may be read
 * without a lock; the added sets (dir_note_add, and the pages that read them)
 * are the caller's to guard. */
#ifndef TRUTO_MOCK_DIRECTORY_H
#define TRUTO_MOCK_DIRECTORY_H
#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

#define DIR_NONE UINT32_MAX

/* A user or a group. name and email are the file's values, NULL when it gave
 * none (the reply derives them from the id); groups never have an email. */
struct dir_entity {
    const char *id;   /* the pool map's copy of the key */
    char *name;
    char *email;
    uint32_t old;     /* load order, only while dir_finish renumbers */
};

struct dir_pool {
    struct strmap map;        /* id -> num: index in v (= rank after dir_finish) */
    struct dir_entity *v;
    size_t n, cap;
};

/* n tuples of w uint32 ranks, sorted lexicographically, no duplicates. */
struct dir_index {
    uint32_t *v;
    size_t n;
    unsigned w;
};

/* A growable list of ranks. */
struct dir_ids {
    uint32_t *v;
    size_t n, cap;
};

struct directory {
    struct dir_pool accounts, groups, users;
    struct dir_index agu, aug, wgu, wug, ag, au, wg, wu;
    struct strmap added_ag;   /* (account, group) -> struct dir_ids *: users added, sorted */
    struct strmap added_au;   /* (account, user) -> struct dir_ids *: groups added, sorted */
    uint64_t digest;          /* of the loaded file's shape; folded into cursor checks */
    struct dir_ids stage;     /* (account or DIR_NONE, group, user) while loading */
};

/* What a listing lists (each has its own cursors). */
enum dir_list {
    DIR_GROUP_MEMBERS,   /* users: members of one group in the account */
    DIR_ACCOUNT_USERS,   /* users: every user known in the account */
    DIR_ACCOUNT_GROUPS,  /* groups: every group known in the account */
    DIR_USER_GROUPS,     /* groups: those one user is a member of in the account */
};

/* Is (account, group, user) a member now? ctx is the caller's. */
typedef int (*dir_member_fn)(void *ctx, const char *group, const char *user);

void dir_init(struct directory *d);
void dir_free(struct directory *d);

/* One --members row; account NULL or "" matches any account. Names may be
 * NULL or "": the first non-empty value seen for an id is kept. */
void dir_seed(struct directory *d, const char *account, const char *group, const char *user,
              const char *group_name, const char *user_name, const char *user_email);
/* After the last dir_seed: sorts and builds the indices. */
void dir_finish(struct directory *d);

/* The rank of id in a pool, or DIR_NONE. */
uint32_t dir_find(const struct dir_pool *p, const char *id);
/* Is the group (user) known in the account? a may be DIR_NONE (an account no
 * row names): then only rows without an account count. */
int dir_group_known(const struct directory *d, uint32_t a, uint32_t g);
int dir_user_known(const struct directory *d, uint32_t a, uint32_t u);

/* /groups/add of a pair: when the account knows both the group and the user,
 * the pair joins the added sets so listings can show it. */
void dir_note_add(struct directory *d, const char *account, const char *group,
                  const char *user);

/* Appends to out, in rank order, the ids of the listing after rank `after`
 * (DIR_NONE: from the start), at most max of them. For DIR_GROUP_MEMBERS key
 * is the group's rank, for DIR_USER_GROUPS the user's, and each candidate is
 * kept only when member(ctx, group, user) says so; the other two lists are
 * unfiltered and ignore key. */
void dir_list(const struct directory *d, enum dir_list kind, const char *account,
              uint32_t a, uint32_t key, uint32_t after, size_t max,
              dir_member_fn member, void *ctx, struct dir_ids *out);

/* The pool a listing's ids are ranks in. */
const struct dir_pool *dir_list_pool(const struct directory *d, enum dir_list kind);

/* Cursors: base64url (no padding) of 13 bytes, a version byte (1), the rank of
 * the page's last id (4 bytes, big-endian) and a check value (8 bytes) over
 * the listing (kind, account, filter id), the rank and the directory's shape.
 * DIR_CURSOR_LEN chars plus a NUL fit in out. */
#define DIR_CURSOR_LEN 18
void dir_cursor_encode(const struct directory *d, enum dir_list kind, const char *account,
                       const char *filter, uint32_t rank, char out[DIR_CURSOR_LEN + 1]);
/* Returns 0 with *rank set, or -1 when the text is not a cursor of this listing. */
int dir_cursor_decode(const struct directory *d, enum dir_list kind, const char *account,
                      const char *filter, const char *text, uint32_t *rank);

void dir_ids_push(struct dir_ids *l, uint32_t v);
void dir_ids_free(struct dir_ids *l);

#endif
