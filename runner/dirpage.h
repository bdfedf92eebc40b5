/* dirpage.h: the directory reads of `grouprm plan` and `grouprm check`, as
 * bytes: the URL of each read, and what a page or a user object says. Pure: no
 * I/O, no clock.
 *
 * The reads (Truto's Unified User Directory API):
 *   members of a group   GET /unified/user-directory/users?group_id=G
 *   one user             GET /unified/user-directory/users/{id}
 *   a user's groups      GET /unified/user-directory/groups?user_id=U
 *   a probe              GET /unified/user-directory/groups?limit=1
 * each with integrated_account_id=A first, and the lists with limit=N and, after
 * the first page, next_cursor=C. Every value is percent-encoded; the cursor is
 * opaque and passed back as it came.
 *
 * A list page is {"result": [...], "next_cursor": "..."}; next_cursor null,
 * absent or "" ends the list. Each page is checked: result must be an array of
 * objects with a string (or whole-number) id that grouprm can write into a
 * plan; anything else is an error for the whole list, never half a list. */
#ifndef GROUPRM_DIRPAGE_H
#define GROUPRM_DIRPAGE_H
#include <stddef.h>

#include "buf.h"

enum dir_read {
    DIR_MEMBERS,       /* the members of a group: a list of users */
    DIR_USER,          /* one user, with its groups where the provider maps them */
    DIR_USER_GROUPS,   /* List Groups filtered by user_id: a list of groups */
    DIR_PROBE,         /* List Groups, one item: proves token, URL, TLS and account */
};

#define DIR_PAGE_SIZE 100  /* limit= of each list page */

/* Writes the URL of a read into b (reset first). id is the group (DIR_MEMBERS)
 * or the user (DIR_USER, DIR_USER_GROUPS), unused for DIR_PROBE; cursor is NULL
 * for a list's first page. Returns 0, or -1 on ENOMEM. */
int dir_url(struct buf *b, const char *base, enum dir_read kind, const char *account,
            const char *id, const char *cursor, unsigned limit);

/* A user or a group as a page lists it. email is a user's primary email (else
 * its first, else a username that holds an '@'); "" when none. */
struct dir_entry {
    char *id, *name, *email;
};

struct dir_page {
    struct dir_entry *items;
    size_t n;
    char *next_cursor;  /* NULL on the last page */
};

/* Parses a list page. Returns 0, or -1 with a one-line reason in err (the page
 * is then empty). */
int dir_page_parse(struct dir_page *p, const char *body, size_t len, char *err, size_t errlen);
void dir_page_free(struct dir_page *p);

/* A user object (DIR_USER): the user itself in self, and, when has_groups,
 * the groups it lists in groups (a page without a cursor). has_groups is 0
 * when the object has no "groups" array: the provider does not map it, which
 * says nothing of the user's memberships. */
struct dir_user {
    struct dir_entry self;
    int has_groups;
    struct dir_page groups;
};

int dir_user_parse(struct dir_user *u, const char *body, size_t len, char *err, size_t errlen);
void dir_user_free(struct dir_user *u);

#endif
