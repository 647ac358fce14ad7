/* wire.h - writing and reading the fields of a binary frame: big-endian
 * integers and length-prefixed strings, for the frame formats of job.h
 * and action.h
 * SPDX-License-Identifier: MIT
 *
 * A writer or reader goes bad at the first field that does not fit (the
 * buffer's end, a length over its prefix) and every later call does
 * nothing; check bad once at the end.
 */
#ifndef OSHIRASE_WIRE_H
#define OSHIRASE_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wire_w {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

struct wire_r {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

void wire_put(struct wire_w *w, const void *src, size_t n);
/* v as bytes (1..8) big-endian bytes. */
void wire_put_uint(struct wire_w *w, uint64_t v, unsigned bytes);
/* n bytes of s after an n of lenbytes (2 or 4) bytes. */
void wire_put_str(struct wire_w *w, const char *s, size_t n, unsigned lenbytes);
uint64_t wire_get_uint(struct wire_r *r, unsigned bytes);
/* A length-prefixed string: points into the buffer, *n its length. */
const char *wire_get_span(struct wire_r *r, unsigned lenbytes, size_t *n);
/* Copy a u16-prefixed string into dst (cap bytes) with a NUL; a string
 * with a NUL in it, or too long, is bad. */
void wire_get_str(struct wire_r *r, char *dst, size_t cap);

#endif
