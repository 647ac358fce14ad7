/* gen.c - `oshirase gen`: a synthetic city as resident and contact CSV
 * SPDX-License-Identifier: MIT
 *
 * Writes DIR/residents.csv and DIR/contacts.csv in the formats of
 * CONTRACT.md for a made-up designated city with six wards, shaped like a
 * Japanese one: about 2.1 residents per household, about 27% aged 65 or
 * over and 12% under 15.  No real person's data goes in: every value comes
 * from a seeded PRNG (xoshiro256**, seeded through splitmix64), so the same
 * --residents, --seed and --date give byte-identical files everywhere.
 *
 * Households are drawn one at a time by shape (elderly person alone, other
 * single, couple, couple with children, single parent, three generations,
 * other).  Birth dates are drawn so that a household is consistent
 * (children born when both parents were 20 to 45, the head's parents when
 * the head was born likewise), and the other columns follow from age, role
 * and household: insurance, income, tax exemption, dependents,
 * disabilities, benefits, screening and vaccination history, flags.
 * Contacts come from a second PRNG stream, so the resident file does not
 * depend on them.  Rows are formatted by hand into a large buffer: a
 * million residents take well under two seconds.
 */
#include "gen.h"
#include "dates.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_MAX_RESIDENTS 999999999ULL	/* household ids have 9 digits */
#define GEN_MIN_YEAR 2010	/* the oldest residents are born after 1900 */
#define GEN_BUF_SIZE (1u << 20)
#define GEN_ROW_MAX 4096	/* more than any row can take */
#define HH_MAX 12		/* members of one household */
#define EV_MAX 32		/* events of one resident */

/* ---- pseudo-random numbers ---------------------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) (multiply-shift; the bias is far below 2^-32). */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; hi >= lo. */
static inline int32_t
rng_range(struct rng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t)rng_below(r, (uint32_t)(hi - lo) + 1);
}

/* 1 with probability p. */
static inline int
rng_chance(struct rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* An index into w[0..n-1] with probability proportional to w[i]. */
static int
rng_weighted(struct rng *r, const uint16_t *w, int n)
{
	uint32_t total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Age bands: an age uniform in [lo, hi] of a band picked by weight. */
struct band {
	uint8_t lo, hi;
	uint16_t w;
};

static int
rng_age(struct rng *r, const struct band *b, int n)
{
	uint32_t total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += b[i].w;
	x = rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < b[i].w)
			break;
		x -= b[i].w;
	}
	return rng_range(r, b[i].lo, b[i].hi);
}

/* Quantile tables: value at cumulative share q (per 100,000), linear in
 * between; the first knot has q 0 and the last 100,000. */
struct knot {
	uint32_t q;
	uint32_t v;
};

static int64_t
rng_quantile(struct rng *r, const struct knot *k, int n)
{
	uint32_t u = rng_below(r, 100000);
	int i;

	for (i = 1; i < n - 1 && u >= k[i].q; i++)
		;
	return (int64_t)k[i - 1].v + ((int64_t)k[i].v - k[i - 1].v) *
	    (int64_t)(u - k[i - 1].q) / (int64_t)(k[i].q - k[i - 1].q);
}

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the model ------------------------------------------------------ */

enum { SEX_M = 1, SEX_F = 2 };

enum rel { REL_HEAD, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_OTHER };
static const char *const rel_names[] = {
	"head", "spouse", "child", "parent", "other",
};

enum ins { INS_NHI, INS_LATE, INS_EMPLOYEE, INS_WELFARE, INS_NONE };
static const char *const ins_names[] = {
	"nhi", "late_elderly", "employee", "welfare", "none",
};

enum shape {
	SH_ELDER_ALONE, SH_SINGLE, SH_COUPLE, SH_COUPLE_KIDS, SH_SINGLE_PARENT,
	SH_THREE_GEN, SH_OTHER, SH_COUNT
};
/* Shares of households, per mille, before children who left home turn
 * some "couple with children" into couples. */
static const uint16_t shape_w[SH_COUNT] = { 152, 250, 185, 265, 80, 38, 30 };
/* Share of households on public assistance (生活保護), by shape. */
static const double welfare_p[SH_COUNT] = {
	0.045, 0.025, 0.01, 0.008, 0.07, 0.005, 0.02,
};

enum ev {
	EV_SPECIFIC, EV_ELDERLY, EV_LUNG, EV_COLORECTAL, EV_STOMACH,
	EV_CERVICAL, EV_BREAST, EV_PYLORI, EV_PPSV23, EV_SHINGLES, EV_INFANT,
	EV_VARICELLA, EV_MR, EV_DT, EV_COUNT
};
static const char *const ev_names[EV_COUNT] = {
	"specific-checkup", "elderly-checkup", "lung-screening",
	"colorectal-screening", "stomach-screening", "cervical-screening",
	"breast-screening", "pylori-test", "ppsv23", "shingles",
	"infant-checkup", "varicella", "mr", "dt",
};

/* Benefits, one bit each, written in this order. */
enum {
	BEN_CRA = 1 << 0, BEN_SPMS = 1 << 1, BEN_SCRA = 1 << 2,
	BEN_CDA = 1 << 3, BEN_LIHB = 1 << 4, BEN_WATER = 1 << 5,
	BEN_SEWER = 1 << 6,
};
static const char *const ben_names[] = {
	"child-rearing-allowance", "single-parent-medical-subsidy",
	"special-child-rearing-allowance", "child-disability-allowance",
	"low-income-household-benefit", "water-rate-reduction",
	"sewer-rate-reduction",
};

/* The wards of the city (UTF-8) and their populations in thousands. */
static const char *const ward_names[] = {
	"中央区", "花見川区", "稲毛区", "若葉区", "緑区", "美浜区",
};
static const uint16_t ward_w[] = { 210, 172, 158, 147, 129, 147 };

static const char *const mail_domains[] = {
	"mail.example.com", "example.net", "example.org",
};

/* Age of the head, by household shape. */
static const struct band ages_elder_alone[] = {
	{ 65, 69, 150 }, { 70, 74, 210 }, { 75, 79, 220 }, { 80, 84, 210 },
	{ 85, 89, 140 }, { 90, 94, 60 }, { 95, 99, 18 }, { 100, 105, 3 },
};
static const struct band ages_single[] = {
	{ 18, 21, 110 }, { 22, 29, 250 }, { 30, 39, 190 }, { 40, 49, 180 },
	{ 50, 59, 160 }, { 60, 64, 110 },
};
static const struct band ages_couple[] = {
	{ 22, 29, 60 }, { 30, 39, 60 }, { 40, 49, 45 }, { 50, 59, 80 },
	{ 60, 64, 85 }, { 65, 69, 130 }, { 70, 74, 180 }, { 75, 79, 160 },
	{ 80, 84, 110 }, { 85, 89, 50 }, { 90, 96, 12 },
};
static const struct band ages_couple_kids[] = {
	{ 24, 29, 30 }, { 30, 34, 80 }, { 35, 39, 120 }, { 40, 44, 145 },
	{ 45, 49, 160 }, { 50, 54, 150 }, { 55, 59, 120 }, { 60, 64, 80 },
	{ 65, 69, 60 }, { 70, 74, 50 }, { 75, 79, 30 }, { 80, 84, 12 },
	{ 85, 89, 3 },
};
static const struct band ages_single_parent[] = {
	{ 22, 29, 90 }, { 30, 34, 150 }, { 35, 39, 220 }, { 40, 44, 240 },
	{ 45, 49, 190 }, { 50, 54, 80 }, { 55, 59, 30 },
};
static const struct band ages_three_gen[] = {
	{ 30, 34, 15 }, { 35, 39, 25 }, { 40, 44, 30 }, { 45, 49, 30 },
	{ 50, 55, 20 },
};
static const struct band ages_other[] = {
	{ 20, 29, 15 }, { 30, 44, 15 }, { 45, 64, 30 }, { 65, 74, 20 },
	{ 75, 90, 20 },
};
/* An older single parent living with grown-up children. */
static const struct band ages_older_parent[] = {
	{ 55, 64, 30 }, { 65, 74, 35 }, { 75, 84, 25 }, { 85, 92, 10 },
};
/* The mother's age at her first child's birth. */
static const struct band ages_first_birth[] = {
	{ 20, 24, 15 }, { 25, 29, 35 }, { 30, 34, 33 }, { 35, 39, 14 },
	{ 40, 43, 3 },
};
/* A parent's age at the head's birth (three generations). */
static const struct band ages_parent_at_birth[] = {
	{ 22, 25, 20 }, { 26, 30, 40 }, { 31, 35, 28 }, { 36, 40, 12 },
};

/* Previous year's income (所得, yen), by role. */
static const struct knot income_work[] = {
	{ 0, 0 }, { 5000, 0 }, { 10000, 300000 }, { 20000, 1100000 },
	{ 30000, 1700000 }, { 40000, 2200000 }, { 50000, 2700000 },
	{ 60000, 3200000 }, { 70000, 3800000 }, { 80000, 4700000 },
	{ 90000, 6200000 }, { 95000, 8000000 }, { 99000, 13000000 },
	{ 100000, 30000000 },
};
static const struct knot income_pension[] = {
	{ 0, 0 }, { 10000, 0 }, { 20000, 200000 }, { 35000, 600000 },
	{ 50000, 1200000 }, { 65000, 1600000 }, { 80000, 2300000 },
	{ 90000, 3200000 }, { 97000, 5500000 }, { 100000, 15000000 },
};
static const struct knot income_single_parent[] = {
	{ 0, 0 }, { 3000, 0 }, { 10000, 600000 }, { 25000, 1200000 },
	{ 50000, 1900000 }, { 75000, 2800000 }, { 90000, 3800000 },
	{ 100000, 8000000 },
};

/* Disability grades: 身体 1..6, 療育 1..2, 精神 1..3. */
static const uint16_t phys_grade_w[] = { 27, 15, 17, 27, 7, 7 };
static const uint16_t ment_grade_w[] = { 10, 55, 35 };

struct event {
	date_t d;
	int e;
};

struct person {
	date_t birth;
	int age, months, fyage;
	int64_t income;		/* yen; -1 = unknown */
	int dependents;
	uint8_t rel, sex, ins, tax_exempt, single_parent;
	uint8_t dphys, dint, dment, institutional, status_active;
	uint8_t benefits;
	int nev;
	struct event ev[EV_MAX];
};

struct household {
	int shape;
	int ward;
	int welfare;
	int n;
	struct person m[HH_MAX];
};

struct out {
	int fd;
	int err;		/* errno of the first failed write, or 0 */
	char *buf;
	size_t len;
};

struct gen {
	struct rng r;		/* residents */
	struct rng rc;		/* contacts */
	date_t today;
	date_t fy_start, fy_len;	/* the FY containing today */
	date_t pfy_start, pfy_len;	/* the one before */
	uint64_t next_id;
	uint64_t households, contacts;
	uint64_t shapes[SH_COUNT];
	struct out res, con;
	struct household h;
};

/* ---- output --------------------------------------------------------- */

static void
out_flush(struct out *o)
{
	size_t off = 0;
	ssize_t n;

	while (off < o->len && o->err == 0) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
		} else
			off += (size_t)n;
	}
	o->len = 0;
}

static inline void
out_reserve(struct out *o, size_t n)
{
	if (GEN_BUF_SIZE - o->len < n)
		out_flush(o);
}

static inline void
put_ch(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

static inline void
put_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void
put_str(struct out *o, const char *s)
{
	put_mem(o, s, strlen(s));
}

static void
put_uint(struct out *o, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		put_ch(o, tmp[--n]);
}

static void
put_uint_pad(struct out *o, uint64_t v, int width)
{
	char *p = o->buf + o->len;

	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	o->len += (size_t)width;
}

static void
put_date(struct out *o, date_t d)
{
	date_format(d, o->buf + o->len);	/* writes a NUL we overwrite */
	o->len += DATE_STRLEN;
}

/* ---- households ----------------------------------------------------- */

/* A birth date that makes its holder about `age` on today. */
static date_t
birth_for_age(struct gen *g, int age)
{
	date_t hi = g->today - (age * 365 + age / 4 - age / 100);

	return hi - (date_t)rng_below(&g->r, 365);
}

static struct person *
add_member(struct gen *g, int rel, int sex, date_t birth)
{
	struct household *h = &g->h;
	struct person *p = &h->m[h->n++];

	memset(p, 0, offsetof(struct person, ev));
	p->rel = (uint8_t)rel;
	p->sex = (uint8_t)sex;
	p->birth = birth;
	p->months = date_months(birth, g->today);
	p->age = p->months / 12;
	p->fyage = date_fyage(birth, g->today);
	return p;
}

static int
other_sex(struct gen *g, int sex)
{
	/* mostly a man and a woman */
	if (rng_chance(&g->r, 0.005))
		return sex;
	return sex == SEX_M ? SEX_F : SEX_M;
}

/* Head and spouse of a couple, the head aged about `age`. */
static void
add_couple(struct gen *g, int age)
{
	int hsex = rng_chance(&g->r, 0.92) ? SEX_M : SEX_F;
	int ssex = other_sex(g, hsex);
	int sage;

	add_member(g, REL_HEAD, hsex, birth_for_age(g, age));
	/* a wife is two years younger on average */
	if (hsex == SEX_M)
		sage = age + rng_range(&g->r, -7, 3);
	else
		sage = age + rng_range(&g->r, -3, 7);
	if (sage < 20)
		sage = 20;
	if (sage > 105)
		sage = 105;
	add_member(g, REL_SPOUSE, ssex, birth_for_age(g, sage));
}

/*
 * Up to k children of the parents born pa and pb (pa == pb for one
 * parent), eldest first, each born when both parents were 20 to 45 and on
 * or before today.  With `leave`, grown-up children have often left home.
 * Returns the number added.
 */
static int
add_children(struct gen *g, date_t mother, date_t father, int k, int leave)
{
	date_t younger = mother > father ? mother : father;
	date_t older = mother > father ? father : mother;
	date_t lo = date_anniversary(younger, 20 * 12);
	date_t hi = date_anniversary(older, 46 * 12) - 1;
	date_t t, spread;
	int added = 0, age, now, first = 20, i;

	if (hi > g->today)
		hi = g->today;
	if (lo > hi)
		return 0;
	/* the mother's age at the first birth, no more than her age now */
	now = date_age(mother, g->today);
	for (i = 0; i < 8; i++) {
		first = rng_age(&g->r, ages_first_birth,
		    NELEM(ages_first_birth));
		if (first <= now)
			break;
	}
	if (first > now)
		first = rng_range(&g->r, 20, now < 20 ? 20 : now);
	t = date_anniversary(mother, 12 * first) +
	    (date_t)rng_below(&g->r, 365);
	spread = hi - lo < 2 * 365 ? hi - lo : 2 * 365;
	if (t < lo)
		t = lo + (date_t)rng_below(&g->r, (uint32_t)spread + 1);
	else if (t > hi)
		t = lo + (date_t)rng_below(&g->r, (uint32_t)(hi - lo) + 1);
	for (i = 0; i < k && t <= hi && g->h.n < HH_MAX; i++) {
		age = date_age(t, g->today);
		if (!leave || age < 20 ||
		    rng_chance(&g->r, age < 25 ? 0.85 : age < 30 ? 0.65 :
		    age < 40 ? 0.5 : 0.35)) {
			add_member(g, REL_CHILD,
			    rng_chance(&g->r, 0.512) ? SEX_M : SEX_F, t);
			added++;
		}
		t += 365 + (date_t)rng_below(&g->r, 4 * 365);
	}
	return added;
}

static date_t
mother_of(const struct person *a, const struct person *b)
{
	if (a->sex == SEX_F || b->sex != SEX_F)
		return a->birth;
	return b->birth;
}

static int
n_children(struct gen *g)
{
	static const uint16_t w[] = { 50, 38, 10, 2 };

	return 1 + rng_weighted(&g->r, w, NELEM(w));
}

/* Draw the members of one household; returns its final shape. */
static int
build_household(struct gen *g)
{
	struct household *h = &g->h;
	struct person *a, *b;
	int shape, age, k, sex;
	date_t pb;

	h->n = 0;
	shape = rng_weighted(&g->r, shape_w, SH_COUNT);
	switch (shape) {
	case SH_ELDER_ALONE:
		age = rng_age(&g->r, ages_elder_alone, NELEM(ages_elder_alone));
		sex = rng_chance(&g->r, 0.66) ? SEX_F : SEX_M;
		add_member(g, REL_HEAD, sex, birth_for_age(g, age));
		break;
	case SH_SINGLE:
		age = rng_age(&g->r, ages_single, NELEM(ages_single));
		sex = rng_chance(&g->r, 0.55) ? SEX_M : SEX_F;
		add_member(g, REL_HEAD, sex, birth_for_age(g, age));
		break;
	case SH_COUPLE:
		add_couple(g, rng_age(&g->r, ages_couple, NELEM(ages_couple)));
		break;
	case SH_COUPLE_KIDS:
		add_couple(g, rng_age(&g->r, ages_couple_kids,
		    NELEM(ages_couple_kids)));
		a = &h->m[0];
		b = &h->m[1];
		if (add_children(g, mother_of(a, b), mother_of(a, b) == a->birth ?
		    b->birth : a->birth, n_children(g), 1) == 0)
			shape = SH_COUPLE;
		break;
	case SH_SINGLE_PARENT:
		if (rng_chance(&g->r, 0.55)) {
			/* an older parent with grown-up children at home */
			age = rng_age(&g->r, ages_older_parent,
			    NELEM(ages_older_parent));
			sex = rng_chance(&g->r, 0.75) ? SEX_F : SEX_M;
			k = 1 + rng_chance(&g->r, 0.2);
		} else {
			age = rng_age(&g->r, ages_single_parent,
			    NELEM(ages_single_parent));
			sex = rng_chance(&g->r, 0.85) ? SEX_F : SEX_M;
			k = 1 + rng_weighted(&g->r,
			    (const uint16_t[]){ 55, 35, 10 }, 3);
		}
		a = add_member(g, REL_HEAD, sex, birth_for_age(g, age));
		if (add_children(g, a->birth, a->birth, k, age < 55) == 0)
			shape = age >= 65 ? SH_ELDER_ALONE : SH_SINGLE;
		break;
	case SH_THREE_GEN:
		add_couple(g, rng_age(&g->r, ages_three_gen,
		    NELEM(ages_three_gen)));
		a = &h->m[0];
		b = &h->m[1];
		add_children(g, mother_of(a, b), mother_of(a, b) == a->birth ?
		    b->birth : a->birth, 1 + (int)rng_below(&g->r, 2), 0);
		/* one or two of the head's parents */
		age = rng_age(&g->r, ages_parent_at_birth,
		    NELEM(ages_parent_at_birth));
		pb = a->birth - (age * 365 + age / 4) -
		    (date_t)rng_below(&g->r, 365);
		if (rng_chance(&g->r, 0.4)) {
			add_member(g, REL_PARENT, SEX_F, pb);
			age += rng_range(&g->r, -1, 4);
			pb = a->birth - (age * 365 + age / 4) -
			    (date_t)rng_below(&g->r, 365);
			add_member(g, REL_PARENT, SEX_M, pb);
		} else
			add_member(g, REL_PARENT,
			    rng_chance(&g->r, 0.75) ? SEX_F : SEX_M, pb);
		break;
	default:
		age = rng_age(&g->r, ages_other, NELEM(ages_other));
		sex = rng_chance(&g->r, 0.5) ? SEX_M : SEX_F;
		add_member(g, REL_HEAD, sex, birth_for_age(g, age));
		k = 1 + (rng_chance(&g->r, 0.25) ? 1 : 0);
		for (int i = 0; i < k; i++) {
			int oage = age + rng_range(&g->r, -12, 12);

			if (oage < 10)
				oage = 10;
			if (oage > 100)
				oage = 100;
			add_member(g, REL_OTHER,
			    rng_chance(&g->r, 0.5) ? SEX_M : SEX_F,
			    birth_for_age(g, oage));
		}
		break;
	}
	return shape;
}

/* ---- attributes ----------------------------------------------------- */

static int
own_insurance(struct gen *g, int age)
{
	double u = (double)(rng_next(&g->r) >> 11) * 0x1.0p-53;

	if (age >= 75)
		return INS_LATE;
	if (age >= 65)
		return u < 0.8 ? INS_NHI : INS_EMPLOYEE;
	if (u < 0.003)
		return INS_NONE;
	return u < 0.255 ? INS_NHI : INS_EMPLOYEE;
}

static int
insurance(struct gen *g, const struct person *p, const struct person *head)
{
	if (g->h.welfare)
		return INS_WELFARE;
	if (p->age >= 75)
		return INS_LATE;
	switch (p->rel) {
	case REL_SPOUSE:
	case REL_PARENT:
		if (head->ins == INS_NONE && p->rel == REL_SPOUSE)
			return INS_NONE;
		/* a dependant in the head's employee insurance */
		if (head->ins == INS_EMPLOYEE &&
		    rng_chance(&g->r, p->rel == REL_SPOUSE ? 0.85 : 0.3))
			return INS_EMPLOYEE;
		if (head->ins == INS_NHI && p->rel == REL_SPOUSE)
			return INS_NHI;
		return own_insurance(g, p->age);
	case REL_CHILD:
		if (p->age >= 22 && rng_chance(&g->r, 0.7))
			return own_insurance(g, p->age);
		return head->ins == INS_LATE ? INS_NHI : head->ins;
	default:
		return own_insurance(g, p->age);
	}
}

static void
disabilities(struct gen *g, struct person *p)
{
	struct rng *r = &g->r;
	int a = p->age;

	if (rng_chance(r, a < 18 ? 0.005 : a < 40 ? 0.012 : a < 65 ? 0.03 :
	    a < 75 ? 0.07 : 0.12))
		p->dphys = (uint8_t)(1 + rng_weighted(r, phys_grade_w,
		    NELEM(phys_grade_w)));
	if (rng_chance(r, a < 20 ? 0.02 : a < 65 ? 0.01 : 0.003))
		p->dint = rng_chance(r, 0.4) ? 1 : 2;
	if (rng_chance(r, a < 15 ? 0.002 : a < 65 ? 0.022 : 0.008))
		p->dment = (uint8_t)(1 + rng_weighted(r, ment_grade_w,
		    NELEM(ment_grade_w)));
	if (a >= 85)
		p->institutional = (uint8_t)rng_chance(r, 0.065);
	else if (a >= 75)
		p->institutional = (uint8_t)rng_chance(r, 0.018);
	else if (p->dphys == 1 || p->dphys == 2 || p->dint == 1 ||
	    p->dment == 1)
		p->institutional = (uint8_t)rng_chance(r, a < 18 ? 0.02 : 0.04);
}

static int64_t
income(struct gen *g, const struct person *p)
{
	struct rng *r = &g->r;
	int64_t v;

	if (p->age < 18) {
		if (rng_chance(r, 0.01))
			return -1;
		if (p->age >= 16 && rng_chance(r, 0.1))
			return rng_range(r, 0, 300) * 1000;
		return 0;
	}
	if (rng_chance(r, 0.03))
		return -1;
	if (g->h.welfare)
		return rng_chance(r, 0.7) ? 0 : rng_range(r, 0, 500) * 1000;
	if (p->age >= 65)
		v = rng_quantile(r, income_pension, NELEM(income_pension));
	else if (p->age <= 21 && (p->rel == REL_CHILD ||
	    g->h.shape == SH_SINGLE))
		/* a student */
		v = rng_chance(r, 0.65) ? 0 : rng_range(r, 0, 1200) * 1000;
	else if (g->h.shape == SH_SINGLE_PARENT && p->rel == REL_HEAD)
		v = rng_quantile(r, income_single_parent,
		    NELEM(income_single_parent));
	else if (p->rel == REL_SPOUSE && rng_chance(r, 0.65))
		v = rng_chance(r, 0.55) ? 0 : rng_range(r, 50, 480) * 1000;
	else
		v = rng_quantile(r, income_work, NELEM(income_work));
	return v / 1000 * 1000;
}

static int
tax_exempt(const struct gen *g, const struct person *p)
{
	int64_t limit = 450000;

	if (g->h.welfare)
		return 1;
	if (p->income < 0)
		return 0;
	/* 均等割 non-taxable limit of a 1級地 city */
	if (p->dependents > 0)
		limit = 350000 * (1 + (int64_t)p->dependents) + 310000;
	if ((p->age < 18 || p->single_parent || p->dphys || p->dint ||
	    p->dment) && limit < 1350000)
		limit = 1350000;
	return p->income <= limit;
}

static void
add_event(struct person *p, int e, date_t d)
{
	if (p->nev < EV_MAX) {
		p->ev[p->nev].d = d;
		p->ev[p->nev].e = e;
		p->nev++;
	}
}

/* A screening: in the current FY (only if dated on or before today) and
 * in the previous one, each with probability prob, for fyages
 * [amin, amax] in that year. */
static void
screening(struct gen *g, struct person *p, int e, double prob, int amin,
    int amax)
{
	date_t d;

	if (p->institutional)
		prob *= 0.1;
	else if (p->age >= 85)
		prob *= 0.4;
	if (p->fyage >= amin && p->fyage <= amax && rng_chance(&g->r, prob)) {
		d = g->fy_start + (date_t)rng_below(&g->r, (uint32_t)g->fy_len);
		if (d <= g->today && d >= p->birth)
			add_event(p, e, d);
	}
	if (p->fyage - 1 >= amin && p->fyage - 1 <= amax &&
	    rng_chance(&g->r, prob)) {
		d = g->pfy_start + (date_t)rng_below(&g->r, (uint32_t)g->pfy_len);
		if (d <= g->today && d >= p->birth)
			add_event(p, e, d);
	}
}

/* A dose or checkup in [lo, hi] clipped to [birth, today]. */
static void
event_between(struct gen *g, struct person *p, int e, date_t lo, date_t hi)
{
	if (lo < p->birth)
		lo = p->birth;
	if (hi > g->today)
		hi = g->today;
	if (lo <= hi)
		add_event(p, e, rng_range(&g->r, lo, hi));
}

static void
history(struct gen *g, struct person *p)
{
	struct rng *r = &g->r;
	date_t b = p->birth, d, a;
	int fy6;

	p->nev = 0;
	if (p->age < 20) {
		if (p->age < 6) {
			/* 乳児一般健康診査: at 3-6 and at 9-11 months */
			d = b + 91 + (date_t)rng_below(r, 91);
			if (d <= g->today && rng_chance(r, 0.92))
				add_event(p, EV_INFANT, d);
			d = b + 273 + (date_t)rng_below(r, 61);
			if (d <= g->today && rng_chance(r, 0.8))
				add_event(p, EV_INFANT, d);
		}
		/* varicella: two doses from the first birthday */
		d = date_anniversary(b, 12) + (date_t)rng_below(r, 120);
		if (d <= g->today && rng_chance(r, 0.92)) {
			add_event(p, EV_VARICELLA, d);
			d += 180 + (date_t)rng_below(r, 180);
			if (d <= g->today && rng_chance(r, 0.88))
				add_event(p, EV_VARICELLA, d);
		}
		/* MR: at 1 and in the year before school (fyage 6) */
		d = date_anniversary(b, 12) + (date_t)rng_below(r, 300);
		if (d <= g->today && rng_chance(r, 0.95))
			add_event(p, EV_MR, d);
		a = date_anniversary(b, 72);
		fy6 = date_fy(a) + (a > date_fy_start(date_fy(a)) ? 0 : -1);
		d = date_fy_start(fy6) + (date_t)rng_below(r, 365);
		if (d <= g->today && rng_chance(r, 0.93))
			add_event(p, EV_MR, d);
		/* DT: at 11 or 12 */
		d = date_anniversary(b, 132) + (date_t)rng_below(r, 700);
		if (d <= g->today && rng_chance(r, 0.8))
			add_event(p, EV_DT, d);
	}
	if (p->fyage >= 20) {
		if (p->ins == INS_NHI)
			screening(g, p, EV_SPECIFIC, 0.33, 40, 74);
		if (p->ins == INS_LATE)
			screening(g, p, EV_ELDERLY, 0.28, 75, 200);
		screening(g, p, EV_LUNG, 0.22, 40, 200);
		screening(g, p, EV_COLORECTAL, 0.28, 40, 200);
		screening(g, p, EV_STOMACH, 0.2, 50, 200);
		if (p->sex == SEX_F) {
			screening(g, p, EV_CERVICAL, 0.22, 20, 200);
			screening(g, p, EV_BREAST, 0.1, 30, 39);
			screening(g, p, EV_BREAST, 0.25, 40, 200);
		}
		if (p->fyage <= 39 && rng_chance(r, 0.12))
			event_between(g, p, EV_PYLORI,
			    date_anniversary(b, 240), g->today);
	}
	if (p->age >= 65) {
		/* PPSV23 in the year after the 65th birthday */
		a = date_anniversary(b, 65 * 12);
		if (rng_chance(r, p->age == 65 ? 0.3 : 0.45))
			event_between(g, p, EV_PPSV23, a,
			    date_anniversary(b, 66 * 12) - 1);
		if (rng_chance(r, 0.18))
			event_between(g, p, EV_SHINGLES, g->today - 730,
			    g->today);
	} else if (p->age >= 60 && p->dphys == 1 && rng_chance(r, 0.3))
		event_between(g, p, EV_PPSV23, g->today - 730, g->today);

	/* now and then a duplicate row in the source register */
	if (p->nev > 0 && rng_chance(r, 0.0005))
		add_event(p, p->ev[rng_below(r, (uint32_t)p->nev)].e,
		    p->ev[rng_below(r, (uint32_t)p->nev)].d);
	/* by date (insertion sort: short lists, stable) */
	for (int i = 1; i < p->nev; i++) {
		struct event x = p->ev[i];
		int j = i - 1;

		while (j >= 0 && p->ev[j].d > x.d) {
			p->ev[j + 1] = p->ev[j];
			j--;
		}
		p->ev[j + 1] = x;
	}
}

/* 児童扶養手当 income limit for n dependents. */
static int64_t
limit_cra(int n)
{
	return 1920000 + 380000 * (int64_t)n;
}

static void
household_attrs(struct gen *g)
{
	struct household *h = &g->h;
	struct person *head = &h->m[0], *p;
	struct rng *r = &g->r;
	int i, all_exempt = 1, minor = 0, young = 0, cra_child = 0;
	int has_cra = 0;

	h->ward = rng_weighted(r, ward_w, NELEM(ward_w));
	h->welfare = rng_chance(r, welfare_p[h->shape]);
	for (i = 0; i < h->n; i++) {
		p = &h->m[i];
		p->ins = (uint8_t)insurance(g, p, head);
		disabilities(g, p);
		p->income = income(g, p);
		p->status_active = (uint8_t)rng_chance(r, 0.02);
	}
	for (i = 1; i < h->n; i++) {
		p = &h->m[i];
		if ((p->rel == REL_CHILD || p->rel == REL_SPOUSE) &&
		    p->income >= 0 && p->income <= 480000)
			head->dependents++;
		if (p->rel == REL_CHILD) {
			if (p->age < 20)
				young = 1;
			if (p->fyage <= 18)
				minor = 1;
			if (p->fyage <= 18 || (p->age < 20 &&
			    p->dphys >= 1 && p->dphys <= 3))
				cra_child = 1;
		}
	}
	if (h->shape == SH_SINGLE_PARENT && young)
		head->single_parent = 1;
	for (i = 0; i < h->n; i++) {
		p = &h->m[i];
		p->tax_exempt = (uint8_t)tax_exempt(g, p);
		all_exempt &= p->tax_exempt;
		history(g, p);
	}

	/* benefits already received */
	if (head->single_parent && head->income >= 0 &&
	    head->income < limit_cra(head->dependents)) {
		if (cra_child && rng_chance(r, 0.65))
			head->benefits |= BEN_CRA;
		if (minor && !h->welfare && rng_chance(r, 0.55))
			head->benefits |= BEN_SPMS;
	}
	has_cra = head->benefits & BEN_CRA;
	for (i = 1; i < h->n; i++) {
		p = &h->m[i];
		if (p->age >= 20)
			continue;
		if (p->rel == REL_CHILD && ((p->dphys >= 1 && p->dphys <= 3) ||
		    p->dint == 1 || (p->dment >= 1 && p->dment <= 2)) &&
		    head->income >= 0 && head->income < 4596000 +
		    380000 * (int64_t)head->dependents &&
		    rng_chance(r, 0.55)) {
			p->benefits |= BEN_SCRA;
			has_cra = 1;
		}
		if (((p->dphys >= 1 && p->dphys <= 4) || p->dint >= 1) &&
		    !p->institutional && rng_chance(r, 0.5))
			p->benefits |= BEN_CDA;
	}
	if (all_exempt && rng_chance(r, 0.45))
		head->benefits |= BEN_LIHB;
	if (has_cra) {
		if (rng_chance(r, 0.55))
			head->benefits |= BEN_WATER;
		if (rng_chance(r, head->benefits & BEN_WATER ? 0.85 : 0.1))
			head->benefits |= BEN_SEWER;
	}
}

/* ---- rows ----------------------------------------------------------- */

static const char residents_header[] =
    "resident_id,household_id,relationship,birth_date,sex,ward,insurance,"
    "tax_exempt,income,dependents,single_parent,disability_physical,"
    "disability_intellectual,disability_mental,benefits,history,flags,"
    "status\n";
static const char contacts_header[] =
    "resident_id,channel,address,language,consent,status\n";

static void
write_resident(struct gen *g, const struct person *p, uint64_t id)
{
	struct out *o = &g->res;
	int i, first;

	out_reserve(o, GEN_ROW_MAX);
	put_uint_pad(o, id, 10);
	put_mem(o, ",H", 2);
	put_uint_pad(o, g->households + 1, 9);
	put_ch(o, ',');
	put_str(o, rel_names[p->rel]);
	put_ch(o, ',');
	put_date(o, p->birth);
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->sex));
	put_ch(o, ',');
	put_str(o, ward_names[g->h.ward]);
	put_ch(o, ',');
	put_str(o, ins_names[p->ins]);
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->tax_exempt));
	put_ch(o, ',');
	if (p->income >= 0)
		put_uint(o, (uint64_t)p->income);
	put_ch(o, ',');
	put_uint(o, (uint64_t)p->dependents);
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->single_parent));
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->dphys));
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->dint));
	put_ch(o, ',');
	put_ch(o, (char)('0' + p->dment));
	put_ch(o, ',');
	first = 1;
	for (i = 0; i < NELEM(ben_names); i++) {
		if (!(p->benefits & (1 << i)))
			continue;
		if (!first)
			put_ch(o, ';');
		put_str(o, ben_names[i]);
		first = 0;
	}
	put_ch(o, ',');
	for (i = 0; i < p->nev; i++) {
		if (i > 0)
			put_ch(o, ';');
		put_str(o, ev_names[p->ev[i].e]);
		put_ch(o, '@');
		put_date(o, p->ev[i].d);
	}
	put_ch(o, ',');
	if (p->institutional)
		put_str(o, "institutional_care");
	put_ch(o, ',');
	if (p->status_active)
		put_str(o, "active");
	put_ch(o, '\n');
}

static void
write_consent(struct gen *g)
{
	static const char *const cats[] = { "health", "child", "welfare", "tax" };
	struct rng *r = &g->rc;
	double u = (double)(rng_next(r) >> 11) * 0x1.0p-53;
	unsigned mask;
	int first = 1;

	if (u < 0.02)
		return;
	if (u < 0.10)
		mask = 1 + rng_below(r, 15);
	else
		mask = rng_chance(r, 0.75) ? 15 : 7;
	for (int i = 0; i < 4; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!first)
			put_ch(&g->con, ';');
		put_str(&g->con, cats[i]);
		first = 0;
	}
}

/* A registered adult's contact rows: LINE, email or both. */
static void
write_contacts(struct gen *g, uint64_t id)
{
	static const char hex[] = "0123456789abcdef";
	struct rng *r = &g->rc;
	struct out *o = &g->con;
	int line, email, en;
	uint64_t x;

	if (!rng_chance(r, 0.30))
		return;
	if (rng_chance(r, 0.05))
		line = email = 1;
	else {
		line = rng_chance(r, 0.7);
		email = !line;
	}
	en = rng_chance(r, 0.05);
	out_reserve(o, GEN_ROW_MAX);
	if (line) {
		put_uint_pad(o, id, 10);
		put_mem(o, ",line,U", 7);
		for (int w = 0; w < 2; w++) {
			x = rng_next(r);
			for (int i = 0; i < 16; i++, x >>= 4)
				put_ch(o, hex[x & 15]);
		}
		put_str(o, en ? ",en," : ",ja,");
		write_consent(g);
		put_str(o, rng_chance(r, 0.03) ? ",withdrawn\n" : ",active\n");
		g->contacts++;
	}
	if (email) {
		put_uint_pad(o, id, 10);
		put_mem(o, ",email,r", 8);
		put_uint_pad(o, id, 10);
		put_ch(o, '@');
		put_str(o, mail_domains[rng_below(r, NELEM(mail_domains))]);
		put_str(o, en ? ",en," : ",ja,");
		write_consent(g);
		put_str(o, rng_chance(r, 0.03) ? ",withdrawn\n" : ",active\n");
		g->contacts++;
	}
}

/* ---- the command ---------------------------------------------------- */

static void
usage(FILE *f, int full)
{
	fprintf(f, "usage: oshirase gen --residents N --seed S "
	    "[--date YYYY-MM-DD] [--out DIR]\n");
	if (!full)
		return;
	fprintf(f,
	    "\n"
	    "Write a synthetic city's resident file (DIR/residents.csv) and\n"
	    "contact file (DIR/contacts.csv), replacing them.  The same N, seed\n"
	    "and date give byte-identical files.\n"
	    "\n"
	    "  --residents N   number of residents, 1..%llu\n"
	    "  --seed S        seed of the pseudo-random generator (0..2^64-1)\n"
	    "  --date D        the date taken as today (default: today in Japan);\n"
	    "                  %d-01-01 or later\n"
	    "  --out DIR       the directory to write to (default: .)\n"
	    "  --help          print this help\n",
	    GEN_MAX_RESIDENTS, GEN_MIN_YEAR);
}

/* Decimal digits only, at most max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* dir/name, or with tmp set dir/.name.PID.tmp; free with free(). */
static char *
path_join(const char *dir, const char *name, int tmp)
{
	size_t len = strlen(dir) + strlen(name) + 40;
	char *p = xmalloc(len);
	int n;

	if (tmp)
		n = snprintf(p, len, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
	else
		n = snprintf(p, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		fatalx("path_join: path too long");
	return p;
}

/* Create tmp, to be renamed to path when complete. */
static int
out_open(struct out *o, const char *tmp, const char *path)
{
	o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		log_warn("gen: cannot create %s", path);
		return -1;
	}
	o->err = 0;
	o->len = 0;
	o->buf = xmalloc(GEN_BUF_SIZE);
	return 0;
}

/* Flush and close; 0, or -1 after logging the error. */
static int
out_close(struct out *o, const char *path)
{
	int rc = 0;

	if (o->fd < 0)
		return 0;
	out_flush(o);
	if (close(o->fd) < 0 && o->err == 0)
		o->err = errno;
	o->fd = -1;
	if (o->err != 0) {
		errno = o->err;
		log_warn("gen: %s", path);
		rc = -1;
	}
	free(o->buf);
	o->buf = NULL;
	return rc;
}

static void
generate(struct gen *g, uint64_t n)
{
	uint64_t done = 0;

	put_str(&g->res, residents_header);
	put_str(&g->con, contacts_header);
	while (done < n) {
		struct household *h = &g->h;

		h->shape = build_household(g);
		/* the last household may be cut short, its head stays first */
		if ((uint64_t)h->n > n - done)
			h->n = (int)(n - done);
		household_attrs(g);
		for (int i = 0; i < h->n; i++) {
			write_resident(g, &h->m[i], g->next_id);
			if (h->m[i].age >= 18)
				write_contacts(g, g->next_id);
			g->next_id++;
		}
		done += (uint64_t)h->n;
		g->shapes[h->shape]++;
		g->households++;
	}
}

int
gen_main(int argc, char **argv)
{
	enum { OPT_RESIDENTS = 256, OPT_SEED, OPT_DATE, OPT_OUT };
	static const struct option longopts[] = {
		{ "residents", required_argument, NULL, OPT_RESIDENTS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = ".";
	char *rpath = NULL, *cpath = NULL, *rtmp = NULL, *ctmp = NULL;
	uint64_t n = 0, seed = 0;
	int have_n = 0, have_seed = 0, have_date = 0, c, rc, y, m, d;
	date_t today = 0;
	struct gen *g;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RESIDENTS:
			if (parse_u64(optarg, GEN_MAX_RESIDENTS, &n) < 0 ||
			    n == 0) {
				log_warnx("gen: --residents: not a number in "
				    "1..%llu: '%s'", GEN_MAX_RESIDENTS, optarg);
				return EXIT_USAGE;
			}
			have_n = 1;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, UINT64_MAX, &seed) < 0) {
				log_warnx("gen: --seed: not a number in "
				    "0..%" PRIu64 ": '%s'", UINT64_MAX, optarg);
				return EXIT_USAGE;
			}
			have_seed = 1;
			break;
		case OPT_DATE:
			rc = date_parse(optarg, strlen(optarg), &today);
			if (rc != DATE_OK) {
				log_warnx("gen: --date: %s: '%s'",
				    date_strerror(rc), optarg);
				return EXIT_USAGE;
			}
			have_date = 1;
			break;
		case OPT_OUT:
			dir = optarg;
			break;
		case 'h':
			usage(stdout, 1);
			return 0;
		default:
			if (optopt >= OPT_RESIDENTS && optopt <= OPT_OUT)
				log_warnx("gen: option '%s' needs an argument",
				    argv[optind - 1]);
			else
				log_warnx("gen: unknown option '%s'",
				    argv[optind - 1]);
			usage(stderr, 0);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("gen: unexpected argument '%s'", argv[optind]);
		usage(stderr, 0);
		return EXIT_USAGE;
	}
	if (!have_n || !have_seed) {
		log_warnx("gen: --residents and --seed are required");
		usage(stderr, 0);
		return EXIT_USAGE;
	}
	if (!have_date)
		today = date_today_jst();
	date_to_ymd(today, &y, &m, &d);
	if (y < GEN_MIN_YEAR) {
		log_warnx("gen: --date: must be %d-01-01 or later",
		    GEN_MIN_YEAR);
		return EXIT_USAGE;
	}

	g = xcalloc(1, sizeof(*g));
	rng_seed(&g->r, seed, 1);
	rng_seed(&g->rc, seed, 2);
	g->today = today;
	g->fy_start = date_fy_start(date_fy(today));
	g->fy_len = date_fy_end(date_fy(today)) - g->fy_start + 1;
	g->pfy_start = date_fy_start(date_fy(today) - 1);
	g->pfy_len = g->fy_start - g->pfy_start;
	g->next_id = 1;
	g->res.fd = g->con.fd = -1;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		log_warn("gen: %s", dir);	/* out_open says what failed */
	rpath = path_join(dir, "residents.csv", 0);
	cpath = path_join(dir, "contacts.csv", 0);
	rtmp = path_join(dir, "residents.csv", 1);
	ctmp = path_join(dir, "contacts.csv", 1);
	rc = EXIT_CANTCREAT;
	if (out_open(&g->res, rtmp, rpath) < 0 ||
	    out_open(&g->con, ctmp, cpath) < 0)
		goto done;
	generate(g, n);
	rc = EXIT_IOERR;
	if (out_close(&g->res, rpath) < 0 || out_close(&g->con, cpath) < 0)
		goto done;
	/* both files are complete: replace the old ones */
	rc = EXIT_CANTCREAT;
	if (rename(rtmp, rpath) < 0) {
		log_warn("gen: %s", rpath);
		goto done;
	}
	if (rename(ctmp, cpath) < 0) {
		log_warn("gen: %s", cpath);
		goto done;
	}
	rc = 0;
	log_info("gen: %" PRIu64 " residents, %" PRIu64 " households, %"
	    PRIu64 " contacts", n, g->households, g->contacts);
	log_debug("gen: households: %" PRIu64 " elderly alone, %" PRIu64
	    " single, %" PRIu64 " couple, %" PRIu64 " couple with children, %"
	    PRIu64 " single parent, %" PRIu64 " three generations, %" PRIu64
	    " other", g->shapes[SH_ELDER_ALONE], g->shapes[SH_SINGLE],
	    g->shapes[SH_COUPLE], g->shapes[SH_COUPLE_KIDS],
	    g->shapes[SH_SINGLE_PARENT], g->shapes[SH_THREE_GEN],
	    g->shapes[SH_OTHER]);
done:
	if (g->res.fd >= 0)
		close(g->res.fd);
	if (g->con.fd >= 0)
		close(g->con.fd);
	if (rc != 0) {
		unlink(rtmp);
		unlink(ctmp);
	}
	free(g->res.buf);
	free(g->con.buf);
	free(rpath);
	free(cpath);
	free(rtmp);
	free(ctmp);
	free(g);
	return rc;
}
