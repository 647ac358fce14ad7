/* oshirase.c - the command-line tool: dispatch to subcommands, git-style
 * SPDX-License-Identifier: MIT
 */
#include "cmd.h"
#include "log.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "keygen", cmd_keygen, "create the pseudonymisation key or the contact key pair" },
	{ "import", cmd_import, "import a resident or contact extract (CSV) into the store" },
	{ "status", cmd_status, "print what the store holds (counts only, no personal data)" },
	{ "eligible", cmd_eligible, "list who is eligible for what on a date (dry run)" },
	{ "explain", cmd_explain, "show why a resident is or is not eligible" },
	{ "match", cmd_match, "what a run would notify (--dry-run)" },
	{ "letters", cmd_letters, "registration codes for residents with no contact (a CSV)" },
	{ "audit", cmd_audit, "the sealed log: init its keys; verify, proofs (runs oshirase-audit)" },
	{ "rules", cmd_rules, "check the rule files, or run their test cases" },
	{ "pseudonym", cmd_pseudonym, "print the pseudonyms of resident or household ids" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase [--help] [--version] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'oshirase COMMAND --help' describes one command.\n");
}

int
main(int argc, char **argv)
{
	log_init("oshirase", LOG_LEVEL_INFO);
	/* the key files, the contact key and residents' data: no core */
	if (util_nodump() != 0)
		fatal("no core dumps");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--version") == 0) {
			printf("oshirase %s\n", OSHIRASE_VERSION);
			return 0;
		}
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
