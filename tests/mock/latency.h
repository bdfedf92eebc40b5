/* latency.h: --latency, a random delay for answers, as a real server has.
 *
 * Delays are log-normal with the given median; sigma = ln(P99 / MEDIAN) /
 * 2.3263 (the standard normal's 99th percentile), so P99 is the 99th
 * percentile; one delay is at most LATENCY_CAP_MS. The generator is seeded
 * from --seed and shared under a lock, so the same seed gives the same delays
 * in the same order of draws. */
#ifndef TRUTO_MOCK_LATENCY_H
#define TRUTO_MOCK_LATENCY_H
#include <pthread.h>
#include <stdint.h>

#define LATENCY_CAP_MS 60000u

struct latency {
    int on;              /* 0: no --latency, every draw is 0 */
    double median_ms;
    double sigma;
    pthread_mutex_t lock;
    uint64_t rng;        /* splitmix64 state */
};

/* median_ms 0 turns it off; p99_ms >= median_ms. */
void latency_init(struct latency *l, unsigned median_ms, unsigned p99_ms, uint64_t seed);
/* The next delay in nanoseconds (0 when off). Thread-safe. */
uint64_t latency_draw_ns(struct latency *l);
void latency_free(struct latency *l);

#endif
