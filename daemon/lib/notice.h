/* notice.h - the delivery state in the store: ledger, outbox, messages
 * SPDX-License-Identifier: MIT
 *
 * Owns the three delivery databases of the store (store.h) and their
 * record formats.  The matcher side (match.c) writes ledger entries and new
 * notices in one transaction; the dispatcher (dispatch.c) groups notices
 * into messages, updates and finally removes them.  Nothing here holds a
 * resident id, a name or an address: pseudonyms and texts only.
 *
 *   ledger   key  recipient[32] | subject[32] | u32 BE cycle | program id
 *            value u8 version | u8 state | u64 notice id | i64 time
 *            "(recipient, program, subject, cycle) at most once, ever"
 *            (the README, "Who is told"): an entry exists from the moment its notice is
 *            queued.  A cancelled notice's entry is deleted (it was never
 *            sent; a later run may queue it again); a sent or failed one
 *            stays.  cycle = the fiscal year for `fy` programs, 0 for `once`.
 *   outbox   key  u64 BE notice id (increasing)
 *            value u8 version | u8 state | u32 run | i32 date | u8 channel |
 *            u8 language | u8 child | u32 cycle | recipient[32] |
 *            subject[32] | u64 message id (0 = none yet) | u8 len |
 *            program id
 *   messages key  u64 BE message id (increasing)
 *            value u8 version | u8 channel | u8 language | u8 flags |
 *            recipient[32] | retry_key[16] | u32 attempts |
 *            i64 first_attempt | i64 next_attempt | u32 run |
 *            [v2: u32 started | u64 started_token | i64 started_at] |
 *            u16 n, n x u64 notice id | u8 ntexts, ntexts x (u32 len, bytes)
 *            | u16 len, subject
 *            A message is one recipient's digest of one run: its texts and
 *            retry key are fixed when it is made, before its first attempt,
 *            so that every attempt (across crashes too) is the very same
 *            request.  started (v2): the attempt handed to a sender and not
 *            yet settled (0: none), with its job token and its start; it
 *            is committed before the job leaves (email), so that after a
 *            crash the attempt is known to be in doubt.  Version 1 records
 *            (without it) are read as started = 0; records are written as
 *            version 2.
 *   meta     "notice.seq", "message.seq" u64 LE; "run.seq" u32 LE and
 *            "run.date" i32 LE: the last run and its date; "match.last"
 *            i32 LE: the date of the last match run that completed.
 *
 * Times are Unix seconds.  All integers little-endian but keys.
 */
#ifndef OSHIRASE_NOTICE_H
#define OSHIRASE_NOTICE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "store.h"

#define NOTICE_V1 1
#define MESSAGE_V1 1
#define MESSAGE_V2 2
#define LEDGER_V1 1

enum ledger_state { LEDGER_QUEUED = 1, LEDGER_SENT, LEDGER_FAILED };
enum notice_state { NOTICE_NEW = 0, NOTICE_DIGESTED = 1 };
#define MESSAGE_UNCERTAIN 1	/* an attempt ended without an answer: it
				 * may have been accepted */

#define LEDGER_KEY_MAX (2 * STORE_PSEUDO_LEN + 4 + 64)

struct notice {
	uint64_t id;
	uint8_t state;
	uint32_t run;
	int32_t date;
	uint8_t channel, language, child;
	uint32_t cycle;
	uint8_t recipient[STORE_PSEUDO_LEN], subject[STORE_PSEUDO_LEN];
	uint64_t message;
	char program[65];
};

#define MESSAGE_MAX_NOTICES 256
struct message {
	uint64_t id;
	uint8_t channel, language, flags;
	uint8_t recipient[STORE_PSEUDO_LEN];
	uint8_t retry_key[16];
	uint32_t attempts;
	int64_t first_attempt, next_attempt;
	uint32_t run;
	uint32_t started;		/* the attempt in flight, 0: none */
	uint64_t started_token;		/* its job token (job.h) */
	int64_t started_at;		/* when it was handed out */
	uint16_t n;
	uint64_t notices[MESSAGE_MAX_NOTICES];
	unsigned ntexts;
	const char *text[JOB_MAX_TEXTS];	/* point into the encoded value */
	size_t text_len[JOB_MAX_TEXTS];
	const char *subject;
	size_t subject_len;
};

size_t ledger_key(uint8_t *key, const uint8_t *recipient,
    const uint8_t *subject, uint32_t cycle, const char *program);
void ledger_value(uint8_t v[18], int state, uint64_t notice, int64_t time);
int ledger_state(const MDB_val *v);

size_t notice_encode(const struct notice *n, uint8_t *buf, size_t cap);
int notice_decode(const MDB_val *key, const MDB_val *val, struct notice *n);

/* Encodes m with its texts; returns the length or 0 if cap is too small. */
size_t message_encode(const struct message *m, uint8_t *buf, size_t cap);
int message_decode(const MDB_val *key, const MDB_val *val, struct message *m);

void notice_key(uint8_t k[8], uint64_t id);
uint64_t notice_key_id(const MDB_val *key);

/* The next number of a "*.seq" meta counter (u64), in a write txn. */
int notice_next_seq(MDB_txn *txn, const struct store_dbi *dbi,
    const char *name, uint64_t *out);


#endif
