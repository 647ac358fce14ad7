/* config.c - the config file: one table of keys
 * SPDX-License-Identifier: MIT
 */
#include "config.h"
#include "inifile.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype { CT_PATH, CT_INT };

static const struct ckey {
	const char *section, *name;
	enum ctype type;
	size_t off;
	const char *def;
	long min, max;
	const char *help;
} keys[] = {
	{ "store", "db", CT_PATH, offsetof(struct config, db),
	  "/var/lib/oshirase", 0, 0, "the LMDB directory (--db)" },
	{ "rules", "dir", CT_PATH, offsetof(struct config, rules),
	  OSHIRASE_RULES_DIR, 0, 0, "the rule files and vocabulary.ini (--rules)" },
	{ "pseudonym", "key", CT_PATH, offsetof(struct config, key),
	  OSHIRASE_SYSCONFDIR "/pseudonym.key", 0, 0,
	  "the pseudonymisation key file, used by import only (--key)" },
	{ "contacts", "public_key", CT_PATH, offsetof(struct config, contacts_pub),
	  "", 0, 0, "public key contacts are encrypted to (empty: DB/contacts.pub)" },
	{ "contacts", "secret_key", CT_PATH, offsetof(struct config, contacts_sec),
	  "", 0, 0, "the daemon's secret key for contacts (empty: DB/contacts.sec)" },
	{ "import", "max_errors", CT_INT, offsetof(struct config, max_errors),
	  "100", 1, 1000000, "bad-row messages printed before summarising" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int
set_value(struct config *cfg, const struct ckey *k, const char *value,
    char *why, size_t whylen)
{
	char *end;
	long v;

	switch (k->type) {
	case CT_PATH:
		if (strlen(value) >= CONFIG_PATH_MAX) {
			snprintf(why, whylen, "path longer than %d bytes",
			    CONFIG_PATH_MAX - 1);
			return -1;
		}
		strcpy((char *)cfg + k->off, value);
		return 0;
	case CT_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    v < k->min || v > k->max) {
			snprintf(why, whylen, "'%s' is not an integer in %ld..%ld",
			    value, k->min, k->max);
			return -1;
		}
		*(long *)((char *)cfg + k->off) = v;
		return 0;
	}
	return -1;
}

struct load_ctx {
	struct config *cfg;
	struct inifile_err *err;
};

static int
handler(void *user, const char *section, const char *name, const char *value,
    int line, const char *raw)
{
	struct load_ctx *ctx = user;
	char why[160];

	if (raw[0] == ' ' || raw[0] == '\t') {
		inifile_error(ctx->err, line, 1, "a config value is one line "
		    "(this line starts with white space)");
		return -1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (set_value(ctx->cfg, &keys[i], value, why, sizeof(why)) != 0) {
			inifile_error(ctx->err, line, 0, "[%s] %s: %s", section,
			    name, why);
			return -1;
		}
		return 0;
	}
	inifile_error(ctx->err, line, 0, "unknown key '%s' in section [%s]",
	    name, section);
	return -1;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct inifile_err ie;
	struct load_ctx ctx = { cfg, &ie };
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	char why[160];
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(cfg, &keys[i], keys[i].def, why, sizeof(why)) != 0)
			abort();	/* the table's own defaults are wrong */
	rc = inifile_parse(file, handler, &ctx, &ie);
	if (rc == -2) {
		if (path == NULL && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", file, ie.msg);
		return EXIT_NOINPUT;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: %s", file, ie.line, ie.msg);
		return EXIT_CONFIG;
	}
	return 0;
}

void
config_describe(void)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		printf("[%s] %s (%s, default '%s'", k->section, k->name,
		    k->type == CT_INT ? "integer" : "path", k->def);
		if (k->type == CT_INT)
			printf(", %ld..%ld", k->min, k->max);
		printf("): %s\n", k->help);
	}
}
