/* test_curve.c - CURVE key files (curve.c) and the ZAP handler's decisions
 * (zap.c)
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
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "zap.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_curve.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
path(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void
put(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path(name), mode), 0);
}

/* ZeroMQ RFC 32's test vector, both ways, and libzmq's own encoder on
 * random keys. */
static void
test_z85(void **state)
{
	static const uint8_t hello[8] = { 0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59,
		0xf7, 0x5b };
	uint8_t key[32], back[32];
	char out[41], theirs[41];

	(void)state;
	curve_z85_encode(hello, 8, out);
	assert_string_equal(out, "HelloWorld");
	assert_int_equal(curve_z85_decode("HelloWorld", 10, back), 0);
	assert_memory_equal(back, hello, 8);
	for (int i = 0; i < 100; i++) {
		randombytes_buf(key, sizeof(key));
		curve_z85_encode(key, 32, out);
		assert_non_null(zmq_z85_encode(theirs, key, 32));
		assert_string_equal(out, theirs);
		assert_int_equal(curve_z85_decode(out, 40, back), 0);
		assert_memory_equal(back, key, 32);
	}
	assert_int_equal(curve_z85_decode("Hello~orld", 10, back), -1);
	assert_int_equal(curve_z85_decode("Hello orld", 10, back), -1);
	assert_int_equal(curve_z85_decode("HelloWorl", 9, back), -1);
	/* "%%%%%" is 82 * (85^4 + ... + 1), over 2^32 - 1 */
	assert_int_equal(curve_z85_decode("%%%%%", 5, back), -1);
}

/* keygen's files: a pair that reads back, whose public half is FILE.pub;
 * never overwritten. */
static void
test_keypair_write_read(void **state)
{
	struct curve_keypair *kp = NULL;
	uint8_t pub[32];
	struct stat st;
	char err[512];

	(void)state;
	assert_int_equal(curve_keypair_write(path("q.key"), err, sizeof(err)), 0);
	assert_int_equal(stat(path("q.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(path("q.key.pub"), &st), 0);
	assert_int_equal(st.st_size, 41);
	assert_int_equal(curve_keypair_read(path("q.key"), &kp, err, sizeof(err)), 0);
	assert_int_equal(curve_key_read(path("q.key.pub"), pub, err, sizeof(err)), 0);
	assert_memory_equal(kp->pub, pub, 32);
	curve_keypair_free(kp);
	/* it never overwrites either file */
	assert_int_equal(curve_keypair_write(path("q.key"), err, sizeof(err)),
	    -EEXIST);
	assert_int_equal(unlink(path("q.key")), 0);
	assert_int_equal(curve_keypair_write(path("q.key"), err, sizeof(err)),
	    -EEXIST);
	assert_int_equal(access(path("q.key"), F_OK), -1);
}

/* What a key pair file may not be: readable by others, a key missing or
 * twice, a public key that is not the secret key's, a bad line. */
static void
test_keypair_refusals(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "public rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n", "no secret key" },
		{ "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n", "no public key" },
		{ "public rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		  "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n"
		  "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n", ":3: a second key" },
		{ "public rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		  "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6x\n", ":2: not a key" },
		{ "# a comment\nkey rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n",
		  ":2: not 'public KEY'" },
		/* libzmq's test pair with the public key of another */
		{ "public Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\n"
		  "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n",
		  "is not its secret key's" },
	};
	struct curve_keypair *kp = (void *)1;
	char err[512];

	(void)state;
	/* the server pair of libzmq's zmq_curve(7) example reads */
	put("good", "# a comment\n\npublic rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 \r\n"
	    "secret JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n", 0600);
	assert_int_equal(curve_keypair_read(path("good"), &kp, err, sizeof(err)), 0);
	curve_keypair_free(kp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("bad", bad[i].text, 0600);
		assert_int_equal(curve_keypair_read(path("bad"), &kp, err,
		    sizeof(err)), -1);
		assert_null(kp);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].why);
		assert_null(strstr(err, "JTKVSB"));	/* never the secret */
	}
	assert_int_equal(chmod(path("good"), 0640), 0);
	assert_int_equal(curve_keypair_read(path("good"), &kp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(curve_keypair_read(path("none"), &kp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* The allow-list: comments, blank lines, a comment after a key, CRLF;
 * a bad line named by its number; server_key holds exactly one. */
static void
test_key_list(void **state)
{
	struct curve_keys keys;
	uint8_t a[32], b[32], c[32];
	char err[512];

	(void)state;
	assert_int_equal(curve_z85_decode("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
	    40, a), 0);
	assert_int_equal(curve_z85_decode("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
	    40, b), 0);
	memset(c, 7, sizeof(c));
	put("clients", "# senders allowed\n\n"
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  # host a\r\n"
	    "   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\n", 0644);
	assert_int_equal(curve_keys_read(path("clients"), &keys, err, sizeof(err)), 0);
	assert_int_equal(keys.n, 2);
	assert_true(curve_keys_has(&keys, a));
	assert_true(curve_keys_has(&keys, b));
	assert_false(curve_keys_has(&keys, c));
	curve_keys_fini(&keys);
	assert_int_equal(curve_key_read(path("clients"), a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds 2 keys, not one"));

	put("bad", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
	    "# fine\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf\n", 0644);
	assert_int_equal(curve_keys_read(path("bad"), &keys, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad:3: not a public key"));
	curve_keys_fini(&keys);
	put("bad", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 junk\n", 0644);
	assert_int_equal(curve_keys_read(path("bad"), &keys, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad:1: not a public key"));
	curve_keys_fini(&keys);
	put("empty", "# nobody yet\n", 0644);
	assert_int_equal(curve_keys_read(path("empty"), &keys, err, sizeof(err)), 0);
	assert_int_equal(keys.n, 0);
	assert_false(curve_keys_has(&keys, a));
	curve_keys_fini(&keys);
	assert_int_equal(curve_key_read(path("empty"), a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds 0 keys"));
}

/* zap_decide: RFC 27 requests let in only when CURVE, our domain, and an
 * allowed key. */
static void
test_zap_decide(void **state)
{
	uint8_t good[32], other[32], key[32];
	struct curve_keys allow = { 1, &good };
	struct zap_request rq = { 7, {
		(const uint8_t *)"1.0", (const uint8_t *)"1",
		(const uint8_t *)ZAP_DOMAIN, (const uint8_t *)"127.0.0.1",
		(const uint8_t *)"", (const uint8_t *)"CURVE", good },
		{ 3, 1, strlen(ZAP_DOMAIN), 9, 0, 5, 32 } };
	int has;

	(void)state;
	randombytes_buf(good, sizeof(good));
	randombytes_buf(other, sizeof(other));
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 200);
	assert_true(has);
	assert_memory_equal(key, good, 32);
	rq.frame[6] = other;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 400);
	assert_true(has);
	assert_memory_equal(key, other, 32);
	rq.frame[6] = good;
	rq.frame[2] = (const uint8_t *)"elsewhere";
	rq.len[2] = 9;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 400);
	rq.frame[2] = (const uint8_t *)ZAP_DOMAIN;
	rq.len[2] = strlen(ZAP_DOMAIN);
	rq.frame[5] = (const uint8_t *)"NULL";
	rq.len[5] = 4;
	rq.n = 6;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 400);
	assert_false(has);
	rq.frame[5] = (const uint8_t *)"CURVE";
	rq.len[5] = 5;
	rq.n = 7;
	rq.len[6] = 31;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 400);
	assert_false(has);
	rq.len[6] = 32;
	rq.frame[0] = (const uint8_t *)"2.0";
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 500);
	rq.frame[0] = (const uint8_t *)"1.0";
	rq.n = 3;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 500);
	allow.n = 0;
	rq.n = 7;
	assert_int_equal(zap_decide(&allow, &rq, key, &has), 400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_z85, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keypair_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keypair_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zap_decide, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
