/* main.c - oshirased, the queue
 * SPDX-License-Identifier: MIT
 *
 * Owns the process: the config, the rule set, the store opened for
 * writing, the outcome log, the link to the senders (link.h: the jobs and
 * results sockets, bound at [senders] jobs and results, and over CURVE at
 * remote_jobs and remote_results), and the dispatcher (dispatch.h), which
 * runs in the main thread.  It sends nothing itself: the senders are
 * oshirase-sender processes, started by systemd units for the service
 * and by oshirased itself for a --once run (spawn.h).  Every
 * day at [match] time (Japan time) it runs the day's match (match.h) once,
 * makes messages of the new notices and sends them as the window and the
 * channels allow.  It never reads the pseudonymisation key and never sees
 * a resident id: the store has none.
 *
 *   oshirased [-c FILE] [--db DIR] [--rules DIR]        run (systemd:
 *                                                       Type=notify)
 *   oshirased -n                                        check config and
 *                                                       rules, then exit
 *   oshirased --help-config                             list the config keys
 *   oshirased --once [--date D] [--now T] [--wait S]    one run for date D:
 *        match, send through [senders] workers oshirase-sender processes
 *        of its own, and exit when nothing is in flight and nothing is
 *        due within S seconds (default 60); what waits for the window or
 *        a later retry stays queued for the next run
 *   --now YYYY-MM-DDTHH:MM   act as if the clock (Japan time) said so
 *
 * Signals: SIGHUP reloads the config's [city], [department], [match] and
 * [dispatch] settings and the rules, atomically: a broken new set is
 * reported and the old one kept.  [senders] endpoints and keys take effect
 * on restart; the other [line] and [email] settings than the pacing (rate
 * and burst, reloaded) are the senders'.  SIGTERM and SIGINT drain:
 * nothing new is sent, the answers of what is in flight are awaited (up
 * to [dispatch] job_timeout), and the process exits 0.
 */
#include "actions.h"
#include "config.h"
#include "dates.h"
#include "dispatch.h"
#include "link.h"
#include "log.h"
#include "match.h"
#include "outlog.h"
#include "precheck.h"
#include "render.h"
#include "rules.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static volatile sig_atomic_t got_hup, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: oshirased [-c FILE] [--db DIR] [--rules DIR] [-n]\n"
	    "       oshirased --once [--date D] [--now YYYY-MM-DDTHH:MM] "
	    "[--wait SECONDS]\n"
	    "Match the store against the rules every day and send the notices.\n"
	    "  -c FILE     the config (default %s)\n"
	    "  -n          check the config and the rules, then exit\n"
	    "  --help-config  list the config file's keys\n"
	    "  --once      one run for date D (default today in Japan), then exit\n"
	    "  --now T     act as if the clock in Japan said T\n"
	    "  --wait S    with --once: wait for what is due within S seconds\n",
	    CONFIG_DEFAULT_PATH);
}

struct opts {
	const char *config, *db, *rules;
	int check, once, have_date;
	date_t date;
	time_t offset;
	long wait;
};

/* The rules and the config: loaded together, replaced together. */
struct world {
	struct config *cfg;
	struct rules_set *rs;
};

/* Map the rules' words to the store's word ids.  0 or an exit status. */
static int
bind_world(struct store *s, struct world *w)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		rc = rules_bind_store(w->rs, txn, store_dbi(s));
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		log_warnx("%s: %s", store_dir(s), store_strerror(rc));
		return EXIT_IOERR;
	}
	return 0;
}

static int
load_world(const struct opts *o, struct store *s, struct world *w)
{
	char err[1400];
	int rc;

	w->cfg = xcalloc(1, sizeof(*w->cfg));
	w->rs = NULL;
	rc = config_load(o->config, w->cfg, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		rc = rc == CONFIG_ENOINPUT ? EXIT_NOINPUT : EXIT_CONFIG;
		goto fail;
	}
	if (o->db)
		snprintf(w->cfg->db, sizeof(w->cfg->db), "%s", o->db);
	if (o->rules)
		snprintf(w->cfg->rules, sizeof(w->cfg->rules), "%s", o->rules);
	rc = rules_load(w->cfg->rules, stderr, &w->rs);
	if (rc != 0) {
		rc = rc == RULES_ENOINPUT ? EXIT_NOINPUT : EXIT_DATAERR;
		goto fail;
	}
	if (render_check_departments(w->rs, w->cfg, stderr) != 0) {
		rc = EXIT_DATAERR;
		goto fail;
	}
	if (s != NULL && (rc = bind_world(s, w)) != 0)
		goto fail;
	return 0;
fail:
	rules_free(w->rs);
	free(w->cfg);
	w->rs = NULL;
	w->cfg = NULL;
	return rc;
}

static void
free_world(struct world *w)
{
	rules_free(w->rs);
	free(w->cfg);
}

static int
parse_now(const char *s, time_t *offset)
{
	date_t day;
	int h, m;

	if (strlen(s) != 16 || s[10] != 'T' || s[13] != ':' ||
	    date_parse(s, 10, &day) != 0 ||
	    sscanf(s + 11, "%2d:%2d", &h, &m) != 2 || h > 23 || m > 59)
		return -1;
	*offset = date_midnight_jst(day) + h * 3600 + m * 60 - time(NULL);
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_DB = 256, OPT_RULES, OPT_ONCE, OPT_DATE, OPT_NOW, OPT_WAIT,
		OPT_HELP, OPT_HELP_CONFIG, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int opt;

	memset(o, 0, sizeof(*o));
	o->wait = 60;
	while ((opt = getopt_long(argc, argv, "c:n", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'n': o->check = 1; break;
		case OPT_DB: o->db = optarg; break;
		case OPT_RULES: o->rules = optarg; break;
		case OPT_ONCE: o->once = 1; break;
		case OPT_DATE:
			if (date_parse(optarg, strlen(optarg), &o->date) != 0) {
				log_warnx("--date: '%s' is not a date YYYY-MM-DD", optarg);
				return EXIT_USAGE;
			}
			o->have_date = 1;
			break;
		case OPT_NOW:
			if (parse_now(optarg, &o->offset) != 0) {
				log_warnx("--now: '%s' is not YYYY-MM-DDTHH:MM", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_WAIT:
			errno = 0;
			o->wait = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->wait < 0 ||
			    o->wait > 86400) {
				log_warnx("--wait: '%s' is not 0..86400 seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_HELP_CONFIG:
			config_describe();
			exit(0);
		case OPT_VERSION:
			printf("oshirased %s\n", OSHIRASE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((o->have_date || o->wait != 60) && !o->once) {
		log_warnx("--date and --wait go with --once");
		return EXIT_USAGE;
	}
	return 0;
}

/* The sealed log's directory: [log] dir, else DB/log. */
static char *
log_dir(const struct config *cfg, char *out, size_t cap)
{
	if (cfg->log_dir[0])
		snprintf(out, cap, "%s", cfg->log_dir);
	else
		snprintf(out, cap, "%s/log", cfg->db);
	return out;
}

/* -n: what the start checks (precheck.h), with the store opened
 * read-only, nothing bound and nothing written.  0 or an exit status. */
static int
check_only(const struct opts *o)
{
	struct world w;
	struct store *s = NULL;
	char err[1400], logdir[CONFIG_PATH_MAX + 8];
	int rc;

	if ((rc = load_world(o, NULL, &w)) != 0)
		return rc;
	if ((rc = store_open(w.cfg->db, STORE_RDONLY, &s, err,
	    sizeof(err))) != 0) {
		log_warnx("%s", err);
		rc = rc == STORE_ENOENT ? EXIT_NOINPUT : EXIT_IOERR;
	} else if ((rc = bind_world(s, &w)) == 0 &&
	    (rc = precheck_run(w.cfg, s, log_dir(w.cfg, logdir, sizeof(logdir)),
	    1)) == 0)
		printf("oshirased: config and %u rule files are good\n", w.rs->n);
	store_close(s);
	free_world(&w);
	return rc;
}

static int
log_initialised(const char *dir)
{
	char path[CONFIG_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/log.bin", dir);
	return access(path, F_OK) == 0;
}


static int
last_match(struct store *s, date_t *out)
{
	MDB_txn *txn;
	uint8_t b[4];
	size_t len;
	int rc;

	*out = INT32_MIN;
	if ((rc = mdb_txn_begin(store_env(s), NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	rc = store_meta_get(txn, store_dbi(s), "match.last", b, sizeof(b), &len);
	mdb_txn_abort(txn);
	if (rc == 0 && len == 4)
		*out = store_i32(b);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
run_match(struct store *s, struct world *w, struct dispatch *d,
    struct actions *act, date_t day, struct match_result *res)
{
	char ds[DATE_STRLEN + 1];
	double t0 = util_now();
	int rc;

	date_format(day, ds);
	/* residents' contacts imported since are indexed and their consent
	 * sealed before the run reads them; a failure is logged, the run
	 * goes on (the contacts are as the store has them) */
	(void)actions_daily(act);
	rc = match_run(s, w->rs, day, (unsigned)w->cfg->match_threads, 0, NULL,
	    w->cfg->match_batch, res);
	if (rc != 0)	/* logged */
		return rc == MATCH_EREADONLY || rc == MATCH_ETHREAD ?
		    EXIT_SOFTWARE : EXIT_IOERR;
	log_info("match run %u for %s: %lu new notices in %.2f s", res->run, ds,
	    res->total, util_now() - t0);
	if ((rc = dispatch_digest(d)) != 0) {
		log_warnx("%s: making messages: %s", store_dir(s), mdb_strerror(rc));
		return EXIT_IOERR;
	}
	log_info("%lu messages made", dispatch_stats(d)->messages_made);
	return 0;
}

static void
print_summary(const struct rules_set *rs, const struct match_result *res,
    const struct dispatch_stats *st, FILE *f)
{
	unsigned long t[8] = { 0 };

	fprintf(f, "%-32s %9s %9s %9s %9s %9s %9s %9s %10s\n", "program",
	    "eligible", "queued", "notified", "already", "nocontact",
	    "noconsent", "noadult", "badcontact");
	for (unsigned p = 0; p < rs->n; p++) {
		const struct match_counts *c = &res->c[p];
		unsigned long v[8] = { c->eligible, c->queued, st->sent_prog[p],
			c->already, c->no_contact, c->no_consent, c->no_recipient,
			c->bad_contact };

		fprintf(f, "%-32s", rs->p[p]->id);
		for (int i = 0; i < 8; i++) {
			fprintf(f, i == 7 ? " %10lu" : " %9lu", v[i]);
			t[i] += v[i];
		}
		fputc('\n', f);
	}
	fprintf(f, "%-32s", "total");
	for (int i = 0; i < 8; i++)
		fprintf(f, i == 7 ? " %10lu" : " %9lu", t[i]);
	fputc('\n', f);
	fprintf(f, "messages: %lu sent notices, %lu failed, %lu cancelled, "
	    "%lu expired, %lu retries\n", st->sent, st->failed, st->cancelled,
	    st->expired, st->retried);
	if (res->bad_records || st->bad_contact)
		fprintf(f, "damaged contact records: %lu do not decode; %lu "
		    "messages cancelled for it\n", res->bad_records,
		    st->bad_contact);
}

/* Whether a --once run still makes progress. */
struct progress {
	unsigned long settled, retried;
	double failing_since, starved_since;	/* monotonic; 0: not */
};

/*
 * A --once run ends when nothing is due within --wait; one that can make
 * no progress ends too, rather than run forever:
 *  - messages are due, none is in flight, and no sender has asked for a
 *    job for [dispatch] job_timeout seconds: 69;
 *  - attempts keep failing temporarily (retry, rate limit, timeout) and
 *    no message has been settled (sent, failed, cancelled, expired) for
 *    the longer of --wait and job_timeout seconds since the first of
 *    those failures: 75.
 * Returns 0 (go on) or the exit status, with the reason logged.
 */
static int
once_stuck(struct dispatch *d, struct link *lk, const struct config *cfg,
    const char *jobs, long wait, struct progress *g)
{
	const struct dispatch_stats *st = dispatch_stats(d);
	unsigned long settled = st->sent + st->failed + st->cancelled + st->expired;
	double now = util_now(), limit = (double)(wait > cfg->job_timeout ?
	    wait : cfg->job_timeout);

	if (settled != g->settled) {
		g->settled = settled;
		g->failing_since = 0;
	} else if (st->retried != g->retried && g->failing_since == 0)
		g->failing_since = now;
	g->retried = st->retried;
	if (g->failing_since != 0 && now - g->failing_since > limit) {
		log_warnx("--once: every attempt failed temporarily for %.0f s "
		    "(%lu retries in all) and no message could be settled: "
		    "the run stops; the messages stay queued for the next",
		    limit, st->retried);
		return EXIT_TEMPFAIL;
	}
	if (dispatch_next_due(d) == 0 && dispatch_in_flight(d) == 0 &&
	    !link_room(lk)) {
		if (g->starved_since == 0)
			g->starved_since = now;
		else if (now - g->starved_since > (double)cfg->job_timeout) {
			log_warnx("--once: messages are due but no sender has "
			    "asked for a job in %ld s ([dispatch] job_timeout): "
			    "is an oshirase-sender running at %s?",
			    cfg->job_timeout, jobs);
			return EXIT_UNAVAILABLE;
		}
	} else
		g->starved_since = 0;
	return 0;
}

static void
reload(const struct opts *o, struct store *s, struct world *w,
    struct dispatch *d, struct actions *act)
{
	struct world nw;

	log_info("SIGHUP: reloading the config and the rules");
	if (load_world(o, s, &nw) != 0) {
		log_warnx("reload failed; keeping the rules and config in use");
		sd_notify(0, "STATUS=reload failed; running on the last good rules");
		return;
	}
	dispatch_reload(d, nw.cfg, nw.rs);
	actions_reload(act, nw.cfg);
	rules_free(w->rs);
	w->rs = nw.rs;
	free(w->cfg);
	w->cfg = nw.cfg;
	log_info("reloaded: %u programs", w->rs->n);
	sd_notifyf(0, "STATUS=reloaded: %u programs", w->rs->n);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct world w;
	struct store *s = NULL;
	struct outlog *log = NULL;
	struct dispatch *d = NULL;
	struct link *lk = NULL;
	struct actions *act = NULL;
	struct spawn *sp = NULL;
	struct match_result *res = NULL;
	void *zctx = NULL;
	char err[1400], logdir[CONFIG_PATH_MAX + 8];
	struct sigaction sa;
	sigset_t all, old;
	double drain_until = 0, wd_next = 0, match_retry = 0, check_senders = 0;
	struct progress prog = { 0, 0, 0, 0 };
	uint64_t wd_usec = 0;
	long holder;
	int rc, lockfd = -1, stuck = 0;

	log_init("oshirased", LOG_LEVEL_INFO);
	/* the contact key, addresses and texts: no core */
	if (util_nodump() != 0)
		fatal("no core dumps");
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("oshirased %s\n", OSHIRASE_VERSION);
			return 0;
		}
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if (o.check)
		return check_only(&o);
	if ((rc = load_world(&o, NULL, &w)) != 0)
		return rc;
	res = xcalloc(1, sizeof(*res));
	/* One writer daemon per store, a service or a --once run: the
	 * lock comes before anything is written or any sender started. */
	if ((rc = store_lock_writer(w.cfg->db, &lockfd, &holder, err,
	    sizeof(err))) != 0) {
		log_warnx("%s", err);
		rc = rc == STORE_EBUSY ? EXIT_TEMPFAIL : rc == STORE_ENOENT ?
		    EXIT_NOINPUT : EXIT_CANTCREAT;
		goto out;
	}
	/* A --once run sends through sender processes of its own, on
	 * private endpoints.  They start now, before the store is opened
	 * (no fork after LMDB, and none with threads), and are waited for
	 * after the match run; otherwise senders connect to [senders]. */
	if (o.once && w.cfg->workers > 0) {
		if ((sp = spawn_new(err, sizeof(err))) == NULL) {
			log_warnx("%s", err);
			rc = EXIT_CANTCREAT;
			goto out;
		}
		if ((rc = spawn_start(sp, (unsigned)w.cfg->workers, o.config, err,
		    sizeof(err))) != 0) {
			log_warnx("%s", err);
			goto out;
		}
	}
	rc = store_open(w.cfg->db, STORE_WRITE, &s, err, sizeof(err));
	if (rc != 0) {
		log_warnx("%s", err);
		rc = rc == STORE_ENOENT ? EXIT_NOINPUT : EXIT_IOERR;
		goto out;
	}
	if ((rc = bind_world(s, &w)) != 0)
		goto out;
	log_dir(w.cfg, logdir, sizeof(logdir));
	/* what -n checks: the keys, the log's keys, the endpoints */
	if ((rc = precheck_run(w.cfg, s, logdir, sp == NULL)) != 0)
		goto out;
	if (access(logdir, F_OK) != 0 || !log_initialised(logdir)) {
		if ((rc = outlog_init(logdir, w.cfg->log_origin, NULL, NULL, err,
		    sizeof(err))) != 0) {
			log_warnx("%s", err);
			rc = rc == SEALFMT_EORIGIN ? EXIT_CONFIG : EXIT_CANTCREAT;
			goto out;
		}
		log_warnx("ALERT: a new sealed log in %s: give %s/auditor/pubkey "
		    "and %s/auditor/k0 to the auditors, then delete them from "
		    "this host", logdir, logdir, logdir);
	}
	if ((rc = outlog_open(logdir, w.cfg->cp_records, w.cfg->cp_seconds,
	    &log, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		rc = outlog_exit_status(rc);
		goto out;
	}
	/* ZeroMQ's threads and the ZAP handler's get no signals */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	zctx = zmq_ctx_new();
	rc = zctx == NULL ? -1 : link_open(zctx, w.cfg,
	    sp ? spawn_jobs(sp) : w.cfg->jobs_endpoint,
	    sp ? spawn_results(sp) : w.cfg->results_endpoint, &lk, err,
	    sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("%s", zctx == NULL ? zmq_strerror(errno) : err);
		rc = EXIT_CONFIG;
		goto out;
	}
	d = dispatch_new(s, w.cfg, w.rs, log, lk, o.offset, err, sizeof(err));
	if (d == NULL) {
		log_warnx("%s", err);
		rc = EXIT_CONFIG;
		goto out;
	}
	/* residents' actions from the gateway: served from the
	 * dispatcher's wait, after the contact imports are caught up with */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = actions_open(zctx, s, w.cfg, log, d, o.offset, &act, err,
	    sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("%s", err);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (actions_catchup(act, 0) != 0) {
		rc = EXIT_IOERR;
		goto out;
	}
	if (actions_socket(act) != NULL &&
	    dispatch_watch(d, actions_socket(act), actions_serve, act) != 0)
		log_info("actions: served between the dispatcher's steps");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	sd_notifyf(0, "READY=1\nSTATUS=%u programs, jobs at %s", w.rs->n,
	    sp ? spawn_jobs(sp) : w.cfg->jobs_endpoint);
	if (o.once) {
		date_t day = o.have_date ? o.date : date_of_time_jst(dispatch_now(d));

		if ((rc = run_match(s, &w, d, act, day, res)) != 0)
			goto stop;
	}
	/* senders that cannot start (a secret file unsafe or unreadable)
	 * stop the run before it sends, rather than leaving it with none;
	 * they have had the match run's time to start */
	if (sp != NULL) {
		if ((rc = spawn_ready(sp, err, sizeof(err))) != 0) {
			log_warnx("%s", err);
			goto stop;
		}
		log_info("%ld sender processes started", w.cfg->workers);
	}
	rc = 0;
	for (;;) {
		double due;
		int timeout = 1000;

		if (got_term && drain_until == 0) {
			log_info("stopping: waiting for %u jobs in flight",
			    dispatch_in_flight(d));
			sd_notify(0, "STOPPING=1");
			dispatch_drain(d);
			drain_until = util_now() + (double)w.cfg->job_timeout;
		}
		if (drain_until != 0 && (dispatch_in_flight(d) == 0 ||
		    util_now() > drain_until)) {
			rc = stuck;
			break;
		}
		if (got_hup) {
			got_hup = 0;
			reload(&o, s, &w, d, act);
		}
		if (!o.once && drain_until == 0) {
			time_t now = dispatch_now(d);
			date_t last;

			if (util_now() >= match_retry && last_match(s, &last) == 0 &&
			    last < date_of_time_jst(now) &&
			    date_minute_jst(now) >= w.cfg->match_time) {
				memset(res, 0, sizeof(*res));
				if (run_match(s, &w, d, act, date_of_time_jst(now), res) != 0) {
					log_warnx("the match run failed; "
					    "trying again in a minute");
					match_retry = util_now() + 60;
				}
			}
		}
		if (sp != NULL && util_now() >= check_senders) {
			check_senders = util_now() + 0.5;
			if (spawn_alive(sp) == 0 && w.cfg->remote_jobs[0] == '\0') {
				log_warnx("senders: none of the %ld sender processes "
				    "runs any more; the run stops", w.cfg->workers);
				rc = EXIT_UNAVAILABLE;
				break;
			}
		}
		due = dispatch_next_due(d);
		if (o.once && drain_until == 0 && dispatch_in_flight(d) == 0 &&
		    (due < 0 || due > (double)o.wait))
			break;
		/* a message due now waits for a sender to ask for it: a
		 * credit wakes the poll, no need to turn every millisecond */
		if (due >= 0 && due * 1000 < timeout && (due > 0 || link_room(lk)))
			timeout = (int)(due * 1000) + 1;
		if (dispatch_in_flight(d) > 0 && timeout > 50)
			timeout = 50;
		if (wd_usec) {
			/* woken just before the ping is due, do not put it
			 * off by another whole wait */
			double left = wd_next - util_now();

			if (left * 1000 < timeout)
				timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		if (dispatch_step(d, timeout) != 0) {
			rc = EXIT_IOERR;
			break;
		}
		/* the step served the actions socket (dispatch_watch) */
		if (actions_broken(act)) {
			rc = EXIT_IOERR;
			break;
		}
		/* a --once run that cannot progress stops as SIGTERM would:
		 * what is in flight is answered first, so that no email is
		 * left in doubt by a run that did not crash */
		if (o.once && drain_until == 0 && (stuck = once_stuck(d, lk,
		    w.cfg, sp ? spawn_jobs(sp) : w.cfg->jobs_endpoint, o.wait,
		    &prog)) != 0) {
			log_info("waiting for %u jobs in flight",
			    dispatch_in_flight(d));
			dispatch_drain(d);
			drain_until = util_now() + (double)w.cfg->job_timeout;
		}
		if (outlog_tick(log) != 0) {
			log_warnx("%s", outlog_error(log));
			rc = EXIT_IOERR;
			break;
		}
		if (wd_usec && util_now() >= wd_next) {
			sd_notify(0, "WATCHDOG=1");
			wd_next = util_now() + (double)wd_usec / 2e6;
		}
	}
stop:
	if (o.once)
		print_summary(w.rs, res, dispatch_stats(d), stdout);
	if (dispatch_next_due(d) >= 0)
		log_info("messages remain queued for a later run");
out:
	actions_close(act);
	dispatch_free(d);
	spawn_free(sp);		/* before the link: their last results */
	link_close(lk);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	outlog_close(log);
	store_close(s);
	free_world(&w);
	free(res);
	if (lockfd >= 0)
		close(lockfd);	/* the writer lock goes last */
	return rc;
}
