/* codes.c - registration codes (codes.h)
 * SPDX-License-Identifier: MIT
 */
#include "codes.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
code_new(char norm[CODE_LEN + 1], char text[CODE_TEXT + 1])
{
	uint8_t r[8];
	uint64_t v = 0;

	randombytes_buf(r, sizeof(r));
	for (int i = 0; i < 8; i++)
		v = v << 8 | r[i];
	for (int i = 0; i < CODE_LEN; i++)
		norm[i] = alphabet[(v >> (5 * i)) & 31];
	norm[CODE_LEN] = '\0';
	sodium_memzero(r, sizeof(r));
	if (text != NULL) {
		for (int i = 0, o = 0; i < CODE_LEN; i++) {
			if (i > 0 && i % 4 == 0)
				text[o++] = '-';
			text[o++] = norm[i];
		}
		text[CODE_TEXT] = '\0';
	}
}

static int
symbol(int c)
{
	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	if (c == 'O')
		c = '0';
	if (c == 'I' || c == 'L')
		c = '1';
	if (c == 0 || c == 'U')
		return -1;
	return strchr(alphabet, c) != NULL ? c : -1;
}

int
code_normalize(const char *in, char norm[CODE_LEN + 1])
{
	int n = 0, c;

	for (; *in != '\0'; in++) {
		if (*in == '-' || *in == ' ')
			continue;
		if (n == CODE_LEN || (c = symbol((unsigned char)*in)) < 0)
			return -1;
		norm[n++] = (char)c;
	}
	norm[n] = '\0';
	return n == CODE_LEN ? 0 : -1;
}

void
code_hash(const uint8_t *key, const char *norm, uint8_t out[CODE_HASH_LEN])
{
	crypto_generichash(out, CODE_HASH_LEN, (const uint8_t *)norm, CODE_LEN,
	    key, 32);
}

void
code_record_encode(const struct code_record *c, uint8_t buf[CODE_RECORD_LEN])
{
	buf[0] = CODE_V1;
	buf[1] = c->state;
	memcpy(buf + 2, c->resident, 32);
	util_le_put(buf + 34, (uint32_t)c->issued, 4);
	util_le_put(buf + 38, (uint32_t)c->expires, 4);
	util_le_put(buf + 42, (uint64_t)c->used, 8);
}

int
code_record_decode(const void *vbuf, size_t len, struct code_record *c)
{
	const uint8_t *p = vbuf;

	memset(c, 0, sizeof(*c));
	if (len != CODE_RECORD_LEN || p[0] != CODE_V1 || p[1] > CODE_USED)
		return -1;
	c->state = p[1];
	memcpy(c->resident, p + 2, 32);
	c->issued = (date_t)(int32_t)util_le_get(p + 34, 4);
	c->expires = (date_t)(int32_t)util_le_get(p + 38, 4);
	c->used = (int64_t)util_le_get(p + 42, 8);
	return 0;
}
