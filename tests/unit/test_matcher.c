/* test_matcher.c - the pass over the store: every household once, over
 * threads; a thread that cannot start is an error returned, not an exit,
 * by the matcher and by a match run over it (match.h)
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errcodes.h"
#include "match.h"
#include "matcher.h"
#include "seams.h"
#include "util.h"

#define NHH 64	/* households of the test store, one head each */

struct fixture {
	char dir[64], rules[96], db[96];
	struct store *s;
	struct rules_set *rs;
	struct rules_ctx ctx;
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A rule set of one program for everyone, and a store of NHH households
 * spread over the range of first bytes the threads divide. */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[160], err[512];
	MDB_txn *txn;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/oshirase-matcher.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->rules, sizeof(fx->rules), "%s/rules", fx->dir);
	snprintf(fx->db, sizeof(fx->db), "%s/db", fx->dir);
	assert_int_equal(mkdir(fx->rules, 0700), 0);
	snprintf(path, sizeof(path), "%s/vocabulary.ini", fx->rules);
	write_file(path, "[benefit]\neveryone = x\n[event]\nmr = x\n[flag]\nf = x\n");
	snprintf(path, sizeof(path), "%s/everyone.ini", fx->rules);
	write_file(path, "[program]\nid = everyone\nname_ja = テスト\n"
	    "name_en = test\ndepartment = welfare\ncategory = health\n"
	    "subject = person\ncycle = fy\ntax = no\npage = x.html\n"
	    "[eligible]\nwhen = age >= 0\n[message]\n"
	    "ja = {name}の対象となる可能性があります。\n"
	    "en = {Who} may qualify for {name}.\n");
	assert_int_equal(rules_load(fx->rules, stderr, &fx->rs), 0);

	assert_int_equal(store_open(fx->db, STORE_CREATE, &fx->s, err,
	    sizeof(err)), 0);
	assert_int_equal(mdb_txn_begin(store_env(fx->s), NULL, 0, &txn), 0);
	for (int i = 0; i < NHH; i++) {
		struct resident r;
		uint8_t key[STORE_RES_KEY_LEN], buf[128];
		MDB_val k = { sizeof(key), key }, v = { 0, buf };

		memset(&r, 0, sizeof(r));
		r.relationship = REL_HEAD;
		r.sex = 1;
		r.birth = date_from_ymd(1980, 1, 1);
		r.income = -1;
		v.mv_size = store_resident_encode(&r, NULL, NULL, NULL, NULL,
		    buf, sizeof(buf));
		assert_true(v.mv_size > 0);
		memset(key, 0, sizeof(key));
		key[0] = (uint8_t)(i * 4);	/* 0 .. 252 */
		key[STORE_PSEUDO_LEN] = (uint8_t)i;
		assert_int_equal(mdb_put(txn, store_dbi(fx->s)->residents, &k,
		    &v, 0), 0);
	}
	assert_int_equal(rules_bind_store(fx->rs, txn, store_dbi(fx->s)), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	rules_ctx_init(&fx->ctx, date_from_ymd(2026, 11, 23), fx->rs);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	util_thread_create = pthread_create;
	store_close(fx->s);
	rules_free(fx->rs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	free(fx);
	return system(cmd);
}

/* Households seen, per thread. */
static void
count(void *user, const struct matcher_household *mh)
{
	unsigned long *n = user;

	*n += matcher_eligible(mh, 0, 0);
}

static int
run(struct fixture *fx, unsigned nthreads, unsigned long *total)
{
	unsigned long seen[MATCHER_MAX_THREADS], bad;
	void *users[MATCHER_MAX_THREADS];
	int rc;

	for (unsigned t = 0; t < MATCHER_MAX_THREADS; t++) {
		seen[t] = 0;
		users[t] = &seen[t];
	}
	rc = matcher_run(fx->s, fx->rs, &fx->ctx, nthreads, 0, count, users, &bad);
	assert_int_equal(bad, 0);
	*total = 0;
	for (unsigned t = 0; t < MATCHER_MAX_THREADS; t++)
		*total += seen[t];
	return rc;
}

static void
test_every_household_once(void **state)
{
	struct fixture *fx = *state;
	unsigned long total;

	for (unsigned nt = 1; nt <= 4; nt++) {
		assert_int_equal(run(fx, nt, &total), 0);
		assert_int_equal(total, NHH);
	}
}

static void
test_thread_failure_is_returned(void **state)
{
	struct fixture *fx = *state;
	unsigned long total;

	util_thread_create = no_thread;
	assert_int_equal(run(fx, 3, &total), MATCHER_ETHREAD);
	assert_true(total < NHH);	/* incomplete: the caller must not use it */
	assert_non_null(strstr(matcher_strerror(MATCHER_ETHREAD), "thread"));
	/* one thread needs none started */
	assert_int_equal(run(fx, 1, &total), 0);
	assert_int_equal(total, NHH);
}

static void
test_error_names(void **state)
{
	(void)state;
	assert_string_equal(matcher_strerror(MDB_NOTFOUND), mdb_strerror(MDB_NOTFOUND));
	assert_string_equal(matcher_strerror(-ENOMEM), strerror(ENOMEM));
}

/* A match run returns its codes too: the matcher's thread failure; a
 * real run on a store opened read-only (with its delivery databases, as
 * every created store has them) fails to write. */
static void
test_match_run_codes(void **state)
{
	struct fixture *fx = *state;
	struct match_result *res = calloc(1, sizeof(*res));
	struct store *ro;
	char err[512];

	assert_non_null(res);
	/* no contacts: everyone is eligible, no one is queued */
	assert_int_equal(match_run(fx->s, fx->rs, date_from_ymd(2026, 11, 23), 2,
	    1, NULL, 100, res), 0);
	assert_int_equal(res->c[0].eligible, NHH);
	assert_int_equal(res->total, 0);
	util_thread_create = no_thread;
	assert_int_equal(match_run(fx->s, fx->rs, date_from_ymd(2026, 11, 23), 3,
	    1, NULL, 100, res), MATCH_ETHREAD);
	util_thread_create = pthread_create;
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(store_open(fx->db, STORE_RDONLY, &ro, err,
	    sizeof(err)), 0);
	assert_true(store_dbi(ro)->delivery);
	assert_int_equal(match_run(ro, fx->rs, date_from_ymd(2026, 11, 23), 1,
	    0, NULL, 100, res), MATCH_ESTORE);
	store_close(ro);
	free(res);
}

static void
test_match_error_names(void **state)
{
	const int codes[] = { MATCH_EREADONLY, MATCH_ETHREAD, MATCH_ESTORE,
		MATCH_EOUTPUT };

	(void)state;
	assert_module_codes(codes, sizeof(codes) / sizeof(codes[0]),
	    match_strerror);
	assert_non_null(strstr(match_strerror(MATCH_ETHREAD), "thread"));
	assert_non_null(strstr(match_strerror(MATCH_EREADONLY), "read-only"));
	assert_non_null(strstr(match_strerror(-1), "unknown"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_household_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_failure_is_returned, setup, teardown),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test_setup_teardown(test_match_run_codes, setup, teardown),
		cmocka_unit_test(test_match_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
