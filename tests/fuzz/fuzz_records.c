/* fuzz_records.c - libFuzzer target: the store's record decoders and the
 * INI reader (vocabulary) on arbitrary bytes
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "store.h"
#include "vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resident r;
	struct contact c;
	static char dir[64];
	char path[96], err[512];
	struct vocab *v;
	int fd;

	/* A record that decodes must stay inside its bytes. */
	if (store_resident_decode(data, size, &r) == 0) {
		volatile uint8_t sink = 0;

		for (unsigned i = 0; i < r.ward_len; i++)
			sink ^= r.ward[i];
		for (unsigned i = 0; i < r.nhistory; i++)
			sink ^= (uint8_t)store_i32(r.history + 6 * i + 2);
		for (unsigned i = 0; i < r.nbenefits; i++)
			sink ^= (uint8_t)store_u16(r.benefits + 2 * i);
		for (unsigned i = 0; i < r.nflags; i++)
			sink ^= (uint8_t)store_u16(r.flags + 2 * i);
		(void)sink;
	}
	if (store_contact_decode(data, size, &c) == 0 && c.ct_len > 0) {
		volatile uint8_t sink = c.ct[c.ct_len - 1] ^ c.nonce[23];

		(void)sink;
	}
	if (dir[0] == '\0') {	/* one directory per process, in $TMPDIR */
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/fuzz-vocab.XXXXXX", tmp ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, VOCAB_FILE);
	/* rewritten in place: no O_TRUNC (see fuzz_csvin.c) */
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    ftruncate(fd, (off_t)size) != 0)
		abort();
	close(fd);
	if (vocab_load(dir, &v, err, sizeof(err)) == 0) {
		for (int k = 0; k < VOCAB_NKINDS; k++)
			for (size_t i = 0; i < vocab_count(v, k); i++)
				if (vocab_find(v, k, vocab_word(v, k, i),
				    strlen(vocab_word(v, k, i))) != (int)i)
					abort();
		vocab_free(v);
	}
	return 0;
}
