/* import_apply.c - oshirase import residents: applying the rows to the store
 * SPDX-License-Identifier: MIT
 *
 * The checked rows (import_residents.c) go into the open write
 * transaction: a resident twice in the file is an error first; then the
 * residents database in key order (appends into an empty store), the
 * resident -> household index in resident order, with the contacts of
 * removed residents deleted, whoever set them (a resident who leaves
 * the city takes their addresses along: the queue seals their removal).
 * Last, every household the file touched,
 * including one a resident left, must have exactly one head among its
 * members in the store.  import.h lists the other pieces.
 */
#include "import.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

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

int
import_apply_residents(struct res_import *ri, struct counts *cnt)
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
		return import_lmdb_fail(&ri->im, "mdb_stat", rc);
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
		return import_lmdb_fail(&ri->im, "household check", rc);
	return csvin_errors(ri->im.in) ? EXIT_DATAERR : 0;
fail:
	free(byres);
	free(bykey);
	free(moved);
	return import_lmdb_fail(&ri->im, "write", rc);
}
