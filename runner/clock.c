/* clock.c: the one reader of the wall clock. See clock.h. */
#include "clock.h"

#include <time.h>

double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
