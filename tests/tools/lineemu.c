/* lineemu.c - oshirase line-emulator: the LINE Messaging API push endpoints
 * on loopback, for tests
 * SPDX-License-Identifier: MIT
 *
 * A real HTTP/1.1 server (libmicrohttpd, a pool of epoll threads) on
 * 127.0.0.1 that answers the way LINE's Messaging API reference documents
 * push, multicast, retry keys, rate limits and the monthly quota, so that
 * the senders can be tested against it with their real HTTP client,
 * faults included.
 *
 * What it owns: its listening socket, the files named by --record and
 * --port-file (appended / replaced), and in memory the retry keys, the
 * month's usage, the rate limiters and the counters.  What it never
 * touches: the store, the keys, the config, the network beyond
 * 127.0.0.1.  It reads --token-file, --blocked and --known once at start.
 * It logs request ids and counts, never the token or message texts (the
 * texts go only to the record, which is the point of it).
 *
 * Options (GNU style, any order):
 *   --token-file FILE   the channel access token (required): the file's
 *                       content without a trailing newline
 *   --port N            port on 127.0.0.1; 0 (default) picks a free one
 *   --port-file FILE    also write the port there (atomically, by rename)
 *   --record FILE       append one line per delivery (format below)
 *   --blocked FILE      user ids that blocked the account, one a line
 *   --known FILE        the only user ids that exist, one a line; without
 *                       it every well-formed id exists
 *   --quota N           monthly limit (GET quota says "limited"); without
 *                       it there is none
 *   --month-usage K     usage already spent this month (default 0)
 *   --rate N            push requests per second (default 2000)
 *   --fail-rate P       share of push/multicast requests answered 500
 *   --drop-rate P       share of API requests whose connection is closed
 *                       without an answer (before any processing)
 *   --lost-response-rate P  share of accepted push/multicast requests
 *                       whose answer is lost: accepted, recorded, key
 *                       used, then the connection closed
 *   --latency-ms N      delay added to every API request
 *   --fault-seed N      seed of the fault draws (default: random)
 *   --retry-key-ttl S   how long an accepted retry key is kept (86400)
 *   --threads N         server threads (default 4)
 *   -v                  log every request (id, endpoint, status)
 * Files of user ids: one "U" + 32 lowercase hex digits a line; empty lines
 * and lines starting with '#' are skipped; anything else exits 65.
 *
 * Endpoints (LINE's, all with "Authorization: Bearer TOKEN"):
 *   POST /v2/bot/message/push        200 {"sentMessages":[{id,quoteToken}]}
 *   POST /v2/bot/message/multicast   200 {}
 *   GET  /v2/bot/message/quota       {"type":"limited","value":N} / none
 *   GET  /v2/bot/message/quota/consumption   {"totalUsage":K}
 * and the emulator's own (no token, no faults, not rate limited):
 *   GET  /emulator/stats     {"requests","accepted","delivered","blocked",
 *                            "duplicates_409","rate_limited",
 *                            "quota_exceeded","faults","dropped",
 *                            "lost_responses","record_errors"}
 *   GET  /emulator/faults    the fault settings now in force
 *   POST /emulator/faults    change them: a JSON object with any of
 *                            fail_rate, drop_rate, lost_response_rate
 *                            (0..1), latency_ms (0..600000), status
 *                            (0 or 400..599), status_message (string),
 *                            status_count (K >= 0): the next K push or
 *                            multicast requests are answered `status`
 *                            with {"message": status_message} (default:
 *                            LINE's message for that status); status
 *                            without status_count means K = 1.  All
 *                            fields are checked before any is applied;
 *                            the answer is the new settings.
 *
 * Record (--record): one JSON object a line, appended and flushed under
 * the emulator's one mutex before the 200 is sent, so a client that got
 * 200 can count lines.  Push writes one line; multicast one per recipient,
 * all with the request's id:
 *   {"v":1,"request_id":"<uuid>","endpoint":"push"|"multicast",
 *    "retry_key":"<uuid>"|null,"to":"U...","messages":["text",...],
 *    "delivered":true|false}
 * "delivered" is false for a blocked user (LINE answers 200 but sends
 * nothing and counts nothing).  Only accepted (200) requests are recorded.
 * To change the format, add fields at the end and keep "v"; renaming or
 * removing one means LINEEMU_RECORD_VERSION + 1.
 *
 * The order of checks for push and multicast:
 *   latency, drop, rate limit (429; every request counts, retries too),
 *   an injected status or --fail-rate (500), token (401), retry key on
 *   another endpoint or malformed (400), Content-Type (415), size (413),
 *   retry key already accepted (409), JSON syntax (400), body (400 with
 *   details), unknown user (400), then under the mutex: the retry key
 *   again (so two concurrent requests with one key are accepted once),
 *   monthly quota (429), the record (500 if it cannot be written), and
 *   acceptance.  A request refused at any step uses nothing: no key, no
 *   quota, no record.
 *
 * Choices where LINE documents nothing (assumptions):
 *   - A retry key must be a canonical lowercase 8-4-4-4-12 UUID (version
 *     and variant bits are not checked); anything else is 400 "The retry
 *     key is invalid: it must be a lowercase UUID".  A retry key on the
 *     quota endpoints is 400 "The retry key is not supported for this
 *     endpoint".  Keys are one table for push and multicast; a key
 *     accepted on one is 409 on the other; same key with another body is
 *     409 anyway (checked before the body is parsed).  The 24 hours run
 *     from acceptance.
 *   - 2 MB means 2 MiB (2,097,152 bytes); a larger body is read and thrown
 *     away, then answered 413 {"message":"Request entity too large"}.
 *   - Content-Type must be application/json, parameters (charset) allowed;
 *     415 says "The content type, X, is not supported" (X empty if absent).
 *   - 401 messages: "Authentication failed due to the following reason:
 *     no token. ..." or "... invalid token. ..." (the token compared in
 *     constant time).
 *   - Validation messages are the emulator's wording: "May not be empty",
 *     "Must be a string", "Size must be between 1 and 5", "Length must be
 *     at most 5000 UTF-16 code units", "Invalid user ID: ...", etc.  Only
 *     text messages are emulated; LINE's other types are refused as
 *     unsupported.  "to" must be a user id (U...), not a group or room.
 *     Unknown top-level fields are ignored.  A body that is JSON but not
 *     an object is a parse error at line 1, column 1.
 *   - A blocked user counts as existing even when --known omits it.
 *     Multicast with any unknown id is 400 "Failed to send messages";
 *     recipients are not de-duplicated.
 *   - The quota is all or nothing: a request whose deliverable recipients
 *     would take totalUsage over the quota is refused whole (429); a push
 *     to a blocked user uses nothing, so it is never refused for quota.
 *     Usage restarts at 0 when the month changes in Japan (UTC+9).
 *   - Rate limits are GCRA per endpoint: emission interval T = 1/r and a
 *     burst of B = max(1, r/10) requests (tolerance (B-1)T).  A client
 *     sending evenly below r never sees 429; above r it does once the
 *     excess has used the burst (at 2,500/s against 2,000/s: after about
 *     0.4 s).  Refused requests do not advance the limiter.  Multicast is
 *     200/s, the quota endpoints 2,000/s each.
 *   - --fail-rate and injected statuses apply to push and multicast;
 *     --drop-rate and the latency to every LINE endpoint; none to
 *     /emulator/.  The latency suspends the connection (a timer thread
 *     resumes it) and blocks no server thread.  With --fault-seed the
 *     draws are one sequence, reproducible as far as requests arrive in
 *     the same order.
 *   - --lost-response-rate is the emulator's own: the answer to an
 *     accepted request is lost, as when a client times out after LINE
 *     accepted, the case retry keys are for.
 *   - Unknown paths are 404 {"message":"Not found"}, a wrong method 405.
 *   - Message ids are 18 decimal digits from a counter; a quoteToken is a
 *     keyed hash of the id (base64url), so a 409 repeats the original's.
 */
#include <sodium.h>
#include "dates.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINEEMU_RECORD_VERSION 1
#define LE_MAX_BODY (2u * 1024 * 1024)
#define LE_MAX_MESSAGES 5
#define LE_MAX_TEXT_UNITS 5000
#define LE_MAX_MULTICAST 500
#define LE_UUID_LEN 36
#define LE_UID_LEN 33		/* "U" + 32 hex digits */
#define LE_MSG_MAX 256		/* an injected status message */
#define LE_NS 1000000000LL

static const char MSG_RATE[] =
    "The API rate limit has been exceeded. Try again later.";
static const char MSG_MONTHLY[] = "You have reached your monthly limit.";
static const char MSG_INTERNAL[] = "Internal server error";
static const char MSG_AUTH_PREFIX[] =
    "Authentication failed due to the following reason: ";
static const char MSG_AUTH_TAIL[] =
    " Confirm that the access token in the authorization header is valid.";
static const char MSG_FAILED[] = "Failed to send messages";
static const char MSG_RETRY_ACCEPTED[] = "The retry key is already accepted";

enum ep {
	EP_PUSH, EP_MULTICAST, EP_QUOTA, EP_CONSUMPTION,	/* rate limited */
	EP_NLIMITED,
	EP_STATS = EP_NLIMITED, EP_FAULTS_GET, EP_FAULTS_SET,
	EP_NOT_FOUND, EP_BAD_METHOD
};

static const struct {
	const char *method, *path;
	enum ep ep;
} routes[] = {
	{ "POST", "/v2/bot/message/push", EP_PUSH },
	{ "POST", "/v2/bot/message/multicast", EP_MULTICAST },
	{ "GET", "/v2/bot/message/quota", EP_QUOTA },
	{ "GET", "/v2/bot/message/quota/consumption", EP_CONSUMPTION },
	{ "GET", "/emulator/stats", EP_STATS },
	{ "GET", "/emulator/faults", EP_FAULTS_GET },
	{ "POST", "/emulator/faults", EP_FAULTS_SET },
};

static const char *const ep_names[] = {
	"push", "multicast", "quota", "consumption", "stats", "faults",
	"faults", "not-found", "bad-method"
};

struct faults {
	double fail_rate, drop_rate, lost_rate;
	unsigned latency_ms;
	unsigned status, status_count;
	char status_message[LE_MSG_MAX];	/* "" = LINE's for the status */
};

/* GCRA: a request at t conforms if t >= tat - tau; then tat = max(t, tat) + t_ns. */
struct gcra {
	int64_t tat, t_ns, tau;
};

/* Sorted 16-byte user ids. */
struct userset {
	uint8_t (*ids)[16];
	size_t n;
};

struct keyent {
	uint8_t key[16];
	char req_id[LE_UUID_LEN + 1];	/* x-line-request-id of the accepted one */
	uint64_t first_id;		/* its message ids: first_id .. + n - 1 */
	int64_t at;			/* accepted, monotonic ns */
	uint8_t n, used;
	uint8_t ep;
};

/* Open addressing, linear probing; expired entries are reused in place. */
struct keytab {
	struct keyent *e;
	size_t cap, used;		/* used: slots ever filled since the last rehash */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

struct stats {
	uint64_t requests, accepted, delivered, blocked, dup409, rate_limited;
	uint64_t quota_exceeded, faults, dropped, lost, record_errors;
};

struct delay {
	int64_t due;
	struct MHD_Connection *conn;
};

/* Suspended connections waiting out --latency-ms: a min-heap by due time. */
struct timer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct delay *heap;
	size_t n, cap;
	int stopping;
	pthread_t thread;
};

struct emu {
	pthread_mutex_t mu;		/* guards everything up to "immutable" */
	struct faults f;
	uint64_t rng;
	struct gcra lim[EP_NLIMITED];
	struct keytab keys;
	struct stats st;
	uint64_t next_msg_id;
	long long quota;		/* -1: none */
	uint64_t usage;
	int usage_month;
	FILE *record;

	/* immutable once the server runs */
	char *token;			/* sodium_malloc'ed */
	size_t token_len;
	struct userset blocked, known;
	int have_known;
	int64_t key_ttl;
	uint8_t qt_key[crypto_generichash_KEYBYTES];
	struct timer tm;
};

struct req {
	enum ep ep;
	int counted;			/* latency and counters done */
	int too_big;
	char id[LE_UUID_LEN + 1];
	char *body;
	size_t len, cap;
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LE_NS + ts.tv_nsec;
}

/* The month in Japan (UTC+9, no daylight saving) as year * 12 + month. */
static int
jst_month(void)
{
	struct tm tm;

	date_tm_jst(time(NULL), &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* A new month in Japan starts the usage from 0; called with e->mu held. */
static void
usage_roll_locked(struct emu *e)
{
	int month = jst_month();

	if (month != e->usage_month) {
		e->usage_month = month;
		e->usage = 0;
	}
}

/* splitmix64: the fault draws; called with e->mu held. */
static double
draw(struct emu *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

static int
chance(struct emu *e, double p)
{
	return p > 0 && draw(e) < p;
}

/* A random (version 4) UUID. */
static void
uuid_new(char out[LE_UUID_LEN + 1])
{
	uint8_t b[16];

	util_uuid4(b);
	util_uuid_text(b, out);
}

/* "U" + 32 lowercase hex digits, as 16 bytes: 0 or -1. */
static int
uid_parse(const char *s, size_t len, uint8_t out[16])
{
	if (len != LE_UID_LEN || s[0] != 'U')
		return -1;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return hex_decode(s + 1, 32, out, 16);
}

static void
quote_token(const struct emu *e, uint64_t id, char *out, size_t outlen)
{
	uint8_t in[8], h[24];

	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(id >> (8 * i));
	crypto_generichash(h, sizeof(h), in, sizeof(in), e->qt_key,
	    sizeof(e->qt_key));
	sodium_bin2base64(out, outlen, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* 1 if a request at now conforms (and is counted); called with e->mu held. */
static int
gcra_allow_locked(struct gcra *g, int64_t now)
{
	int64_t tat = g->tat > now ? g->tat : now;

	if (tat - g->tau > now)
		return 0;
	g->tat = tat + g->t_ns;
	return 1;
}

static void
gcra_init(struct gcra *g, unsigned rate)
{
	unsigned burst = rate / 10 > 0 ? rate / 10 : 1;

	g->t_ns = LE_NS / rate;
	g->tau = (int64_t)(burst - 1) * g->t_ns;
	g->tat = 0;
}

/* ---- user id sets ------------------------------------------------------ */

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Read FILE into *set.  0, or an exit status after a message. */
static int
userset_load(struct userset *set, const char *path, const char *option)
{
	size_t len, cap = 0, lineno = 0;
	char *buf, *p, *end;

	if ((buf = file_read_all(path, &len)) == NULL) {
		log_warn("line-emulator: %s %s", option, path);
		return EXIT_NOINPUT;
	}
	set->ids = NULL;
	set->n = 0;
	for (p = buf, end = buf + len; p < end; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && p[0] != '#') {
			if (set->n == cap) {
				cap = cap ? cap * 2 : 256;
				set->ids = xrealloc(set->ids, cap * 16);
			}
			if (uid_parse(p, n, set->ids[set->n]) < 0) {
				log_warnx("line-emulator: %s:%zu: not a user id "
				    "(U and 32 lowercase hex digits)", path, lineno);
				free(buf);
				free(set->ids);
				set->ids = NULL;
				return EXIT_DATAERR;
			}
			set->n++;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(buf);
	if (set->n > 0)
		qsort(set->ids, set->n, 16, id_cmp);
	return 0;
}

static int
userset_has(const struct userset *set, const uint8_t id[16])
{
	return set->n > 0 &&
	    bsearch(id, set->ids, set->n, 16, id_cmp) != NULL;
}

/* ---- retry keys ---------------------------------------------------------- */

static size_t
keytab_slot(const struct keytab *kt, const uint8_t key[16])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, 16, kt->hkey);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return (size_t)(v & (kt->cap - 1));
}

static int
keyent_live(const struct keyent *k, int64_t now, int64_t ttl)
{
	return k->used && now - k->at < ttl;
}

/* The live entry of key, or NULL.  The first entry of a key in its probe
 * sequence is always the newest (keytab_put writes there). */
static const struct keyent *
keytab_get(const struct keytab *kt, const uint8_t key[16], int64_t now,
    int64_t ttl)
{
	if (kt->cap == 0)
		return NULL;
	for (size_t i = keytab_slot(kt, key);; i = (i + 1) & (kt->cap - 1)) {
		const struct keyent *k = &kt->e[i];

		if (!k->used)
			return NULL;
		if (memcmp(k->key, key, 16) == 0)
			return keyent_live(k, now, ttl) ? k : NULL;
	}
}

static void keytab_put(struct keytab *, const struct keyent *, int64_t, int64_t);

/* Rebuild with the live entries only, at least four slots per entry. */
static void
keytab_rehash(struct keytab *kt, int64_t now, int64_t ttl)
{
	struct keyent *old = kt->e;
	size_t oldcap = kt->cap, live = 0, cap = 64;

	for (size_t i = 0; i < oldcap; i++)
		live += keyent_live(&old[i], now, ttl);
	while (cap < live * 4)
		cap *= 2;
	kt->e = xcalloc(cap, sizeof(*kt->e));
	kt->cap = cap;
	kt->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (keyent_live(&old[i], now, ttl))
			keytab_put(kt, &old[i], now, ttl);
	free(old);
}

/* Insert ent (its key not live in the table). */
static void
keytab_put(struct keytab *kt, const struct keyent *ent, int64_t now,
    int64_t ttl)
{
	struct keyent *reuse = NULL;

	if ((kt->used + 1) * 2 > kt->cap)
		keytab_rehash(kt, now, ttl);
	for (size_t i = keytab_slot(kt, ent->key);; i = (i + 1) & (kt->cap - 1)) {
		struct keyent *k = &kt->e[i];

		if (!k->used) {
			if (reuse == NULL) {
				reuse = k;
				kt->used++;
			}
			break;
		}
		if (memcmp(k->key, ent->key, 16) == 0) {
			if (reuse == NULL)
				reuse = k;
			break;
		}
		if (reuse == NULL && !keyent_live(k, now, ttl))
			reuse = k;
	}
	*reuse = *ent;
	reuse->used = 1;
}

/* ---- the latency timer ---------------------------------------------------- */

static void
heap_push(struct timer *t, struct delay d)
{
	size_t i;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->heap = xrealloc(t->heap, t->cap * sizeof(*t->heap));
	}
	for (i = t->n++; i > 0 && t->heap[(i - 1) / 2].due > d.due; i = (i - 1) / 2)
		t->heap[i] = t->heap[(i - 1) / 2];
	t->heap[i] = d;
}

static struct delay
heap_pop(struct timer *t)
{
	struct delay top = t->heap[0], last = t->heap[--t->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < t->n) {
		if (c + 1 < t->n && t->heap[c + 1].due < t->heap[c].due)
			c++;
		if (t->heap[c].due >= last.due)
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	t->heap[i] = last;
	return top;
}

static void *
timer_main(void *arg)
{
	struct timer *t = arg;

	pthread_mutex_lock(&t->mu);
	while (!t->stopping) {
		struct timespec ts;
		int64_t due;

		if (t->n == 0) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		due = t->heap[0].due;
		if (due <= now_ns()) {
			MHD_resume_connection(heap_pop(t).conn);
			continue;
		}
		ts.tv_sec = (time_t)(due / LE_NS);
		ts.tv_nsec = (long)(due % LE_NS);
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	/* MHD_stop_daemon must not find a suspended connection. */
	while (t->n > 0)
		MHD_resume_connection(heap_pop(t).conn);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static int
timer_start(struct timer *t)
{
	pthread_condattr_t ca;
	int rc;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&t->thread, NULL, timer_main, t)) != 0) {
		errno = rc;
		log_warn("line-emulator: timer thread");
		return -1;
	}
	return 0;
}

/* Resume every waiting connection and end the thread; later delays are
 * refused, so their requests go on at once. */
static void
timer_stop(struct timer *t)
{
	pthread_mutex_lock(&t->mu);
	t->stopping = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	free(t->heap);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}

/* Suspend conn for ms milliseconds: 1, or 0 when stopping (go on now).
 * Suspending under t->mu means the timer cannot resume it first. */
static int
timer_delay(struct timer *t, struct MHD_Connection *conn, unsigned ms)
{
	struct delay d = { now_ns() + (int64_t)ms * 1000000, conn };

	pthread_mutex_lock(&t->mu);
	if (t->stopping) {
		pthread_mutex_unlock(&t->mu);
		return 0;
	}
	MHD_suspend_connection(conn);
	heap_push(t, d);
	if (t->heap[0].conn == conn)
		pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 1;
}

/* ---- responses ------------------------------------------------------------ */

/* Queue status with body (a reference taken over; NULL = "{}"). */
static enum MHD_Result
reply(struct MHD_Connection *conn, const struct req *r, unsigned status,
    json_t *body, const char *accepted_id)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	if (text == NULL)
		text = xstrdup("{}");
	resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "x-line-request-id", r->id);
	if (accepted_id != NULL)
		MHD_add_response_header(resp, "x-line-accepted-request-id",
		    accepted_id);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	log_debug("line-emulator: %s %s -> %u", r->id, ep_names[r->ep], status);
	return ret;
}

static enum MHD_Result
reply_msg(struct MHD_Connection *conn, const struct req *r, unsigned status,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply(conn, r, status, json_pack("{s:s}", "message", msg), NULL);
}

static json_t *
sent_messages(const struct emu *e, uint64_t first, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		char id[24], qt[64];

		snprintf(id, sizeof(id), "%" PRIu64, first + i);
		quote_token(e, first + i, qt, sizeof(qt));
		json_array_append_new(a, json_pack("{s:s,s:s}", "id", id,
		    "quoteToken", qt));
	}
	return a;
}

static const char *
default_message(unsigned status)
{
	switch (status) {
	case 400:
		return MSG_FAILED;
	case 401:
		return "Authentication failed due to the following reason: "
		    "invalid token. Confirm that the access token in the "
		    "authorization header is valid.";
	case 403:
		return "Access to this API is not available for your account";
	case 409:
		return MSG_RETRY_ACCEPTED;
	case 413:
		return "Request entity too large";
	case 429:
		return MSG_RATE;
	case 500:
		return MSG_INTERNAL;
	default:
		return "Injected fault";
	}
}

/* ---- request bodies --------------------------------------------------------- */

static void
body_append(struct req *r, const char *data, size_t n)
{
	if (r->too_big || n > LE_MAX_BODY - r->len) {
		r->too_big = 1;		/* read on, keep nothing */
		return;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;

		while (cap < r->len + n)
			cap *= 2;
		r->body = xrealloc(r->body, cap);
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
}

static void
detail(json_t *details, const char *msg, const char *fmt, ...)
{
	char prop[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prop, sizeof(prop), fmt, ap);
	va_end(ap);
	json_array_append_new(details, json_pack("{s:s,s:s}", "message", msg,
	    "property", prop));
}

static void
check_user_id(json_t *details, const json_t *v, const char *prop)
{
	uint8_t id[16];

	if (v == NULL || json_is_null(v))
		detail(details, "May not be empty", "%s", prop);
	else if (!json_is_string(v))
		detail(details, "Must be a string", "%s", prop);
	else if (uid_parse(json_string_value(v), json_string_length(v), id) < 0)
		detail(details, "Invalid user ID: must be U followed by 32 "
		    "lowercase hexadecimal digits", "%s", prop);
}

static void
check_messages(json_t *details, const json_t *msgs)
{
	static const char *const other_types[] = { "image", "video", "audio",
	    "location", "sticker", "template", "imagemap", "flex" };
	size_t n;

	if (msgs == NULL || json_is_null(msgs)) {
		detail(details, "May not be empty", "messages");
		return;
	}
	if (!json_is_array(msgs)) {
		detail(details, "Must be an array", "messages");
		return;
	}
	n = json_array_size(msgs);
	if (n < 1 || n > LE_MAX_MESSAGES) {
		detail(details, "Size must be between 1 and 5", "messages");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(msgs, i), *type, *text;
		const char *ts;
		size_t k;

		if (!json_is_object(m)) {
			detail(details, "Must be an object", "messages[%zu]", i);
			continue;
		}
		type = json_object_get(m, "type");
		if (type == NULL || json_is_null(type)) {
			detail(details, "May not be empty", "messages[%zu].type", i);
			continue;
		}
		ts = json_is_string(type) ? json_string_value(type) : "";
		if (strcmp(ts, "text") != 0) {
			for (k = 0; k < sizeof(other_types) / sizeof(other_types[0]); k++)
				if (strcmp(ts, other_types[k]) == 0)
					break;
			detail(details, k < sizeof(other_types) / sizeof(other_types[0]) ?
			    "Not supported by the emulator: only text messages" :
			    "Must be one of the following values: [text, image, "
			    "video, audio, location, sticker, template, imagemap, "
			    "flex]", "messages[%zu].type", i);
			continue;
		}
		text = json_object_get(m, "text");
		if (text == NULL || json_is_null(text) ||
		    (json_is_string(text) && json_string_length(text) == 0))
			detail(details, "May not be empty", "messages[%zu].text", i);
		else if (!json_is_string(text))
			detail(details, "Must be a string", "messages[%zu].text", i);
		else if (util_utf16_units(json_string_value(text),
		    json_string_length(text)) > LE_MAX_TEXT_UNITS)
			detail(details, "Length must be at most 5000 UTF-16 code "
			    "units", "messages[%zu].text", i);
	}
}

static void
check_options(json_t *details, const json_t *root)
{
	const json_t *nd = json_object_get(root, "notificationDisabled");
	const json_t *cau = json_object_get(root, "customAggregationUnits");

	if (nd != NULL && !json_is_boolean(nd))
		detail(details, "Must be a boolean", "notificationDisabled");
	if (cau == NULL)
		return;
	if (!json_is_array(cau)) {
		detail(details, "Must be an array", "customAggregationUnits");
		return;
	}
	if (json_array_size(cau) > 1) {
		detail(details, "Size must be between 0 and 1",
		    "customAggregationUnits");
		return;
	}
	for (size_t i = 0; i < json_array_size(cau); i++) {
		const json_t *u = json_array_get(cau, i);
		const char *s = json_is_string(u) ? json_string_value(u) : "";
		size_t len = strlen(s), j;

		for (j = 0; j < len; j++)
			if (!(s[j] == '_' || (s[j] >= '0' && s[j] <= '9') ||
			    (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
				break;
		if (len < 1 || len > 30 || j < len)
			detail(details, "Must match ^[a-zA-Z0-9_]{1,30}$",
			    "customAggregationUnits[%zu]", i);
	}
}

/* The body's errors as a details array (empty when valid). */
static json_t *
validate(const json_t *root, enum ep ep)
{
	json_t *details = json_array();
	const json_t *to = json_object_get(root, "to");

	if (ep == EP_PUSH)
		check_user_id(details, to, "to");
	else if (to == NULL || json_is_null(to))
		detail(details, "May not be empty", "to");
	else if (!json_is_array(to))
		detail(details, "Must be an array", "to");
	else if (json_array_size(to) < 1 || json_array_size(to) > LE_MAX_MULTICAST)
		detail(details, "Size must be between 1 and 500", "to");
	else
		for (size_t i = 0; i < json_array_size(to); i++) {
			char prop[32];

			snprintf(prop, sizeof(prop), "to[%zu]", i);
			check_user_id(details, json_array_get(to, i), prop);
		}
	check_messages(details, json_object_get(root, "messages"));
	check_options(details, root);
	return details;
}

/* ---- the LINE endpoints ------------------------------------------------------ */

static enum MHD_Result
reply_409(struct emu *e, struct MHD_Connection *conn, const struct req *r,
    const struct keyent *k)
{
	json_t *body = json_pack("{s:s}", "message", MSG_RETRY_ACCEPTED);

	if (r->ep == EP_PUSH && k->ep == EP_PUSH)
		json_object_set_new(body, "sentMessages",
		    sent_messages(e, k->first_id, k->n));
	return reply(conn, r, 409, body, k->req_id);
}

/* The record lines of a request about to be accepted, one per recipient
 * (malloc'ed; "" without --record); their length in *len. */
static char *
record_lines(const struct emu *e, const struct req *r, const char *rk,
    json_t *const *to, size_t nto, const int *blocked, const json_t *msgs,
    size_t *len)
{
	json_t *texts;
	char *out = NULL;
	size_t cap = 0;

	*len = 0;
	if (e->record == NULL)
		return xstrdup("");
	texts = json_array();
	for (size_t i = 0; i < json_array_size(msgs); i++)
		json_array_append(texts, json_object_get(json_array_get(msgs, i),
		    "text"));
	for (size_t i = 0; i < nto; i++) {
		json_t *o = json_pack("{s:i,s:s,s:s,s:s?,s:O,s:O,s:b}",
		    "v", LINEEMU_RECORD_VERSION, "request_id", r->id,
		    "endpoint", ep_names[r->ep], "retry_key", rk,
		    "to", to[i], "messages", texts, "delivered", !blocked[i]);
		char *line = o != NULL ?
		    json_dumps(o, JSON_COMPACT) : NULL;
		size_t n;

		json_decref(o);
		if (line == NULL)
			fatalx("line-emulator: cannot format a record line");
		n = strlen(line);
		if (*len + n + 2 > cap) {
			cap = (*len + n + 2) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + *len, line, n);
		out[*len + n] = '\n';
		*len += n + 1;
		out[*len] = '\0';
		free(line);
	}
	json_decref(texts);
	return out;
}

/* Push or multicast with a valid body: the steps that need the mutex. */
static enum MHD_Result
accept_send(struct emu *e, struct MHD_Connection *conn, const struct req *r,
    const json_t *root, const char *rk, const uint8_t *key)
{
	json_t *to = json_object_get(root, "to");
	json_t *msgs = json_object_get(root, "messages");
	json_t *tov[LE_MAX_MULTICAST];
	int blocked[LE_MAX_MULTICAST];
	size_t nto, ndeliv = 0, reclen = 0;
	unsigned nmsg = (unsigned)json_array_size(msgs);
	struct keyent ent;
	uint64_t first = 0;
	char *rec;
	int64_t now;
	int lost;

	if (r->ep == EP_PUSH) {
		tov[0] = to;
		nto = 1;
	} else {
		nto = json_array_size(to);
		for (size_t i = 0; i < nto; i++)
			tov[i] = json_array_get(to, i);
	}
	for (size_t i = 0; i < nto; i++) {
		uint8_t id[16];

		uid_parse(json_string_value(tov[i]), json_string_length(tov[i]), id);
		blocked[i] = userset_has(&e->blocked, id);
		if (e->have_known && !blocked[i] && !userset_has(&e->known, id))
			return reply_msg(conn, r, 400, "%s", MSG_FAILED);
		ndeliv += !blocked[i];
	}
	rec = record_lines(e, r, rk, tov, nto, blocked, msgs, &reclen);

	pthread_mutex_lock(&e->mu);
	now = now_ns();
	if (key != NULL) {
		const struct keyent *k = keytab_get(&e->keys, key, now, e->key_ttl);

		if (k != NULL) {
			ent = *k;
			e->st.dup409++;
			pthread_mutex_unlock(&e->mu);
			free(rec);
			return reply_409(e, conn, r, &ent);
		}
	}
	usage_roll_locked(e);
	if (ndeliv > 0 && e->quota >= 0 &&
	    e->usage + ndeliv > (uint64_t)e->quota) {
		e->st.quota_exceeded++;
		pthread_mutex_unlock(&e->mu);
		free(rec);
		return reply_msg(conn, r, 429, "%s", MSG_MONTHLY);
	}
	if (reclen > 0 && (fwrite(rec, 1, reclen, e->record) != reclen ||
	    fflush(e->record) != 0)) {
		e->st.record_errors++;
		pthread_mutex_unlock(&e->mu);
		free(rec);
		log_warn("line-emulator: %s: cannot write the record", r->id);
		return reply_msg(conn, r, 500, "%s", MSG_INTERNAL);
	}
	if (r->ep == EP_PUSH) {
		first = e->next_msg_id;
		e->next_msg_id += nmsg;
	}
	if (key != NULL) {
		memset(&ent, 0, sizeof(ent));
		memcpy(ent.key, key, 16);
		memcpy(ent.req_id, r->id, sizeof(ent.req_id));
		ent.first_id = first;
		ent.at = now;
		ent.n = (uint8_t)(r->ep == EP_PUSH ? nmsg : 0);
		ent.ep = (uint8_t)r->ep;
		keytab_put(&e->keys, &ent, now, e->key_ttl);
	}
	e->usage += ndeliv;
	e->st.accepted++;
	e->st.delivered += ndeliv;
	e->st.blocked += nto - ndeliv;
	if ((lost = chance(e, e->f.lost_rate)))
		e->st.lost++;
	pthread_mutex_unlock(&e->mu);
	free(rec);

	if (lost)
		return MHD_NO;
	if (r->ep == EP_MULTICAST)
		return reply(conn, r, 200, json_object(), NULL);
	return reply(conn, r, 200, json_pack("{s:o}", "sentMessages",
	    sent_messages(e, first, nmsg)), NULL);
}

static int
content_type_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* 1 if the Authorization header carries the token. */
static int
authorized(const struct emu *e, struct MHD_Connection *conn, const char **why)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	size_t n;

	*why = "no token.";
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	*why = "invalid token.";
	return n == e->token_len && sodium_memcmp(h, e->token, n) == 0;
}

static enum MHD_Result
line_api(struct emu *e, struct MHD_Connection *conn, struct req *r)
{
	const char *rk, *why, *ct;
	unsigned status = 0;
	char smsg[LE_MSG_MAX] = "";
	uint8_t key[16];
	json_error_t jerr;
	json_t *root, *details;
	enum MHD_Result ret;
	int ok, sending = r->ep == EP_PUSH || r->ep == EP_MULTICAST;

	pthread_mutex_lock(&e->mu);
	if (!(ok = gcra_allow_locked(&e->lim[r->ep], now_ns())))
		e->st.rate_limited++;
	else if (sending && e->f.status_count > 0) {
		e->f.status_count--;
		status = e->f.status;
		memcpy(smsg, e->f.status_message, sizeof(smsg));
		e->st.faults++;
	} else if (sending && chance(e, e->f.fail_rate)) {
		status = 500;
		e->st.faults++;
	}
	pthread_mutex_unlock(&e->mu);
	if (!ok)
		return reply_msg(conn, r, 429, "%s", MSG_RATE);
	if (status != 0)
		return reply_msg(conn, r, status, "%s",
		    smsg[0] ? smsg : default_message(status));

	if (!authorized(e, conn, &why))
		return reply_msg(conn, r, 401, "%s%s%s", MSG_AUTH_PREFIX, why,
		    MSG_AUTH_TAIL);
	rk = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Line-Retry-Key");
	if (rk != NULL && !sending)
		return reply_msg(conn, r, 400,
		    "The retry key is not supported for this endpoint");
	if (rk != NULL && util_uuid_parse(rk, key) < 0)
		return reply_msg(conn, r, 400,
		    "The retry key is invalid: it must be a lowercase UUID");

	if (r->ep == EP_QUOTA) {
		if (e->quota < 0)
			return reply(conn, r, 200, json_pack("{s:s}", "type",
			    "none"), NULL);
		return reply(conn, r, 200, json_pack("{s:s,s:I}", "type",
		    "limited", "value", (json_int_t)e->quota), NULL);
	}
	if (r->ep == EP_CONSUMPTION) {
		uint64_t usage;

		pthread_mutex_lock(&e->mu);
		usage_roll_locked(e);
		usage = e->usage;
		pthread_mutex_unlock(&e->mu);
		return reply(conn, r, 200, json_pack("{s:I}", "totalUsage",
		    (json_int_t)usage), NULL);
	}

	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!content_type_json(ct))
		return reply_msg(conn, r, 415,
		    "The content type, %s, is not supported", ct ? ct : "");
	if (r->too_big)
		return reply_msg(conn, r, 413, "%s", default_message(413));
	if (rk != NULL) {
		const struct keyent *k;
		struct keyent ent;

		pthread_mutex_lock(&e->mu);
		if ((k = keytab_get(&e->keys, key, now_ns(), e->key_ttl)) != NULL) {
			ent = *k;
			e->st.dup409++;
		}
		pthread_mutex_unlock(&e->mu);
		if (k != NULL)
			return reply_409(e, conn, r, &ent);
	}

	root = json_loadb(r->body != NULL ? r->body : "", r->len,
	    JSON_ALLOW_NUL, &jerr);
	if (root == NULL || !json_is_object(root)) {
		int line = root == NULL ? jerr.line : 1;
		int col = root == NULL ? jerr.column : 1;

		json_decref(root);
		return reply_msg(conn, r, 400, "The request body could not be "
		    "parsed as JSON (line: %d, column: %d)", line, col);
	}
	details = validate(root, r->ep);
	if (json_array_size(details) > 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "The request body has %zu error(s)",
		    json_array_size(details));
		json_decref(root);
		return reply(conn, r, 400, json_pack("{s:s,s:o}", "message",
		    msg, "details", details), NULL);
	}
	json_decref(details);
	ret = accept_send(e, conn, r, root, rk, rk != NULL ? key : NULL);
	json_decref(root);
	return ret;
}

/* ---- the emulator's own endpoints --------------------------------------------- */

static json_t *
faults_json(const struct faults *f)
{
	return json_pack("{s:f,s:f,s:f,s:I,s:I,s:s,s:I}",
	    "fail_rate", f->fail_rate, "drop_rate", f->drop_rate,
	    "lost_response_rate", f->lost_rate,
	    "latency_ms", (json_int_t)f->latency_ms,
	    "status", (json_int_t)f->status,
	    "status_message", f->status_message[0] ? f->status_message :
	    f->status != 0 ? default_message(f->status) : "",
	    "status_count", (json_int_t)f->status_count);
}

static json_t *
stats_json(const struct stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "requests", (json_int_t)s->requests,
	    "accepted", (json_int_t)s->accepted,
	    "delivered", (json_int_t)s->delivered,
	    "blocked", (json_int_t)s->blocked,
	    "duplicates_409", (json_int_t)s->dup409,
	    "rate_limited", (json_int_t)s->rate_limited,
	    "quota_exceeded", (json_int_t)s->quota_exceeded,
	    "faults", (json_int_t)s->faults,
	    "dropped", (json_int_t)s->dropped,
	    "lost_responses", (json_int_t)s->lost,
	    "record_errors", (json_int_t)s->record_errors);
}

/* A probability field: 0, or -1 if it is not a number in 0..1. */
static int
get_rate(const json_t *v, double *out)
{
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!(d >= 0 && d <= 1))
		return -1;
	*out = d;
	return 0;
}

static int
get_uint(const json_t *v, json_int_t min, json_int_t max, unsigned *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* POST /emulator/faults: check every field, then apply them together. */
static enum MHD_Result
set_faults(struct emu *e, struct MHD_Connection *conn, const struct req *r)
{
	static const char *const names[] = { "fail_rate", "drop_rate",
	    "lost_response_rate", "latency_ms", "status", "status_count",
	    "status_message" };
	enum { F_FAIL = 1, F_DROP = 2, F_LOST = 4, F_LAT = 8, F_STATUS = 16,
	    F_COUNT = 32, F_MSG = 64 };	/* 1 << index in names */
	struct faults v, now;
	json_error_t jerr;
	json_t *root, *val;
	const char *k;
	unsigned have = 0;

	memset(&v, 0, sizeof(v));
	root = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return reply_msg(conn, r, 400, "faults: a JSON object is needed");
	}
	json_object_foreach(root, k, val) {
		size_t f;
		int bad = 0;

		for (f = 0; f < sizeof(names) / sizeof(names[0]); f++)
			if (strcmp(k, names[f]) == 0)
				break;
		switch (1u << f) {
		case F_FAIL:
			bad = get_rate(val, &v.fail_rate);
			break;
		case F_DROP:
			bad = get_rate(val, &v.drop_rate);
			break;
		case F_LOST:
			bad = get_rate(val, &v.lost_rate);
			break;
		case F_LAT:
			bad = get_uint(val, 0, 600000, &v.latency_ms);
			break;
		case F_STATUS:
			bad = get_uint(val, 0, 599, &v.status) ||
			    (v.status != 0 && v.status < 400);
			break;
		case F_COUNT:
			bad = get_uint(val, 0, 1000000000, &v.status_count);
			break;
		case F_MSG:
			bad = !json_is_string(val) ||
			    json_string_length(val) >= LE_MSG_MAX;
			if (!bad)
				memcpy(v.status_message, json_string_value(val),
				    json_string_length(val) + 1);
			break;
		default:
			bad = -2;
		}
		if (bad) {
			/* k dies with root */
			enum MHD_Result ret = reply_msg(conn, r, 400,
			    bad == -2 ? "faults: unknown field '%.64s'" :
			    "faults: bad value for '%.64s'", k);

			json_decref(root);
			return ret;
		}
		have |= 1u << f;
	}
	json_decref(root);

	pthread_mutex_lock(&e->mu);
	if (have & F_FAIL)
		e->f.fail_rate = v.fail_rate;
	if (have & F_DROP)
		e->f.drop_rate = v.drop_rate;
	if (have & F_LOST)
		e->f.lost_rate = v.lost_rate;
	if (have & F_LAT)
		e->f.latency_ms = v.latency_ms;
	if (have & F_STATUS) {
		e->f.status = v.status;
		e->f.status_count = v.status != 0;
		e->f.status_message[0] = '\0';
	}
	if (have & F_COUNT)
		e->f.status_count = v.status_count;
	if (have & F_MSG)
		memcpy(e->f.status_message, v.status_message,
		    sizeof(v.status_message));
	if (e->f.status == 0)
		e->f.status_count = 0;
	now = e->f;
	pthread_mutex_unlock(&e->mu);
	log_info("line-emulator: faults: fail %.3f, drop %.3f, lost %.3f, "
	    "latency %u ms, status %u x %u", now.fail_rate, now.drop_rate,
	    now.lost_rate, now.latency_ms, now.status, now.status_count);
	return reply(conn, r, 200, faults_json(&now), NULL);
}

static enum MHD_Result
control(struct emu *e, struct MHD_Connection *conn, const struct req *r)
{
	struct faults f;
	struct stats s;

	if (r->ep == EP_FAULTS_SET)
		return set_faults(e, conn, r);
	pthread_mutex_lock(&e->mu);
	f = e->f;
	s = e->st;
	pthread_mutex_unlock(&e->mu);
	if (r->ep == EP_FAULTS_GET)
		return reply(conn, r, 200, faults_json(&f), NULL);
	return reply(conn, r, 200, stats_json(&s), NULL);
}

/* ---- libmicrohttpd callbacks ------------------------------------------------- */

static enum ep
route(const char *method, const char *url)
{
	int path_known = 0;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0) {
			if (strcmp(method, routes[i].method) == 0)
				return routes[i].ep;
			path_known = 1;
		}
	return path_known ? EP_BAD_METHOD : EP_NOT_FOUND;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct emu *e = cls;
	struct req *r = *con_cls;
	unsigned latency;
	int drop;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->ep = route(method, url);
		uuid_new(r->id);
		if (strncmp(url, "/emulator/", 10) == 0)
			r->counted = -1;	/* the emulator's own */
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		body_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->counted < 0) {
		if (r->ep >= EP_NOT_FOUND)
			return reply_msg(conn, r, r->ep == EP_NOT_FOUND ?
			    404 : 405, r->ep == EP_NOT_FOUND ? "Not found" :
			    "Method not allowed");
		return control(e, conn, r);
	}
	if (r->counted == 0) {
		r->counted = 1;
		pthread_mutex_lock(&e->mu);
		e->st.requests++;
		latency = e->f.latency_ms;
		pthread_mutex_unlock(&e->mu);
		if (latency > 0 && timer_delay(&e->tm, conn, latency))
			return MHD_YES;		/* called again when resumed */
	}
	pthread_mutex_lock(&e->mu);
	if ((drop = chance(e, e->f.drop_rate)))
		e->st.dropped++;
	pthread_mutex_unlock(&e->mu);
	if (drop) {
		log_debug("line-emulator: %s %s -> dropped", r->id,
		    ep_names[r->ep]);
		return MHD_NO;
	}
	if (r->ep == EP_NOT_FOUND)
		return reply_msg(conn, r, 404, "Not found");
	if (r->ep == EP_BAD_METHOD)
		return reply_msg(conn, r, 405, "Method not allowed");
	return line_api(e, conn, r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

static atomic_int mhd_started;

/* libmicrohttpd's messages: warnings while starting, debug once running
 * (a dropped connection is reported as an error, which it is not here). */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (atomic_load(&mhd_started))
		log_debug("line-emulator: microhttpd: %s", msg);
	else
		log_warnx("line-emulator: microhttpd: %s", msg);
}

/* ---- the command --------------------------------------------------------------- */

static void
usage(FILE *f, int full)
{
	fprintf(f, "usage: oshirase line-emulator --token-file FILE [--port N] "
	    "[--port-file FILE]\n"
	    "           [--record FILE] [--blocked FILE] [--known FILE] "
	    "[--quota N]\n"
	    "           [--month-usage K] [--rate N] [--fail-rate P] "
	    "[--drop-rate P]\n"
	    "           [--lost-response-rate P] [--latency-ms N] "
	    "[--fault-seed N]\n"
	    "           [--retry-key-ttl S] [--threads N] [-v]\n");
	if (!full)
		return;
	fprintf(f,
	    "\n"
	    "Emulate the LINE Messaging API push, multicast and quota endpoints\n"
	    "on http://127.0.0.1:PORT until SIGTERM or SIGINT.  Prints\n"
	    "'line-emulator: listening on http://127.0.0.1:PORT' when ready.\n"
	    "\n"
	    "  --token-file FILE   the channel access token (trailing newline "
	    "stripped)\n"
	    "  --port N            port to listen on; 0 picks a free one "
	    "(default)\n"
	    "  --port-file FILE    also write the port to FILE\n"
	    "  --record FILE       append one JSON line per delivery\n"
	    "  --blocked FILE      user ids that blocked the account (200, "
	    "nothing sent)\n"
	    "  --known FILE        the user ids that exist (others: 400)\n"
	    "  --quota N           monthly message limit (default: none)\n"
	    "  --month-usage K     messages already sent this month (default 0)\n"
	    "  --rate N            push requests per second (default 2000; "
	    "multicast 200)\n"
	    "  --fail-rate P       share of push/multicast requests answered 500\n"
	    "  --drop-rate P       share of requests closed without an answer\n"
	    "  --lost-response-rate P  share of accepted requests whose answer "
	    "is lost\n"
	    "  --latency-ms N      delay added to every request\n"
	    "  --fault-seed N      seed of the fault draws (default: random)\n"
	    "  --retry-key-ttl S   seconds an accepted retry key is kept "
	    "(default 86400)\n"
	    "  --threads N         server threads (default 4)\n"
	    "  -v, --verbose       log every request\n"
	    "  --help              print this help\n"
	    "\n"
	    "Control: GET /emulator/stats, GET and POST /emulator/faults (see "
	    "tools/lineemu.c).\n");
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_rate(const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(d >= 0 && d <= 1))
		return -1;
	*out = d;
	return 0;
}

/* The token: the file's content less one trailing newline, in
 * sodium_malloc'ed memory.  0 or an exit status after a message. */
static int
token_load(struct emu *e, const char *path)
{
	size_t len;
	char *buf = file_read_all(path, &len);
	int rc = 0;

	if (buf == NULL) {
		log_warn("line-emulator: --token-file %s", path);
		return EXIT_NOINPUT;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f) {
			rc = EXIT_DATAERR;
			break;
		}
	if (len == 0 || rc != 0) {
		log_warnx("line-emulator: %s: the token must be one line of "
		    "visible characters", path);
		rc = EXIT_DATAERR;
	} else if ((e->token = sodium_malloc(len + 1)) == NULL)
		fatalx("line-emulator: sodium_malloc failed");
	else {
		memcpy(e->token, buf, len);
		e->token[len] = '\0';
		e->token_len = len;
	}
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

static int
write_port_file(const char *path, unsigned port)
{
	size_t len = strlen(path) + 32;
	char *tmp = xmalloc(len);
	FILE *f;
	int ok;

	snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("line-emulator: %s", tmp);
		free(tmp);
		return -1;
	}
	ok = fprintf(f, "%u\n", port) > 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		log_warn("line-emulator: %s", path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

struct opts {
	const char *token_file, *port_file, *record, *blocked, *known;
	unsigned port, rate, threads;
	uint64_t quota, month_usage, seed, key_ttl;
	int have_quota, have_seed, verbose;
	struct faults f;
};

/* -1 to go on, or the exit status. */
static int
parse_options(struct opts *o, int argc, char **argv)
{
	enum { O_TOKEN = 256, O_PORT, O_PORT_FILE, O_RECORD, O_BLOCKED,
	    O_KNOWN, O_QUOTA, O_MONTH_USAGE, O_RATE, O_FAIL, O_DROP, O_LOST,
	    O_LATENCY, O_SEED, O_TTL, O_THREADS, O_LAST = O_THREADS };
	static const struct option longopts[] = {
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "port", required_argument, NULL, O_PORT },
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "record", required_argument, NULL, O_RECORD },
		{ "blocked", required_argument, NULL, O_BLOCKED },
		{ "known", required_argument, NULL, O_KNOWN },
		{ "quota", required_argument, NULL, O_QUOTA },
		{ "month-usage", required_argument, NULL, O_MONTH_USAGE },
		{ "rate", required_argument, NULL, O_RATE },
		{ "fail-rate", required_argument, NULL, O_FAIL },
		{ "drop-rate", required_argument, NULL, O_DROP },
		{ "lost-response-rate", required_argument, NULL, O_LOST },
		{ "latency-ms", required_argument, NULL, O_LATENCY },
		{ "fault-seed", required_argument, NULL, O_SEED },
		{ "retry-key-ttl", required_argument, NULL, O_TTL },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, bad;

	memset(o, 0, sizeof(*o));
	o->rate = 2000;
	o->threads = 4;
	o->key_ttl = 86400;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		bad = 0;
		switch (c) {
		case O_TOKEN:
			o->token_file = optarg;
			break;
		case O_PORT_FILE:
			o->port_file = optarg;
			break;
		case O_RECORD:
			o->record = optarg;
			break;
		case O_BLOCKED:
			o->blocked = optarg;
			break;
		case O_KNOWN:
			o->known = optarg;
			break;
		case O_PORT:
			bad = parse_u64(optarg, 65535, &v);
			o->port = (unsigned)v;
			break;
		case O_QUOTA:
			bad = parse_u64(optarg, INT64_MAX / 2, &o->quota);
			o->have_quota = 1;
			break;
		case O_MONTH_USAGE:
			bad = parse_u64(optarg, INT64_MAX / 2, &o->month_usage);
			break;
		case O_RATE:
			bad = parse_u64(optarg, 1000000, &v) || v == 0;
			o->rate = (unsigned)v;
			break;
		case O_FAIL:
			bad = parse_rate(optarg, &o->f.fail_rate);
			break;
		case O_DROP:
			bad = parse_rate(optarg, &o->f.drop_rate);
			break;
		case O_LOST:
			bad = parse_rate(optarg, &o->f.lost_rate);
			break;
		case O_LATENCY:
			bad = parse_u64(optarg, 600000, &v);
			o->f.latency_ms = (unsigned)v;
			break;
		case O_SEED:
			bad = parse_u64(optarg, UINT64_MAX, &o->seed);
			o->have_seed = 1;
			break;
		case O_TTL:
			bad = parse_u64(optarg, 864000, &o->key_ttl) ||
			    o->key_ttl == 0;
			break;
		case O_THREADS:
			bad = parse_u64(optarg, 64, &v) || v == 0;
			o->threads = (unsigned)v;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout, 1);
			return 0;
		default:
			if (optopt >= O_TOKEN && optopt <= O_LAST)
				log_warnx("line-emulator: option '%s' needs an "
				    "argument", argv[optind - 1]);
			else
				log_warnx("line-emulator: unknown option '%s'",
				    argv[optind - 1]);
			usage(stderr, 0);
			return EXIT_USAGE;
		}
		if (bad) {
			log_warnx("line-emulator: %s: bad value '%s'",
			    argv[optind - 1], optarg);
			usage(stderr, 0);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("line-emulator: unexpected argument '%s'",
		    argv[optind]);
		usage(stderr, 0);
		return EXIT_USAGE;
	}
	if (o->token_file == NULL) {
		log_warnx("line-emulator: --token-file is required");
		usage(stderr, 0);
		return EXIT_USAGE;
	}
	return -1;
}

static void
emu_free(struct emu *e)
{
	if (e->record != NULL && fclose(e->record) != 0)
		log_warn("line-emulator: closing the record");
	sodium_free(e->token);
	free(e->blocked.ids);
	free(e->known.ids);
	free(e->keys.e);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	struct opts o;
	struct emu *e;
	sigset_t sigs;
	unsigned port;
	int rc, sig;

	if (sodium_init() < 0)
		fatalx("line-emulator: sodium_init failed");
	if ((rc = parse_options(&o, argc, argv)) >= 0)
		return rc;
	if (o.verbose)
		log_init(NULL, LOG_LEVEL_DEBUG);
	e = xcalloc(1, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	if ((rc = token_load(e, o.token_file)) != 0 ||
	    (o.blocked != NULL &&
	    (rc = userset_load(&e->blocked, o.blocked, "--blocked")) != 0) ||
	    (o.known != NULL &&
	    (rc = userset_load(&e->known, o.known, "--known")) != 0)) {
		emu_free(e);
		return rc;
	}
	e->have_known = o.known != NULL;
	if (o.record != NULL && (e->record = fopen(o.record, "a")) == NULL) {
		log_warn("line-emulator: --record %s", o.record);
		emu_free(e);
		return EXIT_CANTCREAT;
	}
	e->f = o.f;
	if (o.have_seed)
		e->rng = o.seed;
	else
		randombytes_buf(&e->rng, sizeof(e->rng));
	gcra_init(&e->lim[EP_PUSH], o.rate);
	gcra_init(&e->lim[EP_MULTICAST], 200);
	gcra_init(&e->lim[EP_QUOTA], 2000);
	gcra_init(&e->lim[EP_CONSUMPTION], 2000);
	randombytes_buf(e->keys.hkey, sizeof(e->keys.hkey));
	randombytes_buf(e->qt_key, sizeof(e->qt_key));
	e->key_ttl = (int64_t)o.key_ttl * LE_NS;
	/* 18 digits, rising across restarts, room for 10^9 a second */
	e->next_msg_id = 100000000000000000ULL +
	    (uint64_t)(time(NULL) % 800000000) * 1000000000ULL;
	e->quota = o.have_quota ? (long long)o.quota : -1;
	e->usage = o.month_usage;
	e->usage_month = jst_month();
	json_object_seed(0);

	/* Every thread started from here on inherits the blocked signals;
	 * this one waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (timer_start(&e->tm) < 0) {
		emu_free(e);
		return EXIT_SOFTWARE;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)o.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	atomic_store(&mhd_started, 0);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)o.port,
	    NULL, NULL, on_request, e,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, e,	/* first, so it sees all */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o.threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
	    MHD_OPTION_END);
	if (d == NULL) {
		log_warnx("line-emulator: cannot listen on 127.0.0.1:%u",
		    o.port);
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	atomic_store(&mhd_started, 1);
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL ||
	    info->port == 0) {
		log_warnx("line-emulator: cannot learn the port");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	port = info->port;
	if (o.port_file != NULL && write_port_file(o.port_file, port) < 0) {
		rc = EXIT_CANTCREAT;
		goto out;
	}
	printf("line-emulator: listening on http://127.0.0.1:%u\n", port);
	if (fflush(stdout) != 0) {
		rc = EXIT_IOERR;
		goto out;
	}
	log_info("line-emulator: push %u/s, quota %s, %zu blocked, %s known",
	    o.rate, o.have_quota ? "limited" : "none", e->blocked.n,
	    e->have_known ? "listed" : "all");
	do {
		if ((rc = sigwait(&sigs, &sig)) != 0) {
			errno = rc;
			log_warn("line-emulator: sigwait");
			break;
		}
	} while (sig != SIGTERM && sig != SIGINT);
	rc = 0;
out:
	timer_stop(&e->tm);
	if (d != NULL)
		MHD_stop_daemon(d);
	log_info("line-emulator: stopped: %" PRIu64 " requests, %" PRIu64
	    " accepted, %" PRIu64 " delivered, %" PRIu64 " rate limited, %"
	    PRIu64 " faults", e->st.requests, e->st.accepted, e->st.delivered,
	    e->st.rate_limited, e->st.faults);
	emu_free(e);
	return rc;
}
