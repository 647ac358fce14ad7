/* gen_household.c - oshirase-gen: drawing a household's members
 * SPDX-License-Identifier: MIT
 *
 * A household is drawn by shape (elderly person alone, other single,
 * couple, couple with children, single parent, three generations, other),
 * then its members' roles, sexes and birth dates, so that it is
 * consistent: children born when both parents were 20 to 45, the head's
 * parents when the head was born likewise.  gen_city.h lists the pieces.
 */
#include "gen_city.h"

#include <string.h>

/* Shares of households, per mille, before children who left home turn
 * some "couple with children" into couples. */
static const uint16_t shape_w[SH_COUNT] = { 152, 250, 185, 265, 80, 38, 30 };

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
int
gen_build_household(struct gen *g)
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
