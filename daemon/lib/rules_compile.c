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

void
rules_compile_program(struct rules_program *p, const struct src *srcs,
    unsigned nsrc, struct diag *d, const struct vocab *v)
{
	p->code = xcalloc(1, sizeof(*p->code));
	p->clauses = xcalloc(nsrc + 1, sizeof(*p->clauses));
	for (unsigned i = 0; i < nsrc; i++) {
		struct parser ps;
		struct rules_clause *cl = &p->clauses[p->nclauses];
		int root, depth = 0, maxdepth = 0;

		root = rules_parse_clause(&ps, &srcs[i], d, v);
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

