/* curve.c - CURVE key files: Z85, key pairs, key lists (see curve.h)
 * SPDX-License-Identifier: MIT
 */
#include "curve.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAIR_FILE_MAX 4096
#define LIST_FILE_MAX (1 << 20)

/* ZeroMQ RFC 32: 85 printable characters, value order. */
static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

void
curve_z85_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
		    (uint32_t)in[i + 2] << 8 | in[i + 3];

		for (int k = 4; k >= 0; k--) {
			out[k] = z85_chars[v % 85];
			v /= 85;
		}
		out += 5;
	}
	*out = '\0';
}

int
curve_z85_decode(const char *in, size_t len, uint8_t *out)
{
	if (len % 5 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 5) {
		uint64_t v = 0;

		for (size_t k = 0; k < 5; k++) {
			const char *c = in[i + k] ? strchr(z85_chars, in[i + k]) : NULL;

			if (c == NULL)
				return -1;
			v = v * 85 + (uint64_t)(c - z85_chars);
		}
		if (v > UINT32_MAX)
			return -1;
		*out++ = (uint8_t)(v >> 24);
		*out++ = (uint8_t)(v >> 16);
		*out++ = (uint8_t)(v >> 8);
		*out++ = (uint8_t)v;
	}
	return 0;
}

int
curve_keypair_write(const char *path, char *err, size_t errlen)
{
	struct curve_keypair *kp = sodium_malloc(sizeof(*kp));
	char pubpath[4096], *text = NULL, pub[CURVE_Z85_LEN + 1];
	size_t cap = 256;
	int n, rc;

	if (kp == NULL || (text = sodium_malloc(cap)) == NULL) {
		snprintf(err, errlen, "sodium_malloc failed");
		rc = -ENOMEM;
		goto out;
	}
	if ((size_t)snprintf(pubpath, sizeof(pubpath), "%s%s", path,
	    CURVE_PUB_SUFFIX) >= sizeof(pubpath)) {
		snprintf(err, errlen, "%s: path too long", path);
		rc = -ENAMETOOLONG;
		goto out;
	}
	crypto_box_keypair(kp->pub, kp->sec);
	curve_z85_encode(kp->pub, CURVE_KEY_LEN, pub);
	n = snprintf(text, cap, "# oshirase CURVE key pair: keep it secret; the "
	    "public key alone is in the file of this name + .pub\n"
	    "public %s\nsecret ", pub);
	curve_z85_encode(kp->sec, CURVE_KEY_LEN, text + n);
	n += CURVE_Z85_LEN;
	text[n++] = '\n';
	pub[CURVE_Z85_LEN] = '\n';
	if ((rc = file_write_new(pubpath, 0644, pub, CURVE_Z85_LEN + 1)) != 0) {
		snprintf(err, errlen, "%s: %s", pubpath, strerror(-rc));
		goto out;
	}
	if ((rc = file_write_new(path, 0600, text, (size_t)n)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(pubpath);
	}
out:
	if (text != NULL)
		sodium_free(text);
	if (kp != NULL)
		sodium_free(kp);
	return rc;
}

/* The whole of a small file (file_read_small), with no NUL in it. */
static int
read_small(const char *path, int private, char *buf, size_t cap, char *err,
    size_t errlen)
{
	size_t n;

	if (file_read_small(path, private, buf, cap, &n, err, errlen) != 0)
		return -1;
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		return -1;
	}
	return 0;
}

/* The next line of *p (which it advances), with trailing blanks and CR
 * cut; NULL at the end.  Writes a NUL over the line end. */
static char *
next_line(char **p)
{
	char *line = *p, *nl, *end;

	if (*line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = line + strlen(line);
	end = line + strlen(line);
	while (end > line && (end[-1] == '\r' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		*--end = '\0';
	return line;
}

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A key at s: exactly CURVE_Z85_LEN characters, then the end, blanks
 * or a '#' comment.  0 or -1. */
static int
parse_key(const char *s, uint8_t key[CURVE_KEY_LEN], int comment_ok)
{
	const char *rest = s + strcspn(s, " \t");

	if (rest - s != CURVE_Z85_LEN ||
	    curve_z85_decode(s, CURVE_Z85_LEN, key) != 0)
		return -1;
	rest = skip_blanks(rest);
	return *rest == '\0' || (comment_ok && *rest == '#') ? 0 : -1;
}

int
curve_keypair_read(const char *path, struct curve_keypair **out, char *err,
    size_t errlen)
{
	struct curve_keypair *kp = sodium_malloc(sizeof(*kp));
	uint8_t *derived = sodium_malloc(CURVE_KEY_LEN);
	char *text = sodium_malloc(PAIR_FILE_MAX), *p, *line;
	int have_pub = 0, have_sec = 0, lineno = 0, rc = -1;

	*out = NULL;
	if (kp == NULL || derived == NULL || text == NULL) {
		snprintf(err, errlen, "sodium_malloc failed");
		goto out;
	}
	if (read_small(path, 1, text, PAIR_FILE_MAX, err, errlen) != 0)
		goto out;
	for (p = text; (line = next_line(&p)) != NULL;) {
		const char *s = skip_blanks(line);
		int *have;
		uint8_t *key;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "public", 6) == 0 && (s[6] == ' ' || s[6] == '\t')) {
			have = &have_pub;
			key = kp->pub;
		} else if (strncmp(s, "secret", 6) == 0 &&
		    (s[6] == ' ' || s[6] == '\t')) {
			have = &have_sec;
			key = kp->sec;
		} else {
			snprintf(err, errlen, "%s:%d: not 'public KEY' or 'secret "
			    "KEY' (a key pair from oshirase keygen --curve)", path,
			    lineno);
			goto out;
		}
		if (*have || parse_key(skip_blanks(s + 6), key, 0) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, *have ?
			    "a second key of this kind" :
			    "not a key (40 Z85 characters)");
			goto out;
		}
		*have = 1;
	}
	if (!have_pub || !have_sec) {
		snprintf(err, errlen, "%s: no %s key (a key pair from oshirase "
		    "keygen --curve)", path, have_pub ? "secret" : "public");
		goto out;
	}
	if (crypto_scalarmult_base(derived, kp->sec) != 0 ||
	    sodium_memcmp(derived, kp->pub, CURVE_KEY_LEN) != 0) {
		snprintf(err, errlen, "%s: its public key is not its secret "
		    "key's", path);
		goto out;
	}
	*out = kp;
	kp = NULL;
	rc = 0;
out:
	if (text != NULL)
		sodium_free(text);	/* wipes it */
	if (derived != NULL)
		sodium_free(derived);
	if (kp != NULL)
		sodium_free(kp);
	return rc;
}

void
curve_keypair_free(struct curve_keypair *kp)
{
	if (kp != NULL)
		sodium_free(kp);
}

int
curve_keys_read(const char *path, struct curve_keys *keys, char *err,
    size_t errlen)
{
	char *text = xmalloc(LIST_FILE_MAX), *p, *line;
	size_t cap = 0;
	int lineno = 0, rc = -1;

	keys->n = 0;
	keys->key = NULL;
	if (read_small(path, 0, text, LIST_FILE_MAX, err, errlen) != 0)
		goto out;
	for (p = text; (line = next_line(&p)) != NULL;) {
		const char *s = skip_blanks(line);

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (keys->n == cap) {
			cap = cap ? 2 * cap : 8;
			keys->key = xrealloc(keys->key, cap * sizeof(*keys->key));
		}
		if (parse_key(s, keys->key[keys->n], 1) != 0) {
			snprintf(err, errlen, "%s:%d: not a public key (40 Z85 "
			    "characters, as oshirase keygen --curve writes to "
			    "FILE.pub)", path, lineno);
			goto out;
		}
		keys->n++;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

int
curve_key_read(const char *path, uint8_t key[CURVE_KEY_LEN], char *err,
    size_t errlen)
{
	struct curve_keys keys;
	int rc = curve_keys_read(path, &keys, err, errlen);

	if (rc == 0 && keys.n != 1) {
		snprintf(err, errlen, "%s: holds %zu keys, not one", path, keys.n);
		rc = -1;
	}
	if (rc == 0)
		memcpy(key, keys.key[0], CURVE_KEY_LEN);
	curve_keys_fini(&keys);
	return rc;
}

int
curve_keys_has(const struct curve_keys *keys, const uint8_t *key)
{
	for (size_t i = 0; i < keys->n; i++)
		if (memcmp(keys->key[i], key, CURVE_KEY_LEN) == 0)
			return 1;
	return 0;
}

void
curve_keys_fini(struct curve_keys *keys)
{
	free(keys->key);
	keys->key = NULL;
	keys->n = 0;
}
