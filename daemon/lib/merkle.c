/* merkle.c - Merkle trees with Certificate Transparency hashing
 * SPDX-License-Identifier: MIT
 *
 * Written from RFC 6962 section 2.1 and RFC 9162 sections 2.1.3.2 and
 * 2.1.4.2.  The tree of n leaves is the left-to-right sequence of perfect
 * subtrees given by the bits of n, highest first; its root folds them from
 * the right.  A "frontier" below is that sequence: fr[k] holds the root of
 * a perfect subtree of 2^k leaves when bit k of the count is set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "merkle.h"

#define HL MERKLE_HASH_LEN
#define STATE_HDR 16
/* The largest n whose n * 32 bytes of leaf hashes can be addressed. */
#define MAX_LEAVES ((uint64_t)(SIZE_MAX / HL) < MERKLE_MAX_SIZE ? \
	(uint64_t)(SIZE_MAX / HL) : MERKLE_MAX_SIZE)

struct merkle {
	const struct merkle_hash *h;
	uint64_t size;
	uint8_t fr[MERKLE_MAX_LEVELS][HL];
};

/* The libsodium calls below cannot fail for these arguments (the output
 * length is in range, there is no key), so their results are not looked
 * at. */
static void
sha256_parts(uint8_t out[HL], const void *const *parts, const size_t *lens,
    unsigned nparts)
{
	crypto_hash_sha256_state st;

	(void)crypto_hash_sha256_init(&st);
	for (unsigned i = 0; i < nparts; i++)
		(void)crypto_hash_sha256_update(&st, parts[i], lens[i]);
	(void)crypto_hash_sha256_final(&st, out);
}

static void
blake2b_parts(uint8_t out[HL], const void *const *parts, const size_t *lens,
    unsigned nparts)
{
	crypto_generichash_state st;

	(void)crypto_generichash_init(&st, NULL, 0, HL);
	for (unsigned i = 0; i < nparts; i++)
		(void)crypto_generichash_update(&st, parts[i], lens[i]);
	(void)crypto_generichash_final(&st, out, HL);
}

const struct merkle_hash merkle_sha256 = { "sha256", 1, sha256_parts };
const struct merkle_hash merkle_blake2b = { "blake2b-256", 2, blake2b_parts };

static const uint8_t leaf_prefix = 0x00, node_prefix = 0x01;

void
merkle_leaf_hash(const struct merkle_hash *h, const void *data, size_t len,
    uint8_t out[HL])
{
	const void *parts[2] = { &leaf_prefix, data };
	size_t lens[2] = { 1, len };

	h->hash(out, parts, lens, 2);
}

void
merkle_node_hash(const struct merkle_hash *h, const uint8_t left[HL],
    const uint8_t right[HL], uint8_t out[HL])
{
	const void *parts[3] = { &node_prefix, left, right };
	size_t lens[3] = { 1, HL, HL };
	uint8_t tmp[HL];

	/* Through tmp: out may be left or right, and a hash need not read
	 * all its input before writing its output. */
	h->hash(tmp, parts, lens, 3);
	memcpy(out, tmp, HL);
}

void
merkle_empty_root(const struct merkle_hash *h, uint8_t out[HL])
{
	const void *parts[1] = { "" };
	size_t lens[1] = { 0 };

	h->hash(out, parts, lens, 1);
}

const char *
merkle_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "success";
	case MERKLE_EPROOF:
		return "the proof does not verify";
	case MERKLE_ESTATE:
		return "malformed saved tree state";
	default:
		return rc < 0 ? strerror(-rc) : "unknown result";
	}
}

/* The largest power of two smaller than n, for n >= 2 (RFC 6962's k). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t x = n - 1;

	x |= x >> 1;
	x |= x >> 2;
	x |= x >> 4;
	x |= x >> 8;
	x |= x >> 16;
	x |= x >> 32;
	return (x >> 1) + 1;
}

static unsigned
popcount64(uint64_t x)
{
	unsigned c = 0;

	for (; x; x &= x - 1)
		c++;
	return c;
}

/* Add one leaf hash to a frontier of count leaves (count < 2^63, so the
 * carry stops at level 63 at the latest). */
static void
frontier_push(const struct merkle_hash *h, uint8_t fr[][HL], uint64_t count,
    const uint8_t leaf[HL])
{
	uint8_t cur[HL];
	unsigned k = 0;

	memcpy(cur, leaf, HL);
	for (; count & 1; count >>= 1, k++)
		merkle_node_hash(h, fr[k], cur, cur);
	memcpy(fr[k], cur, HL);
}

/* The root of a frontier of count leaves. */
static void
frontier_root(const struct merkle_hash *h, const uint8_t fr[][HL],
    uint64_t count, uint8_t out[HL])
{
	uint8_t cur[HL];
	unsigned k = 0;

	if (count == 0) {
		merkle_empty_root(h, out);
		return;
	}
	while (!(count & 1)) {
		count >>= 1;
		k++;
	}
	memcpy(cur, fr[k], HL);
	for (count >>= 1, k++; count; count >>= 1, k++)
		if (count & 1)
			merkle_node_hash(h, fr[k], cur, cur);
	memcpy(out, cur, HL);
}

/* MTH(D[lo:lo+cnt]) for cnt >= 1: cnt - 1 node hashes, 2 KB of stack. */
static void
range_root(const struct merkle_hash *h, const uint8_t *leaves, uint64_t lo,
    uint64_t cnt, uint8_t out[HL])
{
	uint8_t fr[MERKLE_MAX_LEVELS][HL];

	if (cnt == 1) {
		memcpy(out, leaves + lo * HL, HL);
		return;
	}
	for (uint64_t i = 0; i < cnt; i++)
		frontier_push(h, fr, i, leaves + (lo + i) * HL);
	frontier_root(h, (const uint8_t (*)[HL])fr, cnt, out);
}

struct merkle *
merkle_new(const struct merkle_hash *h)
{
	struct merkle *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->h = h;
	return t;
}

void
merkle_free(struct merkle *t)
{
	free(t);
}

uint64_t
merkle_size(const struct merkle *t)
{
	return t->size;
}

int
merkle_append(struct merkle *t, const uint8_t leaf_hash[HL])
{
	if (t->size >= MERKLE_MAX_SIZE)
		return -EOVERFLOW;
	frontier_push(t->h, t->fr, t->size, leaf_hash);
	t->size++;
	return 0;
}

void
merkle_root(const struct merkle *t, uint8_t out[HL])
{
	frontier_root(t->h, (const uint8_t (*)[HL])t->fr, t->size, out);
}

size_t
merkle_state_size(const struct merkle *t)
{
	return STATE_HDR + (size_t)HL * popcount64(t->size);
}

int
merkle_save(const struct merkle *t, uint8_t *buf, size_t cap)
{
	size_t off = STATE_HDR;

	if (cap < merkle_state_size(t))
		return -ENOSPC;
	memcpy(buf, "OSMT", 4);
	buf[4] = MERKLE_STATE_VERSION;
	buf[5] = t->h->id;
	buf[6] = buf[7] = 0;
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)(t->size >> (8 * i));
	for (int k = MERKLE_MAX_LEVELS - 1; k >= 0; k--)
		if (t->size >> k & 1) {
			memcpy(buf + off, t->fr[k], HL);
			off += HL;
		}
	return 0;
}

int
merkle_restore(struct merkle *t, const uint8_t *buf, size_t len)
{
	uint64_t size = 0;
	size_t off = STATE_HDR;

	if (len < STATE_HDR || memcmp(buf, "OSMT", 4) != 0 ||
	    buf[4] != MERKLE_STATE_VERSION || buf[5] != t->h->id ||
	    buf[6] != 0 || buf[7] != 0)
		return MERKLE_ESTATE;
	for (int i = 0; i < 8; i++)
		size |= (uint64_t)buf[8 + i] << (8 * i);
	if (size > MERKLE_MAX_SIZE ||
	    len != STATE_HDR + (size_t)HL * popcount64(size))
		return MERKLE_ESTATE;
	memset(t->fr, 0, sizeof(t->fr));
	for (int k = MERKLE_MAX_LEVELS - 1; k >= 0; k--)
		if (size >> k & 1) {
			memcpy(t->fr[k], buf + off, HL);
			off += HL;
		}
	t->size = size;
	return 0;
}

int
merkle_root_of(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t n, uint8_t out[HL])
{
	if (n > MAX_LEAVES)
		return -EINVAL;
	if (n == 0)
		merkle_empty_root(h, out);
	else
		range_root(h, leaves, 0, n, out);
	return 0;
}

/*
 * PATH(m, D[n]) walked from the top without recursion.  RFC 6962 appends
 * the sibling of each level after the path below it, so the walk, which
 * meets the top sibling first, fills proof from its end.  With proof NULL
 * it only counts.  Returns the proof's length.
 */
static size_t
inclusion_walk(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t n, uint64_t m, uint8_t *proof, size_t total)
{
	uint64_t lo = 0, cnt = n, k;
	size_t d = 0;

	while (cnt > 1) {
		k = split_point(cnt);
		d++;
		if (m < k) {
			if (proof != NULL)
				range_root(h, leaves, lo + k, cnt - k,
				    proof + (total - d) * HL);
			cnt = k;
		} else {
			if (proof != NULL)
				range_root(h, leaves, lo, k,
				    proof + (total - d) * HL);
			lo += k;
			m -= k;
			cnt -= k;
		}
	}
	return d;
}

int
merkle_inclusion_proof(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t n, uint64_t m, uint8_t *proof, size_t *len)
{
	size_t d;

	if (n > MAX_LEAVES || m >= n)
		return -EINVAL;
	d = inclusion_walk(h, leaves, n, m, NULL, 0);
	if (d > *len)
		return -ENOSPC;
	inclusion_walk(h, leaves, n, m, proof, d);
	*len = d;
	return 0;
}

/*
 * SUBPROOF(m, D[n], true) walked from the top, filling proof from its end
 * as above; for 0 < m <= n.  Returns the proof's length.
 */
static size_t
consistency_walk(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t m, uint64_t n, uint8_t *proof, size_t total)
{
	uint64_t lo = 0, cnt = n, k;
	size_t d = 0;
	int whole = 1;	/* the RFC's b: D[lo:lo+m] is the old tree itself */

	for (;;) {
		if (m == cnt) {
			/* SUBPROOF(m, D[m], b): the old tree's root is known
			 * to the verifier, a subtree's is not. */
			if (!whole) {
				d++;
				if (proof != NULL)
					range_root(h, leaves, lo, m,
					    proof + (total - d) * HL);
			}
			return d;
		}
		k = split_point(cnt);
		d++;
		if (m <= k) {
			if (proof != NULL)
				range_root(h, leaves, lo + k, cnt - k,
				    proof + (total - d) * HL);
			cnt = k;
		} else {
			if (proof != NULL)
				range_root(h, leaves, lo, k,
				    proof + (total - d) * HL);
			lo += k;
			m -= k;
			cnt -= k;
			whole = 0;
		}
	}
}

int
merkle_consistency_proof(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t m, uint64_t n, uint8_t *proof, size_t *len)
{
	size_t d;

	if (n > MAX_LEAVES || m > n)
		return -EINVAL;
	if (m == 0 || m == n) {
		*len = 0;
		return 0;
	}
	d = consistency_walk(h, leaves, m, n, NULL, 0);
	if (d > *len)
		return -ENOSPC;
	consistency_walk(h, leaves, m, n, proof, d);
	*len = d;
	return 0;
}

int
merkle_verify_inclusion(const struct merkle_hash *h,
    const uint8_t leaf_hash[HL], uint64_t m, uint64_t n,
    const uint8_t *proof, size_t len, const uint8_t root[HL])
{
	uint64_t fn = m, sn;
	uint8_t r[HL];

	if (m >= n)
		return MERKLE_EPROOF;
	sn = n - 1;
	memcpy(r, leaf_hash, HL);
	for (size_t i = 0; i < len; i++) {
		const uint8_t *p = proof + i * HL;

		if (sn == 0)
			return MERKLE_EPROOF;	/* proof too long */
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(h, p, r, r);
			/* The last node of a level with no right sibling is
			 * lifted unchanged until it has one. */
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(h, r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, HL) != 0)
		return MERKLE_EPROOF;
	return 0;
}

int
merkle_verify_consistency(const struct merkle_hash *h, uint64_t m,
    uint64_t n, const uint8_t root_m[HL], const uint8_t root_n[HL],
    const uint8_t *proof, size_t len)
{
	uint64_t fn, sn;
	uint8_t fr[HL], sr[HL], empty[HL];
	size_t i;

	if (m > n)
		return MERKLE_EPROOF;
	if (m == 0) {
		merkle_empty_root(h, empty);
		if (len != 0 || memcmp(root_m, empty, HL) != 0 ||
		    (n == 0 && memcmp(root_n, empty, HL) != 0))
			return MERKLE_EPROOF;
		return 0;
	}
	if (m == n) {
		if (len != 0 || memcmp(root_m, root_n, HL) != 0)
			return MERKLE_EPROOF;
		return 0;
	}
	if (len == 0)
		return MERKLE_EPROOF;
	/* When m is a power of two the old tree is a subtree of the new and
	 * the proof leaves out its root: the RFC prepends root_m. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, HL);
		i = 0;
	} else {
		memcpy(fr, proof, HL);
		i = 1;
	}
	memcpy(sr, fr, HL);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		const uint8_t *c = proof + i * HL;

		if (sn == 0)
			return MERKLE_EPROOF;	/* proof too long */
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(h, c, fr, fr);
			merkle_node_hash(h, c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(h, sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, root_m, HL) != 0 ||
	    memcmp(sr, root_n, HL) != 0)
		return MERKLE_EPROOF;
	return 0;
}
