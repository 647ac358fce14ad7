/* test_util.c - ordering of store keys, hex, UTF-8 validation
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct rec {
	uint32_t line;
	uint8_t key[40];
};

static const struct rec *cmp_base;

static int
cmp_ref(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = memcmp(cmp_base[x].key, cmp_base[y].key, 40);

	return c ? c : (x > y) - (x < y);
}

/* util_order_keys against qsort on (key, position), with keys that share
 * long prefixes, whole duplicates, and differ only in their last byte. */
static void
test_order_keys_matches_reference(void **state)
{
	enum { N = 20000 };
	struct rec *r = malloc(N * sizeof(*r));
	uint32_t *ref = malloc(N * sizeof(*ref)), *got;
	uint64_t x = 88172645463325252ULL;

	(void)state;
	for (int i = 0; i < N; i++) {
		r[i].line = (uint32_t)i;
		for (int k = 0; k < 40; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			r[i].key[k] = (uint8_t)x;
		}
		if (i % 5 == 1)		/* same first 8 bytes as a neighbour */
			memcpy(r[i].key, r[i - 1].key, 8);
		if (i >= 1000 && i < 1100)	/* a run of 100: one large household */
			memcpy(r[i].key, r[999].key, 20);
		if (i % 7 == 2)		/* a whole duplicate */
			memcpy(r[i].key, r[i - 2].key, 40);
		if (i % 11 == 3) {	/* differs in the last byte only */
			memcpy(r[i].key, r[i - 3].key, 40);
			r[i].key[39] ^= 1;
		}
		ref[i] = (uint32_t)i;
	}
	cmp_base = r;
	qsort(ref, N, sizeof(*ref), cmp_ref);
	got = util_order_keys(r, sizeof(*r), N, offsetof(struct rec, key), 40);
	assert_memory_equal(got, ref, N * sizeof(*ref));
	free(got);
	got = util_order_keys(r, sizeof(*r), 0, offsetof(struct rec, key), 40);
	free(got);
	free(ref);
	free(r);
}

static void
test_hex_and_utf8(void **state)
{
	uint8_t b[4] = { 0x00, 0xab, 0x7f, 0xff }, back[4];
	char h[9];

	(void)state;
	hex_encode(b, 4, h);
	assert_string_equal(h, "00ab7fff");
	assert_int_equal(hex_decode("00AB7fff", 8, back, 4), 0);
	assert_memory_equal(back, b, 4);
	assert_int_equal(hex_decode("00ab7ff", 7, back, 4), -1);
	assert_int_equal(hex_decode("00ab7fgf", 8, back, 4), -1);
	assert_true(utf8_valid((const uint8_t *)"abc 中央区 𠮷", strlen("abc 中央区 𠮷")));
	assert_false(utf8_valid((const uint8_t *)"\xc0\xaf", 2));		/* overlong */
	assert_false(utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(utf8_valid((const uint8_t *)"\xe4\xb8", 2));		/* cut short */
	assert_false(utf8_valid((const uint8_t *)"\x80", 1));
	assert_true(utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
}

static void
test_uuid_text_and_parse(void **state)
{
	uint8_t u[16], back[16];
	char text[UTIL_UUID_TEXT];

	(void)state;
	util_uuid4(u);
	util_uuid_text(u, text);
	assert_int_equal(strlen(text), 36);
	assert_int_equal(util_uuid_parse(text, back), 0);
	assert_memory_equal(u, back, 16);
	assert_int_equal(util_uuid_parse("0123abcd-4567-4890-abcd-ef0123456789",
	    NULL), 0);
	/* uppercase, a missing dash, short, long, a stray character */
	assert_int_equal(util_uuid_parse("0123ABCD-4567-4890-abcd-ef0123456789",
	    NULL), -1);
	assert_int_equal(util_uuid_parse("0123abcd04567-4890-abcd-ef0123456789",
	    NULL), -1);
	assert_int_equal(util_uuid_parse("0123abcd-4567-4890-abcd-ef012345678",
	    NULL), -1);
	assert_int_equal(util_uuid_parse("0123abcd-4567-4890-abcd-ef01234567890",
	    NULL), -1);
	assert_int_equal(util_uuid_parse("0123abcd-4567-4890-abcd-ef012345678g",
	    NULL), -1);
	assert_int_equal(util_uuid_parse("", NULL), -1);
}

static void
test_utf16_units(void **state)
{
	(void)state;
	assert_int_equal(util_utf16_units("abc", 3), 3);
	/* お知らせ: four characters of three bytes, one unit each */
	assert_int_equal(util_utf16_units("\xe3\x81\x8a\xe7\x9f\xa5"
	    "\xe3\x82\x89\xe3\x81\x9b", 12), 4);
	/* U+1F600 (four bytes) is a surrogate pair; U+00E9 one unit */
	assert_int_equal(util_utf16_units("\xf0\x9f\x98\x80\xc3\xa9", 6), 3);
	assert_int_equal(util_utf16_units("", 0), 0);
}

static void
test_file_write_new(void **state)
{
	char dir[] = "/tmp/test_util.XXXXXX", path[64], *got;
	struct stat st;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(file_write_new(path, 0600, "abc\n", 4), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	got = file_read_all(path, &len);
	assert_non_null(got);
	assert_int_equal(len, 4);
	assert_memory_equal(got, "abc\n", 4);
	/* a buffer the file's size, not a megabyte per small file */
	assert_true(malloc_usable_size(got) < 4096);
	free(got);
	/* never over an existing file, which stays as it was */
	assert_int_equal(file_write_new(path, 0644, "x", 1), -EEXIST);
	got = file_read_all(path, &len);
	assert_non_null(got);
	assert_int_equal(len, 4);
	free(got);
	unlink(path);
	/* an empty file */
	assert_int_equal(file_write_new(path, 0644, NULL, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_keys_matches_reference),
		cmocka_unit_test(test_hex_and_utf8),
		cmocka_unit_test(test_uuid_text_and_parse),
		cmocka_unit_test(test_utf16_units),
		cmocka_unit_test(test_file_write_new),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
