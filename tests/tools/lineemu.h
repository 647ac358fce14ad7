/* lineemu.h - what the pieces of oshirase-line-emulator share (internal)
 * SPDX-License-Identifier: MIT
 *
 * The pieces:
 *   lineemu.c        the command: options, the files read at start, the
 *                    port file, starting and stopping; its top comment
 *                    says what the emulator answers and why
 *   lineemu_http.c   the server: libmicrohttpd's callbacks, routing,
 *                    request bodies, responses, the latency timer, and
 *                    the emulator's own endpoints (/emulator/stats, faults)
 *   lineemu_api.c    the LINE endpoints: token, retry key, body checks,
 *                    then acceptance (quota, record, message ids)
 *   lineemu_state.c  the state they consult: the clock and the month's
 *                    usage, the fault draws, the rate limiters, the user
 *                    id sets, the retry keys
 *   lineemu_residents.c  the residents it plays: signed webhook events
 *                    posted to --webhook, the /emulator/ endpoints that
 *                    script them, reply tokens and the reply endpoint,
 *                    who has unfollowed (pushes to them are dropped)
 * Threads: libmicrohttpd's pool calls in with any connection; everything
 * in struct emu above "immutable" is guarded by emu.mu, and the functions
 * named *_locked expect it held.
 */
#ifndef OSHIRASE_LINEEMU_H
#define OSHIRASE_LINEEMU_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LINEEMU_RECORD_VERSION 1
#define LE_MAX_BODY (2u * 1024 * 1024)
#define LE_MAX_MESSAGES 5
#define LE_MAX_TEXT_UNITS 5000
#define LE_MAX_MULTICAST 500
#define LE_UUID_LEN 36
#define LE_UID_LEN 33		/* "U" + 32 hex digits */
#define LE_MSG_MAX 256		/* an injected status message */
#define LE_NS 1000000000LL

/* LINE's messages */
#define LE_MSG_RATE "The API rate limit has been exceeded. Try again later."
#define LE_MSG_MONTHLY "You have reached your monthly limit."
#define LE_MSG_INTERNAL "Internal server error"
#define LE_MSG_AUTH_PREFIX "Authentication failed due to the following reason: "
#define LE_MSG_AUTH_TAIL \
    " Confirm that the access token in the authorization header is valid."
#define LE_MSG_FAILED "Failed to send messages"
#define LE_MSG_RETRY_ACCEPTED "The retry key is already accepted"

enum ep {
	EP_PUSH, EP_MULTICAST, EP_QUOTA, EP_CONSUMPTION,	/* rate limited */
	EP_REPLY,
	EP_NLIMITED,
	EP_STATS = EP_NLIMITED, EP_FAULTS_GET, EP_FAULTS_SET,
	EP_RESIDENT,			/* lineemu_residents.c's /emulator/ */
	EP_NOT_FOUND, EP_BAD_METHOD
};

/* Each endpoint's name in logs and records, by enum ep. */
extern const char *const emu_ep_names[];

struct faults {
	double fail_rate, drop_rate, lost_rate;
	unsigned latency_ms;
	unsigned status, status_count;
	char status_message[LE_MSG_MAX];	/* "" = LINE's for the status */
	unsigned retry_after;		/* Retry-After of injected answers, 0: none */
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

/* The residents the emulator plays (lineemu_residents.c), under their
 * own mutex: who follows, each one's last event and replies, the reply
 * tokens issued with events. */
struct resident;
struct rtoken;
struct residents {
	pthread_mutex_t mu;
	struct resident **tab;		/* open addressing by user id */
	size_t cap, n;
	struct rtoken *tok;		/* open addressing by token */
	size_t tcap, tused;
	uint64_t next_msg_id;
	uint64_t webhooks, webhook_errors, replies, reply_invalid;
	uint64_t unfollowed_dropped;

	/* immutable once the server runs */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	int64_t token_ttl;		/* ns */
	char *webhook;			/* NULL: no --webhook */
	char *secret;			/* sodium_malloc'ed */
	size_t secret_len;
	char destination[LE_UID_LEN + 1];
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
	struct residents rs;		/* its own mutex */
};

struct req {
	enum ep ep;
	int counted;			/* latency and counters done */
	int too_big;
	char id[LE_UUID_LEN + 1];
	char *body;
	size_t len, cap;
};

/* ---- lineemu_state.c ------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t emu_now_ns(void);
/* The month in Japan (UTC+9, no daylight saving) as year * 12 + month. */
int emu_jst_month(void);
/* A new month in Japan starts the usage from 0; e->mu held. */
void emu_usage_roll_locked(struct emu *e);
/* 1 with probability p, from the fault draws; e->mu held. */
int emu_chance(struct emu *e, double p);
/* A random (version 4) UUID, as text. */
void emu_uuid_new(char out[LE_UUID_LEN + 1]);
/* "U" + 32 lowercase hex digits, as 16 bytes: 0 or -1. */
int emu_uid_parse(const char *s, size_t len, uint8_t out[16]);
/* 1 if a request at now conforms (and is counted); e->mu held. */
int emu_gcra_allow_locked(struct gcra *g, int64_t now);
/* A limiter of rate requests a second, with a burst of a tenth of it. */
void emu_gcra_init(struct gcra *g, unsigned rate);
/* Read the user ids of path (given as option) into *set: 0, or an exit
 * status after a message.  The caller frees set->ids. */
int emu_userset_load(struct userset *set, const char *path, const char *option);
/* Whether id is in set. */
int emu_userset_has(const struct userset *set, const uint8_t id[16]);
/* The live entry of a retry key, or NULL; e->mu held, and the entry is
 * valid only until it is released. */
const struct keyent *emu_keytab_get(const struct keytab *kt,
    const uint8_t key[16], int64_t now, int64_t ttl);
/* Insert ent (its key not live in the table), copied; e->mu held. */
void emu_keytab_put(struct keytab *kt, const struct keyent *ent, int64_t now,
    int64_t ttl);

/* ---- lineemu_http.c ------------------------------------------------- */

/* Queue status with body (a reference taken over; NULL = "{}"), the
 * request's id and, for a 409, the accepted request's id. */
enum MHD_Result emu_reply(struct MHD_Connection *conn, const struct req *r,
    unsigned status, json_t *body, const char *accepted_id);
/* status with {"message": msg} and Retry-After: retry_after (0: none). */
enum MHD_Result emu_reply_after(struct MHD_Connection *conn,
    const struct req *r, unsigned status, const char *msg,
    unsigned retry_after);
/* Queue status with {"message": the printf-formatted text}. */
enum MHD_Result emu_reply_msg(struct MHD_Connection *conn, const struct req *r,
    unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* LINE's message for an HTTP status (a static string). */
const char *emu_default_message(unsigned status);
/* Start and stop the latency timer's thread: emu_timer_start gives 0, or
 * -1 after a message. */
int emu_timer_start(struct timer *t);
void emu_timer_stop(struct timer *t);
/* Serve e on 127.0.0.1:port (0: a free one) with a pool of `threads`:
 * the daemon, or NULL after libmicrohttpd's messages. */
struct MHD_Daemon *emu_http_start(struct emu *e, unsigned port,
    unsigned threads);

/* ---- lineemu_api.c -------------------------------------------------- */

/* A request to one of LINE's endpoints, its body read, past the latency
 * and drop faults: everything from the rate limit on. */
enum MHD_Result emu_line_api(struct emu *e, struct MHD_Connection *conn,
    struct req *r);
/* Add to details LINE's errors in a messages array (push, multicast and
 * reply alike). */
void emu_check_messages(json_t *details, const json_t *msgs);
/* sentMessages of n messages whose ids start at first. */
json_t *emu_sent_messages(const struct emu *e, uint64_t first, unsigned n);

/* ---- lineemu_api.c ---------------------------------------------------- */

/* One entry of a 400's "details": LINE's message about a property
 * (printf-formatted, as "messages[0].text"). */
void emu_detail(json_t *details, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- lineemu.c -------------------------------------------------------- */

/* A one-line secret file (the option that names it, for messages): its
 * text less a trailing newline, in sodium_malloc'ed memory.  0, or an
 * exit status after a message. */
int emu_secret_load(const char *option, const char *path, char **out,
    size_t *len);

/* ---- lineemu_residents.c ---------------------------------------------- */

/* Set up rs: webhook URL (NULL: none), the channel secret's file (NULL:
 * none), reply tokens valid ttl seconds.  0, or an exit status after a
 * message. */
int emu_residents_init(struct residents *rs, const char *webhook,
    const char *secret_path, uint64_t ttl);
void emu_residents_free(struct residents *rs);
/* Whether the user has unfollowed (blocked) the account. */
int emu_resident_unfollowed(struct residents *rs, const uint8_t id[16]);
/* n pushes accepted for unfollowed users: counted as dropped. */
void emu_residents_dropped(struct residents *rs, unsigned n);
/* The residents' counters added to the stats object o. */
void emu_residents_stats(struct residents *rs, json_t *o);
/* Add to details the errors of messages[i].quickReply (NULL: none). */
void emu_check_quick_reply(json_t *details, const json_t *qr, size_t i);
/* POST /v2/bot/message/reply with root its parsed JSON object. */
enum MHD_Result emu_reply_api(struct emu *e, struct MHD_Connection *conn,
    const struct req *r, const json_t *root);
/* The /emulator/ endpoints that script residents (EP_RESIDENT). */
enum MHD_Result emu_residents_control(struct emu *e,
    struct MHD_Connection *conn, const struct req *r, const char *method,
    const char *url);

#endif
