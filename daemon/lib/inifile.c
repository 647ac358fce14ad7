/* inifile.c - read an INI file with inih, with line numbers
 * SPDX-License-Identifier: MIT
 */
#include "inifile.h"
#include "util.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct reader {
	FILE *f;
	int line;		/* line of the text last handed to inih */
	int toolong;		/* line number of an overlong line */
	int badutf8;
	char section[INIFILE_MAX_LINE + 4];	/* the whole name, uncut */
	int section_line;
	inifile_handler handler;
	void *user;
	struct inifile_err *err;
	int failed;
	char raw[INIFILE_MAX_LINE + 4];	/* the line last read */
};

static char *
read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	size_t len;

	if (r->failed)
		return NULL;
	if (fgets(str, num, r->f) == NULL)
		return NULL;
	r->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] == '\n')
		len--;
	else if (!feof(r->f)) {
		r->toolong = r->line;
		r->failed = 1;
		return NULL;
	}
	if (len > INIFILE_MAX_LINE) {
		r->toolong = r->line;
		r->failed = 1;
		return NULL;
	}
	if (!utf8_valid((const uint8_t *)str, len)) {
		r->badutf8 = r->line;
		r->failed = 1;
		return NULL;
	}
	memcpy(r->raw, str, len);
	r->raw[len] = '\0';
	{
		/* inih keeps only 50 bytes of a section name and drops the rest
		 * silently: keep the whole name here and hand that over.  inih
		 * skips a BOM on the first line; so does this. */
		const char *p = r->raw, *e;

		if (r->line == 1 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		p += strspn(p, " \t");
		if (*p == '[' && (e = strchr(p, ']')) != NULL) {
			memcpy(r->section, p + 1, (size_t)(e - p - 1));
			r->section[e - p - 1] = '\0';
			r->section_line = r->line;
		}
	}
	if (len > 0 && r->raw[len - 1] == '\r')
		r->raw[len - 1] = '\0';
	return str;
}

static int
dispatch(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	char cont[INIFILE_MAX_LINE + 4];

	if (r->failed)
		return 0;
	/* Debian's inih leaves " ; comment" on continuation lines: cut it as
	 * it cuts it on first lines, so both read alike. */
	if (r->raw[0] == ' ' || r->raw[0] == '\t') {
		size_t n;

		snprintf(cont, sizeof(cont), "%s", value);
		for (n = 1; cont[0] != '\0' && cont[n] != '\0'; n++)
			if (cont[n] == ';' && (cont[n - 1] == ' ' || cont[n - 1] == '\t')) {
				cont[n] = '\0';
				break;
			}
		n = strlen(cont);
		while (n > 0 && (cont[n - 1] == ' ' || cont[n - 1] == '\t'))
			cont[--n] = '\0';
		value = cont;
	}
	(void)section;		/* perhaps cut short: r->section is whole */
	if (r->handler(r->user, r->section, name, value, r->line, r->raw,
	    r->section_line) != 0) {
		r->failed = 1;
		return 0;
	}
	return 1;
}

void
inifile_error(struct inifile_err *err, int line, int col, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int
inifile_parse(const char *path, inifile_handler handler, void *user,
    struct inifile_err *err)
{
	struct reader r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(err, 0, sizeof(*err));
	r.f = fopen(path, "r");
	if (r.f == NULL) {
		int e = errno;

		inifile_error(err, 0, 0, "%s", strerror(e));
		errno = e;
		return -2;
	}
	r.handler = handler;
	r.user = user;
	r.err = err;
	rc = ini_parse_stream(read_line, &r, dispatch, &r);
	if (ferror(r.f)) {
		int e = errno;

		fclose(r.f);
		inifile_error(err, r.line, 0, "read error: %s", strerror(e));
		errno = e;
		return -2;
	}
	fclose(r.f);
	if (r.toolong) {
		inifile_error(err, r.toolong, INIFILE_MAX_LINE + 1,
		    "line longer than %d bytes; split the value over "
		    "continuation lines", INIFILE_MAX_LINE);
		return -1;
	}
	if (r.badutf8) {
		inifile_error(err, r.badutf8, 0, "not valid UTF-8");
		return -1;
	}
	if (r.failed)
		return -1;	/* the handler filled err */
	if (rc > 0) {
		inifile_error(err, rc, 1, "syntax error (expected [section], "
		    "name = value, or a comment)");
		return -1;
	}
	if (rc < 0) {
		inifile_error(err, 0, 0, "inih failed (%d)", rc);
		return -1;
	}
	return 0;
}
