/* faults.h: fault injection chosen by a user_id's prefix. Pure parsing.
 *
 *   status-NNN[-x]    always answer NNN (400-599)
 *   flaky-NNN-K[-x]   answer NNN (400-599) for the pair's first K requests
 *   drop-K[-x]        close without answering for the pair's first K requests
 *   slow-MS[-x]       answer normally after MS milliseconds
 * The part after the next '-' is free text. Anything that does not match a
 * form exactly (wrong digits, status out of range, no '-' after the number)
 * is an ordinary user id, so real ids that merely start with "slow" are safe. */
#ifndef TRUTO_MOCK_FAULTS_H
#define TRUTO_MOCK_FAULTS_H

enum fault_kind { FAULT_NONE, FAULT_STATUS, FAULT_FLAKY, FAULT_DROP, FAULT_SLOW };

struct fault {
    enum fault_kind kind;
    int status;               /* STATUS, FLAKY */
    unsigned long count;      /* FLAKY, DROP: how many requests misbehave */
    unsigned long delay_ms;   /* SLOW */
};

struct fault fault_parse(const char *user_id);

#endif
