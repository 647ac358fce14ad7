/* test_store.c - record formats and the store's word numbering
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	char dir[] = "/tmp/oshirase-store.XXXXXX", err[256], path[64];
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resident_roundtrip),
		cmocka_unit_test(test_contact_roundtrip),
		cmocka_unit_test(test_word_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
