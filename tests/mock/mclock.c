/* mclock.c: see mclock.h. */
#include "mclock.h"

static struct timespec base;

void mclock_init(void)
{
    clock_gettime(CLOCK_MONOTONIC, &base);
}

uint64_t mclock_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t d = (int64_t)(now.tv_sec - base.tv_sec) * 1000000000 +
                (now.tv_nsec - base.tv_nsec);
    return d > 0 ? (uint64_t)d : 0;
}

struct timespec mclock_abs(uint64_t ns)
{
    struct timespec ts = base;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec += (long)(ns % 1000000000u);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
