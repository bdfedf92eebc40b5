/* progress.c: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <time.h>

void format_duration(double seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%luh%02lum%02lus", s / 3600, s % 3600 / 60, s % 60);
    else if (s >= 60)
        snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
    else
        snprintf(buf, len, "%lus", s);
}

double progress_eta(unsigned long left, double pace, double limit_rate)
{
    if (left == 0)
        return 0;
    double eta = pace > 0 ? (double)left / pace : -1;
    if (limit_rate > 0) {
        double floor = (double)left / limit_rate;
        if (eta < floor)
            eta = floor;
    }
    return eta;
}

void progress_format(char *buf, size_t len, const struct progress_view *v)
{
    char total[48], eta[32], pause[80] = "";
    if (v->total) {
        double pct = 100.0 * (double)v->done / (double)v->total;
        snprintf(total, sizeof total, "%lu/%lu (%.1f%%)", v->done, v->total, pct > 100 ? 100 : pct);
    } else {
        snprintf(total, sizeof total, "%lu/?", v->done);
    }
    if (v->eta_s >= 0) {
        char d[24];
        format_duration(v->eta_s, d, sizeof d);
        snprintf(eta, sizeof eta, "ETA %s", d);
    } else {
        snprintf(eta, sizeof eta, "ETA ?");
    }
    if (v->paused) {
        /* For how long, not until when: a time of day would need the wall
         * clock, which no pace or progress reads. */
        char d[24];
        format_duration(v->paused_for_s > 1 ? v->paused_for_s : 1, d, sizeof d);
        snprintf(pause, sizeof pause, ", paused: %lu account%s for %s", v->paused,
                 v->paused == 1 ? "" : "s", d);
    }
    char added[32] = "";
    if (v->added)
        snprintf(added, sizeof added, " %lu added,", v->added);
    snprintf(buf, len, "%s %.1f req/s %s |%s %lu removed, %lu not_found, %lu failed | %lu 429s%s",
             total, v->rate, eta, added, v->removed, v->not_found, v->failed, v->http429, pause);
}
