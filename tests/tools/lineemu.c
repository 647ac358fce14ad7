/* lineemu.c - oshirase-line-emulator: the LINE Messaging API push endpoints
 * on loopback, and the residents who use a city's LINE account, for tests
 * SPDX-License-Identifier: MIT
 *
 * A real HTTP/1.1 server (libmicrohttpd, a pool of epoll threads) on
 * 127.0.0.1 that answers the way LINE's Messaging API reference documents
 * push, multicast, retry keys, rate limits and the monthly quota, so that
 * the senders can be tested against it with their real HTTP client,
 * faults included.  It also plays residents: scripted users who follow,
 * write, tap postback buttons and unfollow, whose events it signs and
 * POSTs to the gateway's webhook as LINE does, and whose replies (the
 * reply endpoint, with the reply tokens it issued) it keeps.
 *
 * What it owns: its listening socket, the files named by --record and
 * --port-file (appended / replaced), and in memory the retry keys, the
 * month's usage, the rate limiters and the counters.  What it never
 * touches: the store, the keys, the config, the network beyond
 * 127.0.0.1.  It reads --token-file, --blocked and --known once at start.
 * It logs request ids and counts, never the token or message texts (the
 * texts go only to the record, which is the point of it).
 *
 * This file is the command (options, start, stop); lineemu.h lists the
 * other pieces: the HTTP server, the LINE endpoints, the state.
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
 *   --webhook URL       where residents' events are POSTed (http or https)
 *   --channel-secret FILE  the channel secret (the file's one line), the
 *                       key that signs them; needed with --webhook
 *   --reply-token-ttl S how long a reply token is valid (default 60)
 *   -v                  log every request (id, endpoint, status)
 * Files of user ids: one "U" + 32 lowercase hex digits a line; empty lines
 * and lines starting with '#' are skipped; anything else exits 65.
 *
 * Endpoints (LINE's, all with "Authorization: Bearer TOKEN"):
 *   POST /v2/bot/message/push        200 {"sentMessages":[{id,quoteToken}]}
 *   POST /v2/bot/message/multicast   200 {}
 *   GET  /v2/bot/message/quota       {"type":"limited","value":N} / none
 *   GET  /v2/bot/message/quota/consumption   {"totalUsage":K}
 *   POST /v2/bot/message/reply       200 {"sentMessages":[...]}; with
 *                            --webhook, a token not issued with an
 *                            event, used or expired: 400 {"message":
 *                            "Invalid reply token"}; without it (no
 *                            residents played, no token issued) any
 *                            replyToken is taken
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
 *                            without status_count means K = 1;
 *                            retry_after (0..86400 s): those answers carry
 *                            Retry-After: N (0: none).  All
 *                            fields are checked before any is applied;
 *                            the answer is the new settings.
 * Residents (lineemu_residents.c; 503 without --webhook):
 *   POST /emulator/follow    {"user":"U..."}              follow event
 *   POST /emulator/text      {"user":"U...","text":"..."} message event
 *   POST /emulator/postback  {"user":"U...","data":"..."} postback event
 *   POST /emulator/unfollow  {"user":"U..."}              unfollow event
 *   POST /emulator/redeliver {"user":"U..."}  that user's last event
 *                            again: same webhookEventId, replyToken and
 *                            timestamp, deliveryContext.isRedelivery true
 *   POST /emulator/raw[?signature=valid|none|forged|other-body|VALUE]
 *                            the request body as it is, signed (valid,
 *                            the default), with no X-Line-Signature, with
 *                            one made with another key, one over another
 *                            body, or the header VALUE given
 *     Each builds {"destination":"U...","events":[EVENT]} as LINE does
 *     (type, mode "active", timestamp in ms, source {type user, userId},
 *     webhookEventId a ULID, deliveryContext {isRedelivery}, replyToken
 *     for follow, message and postback, follow {isUnblocked}, message
 *     {id, type text, quoteToken, text}, postback {data}), signs it
 *     (X-Line-Signature: base64 HMAC-SHA256 of the body, the secret's
 *     text as key), POSTs it and answers with the webhook's status and
 *     {"status","webhookEventId","replyToken","answer"} (502 with
 *     "message" when the webhook gives no answer in 10 s).
 *   GET  /emulator/replies?user=U...  {"user","replies":[{"replyToken",
 *                            "delivered","texts":[...],"quickReply":[{type,
 *                            label,data,displayText}],"messages":[as
 *                            posted]}]}, oldest first
 * /emulator/stats adds "webhooks", "webhook_errors" (not 2xx or no
 * answer), "replies", "reply_invalid", "unfollowed_dropped".
 * A user who unfollowed has blocked the account: a push or multicast to
 * them is answered 200 with sentMessages, recorded "delivered": false,
 * counts nothing against the quota and adds to "unfollowed_dropped",
 * until they follow again (follow.isUnblocked true).
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
 * A reply is one line:
 *   {"v":1,"request_id":"<uuid>","endpoint":"reply","reply_token":"...",
 *    "messages":["text",...],"quick_reply":[{"label","data","text"},...],
 *    "delivered":true|false,"to":"U..."}
 * quick_reply the last message's postback items (text: displayText);
 * "to" only for a token issued with an event; "delivered" false if that
 * user has unfollowed since.
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
 *   - Reply: the body is checked first (as push: 1..5 text messages;
 *     quickReply 1..13 items of type action, postback or message actions
 *     only, label 1..20, data 1..300, displayText and text <= 300 UTF-16
 *     units), then the token, so a refused body uses no token; a retry
 *     key is 400 (LINE takes them on push and multicast only); injected
 *     statuses and --fail-rate apply to reply as to push, and a refused
 *     reply leaves its token unused.  Replies are free (no quota); they
 *     count in "accepted" and "delivered" as pushes do.  A reply token
 *     is 32 hex digits, valid from its event's making.
 *   - A redelivered event keeps its reply token, used or not.  Text and
 *     postbacks from a user who unfollowed are refused (409: LINE sends
 *     none); from a user never seen they are sent.  A follow from a user
 *     who already follows is sent too.  "destination" is a hash of the
 *     secret, fixed for a channel as LINE's bot user id is.
 */
#include "lineemu.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the command --------------------------------------------------------------- */

static void
usage(FILE *f, int full)
{
	fprintf(f, "usage: oshirase-line-emulator --token-file FILE [--port N] "
	    "[--port-file FILE]\n"
	    "           [--record FILE] [--blocked FILE] [--known FILE] "
	    "[--quota N]\n"
	    "           [--month-usage K] [--rate N] [--fail-rate P] "
	    "[--drop-rate P]\n"
	    "           [--lost-response-rate P] [--latency-ms N] "
	    "[--fault-seed N]\n"
	    "           [--retry-key-ttl S] [--threads N] [-v]\n"
	    "           [--webhook URL --channel-secret FILE] "
	    "[--reply-token-ttl S]\n");
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
	    "  --webhook URL       where the residents' events are POSTed\n"
	    "  --channel-secret FILE  the channel secret that signs them\n"
	    "  --reply-token-ttl S seconds a reply token is valid (default 60)\n"
	    "  -v, --verbose       log every request\n"
	    "  --help              print this help\n"
	    "\n"
	    "Control: GET /emulator/stats, GET and POST /emulator/faults; "
	    "residents:\n"
	    "POST /emulator/follow, text, postback, unfollow, redeliver, raw; "
	    "GET\n"
	    "/emulator/replies?user=U... (see tests/tools/lineemu.c).\n");
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

/* A one-line secret file (the option names it: "--token-file"): its
 * content less a trailing newline, in sodium_malloc'ed memory (*out, its
 * length *len).  0 or an exit status after a message. */
int
emu_secret_load(const char *option, const char *path, char **out, size_t *outlen)
{
	size_t len;
	char *buf = file_read_all(path, &len);
	int rc = 0;

	if (buf == NULL) {
		log_warn("line-emulator: %s %s", option, path);
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
		log_warnx("line-emulator: %s: %s must be one line of visible "
		    "characters", path, option);
		rc = EXIT_DATAERR;
	} else if ((*out = sodium_malloc(len + 1)) == NULL)
		fatalx("line-emulator: sodium_malloc failed");
	else {
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		*outlen = len;
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
	const char *webhook, *secret;
	unsigned port, rate, threads;
	uint64_t quota, month_usage, seed, key_ttl, reply_ttl;
	int have_quota, have_seed, verbose;
	struct faults f;
};

/* -1 to go on, or the exit status. */
static int
parse_options(struct opts *o, int argc, char **argv)
{
	enum { O_TOKEN = 256, O_PORT, O_PORT_FILE, O_RECORD, O_BLOCKED,
	    O_KNOWN, O_QUOTA, O_MONTH_USAGE, O_RATE, O_FAIL, O_DROP, O_LOST,
	    O_LATENCY, O_SEED, O_TTL, O_THREADS, O_WEBHOOK, O_SECRET,
	    O_REPLY_TTL, O_LAST = O_REPLY_TTL };
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
		{ "webhook", required_argument, NULL, O_WEBHOOK },
		{ "channel-secret", required_argument, NULL, O_SECRET },
		{ "reply-token-ttl", required_argument, NULL, O_REPLY_TTL },
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
	o->reply_ttl = 60;
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
		case O_WEBHOOK:
			o->webhook = optarg;
			break;
		case O_SECRET:
			o->secret = optarg;
			break;
		case O_REPLY_TTL:
			bad = parse_u64(optarg, 864000, &o->reply_ttl) ||
			    o->reply_ttl == 0;
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
	if (o->webhook != NULL && o->secret == NULL) {
		log_warnx("line-emulator: --webhook needs --channel-secret");
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
	emu_residents_free(&e->rs);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	struct opts o;
	struct emu *e;
	sigset_t sigs;
	unsigned port;
	int rc, sig;

	log_init("oshirase-line-emulator", LOG_LEVEL_INFO);
	if (sodium_init() < 0)
		fatalx("line-emulator: sodium_init failed");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("line-emulator: curl_global_init failed");
	if ((rc = parse_options(&o, argc, argv)) >= 0)
		return rc;
	if (o.verbose)
		log_init(NULL, LOG_LEVEL_DEBUG);
	e = xcalloc(1, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	if ((rc = emu_residents_init(&e->rs, o.webhook, o.secret,
	    o.reply_ttl)) != 0 ||
	    (rc = emu_secret_load("--token-file", o.token_file, &e->token,
	    &e->token_len)) != 0 ||
	    (o.blocked != NULL &&
	    (rc = emu_userset_load(&e->blocked, o.blocked, "--blocked")) != 0) ||
	    (o.known != NULL &&
	    (rc = emu_userset_load(&e->known, o.known, "--known")) != 0)) {
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
	emu_gcra_init(&e->lim[EP_PUSH], o.rate);
	emu_gcra_init(&e->lim[EP_MULTICAST], 200);
	emu_gcra_init(&e->lim[EP_QUOTA], 2000);
	emu_gcra_init(&e->lim[EP_CONSUMPTION], 2000);
	emu_gcra_init(&e->lim[EP_REPLY], 2000);
	randombytes_buf(e->keys.hkey, sizeof(e->keys.hkey));
	randombytes_buf(e->qt_key, sizeof(e->qt_key));
	e->key_ttl = (int64_t)o.key_ttl * LE_NS;
	/* 18 digits, rising across restarts, room for 10^9 a second */
	e->next_msg_id = 100000000000000000ULL +
	    (uint64_t)(time(NULL) % 800000000) * 1000000000ULL;
	e->quota = o.have_quota ? (long long)o.quota : -1;
	e->usage = o.month_usage;
	e->usage_month = emu_jst_month();
	json_object_seed(0);

	/* Every thread started from here on inherits the blocked signals;
	 * this one waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (emu_timer_start(&e->tm) < 0) {
		emu_free(e);
		return EXIT_SOFTWARE;
	}
	d = emu_http_start(e, o.port, o.threads);
	if (d == NULL) {
		log_warnx("line-emulator: cannot listen on 127.0.0.1:%u",
		    o.port);
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
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
	emu_timer_stop(&e->tm);
	if (d != NULL)
		MHD_stop_daemon(d);
	log_info("line-emulator: stopped: %" PRIu64 " requests, %" PRIu64
	    " accepted, %" PRIu64 " delivered, %" PRIu64 " rate limited, %"
	    PRIu64 " faults", e->st.requests, e->st.accepted, e->st.delivered,
	    e->st.rate_limited, e->st.faults);
	emu_free(e);
	curl_global_cleanup();
	return rc;
}
