/* mailaddr.c - the form of an email address that goes on the wire (see
 * mailaddr.h)
 * SPDX-License-Identifier: MIT
 */
#include "mailaddr.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#define SPECIALS "<>()[],;:\"\\"	/* never in a path or a header we write */

static int
ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

const char *
mailaddr_wire(const char *addr, size_t len, char *out, size_t cap)
{
	char domain[MAILADDR_MAX + 1], *ace = NULL;
	const char *at;
	size_t local, dlen, alen;
	int rc;

	if (cap > 0)
		out[0] = '\0';
	if (len > MAILADDR_MAX || memchr(addr, '\0', len) != NULL)
		return "longer than 254 bytes, or holds a NUL";
	if ((at = memchr(addr, '@', len)) == NULL)
		return "no '@'";
	local = (size_t)(at - addr);
	dlen = len - local - 1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)addr[i] <= ' ' || addr[i] == 0x7f ||
		    strchr(SPECIALS, addr[i]) != NULL)
			return "holds a space, a control character or one of "
			    "< > ( ) [ ] , ; : \" \\";
	if (!ascii(addr, local))
		return "the part before '@' is not ASCII, and SMTPUTF8 is not used";
	if (ascii(at + 1, dlen)) {
		if (len + 1 > cap)
			return "longer than the room for it";
		memcpy(out, addr, len);
		out[len] = '\0';
		return NULL;
	}
	memcpy(domain, at + 1, dlen);
	domain[dlen] = '\0';
	rc = idn2_to_ascii_8z(domain, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		/* idn2_strerror's texts are static and hold no input */
		static __thread char why[160];

		strcpy(why, "the domain is not an internationalised domain "
		    "name: ");
		strncat(why, idn2_strerror(rc), sizeof(why) - strlen(why) - 1);
		return why;
	}
	alen = strlen(ace);
	if (local + 1 + alen > MAILADDR_MAX || local + 1 + alen + 1 > cap) {
		idn2_free(ace);
		return "longer than 254 bytes with its domain in A-label form";
	}
	memcpy(out, addr, local + 1);
	memcpy(out + local + 1, ace, alen + 1);
	idn2_free(ace);
	return NULL;
}
