/* test_token.c - sealed link tokens and the keys derived from
 * contacts.sec (token.h)
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "token.h"
#include "job.h"

static uint8_t sk[32], key[TOKEN_KEY_LEN], other[TOKEN_KEY_LEN];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		sk[i] = (uint8_t)(i * 7 + 1);
	token_key_derive(key, sk, TOKEN_KEY_TOKENS);
	token_key_derive(other, sk, TOKEN_KEY_ADDR_TAG);
	return 0;
}

static void
manage_sample(struct token *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TOKEN_MANAGE;
	t->expires = 1798761600;	/* 2027-01-01 */
	for (int i = 0; i < 32; i++)
		t->pseudo[i] = (uint8_t)(0xa0 + i);
	t->channel = CHANNEL_EMAIL;
	token_addr_tag(other, "taro@example.jp", t->addr_tag);
}

static void
confirm_sample(struct token *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TOKEN_CONFIRM;
	t->expires = -5;	/* negative survives */
	memset(t->code_hash, 0x5c, sizeof(t->code_hash));
	t->language = LANG_EN;
	snprintf(t->address, sizeof(t->address), "hanako@example.jp");
}

static void
test_round_trip(void **state)
{
	struct token t, o;
	char text[TOKEN_TEXT_MAX];
	size_t n;

	(void)state;
	manage_sample(&t);
	n = token_make(key, &t, text, sizeof(text));
	assert_true(n > 0 && n == strlen(text));
	for (size_t i = 0; i < n; i++)	/* base64url, no padding */
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", text[i]));
	assert_int_equal(token_open(key, text, &o), 0);
	assert_memory_equal(&t, &o, sizeof(t));
	confirm_sample(&t);
	n = token_make(key, &t, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(token_open(key, text, &o), 0);
	assert_memory_equal(&t, &o, sizeof(t));
	/* two tokens of the same content differ (a fresh nonce) */
	{
		char again[TOKEN_TEXT_MAX];

		assert_true(token_make(key, &t, again, sizeof(again)) == n);
		assert_true(strcmp(text, again) != 0);
	}
}

/* Any byte of the token changed, in the text: refused. */
static void
test_tamper(void **state)
{
	struct token t, o;
	char text[TOKEN_TEXT_MAX];
	size_t n;

	(void)state;
	manage_sample(&t);
	n = token_make(key, &t, text, sizeof(text));
	for (size_t i = 0; i < n; i++) {
		char saved = text[i];

		text[i] = saved == 'A' ? 'B' : 'A';
		assert_int_equal(token_open(key, text, &o), -1);
		text[i] = saved;
	}
	assert_int_equal(token_open(key, text, &o), 0);
	/* shorter, longer */
	text[n - 1] = '\0';
	assert_int_equal(token_open(key, text, &o), -1);
}

static void
test_wrong_key(void **state)
{
	struct token t, o;
	char text[TOKEN_TEXT_MAX];

	(void)state;
	manage_sample(&t);
	assert_true(token_make(key, &t, text, sizeof(text)) > 0);
	assert_int_equal(token_open(other, text, &o), -1);
	/* the keys of one secret differ by purpose */
	assert_memory_not_equal(key, other, TOKEN_KEY_LEN);
}

/* What token_make refuses: an unknown kind, an address too long or
 * empty; what fits: the longest address. */
static void
test_fields(void **state)
{
	struct token t, o;
	char text[TOKEN_TEXT_MAX];

	(void)state;
	manage_sample(&t);
	t.kind = 3;
	assert_int_equal(token_make(key, &t, text, sizeof(text)), 0);
	t.kind = 0;
	assert_int_equal(token_make(key, &t, text, sizeof(text)), 0);
	confirm_sample(&t);
	t.address[0] = '\0';
	assert_int_equal(token_make(key, &t, text, sizeof(text)), 0);
	memset(t.address, 'a', TOKEN_ADDR_MAX);
	t.address[TOKEN_ADDR_MAX] = '\0';
	assert_true(token_make(key, &t, text, sizeof(text)) > 0);
	assert_true(strlen(text) < TOKEN_TEXT_MAX);
	assert_int_equal(token_open(key, text, &o), 0);
	assert_string_equal(o.address, t.address);
	/* no room for the text: 0 */
	assert_int_equal(token_make(key, &t, text, 16), 0);
}

/* Not base64url, or too long: refused before any decryption. */
static void
test_junk(void **state)
{
	static const char *const junk[] = { "", "A", "====", "abc+def/ghi",
		"not a token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"\xe3\x81\x82\xe3\x81\x84" };
	char big[TOKEN_TEXT_MAX + 8];
	struct token o;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(token_open(key, junk[i], &o), -1);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(token_open(key, big, &o), -1);
}

static void
test_tags(void **state)
{
	uint8_t a[TOKEN_TAG_LEN], b[TOKEN_TAG_LEN], c[32], d[32];

	(void)state;
	token_addr_tag(other, "taro@example.jp", a);
	token_addr_tag(other, "taro@example.jp", b);
	assert_memory_equal(a, b, sizeof(a));
	token_addr_tag(other, "tarO@example.jp", b);
	assert_memory_not_equal(a, b, sizeof(a));
	token_addr_tag(key, "taro@example.jp", b);	/* another key */
	assert_memory_not_equal(a, b, sizeof(a));
	token_line_index(key, "U0123456789abcdef0123456789abcdef", c);
	token_line_index(key, "U0123456789abcdef0123456789abcdee", d);
	assert_memory_not_equal(c, d, sizeof(c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_tags),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
