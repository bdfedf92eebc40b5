/* report.h: the evidence a run leaves for machines.
 *
 * --summary-json: one JSON document (cJSON) with the version, start and end
 * times, the exit code and its reason, counts per status overall and per
 * account, requests, 429s, retries, elapsed time and rate, the input's path,
 * size and SHA-256, and the paths of the files written.
 * --metrics-file: the Prometheus text exposition format, for node_exporter's
 * textfile collector: the last run's timestamp, duration, rows per status,
 * exit code and success, labelled by the results file so several jobs can
 * share a collector folder. Both are written atomically (temporary file, then
 * rename), so a reader never sees half a file. */
#ifndef GROUPRM_REPORT_H
#define GROUPRM_REPORT_H
#include <stddef.h>

#include "config.h"
#include "results.h"
#include "scheduler.h"

struct report {
    const struct config *cfg;
    struct sched *sched;
    double started, finished;      /* wall clock, epoch seconds */
    int exit_code;
    const char *exit_reason;
    const struct input_id *input;  /* NULL when the input could not be hashed */
};

int report_summary_json(const struct report *r, char *err, size_t errlen);
int report_metrics(const struct report *r, char *err, size_t errlen);
/* The metrics text itself (malloc'd), for tests and for report_metrics. */
char *report_metrics_text(const struct report *r);

#endif
