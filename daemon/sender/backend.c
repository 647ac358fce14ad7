/* backend.c - what the LINE and email backends share: libcurl's global
 * setup, result details, secret files
 * SPDX-License-Identifier: MIT
 */
#include "backend.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	if ((buf = sodium_malloc(SECRET_TEXT_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: sodium_malloc failed", path);
		return -1;
	}
	if ((rc = file_read_small(path, 1, buf, SECRET_TEXT_MAX + 1, &n, err,
	    errlen)) != 0)
		goto fail;
	rc = -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: empty", path);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\0' || c == '\r' || c == '\n' ||
		    (strict && (c <= 0x20 || c >= 0x7f))) {
			snprintf(err, errlen, "%s: holds a byte that may not be "
			    "in it (offset %zu)", path, i);
			goto fail;
		}
	}
	*out = buf;
	return 0;
fail:
	sodium_free(buf);	/* wipes it */
	return rc;
}
