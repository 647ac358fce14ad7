/* mailaddr.h - the form of an email address that goes on the wire
 * SPDX-License-Identifier: MIT
 *
 * The contact file holds addresses as residents gave them, and the import
 * accepts every address with one '@', a local part, a dotted domain and no
 * space or control character.  SMTP without SMTPUTF8 (which oshirase does
 * not use) carries ASCII only: an internationalised domain goes on the
 * wire in its IDNA 2008 (A-label, "xn--") form, made with libidn2; a
 * non-ASCII local part, or one with a character the sender refuses to put
 * in an SMTP path or a header, cannot be sent at all.  The import warns
 * about those, and the sender fails them as permanent.
 *
 * Never touches the network, keeps nothing, logs nothing.
 */
#ifndef OSHIRASE_MAILADDR_H
#define OSHIRASE_MAILADDR_H

#include <stddef.h>

#define MAILADDR_MAX 254	/* bytes of an address, as on the wire */

/* Write into out (cap bytes, NUL-terminated) the address of len bytes at
 * addr as it goes on the wire: unchanged when it is ASCII, the domain in
 * its A-label form when the domain is not.  Returns NULL, or why the
 * address cannot be sent (out is then an empty string). */
const char *mailaddr_wire(const char *addr, size_t len, char *out, size_t cap);

#endif
