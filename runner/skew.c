/* skew.c: see skew.h. */
#include "skew.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SKEW_ALPHA 0.2  /* weight of the newest sample */

int skew_sample(struct skew *k, double date_epoch, double host_epoch)
{
    double x = date_epoch + 0.5 - host_epoch, lo = date_epoch - host_epoch;
    k->est_s = k->samples ? k->est_s + SKEW_ALPHA * (x - k->est_s) : x;
    /* A later bound above the earlier one by more than a second would mean
     * the host's clock stepped back: the old bounds no longer hold. */
    k->lo_s = !k->samples || lo > k->lo_s + 1.0 || lo < k->lo_s - 1.0 ? lo
              : lo > k->lo_s ? lo : k->lo_s;
    k->samples++;
    int sign = x > SKEW_WARN_S ? 1 : x < -SKEW_WARN_S ? -1 : 0;
    k->run = sign && sign == k->run_sign ? k->run + 1 : sign ? 1 : 0;
    k->run_sign = sign;
    if (k->said || k->run < SKEW_MIN_SAMPLES || fabs(k->est_s) <= SKEW_WARN_S)
        return 0;
    k->said = 1;
    return 1;
}

void skew_host(const char *url, char *out, size_t len)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    const char *at = strchr(s, '@');
    size_t end = strcspn(s, "/?#");
    if (at && (size_t)(at - s) < end)  /* user info is not the host */
        s = at + 1, end = strcspn(s, "/?#");
    size_t n = end;
    const char *colon = memchr(s, ':', end);
    if (colon && s[0] != '[')
        n = (size_t)(colon - s);
    snprintf(out, len, "%.*s", (int)n, s);
}
