/* gen.c - oshirase-gen: a synthetic city as resident and contact CSV
 * SPDX-License-Identifier: MIT
 *
 * Writes DIR/residents.csv and DIR/contacts.csv in the formats of
 * the README ("File formats") for a made-up designated city with six wards, shaped like a
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
 *
 * This file is the command; gen_city.h lists the other pieces.
 */
#include "gen.h"
#include "gen_city.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_MAX_RESIDENTS 999999999ULL	/* household ids have 9 digits */
#define GEN_MIN_YEAR 2010	/* the oldest residents are born after 1900 */

/* ---- the command ---------------------------------------------------- */

static void
usage(FILE *f, int full)
{
	fprintf(f, "usage: oshirase-gen --residents N --seed S "
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

static void
generate(struct gen *g, uint64_t n)
{
	uint64_t done = 0;

	gen_write_headers(g);
	while (done < n) {
		struct household *h = &g->h;

		h->shape = gen_build_household(g);
		/* the last household may be cut short, its head stays first */
		if ((uint64_t)h->n > n - done)
			h->n = (int)(n - done);
		gen_household_attrs(g);
		for (int i = 0; i < h->n; i++) {
			gen_write_resident(g, &h->m[i], g->next_id);
			if (h->m[i].age >= 18)
				gen_write_contacts(g, g->next_id);
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
		log_warn("gen: %s", dir);	/* gen_out_open says what failed */
	rpath = path_join(dir, "residents.csv", 0);
	cpath = path_join(dir, "contacts.csv", 0);
	rtmp = path_join(dir, "residents.csv", 1);
	ctmp = path_join(dir, "contacts.csv", 1);
	rc = EXIT_CANTCREAT;
	if (gen_out_open(&g->res, rtmp, rpath) < 0 ||
	    gen_out_open(&g->con, ctmp, cpath) < 0)
		goto done;
	generate(g, n);
	rc = EXIT_IOERR;
	if (gen_out_close(&g->res, rpath) < 0 ||
	    gen_out_close(&g->con, cpath) < 0)
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
