/* test_dates.c - unit tests of the calendar arithmetic (daemon/dates.c)
 * SPDX-License-Identifier: MIT
 *
 * Expectations come from the date rules (README, "Dates") and dates.h, never from the
 * implementation: fixed day numbers were computed by hand (see the comments
 * next to them), and the brute-force checks compare against a small
 * independent reference calendar built here by counting days year by year
 * and month by month.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dates.h"

/* ------------------------------------------------------------------ */
/* Independent reference calendar                                      */
/* ------------------------------------------------------------------ */

/* The table covers 1900 .. 2202 so that "the next anniversary" of a date
 * late in 2199, and April 1 of FY + 1 for D in FY 2199, can be computed. */
#define REF_Y0 1900
#define REF_Y1 2202

/* Hand-computed day numbers (days since 1970-01-01):
 *  1900-01-01: 1900..1969 is 70 years with the 17 leap years 1904..1968
 *              (1900 is not leap): 70 * 365 + 17 = 25567 days -> -25567.
 *  2000-01-01: 1970..1999 is 30 years with the 7 leap years 1972..1996:
 *              30 * 365 + 7 = 10957.
 *  2000-03-01: 10957 + 31 (Jan) + 29 (Feb, 2000 is leap) = 11017.
 *  2024-01-01: 54 years, 13 leap years 1972..2020: 19710 + 13 = 19723
 *              (= 1704067200 / 86400, the well-known Unix time).
 *  2200-01-01: 230 years; multiples of 4 in 1972..2196 are 57, minus 2100
 *              (not leap; 2000 is) = 56 leap years: 83950 + 56 = 84006,
 *              so 2199-12-31 is 84005. */
#define DN_1900_01_01 (-25567)
#define DN_2000_01_01 10957
#define DN_2000_03_01 11017
#define DN_2024_01_01 19723
#define DN_2199_12_31 84005

static date_t ref_year_start[REF_Y1 - REF_Y0 + 2];

static int
ref_leap(int y)
{
	if (y % 400 == 0)
		return 1;
	if (y % 100 == 0)
		return 0;
	return y % 4 == 0;
}

static int
ref_dim(int y, int m)
{
	static const int len[13] =
	    { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ref_leap(y))
		return 29;
	return len[m];
}

static int
ref_valid(int y, int m, int d)
{
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
		return 0;
	if (m < 1 || m > 12)
		return 0;
	return d >= 1 && d <= ref_dim(y, m);
}

static void
ref_init(void)
{
	int y;

	ref_year_start[1970 - REF_Y0] = 0;
	for (y = 1971; y <= REF_Y1 + 1; y++)
		ref_year_start[y - REF_Y0] = ref_year_start[y - 1 - REF_Y0] +
		    365 + ref_leap(y - 1);
	for (y = 1969; y >= REF_Y0; y--)
		ref_year_start[y - REF_Y0] = ref_year_start[y + 1 - REF_Y0] -
		    365 - ref_leap(y);
}

/* Day number of y-m-d by summing month lengths. */
static date_t
rd(int y, int m, int d)
{
	date_t t = ref_year_start[y - REF_Y0];
	int k;

	for (k = 1; k < m; k++)
		t += ref_dim(y, k);
	return t + d - 1;
}

static void
ref_to_ymd(date_t t, int *y, int *m, int *d)
{
	int yy = REF_Y0, mm = 1;

	while (ref_year_start[yy + 1 - REF_Y0] <= t)
		yy++;
	t -= ref_year_start[yy - REF_Y0];
	while (t >= ref_dim(yy, mm)) {
		t -= ref_dim(yy, mm);
		mm++;
	}
	*y = yy;
	*m = mm;
	*d = (int)t + 1;
}

/* For messages: the reference rendering of t into buf[DS_LEN]. */
#define DS_LEN 48

static const char *
ds(date_t t, char *buf)
{
	int y, m, d;

	ref_to_ymd(t, &y, &m, &d);
	snprintf(buf, DS_LEN, "%04d-%02d-%02d", y, m, d);
	return buf;
}

/* The anniversary of b after `months` months is b's day of
 * month in the month `months` months after b's month; if that month has no
 * such day, the first day of the month after it. */
static date_t
ref_anniv(int by, int bm, int bd, int months)
{
	int idx = bm - 1 + months;
	int y = by + idx / 12;
	int m = idx % 12 + 1;

	if (bd <= ref_dim(y, m))
		return rd(y, m, bd);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return rd(y, m, 1);
}

/* months(b) on `on` by definition: the largest m >= 0 whose anniversary is
 * on or before `on`; -1 if there is none (on < b). */
static int
ref_months(date_t b, date_t on)
{
	int by, bm, bd, m;

	ref_to_ymd(b, &by, &bm, &bd);
	if (ref_anniv(by, bm, bd, 0) > on)
		return -1;
	for (m = 0; ref_anniv(by, bm, bd, m + 1) <= on; m++)
		;
	return m;
}

static int
ref_age(date_t b, date_t on)
{
	int n = ref_months(b, on);

	return n < 0 ? -1 : n / 12;
}

static int
ref_fy(date_t t)
{
	int y, m, d;

	ref_to_ymd(t, &y, &m, &d);
	return m >= 4 ? y : y - 1;
}

/* Deterministic pseudo-random numbers for the sampled property tests. */
static uint32_t rng_state = 12345u;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) & 0xffffffu;
}

static date_t
rng_date(date_t lo, date_t hi)
{
	uint32_t span = (uint32_t)(hi - lo) + 1;
	uint32_t r = (rng() << 8) ^ rng();

	return lo + (date_t)(r % span);
}

/* Compare two integers; on mismatch print context and fail. */
#define CHECK_EQ(got, exp, fmt, ...) do {				\
	long got_ = (long)(got), exp_ = (long)(exp);			\
	if (got_ != exp_) {						\
		print_error("%s:%d: got %ld, expected %ld: " fmt "\n",	\
		    __FILE__, __LINE__, got_, exp_, __VA_ARGS__);	\
		fail();							\
	}								\
} while (0)

static int
group_setup(void **state)
{
	(void)state;
	ref_init();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reference self-check                                                 */
/* ------------------------------------------------------------------ */

static void
test_reference_calendar(void **state)
{
	(void)state;
	/* The reference must agree with the hand-computed constants, or
	 * every other expectation in this file is suspect. */
	assert_int_equal(rd(1970, 1, 1), 0);
	assert_int_equal(rd(1900, 1, 1), DN_1900_01_01);
	assert_int_equal(rd(2000, 1, 1), DN_2000_01_01);
	assert_int_equal(rd(2000, 3, 1), DN_2000_03_01);
	assert_int_equal(rd(2024, 1, 1), DN_2024_01_01);
	assert_int_equal(rd(2199, 12, 31), DN_2199_12_31);
}

/* ------------------------------------------------------------------ */
/* Leap years, month lengths, validity                                  */
/* ------------------------------------------------------------------ */

static void
test_leap_years(void **state)
{
	(void)state;
	assert_false(date_is_leap(1900));
	assert_true(date_is_leap(1904));
	assert_true(date_is_leap(1996));
	assert_false(date_is_leap(1999));
	assert_true(date_is_leap(2000));
	assert_false(date_is_leap(2023));
	assert_true(date_is_leap(2024));
	assert_false(date_is_leap(2100));
	assert_false(date_is_leap(2101));
	assert_true(date_is_leap(2196));
	assert_false(date_is_leap(2199));
	for (int y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++)
		CHECK_EQ(date_is_leap(y) != 0, ref_leap(y), "year %d", y);
}

static void
test_days_in_month(void **state)
{
	static const int common[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	(void)state;
	for (int m = 1; m <= 12; m++) {
		assert_int_equal(date_days_in_month(2023, m), common[m - 1]);
		assert_int_equal(date_days_in_month(1900, m), common[m - 1]);
		assert_int_equal(date_days_in_month(2100, m), common[m - 1]);
		assert_int_equal(date_days_in_month(2024, m),
		    m == 2 ? 29 : common[m - 1]);
		assert_int_equal(date_days_in_month(2000, m),
		    m == 2 ? 29 : common[m - 1]);
	}
	for (int y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++)
		for (int m = 1; m <= 12; m++)
			CHECK_EQ(date_days_in_month(y, m), ref_dim(y, m),
			    "%04d-%02d", y, m);
}

static void
test_valid_ymd_cases(void **state)
{
	(void)state;
	assert_true(date_valid_ymd(2024, 1, 1));
	assert_true(date_valid_ymd(2024, 2, 29));
	assert_false(date_valid_ymd(2023, 2, 29));
	assert_false(date_valid_ymd(1900, 2, 29));
	assert_true(date_valid_ymd(2000, 2, 29));
	assert_false(date_valid_ymd(2100, 2, 29));
	assert_false(date_valid_ymd(2024, 4, 31));
	assert_true(date_valid_ymd(2024, 4, 30));
	assert_false(date_valid_ymd(2024, 0, 1));
	assert_false(date_valid_ymd(2024, 13, 1));
	assert_false(date_valid_ymd(2024, 1, 0));
	assert_false(date_valid_ymd(2024, 1, 32));
	assert_false(date_valid_ymd(2024, -1, 1));
	assert_false(date_valid_ymd(2024, 1, -1));
	/* supported range */
	assert_true(date_valid_ymd(1900, 1, 1));
	assert_true(date_valid_ymd(2199, 12, 31));
	assert_false(date_valid_ymd(1899, 12, 31));
	assert_false(date_valid_ymd(2200, 1, 1));
	assert_false(date_valid_ymd(0, 1, 1));
	assert_false(date_valid_ymd(-1, 1, 1));
	assert_false(date_valid_ymd(9999, 12, 31));
}

static void
test_valid_ymd_exhaustive(void **state)
{
	(void)state;
	for (int y = 1890; y <= 2210; y++)
		for (int m = -1; m <= 14; m++)
			for (int d = -1; d <= 33; d++)
				CHECK_EQ(date_valid_ymd(y, m, d) != 0,
				    ref_valid(y, m, d), "%d-%d-%d", y, m, d);
}

/* ------------------------------------------------------------------ */
/* Day numbers                                                          */
/* ------------------------------------------------------------------ */

static void
test_known_day_numbers(void **state)
{
	(void)state;
	assert_int_equal(date_from_ymd(1970, 1, 1), 0);
	assert_int_equal(date_from_ymd(1970, 1, 2), 1);
	assert_int_equal(date_from_ymd(1969, 12, 31), -1);
	assert_int_equal(date_from_ymd(1900, 1, 1), DN_1900_01_01);
	assert_int_equal(date_from_ymd(2000, 1, 1), DN_2000_01_01);
	assert_int_equal(date_from_ymd(2000, 2, 29), DN_2000_03_01 - 1);
	assert_int_equal(date_from_ymd(2000, 3, 1), DN_2000_03_01);
	assert_int_equal(date_from_ymd(2024, 1, 1), DN_2024_01_01);
	assert_int_equal(date_from_ymd(2199, 12, 31), DN_2199_12_31);
	/* 1900-02-28 -> 1900-03-01 is one day (no Feb 29 in 1900). */
	assert_int_equal(date_from_ymd(1900, 3, 1) -
	    date_from_ymd(1900, 2, 28), 1);
	assert_int_equal(date_from_ymd(2100, 3, 1) -
	    date_from_ymd(2100, 2, 28), 1);
	assert_int_equal(date_from_ymd(2000, 3, 1) -
	    date_from_ymd(2000, 2, 28), 2);
}

static void
test_to_ymd_known(void **state)
{
	int y, m, d;

	(void)state;
	date_to_ymd(0, &y, &m, &d);
	assert_int_equal(y, 1970);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	date_to_ymd(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	date_to_ymd(DN_2000_03_01 - 1, &y, &m, &d);
	assert_int_equal(y, 2000);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	date_to_ymd(DN_1900_01_01, &y, &m, &d);
	assert_int_equal(y, 1900);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	date_to_ymd(DN_2199_12_31, &y, &m, &d);
	assert_int_equal(y, 2199);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
}

/* Every day of 1900 .. 2199, in order: consecutive day numbers starting at
 * the hand-computed -25567, and date_to_ymd inverts date_from_ymd. */
static void
test_ymd_roundtrip_all(void **state)
{
	date_t t = DN_1900_01_01;
	int y, m, d, yy, mm, dd;

	(void)state;
	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= ref_dim(y, m); d++) {
				CHECK_EQ(date_from_ymd(y, m, d), t,
				    "%04d-%02d-%02d", y, m, d);
				date_to_ymd(t, &yy, &mm, &dd);
				CHECK_EQ(yy, y, "year of %d", (int)t);
				CHECK_EQ(mm, m, "month of %d", (int)t);
				CHECK_EQ(dd, d, "day of %d", (int)t);
				t++;
			}
		}
	}
	assert_int_equal(t, DN_2199_12_31 + 1);
}

/* ------------------------------------------------------------------ */
/* date_format                                                          */
/* ------------------------------------------------------------------ */

static void
test_format_known(void **state)
{
	char buf[DATE_STRLEN + 1];

	(void)state;
	date_format(0, buf);
	assert_string_equal(buf, "1970-01-01");
	date_format(DN_1900_01_01, buf);
	assert_string_equal(buf, "1900-01-01");
	date_format(DN_2199_12_31, buf);
	assert_string_equal(buf, "2199-12-31");
	date_format(DN_2000_03_01, buf);
	assert_string_equal(buf, "2000-03-01");
	date_format(DN_2000_03_01 - 1, buf);
	assert_string_equal(buf, "2000-02-29");
	date_format(DN_2024_01_01 - 1, buf);
	assert_string_equal(buf, "2023-12-31");
	date_format(rd(2009, 10, 9), buf);
	assert_string_equal(buf, "2009-10-09");
}

static void
test_format_writes_exactly_11_bytes(void **state)
{
	char buf[16];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	date_format(rd(2026, 4, 1), buf);
	assert_memory_equal(buf, "2026-04-01", DATE_STRLEN + 1);
	for (size_t i = DATE_STRLEN + 1; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
	/* exactly sized heap buffer: an overrun shows up under ASan */
	char *hb = malloc(DATE_STRLEN + 1);

	assert_non_null(hb);
	date_format(DN_2199_12_31, hb);
	assert_string_equal(hb, "2199-12-31");
	free(hb);
}

/* Every supported day formats like printf("%04d-%02d-%02d") of the
 * reference calendar and parses back to itself. */
static void
test_format_parse_roundtrip_all(void **state)
{
	char buf[DATE_STRLEN + 1], exp[32];
	date_t t = DN_1900_01_01, back;

	(void)state;
	for (int y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= ref_dim(y, m); d++) {
				snprintf(exp, sizeof(exp), "%04d-%02d-%02d",
				    y, m, d);
				memset(buf, 'X', sizeof(buf));
				date_format(t, buf);
				if (strcmp(buf, exp) != 0) {
					print_error("format(%d) = \"%.11s\", "
					    "expected %s\n", (int)t, buf, exp);
					fail();
				}
				back = -99999;
				CHECK_EQ(date_parse(buf, DATE_STRLEN, &back),
				    DATE_OK, "parse %s", buf);
				CHECK_EQ(back, t, "parse %s", buf);
				t++;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* date_parse                                                           */
/* ------------------------------------------------------------------ */

/* Parse a NUL-terminated string using its full length. */
static int
parse_str(const char *s, date_t *out)
{
	return date_parse(s, strlen(s), out);
}

static void
expect_parse_ok(const char *s, date_t want)
{
	date_t got = -99999;
	int rc = parse_str(s, &got);

	if (rc != DATE_OK) {
		print_error("parse \"%s\": rc %d, expected DATE_OK\n", s, rc);
		fail();
	}
	if (got != want) {
		print_error("parse \"%s\": %d, expected %d\n", s, (int)got,
		    (int)want);
		fail();
	}
}

static void
expect_parse_err(const char *s, size_t len, int want)
{
	date_t got = -99999;
	int rc = date_parse(s, len, &got);

	if (rc != want) {
		print_error("parse \"%.*s\" (len %zu): rc %d, expected %d\n",
		    (int)len, s, len, rc, want);
		fail();
	}
}

#define PARSE_ERR(s, code) expect_parse_err((s), strlen(s), (code))

static void
test_parse_valid(void **state)
{
	(void)state;
	expect_parse_ok("1970-01-01", 0);
	expect_parse_ok("1970-01-02", 1);
	expect_parse_ok("1969-12-31", -1);
	expect_parse_ok("2000-03-01", DN_2000_03_01);
	expect_parse_ok("2024-01-01", DN_2024_01_01);
	expect_parse_ok("2026-03-31", rd(2026, 3, 31));
	expect_parse_ok("2026-04-01", rd(2026, 4, 1));
	expect_parse_ok("2023-02-28", rd(2023, 2, 28));
	expect_parse_ok("2023-12-31", rd(2023, 12, 31));
	expect_parse_ok("2024-04-30", rd(2024, 4, 30));
	expect_parse_ok("2024-01-31", rd(2024, 1, 31));
}

static void
test_parse_leap_days(void **state)
{
	(void)state;
	PARSE_ERR("2023-02-29", DATE_EINVALID);
	expect_parse_ok("2024-02-29", DN_2024_01_01 + 31 + 28);
	PARSE_ERR("1900-02-29", DATE_EINVALID);
	expect_parse_ok("2000-02-29", DN_2000_03_01 - 1);
	PARSE_ERR("2100-02-29", DATE_EINVALID);
	expect_parse_ok("2096-02-29", rd(2096, 2, 29));
	PARSE_ERR("2024-02-30", DATE_EINVALID);
	PARSE_ERR("2000-02-30", DATE_EINVALID);
}

static void
test_parse_bad_month(void **state)
{
	(void)state;
	PARSE_ERR("2024-00-01", DATE_EINVALID);
	PARSE_ERR("2024-13-01", DATE_EINVALID);
	PARSE_ERR("2024-99-01", DATE_EINVALID);
	PARSE_ERR("2024-00-00", DATE_EINVALID);
	expect_parse_ok("2024-12-01", rd(2024, 12, 1));
}

static void
test_parse_bad_day(void **state)
{
	(void)state;
	PARSE_ERR("2024-01-00", DATE_EINVALID);
	PARSE_ERR("2024-01-32", DATE_EINVALID);
	PARSE_ERR("2024-12-32", DATE_EINVALID);
	PARSE_ERR("2024-01-99", DATE_EINVALID);
}

static void
test_parse_month_lengths(void **state)
{
	(void)state;
	PARSE_ERR("2024-04-31", DATE_EINVALID);
	PARSE_ERR("2024-06-31", DATE_EINVALID);
	PARSE_ERR("2024-09-31", DATE_EINVALID);
	PARSE_ERR("2024-11-31", DATE_EINVALID);
	expect_parse_ok("2024-04-30", rd(2024, 4, 30));
	expect_parse_ok("2024-06-30", rd(2024, 6, 30));
	expect_parse_ok("2024-09-30", rd(2024, 9, 30));
	expect_parse_ok("2024-11-30", rd(2024, 11, 30));
	expect_parse_ok("2024-03-31", rd(2024, 3, 31));
	expect_parse_ok("2024-05-31", rd(2024, 5, 31));
	expect_parse_ok("2024-07-31", rd(2024, 7, 31));
	expect_parse_ok("2024-08-31", rd(2024, 8, 31));
	expect_parse_ok("2024-10-31", rd(2024, 10, 31));
	expect_parse_ok("2024-12-31", rd(2024, 12, 31));
}

static void
test_parse_wrong_length(void **state)
{
	(void)state;
	PARSE_ERR("", DATE_EFORMAT);
	PARSE_ERR("2024", DATE_EFORMAT);
	PARSE_ERR("2024-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-1", DATE_EFORMAT);
	PARSE_ERR("2024-1-01", DATE_EFORMAT);
	PARSE_ERR("2024-1-1", DATE_EFORMAT);
	PARSE_ERR("24-01-01", DATE_EFORMAT);
	PARSE_ERR("20240101", DATE_EFORMAT);
	PARSE_ERR("2024-01-011", DATE_EFORMAT);
	PARSE_ERR("02024-01-01", DATE_EFORMAT);
	PARSE_ERR("12024-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-001-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-01T00:00:00", DATE_EFORMAT);
	PARSE_ERR("2024-01-01\n", DATE_EFORMAT);
}

static void
test_parse_signs(void **state)
{
	(void)state;
	PARSE_ERR("+2024-01-01", DATE_EFORMAT);
	PARSE_ERR("-2024-01-01", DATE_EFORMAT);
	PARSE_ERR("+024-01-01", DATE_EFORMAT);
	PARSE_ERR("-024-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-+1-01", DATE_EFORMAT);
	PARSE_ERR("2024--1-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-+1", DATE_EFORMAT);
	PARSE_ERR("2024-01--1", DATE_EFORMAT);
	PARSE_ERR("2024-+01-1", DATE_EFORMAT);
}

static void
test_parse_spaces(void **state)
{
	(void)state;
	PARSE_ERR(" 2024-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-01 ", DATE_EFORMAT);
	PARSE_ERR(" 024-01-01", DATE_EFORMAT);
	PARSE_ERR("2024- 1-01", DATE_EFORMAT);
	PARSE_ERR("2024-01- 1", DATE_EFORMAT);
	PARSE_ERR("2024-1 -01", DATE_EFORMAT);
	PARSE_ERR("2024 01 01", DATE_EFORMAT);
	PARSE_ERR("2024-01-1 ", DATE_EFORMAT);
	PARSE_ERR("2024-01-\t1", DATE_EFORMAT);
	PARSE_ERR("          ", DATE_EFORMAT);
}

static void
test_parse_non_digits(void **state)
{
	(void)state;
	PARSE_ERR("20x4-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-0a-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-0a", DATE_EFORMAT);
	PARSE_ERR("abcd-ef-gh", DATE_EFORMAT);
	PARSE_ERR("YYYY-MM-DD", DATE_EFORMAT);
	PARSE_ERR("2024-0O-01", DATE_EFORMAT);	/* letter O */
	PARSE_ERR("2O24-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-0/", DATE_EFORMAT);	/* '0' - 1 */
	PARSE_ERR("2024-01-0:", DATE_EFORMAT);	/* '9' + 1 */
	PARSE_ERR("/024-01-01", DATE_EFORMAT);
	PARSE_ERR(":024-01-01", DATE_EFORMAT);
	PARSE_ERR("2024-01-0\xff", DATE_EFORMAT);
	PARSE_ERR("\xef\xbc\x92" "024-01-01", DATE_EFORMAT);	/* fullwidth 2 */
	PARSE_ERR("----------", DATE_EFORMAT);
	PARSE_ERR("0x10-01-01", DATE_EFORMAT);
}

static void
test_parse_separators(void **state)
{
	(void)state;
	PARSE_ERR("2024/01/01", DATE_EFORMAT);
	PARSE_ERR("2024.01.01", DATE_EFORMAT);
	PARSE_ERR("2024-01/01", DATE_EFORMAT);
	PARSE_ERR("2024/01-01", DATE_EFORMAT);
	PARSE_ERR("2024_01_01", DATE_EFORMAT);
	PARSE_ERR("20240-1-01", DATE_EFORMAT);
	PARSE_ERR("202-401-01", DATE_EFORMAT);
	PARSE_ERR("2024-0101-", DATE_EFORMAT);
	PARSE_ERR("01-01-2024", DATE_EFORMAT);
	PARSE_ERR("2024\xe2\x80\x90" "01-01", DATE_EFORMAT);	/* U+2010 */
}

static void
test_parse_embedded_nul(void **state)
{
	(void)state;
	expect_parse_err("2024-01-\0" "1", DATE_STRLEN, DATE_EFORMAT);
	expect_parse_err("2024\0" "01-01", DATE_STRLEN, DATE_EFORMAT);
	expect_parse_err("\0" "024-01-01", DATE_STRLEN, DATE_EFORMAT);
	expect_parse_err("2024-01-01\0", DATE_STRLEN + 1, DATE_EFORMAT);
}

static void
test_parse_range(void **state)
{
	(void)state;
	PARSE_ERR("1899-12-31", DATE_ERANGE);
	PARSE_ERR("2200-01-01", DATE_ERANGE);
	PARSE_ERR("1899-01-01", DATE_ERANGE);
	PARSE_ERR("2200-12-31", DATE_ERANGE);
	PARSE_ERR("0000-01-01", DATE_ERANGE);
	PARSE_ERR("0001-01-01", DATE_ERANGE);
	PARSE_ERR("1000-06-15", DATE_ERANGE);
	PARSE_ERR("9999-12-31", DATE_ERANGE);
	PARSE_ERR("2400-02-29", DATE_ERANGE);	/* real leap day, too late */
}

static void
test_parse_range_endpoints(void **state)
{
	(void)state;
	expect_parse_ok("1900-01-01", DN_1900_01_01);
	expect_parse_ok("2199-12-31", DN_2199_12_31);
	expect_parse_ok("1900-12-31", rd(1900, 12, 31));
	expect_parse_ok("2199-01-01", rd(2199, 1, 1));
}

/* Out-of-range years are never accepted, whatever the month and day. */
static void
test_parse_out_of_range_years(void **state)
{
	char buf[48];
	date_t out;
	int rc;

	(void)state;
	for (int y = 0; y <= 9999; y++) {
		if (y >= DATE_MIN_YEAR && y <= DATE_MAX_YEAR)
			continue;
		for (int m = 0; m <= 13; m++) {
			for (int d = 0; d <= 32; d += (y % 50 == 0) ? 1 : 8) {
				snprintf(buf, sizeof(buf), "%04d-%02d-%02d",
				    y, m, d);
				out = -99999;
				rc = date_parse(buf, DATE_STRLEN, &out);
				if (rc == DATE_OK) {
					print_error("parse %s accepted\n", buf);
					fail();
				}
				/* A real calendar day outside the years is
				 * DATE_ERANGE. */
				if (m >= 1 && m <= 12 && d >= 1 &&
				    d <= ref_dim(y, m))
					CHECK_EQ(rc, DATE_ERANGE, "parse %s",
					    buf);
				else
					assert_true(rc == DATE_EINVALID ||
					    rc == DATE_ERANGE);
			}
		}
	}
}

/* Every month 00..13 and day 00..32 (and 99) of every supported year. */
static void
test_parse_fields_exhaustive(void **state)
{
	char buf[48];
	date_t out;
	int rc;

	(void)state;
	for (int y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		for (int m = 0; m <= 13; m++) {
			for (int d = 0; d <= 33; d++) {
				int dd = d == 33 ? 99 : d;

				snprintf(buf, sizeof(buf), "%04d-%02d-%02d",
				    y, m, dd);
				out = -99999;
				rc = date_parse(buf, DATE_STRLEN, &out);
				if (ref_valid(y, m, dd)) {
					CHECK_EQ(rc, DATE_OK, "parse %s", buf);
					CHECK_EQ(out, rd(y, m, dd), "parse %s",
					    buf);
				} else {
					CHECK_EQ(rc, DATE_EINVALID, "parse %s",
					    buf);
				}
			}
		}
	}
}

/* date_parse reads exactly len bytes: bytes after them do not matter, and
 * exactly sized heap buffers (no NUL) are not overrun (ASan). */
static void
test_parse_exact_length(void **state)
{
	char *hb;
	date_t out = -99999;

	(void)state;
	assert_int_equal(date_parse("2024-01-01XYZ", DATE_STRLEN, &out),
	    DATE_OK);
	assert_int_equal(out, DN_2024_01_01);
	out = -99999;
	assert_int_equal(date_parse("2000-03-01 and more", DATE_STRLEN, &out),
	    DATE_OK);
	assert_int_equal(out, DN_2000_03_01);
	expect_parse_err("2024-01-01XYZ", DATE_STRLEN + 1, DATE_EFORMAT);
	expect_parse_err("2024-01-01", DATE_STRLEN - 1, DATE_EFORMAT);
	expect_parse_err("2024-01-01", 0, DATE_EFORMAT);

	hb = malloc(DATE_STRLEN);
	assert_non_null(hb);
	memcpy(hb, "2199-12-31", DATE_STRLEN);
	out = -99999;
	assert_int_equal(date_parse(hb, DATE_STRLEN, &out), DATE_OK);
	assert_int_equal(out, DN_2199_12_31);
	free(hb);

	/* short inputs in exactly sized buffers */
	for (size_t n = 1; n < DATE_STRLEN; n++) {
		hb = malloc(n);
		assert_non_null(hb);
		memcpy(hb, "2024-01-01", n);
		expect_parse_err(hb, n, DATE_EFORMAT);
		free(hb);
	}
}

static void
test_strerror(void **state)
{
	static const int codes[] =
	    { DATE_OK, DATE_EFORMAT, DATE_EINVALID, DATE_ERANGE };
	const char *s[4];

	(void)state;
	/* the codes are distinct and negative for errors */
	assert_int_equal(DATE_OK, 0);
	assert_true(DATE_EFORMAT < 0);
	assert_true(DATE_EINVALID < 0);
	assert_true(DATE_ERANGE < 0);
	assert_true(DATE_EFORMAT != DATE_EINVALID);
	assert_true(DATE_EFORMAT != DATE_ERANGE);
	assert_true(DATE_EINVALID != DATE_ERANGE);
	for (int i = 0; i < 4; i++) {
		s[i] = date_strerror(codes[i]);
		assert_non_null(s[i]);
		assert_true(strlen(s[i]) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(s[i], s[j]);
	}
	assert_non_null(date_strerror(-42));
	assert_non_null(date_strerror(7));
}

/* ------------------------------------------------------------------ */
/* Anniversaries                                                        */
/* ------------------------------------------------------------------ */

static void
expect_anniv(int by, int bm, int bd, int months, int y, int m, int d)
{
	date_t got = date_anniversary(rd(by, bm, bd), months);
	char g[DS_LEN];

	if (got != rd(y, m, d)) {
		print_error("anniversary(%04d-%02d-%02d, %d) = %s, expected "
		    "%04d-%02d-%02d\n", by, bm, bd, months, ds(got, g),
		    y, m, d);
		fail();
	}
}

static void
test_anniv_zero_months(void **state)
{
	(void)state;
	for (date_t t = DN_1900_01_01; t <= DN_2199_12_31; t++)
		CHECK_EQ(date_anniversary(t, 0), t, "day %d", (int)t);
}

static void
test_anniv_plain(void **state)
{
	(void)state;
	expect_anniv(2000, 5, 10, 1, 2000, 6, 10);
	expect_anniv(2000, 5, 10, 12, 2001, 5, 10);
	expect_anniv(2000, 5, 10, 240, 2020, 5, 10);
	expect_anniv(2000, 1, 15, 11, 2000, 12, 15);
	expect_anniv(2000, 1, 28, 1, 2000, 2, 28);
	expect_anniv(2023, 1, 28, 1, 2023, 2, 28);
	expect_anniv(2000, 3, 1, 12, 2001, 3, 1);
}

static void
test_anniv_jan31(void **state)
{
	(void)state;
	/* Feb has no 31st: the first of March, in common and leap years */
	expect_anniv(2023, 1, 31, 1, 2023, 3, 1);
	expect_anniv(2024, 1, 31, 1, 2024, 3, 1);
	expect_anniv(1900, 1, 31, 1, 1900, 3, 1);
	expect_anniv(2000, 1, 31, 1, 2000, 3, 1);
	expect_anniv(2023, 1, 31, 2, 2023, 3, 31);
	expect_anniv(2023, 1, 31, 3, 2023, 5, 1);	/* Apr has 30 */
	expect_anniv(2023, 1, 31, 12, 2024, 1, 31);
	expect_anniv(2023, 1, 31, 13, 2024, 3, 1);
}

static void
test_anniv_jan30_jan29(void **state)
{
	(void)state;
	expect_anniv(2023, 1, 30, 1, 2023, 3, 1);
	expect_anniv(2024, 1, 30, 1, 2024, 3, 1);
	expect_anniv(2023, 1, 29, 1, 2023, 3, 1);
	expect_anniv(2024, 1, 29, 1, 2024, 2, 29);
	expect_anniv(2023, 1, 30, 2, 2023, 3, 30);
	expect_anniv(1900, 1, 29, 1, 1900, 3, 1);
	expect_anniv(2000, 1, 29, 1, 2000, 2, 29);
	expect_anniv(2100, 1, 29, 1, 2100, 3, 1);
}

static void
test_anniv_feb29(void **state)
{
	(void)state;
	expect_anniv(2000, 2, 29, 12, 2001, 3, 1);
	expect_anniv(2000, 2, 29, 24, 2002, 3, 1);
	expect_anniv(2000, 2, 29, 36, 2003, 3, 1);
	expect_anniv(2000, 2, 29, 48, 2004, 2, 29);
	expect_anniv(2000, 2, 29, 1, 2000, 3, 29);
	expect_anniv(2000, 2, 29, 13, 2001, 3, 29);
	expect_anniv(2000, 2, 29, 11, 2001, 1, 29);
	expect_anniv(2096, 2, 29, 48, 2100, 3, 1);	/* 2100 is common */
	expect_anniv(2096, 2, 29, 96, 2104, 2, 29);
	expect_anniv(2024, 2, 29, 12, 2025, 3, 1);
	expect_anniv(2024, 2, 29, 24, 2026, 3, 1);
	expect_anniv(2024, 2, 29, 48, 2028, 2, 29);
}

static void
test_anniv_month_ends(void **state)
{
	(void)state;
	expect_anniv(2023, 3, 31, 1, 2023, 5, 1);
	expect_anniv(2023, 5, 31, 1, 2023, 7, 1);
	expect_anniv(2023, 8, 31, 1, 2023, 10, 1);
	expect_anniv(2023, 10, 31, 1, 2023, 12, 1);
	expect_anniv(2023, 7, 31, 1, 2023, 8, 31);
	expect_anniv(2023, 12, 31, 1, 2024, 1, 31);
	expect_anniv(2023, 12, 31, 2, 2024, 3, 1);
	expect_anniv(2022, 12, 31, 2, 2023, 3, 1);
	expect_anniv(2023, 12, 31, 3, 2024, 3, 31);
	expect_anniv(2023, 12, 31, 4, 2024, 5, 1);
	expect_anniv(2023, 4, 30, 1, 2023, 5, 30);
	expect_anniv(2023, 4, 30, 10, 2024, 3, 1);	/* Feb 2024: 29 */
	expect_anniv(2023, 11, 30, 3, 2024, 3, 1);
	expect_anniv(2022, 11, 30, 3, 2023, 3, 1);
	expect_anniv(2022, 11, 29, 3, 2023, 3, 1);
	expect_anniv(2023, 11, 29, 3, 2024, 2, 29);
}

static void
test_anniv_year_wrap(void **state)
{
	(void)state;
	expect_anniv(2023, 11, 15, 3, 2024, 2, 15);
	expect_anniv(2023, 12, 1, 1, 2024, 1, 1);
	expect_anniv(2023, 12, 1, 13, 2025, 1, 1);
	expect_anniv(2023, 6, 15, 25, 2025, 7, 15);
	expect_anniv(2023, 12, 15, 12, 2024, 12, 15);
	expect_anniv(2023, 12, 15, 11, 2024, 11, 15);
}

static void
test_anniv_long_spans(void **state)
{
	(void)state;
	expect_anniv(1900, 1, 1, 3599, 2199, 12, 1);
	expect_anniv(1900, 1, 31, 3599, 2199, 12, 31);
	expect_anniv(1900, 1, 31, 3598, 2199, 12, 1);	/* Nov 2199: 30 */
	expect_anniv(1904, 2, 29, 1152, 2000, 2, 29);	/* 96 years */
	expect_anniv(1904, 2, 29, 1200, 2004, 2, 29);
	expect_anniv(1904, 2, 29, 2352, 2100, 3, 1);	/* 196 years */
	expect_anniv(1950, 7, 20, 1200, 2050, 7, 20);
}

/* date_anniversary agrees with the contract's definition for a wide
 * sample of births and month counts. */
static void
test_anniv_vs_reference(void **state)
{
	char b1[DS_LEN], b2[DS_LEN];
	int by, bm, bd;

	(void)state;
	rng_state = 4242u;
	for (int i = 0; i < 200000; i++) {
		date_t b = rng_date(DN_1900_01_01, DN_2199_12_31 - 31);
		int maxm, n;
		date_t got, want;

		ref_to_ymd(b, &by, &bm, &bd);
		/* keep the result inside the supported range */
		maxm = (DATE_MAX_YEAR - by) * 12 + (12 - bm) - 1;
		if (maxm < 0)
			continue;
		n = (int)(rng() % (uint32_t)(maxm + 1));
		got = date_anniversary(b, n);
		want = ref_anniv(by, bm, bd, n);
		if (got != want) {
			print_error("anniversary(%s, %d) = %s, expected %s\n",
			    ds(b, b1), n, ds(got, b2), ds(want, b1));
			fail();
		}
	}
}

/* Anniversaries strictly increase with m, and each lies on b's day of
 * month or on the 1st. */
static void
test_anniv_increasing(void **state)
{
	int y, m, d, by, bm, bd;

	(void)state;
	for (date_t b = rd(1999, 1, 1); b <= rd(2001, 12, 31); b++) {
		date_t prev = date_anniversary(b, 0);

		ref_to_ymd(b, &by, &bm, &bd);
		for (int n = 1; n <= 60; n++) {
			date_t a = date_anniversary(b, n);

			CHECK_EQ(a > prev, 1, "birth %d months %d", (int)b, n);
			ref_to_ymd(a, &y, &m, &d);
			CHECK_EQ(d == bd || d == 1, 1, "birth %d months %d",
			    (int)b, n);
			prev = a;
		}
	}
}

/* ------------------------------------------------------------------ */
/* months() and age()                                                   */
/* ------------------------------------------------------------------ */

static void
test_months_basic(void **state)
{
	date_t b = rd(2000, 5, 10);

	(void)state;
	assert_int_equal(date_months(b, rd(2000, 6, 9)), 0);
	assert_int_equal(date_months(b, rd(2000, 6, 10)), 1);
	assert_int_equal(date_months(b, rd(2000, 6, 11)), 1);
	assert_int_equal(date_months(b, rd(2000, 7, 9)), 1);
	assert_int_equal(date_months(b, rd(2000, 7, 10)), 2);
	assert_int_equal(date_months(b, rd(2001, 5, 9)), 11);
	assert_int_equal(date_months(b, rd(2001, 5, 10)), 12);
	assert_int_equal(date_months(b, rd(2020, 5, 9)), 239);
	assert_int_equal(date_months(b, rd(2020, 5, 10)), 240);
	assert_int_equal(date_months(b, rd(2020, 12, 31)), 247);
}

static void
test_months_on_birth(void **state)
{
	(void)state;
	assert_int_equal(date_months(rd(2000, 5, 10), rd(2000, 5, 10)), 0);
	assert_int_equal(date_months(rd(2000, 2, 29), rd(2000, 2, 29)), 0);
	assert_int_equal(date_months(rd(2023, 1, 31), rd(2023, 1, 31)), 0);
	assert_int_equal(date_months(DN_1900_01_01, DN_1900_01_01), 0);
	assert_int_equal(date_months(DN_2199_12_31, DN_2199_12_31), 0);
	for (date_t t = rd(2000, 1, 1); t <= rd(2004, 12, 31); t++)
		CHECK_EQ(date_months(t, t), 0, "day %d", (int)t);
}

static void
test_months_before_birth(void **state)
{
	(void)state;
	assert_int_equal(date_months(rd(2000, 5, 10), rd(2000, 5, 9)), -1);
	assert_int_equal(date_months(rd(2000, 5, 10), rd(1999, 5, 10)), -1);
	assert_int_equal(date_months(DN_2199_12_31, DN_1900_01_01), -1);
	assert_int_equal(date_months(rd(2000, 3, 1), rd(2000, 2, 29)), -1);
}

static void
test_months_feb29_common(void **state)
{
	date_t b = rd(2000, 2, 29);

	(void)state;
	assert_int_equal(date_months(b, rd(2000, 3, 28)), 0);
	assert_int_equal(date_months(b, rd(2000, 3, 29)), 1);
	assert_int_equal(date_months(b, rd(2001, 1, 29)), 11);
	assert_int_equal(date_months(b, rd(2001, 2, 28)), 11);
	assert_int_equal(date_months(b, rd(2001, 3, 1)), 12);
	assert_int_equal(date_months(b, rd(2001, 3, 28)), 12);
	assert_int_equal(date_months(b, rd(2001, 3, 29)), 13);
	assert_int_equal(date_months(b, rd(2003, 2, 28)), 35);
	assert_int_equal(date_months(b, rd(2003, 3, 1)), 36);
}

static void
test_months_feb29_leap(void **state)
{
	date_t b = rd(2000, 2, 29);

	(void)state;
	assert_int_equal(date_months(b, rd(2004, 2, 28)), 47);
	assert_int_equal(date_months(b, rd(2004, 2, 29)), 48);
	assert_int_equal(date_months(b, rd(2004, 3, 1)), 48);
	assert_int_equal(date_months(b, rd(2004, 3, 28)), 48);
	assert_int_equal(date_months(b, rd(2004, 3, 29)), 49);
	/* through the common year 2100 */
	b = rd(2096, 2, 29);
	assert_int_equal(date_months(b, rd(2100, 2, 28)), 47);
	assert_int_equal(date_months(b, rd(2100, 3, 1)), 48);
	assert_int_equal(date_months(b, rd(2104, 2, 28)), 95);
	assert_int_equal(date_months(b, rd(2104, 2, 29)), 96);
}

static void
test_months_month_end_births(void **state)
{
	date_t b;

	(void)state;
	b = rd(2023, 1, 31);
	assert_int_equal(date_months(b, rd(2023, 2, 28)), 0);
	assert_int_equal(date_months(b, rd(2023, 3, 1)), 1);
	assert_int_equal(date_months(b, rd(2023, 3, 30)), 1);
	assert_int_equal(date_months(b, rd(2023, 3, 31)), 2);
	assert_int_equal(date_months(b, rd(2023, 4, 30)), 2);
	assert_int_equal(date_months(b, rd(2023, 5, 1)), 3);
	b = rd(2024, 1, 31);
	assert_int_equal(date_months(b, rd(2024, 2, 29)), 0);
	assert_int_equal(date_months(b, rd(2024, 3, 1)), 1);
	b = rd(2024, 1, 30);
	assert_int_equal(date_months(b, rd(2024, 2, 29)), 0);
	assert_int_equal(date_months(b, rd(2024, 3, 1)), 1);
	b = rd(2024, 1, 29);
	assert_int_equal(date_months(b, rd(2024, 2, 28)), 0);
	assert_int_equal(date_months(b, rd(2024, 2, 29)), 1);
	b = rd(2023, 12, 31);
	assert_int_equal(date_months(b, rd(2024, 1, 30)), 0);
	assert_int_equal(date_months(b, rd(2024, 1, 31)), 1);
	assert_int_equal(date_months(b, rd(2024, 2, 29)), 1);
	assert_int_equal(date_months(b, rd(2024, 3, 1)), 2);
	assert_int_equal(date_months(b, rd(2024, 3, 30)), 2);
	assert_int_equal(date_months(b, rd(2024, 3, 31)), 3);
	b = rd(2023, 8, 31);
	assert_int_equal(date_months(b, rd(2023, 9, 30)), 0);
	assert_int_equal(date_months(b, rd(2023, 10, 1)), 1);
	assert_int_equal(date_months(b, rd(2023, 10, 30)), 1);
	assert_int_equal(date_months(b, rd(2023, 10, 31)), 2);
}

static void
test_months_full_range(void **state)
{
	(void)state;
	assert_int_equal(date_months(DN_1900_01_01, DN_2199_12_31),
	    299 * 12 + 11);
	assert_int_equal(date_age(DN_1900_01_01, DN_2199_12_31), 299);
	assert_int_equal(date_age(DN_1900_01_01, rd(2199, 12, 31)), 299);
	assert_int_equal(date_age(rd(1900, 12, 31), DN_2199_12_31), 299);
	assert_int_equal(date_age(rd(1900, 12, 31), rd(2199, 12, 30)), 298);
}

static void
test_age_birthday(void **state)
{
	date_t b = rd(2000, 5, 10);

	(void)state;
	/* the legal rule: N on the anniversary date itself */
	assert_int_equal(date_age(b, rd(2020, 5, 9)), 19);
	assert_int_equal(date_age(b, rd(2020, 5, 10)), 20);
	assert_int_equal(date_age(b, rd(2020, 5, 11)), 20);
	assert_int_equal(date_age(b, rd(2001, 5, 9)), 0);
	assert_int_equal(date_age(b, rd(2001, 5, 10)), 1);
	assert_int_equal(date_age(b, b), 0);
	/* April 1 birth is a year older on April 1 */
	b = rd(2000, 4, 1);
	assert_int_equal(date_age(b, rd(2006, 3, 31)), 5);
	assert_int_equal(date_age(b, rd(2006, 4, 1)), 6);
	/* Jan 1 / Dec 31 */
	b = rd(1999, 12, 31);
	assert_int_equal(date_age(b, rd(2000, 12, 30)), 0);
	assert_int_equal(date_age(b, rd(2000, 12, 31)), 1);
	b = rd(2000, 1, 1);
	assert_int_equal(date_age(b, rd(2000, 12, 31)), 0);
	assert_int_equal(date_age(b, rd(2001, 1, 1)), 1);
}

static void
test_age_feb29(void **state)
{
	date_t b = rd(2000, 2, 29);

	(void)state;
	assert_int_equal(date_age(b, rd(2001, 2, 28)), 0);
	assert_int_equal(date_age(b, rd(2001, 3, 1)), 1);
	assert_int_equal(date_age(b, rd(2003, 2, 28)), 2);
	assert_int_equal(date_age(b, rd(2003, 3, 1)), 3);
	assert_int_equal(date_age(b, rd(2004, 2, 28)), 3);
	assert_int_equal(date_age(b, rd(2004, 2, 29)), 4);
	assert_int_equal(date_age(b, rd(2004, 3, 1)), 4);
	assert_int_equal(date_age(b, rd(2020, 2, 29)), 20);
	assert_int_equal(date_age(b, rd(2021, 2, 28)), 20);
	assert_int_equal(date_age(b, rd(2021, 3, 1)), 21);
	b = rd(1900, 2, 28);	/* not a Feb 29 birth: 1900 is common */
	assert_int_equal(date_age(b, rd(1904, 2, 27)), 3);
	assert_int_equal(date_age(b, rd(1904, 2, 28)), 4);
	b = rd(1904, 2, 29);
	assert_int_equal(date_age(b, rd(2000, 2, 28)), 95);
	assert_int_equal(date_age(b, rd(2000, 2, 29)), 96);
	assert_int_equal(date_age(b, rd(2100, 2, 28)), 195);
	assert_int_equal(date_age(b, rd(2100, 3, 1)), 196);
}

static void
test_age_before_birth(void **state)
{
	(void)state;
	assert_int_equal(date_age(rd(2000, 5, 10), rd(2000, 5, 9)), -1);
	assert_int_equal(date_age(rd(2000, 5, 10), rd(1990, 5, 10)), -1);
	assert_int_equal(date_age(DN_2199_12_31, DN_2199_12_31 - 1), -1);
	assert_int_equal(date_age(rd(2000, 5, 10), rd(2000, 5, 10)), 0);
}

static void
test_age_month_end_births(void **state)
{
	date_t b;

	(void)state;
	/* Dec 31 -> one year on Dec 31; Mar 31 -> Mar 31 */
	b = rd(2023, 3, 31);
	assert_int_equal(date_age(b, rd(2024, 3, 30)), 0);
	assert_int_equal(date_age(b, rd(2024, 3, 31)), 1);
	/* Jan 31 of a common year, + 12 months in a leap year */
	b = rd(2023, 1, 31);
	assert_int_equal(date_age(b, rd(2024, 1, 30)), 0);
	assert_int_equal(date_age(b, rd(2024, 1, 31)), 1);
}

/* ------------------------------------------------------------------ */
/* Fiscal years                                                         */
/* ------------------------------------------------------------------ */

static void
test_fy_boundaries(void **state)
{
	(void)state;
	assert_int_equal(date_fy(rd(2026, 3, 31)), 2025);
	assert_int_equal(date_fy(rd(2026, 4, 1)), 2026);
	assert_int_equal(date_fy(rd(2026, 4, 2)), 2026);
	assert_int_equal(date_fy(rd(2025, 12, 31)), 2025);
	assert_int_equal(date_fy(rd(2026, 1, 1)), 2025);
	assert_int_equal(date_fy(rd(2026, 12, 31)), 2026);
	assert_int_equal(date_fy(rd(2024, 2, 29)), 2023);
	assert_int_equal(date_fy(DN_1900_01_01), 1899);
	assert_int_equal(date_fy(rd(1900, 4, 1)), 1900);
	assert_int_equal(date_fy(DN_2199_12_31), 2199);
	assert_int_equal(date_fy(rd(2199, 3, 31)), 2198);
}

static void
test_fy_start_end(void **state)
{
	(void)state;
	assert_int_equal(date_fy_start(2025), rd(2025, 4, 1));
	assert_int_equal(date_fy_end(2025), rd(2026, 3, 31));
	assert_int_equal(date_fy_start(2026), rd(2026, 4, 1));
	assert_int_equal(date_fy_end(2026), rd(2027, 3, 31));
	assert_int_equal(date_fy_start(1900), rd(1900, 4, 1));
	/* 2199-03-31 is 275 days before 2199-12-31 (Apr..Dec: 30+31+30+31
	 * +31+30+31+30+31 = 275) */
	assert_int_equal(date_fy_end(2198), DN_2199_12_31 - 275);
	assert_int_equal(date_fy_end(2198), rd(2199, 3, 31));
	/* fiscal years tile the calendar */
	for (int fy = 1900; fy < 2198; fy++) {
		CHECK_EQ(date_fy_end(fy) + 1, date_fy_start(fy + 1), "FY %d",
		    fy);
		CHECK_EQ(date_fy_end(fy) - date_fy_start(fy) + 1,
		    365 + ref_leap(fy + 1), "FY %d", fy);
	}
}

static void
test_fy_all_days(void **state)
{
	int fy;

	(void)state;
	for (date_t t = DN_1900_01_01; t <= DN_2199_12_31; t++) {
		fy = date_fy(t);
		CHECK_EQ(fy, ref_fy(t), "day %d", (int)t);
		if (fy >= DATE_MIN_YEAR && fy < DATE_MAX_YEAR) {
			CHECK_EQ(date_fy_start(fy) <= t, 1, "day %d", (int)t);
			CHECK_EQ(t <= date_fy_end(fy), 1, "day %d", (int)t);
		}
	}
}

/* ------------------------------------------------------------------ */
/* fyage                                                                */
/* ------------------------------------------------------------------ */

static void
test_fyage_basic(void **state)
{
	date_t b = rd(2000, 5, 10);

	(void)state;
	/* D in FY 2025 -> age on 2026-04-01: 25 (turns 26 on 2026-05-10) */
	assert_int_equal(date_fyage(b, rd(2025, 4, 1)), 25);
	assert_int_equal(date_fyage(b, rd(2025, 5, 9)), 25);
	assert_int_equal(date_fyage(b, rd(2025, 5, 10)), 25);
	assert_int_equal(date_fyage(b, rd(2026, 3, 31)), 25);
	assert_int_equal(date_fyage(b, rd(2026, 4, 1)), 26);
	assert_int_equal(date_fyage(b, rd(2025, 3, 31)), 24);
	/* born in the last quarter of a calendar year */
	b = rd(2000, 1, 15);
	assert_int_equal(date_fyage(b, rd(2025, 4, 1)), 26);
	assert_int_equal(date_fyage(b, rd(2026, 1, 14)), 26);
	assert_int_equal(date_fyage(b, rd(2026, 1, 15)), 26);
	assert_int_equal(date_fyage(b, rd(2026, 3, 31)), 26);
}

static void
test_fyage_april1_vs_april2(void **state)
{
	date_t a1 = rd(2000, 4, 1), a2 = rd(2000, 4, 2);

	(void)state;
	/* D in FY 2000: on 2001-04-01 the April 1 child is 1, the April 2
	 * child still 0. */
	assert_int_equal(date_fyage(a1, rd(2000, 4, 1)), 1);
	assert_int_equal(date_fyage(a2, rd(2000, 4, 1)), 0);
	assert_int_equal(date_fyage(a1, rd(2026, 3, 31)), 26);
	assert_int_equal(date_fyage(a2, rd(2026, 3, 31)), 25);
	assert_int_equal(date_fyage(a1, rd(2026, 4, 1)), 27);
	assert_int_equal(date_fyage(a2, rd(2026, 4, 1)), 26);
	/* for every D from FY 2000 on: exactly one higher */
	for (date_t d = rd(2000, 4, 1); d <= rd(2040, 12, 31); d++)
		CHECK_EQ(date_fyage(a1, d), date_fyage(a2, d) + 1, "D %d",
		    (int)d);
}

/* Those born 2000-04-02 .. 2001-04-01 share one fyage for every D: -1 for
 * D before FY 2000 and FY(D) - 2000 from then on (the 2000-04-02 child
 * turns FY - 2000 + 1 on (FY+1)-04-02, one day too late; the 2001-04-01
 * child turns FY - 2000 on (FY+1)-04-01 itself). */
static void
test_fyage_cohort(void **state)
{
	date_t first = rd(2000, 4, 2), last = rd(2001, 4, 1);

	(void)state;
	for (date_t d = rd(1998, 1, 1); d <= rd(2030, 12, 31); d += 3) {
		int fy = ref_fy(d);
		int want = fy >= 2000 ? fy - 2000 : -1;

		for (date_t b = first; b <= last; b++)
			CHECK_EQ(date_fyage(b, d), want, "birth %d D %d",
			    (int)b, (int)d);
		CHECK_EQ(date_fyage(first - 1, d), fy >= 1999 ? fy - 1999 : -1,
		    "D %d", (int)d);
		CHECK_EQ(date_fyage(last + 1, d), fy >= 2001 ? fy - 2001 : -1,
		    "D %d", (int)d);
	}
}

static void
test_fyage_fy_first_last_day(void **state)
{
	(void)state;
	for (date_t b = rd(1990, 1, 1); b <= rd(1993, 12, 31); b += 1) {
		for (int fy = 1989; fy <= 2030; fy += 7) {
			date_t s = rd(fy, 4, 1), e = rd(fy + 1, 3, 31);

			CHECK_EQ(date_fyage(b, s), date_fyage(b, e),
			    "birth %d FY %d", (int)b, fy);
			CHECK_EQ(date_fyage(b, s), ref_age(b, rd(fy + 1, 4, 1)),
			    "birth %d FY %d", (int)b, fy);
			/* the next FY is one year more once born */
			if (date_fyage(b, s) >= 0)
				CHECK_EQ(date_fyage(b, e + 1),
				    date_fyage(b, e) + 1, "birth %d FY %d",
				    (int)b, fy);
		}
	}
}

static void
test_fyage_feb29(void **state)
{
	date_t b = rd(2000, 2, 29);	/* FY 1999 */

	(void)state;
	/* Feb 29 / Mar 1 precede April 1, so fyage = FY - 1999 */
	assert_int_equal(date_fyage(b, rd(1999, 4, 1)), 0);
	assert_int_equal(date_fyage(b, rd(2000, 2, 29)), 0);
	assert_int_equal(date_fyage(b, rd(2000, 3, 31)), 0);
	assert_int_equal(date_fyage(b, rd(2000, 4, 1)), 1);
	assert_int_equal(date_fyage(b, rd(2001, 2, 28)), 1);
	assert_int_equal(date_fyage(b, rd(2001, 3, 1)), 1);
	assert_int_equal(date_fyage(b, rd(2001, 4, 1)), 2);
	assert_int_equal(date_fyage(b, rd(2026, 5, 1)), 27);
	assert_int_equal(date_fyage(b, rd(1999, 3, 31)), -1);
	b = rd(2096, 2, 29);
	assert_int_equal(date_fyage(b, rd(2099, 4, 1)), 4);	/* 2100-03-01 */
	assert_int_equal(date_fyage(b, rd(2100, 3, 31)), 4);
}

static void
test_fyage_unborn(void **state)
{
	(void)state;
	/* born after April 1 of FY(D) + 1 -> -1 */
	assert_int_equal(date_fyage(rd(2026, 4, 2), rd(2025, 6, 1)), -1);
	assert_int_equal(date_fyage(rd(2026, 4, 2), rd(2026, 3, 31)), -1);
	assert_int_equal(date_fyage(rd(2030, 1, 1), rd(2025, 6, 1)), -1);
	/* born on that April 1 (after D): 0, not -1 */
	assert_int_equal(date_fyage(rd(2026, 4, 1), rd(2025, 6, 1)), 0);
	assert_int_equal(date_fyage(rd(2026, 4, 1), rd(2025, 4, 1)), 0);
	/* born later in the same FY as D, after D: still 0 */
	assert_int_equal(date_fyage(rd(2026, 1, 10), rd(2025, 4, 1)), 0);
	/* the next FY: the April 2 child now counts */
	assert_int_equal(date_fyage(rd(2026, 4, 2), rd(2026, 4, 1)), 0);
}

/* fyage on D equals age on April 1 of FY(D) + 1, for a wide sample. */
static void
test_fyage_vs_reference(void **state)
{
	char b1[DS_LEN], b2[DS_LEN];

	(void)state;
	rng_state = 777u;
	for (int i = 0; i < 4000; i++) {
		date_t b = rng_date(DN_1900_01_01, DN_2199_12_31);
		date_t d = rng_date(DN_1900_01_01, DN_2199_12_31);
		int fy = ref_fy(d);
		int want = ref_age(b, rd(fy + 1, 4, 1));
		int got = date_fyage(b, d);

		if (got != want) {
			print_error("fyage(%s, %s) = %d, expected %d\n",
			    ds(b, b1), ds(d, b2), got, want);
			fail();
		}
	}
}

/* ------------------------------------------------------------------ */
/* Brute-force properties                                               */
/* ------------------------------------------------------------------ */

/* Every birth in 2019..2021 against every day of 2019..2023: months is the
 * largest m whose anniversary (both by the contract's definition and by
 * date_anniversary) is on or before `on`; age == months / 12; both are
 * non-decreasing in `on` and grow by at most one per day. */
static void
test_property_months_brute(void **state)
{
	date_t b, on, lo = rd(2019, 1, 1), hi = rd(2023, 12, 31);
	int by, bm, bd;
	char b1[DS_LEN], b2[DS_LEN];

	(void)state;
	for (b = rd(2019, 1, 1); b <= rd(2021, 12, 31); b++) {
		int m_ref = 0, m_lib = 0, prev_m = -1, prev_a = -1;

		ref_to_ymd(b, &by, &bm, &bd);
		for (on = lo; on <= hi; on++) {
			int want, got, age;

			if (on < b) {
				want = -1;
			} else {
				while (ref_anniv(by, bm, bd, m_ref + 1) <= on)
					m_ref++;
				while (date_anniversary(b, m_lib + 1) <= on)
					m_lib++;
				want = m_ref;
				if (m_lib != m_ref) {
					print_error("birth %s on %s: "
					    "anniversary-based months %d, "
					    "contract %d\n", ds(b, b1),
					    ds(on, b2), m_lib, m_ref);
					fail();
				}
			}
			got = date_months(b, on);
			age = date_age(b, on);
			if (got != want) {
				print_error("months(%s, %s) = %d, expected "
				    "%d\n", ds(b, b1), ds(on, b2), got, want);
				fail();
			}
			if (age != (want < 0 ? -1 : want / 12)) {
				print_error("age(%s, %s) = %d, months %d\n",
				    ds(b, b1), ds(on, b2), age, want);
				fail();
			}
			if (got < prev_m || got > prev_m + 1 ||
			    age < prev_a) {
				print_error("months/age(%s, %s) = %d/%d after "
				    "%d/%d\n", ds(b, b1), ds(on, b2), got, age,
				    prev_m, prev_a);
				fail();
			}
			prev_m = got;
			prev_a = age;
		}
	}
}

/* Sampled (birth, on) pairs over the whole supported range, against the
 * definition computed by iterating m from 0. */
static void
test_property_months_sampled(void **state)
{
	char b1[DS_LEN], b2[DS_LEN];

	(void)state;
	rng_state = 99u;
	for (int i = 0; i < 4000; i++) {
		date_t b = rng_date(DN_1900_01_01, DN_2199_12_31);
		date_t on = rng_date(b - 40, DN_2199_12_31);
		int want, got;

		if (on < DN_1900_01_01)
			on = DN_1900_01_01;
		want = ref_months(b, on);
		got = date_months(b, on);
		if (got != want) {
			print_error("months(%s, %s) = %d, expected %d\n",
			    ds(b, b1), ds(on, b2), got, want);
			fail();
		}
		CHECK_EQ(date_age(b, on), want < 0 ? -1 : want / 12,
		    "age(%s, %s)", ds(b, b1), ds(on, b2));
	}
}

/* months(b) on anniversary(b, m) is m, and the day before it m - 1, for
 * every birth day in 1999..2004 and m up to 10 years; also for births on
 * the 28th..31st of every month in the whole range. */
static void
test_property_anniv_inverse(void **state)
{
	(void)state;
	for (date_t b = rd(1999, 1, 1); b <= rd(2004, 12, 31); b++) {
		for (int m = 0; m <= 120; m++) {
			date_t a = date_anniversary(b, m);

			CHECK_EQ(date_months(b, a), m, "birth %d m %d",
			    (int)b, m);
			CHECK_EQ(date_months(b, a - 1), m - 1, "birth %d m %d",
			    (int)b, m);
		}
	}
	for (int y = DATE_MIN_YEAR; y <= 2190; y++) {
		for (int mo = 1; mo <= 12; mo++) {
			for (int d = 28; d <= ref_dim(y, mo); d++) {
				date_t b = rd(y, mo, d);

				for (int m = 1; m <= 100; m++) {
					date_t a = ref_anniv(y, mo, d, m);

					CHECK_EQ(date_months(b, a), m,
					    "birth %d m %d", (int)b, m);
					CHECK_EQ(date_months(b, a - 1), m - 1,
					    "birth %d m %d", (int)b, m);
				}
			}
		}
	}
}

/* fyage is constant within a fiscal year, non-decreasing, and equals the
 * age on April 1 of FY + 1, for births 2019..2021 and every D in
 * 2018..2026. */
static void
test_property_fyage_brute(void **state)
{
	char b1[DS_LEN], b2[DS_LEN];

	(void)state;
	for (date_t b = rd(2019, 1, 1); b <= rd(2021, 12, 31); b++) {
		int prev = -2, prev_fy = -1, want = 0;

		for (date_t d = rd(2018, 1, 1); d <= rd(2026, 12, 31); d++) {
			int fy = ref_fy(d);
			int got = date_fyage(b, d);

			if (fy != prev_fy)
				want = ref_age(b, rd(fy + 1, 4, 1));

			if (got != want) {
				print_error("fyage(%s, %s) = %d, expected "
				    "%d\n", ds(b, b1), ds(d, b2), got, want);
				fail();
			}
			if (fy == prev_fy)
				CHECK_EQ(got, prev, "fyage(%s, %s)", ds(b, b1),
				    ds(d, b2));
			else
				CHECK_EQ(got >= prev, 1, "fyage(%s, %s)",
				    ds(b, b1), ds(d, b2));
			CHECK_EQ(got, date_age(b, rd(fy + 1, 4, 1)),
			    "fyage(%s, %s)", ds(b, b1), ds(d, b2));
			prev = got;
			prev_fy = fy;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Today in Japan                                                       */
/* ------------------------------------------------------------------ */

static void
test_today_jst(void **state)
{
	date_t before, got, after;

	(void)state;
	before = (date_t)(((long long)time(NULL) + 9 * 3600) / 86400);
	got = date_today_jst();
	after = (date_t)(((long long)time(NULL) + 9 * 3600) / 86400);
	/* the calls may straddle midnight in Japan */
	assert_true(got == before || got == after);
}

/* Unix times written out by hand (UTC), not computed by the code under
 * test: 2026-12-31T14:59:59Z is 23:59:59 on Dec 31 in Japan, a second
 * later it is Jan 1. */
#define T_2026_12_31_1459_59Z ((time_t)1798729199)

static void
test_time_jst_midnight(void **state)
{
	char buf[DATE_STRLEN + 1];
	struct tm tm;

	(void)state;
	date_format(date_of_time_jst(T_2026_12_31_1459_59Z), buf);
	assert_string_equal(buf, "2026-12-31");
	date_format(date_of_time_jst(T_2026_12_31_1459_59Z + 1), buf);
	assert_string_equal(buf, "2027-01-01");
	assert_int_equal(date_minute_jst(T_2026_12_31_1459_59Z), 1439);
	assert_int_equal(date_minute_jst(T_2026_12_31_1459_59Z + 1), 0);
	date_tm_jst(T_2026_12_31_1459_59Z + 1, &tm);
	assert_int_equal(tm.tm_year + 1900, 2027);
	assert_int_equal(tm.tm_mon, 0);
	assert_int_equal(tm.tm_mday, 1);
	assert_int_equal(tm.tm_hour, 0);
	assert_true(date_midnight_jst(date_from_ymd(2027, 1, 1)) ==
	    T_2026_12_31_1459_59Z + 1);
	/* before 1970 (UTC) the day still floors: 1969-12-31T14:59:59Z */
	date_format(date_of_time_jst((time_t)-32401), buf);
	assert_string_equal(buf, "1969-12-31");
	date_format(date_of_time_jst((time_t)-32400), buf);
	assert_string_equal(buf, "1970-01-01");
}

static void
test_next_month_jst(void **state)
{
	time_t jan1 = T_2026_12_31_1459_59Z + 1;

	(void)state;
	/* the last second of December in Japan -> January 1, 00:00 JST */
	assert_true(date_next_month_jst(T_2026_12_31_1459_59Z) == jan1);
	/* the first second of January -> February 1 (31 days later) */
	assert_true(date_next_month_jst(jan1) == jan1 + 31 * 86400);
	/* 2028 is a leap year: Feb 1 -> Mar 1 is 29 days */
	assert_true(date_next_month_jst(date_midnight_jst(date_from_ymd(2028,
	    2, 1))) == date_midnight_jst(date_from_ymd(2028, 2, 1)) + 29 * 86400);
}

static void
test_today_jst_in_range(void **state)
{
	date_t t = date_today_jst();
	char buf[DATE_STRLEN + 1];
	date_t back;

	(void)state;
	/* (not assert_in_range: it compares unsigned) */
	assert_true(t >= DN_1900_01_01 && t <= DN_2199_12_31);
	/* it is after this code was written */
	assert_true(t >= DN_2024_01_01);
	date_format(t, buf);
	assert_int_equal(date_parse(buf, DATE_STRLEN, &back), DATE_OK);
	assert_int_equal(back, t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_calendar),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_valid_ymd_cases),
		cmocka_unit_test(test_valid_ymd_exhaustive),
		cmocka_unit_test(test_known_day_numbers),
		cmocka_unit_test(test_to_ymd_known),
		cmocka_unit_test(test_ymd_roundtrip_all),
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_writes_exactly_11_bytes),
		cmocka_unit_test(test_format_parse_roundtrip_all),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_leap_days),
		cmocka_unit_test(test_parse_bad_month),
		cmocka_unit_test(test_parse_bad_day),
		cmocka_unit_test(test_parse_month_lengths),
		cmocka_unit_test(test_parse_wrong_length),
		cmocka_unit_test(test_parse_signs),
		cmocka_unit_test(test_parse_spaces),
		cmocka_unit_test(test_parse_non_digits),
		cmocka_unit_test(test_parse_separators),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_range_endpoints),
		cmocka_unit_test(test_parse_out_of_range_years),
		cmocka_unit_test(test_parse_fields_exhaustive),
		cmocka_unit_test(test_parse_exact_length),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_anniv_zero_months),
		cmocka_unit_test(test_anniv_plain),
		cmocka_unit_test(test_anniv_jan31),
		cmocka_unit_test(test_anniv_jan30_jan29),
		cmocka_unit_test(test_anniv_feb29),
		cmocka_unit_test(test_anniv_month_ends),
		cmocka_unit_test(test_anniv_year_wrap),
		cmocka_unit_test(test_anniv_long_spans),
		cmocka_unit_test(test_anniv_vs_reference),
		cmocka_unit_test(test_anniv_increasing),
		cmocka_unit_test(test_months_basic),
		cmocka_unit_test(test_months_on_birth),
		cmocka_unit_test(test_months_before_birth),
		cmocka_unit_test(test_months_feb29_common),
		cmocka_unit_test(test_months_feb29_leap),
		cmocka_unit_test(test_months_month_end_births),
		cmocka_unit_test(test_months_full_range),
		cmocka_unit_test(test_age_birthday),
		cmocka_unit_test(test_age_feb29),
		cmocka_unit_test(test_age_before_birth),
		cmocka_unit_test(test_age_month_end_births),
		cmocka_unit_test(test_fy_boundaries),
		cmocka_unit_test(test_fy_start_end),
		cmocka_unit_test(test_fy_all_days),
		cmocka_unit_test(test_fyage_basic),
		cmocka_unit_test(test_fyage_april1_vs_april2),
		cmocka_unit_test(test_fyage_cohort),
		cmocka_unit_test(test_fyage_fy_first_last_day),
		cmocka_unit_test(test_fyage_feb29),
		cmocka_unit_test(test_fyage_unborn),
		cmocka_unit_test(test_fyage_vs_reference),
		cmocka_unit_test(test_property_months_brute),
		cmocka_unit_test(test_property_months_sampled),
		cmocka_unit_test(test_property_anniv_inverse),
		cmocka_unit_test(test_property_fyage_brute),
		cmocka_unit_test(test_today_jst),
		cmocka_unit_test(test_today_jst_in_range),
		cmocka_unit_test(test_time_jst_midnight),
		cmocka_unit_test(test_next_month_jst),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
