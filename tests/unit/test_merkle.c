/* test_merkle.c - Merkle trees: CT known answers (SHA-256), refused proofs,
 * properties with BLAKE2b, saved state, 2^63 leaves, a million leaves
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "util.h"

#define HL MERKLE_HASH_LEN

/* The inputs of
 * Certificate Transparency's test suites and the answers they publish. */
static const char *const kat_leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *const kat_root_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct kat_proof {
	uint64_t m, n;	/* leaf and tree, or old and new size */
	size_t len;
	const char *hex[3];
};

static const struct kat_proof kat_inclusion[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, {
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, {
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, {
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, {
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static const struct kat_proof kat_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, {
		"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, {
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

#define NKAT_INC (sizeof(kat_inclusion) / sizeof(kat_inclusion[0]))
#define NKAT_CON (sizeof(kat_consistency) / sizeof(kat_consistency[0]))

/* SHA-256 leaf hashes: the 8 known inputs, then 8 more (one byte each)
 * so that wrong sizes up to 16 have genuine roots to be checked against. */
#define NSHA 16
static uint8_t sha_leaves[NSHA * HL];
static uint8_t sha_roots[NSHA + 1][HL];

/* BLAKE2b leaf hashes of the 8-byte little-endian numbers 0..NPROP-1. */
#define NPROP 300
static uint8_t b2_leaves[NPROP * HL];
static uint8_t b2_roots[NPROP + 1][HL];

static void
unhex32(const char *hex, uint8_t out[HL])
{
	assert_int_equal(strlen(hex), 2 * HL);
	assert_int_equal(hex_decode(hex, 2 * HL, out, HL), 0);
}

static void
kat_proof_bytes(const struct kat_proof *k, uint8_t *out)
{
	for (size_t i = 0; i < k->len; i++)
		unhex32(k->hex[i], out + i * HL);
}

static int
setup(void **state)
{
	uint8_t data[16];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		size_t len = strlen(kat_leaf_hex[i]) / 2;

		if (hex_decode(kat_leaf_hex[i], 2 * len, data, len) != 0)
			return -1;
		merkle_leaf_hash(&merkle_sha256, data, len, sha_leaves + i * HL);
	}
	for (int i = 8; i < NSHA; i++) {
		data[0] = (uint8_t)(0x80 + i);
		merkle_leaf_hash(&merkle_sha256, data, 1, sha_leaves + i * HL);
	}
	for (uint64_t n = 0; n <= NSHA; n++)
		if (merkle_root_of(&merkle_sha256, sha_leaves, n, sha_roots[n]))
			return -1;
	for (uint64_t i = 0; i < NPROP; i++) {
		for (int b = 0; b < 8; b++)
			data[b] = (uint8_t)(i >> (8 * b));
		merkle_leaf_hash(&merkle_blake2b, data, 8, b2_leaves + i * HL);
	}
	for (uint64_t n = 0; n <= NPROP; n++)
		if (merkle_root_of(&merkle_blake2b, b2_leaves, n, b2_roots[n]))
			return -1;
	return 0;
}

/* ---- known answers (SHA-256) ---- */

static void
test_kat_roots(void **state)
{
	uint8_t want[HL], got[HL];
	struct merkle *t = merkle_new(&merkle_sha256);

	(void)state;
	assert_non_null(t);
	for (uint64_t n = 0; n <= 8; n++) {
		unhex32(kat_root_hex[n], want);
		assert_int_equal(merkle_root_of(&merkle_sha256, sha_leaves, n,
		    got), 0);
		assert_memory_equal(got, want, HL);
		/* The writer's tree, grown one leaf at a time. */
		assert_int_equal(merkle_size(t), n);
		merkle_root(t, got);
		assert_memory_equal(got, want, HL);
		if (n < 8)
			assert_int_equal(merkle_append(t, sha_leaves + n * HL), 0);
	}
	merkle_empty_root(&merkle_sha256, got);
	unhex32(kat_root_hex[0], want);
	assert_memory_equal(got, want, HL);
	merkle_free(t);
	merkle_free(NULL);
}

static void
test_kat_inclusion(void **state)
{
	uint8_t want[3 * HL], got[MERKLE_MAX_PROOF * HL];

	(void)state;
	for (size_t i = 0; i < NKAT_INC; i++) {
		const struct kat_proof *k = &kat_inclusion[i];
		size_t len = MERKLE_MAX_PROOF;

		kat_proof_bytes(k, want);
		assert_int_equal(merkle_inclusion_proof(&merkle_sha256,
		    sha_leaves, k->n, k->m, got, &len), 0);
		assert_int_equal(len, k->len);
		if (len > 0)
			assert_memory_equal(got, want, len * HL);
		/* The copied answer, not our own output, is what is checked. */
		assert_int_equal(merkle_verify_inclusion(&merkle_sha256,
		    sha_leaves + k->m * HL, k->m, k->n, want, k->len,
		    sha_roots[k->n]), 0);
	}
}

static void
test_kat_consistency(void **state)
{
	uint8_t want[3 * HL], got[MERKLE_MAX_PROOF * HL];

	(void)state;
	for (size_t i = 0; i < NKAT_CON; i++) {
		const struct kat_proof *k = &kat_consistency[i];
		size_t len = MERKLE_MAX_PROOF;

		kat_proof_bytes(k, want);
		assert_int_equal(merkle_consistency_proof(&merkle_sha256,
		    sha_leaves, k->m, k->n, got, &len), 0);
		assert_int_equal(len, k->len);
		if (len > 0)
			assert_memory_equal(got, want, len * HL);
		assert_int_equal(merkle_verify_consistency(&merkle_sha256,
		    k->m, k->n, sha_roots[k->m], sha_roots[k->n], want,
		    k->len), 0);
	}
}

/* ---- refused proofs (SHA-256, the known answers altered) ---- */

static int
vinc(const uint8_t *leaf, uint64_t m, uint64_t n, const uint8_t *proof,
    size_t len, const uint8_t *root)
{
	return merkle_verify_inclusion(&merkle_sha256, leaf, m, n, proof, len,
	    root);
}

static void
test_kat_inclusion_refused(void **state)
{
	uint8_t proof[5 * HL], leaf[HL], root[HL];

	(void)state;
	for (size_t i = 0; i < NKAT_INC; i++) {
		const struct kat_proof *k = &kat_inclusion[i];
		uint64_t m = k->m, n = k->n;
		size_t len = k->len;

		kat_proof_bytes(k, proof);
		memcpy(leaf, sha_leaves + m * HL, HL);
		memcpy(root, sha_roots[n], HL);
		assert_int_equal(vinc(leaf, m, n, proof, len, root), 0);
		/* One byte flipped anywhere: proof, leaf, root. */
		for (size_t b = 0; b < len * HL; b++) {
			proof[b] ^= 0x01;
			assert_int_equal(vinc(leaf, m, n, proof, len, root),
			    MERKLE_EPROOF);
			proof[b] ^= 0x01;
		}
		for (size_t b = 0; b < HL; b++) {
			leaf[b] ^= 0x80;
			assert_int_equal(vinc(leaf, m, n, proof, len, root),
			    MERKLE_EPROOF);
			leaf[b] ^= 0x80;
			root[b] ^= 0x80;
			assert_int_equal(vinc(leaf, m, n, proof, len, root),
			    MERKLE_EPROOF);
			root[b] ^= 0x80;
		}
		/* Another index, in range or not. */
		for (uint64_t m2 = 0; m2 <= n + 1; m2++)
			if (m2 != m)
				assert_int_equal(vinc(leaf, m2, n, proof, len,
				    root), MERKLE_EPROOF);
		assert_int_equal(vinc(leaf, UINT64_MAX, n, proof, len, root),
		    MERKLE_EPROOF);
		/* Another size, against that size's root. */
		for (uint64_t n2 = 0; n2 <= NSHA; n2++)
			if (n2 != n)
				assert_int_equal(vinc(leaf, m, n2, proof, len,
				    sha_roots[n2]), MERKLE_EPROOF);
		/* Truncated: the last or the first hash left out. */
		if (len > 0) {
			assert_int_equal(vinc(leaf, m, n, proof, len - 1, root),
			    MERKLE_EPROOF);
			assert_int_equal(vinc(leaf, m, n, proof + HL, len - 1,
			    root), MERKLE_EPROOF);
		}
		/* Over-long: a zero hash, the last hash again, the root. */
		memset(proof + len * HL, 0, HL);
		assert_int_equal(vinc(leaf, m, n, proof, len + 1, root),
		    MERKLE_EPROOF);
		if (len > 0) {
			memcpy(proof + len * HL, proof + (len - 1) * HL, HL);
			assert_int_equal(vinc(leaf, m, n, proof, len + 1, root),
			    MERKLE_EPROOF);
		}
		memcpy(proof + len * HL, root, HL);
		assert_int_equal(vinc(leaf, m, n, proof, len + 1, root),
		    MERKLE_EPROOF);
	}
}

static int
vcon(uint64_t m, uint64_t n, const uint8_t *root_m, const uint8_t *root_n,
    const uint8_t *proof, size_t len)
{
	return merkle_verify_consistency(&merkle_sha256, m, n, root_m, root_n,
	    proof, len);
}

static void
test_kat_consistency_refused(void **state)
{
	uint8_t proof[5 * HL], rm[HL], rn[HL];

	(void)state;
	for (size_t i = 0; i < NKAT_CON; i++) {
		const struct kat_proof *k = &kat_consistency[i];
		uint64_t m = k->m, n = k->n;
		size_t len = k->len;

		kat_proof_bytes(k, proof);
		memcpy(rm, sha_roots[m], HL);
		memcpy(rn, sha_roots[n], HL);
		assert_int_equal(vcon(m, n, rm, rn, proof, len), 0);
		for (size_t b = 0; b < len * HL; b++) {
			proof[b] ^= 0x01;
			assert_int_equal(vcon(m, n, rm, rn, proof, len),
			    MERKLE_EPROOF);
			proof[b] ^= 0x01;
		}
		for (size_t b = 0; b < HL; b++) {
			rm[b] ^= 0x80;
			assert_int_equal(vcon(m, n, rm, rn, proof, len),
			    MERKLE_EPROOF);
			rm[b] ^= 0x80;
			rn[b] ^= 0x80;
			assert_int_equal(vcon(m, n, rm, rn, proof, len),
			    MERKLE_EPROOF);
			rn[b] ^= 0x80;
		}
		/* Other sizes, old or new, each with its genuine root; and
		 * another old size against the true roots (a wrong new size
		 * against the true roots may pass: see below). */
		for (uint64_t m2 = 0; m2 <= NSHA; m2++)
			for (uint64_t n2 = 0; n2 <= NSHA; n2++) {
				if (m2 == m && n2 == n)
					continue;
				/* An empty proof is good for every (0, n)
				 * and (n, n), given the right roots. */
				if (len == 0 && (m2 == 0 || m2 == n2))
					continue;
				assert_int_equal(vcon(m2, n2, sha_roots[m2],
				    sha_roots[n2], proof, len), MERKLE_EPROOF);
				if (n2 == n)
					assert_int_equal(vcon(m2, n2, rm, rn,
					    proof, len), MERKLE_EPROOF);
			}
		assert_int_equal(vcon(m, UINT64_MAX, rm, rn, proof, len),
		    MERKLE_EPROOF);
		/* The roots swapped. */
		if (m != n)
			assert_int_equal(vcon(m, n, rn, rm, proof, len),
			    MERKLE_EPROOF);
		if (len > 0) {
			assert_int_equal(vcon(m, n, rm, rn, proof, len - 1),
			    MERKLE_EPROOF);
			assert_int_equal(vcon(m, n, rm, rn, proof + HL,
			    len - 1), MERKLE_EPROOF);
		}
		memset(proof + len * HL, 0, HL);
		assert_int_equal(vcon(m, n, rm, rn, proof, len + 1),
		    MERKLE_EPROOF);
		if (len > 0) {
			memcpy(proof + len * HL, proof + (len - 1) * HL, HL);
			assert_int_equal(vcon(m, n, rm, rn, proof, len + 1),
			    MERKLE_EPROOF);
		}
		memcpy(proof + len * HL, rn, HL);
		assert_int_equal(vcon(m, n, rm, rn, proof, len + 1),
		    MERKLE_EPROOF);
	}
}

/*
 * What the header warns of: a tree size reaches the checks only through
 * the roots.  Leaf 0's path has the same shape in trees of 5 to 8 leaves,
 * so its proof for 8 also passes as 5, 6 or 7 against the root of 8, and
 * the proof of leaf 1 of 2 passes as leaf 2 of 3; the consistency proof of
 * 1 -> 8 passes as 1 -> 5..7 against the roots of 1 and 8.  Against the
 * roots of the sizes claimed, all are refused.
 */
static void
test_sizes_bound_by_roots(void **state)
{
	uint8_t proof[3 * HL];

	(void)state;
	kat_proof_bytes(&kat_inclusion[1], proof);
	for (uint64_t n = 5; n <= 8; n++) {
		assert_int_equal(vinc(sha_leaves, 0, n, proof, 3, sha_roots[8]),
		    0);
		if (n < 8)
			assert_int_equal(vinc(sha_leaves, 0, n, proof, 3,
			    sha_roots[n]), MERKLE_EPROOF);
	}
	assert_int_equal(vinc(sha_leaves, 0, 4, proof, 3, sha_roots[8]),
	    MERKLE_EPROOF);
	assert_int_equal(vinc(sha_leaves, 0, 9, proof, 3, sha_roots[8]),
	    MERKLE_EPROOF);
	assert_int_equal(vinc(sha_leaves + HL, 2, 3, sha_leaves, 1,
	    sha_roots[2]), 0);
	assert_int_equal(vinc(sha_leaves + HL, 2, 3, sha_leaves, 1,
	    sha_roots[3]), MERKLE_EPROOF);

	kat_proof_bytes(&kat_consistency[1], proof);
	for (uint64_t n = 5; n <= 8; n++) {
		assert_int_equal(vcon(1, n, sha_roots[1], sha_roots[8], proof,
		    3), 0);
		if (n < 8)
			assert_int_equal(vcon(1, n, sha_roots[1], sha_roots[n],
			    proof, 3), MERKLE_EPROOF);
	}
}

static void
test_bad_arguments(void **state)
{
	uint8_t proof[MERKLE_MAX_PROOF * HL], out[HL];
	size_t len;

	(void)state;
	len = MERKLE_MAX_PROOF;
	assert_int_equal(merkle_inclusion_proof(&merkle_sha256, sha_leaves, 0,
	    0, proof, &len), -EINVAL);
	assert_int_equal(merkle_inclusion_proof(&merkle_sha256, sha_leaves, 8,
	    8, proof, &len), -EINVAL);
	assert_int_equal(merkle_consistency_proof(&merkle_sha256, sha_leaves,
	    9, 8, proof, &len), -EINVAL);
	assert_int_equal(len, MERKLE_MAX_PROOF);
	/* Not addressable or above 2^63: refused before any leaf is read. */
	assert_int_equal(merkle_root_of(&merkle_sha256, NULL, UINT64_MAX,
	    out), -EINVAL);
	assert_int_equal(merkle_inclusion_proof(&merkle_sha256, NULL,
	    MERKLE_MAX_SIZE + 1, 0, proof, &len), -EINVAL);
	/* Room for 2 hashes where 3 are needed: nothing written. */
	len = 2;
	memset(proof, 0xaa, 3 * HL);
	assert_int_equal(merkle_inclusion_proof(&merkle_sha256, sha_leaves, 8,
	    5, proof, &len), -ENOSPC);
	assert_int_equal(len, 2);
	assert_int_equal(proof[0], 0xaa);
	assert_int_equal(merkle_consistency_proof(&merkle_sha256, sha_leaves,
	    6, 8, proof, &len), -ENOSPC);
	/* Empty proofs need no room. */
	len = 0;
	assert_int_equal(merkle_inclusion_proof(&merkle_sha256, sha_leaves, 1,
	    0, proof, &len), 0);
	assert_int_equal(merkle_consistency_proof(&merkle_sha256, sha_leaves,
	    0, 8, proof, &len), 0);
	assert_int_equal(merkle_consistency_proof(&merkle_sha256, sha_leaves,
	    8, 8, proof, &len), 0);
	assert_int_equal(len, 0);
	/* m = 0: only an empty proof and the empty root. */
	assert_int_equal(vcon(0, 8, sha_roots[0], sha_roots[8], NULL, 0), 0);
	assert_int_equal(vcon(0, 0, sha_roots[0], sha_roots[0], NULL, 0), 0);
	assert_int_equal(vcon(0, 8, sha_roots[1], sha_roots[8], NULL, 0),
	    MERKLE_EPROOF);
	assert_int_equal(vcon(0, 8, sha_roots[0], sha_roots[8], sha_roots[8],
	    1), MERKLE_EPROOF);
	assert_int_equal(vcon(0, 0, sha_roots[0], sha_roots[1], NULL, 0),
	    MERKLE_EPROOF);
	/* m = n: the same root, no proof. */
	assert_int_equal(vcon(5, 5, sha_roots[5], sha_roots[5], NULL, 0), 0);
	assert_int_equal(vcon(5, 5, sha_roots[5], sha_roots[6], NULL, 0),
	    MERKLE_EPROOF);
	assert_int_equal(vcon(5, 5, sha_roots[5], sha_roots[5], sha_roots[5],
	    1), MERKLE_EPROOF);
	assert_int_equal(vcon(6, 5, sha_roots[6], sha_roots[5], NULL, 0),
	    MERKLE_EPROOF);
	/* A size-0 tree has no leaves to include. */
	assert_int_equal(vinc(sha_leaves, 0, 0, NULL, 0, sha_roots[0]),
	    MERKLE_EPROOF);
	assert_string_equal(merkle_strerror(MERKLE_EPROOF),
	    "the proof does not verify");
	assert_string_equal(merkle_strerror(MERKLE_ESTATE),
	    "malformed saved tree state");
	assert_string_equal(merkle_strerror(-ENOSPC), strerror(ENOSPC));
}

/* ---- properties (BLAKE2b, n up to 300) ---- */

static unsigned
ceil_log2(uint64_t n)
{
	unsigned l = 0;

	while ((UINT64_C(1) << l) < n)
		l++;
	return l;
}

static void
test_incremental_matches_root_of(void **state)
{
	uint8_t got[HL], want[HL];
	struct merkle *t = merkle_new(&merkle_blake2b);

	(void)state;
	assert_non_null(t);
	merkle_empty_root(&merkle_blake2b, want);
	assert_memory_equal(b2_roots[0], want, HL);
	for (uint64_t n = 0; n <= NPROP; n++) {
		assert_int_equal(merkle_size(t), n);
		merkle_root(t, got);
		assert_memory_equal(got, b2_roots[n], HL);
		if (n < NPROP)
			assert_int_equal(merkle_append(t, b2_leaves + n * HL),
			    0);
	}
	/* And the SHA-256 roots differ: the hash is really a parameter. */
	assert_memory_not_equal(b2_roots[8], sha_roots[8], HL);
	merkle_free(t);
}

/*
 * An independent reference: MTH as RFC 6962 writes it, recursively.  Only
 * for the small trees here.
 */
static void
ref_mth(const uint8_t *leaves, uint64_t n, uint8_t out[HL])
{
	uint8_t l[HL], r[HL];
	uint64_t k = 1;

	if (n == 0) {
		merkle_empty_root(&merkle_blake2b, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves, HL);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	ref_mth(leaves, k, l);
	ref_mth(leaves + k * HL, n - k, r);
	merkle_node_hash(&merkle_blake2b, l, r, out);
}

static void
test_roots_match_recursive_definition(void **state)
{
	uint8_t want[HL];

	(void)state;
	for (uint64_t n = 0; n <= NPROP; n++) {
		ref_mth(b2_leaves, n, want);
		assert_memory_equal(b2_roots[n], want, HL);
	}
}

static void
test_every_inclusion_proof(void **state)
{
	uint8_t proof[MERKLE_MAX_PROOF * HL];
	unsigned long count = 0;

	(void)state;
	for (uint64_t n = 1; n <= NPROP; n++)
		for (uint64_t m = 0; m < n; m++) {
			size_t len = MERKLE_MAX_PROOF;

			assert_int_equal(merkle_inclusion_proof(&merkle_blake2b,
			    b2_leaves, n, m, proof, &len), 0);
			assert_true(len <= ceil_log2(n));
			assert_int_equal(merkle_verify_inclusion(
			    &merkle_blake2b, b2_leaves + m * HL, m, n, proof,
			    len, b2_roots[n]), 0);
			count++;
		}
	printf("# %lu inclusion proofs verified\n", count);
}

static void
test_every_consistency_proof(void **state)
{
	uint8_t proof[MERKLE_MAX_PROOF * HL];
	unsigned long count = 0;

	(void)state;
	for (uint64_t n = 0; n <= NPROP; n++)
		for (uint64_t m = 0; m <= n; m++) {
			size_t len = MERKLE_MAX_PROOF;

			assert_int_equal(merkle_consistency_proof(
			    &merkle_blake2b, b2_leaves, m, n, proof, &len), 0);
			assert_true(len <= ceil_log2(n) + 1);
			if (m == 0 || m == n)
				assert_int_equal(len, 0);
			assert_int_equal(merkle_verify_consistency(
			    &merkle_blake2b, m, n, b2_roots[m], b2_roots[n],
			    proof, len), 0);
			count++;
		}
	printf("# %lu consistency proofs verified\n", count);
}

/*
 * Each proof of a small tree, checked as the proof of every other
 * (index, size) or (old, new) pair with that pair's genuine leaf and roots,
 * is accepted exactly when it is that pair's own proof.
 */
#define NBIND 20
static void
test_proofs_bind_their_sizes(void **state)
{
	static uint8_t inc[NBIND + 1][NBIND][MERKLE_MAX_PROOF * HL];
	static size_t inc_len[NBIND + 1][NBIND];
	static uint8_t con[NBIND + 1][NBIND + 1][MERKLE_MAX_PROOF * HL];
	static size_t con_len[NBIND + 1][NBIND + 1];

	(void)state;
	for (uint64_t n = 0; n <= NBIND; n++)
		for (uint64_t m = 0; m <= n; m++) {
			con_len[n][m] = MERKLE_MAX_PROOF;
			assert_int_equal(merkle_consistency_proof(
			    &merkle_blake2b, b2_leaves, m, n, con[n][m],
			    &con_len[n][m]), 0);
			if (m == n)
				continue;
			inc_len[n][m] = MERKLE_MAX_PROOF;
			assert_int_equal(merkle_inclusion_proof(&merkle_blake2b,
			    b2_leaves, n, m, inc[n][m], &inc_len[n][m]), 0);
		}
	for (uint64_t n = 1; n <= NBIND; n++)
		for (uint64_t m = 0; m < n; m++)
			for (uint64_t n2 = 1; n2 <= NBIND; n2++)
				for (uint64_t m2 = 0; m2 < n2; m2++) {
					int want = m2 == m && n2 == n ? 0 :
					    MERKLE_EPROOF;

					assert_int_equal(merkle_verify_inclusion(
					    &merkle_blake2b, b2_leaves + m2 * HL,
					    m2, n2, inc[n][m], inc_len[n][m],
					    b2_roots[n2]), want);
				}
	for (uint64_t n = 0; n <= NBIND; n++)
		for (uint64_t m = 0; m <= n; m++)
			for (uint64_t n2 = 0; n2 <= NBIND; n2++)
				for (uint64_t m2 = 0; m2 <= n2; m2++) {
					/* Empty proofs are shared by every
					 * (0, n) and (n, n). */
					int same = con_len[n2][m2] ==
					    con_len[n][m] &&
					    memcmp(con[n2][m2], con[n][m],
					    con_len[n][m] * HL) == 0;

					assert_int_equal(
					    merkle_verify_consistency(
					    &merkle_blake2b, m2, n2,
					    b2_roots[m2], b2_roots[n2],
					    con[n][m], con_len[n][m]),
					    same ? 0 : MERKLE_EPROOF);
					if (con_len[n][m] > 0)
						assert_int_equal(same,
						    m2 == m && n2 == n);
				}
}

/* ---- saved state ---- */

static void
test_save_restore_continues(void **state)
{
	uint8_t buf[MERKLE_STATE_MAX], buf2[MERKLE_STATE_MAX], got[HL];
	struct merkle *t = merkle_new(&merkle_blake2b);

	(void)state;
	assert_non_null(t);
	for (uint64_t n = 0; n <= NPROP; n++) {
		struct merkle *r = merkle_new(&merkle_blake2b);
		size_t len = merkle_state_size(t);

		assert_non_null(r);
		assert_true(len <= MERKLE_STATE_MAX);
		assert_int_equal(merkle_save(t, buf, sizeof(buf)), 0);
		assert_int_equal(merkle_restore(r, buf, len), 0);
		assert_int_equal(merkle_size(r), n);
		assert_int_equal(merkle_state_size(r), len);
		assert_int_equal(merkle_save(r, buf2, len), 0);
		assert_memory_equal(buf, buf2, len);
		/* The restored tree goes on as the original would. */
		for (uint64_t i = n; i <= NPROP; i++) {
			merkle_root(r, got);
			assert_memory_equal(got, b2_roots[i], HL);
			if (i < NPROP)
				assert_int_equal(merkle_append(r,
				    b2_leaves + i * HL), 0);
		}
		merkle_free(r);
		if (n < NPROP)
			assert_int_equal(merkle_append(t, b2_leaves + n * HL),
			    0);
	}
	merkle_free(t);
}

static void
test_restore_refuses_bad_state(void **state)
{
	uint8_t buf[MERKLE_STATE_MAX + 1], bad[MERKLE_STATE_MAX + 1];
	uint8_t root[HL], got[HL];
	struct merkle *t = merkle_new(&merkle_blake2b);
	struct merkle *s = merkle_new(&merkle_sha256);
	size_t len;

	(void)state;
	assert_non_null(t);
	assert_non_null(s);
	for (uint64_t i = 0; i < 11; i++)	/* 11 = 1011b: 3 hashes */
		assert_int_equal(merkle_append(t, b2_leaves + i * HL), 0);
	len = merkle_state_size(t);
	assert_int_equal(len, 16 + 3 * HL);
	assert_int_equal(merkle_save(t, buf, len - 1), -ENOSPC);
	assert_int_equal(merkle_save(t, buf, len), 0);
	assert_memory_equal(buf, "OSMT\x01\x02\x00\x00\x0b\0\0\0\0\0\0\0", 16);
	/* The frontier, left to right: leaves 0-7, 8-9, 10. */
	assert_memory_equal(buf + 16, b2_roots[8], HL);
	{
		uint8_t r89[HL];

		merkle_node_hash(&merkle_blake2b, b2_leaves + 8 * HL,
		    b2_leaves + 9 * HL, r89);
		assert_memory_equal(buf + 16 + HL, r89, HL);
		assert_memory_equal(buf + 16 + 2 * HL, b2_leaves + 10 * HL,
		    HL);
	}
	merkle_root(t, root);

#define REFUSED(b, l) do { \
		assert_int_equal(merkle_restore(t, (b), (l)), MERKLE_ESTATE); \
		assert_int_equal(merkle_size(t), 11); \
		merkle_root(t, got); \
		assert_memory_equal(got, root, HL); \
	} while (0)

	REFUSED(buf, 0);
	REFUSED(buf, 15);
	REFUSED(buf, len - 1);	/* torn */
	buf[len] = 0;
	REFUSED(buf, len + 1);	/* trailing byte */
	for (size_t off = 0; off < 8; off++) {
		memcpy(bad, buf, len);
		bad[off] ^= off == 5 ? 0x03 : 0x01;	/* 2 -> 1: SHA-256 */
		REFUSED(bad, len);
	}
	/* The sizes with 3 bits set are the only ones this length fits. */
	memcpy(bad, buf, len);
	bad[8] = 0x0c;	/* 2 bits */
	REFUSED(bad, len);
	bad[8] = 0x0f;	/* 4 bits */
	REFUSED(bad, len);
	/* Above 2^63, with a length that matches its bit count. */
	memcpy(bad, buf, len);
	memset(bad + 8, 0, 8);
	bad[8] = 0x03;
	bad[15] = 0x80;	/* 2^63 + 3 */
	REFUSED(bad, len);
	/* A SHA-256 state into a BLAKE2b tree, and the other way. */
	assert_int_equal(merkle_append(s, sha_leaves), 0);
	assert_int_equal(merkle_save(s, bad, sizeof(bad)), 0);
	REFUSED(bad, merkle_state_size(s));
	assert_int_equal(merkle_restore(s, buf, len), MERKLE_ESTATE);
	assert_int_equal(merkle_size(s), 1);
#undef REFUSED
	/* The empty state: 16 bytes. */
	{
		struct merkle *e = merkle_new(&merkle_blake2b);

		assert_non_null(e);
		assert_int_equal(merkle_state_size(e), 16);
		assert_int_equal(merkle_save(e, bad, 16), 0);
		assert_int_equal(merkle_restore(t, bad, 16), 0);
		assert_int_equal(merkle_size(t), 0);
		merkle_root(t, got);
		assert_memory_equal(got, b2_roots[0], HL);
		merkle_free(e);
	}
	merkle_free(s);
	merkle_free(t);
}

/*
 * 2^63 leaves, all the same leaf x: the perfect subtree of 2^k leaves has
 * root P[k] = node(P[k-1], P[k-1]).  A saved state of 2^63 - 1 leaves is
 * made by hand, one more leaf completes the tree, and proofs with n near
 * 2^63 check.
 */
static void
test_full_tree_of_2_63(void **state)
{
	static uint8_t p[64][HL];
	uint8_t buf[MERKLE_STATE_MAX], proof[MERKLE_MAX_PROOF * HL];
	uint8_t almost[HL], got[HL];
	const uint64_t full = MERKLE_MAX_SIZE;
	struct merkle *t = merkle_new(&merkle_blake2b);

	(void)state;
	assert_non_null(t);
	merkle_leaf_hash(&merkle_blake2b, "x", 1, p[0]);
	for (int k = 1; k < 64; k++)
		merkle_node_hash(&merkle_blake2b, p[k - 1], p[k - 1], p[k]);
	/* The root of 2^63 - 1 leaves: P[62], P[61], ..., P[0] folded from
	 * the right. */
	memcpy(almost, p[0], HL);
	for (int k = 1; k <= 62; k++)
		merkle_node_hash(&merkle_blake2b, p[k], almost, almost);

	memcpy(buf, "OSMT\x01\x02\0\0", 8);
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)((full - 1) >> (8 * i));
	for (int k = 62; k >= 0; k--)
		memcpy(buf + 16 + (62 - k) * HL, p[k], HL);
	assert_int_equal(merkle_restore(t, buf, 16 + 63 * HL), 0);
	assert_int_equal(merkle_size(t), full - 1);
	assert_int_equal(merkle_state_size(t), MERKLE_STATE_MAX - HL);
	merkle_root(t, got);
	assert_memory_equal(got, almost, HL);
	assert_int_equal(merkle_append(t, p[0]), 0);
	assert_int_equal(merkle_size(t), full);
	merkle_root(t, got);
	assert_memory_equal(got, p[63], HL);
	assert_int_equal(merkle_state_size(t), 16 + HL);
	assert_int_equal(merkle_append(t, p[0]), -EOVERFLOW);
	assert_int_equal(merkle_size(t), full);

	/* Any leaf of the full tree: the siblings are P[0], ..., P[62]. */
	for (int k = 0; k < 63; k++)
		memcpy(proof + k * HL, p[k], HL);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0], 0,
	    full, proof, 63, p[63]), 0);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0],
	    full - 1, full, proof, 63, p[63]), 0);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0],
	    full / 3, full, proof, 63, p[63]), 0);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0], 0,
	    full, proof, 62, p[63]), MERKLE_EPROOF);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0], full,
	    full, proof, 63, p[63]), MERKLE_EPROOF);
	/* The last leaf of 2^63 - 1 stands alone on its level: its siblings
	 * are P[1], ..., P[62]. */
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0],
	    full - 2, full - 1, proof + HL, 62, almost), 0);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b, p[0],
	    full - 3, full - 1, proof + HL, 62, almost), MERKLE_EPROOF);

	/* 2^62 -> 2^63: the proof is the new right half. */
	assert_int_equal(merkle_verify_consistency(&merkle_blake2b, full / 2,
	    full, p[62], p[63], p[62], 1), 0);
	/* 2^63 - 1 -> 2^63: the longest proof there is, 64 hashes: P[0]
	 * (the old tree's last subtree), then P[0], ..., P[62]. */
	memcpy(proof, p[0], HL);
	for (int k = 0; k < 63; k++)
		memcpy(proof + (k + 1) * HL, p[k], HL);
	assert_int_equal(merkle_verify_consistency(&merkle_blake2b, full - 1,
	    full, almost, p[63], proof, MERKLE_MAX_PROOF), 0);
	assert_int_equal(merkle_verify_consistency(&merkle_blake2b, full - 1,
	    full, almost, p[63], proof, MERKLE_MAX_PROOF - 1), MERKLE_EPROOF);
	merkle_free(t);
}

/* ---- a million leaves ---- */

static void
test_million_leaves(void **state)
{
	const uint64_t n = 1000000, m = 765432, old = 600001;
	uint8_t *leaves = malloc(n * HL);
	uint8_t root[HL], root_old[HL], got[HL];
	uint8_t proof[MERKLE_MAX_PROOF * HL];
	struct merkle *t = merkle_new(&merkle_blake2b);
	size_t len;
	double t0, t1, t2, t3, t4;

	(void)state;
	assert_non_null(leaves);
	assert_non_null(t);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t d[8];

		for (int b = 0; b < 8; b++)
			d[b] = (uint8_t)(i >> (8 * b));
		merkle_leaf_hash(&merkle_blake2b, d, 8, leaves + i * HL);
	}
	t0 = util_now();
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(merkle_append(t, leaves + i * HL), 0);
		if (i + 1 == old)
			merkle_root(t, root_old);
	}
	merkle_root(t, got);
	t1 = util_now();
	assert_int_equal(merkle_root_of(&merkle_blake2b, leaves, n, root), 0);
	t2 = util_now();
	assert_memory_equal(got, root, HL);
	len = MERKLE_MAX_PROOF;
	assert_int_equal(merkle_inclusion_proof(&merkle_blake2b, leaves, n, m,
	    proof, &len), 0);
	t3 = util_now();
	assert_int_equal(len, 20);
	assert_int_equal(merkle_verify_inclusion(&merkle_blake2b,
	    leaves + m * HL, m, n, proof, len, root), 0);
	len = MERKLE_MAX_PROOF;
	assert_int_equal(merkle_consistency_proof(&merkle_blake2b, leaves, old,
	    n, proof, &len), 0);
	t4 = util_now();
	assert_int_equal(merkle_verify_consistency(&merkle_blake2b, old, n,
	    root_old, root, proof, len), 0);
	printf("# 1M leaves: appended %.0f ms, root_of %.0f ms, "
	    "inclusion proof %.0f ms, consistency proof %.0f ms\n",
	    (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3,
	    (t4 - t3) * 1e3);
	merkle_free(t);
	free(leaves);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_roots),
		cmocka_unit_test(test_kat_inclusion),
		cmocka_unit_test(test_kat_consistency),
		cmocka_unit_test(test_kat_inclusion_refused),
		cmocka_unit_test(test_kat_consistency_refused),
		cmocka_unit_test(test_sizes_bound_by_roots),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_incremental_matches_root_of),
		cmocka_unit_test(test_roots_match_recursive_definition),
		cmocka_unit_test(test_every_inclusion_proof),
		cmocka_unit_test(test_every_consistency_proof),
		cmocka_unit_test(test_proofs_bind_their_sizes),
		cmocka_unit_test(test_save_restore_continues),
		cmocka_unit_test(test_restore_refuses_bad_state),
		cmocka_unit_test(test_full_tree_of_2_63),
		cmocka_unit_test(test_million_leaves),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
