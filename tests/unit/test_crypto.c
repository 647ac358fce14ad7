/* test_crypto.c - pseudonyms (the README's test vector) and contact boxes
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

#include "addrbox.h"
#include "errcodes.h"
#include "pseudo.h"
#include "util.h"

static uint8_t seq_key[32];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		seq_key[i] = (uint8_t)i;
	return 0;
}

/* Values from Python's hashlib.blake2b(id, key=bytes(range(32)),
 * digest_size=32), an implementation independent of libsodium. */
static void
test_pseudonym_vector(void **state)
{
	static const struct { const char *id, *hex; } v[] = {
		{ "0000000001", "04e4405012c2fc2fe293d7e0898f54bff52928395a516c7fb608e6da840adaf0" },
		{ "住民-01", "cb50710a7b3fee35918100a3d160c34b7f8d4e5fd710f121d864be532fd3eead" },
		{ "H000000001", "22537aa76456565d1fea274b0f320f08936dd5febc2b1b407661bebc6c6c0a20" },
	};
	uint8_t out[PSEUDO_LEN];
	char hex[PSEUDO_HEXLEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pseudo_compute(seq_key, v[i].id, strlen(v[i].id), out);
		hex_encode(out, PSEUDO_LEN, hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void
test_key_file_roundtrip(void **state)
{
	char dir[] = "/tmp/oshirase-crypto.XXXXXX", path[64];
	uint8_t *k;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(secret_write(path, seq_key, 32), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(secret_write(path, seq_key, 32), -EEXIST);
	assert_int_equal(secret_read(path, &k), 0);
	assert_non_null(k);
	assert_memory_equal(k, seq_key, 32);
	sodium_free(k);
	/* A truncated key file is bad data, not a shorter key. */
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(secret_read(path, &k), SECRET_EFORMAT);
	assert_null(k);
	unlink(path);
	assert_int_equal(secret_read(path, &k), -ENOENT);
	assert_null(k);
	/* a directory is not a key file */
	assert_int_equal(secret_read(dir, &k), SECRET_ENOTREG);
	assert_null(k);
	rmdir(dir);
}

/* A key file others may read, a FIFO, a symbolic link: refused, the
 * message naming the file (and the mode), never waiting on the FIFO. */
static void
test_key_file_refused(void **state)
{
	char dir[] = "/tmp/oshirase-crypto.XXXXXX", path[64], link[64], err[256];
	char buf[80];
	size_t len;
	uint8_t *k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	assert_int_equal(secret_write(path, seq_key, 32), 0);
	for (int m = 0; m < 2; m++) {
		assert_int_equal(chmod(path, m == 0 ? 0640 : 0604), 0);
		assert_int_equal(secret_load(path, &k, err, sizeof(err)), SECRET_EMODE);
		assert_null(k);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, m == 0 ? "(mode 0640)" : "(mode 0604)"));
		assert_non_null(strstr(err, "chmod 600"));
		assert_int_equal(secret_exit(SECRET_EMODE), EXIT_CONFIG);
		/* the small-file reader: the same check, the same words */
		assert_int_equal(file_read_small(path, 1, buf, sizeof(buf), &len,
		    err, sizeof(err)), -1);
		assert_non_null(strstr(err, "group or others"));
		/* a public file may be read by all */
		assert_int_equal(file_read_small(path, 0, buf, sizeof(buf), &len,
		    err, sizeof(err)), 0);
		assert_int_equal(len, 65);
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(secret_load(link, &k, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "a symbolic link"));
	assert_int_equal(secret_exit(-ELOOP), EXIT_CONFIG);
	unlink(link);
	unlink(path);
	/* a FIFO with no writer: open(2) would block without O_NONBLOCK */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(secret_load(path, &k, err, sizeof(err)), SECRET_ENOTREG);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(file_read_small(path, 1, buf, sizeof(buf), &len, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(secret_exit(SECRET_ENOTREG), EXIT_CONFIG);
	unlink(path);
	assert_int_equal(file_read_small(path, 1, buf, sizeof(buf), &len, err,
	    sizeof(err)), -ENOENT);
	assert_int_equal(secret_exit(-ENOENT), EXIT_NOINPUT);
	rmdir(dir);
}

static void
test_key_file_codes(void **state)
{
	const int codes[] = { SECRET_EFORMAT, SECRET_ENOMEM, SECRET_EMODE,
		SECRET_ENOTREG };

	(void)state;
	assert_module_codes(codes, 4, secret_strerror);
	/* the messages the programs printed before the codes */
	assert_string_equal(secret_strerror(SECRET_EFORMAT),
	    "a key file holds 64 hex digits and a newline");
	assert_string_equal(secret_strerror(SECRET_ENOMEM), "sodium_malloc failed");
	assert_string_equal(secret_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(secret_strerror(-EISDIR), strerror(EISDIR));
	assert_non_null(strstr(secret_strerror(1), "unknown"));
}

static void
test_addrbox_roundtrip(void **state)
{
	uint8_t pk[32], sk[32], e_pk[32], nonce[24], ct[64 + 16], res[32] = { 7 };
	const char *addr = "taro@mail.example.com";
	char out[64];
	struct addrbox *seal, *open_;

	(void)state;
	crypto_box_keypair(pk, sk);
	seal = addrbox_sealer_new(pk, e_pk);
	assert_non_null(seal);
	assert_int_equal(addrbox_seal(seal, 1, res, 2, addr, strlen(addr), nonce, ct), 0);
	/* Another sequence number gives another nonce. */
	{
		uint8_t nonce2[24], ct2[64 + 16];

		assert_int_equal(addrbox_seal(seal, 2, res, 2, addr, strlen(addr), nonce2, ct2), 0);
		assert_memory_not_equal(nonce, nonce2, 24);
		assert_memory_not_equal(ct, ct2, strlen(addr) + 16);
	}
	/* The ciphertext does not contain the address. */
	assert_null(memmem(ct, strlen(addr) + 16, "taro", 4));
	open_ = addrbox_opener_new(sk, pk, e_pk);
	assert_non_null(open_);
	assert_int_equal(addrbox_open(open_, res, 2, nonce, ct, strlen(addr) + 16, out), 0);
	assert_string_equal(out, addr);
	/* Moved to another resident or channel: does not authenticate. */
	res[0] = 8;
	assert_int_equal(addrbox_open(open_, res, 2, nonce, ct, strlen(addr) + 16, out), -1);
	res[0] = 7;
	assert_int_equal(addrbox_open(open_, res, 1, nonce, ct, strlen(addr) + 16, out), -1);
	ct[3] ^= 1;
	assert_int_equal(addrbox_open(open_, res, 2, nonce, ct, strlen(addr) + 16, out), -1);
	addrbox_free(open_);
	/* Another daemon key cannot open it. */
	{
		uint8_t pk2[32], sk2[32];

		ct[3] ^= 1;
		crypto_box_keypair(pk2, sk2);
		open_ = addrbox_opener_new(sk2, pk2, e_pk);
		assert_int_equal(addrbox_open(open_, res, 2, nonce, ct,
		    strlen(addr) + 16, out), -1);
		addrbox_free(open_);
	}
	addrbox_free(seal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudonym_vector),
		cmocka_unit_test(test_key_file_roundtrip),
		cmocka_unit_test(test_key_file_refused),
		cmocka_unit_test(test_key_file_codes),
		cmocka_unit_test(test_addrbox_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
