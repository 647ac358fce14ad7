/* mail.c - the email backend: one SMTP transaction per job
 * SPDX-License-Identifier: MIT
 *
 * The message (mail_format: RFC 5322, Japanese text as UTF-8 in base64,
 * B-encoded Subject and From name, RFC 8058 unsubscribe headers) goes to
 * [email] url in one SMTP transaction.  One libcurl handle, kept across
 * jobs, so that one SMTP session carries many messages (QUIT only at
 * close).  Outcomes: sender.h.  The address and the texts are wiped from
 * our buffers after each attempt and never logged.
 */
#include "backend.h"
#include "mail.h"
#include "mailaddr.h"
#include "dates.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mail {
	char url[CONFIG_PATH_MAX], cafile[CONFIG_PATH_MAX];
	char user[CONFIG_TEXT_MAX], from[CONFIG_TEXT_MAX];
	char city_ja[CONFIG_TEXT_MAX], city_en[CONFIG_TEXT_MAX];
	long timeout;
	char *pass;			/* sodium_malloc; NULL: no AUTH */
	long ssl;			/* CURLUSESSL_* */
	char from_path[CONFIG_TEXT_MAX + 2];	/* "<addr>" */
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	/* the message being sent */
	char *msg;
	size_t msg_cap, msg_len, msg_off;
	unsigned long connects;
};

/* --- email: addresses and the message --- */

/*
 * A bare addr-spec as we send it: printable ASCII, no white space, none of
 * the characters that would end or extend an SMTP path or header ("<>()[],;:\"\\"),
 * one '@' with something on both sides.  Returns NULL or the reason.
 */
static const char *
addr_check(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = strlen(a);

	if (strpbrk(a, "\r\n") != NULL)
		return "CR or LF in an address (header injection)";
	if (n < 3 || n > 254)
		return "address empty or too long";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
			return "address holds a character that may not be in it";
	}
	if (at == NULL || at == a || at[1] == '\0' || strchr(a, '@') != at)
		return "address is not local@domain";
	return NULL;
}

/* A header value that we write as is (a URL, a Message-ID's left part):
 * printable ASCII without spaces and without <>; extra names more. */
static const char *
token_check(const char *v, const char *extra)
{
	if (strpbrk(v, "\r\n") != NULL)
		return "CR or LF in a header value (header injection)";
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' ||
		    (extra && strchr(extra, c) != NULL))
			return "a header value holds a character that may not be in it";
	}
	return NULL;
}

/* Text for encoded-words: UTF-8, no CR/LF, no other control character
 * than TAB. */
static const char *
words_check(const char *v)
{
	size_t n = strlen(v);

	if (strpbrk(v, "\r\n") != NULL)
		return "CR or LF in a header value (header injection)";
	if (!utf8_valid((const uint8_t *)v, n))
		return "a header value is not UTF-8";
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return "a header value holds a control character";
	return NULL;
}

/* The message under construction. */
struct mb {
	char *p;
	size_t len, cap;
	size_t line;		/* bytes on the current line */
	int full;
};

static void
mb_put(struct mb *m, const char *s, size_t n)
{
	const char *nl;

	if (m->full || n >= m->cap - m->len) {
		m->full = 1;
		return;
	}
	memcpy(m->p + m->len, s, n);
	m->len += n;
	m->p[m->len] = '\0';
	nl = memrchr(s, '\n', n);
	m->line = nl ? (size_t)(s + n - nl - 1) : m->line + n;
}

static void
mb_str(struct mb *m, const char *s)
{
	mb_put(m, s, strlen(s));
}

#define HDR_LINE 76		/* RFC 2047 §2: lines with encoded-words */
#define WORD_BYTES 45		/* text bytes per encoded-word (60 base64) */
#define WORD_OVERHEAD 12	/* "=?UTF-8?B?" "?=" */

/* Start a new line of the header (CRLF, then the SP the next token puts). */
static void
mb_fold(struct mb *m)
{
	mb_put(m, "\r\n", 2);
}

/* " token"; unless it is the field's first, folded first if it would
 * pass HDR_LINE on this line.  (A first token too long for the line stays
 * on it: a line of only the field name would be folded white space that
 * some readers keep.) */
static void
mb_token(struct mb *m, const char *t, size_t n, int first)
{
	if (!first && m->line > 0 && m->line + 1 + n > HDR_LINE)
		mb_fold(m);
	mb_put(m, " ", 1);
	mb_put(m, t, n);
}

/* Length of the UTF-8 character that starts with c (text is checked). */
static size_t
u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * text as RFC 2047 B encoded-words, each holding whole characters, at most
 * WORD_BYTES of them, and no more than fit on the current line; folded
 * with CRLF SP between words when the line is full.
 */
static void
mb_words(struct mb *m, const char *text)
{
	size_t n = strlen(text), i = 0;

	while (i < n && !m->full) {
		size_t room, maxb, take = 0;
		char word[WORD_OVERHEAD + 4 * WORD_BYTES / 3 + 8];
		char b64[4 * WORD_BYTES / 3 + 4];

		/* " =?UTF-8?B?" + base64 + "?=" must fit in HDR_LINE */
		room = m->line + 1 + WORD_OVERHEAD < HDR_LINE ?
		    HDR_LINE - m->line - 1 - WORD_OVERHEAD : 0;
		maxb = room / 4 * 3;
		if (maxb > WORD_BYTES)
			maxb = WORD_BYTES;
		while (i + take < n) {
			size_t cl = u8len((unsigned char)text[i + take]);

			if (take + cl > maxb)
				break;
			take += cl;
		}
		if (take == 0) {
			if (m->line == 0) {	/* cannot happen: a line holds 45 */
				m->full = 1;
				return;
			}
			mb_fold(m);
			continue;
		}
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)text + i,
		    take, sodium_base64_VARIANT_ORIGINAL);
		snprintf(word, sizeof(word), "=?UTF-8?B?%s?=", b64);
		mb_token(m, word, strlen(word), 1);
		i += take;
	}
}

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* The body before base64: texts with CRLF line ends, joined by a blank
 * line, ending with CRLF.  Returns a malloc'ed buffer (wipe, then free). */
static char *
body_raw(const struct job *j, size_t *lenp)
{
	size_t cap = 4, len = 0;
	char *b;

	for (unsigned t = 0; t < j->ntexts; t++)
		cap += 2 * j->text_len[t] + 4;
	b = xmalloc(cap);
	for (unsigned t = 0; t < j->ntexts; t++) {
		const char *s = j->text[t];
		size_t n = j->text_len[t];

		if (t > 0) {
			memcpy(b + len, "\r\n\r\n", 4);
			len += 4;
		}
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\r' || s[i] == '\n') {
				b[len++] = '\r';
				b[len++] = '\n';
				if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
					i++;
			} else
				b[len++] = s[i];
		}
	}
	if (len < 2 || b[len - 2] != '\r' || b[len - 1] != '\n') {
		b[len++] = '\r';
		b[len++] = '\n';
	}
	*lenp = len;
	return b;
}

size_t
mail_format(const struct job *j, const char *from_name, const char *from_addr,
    time_t now, char *buf, size_t cap, char *err, size_t errlen)
{
	struct mb m = { buf, 0, cap, 0, 0 };
	const char *why = NULL, *domain;
	char tmp[1200], b64[80];
	struct tm tm;
	size_t rawlen = 0, hdrs, start;
	char *raw = NULL;

	if (cap == 0) {
		snprintf(err, errlen, "no room");
		return 0;
	}
	buf[0] = '\0';
	if ((why = addr_check(j->to)) != NULL ||
	    (why = addr_check(from_addr)) != NULL ||
	    (why = words_check(j->subject)) != NULL ||
	    (why = words_check(from_name)) != NULL ||
	    (why = token_check(j->message_id, "@()[],;:\"\\")) != NULL ||
	    (why = token_check(j->unsubscribe, NULL)) != NULL)
		goto fail;
	if (j->message_id[0] == '\0') {
		why = "no Message-ID";
		goto fail;
	}
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS) {
		why = "no text, or too many";
		goto fail;
	}
	for (unsigned t = 0; t < j->ntexts; t++)
		if (!utf8_valid((const uint8_t *)j->text[t], j->text_len[t])) {
			why = "a text is not UTF-8";
			goto fail;
		}
	domain = strrchr(from_addr, '@') + 1;

	date_tm_jst(now, &tm);
	snprintf(tmp, sizeof(tmp), "Date: %s, %02d %s %04d %02d:%02d:%02d +0900\r\n",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	mb_str(&m, tmp);
	mb_str(&m, "From:");
	mb_words(&m, from_name);
	snprintf(tmp, sizeof(tmp), "<%s>", from_addr);
	mb_token(&m, tmp, strlen(tmp), from_name[0] == '\0');
	mb_str(&m, "\r\nTo:");
	snprintf(tmp, sizeof(tmp), "<%s>", j->to);
	mb_token(&m, tmp, strlen(tmp), 1);
	mb_str(&m, "\r\nSubject:");
	mb_words(&m, j->subject);
	mb_str(&m, "\r\nMessage-ID:");
	snprintf(tmp, sizeof(tmp), "<%s@%s>", j->message_id, domain);
	mb_token(&m, tmp, strlen(tmp), 1);
	mb_str(&m, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n");
	if (j->unsubscribe[0] != '\0') {
		mb_str(&m, "List-Unsubscribe:");
		snprintf(tmp, sizeof(tmp), "<%s>", j->unsubscribe);
		mb_token(&m, tmp, strlen(tmp), 1);
		mb_str(&m, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	hdrs = m.len;
	mb_str(&m, "\r\n");

	raw = body_raw(j, &rawlen);
	for (size_t off = 0; off < rawlen && !m.full; off += 57) {
		size_t n = rawlen - off < 57 ? rawlen - off : 57;

		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)raw + off,
		    n, sodium_base64_VARIANT_ORIGINAL);
		mb_str(&m, b64);
		mb_put(&m, "\r\n", 2);
	}
	sodium_memzero(raw, rawlen);
	free(raw);
	if (m.full) {
		why = "the message does not fit";
		goto fail;
	}
	/* RFC 5322 §2.1.1: no line over 998 characters (a long address or
	 * URL cannot be folded). */
	start = 0;
	for (size_t i = 0; i < hdrs; i++)
		if (buf[i] == '\n') {
			if (i - start > 999) {
				why = "a header line is longer than 998 characters";
				goto fail;
			}
			start = i + 1;
		}
	return m.len;
fail:
	sodium_memzero(buf, m.len);
	buf[0] = '\0';
	snprintf(err, errlen, "%s", why ? why : "the message does not fit");
	return 0;
}

/* Enough for mail_format: encoded-words at most double the text, base64
 * 4/3 of the body plus line ends, CRLF at most doubling it. */
static size_t
mail_bound(const struct job *j, const struct mail *s)
{
	size_t body = 8, b64;

	for (unsigned t = 0; t < j->ntexts && t < JOB_MAX_TEXTS; t++)
		body += 2 * j->text_len[t] + 4;
	b64 = (body + 2) / 3 * 4;
	b64 += 2 * (b64 / 76 + 1);
	return 4096 + 3 * strlen(j->subject) + 3 * strlen(s->city_ja) +
	    3 * strlen(s->city_en) + strlen(s->from) + strlen(j->to) +
	    strlen(j->message_id) + strlen(j->unsubscribe) + b64;
}

/* --- the SMTP transaction --- */

static size_t
on_read(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct mail *s = user;
	size_t n = size * nmemb;

	if (n > s->msg_len - s->msg_off)
		n = s->msg_len - s->msg_off;
	memcpy(ptr, s->msg + s->msg_off, n);
	s->msg_off += n;
	return n;
}


static CURL *
mail_handle(struct mail *s)
{
	CURL *h;

	if (s->h != NULL)
		return s->h;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_URL, s->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USE_SSL, s->ssl) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		s->timeout < 20 ? s->timeout : 20L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)SENDER_MAXAGE_CONN) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, s->from_path) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK ||
	    (s->cafile[0] != '\0' &&
		curl_easy_setopt(h, CURLOPT_CAINFO, s->cafile) != CURLE_OK) ||
	    (s->pass != NULL &&
		(curl_easy_setopt(h, CURLOPT_USERNAME, s->user) != CURLE_OK ||
		 curl_easy_setopt(h, CURLOPT_PASSWORD, s->pass) != CURLE_OK))) {
		curl_easy_cleanup(h);
		return NULL;
	}
	s->h = h;
	return h;
}

/* What an SMTP failure says, without the server's text (it may repeat
 * the address). */
static const char *
smtp_reason(const struct mail *s, CURLcode cc)
{
	switch (cc) {
	case CURLE_LOGIN_DENIED:
		return "authentication refused";
	case CURLE_USE_SSL_FAILED:
		return "the relay offers no STARTTLS";
	default:
		return sender_curl_reason(s->errbuf, cc);
	}
}

static void
mail_perform(void *state, const struct job *j, struct job_result *r)
{
	struct mail *s = state;
	struct curl_slist *rcpt = NULL;
	static __thread struct job wire;
	char err[128], to[sizeof(j->to) + 2];
	const char *name = j->language == LANG_EN ? s->city_en : s->city_ja;
	const char *why;
	long code = 0, nconn = 0;
	size_t need;
	CURLcode cc;
	CURL *h;

	r->outcome = JOB_PERMANENT;
	/* an internationalised domain goes in its A-label form, in the
	 * envelope and the header alike */
	if ((why = mailaddr_wire(j->to, strlen(j->to), wire.to,
	    sizeof(wire.to))) != NULL) {
		sender_detail(r, "the address cannot be sent: %s", why);
		return;
	}
	if (strcmp(wire.to, j->to) != 0) {
		wire = *j;
		mailaddr_wire(j->to, strlen(j->to), wire.to, sizeof(wire.to));
		j = &wire;
	}
	need = mail_bound(j, s);
	if (need > s->msg_cap) {
		if (s->msg != NULL)
			sodium_memzero(s->msg, s->msg_cap);
		free(s->msg);
		s->msg = xmalloc(need);
		s->msg_cap = need;
	}
	s->msg_len = mail_format(j, name, s->from, time(NULL),
	    s->msg, s->msg_cap, err, sizeof(err));
	if (s->msg_len == 0) {
		sender_detail(r, "%s", err);
		goto out;
	}
	s->msg_off = 0;
	r->outcome = JOB_RETRY;
	if ((h = mail_handle(s)) == NULL) {
		sender_detail(r, "curl_easy_init failed");
		goto out;
	}
	snprintf(to, sizeof(to), "<%s>", j->to);
	if ((rcpt = curl_slist_append(NULL, to)) == NULL) {
		sender_detail(r, "out of memory");
		goto out;
	}
	s->errbuf[0] = '\0';
	if (curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		(curl_off_t)s->msg_len) != CURLE_OK) {
		sender_detail(r, "curl_easy_setopt failed");
		goto out;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		s->connects += (unsigned long)nconn;
	r->status = (int32_t)code;
	r->transport = (int32_t)cc;
	if (cc == CURLE_OK) {
		r->outcome = JOB_SENT;
		goto out;
	}
	if (cc == CURLE_LOGIN_DENIED || cc == CURLE_USE_SSL_FAILED ||
	    code == 530 || code == 534 || code == 535 || code == 538)
		r->outcome = JOB_AUTH;
	else if (code >= 500 && code < 600)
		r->outcome = JOB_PERMANENT;
	else
		r->outcome = JOB_RETRY;		/* 4xx, none, or a 2xx/3xx cut short */
	if (code >= 400)
		sender_detail(r, "SMTP %ld: %s", code, smtp_reason(s, cc));
	else
		sender_detail(r, "%s", smtp_reason(s, cc));
out:
	if (s->h != NULL)
		curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	sodium_memzero(&wire, sizeof(wire));
	sodium_memzero(to, sizeof(to));
	sodium_memzero(s->msg, s->msg_len);
	s->msg_len = s->msg_off = 0;
}

/* --- the backend --- */

/* STARTTLS is required for smtp:// unless the relay is on this host. */
static int
mail_setup(struct mail *s, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	const char *why;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "curl_url failed");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "[email] url '%s' is not a URL", s->url);
		goto out;
	}
	if (strcasecmp(scheme, "smtps") == 0)
		s->ssl = CURLUSESSL_ALL;
	else if (strcasecmp(scheme, "smtp") == 0)
		s->ssl = strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
		    strcmp(host, "::1") == 0 ? CURLUSESSL_TRY : CURLUSESSL_ALL;
	else {
		snprintf(err, errlen, "[email] url '%s': smtp:// or smtps:// only",
		    s->url);
		goto out;
	}
	if ((why = addr_check(s->from)) != NULL) {
		snprintf(err, errlen, "[email] from: %s", why);
		goto out;
	}
	snprintf(s->from_path, sizeof(s->from_path), "<%s>", s->from);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}


static void
mail_close(void *state)
{
	struct mail *s = state;

	if (s == NULL)
		return;
	if (s->h != NULL)
		curl_easy_cleanup(s->h);	/* QUIT */
	if (s->pass != NULL)
		sodium_free(s->pass);
	if (s->msg != NULL)
		sodium_memzero(s->msg, s->msg_cap);
	free(s->msg);
	free(s);
}

static void *
mail_open(const struct config *cfg, char *err, size_t errlen)
{
	struct mail *s = xcalloc(1, sizeof(*s));
	char path[CONFIG_PATH_MAX];
	int rc;

	snprintf(s->url, sizeof(s->url), "%s", cfg->mail_url);
	snprintf(s->cafile, sizeof(s->cafile), "%s", cfg->mail_cafile);
	snprintf(s->user, sizeof(s->user), "%s", cfg->mail_user);
	snprintf(s->from, sizeof(s->from), "%s", cfg->mail_from);
	snprintf(s->city_ja, sizeof(s->city_ja), "%s", cfg->city_ja);
	snprintf(s->city_en, sizeof(s->city_en), "%s", cfg->city_en);
	s->timeout = cfg->mail_timeout;
	if (mail_setup(s, err, errlen) != 0)
		goto fail;
	if (cfg->mail_user[0] != '\0' && cfg->mail_password[0] == '\0') {
		snprintf(err, errlen, "[email] username is set but password_file is not");
		goto fail;
	}
	if (cfg->mail_user[0] == '\0' && cfg->mail_password[0] != '\0') {
		snprintf(err, errlen, "[email] password_file is set but username is not");
		goto fail;
	}
	if (cfg->mail_user[0] != '\0') {
		config_secret_path(cfg->mail_password, path, sizeof(path));
		rc = sender_secret_read(path, 0, &s->pass, err, errlen);
		if (rc == -ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
		if (rc != 0)
			goto fail;
	}
	return s;
fail:
	mail_close(s);
	return NULL;
}

static unsigned long
mail_connects(const void *state)
{
	return ((const struct mail *)state)->connects;
}

const struct sender_backend sender_mail = {
	.name = "email",
	.channel = CHANNEL_EMAIL,
	.open = mail_open,
	.perform = mail_perform,
	.connects = mail_connects,
	.close = mail_close,
};
