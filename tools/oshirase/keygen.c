/* keygen.c - oshirase keygen: the pseudonymisation key, the contact keys,
 * the CURVE keys of the queue and its senders
 * SPDX-License-Identifier: MIT
 *
 *   oshirase keygen --out FILE            32 random bytes as 64 hex digits
 *                                         and a newline, mode 0600
 *   oshirase keygen --contacts [--db DIR] the X25519 pair of addrbox.h:
 *                                         DIR/contacts.pub, DIR/contacts.sec
 *   oshirase keygen --curve --out FILE    a CURVE pair (curve.h): FILE
 *                                         (0600) and FILE.pub
 * None ever overwrites a file (exit 73).
 */
#include "addrbox.h"
#include "cmd.h"
#include "common.h"
#include "curve.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase keygen --out FILE\n"
	    "       oshirase keygen --contacts [--db DIR] [-c CONFIG]\n"
	    "       oshirase keygen --curve --out FILE\n"
	    "Create the pseudonymisation key (mode 0600), or the key pair that\n"
	    "protects contact addresses (public half for import, secret half\n"
	    "for the daemon), or a CURVE key pair for the tcp link between the\n"
	    "queue and its senders: FILE (mode 0600, both keys in Z85) and\n"
	    "FILE.pub (the public key, one line: for [senders] curve_clients\n"
	    "or server_key).  Existing files are never overwritten (exit 73).\n");
}

int
cmd_keygen(int argc, char **argv)
{
	enum { OPT_OUT = OPT_FIRST_LOCAL, OPT_CONTACTS, OPT_CURVE };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "out", required_argument, NULL, OPT_OUT },
		{ "contacts", no_argument, NULL, OPT_CONTACTS },
		{ "curve", no_argument, NULL, OPT_CURVE },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32], err[1200];
	const char *out = NULL;
	int contacts = 0, curve = 0, opt, rc;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_OUT)
			out = optarg;
		else if (opt == OPT_CONTACTS)
			contacts = 1;
		else if (opt == OPT_CURVE)
			curve = 1;
		else if ((rc = common_option(&c, opt, optarg)) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (optind != argc || (out == NULL) == !contacts || (curve && contacts)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (curve) {
		rc = curve_keypair_write(out, err, sizeof(err));
		if (rc == -EEXIST) {
			log_warnx("%s or %s%s exists; a key is never overwritten",
			    out, out, CURVE_PUB_SUFFIX);
			return EXIT_CANTCREAT;
		}
		if (rc != 0) {
			log_warnx("%s", err);
			return EXIT_CANTCREAT;
		}
		if (!c.quiet)
			log_info("wrote the CURVE key pair to %s (mode 0600) and its "
			    "public key to %s%s", out, out, CURVE_PUB_SUFFIX);
		return 0;
	}
	if (!contacts) {
		uint8_t *key = sodium_malloc(SECRET_LEN);

		if (key == NULL) {
			log_warnx("sodium_malloc failed");
			return EXIT_SOFTWARE;
		}
		randombytes_buf(key, SECRET_LEN);
		rc = secret_write(out, key, SECRET_LEN);
		sodium_free(key);
		if (rc == -EEXIST) {
			log_warnx("%s: exists; a key is never overwritten", out);
			return EXIT_CANTCREAT;
		}
		if (rc != 0) {
			log_warnx("%s: %s", out, strerror(-rc));
			return EXIT_CANTCREAT;
		}
		if (!c.quiet)
			log_info("wrote the pseudonymisation key to %s (mode 0600)", out);
		return 0;
	}
	if ((rc = common_finish(&c)) != 0)
		return rc;
	config_contacts_paths(&c.cfg, c.db, pub, sec, sizeof(pub));
	if (mkdir(c.db, 0700) != 0 && errno != EEXIST) {
		log_warn("%s: mkdir", c.db);
		return EXIT_CANTCREAT;
	}
	rc = addrbox_keygen(pub, sec);
	if (rc == -EEXIST) {
		log_warnx("%s or %s exists; contact keys are never overwritten",
		    pub, sec);
		return EXIT_CANTCREAT;
	}
	if (rc != 0) {
		log_warnx("%s: %s", c.db, strerror(-rc));
		return EXIT_CANTCREAT;
	}
	if (!c.quiet)
		log_info("wrote %s (for import) and %s (mode 0600, for the "
		    "daemon only)", pub, sec);
	return 0;
}
