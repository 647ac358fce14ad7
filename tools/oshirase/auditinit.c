/* auditinit.c - oshirase audit: init here, the rest by oshirase-audit
 * SPDX-License-Identifier: MIT
 *
 *   oshirase audit init --log DIR [--pubkey-out F] [--k0-out F] [--origin NAME]
 *   oshirase audit verify|prove|check-proof|show ...
 *
 * init makes a log's keys (the writer's: daemon/queue/outlog.h), so it
 * stays in the operator's tool.  Every other subcommand is the auditor's
 * program, oshirase-audit, run git-style: the one installed beside this
 * executable (the directory of /proc/self/exe), else the first on PATH,
 * with the arguments passed through; execv, so that its exit status and
 * signals are the caller's.  `show --key KEY --resident ID` is the one
 * rewrite: the resident's pseudonym is computed here (pseudo.h, the only
 * place the pseudonymisation key is read) and passed as --pseudonym HEX.
 */
#include "cmd.h"
#include "log.h"
#include "outlog.h"
#include "pseudo.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUDITOR "oshirase-audit"

static void
audit_usage(FILE *f)
{
	fprintf(f, "usage: oshirase audit init --log DIR [--pubkey-out F] "
	    "[--k0-out F] [--origin NAME]\n"
	    "       oshirase audit verify --log DIR --pubkey FILE [--k0 FILE] "
	    "[--checkpoint FILE]\n"
	    "       oshirase audit prove --log DIR --notice ID [--checkpoint FILE]\n"
	    "       oshirase audit check-proof --pubkey FILE PROOF\n"
	    "       oshirase audit show --log DIR [--json] [--key FILE "
	    "--resident ID | --pseudonym HEX]\n"
	    "Verify the sealed notification log: exit 0 clean, 1 tampered, with\n"
	    "the first bad record as `record N at byte B: what is wrong`.\n"
	    "init makes a new log's keys; verify, prove, check-proof and show\n"
	    "run " AUDITOR ", the auditor's program, installed beside this one.\n");
}

static int
audit_init(int argc, char **argv)
{
	enum { OPT_LOG = 256, OPT_PUBOUT, OPT_K0OUT, OPT_ORIGIN, OPT_HELP };
	static const struct option longopts[] = {
		{ "log", required_argument, NULL, OPT_LOG },
		{ "pubkey-out", required_argument, NULL, OPT_PUBOUT },
		{ "k0-out", required_argument, NULL, OPT_K0OUT },
		{ "origin", required_argument, NULL, OPT_ORIGIN },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	const char *logdir = NULL, *pubout = NULL, *k0out = NULL;
	const char *origin = "oshirase";
	char err[1400];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_LOG: logdir = optarg; break;
		case OPT_PUBOUT: pubout = optarg; break;
		case OPT_K0OUT: k0out = optarg; break;
		case OPT_ORIGIN: origin = optarg; break;
		case OPT_HELP:
			audit_usage(stdout);
			return 0;
		default:
			audit_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || logdir == NULL) {
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = outlog_init(logdir, origin, pubout, k0out, err,
	    sizeof(err))) != 0) {
		log_warnx("%s", err);
		switch (rc) {
		case SEALFMT_EORIGIN: return EXIT_USAGE;
		case OUTLOG_EDIR:
		case -EEXIST: return EXIT_CANTCREAT;
		case -ENOMEM: return EXIT_SOFTWARE;
		default: return EXIT_IOERR;
		}
	}
	printf("a sealed log in %s.  Give the auditors the public key (%s)\n"
	    "and K0 (%s) now, off this host; then delete K0 here: the host\n"
	    "must not keep it.\n", logdir, pubout ? pubout : "auditor/pubkey",
	    k0out ? k0out : "auditor/k0");
	return 0;
}

/* Run oshirase-audit with args (args[0] is replaced by its path; args
 * ends with NULL).  Returns only on failure, with an exit status. */
static int
run_auditor(char **args)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof(AUDITOR)], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (fflush(stdout) != 0)
		return EXIT_IOERR;
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", self, AUDITOR);
			if (access(path, X_OK) == 0) {
				args[0] = path;
				execv(path, args);
				log_warn("audit: cannot run %s", path);
				return EXIT_UNAVAILABLE;
			}
		}
	}
	args[0] = AUDITOR;
	execvp(AUDITOR, args);
	if (errno != ENOENT)
		log_warn("audit: cannot run %s", AUDITOR);
	else
		log_warnx("audit %s: the auditor's program %s is neither beside "
		    "this executable (%s) nor on PATH; install it with oshirase "
		    "(make install puts both in BINDIR)", args[1], AUDITOR,
		    n > 0 ? self : "/proc/self/exe unreadable");
	return EXIT_UNAVAILABLE;
}

/* Is arg the long option name (given whole, or as --name=value)?  *val
 * gets the value, or NULL when it is the next argument. */
static int
is_option(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, n) != 0)
		return 0;
	if (arg[2 + n] == '\0') {
		*val = NULL;
		return 1;
	}
	if (arg[2 + n] == '=') {
		*val = arg + 3 + n;
		return 1;
	}
	return 0;
}

/*
 * show with --key KEY --resident ID: args (ending with NULL, args[0] the
 * subcommand) without those options and with --pseudonym HEX instead,
 * into out (room for as many entries as args has, plus one).  Returns -1
 * to pass args on unchanged, 0 when out is ready, or an exit status.
 */
static int
resident_to_pseudonym(char **args, char **out, char hex[2 * PSEUDO_LEN + 1])
{
	const char *key = NULL, *resident = NULL, *v;
	uint8_t *k, p[PSEUDO_LEN];
	size_t o = 0;
	int rc;

	for (size_t i = 0; args[i] != NULL; i++) {
		if (strcmp(args[i], "--") == 0) {
			while (args[i] != NULL)
				out[o++] = args[i++];
			break;
		}
		const char **slot = is_option(args[i], "key", &v) ? &key :
		    is_option(args[i], "resident", &v) ? &resident : NULL;

		if (slot == NULL) {
			out[o++] = args[i];
			continue;
		}
		if (v == NULL && args[i + 1] == NULL)
			return -1;	/* a usage error, reported there */
		*slot = v != NULL ? v : args[++i];
	}
	out[o] = NULL;
	if (resident == NULL)	/* --key alone is ignored, as it always was */
		return key == NULL ? -1 : 0;
	if (key == NULL) {
		log_warnx("--resident needs --key (the pseudonymisation key)");
		return EXIT_USAGE;
	}
	if ((k = pseudo_key_load(key, &rc)) == NULL)
		return rc;
	pseudo_compute(k, resident, strlen(resident), p);
	pseudo_key_free(k);
	hex_encode(p, PSEUDO_LEN, hex);
	out[o++] = "--pseudonym";
	out[o++] = hex;
	out[o] = NULL;
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	char **args, hex[2 * PSEUDO_LEN + 1];
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "init") == 0)
		return audit_init(argc - 1, argv + 1);
	/* args: a slot for the program, the subcommand and its arguments,
	 * room for --pseudonym HEX, NULL */
	args = xcalloc((size_t)argc + 3, sizeof(*args));
	rc = -1;
	if (strcmp(argv[1], "show") == 0)
		rc = resident_to_pseudonym(argv + 1, args + 1, hex);
	if (rc == -1)
		memcpy(args + 1, argv + 1, (size_t)argc * sizeof(*args));
	if (rc <= 0)
		rc = run_auditor(args);
	free(args);
	return rc;
}
