/* cutoffs.c - bench helper: the date cutoffs of a reference date, once,
 * as SQL for the SQLite baseline
 * SPDX-License-Identifier: MIT
 *
 *   cutoffs YYYY-MM-DD   prints CREATE TABLE c (...) and one INSERT.
 * A column aN is the latest birth date whose age on D is at least N (by
 * the anniversary rule), mN the same for months, fN for
 * fyage (age on April 1 of FY+1); d is D, fys / fyps the first day of FY /
 * FY-1, fy1 is FY+1.  So "age >= 65" is birth <= a65, "age < 20" is
 * birth > a20: the comparisons a city's SQL would make with constants.
 */
#include <stdio.h>
#include <string.h>

#include "dates.h"

/* The latest birth b with months(b, on) >= m: months is monotonic in b. */
static date_t
latest(date_t on, int m)
{
	date_t lo = date_from_ymd(DATE_MIN_YEAR, 1, 1), hi = on;

	while (lo < hi) {
		date_t mid = lo + (hi - lo + 1) / 2;

		if (date_months(mid, on) >= m)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int
main(int argc, char **argv)
{
	static const int ages[] = { 11, 13, 18, 20, 60, 65, 66 };
	static const int months[] = { 12, 24, 36 };
	static const int fyages[] = { 6, 7, 13, 19, 20, 30, 40, 50, 75, 101 };
	char buf[DATE_STRLEN + 1];
	date_t d, fyend;
	int fy;

	if (argc != 2 || date_parse(argv[1], strlen(argv[1]), &d) != DATE_OK) {
		fprintf(stderr, "usage: cutoffs YYYY-MM-DD\n");
		return 2;
	}
	fy = date_fy(d);
	fyend = date_fy_start(fy + 1);
	printf("CREATE TABLE c (d TEXT, fys TEXT, fyps TEXT, fy1 INTEGER");
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
		printf(", a%d TEXT", ages[i]);
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
		printf(", m%d TEXT", months[i]);
	for (size_t i = 0; i < sizeof(fyages) / sizeof(fyages[0]); i++)
		printf(", f%d TEXT", fyages[i]);
	date_format(d, buf);
	printf(");\nINSERT INTO c VALUES ('%s'", buf);
	date_format(date_fy_start(fy), buf);
	printf(", '%s'", buf);
	date_format(date_fy_start(fy - 1), buf);
	printf(", '%s', %d", buf, fy + 1);
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		date_format(latest(d, 12 * ages[i]), buf);
		printf(", '%s'", buf);
	}
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
		date_format(latest(d, months[i]), buf);
		printf(", '%s'", buf);
	}
	for (size_t i = 0; i < sizeof(fyages) / sizeof(fyages[0]); i++) {
		date_format(latest(fyend, 12 * fyages[i]), buf);
		printf(", '%s'", buf);
	}
	printf(");\n");
	return 0;
}
