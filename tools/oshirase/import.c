/* import.c - oshirase import residents|contacts FILE
 * SPDX-License-Identifier: MIT
 *
 * Reads a resident or contact extract (README, "File formats") and applies it to the
 * store in one LMDB write transaction: every row is checked first, and any
 * error leaves the store exactly as it was (exit 65).  Only this step sees
 * resident ids: it turns them into pseudonyms with the key and stores
 * nothing else that names a person.  Contact addresses are encrypted to the
 * daemon's public key (addrbox.h) and never readable here again.
 *
 * Residents: the rows are sorted by store key, so a first import into an
 * empty store is a sequence of appends (the fast path of a B+tree), and a
 * daily delta touches pages in order.  After the rows are applied, every
 * household the file touched (including one a resident left) must have
 * exactly one head among its members in the store.
 *
 * This file is the command and what both kinds of file share; import.h
 * lists the other pieces.
 */
#include "import.h"
#include "cmd.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
match_word(const char *s, size_t len, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return i;
	return -1;
}

static void
list_values(char *buf, size_t cap, const char *const *words, int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s",
		    i ? ", " : "", words[i]);
}

/* Check a value against a word list and report it. */
int
import_enum_field(struct csvin *in, unsigned col, const char *s, size_t len,
    const char *const *words, int n)
{
	char all[256];
	int v = match_word(s, len, words, n);

	if (v < 0) {
		list_values(all, sizeof(all), words, n);
		csvin_error(in, col, "'%.*s' is not one of %s",
		    (int)(len > 40 ? 40 : len), s, all);
	}
	return v;
}

/* The length of a space at s (n bytes), from the start (end 0) or
 * ending at s + n (end 1); 0 if none. */
static size_t
space_at(const char *s, size_t n, int end)
{
	static const char *const sp[] = { " ", "\t", "\xe3\x80\x80", "\xc2\xa0" };

	for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
		size_t k = strlen(sp[i]);

		if (n >= k && memcmp(end ? s + n - k : s, sp[i], k) == 0)
			return k;
	}
	return 0;
}

int
import_id_check(struct csvin *in, unsigned col, const char *s, size_t len)
{
	if (memmem(s, len, "\xef\xbb\xbf", 3) != NULL) {
		csvin_warn(in, col, "holds a byte order mark (U+FEFF); taken as "
		    "it is, so it is not the same id as without it");
		return 1;
	}
	if (space_at(s, len, 0) || space_at(s, len, 1)) {
		csvin_warn(in, col, "a space at its start or end; taken as it "
		    "is, so it is not the same id as without it");
		return 1;
	}
	return 0;
}

/*
 * Open the store for writing; remember whether this import creates it, so
 * a failed first import leaves no store behind.  Imports into one store
 * are serialised by an flock on DIR/import.lock, taken before looking, so
 * two first imports cannot both think they made the store.
 */
int
import_open(struct import *im)
{
	char err[1400], lockpath[CONFIG_PATH_MAX + 32];
	struct stat st;
	int rc;

	if ((size_t)snprintf(im->datafile, sizeof(im->datafile), "%s/data.mdb",
	    im->c->db) >= sizeof(im->datafile) ||
	    (size_t)snprintf(im->lockfile, sizeof(im->lockfile), "%s/lock.mdb",
	    im->c->db) >= sizeof(im->lockfile) ||
	    (size_t)snprintf(lockpath, sizeof(lockpath), "%s/import.lock",
	    im->c->db) >= sizeof(lockpath)) {
		log_warnx("%s: path too long", im->c->db);
		return EXIT_CANTCREAT;
	}
	if (stat(im->c->db, &st) != 0) {
		if (errno != ENOENT || mkdir(im->c->db, 0700) != 0) {
			log_warn("%s", im->c->db);
			return EXIT_CANTCREAT;
		}
		im->made_dir = 1;
	}
	im->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (im->lockfd < 0) {
		log_warn("%s", lockpath);
		return EXIT_CANTCREAT;
	}
	if (flock(im->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (!im->c->quiet)
			log_info("%s: another import is running; waiting", im->c->db);
		if (flock(im->lockfd, LOCK_EX) != 0) {
			log_warn("%s: flock", lockpath);
			return EXIT_IOERR;
		}
	}
	im->created = access(im->datafile, F_OK) != 0;
	rc = store_open(im->c->db, STORE_CREATE, &im->store, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		return rc == STORE_EFORMAT ? EXIT_DATAERR :
		    rc == STORE_EDAMAGED ? EXIT_IOERR : EXIT_CANTCREAT;
	}
	rc = mdb_txn_begin(store_env(im->store), NULL, 0, &im->txn);
	if (rc != 0) {
		log_warnx("%s: mdb_txn_begin: %s", im->c->db, mdb_strerror(rc));
		return EXIT_IOERR;
	}
	return 0;
}

/* Commit (ok) or abort; on failure of a first import remove the store. */
int
import_close(struct import *im, int ok)
{
	char lockpath[CONFIG_PATH_MAX + 32];
	int rc = 0;

	if (im->txn != NULL) {
		if (ok) {
			rc = mdb_txn_commit(im->txn);
			if (rc != 0)
				log_warnx("%s: commit: %s", im->c->db, mdb_strerror(rc));
		} else
			mdb_txn_abort(im->txn);
		im->txn = NULL;
	}
	store_close(im->store);
	im->store = NULL;
	if ((!ok || rc != 0) && im->created) {
		unlink(im->datafile);
		unlink(im->lockfile);
		if (im->made_dir) {
			snprintf(lockpath, sizeof(lockpath), "%s/import.lock", im->c->db);
			unlink(lockpath);
			rmdir(im->c->db);
		}
	}
	if (im->lockfd >= 0) {
		close(im->lockfd);	/* releases the flock */
		im->lockfd = -1;
	}
	return rc == 0 ? 0 : EXIT_IOERR;
}

int
import_lmdb_fail(struct import *im, const char *what, int rc)
{
	log_warnx("%s: %s: %s", im->c->db, what, store_strerror(rc));
	return rc == MDB_MAP_FULL ? EXIT_CANTCREAT : EXIT_IOERR;
}

/*
 * Read im->in's file in chunks (csvin.h), each chunk with its own copy of
 * the reading state `first` (size bytes; the copies share only read-only
 * state such as keys and vocabulary).  Afterwards merge(first, copy) is
 * called for each copy in file order, and the copy freed.
 */
int
import_read_chunked(struct import *im, void *first, size_t size,
    const char *encoding, const struct csvin_ops *ops,
    void (*merge)(void *into, void *from))
{
	void *users[MAX_CHUNKS];
	struct csvin *parent = im->in;
	int rc;

	users[0] = first;
	for (int i = 1; i < MAX_CHUNKS; i++) {
		users[i] = xmalloc(size);
		memcpy(users[i], first, size);
	}
	rc = csvin_run(parent, encoding, ops, users, im->threads);
	im->in = parent;	/* the callbacks pointed it at their chunk */
	for (int i = 1; i < MAX_CHUNKS; i++) {
		merge(first, users[i]);
		free(users[i]);
	}
	/* csvin_run has said what went wrong */
	return rc == 0 ? 0 : rc == CSVIN_ENOINPUT ? EXIT_NOINPUT :
	    rc == CSVIN_EDATA ? EXIT_DATAERR : EXIT_SOFTWARE;
}

void
import_write_meta(struct import *im, const char *name, date_t today,
    unsigned long rows, const struct counts *cnt, const char *removed)
{
	char buf[256], d[DATE_STRLEN + 1], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int n, rc;

	date_format(today, d);
	date_tm_jst(now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+09:00", &tm);
	n = snprintf(buf, sizeof(buf), "at=%s date=%s rows=%lu added=%u "
	    "replaced=%u %s=%u", when, d, rows, cnt->added,
	    cnt->replaced, removed, cnt->removed);
	rc = store_meta_put(im->txn, store_dbi(im->store), name, buf, (size_t)n);
	if (rc != 0)
		log_warnx("%s: metadata: %s", im->c->db, mdb_strerror(rc));
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: oshirase import residents FILE [options]\n"
	    "       oshirase import contacts FILE [options]\n"
	    "  --db DIR          the store (created on first import)\n"
	    "  --key FILE        the pseudonymisation key\n"
	    "  --rules DIR       where vocabulary.ini is (residents)\n"
	    "  --date D          the date taken as today (default: today in Japan)\n"
	    "  --encoding E      utf-8 (default) or shift_jis (CP932)\n"
	    "  --threads N       read a large file with up to N threads (default:\n"
	    "                    one per CPU)\n"
	    "  -c FILE           config file; -q quiet\n"
	    "The whole file is applied in one transaction or not at all: a bad\n"
	    "row is reported as FILE:LINE: column: reason and nothing changes\n"
	    "(exit 65).\n");
}

int
cmd_import(int argc, char **argv)
{
	enum { OPT_ENCODING = OPT_FIRST_LOCAL, OPT_THREADS };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	const char *encoding = "utf-8", *what, *file;
	/* readers of a large file (at most one per CPU is used) */
	unsigned threads = MAX_CHUNKS;
	int opt, rc;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_THREADS) {
			if (common_number("--threads", optarg, 1, MAX_CHUNKS,
			    &threads) != 0)
				return EXIT_USAGE;
		} else if (opt == OPT_ENCODING) {
			if (strcmp(optarg, "utf-8") != 0 && strcmp(optarg, "utf8") != 0 &&
			    strcmp(optarg, "shift_jis") != 0 && strcmp(optarg, "cp932") != 0) {
				log_warnx("--encoding: '%s' is not utf-8 or shift_jis", optarg);
				return EXIT_USAGE;
			}
			encoding = strcmp(optarg, "shift_jis") == 0 ||
			    strcmp(optarg, "cp932") == 0 ? "shift_jis" : "utf-8";
		} else if ((rc = common_option(&c, opt, optarg)) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	what = argv[optind];
	file = argv[optind + 1];
	if ((rc = common_finish(&c)) != 0)
		return rc;
	if (strcmp(what, "residents") == 0)
		return import_residents(&c, file, encoding, threads);
	if (strcmp(what, "contacts") == 0)
		return import_contacts(&c, file, encoding, threads);
	log_warnx("import: '%s' is not 'residents' or 'contacts'", what);
	usage(stderr);
	return EXIT_USAGE;
}
