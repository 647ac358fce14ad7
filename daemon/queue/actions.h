/* actions.h - the queue's side of residents' own actions: what the
 * gateway passes on (action.h) applied to the store and sealed in the log
 * SPDX-License-Identifier: MIT
 *
 * What it owns:
 *  - the actions socket: a ZeroMQ ROUTER bound at [gateway] actions
 *    (ipc:// only, its file 0660: the queue never listens on a network),
 *    each gateway thread's DEALER connected to it;
 *  - applying them: every action frame waiting (up to ACTIONS_BATCH) is
 *    applied in ONE LMDB write transaction; the consent records of what
 *    changed are sealed in the log and log.bin synced before the commit,
 *    the writer's state after it (outlog_mark / outlog_write / commit /
 *    outlog_sync; outlog_rollback if the transaction fails), as the
 *    dispatcher's settle does; then each action is answered (action.h),
 *    and only then are the replies queued (dispatch_transient).  A batch
 *    whose transaction or log write fails is answered ACT_UNAVAILABLE for
 *    every action (nothing of it applied: the gateway answers 503 and LINE
 *    redelivers);
 *  - the residents' contacts they make or change: records v2 with their
 *    source and time of change; a LINE user id or an email address a
 *    resident gives is encrypted (addrbox.h) under the queue's own import
 *    number, taken once per process on first need (meta "contacts.seq"
 *    + 1, its ephemeral key in contact_keys, meta "queue.import");
 *  - the store's action databases (store.h): events (each LINE
 *    webhookEventId applied at most once), line_index (a keyed hash of a
 *    LINE user id to its resident, a hint checked by decrypting the
 *    contact), codes (registration codes: marked used), consent_seen (the
 *    consent the log last recorded per contact, so that a record is
 *    sealed for each change and only for a change);
 *  - the reply texts (replies.c: Japanese and English, LINE's quick-reply
 *    items) and the confirmation mail of an email registration;
 *  - the catch-up of contact imports (catchup.c): at start, before each
 *    match run, and before a batch when meta "contacts.seq" is past
 *    "line_index.import", the active LINE contacts of newer imports are
 *    indexed and a consent record (source import) is sealed for each
 *    contact whose (status, consent) differs from consent_seen (removed,
 *    for a contact that no longer exists);
 *  - pruning, once a day at the match run: events older than 30 days,
 *    codes expired more than 30 days ago.
 *
 * What it never touches: the outbox, messages and ledger (the dispatcher
 * cancels what a withdrawn contact or consent no longer allows when it
 * hands a message out), the residents, the pseudonymisation key; it never
 * logs an address, a user id, a code or a token.  Codes are looked up by
 * their keyed hash only (codes.h; codes.key is [letters] code_key or
 * DB/codes.key; when it is missing every code is ACT_BADCODE).
 *
 * Data formats: the frames are action.h's, the records store.h's and
 * codes.h's, the consent records sealfmt.h's, the tokens token.h's.
 * Postback data of the quick-reply items (the gateway parses them):
 * "cat=D" (D 0..7, the categories' bits), "tax=0|1", "lang=ja|en",
 * "stop", "settings".
 *
 * Threads: all of it runs on the queue's main thread (the dispatcher
 * calls actions_serve from its wait: dispatch_watch).
 */
#ifndef OSHIRASE_ACTIONS_H
#define OSHIRASE_ACTIONS_H

#include <time.h>

#include "config.h"
#include "dispatch.h"
#include "outlog.h"
#include "store.h"

#define ACTIONS_BATCH 256	/* actions applied in one transaction, at most */
#define ACTIONS_KEEP_DAYS 30	/* events and expired codes kept */

struct actions;

/* Counts since start, for tests and status lines. */
struct actions_stats {
	unsigned long batches, actions, failed_batches, consent_records;
};

/*
 * Bind the actions socket (cfg's [gateway] actions) in zctx and read the
 * keys (contacts.sec, whose derived keys make and open tokens and the
 * LINE index; codes.key if it is there).  s, log and d are borrowed and
 * must outlive it; offset as dispatch_new's.  0, or -1 with a message in
 * err.
 */
int actions_open(void *zctx, struct store *s, const struct config *cfg,
    struct outlog *log, struct dispatch *d, time_t offset,
    struct actions **out, char *err, size_t errlen);
void actions_close(struct actions *a);
/* A new config from now on (a reload; the socket stays where it is). */
void actions_reload(struct actions *a, const struct config *cfg);
/* The ROUTER, for dispatch_watch. */
void *actions_socket(const struct actions *a);
/* Apply and answer what is waiting on the socket (a few batches at most,
 * then back to the dispatcher); never blocks.  The signature of
 * dispatch_watch's fn. */
void actions_serve(void *a);
/* Nonzero once the log could not be synced after a commit: the daemon
 * must stop (74), as it does when settling fails. */
int actions_broken(const struct actions *a);
/* Catch up with contact imports (above), in a transaction of its own;
 * force: walk every contact even if no import is newer.  0 or -1
 * (logged). */
int actions_catchup(struct actions *a, int force);
/* The daily work before a match run: catch up, prune.  0 or -1 (logged). */
int actions_daily(struct actions *a);
const struct actions_stats *actions_stats(const struct actions *a);

#endif
