/* backoff.h: exponential backoff with full jitter. Pure; the randomness is an argument.
 *
 * For attempt k (1 = the first retry), the ceiling is min(cap_ms, base_ms * 2^(k-1))
 * and the delay is u * ceiling with u uniform in [0, 1) supplied by the caller.
 * The result is never below floor_ms (what Retry-After or a reset asks for), and
 * never overflows for large k. */
#ifndef GROUPRM_BACKOFF_H
#define GROUPRM_BACKOFF_H
#include <stdint.h>

#define BACKOFF_BASE_MS 500    /* a run's and a plan's retries */
#define BACKOFF_CAP_MS 30000

uint64_t backoff_delay_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                          uint64_t floor_ms, double u);

#endif
