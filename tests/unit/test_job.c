/* test_job.c - the job and result wire formats (job.h)
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "store.h"

static uint8_t frame[1 << 16];

static void
job_sample(struct job *j)
{
	static const char t0[] = "市民の皆さまへ\n児童手当の対象となる可能性があります。";
	static const char t1[] = "second\0with a NUL";	/* texts are bytes */

	memset(j, 0, sizeof(*j));
	j->id = 0x0123456789abcdefULL;
	j->attempt = 0x01020304;
	j->token = 0xa1b2c3d4e5f60718ULL;
	j->channel = CHANNEL_LINE;
	j->language = LANG_EN;
	snprintf(j->retry_key, sizeof(j->retry_key),
	    "123e4567-e89b-12d3-a456-426614174000");
	snprintf(j->to, sizeof(j->to), "U4af4980629aaaaaaaaaaaaaaaaaaaaaa");
	snprintf(j->subject, sizeof(j->subject), "【みほん市】お知らせ");
	snprintf(j->message_id, sizeof(j->message_id), "mid-1");
	snprintf(j->unsubscribe, sizeof(j->unsubscribe), "https://x.example/u/1");
	j->ntexts = 2;
	j->text[0] = t0;
	j->text_len[0] = sizeof(t0) - 1;
	j->text[1] = t1;
	j->text_len[1] = sizeof(t1) - 1;
}

static void
job_equal(const struct job *a, const struct job *b)
{
	assert_true(a->id == b->id);
	assert_int_equal(a->attempt, b->attempt);
	assert_true(a->token == b->token);
	assert_int_equal(a->channel, b->channel);
	assert_int_equal(a->language, b->language);
	assert_string_equal(a->retry_key, b->retry_key);
	assert_string_equal(a->to, b->to);
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->message_id, b->message_id);
	assert_string_equal(a->unsubscribe, b->unsubscribe);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->ntexts, b->ntexts);
	for (unsigned i = 0; i < a->ntexts; i++) {
		assert_int_equal(a->text_len[i], b->text_len[i]);
		assert_memory_equal(a->text[i], b->text[i], a->text_len[i]);
	}
	assert_int_equal(a->nitems, b->nitems);
	for (unsigned i = 0; i < a->nitems; i++) {
		assert_string_equal(a->item[i].label, b->item[i].label);
		assert_string_equal(a->item[i].data, b->item[i].data);
		assert_string_equal(a->item[i].text, b->item[i].text);
	}
}

/* A LINE reply with quick-reply buttons, as the queue makes them. */
static void
reply_sample(struct job *j)
{
	static const char *const lab[] = { "すべて", "健康・検診", "Health",
		"受け取らない" };

	job_sample(j);
	j->kind = JOB_REPLY;
	j->id = 1ULL << 63 | 5;
	j->retry_key[0] = '\0';
	snprintf(j->to, sizeof(j->to), "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
	j->nitems = 4;
	for (unsigned i = 0; i < 4; i++) {
		snprintf(j->item[i].label, sizeof(j->item[i].label), "%s", lab[i]);
		snprintf(j->item[i].data, sizeof(j->item[i].data), "cat=%u", i);
		snprintf(j->item[i].text, sizeof(j->item[i].text), "%s", lab[i]);
	}
}

static void
test_job_round_trip(void **state)
{
	struct job j, d;
	size_t n;

	(void)state;
	job_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));
	assert_true(n > 0);
	assert_memory_equal(frame, "OSJ3", 4);
	/* big-endian id right after the magic */
	assert_int_equal(frame[4], 0x01);
	assert_int_equal(frame[11], 0xef);
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
	/* texts point into the frame, not copies */
	assert_true((const uint8_t *)d.text[0] >= frame &&
	    (const uint8_t *)d.text[0] < frame + n);
}

/* Every field at its largest, five texts, one of them empty. */
static void
test_job_limits(void **state)
{
	static char big[70000];
	static uint8_t large[6 * 70000 + 4096];
	struct job j, d;
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big));
	job_sample(&j);
	memset(j.to, 't', sizeof(j.to) - 1);
	j.to[sizeof(j.to) - 1] = '\0';
	memset(j.subject, 's', sizeof(j.subject) - 1);
	j.subject[sizeof(j.subject) - 1] = '\0';
	memset(j.message_id, 'm', sizeof(j.message_id) - 1);
	j.message_id[sizeof(j.message_id) - 1] = '\0';
	memset(j.unsubscribe, 'u', sizeof(j.unsubscribe) - 1);
	j.unsubscribe[sizeof(j.unsubscribe) - 1] = '\0';
	j.ntexts = JOB_MAX_TEXTS;
	for (unsigned i = 0; i < JOB_MAX_TEXTS; i++) {
		j.text[i] = big;
		j.text_len[i] = i == 2 ? 0 : sizeof(big);	/* over u16 */
	}
	n = job_encode(&j, large, sizeof(large));
	assert_true(n > 4 * sizeof(big));
	assert_int_equal(job_decode(large, n, &d), 0);
	job_equal(&j, &d);
	/* no room: 0, never a partial frame */
	assert_int_equal(job_encode(&j, large, n - 1), 0);
	assert_int_equal(job_encode(&j, large, 10), 0);
	/* 0 or 6 texts are not a job */
	j.ntexts = 0;
	assert_int_equal(job_encode(&j, large, sizeof(large)), 0);
	j.ntexts = JOB_MAX_TEXTS + 1;
	assert_int_equal(job_encode(&j, large, sizeof(large)), 0);
}

/* Each proper prefix of a frame, and the frame with a byte more. */
static void
test_job_truncated_refused(void **state)
{
	struct job j, d;
	size_t n;

	(void)state;
	job_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));
	for (size_t len = 0; len < n; len++)
		assert_int_equal(job_decode(frame, len, &d), -1);
	frame[n] = 0;
	assert_int_equal(job_decode(frame, n + 1, &d), -1);
	assert_int_equal(job_decode(frame, n, &d), 0);
}

/* Offsets of the fields of the sample frame. */
enum { OFF_ID = 4, OFF_ATTEMPT = 12, OFF_TOKEN = 16, OFF_CHANNEL = 24,
	OFF_LANG = 25, OFF_KIND = 26, OFF_KEY = 27 };

static void
test_job_corrupted_refused(void **state)
{
	struct job j, d;
	size_t n, off;
	uint8_t saved;

	(void)state;
	job_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));

	frame[0] = 'X';		/* magic */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[0] = 'O';
	frame[3] = '1';		/* the version before the token */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[3] = '4';		/* a later one */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[3] = '2';		/* the older one: its fields are not there */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[3] = '3';
	/* the kind: push and reply only */
	assert_int_equal(frame[OFF_KIND], JOB_PUSH);
	frame[OFF_KIND] = 2;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[OFF_KIND] = JOB_PUSH;

	/* the retry key's length says one byte more than there is room for
	 * in its field (36 + 1 > 36): the whole frame is refused */
	assert_int_equal(frame[OFF_KEY], 0);
	assert_int_equal(frame[OFF_KEY + 1], 36);
	frame[OFF_KEY + 1] = 37;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[OFF_KEY + 1] = 0xff;	/* far past the end */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[OFF_KEY + 1] = 36;
	/* a NUL inside a string field */
	saved = frame[OFF_KEY + 2 + 5];
	frame[OFF_KEY + 2 + 5] = '\0';
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[OFF_KEY + 2 + 5] = saved;
	assert_int_equal(job_decode(frame, n, &d), 0);

	/* the text count: find it after the five strings */
	off = OFF_KEY;
	for (int s = 0; s < 5; s++)
		off += 2 + ((size_t)frame[off] << 8 | frame[off + 1]);
	assert_int_equal(frame[off], 2);
	frame[off] = 0;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off] = JOB_MAX_TEXTS + 1;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off] = 1;		/* fewer texts than the frame holds: trailing */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off] = 3;		/* more than it holds: short */
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off] = 2;
	/* a text length past the end of the frame */
	frame[off + 1] = 0x80;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off + 1] = 0;
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
	/* the item count, last: 0; one that is not there is short */
	assert_int_equal(frame[n - 1], 0);
	frame[n - 1] = 1;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[n - 1] = 0;
	assert_int_equal(job_decode(frame, n - 1, &d), -1);
}

/* A reply with items goes through whole; each field at its largest. */
static void
test_job_reply_round_trip(void **state)
{
	struct job j, d;
	size_t n;

	(void)state;
	reply_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));
	assert_true(n > 0);
	assert_int_equal(frame[OFF_KIND], JOB_REPLY);
	/* the frame ends with the last item's displayText */
	assert_memory_equal(frame + n - strlen("受け取らない"), "受け取らない",
	    strlen("受け取らない"));
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
	for (size_t len = 0; len < n; len++)
		assert_int_equal(job_decode(frame, len, &d), -1);

	/* 13 items, 20 characters of three bytes, 300 bytes of data and
	 * of text */
	j.nitems = JOB_MAX_ITEMS;
	for (unsigned i = 0; i < JOB_MAX_ITEMS; i++) {
		struct job_item *it = &j.item[i];

		it->label[0] = '\0';
		for (int c = 0; c < JOB_ITEM_LABEL_CHARS; c++)
			strcat(it->label, "あ");
		memset(it->data, 'd', JOB_ITEM_DATA_MAX);
		it->data[JOB_ITEM_DATA_MAX] = '\0';
		memset(it->text, 't', JOB_ITEM_DATA_MAX);
		it->text[JOB_ITEM_DATA_MAX] = '\0';
	}
	n = job_encode(&j, frame, sizeof(frame));
	assert_true(n > 0);
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
	assert_int_equal(job_encode(&j, frame, n - 1), 0);
}

/* What is not a job is neither encoded nor decoded: an unknown kind, a
 * reply or items on email, too many items, a label too long, an empty
 * or too long field. */
static void
test_job_reply_refused(void **state)
{
	struct job j, d;
	size_t n, off;

	(void)state;
	reply_sample(&j);
	j.kind = 2;
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	reply_sample(&j);
	j.channel = CHANNEL_EMAIL;
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	j.kind = JOB_PUSH;	/* an email push with items */
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	j.nitems = 0;
	assert_true(job_encode(&j, frame, sizeof(frame)) > 0);
	reply_sample(&j);
	j.nitems = JOB_MAX_ITEMS + 1;
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	reply_sample(&j);
	snprintf(j.item[1].label, sizeof(j.item[1].label),
	    "123456789012345678901");
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	j.item[1].label[20] = '\0';
	assert_true(job_encode(&j, frame, sizeof(frame)) > 0);
	j.item[1].label[0] = '\0';
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	reply_sample(&j);
	j.item[2].data[0] = '\0';
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);
	reply_sample(&j);
	j.item[3].text[0] = '\0';
	assert_int_equal(job_encode(&j, frame, sizeof(frame)), 0);

	/* the same refusals when decoding: a frame made, then changed */
	reply_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));
	assert_true(n > 0);
	frame[OFF_CHANNEL] = CHANNEL_EMAIL;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[OFF_CHANNEL] = CHANNEL_LINE;
	/* the item count: after the texts */
	off = OFF_KEY;
	for (int s = 0; s < 5; s++)
		off += 2 + ((size_t)frame[off] << 8 | frame[off + 1]);
	off++;
	for (unsigned t = 0; t < j.ntexts; t++)
		off += 4 + ((size_t)frame[off + 2] << 8 | frame[off + 3]);
	assert_int_equal(frame[off], 4);
	frame[off] = JOB_MAX_ITEMS + 1;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off] = 4;
	/* the first label (すべて, 9 bytes) made empty by its length: the
	 * frame is then 9 bytes too long, and an empty label is refused */
	assert_int_equal(frame[off + 2], 9);
	frame[off + 2] = 0;
	assert_int_equal(job_decode(frame, n, &d), -1);
	frame[off + 2] = 9;
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
}

/* A job of the previous format (OSJ2: no kind, no items) is still read,
 * as a push without items. */
static void
test_job_osj2_read(void **state)
{
	struct job j, d;
	size_t n;

	(void)state;
	job_sample(&j);
	n = job_encode(&j, frame, sizeof(frame));
	/* OSJ2: the same without the kind byte and the item count */
	memcpy(frame, "OSJ2", 4);
	memmove(frame + OFF_KIND, frame + OFF_KIND + 1, n - OFF_KIND - 1);
	n -= 2;
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(job_decode(frame, n, &d), 0);
	job_equal(&j, &d);
	assert_int_equal(d.kind, JOB_PUSH);
	assert_int_equal(d.nitems, 0);
	/* with an item count after it, it is not OSJ2 */
	frame[n] = 0;
	assert_int_equal(job_decode(frame, n + 1, &d), -1);
}

/* A field of 256 bytes in the 256-byte `to` (no room for the NUL). */
static void
test_job_field_too_long(void **state)
{
	uint8_t f[1024];
	struct job d;
	size_t o = 0;
	char to[257];

	(void)state;
	memset(to, 'x', 256);
	memcpy(f, "OSJ2", 4);
	o = 4;
	memset(f + o, 0, 8 + 4 + 8);	/* id, attempt, token */
	f[o + 7] = 1;
	f[o + 11] = 1;
	o += 20;
	f[o++] = CHANNEL_EMAIL;
	f[o++] = LANG_JA;
	f[o++] = 0;		/* retry key: empty */
	f[o++] = 0;
	f[o++] = 1;		/* to: 256 bytes */
	f[o++] = 0;
	memcpy(f + o, to, 256);
	o += 256;
	for (int s = 0; s < 3; s++) {	/* subject, message id, unsubscribe */
		f[o++] = 0;
		f[o++] = 0;
	}
	f[o++] = 1;		/* one text "hi" */
	memcpy(f + o, "\0\0\0\2hi", 6);
	o += 6;
	assert_int_equal(job_decode(f, o, &d), -1);
	/* 255 bytes fit: shorten it and the frame decodes */
	f[4 + 20 + 2 + 2] = 0;
	f[4 + 20 + 2 + 3] = 255;
	memmove(f + 4 + 20 + 2 + 4 + 255, f + 4 + 20 + 2 + 4 + 256,
	    o - (4 + 20 + 2 + 4 + 256));
	o--;
	assert_int_equal(job_decode(f, o, &d), 0);
	assert_int_equal(strlen(d.to), 255);
	assert_int_equal(d.ntexts, 1);
	assert_int_equal(d.text_len[0], 2);
	assert_memory_equal(d.text[0], "hi", 2);
}

static void
test_result_round_trip(void **state)
{
	struct job_result r, d;
	uint8_t f[1024];
	size_t n;

	(void)state;
	for (int oc = JOB_SENT; oc <= JOB_AUTH; oc++) {
		memset(&r, 0, sizeof(r));
		r.id = 0xfedcba9876543210ULL;
		r.attempt = 7;
		r.token = 0x8877665544332211ULL;
		r.outcome = (uint8_t)oc;
		r.status = oc == JOB_RETRY ? -1 : 429;	/* negative survives */
		r.transport = 28;
		r.retry_after = oc == JOB_RATE ? 0x01020304u : 0;
		snprintf(r.detail, sizeof(r.detail), "You have reached your "
		    "monthly limit.");
		snprintf(r.request_id, sizeof(r.request_id),
		    "123e4567-e89b-12d3-a456-426655440002");
		n = job_result_encode(&r, f, sizeof(f));
		assert_true(n > 0);
		assert_int_equal(job_result_decode(f, n, &d), 0);
		assert_memory_equal(&r, &d, sizeof(r));
		for (size_t len = 0; len < n; len++)
			assert_int_equal(job_result_decode(f, len, &d), -1);
		f[n] = 0;
		assert_int_equal(job_result_decode(f, n + 1, &d), -1);
		assert_int_equal(job_result_encode(&r, f, n - 1), 0);
	}
	/* a full detail (255 bytes) and request id (63) */
	memset(r.detail, 'd', sizeof(r.detail) - 1);
	r.detail[sizeof(r.detail) - 1] = '\0';
	memset(r.request_id, 'r', sizeof(r.request_id) - 1);
	r.request_id[sizeof(r.request_id) - 1] = '\0';
	n = job_result_encode(&r, f, sizeof(f));
	assert_int_equal(job_result_decode(f, n, &d), 0);
	assert_memory_equal(&r, &d, sizeof(r));
	/* the queue logs detail and request id: no line breaks or other
	 * control bytes come through (a forged "ALERT:" line) */
	snprintf(r.detail, sizeof(r.detail), "bad\noshirased: ALERT: x\r\x1b[0m");
	snprintf(r.request_id, sizeof(r.request_id), "id\n2");
	n = job_result_encode(&r, f, sizeof(f));
	assert_int_equal(job_result_decode(f, n, &d), 0);
	assert_string_equal(d.detail, "bad?oshirased: ALERT: x??[0m");
	assert_string_equal(d.request_id, "id?2");
	assert_true(d.token == r.token);
}

static void
test_result_corrupted_refused(void **state)
{
	struct job_result r, d;
	uint8_t f[1024];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 1;
	r.attempt = 1;
	r.outcome = JOB_SENT;
	r.status = 200;
	n = job_result_encode(&r, f, sizeof(f));
	assert_int_equal(job_result_decode(f, n, &d), 0);
	f[24] = 0;		/* outcome 0 */
	assert_int_equal(job_result_decode(f, n, &d), -1);
	f[24] = JOB_AUTH + 1;
	assert_int_equal(job_result_decode(f, n, &d), -1);
	f[24] = JOB_SENT;
	memcpy(f, "OSJ2", 4);	/* a job's magic */
	assert_int_equal(job_result_decode(f, n, &d), -1);
	memcpy(f, "OSR3", 4);
	f[33] = 1;		/* detail length 256, with nothing for it */
	assert_int_equal(job_result_decode(f, n, &d), -1);
	f[33] = 0;
	assert_int_equal(job_result_decode(f, n, &d), 0);
	/* a job frame is not a result, nor the other way round */
	assert_int_equal(job_decode(f, n, &(struct job){ 0 }), -1);
}

/* A result of the previous format (OSR2: no retry_after) is still read,
 * with retry_after 0; OSR3 without its last field is not. */
static void
test_result_osr2_read(void **state)
{
	struct job_result r, d;
	uint8_t f[1024];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 9;
	r.attempt = 2;
	r.outcome = JOB_RATE;
	r.status = 429;
	r.retry_after = 30;
	n = job_result_encode(&r, f, sizeof(f));
	assert_memory_equal(f, "OSR3", 4);
	assert_int_equal(job_result_decode(f, n, &d), 0);
	assert_int_equal(d.retry_after, 30);
	assert_int_equal(job_result_decode(f, n - 4, &d), -1);
	memcpy(f, "OSR2", 4);
	assert_int_equal(job_result_decode(f, n - 4, &d), 0);
	assert_int_equal(d.retry_after, 0);
	assert_int_equal(d.status, 429);
	assert_int_equal(job_result_decode(f, n, &d), -1);
}

static void
test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(job_outcome_name(JOB_SENT), "sent");
	assert_string_equal(job_outcome_name(JOB_RETRY), "retry");
	assert_string_equal(job_outcome_name(JOB_PERMANENT), "permanent");
	assert_string_equal(job_outcome_name(JOB_RATE), "rate");
	assert_string_equal(job_outcome_name(JOB_QUOTA), "quota");
	assert_string_equal(job_outcome_name(JOB_AUTH), "auth");
	assert_string_equal(job_outcome_name(0), "?");
	assert_string_equal(job_outcome_name(JOB_AUTH + 1), "?");
	assert_string_equal(job_outcome_name(-1), "?");
}

/* The credit frame: exact bytes, n in 1..65535, nothing short, long or
 * of another kind. */
static void
test_credit(void **state)
{
	uint8_t b[16];
	unsigned n;

	(void)state;
	assert_int_equal(job_credit_encode(1, b, sizeof(b)), JOB_CREDIT_LEN);
	assert_memory_equal(b, "OSK1\x00\x01", JOB_CREDIT_LEN);
	assert_int_equal(job_credit_decode(b, JOB_CREDIT_LEN, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(job_credit_encode(65535, b, sizeof(b)), JOB_CREDIT_LEN);
	assert_int_equal(job_credit_decode(b, JOB_CREDIT_LEN, &n), 0);
	assert_int_equal(n, 65535);
	assert_int_equal(job_credit_encode(0, b, sizeof(b)), 0);
	assert_int_equal(job_credit_encode(65536, b, sizeof(b)), 0);
	assert_int_equal(job_credit_encode(1, b, JOB_CREDIT_LEN - 1), 0);
	assert_int_equal(job_credit_decode((const uint8_t *)"OSK1\x00\x00", 6, &n), -1);
	assert_int_equal(job_credit_decode((const uint8_t *)"OSK1\x00", 5, &n), -1);
	assert_int_equal(job_credit_decode((const uint8_t *)"OSK1\x00\x01x", 7, &n), -1);
	assert_int_equal(job_credit_decode((const uint8_t *)"OSJ2\x00\x01", 6, &n), -1);
	assert_int_equal(job_credit_decode((const uint8_t *)"", 0, &n), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_round_trip),
		cmocka_unit_test(test_job_limits),
		cmocka_unit_test(test_job_truncated_refused),
		cmocka_unit_test(test_job_corrupted_refused),
		cmocka_unit_test(test_job_field_too_long),
		cmocka_unit_test(test_job_reply_round_trip),
		cmocka_unit_test(test_job_reply_refused),
		cmocka_unit_test(test_job_osj2_read),
		cmocka_unit_test(test_result_round_trip),
		cmocka_unit_test(test_result_corrupted_refused),
		cmocka_unit_test(test_result_osr2_read),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_credit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
