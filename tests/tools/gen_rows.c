/* gen_rows.c - oshirase-gen: the CSV rows and the output files
 * SPDX-License-Identifier: MIT
 *
 * Rows are formatted by hand into a large buffer per file (a row never
 * needs more than GEN_ROW_MAX bytes, reserved before it is written) and
 * the buffer written out when full: a million residents take well under
 * two seconds.  The contacts draw from their own stream (g->rc), so the
 * resident file does not depend on them.  gen_city.h lists the pieces.
 */
#include "gen_city.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const rel_names[] = {
	"head", "spouse", "child", "parent", "other",
};

static const char *const ins_names[] = {
	"nhi", "late_elderly", "employee", "welfare", "none",
};

static const char *const ev_names[EV_COUNT] = {
	"specific-checkup", "elderly-checkup", "lung-screening",
	"colorectal-screening", "stomach-screening", "cervical-screening",
	"breast-screening", "pylori-test", "ppsv23", "shingles",
	"infant-checkup", "varicella", "mr", "dt",
};

static const char *const ben_names[] = {
	"child-rearing-allowance", "single-parent-medical-subsidy",
	"special-child-rearing-allowance", "child-disability-allowance",
	"low-income-household-benefit", "water-rate-reduction",
	"sewer-rate-reduction",
};

/* The wards of the city (UTF-8), in the order of their weights in
 * gen_attrs.c. */
static const char *const ward_names[] = {
	"中央区", "花見川区", "稲毛区", "若葉区", "緑区", "美浜区",
};

static const char *const mail_domains[] = {
	"mail.example.com", "example.net", "example.org",
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

static const char residents_header[] =
    "resident_id,household_id,relationship,birth_date,sex,ward,insurance,"
    "tax_exempt,income,dependents,single_parent,disability_physical,"
    "disability_intellectual,disability_mental,benefits,history,flags,"
    "status\n";
static const char contacts_header[] =
    "resident_id,channel,address,language,consent,status\n";

void
gen_write_headers(struct gen *g)
{
	put_str(&g->res, residents_header);
	put_str(&g->con, contacts_header);
}

void
gen_write_resident(struct gen *g, const struct person *p, uint64_t id)
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
void
gen_write_contacts(struct gen *g, uint64_t id)
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

/* Create tmp, to be renamed to path when complete. */
int
gen_out_open(struct out *o, const char *tmp, const char *path)
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
int
gen_out_close(struct out *o, const char *path)
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
