/* backend.c - what the LINE and email backends share: libcurl's global
 * setup, result details, secret files
 * SPDX-License-Identifier: MIT
 */
#include "backend.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_TEXT_MAX 4096	/* LINE tokens are ~200 bytes */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
sender_curl_init(char *err, size_t errlen)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc == CURLE_OK)
		return 0;
	snprintf(err, errlen, "curl_global_init: %s",
	    curl_easy_strerror(curl_init_rc));
	return -1;
}

void
sender_copy_text(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;

	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	dst[i] = '\0';
}

void
sender_detail(struct job_result *r, const char *fmt, ...)
{
	char tmp[sizeof(r->detail) * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	sender_copy_text(r->detail, sizeof(r->detail), tmp, (size_t)n);
}

const char *
sender_curl_reason(const char *errbuf, int cc)
{
	if (errbuf[0] != '\0' && strchr(errbuf, '@') == NULL)
		return errbuf;
	return curl_easy_strerror((CURLcode)cc);
}

int
sender_secret_read(const char *path, int strict, char **out, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: readable or writable by group or "
		    "others; chmod 600 it", path);
		goto out;
	}
	if ((buf = sodium_malloc(SECRET_TEXT_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: sodium_malloc failed", path);
		goto out;
	}
	while (n <= SECRET_TEXT_MAX) {
		got = read(fd, buf + n, SECRET_TEXT_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > SECRET_TEXT_MAX) {
		snprintf(err, errlen, "%s: longer than %d bytes", path,
		    SECRET_TEXT_MAX);
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: empty", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\0' || c == '\r' || c == '\n' ||
		    (strict && (c <= 0x20 || c >= 0x7f))) {
			snprintf(err, errlen, "%s: holds a byte that may not be "
			    "in it (offset %zu)", path, i);
			goto out;
		}
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL)
		sodium_free(buf);	/* wipes it */
	close(fd);
	return rc;
}
