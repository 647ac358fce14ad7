/* rules_eval.c - the interpreter, for one person and for a batch
 * SPDX-License-Identifier: MIT
 *
 * A clause's code (rules_compile.c) runs on a stack of values, 64-bit
 * integers with an `unknown` bit, over the facts of one household's
 * members (rules_facts.c); a clause of one fused instruction gives its
 * value without the interpreter loop (fused()).  rules_eval runs a
 * program's clauses for one person; rules_eval_batch runs each clause
 * over the people of a batch still in the running.
 *
 * The batch engine shares this file with the interpreter on purpose: its
 * loops over the people of a batch inline fused() and the helpers of
 * rules_int.h, and call run() directly for a clause only the interpreter
 * can evaluate.  Apart, run() would be a call into another translation
 * unit from the hottest loop of a match.  Keep them together.
 */
#include "rules_int.h"

#include <limits.h>
#include <string.h>

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

/* run() for explain, a cold path; the hot callers here call run() itself. */
struct val
rules_run(const struct evalenv *env, unsigned pc, unsigned who)
{
	return run(env, pc, who);
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
