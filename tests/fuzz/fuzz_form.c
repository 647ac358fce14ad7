/* fuzz_form.c - libFuzzer target: the gateway's form parser (forms.h)
 * on arbitrary bodies
 * SPDX-License-Identifier: MIT
 *
 * What parses must be at most FORM_MAX_FIELDS fields whose names and
 * values lie in the form's buffer, are well-formed UTF-8 and hold no
 * control character; a refused body leaves no field.  The one-click
 * check (urlencoded and multipart), the consent reader and the address
 * check run on the same input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forms.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const struct form *f, const char *s)
{
	size_t n;

	if (s < f->buf || s >= f->buf + f->used)
		abort();
	n = strlen(s);
	if (s + n >= f->buf + f->used + 1 || !utf8_valid((const uint8_t *)s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct form f;
	unsigned bits;
	int rc;

	rc = form_parse((const char *)data, size, &f);
	if (rc != 0 && (f.n != 0 || form_get(&f, "a") != NULL))
		abort();
	if (f.n > FORM_MAX_FIELDS || f.used > FORM_MAX_BYTES)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		check_text(&f, f.f[i].name);
		check_text(&f, f.f[i].value);
		(void)form_address_ok(f.f[i].value);
	}
	if (form_consent(&f, &bits) == 0 && (bits & ~15u) != 0)
		abort();
	(void)form_one_click((const char *)data, size, NULL);
	(void)form_one_click((const char *)data, size,
	    "multipart/form-data; boundary=b");
	return 0;
}
