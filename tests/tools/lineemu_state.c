/* lineemu_state.c - oshirase-line-emulator: the state the endpoints consult
 * SPDX-License-Identifier: MIT
 *
 * The clock and the month in Japan (for the monthly usage), the fault
 * draws (splitmix64, reproducible with --fault-seed), request and user
 * ids, the GCRA rate limiters, the sets of blocked and known user ids, and
 * the table of accepted retry keys.  The state itself lives in struct emu
 * (lineemu.h), under its mutex.
 */
#include "lineemu.h"
#include "dates.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ---------------------------------------------------- */

int64_t
emu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LE_NS + ts.tv_nsec;
}

/* The month in Japan (UTC+9, no daylight saving) as year * 12 + month. */
int
emu_jst_month(void)
{
	struct tm tm;

	date_tm_jst(time(NULL), &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* A new month in Japan starts the usage from 0; called with e->mu held. */
void
emu_usage_roll_locked(struct emu *e)
{
	int month = emu_jst_month();

	if (month != e->usage_month) {
		e->usage_month = month;
		e->usage = 0;
	}
}

/* splitmix64: the fault draws; called with e->mu held. */
static double
draw(struct emu *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

int
emu_chance(struct emu *e, double p)
{
	return p > 0 && draw(e) < p;
}

/* A random (version 4) UUID. */
void
emu_uuid_new(char out[LE_UUID_LEN + 1])
{
	uint8_t b[16];

	util_uuid4(b);
	util_uuid_text(b, out);
}

/* "U" + 32 lowercase hex digits, as 16 bytes: 0 or -1. */
int
emu_uid_parse(const char *s, size_t len, uint8_t out[16])
{
	if (len != LE_UID_LEN || s[0] != 'U')
		return -1;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return hex_decode(s + 1, 32, out, 16);
}

/* 1 if a request at now conforms (and is counted); called with e->mu held. */
int
emu_gcra_allow_locked(struct gcra *g, int64_t now)
{
	int64_t tat = g->tat > now ? g->tat : now;

	if (tat - g->tau > now)
		return 0;
	g->tat = tat + g->t_ns;
	return 1;
}

void
emu_gcra_init(struct gcra *g, unsigned rate)
{
	unsigned burst = rate / 10 > 0 ? rate / 10 : 1;

	g->t_ns = LE_NS / rate;
	g->tau = (int64_t)(burst - 1) * g->t_ns;
	g->tat = 0;
}

/* ---- user id sets ------------------------------------------------------ */

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Read FILE into *set.  0, or an exit status after a message. */
int
emu_userset_load(struct userset *set, const char *path, const char *option)
{
	size_t len, cap = 0, lineno = 0;
	char *buf, *p, *end;

	if ((buf = file_read_all(path, &len)) == NULL) {
		log_warn("line-emulator: %s %s", option, path);
		return EXIT_NOINPUT;
	}
	set->ids = NULL;
	set->n = 0;
	for (p = buf, end = buf + len; p < end; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && p[0] != '#') {
			if (set->n == cap) {
				cap = cap ? cap * 2 : 256;
				set->ids = xrealloc(set->ids, cap * 16);
			}
			if (emu_uid_parse(p, n, set->ids[set->n]) < 0) {
				log_warnx("line-emulator: %s:%zu: not a user id "
				    "(U and 32 lowercase hex digits)", path, lineno);
				free(buf);
				free(set->ids);
				set->ids = NULL;
				return EXIT_DATAERR;
			}
			set->n++;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(buf);
	if (set->n > 0)
		qsort(set->ids, set->n, 16, id_cmp);
	return 0;
}

int
emu_userset_has(const struct userset *set, const uint8_t id[16])
{
	return set->n > 0 &&
	    bsearch(id, set->ids, set->n, 16, id_cmp) != NULL;
}

/* ---- retry keys ---------------------------------------------------------- */

static size_t
keytab_slot(const struct keytab *kt, const uint8_t key[16])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, 16, kt->hkey);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return (size_t)(v & (kt->cap - 1));
}

static int
keyent_live(const struct keyent *k, int64_t now, int64_t ttl)
{
	return k->used && now - k->at < ttl;
}

/* The live entry of key, or NULL.  The first entry of a key in its probe
 * sequence is always the newest (keytab_put writes there). */
const struct keyent *
emu_keytab_get(const struct keytab *kt, const uint8_t key[16], int64_t now,
    int64_t ttl)
{
	if (kt->cap == 0)
		return NULL;
	for (size_t i = keytab_slot(kt, key);; i = (i + 1) & (kt->cap - 1)) {
		const struct keyent *k = &kt->e[i];

		if (!k->used)
			return NULL;
		if (memcmp(k->key, key, 16) == 0)
			return keyent_live(k, now, ttl) ? k : NULL;
	}
}

/* Rebuild with the live entries only, at least four slots per entry. */
static void
keytab_rehash(struct keytab *kt, int64_t now, int64_t ttl)
{
	struct keyent *old = kt->e;
	size_t oldcap = kt->cap, live = 0, cap = 64;

	for (size_t i = 0; i < oldcap; i++)
		live += keyent_live(&old[i], now, ttl);
	while (cap < live * 4)
		cap *= 2;
	kt->e = xcalloc(cap, sizeof(*kt->e));
	kt->cap = cap;
	kt->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (keyent_live(&old[i], now, ttl))
			emu_keytab_put(kt, &old[i], now, ttl);
	free(old);
}

/* Insert ent (its key not live in the table). */
void
emu_keytab_put(struct keytab *kt, const struct keyent *ent, int64_t now,
    int64_t ttl)
{
	struct keyent *reuse = NULL;

	if ((kt->used + 1) * 2 > kt->cap)
		keytab_rehash(kt, now, ttl);
	for (size_t i = keytab_slot(kt, ent->key);; i = (i + 1) & (kt->cap - 1)) {
		struct keyent *k = &kt->e[i];

		if (!k->used) {
			if (reuse == NULL) {
				reuse = k;
				kt->used++;
			}
			break;
		}
		if (memcmp(k->key, ent->key, 16) == 0) {
			if (reuse == NULL)
				reuse = k;
			break;
		}
		if (reuse == NULL && !keyent_live(k, now, ttl))
			reuse = k;
	}
	*reuse = *ent;
	reuse->used = 1;
}
