/* csvin.h - read a CSV extract (RFC 4180) with libcsv, by named columns
 * SPDX-License-Identifier: MIT
 *
 * Owns the file-level rules (README, "File formats") shared by the resident and the
 * contact files: UTF-8 (a BOM allowed) or Shift_JIS/CP932 converted with
 * iconv; quoted fields with commas, quotes and line breaks; CRLF or LF;
 * empty lines ignored; a header naming every expected column once, in any
 * order, and no other; every field valid UTF-8; every row as many fields
 * as the header.  Errors are reported as "FILE:LINE: column: reason", LINE
 * being the line on which the record starts.
 *
 * The caller sees one record at a time: csvin_field for each field (by
 * column id, the index in the names given), then csvin_row at its end.
 * Never touches the store; knows nothing of what the columns mean.
 */
#ifndef OSHIRASE_CSVIN_H
#define OSHIRASE_CSVIN_H

#include <stddef.h>

struct csvin;

struct csvin_ops {
	/* A field of the current record: NUL-terminated, len bytes, valid
	 * UTF-8.  Not called for fields of a row with a bad field count. */
	void (*field)(struct csvin *in, void *user, unsigned col,
	    const char *s, size_t len);
	/* The end of a record whose fields were all delivered. */
	void (*row)(struct csvin *in, void *user);
};

/* For the callbacks: the current record's first line. */
unsigned csvin_line(const struct csvin *in);
/* Report a bad field of the current record: "FILE:LINE: COLUMN: msg".
 * Prints the first max_errors messages, counts all. */
void csvin_error(struct csvin *in, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same at a given line, for errors found after the reading
 * (duplicates, household checks): kept, and printed by csvin_finish in
 * line order after the reading's own messages. */
void csvin_error_at(struct csvin *in, unsigned line, unsigned col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
unsigned long csvin_errors(const struct csvin *in);
/* Warn about a field of the current record that is taken as it is:
 * "FILE:LINE: COLUMN: warning: msg", the first max_errors warnings
 * printed (in file order, after the errors of their chunk), all counted.
 * A warning does not make the file bad. */
void csvin_warn(struct csvin *in, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned long csvin_warnings(const struct csvin *in);
/* Errors reported for the current record so far. */
unsigned long csvin_row_errors(const struct csvin *in);
const char *csvin_column(const struct csvin *in, unsigned col);

/* A reader of path expecting the given columns; free with csvin_free. */
struct csvin *csvin_new(const char *path, const char *const *columns,
    unsigned ncolumns, int max_errors);
void csvin_free(struct csvin *in);
/*
 * Read the file.  encoding is "utf-8" (or NULL) or "shift_jis" (CP932).
 * users holds nusers callback contexts: a large file is read in up to
 * nusers chunks (at most one per CPU) by parallel threads, chunk i calling
 * the callbacks with users[i] and its own struct csvin; chunk i's records
 * all come before chunk i+1's in the file.  The callbacks must therefore
 * touch only their own context (and shared read-only data).
 * Returns 0 when the file was read through (field errors reported by the
 * callbacks are counted by csvin_errors), or a negative code, the error
 * already reported on stderr: CSVIN_ENOINPUT if the file cannot be read,
 * CSVIN_EDATA after a structural error (bad header, broken quoting,
 * undecodable bytes) that stops reading, CSVIN_ESYSTEM if the parser or a
 * reading thread could not be set up (the callbacks may then have seen
 * part of the file).  The reader stays usable for csvin_error_at
 * afterwards.
 */
#define CSVIN_ENOINPUT (-1)
#define CSVIN_EDATA (-2)
#define CSVIN_ESYSTEM (-3)
int csvin_run(struct csvin *in, const char *encoding,
    const struct csvin_ops *ops, void *const *users, unsigned nusers);
const char *csvin_strerror(int code);
/* Print the kept messages, then "... and N more errors" if messages were
 * suppressed. */
void csvin_finish(struct csvin *in);
unsigned long csvin_rows(const struct csvin *in);

#endif
