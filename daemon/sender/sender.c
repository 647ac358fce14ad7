/* sender.c - a sender: the backend for each channel, and the loop that
 * takes jobs from the queue over ZeroMQ
 * SPDX-License-Identifier: MIT
 *
 * What it owns, what it never touches and how it classifies outcomes:
 * see sender.h.  The backends are line.c and mail.c (backend.h).
 */
#include "sender.h"
#include "backend.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* The backends, each chosen by the channel of a job. */
static const struct sender_backend *const backends[] = {
	&sender_line,
	&sender_mail,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

struct sender {
	void *state[NBACKENDS];		/* each backend's, by index */
	unsigned long jobs;
};

struct sender *
sender_new(const struct config *cfg, char *err, size_t errlen)
{
	struct sender *s;

	if (sender_curl_init(err, errlen) != 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	for (size_t i = 0; i < NBACKENDS; i++)
		if ((s->state[i] = backends[i]->open(cfg, err, errlen)) == NULL) {
			sender_free(s);
			return NULL;
		}
	return s;
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < NBACKENDS; i++)
		if (s->state[i] != NULL)
			backends[i]->close(s->state[i]);
	free(s);
}

int
sender_perform(struct sender *s, const struct job *j, struct job_result *r)
{
	memset(r, 0, sizeof(*r));
	r->id = j->id;
	r->attempt = j->attempt;
	r->token = j->token;
	s->jobs++;
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->channel == j->channel) {
			backends[i]->perform(s->state[i], j, r);
			return 0;
		}
	r->outcome = JOB_PERMANENT;
	sender_detail(r, "unknown channel %u", j->channel);
	return 0;
}

void
sender_stats(const struct sender *s, struct sender_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->jobs = s->jobs;
	for (size_t i = 0; i < NBACKENDS; i++) {
		unsigned long n = backends[i]->connects(s->state[i]);

		if (backends[i]->channel == CHANNEL_LINE)
			st->line_connects = n;
		else if (backends[i]->channel == CHANNEL_EMAIL)
			st->mail_connects = n;
	}
}

/* --- the ZeroMQ loop --- */

int
sender_link_secure(const char *ep)
{
	return strncmp(ep, "tcp://", 6) == 0;
}

/* Connect sock to ep, as a CURVE client over tcp://. */
static int
link_connect(void *sock, const char *ep, const struct sender_link *link)
{
	if (sender_link_secure(ep)) {
		if (link->server_key == NULL || link->keys == NULL) {
			errno = EINVAL;		/* main refuses this first */
			return -1;
		}
		if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, link->server_key,
		    CURVE_KEY_LEN) != 0 ||
		    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, link->keys->pub,
		    CURVE_KEY_LEN) != 0 ||
		    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, link->keys->sec,
		    CURVE_KEY_LEN) != 0)
			return -1;
	}
	return zmq_connect(sock, ep);
}

/* The CURVE handshakes of the jobs socket, logged: a sender whose key the
 * queue refuses, or that pins a key that is not the queue's, would
 * otherwise wait in silence.  A kind of failure is logged at once, then
 * at most once a minute. */
struct watch {
	void *mon;
	const char *ep;
	double last_fail;
	int last_event, connected;
};

static void
watch_event(struct watch *w)
{
	zmq_msg_t m;
	uint16_t event = 0;
	double now = util_now();

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, w->mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return;
	}
	if (zmq_msg_size(&m) >= 2)
		memcpy(&event, zmq_msg_data(&m), 2);
	while (zmq_msg_more(&m)) {	/* the endpoint frame */
		zmq_msg_close(&m);
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, w->mon, 0) < 0)
			break;
	}
	zmq_msg_close(&m);
	if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
		if (!w->connected || w->last_event != event)
			log_info("sender: CURVE handshake with the queue at %s "
			    "done", w->ep);
		w->connected = 1;
		w->last_event = event;
		return;
	}
	if (event != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH &&
	    event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
	    event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		return;
	if (event == w->last_event && now - w->last_fail < 60)
		return;
	w->last_event = event;
	w->last_fail = now;
	log_warnx("sender: CURVE handshake with %s failed: %s", w->ep,
	    event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ?
	    "the queue refused this sender's key (not in its curve_clients)" :
	    "is [senders] server_key the queue's public key?");
}

static int
watch_start(void *zctx, void *sock, const char *ep, struct watch *w)
{
	char name[64];
	int zero = 0;

	snprintf(name, sizeof(name), "inproc://oshirase-sender-watch-%p", sock);
	w->ep = ep;
	if (zmq_socket_monitor(sock, name, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
	    (w->mon = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(w->mon, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_connect(w->mon, name) != 0)
		return -1;
	return 0;
}

/* Ask the queue for one more job.  0, or -1 when the context is shut
 * down.  With the queue away the credit is moot: its next connection
 * asks for a window anew. */
static int
ask(void *jobs, const uint8_t *credit)
{
	while (zmq_send(jobs, credit, JOB_CREDIT_LEN, ZMQ_DONTWAIT) < 0) {
		if (errno == ETERM)
			return -1;
		if (errno != EINTR)
			break;
	}
	return 0;
}

int
sender_loop(void *zctx, const struct sender_link *link,
    const struct config *cfg)
{
	struct sender *s;
	struct job j;
	struct job_result r;
	struct watch w = { 0 };
	uint8_t out[512], credit[JOB_CREDIT_LEN];
	void *jobs = NULL, *results = NULL;
	char err[1200];
	/* Jobs come only as asked for (job.h: JOB_WINDOW on connecting, one
	 * more after each), so that they spread over the senders instead of
	 * waiting behind a slow one.  Unanswered credits and jobs not yet
	 * taken are dropped at shutdown (the dispatcher times the jobs out),
	 * results get a while. */
	int one = 1, zero = 0, linger = SENDER_LINGER_MS, rc = -1;
	const char *step = NULL, *ep = "";

	if ((s = sender_new(cfg, err, sizeof(err))) == NULL) {
		log_warnx("sender_loop: %s", err);
		return -1;
	}
	job_credit_encode(1, credit, sizeof(credit));
	if ((jobs = zmq_socket(zctx, ZMQ_DEALER)) == NULL ||
	    (results = zmq_socket(zctx, ZMQ_PUSH)) == NULL)
		step = "zmq_socket";
	else if (zmq_setsockopt(jobs, ZMQ_PROBE_ROUTER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(jobs, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(results, ZMQ_LINGER, &linger, sizeof(linger)) != 0)
		step = "zmq_setsockopt";
	else if (link->watch && sender_link_secure(link->jobs) &&
	    watch_start(zctx, jobs, link->jobs, &w) != 0)
		step = "zmq_socket_monitor";
	else if (link_connect(jobs, link->jobs, link) != 0) {
		step = "connect ";
		ep = link->jobs;
	} else if (link_connect(results, link->results, link) != 0) {
		step = "connect ";
		ep = link->results;
	}
	if (step != NULL) {
		/* the context shut down while this thread set up: a stop */
		if (errno == ETERM)
			rc = 0;
		else
			log_warnx("sender_loop: %s%s: %s", step, ep, zmq_strerror(errno));
		goto out;
	}
	for (;;) {
		zmq_pollitem_t pi[2] = { { jobs, 0, ZMQ_POLLIN, 0 },
			{ w.mon, 0, ZMQ_POLLIN, 0 } };
		zmq_msg_t msg;
		size_t n;
		int sent;

		if (w.mon != NULL) {
			if (zmq_poll(pi, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				if (errno == ETERM)
					rc = 0;
				else
					log_warnx("sender_loop: zmq_poll: %s",
					    zmq_strerror(errno));
				break;
			}
			if (pi[1].revents & ZMQ_POLLIN)
				watch_event(&w);
			if (!(pi[0].revents & ZMQ_POLLIN))
				continue;
		}
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, jobs, 0) < 0) {
			int e = errno;

			zmq_msg_close(&msg);
			if (e == EINTR)
				continue;
			if (e == ETERM)
				rc = 0;
			else
				log_warnx("sender_loop: zmq_msg_recv: %s",
				    zmq_strerror(e));
			break;
		}
		if (job_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &j) != 0) {
			log_warnx("sender_loop: a job frame of %zu bytes does not "
			    "decode; dropped", zmq_msg_size(&msg));
			zmq_msg_close(&msg);
			if (ask(jobs, credit) != 0) {
				rc = 0;
				break;
			}
			continue;
		}
		sender_perform(s, &j, &r);
		/* texts point into msg; wipe what the frame held */
		sodium_memzero(zmq_msg_data(&msg), zmq_msg_size(&msg));
		zmq_msg_close(&msg);
		sodium_memzero(&j, sizeof(j));
		log_debug("sender_loop: job %016llx attempt %u: %s, status %d",
		    (unsigned long long)r.id, r.attempt,
		    job_outcome_name(r.outcome), r.status);
		n = job_result_encode(&r, out, sizeof(out));
		if (n == 0) {
			log_warnx("sender_loop: job %016llx: result does not "
			    "encode", (unsigned long long)r.id);
			continue;
		}
		while ((sent = zmq_send(results, out, n, 0)) < 0 && errno == EINTR)
			;
		if (sent < 0) {
			if (errno == ETERM) {
				rc = 0;
				break;
			}
			log_warnx("sender_loop: job %016llx: zmq_send: %s",
			    (unsigned long long)r.id, zmq_strerror(errno));
		}
		if (ask(jobs, credit) != 0) {
			rc = 0;
			break;
		}
	}
out:
	if (w.mon != NULL) {
		zmq_socket_monitor(jobs, NULL, 0);
		zmq_close(w.mon);
	}
	if (jobs != NULL)
		zmq_close(jobs);
	if (results != NULL)
		zmq_close(results);
	sender_free(s);
	return rc;
}

void *
sender_thread(void *arg)
{
	struct sender_thread_args *a = arg;

	a->rc = sender_loop(a->zctx, &a->link, a->cfg);
	return a;
}
