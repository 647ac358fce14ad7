/* fuzz_csvin.c - libFuzzer target: the CSV layer on arbitrary bytes
 * SPDX-License-Identifier: MIT
 *
 * The first byte picks the encoding and the thread count; the rest is the
 * file.  Fields must arrive NUL-terminated and valid UTF-8, with column ids
 * in range.
 */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct csvin_ops ops = { on_field, on_row };
	char path[] = "/tmp/fuzz-csvin.XXXXXX";
	unsigned long rows[2] = { 0, 0 };
	void *users[2] = { &rows[0], &rows[1] };
	struct csvin *in;
	int fd;

	if (size < 1)
		return 0;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(fd);
	fflush(stderr);
	in = csvin_new(path, cols, 4, 5);
	(void)csvin_run(in, (data[0] & 1) ? "shift_jis" : "utf-8", &ops, users,
	    (data[0] & 2) ? 2 : 1);
	csvin_free(in);
	unlink(path);
	return 0;
}
