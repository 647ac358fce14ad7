/* forms.h - what residents' browsers send and what they are shown: the
 * application/x-www-form-urlencoded parser, RFC 8058's one-click body,
 * the e-mail address check, and the HTML pages
 * SPDX-License-Identifier: MIT
 *
 * Owns: reading a form body into fields, and writing every page the
 * gateway serves (Japanese and English on the same page, no JavaScript,
 * no third-party anything, one inline style whose hash the
 * Content-Security-Policy names).  Pure: no I/O, no clock, no globals
 * but constant tables (tests/fuzz/fuzz_form.c feeds the parser).
 * Never touches: the network, the queue, the store, tokens' contents;
 * it echoes nothing a request sent into a page.
 */
#ifndef OSHIRASE_FORMS_H
#define OSHIRASE_FORMS_H

#include <stddef.h>

#define FORM_MAX_FIELDS 16
#define FORM_MAX_BYTES 2048	/* decoded names and values, with NULs */

#define FORM_EESCAPE (-1710)	/* a '%' not followed by two hex digits */
#define FORM_ETOOLONG (-1711)	/* more than FORM_MAX_BYTES decoded */
#define FORM_ETOOMANY (-1712)	/* more than FORM_MAX_FIELDS fields */
#define FORM_EBYTES (-1713)	/* a NUL, a control character or bad UTF-8 */

struct form_field {
	const char *name, *value;	/* into the form's buf */
};
struct form {
	size_t n, used;
	struct form_field f[FORM_MAX_FIELDS];
	char buf[FORM_MAX_BYTES];
};

/* Parse len bytes of name=value pairs joined by '&' ('+' is a space,
 * %XX a byte; empty pairs are skipped, a name with no '=' has the value
 * ""; repeated names are kept, in order).  0, or FORM_E* (f is then
 * empty). */
int form_parse(const char *body, size_t len, struct form *f);
const char *form_strerror(int code);
/* The value of the first field called name, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* The categories of every `consent` field (health, child, welfare, tax:
 * the store's CONSENT_* bits 1, 2, 4, 8) into *bits: 0, or -1 for a name
 * not one of them. */
int form_consent(const struct form *f, unsigned *bits);
/* 1 if the body is RFC 8058's one-click request: the field
 * List-Unsubscribe=One-Click, urlencoded or multipart/form-data (ctype
 * the request's Content-Type, may be NULL). */
int form_one_click(const char *body, size_t len, const char *ctype);
/* 1 if s looks like an e-mail address as the contact file takes it: one
 * '@', a local part, a domain with a dot, no space or control character,
 * at most 254 bytes. */
int form_address_ok(const char *s);

/* The pages. */
enum page {
	PAGE_REGISTER,		/* the registration form */
	PAGE_REGISTER_SENT,	/* a confirmation mail is on its way */
	PAGE_CONFIRM,		/* categories and a button that confirms */
	PAGE_CONFIRMED,
	PAGE_MANAGE,		/* an email contact's settings, one-click stop */
	PAGE_UNSUBSCRIBED,
	PAGE_SAVED,
	PAGE_BADCODE,		/* the form again, saying why */
	PAGE_BADADDRESS,
	PAGE_CODE_EXPIRED,
	PAGE_CODE_USED,
	PAGE_LIMITED,		/* too many failed codes: later */
	PAGE_BADLINK,		/* a token that does not open, no contact */
	PAGE_LINK_EXPIRED,
	PAGE_UNAVAILABLE,	/* the queue did not answer: later */
	PAGE_BADREQUEST,
	PAGE_NOTFOUND,
	PAGE_METHOD
};
#define PAGE_MAX PAGE_METHOD

/* The page, malloc'ed (free it), its length in *len; NULL if out of
 * memory.  consent: the categories to show ticked (PAGE_MANAGE,
 * PAGE_CONFIRM); active: the contact is active (PAGE_MANAGE). */
char *page_render(enum page p, unsigned consent, int active, size_t *len);
/* The page style's CSP source ("'sha256-...'") into out (cap >= 60). */
void page_style_src(char *out, size_t cap);

#endif
