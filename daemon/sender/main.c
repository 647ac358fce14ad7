/* main.c - oshirase-sender: sends the queue's jobs by LINE and email
 * SPDX-License-Identifier: MIT
 *
 *   oshirase-sender [--connect JOBS [--results RESULTS]] [--workers N]
 *                   [-c CONFIG] [-v]
 *
 * Runs N sender_loop threads (sender.h) on one ZeroMQ context, each
 * PULLing jobs from JOBS and PUSHing results to RESULTS: by default the
 * config's [senders] jobs and results (ipc:///run/oshirase/..., where the
 * queue on this host binds them).  With --connect and no --results,
 * RESULTS is JOBS with its TCP port plus one.  Over tcp:// the link is
 * CURVE: [senders] server_key pins the queue's public key and curve_key
 * is this sender's key pair; without them a tcp:// endpoint is a config
 * error (exit 78).
 *
 * It holds the channel credentials ([line] token_file, [email]
 * password_file) and nothing of the store: it is linked with no store,
 * rules or pseudonym code.  Once its threads run it says READY=1 to
 * $NOTIFY_SOCKET (a systemd Type=notify unit, or oshirased --once, which
 * starts senders as its children).  SIGTERM or SIGINT shut the context
 * down; each thread finishes the job in hand, and it exits 0.
 */
#include "config.h"
#include "curve.h"
#include "log.h"
#include "sender.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#define SENDER_MAX_WORKERS 256

static atomic_int worker_failed;

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase-sender [--connect JOBS_ENDPOINT "
	    "[--results RESULTS_ENDPOINT]]\n"
	    "                       [--workers N] [-c CONFIG] [-v]\n"
	    "       oshirase-sender --help-config\n"
	    "Send the queue's jobs by LINE and email: N threads (default:\n"
	    "[senders] workers, at least 1) each PULL jobs from JOBS_ENDPOINT\n"
	    "(default: [senders] jobs, ipc:///run/oshirase/jobs), do one LINE\n"
	    "push or one SMTP transaction each, and PUSH results to\n"
	    "RESULTS_ENDPOINT (default: [senders] results; with --connect\n"
	    "tcp://HOST:PORT, the same host, PORT + 1).  tcp:// is CURVE: the\n"
	    "config names the queue's public key ([senders] server_key) and\n"
	    "this sender's key pair (curve_key), both from oshirase keygen\n"
	    "--curve.  The LINE token and SMTP password are read from this\n"
	    "host's config.  SIGTERM or SIGINT stops it (exit 0).\n");
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

/* An endpoint a sender can reach: ipc:// on this host, tcp:// (CURVE). */
static int
endpoint_ok(const char *ep)
{
	return strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "tcp://", 6) == 0;
}

/* systemd's notify protocol: one datagram to $NOTIFY_SOCKET (a path, or
 * '@' for the abstract namespace), if it is set. */
/* The CURVE keys a tcp:// endpoint needs: [senders] server_key and
 * curve_key.  0, or EXIT_CONFIG (logged). */
static int
load_keys(const struct config *cfg, const char *ep, uint8_t *server_key,
    struct curve_keypair **keys)
{
	char path[CONFIG_PATH_MAX], err[CONFIG_PATH_MAX + 200];

	if (cfg->server_key[0] == '\0' || cfg->curve_key[0] == '\0') {
		log_warnx("sender: %s is tcp://, which is CURVE: [senders] "
		    "server_key (the queue's public key) and curve_key (this "
		    "sender's key pair, oshirase keygen --curve) are needed", ep);
		return EXIT_CONFIG;
	}
	config_secret_path(cfg->server_key, path, sizeof(path));
	if (curve_key_read(path, server_key, err, sizeof(err)) != 0) {
		log_warnx("sender: [senders] server_key: %s", err);
		return EXIT_CONFIG;
	}
	config_secret_path(cfg->curve_key, path, sizeof(path));
	if (curve_keypair_read(path, keys, err, sizeof(err)) != 0) {
		log_warnx("sender: [senders] curve_key: %s", err);
		return EXIT_CONFIG;
	}
	return 0;
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
	enum { OPT_CONNECT = 256, OPT_RESULTS, OPT_WORKERS, OPT_HELP,
		OPT_HELP_CONFIG, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	static struct config config;	/* the threads' for the process's life */
	struct config *cfg = &config;
	struct curve_keypair *keys = NULL;
	struct sender *s;
	struct sender_thread_args *args = NULL;
	struct sender_link link = { 0 };
	uint8_t server_key[CURVE_KEY_LEN];
	pthread_t *tid = NULL;
	const char *config_path = NULL, *jobs_ep = NULL, *results_ep = NULL;
	char results_buf[CONFIG_PATH_MAX + 8], err[1200], *end;
	long workers = 0;
	unsigned started = 0;
	sigset_t set;
	void *zctx = NULL;
	int opt, rc, sig;

	log_init("oshirase-sender", LOG_LEVEL_INFO);
	/* the channel credentials, addresses and texts: no core */
	if (util_nodump() != 0)
		fatal("sender: no core dumps");
	while ((opt = getopt_long(argc, argv, "c:v", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'v': log_init(NULL, LOG_LEVEL_DEBUG); break;
		case OPT_CONNECT: jobs_ep = optarg; break;
		case OPT_RESULTS: results_ep = optarg; break;
		case OPT_WORKERS:
			errno = 0;
			workers = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    workers < 1 || workers > SENDER_MAX_WORKERS) {
				log_warnx("--workers: '%s' is not a number in 1..%d",
				    optarg, SENDER_MAX_WORKERS);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_HELP_CONFIG:
			config_describe();
			return 0;
		case OPT_VERSION:
			printf("oshirase-sender %s\n", OSHIRASE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (results_ep == NULL && jobs_ep != NULL) {
		if (next_port(jobs_ep, results_buf, sizeof(results_buf)) != 0) {
			log_warnx("sender: --results is needed: '%s' is not "
			    "tcp://HOST:PORT", jobs_ep);
			return EXIT_USAGE;
		}
		results_ep = results_buf;
	}
	if ((jobs_ep != NULL && !endpoint_ok(jobs_ep)) ||
	    (results_ep != NULL && !endpoint_ok(results_ep))) {
		log_warnx("sender: the endpoints are ipc://PATH or tcp://HOST:PORT");
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		fatalx("sender: sodium_init failed");
	if ((rc = config_load(config_path, cfg, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return rc == CONFIG_ENOINPUT ? EXIT_NOINPUT : EXIT_CONFIG;
	}
	if (jobs_ep == NULL)
		jobs_ep = cfg->jobs_endpoint;
	if (results_ep == NULL)
		results_ep = cfg->results_endpoint;
	if (workers == 0)
		workers = cfg->workers > 0 ? cfg->workers : 1;
	if ((sender_link_secure(jobs_ep) || sender_link_secure(results_ep)) &&
	    (rc = load_keys(cfg, sender_link_secure(jobs_ep) ? jobs_ep :
	    results_ep, server_key, &keys)) != 0)
		return rc;

	/* The credentials and [email] settings, checked once before any
	 * thread starts: a bad one is a config error. */
	if ((s = sender_new(cfg, err, sizeof(err))) == NULL) {
		log_warnx("sender: %s", err);
		curve_keypair_free(keys);
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
	link.jobs = jobs_ep;
	link.results = results_ep;
	if (keys != NULL) {
		link.server_key = server_key;
		link.keys = keys;
	}
	args = xcalloc((size_t)workers, sizeof(*args));
	tid = xcalloc((size_t)workers, sizeof(*tid));
	for (started = 0; started < workers; started++) {
		args[started] = (struct sender_thread_args){ zctx, link, cfg, 0 };
		args[started].link.watch = started == 0;
		if ((errno = pthread_create(&tid[started], NULL, worker,
		    &args[started])) != 0) {
			log_warn("sender: pthread_create");
			atomic_store(&worker_failed, 1);
			break;
		}
	}
	if (started == workers) {
		log_info("sender: %u workers: jobs from %s, results to %s%s",
		    started, jobs_ep, results_ep, keys != NULL ? " (CURVE)" : "");
		util_notify("READY=1");
		while (sigwait(&set, &sig) != 0)
			;
		if (!atomic_load(&worker_failed))
			log_info("sender: %s, stopping", sig == SIGINT ?
			    "SIGINT" : "SIGTERM");
		util_notify("STOPPING=1");
	}
	zmq_ctx_shutdown(zctx);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	zmq_ctx_term(zctx);
	free(args);
	free(tid);
	curve_keypair_free(keys);
	if (atomic_load(&worker_failed)) {
		log_warnx("sender: a worker failed");
		return EXIT_SOFTWARE;
	}
	return 0;
}
