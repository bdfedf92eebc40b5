/* members.h: loads --members FILE into the state.
 *
 * The file is CSV (RFC 4180 quoting, LF or CRLF, optional UTF-8 BOM) whose
 * header names group_id and user_id and optionally integrated_account_id, in
 * any order, matched case-insensitively with surrounding spaces ignored; other
 * columns are ignored. Each data row makes that pair a member; a row whose
 * account is empty (or with no account column at all) matches any account.
 * Rows with an empty group_id or user_id are skipped. Optional columns
 * group_name, user_name and user_email (matched the same way) name the
 * directory's groups and users; the first non-empty value for an id wins.
 * Loading switches the state to "unlisted pairs are not members" even when no
 * row qualifies, and builds the directory's indices at the end. */
#ifndef TRUTO_MOCK_MEMBERS_H
#define TRUTO_MOCK_MEMBERS_H
#include "state.h"

/* Returns the number of member rows, or -1 after printing why. */
long members_load(struct mock_state *st, const char *path);

#endif
