/* lineemu_api.c - oshirase-line-emulator: push, multicast, reply and quota
 * SPDX-License-Identifier: MIT
 *
 * LINE's endpoints, the checks in the order lineemu.c's top comment gives:
 * the rate limit and injected faults, the token, the retry key, the
 * Content-Type and size, the body (JSON, then each field, as LINE's
 * details), the recipients; then under the mutex the retry key again,
 * the monthly quota, the record line and acceptance.  Message ids come
 * from a counter, quote tokens are a keyed hash of them.
 */
#include "lineemu.h"
#include "log.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
quote_token(const struct emu *e, uint64_t id, char *out, size_t outlen)
{
	uint8_t in[8], h[24];

	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(id >> (8 * i));
	crypto_generichash(h, sizeof(h), in, sizeof(in), e->qt_key,
	    sizeof(e->qt_key));
	sodium_bin2base64(out, outlen, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

json_t *
emu_sent_messages(const struct emu *e, uint64_t first, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		char id[24], qt[64];

		snprintf(id, sizeof(id), "%" PRIu64, first + i);
		quote_token(e, first + i, qt, sizeof(qt));
		json_array_append_new(a, json_pack("{s:s,s:s}", "id", id,
		    "quoteToken", qt));
	}
	return a;
}

/* ---- request bodies --------------------------------------------------------- */

void
emu_detail(json_t *details, const char *msg, const char *fmt, ...)
{
	char prop[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prop, sizeof(prop), fmt, ap);
	va_end(ap);
	json_array_append_new(details, json_pack("{s:s,s:s}", "message", msg,
	    "property", prop));
}

static void
check_user_id(json_t *details, const json_t *v, const char *prop)
{
	uint8_t id[16];

	if (v == NULL || json_is_null(v))
		emu_detail(details, "May not be empty", "%s", prop);
	else if (!json_is_string(v))
		emu_detail(details, "Must be a string", "%s", prop);
	else if (emu_uid_parse(json_string_value(v), json_string_length(v), id) < 0)
		emu_detail(details, "Invalid user ID: must be U followed by 32 "
		    "lowercase hexadecimal digits", "%s", prop);
}

void
emu_check_messages(json_t *details, const json_t *msgs)
{
	static const char *const other_types[] = { "image", "video", "audio",
	    "location", "sticker", "template", "imagemap", "flex" };
	size_t n;

	if (msgs == NULL || json_is_null(msgs)) {
		emu_detail(details, "May not be empty", "messages");
		return;
	}
	if (!json_is_array(msgs)) {
		emu_detail(details, "Must be an array", "messages");
		return;
	}
	n = json_array_size(msgs);
	if (n < 1 || n > LE_MAX_MESSAGES) {
		emu_detail(details, "Size must be between 1 and 5", "messages");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(msgs, i), *type, *text;
		const char *ts;
		size_t k;

		if (!json_is_object(m)) {
			emu_detail(details, "Must be an object", "messages[%zu]", i);
			continue;
		}
		type = json_object_get(m, "type");
		if (type == NULL || json_is_null(type)) {
			emu_detail(details, "May not be empty", "messages[%zu].type", i);
			continue;
		}
		ts = json_is_string(type) ? json_string_value(type) : "";
		if (strcmp(ts, "text") != 0) {
			for (k = 0; k < sizeof(other_types) / sizeof(other_types[0]); k++)
				if (strcmp(ts, other_types[k]) == 0)
					break;
			emu_detail(details, k < sizeof(other_types) / sizeof(other_types[0]) ?
			    "Not supported by the emulator: only text messages" :
			    "Must be one of the following values: [text, image, "
			    "video, audio, location, sticker, template, imagemap, "
			    "flex]", "messages[%zu].type", i);
			continue;
		}
		text = json_object_get(m, "text");
		if (text == NULL || json_is_null(text) ||
		    (json_is_string(text) && json_string_length(text) == 0))
			emu_detail(details, "May not be empty", "messages[%zu].text", i);
		else if (!json_is_string(text))
			emu_detail(details, "Must be a string", "messages[%zu].text", i);
		else if (util_utf16_units(json_string_value(text),
		    json_string_length(text)) > LE_MAX_TEXT_UNITS)
			emu_detail(details, "Length must be at most 5000 UTF-16 code "
			    "units", "messages[%zu].text", i);
		emu_check_quick_reply(details, json_object_get(m, "quickReply"), i);
	}
}

static void
check_options(json_t *details, const json_t *root)
{
	const json_t *nd = json_object_get(root, "notificationDisabled");
	const json_t *cau = json_object_get(root, "customAggregationUnits");

	if (nd != NULL && !json_is_boolean(nd))
		emu_detail(details, "Must be a boolean", "notificationDisabled");
	if (cau == NULL)
		return;
	if (!json_is_array(cau)) {
		emu_detail(details, "Must be an array", "customAggregationUnits");
		return;
	}
	if (json_array_size(cau) > 1) {
		emu_detail(details, "Size must be between 0 and 1",
		    "customAggregationUnits");
		return;
	}
	for (size_t i = 0; i < json_array_size(cau); i++) {
		const json_t *u = json_array_get(cau, i);
		const char *s = json_is_string(u) ? json_string_value(u) : "";
		size_t len = strlen(s), j;

		for (j = 0; j < len; j++)
			if (!(s[j] == '_' || (s[j] >= '0' && s[j] <= '9') ||
			    (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
				break;
		if (len < 1 || len > 30 || j < len)
			emu_detail(details, "Must match ^[a-zA-Z0-9_]{1,30}$",
			    "customAggregationUnits[%zu]", i);
	}
}

/* The body's errors as a details array (empty when valid). */
static json_t *
validate(const json_t *root, enum ep ep)
{
	json_t *details = json_array();
	const json_t *to = json_object_get(root, "to");

	if (ep == EP_PUSH)
		check_user_id(details, to, "to");
	else if (to == NULL || json_is_null(to))
		emu_detail(details, "May not be empty", "to");
	else if (!json_is_array(to))
		emu_detail(details, "Must be an array", "to");
	else if (json_array_size(to) < 1 || json_array_size(to) > LE_MAX_MULTICAST)
		emu_detail(details, "Size must be between 1 and 500", "to");
	else
		for (size_t i = 0; i < json_array_size(to); i++) {
			char prop[32];

			snprintf(prop, sizeof(prop), "to[%zu]", i);
			check_user_id(details, json_array_get(to, i), prop);
		}
	emu_check_messages(details, json_object_get(root, "messages"));
	check_options(details, root);
	return details;
}

/* ---- the LINE endpoints ------------------------------------------------------ */

static enum MHD_Result
reply_409(struct emu *e, struct MHD_Connection *conn, const struct req *r,
    const struct keyent *k)
{
	json_t *body = json_pack("{s:s}", "message", LE_MSG_RETRY_ACCEPTED);

	if (r->ep == EP_PUSH && k->ep == EP_PUSH)
		json_object_set_new(body, "sentMessages",
		    emu_sent_messages(e, k->first_id, k->n));
	return emu_reply(conn, r, 409, body, k->req_id);
}

/* The record lines of a request about to be accepted, one per recipient
 * (malloc'ed; "" without --record); their length in *len. */
static char *
record_lines(const struct emu *e, const struct req *r, const char *rk,
    json_t *const *to, size_t nto, const int *blocked, const json_t *msgs,
    size_t *len)
{
	json_t *texts;
	char *out = NULL;
	size_t cap = 0;

	*len = 0;
	if (e->record == NULL)
		return xstrdup("");
	texts = json_array();
	for (size_t i = 0; i < json_array_size(msgs); i++)
		json_array_append(texts, json_object_get(json_array_get(msgs, i),
		    "text"));
	for (size_t i = 0; i < nto; i++) {
		json_t *o = json_pack("{s:i,s:s,s:s,s:s?,s:O,s:O,s:b}",
		    "v", LINEEMU_RECORD_VERSION, "request_id", r->id,
		    "endpoint", emu_ep_names[r->ep], "retry_key", rk,
		    "to", to[i], "messages", texts, "delivered", !blocked[i]);
		char *line = o != NULL ?
		    json_dumps(o, JSON_COMPACT) : NULL;
		size_t n;

		json_decref(o);
		if (line == NULL)
			fatalx("line-emulator: cannot format a record line");
		n = strlen(line);
		if (*len + n + 2 > cap) {
			cap = (*len + n + 2) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + *len, line, n);
		out[*len + n] = '\n';
		*len += n + 1;
		out[*len] = '\0';
		free(line);
	}
	json_decref(texts);
	return out;
}

/* Push or multicast with a valid body: the steps that need the mutex. */
static enum MHD_Result
accept_send(struct emu *e, struct MHD_Connection *conn, const struct req *r,
    const json_t *root, const char *rk, const uint8_t *key)
{
	json_t *to = json_object_get(root, "to");
	json_t *msgs = json_object_get(root, "messages");
	json_t *tov[LE_MAX_MULTICAST];
	int blocked[LE_MAX_MULTICAST];
	size_t nto, ndeliv = 0, reclen = 0, nunf = 0;
	unsigned nmsg = (unsigned)json_array_size(msgs);
	struct keyent ent;
	uint64_t first = 0;
	char *rec;
	int64_t now;
	int lost;

	if (r->ep == EP_PUSH) {
		tov[0] = to;
		nto = 1;
	} else {
		nto = json_array_size(to);
		for (size_t i = 0; i < nto; i++)
			tov[i] = json_array_get(to, i);
	}
	for (size_t i = 0; i < nto; i++) {
		uint8_t id[16];

		emu_uid_parse(json_string_value(tov[i]), json_string_length(tov[i]), id);
		blocked[i] = emu_userset_has(&e->blocked, id);
		if (!blocked[i] && emu_resident_unfollowed(&e->rs, id)) {
			blocked[i] = 1;		/* unfollowed: 200, dropped */
			nunf++;
		}
		if (e->have_known && !blocked[i] && !emu_userset_has(&e->known, id))
			return emu_reply_msg(conn, r, 400, "%s", LE_MSG_FAILED);
		ndeliv += !blocked[i];
	}
	rec = record_lines(e, r, rk, tov, nto, blocked, msgs, &reclen);

	pthread_mutex_lock(&e->mu);
	now = emu_now_ns();
	if (key != NULL) {
		const struct keyent *k = emu_keytab_get(&e->keys, key, now, e->key_ttl);

		if (k != NULL) {
			ent = *k;
			e->st.dup409++;
			pthread_mutex_unlock(&e->mu);
			free(rec);
			return reply_409(e, conn, r, &ent);
		}
	}
	emu_usage_roll_locked(e);
	if (ndeliv > 0 && e->quota >= 0 &&
	    e->usage + ndeliv > (uint64_t)e->quota) {
		e->st.quota_exceeded++;
		pthread_mutex_unlock(&e->mu);
		free(rec);
		return emu_reply_msg(conn, r, 429, "%s", LE_MSG_MONTHLY);
	}
	if (reclen > 0 && (fwrite(rec, 1, reclen, e->record) != reclen ||
	    fflush(e->record) != 0)) {
		e->st.record_errors++;
		pthread_mutex_unlock(&e->mu);
		free(rec);
		log_warn("line-emulator: %s: cannot write the record", r->id);
		return emu_reply_msg(conn, r, 500, "%s", LE_MSG_INTERNAL);
	}
	if (r->ep == EP_PUSH) {
		first = e->next_msg_id;
		e->next_msg_id += nmsg;
	}
	if (key != NULL) {
		memset(&ent, 0, sizeof(ent));
		memcpy(ent.key, key, 16);
		memcpy(ent.req_id, r->id, sizeof(ent.req_id));
		ent.first_id = first;
		ent.at = now;
		ent.n = (uint8_t)(r->ep == EP_PUSH ? nmsg : 0);
		ent.ep = (uint8_t)r->ep;
		emu_keytab_put(&e->keys, &ent, now, e->key_ttl);
	}
	e->usage += ndeliv;
	e->st.accepted++;
	e->st.delivered += ndeliv;
	e->st.blocked += nto - ndeliv;
	if ((lost = emu_chance(e, e->f.lost_rate)))
		e->st.lost++;
	pthread_mutex_unlock(&e->mu);
	free(rec);
	emu_residents_dropped(&e->rs, (unsigned)nunf);

	if (lost)
		return MHD_NO;
	if (r->ep == EP_MULTICAST)
		return emu_reply(conn, r, 200, json_object(), NULL);
	return emu_reply(conn, r, 200, json_pack("{s:o}", "sentMessages",
	    emu_sent_messages(e, first, nmsg)), NULL);
}

static int
content_type_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* 1 if the Authorization header carries the token. */
static int
authorized(const struct emu *e, struct MHD_Connection *conn, const char **why)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	size_t n;

	*why = "no token.";
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	*why = "invalid token.";
	return n == e->token_len && sodium_memcmp(h, e->token, n) == 0;
}

enum MHD_Result
emu_line_api(struct emu *e, struct MHD_Connection *conn, struct req *r)
{
	const char *rk, *why, *ct;
	unsigned status = 0, after = 0;
	char smsg[LE_MSG_MAX] = "";
	uint8_t key[16];
	json_error_t jerr;
	json_t *root, *details;
	enum MHD_Result ret;
	int ok, sending = r->ep == EP_PUSH || r->ep == EP_MULTICAST;
	int faulty = sending || r->ep == EP_REPLY;

	pthread_mutex_lock(&e->mu);
	if (!(ok = emu_gcra_allow_locked(&e->lim[r->ep], emu_now_ns())))
		e->st.rate_limited++;
	else if (faulty && e->f.status_count > 0) {
		e->f.status_count--;
		status = e->f.status;
		memcpy(smsg, e->f.status_message, sizeof(smsg));
		after = e->f.retry_after;
		e->st.faults++;
	} else if (faulty && emu_chance(e, e->f.fail_rate)) {
		status = 500;
		e->st.faults++;
	}
	pthread_mutex_unlock(&e->mu);
	if (!ok)
		return emu_reply_msg(conn, r, 429, "%s", LE_MSG_RATE);
	if (status != 0)
		return emu_reply_after(conn, r, status,
		    smsg[0] ? smsg : emu_default_message(status), after);

	if (!authorized(e, conn, &why))
		return emu_reply_msg(conn, r, 401, "%s%s%s", LE_MSG_AUTH_PREFIX, why,
		    LE_MSG_AUTH_TAIL);
	rk = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Line-Retry-Key");
	if (rk != NULL && !sending)
		return emu_reply_msg(conn, r, 400,
		    "The retry key is not supported for this endpoint");
	if (rk != NULL && util_uuid_parse(rk, key) < 0)
		return emu_reply_msg(conn, r, 400,
		    "The retry key is invalid: it must be a lowercase UUID");

	if (r->ep == EP_QUOTA) {
		if (e->quota < 0)
			return emu_reply(conn, r, 200, json_pack("{s:s}", "type",
			    "none"), NULL);
		return emu_reply(conn, r, 200, json_pack("{s:s,s:I}", "type",
		    "limited", "value", (json_int_t)e->quota), NULL);
	}
	if (r->ep == EP_CONSUMPTION) {
		uint64_t usage;

		pthread_mutex_lock(&e->mu);
		emu_usage_roll_locked(e);
		usage = e->usage;
		pthread_mutex_unlock(&e->mu);
		return emu_reply(conn, r, 200, json_pack("{s:I}", "totalUsage",
		    (json_int_t)usage), NULL);
	}

	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!content_type_json(ct))
		return emu_reply_msg(conn, r, 415,
		    "The content type, %s, is not supported", ct ? ct : "");
	if (r->too_big)
		return emu_reply_msg(conn, r, 413, "%s", emu_default_message(413));
	if (rk != NULL) {
		const struct keyent *k;
		struct keyent ent;

		pthread_mutex_lock(&e->mu);
		if ((k = emu_keytab_get(&e->keys, key, emu_now_ns(), e->key_ttl)) != NULL) {
			ent = *k;
			e->st.dup409++;
		}
		pthread_mutex_unlock(&e->mu);
		if (k != NULL)
			return reply_409(e, conn, r, &ent);
	}

	root = json_loadb(r->body != NULL ? r->body : "", r->len,
	    JSON_ALLOW_NUL, &jerr);
	if (root == NULL || !json_is_object(root)) {
		int line = root == NULL ? jerr.line : 1;
		int col = root == NULL ? jerr.column : 1;

		json_decref(root);
		return emu_reply_msg(conn, r, 400, "The request body could not be "
		    "parsed as JSON (line: %d, column: %d)", line, col);
	}
	if (r->ep == EP_REPLY) {
		ret = emu_reply_api(e, conn, r, root);
		json_decref(root);
		return ret;
	}
	details = validate(root, r->ep);
	if (json_array_size(details) > 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "The request body has %zu error(s)",
		    json_array_size(details));
		json_decref(root);
		return emu_reply(conn, r, 400, json_pack("{s:s,s:o}", "message",
		    msg, "details", details), NULL);
	}
	json_decref(details);
	ret = accept_send(e, conn, r, root, rk, rk != NULL ? key : NULL);
	json_decref(root);
	return ret;
}
