/* zap.c - the queue's ZAP handler (see zap.h)
 * SPDX-License-Identifier: MIT
 */
#include "zap.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define POLL_MS 200		/* how soon the thread sees a stop */
#define LOG_EVERY 60.0		/* seconds between refusals logged per key */
#define LOG_KEYS 16		/* keys remembered for that */

struct zap {
	void *rep;
	pthread_t tid;
	atomic_int stop;
	struct curve_keys allow;
	struct {
		uint8_t key[CURVE_KEY_LEN];
		double last;		/* monotonic; 0: free */
		unsigned long quiet;	/* refusals not logged since */
	} seen[LOG_KEYS];
};

static int
frame_is(const struct zap_request *rq, size_t i, const char *s)
{
	return rq->len[i] == strlen(s) && memcmp(rq->frame[i], s, rq->len[i]) == 0;
}

int
zap_decide(const struct curve_keys *allow, const struct zap_request *rq,
    uint8_t key[CURVE_KEY_LEN], int *has_key)
{
	*has_key = 0;
	if (rq->n < 6 || !frame_is(rq, 0, "1.0"))
		return 500;
	if (frame_is(rq, 5, "CURVE") && rq->n == 7 &&
	    rq->len[6] == CURVE_KEY_LEN) {
		memcpy(key, rq->frame[6], CURVE_KEY_LEN);
		*has_key = 1;
	}
	if (!frame_is(rq, 2, ZAP_DOMAIN) || !*has_key)
		return 400;
	return curve_keys_has(allow, key) ? 200 : 400;
}

/* Log a refusal, unless this key was logged less than LOG_EVERY ago. */
static void
log_refusal(struct zap *z, const struct zap_request *rq, const uint8_t *key,
    int has_key, const char *why)
{
	char z85[CURVE_Z85_LEN + 1] = "(none)", addr[64] = "?", more[96] = "";
	double now = util_now();
	size_t slot = 0, oldest = 0;

	if (rq->n > 3 && rq->len[3] < sizeof(addr) &&
	    memchr(rq->frame[3], '\0', rq->len[3]) == NULL) {
		memcpy(addr, rq->frame[3], rq->len[3]);
		addr[rq->len[3]] = '\0';
	}
	if (has_key) {
		for (slot = 0; slot < LOG_KEYS; slot++) {
			if (z->seen[slot].last != 0 &&
			    memcmp(z->seen[slot].key, key, CURVE_KEY_LEN) == 0)
				break;
			if (z->seen[slot].last < z->seen[oldest].last)
				oldest = slot;
		}
		if (slot < LOG_KEYS && now - z->seen[slot].last < LOG_EVERY) {
			z->seen[slot].quiet++;
			return;
		}
		if (slot == LOG_KEYS) {
			slot = oldest;
			memcpy(z->seen[slot].key, key, CURVE_KEY_LEN);
		} else if (z->seen[slot].quiet > 0)
			snprintf(more, sizeof(more), " (refused %lu more times since "
			    "the last message)", z->seen[slot].quiet);
		z->seen[slot].last = now;
		z->seen[slot].quiet = 0;
		curve_z85_encode(key, CURVE_KEY_LEN, z85);
		strcpy(z85 + 8, "...");
	}
	log_warnx("zap: refused a sender from %s with key %s: %s%s", addr, z85,
	    why, more);
}

static void
reply(void *rep, const struct zap_request *rq, int status)
{
	static const char *const text[] = { "OK", "not allowed", "not a ZAP request" };
	char code[4];
	int i = status == 200 ? 0 : status == 400 ? 1 : 2;

	snprintf(code, sizeof(code), "%d", status);
	zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(rep, rq->n > 1 ? rq->frame[1] : NULL, rq->n > 1 ? rq->len[1] : 0,
	    ZMQ_SNDMORE);
	zmq_send(rep, code, 3, ZMQ_SNDMORE);
	zmq_send(rep, text[i], strlen(text[i]), ZMQ_SNDMORE);
	zmq_send(rep, "", 0, ZMQ_SNDMORE);	/* user id */
	zmq_send(rep, "", 0, 0);		/* metadata */
}

/* Receive one request (every frame of it); answer it.  -1 on ETERM or a
 * socket error. */
static int
serve_one(struct zap *z)
{
	zmq_msg_t msg[ZAP_MAX_FRAMES];
	struct zap_request rq = { 0 };
	uint8_t key[CURVE_KEY_LEN];
	int more = 1, has_key = 0, status, rc = 0;
	size_t got = 0;

	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, z->rep, 0) < 0) {
			zmq_msg_close(&m);
			if (errno == EINTR)
				continue;
			rc = -1;
			goto out;
		}
		more = zmq_msg_more(&m);
		if (got < ZAP_MAX_FRAMES)
			msg[got++] = m;
		else
			zmq_msg_close(&m);	/* too many: not a request */
	}
	rq.n = got;
	for (size_t i = 0; i < got; i++) {
		rq.frame[i] = zmq_msg_data(&msg[i]);
		rq.len[i] = zmq_msg_size(&msg[i]);
	}
	status = got == ZAP_MAX_FRAMES ? 500 : zap_decide(&z->allow, &rq, key,
	    &has_key);
	if (status != 200)
		log_refusal(z, &rq, key, has_key, status == 400 && has_key &&
		    frame_is(&rq, 2, ZAP_DOMAIN) ? "not in [senders] curve_clients" :
		    "not a CURVE request for " ZAP_DOMAIN);
	reply(z->rep, &rq, status);
out:
	for (size_t i = 0; i < got; i++)
		zmq_msg_close(&msg[i]);
	return rc;
}

static void *
zap_main(void *arg)
{
	struct zap *z = arg;
	zmq_pollitem_t pi = { z->rep, 0, ZMQ_POLLIN, 0 };

	while (!atomic_load(&z->stop)) {
		int n = zmq_poll(&pi, 1, POLL_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && serve_one(z) != 0)) {
			if (errno != ETERM)
				log_warnx("zap: %s; tcp senders can no longer "
				    "connect", zmq_strerror(errno));
			break;
		}
	}
	return NULL;
}

struct zap *
zap_start(void *zctx, struct curve_keys *allow, char *err, size_t errlen)
{
	struct zap *z = xcalloc(1, sizeof(*z));
	int zero = 0;

	z->allow = *allow;
	allow->key = NULL;
	allow->n = 0;
	if ((z->rep = zmq_socket(zctx, ZMQ_REP)) == NULL ||
	    zmq_setsockopt(z->rep, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_bind(z->rep, ZAP_ENDPOINT) != 0) {
		snprintf(err, errlen, "zap: bind %s: %s", ZAP_ENDPOINT,
		    zmq_strerror(errno));
		goto fail;
	}
	if ((errno = pthread_create(&z->tid, NULL, zap_main, z)) != 0) {
		snprintf(err, errlen, "zap: pthread_create: %s", strerror(errno));
		goto fail;
	}
	return z;
fail:
	if (z->rep != NULL)
		zmq_close(z->rep);
	curve_keys_fini(&z->allow);
	free(z);
	return NULL;
}

void
zap_stop(struct zap *z)
{
	if (z == NULL)
		return;
	atomic_store(&z->stop, 1);
	pthread_join(z->tid, NULL);
	zmq_close(z->rep);
	curve_keys_fini(&z->allow);
	free(z);
}
