/* vocab.h - the vocabulary of benefit, event and flag words
 * SPDX-License-Identifier: MIT
 *
 * Owns the parsed contents of rules/vocabulary.ini: three lists of words,
 * each word's index being its position in its section.  Read-only after
 * vocab_load; safe to share between threads.  The store keeps its own
 * numbering of words (store.h), so the file may grow without a migration.
 *
 * File format (INI, read with inifile.h):
 *   [benefit] / [event] / [flag]   one `word = description` a line
 * A word is 1..VOCAB_WORD_MAX bytes of [a-z0-9_-]; a kind has at most
 * VOCAB_MAX_WORDS words.  A duplicate word in a section, an unknown
 * section, a bad word or one too many is an error at its line.
 */
#ifndef OSHIRASE_VOCAB_H
#define OSHIRASE_VOCAB_H

#include <stddef.h>

enum vocab_kind { VOCAB_BENEFIT = 0, VOCAB_EVENT = 1, VOCAB_FLAG = 2 };
#define VOCAB_NKINDS 3
#define VOCAB_WORD_MAX 48
#define VOCAB_MAX_WORDS 256	/* per kind */
#define VOCAB_FILE "vocabulary.ini"

struct vocab;

/*
 * Load DIR/vocabulary.ini.  Returns 0 and *out (free with vocab_free), or a
 * negative code with a message in err: VOCAB_ENOINPUT (the file is missing
 * or unreadable: "FILE: why"), VOCAB_ESYNTAX (bad content: "FILE:LINE:
 * message").
 */
#define VOCAB_ENOINPUT (-1200)
#define VOCAB_ESYNTAX (-1201)
int vocab_load(const char *rules_dir, struct vocab **out, char *err,
    size_t errlen);
/* What a VOCAB_E* code means, in general (err says what was wrong). */
const char *vocab_strerror(int code);
void vocab_free(struct vocab *v);

/* Index of word (len bytes) in kind's list, or -1. */
int vocab_find(const struct vocab *v, enum vocab_kind kind, const char *word,
    size_t len);
size_t vocab_count(const struct vocab *v, enum vocab_kind kind);
const char *vocab_word(const struct vocab *v, enum vocab_kind kind, size_t i);
const char *vocab_kind_name(enum vocab_kind kind);
/* The closest word of kind to word (edit distance <= 2), or NULL: for
 * "did you mean" suggestions. */
const char *vocab_suggest(const struct vocab *v, enum vocab_kind kind,
    const char *word, size_t len);
/* Edit distance (Levenshtein) of two short strings, capped at cap + 1. */
int vocab_distance(const char *a, size_t alen, const char *b, size_t blen,
    int cap);

#endif
