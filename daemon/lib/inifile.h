/* inifile.h - read an INI file with inih, with line numbers and no silent
 * truncation
 * SPDX-License-Identifier: MIT
 *
 * Debian's libinih (r55) is built with a 200-byte line buffer, inline " ;"
 * comments and multi-line continuation, and its handler gets no line
 * number.  inifile_parse feeds inih through ini_parse_stream with a reader
 * that counts lines, so the handler learns the line it is called for, and
 * that refuses a line longer than INIFILE_MAX_LINE bytes instead of letting
 * inih cut it in two; and it hands the handler the whole section name,
 * where inih would keep only its first 49 bytes.  Used for the vocabulary, the rule files and the
 * config.
 */
#ifndef OSHIRASE_INIFILE_H
#define OSHIRASE_INIFILE_H

#include <stddef.h>

#define INIFILE_MAX_LINE 198	/* bytes before the line end */

/* Called for each name = value line, and again with the same name for
 * each continuation line (one that starts with white space).  raw is the
 * line as it is in the file (without its line end): a continuation starts
 * with white space, and the value's column is where it stands in raw.
 * section_line is the line of the current section's header (0 before
 * any), so that two sections of the same name are told apart.
 * Return 0 to go on, or nonzero to stop with an error the handler has put
 * into the error buffer with inifile_error(). */
typedef int (*inifile_handler)(void *user, const char *section,
    const char *name, const char *value, int line, const char *raw,
    int section_line);

struct inifile_err {
	int line;		/* 0 when the error is not about one line */
	int col;		/* 0 when not known */
	char msg[256];
};

/*
 * Parse path.  Returns 0 on success; -1 with err filled on a syntax error,
 * an overlong line, bad UTF-8 or a handler error; -2 if the file cannot be
 * opened or read (errno set, err->msg says why).
 */
int inifile_parse(const char *path, inifile_handler handler, void *user,
    struct inifile_err *err);

/* For handlers: record an error at line, column col (0 = unknown). */
void inifile_error(struct inifile_err *err, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
