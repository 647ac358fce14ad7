/* backend.h - a channel's sender: one struct of function pointers each
 * SPDX-License-Identifier: MIT
 *
 * As OpenSMTPD's struct scheduler_backend: each channel (LINE in line.c,
 * email in mail.c) exports one const struct sender_backend, and sender.c
 * picks the backend by a job's channel.  A backend owns its credentials
 * (in sodium_malloc memory) and its libcurl handle, kept across jobs so
 * that its connection stays alive.  The outcome classes of each are in
 * sender.h.
 *
 * Threads: a backend's state belongs to one thread at a time.
 */
#ifndef OSHIRASE_BACKEND_H
#define OSHIRASE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "job.h"

struct sender_backend {
	const char *name;	/* "line", "email": for logs */
	uint8_t channel;	/* the enum job_channel it sends on */
	/*
	 * State for cfg's settings (copied: cfg may go away), its secrets
	 * read; the connection is made by the first job.  NULL with a
	 * message in err (no secret in it) when a setting or a secret file
	 * is unusable.  Free with close.
	 */
	void *(*open)(const struct config *cfg, char *err, size_t errlen);
	/* One attempt at j: fills r's outcome, status, transport, detail and
	 * request_id (r is zeroed, id and attempt set).  Never fails
	 * otherwise: every failure is an outcome.  Blocks for at most the
	 * channel's timeout. */
	void (*perform)(void *state, const struct job *j, struct job_result *r);
	/* New connections made so far (CURLINFO_NUM_CONNECTS summed). */
	unsigned long (*connects)(const void *state);
	void (*close)(void *state);	/* NULL is fine */
};

extern const struct sender_backend sender_line;
extern const struct sender_backend sender_mail;

/* --- helpers the backends share (backend.c) --- */

#define SENDER_MAXAGE_CONN 60	/* seconds idle before a connection is not reused */

/* curl_global_init, once per process.  0, or -1 with err set. */
int sender_curl_init(char *err, size_t errlen);
/* Copy at most cap - 1 bytes of s (n bytes) into dst, cut at a UTF-8
 * character boundary, control characters made spaces. */
void sender_copy_text(char *dst, size_t cap, const char *s, size_t n);
/* r->detail from a format, through sender_copy_text. */
void sender_detail(struct job_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* libcurl's error text in errbuf, unless it might name an address (then
 * curl_easy_strerror(cc)). */
const char *sender_curl_reason(const char *errbuf, int cc);
/*
 * A secret from a file that only its owner may read: a regular file, no
 * access for group or others, at most 4,096 bytes; trailing line ends and
 * blanks removed.  strict: printable ASCII without spaces (a token that
 * goes into an HTTP header).  Returns 0 with *out in sodium_malloc memory
 * (sodium_free it), -ENOENT for a missing file, or -1 with err set.
 */
int sender_secret_read(const char *path, int strict, char **out, char *err,
    size_t errlen);

#endif
