/* test_replies.c - the queue's replies (daemon/queue/replies.c) against
 * what LINE takes and what the gateway reads back: every reply in both
 * languages fits LINE's limits and makes a job, and every quick-reply
 * button's data is one the gateway's postback grammar (webhook.h) turns
 * into the action the button promises
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "action.h"
#include "actions_int.h"
#include "job.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

static uint8_t frame[1 << 16];

/* The reply r as a job: it encodes (LINE's limits are the encoder's too)
 * and decodes to the same texts and items. */
static void
as_job(const struct reply *r)
{
	struct job j, back;
	size_t len;

	replies_job(r, &j);
	j.id = 1;
	j.attempt = 1;
	len = job_encode(&j, frame, sizeof(frame));
	assert_true(len > 0);
	assert_int_equal(job_decode(frame, len, &back), 0);
	assert_int_equal(back.ntexts, r->ntexts);
	assert_int_equal(back.nitems, r->nitems);
}

static void
test_every_line_reply(void **state)
{
	struct reply r;
	struct action a;

	(void)state;
	for (int what = REPLY_GREET; what <= REPLY_LIMITED; what++)
		for (int lang = LANG_JA; lang <= LANG_EN; lang++)
			for (unsigned consent = 0; consent < 16; consent++) {
				memset(&r, 0, sizeof(r));
				replies_line(&r, what, lang, consent, "rtoken");
				assert_int_equal(r.kind, JOB_REPLY);
				assert_int_equal(r.channel, CHANNEL_LINE);
				assert_string_equal(r.to, "rtoken");
				assert_true(r.ntexts >= 1 && r.ntexts <= REPLY_TEXTS);
				for (unsigned i = 0; i < r.ntexts; i++) {
					size_t n = strlen(r.text[i]);

					assert_true(n > 0 && n < REPLY_TEXT_MAX - 1);
					assert_true(utf8_valid((const uint8_t *)r.text[i], n));
					assert_true(util_utf16_units(r.text[i], n) <=
					    JOB_LINE_TEXT_UNITS);
				}
				assert_true(r.nitems <= JOB_MAX_ITEMS);
				for (unsigned i = 0; i < r.nitems; i++) {
					/* the gateway reads every button back */
					memset(&a, 0, sizeof(a));
					assert_int_equal(webhook_postback(r.item[i].data, &a), 0);
					assert_true(a.kind == ACT_LINE_CONSENT ||
					    a.kind == ACT_LINE_STOP ||
					    a.kind == ACT_LINE_SETTINGS);
					assert_true(util_utf16_units(r.item[i].label,
					    strlen(r.item[i].label)) <= 20);
				}
				as_job(&r);
			}
}

/* The buttons do what their step asks: after a code, every category set
 * (all, each, the pairs, none); then tax yes and no. */
static void
test_buttons(void **state)
{
	struct reply r;
	struct action a;
	unsigned seen = 0, tax = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	replies_line(&r, REPLY_LINKED, LANG_JA, 0, "t");
	for (unsigned i = 0; i < r.nitems; i++) {
		assert_int_equal(webhook_postback(r.item[i].data, &a), 0);
		assert_int_equal(a.kind, ACT_LINE_CONSENT);
		assert_int_equal(a.mask, CONSENT_HEALTH | CONSENT_CHILD | CONSENT_WELFARE);
		seen |= 1u << a.consent;
	}
	assert_int_equal(seen, 0xff);	/* the 8 sets of 3 categories */
	memset(&r, 0, sizeof(r));
	replies_line(&r, REPLY_ASK_TAX, LANG_EN, 7, "t");
	for (unsigned i = 0; i < r.nitems; i++) {
		assert_int_equal(webhook_postback(r.item[i].data, &a), 0);
		assert_int_equal(a.kind, ACT_LINE_CONSENT);
		assert_int_equal(a.mask, CONSENT_TAX);
		tax |= 1u << (a.consent ? 1 : 0);
	}
	assert_int_equal(tax, 3);
	/* the settings offer a way to stop */
	memset(&r, 0, sizeof(r));
	replies_line(&r, REPLY_SETTINGS, LANG_JA, 15, "t");
	seen = 0;
	for (unsigned i = 0; i < r.nitems; i++)
		if (webhook_postback(r.item[i].data, &a) == 0 &&
		    a.kind == ACT_LINE_STOP)
			seen = 1;
	assert_true(seen);
}

/* Japanese and English differ, and the settings say what is held. */
static void
test_languages_and_summary(void **state)
{
	struct reply ja, en, none;

	(void)state;
	memset(&ja, 0, sizeof(ja));
	memset(&en, 0, sizeof(en));
	memset(&none, 0, sizeof(none));
	replies_line(&ja, REPLY_SETTINGS, LANG_JA, 15, "t");
	replies_line(&en, REPLY_SETTINGS, LANG_EN, 15, "t");
	replies_line(&none, REPLY_SETTINGS, LANG_EN, 0, "t");
	assert_string_not_equal(ja.text[0], en.text[0]);
	assert_int_equal(en.language, LANG_EN);
	/* what 15 holds is not what 0 holds */
	{
		char a[REPLY_TEXTS * REPLY_TEXT_MAX] = "", b[sizeof(a)] = "";

		for (unsigned i = 0; i < en.ntexts; i++)
			strcat(a, en.text[i]);
		for (unsigned i = 0; i < none.ntexts; i++)
			strcat(b, none.text[i]);
		assert_string_not_equal(a, b);
	}
}

static void
test_confirm_mail(void **state)
{
	static const char link[] = "https://city.example.jp/oshirase/confirm/abc_DEF-1";
	struct reply r;
	int found = 0;

	(void)state;
	for (int lang = LANG_JA; lang <= LANG_EN; lang++) {
		memset(&r, 0, sizeof(r));
		replies_confirm_mail(&r, lang, "taro@example.jp", link, 48);
		assert_int_equal(r.kind, JOB_PUSH);
		assert_int_equal(r.channel, CHANNEL_EMAIL);
		assert_string_equal(r.to, "taro@example.jp");
		assert_true(strlen(r.subject) > 0);
		assert_int_equal(r.nitems, 0);
		for (unsigned i = 0; i < r.ntexts; i++)
			if (strstr(r.text[i], link) != NULL)
				found++;
		as_job(&r);
	}
	assert_int_equal(found, 2);	/* the link, in each language's mail */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_line_reply),
		cmocka_unit_test(test_buttons),
		cmocka_unit_test(test_languages_and_summary),
		cmocka_unit_test(test_confirm_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
