/* outlog.h - the sealed notification log
 * SPDX-License-Identifier: MIT
 *
 * Owns the log directory: every outcome of a notice (sent, failed,
 * cancelled, expired), and the daemon's start, stop and alarms, as
 * append-only records that auditors can verify (sealed-log.md).  It holds
 * no personal data: pseudonyms, the program, the channel, the outcome, the
 * attempt, the time, the rule set's version and a keyed digest of the
 * message text.  It never reads the store or the pseudonymisation key.
 *
 * Files in DIR:
 *   log.bin      a 64-byte header ("OSLOG\0\0\1", u32 record size 256,
 *                origin) and then records of 256 bytes: record N starts
 *                at byte 64 + 256 N.
 *   checkpoints  one line per checkpoint, text, appended:
 *                  oshirase-checkpoint 1 ORIGIN SIZE ROOT CHAIN TIME SIG
 *                (ROOT, CHAIN: 64 hex digits; SIG: Ed25519 over the line up
 *                to the space before SIG, 128 hex digits).  Meant to be
 *                copied off the host.
 *   state        the writer's state, replaced atomically after each sync:
 *                the next sequence number, the chain head, the current MAC
 *                key K_n and the Merkle frontier.  0600.
 *   signing.key  the Ed25519 secret key (0600); digest.key the key of the
 *                message digests (0600).
 *   auditor/     pubkey and k0, written once at init for the auditors,
 *                to be taken off the host (audit init says so).
 *
 * Record, little-endian, offsets:
 *   0 u8 version (1) | 1 u8 type | 8 u64 seq | 16 i64 time | 24 u64 notice |
 *   32 u64 message | 40 recipient[32] | 72 subject[32] | 104 program[64] |
 *   168 u8 channel | 169 u8 outcome | 172 u32 attempt | 176 i32 status |
 *   184 ruleset[8] | 192 digest[32] | 224 tag[32]; other bytes 0.
 *   type: 1 outcome, 2 start, 3 stop, 4 alarm (status: 1 = a torn last
 *   record was cut, notice = the bytes cut; 2 = records found past the
 *   saved state were taken in; 3 = records past the state did not verify
 *   and were cut; 4 = a torn last checkpoint line was cut, notice = its
 *   bytes).
 * Sealing, H = BLAKE2b-256, data = bytes 0..223 of the record:
 *   L_i = H(0x00 | data)                      the Merkle leaf (RFC 6962)
 *   C_i = H(0x02 | C_{i-1} | L_i), C_{-1} = 0  the hash chain
 *   T_i = H_{K_i}(0x03 | seq_i (u64 LE) | C_i) the tag, bytes 224..255
 *   K_{i+1} = H(0x04 | K_i)                   and K_i is wiped
 * K_0 is made at init, given to the auditors and replaced on the host by
 * K_1 at the first record.  The Merkle tree over L_0..L_{n-1} uses CT
 * hashing (merkle.h) with BLAKE2b.  A checkpoint signs (origin, size n,
 * root of the first n leaves, C_{n-1}, time); one is written when the log
 * opens, every [log] checkpoint_records records or checkpoint_seconds
 * seconds, and when it closes.
 *
 * Durability: outlog_append buffers; outlog_sync writes the records,
 * fdatasyncs log.bin, then replaces the state (write, fdatasync, rename,
 * fsync of DIR).  Only after it returns 0 may the dispatcher treat the
 * outcomes as recorded.  On open, a torn last record is cut and an alarm
 * record says so; records past the saved state (a crash between the two
 * syncs) are verified with the saved key and taken in.
 */
#ifndef OSHIRASE_OUTLOG_H
#define OSHIRASE_OUTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define OUTLOG_HEADER 64
#define OUTLOG_RECORD 256
#define OUTLOG_DATA 224

enum outlog_type {
	OUTLOG_OUTCOME = 1, OUTLOG_START, OUTLOG_STOP, OUTLOG_ALARM
};

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
	uint8_t digest[32];	/* outlog_digest of the message's texts */
	int32_t status;		/* the channel's status code, if any */
};

struct outlog;

/*
 * Create a log in dir (made 0700 if missing): the signing key, the digest
 * key, K_0, the header.  The public key and K_0 are written to pub_out and
 * k0_out (NULL: into dir/auditor/).  Refuses a directory that already
 * holds a log.  Returns 0, or an exit status with a message in err.
 */
int outlog_init(const char *dir, const char *origin, const char *pub_out,
    const char *k0_out, char *err, size_t errlen);
/* Open the log in dir for appending (recovering as above) and write a
 * start record and a checkpoint.  NULL with a message in err. */
struct outlog *outlog_open(const char *dir, long checkpoint_records,
    long checkpoint_seconds, char *err, size_t errlen);
/* Append; durable only after outlog_sync.  0 or -1 (errno). */
int outlog_append(struct outlog *l, const struct outcome *o);
/* Make every appended record durable (and checkpoint if due).  0 or -1. */
int outlog_sync(struct outlog *l);
/* A checkpoint if checkpoint_seconds have passed since the last one. */
int outlog_tick(struct outlog *l);
/* A stop record, a checkpoint, sync, close.  NULL is fine. */
void outlog_close(struct outlog *l);
/* The keyed digest of a message's texts (digest.key). */
void outlog_digest(const struct outlog *l, const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[32]);
const char *outlog_outcome_name(int outcome);
const char *outlog_type_name(int type);

/* The seal of one record (shared with the verifier). */
void outlog_leaf(const uint8_t *data, uint8_t leaf[32]);
void outlog_chain(const uint8_t prev[32], const uint8_t leaf[32],
    uint8_t out[32]);
void outlog_tag(const uint8_t key[32], uint64_t seq, const uint8_t chain[32],
    uint8_t tag[32]);
void outlog_evolve(uint8_t key[32]);
/* The signed part of a checkpoint line (no SIG, no newline) into buf. */
int outlog_checkpoint_text(char *buf, size_t cap, const char *origin,
    uint64_t size, const uint8_t root[32], const uint8_t chain[32],
    int64_t time);

#endif
