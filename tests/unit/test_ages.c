/* test_ages.c - unit tests of months, ages, fiscal years and fyage, and of
 * Japan time (daemon/lib/dates.c)
 * SPDX-License-Identifier: MIT
 *
 * Expectations come from the date rules (README, "Dates") and dates.h, never
 * from the implementation: fixed values were computed by hand, and the
 * brute-force checks compare against the reference calendar of
 * dates_ref.h.  test_dates.c tests day numbers, formats, parsing and
 * anniversaries.
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
