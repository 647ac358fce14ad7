/* rules_parse.c - a clause to a typed tree
 * SPDX-License-Identifier: MIT
 *
 * Recursive descent, lowest precedence first: or, and, not, comparisons
 * (chained: a < b <= c; `in {set}`, `in lo..hi`), sums, products, atoms.
 * Every node is typed as it is made and every name, word and type is
 * checked there, with a suggestion for a near miss; the first error of a
 * clause is the only one reported (the rest follow from it).
 */
#include "rules_int.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* How errors name types and tokens */
static const char *const type_names[] = {
	"an integer", "a condition (true or false)", "a date",
	"a relationship", "an insurance", "nothing"
};

static const char *const tok_names[] = {
	"the end of the clause", "a number", "a date", "a name", "'('", "')'",
	"'{'", "'}'", "','", "'.'", "'..'", "'+'", "'-'", "'*'", "'/'", "'%'",
	"'<'", "'<='", "'>'", "'>='", "'='", "'!='", "a character"
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
	rules_src_pos(ps->src, pos, &line, &col);
	rules_diag_line(ps->d, line, col, "%s", msg);
}

static int
new_node(struct parser *ps, enum nkind kind, enum type type, size_t pos)
{
	struct node *n;

	if (ps->nn == ps->ncap) {
		ps->ncap = ps->ncap ? 2 * ps->ncap : 32;
		ps->n = xrealloc(ps->n, ps->ncap * sizeof(*ps->n));
	}
	/* one past the limit is made, so that callers always get a node;
	 * the error stops the parse */
	if (ps->nn == ps->max_nodes)
		perr(ps, ps->lx.tpos, "more than %d terms in the `when` "
		    "clauses of this file (each value, name and operator "
		    "counts one); a rule file holds at most %d",
		    RULES_MAX_TERMS, RULES_MAX_TERMS);
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
	rules_lex_next(&ps->lx);
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
	rules_lex_next(lx);
	return 0;
}

/* FY, FY-1, FY+1 */
static int
parse_fy(struct parser *ps, int8_t *off)
{
	struct lexer *lx = &ps->lx;

	if (!rules_tok_is(lx, "FY")) {
		perr(ps, lx->tpos, "expected FY (the fiscal year of D), FY-1, ...");
		return -1;
	}
	rules_lex_next(lx);
	*off = 0;
	if (lx->t == TK_MINUS || lx->t == TK_PLUS) {
		int neg = lx->t == TK_MINUS;

		rules_lex_next(lx);
		if (lx->t != TK_INT || lx->ival > 20) {
			perr(ps, lx->tpos, "expected a number of years (0..20)");
			return -1;
		}
		*off = (int8_t)(neg ? -lx->ival : lx->ival);
		rules_lex_next(lx);
	}
	return 0;
}
static int
parse_quant(struct parser *ps, enum quant q, size_t pos)
{
	struct lexer *lx = &ps->lx;
	enum qset set;
	int body, n;

	rules_lex_next(lx);
	if (rules_tok_is(lx, "members") || rules_tok_is(lx, "member"))
		set = QS_MEMBERS;
	else if (rules_tok_is(lx, "children") || rules_tok_is(lx, "child"))
		set = QS_CHILDREN;
	else {
		perr(ps, lx->tpos, "expected 'members' (the household, the "
		    "person included) or 'children' (its members whose "
		    "relationship is child)");
		return -1;
	}
	rules_lex_next(lx);
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

/* One level deeper (parentheses, not, unary minus, quantifiers), or -1
 * past RULES_MAX_DEPTH: the parse recurses per level, and so do the
 * compiler and the interpreter after it. */
static int
nest_in(struct parser *ps, size_t pos)
{
	if (ps->depth >= RULES_MAX_DEPTH) {
		perr(ps, pos, "nested more than %d deep (parentheses, "
		    "not, '-' and quantifiers count); write it flatter or "
		    "split it into several `when` lines (they are and-ed)",
		    RULES_MAX_DEPTH);
		return -1;
	}
	ps->depth++;
	return 0;
}

/* parse_atom_ with the depth of nesting counted (parentheses, quantifiers,
 * unary minus recurse through here) */
static int
parse_atom(struct parser *ps)
{
	int n;

	if (nest_in(ps, ps->lx.tpos) != 0)
		return -1;
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
		rules_lex_next(lx);
		return n;
	case TK_DATE:
		n = new_node(ps, N_CONST, TY_DATE, pos);
		ps->n[n].v = lx->ival;
		rules_lex_next(lx);
		return n;
	case TK_LP:
		rules_lex_next(lx);
		n = parse_or(ps);
		expect_tok(ps, TK_RP, "to close '('");
		return n;
	case TK_MINUS:
		rules_lex_next(lx);
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
	if (rules_tok_is(lx, "true") || rules_tok_is(lx, "false")) {
		n = new_node(ps, N_CONST, TY_BOOL, pos);
		ps->n[n].v = rules_tok_is(lx, "true");
		rules_lex_next(lx);
		return n;
	}
	if (rules_tok_is(lx, "D")) {
		rules_lex_next(lx);
		return new_node(ps, N_D, TY_DATE, pos);
	}
	if (rules_tok_is(lx, "FY")) {
		rules_lex_next(lx);
		return new_node(ps, N_FY, TY_INT, pos);
	}
	if (rules_tok_is(lx, "any"))
		return parse_quant(ps, Q_ANY, pos);
	if (rules_tok_is(lx, "all"))
		return parse_quant(ps, Q_ALL, pos);
	if (rules_tok_is(lx, "no"))
		return parse_quant(ps, Q_NONE, pos);
	if (rules_tok_is(lx, "count"))
		return parse_quant(ps, Q_COUNT, pos);
	if (rules_tok_is(lx, "has") || rules_tok_is(lx, "flag")) {
		int is_has = rules_tok_is(lx, "has");
		uint16_t w;

		rules_lex_next(lx);
		expect_tok(ps, TK_LP, is_has ? "after has" : "after flag");
		if (ps->failed || parse_word(ps, is_has ? VOCAB_BENEFIT : VOCAB_FLAG, &w) != 0)
			return -1;
		expect_tok(ps, TK_RP, "to close the word");
		n = new_node(ps, is_has ? N_HAS : N_FLAG, TY_BOOL, pos);
		ps->n[n].word = w;
		return n;
	}
	if (rules_tok_is(lx, "events")) {
		uint16_t w;
		int8_t from = FY_EVER, to = FY_EVER;

		rules_lex_next(lx);
		expect_tok(ps, TK_LP, "after events");
		if (ps->failed || parse_word(ps, VOCAB_EVENT, &w) != 0)
			return -1;
		if (rules_tok_is(lx, "in")) {
			rules_lex_next(lx);
			if (parse_fy(ps, &from) != 0)
				return -1;
			to = from;
			if (lx->t == TK_DOTDOT) {
				rules_lex_next(lx);
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
	if (rules_tok_is(lx, "known")) {
		const struct field *f;
		int head = 0;

		rules_lex_next(lx);
		expect_tok(ps, TK_LP, "after known");
		if (rules_tok_is(lx, "head")) {
			rules_lex_next(lx);
			expect_tok(ps, TK_DOT, "after head");
			head = 1;
		}
		if (ps->failed)
			return -1;
		f = lx->t == TK_IDENT ? rules_find_field(lx->s + lx->tpos, lx->tlen) : NULL;
		if (f == NULL || f->slot != SLOT_INCOME) {
			perr(ps, lx->tpos, "known(...) takes income or head.income "
			    "(the only field that may be unknown)");
			return -1;
		}
		rules_lex_next(lx);
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

		if (rules_tok_is(lx, "head") && lx->pos < lx->len && lx->s[lx->pos] == '.') {
			rules_lex_next(lx);
			rules_lex_next(lx);
			head = 1;
			if (lx->t != TK_IDENT) {
				perr(ps, lx->tpos, "expected a field after 'head.'");
				return -1;
			}
		}
		f = rules_find_field(lx->s + lx->tpos, lx->tlen);
		if (f != NULL) {
			n = new_node(ps, head ? N_HEADFIELD : N_FIELD, f->type, lx->tpos);
			ps->n[n].slot = f->slot;
			if (head)
				ps->head_reads |= 1u << f->slot;
			else if (ps->quant_depth == 0)
				ps->reads |= 1u << f->slot;
			rules_lex_next(lx);
			return n;
		}
		if (!head && (e = rules_find_enum(lx->s + lx->tpos, lx->tlen, &et)) >= 0) {
			n = new_node(ps, N_CONST, et, pos);
			ps->n[n].v = e;
			rules_lex_next(lx);
			return n;
		}
		{
			const char *sug = rules_suggest_name(lx->s + lx->tpos, lx->tlen);

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

		rules_lex_next(&ps->lx);
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

/* The value of a constant (a number, a date, -number), or 0 if n is not
 * one. */
static int
const_value(const struct parser *ps, int n, int64_t *v)
{
	const struct node *x = &ps->n[n];

	if (x->kind == N_CONST) {
		*v = x->v;
		return 1;
	}
	if (x->kind == N_NEG && ps->n[x->a].kind == N_CONST) {
		*v = -ps->n[x->a].v;
		return 1;
	}
	return 0;
}

/* `in lo..hi` with constant ends the wrong way round holds for nothing:
 * an error (1), as `age in 74..40` was meant as 40..74. */
static int
empty_range(struct parser *ps, int lo, int hi)
{
	int64_t l, h;
	char a[DATE_STRLEN + 24], b[DATE_STRLEN + 24];

	if (!const_value(ps, lo, &l) || !const_value(ps, hi, &h) || l <= h)
		return 0;
	if (ps->n[lo].type == TY_DATE) {
		date_format((date_t)l, a);
		date_format((date_t)h, b);
	} else {
		snprintf(a, sizeof(a), "%lld", (long long)l);
		snprintf(b, sizeof(b), "%lld", (long long)h);
	}
	perr(ps, ps->n[lo].pos, "the range %s..%s is empty (it holds for no "
	    "value): the smaller end comes first, %s..%s", a, b, b, a);
	return 1;
}

static int
parse_cmp(struct parser *ps)
{
	int a = parse_sum(ps), result = -1;

	if (a < 0 || ps->failed)
		return -1;
	if (rules_tok_is(&ps->lx, "in")) {
		size_t pos = ps->lx.tpos;

		rules_lex_next(&ps->lx);
		if (ps->lx.t == TK_LB) {
			int64_t vals[64];
			unsigned nv = 0;
			int n;

			rules_lex_next(&ps->lx);
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
					rules_lex_next(&ps->lx);
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
			rules_lex_next(&ps->lx);
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
			if (empty_range(ps, lo, hi))
				return -1;
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

		rules_lex_next(&ps->lx);
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
	if (rules_tok_is(&ps->lx, "not")) {
		size_t pos = ps->lx.tpos;
		int a, n;

		if (nest_in(ps, pos) != 0)
			return -1;
		rules_lex_next(&ps->lx);
		a = parse_not(ps);
		ps->depth--;
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

	while (a >= 0 && !ps->failed && rules_tok_is(&ps->lx, word)) {
		size_t pos = ps->lx.tpos;
		int b;

		rules_lex_next(&ps->lx);
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

int
rules_parse_clause(struct parser *ps, const struct src *src, struct diag *d,
    const struct vocab *v, unsigned max_nodes)
{
	int root;

	memset(ps, 0, sizeof(*ps));
	ps->max_nodes = max_nodes;
	ps->src = src;
	ps->d = d;
	ps->v = v;
	ps->lx.s = src->text ? src->text : "";
	ps->lx.len = src->len;
	rules_lex_next(&ps->lx);
	if (ps->lx.t == TK_EOF) {
		rules_diag_line(d, src->first_line, 0, "an empty `when`");
		return -1;
	}
	root = parse_or(ps);
	if (root >= 0 && !ps->failed && ps->lx.t != TK_EOF)
		perr(ps, ps->lx.tpos, "%s after the condition (a missing "
		    "'and' or 'or'?)", ps->lx.t == TK_BAD ?
		    "an unexpected character" : ps->lx.t == TK_IDENT ?
		    "a name" : tok_names[ps->lx.t]);
	if (root >= 0 && !ps->failed && ps->n[root].type != TY_BOOL)
		perr(ps, ps->n[root].pos, "a `when` must be a condition, "
		    "this is %s", type_names[ps->n[root].type]);
	return root >= 0 && !ps->failed ? root : -1;
}

void
rules_parse_free(struct parser *ps)
{
	for (unsigned k = 0; k < ps->nn; k++)
		free(ps->n[k].set);
	free(ps->n);
	ps->n = NULL;
	ps->nn = ps->ncap = 0;
}
