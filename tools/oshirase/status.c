/* status.c - oshirase status: what the store holds, as counts
 * SPDX-License-Identifier: MIT
 *
 * Reads the store in one read transaction and prints aggregate counts only
 * (never a pseudonym, never an address): residents, households and their
 * sizes, an age pyramid on the reference date, insurance, contacts by
 * channel, language, consent and status, and the last imports.
 */
#include "cmd.h"
#include "common.h"
#include "log.h"
#include "notice.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase status [--db DIR] [--date D] [-c CONFIG]\n"
	    "Print what the store holds: counts only, no personal data.\n");
}

static void
pct_line(const char *label, unsigned long n, unsigned long total)
{
	printf("  %-22s %9lu  %5.1f%%\n", label, n,
	    total ? 100.0 * (double)n / (double)total : 0.0);
}

/* The delivery databases: what is queued, what the ledger holds. */
static void
delivery_status(MDB_txn *txn, const struct store_dbi *dbi)
{
	unsigned long nnew = 0, ndig = 0, msgs[3] = { 0 }, retrying = 0;
	unsigned long led[4] = { 0 };
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (mdb_cursor_open(txn, dbi->outbox, &cur) == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			struct notice n;

			if (notice_decode(&k, &v, &n) == 0)
				*(n.state == NOTICE_NEW ? &nnew : &ndig) += 1;
		}
		mdb_cursor_close(cur);
	}
	if (mdb_cursor_open(txn, dbi->messages, &cur) == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			struct message m;

			if (message_decode(&k, &v, &m) != 0)
				continue;
			msgs[m.channel == CHANNEL_LINE ? 1 : 2]++;
			retrying += m.attempts > 0;
		}
		mdb_cursor_close(cur);
	}
	if (mdb_cursor_open(txn, dbi->ledger, &cur) == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			int st = ledger_state(&v);

			led[st >= 1 && st <= 3 ? st : 0]++;
		}
		mdb_cursor_close(cur);
	}
	printf("\noutbox %lu notices (%lu not yet in a message)\n", nnew + ndig, nnew);
	printf("  messages line           %9lu\n", msgs[1]);
	printf("  messages email          %9lu\n", msgs[2]);
	printf("  messages being retried  %9lu\n", retrying);
	printf("ledger %lu notices\n", led[1] + led[2] + led[3]);
	printf("  queued                  %9lu\n", led[LEDGER_QUEUED]);
	printf("  sent                    %9lu\n", led[LEDGER_SENT]);
	printf("  failed                  %9lu\n", led[LEDGER_FAILED]);
}

/* What cmd_status counts. */
struct tally {
	unsigned long residents, households, size_hist[7];
	unsigned long band[5], ins[5], unborn;
	unsigned long ch[3], withdrawn, lang_en, consent[4];
	unsigned long damaged;	/* contact records that do not decode */
};

/* Residents and households, by size, age band on d and insurance.
 * 0 or an LMDB error. */
static int
count_residents(MDB_txn *txn, const struct store_dbi *dbi, const char *db,
    date_t d, struct tally *t)
{
	uint8_t last_hh[STORE_PSEUDO_LEN];
	unsigned long members = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi->residents, &cur)) != 0) {
		log_warnx("mdb_cursor_open: %s", mdb_strerror(rc));
		return rc;
	}
	memset(last_hh, 0, sizeof(last_hh));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct resident r;
		int age;

		if (store_resident_decode(v.mv_data, v.mv_size, &r) != 0) {
			log_warnx("%s: a resident record does not decode", db);
			continue;
		}
		if (t->residents == 0 || memcmp(last_hh, k.mv_data, STORE_PSEUDO_LEN) != 0) {
			if (t->residents > 0)
				t->size_hist[members > 6 ? 6 : members]++;
			t->households++;
			members = 0;
			memcpy(last_hh, k.mv_data, STORE_PSEUDO_LEN);
		}
		t->residents++;
		members++;
		age = date_age(r.birth, d);
		if (age < 0)
			t->unborn++;
		else
			t->band[age < 15 ? 0 : age < 40 ? 1 : age < 65 ? 2 : age < 75 ? 3 : 4]++;
		if (r.insurance < 5)
			t->ins[r.insurance]++;
	}
	if (t->residents > 0)
		t->size_hist[members > 6 ? 6 : members]++;
	mdb_cursor_close(cur);
	return 0;
}

/* Contacts by channel, language, consent and status.  0 or an LMDB
 * error. */
static int
count_contacts(MDB_txn *txn, const struct store_dbi *dbi, struct tally *t)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi->contacts, &cur)) != 0) {
		log_warnx("mdb_cursor_open: %s", mdb_strerror(rc));
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct contact ct;

		if (store_contact_decode(v.mv_data, v.mv_size, &ct) != 0 ||
		    k.mv_size != STORE_PSEUDO_LEN + 1) {
			t->damaged++;
			continue;
		}
		if (ct.status == CONTACT_WITHDRAWN) {
			t->withdrawn++;
			continue;
		}
		t->ch[((const uint8_t *)k.mv_data)[STORE_PSEUDO_LEN] == CHANNEL_LINE ? 1 : 2]++;
		t->lang_en += ct.language == LANG_EN;
		for (int i = 0; i < 4; i++)
			t->consent[i] += (ct.consent >> i) & 1;
	}
	mdb_cursor_close(cur);
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	static const char *const bands[] = { "0-14", "15-39", "40-64", "65-74", "75+" };
	struct common c;
	struct store *s;
	const struct store_dbi *dbi;
	struct tally t;
	MDB_txn *txn;
	char err[1400], meta[256], path[CONFIG_PATH_MAX + 32];
	unsigned long nact;
	struct stat st;
	size_t len;
	int rc;

	if ((rc = common_parse(&c, argc, argv, 0, 0, usage)) >= 0)
		return rc;
	rc = store_open(c.db, STORE_RDONLY, &s, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		return rc == STORE_ENOENT ? EXIT_NOINPUT :
		    rc == STORE_EDAMAGED ? EXIT_IOERR : EXIT_DATAERR;
	}
	dbi = store_dbi(s);
	if ((rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn)) != 0) {
		log_warnx("mdb_txn_begin: %s", mdb_strerror(rc));
		store_close(s);
		return EXIT_SOFTWARE;
	}
	memset(&t, 0, sizeof(t));
	if (count_residents(txn, dbi, c.db, c.date, &t) != 0 ||
	    count_contacts(txn, dbi, &t) != 0) {
		mdb_txn_abort(txn);
		store_close(s);
		return EXIT_SOFTWARE;
	}

	printf("store %s (format %d)\n", c.db, STORE_FORMAT);
	snprintf(path, sizeof(path), "%s/data.mdb", c.db);
	if (stat(path, &st) == 0)
		printf("  size on disk           %9.1f MiB\n",
		    (double)st.st_blocks * 512 / 1048576.0);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "import.contacts" : "import.residents";

		if (store_meta_get(txn, dbi, name, meta, sizeof(meta) - 1, &len) == 0) {
			meta[len < sizeof(meta) ? len : sizeof(meta) - 1] = '\0';
			printf("  last %-17s %s\n", name + 7, meta);
		}
	}
	char d[DATE_STRLEN + 1];

	date_format(c.date, d);
	printf("\nresidents %lu in %lu households (%.2f per household)\n",
	    t.residents, t.households,
	    t.households ? (double)t.residents / (double)t.households : 0.0);
	printf("household size:\n");
	for (int i = 1; i <= 6; i++) {
		char label[16];

		snprintf(label, sizeof(label), i == 6 ? "%d or more" : "%d", i);
		pct_line(label, t.size_hist[i], t.households);
	}
	printf("age on %s:\n", d);
	for (int i = 0; i < 5; i++)
		pct_line(bands[i], t.band[i], t.residents);
	if (t.unborn)
		pct_line("born after this date", t.unborn, t.residents);
	printf("insurance:\n");
	for (int i = 0; i < 5; i++)
		pct_line(store_ins_names[i], t.ins[i], t.residents);
	nact = t.ch[1] + t.ch[2];
	printf("\ncontacts %lu active, %lu withdrawn\n", nact, t.withdrawn);
	if (t.damaged)
		printf("  damaged %lu (records that do not decode: restore the "
		    "store or import the contacts again)\n", t.damaged);
	pct_line("line", t.ch[1], nact);
	pct_line("email", t.ch[2], nact);
	pct_line("language en", t.lang_en, nact);
	printf("consent given for:\n");
	{
		static const char *const cn[4] = { "health", "child", "welfare", "tax" };

		for (int i = 0; i < 4; i++)
			pct_line(cn[i], t.consent[i], nact);
	}
	if (dbi->delivery)
		delivery_status(txn, dbi);
	mdb_txn_abort(txn);
	store_close(s);
	return 0;
}
