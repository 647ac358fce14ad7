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
 * outcomes as recorded.
 *
 * With a store transaction: outlog_mark before appending the outcomes of
 * the transaction; outlog_write (the records written and log.bin synced,
 * not the state) before the commit; outlog_sync after it.  If the
 * transaction fails before its commit returns 0, outlog_rollback takes
 * the records back (cut from log.bin if they were written, with an alarm
 * record then): no state or checkpoint covers them yet, and the store and
 * the log agree.  A crash after outlog_write leaves records past the
 * saved state that the next open takes in, as after any crash.
 * outlog_commit does the whole bracket, and lets the state lag the
 * records it made durable by up to OUTLOG_STATE_LAG seconds (or until a
 * checkpoint is due; outlog_tick and outlog_close catch it up): a stream
 * of small transactions then costs two disk waits each (log.bin, the
 * store's commit), not five.
 *
 * On open, the writer cuts only what a crash leaves: a torn last record,
 * and a torn last checkpoint line (one that does not parse; a last line
 * that lacks only its newline is finished instead), each with an alarm
 * record.  Records past the saved state (a crash between the two syncs)
 * are taken in if they verify with the saved key and chain; then the
 * state is compared with the last checkpoint (at the same size: the
 * Merkle root and the chain head; below it: log.bin hashed again from
 * its first record).  Anything else that disagrees (a header not this
 * log's, records past the state that do not verify, a log shorter than
 * its state or its last checkpoint, a last checkpoint line that is not
 * one, not signed with signing.key, or not matching) is refused: nothing
 * is cut or appended, and err says what to check.  Every file is opened
 * in DIR without following a symbolic link, and must be a regular file
 * owned by the user running the writer.
 *
 * Errors: 0 or a negative code: -errno from the system, -ENOMEM,
 * OUTLOG_E* below or sealfmt.h's codes; outlog_strerror names them, and a
 * message with the path is put in err where a function takes one; after
 * a failed append, write, sync, tick or rollback, outlog_error names the
 * file, the operation and the cause ("DIR/log.bin: write: No space left
 * on device").
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
#define OUTLOG_EMISMATCH (-1204)	/* the log, its state and its last
					 * checkpoint disagree */
#define OUTLOG_EUNSAFE (-1205)	/* a file of the log is a symbolic link,
				 * not a regular file, or another user's */
#define OUTLOG_EBROKEN (-1206)	/* a failed write could not be taken back:
				 * the writer writes no more */

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
/* Open the log in dir for appending into *out (checked and recovered as
 * above) and write a start record and a checkpoint.  0, or a negative
 * code with a message in err: OUTLOG_ECUT, OUTLOG_EMISMATCH,
 * OUTLOG_ESTATE or SEALFMT_EHEADER for a log that disagrees with its
 * state or checkpoints, OUTLOG_EUNSAFE, -errno.  Close with
 * outlog_close. */
int outlog_open(const char *dir, long checkpoint_records,
    long checkpoint_seconds, struct outlog **out, char *err, size_t errlen);
/* What outlog_open checks (keys, links, header, records, the state
 * against the last checkpoint), with nothing written or repaired: 0 or
 * the negative code outlog_open would give, the message in err. */
int outlog_check(const char *dir, char *err, size_t errlen);
/* The exit status for a code of outlog_open or outlog_check: 65 for a
 * log that does not agree with its state (nothing was cut), 74 for an
 * I/O error, 73 otherwise. */
int outlog_exit_status(int rc);
/* Append; durable only after outlog_sync.  0 or a negative code (errno
 * is set too for a system error). */
int outlog_append(struct outlog *l, const struct outcome *o);
/* Append a consent record (sealfmt.h, SEALFMT_CONSENT): pseudo the
 * resident, channel, state enum sealfmt_consent, consent bits, source enum
 * sealfmt_source, last_message the last message id made before the change
 * (meta "message.seq"), time Unix seconds.  Like outlog_append: inside an
 * outlog_mark/outlog_write bracket when a store transaction goes with it. */
int outlog_consent(struct outlog *l, const uint8_t *pseudo, uint8_t channel,
    uint8_t state, uint8_t consent, uint8_t source, uint64_t last_message,
    int64_t time);
/* Make every appended record durable (and checkpoint if due).  0 or a
 * negative code (errno set too). */
int outlog_sync(struct outlog *l);
/* A checkpoint if checkpoint_seconds have passed since the last one.  0
 * or a negative code (errno set too). */
int outlog_tick(struct outlog *l);
/* A store transaction's records (see Durability above): mark where they
 * begin; write them and sync log.bin before the commit; take them back
 * if it fails.  outlog_sync ends the mark.  0 or a negative code (errno
 * set too); a rollback that fails leaves the writer refusing to write. */
void outlog_mark(struct outlog *l);
int outlog_write(struct outlog *l);
int outlog_rollback(struct outlog *l);
/*
 * The whole bracket's end, for the transaction txn whose records were
 * appended since outlog_mark: if rc is 0, outlog_write, then commit txn
 * (or abort it if failpoint, when not NULL, fires: util_failpoint, as if
 * the commit failed with EIO), then outlog_sync; if rc is not 0, or a
 * step fails before the commit returns, txn is aborted and the records
 * taken back.  Every failure of the log is logged.  Returns 0, or the
 * first error: rc, the commit's, or EIO; *how says what happened:
 * OUTLOG_COMMITTED (txn was committed: then an error is the final sync's,
 * the store has the change and the writer's state does not) and
 * OUTLOG_LOGERR (the error is the sealed log's).
 */
#define OUTLOG_COMMITTED 1
#define OUTLOG_LOGERR 2
int outlog_commit(struct outlog *l, MDB_txn *txn, int rc,
    const char *failpoint, int *how);
/* The last failure, naming the file, the operation and the cause. */
const char *outlog_error(const struct outlog *l);
/* A stop record, a checkpoint, sync, close.  NULL is fine. */
void outlog_close(struct outlog *l);
/* The keyed digest of a message's texts (digest.key; sealfmt_digest). */
void outlog_digest(const struct outlog *l, const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[32]);

#endif
