/* letters.c - oshirase letters: registration codes for the residents a run
 * would tell who have no contact
 * SPDX-License-Identifier: MIT
 *
 *   oshirase letters --residents FILE --key KEY --date D --out FILE
 *                    [--encoding E] [--db DIR] [--rules DIR] [-c FILE]
 *
 * Writes a CSV, resident_id,code,expires,programs: one row per recipient
 * who would be told on D (eligibility and the guardian rule: match.h,
 * match_uncontacted) but has no active contact on any channel, sorted by
 * resident id.  The store has no resident ids: the city's own resident
 * extract FILE (the file `import residents` reads) gives them back, each
 * id made a pseudonym with KEY as the import does.  Each row gets a fresh
 * registration code (codes.h), stored only as its keyed hash with the
 * resident's pseudonym, the day it was issued and the last day it works
 * (D + [letters] code_days), in the store's codes database.
 *
 * All or nothing: the codes go into one LMDB write transaction, the CSV
 * into a temporary file beside OUT (0600: it holds ids and codes), synced;
 * only then is the transaction committed and the file renamed to OUT.  OUT
 * must not exist (exit 73).  The code key ([letters] code_key, else
 * DB/codes.key) is made (0600) when missing.
 */
#include "cmd.h"
#include "codes.h"
#include "common.h"
#include "csvin.h"
#include "import.h"
#include "log.h"
#include "match.h"
#include "pseudo.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LETTERS_HEADER "resident_id,code,expires,programs\n"

/* A letter: the resident's id (from the extract) and their first entry in
 * the recipients' list. */
struct letter {
	char *id;
	size_t first;
};

struct letters {
	const uint8_t *key;
	const struct match_uncontacted *u;	/* sorted by recipient */
	size_t nu;
	uint8_t *found;		/* per entry of u: its resident's id was met */
	struct letter *l;
	size_t n, cap;
	unsigned long rows;
};

static void
letters_usage(FILE *f)
{
	fprintf(f, "usage: oshirase letters --residents FILE --key KEY "
	    "[--date D] --out FILE\n"
	    "                        [--encoding E] [--db DIR] [--rules DIR] "
	    "[-c FILE]\n"
	    "Write OUT, a CSV resident_id,code,expires,programs: a fresh "
	    "registration code for\neach recipient a run on D would tell who "
	    "has no active contact, by resident id.\nFILE is the city's "
	    "resident extract (as import residents reads it); OUT must not\n"
	    "exist.  The codes are stored hashed with [letters] code_key "
	    "(default DB/codes.key,\nmade if missing) and work until D + "
	    "[letters] code_days, once.\n");
}

/* The first entry of u for recipient res, or nu. */
static size_t
find_recipient(const struct letters *lt, const uint8_t *res)
{
	size_t lo = 0, hi = lt->nu;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(lt->u[mid].recipient, res, PSEUDO_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lt->nu && memcmp(lt->u[lo].recipient, res, PSEUDO_LEN) == 0 ?
	    lo : lt->nu;
}

static void
on_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	struct letters *lt = user;
	uint8_t res[PSEUDO_LEN];
	size_t i;

	(void)in;
	if (col != R_RID || len == 0)
		return;
	pseudo_compute(lt->key, s, len, res);
	if ((i = find_recipient(lt, res)) == lt->nu || lt->found[i])
		return;
	lt->found[i] = 1;
	if (lt->n == lt->cap) {
		lt->cap = lt->cap ? 2 * lt->cap : 1024;
		lt->l = xrealloc(lt->l, lt->cap * sizeof(*lt->l));
	}
	lt->l[lt->n].id = xmalloc(len + 1);
	memcpy(lt->l[lt->n].id, s, len + 1);
	lt->l[lt->n++].first = i;
}

static void
on_row(struct csvin *in, void *user)
{
	(void)in;
	((struct letters *)user)->rows++;
}

static int
cmp_letter(const void *a, const void *b)
{
	return strcmp(((const struct letter *)a)->id,
	    ((const struct letter *)b)->id);
}

/* The code key: loaded, or made first (0600) if missing.  0 or an exit
 * status (message printed). */
static int
code_key(const struct common *c, uint8_t **key, char *path, size_t cap)
{
	char err[PATH_MAX + 128];
	uint8_t fresh[SECRET_LEN];
	int rc;

	if (c->cfg.code_key[0] != '\0')
		rc = snprintf(path, cap, "%s", c->cfg.code_key);
	else
		rc = snprintf(path, cap, "%s/%s", c->db, CODE_KEY_FILE);
	if (rc < 0 || (size_t)rc >= cap) {
		log_warnx("%s/%s: %s", c->db, CODE_KEY_FILE,
		    strerror(ENAMETOOLONG));
		return EXIT_CONFIG;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		randombytes_buf(fresh, sizeof(fresh));
		rc = secret_write(path, fresh, sizeof(fresh));
		sodium_memzero(fresh, sizeof(fresh));
		if (rc != 0 && rc != -EEXIST) {
			log_warnx("%s: %s", path, strerror(-rc));
			return EXIT_CANTCREAT;
		}
		if (rc == 0)
			log_info("%s: a new code key (0600)", path);
	}
	if ((rc = secret_load(path, key, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return secret_exit(rc);
	}
	return 0;
}

/* One CSV field: quoted if it holds a comma, a quote or a line break. */
static int
put_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL)
		return fputs(s, f) < 0 ? -1 : 0;
	if (fputc('"', f) == EOF)
		return -1;
	for (; *s; s++)
		if ((*s == '"' && fputc('"', f) == EOF) || fputc(*s, f) == EOF)
			return -1;
	return fputc('"', f) == EOF ? -1 : 0;
}

/* Letter k's row; its code's record goes into txn.  0, -1 (writing
 * failed) or an LMDB error. */
static int
one_letter(const struct letters *lt, const struct letter *le,
    const struct rules_set *rs, const uint8_t *ckey, MDB_txn *txn,
    MDB_dbi codes, date_t d, date_t expires, FILE *f)
{
	char norm[CODE_LEN + 1], text[CODE_TEXT + 1], day[DATE_STRLEN + 1];
	uint8_t h[CODE_HASH_LEN], rec[CODE_RECORD_LEN];
	struct code_record cr;
	MDB_val k = { sizeof(h), h }, v = { sizeof(rec), rec };
	const uint8_t *res = lt->u[le->first].recipient;
	int rc, bad = 0;

	memset(&cr, 0, sizeof(cr));
	cr.state = CODE_UNUSED;
	memcpy(cr.resident, res, sizeof(cr.resident));
	cr.issued = d;
	cr.expires = expires;
	code_record_encode(&cr, rec);
	do {	/* a hash already there: 2^-60 odds; another code */
		code_new(norm, text);
		code_hash(ckey, norm, h);
		rc = mdb_put(txn, codes, &k, &v, MDB_NOOVERWRITE);
	} while (rc == MDB_KEYEXIST);
	sodium_memzero(norm, sizeof(norm));
	if (rc != 0)
		return rc;
	date_format(expires, day);
	bad |= put_field(f, le->id);
	bad |= fprintf(f, ",%s,%s,", text, day) < 0;
	sodium_memzero(text, sizeof(text));
	for (size_t i = le->first; i < lt->nu &&
	    memcmp(lt->u[i].recipient, res, PSEUDO_LEN) == 0; i++) {
		unsigned p = (unsigned)lt->u[i].program[0] << 8 |
		    lt->u[i].program[1];

		bad |= fprintf(f, "%s%s", i > le->first ? ";" : "",
		    rs->p[p]->id) < 0;
	}
	bad |= fputc('\n', f) == EOF;
	return bad ? -1 : 0;
}

/* A temporary file beside out: its name in tmp, an open stream in *f. */
static int
open_tmp(const char *out, char *tmp, size_t cap, FILE **f)
{
	int fd;

	if (snprintf(tmp, cap, "%s.XXXXXX", out) >= (int)cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	if ((*f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Sync the directory holding path. */
static int
sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
	    path) >= (int)sizeof(dir))
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Write the letters: codes into one transaction, the rows into a
 * temporary file; sync it, commit, rename.  0 or an exit status.
 */
static int
write_letters(struct store *s, const struct rules_set *rs,
    const struct letters *lt, const uint8_t *ckey, date_t d, long days,
    const char *out)
{
	const struct store_dbi *dbi = store_dbi(s);
	char tmp[PATH_MAX];
	MDB_txn *txn = NULL;
	FILE *f = NULL;
	int rc, st = EXIT_IOERR;

	if (!dbi->actions) {
		log_warnx("%s: no codes database (opened read-only?)",
		    store_dir(s));
		return EXIT_SOFTWARE;
	}
	if (open_tmp(out, tmp, sizeof(tmp), &f) != 0) {
		log_warn("%s: a temporary file beside it", out);
		return EXIT_CANTCREAT;
	}
	if ((rc = mdb_txn_begin(store_env(s), NULL, 0, &txn)) != 0) {
		log_warnx("%s: %s", store_dir(s), mdb_strerror(rc));
		txn = NULL;
		goto fail;
	}
	if (fputs(LETTERS_HEADER, f) < 0)
		goto fail_write;
	for (size_t i = 0; i < lt->n; i++) {
		rc = one_letter(lt, &lt->l[i], rs, ckey, txn, dbi->codes, d,
		    d + (date_t)days, f);
		if (rc == -1)
			goto fail_write;
		if (rc != 0) {
			log_warnx("%s: codes: %s", store_dir(s), mdb_strerror(rc));
			goto fail;
		}
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto fail_write;
	rc = fclose(f);
	f = NULL;
	if (rc != 0)
		goto fail_write;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		log_warnx("%s: commit: %s", store_dir(s), mdb_strerror(rc));
		goto fail;
	}
	/* the codes are stored: now the file, never over another */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE) != 0) {
		st = errno == EEXIST ? EXIT_CANTCREAT : EXIT_IOERR;
		log_warn("%s: the letters are in %s (their codes are stored)",
		    out, tmp);
		return st;
	}
	if (sync_dir_of(out) != 0)
		log_warn("%s: syncing its directory", out);
	return 0;
fail_write:
	log_warn("%s", tmp);
fail:
	if (f != NULL)
		fclose(f);
	if (txn != NULL)
		mdb_txn_abort(txn);
	unlink(tmp);
	log_warnx("%s: nothing written, no code stored", out);
	return st;
}

/* Read the extract: ids of the recipients.  0 or an exit status. */
static int
read_extract(const struct common *c, const char *file, const char *encoding,
    struct letters *lt)
{
	struct csvin_ops ops = { on_field, on_row };
	void *users[1] = { lt };
	struct csvin *in;
	int rc;

	if (access(file, R_OK) != 0) {
		log_warn("%s", file);
		return EXIT_NOINPUT;
	}
	in = csvin_new(file, import_rcols, R_NCOLS, (int)c->cfg.max_errors);
	rc = csvin_run(in, encoding, &ops, users, 1);
	csvin_finish(in);
	csvin_free(in);
	if (rc == CSVIN_ENOINPUT)
		return EXIT_NOINPUT;
	if (rc == CSVIN_ESYSTEM)
		return EXIT_SOFTWARE;
	return rc != 0 ? EXIT_DATAERR : 0;
}

static int
letters_run(struct common *c, const char *file, const char *encoding,
    const char *out)
{
	struct store *s = NULL;
	struct rules_set *rs = NULL;
	struct match_uncontacted *u = NULL;
	struct letters lt;
	uint8_t *pkey = NULL, *ckey = NULL;
	char kpath[PATH_MAX], day[DATE_STRLEN + 1];
	size_t nu = 0, people = 0;
	struct stat st;
	int rc;

	memset(&lt, 0, sizeof(lt));
	if (lstat(out, &st) == 0) {
		log_warnx("%s: exists; letters never replaces a file", out);
		return EXIT_CANTCREAT;
	}
	if (errno != ENOENT) {
		log_warn("%s", out);
		return EXIT_CANTCREAT;
	}
	if ((pkey = pseudo_key_load(c->key, &rc)) == NULL)
		return rc;
	if ((rc = common_open(c, STORE_WRITE, &s, &rs)) != 0)
		goto out;
	if ((rc = code_key(c, &ckey, kpath, sizeof(kpath))) != 0)
		goto out;
	if ((rc = match_uncontacted(s, rs, c->date, 0, &u, &nu)) != 0) {
		rc = rc == MATCH_ETHREAD ? EXIT_SOFTWARE : EXIT_IOERR;
		goto out;
	}
	for (size_t i = 0; i < nu; i++)
		if (i == 0 || memcmp(u[i].recipient, u[i - 1].recipient,
		    PSEUDO_LEN) != 0)
			people++;
	lt.key = pkey;
	lt.u = u;
	lt.nu = nu;
	lt.found = xcalloc(nu ? nu : 1, 1);
	if ((rc = read_extract(c, file, encoding, &lt)) != 0)
		goto out;
	qsort(lt.l, lt.n, sizeof(*lt.l), cmp_letter);
	rc = write_letters(s, rs, &lt, ckey, c->date, c->cfg.code_days, out);
	if (rc != 0)
		goto out;
	if (people > lt.n)
		log_warnx("%s: warning: %zu recipients with no contact are not "
		    "in %s (no letter for them)", out, people - lt.n, file);
	date_format(c->date + (date_t)c->cfg.code_days, day);
	if (!c->quiet)
		fprintf(stderr, "%s: %zu letters (%zu recipients with no "
		    "contact, %lu rows read), codes work until %s\n", out,
		    lt.n, people, lt.rows, day);
out:
	for (size_t i = 0; i < lt.n; i++)
		free(lt.l[i].id);
	free(lt.l);
	free(lt.found);
	free(u);
	if (ckey != NULL)
		sodium_free(ckey);
	pseudo_key_free(pkey);
	if (s != NULL)
		store_close(s);
	if (rs != NULL)
		rules_free(rs);
	return rc;
}

int
cmd_letters(int argc, char **argv)
{
	enum { OPT_RESIDENTS = OPT_FIRST_LOCAL, OPT_OUT, OPT_ENCODING };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "residents", required_argument, NULL, OPT_RESIDENTS },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL, *out = NULL, *encoding = "utf-8";
	struct common c;
	int opt, rc;

	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (opt == OPT_RESIDENTS)
			file = optarg;
		else if (opt == OPT_OUT)
			out = optarg;
		else if (opt == OPT_ENCODING)
			encoding = optarg;
		else if (common_option(&c, opt, optarg) <= 0) {
			letters_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		letters_usage(stdout);
		return 0;
	}
	if (optind != argc || file == NULL || out == NULL) {
		letters_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(encoding, "utf-8") != 0 && strcmp(encoding, "shift_jis") != 0) {
		log_warnx("--encoding: utf-8 or shift_jis");
		return EXIT_USAGE;
	}
	if ((rc = common_finish(&c)) != 0)
		return rc;
	return letters_run(&c, file, encoding, out);
}
