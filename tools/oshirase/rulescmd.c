/* rulescmd.c - oshirase rules check|test [DIR]
 * SPDX-License-Identifier: MIT
 *
 *   rules check [DIR]   load and type-check every rule file: exit 0, or 65
 *                       with FILE:LINE:COLUMN: messages
 *   rules test [DIR] [--program ID]
 *                       run the test cases in the rule files: exit 0, 1 if
 *                       a case does not hold, 65 if a file does not load
 * DIR defaults to --rules / the config's [rules] dir.
 */
#include "cmd.h"
#include "common.h"
#include "log.h"
#include "render.h"
#include "rules.h"
#include "sealfmt.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase rules check [DIR]\n"
	    "       oshirase rules test [DIR] [--program ID]\n"
	    "       oshirase rules message [DIR] --program ID [--lang en] [--child]\n"
	    "       oshirase rules version [DIR]\n"
	    "Check the rule files (names, words, types, departments), run their\n"
	    "test cases, show a program's message as a resident would read\n"
	    "it (--child: to a parent about their child), or print the rule\n"
	    "set's version (16 hex digits: what the sealed log keeps of it in\n"
	    "each notice's record, as `oshirase audit show` prints it).  DIR\n"
	    "defaults to --rules or the config's [rules] dir.\n");
}

int
cmd_rules(int argc, char **argv)
{
	enum { OPT_PROGRAM = OPT_FIRST_LOCAL, OPT_LANG, OPT_CHILD };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "program", required_argument, NULL, OPT_PROGRAM },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "child", no_argument, NULL, OPT_CHILD },
		{ NULL, 0, NULL, 0 }
	};
	int lang = LANG_JA, child = 0;
	struct common c;
	struct rules_set *set;
	const char *what, *dir, *only = NULL;
	unsigned n, failed, ntests = 0;
	int opt, rc;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_PROGRAM)
			only = optarg;
		else if (opt == OPT_CHILD)
			child = 1;
		else if (opt == OPT_LANG) {
			if (strcmp(optarg, "ja") != 0 && strcmp(optarg, "en") != 0) {
				log_warnx("--lang: ja or en");
				return EXIT_USAGE;
			}
			lang = optarg[0] == 'e' ? LANG_EN : LANG_JA;
		} else if (common_option(&c, opt, optarg) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (argc - optind < 1 || argc - optind > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	what = argv[optind];
	if (strcmp(what, "check") != 0 && strcmp(what, "test") != 0 &&
	    strcmp(what, "message") != 0 && strcmp(what, "version") != 0) {
		log_warnx("rules: '%s' is not check, test, message or version",
		    what);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = common_finish(&c)) != 0)
		return rc;
	dir = argc - optind == 2 ? argv[optind + 1] : c.rules;
	rc = rules_load(dir, stderr, &set);
	if (rc != 0)
		return rc == RULES_ENOINPUT ? EXIT_NOINPUT : EXIT_DATAERR;
	if (render_check_departments(set, &c.cfg, stderr) != 0) {
		rules_free(set);
		return EXIT_DATAERR;
	}
	if (strcmp(what, "message") == 0) {
		char text[8192];
		int idx = only ? rules_find(set, only) : -1;

		if (idx < 0) {
			log_warnx("rules message: --program ID, one of the programs "
			    "in %s", dir);
			rules_free(set);
			return EXIT_USAGE;
		}
		rc = render_message(set->p[idx], &c.cfg, lang, child, text, sizeof(text));
		if (rc >= 0)
			printf("%s\n", text);
		rules_free(set);
		return rc >= 0 ? 0 : EXIT_SOFTWARE;
	}
	if (strcmp(what, "version") == 0) {
		/* the digits the sealed log keeps of it (audit show) */
		char hex[2 * SEALFMT_RULESET_LEN + 1];

		hex_encode(set->version, SEALFMT_RULESET_LEN, hex);
		printf("%s\n", hex);
		rules_free(set);
		return 0;
	}
	if (strcmp(what, "check") == 0) {
		n = 0;
		for (unsigned i = 0; i < set->n; i++)
			n += set->p[i]->nclauses;
		if (!c.quiet)
			printf("%s: %u programs, %u clauses: ok\n", dir, set->n, n);
		rules_free(set);
		return 0;
	}
	if (only != NULL && rules_find(set, only) < 0) {
		log_warnx("rules: no program '%s' in %s", only, dir);
		rules_free(set);
		return EXIT_USAGE;
	}
	failed = rules_run_tests(set, only, stdout, &ntests);
	printf("rules: %u passed, %u failed\n", ntests - failed, failed);
	rules_free(set);
	return failed ? EXIT_CHECK_FAILED : 0;
}
