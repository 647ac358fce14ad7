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
	int all, reference;
	matcher_fn fn;
	void *user;
	int rc;
	unsigned long bad, big;
	double t0;
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

/* Households gathered for one rules_eval_batch: people side by side, a
 * household's members contiguous. */
struct gather {
	struct resident recs[RULES_BATCH];
	struct rules_person pers[RULES_BATCH];
	const uint8_t *res[RULES_BATCH];
	struct rules_household hh[RULES_BATCH];
	const uint8_t *hhkey[RULES_BATCH];
	unsigned hstart[RULES_BATCH];
	unsigned nh, np;
	struct rules_batch b;
};

static void
flush(struct worker *w, struct gather *g)
{
	struct matcher_household mh;

	if (g->np > 0 && !w->reference)
		rules_eval_batch(w->rs, w->ctx, &g->b);
	else if (g->np > 0) {
		for (unsigned i = 0; i < g->b.n; i++) {
			memset(g->b.elig[i], 0, sizeof(g->b.elig[i]));
			for (unsigned prog = 0; prog < w->rs->n; prog++)
				if (rules_eval(w->rs, w->rs->p[prog], g->b.h[i],
				    g->b.who[i], w->ctx))
					g->b.elig[i][prog / 64] |= 1ull << (prog % 64);
		}
	}
	for (unsigned j = 0; j < g->nh; j++) {
		unsigned start = g->hstart[j];

		mh.any = 0;
		for (unsigned i = start; i < start + g->hh[j].n; i++)
			for (unsigned k = 0; k < RULES_WORDS; k++)
				mh.any |= g->b.elig[i][k] != 0;
		if (!mh.any && !w->all)
			continue;
		mh.hh = g->hhkey[j];
		mh.res = &g->res[start];
		mh.h = &g->hh[j];
		mh.elig = (const uint64_t (*)[MATCHER_WORDS])&g->b.elig[start];
		w->fn(w->user, &mh);
	}
	g->nh = 0;
	g->np = 0;
	g->b.n = 0;
	g->b.pers = g->pers;
}

/* The household just read (nrec records at g->recs[g->np]) joins the
 * batch: its members born by D, with their facts. */
static void
add_household(struct worker *w, struct gather *g, const uint8_t *hhkey,
    const uint8_t **res, unsigned nrec)
{
	struct rules_household *h = &g->hh[g->nh];
	unsigned start = g->np, n = 0;

	h->head = -1;
	for (unsigned i = 0; i < nrec; i++) {
		struct resident *r = &g->recs[start + i];

		if (rules_person_init(&g->pers[start + n], r, w->ctx) != 0)
			continue;	/* not born on D */
		rules_batch_facts(&g->b, start + n, &g->pers[start + n]);
		/* keep the record beside its facts (pers points to it) */
		if (n != i) {
			g->recs[start + n] = *r;
			g->pers[start + n].r = &g->recs[start + n];
		}
		if (r->relationship == REL_HEAD && h->head < 0)
			h->head = (int)n;
		g->res[start + n] = res[i];
		n++;
	}
	if (n == 0 && !w->all)
		return;
	h->n = n;
	h->m = &g->pers[start];
	g->hhkey[g->nh] = hhkey;
	g->hstart[g->nh] = start;
	for (unsigned i = 0; i < n; i++) {
		g->b.h[g->b.n] = h;
		g->b.who[g->b.n] = (uint16_t)i;
		g->b.n++;
	}
	g->nh++;
	g->np += n;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct store_dbi *dbi = store_dbi(w->s);
	struct gather *g = xcalloc(1, sizeof(*g));

	g->b.pers = g->pers;
	const uint8_t *res[HH_MAX], *hhkey = NULL;
	uint8_t start[STORE_PSEUDO_LEN];
	unsigned n = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	w->rc = mdb_txn_begin(store_env(w->s), NULL, MDB_RDONLY, &txn);
	if (w->rc != 0) {
		free(g);
		return NULL;
	}
	w->rc = mdb_cursor_open(txn, dbi->residents, &cur);
	if (w->rc != 0) {
		mdb_txn_abort(txn);
		free(g);
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
		if (n > 0 && memcmp(key, hhkey, STORE_PSEUDO_LEN) != 0) {
			add_household(w, g, hhkey, res, n);
			n = 0;
		}
		if (n == 0) {
			/* room for the largest household before it starts */
			if (g->np + HH_MAX > RULES_BATCH)
				flush(w, g);
			hhkey = key;	/* valid for the whole read transaction */
		}
		if (n == HH_MAX) {
			w->big++;	/* an implausible household: rest skipped */
			continue;
		}
		if (store_resident_decode(v.mv_data, v.mv_size, &g->recs[g->np + n]) != 0) {
			w->bad++;
			continue;
		}
		res[n] = key + STORE_PSEUDO_LEN;
		n++;
	}
	if (n > 0)
		add_household(w, g, hhkey, res, n);
	flush(w, g);
	log_debug("matcher: keys %02x..%02x done at %.3f s", w->lo, w->hi - 1,
	    util_now() - w->t0);
	w->rc = rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	free(g);
	return NULL;
}

int
matcher_run(struct store *s, const struct rules_set *rs,
    const struct rules_ctx *ctx, unsigned nthreads, int flags, matcher_fn fn,
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
		w[t].all = flags & MATCHER_ALL;
		w[t].reference = (flags & MATCHER_REFERENCE) != 0;
		w[t].fn = fn;
		w[t].user = users[t];
		w[t].t0 = util_now();
	}
	for (t = 1; t < n; t++) {
		int err = util_thread_create(&tid[t], NULL, worker_main, &w[t]);

		if (err != 0) {
			/* the workers started go on to the end of their ranges,
			 * but the run is incomplete */
			log_warnx("matcher_run: pthread_create: %s", strerror(err));
			rc = MATCHER_ETHREAD;
			break;
		}
	}
	if (rc == 0)
		worker_main(&w[0]);
	for (unsigned j = 1; j < t; j++)
		pthread_join(tid[j], NULL);
	if (rc != 0)
		return rc;
	for (t = 0; t < n; t++) {
		*bad += w[t].bad;
		if (w[t].big)
			log_warnx("matcher: %lu members of households over %d members "
			    "were not evaluated", w[t].big, HH_MAX);
		if (w[t].rc != 0 && rc == 0)	/* LMDB: MDB_* or errno */
			rc = w[t].rc > 0 ? -w[t].rc : w[t].rc;
	}
	return rc;
}

const char *
matcher_strerror(int code)
{
	if (code == MATCHER_ETHREAD)
		return "a matcher thread could not be started";
	if (code >= MDB_KEYEXIST && code <= MDB_LAST_ERRCODE)
		return mdb_strerror(code);
	return strerror(-code);
}
