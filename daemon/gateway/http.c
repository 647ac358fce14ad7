/* http.c - the gateway's HTTP server (http.h)
 * SPDX-License-Identifier: MIT
 *
 * Owns: the listening socket, libmicrohttpd and its threads, the routes
 * and the mapping of the queue's answers to HTTP statuses and pages.
 * Never touches: the store, the secret's file, ZeroMQ (queue.c), JSON
 * (webhook.c) or form grammar (forms.c); logs no token, id, address or
 * body.
 */
#include "http.h"
#include "codes.h"
#include "forms.h"
#include "job.h"
#include "limits.h"
#include "log.h"
#include "mailaddr.h"
#include "queue.h"
#include "util.h"
#include "webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <time.h>
#include <unistd.h>

enum route { R_WEBHOOK, R_UNSUBSCRIBE, R_REGISTER, R_CONFIRM, R_HEALTH };

static const char *const route_names[] = {
	"webhook", "unsubscribe", "register", "confirm", "healthz"
};

struct http {
	const struct http_conf *conf;
	struct MHD_Daemon *mhd;
	int fd;
	char csp[256];
};

struct req {
	enum route route;
	int get;			/* GET or HEAD */
	int too_big;
	char token[ACT_TOKEN_MAX];
	char *body;
	size_t len, cap;
};

/* ---- answers ----------------------------------------------------------------- */

static enum MHD_Result
respond(struct MHD_Connection *c, const struct http *h, unsigned status,
    const char *ctype, void *body, size_t len, int owned, const char *allow,
    long retry)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char n[32];

	r = MHD_create_response_from_buffer(len, body, owned ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Content-Security-Policy", h->csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=(), interest-cohort=()");
	if (allow != NULL)
		MHD_add_response_header(r, "Allow", allow);
	if (retry > 0) {
		snprintf(n, sizeof(n), "%ld", retry);
		MHD_add_response_header(r, "Retry-After", n);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
page(struct MHD_Connection *c, const struct http *h, unsigned status,
    enum page p, unsigned consent, int active)
{
	size_t len;
	char *b = page_render(p, consent, active, &len);
	long retry = 0;

	if (b == NULL)
		return MHD_NO;
	if (status == 503)
		retry = 60;
	else if (status == 429)
		retry = h->conf->attempts_window;
	return respond(c, h, status, "text/html; charset=utf-8", b, len, 1,
	    NULL, retry);
}

static enum MHD_Result
method_page(struct MHD_Connection *c, const struct http *h, const char *allow)
{
	size_t len;
	char *b = page_render(PAGE_METHOD, 0, 0, &len);

	if (b == NULL)
		return MHD_NO;
	return respond(c, h, 405, "text/html; charset=utf-8", b, len, 1, allow,
	    0);
}

static enum MHD_Result
json(struct MHD_Connection *c, const struct http *h, unsigned status,
    const char *msg, const char *allow)
{
	static char ok[] = "{}";
	char *b;
	int n;

	if (msg == NULL)
		return respond(c, h, status, "application/json", ok, 2, 0, allow,
		    status == 503 ? 5 : 0);
	if ((n = asprintf(&b, "{\"message\":\"%s\"}", msg)) < 0)
		return MHD_NO;
	return respond(c, h, status, "application/json", b, (size_t)n, 1, allow,
	    status == 503 ? 5 : 0);
}

/* ---- requests ---------------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MHD_get_connection_values' iterator: keep the last X-Forwarded-For
 * header's value (a proxy may add its own line rather than append). */
static enum MHD_Result
last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/* The client's address as text: the peer's, or with trust_proxy the last
 * X-Forwarded-For entry (the one the proxy added) when it is an address;
 * an IPv6 address by its /64. */
static void
client_addr(struct MHD_Connection *c, const struct http *h, char *out,
    size_t cap)
{
	const union MHD_ConnectionInfo *ci;
	const char *xff, *last;
	char tmp[INET6_ADDRSTRLEN + 1];
	uint8_t bin[16];
	size_t n;

	snprintf(out, cap, "?");
	xff = NULL;
	if (h->conf->trust_proxy)
		MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
	if (xff != NULL) {
		last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ' || *last == '\t')
			last++;
		n = strcspn(last, " \t");
		if (n < sizeof(tmp)) {
			memcpy(tmp, last, n);
			tmp[n] = '\0';
			if (inet_pton(AF_INET, tmp, bin) == 1) {
				snprintf(out, cap, "%s", tmp);
				return;
			}
			if (inet_pton(AF_INET6, tmp, bin) == 1) {
				/* one subscriber holds a /64: count it whole */
				memset(bin + 8, 0, 8);
				inet_ntop(AF_INET6, bin, out, (socklen_t)cap);
				return;
			}
		}
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
}

/* Send actions and see whether each was answered and applied. */
static size_t
call(const struct http *h, struct action *a, struct action_answer *ans,
    size_t n)
{
	size_t got = gwq_call(h->conf->queue, a, ans, n);

	if (got < n)
		log_warnx("http: the queue answered %zu of %zu actions in %ld s",
		    got, n, h->conf->queue_timeout);
	return got;
}

static enum MHD_Result
webhook(struct MHD_Connection *c, const struct http *h, struct req *r)
{
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Line-Signature");
	struct webhook_batch b;
	struct action_answer *ans = NULL;
	int64_t now = now_ms() / 1000;
	unsigned status = 200;
	size_t i;
	int rc;

	if (webhook_verify(h->conf->secret, h->conf->secret_len, sig,
	    (const uint8_t *)r->body, r->len) != 0) {
		log_info("http: webhook: %s signature: 401",
		    sig == NULL ? "no" : "a wrong");
		return json(c, h, 401, "invalid signature", NULL);
	}
	if ((rc = webhook_parse(r->body, r->len, &b)) != 0) {
		log_info("http: webhook: %s: 400", webhook_strerror(rc));
		return json(c, h, 400, webhook_strerror(rc), NULL);
	}
	if (b.n == 0) {
		webhook_batch_free(&b);
		return json(c, h, 200, NULL, NULL);
	}
	/* each code takes an attempt before it goes, so that the codes of
	 * one request, or of requests at once, cannot pass the limit together */
	for (i = 0; i < b.n; i++)
		if (b.act[i].kind == ACT_LINE_CODE &&
		    limits_take(h->conf->limits, LIMIT_USER, b.act[i].user, now) != 0) {
			b.act[i].flags |= ACT_FLAG_LIMITED;
			b.act[i].code[0] = '\0';
		}
	if ((ans = calloc(b.n, sizeof(*ans))) == NULL) {
		webhook_batch_free(&b);
		return MHD_NO;
	}
	call(h, b.act, ans, b.n);
	for (i = 0; i < b.n; i++) {
		if (ans[i].status == ACT_UNAVAILABLE && status == 200)
			status = 503;
		else if (ans[i].status == ACT_MALFORMED)
			status = 500;
		if (b.act[i].kind == ACT_LINE_CODE &&
		    !(b.act[i].flags & ACT_FLAG_LIMITED) &&
		    ans[i].status != ACT_BADCODE && ans[i].status != ACT_EXPIRED &&
		    ans[i].status != ACT_USED)
			limits_refund(h->conf->limits, LIMIT_USER, b.act[i].user, now);
	}
	log_debug("http: webhook: %zu events, %zu read, %zu redelivered: %u",
	    b.events, b.n, b.redelivered, status);
	free(ans);
	webhook_batch_free(&b);
	return json(c, h, status, status == 200 ? NULL : status == 503 ?
	    "try again later" : "internal error", NULL);
}

/* The page and status for a token's or a code's answer that is not OK. */
static unsigned
refusal(int status, enum page *p)
{
	switch (status) {
	case ACT_BADTOKEN:
	case ACT_NOCONTACT:
		*p = PAGE_BADLINK;
		return 404;
	case ACT_EXPIRED:
		*p = PAGE_LINK_EXPIRED;
		return 410;
	case ACT_USED:
		*p = PAGE_CODE_USED;
		return 409;
	case ACT_BADCODE:
		*p = PAGE_BADLINK;
		return 404;
	case ACT_MALFORMED:
		*p = PAGE_UNAVAILABLE;
		return 500;
	default:
		*p = PAGE_UNAVAILABLE;
		return 503;
	}
}

/* One web action: its answer in *ans. */
static void
web_call(const struct http *h, struct action *a, struct action_answer *ans)
{
	a->time = now_ms();
	call(h, a, ans, 1);
}

/* Parse a form body; 1, or 0 (the 400 or 415 page is queued in *ret). */
static int
body_form(struct MHD_Connection *c, const struct http *h, struct req *r,
    struct form *f, enum MHD_Result *ret)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type");

	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) != 0) {
		*ret = page(c, h, 415, PAGE_BADREQUEST, 0, 0);
		return 0;
	}
	if (form_parse(r->body, r->len, f) != 0) {
		*ret = page(c, h, 400, PAGE_BADREQUEST, 0, 0);
		return 0;
	}
	return 1;
}

static enum MHD_Result
unsubscribe(struct MHD_Connection *c, const struct http *h, struct req *r)
{
	struct action a = { 0 };
	struct action_answer ans;
	struct form f;
	enum MHD_Result ret;
	enum page p;
	unsigned st, bits;
	const char *v;

	memcpy(a.token, r->token, sizeof(a.token));
	if (r->get) {
		a.kind = ACT_MANAGE_CHECK;
		web_call(h, &a, &ans);
		if (ans.status != ACT_OK) {
			st = refusal(ans.status, &p);
			return page(c, h, st, p, 0, 0);
		}
		return page(c, h, 200, PAGE_MANAGE, ans.consent,
		    ans.contact == ACT_CONTACT_ACTIVE);
	}
	if (form_one_click(r->body, r->len, MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, "Content-Type"))) {
		a.kind = ACT_UNSUBSCRIBE;
		web_call(h, &a, &ans);
		/* a contact already gone from that address is unsubscribed */
		if (ans.status == ACT_OK || ans.status == ACT_NOCONTACT)
			return page(c, h, 200, PAGE_UNSUBSCRIBED, 0, 0);
		st = refusal(ans.status, &p);
		return page(c, h, st, p, 0, 0);
	}
	if (!body_form(c, h, r, &f, &ret))
		return ret;
	if ((v = form_get(&f, "action")) == NULL || strcmp(v, "save") != 0 ||
	    form_consent(&f, &bits) != 0)
		return page(c, h, 400, PAGE_BADREQUEST, 0, 0);
	a.kind = ACT_MANAGE_CONSENT;
	a.consent = (uint8_t)bits;
	a.mask = 15;
	web_call(h, &a, &ans);
	if (ans.status != ACT_OK) {
		st = refusal(ans.status, &p);
		return page(c, h, st, p, 0, 0);
	}
	return page(c, h, 200, PAGE_SAVED, 0, 0);
}

static enum MHD_Result
confirm(struct MHD_Connection *c, const struct http *h, struct req *r)
{
	struct action a = { 0 };
	struct action_answer ans;
	struct form f;
	enum MHD_Result ret;
	enum page p;
	unsigned st, bits;
	const char *v;

	memcpy(a.token, r->token, sizeof(a.token));
	if (r->get)
		a.kind = ACT_CONFIRM_CHECK;
	else {
		if (!body_form(c, h, r, &f, &ret))
			return ret;
		if ((v = form_get(&f, "action")) == NULL ||
		    strcmp(v, "confirm") != 0 || form_consent(&f, &bits) != 0)
			return page(c, h, 400, PAGE_BADREQUEST, 0, 0);
		a.kind = ACT_EMAIL_CONFIRM;
		a.consent = (uint8_t)bits;
		a.mask = 15;
	}
	web_call(h, &a, &ans);
	if (ans.status != ACT_OK) {
		st = refusal(ans.status, &p);
		return page(c, h, st, p, 0, 0);
	}
	return r->get ? page(c, h, 200, PAGE_CONFIRM, 0, 0) :
	    page(c, h, 200, PAGE_CONFIRMED, 0, 0);
}

static enum MHD_Result
register_post(struct MHD_Connection *c, const struct http *h, struct req *r)
{
	struct action a = { 0 };
	struct action_answer ans;
	struct form f;
	enum MHD_Result ret;
	char addr[INET6_ADDRSTRLEN + 8], norm[CODE_LEN + 1];
	char wire[MAILADDR_MAX + 1];
	const char *code, *email, *lang;
	int64_t now = now_ms() / 1000;

	if (!body_form(c, h, r, &f, &ret))
		return ret;
	client_addr(c, h, addr, sizeof(addr));
	if (limits_blocked(h->conf->limits, LIMIT_CLIENT, addr, now)) {
		log_info("http: register: limited: 429");
		return page(c, h, 429, PAGE_LIMITED, 0, 0);
	}
	code = form_get(&f, "code");
	email = form_get(&f, "email");
	lang = form_get(&f, "lang");
	if (code == NULL || code_normalize(code, norm) != 0) {
		limits_fail(h->conf->limits, LIMIT_CLIENT, addr, now);
		return page(c, h, 400, PAGE_BADCODE, 0, 0);
	}
	if (email == NULL || !form_address_ok(email) ||
	    strlen(email) >= sizeof(a.address) ||
	    mailaddr_wire(email, strlen(email), wire, sizeof(wire)) != NULL)
		return page(c, h, 400, PAGE_BADADDRESS, 0, 0);
	/* every registration asked counts, against the address and the
	 * code: each good one mails someone, so a code is no licence to
	 * mail the world */
	if (limits_take(h->conf->limits, LIMIT_CODE, norm, now) != 0) {
		log_info("http: register: the code is limited: 429");
		return page(c, h, 429, PAGE_LIMITED, 0, 0);
	}
	if (limits_take(h->conf->limits, LIMIT_CLIENT, addr, now) != 0) {
		limits_refund(h->conf->limits, LIMIT_CODE, norm, now);
		log_info("http: register: limited: 429");
		return page(c, h, 429, PAGE_LIMITED, 0, 0);
	}
	a.kind = ACT_EMAIL_REGISTER;
	memcpy(a.code, norm, sizeof(norm));
	memcpy(a.address, email, strlen(email) + 1);
	a.language = lang != NULL && strcmp(lang, "en") == 0 ? LANG_EN : LANG_JA;
	limits_client_tag(h->conf->limits, addr, a.client);
	web_call(h, &a, &ans);
	if (ans.status != ACT_OK && ans.status != ACT_BADCODE &&
	    ans.status != ACT_EXPIRED && ans.status != ACT_USED) {
		/* the queue did nothing: the attempt is given back */
		limits_refund(h->conf->limits, LIMIT_CODE, norm, now);
		limits_refund(h->conf->limits, LIMIT_CLIENT, addr, now);
	}
	switch (ans.status) {
	case ACT_OK:
		return page(c, h, 200, PAGE_REGISTER_SENT, 0, 0);
	case ACT_BADCODE:
		return page(c, h, 400, PAGE_BADCODE, 0, 0);
	case ACT_EXPIRED:
		return page(c, h, 400, PAGE_CODE_EXPIRED, 0, 0);
	case ACT_USED:
		return page(c, h, 409, PAGE_CODE_USED, 0, 0);
	case ACT_MALFORMED:
		return page(c, h, 500, PAGE_UNAVAILABLE, 0, 0);
	default:
		return page(c, h, 503, PAGE_UNAVAILABLE, 0, 0);
	}
}

/* ---- routing ----------------------------------------------------------------- */

/* A token as the queue makes them: base64url, 1..ACT_TOKEN_MAX-1. */
static int
token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n >= ACT_TOKEN_MAX)
		return 0;
	return strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == n;
}

/* The route of url and method into r: 0, or the status to answer (404,
 * 405 with *allow set). */
static unsigned
route(const char *url, const char *method, struct req *r, const char **allow)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	const char *tok = NULL;

	*allow = "GET, HEAD, POST";
	if (strcmp(url, "/line/webhook") == 0)
		r->route = R_WEBHOOK, *allow = "POST";
	else if (strcmp(url, "/register") == 0)
		r->route = R_REGISTER;
	else if (strcmp(url, "/healthz") == 0)
		r->route = R_HEALTH, *allow = "GET, HEAD";
	else if (strncmp(url, "/unsubscribe/", 13) == 0)
		r->route = R_UNSUBSCRIBE, tok = url + 13;
	else if (strncmp(url, "/confirm/", 9) == 0)
		r->route = R_CONFIRM, tok = url + 9;
	else
		return 404;
	if (tok != NULL) {
		if (!token_ok(tok))
			return 404;
		memcpy(r->token, tok, strlen(tok) + 1);
	}
	if (r->route == R_WEBHOOK ? !post : r->route == R_HEALTH ? !get :
	    !(get || post))
		return 405;
	r->get = get;
	return 0;
}

static enum MHD_Result
serve(struct MHD_Connection *c, const struct http *h, struct req *r)
{
	switch (r->route) {
	case R_WEBHOOK:
		return webhook(c, h, r);
	case R_UNSUBSCRIBE:
		return unsubscribe(c, h, r);
	case R_CONFIRM:
		return confirm(c, h, r);
	case R_REGISTER:
		return r->get ? page(c, h, 200, PAGE_REGISTER, 0, 0) :
		    register_post(c, h, r);
	case R_HEALTH:
		return respond(c, h, 200, "text/plain; charset=utf-8", "ok\n", 3,
		    0, NULL, 0);
	}
	return MHD_NO;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	const struct http *h = cls;
	struct req *r = *con_cls;
	const char *allow, *cl;
	unsigned st;
	size_t want;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*con_cls = r;
		if ((st = route(url, method, r, &allow)) != 0) {
			log_debug("http: %s: %u", method, st);
			if (st == 405 && strcmp(url, "/line/webhook") == 0)
				return json(c, h, 405, "method not allowed", allow);
			return st == 405 ? method_page(c, h, allow) :
			    page(c, h, st, PAGE_NOTFOUND, 0, 0);
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) >
		    (unsigned long long)h->conf->max_body) {
			log_info("http: %s: a body of %s bytes: 413",
			    route_names[r->route], cl);
			r->too_big = 1;
			return r->route == R_WEBHOOK ?
			    json(c, h, 413, "request entity too large", NULL) :
			    page(c, h, 413, PAGE_BADREQUEST, 0, 0);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		want = r->len + *upload_size;
		if (r->too_big || want > (size_t)h->conf->max_body)
			r->too_big = 1;
		else {
			if (want > r->cap) {
				size_t cap = r->cap ? r->cap : 4096;
				char *nb;

				while (cap < want)
					cap *= 2;
				if ((nb = realloc(r->body, cap + 1)) == NULL)
					return MHD_NO;
				r->body = nb;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len = want;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return r->route == R_WEBHOOK ?
		    json(c, h, 413, "request entity too large", NULL) :
		    page(c, h, 413, PAGE_BADREQUEST, 0, 0);
	if (r->body == NULL && (r->body = malloc(1)) == NULL)
		return MHD_NO;
	r->body[r->len] = '\0';
	return serve(c, h, r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* ---- start and stop ---------------------------------------------------------- */

int
http_listen_addr(const char *listen, struct sockaddr_storage *ss,
    unsigned *sslen)
{
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[256];
	size_t hl;

	if (colon == NULL || colon == listen)
		return -1;
	hl = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hl < 3 || listen[hl - 1] != ']')
			return -1;
		listen++, hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (strcmp(host, "localhost") != 0)
		hints.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = (unsigned)ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int
http_start(const struct http_conf *conf, struct http **out, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	struct http *h;
	unsigned sslen;
	char style[64];
	int one = 1, flags;

	*out = NULL;
	if (http_listen_addr(conf->listen, &ss, &sslen) != 0) {
		snprintf(err, errlen, "listen: '%s' is not HOST:PORT of an "
		    "address", conf->listen);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "http_start: out of memory");
		return -1;
	}
	h->conf = conf;
	page_style_src(style, sizeof(style));
	snprintf(h->csp, sizeof(h->csp), "default-src 'none'; style-src %s; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'", style);
	if ((h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(h->fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(h->fd, 128) != 0) {
		snprintf(err, errlen, "listen on %s: %s", conf->listen,
		    strerror(errno));
		goto fail;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon((unsigned)flags, 0, NULL, NULL, handler, h,
	    MHD_OPTION_LISTEN_SOCKET, h->fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)conf->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf->max_conn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)conf->per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)conf->timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "listen on %s: libmicrohttpd did not start",
		    conf->listen);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return -1;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	/* quiesced, libmicrohttpd leaves the socket to us */
	if (MHD_quiesce_daemon(h->mhd) == MHD_INVALID_SOCKET)
		h->fd = -1;	/* closed by MHD_stop_daemon */
	MHD_stop_daemon(h->mhd);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}
