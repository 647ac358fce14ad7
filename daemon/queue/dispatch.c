/* dispatch.c - the dispatcher (see dispatch.h)
 * SPDX-License-Identifier: MIT
 */
#include "dispatch.h"
#include "addrbox.h"
#include "dates.h"
#include "job.h"
#include "log.h"
#include "notice.h"
#include "render.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define AUTH_PAUSE 300		/* seconds a refused channel waits */
#define RATE_PAUSE 1.0		/* seconds after a rate-limit 429 */
#define MAX_OPENERS 64
#define MAX_RESULTS 4096	/* per step */

/* A message waiting for its time, in a min-heap per channel. */
struct ready {
	double due;		/* wall-clock seconds */
	uint64_t id;
};

struct heap {
	struct ready *a;
	size_t n, cap;
};

struct chan {
	struct heap q;
	double tokens, last;		/* token bucket (monotonic time) */
	double factor, factor_at;	/* pace after a 429, recovering */
	time_t paused_until;
	int pause_why;			/* JOB_QUOTA, JOB_AUTH, 0 */
};

struct flight {
	uint64_t id;
	uint32_t attempt;
	uint8_t channel, used;
	double deadline;	/* monotonic */
	time_t sent;
};

/* What a step decided for one message, applied in one transaction after
 * the outcome log is synced. */
struct verdict {
	uint64_t id;
	uint8_t final;		/* an enum outlog_outcome, or 0: reschedule */
	uint8_t regroup;	/* cancel only the notices whose subject left */
	uint8_t uncertain;
	uint32_t attempt;
	int32_t status;
	time_t first, next;
};

struct dispatch {
	struct store *s;
	const struct store_dbi *dbi;
	const struct config *cfg;
	const struct rules_set *rs;
	struct outlog *log;
	struct link *link;		/* borrowed */
	void *pull;			/* its results socket */
	time_t offset;
	uint8_t *sk, *unsub_key;	/* sodium_malloc */
	uint8_t pk[ADDRBOX_PK_LEN];
	struct {
		uint32_t import_no;
		struct addrbox *b;
	} openers[MAX_OPENERS];
	unsigned nopeners;
	struct chan ch[3];		/* by enum job_channel */
	struct flight *fl;
	unsigned nfl, flcap;
	unsigned inflight;		/* entries of fl in use */
	struct verdict *v;
	size_t nv, vcap;
	int draining, regroup, key_alerted;
	double last_settle;	/* monotonic */
	struct dispatch_stats st;
};

/* ---- heaps ---- */

static void
heap_push(struct heap *h, double due, uint64_t id)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->a = xrealloc(h->a, h->cap * sizeof(*h->a));
	}
	i = h->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (h->a[up].due <= due)
			break;
		h->a[i] = h->a[up];
		i = up;
	}
	h->a[i].due = due;
	h->a[i].id = id;
}

static struct ready
heap_pop(struct heap *h)
{
	struct ready top = h->a[0], last = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1].due < h->a[c].due)
			c++;
		if (last.due <= h->a[c].due)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n > 0)
		h->a[i] = last;
	return top;
}

/* ---- time ---- */

time_t
dispatch_now(const struct dispatch *d)
{
	return time(NULL) + d->offset;
}

int
dispatch_in_window(long m, long start, long end)
{
	if (start == end)
		return 1;	/* no quiet hours */
	if (start < end)
		return m >= start && m < end;
	return m >= start || m < end;
}

/* The next time the window opens, from t (t outside it). */
static time_t
window_opens(time_t t, long start)
{
	long m = date_minute_jst(t);
	long wait = (start - m + 1440) % 1440;

	return t - ((t % 60) + 60) % 60 + (time_t)wait * 60;
}


/* ---- setup ---- */

static int
load_queue(struct dispatch *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(store_env(d->s), NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, d->dbi->messages, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		struct message m;

		if (message_decode(&k, &v, &m) != 0 ||
		    (p[1] != CHANNEL_LINE && p[1] != CHANNEL_EMAIL)) {
			log_warnx("message %llu does not decode; left alone",
			    (unsigned long long)notice_key_id(&k));
			continue;
		}
		heap_push(&d->ch[m.channel].q, (double)m.next_attempt, m.id);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct dispatch *
dispatch_new(struct store *s, const struct config *cfg,
    const struct rules_set *rs, struct outlog *log, struct link *link,
    time_t offset, char *err, size_t errlen)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32];
	const char *why;
	int code, rc;
	uint8_t *sk;

	d->s = s;
	d->dbi = store_dbi(s);
	d->cfg = cfg;
	d->rs = rs;
	d->log = log;
	d->offset = offset;
	for (int c = 0; c < 3; c++) {
		d->ch[c].factor = 1.0;
		d->ch[c].last = util_now();
	}
	config_contacts_paths(cfg, store_dir(s), pub, sec, sizeof(pub));
	if (addrbox_read_pub(pub, d->pk, &why) != 0) {
		snprintf(err, errlen, "%s: %s", pub, why);
		goto fail;
	}
	sk = secret_read(sec, &why, &code);
	if (sk == NULL) {
		snprintf(err, errlen, "%s: %s", sec, why);
		goto fail;
	}
	d->sk = sk;
	d->unsub_key = sodium_malloc(32);
	if (d->unsub_key == NULL) {
		snprintf(err, errlen, "sodium_malloc failed");
		goto fail;
	}
	crypto_kdf_derive_from_key(d->unsub_key, 32, 1, "unsubscr", d->sk);
	d->link = link;
	d->pull = link_results(link);
	if ((rc = load_queue(d)) != 0) {
		snprintf(err, errlen, "%s: messages: %s", store_dir(s),
		    mdb_strerror(rc));
		goto fail;
	}
	return d;
fail:
	dispatch_free(d);
	return NULL;
}

void
dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->nopeners; i++)
		addrbox_free(d->openers[i].b);
	if (d->sk)
		sodium_free(d->sk);
	if (d->unsub_key)
		sodium_free(d->unsub_key);
	for (int c = 0; c < 3; c++)
		free(d->ch[c].q.a);
	free(d->fl);
	free(d->v);
	free(d);
}

void
dispatch_reload(struct dispatch *d, const struct config *cfg,
    const struct rules_set *rs)
{
	d->cfg = cfg;
	d->rs = rs;
	for (int c = 1; c < 3; c++)
		if (d->ch[c].pause_why == JOB_AUTH) {
			d->ch[c].paused_until = 0;
			d->ch[c].pause_why = 0;
			log_info("%s channel resumed after a reload",
			    c == CHANNEL_LINE ? "LINE" : "email");
		}
}

void
dispatch_drain(struct dispatch *d)
{
	d->draining = 1;
}

unsigned
dispatch_in_flight(const struct dispatch *d)
{
	return d->inflight;
}

const struct dispatch_stats *
dispatch_stats(const struct dispatch *d)
{
	return &d->st;
}

double
dispatch_next_due(const struct dispatch *d)
{
	time_t now = dispatch_now(d);
	double best = -1;

	for (int c = 1; c < 3; c++) {
		const struct chan *ch = &d->ch[c];
		double due;

		if (ch->q.n == 0)
			continue;
		due = ch->q.a[0].due;
		if (ch->paused_until > now && ch->paused_until > due)
			due = (double)ch->paused_until;
		if (due < (double)now)
			due = (double)now;
		if (!dispatch_in_window(date_minute_jst((time_t)due),
		    d->cfg->window_start, d->cfg->window_end))
			due = (double)window_opens((time_t)due, d->cfg->window_start);
		due -= (double)now;
		if (best < 0 || due < best)
			best = due;
	}
	return best;
}

/* ---- making messages ---- */

struct nref {
	uint32_t run;
	uint8_t recipient[STORE_PSEUDO_LEN];
	uint8_t channel, language, child;
	uint64_t id;
	char program[65];
};

static int
nref_cmp(const void *a, const void *b)
{
	const struct nref *x = a, *y = b;
	int c;

	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	if ((c = memcmp(x->recipient, y->recipient, STORE_PSEUDO_LEN)) != 0)
		return c;
	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	if ((c = strcmp(x->program, y->program)) != 0)
		return c;
	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

#define TEXT_CAP 16384

/* Texts of a digest: a header, then one paragraph per distinct (program,
 * child) in program order, split into message objects of at most 5,000
 * UTF-16 units.  Returns the number of notices of g[0..n) taken (the
 * rest go into another message), 0 if none renders. */
static size_t
build_texts(struct dispatch *d, const struct nref *g, size_t n,
    char texts[JOB_MAX_TEXTS][TEXT_CAP], size_t *lens, unsigned *ntexts,
    char *subject, size_t subcap, uint8_t *cancel)
{
	const struct config *cfg = d->cfg;
	int en = g[0].language == LANG_EN;
	char para[8192];
	size_t taken = 0, units, pu;	/* units: of texts[t] */
	unsigned t = 0;

	snprintf(subject, subcap, en ? "[%s] Programs you may qualify for" :
	    "【%s】あなたが使える制度のお知らせ", en ? cfg->city_en : cfg->city_ja);
	lens[0] = (size_t)snprintf(texts[0], TEXT_CAP, en ?
	    "[%s] Programs you may qualify for" :
	    "【%s】あなたが使える制度のお知らせ", en ? cfg->city_en : cfg->city_ja);
	units = util_utf16_units(texts[0], lens[0]);
	for (size_t i = 0; i < n; i++) {
		int idx = rules_find(d->rs, g[i].program);
		int len;

		cancel[i] = 0;
		if (i > 0 && strcmp(g[i].program, g[i - 1].program) == 0 &&
		    g[i].child == g[i - 1].child) {
			taken = i + 1;	/* the same paragraph covers it */
			cancel[i] = cancel[i - 1];
			continue;
		}
		len = idx < 0 ? -1 : render_message(d->rs->p[idx], cfg, g[i].language,
		    g[i].child, para, sizeof(para));
		if (len < 0) {
			cancel[i] = 1;	/* a program no longer in the rules */
			taken = i + 1;
			continue;
		}
		pu = util_utf16_units(para, (size_t)len);
		if (units + 2 + pu > JOB_LINE_TEXT_UNITS ||
		    lens[t] + 2 + (size_t)len >= TEXT_CAP) {
			if (t + 1 == JOB_MAX_TEXTS)
				break;	/* the rest: another message */
			t++;
			lens[t] = 0;
			units = pu;
		} else {
			memcpy(texts[t] + lens[t], "\n\n", 2);
			lens[t] += 2;
			units += 2 + pu;
		}
		memcpy(texts[t] + lens[t], para, (size_t)len);
		lens[t] += (size_t)len;
		taken = i + 1;
	}
	*ntexts = t + 1;
	return taken;
}

static int
cancel_notice_txn(struct dispatch *d, MDB_txn *txn, const struct notice *no,
    uint64_t message, int outcome, uint32_t attempt, int32_t status,
    const uint8_t *digest, int maybe_sent);

/* One group's messages: written in txn, queued in the heap after commit. */
static int
make_messages(struct dispatch *d, MDB_txn *txn, const struct nref *g, size_t n,
    uint64_t *made, size_t *nmade)
{
	static char texts[JOB_MAX_TEXTS][TEXT_CAP];
	uint8_t *cancel = xmalloc(n);
	size_t off = 0;
	int rc = 0;

	while (off < n && rc == 0) {
		struct message m;
		size_t lens[JOB_MAX_TEXTS], take, cap;
		unsigned ntexts;
		char subject[512];
		uint8_t key[8], *buf;
		MDB_val kv, vv;

		take = build_texts(d, g + off, n - off, texts, lens, &ntexts,
		    subject, sizeof(subject), cancel + off);
		if (take == 0)
			take = 1;	/* cannot happen: a paragraph always fits */
		memset(&m, 0, sizeof(m));
		if ((rc = notice_next_seq(txn, d->dbi, "message.seq", &m.id)) != 0)
			break;
		m.channel = g[off].channel;
		m.language = g[off].language;
		memcpy(m.recipient, g[off].recipient, STORE_PSEUDO_LEN);
		util_uuid4(m.retry_key);
		m.run = g[off].run;
		m.ntexts = ntexts;
		for (unsigned i = 0; i < ntexts; i++) {
			m.text[i] = texts[i];
			m.text_len[i] = lens[i];
		}
		m.subject = subject;
		m.subject_len = strlen(subject);
		for (size_t i = off; i < off + take; i++) {
			struct notice no;
			uint8_t nk[8], nb[256];
			MDB_val nkv = { 8, nk }, nvv;

			notice_key(nk, g[i].id);
			if ((rc = mdb_get(txn, d->dbi->outbox, &nkv, &nvv)) != 0 ||
			    notice_decode(&nkv, &nvv, &no) != 0) {
				rc = rc ? rc : MDB_CORRUPTED;
				break;
			}
			if (cancel[i]) {
				rc = cancel_notice_txn(d, txn, &no, 0,
				    OUTCOME_CANCELLED, 0, 0, NULL, 0);
				if (rc != 0)
					break;
				continue;
			}
			if (m.n == MESSAGE_MAX_NOTICES) {
				take = i - off;
				break;
			}
			m.notices[m.n++] = g[i].id;
			no.state = NOTICE_DIGESTED;
			no.message = m.id;
			nvv.mv_data = nb;
			nvv.mv_size = notice_encode(&no, nb, sizeof(nb));
			if ((rc = mdb_put(txn, d->dbi->outbox, &nkv, &nvv, 0)) != 0)
				break;
		}
		if (rc == 0 && m.n > 0) {
			cap = 256 + 8 * m.n + JOB_MAX_TEXTS * TEXT_CAP;
			buf = xmalloc(cap);
			notice_key(key, m.id);
			kv.mv_data = key;
			kv.mv_size = 8;
			vv.mv_data = buf;
			vv.mv_size = message_encode(&m, buf, cap);
			rc = mdb_put(txn, d->dbi->messages, &kv, &vv, MDB_APPEND);
			free(buf);
			if (rc == 0) {
				made[(*nmade)++] = m.id;
				made[(*nmade)++] = m.channel;
			}
		}
		off += take;
	}
	free(cancel);
	return rc;
}

int
dispatch_digest(struct dispatch *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct nref *r = NULL;
	size_t n = 0, cap = 0, nmade = 0;
	uint64_t *made;
	int rc;

	if ((rc = mdb_txn_begin(store_env(d->s), NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, d->dbi->outbox, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct notice no;

		if (notice_decode(&k, &v, &no) != 0 || no.state != NOTICE_NEW)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			r = xrealloc(r, cap * sizeof(*r));
		}
		r[n].run = no.run;
		memcpy(r[n].recipient, no.recipient, STORE_PSEUDO_LEN);
		r[n].channel = no.channel;
		r[n].language = no.language;
		r[n].child = no.child;
		r[n].id = no.id;
		memcpy(r[n].program, no.program, sizeof(r[n].program));
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND) {
		free(r);
		return rc;
	}
	if (n == 0) {
		free(r);
		return 0;
	}
	qsort(r, n, sizeof(*r), nref_cmp);
	made = xmalloc(2 * (n + 1) * sizeof(*made));
	rc = mdb_txn_begin(store_env(d->s), NULL, 0, &txn);
	for (size_t i = 0, inbatch = 0; rc == 0 && i < n;) {
		size_t j = i + 1;

		while (j < n && r[j].run == r[i].run && r[j].channel == r[i].channel &&
		    memcmp(r[j].recipient, r[i].recipient, STORE_PSEUDO_LEN) == 0)
			j++;
		rc = make_messages(d, txn, r + i, j - i, made, &nmade);
		inbatch += j - i;
		i = j;
		if (rc == 0 && (inbatch >= 20000 || i == n)) {
			rc = outlog_sync(d->log) == 0 ? 0 : EIO;
			if (rc == 0)
				rc = mdb_txn_commit(txn);
			else
				mdb_txn_abort(txn);
			txn = NULL;
			if (rc == 0) {
				for (size_t m = 0; m < nmade; m += 2)
					heap_push(&d->ch[made[m + 1]].q, 0, made[m]);
				d->st.messages_made += nmade / 2;
				nmade = 0;
				inbatch = 0;
				if (i < n)
					rc = mdb_txn_begin(store_env(d->s), NULL, 0, &txn);
			}
		}
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(made);
	free(r);
	return rc;
}

/* ---- outcomes ---- */

/* Record the outcome of one notice and take it out of the outbox; the
 * ledger keeps sent and failed notices and forgets cancelled ones, but for
 * one whose message may have been delivered (maybe_sent: an attempt went
 * unanswered), which it keeps as failed so that it is never sent again. */
static int
cancel_notice_txn(struct dispatch *d, MDB_txn *txn, const struct notice *no,
    uint64_t message, int outcome, uint32_t attempt, int32_t status,
    const uint8_t *digest, int maybe_sent)
{
	struct outcome o;
	uint8_t lk[LEDGER_KEY_MAX], lv[18], nk[8];
	MDB_val kv, vv;
	int rc;

	memset(&o, 0, sizeof(o));
	o.notice = no->id;
	o.message = message;
	memcpy(o.recipient, no->recipient, STORE_PSEUDO_LEN);
	memcpy(o.subject, no->subject, STORE_PSEUDO_LEN);
	snprintf(o.program, sizeof(o.program), "%s", no->program);
	o.channel = no->channel;
	o.outcome = (uint8_t)outcome;
	o.attempt = attempt;
	o.time = (int64_t)time(NULL);	/* the real clock, not --now */
	memcpy(o.ruleset, d->rs->version, 32);
	if (digest)
		memcpy(o.digest, digest, 32);
	o.status = status;
	if (outlog_append(d->log, &o) != 0)
		return EIO;
	kv.mv_size = ledger_key(lk, no->recipient, no->subject, no->cycle,
	    no->program);
	kv.mv_data = lk;
	if (outcome == OUTCOME_CANCELLED && !maybe_sent) {
		rc = mdb_del(txn, d->dbi->ledger, &kv, NULL);
	} else {
		ledger_value(lv, outcome == OUTCOME_SENT ? LEDGER_SENT :
		    LEDGER_FAILED, no->id, o.time);
		vv.mv_data = lv;
		vv.mv_size = sizeof(lv);
		rc = mdb_put(txn, d->dbi->ledger, &kv, &vv, 0);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	notice_key(nk, no->id);
	kv.mv_data = nk;
	kv.mv_size = 8;
	if ((rc = mdb_del(txn, d->dbi->outbox, &kv, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return rc;
	switch (outcome) {
	case OUTCOME_SENT:
		d->st.sent++;
		if ((rc = rules_find(d->rs, no->program)) >= 0)
			d->st.sent_prog[rc]++;
		rc = 0;
		break;
	case OUTCOME_FAILED: d->st.failed++; break;
	case OUTCOME_CANCELLED: d->st.cancelled++; break;
	default: d->st.expired++; break;
	}
	return 0;
}

static int
resident_here(MDB_txn *txn, const struct store_dbi *dbi, const uint8_t *res)
{
	MDB_val k = { STORE_PSEUDO_LEN, (void *)res }, v;

	return mdb_get(txn, dbi->resident_hh, &k, &v) == 0;
}

/* Apply one verdict in txn (the outcome records are appended here and
 * synced by the caller before commit). */
/* Is this retry past its channel's maximum age, so given up instead? */
static int
expired(const struct dispatch *d, const struct message *m,
    const struct verdict *vd)
{
	time_t first = m->first_attempt ? (time_t)m->first_attempt : vd->first;
	long max_age = m->channel == CHANNEL_LINE ? d->cfg->line_max_age :
	    d->cfg->email_max_age;

	if (first == 0)
		return 0;	/* held before any attempt */
	/* Email gives up after max_age, as MTAs do.  A LINE message only
	 * needs to when an attempt may have been accepted unseen: past its
	 * retry key's life a retry could deliver it twice.  One that LINE
	 * only ever refused (quota, auth, rate) waits as long as it must. */
	return dispatch_now(d) - first > max_age &&
	    (m->channel == CHANNEL_EMAIL || vd->uncertain ||
	    (m->flags & MESSAGE_UNCERTAIN));
}

static int
apply(struct dispatch *d, MDB_txn *txn, struct verdict *vd)
{
	uint8_t key[8], digest[32], *buf;
	MDB_val kv = { 8, key }, vv;
	struct message m;
	size_t cap;
	int rc;

	notice_key(key, vd->id);
	if ((rc = mdb_get(txn, d->dbi->messages, &kv, &vv)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;	/* already settled */
	if (message_decode(&kv, &vv, &m) != 0)
		return MDB_CORRUPTED;
	if (vd->final == 0 && expired(d, &m, vd)) {
		vd->final = OUTCOME_EXPIRED;
		log_info("message %llu: given up after %u attempts",
		    (unsigned long long)vd->id, vd->attempt);
	}
	if (vd->final == 0) {
		m.attempts = vd->attempt;
		/* the clock of max_age: from the first attempt for email;
		 * for LINE from the first attempt that may have been accepted
		 * (quota, auth and rate refusals cannot have been) */
		if (m.first_attempt == 0 && (m.channel == CHANNEL_EMAIL ||
		    vd->uncertain))
			m.first_attempt = vd->first;
		m.next_attempt = vd->next;
		if (vd->uncertain)
			m.flags |= MESSAGE_UNCERTAIN;
		cap = vv.mv_size;
		buf = xmalloc(cap);
		vv.mv_size = message_encode(&m, buf, cap);
		vv.mv_data = buf;
		rc = mdb_put(txn, d->dbi->messages, &kv, &vv, 0);
		free(buf);
		if (rc == 0)
			heap_push(&d->ch[m.channel].q, (double)vd->next, vd->id);
		return rc;
	}
	outlog_digest(d->log, m.text, m.text_len, m.ntexts, digest);
	for (unsigned i = 0; i < m.n; i++) {
		uint8_t nk[8];
		MDB_val nkv = { 8, nk }, nvv;
		struct notice no;
		int outcome = vd->final;

		notice_key(nk, m.notices[i]);
		if ((rc = mdb_get(txn, d->dbi->outbox, &nkv, &nvv)) == MDB_NOTFOUND)
			continue;
		if (rc != 0 || notice_decode(&nkv, &nvv, &no) != 0)
			return rc ? rc : MDB_CORRUPTED;
		if (vd->regroup) {
			/* before any attempt: cancel the notices about someone
			 * who left, give the others back to be digested anew */
			if (resident_here(txn, d->dbi, no.subject)) {
				uint8_t nb[256];

				no.state = NOTICE_NEW;
				no.message = 0;
				nvv.mv_data = nb;
				nvv.mv_size = notice_encode(&no, nb, sizeof(nb));
				if ((rc = mdb_put(txn, d->dbi->outbox, &nkv, &nvv,
				    0)) != 0)
					return rc;
				continue;
			}
			outcome = OUTCOME_CANCELLED;
		}
		if ((rc = cancel_notice_txn(d, txn, &no, vd->id, outcome,
		    vd->attempt, vd->status, digest,
		    (m.flags & MESSAGE_UNCERTAIN) != 0)) != 0)
			return rc;
	}
	notice_key(key, vd->id);
	kv.mv_data = key;
	kv.mv_size = 8;
	rc = mdb_del(txn, d->dbi->messages, &kv, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static struct verdict *
verdict_add(struct dispatch *d, uint64_t id)
{
	struct verdict *vd;

	if (d->nv == d->vcap) {
		d->vcap = d->vcap ? 2 * d->vcap : 256;
		d->v = xrealloc(d->v, d->vcap * sizeof(*d->v));
	}
	vd = &d->v[d->nv++];
	memset(vd, 0, sizeof(*vd));
	vd->id = id;
	return vd;
}

/* Apply the step's verdicts: outcome records first, synced, then one
 * transaction. */
static int
settle(struct dispatch *d)
{
	MDB_txn *txn;
	int rc;

	if (d->nv == 0)
		return 0;
	if ((rc = mdb_txn_begin(store_env(d->s), NULL, 0, &txn)) != 0)
		goto out;
	for (size_t i = 0; i < d->nv && rc == 0; i++) {
		rc = apply(d, txn, &d->v[i]);
		if (d->v[i].regroup)
			d->regroup = 1;
	}
	if (rc == 0 && outlog_sync(d->log) != 0) {
		log_warn("outcome log");
		rc = EIO;
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
out:
	if (rc != 0)
		log_warnx("%s: settling %zu messages: %s", store_dir(d->s), d->nv,
		    rc == EIO ? "outcome log write failed" : mdb_strerror(rc));
	d->nv = 0;
	return rc;
}

/* ---- sending ---- */

static struct addrbox *
opener(struct dispatch *d, MDB_txn *txn, uint32_t import_no)
{
	uint8_t k[4] = { (uint8_t)(import_no >> 24), (uint8_t)(import_no >> 16),
		(uint8_t)(import_no >> 8), (uint8_t)import_no };
	MDB_val kv = { 4, k }, vv;
	struct addrbox *b;

	for (unsigned i = 0; i < d->nopeners; i++)
		if (d->openers[i].import_no == import_no)
			return d->openers[i].b;
	if (mdb_get(txn, d->dbi->contact_keys, &kv, &vv) != 0 ||
	    vv.mv_size != ADDRBOX_PK_LEN)
		return NULL;
	b = addrbox_opener_new(d->sk, d->pk, vv.mv_data);
	if (b == NULL)
		return NULL;
	if (d->nopeners == MAX_OPENERS) {
		addrbox_free(d->openers[0].b);
		memmove(d->openers, d->openers + 1,
		    (MAX_OPENERS - 1) * sizeof(d->openers[0]));
		d->nopeners--;
	}
	d->openers[d->nopeners].import_no = import_no;
	d->openers[d->nopeners++].b = b;
	return b;
}

/* The address of the recipient's active contact on channel, or -1 if the
 * contact is gone or withdrawn, -2 if it does not decrypt. */
static int
address(struct dispatch *d, MDB_txn *txn, const uint8_t *rec, uint8_t channel,
    char *out)
{
	uint8_t k[STORE_PSEUDO_LEN + 1];
	MDB_val kv = { sizeof(k), k }, vv;
	struct contact c;
	struct addrbox *b;

	memcpy(k, rec, STORE_PSEUDO_LEN);
	k[STORE_PSEUDO_LEN] = channel;
	if (mdb_get(txn, d->dbi->contacts, &kv, &vv) != 0 ||
	    store_contact_decode(vv.mv_data, vv.mv_size, &c) != 0 ||
	    c.status != CONTACT_ACTIVE || c.ct_len <= ADDRBOX_TAG_LEN ||
	    c.ct_len - ADDRBOX_TAG_LEN > ADDRBOX_MAX_ADDR)
		return -1;
	b = opener(d, txn, c.import_no);
	if (b == NULL || addrbox_open(b, rec, channel, c.nonce, c.ct, c.ct_len,
	    out) != 0)
		return -2;
	return 0;
}

static struct flight *
flight_slot(struct dispatch *d)
{
	for (unsigned i = 0; i < d->nfl; i++)
		if (!d->fl[i].used)
			return &d->fl[i];
	if (d->nfl == d->flcap) {
		d->flcap = d->flcap ? 2 * d->flcap : 256;
		d->fl = xrealloc(d->fl, d->flcap * sizeof(*d->fl));
	}
	return &d->fl[d->nfl++];
}

/* Send message id if it may go.  Returns 1 sent, 0 settled otherwise
 * (cancelled or nothing to do), -1 the jobs socket is full (requeue). */
static int
send_one(struct dispatch *d, MDB_txn *txn, uint64_t id, uint8_t channel)
{
	static uint8_t frame[JOB_MAX_TEXTS * 20480 + 4096];
	uint8_t key[8];
	MDB_val kv = { 8, key }, vv;
	struct message m;
	struct job j;
	struct flight *f;
	char addr[ADDRBOX_MAX_ADDR + 1];
	size_t len;
	int rc, gone = 0;

	notice_key(key, id);
	if (mdb_get(txn, d->dbi->messages, &kv, &vv) != 0)
		return 0;	/* settled meanwhile */
	if (message_decode(&kv, &vv, &m) != 0) {
		log_warnx("message %llu does not decode; left alone",
		    (unsigned long long)id);
		return 0;
	}
	rc = address(d, txn, m.recipient, m.channel, addr);
	if (rc == -2) {
		/* the daemon's contacts key, not the resident, is wrong:
		 * hold the message and tell the operator */
		struct verdict *vd = verdict_add(d, id);

		if (!d->key_alerted)
			log_warnx("ALERT: contact addresses do not decrypt with "
			    "%s (the wrong contacts key?); messages are held, "
			    "retried every %d s", "the configured secret key",
			    AUTH_PAUSE);
		d->key_alerted = 1;
		vd->attempt = m.attempts;
		vd->next = dispatch_now(d) + AUTH_PAUSE;
		return 0;
	}
	if (rc != 0 || !resident_here(txn, d->dbi, m.recipient)) {
		struct verdict *vd = verdict_add(d, id);

		vd->final = OUTCOME_CANCELLED;
		vd->attempt = m.attempts;
		return 0;
	}
	if (m.attempts == 0) {
		for (unsigned i = 0; i < m.n && !gone; i++) {
			uint8_t nk[8];
			MDB_val nkv = { 8, nk }, nvv;
			struct notice no;

			notice_key(nk, m.notices[i]);
			if (mdb_get(txn, d->dbi->outbox, &nkv, &nvv) == 0 &&
			    notice_decode(&nkv, &nvv, &no) == 0 &&
			    !resident_here(txn, d->dbi, no.subject))
				gone = 1;
		}
		if (gone) {
			struct verdict *vd = verdict_add(d, id);

			vd->final = OUTCOME_CANCELLED;
			vd->regroup = 1;
			sodium_memzero(addr, sizeof(addr));
			return 0;
		}
	}
	memset(&j, 0, sizeof(j));
	j.id = id;
	j.attempt = m.attempts + 1;
	j.channel = m.channel;
	j.language = m.language;
	util_uuid_text(m.retry_key, j.retry_key);
	snprintf(j.to, sizeof(j.to), "%s", addr);
	sodium_memzero(addr, sizeof(addr));
	snprintf(j.subject, sizeof(j.subject), "%.*s", (int)m.subject_len,
	    m.subject);
	snprintf(j.message_id, sizeof(j.message_id), "oshirase.%llu.%.8s",
	    (unsigned long long)id, j.retry_key);
	if (m.channel == CHANNEL_EMAIL) {
		uint8_t tok[16], in[STORE_PSEUDO_LEN + 1];
		char hex[33];

		memcpy(in, m.recipient, STORE_PSEUDO_LEN);
		in[STORE_PSEUDO_LEN] = m.channel;
		crypto_generichash(tok, sizeof(tok), in, sizeof(in), d->unsub_key, 32);
		hex_encode(tok, sizeof(tok), hex);
		hex[32] = '\0';
		if (strlen(d->cfg->mail_unsubscribe) + 33 <= sizeof(j.unsubscribe)) {
			strcpy(j.unsubscribe, d->cfg->mail_unsubscribe);
			strcat(j.unsubscribe, hex);
		}
	}
	j.ntexts = m.ntexts;
	for (unsigned i = 0; i < m.ntexts; i++) {
		j.text[i] = m.text[i];
		j.text_len[i] = m.text_len[i];
	}
	len = job_encode(&j, frame, sizeof(frame));
	sodium_memzero(j.to, sizeof(j.to));
	if (len == 0) {
		struct verdict *vd = verdict_add(d, id);

		log_warnx("message %llu does not fit in a job; failed",
		    (unsigned long long)id);
		vd->final = OUTCOME_FAILED;
		vd->attempt = m.attempts;
		return 0;
	}
	if (link_send(d->link, frame, len) != 0) {
		sodium_memzero(frame, len);
		return -1;
	}
	sodium_memzero(frame, len);
	f = flight_slot(d);
	f->id = id;
	f->attempt = j.attempt;
	f->channel = channel;
	f->used = 1;
	d->inflight++;
	f->deadline = util_now() + (double)d->cfg->job_timeout;
	f->sent = dispatch_now(d);
	d->st.jobs++;
	return 1;
}

static void
refill(struct chan *ch, long rate, long burst)
{
	double now = util_now(), r;

	if (ch->factor < 1.0) {
		ch->factor += 0.1 * (now - ch->factor_at);
		ch->factor_at = now;
		if (ch->factor > 1.0)
			ch->factor = 1.0;
	}
	r = (double)rate * ch->factor;
	ch->tokens += (now - ch->last) * r;
	ch->last = now;
	if (ch->tokens > (double)burst)
		ch->tokens = (double)burst;
}

static int
send_due(struct dispatch *d)
{
	time_t now = dispatch_now(d);
	int inwin = dispatch_in_window(date_minute_jst(now), d->cfg->window_start,
	    d->cfg->window_end);
	MDB_txn *txn = NULL;
	int rc = 0;

	for (int c = 1; c < 3 && rc == 0; c++) {
		struct chan *ch = &d->ch[c];
		long rate = c == CHANNEL_LINE ? d->cfg->line_rate : d->cfg->mail_rate;
		long burst = c == CHANNEL_LINE ? d->cfg->line_burst : d->cfg->mail_burst;

		refill(ch, rate, burst);
		if (d->draining || ch->q.n == 0 || ch->q.a[0].due > (double)now)
			continue;
		if (!inwin) {
			d->st.held_window++;
			continue;
		}
		if (ch->paused_until > now)
			continue;
		while (ch->q.n > 0 && ch->q.a[0].due <= (double)now &&
		    ch->tokens >= 1.0 &&
		    dispatch_in_flight(d) < (unsigned)d->cfg->in_flight &&
		    link_room(d->link)) {	/* before making a job no one takes */
			struct ready r = heap_pop(&ch->q);
			int sent;

			if (txn == NULL && (rc = mdb_txn_begin(store_env(d->s), NULL,
			    MDB_RDONLY, &txn)) != 0)
				break;
			sent = send_one(d, txn, r.id, (uint8_t)c);
			if (sent < 0) {
				heap_push(&ch->q, r.due, r.id);
				break;
			}
			if (sent > 0)
				ch->tokens -= 1.0;
		}
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	return rc;
}

/* ---- results ---- */

static double
backoff(const struct config *cfg, uint32_t attempt)
{
	double cap = (double)cfg->retry_cap, t = (double)cfg->retry_base;

	for (uint32_t i = 1; i < attempt && t < cap; i++)
		t *= 2;
	if (t > cap)
		t = cap;
	/* full jitter, with a floor so a retry is never immediate */
	return 0.1 + t * (double)randombytes_uniform(1000001) / 1e6;
}

static void
alert_once(struct chan *ch, int why, int channel, const char *detail,
    int32_t status, time_t until)
{
	char when[32];
	struct tm tm;

	if (ch->pause_why == why)
		return;
	date_tm_jst(until, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M JST", &tm);
	log_warnx("ALERT: %s channel paused until %s: %s (%d %s)",
	    channel == CHANNEL_LINE ? "LINE" : "email", when,
	    why == JOB_QUOTA ? "the monthly message quota is used up; raise "
	    "it in the LINE Official Account Manager, or wait" :
	    "the channel refused our credentials; fix them and reload (SIGHUP)",
	    status, detail);
}

static void
on_result(struct dispatch *d, const struct job_result *r)
{
	time_t now = dispatch_now(d);
	struct flight *f = NULL;
	struct verdict *vd;
	struct chan *ch;

	for (unsigned i = 0; i < d->nfl; i++)
		if (d->fl[i].used && d->fl[i].id == r->id &&
		    d->fl[i].attempt == r->attempt) {
			f = &d->fl[i];
			break;
		}
	if (f == NULL)
		return;		/* timed out and rescheduled already */
	f->used = 0;
	d->inflight--;
	ch = &d->ch[f->channel];
	vd = verdict_add(d, r->id);
	vd->attempt = r->attempt;
	vd->status = r->status;
	vd->first = f->sent;
	switch (r->outcome) {
	case JOB_SENT:
		vd->final = OUTCOME_SENT;
		return;
	case JOB_PERMANENT:
		log_info("message %llu: permanent failure (%d %s)",
		    (unsigned long long)r->id, r->status, r->detail);
		vd->final = OUTCOME_FAILED;
		return;
	case JOB_QUOTA:
		ch->paused_until = date_next_month_jst(now);
		alert_once(ch, JOB_QUOTA, f->channel, r->detail, r->status,
		    ch->paused_until);
		ch->pause_why = JOB_QUOTA;
		vd->next = ch->paused_until;
		return;
	case JOB_AUTH:
		ch->paused_until = now + AUTH_PAUSE;
		alert_once(ch, JOB_AUTH, f->channel, r->detail, r->status,
		    ch->paused_until);
		ch->pause_why = JOB_AUTH;
		vd->next = ch->paused_until;
		return;
	case JOB_RATE:
		ch->factor /= 2;
		if (ch->factor < 0.05)
			ch->factor = 0.05;
		ch->factor_at = util_now();
		ch->tokens = 0;
		vd->next = now + (time_t)ceil(RATE_PAUSE + backoff(d->cfg, 1));
		break;
	default:
		/* it may have been accepted, unless it never left */
		vd->uncertain = !(r->status == 0 && (r->transport ==
		    CURLE_COULDNT_RESOLVE_HOST || r->transport ==
		    CURLE_COULDNT_CONNECT));
		vd->next = now + (time_t)ceil(backoff(d->cfg, r->attempt));
		break;
	}
	d->st.retried++;
}

/* Jobs that got no answer in time are retried (they may have gone). */
static void
timeouts(struct dispatch *d)
{
	double mono = util_now();

	for (unsigned i = 0; i < d->nfl; i++) {
		struct flight *f = &d->fl[i];
		struct verdict *vd;

		if (!f->used || f->deadline > mono)
			continue;
		f->used = 0;
		d->inflight--;
		vd = verdict_add(d, f->id);
		vd->attempt = f->attempt;
		vd->first = f->sent;
		vd->uncertain = 1;
		vd->next = dispatch_now(d) + (time_t)ceil(backoff(d->cfg, f->attempt));
		d->st.retried++;
		log_info("message %llu: no result in %ld s; will retry",
		    (unsigned long long)f->id, d->cfg->job_timeout);
	}
}

int
dispatch_step(struct dispatch *d, int timeout_ms)
{
	zmq_pollitem_t pi[2] = { { d->pull, 0, ZMQ_POLLIN, 0 },
		{ link_jobs(d->link), 0, ZMQ_POLLIN, 0 } };	/* credits */
	static uint8_t buf[4096];
	int n = 0;

	if (zmq_poll(pi, 2, timeout_ms) < 0 && errno != EINTR) {
		log_warnx("zmq_poll: %s", zmq_strerror(errno));
		return -1;
	}
	link_room(d->link);	/* take the credits, also when nothing is due */
	while (n < MAX_RESULTS) {
		struct job_result r;
		int len = zmq_recv(d->pull, buf, sizeof(buf), ZMQ_DONTWAIT);

		if (len < 0)
			break;
		n++;
		if ((size_t)len > sizeof(buf) ||
		    job_result_decode(buf, (size_t)len, &r) != 0) {
			log_warnx("a result frame that does not decode; dropped");
			continue;
		}
		on_result(d, &r);
	}
	timeouts(d);
	if (send_due(d) != 0)
		return -1;
	/* Outcomes are settled (log synced, outbox committed) in batches:
	 * every 50 ms or 256 messages, and whenever nothing is in flight, so
	 * that the syncs do not stall the pacing of the sends. */
	if (d->nv >= 256 || util_now() - d->last_settle >= 0.05 ||
	    dispatch_in_flight(d) == 0) {
		if (settle(d) != 0)
			return -1;
		d->last_settle = util_now();
	}
	if (d->regroup) {
		d->regroup = 0;
		if (dispatch_digest(d) != 0)
			return -1;
	}
	return 0;
}
