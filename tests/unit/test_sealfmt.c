/* test_sealfmt.c - the sealed log's format: records at their offsets, the
 * seal recomputed from its definition, checks that refuse and leave their
 * state alone, checkpoint lines (strict parsing, signatures), the header,
 * the public key file
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merkle.h"
#include "sealfmt.h"
#include "util.h"

#define HL SEALFMT_HASH

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
sample(struct sealfmt_record *r)
{
	memset(r, 0, sizeof(*r));
	r->type = SEALFMT_OUTCOME;
	r->seq = 7;
	r->time = 1795000000;
	r->notice = 0x0102030405060708ULL;
	r->message = 42;
	memset(r->recipient, 0xaa, sizeof(r->recipient));
	memset(r->subject, 0xbb, sizeof(r->subject));
	snprintf(r->program, sizeof(r->program), "lung-cancer-screening");
	r->channel = SEALFMT_EMAIL;
	r->outcome = SEALFMT_EXPIRED;
	r->attempt = 3;
	r->status = -2;
	memset(r->ruleset, 0x11, sizeof(r->ruleset));
	memset(r->digest, 0xdd, sizeof(r->digest));
}

/* The fields sit at the offsets sealfmt.h documents, and decode gives
 * back what encode was given. */
static void
test_record_layout(void **state)
{
	struct sealfmt_record r, back;
	uint8_t rec[SEALFMT_RECORD], zero[HL];

	(void)state;
	sample(&r);
	memset(rec, 0x5a, sizeof(rec));
	sealfmt_record_encode(&r, rec);
	assert_int_equal(rec[0], SEALFMT_RECORD_VERSION);
	assert_int_equal(rec[1], SEALFMT_OUTCOME);
	assert_int_equal(util_le_get(rec + 8, 8), 7);
	assert_int_equal(util_le_get(rec + 16, 8), 1795000000);
	assert_int_equal(util_le_get(rec + 24, 8), 0x0102030405060708ULL);
	assert_int_equal(util_le_get(rec + 32, 8), 42);
	assert_int_equal(rec[40], 0xaa);
	assert_int_equal(rec[72], 0xbb);
	assert_memory_equal(rec + 104, "lung-cancer-screening", 22);
	assert_int_equal(rec[168], SEALFMT_EMAIL);
	assert_int_equal(rec[169], SEALFMT_EXPIRED);
	assert_int_equal(util_le_get(rec + 172, 4), 3);
	assert_int_equal(util_le_get(rec + 176, 4), 0xfffffffe);
	assert_int_equal(rec[184], 0x11);
	assert_int_equal(rec[192], 0xdd);
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(rec + SEALFMT_DATA, zero, HL);	/* no tag yet */
	assert_int_equal(rec[2] | rec[170] | rec[171], 0);	/* padding */
	assert_int_equal(sealfmt_record_decode(rec, &back), 0);
	r.version = SEALFMT_RECORD_VERSION;
	assert_memory_equal(&back.recipient, &r.recipient, sizeof(r.recipient));
	assert_string_equal(back.program, r.program);
	assert_int_equal(back.seq, r.seq);
	assert_int_equal(back.time, r.time);
	assert_int_equal(back.notice, r.notice);
	assert_int_equal(back.status, -2);
	assert_int_equal(back.attempt, 3);
	assert_memory_equal(back.digest, r.digest, HL);
	/* A program of 64 bytes fills its field, with no NUL in the record. */
	memset(r.program, 'p', SEALFMT_PROGRAM_LEN);
	r.program[SEALFMT_PROGRAM_LEN] = '\0';
	sealfmt_record_encode(&r, rec);
	assert_int_equal(rec[168], SEALFMT_EMAIL);
	assert_int_equal(sealfmt_record_decode(rec, &back), 0);
	assert_int_equal(strlen(back.program), SEALFMT_PROGRAM_LEN);
	/* Unknown versions and types are refused, the fields still given. */
	rec[0] = 2;
	assert_int_equal(sealfmt_record_decode(rec, &back), SEALFMT_EVERSION);
	assert_int_equal(back.version, 2);
	rec[0] = 1;
	rec[1] = 0;
	assert_int_equal(sealfmt_record_decode(rec, &back), SEALFMT_EVERSION);
	rec[1] = SEALFMT_CONSENT + 1;
	assert_int_equal(sealfmt_record_decode(rec, &back), SEALFMT_EVERSION);
}

/* A consent record: its fields where sealfmt.h says (state in outcome,
 * bits in status, source in attempt, last message in message), decoded
 * back, sealed and checked like any record. */
static void
test_consent_roundtrip(void **state)
{
	struct sealfmt_record r, back;
	uint8_t rec[SEALFMT_RECORD], chain[HL], key[HL], leaf[HL];
	uint8_t chain2[HL], key2[HL];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = SEALFMT_CONSENT;
	r.time = 1795000000;
	r.message = 9001;
	memset(r.recipient, 0xa5, sizeof(r.recipient));
	r.channel = SEALFMT_EMAIL;
	r.outcome = SEALFMT_CONSENT_WITHDRAWN;
	r.status = 1 | 2 | 8;
	r.attempt = SEALFMT_SRC_UNSUBSCRIBE;
	sealfmt_record_encode(&r, rec);
	assert_int_equal(rec[1], SEALFMT_CONSENT);
	assert_int_equal(util_le_get(rec + 32, 8), 9001);
	assert_int_equal(rec[40], 0xa5);
	assert_int_equal(rec[168], SEALFMT_EMAIL);
	assert_int_equal(rec[169], SEALFMT_CONSENT_WITHDRAWN);
	assert_int_equal(util_le_get(rec + 172, 4), SEALFMT_SRC_UNSUBSCRIBE);
	assert_int_equal(util_le_get(rec + 176, 4), 11);
	assert_int_equal(sealfmt_record_decode(rec, &back), 0);
	assert_int_equal(back.type, SEALFMT_CONSENT);
	assert_int_equal(back.message, 9001);
	assert_int_equal(back.outcome, SEALFMT_CONSENT_WITHDRAWN);
	assert_int_equal(back.status, 11);
	assert_int_equal(back.attempt, SEALFMT_SRC_UNSUBSCRIBE);
	assert_memory_equal(back.recipient, r.recipient, HL);
	randombytes_buf(chain, HL);
	randombytes_buf(key, HL);
	memcpy(chain2, chain, HL);
	memcpy(key2, key, HL);
	sealfmt_seal(rec, 3, chain, key, leaf);
	assert_int_equal(sealfmt_check(rec, 3, chain2, key2, leaf), 0);
	assert_memory_equal(chain, chain2, HL);
}

/* The seal computed here from its definition, with libsodium directly. */
static void
test_seal_from_definition(void **state)
{
	struct sealfmt_record r;
	uint8_t rec[SEALFMT_RECORD], chain[HL], key[HL], leaf[HL];
	uint8_t prev[HL], k0[HL], in[1 + SEALFMT_DATA], want_leaf[HL];
	uint8_t cin[1 + 2 * HL], want_chain[HL], tin[1 + 8 + HL], want_tag[HL];
	uint8_t kin[1 + HL], want_key[HL];

	(void)state;
	sample(&r);
	sealfmt_record_encode(&r, rec);
	randombytes_buf(prev, HL);
	randombytes_buf(k0, HL);
	memcpy(chain, prev, HL);
	memcpy(key, k0, HL);
	sealfmt_seal(rec, 9, chain, key, leaf);
	assert_int_equal(util_le_get(rec + 8, 8), 9);

	in[0] = 0x00;
	memcpy(in + 1, rec, SEALFMT_DATA);
	crypto_generichash(want_leaf, HL, in, sizeof(in), NULL, 0);
	assert_memory_equal(leaf, want_leaf, HL);
	cin[0] = 0x02;
	memcpy(cin + 1, prev, HL);
	memcpy(cin + 1 + HL, want_leaf, HL);
	crypto_generichash(want_chain, HL, cin, sizeof(cin), NULL, 0);
	assert_memory_equal(chain, want_chain, HL);
	tin[0] = 0x03;
	util_le_put(tin + 1, 9, 8);
	memcpy(tin + 9, want_chain, HL);
	crypto_generichash(want_tag, HL, tin, sizeof(tin), k0, HL);
	assert_memory_equal(rec + SEALFMT_DATA, want_tag, HL);
	kin[0] = 0x04;
	memcpy(kin + 1, k0, HL);
	crypto_generichash(want_key, HL, kin, sizeof(kin), NULL, 0);
	assert_memory_equal(key, want_key, HL);
	/* The leaf is the Merkle code's leaf hash of the sealed bytes. */
	merkle_leaf_hash(&merkle_blake2b, rec, SEALFMT_DATA, want_leaf);
	assert_memory_equal(leaf, want_leaf, HL);
}

/* What sealfmt_seal makes sealfmt_check takes, moving chain and key the
 * same way; a refused record moves neither. */
static void
test_check_follows_seal(void **state)
{
	struct sealfmt_record r;
	uint8_t log[3][SEALFMT_RECORD], wchain[HL], wkey[HL], rchain[HL];
	uint8_t rkey[HL], leaf[HL], leaf2[HL], save_chain[HL], save_key[HL];

	(void)state;
	sample(&r);
	memset(wchain, 0, HL);
	randombytes_buf(wkey, HL);
	memset(rchain, 0, HL);
	memcpy(rkey, wkey, HL);
	for (uint64_t i = 0; i < 3; i++) {
		r.notice = i;
		sealfmt_record_encode(&r, log[i]);
		sealfmt_seal(log[i], i, wchain, wkey, leaf);
		assert_int_equal(sealfmt_check(log[i], i, rchain, rkey, leaf2), 0);
		assert_memory_equal(leaf, leaf2, HL);
		assert_memory_equal(rchain, wchain, HL);
		assert_memory_equal(rkey, wkey, HL);
	}

	/* Back to the start to check refusals of record 1. */
	memset(rchain, 0, HL);
	randombytes_buf(rkey, HL);	/* a wrong K_0 */
	assert_int_equal(sealfmt_check(log[0], 0, rchain, rkey, leaf), SEALFMT_ETAG);
	assert_int_equal(sealfmt_check(log[0], 0, rchain, NULL, leaf), 0);
	memcpy(save_chain, rchain, HL);
	memcpy(save_key, rkey, HL);
	assert_int_equal(sealfmt_check(log[2], 1, rchain, NULL, leaf), SEALFMT_ESEQ);
	log[1][100] ^= 1;
	assert_int_equal(sealfmt_check(log[1], 1, rchain, rkey, leaf), SEALFMT_ETAG);
	assert_memory_equal(rchain, save_chain, HL);
	assert_memory_equal(rkey, save_key, HL);
	log[1][100] ^= 1;
	log[1][0] = 9;
	assert_int_equal(sealfmt_check(log[1], 1, rchain, NULL, leaf),
	    SEALFMT_EVERSION);
	assert_memory_equal(rchain, save_chain, HL);
	/* The leaf is given even for a refused record. */
	merkle_leaf_hash(&merkle_blake2b, log[1], SEALFMT_DATA, leaf2);
	assert_memory_equal(leaf, leaf2, HL);
}

static void
test_digest_from_definition(void **state)
{
	const char *texts[2] = { "お知らせ", "" };
	size_t lens[2] = { strlen(texts[0]), 0 };
	uint8_t key[HL], out[HL], want[HL], buf[64];
	size_t n = 0;

	(void)state;
	randombytes_buf(key, HL);
	sealfmt_digest(key, texts, lens, 2, out);
	util_le_put(buf, lens[0], 8);
	memcpy(buf + 8, texts[0], lens[0]);
	n = 8 + lens[0];
	util_le_put(buf + n, 0, 8);
	n += 8;
	crypto_generichash(want, HL, buf, n, key, HL);
	assert_memory_equal(out, want, HL);
}

/* A line made of text, signature and finish parses back and verifies. */
static void
make_line(char *line, size_t cap, const char *origin, uint64_t size,
    int64_t time, const uint8_t *sk)
{
	uint8_t root[HL], chain[HL], sig[SEALFMT_SIG_LEN];
	int n;

	memset(root, 0x01, HL);
	memset(chain, 0x02, HL);
	n = sealfmt_checkpoint_text(line, cap, origin, size, root, chain, time);
	assert_true(n > 0);
	crypto_sign_detached(sig, NULL, (const uint8_t *)line, (size_t)n, sk);
	assert_int_equal(sealfmt_checkpoint_finish(line, cap, (size_t)n, sig),
	    n + 1 + 2 * SEALFMT_SIG_LEN + 1);
	assert_int_equal(line[strlen(line) - 1], '\n');
	line[strlen(line) - 1] = '\0';	/* as a reader hands it over */
}

static void
test_checkpoint_roundtrip(void **state)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], root[HL];
	char line[SEALFMT_CHECKPOINT_MAX];
	struct sealfmt_checkpoint c;

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	make_line(line, sizeof(line), "mihon-city", 123456, 1795000000, sk);
	assert_true(strncmp(line, "oshirase-checkpoint 1 mihon-city 123456 0101",
	    44) == 0);
	assert_int_equal(sealfmt_checkpoint_parse(line, &c), 0);
	assert_string_equal(c.origin, "mihon-city");
	assert_int_equal(c.size, 123456);
	assert_int_equal(c.time, 1795000000);
	memset(root, 0x01, HL);
	assert_memory_equal(c.root, root, HL);
	assert_int_equal(c.chain[31], 0x02);
	assert_int_equal(c.signed_len, strlen(line) - 1 - 2 * SEALFMT_SIG_LEN);
	assert_int_equal(sealfmt_checkpoint_verify(line, &c, pk), 0);
	assert_int_equal(sealfmt_checkpoint_verify(line, &c, pk2), SEALFMT_ESIG);
	/* one digit of the size changed: parses, does not verify */
	line[34] = '9';
	assert_int_equal(sealfmt_checkpoint_parse(line, &c), 0);
	assert_int_equal(sealfmt_checkpoint_verify(line, &c, pk), SEALFMT_ESIG);
	/* the largest size and time, and a time before 1970 */
	make_line(line, sizeof(line), "x", UINT64_MAX, INT64_MAX, sk);
	assert_int_equal(sealfmt_checkpoint_parse(line, &c), 0);
	assert_true(c.size == UINT64_MAX && c.time == INT64_MAX);
	make_line(line, sizeof(line), "x", 0, -5, sk);
	assert_int_equal(sealfmt_checkpoint_parse(line, &c), 0);
	assert_int_equal(c.time, -5);
	/* too small a buffer */
	assert_int_equal(sealfmt_checkpoint_text(line, 40, "x", 1, root, root, 1),
	    -ENOSPC);
	assert_int_equal(sealfmt_checkpoint_finish(line, 100, 10, (uint8_t *)sk),
	    -ENOSPC);
}

static void
test_checkpoint_strict(void **state)
{
	uint8_t pk[32], sk[64];
	char good[SEALFMT_CHECKPOINT_MAX], bad[SEALFMT_CHECKPOINT_MAX + 64];
	struct sealfmt_checkpoint c;
	const char *sig, *sp;
	char *p;

	(void)state;
	crypto_sign_keypair(pk, sk);
	make_line(good, sizeof(good), "mihon", 50, 1795000000, sk);
	assert_int_equal(sealfmt_checkpoint_parse(good, &c), 0);
	sig = strrchr(good, ' ') + 1;
#define REFUSED(...) do { \
		snprintf(bad, sizeof(bad), __VA_ARGS__); \
		assert_int_equal(sealfmt_checkpoint_parse(bad, &c), \
		    SEALFMT_ECHECKPOINT); \
	} while (0)
	REFUSED("%s ", good);			/* a trailing space */
	REFUSED("%sx", good);			/* a trailing byte */
	REFUSED("%s 1", good);			/* a ninth field */
	REFUSED("%s\n", good);			/* the newline is the reader's */
	REFUSED(" %s", good);			/* a leading space */
	REFUSED("%s", "");
	REFUSED("%.*s", (int)(sig - good - 1), good);	/* no signature */
	REFUSED("%.*s%.127s", (int)(sig - good), good, sig);	/* short sig */
	REFUSED("oshirase-checkpoint 2%s", good + 21);	/* another version */
	REFUSED("oshirase-checkpoint 01%s", good + 21);
	REFUSED("oshirase-checkpoint  1%s", good + 21);	/* two spaces */
	REFUSED("oshirase-checkpoinx 1%s", good + 21);
	REFUSED("oshirase-checkpoint 1 %s 50%s", "abcdefghijabcdefghijabcdefghijabc",
	    strstr(good, " 50 ") + 3);		/* a 33-byte origin */
	REFUSED("oshirase-checkpoint 1 mihon -50%s", strstr(good, " 50 ") + 3);
	REFUSED("oshirase-checkpoint 1 mihon +50%s", strstr(good, " 50 ") + 3);
	REFUSED("oshirase-checkpoint 1 mihon 18446744073709551616%s",
	    strstr(good, " 50 ") + 3);		/* 2^64 */
	/* a root of 63 digits, and one with a letter that is not hex */
	sp = strstr(good, " 50 ") + 4;
	REFUSED("oshirase-checkpoint 1 mihon 50 %s", sp + 1);
	snprintf(bad, sizeof(bad), "%s", good);
	p = bad + (sp - good);
	*p = 'g';
	assert_int_equal(sealfmt_checkpoint_parse(bad, &c), SEALFMT_ECHECKPOINT);
	/* time: no sign alone, no sign inside, nothing above INT64_MAX */
	p = strstr(good, " 1795000000 ");
	REFUSED("%.*s - %s", (int)(p - good), good, sig);
	REFUSED("%.*s 17-5 %s", (int)(p - good), good, sig);
	REFUSED("%.*s 9223372036854775808 %s", (int)(p - good), good, sig);
#undef REFUSED
	/* the same origin of 32 bytes a reader accepts (SEALFMT_ORIGIN_CAP) */
	snprintf(bad, sizeof(bad), "oshirase-checkpoint 1 %s 50%s",
	    "abcdefghijabcdefghijabcdefghijab", strstr(good, " 50 ") + 3);
	assert_int_equal(sealfmt_checkpoint_parse(bad, &c), 0);
	assert_int_equal(strlen(c.origin), 32);
}

static void
test_header(void **state)
{
	uint8_t hdr[SEALFMT_HEADER];
	char origin[SEALFMT_ORIGIN_CAP];

	(void)state;
	assert_int_equal(sealfmt_origin_check("mihon-test"), 0);
	assert_int_equal(sealfmt_origin_check(""), SEALFMT_EORIGIN);
	assert_int_equal(sealfmt_origin_check("a b"), SEALFMT_EORIGIN);
	assert_int_equal(sealfmt_origin_check("a\nb"), SEALFMT_EORIGIN);
	assert_int_equal(sealfmt_origin_check("abcdefghijabcdefghijabcdefghija"), 0);
	assert_int_equal(sealfmt_origin_check("abcdefghijabcdefghijabcdefghijab"),
	    SEALFMT_EORIGIN);
	sealfmt_header_encode(hdr, "mihon-test");
	assert_memory_equal(hdr, "OSLOG\0\0\1", 8);
	assert_int_equal(util_le_get(hdr + 8, 4), SEALFMT_RECORD);
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr), origin), 0);
	assert_string_equal(origin, "mihon-test");
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr) - 1, origin),
	    SEALFMT_EHEADER);
	hdr[7] = 2;
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr), origin),
	    SEALFMT_EHEADER);
	hdr[7] = 1;
	hdr[9] ^= 1;
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr), origin),
	    SEALFMT_EHEADER);
	assert_int_equal(sealfmt_offset(0), SEALFMT_HEADER);
	assert_int_equal(sealfmt_offset(7), 64 + 7 * 256);
}

/* No byte of the header goes unchecked: each one changed (in each of its
 * bits) is refused, but for the origin's bytes and its NUL, whose change
 * makes another valid origin that decode gives back (and the signed
 * checkpoints then refuse). */
static void
test_header_every_byte(void **state)
{
	uint8_t hdr[SEALFMT_HEADER], bad[SEALFMT_HEADER];
	char origin[SEALFMT_ORIGIN_CAP];
	int rc;

	(void)state;
	sealfmt_header_encode(hdr, "mihon-test");
	for (int i = 0; i < SEALFMT_HEADER; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, hdr, sizeof(bad));
			bad[i] ^= (uint8_t)(1u << bit);
			rc = sealfmt_header_decode(bad, sizeof(bad), origin);
			if (rc == 0) {
				assert_in_range(i, 16, 16 + 10);
				assert_int_equal(sealfmt_origin_check(origin), 0);
				assert_string_not_equal(origin, "mihon-test");
			} else
				assert_int_equal(rc, SEALFMT_EHEADER);
		}
	/* a longest origin: its last padding byte must stay 0 */
	sealfmt_header_encode(hdr, "abcdefghijabcdefghijabcdefghija");
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr), origin), 0);
	hdr[47] = 'b';
	assert_int_equal(sealfmt_header_decode(hdr, sizeof(hdr), origin),
	    SEALFMT_EHEADER);
}

static void
test_pubkey_file(void **state)
{
	char dir[] = "/tmp/oshirase-sealfmt.XXXXXX", path[64];
	char text[SEALFMT_PUBKEY_TEXT];
	uint8_t pk[32], back[32];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pubkey", dir);
	randombytes_buf(pk, sizeof(pk));
	sealfmt_pubkey_text(pk, text);
	assert_int_equal(strlen(text), 65);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(sealfmt_pubkey_read(path, back), 0);
	assert_memory_equal(back, pk, 32);
	/* without the newline: still read */
	assert_int_equal(truncate(path, 64), 0);
	assert_int_equal(sealfmt_pubkey_read(path, back), 0);
	assert_memory_equal(back, pk, 32);
	/* one digit short, one byte too many, not hex */
	assert_int_equal(truncate(path, 63), 0);
	assert_int_equal(sealfmt_pubkey_read(path, back), SEALFMT_EKEYFILE);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", text);
	fclose(f);
	assert_int_equal(sealfmt_pubkey_read(path, back), SEALFMT_EKEYFILE);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%.63sz\n", text);
	fclose(f);
	assert_int_equal(sealfmt_pubkey_read(path, back), SEALFMT_EKEYFILE);
	unlink(path);
	assert_int_equal(sealfmt_pubkey_read(path, back), -ENOENT);
	rmdir(dir);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sealfmt_type_name(SEALFMT_ALARM), "alarm");
	assert_string_equal(sealfmt_type_name(0), "?");
	assert_string_equal(sealfmt_type_name(SEALFMT_CONSENT), "consent");
	assert_string_equal(sealfmt_consent_name(SEALFMT_CONSENT_ACTIVE),
	    "active");
	assert_string_equal(sealfmt_consent_name(SEALFMT_CONSENT_WITHDRAWN),
	    "withdrawn");
	assert_string_equal(sealfmt_consent_name(SEALFMT_CONSENT_REMOVED),
	    "removed");
	assert_string_equal(sealfmt_consent_name(0), "?");
	assert_string_equal(sealfmt_source_name(SEALFMT_SRC_IMPORT), "import");
	assert_string_equal(sealfmt_source_name(SEALFMT_SRC_LINE), "line");
	assert_string_equal(sealfmt_source_name(SEALFMT_SRC_WEB), "web");
	assert_string_equal(sealfmt_source_name(SEALFMT_SRC_UNSUBSCRIBE),
	    "unsubscribe");
	assert_string_equal(sealfmt_source_name(5), "?");
	assert_string_equal(sealfmt_outcome_name(SEALFMT_CANCELLED), "cancelled");
	assert_string_equal(sealfmt_channel_name(SEALFMT_LINE), "line");
	assert_string_equal(sealfmt_channel_name(3), "?");
	assert_string_equal(sealfmt_alarm_name(SEALFMT_ALARM_TORN_RECORD),
	    "a torn last record was cut");
	assert_string_equal(sealfmt_strerror(SEALFMT_ETAG),
	    "the seal does not verify");
	/* merkle.h's codes and errno values are named too */
	assert_string_equal(sealfmt_strerror(MERKLE_EPROOF),
	    merkle_strerror(MERKLE_EPROOF));
	assert_string_equal(sealfmt_strerror(-ENOENT), strerror(ENOENT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_consent_roundtrip),
		cmocka_unit_test(test_seal_from_definition),
		cmocka_unit_test(test_check_follows_seal),
		cmocka_unit_test(test_digest_from_definition),
		cmocka_unit_test(test_checkpoint_roundtrip),
		cmocka_unit_test(test_checkpoint_strict),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_header_every_byte),
		cmocka_unit_test(test_pubkey_file),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
