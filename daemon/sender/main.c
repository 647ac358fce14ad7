/* sender.c - oshirase sender: sender threads for a daemon on another host
 * SPDX-License-Identifier: MIT
 *
 *   oshirase sender --connect JOBS [--results RESULTS] [--workers N] [-c CONFIG]
 *
 * Runs N sender_loop threads (daemon/sender.h) on one ZeroMQ context, each
 * PULLing jobs from JOBS and PUSHing results to RESULTS, the endpoints that
 * the daemon binds with [senders] jobs and results.  RESULTS defaults to
 * JOBS with its TCP port plus one.  SIGTERM or SIGINT shut the context down;
 * each thread finishes the job in hand, and the command exits 0.  The
 * channel credentials are read here, from this host's config.
 */
#include "common.h"
#include "log.h"
#include "sender.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define SENDER_MAX_WORKERS 256

static atomic_int worker_failed;

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase sender --connect JOBS_ENDPOINT "
	    "[--results RESULTS_ENDPOINT] [--workers N] [-c CONFIG] [-v]\n"
	    "Send the jobs of a daemon on another host: N threads (default:\n"
	    "[senders] workers, at least 1) each PULL jobs from JOBS_ENDPOINT\n"
	    "(tcp://HOST:PORT, the daemon's [senders] jobs), do one LINE push or\n"
	    "one SMTP transaction each, and PUSH results to RESULTS_ENDPOINT\n"
	    "(default: the same host, PORT + 1).  The LINE token and SMTP\n"
	    "password are read from this host's config.  SIGTERM or SIGINT\n"
	    "stops it (exit 0).\n");
}

/* tcp://HOST:PORT -> tcp://HOST:PORT+1.  0 or -1. */
static int
next_port(const char *ep, char *out, size_t cap)
{
	const char *colon = strrchr(ep, ':');
	char *end;
	long port;
	int n;

	if (strncmp(ep, "tcp://", 6) != 0 || colon == NULL || colon < ep + 6)
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
	    port >= 65535)
		return -1;
	n = snprintf(out, cap, "%.*s:%ld", (int)(colon - ep), ep, port + 1);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void *
worker(void *arg)
{
	struct sender_thread_args *a = arg;

	sender_thread(a);
	if (a->rc != 0) {
		atomic_store(&worker_failed, 1);
		kill(getpid(), SIGTERM);	/* wake the main thread */
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	enum { OPT_CONNECT = OPT_FIRST_LOCAL, OPT_RESULTS, OPT_WORKERS };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ NULL, 0, NULL, 0 }
	};
	struct common c;
	struct sender *s;
	struct sender_thread_args *args = NULL;
	pthread_t *tid = NULL;
	const char *jobs_ep = NULL, *results_ep = NULL;
	char results_buf[CONFIG_PATH_MAX + 8], err[1200];
	unsigned workers = 0, started = 0;
	sigset_t set;
	void *zctx = NULL;
	int opt, rc, sig;

	log_init("oshirase-sender", LOG_LEVEL_INFO);
	if (sodium_init() < 0)
		fatalx("sender: sodium_init failed");
	common_init(&c);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == OPT_CONNECT)
			jobs_ep = optarg;
		else if (opt == OPT_RESULTS)
			results_ep = optarg;
		else if (opt == OPT_WORKERS) {
			if (common_number("--workers", optarg, 1, SENDER_MAX_WORKERS,
			    &workers) != 0) {
				usage(stderr);
				return EXIT_USAGE;
			}
		} else if (common_option(&c, opt, optarg) <= 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (optind != argc || jobs_ep == NULL) {
		if (jobs_ep == NULL)
			log_warnx("sender: --connect JOBS_ENDPOINT is required");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (results_ep == NULL) {
		if (next_port(jobs_ep, results_buf, sizeof(results_buf)) != 0) {
			log_warnx("sender: --results is needed: '%s' is not "
			    "tcp://HOST:PORT", jobs_ep);
			return EXIT_USAGE;
		}
		results_ep = results_buf;
	}
	if ((rc = common_finish(&c)) != 0)
		return rc;
	if (workers == 0)
		workers = c.cfg.workers > 0 ? (unsigned)c.cfg.workers : 1;

	/* The credentials and [email] settings, checked once before any
	 * thread starts: a bad one is a config error. */
	if ((s = sender_new(&c.cfg, err, sizeof(err))) == NULL) {
		log_warnx("sender: %s", err);
		return EXIT_CONFIG;
	}
	sender_free(s);

	/* Signals go to sigwait below, not to the threads. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if ((errno = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
		fatal("sender: pthread_sigmask");

	if ((zctx = zmq_ctx_new()) == NULL)
		fatalx("sender: zmq_ctx_new: %s", zmq_strerror(errno));
	args = xcalloc(workers, sizeof(*args));
	tid = xcalloc(workers, sizeof(*tid));
	for (started = 0; started < workers; started++) {
		args[started] = (struct sender_thread_args){ zctx, jobs_ep,
			results_ep, &c.cfg, 0 };
		if ((errno = pthread_create(&tid[started], NULL, worker,
		    &args[started])) != 0) {
			log_warn("sender: pthread_create");
			atomic_store(&worker_failed, 1);
			break;
		}
	}
	if (started == workers) {
		log_info("sender: %u workers: jobs from %s, results to %s",
		    workers, jobs_ep, results_ep);
		while (sigwait(&set, &sig) != 0)
			;
		if (!atomic_load(&worker_failed))
			log_info("sender: %s, stopping", sig == SIGINT ?
			    "SIGINT" : "SIGTERM");
	}
	zmq_ctx_shutdown(zctx);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	zmq_ctx_term(zctx);
	free(args);
	free(tid);
	if (atomic_load(&worker_failed)) {
		log_warnx("sender: a worker failed");
		return EXIT_SOFTWARE;
	}
	return 0;
}
