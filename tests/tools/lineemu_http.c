/* lineemu_http.c - oshirase-line-emulator: the HTTP server
 * SPDX-License-Identifier: MIT
 *
 * libmicrohttpd (a pool of epoll threads) on 127.0.0.1: each request is
 * routed by method and path, its body collected (up to 2 MiB, the rest
 * read and thrown away), counted, delayed by the latency timer (the
 * connection suspended, no thread blocked) or dropped, then answered by
 * lineemu_api.c for LINE's endpoints or here for the emulator's own
 * (/emulator/stats, /emulator/faults).  Responses are JSON with an
 * x-line-request-id.
 */
#include "lineemu.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const struct {
	const char *method, *path;
	enum ep ep;
} routes[] = {
	{ "POST", "/v2/bot/message/push", EP_PUSH },
	{ "POST", "/v2/bot/message/multicast", EP_MULTICAST },
	{ "POST", "/v2/bot/message/reply", EP_REPLY },
	{ "GET", "/v2/bot/message/quota", EP_QUOTA },
	{ "GET", "/v2/bot/message/quota/consumption", EP_CONSUMPTION },
	{ "GET", "/emulator/stats", EP_STATS },
	{ "GET", "/emulator/faults", EP_FAULTS_GET },
	{ "POST", "/emulator/faults", EP_FAULTS_SET },
	{ "POST", "/emulator/follow", EP_RESIDENT },
	{ "POST", "/emulator/text", EP_RESIDENT },
	{ "POST", "/emulator/postback", EP_RESIDENT },
	{ "POST", "/emulator/unfollow", EP_RESIDENT },
	{ "POST", "/emulator/redeliver", EP_RESIDENT },
	{ "POST", "/emulator/raw", EP_RESIDENT },
	{ "GET", "/emulator/replies", EP_RESIDENT },
};

const char *const emu_ep_names[] = {
	"push", "multicast", "quota", "consumption", "reply", "stats",
	"faults", "faults", "resident", "not-found", "bad-method"
};

/* ---- the latency timer ---------------------------------------------------- */

static void
heap_push(struct timer *t, struct delay d)
{
	size_t i;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->heap = xrealloc(t->heap, t->cap * sizeof(*t->heap));
	}
	for (i = t->n++; i > 0 && t->heap[(i - 1) / 2].due > d.due; i = (i - 1) / 2)
		t->heap[i] = t->heap[(i - 1) / 2];
	t->heap[i] = d;
}

static struct delay
heap_pop(struct timer *t)
{
	struct delay top = t->heap[0], last = t->heap[--t->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < t->n) {
		if (c + 1 < t->n && t->heap[c + 1].due < t->heap[c].due)
			c++;
		if (t->heap[c].due >= last.due)
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	t->heap[i] = last;
	return top;
}

static void *
timer_main(void *arg)
{
	struct timer *t = arg;

	pthread_mutex_lock(&t->mu);
	while (!t->stopping) {
		struct timespec ts;
		int64_t due;

		if (t->n == 0) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		due = t->heap[0].due;
		if (due <= emu_now_ns()) {
			MHD_resume_connection(heap_pop(t).conn);
			continue;
		}
		ts.tv_sec = (time_t)(due / LE_NS);
		ts.tv_nsec = (long)(due % LE_NS);
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	/* MHD_stop_daemon must not find a suspended connection. */
	while (t->n > 0)
		MHD_resume_connection(heap_pop(t).conn);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int
emu_timer_start(struct timer *t)
{
	pthread_condattr_t ca;
	int rc;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&t->thread, NULL, timer_main, t)) != 0) {
		errno = rc;
		log_warn("line-emulator: timer thread");
		return -1;
	}
	return 0;
}

/* Resume every waiting connection and end the thread; later delays are
 * refused, so their requests go on at once. */
void
emu_timer_stop(struct timer *t)
{
	pthread_mutex_lock(&t->mu);
	t->stopping = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	free(t->heap);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}

/* Suspend conn for ms milliseconds: 1, or 0 when stopping (go on now).
 * Suspending under t->mu means the timer cannot resume it first. */
static int
timer_delay(struct timer *t, struct MHD_Connection *conn, unsigned ms)
{
	struct delay d = { emu_now_ns() + (int64_t)ms * 1000000, conn };

	pthread_mutex_lock(&t->mu);
	if (t->stopping) {
		pthread_mutex_unlock(&t->mu);
		return 0;
	}
	MHD_suspend_connection(conn);
	heap_push(t, d);
	if (t->heap[0].conn == conn)
		pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 1;
}

/* ---- responses ------------------------------------------------------------ */

/* Queue status with body (a reference taken over; NULL = "{}"), and a
 * Retry-After header if retry_after is not 0. */
static enum MHD_Result
reply(struct MHD_Connection *conn, const struct req *r, unsigned status,
    json_t *body, const char *accepted_id, unsigned retry_after)
{
	char ra[16];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	if (text == NULL)
		text = xstrdup("{}");
	resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "x-line-request-id", r->id);
	if (accepted_id != NULL)
		MHD_add_response_header(resp, "x-line-accepted-request-id",
		    accepted_id);
	if (retry_after != 0) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	log_debug("line-emulator: %s %s -> %u", r->id, emu_ep_names[r->ep], status);
	return ret;
}

enum MHD_Result
emu_reply(struct MHD_Connection *conn, const struct req *r, unsigned status,
    json_t *body, const char *accepted_id)
{
	return reply(conn, r, status, body, accepted_id, 0);
}

enum MHD_Result
emu_reply_after(struct MHD_Connection *conn, const struct req *r,
    unsigned status, const char *msg, unsigned retry_after)
{
	return reply(conn, r, status, json_pack("{s:s}", "message", msg), NULL,
	    retry_after);
}

enum MHD_Result
emu_reply_msg(struct MHD_Connection *conn, const struct req *r,
    unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return emu_reply(conn, r, status, json_pack("{s:s}", "message", msg), NULL);
}

const char *
emu_default_message(unsigned status)
{
	switch (status) {
	case 400:
		return LE_MSG_FAILED;
	case 401:
		return "Authentication failed due to the following reason: "
		    "invalid token. Confirm that the access token in the "
		    "authorization header is valid.";
	case 403:
		return "Access to this API is not available for your account";
	case 409:
		return LE_MSG_RETRY_ACCEPTED;
	case 413:
		return "Request entity too large";
	case 429:
		return LE_MSG_RATE;
	case 500:
		return LE_MSG_INTERNAL;
	default:
		return "Injected fault";
	}
}

/* ---- request bodies --------------------------------------------------------- */

static void
body_append(struct req *r, const char *data, size_t n)
{
	if (r->too_big || n > LE_MAX_BODY - r->len) {
		r->too_big = 1;		/* read on, keep nothing */
		return;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;

		while (cap < r->len + n)
			cap *= 2;
		r->body = xrealloc(r->body, cap);
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
}

/* ---- the emulator's own endpoints --------------------------------------------- */

static json_t *
faults_json(const struct faults *f)
{
	return json_pack("{s:f,s:f,s:f,s:I,s:I,s:s,s:I,s:I}",
	    "fail_rate", f->fail_rate, "drop_rate", f->drop_rate,
	    "lost_response_rate", f->lost_rate,
	    "latency_ms", (json_int_t)f->latency_ms,
	    "status", (json_int_t)f->status,
	    "status_message", f->status_message[0] ? f->status_message :
	    f->status != 0 ? emu_default_message(f->status) : "",
	    "status_count", (json_int_t)f->status_count,
	    "retry_after", (json_int_t)f->retry_after);
}

static json_t *
stats_json(const struct stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "requests", (json_int_t)s->requests,
	    "accepted", (json_int_t)s->accepted,
	    "delivered", (json_int_t)s->delivered,
	    "blocked", (json_int_t)s->blocked,
	    "duplicates_409", (json_int_t)s->dup409,
	    "rate_limited", (json_int_t)s->rate_limited,
	    "quota_exceeded", (json_int_t)s->quota_exceeded,
	    "faults", (json_int_t)s->faults,
	    "dropped", (json_int_t)s->dropped,
	    "lost_responses", (json_int_t)s->lost,
	    "record_errors", (json_int_t)s->record_errors);
}

/* A probability field: 0, or -1 if it is not a number in 0..1. */
static int
get_rate(const json_t *v, double *out)
{
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!(d >= 0 && d <= 1))
		return -1;
	*out = d;
	return 0;
}

static int
get_uint(const json_t *v, json_int_t min, json_int_t max, unsigned *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* POST /emulator/faults: check every field, then apply them together. */
static enum MHD_Result
set_faults(struct emu *e, struct MHD_Connection *conn, const struct req *r)
{
	static const char *const names[] = { "fail_rate", "drop_rate",
	    "lost_response_rate", "latency_ms", "status", "status_count",
	    "status_message", "retry_after" };
	enum { F_FAIL = 1, F_DROP = 2, F_LOST = 4, F_LAT = 8, F_STATUS = 16,
	    F_COUNT = 32, F_MSG = 64, F_AFTER = 128 };	/* 1 << index in names */
	struct faults v, now;
	json_error_t jerr;
	json_t *root, *val;
	const char *k;
	unsigned have = 0;

	memset(&v, 0, sizeof(v));
	root = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return emu_reply_msg(conn, r, 400, "faults: a JSON object is needed");
	}
	json_object_foreach(root, k, val) {
		size_t f;
		int bad = 0;

		for (f = 0; f < sizeof(names) / sizeof(names[0]); f++)
			if (strcmp(k, names[f]) == 0)
				break;
		switch (1u << f) {
		case F_FAIL:
			bad = get_rate(val, &v.fail_rate);
			break;
		case F_DROP:
			bad = get_rate(val, &v.drop_rate);
			break;
		case F_LOST:
			bad = get_rate(val, &v.lost_rate);
			break;
		case F_LAT:
			bad = get_uint(val, 0, 600000, &v.latency_ms);
			break;
		case F_STATUS:
			bad = get_uint(val, 0, 599, &v.status) ||
			    (v.status != 0 && v.status < 400);
			break;
		case F_COUNT:
			bad = get_uint(val, 0, 1000000000, &v.status_count);
			break;
		case F_MSG:
			bad = !json_is_string(val) ||
			    json_string_length(val) >= LE_MSG_MAX;
			if (!bad)
				memcpy(v.status_message, json_string_value(val),
				    json_string_length(val) + 1);
			break;
		case F_AFTER:
			bad = get_uint(val, 0, 86400, &v.retry_after);
			break;
		default:
			bad = -2;
		}
		if (bad) {
			/* k dies with root */
			enum MHD_Result ret = emu_reply_msg(conn, r, 400,
			    bad == -2 ? "faults: unknown field '%.64s'" :
			    "faults: bad value for '%.64s'", k);

			json_decref(root);
			return ret;
		}
		have |= 1u << f;
	}
	json_decref(root);

	pthread_mutex_lock(&e->mu);
	if (have & F_FAIL)
		e->f.fail_rate = v.fail_rate;
	if (have & F_DROP)
		e->f.drop_rate = v.drop_rate;
	if (have & F_LOST)
		e->f.lost_rate = v.lost_rate;
	if (have & F_LAT)
		e->f.latency_ms = v.latency_ms;
	if (have & F_STATUS) {
		e->f.status = v.status;
		e->f.status_count = v.status != 0;
		e->f.status_message[0] = '\0';
	}
	if (have & F_COUNT)
		e->f.status_count = v.status_count;
	if (have & F_AFTER)
		e->f.retry_after = v.retry_after;
	if (have & F_MSG)
		memcpy(e->f.status_message, v.status_message,
		    sizeof(v.status_message));
	if (e->f.status == 0)
		e->f.status_count = 0;
	now = e->f;
	pthread_mutex_unlock(&e->mu);
	log_info("line-emulator: faults: fail %.3f, drop %.3f, lost %.3f, "
	    "latency %u ms, status %u x %u", now.fail_rate, now.drop_rate,
	    now.lost_rate, now.latency_ms, now.status, now.status_count);
	return emu_reply(conn, r, 200, faults_json(&now), NULL);
}

static enum MHD_Result
control(struct emu *e, struct MHD_Connection *conn, const struct req *r,
    const char *method, const char *url)
{
	struct faults f;
	struct stats s;
	json_t *o;

	if (r->ep == EP_RESIDENT)
		return emu_residents_control(e, conn, r, method, url);
	if (r->ep == EP_FAULTS_SET)
		return set_faults(e, conn, r);
	pthread_mutex_lock(&e->mu);
	f = e->f;
	s = e->st;
	pthread_mutex_unlock(&e->mu);
	if (r->ep == EP_FAULTS_GET)
		return emu_reply(conn, r, 200, faults_json(&f), NULL);
	o = stats_json(&s);
	emu_residents_stats(&e->rs, o);
	return emu_reply(conn, r, 200, o, NULL);
}

/* ---- libmicrohttpd callbacks ------------------------------------------------- */

static enum ep
route(const char *method, const char *url)
{
	int path_known = 0;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0) {
			if (strcmp(method, routes[i].method) == 0)
				return routes[i].ep;
			path_known = 1;
		}
	return path_known ? EP_BAD_METHOD : EP_NOT_FOUND;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct emu *e = cls;
	struct req *r = *con_cls;
	unsigned latency;
	int drop;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->ep = route(method, url);
		emu_uuid_new(r->id);
		if (strncmp(url, "/emulator/", 10) == 0)
			r->counted = -1;	/* the emulator's own */
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		body_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->counted < 0) {
		if (r->ep >= EP_NOT_FOUND)
			return emu_reply_msg(conn, r, r->ep == EP_NOT_FOUND ?
			    404 : 405, r->ep == EP_NOT_FOUND ? "Not found" :
			    "Method not allowed");
		return control(e, conn, r, method, url);
	}
	if (r->counted == 0) {
		r->counted = 1;
		pthread_mutex_lock(&e->mu);
		e->st.requests++;
		latency = e->f.latency_ms;
		pthread_mutex_unlock(&e->mu);
		if (latency > 0 && timer_delay(&e->tm, conn, latency))
			return MHD_YES;		/* called again when resumed */
	}
	pthread_mutex_lock(&e->mu);
	if ((drop = emu_chance(e, e->f.drop_rate)))
		e->st.dropped++;
	pthread_mutex_unlock(&e->mu);
	if (drop) {
		log_debug("line-emulator: %s %s -> dropped", r->id,
		    emu_ep_names[r->ep]);
		return MHD_NO;
	}
	if (r->ep == EP_NOT_FOUND)
		return emu_reply_msg(conn, r, 404, "Not found");
	if (r->ep == EP_BAD_METHOD)
		return emu_reply_msg(conn, r, 405, "Method not allowed");
	return emu_line_api(e, conn, r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

static atomic_int mhd_started;

/* libmicrohttpd's messages: warnings while starting, debug once running
 * (a dropped connection is reported as an error, which it is not here). */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (atomic_load(&mhd_started))
		log_debug("line-emulator: microhttpd: %s", msg);
	else
		log_warnx("line-emulator: microhttpd: %s", msg);
}

struct MHD_Daemon *
emu_http_start(struct emu *e, unsigned port, unsigned threads)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	atomic_store(&mhd_started, 0);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)port,
	    NULL, NULL, on_request, e,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, e,	/* first, so it sees all */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
	    MHD_OPTION_END);
	if (d != NULL)
		atomic_store(&mhd_started, 1);
	return d;
}
