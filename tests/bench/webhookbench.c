/* webhookbench.c - bench driver and baseline for residents' actions
 * SPDX-License-Identifier: MIT
 *
 *   webhookbench post URL SECRET_FILE USERS_FILE N [CONCURRENCY]
 *       N LINE webhooks, one postback event per body as LINE sends a
 *       one-to-one chat's events, POSTed to URL (the gateway's
 *       /line/webhook) with libcurl multi, CONCURRENCY (default 16) at a
 *       time on keep-alive connections.  USERS_FILE has a line "UID C"
 *       per linked LINE user: its user id and the categories (0..7) its
 *       contact holds now.  Each event is `cat=D` for the next user in
 *       turn with no event in flight, D = its categories + 1 mod 8, so
 *       that every event is a real change (a consent record sealed) and
 *       a user's events are applied in the order they were made.  Each
 *       body has a fresh webhookEventId (ULID) and replyToken, and is
 *       signed (X-Line-Signature: base64 HMAC-SHA256 of the body, the
 *       secret's text as the key); bodies are built and signed while the
 *       clock runs (the webhook's sender does that too).  The clock runs
 *       from the first request to the last answer.  Prints one line:
 *         events=N seconds=T rate=R ok=K other=M
 *       (ok: answered 200; other: any other answer or none).
 *   webhookbench lmdb DIR N USERS
 *       The baseline: N durable LMDB write transactions in a fresh
 *       environment in DIR, committed one by one, each putting what one
 *       event puts: its event id (26 bytes -> 8 bytes of time, into
 *       "events", MDB_NOOVERWRITE) and a contact record of a LINE
 *       contact's size (33-byte key -> store_contact_encode's record,
 *       into "contacts") for one of USERS contacts, all put beforehand
 *       (not timed) so that these are rewrites as the queue's are.
 *       Prints the seconds.
 * Not part of the product: `make bench` (tests/bench/webhook.sh) runs it.
 */
#include "store.h"

#include <curl/curl.h>
#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define UID_LEN 33		/* "U" and 32 hex digits */
#define BODY_MAX 1024
#define SECRET_MAX 256
#define SLOTS_MAX 256
#define LINE_CT_LEN (UID_LEN + 16)	/* a sealed LINE user id */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "webhookbench: %s\n", what);
	exit(1);
}

/* A ULID: 48 bits of Unix milliseconds and 80 random bits, 26 characters
 * of Crockford's base32. */
static void
ulid(char out[27])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct timespec ts;
	uint8_t b[16];
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(ms >> (8 * (5 - i)));
	randombytes_buf(b + 6, 10);
	for (int k = 0; k < 26; k++) {	/* 130 bits, 2 leading zeros */
		unsigned v = 0;

		for (int bit = 5 * k - 2; bit < 5 * k + 3; bit++)
			v = v << 1 | (bit < 0 ? 0u :
			    (unsigned)(b[bit / 8] >> (7 - bit % 8)) & 1u);
		out[k] = b32[v];
	}
	out[26] = '\0';
}

/* ---- post ------------------------------------------------------------------ */

struct user {
	char id[UID_LEN + 1];
	unsigned cat;
	int busy;
};

struct users {
	struct user *u;
	size_t n, next;
};

struct slot {
	CURL *c;
	struct curl_slist *h;
	struct user *u;
	char body[BODY_MAX];
};

struct run {
	CURLM *m;
	const char *url;
	uint8_t *secret;
	size_t secret_len;
	struct users us;
	struct slot slot[SLOTS_MAX];
	long n, made, ok, other;
};

static void
read_secret(struct run *r, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		die("cannot open the secret file");
	if ((r->secret = sodium_malloc(SECRET_MAX + 1)) == NULL)
		die("sodium_malloc failed");
	n = fread(r->secret, 1, SECRET_MAX + 1, f);
	fclose(f);
	while (n > 0 && (r->secret[n - 1] == '\n' || r->secret[n - 1] == '\r'))
		n--;
	if (n == 0 || n > SECRET_MAX)
		die("the secret file is empty or too long");
	r->secret_len = n;
}

static void
read_users(struct users *us, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[128], id[UID_LEN + 8];
	size_t cap = 0;
	unsigned cat;

	if (f == NULL)
		die("cannot open the users file");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%40s %u", id, &cat) != 2 ||
		    strlen(id) != UID_LEN || id[0] != 'U' || cat > 7)
			die("a users line is not 'UID CATEGORIES'");
		if (us->n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((us->u = realloc(us->u, cap * sizeof(*us->u))) == NULL)
				die("out of memory");
		}
		memcpy(us->u[us->n].id, id, UID_LEN + 1);
		us->u[us->n].cat = cat;
		us->u[us->n].busy = 0;
		us->n++;
	}
	fclose(f);
	if (us->n == 0)
		die("no users");
}

/* The next user in turn with no event in flight (there are more users
 * than slots). */
static struct user *
next_user(struct users *us)
{
	for (;;) {
		struct user *u = &us->u[us->next];

		us->next = (us->next + 1) % us->n;
		if (!u->busy)
			return u;
	}
}

static void
sign(const struct run *r, const char *body, size_t len, char out[64])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, r->secret, r->secret_len);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, 64, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
}

/* The webhook body LINE sends for a postback, into s->body. */
static int
make_body(struct slot *s, const struct user *u, unsigned cat)
{
	char eid[27], tok[33];
	uint8_t t[16];
	struct timespec ts;
	int n;

	ulid(eid);
	randombytes_buf(t, sizeof(t));
	sodium_bin2hex(tok, sizeof(tok), t, sizeof(t));
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(s->body, sizeof(s->body),
	    "{\"destination\":\"U0123456789abcdef0123456789abcdef\","
	    "\"events\":[{\"type\":\"postback\",\"mode\":\"active\","
	    "\"timestamp\":%lld,\"source\":{\"type\":\"user\",\"userId\":\"%s\"},"
	    "\"webhookEventId\":\"%s\",\"deliveryContext\":{\"isRedelivery\":false},"
	    "\"replyToken\":\"%s\",\"postback\":{\"data\":\"cat=%u\"}}]}",
	    (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, u->id, eid,
	    tok, cat);
	return n > 0 && (size_t)n < sizeof(s->body) ? n : -1;
}

/* Start the next event on slot s. */
static void
start(struct run *r, struct slot *s)
{
	char sig[64], hdr[96];
	unsigned cat;
	int len;

	s->u = next_user(&r->us);
	s->u->busy = 1;
	cat = (s->u->cat + 1) % 8;
	if ((len = make_body(s, s->u, cat)) < 0)
		die("a body does not fit");
	s->u->cat = cat;
	sign(r, s->body, (size_t)len, sig);
	curl_slist_free_all(s->h);
	snprintf(hdr, sizeof(hdr), "X-Line-Signature: %s", sig);
	s->h = curl_slist_append(NULL, "Content-Type: application/json");
	s->h = curl_slist_append(s->h, "User-Agent: LineBotWebhook/2.0");
	s->h = curl_slist_append(s->h, hdr);
	if (s->h == NULL)
		die("out of memory");
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->h);
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDSIZE, (long)len);
	if (curl_multi_add_handle(r->m, s->c) != CURLM_OK)
		die("curl_multi_add_handle failed");
	r->made++;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void
slot_init(struct run *r, struct slot *s)
{
	if ((s->c = curl_easy_init()) == NULL)
		die("curl_easy_init failed");
	curl_easy_setopt(s->c, CURLOPT_URL, r->url);
	curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, s);
}

/* Count what finished and start the next events on the slots freed. */
static void
reap(struct run *r)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(r->m, &left)) != NULL) {
		struct slot *s;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			r->ok++;
		else
			r->other++;
		s->u->busy = 0;
		curl_multi_remove_handle(r->m, s->c);
		if (r->made < r->n)
			start(r, s);
	}
}

static int
cmd_post(int argc, char **argv)
{
	static struct run r;
	long conc = argc > 6 ? strtol(argv[6], NULL, 10) : 16;
	double t0, t;
	int running;

	if (argc < 6)
		return 2;
	r.url = argv[2];
	r.n = strtol(argv[5], NULL, 10);
	if (r.n < 1 || conc < 1 || conc > SLOTS_MAX)
		die("N and CONCURRENCY (1..256) must be positive");
	read_secret(&r, argv[3]);
	read_users(&r.us, argv[4]);
	if ((size_t)conc * 2 > r.us.n)
		die("fewer than twice CONCURRENCY users");
	if ((r.m = curl_multi_init()) == NULL)
		die("curl_multi_init failed");
	curl_multi_setopt(r.m, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
	for (long i = 0; i < conc; i++)
		slot_init(&r, &r.slot[i]);
	t0 = mono();
	for (long i = 0; i < conc && r.made < r.n; i++)
		start(&r, &r.slot[i]);
	do {
		if (curl_multi_perform(r.m, &running) != CURLM_OK ||
		    curl_multi_poll(r.m, NULL, 0, 1000, NULL) != CURLM_OK)
			die("curl_multi failed");
		reap(&r);
	} while (running > 0 || r.made < r.n);
	reap(&r);
	t = mono() - t0;
	printf("events=%ld seconds=%.3f rate=%.0f ok=%ld other=%ld\n", r.n, t,
	    (double)r.n / t, r.ok, r.other);
	return 0;
}

/* ---- lmdb ------------------------------------------------------------------ */

static void
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "webhookbench: %s: %s\n", what, mdb_strerror(rc));
		exit(1);
	}
}

/* A LINE contact's record, as the queue rewrites it, into buf. */
static size_t
contact_record(uint8_t *buf, size_t cap, unsigned cat)
{
	uint8_t nonce[STORE_NONCE_LEN], ct[LINE_CT_LEN];
	struct contact c;

	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(ct, sizeof(ct));
	memset(&c, 0, sizeof(c));
	c.consent = (uint8_t)cat;
	c.status = CONTACT_ACTIVE;
	c.source = CONTACT_SRC_LINE;
	c.changed = (int64_t)time(NULL);
	c.import_no = 1;
	c.nonce = nonce;
	c.ct = ct;
	c.ct_len = sizeof(ct);
	return store_contact_encode(&c, buf, cap);
}

static void
contact_key(uint8_t k[33], long user)
{
	crypto_generichash(k, 32, (const uint8_t *)&user, sizeof(user), NULL, 0);
	k[32] = 1;	/* CHANNEL_LINE */
}

/* The one-event transaction: put an event id and a contact record. */
static void
one_event(MDB_env *env, MDB_dbi ev, MDB_dbi co, long user, unsigned cat)
{
	uint8_t k[33], rec[256], t[8];
	char eid[27];
	MDB_val kv, vv;
	MDB_txn *txn;
	uint64_t now = (uint64_t)time(NULL);

	ulid(eid);
	memcpy(t, &now, sizeof(t));
	contact_key(k, user);
	check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
	kv.mv_data = eid, kv.mv_size = 26;
	vv.mv_data = t, vv.mv_size = sizeof(t);
	check(mdb_put(txn, ev, &kv, &vv, MDB_NOOVERWRITE), "put an event");
	kv.mv_data = k, kv.mv_size = sizeof(k);
	vv.mv_data = rec, vv.mv_size = contact_record(rec, sizeof(rec), cat);
	check(mdb_put(txn, co, &kv, &vv, 0), "put a contact");
	check(mdb_txn_commit(txn), "mdb_txn_commit");
}

static int
cmd_lmdb(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi ev, co;
	long n, users;
	double t0;

	if (argc != 5)
		return 2;
	n = strtol(argv[3], NULL, 10);
	users = strtol(argv[4], NULL, 10);
	if (n < 1 || users < 1)
		die("N and USERS must be positive");
	if (mkdir(argv[2], 0700) != 0 && errno != EEXIST)
		die("cannot make the directory");
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_mapsize(env, (size_t)1 << 30), "mdb_env_set_mapsize");
	check(mdb_env_set_maxdbs(env, 4), "mdb_env_set_maxdbs");
	check(mdb_env_open(env, argv[2], 0, 0600), "mdb_env_open");
	check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
	check(mdb_dbi_open(txn, "events", MDB_CREATE, &ev), "events");
	check(mdb_dbi_open(txn, "contacts", MDB_CREATE, &co), "contacts");
	for (long u = 0; u < users; u++) {	/* the contacts, not timed */
		uint8_t k[33], rec[256];
		MDB_val kv = { sizeof(k), k }, vv = { 0, rec };

		contact_key(k, u);
		vv.mv_size = contact_record(rec, sizeof(rec), 7);
		check(mdb_put(txn, co, &kv, &vv, 0), "put a contact");
	}
	check(mdb_txn_commit(txn), "mdb_txn_commit");
	t0 = mono();
	for (long i = 0; i < n; i++)
		one_event(env, ev, co, i % users, (unsigned)i % 8);
	printf("%.3f\n", mono() - t0);
	mdb_env_close(env);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc = 2;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("cannot initialise libsodium or libcurl");
	if (argc > 1 && strcmp(argv[1], "post") == 0)
		rc = cmd_post(argc, argv);
	else if (argc > 1 && strcmp(argv[1], "lmdb") == 0)
		rc = cmd_lmdb(argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: webhookbench post URL SECRET_FILE "
		    "USERS_FILE N [CONCURRENCY]\n"
		    "       webhookbench lmdb DIR N USERS\n");
	return rc;
}
