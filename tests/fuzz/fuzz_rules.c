/* fuzz_rules.c - libFuzzer target: the rule loader, type checker, compiler
 * and both evaluators on an arbitrary program file; and the config reader
 * SPDX-License-Identifier: MIT
 *
 * The input is written as DIR/p.ini beside a small vocabulary, and as a
 * config file.  A program that loads must run its tests and evaluate a
 * fixed household alike in the interpreter and the batch engine.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rules.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vocab[] =
    "[benefit]\nchild-rearing-allowance = x\n[event]\nmr = x\n"
    "lung-screening = x\n[flag]\ninstitutional_care = x\n";

static void
put(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/fuzz-rules.XXXXXX", path[96], err[1400];
	struct rules_set *rs;
	struct config cfg;
	FILE *devnull = fopen("/dev/null", "w");

	if (mkdtemp(dir) == NULL || devnull == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/vocabulary.ini", dir);
	{
		/* the project's vocabulary when make fuzz names it, so that
		 * the shipped rule files in the seed corpus load */
		const char *vp = getenv("OSHIRASE_VOCAB");
		size_t vl = 0;
		char *v = vp ? file_read_all(vp, &vl) : NULL;

		if (v != NULL)
			put(path, v, vl);
		else
			put(path, vocab, sizeof(vocab) - 1);
		free(v);
	}
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	put(path, data, size);
	(void)config_load(path, &cfg, err, sizeof(err));
	if (rules_load(dir, devnull, &rs) == 0) {
		static struct rules_batch b;
		struct resident r[3];
		struct rules_person p[3];
		struct rules_household h;
		struct rules_ctx ctx;
		unsigned n;

		(void)rules_run_tests(rs, NULL, devnull, &n);
		memset(r, 0, sizeof(r));
		for (int i = 0; i < 3; i++) {
			r[i].relationship = (uint8_t)(i == 0 ? REL_HEAD : REL_CHILD);
			r[i].sex = (uint8_t)(1 + i % 2);
			r[i].birth = 5000 * i;
			r[i].income = i == 1 ? -1 : 1000000 * i;
		}
		rules_ctx_init(&ctx, 20000, rs);
		for (int i = 0; i < 3; i++)
			rules_person_init(&p[i], &r[i], &ctx);
		h.n = 3;
		h.head = 0;
		h.m = p;
		b.n = 3;
		b.pers = p;
		for (unsigned i = 0; i < 3; i++) {
			b.h[i] = &h;
			b.who[i] = (uint16_t)i;
			rules_batch_facts(&b, i, &p[i]);
		}
		rules_eval_batch(rs, &ctx, &b);
		for (unsigned prog = 0; prog < rs->n; prog++)
			for (unsigned i = 0; i < 3; i++) {
				int one = rules_eval(rs, rs->p[prog], &h, i, &ctx);
				int batch = (int)((b.elig[i][prog / 64] >> (prog % 64)) & 1);

				if (one != batch)
					abort();	/* the two evaluators disagree */
				(void)rules_explain(rs, rs->p[prog], &h, i, &ctx, devnull);
			}
		rules_free(rs);
	}
	fclose(devnull);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vocabulary.ini", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}
