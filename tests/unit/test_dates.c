/* test_dates.c - unit tests of the calendar arithmetic (daemon/lib/dates.c):
 * validity, day numbers, date_format, date_parse, anniversaries
 * (test_ages.c: months, ages, fiscal years, fyage, Japan time)
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

#include "dates_ref.h"

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
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
