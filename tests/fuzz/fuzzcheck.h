/* fuzzcheck.h: CHECK for the fuzz targets: a failed property aborts, so that
 * libFuzzer records the input, with the condition and line on stderr. */
#ifndef GROUPRM_FUZZCHECK_H
#define GROUPRM_FUZZCHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                          \
    do {                                                                  \
        if (!(c)) {                                                       \
            fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                      \
        }                                                                 \
    } while (0)

#endif
