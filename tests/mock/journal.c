/* journal.c: see journal.h. */
#include "journal.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static const char header[] =
    "seq\tt_ms\tmethod\tpath\taccount\tgroup_id\tuser_id\tidempotency_key"
    "\tstatus\treplay\tuser_agent\tauth\tquery\tremote_data\tinflight\n";

int journal_open(struct journal *j, const char *path)
{
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    if (!path)
        return 0;
    j->f = fopen(path, "a");
    if (!j->f) {
        fprintf(stderr, "truto-mock: cannot open --journal '%s': %s\n", path, strerror(errno));
        pthread_mutex_destroy(&j->lock);
        return -1;
    }
    /* "a" positions at the end: an empty file gets the header. */
    if (fseek(j->f, 0, SEEK_END) == 0 && ftell(j->f) == 0) {
        fputs(header, j->f);
        fflush(j->f);
    }
    return 0;
}

static void count(struct journal *j, int status, int replay)
{
    if (replay)
        j->replayed++;
    if (status == 0)
        j->unanswered++;
    else if (status >= 200 && status < 300)
        j->ok2xx++;
    else if (status == 404)
        j->not_found++;
    else if (status == 429)
        j->limited++;
    else if (status >= 500)
        j->err5xx++;
    else
        j->other4xx++;
}

/* Everything after seq, formatted outside the lock to keep the critical
 * section to one write. */
static void format_fields(struct sbuf *b, const struct journal_entry *e)
{
    sbuf_addf(b, "\t%llu.%03u\t", (unsigned long long)(e->t_ns / 1000000),
              (unsigned)(e->t_ns / 1000 % 1000));
    const char *text[] = {e->method, e->path, e->account, e->group_id,
                          e->user_id, e->idem_key};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
        sbuf_add_escaped(b, text[i]);
        sbuf_add(b, "\t", 1);
    }
    sbuf_addf(b, "%d\t%d\t", e->status, e->replay ? 1 : 0);
    sbuf_add_escaped(b, e->user_agent);
    sbuf_adds(b, e->auth_ok ? "\tok\t" : "\tbad\t");
    sbuf_add_escaped(b, e->query);
    sbuf_add(b, "\t", 1);
    sbuf_add_escaped(b, e->remote_data);
    sbuf_addf(b, "\t%u\n", e->inflight);
}

void journal_record(struct journal *j, const struct journal_entry *e)
{
    struct sbuf line = {0};
    if (j->f)
        format_fields(&line, e);
    pthread_mutex_lock(&j->lock);
    unsigned long seq = ++j->seq;
    count(j, e->status, e->replay);
    if (j->f) {
        fprintf(j->f, "%lu", seq);
        fwrite(line.p, 1, line.len, j->f);
        fflush(j->f);
    }
    pthread_mutex_unlock(&j->lock);
    sbuf_free(&line);
}

void journal_summary(struct journal *j, FILE *out)
{
    pthread_mutex_lock(&j->lock);
    fprintf(out,
            "truto-mock: %lu requests (%lu 2xx, %lu 404, %lu 429, %lu other 4xx, "
            "%lu 5xx, %lu unanswered, %lu replayed)\n",
            j->seq, j->ok2xx, j->not_found, j->limited, j->other4xx, j->err5xx,
            j->unanswered, j->replayed);
    pthread_mutex_unlock(&j->lock);
}

void journal_close(struct journal *j)
{
    if (j->f) {
        if (fclose(j->f) != 0)
            fprintf(stderr, "truto-mock: error closing journal: %s\n", strerror(errno));
        j->f = NULL;
    }
    pthread_mutex_destroy(&j->lock);
}
