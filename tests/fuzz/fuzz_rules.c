/* fuzz_rules.c - libFuzzer target: the rule loader, type checker, compiler
 * and both evaluators on an arbitrary program file
 * SPDX-License-Identifier: MIT
 *
 * The input is written into a rules directory beside the vocabulary
 * (rules/vocabulary.ini when OSHIRASE_VOCAB names it, as make fuzz does,
 * else a small one), under the name its `id = ` line gives, so that a
 * rule file of rules/ (the seeds) loads as it is.  A program that loads
 * runs its test cases, and is evaluated for every member of a few
 * synthetic households on two dates, by the interpreter, by the batch
 * engine (which must agree) and by explain.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vocab[] =
    "[benefit]\nchild-rearing-allowance = x\n[event]\nmr = x\n"
    "lung-screening = x\n[flag]\ninstitutional_care = x\n";

static char dir[64];
static FILE *devnull;
/* inputs run, and those that loaded: written at exit to the file
 * $FUZZ_RULES_LOADED names ("LOADED RUN"), which make fuzz checks on the
 * seeds so that the evaluators are known to run */
static unsigned long nrun, nloaded;

static void
report(void)
{
	const char *p = getenv("FUZZ_RULES_LOADED");
	FILE *f = p ? fopen(p, "w") : NULL;

	if (f != NULL) {
		fprintf(f, "%lu %lu\n", nloaded, nrun);
		fclose(f);
	}
}

static void
put(const char *path, const void *p, size_t n)
{
	/* no O_TRUNC: on ext4 a file truncated to nothing is flushed at
	 * close */
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || ftruncate(fd, (off_t)n) != 0)
		abort();
	close(fd);
}

/* The directory and its vocabulary, once. */
static void
setup(void)
{
	const char *vp = getenv("OSHIRASE_VOCAB"), *tmp = getenv("TMPDIR");
	char path[128];
	size_t vl = 0;
	char *v;

	atexit(report);
	snprintf(dir, sizeof(dir), "%s/fuzz-rules.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/vocabulary.ini", dir);
	v = vp ? file_read_all(vp, &vl) : NULL;
	if (v != NULL)
		put(path, v, vl);
	else
		put(path, vocab, sizeof(vocab) - 1);
	free(v);
}

/* The file name for the input: the value of its first `id = ` line when
 * that is a valid id, else "p". */
static void
file_name(const uint8_t *data, size_t size, char *name, size_t cap)
{
	const char *s = (const char *)data, *end = s + size;

	snprintf(name, cap, "p");
	for (const char *l = s; l < end; ) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *e = nl ? nl : end, *q = l + 2;
		size_t n;

		if (e - l > 2 && memcmp(l, "id", 2) == 0) {
			while (q < e && (*q == ' ' || *q == '='))
				q++;
			for (n = 0; q + n < e && ((q[n] >= 'a' && q[n] <= 'z') ||
			    (q[n] >= '0' && q[n] <= '9') || q[n] == '-'); n++)
				;
			if (n > 0 && n <= RULES_ID_MAX &&
			    (q + n == e || q[n] == ' ' || q[n] == '\r') &&
			    !(n == 10 && memcmp(q, "vocabulary", 10) == 0)) {
				snprintf(name, cap, "%.*s", (int)n, q);
				return;
			}
		}
		l = e + 1;
	}
}

/* Synthetic residents: households of different shapes, with benefits,
 * flags and history on the first word ids of each kind. */
static const uint8_t ben_a[] = { 0, 0, 3, 0 }, ben_b[] = { 1, 0, 2, 0, 70, 0 };
static const uint8_t flg_a[] = { 0, 0 }, flg_b[] = { 1, 0, 2, 0 };
static const uint8_t hist_a[] = {	/* (u16 id, i32 date), sorted */
	0, 0, 0x10, 0x4e, 0, 0, 0, 0, 0x50, 0x4f, 0, 0,
	1, 0, 0x00, 0x4f, 0, 0, 2, 0, 0xe0, 0x4f, 0, 0
};
static const uint8_t hist_b[] = { 0, 0, 0xd0, 0x4f, 0, 0, 3, 0, 0x10, 0x50, 0, 0 };

#define R(rel_, sex_, ins_, tax_, sp_, birth_, income_, deps_, ben_, flg_, \
    hist_) { .relationship = rel_, .sex = sex_, .insurance = ins_, \
	.tax_exempt = tax_, .single_parent = sp_, .birth = birth_, \
	.income = income_, .dependents = deps_, .benefits = ben_, \
	.nbenefits = sizeof(ben_) / 2, .flags = flg_, \
	.nflags = sizeof(flg_) / 2, .history = hist_, \
	.nhistory = sizeof(hist_) / STORE_HIST_ENTRY }

/* birth dates as day numbers: 1950-06-01 -7154, 1986-04-02 5935,
 * 1990-01-01 7305, 2009-04-02 14336, 2020-04-01 18353, 2025-06-15 20254,
 * 2027-01-01 20819 (born after the first date) */
static const struct resident people[] = {
	/* an elderly woman alone, exempt, institutional care */
	R(REL_HEAD, 2, INS_LATE_ELDERLY, 1, 0, -7154, 800000, 0, ben_a, flg_a, hist_a),
	/* a family: head, spouse, a baby, a child of six, one born later */
	R(REL_HEAD, 1, INS_EMPLOYEE, 0, 0, 5935, 5200000, 3, ben_b, flg_b, hist_b),
	R(REL_SPOUSE, 2, INS_EMPLOYEE, 0, 0, 7305, -1, 0, ben_a, flg_b, hist_a),
	R(REL_CHILD, 1, INS_EMPLOYEE, 0, 0, 20254, 0, 0, ben_b, flg_a, hist_b),
	R(REL_CHILD, 2, INS_EMPLOYEE, 0, 0, 18353, 0, 0, ben_a, flg_a, hist_a),
	R(REL_CHILD, 1, INS_EMPLOYEE, 0, 0, 20819, 0, 0, ben_a, flg_a, hist_a),
	/* a single parent on welfare, a teenager with a disability */
	R(REL_HEAD, 2, INS_WELFARE, 1, 1, 7305, 1200000, 1, ben_b, flg_a, hist_b),
	R(REL_CHILD, 1, INS_WELFARE, 1, 0, 14336, -1, 0, ben_a, flg_b, hist_a),
	/* no head: two others */
	R(REL_OTHER, 1, INS_NHI, 0, 0, 5935, 300000, 0, ben_a, flg_a, hist_b),
	R(REL_PARENT, 2, INS_NONE, 0, 0, -7154, -1, 0, ben_b, flg_b, hist_a),
};
static const struct { unsigned first, n; } households[] = {
	{ 0, 1 }, { 1, 5 }, { 6, 2 }, { 8, 2 }
};

/* Every program for every member of every household on date d: the
 * interpreter and the batch engine agree; explain runs. */
static void
evaluate(const struct rules_set *rs, date_t d)
{
	static struct rules_batch b;
	struct rules_person p[10];
	struct rules_household h[4];
	struct rules_ctx ctx;
	unsigned n = 0;

	rules_ctx_init(&ctx, d, rs);
	b.pers = p;
	for (unsigned k = 0; k < 4; k++) {
		h[k].m = p + n;
		h[k].n = 0;
		h[k].head = -1;
		for (unsigned i = 0; i < households[k].n; i++) {
			const struct resident *r = &people[households[k].first + i];

			if (rules_person_init(&p[n], r, &ctx) != 0)
				continue;	/* not born on d */
			if (r->relationship == REL_HEAD)
				h[k].head = (int)h[k].n;
			b.h[n] = &h[k];
			b.who[n] = (uint16_t)h[k].n++;
			rules_batch_facts(&b, n, &p[n]);
			n++;
		}
	}
	b.n = n;
	rules_eval_batch(rs, &ctx, &b);
	for (unsigned prog = 0; prog < rs->n; prog++)
		for (unsigned i = 0; i < n; i++) {
			int one = rules_eval(rs, rs->p[prog], b.h[i], b.who[i], &ctx);
			int batch = (int)((b.elig[i][prog / 64] >> (prog % 64)) & 1);

			if (one != batch)
				abort();	/* the two evaluators disagree */
			if (rules_explain(rs, rs->p[prog], b.h[i], b.who[i], &ctx,
			    devnull) != one)
				abort();	/* explain says otherwise */
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[160], name[RULES_ID_MAX + 1];
	struct rules_set *rs;

	if (devnull == NULL)
		setup();
	file_name(data, size, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s.ini", dir, name);
	put(path, data, size);
	nrun++;
	if (rules_load(dir, devnull, &rs) == 0) {
		unsigned n;

		nloaded++;
		(void)rules_run_tests(rs, NULL, devnull, &n);
		evaluate(rs, 20780);	/* 2026-11-23 */
		evaluate(rs, 20909);	/* 2027-04-01 */
		rules_free(rs);
	}
	unlink(path);
	return 0;
}
