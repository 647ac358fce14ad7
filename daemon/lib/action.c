/* action.c - encoding of residents' actions and the queue's answers
 * (format in action.h)
 * SPDX-License-Identifier: MIT
 */
#include "action.h"
#include "wire.h"

#include <string.h>

#define ACTION_MAGIC "OSA1"
#define ANSWER_MAGIC "OSB1"

static void
put_field(struct wire_w *w, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		w->bad = 1;
	else
		wire_put_str(w, s, n, 2);
}

size_t
action_encode(const struct action *a, uint8_t *buf, size_t cap)
{
	struct wire_w w = { buf, 0, cap, 0 };

	if (a->kind < 1 || a->kind > ACT_KIND_MAX)
		return 0;
	wire_put(&w, ACTION_MAGIC, 4);
	wire_put_uint(&w, a->request, 8);
	wire_put_uint(&w, a->kind, 1);
	wire_put_uint(&w, (uint64_t)a->time, 8);
	wire_put_uint(&w, a->consent, 1);
	wire_put_uint(&w, a->mask, 1);
	wire_put_uint(&w, a->language, 1);
	wire_put_uint(&w, a->flags, 1);
	put_field(&w, a->event, sizeof(a->event));
	put_field(&w, a->user, sizeof(a->user));
	put_field(&w, a->reply, sizeof(a->reply));
	put_field(&w, a->code, sizeof(a->code));
	put_field(&w, a->token, sizeof(a->token));
	put_field(&w, a->address, sizeof(a->address));
	put_field(&w, a->client, sizeof(a->client));
	return w.bad ? 0 : w.len;
}

int
action_decode(const uint8_t *buf, size_t len, struct action *a)
{
	struct wire_r r = { buf, len, 0, 0 };

	memset(a, 0, sizeof(*a));
	if (len < 4 || memcmp(buf, ACTION_MAGIC, 4) != 0)
		return -1;
	r.off = 4;
	a->request = wire_get_uint(&r, 8);
	a->kind = (uint8_t)wire_get_uint(&r, 1);
	a->time = (int64_t)wire_get_uint(&r, 8);
	a->consent = (uint8_t)wire_get_uint(&r, 1);
	a->mask = (uint8_t)wire_get_uint(&r, 1);
	a->language = (uint8_t)wire_get_uint(&r, 1);
	a->flags = (uint8_t)wire_get_uint(&r, 1);
	wire_get_str(&r, a->event, sizeof(a->event));
	wire_get_str(&r, a->user, sizeof(a->user));
	wire_get_str(&r, a->reply, sizeof(a->reply));
	wire_get_str(&r, a->code, sizeof(a->code));
	wire_get_str(&r, a->token, sizeof(a->token));
	wire_get_str(&r, a->address, sizeof(a->address));
	wire_get_str(&r, a->client, sizeof(a->client));
	if (r.bad || r.off != len || a->kind < 1 || a->kind > ACT_KIND_MAX)
		return -1;
	return 0;
}

size_t
action_answer_encode(const struct action_answer *ans, uint8_t *buf, size_t cap)
{
	struct wire_w w = { buf, 0, cap, 0 };

	wire_put(&w, ANSWER_MAGIC, 4);
	wire_put_uint(&w, ans->request, 8);
	wire_put_uint(&w, ans->status, 1);
	wire_put_uint(&w, ans->contact, 1);
	wire_put_uint(&w, ans->consent, 1);
	wire_put_uint(&w, ans->language, 1);
	return w.bad ? 0 : w.len;
}

int
action_answer_decode(const uint8_t *buf, size_t len, struct action_answer *ans)
{
	struct wire_r r = { buf, len, 0, 0 };

	memset(ans, 0, sizeof(*ans));
	if (len != ACT_ANSWER_LEN || memcmp(buf, ANSWER_MAGIC, 4) != 0)
		return -1;
	r.off = 4;
	ans->request = wire_get_uint(&r, 8);
	ans->status = (uint8_t)wire_get_uint(&r, 1);
	ans->contact = (uint8_t)wire_get_uint(&r, 1);
	ans->consent = (uint8_t)wire_get_uint(&r, 1);
	ans->language = (uint8_t)wire_get_uint(&r, 1);
	if (r.bad || ans->status > ACT_STATUS_MAX ||
	    ans->contact > ACT_CONTACT_WITHDRAWN)
		return -1;
	return 0;
}

const char *
action_kind_name(int kind)
{
	static const char *const names[] = { "?", "follow", "unfollow", "code",
		"consent", "settings", "stop", "text", "manage-check",
		"unsubscribe", "manage-consent", "email-register",
		"confirm-check", "email-confirm" };

	return kind >= 1 && kind <= ACT_KIND_MAX ? names[kind] : "?";
}

const char *
action_status_name(int status)
{
	static const char *const names[] = { "ok", "duplicate", "bad code",
		"expired", "used", "no contact", "bad token", "unavailable",
		"malformed" };

	return status >= 0 && status <= ACT_STATUS_MAX ? names[status] : "?";
}
