/* sealfmt.h - the sealed notification log's format: the files' layout,
 * the records, the seal of each record, checkpoint lines, key files
 * SPDX-License-Identifier: MIT
 *
 * What it owns: everything a reader needs to check a log another program
 * wrote, and the writer needs to write one a reader can check.  The writer
 * (daemon/queue/outlog.c: appending, syncing, its state file, checkpoints
 * on schedule; outlog_open.c: recovery) and the auditor's program
 * (tools/audit/, oshirase-audit) both use it.  What it never does: write
 * files, hold the signing key or make keys, keep state, log, exit.  It
 * reads one file, the public key (sealfmt_pubkey_read).
 *
 * Files of a log directory:
 *   log.bin      the header (SEALFMT_HEADER bytes), then records of
 *                SEALFMT_RECORD bytes: record N starts at sealfmt_offset(N).
 *   checkpoints  signed text lines, one per checkpoint (below), appended.
 *   pubkey       the Ed25519 public key: 64 hex digits and a newline (0644).
 *   signing.key, digest.key, k0
 *                32-byte secrets as util.h secret files (64 hex digits and
 *                a newline, 0600): the Ed25519 seed, the key of the message
 *                digests, and K_0, the first MAC key.
 *   (the writer's own state file is described in outlog.h).
 *
 * Header, little-endian:
 *   0 "OSLOG\0\0" and u8 SEALFMT_LOG_VERSION | 8 u32 record size (256) |
 *   12 zero | 16 origin[32], NUL-padded, 1..31 bytes, no spaces | 48 zero.
 * Every byte is fixed but the origin's, and the origin is in every
 * signed checkpoint line: a reader refuses any other header (so no byte
 * of it goes unchecked) and compares the origin with the checkpoints'.
 *
 * Record, little-endian, offsets:
 *   0 u8 version (SEALFMT_RECORD_VERSION) | 1 u8 type | 8 u64 seq |
 *   16 i64 time | 24 u64 notice | 32 u64 message | 40 recipient[32] |
 *   72 subject[32] | 104 program[64], NUL-padded | 168 u8 channel |
 *   169 u8 outcome | 172 u32 attempt | 176 i32 status | 184 ruleset[8] |
 *   192 digest[32] | 224 tag[32]; every other byte 0.
 *   An alarm record keeps its code (enum sealfmt_alarm) in status and
 *   its count (bytes or records) in notice.
 *
 * Seal, H = BLAKE2b-256, data = bytes 0..223 of record i (seq = i):
 *   L_i = H(0x00 | data)                       the Merkle leaf (RFC 6962)
 *   C_i = H(0x02 | C_{i-1} | L_i), C_{-1} = 0  the hash chain
 *   T_i = H_{K_i}(0x03 | i (u64 LE) | C_i)     the tag, bytes 224..255
 *   K_{i+1} = H(0x04 | K_i)                    and K_i is wiped
 * The Merkle tree over L_0..L_{n-1} hashes as merkle.h does, with
 * merkle_blake2b.
 *
 * Checkpoint line (text, one line, fields separated by one space):
 *   oshirase-checkpoint 1 ORIGIN SIZE ROOT CHAIN TIME SIG
 * SIZE the number of records n, ROOT the Merkle root of the first n
 * leaves, CHAIN C_{n-1} (zero for n = 0), ROOT and CHAIN 64 hex digits,
 * TIME Unix seconds, SIG the Ed25519 signature (128 hex digits) of the
 * line up to the space before SIG.
 *
 * Versions.  Each format names its version: the header's last magic byte
 * (SEALFMT_LOG_VERSION: the header and the record size), each record's
 * first byte (SEALFMT_RECORD_VERSION: its layout and the seal above), and
 * the checkpoint line's second field (SEALFMT_CHECKPOINT_VERSION).  To
 * change one, bump its constant, write only the new version, and keep the
 * decoders here reading every version already written (logs are kept for
 * years, and auditors check old ones): a record of another version is
 * refused today with SEALFMT_EVERSION, a checkpoint of another version
 * with SEALFMT_ECHECKPOINT.  A new seal (other hashes, other domain bytes)
 * needs a new record version.
 *
 * Errors: 0 or a negative code: SEALFMT_E* below, or -errno from the
 * system (the public key file), -ENOSPC for a buffer too small.
 * sealfmt_strerror names them (and merkle.h's codes).
 *
 * Threads: every function is reentrant.  Call sodium_init() first.
 */
#ifndef OSHIRASE_SEALFMT_H
#define OSHIRASE_SEALFMT_H

#include <stddef.h>
#include <stdint.h>

#define SEALFMT_LOG_VERSION 1
#define SEALFMT_RECORD_VERSION 1
#define SEALFMT_CHECKPOINT_VERSION 1

#define SEALFMT_HEADER 64
#define SEALFMT_RECORD 256
#define SEALFMT_DATA 224	/* the sealed bytes; the tag follows */
#define SEALFMT_HASH 32
#define SEALFMT_PSEUDO_LEN 32
#define SEALFMT_PROGRAM_LEN 64
#define SEALFMT_RULESET_LEN 8
#define SEALFMT_ORIGIN_MAX 31	/* what a writer may give */
#define SEALFMT_ORIGIN_CAP 33	/* what a reader may meet, with its NUL */
#define SEALFMT_PUBKEY_LEN 32
#define SEALFMT_SIG_LEN 64
/* A checkpoint line with its newline and a NUL fits in this. */
#define SEALFMT_CHECKPOINT_MAX 512
/* The public key file's text: 64 hex digits, a newline, a NUL. */
#define SEALFMT_PUBKEY_TEXT 66

#define SEALFMT_EVERSION (-1101)	/* a record of unknown version or type */
#define SEALFMT_ESEQ (-1102)		/* a sequence number not its place */
#define SEALFMT_ETAG (-1103)		/* a tag that does not verify */
#define SEALFMT_EHEADER (-1104)		/* not a log header */
#define SEALFMT_ECHECKPOINT (-1105)	/* not a checkpoint line */
#define SEALFMT_ESIG (-1106)		/* a signature that does not verify */
#define SEALFMT_EKEYFILE (-1107)	/* not a public key file */
#define SEALFMT_EORIGIN (-1108)		/* an origin the header cannot hold */

enum sealfmt_type {
	SEALFMT_OUTCOME = 1,	/* a notice's outcome */
	SEALFMT_START,		/* the writer opened the log */
	SEALFMT_STOP,		/* the writer closed it */
	SEALFMT_ALARM,		/* the writer found damage (sealfmt_alarm) */
	SEALFMT_CONSENT		/* a contact's consent changed (below) */
};
#define SEALFMT_NTYPES 6	/* for arrays indexed by type */

/*
 * A consent record (type SEALFMT_CONSENT) says what a contact holds from
 * now on, and who set it; it never holds an address:
 *   recipient  the resident's pseudonym      channel  the contact's
 *   outcome    enum sealfmt_consent (active, withdrawn, or removed: the
 *              contact no longer exists)
 *   status     the consent bits held now (health 1, child 2, welfare 4,
 *              tax 8)
 *   attempt    the source (enum sealfmt_source)
 *   message    the last message id the queue had made before the change:
 *              messages up to it may have been in flight and may still be
 *              recorded as sent; any later message to this contact while
 *              the consent is withdrawn or empty is a breach
 *              (`oshirase audit verify` reports it).
 * The other fields are zero.  Consent records came with this type: a
 * reader older than it refuses them as an unknown type.
 */
enum sealfmt_consent { SEALFMT_CONSENT_ACTIVE = 1, SEALFMT_CONSENT_WITHDRAWN,
	SEALFMT_CONSENT_REMOVED };
/* The store's contact sources (store.h: enum contact_source). */
enum sealfmt_source { SEALFMT_SRC_IMPORT = 1, SEALFMT_SRC_LINE,
	SEALFMT_SRC_WEB, SEALFMT_SRC_UNSUBSCRIBE };

enum sealfmt_outcome {
	SEALFMT_SENT = 1,	/* the channel accepted it */
	SEALFMT_FAILED,		/* a permanent failure */
	SEALFMT_CANCELLED,	/* withdrawn contact, removed resident or
				 * program; never attempted or given up */
	SEALFMT_EXPIRED		/* retried until its maximum age */
};
#define SEALFMT_NOUTCOMES 5

enum sealfmt_alarm {
	SEALFMT_ALARM_TORN_RECORD = 1,	/* a torn last record was cut;
					 * count: its bytes */
	SEALFMT_ALARM_TAKEN_IN,		/* records past the saved state were
					 * taken in (not written today) */
	SEALFMT_ALARM_RECORDS_CUT,	/* records past the saved state did not
					 * verify and were cut; count: them
					 * (not written since: the writer
					 * refuses such a log) */
	SEALFMT_ALARM_TORN_CHECKPOINT,	/* a torn last checkpoint line was
					 * cut; count: its bytes */
	SEALFMT_ALARM_ROLLED_BACK	/* outcome records written for a store
					 * transaction that then failed were
					 * taken back (before any state or
					 * checkpoint covered them); count:
					 * them */
};

/* The channel byte: the store's channel numbers. */
enum sealfmt_channel { SEALFMT_LINE = 1, SEALFMT_EMAIL = 2 };

/* A record's fields (a plain value). */
struct sealfmt_record {
	uint8_t version, type;
	uint64_t seq;
	int64_t time;
	uint64_t notice;	/* an alarm's count */
	uint64_t message;
	uint8_t recipient[SEALFMT_PSEUDO_LEN], subject[SEALFMT_PSEUDO_LEN];
	char program[SEALFMT_PROGRAM_LEN + 1];
	uint8_t channel, outcome;
	uint32_t attempt;
	int32_t status;		/* an alarm's code */
	uint8_t ruleset[SEALFMT_RULESET_LEN];
	uint8_t digest[SEALFMT_HASH];
};

/* A parsed checkpoint line. */
struct sealfmt_checkpoint {
	char origin[SEALFMT_ORIGIN_CAP];
	uint64_t size;
	uint8_t root[SEALFMT_HASH], chain[SEALFMT_HASH];
	int64_t time;
	uint8_t sig[SEALFMT_SIG_LEN];
	size_t signed_len;	/* the bytes of the line SIG covers */
};

const char *sealfmt_strerror(int rc);
/* Names for display: "outcome", "sent", "line", "a torn last record was
 * cut"; "?" for a value the format does not define. */
const char *sealfmt_type_name(int type);
const char *sealfmt_outcome_name(int outcome);
const char *sealfmt_channel_name(int channel);
const char *sealfmt_alarm_name(int alarm);
/* A consent record's state and source: "active", "withdrawn", "removed";
 * "import", "line", "web", "unsubscribe"; "?" for another value. */
const char *sealfmt_consent_name(int state);
const char *sealfmt_source_name(int source);

/* The byte offset of record i in log.bin. */
static inline uint64_t
sealfmt_offset(uint64_t i)
{
	return SEALFMT_HEADER + i * SEALFMT_RECORD;
}

/* 0 if origin fits a header and a checkpoint line (1..SEALFMT_ORIGIN_MAX
 * bytes, no space, no control character), else SEALFMT_EORIGIN. */
int sealfmt_origin_check(const char *origin);
/* The header of a new log; origin must pass sealfmt_origin_check. */
void sealfmt_header_encode(uint8_t hdr[SEALFMT_HEADER], const char *origin);
/* Check the first len bytes of log.bin and give its origin.  0 or
 * SEALFMT_EHEADER (short, or any byte other than sealfmt_header_encode
 * writes for a valid origin: another magic, version or record size, a
 * nonzero reserved byte or padding, a bad origin). */
int sealfmt_header_decode(const uint8_t *p, size_t len,
    char origin[SEALFMT_ORIGIN_CAP]);

/* The data bytes of a record from r (r->version ignored: the current
 * version is written), the tag zero.  rec is SEALFMT_RECORD bytes. */
void sealfmt_record_encode(const struct sealfmt_record *r, uint8_t *rec);
/* Every field of rec into r; 0, or SEALFMT_EVERSION if its version or
 * type is unknown (r is filled all the same). */
int sealfmt_record_decode(const uint8_t *rec, struct sealfmt_record *r);

/* The seal's steps, as above.  out may be prev in sealfmt_chain. */
void sealfmt_leaf(const uint8_t *data, uint8_t leaf[SEALFMT_HASH]);
void sealfmt_chain(const uint8_t prev[SEALFMT_HASH],
    const uint8_t leaf[SEALFMT_HASH], uint8_t out[SEALFMT_HASH]);
void sealfmt_tag(const uint8_t key[SEALFMT_HASH], uint64_t seq,
    const uint8_t chain[SEALFMT_HASH], uint8_t tag[SEALFMT_HASH]);
void sealfmt_evolve(uint8_t key[SEALFMT_HASH]);

/*
 * Seal rec (SEALFMT_RECORD bytes, its data encoded) as record seq: write
 * seq into it, move chain from C_{seq-1} to C_seq, write T_seq made with
 * key (K_seq), then move key on to K_{seq+1}.  leaf gets L_seq, for the
 * Merkle tree.
 */
void sealfmt_seal(uint8_t *rec, uint64_t seq, uint8_t chain[SEALFMT_HASH],
    uint8_t key[SEALFMT_HASH], uint8_t leaf[SEALFMT_HASH]);
/*
 * Check rec as record seq following C_{seq-1} in chain: its version and
 * type, its sequence number, and, when key (K_seq) is not NULL, its tag.
 * leaf always gets L_seq.  On success chain becomes C_seq and key moves
 * on to K_{seq+1}; on failure neither changes.  0, SEALFMT_EVERSION,
 * SEALFMT_ESEQ or SEALFMT_ETAG, checked in that order.
 */
int sealfmt_check(const uint8_t *rec, uint64_t seq, uint8_t chain[SEALFMT_HASH],
    uint8_t *key, uint8_t leaf[SEALFMT_HASH]);

/* The keyed digest of a message's n texts, as records carry it:
 * H_key(u64 LE len_0 | text_0 | ... | u64 LE len_{n-1} | text_{n-1}). */
void sealfmt_digest(const uint8_t key[SEALFMT_HASH],
    const char *const *texts, const size_t *lens, unsigned n,
    uint8_t out[SEALFMT_HASH]);

/*
 * The signed part of a checkpoint line (no SIG, no newline) into buf of
 * cap bytes; returns its length, or -ENOSPC.  The writer signs these
 * bytes and then calls sealfmt_checkpoint_finish, which appends " SIG\n"
 * after the len bytes and returns the line's new length, or -ENOSPC.
 */
int sealfmt_checkpoint_text(char *buf, size_t cap, const char *origin,
    uint64_t size, const uint8_t root[SEALFMT_HASH],
    const uint8_t chain[SEALFMT_HASH], int64_t time);
int sealfmt_checkpoint_finish(char *buf, size_t cap, size_t len,
    const uint8_t sig[SEALFMT_SIG_LEN]);
/* Parse one checkpoint line (NUL-terminated, no newline): exactly the
 * fields above, nothing before or after.  0 or SEALFMT_ECHECKPOINT. */
int sealfmt_checkpoint_parse(const char *line, struct sealfmt_checkpoint *c);
/* Check the signature of line, as parsed into c, with pk.  0 or
 * SEALFMT_ESIG. */
int sealfmt_checkpoint_verify(const char *line,
    const struct sealfmt_checkpoint *c, const uint8_t pk[SEALFMT_PUBKEY_LEN]);

/* The public key file's text for pk into out (64 hex digits and a
 * newline, NUL-terminated). */
void sealfmt_pubkey_text(const uint8_t pk[SEALFMT_PUBKEY_LEN],
    char out[SEALFMT_PUBKEY_TEXT]);
/* Read a public key file (the newline may be missing).  0, -errno (it
 * cannot be opened or read), or SEALFMT_EKEYFILE. */
int sealfmt_pubkey_read(const char *path, uint8_t pk[SEALFMT_PUBKEY_LEN]);

#endif
