/* codes.h - registration codes: what a letter gives a resident who has
 * no contact, so that they can link a LINE account or an email address
 * to themself
 * SPDX-License-Identifier: MIT
 *
 * A code is 60 random bits written as 12 symbols of Crockford's base32
 * (0-9, A-Z without I, L, O, U) in three groups: "7K3M-Q9XD-2HBW".  It is
 * read leniently (case, dashes and spaces ignored; I and L read as 1, O
 * as 0).  `oshirase letters` makes codes; the queue checks and uses them.
 * The store keeps only a keyed hash of a code (BLAKE2b-256 keyed with
 * codes.key, a 32-byte secret file: [letters] code_key, default
 * DB/codes.key, made 0600 by the first `oshirase letters`), in the codes
 * database (store.h), with this record (little-endian):
 *   u8 version (CODE_V1) | u8 state (enum code_state) |
 *   resident pseudonym[32] | i32 issued (date_t) | i32 expires (date_t,
 *   the last day it works, Japan time) | i64 used (Unix seconds, 0)
 * A code links exactly the resident it was issued for, once.
 */
#ifndef OSHIRASE_CODES_H
#define OSHIRASE_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "dates.h"

#define CODE_LEN 12		/* symbols */
#define CODE_TEXT 14		/* with the two dashes */
#define CODE_HASH_LEN 32
#define CODE_KEY_FILE "codes.key"
#define CODE_V1 1
#define CODE_RECORD_LEN (2 + 32 + 4 + 4 + 8)

enum code_state { CODE_UNUSED = 0, CODE_USED = 1 };

struct code_record {
	uint8_t state;
	uint8_t resident[32];
	date_t issued, expires;
	int64_t used;
};

/* A fresh random code: norm gets the 12 symbols and a NUL, text (if not
 * NULL) the grouped form and a NUL. */
void code_new(char norm[CODE_LEN + 1], char text[CODE_TEXT + 1]);
/* Read what a resident typed: 0 and the 12 symbols in norm, or -1 (not
 * 12 symbols of the alphabet once dashes and spaces are dropped). */
int code_normalize(const char *in, char norm[CODE_LEN + 1]);
/* The stored key of a normalised code. */
void code_hash(const uint8_t *key, const char *norm,
    uint8_t out[CODE_HASH_LEN]);
void code_record_encode(const struct code_record *c,
    uint8_t buf[CODE_RECORD_LEN]);
/* 0, or -1 (wrong length or version, unknown state). */
int code_record_decode(const void *buf, size_t len, struct code_record *c);

#endif
