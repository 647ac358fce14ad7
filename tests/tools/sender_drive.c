/* sender_drive.c - test driver for the senders (tests/integration/sender.sh)
 * SPDX-License-Identifier: MIT
 *
 *   sender_drive -c CONFIG [--loop N | --bind JOBS_EP RESULTS_EP]
 *                [--garbage] [--timeout SECONDS] < JOBS
 *
 * Reads jobs from standard input, one a line, fields separated by TABs:
 *   line|email|reply  ja|en  TO  RETRY_KEY  MESSAGE_ID  UNSUBSCRIBE  SUBJECT
 *   TEXT...
 * "reply" is a LINE reply (JOB_REPLY, TO the reply token).  A TEXT field
 * "qr:LABEL|DATA|DISPLAYTEXT" is a quick-reply item, not a text.
 * "-" is an empty field; \n \r \t \\ and \xHH are unescaped in every
 * field.  Lines that are empty or start with '#' are skipped.  Job ids are
 * 1, 2, ... in input order, every attempt 1.
 *
 * Modes:
 *   (default)  one sender (sender_new, sender_perform per job, in order);
 *              then a line "stats<TAB>JOBS<TAB>LINE_CONNECTS<TAB>MAIL_CONNECTS"
 *   --loop N   N sender_thread()s on inproc:// endpoints of one context;
 *              after the results the context is shut down and each loop
 *              must return 0: a line "loops<TAB>N<TAB>returned 0"
 *   --bind     bind the jobs ROUTER to JOBS_EP and PULL to RESULTS_EP (ipc://, no
 *              CURVE), for an `oshirase-sender --connect JOBS_EP
 *              --results RESULTS_EP`, or one that finds them in its config
 *   sender_drive --forge RESULTS_EP SECONDS MAX_ID
 *              a sender gone bad: for SECONDS, push "failed" results for
 *              message ids 1..MAX_ID, attempts 1..3, with tokens of its
 *              own, to the queue's RESULTS_EP; the queue must ignore them
 *              all (job.h, token)
 * --garbage sends a frame that is not a job first (loop and bind modes): it
 * must be dropped and the jobs still answered.  In both modes a frame goes
 * to a sender only against its credit (job.h), as the queue sends.
 *
 * Prints one line per job, by id:
 *   ID<TAB>OUTCOME<TAB>STATUS<TAB>TRANSPORT<TAB>REQUEST_ID<TAB>DETAIL
 * (REQUEST_ID "-" when empty).  Exit 0 when every job was answered,
 * 1 when not (timeout), 2 on bad usage or input, 78 for a bad config.
 */
#include "config.h"
#include "job.h"
#include "log.h"
#include "sender.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_JOBS 256

static struct job jobs[MAX_JOBS];
static struct job_result results[MAX_JOBS];
static int answered[MAX_JOBS];
static size_t njobs;

/* Unescape s in place; returns its new length. */
static size_t
unescape(char *s)
{
	char *w = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	for (char *r = s; *r; r++) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'x':
			if (r[1] && r[2]) {
				char h[3] = { r[1], r[2], 0 };

				*w++ = (char)strtol(h, NULL, 16);
				r += 2;
			}
			break;
		default: *w++ = *r; break;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int
field(char *dst, size_t cap, char *src)
{
	size_t n = unescape(src);

	if (n >= cap || memchr(src, '\0', n) != NULL)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
read_jobs(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while ((len = getline(&line, &cap, stdin)) != -1) {
		char *f[7 + JOB_MAX_TEXTS + JOB_MAX_ITEMS], *save = NULL, *p;
		struct job *j;
		int nf = 0;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (njobs == MAX_JOBS) {
			fprintf(stderr, "sender_drive: more than %d jobs\n", MAX_JOBS);
			rc = -1;
			break;
		}
		for (p = strtok_r(line, "\t", &save); p &&
		    nf < 7 + JOB_MAX_TEXTS + JOB_MAX_ITEMS;
		    p = strtok_r(NULL, "\t", &save))
			f[nf++] = p;
		j = &jobs[njobs];
		memset(j, 0, sizeof(*j));
		j->id = njobs + 1;
		j->attempt = 1;
		if (nf < 8 || (strcmp(f[0], "line") != 0 && strcmp(f[0], "email") != 0 &&
		    strcmp(f[0], "reply") != 0)) {
			fprintf(stderr, "sender_drive: job %zu: bad line\n", njobs + 1);
			rc = -1;
			break;
		}
		j->channel = strcmp(f[0], "email") != 0 ? CHANNEL_LINE : CHANNEL_EMAIL;
		j->kind = strcmp(f[0], "reply") == 0 ? JOB_REPLY : JOB_PUSH;
		j->language = strcmp(f[1], "en") == 0 ? LANG_EN : LANG_JA;
		if (field(j->to, sizeof(j->to), f[2]) != 0 ||
		    field(j->retry_key, sizeof(j->retry_key), f[3]) != 0 ||
		    field(j->message_id, sizeof(j->message_id), f[4]) != 0 ||
		    field(j->unsubscribe, sizeof(j->unsubscribe), f[5]) != 0 ||
		    field(j->subject, sizeof(j->subject), f[6]) != 0) {
			fprintf(stderr, "sender_drive: job %zu: a field too long\n",
			    njobs + 1);
			rc = -1;
			break;
		}
		for (int t = 7; t < nf; t++) {
			char *copy;

			if (strncmp(f[t], "qr:", 3) == 0 && j->nitems < JOB_MAX_ITEMS) {
				struct job_item *it = &j->item[j->nitems++];
				char *sv = NULL, *l = strtok_r(f[t] + 3, "|", &sv);
				char *d = strtok_r(NULL, "|", &sv);
				char *x = strtok_r(NULL, "|", &sv);

				if (l == NULL || d == NULL || x == NULL ||
				    field(it->label, sizeof(it->label), l) != 0 ||
				    field(it->data, sizeof(it->data), d) != 0 ||
				    field(it->text, sizeof(it->text), x) != 0) {
					fprintf(stderr, "sender_drive: job %zu: a bad "
					    "item\n", njobs + 1);
					return -1;
				}
				continue;
			}
			if (j->ntexts == JOB_MAX_TEXTS)
				break;
			copy = xstrdup(f[t]);

			j->text_len[j->ntexts] = unescape(copy);
			j->text[j->ntexts++] = copy;
		}
		njobs++;
	}
	free(line);
	return rc;
}

static void
print_results(void)
{
	for (size_t i = 0; i < njobs; i++) {
		const struct job_result *r = &results[i];

		if (!answered[i]) {
			printf("%zu\tnone\n", i + 1);
			continue;
		}
		printf("%llu\t%s\t%d\t%d\t%s\t%s\n", (unsigned long long)r->id,
		    job_outcome_name(r->outcome), r->status, r->transport,
		    r->request_id[0] ? r->request_id : "-", r->detail);
	}
}

/* Send every job (and a garbage frame first) on the ROUTER jobs, one
 * against each credit the senders send (job.h), and collect results from
 * pull.  Returns the number of jobs not answered. */
static size_t
exchange(void *jobs_sock, void *pull, int garbage, int timeout_ms)
{
	static uint8_t frame[1 << 20];
	static struct { uint8_t id[32]; int len; } credit[1024];
	size_t left = njobs, next = garbage ? 0 : 1, ncredit = 0;

	while (left > 0) {
		zmq_pollitem_t it[2] = { { pull, 0, ZMQ_POLLIN, 0 },
			{ jobs_sock, 0, ZMQ_POLLIN, 0 } };
		struct job_result r;
		int got;

		/* what was asked for, in order: the garbage frame (0), jobs */
		while (ncredit > 0 && next <= njobs) {
			size_t n = next == 0 ? 11 : job_encode(&jobs[next - 1],
			    frame, sizeof(frame));

			if (next == 0)
				memcpy(frame, "OSJ2garbage", 11);
			ncredit--;
			if (n == 0 || zmq_send(jobs_sock, credit[0].id, (size_t)credit[0].len,
			    ZMQ_SNDMORE) < 0 || zmq_send(jobs_sock, frame, n, 0) < 0)
				fprintf(stderr, "sender_drive: frame %zu not sent: %s\n",
				    next, n == 0 ? "does not encode" : zmq_strerror(errno));
			else
				next++;
			memmove(credit, credit + 1, ncredit * sizeof(credit[0]));
		}
		if (zmq_poll(it, 2, timeout_ms) <= 0)
			break;		/* timeout or error */
		if (it[1].revents & ZMQ_POLLIN) {
			uint8_t id[32], body[16];
			int idlen = zmq_recv(jobs_sock, id, sizeof(id), 0);
			int blen = zmq_recv(jobs_sock, body, sizeof(body), 0);
			unsigned k = 0;

			if (blen == 0)
				k = JOB_WINDOW;		/* a sender connected */
			else if (blen < 0 || job_credit_decode(body, (size_t)blen, &k) != 0)
				fprintf(stderr, "sender_drive: a bad credit frame\n");
			for (; k > 0 && idlen > 0 && idlen <= 32 && ncredit < 1024; k--) {
				memcpy(credit[ncredit].id, id, (size_t)idlen);
				credit[ncredit++].len = idlen;
			}
		}
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		got = zmq_recv(pull, frame, sizeof(frame), 0);
		if (got < 0 || job_result_decode(frame, (size_t)got, &r) != 0 ||
		    r.id < 1 || r.id > njobs) {
			fprintf(stderr, "sender_drive: a bad result frame\n");
			continue;
		}
		if (answered[r.id - 1]++ == 0)
			left--;
		results[r.id - 1] = r;
	}
	return left;
}

/* --forge: results for jobs this process never took. */
static int
forge(const char *results_ep, int seconds, unsigned max_id)
{
	void *ctx = zmq_ctx_new(), *push = zmq_socket(ctx, ZMQ_PUSH);
	double end = util_now() + seconds;
	unsigned long n = 0;
	int zero = 0;

	zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(push, results_ep) != 0) {
		fprintf(stderr, "sender_drive: %s: %s\n", results_ep,
		    zmq_strerror(errno));
		return 1;
	}
	while (util_now() < end) {
		for (unsigned id = 1; id <= max_id; id++)
			for (uint32_t a = 1; a <= 3; a++) {
				struct job_result r = { .id = id, .attempt = a,
					.outcome = JOB_PERMANENT, .status = 400 };
				uint8_t f[512];
				size_t len;

				randombytes_buf(&r.token, sizeof(r.token));
				len = job_result_encode(&r, f, sizeof(f));
				if (zmq_send(push, f, len, ZMQ_DONTWAIT) >= 0)
					n++;
			}
		usleep(20000);
	}
	printf("forged\t%lu\n", n);
	zmq_close(push);
	zmq_ctx_term(ctx);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sender_drive -c CONFIG [--loop N | --bind JOBS_EP "
	    "RESULTS_EP] [--garbage] [--timeout S] < JOBS\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "loop", required_argument, NULL, 'l' },
		{ "bind", no_argument, NULL, 'b' },
		{ "garbage", no_argument, NULL, 'g' },
		{ "forge", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct config cfg;
	const char *cfgpath = NULL;
	char err[1200];
	int opt, loops = 0, bind_mode = 0, garbage = 0, timeout = 30, rc = 0;
	size_t left;

	log_init("sender_drive", LOG_LEVEL_INFO);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "c:v", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'l': loops = atoi(optarg); break;
		case 'b': bind_mode = 1; break;
		case 'g': garbage = 1; break;
		case 'f':
			if (argc - optind != 3)
				break;
			return forge(argv[optind], atoi(argv[optind + 1]),
			    (unsigned)atoi(argv[optind + 2]));
		case 't': timeout = atoi(optarg); break;
		case 'v': log_init(NULL, LOG_LEVEL_DEBUG); break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (cfgpath == NULL || (bind_mode && argc - optind != 2) ||
	    (!bind_mode && argc != optind) || loops < 0 || loops > 16 ||
	    timeout < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_SOFTWARE;
	if (config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sender_drive: %s\n", err);
		return EXIT_CONFIG;
	}
	if (read_jobs() != 0)
		return EXIT_USAGE;

	if (loops == 0 && !bind_mode) {
		struct sender *s = sender_new(&cfg, err, sizeof(err));
		struct sender_stats st;

		if (s == NULL) {
			fprintf(stderr, "sender_drive: %s\n", err);
			return EXIT_CONFIG;
		}
		for (size_t i = 0; i < njobs; i++) {
			sender_perform(s, &jobs[i], &results[i]);
			answered[i] = 1;
		}
		sender_stats(s, &st);
		print_results();
		printf("stats\t%lu\t%lu\t%lu\n", st.jobs, st.line_connects,
		    st.mail_connects);
		sender_free(s);
		return 0;
	}

	void *zctx = zmq_ctx_new();
	void *push = zmq_socket(zctx, ZMQ_ROUTER), *pull = zmq_socket(zctx, ZMQ_PULL);
	const char *jobs_ep = bind_mode ? argv[optind] : "inproc://drive-jobs";
	const char *results_ep = bind_mode ? argv[optind + 1] : "inproc://drive-results";
	struct sender_thread_args args[16];
	pthread_t tid[16];
	int zero = 0, ms = timeout * 1000;

	zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(push, ZMQ_SNDTIMEO, &ms, sizeof(ms));
	if (zmq_bind(push, jobs_ep) != 0 || zmq_bind(pull, results_ep) != 0) {
		fprintf(stderr, "sender_drive: bind: %s\n", zmq_strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	for (int i = 0; i < loops; i++) {
		args[i] = (struct sender_thread_args){ zctx,
			{ jobs_ep, results_ep, NULL, NULL, 0 }, &cfg, -99 };
		if (pthread_create(&tid[i], NULL, sender_thread, &args[i]) != 0)
			return EXIT_SOFTWARE;
	}
	left = exchange(push, pull, garbage, ms);
	print_results();
	zmq_close(push);
	zmq_close(pull);
	zmq_ctx_shutdown(zctx);
	for (int i = 0; i < loops; i++) {
		pthread_join(tid[i], NULL);
		if (args[i].rc != 0)
			rc = 1;
	}
	if (loops > 0)
		printf("loops\t%d\treturned %s\n", loops, rc ? "an error" : "0");
	zmq_ctx_term(zctx);
	return left > 0 || rc != 0;
}
