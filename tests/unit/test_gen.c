/* test_gen.c - unit tests of `oshirase gen` (tools/gen.c)
 * SPDX-License-Identifier: MIT
 *
 * Each case runs cmd_gen into its own temporary directory with a fixed
 * --date and reads the files back.  The generator never quotes a field,
 * so a row is split at every comma.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gen.h"
#include "dates.h"
#include "log.h"
#include "util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEST_DATE "2025-06-15"
#define NCOLS 18

enum {
	C_ID, C_HH, C_REL, C_BIRTH, C_SEX, C_WARD, C_INS, C_TAXEX, C_INCOME,
	C_DEPS, C_SP, C_DPHYS, C_DINT, C_DMENT, C_BENEFITS, C_HISTORY, C_FLAGS,
	C_STATUS
};

static const char residents_header[] =
    "resident_id,household_id,relationship,birth_date,sex,ward,insurance,"
    "tax_exempt,income,dependents,single_parent,disability_physical,"
    "disability_intellectual,disability_mental,benefits,history,flags,"
    "status";
static const char contacts_header[] =
    "resident_id,channel,address,language,consent,status";

static const char *const events[] = {
	"specific-checkup", "elderly-checkup", "lung-screening",
	"colorectal-screening", "stomach-screening", "cervical-screening",
	"breast-screening", "pylori-test", "ppsv23", "shingles",
	"infant-checkup", "varicella", "mr", "dt", NULL,
};
static const char *const programs[] = {
	"specific-health-checkup", "elderly-health-checkup",
	"lung-cancer-screening", "colorectal-cancer-screening",
	"prostate-cancer-screening", "osteoporosis-screening",
	"periodontal-checkup", "stomach-cancer-risk-test",
	"stomach-cancer-screening", "cervical-cancer-screening",
	"breast-cancer-screening", "pneumococcal-vaccine", "shingles-vaccine",
	"infant-health-checkup", "varicella-vaccine", "mr-vaccine",
	"dt-vaccine", "postnatal-care", "child-disability-allowance",
	"special-child-rearing-allowance", "child-rearing-allowance",
	"single-parent-medical-subsidy", "jr-commuter-pass-discount",
	"home-helper-dispatch", "single-parent-welfare-loan",
	"water-rate-reduction", "sewer-rate-reduction",
	"family-municipal-housing", "low-income-household-benefit", NULL,
};
static const char *const wards[] = {
	"中央区", "花見川区", "稲毛区", "若葉区", "緑区", "美浜区", NULL,
};
static const char *const rels[] = {
	"head", "spouse", "child", "parent", "other", NULL,
};
static const char *const insurances[] = {
	"nhi", "late_elderly", "employee", "welfare", "none", NULL,
};

/* ---- helpers -------------------------------------------------------- */

struct state {
	char dir[256];
};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int
all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
setup(void **st)
{
	struct state *s = calloc(1, sizeof(*s));
	const char *tmp = getenv("TMPDIR");

	if (s == NULL)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s/test_gen.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		free(s);
		return -1;
	}
	*st = s;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **st)
{
	struct state *s = *st;

	nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(s);
	return 0;
}

/* A subdirectory of the case's temporary directory. */
static void
subdir(const struct state *s, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", s->dir, name);

	assert_true(n > 0 && (size_t)n < len);
	assert_int_equal(mkdir(out, 0700), 0);
}

static int
gen(const char *dir, const char *n, const char *seed, const char *date)
{
	char *argv[] = {
		"gen", "--residents", (char *)n, "--seed", (char *)seed,
		"--date", (char *)date, "--out", (char *)dir, NULL,
	};

	return gen_main(9, argv);
}

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	char *buf;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sizeof(path));
	buf = file_read_all(path, len);
	assert_non_null(buf);
	return buf;
}

/* Lines of a buffer, split in place. */
struct lines {
	char *p, *end;
};

static void
lines_init(struct lines *l, char *buf, size_t len)
{
	l->p = buf;
	l->end = buf + len;
}

/* The next line (NUL-terminated, without its LF), or NULL at the end. */
static char *
lines_next(struct lines *l)
{
	char *line = l->p, *nl;

	if (l->p >= l->end)
		return NULL;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	assert_non_null(nl);	/* every line ends in LF */
	*nl = '\0';
	l->p = nl + 1;
	assert_null(strchr(line, '\r'));
	assert_null(strchr(line, '"'));
	return line;
}

/* Split at commas into exactly n fields. */
static void
split(char *line, char **f, int n)
{
	int i = 0;

	f[i++] = line;
	for (char *p = line; *p != '\0'; p++) {
		if (*p == ',') {
			*p = '\0';
			assert_true(i < n);
			f[i++] = p + 1;
		}
	}
	assert_int_equal(i, n);
}

static date_t
parse_date(const char *s)
{
	date_t d = 0;

	assert_int_equal(date_parse(s, strlen(s), &d), DATE_OK);
	return d;
}

static date_t
today(void)
{
	return parse_date(TEST_DATE);
}

/* Read a resident file: calls fn for every row with its fields. */
typedef void row_fn(char **f, void *arg);

static size_t
each_resident(const char *dir, row_fn *fn, void *arg)
{
	size_t len, rows = 0;
	char *buf = slurp(dir, "residents.csv", &len);
	struct lines l;
	char *line, *f[NCOLS];

	lines_init(&l, buf, len);
	line = lines_next(&l);
	assert_non_null(line);
	assert_string_equal(line, residents_header);
	while ((line = lines_next(&l)) != NULL) {
		split(line, f, NCOLS);
		fn(f, arg);
		rows++;
	}
	free(buf);
	return rows;
}

static int
files_equal(const char *a, const char *b, const char *name)
{
	size_t la, lb;
	char *x = slurp(a, name, &la), *y = slurp(b, name, &lb);
	int eq = la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return eq;
}

/* ---- cases ---------------------------------------------------------- */

static void
test_usage(void **st)
{
	struct state *s = *st;
	char out[512], missing[512];

	subdir(s, "out", out, sizeof(out));
	snprintf(missing, sizeof(missing), "%s/no/such/dir", s->dir);
	{
		char *argv[] = { "gen", "--help", NULL };
		assert_int_equal(gen_main(2, argv), 0);
	}
	{
		char *argv[] = { "gen", NULL };
		assert_int_equal(gen_main(1, argv), EXIT_USAGE);
	}
	{
		char *argv[] = { "gen", "--residents", "10", NULL };
		assert_int_equal(gen_main(3, argv), EXIT_USAGE);
	}
	{
		char *argv[] = { "gen", "--seed", "1", "--residents", NULL };
		assert_int_equal(gen_main(4, argv), EXIT_USAGE);
	}
	{
		char *argv[] = { "gen", "--seed", "1", "--residents", "10",
		    "--bogus", NULL };
		assert_int_equal(gen_main(6, argv), EXIT_USAGE);
	}
	{
		char *argv[] = { "gen", "--seed", "1", "--residents", "10",
		    "--out", out, "extra", NULL };
		assert_int_equal(gen_main(8, argv), EXIT_USAGE);
	}
	assert_int_equal(gen(out, "0", "1", TEST_DATE), EXIT_USAGE);
	assert_int_equal(gen(out, "-5", "1", TEST_DATE), EXIT_USAGE);
	assert_int_equal(gen(out, "12x", "1", TEST_DATE), EXIT_USAGE);
	assert_int_equal(gen(out, "10", "", TEST_DATE), EXIT_USAGE);
	assert_int_equal(gen(out, "10", "18446744073709551616", TEST_DATE),
	    EXIT_USAGE);
	assert_int_equal(gen(out, "10", "1", "2023-02-29"), EXIT_USAGE);
	assert_int_equal(gen(out, "10", "1", "2025/06/15"), EXIT_USAGE);
	assert_int_equal(gen(out, "10", "1", "1950-01-01"), EXIT_USAGE);
	assert_int_equal(gen(missing, "10", "1", TEST_DATE), EXIT_CANTCREAT);
	/* nothing was written by the failures */
	assert_int_equal(access(s->dir, F_OK), 0);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/residents.csv", out);
		assert_int_equal(access(path, F_OK), -1);
	}
	/* the largest seed is fine, and so is an operand-free any order */
	assert_int_equal(gen(out, "10", "18446744073709551615", TEST_DATE), 0);
	{
		char *argv[] = { "gen", "--out", out, "--date", TEST_DATE,
		    "--seed=3", "--residents=25", NULL };
		assert_int_equal(gen_main(7, argv), 0);
	}
}

static void
test_deterministic(void **st)
{
	struct state *s = *st;
	char a[512], b[512], c[512], d[512];

	subdir(s, "a", a, sizeof(a));
	subdir(s, "b", b, sizeof(b));
	subdir(s, "c", c, sizeof(c));
	subdir(s, "d", d, sizeof(d));
	assert_int_equal(gen(a, "20000", "42", TEST_DATE), 0);
	assert_int_equal(gen(b, "20000", "42", TEST_DATE), 0);
	assert_true(files_equal(a, b, "residents.csv"));
	assert_true(files_equal(a, b, "contacts.csv"));
	/* overwriting gives the same files again */
	assert_int_equal(gen(b, "20000", "42", TEST_DATE), 0);
	assert_true(files_equal(a, b, "residents.csv"));
	assert_true(files_equal(a, b, "contacts.csv"));
	/* another seed, another city */
	assert_int_equal(gen(c, "20000", "43", TEST_DATE), 0);
	assert_false(files_equal(a, c, "residents.csv"));
	assert_false(files_equal(a, c, "contacts.csv"));
	/* and the options in another order change nothing */
	{
		char *argv[] = { "gen", "--date", TEST_DATE, "--out", d,
		    "--seed", "42", "--residents", "20000", NULL };
		assert_int_equal(gen_main(9, argv), 0);
	}
	assert_true(files_equal(a, d, "residents.csv"));
	assert_true(files_equal(a, d, "contacts.csv"));
}

struct households {
	long rows;
	long households, heads_here, spouses, opposite;
	long last_hh;
	char head_sex;
	date_t head_birth, spouse_birth;
	int have_spouse;
	int bad_children, bad_parents;
};

static void
households_row(char **f, void *arg)
{
	struct households *h = arg;
	long id, hh;
	date_t b = parse_date(f[C_BIRTH]);
	int age;

	h->rows++;
	assert_true(all_digits(f[C_ID], 10, 10));
	id = strtol(f[C_ID], NULL, 10);
	assert_int_equal(id, h->rows);	/* 0000000001, 0000000002, ... */
	assert_int_equal(f[C_HH][0], 'H');
	assert_true(all_digits(f[C_HH] + 1, 9, 9));
	hh = strtol(f[C_HH] + 1, NULL, 10);
	assert_true(in_list(f[C_REL], rels));
	if (hh != h->last_hh) {
		/* a new household: numbered in order, head first */
		assert_int_equal(hh, h->last_hh + 1);
		assert_string_equal(f[C_REL], "head");
		if (h->households > 0)
			assert_int_equal(h->heads_here, 1);
		h->households++;
		h->last_hh = hh;
		h->heads_here = 0;
		h->have_spouse = 0;
	}
	if (strcmp(f[C_REL], "head") == 0) {
		h->heads_here++;
		h->head_sex = f[C_SEX][0];
		h->head_birth = b;
	} else if (strcmp(f[C_REL], "spouse") == 0) {
		h->spouses++;
		h->opposite += f[C_SEX][0] != h->head_sex;
		h->have_spouse = 1;
		h->spouse_birth = b;
	} else if (strcmp(f[C_REL], "child") == 0) {
		/* born when the parents were 20 to 45 */
		age = date_age(h->head_birth, b);
		if (age < 20 || age > 45)
			h->bad_children++;
		if (h->have_spouse) {
			age = date_age(h->spouse_birth, b);
			if (age < 20 || age > 45)
				h->bad_children++;
		}
	} else if (strcmp(f[C_REL], "parent") == 0) {
		/* the head was born when this parent was 20 to 45 */
		age = date_age(b, h->head_birth);
		if (age < 20 || age > 45)
			h->bad_parents++;
	}
}

static void
test_households(void **st)
{
	struct state *s = *st;
	struct households h;
	char dir[512];

	subdir(s, "x", dir, sizeof(dir));
	assert_int_equal(gen(dir, "30000", "7", TEST_DATE), 0);
	memset(&h, 0, sizeof(h));
	assert_int_equal(each_resident(dir, households_row, &h), 30000);
	assert_int_equal(h.heads_here, 1);	/* the last household */
	assert_int_equal(h.bad_children, 0);
	assert_int_equal(h.bad_parents, 0);
	/* about 2.1 residents per household, couples mostly mixed */
	assert_true(h.households > 30000 / 2.5 && h.households < 30000 / 1.8);
	assert_true(h.spouses > 0 && h.opposite >= h.spouses * 97 / 100);
}

static void
test_cut_short(void **st)
{
	static const char *const ns[] = { "1", "2", "3", "4", "5", "7", "11" };
	struct state *s = *st;
	char dir[512], seed[16];
	struct households h;

	subdir(s, "x", dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (int k = 0; k < 20; k++) {
			snprintf(seed, sizeof(seed), "%d", k);
			assert_int_equal(gen(dir, ns[i], seed, TEST_DATE), 0);
			memset(&h, 0, sizeof(h));
			assert_int_equal(each_resident(dir, households_row, &h),
			    atoi(ns[i]));
			assert_int_equal(h.heads_here, 1);
		}
	}
}

struct ages {
	date_t d;
	long rows, old, young, babies, feb29, max_age;
};

static void
ages_row(char **f, void *arg)
{
	struct ages *a = arg;
	date_t b = parse_date(f[C_BIRTH]);
	int age = date_age(b, a->d);

	assert_true(b <= a->d);
	a->rows++;
	a->old += age >= 65;
	a->young += age < 15;
	a->babies += date_months(b, a->d) < 12;
	a->feb29 += strcmp(f[C_BIRTH] + 5, "02-29") == 0;
	if (age > a->max_age)
		a->max_age = age;
}

static void
test_age_pyramid(void **st)
{
	struct state *s = *st;
	struct ages a;
	char dir[512];

	subdir(s, "x", dir, sizeof(dir));
	assert_int_equal(gen(dir, "50000", "11", TEST_DATE), 0);
	memset(&a, 0, sizeof(a));
	a.d = today();
	assert_int_equal(each_resident(dir, ages_row, &a), 50000);
	/* about 27% aged 65 or over, 12% under 15 */
	assert_true(a.old >= a.rows * 24 / 100 && a.old <= a.rows * 30 / 100);
	assert_true(a.young >= a.rows * 9 / 100 &&
	    a.young <= a.rows * 15 / 100);
	/* infants (about 0.8%), leap-day births, centenarians at most 107 */
	assert_true(a.babies >= a.rows * 4 / 1000);
	assert_true(a.feb29 > 0);
	assert_true(a.max_age >= 95 && a.max_age <= 107);
}

struct ins {
	date_t d;
	long rows, welfare, late, hh_rows, hh_welfare;
	char hh[16], ward[64];
};

static void
ins_row(char **f, void *arg)
{
	struct ins *x = arg;
	int age = date_age(parse_date(f[C_BIRTH]), x->d);
	int welfare = strcmp(f[C_INS], "welfare") == 0;

	assert_true(in_list(f[C_INS], insurances));
	assert_true(in_list(f[C_WARD], wards));
	x->rows++;
	x->welfare += welfare;
	if (!welfare)
		/* 後期高齢者医療 exactly from 75 */
		assert_int_equal(strcmp(f[C_INS], "late_elderly") == 0,
		    age >= 75);
	else
		x->late += age >= 75;
	/* welfare and ward are household-wide */
	if (strcmp(f[C_HH], x->hh) != 0) {
		assert_true(x->hh_welfare == 0 || x->hh_welfare == x->hh_rows);
		snprintf(x->hh, sizeof(x->hh), "%s", f[C_HH]);
		snprintf(x->ward, sizeof(x->ward), "%s", f[C_WARD]);
		x->hh_rows = x->hh_welfare = 0;
	}
	assert_string_equal(f[C_WARD], x->ward);
	x->hh_rows++;
	x->hh_welfare += welfare;
}

static void
test_insurance(void **st)
{
	struct state *s = *st;
	struct ins x;
	char dir[512];

	subdir(s, "x", dir, sizeof(dir));
	assert_int_equal(gen(dir, "30000", "5", TEST_DATE), 0);
	memset(&x, 0, sizeof(x));
	x.d = today();
	assert_int_equal(each_resident(dir, ins_row, &x), 30000);
	assert_true(x.hh_welfare == 0 || x.hh_welfare == x.hh_rows);
	/* about 2% on public assistance */
	assert_true(x.welfare > x.rows / 200 && x.welfare < x.rows / 25);
}

struct dates {
	date_t d;
	long events, dups;
};

static void
dates_row(char **f, void *arg)
{
	struct dates *x = arg;
	date_t b = parse_date(f[C_BIRTH]), prev = b, e;
	char *item, *save = NULL, *at, *items[64], name[32];
	int n = 0;

	assert_true(b <= x->d);
	if (f[C_HISTORY][0] == '\0')
		return;
	assert_int_not_equal(f[C_HISTORY][strlen(f[C_HISTORY]) - 1], ';');
	assert_null(strstr(f[C_HISTORY], ";;"));
	for (item = strtok_r(f[C_HISTORY], ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save)) {
		assert_true(n < 64);
		items[n++] = item;
	}
	for (int i = 0; i < n; i++) {
		at = strchr(items[i], '@');
		assert_non_null(at);
		assert_true((size_t)(at - items[i]) < sizeof(name));
		memcpy(name, items[i], (size_t)(at - items[i]));
		name[at - items[i]] = '\0';
		assert_true(in_list(name, events));
		e = parse_date(at + 1);
		assert_true(e >= b);		/* not before birth */
		assert_true(e <= x->d);		/* nor after today */
		assert_true(e >= prev);		/* sorted by date */
		prev = e;
		/* the same event on the same date: a register duplicate */
		for (int j = 0; j < i; j++)
			if (strcmp(items[j], items[i]) == 0)
				x->dups++;
		x->events++;
	}
}

static void
test_dates(void **st)
{
	static const char *const days[] = {
		TEST_DATE, "2024-02-29", "2025-04-01", "2026-03-31",
	};
	struct state *s = *st;
	struct dates x;
	char dir[512];
	long dups = 0;

	subdir(s, "x", dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		assert_int_equal(gen(dir, "20000", "3", days[i]), 0);
		memset(&x, 0, sizeof(x));
		x.d = parse_date(days[i]);
		assert_int_equal(each_resident(dir, dates_row, &x), 20000);
		assert_true(x.events > 20000);
		/* duplicates are rare (about 1 resident in 2,000) */
		assert_true(x.dups < 40);
		dups += x.dups;
	}
	assert_true(dups > 0);
}

struct fields {
	date_t d;
	long rows, adults, unknown, exempt, sp, benefits, flags, active;
	long child_infant;
};

static void
fields_row(char **f, void *arg)
{
	struct fields *x = arg;
	int age = date_age(parse_date(f[C_BIRTH]), x->d);
	char *item, *save = NULL;

	x->rows++;
	assert_true(strcmp(f[C_SEX], "1") == 0 || strcmp(f[C_SEX], "2") == 0);
	assert_true(strcmp(f[C_TAXEX], "0") == 0 ||
	    strcmp(f[C_TAXEX], "1") == 0);
	assert_true(f[C_INCOME][0] == '\0' || all_digits(f[C_INCOME], 1, 15));
	assert_true(all_digits(f[C_DEPS], 1, 2));
	if (strcmp(f[C_REL], "head") != 0) {
		assert_string_equal(f[C_DEPS], "0");
		assert_string_equal(f[C_SP], "0");
	}
	assert_true(strcmp(f[C_SP], "0") == 0 || strcmp(f[C_SP], "1") == 0);
	assert_true(f[C_DPHYS][0] >= '0' && f[C_DPHYS][0] <= '6' &&
	    f[C_DPHYS][1] == '\0');
	assert_true(f[C_DINT][0] >= '0' && f[C_DINT][0] <= '2' &&
	    f[C_DINT][1] == '\0');
	assert_true(f[C_DMENT][0] >= '0' && f[C_DMENT][0] <= '3' &&
	    f[C_DMENT][1] == '\0');
	assert_true(f[C_FLAGS][0] == '\0' ||
	    strcmp(f[C_FLAGS], "institutional_care") == 0);
	assert_true(f[C_STATUS][0] == '\0' ||
	    strcmp(f[C_STATUS], "active") == 0);
	for (item = strtok_r(f[C_BENEFITS], ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save)) {
		assert_true(in_list(item, programs));
		x->benefits++;
	}
	if (age >= 18) {
		x->adults++;
		x->unknown += f[C_INCOME][0] == '\0';
	}
	/* a known income of 0 is always exempt; an unknown one never */
	if (strcmp(f[C_INCOME], "0") == 0)
		assert_string_equal(f[C_TAXEX], "1");
	if (f[C_INCOME][0] == '\0' && strcmp(f[C_INS], "welfare") != 0)
		assert_string_equal(f[C_TAXEX], "0");
	x->exempt += f[C_TAXEX][0] == '1';
	x->sp += f[C_SP][0] == '1';
	x->flags += f[C_FLAGS][0] != '\0';
	x->active += f[C_STATUS][0] != '\0';
}

static void
test_fields(void **st)
{
	struct state *s = *st;
	struct fields x;
	char dir[512];

	subdir(s, "x", dir, sizeof(dir));
	assert_int_equal(gen(dir, "30000", "9", TEST_DATE), 0);
	memset(&x, 0, sizeof(x));
	x.d = today();
	assert_int_equal(each_resident(dir, fields_row, &x), 30000);
	/* about 3% of adults with an unknown income */
	assert_true(x.unknown > x.adults / 100 && x.unknown < x.adults / 20);
	assert_true(x.exempt > 0 && x.exempt < x.rows);
	assert_true(x.sp > 0 && x.benefits > 0 && x.flags > 0);
	assert_true(x.active > 0 && x.active < x.rows / 10);
}

/* Adults by resident id, for the contact checks. */
struct adults {
	date_t d;
	long rows, adults;
	unsigned char *is_adult;	/* indexed by resident id */
};

static void
adults_row(char **f, void *arg)
{
	struct adults *x = arg;
	long id = strtol(f[C_ID], NULL, 10);
	int adult = date_age(parse_date(f[C_BIRTH]), x->d) >= 18;

	x->rows++;
	x->is_adult[id] = (unsigned char)adult;
	x->adults += adult;
}

static void
test_contacts(void **st)
{
	static const char *const consents[] = {
		"health", "child", "welfare", "tax", NULL,
	};
	struct state *s = *st;
	struct adults x;
	struct lines l;
	char dir[512], *buf, *line, *f[6], *item, *save, *at;
	size_t len;
	long id, last_id = 0, registered = 0, rows = 0, line_rows = 0, en = 0;
	long withdrawn = 0;
	int last_channel = 0, channel;

	subdir(s, "x", dir, sizeof(dir));
	assert_int_equal(gen(dir, "40000", "21", TEST_DATE), 0);
	memset(&x, 0, sizeof(x));
	x.d = today();
	x.is_adult = calloc(40001, 1);
	assert_non_null(x.is_adult);
	assert_int_equal(each_resident(dir, adults_row, &x), 40000);

	buf = slurp(dir, "contacts.csv", &len);
	lines_init(&l, buf, len);
	line = lines_next(&l);
	assert_non_null(line);
	assert_string_equal(line, contacts_header);
	while ((line = lines_next(&l)) != NULL) {
		split(line, f, 6);
		rows++;
		assert_true(all_digits(f[0], 10, 10));
		id = strtol(f[0], NULL, 10);
		assert_true(id >= 1 && id <= 40000);
		assert_true(x.is_adult[id]);	/* adults register */
		channel = strcmp(f[1], "line") == 0 ? 1 :
		    strcmp(f[1], "email") == 0 ? 2 : 0;
		assert_int_not_equal(channel, 0);
		/* in resident order, one contact per channel */
		assert_true(id >= last_id);
		if (id == last_id)
			assert_true(channel > last_channel);
		else
			registered++;
		last_id = id;
		last_channel = channel;
		if (channel == 1) {
			line_rows++;
			assert_int_equal(strlen(f[2]), 33);
			assert_int_equal(f[2][0], 'U');
			for (int i = 1; i < 33; i++)
				assert_non_null(strchr("0123456789abcdef",
				    f[2][i]));
		} else {
			at = strchr(f[2], '@');
			assert_non_null(at);
			assert_null(strchr(at + 1, '@'));
			assert_true(at > f[2]);
			assert_true(strcmp(at + 1, "mail.example.com") == 0 ||
			    strcmp(at + 1, "example.net") == 0 ||
			    strcmp(at + 1, "example.org") == 0);
		}
		assert_true(strcmp(f[3], "ja") == 0 || strcmp(f[3], "en") == 0);
		en += f[3][1] == 'n';
		save = NULL;
		if (f[4][0] != '\0') {
			assert_int_not_equal(f[4][strlen(f[4]) - 1], ';');
			assert_null(strstr(f[4], ";;"));
		}
		for (item = strtok_r(f[4], ";", &save); item != NULL;
		    item = strtok_r(NULL, ";", &save))
			assert_true(in_list(item, consents));
		assert_true(strcmp(f[5], "active") == 0 ||
		    strcmp(f[5], "withdrawn") == 0);
		withdrawn += f[5][0] == 'w';
	}
	free(buf);
	free(x.is_adult);
	/* about 30% of adults, mostly by LINE, some in English */
	assert_true(registered >= x.adults * 25 / 100 &&
	    registered <= x.adults * 35 / 100);
	assert_true(line_rows > rows / 2 && line_rows < rows * 9 / 10);
	assert_true(rows > registered && rows < registered * 115 / 100);
	assert_true(en > 0 && en < rows / 10);
	assert_true(withdrawn > 0 && withdrawn < rows / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_households, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cut_short, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_age_pyramid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_insurance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contacts, setup,
		    teardown),
	};

	/* keep the summary lines out of the test output */
	log_init("test_gen", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
