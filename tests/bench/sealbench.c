/* sealbench.c - `make bench`: the sealed log's append rate and the cost
 * of its baseline, in one process
 * SPDX-License-Identifier: MIT
 *
 *   sealbench append DIR N BATCH   N outcome records through outlog_append,
 *                                  outlog_sync every BATCH (a fresh log in
 *                                  DIR, made with outlog_init)
 *   sealbench raw FILE N BATCH     the same bytes (N x 256) written and
 *                                  fdatasynced every BATCH, no crypto
 *   sealbench hash FILE            BLAKE2b-256 over the file's bytes
 * Each prints the seconds it took on one line.
 */
#include "outlog.h"
#include "util.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char err[1400], path[1100];
	double t0;

	if (sodium_init() < 0 || argc < 3)
		return 2;
	if (strcmp(argv[1], "append") == 0 && argc == 5) {
		long n = atol(argv[3]), batch = atol(argv[4]);
		struct outlog *l;
		struct outcome o;

		snprintf(path, sizeof(path), "%s/pub", argv[2]);
		if (outlog_init(argv[2], "bench", path, NULL, err, sizeof(err)) != 0 ||
		    outlog_open(argv[2], 100000, 300, &l, err, sizeof(err)) != 0) {
			fprintf(stderr, "sealbench: %s\n", err);
			return 1;
		}
		memset(&o, 0, sizeof(o));
		randombytes_buf(o.recipient, sizeof(o.recipient));
		randombytes_buf(o.subject, sizeof(o.subject));
		snprintf(o.program, sizeof(o.program), "lung-cancer-screening");
		o.channel = 1;
		o.outcome = OUTCOME_SENT;
		o.attempt = 1;
		o.status = 200;
		t0 = util_now();
		for (long i = 0; i < n; i++) {
			o.notice = (uint64_t)i + 1;
			o.message = (uint64_t)i / 3 + 1;
			o.time = 1795000000 + i / 1000;
			if (outlog_append(l, &o) != 0 ||
			    ((i + 1) % batch == 0 && outlog_sync(l) != 0)) {
				perror("sealbench");
				return 1;
			}
		}
		if (outlog_sync(l) != 0)
			return 1;
		printf("%.3f\n", util_now() - t0);
		outlog_close(l);
		return 0;
	}
	if (strcmp(argv[1], "raw") == 0 && argc == 5) {
		long n = atol(argv[3]), batch = atol(argv[4]);
		uint8_t *buf = xcalloc((size_t)batch, 256);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);

		if (fd < 0)
			return 1;
		randombytes_buf(buf, (size_t)batch * 256);
		t0 = util_now();
		for (long i = 0; i < n; i += batch)
			if (write(fd, buf, (size_t)batch * 256) != batch * 256 ||
			    fdatasync(fd) != 0)
				return 1;
		printf("%.3f\n", util_now() - t0);
		close(fd);
		free(buf);
		return 0;
	}
	if (strcmp(argv[1], "hash") == 0) {
		struct stat st;
		uint8_t out[32];
		const uint8_t *p;
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0 || fstat(fd, &st) != 0)
			return 1;
		t0 = util_now();
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		crypto_generichash(out, 32, p, (size_t)st.st_size, NULL, 0);
		printf("%.3f\n", util_now() - t0);
		munmap((void *)p, (size_t)st.st_size);
		close(fd);
		return out[0] == 0 && out[1] == 0 && out[2] == 0 ? 3 : 0;
	}
	return 2;
}
