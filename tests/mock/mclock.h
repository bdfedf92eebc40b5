/* mclock.h: the mock's single monotonic clock.
 *
 * All times (journal t_ms, rate-limit windows, slow-MS deadlines) are
 * nanoseconds since mclock_init(), so fixed windows start at server start and
 * are reproducible from run to run. mclock_init must run before any thread. */
#ifndef TRUTO_MOCK_MCLOCK_H
#define TRUTO_MOCK_MCLOCK_H
#include <stdint.h>
#include <time.h>

void mclock_init(void);
uint64_t mclock_ns(void);
/* The CLOCK_MONOTONIC instant for a time on this clock, for timed waits. */
struct timespec mclock_abs(uint64_t ns);

#endif
