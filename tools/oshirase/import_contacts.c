/* import_contacts.c - oshirase import contacts: checking, sealing, applying
 * SPDX-License-Identifier: MIT
 *
 * A contact row names a resident (made a pseudonym at once), a channel and
 * an address.  The address is checked (a LINE user id, or an email
 * address), then sealed to the daemon's public key under this import's
 * ephemeral key (addrbox.h) and the clear text wiped: nothing here can
 * read it again.  A withdrawn contact keeps no address.  The rows are
 * applied in key order, with the ephemeral public key stored under the
 * import's number, each written with the source import and the time of
 * the import; a contact the resident set themselves (through LINE, the
 * web or an unsubscribe link: its stored source is not the import) is
 * never replaced, only counted and said.  import.h lists the other
 * pieces.
 */
#include "import.h"
#include "addrbox.h"
#include "mailaddr.h"
#include "log.h"
#include "util.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	int64_t now;		/* the contacts' changed time */
	struct contact cur;
	uint8_t res[PSEUDO_LEN];
	char addr[ADDRBOX_MAX_ADDR + 1];
	size_t addr_len;
	int channel;
	struct crow *rows;
	size_t nrows, cap;
	unsigned long unsealed;	/* addresses addrbox_seal failed on */
	unsigned long unsendable;	/* addresses the sender cannot send */
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
		else {
			import_id_check(in, col, s, len);
			pseudo_compute(ci->im.key, s, len, ci->res);
		}
		return;
	case C_CHANNEL:
		if ((w = import_enum_field(in, col, s, len, channel_words, 2)) >= 0)
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
		if ((w = import_enum_field(in, col, s, len, lang_words, 2)) >= 0)
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
			if ((w = import_enum_field(in, col, item, n, consent_words, 4)) < 0)
				return;
			ci->cur.consent |= (uint8_t)(1u << w);
			i += n + 1;
		}
		return;
	}
	case C_STATUS:
		if ((w = import_enum_field(in, col, s, len, cstatus_words, 2)) >= 0)
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
	if (ci->channel == CHANNEL_EMAIL && ci->cur.status != CONTACT_WITHDRAWN) {
		char wire[MAILADDR_MAX + 1];

		/* an address, yet not one SMTP can carry: kept (the file is
		 * sound), but said, since every send to it will fail */
		if ((why = mailaddr_wire(ci->addr, ci->addr_len, wire,
		    sizeof(wire))) != NULL) {
			csvin_warn(in, C_ADDR, "the sender cannot send to this "
			    "address: %s", why);
			ci->unsendable++;
		}
		sodium_memzero(wire, sizeof(wire));
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
	ci->cur.source = CONTACT_SRC_IMPORT;
	ci->cur.changed = ci->now;
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
	ci->unsendable += c->unsendable;
	free(c->rows);
}

int
import_contact_residents(const MDB_val *v)
{
	struct contact old;

	return store_contact_decode(v->mv_data, v->mv_size, &old) == 0 &&
	    old.source != CONTACT_SRC_IMPORT;
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
			if (rc == 0 && import_contact_residents(&old)) {
				cnt->kept++;
				continue;
			}
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
	return import_lmdb_fail(&ci->im, what, rc);
}

int
import_contacts(struct common *c, const char *file, const char *encoding,
    unsigned threads)
{
	struct con_import ci;
	struct csvin_ops ops = { con_field, con_row };
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32];
	uint8_t pk[ADDRBOX_PK_LEN], e_pk[ADDRBOX_PK_LEN], seq[4];
	const char *why;
	unsigned long absent = 0;
	struct counts cnt = { 0, 0, 0, 0, 0 };
	double t0 = util_now();
	size_t len;
	int rc, xrc;

	memset(&ci, 0, sizeof(ci));
	ci.im.c = c;
	ci.im.lockfd = -1;
	ci.im.threads = threads;
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
		rc = import_lmdb_fail(&ci.im, "metadata", rc ? rc : MDB_CORRUPTED);
		goto out;
	}
	ci.box = addrbox_sealer_new(pk, e_pk);
	if (ci.box == NULL) {
		log_warnx("%s: not a usable public key", pub);
		rc = EXIT_DATAERR;
		goto out;
	}
	ci.now = (int64_t)time(NULL);
	ci.im.in = csvin_new(file, ccols, C_NCOLS, (int)c->cfg.max_errors);
	rc = import_read_chunked(&ci.im, &ci, sizeof(ci), encoding, &ops, merge_contacts);
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
		cnt.added = (uint32_t)ci.nrows - cnt.replaced - cnt.kept;
		import_write_meta(&ci.im, "import.contacts", c->date,
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
		if (csvin_warnings(ci.im.in) > ci.unsendable)
			log_warnx("%s: warning: %lu ids with a space at an end or "
			    "a byte order mark, taken as they are (see the "
			    "warnings above)", file,
			    csvin_warnings(ci.im.in) - ci.unsendable);
		if (ci.unsendable != 0)
			log_warnx("%s: warning: %lu email addresses the sender "
			    "cannot send to (see the warnings above); kept, and "
			    "each notice to them will fail", file, ci.unsendable);
		if (cnt.kept != 0)
			log_warnx("%s: warning: kept %u contacts that residents "
			    "set themselves (their rows in the file were not "
			    "applied: only the resident changes them)", file,
			    cnt.kept);
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
