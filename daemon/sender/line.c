/* line.c - the LINE backend: one push or reply to the Messaging API per
 * job
 * SPDX-License-Identifier: MIT
 *
 * A push (JOB_PUSH): POST {[line] api}/v2/bot/message/push with the
 * channel access token as a bearer token and the job's retry key as
 * X-Line-Retry-Key, so that a retry of a push LINE accepted is answered
 * 409 instead of reaching the resident twice.  A reply (JOB_REPLY): POST
 * {[line] api}/v2/bot/message/reply {"replyToken": to, "messages": ...},
 * no retry key (LINE takes none; a reply token is good once).  The job's
 * items become the last message's quick-reply postback buttons.  One libcurl handle, kept across jobs (HTTP keep-alive).
 * Outcomes: sender.h.  The user id and the texts are wiped from our
 * buffers after each attempt and never logged.
 */
#include "backend.h"
#include "util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESP_MAX (64 * 1024)	/* LINE response bodies kept (errors are small) */
#define LINE_PUSH_PATH "/v2/bot/message/push"
#define LINE_REPLY_PATH "/v2/bot/message/reply"
#define LINE_MONTHLY "You have reached your monthly limit."

struct line {
	long timeout;			/* [line] timeout, seconds */
	char url[CONFIG_PATH_MAX + sizeof(LINE_PUSH_PATH)];
	char reply_url[CONFIG_PATH_MAX + sizeof(LINE_REPLY_PATH)];
	char *token;			/* sodium_malloc; NULL: no token file */
	char token_path[CONFIG_PATH_MAX];
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	/* the response being read */
	char *resp;
	size_t resp_len;
	char req_id[64], acc_id[64];
	long retry_after;		/* Retry-After in seconds, 0: none */
	unsigned long connects;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct line *s = user;
	size_t n = size * nmemb, keep = n;

	if (s->resp_len + keep > RESP_MAX)
		keep = RESP_MAX - s->resp_len;
	memcpy(s->resp + s->resp_len, ptr, keep);
	s->resp_len += keep;
	return n;
}

static void
header_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	sender_copy_text(dst, cap, v, n);
}

/* A Retry-After value in seconds (delta-seconds; an HTTP date, or
 * anything else, is 0: the queue's own backoff then). */
static long
retry_after(const char *v, size_t n)
{
	long secs = 0;
	size_t i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == n || v[i] < '0' || v[i] > '9')
		return 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		if (secs < 86400)
			secs = secs * 10 + (v[i] - '0');
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' ||
	    v[i] == '\n'))
		i++;
	if (i != n)
		return 0;
	return secs < 86400 ? secs : 86400;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	static const char rid[] = "x-line-request-id:";
	static const char aid[] = "x-line-accepted-request-id:";
	static const char ra[] = "retry-after:";
	struct line *s = user;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
		s->req_id[0] = s->acc_id[0] = '\0';	/* a new response */
		s->retry_after = 0;
	} else if (n > sizeof(ra) - 1 && strncasecmp(ptr, ra, sizeof(ra) - 1) == 0)
		s->retry_after = retry_after(ptr + sizeof(ra) - 1,
		    n - (sizeof(ra) - 1));
	else if (n > sizeof(rid) - 1 && strncasecmp(ptr, rid, sizeof(rid) - 1) == 0)
		header_value(s->req_id, sizeof(s->req_id), ptr + sizeof(rid) - 1,
		    n - (sizeof(rid) - 1));
	else if (n > sizeof(aid) - 1 && strncasecmp(ptr, aid, sizeof(aid) - 1) == 0)
		header_value(s->acc_id, sizeof(s->acc_id), ptr + sizeof(aid) - 1,
		    n - (sizeof(aid) - 1));
	return n;
}

static CURL *
line_handle(struct line *s)
{
	CURL *h;

	if (s->h != NULL)
		return s->h;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		s->timeout < 10 ? s->timeout : 10L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)SENDER_MAXAGE_CONN) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, s->token) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "oshirase/" OSHIRASE_VERSION) != CURLE_OK) {
		curl_easy_cleanup(h);
		return NULL;
	}
	s->h = h;
	return h;
}

/* {"type":"action","action":{"type":"postback","label":..,"data":..,
 * "displayText":..}}, or NULL (not UTF-8, out of memory). */
static json_t *
line_item(const struct job_item *it)
{
	json_t *o = json_object(), *a = json_object();

	if (o == NULL || a == NULL ||
	    json_object_set_new(a, "type", json_string("postback")) != 0 ||
	    json_object_set_new(a, "label", json_string(it->label)) != 0 ||
	    json_object_set_new(a, "data", json_string(it->data)) != 0 ||
	    json_object_set_new(a, "displayText", json_string(it->text)) != 0 ||
	    json_object_set_new(o, "type", json_string("action")) != 0) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	if (json_object_set_new(o, "action", a) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* "quickReply": {"items": [...]} on message m. */
static int
line_quick_reply(json_t *m, const struct job *j)
{
	json_t *qr = json_object(), *items = json_array();

	if (qr == NULL || items == NULL ||
	    json_object_set_new(qr, "items", items) != 0) {
		json_decref(qr);
		json_decref(items);
		return -1;
	}
	if (json_object_set_new(m, "quickReply", qr) != 0)
		return -1;
	for (unsigned i = 0; i < j->nitems; i++)
		if (json_array_append_new(items, line_item(&j->item[i])) != 0)
			return -1;
	return 0;
}

/* The push or reply request body, or NULL with why set. */
static char *
line_body(const struct job *j, const char **why)
{
	json_t *root = NULL, *msgs, *m;
	char *out = NULL;
	int reply = j->kind == JOB_REPLY;

	*why = "out of memory";
	if ((root = json_object()) == NULL || (msgs = json_array()) == NULL)
		goto out;
	if (json_object_set_new(root, reply ? "replyToken" : "to",
	    json_string(j->to)) != 0) {
		*why = reply ? "the reply token is not UTF-8" :
		    "the user id is not UTF-8";
		json_decref(msgs);
		goto out;
	}
	if (json_object_set_new(root, "messages", msgs) != 0)
		goto out;
	for (unsigned t = 0; t < j->ntexts; t++) {
		json_t *text = json_stringn(j->text[t], j->text_len[t]);

		if (text == NULL) {
			*why = "a text is not UTF-8";
			goto out;
		}
		if ((m = json_object()) == NULL ||
		    json_object_set_new(m, "type", json_string("text")) != 0 ||
		    json_object_set_new(m, "text", text) != 0 ||
		    json_array_append_new(msgs, m) != 0) {
			json_decref(m);
			goto out;
		}
		if (t + 1 == j->ntexts && j->nitems > 0 &&
		    line_quick_reply(m, j) != 0) {
			*why = "a quick-reply item is not UTF-8";
			goto out;
		}
	}
	out = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	return out;
}

/* LINE's error "message" from a response body, or "". */
static void
line_message(const struct line *s, char *dst, size_t cap)
{
	json_t *root, *msg;
	json_error_t jerr;

	dst[0] = '\0';
	if (s->resp_len == 0)
		return;
	root = json_loadb(s->resp, s->resp_len, 0, &jerr);
	if (root == NULL)
		return;
	msg = json_object_get(root, "message");
	if (json_is_string(msg))
		sender_copy_text(dst, cap, json_string_value(msg), json_string_length(msg));
	json_decref(root);
}

static void
line_perform(void *state, const struct job *j, struct job_result *r)
{
	struct line *s = state;
	struct curl_slist *hdrs = NULL, *tmp;
	char keyhdr[64], message[sizeof(r->detail)];
	const char *why = NULL;
	char *body = NULL;
	long status = 0, nconn = 0;
	CURLcode cc;
	CURL *h;

	if (s->token == NULL) {
		r->outcome = JOB_AUTH;
		sender_detail(r, "LINE channel access token file is missing: %s",
		    s->token_path);
		return;
	}
	r->outcome = JOB_PERMANENT;
	if (j->kind == JOB_REPLY ? j->to[0] == '\0' :
	    util_uuid_parse(j->retry_key, NULL) != 0) {
		sender_detail(r, j->kind == JOB_REPLY ? "a reply without a "
		    "reply token" : "the retry key is not a lowercase UUID");
		return;
	}
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS) {
		sender_detail(r, "a LINE push holds 1 to %d texts", JOB_MAX_TEXTS);
		return;
	}
	for (unsigned t = 0; t < j->ntexts; t++) {
		if (!utf8_valid((const uint8_t *)j->text[t], j->text_len[t])) {
			sender_detail(r, "text %u is not UTF-8", t + 1);
			return;
		}
		if (j->text_len[t] == 0 ||
		    util_utf16_units(j->text[t], j->text_len[t]) > JOB_LINE_TEXT_UNITS) {
			sender_detail(r, "text %u is empty or longer than %d UTF-16 "
			    "units", t + 1, JOB_LINE_TEXT_UNITS);
			return;
		}
	}
	if ((body = line_body(j, &why)) == NULL) {
		sender_detail(r, "%s", why);
		return;
	}
	r->outcome = JOB_RETRY;
	if ((h = line_handle(s)) == NULL) {
		sender_detail(r, "curl_easy_init failed");
		goto out;
	}
	/* a reply has no retry key: an empty header is sent as none */
	if (j->kind == JOB_REPLY)
		snprintf(keyhdr, sizeof(keyhdr), "X-Line-Retry-Key:");
	else
		snprintf(keyhdr, sizeof(keyhdr), "X-Line-Retry-Key: %s",
		    j->retry_key);
	if ((tmp = curl_slist_append(hdrs, "Content-Type: application/json")) == NULL ||
	    (hdrs = tmp, tmp = curl_slist_append(hdrs, keyhdr)) == NULL ||
	    (hdrs = tmp, tmp = curl_slist_append(hdrs, "Expect:")) == NULL) {
		sender_detail(r, "out of memory");
		goto out;
	}
	hdrs = tmp;
	s->resp_len = 0;
	s->req_id[0] = s->acc_id[0] = s->errbuf[0] = '\0';
	s->retry_after = 0;
	if (curl_easy_setopt(h, CURLOPT_URL, j->kind == JOB_REPLY ?
	    s->reply_url : s->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK) {
		sender_detail(r, "curl_easy_setopt failed");
		goto out;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		s->connects += (unsigned long)nconn;
	r->status = (int32_t)status;
	r->transport = (int32_t)cc;
	if (cc != CURLE_OK) {
		/* A timeout after the request went out may have been accepted:
		 * the retry, with the same key, is answered 409. */
		r->outcome = JOB_RETRY;
		sender_detail(r, "%s", sender_curl_reason(s->errbuf, cc));
		goto out;
	}
	line_message(s, message, sizeof(message));
	if (status >= 200 && status < 300) {
		r->outcome = JOB_SENT;
		snprintf(r->request_id, sizeof(r->request_id), "%s", s->req_id);
	} else if (status == 409 && j->kind != JOB_REPLY) {
		r->outcome = JOB_SENT;
		snprintf(r->request_id, sizeof(r->request_id), "%s",
		    s->acc_id[0] ? s->acc_id : s->req_id);
	} else if (status == 401 || status == 403)
		r->outcome = JOB_AUTH;
	else if (status == 429) {
		r->outcome = strcmp(message, LINE_MONTHLY) == 0 ? JOB_QUOTA : JOB_RATE;
		r->retry_after = (uint32_t)s->retry_after;
	}
	else if (status >= 400 && status < 500)
		r->outcome = JOB_PERMANENT;
	else
		r->outcome = JOB_RETRY;		/* 5xx, or what LINE never sends */
	if (r->outcome != JOB_SENT && r->request_id[0] == '\0')
		snprintf(r->request_id, sizeof(r->request_id), "%s", s->req_id);
	if (message[0] != '\0')
		sender_detail(r, "%s", message);
	else if (r->outcome != JOB_SENT)
		sender_detail(r, "HTTP %ld", status);
out:
	if (s->h != NULL) {
		curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, NULL);
	}
	curl_slist_free_all(hdrs);
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	sodium_memzero(s->resp, s->resp_len);
	s->resp_len = 0;
}


static void
line_close(void *state)
{
	struct line *s = state;

	if (s == NULL)
		return;
	if (s->h != NULL)
		curl_easy_cleanup(s->h);
	if (s->token != NULL)
		sodium_free(s->token);
	free(s->resp);
	free(s);
}

/* A missing token file is not an error: each LINE job is then answered
 * JOB_AUTH, so that a city that sends email only needs no token. */
static void *
line_open(const struct config *cfg, char *err, size_t errlen)
{
	struct line *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(cfg->line_api);

	s->timeout = cfg->line_timeout;
	s->resp = xmalloc(RESP_MAX);
	while (n > 0 && cfg->line_api[n - 1] == '/')
		n--;
	snprintf(s->url, sizeof(s->url), "%.*s%s", (int)n, cfg->line_api,
	    LINE_PUSH_PATH);
	snprintf(s->reply_url, sizeof(s->reply_url), "%.*s%s", (int)n,
	    cfg->line_api, LINE_REPLY_PATH);
	config_secret_path(cfg->line_token, s->token_path, sizeof(s->token_path));
	if (sender_secret_read(s->token_path, 1, &s->token, err, errlen) == -1) {
		line_close(s);
		return NULL;
	}
	return s;
}

static unsigned long
line_connects(const void *state)
{
	return ((const struct line *)state)->connects;
}

const struct sender_backend sender_line = {
	.name = "line",
	.channel = CHANNEL_LINE,
	.open = line_open,
	.perform = line_perform,
	.connects = line_connects,
	.close = line_close,
};
