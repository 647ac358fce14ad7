/* config.h - the one INI config file (default /etc/oshirase/oshirase.conf)
 * SPDX-License-Identifier: MIT
 *
 * Every key is in one table in config.c (section, name, type, default,
 * range); a key not in it is an error, as is a value out of range.  The
 * file is parsed once into an immutable struct config; a reload parses a
 * new one and swaps.  A missing default file is not an error (built-in
 * defaults apply); a missing file named with -c is.
 *
 * Secrets never go in this file: it names the files that hold them.
 */
#ifndef OSHIRASE_CONFIG_H
#define OSHIRASE_CONFIG_H

#include <stddef.h>

#include "paths.h"	/* written by the Makefile: install paths */
#define CONFIG_DEFAULT_PATH OSHIRASE_SYSCONFDIR "/oshirase.conf"

#define CONFIG_PATH_MAX 1024

struct config {
	char db[CONFIG_PATH_MAX];		/* [store] db */
	char rules[CONFIG_PATH_MAX];		/* [rules] dir */
	char key[CONFIG_PATH_MAX];		/* [pseudonym] key */
	char contacts_pub[CONFIG_PATH_MAX];	/* [contacts] public_key ("" = db/contacts.pub) */
	char contacts_sec[CONFIG_PATH_MAX];	/* [contacts] secret_key ("" = db/contacts.sec) */
	long max_errors;			/* [import] max_errors */
};

/*
 * Fill cfg with the defaults, then read path (NULL = the default path, which
 * may be missing).  Returns 0, EXIT_CONFIG with "FILE:LINE: message" in err,
 * or EXIT_NOINPUT for an explicit path that cannot be read.
 */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* Print every key with its type, default and range (for --help-config). */
void config_describe(void);

#endif
