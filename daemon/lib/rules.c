/* rules.c - the rule language: loading, checking, compiling, evaluating
 * SPDX-License-Identifier: MIT
 *
 * A rule file's `when` clauses are parsed by recursive descent into a
 * typed tree, checked (every name, word and type, with a suggestion for a
 * near miss), and compiled into a flat stack code of struct insn.  The
 * evaluator runs that code over the precomputed facts of one household's
 * members; values are 64-bit integers with an `unknown` bit.
 *
 * Positions: a clause may span continuation lines; its text is kept with a
 * map from text offsets to (line, column), so every error names
 * FILE:LINE:COLUMN.
 */
#include "rules.h"
#include "inifile.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Source text of a clause, with positions                             */

struct piece {
	size_t off;		/* where this line's text starts in src.text */
	int line, col;		/* where it stands in the file */
};

struct src {
	int first_line;		/* of its key, even if it holds no text */
	char *text;
	size_t len, cap;
	struct piece *pieces;
	unsigned np, pcap;
};

static void
src_add(struct src *s, const char *val, int line, int col)
{
	size_t n = strlen(val);

	if (s->len + n + 2 > s->cap) {
		s->cap = (s->len + n + 2) * 2;
		s->text = xrealloc(s->text, s->cap);
	}
	if (s->len > 0)
		s->text[s->len++] = '\n';
	if (s->np == s->pcap) {
		s->pcap = s->pcap ? 2 * s->pcap : 4;
		s->pieces = xrealloc(s->pieces, s->pcap * sizeof(*s->pieces));
	}
	s->pieces[s->np].off = s->len;
	s->pieces[s->np].line = line;
	s->pieces[s->np].col = col;
	s->np++;
	memcpy(s->text + s->len, val, n);
	s->len += n;
	s->text[s->len] = '\0';
}

static void
src_pos(const struct src *s, size_t off, int *line, int *col)
{
	unsigned i = 0;

	while (i + 1 < s->np && s->pieces[i + 1].off <= off)
		i++;
	*line = s->pieces[i].line;
	/* Columns count characters, not bytes: staff count what they see. */
	*col = s->pieces[i].col;
	for (size_t k = s->pieces[i].off; k < off && k < s->len; k++)
		if (((unsigned char)s->text[k] & 0xc0) != 0x80)
			(*col)++;
}

static void
src_free(struct src *s)
{
	free(s->text);
	free(s->pieces);
	memset(s, 0, sizeof(*s));
}

/* Column (1-based, in characters) of value within raw. */
static int
value_col(const char *raw, const char *value)
{
	const char *p = *value ? strstr(raw, value) : NULL;
	int col = 1;

	if (p == NULL)
		return 1;
	for (const char *q = raw; q < p; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	return col;
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */

struct diag {
	FILE *out;
	const char *path;
	unsigned errors;
};

static void
diag_line(struct diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
diag_line(struct diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	if (col > 0)
		fprintf(d->out, "%s:%d:%d: ", d->path, line, col);
	else
		fprintf(d->out, "%s:%d: ", d->path, line);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

/* ------------------------------------------------------------------ */
/* The language's names                                                */

enum type { TY_INT, TY_BOOL, TY_DATE, TY_REL, TY_INS, TY_NONE };
static const char *const type_names[] = {
	"an integer", "a condition (true or false)", "a date",
	"a relationship", "an insurance", "nothing"
};

static const struct field {
	const char *name;
	int slot;
	enum type type;
	const char *help;
} fields[] = {
	{ "age", SLOT_AGE, TY_INT, "age in whole years on D" },
	{ "months", SLOT_MONTHS, TY_INT, "age in whole months on D" },
	{ "fyage", SLOT_FYAGE, TY_INT, "age on April 1 of FY+1" },
	{ "birth_date", SLOT_BIRTH, TY_DATE, "birth date" },
	{ "sex", SLOT_SEX, TY_INT, "1 male, 2 female" },
	{ "relationship", SLOT_REL, TY_REL, "head spouse child parent other" },
	{ "insurance", SLOT_INS, TY_INS, "nhi late_elderly employee welfare none" },
	{ "tax_exempt", SLOT_TAX_EXEMPT, TY_BOOL, "exempt from resident tax" },
	{ "income", SLOT_INCOME, TY_INT, "previous year's income in yen; may be unknown" },
	{ "dependents", SLOT_DEPENDENTS, TY_INT, "number of dependents" },
	{ "single_parent", SLOT_SINGLE_PARENT, TY_BOOL, "single parent" },
	{ "disability_physical", SLOT_DPHYS, TY_INT, "grade 0..6 (0 none)" },
	{ "disability_intellectual", SLOT_DINT, TY_INT, "1 A, 2 B, 0 none" },
	{ "disability_mental", SLOT_DMENT, TY_INT, "grade 0..3 (0 none)" },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Words that are not fields: for "did you mean". */
static const char *const keywords[] = {
	"and", "or", "not", "in", "true", "false", "any", "all", "no", "count",
	"members", "children", "has", "flag", "known", "events", "FY", "D",
	"head",
};

static const char *
suggest_name(const char *w, size_t len)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < NFIELDS; i++) {
		int d = vocab_distance(w, len, fields[i].name,
		    strlen(fields[i].name), 2);

		if (d < bestd) {
			bestd = d;
			best = fields[i].name;
		}
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		int d = vocab_distance(w, len, keywords[i], strlen(keywords[i]), 2);

		if (d < bestd) {
			bestd = d;
			best = keywords[i];
		}
	}
	for (int i = 0; i < 5; i++) {
		int d = vocab_distance(w, len, store_rel_names[i],
		    strlen(store_rel_names[i]), 2);
		int e = vocab_distance(w, len, store_ins_names[i],
		    strlen(store_ins_names[i]), 2);

		if (d < bestd) {
			bestd = d;
			best = store_rel_names[i];
		}
		if (e < bestd) {
			bestd = e;
			best = store_ins_names[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */

enum tok {
	TK_EOF, TK_INT, TK_DATE, TK_IDENT, TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA,
	TK_DOT, TK_DOTDOT, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PCT,
	TK_LT, TK_LE, TK_GT, TK_GE, TK_EQ, TK_NE, TK_BAD
};

static const char *const tok_names[] = {
	"the end of the clause", "a number", "a date", "a name", "'('", "')'",
	"'{'", "'}'", "','", "'.'", "'..'", "'+'", "'-'", "'*'", "'/'", "'%'",
	"'<'", "'<='", "'>'", "'>='", "'='", "'!='", "a character"
};

struct lexer {
	const char *s;
	size_t len, pos;
	enum tok t;
	size_t tpos, tlen;
	int64_t ival;
};

static int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

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

static void
lex_next(struct lexer *lx)
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

static int
tok_is(const struct lexer *lx, const char *word)
{
	return lx->t == TK_IDENT && strlen(word) == lx->tlen &&
	    memcmp(lx->s + lx->tpos, word, lx->tlen) == 0;
}

/* ------------------------------------------------------------------ */
/* Tree                                                                */

enum nkind {
	N_CONST, N_FIELD, N_HEADFIELD, N_KNOWN, N_HEADKNOWN, N_NEG, N_ARITH,
	N_CMP, N_AND, N_OR, N_NOT, N_INSET, N_HAS, N_FLAG, N_EVENTS, N_QUANT,
	N_D, N_FY
};
enum quant { Q_ANY, Q_ALL, Q_NONE, Q_COUNT };
enum qset { QS_MEMBERS, QS_CHILDREN };
#define FY_EVER INT8_MIN

struct node {
	uint8_t kind, type, op;		/* op: a TK_ for N_ARITH and N_CMP */
	int a, b;			/* children */
	int64_t v;			/* N_CONST */
	int slot;			/* N_FIELD, N_KNOWN */
	uint16_t word;			/* N_HAS, N_FLAG, N_EVENTS: vocab index */
	int8_t from, to;		/* N_EVENTS: FY offsets or FY_EVER */
	uint8_t quant, qset;		/* N_QUANT */
	int64_t *set;			/* N_INSET: sorted constants */
	unsigned nset;
	size_t pos;
	uint8_t in_quant;		/* inside a quantifier's body */
};

struct parser {
	struct lexer lx;
	const struct src *src;
	struct diag *d;
	const struct vocab *v;
	struct node *n;
	unsigned nn, ncap;
	int failed;
	int depth;
	/* what the clause reads, for explain */
	uint32_t reads, head_reads;
	int quant_depth;
};

static void
perr(struct parser *ps, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parser *ps, size_t pos, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	int line, col;

	if (ps->failed)
		return;		/* one error per clause: the rest follow from it */
	ps->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	src_pos(ps->src, pos, &line, &col);
	diag_line(ps->d, line, col, "%s", msg);
}

static int
new_node(struct parser *ps, enum nkind kind, enum type type, size_t pos)
{
	struct node *n;

	if (ps->nn == ps->ncap) {
		ps->ncap = ps->ncap ? 2 * ps->ncap : 32;
		ps->n = xrealloc(ps->n, ps->ncap * sizeof(*ps->n));
	}
	n = &ps->n[ps->nn];
	memset(n, 0, sizeof(*n));
	n->in_quant = ps->quant_depth > 0;
	n->kind = (uint8_t)kind;
	n->type = (uint8_t)type;
	n->pos = pos;
	n->a = n->b = -1;
	return (int)ps->nn++;
}

static void
expect_tok(struct parser *ps, enum tok t, const char *what)
{
	if (ps->lx.t != t) {
		perr(ps, ps->lx.tpos, "expected %s %s, found %s", tok_names[t],
		    what, tok_names[ps->lx.t]);
		return;
	}
	lex_next(&ps->lx);
}

static int parse_or(struct parser *ps);

/* A word of the vocabulary after has( / flag( / events( */
static int
parse_word(struct parser *ps, enum vocab_kind kind, uint16_t *word)
{
	struct lexer *lx = &ps->lx;
	size_t p = lx->tpos, q = p;
	int idx;

	while (q < lx->len && (is_ident(lx->s[q]) || lx->s[q] == '-'))
		q++;
	if (q == p) {
		perr(ps, p, "expected a %s word", vocab_kind_name(kind));
		return -1;
	}
	idx = vocab_find(ps->v, kind, lx->s + p, q - p);
	if (idx < 0) {
		const char *sug = vocab_suggest(ps->v, kind, lx->s + p, q - p);

		perr(ps, p, "unknown %s word '%.*s'%s%s%s", vocab_kind_name(kind),
		    (int)(q - p), lx->s + p, sug ? " (did you mean " : " (not in "
		    "vocabulary.ini", sug ? sug : "", sug ? "?)" : ")");
		return -1;
	}
	*word = (uint16_t)idx;
	lx->pos = q;
	lex_next(lx);
	return 0;
}

/* FY, FY-1, FY+1 */
static int
parse_fy(struct parser *ps, int8_t *off)
{
	struct lexer *lx = &ps->lx;

	if (!tok_is(lx, "FY")) {
		perr(ps, lx->tpos, "expected FY (the fiscal year of D), FY-1, ...");
		return -1;
	}
	lex_next(lx);
	*off = 0;
	if (lx->t == TK_MINUS || lx->t == TK_PLUS) {
		int neg = lx->t == TK_MINUS;

		lex_next(lx);
		if (lx->t != TK_INT || lx->ival > 20) {
			perr(ps, lx->tpos, "expected a number of years (0..20)");
			return -1;
		}
		*off = (int8_t)(neg ? -lx->ival : lx->ival);
		lex_next(lx);
	}
	return 0;
}

static const struct field *
find_field(const char *s, size_t len)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strlen(fields[i].name) == len && memcmp(fields[i].name, s, len) == 0)
			return &fields[i];
	return NULL;
}

static int
find_enum(const char *s, size_t len, enum type *type)
{
	for (int i = 0; i < 5; i++) {
		if (strlen(store_rel_names[i]) == len &&
		    memcmp(store_rel_names[i], s, len) == 0) {
			*type = TY_REL;
			return i;
		}
		if (strlen(store_ins_names[i]) == len &&
		    memcmp(store_ins_names[i], s, len) == 0) {
			*type = TY_INS;
			return i;
		}
	}
	return -1;
}

static int
parse_quant(struct parser *ps, enum quant q, size_t pos)
{
	struct lexer *lx = &ps->lx;
	enum qset set;
	int body, n;

	lex_next(lx);
	if (tok_is(lx, "members") || tok_is(lx, "member"))
		set = QS_MEMBERS;
	else if (tok_is(lx, "children") || tok_is(lx, "child"))
		set = QS_CHILDREN;
	else {
		perr(ps, lx->tpos, "expected 'members' (the household, the "
		    "person included) or 'children' (its members whose "
		    "relationship is child)");
		return -1;
	}
	lex_next(lx);
	expect_tok(ps, TK_LP, "to open the condition on each member");
	ps->quant_depth++;
	body = parse_or(ps);
	ps->quant_depth--;
	expect_tok(ps, TK_RP, "to close the condition on each member");
	if (body < 0 || ps->failed)
		return -1;
	if (ps->n[body].type != TY_BOOL) {
		perr(ps, ps->n[body].pos, "the condition on each member is %s, "
		    "not a condition", type_names[ps->n[body].type]);
		return -1;
	}
	n = new_node(ps, N_QUANT, q == Q_COUNT ? TY_INT : TY_BOOL, pos);
	ps->n[n].a = body;
	ps->n[n].quant = (uint8_t)q;
	ps->n[n].qset = (uint8_t)set;
	return n;
}

static int parse_atom_(struct parser *ps);

/* parse_atom_ with the depth of nesting counted (parentheses, quantifiers,
 * unary minus recurse through here) */
static int
parse_atom(struct parser *ps)
{
	int n;

	if (ps->depth >= 100) {
		perr(ps, ps->lx.tpos, "expression nested too deeply");
		return -1;
	}
	ps->depth++;
	n = parse_atom_(ps);
	ps->depth--;
	return n;
}

static int
parse_atom_(struct parser *ps)
{
	struct lexer *lx = &ps->lx;
	size_t pos = lx->tpos;
	int n;

	switch (lx->t) {
	case TK_INT:
		n = new_node(ps, N_CONST, TY_INT, pos);
		ps->n[n].v = lx->ival;
		lex_next(lx);
		return n;
	case TK_DATE:
		n = new_node(ps, N_CONST, TY_DATE, pos);
		ps->n[n].v = lx->ival;
		lex_next(lx);
		return n;
	case TK_LP:
		lex_next(lx);
		n = parse_or(ps);
		expect_tok(ps, TK_RP, "to close '('");
		return n;
	case TK_MINUS:
		lex_next(lx);
		n = parse_atom(ps);
		if (n < 0)
			return -1;
		if (ps->n[n].type != TY_INT) {
			perr(ps, pos, "'-' needs an integer, not %s",
			    type_names[ps->n[n].type]);
			return -1;
		}
		{
			int m = new_node(ps, N_NEG, TY_INT, pos);

			ps->n[m].a = n;
			return m;
		}
	case TK_IDENT:
		break;
	case TK_BAD:
		perr(ps, pos, lx->tlen == 10 && lx->s[pos + 4] == '-' ?
		    "'%.*s' is not a calendar date" : is_digit(lx->s[pos]) ?
		    "'%.*s' is not a number this language takes (digits and _, "
		    "at most 18 of them)" : (unsigned char)lx->s[pos] >= 0x80 ?
		    "'%.*s': write conditions in ASCII (half-width) letters, "
		    "digits and signs; Japanese goes in ; comments" :
		    "unexpected '%.*s'", (int)lx->tlen, lx->s + pos);
		return -1;
	default:
		perr(ps, pos, "expected a value, found %s", tok_names[lx->t]);
		return -1;
	}

	/* names */
	if (tok_is(lx, "true") || tok_is(lx, "false")) {
		n = new_node(ps, N_CONST, TY_BOOL, pos);
		ps->n[n].v = tok_is(lx, "true");
		lex_next(lx);
		return n;
	}
	if (tok_is(lx, "D")) {
		lex_next(lx);
		return new_node(ps, N_D, TY_DATE, pos);
	}
	if (tok_is(lx, "FY")) {
		lex_next(lx);
		return new_node(ps, N_FY, TY_INT, pos);
	}
	if (tok_is(lx, "any"))
		return parse_quant(ps, Q_ANY, pos);
	if (tok_is(lx, "all"))
		return parse_quant(ps, Q_ALL, pos);
	if (tok_is(lx, "no"))
		return parse_quant(ps, Q_NONE, pos);
	if (tok_is(lx, "count"))
		return parse_quant(ps, Q_COUNT, pos);
	if (tok_is(lx, "has") || tok_is(lx, "flag")) {
		int is_has = tok_is(lx, "has");
		uint16_t w;

		lex_next(lx);
		expect_tok(ps, TK_LP, is_has ? "after has" : "after flag");
		if (ps->failed || parse_word(ps, is_has ? VOCAB_BENEFIT : VOCAB_FLAG, &w) != 0)
			return -1;
		expect_tok(ps, TK_RP, "to close the word");
		n = new_node(ps, is_has ? N_HAS : N_FLAG, TY_BOOL, pos);
		ps->n[n].word = w;
		return n;
	}
	if (tok_is(lx, "events")) {
		uint16_t w;
		int8_t from = FY_EVER, to = FY_EVER;

		lex_next(lx);
		expect_tok(ps, TK_LP, "after events");
		if (ps->failed || parse_word(ps, VOCAB_EVENT, &w) != 0)
			return -1;
		if (tok_is(lx, "in")) {
			lex_next(lx);
			if (parse_fy(ps, &from) != 0)
				return -1;
			to = from;
			if (lx->t == TK_DOTDOT) {
				lex_next(lx);
				if (parse_fy(ps, &to) != 0)
					return -1;
				if (to < from) {
					perr(ps, pos, "the fiscal years run backwards");
					return -1;
				}
			}
		}
		expect_tok(ps, TK_RP, "to close events(...)");
		n = new_node(ps, N_EVENTS, TY_INT, pos);
		ps->n[n].word = w;
		ps->n[n].from = from;
		ps->n[n].to = to;
		return n;
	}
	if (tok_is(lx, "known")) {
		const struct field *f;
		int head = 0;

		lex_next(lx);
		expect_tok(ps, TK_LP, "after known");
		if (tok_is(lx, "head")) {
			lex_next(lx);
			expect_tok(ps, TK_DOT, "after head");
			head = 1;
		}
		if (ps->failed)
			return -1;
		f = lx->t == TK_IDENT ? find_field(lx->s + lx->tpos, lx->tlen) : NULL;
		if (f == NULL || f->slot != SLOT_INCOME) {
			perr(ps, lx->tpos, "known(...) takes income or head.income "
			    "(the only field that may be unknown)");
			return -1;
		}
		lex_next(lx);
		expect_tok(ps, TK_RP, "to close known(...)");
		n = new_node(ps, head ? N_HEADKNOWN : N_KNOWN, TY_BOOL, pos);
		ps->n[n].slot = f->slot;
		if (head)
			ps->head_reads |= 1u << f->slot;
		else if (ps->quant_depth == 0)
			ps->reads |= 1u << f->slot;
		return n;
	}
	{
		const struct field *f;
		enum type et;
		int e, head = 0;

		if (tok_is(lx, "head") && lx->pos < lx->len && lx->s[lx->pos] == '.') {
			lex_next(lx);
			lex_next(lx);
			head = 1;
			if (lx->t != TK_IDENT) {
				perr(ps, lx->tpos, "expected a field after 'head.'");
				return -1;
			}
		}
		f = find_field(lx->s + lx->tpos, lx->tlen);
		if (f != NULL) {
			n = new_node(ps, head ? N_HEADFIELD : N_FIELD, f->type, lx->tpos);
			ps->n[n].slot = f->slot;
			if (head)
				ps->head_reads |= 1u << f->slot;
			else if (ps->quant_depth == 0)
				ps->reads |= 1u << f->slot;
			lex_next(lx);
			return n;
		}
		if (!head && (e = find_enum(lx->s + lx->tpos, lx->tlen, &et)) >= 0) {
			n = new_node(ps, N_CONST, et, pos);
			ps->n[n].v = e;
			lex_next(lx);
			return n;
		}
		{
			const char *sug = suggest_name(lx->s + lx->tpos, lx->tlen);

			perr(ps, lx->tpos, "unknown name '%.*s'%s%s%s", (int)lx->tlen,
			    lx->s + lx->tpos, sug ? " (did you mean " : "",
			    sug ? sug : "", sug ? "?)" : "");
		}
		return -1;
	}
}

static int
binary(struct parser *ps, enum nkind kind, enum type type, uint8_t op, int a,
    int b, size_t pos)
{
	int n = new_node(ps, kind, type, pos);

	ps->n[n].op = op;
	ps->n[n].a = a;
	ps->n[n].b = b;
	return n;
}

/* Integer arithmetic, by precedence: a sum of products (prod = 1) or a
 * product of atoms (prod = 2). */
static int
parse_arith(struct parser *ps, int prod)
{
	int a = prod ? parse_atom(ps) : parse_arith(ps, 1);

	while (a >= 0 && !ps->failed && (prod ? (ps->lx.t == TK_STAR ||
	    ps->lx.t == TK_SLASH || ps->lx.t == TK_PCT) :
	    (ps->lx.t == TK_PLUS || ps->lx.t == TK_MINUS))) {
		uint8_t op = (uint8_t)ps->lx.t;
		size_t pos = ps->lx.tpos;
		int b;

		lex_next(&ps->lx);
		b = prod ? parse_atom(ps) : parse_arith(ps, 1);
		if (b < 0)
			return -1;
		if (ps->n[a].type != TY_INT || ps->n[b].type != TY_INT) {
			perr(ps, pos, "%s works on integers, not on %s",
			    tok_names[op], type_names[ps->n[a].type != TY_INT ?
			    ps->n[a].type : ps->n[b].type]);
			return -1;
		}
		if ((op == TK_SLASH || op == TK_PCT) && ps->n[b].kind == N_CONST &&
		    ps->n[b].v == 0) {
			perr(ps, ps->n[b].pos, "division by zero");
			return -1;
		}
		a = binary(ps, N_ARITH, TY_INT, op, a, b, pos);
	}
	return a;
}

static int
parse_sum(struct parser *ps)
{
	return parse_arith(ps, 0);
}

static int
is_cmp(enum tok t)
{
	return t == TK_LT || t == TK_LE || t == TK_GT || t == TK_GE ||
	    t == TK_EQ || t == TK_NE;
}

/* Check that a and b may be compared with op; bool vs 0/1 is allowed. */
static int
check_cmp(struct parser *ps, int a, int b, enum tok op, size_t pos)
{
	enum type ta = ps->n[a].type, tb = ps->n[b].type;

	if (ta == TY_BOOL && tb == TY_INT && ps->n[b].kind == N_CONST &&
	    (ps->n[b].v == 0 || ps->n[b].v == 1))
		tb = TY_BOOL;
	if (tb == TY_BOOL && ta == TY_INT && ps->n[a].kind == N_CONST &&
	    (ps->n[a].v == 0 || ps->n[a].v == 1))
		ta = TY_BOOL;
	if (ta != tb) {
		const char *hint = "";

		if (ta == TY_INS || tb == TY_INS)
			hint = " (insurance takes nhi, late_elderly, employee, "
			    "welfare or none)";
		else if (ta == TY_REL || tb == TY_REL)
			hint = " (relationship takes head, spouse, child, parent "
			    "or other)";
		perr(ps, pos, "cannot compare %s with %s%s", type_names[ta],
		    type_names[tb], hint);
		return -1;
	}
	if ((ta == TY_BOOL || ta == TY_REL || ta == TY_INS) && op != TK_EQ &&
	    op != TK_NE) {
		perr(ps, pos, "%s can only be compared with = or !=",
		    type_names[ta]);
		return -1;
	}
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
parse_cmp(struct parser *ps)
{
	int a = parse_sum(ps), result = -1;

	if (a < 0 || ps->failed)
		return -1;
	if (tok_is(&ps->lx, "in")) {
		size_t pos = ps->lx.tpos;

		lex_next(&ps->lx);
		if (ps->lx.t == TK_LB) {
			int64_t vals[64];
			unsigned nv = 0;
			int n;

			lex_next(&ps->lx);
			for (;;) {
				int e = parse_sum(ps);

				if (e < 0 || ps->failed)
					return -1;
				if (ps->n[e].kind != N_CONST) {
					perr(ps, ps->n[e].pos, "a set holds constants");
					return -1;
				}
				if (check_cmp(ps, a, e, TK_EQ, ps->n[e].pos) != 0)
					return -1;
				if (nv == 64) {
					perr(ps, ps->n[e].pos, "a set holds at most 64 values");
					return -1;
				}
				vals[nv++] = ps->n[e].v;
				if (ps->lx.t == TK_COMMA) {
					lex_next(&ps->lx);
					continue;
				}
				expect_tok(ps, TK_RB, "to close the set");
				break;
			}
			if (ps->failed)
				return -1;
			n = new_node(ps, N_INSET, TY_BOOL, pos);
			ps->n[n].a = a;
			ps->n[n].set = xmalloc(nv * sizeof(int64_t));
			memcpy(ps->n[n].set, vals, nv * sizeof(int64_t));
			qsort(ps->n[n].set, nv, sizeof(int64_t), cmp_i64);
			ps->n[n].nset = nv;
			return n;
		}
		/* a range lo..hi: lo <= a and a <= hi */
		{
			int lo = parse_sum(ps), hi, c1, c2;

			if (lo < 0 || ps->failed)
				return -1;
			if (ps->lx.t != TK_DOTDOT) {
				perr(ps, ps->lx.tpos, "expected '{' (a set) or "
				    "'..' (a range) after 'in'");
				return -1;
			}
			lex_next(&ps->lx);
			hi = parse_sum(ps);
			if (hi < 0 || ps->failed)
				return -1;
			if (check_cmp(ps, lo, a, TK_LE, pos) != 0 ||
			    check_cmp(ps, a, hi, TK_LE, pos) != 0)
				return -1;
			if (ps->n[a].type != TY_INT && ps->n[a].type != TY_DATE) {
				perr(ps, pos, "a range needs integers or dates");
				return -1;
			}
			c1 = binary(ps, N_CMP, TY_BOOL, TK_LE, lo, a, pos);
			c2 = binary(ps, N_CMP, TY_BOOL, TK_LE, a, hi, pos);
			return binary(ps, N_AND, TY_BOOL, 0, c1, c2, pos);
		}
	}
	if (!is_cmp(ps->lx.t))
		return a;
	/* a < b <= c ... means a < b and b <= c */
	while (is_cmp(ps->lx.t)) {
		enum tok op = ps->lx.t;
		size_t pos = ps->lx.tpos;
		int b, c;

		lex_next(&ps->lx);
		b = parse_sum(ps);
		if (b < 0 || ps->failed)
			return -1;
		if (check_cmp(ps, a, b, op, pos) != 0)
			return -1;
		c = binary(ps, N_CMP, TY_BOOL, (uint8_t)op, a, b, pos);
		result = result < 0 ? c : binary(ps, N_AND, TY_BOOL, 0, result, c, pos);
		a = b;
	}
	return result;
}

static int
parse_not(struct parser *ps)
{
	if (tok_is(&ps->lx, "not")) {
		size_t pos = ps->lx.tpos;
		int a, n;

		lex_next(&ps->lx);
		a = parse_not(ps);
		if (a < 0 || ps->failed)
			return -1;
		if (ps->n[a].type != TY_BOOL) {
			perr(ps, pos, "'not' needs a condition, not %s",
			    type_names[ps->n[a].type]);
			return -1;
		}
		n = new_node(ps, N_NOT, TY_BOOL, pos);
		ps->n[n].a = a;
		return n;
	}
	return parse_cmp(ps);
}

static int
parse_logic(struct parser *ps, const char *word, enum nkind kind,
    int (*sub)(struct parser *))
{
	int a = sub(ps);

	while (a >= 0 && !ps->failed && tok_is(&ps->lx, word)) {
		size_t pos = ps->lx.tpos;
		int b;

		lex_next(&ps->lx);
		b = sub(ps);
		if (b < 0 || ps->failed)
			return -1;
		if (ps->n[a].type != TY_BOOL || ps->n[b].type != TY_BOOL) {
			int bad = ps->n[a].type != TY_BOOL ? a : b;

			perr(ps, ps->n[bad].pos, "'%s' joins conditions; this is %s",
			    word, type_names[ps->n[bad].type]);
			return -1;
		}
		a = binary(ps, kind, TY_BOOL, 0, a, b, pos);
	}
	return a;
}

static int
parse_and(struct parser *ps)
{
	return parse_logic(ps, "and", N_AND, parse_not);
}

static int
parse_or(struct parser *ps)
{
	return parse_logic(ps, "or", N_OR, parse_and);
}

/* ------------------------------------------------------------------ */
/* Code                                                                */

enum op {
	OP_CONST, OP_FIELD, OP_HEADFIELD, OP_KNOWN, OP_HEADKNOWN, OP_NEG,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
	OP_NOT, OP_JF, OP_JT, OP_AND2, OP_OR2, OP_INSET,
	OP_HAS, OP_FLAG, OP_EVENTS, OP_QUANT, OP_D, OP_FY, OP_RET,
	/* fused forms of the commonest clauses: one value from one insn */
	OP_FIELD_CMPK,		/* field x (cmp op a) k */
	OP_EVENTS_CMPK,		/* events(x in from..to) (cmp op a) k */
	OP_NOT_HAS, OP_NOT_FLAG,	/* not has(x), not flag(x) */
	OP_FIELD_INSET,		/* field a in pool[y .. y + x) */
	OP_FIELD_RANGE,		/* pool[y] (cmp a) field x (cmp b) pool[y+1] */
	OP_FIELD_MODK		/* field x % pool[y] (cmp a) k */
};

struct insn {
	uint8_t op;
	uint8_t a, b;		/* OP_QUANT: quant, set; OP_EVENTS: kind */
	int8_t from, to;	/* OP_EVENTS */
	uint16_t x;		/* slot, vocab index, set length */
	int32_t y;		/* jump offset, body length, set start */
	int64_t k;		/* constant */
};

/* Instructions that give a value alone: a clause or a quantifier body of
 * one of these is evaluated without the interpreter loop. */
static inline int
is_fused(uint8_t op)
{
	return op >= OP_FIELD_CMPK || op == OP_HAS || op == OP_FLAG ||
	    op == OP_KNOWN || op == OP_FIELD;
}

struct rules_code {
	struct insn *code;
	unsigned n, cap;
	int64_t *pool;		/* set constants */
	unsigned npool, poolcap;
};

/* One `when` clause: its text and where its code starts. */
/* A clause made of fused instructions joined by and / or: evaluated over
 * a batch as set operations on the people still in the running (Kleene
 * logic keeps them exact: `a or b` is true exactly where a or b is true,
 * `a and b` where both are). */
struct ftree {
	uint8_t kind;		/* FT_LEAF, FT_AND, FT_OR */
	int16_t a, b;		/* children */
	struct insn leaf;
};
enum { FT_LEAF, FT_AND, FT_OR };
#define FTREE_MAX 32

struct rules_clause {
	char *text;
	int line;
	unsigned start, len;
	struct ftree *ft;	/* NULL when the clause needs the interpreter */
	unsigned nft;
	/* a clause `any/all/no members|children (tree)`: the body's tree */
	struct ftree *qft;
	unsigned nqft;
	uint8_t quant, qset;
	/* `any members (has(a) or has(b) ...)`: the words (vocab indexes) */
	uint16_t has_any[8];
	unsigned nhas_any;
	uint32_t reads, head_reads;
	uint16_t words[16];	/* has/flag/events read, kind in high bits */
	unsigned nwords;
};

static unsigned
emit(struct rules_code *c, struct insn in)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->code = xrealloc(c->code, c->cap * sizeof(*c->code));
	}
	c->code[c->n] = in;
	return c->n++;
}

static uint8_t
cmp_opcode(uint8_t tok, int flip)
{
	switch (tok) {
	case TK_LT: return flip ? OP_GT : OP_LT;
	case TK_LE: return flip ? OP_GE : OP_LE;
	case TK_GT: return flip ? OP_LT : OP_GT;
	case TK_GE: return flip ? OP_LE : OP_GE;
	case TK_EQ: return OP_EQ;
	default: return OP_NE;
	}
}

static void
pool_add(struct rules_code *c, int64_t v)
{
	if (c->npool == c->poolcap) {
		c->poolcap = c->poolcap ? 2 * c->poolcap : 16;
		c->pool = xrealloc(c->pool, c->poolcap * sizeof(int64_t));
	}
	c->pool[c->npool++] = v;
}

/* field (cmp) constant, constant (cmp) field, events(...) (cmp) constant:
 * one instruction.  Returns 1 if n was so compiled. */
static int
fuse_cmp(struct rules_code *c, const struct node *nodes, const struct node *n)
{
	const struct node *a = &nodes[n->a], *b = &nodes[n->b];
	struct insn in;
	int flip = 0;

	memset(&in, 0, sizeof(in));
	/* field % K (cmp) C, as in "a multiple of five" */
	if (a->kind == N_ARITH && a->op == TK_PCT && nodes[a->a].kind == N_FIELD &&
	    nodes[a->b].kind == N_CONST && nodes[a->b].v > 0 && b->kind == N_CONST) {
		in.op = OP_FIELD_MODK;
		in.a = cmp_opcode(n->op, 0);
		in.x = (uint16_t)nodes[a->a].slot;
		in.k = b->v;
		in.y = (int32_t)c->npool;
		pool_add(c, nodes[a->b].v);
		emit(c, in);
		return 1;
	}
	if (a->kind == N_CONST && (b->kind == N_FIELD || b->kind == N_EVENTS)) {
		const struct node *t = a;

		a = b;
		b = t;
		flip = 1;
	}
	if (b->kind != N_CONST || (a->kind != N_FIELD && a->kind != N_EVENTS))
		return 0;
	in.op = a->kind == N_FIELD ? OP_FIELD_CMPK : OP_EVENTS_CMPK;
	in.a = cmp_opcode(n->op, flip);
	in.x = a->kind == N_FIELD ? (uint16_t)a->slot : a->word;
	in.from = a->from;
	in.to = a->to;
	in.k = b->v;
	emit(c, in);
	return 1;
}

/* The field slot and constant of a comparison field (cmp) constant or
 * constant (cmp) field, with the comparison as field (op) constant. */
static int
field_const(const struct node *nodes, const struct node *n, int *slot,
    int64_t *k, uint8_t *op)
{
	const struct node *a = &nodes[n->a], *b = &nodes[n->b];

	if (n->kind != N_CMP)
		return 0;
	if (a->kind == N_FIELD && b->kind == N_CONST) {
		*slot = a->slot;
		*k = b->v;
		*op = cmp_opcode(n->op, 0);
		return 1;
	}
	if (a->kind == N_CONST && b->kind == N_FIELD) {
		*slot = b->slot;
		*k = a->v;
		*op = cmp_opcode(n->op, 1);
		return 1;
	}
	return 0;
}


/* lo <= field <= hi (as chains and `in lo..hi` read): one instruction. */
static int
fuse_range(struct rules_code *c, const struct node *nodes, const struct node *n)
{
	int s1, s2;
	int64_t k1, k2;
	uint8_t o1, o2;
	struct insn in;

	if (!field_const(nodes, &nodes[n->a], &s1, &k1, &o1) ||
	    !field_const(nodes, &nodes[n->b], &s2, &k2, &o2) || s1 != s2)
		return 0;
	memset(&in, 0, sizeof(in));
	in.op = OP_FIELD_RANGE;
	in.x = (uint16_t)s1;
	in.a = o1;
	in.b = o2;
	in.y = (int32_t)c->npool;
	pool_add(c, k1);
	pool_add(c, k2);
	emit(c, in);
	return 1;
}

static void
compile(struct rules_code *c, const struct node *nodes, int i, int *depth,
    int *maxdepth)
{
	const struct node *n = &nodes[i];
	struct insn in;
	unsigned at;

	memset(&in, 0, sizeof(in));
#define PUSH() do { if (++*depth > *maxdepth) *maxdepth = *depth; } while (0)
	switch ((enum nkind)n->kind) {
	case N_CONST:
		in.op = OP_CONST;
		in.k = n->v;
		emit(c, in);
		PUSH();
		return;
	case N_D:
	case N_FY:
		in.op = n->kind == N_D ? OP_D : OP_FY;
		emit(c, in);
		PUSH();
		return;
	case N_FIELD:
	case N_HEADFIELD:
	case N_KNOWN:
	case N_HEADKNOWN:
		in.op = n->kind == N_FIELD ? OP_FIELD : n->kind == N_HEADFIELD ?
		    OP_HEADFIELD : n->kind == N_KNOWN ? OP_KNOWN : OP_HEADKNOWN;
		in.x = (uint16_t)n->slot;
		emit(c, in);
		PUSH();
		return;
	case N_HAS:
	case N_FLAG:
		in.op = n->kind == N_HAS ? OP_HAS : OP_FLAG;
		in.x = n->word;
		emit(c, in);
		PUSH();
		return;
	case N_EVENTS:
		in.op = OP_EVENTS;
		in.x = n->word;
		in.from = n->from;
		in.to = n->to;
		emit(c, in);
		PUSH();
		return;
	case N_NEG:
	case N_NOT:
		if (n->kind == N_NOT && (nodes[n->a].kind == N_HAS ||
		    nodes[n->a].kind == N_FLAG)) {
			in.op = nodes[n->a].kind == N_HAS ? OP_NOT_HAS : OP_NOT_FLAG;
			in.x = nodes[n->a].word;
			emit(c, in);
			PUSH();
			return;
		}
		compile(c, nodes, n->a, depth, maxdepth);
		in.op = n->kind == N_NEG ? OP_NEG : OP_NOT;
		emit(c, in);
		return;
	case N_ARITH:
	case N_CMP:
		if (n->kind == N_CMP && fuse_cmp(c, nodes, n)) {
			PUSH();
			return;
		}
		compile(c, nodes, n->a, depth, maxdepth);
		compile(c, nodes, n->b, depth, maxdepth);
		switch (n->op) {
		case TK_PLUS: in.op = OP_ADD; break;
		case TK_MINUS: in.op = OP_SUB; break;
		case TK_STAR: in.op = OP_MUL; break;
		case TK_SLASH: in.op = OP_DIV; break;
		case TK_PCT: in.op = OP_MOD; break;
		case TK_LT: in.op = OP_LT; break;
		case TK_LE: in.op = OP_LE; break;
		case TK_GT: in.op = OP_GT; break;
		case TK_GE: in.op = OP_GE; break;
		case TK_EQ: in.op = OP_EQ; break;
		default: in.op = OP_NE; break;
		}
		emit(c, in);
		(*depth)--;
		return;
	case N_AND:
	case N_OR:
		if (n->kind == N_AND && fuse_range(c, nodes, n)) {
			PUSH();
			return;
		}
		/* a; JF/JT end (keeps a when it decides); b; AND2/OR2 */
		compile(c, nodes, n->a, depth, maxdepth);
		in.op = n->kind == N_AND ? OP_JF : OP_JT;
		at = emit(c, in);
		compile(c, nodes, n->b, depth, maxdepth);
		memset(&in, 0, sizeof(in));
		in.op = n->kind == N_AND ? OP_AND2 : OP_OR2;
		emit(c, in);
		(*depth)--;
		c->code[at].y = (int32_t)(c->n - at - 1);
		return;
	case N_INSET:
		if (nodes[n->a].kind == N_FIELD) {
			in.op = OP_FIELD_INSET;
			in.a = (uint8_t)nodes[n->a].slot;
			PUSH();
		} else {
			compile(c, nodes, n->a, depth, maxdepth);
			in.op = OP_INSET;
		}
		if (c->npool + n->nset > c->poolcap) {
			c->poolcap = (c->npool + n->nset) * 2;
			c->pool = xrealloc(c->pool, c->poolcap * sizeof(int64_t));
		}
		memcpy(c->pool + c->npool, n->set, n->nset * sizeof(int64_t));
		in.y = (int32_t)c->npool;
		in.x = (uint16_t)n->nset;
		c->npool += n->nset;
		emit(c, in);
		return;
	case N_QUANT: {
		int d = 0, md = 0;

		in.op = OP_QUANT;
		in.a = n->quant;
		in.b = n->qset;
		at = emit(c, in);
		compile(c, nodes, n->a, &d, &md);
		memset(&in, 0, sizeof(in));
		in.op = OP_RET;
		emit(c, in);
		c->code[at].y = (int32_t)(c->n - at - 1);
		c->code[at].x = (uint16_t)md;
		if (md > *maxdepth)	/* the body runs on a stack of its own,
					 * as deep as the limit allows */
			*maxdepth = md;
		PUSH();
		return;
	}
	}
#undef PUSH
}

/* ------------------------------------------------------------------ */
/* Facts and evaluation                                                */

void
rules_ctx_init(struct rules_ctx *ctx, date_t d, const struct rules_set *s)
{
	ctx->d = d;
	ctx->fy = date_fy(d);
	date_to_ymd(d, &ctx->dy, &ctx->dm, &ctx->dd);
	ctx->fy_next = date_fy_start(ctx->fy + 1);
	for (int k = -RULES_FY_SPAN; k <= RULES_FY_SPAN; k++) {
		ctx->fy_start[k + RULES_FY_SPAN] = date_fy_start(ctx->fy + k);
		ctx->fy_end[k + RULES_FY_SPAN] = date_fy_end(ctx->fy + k);
	}
	ctx->nq = s != NULL ? s->nevq : 0;
	memset(ctx->qmask, 0, sizeof(ctx->qmask));
	for (unsigned k = 0; k < ctx->nq; k++) {
		ctx->q[k].id = s->word_ids[VOCAB_EVENT][s->evq[k].word];
		if (ctx->q[k].id < 64)
			ctx->qmask[ctx->q[k].id] |= (uint16_t)(1u << k);
		ctx->q[k].from = INT32_MIN;
		ctx->q[k].to = d;
		if (s->evq[k].from != FY_EVER) {
			ctx->q[k].from = ctx->fy_start[s->evq[k].from + RULES_FY_SPAN];
			if (ctx->fy_end[s->evq[k].to + RULES_FY_SPAN] < d)
				ctx->q[k].to = ctx->fy_end[s->evq[k].to + RULES_FY_SPAN];
		}
	}
}

int
rules_person_init(struct rules_person *p, const struct resident *r,
    const struct rules_ctx *ctx)
{
	int months;

	if (r->birth > ctx->d)
		return -1;
	{
		int by, bm, bd;

		/* months(b) on X by CONTRACT.md's anniversary rule, written
		 * out (dates.c's date_months) with X's fields computed once */
		date_to_ymd(r->birth, &by, &bm, &bd);
		months = (ctx->dy - by) * 12 + (ctx->dm - bm) - (bd > ctx->dd);
		p->f[SLOT_FYAGE] = ((ctx->fy + 1 - by) * 12 + (4 - bm) - (bd > 1)) / 12;
	}
	p->f[SLOT_AGE] = months / 12;
	p->f[SLOT_MONTHS] = months;
	p->f[SLOT_BIRTH] = r->birth;
	p->f[SLOT_SEX] = r->sex;
	p->f[SLOT_REL] = r->relationship;
	p->f[SLOT_INS] = r->insurance;
	p->f[SLOT_TAX_EXEMPT] = r->tax_exempt;
	p->f[SLOT_INCOME] = 0;		/* 64 bits: in p->income */
	p->f[SLOT_DEPENDENTS] = 0;	/* and p->dependents */
	p->income = r->income;
	p->dependents = r->dependents;
	p->f[SLOT_SINGLE_PARENT] = r->single_parent;
	p->f[SLOT_DPHYS] = r->disability_physical;
	p->f[SLOT_DINT] = r->disability_intellectual;
	p->f[SLOT_DMENT] = r->disability_mental;
	p->income_known = r->income >= 0;
	p->r = r;
	p->benefit_mask = 0;
	p->flag_mask = 0;
	memset(p->ev, 0, sizeof(p->ev));
	for (unsigned i = 0; i < r->nhistory; i++) {
		const uint8_t *e = r->history + STORE_HIST_ENTRY * i;
		uint16_t id = store_u16(e);
		date_t d = store_i32(e + 2);

		/* the questions about this event: by mask, or all of them
		 * for a word numbered 64 or more */
		unsigned m = id < 64 ? ctx->qmask[id] : (1u << ctx->nq) - 1;

		while (m) {
			unsigned k = (unsigned)__builtin_ctz(m);

			m &= m - 1;
			if (ctx->q[k].id == id && d >= ctx->q[k].from &&
			    d <= ctx->q[k].to)
				p->ev[k]++;	/* at most 65535 events a record */
		}
	}
	for (unsigned i = 0; i < r->nbenefits; i++) {
		uint16_t id = store_u16(r->benefits + 2 * i);

		if (id < 64)
			p->benefit_mask |= 1ull << id;
	}
	for (unsigned i = 0; i < r->nflags; i++) {
		uint16_t id = store_u16(r->flags + 2 * i);

		if (id < 64)
			p->flag_mask |= 1ull << id;
	}
	return 0;
}

struct val {
	int64_t v;
	int unk;
};

#define STACK_MAX 64

/* Has the person benefit / flag `id` (a store word id)?  Ids below 64 are
 * looked up in the masks rules_person_init made; others in the list. */
static inline int list_has(const uint8_t *list, unsigned n, uint16_t id);

static inline int
has_benefit(const struct rules_person *p, uint16_t id)
{
	return id < 64 ? (int)((p->benefit_mask >> id) & 1) :
	    list_has(p->r->benefits, p->r->nbenefits, id);
}

static inline int
has_flag(const struct rules_person *p, uint16_t id)
{
	return id < 64 ? (int)((p->flag_mask >> id) & 1) :
	    list_has(p->r->flags, p->r->nflags, id);
}

static inline int
list_has(const uint8_t *list, unsigned n, uint16_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (store_u16(list + 2 * i) == id)
			return 1;
	return 0;
}

static inline int64_t
count_events(const struct resident *r, uint16_t id, date_t from, date_t to)
{
	int64_t n = 0;

	/* sorted by (id, date), distinct */
	for (unsigned i = 0; i < r->nhistory; i++) {
		const uint8_t *e = r->history + STORE_HIST_ENTRY * i;
		uint16_t eid = store_u16(e);

		if (eid < id)
			continue;
		if (eid > id)
			break;
		date_t d = store_i32(e + 2);

		if (d >= from && d <= to)
			n++;
	}
	return n;
}

struct evalenv {
	const struct rules_set *s;
	const struct rules_code *c;
	const struct rules_household *h;
	const struct rules_ctx *ctx;
};

static inline int
compare(uint8_t op, int64_t a, int64_t b)
{
	switch (op) {
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_EQ: return a == b;
	default: return a != b;
	}
}

static inline int64_t
events_in(const struct evalenv *env, const struct rules_person *me,
    const struct insn *in)
{
	date_t from = INT32_MIN, to = env->ctx->d;

	if (in->from != FY_EVER) {
		date_t end = env->ctx->fy_end[in->to + RULES_FY_SPAN];

		from = env->ctx->fy_start[in->from + RULES_FY_SPAN];
		if (end < to)
			to = end;
	}
	return count_events(me->r, env->s->word_ids[VOCAB_EVENT][in->x], from, to);
}

/* The fused instructions: a value from one instruction. */
static inline __attribute__((always_inline)) struct val
fused(const struct evalenv *env, const struct rules_person *me,
    const struct insn *in)
{
	switch (in->op) {
	case OP_FIELD:
		return (struct val){ rules_fact(me, in->x),
		    in->x == SLOT_INCOME && !me->income_known };
	case OP_KNOWN:
		return (struct val){ me->income_known, 0 };
	case OP_HAS:
		return (struct val){ has_benefit(me, env->s->word_ids[VOCAB_BENEFIT][in->x]), 0 };
	case OP_FLAG:
		return (struct val){ has_flag(me, env->s->word_ids[VOCAB_FLAG][in->x]), 0 };
	case OP_FIELD_MODK:
		return (struct val){ compare(in->a, rules_fact(me, in->x) % env->c->pool[in->y],
		    in->k), in->x == SLOT_INCOME && !me->income_known };
	case OP_FIELD_RANGE: {
		const int64_t *k = env->c->pool + in->y;
		int64_t v = rules_fact(me, in->x);

		return (struct val){ compare(in->a, v, k[0]) && compare(in->b, v, k[1]),
		    in->x == SLOT_INCOME && !me->income_known };
	}
	case OP_FIELD_CMPK:
		return (struct val){ compare(in->a, rules_fact(me, in->x), in->k),
		    in->x == SLOT_INCOME && !me->income_known };
	case OP_EVENTS_CMPK:
		return (struct val){ compare(in->a, in->b ? me->ev[in->b - 1] :
		    events_in(env, me, in), in->k), 0 };
	case OP_NOT_HAS:
		return (struct val){ !has_benefit(me, env->s->word_ids[VOCAB_BENEFIT][in->x]), 0 };
	case OP_NOT_FLAG:
		return (struct val){ !has_flag(me, env->s->word_ids[VOCAB_FLAG][in->x]), 0 };
	default: {	/* OP_FIELD_INSET */
		const int64_t *set = env->c->pool + in->y;
		int64_t v = rules_fact(me, in->a);
		int found = 0;

		for (unsigned i = 0; i < in->x; i++)
			found |= set[i] == v;
		return (struct val){ found, in->a == SLOT_INCOME && !me->income_known };
	}
	}
}

static struct val
run(const struct evalenv *env, unsigned pc, unsigned who)
{
	const struct insn *code = env->c->code;
	const struct rules_person *me = &env->h->m[who];
	const struct rules_person *head = env->h->head >= 0 ?
	    &env->h->m[env->h->head] : NULL;
	struct val st[STACK_MAX];
	int sp = -1;

	for (;; pc++) {
		const struct insn *in = &code[pc];
		struct val a, b;

		switch ((enum op)in->op) {
		case OP_CONST:
			st[++sp] = (struct val){ in->k, 0 };
			break;
		case OP_D:
			st[++sp] = (struct val){ env->ctx->d, 0 };
			break;
		case OP_FY:
			st[++sp] = (struct val){ env->ctx->fy, 0 };
			break;
		case OP_FIELD:
			st[++sp] = (struct val){ rules_fact(me, in->x),
			    in->x == SLOT_INCOME && !me->income_known };
			break;
		case OP_HEADFIELD:
			/* no head: every head.field is unknown */
			if (head == NULL)
				st[++sp] = (struct val){ 0, 1 };
			else
				st[++sp] = (struct val){ rules_fact(head, in->x),
				    in->x == SLOT_INCOME && !head->income_known };
			break;
		case OP_KNOWN:
			st[++sp] = (struct val){ me->income_known, 0 };
			break;
		case OP_HEADKNOWN:
			st[++sp] = (struct val){ head != NULL && head->income_known, 0 };
			break;
		case OP_NEG:
			if (st[sp].v == INT64_MIN)
				st[sp].unk = 1;
			else
				st[sp].v = -st[sp].v;
			break;
		case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
			b = st[sp--];
			a = st[sp];
			st[sp].unk = a.unk || b.unk;
			/* an overflow or a division by zero has no value: unknown */
			if (in->op == OP_ADD)
				st[sp].unk |= __builtin_add_overflow(a.v, b.v, &st[sp].v);
			else if (in->op == OP_SUB)
				st[sp].unk |= __builtin_sub_overflow(a.v, b.v, &st[sp].v);
			else if (in->op == OP_MUL)
				st[sp].unk |= __builtin_mul_overflow(a.v, b.v, &st[sp].v);
			else if (b.v == 0 || (a.v == INT64_MIN && b.v == -1))
				st[sp].unk = 1;
			else if (in->op == OP_DIV)
				st[sp].v = a.v / b.v;
			else
				st[sp].v = a.v % b.v;
			break;
		case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
			b = st[sp--];
			a = st[sp];
			st[sp].unk = a.unk || b.unk;
			switch (in->op) {
			case OP_LT: st[sp].v = a.v < b.v; break;
			case OP_LE: st[sp].v = a.v <= b.v; break;
			case OP_GT: st[sp].v = a.v > b.v; break;
			case OP_GE: st[sp].v = a.v >= b.v; break;
			case OP_EQ: st[sp].v = a.v == b.v; break;
			default: st[sp].v = a.v != b.v; break;
			}
			break;
		case OP_NOT:
			st[sp].v = !st[sp].v;
			break;
		case OP_JF:	/* a definite false decides an and */
			if (!st[sp].unk && !st[sp].v)
				pc += (unsigned)in->y;
			break;
		case OP_JT:	/* a definite true decides an or */
			if (!st[sp].unk && st[sp].v)
				pc += (unsigned)in->y;
			break;
		case OP_AND2:	/* a is true or unknown here */
			b = st[sp--];
			a = st[sp];
			if (!b.unk && !b.v)
				st[sp] = (struct val){ 0, 0 };
			else
				st[sp] = (struct val){ 1, a.unk || b.unk };
			break;
		case OP_OR2:	/* a is false or unknown here */
			b = st[sp--];
			a = st[sp];
			if (!b.unk && b.v)
				st[sp] = (struct val){ 1, 0 };
			else
				st[sp] = (struct val){ 0, a.unk || b.unk };
			break;
		case OP_INSET: {
			const int64_t *set = env->c->pool + in->y;
			int found = 0;

			for (unsigned i = 0; i < in->x; i++)
				found |= set[i] == st[sp].v;
			st[sp].v = found;
			break;
		}
		case OP_HAS:
			st[++sp] = (struct val){ has_benefit(me, env->s->word_ids[VOCAB_BENEFIT][in->x]), 0 };
			break;
		case OP_FLAG:
			st[++sp] = (struct val){ has_flag(me, env->s->word_ids[VOCAB_FLAG][in->x]), 0 };
			break;
		case OP_EVENTS:
			st[++sp] = (struct val){ in->b ? me->ev[in->b - 1] :
			    events_in(env, me, in), 0 };
			break;
		case OP_FIELD_CMPK: case OP_EVENTS_CMPK: case OP_NOT_HAS:
		case OP_NOT_FLAG: case OP_FIELD_INSET: case OP_FIELD_RANGE:
		case OP_FIELD_MODK:
			st[++sp] = fused(env, me, in);
			break;
		case OP_QUANT: {
			/* three-valued any/all over the set; count counts trues */
			int64_t count = 0;
			int unk = 0, decided = 0;

			/* a body of one fused instruction runs without recursion */
			int flat = in->y == 2 && is_fused(code[pc + 1].op);

			for (unsigned m = 0; m < env->h->n && !decided; m++) {
				struct val r;

				if (in->b == QS_CHILDREN &&
				    env->h->m[m].f[SLOT_REL] != REL_CHILD)
					continue;
				r = flat ? fused(env, &env->h->m[m], &code[pc + 1]) :
				    run(env, pc + 1, m);
				if (r.unk) {
					unk = 1;
					continue;
				}
				if (r.v)
					count++;
				if ((in->a == Q_ANY || in->a == Q_NONE) && r.v)
					decided = 1;
				if (in->a == Q_ALL && !r.v)
					decided = 1;
			}
			switch (in->a) {
			case Q_ANY:
				st[++sp] = (struct val){ count > 0, count == 0 && unk };
				break;
			case Q_NONE:
				st[++sp] = (struct val){ count == 0, count == 0 && unk };
				break;
			case Q_ALL:
				st[++sp] = (struct val){ !decided, !decided && unk };
				break;
			default:	/* a count with an unknown in it is unknown */
				st[++sp] = (struct val){ count, unk };
			}
			pc += (unsigned)in->y;
			break;
		}
		case OP_RET:
			return st[sp];
		}
	}
}

/* The clauses of p from clause `from` on, for member who. */
static inline int
eval_from(const struct evalenv *env, const struct rules_program *p,
    unsigned from, unsigned who)
{
	for (unsigned i = from; i < p->nclauses; i++) {
		const struct rules_clause *cl = &p->clauses[p->order[i]];
		struct val v;

		if (cl->len == 2 && is_fused(p->code->code[cl->start].op))
			v = fused(env, &env->h->m[who], &p->code->code[cl->start]);
		else
			v = run(env, cl->start, who);
		if (v.unk || !v.v)
			return 0;
	}
	return 1;
}

/* Keep in sel only the people of the batch for whom one fused
 * instruction is true.  The switch is outside the loops. */
#define PERSON(i) (&b->pers[sel[i]])
/* Branch-free: a filter that keeps half of the people would otherwise
 * mispredict half of the time. */
#define KEEP_IF(cond) do {						\
	unsigned k_ = 0;						\
	for (unsigned i = 0; i < n; i++) {				\
		uint16_t x_ = sel[i];					\
		sel[k_] = x_;						\
		k_ += (cond) ? 1u : 0u;					\
	}								\
	return k_;							\
} while (0)

static inline int
in_set(const int64_t *set, unsigned n, int64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

static unsigned
filter_fused(const struct evalenv *env, const struct insn *in,
    const struct rules_batch *b, uint16_t *sel, unsigned n)
{
	const int64_t k = in->k;
	const unsigned slot = in->x;
	/* income and dependents (64 bits; income maybe unknown) take the
	 * general path below: they have no 32-bit column */
	const int inc = slot == SLOT_INCOME || slot == SLOT_DEPENDENTS;

	switch (in->op) {
	case OP_FIELD_CMPK:
		if (inc)
			break;
		{
			const int32_t *col = b->col[slot];

			switch (in->a) {
			case OP_LT: KEEP_IF(col[sel[i]] < k);
			case OP_LE: KEEP_IF(col[sel[i]] <= k);
			case OP_GT: KEEP_IF(col[sel[i]] > k);
			case OP_GE: KEEP_IF(col[sel[i]] >= k);
			case OP_EQ: KEEP_IF(col[sel[i]] == k);
			default: KEEP_IF(col[sel[i]] != k);
			}
		}
	case OP_FIELD_RANGE: {
		const int64_t lo = env->c->pool[in->y], hi = env->c->pool[in->y + 1];
		const int32_t *col = b->col[slot];

		if (inc)
			break;
		if (in->a == OP_GE && in->b == OP_LE)
			KEEP_IF(col[sel[i]] >= lo && col[sel[i]] <= hi);
		if (in->a == OP_GE && in->b == OP_LT)
			KEEP_IF(col[sel[i]] >= lo && col[sel[i]] < hi);
		break;
	}
	case OP_FIELD_INSET: {
		const int64_t *set = env->c->pool + in->y;
		const int32_t *col = b->col[in->a];

		if (in->a == SLOT_INCOME || in->a == SLOT_DEPENDENTS)
			break;
		KEEP_IF(in_set(set, in->x, col[sel[i]]));
	}
	case OP_EVENTS_CMPK: {
		/* the window and the word once, then a plain loop */
		uint16_t id = env->s->word_ids[VOCAB_EVENT][in->x];
		date_t from = INT32_MIN, to = env->ctx->d;

		if (in->from != FY_EVER) {
			from = env->ctx->fy_start[in->from + RULES_FY_SPAN];
			if (env->ctx->fy_end[in->to + RULES_FY_SPAN] < to)
				to = env->ctx->fy_end[in->to + RULES_FY_SPAN];
		}
		if (in->b) {	/* answered when the person was read */
			unsigned q = in->b - 1u;

			if (in->a == OP_EQ && k == 0)
				KEEP_IF(PERSON(i)->ev[q] == 0);
			KEEP_IF(compare(in->a, PERSON(i)->ev[q], k));
		}
		if (in->a == OP_EQ && k == 0)	/* "none in the window" */
			KEEP_IF(count_events(PERSON(i)->r, id, from, to) == 0);
		KEEP_IF(compare(in->a, count_events(PERSON(i)->r, id, from, to), k));
	}
	case OP_NOT_HAS:
	case OP_HAS: {
		uint16_t id = env->s->word_ids[VOCAB_BENEFIT][in->x];
		int want = in->op == OP_HAS;

		KEEP_IF(has_benefit(PERSON(i), id) == want);
	}
	case OP_NOT_FLAG:
	case OP_FLAG: {
		uint16_t id = env->s->word_ids[VOCAB_FLAG][in->x];
		int want = in->op == OP_FLAG;

		KEEP_IF(has_flag(PERSON(i), id) == want);
	}
	default:
		break;
	}
	/* the other fused instructions, one person at a time */
	{
		unsigned k_ = 0;

		for (unsigned i = 0; i < n; i++) {
			struct val v = fused(env, PERSON(i), in);

			if (!v.unk && v.v)
				sel[k_++] = sel[i];
		}
		return k_;
	}
}
#undef KEEP_IF

/* Keep the people for whom filter tree node t holds (sel ascending). */
static unsigned
filter_tree(const struct evalenv *env, const struct ftree *ft, int t,
    const struct rules_batch *b, uint16_t *sel, unsigned n)
{
	uint16_t yes[RULES_BATCH], rest[RULES_BATCH];
	unsigned ny, nr = 0, i = 0, j = 0, k = 0;

	switch (ft[t].kind) {
	case FT_LEAF:
		return filter_fused(env, &ft[t].leaf, b, sel, n);
	case FT_AND:
		n = filter_tree(env, ft, ft[t].a, b, sel, n);
		return n ? filter_tree(env, ft, ft[t].b, b, sel, n) : 0;
	default:	/* FT_OR: those a keeps, and those b keeps of the rest */
		memcpy(yes, sel, n * sizeof(*sel));
		ny = filter_tree(env, ft, ft[t].a, b, yes, n);
		for (unsigned x = 0, y = 0; x < n; x++) {
			if (y < ny && yes[y] == sel[x])
				y++;
			else
				rest[nr++] = sel[x];
		}
		nr = filter_tree(env, ft, ft[t].b, b, rest, nr);
		while (i < ny || j < nr)
			sel[k++] = j >= nr || (i < ny && yes[i] < rest[j]) ?
			    yes[i++] : rest[j++];
		return k;
	}
}

/* A tree for one person, in Kleene logic. */
static struct val
eval_ftree(const struct evalenv *env, const struct ftree *ft, int t,
    const struct rules_person *me)
{
	struct val x, y;

	if (ft[t].kind == FT_LEAF)
		return fused(env, me, &ft[t].leaf);
	x = eval_ftree(env, ft, ft[t].a, me);
	if (ft[t].kind == FT_AND) {
		if (!x.unk && !x.v)
			return x;
		y = eval_ftree(env, ft, ft[t].b, me);
		if (!y.unk && !y.v)
			return y;
		return (struct val){ 1, x.unk || y.unk };
	}
	if (!x.unk && x.v)
		return x;
	y = eval_ftree(env, ft, ft[t].b, me);
	if (!y.unk && y.v)
		return y;
	return (struct val){ 0, x.unk || y.unk };
}

/* Keep the people for whom `any/all/no members|children (body)` holds:
 * the body is one fused instruction (body != NULL) or a tree. */
static unsigned
filter_quant(const struct evalenv *env, uint8_t quant, uint8_t qset,
    const struct insn *body, const struct ftree *ft, int root,
    const struct rules_batch *b, uint16_t *sel, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct rules_household *h = b->h[sel[i]];
		int trues = 0, unk = 0, falses = 0, holds;

		for (unsigned m = 0; m < h->n; m++) {
			struct val v;

			if (qset == QS_CHILDREN && h->m[m].f[SLOT_REL] != REL_CHILD)
				continue;
			v = body ? fused(env, &h->m[m], body) :
			    eval_ftree(env, ft, root, &h->m[m]);
			if (v.unk)
				unk = 1;
			else if (v.v)
				trues = 1;
			else
				falses = 1;
		}
		/* definitely true only: any needs a true; all needs no false
		 * and no unknown; none needs no true and no unknown */
		holds = quant == Q_ANY ? trues : quant == Q_ALL ? !falses && !unk :
		    !trues && !unk;
		if (holds)
			sel[k++] = sel[i];
	}
	return k;
}

#define MEMO_MAX 8

void
rules_batch_facts(struct rules_batch *b, unsigned i, const struct rules_person *p)
{
	const int32_t *f = p->f;

	b->col[SLOT_AGE][i] = (int32_t)f[SLOT_AGE];
	b->col[SLOT_MONTHS][i] = (int32_t)f[SLOT_MONTHS];
	b->col[SLOT_FYAGE][i] = (int32_t)f[SLOT_FYAGE];
	b->col[SLOT_BIRTH][i] = (int32_t)f[SLOT_BIRTH];
	b->col[SLOT_SEX][i] = (int32_t)f[SLOT_SEX];
	b->col[SLOT_REL][i] = (int32_t)f[SLOT_REL];
	b->col[SLOT_INS][i] = (int32_t)f[SLOT_INS];
	b->col[SLOT_TAX_EXEMPT][i] = (int32_t)f[SLOT_TAX_EXEMPT];
	b->col[SLOT_SINGLE_PARENT][i] = (int32_t)f[SLOT_SINGLE_PARENT];
	b->col[SLOT_DPHYS][i] = (int32_t)f[SLOT_DPHYS];
	b->col[SLOT_DINT][i] = (int32_t)f[SLOT_DINT];
	b->col[SLOT_DMENT][i] = (int32_t)f[SLOT_DMENT];
}

void
rules_eval_batch(const struct rules_set *s, const struct rules_ctx *ctx,
    struct rules_batch *b)
{
	uint16_t all[RULES_BATCH], heads[RULES_BATCH], sel[RULES_BATCH];
	unsigned nall = b->n, nheads = 0, nmemo = 0;
	/* the union of each person's household's benefits, when asked */
	uint64_t hunion[RULES_BATCH];
	uint8_t hunion_set[RULES_BATCH];
	static __thread struct {
		struct insn in;
		uint8_t subject;
		unsigned n;
		uint16_t sel[RULES_BATCH];
	} memo[MEMO_MAX];

	memset(hunion_set, 0, b->n);
	for (unsigned i = 0; i < b->n; i++) {
		all[i] = (uint16_t)i;
		if (b->h[i]->head == (int)b->who[i])
			heads[nheads++] = (uint16_t)i;
		memset(b->elig[i], 0, sizeof(b->elig[i]));
	}
	for (unsigned prog = 0; prog < s->n; prog++) {
		const struct rules_program *p = s->p[prog];
		struct evalenv env = { s, p->code, NULL, ctx };
		unsigned n;

		if (p->subject == SUBJECT_HEAD) {
			memcpy(sel, heads, nheads * sizeof(sel[0]));
			n = nheads;
		} else {
			memcpy(sel, all, nall * sizeof(sel[0]));
			n = nall;
		}
		for (unsigned c = 0; c < p->nclauses && n > 0; c++) {
			const struct rules_clause *cl = &p->clauses[p->order[c]];
			const struct insn *in = &p->code->code[cl->start];

			if (cl->len == 2 && is_fused(in->op)) {
				/* programs often start alike (sex = 2, fyage >= 40):
				 * a first clause is filtered once per batch */
				if (c == 0 && in->op != OP_FIELD_RANGE &&
				    in->op != OP_FIELD_INSET && in->op != OP_FIELD_MODK) {
					unsigned m;

					for (m = 0; m < nmemo; m++)
						if (memo[m].subject == p->subject &&
						    memcmp(&memo[m].in, in, sizeof(*in)) == 0)
							break;
					if (m < nmemo) {
						n = memo[m].n;
						memcpy(sel, memo[m].sel, n * sizeof(sel[0]));
						continue;
					}
					n = filter_fused(&env, in, b, sel, n);
					if (nmemo < MEMO_MAX) {
						memo[nmemo].in = *in;
						memo[nmemo].subject = p->subject;
						memo[nmemo].n = n;
						memcpy(memo[nmemo].sel, sel, n * sizeof(sel[0]));
						nmemo++;
					}
					continue;
				}
				n = filter_fused(&env, in, b, sel, n);
				continue;
			}
			if (cl->ft != NULL) {
				n = filter_tree(&env, cl->ft, (int)cl->nft - 1, b, sel, n);
				continue;
			}
			if (cl->nhas_any > 0) {
				/* a benefit anyone in the household holds: one mask */
				uint64_t want = 0;
				unsigned w;

				for (w = 0; w < cl->nhas_any; w++) {
					uint16_t id = s->word_ids[VOCAB_BENEFIT][cl->has_any[w]];

					if (id >= 64)
						break;
					want |= 1ull << id;
				}
				if (w == cl->nhas_any) {
					unsigned k = 0;

					for (unsigned i = 0; i < n; i++) {
						uint64_t u = hunion[sel[i]];

						if (!hunion_set[sel[i]]) {
							const struct rules_household *hh = b->h[sel[i]];

							u = 0;
							for (unsigned m = 0; m < hh->n; m++)
								u |= hh->m[m].benefit_mask;
							hunion[sel[i]] = u;
							hunion_set[sel[i]] = 1;
						}
						sel[k] = sel[i];
						k += (u & want) != 0;
					}
					n = k;
					continue;
				}
			}
			if (cl->len == 4 && in->op == OP_QUANT && in->a != Q_COUNT &&
			    is_fused(in[1].op)) {
				n = filter_quant(&env, in->a, in->b, &in[1], NULL, 0, b, sel, n);
				continue;
			}
			if (cl->qft != NULL) {
				n = filter_quant(&env, cl->quant, cl->qset, NULL, cl->qft,
				    (int)cl->nqft - 1, b, sel, n);
				continue;
			}
			{
				unsigned k = 0;

				for (unsigned i = 0; i < n; i++) {
					struct val v;

					env.h = b->h[sel[i]];
					v = run(&env, cl->start, b->who[sel[i]]);
					if (!v.unk && v.v)
						sel[k++] = sel[i];
				}
				n = k;
			}
		}
		for (unsigned i = 0; i < n; i++)
			b->elig[sel[i]][prog / 64] |= 1ull << (prog % 64);
	}
}
#undef PERSON

int
rules_eval(const struct rules_set *s, const struct rules_program *p,
    const struct rules_household *h, unsigned who, const struct rules_ctx *ctx)
{
	struct evalenv env = { s, p->code, h, ctx };

	if (p->subject == SUBJECT_HEAD && (int)who != h->head)
		return 0;
	return eval_from(&env, p, 0, who);
}

/* ------------------------------------------------------------------ */
/* Rule files                                                          */

#define TEST_MAX_MEMBERS 16

struct tmember {
	char name[32];
	struct resident r;
	uint16_t ben[64], flg[16];	/* vocab indexes */
	uint16_t *hid;
	int32_t *hdate;
	unsigned nhist;
	int line;
};

struct rules_test {
	char *name;
	int line;
	date_t date;
	int have_date, have_expect;
	unsigned nm;
	struct tmember m[TEST_MAX_MEMBERS];
	uint32_t expect;		/* bit i: member i eligible */
};

struct loadctx {
	struct rules_set *set;
	struct rules_program *p;
	struct diag *d;
	struct inifile_err *ie;
	const char *file_id;		/* the file name without .ini */
	/* clauses being read */
	struct src *srcs;
	unsigned nsrc, srccap;
	int last_when;			/* the last key was `when` */
	int msg_lang;			/* 0 ja, 1 en, -1 none: for continuations */
	struct rules_test *test;	/* the current [test: ...] */
	int test_section_line;
	unsigned seen;			/* metadata keys given, bit per key */
	/* the previous key, to tell a continuation line from a key */
	int prev_line, prev_section_line;
	char prev_name[64];
	int msg_line[2];		/* where ja and en start */
};

static const char *const meta_keys[] = {
	"id", "name_ja", "name_en", "department", "category", "subject",
	"cycle", "tax", "page"
};
#define NMETA (sizeof(meta_keys) / sizeof(meta_keys[0]))

static const char *const category_names[] = { "health", "child", "welfare" };

const char *
rules_category_name(uint8_t category)
{
	switch (category) {
	case CONSENT_HEALTH: return "health";
	case CONSENT_CHILD: return "child";
	case CONSENT_WELFARE: return "welfare";
	default: return "?";
	}
}

static int
pick(struct loadctx *lc, int line, const char *raw, const char *key,
    const char *value, const char *const *words, int n)
{
	char all[160];
	size_t off = 0;

	for (int i = 0; i < n; i++)
		if (strcmp(value, words[i]) == 0)
			return i;
	all[0] = '\0';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s",
		    i ? ", " : "", words[i]);
	diag_line(lc->d, line, value_col(raw, value), "%s: '%s' is not one of %s",
	    key, value, all);
	return -1;
}

static char *
append_text(char *old, const char *more, const char *sep)
{
	size_t a = old ? strlen(old) : 0, b = strlen(more), c = strlen(sep);
	char *s = xrealloc(old, a + c + b + 1);

	if (a > 0) {
		memcpy(s + a, sep, c);
		a += c;
	}
	memcpy(s + a, more, b + 1);
	return s;
}

/* Check a message template's placeholders. */
static void
check_template(struct loadctx *lc, int line, const char *raw, const char *t)
{
	static const char *const ph[] = { "name", "city", "url", "department",
	    "who", "Who" };

	for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		int ok = 0;

		if (e != NULL)
			for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
				ok |= (size_t)(e - p - 1) == strlen(ph[i]) &&
				    memcmp(p + 1, ph[i], strlen(ph[i])) == 0;
		if (!ok) {
			diag_line(lc->d, line, value_col(raw, t) + (int)(p - t),
			    "unknown placeholder '%.*s' (use {name}, {city}, {url}, "
			    "{department}, {who} or {Who})", e ? (int)(e - p + 1) : 1, p);
			return;
		}
	}
}

static int
parse_test_member(struct loadctx *lc, struct tmember *m, const char *value,
    int line, const char *raw)
{
	const struct vocab *v = lc->set->vocab;
	char buf[INIFILE_MAX_LINE + 2], *save = NULL, *tok;
	int col = value_col(raw, value), i = 0;
	enum type et;

	snprintf(buf, sizeof(buf), "%s", value);
	memset(&m->r, 0, sizeof(m->r));
	m->r.sex = 1;
	m->r.insurance = INS_NHI;
	m->r.income = -1;
	m->line = line;
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save), i++) {
		int tcol = col + (int)(tok - buf);
		char *eq = strchr(tok, '=');
		int64_t n = 0;
		const char *val;
		char *end;

		if (i == 0) {
			int e = find_enum(tok, strlen(tok), &et);

			if (e < 0 || et != TY_REL) {
				diag_line(lc->d, line, tcol, "a member starts with its "
				    "relationship (head, spouse, child, parent, other)");
				return -1;
			}
			m->r.relationship = (uint8_t)e;
			continue;
		}
		if (i == 1) {
			if (date_parse(tok, strlen(tok), &m->r.birth) != DATE_OK) {
				diag_line(lc->d, line, tcol, "then the birth date "
				    "(YYYY-MM-DD), not '%s'", tok);
				return -1;
			}
			continue;
		}
		if (eq == NULL) {
			diag_line(lc->d, line, tcol, "expected field=value, not '%s'", tok);
			return -1;
		}
		*eq = '\0';
		val = eq + 1;
		if (strcmp(tok, "benefits") == 0 || strcmp(tok, "flags") == 0) {
			int ben = tok[0] == 'b';
			char lbuf[INIFILE_MAX_LINE + 2], *ls = NULL, *w;
			uint16_t *out = ben ? m->ben : m->flg;
			uint16_t *cnt = ben ? &m->r.nbenefits : &m->r.nflags;
			unsigned cap = ben ? 64 : 16;

			snprintf(lbuf, sizeof(lbuf), "%s", val);
			for (w = strtok_r(lbuf, ";", &ls); w; w = strtok_r(NULL, ";", &ls)) {
				int idx = vocab_find(v, ben ? VOCAB_BENEFIT : VOCAB_FLAG,
				    w, strlen(w));

				if (idx < 0 || *cnt == cap) {
					diag_line(lc->d, line, tcol, "unknown %s word '%s'",
					    ben ? "benefit" : "flag", w);
					return -1;
				}
				out[(*cnt)++] = (uint16_t)idx;
			}
			continue;
		}
		if (strcmp(tok, "history") == 0) {
			char lbuf[INIFILE_MAX_LINE + 2], *ls = NULL, *w;

			snprintf(lbuf, sizeof(lbuf), "%s", val);
			for (w = strtok_r(lbuf, ";", &ls); w; w = strtok_r(NULL, ";", &ls)) {
				char *at = strchr(w, '@');
				date_t d;
				int idx = at ? vocab_find(v, VOCAB_EVENT, w,
				    (size_t)(at - w)) : -1;

				if (idx < 0 || date_parse(at + 1, strlen(at + 1), &d) != DATE_OK) {
					diag_line(lc->d, line, tcol, "history: '%s' is not "
					    "event@YYYY-MM-DD with a known event", w);
					return -1;
				}
				m->hid = xrealloc(m->hid, (m->nhist + 1) * sizeof(*m->hid));
				m->hdate = xrealloc(m->hdate, (m->nhist + 1) * sizeof(*m->hdate));
				m->hid[m->nhist] = (uint16_t)idx;
				m->hdate[m->nhist] = d;
				m->nhist++;
			}
			continue;
		}
		if (strcmp(tok, "insurance") == 0) {
			int e = find_enum(val, strlen(val), &et);

			if (e < 0 || et != TY_INS) {
				diag_line(lc->d, line, tcol, "insurance: '%s' is not "
				    "nhi, late_elderly, employee, welfare or none", val);
				return -1;
			}
			m->r.insurance = (uint8_t)e;
			continue;
		}
		if (strcmp(tok, "income") == 0 && strcmp(val, "unknown") == 0) {
			m->r.income = -1;
			continue;
		}
		errno = 0;
		n = strtoll(val, &end, 10);
		if (*val == '\0' || *end != '\0' || errno != 0 || n < 0) {
			diag_line(lc->d, line, tcol, "%s: '%s' is not a number", tok, val);
			return -1;
		}
		if (strcmp(tok, "sex") == 0 && (n == 1 || n == 2))
			m->r.sex = (uint8_t)n;
		else if (strcmp(tok, "income") == 0)
			m->r.income = n;
		else if (strcmp(tok, "dependents") == 0)
			m->r.dependents = n;
		else if (strcmp(tok, "tax_exempt") == 0 && n <= 1)
			m->r.tax_exempt = (uint8_t)n;
		else if (strcmp(tok, "single_parent") == 0 && n <= 1)
			m->r.single_parent = (uint8_t)n;
		else if (strcmp(tok, "disability_physical") == 0 && n <= 6)
			m->r.disability_physical = (uint8_t)n;
		else if (strcmp(tok, "disability_intellectual") == 0 && n <= 2)
			m->r.disability_intellectual = (uint8_t)n;
		else if (strcmp(tok, "disability_mental") == 0 && n <= 3)
			m->r.disability_mental = (uint8_t)n;
		else {
			diag_line(lc->d, line, tcol, "'%s=%s': unknown field or value "
			    "out of range", tok, val);
			return -1;
		}
	}
	if (i < 2) {
		diag_line(lc->d, line, col, "a member is: relationship birth_date "
		    "[field=value ...]");
		return -1;
	}
	return 0;
}

static int
test_key(struct loadctx *lc, const char *name, const char *value, int line,
    const char *raw, int cont)
{
	struct rules_test *t = lc->test;

	if (cont) {
		diag_line(lc->d, line, 1, "a test value is one line");
		return 0;
	}
	if (strcmp(name, "date") == 0) {
		if (t->have_date)
			diag_line(lc->d, line, 1, "a second date in this test");
		if (date_parse(value, strlen(value), &t->date) != DATE_OK)
			diag_line(lc->d, line, value_col(raw, value), "date: '%s' is "
			    "not a date (YYYY-MM-DD)", value);
		t->have_date = 1;
		return 0;
	}
	if (strcmp(name, "note") == 0)
		return 0;
	if (strcmp(name, "expect") == 0) {
		char buf[INIFILE_MAX_LINE + 2], *save = NULL, *w;

		if (t->have_expect)
			diag_line(lc->d, line, 1, "a second expect in this test");
		t->have_expect = 1;
		t->expect = 0;
		if (strcmp(value, "none") == 0)
			return 0;
		snprintf(buf, sizeof(buf), "%s", value);
		for (w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
			unsigned k;

			for (k = 0; k < t->nm; k++)
				if (strcmp(t->m[k].name, w) == 0)
					break;
			if (k == t->nm) {
				diag_line(lc->d, line, value_col(raw, value) + (int)(w - buf),
				    "expect: no member '%s' in this test (list the "
				    "members before expect)", w);
				return 0;
			}
			t->expect |= 1u << k;
		}
		return 0;
	}
	/* any other key names a member */
	for (const char *c = name; *c; c++)
		if (!is_ident(*c) || (*c >= 'A' && *c <= 'Z')) {
			diag_line(lc->d, line, 1, "'%s': a member name is lowercase "
			    "letters, digits and '_' (or use date, expect, note)", name);
			return 0;
		}
	if (t->nm == TEST_MAX_MEMBERS || strlen(name) >= sizeof(t->m[0].name)) {
		diag_line(lc->d, line, 1, "too many members or too long a name");
		return 0;
	}
	for (unsigned k = 0; k < t->nm; k++)
		if (strcmp(t->m[k].name, name) == 0) {
			diag_line(lc->d, line, 1, "member '%s' given twice", name);
			return 0;
		}
	snprintf(t->m[t->nm].name, sizeof(t->m[0].name), "%s", name);
	if (parse_test_member(lc, &t->m[t->nm], value, line, raw) == 0)
		t->nm++;
	return 0;
}

static int handle_key(struct loadctx *lc, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line, int cont);

static int
program_handler(void *user, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line)
{
	struct loadctx *lc = user;
	/* inih continues the previous key on an indented line, but an
	 * indented line that follows a section header is a key of its own */
	int cont = (raw[0] == ' ' || raw[0] == '\t') && lc->prev_line > 0 &&
	    lc->prev_section_line == section_line &&
	    strcmp(lc->prev_name, name) == 0;
	int rc = handle_key(lc, section, name, value, line, raw, section_line, cont);

	lc->prev_line = line;
	lc->prev_section_line = section_line;
	snprintf(lc->prev_name, sizeof(lc->prev_name), "%s", name);
	return rc;
}

static int
handle_key(struct loadctx *lc, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line, int cont)
{
	struct rules_program *p = lc->p;
	int col = value_col(raw, value), k;

	if (strncmp(section, "test:", 5) == 0) {
		const char *tn = section + 5 + strspn(section + 5, " ");

		if (lc->test == NULL || lc->test_section_line != section_line) {
			/* a new test section: its name must be new too */
			for (unsigned i = 0; i < p->ntests; i++)
				if (strcmp(p->tests[i].name, tn) == 0)
					diag_line(lc->d, section_line, 0, "a second test "
					    "named '%s' (the first is at line %d)", tn,
					    p->tests[i].line);
			p->tests = xrealloc(p->tests, (p->ntests + 1) * sizeof(*p->tests));
			lc->test = &p->tests[p->ntests++];
			memset(lc->test, 0, sizeof(*lc->test));
			lc->test->name = xstrdup(tn);
			lc->test->line = section_line;
			lc->test_section_line = section_line;
		}
		return test_key(lc, name, value, line, raw, cont);
	}
	if (strcmp(section, "program") == 0) {
		if (cont) {
			diag_line(lc->d, line, 1, "[program] values are one line");
			return 0;
		}
		for (k = 0; k < (int)NMETA; k++)
			if (strcmp(name, meta_keys[k]) == 0)
				break;
		if (k == (int)NMETA) {
			diag_line(lc->d, line, 1, "unknown key '%s' in [program] "
			    "(id, name_ja, name_en, department, category, subject, "
			    "cycle, tax, page)", name);
			return 0;
		}
		if (lc->seen & (1u << k)) {
			diag_line(lc->d, line, 1, "'%s' given twice", name);
			return 0;
		}
		lc->seen |= 1u << k;
		switch (k) {
		case 0:
			if (strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			    strlen(value) || strlen(value) > RULES_ID_MAX || !*value)
				diag_line(lc->d, line, col, "id '%s': lowercase letters, "
				    "digits and '-', at most %d", value, RULES_ID_MAX);
			else if (strcmp(value, lc->file_id) != 0)
				diag_line(lc->d, line, col, "id '%s' differs from the "
				    "file name '%s.ini'", value, lc->file_id);
			snprintf(p->id, sizeof(p->id), "%s", value);
			break;
		case 1: p->name_ja = xstrdup(value); break;
		case 2: p->name_en = xstrdup(value); break;
		case 3:
			p->department = xstrdup(value);
			p->department_line = line;
			break;
		case 4: {
			int c = pick(lc, line, raw, name, value, category_names, 3);

			p->category = c < 0 ? 0 : (uint8_t)(1u << c);
			break;
		}
		case 5: {
			static const char *const w[] = { "person", "head" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->subject = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 6: {
			static const char *const w[] = { "fy", "once" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->cycle = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 7: {
			static const char *const w[] = { "no", "yes" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->tax = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 8: p->page = xstrdup(value); break;
		}
		return 0;
	}
	if (strcmp(section, "eligible") == 0) {
		if (strcmp(name, "when") != 0) {
			diag_line(lc->d, line, 1, "[eligible] holds `when = "
			    "condition` lines (all must hold), not '%s'", name);
			return 0;
		}
		if (!cont || lc->nsrc == 0) {
			if (lc->nsrc == lc->srccap) {
				lc->srccap = lc->srccap ? 2 * lc->srccap : 8;
				lc->srcs = xrealloc(lc->srcs, lc->srccap * sizeof(*lc->srcs));
			}
			memset(&lc->srcs[lc->nsrc++], 0, sizeof(*lc->srcs));
			lc->srcs[lc->nsrc - 1].first_line = line;
		}
		if (*value)
			src_add(&lc->srcs[lc->nsrc - 1], value, line, col);
		return 0;
	}
	if (strcmp(section, "message") == 0) {
		char **msg;

		if (strcmp(name, "ja") != 0 && strcmp(name, "en") != 0) {
			diag_line(lc->d, line, 1, "[message] holds ja and en, not '%s'", name);
			return 0;
		}
		msg = name[0] == 'j' ? &p->msg_ja : &p->msg_en;
		if (!cont)
			lc->msg_line[name[0] == 'j' ? 0 : 1] = line;
		if (!cont && *msg != NULL) {
			diag_line(lc->d, line, 1, "'%s' given twice", name);
			return 0;
		}
		if (*value) {
			check_template(lc, line, raw, value);
			*msg = append_text(*msg, value, "\n");
		}
		return 0;
	}
	diag_line(lc->d, line, 1, "unknown section [%s] (expected [program], "
	    "[eligible], [message] or [test: NAME])", section);
	return 0;
}

/* A filter tree for node i, its root last; -1 if some part is not a
 * fused instruction joined by and / or.  Leaves are compiled into c (their
 * constants go to its pool); the code emitted for them is not run. */
static int
build_ftree(struct rules_code *c, const struct node *nodes, int i,
    struct ftree *ft, int *nft)
{
	const struct node *n = &nodes[i];
	unsigned before = c->n;
	int depth = 0, maxdepth = 0, a, b;

	if (*nft >= FTREE_MAX - 1)
		return -1;
	if (n->kind != N_AND && n->kind != N_OR) {
		/* a leaf: what compile makes of it must be one fused insn */
		compile(c, nodes, i, &depth, &maxdepth);
		if (c->n != before + 1 || !is_fused(c->code[before].op))
			return -1;
		ft[*nft].kind = FT_LEAF;
		ft[*nft].leaf = c->code[before];
		return (*nft)++;
	}
	/* an and of two bounds on one field is itself one insn (a range) */
	compile(c, nodes, i, &depth, &maxdepth);
	if (c->n == before + 1 && is_fused(c->code[before].op)) {
		ft[*nft].kind = FT_LEAF;
		ft[*nft].leaf = c->code[before];
		return (*nft)++;
	}
	if ((a = build_ftree(c, nodes, n->a, ft, nft)) < 0 ||
	    (b = build_ftree(c, nodes, n->b, ft, nft)) < 0)
		return -1;
	ft[*nft].kind = n->kind == N_AND ? FT_AND : FT_OR;
	ft[*nft].a = (int16_t)a;
	ft[*nft].b = (int16_t)b;
	return (*nft)++;
}

/* Is the clause `any members (has(..) or has(..) ...)`?  Then its words. */
static void
mark_has_any(struct rules_clause *cl)
{
	unsigned n = 0;

	if (cl->quant != Q_ANY || cl->qset != QS_MEMBERS)
		return;
	for (unsigned i = 0; i < cl->nqft; i++) {
		const struct ftree *t = &cl->qft[i];

		if (t->kind == FT_AND || (t->kind == FT_LEAF &&
		    (t->leaf.op != OP_HAS || n == 8)))
			return;
		if (t->kind == FT_LEAF)
			cl->has_any[n++] = t->leaf.x;
	}
	cl->nhas_any = n;
}

static void
compile_clauses(struct loadctx *lc)
{
	struct rules_program *p = lc->p;

	p->code = xcalloc(1, sizeof(*p->code));
	p->clauses = xcalloc(lc->nsrc + 1, sizeof(*p->clauses));
	for (unsigned i = 0; i < lc->nsrc; i++) {
		struct parser ps;
		struct rules_clause *cl = &p->clauses[p->nclauses];
		int root, depth = 0, maxdepth = 0;

		memset(&ps, 0, sizeof(ps));
		ps.src = &lc->srcs[i];
		ps.d = lc->d;
		ps.v = lc->set->vocab;
		ps.lx.s = ps.src->text ? ps.src->text : "";
		ps.lx.len = ps.src->len;
		lex_next(&ps.lx);
		if (ps.lx.t == TK_EOF) {
			diag_line(lc->d, ps.src->first_line, 0, "an empty `when`");
			continue;
		}
		root = parse_or(&ps);
		if (root >= 0 && !ps.failed && ps.lx.t != TK_EOF)
			perr(&ps, ps.lx.tpos, "%s after the condition (a missing "
			    "'and' or 'or'?)", ps.lx.t == TK_BAD ?
			    "an unexpected character" : ps.lx.t == TK_IDENT ?
			    "a name" : tok_names[ps.lx.t]);
		if (root >= 0 && !ps.failed && ps.n[root].type != TY_BOOL)
			perr(&ps, ps.n[root].pos, "a `when` must be a condition, "
			    "this is %s", type_names[ps.n[root].type]);
		if (root >= 0 && !ps.failed) {
			cl->start = p->code->n;
			compile(p->code, ps.n, root, &depth, &maxdepth);
			{
				struct insn ret;

				memset(&ret, 0, sizeof(ret));
				ret.op = OP_RET;
				emit(p->code, ret);
			}
			cl->len = p->code->n - cl->start;
			{
				struct ftree ft[FTREE_MAX];
				int nft = 0;

				if (build_ftree(p->code, ps.n, root, ft, &nft) >= 0 &&
				    ft[nft - 1].kind != FT_LEAF) {
					cl->ft = xmalloc((size_t)nft * sizeof(*ft));
					memcpy(cl->ft, ft, (size_t)nft * sizeof(*ft));
					cl->nft = (unsigned)nft;
				}
				nft = 0;
				if (ps.n[root].kind == N_QUANT && ps.n[root].quant != Q_COUNT &&
				    build_ftree(p->code, ps.n, ps.n[root].a, ft, &nft) >= 0) {
					cl->qft = xmalloc((size_t)nft * sizeof(*ft));
					memcpy(cl->qft, ft, (size_t)nft * sizeof(*ft));
					cl->nqft = (unsigned)nft;
					cl->quant = ps.n[root].quant;
					cl->qset = ps.n[root].qset;
					mark_has_any(cl);
				}
			}
			cl->text = xstrdup(ps.src->text);
			cl->line = ps.src->pieces[0].line;
			cl->reads = ps.reads;
			cl->head_reads = ps.head_reads;
			for (unsigned k = 0; k < ps.nn; k++)
				if ((ps.n[k].kind == N_HAS || ps.n[k].kind == N_FLAG ||
				    ps.n[k].kind == N_EVENTS) && !ps.n[k].in_quant &&
				    cl->nwords < 16)
					cl->words[cl->nwords++] = (uint16_t)(k);
			/* keep node kinds for explain: store kind|word */
			for (unsigned k = 0; k < cl->nwords; k++) {
				const struct node *nd = &ps.n[cl->words[k]];

				cl->words[k] = (uint16_t)((nd->kind == N_HAS ? 0 :
				    nd->kind == N_FLAG ? 1 : 2) << 14 | nd->word);
			}
			if (maxdepth >= STACK_MAX)
				perr(&ps, 0, "expression too large");
			p->nclauses++;
		}
		for (unsigned k = 0; k < ps.nn; k++)
			free(ps.n[k].set);
		free(ps.n);
	}
}

static void
program_free(struct rules_program *p)
{
	if (p == NULL)
		return;
	free(p->name_ja);
	free(p->name_en);
	free(p->department);
	free(p->page);
	free(p->msg_ja);
	free(p->msg_en);
	free(p->path);
	for (unsigned i = 0; i < p->nclauses; i++) {
		free(p->clauses[i].text);
		free(p->clauses[i].ft);
		free(p->clauses[i].qft);
	}
	free(p->clauses);
	free(p->order);
	if (p->code) {
		free(p->code->code);
		free(p->code->pool);
		free(p->code);
	}
	for (unsigned i = 0; i < p->ntests; i++) {
		free(p->tests[i].name);
		for (unsigned k = 0; k < TEST_MAX_MEMBERS; k++) {
			free(p->tests[i].m[k].hid);
			free(p->tests[i].m[k].hdate);
		}
	}
	free(p->tests);
	free(p);
}

static struct rules_program *
load_program(struct rules_set *set, const char *dir, const char *file,
    struct diag *d)
{
	struct rules_program *p = xcalloc(1, sizeof(*p));
	struct inifile_err ie;
	struct loadctx lc;
	char path[4096], id[RULES_ID_MAX + 8];
	unsigned before = d->errors;
	size_t n = strlen(file) - 4;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(id, sizeof(id), "%.*s", (int)(n < RULES_ID_MAX ? n : RULES_ID_MAX), file);
	p->path = xstrdup(path);
	memset(&lc, 0, sizeof(lc));
	lc.set = set;
	lc.p = p;
	lc.d = d;
	lc.ie = &ie;
	lc.file_id = id;
	d->path = p->path;
	rc = inifile_parse(path, program_handler, &lc, &ie);
	if (rc != 0)
		diag_line(d, ie.line, ie.col, "%s", ie.msg);
	for (unsigned k = 0; k < NMETA; k++)
		if (!(lc.seen & (1u << k)))
			diag_line(d, 1, 0, "[program] has no '%s'", meta_keys[k]);
	if (lc.nsrc == 0)
		diag_line(d, 1, 0, "no [eligible] `when` clause");
	if (p->msg_ja == NULL || p->msg_en == NULL)
		diag_line(d, 1, 0, "[message] needs both ja and en");
	/* programs.md: a message says "may qualify", never "you qualify" */
	if (p->msg_ja != NULL && strstr(p->msg_ja, "可能性") == NULL)
		diag_line(d, lc.msg_line[0], 0, "the ja message must say the "
		    "resident may qualify (対象となる可能性があります)");
	if (p->msg_en != NULL && strcasestr(p->msg_en, "may qualify") == NULL)
		diag_line(d, lc.msg_line[1], 0, "the en message must say \"may "
		    "qualify\"");
	for (unsigned i = 0; i < p->ntests; i++) {
		if (!p->tests[i].have_date || !p->tests[i].have_expect)
			diag_line(d, p->tests[i].line, 0, "test '%s' needs a date "
			    "and an expect line", p->tests[i].name);
	}
	compile_clauses(&lc);
	/* Clauses all must hold and have no effects, so they may run in any
	 * order: the file's order (authors put the most selective first),
	 * but a clause over the household's members after the others, since
	 * it costs a pass over them. */
	p->order = xcalloc(p->nclauses + 1, sizeof(*p->order));
	{
		unsigned k = 0;

		for (int pass = 0; pass < 2; pass++)
			for (unsigned i = 0; i < p->nclauses; i++) {
				const struct rules_clause *cl = &p->clauses[i];
				int q = 0;

				for (unsigned j = cl->start; j < cl->start + cl->len; j++)
					q |= p->code->code[j].op == OP_QUANT;
				if (q == pass)
					p->order[k++] = i;
			}
	}
	for (unsigned i = 0; i < lc.nsrc; i++)
		src_free(&lc.srcs[i]);
	free(lc.srcs);
	if (d->errors != before) {
		program_free(p);
		return NULL;
	}
	return p;
}

static int
cmp_prog(const void *a, const void *b)
{
	const struct rules_program *x = *(struct rules_program *const *)a;
	const struct rules_program *y = *(struct rules_program *const *)b;

	return strcmp(x->id, y->id);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Give an events instruction the number (k + 1) of its question in the
 * set, adding the question if it is new and there is room (else 0: the
 * history is read at each evaluation). */
static void
number_question(struct rules_set *s, struct insn *in)
{
	unsigned k;

	if (in->op != OP_EVENTS && in->op != OP_EVENTS_CMPK)
		return;
	for (k = 0; k < s->nevq; k++)
		if (s->evq[k].word == in->x && s->evq[k].from == in->from &&
		    s->evq[k].to == in->to)
			break;
	if (k == s->nevq) {
		if (k == RULES_MAX_EVQ) {
			in->b = 0;
			return;
		}
		s->evq[k].word = in->x;
		s->evq[k].from = in->from;
		s->evq[k].to = in->to;
		s->nevq++;
	}
	in->b = (uint8_t)(k + 1);
}

static void
number_questions(struct rules_set *s, struct rules_program *p)
{
	for (unsigned i = 0; i < p->code->n; i++)
		number_question(s, &p->code->code[i]);
	for (unsigned c = 0; c < p->nclauses; c++) {
		struct rules_clause *cl = &p->clauses[c];

		for (unsigned i = 0; i < cl->nft; i++)
			if (cl->ft[i].kind == FT_LEAF)
				number_question(s, &cl->ft[i].leaf);
		for (unsigned i = 0; i < cl->nqft; i++)
			if (cl->qft[i].kind == FT_LEAF)
				number_question(s, &cl->qft[i].leaf);
	}
}

int
rules_load(const char *dir, FILE *err, struct rules_set **out)
{
	struct rules_set *set = xcalloc(1, sizeof(*set));
	struct diag d = { err, NULL, 0 };
	char msg[1400], **names = NULL;
	unsigned nnames = 0;
	crypto_generichash_state hs;
	struct dirent *de;
	DIR *dh;
	int rc;

	*out = NULL;
	rc = vocab_load(dir, &set->vocab, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(err, "%s\n", msg);
		rules_free(set);
		return rc;
	}
	for (int k = 0; k < VOCAB_NKINDS; k++) {
		size_t n = vocab_count(set->vocab, k);

		set->word_ids[k] = xcalloc(n + 1, sizeof(uint16_t));
		for (size_t i = 0; i < n; i++)
			set->word_ids[k][i] = (uint16_t)i;
	}
	dh = opendir(dir);
	if (dh == NULL) {
		fprintf(err, "%s: %s\n", dir, strerror(errno));
		rules_free(set);
		return EXIT_NOINPUT;
	}
	while ((de = readdir(dh)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".ini") != 0 ||
		    strcmp(de->d_name, VOCAB_FILE) == 0 || de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_str);
	crypto_generichash_init(&hs, NULL, 0, sizeof(set->version));
	for (unsigned i = 0; i < nnames; i++) {
		struct rules_program *p;

		if (set->n == RULES_MAX_PROGRAMS) {
			fprintf(err, "%s: more than %d programs\n", dir, RULES_MAX_PROGRAMS);
			d.errors++;
			break;
		}
		p = load_program(set, dir, names[i], &d);
		if (p != NULL)
			set->p[set->n++] = p;
	}
	/* the version: a digest of every file, vocabulary included */
	for (unsigned i = 0; i <= nnames; i++) {
		char path[4096];
		size_t len;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, i < nnames ? names[i] : VOCAB_FILE);
		text = file_read_all(path, &len);
		if (text != NULL) {
			crypto_generichash_update(&hs, (const uint8_t *)(i < nnames ?
			    names[i] : VOCAB_FILE), strlen(i < nnames ? names[i] : VOCAB_FILE) + 1);
			crypto_generichash_update(&hs, (const uint8_t *)text, len);
			free(text);
		}
	}
	crypto_generichash_final(&hs, set->version, sizeof(set->version));
	for (unsigned i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (d.errors == 0 && set->n == 0) {
		fprintf(err, "%s: no rule files (*.ini)\n", dir);
		d.errors++;
	}
	if (d.errors != 0) {
		fprintf(err, "%s: %u error(s)\n", dir, d.errors);
		rules_free(set);
		return EXIT_DATAERR;
	}
	qsort(set->p, set->n, sizeof(set->p[0]), cmp_prog);
	for (unsigned i = 0; i < set->n; i++)
		number_questions(set, set->p[i]);
	*out = set;
	return 0;
}

void
rules_free(struct rules_set *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++)
		program_free(s->p[i]);
	for (int k = 0; k < VOCAB_NKINDS; k++)
		free(s->word_ids[k]);
	vocab_free(s->vocab);
	free(s);
}

int
rules_find(const struct rules_set *s, const char *id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->p[i]->id, id) == 0)
			return (int)i;
	return -1;
}

int
rules_bind_store(struct rules_set *s, MDB_txn *txn, const struct store_dbi *dbi)
{
	for (int k = 0; k < VOCAB_NKINDS; k++)
		for (size_t i = 0; i < vocab_count(s->vocab, k); i++) {
			uint16_t id;
			int rc = store_word_id(txn, dbi, k, vocab_word(s->vocab, k, i),
			    0, &id);

			if (rc == MDB_NOTFOUND)
				id = 0xffff;	/* no record carries it */
			else if (rc != 0)
				return rc;
			s->word_ids[k][i] = id;
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tests and explanations                                              */

/* Records of a test household under the set's word ids. */
struct built {
	uint8_t buf[TEST_MAX_MEMBERS][4096];
	struct resident r[TEST_MAX_MEMBERS];
	struct rules_person p[TEST_MAX_MEMBERS];
	int index[TEST_MAX_MEMBERS];	/* test member -> household index, -1 */
	struct rules_household h;
};

struct hsort {
	uint16_t id;
	int32_t date;
};

static int
cmp_hsort(const void *a, const void *b)
{
	const struct hsort *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->date > y->date) - (x->date < y->date);
}

static void
build_household(const struct rules_set *s, const struct rules_test *t,
    const struct rules_ctx *ctx, struct built *b)
{
	b->h.n = 0;
	b->h.head = -1;
	for (unsigned i = 0; i < t->nm; i++) {
		const struct tmember *m = &t->m[i];
		uint16_t ben[64], flg[16], hid[256];
		int32_t hdate[256];
		struct hsort hs[256];
		struct resident r = m->r;
		unsigned nh = 0;
		size_t len;

		for (unsigned k = 0; k < m->r.nbenefits; k++)
			ben[k] = s->word_ids[VOCAB_BENEFIT][m->ben[k]];
		for (unsigned k = 0; k < m->r.nflags; k++)
			flg[k] = s->word_ids[VOCAB_FLAG][m->flg[k]];
		for (unsigned k = 0; k < m->nhist && k < 256; k++) {
			hs[k].id = s->word_ids[VOCAB_EVENT][m->hid[k]];
			hs[k].date = m->hdate[k];
		}
		qsort(hs, m->nhist < 256 ? m->nhist : 256, sizeof(hs[0]), cmp_hsort);
		for (unsigned k = 0; k < m->nhist && k < 256; k++) {
			if (nh > 0 && hid[nh - 1] == hs[k].id && hdate[nh - 1] == hs[k].date)
				continue;
			hid[nh] = hs[k].id;
			hdate[nh] = hs[k].date;
			nh++;
		}
		r.nhistory = (uint16_t)nh;
		r.ward = (const uint8_t *)"";
		r.ward_len = 0;
		len = store_resident_encode(&r, ben, flg, hid, hdate, b->buf[i],
		    sizeof(b->buf[i]));
		b->index[i] = -1;
		if (len == 0 || store_resident_decode(b->buf[i], len, &b->r[i]) != 0)
			continue;
		if (rules_person_init(&b->p[b->h.n], &b->r[i], ctx) != 0)
			continue;	/* not born yet on the test's date */
		if (b->r[i].relationship == REL_HEAD && b->h.head < 0)
			b->h.head = (int)b->h.n;
		b->index[i] = (int)b->h.n++;
	}
	b->h.m = b->p;
}

static void
print_members(FILE *out, const struct rules_test *t, uint32_t mask)
{
	int any = 0;

	for (unsigned i = 0; i < t->nm; i++)
		if (mask & (1u << i)) {
			fprintf(out, "%s%s", any ? " " : "", t->m[i].name);
			any = 1;
		}
	if (!any)
		fputs("none", out);
}

unsigned
rules_run_tests(const struct rules_set *s, const char *only, FILE *out,
    unsigned *ntests)
{
	struct built *b = xmalloc(sizeof(*b));
	unsigned failed = 0;

	*ntests = 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct rules_program *p = s->p[i];

		if (only != NULL && strcmp(only, p->id) != 0)
			continue;
		for (unsigned k = 0; k < p->ntests; k++) {
			const struct rules_test *t = &p->tests[k];
			struct rules_ctx ctx;
			uint32_t got = 0;

			rules_ctx_init(&ctx, t->date, s);
			build_household(s, t, &ctx, b);
			for (unsigned m = 0; m < t->nm; m++)
				if (b->index[m] >= 0 && rules_eval(s, p, &b->h,
				    (unsigned)b->index[m], &ctx))
					got |= 1u << m;
			(*ntests)++;
			if (got != t->expect) {
				failed++;
				fprintf(out, "%s:%d: test '%s' failed: expected ",
				    p->path, t->line, t->name);
				print_members(out, t, t->expect);
				fputs(", got ", out);
				print_members(out, t, got);
				fputc('\n', out);
			}
		}
	}
	free(b);
	return failed;
}

static void
print_fact(FILE *out, const char *prefix, const struct rules_person *p, int slot)
{
	const struct field *f = NULL;
	char d[DATE_STRLEN + 1];

	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].slot == slot)
			f = &fields[i];
	if (f == NULL)
		return;
	fprintf(out, "      %s%s = ", prefix, f->name);
	if (p == NULL)
		fputs("unknown (no head in the household)\n", out);
	else if (slot == SLOT_INCOME && !p->income_known)
		fputs("unknown\n", out);
	else if (f->type == TY_DATE) {
		date_format((date_t)rules_fact(p, slot), d);
		fprintf(out, "%s\n", d);
	} else if (f->type == TY_REL)
		fprintf(out, "%s\n", store_rel_names[rules_fact(p, slot) % 5]);
	else if (f->type == TY_INS)
		fprintf(out, "%s\n", store_ins_names[rules_fact(p, slot) % 5]);
	else
		fprintf(out, "%lld\n", (long long)rules_fact(p, slot));
}

int
rules_explain(const struct rules_set *s, const struct rules_program *p,
    const struct rules_household *h, unsigned who, const struct rules_ctx *ctx,
    FILE *out)
{
	struct evalenv env = { s, p->code, h, ctx };
	const struct rules_person *me = &h->m[who];
	const struct rules_person *head = h->head >= 0 ? &h->m[h->head] : NULL;
	int result = 1;

	if (p->subject == SUBJECT_HEAD && (int)who != h->head) {
		fprintf(out, "  the program's subject is the household head; this "
		    "resident is %s\n", store_rel_names[me->f[SLOT_REL] % 5]);
		return 0;
	}
	for (unsigned i = 0; i < p->nclauses; i++) {
		const struct rules_clause *cl = &p->clauses[i];
		struct val v = run(&env, cl->start, who);
		const char *word;

		fputs("  when ", out);
		for (const char *c = cl->text; *c; c++) {
			fputc(*c, out);
			if (*c == '\n')
				fputs("       ", out);	/* under the clause */
		}
		fputc('\n', out);
		fprintf(out, "    -> %s%s\n", v.unk ? "unknown" : v.v ? "true" : "false",
		    v.unk ? " (reads an unknown value: does not hold)" :
		    v.v ? "" : " (does not hold)");
		for (int slot = 0; slot < SLOT_COUNT; slot++) {
			if (cl->reads & (1u << slot))
				print_fact(out, "", me, slot);
			if (cl->head_reads & (1u << slot))
				print_fact(out, "head.", head, slot);
		}
		for (unsigned k = 0; k < cl->nwords; k++) {
			int kind = cl->words[k] >> 14;
			uint16_t w = cl->words[k] & 0x3fff;

			word = vocab_word(s->vocab, kind == 0 ? VOCAB_BENEFIT :
			    kind == 1 ? VOCAB_FLAG : VOCAB_EVENT, w);
			if (kind == 0)
				fprintf(out, "      has(%s) = %s\n", word,
				    has_benefit(me, s->word_ids[VOCAB_BENEFIT][w]) ? "true" : "false");
			else if (kind == 1)
				fprintf(out, "      flag(%s) = %s\n", word,
				    has_flag(me, s->word_ids[VOCAB_FLAG][w]) ? "true" : "false");
			else
				fprintf(out, "      events(%s) ever = %lld, in FY %d = "
				    "%lld, in FY-1..FY = %lld\n", word,
				    (long long)count_events(me->r, s->word_ids[VOCAB_EVENT][w],
				    INT32_MIN, ctx->d), ctx->fy,
				    (long long)count_events(me->r, s->word_ids[VOCAB_EVENT][w],
				    date_fy_start(ctx->fy), ctx->d),
				    (long long)count_events(me->r, s->word_ids[VOCAB_EVENT][w],
				    date_fy_start(ctx->fy - 1), ctx->d));
		}
		if (p->code->code[cl->start].op == OP_QUANT) {
			/* over the household: each member's value */
			const struct insn *q = &p->code->code[cl->start];

			for (unsigned m = 0; m < h->n; m++) {
				struct val mv;

				if (q->b == QS_CHILDREN && h->m[m].f[SLOT_REL] != REL_CHILD)
					continue;
				mv = run(&env, cl->start + 1, m);
				fprintf(out, "      member %u%s (%s, age %lld) -> %s\n", m + 1,
				    m == who ? " (the subject)" : "",
				    store_rel_names[h->m[m].f[SLOT_REL] % 5],
				    (long long)h->m[m].f[SLOT_AGE], mv.unk ? "unknown" :
				    mv.v ? "true" : "false");
			}
		}
		if (v.unk || !v.v)
			result = 0;
	}
	return result;
}
