/* precheck.c - what oshirased checks before it starts, and -n with it
 * SPDX-License-Identifier: MIT
 */
#include "precheck.h"
#include "addrbox.h"
#include "curve.h"
#include "link.h"
#include "log.h"
#include "outlog.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Active contact records tried: one that opens is enough (a record or two
 * may be damaged); a key pair made again after the import opens none. */
#define CONTACTS_TRIED 16

#define ERR_MAX (CONFIG_PATH_MAX + 300)

/* 1 if the record under key k (pseudonym, channel) opens with sk, 0 if
 * not, -1 if it is not an active contact to try. */
static int
contact_opens(MDB_txn *txn, const struct store_dbi *dbi, const MDB_val *k,
    const MDB_val *v, const uint8_t *sk, const uint8_t *pk, char *addr)
{
	const uint8_t *rec = k->mv_data;
	uint8_t ino[4];
	MDB_val kv = { sizeof(ino), ino }, ev;
	struct contact c;
	struct addrbox *b;
	int ok;

	if (k->mv_size != STORE_PSEUDO_LEN + 1 ||
	    store_contact_decode(v->mv_data, v->mv_size, &c) != 0 ||
	    c.status != CONTACT_ACTIVE || c.ct_len <= ADDRBOX_TAG_LEN ||
	    c.ct_len - ADDRBOX_TAG_LEN > ADDRBOX_MAX_ADDR)
		return -1;
	for (int i = 0; i < 4; i++)
		ino[i] = (uint8_t)(c.import_no >> (24 - 8 * i));
	if (mdb_get(txn, dbi->contact_keys, &kv, &ev) != 0 ||
	    ev.mv_size != ADDRBOX_PK_LEN)
		return 0;
	if ((b = addrbox_opener_new(sk, pk, ev.mv_data)) == NULL)
		return 0;
	ok = addrbox_open(b, rec, rec[STORE_PSEUDO_LEN], c.nonce, c.ct,
	    c.ct_len, addr) == 0;
	sodium_memzero(addr, ADDRBOX_MAX_ADDR + 1);
	addrbox_free(b);
	return ok;
}

/* 0 if one of the first active contact records opens, or there are none;
 * else an exit status (logged). */
static int
check_records(struct store *s, const uint8_t *sk, const uint8_t *pk,
    const char *sec)
{
	const struct store_dbi *dbi = store_dbi(s);
	char *addr = sodium_malloc(ADDRBOX_MAX_ADDR + 1);
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, tried = 0, opened = 0, r;

	if (addr == NULL) {
		log_warnx("precheck: sodium_malloc failed");
		return EXIT_SOFTWARE;
	}
	rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn);
	if (rc == 0)
		rc = mdb_cursor_open(txn, dbi->contacts, &cur);
	for (int op = MDB_FIRST; rc == 0 && tried < CONTACTS_TRIED && !opened;
	    op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		if ((r = contact_opens(txn, dbi, &k, &v, sk, pk, addr)) >= 0) {
			tried++;
			opened = r;
		}
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	sodium_free(addr);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		log_warnx("%s: contacts: %s", store_dir(s), mdb_strerror(rc));
		return EXIT_IOERR;
	}
	if (tried > 0 && !opened) {
		log_warnx("%s: opens none of the store's first %d contact "
		    "records: the contacts were imported with another key pair "
		    "(import them again, or put back the pair they were "
		    "imported with)", sec, tried);
		return EXIT_CONFIG;
	}
	return 0;
}

static int
check_contacts(const struct config *cfg, struct store *s)
{
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32], err[ERR_MAX];
	uint8_t pk[ADDRBOX_PK_LEN], derived[ADDRBOX_PK_LEN], *sk;
	const char *why;
	int rc;

	config_contacts_paths(cfg, store_dir(s), pub, sec, sizeof(pub));
	if (addrbox_read_pub(pub, pk, &why) != 0) {
		log_warnx("%s: %s", pub, why);
		return EXIT_CONFIG;
	}
	if (secret_load(sec, &sk, err, sizeof(err)) != 0) {
		log_warnx("%s (the contacts' secret key)", err);
		return EXIT_CONFIG;
	}
	if (crypto_scalarmult_base(derived, sk) != 0 ||
	    sodium_memcmp(derived, pk, ADDRBOX_PK_LEN) != 0) {
		log_warnx("%s: not the secret key of %s (the contact key pair "
		    "is two files of one `oshirase keygen --contacts`)", sec, pub);
		rc = EXIT_CONFIG;
	} else
		rc = check_records(s, sk, pk, sec);
	sodium_memzero(derived, sizeof(derived));
	sodium_free(sk);
	return rc;
}

static int
check_log(const char *logdir)
{
	static const char *const names[] = { "signing.key", "digest.key" };
	char path[CONFIG_PATH_MAX + 32], err[ERR_MAX];
	uint8_t *k;
	int rc;

	snprintf(path, sizeof(path), "%s/log.bin", logdir);
	if (access(path, F_OK) != 0)
		return 0;	/* a new log: the start makes it */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", logdir, names[i]) >=
		    (int)sizeof(path)) {
			log_warnx("%s/%s: name too long", logdir, names[i]);
			return EXIT_CANTCREAT;
		}
		if ((rc = secret_load(path, &k, err, sizeof(err))) != 0) {
			log_warnx("%s (a key of the sealed log)", err);
			return secret_exit(rc) == EXIT_CONFIG ? EXIT_CONFIG :
			    EXIT_CANTCREAT;
		}
		sodium_free(k);
	}
	/* the log as the writer will take it in: links, owners, header,
	 * records and state against the last checkpoint; nothing written */
	if ((rc = outlog_check(logdir, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return outlog_exit_status(rc);
	}
	return 0;
}

/* A local endpoint: ipc://, in a directory that exists. */
static int
check_local(const char *ep, const char *key)
{
	char err[ERR_MAX], dir[CONFIG_PATH_MAX];
	const char *path = ep + 6;
	char *slash;
	struct stat st;

	if (link_local_ok(ep, key, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	if (path[0] == '@')
		return 0;	/* the abstract namespace: no file */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;	/* the working directory */
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_warnx("[senders] %s '%s': no directory %s (under systemd, "
		    "RuntimeDirectory= makes /run/oshirase)", key, ep, dir);
		return EXIT_CONFIG;
	}
	return 0;
}

static int
check_curve(const struct config *cfg)
{
	struct curve_keypair *kp = NULL;
	struct curve_keys allow = { 0, NULL };
	char err[ERR_MAX];

	if (link_curve_keys(cfg, &kp, &allow, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	curve_keys_fini(&allow);
	curve_keypair_free(kp);
	return 0;
}

int
precheck_run(const struct config *cfg, struct store *s, const char *logdir,
    int local)
{
	int rc;

	if ((rc = check_contacts(cfg, s)) != 0 || (rc = check_log(logdir)) != 0)
		return rc;
	if (local && ((rc = check_local(cfg->jobs_endpoint, "jobs")) != 0 ||
	    (rc = check_local(cfg->results_endpoint, "results")) != 0))
		return rc;
	if (cfg->remote_jobs[0] != '\0' && (rc = check_curve(cfg)) != 0)
		return rc;
	return 0;
}
