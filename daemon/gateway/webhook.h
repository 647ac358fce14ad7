/* webhook.h - the LINE webhook: its signature, and its events as actions
 * SPDX-License-Identifier: MIT
 *
 * Owns: checking X-Line-Signature over the raw body, and reading the
 * JSON body (jansson) into action frames (action.h): pure functions, no
 * I/O, no clock, no globals (tests/fuzz/fuzz_webhook.c feeds them).
 * Never touches: the network, the queue, the attempt limits (http.c
 * applies them), the store, anything of a resident's but the LINE user id
 * and the event's own fields.
 *
 * The signature is Base64(HMAC-SHA256(key = the channel secret's bytes,
 * message = the raw body)), compared in constant time.  Events read:
 * follow, unfollow, message (text only), postback, from a source of type
 * user, in mode active; every other event is ignored (counted).  A body
 * that is not JSON, or not an object with an array "events", is refused.
 * An event of ours not of LINE's shape (not an object with a string
 * "type"; or without a user source with a LINE user id, a webhookEventId
 * and an integer timestamp) is skipped and counted, and the others
 * apply: a 4xx would make LINE drop the whole request, an unfollow in it
 * too.
 *
 * Postback data (the queue's quick replies): cat=D (D 0..7: the health,
 * child and welfare bits) -> ACT_LINE_CONSENT mask 7; tax=0|1 -> mask 8;
 * lang=ja|en -> ACT_LINE_CONSENT with ACT_FLAG_LANGUAGE and mask 0;
 * stop -> ACT_LINE_STOP; settings -> ACT_LINE_SETTINGS; anything else is
 * ignored.  Text, trimmed (ASCII white space and U+3000): 設定 or
 * "settings" (any case) -> ACT_LINE_SETTINGS; 配信停止 or "stop" ->
 * ACT_LINE_STOP; a registration code (codes.h code_normalize, full-width
 * letters, digits and dashes read as ASCII) -> ACT_LINE_CODE with the
 * code's 12 symbols; anything else ACT_LINE_TEXT (the text is not kept).
 */
#ifndef OSHIRASE_WEBHOOK_H
#define OSHIRASE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"

#define WEBHOOK_MAX_EVENTS 256	/* events in one request, at most */

#define WEBHOOK_EJSON (-1700)	/* not JSON */
#define WEBHOOK_ESHAPE (-1701)	/* JSON, but not LINE's shape */
#define WEBHOOK_ETOOMANY (-1702)	/* more than WEBHOOK_MAX_EVENTS */

/* 0 if sig (the header's text, NUL-terminated; NULL when missing) is the
 * signature of the len bytes of body under the slen bytes of secret;
 * -1 if not (missing, not Base64 of 32 bytes, or another value). */
int webhook_verify(const uint8_t *secret, size_t slen, const char *sig,
    const uint8_t *body, size_t len);

/* The actions of a webhook body, in the order of its events; act is
 * malloc'ed (free with webhook_batch_free, which accepts a zeroed
 * batch).  Request ids are 0 (the queue module sets them). */
struct webhook_batch {
	struct action *act;
	size_t n;
	size_t events;		/* events in the body */
	size_t ignored;		/* events of other types or sources, or in
				 * standby mode */
	size_t malformed;	/* events of ours not of LINE's shape:
				 * skipped, the others applied */
	size_t redelivered;	/* read events LINE marked isRedelivery */
};
/* 0, or WEBHOOK_E* (b is then empty). */
int webhook_parse(const void *body, size_t len, struct webhook_batch *b);
void webhook_batch_free(struct webhook_batch *b);

/* The postback grammar: 0 and a->kind (consent, mask, language, flags)
 * set, or -1 (ignored).  data is NUL-terminated. */
int webhook_postback(const char *data, struct action *a);
/* What a text message asks: sets a->kind (and a->code for a code). */
void webhook_text(const char *text, size_t len, struct action *a);

const char *webhook_strerror(int code);

#endif
