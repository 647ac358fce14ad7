/* test_action.c - residents' action frames (action.h) and registration
 * codes (codes.h)
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

#include "action.h"
#include "codes.h"

static uint8_t frame[4096];

static void
sample(struct action *a)
{
	memset(a, 0, sizeof(*a));
	a->request = 0x0102030405060708ULL;
	a->kind = ACT_LINE_CODE;
	a->time = 1767225600123LL;
	a->consent = 5;
	a->mask = 7;
	a->language = 1;
	a->flags = ACT_FLAG_LIMITED;
	snprintf(a->event, sizeof(a->event), "01H8XGJWBWBAQ4ZV3XZFM7W0JA");
	snprintf(a->user, sizeof(a->user), "U4af4980629aaaaaaaaaaaaaaaaaaaaaa");
	snprintf(a->reply, sizeof(a->reply), "b60d432864f44d079f6d8efe86cf404b");
	snprintf(a->code, sizeof(a->code), "7K3M-Q9XD-2HBW");
	snprintf(a->client, sizeof(a->client), "00ff");
}

static void
test_action_round_trip(void **state)
{
	struct action a, b;
	size_t n;

	(void)state;
	sample(&a);
	n = action_encode(&a, frame, sizeof(frame));
	assert_true(n > 0 && n <= ACT_FRAME_MAX);
	assert_int_equal(action_decode(frame, n, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* the longest fields still fit in ACT_FRAME_MAX */
	memset(a.event, 'e', sizeof(a.event) - 1);
	memset(a.user, 'u', sizeof(a.user) - 1);
	memset(a.reply, 'r', sizeof(a.reply) - 1);
	memset(a.code, 'c', sizeof(a.code) - 1);
	memset(a.token, 't', sizeof(a.token) - 1);
	memset(a.address, 'a', sizeof(a.address) - 1);
	memset(a.client, 'k', sizeof(a.client) - 1);
	n = action_encode(&a, frame, sizeof(frame));
	assert_true(n > 0 && n <= ACT_FRAME_MAX);
	assert_int_equal(action_decode(frame, n, &b), 0);
	assert_string_equal(b.token, a.token);
	assert_string_equal(b.address, a.address);
}

static void
test_action_refused(void **state)
{
	struct action a, b;
	size_t n;

	(void)state;
	sample(&a);
	n = action_encode(&a, frame, sizeof(frame));
	/* every truncation and an extra byte */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(action_decode(frame, i, &b), -1);
	frame[n] = 0;
	assert_int_equal(action_decode(frame, n + 1, &b), -1);
	/* a bad magic, an unknown kind */
	frame[3] = '2';
	assert_int_equal(action_decode(frame, n, &b), -1);
	frame[3] = '1';
	frame[12] = 0;
	assert_int_equal(action_decode(frame, n, &b), -1);
	frame[12] = ACT_KIND_MAX + 1;
	assert_int_equal(action_decode(frame, n, &b), -1);
	/* the encoder refuses an unknown kind and a buffer too small */
	a.kind = 0;
	assert_int_equal(action_encode(&a, frame, sizeof(frame)), 0);
	a.kind = ACT_LINE_FOLLOW;
	assert_int_equal(action_encode(&a, frame, 20), 0);
	/* a NUL inside a string */
	n = action_encode(&a, frame, sizeof(frame));
	assert_true(n > 0);
	{
		/* event starts after magic 4, request 8, kind 1, time 8,
		 * consent, mask, language, flags, and its length 2 */
		size_t at = 4 + 8 + 1 + 8 + 4 + 2;

		frame[at + 3] = '\0';
		assert_int_equal(action_decode(frame, n, &b), -1);
	}
}

static void
test_answer(void **state)
{
	struct action_answer a, b;
	size_t n;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.request = 42;
	a.status = ACT_USED;
	a.contact = ACT_CONTACT_ACTIVE;
	a.consent = 9;
	a.language = 1;
	n = action_answer_encode(&a, frame, sizeof(frame));
	assert_int_equal(n, ACT_ANSWER_LEN);
	assert_int_equal(action_answer_decode(frame, n, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(action_answer_decode(frame, n - 1, &b), -1);
	frame[12] = ACT_STATUS_MAX + 1;
	assert_int_equal(action_answer_decode(frame, n, &b), -1);
	assert_string_equal(action_status_name(ACT_USED), "used");
	assert_string_equal(action_kind_name(ACT_LINE_FOLLOW), "follow");
	assert_string_equal(action_kind_name(0), "?");
	assert_string_equal(action_status_name(99), "?");
}

static void
test_code_new_and_read(void **state)
{
	char norm[CODE_LEN + 1], text[CODE_TEXT + 1], back[CODE_LEN + 1];
	char seen[64][CODE_LEN + 1];

	(void)state;
	for (int i = 0; i < 64; i++) {
		code_new(norm, text);
		assert_int_equal(strlen(norm), CODE_LEN);
		assert_int_equal(strlen(text), CODE_TEXT);
		assert_true(text[4] == '-' && text[9] == '-');
		assert_null(strpbrk(norm, "ILOU"));
		assert_int_equal(code_normalize(text, back), 0);
		assert_string_equal(back, norm);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[j], norm);
		strcpy(seen[i], norm);
	}
	/* lenient reading: case, spaces, I/L as 1, O as 0 */
	assert_int_equal(code_normalize("7k3m q9xd-2hbw", back), 0);
	assert_string_equal(back, "7K3MQ9XD2HBW");
	assert_int_equal(code_normalize("oIlA-AAAA-AAAA", back), 0);
	assert_string_equal(back, "011AAAAAAAAA");
	/* refused: U, too short, too long, other bytes */
	assert_int_equal(code_normalize("UAAA-AAAA-AAAA", back), -1);
	assert_int_equal(code_normalize("AAAA-AAAA-AAA", back), -1);
	assert_int_equal(code_normalize("AAAA-AAAA-AAAAA", back), -1);
	assert_int_equal(code_normalize("AAAA-AAAA-AAA!", back), -1);
	assert_int_equal(code_normalize("", back), -1);
	assert_int_equal(code_normalize("設定", back), -1);
}

static void
test_code_hash_and_record(void **state)
{
	uint8_t k1[32], k2[32], h1[32], h2[32], h3[32], buf[CODE_RECORD_LEN];
	struct code_record c, d;

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	code_hash(k1, "7K3MQ9XD2HBW", h1);
	code_hash(k2, "7K3MQ9XD2HBW", h2);
	code_hash(k1, "7K3MQ9XD2HBX", h3);
	assert_memory_not_equal(h1, h2, 32);
	assert_memory_not_equal(h1, h3, 32);
	memset(&c, 0, sizeof(c));
	c.state = CODE_USED;
	memset(c.resident, 0xab, sizeof(c.resident));
	c.issued = 20000;
	c.expires = 20090;
	c.used = 1767225600;
	code_record_encode(&c, buf);
	assert_int_equal(code_record_decode(buf, sizeof(buf), &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(code_record_decode(buf, sizeof(buf) - 1, &d), -1);
	buf[1] = 2;
	assert_int_equal(code_record_decode(buf, sizeof(buf), &d), -1);
	buf[1] = 0;
	buf[0] = 2;
	assert_int_equal(code_record_decode(buf, sizeof(buf), &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_round_trip),
		cmocka_unit_test(test_action_refused),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_code_new_and_read),
		cmocka_unit_test(test_code_hash_and_record),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
