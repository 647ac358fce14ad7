/* rules_facts.c - the facts of the reference date and of a person
 * SPDX-License-Identifier: MIT
 *
 * Computed once per run (the date's) and once per person (each
 * resident's), then read by every program: ages on D and on April 1 of
 * FY+1, the record's fields, its benefits and flags as bit masks, and the
 * answers to the rule set's history questions.  rules_batch_facts lays a
 * person's facts out in the batch's columns.
 */
#include "rules_int.h"

#include <limits.h>
#include <string.h>

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

		/* months(b) on X by the anniversary rule (README, "Dates"), written
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
