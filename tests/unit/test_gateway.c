/* test_gateway.c - the gateway's modules: the webhook's signature and
 * events (webhook.h), forms and pages (forms.h), the failed-code limits
 * (limits.h) and the action link (queue.h) against a ROUTER
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "action.h"
#include "../../daemon/lib/codes.h"	/* not tests/unit/codes.h */
#include "errcodes.h"
#include "forms.h"
#include "job.h"
#include "limits.h"
#include "queue.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

/* ---- the signature ----------------------------------------------------------- */

/* RFC 4231 test case 2: key "Jefe"; HMAC-SHA256 5bdcc146...64ec3843 */
static const char jefe_data[] = "what do ya want for nothing?";
static const char jefe_sig[] = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";

static void
test_signature_good(void **state)
{
	/* RFC 4231 test case 6: a key longer than SHA-256's block */
	static const char data6[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key6[131];

	(void)state;
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, jefe_sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), 0);
	memset(key6, 0xaa, sizeof(key6));
	assert_int_equal(webhook_verify(key6, sizeof(key6),
	    "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q=",
	    (const uint8_t *)data6, strlen(data6)), 0);
}

static void
test_signature_forged(void **state)
{
	char sig[sizeof(jefe_sig)];

	(void)state;
	/* one character changed, another key, and not Base64 of 32 bytes */
	memcpy(sig, jefe_sig, sizeof(sig));
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jeff", 4, jefe_sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
	/* the key with a newline is another key: the file's newline is not
	 * part of the secret */
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe\n", 5, jefe_sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4,
	    "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOE", (const uint8_t *)jefe_data,
	    strlen(jefe_data)), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4,
	    "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=x",
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, "",
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
}

static void
test_signature_missing(void **state)
{
	(void)state;
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, NULL,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
	/* no secret verifies nothing, not even a body signed with none */
	assert_int_equal(webhook_verify((const uint8_t *)"", 0, jefe_sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data)), -1);
}

static void
test_signature_other_body(void **state)
{
	(void)state;
	/* the signature of one body does not pass another, however close */
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, jefe_sig,
	    (const uint8_t *)"what do ya want for nothing!", 28), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, jefe_sig,
	    (const uint8_t *)jefe_data, strlen(jefe_data) - 1), -1);
	assert_int_equal(webhook_verify((const uint8_t *)"Jefe", 4, jefe_sig,
	    (const uint8_t *)"what do ya want for nothing? ", 29), -1);
}

/* ---- events ------------------------------------------------------------------ */

#define USER "U0123456789abcdef0123456789abcdef"
#define USER2 "Ufedcba9876543210fedcba9876543210"

/* An event of type with extra members (a JSON fragment ending in a comma
 * or empty), id ID, from USER. */
static char *
event(char *buf, size_t cap, const char *type, const char *extra,
    const char *id, const char *redelivery)
{
	snprintf(buf, cap, "{\"type\":\"%s\",\"mode\":\"active\",%s"
	    "\"timestamp\":1700000000123,\"source\":{\"type\":\"user\","
	    "\"userId\":\"" USER "\"},\"webhookEventId\":\"%s\","
	    "\"deliveryContext\":{\"isRedelivery\":%s}}", type, extra, id,
	    redelivery);
	return buf;
}

static int
parse(struct webhook_batch *b, const char *fmt, ...)
{
	char body[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return webhook_parse(body, strlen(body), b);
}

static void
test_events_each_type(void **state)
{
	struct webhook_batch b;
	char e1[512], e2[512], e3[512], e4[512];

	(void)state;
	event(e1, sizeof(e1), "follow", "\"replyToken\":\"rt1\","
	    "\"follow\":{\"isUnblocked\":false},", "01HF0000000000000000000001", "false");
	event(e2, sizeof(e2), "message", "\"replyToken\":\"rt2\",\"message\":"
	    "{\"type\":\"text\",\"id\":\"1\",\"text\":\"7K3M-Q9XD-2HBW\"},",
	    "01HF0000000000000000000002", "false");
	event(e3, sizeof(e3), "postback", "\"replyToken\":\"rt3\",\"postback\":"
	    "{\"data\":\"cat=5\"},", "01HF0000000000000000000003", "false");
	event(e4, sizeof(e4), "unfollow", "", "01HF0000000000000000000004", "false");
	assert_int_equal(parse(&b, "{\"destination\":\"U1\",\"events\":[%s,%s,%s,%s]}",
	    e1, e2, e3, e4), 0);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.events, 4);
	assert_int_equal(b.ignored, 0);
	assert_int_equal(b.act[0].kind, ACT_LINE_FOLLOW);
	assert_string_equal(b.act[0].reply, "rt1");
	assert_string_equal(b.act[0].user, USER);
	assert_string_equal(b.act[0].event, "01HF0000000000000000000001");
	assert_int_equal(b.act[0].time, 1700000000123LL);
	assert_int_equal(b.act[1].kind, ACT_LINE_CODE);
	assert_string_equal(b.act[1].code, "7K3MQ9XD2HBW");
	assert_string_equal(b.act[1].reply, "rt2");
	assert_int_equal(b.act[2].kind, ACT_LINE_CONSENT);
	assert_int_equal(b.act[2].consent, 5);
	assert_int_equal(b.act[2].mask, 7);
	assert_int_equal(b.act[3].kind, ACT_LINE_UNFOLLOW);
	assert_string_equal(b.act[3].reply, "");
	assert_string_equal(b.act[3].event, "01HF0000000000000000000004");
	/* what the frames carry comes out of them again */
	for (size_t i = 0; i < b.n; i++) {
		uint8_t frame[ACT_FRAME_MAX];
		struct action back;
		size_t len = action_encode(&b.act[i], frame, sizeof(frame));

		assert_true(len > 0);
		assert_int_equal(action_decode(frame, len, &back), 0);
		assert_string_equal(back.user, b.act[i].user);
	}
	webhook_batch_free(&b);
}

static void
test_events_redelivery(void **state)
{
	struct webhook_batch b, r;
	char e[512];

	(void)state;
	event(e, sizeof(e), "unfollow", "", "01HF00000000000000000000AA", "false");
	assert_int_equal(parse(&b, "{\"events\":[%s]}", e), 0);
	event(e, sizeof(e), "unfollow", "", "01HF00000000000000000000AA", "true");
	assert_int_equal(parse(&r, "{\"events\":[%s]}", e), 0);
	assert_int_equal(b.redelivered, 0);
	assert_int_equal(r.redelivered, 1);
	/* a redelivery is the same action: the queue's key is the event id */
	assert_int_equal(r.n, 1);
	assert_int_equal(r.act[0].kind, b.act[0].kind);
	assert_string_equal(r.act[0].event, b.act[0].event);
	assert_memory_equal(&r.act[0], &b.act[0], sizeof(b.act[0]));
	webhook_batch_free(&b);
	webhook_batch_free(&r);
}

static void
test_events_ignored(void **state)
{
	struct webhook_batch b;

	(void)state;
	/* a group's and a room's message, a sticker, a beacon, an unknown
	 * postback: read as LINE's shape, each ignored */
	assert_int_equal(parse(&b, "{\"events\":["
	    "{\"type\":\"message\",\"timestamp\":1,\"webhookEventId\":\"A\","
	    "\"source\":{\"type\":\"group\",\"groupId\":\"C1\",\"userId\":\"" USER "\"},"
	    "\"replyToken\":\"r\",\"message\":{\"type\":\"text\",\"text\":\"stop\"}},"
	    "{\"type\":\"message\",\"timestamp\":1,\"webhookEventId\":\"B\","
	    "\"source\":{\"type\":\"room\",\"roomId\":\"R1\"},"
	    "\"message\":{\"type\":\"text\",\"text\":\"stop\"}},"
	    "{\"type\":\"message\",\"timestamp\":1,\"webhookEventId\":\"C\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"},"
	    "\"message\":{\"type\":\"sticker\",\"packageId\":\"1\"}},"
	    "{\"type\":\"beacon\",\"timestamp\":1,\"webhookEventId\":\"D\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}},"
	    "{\"type\":\"postback\",\"timestamp\":1,\"webhookEventId\":\"E\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"},"
	    "\"postback\":{\"data\":\"cat=8\"}},"
	    "{\"type\":\"follow\",\"timestamp\":1,\"webhookEventId\":\"F\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER2 "\"}}]}"), 0);
	assert_int_equal(b.events, 6);
	assert_int_equal(b.ignored, 5);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.act[0].user, USER2);
	webhook_batch_free(&b);
	/* no events: LINE's connectivity check */
	assert_int_equal(parse(&b, "{\"destination\":\"U1\",\"events\":[]}"), 0);
	assert_int_equal(b.n, 0);
	webhook_batch_free(&b);
}

static void
test_events_bad(void **state)
{
	static const char *const notjson[] = { "", "{", "{\"events\":[}",
	    "events", "{\"events\":[]} x", "{\"events\":[],\"events\":[]}",
	    /* jansson refuses a NUL inside a string */
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":1,\"webhookEventId\":\"A\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\\u0000\"}}]}" };
	static const char *const shape[] = {
	    "[]", "null", "{}", "{\"events\":{}}" };
	/* events of ours not of LINE's shape: skipped, the others apply */
	static const char *const event_shape[] = {
	    "{\"events\":[1]}",
	    "{\"events\":[{}]}", "{\"events\":[{\"type\":7}]}",
	    /* an event read needs its source, user id, event id, time */
	    "{\"events\":[{\"type\":\"follow\"}]}",
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":1,\"webhookEventId\":\"A\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"U123\"}}]}",
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":\"1\",\"webhookEventId\":\"A\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}}]}",
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":1,"
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}}]}",
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":1,\"webhookEventId\":\"A B\","
	    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}}]}",
	    "{\"events\":[{\"type\":\"follow\",\"timestamp\":1,\"webhookEventId\":\"A\","
	    "\"replyToken\":5,\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}}]}",
	};
	struct webhook_batch b;
	char many[WEBHOOK_MAX_EVENTS * 4 + 64];
	size_t o;

	(void)state;
	for (size_t i = 0; i < sizeof(notjson) / sizeof(notjson[0]); i++) {
		assert_int_equal(webhook_parse(notjson[i], strlen(notjson[i]), &b),
		    WEBHOOK_EJSON);
		assert_null(b.act);
	}
	for (size_t i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		assert_int_equal(webhook_parse(shape[i], strlen(shape[i]), &b),
		    WEBHOOK_ESHAPE);
		assert_int_equal(b.n, 0);
	}
	for (size_t i = 0; i < sizeof(event_shape) / sizeof(event_shape[0]); i++) {
		assert_int_equal(webhook_parse(event_shape[i],
		    strlen(event_shape[i]), &b), 0);
		assert_int_equal(b.n, 0);
		assert_int_equal(b.malformed, 1);
		webhook_batch_free(&b);
	}
	/* a good event beside a bad one still applies; standby is ignored */
	{
		static const char two[] = "{\"events\":[{\"type\":\"follow\","
		    "\"timestamp\":1,\"webhookEventId\":\"A\",\"replyToken\":\"r\","
		    "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"}},"
		    "{\"type\":\"follow\",\"source\":{\"type\":\"user\","
		    "\"userId\":\"bad\"}},"
		    "{\"type\":\"unfollow\",\"mode\":\"standby\",\"timestamp\":1,"
		    "\"webhookEventId\":\"B\",\"source\":{\"type\":\"user\","
		    "\"userId\":\"" USER "\"}}]}";

		assert_int_equal(webhook_parse(two, strlen(two), &b), 0);
		assert_int_equal(b.n, 1);
		assert_int_equal(b.act[0].kind, ACT_LINE_FOLLOW);
		assert_int_equal(b.malformed, 1);
		assert_int_equal(b.ignored, 1);
		webhook_batch_free(&b);
	}
	o = (size_t)snprintf(many, sizeof(many), "{\"events\":[");
	for (int i = 0; i <= WEBHOOK_MAX_EVENTS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%s{}", i ? "," : "");
	snprintf(many + o, sizeof(many) - o, "]}");
	assert_int_equal(webhook_parse(many, strlen(many), &b), WEBHOOK_ETOOMANY);
	assert_string_equal(webhook_strerror(WEBHOOK_ESHAPE),
	    "the body is not a LINE webhook");
}

static void
test_error_codes(void **state)
{
	static const int wc[] = { WEBHOOK_EJSON, WEBHOOK_ESHAPE, WEBHOOK_ETOOMANY };
	static const int fc[] = { FORM_EESCAPE, FORM_ETOOLONG, FORM_ETOOMANY,
	    FORM_EBYTES };

	(void)state;
	assert_module_codes(wc, sizeof(wc) / sizeof(wc[0]), webhook_strerror);
	assert_module_codes(fc, sizeof(fc) / sizeof(fc[0]), form_strerror);
}

static void
test_postback_grammar(void **state)
{
	static const char *const ignored[] = { "", "cat=", "cat=8", "cat=-1",
	    "cat=77", "cat=7 ", "tax=2", "tax=", "tax=10", "lang=fr", "lang=JA",
	    "lang=ja&x", "STOP", "stop ", "Settings", "cat=7&tax=1", "x=1" };
	struct action a;

	(void)state;
	for (int d = 0; d <= 7; d++) {
		char s[16];

		snprintf(s, sizeof(s), "cat=%d", d);
		memset(&a, 0xff, sizeof(a));
		assert_int_equal(webhook_postback(s, &a), 0);
		assert_int_equal(a.kind, ACT_LINE_CONSENT);
		assert_int_equal(a.consent, d);
		assert_int_equal(a.mask, CONSENT_HEALTH | CONSENT_CHILD | CONSENT_WELFARE);
		assert_false(a.flags & ACT_FLAG_LANGUAGE);
	}
	assert_int_equal(webhook_postback("tax=1", &a), 0);
	assert_int_equal(a.kind, ACT_LINE_CONSENT);
	assert_int_equal(a.consent, CONSENT_TAX);
	assert_int_equal(a.mask, CONSENT_TAX);
	assert_int_equal(webhook_postback("tax=0", &a), 0);
	assert_int_equal(a.consent, 0);
	assert_int_equal(a.mask, CONSENT_TAX);
	memset(&a, 0, sizeof(a));
	assert_int_equal(webhook_postback("lang=en", &a), 0);
	assert_int_equal(a.kind, ACT_LINE_CONSENT);
	assert_true(a.flags & ACT_FLAG_LANGUAGE);
	assert_int_equal(a.language, LANG_EN);
	assert_int_equal(a.mask, 0);
	assert_int_equal(webhook_postback("lang=ja", &a), 0);
	assert_int_equal(a.language, LANG_JA);
	assert_int_equal(webhook_postback("stop", &a), 0);
	assert_int_equal(a.kind, ACT_LINE_STOP);
	assert_int_equal(webhook_postback("settings", &a), 0);
	assert_int_equal(a.kind, ACT_LINE_SETTINGS);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		assert_int_equal(webhook_postback(ignored[i], &a), -1);
}

static int
text_kind(const char *t, char *code)
{
	struct action a;

	memset(&a, 0, sizeof(a));
	webhook_text(t, strlen(t), &a);
	if (code != NULL)
		strcpy(code, a.code);
	return a.kind;
}

static void
test_text_commands(void **state)
{
	(void)state;
	assert_int_equal(text_kind("設定", NULL), ACT_LINE_SETTINGS);
	assert_int_equal(text_kind("  設定\n", NULL), ACT_LINE_SETTINGS);
	assert_int_equal(text_kind("\xe3\x80\x80設定\xe3\x80\x80", NULL),
	    ACT_LINE_SETTINGS);
	assert_int_equal(text_kind("settings", NULL), ACT_LINE_SETTINGS);
	assert_int_equal(text_kind("SeTTings", NULL), ACT_LINE_SETTINGS);
	assert_int_equal(text_kind("配信停止", NULL), ACT_LINE_STOP);
	assert_int_equal(text_kind(" STOP ", NULL), ACT_LINE_STOP);
	assert_int_equal(text_kind("stop", NULL), ACT_LINE_STOP);
	/* only the whole text is a command */
	assert_int_equal(text_kind("設定を変えたい", NULL), ACT_LINE_TEXT);
	assert_int_equal(text_kind("please stop", NULL), ACT_LINE_TEXT);
	assert_int_equal(text_kind("stops", NULL), ACT_LINE_TEXT);
	assert_int_equal(text_kind("", NULL), ACT_LINE_TEXT);
	assert_int_equal(text_kind("こんにちは", NULL), ACT_LINE_TEXT);
}

static void
test_text_codes(void **state)
{
	char code[ACT_CODE_MAX], norm[CODE_LEN + 1], text[CODE_TEXT + 1];

	(void)state;
	code_new(norm, text);
	assert_int_equal(text_kind(text, code), ACT_LINE_CODE);
	assert_string_equal(code, norm);
	/* lower case, no dashes, spaces, O for 0 and I/L for 1 */
	assert_int_equal(text_kind(" 7k3m q9xd 2hbw ", code), ACT_LINE_CODE);
	assert_string_equal(code, "7K3MQ9XD2HBW");
	assert_int_equal(text_kind("O1LI-0000-0000", code), ACT_LINE_CODE);
	assert_string_equal(code, "011100000000");
	/* typed on a Japanese keyboard: full-width, the long-vowel mark */
	assert_int_equal(text_kind("７Ｋ３Ｍ－Ｑ９ＸＤー２ＨＢＷ", code), ACT_LINE_CODE);
	assert_string_equal(code, "7K3MQ9XD2HBW");
	assert_int_equal(text_kind("ｓｔｏｐ", code), ACT_LINE_TEXT);
	/* not codes: 11 or 13 symbols, a U, a code inside a sentence */
	assert_int_equal(text_kind("7K3M-Q9XD-2HB", code), ACT_LINE_TEXT);
	assert_int_equal(text_kind("7K3M-Q9XD-2HBWX", code), ACT_LINE_TEXT);
	assert_int_equal(text_kind("7K3M-Q9XD-2HBU", code), ACT_LINE_TEXT);
	assert_int_equal(text_kind("コードは7K3M-Q9XD-2HBWです", code), ACT_LINE_TEXT);
	assert_string_equal(code, "");
}

/* ---- forms ------------------------------------------------------------------- */

static void
test_form_decoding(void **state)
{
	struct form f;
	const char *b = "code=7K3M%2dQ9XD+2HBW&email=taro%40example.jp&"
	    "name=%E5%B8%82%E6%B0%91&flag&&empty=&a%3Db=c%26d";

	(void)state;
	assert_int_equal(form_parse(b, strlen(b), &f), 0);
	assert_int_equal(f.n, 6);
	assert_string_equal(form_get(&f, "code"), "7K3M-Q9XD 2HBW");
	assert_string_equal(form_get(&f, "email"), "taro@example.jp");
	assert_string_equal(form_get(&f, "name"), "市民");
	assert_string_equal(form_get(&f, "flag"), "");
	assert_string_equal(form_get(&f, "empty"), "");
	assert_string_equal(form_get(&f, "a=b"), "c&d");
	assert_null(form_get(&f, "missing"));
	/* + is a space in names too, %2B a plus */
	assert_int_equal(form_parse("a+b=1%2B1", 9, &f), 0);
	assert_string_equal(form_get(&f, "a b"), "1+1");
	/* the length given counts, not a NUL */
	assert_int_equal(form_parse("x=12345", 4, &f), 0);
	assert_string_equal(form_get(&f, "x"), "12");
	assert_int_equal(form_parse("", 0, &f), 0);
	assert_int_equal(f.n, 0);
}

static void
test_form_repeated(void **state)
{
	struct form f;
	unsigned bits;
	const char *b = "action=save&consent=health&consent=welfare&consent=tax";

	(void)state;
	assert_int_equal(form_parse(b, strlen(b), &f), 0);
	assert_int_equal(f.n, 4);
	assert_int_equal(form_consent(&f, &bits), 0);
	assert_int_equal(bits, CONSENT_HEALTH | CONSENT_WELFARE | CONSENT_TAX);
	assert_int_equal(form_parse("consent=child&consent=child", 27, &f), 0);
	assert_int_equal(form_consent(&f, &bits), 0);
	assert_int_equal(bits, CONSENT_CHILD);
	assert_int_equal(form_parse("action=save", 11, &f), 0);
	assert_int_equal(form_consent(&f, &bits), 0);
	assert_int_equal(bits, 0);
	assert_int_equal(form_parse("consent=health&consent=all", 26, &f), 0);
	assert_int_equal(form_consent(&f, &bits), -1);
	/* the first of a repeated name */
	assert_int_equal(form_parse("a=1&a=2", 7, &f), 0);
	assert_string_equal(form_get(&f, "a"), "1");
}

static void
test_form_refused(void **state)
{
	static const char *const esc[] = { "a=%", "a=%4", "a=%zz", "a=%4g",
	    "%=1", "a=1%" };
	static const char *const bytes[] = { "a=%00", "a=%0a", "a=%0D%0A",
	    "a=%7f", "a=%ff", "a=%c3%28", "a=%e3%80", "a=\x01" };
	struct form f;
	char big[FORM_MAX_BYTES + 64], many[256];
	size_t o = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		assert_int_equal(form_parse(esc[i], strlen(esc[i]), &f), FORM_EESCAPE);
		assert_int_equal(f.n, 0);
	}
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++)
		assert_int_equal(form_parse(bytes[i], strlen(bytes[i]), &f),
		    FORM_EBYTES);
	memset(big, 'x', sizeof(big));
	big[0] = 'a', big[1] = '=';
	assert_int_equal(form_parse(big, sizeof(big), &f), FORM_ETOOLONG);
	assert_int_equal(form_parse(big, FORM_MAX_BYTES - 8, &f), 0);
	/* a name that fills the buffer to its end, then its empty value's
	 * NUL (fuzz_form found it writing past the buffer) */
	memset(big, 'x', FORM_MAX_BYTES - 1);
	assert_int_equal(form_parse(big, FORM_MAX_BYTES - 1, &f), FORM_ETOOLONG);
	assert_int_equal(f.n, 0);
	assert_int_equal(form_parse(big, FORM_MAX_BYTES - 2, &f), 0);
	assert_int_equal(f.n, 1);
	for (int i = 0; i <= FORM_MAX_FIELDS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "k%d=v&", i);
	assert_int_equal(form_parse(many, o, &f), FORM_ETOOMANY);
	assert_int_equal(f.n, 0);
}

static void
test_form_one_click(void **state)
{
	static const char mp[] = "--b\r\nContent-Disposition: form-data; "
	    "name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n";
	static const char mp_bad[] = "--b\r\nContent-Disposition: form-data; "
	    "name=\"List-Unsubscribe\"\r\n\r\nOne-Clicks\r\n--b--\r\n";

	(void)state;
	assert_true(form_one_click("List-Unsubscribe=One-Click", 26,
	    "application/x-www-form-urlencoded"));
	assert_true(form_one_click("List-Unsubscribe=One-Click", 26, NULL));
	assert_false(form_one_click("List-Unsubscribe=One-Clic", 25, NULL));
	assert_false(form_one_click("action=save&consent=health", 26, NULL));
	assert_true(form_one_click(mp, sizeof(mp) - 1,
	    "multipart/form-data; boundary=b"));
	assert_false(form_one_click(mp_bad, sizeof(mp_bad) - 1,
	    "multipart/form-data; boundary=b"));
}

static void
test_form_address(void **state)
{
	char long_addr[300];

	(void)state;
	assert_true(form_address_ok("taro@example.jp"));
	assert_true(form_address_ok("a.b+c@mail.city.example.jp"));
	assert_false(form_address_ok(""));
	assert_false(form_address_ok("taro"));
	assert_false(form_address_ok("@example.jp"));
	assert_false(form_address_ok("taro@localhost"));
	assert_false(form_address_ok("taro@@example.jp"));
	assert_false(form_address_ok("ta ro@example.jp"));
	assert_false(form_address_ok("taro@example.jp."));
	memset(long_addr, 'a', sizeof(long_addr));
	memcpy(long_addr + 250, "@x.jp", 6);
	assert_false(form_address_ok(long_addr));
}

/* 1 if s has an attribute on...= (an event handler) */
static int
event_attr(const char *s)
{
	for (const char *p = s; (p = strstr(p, " on")) != NULL; p++) {
		size_t n = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz");

		if (n > 0 && p[3 + n] == '=')
			return 1;
	}
	return 0;
}

/* Every page: Japanese and English, no script, no third-party URL, the
 * style the CSP names. */
static void
test_pages(void **state)
{
	char src[80], want[80];
	uint8_t h[32];
	char b64[64];

	(void)state;
	page_style_src(want, sizeof(want));
	for (int p = 0; p <= PAGE_MAX; p++) {
		size_t len;
		char *s = page_render((enum page)p, 15, 1, &len);
		const char *a, *e;

		assert_non_null(s);
		assert_int_equal(strlen(s), len);
		assert_null(strstr(s, "<script"));
		assert_null(strstr(s, "http"));
		assert_false(event_attr(s));
		assert_non_null(strstr(s, "<html lang=\"ja\">"));
		assert_non_null(strstr(s, "lang=\"en\""));
		a = strstr(s, "<style>");
		e = strstr(s, "</style>");
		assert_non_null(a);
		assert_non_null(e);
		a += 7;
		crypto_hash_sha256(h, (const uint8_t *)a, (size_t)(e - a));
		sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
		    sodium_base64_VARIANT_ORIGINAL);
		snprintf(src, sizeof(src), "'sha256-%s'", b64);
		assert_string_equal(src, want);
		free(s);
	}
}

static void
test_page_manage(void **state)
{
	size_t len;
	char *on = page_render(PAGE_MANAGE, CONSENT_CHILD | CONSENT_TAX, 1, &len);
	char *off = page_render(PAGE_MANAGE, 0, 0, &len);

	(void)state;
	assert_non_null(strstr(on, "value=\"child\" checked"));
	assert_non_null(strstr(on, "value=\"tax\" checked"));
	assert_null(strstr(on, "value=\"health\" checked"));
	assert_non_null(strstr(on, "name=\"List-Unsubscribe\" value=\"One-Click\""));
	assert_non_null(strstr(on, "method=\"post\""));
	/* a stopped contact: no form */
	assert_null(strstr(off, "<form"));
	free(on);
	free(off);
}

/* ---- limits ------------------------------------------------------------------ */

static void
test_limits_attempts(void **state)
{
	struct limits *l = limits_new(3, 60, 64);
	int64_t t = 1700000000;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 3; i++) {
		assert_false(limits_blocked(l, LIMIT_USER, USER, t + i));
		limits_fail(l, LIMIT_USER, USER, t + i);
	}
	assert_true(limits_blocked(l, LIMIT_USER, USER, t + 3));
	/* another user, and the same text as a client address, are apart */
	assert_false(limits_blocked(l, LIMIT_USER, USER2, t + 3));
	assert_false(limits_blocked(l, LIMIT_CLIENT, USER, t + 3));
	limits_free(l);
}

static void
test_limits_take(void **state)
{
	struct limits *l = limits_new(3, 60, 64);
	int64_t t = 1700000000;

	(void)state;
	/* attempts taken at once cannot pass the limit together */
	for (int i = 0; i < 3; i++)
		assert_int_equal(limits_take(l, LIMIT_USER, USER, t), 0);
	assert_int_equal(limits_take(l, LIMIT_USER, USER, t), -1);
	assert_true(limits_blocked(l, LIMIT_USER, USER, t));
	/* one that did not fail is given back, once */
	limits_refund(l, LIMIT_USER, USER, t + 1);
	assert_false(limits_blocked(l, LIMIT_USER, USER, t + 1));
	assert_int_equal(limits_take(l, LIMIT_USER, USER, t + 1), 0);
	assert_int_equal(limits_take(l, LIMIT_USER, USER, t + 1), -1);
	/* codes are keys of their own */
	assert_int_equal(limits_take(l, LIMIT_CODE, USER, t + 1), 0);
	/* a refund of nothing taken does nothing */
	limits_refund(l, LIMIT_CLIENT, "192.0.2.9", t);
	assert_false(limits_blocked(l, LIMIT_CLIENT, "192.0.2.9", t));
	limits_free(l);
}

static void
test_limits_window(void **state)
{
	struct limits *l = limits_new(2, 60, 64);
	int64_t t = 1700000000;

	(void)state;
	limits_fail(l, LIMIT_CLIENT, "192.0.2.1", t);
	limits_fail(l, LIMIT_CLIENT, "192.0.2.1", t + 30);
	assert_true(limits_blocked(l, LIMIT_CLIENT, "192.0.2.1", t + 59));
	/* the window is counted from the first failure */
	assert_false(limits_blocked(l, LIMIT_CLIENT, "192.0.2.1", t + 60));
	limits_fail(l, LIMIT_CLIENT, "192.0.2.1", t + 61);
	assert_false(limits_blocked(l, LIMIT_CLIENT, "192.0.2.1", t + 62));
	limits_fail(l, LIMIT_CLIENT, "192.0.2.1", t + 62);
	assert_true(limits_blocked(l, LIMIT_CLIENT, "192.0.2.1", t + 63));
	limits_free(l);
}

static void
test_limits_full_table(void **state)
{
	struct limits *l = limits_new(1, 600, 16);
	char key[32];
	int64_t t = 1700000000;

	(void)state;
	/* more keys than slots: the table makes room and still limits the
	 * newest ones */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "198.51.100.%d", i);
		limits_fail(l, LIMIT_CLIENT, key, t + i);
		assert_true(limits_blocked(l, LIMIT_CLIENT, key, t + i));
	}
	limits_free(l);
	limits_free(NULL);
}

static void
test_limits_client_tag(void **state)
{
	struct limits *l = limits_new(1, 60, 16), *m = limits_new(1, 60, 16);
	char a[65], b[65], c[65];

	(void)state;
	limits_client_tag(l, "192.0.2.1", a);
	limits_client_tag(l, "192.0.2.1", b);
	limits_client_tag(l, "192.0.2.2", c);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_null(strstr(a, "192"));
	/* keyed per process: another table tags the address otherwise */
	limits_client_tag(m, "192.0.2.1", b);
	assert_string_not_equal(a, b);
	limits_free(l);
	limits_free(m);
}

/* ---- the action link --------------------------------------------------------- */

struct router {
	void *ctx, *sock;
	int stale;		/* answer a wrong id first */
	int n;			/* actions to answer */
	uint8_t status;
};

static void *
router_main(void *arg)
{
	struct router *r = arg;
	uint8_t id[256], frame[ACT_FRAME_MAX], out[ACT_ANSWER_LEN];
	struct action a;
	struct action_answer ans;

	for (int i = 0; i < r->n; i++) {
		int il = zmq_recv(r->sock, id, sizeof(id), 0);
		int fl = zmq_recv(r->sock, frame, sizeof(frame), 0);

		if (il < 0 || fl < 0 || action_decode(frame, (size_t)fl, &a) != 0)
			return NULL;
		memset(&ans, 0, sizeof(ans));
		if (r->stale && i == 0) {
			ans.request = a.request + 1000;
			ans.status = ACT_BADCODE;
			action_answer_encode(&ans, out, sizeof(out));
			zmq_send(r->sock, id, (size_t)il, ZMQ_SNDMORE);
			zmq_send(r->sock, out, ACT_ANSWER_LEN, 0);
		}
		ans.request = a.request;
		ans.status = r->status;
		ans.consent = a.consent;	/* echo, to see the pairing */
		action_answer_encode(&ans, out, sizeof(out));
		zmq_send(r->sock, id, (size_t)il, ZMQ_SNDMORE);
		zmq_send(r->sock, out, ACT_ANSWER_LEN, 0);
	}
	return NULL;
}

static void
test_queue_answers(void **state)
{
	char ep[128], err[256];
	struct router r = { 0 };
	struct gwq *q;
	struct action a[3];
	struct action_answer ans[3];
	pthread_t t;

	(void)state;
	snprintf(ep, sizeof(ep), "ipc:///tmp/oshirase-test-gw-%d", (int)getpid());
	r.ctx = zmq_ctx_new();
	r.sock = zmq_socket(r.ctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(r.sock, ep), 0);
	r.n = 3;
	r.stale = 1;
	r.status = ACT_OK;
	assert_int_equal(pthread_create(&t, NULL, router_main, &r), 0);
	assert_int_equal(gwq_new(ep, 5000, &q, err, sizeof(err)), 0);
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++) {
		a[i].kind = ACT_LINE_CONSENT;
		a[i].consent = (uint8_t)(i + 1);
		snprintf(a[i].user, sizeof(a[i].user), USER);
	}
	assert_int_equal(gwq_call(q, a, ans, 3), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ans[i].request, a[i].request);
		assert_int_equal(ans[i].status, ACT_OK);
		assert_int_equal(ans[i].consent, i + 1);
	}
	assert_true(a[1].request == a[0].request + 1);
	pthread_join(t, NULL);
	gwq_free(q);
	zmq_close(r.sock);
	zmq_ctx_term(r.ctx);
	unlink(ep + 6);
}

static void
test_queue_absent(void **state)
{
	char ep[128], err[256];
	struct gwq *q;
	struct action a = { .kind = ACT_LINE_FOLLOW };
	struct action_answer ans;
	double t0;

	(void)state;
	snprintf(ep, sizeof(ep), "ipc:///tmp/oshirase-test-gw-none-%d",
	    (int)getpid());
	assert_int_equal(gwq_new(ep, 300, &q, err, sizeof(err)), 0);
	t0 = util_now();
	assert_int_equal(gwq_call(q, &a, &ans, 1), 0);
	assert_int_equal(ans.status, ACT_UNAVAILABLE);
	/* within the timeout, give or take the scheduler */
	assert_true(util_now() - t0 < 3.0);
	gwq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_good),
		cmocka_unit_test(test_signature_forged),
		cmocka_unit_test(test_signature_missing),
		cmocka_unit_test(test_signature_other_body),
		cmocka_unit_test(test_events_each_type),
		cmocka_unit_test(test_events_redelivery),
		cmocka_unit_test(test_events_ignored),
		cmocka_unit_test(test_events_bad),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_postback_grammar),
		cmocka_unit_test(test_text_commands),
		cmocka_unit_test(test_text_codes),
		cmocka_unit_test(test_form_decoding),
		cmocka_unit_test(test_form_repeated),
		cmocka_unit_test(test_form_refused),
		cmocka_unit_test(test_form_one_click),
		cmocka_unit_test(test_form_address),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_page_manage),
		cmocka_unit_test(test_limits_attempts),
		cmocka_unit_test(test_limits_take),
		cmocka_unit_test(test_limits_window),
		cmocka_unit_test(test_limits_full_table),
		cmocka_unit_test(test_limits_client_tag),
		cmocka_unit_test(test_queue_answers),
		cmocka_unit_test(test_queue_absent),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
