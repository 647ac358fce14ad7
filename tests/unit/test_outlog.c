/* test_outlog.c - the sealed log's writer: the records of a store
 * transaction that fails are taken back (outlog_mark, outlog_write,
 * outlog_rollback), from its buffer or from log.bin, and the log reads as
 * if they had never been appended (every seal checked from K_0); a log
 * that does not match its state is refused, nothing cut
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outlog.h"
#include "sealfmt.h"
#include "util.h"

struct logdir {
	char dir[64];
};

static const char *const files[] = {
	"log.bin", "checkpoints", "state", "state.tmp", "signing.key",
	"digest.key", "auditor/pubkey", "auditor/k0", "auditor"
};

static int
setup(void **state)
{
	struct logdir *d = calloc(1, sizeof(*d));
	char err[512];

	if (sodium_init() < 0 || d == NULL)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/oshirase-outlog.XXXXXX");
	if (mkdtemp(d->dir) == NULL ||
	    outlog_init(d->dir, "unit-test", NULL, NULL, err, sizeof(err)) != 0)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct logdir *d = *state;
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
		if (unlink(path) != 0)
			(void)rmdir(path);
	}
	rmdir(d->dir);
	free(d);
	return 0;
}

static struct outlog *
open_log(const struct logdir *d)
{
	struct outlog *l = NULL;
	char err[2048];
	int rc = outlog_open(d->dir, 1000, 300, &l, err, sizeof(err));

	if (rc != 0)
		fail_msg("outlog_open: %s", err);
	return l;
}

static void
append(struct outlog *l, uint64_t notice)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.notice = notice;
	o.message = notice;
	snprintf(o.program, sizeof(o.program), "unit-test");
	o.channel = SEALFMT_LINE;
	o.outcome = OUTCOME_SENT;
	o.attempt = 1;
	o.time = 1795000000;
	assert_int_equal(outlog_append(l, &o), 0);
}

/* What the log holds, every record checked from the first with K_0. */
struct seen {
	uint64_t records, outcomes, alarms, rolled_back, consents;
	uint64_t notices[512];
	struct sealfmt_record consent[8];
};

static void
read_log(const struct logdir *d, struct seen *s)
{
	char path[128];
	uint8_t *key, chain[SEALFMT_HASH], leaf[SEALFMT_HASH];
	uint8_t rec[SEALFMT_RECORD];
	struct sealfmt_record r;
	struct stat st;
	FILE *f;

	memset(s, 0, sizeof(*s));
	memset(chain, 0, sizeof(chain));
	snprintf(path, sizeof(path), "%s/auditor/k0", d->dir);
	assert_int_equal(secret_read(path, &key), 0);
	snprintf(path, sizeof(path), "%s/log.bin", d->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((st.st_size - SEALFMT_HEADER) % SEALFMT_RECORD, 0);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, SEALFMT_HEADER, SEEK_SET), 0);
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		assert_int_equal(sealfmt_check(rec, s->records, chain, key,
		    leaf), 0);
		assert_int_equal(sealfmt_record_decode(rec, &r), 0);
		if (r.type == SEALFMT_OUTCOME) {
			assert_true(s->outcomes < 512);
			s->notices[s->outcomes++] = r.notice;
		} else if (r.type == SEALFMT_ALARM) {
			s->alarms++;
			if (r.status == SEALFMT_ALARM_ROLLED_BACK)
				s->rolled_back += r.notice;
		} else if (r.type == SEALFMT_CONSENT) {
			assert_true(s->consents < 8);
			s->consent[s->consents++] = r;
		}
		s->records++;
	}
	fclose(f);
	sodium_free(key);
}

/* Taken back from the buffer: nothing reached log.bin, no alarm. */
static void
test_rollback_buffered(void **state)
{
	struct logdir *d = *state;
	struct outlog *l = open_log(d);
	struct seen s;

	append(l, 1);
	append(l, 2);
	outlog_mark(l);
	for (uint64_t i = 10; i < 15; i++)
		append(l, i);
	assert_int_equal(outlog_rollback(l), 0);
	append(l, 3);
	assert_int_equal(outlog_sync(l), 0);
	outlog_close(l);
	read_log(d, &s);
	assert_int_equal(s.outcomes, 3);
	assert_int_equal(s.notices[0], 1);
	assert_int_equal(s.notices[1], 2);
	assert_int_equal(s.notices[2], 3);
	assert_int_equal(s.alarms, 0);
	/* the state agrees with the log and its checkpoint: it opens */
	outlog_close(open_log(d));
}

/* Taken back from log.bin: written (the buffer overflowed, then
 * outlog_write), cut, and an alarm record says how many. */
static void
test_rollback_written(void **state)
{
	struct logdir *d = *state;
	struct outlog *l = open_log(d);
	struct seen s;

	append(l, 1);
	assert_int_equal(outlog_sync(l), 0);
	append(l, 2);		/* before the mark: kept */
	outlog_mark(l);
	for (uint64_t i = 100; i < 400; i++)
		append(l, i);
	assert_int_equal(outlog_write(l), 0);
	assert_int_equal(outlog_rollback(l), 0);
	append(l, 3);
	assert_int_equal(outlog_sync(l), 0);
	outlog_close(l);
	read_log(d, &s);
	assert_int_equal(s.outcomes, 3);
	assert_int_equal(s.notices[0], 1);
	assert_int_equal(s.notices[1], 2);
	assert_int_equal(s.notices[2], 3);
	assert_int_equal(s.alarms, 1);
	assert_int_equal(s.rolled_back, 300);
	outlog_close(open_log(d));
	/* after a sync, a rollback takes nothing back */
	l = open_log(d);
	outlog_mark(l);
	append(l, 4);
	assert_int_equal(outlog_sync(l), 0);
	assert_int_equal(outlog_rollback(l), 0);
	outlog_close(l);
	read_log(d, &s);
	assert_int_equal(s.outcomes, 4);
	assert_int_equal(s.notices[3], 4);
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
spill(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* An older state of the log (a crash between the syncs, or a restore):
 * the records past it are taken in if they verify with it; a state whose
 * key is not the log's is refused, and log.bin is left as it was. */
static void
test_refused_not_cut(void **state)
{
	struct logdir *d = *state;
	struct outlog *l = open_log(d);
	char path[128], err[2048];
	uint8_t old[4096];
	struct stat before, after;
	size_t n;

	snprintf(path, sizeof(path), "%s/state", d->dir);
	for (uint64_t i = 1; i <= 5; i++)
		append(l, i);
	assert_int_equal(outlog_sync(l), 0);
	n = slurp(path, old, sizeof(old));
	for (uint64_t i = 6; i <= 20; i++)
		append(l, i);
	assert_int_equal(outlog_sync(l), 0);
	outlog_close(l);
	spill(path, old, n);
	outlog_close(open_log(d));	/* taken in */
	old[48] ^= 1;			/* K: the records past it fail */
	spill(path, old, n);
	snprintf(path, sizeof(path), "%s/log.bin", d->dir);
	assert_int_equal(stat(path, &before), 0);
	l = NULL;
	assert_int_equal(outlog_open(d->dir, 1000, 300, &l, err, sizeof(err)),
	    OUTLOG_EMISMATCH);
	assert_null(l);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_non_null(strstr(err, "does not verify with the writer's saved "
	    "state"));
	assert_non_null(strstr(err, "nothing was cut or appended"));
}

/* A consent record goes in with its fields where sealfmt.h puts them,
 * sealed in line with the outcomes, kept by a sync, taken back by a
 * rollback like any record; the log verifies and opens again. */
static void
test_consent_record(void **state)
{
	struct logdir *d = *state;
	struct outlog *l = open_log(d);
	uint8_t pseudo[SEALFMT_PSEUDO_LEN], other[SEALFMT_PSEUDO_LEN];
	struct sealfmt_record *c;
	struct seen s;

	memset(pseudo, 0x5c, sizeof(pseudo));
	memset(other, 0x77, sizeof(other));
	append(l, 1);
	assert_int_equal(outlog_consent(l, pseudo, SEALFMT_LINE,
	    SEALFMT_CONSENT_WITHDRAWN, 1 | 4 | 8, SEALFMT_SRC_LINE, 41,
	    1795000100), 0);
	append(l, 2);
	outlog_mark(l);
	assert_int_equal(outlog_consent(l, other, SEALFMT_EMAIL,
	    SEALFMT_CONSENT_ACTIVE, 2, SEALFMT_SRC_WEB, 50, 1795000200), 0);
	assert_int_equal(outlog_rollback(l), 0);
	assert_int_equal(outlog_consent(l, other, SEALFMT_EMAIL,
	    SEALFMT_CONSENT_REMOVED, 0, SEALFMT_SRC_UNSUBSCRIBE, 52,
	    1795000300), 0);
	assert_int_equal(outlog_sync(l), 0);
	outlog_close(l);
	read_log(d, &s);
	assert_int_equal(s.outcomes, 2);
	assert_int_equal(s.consents, 2);
	c = &s.consent[0];
	assert_memory_equal(c->recipient, pseudo, sizeof(pseudo));
	assert_int_equal(c->channel, SEALFMT_LINE);
	assert_int_equal(c->outcome, SEALFMT_CONSENT_WITHDRAWN);
	assert_int_equal(c->status, 1 | 4 | 8);
	assert_int_equal(c->attempt, SEALFMT_SRC_LINE);
	assert_int_equal(c->message, 41);
	assert_int_equal(c->time, 1795000100);
	assert_int_equal(c->notice, 0);
	assert_string_equal(c->program, "");
	c = &s.consent[1];
	assert_memory_equal(c->recipient, other, sizeof(other));
	assert_int_equal(c->channel, SEALFMT_EMAIL);
	assert_int_equal(c->outcome, SEALFMT_CONSENT_REMOVED);
	assert_int_equal(c->status, 0);
	assert_int_equal(c->attempt, SEALFMT_SRC_UNSUBSCRIBE);
	assert_int_equal(c->message, 52);
	outlog_close(open_log(d));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollback_buffered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_written, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_not_cut, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_consent_record, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
