/* latency.c: see latency.h. */
#include "latency.h"

#include <math.h>

/* The standard normal distribution's 99th percentile. */
#define Z99 2.3263

void latency_init(struct latency *l, unsigned median_ms, unsigned p99_ms, uint64_t seed)
{
    l->on = median_ms > 0;
    l->median_ms = median_ms;
    l->sigma = l->on ? log((double)p99_ms / median_ms) / Z99 : 0;
    l->rng = seed;
    pthread_mutex_init(&l->lock, NULL);
}

void latency_free(struct latency *l)
{
    pthread_mutex_destroy(&l->lock);
}

/* splitmix64: small, fast, and every seed (0 included) gives a good stream. */
static uint64_t next64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform double in (0, 1]: never 0, so its logarithm is finite. */
static double uniform(uint64_t *state)
{
    return ((double)(next64(state) >> 11) + 1.0) * 0x1p-53;
}

uint64_t latency_draw_ns(struct latency *l)
{
    if (!l->on)
        return 0;
    pthread_mutex_lock(&l->lock);
    double u1 = uniform(&l->rng), u2 = uniform(&l->rng);
    pthread_mutex_unlock(&l->lock);
    /* Box-Muller: one standard normal from two uniforms. */
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double ms = l->median_ms * exp(l->sigma * z);
    if (!(ms < LATENCY_CAP_MS))
        ms = LATENCY_CAP_MS;
    return (uint64_t)(ms * 1e6);
}
