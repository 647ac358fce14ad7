/* dates_ref.h - the independent reference calendar of the date tests
 * SPDX-License-Identifier: MIT
 *
 * Included by test_dates.c and test_ages.c, each of which uses part of it:
 * a calendar built by counting days year by year and month by month, the
 * contract's definitions written out literally, and the helpers of the
 * property tests.  Never the code under test.
 */
#ifndef OSHIRASE_TEST_DATES_REF_H
#define OSHIRASE_TEST_DATES_REF_H

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

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

#pragma GCC diagnostic pop

#endif
