/* rules_lex.c - the tokens of a clause
 * SPDX-License-Identifier: MIT
 *
 * Numbers (digits and _, at most 18 of them), dates (YYYY-MM-DD), names,
 * and signs; = and == alike; the ideographic space U+3000 is white space
 * and ≤ ≥ ≠ are read as <= >= != since staff may type them.  Anything
 * else is one TK_BAD token of one whole UTF-8 character, for the parser
 * to name.
 */
#include "rules_int.h"

#include <string.h>

/* Whether the character after position p is c; if so the token is two
 * characters long. */
static int
next_is(struct lexer *lx, size_t p, char c)
{
	if (p + 1 < lx->len && lx->s[p + 1] == c) {
		lx->tlen = 2;
		return 1;
	}
	return 0;
}

void
rules_lex_next(struct lexer *lx)
{
	const char *s = lx->s;
	size_t p = lx->pos;

	/* white space, including the ideographic space U+3000 */
	for (;;) {
		if (p < lx->len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' ||
		    s[p] == '\r'))
			p++;
		else if (p + 2 < lx->len && (unsigned char)s[p] == 0xe3 &&
		    (unsigned char)s[p + 1] == 0x80 && (unsigned char)s[p + 2] == 0x80)
			p += 3;
		else
			break;
	}
	lx->tpos = p;
	if (p >= lx->len) {
		lx->t = TK_EOF;
		lx->tlen = 0;
		lx->pos = p;
		return;
	}
	if (is_digit(s[p])) {
		size_t q = p;
		int64_t v = 0;

		/* YYYY-MM-DD is a date */
		if (p + 10 <= lx->len && s[p + 4] == '-' && s[p + 7] == '-' &&
		    is_digit(s[p + 1]) && is_digit(s[p + 2]) && is_digit(s[p + 3]) &&
		    is_digit(s[p + 5]) && is_digit(s[p + 6]) && is_digit(s[p + 8]) &&
		    is_digit(s[p + 9]) && (p + 10 == lx->len || !is_ident(s[p + 10]))) {
			date_t d;

			lx->tlen = 10;
			lx->pos = p + 10;
			if (date_parse(s + p, 10, &d) != DATE_OK) {
				lx->t = TK_BAD;
				return;
			}
			lx->t = TK_DATE;
			lx->ival = d;
			return;
		}
		while (q < lx->len && (is_digit(s[q]) || (s[q] == '_' &&
		    q + 1 < lx->len && is_digit(s[q + 1])))) {
			if (s[q] != '_') {
				if (v > (INT64_MAX - 9) / 10) {
					while (q < lx->len && (is_digit(s[q]) || s[q] == '_'))
						q++;
					lx->t = TK_BAD;
					lx->tlen = q - p;
					lx->pos = q;
					return;
				}
				v = v * 10 + (s[q] - '0');
			}
			q++;
		}
		lx->t = q < lx->len && is_ident_start(s[q]) ? TK_BAD : TK_INT;
		lx->ival = v;
		lx->tlen = q - p;
		lx->pos = q;
		return;
	}
	if (is_ident_start(s[p])) {
		size_t q = p;

		while (q < lx->len && is_ident(s[q]))
			q++;
		lx->t = TK_IDENT;
		lx->tlen = q - p;
		lx->pos = q;
		return;
	}
	lx->tlen = 1;
	switch (s[p]) {
	case '(': lx->t = TK_LP; break;
	case ')': lx->t = TK_RP; break;
	case '{': lx->t = TK_LB; break;
	case '}': lx->t = TK_RB; break;
	case ',': lx->t = TK_COMMA; break;
	case '+': lx->t = TK_PLUS; break;
	case '-': lx->t = TK_MINUS; break;
	case '*': lx->t = TK_STAR; break;
	case '/': lx->t = TK_SLASH; break;
	case '%': lx->t = TK_PCT; break;
	case '=':	/* = and == alike */
		lx->t = TK_EQ;
		lx->tlen = next_is(lx, p, '=') ? 2 : 1;
		break;
	case '.':
		lx->t = next_is(lx, p, '.') ? TK_DOTDOT : TK_DOT;
		break;
	case '<':
		lx->t = next_is(lx, p, '=') ? TK_LE : TK_LT;
		break;
	case '>':
		lx->t = next_is(lx, p, '=') ? TK_GE : TK_GT;
		break;
	case '!':
		lx->t = next_is(lx, p, '=') ? TK_NE : TK_BAD;
		break;
	default:
		lx->t = TK_BAD;
		/* ≤ ≥ ≠ (U+2264, U+2265, U+2260) as staff may type them */
		if (p + 2 < lx->len && (unsigned char)s[p] == 0xe2 &&
		    (unsigned char)s[p + 1] == 0x89) {
			unsigned char c = (unsigned char)s[p + 2];

			lx->tlen = 3;
			lx->t = c == 0xa4 ? TK_LE : c == 0xa5 ? TK_GE :
			    c == 0xa0 ? TK_NE : TK_BAD;
		}
		if (lx->t == TK_BAD) {	/* one whole UTF-8 character */
			size_t q = p + 1;

			while (q < lx->len && ((unsigned char)s[q] & 0xc0) == 0x80)
				q++;
			lx->tlen = q - p;
		}
	}
	lx->pos = p + lx->tlen;
}

int
rules_tok_is(const struct lexer *lx, const char *word)
{
	return lx->t == TK_IDENT && strlen(word) == lx->tlen &&
	    memcmp(lx->s + lx->tpos, word, lx->tlen) == 0;
}
