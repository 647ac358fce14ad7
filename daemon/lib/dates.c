/* dates.c - calendar arithmetic: Japan time and the legal age rule
 * SPDX-License-Identifier: MIT
 *
 * Day numbers come from the usual era-based conversion (400-year cycles of
 * 146097 days, years starting March 1 so the leap day falls last).
 */
#include "dates.h"

#include <string.h>
#include <time.h>

int
date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
date_days_in_month(int y, int m)
{
	static const unsigned char dim[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && date_is_leap(y))
		return 29;
	return dim[m - 1];
}

int
date_valid_ymd(int y, int m, int d)
{
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= date_days_in_month(y, m);
}

date_t
date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
date_to_ymd(date_t t, int *y, int *m, int *d)
{
	int z, era, doe, yoe, doy, mp, yy;

	z = t + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
date_parse(const char *s, size_t len, date_t *out)
{
	int y, m, d;

	if (len != DATE_STRLEN || s[4] != '-' || s[7] != '-')
		return DATE_EFORMAT;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return DATE_EFORMAT;
	if (m < 1 || m > 12 || d < 1 || d > date_days_in_month(y, m))
		return DATE_EINVALID;
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
		return DATE_ERANGE;
	*out = date_from_ymd(y, m, d);
	return DATE_OK;
}

const char *
date_strerror(int code)
{
	switch (code) {
	case DATE_OK:
		return "ok";
	case DATE_EFORMAT:
		return "not a date of the form YYYY-MM-DD";
	case DATE_EINVALID:
		return "no such calendar day";
	case DATE_ERANGE:
		return "year outside the supported range 1900..2199";
	default:
		return "unknown date error";
	}
}

void
date_format(date_t t, char *buf)
{
	int y, m, d;

	date_to_ymd(t, &y, &m, &d);
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

date_t
date_today_jst(void)
{
	return date_of_time_jst(time(NULL));
}

/* Floor division, so that times before 1970 fall on the right day. */
date_t
date_of_time_jst(time_t t)
{
	long long s = (long long)t + DATE_JST_OFFSET;

	return (date_t)(s >= 0 ? s / 86400 : -((-s + 86399) / 86400));
}

long
date_minute_jst(time_t t)
{
	long long s = (long long)t + DATE_JST_OFFSET;

	return (long)((s % 86400 + 86400) % 86400 / 60);
}

void
date_tm_jst(time_t t, struct tm *tm)
{
	time_t local = t + DATE_JST_OFFSET;

	if (gmtime_r(&local, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
}

time_t
date_midnight_jst(date_t d)
{
	return (time_t)d * 86400 - DATE_JST_OFFSET;
}

time_t
date_next_month_jst(time_t t)
{
	int y, m, dd;

	date_to_ymd(date_of_time_jst(t), &y, &m, &dd);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return date_midnight_jst(date_from_ymd(y, m, 1));
}

date_t
date_anniversary(date_t birth, int months)
{
	int by, bm, bd, y, m, idx;

	date_to_ymd(birth, &by, &bm, &bd);
	idx = bm - 1 + months;
	y = by + idx / 12;
	m = idx % 12 + 1;
	if (bd > date_days_in_month(y, m))
		return date_from_ymd(y, m, date_days_in_month(y, m)) + 1;
	return date_from_ymd(y, m, bd);
}

int
date_months(date_t birth, date_t on)
{
	int by, bm, bd, y, m, d, n;

	if (on < birth)
		return -1;
	date_to_ymd(birth, &by, &bm, &bd);
	date_to_ymd(on, &y, &m, &d);
	n = (y - by) * 12 + (m - bm);
	/* The anniversary after n months falls in on's month or on the first
	 * of the next; after n - 1 months it is always on or before `on`. */
	if (bd > d)
		n--;
	return n;
}

int
date_age(date_t birth, date_t on)
{
	int n = date_months(birth, on);

	return n < 0 ? -1 : n / 12;
}

int
date_fy(date_t t)
{
	int y, m, d;

	date_to_ymd(t, &y, &m, &d);
	return m >= 4 ? y : y - 1;
}

date_t
date_fy_start(int fy)
{
	return date_from_ymd(fy, 4, 1);
}

date_t
date_fy_end(int fy)
{
	return date_from_ymd(fy + 1, 3, 31);
}

int
date_fyage(date_t birth, date_t t)
{
	return date_age(birth, date_fy_start(date_fy(t) + 1));
}
