/* rules_int.h - what the phases of the rule engine share
 * SPDX-License-Identifier: MIT
 *
 * Internal to the engine: included by its files only, never installed and
 * never included elsewhere (rules.h is the interface).  The engine is a
 * file per phase, in the order a rule file goes through them:
 *
 *   rules_load.c     a rule set from a directory of .ini files: [program],
 *                    [eligible], [message] and [test: ...] sections; the
 *                    set's version
 *   rules_diag.c     clause text with its positions, FILE:LINE:COLUMN
 *                    messages, the language's names and near-miss hints
 *   rules_lex.c      the tokens of a clause
 *   rules_parse.c    recursive descent into a typed tree; type checks
 *   rules_compile.c  the tree to stack code, fused instructions and
 *                    filter trees; clause order; history questions
 *   rules_facts.c    the facts of the date and of a person, once per run
 *   rules_eval.c     the interpreter, for one person and for a batch
 *   rules_test.c     the rule files' test cases: reading and running them
 *   rules_explain.c  each clause's value and what it read, for one person
 *
 * Names shared between files carry the rules_ prefix; all else is static.
 */
#ifndef OSHIRASE_RULES_INT_H
#define OSHIRASE_RULES_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules.h"

/* ------------------------------------------------------------------ */
/* Source text of a clause, with positions (rules_diag.c)              */

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

/* Append a line's value (continuation lines are joined by '\n'). */
void rules_src_add(struct src *s, const char *val, int line, int col);
/* The file line and column (in characters) of text offset off. */
void rules_src_pos(const struct src *s, size_t off, int *line, int *col);
void rules_src_free(struct src *s);
/* Column (1-based, in characters) of value within raw. */
int rules_value_col(const char *raw, const char *value);

/* ------------------------------------------------------------------ */
/* Diagnostics (rules_diag.c)                                          */

struct diag {
	FILE *out;
	const char *path;
	unsigned errors;
};

/* Count an error and print it as PATH:LINE:COL: message (col > 0),
 * PATH:LINE: message, or PATH: message (line 0: the whole file). */
void rules_diag_line(struct diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ------------------------------------------------------------------ */
/* The language's names (rules_diag.c)                                 */

enum type { TY_INT, TY_BOOL, TY_DATE, TY_REL, TY_INS, TY_NONE };

struct field {
	const char *name;
	int slot;
	enum type type;
	const char *help;
};

/* The field named s (len bytes), or NULL. */
const struct field *rules_find_field(const char *s, size_t len);
/* The field read from slot, or NULL. */
const struct field *rules_field_of_slot(int slot);
/* A relationship or insurance word: its value and *type, or -1. */
int rules_find_enum(const char *s, size_t len, enum type *type);
/* The field, keyword or enum word nearest w (len bytes), or NULL. */
const char *rules_suggest_name(const char *w, size_t len);

/* ------------------------------------------------------------------ */
/* Lexer (rules_lex.c)                                                 */

enum tok {
	TK_EOF, TK_INT, TK_DATE, TK_IDENT, TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA,
	TK_DOT, TK_DOTDOT, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PCT,
	TK_LT, TK_LE, TK_GT, TK_GE, TK_EQ, TK_NE, TK_BAD
};

struct lexer {
	const char *s;
	size_t len, pos;
	enum tok t;
	size_t tpos, tlen;
	int64_t ival;
};

static inline int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int
is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The token after lx->pos into lx->t, tpos, tlen (and ival). */
void rules_lex_next(struct lexer *lx);
/* Is the current token the name word? */
int rules_tok_is(const struct lexer *lx, const char *word);

/* ------------------------------------------------------------------ */
/* Tree (rules_parse.c)                                                */

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

/* The limits of a rule file, so that no file can exhaust the stack or the
 * memory of the programs that load it (oshirase rules check, oshirased at
 * start and on SIGHUP).  Every walk over a clause's tree (parser,
 * compiler, filter trees) recurses at most RULES_MAX_TERMS deep, the
 * parser's descent at most a few frames per level of RULES_MAX_DEPTH, and
 * the interpreter (and explain) once per nested quantifier, fewer than
 * RULES_MAX_DEPTH. */
#define RULES_MAX_FILE_BYTES 65536	/* a rule file's size */
#define RULES_MAX_TERMS 1024	/* terms of a file's `when` clauses: each
				 * value, name, operator and set counts one */
#define RULES_MAX_DEPTH 32	/* nesting: parentheses, not, -,
				 * quantifiers */

struct parser {
	struct lexer lx;
	const struct src *src;
	struct diag *d;
	const struct vocab *v;
	struct node *n;
	unsigned nn, ncap;
	int failed;
	int depth;
	unsigned max_nodes;	/* the file's terms left for this clause */
	/* what the clause reads, for explain */
	uint32_t reads, head_reads;
	int quant_depth;
};

/* Parse and check one `when` clause's text src into ps (which it
 * initialises), with at most max_nodes terms: the index of the root of a
 * tree typed as a condition, or -1 after printing one error to d.  Free
 * ps with rules_parse_free either way. */
int rules_parse_clause(struct parser *ps, const struct src *src,
    struct diag *d, const struct vocab *v, unsigned max_nodes);
void rules_parse_free(struct parser *ps);

/* ------------------------------------------------------------------ */
/* Code (rules_compile.c)                                              */

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

/* One `when` clause: its text and where its code starts. */
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

/* The interpreter's stack: a clause whose code needs more is refused. */
#define STACK_MAX 64

/* Parse, check and compile the nsrc `when` clauses of p into p->clauses,
 * p->code and the order they run in (p->order); errors go to d. */
void rules_compile_program(struct rules_program *p, const struct src *srcs,
    unsigned nsrc, struct diag *d, const struct vocab *v);
/* Number p's history questions in s (see struct rules_set evq). */
void rules_number_questions(struct rules_set *s, struct rules_program *p);

/* ------------------------------------------------------------------ */
/* Evaluation (rules_eval.c)                                           */

struct val {
	int64_t v;
	int unk;
};

struct evalenv {
	const struct rules_set *s;
	const struct rules_code *c;
	const struct rules_household *h;
	const struct rules_ctx *ctx;
};

/* Run env's code from pc for member who of env->h, to its OP_RET. */
struct val rules_run(const struct evalenv *env, unsigned pc, unsigned who);

/* Has the person benefit / flag `id` (a store word id)?  Ids below 64 are
 * looked up in the masks rules_person_init made; others in the list. */
static inline int
list_has(const uint8_t *list, unsigned n, uint16_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (store_u16(list + 2 * i) == id)
			return 1;
	return 0;
}

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

/* ------------------------------------------------------------------ */
/* Test cases (rules_test.c); struct rules_test is private to it       */

/* A new test case named name in p, its [test: name] section at
 * section_line (a name given twice is an error in d). */
struct rules_test *rules_test_new(struct rules_program *p, const char *name,
    int section_line, struct diag *d);
/* One key of t's section: date, expect, note, or a member. */
void rules_test_key(struct rules_test *t, struct diag *d,
    const struct vocab *v, const char *name, const char *value, int line,
    const char *raw, int cont);
/* Every test of p has a date and an expect line, or an error in d. */
void rules_tests_check(const struct rules_program *p, struct diag *d);
void rules_tests_free(struct rules_program *p);

#endif
