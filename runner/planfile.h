/* planfile.h: what `grouprm plan` writes, and the lists that leave rows out.
 * Pure but for idlist_load, which reads its file.
 *
 * The plan is a pairs CSV that grouprm takes as input unchanged:
 *   group_id,user_id,integrated_account_id,group_name,user_name,user_email,source
 * the first three as a run reads them, the rest for the reviewer (a run
 * ignores them). Rows are sorted by account, user, group; a pair found twice
 * (by two sources, or two listed users) is written once. */
#ifndef GROUPRM_PLANFILE_H
#define GROUPRM_PLANFILE_H
#include <stddef.h>

#include "pairset.h"
#include "buf.h"

struct plan_row {
    const char *account, *group, *user;
    const char *group_name, *user_name, *user_email, *source;
    size_t tag;                /* the caller's: whose row it is */
    size_t seq;                /* set by planset_add: the order added */
};

struct planset {
    struct plan_row *rows;
    size_t n, cap;
    unsigned long duplicates;  /* found by planset_sort */
    struct plan_chunk *chunks; /* the rows' strings */
};

void planset_init(struct planset *p);
void planset_free(struct planset *p);
/* Adds a row (the strings are copied; NULL is ""). 0, or -1 on ENOMEM. */
int planset_add(struct planset *p, const struct plan_row *r);
/* Keeps only the rows for which keep(tag, ctx) is true. */
void planset_keep(struct planset *p, int (*keep)(size_t tag, void *ctx), void *ctx);
/* Sorts by account, user, group, and keeps one row of each pair: the first
 * added, with any name it lacks taken from the others, and their sources
 * joined ("user.groups+list-groups"). Counts the others in duplicates. */
void planset_sort(struct planset *p);
/* The whole CSV, header included, into b (reset first). A name or email that
 * a spreadsheet would take for a formula (starting with = + - or @) is
 * written after a ' so that opening the plan runs nothing; ids are written
 * as they are. 0, or -1 on ENOMEM. */
int planset_csv(const struct planset *p, struct buf *b);

/* A set of ids: groups or users never to plan. */
struct idlist {
    struct pairset set;
    unsigned long n;
};
void idlist_init(struct idlist *l);
void idlist_free(struct idlist *l);
int idlist_has(const struct idlist *l, const char *id, size_t len);
/* 1 newly added, 0 already there, -1 on ENOMEM. */
int idlist_add(struct idlist *l, const char *id, size_t len);
/* Reads path: a CSV whose header names column (e.g. "group_id", matched as a
 * run matches its columns), or else one id a line (surrounding blanks
 * dropped; blank lines and lines starting with '#' skipped). A line of that
 * form holding a separator or a quote is refused, and so is a CSV whose
 * header lacks column: a keep list must never be half read. 0, or -1 with a
 * one-line message naming the file and line in err. */
int idlist_load(struct idlist *l, const char *path, const char *column, char *err,
                size_t errlen);

#endif
