/* sender.c - one attempt at one job: LINE push over HTTPS, email over SMTP
 * SPDX-License-Identifier: MIT
 *
 * What it owns, what it never touches and how it classifies outcomes:
 * see sender.h.  The only personal data that passes through here is a
 * job's address and texts; they are wiped from our buffers after each
 * attempt and never logged.
 */
#include "sender.h"
#include "dates.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define SECRET_TEXT_MAX 4096	/* LINE tokens are ~200 bytes */
#define RESP_MAX (64 * 1024)	/* LINE response bodies kept (errors are small) */
#define MAXAGE_CONN 60		/* seconds idle before a connection is not reused */
#define LINE_PUSH_PATH "/v2/bot/message/push"
#define LINE_MONTHLY "You have reached your monthly limit."

struct sender {
	struct config cfg;		/* a copy */
	char *line_token;		/* sodium_malloc; NULL: no token file */
	char line_token_path[CONFIG_PATH_MAX];
	char *mail_pass;		/* sodium_malloc; NULL: no AUTH */
	long mail_ssl;			/* CURLUSESSL_* */
	char mail_from[CONFIG_TEXT_MAX + 2];	/* "<addr>" */
	char line_url[CONFIG_PATH_MAX + sizeof(LINE_PUSH_PATH)];
	CURL *line, *mail;
	char errbuf[CURL_ERROR_SIZE];
	/* the response being read (LINE) */
	char *resp;
	size_t resp_len;
	char req_id[64], acc_id[64];
	/* the message being sent (email) */
	char *msg;
	size_t msg_cap, msg_len, msg_off;
	struct sender_stats st;
};

/* --- small helpers --- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Copy at most cap - 1 bytes of s into dst, cut at a UTF-8 character
 * boundary, control characters made spaces. */
static void
copy_text(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;

	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	dst[i] = '\0';
}

static void
set_detail(struct job_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_detail(struct job_result *r, const char *fmt, ...)
{
	char tmp[sizeof(r->detail) * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	copy_text(r->detail, sizeof(r->detail), tmp, (size_t)n);
}

/* libcurl's error text, unless it might name an address. */
static const char *
curl_reason(const struct sender *s, CURLcode cc)
{
	if (s->errbuf[0] != '\0' && strchr(s->errbuf, '@') == NULL)
		return s->errbuf;
	return curl_easy_strerror(cc);
}

/*
 * A secret from a file that only its owner may read: a regular file, no
 * access for group or others, at most SECRET_TEXT_MAX bytes; trailing line
 * ends and blanks removed.  strict: printable ASCII without spaces (a
 * token that goes into an HTTP header).  Returns 0 with *out in
 * sodium_malloc memory, -ENOENT for a missing file, or -1 with err set.
 */
static int
secret_text_read(const char *path, int strict, char **out, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: readable or writable by group or "
		    "others; chmod 600 it", path);
		goto out;
	}
	if ((buf = sodium_malloc(SECRET_TEXT_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: sodium_malloc failed", path);
		goto out;
	}
	while (n <= SECRET_TEXT_MAX) {
		got = read(fd, buf + n, SECRET_TEXT_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > SECRET_TEXT_MAX) {
		snprintf(err, errlen, "%s: longer than %d bytes", path,
		    SECRET_TEXT_MAX);
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: empty", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\0' || c == '\r' || c == '\n' ||
		    (strict && (c <= 0x20 || c >= 0x7f))) {
			snprintf(err, errlen, "%s: holds a byte that may not be "
			    "in it (offset %zu)", path, i);
			goto out;
		}
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL)
		sodium_free(buf);	/* wipes it */
	close(fd);
	return rc;
}

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
mail_bound(const struct job *j, const struct config *cfg)
{
	size_t body = 8, b64;

	for (unsigned t = 0; t < j->ntexts && t < JOB_MAX_TEXTS; t++)
		body += 2 * j->text_len[t] + 4;
	b64 = (body + 2) / 3 * 4;
	b64 += 2 * (b64 / 76 + 1);
	return 4096 + 3 * strlen(j->subject) + 3 * strlen(cfg->city_ja) +
	    3 * strlen(cfg->city_en) + strlen(cfg->mail_from) + strlen(j->to) +
	    strlen(j->message_id) + strlen(j->unsubscribe) + b64;
}

/* --- libcurl callbacks --- */

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct sender *s = user;
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
	copy_text(dst, cap, v, n);
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	static const char rid[] = "x-line-request-id:";
	static const char aid[] = "x-line-accepted-request-id:";
	struct sender *s = user;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
		s->req_id[0] = s->acc_id[0] = '\0';	/* a new response */
	} else if (n > sizeof(rid) - 1 && strncasecmp(ptr, rid, sizeof(rid) - 1) == 0)
		header_value(s->req_id, sizeof(s->req_id), ptr + sizeof(rid) - 1,
		    n - (sizeof(rid) - 1));
	else if (n > sizeof(aid) - 1 && strncasecmp(ptr, aid, sizeof(aid) - 1) == 0)
		header_value(s->acc_id, sizeof(s->acc_id), ptr + sizeof(aid) - 1,
		    n - (sizeof(aid) - 1));
	return n;
}

static size_t
on_read(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct sender *s = user;
	size_t n = size * nmemb;

	if (n > s->msg_len - s->msg_off)
		n = s->msg_len - s->msg_off;
	memcpy(ptr, s->msg + s->msg_off, n);
	s->msg_off += n;
	return n;
}

/* --- LINE --- */

static CURL *
line_handle(struct sender *s)
{
	CURL *h;

	if (s->line != NULL)
		return s->line;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_URL, s->line_url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->cfg.line_timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		s->cfg.line_timeout < 10 ? s->cfg.line_timeout : 10L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)MAXAGE_CONN) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, s->line_token) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "oshirase/" OSHIRASE_VERSION) != CURLE_OK) {
		curl_easy_cleanup(h);
		return NULL;
	}
	s->line = h;
	return h;
}

/* The push request body, or NULL with why set. */
static char *
line_body(const struct job *j, const char **why)
{
	json_t *root = NULL, *msgs, *m;
	char *out = NULL;

	*why = "out of memory";
	if ((root = json_object()) == NULL || (msgs = json_array()) == NULL)
		goto out;
	if (json_object_set_new(root, "to", json_string(j->to)) != 0) {
		*why = "the user id is not UTF-8";
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
	}
	out = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	return out;
}

/* LINE's error "message" from a response body, or "". */
static void
line_message(const struct sender *s, char *dst, size_t cap)
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
		copy_text(dst, cap, json_string_value(msg), json_string_length(msg));
	json_decref(root);
}

static void
line_perform(struct sender *s, const struct job *j, struct job_result *r)
{
	struct curl_slist *hdrs = NULL, *tmp;
	char keyhdr[64], message[sizeof(r->detail)];
	const char *why = NULL;
	char *body = NULL;
	long status = 0, nconn = 0;
	CURLcode cc;
	CURL *h;

	if (s->line_token == NULL) {
		r->outcome = JOB_AUTH;
		set_detail(r, "LINE channel access token file is missing: %s",
		    s->line_token_path);
		return;
	}
	r->outcome = JOB_PERMANENT;
	if (util_uuid_parse(j->retry_key, NULL) != 0) {
		set_detail(r, "the retry key is not a lowercase UUID");
		return;
	}
	if (j->ntexts < 1 || j->ntexts > JOB_MAX_TEXTS) {
		set_detail(r, "a LINE push holds 1 to %d texts", JOB_MAX_TEXTS);
		return;
	}
	for (unsigned t = 0; t < j->ntexts; t++) {
		if (!utf8_valid((const uint8_t *)j->text[t], j->text_len[t])) {
			set_detail(r, "text %u is not UTF-8", t + 1);
			return;
		}
		if (j->text_len[t] == 0 ||
		    util_utf16_units(j->text[t], j->text_len[t]) > JOB_LINE_TEXT_UNITS) {
			set_detail(r, "text %u is empty or longer than %d UTF-16 "
			    "units", t + 1, JOB_LINE_TEXT_UNITS);
			return;
		}
	}
	if ((body = line_body(j, &why)) == NULL) {
		set_detail(r, "%s", why);
		return;
	}
	r->outcome = JOB_RETRY;
	if ((h = line_handle(s)) == NULL) {
		set_detail(r, "curl_easy_init failed");
		goto out;
	}
	snprintf(keyhdr, sizeof(keyhdr), "X-Line-Retry-Key: %s", j->retry_key);
	if ((tmp = curl_slist_append(hdrs, "Content-Type: application/json")) == NULL ||
	    (hdrs = tmp, tmp = curl_slist_append(hdrs, keyhdr)) == NULL ||
	    (hdrs = tmp, tmp = curl_slist_append(hdrs, "Expect:")) == NULL) {
		set_detail(r, "out of memory");
		goto out;
	}
	hdrs = tmp;
	s->resp_len = 0;
	s->req_id[0] = s->acc_id[0] = s->errbuf[0] = '\0';
	if (curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK) {
		set_detail(r, "curl_easy_setopt failed");
		goto out;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		s->st.line_connects += (unsigned long)nconn;
	r->status = (int32_t)status;
	r->transport = (int32_t)cc;
	if (cc != CURLE_OK) {
		/* A timeout after the request went out may have been accepted:
		 * the retry, with the same key, is answered 409. */
		r->outcome = JOB_RETRY;
		set_detail(r, "%s", curl_reason(s, cc));
		goto out;
	}
	line_message(s, message, sizeof(message));
	if (status >= 200 && status < 300) {
		r->outcome = JOB_SENT;
		snprintf(r->request_id, sizeof(r->request_id), "%s", s->req_id);
	} else if (status == 409) {
		r->outcome = JOB_SENT;
		snprintf(r->request_id, sizeof(r->request_id), "%s",
		    s->acc_id[0] ? s->acc_id : s->req_id);
	} else if (status == 401 || status == 403)
		r->outcome = JOB_AUTH;
	else if (status == 429)
		r->outcome = strcmp(message, LINE_MONTHLY) == 0 ? JOB_QUOTA : JOB_RATE;
	else if (status >= 400 && status < 500)
		r->outcome = JOB_PERMANENT;
	else
		r->outcome = JOB_RETRY;		/* 5xx, or what LINE never sends */
	if (r->outcome != JOB_SENT && r->request_id[0] == '\0')
		snprintf(r->request_id, sizeof(r->request_id), "%s", s->req_id);
	if (message[0] != '\0')
		set_detail(r, "%s", message);
	else if (r->outcome != JOB_SENT)
		set_detail(r, "HTTP %ld", status);
out:
	if (s->line != NULL) {
		curl_easy_setopt(s->line, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(s->line, CURLOPT_POSTFIELDS, NULL);
	}
	curl_slist_free_all(hdrs);
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	sodium_memzero(s->resp, s->resp_len);
	s->resp_len = 0;
}

/* --- email --- */

static CURL *
mail_handle(struct sender *s)
{
	CURL *h;

	if (s->mail != NULL)
		return s->mail;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_URL, s->cfg.mail_url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USE_SSL, s->mail_ssl) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->cfg.mail_timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		s->cfg.mail_timeout < 20 ? s->cfg.mail_timeout : 20L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)MAXAGE_CONN) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, s->mail_from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK ||
	    (s->cfg.mail_cafile[0] != '\0' &&
		curl_easy_setopt(h, CURLOPT_CAINFO, s->cfg.mail_cafile) != CURLE_OK) ||
	    (s->mail_pass != NULL &&
		(curl_easy_setopt(h, CURLOPT_USERNAME, s->cfg.mail_user) != CURLE_OK ||
		 curl_easy_setopt(h, CURLOPT_PASSWORD, s->mail_pass) != CURLE_OK))) {
		curl_easy_cleanup(h);
		return NULL;
	}
	s->mail = h;
	return h;
}

/* What an SMTP failure says, without the server's text (it may repeat
 * the address). */
static const char *
smtp_reason(const struct sender *s, CURLcode cc)
{
	switch (cc) {
	case CURLE_LOGIN_DENIED:
		return "authentication refused";
	case CURLE_USE_SSL_FAILED:
		return "the relay offers no STARTTLS";
	default:
		return curl_reason(s, cc);
	}
}

static void
mail_perform(struct sender *s, const struct job *j, struct job_result *r)
{
	struct curl_slist *rcpt = NULL;
	char err[128], to[sizeof(j->to) + 2];
	const char *name = j->language == LANG_EN ? s->cfg.city_en : s->cfg.city_ja;
	long code = 0, nconn = 0;
	size_t need;
	CURLcode cc;
	CURL *h;

	r->outcome = JOB_PERMANENT;
	need = mail_bound(j, &s->cfg);
	if (need > s->msg_cap) {
		if (s->msg != NULL)
			sodium_memzero(s->msg, s->msg_cap);
		free(s->msg);
		s->msg = xmalloc(need);
		s->msg_cap = need;
	}
	s->msg_len = mail_format(j, name, s->cfg.mail_from, time(NULL),
	    s->msg, s->msg_cap, err, sizeof(err));
	if (s->msg_len == 0) {
		set_detail(r, "%s", err);
		return;
	}
	s->msg_off = 0;
	r->outcome = JOB_RETRY;
	if ((h = mail_handle(s)) == NULL) {
		set_detail(r, "curl_easy_init failed");
		goto out;
	}
	snprintf(to, sizeof(to), "<%s>", j->to);
	if ((rcpt = curl_slist_append(NULL, to)) == NULL) {
		set_detail(r, "out of memory");
		goto out;
	}
	s->errbuf[0] = '\0';
	if (curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		(curl_off_t)s->msg_len) != CURLE_OK) {
		set_detail(r, "curl_easy_setopt failed");
		goto out;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		s->st.mail_connects += (unsigned long)nconn;
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
		set_detail(r, "SMTP %ld: %s", code, smtp_reason(s, cc));
	else
		set_detail(r, "%s", smtp_reason(s, cc));
out:
	if (s->mail != NULL)
		curl_easy_setopt(s->mail, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	sodium_memzero(s->msg, s->msg_len);
	s->msg_len = s->msg_off = 0;
}

/* --- the sender --- */

/* STARTTLS is required for smtp:// unless the relay is on this host. */
static int
mail_setup(struct sender *s, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	const char *why;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "curl_url failed");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, s->cfg.mail_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "[email] url '%s' is not a URL", s->cfg.mail_url);
		goto out;
	}
	if (strcasecmp(scheme, "smtps") == 0)
		s->mail_ssl = CURLUSESSL_ALL;
	else if (strcasecmp(scheme, "smtp") == 0)
		s->mail_ssl = strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
		    strcmp(host, "::1") == 0 ? CURLUSESSL_TRY : CURLUSESSL_ALL;
	else {
		snprintf(err, errlen, "[email] url '%s': smtp:// or smtps:// only",
		    s->cfg.mail_url);
		goto out;
	}
	if ((why = addr_check(s->cfg.mail_from)) != NULL) {
		snprintf(err, errlen, "[email] from: %s", why);
		goto out;
	}
	snprintf(s->mail_from, sizeof(s->mail_from), "<%s>", s->cfg.mail_from);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

struct sender *
sender_new(const struct config *cfg, char *err, size_t errlen)
{
	struct sender *s;
	char path[CONFIG_PATH_MAX];
	size_t n;
	int rc;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init: %s",
		    curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->resp = xmalloc(RESP_MAX);

	n = strlen(cfg->line_api);
	while (n > 0 && cfg->line_api[n - 1] == '/')
		n--;
	snprintf(s->line_url, sizeof(s->line_url), "%.*s%s", (int)n,
	    cfg->line_api, LINE_PUSH_PATH);
	config_secret_path(cfg->line_token, s->line_token_path,
	    sizeof(s->line_token_path));
	rc = secret_text_read(s->line_token_path, 1, &s->line_token, err, errlen);
	if (rc == -1)
		goto fail;

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
		rc = secret_text_read(path, 0, &s->mail_pass, err, errlen);
		if (rc == -ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
		if (rc != 0)
			goto fail;
	}
	return s;
fail:
	sender_free(s);
	return NULL;
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	if (s->line != NULL)
		curl_easy_cleanup(s->line);
	if (s->mail != NULL)
		curl_easy_cleanup(s->mail);	/* QUIT */
	if (s->line_token != NULL)
		sodium_free(s->line_token);
	if (s->mail_pass != NULL)
		sodium_free(s->mail_pass);
	if (s->msg != NULL)
		sodium_memzero(s->msg, s->msg_cap);
	free(s->msg);
	free(s->resp);
	free(s);
}

int
sender_perform(struct sender *s, const struct job *j, struct job_result *r)
{
	memset(r, 0, sizeof(*r));
	r->id = j->id;
	r->attempt = j->attempt;
	s->st.jobs++;
	switch (j->channel) {
	case CHANNEL_LINE:
		line_perform(s, j, r);
		break;
	case CHANNEL_EMAIL:
		mail_perform(s, j, r);
		break;
	default:
		r->outcome = JOB_PERMANENT;
		set_detail(r, "unknown channel %u", j->channel);
		break;
	}
	return 0;
}

void
sender_stats(const struct sender *s, struct sender_stats *st)
{
	*st = s->st;
}

/* --- the ZeroMQ loop --- */

int
sender_loop(void *zctx, const char *jobs_ep, const char *results_ep,
    const struct config *cfg)
{
	struct sender *s;
	struct job j;
	struct job_result r;
	uint8_t out[512];
	void *pull = NULL, *push = NULL;
	char err[1200];
	/* A small receive queue, so that jobs spread over the senders
	 * instead of waiting behind a slow one; unsent jobs are dropped at
	 * shutdown (the dispatcher times them out), results get a while. */
	int hwm = 2, zero = 0, linger = SENDER_LINGER_MS, rc = -1;

	if ((s = sender_new(cfg, err, sizeof(err))) == NULL) {
		log_warnx("sender_loop: %s", err);
		return -1;
	}
	if ((pull = zmq_socket(zctx, ZMQ_PULL)) == NULL ||
	    (push = zmq_socket(zctx, ZMQ_PUSH)) == NULL) {
		if (errno == ETERM)
			rc = 0;
		else
			log_warnx("sender_loop: zmq_socket: %s", zmq_strerror(errno));
		goto out;
	}
	if (zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger)) != 0) {
		log_warnx("sender_loop: zmq_setsockopt: %s", zmq_strerror(errno));
		goto out;
	}
	if (zmq_connect(pull, jobs_ep) != 0) {
		log_warnx("sender_loop: connect %s: %s", jobs_ep, zmq_strerror(errno));
		goto out;
	}
	if (zmq_connect(push, results_ep) != 0) {
		log_warnx("sender_loop: connect %s: %s", results_ep,
		    zmq_strerror(errno));
		goto out;
	}
	for (;;) {
		zmq_msg_t msg;
		size_t n;
		int sent;

		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, pull, 0) < 0) {
			int e = errno;

			zmq_msg_close(&msg);
			if (e == EINTR)
				continue;
			if (e == ETERM)
				rc = 0;
			else
				log_warnx("sender_loop: zmq_msg_recv: %s",
				    zmq_strerror(e));
			break;
		}
		if (job_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &j) != 0) {
			log_warnx("sender_loop: a job frame of %zu bytes does not "
			    "decode; dropped", zmq_msg_size(&msg));
			zmq_msg_close(&msg);
			continue;
		}
		sender_perform(s, &j, &r);
		/* texts point into msg; wipe what the frame held */
		sodium_memzero(zmq_msg_data(&msg), zmq_msg_size(&msg));
		zmq_msg_close(&msg);
		sodium_memzero(&j, sizeof(j));
		log_debug("sender_loop: job %016llx attempt %u: %s, status %d",
		    (unsigned long long)r.id, r.attempt,
		    job_outcome_name(r.outcome), r.status);
		n = job_result_encode(&r, out, sizeof(out));
		if (n == 0) {
			log_warnx("sender_loop: job %016llx: result does not "
			    "encode", (unsigned long long)r.id);
			continue;
		}
		while ((sent = zmq_send(push, out, n, 0)) < 0 && errno == EINTR)
			;
		if (sent < 0) {
			if (errno == ETERM) {
				rc = 0;
				break;
			}
			log_warnx("sender_loop: job %016llx: zmq_send: %s",
			    (unsigned long long)r.id, zmq_strerror(errno));
		}
	}
out:
	if (pull != NULL)
		zmq_close(pull);
	if (push != NULL)
		zmq_close(push);
	sender_free(s);
	return rc;
}

void *
sender_thread(void *arg)
{
	struct sender_thread_args *a = arg;

	a->rc = sender_loop(a->zctx, a->jobs_ep, a->results_ep, a->cfg);
	return a;
}
