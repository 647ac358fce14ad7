/* transient.c - jobs made outside the outbox (dispatch.h:
 * dispatch_transient): replies to residents and confirmation emails
 * SPDX-License-Identifier: MIT
 *
 * A transient job lives in memory only, from its making until its last
 * attempt is answered (settle.c reads the results).  It goes before the
 * messages, as soon as a sender asks, at any hour and unpaced: a reply
 * answers what a resident just did, and LINE's reply token is good for a
 * minute.  Its frame holds an address or a reply token: wiped when freed.
 */
#include "dispatch_int.h"
#include "log.h"
#include "util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Where OSJ3 keeps attempt and token (job.h), rewritten for a retry. */
#define OFF_ATTEMPT 12
#define OFF_TOKEN 16

int
dispatch_transient(struct dispatch *d, const struct job *j)
{
	static uint8_t frame[JOB_MAX_TEXTS * 20480 + 16384];
	struct job c = *j;
	struct transient *t;
	uint64_t token;
	size_t len;

	if (d->ntq >= DISPATCH_TRANSIENT_MAX) {
		log_warnx("%u replies wait for senders already; one more "
		    "dropped", d->ntq);
		return -1;
	}
	c.id = DISPATCH_TRANSIENT_BIT | ++d->tseq;
	c.attempt = 1;
	randombytes_buf(&c.token, sizeof(c.token));
	if (c.channel == CHANNEL_EMAIL && c.message_id[0] == '\0')
		snprintf(c.message_id, sizeof(c.message_id), "oshirase.t%llu.%08x",
		    (unsigned long long)d->tseq, randombytes_random());
	token = c.token;
	len = job_encode(&c, frame, sizeof(frame));
	sodium_memzero(&c, sizeof(c));
	if (len == 0) {
		log_warnx("reply %llu is not a job (too long, or a bad "
		    "field); dropped", (unsigned long long)d->tseq);
		return -1;
	}
	if (d->ntq == d->tqcap) {
		d->tqcap = d->tqcap ? 2 * d->tqcap : 16;
		d->tq = xrealloc(d->tq, d->tqcap * sizeof(*d->tq));
	}
	t = &d->tq[d->ntq++];
	memset(t, 0, sizeof(*t));
	t->frame = xmalloc(len);
	memcpy(t->frame, frame, len);
	sodium_memzero(frame, len);
	t->len = len;
	t->id = DISPATCH_TRANSIENT_BIT | d->tseq;
	t->token = token;
	t->attempt = 1;
	t->channel = j->channel;
	t->kind = j->kind;
	t->due = util_now();
	return 0;
}

int
dispatch_watch(struct dispatch *d, void *sock, void (*fn)(void *), void *arg)
{
	d->watch = sock;
	d->watch_fn = fn;
	d->watch_arg = arg;
	return 0;
}

struct transient *
dispatch_transient_find(struct dispatch *d, uint64_t id)
{
	for (unsigned i = 0; i < d->ntq; i++)
		if (d->tq[i].id == id)
			return &d->tq[i];
	return NULL;
}

void
dispatch_transient_drop(struct dispatch *d, struct transient *t)
{
	size_t i = (size_t)(t - d->tq);

	sodium_memzero(t->frame, t->len);
	free(t->frame);
	memmove(t, t + 1, (d->ntq - i - 1) * sizeof(*t));
	d->ntq--;
}

void
dispatch_transient_again(struct transient *t)
{
	t->attempt++;
	randombytes_buf(&t->token, sizeof(t->token));
	util_be_put(t->frame + OFF_ATTEMPT, t->attempt, 4);
	util_be_put(t->frame + OFF_TOKEN, t->token, 8);
	t->flying = 0;
	t->due = util_now() + TRANSIENT_RETRY;
}

/* Replies go at LINE's pace too, the channel's token bucket ([line]
 * rate and burst) shared with the notices, which they go before: 1 if
 * one may go now. */
static int
line_token(struct dispatch *d)
{
	struct chan *ch = &d->ch[CHANNEL_LINE];

	dispatch_refill(ch, d->cfg->line_rate, d->cfg->line_burst);
	return ch->tokens >= 1.0;
}

void
dispatch_transient_send(struct dispatch *d)
{
	double now = util_now();

	if (d->draining)
		return;
	for (unsigned i = 0; i < d->ntq; i++) {
		struct transient *t = &d->tq[i];

		if (t->flying || t->due > now)
			continue;
		if (t->channel == CHANNEL_LINE && !line_token(d))
			continue;	/* LINE's pace: the next step */
		if (link_send(d->link, t->frame, t->len) != 0)
			return;		/* no sender asks: the next step */
		if (t->channel == CHANNEL_LINE)
			d->ch[CHANNEL_LINE].tokens -= 1.0;
		t->flying = 1;
		dispatch_flight_add(d, t->id, t->attempt, t->token, t->channel,
		    (double)d->cfg->job_timeout, 0);
		d->st.jobs++;
	}
}

double
dispatch_transient_due(const struct dispatch *d)
{
	double best = -1, now = util_now();

	if (d->draining)
		return -1;
	for (unsigned i = 0; i < d->ntq; i++) {
		double due = d->tq[i].due - now;

		if (d->tq[i].flying)
			continue;
		if (due < 0)
			due = 0;
		if (d->tq[i].channel == CHANNEL_LINE &&
		    d->ch[CHANNEL_LINE].tokens < 1.0 && d->cfg->line_rate > 0 &&
		    due < (1.0 - d->ch[CHANNEL_LINE].tokens) /
		    (double)d->cfg->line_rate)
			due = (1.0 - d->ch[CHANNEL_LINE].tokens) /
			    (double)d->cfg->line_rate;
		if (best < 0 || due < best)
			best = due;
	}
	return best;
}

void
dispatch_transient_free(struct dispatch *d)
{
	while (d->ntq > 0)
		dispatch_transient_drop(d, &d->tq[d->ntq - 1]);
	free(d->tq);
	d->tq = NULL;
	d->tqcap = 0;
}
