/* import_residents.c - oshirase import residents: reading and checking rows
 * SPDX-License-Identifier: MIT
 *
 * The residents' half of reading (import.h lists the pieces): each field
 * is checked as csvin reads it, resident and household ids become
 * pseudonyms at once, vocabulary words become store word ids, and a row
 * without errors is encoded into its store record in an arena, with its
 * key (household || resident) beside it.  import_apply.c writes them.
 * Also here: import_residents, the steps of the whole import in order.
 */
#include "import.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INT_DIGITS_MAX 15

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

const char *const import_rcols[R_NCOLS] = {
	"resident_id", "household_id", "relationship", "birth_date", "sex",
	"ward", "insurance", "tax_exempt", "income", "dependents",
	"single_parent", "disability_physical", "disability_intellectual",
	"disability_mental", "benefits", "history", "flags", "status"
};

static const char *const status_words[3] = { "active", "moved_out", "deceased" };
static const char *const sex_words[2] = { "1", "2" };
static const char *const bool_words[2] = { "0", "1" };

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
		import_id_check(in, col, s, len);
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
		if ((w = import_enum_field(in, col, s, len, store_rel_names, 5)) >= 0)
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
		if ((w = import_enum_field(in, col, s, len, sex_words, 2)) >= 0)
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
		if ((w = import_enum_field(in, col, s, len, store_ins_names, 5)) >= 0)
			r->insurance = (uint8_t)w;
		return;
	case R_TAXEX:
	case R_SINGLE:
		if ((w = import_enum_field(in, col, s, len, bool_words, 2)) >= 0) {
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
		if ((w = import_enum_field(in, col, s, len, status_words, 3)) >= 0)
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
				return import_lmdb_fail(&ri->im, "vocabulary", rc);
		}
	}
	return 0;
}

int
import_residents(struct common *c, const char *file, const char *encoding,
    unsigned threads)
{
	struct res_import ri;
	struct counts cnt = { 0, 0, 0, 0, 0 };
	struct csvin_ops ops = { res_field, res_row };
	char err[1400];
	double t0 = util_now();
	struct vocab *v;
	int rc, xrc;

	memset(&ri, 0, sizeof(ri));
	ri.im.c = c;
	ri.im.lockfd = -1;
	ri.im.threads = threads;
	ri.today = c->date;
	ri.r.income = -1;
	rc = vocab_load(c->rules, &v, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		return rc == VOCAB_ENOINPUT ? EXIT_NOINPUT : EXIT_DATAERR;
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
	ri.im.in = csvin_new(file, import_rcols, R_NCOLS, (int)c->cfg.max_errors);
	rc = import_read_chunked(&ri.im, &ri, sizeof(ri), encoding, &ops, merge_residents);
	log_debug("import: read and checked in %.2f s", util_now() - t0);
	/* after field errors too: duplicates are reported with them */
	if (rc == 0)
		rc = import_apply_residents(&ri, &cnt);
	log_debug("import: applied at %.2f s", util_now() - t0);
	if (rc == 0 && csvin_errors(ri.im.in) != 0)
		rc = EXIT_DATAERR;
	if (rc == 0)
		import_write_meta(&ri.im, "import.residents", c->date,
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
	if (rc == 0 && ri.im.in != NULL && csvin_warnings(ri.im.in) != 0)
		log_warnx("%s: warning: %lu ids with a space at an end or a "
		    "byte order mark, taken as they are (see the warnings "
		    "above)", file, csvin_warnings(ri.im.in));
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
