/* wire.c - the integers and strings of the ZeroMQ frames (wire.h)
 * SPDX-License-Identifier: MIT
 */
#include "wire.h"
#include "util.h"

#include <string.h>

void
wire_put(struct wire_w *w, const void *src, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

void
wire_put_uint(struct wire_w *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	util_be_put(b, v, bytes);
	wire_put(w, b, bytes);
}

void
wire_put_str(struct wire_w *w, const char *s, size_t n, unsigned lenbytes)
{
	if (lenbytes == 2 && n > 0xffff) {
		w->bad = 1;
		return;
	}
	wire_put_uint(w, n, lenbytes);
	wire_put(w, s, n);
}

uint64_t
wire_get_uint(struct wire_r *r, unsigned bytes)
{
	uint64_t v;

	if (r->bad || bytes > r->len - r->off) {
		r->bad = 1;
		return 0;
	}
	v = util_be_get(r->p + r->off, bytes);
	r->off += bytes;
	return v;
}

/* A length-prefixed string: points into the buffer. */
const char *
wire_get_span(struct wire_r *r, unsigned lenbytes, size_t *n)
{
	const char *s;

	*n = (size_t)wire_get_uint(r, lenbytes);
	if (r->bad || *n > r->len - r->off) {
		r->bad = 1;
		*n = 0;
		return "";
	}
	s = (const char *)r->p + r->off;
	r->off += *n;
	return s;
}

/* Copy a u16-prefixed string into a fixed field with a NUL; a string
 * with a NUL in it, or too long, is bad. */
void
wire_get_str(struct wire_r *r, char *dst, size_t cap)
{
	size_t n;
	const char *s = wire_get_span(r, 2, &n);

	if (r->bad || n >= cap || memchr(s, '\0', n) != NULL) {
		r->bad = 1;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

