/* retryheap.c: the rows backing off, in a min-heap by due time (struct job.due).
 *
 * retryheap_push adds a job (-1, and nothing added, when memory is short);
 * retryheap_pop takes the earliest, and may only be called on a heap that is not
 * empty (s->delayed_n > 0). The earliest is always s->delayed[0]: dispatch reads
 * it there to know when the next one is due. Jobs in the heap are in no
 * account's queue. */
#include "sched_int.h"

int retryheap_push(struct sched *s, struct job *j)
{
    struct job **p = sched_room_for(s->delayed, s->delayed_n, &s->delayed_cap, sizeof *p, 64);
    if (!p)
        return -1;
    s->delayed = p;
    size_t i = s->delayed_n++;
    while (i > 0 && s->delayed[(i - 1) / 2]->due > j->due) {
        s->delayed[i] = s->delayed[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->delayed[i] = j;
    return 0;
}

struct job *retryheap_pop(struct sched *s)
{
    struct job *top = s->delayed[0];
    struct job *last = s->delayed[--s->delayed_n];
    size_t i = 0, n = s->delayed_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && s->delayed[c + 1]->due < s->delayed[c]->due)
            c++;
        if (s->delayed[c]->due >= last->due)
            break;
        s->delayed[i] = s->delayed[c];
        i = c;
    }
    if (n)
        s->delayed[i] = last;
    return top;
}

