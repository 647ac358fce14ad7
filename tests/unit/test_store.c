/* test_store.c - record formats and the store's word numbering
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errcodes.h"
#include "notice.h"
#include "store.h"

static void
test_resident_roundtrip(void **state)
{
	struct resident r, d;
	uint16_t ben[2] = { 3, 28 }, flg[1] = { 0 };
	uint16_t hid[3] = { 1, 1, 9 };
	int32_t hdate[3] = { 20000, 20100, -25000 };
	uint8_t buf[256];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.relationship = REL_CHILD;
	r.sex = 2;
	r.insurance = INS_WELFARE;
	r.tax_exempt = 1;
	r.single_parent = 0;
	r.disability_physical = 6;
	r.disability_intellectual = 2;
	r.disability_mental = 3;
	r.birth = -25567;		/* 1900-01-01 */
	r.income = 999999999999999LL;	/* 15 digits */
	r.dependents = 12;
	r.ward = (const uint8_t *)"花見川区";
	r.ward_len = (uint8_t)strlen("花見川区");
	r.nbenefits = 2;
	r.nflags = 1;
	r.nhistory = 3;
	n = store_resident_encode(&r, ben, flg, hid, hdate, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(store_resident_decode(buf, n, &d), 0);
	assert_int_equal(d.relationship, REL_CHILD);
	assert_int_equal(d.sex, 2);
	assert_int_equal(d.insurance, INS_WELFARE);
	assert_int_equal(d.tax_exempt, 1);
	assert_int_equal(d.single_parent, 0);
	assert_int_equal(d.disability_physical, 6);
	assert_int_equal(d.disability_intellectual, 2);
	assert_int_equal(d.disability_mental, 3);
	assert_int_equal(d.birth, -25567);
	assert_true(d.income == 999999999999999LL);
	assert_true(d.dependents == 12);
	assert_int_equal(d.ward_len, r.ward_len);
	assert_memory_equal(d.ward, "花見川区", r.ward_len);
	assert_int_equal(d.nbenefits, 2);
	assert_int_equal(store_u16(d.benefits + 2), 28);
	assert_int_equal(d.nflags, 1);
	assert_int_equal(d.nhistory, 3);
	assert_int_equal(store_u16(d.history + 12), 9);
	assert_int_equal(store_i32(d.history + 14), -25000);
	/* Unknown income survives as -1. */
	r.income = -1;
	n = store_resident_encode(&r, ben, flg, hid, hdate, buf, sizeof(buf));
	assert_int_equal(store_resident_decode(buf, n, &d), 0);
	assert_true(d.income == -1);
	/* Short, trailing and unknown-version values are refused. */
	assert_int_equal(store_resident_decode(buf, n - 1, &d), -1);
	assert_int_equal(store_resident_decode(buf, n + 1, &d), -1);
	assert_int_equal(store_resident_decode(buf, 10, &d), -1);
	buf[0] = 2;
	assert_int_equal(store_resident_decode(buf, n, &d), -1);
	/* A buffer too small is refused, not overrun. */
	assert_int_equal(store_resident_encode(&r, ben, flg, hid, hdate, buf, n - 1), 0);
}

/* store_history_normalize: the history in the record's order. */
static void
test_history_empty(void **state)
{
	struct store_event one = { 7, 100 };
	uint16_t id = 0;
	int32_t date = 0;

	(void)state;
	assert_int_equal(store_history_normalize(NULL, 0, NULL, NULL), 0);
	assert_int_equal(store_history_normalize(&one, 1, &id, &date), 1);
	assert_int_equal(id, 7);
	assert_int_equal(date, 100);
}

static void
test_history_duplicates(void **state)
{
	/* mr twice on one date is one event; on two dates, two; dt on the
	 * same date is another event */
	struct store_event ev[] = {
		{ 3, 20000 }, { 3, 20000 }, { 3, 20100 }, { 5, 20000 },
		{ 3, 20000 }, { 5, 20000 },
	};
	uint16_t ids[6];
	int32_t dates[6];

	(void)state;
	assert_int_equal(store_history_normalize(ev, 6, ids, dates), 3);
	assert_int_equal(ids[0], 3);
	assert_int_equal(dates[0], 20000);
	assert_int_equal(ids[1], 3);
	assert_int_equal(dates[1], 20100);
	assert_int_equal(ids[2], 5);
	assert_int_equal(dates[2], 20000);
}

static void
test_history_unsorted(void **state)
{
	/* by event id first, then date; dates before 1970 are negative */
	struct store_event ev[] = {
		{ 9, 5 }, { 0, 30000 }, { 9, -25000 }, { 0, -1 }, { 65535, 0 },
		{ 2, 7 },
	};
	const uint16_t want_id[] = { 0, 0, 2, 9, 9, 65535 };
	const int32_t want_date[] = { -1, 30000, 7, -25000, 5, 0 };
	uint16_t ids[6];
	int32_t dates[6];
	struct resident r, d;
	uint8_t buf[256];
	size_t len;

	(void)state;
	assert_int_equal(store_history_normalize(ev, 6, ids, dates), 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ids[i], want_id[i]);
		assert_int_equal(dates[i], want_date[i]);
	}
	/* and so into a record */
	memset(&r, 0, sizeof(r));
	r.nhistory = 6;
	len = store_resident_encode(&r, NULL, NULL, ids, dates, buf, sizeof(buf));
	assert_int_equal(store_resident_decode(buf, len, &d), 0);
	assert_int_equal(d.nhistory, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(store_u16(d.history + STORE_HIST_ENTRY * i), want_id[i]);
		assert_int_equal(store_i32(d.history + STORE_HIST_ENTRY * i + 2),
		    want_date[i]);
	}
}

/* STORE_HIST_MAX distinct entries in reverse order, 14 event ids. */
static void
fill_history(struct store_event *ev)
{
	for (size_t i = 0; i < STORE_HIST_MAX; i++) {
		ev[i].id = (uint16_t)(13 - i % 14);
		ev[i].date = (int32_t)(STORE_HIST_MAX - i);
	}
}

static void
test_history_maximum(void **state)
{
	size_t n = STORE_HIST_MAX + 1;
	struct store_event *ev = calloc(n, sizeof(*ev));
	uint16_t *ids = calloc(n, sizeof(*ids));
	int32_t *dates = calloc(n, sizeof(*dates));
	struct resident r, d;
	size_t cap = 64 + STORE_HIST_ENTRY * n, len;
	uint8_t *buf = malloc(cap);

	(void)state;
	assert_non_null(ev);
	assert_non_null(ids);
	assert_non_null(dates);
	assert_non_null(buf);
	/* as many distinct entries as a record holds */
	fill_history(ev);
	assert_int_equal(store_history_normalize(ev, STORE_HIST_MAX, ids, dates),
	    STORE_HIST_MAX);
	for (size_t i = 1; i < STORE_HIST_MAX; i++)
		assert_true(ids[i - 1] < ids[i] ||
		    (ids[i - 1] == ids[i] && dates[i - 1] < dates[i]));
	memset(&r, 0, sizeof(r));
	r.nhistory = STORE_HIST_MAX;
	len = store_resident_encode(&r, NULL, NULL, ids, dates, buf, cap);
	assert_true(len > 0);
	assert_int_equal(store_resident_decode(buf, len, &d), 0);
	assert_int_equal(d.nhistory, STORE_HIST_MAX);
	/* one more, a repeat: still the maximum */
	fill_history(ev);
	ev[STORE_HIST_MAX] = ev[STORE_HIST_MAX / 2];
	assert_int_equal(store_history_normalize(ev, n, ids, dates), STORE_HIST_MAX);
	/* one more, distinct: more than a record holds */
	fill_history(ev);
	ev[STORE_HIST_MAX].id = 14;
	ev[STORE_HIST_MAX].date = 0;
	assert_int_equal(store_history_normalize(ev, n, ids, dates), STORE_ERANGE);
	assert_non_null(strstr(store_strerror(STORE_ERANGE), "more than"));
	free(buf);
	free(dates);
	free(ids);
	free(ev);
}

static void
test_contact_roundtrip(void **state)
{
	struct contact c, d;
	uint8_t nonce[24], ct[40], buf[128];
	size_t n;

	(void)state;
	for (int i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(i * 3);
	for (int i = 0; i < 40; i++)
		ct[i] = (uint8_t)(255 - i);
	memset(&c, 0, sizeof(c));
	c.language = LANG_EN;
	c.consent = CONSENT_HEALTH | CONSENT_TAX;
	c.status = CONTACT_ACTIVE;
	c.import_no = 0x01020304;
	c.nonce = nonce;
	c.ct = ct;
	c.ct_len = 40;
	n = store_contact_encode(&c, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(store_contact_decode(buf, n, &d), 0);
	assert_int_equal(d.language, LANG_EN);
	assert_int_equal(d.consent, CONSENT_HEALTH | CONSENT_TAX);
	assert_int_equal(d.import_no, 0x01020304);
	assert_memory_equal(d.nonce, nonce, 24);
	assert_int_equal(d.ct_len, 40);
	assert_memory_equal(d.ct, ct, 40);
	assert_int_equal(store_contact_decode(buf, n - 1, &d), -1);
	assert_int_equal(store_contact_decode(buf, n + 1, &d), -1);
}

static void
test_word_ids(void **state)
{
	char dir[] = "/tmp/oshirase-store.XXXXXX", err[256], path[64], longw[66];
	struct store *s;
	MDB_txn *txn;
	uint16_t a, b, a2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, STORE_CREATE, &s, err, sizeof(err)), 0);
	assert_int_equal(mdb_txn_begin(store_env(s), NULL, 0, &txn), 0);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "mr", 0, &a), MDB_NOTFOUND);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "mr", 1, &a), 0);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "dt", 1, &b), 0);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "mr", 1, &a2), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(a2, a);
	/* Kinds are numbered separately. */
	assert_int_equal(store_word_id(txn, store_dbi(s), 1, "dt", 1, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	store_close(s);
	/* Errors are negative: a word too long, a write in a read-only
	 * transaction (LMDB's EACCES) */
	assert_int_equal(store_open(dir, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn), 0);
	memset(longw, 'w', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, longw, 1, &a), -EINVAL);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "mr", 0, &a2), 0);
	assert_int_equal(a2, a);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "new", 0, &a), MDB_NOTFOUND);
	assert_int_equal(store_word_id(txn, store_dbi(s), 0, "new", 1, &a), -EACCES);
	assert_string_equal(store_strerror(-EACCES), strerror(EACCES));
	mdb_txn_abort(txn);
	store_close(s);
	/* A store of another format is refused. */
	assert_int_equal(store_open(dir, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(mdb_txn_begin(store_env(s), NULL, 0, &txn), 0);
	assert_int_equal(store_meta_put(txn, store_dbi(s), "format", "\x09\0\0\0", 4), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	store_close(s);
	assert_int_equal(store_open(dir, 0, &s, err, sizeof(err)), STORE_EFORMAT);
	assert_non_null(strstr(err, "format 9"));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	/* No store at all. */
	assert_int_equal(store_open(dir, STORE_RDONLY, &s, err, sizeof(err)), STORE_ENOENT);
	rmdir(dir);
}

/* One transaction of random puts and deletes (some values on overflow
 * pages, sometimes a database emptied): it leaves free pages behind. */
static void
churn(struct store *s, unsigned *seed)
{
	const struct store_dbi *dbi = store_dbi(s);
	MDB_dbi dbs[3] = { dbi->contacts, dbi->vocab, dbi->ledger };
	static char val[2900];
	MDB_txn *txn;
	int n;

	memset(val, 'v', sizeof(val));
	assert_int_equal(mdb_txn_begin(store_env(s), NULL, 0, &txn), 0);
	n = rand_r(seed) % 3000;
	for (int i = 0; i < n; i++) {
		char kb[16];
		MDB_val k = { 0, kb }, v = { 0, val };
		MDB_dbi d = dbs[rand_r(seed) % 3];
		int rc;

		k.mv_size = (size_t)snprintf(kb, sizeof(kb), "k%06d", rand_r(seed) % 5000);
		if (rand_r(seed) % 2) {
			v.mv_size = (size_t)(rand_r(seed) %
			    (rand_r(seed) % 10 == 0 ? 2899 : 60)) + 1;
			assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
		} else {
			rc = mdb_del(txn, d, &k, NULL);
			assert_true(rc == 0 || rc == MDB_NOTFOUND);
		}
	}
	if (rand_r(seed) % 5 == 0) {
		MDB_cursor *cur;
		MDB_val k, v;

		assert_int_equal(mdb_cursor_open(txn, dbs[rand_r(seed) % 3], &cur), 0);
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
			assert_int_equal(mdb_cursor_del(cur, 0), 0);
		mdb_cursor_close(cur);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
}

/* LMDB may leave free pages unwritten at the end of data.mdb (a page
 * freed in the transaction that made it): a sound store whose file ends
 * before its last page opens; one cut below a page in use does not, nor
 * does an empty data.mdb, and neither is made anew. */
static void
test_check_file(void **state)
{
	char dir[] = "/tmp/oshirase-store.XXXXXX", err[1024], path[64];
	char lock[64];
	struct store *s;
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *reader = NULL;
	struct stat fs;
	unsigned seed, shorter = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	snprintf(lock, sizeof(lock), "%s/lock.mdb", dir);
	/* young stores, a few transactions each, until some have ended
	 * before their last page */
	for (unsigned k = 1; k <= 200 && shorter < 3; k++) {
		unlink(path);
		unlink(lock);
		seed = k;
		assert_int_equal(store_open(dir, STORE_CREATE | STORE_WRITE, &s,
		    err, sizeof(err)), 0);
		for (int round = 0; round < 8; round++) {
			/* a reader now and then keeps freed pages from reuse */
			if (rand_r(&seed) % 4 == 0) {
				if (reader != NULL) {
					mdb_txn_abort(reader);
					reader = NULL;
				} else
					assert_int_equal(mdb_txn_begin(store_env(s),
					    NULL, MDB_RDONLY, &reader), 0);
			}
			churn(s, &seed);
			assert_int_equal(mdb_env_info(store_env(s), &info), 0);
			assert_int_equal(mdb_env_stat(store_env(s), &st), 0);
			assert_int_equal(stat(path, &fs), 0);
			if ((info.me_last_pgno + 1) * st.ms_psize > (size_t)fs.st_size)
				shorter++;
			if (store_check_file(dir, err, sizeof(err)) != 0)
				fail_msg("store %u, round %d: a sound store refused: "
				    "%s", k, round, err);
		}
		if (reader != NULL)
			mdb_txn_abort(reader);
		reader = NULL;
		store_close(s);
	}
	/* the case the check must get right did happen */
	assert_true(shorter > 0);
	assert_int_equal(store_open(dir, STORE_RDONLY, &s, err, sizeof(err)), 0);
	store_close(s);

	/* cut below pages in use: refused, by every kind of open */
	assert_int_equal(truncate(path, 2 * st.ms_psize + st.ms_psize), 0);
	assert_int_equal(store_check_file(dir, err, sizeof(err)), STORE_EDAMAGED);
	assert_non_null(strstr(err, "past the end of the file"));
	assert_int_equal(store_open(dir, STORE_RDONLY, &s, err, sizeof(err)), STORE_EDAMAGED);
	assert_int_equal(store_open(dir, STORE_WRITE, &s, err, sizeof(err)), STORE_EDAMAGED);
	/* the meta pages cut */
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(store_open(dir, STORE_RDONLY, &s, err, sizeof(err)), STORE_EDAMAGED);
	assert_non_null(strstr(err, "meta page"));
	/* empty: never a new store over it */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(store_open(dir, STORE_CREATE, &s, err, sizeof(err)), STORE_EDAMAGED);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(stat(path, &fs), 0);
	assert_int_equal(fs.st_size, 0);
	/* not LMDB's */
	{
		int fd = open(path, O_WRONLY | O_TRUNC);
		char junk[8192];

		memset(junk, 'x', sizeof(junk));
		assert_true(fd >= 0);
		assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		close(fd);
	}
	assert_int_equal(store_check_file(dir, err, sizeof(err)), STORE_EDAMAGED);
	assert_non_null(strstr(err, "not LMDB's"));
	unlink(path);
	unlink(lock);
	/* no data.mdb: no store, not a damaged one */
	assert_int_equal(store_check_file(dir, err, sizeof(err)), 0);
	rmdir(dir);
}

/* The writer lock: a second process is refused and told the holder's
 * pid; the lock goes with the process that held it. */
static void
test_lock_writer(void **state)
{
	char dir[] = "/tmp/oshirase-store.XXXXXX", err[1024], path[64];
	long holder;
	int fd, fd2, status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_lock_writer(dir, &fd, &holder, err, sizeof(err)), 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a forked child does not hold it, and is refused */
		int rc = store_lock_writer(dir, &fd2, &holder, err, sizeof(err));

		_exit(rc == STORE_EBUSY && fd2 == -1 && holder == (long)getppid() &&
		    strstr(err, "another oshirased") != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(store_lock_writer(dir, &fd2, &holder, err, sizeof(err)) == 0 ?
		    0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(path, sizeof(path), "%s/daemon.lock", dir);
	unlink(path);
	rmdir(dir);
	/* no store directory */
	assert_int_equal(store_lock_writer(dir, &fd, &holder, err, sizeof(err)),
	    STORE_ENOENT);
}

/* The store's own codes, and the texts of -errno and LMDB's codes. */
static void
test_error_codes(void **state)
{
	const int codes[] = { STORE_ENOENT, STORE_EFORMAT, STORE_ELMDB,
		STORE_ERANGE, STORE_EBUSY, STORE_EDAMAGED };

	(void)state;
	assert_module_codes(codes, sizeof(codes) / sizeof(codes[0]),
	    store_strerror);
	assert_non_null(strstr(store_strerror(STORE_ENOENT), "no store"));
	assert_string_equal(store_strerror(-EIO), strerror(EIO));
	assert_string_equal(store_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(store_strerror(MDB_NOTFOUND), mdb_strerror(MDB_NOTFOUND));
	assert_string_equal(store_strerror(MDB_MAP_FULL), mdb_strerror(MDB_MAP_FULL));
	assert_string_equal(store_strerror(EACCES), mdb_strerror(EACCES));
}

/* A message record keeps the attempt in flight (version 2), and a record
 * of version 1, written before, reads as one with none. */
static void
test_message_started(void **state)
{
	struct message m, d;
	uint8_t k[8], buf[1024];
	MDB_val kv = { 8, k }, vv = { 0, buf };
	const char *text = "こんにちは";
	size_t n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.id = 77;
	m.channel = 2;
	m.attempts = 3;
	m.started = 4;
	m.started_token = 0x1122334455667788ULL;
	m.started_at = 1790000000;
	m.n = 1;
	m.notices[0] = 5;
	m.ntexts = 1;
	m.text[0] = text;
	m.text_len[0] = strlen(text);
	m.subject = "s";
	m.subject_len = 1;
	notice_key(k, m.id);
	n = message_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(buf[0], MESSAGE_V2);
	vv.mv_size = n;
	assert_int_equal(message_decode(&kv, &vv, &d), 0);
	assert_int_equal(d.id, 77);
	assert_int_equal(d.attempts, 3);
	assert_int_equal(d.started, 4);
	assert_true(d.started_token == m.started_token);
	assert_true(d.started_at == m.started_at);
	assert_int_equal(d.n, 1);
	assert_memory_equal(d.text[0], text, strlen(text));
	assert_int_equal(message_encode(&m, buf, n - 1), 0);
	/* version 1: the same without the 20 bytes after run */
	memmove(buf + 76, buf + 96, n - 96);
	buf[0] = MESSAGE_V1;
	vv.mv_size = n - 20;
	assert_int_equal(message_decode(&kv, &vv, &d), 0);
	assert_int_equal(d.started, 0);
	assert_true(d.started_token == 0 && d.started_at == 0);
	assert_int_equal(d.attempts, 3);
	assert_int_equal(d.notices[0], 5);
	assert_memory_equal(d.subject, "s", 1);
	buf[0] = 3;	/* a version not known */
	assert_int_equal(message_decode(&kv, &vv, &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resident_roundtrip),
		cmocka_unit_test(test_history_empty),
		cmocka_unit_test(test_history_duplicates),
		cmocka_unit_test(test_history_unsorted),
		cmocka_unit_test(test_history_maximum),
		cmocka_unit_test(test_contact_roundtrip),
		cmocka_unit_test(test_word_ids),
		cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_lock_writer),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_message_started),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
