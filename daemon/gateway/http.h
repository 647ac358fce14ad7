/* http.h - the gateway's HTTP server: libmicrohttpd, routing, limits of
 * size, connections and time, the security headers, and each path's
 * answer
 * SPDX-License-Identifier: MIT
 *
 * Owns: the listening socket, libmicrohttpd's pool of [gateway] threads,
 * each request from its first byte to its answer.  Paths (README,
 * "Gateway"): POST /line/webhook; GET and POST /unsubscribe/TOKEN,
 * /register, /confirm/TOKEN; GET /healthz; anything else 404, another
 * method 405.  Every answer has Cache-Control: no-store, a strict
 * Content-Security-Policy and the headers that keep a page out of frames
 * and referrers.
 * Never touches: the store, the channel secret's file (main.c reads it;
 * this module only uses the bytes), the JSON (webhook.c), form bodies'
 * grammar (forms.c), ZeroMQ (queue.c).  It logs routes and statuses,
 * never a path's token, a user id, an address or a body.
 */
#ifndef OSHIRASE_HTTP_H
#define OSHIRASE_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct gwq;
struct limits;

struct http_conf {
	const char *listen;		/* HOST:PORT ([v6]:PORT) */
	const uint8_t *secret;		/* the LINE channel secret's bytes */
	size_t secret_len;
	struct gwq *queue;
	struct limits *limits;
	long max_body, max_conn, per_address, timeout, threads, attempts_window;
	long queue_timeout;		/* seconds, for the log */
	int trust_proxy;
};

struct http;

/* Listen and serve (the conf and what it points to must outlive the
 * server).  0 and *out, or -1 with err set (the address does not parse,
 * bind or listen failed, libmicrohttpd did not start). */
int http_start(const struct http_conf *conf, struct http **out, char *err,
    size_t errlen);
/* Stop listening, end every connection and thread. NULL is fine. */
void http_stop(struct http *h);
/* HOST:PORT (an IPv4 or IPv6 address, [v6]:PORT, or localhost) into a
 * socket address: 0 or -1. */
struct sockaddr_storage;
int http_listen_addr(const char *listen, struct sockaddr_storage *ss,
    unsigned *sslen);

#endif
