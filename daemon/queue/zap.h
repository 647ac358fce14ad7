/* zap.h - the queue's ZAP handler: which senders may connect over tcp://
 * SPDX-License-Identifier: MIT
 *
 * The queue's tcp:// endpoints use CURVE with the queue as the server.
 * For each connection libzmq asks the ZAP handler bound at
 * inproc://zeromq.zap.01 (ZeroMQ RFC 27) before the handshake completes:
 * a request of frames version "1.0", request id, domain, address,
 * identity, mechanism, credentials (for CURVE: the client's 32-byte public
 * key); the reply: version, request id, status code ("200" lets the peer
 * in, "400" refuses it), status text, user id, metadata.  A refused peer
 * never gets a message: a job is only pushed to a peer whose handshake is
 * done.
 *
 * The handler runs in a thread of its own, so that a handshake is
 * answered while the main thread runs a match.  It must be started
 * before the first CURVE endpoint is bound (with no handler, libzmq lets
 * every CURVE client in) and stopped only after those sockets are closed.
 * A refusal is logged with the key's first 8 Z85 characters and the
 * peer's address (no secret: the key is public), at most once a minute
 * per key.
 */
#ifndef OSHIRASE_ZAP_H
#define OSHIRASE_ZAP_H

#include <stddef.h>
#include <stdint.h>

#include "curve.h"

#define ZAP_DOMAIN "oshirase-senders"	/* ZMQ_ZAP_DOMAIN of our CURVE endpoints */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_FRAMES 8

/* A ZAP request's frames, pointing into the received messages. */
struct zap_request {
	size_t n;
	const uint8_t *frame[ZAP_MAX_FRAMES];
	size_t len[ZAP_MAX_FRAMES];
};

/*
 * The status code for a request: 200 when it is a version 1.0 request of
 * domain ZAP_DOMAIN, mechanism CURVE, whose key is in allow; 400 when it
 * is well formed but refused; 500 when it is not a ZAP request at all.
 * When the request carries a CURVE key it is copied to key and *has_key
 * set.  Pure: for tests.
 */
int zap_decide(const struct curve_keys *allow, const struct zap_request *rq,
    uint8_t key[CURVE_KEY_LEN], int *has_key);

struct zap;

/*
 * Bind the handler on zctx and start its thread; it answers from allow
 * (taken over: freed by zap_stop).  NULL with err set (another handler is
 * bound on zctx, a thread could not start).
 */
struct zap *zap_start(void *zctx, struct curve_keys *allow, char *err,
    size_t errlen);
/* Stop the thread, close its socket.  NULL is fine. */
void zap_stop(struct zap *z);

#endif
