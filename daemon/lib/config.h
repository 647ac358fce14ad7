/* config.h - the one INI config file (default /etc/oshirase/oshirase.conf)
 * SPDX-License-Identifier: MIT
 *
 * Every key is in one table in config.c (section, name, type, default,
 * range); a key not in it is an error, as is a value out of range.  The
 * file is parsed once into an immutable struct config; a reload parses a
 * new one and swaps.  A missing default file is not an error (built-in
 * defaults apply); a missing file named with -c is.
 *
 * Secrets never go in this file: it names the files that hold them.
 *
 * Departments are sections of their own, `[department ID]` with keys
 * name_ja, name_en and phone; the built-in defaults describe the fictional
 * city of みほん市 on a reserved example domain, so that no message points
 * at a real city by accident.  A file may change them or add more.
 */
#ifndef OSHIRASE_CONFIG_H
#define OSHIRASE_CONFIG_H

#include <stddef.h>

#include "paths.h"	/* written by the Makefile: install paths */
#define CONFIG_DEFAULT_PATH OSHIRASE_SYSCONFDIR "/oshirase.conf"

#define CONFIG_PATH_MAX 1024

#define CONFIG_TEXT_MAX 160
#define CONFIG_MAX_DEPARTMENTS 64

/* A department that programs name (rule files' `department`), as residents
 * see it in messages: [department ID] name_ja, name_en, phone. */
struct config_department {
	char id[48];
	char name_ja[CONFIG_TEXT_MAX], name_en[CONFIG_TEXT_MAX];
	char phone[32];
};

struct config {
	/* [city]: who sends the messages, and where its pages are */
	char city_ja[CONFIG_TEXT_MAX];		/* name_ja */
	char city_en[CONFIG_TEXT_MAX];		/* name_en */
	char site[CONFIG_PATH_MAX];		/* site, ending in / */
	unsigned ndept;
	struct config_department dept[CONFIG_MAX_DEPARTMENTS];
	char db[CONFIG_PATH_MAX];		/* [store] db */
	char rules[CONFIG_PATH_MAX];		/* [rules] dir */
	char key[CONFIG_PATH_MAX];		/* [pseudonym] key */
	char contacts_pub[CONFIG_PATH_MAX];	/* [contacts] public_key ("" = db/contacts.pub) */
	char contacts_sec[CONFIG_PATH_MAX];	/* [contacts] secret_key ("" = db/contacts.sec) */
	long max_errors;			/* [import] max_errors */
	/* delivery; times of day are minutes after midnight, Japan time */
	long match_time, match_threads, match_batch;	/* [match] */
	long window_start, window_end;		/* [dispatch] send window */
	long allow_night;			/* the window may reach into 21:00-08:00 */
	long retry_base, retry_cap;		/* seconds */
	long line_max_age, email_max_age;	/* seconds after the first try */
	long in_flight, job_timeout;
	long throttle_alert;			/* seconds of 429s before an ALERT */
	char line_api[CONFIG_PATH_MAX];		/* [line] */
	char line_token[CONFIG_PATH_MAX];
	long line_rate, line_burst, line_timeout;
	char mail_url[CONFIG_PATH_MAX];		/* [email] */
	char mail_from[CONFIG_TEXT_MAX], mail_user[CONFIG_TEXT_MAX];
	char mail_password[CONFIG_PATH_MAX], mail_cafile[CONFIG_PATH_MAX];
	char mail_unsubscribe[CONFIG_PATH_MAX];
	long mail_rate, mail_burst, mail_timeout;
	long mail_unsub_days;			/* an unsubscribe link's life */
	long mail_in_flight;			/* emails out at once: in doubt
						 * after a crash, at most */
	long workers;				/* [senders] */
	char jobs_endpoint[CONFIG_PATH_MAX], results_endpoint[CONFIG_PATH_MAX];
	char remote_jobs[CONFIG_PATH_MAX], remote_results[CONFIG_PATH_MAX];
	char curve_key[CONFIG_PATH_MAX];	/* this process's CURVE key pair */
	char curve_clients[CONFIG_PATH_MAX];	/* the queue: senders allowed */
	char server_key[CONFIG_PATH_MAX];	/* a sender: the queue's public key */
	char gw_listen[CONFIG_TEXT_MAX];	/* [gateway] */
	char gw_actions[CONFIG_PATH_MAX];
	char gw_line_secret[CONFIG_PATH_MAX];
	char gw_public_url[CONFIG_PATH_MAX];
	long gw_max_body, gw_max_conn, gw_per_address, gw_timeout, gw_queue_timeout, gw_threads;
	long gw_trust_proxy, gw_attempts, gw_attempts_window, gw_confirm_hours;
	long code_days;				/* [letters] */
	char code_key[CONFIG_PATH_MAX];
	char log_dir[CONFIG_PATH_MAX];		/* [log] dir */
	char log_origin[CONFIG_TEXT_MAX];
	long cp_records, cp_seconds;
};

/*
 * Fill cfg with the defaults, then read path (NULL = the default path, which
 * may be missing).  Returns 0, or a negative code with a message in err:
 * CONFIG_ESYNTAX ("FILE:LINE: message": a bad line, key or value, or keys
 * that do not go together), CONFIG_ENOINPUT (an explicit path that cannot
 * be read).  Programs exit 78 (EXIT_CONFIG) and 66 (EXIT_NOINPUT) for them.
 */
#define CONFIG_ENOINPUT (-1100)
#define CONFIG_ESYNTAX (-1101)
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
/* What a CONFIG_E* code means, in general (err says what was wrong). */
const char *config_strerror(int code);

/* Print every key with its type, default and range (for --help-config). */
void config_describe(void);
/* The file a secret path names: absolute as is; relative in
 * $CREDENTIALS_DIRECTORY (systemd LoadCredential=) when set, else in the
 * config directory.  Returns out. */
char *config_secret_path(const char *name, char *out, size_t cap);
/* The contact key files: [contacts] public_key and secret_key, else
 * contacts.pub and contacts.sec in the store directory db. */
void config_contacts_paths(const struct config *cfg, const char *db,
    char *pub, char *sec, size_t len);
/* The department with this id, or NULL. */
const struct config_department *config_department(const struct config *cfg,
    const char *id);

#endif
