/* outlog.c - the sealed notification log's writer (the format is sealfmt.h's)
 * SPDX-License-Identifier: MIT
 */
#include "outlog.h"
#include "log.h"
#include "merkle.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "OSSTATE1"
#define BATCH 256		/* records buffered before a write */
#define PATH_CAP 1100

_Static_assert(STORE_PSEUDO_LEN == SEALFMT_PSEUDO_LEN,
    "a record holds the store's pseudonyms");

struct outlog {
	char *dir;
	char origin[32];
	int fd, cpfd, dirfd;
	uint8_t *sk;		/* Ed25519 secret key (64), sodium_malloc */
	uint8_t *digest_key;	/* 32, sodium_malloc */
	uint8_t *key;		/* K_seq, sodium_malloc */
	uint64_t seq;		/* the next record's number */
	uint8_t chain[SEALFMT_HASH];
	struct merkle *tree;
	uint8_t buf[BATCH * SEALFMT_RECORD];
	size_t len;
	int dirty;
	long cp_records, cp_seconds;
	uint64_t cp_size;	/* size at the last checkpoint */
	time_t cp_time;
	int opened;		/* a start record was written: close writes
				 * a stop record */
};

const char *
outlog_strerror(int rc)
{
	switch (rc) {
	case OUTLOG_EDIR: return "the log directory cannot be made";
	case OUTLOG_ECUT:
		return "log.bin holds fewer records than were written: it was cut";
	case OUTLOG_ESTATE: return "not a log state";
	default: return sealfmt_strerror(rc);
	}
}

/* A system error as a code: -errno, never 0. */
static int
neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* For the functions whose callers may read errno: on failure set it, to
 * the error for a system error, to EIO for a module's code. */
static int
with_errno(int rc)
{
	if (rc != 0)
		errno = rc < 0 && rc > -1000 ? -rc : EIO;
	return rc;
}

void
outlog_digest(const struct outlog *l, const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[32])
{
	sealfmt_digest(l->digest_key, texts, lens, n, out);
}

/* ---- files ---- */

static int
path_in(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* The path given, else dir/name. */
static int
out_path(char *buf, size_t cap, const char *given, const char *dir,
    const char *name)
{
	int n;

	if (given == NULL)
		return path_in(buf, cap, dir, name);
	n = snprintf(buf, cap, "%s", given);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int
write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? neg_errno() : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? neg_errno() : -EIO;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

#define STATE_FIXED (8 + 8 + 32 + 32 + 32 + 4)
#define STATE_LEN (STATE_FIXED + MERKLE_STATE_MAX)

/* The state (outlog.h): written to state.tmp, synced, renamed over state,
 * and the directory synced. */
static int
save_state(struct outlog *l)
{
	char tmp[PATH_CAP], path[PATH_CAP];
	uint8_t *st;
	size_t tlen;
	int fd = -1, rc;

	if ((rc = path_in(tmp, sizeof(tmp), l->dir, "state.tmp")) != 0 ||
	    (rc = path_in(path, sizeof(path), l->dir, "state")) != 0)
		return rc;
	if ((st = sodium_malloc(STATE_LEN)) == NULL)
		return -ENOMEM;
	memcpy(st, STATE_MAGIC, 8);
	util_le_put(st + 8, l->seq, 8);
	memcpy(st + 16, l->chain, 32);
	memcpy(st + 48, l->key, 32);
	memset(st + 80, 0, 32);
	memcpy(st + 80, l->origin, strnlen(l->origin, 31));
	tlen = merkle_state_size(l->tree);
	util_le_put(st + 112, tlen, 4);
	if ((rc = merkle_save(l->tree, st + STATE_FIXED, tlen)) != 0)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		rc = neg_errno();
		goto out;
	}
	if ((rc = write_all(fd, st, STATE_FIXED + tlen)) != 0)
		goto out;
	if (fdatasync(fd) != 0) {
		rc = neg_errno();
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0 || rename(tmp, path) != 0 || fsync(l->dirfd) != 0)
		rc = neg_errno();
out:
	if (fd >= 0)
		close(fd);
	sodium_free(st);
	return rc;
}

static int
load_state(struct outlog *l, char *err, size_t errlen)
{
	char path[PATH_CAP];
	uint8_t *st;
	ssize_t got;
	int fd, rc;

	if ((rc = path_in(path, sizeof(path), l->dir, "state")) != 0) {
		snprintf(err, errlen, "%s/state: %s", l->dir, strerror(-rc));
		return rc;
	}
	if ((st = sodium_malloc(STATE_LEN)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = neg_errno();
		snprintf(err, errlen, "%s: %s (initialise the log with "
		    "`oshirase audit init`)", path, strerror(-rc));
		goto out;
	}
	got = read(fd, st, STATE_LEN);
	close(fd);
	if (got < STATE_FIXED || memcmp(st, STATE_MAGIC, 8) != 0 ||
	    util_le_get(st + 112, 4) != (uint64_t)got - STATE_FIXED ||
	    merkle_restore(l->tree, st + STATE_FIXED,
	    (size_t)got - STATE_FIXED) != 0) {
		snprintf(err, errlen, "%s: not a log state", path);
		rc = OUTLOG_ESTATE;
		goto out;
	}
	l->seq = util_le_get(st + 8, 8);
	memcpy(l->chain, st + 16, 32);
	memcpy(l->key, st + 48, 32);
	memcpy(l->origin, st + 80, 31);
	l->origin[31] = '\0';
	if (merkle_size(l->tree) != l->seq) {
		snprintf(err, errlen, "%s: inconsistent", path);
		rc = OUTLOG_ESTATE;
	}
out:
	sodium_free(st);
	return rc;
}

static uint8_t *
read_key(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_CAP];
	uint8_t *k;
	int rc;

	if (path_in(path, sizeof(path), dir, name) != 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, name,
		    strerror(ENAMETOOLONG));
		return NULL;
	}
	if ((rc = secret_read(path, &k)) != 0)
		snprintf(err, errlen, "%s: %s", path, secret_strerror(rc));
	return k;
}

/* A closed writer for dir: no file open, the MAC key and the signing key
 * allocated (zero), an empty tree.  0 or -ENOMEM. */
static int
writer_new(const char *dir, struct outlog **out)
{
	struct outlog *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return -ENOMEM;
	l->fd = l->cpfd = l->dirfd = -1;
	l->dir = strdup(dir);
	l->key = sodium_malloc(SEALFMT_HASH);
	l->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	l->tree = merkle_new(&merkle_blake2b);
	if (l->dir == NULL || l->key == NULL || l->sk == NULL || l->tree == NULL) {
		outlog_close(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

/* The secrets a new log is made of, in one sodium_malloc block. */
struct init_secrets {
	uint8_t seed[32];	/* the Ed25519 key's seed: signing.key */
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t digest_key[32];	/* digest.key */
	uint8_t k0[32];		/* K_0, for the auditors only */
};

int
outlog_init(const char *dir, const char *origin, const char *pub_out,
    const char *k0_out, char *err, size_t errlen)
{
	struct init_secrets *s = NULL;
	struct outlog *l = NULL;
	uint8_t pk[SEALFMT_PUBKEY_LEN], hdr[SEALFMT_HEADER];
	char path[PATH_CAP], aud[PATH_CAP], pktext[SEALFMT_PUBKEY_TEXT];
	int rc;

	if ((rc = sealfmt_origin_check(origin)) != 0) {
		snprintf(err, errlen, "origin '%s': 1 to 31 bytes, no spaces",
		    origin);
		return rc;
	}
	if ((rc = path_in(path, sizeof(path), dir, "log.bin")) != 0 ||
	    (rc = path_in(aud, sizeof(aud), dir, "auditor")) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return OUTLOG_EDIR;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s: a log is already there; not replaced",
		    path);
		return -EEXIST;
	}
	if ((pub_out == NULL || k0_out == NULL) && mkdir(aud, 0700) != 0 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", aud, strerror(errno));
		return OUTLOG_EDIR;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL ||
	    (rc = writer_new(dir, &l)) != 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		rc = -ENOMEM;
		goto out;
	}
	randombytes_buf(s->seed, sizeof(s->seed));
	crypto_sign_seed_keypair(pk, s->sk, s->seed);
	randombytes_buf(s->digest_key, sizeof(s->digest_key));
	randombytes_buf(s->k0, sizeof(s->k0));

	/* The keys, each file made new (O_EXCL); path names the file on
	 * failure. */
	if ((rc = path_in(path, sizeof(path), dir, "signing.key")) == 0)
		rc = secret_write(path, s->seed, sizeof(s->seed));
	if (rc == 0 && (rc = path_in(path, sizeof(path), dir, "digest.key")) == 0)
		rc = secret_write(path, s->digest_key, sizeof(s->digest_key));
	if (rc == 0 && (rc = out_path(path, sizeof(path), k0_out, aud, "k0")) == 0)
		rc = secret_write(path, s->k0, sizeof(s->k0));
	if (rc == 0 &&
	    (rc = out_path(path, sizeof(path), pub_out, aud, "pubkey")) == 0) {
		sealfmt_pubkey_text(pk, pktext);
		rc = file_write_new(path, 0644, pktext, strlen(pktext));
	}

	/* The writer's state at seq 0 with K_0, then the log's files. */
	if (rc == 0) {
		memcpy(l->key, s->k0, SEALFMT_HASH);
		snprintf(l->origin, sizeof(l->origin), "%s", origin);
		(void)path_in(path, sizeof(path), dir, "state");	/* fits */
		l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = l->dirfd < 0 ? neg_errno() : save_state(l);
	}
	if (rc == 0 && (rc = path_in(path, sizeof(path), dir, "log.bin")) == 0) {
		sealfmt_header_encode(hdr, origin);
		rc = file_write_new(path, 0600, hdr, sizeof(hdr));
	}
	if (rc == 0 && (rc = path_in(path, sizeof(path), dir, "checkpoints")) == 0)
		rc = file_write_new(path, 0644, NULL, 0);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, outlog_strerror(rc));
out:
	outlog_close(l);
	if (s != NULL)
		sodium_free(s);
	return rc;
}

/* ---- writing ---- */

/* Room for the next record in the buffer, writing the buffer out first
 * if it is full. */
static int
reserve(struct outlog *l, uint8_t **rec)
{
	int rc;

	if (l->len + SEALFMT_RECORD > sizeof(l->buf)) {
		if ((rc = write_all(l->fd, l->buf, l->len)) != 0)
			return rc;
		l->len = 0;
		l->dirty = 1;
	}
	*rec = l->buf + l->len;
	l->len += SEALFMT_RECORD;
	return 0;
}

/* Encode r as the next record and seal it. */
static int
add_record(struct outlog *l, const struct sealfmt_record *r)
{
	uint8_t leaf[SEALFMT_HASH], *rec;
	int rc;

	if (merkle_size(l->tree) >= MERKLE_MAX_SIZE)
		return -EOVERFLOW;
	if ((rc = reserve(l, &rec)) != 0)
		return rc;
	sealfmt_record_encode(r, rec);
	sealfmt_seal(rec, l->seq, l->chain, l->key, leaf);
	(void)merkle_append(l->tree, leaf);	/* not full: checked above */
	l->seq++;
	return 0;
}

/* A start, stop or alarm record. */
static int
append_event(struct outlog *l, int type, int32_t status, uint64_t count)
{
	struct sealfmt_record r;

	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)type;
	r.time = (int64_t)time(NULL);
	r.notice = count;
	r.status = status;
	return add_record(l, &r);
}

int
outlog_append(struct outlog *l, const struct outcome *o)
{
	struct sealfmt_record r;

	memset(&r, 0, sizeof(r));
	r.type = SEALFMT_OUTCOME;
	r.time = o->time;
	r.notice = o->notice;
	r.message = o->message;
	memcpy(r.recipient, o->recipient, sizeof(r.recipient));
	memcpy(r.subject, o->subject, sizeof(r.subject));
	memcpy(r.program, o->program, strnlen(o->program, SEALFMT_PROGRAM_LEN));
	r.channel = o->channel;
	r.outcome = o->outcome;
	r.attempt = o->attempt;
	r.status = o->status;
	memcpy(r.ruleset, o->ruleset, sizeof(r.ruleset));
	memcpy(r.digest, o->digest, sizeof(r.digest));
	return with_errno(add_record(l, &r));
}

static int
checkpoint(struct outlog *l)
{
	char line[SEALFMT_CHECKPOINT_MAX];
	uint8_t root[SEALFMT_HASH], sig[crypto_sign_BYTES];
	int n, rc;

	merkle_root(l->tree, root);
	n = sealfmt_checkpoint_text(line, sizeof(line), l->origin, l->seq,
	    root, l->chain, (int64_t)time(NULL));
	if (n < 0)
		return n;
	(void)crypto_sign_detached(sig, NULL, (const uint8_t *)line, (size_t)n,
	    l->sk);
	if ((n = sealfmt_checkpoint_finish(line, sizeof(line), (size_t)n,
	    sig)) < 0)
		return n;
	if ((rc = write_all(l->cpfd, line, (size_t)n)) != 0)
		return rc;
	if (fdatasync(l->cpfd) != 0)
		return neg_errno();
	l->cp_size = l->seq;
	l->cp_time = time(NULL);
	return 0;
}

static int
sync_log(struct outlog *l)
{
	int rc;

	if (l->len > 0) {
		if ((rc = write_all(l->fd, l->buf, l->len)) != 0)
			return rc;
		l->len = 0;
		l->dirty = 1;
	}
	if (!l->dirty)
		return 0;
	if (fdatasync(l->fd) != 0)
		return neg_errno();
	if ((rc = save_state(l)) != 0)
		return rc;
	l->dirty = 0;
	if (l->seq - l->cp_size >= (uint64_t)l->cp_records)
		return checkpoint(l);
	return 0;
}

int
outlog_sync(struct outlog *l)
{
	return with_errno(sync_log(l));
}

int
outlog_tick(struct outlog *l)
{
	int rc;

	if (l->seq == l->cp_size || time(NULL) - l->cp_time < l->cp_seconds)
		return 0;
	if ((rc = sync_log(l)) != 0)
		return with_errno(rc);
	return l->seq == l->cp_size ? 0 : with_errno(checkpoint(l));
}

/* On open: cut a torn last record, take in records past the saved state
 * if they verify under the saved key, cut them if they do not. */
static int
recover(struct outlog *l, char *err, size_t errlen)
{
	struct stat st;
	uint64_t n;
	off_t torn;
	uint8_t rec[SEALFMT_RECORD], leaf[SEALFMT_HASH];
	int rc;

	if (fstat(l->fd, &st) != 0 || st.st_size < SEALFMT_HEADER) {
		snprintf(err, errlen, "%s/log.bin: no header", l->dir);
		return SEALFMT_EHEADER;
	}
	n = (uint64_t)(st.st_size - SEALFMT_HEADER) / SEALFMT_RECORD;
	torn = (st.st_size - SEALFMT_HEADER) % SEALFMT_RECORD;
	if (n < l->seq) {
		snprintf(err, errlen, "%s/log.bin holds %llu records, but %llu "
		    "were written: it was cut; not appending to it (run oshirase "
		    "audit verify)", l->dir, (unsigned long long)n,
		    (unsigned long long)l->seq);
		return OUTLOG_ECUT;
	}
	if (torn) {
		if (ftruncate(l->fd, st.st_size - torn) != 0)
			goto syserr;
		log_warnx("ALERT: %s/log.bin: a torn last record (%lld bytes) "
		    "was cut", l->dir, (long long)torn);
	}
	while (l->seq < n) {
		if ((rc = read_all(l->fd, rec, sizeof(rec),
		    (off_t)sealfmt_offset(l->seq))) != 0) {
			snprintf(err, errlen, "%s/log.bin: %s", l->dir,
			    strerror(-rc));
			return rc;
		}
		if (sealfmt_check(rec, l->seq, l->chain, l->key, leaf) != 0)
			break;
		(void)merkle_append(l->tree, leaf);	/* n < 2^63 */
		l->seq++;
	}
	if (l->seq < n) {
		log_warnx("ALERT: %s/log.bin: %llu records past the saved state "
		    "do not verify; cut", l->dir, (unsigned long long)(n - l->seq));
		if (ftruncate(l->fd, (off_t)sealfmt_offset(l->seq)) != 0)
			goto syserr;
		if ((rc = append_event(l, SEALFMT_ALARM, SEALFMT_ALARM_RECORDS_CUT,
		    n - l->seq)) != 0)
			goto err;
	}
	if (torn && (rc = append_event(l, SEALFMT_ALARM,
	    SEALFMT_ALARM_TORN_RECORD, (uint64_t)torn)) != 0)
		goto err;
	return 0;
syserr:
	rc = neg_errno();
err:
	snprintf(err, errlen, "%s/log.bin: %s", l->dir, outlog_strerror(rc));
	return rc;
}

/* A checkpoint line cut short by a crash (the file does not end in a
 * newline) is cut off, with an alarm record. */
static int
recover_checkpoints(struct outlog *l, char *err, size_t errlen)
{
	struct stat st;
	off_t end;
	char c;
	int rc;

	if (fstat(l->cpfd, &st) != 0)
		goto syserr;
	end = st.st_size;
	while (end > 0 && pread(l->cpfd, &c, 1, end - 1) == 1 && c != '\n')
		end--;
	if (end == st.st_size)
		return 0;
	if (ftruncate(l->cpfd, end) != 0)
		goto syserr;
	log_warnx("ALERT: %s/checkpoints: a torn last line (%lld bytes) was cut",
	    l->dir, (long long)(st.st_size - end));
	if ((rc = append_event(l, SEALFMT_ALARM, SEALFMT_ALARM_TORN_CHECKPOINT,
	    (uint64_t)(st.st_size - end))) == 0)
		return 0;
	goto err;
syserr:
	rc = neg_errno();
err:
	snprintf(err, errlen, "%s/checkpoints: %s", l->dir, outlog_strerror(rc));
	return rc;
}

struct outlog *
outlog_open(const char *dir, long checkpoint_records, long checkpoint_seconds,
    char *err, size_t errlen)
{
	struct outlog *l;
	char path[PATH_CAP];
	uint8_t *seed, pk[SEALFMT_PUBKEY_LEN];
	int rc;

	if ((rc = writer_new(dir, &l)) != 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return NULL;
	}
	l->cp_records = checkpoint_records;
	l->cp_seconds = checkpoint_seconds;
	if ((seed = read_key(dir, "signing.key", err, errlen)) == NULL)
		goto fail;
	crypto_sign_seed_keypair(pk, l->sk, seed);
	sodium_free(seed);
	if ((l->digest_key = read_key(dir, "digest.key", err, errlen)) == NULL)
		goto fail;
	if ((l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (load_state(l, err, errlen) != 0)
		goto fail;
	if ((rc = path_in(path, sizeof(path), dir, "log.bin")) != 0 ||
	    (l->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, rc ? strerror(-rc) :
		    strerror(errno));
		goto fail;
	}
	if ((rc = path_in(path, sizeof(path), dir, "checkpoints")) != 0 ||
	    (l->cpfd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		snprintf(err, errlen, "%s: %s", path, rc ? strerror(-rc) :
		    strerror(errno));
		goto fail;
	}
	if (recover(l, err, errlen) != 0 ||
	    recover_checkpoints(l, err, errlen) != 0)
		goto fail;
	if ((rc = append_event(l, SEALFMT_START, 0, 0)) != 0 ||
	    (rc = sync_log(l)) != 0 ||
	    (l->cp_size != l->seq && (rc = checkpoint(l)) != 0)) {
		snprintf(err, errlen, "%s: cannot write: %s", dir,
		    outlog_strerror(rc));
		goto fail;
	}
	l->opened = 1;
	return l;
fail:
	l->len = 0;
	outlog_close(l);
	return NULL;
}

void
outlog_close(struct outlog *l)
{
	if (l == NULL)
		return;
	if (l->opened && append_event(l, SEALFMT_STOP, 0, 0) == 0 &&
	    sync_log(l) == 0 && l->cp_size != l->seq)
		(void)checkpoint(l);
	if (l->fd >= 0)
		close(l->fd);
	if (l->cpfd >= 0)
		close(l->cpfd);
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->key)
		sodium_free(l->key);
	if (l->sk)
		sodium_free(l->sk);
	if (l->digest_key)
		sodium_free(l->digest_key);
	merkle_free(l->tree);
	free(l->dir);
	free(l);
}
