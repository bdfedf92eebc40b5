/* timer.h: resumes suspended connections when their delay is over.
 *
 * slow-MS requests are suspended by the worker that handles them (so no worker
 * thread sleeps) and handed here with a deadline; one thread keeps a min-heap
 * of deadlines and calls MHD_resume_connection for each as it comes due.
 * The caller must suspend a connection before timer_add, so a resume can
 * never overtake its suspend.
 *
 * Shutdown has two steps because libmicrohttpd refuses to stop while any
 * connection is still suspended: timer_shutdown resumes everything pending at
 * once and makes later timer_add calls resume immediately; timer_free (after
 * the daemon has stopped) releases the memory. */
#ifndef TRUTO_MOCK_TIMER_H
#define TRUTO_MOCK_TIMER_H
#include <stdint.h>

struct MHD_Connection;
struct resume_timer;

/* Returns NULL after printing why. */
struct resume_timer *timer_start(void);
void timer_add(struct resume_timer *t, struct MHD_Connection *c, uint64_t due_ns);
void timer_shutdown(struct resume_timer *t);
void timer_free(struct resume_timer *t);

#endif
