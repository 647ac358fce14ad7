/* lineemu_residents.c - oshirase-line-emulator: the residents it plays
 * SPDX-License-Identifier: MIT
 *
 * Scripted LINE users: a test asks the emulator (POST /emulator/follow,
 * text, postback, unfollow, redeliver, raw) to make a user act, and the
 * emulator builds the webhook body LINE would send, signs it with the
 * channel secret (X-Line-Signature: base64 HMAC-SHA256 of the raw body,
 * the secret's text as key) and POSTs it to --webhook with libcurl,
 * answering the control call with the webhook's HTTP status.  Events
 * that LINE gives a reply token (follow, message, postback) get one; the
 * tokens are single use and live --reply-token-ttl seconds (60), and
 * POST /v2/bot/message/reply takes them as LINE does (without --webhook
 * it issues none and takes any, for the senders' tests).  Replies are
 * recorded (--record) and kept per user (GET /emulator/replies?user=U...).  A user who unfollowed has
 * blocked the account: a push to them is answered 200, not delivered and
 * counted as "unfollowed_dropped", until they follow again.
 *
 * A control call waits for the webhook's answer in the server thread
 * that serves it (at most 10 s); the webhook never waits for the
 * emulator, so this cannot deadlock, and tests make one call at a time.
 * The residents have their own mutex (struct residents), never held
 * with emu.mu nor during the POST.
 */
#include "lineemu.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RS_HOOK_TIMEOUT 10		/* seconds a webhook may take */
#define RS_ANSWER_MAX 4096		/* of the webhook's answer kept */
#define RS_QR_ITEMS 13
#define RS_QR_LABEL 20
#define RS_QR_DATA 300
#define RS_TEXT_MAX 5000		/* a resident's text, UTF-16 units */

enum { RS_NEW, RS_FOLLOWING, RS_UNFOLLOWED };

struct resident {
	uint8_t id[16];
	int state;
	json_t *last;			/* the last event sent, for redelivery */
	json_t *replies;		/* what the replies to them held */
};

struct rtoken {
	uint8_t tok[16];
	uint8_t user[16];
	int64_t at;			/* issued, monotonic ns */
	uint8_t used, live;
};

/* ---- setting up --------------------------------------------------------- */

int
emu_residents_init(struct residents *rs, const char *webhook,
    const char *secret_path, uint64_t ttl)
{
	uint8_t h[16];
	int rc;

	memset(rs, 0, sizeof(*rs));
	pthread_mutex_init(&rs->mu, NULL);
	randombytes_buf(rs->hkey, sizeof(rs->hkey));
	rs->token_ttl = (int64_t)ttl * LE_NS;
	rs->next_msg_id = 500000000000000000ULL +
	    (uint64_t)(time(NULL) % 400000000) * 1000000000ULL;
	if (secret_path != NULL && (rc = emu_secret_load("--channel-secret",
	    secret_path, &rs->secret, &rs->secret_len)) != 0)
		return rc;
	/* the bot's user id: fixed for a channel, as LINE's is */
	crypto_generichash(h, sizeof(h), (const uint8_t *)rs->secret,
	    rs->secret_len, NULL, 0);
	rs->destination[0] = 'U';
	hex_encode(h, sizeof(h), rs->destination + 1);
	if (webhook != NULL) {
		if (strncmp(webhook, "http://", 7) != 0 &&
		    strncmp(webhook, "https://", 8) != 0) {
			log_warnx("line-emulator: --webhook %s: not an http:// "
			    "or https:// URL", webhook);
			return EXIT_USAGE;
		}
		rs->webhook = xstrdup(webhook);
	}
	return 0;
}

void
emu_residents_free(struct residents *rs)
{
	for (size_t i = 0; i < rs->cap; i++)
		if (rs->tab[i] != NULL) {
			json_decref(rs->tab[i]->last);
			json_decref(rs->tab[i]->replies);
			free(rs->tab[i]);
		}
	free(rs->tab);
	free(rs->tok);
	free(rs->webhook);
	sodium_free(rs->secret);
	pthread_mutex_destroy(&rs->mu);
}

/* ---- the tables ----------------------------------------------------------- */

static size_t
user_slot(const struct residents *rs, const uint8_t id[16])
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, id, 16, rs->hkey);
	return (size_t)(util_le_get(h, 8) & (rs->cap - 1));
}

/* The resident of id, or NULL; rs->mu held. */
static struct resident *
user_get(const struct residents *rs, const uint8_t id[16])
{
	if (rs->cap == 0)
		return NULL;
	for (size_t i = user_slot(rs, id);; i = (i + 1) & (rs->cap - 1)) {
		if (rs->tab[i] == NULL)
			return NULL;
		if (memcmp(rs->tab[i]->id, id, 16) == 0)
			return rs->tab[i];
	}
}

static void
user_place(struct residents *rs, struct resident *u)
{
	size_t i;

	for (i = user_slot(rs, u->id); rs->tab[i] != NULL; i = (i + 1) & (rs->cap - 1))
		;
	rs->tab[i] = u;
}

/* The resident of id, made if new; rs->mu held. */
static struct resident *
user_make(struct residents *rs, const uint8_t id[16])
{
	struct resident *u = user_get(rs, id);

	if (u != NULL)
		return u;
	if ((rs->n + 1) * 2 > rs->cap) {
		struct resident **old = rs->tab;
		size_t oldcap = rs->cap;

		rs->cap = oldcap ? oldcap * 2 : 64;
		rs->tab = xcalloc(rs->cap, sizeof(*rs->tab));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				user_place(rs, old[i]);
		free(old);
	}
	u = xcalloc(1, sizeof(*u));
	memcpy(u->id, id, 16);
	u->replies = json_array();
	user_place(rs, u);
	rs->n++;
	return u;
}

static size_t
tok_slot(const struct residents *rs, const uint8_t tok[16])
{
	return (size_t)(util_le_get(tok, 8) & (rs->tcap - 1));	/* random */
}

static int
tok_live(const struct residents *rs, const struct rtoken *t, int64_t now)
{
	return t->live && !t->used && now - t->at < rs->token_ttl;
}

static void
tok_place(struct residents *rs, const struct rtoken *t)
{
	size_t i;

	for (i = tok_slot(rs, t->tok); rs->tok[i].live; i = (i + 1) & (rs->tcap - 1))
		;
	rs->tok[i] = *t;
	rs->tused++;
}

/* A new reply token for user, its text in out; rs->mu held.  Used and
 * expired tokens go when the table is rebuilt. */
static void
tok_issue(struct residents *rs, const uint8_t user[16], char out[33])
{
	struct rtoken t;
	int64_t now = emu_now_ns();

	if ((rs->tused + 1) * 2 > rs->tcap) {
		struct rtoken *old = rs->tok;
		size_t oldcap = rs->tcap, live = 0;

		for (size_t i = 0; i < oldcap; i++)
			live += tok_live(rs, &old[i], now);
		for (rs->tcap = 64; rs->tcap < (live + 1) * 4; rs->tcap *= 2)
			;
		rs->tok = xcalloc(rs->tcap, sizeof(*rs->tok));
		rs->tused = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (tok_live(rs, &old[i], now))
				tok_place(rs, &old[i]);
		free(old);
	}
	memset(&t, 0, sizeof(t));
	randombytes_buf(t.tok, sizeof(t.tok));
	memcpy(t.user, user, 16);
	t.at = now;
	t.live = 1;
	tok_place(rs, &t);
	hex_encode(t.tok, 16, out);
	out[32] = '\0';
}

/* Use the token: its user in user and 1, or 0 if it is unknown, used or
 * expired; rs->mu held. */
static int
tok_use(struct residents *rs, const uint8_t tok[16], uint8_t user[16])
{
	if (rs->tcap == 0)
		return 0;
	for (size_t i = tok_slot(rs, tok);; i = (i + 1) & (rs->tcap - 1)) {
		struct rtoken *t = &rs->tok[i];

		if (!t->live)
			return 0;
		if (memcmp(t->tok, tok, 16) != 0)
			continue;
		if (!tok_live(rs, t, emu_now_ns()))
			return 0;
		t->used = 1;
		memcpy(user, t->user, 16);
		return 1;
	}
}

/* Give back a token used by a reply that then failed; rs->mu held. */
static void
tok_unuse(struct residents *rs, const uint8_t tok[16])
{
	if (rs->tcap == 0)
		return;
	for (size_t i = tok_slot(rs, tok); rs->tok[i].live;
	    i = (i + 1) & (rs->tcap - 1))
		if (memcmp(rs->tok[i].tok, tok, 16) == 0) {
			rs->tok[i].used = 0;
			return;
		}
}

/* ---- pushes and stats ------------------------------------------------------ */

int
emu_resident_unfollowed(struct residents *rs, const uint8_t id[16])
{
	const struct resident *u;
	int unf;

	pthread_mutex_lock(&rs->mu);
	u = user_get(rs, id);
	unf = u != NULL && u->state == RS_UNFOLLOWED;
	pthread_mutex_unlock(&rs->mu);
	return unf;
}

void
emu_residents_dropped(struct residents *rs, unsigned n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&rs->mu);
	rs->unfollowed_dropped += n;
	pthread_mutex_unlock(&rs->mu);
}

void
emu_residents_stats(struct residents *rs, json_t *o)
{
	pthread_mutex_lock(&rs->mu);
	json_object_set_new(o, "webhooks", json_integer((json_int_t)rs->webhooks));
	json_object_set_new(o, "webhook_errors",
	    json_integer((json_int_t)rs->webhook_errors));
	json_object_set_new(o, "replies", json_integer((json_int_t)rs->replies));
	json_object_set_new(o, "reply_invalid",
	    json_integer((json_int_t)rs->reply_invalid));
	json_object_set_new(o, "unfollowed_dropped",
	    json_integer((json_int_t)rs->unfollowed_dropped));
	pthread_mutex_unlock(&rs->mu);
}

/* ---- the reply endpoint ---------------------------------------------------- */

/* A string field of at most max UTF-16 units (min 1 if required). */
static void
check_str(json_t *details, const json_t *v, int required, size_t max,
    const char *prop)
{
	char msg[64];

	if (v == NULL || json_is_null(v)) {
		if (required)
			emu_detail(details, "May not be empty", "%s", prop);
	} else if (!json_is_string(v))
		emu_detail(details, "Must be a string", "%s", prop);
	else if (required && json_string_length(v) == 0)
		emu_detail(details, "May not be empty", "%s", prop);
	else if (util_utf16_units(json_string_value(v), json_string_length(v)) > max) {
		snprintf(msg, sizeof(msg), "Length must be at most %zu", max);
		emu_detail(details, msg, "%s", prop);
	}
}

static void
check_action(json_t *details, const json_t *a, const char *prop)
{
	char p[80];
	const json_t *type = json_object_get(a, "type");
	const char *ts = json_is_string(type) ? json_string_value(type) : "";

	if (!json_is_object(a)) {
		emu_detail(details, "May not be empty", "%s", prop);
		return;
	}
	snprintf(p, sizeof(p), "%s.label", prop);
	check_str(details, json_object_get(a, "label"), 1, RS_QR_LABEL, p);
	if (strcmp(ts, "postback") == 0) {
		snprintf(p, sizeof(p), "%s.data", prop);
		check_str(details, json_object_get(a, "data"), 1, RS_QR_DATA, p);
		snprintf(p, sizeof(p), "%s.displayText", prop);
		check_str(details, json_object_get(a, "displayText"), 0, 300, p);
	} else if (strcmp(ts, "message") == 0) {
		snprintf(p, sizeof(p), "%s.text", prop);
		check_str(details, json_object_get(a, "text"), 1, 300, p);
	} else
		emu_detail(details, "Not supported by the emulator: only "
		    "postback and message actions", "%s.type", prop);
}

void
emu_check_quick_reply(json_t *details, const json_t *qr, size_t i)
{
	const json_t *items;
	char prop[64];

	if (qr == NULL)
		return;
	items = json_object_get(qr, "items");
	if (!json_is_array(items)) {
		emu_detail(details, "Must be an array",
		    "messages[%zu].quickReply.items", i);
		return;
	}
	if (json_array_size(items) < 1 || json_array_size(items) > RS_QR_ITEMS) {
		emu_detail(details, "Size must be between 1 and 13",
		    "messages[%zu].quickReply.items", i);
		return;
	}
	for (size_t j = 0; j < json_array_size(items); j++) {
		const json_t *it = json_array_get(items, j);
		const json_t *type = json_object_get(it, "type");

		if (!json_is_string(type) ||
		    strcmp(json_string_value(type), "action") != 0) {
			emu_detail(details, "Must be one of the following values: "
			    "[action]", "messages[%zu].quickReply.items[%zu].type",
			    i, j);
			continue;
		}
		snprintf(prop, sizeof(prop),
		    "messages[%zu].quickReply.items[%zu].action", i, j);
		check_action(details, json_object_get(it, "action"), prop);
	}
}

/* What a reply held, as /emulator/replies shows it. */
static json_t *
reply_record(const char *token, const json_t *msgs, int delivered)
{
	json_t *texts = json_array(), *items = json_array();

	for (size_t i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);
		const json_t *qi = json_object_get(json_object_get(m,
		    "quickReply"), "items");

		json_array_append(texts, json_object_get(m, "text"));
		for (size_t j = 0; j < json_array_size(qi); j++) {
			const json_t *a = json_object_get(json_array_get(qi, j),
			    "action");

			json_array_append_new(items, json_pack("{s:O?,s:O?,s:O?,s:O?}",
			    "type", json_object_get(a, "type"),
			    "label", json_object_get(a, "label"),
			    "data", json_object_get(a, "data"),
			    "displayText", json_object_get(a, "displayText")));
		}
	}
	return json_pack("{s:s,s:b,s:o,s:o,s:O}", "replyToken", token,
	    "delivered", delivered, "texts", texts, "quickReply", items,
	    "messages", msgs);
}

/* The --record line of a reply (malloc'ed; NULL without --record):
 * the texts, and the last message's quick reply items as the senders'
 * tests read them ({label, data, text: its displayText}). */
static char *
reply_line(const struct emu *e, const struct req *r, const json_t *root,
    const char *to, int delivered)
{
	const json_t *msgs = json_object_get(root, "messages");
	const json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
	const json_t *qi = json_object_get(json_object_get(last, "quickReply"),
	    "items");
	json_t *texts = json_array(), *items = json_array(), *o;
	char *line;

	if (e->record == NULL) {
		json_decref(texts);
		json_decref(items);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(msgs); i++)
		json_array_append(texts, json_object_get(json_array_get(msgs, i),
		    "text"));
	for (size_t j = 0; j < json_array_size(qi); j++) {
		const json_t *a = json_object_get(json_array_get(qi, j), "action");

		json_array_append_new(items, json_pack("{s:O?,s:O?,s:O?}",
		    "label", json_object_get(a, "label"),
		    "data", json_object_get(a, "data"),
		    "text", json_object_get(a, "displayText")));
	}
	o = json_pack("{s:i,s:s,s:s,s:O,s:o,s:o,s:b,s:s?}", "v",
	    LINEEMU_RECORD_VERSION, "request_id", r->id, "endpoint", "reply",
	    "reply_token", json_object_get(root, "replyToken"),
	    "messages", texts, "quick_reply", items, "delivered", delivered,
	    "to", to);
	if (o == NULL || (line = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("line-emulator: cannot format a record line");
	json_decref(o);
	return line;
}

/* The reply's body errors as LINE's 400, or NULL if it is valid. */
static json_t *
reply_errors(const json_t *root)
{
	const json_t *nd = json_object_get(root, "notificationDisabled");
	json_t *details = json_array();
	char msg[64];

	check_str(details, json_object_get(root, "replyToken"), 1, 1000,
	    "replyToken");
	emu_check_messages(details, json_object_get(root, "messages"));
	if (nd != NULL && !json_is_boolean(nd))
		emu_detail(details, "Must be a boolean", "notificationDisabled");
	if (json_array_size(details) == 0) {
		json_decref(details);
		return NULL;
	}
	snprintf(msg, sizeof(msg), "The request body has %zu error(s)",
	    json_array_size(details));
	return json_pack("{s:s,s:o}", "message", msg, "details", details);
}

/* Take the reply's token: 1 with its user's id in uid ("" if none is
 * known), or 0 if it is not one to take.  Playing residents (--webhook),
 * only a token issued with an event, unused and not expired; otherwise
 * the emulator issues none and takes any (the senders' tests). */
static int
reply_take(struct residents *rs, const char *t, size_t len, uint8_t tok[16],
    char uid[LE_UID_LEN + 1])
{
	struct resident *u;
	uint8_t user[16];

	uid[0] = '\0';
	if (rs->webhook == NULL)
		return 1;
	if (len != 32 || hex_decode(t, 32, tok, 16) != 0)
		return 0;
	if (!tok_use(rs, tok, user))
		return 0;
	u = user_make(rs, user);
	uid[0] = 'U';
	hex_encode(user, 16, uid + 1);
	uid[LE_UID_LEN] = '\0';
	return u->state == RS_UNFOLLOWED ? 2 : 1;
}

enum MHD_Result
emu_reply_api(struct emu *e, struct MHD_Connection *conn,
    const struct req *r, const json_t *root)
{
	struct residents *rs = &e->rs;
	const json_t *tokv = json_object_get(root, "replyToken");
	const json_t *msgs = json_object_get(root, "messages");
	json_t *err;
	uint8_t tok[16], id[16];
	char uid[LE_UID_LEN + 1], *line;
	uint64_t first;
	unsigned nmsg = (unsigned)json_array_size(msgs);
	int took, bad = 0;

	if ((err = reply_errors(root)) != NULL)
		return emu_reply(conn, r, 400, err, NULL);
	pthread_mutex_lock(&rs->mu);
	took = reply_take(rs, json_string_value(tokv), json_string_length(tokv),
	    tok, uid);
	if (!took)
		rs->reply_invalid++;
	pthread_mutex_unlock(&rs->mu);
	if (!took)
		return emu_reply_msg(conn, r, 400, "Invalid reply token");

	line = reply_line(e, r, root, uid[0] ? uid : NULL, took == 1);
	pthread_mutex_lock(&e->mu);
	if (line != NULL && (fprintf(e->record, "%s\n", line) < 0 ||
	    fflush(e->record) != 0)) {
		e->st.record_errors++;
		bad = 1;
	} else {
		e->st.accepted++;
		e->st.delivered += took == 1;
	}
	first = e->next_msg_id;
	e->next_msg_id += nmsg;
	pthread_mutex_unlock(&e->mu);
	free(line);

	pthread_mutex_lock(&rs->mu);
	if (bad && uid[0])
		tok_unuse(rs, tok);
	else if (!bad) {
		rs->replies++;
		if (uid[0]) {
			emu_uid_parse(uid, LE_UID_LEN, id);
			json_array_append_new(user_make(rs, id)->replies,
			    reply_record(json_string_value(tokv), msgs, took == 1));
		}
		rs->unfollowed_dropped += took == 2;
	}
	pthread_mutex_unlock(&rs->mu);
	if (bad) {
		log_warn("line-emulator: %s: cannot write the record", r->id);
		return emu_reply_msg(conn, r, 500, "%s", LE_MSG_INTERNAL);
	}
	return emu_reply(conn, r, 200, json_pack("{s:o}", "sentMessages",
	    emu_sent_messages(e, first, nmsg)), NULL);
}

/* ---- webhook events ---------------------------------------------------------- */

/* A ULID: 48 bits of Unix milliseconds and 80 random bits, in 26
 * characters of Crockford's base32. */
static void
ulid_new(int64_t ms, char out[27])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t b[16];

	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)((uint64_t)ms >> (8 * (5 - i)));
	randombytes_buf(b + 6, 10);
	/* 130 bits with 2 leading zeros: character k is bits 5k-2 .. 5k+2 */
	for (int k = 0; k < 26; k++) {
		unsigned v = 0;

		for (int bit = 5 * k - 2; bit < 5 * k + 3; bit++)
			v = v << 1 | (bit < 0 ? 0u :
			    (unsigned)(b[bit / 8] >> (7 - bit % 8)) & 1u);
		out[k] = b32[v];
	}
	out[26] = '\0';
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The fields every event has, and a reply token (its text in tok) if
 * with_token; rs->mu held. */
static json_t *
event_new(struct residents *rs, const char *type, const char *uid,
    const uint8_t id[16], int with_token, char tok[33])
{
	char eid[27];
	int64_t ms = now_ms();
	json_t *ev;

	ulid_new(ms, eid);
	ev = json_pack("{s:s,s:s,s:I,s:{s:s,s:s},s:s,s:{s:b}}",
	    "type", type, "mode", "active", "timestamp", (json_int_t)ms,
	    "source", "type", "user", "userId", uid,
	    "webhookEventId", eid, "deliveryContext", "isRedelivery", 0);
	tok[0] = '\0';
	if (with_token) {
		tok_issue(rs, id, tok);
		json_object_set_new(ev, "replyToken", json_string(tok));
	}
	return ev;
}

/* A text message's fields: id, type, quoteToken, text; rs->mu held. */
static json_t *
text_message(struct residents *rs, const char *text)
{
	uint8_t q[24];
	char id[24], qt[40];

	snprintf(id, sizeof(id), "%" PRIu64, rs->next_msg_id++);
	randombytes_buf(q, sizeof(q));
	sodium_bin2base64(qt, sizeof(qt), q, sizeof(q),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return json_pack("{s:s,s:s,s:s,s:s}", "id", id, "type", "text",
	    "quoteToken", qt, "text", text);
}

/* base64 HMAC-SHA256 of body, the key the secret (plus extra, to forge). */
static void
sign(const struct residents *rs, const char *body, size_t len,
    const char *extra, char out[64])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	uint8_t *key = sodium_malloc(rs->secret_len + 8);
	size_t klen = rs->secret_len;

	if (key == NULL)
		fatalx("line-emulator: sodium_malloc failed");
	memcpy(key, rs->secret, klen);
	if (extra != NULL) {
		memcpy(key + klen, extra, strlen(extra));
		klen += strlen(extra);
	}
	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_free(key);
	sodium_bin2base64(out, 64, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
}

struct answer {
	char buf[RS_ANSWER_MAX];
	size_t len;
};

static size_t
on_answer(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t k = size * n, room = sizeof(a->buf) - 1 - a->len;

	memcpy(a->buf + a->len, p, k < room ? k : room);
	a->len += k < room ? k : room;
	a->buf[a->len] = '\0';
	return size * n;
}

/* POST body to the webhook with X-Line-Signature sig (NULL: none): its
 * HTTP status, or 0 with the reason in a->buf. */
static long
post_webhook(struct residents *rs, const char *body, size_t len,
    const char *sig, struct answer *a)
{
	struct curl_slist *h = NULL;
	char hdr[96];
	CURL *c;
	CURLcode cc;
	long status = 0;

	memset(a, 0, sizeof(*a));
	if ((c = curl_easy_init()) == NULL) {
		snprintf(a->buf, sizeof(a->buf), "curl_easy_init failed");
		return 0;
	}
	h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
	h = curl_slist_append(h, "User-Agent: LineBotWebhook/2.0");
	h = curl_slist_append(h, "Expect:");
	if (sig != NULL) {
		snprintf(hdr, sizeof(hdr), "X-Line-Signature: %s", sig);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, rs->webhook);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)RS_HOOK_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	if ((cc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(a->buf, sizeof(a->buf), "%s", curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	pthread_mutex_lock(&rs->mu);
	rs->webhooks++;
	if (status < 200 || status > 299)
		rs->webhook_errors++;
	pthread_mutex_unlock(&rs->mu);
	if (status != 0)
		log_debug("line-emulator: webhook -> %ld", status);
	else
		log_warnx("line-emulator: webhook: %s", a->buf);
	return status;
}

/* Answer a control call with the webhook's status (502 if it gave none)
 * and what was sent. */
static enum MHD_Result
answer_hook(struct MHD_Connection *conn, const struct req *r, long status,
    const struct answer *a, const char *eid, const char *tok)
{
	json_t *o = json_pack("{s:I,s:s?,s:s?,s:s}", "status", (json_int_t)status,
	    "webhookEventId", eid, "replyToken", tok && *tok ? tok : NULL,
	    status != 0 ? "answer" : "message", a->buf);

	return emu_reply(conn, r, status >= 100 && status <= 599 ?
	    (unsigned)status : 502, o, NULL);
}

/* POST the events in a body to the webhook, signed. */
static enum MHD_Result
send_event(struct residents *rs, struct MHD_Connection *conn,
    const struct req *r, json_t *ev, const char *tok)
{
	json_t *body = json_pack("{s:s,s:[O]}", "destination", rs->destination,
	    "events", ev);
	char *text = json_dumps(body, JSON_COMPACT);
	char sig[64], eid[27];
	struct answer a;
	long status;

	json_decref(body);
	if (text == NULL)
		fatalx("line-emulator: cannot format a webhook body");
	snprintf(eid, sizeof(eid), "%s", json_string_value(json_object_get(ev,
	    "webhookEventId")));
	json_decref(ev);
	sign(rs, text, strlen(text), NULL, sig);
	status = post_webhook(rs, text, strlen(text), sig, &a);
	free(text);
	return answer_hook(conn, r, status, &a, eid, tok);
}

/* POST /emulator/raw[?signature=valid|none|forged|other-body|VALUE]: the
 * body as it came, with that signature (default valid). */
static enum MHD_Result
post_raw(struct residents *rs, struct MHD_Connection *conn,
    const struct req *r)
{
	const char *how = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "signature");
	const char *body = r->body != NULL ? r->body : "";
	char sig[64];
	struct answer a;
	long status;

	if (how == NULL || strcmp(how, "valid") == 0)
		sign(rs, body, r->len, NULL, sig);
	else if (strcmp(how, "forged") == 0)
		sign(rs, body, r->len, "forged", sig);
	else if (strcmp(how, "other-body") == 0) {
		char *other = xmalloc(r->len + 1);

		memcpy(other, body, r->len);
		other[r->len] = ' ';
		sign(rs, other, r->len + 1, NULL, sig);
		free(other);
	} else if (strcmp(how, "none") != 0)
		snprintf(sig, sizeof(sig), "%.63s", how);
	status = post_webhook(rs, body, r->len,
	    how != NULL && strcmp(how, "none") == 0 ? NULL : sig, &a);
	return answer_hook(conn, r, status, &a, NULL, NULL);
}

/* GET /emulator/replies?user=U...: what the replies to them held. */
static enum MHD_Result
get_replies(struct residents *rs, struct MHD_Connection *conn,
    const struct req *r)
{
	const char *uid = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "user");
	const struct resident *u;
	uint8_t id[16];
	json_t *list;

	if (uid == NULL || emu_uid_parse(uid, strlen(uid), id) < 0)
		return emu_reply_msg(conn, r, 400, "replies: user=U... (U and "
		    "32 lowercase hex digits) is needed");
	pthread_mutex_lock(&rs->mu);
	u = user_get(rs, id);
	list = u != NULL ? json_deep_copy(u->replies) : json_array();
	pthread_mutex_unlock(&rs->mu);
	return emu_reply(conn, r, 200, json_pack("{s:s,s:o}", "user", uid,
	    "replies", list), NULL);
}

/* NULL, with the status and message to refuse an action with. */
static json_t *
refuse(unsigned *status, const char **why, unsigned st, const char *msg)
{
	*status = st;
	*why = msg;
	return NULL;
}

/* The event a resident's action makes, or NULL with the status and
 * message to refuse it with; rs->mu held. */
static json_t *
act(struct residents *rs, const char *verb, const json_t *in, const char *uid,
    const uint8_t id[16], char tok[33], unsigned *status, const char **why)
{
	struct resident *u = user_make(rs, id);
	const json_t *text = json_object_get(in, "text");
	const json_t *data = json_object_get(in, "data");
	json_t *ev;

	tok[0] = '\0';
	if (strcmp(verb, "redeliver") == 0) {
		if (u->last == NULL)
			return refuse(status, why, 404, "no event of this user yet");
		ev = json_deep_copy(u->last);
		json_object_set_new(ev, "deliveryContext",
		    json_pack("{s:b}", "isRedelivery", 1));
		if (json_is_string(json_object_get(ev, "replyToken")))
			snprintf(tok, 33, "%s", json_string_value(
			    json_object_get(ev, "replyToken")));
		return ev;
	}
	if (strcmp(verb, "follow") == 0) {
		ev = event_new(rs, "follow", uid, id, 1, tok);
		json_object_set_new(ev, "follow", json_pack("{s:b}",
		    "isUnblocked", u->state == RS_UNFOLLOWED));
		u->state = RS_FOLLOWING;
	} else if (strcmp(verb, "unfollow") == 0) {
		ev = event_new(rs, "unfollow", uid, id, 0, tok);
		u->state = RS_UNFOLLOWED;
	} else if (u->state == RS_UNFOLLOWED)
		return refuse(status, why, 409, "this user has unfollowed "
		    "(blocked) the account: follow first");
	else if (strcmp(verb, "text") == 0) {
		if (!json_is_string(text) || json_string_length(text) == 0 ||
		    util_utf16_units(json_string_value(text),
		    json_string_length(text)) > RS_TEXT_MAX)
			return refuse(status, why, 400, "text: a string of 1 to "
			    "5000 UTF-16 units is needed");
		ev = event_new(rs, "message", uid, id, 1, tok);
		json_object_set_new(ev, "message", text_message(rs,
		    json_string_value(text)));
	} else {
		if (!json_is_string(data) || json_string_length(data) > RS_QR_DATA)
			return refuse(status, why, 400, "data: a string of at "
			    "most 300 bytes is needed");
		ev = event_new(rs, "postback", uid, id, 1, tok);
		json_object_set_new(ev, "postback", json_pack("{s:O}", "data",
		    data));
	}
	json_decref(u->last);
	u->last = json_deep_copy(ev);
	return ev;
}

enum MHD_Result
emu_residents_control(struct emu *e, struct MHD_Connection *conn,
    const struct req *r, const char *method, const char *url)
{
	struct residents *rs = &e->rs;
	const char *verb = url + strlen("/emulator/"), *why = NULL, *uid;
	unsigned status = 0;
	char tok[33];
	uint8_t id[16];
	json_error_t jerr;
	json_t *in, *ev;

	if (strcmp(method, "GET") == 0)
		return get_replies(rs, conn, r);
	if (rs->webhook == NULL || rs->secret == NULL)
		return emu_reply_msg(conn, r, 503, "no --webhook and "
		    "--channel-secret: nowhere to send events");
	if (strcmp(verb, "raw") == 0)
		return post_raw(rs, conn, r);
	in = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &jerr);
	uid = json_string_value(json_object_get(in, "user"));
	if (uid == NULL || emu_uid_parse(uid, strlen(uid), id) < 0) {
		json_decref(in);
		return emu_reply_msg(conn, r, 400, "%s: a JSON object with "
		    "\"user\": U and 32 lowercase hex digits is needed", verb);
	}
	pthread_mutex_lock(&rs->mu);
	ev = act(rs, verb, in, uid, id, tok, &status, &why);
	pthread_mutex_unlock(&rs->mu);
	json_decref(in);
	if (ev == NULL)
		return emu_reply_msg(conn, r, status, "%s", why);
	return send_event(rs, conn, r, ev, tok);
}
