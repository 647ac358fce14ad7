/* rules_explain.c - why a program holds or not for one person
 * SPDX-License-Identifier: MIT
 *
 * Each clause of a program with its value for one member (true, false or
 * unknown), the fields and words it read with their values, and for a
 * clause over the household each member's value.  Runs the same code as
 * rules_eval, so that what it says is what the engine did.
 */
#include "rules_int.h"

#include <limits.h>

static void
print_fact(FILE *out, const char *prefix, const struct rules_person *p, int slot)
{
	const struct field *f = rules_field_of_slot(slot);
	char d[DATE_STRLEN + 1];

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
		struct val v = rules_run(&env, cl->start, who);
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
				mv = rules_run(&env, cl->start + 1, m);
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
