/* rules_diag.c - clause text with positions, diagnostics, the names
 * SPDX-License-Identifier: MIT
 *
 * Positions: a clause may span continuation lines; its text is kept with a
 * map from text offsets to (line, column), so every error names
 * FILE:LINE:COLUMN.  Columns count characters, not bytes.
 *
 * The language's names (fields, keywords, relationship and insurance
 * words) live here, with their look-up and the "did you mean" that a near
 * miss gets.
 */
#include "rules_int.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Source text of a clause, with positions                             */

void
rules_src_add(struct src *s, const char *val, int line, int col)
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

void
rules_src_pos(const struct src *s, size_t off, int *line, int *col)
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

void
rules_src_free(struct src *s)
{
	free(s->text);
	free(s->pieces);
	memset(s, 0, sizeof(*s));
}

int
rules_value_col(const char *raw, const char *value)
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

void
rules_diag_line(struct diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	if (line <= 0)		/* about the whole file */
		fprintf(d->out, "%s: ", d->path);
	else if (col > 0)
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

static const struct field fields[] = {
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

const char *
rules_suggest_name(const char *w, size_t len)
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

const struct field *
rules_find_field(const char *s, size_t len)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strlen(fields[i].name) == len && memcmp(fields[i].name, s, len) == 0)
			return &fields[i];
	return NULL;
}

const struct field *
rules_field_of_slot(int slot)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].slot == slot)
			return &fields[i];
	return NULL;
}

int
rules_find_enum(const char *s, size_t len, enum type *type)
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

