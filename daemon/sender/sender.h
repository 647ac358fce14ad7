/* sender.h - one attempt at one job: a LINE push or one SMTP transaction
 * SPDX-License-Identifier: MIT
 *
 * A sender is a backend per channel (backend.h: line.c for LINE, mail.c
 * for email), chosen by each job's channel.  What it owns: the channel
 * credentials (the LINE channel access token, the SMTP password), each in
 * sodium_malloc memory (locked, wiped when freed); one libcurl easy handle
 * per channel, kept across jobs so that the HTTPS connection to LINE stays
 * alive and the SMTP session to the relay is reused (QUIT only at
 * sender_free, a connection idle for more than a minute is not reused);
 * and, in sender_loop, its two ZeroMQ sockets.
 *
 * What it never touches: the store, pseudonyms, programs, rules, the
 * outbox.  A job (job.h) carries an address and texts and nothing else;
 * neither is ever logged or put in a result.  Logs and results carry the
 * job id, the outcome, the status code and the remote's short reason.
 *
 * Outcomes (enum job_outcome in job.h):
 *   LINE   200 (any 2xx), 409 (retry key already accepted)  JOB_SENT
 *          401, 403, or no token file                       JOB_AUTH
 *          429 "You have reached your monthly limit."       JOB_QUOTA
 *          other 429                                        JOB_RATE
 *          400, 413, 415 and every other 4xx                JOB_PERMANENT
 *          5xx, timeout, network error, other status        JOB_RETRY
 *          a job LINE would refuse (bad retry key, text not
 *          UTF-8, empty or over 5,000 UTF-16 units)         JOB_PERMANENT
 *   SMTP   transaction done (250)                           JOB_SENT
 *          530, 534, 535, 538, AUTH refused, no STARTTLS
 *          offered where it is required                     JOB_AUTH
 *          other 5xx                                        JOB_PERMANENT
 *          4xx                                              JOB_RETRY
 *          no reply code, network or TLS error              JOB_RETRY
 *          an address or header value with CR/LF or other
 *          bytes that do not belong there, text not UTF-8   JOB_PERMANENT
 * status is the HTTP status or the last SMTP reply code (0: none),
 * transport the CURLcode, detail LINE's "message" or "SMTP 550: <what
 * failed>", request_id LINE's x-line-request-id (x-line-accepted-request-id
 * on 409).
 *
 * Threads: a struct sender belongs to one thread at a time.  sender_new
 * runs curl_global_init once per process.  A process running senders must
 * ignore SIGPIPE (TLS writes on a closed connection).
 */
#ifndef OSHIRASE_SENDER_H
#define OSHIRASE_SENDER_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "curve.h"
#include "job.h"

struct sender;

/*
 * A sender for the [line] and [email] settings of cfg (copied: cfg may go
 * away).  Reads the LINE token file (cfg->line_token through
 * config_secret_path) and, when [email] username is set, the password file.
 * A secret file must be a regular file with no access for group or others.
 * A missing LINE token file is not an error here: each LINE job is then
 * answered JOB_AUTH, so that a city that sends email only needs no token.
 * Returns NULL with a message in err (no secret in it) when a secret file
 * is unsafe or unreadable, or [email] url/from are unusable.
 * Free with sender_free (NULL is fine).
 */
struct sender *sender_new(const struct config *cfg, char *err, size_t errlen);
void sender_free(struct sender *s);

/*
 * One attempt at j: fills r (id and attempt copied from j) and returns 0.
 * Every failure is an outcome in r, never a return code.  Blocks for at
 * most the channel's timeout ([line] timeout, [email] timeout).
 */
int sender_perform(struct sender *s, const struct job *j, struct job_result *r);

/* Counters since sender_new. */
struct sender_stats {
	unsigned long jobs;
	unsigned long line_connects;	/* new connections (CURLINFO_NUM_CONNECTS) */
	unsigned long mail_connects;
};
void sender_stats(const struct sender *s, struct sender_stats *st);

/*
 * Where a sender meets the queue: the queue's jobs endpoint (a PULL socket
 * connects to it) and its results endpoint (a PUSH socket).  Over tcp://
 * both sockets are CURVE clients: they pin the queue's public key
 * (server_key) and prove this sender's own key pair (keys); over ipc://
 * or inproc:// neither is used.  watch: log the handshakes of the jobs
 * socket (one thread of a process is enough).
 */
struct sender_link {
	const char *jobs, *results;
	const uint8_t *server_key;		/* CURVE_KEY_LEN bytes, or NULL */
	const struct curve_keypair *keys;	/* with server_key */
	int watch;
};
/* Does endpoint ep need CURVE (tcp://)? */
int sender_link_secure(const char *ep);

/*
 * Connect to link's endpoints on zctx; for each job frame: decode (a
 * frame that does not decode is dropped with a warning), sender_perform,
 * send the encoded result.  Returns 0 when zctx is shut down
 * (zmq_ctx_shutdown or zmq_ctx_term: ETERM), -1 on sender_new or a socket
 * error (logged).  Results still queued at shutdown get up to
 * SENDER_LINGER_MS to leave.
 */
#define SENDER_LINGER_MS 5000
int sender_loop(void *zctx, const struct sender_link *link,
    const struct config *cfg);

/* pthread entry point: runs sender_loop with these, stores its return in
 * rc and returns arg.  link, its strings and keys and cfg must outlive
 * the thread. */
struct sender_thread_args {
	void *zctx;
	struct sender_link link;
	const struct config *cfg;
	int rc;
};
void *sender_thread(void *arg);

#endif
