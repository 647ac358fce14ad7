/* gen_rng.h - the synthetic city's pseudo-random numbers (oshirase-gen)
 * SPDX-License-Identifier: MIT
 *
 * xoshiro256**, seeded through splitmix64, and the draws the model makes
 * from it: uniform, by weight, by age band, by quantile table.  A stream
 * is a struct rng of its own (oshirase-gen keeps one for the residents and
 * one for the contacts); nothing here is shared between threads.  All
 * static inline: every piece of the generator draws millions of times.
 * Changing a draw changes every file generated from a seed.
 */
#ifndef OSHIRASE_GEN_RNG_H
#define OSHIRASE_GEN_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) (multiply-shift; the bias is far below 2^-32). */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; hi >= lo. */
static inline int32_t
rng_range(struct rng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t)rng_below(r, (uint32_t)(hi - lo) + 1);
}

/* 1 with probability p. */
static inline int
rng_chance(struct rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* An index into w[0..n-1] with probability proportional to w[i]. */
static inline int
rng_weighted(struct rng *r, const uint16_t *w, int n)
{
	uint32_t total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Age bands: an age uniform in [lo, hi] of a band picked by weight. */
struct band {
	uint8_t lo, hi;
	uint16_t w;
};

static inline int
rng_age(struct rng *r, const struct band *b, int n)
{
	uint32_t total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += b[i].w;
	x = rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < b[i].w)
			break;
		x -= b[i].w;
	}
	return rng_range(r, b[i].lo, b[i].hi);
}

/* Quantile tables: value at cumulative share q (per 100,000), linear in
 * between; the first knot has q 0 and the last 100,000. */
struct knot {
	uint32_t q;
	uint32_t v;
};

static inline int64_t
rng_quantile(struct rng *r, const struct knot *k, int n)
{
	uint32_t u = rng_below(r, 100000);
	int i;

	for (i = 1; i < n - 1 && u >= k[i].q; i++)
		;
	return (int64_t)k[i - 1].v + ((int64_t)k[i].v - k[i - 1].v) *
	    (int64_t)(u - k[i - 1].q) / (int64_t)(k[i].q - k[i - 1].q);
}

#endif
