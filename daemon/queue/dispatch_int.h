/* dispatch_int.h - what the dispatcher's files share (not for the rest of
 * the queue: they see dispatch.h and an opaque struct dispatch)
 * SPDX-License-Identifier: MIT
 *
 * The dispatcher is a file per phase:
 *   digest.c    new notices of the outbox become messages (digests);
 *   dispatch.c  setup, the queues per channel, the send window, pacing,
 *               addresses, sending jobs, and the step that drives it all;
 *   settle.c    the senders' results and timeouts become verdicts, which
 *               are recorded in the outcome log and then applied to the
 *               outbox (retry with backoff, pause a channel, give up);
 *               those of transient jobs become a journal line or a retry;
 *   transient.c jobs made outside the outbox (dispatch_transient): kept
 *               in memory, handed out before the messages.
 * All of it runs on the daemon's main thread.
 */
#ifndef OSHIRASE_DISPATCH_INT_H
#define OSHIRASE_DISPATCH_INT_H

#include "dispatch.h"
#include "addrbox.h"
#include "ckeys.h"
#include "job.h"
#include "notice.h"

#define AUTH_PAUSE 300		/* seconds a refused channel waits */
#define RATE_PAUSE 1		/* seconds a channel waits after a 429, */
#define RATE_PAUSE_MAX 32	/* doubling while its probes get 429 too */
#define RETRY_AFTER_MAX 3600	/* a longer Retry-After is taken as this */
#define TRANSIENT_RETRY 2	/* seconds before a transient job's retry */
#define TRANSIENT_RATE_TRIES 6	/* attempts of one LINE refused as too fast
				 * (429): a reply token lives about a minute */

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
	/* rate limits (429): since when only 429s came back (0: not
	 * throttled), the pause after the next one, the alert given */
	time_t throttled_since;
	double rate_until;		/* monotonic: no job before */
	long rate_pause;
	int throttle_alerted;
	unsigned inflight;		/* jobs of this channel in flight */
	unsigned unsettled;		/* attempts whose start is recorded and
					 * not yet settled (email) */
};

struct flight {
	uint64_t id;
	uint32_t attempt;
	uint64_t token;		/* the job's (job.h): its result must carry it */
	uint8_t channel, used;
	double deadline;	/* monotonic */
	time_t sent;
	uint8_t marked;		/* its start is in the message record */
	uint8_t restored;	/* in doubt, found so at start: outside the
				 * channel's count (it was counted by the
				 * crash that left it) */
};

/* A transient job (dispatch_transient), from its making until its last
 * attempt is answered: the frame is kept for the retry. */
struct transient {
	uint8_t *frame;		/* xmalloc; wiped when freed */
	size_t len;
	uint64_t id, token;
	uint32_t attempt;
	uint8_t channel, kind, flying;
	double due;		/* monotonic */
};

/* What a step decided for one message, applied in one transaction after
 * the outcome log is synced. */
struct verdict {
	uint64_t id;
	uint8_t final;		/* an enum outlog_outcome, or 0: reschedule */
	uint8_t regroup;	/* cancel only the notices whose subject left */
	uint8_t uncertain;
	uint8_t unmark;		/* the channel of a recorded start it settles */
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
	struct ckeys keys;		/* contacts.pub, .sec and what they
					 * give (lent to the actions) */
	struct chan ch[3];		/* by enum job_channel */
	struct flight *fl;
	unsigned nfl, flcap;
	unsigned inflight;		/* entries of fl in use */
	unsigned in_doubt;		/* of them, found at start */
	unsigned long forged;		/* results with a wrong token */
	struct verdict *v;
	size_t nv, vcap;
	int draining, regroup, key_alerted;
	double last_settle;	/* monotonic */
	struct transient *tq;	/* transient jobs, in the order made */
	unsigned ntq, tqcap;
	uint64_t tseq;		/* the last transient job's number */
	void *watch;		/* dispatch_watch */
	void (*watch_fn)(void *);
	void *watch_arg;
	struct dispatch_stats st;
};

/* dispatch.c: fill a channel's token bucket for the time since its last
 * fill, at rate a second (less after a 429), up to burst. */
void dispatch_refill(struct chan *ch, long rate, long burst);
/* dispatch.c: queue message id on a channel's heap, due at wall-clock
 * seconds due. */
void dispatch_heap_push(struct heap *h, double due, uint64_t id);

/* dispatch.c: a job handed out, in flight until its result or left
 * seconds (monotonic). */
struct flight *dispatch_flight_add(struct dispatch *d, uint64_t id,
    uint32_t attempt, uint64_t token, uint8_t channel, double left,
    int marked);

/* transient.c */
/* Hand out the transient jobs that are due, while senders ask.  0. */
void dispatch_transient_send(struct dispatch *d);
/* The transient job of this id, or NULL. */
struct transient *dispatch_transient_find(struct dispatch *d, uint64_t id);
/* Make t's next attempt (a new token), due in TRANSIENT_RETRY seconds. */
void dispatch_transient_again(struct transient *t);
/* Forget t (its frame wiped). */
void dispatch_transient_drop(struct dispatch *d, struct transient *t);
/* Seconds until the next transient job may go (0 now), -1 none. */
double dispatch_transient_due(const struct dispatch *d);
void dispatch_transient_free(struct dispatch *d);

/* settle.c */
/* Record the outcome of notice no (of message, 0 if none yet) in the
 * outcome log and take it out of the outbox and, as the outcome says, the
 * ledger.  0, EIO (the log) or an LMDB error. */
int dispatch_cancel_notice(struct dispatch *d, MDB_txn *txn,
    const struct notice *no, uint64_t message, int outcome, uint32_t attempt,
    int32_t status, const uint8_t *digest, int maybe_sent);
/* Is notice no still to go before its message's first attempt: its
 * subject still among the residents and its program covered by consent,
 * the recipient contact's consent bits now (match_consent_covers)? */
int dispatch_notice_wanted(struct dispatch *d, MDB_txn *txn,
    const struct notice *no, uint8_t consent);
/* The consent bits of the recipient's active contact on channel, 0 if it
 * is gone, withdrawn or does not decode. */
uint8_t dispatch_contact_consent(struct dispatch *d, MDB_txn *txn,
    const uint8_t *rec, uint8_t channel);
/* Is this pseudonym still among the store's residents? */
int dispatch_resident_here(MDB_txn *txn, const struct store_dbi *dbi,
    const uint8_t *res);
/* A new verdict for message id, zeroed but for its id (valid until the
 * next dispatch_settle). */
struct verdict *dispatch_verdict_add(struct dispatch *d, uint64_t id);
/* Apply the step's verdicts.  0 or an error (logged). */
int dispatch_settle(struct dispatch *d);
/* A sender's result for a job in flight becomes a verdict. */
void dispatch_on_result(struct dispatch *d, const struct job_result *r);
/* Jobs past their deadline become verdicts to retry. */
void dispatch_timeouts(struct dispatch *d);
/* A channel throttled (429) for longer than [dispatch] throttle_alert:
 * alert, once. */
void dispatch_throttle_check(struct dispatch *d);

#endif
