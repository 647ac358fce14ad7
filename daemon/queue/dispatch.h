/* dispatch.h - the dispatcher: outbox to senders to outcomes
 * SPDX-License-Identifier: MIT
 *
 * Owns the outbox after the match run has filled it.  It
 *  - makes messages: one recipient's new notices of one run become one
 *    digest (texts, subject, a random X-Line-Retry-Key), stored before the
 *    first attempt so that every attempt is the very same request;
 *  - sends them, each channel paced by a token bucket, only inside the
 *    send window (Japan time), as jobs over ZeroMQ (job.h), with the
 *    address decrypted just before and never stored in clear;
 *  - reads the senders' results: sent and permanent failures are recorded
 *    in the outcome log (outlog.h), synced, and only then leave the
 *    outbox; transient failures are retried with exponential backoff and
 *    full jitter up to a maximum age; LINE's monthly quota parks LINE
 *    messages until the month turns (Japan time); 401/403 pause the
 *    channel and alert; a rate-limit 429 makes the channel wait (doubling
 *    while its probes are refused, or as Retry-After says) and alert if it
 *    lasts; an email's attempt is recorded before it leaves, so that a
 *    crash sends at most [email] in_flight emails twice;
 *  - cancels, instead of sending, what is queued for a contact that has
 *    been withdrawn or a recipient or subject no longer in the store;
 *  - sends transient jobs (replies to residents' actions, confirmation
 *    emails) made outside the outbox, ahead of the messages.
 * It is single-threaded (the daemon's main thread); the store's residents
 * it only looks up (is this pseudonym still here?), contacts it decrypts
 * one address at a time.  It never sees a resident id.
 */
#ifndef OSHIRASE_DISPATCH_H
#define OSHIRASE_DISPATCH_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "link.h"
#include "outlog.h"
#include "rules.h"
#include "store.h"

struct dispatch;

/* Counts since start, for status lines and tests. */
struct dispatch_stats {
	unsigned long sent, failed, cancelled, expired, retried;
	unsigned long messages_made, jobs;
	unsigned long held_window;	/* times a due message waited for the window */
	unsigned long bad_contact;	/* messages cancelled: their contact
					 * record does not decode (ALERT) */
	unsigned long sent_prog[RULES_MAX_PROGRAMS];	/* notices sent, by the
							 * rule set's index */
	unsigned long transient_sent, transient_failed;	/* dispatch_transient */
};

/*
 * link: the link to the senders (link.h), borrowed: it must outlive the
 * dispatcher.  offset: seconds added to the clock (oshirased --now).
 * NULL with a message in err.
 */
struct dispatch *dispatch_new(struct store *s, const struct config *cfg,
    const struct rules_set *rs, struct outlog *log, struct link *link,
    time_t offset, char *err, size_t errlen);
void dispatch_free(struct dispatch *d);
/* The contact keys the dispatcher read (ckeys.h), lent: the residents'
 * actions use them rather than read them again. */
struct ckeys;
struct ckeys *dispatch_keys(struct dispatch *d);
/* Use a new config and rule set from now on (a reload). */
void dispatch_reload(struct dispatch *d, const struct config *cfg,
    const struct rules_set *rs);
/* Make messages of every new notice in the outbox.  0 or an LMDB error. */
int dispatch_digest(struct dispatch *d);
/* One turn: wait up to timeout_ms for results, handle them, send what is
 * due.  0, or -1 on a fatal error (logged). */
int dispatch_step(struct dispatch *d, int timeout_ms);
/* Jobs sent and not yet answered. */
unsigned dispatch_in_flight(const struct dispatch *d);
/* Seconds until the next message may go (0: now; -1: none queued); a
 * message held by the window or a paused channel counts from then. */
double dispatch_next_due(const struct dispatch *d);
/* Stop sending; dispatch_step still reads results. */
void dispatch_drain(struct dispatch *d);
const struct dispatch_stats *dispatch_stats(const struct dispatch *d);
/* The dispatcher's clock: Unix seconds (with the offset). */
time_t dispatch_now(const struct dispatch *d);

#define DISPATCH_TRANSIENT_MAX 8192
#define DISPATCH_TRANSIENT_BIT (1ULL << 63)	/* in a transient job's id */
/* A job made outside the outbox: a LINE reply (j->kind JOB_REPLY, j->to the
 * reply token) or an email to an address a resident just gave (JOB_PUSH,
 * CHANNEL_EMAIL).  The dispatcher sets id (top bit set: 1ull<<63 | n),
 * attempt and token; it goes before any notice, at any hour, unpaced and
 * outside LINE's quota pause; it is not stored (lost if the queue stops
 * first) and is retried once on a transient failure.  Its outcome is a
 * line in the journal, never in the outcome log.  0, or -1 if
 * DISPATCH_TRANSIENT_MAX wait already or it is not a job (logged). */
int dispatch_transient(struct dispatch *d, const struct job *j);
/* Poll sock too in dispatch_step's wait, and call fn(arg) when it is
 * readable (at most once per step), so that the queue's main thread serves
 * the gateway while it waits for senders.  sock NULL: no more.  0. */
int dispatch_watch(struct dispatch *d, void *sock, void (*fn)(void *),
    void *arg);

/* Is minute-of-day m (Japan time) inside [start, end)?  (end < start: the
 * window wraps midnight.) */
int dispatch_in_window(long m, long start, long end);

#endif
