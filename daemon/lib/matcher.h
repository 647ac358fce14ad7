/* matcher.h - one pass over the store: every program for every member
 * SPDX-License-Identifier: MIT
 *
 * Owns the walk over the residents database for a reference date: it
 * reads each household's members together (they are adjacent under the
 * household pseudonym), leaves out members born after D, computes their
 * facts once and evaluates every program for every member (a `head`
 * program for the head only).  The work is split across threads by ranges
 * of the household pseudonym's first byte; each thread has its own read
 * transaction.  Callers see one household at a time through a callback
 * in the thread that evaluated it; they never see resident ids (the store
 * has none) and the matcher writes nothing.
 */
#ifndef OSHIRASE_MATCHER_H
#define OSHIRASE_MATCHER_H

#include <stdint.h>

#include "rules.h"
#include "store.h"

#define MATCHER_MAX_THREADS 64
#define MATCHER_WORDS RULES_WORDS

/* One household as evaluated: members (born by D) with their resident
 * pseudonyms, facts and the programs each is eligible for. */
struct matcher_household {
	const uint8_t *hh;			/* household pseudonym, 32 bytes */
	const uint8_t *const *res;		/* res[i]: member i's pseudonym */
	const struct rules_household *h;
	const uint64_t (*elig)[MATCHER_WORDS];	/* elig[i]: bit p = program p */
	int any;				/* some member is eligible for something */
};

static inline int
matcher_eligible(const struct matcher_household *mh, unsigned member,
    unsigned prog)
{
	return (int)((mh->elig[member][prog / 64] >> (prog % 64)) & 1);
}

/* Called for each household (with any == 0 too if all is set), in the
 * evaluating thread; users[t] is thread t's own pointer. */
typedef void (*matcher_fn)(void *user, const struct matcher_household *mh);

/*
 * Walk the store on ctx's date with nthreads threads (1..MATCHER_MAX_THREADS;
 * 0 = one per CPU).  flags: MATCHER_ALL calls fn for households where no one
 * is eligible too; MATCHER_REFERENCE evaluates each person and program one
 * at a time with rules_eval (the plain interpreter) instead of in batches,
 * to check the batch engine against it.  A record that does not decode is
 * counted in *bad and skipped.  Returns 0, or a negative code that
 * matcher_strerror names: LMDB's (an MDB_* code, or -errno), or
 * MATCHER_ETHREAD when a thread could not be started (logged with the
 * reason).  After an error the run is incomplete: fn may have been called
 * for some households but not for all.
 */
#define MATCHER_ALL 1
#define MATCHER_REFERENCE 2
#define MATCHER_ETHREAD (-1000)	/* neither an errno value nor LMDB's */
int matcher_run(struct store *s, const struct rules_set *rs,
    const struct rules_ctx *ctx, unsigned nthreads, int flags, matcher_fn fn,
    void *const *users, unsigned long *bad);
const char *matcher_strerror(int code);

/* The number of threads matcher_run will use for nthreads. */
unsigned matcher_threads(unsigned nthreads);

#endif
