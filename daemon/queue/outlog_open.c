/* outlog_open.c - the sealed log's writer, opening a log: its files read
 * and checked against the writer's state and the last checkpoint, what a
 * crash left repaired (outlog_int.h says what each file owns)
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
#include <unistd.h>

/* What a refusal to open asks the operator to check. */
#define CHECK_HINT "nothing was cut or appended. Check that log.bin, " \
	"state and checkpoints in %s come from the same log and the same " \
	"backup (a restore gone wrong?), and run `oshirase audit verify` on it"

static int
read_all(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? outlog_neg_errno() : -EIO;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* A file the writer makes later (state.tmp), if it is there already,
 * checked as outlog_open_in would. */
static int
check_name(struct outlog *l, const char *name)
{
	struct stat st;

	if (fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : outlog_fail(l, name, "stat",
		    outlog_neg_errno());
	return outlog_unsafe(l, name, S_ISLNK(st.st_mode) ? NULL : &st);
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
	if ((fd = outlog_open_in(l, "state", O_RDONLY, 0)) < 0) {
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

/* A key file of the log directory into *k (checked as outlog_open_in does,
 * then read as every secret file is).  0 or a negative code. */
static int
read_key(struct outlog *l, const char *name, uint8_t **k, char *err,
    size_t errlen)
{
	char path[PATH_CAP];
	int fd, rc;

	*k = NULL;
	if ((rc = outlog_path_in(path, sizeof(path), l->dir, name)) != 0) {
		snprintf(err, errlen, "%s/%s: %s", l->dir, name, strerror(-rc));
		return rc;
	}
	if ((fd = outlog_open_in(l, name, O_RDONLY, 0)) < 0) {
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
		rc = outlog_neg_errno();
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
		rc = outlog_neg_errno();
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
		if ((rc = outlog_write_all(l->cpfd, "\n", 1)) != 0)
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
	if ((torn && (rc = outlog_append_event(l, SEALFMT_ALARM,
	    SEALFMT_ALARM_TORN_RECORD, (uint64_t)torn)) != 0) ||
	    (e->cut_at < e->size && !e->finish && (rc = outlog_append_event(l,
	    SEALFMT_ALARM, SEALFMT_ALARM_TORN_CHECKPOINT,
	    (uint64_t)(e->size - e->cut_at))) != 0))
		goto err;
	return 0;
syserr:
	rc = outlog_neg_errno();
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
		rc = outlog_neg_errno();
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
	l->fd = outlog_open_in(l, "log.bin", check ? O_RDONLY :
	    O_RDWR | O_APPEND, 0);
	if (l->fd >= 0)
		l->cpfd = outlog_open_in(l, "checkpoints", check ? O_RDONLY :
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

/* A writer put down before it was opened: no stop record, nothing of the
 * buffer written. */
static void
discard(struct outlog *l)
{
	l->len = 0;
	outlog_close(l);
}

/* A new writer for dir with the log's files taken and checked (take_log;
 * with check, as outlog_check does).  0 and the writer in *out, or a
 * negative code with the message in err and nothing left open. */
static int
writer_take(const char *dir, int check, off_t *torn, struct cp_end *e,
    struct outlog **out, char *err, size_t errlen)
{
	struct outlog *l;
	int rc;

	*out = NULL;
	if ((rc = outlog_writer_new(dir, &l)) != 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return rc;
	}
	if ((rc = take_log(l, dir, check, torn, e, err, errlen)) != 0) {
		discard(l);
		return rc;
	}
	*out = l;
	return 0;
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
	if ((rc = writer_take(dir, 0, &torn, &e, &l, err, errlen)) != 0)
		return rc;
	l->cp_records = checkpoint_records;
	l->cp_seconds = checkpoint_seconds;
	if ((rc = repair(l, torn, &e, err, errlen)) != 0)
		goto fail;
	if ((rc = outlog_append_event(l, SEALFMT_START, 0, 0)) != 0 ||
	    (rc = outlog_sync_log(l)) != 0 ||
	    (l->cp_size != l->seq && (rc = outlog_checkpoint(l)) != 0)) {
		snprintf(err, errlen, "%s", l->error);
		goto fail;
	}
	l->opened = 1;
	*out = l;
	return 0;
fail:
	discard(l);
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

	if ((rc = writer_take(dir, 1, &torn, &e, &l, err, errlen)) == 0)
		discard(l);
	return rc;
}
