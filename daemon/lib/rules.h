/* rules.h - the rule language: program files, compiled conditions, tests
 * SPDX-License-Identifier: MIT
 *
 * Owns the rule files of rules/ (one INI file per program, format in
 * rules/README.md): their metadata, their eligibility condition compiled
 * to a small typed bytecode, their message templates and their test cases.
 * Knows nothing of LMDB, of pseudonyms or of who is notified: it answers
 * "does this member of this household satisfy this program on date D".
 * Nor does it know the city's config: a program names its department by
 * id and keeps its templates as written; render.h fills them in.
 *
 * Evaluation allocates nothing and is safe from any number of threads at
 * once on one loaded rule set (the set is read-only after rules_load).
 *
 * Logic is three-valued: a comparison that reads an unknown value (an empty
 * income) is unknown, `not unknown` is unknown, `false and x` is false and
 * `true or x` is true; a program holds only when its condition is true, so
 * an unknown never qualifies.
 *
 * The engine is a file per phase, rules_*.c (the list is in rules_int.h,
 * their internal header): loading, lexing, parsing and type checking,
 * compiling, facts, evaluation, test cases, explanations.
 */
#ifndef OSHIRASE_RULES_H
#define OSHIRASE_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dates.h"
#include "store.h"
#include "vocab.h"

#define RULES_MAX_PROGRAMS 128
#define RULES_ID_MAX 64

enum rules_subject { SUBJECT_PERSON = 0, SUBJECT_HEAD = 1 };
enum rules_cycle { CYCLE_FY = 0, CYCLE_ONCE = 1 };

/* The facts of one person on the reference date, computed once per run
 * (rules_person_init) and read by every program. */
enum rules_slot {
	SLOT_AGE, SLOT_MONTHS, SLOT_FYAGE, SLOT_BIRTH, SLOT_SEX, SLOT_REL,
	SLOT_INS, SLOT_TAX_EXEMPT, SLOT_INCOME, SLOT_DEPENDENTS,
	SLOT_SINGLE_PARENT, SLOT_DPHYS, SLOT_DINT, SLOT_DMENT,
	SLOT_COUNT
};

struct rules_person {
	int32_t f[SLOT_COUNT];		/* but income and dependents: */
	int64_t income, dependents;	/* up to 15 digits */
	const struct resident *r;	/* lists: benefits, flags, history */
	uint64_t benefit_mask, flag_mask;	/* store word ids below 64 */
	/* the rule set's history questions, answered while the record is
	 * at hand: ev[k] = events(word in window) of struct rules_ctx q[k] */
	uint16_t ev[16];
	uint8_t income_known;
};

/* A fact by slot, whatever its width. */
static inline int64_t
rules_fact(const struct rules_person *p, unsigned slot)
{
	return slot == SLOT_INCOME ? p->income :
	    slot == SLOT_DEPENDENTS ? p->dependents : p->f[slot];
}

struct rules_household {
	unsigned n;			/* members born on or before D */
	int head;			/* index of the head, or -1 */
	const struct rules_person *m;
};

/* The reference date and what follows from it. */
#define RULES_FY_SPAN 20	/* FY-20 .. FY+20 in events(... in FY-n..FY+m) */
#define RULES_MAX_EVQ 16	/* history questions answered per person */
struct rules_ctx {
	unsigned nq;
	struct { uint16_t id; date_t from, to; } q[RULES_MAX_EVQ];
	uint16_t qmask[64];	/* store event id < 64 -> its questions */
	date_t d;
	int dy, dm, dd;				/* D's year, month, day */
	int fy;
	date_t fy_next;				/* April 1 of FY+1 */
	date_t fy_start[2 * RULES_FY_SPAN + 1];	/* of FY+k at [k + SPAN] */
	date_t fy_end[2 * RULES_FY_SPAN + 1];
};
struct rules_set;
/* s (may be NULL) must already be bound to the store's words. */
void rules_ctx_init(struct rules_ctx *ctx, date_t d, const struct rules_set *s);
/* Facts of r on ctx's date.  Returns 0, or -1 if born after the date (not
 * a person yet: no one's subject, no member of any household). */
int rules_person_init(struct rules_person *p, const struct resident *r,
    const struct rules_ctx *ctx);

struct rules_program {
	char id[RULES_ID_MAX + 1];
	char *name_ja, *name_en, *page;
	char *department;		/* its id: render.h looks it up */
	int department_line;
	uint8_t category;		/* CONSENT_* bit of store.h */
	uint8_t subject;		/* enum rules_subject */
	uint8_t cycle;			/* enum rules_cycle */
	uint8_t tax;			/* 1: needs `tax` consent too */
	char *msg_ja, *msg_en;		/* templates, see rules/README.md */
	char *path;			/* the file it came from */
	/* compiled condition: the clauses (`when` lines) are and-ed */
	unsigned nclauses;
	struct rules_clause *clauses;	/* in the file's order */
	unsigned *order;		/* the order they are evaluated in */
	struct rules_code *code;
	unsigned ntests;
	struct rules_test *tests;
};

struct rules_set {
	unsigned n;
	struct rules_program *p[RULES_MAX_PROGRAMS];	/* sorted by id */
	struct vocab *vocab;
	/* vocabulary index -> store word id, per kind; identity until
	 * rules_bind_store is called */
	uint16_t *word_ids[VOCAB_NKINDS];
	/* a digest of every rule file, for the sealed log and reloads */
	uint8_t version[32];
	/* the distinct history questions (event, FY window) of all programs;
	 * events instructions carry k + 1 of theirs */
	unsigned nevq;
	struct { uint16_t word; int8_t from, to; } evq[RULES_MAX_EVQ];
};

/*
 * Load every *.ini in dir but vocabulary.ini, and the vocabulary.
 * Returns 0 and *out, or a negative code: RULES_ENOINPUT (the directory or
 * its vocabulary cannot be read), RULES_ESYNTAX (errors in the files).
 * Every error is printed to err (a stream, usually stderr) as
 * FILE:LINE:COLUMN: message, with a suggestion where one is near.  Nothing
 * is returned on error.  Programs exit 66 (EXIT_NOINPUT) and 65
 * (EXIT_DATAERR) for them.
 */
#define RULES_ENOINPUT (-1300)
#define RULES_ESYNTAX (-1301)
int rules_load(const char *dir, FILE *err, struct rules_set **out);
/* What a RULES_E* code means, in general (the messages say what was
 * wrong). */
const char *rules_strerror(int code);
void rules_free(struct rules_set *s);
/* Map the rules' words to the store's word ids (within txn).  A word the
 * store has never seen gets an id no record carries.  0 or a negative code
 * of store_word_id (store_strerror). */
int rules_bind_store(struct rules_set *s, MDB_txn *txn,
    const struct store_dbi *dbi);
/* Index of the program with this id, or -1. */
int rules_find(const struct rules_set *s, const char *id);

/* Does member `who` of h satisfy program p?  1 yes; 0 no (false or
 * unknown).  For a `head` program, only the head can. */
int rules_eval(const struct rules_set *s, const struct rules_program *p,
    const struct rules_household *h, unsigned who, const struct rules_ctx *ctx);

#define RULES_WORDS ((RULES_MAX_PROGRAMS + 63) / 64)

/*
 * Batches: many people of many households at once.  Each clause is then
 * dispatched once per batch and run over the people still in the running
 * in a tight loop, instead of once per person: what makes the rule
 * language about as fast as hand-written C.  p[i] is member who[i] of
 * household h[i]; rules_eval_batch sets bit p of elig[i] (RULES_WORDS
 * words of 64 bits) when that person is eligible for program p, as
 * rules_eval would say.
 */
#define RULES_BATCH 1024
struct rules_batch {
	unsigned n;
	const struct rules_person *pers;	/* person i is pers[i] */
	const struct rules_household *h[RULES_BATCH];
	uint16_t who[RULES_BATCH];		/* pers[i] is h[i]->m[who[i]] */
	uint64_t elig[RULES_BATCH][RULES_WORDS];
	/* filled by rules_batch_facts: the facts column by column, so a
	 * clause's loop reads contiguous memory (income and dependents, 64
	 * bits, apart) */
	int32_t col[SLOT_COUNT][RULES_BATCH];
};
void rules_eval_batch(const struct rules_set *s, const struct rules_ctx *ctx,
    struct rules_batch *b);
/* Put person p's facts into the batch's columns at index i: call it for
 * every person, right after rules_person_init while p is in the cache. */
void rules_batch_facts(struct rules_batch *b, unsigned i,
    const struct rules_person *p);

/* Print each clause of p for member who: its text, its value (true, false
 * or unknown) and the fields it read with their values.  Returns what
 * rules_eval returns. */
int rules_explain(const struct rules_set *s, const struct rules_program *p,
    const struct rules_household *h, unsigned who, const struct rules_ctx *ctx,
    FILE *out);

/* Run the test cases of every program (or of the one named): prints a line
 * per failing case to out and a summary.  Returns the number failed. */
unsigned rules_run_tests(const struct rules_set *s, const char *only, FILE *out,
    unsigned *ntests);

/* "health", "child" or "welfare": the name of a CONSENT_* category. */
const char *rules_category_name(uint8_t category);

#endif
