/* settle.c - the dispatcher's last phase: results become outcomes
 * SPDX-License-Identifier: MIT
 *
 * A sender's result, or a job's timeout, becomes a verdict on its message;
 * a step's verdicts are settled in a batch: the outcome records appended
 * and synced first, then the outbox changed in one transaction.
 */
#include "dispatch_int.h"
#include "dates.h"
#include "log.h"
#include "match.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const char *
chan_name(int channel)
{
	return channel == CHANNEL_LINE ? "LINE" : "email";
}

/* A rate limit (429) on channel c, for a job handed out at sent
 * (monotonic): the channel waits, RATE_PAUSE seconds after the first,
 * twice as long each time a probe (a job handed out after the wait) is
 * refused too, up to RATE_PAUSE_MAX, or as long as Retry-After says; it
 * sends one job at a time until one goes (dispatch.c).  Returns the
 * wait. */
static long
throttle(struct chan *ch, int c, long retry_after, double sent, time_t now)
{
	double mono = util_now();
	long p;
	int probe = ch->throttled_since == 0 || sent >= ch->rate_until;

	if (ch->throttled_since == 0) {
		ch->throttled_since = now;
		ch->rate_pause = RATE_PAUSE;
	} else if (probe && ch->rate_pause < RATE_PAUSE_MAX)
		ch->rate_pause *= 2;
	p = ch->rate_pause;
	if (retry_after > p)
		p = retry_after < RETRY_AFTER_MAX ? retry_after : RETRY_AFTER_MAX;
	if (mono + (double)p > ch->rate_until) {
		ch->rate_until = mono + (double)p;
		if (probe || p > ch->rate_pause)	/* not the jobs sent
							 * with the first */
			log_info("%s channel rate-limited (429): waits %ld s%s",
			    chan_name(c), p, p > ch->rate_pause ?
			    " (Retry-After)" : "");
	}
	ch->factor /= 2;
	if (ch->factor < 0.05)
		ch->factor = 0.05;
	ch->factor_at = mono;
	ch->tokens = 0;
	return p;
}

void
dispatch_throttle_check(struct dispatch *d)
{
	time_t now = dispatch_now(d);

	for (int c = 1; c < 3; c++) {
		struct chan *ch = &d->ch[c];

		if (ch->throttled_since == 0 || ch->throttle_alerted ||
		    now - ch->throttled_since < d->cfg->throttle_alert)
			continue;
		ch->throttle_alerted = 1;
		log_warnx("ALERT: %s channel rate-limited (429) for %ld s: it "
		    "sends one request at a time, %ld s apart at most; is "
		    "another system spending the channel's request rate, or "
		    "[%s] rate too high?", chan_name(c),
		    (long)(now - ch->throttled_since), (long)RATE_PAUSE_MAX,
		    c == CHANNEL_LINE ? "line" : "email");
	}
}

static void
unthrottle(struct chan *ch, int c, time_t now)
{
	if (ch->throttled_since == 0)
		return;
	if (ch->throttle_alerted)
		log_warnx("%s channel no longer rate-limited, after %ld s",
		    chan_name(c), (long)(now - ch->throttled_since));
	ch->throttled_since = 0;
	ch->rate_pause = 0;
	ch->rate_until = 0;
	ch->throttle_alerted = 0;
}

static void
flight_done(struct dispatch *d, struct flight *f)
{
	f->used = 0;
	d->inflight--;
	if (!f->restored)
		d->ch[f->channel].inflight--;
}

static const char *
transient_name(const struct transient *t)
{
	return t->kind == JOB_REPLY ? "LINE reply" : t->channel == CHANNEL_LINE ?
	    "LINE push" : "email";
}

/* The last word on transient job t: a journal line (no address, no
 * token), nothing in the outbox or the outcome log.  A transient failure
 * (outcome JOB_RETRY, or 0: no answer in time) is retried once; one
 * refused as too fast (JOB_RATE: LINE answers 429 past its rate) up to
 * TRANSIENT_RATE_TRIES attempts in all. */
static void
transient_done(struct dispatch *d, struct transient *t, int outcome,
    int32_t status, const char *detail)
{
	uint64_t n = t->id & ~DISPATCH_TRANSIENT_BIT;
	const char *what = transient_name(t);
	uint32_t attempt = t->attempt;

	if (outcome == JOB_SENT) {
		log_info("%s %llu: sent (%d)", what, (unsigned long long)n,
		    status);
		d->st.transient_sent++;
		dispatch_transient_drop(d, t);
		return;
	}
	if (((outcome == JOB_RETRY || outcome == 0) && attempt < 2) ||
	    (outcome == JOB_RATE && attempt < TRANSIENT_RATE_TRIES)) {
		dispatch_transient_again(t);
		log_info("%s %llu: %s (%d %s); retried in %d s", what,
		    (unsigned long long)n, outcome ? job_outcome_name(outcome) :
		    "no result in time", status, detail, TRANSIENT_RETRY);
		d->st.retried++;
		return;
	}
	dispatch_transient_drop(d, t);
	log_warnx("%s %llu: not sent after %u attempts: %s (%d %s)", what,
	    (unsigned long long)n, attempt, outcome ?
	    job_outcome_name(outcome) : "no result in time", status, detail);
	d->st.transient_failed++;
}

void
dispatch_on_result(struct dispatch *d, const struct job_result *r)
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
	if (f->token != r->token) {
		/* not from the sender that took the job: ignored, and the
		 * attempt stays in flight until its own result or timeout */
		if (d->forged++ % 1000 == 0)
			log_warnx("message %llu: a result with another attempt's "
			    "token ignored (%lu so far)",
			    (unsigned long long)r->id, d->forged);
		return;
	}
	flight_done(d, f);
	if (r->id & DISPATCH_TRANSIENT_BIT) {
		struct transient *t = dispatch_transient_find(d, r->id);

		if (t != NULL)
			transient_done(d, t, r->outcome, r->status, r->detail);
		return;
	}
	ch = &d->ch[f->channel];
	vd = dispatch_verdict_add(d, r->id);
	if (f->marked && !f->restored)
		vd->unmark = f->channel;
	vd->attempt = r->attempt;
	vd->status = r->status;
	vd->first = f->sent;
	if (r->outcome != JOB_RATE)
		unthrottle(ch, f->channel, now);
	switch (r->outcome) {
	case JOB_SENT:
		/* the crash tests: die as an email's 250 comes in, before
		 * it is settled (as kill -9 would: no cleanup) */
		if (f->channel == CHANNEL_EMAIL && util_failpoint("email-sent"))
			_exit(137);
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
		vd->next = now + throttle(ch, f->channel, (long)r->retry_after,
		    f->deadline - (double)d->cfg->job_timeout, now);
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
void
dispatch_timeouts(struct dispatch *d)
{
	double mono = util_now();

	for (unsigned i = 0; i < d->nfl; i++) {
		struct flight *f = &d->fl[i];
		struct verdict *vd;

		if (!f->used || f->deadline > mono)
			continue;
		flight_done(d, f);
		if (f->id & DISPATCH_TRANSIENT_BIT) {
			struct transient *t = dispatch_transient_find(d, f->id);

			if (t != NULL)
				transient_done(d, t, 0, 0, "");
			continue;
		}
		vd = dispatch_verdict_add(d, f->id);
		if (f->marked && !f->restored)
			vd->unmark = f->channel;
		vd->attempt = f->attempt;
		vd->first = f->sent;
		vd->uncertain = 1;
		vd->next = dispatch_now(d) + (time_t)ceil(backoff(d->cfg, f->attempt));
		d->st.retried++;
		log_info("message %llu: no result in %ld s; will retry",
		    (unsigned long long)f->id, d->cfg->job_timeout);
	}
}

/* ---- outcomes ---- */

/* Record the outcome of one notice and take it out of the outbox; the
 * ledger keeps sent and failed notices and forgets cancelled ones, but for
 * one whose message may have been delivered (maybe_sent: an attempt went
 * unanswered), which it keeps as failed so that it is never sent again. */
int
dispatch_cancel_notice(struct dispatch *d, MDB_txn *txn,
    const struct notice *no, uint64_t message, int outcome, uint32_t attempt,
    int32_t status, const uint8_t *digest, int maybe_sent)
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

int
dispatch_resident_here(MDB_txn *txn, const struct store_dbi *dbi,
    const uint8_t *res)
{
	MDB_val k = { STORE_PSEUDO_LEN, (void *)res }, v;

	return mdb_get(txn, dbi->resident_hh, &k, &v) == 0;
}

int
dispatch_notice_wanted(struct dispatch *d, MDB_txn *txn,
    const struct notice *no, uint8_t consent)
{
	int p;

	if (!dispatch_resident_here(txn, d->dbi, no->subject))
		return 0;
	p = rules_find(d->rs, no->program);
	return p < 0 || match_consent_covers(d->rs->p[p], consent);
}

uint8_t
dispatch_contact_consent(struct dispatch *d, MDB_txn *txn, const uint8_t *rec,
    uint8_t channel)
{
	uint8_t k[STORE_PSEUDO_LEN + 1];
	MDB_val kv = { sizeof(k), k }, vv;
	struct contact c;

	memcpy(k, rec, STORE_PSEUDO_LEN);
	k[STORE_PSEUDO_LEN] = channel;
	if (mdb_get(txn, d->dbi->contacts, &kv, &vv) != 0 ||
	    store_contact_decode(vv.mv_data, vv.mv_size, &c) != 0 ||
	    c.status != CONTACT_ACTIVE)
		return 0;
	return c.consent;
}

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

/* Apply one verdict in txn (the outcome records are appended here and
 * synced by the caller before commit). */
static int
apply(struct dispatch *d, MDB_txn *txn, struct verdict *vd)
{
	uint8_t key[8], digest[32], *buf;
	MDB_val kv = { 8, key }, vv;
	struct message m;
	size_t cap;
	int rc;
	uint8_t consent = 0;

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
		m.started = 0;		/* the attempt is settled */
		m.started_token = 0;
		m.started_at = 0;
		cap = vv.mv_size + 64;	/* a version 1 record grows */
		buf = xmalloc(cap);
		vv.mv_size = message_encode(&m, buf, cap);
		vv.mv_data = buf;
		rc = mdb_put(txn, d->dbi->messages, &kv, &vv, 0);
		free(buf);
		if (rc == 0)
			dispatch_heap_push(&d->ch[m.channel].q, (double)vd->next, vd->id);
		return rc;
	}
	outlog_digest(d->log, m.text, m.text_len, m.ntexts, digest);
	if (vd->regroup)
		consent = dispatch_contact_consent(d, txn, m.recipient, m.channel);
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
			 * who left or that the recipient's consent no longer
			 * covers, give the others back to be digested anew */
			if (dispatch_notice_wanted(d, txn, &no, consent)) {
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
		if ((rc = dispatch_cancel_notice(d, txn, &no, vd->id, outcome,
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

struct verdict *
dispatch_verdict_add(struct dispatch *d, uint64_t id)
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

/* Apply the step's verdicts in one transaction: the outcome records
 * written and log.bin synced before the commit, the writer's state after
 * it; if the transaction fails, its records are taken back from the log
 * (outlog.h), so that the log and the store agree. */
int
dispatch_settle(struct dispatch *d)
{
	MDB_txn *txn;
	int rc, logerr = 0, how;

	if (d->nv == 0)
		return 0;
	if ((rc = mdb_txn_begin(store_env(d->s), NULL, 0, &txn)) != 0)
		goto out;
	outlog_mark(d->log);
	for (size_t i = 0; i < d->nv && rc == 0; i++) {
		rc = apply(d, txn, &d->v[i]);
		if (d->v[i].regroup)
			d->regroup = 1;
	}
	rc = outlog_commit(d->log, txn, rc, "settle-commit", &how);
	logerr = (how & OUTLOG_LOGERR) != 0;
	if (how & OUTLOG_COMMITTED)	/* those emails are no longer in doubt */
		for (size_t i = 0; i < d->nv; i++)
			if (d->v[i].unmark)
				d->ch[d->v[i].unmark].unsettled--;
out:
	if (rc != 0)
		log_warnx("%s: settling %zu messages: %s", store_dir(d->s), d->nv,
		    logerr ? "the sealed log cannot be written" : mdb_strerror(rc));
	d->nv = 0;
	return rc;
}
