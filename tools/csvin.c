/* csvin.c - read a CSV extract with libcsv, by named columns
 * SPDX-License-Identifier: MIT
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLUMNS 64

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
	char msg[512];

	in->errors++;
	if (in->errors > (unsigned long)in->max_errors)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (col != NULL)
		fprintf(stderr, "%s:%u: %s: %s\n", in->path, line, col, msg);
	else
		fprintf(stderr, "%s:%u: %s\n", in->path, line, msg);
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
	va_list ap;

	va_start(ap, fmt);
	verror(in, line, csvin_column(in, col), fmt, ap);
	va_end(ap);
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
	if (in->errors > (unsigned long)in->max_errors)
		fprintf(stderr, "%s: ... and %lu more errors not shown "
		    "(%lu in all)\n", in->path,
		    in->errors - (unsigned long)in->max_errors, in->errors);
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
		fprintf(stderr, "\r%s: %lu rows read%20s\n", in->path, in->rows, "");
		return;
	}
	fprintf(stderr, "\r%s: %3d%% (%lu rows)", in->path,
	    (int)(100.0 * (double)done / (double)total), in->rows);
}

int
csvin_run(struct csvin *in, const char *encoding, const struct csvin_ops *ops,
    void *user)
{
	char *raw, *text;
	size_t rawlen, len, off, step, next_report;
	int rc = 0, show;

	in->ops = ops;
	in->user = user;
	raw = file_read_all(in->path, &rawlen);
	if (raw == NULL) {
		fprintf(stderr, "%s: %s\n", in->path, strerror(errno));
		return EXIT_NOINPUT;
	}
	text = raw;
	len = rawlen;
	if (encoding != NULL && strcmp(encoding, "shift_jis") == 0) {
		text = to_utf8(in, raw, rawlen, &len);
		free(raw);
		raw = text;
		if (text == NULL)
			return EXIT_DATAERR;
	}
	off = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	if (csv_init(&in->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(raw);
		return EXIT_SOFTWARE;
	}
	csv_set_space_func(&in->p, no_space);
	show = isatty(STDERR_FILENO) && len > (8u << 20);
	step = len / 100 + 1;
	next_report = step;
	in->line = 0;
	in->next_line = 1;
	while (off < len && !in->stop) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;

		in->line++;
		if (csv_parse(&in->p, text + off, n, cb_field, cb_row, in) != n) {
			plain_error(in, in->in_rec ? in->rec_line : in->next_line,
			    "%s in the record starting here (a quote inside "
			    "an unquoted field, or text after a closing quote)",
			    csv_strerror(csv_error(&in->p)));
			in->stop = 1;
			break;
		}
		off += n;
		if (!in->in_rec && !in->p.quoted)
			in->next_line = in->line + 1;
		if (show && off >= next_report) {
			progress(in, off, len, 0);
			next_report = off + step;
		}
	}
	if (!in->stop && csv_fini(&in->p, cb_field, cb_row, in) != 0) {
		plain_error(in, in->in_rec ? in->rec_line : in->next_line,
		    "unterminated quoted field "
		    "(a quote opened in the record starting here is never "
		    "closed)");
		in->stop = 1;
	}
	if (show)
		progress(in, len, len, 1);
	if (!in->stop && !in->header_done) {
		plain_error(in, 1, "the file is empty (no header row)");
		in->stop = 1;
	}
	if (in->stop)
		rc = EXIT_DATAERR;
	csv_free(&in->p);
	free(raw);
	return rc;
}
