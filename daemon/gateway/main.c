/* main.c - oshirase-gateway: the only process that hears residents
 * SPDX-License-Identifier: MIT
 *
 *   oshirase-gateway [-c CONFIG] [-n] [-v]
 *
 * Owns: the command line, the config, the LINE channel secret (read from
 * a private file, [gateway] line_secret, or the credential of that name
 * in $CREDENTIALS_DIRECTORY, into sodium_malloc memory), starting and
 * stopping the other modules, systemd's notify protocol, the signals.
 * Never touches: the store, LMDB, contacts.sec or any key of the queue's;
 * it is linked with none of their code (tests/integration/walls.sh).
 *
 * Serves HTTP on [gateway] listen (http.c) with [gateway] threads; each
 * valid request becomes action frames (action.h) sent to the queue at
 * [gateway] actions (queue.c), whose answers decide the HTTP status.
 * READY=1 once it listens; SIGTERM or SIGINT: stop listening, finish the
 * requests in hand, exit 0.
 */
#include "config.h"
#include "http.h"
#include "limits.h"
#include "log.h"
#include "queue.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECRET_MAX 256		/* bytes of a channel secret, at most */
#define LIMITS_SLOTS 65536

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirase-gateway [-c CONFIG] [-n] [-v]\n"
	    "       oshirase-gateway --help | --help-config | --version\n"
	    "Serve residents' requests behind the city's TLS proxy on [gateway]\n"
	    "listen: LINE's webhook (POST /line/webhook), one-click unsubscribe\n"
	    "and settings (/unsubscribe/TOKEN), registration by email\n"
	    "(/register, /confirm/TOKEN), /healthz.  Each valid request goes to\n"
	    "the queue as actions over [gateway] actions.  The LINE channel\n"
	    "secret is read from [gateway] line_secret (0600).\n"
	    "  -c CONFIG  the config file (default %s)\n"
	    "  -n         check the config and the secret, then exit (0; 66 missing; 78 unsafe or bad)\n"
	    "  -v         log debug messages\n", CONFIG_DEFAULT_PATH);
}

/* systemd's notify protocol: one datagram to $NOTIFY_SOCKET, if set. */
/* The channel secret: the file's text without its trailing newline (as
 * LINE shows it and its SDKs use it), in sodium_malloc memory.  0, or an
 * exit status (logged). */
static int
read_secret(const struct config *cfg, uint8_t **out, size_t *len)
{
	char path[CONFIG_PATH_MAX], err[CONFIG_PATH_MAX + 200];
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	config_secret_path(cfg->gw_line_secret, path, sizeof(path));
	if ((buf = sodium_malloc(SECRET_MAX + 1)) == NULL) {
		log_warnx("gateway: sodium_malloc failed");
		return EXIT_SOFTWARE;
	}
	if ((rc = file_read_small(path, 1, buf, SECRET_MAX + 1, &n, err,
	    sizeof(err))) != 0) {
		log_warnx("gateway: [gateway] line_secret: %s", err);
		sodium_free(buf);
		return rc == -ENOENT ? EXIT_NOINPUT : EXIT_CONFIG;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	rc = n == 0 ? -1 : 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			rc = -1;
	if (rc != 0) {
		log_warnx("gateway: [gateway] line_secret: %s: %s", path, n == 0 ?
		    "empty" : "holds a control character (one line of text "
		    "expected)");
		sodium_free(buf);
		return EXIT_CONFIG;
	}
	sodium_mprotect_readonly(buf);
	*out = (uint8_t *)buf;
	*len = n;
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_HELP = 256, OPT_HELP_CONFIG, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	static struct config config;
	struct config *cfg = &config;
	struct http_conf hc = { 0 };
	struct http *h = NULL;
	struct gwq *q = NULL;
	struct limits *lim = NULL;
	struct sockaddr_storage ss;
	const char *config_path = NULL;
	char err[1200];
	uint8_t *secret = NULL;
	size_t secret_len = 0;
	unsigned sslen;
	sigset_t set;
	int opt, rc, sig, check = 0;

	log_init("oshirase-gateway", LOG_LEVEL_INFO);
	if (util_nodump() != 0)
		fatal("gateway: no core dumps");
	while ((opt = getopt_long(argc, argv, "c:nv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'n': check = 1; break;
		case 'v': log_init(NULL, LOG_LEVEL_DEBUG); break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_HELP_CONFIG:
			config_describe();
			return 0;
		case OPT_VERSION:
			printf("oshirase-gateway %s\n", OSHIRASE_VERSION);
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
	if (sodium_init() < 0)
		fatalx("gateway: sodium_init failed");
	if ((rc = config_load(config_path, cfg, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return rc == CONFIG_ENOINPUT ? EXIT_NOINPUT : EXIT_CONFIG;
	}
	if (http_listen_addr(cfg->gw_listen, &ss, &sslen) != 0) {
		log_warnx("gateway: [gateway] listen: '%s' is not HOST:PORT of an "
		    "address", cfg->gw_listen);
		return EXIT_CONFIG;
	}
	if ((rc = read_secret(cfg, &secret, &secret_len)) != 0)
		return rc;
	if (check) {
		log_info("gateway: the config and the channel secret are good");
		sodium_free(secret);
		return 0;
	}

	/* the signals are taken by sigwait: block them before any thread */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = EXIT_SOFTWARE;
	if ((lim = limits_new(cfg->gw_attempts, cfg->gw_attempts_window,
	    LIMITS_SLOTS)) == NULL) {
		log_warnx("gateway: out of memory");
		goto done;
	}
	if (gwq_new(cfg->gw_actions, cfg->gw_queue_timeout * 1000, &q, err,
	    sizeof(err)) != 0) {
		log_warnx("gateway: %s", err);
		goto done;
	}
	hc.listen = cfg->gw_listen;
	hc.secret = secret;
	hc.secret_len = secret_len;
	hc.queue = q;
	hc.limits = lim;
	hc.max_body = cfg->gw_max_body;
	hc.max_conn = cfg->gw_max_conn;
	hc.per_address = cfg->gw_trust_proxy ? 0 : cfg->gw_per_address;
	hc.timeout = cfg->gw_timeout;
	hc.queue_timeout = cfg->gw_queue_timeout;
	hc.threads = cfg->gw_threads;
	hc.attempts_window = cfg->gw_attempts_window;
	hc.trust_proxy = (int)cfg->gw_trust_proxy;
	if (http_start(&hc, &h, err, sizeof(err)) != 0) {
		log_warnx("gateway: %s", err);
		rc = EXIT_UNAVAILABLE;
		goto done;
	}
	log_info("gateway: listening on %s with %ld threads; actions to %s",
	    cfg->gw_listen, cfg->gw_threads, cfg->gw_actions);
	util_notify("READY=1");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	util_notify("STOPPING=1");
	log_info("gateway: stopping (signal %d)", sig);
	rc = 0;
done:
	http_stop(h);		/* its threads end: their sockets close */
	gwq_free(q);
	limits_free(lim);
	sodium_free(secret);
	return rc;
}
