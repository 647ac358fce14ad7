/* actions_int.h - what the actions' files share (not for the rest of the
 * queue: they see actions.h)
 * SPDX-License-Identifier: MIT
 *
 *   actions.c        the socket, batches, one transaction each, answers
 *   actions_apply.c  each kind of action against the store
 *   replies.c        the texts and quick-reply items of replies and mails
 *   catchup.c        contact imports indexed and their consent sealed
 */
#ifndef OSHIRASE_ACTIONS_INT_H
#define OSHIRASE_ACTIONS_INT_H

#include "action.h"
#include "actions.h"
#include "addrbox.h"
#include "ckeys.h"
#include "job.h"
#include "codes.h"
#include "token.h"

#define REPLY_TEXTS 3
#define REPLY_TEXT_MAX 2048

/* A reply or mail composed while a batch is applied, queued once it is
 * committed. */
struct reply {
	uint8_t kind;			/* JOB_REPLY (LINE) / JOB_PUSH (email) */
	uint8_t channel, language;
	char to[ACT_REPLY_MAX];		/* a reply token, or an address */
	char subject[256];
	unsigned ntexts;
	char text[REPLY_TEXTS][REPLY_TEXT_MAX];
	unsigned nitems;
	struct job_item item[JOB_MAX_ITEMS];
};

/* One action of a batch: who sent it, what, the answer, the reply. */
struct act_item {
	uint8_t id[256];		/* the DEALER's routing id */
	size_t idlen;
	int delim;			/* an empty frame came before the body */
	int decoded;
	struct action act;
	struct action_answer ans;
	int has_reply;
	struct reply rep;
};

struct actions {
	struct store *s;
	const struct store_dbi *dbi;
	const struct config *cfg;
	struct outlog *log;
	struct dispatch *d;
	void *sock;
	time_t offset;
	struct ckeys *keys;		/* the dispatcher's, lent */
	uint8_t *code_key;		/* sodium_malloc */
	struct addrbox *sealer;		/* the queue's own import, or NULL */
	uint32_t seal_no;
	uint64_t seal_seq;
	int sealer_new;			/* made in the batch in hand */
	uint64_t last_message;		/* meta "message.seq" in the batch */
	struct act_item *b;		/* the batch */
	size_t nb;
	int broken;
	struct actions_stats st;
};

/* The clock (with the offset). */
time_t actions_now(const struct actions *a);

/* actions_apply.c */
/* Apply it->act in txn: fill it->ans (and it->rep).  0, or an LMDB
 * error or EIO (the log): the batch fails. */
int actions_apply(struct actions *a, MDB_txn *txn, struct act_item *it);
/* Record that contact (pseudo, channel) now holds status and consent
 * (state: SEALFMT_CONSENT_REMOVED for a contact gone), set by source: a
 * consent record sealed and consent_seen updated if it differs from what
 * consent_seen holds.  0 or an error. */
int actions_consent(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, int state, uint8_t consent, uint8_t source);
/* Drop the keys of the queue's own import made in a batch that failed. */
void actions_sealer_reset(struct actions *a);

/* replies.c */
enum reply_what {
	REPLY_GREET,		/* no contact: send the code in the letter */
	REPLY_LINKED,		/* a code linked: which categories? */
	REPLY_ASK_TAX,		/* categories chosen: tax data? */
	REPLY_SETTINGS,		/* what is held now, and how to change it */
	REPLY_SAVED,		/* a change saved: what is held now */
	REPLY_STOPPED,		/* nothing more will be sent */
	REPLY_HELP,		/* any other text of a linked user */
	REPLY_BADCODE,
	REPLY_USED,
	REPLY_EXPIRED,
	REPLY_LIMITED		/* too many failed codes: try later */
};
/* A LINE reply to reply_token: what in language, for a contact holding
 * consent. */
void replies_line(struct reply *r, int what, int language, unsigned consent,
    const char *reply_token);
/* The job of r (its texts point into r), without the id, attempt and
 * token the dispatcher gives it. */
void replies_job(const struct reply *r, struct job *j);
/* The confirmation mail of an email registration: link to address. */
void replies_confirm_mail(struct reply *r, int language, const char *address,
    const char *link, long hours);

/* catchup.c */
/* The catch-up in txn (see actions.h).  0 or an error. */
int catchup_run(struct actions *a, MDB_txn *txn, int force);
/* Delete events and codes past their keeping.  0 or an error. */
int catchup_prune(struct actions *a, MDB_txn *txn);

#endif
