/* plan.c: the plan pass (see scheduler.h), and what it leaves for the run.
 *
 * sched_plan reads a regular file once, whole, before anything is sent: it
 * hashes it, counts its rows (struct plan_stats), finds a malformed file, notes
 * the line of every duplicate row (so the run needs no set of pairs), and
 * records each account's runs of rows (struct run) for the per-account
 * cursors in intake.c, putting those accounts in the ring. It leaves the
 * scheduler in one of two modes: by account (s->by_account), or in order from
 * one sequential reader (s->seq) for a pipe, which is not planned, and for an
 * interleaved file.
 *
 * What the run asks of it afterwards: plan_is_dup_line, and plan_undoable,
 * which both passes use to pass over rows --undo does not re-add. */
#include "sched_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

/* --undo reads a results file: only its rows that say removed are re-added. */
int plan_undoable(const struct csvin_row *row)
{
    return row->status && strcmp(row->status, status_name(ST_REMOVED)) == 0;
}

int plan_is_dup_line(const struct sched *s, unsigned long line)
{
    size_t lo = 0, hi = s->ndups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->dups[mid] < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->ndups && s->dups[lo] == line;
}

static int add_dup(struct sched *s, unsigned long line)
{
    unsigned long *p = sched_room_for(s->dups, s->ndups, &s->dups_cap, sizeof *p, 64);
    if (!p)
        return -1;
    s->dups = p;
    s->dups[s->ndups++] = line;
    return 0;
}

#define MAX_RUNS (1u << 16)  /* beyond this the file is interleaved: read it in order */

static int add_run(struct account *a, const struct csvin_row *row, unsigned long rows)
{
    struct run *r = sched_room_for(a->runs, a->nruns, &a->runs_cap, sizeof *r, 1);
    if (!r)
        return -1;
    a->runs = r;
    a->runs[a->nruns++] = (struct run){row->offset, row->line, rows};
    return 0;
}

/* The plan pass: one read of the whole input before anything is sent. It finds a
 * malformed file before any request, counts the rows, and records where each
 * account's rows lie, so that a file sorted by account can still be served to
 * every account at once, each from its own cursor, with memory bounded by the
 * number of accounts and not of rows. A file with more runs than MAX_RUNS is
 * interleaved, and reading it in order is fair already. Returns 0, or -1 when
 * the input is malformed (nothing is sent). */
static int plan(struct sched *s)
{
    if (s->fd < 0) {
        s->seq = s->in;  /* a pipe cannot be read twice */
        return 0;
    }
    struct csvin_row row, first;
    struct account *cur = NULL;
    unsigned long leading = 0;  /* invalid rows before the first valid one */
    size_t runs = 0;
    int fallback = 0, r;
    memset(&first, 0, sizeof first);
    struct stat st;
    off_t size = fstat(s->fd, &st) == 0 ? st.st_size : 0;
    while ((r = csvin_next(s->in, &row)) == 1) {
        if (s->stats.rows++ == 0)
            first = row;
        if (s->stats.rows == 1024 && row.offset > first.offset) {
            /* Size the set of pairs once, from the bytes per row so far, rather
             * than doubling it (and briefly holding two) as it fills. */
            double per_row = (double)(row.offset - first.offset) / 1023.0;
            pairset_reserve(&s->seen, (size_t)((double)size / per_row * 1.05));
        }
        if (fallback)
            continue;
        int dup = 0, ignore = !row.invalid && s->cfg->undo && !plan_undoable(&row);
        if (!row.invalid && !ignore) {
            struct pair_key k;
            pair_key_of(&k, row.account, row.account_len, row.group_id, row.group_len,
                        row.user_id, row.user_len);
            int added = pairset_add(&s->seen, &k);
            if (added < 0 || (added == 0 && add_dup(s, row.line) != 0)) {
                log_error("out of memory");
                return -1;
            }
            dup = added == 0;
        }
        s->stats.invalid += row.invalid != NULL;
        s->stats.duplicates += dup;
        s->stats.ignored += ignore;
        if (row.invalid || dup || ignore) {
            /* Such rows stay in whatever run they sit in: its cursor records them. */
            if (cur) {
                cur->runs[cur->nruns - 1].rows++;
                cur->rows_left++;
            } else {
                leading++;
            }
            continue;
        }
        struct account *a = accounts_get(s, row.account, row.account_len);
        if (!a) {
            log_error("out of memory");
            return -1;
        }
        if (a->planned_valid++ == 0)
            s->stats.accounts++;
        if (a != cur) {
            if (runs == MAX_RUNS) {
                fallback = 1;
                continue;
            }
            if (add_run(a, cur ? &row : &first, 0) != 0) {
                log_error("out of memory");
                return -1;
            }
            runs++;
            if (!cur) {
                a->runs[0].rows = leading;
                a->rows_left = leading;
            }
            cur = a;
        }
        a->runs[a->nruns - 1].rows++;
        a->rows_left++;
    }
    if (r < 0) {
        log_error("%s", csvin_error(s->in));
        log_error("nothing was sent: fix the file and run again");
        return -1;
    }
    /* Duplicates are known by line now; the set of pairs is not needed again. */
    pairset_free(&s->seen);
    s->dups_known = 1;
    if (fallback || !cur) {
        /* Read in order from the first row, with a cursor on the same input. */
        for (size_t i = 0; i < s->acct_cap; i++) {
            struct account *a = s->accts[i];
            if (a) {
                free(a->runs);
                a->runs = NULL;
                a->nruns = a->runs_cap = 0;
                a->rows_left = 0;
            }
        }
        if (s->stats.rows == 0) {
            s->input_done = 1;
            return 0;
        }
        char err[300];
        s->seq = csvin_cursor(s->in, s->fd, first.offset, first.line, err, sizeof err);
        if (!s->seq) {
            log_error("%s", err);
            return -1;
        }
        return 0;
    }
    s->by_account = 1;
    s->input_done = 1;
    for (size_t i = 0; i < s->acct_cap; i++)
        if (s->accts[i] && s->accts[i]->rows_left)
            accounts_activate(s, s->accts[i]);
    return 0;
}

int sched_plan(struct sched *s, struct input_id *id)
{
    int hashed = s->fd >= 0 && sha256_init(&s->hash) == 0 &&
                 csvin_hash_into(s->in, &s->hash) == 0;
    int planned = plan(s);
    if (planned != 0 || !hashed) {
        sha256_free(&s->hash);
        return planned != 0 ? -1 : 0;
    }
    struct stat st;
    unsigned char d[32];
    if (sha256_final(&s->hash, d) != 0)
        return 0;
    sha256_hex(d, id->sha256);
    id->size = fstat(s->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 1;
}

const struct plan_stats *sched_stats(const struct sched *s) { return &s->stats; }
