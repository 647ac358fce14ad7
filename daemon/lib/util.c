/* util.c - small helpers shared by the daemon and the tools
 * SPDX-License-Identifier: MIT
 */
#include "util.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int (*util_thread_create)(pthread_t *, const pthread_attr_t *,
    void *(*)(void *), void *) = pthread_create;

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("xmalloc");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("xcalloc");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatal("xrealloc");
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("xstrdup");
	return p;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digit[in[i] >> 4];
		out[2 * i + 1] = digit[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, size_t inlen, uint8_t *out, size_t n)
{
	if (inlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = util_hexval((unsigned char)in[2 * i]),
		    lo = util_hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
file_write_new(const char *path, mode_t mode, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (n > 0 && rc == 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else {
			p += w;
			n -= (size_t)w;
		}
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlink(path);
	return rc;
}

int
secret_write(const char *path, const uint8_t *key, size_t len)
{
	char hex[2 * 64 + 2];
	int rc;

	if (len > 64)
		return -EINVAL;
	hex_encode(key, len, hex);
	hex[2 * len] = '\n';
	rc = file_write_new(path, 0600, hex, 2 * len + 1);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int
secret_open(const char *path, int private, char *err, size_t errlen)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd, rc;

	if (private)
		flags |= O_NOFOLLOW;
	if ((fd = open(path, flags)) < 0) {
		rc = -errno;
		if (rc == -ELOOP && private)
			snprintf(err, errlen, "%s: a symbolic link; name the "
			    "file itself", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = SECRET_ENOTREG;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (private && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		rc = SECRET_EMODE;
		snprintf(err, errlen, "%s: readable or writable by group or "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	/* a regular file: reads block as usual */
	if ((rc = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, rc & ~O_NONBLOCK) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

/* Read up to cap bytes of fd into buf: the count, or -errno. */
static ssize_t
read_upto(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t got;

	while (n < cap) {
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	return (ssize_t)n;
}

int
secret_load(const char *path, uint8_t **out, char *err, size_t errlen)
{
	char buf[2 * SECRET_LEN + 3];
	uint8_t *key = NULL;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = secret_open(path, 1, err, errlen)) < 0)
		return fd;
	n = read_upto(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		rc = (int)n;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (n == 2 * SECRET_LEN + 1 && buf[2 * SECRET_LEN] == '\n')
		n--;
	if (n != 2 * SECRET_LEN) {
		rc = SECRET_EFORMAT;
		goto out;
	}
	if ((key = sodium_malloc(SECRET_LEN)) == NULL) {
		rc = SECRET_ENOMEM;
		goto out;
	}
	if (hex_decode(buf, 2 * SECRET_LEN, key, SECRET_LEN) != 0) {
		sodium_free(key);
		key = NULL;
		rc = SECRET_EFORMAT;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	if (rc == SECRET_EFORMAT || rc == SECRET_ENOMEM)
		snprintf(err, errlen, "%s: %s", path, secret_strerror(rc));
	*out = key;
	return rc;
}

int
secret_read(const char *path, uint8_t **out)
{
	char err[64];

	return secret_load(path, out, err, sizeof(err));
}

int
secret_exit(int code)
{
	switch (code) {
	case 0:
		return 0;
	case SECRET_EFORMAT:
		return EXIT_DATAERR;
	case SECRET_ENOMEM:
		return EXIT_SOFTWARE;
	case SECRET_EMODE:
	case SECRET_ENOTREG:
	case -ELOOP:
		return EXIT_CONFIG;
	case -EIO:
	case -EISDIR:
		return EXIT_IOERR;
	default:
		return EXIT_NOINPUT;
	}
}

const char *
secret_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case SECRET_EFORMAT:
		return "a key file holds 64 hex digits and a newline";
	case SECRET_ENOMEM:
		return "sodium_malloc failed";
	case SECRET_EMODE:
		return "readable or writable by group or others; chmod 600 it";
	case SECRET_ENOTREG:
		return "not a regular file";
	default:
		return code < 0 ? strerror(-code) : "an unknown key file error";
	}
}

char *
file_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	struct stat st;

	if (f == NULL)
		return NULL;
	/* a regular file's size, and one byte to see its end: a small file
	 * takes a small buffer (a megabyte each time made the import's
	 * fuzzing slow) and a large one no copies */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < SIZE_MAX / 2) {
		cap = (size_t)st.st_size + 1;
		buf = xmalloc(cap + 1);
	}
	for (;;) {
		if (cap - n < 1) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

double
util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
util_radix_sort(struct sort_ent *a, struct sort_ent *tmp, size_t n)
{
	struct sort_ent *src = a, *dst = tmp, *t;
	size_t count[256];

	if (n < 2)
		return;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src[i].key >> shift) & 0xff]++;
		if (count[(src[0].key >> shift) & 0xff] == n)
			continue;	/* every key has the same byte here */
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

uint64_t
util_key_prefix(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

struct order_ctx {
	const uint8_t *b;
	size_t stride, key_len;
};

/* by key, then by position: the order stays stable */
static int
order_cmp(const void *x, const void *y, void *arg)
{
	const struct order_ctx *oc = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int c = memcmp(oc->b + (size_t)i * oc->stride, oc->b + (size_t)j * oc->stride,
	    oc->key_len);

	return c ? c : (i > j) - (i < j);
}

uint32_t *
util_order_keys(const void *base, size_t stride, size_t n, size_t key_off,
    size_t key_len)
{
	const uint8_t *b = (const uint8_t *)base + key_off;
	struct sort_ent *a = xmalloc((n + 1) * sizeof(*a));
	struct sort_ent *tmp = xmalloc((n + 1) * sizeof(*tmp));
	uint32_t *idx = xmalloc((n + 1) * sizeof(*idx));

	for (size_t i = 0; i < n; i++) {
		a[i].key = util_key_prefix(b + i * stride);
		a[i].idx = (uint32_t)i;
	}
	util_radix_sort(a, tmp, n);
	for (size_t i = 0; i < n; i++)
		idx[i] = a[i].idx;
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo + 1;

		while (hi < n && a[hi].key == a[lo].key)
			hi++;
		if (hi - lo > 16) {
			/* a long run (a large household): no quadratic sort */
			struct order_ctx oc = { b, stride, key_len };

			qsort_r(idx + lo, hi - lo, sizeof(*idx), order_cmp, &oc);
			lo = hi;
			continue;
		}
		for (size_t i = lo + 1; i < hi; i++) {
			uint32_t x = idx[i];
			size_t j = i;

			while (j > lo && memcmp(b + idx[j - 1] * stride,
			    b + (size_t)x * stride, key_len) > 0) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = x;
		}
		lo = hi;
	}
	free(a);
	free(tmp);
	return idx;
}

int
file_read_small(const char *path, int private, char *buf, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	ssize_t n;
	int fd;

	if ((fd = secret_open(path, private, err, errlen)) < 0)
		return fd == -ENOENT ? -ENOENT : -1;
	n = read_upto(fd, buf, cap);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror((int)-n));
		return -1;
	}
	if ((size_t)n == cap) {
		snprintf(err, errlen, "%s: longer than %zu bytes", path, cap - 1);
		return -1;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int
util_nodump(void)
{
	struct rlimit rl = { 0, 0 };

	/* a unit's seccomp filter may refuse setrlimit: LimitCORE=0 has
	 * then done it already */
	if (setrlimit(RLIMIT_CORE, &rl) != 0 &&
	    (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0))
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -errno;
	return 0;
}

void
util_le_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t
util_le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

void
util_be_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

uint64_t
util_be_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void
util_uuid4(uint8_t u[16])
{
	randombytes_buf(u, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

int
util_uuid_parse(const char *s, uint8_t u[16])
{
	uint8_t tmp[16];
	char digits[32];
	size_t n = 0;

	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if ((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f'))
			digits[n++] = s[i];
		else
			return -1;
	}
	if (s[36] != '\0')
		return -1;
	return hex_decode(digits, sizeof(digits), u != NULL ? u : tmp, 16);
}

size_t
util_utf16_units(const char *s, size_t n)
{
	size_t u = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			u += c >= 0xf0 ? 2 : 1;
	}
	return u;
}

void
util_uuid_text(const uint8_t u[16], char out[UTIL_UUID_TEXT])
{
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		hex_encode(u + i, 1, out + o);
		o += 2;
	}
	out[o] = '\0';
}

int
util_failpoint(const char *name)
{
	static int count;
	const char *fp = getenv("OSHIRASE_FAILPOINT");
	size_t n = strlen(name);

	return fp != NULL && strncmp(fp, name, n) == 0 && fp[n] == ':' &&
	    ++count == atoi(fp + n + 1);
}

void
util_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	/* as sd_notify: a listener that has gone is not our failure */
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}
