/* fuzz_csvin.c - libFuzzer target: the CSV layer on arbitrary bytes
 * SPDX-License-Identifier: MIT
 *
 * The first byte picks the encoding and the thread count; the rest is the
 * file.  Fields must arrive NUL-terminated and valid UTF-8, with column ids
 * in range.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"
#include "util.h"

static const char *const cols[4] = { "a", "b", "c", "d" };

static void
on_field(struct csvin *in, void *user, unsigned col, const char *s, size_t len)
{
	(void)in;
	(void)user;
	if (col >= 4 || s[len] != '\0' || !utf8_valid((const uint8_t *)s, len))
		abort();
}

static void
on_row(struct csvin *in, void *user)
{
	(*(unsigned long *)user)++;
	(void)csvin_line(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input's file: one per process, in $TMPDIR (make fuzz gives a
 * tmpfs), rewritten in place for each input. */
static char path[64];

static void
put(const uint8_t *p, size_t n)
{
	int fd;

	if (path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/fuzz-csvin.XXXXXX", tmp ? tmp : "/tmp");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
	}
	/* no O_TRUNC: on ext4 a file truncated to nothing is flushed at
	 * close, which made each input wait for the disk */
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n || ftruncate(fd, (off_t)n) != 0)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct csvin_ops ops = { on_field, on_row };
	unsigned long rows[2] = { 0, 0 };
	void *users[2] = { &rows[0], &rows[1] };
	struct csvin *in;

	if (size < 1)
		return 0;
	put(data + 1, size - 1);
	in = csvin_new(path, cols, 4, 5);
	(void)csvin_run(in, (data[0] & 1) ? "shift_jis" : "utf-8", &ops, users,
	    (data[0] & 2) ? 2 : 1);
	csvin_free(in);
	return 0;
}
