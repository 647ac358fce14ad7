/* rules_load.c - a rule set from its files
 * SPDX-License-Identifier: MIT
 *
 * Reads every .ini file of the directory but the vocabulary (inifile.h):
 * the [program] metadata, the [eligible] `when` clauses (with their
 * continuation lines and positions, compiled by rules_compile.c), the
 * [message] templates and the [test: NAME] cases (rules_test.c).  Every
 * error is counted and printed as FILE:LINE[:COLUMN]: message; a program
 * with one is dropped and the load fails.  The set's version is a digest
 * of every file.
 */
#include "rules_int.h"
#include "inifile.h"
#include "util.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct loadctx {
	struct rules_set *set;
	struct rules_program *p;
	struct diag *d;
	struct inifile_err *ie;
	const char *file_id;		/* the file name without .ini */
	/* clauses being read */
	struct src *srcs;
	unsigned nsrc, srccap;
	int last_when;			/* the last key was `when` */
	int msg_lang;			/* 0 ja, 1 en, -1 none: for continuations */
	struct rules_test *test;	/* the current [test: ...] */
	int test_section_line;
	unsigned seen;			/* metadata keys given, bit per key */
	/* the previous key, to tell a continuation line from a key */
	int prev_line, prev_section_line;
	char prev_name[64];
	int msg_line[2];		/* where ja and en start */
};

static const char *const meta_keys[] = {
	"id", "name_ja", "name_en", "department", "category", "subject",
	"cycle", "tax", "page"
};
#define NMETA (sizeof(meta_keys) / sizeof(meta_keys[0]))

static const char *const category_names[] = { "health", "child", "welfare" };

const char *
rules_category_name(uint8_t category)
{
	switch (category) {
	case CONSENT_HEALTH: return "health";
	case CONSENT_CHILD: return "child";
	case CONSENT_WELFARE: return "welfare";
	default: return "?";
	}
}

static int
pick(struct loadctx *lc, int line, const char *raw, const char *key,
    const char *value, const char *const *words, int n)
{
	char all[160];
	size_t off = 0;

	for (int i = 0; i < n; i++)
		if (strcmp(value, words[i]) == 0)
			return i;
	all[0] = '\0';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s",
		    i ? ", " : "", words[i]);
	rules_diag_line(lc->d, line, rules_value_col(raw, value), "%s: '%s' is not one of %s",
	    key, value, all);
	return -1;
}

static char *
append_text(char *old, const char *more, const char *sep)
{
	size_t a = old ? strlen(old) : 0, b = strlen(more), c = strlen(sep);
	char *s = xrealloc(old, a + c + b + 1);

	if (a > 0) {
		memcpy(s + a, sep, c);
		a += c;
	}
	memcpy(s + a, more, b + 1);
	return s;
}

/* Check a message template's placeholders. */
static void
check_template(struct loadctx *lc, int line, const char *raw, const char *t)
{
	static const char *const ph[] = { "name", "city", "url", "department",
	    "who", "Who" };

	for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		int ok = 0;

		if (e != NULL)
			for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
				ok |= (size_t)(e - p - 1) == strlen(ph[i]) &&
				    memcmp(p + 1, ph[i], strlen(ph[i])) == 0;
		if (!ok) {
			rules_diag_line(lc->d, line, rules_value_col(raw, t) + (int)(p - t),
			    "unknown placeholder '%.*s' (use {name}, {city}, {url}, "
			    "{department}, {who} or {Who})", e ? (int)(e - p + 1) : 1, p);
			return;
		}
	}
}

static int handle_key(struct loadctx *lc, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line, int cont);

static int
program_handler(void *user, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line)
{
	struct loadctx *lc = user;
	/* inih continues the previous key on an indented line, but an
	 * indented line that follows a section header is a key of its own */
	int cont = (raw[0] == ' ' || raw[0] == '\t') && lc->prev_line > 0 &&
	    lc->prev_section_line == section_line &&
	    strcmp(lc->prev_name, name) == 0;
	int rc = handle_key(lc, section, name, value, line, raw, section_line, cont);

	lc->prev_line = line;
	lc->prev_section_line = section_line;
	snprintf(lc->prev_name, sizeof(lc->prev_name), "%s", name);
	return rc;
}

static int
handle_key(struct loadctx *lc, const char *section, const char *name,
    const char *value, int line, const char *raw, int section_line, int cont)
{
	struct rules_program *p = lc->p;
	int col = rules_value_col(raw, value), k;

	if (strncmp(section, "test:", 5) == 0) {
		const char *tn = section + 5 + strspn(section + 5, " ");

		if (lc->test == NULL || lc->test_section_line != section_line) {
			/* a new test section: its name must be new too */
			lc->test = rules_test_new(p, tn, section_line, lc->d);
			lc->test_section_line = section_line;
		}
		rules_test_key(lc->test, lc->d, lc->set->vocab, name, value,
		    line, raw, cont);
		return 0;
	}
	if (strcmp(section, "program") == 0) {
		if (cont) {
			rules_diag_line(lc->d, line, 1, "[program] values are one line");
			return 0;
		}
		for (k = 0; k < (int)NMETA; k++)
			if (strcmp(name, meta_keys[k]) == 0)
				break;
		if (k == (int)NMETA) {
			rules_diag_line(lc->d, line, 1, "unknown key '%s' in [program] "
			    "(id, name_ja, name_en, department, category, subject, "
			    "cycle, tax, page)", name);
			return 0;
		}
		if (lc->seen & (1u << k)) {
			rules_diag_line(lc->d, line, 1, "'%s' given twice", name);
			return 0;
		}
		lc->seen |= 1u << k;
		switch (k) {
		case 0:
			if (strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			    strlen(value) || strlen(value) > RULES_ID_MAX || !*value)
				rules_diag_line(lc->d, line, col, "id '%s': lowercase letters, "
				    "digits and '-', at most %d", value, RULES_ID_MAX);
			else if (strcmp(value, lc->file_id) != 0)
				rules_diag_line(lc->d, line, col, "id '%s' differs from the "
				    "file name '%s.ini'", value, lc->file_id);
			snprintf(p->id, sizeof(p->id), "%s", value);
			break;
		case 1: p->name_ja = xstrdup(value); break;
		case 2: p->name_en = xstrdup(value); break;
		case 3:
			p->department = xstrdup(value);
			p->department_line = line;
			break;
		case 4: {
			int c = pick(lc, line, raw, name, value, category_names, 3);

			p->category = c < 0 ? 0 : (uint8_t)(1u << c);
			break;
		}
		case 5: {
			static const char *const w[] = { "person", "head" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->subject = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 6: {
			static const char *const w[] = { "fy", "once" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->cycle = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 7: {
			static const char *const w[] = { "no", "yes" };
			int c = pick(lc, line, raw, name, value, w, 2);

			p->tax = c < 0 ? 0 : (uint8_t)c;
			break;
		}
		case 8: p->page = xstrdup(value); break;
		}
		return 0;
	}
	if (strcmp(section, "eligible") == 0) {
		if (strcmp(name, "when") != 0) {
			rules_diag_line(lc->d, line, 1, "[eligible] holds `when = "
			    "condition` lines (all must hold), not '%s'", name);
			return 0;
		}
		if (!cont || lc->nsrc == 0) {
			if (lc->nsrc == lc->srccap) {
				lc->srccap = lc->srccap ? 2 * lc->srccap : 8;
				lc->srcs = xrealloc(lc->srcs, lc->srccap * sizeof(*lc->srcs));
			}
			memset(&lc->srcs[lc->nsrc++], 0, sizeof(*lc->srcs));
			lc->srcs[lc->nsrc - 1].first_line = line;
		}
		if (*value)
			rules_src_add(&lc->srcs[lc->nsrc - 1], value, line, col);
		return 0;
	}
	if (strcmp(section, "message") == 0) {
		char **msg;

		if (strcmp(name, "ja") != 0 && strcmp(name, "en") != 0) {
			rules_diag_line(lc->d, line, 1, "[message] holds ja and en, not '%s'", name);
			return 0;
		}
		msg = name[0] == 'j' ? &p->msg_ja : &p->msg_en;
		if (!cont)
			lc->msg_line[name[0] == 'j' ? 0 : 1] = line;
		if (!cont && *msg != NULL) {
			rules_diag_line(lc->d, line, 1, "'%s' given twice", name);
			return 0;
		}
		if (*value) {
			check_template(lc, line, raw, value);
			*msg = append_text(*msg, value, "\n");
		}
		return 0;
	}
	rules_diag_line(lc->d, line, 1, "unknown section [%s] (expected [program], "
	    "[eligible], [message] or [test: NAME])", section);
	return 0;
}

static void
program_free(struct rules_program *p)
{
	if (p == NULL)
		return;
	free(p->name_ja);
	free(p->name_en);
	free(p->department);
	free(p->page);
	free(p->msg_ja);
	free(p->msg_en);
	free(p->path);
	for (unsigned i = 0; i < p->nclauses; i++) {
		free(p->clauses[i].text);
		free(p->clauses[i].ft);
		free(p->clauses[i].qft);
	}
	free(p->clauses);
	free(p->order);
	if (p->code) {
		free(p->code->code);
		free(p->code->pool);
		free(p->code);
	}
	rules_tests_free(p);
	free(p);
}

/* A rule file is a regular file of at most RULES_MAX_FILE_BYTES: 0, or
 * -1 with the error in d (for a file too large, at the line where it
 * goes past the limit). */
static int
check_file(const char *path, struct diag *d)
{
	static char buf[RULES_MAX_FILE_BYTES];
	struct stat st;
	ssize_t n;
	int fd, line = 1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rules_diag_line(d, 0, 0, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		rules_diag_line(d, 0, 0, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size <= RULES_MAX_FILE_BYTES) {
		close(fd);
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		line += buf[i] == '\n';
	rules_diag_line(d, line, 0, "the file is %lld bytes and goes past %d "
	    "here: a rule file holds at most %d bytes", (long long)st.st_size,
	    RULES_MAX_FILE_BYTES, RULES_MAX_FILE_BYTES);
	return -1;
}

static struct rules_program *
load_program(struct rules_set *set, const char *dir, const char *file,
    struct diag *d)
{
	struct rules_program *p = xcalloc(1, sizeof(*p));
	struct inifile_err ie;
	struct loadctx lc;
	char path[4096], id[RULES_ID_MAX + 8];
	unsigned before = d->errors;
	size_t n = strlen(file) - 4;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(id, sizeof(id), "%.*s", (int)(n < RULES_ID_MAX ? n : RULES_ID_MAX), file);
	p->path = xstrdup(path);
	memset(&lc, 0, sizeof(lc));
	lc.set = set;
	lc.p = p;
	lc.d = d;
	lc.ie = &ie;
	lc.file_id = id;
	d->path = p->path;
	if (check_file(path, d) != 0) {
		program_free(p);
		return NULL;
	}
	rc = inifile_parse(path, program_handler, &lc, &ie);
	if (rc != 0)
		rules_diag_line(d, ie.line, ie.col, "%s", ie.msg);
	for (unsigned k = 0; k < NMETA; k++)
		if (!(lc.seen & (1u << k)))
			rules_diag_line(d, 1, 0, "[program] has no '%s'", meta_keys[k]);
	if (lc.nsrc == 0)
		rules_diag_line(d, 1, 0, "no [eligible] `when` clause");
	if (p->msg_ja == NULL || p->msg_en == NULL)
		rules_diag_line(d, 1, 0, "[message] needs both ja and en");
	/* a message says "may qualify", never "you qualify" */
	if (p->msg_ja != NULL && strstr(p->msg_ja, "可能性") == NULL)
		rules_diag_line(d, lc.msg_line[0], 0, "the ja message must say the "
		    "resident may qualify (対象となる可能性があります)");
	if (p->msg_en != NULL && strcasestr(p->msg_en, "may qualify") == NULL)
		rules_diag_line(d, lc.msg_line[1], 0, "the en message must say \"may "
		    "qualify\"");
	rules_tests_check(p, d);
	rules_compile_program(p, lc.srcs, lc.nsrc, d, set->vocab);
	for (unsigned i = 0; i < lc.nsrc; i++)
		rules_src_free(&lc.srcs[i]);
	free(lc.srcs);
	if (d->errors != before) {
		program_free(p);
		return NULL;
	}
	return p;
}

static int
cmp_prog(const void *a, const void *b)
{
	const struct rules_program *x = *(struct rules_program *const *)a;
	const struct rules_program *y = *(struct rules_program *const *)b;

	return strcmp(x->id, y->id);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rules_load(const char *dir, FILE *err, struct rules_set **out)
{
	struct rules_set *set = xcalloc(1, sizeof(*set));
	struct diag d = { err, NULL, 0 };
	char msg[1400], **names = NULL;
	unsigned nnames = 0;
	crypto_generichash_state hs;
	struct dirent *de;
	DIR *dh;
	int rc;

	*out = NULL;
	rc = vocab_load(dir, &set->vocab, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(err, "%s\n", msg);
		rules_free(set);
		return rc == VOCAB_ENOINPUT ? RULES_ENOINPUT : RULES_ESYNTAX;
	}
	for (int k = 0; k < VOCAB_NKINDS; k++) {
		size_t n = vocab_count(set->vocab, k);

		set->word_ids[k] = xcalloc(n + 1, sizeof(uint16_t));
		for (size_t i = 0; i < n; i++)
			set->word_ids[k][i] = (uint16_t)i;
	}
	dh = opendir(dir);
	if (dh == NULL) {
		fprintf(err, "%s: %s\n", dir, strerror(errno));
		rules_free(set);
		return RULES_ENOINPUT;
	}
	while ((de = readdir(dh)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".ini") != 0 ||
		    strcmp(de->d_name, VOCAB_FILE) == 0 || de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_str);
	crypto_generichash_init(&hs, NULL, 0, sizeof(set->version));
	for (unsigned i = 0; i < nnames; i++) {
		struct rules_program *p;

		if (set->n == RULES_MAX_PROGRAMS) {
			fprintf(err, "%s: more than %d programs\n", dir, RULES_MAX_PROGRAMS);
			d.errors++;
			break;
		}
		p = load_program(set, dir, names[i], &d);
		if (p != NULL)
			set->p[set->n++] = p;
	}
	if (d.errors == 0 && set->n == 0) {
		fprintf(err, "%s: no rule files (*.ini)\n", dir);
		d.errors++;
	}
	if (d.errors != 0) {
		fprintf(err, "%s: %u error(s)\n", dir, d.errors);
		for (unsigned i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		rules_free(set);
		return RULES_ESYNTAX;
	}
	/* the version: a digest of every file, vocabulary included (each
	 * read already, a regular file of bounded size) */
	for (unsigned i = 0; i <= nnames; i++) {
		char path[4096];
		size_t len;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, i < nnames ? names[i] : VOCAB_FILE);
		text = file_read_all(path, &len);
		if (text != NULL) {
			crypto_generichash_update(&hs, (const uint8_t *)(i < nnames ?
			    names[i] : VOCAB_FILE), strlen(i < nnames ? names[i] : VOCAB_FILE) + 1);
			crypto_generichash_update(&hs, (const uint8_t *)text, len);
			free(text);
		}
	}
	crypto_generichash_final(&hs, set->version, sizeof(set->version));
	for (unsigned i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	qsort(set->p, set->n, sizeof(set->p[0]), cmp_prog);
	for (unsigned i = 0; i < set->n; i++)
		rules_number_questions(set, set->p[i]);
	*out = set;
	return 0;
}

const char *
rules_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case RULES_ENOINPUT:
		return "the rules directory or its vocabulary cannot be read";
	case RULES_ESYNTAX:
		return "errors in the rule files";
	default:
		return "an unknown rules error";
	}
}

void
rules_free(struct rules_set *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++)
		program_free(s->p[i]);
	for (int k = 0; k < VOCAB_NKINDS; k++)
		free(s->word_ids[k]);
	vocab_free(s->vocab);
	free(s);
}

int
rules_find(const struct rules_set *s, const char *id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->p[i]->id, id) == 0)
			return (int)i;
	return -1;
}

int
rules_bind_store(struct rules_set *s, MDB_txn *txn, const struct store_dbi *dbi)
{
	for (int k = 0; k < VOCAB_NKINDS; k++)
		for (size_t i = 0; i < vocab_count(s->vocab, k); i++) {
			uint16_t id;
			int rc = store_word_id(txn, dbi, k, vocab_word(s->vocab, k, i),
			    0, &id);

			if (rc == MDB_NOTFOUND)
				id = 0xffff;	/* no record carries it */
			else if (rc != 0)
				return rc;
			s->word_ids[k][i] = id;
		}
	return 0;
}
