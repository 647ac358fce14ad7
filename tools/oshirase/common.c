/* common.c - options every oshirase subcommand shares
 * SPDX-License-Identifier: MIT
 */
#include "common.h"
#include "addrbox.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
common_init(struct common *c)
{
	memset(c, 0, sizeof(*c));
	c->date = date_today_jst();
	optind = 0;		/* getopt may have run before */
}

int
common_option(struct common *c, int opt, const char *arg)
{
	int rc;

	switch (opt) {
	case 'c':
		c->config_path = arg;
		return 1;
	case OPT_DB:
		c->db = arg;
		return 1;
	case OPT_RULES:
		c->rules = arg;
		return 1;
	case OPT_KEY:
		c->key = arg;
		return 1;
	case OPT_DATE:
		rc = date_parse(arg, strlen(arg), &c->date);
		if (rc != DATE_OK) {
			log_warnx("--date '%s': %s", arg, date_strerror(rc));
			return -1;
		}
		c->have_date = 1;
		return 1;
	case 'q':
		c->quiet = 1;
		return 1;
	case 'v':
		log_init(NULL, LOG_LEVEL_DEBUG);
		return 1;
	case OPT_HELP:
		c->help = 1;
		return 1;
	default:
		return 0;
	}
}

int
common_parse(struct common *c, int argc, char **argv, int min_ops, int max_ops,
    void (*usage)(FILE *))
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	int opt, rc;

	common_init(c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		if (common_option(c, opt, optarg) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	if (c->help) {
		usage(stdout);
		return 0;
	}
	if (argc - optind < min_ops || (max_ops >= 0 && argc - optind > max_ops)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = common_finish(c);
	return rc != 0 ? rc : -1;
}

int
common_number(const char *option, const char *arg, long min, long max,
    unsigned *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		log_warnx("%s: '%s' is not a number in %ld..%ld", option, arg, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int
common_finish(struct common *c)
{
	char err[1200];
	int rc = config_load(c->config_path, &c->cfg, err, sizeof(err));

	if (rc != 0) {
		log_warnx("%s", err);
		return rc == CONFIG_ENOINPUT ? EXIT_NOINPUT : EXIT_CONFIG;
	}
	if (c->db == NULL)
		c->db = c->cfg.db;
	if (c->rules == NULL)
		c->rules = c->cfg.rules;
	if (c->key == NULL)
		c->key = c->cfg.key;
	return 0;
}

int
common_open(struct common *c, int flags, struct store **s,
    struct rules_set **rs)
{
	char err[1400];
	MDB_txn *txn;
	int rc;

	rc = rules_load(c->rules, stderr, rs);
	if (rc != 0)
		return rc == RULES_ENOINPUT ? EXIT_NOINPUT : EXIT_DATAERR;
	rc = store_open(c->db, flags, s, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		rules_free(*rs);
		return rc == STORE_ENOENT ? EXIT_NOINPUT :
		    rc == STORE_EDAMAGED ? EXIT_IOERR : EXIT_DATAERR;
	}
	rc = mdb_txn_begin(store_env(*s), NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		rc = rules_bind_store(*rs, txn, store_dbi(*s));
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		log_warnx("%s: %s", c->db, store_strerror(rc));
		store_close(*s);
		rules_free(*rs);
		return EXIT_IOERR;
	}
	return 0;
}
