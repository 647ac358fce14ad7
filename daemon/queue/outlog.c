/* outlog.c - the sealed notification log's writer (the format is sealfmt.h's):
 * a new log and the writer's steady state; outlog_open.c opens a log
 * (outlog_int.h says what each file owns)
 * SPDX-License-Identifier: MIT
 */
#include "outlog_int.h"
#include "log.h"
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

_Static_assert(STORE_PSEUDO_LEN == SEALFMT_PSEUDO_LEN,
    "a record holds the store's pseudonyms");

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

int
outlog_fail(struct outlog *l, const char *name, const char *op, int rc)
{
	snprintf(l->error, sizeof(l->error), "%s/%s: %s: %s", l->dir, name, op,
	    outlog_strerror(rc));
	return rc;
}

int
outlog_neg_errno(void)
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

int
outlog_path_in(char *buf, size_t cap, const char *dir, const char *name)
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
		return outlog_path_in(buf, cap, dir, name);
	n = snprintf(buf, cap, "%s", given);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int
outlog_unsafe(struct outlog *l, const char *name, const struct stat *st)
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

int
outlog_open_in(struct outlog *l, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd, rc;

	fd = openat(l->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    mode);
	if (fd < 0 && errno == ELOOP)
		return outlog_unsafe(l, name, NULL);
	if (fd < 0)
		return outlog_fail(l, name, "open", outlog_neg_errno());
	if (fstat(fd, &st) != 0) {
		rc = outlog_neg_errno();
		close(fd);
		return outlog_fail(l, name, "fstat", rc);
	}
	if ((rc = outlog_unsafe(l, name, &st)) != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
outlog_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? outlog_neg_errno() : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The state (outlog.h): written to state.tmp, synced, renamed over state,
 * and the directory synced. */
static int
save_state(struct outlog *l)
{
	uint8_t *st;
	size_t tlen;
	int fd = -1, rc;

	if ((st = sodium_malloc(STATE_LEN)) == NULL)
		return outlog_fail(l, "state.tmp", "write", -ENOMEM);
	memcpy(st, STATE_MAGIC, 8);
	util_le_put(st + 8, l->seq, 8);
	memcpy(st + 16, l->chain, 32);
	memcpy(st + 48, l->key, 32);
	memset(st + 80, 0, 32);
	memcpy(st + 80, l->origin, strnlen(l->origin, 31));
	tlen = merkle_state_size(l->tree);
	util_le_put(st + 112, tlen, 4);
	if ((rc = merkle_save(l->tree, st + STATE_FIXED, tlen)) != 0) {
		(void)outlog_fail(l, "state.tmp", "write", rc);
		goto out;
	}
	if ((fd = outlog_open_in(l, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) < 0) {
		rc = fd;
		goto out;
	}
	if ((rc = outlog_write_all(fd, st, STATE_FIXED + tlen)) != 0) {
		(void)outlog_fail(l, "state.tmp", "write", rc);
		goto out;
	}
	if (fdatasync(fd) != 0) {
		rc = outlog_fail(l, "state.tmp", "fdatasync",
		    outlog_neg_errno());
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		rc = outlog_fail(l, "state.tmp", "close", outlog_neg_errno());
	else if (renameat(l->dirfd, "state.tmp", l->dirfd, "state") != 0)
		rc = outlog_fail(l, "state", "rename", outlog_neg_errno());
	else if (fsync(l->dirfd) != 0)
		rc = outlog_fail(l, ".", "fsync", outlog_neg_errno());
out:
	if (fd >= 0)
		close(fd);
	sodium_free(st);
	return rc;
}

int
outlog_writer_new(const char *dir, struct outlog **out)
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
	if ((rc = outlog_path_in(path, sizeof(path), dir, "log.bin")) != 0 ||
	    (rc = outlog_path_in(aud, sizeof(aud), dir, "auditor")) != 0) {
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
	    (rc = outlog_writer_new(dir, &l)) != 0) {
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
	if ((rc = outlog_path_in(path, sizeof(path), dir, "signing.key")) == 0)
		rc = secret_write(path, s->seed, sizeof(s->seed));
	if (rc == 0 &&
	    (rc = outlog_path_in(path, sizeof(path), dir, "digest.key")) == 0)
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
		(void)outlog_path_in(path, sizeof(path), dir,
		    "state");	/* fits */
		l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = l->dirfd < 0 ? outlog_neg_errno() : save_state(l);
		if (rc != 0 && l->dirfd >= 0) {
			snprintf(err, errlen, "%s", l->error);
			goto out;
		}
	}
	if (rc == 0 &&
	    (rc = outlog_path_in(path, sizeof(path), dir, "log.bin")) == 0) {
		sealfmt_header_encode(hdr, origin);
		rc = file_write_new(path, 0600, hdr, sizeof(hdr));
	}
	if (rc == 0 &&
	    (rc = outlog_path_in(path, sizeof(path), dir, "checkpoints")) == 0)
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
	if ((rc = outlog_write_all(l->fd, l->buf, l->len)) != 0) {
		if (ftruncate(l->fd, (off_t)sealfmt_offset(in_file(l))) != 0)
			l->broken = 1;
		return outlog_fail(l, "log.bin", "write", rc);
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
		return outlog_fail(l, "log.bin", "append", -EOVERFLOW);
	if ((rc = reserve(l, &rec)) != 0)
		return rc;
	sealfmt_record_encode(r, rec);
	sealfmt_seal(rec, l->seq, l->chain, l->key, leaf);
	(void)merkle_append(l->tree, leaf);	/* not full: checked above */
	l->seq++;
	return 0;
}

int
outlog_append_event(struct outlog *l, int type, int32_t status, uint64_t count)
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

int
outlog_consent(struct outlog *l, const uint8_t *pseudo, uint8_t channel,
    uint8_t state, uint8_t consent, uint8_t source, uint64_t last_message,
    int64_t time)
{
	struct sealfmt_record r;

	memset(&r, 0, sizeof(r));
	r.type = SEALFMT_CONSENT;
	r.time = time;
	r.message = last_message;
	memcpy(r.recipient, pseudo, sizeof(r.recipient));
	r.channel = channel;
	r.outcome = state;
	r.status = consent;
	r.attempt = source;
	return with_errno(add_record(l, &r));
}

int
outlog_checkpoint(struct outlog *l)
{
	char line[SEALFMT_CHECKPOINT_MAX];
	uint8_t root[SEALFMT_HASH], sig[crypto_sign_BYTES];
	off_t end;
	int n, rc;

	merkle_root(l->tree, root);
	n = sealfmt_checkpoint_text(line, sizeof(line), l->origin, l->seq,
	    root, l->chain, (int64_t)time(NULL));
	if (n < 0)
		return outlog_fail(l, "checkpoints", "write", n);
	(void)crypto_sign_detached(sig, NULL, (const uint8_t *)line, (size_t)n,
	    l->sk);
	if ((n = sealfmt_checkpoint_finish(line, sizeof(line), (size_t)n,
	    sig)) < 0)
		return outlog_fail(l, "checkpoints", "write", n);
	if ((end = lseek(l->cpfd, 0, SEEK_END)) < 0)
		return outlog_fail(l, "checkpoints", "lseek",
		    outlog_neg_errno());
	if ((rc = outlog_write_all(l->cpfd, line, (size_t)n)) != 0) {
		if (ftruncate(l->cpfd, end) != 0)
			l->broken = 1;	/* a torn line the next start cuts */
		return outlog_fail(l, "checkpoints", "write", rc);
	}
	if (fdatasync(l->cpfd) != 0)
		return outlog_fail(l, "checkpoints", "fdatasync",
		    outlog_neg_errno());
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
		return outlog_fail(l, "log.bin", "fdatasync",
		    outlog_neg_errno());
	l->unsynced = 0;
	return 0;
}

int
outlog_sync_log(struct outlog *l)
{
	int rc;

	if ((rc = write_log(l)) != 0)
		return rc;
	if (!l->dirty)
		return 0;
	if ((rc = save_state(l)) != 0)
		return rc;
	l->dirty = 0;
	l->state_at = util_now();
	if (l->seq - l->cp_size >= (uint64_t)l->cp_records)
		return outlog_checkpoint(l);
	return 0;
}

int
outlog_sync(struct outlog *l)
{
	l->marked = 0;
	return with_errno(outlog_sync_log(l));
}

int
outlog_write(struct outlog *l)
{
	return with_errno(write_log(l));
}

int
outlog_commit(struct outlog *l, MDB_txn *txn, int rc, const char *failpoint,
    int *how)
{
	*how = 0;
	if (rc == 0 && outlog_write(l) != 0) {
		log_warnx("%s", outlog_error(l));
		rc = EIO;
		*how = OUTLOG_LOGERR;
	}
	if (rc == 0 && failpoint != NULL && util_failpoint(failpoint)) {
		mdb_txn_abort(txn);
		rc = EIO;
	} else if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc != 0) {
		if (outlog_rollback(l) != 0)
			log_warnx("%s", outlog_error(l));
		return rc;
	}
	*how = OUTLOG_COMMITTED;
	/* the records are in log.bin and synced (outlog_write): the state
	 * may lag a little, as an open takes in verified records past it
	 * after a crash; so a stream of small transactions (residents'
	 * actions) costs two syncs each, not five */
	if (util_now() - l->state_at < OUTLOG_STATE_LAG &&
	    l->seq - l->cp_size < (uint64_t)l->cp_records) {
		l->marked = 0;
		return 0;
	}
	if (outlog_sync(l) != 0) {
		log_warnx("%s", outlog_error(l));
		*how |= OUTLOG_LOGERR;
		return EIO;
	}
	return 0;
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
			return with_errno(outlog_fail(l, "log.bin", "truncate",
			    outlog_neg_errno()));
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
	return with_errno(outlog_append_event(l, SEALFMT_ALARM,
	    SEALFMT_ALARM_ROLLED_BACK, gone));
}

int
outlog_tick(struct outlog *l)
{
	int rc;

	if (l->dirty && util_now() - l->state_at >= OUTLOG_STATE_LAG &&
	    (rc = outlog_sync_log(l)) != 0)
		return with_errno(rc);
	if (l->seq == l->cp_size || time(NULL) - l->cp_time < l->cp_seconds)
		return 0;
	if ((rc = outlog_sync_log(l)) != 0)
		return with_errno(rc);
	return l->seq == l->cp_size ? 0 : with_errno(outlog_checkpoint(l));
}

void
outlog_close(struct outlog *l)
{
	if (l == NULL)
		return;
	if (l->opened && !l->broken &&
	    (outlog_append_event(l, SEALFMT_STOP, 0, 0) != 0 ||
	    outlog_sync_log(l) != 0 ||
	    (l->cp_size != l->seq && outlog_checkpoint(l) != 0)))
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
