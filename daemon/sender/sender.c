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
sender_loop(void *zctx, const char *jobs_ep, const char *results_ep,
    const struct config *cfg)
{
	struct sender *s;
	struct job j;
	struct job_result r;
	uint8_t out[512];
	void *pull = NULL, *push = NULL;
	char err[1200];
	/* A small receive queue, so that jobs spread over the senders
	 * instead of waiting behind a slow one; unsent jobs are dropped at
	 * shutdown (the dispatcher times them out), results get a while. */
	int hwm = 2, zero = 0, linger = SENDER_LINGER_MS, rc = -1;

	if ((s = sender_new(cfg, err, sizeof(err))) == NULL) {
		log_warnx("sender_loop: %s", err);
		return -1;
	}
	if ((pull = zmq_socket(zctx, ZMQ_PULL)) == NULL ||
	    (push = zmq_socket(zctx, ZMQ_PUSH)) == NULL) {
		if (errno == ETERM)
			rc = 0;
		else
			log_warnx("sender_loop: zmq_socket: %s", zmq_strerror(errno));
		goto out;
	}
	if (zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger)) != 0) {
		log_warnx("sender_loop: zmq_setsockopt: %s", zmq_strerror(errno));
		goto out;
	}
	if (zmq_connect(pull, jobs_ep) != 0) {
		log_warnx("sender_loop: connect %s: %s", jobs_ep, zmq_strerror(errno));
		goto out;
	}
	if (zmq_connect(push, results_ep) != 0) {
		log_warnx("sender_loop: connect %s: %s", results_ep,
		    zmq_strerror(errno));
		goto out;
	}
	for (;;) {
		zmq_msg_t msg;
		size_t n;
		int sent;

		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, pull, 0) < 0) {
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
		while ((sent = zmq_send(push, out, n, 0)) < 0 && errno == EINTR)
			;
		if (sent < 0) {
			if (errno == ETERM) {
				rc = 0;
				break;
			}
			log_warnx("sender_loop: job %016llx: zmq_send: %s",
			    (unsigned long long)r.id, zmq_strerror(errno));
		}
	}
out:
	if (pull != NULL)
		zmq_close(pull);
	if (push != NULL)
		zmq_close(push);
	sender_free(s);
	return rc;
}

void *
sender_thread(void *arg)
{
	struct sender_thread_args *a = arg;

	a->rc = sender_loop(a->zctx, a->jobs_ep, a->results_ep, a->cfg);
	return a;
}
