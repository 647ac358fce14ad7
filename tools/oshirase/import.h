/* import.h - what the pieces of `oshirase import` share (internal)
 * SPDX-License-Identifier: MIT
 *
 * The pieces, each a phase or a file kind:
 *   import.c            the command (options, usage), and what both kinds
 *                       of file use: the store's write transaction and
 *                       its lock, reading a file in chunks, word-list
 *                       fields, the import's metadata
 *   import_residents.c  residents: reading and checking each row into a
 *                       store record (pseudonyms, vocabulary word ids)
 *   import_apply.c      residents: applying the checked rows to the store
 *                       in key order, then the households' heads check
 *   import_contacts.c   contacts: checking each row, sealing its address
 *                       (addrbox.h), applying the rows
 * None of it is thread-safe but csvin_run's callbacks, each of which has
 * its chunk's own copy of the reading state.
 */
#ifndef OSHIRASE_IMPORT_H
#define OSHIRASE_IMPORT_H

#include "common.h"
#include "csvin.h"
#include "pseudo.h"
#include "store.h"
#include "vocab.h"

#include <stddef.h>
#include <stdint.h>

#define ID_MAX 64
#define WARD_MAX 32
#define MAX_CHUNKS 16		/* the most readers of one file */

/* ------------------------------------------------------------------ */
/* Shared by both files (import.c)                                     */

struct import {
	struct common *c;
	struct csvin *in;
	uint8_t *key;		/* pseudonymisation key (sodium_malloc) */
	struct store *store;
	MDB_txn *txn;
	int created;		/* data.mdb did not exist before */
	int made_dir;		/* nor did the directory */
	int lockfd;		/* DIR/import.lock, held for the whole import */
	char datafile[CONFIG_PATH_MAX + 32];
	char lockfile[CONFIG_PATH_MAX + 32];
	unsigned threads;	/* --threads: readers of a large file */
};

struct counts {
	uint32_t added, replaced, removed, absent;
	uint32_t kept;	/* contacts residents set themselves, left as they are */
};

/* Whether the stored contact record v was set by a resident (its source
 * is not the import): an import never replaces or removes such a contact
 * (only the resident changes it).  A record that does not decode is the
 * import's to replace. */
int import_contact_residents(const MDB_val *v);

/* Check a value against a word list; the word's index, or -1 after
 * reporting it at column col. */
int import_enum_field(struct csvin *in, unsigned col, const char *s,
    size_t len, const char *const *words, int n);

/* An id (resident_id, household_id) is taken as it is: one with a space
 * at either end (ASCII, tab, ideographic U+3000, no-break U+00A0) or a
 * byte order mark (U+FEFF) anywhere names another person than the id
 * without it.  Warn at column col (never printing the id); 1 if warned. */
int import_id_check(struct csvin *in, unsigned col, const char *s, size_t len);

/* Open im->c->db for writing (creating it on a first import), take the
 * import lock, begin the write transaction: 0 or an exit status after a
 * message.  Whatever the result, import_close must follow. */
int import_open(struct import *im);

/* Commit (ok) or abort; on failure of a first import remove the store.
 * 0, or EXIT_IOERR when the commit failed. */
int import_close(struct import *im, int ok);

/* Log an LMDB failure of what; the exit status for it. */
int import_lmdb_fail(struct import *im, const char *what, int rc);

/* Read im->in's file in chunks, on up to im->threads threads: see
 * import.c.  0 or an exit status (csvin_run has said what went wrong). */
int import_read_chunked(struct import *im, void *first, size_t size,
    const char *encoding, const struct csvin_ops *ops,
    void (*merge)(void *into, void *from));

/* Store the import's summary under name in the metadata (a failure is
 * logged, not fatal); removed names the count of removals. */
void import_write_meta(struct import *im, const char *name, date_t today,
    unsigned long rows, const struct counts *cnt, const char *removed);

/* ------------------------------------------------------------------ */
/* Residents (import_residents.c reads, import_apply.c applies)       */

enum rcol {
	R_RID, R_HHID, R_REL, R_BIRTH, R_SEX, R_WARD, R_INS, R_TAXEX, R_INCOME,
	R_DEPS, R_SINGLE, R_DPHYS, R_DINT, R_DMENT, R_BEN, R_HIST, R_FLAGS,
	R_STATUS, R_NCOLS
};
/* The resident file's column names (README, "File formats"), by rcol. */
extern const char *const import_rcols[R_NCOLS];

struct row {
	uint8_t key[STORE_RES_KEY_LEN];	/* hh || res */
	uint32_t line;
	uint32_t remove;
	size_t off;			/* record in the arena */
	uint32_t len;
};

struct res_import {
	struct import im;
	const struct vocab *v;
	uint16_t *word_ids[VOCAB_NKINDS];	/* vocab index -> store id */
	date_t today;

	/* the record being read */
	struct resident r;
	uint8_t hh[PSEUDO_LEN], res[PSEUDO_LEN];
	char last_hh_id[ID_MAX];		/* cache of the last household */
	size_t last_hh_len;
	uint8_t last_hh[PSEUDO_LEN];
	uint8_t ward[WARD_MAX];
	uint16_t ben[VOCAB_MAX_WORDS], flg[VOCAB_MAX_WORDS];
	/* the history as read (store word ids), and as stored: distinct,
	 * in order (store_history_normalize); hist_cap entries each */
	struct store_event *hist;
	uint16_t *hist_ids;
	int32_t *hist_dates;
	size_t nhist, hist_cap;
	int remove;

	/* accepted rows */
	struct row *rows;
	size_t nrows, rows_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;
};

/* oshirase import residents FILE: the exit status. */
int import_residents(struct common *c, const char *file, const char *encoding,
    unsigned threads);

/* Apply ri's checked rows in the open transaction, counting into cnt:
 * duplicates and households without exactly one head are reported as
 * row errors (then EXIT_DATAERR); 0 or an exit status. */
int import_apply_residents(struct res_import *ri, struct counts *cnt);

/* ------------------------------------------------------------------ */
/* Contacts (import_contacts.c)                                        */

/* oshirase import contacts FILE: the exit status. */
int import_contacts(struct common *c, const char *file, const char *encoding,
    unsigned threads);

#endif
