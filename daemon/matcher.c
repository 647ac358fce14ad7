/* matcher.c - one pass over the store: every program for every member
 * SPDX-License-Identifier: MIT
 */
#include "matcher.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HH_MAX 256		/* members evaluated per household */

struct worker {
	struct store *s;
	const struct rules_set *rs;
	const struct rules_ctx *ctx;
	unsigned lo, hi;	/* first byte of the household pseudonym: [lo, hi) */
	int all;
	matcher_fn fn;
	void *user;
	int rc;
	unsigned long bad;
};

unsigned
matcher_threads(unsigned nthreads)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (nthreads == 0)
		nthreads = n > 0 ? (unsigned)n : 1;
	if (nthreads > MATCHER_MAX_THREADS)
		nthreads = MATCHER_MAX_THREADS;
	return nthreads;
}

static void
evaluate(struct worker *w, const uint8_t *hh, const uint8_t **res,
    struct resident *recs, unsigned nrec)
{
	struct rules_person p[HH_MAX];
	const uint8_t *mres[HH_MAX];
	uint64_t elig[HH_MAX][MATCHER_WORDS];
	struct rules_household h;
	struct matcher_household mh;
	const struct rules_set *rs = w->rs;

	h.n = 0;
	h.head = -1;
	for (unsigned i = 0; i < nrec; i++) {
		if (rules_person_init(&p[h.n], &recs[i], w->ctx) != 0)
			continue;	/* not born on D */
		if (recs[i].relationship == REL_HEAD && h.head < 0)
			h.head = (int)h.n;
		mres[h.n] = res[i];
		h.n++;
	}
	h.m = p;
	memset(elig, 0, sizeof(elig[0]) * (h.n ? h.n : 1));
	mh.any = 0;
	for (unsigned prog = 0; prog < rs->n; prog++) {
		const struct rules_program *pr = rs->p[prog];

		if (pr->subject == SUBJECT_HEAD) {
			if (h.head >= 0 && rules_eval(rs, pr, &h, (unsigned)h.head, w->ctx)) {
				elig[h.head][prog / 64] |= 1ull << (prog % 64);
				mh.any = 1;
			}
			continue;
		}
		for (unsigned m = 0; m < h.n; m++)
			if (rules_eval(rs, pr, &h, m, w->ctx)) {
				elig[m][prog / 64] |= 1ull << (prog % 64);
				mh.any = 1;
			}
	}
	if (!mh.any && !w->all)
		return;
	mh.hh = hh;
	mh.res = mres;
	mh.h = &h;
	mh.elig = (const uint64_t (*)[MATCHER_WORDS])elig;
	w->fn(w->user, &mh);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct store_dbi *dbi = store_dbi(w->s);
	struct resident recs[HH_MAX];
	const uint8_t *res[HH_MAX];
	uint8_t hh[STORE_PSEUDO_LEN], start[STORE_PSEUDO_LEN];
	unsigned n = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	w->rc = mdb_txn_begin(store_env(w->s), NULL, MDB_RDONLY, &txn);
	if (w->rc != 0)
		return NULL;
	w->rc = mdb_cursor_open(txn, dbi->residents, &cur);
	if (w->rc != 0) {
		mdb_txn_abort(txn);
		return NULL;
	}
	memset(start, 0, sizeof(start));
	start[0] = (uint8_t)w->lo;
	k.mv_size = sizeof(start);
	k.mv_data = start;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;

		if (k.mv_size != STORE_RES_KEY_LEN) {
			w->bad++;
			continue;
		}
		if (key[0] >= w->hi)
			break;
		if (n > 0 && memcmp(key, hh, STORE_PSEUDO_LEN) != 0) {
			evaluate(w, hh, res, recs, n);
			n = 0;
		}
		if (n == 0)
			memcpy(hh, key, STORE_PSEUDO_LEN);
		if (n == HH_MAX) {
			w->bad++;	/* an implausible household: rest skipped */
			continue;
		}
		if (store_resident_decode(v.mv_data, v.mv_size, &recs[n]) != 0) {
			w->bad++;
			continue;
		}
		/* LMDB values stay valid for the whole read transaction. */
		res[n] = key + STORE_PSEUDO_LEN;
		n++;
	}
	if (n > 0)
		evaluate(w, hh, res, recs, n);
	w->rc = rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return NULL;
}

int
matcher_run(struct store *s, const struct rules_set *rs,
    const struct rules_ctx *ctx, unsigned nthreads, int all, matcher_fn fn,
    void *const *users, unsigned long *bad)
{
	struct worker w[MATCHER_MAX_THREADS];
	pthread_t tid[MATCHER_MAX_THREADS];
	unsigned t, n = matcher_threads(nthreads);
	int rc = 0;

	*bad = 0;
	for (t = 0; t < n; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = s;
		w[t].rs = rs;
		w[t].ctx = ctx;
		w[t].lo = 256 * t / n;
		w[t].hi = 256 * (t + 1) / n;
		w[t].all = all;
		w[t].fn = fn;
		w[t].user = users[t];
	}
	for (t = 1; t < n; t++)
		if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0)
			fatalx("matcher_run: pthread_create failed");
	worker_main(&w[0]);
	for (t = 1; t < n; t++)
		pthread_join(tid[t], NULL);
	for (t = 0; t < n; t++) {
		*bad += w[t].bad;
		if (w[t].rc != 0 && rc == 0)
			rc = w[t].rc;
	}
	return rc;
}
