/* progress.h: the progress line, formatted from numbers the scheduler keeps.
 * Pure: the caller passes the time and decides where and how often it goes.
 *
 * On a terminal the line is redrawn in place (at most 10 times a second); in a
 * log (cron) it is a plain line every --progress-interval. Either way it shows
 * done/total and percent, requests/s, the ETA, removed/not_found/failed, 429s,
 * and the accounts paused by the server with the time the last pause ends. */
#ifndef GROUPRM_PROGRESS_H
#define GROUPRM_PROGRESS_H
#include <stddef.h>

struct progress_view {
    unsigned long done;        /* rows with a final line (or skipped) */
    unsigned long total;       /* rows in the input; 0 = unknown */
    unsigned long removed, not_found, failed, added;
    unsigned long http429;
    double rate;               /* requests per second, recent */
    double eta_s;              /* seconds left; < 0 = unknown */
    unsigned long paused;      /* accounts paused by the server now */
    double paused_for_s;       /* seconds until the last pause ends (monotonic) */
};

/* Formats the line without any terminal control or newline. */
void progress_format(char *buf, size_t len, const struct progress_view *v);

/* "1h02m03s", "4m05s", "12s"; buf >= 16 bytes. */
void format_duration(double seconds, char *buf, size_t len);

/* The ETA: what is left at the recent pace, but never sooner than the rate
 * limits allow (limit_rate requests/s; 0 = no limit known). < 0 when unknown. */
double progress_eta(unsigned long left, double pace, double limit_rate);

#endif
