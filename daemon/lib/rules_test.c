/* rules_test.c - the rule files' test cases
 * SPDX-License-Identifier: MIT
 *
 * A [test: NAME] section gives a date, a household (one line a member:
 * relationship, birth date, field=value ...), and which members must be
 * eligible; its records are built as the store would hold them, under
 * the set's word ids, and evaluated with rules_eval.
 */
#include "rules_int.h"
#include "inifile.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

struct rules_test *
rules_test_new(struct rules_program *p, const char *name, int section_line,
    struct diag *d)
{
	struct rules_test *t;

	for (unsigned i = 0; i < p->ntests; i++)
		if (strcmp(p->tests[i].name, name) == 0)
			rules_diag_line(d, section_line, 0, "a second test "
			    "named '%s' (the first is at line %d)", name,
			    p->tests[i].line);
	p->tests = xrealloc(p->tests, (p->ntests + 1) * sizeof(*p->tests));
	t = &p->tests[p->ntests++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->line = section_line;
	return t;
}

static int
parse_test_member(struct diag *d, const struct vocab *v, struct tmember *m,
    const char *value, int line, const char *raw)
{
	char buf[INIFILE_MAX_LINE + 2], *save = NULL, *tok;
	int col = rules_value_col(raw, value), i = 0;
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
			int e = rules_find_enum(tok, strlen(tok), &et);

			if (e < 0 || et != TY_REL) {
				rules_diag_line(d, line, tcol, "a member starts with its "
				    "relationship (head, spouse, child, parent, other)");
				return -1;
			}
			m->r.relationship = (uint8_t)e;
			continue;
		}
		if (i == 1) {
			if (date_parse(tok, strlen(tok), &m->r.birth) != DATE_OK) {
				rules_diag_line(d, line, tcol, "then the birth date "
				    "(YYYY-MM-DD), not '%s'", tok);
				return -1;
			}
			continue;
		}
		if (eq == NULL) {
			rules_diag_line(d, line, tcol, "expected field=value, not '%s'", tok);
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
					rules_diag_line(d, line, tcol, "unknown %s word '%s'",
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
				date_t day;
				int idx = at ? vocab_find(v, VOCAB_EVENT, w,
				    (size_t)(at - w)) : -1;

				if (idx < 0 || date_parse(at + 1, strlen(at + 1), &day) != DATE_OK) {
					rules_diag_line(d, line, tcol, "history: '%s' is not "
					    "event@YYYY-MM-DD with a known event", w);
					return -1;
				}
				m->hid = xrealloc(m->hid, (m->nhist + 1) * sizeof(*m->hid));
				m->hdate = xrealloc(m->hdate, (m->nhist + 1) * sizeof(*m->hdate));
				m->hid[m->nhist] = (uint16_t)idx;
				m->hdate[m->nhist] = day;
				m->nhist++;
			}
			continue;
		}
		if (strcmp(tok, "insurance") == 0) {
			int e = rules_find_enum(val, strlen(val), &et);

			if (e < 0 || et != TY_INS) {
				rules_diag_line(d, line, tcol, "insurance: '%s' is not "
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
			rules_diag_line(d, line, tcol, "%s: '%s' is not a number", tok, val);
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
			rules_diag_line(d, line, tcol, "'%s=%s': unknown field or value "
			    "out of range", tok, val);
			return -1;
		}
	}
	if (i < 2) {
		rules_diag_line(d, line, col, "a member is: relationship birth_date "
		    "[field=value ...]");
		return -1;
	}
	return 0;
}

void
rules_test_key(struct rules_test *t, struct diag *d, const struct vocab *v,
    const char *name, const char *value, int line, const char *raw, int cont)
{
	if (cont) {
		rules_diag_line(d, line, 1, "a test value is one line");
		return;
	}
	if (strcmp(name, "date") == 0) {
		if (t->have_date)
			rules_diag_line(d, line, 1, "a second date in this test");
		if (date_parse(value, strlen(value), &t->date) != DATE_OK)
			rules_diag_line(d, line, rules_value_col(raw, value), "date: '%s' is "
			    "not a date (YYYY-MM-DD)", value);
		t->have_date = 1;
		return;
	}
	if (strcmp(name, "note") == 0)
		return;
	if (strcmp(name, "expect") == 0) {
		char buf[INIFILE_MAX_LINE + 2], *save = NULL, *w;

		if (t->have_expect)
			rules_diag_line(d, line, 1, "a second expect in this test");
		t->have_expect = 1;
		t->expect = 0;
		if (strcmp(value, "none") == 0)
			return;
		snprintf(buf, sizeof(buf), "%s", value);
		for (w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
			unsigned k;

			for (k = 0; k < t->nm; k++)
				if (strcmp(t->m[k].name, w) == 0)
					break;
			if (k == t->nm) {
				rules_diag_line(d, line, rules_value_col(raw, value) + (int)(w - buf),
				    "expect: no member '%s' in this test (list the "
				    "members before expect)", w);
				return;
			}
			t->expect |= 1u << k;
		}
		return;
	}
	/* any other key names a member */
	for (const char *c = name; *c; c++)
		if (!is_ident(*c) || (*c >= 'A' && *c <= 'Z')) {
			rules_diag_line(d, line, 1, "'%s': a member name is lowercase "
			    "letters, digits and '_' (or use date, expect, note)", name);
			return;
		}
	if (t->nm == TEST_MAX_MEMBERS || strlen(name) >= sizeof(t->m[0].name)) {
		rules_diag_line(d, line, 1, "too many members or too long a name");
		return;
	}
	for (unsigned k = 0; k < t->nm; k++)
		if (strcmp(t->m[k].name, name) == 0) {
			rules_diag_line(d, line, 1, "member '%s' given twice", name);
			return;
		}
	snprintf(t->m[t->nm].name, sizeof(t->m[0].name), "%s", name);
	if (parse_test_member(d, v, &t->m[t->nm], value, line, raw) == 0)
		t->nm++;
}

void
rules_tests_check(const struct rules_program *p, struct diag *d)
{
	for (unsigned i = 0; i < p->ntests; i++) {
		if (!p->tests[i].have_date || !p->tests[i].have_expect)
			rules_diag_line(d, p->tests[i].line, 0, "test '%s' needs a "
			    "date and an expect line", p->tests[i].name);
	}
}

void
rules_tests_free(struct rules_program *p)
{
	for (unsigned i = 0; i < p->ntests; i++) {
		free(p->tests[i].name);
		for (unsigned k = 0; k < TEST_MAX_MEMBERS; k++) {
			free(p->tests[i].m[k].hid);
			free(p->tests[i].m[k].hdate);
		}
	}
	free(p->tests);
	p->tests = NULL;
	p->ntests = 0;
}

/* Records of a test household under the set's word ids. */
struct built {
	uint8_t buf[TEST_MAX_MEMBERS][4096];
	struct resident r[TEST_MAX_MEMBERS];
	struct rules_person p[TEST_MAX_MEMBERS];
	int index[TEST_MAX_MEMBERS];	/* test member -> household index, -1 */
	struct rules_household h;
};

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
		struct store_event hs[256];
		struct resident r = m->r;
		unsigned nh = m->nhist < 256 ? m->nhist : 256;
		size_t len;

		for (unsigned k = 0; k < m->r.nbenefits; k++)
			ben[k] = s->word_ids[VOCAB_BENEFIT][m->ben[k]];
		for (unsigned k = 0; k < m->r.nflags; k++)
			flg[k] = s->word_ids[VOCAB_FLAG][m->flg[k]];
		for (unsigned k = 0; k < nh; k++) {
			hs[k].id = s->word_ids[VOCAB_EVENT][m->hid[k]];
			hs[k].date = m->hdate[k];
		}
		/* the record's order, as an import stores it (256 < STORE_HIST_MAX) */
		r.nhistory = (uint16_t)store_history_normalize(hs, nh, hid, hdate);
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

