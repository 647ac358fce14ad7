/* link.c - the queue's end of the link to its senders (see link.h)
 * SPDX-License-Identifier: MIT
 */
#include "link.h"
#include "curve.h"
#include "log.h"
#include "util.h"
#include "zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

struct link {
	void *jobs, *results;
	struct zap *zap;
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

unsigned long
link_refused(const struct link *l)
{
	return zap_refused(l->zap);
}

/* Bind sock to a local ipc:// endpoint and open its file to the group. */
static int
bind_local(void *sock, const char *ep, const char *key, char *err,
    size_t errlen)
{
	if (strncmp(ep, "ipc://", 6) != 0) {
		snprintf(err, errlen, "[senders] %s '%s': the queue binds it with "
		    "no security, so ipc:// only; senders on other hosts connect "
		    "over CURVE to remote_%s (tcp://)", key, ep, key);
		return -1;
	}
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
static int
curve_setup(struct link *l, void *zctx, const struct config *cfg,
    char *err, size_t errlen)
{
	struct curve_keypair *kp = NULL;
	struct curve_keys allow = { 0, NULL };
	char path[CONFIG_PATH_MAX], why[CONFIG_PATH_MAX + 200];
	const char *domain = ZAP_DOMAIN;
	int one = 1, rc = -1;

	config_secret_path(cfg->curve_key, path, sizeof(path));
	if (curve_keypair_read(path, &kp, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[senders] curve_key: %s", why);
		goto out;
	}
	config_secret_path(cfg->curve_clients, path, sizeof(path));
	if (curve_keys_read(path, &allow, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[senders] curve_clients: %s", why);
		goto out;
	}
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
	int hwm = 1, zero = 0;

	*out = NULL;
	if ((l->jobs = zmq_socket(zctx, ZMQ_PUSH)) == NULL ||
	    (l->results = zmq_socket(zctx, ZMQ_PULL)) == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		goto fail;
	}
	/* A low mark: jobs wait in the dispatcher's heaps, not queued
	 * behind busy senders, so that job_timeout times little more than
	 * an attempt and a drain has few jobs to wait for. */
	zmq_setsockopt(l->jobs, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(l->jobs, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(l->results, ZMQ_LINGER, &zero, sizeof(zero));
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
	free(l);
}
