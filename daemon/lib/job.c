/* job.c - encoding of jobs and results (format in job.h)
 * SPDX-License-Identifier: MIT
 */
#include "job.h"

#include "wire.h"

#include <string.h>

/* Characters (UTF-8 code points: bytes that do not continue one) of s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int
item_ok(const struct job_item *it)
{
	size_t l = strnlen(it->label, sizeof(it->label));
	size_t dl = strnlen(it->data, sizeof(it->data));
	size_t tl = strnlen(it->text, sizeof(it->text));

	return l > 0 && l < sizeof(it->label) &&
	    utf8_chars(it->label) <= JOB_ITEM_LABEL_CHARS &&
	    dl > 0 && dl <= JOB_ITEM_DATA_MAX && tl > 0 &&
	    tl <= JOB_ITEM_DATA_MAX;
}

/* What a job must be, encoded or decoded. */
static int
job_ok(const struct job *j)
{
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS)
		return 0;
	if (j->kind != JOB_PUSH && j->kind != JOB_REPLY)
		return 0;
	if (j->kind == JOB_REPLY && j->channel != CHANNEL_LINE)
		return 0;
	if (j->nitems > JOB_MAX_ITEMS ||
	    (j->nitems > 0 && j->channel != CHANNEL_LINE))
		return 0;
	for (unsigned i = 0; i < j->nitems; i++)
		if (!item_ok(&j->item[i]))
			return 0;
	return 1;
}

size_t
job_encode(const struct job *j, uint8_t *buf, size_t cap)
{
	struct wire_w w = { buf, 0, cap, 0 };

	if (!job_ok(j))
		return 0;
	wire_put(&w, "OSJ3", 4);
	wire_put_uint(&w, j->id, 8);
	wire_put_uint(&w, j->attempt, 4);
	wire_put_uint(&w, j->token, 8);
	wire_put_uint(&w, j->channel, 1);
	wire_put_uint(&w, j->language, 1);
	wire_put_uint(&w, j->kind, 1);
	wire_put_str(&w, j->retry_key, strlen(j->retry_key), 2);
	wire_put_str(&w, j->to, strlen(j->to), 2);
	wire_put_str(&w, j->subject, strlen(j->subject), 2);
	wire_put_str(&w, j->message_id, strlen(j->message_id), 2);
	wire_put_str(&w, j->unsubscribe, strlen(j->unsubscribe), 2);
	wire_put_uint(&w, j->ntexts, 1);
	for (unsigned i = 0; i < j->ntexts; i++)
		wire_put_str(&w, j->text[i], j->text_len[i], 4);
	wire_put_uint(&w, j->nitems, 1);
	for (unsigned i = 0; i < j->nitems; i++) {
		const struct job_item *it = &j->item[i];

		wire_put_str(&w, it->label, strlen(it->label), 2);
		wire_put_str(&w, it->data, strlen(it->data), 2);
		wire_put_str(&w, it->text, strlen(it->text), 2);
	}
	return w.bad ? 0 : w.len;
}

int
job_decode(const uint8_t *buf, size_t len, struct job *j)
{
	struct wire_r r = { buf, len, 0, 0 };
	int v3;

	memset(j, 0, sizeof(*j));
	if (len < 4 || (memcmp(buf, "OSJ2", 4) != 0 &&
	    memcmp(buf, "OSJ3", 4) != 0))
		return -1;
	v3 = buf[3] == '3';
	r.off = 4;
	j->id = wire_get_uint(&r, 8);
	j->attempt = (uint32_t)wire_get_uint(&r, 4);
	j->token = wire_get_uint(&r, 8);
	j->channel = (uint8_t)wire_get_uint(&r, 1);
	j->language = (uint8_t)wire_get_uint(&r, 1);
	j->kind = v3 ? (uint8_t)wire_get_uint(&r, 1) : JOB_PUSH;
	wire_get_str(&r, j->retry_key, sizeof(j->retry_key));
	wire_get_str(&r, j->to, sizeof(j->to));
	wire_get_str(&r, j->subject, sizeof(j->subject));
	wire_get_str(&r, j->message_id, sizeof(j->message_id));
	wire_get_str(&r, j->unsubscribe, sizeof(j->unsubscribe));
	j->ntexts = (unsigned)wire_get_uint(&r, 1);
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS)
		return -1;
	for (unsigned i = 0; i < j->ntexts; i++)
		j->text[i] = wire_get_span(&r, 4, &j->text_len[i]);
	if (v3) {
		j->nitems = (unsigned)wire_get_uint(&r, 1);
		if (j->nitems > JOB_MAX_ITEMS)
			return -1;
		for (unsigned i = 0; i < j->nitems; i++) {
			struct job_item *it = &j->item[i];

			wire_get_str(&r, it->label, sizeof(it->label));
			wire_get_str(&r, it->data, sizeof(it->data));
			wire_get_str(&r, it->text, sizeof(it->text));
		}
	}
	return r.bad || r.off != len || !job_ok(j) ? -1 : 0;
}

size_t
job_result_encode(const struct job_result *res, uint8_t *buf, size_t cap)
{
	struct wire_w w = { buf, 0, cap, 0 };

	wire_put(&w, "OSR3", 4);
	wire_put_uint(&w, res->id, 8);
	wire_put_uint(&w, res->attempt, 4);
	wire_put_uint(&w, res->token, 8);
	wire_put_uint(&w, res->outcome, 1);
	wire_put_uint(&w, (uint32_t)res->status, 4);
	wire_put_uint(&w, (uint32_t)res->transport, 4);
	wire_put_str(&w, res->detail, strnlen(res->detail, sizeof(res->detail) - 1), 2);
	wire_put_str(&w, res->request_id, strnlen(res->request_id,
	    sizeof(res->request_id) - 1), 2);
	wire_put_uint(&w, res->retry_after, 4);
	return w.bad ? 0 : w.len;
}

int
job_result_decode(const uint8_t *buf, size_t len, struct job_result *res)
{
	struct wire_r r = { buf, len, 0, 0 };

	int v3;

	memset(res, 0, sizeof(*res));
	if (len < 4 || (memcmp(buf, "OSR2", 4) != 0 &&
	    memcmp(buf, "OSR3", 4) != 0))
		return -1;
	v3 = buf[3] == '3';
	r.off = 4;
	res->id = wire_get_uint(&r, 8);
	res->attempt = (uint32_t)wire_get_uint(&r, 4);
	res->token = wire_get_uint(&r, 8);
	res->outcome = (uint8_t)wire_get_uint(&r, 1);
	res->status = (int32_t)(uint32_t)wire_get_uint(&r, 4);
	res->transport = (int32_t)(uint32_t)wire_get_uint(&r, 4);
	wire_get_str(&r, res->detail, sizeof(res->detail));
	wire_get_str(&r, res->request_id, sizeof(res->request_id));
	if (v3)
		res->retry_after = (uint32_t)wire_get_uint(&r, 4);
	for (char *c = res->detail; *c; c++)	/* the queue logs it */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	for (char *c = res->request_id; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (res->outcome < JOB_SENT || res->outcome > JOB_AUTH)
		return -1;
	return r.bad || r.off != len ? -1 : 0;
}

const char *
job_outcome_name(int outcome)
{
	static const char *const names[] = { "?", "sent", "retry", "permanent",
		"rate", "quota", "auth" };

	return outcome >= JOB_SENT && outcome <= JOB_AUTH ? names[outcome] : "?";
}

size_t
job_credit_encode(unsigned n, uint8_t *buf, size_t cap)
{
	struct wire_w w = { buf, 0, cap, 0 };

	if (n < 1 || n > 0xffff)
		return 0;
	wire_put(&w, "OSK1", 4);
	wire_put_uint(&w, n, 2);
	return w.bad ? 0 : w.len;
}

int
job_credit_decode(const uint8_t *buf, size_t len, unsigned *n)
{
	struct wire_r r = { buf, len, 4, 0 };

	if (len < 4 || memcmp(buf, "OSK1", 4) != 0)
		return -1;
	*n = (unsigned)wire_get_uint(&r, 2);
	return r.bad || r.off != len || *n == 0 ? -1 : 0;
}
