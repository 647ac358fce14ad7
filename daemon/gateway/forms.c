/* forms.c - form bodies and the HTML pages (forms.h)
 * SPDX-License-Identifier: MIT
 *
 * Owns: the urlencoded parser, the one-click check, the address check
 * and the pages' text.  Never touches: the network, the queue, the store,
 * tokens; no page holds anything the request sent.
 */
#include "forms.h"
#include "util.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parsing ----------------------------------------------------------------- */

/* Decode s[0..n) onto the end of f->buf with a NUL: its start, or NULL
 * and *rc set. */
static const char *
decode(struct form *f, const char *s, size_t n, int *rc)
{
	char *out = f->buf + f->used, *start = out;
	int hi, lo;
	unsigned char c;

	for (size_t i = 0; i < n; i++) {
		if (f->used + (size_t)(out - start) + 1 >= FORM_MAX_BYTES) {
			*rc = FORM_ETOOLONG;
			return NULL;
		}
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n) {
				*rc = FORM_EESCAPE;
				return NULL;
			}
			if ((hi = util_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = util_hexval((unsigned char)s[i + 2])) < 0) {
				*rc = FORM_EESCAPE;
				return NULL;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			*rc = FORM_EBYTES;
			return NULL;
		}
		*out++ = (char)c;
	}
	if (!utf8_valid((const uint8_t *)start, (size_t)(out - start))) {
		*rc = FORM_EBYTES;
		return NULL;
	}
	/* the NUL too: an empty text at the buffer's very end has none */
	if (f->used + (size_t)(out - start) + 1 > FORM_MAX_BYTES) {
		*rc = FORM_ETOOLONG;
		return NULL;
	}
	*out++ = '\0';
	f->used += (size_t)(out - start);
	return start;
}

int
form_parse(const char *body, size_t len, struct form *f)
{
	const char *p = body, *end = body + len, *amp, *eq, *name, *value;
	int rc = 0;

	f->n = f->used = 0;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (f->n == FORM_MAX_FIELDS) {
			rc = FORM_ETOOMANY;
			break;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if ((name = decode(f, p, (size_t)((eq ? eq : amp) - p), &rc)) == NULL ||
		    (value = eq ? decode(f, eq + 1, (size_t)(amp - eq - 1), &rc) :
		    decode(f, p, 0, &rc)) == NULL)
			break;
		f->f[f->n].name = name;
		f->f[f->n].value = value;
		f->n++;
		p = amp + 1;
	}
	if (rc != 0)
		f->n = f->used = 0;
	return rc;
}

const char *
form_strerror(int code)
{
	switch (code) {
	case 0: return "no error";
	case FORM_EESCAPE: return "a '%' not followed by two hex digits";
	case FORM_ETOOLONG: return "the form is too long";
	case FORM_ETOOMANY: return "too many fields";
	case FORM_EBYTES: return "a control character or bad UTF-8";
	default: return "unknown error";
	}
}

const char *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

static const struct {
	const char *name;
	unsigned bit;
} categories[] = {
	{ "health", 1 }, { "child", 2 }, { "welfare", 4 }, { "tax", 8 }
};

int
form_consent(const struct form *f, unsigned *bits)
{
	size_t j;

	*bits = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->f[i].name, "consent") != 0)
			continue;
		for (j = 0; j < sizeof(categories) / sizeof(categories[0]); j++)
			if (strcmp(f->f[i].value, categories[j].name) == 0)
				break;
		if (j == sizeof(categories) / sizeof(categories[0]))
			return -1;
		*bits |= categories[j].bit;
	}
	return 0;
}

int
form_one_click(const char *body, size_t len, const char *ctype)
{
	static const char name[] = "name=\"List-Unsubscribe\"";
	static const char value[] = "One-Click";
	struct form f;
	const char *p, *e, *end = body + len;
	const char *v;

	if (ctype != NULL && strncasecmp(ctype, "multipart/form-data", 19) == 0) {
		/* the part's headers, a blank line, then the value */
		if ((p = memmem(body, len, name, sizeof(name) - 1)) == NULL ||
		    (e = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL)
			return 0;
		e += 4;
		return (size_t)(end - e) >= sizeof(value) + 1 &&
		    memcmp(e, value, sizeof(value) - 1) == 0 &&
		    memcmp(e + sizeof(value) - 1, "\r\n", 2) == 0;
	}
	if (form_parse(body, len, &f) != 0)
		return 0;
	v = form_get(&f, "List-Unsubscribe");
	return v != NULL && strcmp(v, value) == 0;
}

int
form_address_ok(const char *s)
{
	const char *at = strchr(s, '@'), *dot;
	size_t n = strlen(s);

	if (n == 0 || n > 254 || at == NULL || at == s || strchr(at + 1, '@'))
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	dot = strchr(at + 1, '.');
	return dot != NULL && dot != at + 1 && s[n - 1] != '.';
}

/* ---- pages ------------------------------------------------------------------- */

static const char style[] =
    "body{font-family:sans-serif;max-width:40em;margin:1em auto;"
    "padding:0 1em;line-height:1.6}.en{color:#444}fieldset{margin:1em 0}"
    "button{font-size:1.1em;padding:.4em 1em}";

enum form_kind { F_NONE, F_REGISTER, F_CONFIRM, F_MANAGE };

static const struct {
	const char *title_ja, *title_en, *text_ja, *text_en;
	enum form_kind form;
} pages[PAGE_MAX + 1] = {
	[PAGE_REGISTER] = { "メールで登録", "Register by email",
	    "市からのお手紙にある登録コードと、お知らせを受け取るメールアドレスを入力してください。",
	    "Enter the registration code from the city's letter and the email address to receive notices at.",
	    F_REGISTER },
	[PAGE_REGISTER_SENT] = { "確認のメールを送りました", "Check your email",
	    "お送りしたメールのリンクを開いて、登録を完了してください。",
	    "We have sent you an email. Open its link to finish registering.", F_NONE },
	[PAGE_CONFIRM] = { "登録の確認", "Confirm your registration",
	    "受け取りたいお知らせを選んで「登録する」を押してください。",
	    "Choose the notices you want, then press Register.", F_CONFIRM },
	[PAGE_CONFIRMED] = { "登録しました", "You are registered",
	    "このメールアドレスにお知らせをお送りします。",
	    "Notices will be sent to this email address.", F_NONE },
	[PAGE_MANAGE] = { "お知らせの受信設定", "Your notice settings",
	    "受け取るお知らせを変えるか、配信を停止できます。",
	    "You can change which notices you receive, or stop them all.", F_MANAGE },
	[PAGE_UNSUBSCRIBED] = { "配信を停止しました", "Notices stopped",
	    "このメールアドレスにはお知らせをお送りしません。",
	    "No more notices will be sent to this email address.", F_NONE },
	[PAGE_SAVED] = { "設定を保存しました", "Settings saved",
	    "次のお知らせから、この設定に従ってお送りします。",
	    "Notices from now on follow these settings.", F_NONE },
	[PAGE_BADCODE] = { "登録コードが正しくありません", "The code is not valid",
	    "お手紙の登録コードをもう一度確かめてください。",
	    "Please check the registration code in the letter.", F_REGISTER },
	[PAGE_BADADDRESS] = { "メールアドレスが正しくありません",
	    "The email address is not valid",
	    "メールアドレスをもう一度確かめてください。",
	    "Please check the email address.", F_REGISTER },
	[PAGE_CODE_EXPIRED] = { "登録コードの期限が切れています", "The code has expired",
	    "市の担当窓口にお問い合わせください。",
	    "Please contact the city office.", F_NONE },
	[PAGE_CODE_USED] = { "この登録コードは使用済みです", "The code has been used",
	    "すでに登録が済んでいるかもしれません。市の担当窓口にお問い合わせください。",
	    "You may be registered already. Please contact the city office.", F_NONE },
	[PAGE_LIMITED] = { "試行回数が多すぎます", "Too many attempts",
	    "しばらく時間をおいてからもう一度お試しください。",
	    "Please wait a while and try again.", F_NONE },
	[PAGE_BADLINK] = { "このリンクは使えません", "This link does not work",
	    "メールのリンクをもう一度確かめてください。",
	    "Please check the link in the email.", F_NONE },
	[PAGE_LINK_EXPIRED] = { "このリンクの期限が切れています", "This link has expired",
	    "もう一度はじめからお手続きください。",
	    "Please start again.", F_NONE },
	[PAGE_UNAVAILABLE] = { "ただいま処理できません", "Please try again later",
	    "しばらく時間をおいてからもう一度お試しください。",
	    "We cannot handle this now. Please try again in a few minutes.", F_NONE },
	[PAGE_BADREQUEST] = { "リクエストが正しくありません", "Bad request",
	    "入力をもう一度確かめてください。",
	    "Please check what you entered.", F_NONE },
	[PAGE_NOTFOUND] = { "ページがありません", "Page not found",
	    "アドレスをもう一度確かめてください。",
	    "Please check the address.", F_NONE },
	[PAGE_METHOD] = { "この操作はできません", "Method not allowed",
	    "このページではこの操作はできません。",
	    "This page does not accept this request.", F_NONE },
};

static const struct {
	const char *value, *ja, *en;
	unsigned bit;
} boxes[] = {
	{ "health", "健康・検診", "Health and check-ups", 1 },
	{ "child", "子育て", "Children", 2 },
	{ "welfare", "福祉", "Welfare", 4 },
};

static void
categories_html(FILE *f, unsigned consent)
{
	fputs("<fieldset><legend>受け取るお知らせ <span class=\"en\" lang=\"en\">"
	    "/ Notices you want</span></legend>\n", f);
	for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++)
		fprintf(f, "<label><input type=\"checkbox\" name=\"consent\" "
		    "value=\"%s\"%s> %s <span class=\"en\" lang=\"en\">/ %s</span>"
		    "</label><br>\n", boxes[i].value,
		    consent & boxes[i].bit ? " checked" : "", boxes[i].ja,
		    boxes[i].en);
	fprintf(f, "</fieldset>\n<fieldset><legend>税の情報 <span class=\"en\" "
	    "lang=\"en\">/ Tax data</span></legend>\n<label><input "
	    "type=\"checkbox\" name=\"consent\" value=\"tax\"%s> 対象かどうかを"
	    "調べるために、市が税の情報を使うことに同意します <span class=\"en\" "
	    "lang=\"en\">/ The city may use my tax data to see whether I may "
	    "qualify</span></label>\n</fieldset>\n", consent & 8 ? " checked" : "");
}

static void
button(FILE *f, const char *ja, const char *en)
{
	fprintf(f, "<p><button type=\"submit\">%s / <span lang=\"en\">%s</span>"
	    "</button></p>\n</form>\n", ja, en);
}

static void
form_html(FILE *f, enum form_kind k, unsigned consent, int active)
{
	switch (k) {
	case F_NONE:
		break;
	case F_REGISTER:
		fputs("<form method=\"post\">\n<p><label>登録コード <span "
		    "class=\"en\" lang=\"en\">/ Registration code</span><br><input "
		    "name=\"code\" required maxlength=\"32\" autocomplete=\"off\">"
		    "</label></p>\n<p><label>メールアドレス <span class=\"en\" "
		    "lang=\"en\">/ Email address</span><br><input type=\"email\" "
		    "name=\"email\" required maxlength=\"254\"></label></p>\n"
		    "<fieldset><legend>お知らせの言語 <span class=\"en\" lang=\"en\">"
		    "/ Language of the notices</span></legend>\n<label><input "
		    "type=\"radio\" name=\"lang\" value=\"ja\" checked> 日本語</label>\n"
		    "<label><input type=\"radio\" name=\"lang\" value=\"en\"> "
		    "English</label>\n</fieldset>\n", f);
		button(f, "送信", "Send");
		break;
	case F_CONFIRM:
		fputs("<form method=\"post\">\n<input type=\"hidden\" "
		    "name=\"action\" value=\"confirm\">\n", f);
		categories_html(f, consent);
		button(f, "登録する", "Register");
		break;
	case F_MANAGE:
		if (!active) {
			fputs("<p>このメールアドレスへの配信は停止しています。<br>"
			    "<span class=\"en\" lang=\"en\">Notices to this email "
			    "address are stopped.</span></p>\n", f);
			break;
		}
		fputs("<form method=\"post\">\n<input type=\"hidden\" "
		    "name=\"action\" value=\"save\">\n", f);
		categories_html(f, consent);
		button(f, "保存する", "Save");
		fputs("<form method=\"post\">\n<input type=\"hidden\" "
		    "name=\"List-Unsubscribe\" value=\"One-Click\">\n", f);
		button(f, "配信を停止する", "Stop all notices");
		break;
	}
}

char *
page_render(enum page p, unsigned consent, int active, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	if ((unsigned)p > PAGE_MAX)
		p = PAGE_NOTFOUND;
	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<title>%s / %s</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<h1>%s<br><span class=\"en\" lang=\"en\">%s</span></h1>\n"
	    "<p>%s<br><span class=\"en\" lang=\"en\">%s</span></p>\n",
	    pages[p].title_ja, pages[p].title_en, style, pages[p].title_ja,
	    pages[p].title_en, pages[p].text_ja, pages[p].text_en);
	form_html(f, pages[p].form, consent, active);
	fputs("</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		*len = 0;
		return NULL;
	}
	return buf;
}

void
page_style_src(char *out, size_t cap)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];

	crypto_hash_sha256(h, (const uint8_t *)style, sizeof(style) - 1);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, cap, "'sha256-%s'", b64);
}
