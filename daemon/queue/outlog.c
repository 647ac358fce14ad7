/* outlog.c - the sealed notification log writer (format in outlog.h)
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
#define LOG_MAGIC "OSLOG\0\0\1"
#define BATCH 256		/* records buffered before a write */

struct outlog {
	char *dir;
	char origin[32];
	int fd, cpfd, dirfd;
	uint8_t *sk;		/* Ed25519 secret key (64), sodium_malloc */
	uint8_t *digest_key;	/* 32, sodium_malloc */
	uint8_t *key;		/* K_seq, sodium_malloc */
	uint64_t seq;		/* the next record's number */
	uint8_t chain[32];
	struct merkle *tree;
	uint8_t buf[BATCH * OUTLOG_RECORD];
	size_t len;
	int dirty;
	long cp_records, cp_seconds;
	uint64_t cp_size;	/* size at the last checkpoint */
	time_t cp_time;
	int opened;		/* a start record was written: close writes
				 * a stop record */
};

void
outlog_leaf(const uint8_t *data, uint8_t leaf[32])
{
	merkle_leaf_hash(&merkle_blake2b, data, OUTLOG_DATA, leaf);
}

void
outlog_chain(const uint8_t prev[32], const uint8_t leaf[32], uint8_t out[32])
{
	crypto_generichash_state st;
	static const uint8_t two = 0x02;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, &two, 1);
	crypto_generichash_update(&st, prev, 32);
	crypto_generichash_update(&st, leaf, 32);
	crypto_generichash_final(&st, out, 32);
}

void
outlog_tag(const uint8_t key[32], uint64_t seq, const uint8_t chain[32],
    uint8_t tag[32])
{
	uint8_t in[1 + 8 + 32];

	in[0] = 0x03;
	util_le_put(in + 1, seq, 8);
	memcpy(in + 9, chain, 32);
	crypto_generichash(tag, 32, in, sizeof(in), key, 32);
}

void
outlog_evolve(uint8_t key[32])
{
	uint8_t in[33];

	in[0] = 0x04;
	memcpy(in + 1, key, 32);
	crypto_generichash(key, 32, in, sizeof(in), NULL, 0);
	sodium_memzero(in, sizeof(in));
}

int
outlog_checkpoint_text(char *buf, size_t cap, const char *origin,
    uint64_t size, const uint8_t root[32], const uint8_t chain[32],
    int64_t time)
{
	char r[65], c[65];
	int n;

	hex_encode(root, 32, r);
	r[64] = '\0';
	hex_encode(chain, 32, c);
	c[64] = '\0';
	n = snprintf(buf, cap, "oshirase-checkpoint 1 %s %llu %s %s %lld", origin,
	    (unsigned long long)size, r, c, (long long)time);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

const char *
outlog_outcome_name(int outcome)
{
	switch (outcome) {
	case OUTCOME_SENT: return "sent";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_CANCELLED: return "cancelled";
	case OUTCOME_EXPIRED: return "expired";
	default: return "?";
	}
}

const char *
outlog_type_name(int type)
{
	switch (type) {
	case OUTLOG_OUTCOME: return "outcome";
	case OUTLOG_START: return "start";
	case OUTLOG_STOP: return "stop";
	case OUTLOG_ALARM: return "alarm";
	default: return "?";
	}
}

void
outlog_digest(const struct outlog *l, const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t lb[8];

	crypto_generichash_init(&st, l->digest_key, 32, 32);
	for (unsigned i = 0; i < n; i++) {
		util_le_put(lb, lens[i], 8);
		crypto_generichash_update(&st, lb, 8);
		crypto_generichash_update(&st, (const uint8_t *)texts[i], lens[i]);
	}
	crypto_generichash_final(&st, out, 32);
}

/* ---- files ---- */

static int
write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
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
			return -1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

#define STATE_FIXED (8 + 8 + 32 + 32 + 32 + 4)
#define STATE_LEN (STATE_FIXED + MERKLE_STATE_MAX)

/* The state: magic | u64 seq | chain | key | origin[32] | u32 len | the
 * tree's saved state (merkle.h). */
static int
save_state(struct outlog *l)
{
	char tmp[1100], path[1100];
	uint8_t *st = sodium_malloc(STATE_LEN);
	int fd, rc = -1;

	if (st == NULL)
		return -1;
	memcpy(st, STATE_MAGIC, 8);
	util_le_put(st + 8, l->seq, 8);
	memcpy(st + 16, l->chain, 32);
	memcpy(st + 48, l->key, 32);
	memset(st + 80, 0, 32);
	memcpy(st + 80, l->origin, strnlen(l->origin, 31));
	size_t tlen = merkle_state_size(l->tree);

	util_le_put(st + 112, tlen, 4);
	merkle_save(l->tree, st + STATE_FIXED, tlen);
	snprintf(tmp, sizeof(tmp), "%s/state.tmp", l->dir);
	snprintf(path, sizeof(path), "%s/state", l->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write_all(fd, st, STATE_FIXED + tlen) == 0 && fdatasync(fd) == 0 &&
		    close(fd) == 0 && rename(tmp, path) == 0 && fsync(l->dirfd) == 0)
			rc = 0;
		else if (fd >= 0)
			close(fd);
	}
	sodium_free(st);
	return rc;
}

static int
load_state(struct outlog *l, char *err, size_t errlen)
{
	char path[1100];
	uint8_t *st = sodium_malloc(STATE_LEN);
	int fd, rc = -1;
	ssize_t got = -1;

	snprintf(path, sizeof(path), "%s/state", l->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st != NULL && fd >= 0)
		got = read(fd, st, STATE_LEN);
	if (st == NULL || fd < 0)
		snprintf(err, errlen, "%s: %s (initialise the log with "
		    "`oshirase audit init`)", path, strerror(errno));
	else if (got < STATE_FIXED || memcmp(st, STATE_MAGIC, 8) != 0 ||
	    util_le_get(st + 112, 4) != (uint64_t)got - STATE_FIXED ||
	    merkle_restore(l->tree, st + STATE_FIXED, (size_t)got - STATE_FIXED) != 0)
		snprintf(err, errlen, "%s: not a log state", path);
	else {
		l->seq = util_le_get(st + 8, 8);
		memcpy(l->chain, st + 16, 32);
		memcpy(l->key, st + 48, 32);
		memcpy(l->origin, st + 80, 31);
		l->origin[31] = '\0';
		rc = merkle_size(l->tree) == l->seq ? 0 : -1;
		if (rc != 0)
			snprintf(err, errlen, "%s: inconsistent", path);
	}
	if (fd >= 0)
		close(fd);
	if (st)
		sodium_free(st);
	return rc;
}

static uint8_t *
read_key(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1100];
	const char *why;
	int code;
	uint8_t *k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	k = secret_read(path, &why, &code);
	if (k == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	return k;
}

int
outlog_init(const char *dir, const char *origin, const char *pub_out,
    const char *k0_out, char *err, size_t errlen)
{
	struct outlog l;
	uint8_t seed[32], pk[32], sk[64], dk[32], hdr[OUTLOG_HEADER];
	char path[1200], aud[1100], pubhex[66];
	int fd, rc;

	memset(&l, 0, sizeof(l));
	if (strlen(origin) == 0 || strlen(origin) > 31 || strchr(origin, ' ')) {
		snprintf(err, errlen, "origin '%s': 1 to 31 bytes, no spaces", origin);
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return EXIT_CANTCREAT;
	}
	snprintf(path, sizeof(path), "%s/log.bin", dir);
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s: a log is already there; not replaced",
		    path);
		return EXIT_CANTCREAT;
	}
	snprintf(aud, sizeof(aud), "%s/auditor", dir);
	if (pub_out == NULL || k0_out == NULL) {
		if (mkdir(aud, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", aud, strerror(errno));
			return EXIT_CANTCREAT;
		}
	}
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	randombytes_buf(dk, sizeof(dk));
	l.key = sodium_malloc(32);
	if (l.key == NULL)
		fatalx("sodium_malloc failed");
	randombytes_buf(l.key, 32);	/* K_0 */
	snprintf(path, sizeof(path), "%s/signing.key", dir);
	rc = secret_write(path, seed, 32);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/digest.key", dir);
		rc = secret_write(path, dk, 32);
	}
	if (rc == 0) {
		if (k0_out)
			snprintf(path, sizeof(path), "%s", k0_out);
		else
			snprintf(path, sizeof(path), "%s/k0", aud);
		rc = secret_write(path, l.key, 32);
	}
	if (rc == 0) {
		if (pub_out)
			snprintf(path, sizeof(path), "%s", pub_out);
		else
			snprintf(path, sizeof(path), "%s/pubkey", aud);
		hex_encode(pk, 32, pubhex);
		pubhex[64] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		rc = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			if (write_all(fd, pubhex, 65) != 0 || fsync(fd) != 0)
				rc = -errno;
			close(fd);
		}
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(dk, sizeof(dk));
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		sodium_free(l.key);
		return rc == -EEXIST ? EXIT_CANTCREAT : EXIT_IOERR;
	}
	l.dir = (char *)dir;
	snprintf(l.origin, sizeof(l.origin), "%s", origin);
	l.tree = merkle_new(&merkle_blake2b);
	if (l.tree == NULL)
		fatalx("out of memory");
	l.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = l.dirfd >= 0 && save_state(&l) == 0 ? 0 : -1;
	sodium_free(l.key);
	merkle_free(l.tree);
	if (l.dirfd >= 0)
		close(l.dirfd);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, LOG_MAGIC, 8);
	util_le_put(hdr + 8, OUTLOG_RECORD, 4);
	memcpy(hdr + 16, origin, strlen(origin));
	snprintf(path, sizeof(path), "%s/log.bin", dir);
	if (rc == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		rc = fd >= 0 && write_all(fd, hdr, sizeof(hdr)) == 0 &&
		    fsync(fd) == 0 ? 0 : -1;
		if (fd >= 0)
			close(fd);
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/checkpoints", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		rc = fd >= 0 ? 0 : -1;
		if (fd >= 0)
			close(fd);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}

/* ---- writing ---- */

static void
seal(struct outlog *l, uint8_t *rec)
{
	uint8_t leaf[32];

	util_le_put(rec + 8, l->seq, 8);
	outlog_leaf(rec, leaf);
	outlog_chain(l->chain, leaf, l->chain);
	outlog_tag(l->key, l->seq, l->chain, rec + OUTLOG_DATA);
	outlog_evolve(l->key);
	merkle_append(l->tree, leaf);
	l->seq++;
}

static uint8_t *
next_record(struct outlog *l)
{
	uint8_t *rec;

	if (l->len + OUTLOG_RECORD > sizeof(l->buf)) {
		if (write_all(l->fd, l->buf, l->len) != 0)
			return NULL;
		l->len = 0;
		l->dirty = 1;
	}
	rec = l->buf + l->len;
	memset(rec, 0, OUTLOG_RECORD);
	l->len += OUTLOG_RECORD;
	return rec;
}

static int
append_event(struct outlog *l, int type, int32_t status, uint64_t notice)
{
	uint8_t *rec = next_record(l);

	if (rec == NULL)
		return -1;
	rec[0] = 1;
	rec[1] = (uint8_t)type;
	util_le_put(rec + 16, (uint64_t)time(NULL), 8);
	util_le_put(rec + 24, notice, 8);
	util_le_put(rec + 176, (uint32_t)status, 4);
	seal(l, rec);
	return 0;
}

int
outlog_append(struct outlog *l, const struct outcome *o)
{
	uint8_t *rec = next_record(l);

	if (rec == NULL)
		return -1;
	rec[0] = 1;
	rec[1] = OUTLOG_OUTCOME;
	util_le_put(rec + 16, (uint64_t)o->time, 8);
	util_le_put(rec + 24, o->notice, 8);
	util_le_put(rec + 32, o->message, 8);
	memcpy(rec + 40, o->recipient, 32);
	memcpy(rec + 72, o->subject, 32);
	memcpy(rec + 104, o->program, strnlen(o->program, 64));
	rec[168] = o->channel;
	rec[169] = o->outcome;
	util_le_put(rec + 172, o->attempt, 4);
	util_le_put(rec + 176, (uint32_t)o->status, 4);
	memcpy(rec + 184, o->ruleset, 8);
	memcpy(rec + 192, o->digest, 32);
	seal(l, rec);
	return 0;
}

static int
checkpoint(struct outlog *l)
{
	char line[512];
	uint8_t root[32], sig[64];
	char sighex[129];
	int n;

	merkle_root(l->tree, root);
	n = outlog_checkpoint_text(line, sizeof(line) - 132, l->origin, l->seq,
	    root, l->chain, (int64_t)time(NULL));
	if (n < 0)
		return -1;
	crypto_sign_detached(sig, NULL, (const uint8_t *)line, (size_t)n, l->sk);
	hex_encode(sig, 64, sighex);
	sighex[128] = '\0';
	n += snprintf(line + n, sizeof(line) - (size_t)n, " %s\n", sighex);
	if (write_all(l->cpfd, line, (size_t)n) != 0 || fdatasync(l->cpfd) != 0)
		return -1;
	l->cp_size = l->seq;
	l->cp_time = time(NULL);
	return 0;
}

int
outlog_sync(struct outlog *l)
{
	if (l->len > 0) {
		if (write_all(l->fd, l->buf, l->len) != 0)
			return -1;
		l->len = 0;
		l->dirty = 1;
	}
	if (!l->dirty)
		return 0;
	if (fdatasync(l->fd) != 0 || save_state(l) != 0)
		return -1;
	l->dirty = 0;
	if (l->seq - l->cp_size >= (uint64_t)l->cp_records)
		return checkpoint(l);
	return 0;
}

int
outlog_tick(struct outlog *l)
{
	if (l->seq == l->cp_size || time(NULL) - l->cp_time < l->cp_seconds)
		return 0;
	if (outlog_sync(l) != 0)
		return -1;
	return l->seq == l->cp_size ? 0 : checkpoint(l);
}

/* On open: cut a torn last record, take in records past the saved state
 * if they verify under the saved key, cut them if they do not. */
static int
recover(struct outlog *l, char *err, size_t errlen)
{
	struct stat st;
	uint64_t n;
	off_t torn;
	uint8_t rec[OUTLOG_RECORD];

	if (fstat(l->fd, &st) != 0 || st.st_size < OUTLOG_HEADER) {
		snprintf(err, errlen, "%s/log.bin: no header", l->dir);
		return -1;
	}
	n = (uint64_t)(st.st_size - OUTLOG_HEADER) / OUTLOG_RECORD;
	torn = (st.st_size - OUTLOG_HEADER) % OUTLOG_RECORD;
	if (n < l->seq) {
		snprintf(err, errlen, "%s/log.bin holds %llu records, but %llu "
		    "were written: it was cut; not appending to it (run oshirase "
		    "audit verify)", l->dir, (unsigned long long)n,
		    (unsigned long long)l->seq);
		return -1;
	}
	if (torn) {
		if (ftruncate(l->fd, st.st_size - torn) != 0) {
			snprintf(err, errlen, "%s/log.bin: %s", l->dir, strerror(errno));
			return -1;
		}
		log_warnx("ALERT: %s/log.bin: a torn last record (%lld bytes) "
		    "was cut", l->dir, (long long)torn);
	}
	while (l->seq < n) {
		uint8_t chain[32], leaf[32], tag[32];

		if (read_all(l->fd, rec, sizeof(rec), OUTLOG_HEADER +
		    (off_t)(l->seq * OUTLOG_RECORD)) != 0)
			break;
		outlog_leaf(rec, leaf);
		outlog_chain(l->chain, leaf, chain);
		outlog_tag(l->key, l->seq, chain, tag);
		if (util_le_get(rec + 8, 8) != l->seq || sodium_memcmp(tag, rec +
		    OUTLOG_DATA, 32) != 0)
			break;
		memcpy(l->chain, chain, 32);
		outlog_evolve(l->key);
		merkle_append(l->tree, leaf);
		l->seq++;
	}
	if (l->seq < n) {
		log_warnx("ALERT: %s/log.bin: %llu records past the saved state "
		    "do not verify; cut", l->dir, (unsigned long long)(n - l->seq));
		if (ftruncate(l->fd, OUTLOG_HEADER + (off_t)(l->seq *
		    OUTLOG_RECORD)) != 0)
			return -1;
		append_event(l, OUTLOG_ALARM, 3, n - l->seq);
	}
	if (torn)
		append_event(l, OUTLOG_ALARM, 1, (uint64_t)torn);
	return 0;
}

/* A checkpoint line cut short by a crash (the file does not end in a
 * newline) is cut off, with an alarm record. */
static int
recover_checkpoints(struct outlog *l)
{
	struct stat st;
	off_t end;
	char c;

	if (fstat(l->cpfd, &st) != 0)
		return -1;
	end = st.st_size;
	while (end > 0 && pread(l->cpfd, &c, 1, end - 1) == 1 && c != '\n')
		end--;
	if (end == st.st_size)
		return 0;
	if (ftruncate(l->cpfd, end) != 0)
		return -1;
	log_warnx("ALERT: %s/checkpoints: a torn last line (%lld bytes) was cut",
	    l->dir, (long long)(st.st_size - end));
	return append_event(l, OUTLOG_ALARM, 4, (uint64_t)(st.st_size - end));
}

struct outlog *
outlog_open(const char *dir, long checkpoint_records, long checkpoint_seconds,
    char *err, size_t errlen)
{
	struct outlog *l = xcalloc(1, sizeof(*l));
	char path[1100];
	uint8_t *seed, pk[32];

	l->dir = xstrdup(dir);
	l->fd = l->cpfd = l->dirfd = -1;
	l->cp_records = checkpoint_records;
	l->cp_seconds = checkpoint_seconds;
	l->key = sodium_malloc(32);
	l->sk = sodium_malloc(64);
	l->tree = merkle_new(&merkle_blake2b);
	if (l->key == NULL || l->sk == NULL || l->tree == NULL)
		fatalx("sodium_malloc failed");
	if ((seed = read_key(dir, "signing.key", err, errlen)) == NULL)
		goto fail;
	crypto_sign_seed_keypair(pk, l->sk, seed);
	sodium_free(seed);
	if ((l->digest_key = read_key(dir, "digest.key", err, errlen)) == NULL)
		goto fail;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0 || load_state(l, err, errlen) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/log.bin", dir);
	l->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (l->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/checkpoints", dir);
	l->cpfd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (l->cpfd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (recover(l, err, errlen) != 0 || recover_checkpoints(l) != 0)
		goto fail;
	if (append_event(l, OUTLOG_START, 0, 0) != 0 || outlog_sync(l) != 0 ||
	    (l->cp_size != l->seq && checkpoint(l) != 0)) {
		snprintf(err, errlen, "%s: cannot write: %s", dir, strerror(errno));
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
	if (l->opened && append_event(l, OUTLOG_STOP, 0, 0) == 0 &&
	    outlog_sync(l) == 0 && l->cp_size != l->seq)
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
