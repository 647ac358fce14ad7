/* test_mail.c - mail_format: the RFC 5322 message of an email job
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"
#include "mailaddr.h"
#include "store.h"
#include "util.h"

#define FROM "noreply@city.mihon.example.jp"
#define CITY "みほん市"
#define T0 ((time_t)1795424277)	/* 2026-11-23 08:57:57 UTC */

/* 69 characters, 207 bytes: needs several encoded-words and folding. */
static const char long_subject[] =
    "【みほん市】あなたが対象となる可能性のある制度のお知らせ：児童手当、"
    "子ども医療費助成、ひとり親家庭等医療費助成、がん検診のご案内です";

static char buf[1 << 16];

static void
job_fill(struct job *j, const char *subject, const char *t1, const char *t2)
{
	memset(j, 0, sizeof(*j));
	j->id = 42;
	j->attempt = 1;
	j->channel = CHANNEL_EMAIL;
	j->language = LANG_JA;
	snprintf(j->to, sizeof(j->to), "taro@example.net");
	snprintf(j->subject, sizeof(j->subject), "%s", subject);
	snprintf(j->message_id, sizeof(j->message_id),
	    "d0539b91-a9be-4cfa-a1f0-ea7b52f1fc1c");
	snprintf(j->unsubscribe, sizeof(j->unsubscribe),
	    "https://city.example.jp/u/abc123");
	j->text[0] = t1;
	j->text_len[0] = strlen(t1);
	j->ntexts = 1;
	if (t2 != NULL) {
		j->text[1] = t2;
		j->text_len[1] = strlen(t2);
		j->ntexts = 2;
	}
}

static size_t
format(const struct job *j, const char *name)
{
	char err[128];
	size_t n = mail_format(j, name, FROM, T0, buf, sizeof(buf), err,
	    sizeof(err));

	if (n == 0)
		fail_msg("mail_format: %s", err);
	assert_int_equal(strlen(buf), n);
	return n;
}

/* The header block: up to the first empty line. */
static size_t
header_len(const char *m)
{
	const char *e = strstr(m, "\r\n\r\n");

	assert_non_null(e);
	return (size_t)(e - m) + 2;
}

/* The (unfolded) value of header name, into out. */
static int
header_get(const char *m, const char *name, char *out, size_t cap)
{
	size_t hl = header_len(m), nl = strlen(name), o = 0;
	const char *p = m;

	while (p < m + hl) {
		const char *eol = strstr(p, "\r\n");

		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			for (;;) {
				eol = strstr(p, "\r\n");
				while (p < eol && o + 1 < cap)
					out[o++] = *p++;
				p = eol + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			out[o] = '\0';
			return 0;
		}
		p = eol + 2;
	}
	return -1;
}

/* Decode the encoded-words of an unfolded value; each one must hold
 * whole UTF-8 characters (checked on its own) and be at most 75 chars. */
static void
words_decode(const char *v, char *out, size_t cap, int *nwords)
{
	const char *p = v;
	size_t o = 0;

	*nwords = 0;
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *b = p + 10, *e = strstr(b, "?=");
		unsigned char bin[128];
		size_t binlen;

		assert_non_null(e);
		assert_true(e + 2 - p <= 75);
		assert_int_equal(sodium_base642bin(bin, sizeof(bin), b,
		    (size_t)(e - b), NULL, &binlen, NULL,
		    sodium_base64_VARIANT_ORIGINAL), 0);
		assert_true(binlen <= 45);
		assert_true(utf8_valid(bin, binlen));
		assert_true(o + binlen < cap);
		memcpy(out + o, bin, binlen);
		o += binlen;
		(*nwords)++;
		p = e + 2;
	}
	out[o] = '\0';
}

static void
test_crlf_everywhere(void **state)
{
	struct job j;
	size_t n;

	(void)state;
	job_fill(&j, long_subject, "一行目\n二行目\r\n三行目\r四行目", "second");
	n = format(&j, CITY);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			assert_true(i > 0 && buf[i - 1] == '\r');
		if (buf[i] == '\r')
			assert_true(i + 1 < n && buf[i + 1] == '\n');
	}
	assert_true(n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n');
}

static void
test_header_lines_short(void **state)
{
	struct job j;
	size_t hl, start = 0;
	int lines = 0;

	(void)state;
	job_fill(&j, long_subject, "x", NULL);
	format(&j, "みほん市役所こども未来局こども家庭支援課（お知らせサービス担当）");
	hl = header_len(buf);
	for (size_t i = 0; i < hl; i++)
		if (buf[i] == '\n') {
			size_t len = i - 1 - start;	/* without CRLF */

			assert_true(len <= 78);
			if (memmem(buf + start, len, "=?", 2) != NULL)
				assert_true(len <= 76);
			start = i + 1;
			lines++;
		}
	assert_true(lines >= 12);	/* the subject and From were folded */
}

static void
test_subject_words(void **state)
{
	struct job j;
	char v[2048], dec[1024];
	int nwords;

	(void)state;
	job_fill(&j, long_subject, "x", NULL);
	format(&j, CITY);
	assert_int_equal(header_get(buf, "Subject", v, sizeof(v)), 0);
	words_decode(v, dec, sizeof(dec), &nwords);
	assert_string_equal(dec, long_subject);
	assert_true(nwords >= 5);	/* 207 bytes at most 45 a word */
	/* folded: the raw header has CRLF SP between words */
	assert_non_null(strstr(buf, "?=\r\n =?UTF-8?B?"));
}

/* A subject of 4-byte characters and mixed widths: no character is cut
 * however the chunks fall. */
static void
test_subject_mixed_widths(void **state)
{
	static const char *subjects[] = {
		"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
		"aé日😀aé日😀aé日😀aé日😀aé日😀aé日😀aé日😀aé日😀aé日😀aé日😀",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij",
		"a",
		"",
	};
	struct job j;
	char v[2048], dec[1024];
	int nwords;

	(void)state;
	for (size_t k = 0; k < sizeof(subjects) / sizeof(subjects[0]); k++) {
		job_fill(&j, subjects[k], "x", NULL);
		format(&j, CITY);
		assert_int_equal(header_get(buf, "Subject", v, sizeof(v)), 0);
		words_decode(v, dec, sizeof(dec), &nwords);
		assert_string_equal(dec, subjects[k]);
	}
}

static void
test_from_to_ids(void **state)
{
	struct job j;
	char v[1024], dec[512];
	int nwords;

	(void)state;
	job_fill(&j, "件名", "x", NULL);
	format(&j, CITY);
	assert_int_equal(header_get(buf, "From", v, sizeof(v)), 0);
	words_decode(v, dec, sizeof(dec), &nwords);
	assert_string_equal(dec, CITY);
	assert_non_null(strstr(v, "?= <" FROM ">"));
	assert_int_equal(header_get(buf, "To", v, sizeof(v)), 0);
	assert_string_equal(v, " <taro@example.net>");
	assert_int_equal(header_get(buf, "Message-ID", v, sizeof(v)), 0);
	assert_string_equal(v, " <d0539b91-a9be-4cfa-a1f0-ea7b52f1fc1c"
	    "@city.mihon.example.jp>");
	assert_int_equal(header_get(buf, "List-Unsubscribe", v, sizeof(v)), 0);
	assert_string_equal(v, " <https://city.example.jp/u/abc123>");
	assert_int_equal(header_get(buf, "List-Unsubscribe-Post", v, sizeof(v)), 0);
	assert_string_equal(v, " List-Unsubscribe=One-Click");
	assert_int_equal(header_get(buf, "MIME-Version", v, sizeof(v)), 0);
	assert_string_equal(v, " 1.0");
	assert_int_equal(header_get(buf, "Content-Type", v, sizeof(v)), 0);
	assert_string_equal(v, " text/plain; charset=UTF-8");
	assert_int_equal(header_get(buf, "Content-Transfer-Encoding", v, sizeof(v)), 0);
	assert_string_equal(v, " base64");

	/* a URL too long for the line stays on the field's first line: no
	 * line of only "List-Unsubscribe:" */
	snprintf(j.unsubscribe, sizeof(j.unsubscribe), "https://www.city.mihon."
	    "example.jp/oshirase/unsubscribe/0123456789abcdef0123456789abcdef");
	format(&j, CITY);
	assert_non_null(strstr(buf, "\r\nList-Unsubscribe: <https://www.city."));
	assert_null(strstr(buf, ":\r\n"));

	/* no unsubscribe URL: neither List-Unsubscribe header */
	j.unsubscribe[0] = '\0';
	format(&j, "Mihon City");
	assert_int_equal(header_get(buf, "List-Unsubscribe", v, sizeof(v)), -1);
	assert_int_equal(header_get(buf, "List-Unsubscribe-Post", v, sizeof(v)), -1);
	assert_int_equal(header_get(buf, "From", v, sizeof(v)), 0);
	words_decode(v, dec, sizeof(dec), &nwords);
	assert_string_equal(dec, "Mihon City");
}

static void
test_date_japan_time(void **state)
{
	struct job j;
	char err[128], v[128];

	(void)state;
	job_fill(&j, "s", "x", NULL);
	format(&j, CITY);
	assert_int_equal(header_get(buf, "Date", v, sizeof(v)), 0);
	assert_string_equal(v, " Mon, 23 Nov 2026 17:57:57 +0900");
	/* 2026-12-31 15:00:05 UTC is New Year's Day in Japan */
	assert_true(mail_format(&j, CITY, FROM, (time_t)1798729205, buf,
	    sizeof(buf), err, sizeof(err)) > 0);
	assert_int_equal(header_get(buf, "Date", v, sizeof(v)), 0);
	assert_string_equal(v, " Fri, 01 Jan 2027 00:00:05 +0900");
	assert_int_equal(strncmp(buf, "Date: ", 6), 0);
}

static void
test_body_decodes(void **state)
{
	static const char t1[] = "市民の皆さまへ\n児童手当の対象となる可能性があります。";
	static const char t2[] = ".leading dot\r\nline two\r";
	static const char want[] = "市民の皆さまへ\r\n児童手当の対象となる可能性があります。"
	    "\r\n\r\n.leading dot\r\nline two\r\n";
	struct job j;
	char b64[8192];
	unsigned char bin[8192];
	size_t hl, o = 0, binlen;
	const char *p;

	(void)state;
	job_fill(&j, "s", t1, t2);
	format(&j, CITY);
	hl = header_len(buf);
	p = buf + hl + 2;	/* after the empty line */
	while (*p) {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		assert_true(eol - p <= 76);
		memcpy(b64 + o, p, (size_t)(eol - p));
		o += (size_t)(eol - p);
		p = eol + 2;
	}
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), b64, o, NULL,
	    &binlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(binlen, sizeof(want) - 1);
	assert_memory_equal(bin, want, binlen);
}

/* A long body: every base64 line but the last is exactly 76. */
static void
test_body_lines(void **state)
{
	char text[3000];
	struct job j;
	size_t hl, full = 0;
	const char *p;

	(void)state;
	for (size_t i = 0; i + 3 < sizeof(text); i += 3)
		memcpy(text + i, "あ", 3);
	text[sizeof(text) - 3] = '\0';
	job_fill(&j, "s", text, NULL);
	format(&j, CITY);
	hl = header_len(buf);
	for (p = buf + hl + 2; *p; ) {
		const char *eol = strstr(p, "\r\n");

		if (eol[2] != '\0') {
			assert_int_equal(eol - p, 76);
			full++;
		} else
			assert_true(eol - p <= 76);
		p = eol + 2;
	}
	assert_true(full > 50);
}

static void
expect_refused(const struct job *j, const char *name, const char *from,
    const char *why)
{
	char err[128];

	memset(buf, 'X', 64);
	err[0] = '\0';
	assert_int_equal(mail_format(j, name, from, T0, buf, sizeof(buf), err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, why));
	assert_int_equal(buf[0], '\0');
}

static void
test_header_injection(void **state)
{
	struct job j;

	(void)state;
	job_fill(&j, "s\r\nBcc: victim@example.org", "x", NULL);
	expect_refused(&j, CITY, FROM, "header injection");
	job_fill(&j, "s\nBcc: victim@example.org", "x", NULL);
	expect_refused(&j, CITY, FROM, "header injection");
	job_fill(&j, "s", "x", NULL);
	snprintf(j.to, sizeof(j.to), "taro@example.net\r\nBcc: v@example.org");
	expect_refused(&j, CITY, FROM, "header injection");
	job_fill(&j, "s", "x", NULL);
	snprintf(j.message_id, sizeof(j.message_id), "abc\rdef");
	expect_refused(&j, CITY, FROM, "header injection");
	job_fill(&j, "s", "x", NULL);
	snprintf(j.unsubscribe, sizeof(j.unsubscribe), "https://x/\nBcc: a@b");
	expect_refused(&j, CITY, FROM, "header injection");
	job_fill(&j, "s", "x", NULL);
	expect_refused(&j, "city\r\nBcc: a@b", FROM, "header injection");
	expect_refused(&j, CITY, "noreply@x\r\nBcc: a@b", "header injection");
}

static void
test_bad_values_refused(void **state)
{
	static const char *bad_to[] = { "taro@example.net> NOTIFY=NEVER",
		"taro <x@y>", "no-at-sign", "@example.net", "taro@", "a@b@c",
		"tarō@example.net", "ta\tro@example.net", "" };
	struct job j;

	(void)state;
	for (size_t k = 0; k < sizeof(bad_to) / sizeof(bad_to[0]); k++) {
		job_fill(&j, "s", "x", NULL);
		snprintf(j.to, sizeof(j.to), "%s", bad_to[k]);
		expect_refused(&j, CITY, FROM, "address");
	}
	job_fill(&j, "s", "x", NULL);
	snprintf(j.message_id, sizeof(j.message_id), "a@b");
	expect_refused(&j, CITY, FROM, "header value");
	job_fill(&j, "s", "x", NULL);
	j.message_id[0] = '\0';
	expect_refused(&j, CITY, FROM, "Message-ID");
	job_fill(&j, "s", "x", NULL);
	snprintf(j.unsubscribe, sizeof(j.unsubscribe), "https://x/a b");
	expect_refused(&j, CITY, FROM, "header value");
	job_fill(&j, "\xe3\x81", "x", NULL);	/* a cut character */
	expect_refused(&j, CITY, FROM, "not UTF-8");
	job_fill(&j, "s", "ok \xff", NULL);
	expect_refused(&j, CITY, FROM, "not UTF-8");
	job_fill(&j, "s\x01", "x", NULL);
	expect_refused(&j, CITY, FROM, "control");
	/* a URL too long for one header line (998) */
	job_fill(&j, "s", "x", NULL);
	memset(j.unsubscribe, 'a', 1000);
	memcpy(j.unsubscribe, "https://", 8);
	j.unsubscribe[1000] = '\0';
	expect_refused(&j, CITY, FROM, "998");
}

static void
test_no_room(void **state)
{
	struct job j;
	char small[300], err[128];
	size_t n;

	(void)state;
	job_fill(&j, long_subject, "x", NULL);
	n = mail_format(&j, CITY, FROM, T0, small, sizeof(small), err, sizeof(err));
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "does not fit"));
	assert_int_equal(small[0], '\0');
	n = format(&j, CITY);
	/* exactly the room it needs (with its NUL) is enough, one less not */
	assert_true(mail_format(&j, CITY, FROM, T0, buf, n + 1, err,
	    sizeof(err)) == n);
	assert_int_equal(mail_format(&j, CITY, FROM, T0, buf, n, err,
	    sizeof(err)), 0);
}

/* mailaddr_wire: what goes on the wire for each kind of address */
static void
test_wire_addresses(void **state)
{
	static const struct {
		const char *in, *out;	/* out NULL: refused */
	} c[] = {
		{ "taro@example.jp", "taro@example.jp" },
		{ "jiro@xn--r8jz45g.jp", "jiro@xn--r8jz45g.jp" },
		/* 例え.jp, its A-label as IDNA 2008 gives it */
		{ "taro@\xe4\xbe\x8b\xe3\x81\x88.jp", "taro@xn--r8jz45g.jp" },
		/* münchen.de: NFC input, then the A-label */
		{ "a@mu\xcc\x88nchen.de", "a@xn--mnchen-3ya.de" },
		{ "\xe5\xa4\xaa\xe9\x83\x8e@example.jp", NULL },
		{ "<taro@example.jp>", NULL },
		{ "taro@exa\"mple.jp", NULL },
		{ "ta ro@example.jp", NULL },
		{ "taro.example.jp", NULL },
		/* not UTF-8 in the domain */
		{ "taro@\xff\xfe.jp", NULL },
		/* a domain IDNA 2008 disallows (a symbol) */
		{ "taro@\xe2\x98\x83.jp", NULL },
	};
	char out[MAILADDR_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *why = mailaddr_wire(c[i].in, strlen(c[i].in), out,
		    sizeof(out));

		if (c[i].out == NULL) {
			if (why == NULL)
				fail_msg("case %zu accepted as %s", i, out);
			assert_string_equal(out, "");
		} else {
			if (why != NULL)
				fail_msg("case %zu refused: %s", i, why);
			assert_string_equal(out, c[i].out);
		}
	}
	/* the room is honoured */
	assert_non_null(mailaddr_wire("taro@example.jp", 15, out, 15));
	assert_null(mailaddr_wire("taro@example.jp", 15, out, 16));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf_everywhere),
		cmocka_unit_test(test_header_lines_short),
		cmocka_unit_test(test_subject_words),
		cmocka_unit_test(test_subject_mixed_widths),
		cmocka_unit_test(test_from_to_ids),
		cmocka_unit_test(test_date_japan_time),
		cmocka_unit_test(test_body_decodes),
		cmocka_unit_test(test_body_lines),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_bad_values_refused),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_wire_addresses),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
