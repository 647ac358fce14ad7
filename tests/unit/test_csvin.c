/* test_csvin.c - the CSV layer: RFC 4180 quoting, line numbers, headers
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"
#include "seams.h"
#include "util.h"

static const char *const cols[3] = { "id", "name", "note" };

struct seen {
	char text[4096];	/* "line:col=value|" per field, "/" per row */
	size_t len;
	int rows;
};

static void
on_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	struct seen *sn = user;

	sn->len += (size_t)snprintf(sn->text + sn->len, sizeof(sn->text) - sn->len,
	    "%u:%s=%.*s|", csvin_line(in), cols[col], (int)len, s);
	if (sn->len >= sizeof(sn->text))	/* a long field: cut */
		sn->len = sizeof(sn->text) - 1;
}

static void
on_row(struct csvin *in, void *user)
{
	struct seen *sn = user;

	(void)in;
	sn->rows++;
	sn->len += (size_t)snprintf(sn->text + sn->len, sizeof(sn->text) - sn->len, "/");
	if (sn->len >= sizeof(sn->text))
		sn->len = sizeof(sn->text) - 1;
}

/* Write content to a temp file, read it with stderr captured into err. */
static int
run(const char *content, size_t len, const char *encoding, struct seen *sn,
    char *err, size_t errlen, unsigned long *nerr)
{
	char path[] = "/tmp/oshirase-csv.XXXXXX", epath[] = "/tmp/oshirase-err.XXXXXX";
	struct csvin_ops ops = { on_field, on_row };
	struct csvin *in;
	int fd = mkstemp(path), efd = mkstemp(epath), saved, rc;
	ssize_t n;

	assert_true(fd >= 0 && efd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	memset(sn, 0, sizeof(*sn));
	fflush(stderr);
	saved = dup(2);
	dup2(efd, 2);
	in = csvin_new(path, cols, 3, 100);
	{
		void *users[1] = { sn };

		rc = csvin_run(in, encoding, &ops, users, 1);
	}
	*nerr = csvin_errors(in);
	csvin_free(in);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(efd, 0, SEEK_SET);
	n = read(efd, err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(efd);
	unlink(path);
	unlink(epath);
	return rc;
}

#define RUN(s) run(s, sizeof(s) - 1, NULL, &sn, err, sizeof(err), &nerr)

static void
test_plain_and_order(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	/* Columns in another order; values keep their spaces. */
	assert_int_equal(RUN("note,id,name\nx y,1, a\n"), 0);
	assert_int_equal(nerr, 0);
	assert_string_equal(sn.text, "2:note=x y|2:id=1|2:name= a|/");
}

static void
test_quoting(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(RUN("id,name,note\n\"1\",\"a,b\",\"say \"\"hi\"\"\"\n"
	    "2,\"two\nlines\",\n3,c,\"\"\n"), 0);
	assert_int_equal(nerr, 0);
	assert_int_equal(sn.rows, 3);
	assert_string_equal(sn.text,
	    "2:id=1|2:name=a,b|2:note=say \"hi\"|/"
	    "3:id=2|3:name=two\nlines|3:note=|/"
	    "5:id=3|5:name=c|5:note=|/");
}

static void
test_crlf_bom_empty_lines(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(RUN("\xef\xbb\xbfid,name,note\r\n\r\n1,a,b\r\n\r\n\r\n2,\"x\r\ny\",c"), 0);
	assert_int_equal(nerr, 0);
	assert_string_equal(sn.text, "3:id=1|3:name=a|3:note=b|/6:id=2|6:name=x\r\ny|6:note=c|/");
}

static void
test_cr_only_line_ends(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	/* old Mac files: each CR ends a line, errors name the right one */
	assert_int_equal(RUN("id,name,note\r1,a,b\r\r2,\"x\ry\",c\r3,short\r4,d,e"), 0);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(err, ":6: row: 2 fields"));
	assert_string_equal(sn.text, "2:id=1|2:name=a|2:note=b|/4:id=2|4:name=x\ry|4:note=c|/"
	    "7:id=4|7:name=d|7:note=e|/");
}

static void
test_line_numbers_in_errors(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	/* A short row starting on line 4, after a field spanning two lines. */
	assert_int_equal(RUN("id,name,note\n1,\"a\nb\",c\n2,x\n3,y,z\n"), 0);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(err, ":4: row: 2 fields, the header has 3"));
	assert_string_equal(sn.text, "2:id=1|2:name=a\nb|2:note=c|/5:id=3|5:name=y|5:note=z|/");
	/* A long row. */
	assert_int_equal(RUN("id,name,note\n1,a,b,c\n"), 0);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(err, ":2: row: 4 fields"));
}

static void
test_broken_quoting(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(RUN("id,name,note\n1,a,b\n2,a\"b,c\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, ":3: row: "));
	assert_int_equal(RUN("id,name,note\n1,a,b\n2,\"ab\"x,c\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, ":3: row: "));
	/* Unterminated: named at the line where its record starts. */
	assert_int_equal(RUN("id,name,note\n1,a,b\n2,\"ab,c\n3,d,e\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, ":3: row: unterminated quoted field"));
}

static void
test_header_errors(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(RUN("id,name,note,extra\n1,a,b,c\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, ":1: header: unknown column 'extra'"));
	assert_int_equal(RUN("id,name\n1,a\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, ":1: header: missing column 'note'"));
	assert_int_equal(RUN("id,name,id,note\n1,a,1,b\n"), CSVIN_EDATA);
	assert_non_null(strstr(err, "column 'id' appears twice"));
	assert_int_equal(RUN(""), CSVIN_EDATA);
	assert_non_null(strstr(err, "no header row"));
	assert_int_equal(RUN("ID,name,note\n"), CSVIN_EDATA);	/* names are exact */
	assert_int_equal(sn.rows, 0);
}

static void
test_bad_utf8(void **state)
{
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(RUN("id,name,note\n1,\xff,b\n2,\xe3\x81,c\n3,\xed\xa0\x80,d\n"), 0);
	assert_int_equal(nerr, 3);
	assert_non_null(strstr(err, ":2: name: not valid UTF-8"));
	assert_non_null(strstr(err, ":3: name: not valid UTF-8"));
	assert_non_null(strstr(err, ":4: name: not valid UTF-8"));
}

static void
test_shift_jis(void **state)
{
	/* 中央区 in CP932 is 92 86 89 9b 8b e6; ～ (0x8160) maps to U+FF5E. */
	static const char sjis[] = "id,name,note\n1,\x92\x86\x89\x9b\x8b\xe6,\x81\x60\n";
	static const char bad[] = "id,name,note\n1,a,b\n2,\x82,c\n";
	struct seen sn;
	char err[1024];
	unsigned long nerr;

	(void)state;
	assert_int_equal(run(sjis, sizeof(sjis) - 1, "shift_jis", &sn, err,
	    sizeof(err), &nerr), 0);
	assert_string_equal(sn.text, "2:id=1|2:name=中央区|2:note=～|/");
	assert_int_equal(run(bad, sizeof(bad) - 1, "shift_jis", &sn, err,
	    sizeof(err), &nerr), CSVIN_EDATA);
	assert_non_null(strstr(err, ":3: row: not valid Shift_JIS"));
}

static void
test_error_limit(void **state)
{
	char buf[8192], err[8192];
	size_t n = 0;
	struct seen sn;
	unsigned long nerr;
	int lines = 0;

	(void)state;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "id,name,note\n");
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d\n", i);
	assert_int_equal(run(buf, n, NULL, &sn, err, sizeof(err), &nerr), 0);
	assert_int_equal(nerr, 150);
	for (char *p = err; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 100);	/* the first 100 are printed */
}

static void
count_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	(void)in;
	(void)user;
	(void)col;
	(void)s;
	(void)len;
}

static void
count_row(struct csvin *in, void *user)
{
	(void)in;
	(*(unsigned long *)user)++;
}

/* A file of rows rows, large enough to be read in two chunks (4 MiB
 * each at the least) on two CPUs. */
static void
large_file(char *path, unsigned long rows)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs("id,name,note\n", f);
	for (unsigned long i = 0; i < rows; i++)
		fprintf(f, "%lu,resident number %lu,%s\n", i, i,
		    "a note long enough to make the file large");
	assert_int_equal(fclose(f), 0);
}

static void
test_chunks_and_a_thread_that_cannot_start(void **state)
{
	char path[] = "/tmp/oshirase-csv.XXXXXX";
	const struct csvin_ops ops = { count_field, count_row };
	unsigned long rows[2] = { 0, 0 }, nrows = 160000;
	void *users[2] = { &rows[0], &rows[1] };
	struct csvin *in;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();	/* one CPU reads in one chunk */
	large_file(path, nrows);
	in = csvin_new(path, cols, 3, 100);
	assert_int_equal(csvin_run(in, NULL, &ops, users, 2), 0);
	assert_true(rows[0] > 0 && rows[1] > 0);	/* two chunks */
	assert_int_equal(rows[0] + rows[1], nrows);
	csvin_free(in);
	/* the second chunk's thread cannot start: an error, not an exit */
	rows[0] = rows[1] = 0;
	util_thread_create = no_thread;
	in = csvin_new(path, cols, 3, 100);
	assert_int_equal(csvin_run(in, NULL, &ops, users, 2), CSVIN_ESYSTEM);
	util_thread_create = pthread_create;
	assert_true(rows[0] + rows[1] < nrows);
	assert_non_null(strstr(csvin_strerror(CSVIN_ESYSTEM), "set up"));
	csvin_free(in);
	unlink(path);
}

/* A field past 1 MiB stops the reading with an error naming the line of
 * its record, in bounded memory: a 10 MB field over many lines, and one
 * 2 MB line; a field of exactly 1 MiB is read. */
static void
test_field_limit(void **state)
{
	const size_t max = 1u << 20;
	size_t cap = 11u << 20, len;
	char *s = malloc(cap), err[1024];
	struct seen sn;
	unsigned long nerr;

	(void)state;
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "id,name,note\n1,a,b\n2,\"");
	while (len < (10u << 20)) {
		memset(s + len, 'x', 99);
		s[len + 99] = '\n';
		len += 100;
	}
	len += (size_t)snprintf(s + len, cap - len, "\",c\n");
	assert_int_equal(run(s, len, NULL, &sn, err, sizeof(err), &nerr),
	    CSVIN_EDATA);
	if (strstr(err, ":3: row: a field longer than 1048576 bytes in the "
	    "record starting here") == NULL)
		fail_msg("error: %s", err);
	assert_int_equal(sn.rows, 1);
	len = (size_t)snprintf(s, cap, "id,name,note\n1,");
	memset(s + len, 'y', 2u << 20);
	len += 2u << 20;
	len += (size_t)snprintf(s + len, cap - len, ",z\n");
	assert_int_equal(run(s, len, NULL, &sn, err, sizeof(err), &nerr), CSVIN_EDATA);
	assert_non_null(strstr(err, ":2: row: a field longer than 1048576 bytes"));
	len = (size_t)snprintf(s, cap, "id,name,note\n1,");
	memset(s + len, 'y', max);
	len += max;
	len += (size_t)snprintf(s + len, cap - len, ",z\n");
	assert_int_equal(run(s, len, NULL, &sn, err, sizeof(err), &nerr), 0);
	assert_int_equal(nerr, 0);
	assert_int_equal(sn.rows, 1);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_order),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_crlf_bom_empty_lines),
		cmocka_unit_test(test_line_numbers_in_errors),
		cmocka_unit_test(test_cr_only_line_ends),
		cmocka_unit_test(test_broken_quoting),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_shift_jis),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_chunks_and_a_thread_that_cannot_start),
		cmocka_unit_test(test_field_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
