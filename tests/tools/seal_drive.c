/* seal_drive.c - test driver for the sealed log's writer: appends the
 * records it reads to a log, for the auditor's tests (tests/integration/
 * audit.sh)
 * SPDX-License-Identifier: MIT
 *
 *   seal_drive LOGDIR < RECORDS
 *
 * LOGDIR holds a log (`oshirase audit init`).  Reads one record a line,
 * fields separated by spaces:
 *   consent PSEUDONYM CHANNEL STATE BITS SOURCE LAST_MESSAGE
 *   sent PSEUDONYM CHANNEL MESSAGE
 * PSEUDONYM is 64 hex digits, CHANNEL 1 (LINE) or 2 (email), STATE and
 * SOURCE sealfmt.h's numbers; consent goes through outlog_consent, sent
 * through outlog_append (program "test", notice = message).  Lines that
 * are empty or start with '#' are skipped.  Everything is synced at the
 * end and the log closed.  Exit 0, 64 for a line it cannot read, 74 if
 * the log cannot be opened or written.
 */
#include "outlog.h"
#include "sealfmt.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
pseudo(const char *hex, uint8_t out[SEALFMT_PSEUDO_LEN])
{
	return strlen(hex) == 2 * SEALFMT_PSEUDO_LEN &&
	    hex_decode(hex, strlen(hex), out, SEALFMT_PSEUDO_LEN) == 0 ? 0 : -1;
}

/* One line: 0, 64 (unreadable) or 74 (the log failed). */
static int
one(struct outlog *l, const char *line, int64_t now)
{
	char kind[16], hex[80];
	unsigned ch, state, bits, src;
	unsigned long long msg;
	uint8_t p[SEALFMT_PSEUDO_LEN];
	struct outcome o;

	if (sscanf(line, "consent %79s %u %u %u %u %llu", hex, &ch, &state,
	    &bits, &src, &msg) == 6 && pseudo(hex, p) == 0)
		return outlog_consent(l, p, (uint8_t)ch, (uint8_t)state,
		    (uint8_t)bits, (uint8_t)src, msg, now) == 0 ? 0 : 74;
	if (sscanf(line, "%15s %79s %u %llu", kind, hex, &ch, &msg) != 4 ||
	    strcmp(kind, "sent") != 0 || pseudo(hex, p) != 0)
		return 64;
	memset(&o, 0, sizeof(o));
	memcpy(o.recipient, p, sizeof(o.recipient));
	memcpy(o.subject, p, sizeof(o.subject));
	o.notice = o.message = msg;
	snprintf(o.program, sizeof(o.program), "test");
	o.channel = (uint8_t)ch;
	o.outcome = OUTCOME_SENT;
	o.attempt = 1;
	o.time = now;
	return outlog_append(l, &o) == 0 ? 0 : 74;
}

int
main(int argc, char **argv)
{
	struct outlog *l = NULL;
	char line[512], err[2048];
	unsigned ln = 0;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seal_drive LOGDIR < RECORDS\n");
		return 64;
	}
	if (sodium_init() < 0 ||
	    outlog_open(argv[1], 1000, 300, &l, err, sizeof(err)) != 0) {
		fprintf(stderr, "seal_drive: %s\n", err);
		return 74;
	}
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((rc = one(l, line, (int64_t)time(NULL))) != 0)
			fprintf(stderr, "seal_drive: line %u: %s\n", ln,
			    rc == 64 ? "not a record" : outlog_error(l));
	}
	if (rc == 0 && outlog_sync(l) != 0) {
		fprintf(stderr, "seal_drive: %s\n", outlog_error(l));
		rc = 74;
	}
	outlog_close(l);
	return rc;
}
