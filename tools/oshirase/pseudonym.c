/* pseudonym.c - oshirase pseudonym: print the pseudonyms of resident ids
 * SPDX-License-Identifier: MIT
 *
 *   oshirase pseudonym --key FILE ID...     one "ID<TAB>pseudonym" a line
 *   oshirase pseudonym --key FILE -         ids from standard input
 * For the people allowed to hold the key (the import host, an auditor
 * looking up one resident): the daemon never runs this.
 */
#include "cmd.h"
#include "common.h"
#include "log.h"
#include "pseudo.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase pseudonym [--key FILE] ID... | -\n"
	    "Print each resident or household id with its pseudonym (keyed\n"
	    "BLAKE2b-256, lowercase hex), separated by a tab.\n");
}

static void
print_one(const uint8_t *key, const char *id, size_t len)
{
	uint8_t p[PSEUDO_LEN];
	char hex[PSEUDO_HEXLEN + 1];

	pseudo_compute(key, id, len, p);
	hex_encode(p, PSEUDO_LEN, hex);
	printf("%.*s\t%s\n", (int)len, id, hex);
}

int
cmd_pseudonym(int argc, char **argv)
{
	struct common c;
	uint8_t *key;
	int rc;

	if ((rc = common_parse(&c, argc, argv, 1, -1, usage)) >= 0)
		return rc;
	if ((key = pseudo_key_load(c.key, &rc)) == NULL)
		return rc;
	if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				n--;
			if (n > 0)
				print_one(key, line, (size_t)n);
		}
		free(line);
	} else
		for (int i = optind; i < argc; i++)
			print_one(key, argv[i], strlen(argv[i]));
	pseudo_key_free(key);
	return fflush(stdout) == 0 ? 0 : EXIT_IOERR;
}
