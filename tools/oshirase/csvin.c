/* csvin.c - read a CSV extract with libcsv, by named columns
 * SPDX-License-Identifier: MIT
 *
 * Large files are cut into chunks at record boundaries and read by one
 * thread each (the caller gives one callback context per chunk); messages
 * are kept per chunk and printed in file order afterwards.
 *
 * libcsv runs in strict mode with no space trimming (a space is data, and
 * the value checks then refuse it where the contract forbids spaces).  To
 * know the line on which each record starts, the text is fed one line at a
 * time: after a line, a record is still open if a field of it has ended or
 * a quoted field is open (the parser's public `quoted`), else the next line
 * starts a new one.
 */
#include "csvin.h"
#include "log.h"
#include "util.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLUMNS 64
/* A field longer than this is an error (the longest a contract column
 * holds, a history, is far shorter), so that one field cannot take the
 * memory of an import.  The text is fed to libcsv in pieces of at most
 * FEED_PIECE bytes, and its field buffer grows by FIELD_BLOCK bytes at a
 * time (libcsv's default, 128, made a long field's growth quadratic). */
#define FIELD_MAX (1u << 20)
#define FEED_PIECE (64u << 10)
#define FIELD_BLOCK (16u << 10)

struct csvin {
	const char *path;
	const char *const *names;
	unsigned ncols;
	int max_errors;
	unsigned long errors, rows;
	unsigned long rec_err_base;	/* errors before the current record */

	const struct csvin_ops *ops;
	void *user;
	struct csv_parser p;
	unsigned line;		/* line being fed */
	unsigned rec_line;	/* first line of the current record */
	unsigned next_line;	/* first line of the next record */
	int in_rec;
	int header_done;
	int stop;
	unsigned field_no;	/* fields seen in this record */
	int map[MAX_COLUMNS];	/* file position -> column id */
	unsigned nfile;		/* fields in the header */
	int seen[MAX_COLUMNS];
	int row_bad;
	/* Fields are buffered until the record ends, so a short or long row
	 * is refused before any of its values is looked at. */
	char *fbuf;
	size_t fbuf_len, fbuf_cap;
	size_t foff[MAX_COLUMNS + 1];
	size_t flen[MAX_COLUMNS + 1];

	/* A chunk reader (a child of the reader the caller made) keeps its
	 * messages until every chunk is done, so they print in file order. */
	int buffered;
	char *msgs;
	size_t msgs_len, msgs_cap;
	unsigned long printed;	/* messages printed or buffered */
	/* warnings: counted, the first max_errors printed (or buffered) */
	unsigned long warnings, wprinted;
	char *wmsgs;
	size_t wmsgs_len, wmsgs_cap;
	/* its part of the text, and whether to show progress */
	const char *text;
	size_t start, end;
	int show;
	/* errors found after the reading, printed sorted by line */
	struct deferred {
		unsigned line, seq;
		char *msg;
	} *def;
	size_t ndef, defcap;
};

struct csvin *
csvin_new(const char *path, const char *const *columns, unsigned ncolumns,
    int max_errors)
{
	struct csvin *in = xcalloc(1, sizeof(*in));

	in->path = path;
	in->names = columns;
	in->ncols = ncolumns < MAX_COLUMNS ? ncolumns : MAX_COLUMNS;
	in->max_errors = max_errors;
	return in;
}

void
csvin_free(struct csvin *in)
{
	if (in == NULL)
		return;
	free(in->fbuf);
	free(in->msgs);
	free(in->wmsgs);
	for (size_t i = 0; i < in->ndef; i++)
		free(in->def[i].msg);
	free(in->def);
	free(in);
}

unsigned
csvin_line(const struct csvin *in)
{
	return in->rec_line;
}

unsigned long
csvin_errors(const struct csvin *in)
{
	return in->errors;
}

unsigned long
csvin_row_errors(const struct csvin *in)
{
	return in->errors - in->rec_err_base;
}

unsigned long
csvin_rows(const struct csvin *in)
{
	return in->rows;
}

const char *
csvin_column(const struct csvin *in, unsigned col)
{
	return col < in->ncols ? in->names[col] : "row";
}

static void
verror(struct csvin *in, unsigned line, const char *col, const char *fmt,
    va_list ap)
{
	char msg[512], out[1024];
	int n;

	in->errors++;
	if (in->printed >= (unsigned long)in->max_errors)
		return;
	in->printed++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (col != NULL)
		n = snprintf(out, sizeof(out), "%s:%u: %s: %s\n", in->path, line, col, msg);
	else
		n = snprintf(out, sizeof(out), "%s:%u: %s\n", in->path, line, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out))
		n = sizeof(out) - 1;
	if (!in->buffered) {
		fputs(out, stderr);
		return;
	}
	if (in->msgs_len + (size_t)n + 1 > in->msgs_cap) {
		in->msgs_cap = (in->msgs_len + (size_t)n + 1) * 2;
		in->msgs = xrealloc(in->msgs, in->msgs_cap);
	}
	memcpy(in->msgs + in->msgs_len, out, (size_t)n + 1);
	in->msgs_len += (size_t)n;
}

void
csvin_warn(struct csvin *in, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	in->warnings++;
	if (in->wprinted >= (unsigned long)in->max_errors)
		return;
	in->wprinted++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!in->buffered) {
		fprintf(stderr, "%s:%u: %s: warning: %s\n", in->path,
		    in->rec_line, csvin_column(in, col), msg);
		return;
	}
	n = snprintf(NULL, 0, "%s:%u: %s: warning: %s\n", in->path,
	    in->rec_line, csvin_column(in, col), msg);
	if (n < 0)
		return;
	if (in->wmsgs_len + (size_t)n + 1 > in->wmsgs_cap) {
		in->wmsgs_cap = (in->wmsgs_len + (size_t)n + 1) * 2;
		in->wmsgs = xrealloc(in->wmsgs, in->wmsgs_cap);
	}
	snprintf(in->wmsgs + in->wmsgs_len, (size_t)n + 1, "%s:%u: %s: "
	    "warning: %s\n", in->path, in->rec_line, csvin_column(in, col), msg);
	in->wmsgs_len += (size_t)n;
}

unsigned long
csvin_warnings(const struct csvin *in)
{
	return in->warnings;
}

void
csvin_error(struct csvin *in, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(in, in->rec_line, csvin_column(in, col), fmt, ap);
	va_end(ap);
}

void
csvin_error_at(struct csvin *in, unsigned line, unsigned col,
    const char *fmt, ...)
{
	char msg[512], out[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s:%u: %s: %s\n", in->path, line,
	    csvin_column(in, col), msg);
	if (in->ndef == in->defcap) {
		in->defcap = in->defcap ? 2 * in->defcap : 64;
		in->def = xrealloc(in->def, in->defcap * sizeof(*in->def));
	}
	in->def[in->ndef].line = line;
	in->def[in->ndef].seq = (unsigned)in->ndef;
	in->def[in->ndef].msg = xstrdup(out);
	in->ndef++;
	in->errors++;
}

static int
cmp_deferred(const void *a, const void *b)
{
	const struct deferred *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* An error about the file's structure rather than one field: the column
 * part of the message is "header" or "row". */
static void
plain_error(struct csvin *in, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(in, line, in->header_done ? "row" : "header", fmt, ap);
	va_end(ap);
}

void
csvin_finish(struct csvin *in)
{
	if (in->ndef > 1)
		qsort(in->def, in->ndef, sizeof(*in->def), cmp_deferred);
	for (size_t i = 0; i < in->ndef; i++) {
		if (in->printed < (unsigned long)in->max_errors) {
			fputs(in->def[i].msg, stderr);
			in->printed++;
		}
		free(in->def[i].msg);
	}
	in->ndef = 0;
	if (in->errors > in->printed)
		fprintf(stderr, "%s: ... and %lu more errors not shown "
		    "(%lu in all)\n", in->path, in->errors - in->printed,
		    in->errors);
	if (in->warnings > in->wprinted)
		fprintf(stderr, "%s: ... and %lu more warnings not shown "
		    "(%lu in all)\n", in->path, in->warnings - in->wprinted,
		    in->warnings);
}

static void
header_field(struct csvin *in, unsigned pos, const char *s, size_t len)
{
	int col = -1;

	if (pos >= MAX_COLUMNS) {
		plain_error(in, in->rec_line, "more than %d columns",
		    MAX_COLUMNS);
		in->stop = 1;
		return;
	}
	for (unsigned i = 0; i < in->ncols; i++)
		if (strlen(in->names[i]) == len && memcmp(in->names[i], s, len) == 0)
			col = (int)i;
	if (col < 0) {
		plain_error(in, in->rec_line, "unknown column '%.*s'",
		    (int)(len > 64 ? 64 : len), s);
		in->stop = 1;
	} else if (in->seen[col]) {
		plain_error(in, in->rec_line, "column '%s' appears twice",
		    in->names[col]);
		in->stop = 1;
	} else
		in->seen[col] = 1;
	in->map[pos] = col;
}

static void
header_end(struct csvin *in)
{
	in->nfile = in->field_no;
	for (unsigned i = 0; i < in->ncols; i++)
		if (!in->seen[i]) {
			plain_error(in, in->rec_line,
			    "missing column '%s'", in->names[i]);
			in->stop = 1;
		}
	in->header_done = 1;
}

/* A field past FIELD_MAX: an error that stops the reading. */
static void
too_long(struct csvin *in)
{
	plain_error(in, in->in_rec ? in->rec_line : in->next_line,
	    "a field longer than %u bytes in the record starting here",
	    FIELD_MAX);
	in->stop = 1;
}

static void
cb_field(void *data, size_t len, void *user)
{
	struct csvin *in = user;
	unsigned pos;

	if (!in->in_rec) {
		in->in_rec = 1;
		in->rec_err_base = in->errors;
		in->rec_line = in->next_line;
		in->field_no = 0;
		in->fbuf_len = 0;
	}
	pos = in->field_no++;
	if (in->stop)
		return;
	if (len > FIELD_MAX) {
		too_long(in);
		return;
	}
	if (!in->header_done) {
		header_field(in, pos, data, len);
		return;
	}
	if (pos >= in->nfile)
		return;		/* counted; refused at the record's end */
	if (in->fbuf_len + len + 1 > in->fbuf_cap) {
		in->fbuf_cap = (in->fbuf_len + len + 1) * 2 + 4096;
		in->fbuf = xrealloc(in->fbuf, in->fbuf_cap);
	}
	memcpy(in->fbuf + in->fbuf_len, data, len);
	in->fbuf[in->fbuf_len + len] = '\0';
	in->foff[pos] = in->fbuf_len;
	in->flen[pos] = len;
	in->fbuf_len += len + 1;
}

static void
cb_row(int c, void *user)
{
	struct csvin *in = user;

	(void)c;
	if (!in->in_rec) {	/* a record of one empty field: an empty line */
		in->rec_line = in->next_line;
		in->field_no = 0;
	}
	in->in_rec = 0;
	if (in->stop)
		return;
	if (!in->header_done) {
		header_end(in);
		return;
	}
	in->rows++;
	if (in->field_no != in->nfile) {
		plain_error(in, in->rec_line, "%u fields, the header has %u",
		    in->field_no, in->nfile);
		return;
	}
	for (unsigned pos = 0; pos < in->nfile; pos++) {
		const char *s = in->fbuf + in->foff[pos];

		if (!utf8_valid((const uint8_t *)s, in->flen[pos])) {
			csvin_error(in, (unsigned)in->map[pos], "not valid UTF-8");
			continue;
		}
		in->ops->field(in, in->user, (unsigned)in->map[pos], s,
		    in->flen[pos]);
	}
	in->ops->row(in, in->user);
}

/* No character is trimmed: libcsv's default (NULL) trims spaces and tabs. */
static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static char *
to_utf8(struct csvin *in, const char *buf, size_t len, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	size_t cap = len * 3 / 2 + 16, inleft = len, outleft;
	char *out, *ip = (char *)buf, *op;

	if (cd == (iconv_t)-1) {
		plain_error(in, 0, "iconv cannot convert CP932: %s",
		    strerror(errno));
		return NULL;
	}
	out = xmalloc(cap + 1);
	op = out;
	outleft = cap;
	while (inleft > 0) {
		if (iconv(cd, &ip, &inleft, &op, &outleft) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(op - out);

			cap *= 2;
			out = xrealloc(out, cap + 1);
			op = out + used;
			outleft = cap - used;
			continue;
		}
		/* EILSEQ or EINVAL: name the line of the bad byte. */
		unsigned line = 1;

		for (const char *q = buf; q < ip; q++)
			line += *q == '\n';
		in->header_done = line > 1;	/* for the message's column */
		plain_error(in, line, "not valid Shift_JIS (CP932) at byte %zu",
		    (size_t)(ip - buf));
		in->header_done = 0;
		iconv_close(cd);
		free(out);
		return NULL;
	}
	iconv_close(cd);
	*outlen = (size_t)(op - out);
	out[*outlen] = '\0';
	return out;
}

static void
progress(const struct csvin *in, size_t done, size_t total, int final)
{
	if (final) {
		fprintf(stderr, "\r%s: read%30s\n", in->path, "");
		return;
	}
	fprintf(stderr, "\r%s: %3d%%", in->path,
	    (int)(100.0 * (double)done / (double)total));
}

/* 0, or -1 if libcsv could not set the parser up (reported). */
static int
parser_init(struct csvin *in)
{
	if (csv_init(&in->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		log_warnx("%s: csv_init failed", in->path);
		return -1;
	}
	csv_set_space_func(&in->p, no_space);
	csv_set_blk_size(&in->p, FIELD_BLOCK);
	return 0;
}

/* One line to libcsv, in pieces so that a field past FIELD_MAX is
 * stopped within a piece of it.  0, or -1 if libcsv refused it (the
 * reading stops; a callback may stop it too). */
static int
feed_line(struct csvin *in, const char *s, size_t n)
{
	for (size_t done = 0; done < n && !in->stop; ) {
		size_t k = n - done < FEED_PIECE ? n - done : FEED_PIECE;

		if (csv_parse(&in->p, s + done, k, cb_field, cb_row, in) != k) {
			plain_error(in, in->in_rec ? in->rec_line : in->next_line,
			    "%s in the record starting here (a quote inside "
			    "an unquoted field, or text after a closing quote)",
			    csv_strerror(csv_error(&in->p)));
			in->stop = 1;
			return -1;
		}
		done += k;
		if (in->p.entry_pos > FIELD_MAX && !in->stop)
			too_long(in);
	}
	return 0;
}

/*
 * Feed in->text[in->start, in->end) line by line.  With header_only, stop
 * after the header record; in->start is then where the data begins.
 * in->line must be the number of the line before the first one fed.
 */
static void
feed(struct csvin *in, int header_only)
{
	size_t off = in->start, step = (in->end - in->start) / 100 + 1;
	size_t next_report = off + step;

	while (off < in->end && !in->stop) {
		const char *nl = memchr(in->text + off, '\n', in->end - off);
		size_t n = nl ? (size_t)(nl - (in->text + off)) + 1 : in->end - off;
		const char *cr = memchr(in->text + off, '\r', n);

		/* a CR not followed by LF ends a line too (old Mac files); the
		 * first LF is nl, so a CR before it is alone or nl's own */
		if (cr != NULL && cr + 1 < in->text + off + n && cr[1] != '\n')
			n = (size_t)(cr - (in->text + off)) + 1;
		in->line++;
		if (feed_line(in, in->text + off, n) != 0)
			break;
		off += n;
		if (!in->in_rec && !in->p.quoted)
			in->next_line = in->line + 1;
		if (header_only && in->header_done)
			break;
		if (in->show && off >= next_report) {
			progress(in, off - in->start, in->end - in->start, 0);
			next_report = off + step;
		}
	}
	in->start = off;
	if (header_only && in->header_done)
		return;
	if (!in->stop && csv_fini(&in->p, cb_field, cb_row, in) != 0) {
		plain_error(in, in->in_rec ? in->rec_line : in->next_line,
		    "unterminated quoted field (a quote opened in the record "
		    "starting here is never closed)");
		in->stop = 1;
	}
}

/*
 * Where to cut text[start, len) into k parts at record boundaries: after a
 * line end with an even number of quotes before it (RFC 4180 quotes come in
 * pairs outside quoted fields and doubled inside them).  A file whose
 * quotes are not so paired is broken, and its first chunk reports it.
 */
static unsigned
split_chunks(const char *text, size_t start, size_t len, unsigned k,
    size_t *cut)
{
	size_t pos = start, quotes = 0;
	unsigned n = 0;

	cut[n++] = start;
	for (unsigned i = 1; i < k; i++) {
		size_t target = start + (len - start) / k * i;
		const char *q;

		if (target < pos)
			continue;
		while ((q = memchr(text + pos, '"', target - pos)) != NULL) {
			quotes++;
			pos = (size_t)(q - text) + 1;
		}
		pos = target;
		for (;;) {
			const char *nl = memchr(text + pos, '\n', len - pos);

			if (nl == NULL) {
				pos = len;
				break;
			}
			while ((q = memchr(text + pos, '"', (size_t)(nl - text) - pos)) != NULL) {
				quotes++;
				pos = (size_t)(q - text) + 1;
			}
			pos = (size_t)(nl - text) + 1;
			if (quotes % 2 == 0)
				break;
		}
		if (pos >= len)
			break;
		cut[n++] = pos;
	}
	cut[n] = len;
	return n;
}

/* Line ends in text[from, to): LF, CRLF, or a CR alone (as feed counts). */
static unsigned
count_lines(const char *text, size_t from, size_t to)
{
	unsigned n = 0;

	for (size_t i = from; i < to; i++)
		if (text[i] == '\n' || (text[i] == '\r' &&
		    (i + 1 >= to || text[i + 1] != '\n')))
			n++;
	return n;
}

static void *
chunk_main(void *arg)
{
	struct csvin *in = arg;

	feed(in, 0);
	csv_free(&in->p);
	return NULL;
}

#define MAX_CHUNKS 16
#define MIN_CHUNK_BYTES (4u << 20)

int
csvin_run(struct csvin *in, const char *encoding, const struct csvin_ops *ops,
    void *const *users, unsigned nusers)
{
	struct csvin *child[MAX_CHUNKS] = { NULL };
	pthread_t tid[MAX_CHUNKS];
	size_t cut[MAX_CHUNKS + 1];
	char *raw, *text;
	size_t rawlen, len;
	unsigned k, first_line, started;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	in->ops = ops;
	in->user = users[0];
	raw = file_read_all(in->path, &rawlen);
	if (raw == NULL) {
		fprintf(stderr, "%s: %s\n", in->path, strerror(errno));
		return CSVIN_ENOINPUT;
	}
	text = raw;
	len = rawlen;
	if (encoding != NULL && strcmp(encoding, "shift_jis") == 0) {
		text = to_utf8(in, raw, rawlen, &len);
		free(raw);
		raw = text;
		if (text == NULL)
			return CSVIN_EDATA;
	}
	in->text = text;
	in->start = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	in->end = len;
	in->line = 0;
	in->next_line = 1;
	if (parser_init(in) != 0) {
		free(raw);
		return CSVIN_ESYSTEM;
	}
	feed(in, 1);
	if (!in->header_done) {
		if (!in->stop)
			plain_error(in, 1, "the file is empty (no header row)");
		csv_free(&in->p);
		free(raw);
		return CSVIN_EDATA;
	}
	csv_free(&in->p);

	/* The data: in chunks, one thread each, when it is large. */
	k = nusers < MAX_CHUNKS ? nusers : MAX_CHUNKS;
	if (ncpu > 0 && k > (unsigned)ncpu)
		k = (unsigned)ncpu;
	if ((len - in->start) / MIN_CHUNK_BYTES < k)
		k = (unsigned)((len - in->start) / MIN_CHUNK_BYTES);
	if (k < 1)
		k = 1;
	k = split_chunks(text, in->start, len, k, cut);
	first_line = in->next_line;
	for (unsigned i = 0; i < k; i++) {
		struct csvin *c = xcalloc(1, sizeof(*c));

		c->path = in->path;
		c->names = in->names;
		c->ncols = in->ncols;
		c->max_errors = in->max_errors;
		c->ops = ops;
		c->user = users[i];
		memcpy(c->map, in->map, sizeof(c->map));
		c->nfile = in->nfile;
		c->header_done = 1;
		c->buffered = 1;
		c->text = text;
		c->start = cut[i];
		c->end = cut[i + 1];
		c->show = i == 0 && isatty(STDERR_FILENO) && len > (8u << 20);
		if (i == 0)
			c->line = first_line - 1;
		else
			c->line = child[i - 1]->line +
			    count_lines(text, cut[i - 1], cut[i]);
		c->next_line = c->line + 1;
		child[i] = c;
		if (parser_init(c) != 0) {
			csvin_free(c);
			k = i;
			rc = CSVIN_ESYSTEM;
			break;
		}
	}
	/* chunk i > 0 in a thread of its own, chunk 0 in this one; the
	 * threads started run to the end even if one fails to start */
	for (started = 1; rc == 0 && started < k; started++) {
		int err = util_thread_create(&tid[started], NULL, chunk_main,
		    child[started]);

		if (err != 0) {
			log_warnx("%s: pthread_create: %s", in->path, strerror(err));
			rc = CSVIN_ESYSTEM;
			break;
		}
	}
	if (rc == 0)
		chunk_main(child[0]);
	for (unsigned i = 1; i < started && i < k; i++)
		pthread_join(tid[i], NULL);
	if (rc != 0) {
		for (unsigned i = 0; i < k; i++) {
			if (i == 0 || i >= started)
				csv_free(&child[i]->p);	/* never fed */
			csvin_free(child[i]);
		}
		free(raw);
		return rc;
	}
	if (child[0]->show)
		progress(in, 1, 1, 1);

	/* Messages in file order, up to max_errors; after a chunk that could
	 * not be read through, later chunks are not reliable and are dropped. */
	for (unsigned i = 0; i < k; i++) {
		struct csvin *c = child[i];
		const char *m = c->msgs;

		for (size_t off = 0; m != NULL && off < c->msgs_len;) {
			const char *nl = memchr(m + off, '\n', c->msgs_len - off);
			size_t n = nl ? (size_t)(nl - (m + off)) + 1 : c->msgs_len - off;

			if (in->printed < (unsigned long)in->max_errors) {
				fwrite(m + off, 1, n, stderr);
				in->printed++;
			}
			off += n;
		}
		m = c->wmsgs;
		for (size_t off = 0; m != NULL && off < c->wmsgs_len;) {
			const char *nl = memchr(m + off, '\n', c->wmsgs_len - off);
			size_t n = nl ? (size_t)(nl - (m + off)) + 1 : c->wmsgs_len - off;

			if (in->wprinted < (unsigned long)in->max_errors) {
				fwrite(m + off, 1, n, stderr);
				in->wprinted++;
			}
			off += n;
		}
		in->errors += c->errors;
		in->warnings += c->warnings;
		in->rows += c->rows;
		if (c->stop) {
			in->stop = 1;
			break;
		}
	}
	for (unsigned i = 0; i < k; i++)
		csvin_free(child[i]);
	if (in->stop)
		rc = CSVIN_EDATA;
	free(raw);
	return rc;
}

const char *
csvin_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case CSVIN_ENOINPUT:
		return "the file cannot be read";
	case CSVIN_EDATA:
		return "the file is broken (its header, quoting or encoding)";
	case CSVIN_ESYSTEM:
		return "the reader could not be set up";
	default:
		return "unknown error";
	}
}
