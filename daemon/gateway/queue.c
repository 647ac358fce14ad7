/* queue.c - the action link to the queue (queue.h)
 * SPDX-License-Identifier: MIT
 *
 * Owns: the ZeroMQ context and the per-thread DEALER sockets.  Never
 * touches: the store, HTTP, the limits, the actions' contents (it only
 * numbers them).
 */
#include "queue.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct gwq {
	void *ctx;
	char *endpoint;
	long timeout_ms;
	pthread_key_t key;	/* the thread's socket */
	atomic_uint_fast64_t next;
};

static void
sock_close(void *s)
{
	if (s != NULL)
		zmq_close(s);
}

int
gwq_new(const char *endpoint, long timeout_ms, struct gwq **out, char *err,
    size_t errlen)
{
	struct gwq *q;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->endpoint = strdup(endpoint)) == NULL) {
		free(q);
		snprintf(err, errlen, "gwq_new: out of memory");
		return -1;
	}
	if ((q->ctx = zmq_ctx_new()) == NULL) {
		snprintf(err, errlen, "gwq_new: zmq_ctx_new: %s",
		    zmq_strerror(errno));
		free(q->endpoint);
		free(q);
		return -1;
	}
	if (pthread_key_create(&q->key, sock_close) != 0) {
		snprintf(err, errlen, "gwq_new: pthread_key_create failed");
		zmq_ctx_term(q->ctx);
		free(q->endpoint);
		free(q);
		return -1;
	}
	q->timeout_ms = timeout_ms;
	atomic_init(&q->next, 1);
	*out = q;
	return 0;
}

/* The calling thread's socket, made and connected on first use. */
static void *
thread_sock(struct gwq *q)
{
	void *s = pthread_getspecific(q->key);
	int zero = 0, one = 1;

	if (s != NULL)
		return s;
	if ((s = zmq_socket(q->ctx, ZMQ_DEALER)) == NULL) {
		log_warnx("gwq: zmq_socket: %s", zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof(one));
	if (zmq_connect(s, q->endpoint) != 0) {
		log_warnx("gwq: connect %s: %s", q->endpoint, zmq_strerror(errno));
		zmq_close(s);
		return NULL;
	}
	pthread_setspecific(q->key, s);
	return s;
}

static long
ms_left(double deadline)
{
	double left = (deadline - util_now()) * 1000.0;

	return left > 0 ? (long)left + 1 : 0;
}

/* Read one message; its last frame into buf.  Its length, or -1. */
static int
recv_last(void *s, uint8_t *buf, size_t cap)
{
	int more, n = -1, r;
	size_t sz = sizeof(more);

	do {
		r = zmq_recv(s, buf, cap, ZMQ_DONTWAIT);
		if (r < 0)
			return -1;
		n = (size_t)r > cap ? -2 : r;	/* truncated: not an answer */
		if (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) != 0)
			more = 0;
	} while (more);
	return n;
}

size_t
gwq_call(struct gwq *q, struct action *a, struct action_answer *ans, size_t n)
{
	uint8_t buf[ACT_FRAME_MAX];
	struct action_answer r;
	double deadline = util_now() + (double)q->timeout_ms / 1000.0;
	size_t sent = 0, got = 0, len, i;
	zmq_pollitem_t pi;
	uint64_t first;
	void *s;
	int tmo, m;

	for (i = 0; i < n; i++) {
		memset(&ans[i], 0, sizeof(ans[i]));
		ans[i].status = ACT_UNAVAILABLE;
		ans[i].request = UINT64_MAX;	/* not answered yet */
	}
	if (n == 0 || (s = thread_sock(q)) == NULL)
		return 0;
	first = atomic_fetch_add(&q->next, n);
	for (i = 0; i < n; i++) {
		a[i].request = first + i;
		if ((len = action_encode(&a[i], buf, sizeof(buf))) == 0) {
			log_warnx("gwq: an action of kind %s does not encode",
			    action_kind_name(a[i].kind));
			break;
		}
		tmo = (int)ms_left(deadline);
		zmq_setsockopt(s, ZMQ_SNDTIMEO, &tmo, sizeof(tmo));
		if (zmq_send(s, buf, len, 0) < 0) {
			log_debug("gwq: send: %s", zmq_strerror(errno));
			break;
		}
		sent++;
	}
	pi.socket = s;
	pi.events = ZMQ_POLLIN;
	while (got < sent) {
		pi.revents = 0;
		if ((m = zmq_poll(&pi, 1, ms_left(deadline))) < 0 && errno != EINTR)
			break;
		if (m <= 0) {
			if (ms_left(deadline) == 0)
				break;
			continue;
		}
		while (got < sent) {
			int k = recv_last(s, buf, sizeof(buf));

			if (k == -1)
				break;
			if (k < 0 || action_answer_decode(buf, (size_t)k, &r) != 0)
				continue;
			/* an answer to a call of this thread that timed out
			 * falls outside [first, first + sent) */
			if (r.request < first || r.request >= first + sent ||
			    ans[r.request - first].request != UINT64_MAX)
				continue;
			ans[r.request - first] = r;
			got++;
		}
	}
	for (i = 0; i < n; i++)
		if (ans[i].request == UINT64_MAX)
			ans[i].request = a[i].request;
	return got;
}

void
gwq_free(struct gwq *q)
{
	void *s;

	if (q == NULL)
		return;
	if ((s = pthread_getspecific(q->key)) != NULL) {
		zmq_close(s);
		pthread_setspecific(q->key, NULL);
	}
	pthread_key_delete(q->key);
	zmq_ctx_term(q->ctx);
	free(q->endpoint);
	free(q);
}
