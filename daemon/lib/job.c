/* job.c - encoding of jobs and results (format in job.h)
 * SPDX-License-Identifier: MIT
 */
#include "job.h"

#include <string.h>

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void
put(struct wbuf *w, const void *src, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void
put_uint(struct wbuf *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(w, b, bytes);
}

static void
put_str(struct wbuf *w, const char *s, size_t n, unsigned lenbytes)
{
	if (lenbytes == 2 && n > 0xffff) {
		w->bad = 1;
		return;
	}
	put_uint(w, n, lenbytes);
	put(w, s, n);
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static uint64_t
get_uint(struct rbuf *r, unsigned bytes)
{
	uint64_t v = 0;

	if (r->bad || bytes > r->len - r->off) {
		r->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | r->p[r->off + i];
	r->off += bytes;
	return v;
}

/* A length-prefixed string: points into the buffer. */
static const char *
get_span(struct rbuf *r, unsigned lenbytes, size_t *n)
{
	const char *s;

	*n = (size_t)get_uint(r, lenbytes);
	if (r->bad || *n > r->len - r->off) {
		r->bad = 1;
		*n = 0;
		return "";
	}
	s = (const char *)r->p + r->off;
	r->off += *n;
	return s;
}

/* Copy a u16-prefixed string into a fixed field with a NUL; a string
 * with a NUL in it, or too long, is bad. */
static void
get_str(struct rbuf *r, char *dst, size_t cap)
{
	size_t n;
	const char *s = get_span(r, 2, &n);

	if (r->bad || n >= cap || memchr(s, '\0', n) != NULL) {
		r->bad = 1;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

size_t
job_encode(const struct job *j, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, 0, cap, 0 };

	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS)
		return 0;
	put(&w, "OSJ2", 4);
	put_uint(&w, j->id, 8);
	put_uint(&w, j->attempt, 4);
	put_uint(&w, j->token, 8);
	put_uint(&w, j->channel, 1);
	put_uint(&w, j->language, 1);
	put_str(&w, j->retry_key, strlen(j->retry_key), 2);
	put_str(&w, j->to, strlen(j->to), 2);
	put_str(&w, j->subject, strlen(j->subject), 2);
	put_str(&w, j->message_id, strlen(j->message_id), 2);
	put_str(&w, j->unsubscribe, strlen(j->unsubscribe), 2);
	put_uint(&w, j->ntexts, 1);
	for (unsigned i = 0; i < j->ntexts; i++)
		put_str(&w, j->text[i], j->text_len[i], 4);
	return w.bad ? 0 : w.len;
}

int
job_decode(const uint8_t *buf, size_t len, struct job *j)
{
	struct rbuf r = { buf, len, 0, 0 };

	memset(j, 0, sizeof(*j));
	if (len < 4 || memcmp(buf, "OSJ2", 4) != 0)
		return -1;
	r.off = 4;
	j->id = get_uint(&r, 8);
	j->attempt = (uint32_t)get_uint(&r, 4);
	j->token = get_uint(&r, 8);
	j->channel = (uint8_t)get_uint(&r, 1);
	j->language = (uint8_t)get_uint(&r, 1);
	get_str(&r, j->retry_key, sizeof(j->retry_key));
	get_str(&r, j->to, sizeof(j->to));
	get_str(&r, j->subject, sizeof(j->subject));
	get_str(&r, j->message_id, sizeof(j->message_id));
	get_str(&r, j->unsubscribe, sizeof(j->unsubscribe));
	j->ntexts = (unsigned)get_uint(&r, 1);
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS)
		return -1;
	for (unsigned i = 0; i < j->ntexts; i++)
		j->text[i] = get_span(&r, 4, &j->text_len[i]);
	return r.bad || r.off != len ? -1 : 0;
}

size_t
job_result_encode(const struct job_result *res, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, 0, cap, 0 };

	put(&w, "OSR3", 4);
	put_uint(&w, res->id, 8);
	put_uint(&w, res->attempt, 4);
	put_uint(&w, res->token, 8);
	put_uint(&w, res->outcome, 1);
	put_uint(&w, (uint32_t)res->status, 4);
	put_uint(&w, (uint32_t)res->transport, 4);
	put_str(&w, res->detail, strnlen(res->detail, sizeof(res->detail) - 1), 2);
	put_str(&w, res->request_id, strnlen(res->request_id,
	    sizeof(res->request_id) - 1), 2);
	put_uint(&w, res->retry_after, 4);
	return w.bad ? 0 : w.len;
}

int
job_result_decode(const uint8_t *buf, size_t len, struct job_result *res)
{
	struct rbuf r = { buf, len, 0, 0 };

	int v3;

	memset(res, 0, sizeof(*res));
	if (len < 4 || (memcmp(buf, "OSR2", 4) != 0 &&
	    memcmp(buf, "OSR3", 4) != 0))
		return -1;
	v3 = buf[3] == '3';
	r.off = 4;
	res->id = get_uint(&r, 8);
	res->attempt = (uint32_t)get_uint(&r, 4);
	res->token = get_uint(&r, 8);
	res->outcome = (uint8_t)get_uint(&r, 1);
	res->status = (int32_t)(uint32_t)get_uint(&r, 4);
	res->transport = (int32_t)(uint32_t)get_uint(&r, 4);
	get_str(&r, res->detail, sizeof(res->detail));
	get_str(&r, res->request_id, sizeof(res->request_id));
	if (v3)
		res->retry_after = (uint32_t)get_uint(&r, 4);
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
	struct wbuf w = { buf, 0, cap, 0 };

	if (n < 1 || n > 0xffff)
		return 0;
	put(&w, "OSK1", 4);
	put_uint(&w, n, 2);
	return w.bad ? 0 : w.len;
}

int
job_credit_decode(const uint8_t *buf, size_t len, unsigned *n)
{
	struct rbuf r = { buf, len, 4, 0 };

	if (len < 4 || memcmp(buf, "OSK1", 4) != 0)
		return -1;
	*n = (unsigned)get_uint(&r, 2);
	return r.bad || r.off != len || *n == 0 ? -1 : 0;
}
