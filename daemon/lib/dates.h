/* dates.h - calendar arithmetic: Japan time and the legal age rule (README, "Dates")
 * SPDX-License-Identifier: MIT
 *
 * A date_t is a day number: days since 1970-01-01 in the proleptic
 * Gregorian calendar.  Supported range: 1900-01-01 .. 2199-12-31
 * (DATE_MIN_YEAR .. DATE_MAX_YEAR); date_parse rejects anything outside it,
 * and the other functions assume their arguments lie inside it.
 *
 * Terms (the README, "Dates"):
 *  - anniversary(b, m): b's day of month in the month m months after b's
 *    month; if that month has no such day, the first day of the month after.
 *  - months(b) on X: the largest m >= 0 whose anniversary is <= X.
 *  - age(b) on X = months / 12 (floor).
 *  - FY of D: the year in which the fiscal year (April 1 .. March 31)
 *    containing D starts.
 *  - fyage(b) on D = age(b) on April 1 of FY(D) + 1.
 *
 * All functions are pure and thread-safe except date_today_jst (reads the
 * clock).
 */
#ifndef OSHIRASE_DATES_H
#define OSHIRASE_DATES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef int32_t date_t;

#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2199
#define DATE_STRLEN 10		/* "YYYY-MM-DD" without the NUL */

/* date_parse results */
#define DATE_OK 0
#define DATE_EFORMAT (-1)	/* not YYYY-MM-DD */
#define DATE_EINVALID (-2)	/* no such calendar day (2023-02-29) */
#define DATE_ERANGE (-3)	/* outside the supported years */

/* 1 if y-m-d is a real calendar day within the supported range. */
int date_valid_ymd(int y, int m, int d);
int date_is_leap(int y);
int date_days_in_month(int y, int m);

/* y-m-d must be valid. */
date_t date_from_ymd(int y, int m, int d);
void date_to_ymd(date_t t, int *y, int *m, int *d);

/* Parse exactly len bytes as YYYY-MM-DD.  Returns DATE_OK and sets *out, or
 * one of the negative codes above. */
int date_parse(const char *s, size_t len, date_t *out);
const char *date_strerror(int code);

/* Write "YYYY-MM-DD" and a NUL into buf (at least DATE_STRLEN + 1 bytes). */
void date_format(date_t t, char *buf);

/*
 * Japan time.  Japan has kept UTC+9 without daylight saving time since
 * 1952, so a Unix time t is Japan's local time t + DATE_JST_OFFSET; every
 * conversion goes through these functions and no other code adds the
 * offset itself.
 */
#define DATE_JST_OFFSET (9 * 3600)
/* Today's date in Japan (reads the clock). */
date_t date_today_jst(void);
/* The Japanese calendar day of Unix time t. */
date_t date_of_time_jst(time_t t);
/* The minute of the day (0..1439) of t in Japan. */
long date_minute_jst(time_t t);
/* Broken-down Japan time of t (tm_gmtoff and tm_zone as for UTC). */
void date_tm_jst(time_t t, struct tm *tm);
/* Unix time of 00:00 Japan time on day d. */
time_t date_midnight_jst(date_t d);
/* The first second of the month after the one t is in, Japan time. */
time_t date_next_month_jst(time_t t);

/* months must be >= 0. */
date_t date_anniversary(date_t birth, int months);
/* months on `on`; -1 if on < birth (the person does not exist yet). */
int date_months(date_t birth, date_t on);
/* age in whole years on `on`; -1 if on < birth. */
int date_age(date_t birth, date_t on);

/* Fiscal year of d and its first and last days. */
int date_fy(date_t d);
date_t date_fy_start(int fy);
date_t date_fy_end(int fy);
/* Age reached by the end of the fiscal year containing d: the age on
 * April 1 of FY(d) + 1.  -1 if born after that day. */
int date_fyage(date_t birth, date_t d);

#endif
