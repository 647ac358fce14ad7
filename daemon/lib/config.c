/* config.c - the config file: one table of keys
 * SPDX-License-Identifier: MIT
 */
#include "config.h"
#include "addrbox.h"
#include "inifile.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum ctype { CT_PATH, CT_INT, CT_TEXT, CT_TIME, CT_BOOL };

/* Checks of values the senders and the log would refuse later, so that
 * `oshirased -n` refuses them first. */
static int
check_prefix(const char *v, const char *a, const char *b, char *why,
    size_t whylen)
{
	if (strncmp(v, a, strlen(a)) == 0 || strncmp(v, b, strlen(b)) == 0)
		return 0;
	snprintf(why, whylen, "'%s' does not start with %s or %s", v, a, b);
	return -1;
}

static int
check_smtp_url(const char *v, char *why, size_t whylen)
{
	return check_prefix(v, "smtp://", "smtps://", why, whylen);
}

/* 1 if host (len bytes, brackets of an IPv6 address included) is this
 * machine: localhost, 127.0.0.0/8 written as four numbers, or [::1]. */
static int
loopback_host(const char *host, size_t len)
{
	unsigned part[4];
	char tmp[32], end;

	if ((len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0))
		return 1;
	if (len == 0 || len >= sizeof(tmp) || strspn(host, "0123456789.") < len)
		return 0;
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	return sscanf(tmp, "%3u.%3u.%3u.%3u%c", &part[0], &part[1], &part[2],
	    &part[3], &end) == 4 && part[0] == 127 && part[1] <= 255 &&
	    part[2] <= 255 && part[3] <= 255;
}

/* The LINE API: https://, or http:// to this machine only (an emulator):
 * the channel access token goes in every request's header. */
static int
check_http_url(const char *v, char *why, size_t whylen)
{
	const char *host, *at;
	size_t n;

	if (check_prefix(v, "https://", "http://", why, whylen) != 0)
		return -1;
	if (strncmp(v, "https://", 8) == 0)
		return 0;
	host = v + 7;
	n = strcspn(host, "/?#");
	if ((at = memchr(host, '@', n)) != NULL) {
		n -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	if (host[0] == '[')
		n = strchr(host, ']') != NULL && strchr(host, ']') < host + n ?
		    (size_t)(strchr(host, ']') + 1 - host) : n;
	else
		n = strcspn(host, ":/?#");
	if (at == NULL && loopback_host(host, n))
		return 0;
	snprintf(why, whylen, "'%s' would send the channel access token in "
	    "clear: https:// only (http:// only to this machine: localhost, "
	    "127.0.0.1, [::1])", v);
	return -1;
}

/* A ZeroMQ endpoint the queue and its senders meet at. */
static int
check_endpoint(const char *v, char *why, size_t whylen)
{
	return check_prefix(v, "ipc://", "tcp://", why, whylen);
}

/* A tcp:// endpoint for senders on other hosts (CURVE), or none. */
static int
check_remote(const char *v, char *why, size_t whylen)
{
	if (v[0] == '\0' || strncmp(v, "tcp://", 6) == 0)
		return 0;
	snprintf(why, whylen, "'%s' is not tcp://HOST:PORT", v);
	return -1;
}

static int
check_address(const char *v, char *why, size_t whylen)
{
	const char *at = strchr(v, '@');

	if (at != NULL && at != v && strchr(at + 1, '@') == NULL &&
	    strchr(at, '.') != NULL && strpbrk(v, " \t\r\n<>,;:\"") == NULL)
		return 0;
	snprintf(why, whylen, "'%s' is not an email address", v);
	return -1;
}

static int
check_word(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n >= 1 && n <= 31 && strpbrk(v, " \t") == NULL)
		return 0;
	snprintf(why, whylen, "'%s': 1 to 31 bytes, no spaces", v);
	return -1;
}

/* HOST:PORT, the port 1..65535: where a web-facing role listens. */
static int
check_listen(const char *v, char *why, size_t whylen)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (colon != NULL && colon != v) {
		port = strtol(colon + 1, &end, 10);
		if (colon[1] != '\0' && *end == '\0' && port >= 1 && port <= 65535)
			return 0;
	}
	snprintf(why, whylen, "'%s' is not HOST:PORT", v);
	return -1;
}

/* The actions endpoint: the queue binds it and has no network. */
static int
check_ipc(const char *v, char *why, size_t whylen)
{
	if (strncmp(v, "ipc://", 6) == 0 && v[6] != '\0')
		return 0;
	snprintf(why, whylen, "'%s' is not ipc://PATH", v);
	return -1;
}

static const struct ckey {
	const char *section, *name;
	enum ctype type;
	size_t off;
	const char *def;
	long min, max;
	const char *help;
	int (*check)(const char *value, char *why, size_t whylen);
} keys[] = {
	{ "store", "db", CT_PATH, offsetof(struct config, db),
	  "/var/lib/oshirase", 0, 0, "the LMDB directory (--db)", NULL },
	{ "rules", "dir", CT_PATH, offsetof(struct config, rules),
	  OSHIRASE_RULES_DIR, 0, 0, "the rule files and vocabulary.ini (--rules)", NULL },
	{ "pseudonym", "key", CT_PATH, offsetof(struct config, key),
	  OSHIRASE_SYSCONFDIR "/pseudonym.key", 0, 0,
	  "the pseudonymisation key file, used by import only (--key)", NULL },
	{ "contacts", "public_key", CT_PATH, offsetof(struct config, contacts_pub),
	  "", 0, 0, "public key contacts are encrypted to (empty: DB/contacts.pub)", NULL },
	{ "contacts", "secret_key", CT_PATH, offsetof(struct config, contacts_sec),
	  "", 0, 0, "the daemon's secret key for contacts (empty: DB/contacts.sec)", NULL },
	{ "import", "max_errors", CT_INT, offsetof(struct config, max_errors),
	  "100", 1, 1000000, "bad-row messages printed before summarising", NULL },
	{ "city", "name_ja", CT_TEXT, offsetof(struct config, city_ja),
	  "みほん市", 0, 0, "the city's name in Japanese messages", NULL },
	{ "city", "name_en", CT_TEXT, offsetof(struct config, city_en),
	  "Mihon City", 0, 0, "the city's name in English messages", NULL },
	{ "city", "site", CT_PATH, offsetof(struct config, site),
	  "https://www.city.mihon.example.jp/", 0, 0,
	  "the city's web site; program pages are under it", NULL },
	{ "match", "time", CT_TIME, offsetof(struct config, match_time),
	  "06:00", 0, 0, "when the daemon runs the day's match (Japan time)", NULL },
	{ "match", "threads", CT_INT, offsetof(struct config, match_threads),
	  "0", 0, 64, "matcher threads (0: one per CPU)", NULL },
	{ "match", "batch", CT_INT, offsetof(struct config, match_batch),
	  "20000", 100, 1000000, "notices queued per LMDB transaction", NULL },
	{ "dispatch", "window_start", CT_TIME, offsetof(struct config, window_start),
	  "08:00", 0, 0, "first minute of the send window (Japan time)", NULL },
	{ "dispatch", "window_end", CT_TIME, offsetof(struct config, window_end),
	  "20:00", 0, 0, "end of the send window (Japan time; exclusive)", NULL },
	{ "dispatch", "allow_night", CT_BOOL, offsetof(struct config, allow_night),
	  "no", 0, 0, "yes: let the window reach into the night (21:00-08:00 "
	  "Japan time), wrap past midnight or cover the whole day "
	  "(window_start = window_end)", NULL },
	{ "dispatch", "retry_base", CT_INT, offsetof(struct config, retry_base),
	  "2", 1, 3600, "seconds: first retry delay (full jitter, doubling)", NULL },
	{ "dispatch", "retry_cap", CT_INT, offsetof(struct config, retry_cap),
	  "900", 1, 86400, "seconds: the longest retry delay", NULL },
	{ "dispatch", "line_max_age", CT_INT, offsetof(struct config, line_max_age),
	  "72000", 60, 82800, "seconds from a LINE message's first attempt to "
	  "giving up (under LINE's 24 h retry-key life)", NULL },
	{ "dispatch", "email_max_age", CT_INT, offsetof(struct config, email_max_age),
	  "259200", 60, 864000, "seconds from an email's first attempt to giving up", NULL },
	{ "dispatch", "in_flight", CT_INT, offsetof(struct config, in_flight),
	  "512", 1, 100000, "jobs handed to senders and not yet answered", NULL },
	{ "dispatch", "job_timeout", CT_INT, offsetof(struct config, job_timeout),
	  "120", 5, 3600, "seconds without a result before a job is retried", NULL },
	{ "dispatch", "throttle_alert", CT_INT, offsetof(struct config, throttle_alert),
	  "300", 1, 86400, "seconds a channel may answer only rate limits (429) "
	  "before an ALERT", NULL },
	{ "line", "api", CT_PATH, offsetof(struct config, line_api),
	  "https://api.line.me", 0, 0, "the LINE Messaging API base URL", check_http_url },
	{ "line", "token_file", CT_PATH, offsetof(struct config, line_token),
	  "line-token", 0, 0, "the channel access token file (0600); relative: "
	  "in $CREDENTIALS_DIRECTORY, else in " OSHIRASE_SYSCONFDIR, NULL },
	{ "line", "rate", CT_INT, offsetof(struct config, line_rate),
	  "1000", 1, 100000, "LINE push requests per second (LINE allows 2,000)", NULL },
	{ "line", "burst", CT_INT, offsetof(struct config, line_burst),
	  "20", 1, 100000, "LINE token bucket size", NULL },
	{ "line", "timeout", CT_INT, offsetof(struct config, line_timeout),
	  "30", 1, 600, "seconds for one LINE request", NULL },
	{ "email", "url", CT_PATH, offsetof(struct config, mail_url),
	  "smtp://127.0.0.1:25", 0, 0, "the relay: smtp://host:port (STARTTLS "
	  "required unless the host is loopback) or smtps://host:port", check_smtp_url },
	{ "email", "from", CT_TEXT, offsetof(struct config, mail_from),
	  "noreply@city.mihon.example.jp", 0, 0, "the From address", check_address },
	{ "email", "username", CT_TEXT, offsetof(struct config, mail_user),
	  "", 0, 0, "SMTP AUTH user (empty: no AUTH)", NULL },
	{ "email", "password_file", CT_PATH, offsetof(struct config, mail_password),
	  "", 0, 0, "SMTP AUTH password file (0600; relative as token_file)", NULL },
	{ "email", "cafile", CT_PATH, offsetof(struct config, mail_cafile),
	  "", 0, 0, "CA bundle for the relay's certificate (empty: system)", NULL },
	{ "email", "unsubscribe", CT_PATH, offsetof(struct config, mail_unsubscribe),
	  "https://www.city.mihon.example.jp/oshirase/unsubscribe/", 0, 0,
	  "one-click unsubscribe URL prefix (RFC 8058); a per-contact token follows", NULL },
	{ "email", "unsubscribe_days", CT_INT, offsetof(struct config, mail_unsub_days),
	  "365", 30, 3650, "days an email's unsubscribe link works", NULL },
	{ "email", "rate", CT_INT, offsetof(struct config, mail_rate),
	  "50", 1, 100000, "emails per second", NULL },
	{ "email", "burst", CT_INT, offsetof(struct config, mail_burst),
	  "10", 1, 100000, "email token bucket size", NULL },
	{ "email", "timeout", CT_INT, offsetof(struct config, mail_timeout),
	  "60", 1, 600, "seconds for one SMTP transaction", NULL },
	{ "email", "in_flight", CT_INT, offsetof(struct config, mail_in_flight),
	  "4", 1, 1000, "emails handed to senders and not yet answered: a crash "
	  "re-sends at most this many", NULL },
	{ "senders", "workers", CT_INT, offsetof(struct config, workers),
	  "4", 0, 256, "threads of an oshirase-sender (its --workers), and the "
	  "oshirase-sender processes that oshirased --once starts (0: none, "
	  "it uses the senders at jobs and results)", NULL },
	{ "senders", "jobs", CT_PATH, offsetof(struct config, jobs_endpoint),
	  "ipc:///run/oshirase/jobs", 0, 0, "where the queue hands out jobs and "
	  "local senders take them (the queue: ipc:// only; a sender on another "
	  "host: the queue's remote_jobs)", check_endpoint },
	{ "senders", "results", CT_PATH, offsetof(struct config, results_endpoint),
	  "ipc:///run/oshirase/results", 0, 0, "where senders answer (as jobs)",
	  check_endpoint },
	{ "senders", "remote_jobs", CT_PATH, offsetof(struct config, remote_jobs),
	  "", 0, 0, "the queue: also hand out jobs here to senders on other "
	  "hosts, over CURVE (tcp://HOST:PORT; empty: none)", check_remote },
	{ "senders", "remote_results", CT_PATH, offsetof(struct config, remote_results),
	  "", 0, 0, "and take their results here (tcp://HOST:PORT)", check_remote },
	{ "senders", "curve_key", CT_PATH, offsetof(struct config, curve_key),
	  "", 0, 0, "this process's CURVE key pair (oshirase keygen --curve; "
	  "0600; relative as token_file), for tcp:// links", NULL },
	{ "senders", "curve_clients", CT_PATH, offsetof(struct config, curve_clients),
	  "", 0, 0, "the queue: the public keys of the senders allowed over tcp://, "
	  "one a line (relative as token_file)", NULL },
	{ "senders", "server_key", CT_PATH, offsetof(struct config, server_key),
	  "", 0, 0, "a sender: the queue's public key (its key pair's .pub file; "
	  "relative as token_file), pinned for a tcp:// jobs endpoint", NULL },
	{ "gateway", "listen", CT_TEXT, offsetof(struct config, gw_listen),
	  "127.0.0.1:8470", 0, 0, "where oshirase-gateway listens (HOST:PORT), "
	  "behind the city's TLS reverse proxy", check_listen },
	{ "gateway", "actions", CT_PATH, offsetof(struct config, gw_actions),
	  "ipc:///run/oshirase/actions", 0, 0, "where the queue takes residents' "
	  "actions from the gateway (ipc:// only)", check_ipc },
	{ "gateway", "line_secret", CT_PATH, offsetof(struct config, gw_line_secret),
	  "line-channel-secret", 0, 0, "the LINE channel secret file (0600; "
	  "relative as [line] token_file)", NULL },
	{ "gateway", "public_url", CT_PATH, offsetof(struct config, gw_public_url),
	  "https://www.city.mihon.example.jp/oshirase/", 0, 0, "the gateway's "
	  "pages as residents reach them (through the proxy), ending in /", check_http_url },
	{ "gateway", "max_body", CT_INT, offsetof(struct config, gw_max_body),
	  "65536", 1024, 1048576, "bytes: a larger request body is refused (413)", NULL },
	{ "gateway", "max_connections", CT_INT, offsetof(struct config, gw_max_conn),
	  "256", 1, 10000, "connections served at once", NULL },
	{ "gateway", "max_per_address", CT_INT, offsetof(struct config, gw_per_address),
	  "32", 0, 10000, "connections one client address may hold at once, "
	  "against idle connections taking them all (0: no limit; with "
	  "trust_proxy = yes there is none: every connection is the proxy's)", NULL },
	{ "gateway", "timeout", CT_INT, offsetof(struct config, gw_timeout),
	  "10", 1, 300, "seconds an idle connection is kept", NULL },
	{ "gateway", "queue_timeout", CT_INT, offsetof(struct config, gw_queue_timeout),
	  "5", 1, 60, "seconds to wait for the queue to apply an action (then 503)", NULL },
	{ "gateway", "threads", CT_INT, offsetof(struct config, gw_threads),
	  "32", 1, 256, "threads serving requests (each holds one request "
	  "to the queue at a time; the queue applies what they hold together "
	  "in one transaction)", NULL },
	{ "gateway", "trust_proxy", CT_BOOL, offsetof(struct config, gw_trust_proxy),
	  "no", 0, 0, "yes: take the client's address from the last "
	  "X-Forwarded-For entry (the proxy's), for the attempt limits", NULL },
	{ "gateway", "attempts", CT_INT, offsetof(struct config, gw_attempts),
	  "5", 1, 1000, "registration codes that may fail per LINE user, and "
	  "registrations a client address or a code may ask (each mails "
	  "someone), per attempts_window", NULL },
	{ "gateway", "attempts_window", CT_INT, offsetof(struct config, gw_attempts_window),
	  "900", 10, 86400, "seconds over which failed attempts are counted", NULL },
	{ "gateway", "confirm_hours", CT_INT, offsetof(struct config, gw_confirm_hours),
	  "48", 1, 720, "hours an email registration's confirmation link works", NULL },
	{ "letters", "code_days", CT_INT, offsetof(struct config, code_days),
	  "90", 1, 3650, "days a registration code in a letter works", NULL },
	{ "letters", "code_key", CT_PATH, offsetof(struct config, code_key),
	  "", 0, 0, "the key registration codes are hashed with (0600; empty: "
	  "DB/codes.key, made by the first `oshirase letters`)", NULL },
	{ "log", "dir", CT_PATH, offsetof(struct config, log_dir),
	  "", 0, 0, "the sealed notification log directory (empty: DB/log)", NULL },
	{ "log", "origin", CT_TEXT, offsetof(struct config, log_origin),
	  "oshirase", 0, 0, "the log's name in its checkpoints (no spaces)", check_word },
	{ "log", "checkpoint_records", CT_INT, offsetof(struct config, cp_records),
	  "10000", 1, 100000000, "a signed checkpoint every this many records", NULL },
	{ "log", "checkpoint_seconds", CT_INT, offsetof(struct config, cp_seconds),
	  "300", 1, 86400, "and at least this often while records come", NULL },
};

/* The departments of the built-in fictional city. */
static const struct config_department default_depts[] = {
	{ "health-promotion", "健康支援課", "Health Promotion Division", "000-0000-0001" },
	{ "health-insurance", "健康保険課", "Health Insurance Division", "000-0000-0002" },
	{ "immunization", "感染症対策課", "Immunization Division", "000-0000-0003" },
	{ "maternal-child-health", "母子保健課", "Maternal and Child Health Division", "000-0000-0004" },
	{ "child-support", "こども家庭支援課", "Child and Family Support Division", "000-0000-0005" },
	{ "waterworks", "水道局お客様センター", "Waterworks Customer Center", "000-0000-0006" },
	{ "sewerage", "下水道営業課", "Sewerage Division", "000-0000-0007" },
	{ "housing", "住宅政策課", "Housing Policy Division", "000-0000-0008" },
	{ "welfare", "福祉総務課", "Welfare Division", "000-0000-0009" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int
set_value(struct config *cfg, const struct ckey *k, const char *value,
    char *why, size_t whylen)
{
	char *end;
	long v;

	if (k->check != NULL && k->check(value, why, whylen) != 0)
		return -1;
	switch (k->type) {
	case CT_TEXT:
		if (strlen(value) >= CONFIG_TEXT_MAX || !utf8_valid((const uint8_t *)value, strlen(value))) {
			snprintf(why, whylen, "text longer than %d bytes", CONFIG_TEXT_MAX - 1);
			return -1;
		}
		strcpy((char *)cfg + k->off, value);
		return 0;
	case CT_PATH:
		if (strlen(value) >= CONFIG_PATH_MAX) {
			snprintf(why, whylen, "path longer than %d bytes",
			    CONFIG_PATH_MAX - 1);
			return -1;
		}
		strcpy((char *)cfg + k->off, value);
		return 0;
	case CT_TIME:
		if (strlen(value) != 5 || value[2] != ':' ||
		    value[0] < '0' || value[0] > '2' || value[1] < '0' ||
		    value[1] > '9' || value[3] < '0' || value[3] > '5' ||
		    value[4] < '0' || value[4] > '9' ||
		    (value[0] - '0') * 10 + value[1] - '0' > 24 ||
		    (value[0] == '2' && value[1] == '4' && strcmp(value + 3, "00"))) {
			snprintf(why, whylen, "'%s' is not a time HH:MM (00:00..24:00)",
			    value);
			return -1;
		}
		*(long *)((char *)cfg + k->off) = ((value[0] - '0') * 10 +
		    value[1] - '0') * 60 + (value[3] - '0') * 10 + value[4] - '0';
		return 0;
	case CT_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			snprintf(why, whylen, "'%s' is not yes or no", value);
			return -1;
		}
		*(long *)((char *)cfg + k->off) = strcmp(value, "yes") == 0;
		return 0;
	case CT_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    v < k->min || v > k->max) {
			snprintf(why, whylen, "'%s' is not an integer in %ld..%ld",
			    value, k->min, k->max);
			return -1;
		}
		*(long *)((char *)cfg + k->off) = v;
		return 0;
	}
	return -1;
}

#define NKEYS_MAX 96
struct load_ctx {
	struct config *cfg;
	struct inifile_err *err;
	int line[NKEYS_MAX];	/* where each key of keys[] was set; 0: not */
	int dept_line[CONFIG_MAX_DEPARTMENTS][3];	/* name_ja, name_en, phone */
};

const struct config_department *
config_department(const struct config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->ndept; i++)
		if (strcmp(cfg->dept[i].id, id) == 0)
			return &cfg->dept[i];
	return NULL;
}

static int
department_key(struct load_ctx *ctx, const char *id, const char *name,
    const char *value, int line)
{
	struct config *cfg = ctx->cfg;
	struct config_department *d = (struct config_department *)
	    config_department(cfg, id);
	char *dst;
	size_t cap;
	int f;

	if (d == NULL) {
		if (cfg->ndept == CONFIG_MAX_DEPARTMENTS || strlen(id) == 0 ||
		    strlen(id) >= sizeof(d->id)) {
			inifile_error(ctx->err, line, 0, "[department %s]: too many "
			    "departments or a bad id", id);
			return -1;
		}
		d = &cfg->dept[cfg->ndept++];
		memset(d, 0, sizeof(*d));
		snprintf(d->id, sizeof(d->id), "%s", id);
	}
	if (strcmp(name, "name_ja") == 0) {
		dst = d->name_ja;
		cap = sizeof(d->name_ja);
		f = 0;
	} else if (strcmp(name, "name_en") == 0) {
		dst = d->name_en;
		cap = sizeof(d->name_en);
		f = 1;
	} else if (strcmp(name, "phone") == 0) {
		dst = d->phone;
		cap = sizeof(d->phone);
		f = 2;
	} else {
		inifile_error(ctx->err, line, 0, "unknown key '%s' in [department "
		    "%s] (name_ja, name_en, phone)", name, id);
		return -1;
	}
	if (ctx->dept_line[d - cfg->dept][f] != 0) {
		inifile_error(ctx->err, line, 0, "[department %s] %s: set again "
		    "(first on line %d); a key is set once", id, name,
		    ctx->dept_line[d - cfg->dept][f]);
		return -1;
	}
	if (strlen(value) >= cap) {
		inifile_error(ctx->err, line, 0, "[department %s] %s: longer than "
		    "%zu bytes", id, name, cap - 1);
		return -1;
	}
	strcpy(dst, value);
	ctx->dept_line[d - cfg->dept][f] = line;
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value,
    int line, const char *raw, int section_line)
{
	(void)section_line;
	struct load_ctx *ctx = user;
	char why[160];

	if (raw[0] == ' ' || raw[0] == '\t') {
		inifile_error(ctx->err, line, 1, "a config value is one line "
		    "(this line starts with white space)");
		return -1;
	}
	if (strncmp(section, "department ", 11) == 0)
		return department_key(ctx, section + 11, name, value, line);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (ctx->line[i] != 0) {
			inifile_error(ctx->err, line, 0, "[%s] %s: set again (first "
			    "on line %d); a key is set once", section, name,
			    ctx->line[i]);
			return -1;
		}
		if (set_value(ctx->cfg, &keys[i], value, why, sizeof(why)) != 0) {
			inifile_error(ctx->err, line, 0, "[%s] %s: %s", section,
			    name, why);
			return -1;
		}
		ctx->line[i] = line;
		return 0;
	}
	inifile_error(ctx->err, line, 0, "unknown key '%s' in section [%s]",
	    name, section);
	return -1;
}

/* The line key was set on in the file, or 0. */
static int
key_line(const struct load_ctx *ctx, const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return ctx->line[i];
	return 0;
}

/* Night is 21:00 to 08:00 Japan time: a window reaching into it, wrapping
 * past midnight or covering the whole day (start = end) needs
 * allow_night = yes.  0, or -1 with err set. */
#define NIGHT_ENDS (8 * 60)
#define NIGHT_STARTS (21 * 60)
static int
check_window(const struct config *cfg, const struct load_ctx *ctx,
    const char *file, char *err, size_t errlen)
{
	long a = cfg->window_start, b = cfg->window_end;
	int la = key_line(ctx, "dispatch", "window_start");
	int lb = key_line(ctx, "dispatch", "window_end");
	const char *key = "window_end", *why;
	int line = lb;

	if (cfg->allow_night)
		return 0;
	if (a == b)
		why = "is the whole day";
	else if (a > b)
		why = "wraps past midnight";
	else if (a < NIGHT_ENDS || b > NIGHT_STARTS)
		why = "reaches into the night";
	else
		return 0;
	if (a < NIGHT_ENDS || (a >= b && la > lb)) {
		key = "window_start";
		line = la;
	}
	snprintf(err, errlen, "%s:%d: [dispatch] %s: the send window "
	    "%02ld:%02ld-%02ld:%02ld %s (night is 21:00-08:00 Japan time): keep "
	    "it within 08:00-21:00, or set [dispatch] allow_night = yes", file,
	    line, key, a / 60, a % 60, b / 60, b % 60, why);
	return -1;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	static_assert(NKEYS <= NKEYS_MAX, "struct load_ctx: NKEYS_MAX");
	struct inifile_err ie;
	struct load_ctx ctx;
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	char why[160];
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.err = &ie;
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(cfg, &keys[i], keys[i].def, why, sizeof(why)) != 0)
			abort();	/* the table's own defaults are wrong */
	for (size_t i = 0; i < sizeof(default_depts) / sizeof(default_depts[0]); i++)
		cfg->dept[cfg->ndept++] = default_depts[i];
	rc = inifile_parse(file, handler, &ctx, &ie);
	if (rc == -2) {
		if (path == NULL && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", file, ie.msg);
		return CONFIG_ENOINPUT;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: %s", file, ie.line, ie.msg);
		return CONFIG_ESYNTAX;
	}
	/* What no single key shows: the window by night; remote senders
	 * need both endpoints and the queue's CURVE keys. */
	if (check_window(cfg, &ctx, file, err, errlen) != 0)
		return CONFIG_ESYNTAX;
	if ((cfg->remote_jobs[0] == '\0') != (cfg->remote_results[0] == '\0')) {
		snprintf(err, errlen, "%s: [senders] remote_jobs and remote_results "
		    "go together", file);
		return CONFIG_ESYNTAX;
	}
	if (cfg->remote_jobs[0] != '\0' && (cfg->curve_key[0] == '\0' ||
	    cfg->curve_clients[0] == '\0')) {
		snprintf(err, errlen, "%s: [senders] remote_jobs is tcp:// with "
		    "CURVE: it needs curve_key (the queue's key pair) and "
		    "curve_clients (the senders' public keys)", file);
		return CONFIG_ESYNTAX;
	}
	return 0;
}

const char *
config_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case CONFIG_ENOINPUT:
		return "the config file cannot be read";
	case CONFIG_ESYNTAX:
		return "a bad line, key or value in the config";
	default:
		return "an unknown config error";
	}
}

void
config_describe(void)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		printf("[%s] %s (%s, default '%s'", k->section, k->name,
		    k->type == CT_INT ? "integer" : k->type == CT_TEXT ? "text" :
		    k->type == CT_TIME ? "HH:MM" : k->type == CT_BOOL ?
		    "yes or no" : "path", k->def);
		if (k->type == CT_INT)
			printf(", %ld..%ld", k->min, k->max);
		printf("): %s\n", k->help);
	}
	printf("[department ID] name_ja, name_en, phone (text): a department "
	    "that rule files name\n");
}

char *
config_secret_path(const char *name, char *out, size_t cap)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (name[0] == '/' || name[0] == '\0')
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%s/%s", dir && *dir ? dir : OSHIRASE_SYSCONFDIR,
		    name);
	return out;
}

void
config_contacts_paths(const struct config *cfg, const char *db, char *pub,
    char *sec, size_t len)
{
	if (cfg->contacts_pub[0])
		snprintf(pub, len, "%s", cfg->contacts_pub);
	else
		snprintf(pub, len, "%s/%s", db, ADDRBOX_PUB_FILE);
	if (cfg->contacts_sec[0])
		snprintf(sec, len, "%s", cfg->contacts_sec);
	else
		snprintf(sec, len, "%s/%s", db, ADDRBOX_SEC_FILE);
}
