/* test_rules.c - the rule language: parsing, types, positions, three-valued
 * logic, quantifiers, history windows
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errcodes.h"
#include "rules.h"
#include "rules_int.h"	/* the compiled code's size */

static char dir[64];

static const char vocab_text[] =
    "[benefit]\nchild-rearing-allowance = x\nwater-rate-reduction = x\n"
    "[event]\nmr = x\nlung-screening = x\n[flag]\ninstitutional_care = x\n";

static void
write_file(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/oshirase-rules.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("vocabulary.ini", vocab_text);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A program file around the given [eligible] and [test] text. */
static void
program(const char *subject, const char *body)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    "[program]\nid = p\nname_ja = テスト\nname_en = test\n"
	    "department = d\ncategory = health\nsubject = %s\ncycle = fy\n"
	    "tax = no\npage = x.html\n%s\n[message]\n"
	    "ja = {name}の対象となる可能性があります。\n"
	    "en = {Who} may qualify for {name}.\n",
	    subject, body);
	write_file("p.ini", text);
}

/* Load; return rules_load's code and the errors it printed in err. */
static int
load(struct rules_set **rs, char *err, size_t errlen)
{
	FILE *f = tmpfile();
	size_t n;
	int rc;

	assert_non_null(f);
	rc = rules_load(dir, f, rs);
	rewind(f);
	n = fread(err, 1, errlen - 1, f);
	err[n] = '\0';
	fclose(f);
	return rc;
}

/* Run the file's tests; return the number that failed. */
static unsigned
program_tests(unsigned *n)
{
	struct rules_set *rs;
	char err[2048];
	unsigned failed;
	FILE *f = tmpfile();

	if (load(&rs, err, sizeof(err)) != 0)
		fail_msg("load failed: %s", err);
	failed = rules_run_tests(rs, NULL, f, n);
	fclose(f);
	rules_free(rs);
	return failed;
}

static void
expect_error(const char *subject, const char *body, const char *want)
{
	struct rules_set *rs = NULL;
	char err[2048];

	program(subject, body);
	assert_int_equal(load(&rs, err, sizeof(err)), RULES_ESYNTAX);
	assert_null(rs);
	if (strstr(err, want) == NULL)
		fail_msg("wanted '%s' in:\n%s", want, err);
}

static void
test_errors_have_positions_and_suggestions(void **state)
{
	(void)state;
	/* [eligible] starts on line 11 of the generated file */
	expect_error("person", "[eligible]\nwhen = fage >= 40\n",
	    "p.ini:12:8: unknown name 'fage' (did you mean");
	expect_error("person", "[eligible]\nwhen = fyage >= 40 and\n  insurnce = nhi\n",
	    "p.ini:13:3: unknown name 'insurnce' (did you mean insurance?)");
	expect_error("person", "[eligible]\nwhen = insurance = 3\n",
	    "p.ini:12:18: cannot compare an insurance with an integer");
	expect_error("person", "[eligible]\nwhen = has(child-rearing-allowanse)\n",
	    "p.ini:12:12: unknown benefit word 'child-rearing-allowanse' (did you "
	    "mean child-rearing-allowance?)");
	expect_error("person", "[eligible]\nwhen = events(mmr in FY) = 0\n",
	    "unknown event word 'mmr' (did you mean mr?)");
	expect_error("person", "[eligible]\nwhen = flag(institutional-care)\n",
	    "did you mean institutional_care?");
	expect_error("person", "[eligible]\nwhen = age + 1\n",
	    "a `when` must be a condition, this is an integer");
	expect_error("person", "[eligible]\nwhen = age and sex = 1\n",
	    "'and' joins conditions");
	expect_error("person", "[eligible]\nwhen = (age > 1\n", "expected ')'");
	expect_error("person", "[eligible]\nwhen = age > 1 sex = 1\n",
	    "a missing 'and' or 'or'?");
	expect_error("person", "[eligible]\nwhen = birth_date < 2023-02-29\n",
	    "'2023-02-29' is not a calendar date");
	expect_error("person", "[eligible]\nwhen = age / 0 = 1\n", "division by zero");
	expect_error("person", "[eligible]\nwhen = relationship < head\n",
	    "can only be compared with = or !=");
	expect_error("person", "[eligible]\nwhen = any kids (age < 1)\n",
	    "expected 'members'");
	expect_error("person", "[eligible]\nwhen = known(age)\n", "known(...) takes income");
	expect_error("person", "[eligible]\nwhen = age > 1\n[test: t]\ndate = 2026-01-01\n"
	    "a = head 1990-01-01\nexpect = b\n", "expect: no member 'b'");
	expect_error("person", "[eligible]\nwhen = age > 1\n[mesage]\nja = x\n",
	    "unknown section [mesage]");
}

static void
test_three_valued_logic(void **state)
{
	unsigned n;

	(void)state;
	/* unknown income: a comparison, its negation and a sum all fail */
	program("person", "[eligible]\nwhen = income < 100 or not (income < 100)\n"
	    "[test: unknown]\ndate = 2026-01-01\na = head 1990-01-01\nexpect = none\n"
	    "[test: known]\ndate = 2026-01-01\na = head 1990-01-01 income=100\nexpect = a\n");
	assert_int_equal(program_tests(&n), 0);
	assert_int_equal(n, 2);
	/* true or unknown is true; false and unknown is false */
	program("person", "[eligible]\nwhen = age >= 0 or income > 5\n"
	    "when = not (age < 0 and income > 5)\n"
	    "[test: t]\ndate = 2026-01-01\na = head 1990-01-01\nexpect = a\n");
	assert_int_equal(program_tests(&n), 0);
	/* known() is never unknown */
	program("person", "[eligible]\nwhen = not known(income)\n"
	    "[test: t]\ndate = 2026-01-01\na = head 1990-01-01\n"
	    "b = child 2010-01-01 income=0\nexpect = a\n");
	assert_int_equal(program_tests(&n), 0);
	/* a test that is wrong is reported */
	program("person", "[eligible]\nwhen = known(income)\n"
	    "[test: t]\ndate = 2026-01-01\na = head 1990-01-01\nexpect = a\n");
	assert_int_equal(program_tests(&n), 1);
}

static void
test_quantifiers_and_head(void **state)
{
	unsigned n;

	(void)state;
	program("head", "[eligible]\nwhen = any children (age < 18)\n"
	    "when = count children (age < 18) = 2\n"
	    "when = all members (tax_exempt)\n"
	    "[test: two minors, all exempt]\ndate = 2026-01-01\n"
	    "m = head 1990-01-01 tax_exempt=1\nx = child 2010-01-01 tax_exempt=1\n"
	    "y = child 2012-01-01 tax_exempt=1\nexpect = m\n"
	    "[test: one not exempt]\ndate = 2026-01-01\n"
	    "m = head 1990-01-01 tax_exempt=1\nx = child 2010-01-01 tax_exempt=1\n"
	    "y = child 2012-01-01\nexpect = none\n"
	    "[test: a member not born yet is no member]\ndate = 2026-01-01\n"
	    "m = head 1990-01-01 tax_exempt=1\nx = child 2010-01-01 tax_exempt=1\n"
	    "y = child 2012-01-01 tax_exempt=1\nz = child 2026-01-02\nexpect = m\n"
	    "[test: a child turning 18 today]\ndate = 2028-01-01\n"
	    "m = head 1990-01-01 tax_exempt=1\nx = child 2010-01-01 tax_exempt=1\n"
	    "y = child 2012-01-01 tax_exempt=1\nexpect = none\n");
	assert_int_equal(program_tests(&n), 0);
	assert_int_equal(n, 4);
	/* head.income: unknown without a head */
	program("person", "[eligible]\nwhen = known(head.income)\n"
	    "when = head.income < 100 + 10 * head.dependents\n"
	    "[test: head at the limit]\ndate = 2026-01-01\n"
	    "h = head 1990-01-01 income=110 dependents=1\nc = child 2015-01-01\nexpect = none\n"
	    "[test: one below]\ndate = 2026-01-01\n"
	    "h = head 1990-01-01 income=109 dependents=1\nc = child 2015-01-01\nexpect = h c\n"
	    "[test: no head]\ndate = 2026-01-01\nc = child 2015-01-01\nexpect = none\n");
	assert_int_equal(program_tests(&n), 0);
}

static void
test_history_windows(void **state)
{
	unsigned n;

	(void)state;
	/* FY of 2026-11-23 is 2026: 2026-04-01 .. 2027-03-31 */
	program("person", "[eligible]\nwhen = events(lung-screening in FY) = 0\n"
	    "when = events(lung-screening in FY-1..FY) < 2\n"
	    "when = events(mr) = events(mr in FY-3..FY)\n"
	    "[test: t]\ndate = 2026-11-23\n"
	    "a = head 1960-01-01 history=lung-screening@2026-03-31\n"
	    "b = spouse 1960-01-01 history=lung-screening@2026-04-01\n"
	    "c = parent 1930-01-01 history=lung-screening@2026-11-24\n"
	    "d = other 1950-01-01 history=lung-screening@2025-04-01;lung-screening@2026-03-31\n"
	    "e = other 1950-01-01 history=lung-screening@2025-03-31;lung-screening@2026-03-31\n"
	    "f = other 1950-01-01 history=mr@2023-03-31\n"
	    "g = other 1950-01-01 history=mr@2023-04-01;mr@2023-04-01\n"
	    "expect = a c e g\n");
	assert_int_equal(program_tests(&n), 0);
}

static void
test_sets_ranges_chains_dates(void **state)
{
	unsigned n;

	(void)state;
	program("person", "[eligible]\nwhen = fyage in {40, 45} or   ; 節目年齢\n"
	    "  60 <= age < 62   ; or sixty and sixty-one\n"
	    "when = relationship in {head, spouse}\n"
	    "when = birth_date in 1900-01-01..D\n"
	    "when = fyage % 5 = 0 or age ≥ 60\n"
	    "when = FY = 2026\n"
	    "[test: t]\ndate = 2026-11-23\n"
	    "a = head 1987-04-01\nb = spouse 1987-04-02\n"
	    "c = spouse 1964-11-24\nd = head 1966-11-24\ne = child 1981-06-01\n"
	    "f = spouse 1965-02-28\n"
	    "expect = a c f\n");
	assert_int_equal(program_tests(&n), 0);
}

static void
test_review_cases(void **state)
{
	char deep[4096];
	size_t n = 0;
	unsigned nt;

	(void)state;
	/* an indented first line after [eligible] is a key, not a
	 * continuation (it crashed once) */
	program("person", "[eligible]\n   when = age >= 0\n[test: t]\ndate = 2026-01-01\n"
	    "a = head 1990-01-01\nexpect = a\n");
	assert_int_equal(program_tests(&nt), 0);
	/* a count over an unknown is unknown: it never qualifies */
	program("person", "[eligible]\nwhen = count members (income < 1_000_000) = 0\n"
	    "[test: t]\ndate = 2026-01-01\na = head 1990-01-01\nexpect = none\n"
	    "[test: known]\ndate = 2026-01-01\na = head 1990-01-01 income=2000000\n"
	    "expect = a\n");
	assert_int_equal(program_tests(&nt), 0);
	/* an overflow has no value */
	program("person", "[eligible]\nwhen = income * 100_000 > 0\n"
	    "[test: t]\ndate = 2026-01-01\na = head 1990-01-01 income=999999999999999\n"
	    "expect = none\n");
	assert_int_equal(program_tests(&nt), 0);
	/* two tests of one name, a second date */
	expect_error("person", "[eligible]\nwhen = age > 1\n[test: t]\ndate = 2026-01-01\n"
	    "a = head 1990-01-01\nexpect = a\n[test: t]\ndate = 2026-01-01\n"
	    "a = head 1990-01-01\nexpect = a\n", "a second test named 't'");
	expect_error("person", "[eligible]\nwhen = age > 1\n[test: t]\ndate = 2026-01-01\n"
	    "date = 2026-01-02\na = head 1990-01-01\nexpect = a\n", "a second date");
	/* nesting inside a quantifier counts against the stack */
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "[eligible]\nwhen = any members (");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "%sfalse or true and (",
		    i % 3 == 2 ? "\n  " : "");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "true");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, ")");
	snprintf(deep + n, sizeof(deep) - n, ")\n");
	expect_error("person", deep, "nested more than 32 deep");
	/* and so does arithmetic two values a level deep, within the nesting
	 * allowed */
	n = (size_t)snprintf(deep, sizeof(deep), "[eligible]\nwhen = 0 <");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "%s 1 + 2 * (",
		    i % 8 == 7 ? "\n " : "");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "1");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, ")");
	snprintf(deep + n, sizeof(deep) - n, "\n");
	expect_error("person", deep, "expression too large");
	/* a flat clause of many terms is not "nested" */
	n = (size_t)snprintf(deep, sizeof(deep), "[eligible]\nwhen = age = 1");
	for (int i = 2; i < 70; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "%s or age = %d",
		    i % 8 == 0 ? "\n " : "", i);
	snprintf(deep + n, sizeof(deep) - n, "\n[test: t]\ndate = 2026-01-01\n"
	    "a = head 1990-01-01\nexpect = a\n");
	program("person", deep);
	assert_int_equal(program_tests(&nt), 0);
	/* messages must say "may qualify"; ids are plain */
	write_file("p.ini", "[program]\nid = p\nname_ja = x\nname_en = x\n"
	    "department = d\ncategory = health\nsubject = person\ncycle = fy\n"
	    "tax = no\npage = x\n[eligible]\nwhen = age > 1\n[message]\n"
	    "ja = {name}です\nen = You qualify for {name}.\n");
	{
		struct rules_set *rs = NULL;
		char err[2048];

		assert_int_equal(load(&rs, err, sizeof(err)), RULES_ESYNTAX);
		assert_non_null(strstr(err, "ja message must say"));
		assert_non_null(strstr(err, "en message must say"));
	}
}

/* A program file of any size around body. */
static void
program_big(const char *body)
{
	size_t cap = strlen(body) + 512;
	char *text = malloc(cap);

	assert_non_null(text);
	snprintf(text, cap,
	    "[program]\nid = p\nname_ja = テスト\nname_en = test\n"
	    "department = d\ncategory = health\nsubject = person\ncycle = fy\n"
	    "tax = no\npage = x.html\n[eligible]\n%s\n[message]\n"
	    "ja = {name}の対象となる可能性があります。\n"
	    "en = {Who} may qualify for {name}.\n", body);
	write_file("p.ini", text);
	free(text);
}

/* `when = ` and n copies of first then of each (continuation lines of
 * about 100 bytes), then last. */
static char *
long_clause(const char *first, unsigned n, const char *each, const char *last)
{
	size_t cap = (size_t)n * (strlen(each) + 24) + strlen(first) +
	    strlen(last) + 64, len, line = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "when = %s", first);
	for (unsigned i = 0; i < n; i++) {
		if (len - line > 100) {
			len += (size_t)snprintf(s + len, cap - len, "\n ");
			line = len;
		}
		len += (size_t)snprintf(s + len, cap - len, each, i + 1);
	}
	snprintf(s + len, cap - len, "%s", last);
	return s;
}

static void
expect_big_error(const char *clause, const char *want)
{
	struct rules_set *rs = NULL;
	char err[2048];

	program_big(clause);
	assert_int_equal(load(&rs, err, sizeof(err)), RULES_ESYNTAX);
	assert_null(rs);
	if (strstr(err, want) == NULL)
		fail_msg("wanted '%s' in:\n%s", want, err);
}

/* A rule file cannot exhaust the stack or the memory of what loads it:
 * nesting, terms and size are bounded, each with an error naming the
 * place; compiling is linear in the clause's size. */
static void
test_limits(void **state)
{
	struct rules_set *rs;
	char err[2048], *c;
	unsigned nt;

	(void)state;
	/* 70,000 nested `not` crashed the parser (stack overflow): the
	 * file is too large, and 33 are nested too deeply */
	c = long_clause("", 70000, " not", " age > 3");
	expect_big_error(c, "bytes and goes past 65536 here: a rule file holds at most 65536 bytes");
	free(c);
	c = long_clause("", 33, " not", " age > 3");
	expect_big_error(c, "p.ini:13:35: nested more than 32 deep");
	free(c);
	c = long_clause("", 31, " not", " age > 3");
	program_big(c);
	free(c);
	assert_int_equal(load(&rs, err, sizeof(err)), 0);
	rules_free(rs);
	/* an or of 2,000 terms took gigabytes: too many terms, named where
	 * the limit is passed */
	c = long_clause("age = 0", 2000, " or age = %u", "");
	expect_big_error(c, "more than 1024 terms in the `when` clauses of "
	    "this file");
	free(c);
	/* the limit counts the file's clauses together */
	c = long_clause("age = 0", 200, " or age = %u", "\n");
	{
		char *two = malloc(2 * strlen(c) + 1);

		assert_non_null(two);
		strcpy(two, c);
		strcat(two, c);
		expect_big_error(two, "more than 1024 terms");
		free(two);
	}
	/* 200 terms compile to code of a size linear in them (each level
	 * of the or compiled the whole chain below it again) */
	program_big(c);
	free(c);
	assert_int_equal(load(&rs, err, sizeof(err)), 0);
	assert_true(rs->p[0]->code->n <= 4 * 201);
	rules_free(rs);
	/* quantifiers nested as deep as allowed evaluate (the interpreter
	 * recurses once per quantifier) */
	c = long_clause("", 30, " any members (", "age >= 30");
	{
		size_t n = strlen(c);
		char *body = malloc(n + 200);

		assert_non_null(body);
		memcpy(body, c, n);
		memset(body + n, ')', 30);
		snprintf(body + n + 30, 200, "\n[test: t]\ndate = 2026-01-01\n"
		    "a = head 1990-01-01\nb = child 2020-01-01\nexpect = a b\n");
		program_big(body);
		free(body);
	}
	free(c);
	assert_int_equal(program_tests(&nt), 0);
	assert_int_equal(nt, 1);
}

/* A condition that holds for no one is a mistake, not a program: an
 * empty range, bounds that contradict each other (in one clause or
 * across `when` lines), an impossible remainder. */
static void
test_conditions_never_true(void **state)
{
	struct rules_set *rs;
	char err[2048];

	(void)state;
	expect_error("person", "[eligible]\nwhen = age in 74..40\n",
	    "p.ini:12:15: the range 74..40 is empty (it holds for no value): "
	    "the smaller end comes first, 40..74");
	expect_error("person", "[eligible]\nwhen = birth_date in 2020-01-01..2010-01-01\n",
	    "the range 2020-01-01..2010-01-01 is empty");
	expect_error("person", "[eligible]\nwhen = age in -1..-5\n",
	    "the range -1..-5 is empty");
	expect_error("person", "[eligible]\nwhen = age >= 75\nwhen = age < 40\n",
	    "p.ini:13:12: age >= 75 (line 12) and age < 40 (line 13) never both hold");
	expect_error("person", "[eligible]\nwhen = 74 <= age <= 40\n",
	    "age >= 74 (line 12) and age <= 40 (line 12) never both hold");
	expect_error("person", "[eligible]\nwhen = (age > 3 and sex = 1 and age < 2) or sex = 2\n",
	    "age > 3 (line 12) and age < 2 (line 12) never both hold");
	expect_error("person", "[eligible]\nwhen = relationship = child and relationship = head\n",
	    "relationship = child (line 12) and relationship = head (line 12)");
	expect_error("person", "[eligible]\nwhen = any members (age > 70 and 10 > age)\n",
	    "age > 70 (line 12) and age < 10 (line 12) never both hold");
	expect_error("person", "[eligible]\nwhen = events(mr in FY) >= 2\n"
	    "when = events(mr in FY) < 1\n", "events(mr) >= 2 (line 12) and "
	    "events(mr) < 1 (line 13)");
	expect_error("person", "[eligible]\nwhen = age in {1, 2, 3} and age > 5\n",
	    "never both hold");
	expect_error("person", "[eligible]\nwhen = head.income < 3 and head.income > 2\n",
	    "head.income > 2 (line 12) and head.income < 3 (line 12)");
	expect_error("person", "[eligible]\nwhen = age % 5 = 7\n",
	    "p.ini:12:16: age % 5 is never 7");
	/* what may hold loads */
	program("person", "[eligible]\nwhen = age in 40..40\nwhen = age > 3 and age < 50\n"
	    "when = age > 70 or age < 45\nwhen = head.age < 30\n"
	    "when = events(mr) >= 1 and events(mr in FY) = 0\nwhen = age % 5 = 0\n");
	assert_int_equal(load(&rs, err, sizeof(err)), 0);
	rules_free(rs);
}

static void
test_shipped_rules_load(void **state)
{
	struct rules_set *rs;
	const char *top = getenv("TOP"), *env = getenv("RULES");
	char rules[512];
	unsigned n, failed;
	FILE *f = tmpfile();

	(void)state;
	/* the rules directory under test: $RULES, else $TOP/rules */
	if (env != NULL && *env != '\0')
		snprintf(rules, sizeof(rules), "%s", env);
	else
		snprintf(rules, sizeof(rules), "%s/rules", top ? top : "../..");
	assert_int_equal(rules_load(rules, stderr, &rs), 0);
	assert_true(rs->n >= 1);
	for (unsigned i = 1; i < rs->n; i++)
		assert_true(strcmp(rs->p[i - 1]->id, rs->p[i]->id) < 0);
	failed = rules_run_tests(rs, NULL, f, &n);
	assert_int_equal(failed, 0);
	assert_true(n >= rs->n);
	fclose(f);
	rules_free(rs);
}

/* A directory that cannot be read, or whose vocabulary cannot, is
 * RULES_ENOINPUT; a bad vocabulary, like a bad rule file, RULES_ESYNTAX. */
static void
test_load_codes(void **state)
{
	const int codes[] = { RULES_ENOINPUT, RULES_ESYNTAX };
	char own[64], path[128], cmd[128];
	struct rules_set *rs = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	FILE *f;

	(void)state;
	assert_non_null(devnull);
	snprintf(own, sizeof(own), "/tmp/oshirase-rules-codes.XXXXXX");
	assert_non_null(mkdtemp(own));
	snprintf(path, sizeof(path), "%s/none", own);
	assert_int_equal(rules_load(path, devnull, &rs), RULES_ENOINPUT);
	assert_null(rs);
	/* a directory without vocabulary.ini */
	assert_int_equal(rules_load(own, devnull, &rs), RULES_ENOINPUT);
	assert_null(rs);
	snprintf(path, sizeof(path), "%s/vocabulary.ini", own);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[benefits]\na = 1\n", f);
	fclose(f);
	assert_int_equal(rules_load(own, devnull, &rs), RULES_ESYNTAX);
	assert_null(rs);
	fclose(devnull);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", own);
	assert_int_equal(system(cmd), 0);

	assert_module_codes(codes, 2, rules_strerror);
	assert_non_null(strstr(rules_strerror(RULES_ENOINPUT), "cannot be read"));
	assert_non_null(strstr(rules_strerror(RULES_ESYNTAX), "rule files"));
	assert_non_null(strstr(rules_strerror(-1), "unknown"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_have_positions_and_suggestions),
		cmocka_unit_test(test_three_valued_logic),
		cmocka_unit_test(test_quantifiers_and_head),
		cmocka_unit_test(test_history_windows),
		cmocka_unit_test(test_sets_ranges_chains_dates),
		cmocka_unit_test(test_review_cases),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_conditions_never_true),
		cmocka_unit_test(test_shipped_rules_load),
		cmocka_unit_test(test_load_codes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
