/* match.c - oshirase match --dry-run
 * SPDX-License-Identifier: MIT
 *
 *   match --dry-run --date D   what a run on D would newly queue, as
 *                              program_id<TAB>recipient<TAB>subject<TAB>
 *                              channel in byte order (README, "File formats"), and
 *                              nothing else on standard output
 *   match --dry-run --counts   a table per program: eligible, would be
 *                              queued, and why the rest would not be
 * It reads the store (residents, contact channels and consent, the ledger)
 * and changes nothing.  A real run is the daemon's: `oshirased --once`.
 */
#include "cmd.h"
#include "common.h"
#include "log.h"
#include "match.h"
#include "matcher.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static void
match_usage(FILE *f)
{
	fprintf(f, "usage: oshirase match --dry-run [--date D] [--counts] "
	    "[--threads N] [--db DIR] [--rules DIR]\n"
	    "Print what a run on D would queue, as program_id<TAB>recipient<TAB>"
	    "subject<TAB>channel\nin byte order, leaving out what the dedup "
	    "ledger holds; or with --counts a table\nper program.  Changes "
	    "nothing.  A real run: oshirased --once [--date D].\n");
}

int
cmd_match(int argc, char **argv)
{
	enum { OPT_DRY = OPT_FIRST_LOCAL, OPT_COUNTS, OPT_THREADS };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "counts", no_argument, NULL, OPT_COUNTS },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	struct store *s;
	struct rules_set *rs;
	struct match_result *res;
	unsigned threads = 0;
	int opt, rc, dry = 0, counts = 0;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_DRY)
			dry = 1;
		else if (opt == OPT_COUNTS)
			counts = 1;
		else if (opt == OPT_THREADS) {
			if (common_number("--threads", optarg, 1, MATCHER_MAX_THREADS,
			    &threads) != 0)
				return EXIT_USAGE;
		} else if (common_option(&c, opt, optarg) <= 0) {
			match_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		match_usage(stdout);
		return 0;
	}
	if (optind != argc || !dry) {
		if (!dry)
			log_warnx("only --dry-run here: a real run is "
			    "`oshirased --once`");
		match_usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = common_finish(&c)) != 0 ||
	    (rc = common_open(&c, STORE_RDONLY, &s, &rs)) != 0)
		return rc;
	res = xcalloc(1, sizeof(*res));
	rc = match_run(s, rs, c.date, threads, 1, counts ? NULL : stdout,
	    c.cfg.match_batch, res);
	if (rc != 0)	/* logged, but for a failed write to stdout */
		rc = rc == MATCH_EREADONLY || rc == MATCH_ETHREAD ?
		    EXIT_SOFTWARE : EXIT_IOERR;
	if (rc == 0 && counts) {
		match_print_counts(rs, res, stdout);
		if (fflush(stdout) != 0)
			rc = EXIT_IOERR;
	}
	free(res);
	store_close(s);
	rules_free(rs);
	return rc;
}
