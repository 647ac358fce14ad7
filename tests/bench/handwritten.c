/* handwritten.c - bench baseline: the 29 programs of rules/ as
 * hand-written C over the same LMDB store, with the same threads
 * SPDX-License-Identifier: MIT
 *
 *   handwritten DB YYYY-MM-DD THREADS
 * prints "program_id subjects households" per program, in id order, for
 * `make bench` to compare with `oshirase eligible --counts` (same counts
 * required) and to time.  Not part of the product: it is what a programmer
 * would write without a rule language, to measure what the language costs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "store.h"

enum {
	P_BREAST, P_CERVICAL, P_CHILD_DIS, P_CHILD_REAR, P_COLORECTAL, P_DT,
	P_ELDERLY, P_FAMILY_HOUSING, P_HOME_HELPER, P_INFANT, P_JR, P_LOW_INCOME,
	P_LUNG, P_MR, P_OSTEO, P_PERIO, P_PNEUMO, P_POSTNATAL, P_PROSTATE,
	P_SEWER, P_SHINGLES, P_SP_MEDICAL, P_SP_LOAN, P_SPECIAL_CHILD,
	P_SPECIFIC, P_STOMACH_RISK, P_STOMACH, P_VARICELLA, P_WATER, NPROG
};
static const char *const ids[NPROG] = {
	"breast-cancer-screening", "cervical-cancer-screening",
	"child-disability-allowance", "child-rearing-allowance",
	"colorectal-cancer-screening", "dt-vaccine", "elderly-health-checkup",
	"family-municipal-housing", "home-helper-dispatch",
	"infant-health-checkup", "jr-commuter-pass-discount",
	"low-income-household-benefit", "lung-cancer-screening", "mr-vaccine",
	"osteoporosis-screening", "periodontal-checkup", "pneumococcal-vaccine",
	"postnatal-care", "prostate-cancer-screening", "sewer-rate-reduction",
	"shingles-vaccine", "single-parent-medical-subsidy",
	"single-parent-welfare-loan", "special-child-rearing-allowance",
	"specific-health-checkup", "stomach-cancer-risk-test",
	"stomach-cancer-screening", "varicella-vaccine", "water-rate-reduction",
};

enum { E_SPECIFIC, E_ELDERLY, E_LUNG, E_COLORECTAL, E_STOMACH, E_CERVICAL,
	E_BREAST, E_PYLORI, E_PPSV23, E_SHINGLES, E_INFANT, E_VARICELLA, E_MR,
	E_DT, NEV };
static const char *const events[NEV] = {
	"specific-checkup", "elderly-checkup", "lung-screening",
	"colorectal-screening", "stomach-screening", "cervical-screening",
	"breast-screening", "pylori-test", "ppsv23", "shingles",
	"infant-checkup", "varicella", "mr", "dt",
};

static uint16_t ben_id[NPROG], ev_id[NEV], care_id;
static date_t D, fy0, fyprev0, fyend;
static int FY;

struct P {
	int age, months, fyage, sex, rel, ins, tx, sp, dp, di, dm;
	int64_t income, deps;
	const struct resident *r;
};

static int
has(const struct resident *r, uint16_t id)
{
	for (unsigned i = 0; i < r->nbenefits; i++)
		if (store_u16(r->benefits + 2 * i) == id)
			return 1;
	return 0;
}

static int
flagged(const struct resident *r)
{
	for (unsigned i = 0; i < r->nflags; i++)
		if (store_u16(r->flags + 2 * i) == care_id)
			return 1;
	return 0;
}

static int
ev(const struct resident *r, int e, date_t from)
{
	int n = 0;

	for (unsigned i = 0; i < r->nhistory; i++) {
		const uint8_t *x = r->history + 6 * i;
		date_t d = store_i32(x + 2);

		if (store_u16(x) == ev_id[e] && d >= from && d <= D)
			n++;
	}
	return n;
}

#define EVER INT32_MIN

static void
household(struct P *m, unsigned n, int head, unsigned long *sub, unsigned long *hh)
{
	int any[NPROG] = { 0 };

#define HIT(p) do { sub[p]++; any[p] = 1; } while (0)
	for (unsigned i = 0; i < n; i++) {
		const struct P *p = &m[i];
		const struct resident *r = p->r;
		int fa = p->fyage;

		if (fa >= 40 && fa <= 74 && p->ins == INS_NHI && !flagged(r) &&
		    ev(r, E_SPECIFIC, fy0) == 0)
			HIT(P_SPECIFIC);
		if (p->ins == INS_LATE_ELDERLY && !flagged(r) && ev(r, E_ELDERLY, fy0) == 0)
			HIT(P_ELDERLY);
		if (fa >= 40 && ev(r, E_LUNG, fy0) == 0)
			HIT(P_LUNG);
		if (fa >= 40 && ev(r, E_COLORECTAL, fy0) == 0)
			HIT(P_COLORECTAL);
		if (p->sex == 1 && fa >= 50 && fa % 5 == 0)
			HIT(P_PROSTATE);
		if (p->sex == 2 && fa >= 40 && fa <= 70 && fa % 5 == 0)
			HIT(P_OSTEO);
		if (fa >= 40 && fa <= 70 && fa % 5 == 0)
			HIT(P_PERIO);
		if (fa >= 20 && fa <= 39 && ev(r, E_PYLORI, EVER) == 0)
			HIT(P_STOMACH_RISK);
		if (fa >= 50 && ev(r, E_STOMACH, fyprev0) == 0)
			HIT(P_STOMACH);
		if (p->sex == 2 && fa >= 20 && ev(r, E_CERVICAL, fyprev0) == 0)
			HIT(P_CERVICAL);
		if (p->sex == 2 && fa >= 30 && ev(r, E_BREAST, fyprev0) == 0)
			HIT(P_BREAST);
		if ((p->age == 65 || (p->age >= 60 && p->age <= 64 && p->dp == 1)) &&
		    ev(r, E_PPSV23, EVER) == 0)
			HIT(P_PNEUMO);
		if (((fa >= 65 && fa <= 100 && fa % 5 == 0) ||
		    (p->age >= 60 && p->age <= 64 && p->dp == 1)) &&
		    ev(r, E_SHINGLES, EVER) == 0)
			HIT(P_SHINGLES);
		if (p->months < 12 && ev(r, E_INFANT, EVER) < 2)
			HIT(P_INFANT);
		if (p->months >= 12 && p->months < 36 && ev(r, E_VARICELLA, EVER) < 2)
			HIT(P_VARICELLA);
		if ((p->months >= 12 && p->months < 24 && ev(r, E_MR, EVER) == 0) ||
		    (fa == 6 && ev(r, E_MR, EVER) < 2))
			HIT(P_MR);
		if (p->age >= 11 && p->age <= 12 && ev(r, E_DT, EVER) == 0)
			HIT(P_DT);
		if (p->sex == 2 && (p->rel == REL_HEAD || p->rel == REL_SPOUSE)) {
			for (unsigned k = 0; k < n; k++)
				if (m[k].rel == REL_CHILD && m[k].months < 12) {
					HIT(P_POSTNATAL);
					break;
				}
		}
		if (p->age < 20 && ((p->dp >= 1 && p->dp <= 4) || p->di >= 1) &&
		    !flagged(r) && !has(r, ben_id[P_CHILD_DIS]))
			HIT(P_CHILD_DIS);
		if (p->age < 20 && p->rel == REL_CHILD &&
		    ((p->dp >= 1 && p->dp <= 3) || p->di == 1 ||
		    (p->dm >= 1 && p->dm <= 2)) && !has(r, ben_id[P_SPECIAL_CHILD]) &&
		    head >= 0 && m[head].income >= 0 &&
		    m[head].income < 4596000 + 380000 * m[head].deps)
			HIT(P_SPECIAL_CHILD);
	}
	if (head >= 0) {
		const struct P *h = &m[head];
		const struct resident *r = h->r;
		int c18 = 0, c18d = 0, c12 = 0, a20 = 0, a18 = 0, crr = 0, wr = 0, allx = 1;
		int known = h->income >= 0;
		int64_t L = 1920000 + 380000 * h->deps;

		for (unsigned k = 0; k < n; k++) {
			const struct P *c = &m[k];

			if (has(c->r, ben_id[P_CHILD_REAR]))
				crr = wr = 1;
			if (has(c->r, ben_id[P_SPECIAL_CHILD]))
				wr = 1;
			if (!c->tx)
				allx = 0;
			if (c->rel != REL_CHILD)
				continue;
			if (c->fyage <= 18)
				c18 = 1;
			if (c->fyage <= 18 || (c->age < 20 && c->dp >= 1 && c->dp <= 3))
				c18d = 1;
			if (c->fyage <= 12)
				c12 = 1;
			if (c->age < 20)
				a20 = 1;
			if (c->age < 18)
				a18 = 1;
		}
		if (h->sp && c18d && known && h->income < L &&
		    !has(r, ben_id[P_CHILD_REAR]))
			HIT(P_CHILD_REAR);
		if (h->sp && c18 && known && h->income < L && h->ins != INS_WELFARE &&
		    !has(r, ben_id[P_SP_MEDICAL]))
			HIT(P_SP_MEDICAL);
		if (crr)
			HIT(P_JR);
		if (h->sp && c12 && known)
			HIT(P_HOME_HELPER);
		if (h->sp && a20 && known)
			HIT(P_SP_LOAN);
		if (wr && !has(r, ben_id[P_WATER]))
			HIT(P_WATER);
		if (wr && !has(r, ben_id[P_SEWER]))
			HIT(P_SEWER);
		if (a18 && known && h->income <= 1896000)
			HIT(P_FAMILY_HOUSING);
		if (allx && !has(r, ben_id[P_LOW_INCOME]))
			HIT(P_LOW_INCOME);
	}
	for (int p = 0; p < NPROG; p++)
		hh[p] += any[p];
#undef HIT
}

struct work {
	struct store *s;
	unsigned lo, hi;
	unsigned long sub[NPROG], hh[NPROG];
};

static void *
worker(void *arg)
{
	struct work *w = arg;
	struct resident rec[256];
	struct P m[256];
	uint8_t cur_hh[32], start[32] = { 0 };
	unsigned n = 0;
	int head = -1;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if (mdb_txn_begin(store_env(w->s), NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_cursor_open(txn, store_dbi(w->s)->residents, &c) != 0)
		abort();
	start[0] = (uint8_t)w->lo;
	k.mv_size = 32;
	k.mv_data = start;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;
		int end = rc != 0 || key[0] >= w->hi;

		if (n > 0 && (end || memcmp(key, cur_hh, 32) != 0)) {
			household(m, n, head, w->sub, w->hh);
			n = 0;
			head = -1;
		}
		if (end)
			break;
		memcpy(cur_hh, key, 32);
		if (store_resident_decode(v.mv_data, v.mv_size, &rec[n]) != 0 ||
		    rec[n].birth > D || n == 256)
			continue;
		{
			struct P *p = &m[n];
			const struct resident *r = &rec[n];

			p->months = date_months(r->birth, D);
			p->age = p->months / 12;
			p->fyage = date_age(r->birth, fyend);
			p->sex = r->sex;
			p->rel = r->relationship;
			p->ins = r->insurance;
			p->tx = r->tax_exempt;
			p->sp = r->single_parent;
			p->dp = r->disability_physical;
			p->di = r->disability_intellectual;
			p->dm = r->disability_mental;
			p->income = r->income;
			p->deps = r->dependents;
			p->r = r;
			if (p->rel == REL_HEAD && head < 0)
				head = (int)n;
		}
		n++;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return NULL;
}

static uint16_t
word(MDB_txn *txn, struct store *s, int kind, const char *w)
{
	uint16_t id;

	return store_word_id(txn, store_dbi(s), kind, w, 0, &id) == 0 ? id : 0xffff;
}

int
main(int argc, char **argv)
{
	struct work w[64];
	pthread_t t[64];
	struct store *s;
	MDB_txn *txn;
	char err[512];
	int nt;

	if (argc != 4 || date_parse(argv[2], strlen(argv[2]), &D) != 0 ||
	    (nt = atoi(argv[3])) < 1 || nt > 64) {
		fprintf(stderr, "usage: handwritten DB YYYY-MM-DD THREADS\n");
		return 2;
	}
	if (store_open(argv[1], STORE_RDONLY, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 66;
	}
	FY = date_fy(D);
	fy0 = date_fy_start(FY);
	fyprev0 = date_fy_start(FY - 1);
	fyend = date_fy_start(FY + 1);
	if (mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn) != 0)
		return 70;
	for (int p = 0; p < NPROG; p++)
		ben_id[p] = word(txn, s, 0, ids[p]);
	for (int e = 0; e < NEV; e++)
		ev_id[e] = word(txn, s, 1, events[e]);
	care_id = word(txn, s, 2, "institutional_care");
	mdb_txn_abort(txn);
	for (int i = 0; i < nt; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].lo = 256 * (unsigned)i / (unsigned)nt;
		w[i].hi = 256 * (unsigned)(i + 1) / (unsigned)nt;
		if (i > 0)
			pthread_create(&t[i], NULL, worker, &w[i]);
	}
	worker(&w[0]);
	for (int i = 1; i < nt; i++)
		pthread_join(t[i], NULL);
	for (int p = 0; p < NPROG; p++) {
		unsigned long a = 0, b = 0;

		for (int i = 0; i < nt; i++) {
			a += w[i].sub[p];
			b += w[i].hh[p];
		}
		printf("%s %lu %lu\n", ids[p], a, b);
	}
	store_close(s);
	return 0;
}
