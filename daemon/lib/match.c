/* match.c - a match run (see match.h)
 * SPDX-License-Identifier: MIT
 */
#include "match.h"
#include "log.h"
#include "matcher.h"
#include "notice.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The contact a recipient is reached through: their active LINE contact,
 * else their active email contact.  An open-addressing table keyed by the
 * pseudonym (whose bytes are uniform: the first 8 are the hash). */
struct contact_ent {
	uint8_t res[STORE_PSEUDO_LEN];
	uint8_t channel, language, consent, used;
	uint8_t bad;	/* a record of theirs does not decode */
};

struct contact_map {
	struct contact_ent *t;
	size_t mask, n;
	unsigned long bad;	/* records that do not decode */
};

static uint64_t
prefix64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static struct contact_ent *
contact_slot(const struct contact_map *m, const uint8_t *res)
{
	size_t i = (size_t)prefix64(res) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		struct contact_ent *e = &m->t[i];

		if ((!e->used && !e->bad) ||
		    memcmp(e->res, res, STORE_PSEUDO_LEN) == 0)
			return e;
	}
}

static int
contact_map_load(struct store *s, struct contact_map *m)
{
	const struct store_dbi *dbi = store_dbi(s);
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_stat st;
	MDB_val k, v;
	size_t cap = 1024;
	int rc;

	rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_stat(txn, dbi->contacts, &st);
	if (rc != 0)
		goto out;
	while (cap < 2 * st.ms_entries)
		cap *= 2;
	m->t = xcalloc(cap, sizeof(*m->t));
	m->mask = cap - 1;
	m->n = 0;
	rc = mdb_cursor_open(txn, dbi->contacts, &cur);
	if (rc != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;
		struct contact c;
		struct contact_ent *e;

		if (k.mv_size != STORE_PSEUDO_LEN + 1) {
			m->bad++;
			continue;
		}
		if (store_contact_decode(v.mv_data, v.mv_size, &c) != 0) {
			/* counted apart from "no contact": the store is damaged */
			m->bad++;
			e = contact_slot(m, key);
			memcpy(e->res, key, STORE_PSEUDO_LEN);
			e->bad = 1;
			continue;
		}
		if (c.status != CONTACT_ACTIVE)
			continue;
		e = contact_slot(m, key);
		if (e->used)
			continue;	/* LINE (1) sorts before email (2) */
		memcpy(e->res, key, STORE_PSEUDO_LEN);
		e->channel = key[STORE_PSEUDO_LEN];
		e->language = c.language;
		e->consent = c.consent;
		e->used = 1;
		m->n++;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_txn_abort(txn);
	return rc;
}

/* A notice a run may queue.  key: program index (u16 BE), recipient,
 * subject: sorted, it is the dry run's byte order (program ids are sorted
 * in the rule set and pseudonyms are fixed-length hex). */
#define CAND_KEY (2 + 2 * STORE_PSEUDO_LEN)
struct cand {
	uint8_t key[CAND_KEY];
	uint8_t channel, language, child;
	uint8_t pad[5];
};

struct collect {
	const struct rules_set *rs;
	const struct contact_map *contacts;
	struct cand *v;
	size_t n, cap;
	struct match_counts c[RULES_MAX_PROGRAMS];
	int uncontacted;	/* match_uncontacted: collect into u only */
	struct match_uncontacted *u;
	size_t nu, capu;
};

/* A recipient with no contact, for match_uncontacted. */
static void
add_uncontacted(struct collect *c, unsigned prog, const uint8_t *rec)
{
	if (c->nu == c->capu) {
		c->capu = c->capu ? 2 * c->capu : 1024;
		c->u = xrealloc(c->u, c->capu * sizeof(*c->u));
	}
	memcpy(c->u[c->nu].recipient, rec, STORE_PSEUDO_LEN);
	c->u[c->nu].program[0] = (uint8_t)(prog >> 8);
	c->u[c->nu].program[1] = (uint8_t)prog;
	c->nu++;
}

int
match_consent_covers(const struct rules_program *p, uint8_t consent)
{
	uint8_t need = (uint8_t)(p->category | (p->tax ? CONSENT_TAX : 0));

	return (consent & need) == need;
}

static void
add_cand(struct collect *c, unsigned prog, const uint8_t *rec,
    const uint8_t *subj)
{
	const struct rules_program *p = c->rs->p[prog];
	const struct contact_ent *e = contact_slot(c->contacts, rec);
	struct cand *k;

	c->c[prog].recipients++;
	if (!e->used) {
		if (e->bad)
			c->c[prog].bad_contact++;
		else
			c->c[prog].no_contact++;
		if (!e->bad && c->uncontacted)
			add_uncontacted(c, prog, rec);
		return;
	}
	if (c->uncontacted)
		return;
	if (!match_consent_covers(p, e->consent)) {
		c->c[prog].no_consent++;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	k = &c->v[c->n++];
	k->key[0] = (uint8_t)(prog >> 8);
	k->key[1] = (uint8_t)prog;
	memcpy(k->key + 2, rec, STORE_PSEUDO_LEN);
	memcpy(k->key + 2 + STORE_PSEUDO_LEN, subj, STORE_PSEUDO_LEN);
	k->channel = e->channel;
	k->language = e->language;
	k->child = memcmp(rec, subj, STORE_PSEUDO_LEN) != 0;
	memset(k->pad, 0, sizeof(k->pad));
}

static int
is_guardian(const struct rules_person *m)
{
	return (m->f[SLOT_REL] == REL_HEAD || m->f[SLOT_REL] == REL_SPOUSE) &&
	    m->f[SLOT_AGE] >= 18;
}

static void
on_household(void *user, const struct matcher_household *mh)
{
	struct collect *c = user;
	const struct rules_household *h = mh->h;

	for (unsigned m = 0; m < h->n; m++)
		for (unsigned w = 0; w < MATCHER_WORDS; w++) {
			uint64_t bits = mh->elig[m][w];

			while (bits) {
				unsigned prog = w * 64 + (unsigned)__builtin_ctzll(bits);
				unsigned found = 0;

				bits &= bits - 1;
				c->c[prog].eligible++;
				if (h->m[m].f[SLOT_AGE] >= 18) {
					add_cand(c, prog, mh->res[m], mh->res[m]);
					continue;
				}
				for (unsigned g = 0; g < h->n; g++)
					if (g != m && is_guardian(&h->m[g])) {
						add_cand(c, prog, mh->res[g], mh->res[m]);
						found++;
					}
				if (found == 0)
					c->c[prog].no_recipient++;
			}
		}
}

static uint32_t
cycle_of(const struct rules_program *p, int fy)
{
	return p->cycle == CYCLE_FY ? (uint32_t)fy : 0;
}

/* Is this candidate in the ledger? (dbi->delivery must be set) */
static int
in_ledger(MDB_txn *txn, const struct store_dbi *dbi, const struct cand *k,
    const struct rules_program *p, uint32_t cycle, int *found)
{
	uint8_t key[LEDGER_KEY_MAX];
	MDB_val kv, vv;
	int rc;

	kv.mv_size = ledger_key(key, k->key + 2, k->key + 2 + STORE_PSEUDO_LEN,
	    cycle, p->id);
	kv.mv_data = key;
	rc = mdb_get(txn, dbi->ledger, &kv, &vv);
	*found = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
print_dry(struct store *s, const struct rules_set *rs, const struct cand *v,
    const uint32_t *order, size_t n, int fy, FILE *out,
    struct match_result *res)
{
	const struct store_dbi *dbi = store_dbi(s);
	MDB_txn *txn = NULL;
	char line[RULES_ID_MAX + 4 * STORE_PSEUDO_LEN + 16];
	int rc = 0, found = 0;

	if (dbi->delivery && (rc = mdb_txn_begin(store_env(s), NULL,
	    MDB_RDONLY, &txn)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct cand *k = &v[order[i]];
		unsigned prog = (unsigned)k->key[0] << 8 | k->key[1];
		const struct rules_program *p = rs->p[prog];
		size_t len;

		if (i > 0 && memcmp(k->key, v[order[i - 1]].key, CAND_KEY) == 0)
			continue;
		if (txn != NULL && (rc = in_ledger(txn, dbi, k, p,
		    cycle_of(p, fy), &found)) != 0)
			break;
		if (found) {
			res->c[prog].already++;
			continue;
		}
		res->c[prog].queued++;
		res->total++;
		len = strlen(p->id);
		memcpy(line, p->id, len);
		line[len++] = '\t';
		hex_encode(k->key + 2, STORE_PSEUDO_LEN, line + len);
		len += 2 * STORE_PSEUDO_LEN;
		line[len++] = '\t';
		hex_encode(k->key + 2 + STORE_PSEUDO_LEN, STORE_PSEUDO_LEN,
		    line + len);
		len += 2 * STORE_PSEUDO_LEN;
		len += (size_t)sprintf(line + len, "\t%s\n",
		    k->channel == CHANNEL_LINE ? "line" : "email");
		if (out != NULL && fwrite(line, 1, len, out) != len) {
			rc = MATCH_EOUTPUT;
			break;
		}
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	return rc;
}

/* A u32 meta value (0 when missing). */
static int
meta_u32(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    uint32_t *out)
{
	uint8_t b[4];
	size_t len;
	int rc = store_meta_get(txn, dbi, name, b, sizeof(b), &len);

	*out = rc == 0 && len == 4 ? (uint32_t)util_le_get(b, 4) : 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Queue the new notices, batch per write transaction. */
static int
queue(struct store *s, const struct rules_set *rs, const struct cand *v,
    const uint32_t *order, size_t n, date_t d, int fy, long batch,
    struct match_result *res)
{
	const struct store_dbi *dbi = store_dbi(s);
	MDB_txn *txn = NULL;
	uint64_t seq;
	uint8_t rb[4], db[4];
	uint32_t last_run, last_date, done;
	long inbatch = 0;
	int64_t now = (int64_t)time(NULL);
	int rc;

	rc = mdb_txn_begin(store_env(s), NULL, 0, &txn);
	if (rc != 0)
		return rc;
	/* The run number, taken in the first batch.  A run for the same date
	 * that was cut short (a crash between its batches: "match.last" is
	 * not its date) is resumed under its number, so that its notices
	 * still make one message per recipient. */
	if ((rc = meta_u32(txn, dbi, "run.seq", &last_run)) != 0 ||
	    (rc = meta_u32(txn, dbi, "run.date", &last_date)) != 0 ||
	    (rc = meta_u32(txn, dbi, "match.last", &done)) != 0)
		goto fail;
	if (last_run != 0 && (int32_t)last_date == d && (int32_t)done != d)
		res->run = last_run;
	else
		res->run = last_run + 1;
	util_le_put(rb, res->run, 4);
	util_le_put(db, (uint32_t)d, 4);
	if ((rc = store_meta_put(txn, dbi, "run.seq", rb, 4)) != 0 ||
	    (rc = store_meta_put(txn, dbi, "run.date", db, 4)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct cand *k = &v[order[i]];
		unsigned prog = (unsigned)k->key[0] << 8 | k->key[1];
		const struct rules_program *p = rs->p[prog];
		uint32_t cycle = cycle_of(p, fy);
		uint8_t lkey[LEDGER_KEY_MAX], lval[18], nkey[8], nval[256];
		struct notice no;
		MDB_val kv, vv;
		int found;

		if (i > 0 && memcmp(k->key, v[order[i - 1]].key, CAND_KEY) == 0)
			continue;
		if ((rc = in_ledger(txn, dbi, k, p, cycle, &found)) != 0)
			goto fail;
		if (found) {
			res->c[prog].already++;
			continue;
		}
		if ((rc = notice_next_seq(txn, dbi, "notice.seq", &seq)) != 0)
			goto fail;
		memset(&no, 0, sizeof(no));
		no.id = seq;
		no.state = NOTICE_NEW;
		no.run = res->run;
		no.date = d;
		no.channel = k->channel;
		no.language = k->language;
		no.child = k->child;
		no.cycle = cycle;
		memcpy(no.recipient, k->key + 2, STORE_PSEUDO_LEN);
		memcpy(no.subject, k->key + 2 + STORE_PSEUDO_LEN, STORE_PSEUDO_LEN);
		snprintf(no.program, sizeof(no.program), "%s", p->id);
		notice_key(nkey, seq);
		kv.mv_data = nkey;
		kv.mv_size = 8;
		vv.mv_data = nval;
		vv.mv_size = notice_encode(&no, nval, sizeof(nval));
		if ((rc = mdb_put(txn, dbi->outbox, &kv, &vv, MDB_APPEND)) != 0)
			goto fail;
		kv.mv_size = ledger_key(lkey, no.recipient, no.subject, cycle, p->id);
		kv.mv_data = lkey;
		ledger_value(lval, LEDGER_QUEUED, seq, now);
		vv.mv_data = lval;
		vv.mv_size = sizeof(lval);
		if ((rc = mdb_put(txn, dbi->ledger, &kv, &vv, MDB_NOOVERWRITE)) != 0)
			goto fail;
		res->c[prog].queued++;
		res->total++;
		if (++inbatch >= batch) {
			if ((rc = mdb_txn_commit(txn)) != 0) {
				txn = NULL;
				goto fail;
			}
			if (util_failpoint("match-batch"))
				_exit(137);	/* as kill -9 would: no cleanup */
			inbatch = 0;
			if ((rc = mdb_txn_begin(store_env(s), NULL, 0, &txn)) != 0) {
				txn = NULL;
				goto fail;
			}
		}
	}
	if ((rc = store_meta_put(txn, dbi, "match.last", db, 4)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	return rc;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return rc;
}

/* One matcher pass over the store for date d: the contacts loaded, then
 * every household's candidates collected per thread (or, uncontacted,
 * the recipients with no contact).  The caller frees p->contacts.t, each
 * p->cs[t]'s lists and p->cs.  0 with p->mrc the matcher's code, or
 * MATCH_ESTORE (the contacts could not be read; nothing to free). */
struct pass {
	struct contact_map contacts;
	struct rules_ctx ctx;
	struct collect *cs;
	unsigned nt;
	int mrc;
};

static int
pass_run(struct store *s, const struct rules_set *rs, date_t d,
    unsigned nthreads, int uncontacted, struct pass *p)
{
	void *users[MATCHER_MAX_THREADS];
	unsigned long bad = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->nt = matcher_threads(nthreads);
	rc = contact_map_load(s, &p->contacts);
	if (rc != 0) {
		log_warnx("%s: contacts: %s", store_dir(s), mdb_strerror(rc));
		free(p->contacts.t);
		return MATCH_ESTORE;
	}
	if (p->contacts.bad)
		log_warnx("ALERT: %s: %lu contact records do not decode (a "
		    "damaged store?); their recipients are %s", store_dir(s),
		    p->contacts.bad, uncontacted ? "left out" : "counted as "
		    "badcontact and not notified through them");
	rules_ctx_init(&p->ctx, d, rs);
	p->cs = xcalloc(p->nt, sizeof(*p->cs));
	for (unsigned t = 0; t < p->nt; t++) {
		p->cs[t].rs = rs;
		p->cs[t].contacts = &p->contacts;
		p->cs[t].uncontacted = uncontacted;
		users[t] = &p->cs[t];
	}
	p->mrc = matcher_run(s, rs, &p->ctx, p->nt, 0, on_household, users,
	    &bad);
	if (bad)
		log_warnx("%s: %lu records did not decode and were skipped",
		    store_dir(s), bad);
	return 0;
}

/* A pass's matcher code as the run's, logged. */
static int
pass_error(struct store *s, int mrc)
{
	log_warnx("%s: %s", store_dir(s), matcher_strerror(mrc));
	return mrc == MATCHER_ETHREAD ? MATCH_ETHREAD : MATCH_ESTORE;
}

int
match_run(struct store *s, const struct rules_set *rs, date_t d,
    unsigned nthreads, int dry, FILE *out, long batch, struct match_result *res)
{
	struct pass p;
	struct cand *all = NULL;
	uint32_t *order = NULL;
	size_t n = 0, k = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!dry && !store_dbi(s)->delivery) {
		log_warnx("%s: opened read-only", store_dir(s));
		return MATCH_EREADONLY;
	}
	if ((rc = pass_run(s, rs, d, nthreads, 0, &p)) != 0)
		return rc;
	res->bad_records = p.contacts.bad;
	for (unsigned t = 0; t < p.nt; t++) {
		n += p.cs[t].n;
		for (unsigned i = 0; i < rs->n; i++) {
			res->c[i].eligible += p.cs[t].c[i].eligible;
			res->c[i].recipients += p.cs[t].c[i].recipients;
			res->c[i].no_recipient += p.cs[t].c[i].no_recipient;
			res->c[i].no_contact += p.cs[t].c[i].no_contact;
			res->c[i].bad_contact += p.cs[t].c[i].bad_contact;
			res->c[i].no_consent += p.cs[t].c[i].no_consent;
		}
	}
	if (p.mrc == 0 && n > 0) {
		all = xmalloc(n * sizeof(*all));
		for (unsigned t = 0; t < p.nt; t++) {
			if (p.cs[t].n)
				memcpy(all + k, p.cs[t].v, p.cs[t].n * sizeof(*all));
			k += p.cs[t].n;
		}
		order = util_order_keys(all, sizeof(*all), n, 0, CAND_KEY);
	}
	for (unsigned t = 0; t < p.nt; t++)
		free(p.cs[t].v);
	free(p.cs);
	free(p.contacts.t);
	if (p.mrc != 0)
		return pass_error(s, p.mrc);
	rc = dry ? print_dry(s, rs, all, order, n, p.ctx.fy, out, res) :
	    queue(s, rs, all, order, n, d, p.ctx.fy, batch, res);
	free(order);
	free(all);
	if (rc == MATCH_EOUTPUT)
		return rc;
	if (rc != 0) {
		log_warnx("%s: %s", store_dir(s), mdb_strerror(rc));
		return MATCH_ESTORE;
	}
	if (dry && out != NULL && fflush(out) != 0)
		return MATCH_EOUTPUT;
	return 0;
}

int
match_uncontacted(struct store *s, const struct rules_set *rs, date_t d,
    unsigned nthreads, struct match_uncontacted **out, size_t *nout)
{
	struct pass p;
	struct match_uncontacted *all = NULL;
	uint32_t *order;
	size_t n = 0, k = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = pass_run(s, rs, d, nthreads, 1, &p)) != 0)
		return rc;
	for (unsigned t = 0; t < p.nt; t++)
		n += p.cs[t].nu;
	if (p.mrc == 0 && n > 0) {
		struct match_uncontacted *v = xmalloc(n * sizeof(*v));

		for (unsigned t = 0; t < p.nt; t++) {
			if (p.cs[t].nu)
				memcpy(v + k, p.cs[t].u, p.cs[t].nu * sizeof(*v));
			k += p.cs[t].nu;
		}
		order = util_order_keys(v, sizeof(*v), n, 0, sizeof(*v));
		all = xmalloc(n * sizeof(*all));
		k = 0;
		for (size_t i = 0; i < n; i++)
			if (k == 0 || memcmp(&all[k - 1], &v[order[i]],
			    sizeof(*v)) != 0)
				all[k++] = v[order[i]];
		free(order);
		free(v);
	}
	for (unsigned t = 0; t < p.nt; t++)
		free(p.cs[t].u);
	free(p.cs);
	free(p.contacts.t);
	if (p.mrc != 0) {
		free(all);
		return pass_error(s, p.mrc);
	}
	*out = all;
	*nout = k;
	return 0;
}

const char *
match_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case MATCH_EREADONLY:
		return "the store is open read-only";
	case MATCH_ETHREAD:
		return "a matcher thread could not be started";
	case MATCH_ESTORE:
		return "reading or writing the store failed";
	case MATCH_EOUTPUT:
		return "writing the dry run's output failed";
	default:
		return "an unknown match error";
	}
}

void
match_print_counts(const struct rules_set *rs, const struct match_result *res,
    FILE *f)
{
	struct match_counts t;

	memset(&t, 0, sizeof(t));
	fprintf(f, "%-32s %9s %9s %9s %9s %9s %9s %10s\n", "program", "eligible",
	    "queued", "already", "nocontact", "noconsent", "noadult",
	    "badcontact");
	for (unsigned p = 0; p < rs->n; p++) {
		const struct match_counts *c = &res->c[p];

		fprintf(f, "%-32s %9lu %9lu %9lu %9lu %9lu %9lu %10lu\n",
		    rs->p[p]->id, c->eligible, c->queued, c->already,
		    c->no_contact, c->no_consent, c->no_recipient,
		    c->bad_contact);
		t.eligible += c->eligible;
		t.queued += c->queued;
		t.already += c->already;
		t.no_contact += c->no_contact;
		t.no_consent += c->no_consent;
		t.no_recipient += c->no_recipient;
		t.bad_contact += c->bad_contact;
	}
	fprintf(f, "%-32s %9lu %9lu %9lu %9lu %9lu %9lu %10lu\n", "total",
	    t.eligible, t.queued, t.already, t.no_contact, t.no_consent,
	    t.no_recipient, t.bad_contact);
}
