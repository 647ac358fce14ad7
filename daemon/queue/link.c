/* link.c - the queue's end of the link to its senders (see link.h)
 * SPDX-License-Identifier: MIT
 */
#include "link.h"
#include "curve.h"
#include "job.h"
#include "log.h"
#include "util.h"
#include "zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define CREDIT_ID_MAX 31		/* routing ids kept; libzmq makes 5 bytes */
#define CREDITS_MAX (1u << 16)	/* credits kept at most */
#define CREDITS_PER_FRAME 64	/* a credit frame asks for at most this */

struct credit {
	uint8_t len;
	uint8_t id[CREDIT_ID_MAX];
};

struct link {
	void *jobs, *results;
	struct zap *zap;
	struct credit *c;	/* a ring: head, n of cap */
	size_t head, n, cap;
	int warned;
};

void *
link_jobs(const struct link *l)
{
	return l->jobs;
}

void *
link_results(const struct link *l)
{
	return l->results;
}

static void
credit_add(struct link *l, const uint8_t *id, size_t len, unsigned n)
{
	if (len == 0 || len > CREDIT_ID_MAX) {
		if (!l->warned++)
			log_warnx("link: a sender with a routing id of %zu bytes; "
			    "its credits are ignored", len);
		return;
	}
	for (; n > 0 && l->n < CREDITS_MAX; n--) {
		struct credit *c;

		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct credit *nc = xcalloc(cap, sizeof(*nc));

			for (size_t i = 0; i < l->n; i++)
				nc[i] = l->c[(l->head + i) % l->cap];
			free(l->c);
			l->c = nc;
			l->cap = cap;
			l->head = 0;
		}
		c = &l->c[(l->head + l->n++) % l->cap];
		c->len = (uint8_t)len;
		memcpy(c->id, id, len);
	}
}

/* One message from a sender's DEALER: its routing id, then an empty
 * frame (it connected) or a credit frame.  0, or -1 when nothing is
 * waiting. */
static int
read_credit(struct link *l)
{
	uint8_t id[256], body[JOB_CREDIT_LEN + 1];
	int idlen, len, more = 0;
	size_t moresz = sizeof(more);
	unsigned n;

	if ((idlen = zmq_recv(l->jobs, id, sizeof(id), ZMQ_DONTWAIT)) < 0)
		return -1;
	len = zmq_recv(l->jobs, body, sizeof(body), ZMQ_DONTWAIT);
	while (zmq_getsockopt(l->jobs, ZMQ_RCVMORE, &more, &moresz) == 0 && more)
		zmq_recv(l->jobs, NULL, 0, ZMQ_DONTWAIT);
	if (len == 0)
		credit_add(l, id, (size_t)idlen, JOB_WINDOW);
	else if (len > 0 && (size_t)len <= JOB_CREDIT_LEN &&
	    job_credit_decode(body, (size_t)len, &n) == 0)
		credit_add(l, id, (size_t)idlen, n < CREDITS_PER_FRAME ? n :
		    CREDITS_PER_FRAME);
	else
		log_warnx("link: a frame of %d bytes from a sender is not a "
		    "credit; dropped", len);
	return 0;
}

int
link_room(struct link *l)
{
	while (read_credit(l) == 0)
		;
	return l->n > 0;
}

unsigned
link_credits(struct link *l)
{
	link_room(l);
	return l->n > 0xffffffu ? 0xffffffu : (unsigned)l->n;
}

int
link_send(struct link *l, const void *frame, size_t len)
{
	link_room(l);
	while (l->n > 0) {
		struct credit c = l->c[l->head];

		l->head = (l->head + 1) % l->cap;
		l->n--;
		/* ZMQ_ROUTER_MANDATORY: a sender that has gone is
		 * EHOSTUNREACH, and its next credit is tried */
		if (zmq_send(l->jobs, c.id, c.len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			continue;
		if (zmq_send(l->jobs, frame, len, ZMQ_DONTWAIT) == (int)len)
			return 0;
	}
	return -1;
}

int
link_local_ok(const char *ep, const char *key, char *err, size_t errlen)
{
	if (strncmp(ep, "ipc://", 6) != 0) {
		snprintf(err, errlen, "[senders] %s '%s': the queue binds it with "
		    "no security, so ipc:// only; senders on other hosts connect "
		    "over CURVE to remote_%s (tcp://)", key, ep, key);
		return -1;
	}
	return 0;
}

/* Bind sock to a local ipc:// endpoint and open its file to the group. */
static int
bind_local(void *sock, const char *ep, const char *key, char *err,
    size_t errlen)
{
	if (link_local_ok(ep, key, err, errlen) != 0)
		return -1;
	if (zmq_bind(sock, ep) != 0) {
		snprintf(err, errlen, "bind %s: %s%s", ep, zmq_strerror(errno),
		    errno == ENOENT ? " (its directory must exist: under "
		    "systemd, RuntimeDirectory= makes /run/oshirase)" : "");
		return -1;
	}
	if (ep[6] != '@' && chmod(ep + 6, 0660) != 0)
		log_warn("link: chmod 0660 %s", ep + 6);
	return 0;
}

/* The CURVE server's side: its key pair, the allow-list, the ZAP
 * handler.  0 or -1 with err set. */
int
link_curve_keys(const struct config *cfg, struct curve_keypair **kp,
    struct curve_keys *allow, char *err, size_t errlen)
{
	char path[CONFIG_PATH_MAX], why[CONFIG_PATH_MAX + 200];

	*kp = NULL;
	config_secret_path(cfg->curve_key, path, sizeof(path));
	if (curve_keypair_read(path, kp, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[senders] curve_key: %s", why);
		return -1;
	}
	config_secret_path(cfg->curve_clients, path, sizeof(path));
	if (curve_keys_read(path, allow, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[senders] curve_clients: %s", why);
		curve_keys_fini(allow);
		curve_keypair_free(*kp);
		*kp = NULL;
		return -1;
	}
	return 0;
}

static int
curve_setup(struct link *l, void *zctx, const struct config *cfg,
    char *err, size_t errlen)
{
	struct curve_keypair *kp = NULL;
	struct curve_keys allow = { 0, NULL };
	char path[CONFIG_PATH_MAX];
	const char *domain = ZAP_DOMAIN;
	int one = 1, rc = -1;

	if (link_curve_keys(cfg, &kp, &allow, err, errlen) != 0)
		goto out;
	config_secret_path(cfg->curve_clients, path, sizeof(path));
	if (allow.n == 0)
		log_warnx("link: %s lists no sender: no one can connect to %s",
		    path, cfg->remote_jobs);
	if ((l->zap = zap_start(zctx, &allow, err, errlen)) == NULL)
		goto out;
	for (int i = 0; i < 2; i++) {
		void *sock = i == 0 ? l->jobs : l->results;

		if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
		    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->sec,
		    CURVE_KEY_LEN) != 0 ||
		    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0) {
			snprintf(err, errlen, "CURVE: %s%s", zmq_strerror(errno),
			    zmq_has("curve") ? "" : " (this libzmq has no CURVE)");
			goto out;
		}
	}
	rc = 0;
out:
	curve_keys_fini(&allow);
	curve_keypair_free(kp);
	return rc;
}

int
link_open(void *zctx, const struct config *cfg, const char *jobs,
    const char *results, struct link **out, char *err, size_t errlen)
{
	struct link *l = xcalloc(1, sizeof(*l));
	int one = 1, zero = 0;

	*out = NULL;
	if ((l->jobs = zmq_socket(zctx, ZMQ_ROUTER)) == NULL ||
	    (l->results = zmq_socket(zctx, ZMQ_PULL)) == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		goto fail;
	}
	if (zmq_setsockopt(l->jobs, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(l->jobs, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(l->results, ZMQ_LINGER, &zero, sizeof(zero)) != 0) {
		snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(errno));
		goto fail;
	}
	if (bind_local(l->jobs, jobs, "jobs", err, errlen) != 0 ||
	    bind_local(l->results, results, "results", err, errlen) != 0)
		goto fail;
	if (cfg->remote_jobs[0] != '\0') {
		if (curve_setup(l, zctx, cfg, err, errlen) != 0)
			goto fail;
		for (int i = 0; i < 2; i++) {
			const char *ep = i == 0 ? cfg->remote_jobs : cfg->remote_results;

			if (zmq_bind(i == 0 ? l->jobs : l->results, ep) != 0) {
				snprintf(err, errlen, "bind %s: %s", ep,
				    zmq_strerror(errno));
				goto fail;
			}
		}
		log_info("link: senders on other hosts: jobs at %s, results at "
		    "%s (CURVE)", cfg->remote_jobs, cfg->remote_results);
	}
	*out = l;
	return 0;
fail:
	link_close(l);
	return -1;
}

void
link_close(struct link *l)
{
	if (l == NULL)
		return;
	if (l->jobs != NULL)
		zmq_close(l->jobs);
	if (l->results != NULL)
		zmq_close(l->results);
	zap_stop(l->zap);
	free(l->c);
	free(l);
}
