/* import.c - oshirase import residents|contacts FILE
 * SPDX-License-Identifier: MIT
 *
 * Reads a resident or contact extract (CONTRACT.md) and applies it to the
 * store in one LMDB write transaction: every row is checked first, and any
 * error leaves the store exactly as it was (exit 65).  Only this step sees
 * resident ids: it turns them into pseudonyms with the key and stores
 * nothing else that names a person.  Contact addresses are encrypted to the
 * daemon's public key (addrbox.h) and never readable here again.
 *
 * Residents: the rows are sorted by store key, so a first import into an
 * empty store is a sequence of appends (the fast path of a B+tree), and a
 * daily delta touches pages in order.  After the rows are applied, every
 * household the file touched (including one a resident left) must have
 * exactly one head among its members in the store.
 */
#include "addrbox.h"
#include "cmd.h"
#include "common.h"
#include "csvin.h"
#include "log.h"
#include "pseudo.h"
#include "store.h"
#include "util.h"
#include "vocab.h"

#include <errno.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_MAX 64
#define WARD_MAX 32
#define INT_DIGITS_MAX 15

/* ------------------------------------------------------------------ */
/* Shared by both files                                                */

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
};

static int
parse_uint(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > INT_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
match_word(const char *s, size_t len, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return i;
	return -1;
}

static void
list_values(char *buf, size_t cap, const char *const *words, int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s",
		    i ? ", " : "", words[i]);
}

/* Check a value against a word list and report it. */
static int
enum_field(struct csvin *in, unsigned col, const char *s, size_t len,
    const char *const *words, int n)
{
	char all[256];
	int v = match_word(s, len, words, n);

	if (v < 0) {
		list_values(all, sizeof(all), words, n);
		csvin_error(in, col, "'%.*s' is not one of %s",
		    (int)(len > 40 ? 40 : len), s, all);
	}
	return v;
}

/*
 * Open the store for writing; remember whether this import creates it, so
 * a failed first import leaves no store behind.  Imports into one store
 * are serialised by an flock on DIR/import.lock, taken before looking, so
 * two first imports cannot both think they made the store.
 */
static int
import_open(struct import *im)
{
	char err[1400], lockpath[CONFIG_PATH_MAX + 32];
	struct stat st;
	int rc;

	if ((size_t)snprintf(im->datafile, sizeof(im->datafile), "%s/data.mdb",
	    im->c->db) >= sizeof(im->datafile) ||
	    (size_t)snprintf(im->lockfile, sizeof(im->lockfile), "%s/lock.mdb",
	    im->c->db) >= sizeof(im->lockfile) ||
	    (size_t)snprintf(lockpath, sizeof(lockpath), "%s/import.lock",
	    im->c->db) >= sizeof(lockpath)) {
		log_warnx("%s: path too long", im->c->db);
		return EXIT_CANTCREAT;
	}
	if (stat(im->c->db, &st) != 0) {
		if (errno != ENOENT || mkdir(im->c->db, 0700) != 0) {
			log_warn("%s", im->c->db);
			return EXIT_CANTCREAT;
		}
		im->made_dir = 1;
	}
	im->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (im->lockfd < 0) {
		log_warn("%s", lockpath);
		return EXIT_CANTCREAT;
	}
	if (flock(im->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (!im->c->quiet)
			log_info("%s: another import is running; waiting", im->c->db);
		if (flock(im->lockfd, LOCK_EX) != 0) {
			log_warn("%s: flock", lockpath);
			return EXIT_IOERR;
		}
	}
	im->created = access(im->datafile, F_OK) != 0;
	rc = store_open(im->c->db, STORE_CREATE, &im->store, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		return rc == STORE_EFORMAT ? EXIT_DATAERR : EXIT_CANTCREAT;
	}
	rc = mdb_txn_begin(store_env(im->store), NULL, 0, &im->txn);
	if (rc != 0) {
		log_warnx("%s: mdb_txn_begin: %s", im->c->db, mdb_strerror(rc));
		return EXIT_IOERR;
	}
	return 0;
}

/* Commit (ok) or abort; on failure of a first import remove the store. */
static int
import_close(struct import *im, int ok)
{
	char lockpath[CONFIG_PATH_MAX + 32];
	int rc = 0;

	if (im->txn != NULL) {
		if (ok) {
			rc = mdb_txn_commit(im->txn);
			if (rc != 0)
				log_warnx("%s: commit: %s", im->c->db, mdb_strerror(rc));
		} else
			mdb_txn_abort(im->txn);
		im->txn = NULL;
	}
	store_close(im->store);
	im->store = NULL;
	if ((!ok || rc != 0) && im->created) {
		unlink(im->datafile);
		unlink(im->lockfile);
		if (im->made_dir) {
			snprintf(lockpath, sizeof(lockpath), "%s/import.lock", im->c->db);
			unlink(lockpath);
			rmdir(im->c->db);
		}
	}
	if (im->lockfd >= 0) {
		close(im->lockfd);	/* releases the flock */
		im->lockfd = -1;
	}
	return rc == 0 ? 0 : EXIT_IOERR;
}

static int
lmdb_fail(struct import *im, const char *what, int rc)
{
	log_warnx("%s: %s: %s", im->c->db, what, mdb_strerror(rc));
	return rc == MDB_MAP_FULL ? EXIT_CANTCREAT : EXIT_IOERR;
}

/* ------------------------------------------------------------------ */
/* Residents                                                           */

enum rcol {
	R_RID, R_HHID, R_REL, R_BIRTH, R_SEX, R_WARD, R_INS, R_TAXEX, R_INCOME,
	R_DEPS, R_SINGLE, R_DPHYS, R_DINT, R_DMENT, R_BEN, R_HIST, R_FLAGS,
	R_STATUS, R_NCOLS
};

static const char *const rcols[R_NCOLS] = {
	"resident_id", "household_id", "relationship", "birth_date", "sex",
	"ward", "insurance", "tax_exempt", "income", "dependents",
	"single_parent", "disability_physical", "disability_intellectual",
	"disability_mental", "benefits", "history", "flags", "status"
};

static const char *const status_words[3] = { "active", "moved_out", "deceased" };
static const char *const sex_words[2] = { "1", "2" };
static const char *const bool_words[2] = { "0", "1" };

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

static int
add_word_list(struct res_import *ri, unsigned col, enum vocab_kind kind,
    const char *s, size_t len, uint16_t *out, uint16_t *count)
{
	size_t i = 0;

	*count = 0;
	if (len == 0)
		return 0;
	while (i <= len) {
		const char *item = s + i, *semi = memchr(item, ';', len - i);
		size_t n = semi ? (size_t)(semi - item) : len - i;
		int idx;

		if (n == 0) {
			csvin_error(ri->im.in, col, "empty item in the ';' list");
			return -1;
		}
		if (item[0] == ' ' || item[n - 1] == ' ') {
			csvin_error(ri->im.in, col, "space around item '%.*s'",
			    (int)(n > 48 ? 48 : n), item);
			return -1;
		}
		idx = vocab_find(ri->v, kind, item, n);
		if (idx < 0) {
			const char *sug = vocab_suggest(ri->v, kind, item, n);

			csvin_error(ri->im.in, col, "unknown %s word '%.*s'%s%s%s",
			    vocab_kind_name(kind), (int)(n > 48 ? 48 : n), item,
			    sug ? " (did you mean " : "", sug ? sug : "",
			    sug ? "?)" : "");
			return -1;
		}
		uint16_t id = ri->word_ids[kind][idx];
		int dup = 0;

		for (unsigned k = 0; k < *count; k++)
			dup |= out[k] == id;
		if (!dup)	/* a repeated word is one word */
			out[(*count)++] = id;
		i += n + 1;
	}
	return 0;
}

static void
add_history(struct res_import *ri, const char *s, size_t len)
{
	struct csvin *in = ri->im.in;
	size_t i = 0;
	unsigned item_no = 0;

	ri->nhist = 0;
	if (len == 0)
		return;
	while (i <= len) {
		const char *item = s + i, *semi = memchr(item, ';', len - i);
		size_t n = semi ? (size_t)(semi - item) : len - i;
		const char *at = memchr(item, '@', n);

		item_no++;
		date_t d;
		int idx, rc;

		if (n == 0) {
			csvin_error(in, R_HIST, "empty item in the ';' list");
			return;
		}
		if (at == NULL) {
			csvin_error(in, R_HIST, "item %u is not event@YYYY-MM-DD",
			    item_no);
			return;
		}
		idx = vocab_find(ri->v, VOCAB_EVENT, item, (size_t)(at - item));
		if (idx < 0) {
			const char *sug = vocab_suggest(ri->v, VOCAB_EVENT, item,
			    (size_t)(at - item));

			csvin_error(in, R_HIST, "unknown event word '%.*s'%s%s%s",
			    (int)(at - item > 48 ? 48 : at - item), item,
			    sug ? " (did you mean " : "", sug ? sug : "",
			    sug ? "?)" : "");
			return;
		}
		rc = date_parse(at + 1, (size_t)(item + n - at - 1), &d);
		if (rc != DATE_OK) {
			csvin_error(in, R_HIST, "item %u (%.*s): the date: %s", item_no,
			    (int)(at - item), item, date_strerror(rc));
			return;
		}
		if (d > ri->today) {
			char t[DATE_STRLEN + 1];

			date_format(ri->today, t);
			csvin_error(in, R_HIST, "item %u (%.*s) is dated after today "
			    "(%s)", item_no, (int)(at - item), item, t);
			return;
		}
		if (ri->nhist == STORE_HIST_MAX) {
			csvin_error(in, R_HIST, "more than %d events", STORE_HIST_MAX);
			return;
		}
		if (ri->nhist == ri->hist_cap) {
			ri->hist_cap = ri->hist_cap ? 2 * ri->hist_cap : 64;
			ri->hist = xrealloc(ri->hist, ri->hist_cap * sizeof(*ri->hist));
			ri->hist_ids = xrealloc(ri->hist_ids,
			    ri->hist_cap * sizeof(*ri->hist_ids));
			ri->hist_dates = xrealloc(ri->hist_dates,
			    ri->hist_cap * sizeof(*ri->hist_dates));
		}
		ri->hist[ri->nhist].id = ri->word_ids[VOCAB_EVENT][idx];
		ri->hist[ri->nhist].date = d;
		ri->nhist++;
		i += n + 1;
	}
}

static void
res_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	struct res_import *ri = user;
	struct resident *r = &ri->r;
	int64_t v;
	int rc, w;

	ri->im.in = in;		/* this chunk's reader, for the helpers */
	if (len == 0 && col != R_WARD && col != R_INCOME && col != R_BEN &&
	    col != R_HIST && col != R_FLAGS && col != R_STATUS) {
		csvin_error(in, col, "empty value");
		return;
	}
	switch (col) {
	case R_RID:
	case R_HHID:
		if (len > ID_MAX) {
			csvin_error(in, col, "longer than %d bytes", ID_MAX);
			return;
		}
		if (col == R_RID) {
			pseudo_compute(ri->im.key, s, len, ri->res);
			return;
		}
		/* Extracts list a household's members together: hash each
		 * household id once. */
		if (len != ri->last_hh_len || memcmp(s, ri->last_hh_id, len) != 0) {
			pseudo_compute(ri->im.key, s, len, ri->last_hh);
			memcpy(ri->last_hh_id, s, len);
			ri->last_hh_len = len;
		}
		memcpy(ri->hh, ri->last_hh, PSEUDO_LEN);
		return;
	case R_REL:
		if ((w = enum_field(in, col, s, len, store_rel_names, 5)) >= 0)
			r->relationship = (uint8_t)w;
		return;
	case R_BIRTH:
		rc = date_parse(s, len, &r->birth);
		if (rc != DATE_OK)
			csvin_error(in, col, "%s", date_strerror(rc));
		else if (r->birth > ri->today) {
			char t[DATE_STRLEN + 1];

			date_format(ri->today, t);
			csvin_error(in, col, "after today (%s)", t);
		}
		return;
	case R_SEX:
		if ((w = enum_field(in, col, s, len, sex_words, 2)) >= 0)
			r->sex = (uint8_t)(w + 1);
		return;
	case R_WARD:
		if (len > WARD_MAX) {
			csvin_error(in, col, "longer than %d bytes", WARD_MAX);
			return;
		}
		memcpy(ri->ward, s, len);
		r->ward_len = (uint8_t)len;
		return;
	case R_INS:
		if ((w = enum_field(in, col, s, len, store_ins_names, 5)) >= 0)
			r->insurance = (uint8_t)w;
		return;
	case R_TAXEX:
	case R_SINGLE:
		if ((w = enum_field(in, col, s, len, bool_words, 2)) >= 0) {
			if (col == R_TAXEX)
				r->tax_exempt = (uint8_t)w;
			else
				r->single_parent = (uint8_t)w;
		}
		return;
	case R_INCOME:
	case R_DEPS:
		if (len == 0) {
			r->income = -1;
			return;
		}
		if (parse_uint(s, len, &v) != 0) {
			csvin_error(in, col, "not an integer (decimal digits only, "
			    "at most %d)", INT_DIGITS_MAX);
			return;
		}
		if (col == R_INCOME)
			r->income = v;
		else
			r->dependents = v;
		return;
	case R_DPHYS:
	case R_DINT:
	case R_DMENT: {
		int max = col == R_DPHYS ? 6 : col == R_DINT ? 2 : 3;

		if (len != 1 || s[0] < '0' || s[0] > '0' + max) {
			csvin_error(in, col, "'%.*s' is not a grade 0..%d",
			    (int)(len > 20 ? 20 : len), s, max);
			return;
		}
		if (col == R_DPHYS)
			r->disability_physical = (uint8_t)(s[0] - '0');
		else if (col == R_DINT)
			r->disability_intellectual = (uint8_t)(s[0] - '0');
		else
			r->disability_mental = (uint8_t)(s[0] - '0');
		return;
	}
	case R_BEN:
		add_word_list(ri, col, VOCAB_BENEFIT, s, len, ri->ben, &r->nbenefits);
		return;
	case R_FLAGS:
		add_word_list(ri, col, VOCAB_FLAG, s, len, ri->flg, &r->nflags);
		return;
	case R_HIST:
		add_history(ri, s, len);
		return;
	case R_STATUS:
		if (len == 0) {
			ri->remove = 0;
			return;
		}
		if ((w = enum_field(in, col, s, len, status_words, 3)) >= 0)
			ri->remove = w != 0;
		return;
	}
}

/* The vocabulary word of a store event id, for messages. */
static const char *
event_word(const struct res_import *ri, uint16_t id)
{
	for (size_t i = 0; i < vocab_count(ri->v, VOCAB_EVENT); i++)
		if (ri->word_ids[VOCAB_EVENT][i] == id)
			return vocab_word(ri->v, VOCAB_EVENT, i);
	return "?";
}

static void
res_row(struct csvin *in, void *user)
{
	struct res_import *ri = user;
	struct resident *r = &ri->r;
	size_t need;
	struct row *row;
	int n;

	if (csvin_row_errors(in) == 0) {
		for (size_t i = 0; i < ri->nhist; i++)
			if (ri->hist[i].date < r->birth) {
				csvin_error(in, R_HIST, "an event (%s) is dated "
				    "before the birth date", event_word(ri,
				    ri->hist[i].id));
				break;
			}
	}
	if (csvin_row_errors(in) != 0)
		goto next;
	n = store_history_normalize(ri->hist, ri->nhist, ri->hist_ids,
	    ri->hist_dates);
	if (n < 0) {
		csvin_error(in, R_HIST, "%s", store_strerror(n));
		goto next;
	}
	r->nhistory = (uint16_t)n;
	r->ward = ri->ward;
	need = 64 + r->ward_len + 2u * r->nbenefits + 2u * r->nflags +
	    STORE_HIST_ENTRY * (size_t)n;
	if (ri->arena_len + need > ri->arena_cap) {
		ri->arena_cap = (ri->arena_len + need) * 2 + (1 << 20);
		ri->arena = xrealloc(ri->arena, ri->arena_cap);
	}
	if (ri->nrows == ri->rows_cap) {
		ri->rows_cap = ri->rows_cap ? 2 * ri->rows_cap : 65536;
		ri->rows = xrealloc(ri->rows, ri->rows_cap * sizeof(*ri->rows));
	}
	row = &ri->rows[ri->nrows++];
	memcpy(row->key, ri->hh, PSEUDO_LEN);
	memcpy(row->key + PSEUDO_LEN, ri->res, PSEUDO_LEN);
	row->line = csvin_line(in);
	row->remove = (uint32_t)ri->remove;
	row->off = ri->arena_len;
	row->len = (uint32_t)store_resident_encode(r, ri->ben, ri->flg,
	    ri->hist_ids, ri->hist_dates, ri->arena + ri->arena_len,
	    ri->arena_cap - ri->arena_len);
	ri->arena_len += row->len;
next:
	memset(r, 0, sizeof(*r));
	r->income = -1;
	ri->nhist = 0;
	ri->remove = 0;
}

/* A household a resident left, and the line that moved them. */
struct affected {
	uint8_t hh[PSEUDO_LEN];
	uint32_t line;
};

/* Check that household hh has exactly one head now; line is the first row
 * of the file that touched it. */
static int
check_household(struct res_import *ri, MDB_cursor *cur, int *at_next,
    const uint8_t *hh, uint32_t line)
{
	MDB_val k = { PSEUDO_LEN, (void *)hh }, v;
	unsigned heads = 0, members = 0;
	int rc = MDB_NOTFOUND;

	/* After a household the cursor stands on the first record of the
	 * next one (*at_next); in key order that is often the household
	 * wanted, so look there before seeking. */
	if (*at_next)
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
	if (rc != 0 || k.mv_size != STORE_RES_KEY_LEN ||
	    memcmp(k.mv_data, hh, PSEUDO_LEN) != 0) {
		k.mv_size = PSEUDO_LEN;
		k.mv_data = (void *)hh;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	while (rc == 0 && k.mv_size == STORE_RES_KEY_LEN &&
	    memcmp(k.mv_data, hh, PSEUDO_LEN) == 0) {
		members++;
		if (store_resident_relationship(v.mv_data, v.mv_size) == REL_HEAD)
			heads++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	*at_next = rc == 0;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (members > 0 && heads != 1)
		csvin_error_at(ri->im.in, line, R_REL, heads == 0 ?
		    "the household has no head after this file is applied "
		    "(%u members)" : "the household has %u heads after this "
		    "file is applied", heads ? heads : members);
	return 0;
}

static int
cmp_affected(const void *a, const void *b)
{
	const struct affected *x = a, *y = b;
	int c = memcmp(x->hh, y->hh, PSEUDO_LEN);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Whether some row of the file is in household hh (rows in key order). */
static int
rows_have_household(const struct res_import *ri, const uint32_t *bykey,
    const uint8_t *hh)
{
	size_t lo = 0, hi = ri->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ri->rows[bykey[mid]].key, hh, PSEUDO_LEN);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Every household the file touched must have exactly one head now: those
 * of its rows (in key order, so each household once) and those residents
 * left (moved, in any order). */
static int
check_households(struct res_import *ri, const uint32_t *bykey,
    struct affected *moved, size_t nmoved)
{
	MDB_cursor *cur;
	int rc, at_next = 0;

	rc = mdb_cursor_open(ri->im.txn, store_dbi(ri->im.store)->residents, &cur);
	if (rc != 0)
		return rc;
	for (size_t lo = 0; lo < ri->nrows && rc == 0;) {
		const uint8_t *hh = ri->rows[bykey[lo]].key;
		uint32_t line = ri->rows[bykey[lo]].line;
		size_t hi = lo + 1;

		/* Name the household's first row in the file. */
		for (; hi < ri->nrows &&
		    memcmp(ri->rows[bykey[hi]].key, hh, PSEUDO_LEN) == 0; hi++)
			if (ri->rows[bykey[hi]].line < line)
				line = ri->rows[bykey[hi]].line;
		rc = check_household(ri, cur, &at_next, hh, line);
		lo = hi;
	}
	/* households residents left, each once, at its first line */
	qsort(moved, nmoved, sizeof(*moved), cmp_affected);
	for (size_t i = 0; i < nmoved && rc == 0; i++)
		if ((i == 0 || memcmp(moved[i].hh, moved[i - 1].hh, PSEUDO_LEN) != 0) &&
		    !rows_have_household(ri, bykey, moved[i].hh))
			rc = check_household(ri, cur, &at_next, moved[i].hh,
			    moved[i].line);
	mdb_cursor_close(cur);
	return rc;
}

struct counts {
	uint32_t added, replaced, removed, absent;
};

static int
apply_residents(struct res_import *ri, struct counts *cnt)
{
	const struct store_dbi *dbi = store_dbi(ri->im.store);
	MDB_txn *txn = ri->im.txn;
	uint32_t *bykey = NULL, *byres;
	struct affected *moved;
	size_t nmoved = 0;
	MDB_stat st;
	int rc, empty;
	unsigned put_flags;

	rc = mdb_stat(txn, dbi->residents, &st);
	if (rc != 0)
		return lmdb_fail(&ri->im, "mdb_stat", rc);
	empty = st.ms_entries == 0;
	put_flags = empty ? MDB_APPEND : 0;

	double t0 = util_now();

	byres = util_order_keys(ri->rows, sizeof(*ri->rows), ri->nrows,
	    offsetof(struct row, key) + PSEUDO_LEN, PSEUDO_LEN);
	for (size_t i = 1; i < ri->nrows; i++) {
		const struct row *a = &ri->rows[byres[i - 1]], *b = &ri->rows[byres[i]];

		if (i + 16 < ri->nrows)
			__builtin_prefetch(&ri->rows[byres[i + 16]]);

		if (memcmp(a->key + PSEUDO_LEN, b->key + PSEUDO_LEN, PSEUDO_LEN) == 0)
			csvin_error_at(ri->im.in, b->line, R_RID,
			    "appears twice in the file (also on line %u)", a->line);
	}
	if (csvin_errors(ri->im.in) != 0) {
		free(byres);
		return EXIT_DATAERR;
	}
	bykey = util_order_keys(ri->rows, sizeof(*ri->rows), ri->nrows,
	    offsetof(struct row, key), STORE_RES_KEY_LEN);
	log_debug("import: sorted in %.2f s", util_now() - t0);

	moved = xmalloc((ri->nrows + 1) * sizeof(*moved));
	/* Rows in key order: the residents database. */
	for (size_t i = 0; i < ri->nrows; i++) {
		struct row *row = &ri->rows[bykey[i]];
		MDB_val k = { PSEUDO_LEN, row->key + PSEUDO_LEN }, v;

		/* Rows are visited in key order, scattered in memory: fetch
		 * ahead (the row, then its record). */
		if (i + 16 < ri->nrows)
			__builtin_prefetch(&ri->rows[bykey[i + 16]]);
		if (i + 8 < ri->nrows)
			__builtin_prefetch(ri->arena + ri->rows[bykey[i + 8]].off);

		if (!empty) {
			rc = mdb_get(txn, dbi->resident_hh, &k, &v);
			if (rc == 0 && v.mv_size == PSEUDO_LEN) {
				uint8_t old[STORE_RES_KEY_LEN];
				MDB_val ok = { STORE_RES_KEY_LEN, old };

				memcpy(old, v.mv_data, PSEUDO_LEN);
				memcpy(old + PSEUDO_LEN, row->key + PSEUDO_LEN, PSEUDO_LEN);
				if (row->remove || memcmp(old, row->key, PSEUDO_LEN) != 0) {
					rc = mdb_del(txn, dbi->residents, &ok, NULL);
					if (rc != 0 && rc != MDB_NOTFOUND)
						goto fail;
					memcpy(moved[nmoved].hh, old, PSEUDO_LEN);
					moved[nmoved++].line = row->line;
				}
				if (row->remove)
					cnt->removed++;
				else
					cnt->replaced++;
			} else if (rc == MDB_NOTFOUND) {
				if (row->remove)
					cnt->absent++;
				else
					cnt->added++;
			} else if (rc != 0)
				goto fail;
		} else if (row->remove)
			cnt->absent++;
		else
			cnt->added++;
		if (row->remove)
			continue;
		k.mv_size = STORE_RES_KEY_LEN;
		k.mv_data = row->key;
		v.mv_size = row->len;
		v.mv_data = ri->arena + row->off;
		rc = mdb_put(txn, dbi->residents, &k, &v, put_flags);
		if (rc != 0)
			goto fail;
	}
	/* Rows in resident order: the resident -> household index, and the
	 * contacts of removed residents. */
	for (size_t i = 0; i < ri->nrows; i++) {
		struct row *row = &ri->rows[byres[i]];
		MDB_val k = { PSEUDO_LEN, row->key + PSEUDO_LEN };
		MDB_val v = { PSEUDO_LEN, row->key };

		if (i + 16 < ri->nrows)
			__builtin_prefetch(&ri->rows[byres[i + 16]]);

		if (row->remove) {
			/* the contacts may be there before any resident is */
			rc = mdb_del(txn, dbi->resident_hh, &k, NULL);
			if (rc != 0 && rc != MDB_NOTFOUND)
				goto fail;
			for (uint8_t ch = CHANNEL_LINE; ch <= CHANNEL_EMAIL; ch++) {
				uint8_t ck[PSEUDO_LEN + 1];
				MDB_val cv = { sizeof(ck), ck };

				memcpy(ck, row->key + PSEUDO_LEN, PSEUDO_LEN);
				ck[PSEUDO_LEN] = ch;
				rc = mdb_del(txn, dbi->contacts, &cv, NULL);
				if (rc != 0 && rc != MDB_NOTFOUND)
					goto fail;
			}
			continue;
		}
		rc = mdb_put(txn, dbi->resident_hh, &k, &v, put_flags);
		if (rc != 0)
			goto fail;
	}
	free(byres);
	log_debug("import: written in %.2f s", util_now() - t0);
	rc = check_households(ri, bykey, moved, nmoved);
	log_debug("import: households checked in %.2f s", util_now() - t0);
	free(bykey);
	free(moved);
	if (rc != 0)
		return lmdb_fail(&ri->im, "household check", rc);
	return csvin_errors(ri->im.in) ? EXIT_DATAERR : 0;
fail:
	free(byres);
	free(bykey);
	free(moved);
	return lmdb_fail(&ri->im, "write", rc);
}

#define MAX_CHUNKS 16

/* --threads: readers of a large file (at most one per CPU is used). */
static unsigned import_threads = MAX_CHUNKS;

/*
 * Read im->in's file in chunks (csvin.h), each chunk with its own copy of
 * the reading state `first` (size bytes; the copies share only read-only
 * state such as keys and vocabulary).  Afterwards merge(first, copy) is
 * called for each copy in file order, and the copy freed.
 */
static int
read_chunked(struct import *im, void *first, size_t size, const char *encoding,
    const struct csvin_ops *ops, void (*merge)(void *into, void *from))
{
	void *users[MAX_CHUNKS];
	struct csvin *parent = im->in;
	int rc;

	users[0] = first;
	for (int i = 1; i < MAX_CHUNKS; i++) {
		users[i] = xmalloc(size);
		memcpy(users[i], first, size);
	}
	rc = csvin_run(parent, encoding, ops, users, import_threads);
	im->in = parent;	/* the callbacks pointed it at their chunk */
	for (int i = 1; i < MAX_CHUNKS; i++) {
		merge(first, users[i]);
		free(users[i]);
	}
	/* csvin_run has said what went wrong */
	return rc == 0 ? 0 : rc == CSVIN_ENOINPUT ? EXIT_NOINPUT :
	    rc == CSVIN_EDATA ? EXIT_DATAERR : EXIT_SOFTWARE;
}

static void
merge_residents(void *into, void *from)
{
	struct res_import *ri = into, *c = from;

	if (c->nrows > 0) {
		if (ri->arena_len + c->arena_len > ri->arena_cap) {
			ri->arena_cap = ri->arena_len + c->arena_len;
			ri->arena = xrealloc(ri->arena, ri->arena_cap);
		}
		memcpy(ri->arena + ri->arena_len, c->arena, c->arena_len);
		if (ri->nrows + c->nrows > ri->rows_cap) {
			ri->rows_cap = ri->nrows + c->nrows;
			ri->rows = xrealloc(ri->rows, ri->rows_cap * sizeof(*ri->rows));
		}
		for (size_t j = 0; j < c->nrows; j++) {
			ri->rows[ri->nrows + j] = c->rows[j];
			ri->rows[ri->nrows + j].off += ri->arena_len;
		}
		ri->nrows += c->nrows;
		ri->arena_len += c->arena_len;
	}
	free(c->rows);
	free(c->arena);
	free(c->hist);
	free(c->hist_ids);
	free(c->hist_dates);
}

static int
map_vocab(struct res_import *ri)
{
	for (int k = 0; k < VOCAB_NKINDS; k++) {
		size_t n = vocab_count(ri->v, k);

		ri->word_ids[k] = xcalloc(n + 1, sizeof(uint16_t));
		for (size_t i = 0; i < n; i++) {
			int rc = store_word_id(ri->im.txn, store_dbi(ri->im.store),
			    k, vocab_word(ri->v, k, i), 1, &ri->word_ids[k][i]);

			if (rc != 0)
				return lmdb_fail(&ri->im, "vocabulary", rc);
		}
	}
	return 0;
}

static void
write_meta(struct import *im, const char *name, date_t today, unsigned long rows,
    const struct counts *cnt, const char *removed)
{
	char buf[256], d[DATE_STRLEN + 1], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int n, rc;

	date_format(today, d);
	date_tm_jst(now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+09:00", &tm);
	n = snprintf(buf, sizeof(buf), "at=%s date=%s rows=%lu added=%u "
	    "replaced=%u %s=%u", when, d, rows, cnt->added,
	    cnt->replaced, removed, cnt->removed);
	rc = store_meta_put(im->txn, store_dbi(im->store), name, buf, (size_t)n);
	if (rc != 0)
		log_warnx("%s: metadata: %s", im->c->db, mdb_strerror(rc));
}

static int
import_residents(struct common *c, const char *file, const char *encoding)
{
	struct res_import ri;
	struct counts cnt = { 0, 0, 0, 0 };
	struct csvin_ops ops = { res_field, res_row };
	char err[1400];
	double t0 = util_now();
	struct vocab *v;
	int rc, xrc;

	memset(&ri, 0, sizeof(ri));
	ri.im.c = c;
	ri.im.lockfd = -1;
	ri.today = c->date;
	ri.r.income = -1;
	rc = vocab_load(c->rules, &v, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		return rc;
	}
	ri.v = v;
	ri.im.key = pseudo_key_load(c->key, &rc);
	if (ri.im.key == NULL)
		goto out;
	if (access(file, R_OK) != 0) {
		log_warn("%s", file);
		rc = EXIT_NOINPUT;
		goto out;
	}
	if ((rc = import_open(&ri.im)) != 0)
		goto out;
	if ((rc = map_vocab(&ri)) != 0)
		goto out;
	ri.im.in = csvin_new(file, rcols, R_NCOLS, (int)c->cfg.max_errors);
	rc = read_chunked(&ri.im, &ri, sizeof(ri), encoding, &ops, merge_residents);
	log_debug("import: read and checked in %.2f s", util_now() - t0);
	/* after field errors too: duplicates are reported with them */
	if (rc == 0)
		rc = apply_residents(&ri, &cnt);
	log_debug("import: applied at %.2f s", util_now() - t0);
	if (rc == 0 && csvin_errors(ri.im.in) != 0)
		rc = EXIT_DATAERR;
	if (rc == 0)
		write_meta(&ri.im, "import.residents", c->date,
		    csvin_rows(ri.im.in), &cnt, "removed");
	csvin_finish(ri.im.in);
out:
	xrc = import_close(&ri.im, rc == 0);
	log_debug("import: committed at %.2f s", util_now() - t0);
	if (rc == 0)
		rc = xrc;
	if (rc == EXIT_DATAERR && ri.im.in != NULL)
		fprintf(stderr, "%s: %lu error(s); nothing was imported, the "
		    "store is unchanged\n", file, csvin_errors(ri.im.in));
	else if (rc == 0 && !c->quiet)
		fprintf(stderr, "%s: %lu rows in %.2f s: %u added, %u replaced, "
		    "%u removed, %u removals of residents not in the store\n",
		    file, ri.im.in ? csvin_rows(ri.im.in) : 0, util_now() - t0, cnt.added,
		    cnt.replaced, cnt.removed, cnt.absent);
	csvin_free(ri.im.in);
	pseudo_key_free(ri.im.key);
	for (int k = 0; k < VOCAB_NKINDS; k++)
		free(ri.word_ids[k]);
	free(ri.rows);
	free(ri.arena);
	free(ri.hist);
	free(ri.hist_ids);
	free(ri.hist_dates);
	vocab_free(v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Contacts                                                            */

enum ccol { C_RID, C_CHANNEL, C_ADDR, C_LANG, C_CONSENT, C_STATUS, C_NCOLS };

static const char *const ccols[C_NCOLS] = {
	"resident_id", "channel", "address", "language", "consent", "status"
};
static const char *const channel_words[2] = { "line", "email" };
static const char *const lang_words[2] = { "ja", "en" };
static const char *const consent_words[4] = { "health", "child", "welfare", "tax" };
static const char *const cstatus_words[2] = { "active", "withdrawn" };

#define CROW_VALUE_MAX (8 + STORE_NONCE_LEN + 2 + ADDRBOX_MAX_ADDR + ADDRBOX_TAG_LEN)

struct crow {
	uint8_t key[PSEUDO_LEN + 1];	/* res || channel */
	uint8_t withdrawn;
	uint32_t line;
	uint16_t len;
	uint8_t val[CROW_VALUE_MAX];
};

struct con_import {
	struct import im;
	struct addrbox *box;
	uint32_t import_no;
	struct contact cur;
	uint8_t res[PSEUDO_LEN];
	char addr[ADDRBOX_MAX_ADDR + 1];
	size_t addr_len;
	int channel;
	struct crow *rows;
	size_t nrows, cap;
	unsigned long unsealed;	/* addresses addrbox_seal failed on */
};

static int
line_address_ok(const char *s, size_t len)
{
	if (len != 33 || s[0] != 'U')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static const char *
email_address_problem(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	if (len > ADDRBOX_MAX_ADDR)
		return "longer than 254 bytes";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return "contains a space or a control character";
	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return "must contain exactly one '@'";
	if (at == s)
		return "empty local part";
	if (memchr(at + 1, '.', len - (size_t)(at - s) - 1) == NULL)
		return "the domain has no dot";
	return NULL;
}

static void
con_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	struct con_import *ci = user;
	int w;

	ci->im.in = in;
	if (len == 0 && col != C_CONSENT) {
		csvin_error(in, col, "empty value");
		return;
	}
	switch (col) {
	case C_RID:
		if (len > ID_MAX)
			csvin_error(in, col, "longer than %d bytes", ID_MAX);
		else
			pseudo_compute(ci->im.key, s, len, ci->res);
		return;
	case C_CHANNEL:
		if ((w = enum_field(in, col, s, len, channel_words, 2)) >= 0)
			ci->channel = w == 0 ? CHANNEL_LINE : CHANNEL_EMAIL;
		return;
	case C_ADDR:
		if (len > ADDRBOX_MAX_ADDR) {
			csvin_error(in, col, "longer than %d bytes", ADDRBOX_MAX_ADDR);
			return;
		}
		memcpy(ci->addr, s, len);
		ci->addr_len = len;
		return;
	case C_LANG:
		if ((w = enum_field(in, col, s, len, lang_words, 2)) >= 0)
			ci->cur.language = (uint8_t)w;
		return;
	case C_CONSENT: {
		size_t i = 0;

		ci->cur.consent = 0;
		while (len > 0 && i <= len) {
			const char *item = s + i, *semi = memchr(item, ';', len - i);
			size_t n = semi ? (size_t)(semi - item) : len - i;

			if (n == 0) {
				csvin_error(in, col, "empty item in the ';' list");
				return;
			}
			if ((w = enum_field(in, col, item, n, consent_words, 4)) < 0)
				return;
			ci->cur.consent |= (uint8_t)(1u << w);
			i += n + 1;
		}
		return;
	}
	case C_STATUS:
		if ((w = enum_field(in, col, s, len, cstatus_words, 2)) >= 0)
			ci->cur.status = (uint8_t)w;
		return;
	}
}

static void
con_row(struct csvin *in, void *user)
{
	struct con_import *ci = user;
	struct crow *row;
	uint8_t nonce[ADDRBOX_NONCE_LEN];
	uint8_t ct[ADDRBOX_MAX_ADDR + ADDRBOX_TAG_LEN];
	const char *why;

	if (csvin_row_errors(in) != 0)
		goto next;
	if (ci->channel == CHANNEL_LINE && !line_address_ok(ci->addr, ci->addr_len)) {
		csvin_error(in, C_ADDR, "a LINE user id is 'U' and 32 lowercase "
		    "hex digits");
		goto next;
	}
	if (ci->channel == CHANNEL_EMAIL &&
	    (why = email_address_problem(ci->addr, ci->addr_len)) != NULL) {
		csvin_error(in, C_ADDR, "not an email address: %s", why);
		goto next;
	}
	if (ci->nrows == ci->cap) {
		ci->cap = ci->cap ? 2 * ci->cap : 4096;
		ci->rows = xrealloc(ci->rows, ci->cap * sizeof(*ci->rows));
	}
	row = &ci->rows[ci->nrows++];
	memcpy(row->key, ci->res, PSEUDO_LEN);
	row->key[PSEUDO_LEN] = (uint8_t)ci->channel;
	row->line = csvin_line(in);
	row->withdrawn = ci->cur.status == CONTACT_WITHDRAWN;
	ci->cur.import_no = ci->import_no;
	if (ci->cur.status == CONTACT_WITHDRAWN) {
		/* A withdrawn contact's address is not kept. */
		ci->cur.nonce = NULL;
		ci->cur.ct_len = 0;
	} else {
		/* The line is unique per row: the nonce's counter. */
		if (addrbox_seal(ci->box, row->line, ci->res, (uint8_t)ci->channel, ci->addr,
		    ci->addr_len, nonce, ct) != 0) {
			ci->nrows--;	/* the import fails (import_contacts) */
			ci->unsealed++;
			goto next;
		}
		ci->cur.nonce = nonce;
		ci->cur.ct = ct;
		ci->cur.ct_len = (uint16_t)(ci->addr_len + ADDRBOX_TAG_LEN);
	}
	row->len = (uint16_t)store_contact_encode(&ci->cur, row->val, sizeof(row->val));
next:
	sodium_memzero(ci->addr, sizeof(ci->addr));
	memset(&ci->cur, 0, sizeof(ci->cur));
	ci->channel = 0;
	ci->addr_len = 0;
}

static void
merge_contacts(void *into, void *from)
{
	struct con_import *ci = into, *c = from;

	if (c->nrows > 0) {
		if (ci->nrows + c->nrows > ci->cap) {
			ci->cap = ci->nrows + c->nrows;
			ci->rows = xrealloc(ci->rows, ci->cap * sizeof(*ci->rows));
		}
		memcpy(ci->rows + ci->nrows, c->rows, c->nrows * sizeof(*c->rows));
		ci->nrows += c->nrows;
	}
	ci->unsealed += c->unsealed;
	free(c->rows);
}

static int
apply_contacts(struct con_import *ci, uint8_t *e_pk, unsigned long *absent,
    struct counts *cnt)
{
	const struct store_dbi *dbi = store_dbi(ci->im.store);
	MDB_txn *txn = ci->im.txn;
	uint8_t nokey[4], seq[4];
	uint32_t *order;
	const char *what = "write";
	MDB_stat st;
	int rc, empty;

	order = util_order_keys(ci->rows, sizeof(*ci->rows), ci->nrows,
	    offsetof(struct crow, key), sizeof(ci->rows[0].key));
	for (size_t i = 1; i < ci->nrows; i++) {
		const struct crow *a = &ci->rows[order[i - 1]], *b = &ci->rows[order[i]];

		if (memcmp(a->key, b->key, PSEUDO_LEN + 1) == 0)
			csvin_error_at(ci->im.in, b->line, C_CHANNEL,
			    "a second %s contact for the same resident (also on "
			    "line %u)", b->key[PSEUDO_LEN] == CHANNEL_LINE ?
			    "line" : "email", a->line);
	}
	if (csvin_errors(ci->im.in) != 0) {
		free(order);
		return EXIT_DATAERR;
	}

	/* The import's ephemeral key, under its number (big-endian, so the
	 * keys sort by number), and the number itself. */
	for (int i = 0; i < 4; i++) {
		nokey[i] = (uint8_t)(ci->import_no >> (24 - 8 * i));
		seq[i] = (uint8_t)(ci->import_no >> (8 * i));
	}
	{
		MDB_val k = { 4, nokey }, v = { ADDRBOX_PK_LEN, e_pk };

		what = "contact key";
		if ((rc = mdb_put(txn, dbi->contact_keys, &k, &v, 0)) != 0 ||
		    (rc = store_meta_put(txn, dbi, "contacts.seq", seq, 4)) != 0 ||
		    (rc = mdb_stat(txn, dbi->contacts, &st)) != 0)
			goto fail;
	}
	empty = st.ms_entries == 0;
	what = "write";
	for (size_t i = 0; i < ci->nrows; i++) {
		struct crow *row = &ci->rows[order[i]];
		MDB_val k = { PSEUDO_LEN + 1, row->key }, v = { row->len, row->val };
		MDB_val rk = { PSEUDO_LEN, row->key }, rv;

		if (!empty) {
			MDB_val old;

			rc = mdb_get(txn, dbi->contacts, &k, &old);
			if (rc == 0)
				cnt->replaced++;
			else if (rc != MDB_NOTFOUND)
				goto fail;
		}
		rc = mdb_put(txn, dbi->contacts, &k, &v, empty ? MDB_APPEND : 0);
		if (rc != 0)
			goto fail;
		if (row->withdrawn)
			cnt->removed++;
		rc = mdb_get(txn, dbi->resident_hh, &rk, &rv);
		if (rc == MDB_NOTFOUND)
			(*absent)++;
		else if (rc != 0)
			goto fail;
	}
	free(order);
	return 0;
fail:
	free(order);
	return lmdb_fail(&ci->im, what, rc);
}

static int
import_contacts(struct common *c, const char *file, const char *encoding)
{
	struct con_import ci;
	struct csvin_ops ops = { con_field, con_row };
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32];
	uint8_t pk[ADDRBOX_PK_LEN], e_pk[ADDRBOX_PK_LEN], seq[4];
	const char *why;
	unsigned long absent = 0;
	struct counts cnt = { 0, 0, 0, 0 };
	double t0 = util_now();
	size_t len;
	int rc, xrc;

	memset(&ci, 0, sizeof(ci));
	ci.im.c = c;
	ci.im.lockfd = -1;
	config_contacts_paths(&c->cfg, c->db, pub, sec, sizeof(pub));
	if (addrbox_read_pub(pub, pk, &why) != 0) {
		log_warnx("%s: %s (create the contact keys with 'oshirase keygen "
		    "--contacts --db DIR')", pub, why);
		return EXIT_NOINPUT;
	}
	ci.im.key = pseudo_key_load(c->key, &rc);
	if (ci.im.key == NULL)
		return rc;
	if (access(file, R_OK) != 0) {
		log_warn("%s", file);
		rc = EXIT_NOINPUT;
		goto out;
	}
	if ((rc = import_open(&ci.im)) != 0)
		goto out;
	rc = store_meta_get(ci.im.txn, store_dbi(ci.im.store), "contacts.seq",
	    seq, sizeof(seq), &len);
	if (rc == 0 && len == 4)
		ci.import_no = (uint32_t)store_i32(seq) + 1;
	else if (rc == MDB_NOTFOUND)
		ci.import_no = 1;
	else {
		rc = lmdb_fail(&ci.im, "metadata", rc ? rc : MDB_CORRUPTED);
		goto out;
	}
	ci.box = addrbox_sealer_new(pk, e_pk);
	if (ci.box == NULL) {
		log_warnx("%s: not a usable public key", pub);
		rc = EXIT_DATAERR;
		goto out;
	}
	ci.im.in = csvin_new(file, ccols, C_NCOLS, (int)c->cfg.max_errors);
	rc = read_chunked(&ci.im, &ci, sizeof(ci), encoding, &ops, merge_contacts);
	if (rc == 0 && ci.unsealed != 0) {
		log_warnx("%s: addrbox_seal failed on %lu addresses", file,
		    ci.unsealed);
		rc = EXIT_SOFTWARE;
	}
	if (rc == 0)
		rc = apply_contacts(&ci, e_pk, &absent, &cnt);
	if (rc == 0 && csvin_errors(ci.im.in) != 0)
		rc = EXIT_DATAERR;
	if (rc == 0) {
		cnt.added = (uint32_t)ci.nrows - cnt.replaced;
		write_meta(&ci.im, "import.contacts", c->date,
		    csvin_rows(ci.im.in), &cnt, "withdrawn");
	}
	csvin_finish(ci.im.in);
out:
	xrc = import_close(&ci.im, rc == 0);
	if (rc == 0)
		rc = xrc;
	if (rc == EXIT_DATAERR && ci.im.in != NULL)
		fprintf(stderr, "%s: %lu error(s); nothing was imported, the "
		    "store is unchanged\n", file, csvin_errors(ci.im.in));
	else if (rc == 0) {
		if (absent)
			log_warnx("%s: warning: %lu contacts are for residents not "
			    "(yet) in the store; they are kept", file, absent);
		if (!c->quiet)
			fprintf(stderr, "%s: %zu contacts in %.2f s: %u added, "
			    "%u replaced, %u withdrawn\n", file, ci.nrows,
			    util_now() - t0, cnt.added, cnt.replaced, cnt.removed);
	}
	addrbox_free(ci.box);
	csvin_free(ci.im.in);
	pseudo_key_free(ci.im.key);
	free(ci.rows);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: oshirase import residents FILE [options]\n"
	    "       oshirase import contacts FILE [options]\n"
	    "  --db DIR          the store (created on first import)\n"
	    "  --key FILE        the pseudonymisation key\n"
	    "  --rules DIR       where vocabulary.ini is (residents)\n"
	    "  --date D          the date taken as today (default: today in Japan)\n"
	    "  --encoding E      utf-8 (default) or shift_jis (CP932)\n"
	    "  --threads N       read a large file with up to N threads (default:\n"
	    "                    one per CPU)\n"
	    "  -c FILE           config file; -q quiet\n"
	    "The whole file is applied in one transaction or not at all: a bad\n"
	    "row is reported as FILE:LINE: column: reason and nothing changes\n"
	    "(exit 65).\n");
}

int
cmd_import(int argc, char **argv)
{
	enum { OPT_ENCODING = OPT_FIRST_LOCAL, OPT_THREADS };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	const char *encoding = "utf-8", *what, *file;
	int opt, rc;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_THREADS) {
			if (common_number("--threads", optarg, 1, MAX_CHUNKS,
			    &import_threads) != 0)
				return EXIT_USAGE;
		} else if (opt == OPT_ENCODING) {
			if (strcmp(optarg, "utf-8") != 0 && strcmp(optarg, "utf8") != 0 &&
			    strcmp(optarg, "shift_jis") != 0 && strcmp(optarg, "cp932") != 0) {
				log_warnx("--encoding: '%s' is not utf-8 or shift_jis", optarg);
				return EXIT_USAGE;
			}
			encoding = strcmp(optarg, "shift_jis") == 0 ||
			    strcmp(optarg, "cp932") == 0 ? "shift_jis" : "utf-8";
		} else if ((rc = common_option(&c, opt, optarg)) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	what = argv[optind];
	file = argv[optind + 1];
	if ((rc = common_finish(&c)) != 0)
		return rc;
	if (strcmp(what, "residents") == 0)
		return import_residents(&c, file, encoding);
	if (strcmp(what, "contacts") == 0)
		return import_contacts(&c, file, encoding);
	log_warnx("import: '%s' is not 'residents' or 'contacts'", what);
	usage(stderr);
	return EXIT_USAGE;
}
