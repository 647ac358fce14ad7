/* gen_attrs.c - oshirase-gen: a household's columns beyond who is in it
 * SPDX-License-Identifier: MIT
 *
 * Once the members are drawn (gen_household.c), the rest follows from age,
 * role and household: ward, public assistance, insurance, disabilities,
 * income, dependents, single parenthood, tax exemption, the screening and
 * vaccination history, institutional care, and the benefits already
 * received.  gen_city.h lists the pieces.
 */
#include "gen_city.h"

/* Share of households on public assistance (生活保護), by shape. */
static const double welfare_p[SH_COUNT] = {
	0.045, 0.025, 0.01, 0.008, 0.07, 0.005, 0.02,
};

/* The wards' populations in thousands (names: gen_rows.c). */
static const uint16_t ward_w[] = { 210, 172, 158, 147, 129, 147 };

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

void
gen_household_attrs(struct gen *g)
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
