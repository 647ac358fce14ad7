/* store.h - the LMDB store: residents, contacts, vocabulary, metadata
 * SPDX-License-Identifier: MIT
 *
 * One LMDB environment (a directory) per city, named databases inside:
 *
 *   residents    key  hh[32] || res[32]          (household pseudonym, then
 *                                                resident pseudonym; raw bytes)
 *                value resident record (below)
 *                A cursor pass meets a household's members together.
 *   resident_hh  key  res[32]   value hh[32]     (which household a resident
 *                                                is in: re-import, removal)
 *   contacts     key  res[32] || channel[1]      value contact record (below)
 *   contact_keys key  u32 big-endian import number
 *                value the import's ephemeral X25519 public key[32] (addrbox.h)
 *   vocab        key  kind[1] || word            value u16 LE store word id
 *                The store numbers words the first time an import meets
 *                them, so vocabulary.ini can grow without a migration.
 *   meta         key  name                       value per name:
 *                "format" u32 LE STORE_FORMAT; "import.residents" and
 *                "import.contacts" struct store_import_meta;
 *                "contacts.seq" u32 LE last contact import number.
 *
 *   ledger, outbox, messages   the delivery state (notice.h), created
 *                the first time the daemon opens the store for writing; a
 *                read-only open of a store without them sees them empty.
 *
 * Pseudonyms are keyed BLAKE2b-256 (README, "Privacy and keys"); the store never holds a
 * resident id, a name or a raw household id, and contact addresses only
 * encrypted (addrbox.h).
 *
 * Resident record, STORE_RECORD_V1, little-endian, no alignment:
 *   u8 version | u8 relationship | u8 sex | u8 insurance | u8 bits
 *   (bit 0 tax_exempt, bit 1 single_parent) | u8 disability_physical |
 *   u8 disability_intellectual | u8 disability_mental | i32 birth (date_t) |
 *   i64 income (-1 = unknown) | i64 dependents | u8 ward_len, ward bytes |
 *   u16 nbenefits, u16 ids | u16 nflags, u16 ids |
 *   u16 nhistory, entries of (u16 event id, i32 date) sorted by (id, date),
 *   distinct.
 * Contact record, STORE_CONTACT_V2 (written), STORE_CONTACT_V1 (read):
 *   u8 version | u8 language | u8 consent bits | u8 status |
 *   u32 import number | [v2: u8 source | i64 changed] | u8 nonce[24] |
 *   u16 ct_len | ciphertext
 *   (ct_len 0 for a withdrawn contact: its address is not kept).
 *   source (enum contact_source) says who set the contact last: the
 *   city's contacts import, or the resident (LINE, the web, an email's
 *   unsubscribe link); `import contacts` replaces or removes only
 *   contacts whose source is the import.  changed: Unix seconds of that
 *   change (0: unknown, v1).  The import number names the key the address
 *   is encrypted under (contact_keys), whoever wrote it: the queue takes
 *   a number of its own for the addresses residents give it.
 *
 * Residents' actions (the gateway's, applied by the queue), created with
 * the delivery databases; a read-only open of a store without them sees
 * them empty (struct store_dbi's actions = 0):
 *   line_index   key  BLAKE2b-256 keyed with the LINE index key (derived
 *                from contacts.sec: token.h) of a LINE user id
 *                value resident pseudonym[32].  A hint: the contact it
 *                points at is decrypted and compared before it is used.
 *   events       key  a LINE webhookEventId (1..64 bytes)
 *                value i64 LE Unix seconds when it was applied: each
 *                event is applied at most once; pruned after 30 days.
 *   codes        key  BLAKE2b-256 keyed with codes.key of a normalised
 *                registration code (codes.h)  value a code record (codes.h)
 *   consent_seen key  resident pseudonym[32] | channel[1]
 *                value u8 status | u8 consent | u8 source: the consent the
 *                sealed log last recorded for that contact, so that the
 *                queue seals a consent record only for a change.
 *   meta         "line_index.import" u32 LE: the last contact import whose
 *                contacts are indexed and compared with consent_seen;
 *                "queue.import" u32 LE: the import number of the queue's
 *                own address key (0: none yet).
 *
 * Changing a format: bump its version constant, teach the decoder the old
 * version or write a migration run by `oshirase import` on open, and bump
 * STORE_FORMAT when the database layout itself changes; a build refuses a
 * store whose format it does not know.
 *
 * Thread safety: one struct store per process (opened after any fork);
 * transactions per thread as LMDB requires.
 */
#ifndef OSHIRASE_STORE_H
#define OSHIRASE_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "dates.h"
#include "job.h"	/* CHANNEL_*, LANG_*: contacts and messages hold them */

#define STORE_FORMAT 1
#define STORE_RECORD_V1 1
#define STORE_CONTACT_V1 1
#define STORE_CONTACT_V2 2
#define STORE_PSEUDO_LEN 32
#define STORE_RES_KEY_LEN (2 * STORE_PSEUDO_LEN)

enum store_rel { REL_HEAD = 0, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_OTHER };
enum store_ins { INS_NHI = 0, INS_LATE_ELDERLY, INS_EMPLOYEE, INS_WELFARE, INS_NONE };
#define CONSENT_HEALTH 1u
#define CONSENT_CHILD 2u
#define CONSENT_WELFARE 4u
#define CONSENT_TAX 8u
enum store_contact_status { CONTACT_ACTIVE = 0, CONTACT_WITHDRAWN = 1 };
/* Who set a contact last (the contact record's source, and the sealed
 * log's consent records: the same numbers). */
enum contact_source {
	CONTACT_SRC_IMPORT = 1,		/* the city's contacts CSV */
	CONTACT_SRC_LINE,		/* the resident, through LINE */
	CONTACT_SRC_WEB,		/* the resident, through a web form */
	CONTACT_SRC_UNSUBSCRIBE		/* the resident, an email's link */
};
#define CONTACT_SRC_MAX CONTACT_SRC_UNSUBSCRIBE

extern const char *const store_rel_names[5];
extern const char *const store_ins_names[5];

/* A decoded resident.  The list pointers point into the encoded bytes
 * (valid as long as they are: an LMDB value dies with its transaction);
 * read entries with store_u16 / store_i32. */
struct resident {
	uint8_t relationship, sex, insurance, tax_exempt, single_parent;
	uint8_t disability_physical, disability_intellectual, disability_mental;
	date_t birth;
	int64_t income;		/* -1 = unknown */
	int64_t dependents;
	const uint8_t *ward;
	uint8_t ward_len;
	uint16_t nbenefits, nflags, nhistory;
	const uint8_t *benefits;	/* nbenefits u16 store word ids */
	const uint8_t *flags;		/* nflags u16 */
	const uint8_t *history;		/* nhistory (u16 id, i32 date) */
};
#define STORE_HIST_ENTRY 6

static inline uint16_t
store_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline int32_t
store_i32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* One entry of a resident's history: an event (its store word id) on a
 * date. */
struct store_event {
	uint16_t id;
	date_t date;
};
#define STORE_HIST_MAX 65535	/* history entries a record holds (u16) */

/*
 * Put a history into the record's order: sort ev[0..n) in place by
 * (event id, date), and write each distinct entry once (the same event
 * twice on one date is one event) to ids[] and dates[], the lists
 * store_resident_encode takes, each with room for n.  Returns the number
 * of entries written (0 for n = 0, when ids and dates may be NULL), or
 * STORE_ERANGE if there are more than STORE_HIST_MAX.  Thread-safe.
 */
int store_history_normalize(struct store_event *ev, size_t n, uint16_t *ids,
    int32_t *dates);

/* Encode r (whose lists are arrays of host-order values given separately)
 * into buf; its history as store_history_normalize leaves it.  Returns the
 * length, or 0 if buf (cap bytes) is too small. */
size_t store_resident_encode(const struct resident *r,
    const uint16_t *benefits, const uint16_t *flags,
    const uint16_t *hist_ids, const int32_t *hist_dates,
    uint8_t *buf, size_t cap);
/* Decode; returns 0, or -1 for a short, trailing or unknown-version value. */
int store_resident_decode(const void *buf, size_t len, struct resident *r);
/* Just the relationship of an encoded record, or -1. */
int store_resident_relationship(const void *buf, size_t len);

struct contact {
	uint8_t language, consent, status;
	uint8_t source;		/* enum contact_source; 0 encodes as import */
	int64_t changed;	/* Unix seconds, 0: unknown */
	uint32_t import_no;
	const uint8_t *nonce;	/* 24 bytes */
	const uint8_t *ct;
	uint16_t ct_len;
};
#define STORE_NONCE_LEN 24
size_t store_contact_encode(const struct contact *c, uint8_t *buf, size_t cap);
int store_contact_decode(const void *buf, size_t len, struct contact *c);

/* Metadata of the last import of each kind. */
struct store_import_meta {
	int64_t time;		/* Unix seconds */
	int32_t date;		/* the date taken as today */
	uint32_t rows, replaced, added, removed;
};

struct store;

#define STORE_RDONLY 1
#define STORE_CREATE 2
#define STORE_WRITE 4	/* an existing store, for writing: creates the
			 * delivery databases if they are missing */

struct store_dbi {
	MDB_dbi residents, resident_hh, contacts, contact_keys, vocab, meta;
	MDB_dbi ledger, outbox, messages;
	MDB_dbi line_index, events, codes, consent_seen;
	int actions;	/* 0: a read-only open of a store without the
			 * residents' action databases (all empty) */
	int delivery;	/* 0: a read-only open of a store that has no
			 * delivery databases yet (all of them empty) */
};

/*
 * Open (STORE_CREATE: create the directory, mode 0700, and the databases)
 * the store in dir.  Returns 0, or a negative value with a message in err:
 * STORE_ENOENT (no store there), STORE_EFORMAT (unknown format version),
 * STORE_ELMDB (LMDB error).  Free with store_close.
 * The STORE_E* codes are neither errno values nor LMDB's, so that a
 * function may return any of the three.
 */
#define STORE_ENOENT (-1600)
#define STORE_EFORMAT (-1601)
#define STORE_ELMDB (-1602)
#define STORE_ERANGE (-1603)	/* more than a record holds */
#define STORE_EBUSY (-1604)	/* another daemon holds the store */
#define STORE_EDAMAGED (-1605)	/* data.mdb is empty, truncated or not LMDB's */
/* What a code means: a STORE_E* code, -errno, or an LMDB code (whose own
 * are negative and whose errno values are positive: mdb_strerror). */
const char *store_strerror(int code);
int store_open(const char *dir, int flags, struct store **out, char *err,
    size_t errlen);

/*
 * Check dir/data.mdb before LMDB maps it, so that a damaged file is
 * refused with a message rather than met as SIGBUS (a page past the end
 * of a truncated file) or taken for a new store (an empty file): the two
 * meta pages are read with read(), their magic and version checked, and
 * every page the newest says is in use must lie within the file, or be
 * one of the free pages LMDB may leave unwritten at its end (the free
 * list is read with read() too).  Returns 0 (also when there is no
 * data.mdb: no store), STORE_EDAMAGED with a message in err, or -errno.
 * store_open calls it; exported for tests.
 */
int store_check_file(const char *dir, char *err, size_t errlen);

/*
 * Take the store's writer lock: an fcntl write lock on dir/daemon.lock,
 * held until the process exits (the descriptor is close-on-exec, and a
 * forked child holds no fcntl lock), so that one daemon at a time writes
 * the delivery state.  Imports do not take it (LMDB serialises writers).
 * Returns 0 with *fd the descriptor (keep it open); STORE_EBUSY if
 * another process holds it, *holder its pid (0 if unknown);
 * STORE_ENOENT if dir does not exist; -errno.  err gets a message.
 */
int store_lock_writer(const char *dir, int *fd, long *holder, char *err,
    size_t errlen);
void store_close(struct store *s);
MDB_env *store_env(struct store *s);
const struct store_dbi *store_dbi(const struct store *s);
const char *store_dir(const struct store *s);

/* Store word ids for a vocabulary kind: map the word to its id, assigning
 * the next free id (in txn, a write transaction) if the store has none.
 * Returns 0 and *id; MDB_NOTFOUND if the store has none and assign is 0;
 * or a negative code (store_strerror): -EINVAL for a word of more than 64
 * bytes, MDB_CORRUPTED for a bad stored id, MDB_MAP_FULL when the kind has
 * no id left, another LMDB code (an errno value of LMDB's as -errno). */
int store_word_id(MDB_txn *txn, const struct store_dbi *dbi, int kind,
    const char *word, int assign, uint16_t *id);

/* Read / write a metadata value.  store_meta_get returns 0, MDB_NOTFOUND,
 * or an LMDB error; the value is copied into buf (up to cap bytes) and its
 * length put in *len. */
int store_meta_get(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    void *buf, size_t cap, size_t *len);
int store_meta_put(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    const void *val, size_t len);

#endif
