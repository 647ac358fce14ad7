/* token.h - the tokens in the links the queue mails residents, and the
 * keys the queue derives from contacts.sec
 * SPDX-License-Identifier: MIT
 *
 * A token is self-contained: the queue seals what the link is for in it,
 * so that nothing is stored per link and a link cannot be forged, moved
 * to another contact or used for another purpose.  Only the queue, which
 * holds contacts.sec, makes and opens tokens; the gateway passes them on
 * as opaque text.
 *
 *   text  = base64url, no padding (nonce[24] | ciphertext)
 *   ciphertext = XChaCha20-Poly1305-IETF(key = the token key,
 *                ad = "oshirase token 1", plaintext)
 *   plaintext  = u8 kind | i64 BE expires (Unix seconds) | per kind:
 *     TOKEN_MANAGE   pseudonym[32] | u8 channel | addr_tag[8]
 *                    an email contact's unsubscribe and settings link
 *                    (List-Unsubscribe): good while the contact holds the
 *                    address whose tag it carries;
 *     TOKEN_CONFIRM  code_hash[32] | u8 language | u8 len | address
 *                    an email registration's confirmation link: the code
 *                    (as stored, codes.h) is used only when the resident
 *                    confirms.
 *
 * Keys (each 32 bytes, crypto_kdf of contacts.sec, context and number):
 *   TOKEN_KEY_TOKENS     "tokens__" 2   seals the tokens
 *   TOKEN_KEY_LINE_INDEX "lineidx_" 3   keys the store's line_index
 *   TOKEN_KEY_ADDR_TAG   "addrtag_" 4   keys an address's tag in a token
 * (number 1, "unsubscr", was the old unsubscribe token's key.)
 */
#ifndef OSHIRASE_TOKEN_H
#define OSHIRASE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_LEN 32
#define TOKEN_TEXT_MAX 512	/* the longest text, with its NUL */
#define TOKEN_ADDR_MAX 254
#define TOKEN_TAG_LEN 8

enum token_kind { TOKEN_MANAGE = 1, TOKEN_CONFIRM = 2 };
enum token_key { TOKEN_KEY_TOKENS = 2, TOKEN_KEY_LINE_INDEX = 3,
	TOKEN_KEY_ADDR_TAG = 4 };

struct token {
	uint8_t kind;
	int64_t expires;
	/* TOKEN_MANAGE */
	uint8_t pseudo[32];
	uint8_t channel;
	uint8_t addr_tag[TOKEN_TAG_LEN];
	/* TOKEN_CONFIRM */
	uint8_t code_hash[32];
	uint8_t language;
	char address[TOKEN_ADDR_MAX + 1];
};

/* Derive key `which` (enum token_key) from the contacts secret key sk
 * (32 bytes) into out (TOKEN_KEY_LEN; sodium_malloc it). */
void token_key_derive(uint8_t *out, const uint8_t *sk, int which);
/* Seal t into text (cap >= TOKEN_TEXT_MAX): its length, or 0 (an unknown
 * kind, an address too long).  Thread-safe. */
size_t token_make(const uint8_t *key, const struct token *t, char *text,
    size_t cap);
/* Open a token's text: 0 and *t, or -1 (not base64url, too short or
 * long, does not authenticate, an unknown kind or a bad field).  It does
 * not look at expires: the caller compares it with its clock. */
int token_open(const uint8_t *key, const char *text, struct token *t);
/* The line_index key of a LINE user id. */
void token_line_index(const uint8_t *key, const char *user, uint8_t out[32]);
/* The tag of an address (TOKEN_TAG_LEN bytes). */
void token_addr_tag(const uint8_t *key, const char *addr,
    uint8_t out[TOKEN_TAG_LEN]);

#endif
