/* eligible.c - oshirase eligible and oshirase explain
 * SPDX-License-Identifier: MIT
 *
 *   eligible --date D            every eligible (program, subject) pair as
 *                                program_id<TAB>subject_pseudonym, in byte
 *                                order, nothing else on standard output
 *   eligible --date D --counts   a table per program: subjects, households
 *   explain --program ID --subject PSEUDONYM --date D
 *                                each clause of the program for that
 *                                resident: its value and the fields it read
 * Both read the store and the rules only; they change nothing.
 */
#include "cmd.h"
#include "common.h"
#include "log.h"
#include "matcher.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pseudo_vec {
	uint8_t *p;		/* n pseudonyms of 32 bytes */
	size_t n, cap;
};

struct collect {
	const struct rules_set *rs;
	int counts_only;
	struct pseudo_vec v[RULES_MAX_PROGRAMS];
	unsigned long subjects[RULES_MAX_PROGRAMS];
	unsigned long households[RULES_MAX_PROGRAMS];
};

static void
on_household(void *user, const struct matcher_household *mh)
{
	struct collect *c = user;
	uint64_t seen[MATCHER_WORDS] = { 0 };

	for (unsigned m = 0; m < mh->h->n; m++)
		for (unsigned w = 0; w < MATCHER_WORDS; w++) {
			uint64_t bits = mh->elig[m][w];

			seen[w] |= bits;
			while (bits) {
				unsigned prog = w * 64 + (unsigned)__builtin_ctzll(bits);
				struct pseudo_vec *v = &c->v[prog];

				bits &= bits - 1;
				c->subjects[prog]++;
				if (c->counts_only)
					continue;
				if (v->n == v->cap) {
					v->cap = v->cap ? 2 * v->cap : 1024;
					v->p = xrealloc(v->p, v->cap * STORE_PSEUDO_LEN);
				}
				memcpy(v->p + v->n * STORE_PSEUDO_LEN, mh->res[m],
				    STORE_PSEUDO_LEN);
				v->n++;
			}
		}
	for (unsigned w = 0; w < MATCHER_WORDS; w++)
		while (seen[w]) {
			c->households[w * 64 + (unsigned)__builtin_ctzll(seen[w])]++;
			seen[w] &= seen[w] - 1;
		}
}

static void
eligible_usage(FILE *f)
{
	fprintf(f, "usage: oshirase eligible --date D [--counts] [--threads N] "
	    "[--db DIR] [--rules DIR] [--reference]\n"
	    "Print every eligible pair as program_id<TAB>subject_pseudonym in\n"
	    "byte order, or with --counts a table of subjects and households\n"
	    "per program.  D defaults to today in Japan.  --reference evaluates\n"
	    "one person at a time with the plain interpreter (slow), to check\n"
	    "the batch engine: the output must be the same.\n");
}

static int
print_pairs(struct collect *cs, unsigned nt, const struct rules_set *rs)
{
	char *buf = xmalloc(1 << 20);
	size_t len = 0;
	int rc = 0;

	for (unsigned prog = 0; prog < rs->n; prog++) {
		size_t total = 0, k = 0, idlen = strlen(rs->p[prog]->id);
		uint8_t *all;
		uint32_t *order;

		for (unsigned t = 0; t < nt; t++)
			total += cs[t].v[prog].n;
		if (total == 0)
			continue;
		all = xmalloc(total * STORE_PSEUDO_LEN);
		for (unsigned t = 0; t < nt; t++) {
			if (cs[t].v[prog].n == 0)
				continue;
			memcpy(all + k * STORE_PSEUDO_LEN, cs[t].v[prog].p,
			    cs[t].v[prog].n * STORE_PSEUDO_LEN);
			k += cs[t].v[prog].n;
		}
		order = util_order_keys(all, STORE_PSEUDO_LEN, total, 0, STORE_PSEUDO_LEN);
		for (size_t i = 0; i < total; i++) {
			if (len + idlen + 2 * STORE_PSEUDO_LEN + 3 > (1 << 20)) {
				if (fwrite(buf, 1, len, stdout) != len)
					rc = EXIT_IOERR;
				len = 0;
			}
			memcpy(buf + len, rs->p[prog]->id, idlen);
			len += idlen;
			buf[len++] = '\t';
			hex_encode(all + (size_t)order[i] * STORE_PSEUDO_LEN,
			    STORE_PSEUDO_LEN, buf + len);
			len += 2 * STORE_PSEUDO_LEN;
			buf[len++] = '\n';
		}
		free(order);
		free(all);
	}
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = EXIT_IOERR;
	free(buf);
	return rc;
}

int
cmd_eligible(int argc, char **argv)
{
	enum { OPT_COUNTS = OPT_FIRST_LOCAL, OPT_THREADS, OPT_REFERENCE };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "counts", no_argument, NULL, OPT_COUNTS },
		{ "reference", no_argument, NULL, OPT_REFERENCE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	struct store *s;
	struct rules_set *rs;
	struct rules_ctx ctx;
	struct collect *cs;
	void *users[MATCHER_MAX_THREADS];
	unsigned long bad;
	unsigned nt, threads = 0;
	int opt, rc, counts = 0, flags = 0;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_COUNTS)
			counts = 1;
		else if (opt == OPT_REFERENCE)
			flags |= MATCHER_REFERENCE;
		else if (opt == OPT_THREADS) {
			if (common_number("--threads", optarg, 1, MATCHER_MAX_THREADS,
			    &threads) != 0)
				return EXIT_USAGE;
		} else if (common_option(&c, opt, optarg) <= 0) {
			eligible_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		eligible_usage(stdout);
		return 0;
	}
	if (optind != argc) {
		eligible_usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = common_finish(&c)) != 0 || (rc = common_open(&c, STORE_RDONLY, &s, &rs)) != 0)
		return rc;
	rules_ctx_init(&ctx, c.date, rs);
	nt = matcher_threads(threads);
	cs = xcalloc(nt, sizeof(*cs));
	for (unsigned t = 0; t < nt; t++) {
		cs[t].rs = rs;
		cs[t].counts_only = counts;
		users[t] = &cs[t];
	}
	rc = matcher_run(s, rs, &ctx, nt, flags, on_household, users, &bad);
	if (rc != 0) {
		log_warnx("%s: %s", c.db, matcher_strerror(rc));
		rc = rc == MATCHER_ETHREAD ? EXIT_SOFTWARE : EXIT_IOERR;
	} else if (bad)
		log_warnx("%s: %lu records did not decode and were skipped", c.db, bad);
	if (rc == 0 && counts) {
		char d[DATE_STRLEN + 1];

		date_format(c.date, d);
		printf("%-34s %10s %10s   (D %s, FY %d)\n", "program", "subjects",
		    "households", d, ctx.fy);
		for (unsigned prog = 0; prog < rs->n; prog++) {
			unsigned long sub = 0, hh = 0;

			for (unsigned t = 0; t < nt; t++) {
				sub += cs[t].subjects[prog];
				hh += cs[t].households[prog];
			}
			printf("%-34s %10lu %10lu\n", rs->p[prog]->id, sub, hh);
		}
		if (fflush(stdout) != 0)
			rc = EXIT_IOERR;
	} else if (rc == 0)
		rc = print_pairs(cs, nt, rs);
	for (unsigned t = 0; t < nt; t++)
		for (unsigned prog = 0; prog < RULES_MAX_PROGRAMS; prog++)
			free(cs[t].v[prog].p);
	free(cs);
	store_close(s);
	rules_free(rs);
	return rc;
}

static void
explain_usage(FILE *f)
{
	fprintf(f, "usage: oshirase explain --program ID --subject PSEUDONYM "
	    "[--date D] [--db DIR] [--rules DIR]\n"
	    "Show each clause of the program for that resident: its value and\n"
	    "the fields it read.  Exit 0 if the resident is eligible, 1 if not.\n");
}

int
cmd_explain(int argc, char **argv)
{
	enum { OPT_PROGRAM = OPT_FIRST_LOCAL, OPT_SUBJECT };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "program", required_argument, NULL, OPT_PROGRAM },
		{ "subject", required_argument, NULL, OPT_SUBJECT },
		{ NULL, 0, NULL, 0 }
	};
	const char *program = NULL, *subject = NULL;
	uint8_t res[STORE_PSEUDO_LEN], key[STORE_RES_KEY_LEN];
	struct resident recs[256];
	struct rules_person p[256];
	struct rules_household h;
	struct rules_ctx ctx;
	struct common c;
	struct store *s;
	struct rules_set *rs;
	const struct rules_program *pr;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int opt, rc, who = -1, idx;
	char d[DATE_STRLEN + 1];

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_PROGRAM)
			program = optarg;
		else if (opt == OPT_SUBJECT)
			subject = optarg;
		else if (common_option(&c, opt, optarg) <= 0) {
			explain_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		explain_usage(stdout);
		return 0;
	}
	if (optind != argc || program == NULL || subject == NULL) {
		explain_usage(stderr);
		return EXIT_USAGE;
	}
	if (hex_decode(subject, strlen(subject), res, sizeof(res)) != 0) {
		log_warnx("--subject: a pseudonym is 64 hex digits (see 'oshirase "
		    "pseudonym')");
		return EXIT_USAGE;
	}
	if ((rc = common_finish(&c)) != 0 || (rc = common_open(&c, STORE_RDONLY, &s, &rs)) != 0)
		return rc;
	if ((idx = rules_find(rs, program)) < 0) {
		log_warnx("no program '%s' in %s", program, c.rules);
		rc = EXIT_USAGE;
		goto out;
	}
	pr = rs->p[idx];
	rules_ctx_init(&ctx, c.date, rs);
	if ((rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, store_dbi(s)->residents, &cur)) != 0) {
		log_warnx("%s: %s", c.db, mdb_strerror(rc));
		rc = EXIT_IOERR;
		goto out;
	}
	k.mv_size = STORE_PSEUDO_LEN;
	k.mv_data = res;
	rc = mdb_get(txn, store_dbi(s)->resident_hh, &k, &v);
	if (rc != 0 || v.mv_size != STORE_PSEUDO_LEN) {
		log_warnx("no resident with pseudonym %s in %s", subject, c.db);
		rc = EXIT_NOINPUT;
		goto out;
	}
	memcpy(key, v.mv_data, STORE_PSEUDO_LEN);
	k.mv_size = STORE_PSEUDO_LEN;
	k.mv_data = key;
	h.n = 0;
	h.head = -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && h.n < 256;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kk = k.mv_data;

		if (k.mv_size != STORE_RES_KEY_LEN || memcmp(kk, key, STORE_PSEUDO_LEN) != 0)
			break;
		if (store_resident_decode(v.mv_data, v.mv_size, &recs[h.n]) != 0 ||
		    rules_person_init(&p[h.n], &recs[h.n], &ctx) != 0)
			continue;
		if (memcmp(kk + STORE_PSEUDO_LEN, res, STORE_PSEUDO_LEN) == 0)
			who = (int)h.n;
		if (recs[h.n].relationship == REL_HEAD && h.head < 0)
			h.head = (int)h.n;
		h.n++;
	}
	h.m = p;
	date_format(c.date, d);
	printf("program %s (%s), subject %s\nD %s, FY %d; household of %u "
	    "members%s\n", pr->id, pr->name_ja, subject, d, ctx.fy, h.n,
	    h.head < 0 ? ", no head" : "");
	if (who < 0) {
		printf("  the resident is not born on %s: no one's subject\n", d);
		rc = EXIT_CHECK_FAILED;
		goto out;
	}
	rc = rules_explain(rs, pr, &h, (unsigned)who, &ctx, stdout);
	printf("result: %s\n", rc ? "eligible" : "not eligible");
	rc = rc ? 0 : EXIT_CHECK_FAILED;
out:
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	store_close(s);
	rules_free(rs);
	return rc;
}
