/* skew.h: how far the server's clock is from this host's, from the Date
 * header of its answers. Pure: the host's clock is an argument.
 *
 * Each answer with a Date gives a sample: the middle of Date's second (Date
 * is truncated to whole seconds) minus the host's clock when the headers
 * ended. The estimate is their moving average, said once when it is large
 * and recorded in the summary. The server stamped Date no later than the
 * host got the headers, so Date minus the host's clock then is a lower bound
 * of the skew; the largest such bound is the one waits use (hints.h,
 * hints_resolve_skew): finer than Date's seconds, and never late. */
#ifndef GROUPRM_SKEW_H
#define GROUPRM_SKEW_H
#include <stddef.h>

#define SKEW_WARN_S 5.0      /* beyond this, the host is told its clock is off */
#define SKEW_MIN_SAMPLES 3   /* and not on one answer's word */

struct skew {
    double est_s;            /* server minus host, seconds; valid once samples > 0 */
    double lo_s;             /* a lower bound of it: the largest Date minus the host's
                              * clock when that answer's headers ended */
    unsigned long samples;
    unsigned run;            /* the latest samples beyond SKEW_WARN_S, one way */
    int run_sign;
    int said;                /* the warning was given */
};

/* Returns 1 exactly once: the first time the estimate is beyond SKEW_WARN_S
 * and so were the latest SKEW_MIN_SAMPLES answers, the same way (one odd
 * answer, a cache's old Date say, says nothing). */
int skew_sample(struct skew *k, double date_epoch, double host_epoch);

/* The host part of a URL ("api.truto.one" of https://api.truto.one/x), for
 * messages. */
void skew_host(const char *url, char *out, size_t len);

#endif
