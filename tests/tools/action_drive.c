/* action_drive.c - a test program that plays the gateway: it sends action
 * frames (action.h) to the queue's actions socket and prints each answer,
 * so that shell tests can drive the queue without oshirase-gateway.
 * Built, never installed.
 * SPDX-License-Identifier: MIT
 *
 *   action_drive [--timeout S] ENDPOINT [ACTION...]
 *        ACTION: "KIND key=value ..." as one argument (none given: one a
 *        line on standard input); KIND as action_kind_name says ("code",
 *        "unfollow", ...); keys request, time, consent, mask, language,
 *        flags, event, user, reply, code, token, address, client.  All
 *        are sent (one batch, if the queue is quick enough to find them
 *        together), then one line per answer, in the order sent:
 *          REQUEST STATUS CONTACT CONSENT LANGUAGE
 *        STATUS the status's name with '-' for spaces, CONTACT none,
 *        active or withdrawn, LANGUAGE ja or en.  Exit 0, 75 when an
 *        answer did not come within S seconds (default 10), 64 usage.
 *
 * Test-only modes (they write the store or read its secret key):
 *   action_drive --put-code DB CODE PSEUDO EXPIRES [used]
 *        a registration code record (codes.h) for the resident PSEUDO (64
 *        hex digits), expiring after EXPIRES (YYYY-MM-DD); DB/codes.key
 *        is made if missing (as `oshirase letters` would).
 *   action_drive --manage-token DB PSEUDO CHANNEL ADDRESS EXPIRES_UNIX
 *        print a TOKEN_MANAGE token (token.h) as the queue would make it
 *        for that contact, with DB/contacts.sec.
 */
#include "action.h"
#include "codes.h"
#include "dates.h"
#include "store.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_ACTIONS 4096

static int
hex32(const char *s, uint8_t out[32])
{
	size_t len;

	return strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &len,
	    NULL) == 0 && len == 32 ? 0 : -1;
}

static int
set_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* One action from "KIND key=value ...".  0 or -1 (said why). */
static int
parse_action(char *line, struct action *a, uint64_t request)
{
	char *tok, *save = NULL;
	int kind = 0;

	memset(a, 0, sizeof(*a));
	a->request = request;
	if ((tok = strtok_r(line, " \t\n", &save)) == NULL)
		return -1;
	for (int k = 1; k <= ACT_KIND_MAX; k++)
		if (strcmp(tok, action_kind_name(k)) == 0)
			kind = k;
	if (kind == 0) {
		fprintf(stderr, "action_drive: unknown kind '%s'\n", tok);
		return -1;
	}
	a->kind = (uint8_t)kind;
	while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL) {
		char *v = strchr(tok, '=');
		int bad = 0;

		if (v == NULL) {
			fprintf(stderr, "action_drive: '%s' is not key=value\n", tok);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(tok, "request") == 0)
			a->request = strtoull(v, NULL, 10);
		else if (strcmp(tok, "time") == 0)
			a->time = strtoll(v, NULL, 10);
		else if (strcmp(tok, "consent") == 0)
			a->consent = (uint8_t)atoi(v);
		else if (strcmp(tok, "mask") == 0)
			a->mask = (uint8_t)atoi(v);
		else if (strcmp(tok, "language") == 0)
			a->language = strcmp(v, "en") == 0 ? 1 : (uint8_t)atoi(v);
		else if (strcmp(tok, "flags") == 0)
			a->flags = (uint8_t)atoi(v);
		else if (strcmp(tok, "event") == 0)
			bad = set_str(a->event, sizeof(a->event), v);
		else if (strcmp(tok, "user") == 0)
			bad = set_str(a->user, sizeof(a->user), v);
		else if (strcmp(tok, "reply") == 0)
			bad = set_str(a->reply, sizeof(a->reply), v);
		else if (strcmp(tok, "code") == 0)
			bad = set_str(a->code, sizeof(a->code), v);
		else if (strcmp(tok, "token") == 0)
			bad = set_str(a->token, sizeof(a->token), v);
		else if (strcmp(tok, "address") == 0)
			bad = set_str(a->address, sizeof(a->address), v);
		else if (strcmp(tok, "client") == 0)
			bad = set_str(a->client, sizeof(a->client), v);
		else
			bad = -1;
		if (bad) {
			fprintf(stderr, "action_drive: bad field %s\n", tok);
			return -1;
		}
	}
	return 0;
}

static void
print_answer(const struct action_answer *r)
{
	static const char *const contact[] = { "none", "active", "withdrawn" };
	char st[32];

	snprintf(st, sizeof(st), "%s", action_status_name(r->status));
	for (char *p = st; *p; p++)
		if (*p == ' ')
			*p = '-';
	printf("%llu %s %s %u %s\n", (unsigned long long)r->request, st,
	    r->contact <= 2 ? contact[r->contact] : "?", r->consent,
	    r->language == 1 ? "en" : "ja");
}

static int
drive(const char *ep, char **lines, size_t n, long timeout)
{
	void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
	struct action_answer *ans = calloc(n, sizeof(*ans));
	uint8_t buf[ACT_FRAME_MAX];
	int zero = 0, rc = 0;
	size_t got = 0;

	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(sock, ep) != 0) {
		fprintf(stderr, "action_drive: %s: %s\n", ep, zmq_strerror(errno));
		return 69;
	}
	for (size_t i = 0; i < n; i++) {
		struct action a;
		size_t len;

		if (parse_action(lines[i], &a, i + 1) != 0)
			return 64;
		if ((len = action_encode(&a, buf, sizeof(buf))) == 0) {
			fprintf(stderr, "action_drive: action %zu does not encode\n",
			    i + 1);
			return 64;
		}
		zmq_send(sock, buf, len, 0);
	}
	while (got < n) {
		zmq_pollitem_t pi = { sock, 0, ZMQ_POLLIN, 0 };
		struct action_answer r;
		int len;

		if (zmq_poll(&pi, 1, timeout * 1000) <= 0) {
			fprintf(stderr, "action_drive: %zu of %zu answers came in "
			    "%ld s\n", got, n, timeout);
			rc = 75;
			break;
		}
		len = zmq_recv(sock, buf, sizeof(buf), 0);
		if (len < 0 || action_answer_decode(buf, (size_t)len, &r) != 0 ||
		    r.request == 0 || r.request > n) {
			fprintf(stderr, "action_drive: an answer that does not "
			    "decode or answers nothing sent (%d bytes)\n", len);
			rc = 70;
			continue;
		}
		ans[r.request - 1] = r;
		got++;
	}
	for (size_t i = 0; i < n; i++)
		if (ans[i].request != 0)
			print_answer(&ans[i]);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	free(ans);
	return rc;
}

static int
open_store(const char *db, struct store **s, MDB_txn **txn)
{
	char err[512];

	if (store_open(db, STORE_WRITE, s, err, sizeof(err)) != 0) {
		fprintf(stderr, "action_drive: %s\n", err);
		return -1;
	}
	if (mdb_txn_begin(store_env(*s), NULL, 0, txn) != 0) {
		store_close(*s);
		return -1;
	}
	return 0;
}

static int
put_code(char **av, int ac)
{
	char path[1200], norm[CODE_LEN + 1], err[1400];
	uint8_t *key = NULL, raw[32], hash[CODE_HASH_LEN], rec[CODE_RECORD_LEN];
	struct code_record c;
	struct store *s;
	MDB_txn *txn;
	MDB_val kv = { sizeof(hash), hash }, vv = { sizeof(rec), rec };
	int rc;

	memset(&c, 0, sizeof(c));
	if (ac < 4 || code_normalize(av[1], norm) != 0 ||
	    hex32(av[2], c.resident) != 0 ||
	    date_parse(av[3], strlen(av[3]), &c.expires) != 0) {
		fprintf(stderr, "usage: action_drive --put-code DB CODE PSEUDO "
		    "EXPIRES [used]\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/%s", av[0], CODE_KEY_FILE);
	if (secret_load(path, &key, err, sizeof(err)) == -ENOENT) {
		randombytes_buf(raw, sizeof(raw));
		if (secret_write(path, raw, sizeof(raw)) != 0)
			return 73;
		rc = secret_load(path, &key, err, sizeof(err));
	}
	if (key == NULL) {
		fprintf(stderr, "action_drive: %s\n", err);
		return 66;
	}
	code_hash(key, norm, hash);
	c.state = ac > 4 && strcmp(av[4], "used") == 0 ? CODE_USED : CODE_UNUSED;
	c.issued = date_today_jst();
	code_record_encode(&c, rec);
	if (open_store(av[0], &s, &txn) != 0)
		return 74;
	rc = mdb_put(txn, store_dbi(s)->codes, &kv, &vv, 0);
	rc = rc ? rc : mdb_txn_commit(txn);
	store_close(s);
	sodium_free(key);
	if (rc != 0) {
		fprintf(stderr, "action_drive: %s: %s\n", av[0], mdb_strerror(rc));
		return 74;
	}
	return 0;
}

static int
manage_token(char **av, int ac)
{
	char path[1200], err[1400], text[TOKEN_TEXT_MAX];
	uint8_t *sk = NULL, *k;
	struct token t;

	memset(&t, 0, sizeof(t));
	if (ac < 5 || hex32(av[1], t.pseudo) != 0) {
		fprintf(stderr, "usage: action_drive --manage-token DB PSEUDO "
		    "CHANNEL ADDRESS EXPIRES_UNIX\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/contacts.sec", av[0]);
	if (secret_load(path, &sk, err, sizeof(err)) != 0) {
		fprintf(stderr, "action_drive: %s\n", err);
		return 66;
	}
	k = sodium_malloc(TOKEN_KEY_LEN);
	t.kind = TOKEN_MANAGE;
	t.channel = (uint8_t)atoi(av[2]);
	t.expires = strtoll(av[4], NULL, 10);
	token_key_derive(k, sk, TOKEN_KEY_ADDR_TAG);
	token_addr_tag(k, av[3], t.addr_tag);
	token_key_derive(k, sk, TOKEN_KEY_TOKENS);
	if (token_make(k, &t, text, sizeof(text)) == 0)
		return 70;
	puts(text);
	sodium_free(k);
	sodium_free(sk);
	return 0;
}

int
main(int argc, char **argv)
{
	static char *lines[MAX_ACTIONS];
	size_t n = 0;
	long timeout = 10;
	int i = 1;

	if (sodium_init() < 0)
		return 70;
	if (argc > 1 && strcmp(argv[1], "--put-code") == 0)
		return put_code(argv + 2, argc - 2);
	if (argc > 1 && strcmp(argv[1], "--manage-token") == 0)
		return manage_token(argv + 2, argc - 2);
	if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
		timeout = atol(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: action_drive [--timeout S] ENDPOINT "
		    "[ACTION...]\n");
		return 64;
	}
	for (int j = i + 1; j < argc && n < MAX_ACTIONS; j++)
		lines[n++] = argv[j];
	if (n == 0) {
		char buf[4096];

		while (n < MAX_ACTIONS && fgets(buf, sizeof(buf), stdin))
			if (buf[0] != '\n' && buf[0] != '#')
				lines[n++] = strdup(buf);
	}
	return drive(argv[i], lines, n, timeout);
}
