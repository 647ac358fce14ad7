/* outlog.h - where every outcome of a notice is recorded
 * SPDX-License-Identifier: MIT
 *
 * The dispatcher's only way to record what became of a notice: sent,
 * failed for good, cancelled or expired.  A notice leaves the outbox only
 * after outlog_sync has returned 0 for its outcome (the record is on disk).
 * The sealed log (sealed-log.md) is what this interface writes; the
 * records carry no personal data: pseudonyms, the program, the channel,
 * the outcome, the attempt, the time, the rule set's version and a digest
 * of the message.
 *
 * Until the sealed log lands, the writer appends the records below to
 * DIR/outcomes.log and fdatasyncs on outlog_sync; nothing reads it but
 * tests.  Record, 232 bytes, little-endian, at offset:
 *   0 "OSO1" | 4 u64 notice | 12 u64 message | 20 recipient[32] |
 *   52 subject[32] | 84 program[64] (NUL-padded) | 148 u8 channel |
 *   149 u8 outcome | 152 u32 attempt | 156 i64 time | 164 ruleset[32] |
 *   196 digest[32] | 228 i32 status; other bytes 0.
 */
#ifndef OSHIRASE_OUTLOG_H
#define OSHIRASE_OUTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum outlog_outcome {
	OUTCOME_SENT = 1,	/* the channel accepted it */
	OUTCOME_FAILED,		/* a permanent failure */
	OUTCOME_CANCELLED,	/* withdrawn contact, removed resident or
				 * program; never attempted or given up */
	OUTCOME_EXPIRED		/* retried until its maximum age */
};

struct outcome {
	uint64_t notice, message;
	uint8_t recipient[STORE_PSEUDO_LEN], subject[STORE_PSEUDO_LEN];
	char program[65];
	uint8_t channel, outcome;
	uint32_t attempt;
	int64_t time;
	uint8_t ruleset[32];
	uint8_t digest[32];	/* BLAKE2b of the message's texts */
	int32_t status;		/* the channel's status code, if any */
};

struct outlog;

/* Open (create) the log in dir.  NULL with a message in err. */
struct outlog *outlog_open(const char *dir, char *err, size_t errlen);
/* Append; durable only after outlog_sync.  0 or -1 (errno). */
int outlog_append(struct outlog *l, const struct outcome *o);
/* Make every appended record durable.  0 or -1 (errno). */
int outlog_sync(struct outlog *l);
void outlog_close(struct outlog *l);
const char *outlog_outcome_name(int outcome);

#endif
