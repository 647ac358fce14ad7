/* outlog.c - the outcome log writer (format in outlog.h)
 * SPDX-License-Identifier: MIT
 */
#include "outlog.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_LEN 232

struct outlog {
	int fd;
	uint8_t buf[64 * REC_LEN];
	size_t len;
	int dirty;
};

struct outlog *
outlog_open(const char *dir, char *err, size_t errlen)
{
	char path[1100];
	struct outlog *l;
	int fd;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/outcomes.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	return l;
}

static int
flush_buf(struct outlog *l)
{
	size_t off = 0;

	while (off < l->len) {
		ssize_t n = write(l->fd, l->buf + off, l->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	l->len = 0;
	l->dirty = 1;
	return 0;
}

static void
le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int
outlog_append(struct outlog *l, const struct outcome *o)
{
	uint8_t *p;

	if (l->len + REC_LEN > sizeof(l->buf) && flush_buf(l) != 0)
		return -1;
	p = l->buf + l->len;
	memset(p, 0, REC_LEN);
	memcpy(p, "OSO1", 4);
	le(p + 4, o->notice, 8);
	le(p + 12, o->message, 8);
	memcpy(p + 20, o->recipient, 32);
	memcpy(p + 52, o->subject, 32);
	memcpy(p + 84, o->program, strnlen(o->program, 64));
	p[148] = o->channel;
	p[149] = o->outcome;
	le(p + 152, o->attempt, 4);
	le(p + 156, (uint64_t)o->time, 8);
	memcpy(p + 164, o->ruleset, 32);
	memcpy(p + 196, o->digest, 32);
	le(p + 228, (uint32_t)o->status, 4);
	l->len += REC_LEN;
	return 0;
}

int
outlog_sync(struct outlog *l)
{
	if (l->len > 0 && flush_buf(l) != 0)
		return -1;
	if (l->dirty && fdatasync(l->fd) != 0)
		return -1;
	l->dirty = 0;
	return 0;
}

void
outlog_close(struct outlog *l)
{
	if (l == NULL)
		return;
	(void)outlog_sync(l);
	close(l->fd);
	free(l);
}

const char *
outlog_outcome_name(int outcome)
{
	switch (outcome) {
	case OUTCOME_SENT: return "sent";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_CANCELLED: return "cancelled";
	case OUTCOME_EXPIRED: return "expired";
	default: return "?";
	}
}
