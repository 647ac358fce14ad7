/* match.h - a match run: eligibility to notices
 * SPDX-License-Identifier: MIT
 *
 * Owns the step between the matcher and the outbox: for the reference date
 * it takes every eligible (program, subject) pair from one matcher pass,
 * resolves the recipients (README, "Who is told": the subject if
 * 18 or over, else the household's head and spouse aged 18 or over),
 * picks each recipient's contact (active LINE, else active email), checks
 * the contact's consent (the program's category, and `tax` for tax
 * programs) and the dedup ledger, and then either lists what would be
 * queued (a dry run: changes nothing) or writes the new notices to the
 * outbox together with their ledger entries, in batches of one LMDB
 * transaction each, so that a crash leaves both or neither.
 *
 * It reads contacts' channel, language, consent and status, never their
 * addresses; it never sees a resident id (the store has none).
 */
#ifndef OSHIRASE_MATCH_H
#define OSHIRASE_MATCH_H

#include <stdio.h>

#include "rules.h"
#include "store.h"

/* Per program: what became of its eligible pairs. */
struct match_counts {
	unsigned long eligible;		/* (program, subject) pairs */
	unsigned long recipients;	/* (program, recipient, subject) */
	unsigned long no_recipient;	/* a child with no adult guardian */
	unsigned long no_contact;	/* recipient has no active contact */
	unsigned long bad_contact;	/* their contact record does not
					 * decode (a damaged store: ALERT) */
	unsigned long no_consent;	/* contact lacks the category or tax */
	unsigned long already;		/* in the dedup ledger */
	unsigned long queued;		/* new: queued (or, dry, would be) */
};

struct match_result {
	uint32_t run;			/* the run number (0 for a dry run) */
	unsigned long total;		/* notices queued */
	unsigned long bad_records;	/* contact records that do not decode */
	struct match_counts c[RULES_MAX_PROGRAMS];
};

/* Does a contact's consent bits cover program p: its category, and tax
 * for a program that needs it?  The match run asks it before queuing,
 * the dispatcher again before sending. */
int match_consent_covers(const struct rules_program *p, uint8_t consent);

/*
 * Match the store on date d with nthreads matcher threads.  dry: print the
 * notices a run would queue to out (program<TAB>recipient<TAB>subject<TAB>
 * channel, in byte order) and change nothing; else queue them, batch
 * notices per transaction (s opened with STORE_WRITE), and record the run.
 * Returns 0, or a negative code, logged but for MATCH_EOUTPUT:
 *   MATCH_EREADONLY  a real run on a store opened read-only
 *   MATCH_ETHREAD    a matcher thread could not be started
 *   MATCH_ESTORE     reading or writing the store failed
 *   MATCH_EOUTPUT    writing the dry run's lines to out failed
 * (the programs exit 70, 70, 74 and 74 for them).
 */
#define MATCH_EREADONLY (-1400)
#define MATCH_ETHREAD (-1401)
#define MATCH_ESTORE (-1402)
#define MATCH_EOUTPUT (-1403)
int match_run(struct store *s, const struct rules_set *rs, date_t d,
    unsigned nthreads, int dry, FILE *out, long batch, struct match_result *res);
/*
 * The recipients a run on d would resolve (eligibility and the guardian
 * rule, as match_run) who have no active contact on any channel (a
 * recipient whose contact record does not decode is left out, with an
 * ALERT), each with a program they would be told of: distinct pairs,
 * sorted by recipient then program index (rs->p[], big-endian), into
 * *out (free() it; NULL when there are none), their number in *n.
 * Consent and the dedup ledger do not come in (no contact holds them).
 * 0, MATCH_ETHREAD or MATCH_ESTORE (logged).
 */
struct match_uncontacted {
	uint8_t recipient[STORE_PSEUDO_LEN];
	uint8_t program[2];
};
int match_uncontacted(struct store *s, const struct rules_set *rs, date_t d,
    unsigned nthreads, struct match_uncontacted **out, size_t *n);
/* What a MATCH_E* code means. */
const char *match_strerror(int code);

/* Print res as a table (program, eligible, queued, suppressed ...). */
void match_print_counts(const struct rules_set *rs,
    const struct match_result *res, FILE *f);

#endif
