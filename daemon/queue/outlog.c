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
	int dirty;		/* records written that the state does not
				 * cover */
	int unsynced;		/* records written and not fdatasynced */
	long cp_records, cp_seconds;
	uint64_t cp_size;	/* size at the last checkpoint */
	time_t cp_time;
	int opened;		/* a start record was written: close writes
				 * a stop record */
	int broken;		/* a failed write could not be taken back */
	uint8_t pk[SEALFMT_PUBKEY_LEN];	/* to check the last checkpoint */
	/* outlog_mark's point, where outlog_rollback goes back to */
	int marked;
	uint64_t mark_seq;
	uint8_t mark_chain[SEALFMT_HASH];
	uint8_t *mark_key;	/* K_mark_seq, sodium_malloc */
	uint8_t mark_tree[MERKLE_STATE_MAX];
	size_t mark_tree_len;
	char error[PATH_CAP + 200];	/* the last failure, for outlog_error */
};

/* What a refusal to open asks the operator to check. */
#define CHECK_HINT "nothing was cut or appended. Check that log.bin, " \
	"state and checkpoints in %s come from the same log and the same " \
	"backup (a restore gone wrong?), and run `oshirase audit verify` on it"

const char *
outlog_strerror(int rc)
{
	switch (rc) {
	case OUTLOG_EDIR: return "the log directory cannot be made";
	case OUTLOG_ECUT:
		return "log.bin holds fewer records than were written: it was cut";
	case OUTLOG_ESTATE: return "not a log state";
	case OUTLOG_EMISMATCH:
		return "the log, its state and its checkpoints disagree";
	case OUTLOG_EUNSAFE:
		return "a symbolic link, not a regular file, or not this user's";
	case OUTLOG_EBROKEN:
		return "a failed write could not be taken back; not writing";
	default: return sealfmt_strerror(rc);
	}
}

const char *
outlog_error(const struct outlog *l)
{
	return l->error[0] ? l->error : "no error";
}

/* Note a failure of op on the log's file name; returns rc. */
static int
fail(struct outlog *l, const char *name, const char *op, int rc)
{
	snprintf(l->error, sizeof(l->error), "%s/%s: %s: %s", l->dir, name, op,
	    outlog_strerror(rc));
	return rc;
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

/* 0 if st (NULL: a symbolic link) is a regular file of this user, else
 * OUTLOG_EUNSAFE with the message in l->error. */
static int
unsafe(struct outlog *l, const char *name, const struct stat *st)
{
	if (st == NULL)
		snprintf(l->error, sizeof(l->error), "%s/%s: a symbolic link; "
		    "refused: the log's files are regular files of the user "
		    "that runs oshirased, never links (remove it, and put the "
		    "log's own file back from a backup)", l->dir, name);
	else if (!S_ISREG(st->st_mode))
		snprintf(l->error, sizeof(l->error), "%s/%s: not a regular "
		    "file; refused", l->dir, name);
	else if (st->st_uid != geteuid())
		snprintf(l->error, sizeof(l->error), "%s/%s: owned by uid %lu, "
		    "not by the user that runs oshirased (uid %lu); refused: "
		    "chown it if it is the log's own", l->dir, name,
		    (unsigned long)st->st_uid, (unsigned long)geteuid());
	else
		return 0;
	return OUTLOG_EUNSAFE;
}

/*
 * Open name in the log directory, never through a symbolic link, and only
 * a regular file owned by this user: a file planted in the directory is
 * refused, not followed.  The descriptor, or a negative code with the
 * message in l->error.
 */
static int
open_in(struct outlog *l, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd, rc;

	fd = openat(l->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    mode);
	if (fd < 0 && errno == ELOOP)
		return unsafe(l, name, NULL);
	if (fd < 0)
		return fail(l, name, "open", neg_errno());
	if (fstat(fd, &st) != 0) {
		rc = neg_errno();
		close(fd);
		return fail(l, name, "fstat", rc);
	}
	if ((rc = unsafe(l, name, &st)) != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* A file the writer makes later (state.tmp), if it is there already,
 * checked as open_in would. */
static int
check_name(struct outlog *l, const char *name)
{
	struct stat st;

	if (fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : fail(l, name, "stat", neg_errno());
	return unsafe(l, name, S_ISLNK(st.st_mode) ? NULL : &st);
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
	uint8_t *st;
	size_t tlen;
	int fd = -1, rc;

	if ((st = sodium_malloc(STATE_LEN)) == NULL)
		return fail(l, "state.tmp", "write", -ENOMEM);
	memcpy(st, STATE_MAGIC, 8);
	util_le_put(st + 8, l->seq, 8);
	memcpy(st + 16, l->chain, 32);
	memcpy(st + 48, l->key, 32);
	memset(st + 80, 0, 32);
	memcpy(st + 80, l->origin, strnlen(l->origin, 31));
	tlen = merkle_state_size(l->tree);
	util_le_put(st + 112, tlen, 4);
	if ((rc = merkle_save(l->tree, st + STATE_FIXED, tlen)) != 0) {
		(void)fail(l, "state.tmp", "write", rc);
		goto out;
	}
	if ((fd = open_in(l, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) < 0) {
		rc = fd;
		goto out;
	}
	if ((rc = write_all(fd, st, STATE_FIXED + tlen)) != 0) {
		(void)fail(l, "state.tmp", "write", rc);
		goto out;
	}
	if (fdatasync(fd) != 0) {
		rc = fail(l, "state.tmp", "fdatasync", neg_errno());
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		rc = fail(l, "state.tmp", "close", neg_errno());
	else if (renameat(l->dirfd, "state.tmp", l->dirfd, "state") != 0)
		rc = fail(l, "state", "rename", neg_errno());
	else if (fsync(l->dirfd) != 0)
		rc = fail(l, ".", "fsync", neg_errno());
out:
	if (fd >= 0)
		close(fd);
	sodium_free(st);
	return rc;
}

static int
load_state(struct outlog *l, char *err, size_t errlen)
{
	uint8_t *st;
	ssize_t got;
	int fd, rc = 0;

	if ((st = sodium_malloc(STATE_LEN)) == NULL) {
		snprintf(err, errlen, "%s/state: out of memory", l->dir);
		return -ENOMEM;
	}
	if ((fd = open_in(l, "state", O_RDONLY, 0)) < 0) {
		rc = fd;
		snprintf(err, errlen, "%s%s", l->error, rc == -ENOENT ?
		    " (initialise the log with `oshirase audit init`)" : "");
		goto out;
	}
	got = read(fd, st, STATE_LEN);
	close(fd);
	if (got < STATE_FIXED || memcmp(st, STATE_MAGIC, 8) != 0 ||
	    util_le_get(st + 112, 4) != (uint64_t)got - STATE_FIXED ||
	    merkle_restore(l->tree, st + STATE_FIXED,
	    (size_t)got - STATE_FIXED) != 0) {
		snprintf(err, errlen, "%s/state: not a log state", l->dir);
		rc = OUTLOG_ESTATE;
		goto out;
	}
	l->seq = util_le_get(st + 8, 8);
	memcpy(l->chain, st + 16, 32);
	memcpy(l->key, st + 48, 32);
	memcpy(l->origin, st + 80, 31);
	l->origin[31] = '\0';
	if (merkle_size(l->tree) != l->seq) {
		snprintf(err, errlen, "%s/state: inconsistent", l->dir);
		rc = OUTLOG_ESTATE;
	}
out:
	sodium_free(st);
	return rc;
}

/* A key file of the log directory into *k (checked as open_in does,
 * then read as every secret file is).  0 or a negative code. */
static int
read_key(struct outlog *l, const char *name, uint8_t **k, char *err,
    size_t errlen)
{
	char path[PATH_CAP];
	int fd, rc;

	*k = NULL;
	if ((rc = path_in(path, sizeof(path), l->dir, name)) != 0) {
		snprintf(err, errlen, "%s/%s: %s", l->dir, name, strerror(-rc));
		return rc;
	}
	if ((fd = open_in(l, name, O_RDONLY, 0)) < 0) {
		snprintf(err, errlen, "%s", l->error);
		return fd;
	}
	close(fd);
	if ((rc = secret_read(path, k)) != 0) {
		snprintf(err, errlen, "%s: %s", path, secret_strerror(rc));
		return rc < 0 ? rc : -EINVAL;
	}
	return 0;
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
	l->mark_key = sodium_malloc(SEALFMT_HASH);
	l->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	l->tree = merkle_new(&merkle_blake2b);
	if (l->dir == NULL || l->key == NULL || l->mark_key == NULL ||
	    l->sk == NULL || l->tree == NULL) {
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
		if (rc != 0 && l->dirfd >= 0) {
			snprintf(err, errlen, "%s", l->error);
			goto out;
		}
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

/* The records in log.bin; the rest, up to seq, are in the buffer. */
static uint64_t
in_file(const struct outlog *l)
{
	return l->seq - l->len / SEALFMT_RECORD;
}

/* Write the buffer out.  A write cut short (a full disk) is taken back,
 * so that log.bin ends at a record's end and the buffer can be written
 * again; if even that fails, the writer writes no more. */
static int
flush_buf(struct outlog *l)
{
	int rc;

	if (l->broken)
		return OUTLOG_EBROKEN;
	if (l->len == 0)
		return 0;
	if ((rc = write_all(l->fd, l->buf, l->len)) != 0) {
		if (ftruncate(l->fd, (off_t)sealfmt_offset(in_file(l))) != 0)
			l->broken = 1;
		return fail(l, "log.bin", "write", rc);
	}
	l->len = 0;
	l->dirty = l->unsynced = 1;
	return 0;
}

/* Room for the next record in the buffer, writing the buffer out first
 * if it is full. */
static int
reserve(struct outlog *l, uint8_t **rec)
{
	int rc;

	if (l->len + SEALFMT_RECORD > sizeof(l->buf) && (rc = flush_buf(l)) != 0)
		return rc;
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

	if (l->broken)
		return OUTLOG_EBROKEN;
	if (merkle_size(l->tree) >= MERKLE_MAX_SIZE)
		return fail(l, "log.bin", "append", -EOVERFLOW);
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

/* A signed checkpoint line; one cut short by a failed write is taken
 * back. */
static int
checkpoint(struct outlog *l)
{
	char line[SEALFMT_CHECKPOINT_MAX];
	uint8_t root[SEALFMT_HASH], sig[crypto_sign_BYTES];
	off_t end;
	int n, rc;

	merkle_root(l->tree, root);
	n = sealfmt_checkpoint_text(line, sizeof(line), l->origin, l->seq,
	    root, l->chain, (int64_t)time(NULL));
	if (n < 0)
		return fail(l, "checkpoints", "write", n);
	(void)crypto_sign_detached(sig, NULL, (const uint8_t *)line, (size_t)n,
	    l->sk);
	if ((n = sealfmt_checkpoint_finish(line, sizeof(line), (size_t)n,
	    sig)) < 0)
		return fail(l, "checkpoints", "write", n);
	if ((end = lseek(l->cpfd, 0, SEEK_END)) < 0)
		return fail(l, "checkpoints", "lseek", neg_errno());
	if ((rc = write_all(l->cpfd, line, (size_t)n)) != 0) {
		if (ftruncate(l->cpfd, end) != 0)
			l->broken = 1;	/* a torn line the next start cuts */
		return fail(l, "checkpoints", "write", rc);
	}
	if (fdatasync(l->cpfd) != 0)
		return fail(l, "checkpoints", "fdatasync", neg_errno());
	l->cp_size = l->seq;
	l->cp_time = time(NULL);
	return 0;
}

/* Write the buffered records and make log.bin durable (not the state). */
static int
write_log(struct outlog *l)
{
	int rc;

	if ((rc = flush_buf(l)) != 0)
		return rc;
	if (l->unsynced && fdatasync(l->fd) != 0)
		return fail(l, "log.bin", "fdatasync", neg_errno());
	l->unsynced = 0;
	return 0;
}

static int
sync_log(struct outlog *l)
{
	int rc;

	if ((rc = write_log(l)) != 0)
		return rc;
	if (!l->dirty)
		return 0;
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
	l->marked = 0;
	return with_errno(sync_log(l));
}

int
outlog_write(struct outlog *l)
{
	return with_errno(write_log(l));
}

void
outlog_mark(struct outlog *l)
{
	l->mark_seq = l->seq;
	memcpy(l->mark_chain, l->chain, SEALFMT_HASH);
	memcpy(l->mark_key, l->key, SEALFMT_HASH);
	l->mark_tree_len = merkle_state_size(l->tree);
	(void)merkle_save(l->tree, l->mark_tree, sizeof(l->mark_tree)); /* fits */
	l->marked = 1;
}

int
outlog_rollback(struct outlog *l)
{
	uint64_t file = in_file(l), gone;

	if (l->broken)
		return with_errno(OUTLOG_EBROKEN);
	if (!l->marked || l->seq == l->mark_seq) {
		l->marked = 0;
		return 0;
	}
	l->marked = 0;
	gone = file > l->mark_seq ? file - l->mark_seq : 0;
	if (gone > 0) {
		/* written, maybe synced, but no state or checkpoint covers
		 * them: the writer's own records, taken back */
		if (ftruncate(l->fd, (off_t)sealfmt_offset(l->mark_seq)) != 0 ||
		    fdatasync(l->fd) != 0) {
			l->broken = 1;
			return with_errno(fail(l, "log.bin", "truncate",
			    neg_errno()));
		}
		l->len = 0;
		l->unsynced = 0;
	} else
		l->len = (size_t)(l->mark_seq - file) * SEALFMT_RECORD;
	l->seq = l->mark_seq;
	memcpy(l->chain, l->mark_chain, SEALFMT_HASH);
	memcpy(l->key, l->mark_key, SEALFMT_HASH);
	(void)merkle_restore(l->tree, l->mark_tree, l->mark_tree_len);	/* saved */
	if (gone == 0)
		return 0;
	log_warnx("ALERT: %s/log.bin: %llu records of a store transaction that "
	    "failed were taken back; an alarm record says so", l->dir,
	    (unsigned long long)gone);
	return with_errno(append_event(l, SEALFMT_ALARM,
	    SEALFMT_ALARM_ROLLED_BACK, gone));
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

/* ---- opening: the log checked against its state and checkpoints ---- */

/* The header: the one a writer writes, for the state's origin. */
static int
check_header(struct outlog *l, char *err, size_t errlen)
{
	uint8_t hdr[SEALFMT_HEADER];
	char origin[SEALFMT_ORIGIN_CAP];
	int rc;

	if ((rc = read_all(l->fd, hdr, sizeof(hdr), 0)) != 0 ||
	    sealfmt_header_decode(hdr, sizeof(hdr), origin) != 0) {
		snprintf(err, errlen, "%s/log.bin: %s; not appending to it (run "
		    "oshirase audit verify)", l->dir, rc == -EIO ? "no header" :
		    rc != 0 ? strerror(-rc) :
		    "not an oshirase log, or its header was changed");
		return rc == 0 || rc == -EIO ? SEALFMT_EHEADER : rc;
	}
	if (strcmp(origin, l->origin) != 0) {
		snprintf(err, errlen, "%s/log.bin is the log of '%s', but the "
		    "writer's state (%s/state) is of '%s'; " CHECK_HINT, l->dir,
		    origin, l->dir, l->origin, l->dir);
		return OUTLOG_EMISMATCH;
	}
	return 0;
}

/* Records past the saved state (a crash between the log's sync and the
 * state's) are taken in if they verify under the saved key and chain; if
 * one does not, the state is not this log's, or the log was changed: the
 * writer refuses it, cutting nothing.  *torn gets the bytes of a partial
 * last record. */
static int
take_in(struct outlog *l, off_t *torn, char *err, size_t errlen)
{
	struct stat st;
	uint64_t n, saved = l->seq;
	uint8_t rec[SEALFMT_RECORD], leaf[SEALFMT_HASH];
	int rc;

	if (fstat(l->fd, &st) != 0) {
		rc = neg_errno();
		snprintf(err, errlen, "%s/log.bin: %s", l->dir, strerror(-rc));
		return rc;
	}
	n = (uint64_t)(st.st_size - SEALFMT_HEADER) / SEALFMT_RECORD;
	*torn = (st.st_size - SEALFMT_HEADER) % SEALFMT_RECORD;
	if (n < l->seq) {
		snprintf(err, errlen, "%s/log.bin holds %llu records, but %llu "
		    "were written: it was cut, or the state is newer than it; "
		    CHECK_HINT, l->dir, (unsigned long long)n,
		    (unsigned long long)l->seq, l->dir);
		return OUTLOG_ECUT;
	}
	for (; l->seq < n; l->seq++) {
		if ((rc = read_all(l->fd, rec, sizeof(rec),
		    (off_t)sealfmt_offset(l->seq))) != 0) {
			snprintf(err, errlen, "%s/log.bin: read: %s", l->dir,
			    strerror(-rc));
			return rc;
		}
		if (sealfmt_check(rec, l->seq, l->chain, l->key, leaf) != 0) {
			snprintf(err, errlen, "%s/log.bin: record %llu does not "
			    "verify with the writer's saved state (%s/state, "
			    "%llu records; log.bin holds %llu): the state is not "
			    "this log's, or the records were changed; " CHECK_HINT,
			    l->dir, (unsigned long long)l->seq, l->dir,
			    (unsigned long long)saved, (unsigned long long)n,
			    l->dir);
			return OUTLOG_EMISMATCH;
		}
		(void)merkle_append(l->tree, leaf);	/* n < 2^63 */
	}
	return 0;
}

/* The end of the checkpoints file. */
struct cp_end {
	struct sealfmt_checkpoint cp;
	int have;		/* cp is the last checkpoint */
	int finish;		/* its line lacks only the newline */
	off_t size, cut_at;	/* the file's size; where a torn last line
				 * starts (size if there is none) */
};

/* The offset after the last newline before end in fd (0 if none). */
static int
line_start(int fd, off_t end, off_t *start)
{
	char b[512];
	int rc;

	while (end > 0) {
		size_t n = end > (off_t)sizeof(b) ? sizeof(b) : (size_t)end;

		if ((rc = read_all(fd, b, n, end - (off_t)n)) != 0)
			return rc;
		for (size_t i = n; i > 0; i--)
			if (b[i - 1] == '\n') {
				*start = end - (off_t)n + (off_t)i;
				return 0;
			}
		end -= (off_t)n;
	}
	*start = 0;
	return 0;
}

/* The line [start, end) of checkpoints as a checkpoint signed with the
 * writer's key: 0, 1 if it is not a checkpoint line, 2 if its signature
 * fails, or a negative code. */
static int
read_cp(struct outlog *l, off_t start, off_t end, struct sealfmt_checkpoint *c)
{
	char line[SEALFMT_CHECKPOINT_MAX];
	int rc;

	if (end - start >= (off_t)sizeof(line))
		return 1;
	if ((rc = read_all(l->cpfd, line, (size_t)(end - start), start)) != 0)
		return rc;
	line[end - start] = '\0';
	if (sealfmt_checkpoint_parse(line, c) != 0)
		return 1;
	return sealfmt_checkpoint_verify(line, c, l->pk) == 0 ? 0 : 2;
}

/* The last checkpoint.  A last line with no newline is one if it parses
 * and its signature holds (it is then finished with its newline); one
 * that does not parse is a write cut short, to cut.  Any other last line
 * that is not a checkpoint of this signing key is refused. */
static int
last_checkpoint(struct outlog *l, struct cp_end *e, char *err, size_t errlen)
{
	struct stat st;
	off_t start, end;
	char c;
	int rc;

	memset(e, 0, sizeof(*e));
	if (fstat(l->cpfd, &st) != 0) {
		rc = neg_errno();
		goto ioerr;
	}
	e->size = e->cut_at = end = st.st_size;
	if (end == 0)
		return 0;
	if ((rc = read_all(l->cpfd, &c, 1, end - 1)) != 0)
		goto ioerr;
	if (c != '\n') {
		if ((rc = line_start(l->cpfd, end, &start)) != 0 ||
		    (rc = read_cp(l, start, end, &e->cp)) < 0)
			goto ioerr;
		if (rc == 0) {
			e->have = e->finish = 1;
			return 0;
		}
		if (rc == 2)
			goto badsig;
		e->cut_at = end = start;
		if (end == 0)
			return 0;
	}
	if ((rc = line_start(l->cpfd, end - 1, &start)) != 0 ||
	    (rc = read_cp(l, start, end - 1, &e->cp)) < 0)
		goto ioerr;
	if (rc == 1) {
		snprintf(err, errlen, "%s/checkpoints: the last line (at byte "
		    "%lld) is not a checkpoint line; " CHECK_HINT, l->dir,
		    (long long)start, l->dir);
		return OUTLOG_EMISMATCH;
	}
	if (rc == 2)
		goto badsig;
	e->have = 1;
	return 0;
badsig:
	snprintf(err, errlen, "%s/checkpoints: the signature of the last "
	    "checkpoint (at byte %lld) fails with this log's signing key "
	    "(%s/signing.key): the key or the checkpoints are another log's, or "
	    "the line was changed; " CHECK_HINT, l->dir, (long long)start,
	    l->dir, l->dir);
	return OUTLOG_EMISMATCH;
ioerr:
	snprintf(err, errlen, "%s/checkpoints: read: %s", l->dir,
	    outlog_strerror(rc));
	return rc;
}

/* Does tree t with chain head chain agree with root and chain c? */
static int
agrees(const struct merkle *t, const uint8_t chain[SEALFMT_HASH],
    const uint8_t root[SEALFMT_HASH], const uint8_t c[SEALFMT_HASH])
{
	uint8_t r[SEALFMT_HASH];

	merkle_root(t, r);
	return sodium_memcmp(r, root, SEALFMT_HASH) == 0 &&
	    sodium_memcmp(chain, c, SEALFMT_HASH) == 0;
}

/* Hash log.bin's records again, from the first: the last checkpoint (c,
 * if any) must agree at its size, and the writer's state at the end. */
static int
replay(struct outlog *l, const struct sealfmt_checkpoint *c, char *err,
    size_t errlen)
{
	const uint64_t chunk = sizeof(l->buf) / SEALFMT_RECORD;
	struct merkle *t = merkle_new(&merkle_blake2b);
	uint8_t chain[SEALFMT_HASH], leaf[SEALFMT_HASH], root[SEALFMT_HASH];
	uint64_t i = 0;
	int rc = 0;

	if (t == NULL) {
		snprintf(err, errlen, "%s: out of memory", l->dir);
		return -ENOMEM;
	}
	memset(chain, 0, sizeof(chain));
	while (i < l->seq && rc == 0) {
		uint64_t k = l->seq - i < chunk ? l->seq - i : chunk;

		if ((rc = read_all(l->fd, l->buf, (size_t)k * SEALFMT_RECORD,
		    (off_t)sealfmt_offset(i))) != 0) {
			snprintf(err, errlen, "%s/log.bin: read: %s", l->dir,
			    strerror(-rc));
			break;
		}
		for (uint64_t j = 0; j < k && rc == 0; j++, i++) {
			if (sealfmt_check(l->buf + j * SEALFMT_RECORD, i, chain,
			    NULL, leaf) != 0) {
				snprintf(err, errlen, "%s/log.bin: record %llu is "
				    "out of place or of an unknown version: the "
				    "log was changed; not appending to it (run "
				    "oshirase audit verify)", l->dir,
				    (unsigned long long)i);
				rc = OUTLOG_EMISMATCH;
				break;
			}
			(void)merkle_append(t, leaf);	/* i < 2^63 */
			if (c != NULL && c->size == i + 1 &&
			    !agrees(t, chain, c->root, c->chain)) {
				snprintf(err, errlen, "%s/log.bin: its first %llu "
				    "records do not match the last checkpoint "
				    "(%s/checkpoints): changed below it, or the "
				    "checkpoints are another log's; " CHECK_HINT,
				    l->dir, (unsigned long long)c->size, l->dir,
				    l->dir);
				rc = OUTLOG_EMISMATCH;
			}
		}
	}
	memset(l->buf, 0, sizeof(l->buf));
	merkle_root(l->tree, root);
	if (rc == 0 && !agrees(t, chain, root, l->chain)) {
		snprintf(err, errlen, "%s/state: the writer's state does not "
		    "agree with the %llu records of log.bin (the Merkle root or "
		    "the chain head differs): the state is not this log's; "
		    CHECK_HINT, l->dir, (unsigned long long)l->seq, l->dir);
		rc = OUTLOG_EMISMATCH;
	}
	merkle_free(t);
	return rc;
}

/* The writer's state, with the records taken in, against the last
 * checkpoint: at the same size their roots and chain heads agree (cheap:
 * the usual case after a clean stop); below it, the log is hashed again
 * (after a crash, or with no checkpoint); above it, records were cut. */
static int
check_state(struct outlog *l, const struct cp_end *e, char *err,
    size_t errlen)
{
	const struct sealfmt_checkpoint *c = &e->cp;
	uint8_t root[SEALFMT_HASH];

	if (!e->have)
		return l->seq == 0 ? 0 : replay(l, NULL, err, errlen);
	if (strcmp(c->origin, l->origin) != 0) {
		snprintf(err, errlen, "%s/checkpoints: the last checkpoint is "
		    "of the log '%s', the writer's state of '%s'; " CHECK_HINT,
		    l->dir, c->origin, l->origin, l->dir);
		return OUTLOG_EMISMATCH;
	}
	if (c->size > l->seq) {
		snprintf(err, errlen, "%s/checkpoints: the last checkpoint "
		    "covers %llu records, but log.bin holds %llu: records were "
		    "cut from log.bin, or log.bin and state are older than "
		    "checkpoints; " CHECK_HINT, l->dir,
		    (unsigned long long)c->size, (unsigned long long)l->seq,
		    l->dir);
		return OUTLOG_ECUT;
	}
	if (c->size < l->seq)
		return replay(l, c, err, errlen);
	merkle_root(l->tree, root);
	if (!agrees(l->tree, l->chain, c->root, c->chain)) {
		snprintf(err, errlen, "%s/state: the writer's state does not "
		    "agree with the last checkpoint (%llu records: the %s "
		    "differs): the state is not this log's; " CHECK_HINT, l->dir,
		    (unsigned long long)c->size, sodium_memcmp(root, c->root,
		    SEALFMT_HASH) ? "Merkle root" : "chain head", l->dir);
		return OUTLOG_EMISMATCH;
	}
	return 0;
}

/* What a crash may leave, and only that, repaired: a torn last record
 * cut, a torn last checkpoint line cut (or one that lacks only its
 * newline finished), each cut with an alarm record. */
static int
repair(struct outlog *l, off_t torn, const struct cp_end *e, char *err,
    size_t errlen)
{
	const char *name = "log.bin";
	int rc = 0;

	if (torn) {
		if (ftruncate(l->fd, (off_t)sealfmt_offset(l->seq)) != 0)
			goto syserr;
		log_warnx("ALERT: %s/log.bin: a torn last record (%lld bytes) "
		    "was cut", l->dir, (long long)torn);
	}
	name = "checkpoints";
	if (e->finish) {
		if ((rc = write_all(l->cpfd, "\n", 1)) != 0)
			goto err;
		if (fdatasync(l->cpfd) != 0)
			goto syserr;
		log_warnx("%s/checkpoints: the last checkpoint line had no "
		    "newline; one was added", l->dir);
	} else if (e->cut_at < e->size) {
		if (ftruncate(l->cpfd, e->cut_at) != 0)
			goto syserr;
		log_warnx("ALERT: %s/checkpoints: a torn last line (%lld bytes) "
		    "was cut", l->dir, (long long)(e->size - e->cut_at));
	}
	name = "log.bin";
	if ((torn && (rc = append_event(l, SEALFMT_ALARM,
	    SEALFMT_ALARM_TORN_RECORD, (uint64_t)torn)) != 0) ||
	    (e->cut_at < e->size && !e->finish && (rc = append_event(l,
	    SEALFMT_ALARM, SEALFMT_ALARM_TORN_CHECKPOINT,
	    (uint64_t)(e->size - e->cut_at))) != 0))
		goto err;
	return 0;
syserr:
	rc = neg_errno();
err:
	snprintf(err, errlen, "%s/%s: %s", l->dir, name, outlog_strerror(rc));
	return rc;
}

/* Open the log's files in dir and check them, as a start does: keys,
 * state, header, records (taken in), the last checkpoint against the
 * state.  With check, nothing is opened for writing, a missing
 * checkpoints file is no checkpoint yet, and nothing is repaired (the
 * start will).  0 or a negative code, the message in err. */
static int
take_log(struct outlog *l, const char *dir, int check, off_t *torn,
    struct cp_end *e, char *err, size_t errlen)
{
	uint8_t *seed;
	int rc;

	if ((l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = neg_errno();
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if ((rc = read_key(l, "signing.key", &seed, err, errlen)) != 0)
		return rc;
	crypto_sign_seed_keypair(l->pk, l->sk, seed);
	sodium_free(seed);
	if ((rc = read_key(l, "digest.key", &l->digest_key, err, errlen)) != 0 ||
	    (rc = load_state(l, err, errlen)) != 0)
		return rc;
	l->fd = open_in(l, "log.bin", check ? O_RDONLY : O_RDWR | O_APPEND, 0);
	if (l->fd >= 0)
		l->cpfd = open_in(l, "checkpoints", check ? O_RDONLY :
		    O_RDWR | O_APPEND | O_CREAT, 0644);
	if (l->fd < 0 || (l->cpfd < 0 && !(check && l->cpfd == -ENOENT)) ||
	    (rc = check_name(l, "state.tmp")) != 0) {
		rc = l->fd < 0 ? l->fd : l->cpfd < 0 ? l->cpfd : rc;
		snprintf(err, errlen, "%s", l->error);
		return rc;
	}
	if ((rc = check_header(l, err, errlen)) != 0 ||
	    (rc = take_in(l, torn, err, errlen)) != 0)
		return rc;
	if (l->cpfd < 0)
		memset(e, 0, sizeof(*e));
	else if ((rc = last_checkpoint(l, e, err, errlen)) != 0)
		return rc;
	return check_state(l, e, err, errlen);
}

int
outlog_open(const char *dir, long checkpoint_records, long checkpoint_seconds,
    struct outlog **out, char *err, size_t errlen)
{
	struct outlog *l;
	struct cp_end e;
	off_t torn;
	int rc;

	*out = NULL;
	if ((rc = writer_new(dir, &l)) != 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return rc;
	}
	l->cp_records = checkpoint_records;
	l->cp_seconds = checkpoint_seconds;
	if ((rc = take_log(l, dir, 0, &torn, &e, err, errlen)) != 0 ||
	    (rc = repair(l, torn, &e, err, errlen)) != 0)
		goto fail;
	if ((rc = append_event(l, SEALFMT_START, 0, 0)) != 0 ||
	    (rc = sync_log(l)) != 0 ||
	    (l->cp_size != l->seq && (rc = checkpoint(l)) != 0)) {
		snprintf(err, errlen, "%s", l->error);
		goto fail;
	}
	l->opened = 1;
	*out = l;
	return 0;
fail:
	l->len = 0;
	outlog_close(l);
	return rc;
}

int
outlog_exit_status(int rc)
{
	return rc == OUTLOG_ECUT || rc == OUTLOG_EMISMATCH ||
	    rc == OUTLOG_ESTATE || rc == SEALFMT_EHEADER ? EXIT_DATAERR :
	    rc == -ENOSPC || rc == -EIO || rc == -EDQUOT ? EXIT_IOERR :
	    EXIT_CANTCREAT;
}

int
outlog_check(const char *dir, char *err, size_t errlen)
{
	struct outlog *l;
	struct cp_end e;
	off_t torn;
	int rc;

	if ((rc = writer_new(dir, &l)) != 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return rc;
	}
	rc = take_log(l, dir, 1, &torn, &e, err, errlen);
	l->len = 0;
	outlog_close(l);
	return rc;
}

void
outlog_close(struct outlog *l)
{
	if (l == NULL)
		return;
	if (l->opened && !l->broken && (append_event(l, SEALFMT_STOP, 0, 0) != 0 ||
	    sync_log(l) != 0 || (l->cp_size != l->seq && checkpoint(l) != 0)))
		log_warnx("%s (closing the sealed log)", outlog_error(l));
	if (l->fd >= 0)
		close(l->fd);
	if (l->cpfd >= 0)
		close(l->cpfd);
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->key)
		sodium_free(l->key);
	if (l->mark_key)
		sodium_free(l->mark_key);
	if (l->sk)
		sodium_free(l->sk);
	if (l->digest_key)
		sodium_free(l->digest_key);
	merkle_free(l->tree);
	free(l->dir);
	free(l);
}
