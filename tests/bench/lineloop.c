/* lineloop.c - bench baseline and probe for LINE delivery
 * SPDX-License-Identifier: MIT
 *
 *   lineloop push URL TOKEN_FILE RECORD N [RATE]
 *       The baseline: N pushes, one after the other on one keep-alive
 *       libcurl handle, to URL/v2/bot/message/push.  The bodies are the
 *       "to" and "messages" of the first N lines of RECORD (a line
 *       emulator's --record of a daemon run), so that the requests are the
 *       daemon's, each with a fresh X-Line-Retry-Key; bodies and headers
 *       are built before the clock starts.  RATE > 0 paces the requests at
 *       RATE a second (request i goes at i / RATE s, or at once when
 *       late).  Prints one line:
 *         requests=N seconds=T rate=R/s ok=K rate_limited=L other=M cpu=C
 *       (cpu: this process's user + system seconds during the loop).
 *   lineloop watch URL PID
 *       The probe: every 100 ms until PID exits, print
 *         seconds cpu accepted rate_limited cpu_pid
 *       (seconds: CLOCK_MONOTONIC; cpu: the user + system seconds of PID
 *       and of its children that run (oshirased --once and its sender
 *       processes), cpu_pid: PID's alone, from /proc; the counters from
 *       URL/emulator/stats).
 * Not part of the product: `make bench` (tests/bench/daemon.sh) runs it.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* libcurl hands the answer here: kept for watch, dropped for push. */
struct buf {
	char d[4096];
	size_t n;
};

static size_t
on_body(char *p, size_t size, size_t n, void *user)
{
	struct buf *b = user;
	size_t len = size * n;

	if (b != NULL) {
		size_t room = sizeof(b->d) - 1 - b->n;

		memcpy(b->d + b->n, p, len < room ? len : room);
		b->n += len < room ? len : room;
		b->d[b->n] = '\0';
	}
	return len;
}

/* One request as the daemon's sender makes it: the JSON body and the
 * header list. */
struct req {
	char *body;
	struct curl_slist *hdrs;
};

static int
load_requests(const char *record, long n, struct req *r)
{
	FILE *f = fopen(record, "r");
	char *line = NULL;
	size_t cap = 0;
	long i = 0;

	if (f == NULL) {
		perror(record);
		return -1;
	}
	while (i < n && getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr), *body, *msgs, *m;
		uint8_t u[16];
		char key[64];
		size_t k;

		if (rec == NULL || !json_is_string(json_object_get(rec, "to")) ||
		    !json_is_array(json_object_get(rec, "messages"))) {
			fprintf(stderr, "%s:%ld: not a record line\n", record, i + 1);
			json_decref(rec);
			break;
		}
		body = json_object();
		msgs = json_array();
		json_object_set(body, "to", json_object_get(rec, "to"));
		json_array_foreach(json_object_get(rec, "messages"), k, m) {
			json_t *o = json_object();

			json_object_set_new(o, "type", json_string("text"));
			json_object_set(o, "text", m);
			json_array_append_new(msgs, o);
		}
		json_object_set_new(body, "messages", msgs);
		r[i].body = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		json_decref(rec);
		randombytes_buf(u, sizeof(u));
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
		snprintf(key, sizeof(key), "X-Line-Retry-Key: %02x%02x%02x%02x-"
		    "%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		    u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
		    u[11], u[12], u[13], u[14], u[15]);
		r[i].hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		r[i].hdrs = curl_slist_append(r[i].hdrs, key);
		r[i].hdrs = curl_slist_append(r[i].hdrs, "Expect:");
		if (r[i].body == NULL || r[i].hdrs == NULL) {
			fprintf(stderr, "out of memory\n");
			break;
		}
		i++;
	}
	free(line);
	fclose(f);
	if (i < n) {
		fprintf(stderr, "%s: %ld usable lines, %ld wanted\n", record, i, n);
		return -1;
	}
	return 0;
}

static int
push(const char *url, const char *token_file, const char *record, long n,
    double rate)
{
	char path[1024], token[512];
	FILE *f;
	struct req *r;
	CURL *h;
	long ok = 0, limited = 0, other = 0;
	double t0, c0, t, c;
	size_t len;

	if ((f = fopen(token_file, "r")) == NULL) {
		perror(token_file);
		return 1;
	}
	len = fread(token, 1, sizeof(token) - 1, f);
	fclose(f);
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		len--;
	token[len] = '\0';
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL || load_requests(record, n, r) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/v2/bot/message/push", url);
	if ((h = curl_easy_init()) == NULL)
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, path);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
	curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, token);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "oshirase-bench");
	t0 = mono();
	c0 = self_cpu();
	for (long i = 0; i < n; i++) {
		long status = 0;

		if (rate > 0) {
			double at = t0 + (double)i / rate;
			struct timespec ts;

			if (at > mono()) {
				ts.tv_sec = (time_t)at;
				ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				    &ts, NULL) == EINTR)
					;
			}
		}
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, r[i].hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r[i].body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r[i].body));
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			ok++;
		else if (status == 429)
			limited++;
		else
			other++;
	}
	t = mono() - t0;
	c = self_cpu() - c0;
	printf("requests=%ld seconds=%.3f rate=%.0f ok=%ld rate_limited=%ld "
	    "other=%ld cpu=%.2f\n", n, t, (double)n / t, ok, limited, other, c);
	curl_easy_cleanup(h);
	for (long i = 0; i < n; i++) {
		free(r[i].body);
		curl_slist_free_all(r[i].hdrs);
	}
	free(r);
	return 0;
}

static long
counter(json_t *stats, const char *name)
{
	return (long)json_integer_value(json_object_get(stats, name));
}

/* A process's parent and user + system clock ticks, from /proc.  0 or -1. */
static int
proc_stat(const char *pid, long *ppid, unsigned long *ticks)
{
	char statf[300], line[1024];
	unsigned long ut, st;
	const char *p;
	FILE *f;

	snprintf(statf, sizeof(statf), "/proc/%s/stat", pid);
	if ((f = fopen(statf, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* the fields after the command name, which may hold spaces */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", ppid, &ut, &st) != 3)
		return -1;
	*ticks = ut + st;
	return 0;
}

/* The ticks of pid's children that run. */
static unsigned long
children_ticks(long pid)
{
	unsigned long sum = 0, t;
	struct dirent *e;
	DIR *d = opendir("/proc");
	long ppid;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    proc_stat(e->d_name, &ppid, &t) == 0 && ppid == pid)
			sum += t;
	if (d != NULL)
		closedir(d);
	return sum;
}

static int
watch(const char *url, const char *pid)
{
	char path[1024];
	long tick = sysconf(_SC_CLK_TCK), ppid;
	struct buf b;
	CURL *h;

	snprintf(path, sizeof(path), "%s/emulator/stats", url);
	if ((h = curl_easy_init()) == NULL)
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, path);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	for (;;) {
		unsigned long own, kids;
		json_t *stats;
		double t;

		if (proc_stat(pid, &ppid, &own) != 0)
			break;
		kids = children_ticks(atol(pid));
		t = mono();
		b.n = 0;
		if (curl_easy_perform(h) != CURLE_OK ||
		    (stats = json_loads(b.d, 0, NULL)) == NULL)
			break;
		printf("%.4f %.2f %ld %ld %.2f\n", t,
		    (double)(own + kids) / (double)tick,
		    counter(stats, "accepted"), counter(stats, "rate_limited"),
		    (double)own / (double)tick);
		fflush(stdout);
		json_decref(stats);
		usleep(100000);
	}
	curl_easy_cleanup(h);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	if (argc >= 6 && argc <= 7 && strcmp(argv[1], "push") == 0)
		return push(argv[2], argv[3], argv[4], atol(argv[5]),
		    argc == 7 ? atof(argv[6]) : 0);
	if (argc == 4 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2], argv[3]);
	fprintf(stderr, "usage: lineloop push URL TOKEN_FILE RECORD N [RATE]\n"
	    "       lineloop watch URL PID\n");
	return 2;
}
