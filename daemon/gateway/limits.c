/* limits.c - failed-code counters (limits.h)
 * SPDX-License-Identifier: MIT
 *
 * Owns: the counter table and its key.  Never touches: the network, the
 * queue, the disk, the clock.
 */
#include "limits.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 16
#define PROBE 8		/* slots looked at for a key */

struct slot {
	uint8_t h[HASH_LEN];
	uint32_t count;
	int64_t start;		/* the first failure of the window; 0: free */
};

struct limits {
	pthread_mutex_t mu;
	long attempts, window;
	size_t mask;
	uint8_t key[crypto_generichash_KEYBYTES];
	struct slot *slot;
};

struct limits *
limits_new(long attempts, long window, size_t cap)
{
	struct limits *l;
	size_t n = 16;

	while (n < cap && n < ((size_t)1 << 24))
		n <<= 1;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->slot = calloc(n, sizeof(*l->slot))) == NULL) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->attempts = attempts;
	l->window = window;
	l->mask = n - 1;
	randombytes_buf(l->key, sizeof(l->key));
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	sodium_memzero(l->key, sizeof(l->key));
	free(l->slot);
	free(l);
}

static void
hash(const struct limits *l, int kind, const char *key, uint8_t h[HASH_LEN])
{
	crypto_generichash_state st;
	uint8_t k = (uint8_t)kind;

	crypto_generichash_init(&st, l->key, sizeof(l->key), HASH_LEN);
	crypto_generichash_update(&st, &k, 1);
	crypto_generichash_update(&st, (const uint8_t *)key, strlen(key));
	crypto_generichash_final(&st, h, HASH_LEN);
}

static size_t
home(const struct limits *l, const uint8_t h[HASH_LEN])
{
	uint64_t v;

	memcpy(&v, h, sizeof(v));
	return (size_t)v & l->mask;
}

/* The slot of h, or NULL; with make, a slot made for it (a free one, an
 * expired one, else the oldest of the probe). */
static struct slot *
find(struct limits *l, const uint8_t h[HASH_LEN], int64_t now, int make)
{
	struct slot *s, *victim = NULL;
	size_t i0 = home(l, h);

	for (size_t i = 0; i < PROBE; i++) {
		s = &l->slot[(i0 + i) & l->mask];
		if (s->start != 0 && memcmp(s->h, h, HASH_LEN) == 0)
			return s;
		if (victim == NULL || s->start == 0 ||
		    (victim->start != 0 && s->start < victim->start))
			victim = s;
	}
	if (!make)
		return NULL;
	(void)now;
	memcpy(victim->h, h, HASH_LEN);
	victim->count = 0;
	victim->start = 0;
	return victim;
}

int
limits_blocked(struct limits *l, int kind, const char *key, int64_t now)
{
	uint8_t h[HASH_LEN];
	struct slot *s;
	int r = 0;

	hash(l, kind, key, h);
	pthread_mutex_lock(&l->mu);
	if ((s = find(l, h, now, 0)) != NULL) {
		if (now - s->start >= l->window)
			s->start = 0, s->count = 0;	/* the window passed */
		else
			r = s->count >= (uint32_t)l->attempts;
	}
	pthread_mutex_unlock(&l->mu);
	return r;
}

/* The slot counting key at now, made if need be, its count started again
 * if its window has passed.  With l->mu held. */
static struct slot *
counting(struct limits *l, int kind, const char *key, int64_t now)
{
	uint8_t h[HASH_LEN];
	struct slot *s;

	hash(l, kind, key, h);
	s = find(l, h, now, 1);
	if (s->start == 0 || now - s->start >= l->window) {
		s->start = now > 0 ? now : 1;
		s->count = 0;
	}
	return s;
}

void
limits_fail(struct limits *l, int kind, const char *key, int64_t now)
{
	struct slot *s;

	pthread_mutex_lock(&l->mu);
	s = counting(l, kind, key, now);
	if (s->count < UINT32_MAX)
		s->count++;
	pthread_mutex_unlock(&l->mu);
}

int
limits_take(struct limits *l, int kind, const char *key, int64_t now)
{
	struct slot *s;
	int r = 0;

	pthread_mutex_lock(&l->mu);
	s = counting(l, kind, key, now);
	if (s->count >= (uint32_t)l->attempts)
		r = -1;
	else
		s->count++;
	pthread_mutex_unlock(&l->mu);
	return r;
}

void
limits_refund(struct limits *l, int kind, const char *key, int64_t now)
{
	uint8_t h[HASH_LEN];
	struct slot *s;

	hash(l, kind, key, h);
	pthread_mutex_lock(&l->mu);
	if ((s = find(l, h, now, 0)) != NULL && s->count > 0 &&
	    now - s->start < l->window)
		s->count--;
	pthread_mutex_unlock(&l->mu);
}

void
limits_client_tag(struct limits *l, const char *addr, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const uint8_t *)addr, strlen(addr),
	    l->key, sizeof(l->key));
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[64] = '\0';
}
