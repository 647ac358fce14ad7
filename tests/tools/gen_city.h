/* gen_city.h - what the pieces of oshirase-gen share (internal)
 * SPDX-License-Identifier: MIT
 *
 * The model's households and people, the generator's state, and the
 * pieces, one per phase of a household:
 *   gen_household.c  drawing its members: shape, roles, sexes, birth dates
 *   gen_attrs.c      the other columns: ward, insurance, disabilities,
 *                    income, tax exemption, history, benefits
 *   gen_rows.c       formatting the CSV rows into the output buffers, and
 *                    the output files
 *   gen.c            the command: options, files, the loop over households
 * Each works on one struct gen, from one thread.
 */
#ifndef OSHIRASE_GEN_CITY_H
#define OSHIRASE_GEN_CITY_H

#include "dates.h"
#include "gen_rng.h"

#include <stddef.h>
#include <stdint.h>

#define GEN_BUF_SIZE (1u << 20)
#define GEN_ROW_MAX 4096	/* more than any row can take */
#define HH_MAX 12		/* members of one household */
#define EV_MAX 32		/* events of one resident */

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the model ------------------------------------------------------ */

/* The words the files spell these with are in gen_rows.c, in enum order
 * (rel_names, ins_names, ev_names, ben_names). */

enum { SEX_M = 1, SEX_F = 2 };

enum rel { REL_HEAD, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_OTHER };

enum ins { INS_NHI, INS_LATE, INS_EMPLOYEE, INS_WELFARE, INS_NONE };

enum shape {
	SH_ELDER_ALONE, SH_SINGLE, SH_COUPLE, SH_COUPLE_KIDS, SH_SINGLE_PARENT,
	SH_THREE_GEN, SH_OTHER, SH_COUNT
};

enum ev {
	EV_SPECIFIC, EV_ELDERLY, EV_LUNG, EV_COLORECTAL, EV_STOMACH,
	EV_CERVICAL, EV_BREAST, EV_PYLORI, EV_PPSV23, EV_SHINGLES, EV_INFANT,
	EV_VARICELLA, EV_MR, EV_DT, EV_COUNT
};

/* Benefits, one bit each, written in this order (gen_rows.c). */
enum {
	BEN_CRA = 1 << 0, BEN_SPMS = 1 << 1, BEN_SCRA = 1 << 2,
	BEN_CDA = 1 << 3, BEN_LIHB = 1 << 4, BEN_WATER = 1 << 5,
	BEN_SEWER = 1 << 6,
};

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

/* ---- the pieces ----------------------------------------------------- */

/* Draw the members of g->h (roles, sexes, birth dates) from g->r; returns
 * its final shape (gen_household.c). */
int gen_build_household(struct gen *g);

/* Draw every other column of g->h's members from g->r (gen_attrs.c). */
void gen_household_attrs(struct gen *g);

/* Create tmp for the file path (named in messages), and its buffer: 0, or
 * -1 after logging the error (gen_rows.c). */
int gen_out_open(struct out *o, const char *tmp, const char *path);

/* Flush, close and free the buffer: 0, or -1 after logging the error. */
int gen_out_close(struct out *o, const char *path);

/* The two files' header lines. */
void gen_write_headers(struct gen *g);

/* Resident p's row, with resident id `id` in household g->households + 1. */
void gen_write_resident(struct gen *g, const struct person *p, uint64_t id);

/* The contact rows of adult resident `id`, if any, drawn from g->rc. */
void gen_write_contacts(struct gen *g, uint64_t id);

#endif
