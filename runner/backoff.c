/* backoff.c: exponential backoff with full jitter.
 *
 * The ceiling doubles per attempt up to cap_ms; the delay is a uniform fraction
 * of it (the fraction comes from the caller so this stays deterministic), raised
 * to floor_ms when the server asked for a longer wait. The doubling is done by
 * comparing against cap >> shift rather than shifting base, so no attempt count
 * can overflow, and the double-to-integer conversion is range-checked because an
 * out-of-range conversion is undefined behaviour in C. */
#include "backoff.h"

static uint64_t ceiling_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms)
{
    /* Attempt 0 is not a retry, but treating it as the first one is kinder to a
     * caller off by one than a zero delay would be. */
    unsigned shift = attempt > 0 ? attempt - 1 : 0;
    if (base_ms == 0)
        return 0;
    if (shift >= 64 || base_ms > (cap_ms >> shift))
        return cap_ms;
    return base_ms << shift;  /* <= cap_ms, so it did not overflow */
}

uint64_t backoff_delay_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                          uint64_t floor_ms, double u)
{
    uint64_t top = ceiling_ms(attempt, base_ms, cap_ms);
    uint64_t d = 0;

    /* NaN and negatives fail "u > 0" and give 0; u >= 1 is outside the contract
     * and is held just below the ceiling rather than trusted. */
    if (top > 0 && u > 0) {
        double x = u < 1.0 ? u * (double)top : (double)top;
        if (x >= (double)top)
            d = top - 1;
        else
            d = (uint64_t)x;  /* x < (double)top <= 2^64: in range */
        if (d >= top)
            d = top - 1;
    }
    return d > floor_ms ? d : floor_ms;
}
