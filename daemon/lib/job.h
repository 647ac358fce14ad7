/* job.h - what the dispatcher hands a sender, and what comes back
 * SPDX-License-Identifier: MIT
 *
 * The seam between the queue and the senders is ZeroMQ: the dispatcher
 * hands out jobs, each sender takes them, does one request (a LINE push or
 * one SMTP transaction) and PUSHes a result back (to the queue's PULL).  A job carries all a
 * sender may know of a resident: the address and the text.  No pseudonym,
 * no program, no store: a sender on another host sees nothing else.
 *
 * Wire format (one ZeroMQ frame each; integers big-endian):
 *   job:    "OSJ3" | u64 id | u32 attempt | u64 token | u8 channel | u8 language |
 *           u8 kind | str retry_key | str to | str subject | str message_id |
 *           str unsubscribe | u8 ntexts | ntexts x lstr text |
 *           u8 nitems | nitems x (str label | str data | str text)
 *           ("OSJ2", without kind and items, is still read: a push with
 *           no items)
 *   result: "OSR3" | u64 id | u32 attempt | u64 token | u8 outcome | i32 status |
 *           i32 transport | str detail | str request_id | u32 retry_after
 *           ("OSR2", without retry_after, is still read: retry_after 0)
 *   credit: "OSK1" | u16 n
 *   str = u16 length + bytes (no NUL), lstr = u32 length + bytes.
 * A frame that does not decode is dropped by its reader with a warning.
 * token is drawn at random by the queue for each attempt and only the
 * sender that took the job sees it; the queue accepts a result only with
 * the token of the attempt it answers, so that one sender cannot settle
 * another's jobs (message ids are sequential, tokens are not).  A result's
 * detail is printable text: its decoder turns control bytes into '?', as
 * the queue logs it.
 * Changing a frame: a new magic ("OSJ3"), and readers that know both
 * until every sender and queue speaks the new one.
 *
 * kind JOB_PUSH is a message of the outbox (LINE push, email); JOB_REPLY
 * a LINE reply, `to` its reply token, made by the queue outside the
 * outbox (dispatch_transient) and sent without a retry key.  Items are
 * LINE quick-reply postback buttons under the last text (LINE only, at
 * most JOB_MAX_ITEMS): label at most 20 characters, data and text (the
 * displayText) at most 300 bytes, none empty.
 *
 * Jobs go only where they were asked for, so that they wait in the
 * queue's outbox, not in socket buffers behind a busy or dead sender (an
 * ipc:// or tcp:// connection buffers hundreds of them): the queue's jobs
 * socket is a ROUTER, each sender's a DEALER that asks for jobs.  libzmq
 * sends an empty frame on each (re)connection of the DEALER
 * (ZMQ_PROBE_ROUTER): it asks for JOB_WINDOW jobs, one per worker
 * thread.  After each job frame the sender takes (decoded or not) and
 * answers, it sends a credit frame asking for n more (1).  The queue sends
 * a job only against a credit, so that a job is handed out only to a
 * worker that is free: the queue's job_timeout times the attempt itself,
 * never a wait behind another job.
 *
 * For LINE, `to` is the user id, texts become the message objects (1..5,
 * each at most 5,000 UTF-16 code units) and retry_key the
 * X-Line-Retry-Key: the same on every attempt of one message.  For email,
 * `to` is the address, subject the Subject, texts the body's paragraphs
 * (joined with a blank line), message_id the Message-ID's left part and
 * unsubscribe the List-Unsubscribe URL.
 */
#ifndef OSHIRASE_JOB_H
#define OSHIRASE_JOB_H

#include <stddef.h>
#include <stdint.h>

/* The channels and languages of the wire, which the store's contact and
 * message records use too (store.h).  Their values are on disk and on the
 * wire: add, never renumber. */
enum job_channel { CHANNEL_LINE = 1, CHANNEL_EMAIL = 2 };
enum job_lang { LANG_JA = 0, LANG_EN = 1 };

#define JOB_WINDOW 1		/* jobs a sender's worker asks for as it
				 * connects: the one it will do next */
#define JOB_CREDIT_LEN 6	/* "OSK1" | u16 n */
#define JOB_MAX_TEXTS 5
#define JOB_LINE_TEXT_UNITS 5000	/* UTF-16 code units per LINE text */
#define JOB_MAX_ITEMS 13		/* LINE's quick-reply buttons */
#define JOB_ITEM_LABEL_CHARS 20		/* characters (code points) */
#define JOB_ITEM_DATA_MAX 300		/* bytes of data, and of text */

enum job_kind { JOB_PUSH = 0, JOB_REPLY = 1 };

/* A quick-reply postback button. */
struct job_item {
	char label[64];
	char data[JOB_ITEM_DATA_MAX + 1];
	char text[JOB_ITEM_DATA_MAX + 1];
};

struct job {
	uint64_t id;			/* the message (digest) id */
	uint32_t attempt;		/* 1 for the first */
	uint64_t token;			/* the attempt's, echoed in its result */
	uint8_t channel;		/* CHANNEL_LINE / CHANNEL_EMAIL */
	uint8_t language;		/* LANG_JA / LANG_EN */
	uint8_t kind;			/* JOB_PUSH / JOB_REPLY */
	char retry_key[37];		/* canonical lowercase UUID */
	char to[256];
	char subject[512];
	char message_id[128];
	char unsubscribe[1024];
	unsigned ntexts;
	const char *text[JOB_MAX_TEXTS];	/* point into the decoded frame */
	size_t text_len[JOB_MAX_TEXTS];
	unsigned nitems;
	struct job_item item[JOB_MAX_ITEMS];
};

/* What became of one attempt. */
enum job_outcome {
	JOB_SENT = 1,		/* LINE 200 / 409, SMTP 250 */
	JOB_RETRY,		/* transient: 5xx, timeout, network, SMTP 4xx */
	JOB_PERMANENT,		/* this message can never go: LINE 400/413/415,
				 * SMTP 5xx */
	JOB_RATE,		/* LINE 429 rate limit: slow down, retry */
	JOB_QUOTA,		/* LINE 429 monthly limit: wait for the month */
	JOB_AUTH		/* LINE 401/403, SMTP AUTH refused: pause the
				 * channel, alert the operator */
};

struct job_result {
	uint64_t id;
	uint32_t attempt;
	uint64_t token;		/* the job's */
	uint8_t outcome;	/* enum job_outcome */
	int32_t status;		/* HTTP status or SMTP reply code; 0 none */
	int32_t transport;	/* CURLcode; 0 ok */
	char detail[256];	/* LINE's error message, SMTP reply; no address */
	char request_id[64];	/* LINE x-line-request-id (or accepted id) */
	uint32_t retry_after;	/* seconds a 429 asked us to wait (Retry-After),
				 * 0: none */
};

/* Encode into buf (cap bytes); returns the length or 0 if it does not fit
 * or is not a job (no text or too many, an unknown kind, a reply not on
 * LINE, items not on LINE or out of their limits). */
size_t job_encode(const struct job *j, uint8_t *buf, size_t cap);
/* Decode OSJ3 or OSJ2; texts point into buf.  Returns 0 or -1 (what
 * job_encode would refuse, too). */
int job_decode(const uint8_t *buf, size_t len, struct job *j);
size_t job_result_encode(const struct job_result *r, uint8_t *buf, size_t cap);
int job_result_decode(const uint8_t *buf, size_t len, struct job_result *r);
const char *job_outcome_name(int outcome);
/* A credit asking for n (1..65535) jobs: JOB_CREDIT_LEN bytes into buf,
 * returns JOB_CREDIT_LEN or 0 if n or cap will not do.  Decode: 0 and *n,
 * or -1. */
size_t job_credit_encode(unsigned n, uint8_t *buf, size_t cap);
int job_credit_decode(const uint8_t *buf, size_t len, unsigned *n);

#endif
