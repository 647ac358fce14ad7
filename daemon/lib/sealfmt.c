/* sealfmt.c - the sealed notification log's format (described in sealfmt.h)
 * SPDX-License-Identifier: MIT
 */
#include "sealfmt.h"
#include "merkle.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HL SEALFMT_HASH
#define LOG_MAGIC "OSLOG\0\0"	/* and the version byte */
#define CP_WORD "oshirase-checkpoint"

/* Offsets of the record's fields. */
enum {
	R_VERSION = 0, R_TYPE = 1, R_SEQ = 8, R_TIME = 16, R_NOTICE = 24,
	R_MESSAGE = 32, R_RECIPIENT = 40, R_SUBJECT = 72, R_PROGRAM = 104,
	R_CHANNEL = 168, R_OUTCOME = 169, R_ATTEMPT = 172, R_STATUS = 176,
	R_RULESET = 184, R_DIGEST = 192, R_TAG = SEALFMT_DATA
};

const char *
sealfmt_strerror(int rc)
{
	switch (rc) {
	case SEALFMT_EVERSION: return "a record of an unknown version or type";
	case SEALFMT_ESEQ: return "a sequence number out of place";
	case SEALFMT_ETAG: return "the seal does not verify";
	case SEALFMT_EHEADER: return "not an oshirase log (bad header)";
	case SEALFMT_ECHECKPOINT: return "not a checkpoint line";
	case SEALFMT_ESIG: return "the signature does not verify";
	case SEALFMT_EKEYFILE:
		return "a public key file holds 64 hex digits and a newline";
	case SEALFMT_EORIGIN: return "an origin is 1 to 31 bytes, no spaces";
	default: return merkle_strerror(rc);
	}
}

const char *
sealfmt_type_name(int type)
{
	switch (type) {
	case SEALFMT_OUTCOME: return "outcome";
	case SEALFMT_START: return "start";
	case SEALFMT_STOP: return "stop";
	case SEALFMT_ALARM: return "alarm";
	case SEALFMT_CONSENT: return "consent";
	default: return "?";
	}
}

const char *
sealfmt_outcome_name(int outcome)
{
	switch (outcome) {
	case SEALFMT_SENT: return "sent";
	case SEALFMT_FAILED: return "failed";
	case SEALFMT_CANCELLED: return "cancelled";
	case SEALFMT_EXPIRED: return "expired";
	default: return "?";
	}
}

const char *
sealfmt_channel_name(int channel)
{
	switch (channel) {
	case SEALFMT_LINE: return "line";
	case SEALFMT_EMAIL: return "email";
	default: return "?";
	}
}

const char *
sealfmt_consent_name(int state)
{
	switch (state) {
	case SEALFMT_CONSENT_ACTIVE: return "active";
	case SEALFMT_CONSENT_WITHDRAWN: return "withdrawn";
	case SEALFMT_CONSENT_REMOVED: return "removed";
	default: return "?";
	}
}

const char *
sealfmt_source_name(int source)
{
	switch (source) {
	case SEALFMT_SRC_IMPORT: return "import";
	case SEALFMT_SRC_LINE: return "line";
	case SEALFMT_SRC_WEB: return "web";
	case SEALFMT_SRC_UNSUBSCRIBE: return "unsubscribe";
	default: return "?";
	}
}

const char *
sealfmt_alarm_name(int alarm)
{
	switch (alarm) {
	case SEALFMT_ALARM_TORN_RECORD: return "a torn last record was cut";
	case SEALFMT_ALARM_TAKEN_IN:
		return "records past the saved state were taken in";
	case SEALFMT_ALARM_RECORDS_CUT:
		return "records past the saved state did not verify and were cut";
	case SEALFMT_ALARM_TORN_CHECKPOINT:
		return "a torn last checkpoint line was cut";
	case SEALFMT_ALARM_ROLLED_BACK:
		return "outcome records the store did not commit were taken back";
	default: return "?";
	}
}

/* ---- the header ---- */

int
sealfmt_origin_check(const char *origin)
{
	size_t n = strlen(origin);

	if (n == 0 || n > SEALFMT_ORIGIN_MAX)
		return SEALFMT_EORIGIN;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)origin[i] <= ' ' || origin[i] == 0x7f)
			return SEALFMT_EORIGIN;
	return 0;
}

void
sealfmt_header_encode(uint8_t hdr[SEALFMT_HEADER], const char *origin)
{
	memset(hdr, 0, SEALFMT_HEADER);
	memcpy(hdr, LOG_MAGIC, 7);
	hdr[7] = SEALFMT_LOG_VERSION;
	util_le_put(hdr + 8, SEALFMT_RECORD, 4);
	memcpy(hdr + 16, origin, strnlen(origin, SEALFMT_ORIGIN_MAX));
}

/* Every byte of the header is checked: the only one a writer writes for
 * the origin it names, and that origin is in every signed checkpoint. */
int
sealfmt_header_decode(const uint8_t *p, size_t len,
    char origin[SEALFMT_ORIGIN_CAP])
{
	uint8_t canon[SEALFMT_HEADER];
	char o[SEALFMT_ORIGIN_MAX + 1];

	origin[0] = '\0';
	if (len < SEALFMT_HEADER)
		return SEALFMT_EHEADER;
	memcpy(o, p + 16, SEALFMT_ORIGIN_MAX);
	o[SEALFMT_ORIGIN_MAX] = '\0';
	if (sealfmt_origin_check(o) != 0)
		return SEALFMT_EHEADER;
	sealfmt_header_encode(canon, o);
	if (memcmp(p, canon, SEALFMT_HEADER) != 0)
		return SEALFMT_EHEADER;
	memcpy(origin, o, sizeof(o));
	return 0;
}

/* ---- records ---- */

void
sealfmt_record_encode(const struct sealfmt_record *r, uint8_t *rec)
{
	memset(rec, 0, SEALFMT_RECORD);
	rec[R_VERSION] = SEALFMT_RECORD_VERSION;
	rec[R_TYPE] = r->type;
	util_le_put(rec + R_SEQ, r->seq, 8);
	util_le_put(rec + R_TIME, (uint64_t)r->time, 8);
	util_le_put(rec + R_NOTICE, r->notice, 8);
	util_le_put(rec + R_MESSAGE, r->message, 8);
	memcpy(rec + R_RECIPIENT, r->recipient, SEALFMT_PSEUDO_LEN);
	memcpy(rec + R_SUBJECT, r->subject, SEALFMT_PSEUDO_LEN);
	memcpy(rec + R_PROGRAM, r->program,
	    strnlen(r->program, SEALFMT_PROGRAM_LEN));
	rec[R_CHANNEL] = r->channel;
	rec[R_OUTCOME] = r->outcome;
	util_le_put(rec + R_ATTEMPT, r->attempt, 4);
	util_le_put(rec + R_STATUS, (uint32_t)r->status, 4);
	memcpy(rec + R_RULESET, r->ruleset, SEALFMT_RULESET_LEN);
	memcpy(rec + R_DIGEST, r->digest, HL);
}

int
sealfmt_record_decode(const uint8_t *rec, struct sealfmt_record *r)
{
	r->version = rec[R_VERSION];
	r->type = rec[R_TYPE];
	r->seq = util_le_get(rec + R_SEQ, 8);
	r->time = (int64_t)util_le_get(rec + R_TIME, 8);
	r->notice = util_le_get(rec + R_NOTICE, 8);
	r->message = util_le_get(rec + R_MESSAGE, 8);
	memcpy(r->recipient, rec + R_RECIPIENT, SEALFMT_PSEUDO_LEN);
	memcpy(r->subject, rec + R_SUBJECT, SEALFMT_PSEUDO_LEN);
	memcpy(r->program, rec + R_PROGRAM, SEALFMT_PROGRAM_LEN);
	r->program[SEALFMT_PROGRAM_LEN] = '\0';
	r->channel = rec[R_CHANNEL];
	r->outcome = rec[R_OUTCOME];
	r->attempt = (uint32_t)util_le_get(rec + R_ATTEMPT, 4);
	r->status = (int32_t)util_le_get(rec + R_STATUS, 4);
	memcpy(r->ruleset, rec + R_RULESET, SEALFMT_RULESET_LEN);
	memcpy(r->digest, rec + R_DIGEST, HL);
	if (r->version != SEALFMT_RECORD_VERSION || r->type < SEALFMT_OUTCOME ||
	    r->type > SEALFMT_CONSENT)
		return SEALFMT_EVERSION;
	return 0;
}

/* ---- the seal ---- */

/* The libsodium hashing calls below cannot fail for these lengths. */
void
sealfmt_leaf(const uint8_t *data, uint8_t leaf[HL])
{
	merkle_leaf_hash(&merkle_blake2b, data, SEALFMT_DATA, leaf);
}

void
sealfmt_chain(const uint8_t prev[HL], const uint8_t leaf[HL], uint8_t out[HL])
{
	crypto_generichash_state st;
	static const uint8_t two = 0x02;

	(void)crypto_generichash_init(&st, NULL, 0, HL);
	(void)crypto_generichash_update(&st, &two, 1);
	(void)crypto_generichash_update(&st, prev, HL);
	(void)crypto_generichash_update(&st, leaf, HL);
	(void)crypto_generichash_final(&st, out, HL);
}

void
sealfmt_tag(const uint8_t key[HL], uint64_t seq, const uint8_t chain[HL],
    uint8_t tag[HL])
{
	uint8_t in[1 + 8 + HL];

	in[0] = 0x03;
	util_le_put(in + 1, seq, 8);
	memcpy(in + 9, chain, HL);
	(void)crypto_generichash(tag, HL, in, sizeof(in), key, HL);
}

void
sealfmt_evolve(uint8_t key[HL])
{
	uint8_t in[1 + HL];

	in[0] = 0x04;
	memcpy(in + 1, key, HL);
	(void)crypto_generichash(key, HL, in, sizeof(in), NULL, 0);
	sodium_memzero(in, sizeof(in));
}

void
sealfmt_seal(uint8_t *rec, uint64_t seq, uint8_t chain[HL], uint8_t key[HL],
    uint8_t leaf[HL])
{
	util_le_put(rec + R_SEQ, seq, 8);
	sealfmt_leaf(rec, leaf);
	sealfmt_chain(chain, leaf, chain);
	sealfmt_tag(key, seq, chain, rec + R_TAG);
	sealfmt_evolve(key);
}

int
sealfmt_check(const uint8_t *rec, uint64_t seq, uint8_t chain[HL],
    uint8_t *key, uint8_t leaf[HL])
{
	uint8_t next[HL], tag[HL];

	sealfmt_leaf(rec, leaf);
	if (rec[R_VERSION] != SEALFMT_RECORD_VERSION ||
	    rec[R_TYPE] < SEALFMT_OUTCOME || rec[R_TYPE] > SEALFMT_CONSENT)
		return SEALFMT_EVERSION;
	if (util_le_get(rec + R_SEQ, 8) != seq)
		return SEALFMT_ESEQ;
	sealfmt_chain(chain, leaf, next);
	if (key != NULL) {
		sealfmt_tag(key, seq, next, tag);
		if (sodium_memcmp(tag, rec + R_TAG, HL) != 0)
			return SEALFMT_ETAG;
		sealfmt_evolve(key);
	}
	memcpy(chain, next, HL);
	return 0;
}

void
sealfmt_digest(const uint8_t key[HL], const char *const *texts,
    const size_t *lens, unsigned n, uint8_t out[HL])
{
	crypto_generichash_state st;
	uint8_t lb[8];

	(void)crypto_generichash_init(&st, key, HL, HL);
	for (unsigned i = 0; i < n; i++) {
		util_le_put(lb, lens[i], 8);
		(void)crypto_generichash_update(&st, lb, 8);
		(void)crypto_generichash_update(&st, (const uint8_t *)texts[i],
		    lens[i]);
	}
	(void)crypto_generichash_final(&st, out, HL);
}

/* ---- checkpoints ---- */

int
sealfmt_checkpoint_text(char *buf, size_t cap, const char *origin,
    uint64_t size, const uint8_t root[HL], const uint8_t chain[HL],
    int64_t time)
{
	char r[2 * HL + 1], c[2 * HL + 1];
	int n;

	hex_encode(root, HL, r);
	hex_encode(chain, HL, c);
	n = snprintf(buf, cap, CP_WORD " %d %s %llu %s %s %lld",
	    SEALFMT_CHECKPOINT_VERSION, origin, (unsigned long long)size, r, c,
	    (long long)time);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int
sealfmt_checkpoint_finish(char *buf, size_t cap, size_t len,
    const uint8_t sig[SEALFMT_SIG_LEN])
{
	/* " " + 128 hex digits + "\n" + NUL */
	if (len > cap || cap - len < 2 * SEALFMT_SIG_LEN + 3)
		return -ENOSPC;
	buf[len] = ' ';
	hex_encode(sig, SEALFMT_SIG_LEN, buf + len + 1);
	len += 1 + 2 * SEALFMT_SIG_LEN;
	buf[len++] = '\n';
	buf[len] = '\0';
	return (int)len;
}

/* The next field of a line: its start in *f and length in *n; *p moves
 * past it and the one space after it.  0, or -1 at the end, at an empty
 * field (two spaces) or at a space ending the line. */
static int
next_field(const char **p, const char **f, size_t *n)
{
	*f = *p;
	*n = strcspn(*p, " ");
	if (*n == 0)
		return -1;
	*p += *n;
	if (**p == ' ') {
		(*p)++;
		if (**p == '\0')
			return -1;
	}
	return 0;
}

/* n decimal digits (no sign, no space) that fit a u64 into *v: 0 or -1. */
static int
decimal(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0, d;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (x > UINT64_MAX / 10 || (x == UINT64_MAX / 10 &&
		    d > UINT64_MAX % 10))
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int
sealfmt_checkpoint_parse(const char *line, struct sealfmt_checkpoint *c)
{
	const char *p = line, *f[8];
	size_t n[8];
	uint64_t ver, t;
	int neg;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 8; i++)
		if (next_field(&p, &f[i], &n[i]) != 0)
			return SEALFMT_ECHECKPOINT;
	neg = f[6][0] == '-';
	if (*p != '\0' || n[0] != strlen(CP_WORD) ||
	    memcmp(f[0], CP_WORD, n[0]) != 0 ||
	    decimal(f[1], n[1], &ver) != 0 || ver != SEALFMT_CHECKPOINT_VERSION ||
	    n[1] != 1 || n[2] >= SEALFMT_ORIGIN_CAP ||
	    decimal(f[3], n[3], &c->size) != 0 ||
	    n[4] != 2 * HL || hex_decode(f[4], n[4], c->root, HL) != 0 ||
	    n[5] != 2 * HL || hex_decode(f[5], n[5], c->chain, HL) != 0 ||
	    decimal(f[6] + neg, n[6] - (size_t)neg, &t) != 0 ||
	    t > (uint64_t)INT64_MAX ||
	    n[7] != 2 * SEALFMT_SIG_LEN ||
	    hex_decode(f[7], n[7], c->sig, SEALFMT_SIG_LEN) != 0)
		return SEALFMT_ECHECKPOINT;
	memcpy(c->origin, f[2], n[2]);
	c->origin[n[2]] = '\0';
	c->time = neg ? -(int64_t)t : (int64_t)t;
	c->signed_len = (size_t)(f[7] - 1 - line);
	return 0;
}

int
sealfmt_checkpoint_verify(const char *line, const struct sealfmt_checkpoint *c,
    const uint8_t pk[SEALFMT_PUBKEY_LEN])
{
	if (crypto_sign_verify_detached(c->sig, (const uint8_t *)line,
	    c->signed_len, pk) != 0)
		return SEALFMT_ESIG;
	return 0;
}

/* ---- key files ---- */

void
sealfmt_pubkey_text(const uint8_t pk[SEALFMT_PUBKEY_LEN],
    char out[SEALFMT_PUBKEY_TEXT])
{
	hex_encode(pk, SEALFMT_PUBKEY_LEN, out);
	out[2 * SEALFMT_PUBKEY_LEN] = '\n';
	out[2 * SEALFMT_PUBKEY_LEN + 1] = '\0';
}

int
sealfmt_pubkey_read(const char *path, uint8_t pk[SEALFMT_PUBKEY_LEN])
{
	/* One byte more than the longest good file, to see a longer one. */
	char text[SEALFMT_PUBKEY_TEXT + 1];
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	while (have < sizeof(text)) {
		ssize_t got = read(fd, text + have, sizeof(text) - have);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = -errno;
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	close(fd);
	if (rc != 0)
		return rc;
	if (have == 2 * SEALFMT_PUBKEY_LEN + 1 && text[have - 1] == '\n')
		have--;
	if (have != 2 * SEALFMT_PUBKEY_LEN ||
	    hex_decode(text, have, pk, SEALFMT_PUBKEY_LEN) != 0)
		return SEALFMT_EKEYFILE;
	return 0;
}
