/* consent.h - the auditor's view of consent records: the latest consent of
 * each contact, to find notices sent after it was withdrawn
 * SPDX-License-Identifier: MIT
 *
 * A contact is a (recipient pseudonym, channel) pair.  consent_note takes
 * a consent record (sealfmt.h, SEALFMT_CONSENT) as the latest for its
 * contact; consent_breach asks of an outcome record whether it was sent
 * after its contact's latest consent record withdrew consent: the record
 * is SENT, its message id is greater than that consent record's
 * `message` (messages up to it may have been in flight), and that record
 * says withdrawn or removed, or holds no category.  Records must be
 * given in the log's order.  Memory grows with the contacts seen; the
 * x* allocators of util.h are used (they exit on failure: this is the
 * auditor's program, not a module the daemon links).
 */
#ifndef OSHIRASE_AUDIT_CONSENT_H
#define OSHIRASE_AUDIT_CONSENT_H

#include <stdint.h>

#include "sealfmt.h"

struct consent_map;

struct consent_map *consent_map_new(void);
void consent_map_free(struct consent_map *m);
/* r is a consent record, the log's record i. */
void consent_note(struct consent_map *m, const struct sealfmt_record *r,
    uint64_t i);
/* 1 if outcome record r breaches its contact's latest consent, with the
 * consent record's number in *by; else 0. */
int consent_breach(const struct consent_map *m, const struct sealfmt_record *r,
    uint64_t *by);
/* The categories of consent bits as "health,child,welfare,tax" (those
 * held, in that order), or "none"; out holds 32 bytes. */
void consent_categories(int32_t bits, char out[32]);

#endif
