/* vocab.c - the vocabulary of benefit, event and flag words
 * SPDX-License-Identifier: MIT
 */
#include "vocab.h"
#include "inifile.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vocab {
	char **words[VOCAB_NKINDS];
	size_t count[VOCAB_NKINDS];
	size_t cap[VOCAB_NKINDS];
};

static const char *const kind_names[VOCAB_NKINDS] = { "benefit", "event", "flag" };

const char *
vocab_kind_name(enum vocab_kind kind)
{
	return kind_names[kind];
}

struct load_ctx {
	struct vocab *v;
	struct inifile_err *err;
};

static int
word_ok(const char *w, size_t len)
{
	if (len == 0 || len > VOCAB_WORD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = w[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
load_handler(void *user, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line)
{
	(void)section_line;
	struct load_ctx *ctx = user;
	struct vocab *v = ctx->v;
	size_t len = strlen(name);
	int kind = -1;

	(void)value;
	if (raw[0] == ' ' || raw[0] == '\t') {
		inifile_error(ctx->err, line, 1, "one word a line (this line "
		    "starts with white space)");
		return -1;
	}
	for (int k = 0; k < VOCAB_NKINDS; k++)
		if (strcmp(section, kind_names[k]) == 0)
			kind = k;
	if (kind < 0) {
		inifile_error(ctx->err, line, 1, "unknown section [%s] "
		    "(expected [benefit], [event] or [flag])", section);
		return -1;
	}
	if (!word_ok(name, len)) {
		inifile_error(ctx->err, line, 1, "bad word '%s': 1..%d bytes of "
		    "a-z, 0-9, '-' and '_'", name, VOCAB_WORD_MAX);
		return -1;
	}
	if (vocab_find(v, kind, name, len) >= 0) {
		inifile_error(ctx->err, line, 1, "%s word '%s' declared twice",
		    kind_names[kind], name);
		return -1;
	}
	if (v->count[kind] == VOCAB_MAX_WORDS) {
		inifile_error(ctx->err, line, 1, "more than %d %s words",
		    VOCAB_MAX_WORDS, kind_names[kind]);
		return -1;
	}
	if (v->count[kind] == v->cap[kind]) {
		v->cap[kind] = v->cap[kind] ? 2 * v->cap[kind] : 32;
		v->words[kind] = xrealloc(v->words[kind],
		    v->cap[kind] * sizeof(char *));
	}
	v->words[kind][v->count[kind]++] = xstrdup(name);
	return 0;
}

int
vocab_load(const char *rules_dir, struct vocab **out, char *err, size_t errlen)
{
	struct inifile_err ie;
	struct load_ctx ctx;
	struct vocab *v;
	char path[4096];
	int rc;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", rules_dir,
	    VOCAB_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", rules_dir);
		return VOCAB_ENOINPUT;
	}
	v = xcalloc(1, sizeof(*v));
	ctx.v = v;
	ctx.err = &ie;
	rc = inifile_parse(path, load_handler, &ctx, &ie);
	if (rc == -2) {
		snprintf(err, errlen, "%s: %s", path, ie.msg);
		vocab_free(v);
		return VOCAB_ENOINPUT;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, ie.line, ie.msg);
		vocab_free(v);
		return VOCAB_ESYNTAX;
	}
	*out = v;
	return 0;
}

const char *
vocab_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case VOCAB_ENOINPUT:
		return "the vocabulary file cannot be read";
	case VOCAB_ESYNTAX:
		return "a bad line or word in the vocabulary file";
	default:
		return "an unknown vocabulary error";
	}
}

void
vocab_free(struct vocab *v)
{
	if (v == NULL)
		return;
	for (int k = 0; k < VOCAB_NKINDS; k++) {
		for (size_t i = 0; i < v->count[k]; i++)
			free(v->words[k][i]);
		free(v->words[k]);
	}
	free(v);
}

int
vocab_find(const struct vocab *v, enum vocab_kind kind, const char *word,
    size_t len)
{
	for (size_t i = 0; i < v->count[kind]; i++) {
		const char *w = v->words[kind][i];

		/* by length first: word may hold a NUL, w never does */
		if (strlen(w) == len && memcmp(w, word, len) == 0)
			return (int)i;
	}
	return -1;
}

size_t
vocab_count(const struct vocab *v, enum vocab_kind kind)
{
	return v->count[kind];
}

const char *
vocab_word(const struct vocab *v, enum vocab_kind kind, size_t i)
{
	return i < v->count[kind] ? v->words[kind][i] : NULL;
}

int
vocab_distance(const char *a, size_t alen, const char *b, size_t blen, int cap)
{
	int row[VOCAB_WORD_MAX * 2 + 2];

	if (alen > VOCAB_WORD_MAX * 2 || blen > VOCAB_WORD_MAX * 2)
		return cap + 1;
	for (size_t j = 0; j <= blen; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= alen; i++) {
		int diag = row[0], best;

		row[0] = (int)i;
		best = row[0];
		for (size_t j = 1; j <= blen; j++) {
			int up = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int val = diag + cost;

			if (up + 1 < val)
				val = up + 1;
			if (row[j - 1] + 1 < val)
				val = row[j - 1] + 1;
			row[j] = val;
			diag = up;
			if (val < best)
				best = val;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[blen] > cap ? cap + 1 : row[blen];
}

const char *
vocab_suggest(const struct vocab *v, enum vocab_kind kind, const char *word,
    size_t len)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < v->count[kind]; i++) {
		const char *w = v->words[kind][i];
		int d = vocab_distance(word, len, w, strlen(w), 2);

		if (d < bestd) {
			bestd = d;
			best = w;
		}
	}
	return best;
}
