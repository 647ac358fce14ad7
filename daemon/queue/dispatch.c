/* dispatch.c - the dispatcher (see dispatch.h): setup, the queues, the
 * send window, pacing, sending jobs, and the step that drives the phases
 * SPDX-License-Identifier: MIT
 *
 * Messages are made in digest.c and results settled in settle.c; what the
 * three files share is in dispatch_int.h.
 */
#include "dispatch_int.h"
#include "dates.h"
#include "job.h"
#include "log.h"
#include "notice.h"
#include "render.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_RESULTS 4096	/* per step */

/* ---- heaps ---- */

void
dispatch_heap_push(struct heap *h, double due, uint64_t id)
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

struct flight *
dispatch_flight_add(struct dispatch *d, uint64_t id, uint32_t attempt,
    uint64_t token, uint8_t channel, double left, int marked)
{
	struct flight *f = flight_slot(d);

	f->id = id;
	f->attempt = attempt;
	f->token = token;
	f->channel = channel;
	f->used = 1;
	f->marked = (uint8_t)marked;
	f->deadline = util_now() + left;
	f->sent = dispatch_now(d) - ((time_t)d->cfg->job_timeout - (time_t)left);
	f->restored = 0;
	d->inflight++;
	d->ch[channel].inflight++;
	return f;
}

/* A message whose attempt started (its start committed) and was not
 * settled before the daemon stopped: the attempt is in doubt.  It stays
 * in flight, as if it had been handed out at its start (the real clock),
 * so that a sender that outlived the queue may still answer it, and it is
 * retried, once, job_timeout after it started. */
static void
in_doubt(struct dispatch *d, const struct message *m)
{
	double left = (double)(m->started_at + d->cfg->job_timeout - time(NULL));
	struct flight *f;

	if (left < 0)
		left = 0;
	if (left > (double)d->cfg->job_timeout)
		left = (double)d->cfg->job_timeout;	/* the clock went back */
	f = dispatch_flight_add(d, m->id, m->started, m->started_token,
	    m->channel, left, 1);
	f->restored = 1;
	d->ch[m->channel].inflight--;
	d->in_doubt++;
}

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
		if (m.started != 0)
			in_doubt(d, &m);
		else
			dispatch_heap_push(&d->ch[m.channel].q,
			    (double)m.next_attempt, m.id);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (d->in_doubt > 0)
		log_info("%u emails were handed to senders before a restart and "
		    "not answered: a result for them is still taken; each is "
		    "sent again, once, %ld s after it started ([dispatch] "
		    "job_timeout)", d->in_doubt, d->cfg->job_timeout);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct dispatch *
dispatch_new(struct store *s, const struct config *cfg,
    const struct rules_set *rs, struct outlog *log, struct link *link,
    time_t offset, char *err, size_t errlen)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));
	char pub[CONFIG_PATH_MAX + 32], sec[CONFIG_PATH_MAX + 32];
	int rc;

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
	if (ckeys_load(&d->keys, pub, sec, err, errlen) != 0)
		goto fail;
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
	ckeys_free(&d->keys);
	for (int c = 0; c < 3; c++)
		free(d->ch[c].q.a);
	dispatch_transient_free(d);
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
	double best = dispatch_transient_due(d);

	for (int c = 1; c < 3; c++) {
		const struct chan *ch = &d->ch[c];
		double due;

		if (ch->q.n == 0)
			continue;
		due = ch->q.a[0].due;
		if (ch->paused_until > now && ch->paused_until > due)
			due = (double)ch->paused_until;
		if (ch->rate_until > util_now() &&
		    (double)now + ch->rate_until - util_now() > due)
			due = (double)now + ch->rate_until - util_now();
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

/* ---- sending ---- */

/* The address of the recipient's active contact on channel, and its
 * consent bits, or -1 if the contact is gone or withdrawn or its consent
 * is 0 (nothing may go), -2 if it does not decrypt, -3 if its record
 * does not decode (a damaged store). */
static int
address(struct dispatch *d, MDB_txn *txn, const uint8_t *rec, uint8_t channel,
    char *out, uint8_t *consent)
{
	uint8_t k[STORE_PSEUDO_LEN + 1];
	MDB_val kv = { sizeof(k), k }, vv;
	struct contact c;

	memcpy(k, rec, STORE_PSEUDO_LEN);
	k[STORE_PSEUDO_LEN] = channel;
	if (mdb_get(txn, d->dbi->contacts, &kv, &vv) != 0)
		return -1;
	if (store_contact_decode(vv.mv_data, vv.mv_size, &c) != 0)
		return -3;
	if (c.status != CONTACT_ACTIVE || c.consent == 0)
		return -1;
	*consent = c.consent;
	switch (ckeys_address(&d->keys, txn, d->dbi, rec, channel, &c, out)) {
	case 0:
		return 0;
	case -1:
		return -3;
	default:
		return -2;
	}
}

/* A job made and not yet handed out. */
struct pending {
	uint8_t *frame;		/* xmalloc; wiped and freed once sent */
	size_t len;
	uint64_t id, token;
	uint32_t attempt;
	double due;		/* its place in the heap, if it goes back */
};

static void
pending_wipe(struct pending *p)
{
	sodium_memzero(p->frame, p->len);
	free(p->frame);
	p->frame = NULL;
}

/* Record in txn (a write transaction) that attempt j of message m starts
 * now: committed before the job is handed out, it makes the attempt known
 * to be in doubt after a crash. */
static int
mark_started(struct dispatch *d, MDB_txn *txn, struct message *m,
    const struct job *j, const MDB_val *old)
{
	uint8_t key[8], *buf;
	MDB_val kv = { 8, key }, vv;
	size_t cap = old->mv_size + 64;
	int rc;

	m->started = j->attempt;
	m->started_token = j->token;
	m->started_at = (int64_t)time(NULL);	/* the real clock, not --now */
	buf = xmalloc(cap);
	vv.mv_data = buf;
	vv.mv_size = message_encode(m, buf, cap);
	notice_key(key, m->id);
	rc = vv.mv_size == 0 ? MDB_BAD_VALSIZE :
	    mdb_put(txn, d->dbi->messages, &kv, &vv, 0);
	free(buf);
	return rc;
}

/* An email's manage link: [email] unsubscribe + a TOKEN_MANAGE token
 * (the recipient, the channel, the address's tag; good for [email]
 * unsubscribe_days) as List-Unsubscribe, and as the body's last
 * paragraph, after a line saying what it is for (render.h); a digest
 * that has JOB_MAX_TEXTS paragraphs already gets it at the end of its
 * last. */
static void
manage_link(struct dispatch *d, const struct message *m, const char *addr,
    struct job *j)
{
	static char foot[2 * TOKEN_TEXT_MAX + CONFIG_PATH_MAX + 256];
	static char last[20480 + sizeof(foot)];
	char text[TOKEN_TEXT_MAX];
	struct token t;
	int n;

	memset(&t, 0, sizeof(t));
	t.kind = TOKEN_MANAGE;
	t.expires = (int64_t)dispatch_now(d) + d->cfg->mail_unsub_days * 86400;
	memcpy(t.pseudo, m->recipient, STORE_PSEUDO_LEN);
	t.channel = CHANNEL_EMAIL;
	token_addr_tag(d->keys.k_tag, addr, t.addr_tag);
	if (d->cfg->mail_unsubscribe[0] == '\0' ||
	    token_make(d->keys.k_tokens, &t, text, sizeof(text)) == 0 ||
	    (size_t)snprintf(j->unsubscribe, sizeof(j->unsubscribe), "%s%s",
	    d->cfg->mail_unsubscribe, text) >= sizeof(j->unsubscribe)) {
		j->unsubscribe[0] = '\0';
		return;
	}
	n = snprintf(foot, sizeof(foot), "%s\n%s",
	    render_footer_email(m->language), j->unsubscribe);
	if (n < 0 || (size_t)n >= sizeof(foot))
		return;
	if (j->ntexts < JOB_MAX_TEXTS) {
		j->text[j->ntexts] = foot;
		j->text_len[j->ntexts++] = (size_t)n;
		return;
	}
	/* no paragraph left: the footer ends the last one */
	if (j->text_len[JOB_MAX_TEXTS - 1] + 2 + (size_t)n > sizeof(last))
		return;
	memcpy(last, j->text[JOB_MAX_TEXTS - 1], j->text_len[JOB_MAX_TEXTS - 1]);
	memcpy(last + j->text_len[JOB_MAX_TEXTS - 1], "\n\n", 2);
	memcpy(last + j->text_len[JOB_MAX_TEXTS - 1] + 2, foot, (size_t)n);
	j->text[JOB_MAX_TEXTS - 1] = last;
	j->text_len[JOB_MAX_TEXTS - 1] += 2 + (size_t)n;
}

/* Make the job of message id, if it may go, into p; with marked, record
 * its start in txn (mark_started).  Returns 1 made, 0 settled otherwise
 * (cancelled or nothing to do), or an LMDB error (negated). */
static int
make_job(struct dispatch *d, MDB_txn *txn, uint64_t id, int marked,
    struct pending *p)
{
	static uint8_t frame[JOB_MAX_TEXTS * 20480 + 4096];
	uint8_t key[8];
	MDB_val kv = { 8, key }, vv;
	struct message m;
	struct job j;
	char addr[ADDRBOX_MAX_ADDR + 1];
	size_t len;
	int rc, gone = 0;
	uint8_t consent = 0;

	notice_key(key, id);
	if (mdb_get(txn, d->dbi->messages, &kv, &vv) != 0)
		return 0;	/* settled meanwhile */
	if (message_decode(&kv, &vv, &m) != 0) {
		log_warnx("message %llu does not decode; left alone",
		    (unsigned long long)id);
		return 0;
	}
	rc = address(d, txn, m.recipient, m.channel, addr, &consent);
	if (rc == -2) {
		/* the daemon's contacts key, not the resident, is wrong:
		 * hold the message and tell the operator */
		struct verdict *vd = dispatch_verdict_add(d, id);

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
	if (rc == -3) {
		log_warnx("ALERT: message %llu: the recipient's contact record "
		    "does not decode (a damaged store?); cancelled",
		    (unsigned long long)id);
		d->st.bad_contact++;
	}
	if (rc != 0 || !dispatch_resident_here(txn, d->dbi, m.recipient)) {
		struct verdict *vd = dispatch_verdict_add(d, id);

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
			    !dispatch_notice_wanted(d, txn, &no, consent))
				gone = 1;
		}
		if (gone) {
			struct verdict *vd = dispatch_verdict_add(d, id);

			vd->final = OUTCOME_CANCELLED;
			vd->regroup = 1;
			sodium_memzero(addr, sizeof(addr));
			return 0;
		}
	}
	memset(&j, 0, sizeof(j));
	j.id = id;
	j.attempt = m.attempts + 1;
	randombytes_buf(&j.token, sizeof(j.token));
	j.channel = m.channel;
	j.language = m.language;
	util_uuid_text(m.retry_key, j.retry_key);
	snprintf(j.to, sizeof(j.to), "%s", addr);
	snprintf(j.subject, sizeof(j.subject), "%.*s", (int)m.subject_len,
	    m.subject);
	snprintf(j.message_id, sizeof(j.message_id), "oshirase.%llu.%.8s",
	    (unsigned long long)id, j.retry_key);
	j.ntexts = m.ntexts;
	for (unsigned i = 0; i < m.ntexts; i++) {
		j.text[i] = m.text[i];
		j.text_len[i] = m.text_len[i];
	}
	if (m.channel == CHANNEL_EMAIL)
		manage_link(d, &m, addr, &j);
	sodium_memzero(addr, sizeof(addr));
	len = job_encode(&j, frame, sizeof(frame));
	sodium_memzero(j.to, sizeof(j.to));
	if (len == 0) {
		struct verdict *vd = dispatch_verdict_add(d, id);

		log_warnx("message %llu does not fit in a job; failed",
		    (unsigned long long)id);
		vd->final = OUTCOME_FAILED;
		vd->attempt = m.attempts;
		return 0;
	}
	if (marked && (rc = mark_started(d, txn, &m, &j, &vv)) != 0) {
		sodium_memzero(frame, len);
		return -rc;
	}
	p->frame = xmalloc(len);
	memcpy(p->frame, frame, len);
	sodium_memzero(frame, len);
	p->len = len;
	p->id = id;
	p->token = j.token;
	p->attempt = j.attempt;
	return 1;
}

/* Hand p to a sender.  0, or -1 if no sender takes it (it goes back in
 * the heap). */
static int
launch(struct dispatch *d, struct pending *p, uint8_t channel, int marked)
{
	int rc = link_send(d->link, p->frame, p->len);

	pending_wipe(p);
	if (rc != 0) {
		dispatch_heap_push(&d->ch[channel].q, p->due, p->id);
		return -1;
	}
	dispatch_flight_add(d, p->id, p->attempt, p->token, channel,
	    (double)d->cfg->job_timeout, marked);
	if (marked)
		d->ch[channel].unsettled++;
	d->st.jobs++;
	return 0;
}

void
dispatch_refill(struct chan *ch, long rate, long burst)
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

/* How many more jobs channel c may have in flight now: [dispatch]
 * in_flight in all; for email [email] in_flight attempts whose start is
 * recorded and not yet settled (each one in doubt after a crash); one
 * probe at a time on a channel that is rate-limited. */
static unsigned
room(const struct dispatch *d, int c)
{
	const struct chan *ch = &d->ch[c];
	unsigned lim = (unsigned)d->cfg->in_flight, r;

	r = d->inflight < lim ? lim - d->inflight : 0;
	if (c == CHANNEL_EMAIL) {
		unsigned ml = (unsigned)d->cfg->mail_in_flight;
		unsigned mr = ch->unsettled < ml ? ml - ch->unsettled : 0;

		if (mr < r)
			r = mr;
	}
	if (ch->throttled_since != 0)
		r = ch->inflight == 0 && r > 0 ? 1 : 0;
	return r;
}

/* Send what is due on channel c: jobs made in one transaction (for email,
 * a write transaction that records each one's start, committed before any
 * of them leaves), then handed out. */
static int
send_channel(struct dispatch *d, int c, time_t now)
{
	struct chan *ch = &d->ch[c];
	int marked = c == CHANNEL_EMAIL;
	unsigned want = room(d, c), credits = link_credits(d->link), n = 0;
	struct pending *p;
	MDB_txn *txn;
	int rc;

	if (credits < want)
		want = credits;
	if (ch->tokens < 1.0)
		return 0;
	if ((double)want > ch->tokens)
		want = (unsigned)ch->tokens;
	if (want == 0 || ch->q.n == 0 || ch->q.a[0].due > (double)now)
		return 0;
	if ((rc = mdb_txn_begin(store_env(d->s), NULL, marked ? 0 : MDB_RDONLY,
	    &txn)) != 0)
		return rc;
	p = xcalloc(want, sizeof(*p));
	while (n < want && ch->q.n > 0 && ch->q.a[0].due <= (double)now) {
		struct ready r = heap_pop(&ch->q);

		p[n].due = r.due;
		rc = make_job(d, txn, r.id, marked, &p[n]);
		if (rc < 0) {
			dispatch_heap_push(&ch->q, r.due, r.id);
			rc = -rc;
			break;
		}
		rc = 0;
		if (p[n].frame != NULL) {
			ch->tokens -= 1.0;
			n++;
		}
	}
	if (rc == 0 && marked)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	for (unsigned i = 0; i < n; i++) {
		if (rc != 0) {	/* not recorded: none goes */
			pending_wipe(&p[i]);
			dispatch_heap_push(&ch->q, p[i].due, p[i].id);
		} else
			launch(d, &p[i], (uint8_t)c, marked);
	}
	free(p);
	return rc;
}

static int
send_due(struct dispatch *d)
{
	time_t now = dispatch_now(d);
	int inwin = dispatch_in_window(date_minute_jst(now), d->cfg->window_start,
	    d->cfg->window_end);
	int rc = 0;

	for (int c = 1; c < 3 && rc == 0; c++) {
		struct chan *ch = &d->ch[c];
		long rate = c == CHANNEL_LINE ? d->cfg->line_rate : d->cfg->mail_rate;
		long burst = c == CHANNEL_LINE ? d->cfg->line_burst : d->cfg->mail_burst;

		dispatch_refill(ch, rate, burst);
		if (d->draining || ch->q.n == 0 || ch->q.a[0].due > (double)now)
			continue;
		if (!inwin) {
			d->st.held_window++;
			continue;
		}
		if (ch->paused_until > now || ch->rate_until > util_now())
			continue;
		if ((rc = send_channel(d, c, now)) != 0)
			log_warnx("%s: sending: %s", store_dir(d->s), mdb_strerror(rc));
	}
	return rc;
}

int
dispatch_step(struct dispatch *d, int timeout_ms)
{
	zmq_pollitem_t pi[3] = { { d->pull, 0, ZMQ_POLLIN, 0 },
		{ link_jobs(d->link), 0, ZMQ_POLLIN, 0 },	/* credits */
		{ d->watch, 0, ZMQ_POLLIN, 0 } };
	static uint8_t buf[4096];
	int n = 0;

	if (zmq_poll(pi, d->watch ? 3 : 2, timeout_ms) < 0 && errno != EINTR) {
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
		dispatch_on_result(d, &r);
	}
	if (d->watch != NULL && (pi[2].revents & ZMQ_POLLIN))
		d->watch_fn(d->watch_arg);
	dispatch_timeouts(d);
	dispatch_throttle_check(d);
	dispatch_transient_send(d);	/* before the messages */
	if (send_due(d) != 0)
		return -1;
	/* Outcomes are settled (log synced, outbox committed) in batches:
	 * every 50 ms or 256 messages, and whenever nothing is in flight or
	 * email waits for its attempts to be settled ([email] in_flight), so
	 * that the syncs do not stall the pacing of the sends. */
	if (d->nv >= 256 || util_now() - d->last_settle >= 0.05 ||
	    dispatch_in_flight(d) == 0 || d->ch[CHANNEL_EMAIL].unsettled >=
	    (unsigned)d->cfg->mail_in_flight) {
		if (dispatch_settle(d) != 0)
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

struct ckeys *
dispatch_keys(struct dispatch *d)
{
	return &d->keys;
}
