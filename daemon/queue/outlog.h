/* outlog.h - the sealed notification log's writer
 * SPDX-License-Identifier: MIT
 *
 * Owns the log directory: every outcome of a notice (sent, failed,
 * cancelled, expired), and the daemon's start, stop and alarms, as
 * append-only records that auditors can verify.  It holds no personal
 * data: pseudonyms, the program, the channel, the outcome, the attempt,
 * the time, the rule set's version and a keyed digest of the message
 * text.  It never reads the store or the pseudonymisation key.
 *
 * The files' formats, the records and their seal, and checkpoint lines
 * are sealfmt.h's; this module does the writing: appending and syncing
 * records, its state file, checkpoints on schedule, recovery after a
 * crash, and making a new log's keys (outlog_init).
 *
 * Files in DIR, beside those sealfmt.h describes:
 *   state        the writer's state, replaced atomically after each sync:
 *                  0 "OSSTATE1" | 8 u64 seq | 16 chain[32] | 48 key[32] |
 *                  80 origin[32] | 112 u32 len | 116 the Merkle tree's
 *                  saved state (merkle.h), len bytes
 *                the next sequence number, the chain head, the current MAC
 *                key K_seq and the Merkle frontier.  0600.  Only this
 *                writer reads it: to change it, change "OSSTATE1" and read
 *                the old one once.
 *   auditor/     pubkey and k0, written at init when no other place is
 *                given, to be taken off the host.
 * K_0 is made at init, given to the auditors and replaced on the host by
 * K_1 at the first record.  A checkpoint is written when the log opens,
 * every checkpoint_records records or checkpoint_seconds seconds, and when
 * it closes.
 *
 * Durability: outlog_append buffers; outlog_sync writes the records,
 * fdatasyncs log.bin, then replaces the state (write, fdatasync, rename,
 * fsync of DIR).  Only after it returns 0 may the dispatcher treat the
 * outcomes as recorded.  On open, a torn last record is cut and an alarm
 * record says so; records past the saved state (a crash between the two
 * syncs) are verified with the saved key and taken in, or cut with an
 * alarm if they do not verify; a torn last checkpoint line is cut with an
 * alarm.
 *
 * Errors: 0 or a negative code: -errno from the system, -ENOMEM,
 * OUTLOG_E* below or sealfmt.h's codes; outlog_strerror names them, and a
 * message with the path is put in err where a function takes one.
 *
 * Threads: one struct outlog is used by one thread at a time.
 */
#ifndef OSHIRASE_OUTLOG_H
#define OSHIRASE_OUTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sealfmt.h"
#include "store.h"

#define OUTLOG_EDIR (-1201)	/* the log directory cannot be made */
#define OUTLOG_ECUT (-1202)	/* log.bin holds fewer records than written */
#define OUTLOG_ESTATE (-1203)	/* the state file is not a writer's state */

/* The outcomes, as the dispatcher names them; the values are the
 * format's (sealfmt.h). */
enum outlog_outcome {
	OUTCOME_SENT = SEALFMT_SENT,
	OUTCOME_FAILED = SEALFMT_FAILED,
	OUTCOME_CANCELLED = SEALFMT_CANCELLED,
	OUTCOME_EXPIRED = SEALFMT_EXPIRED
};

struct outcome {
	uint64_t notice, message;
	uint8_t recipient[STORE_PSEUDO_LEN], subject[STORE_PSEUDO_LEN];
	char program[65];
	uint8_t channel, outcome;
	uint32_t attempt;
	int64_t time;
	uint8_t ruleset[32];	/* the first SEALFMT_RULESET_LEN bytes go in */
	uint8_t digest[32];	/* outlog_digest of the message's texts */
	int32_t status;		/* the channel's status code, if any */
};

struct outlog;

const char *outlog_strerror(int rc);

/*
 * Create a log in dir (made 0700 if missing): the signing key, the digest
 * key, K_0, the header, the state, an empty checkpoints file.  The public
 * key and K_0 are written to pub_out and k0_out (NULL: into dir/auditor/).
 * Refuses a directory that already holds a log.  Returns 0, or
 * SEALFMT_EORIGIN, OUTLOG_EDIR, -EEXIST (a log or an output file is
 * already there), -ENOMEM or another -errno, with a message in err.
 */
int outlog_init(const char *dir, const char *origin, const char *pub_out,
    const char *k0_out, char *err, size_t errlen);
/* Open the log in dir for appending (recovering as above) and write a
 * start record and a checkpoint.  NULL with a message in err (out of
 * memory included).  Close with outlog_close. */
struct outlog *outlog_open(const char *dir, long checkpoint_records,
    long checkpoint_seconds, char *err, size_t errlen);
/* Append; durable only after outlog_sync.  0 or a negative code (errno
 * is set too for a system error). */
int outlog_append(struct outlog *l, const struct outcome *o);
/* Make every appended record durable (and checkpoint if due).  0 or a
 * negative code (errno set too). */
int outlog_sync(struct outlog *l);
/* A checkpoint if checkpoint_seconds have passed since the last one.  0
 * or a negative code (errno set too). */
int outlog_tick(struct outlog *l);
/* A stop record, a checkpoint, sync, close.  NULL is fine. */
void outlog_close(struct outlog *l);
/* The keyed digest of a message's texts (digest.key; sealfmt_digest). */
void outlog_digest(const struct outlog *l, const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[32]);

#endif
