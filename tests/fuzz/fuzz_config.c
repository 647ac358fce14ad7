/* fuzz_config.c - libFuzzer target: the config loader (config.h, on the
 * INI reader inifile.h) on an arbitrary file
 * SPDX-License-Identifier: MIT
 *
 * A file that loads gives a config whose strings end within their
 * fields and whose departments can be looked up by their ids.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[1024];
	int fd;

	if (path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/fuzz-config.XXXXXX", tmp ? tmp : "/tmp");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
	}
	/* rewritten in place: no O_TRUNC (see fuzz_csvin.c) */
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    ftruncate(fd, (off_t)size) != 0)
		abort();
	close(fd);
	err[0] = '\0';
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			abort();	/* an error with no message */
		return 0;
	}
	if (cfg.ndept > CONFIG_MAX_DEPARTMENTS ||
	    memchr(cfg.city_ja, '\0', sizeof(cfg.city_ja)) == NULL ||
	    memchr(cfg.site, '\0', sizeof(cfg.site)) == NULL ||
	    memchr(cfg.rules, '\0', sizeof(cfg.rules)) == NULL)
		abort();
	for (unsigned i = 0; i < cfg.ndept; i++)
		if (memchr(cfg.dept[i].id, '\0', sizeof(cfg.dept[i].id)) == NULL ||
		    config_department(&cfg, cfg.dept[i].id) == NULL)
			abort();
	return 0;
}
