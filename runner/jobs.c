/* jobs.c: a row's job, from the CSV row it is made of to its reuse.
 *
 * jobs_new copies what a request needs out of a valid row (the ids into the
 * job's own bytes, remote_data minified once); jobs_release takes back a
 * finished job, keeping up to SPARE_MAX of them in s->spare for the next rows,
 * so a steady run allocates nothing per row; jobs_free frees one for good. A
 * job is in one place at a time: its account's queue, the backoff heap, in
 * flight (a transfer's job), or the spares. */
#include "sched_int.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "request.h"

struct job *jobs_new(struct sched *s, const struct csvin_row *row, struct account *a)
{
    size_t need = row->group_len + row->user_len + 2;
    struct job *j = s->spare;
    if (j) {
        s->spare = j->next;
        s->nspare--;
        if (j->cap < need) {
            free(j);
            j = NULL;
        }
    }
    if (!j) {
        size_t cap = need < 64 ? 64 : need;  /* room for the ids of most rows */
        j = malloc(sizeof *j + cap);
        if (!j)
            return NULL;
        j->cap = cap;
    }
    size_t cap = j->cap;
    memset(j, 0, sizeof *j);
    j->cap = cap;
    j->acct = a;
    j->line = row->line;
    j->group = j->data;
    j->user = j->data + row->group_len + 1;
    memcpy(j->group, row->group_id, row->group_len + 1);
    memcpy(j->user, row->user_id, row->user_len + 1);
    j->group_len = row->group_len;
    j->user_len = row->user_len;
    if (row->remote_data) {
        /* Minified once here, so each attempt only copies it into the body. */
        j->remote_data = json_object_minify(row->remote_data);
        if (!j->remote_data) {
            free(j);
            return NULL;
        }
    }
    return j;
}

void jobs_free(struct job *j)
{
    cJSON_free(j->remote_data);
    free(j);
}

/* Finished jobs are kept for the next rows, so steady state allocates nothing
 * per row: about as many as can be queued or in flight at once. */
#define SPARE_MAX 1024

void jobs_release(struct sched *s, struct job *j)
{
    if (s->nspare >= SPARE_MAX) {
        jobs_free(j);
        return;
    }
    cJSON_free(j->remote_data);
    j->remote_data = NULL;
    j->next = s->spare;
    s->spare = j;
    s->nspare++;
}
