/* rules_compile.c - a typed tree to stack code
 * SPDX-License-Identifier: MIT
 *
 * A clause becomes a flat stack code of struct insn ending in OP_RET; the
 * commonest shapes (a field or a count of events against a constant, a
 * range, a set, not has / not flag) become one fused instruction that
 * gives a value alone.  A clause made only of fused instructions joined
 * by and / or also gets a filter tree (struct ftree), which the batch
 * engine runs as set operations over the people of a batch.  Then the
 * clauses are put in the order they run in, and the history questions
 * (event, fiscal-year window) of a set numbered, so that a person's
 * counts are taken once when the record is read.
 */
#include "rules_int.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

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

/* A filter tree for node i, its root last; -1 if some part is not a
 * fused instruction joined by and / or.  Each node is compiled at most
 * once here (so that the work is linear in the clause's size), and the
 * code of a leaf is taken back out of c once copied into the tree; only
 * its constants stay, in c's pool. */
static int
build_ftree(struct rules_code *c, const struct node *nodes, int i,
    struct ftree *ft, int *nft)
{
	const struct node *n = &nodes[i];
	unsigned before = c->n;
	int depth = 0, maxdepth = 0, a, b;

	if (*nft >= FTREE_MAX - 1)
		return -1;
	if (n->kind == N_AND || n->kind == N_OR) {
		/* an and of two bounds on one field is itself one insn (a
		 * range); any other and / or is a node of the tree */
		if (n->kind != N_AND || !fuse_range(c, nodes, n)) {
			if ((a = build_ftree(c, nodes, n->a, ft, nft)) < 0 ||
			    (b = build_ftree(c, nodes, n->b, ft, nft)) < 0)
				return -1;
			ft[*nft].kind = n->kind == N_AND ? FT_AND : FT_OR;
			ft[*nft].a = (int16_t)a;
			ft[*nft].b = (int16_t)b;
			return (*nft)++;
		}
	} else
		compile(c, nodes, i, &depth, &maxdepth);
	/* a leaf: what compile made of it must be one fused insn */
	if (c->n != before + 1 || !is_fused(c->code[before].op)) {
		c->n = before;
		return -1;
	}
	ft[*nft].kind = FT_LEAF;
	ft[*nft].leaf = c->code[before];
	c->n = before;
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

/* ------------------------------------------------------------------ */
/* Conditions that can never hold: `age >= 75` and `age < 40` and-ed,
 * in one clause or in two `when` lines, `tax_exempt = true and
 * tax_exempt = false`, `age % 5 = 7`.  Each comparison of a field (or a
 * head's field, or a count of events) with a constant narrows the values
 * lo..hi it may take; none left is an error. */

struct bound {
	uint8_t kind;		/* N_FIELD, N_HEADFIELD, N_EVENTS */
	uint16_t key;		/* slot or vocab index */
	int8_t from, to;	/* N_EVENTS */
	int64_t lo, hi;
	int lo_line, hi_line;	/* where each end was set, as text */
	char lo_text[128], hi_text[128];
};
#define NBOUNDS 16
struct bounds {
	unsigned n, reported;
	struct bound b[NBOUNDS];
};

static const char *const op_text[] = {
	[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
	[OP_EQ] = "=", [OP_NE] = "!="
};

static int
const_of(const struct node *nodes, int i, int64_t *v)
{
	const struct node *n = &nodes[i];

	if (n->kind == N_CONST) {
		*v = n->v;
		return 1;
	}
	if (n->kind == N_NEG && nodes[n->a].kind == N_CONST) {
		*v = -nodes[n->a].v;
		return 1;
	}
	return 0;
}

/* The name of what node n reads ("age", "head.income", "events(mr)"). */
static void
subject_text(const struct node *n, const struct vocab *v, char *buf,
    size_t cap)
{
	const struct field *f = rules_field_of_slot(n->slot);

	if (n->kind == N_EVENTS)
		snprintf(buf, cap, "events(%s)",
		    vocab_word(v, VOCAB_EVENT, n->word));
	else
		snprintf(buf, cap, "%s%s",
		    n->kind == N_HEADFIELD ? "head." : "", f ? f->name : "?");
}

static void
value_text(int type, int64_t k, char *buf, size_t cap)
{
	char d[DATE_STRLEN + 1];

	if (type == TY_DATE) {
		date_format((date_t)k, d);
		snprintf(buf, cap, "%s", d);
	} else if (type == TY_REL)
		snprintf(buf, cap, "%s", store_rel_names[k % 5]);
	else if (type == TY_INS)
		snprintf(buf, cap, "%s", store_ins_names[k % 5]);
	else if (type == TY_BOOL)
		snprintf(buf, cap, "%s", k ? "true" : "false");
	else
		snprintf(buf, cap, "%lld", (long long)k);
}

struct chk {
	struct diag *d;
	const struct src *src;
	const struct vocab *v;
	const struct node *nodes;
};

/* Report once per bounds that b has no value left. */
static void
bound_empty(const struct chk *ck, struct bounds *bs, const struct bound *b,
    size_t pos)
{
	int line, col;

	if (bs->reported++)
		return;
	rules_src_pos(ck->src, pos, &line, &col);
	rules_diag_line(ck->d, line, col, "%s (line %d) and %s (line %d) never "
	    "both hold: this condition is always false", b->lo_text,
	    b->lo_line, b->hi_text, b->hi_line);
}

/* The comparison node i narrows its subject to lo..hi (see struct
 * bound); text says how.  0 if it is no such comparison. */
static int
narrowing(const struct chk *ck, int i, const struct node **subj, int64_t *lo,
    int64_t *hi, char *text, size_t cap)
{
	const struct node *n = &ck->nodes[i], *a, *b;
	char name[64], val[32];
	int64_t k;
	uint8_t op;

	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (n->kind == N_INSET) {
		a = &ck->nodes[n->a];
		if (a->kind != N_FIELD && a->kind != N_HEADFIELD)
			return 0;
		*subj = a;
		*lo = n->set[0];
		*hi = n->set[n->nset - 1];
		subject_text(a, ck->v, name, sizeof(name));
		value_text(a->type, *lo, val, sizeof(val));
		snprintf(text, cap, "%s in {%s, ...}", name, val);
		return 1;
	}
	if (n->kind != N_CMP)
		return 0;
	a = &ck->nodes[n->a];
	b = &ck->nodes[n->b];
#define SUBJ(x) ((x)->kind == N_FIELD || (x)->kind == N_HEADFIELD || \
	(x)->kind == N_EVENTS)
	if (SUBJ(a) && const_of(ck->nodes, n->b, &k))
		op = cmp_opcode(n->op, 0);
	else if (SUBJ(b) && const_of(ck->nodes, n->a, &k)) {
		op = cmp_opcode(n->op, 1);
		a = b;
	} else
		return 0;
#undef SUBJ
	*subj = a;
	switch (op) {
	case OP_LT: *hi = k - 1; break;
	case OP_LE: *hi = k; break;
	case OP_GT: *lo = k + 1; break;
	case OP_GE: *lo = k; break;
	case OP_EQ: *lo = *hi = k; break;
	default: return 0;
	}
	subject_text(a, ck->v, name, sizeof(name));
	value_text(a->type, k, val, sizeof(val));
	snprintf(text, cap, "%s %s %s", name, op_text[op], val);
	return 1;
}

/* x % K = C with |C| >= K: never true. */
static void
check_mod(const struct chk *ck, int i)
{
	const struct node *n = &ck->nodes[i], *a;
	int64_t k, c;
	int line, col;

	if (n->kind != N_CMP || n->op != TK_EQ)
		return;
	a = &ck->nodes[n->a];
	if (a->kind != N_ARITH || a->op != TK_PCT ||
	    !const_of(ck->nodes, a->b, &k) || !const_of(ck->nodes, n->b, &c) ||
	    k == INT64_MIN || c == INT64_MIN)
		return;
	if (k < 0)
		k = -k;
	if (c >= k || -c >= k) {
		char name[64] = "a value";

		const struct node *x = &ck->nodes[a->a];

		if (x->kind == N_FIELD || x->kind == N_HEADFIELD)
			subject_text(x, ck->v, name, sizeof(name));
		rules_src_pos(ck->src, n->pos, &line, &col);
		rules_diag_line(ck->d, line, col, "%s %% %lld is never %lld: "
		    "this condition is always false", name, (long long)k,
		    (long long)c);
	}
}

static void
bound_apply(const struct chk *ck, struct bounds *bs, int i)
{
	const struct node *s;
	struct bound *b = NULL;
	char text[128];
	int64_t lo, hi;
	uint16_t key;
	int line, col;

	check_mod(ck, i);
	if (!narrowing(ck, i, &s, &lo, &hi, text, sizeof(text)))
		return;
	key = (uint16_t)(s->kind == N_EVENTS ? s->word : s->slot);
	for (unsigned k = 0; k < bs->n && b == NULL; k++)
		if (bs->b[k].kind == s->kind && bs->b[k].key == key &&
		    bs->b[k].from == s->from && bs->b[k].to == s->to)
			b = &bs->b[k];
	if (b == NULL) {
		if (bs->n == NBOUNDS)
			return;
		b = &bs->b[bs->n++];
		memset(b, 0, sizeof(*b));
		b->kind = s->kind;
		b->key = key;
		b->from = s->from;
		b->to = s->to;
		b->lo = INT64_MIN;
		b->hi = INT64_MAX;
	}
	rules_src_pos(ck->src, ck->nodes[i].pos, &line, &col);
	if (lo > b->lo) {
		b->lo = lo;
		b->lo_line = line;
		snprintf(b->lo_text, sizeof(b->lo_text), "%s", text);
	}
	if (hi < b->hi) {
		b->hi = hi;
		b->hi_line = line;
		snprintf(b->hi_text, sizeof(b->hi_text), "%s", text);
	}
	if (b->lo > b->hi)
		bound_empty(ck, bs, b, ck->nodes[i].pos);
}

/* Narrow bs by every comparison and-ed at node i. */
static void
bound_conj(const struct chk *ck, struct bounds *bs, int i)
{
	if (ck->nodes[i].kind == N_AND) {
		bound_conj(ck, bs, ck->nodes[i].a);
		bound_conj(ck, bs, ck->nodes[i].b);
	} else
		bound_apply(ck, bs, i);
}

/* The clause's conjunction at its root adds to the program's (its `when`
 * lines are and-ed); every other and (under or, not, a quantifier) is
 * checked alone. */
static void
check_bounds(struct bounds *prog, const struct parser *ps, int root,
    struct diag *d, const struct vocab *v)
{
	struct chk ck = { d, ps->src, v, ps->n };
	uint8_t *inside = xcalloc(ps->nn + 1, 1);

	bound_conj(&ck, prog, root);
	for (unsigned k = 0; k < ps->nn; k++)
		if (ps->n[k].kind == N_AND)
			inside[ps->n[k].a] = inside[ps->n[k].b] = 1;
	for (unsigned k = 0; k < ps->nn; k++)
		if (ps->n[k].kind == N_AND && !inside[k] && (int)k != root) {
			struct bounds bs;

			bs.n = bs.reported = 0;
			bound_conj(&ck, &bs, (int)k);
		}
	free(inside);
}

void
rules_compile_program(struct rules_program *p, const struct src *srcs,
    unsigned nsrc, struct diag *d, const struct vocab *v)
{
	struct bounds prog;
	unsigned terms = 0;

	prog.n = prog.reported = 0;
	p->code = xcalloc(1, sizeof(*p->code));
	p->clauses = xcalloc(nsrc + 1, sizeof(*p->clauses));
	for (unsigned i = 0; i < nsrc; i++) {
		struct parser ps;
		struct rules_clause *cl = &p->clauses[p->nclauses];
		int root, depth = 0, maxdepth = 0;

		root = rules_parse_clause(&ps, &srcs[i], d, v,
		    RULES_MAX_TERMS - terms);
		terms += ps.nn;
		if (terms >= RULES_MAX_TERMS)
			terms = RULES_MAX_TERMS;
		if (root >= 0)
			check_bounds(&prog, &ps, root, d, v);
		if (root >= 0) {
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
			if (maxdepth >= STACK_MAX) {
				int line, col;

				rules_src_pos(ps.src, 0, &line, &col);
				rules_diag_line(d, line, col, "expression too large");
			}
			p->nclauses++;
		}
		rules_parse_free(&ps);
	}
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

void
rules_number_questions(struct rules_set *s, struct rules_program *p)
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

