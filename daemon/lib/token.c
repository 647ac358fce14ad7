/* token.c - sealed link tokens and the queue's derived keys (token.h)
 * SPDX-License-Identifier: MIT
 */
#include "token.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

#define AD "oshirase token 1"
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define PT_MAX (1 + 8 + 32 + 1 + 1 + TOKEN_ADDR_MAX)
#define BIN_MAX (NONCE + PT_MAX + ABYTES)

void
token_key_derive(uint8_t *out, const uint8_t *sk, int which)
{
	static const char *const ctx[] = { "", "unsubscr", "tokens__",
		"lineidx_", "addrtag_" };

	crypto_kdf_derive_from_key(out, TOKEN_KEY_LEN, (uint64_t)which,
	    ctx[which], sk);
}

/* The plaintext of t: its length, or 0. */
static size_t
encode(const struct token *t, uint8_t *pt)
{
	size_t n = 9, alen;

	pt[0] = t->kind;
	util_be_put(pt + 1, (uint64_t)t->expires, 8);
	switch (t->kind) {
	case TOKEN_MANAGE:
		memcpy(pt + n, t->pseudo, 32);
		pt[n + 32] = t->channel;
		memcpy(pt + n + 33, t->addr_tag, TOKEN_TAG_LEN);
		return n + 33 + TOKEN_TAG_LEN;
	case TOKEN_CONFIRM:
		alen = strnlen(t->address, sizeof(t->address));
		if (alen == 0 || alen > TOKEN_ADDR_MAX)
			return 0;
		memcpy(pt + n, t->code_hash, 32);
		pt[n + 32] = t->language;
		pt[n + 33] = (uint8_t)alen;
		memcpy(pt + n + 34, t->address, alen);
		return n + 34 + alen;
	default:
		return 0;
	}
}

static int
decode(const uint8_t *pt, size_t n, struct token *t)
{
	memset(t, 0, sizeof(*t));
	if (n < 9)
		return -1;
	t->kind = pt[0];
	t->expires = (int64_t)util_be_get(pt + 1, 8);
	pt += 9;
	n -= 9;
	switch (t->kind) {
	case TOKEN_MANAGE:
		if (n != 33 + TOKEN_TAG_LEN)
			return -1;
		memcpy(t->pseudo, pt, 32);
		t->channel = pt[32];
		memcpy(t->addr_tag, pt + 33, TOKEN_TAG_LEN);
		return 0;
	case TOKEN_CONFIRM:
		if (n < 35 || n != 34 + (size_t)pt[33] ||
		    memchr(pt + 34, '\0', pt[33]) != NULL)
			return -1;
		memcpy(t->code_hash, pt, 32);
		t->language = pt[32];
		memcpy(t->address, pt + 34, pt[33]);
		t->address[pt[33]] = '\0';
		return 0;
	default:
		return -1;
	}
}

size_t
token_make(const uint8_t *key, const struct token *t, char *text, size_t cap)
{
	uint8_t pt[PT_MAX], bin[BIN_MAX];
	unsigned long long clen;
	size_t n = encode(t, pt), blen;

	if (n == 0)
		return 0;
	randombytes_buf(bin, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCE, &clen, pt, n,
	    (const uint8_t *)AD, sizeof(AD) - 1, NULL, bin, key);
	sodium_memzero(pt, sizeof(pt));
	blen = NONCE + (size_t)clen;
	if (sodium_base64_encoded_len(blen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) > cap)
		return 0;
	sodium_bin2base64(text, cap, bin, blen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return strlen(text);
}

int
token_open(const uint8_t *key, const char *text, struct token *t)
{
	uint8_t pt[PT_MAX], bin[BIN_MAX];
	unsigned long long plen;
	size_t blen;
	const char *end;
	int rc;

	memset(t, 0, sizeof(*t));
	if (strlen(text) >= TOKEN_TEXT_MAX ||
	    sodium_base642bin(bin, sizeof(bin), text, strlen(text), NULL, &blen,
	    &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    *end != '\0' || blen < NONCE + ABYTES + 9)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL,
	    bin + NONCE, blen - NONCE, (const uint8_t *)AD, sizeof(AD) - 1,
	    bin, key) != 0)
		return -1;
	rc = decode(pt, (size_t)plen, t);
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

void
token_line_index(const uint8_t *key, const char *user, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)user, strlen(user), key,
	    TOKEN_KEY_LEN);
}

void
token_addr_tag(const uint8_t *key, const char *addr, uint8_t out[TOKEN_TAG_LEN])
{
	crypto_generichash(out, TOKEN_TAG_LEN, (const uint8_t *)addr,
	    strlen(addr), key, TOKEN_KEY_LEN);
}
