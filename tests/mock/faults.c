/* faults.c: see faults.h. */
#include "faults.h"

#include <string.h>

/* Reads 1-9 decimal digits at *p into *out and advances *p past them. The cap
 * keeps values far from overflow; nine digits of milliseconds is 11 days. */
static int take_number(const char **p, unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 9)
            return -1;
        v = v * 10 + (unsigned long)(*s++ - '0');
    }
    if (n == 0)
        return -1;
    *p = s;
    *out = v;
    return 0;
}

/* A number must end the id or be followed by '-' and free text. */
static int at_end_of_form(const char *p)
{
    return *p == '\0' || *p == '-';
}

static int take_status(const char **p, int *status)
{
    const char *start = *p;
    unsigned long v;
    if (take_number(p, &v) || *p - start != 3 || v < 400 || v > 599)
        return -1;
    *status = (int)v;
    return 0;
}

static const char *after_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

struct fault fault_parse(const char *user_id)
{
    struct fault f = {FAULT_NONE, 0, 0, 0};
    struct fault none = f;
    const char *p;
    if (!user_id)
        return none;

    if ((p = after_prefix(user_id, "status-"))) {
        if (take_status(&p, &f.status) || !at_end_of_form(p))
            return none;
        f.kind = FAULT_STATUS;
    } else if ((p = after_prefix(user_id, "flaky-"))) {
        if (take_status(&p, &f.status) || *p++ != '-' ||
            take_number(&p, &f.count) || !at_end_of_form(p))
            return none;
        f.kind = FAULT_FLAKY;
    } else if ((p = after_prefix(user_id, "drop-"))) {
        if (take_number(&p, &f.count) || !at_end_of_form(p))
            return none;
        f.kind = FAULT_DROP;
    } else if ((p = after_prefix(user_id, "slow-"))) {
        if (take_number(&p, &f.delay_ms) || !at_end_of_form(p))
            return none;
        f.kind = FAULT_SLOW;
    }
    return f;
}
