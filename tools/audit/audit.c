/* audit.c - oshirase-audit, the auditor's program: verify, prove,
 * check-proof, show
 * SPDX-License-Identifier: MIT
 *
 *   oshirase-audit verify --log DIR --pubkey FILE [--k0 FILE] [--checkpoint FILE]
 *   oshirase-audit prove --log DIR --notice ID [--checkpoint FILE]
 *   oshirase-audit check-proof --pubkey FILE PROOF
 *   oshirase-audit show --log DIR [--json] [--pseudonym HEX]
 *
 * Runs on the auditors' own machine, on a copy of the log: it links the
 * log's format (sealfmt.h), the Merkle code and small utilities, and holds
 * no writer code, no store, no network, no pseudonymisation key.  The
 * operator's `oshirase audit ...` runs it; `oshirase audit init` (the
 * writer's keys) and `show --key KEY --resident ID` (which needs the
 * pseudonymisation key) are done by `oshirase` itself, which passes the
 * resident's pseudonym here as --pseudonym.
 *
 * Reads the sealed log and never writes it.  verify makes one streaming
 * pass: each record's version, type and sequence number; with K0 its tag
 * under the key of its position (K_i = H(0x04 | K_{i-1})); the chain and
 * the Merkle root against every checkpoint, whose signatures it checks
 * with the public key, in the log's checkpoints file and in the auditor's
 * own (--checkpoint).  The first failure is printed as
 * `record N at byte B: what is wrong` and the exit status is 1.  A partial
 * record at the very end (a torn write the writer cuts at its next start)
 * is reported but is not tampering; so is a last checkpoint line that
 * does not parse, but one that parses is a checkpoint, final newline or
 * not, and a checkpoint whose signature fails is reported as such.  Every
 * byte of the header is checked (sealfmt.h), its origin against the
 * signed checkpoints.  verify also follows each contact's consent
 * records (consent.h): a notice recorded as sent after the resident
 * withdrew the consent it needed is a failure too, reported as
 * `record N at byte B: sent after the resident withdrew consent (record
 * M)`.
 *
 * Exit statuses: 0 clean, 1 a check failed, 2 usage, 65 a bad key or
 * proof file, 66 a missing input, 70 an internal error, 74 an I/O error.
 */
#include "consent.h"
#include "dates.h"
#include "log.h"
#include "merkle.h"
#include "sealfmt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The proof file `prove` writes and `check-proof` reads, text:
 *   oshirase-proof 1
 *   index N
 *   record HEX          (the record's SEALFMT_DATA sealed bytes)
 *   checkpoint LINE     (a signed checkpoint line, sealfmt.h)
 *   path HEX HEX ...    (the Merkle inclusion path, merkle.h)
 * To change it, bump PROOF_VERSION and keep check-proof reading the
 * versions already handed out.
 */
#define PROOF_VERSION 1

static void
audit_usage(FILE *f)
{
	fprintf(f, "usage: oshirase-audit verify --log DIR --pubkey FILE "
	    "[--k0 FILE] [--checkpoint FILE]\n"
	    "       oshirase-audit prove --log DIR --notice ID "
	    "[--checkpoint FILE]\n"
	    "       oshirase-audit check-proof --pubkey FILE PROOF\n"
	    "       oshirase-audit show --log DIR [--json] [--pseudonym HEX]\n"
	    "Verify the sealed notification log: exit 0 clean, 1 tampered, with\n"
	    "the first bad record as `record N at byte B: what is wrong`.\n"
	    "`oshirase audit` runs this program; `oshirase audit init` makes a\n"
	    "log's keys and `oshirase audit show --key KEY --resident ID` finds\n"
	    "one resident's records.\n");
}

/* A log mapped read-only. */
struct logmap {
	const uint8_t *p;
	size_t len;
	uint64_t n;		/* whole records */
	size_t torn;		/* bytes of a partial last record */
	char origin[SEALFMT_ORIGIN_CAP];
};

static int
map_log(const char *dir, struct logmap *m)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	memset(m, 0, sizeof(*m));
	if (snprintf(path, sizeof(path), "%s/log.bin", dir) >= (int)sizeof(path)) {
		log_warnx("%s/log.bin: %s", dir, strerror(ENAMETOOLONG));
		return EXIT_NOINPUT;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		log_warn("%s", path);
		if (fd >= 0)
			close(fd);
		return EXIT_NOINPUT;
	}
	m->len = (size_t)st.st_size;
	if (m->len > 0) {
		m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->p == MAP_FAILED) {
			log_warn("%s: mmap", path);
			close(fd);
			return EXIT_IOERR;
		}
		madvise((void *)m->p, m->len, MADV_SEQUENTIAL);
	}
	close(fd);
	if (sealfmt_header_decode(m->p, m->len, m->origin) != 0) {
		printf("record 0 at byte 0: not an oshirase log, or its header "
		    "was changed (bad header)\n");
		return EXIT_CHECK_FAILED;
	}
	m->n = (m->len - SEALFMT_HEADER) / SEALFMT_RECORD;
	m->torn = (m->len - SEALFMT_HEADER) % SEALFMT_RECORD;
	return 0;
}

static void
unmap_log(struct logmap *m)
{
	if (m->len > 0 && m->p != NULL && m->p != MAP_FAILED)
		munmap((void *)m->p, m->len);
}

static const uint8_t *
record(const struct logmap *m, uint64_t i)
{
	return m->p + sealfmt_offset(i);
}

/* The auditors' public key file (sealfmt.h).  0 or an exit status. */
static int
read_pubkey(const char *path, uint8_t out[SEALFMT_PUBKEY_LEN])
{
	int rc = sealfmt_pubkey_read(path, out);

	if (rc == 0)
		return 0;
	log_warnx("%s: %s", path, sealfmt_strerror(rc));
	return rc == SEALFMT_EKEYFILE ? EXIT_DATAERR : EXIT_NOINPUT;
}

struct cp {
	struct sealfmt_checkpoint c;
	int sig_ok;
	int held;		/* from the auditor's --checkpoint file */
	unsigned line;
	char text[SEALFMT_CHECKPOINT_MAX];	/* the whole line, for prove */
};

/* Parse one checkpoint line and check its signature if pub is given;
 * 0 or -1. */
static int
parse_cp(const char *line, const uint8_t *pub, struct cp *c)
{
	size_t len = strlen(line);

	if (len >= sizeof(c->text) || sealfmt_checkpoint_parse(line, &c->c) != 0)
		return -1;
	memcpy(c->text, line, len + 1);
	c->sig_ok = pub != NULL && sealfmt_checkpoint_verify(line, &c->c, pub) == 0;
	return 0;
}

/* Read the checkpoint lines of path into *cps.  0 or an exit status. */
static int
read_cps(const char *path, const uint8_t *pub, int held, struct cp **cps,
    size_t *n, int must_exist)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned ln = 0;

	if (f == NULL) {
		if (!must_exist && errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return EXIT_NOINPUT;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct cp c;
		int unended = strchr(line, '\n') == NULL && feof(f);

		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		memset(&c, 0, sizeof(c));
		/* A last line with no newline is a checkpoint if it parses
		 * (its signature is checked as every other's): copied by
		 * hand, say.  Only one that does not is a write cut short. */
		if (unended && parse_cp(line, pub, &c) != 0) {
			printf("note: %s, line %u: a torn last line (%zu bytes), "
			    "not read: a write cut short; the daemon cuts it and "
			    "records an alarm at its next start\n", path, ln,
			    strlen(line));
			break;
		}
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (!unended && parse_cp(line, pub, &c) != 0) {
			printf("record 0 at byte %d: %s, line %u: not a checkpoint "
			    "line\n", SEALFMT_HEADER, path, ln);
			fclose(f);
			return EXIT_CHECK_FAILED;
		}
		c.held = held;
		c.line = ln;
		*cps = xrealloc(*cps, (*n + 1) * sizeof(**cps));
		(*cps)[(*n)++] = c;
	}
	fclose(f);
	return 0;
}

static int
cp_cmp(const void *a, const void *b)
{
	const struct cp *x = a, *y = b;

	return x->c.size < y->c.size ? -1 : x->c.size > y->c.size;
}

struct counts {
	unsigned long type[SEALFMT_NTYPES], outcome[SEALFMT_NOUTCOMES];
};

/* A checkpoint whose signature fails, reported at record `at`. */
static void
print_bad_sig(const struct cp *c, uint64_t at)
{
	printf("record %llu at byte %llu: %s of size %llu (line %u): the "
	    "signature fails: it does not verify with this public key\n",
	    (unsigned long long)at, (unsigned long long)sealfmt_offset(at),
	    c->held ? "the held checkpoint" : "the checkpoint",
	    (unsigned long long)c->c.size, c->line);
}

/* Check the checkpoints of size `size` against root and chain.  Prints
 * the failure and returns 1, else 0. */
static int
check_cps(const struct cp *cps, size_t ncp, size_t *k, uint64_t size,
    const uint8_t root[32], const uint8_t chain[32], const char *origin,
    unsigned *verified)
{
	for (; *k < ncp && cps[*k].c.size == size; (*k)++) {
		const struct cp *c = &cps[*k];
		uint64_t at = size ? size - 1 : 0;
		const char *what = c->held ? "the held checkpoint" : "the checkpoint";

		if (!c->sig_ok) {
			print_bad_sig(c, at);
			return 1;
		}
		if (strcmp(c->c.origin, origin) != 0) {
			printf("record %llu at byte %llu: %s of size %llu is of "
			    "another log ('%s', this is '%s')\n",
			    (unsigned long long)at,
			    (unsigned long long)sealfmt_offset(at), what,
			    (unsigned long long)size, c->c.origin, origin);
			return 1;
		}
		if (sodium_memcmp(c->c.root, root, 32) != 0 ||
		    (size > 0 && sodium_memcmp(c->c.chain, chain, 32) != 0)) {
			printf("record %llu at byte %llu: records 0..%llu do not "
			    "match %s of size %llu (%s differs): altered, removed "
			    "or reordered below it\n", (unsigned long long)at,
			    (unsigned long long)sealfmt_offset(at),
			    (unsigned long long)at, what, (unsigned long long)size,
			    sodium_memcmp(c->c.root, root, 32) ? "Merkle root" :
			    "chain head");
			return 1;
		}
		(*verified)++;
	}
	return 0;
}

/* Print why record i failed sealfmt_check with rc. */
static void
print_bad_record(const uint8_t *rec, uint64_t i, int rc)
{
	struct sealfmt_record r;

	(void)sealfmt_record_decode(rec, &r);	/* filled even if refused */
	printf("record %llu at byte %llu: ", (unsigned long long)i,
	    (unsigned long long)sealfmt_offset(i));
	switch (rc) {
	case SEALFMT_EVERSION:
		printf("unknown version %u or type %u\n", r.version, r.type);
		break;
	case SEALFMT_ESEQ:
		printf("sequence number %llu where %llu belongs: records %s\n",
		    (unsigned long long)r.seq, (unsigned long long)i,
		    r.seq > i ? "removed or reordered before it" :
		    "reordered or repeated");
		break;
	case SEALFMT_ETAG:
		printf("the seal does not verify: the record was altered, or "
		    "sealed with another key than K_%llu\n", (unsigned long long)i);
		break;
	default:
		printf("%s\n", sealfmt_strerror(rc));
	}
}

/* Notices sent after consent was withdrawn: record i (at[2k]) breaches
 * consent record at[2k+1].  Reported once the log is known to be whole:
 * in a log that was altered they would mean nothing. */
struct breaches {
	uint64_t *at;
	size_t n;
};

static void
breach_note(const struct consent_map *consents, const struct sealfmt_record *r,
    uint64_t i, struct breaches *b)
{
	uint64_t by;

	if (!consent_breach(consents, r, &by))
		return;
	b->at = xrealloc(b->at, (b->n + 1) * 2 * sizeof(*b->at));
	b->at[2 * b->n] = i;
	b->at[2 * b->n + 1] = by;
	b->n++;
}

/* Print the breaches; 1 if there were any. */
static int
breach_report(const struct breaches *b)
{
	for (size_t k = 0; k < b->n; k++)
		printf("record %llu at byte %llu: sent after the resident "
		    "withdrew consent (record %llu)\n",
		    (unsigned long long)b->at[2 * k],
		    (unsigned long long)sealfmt_offset(b->at[2 * k]),
		    (unsigned long long)b->at[2 * k + 1]);
	return b->n > 0;
}

static int
verify(const char *dir, const char *pubpath, const char *k0path,
    const char *held)
{
	struct logmap m;
	struct cp *cps = NULL;
	size_t ncp = 0, k = 0;
	uint8_t pub[SEALFMT_PUBKEY_LEN], chain[32], root[32], leaf[32];
	uint8_t *key = NULL;
	struct merkle *tree;
	struct consent_map *consents = consent_map_new();
	struct breaches br = { NULL, 0 };
	struct counts cnt;
	char path[PATH_MAX];
	unsigned verified = 0;
	int rc, bad = 0;

	memset(&cnt, 0, sizeof(cnt));
	memset(&m, 0, sizeof(m));
	if ((rc = read_pubkey(pubpath, pub)) != 0)
		return rc;
	if (k0path != NULL && (rc = secret_load(k0path, &key, path,
	    sizeof(path))) != 0) {
		log_warnx("%s", path);
		return secret_exit(rc);
	}
	if ((tree = merkle_new(&merkle_blake2b)) == NULL) {
		log_warnx("verify: out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if ((rc = map_log(dir, &m)) != 0)
		goto out;
	if (snprintf(path, sizeof(path), "%s/checkpoints", dir) >= (int)sizeof(path)) {
		log_warnx("%s/checkpoints: %s", dir, strerror(ENAMETOOLONG));
		rc = EXIT_NOINPUT;
		goto out;
	}
	if ((rc = read_cps(path, pub, 0, &cps, &ncp, 0)) != 0 ||
	    (held && (rc = read_cps(held, pub, 1, &cps, &ncp, 1)) != 0))
		goto out;
	if (ncp > 1)
		qsort(cps, ncp, sizeof(*cps), cp_cmp);
	/* the header's one free field, the origin, against the signed ones */
	for (size_t j = 0; j < ncp; j++)
		if (cps[j].sig_ok && strcmp(cps[j].c.origin, m.origin) != 0) {
			printf("record 0 at byte 0: the header names the log '%s', "
			    "%s of size %llu (line %u) '%s': the header was "
			    "changed, or the checkpoints are another log's\n",
			    m.origin, cps[j].held ? "the held checkpoint" :
			    "the signed checkpoint", (unsigned long long)cps[j].c.size,
			    cps[j].line, cps[j].c.origin);
			rc = EXIT_CHECK_FAILED;
			goto out;
		}
	memset(chain, 0, sizeof(chain));
	merkle_root(tree, root);
	if (check_cps(cps, ncp, &k, 0, root, chain, m.origin, &verified)) {
		rc = EXIT_CHECK_FAILED;
		goto out;
	}
	for (uint64_t i = 0; i < m.n && !bad; i++) {
		const uint8_t *rec = record(&m, i);
		struct sealfmt_record r;

		if ((rc = sealfmt_check(rec, i, chain, key, leaf)) != 0) {
			print_bad_record(rec, i, rc);
			bad = 1;
			break;
		}
		(void)merkle_append(tree, leaf);	/* m.n < 2^63 */
		(void)sealfmt_record_decode(rec, &r);	/* checked above */
		cnt.type[r.type]++;
		if (r.type == SEALFMT_OUTCOME && r.outcome >= 1 &&
		    r.outcome < SEALFMT_NOUTCOMES)
			cnt.outcome[r.outcome]++;
		if (r.type == SEALFMT_CONSENT)
			consent_note(consents, &r, i);
		else
			breach_note(consents, &r, i, &br);
		if (k < ncp && cps[k].c.size == i + 1) {
			merkle_root(tree, root);
			bad = check_cps(cps, ncp, &k, i + 1, root, chain, m.origin,
			    &verified);
		}
	}
	if (!bad && m.n > 0 && (ncp == 0 || cps[ncp - 1].c.size == 0)) {
		printf("record 0 at byte %d: no signed checkpoint covers the log "
		    "(its checkpoints file is missing or empty): nothing below "
		    "can be verified with the public key\n", SEALFMT_HEADER);
		bad = 1;
	}
	/* checkpoints above the log's end: one whose signature fails is
	 * reported as such, not as a cut below a signed checkpoint */
	for (size_t j = k; !bad && j < ncp; j++)
		if (!cps[j].sig_ok) {
			print_bad_sig(&cps[j], m.n);
			bad = 1;
		}
	if (!bad && k < ncp) {
		printf("record %llu at byte %llu: the log ends here, below %s of "
		    "size %llu: records were cut from the end\n",
		    (unsigned long long)m.n,
		    (unsigned long long)sealfmt_offset(m.n),
		    cps[k].held ? "the held checkpoint" : "a signed checkpoint",
		    (unsigned long long)cps[k].c.size);
		bad = 1;
	}
	if (bad || breach_report(&br)) {
		rc = EXIT_CHECK_FAILED;
		goto out;
	}
	if (m.torn)
		printf("note: a torn last record (%zu bytes) after record %llu: a "
		    "write cut short; the daemon cuts it and records an alarm at "
		    "its next start\n", m.torn, (unsigned long long)m.n);
	if (cnt.type[SEALFMT_ALARM])
		printf("note: %lu alarm records (see `oshirase audit show`)\n",
		    cnt.type[SEALFMT_ALARM]);
	printf("ok: %llu records (%lu outcomes: %lu sent, %lu failed, %lu "
	    "cancelled, %lu expired; %lu starts, %lu stops, %lu alarms, %lu "
	    "consent records), %u checkpoints verified%s, seals %s\n",
	    (unsigned long long)m.n,
	    cnt.type[SEALFMT_OUTCOME], cnt.outcome[SEALFMT_SENT],
	    cnt.outcome[SEALFMT_FAILED], cnt.outcome[SEALFMT_CANCELLED],
	    cnt.outcome[SEALFMT_EXPIRED], cnt.type[SEALFMT_START],
	    cnt.type[SEALFMT_STOP], cnt.type[SEALFMT_ALARM],
	    cnt.type[SEALFMT_CONSENT], verified,
	    held ? " (the held one too)" : "",
	    key ? "checked with K0" : "not checked (no --k0)");
	if (ncp > 0 && cps[ncp - 1].c.size < m.n)
		printf("note: the last %llu records are after the last checkpoint: "
		    "only their seals%s protect them\n",
		    (unsigned long long)(m.n - cps[ncp - 1].c.size),
		    key ? "" : " (not checked)");
	rc = 0;
out:
	if (key)
		sodium_free(key);
	consent_map_free(consents);
	free(br.at);
	merkle_free(tree);
	free(cps);
	unmap_log(&m);
	return rc;
}

/* ---- show ---- */

static void
show_record(const struct sealfmt_record *r, uint64_t i, int json)
{
	char recip[65], sub[65], dig[65], when[32], cats[32];
	char rset[2 * SEALFMT_RULESET_LEN + 1];
	struct tm tm;

	consent_categories(r->status, cats);
	hex_encode(r->ruleset, SEALFMT_RULESET_LEN, rset);
	hex_encode(r->recipient, 32, recip);
	hex_encode(r->subject, 32, sub);
	hex_encode(r->digest, 32, dig);
	date_tm_jst((time_t)r->time, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+09:00", &tm);
	if (json) {
		printf("{\"record\":%llu,\"time\":\"%s\",\"type\":\"%s\"",
		    (unsigned long long)i, when, sealfmt_type_name(r->type));
		if (r->type == SEALFMT_OUTCOME)
			printf(",\"notice\":%llu,\"message\":%llu,\"program\":\"%s\","
			    "\"recipient\":\"%s\",\"subject\":\"%s\",\"channel\":"
			    "\"%s\",\"outcome\":\"%s\",\"attempt\":%u,\"status\":%d,"
			    "\"digest\":\"%s\",\"ruleset\":\"%s\"",
			    (unsigned long long)r->notice,
			    (unsigned long long)r->message, r->program, recip, sub,
			    sealfmt_channel_name(r->channel),
			    sealfmt_outcome_name(r->outcome), (unsigned)r->attempt,
			    (int)r->status, dig, rset);
		else if (r->type == SEALFMT_ALARM)
			printf(",\"alarm\":%d,\"count\":%llu", (int)r->status,
			    (unsigned long long)r->notice);
		else if (r->type == SEALFMT_CONSENT)
			printf(",\"recipient\":\"%s\",\"channel\":\"%s\","
			    "\"consent\":\"%s\",\"categories\":\"%s\","
			    "\"source\":\"%s\",\"message\":%llu", recip,
			    sealfmt_channel_name(r->channel),
			    sealfmt_consent_name(r->outcome), cats,
			    sealfmt_source_name((int)r->attempt),
			    (unsigned long long)r->message);
		printf("}\n");
		return;
	}
	printf("%llu\t%s\t%s", (unsigned long long)i, when,
	    sealfmt_type_name(r->type));
	if (r->type == SEALFMT_OUTCOME)
		printf("\t%s\t%s\t%s\t%s\tnotice %llu\tattempt %u\tstatus %d"
		    "\truleset %s", sealfmt_outcome_name(r->outcome), r->program,
		    sealfmt_channel_name(r->channel), recip,
		    (unsigned long long)r->notice, (unsigned)r->attempt,
		    (int)r->status, rset);
	else if (r->type == SEALFMT_ALARM)
		printf("\t%s (%llu)", sealfmt_alarm_name(r->status),
		    (unsigned long long)r->notice);
	else if (r->type == SEALFMT_CONSENT)
		printf("\t%s\t%s\t%s\t%s\tsource %s\tmessage %llu",
		    sealfmt_consent_name(r->outcome), cats,
		    sealfmt_channel_name(r->channel), recip,
		    sealfmt_source_name((int)r->attempt),
		    (unsigned long long)r->message);
	printf("\n");
}

/* want: the pseudonym to look for in recipient or subject, or NULL. */
static int
show(const char *dir, int json, const uint8_t *want)
{
	struct logmap m;
	int rc;

	if ((rc = map_log(dir, &m)) != 0)
		return rc;
	for (uint64_t i = 0; i < m.n; i++) {
		struct sealfmt_record r;

		(void)sealfmt_record_decode(record(&m, i), &r);	/* shown as is */
		if (want != NULL && (r.type == SEALFMT_CONSENT ?
		    memcmp(r.recipient, want, SEALFMT_PSEUDO_LEN) != 0 :
		    (r.type != SEALFMT_OUTCOME ||
		    (memcmp(r.recipient, want, SEALFMT_PSEUDO_LEN) != 0 &&
		    memcmp(r.subject, want, SEALFMT_PSEUDO_LEN) != 0))))
			continue;
		show_record(&r, i, json);
	}
	unmap_log(&m);
	return fflush(stdout) == 0 ? 0 : EXIT_IOERR;
}

/* ---- proofs ---- */

static int
last_cp(const char *dir, const char *held, struct cp *out)
{
	char path[PATH_MAX];
	struct cp *cps = NULL;
	size_t n = 0;
	int rc;

	if (snprintf(path, sizeof(path), "%s/checkpoints", dir) >= (int)sizeof(path)) {
		log_warnx("%s/checkpoints: %s", dir, strerror(ENAMETOOLONG));
		return EXIT_NOINPUT;
	}
	rc = read_cps(held ? held : path, NULL, 0, &cps, &n, 1);
	if (rc == 0 && n == 0) {
		log_warnx("%s: no checkpoint", held ? held : path);
		rc = EXIT_NOINPUT;
	}
	if (rc == 0)
		*out = cps[n - 1];
	free(cps);
	return rc;
}

static int
prove(const char *dir, uint64_t notice, const char *held)
{
	struct logmap m;
	struct cp c;
	uint8_t *leaves, proof[MERKLE_MAX_PROOF * 32];
	size_t plen = MERKLE_MAX_PROOF;
	uint64_t idx = UINT64_MAX, size;
	char hex[2 * SEALFMT_DATA + 1];
	int rc;

	if ((rc = last_cp(dir, held, &c)) != 0 || (rc = map_log(dir, &m)) != 0)
		return rc;
	size = c.c.size;
	if (size > m.n) {
		log_warnx("the checkpoint covers %llu records, the log has %llu",
		    (unsigned long long)size, (unsigned long long)m.n);
		unmap_log(&m);
		return EXIT_CHECK_FAILED;
	}
	leaves = xmalloc((size_t)(size ? size : 1) * 32);
	for (uint64_t i = 0; i < size; i++) {
		struct sealfmt_record r;

		sealfmt_leaf(record(&m, i), leaves + i * 32);
		if (sealfmt_record_decode(record(&m, i), &r) == 0 &&
		    r.type == SEALFMT_OUTCOME && r.notice == notice)
			idx = i;
	}
	if (idx == UINT64_MAX) {
		log_warnx("notice %llu is not in the log's first %llu records "
		    "(the checkpoint's)", (unsigned long long)notice,
		    (unsigned long long)size);
		rc = EXIT_NOINPUT;
	} else if ((rc = merkle_inclusion_proof(&merkle_blake2b, leaves, size,
	    idx, proof, &plen)) != 0) {
		log_warnx("prove: %s", merkle_strerror(rc));
		rc = EXIT_SOFTWARE;
	} else {
		hex_encode(record(&m, idx), SEALFMT_DATA, hex);
		printf("oshirase-proof %d\nindex %llu\nrecord %s\ncheckpoint %s\n"
		    "path", PROOF_VERSION, (unsigned long long)idx, hex, c.text);
		for (size_t i = 0; i < plen; i++) {
			char h[65];

			hex_encode(proof + i * 32, 32, h);
			printf(" %s", h);
		}
		printf("\n");
		rc = fflush(stdout) == 0 ? 0 : EXIT_IOERR;
	}
	free(leaves);
	unmap_log(&m);
	return rc;
}

static int
check_proof(const char *pubpath, const char *path)
{
	uint8_t pub[SEALFMT_PUBKEY_LEN], data[SEALFMT_DATA], leaf[32];
	uint8_t proof[MERKLE_MAX_PROOF * 32];
	char line[4096], *v;
	unsigned long long idx = 0;
	size_t plen = 0;
	int have = 0, rc;
	struct sealfmt_record r;
	struct cp c;
	FILE *f;

	if ((rc = read_pubkey(pubpath, pub)) != 0)
		return rc;
	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return EXIT_NOINPUT;
	}
	memset(&c, 0, sizeof(c));
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "oshirase-proof") == 0 && atoi(v) != PROOF_VERSION)
			have |= 32;
		else if (strcmp(line, "index") == 0 && sscanf(v, "%llu", &idx) == 1)
			have |= 1;
		else if (strcmp(line, "record") == 0 &&
		    strlen(v) == 2 * SEALFMT_DATA &&
		    hex_decode(v, strlen(v), data, SEALFMT_DATA) == 0)
			have |= 2;
		else if (strcmp(line, "checkpoint") == 0 && parse_cp(v, pub, &c) == 0)
			have |= 4;
		else if (strcmp(line, "path") == 0) {
			char *tok, *save = NULL;

			for (tok = strtok_r(v, " ", &save); tok != NULL &&
			    plen < MERKLE_MAX_PROOF; tok = strtok_r(NULL, " ", &save))
				if (strlen(tok) != 64 ||
				    hex_decode(tok, 64, proof + 32 * plen++, 32) != 0)
					have |= 16;
			have |= 8;
		}
	}
	fclose(f);
	if ((have & 63) != 15) {
		printf("%s: not a proof (index, record, checkpoint and path lines%s)\n",
		    path, have & 32 ? "; of another version" : "");
		return EXIT_DATAERR;
	}
	if (!c.sig_ok) {
		printf("the proof's checkpoint is not signed by this public key\n");
		return EXIT_CHECK_FAILED;
	}
	sealfmt_leaf(data, leaf);
	if (merkle_verify_inclusion(&merkle_blake2b, leaf, idx, c.c.size, proof,
	    plen, c.c.root) != 0) {
		printf("the proof does not verify: record %llu is not in the log "
		    "of the checkpoint (size %llu)\n", idx,
		    (unsigned long long)c.c.size);
		return EXIT_CHECK_FAILED;
	}
	printf("ok: record %llu is in the log of %s as of its signed checkpoint "
	    "of %llu records:\n", idx, c.c.origin, (unsigned long long)c.c.size);
	(void)sealfmt_record_decode(data, &r);	/* shown as it is */
	show_record(&r, idx, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_LOG = 256, OPT_PUBKEY, OPT_K0, OPT_CHECKPOINT, OPT_NOTICE,
		OPT_JSON, OPT_PSEUDONYM, OPT_KEY, OPT_RESIDENT, OPT_HELP };
	static const struct option longopts[] = {
		{ "log", required_argument, NULL, OPT_LOG },
		{ "pubkey", required_argument, NULL, OPT_PUBKEY },
		{ "k0", required_argument, NULL, OPT_K0 },
		{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
		{ "notice", required_argument, NULL, OPT_NOTICE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "pseudonym", required_argument, NULL, OPT_PSEUDONYM },
		/* known only to say where they are taken */
		{ "key", required_argument, NULL, OPT_KEY },
		{ "resident", required_argument, NULL, OPT_RESIDENT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	const char *logdir = NULL, *pub = NULL, *k0 = NULL, *cp = NULL, *sub;
	uint8_t pseudonym[SEALFMT_PSEUDO_LEN];
	unsigned long long notice = 0;
	int opt, json = 0, have_notice = 0, have_pseudonym = 0;
	char *end;

	log_init("oshirase-audit", LOG_LEVEL_INFO);
	if (util_nodump() != 0)
		fatal("no core dumps");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("oshirase-audit %s\n", OSHIRASE_VERSION);
		return 0;
	}
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	sub = argv[1];
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_LOG: logdir = optarg; break;
		case OPT_PUBKEY: pub = optarg; break;
		case OPT_K0: k0 = optarg; break;
		case OPT_CHECKPOINT: cp = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_NOTICE:
			errno = 0;
			notice = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				log_warnx("--notice: '%s' is not a notice number", optarg);
				return EXIT_USAGE;
			}
			have_notice = 1;
			break;
		case OPT_PSEUDONYM:
			if (strlen(optarg) != 2 * SEALFMT_PSEUDO_LEN ||
			    hex_decode(optarg, strlen(optarg), pseudonym,
			    sizeof(pseudonym)) != 0) {
				log_warnx("--pseudonym: 64 hex digits, as `oshirase "
				    "pseudonym` prints them");
				return EXIT_USAGE;
			}
			have_pseudonym = 1;
			break;
		case OPT_KEY:
		case OPT_RESIDENT:
			log_warnx("--key and --resident need the pseudonymisation "
			    "key, which this program never reads: run `oshirase "
			    "audit show --key KEY --resident ID`, or give the "
			    "resident's pseudonym with --pseudonym");
			return EXIT_USAGE;
		case OPT_HELP:
			audit_usage(stdout);
			return 0;
		default:
			audit_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (strcmp(sub, "check-proof") == 0) {
		if (pub == NULL || optind != argc - 1) {
			audit_usage(stderr);
			return EXIT_USAGE;
		}
		return check_proof(pub, argv[optind]);
	}
	if (strcmp(sub, "init") == 0) {
		log_warnx("init makes the writer's keys and is not done here: "
		    "run `oshirase audit init` on the host");
		return EXIT_USAGE;
	}
	if (optind != argc || logdir == NULL) {
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "verify") == 0) {
		if (pub == NULL) {
			log_warnx("verify needs --pubkey");
			return EXIT_USAGE;
		}
		return verify(logdir, pub, k0, cp);
	}
	if (strcmp(sub, "prove") == 0) {
		if (!have_notice) {
			log_warnx("prove needs --notice ID");
			return EXIT_USAGE;
		}
		return prove(logdir, notice, cp);
	}
	if (strcmp(sub, "show") == 0)
		return show(logdir, json, have_pseudonym ? pseudonym : NULL);
	log_warnx("unknown command '%s'", sub);
	audit_usage(stderr);
	return EXIT_USAGE;
}
