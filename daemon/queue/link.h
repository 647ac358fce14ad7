/* link.h - the queue's end of the link to its senders
 * SPDX-License-Identifier: MIT
 *
 * Two sockets: jobs (a ROUTER: each sender's DEALER asks for jobs with
 * credits and the link sends a job frame only against one, job.h) and
 * results (PULL).  Each binds
 *  - a local endpoint, ipc:// only, with ZeroMQ's NULL mechanism: who can
 *    reach the socket file (a directory of the queue's, /run/oshirase or
 *    the private directory of a --once run) may take jobs.  The socket
 *    file is made 0660, so that senders running as another user reach it
 *    through the group of that directory;
 *  - for senders on other hosts, optionally, a tcp:// endpoint ([senders]
 *    remote_jobs, remote_results) with CURVE: the queue is the CURVE
 *    server with its own key pair ([senders] curve_key) and lets in only
 *    the senders whose public keys [senders] curve_clients lists, through
 *    its ZAP handler (zap.h), started before these endpoints are bound.
 * libzmq copies a socket's options into each listener as it binds, so
 * the local endpoint is bound first and the CURVE options are set only
 * then, before the tcp:// bind.
 *
 * Jobs wait in the dispatcher's heaps, not in queues behind busy senders:
 * a sender is sent at most the jobs it asked for (JOB_WINDOW as it
 * connects, one more after each), however much an ipc:// or tcp://
 * connection could buffer.  Credits are kept in arrival order, so that
 * jobs go round the senders that are free; those of a sender that has
 * gone are dropped as they come up.
 */
#ifndef OSHIRASE_LINK_H
#define OSHIRASE_LINK_H

#include <stddef.h>

#include "config.h"

struct link;

/*
 * Make the two sockets on zctx and bind them: jobs and results (the
 * local endpoints, ipc://), then cfg's remote endpoints if set (reading
 * curve_key and curve_clients through config_secret_path).  Returns 0, or
 * -1 with err set (a local endpoint that is not ipc://, a key file that
 * is missing or bad, a bind that fails).  Close with link_close.
 */
int link_open(void *zctx, const struct config *cfg, const char *jobs,
    const char *results, struct link **out, char *err, size_t errlen);
/* 0 if ep may be the local endpoint for key ("jobs", "results"): ipc://;
 * else -1 with err set (what link_open says of it). */
int link_local_ok(const char *ep, const char *key, char *err, size_t errlen);
/* The queue's CURVE key pair and its allow-list of the senders' keys, as
 * [senders] curve_key and curve_clients name them: 0, or -1 with the
 * message in err and nothing held. */
struct curve_keypair;
struct curve_keys;
int link_curve_keys(const struct config *cfg, struct curve_keypair **kp,
    struct curve_keys *allow, char *err, size_t errlen);
/* The sockets, owned by the link: to poll (jobs: for credits), and to
 * read results from. */
void *link_jobs(const struct link *l);
void *link_results(const struct link *l);
/* Take the credits that have come in (non-blocking); 1 if a job may be
 * sent now, else 0. */
int link_room(struct link *l);
/* The same, and how many credits are held (some may be of senders that
 * have gone: link_send skips those). */
unsigned link_credits(struct link *l);
/* Send one job frame against the oldest credit of a sender still there.
 * 0, or -1 when no sender has asked for one (nothing sent). */
int link_send(struct link *l, const void *frame, size_t len);
/* Close the sockets (their ipc files are removed), then stop the ZAP
 * handler.  NULL is fine. */
void link_close(struct link *l);

#endif
