/* common.h - options every oshirase subcommand shares
 * SPDX-License-Identifier: MIT
 *
 * -c FILE (config), --db DIR, --rules DIR, --key FILE, --date YYYY-MM-DD,
 * -q, -v.  Command-line options override the config file, which overrides the
 * built-in defaults (README, "Config file").
 */
#ifndef OSHIRASE_COMMON_H
#define OSHIRASE_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "dates.h"

enum {
	OPT_DB = 1000, OPT_RULES, OPT_KEY, OPT_DATE, OPT_HELP,
	OPT_FIRST_LOCAL		/* subcommands number their own from here */
};

#define COMMON_LONGOPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "rules", required_argument, NULL, OPT_RULES }, \
	{ "key", required_argument, NULL, OPT_KEY }, \
	{ "date", required_argument, NULL, OPT_DATE }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, OPT_HELP }
#define COMMON_SHORTOPTS "c:qv"

struct common {
	const char *config_path;
	const char *db, *rules, *key;
	date_t date;		/* --date, else today in Japan */
	int have_date;
	int quiet;
	int help;
	struct config cfg;
};

void common_init(struct common *c);
/* Handle a common option: 1 if it was one, 0 if not, -1 on a bad value
 * (message printed; exit EXIT_USAGE). */
int common_option(struct common *c, int opt, const char *arg);
/*
 * For commands with only the common options: parse them, handle --help,
 * check that the operand count is within [min_ops, max_ops] (max_ops < 0:
 * no limit), and load the config.  Returns -1 to go on (operands start at
 * optind) or the exit status to return.
 */
int common_parse(struct common *c, int argc, char **argv, int min_ops,
    int max_ops, void (*usage)(FILE *));
/* Parse an option's whole-number value in [min, max] into *out: 0, or -1
 * with a message naming the option. */
int common_number(const char *option, const char *arg, long min, long max,
    unsigned *out);
/* Load the config and settle db, rules and key.  Returns 0 or an exit
 * status (message printed). */
int common_finish(struct common *c);
struct store;
struct rules_set;
/* Load the rules, open the store (store_open flags) and bind the rules to
 * its words.  Returns 0 or an exit status (message printed). */
int common_open(struct common *c, int flags, struct store **s,
    struct rules_set **rs);

#endif
