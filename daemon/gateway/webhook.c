/* webhook.c - the LINE webhook: its signature, and its events as actions
 * (webhook.h)
 * SPDX-License-Identifier: MIT
 *
 * Owns: the signature check and the JSON reading of a webhook body.
 * Never touches: the network, the queue, the limits, the store; it keeps
 * nothing between calls and logs nothing (a resident's text is read,
 * classified and forgotten).
 */
#include "webhook.h"
#include "codes.h"
#include "job.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_LEN crypto_auth_hmacsha256_BYTES

int
webhook_verify(const uint8_t *secret, size_t slen, const char *sig,
    const uint8_t *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t want[SIG_LEN], got[SIG_LEN];
	size_t n = 0;
	int rc = -1;

	if (sig == NULL || secret == NULL || slen == 0)
		return -1;
	/* 32 bytes are 44 characters of Base64 with its padding */
	if (strlen(sig) != 44 || sodium_base642bin(got, sizeof(got), sig, 44,
	    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != SIG_LEN)
		return -1;
	crypto_auth_hmacsha256_init(&st, secret, slen);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, want);
	if (crypto_verify_32(want, got) == 0)
		rc = 0;
	sodium_memzero(&st, sizeof(st));
	return rc;
}

/* ---- text and postbacks ---------------------------------------------------- */

/* The ASCII form of a code a resident typed, maybe on a Japanese
 * keyboard: full-width letters and digits, dashes of every width and the
 * long-vowel mark (which IMEs give for '-'), the ideographic space.  0,
 * or -1 for any other character or too long a text. */
static int
code_ascii(const unsigned char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	unsigned cp;
	char c;

	while (i < n) {
		if (s[i] < 0x80) {
			c = (char)s[i++];
		} else if (i + 2 < n && (s[i] & 0xf0) == 0xe0) {
			cp = (unsigned)(s[i] & 0x0f) << 12 |
			    (unsigned)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
			i += 3;
			if ((cp >= 0xff10 && cp <= 0xff19) ||
			    (cp >= 0xff21 && cp <= 0xff3a) ||
			    (cp >= 0xff41 && cp <= 0xff5a))
				c = (char)(cp - 0xff00 + 0x20);
			else if (cp == 0xff0d || (cp >= 0x2010 && cp <= 0x2015) ||
			    cp == 0x2212 || cp == 0x30fc || cp == 0xff70)
				c = '-';
			else if (cp == 0x3000)
				c = ' ';
			else
				return -1;
		} else
			return -1;
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static int
ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/* Trim ASCII white space and U+3000 (E3 80 80) at both ends. */
static const char *
trim(const char *s, size_t *n)
{
	size_t len = *n;

	for (;;) {
		if (len > 0 && ascii_space((unsigned char)*s)) {
			s++, len--;
		} else if (len >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) {
			s += 3, len -= 3;
		} else
			break;
	}
	for (;;) {
		if (len > 0 && ascii_space((unsigned char)s[len - 1])) {
			len--;
		} else if (len >= 3 && memcmp(s + len - 3, "\xe3\x80\x80", 3) == 0) {
			len -= 3;
		} else
			break;
	}
	*n = len;
	return s;
}

static int
word(const char *s, size_t n, const char *w, int anycase)
{
	size_t wl = strlen(w);

	if (n != wl)
		return 0;
	return anycase ? strncasecmp(s, w, n) == 0 : memcmp(s, w, n) == 0;
}

void
webhook_text(const char *text, size_t len, struct action *a)
{
	char ascii[64], norm[CODE_LEN + 1];
	const char *s = trim(text, &len);

	a->code[0] = '\0';
	if (word(s, len, "設定", 0) || word(s, len, "settings", 1))
		a->kind = ACT_LINE_SETTINGS;
	else if (word(s, len, "配信停止", 0) || word(s, len, "stop", 1))
		a->kind = ACT_LINE_STOP;
	else if (code_ascii((const unsigned char *)s, len, ascii,
	    sizeof(ascii)) == 0 && code_normalize(ascii, norm) == 0) {
		a->kind = ACT_LINE_CODE;
		memcpy(a->code, norm, sizeof(norm));
	} else
		a->kind = ACT_LINE_TEXT;
}

int
webhook_postback(const char *d, struct action *a)
{
	a->consent = a->mask = a->language = 0;
	a->flags &= (uint8_t)~ACT_FLAG_LANGUAGE;
	if (strncmp(d, "cat=", 4) == 0 && d[4] >= '0' && d[4] <= '7' &&
	    d[5] == '\0') {
		a->kind = ACT_LINE_CONSENT;
		a->consent = (uint8_t)(d[4] - '0');
		a->mask = 7;
	} else if (strcmp(d, "tax=0") == 0 || strcmp(d, "tax=1") == 0) {
		a->kind = ACT_LINE_CONSENT;
		a->consent = d[4] == '1' ? 8 : 0;
		a->mask = 8;
	} else if (strcmp(d, "lang=ja") == 0 || strcmp(d, "lang=en") == 0) {
		a->kind = ACT_LINE_CONSENT;
		a->flags |= ACT_FLAG_LANGUAGE;
		a->language = d[6] == 'a' ? LANG_JA : LANG_EN;
	} else if (strcmp(d, "stop") == 0) {
		a->kind = ACT_LINE_STOP;
	} else if (strcmp(d, "settings") == 0) {
		a->kind = ACT_LINE_SETTINGS;
	} else
		return -1;
	return 0;
}

/* ---- the JSON ---------------------------------------------------------------- */

/* A string member of o with no NUL inside, 1..cap-1 bytes: it, or NULL. */
static const char *
str_member(json_t *o, const char *key, size_t cap)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n >= cap || strlen(s) != n)
		return NULL;
	return s;
}

/* LINE's user ids: U and 32 lowercase hex digits. */
static int
line_user(const char *s)
{
	if (s == NULL || s[0] != 'U' || strlen(s) != 33)
		return 0;
	for (int i = 1; i < 33; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Printable ASCII with no space (event ids, reply tokens). */
static int
token_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

/* What a message event asks: 1 with a->kind set, 0 ignored. */
static int
message_event(json_t *ev, struct action *a)
{
	json_t *m = json_object_get(ev, "message"), *t;

	if (!json_is_object(m) || !json_is_string(json_object_get(m, "type")) ||
	    strcmp(json_string_value(json_object_get(m, "type")), "text") != 0)
		return 0;
	t = json_object_get(m, "text");
	if (!json_is_string(t))
		return 0;
	webhook_text(json_string_value(t), json_string_length(t), a);
	return 1;
}

/* One event: 1 with *a filled, 0 ignored, or WEBHOOK_ESHAPE. */
static int
event(json_t *ev, struct action *a, int *redelivered)
{
	json_t *src, *ts, *dc, *v;
	const char *type, *user, *id, *reply;
	int kind;

	if (!json_is_object(ev) || !json_is_string(v = json_object_get(ev, "type")))
		return WEBHOOK_ESHAPE;
	type = json_string_value(v);
	if (strcmp(type, "follow") == 0)
		kind = ACT_LINE_FOLLOW;
	else if (strcmp(type, "unfollow") == 0)
		kind = ACT_LINE_UNFOLLOW;
	else if (strcmp(type, "message") == 0 || strcmp(type, "postback") == 0)
		kind = 0;	/* decided below */
	else
		return 0;
	src = json_object_get(ev, "source");
	if (!json_is_object(src))
		return WEBHOOK_ESHAPE;
	v = json_object_get(ev, "mode");
	if (json_is_string(v) && strcmp(json_string_value(v), "standby") == 0)
		return 0;	/* another channel answers the user (LINE's
				 * module channels): not ours to act on */
	v = json_object_get(src, "type");
	if (!json_is_string(v) || strcmp(json_string_value(v), "user") != 0)
		return 0;	/* a group or a room: not a resident's own */
	user = str_member(src, "userId", ACT_USER_MAX);
	id = str_member(ev, "webhookEventId", ACT_EVENT_MAX);
	ts = json_object_get(ev, "timestamp");
	if (!line_user(user) || id == NULL || !token_text(id) ||
	    !json_is_integer(ts) || json_integer_value(ts) < 0)
		return WEBHOOK_ESHAPE;
	reply = NULL;
	if ((v = json_object_get(ev, "replyToken")) != NULL &&
	    ((reply = str_member(ev, "replyToken", ACT_REPLY_MAX)) == NULL ||
	    !token_text(reply)))
		return WEBHOOK_ESHAPE;

	memset(a, 0, sizeof(*a));
	a->kind = (uint8_t)kind;
	if (strcmp(type, "message") == 0) {
		if (!message_event(ev, a))
			return 0;
	} else if (strcmp(type, "postback") == 0) {
		v = json_object_get(ev, "postback");
		if (!json_is_object(v) || (v = json_object_get(v, "data")) == NULL ||
		    !json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v) ||
		    webhook_postback(json_string_value(v), a) != 0)
			return 0;
	}
	a->time = (int64_t)json_integer_value(ts);
	memcpy(a->event, id, strlen(id) + 1);
	memcpy(a->user, user, strlen(user) + 1);
	if (reply != NULL && kind != ACT_LINE_UNFOLLOW)
		memcpy(a->reply, reply, strlen(reply) + 1);
	dc = json_object_get(ev, "deliveryContext");
	*redelivered = json_is_object(dc) &&
	    json_is_true(json_object_get(dc, "isRedelivery"));
	return 1;
}

int
webhook_parse(const void *body, size_t len, struct webhook_batch *b)
{
	json_error_t jerr;
	json_t *root, *events;
	size_t i, n;
	int rc = 0, r, redel;

	memset(b, 0, sizeof(*b));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return WEBHOOK_EJSON;
	events = json_object_get(root, "events");
	if (!json_is_object(root) || !json_is_array(events)) {
		rc = WEBHOOK_ESHAPE;
		goto done;
	}
	if ((n = json_array_size(events)) > WEBHOOK_MAX_EVENTS) {
		rc = WEBHOOK_ETOOMANY;
		goto done;
	}
	b->events = n;
	if (n > 0 && (b->act = calloc(n, sizeof(*b->act))) == NULL) {
		rc = WEBHOOK_ETOOMANY;
		goto done;
	}
	for (i = 0; i < n; i++) {
		redel = 0;
		r = event(json_array_get(events, i), &b->act[b->n], &redel);
		if (r < 0)
			b->malformed++;	/* skipped: the others still apply */
		else if (r == 0)
			b->ignored++;
		else {
			b->n++;
			b->redelivered += (size_t)redel;
		}
	}
done:
	json_decref(root);
	if (rc != 0)
		webhook_batch_free(b);
	return rc;
}

void
webhook_batch_free(struct webhook_batch *b)
{
	free(b->act);
	memset(b, 0, sizeof(*b));
}

const char *
webhook_strerror(int code)
{
	switch (code) {
	case 0: return "no error";
	case WEBHOOK_EJSON: return "the body is not JSON";
	case WEBHOOK_ESHAPE: return "the body is not a LINE webhook";
	case WEBHOOK_ETOOMANY: return "too many events";
	default: return "unknown error";
	}
}
