/* clock.h: the two clocks grouprm uses, named so pure code can take them as arguments.
 *
 * Pure modules never read a clock themselves: callers pass "now" in.
 *  - mono_ms: milliseconds on a monotonic clock (uv_now in the loop); used for
 *    windows, timers and latency.
 *  - wall seconds (double, Unix epoch): used only to interpret server headers that
 *    carry absolute times (HTTP dates, epoch resets) and for finished_at. */
#ifndef GROUPRM_CLOCK_H
#define GROUPRM_CLOCK_H
#include <stdint.h>

typedef uint64_t mono_ms;

/* The wall clock in Unix seconds. Only the I/O edges call it (finished_at,
 * header dates, reports); pure modules take the time as an argument. */
double wall_now(void);

#endif
