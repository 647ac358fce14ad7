/* merkle.h - Merkle trees with Certificate Transparency hashing (RFC 6962,
 * RFC 9162), the hash function a parameter
 * SPDX-License-Identifier: MIT
 *
 * What it owns: the tree arithmetic of the sealed log (the README, "The sealed log"): leaf
 * and node hashing, an append-only incremental tree for the writer, and,
 * for the auditor, roots and inclusion and consistency proofs computed over
 * an array of leaf hashes, and their checkers.  What it never touches:
 * files, the log's frames, keys, signatures, checkpoints, the clock.  It
 * never logs and never exits; only merkle_new allocates.
 *
 * Hashing (RFC 6962 section 2.1), H the chosen 32-byte hash:
 *   empty tree   MTH({})   = H("")
 *   leaf         MTH({d})  = H(0x00 || d)
 *   node                     H(0x01 || left || right)
 *   n > 1 leaves MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest
 *                power of two smaller than n.
 * Two hashes are provided: merkle_sha256 (for the known answers of CT) and
 * merkle_blake2b (BLAKE2b-256, unkeyed, what the log uses).  Both are
 * libsodium's: call sodium_init() before any function here (it also picks
 * libsodium's fastest BLAKE2b code).
 *
 * Sizes: a tree holds at most MERKLE_MAX_SIZE (2^63) leaves.  Leaf hashes
 * (the output of merkle_leaf_hash, not the data) are what trees and proofs
 * are made of.  Arrays of hashes (leaves, proofs) are flat: hash i is the
 * MERKLE_HASH_LEN bytes at offset i * MERKLE_HASH_LEN.  A proof is at most
 * MERKLE_MAX_PROOF hashes.
 *
 * Cost: merkle_append is O(log n) hashes amortised O(1), merkle_root
 * O(log n); merkle_root_of and each proof over n leaves need at most n - 1
 * node hashes and O(log n) stack (no recursion).  The checkers need
 * O(log n) hashes.
 *
 * Errors: functions return 0 or a negative code: -EINVAL (a size or index
 * out of range), -ENOSPC (a buffer too small), -EOVERFLOW (the tree is
 * full), MERKLE_ESTATE (a saved state that is malformed), MERKLE_EPROOF (a
 * proof that does not verify).  merkle_strerror names them.
 *
 * Threads: everything is reentrant; one struct merkle must not be used by
 * two threads at once.
 */
#ifndef OSHIRASE_MERKLE_H
#define OSHIRASE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
#define MERKLE_MAX_LEVELS 64
#define MERKLE_MAX_SIZE (UINT64_C(1) << 63)
/* An inclusion proof has at most ceil(log2 n) hashes, a consistency proof
 * at most ceil(log2 n) + 1: 64 for n <= 2^63. */
#define MERKLE_MAX_PROOF 64

#define MERKLE_EPROOF (-1001)	/* the proof does not verify */
#define MERKLE_ESTATE (-1002)	/* a saved state is malformed */

/*
 * A hash function: out = H(parts[0] || ... || parts[nparts - 1]), 32
 * bytes.  out never overlaps a part.  id is written into saved states so
 * that a state is never restored under another hash: 1 and 2 are the two
 * below; other values are free for tests.
 */
struct merkle_hash {
	const char *name;
	uint8_t id;
	void (*hash)(uint8_t out[MERKLE_HASH_LEN], const void *const *parts,
	    const size_t *lens, unsigned nparts);
};

extern const struct merkle_hash merkle_sha256;	/* id 1, "sha256" */
extern const struct merkle_hash merkle_blake2b;	/* id 2, "blake2b-256" */

/* out = H(0x00 || data).  The log's leaf hash of a frame. */
void merkle_leaf_hash(const struct merkle_hash *h, const void *data,
    size_t len, uint8_t out[MERKLE_HASH_LEN]);
/* out = H(0x01 || left || right); out may be left or right. */
void merkle_node_hash(const struct merkle_hash *h,
    const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
    uint8_t out[MERKLE_HASH_LEN]);
/* out = H(""), the root of the empty tree. */
void merkle_empty_root(const struct merkle_hash *h,
    uint8_t out[MERKLE_HASH_LEN]);

const char *merkle_strerror(int rc);

/*
 * The writer's tree: append-only, holding only the right frontier (the
 * root of each perfect subtree of the binary decomposition of its size,
 * at most 64 hashes), about 2 KB in all.
 */
struct merkle;

/* A new empty tree hashing with h (h is borrowed and must outlive the
 * tree).  NULL if out of memory.  Free with merkle_free (NULL is fine). */
struct merkle *merkle_new(const struct merkle_hash *h);
void merkle_free(struct merkle *t);

/* The number of leaves appended. */
uint64_t merkle_size(const struct merkle *t);
/* Append one leaf hash (merkle_leaf_hash of the data).  0, or -EOVERFLOW
 * when the tree already holds MERKLE_MAX_SIZE leaves. */
int merkle_append(struct merkle *t, const uint8_t leaf_hash[MERKLE_HASH_LEN]);
/* The root of the tree at its current size (H("") when empty). */
void merkle_root(const struct merkle *t, uint8_t out[MERKLE_HASH_LEN]);

/*
 * Saved state, for the writer to persist and restore (a format on disk):
 *   0 "OSMT" | 4 u8 version (MERKLE_STATE_VERSION) | 5 u8 hash id |
 *   6 u16 zero | 8 u64 size, little-endian | 16 the frontier: one hash
 *   per bit set in size, from the highest bit to the lowest (left to right
 *   in the tree).
 * Length 16 + 32 * popcount(size), at most MERKLE_STATE_MAX.  To change it,
 * bump MERKLE_STATE_VERSION and keep merkle_restore reading the versions
 * already written.  The hashes cannot be checked without the leaves: the
 * writer should compare merkle_root after a restore with the root of its
 * last checkpoint.
 */
#define MERKLE_STATE_VERSION 1
#define MERKLE_STATE_MAX (16 + MERKLE_MAX_LEVELS * MERKLE_HASH_LEN)

/* The length merkle_save writes for the tree as it is now. */
size_t merkle_state_size(const struct merkle *t);
/* Write the state into buf (cap bytes).  0, or -ENOSPC if cap is less
 * than merkle_state_size(t). */
int merkle_save(const struct merkle *t, uint8_t *buf, size_t cap);
/* Replace t's contents with a saved state of exactly len bytes.  0, or
 * MERKLE_ESTATE (t unchanged) if the state is short or long, of another
 * version or hash, has nonzero reserved bytes or a size above
 * MERKLE_MAX_SIZE. */
int merkle_restore(struct merkle *t, const uint8_t *buf, size_t len);

/*
 * The auditor's side: leaves holds the n leaf hashes D[0..n-1] (borrowed,
 * read only).  n at most MERKLE_MAX_SIZE and n * 32 addressable, else
 * -EINVAL.
 */

/* out = MTH(D[n]); H("") for n = 0.  0 or -EINVAL. */
int merkle_root_of(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t n, uint8_t out[MERKLE_HASH_LEN]);

/*
 * The inclusion proof of leaf m in the tree of the first n leaves
 * (RFC 6962 section 2.1.1 PATH(m, D[n])): the sibling hashes from the leaf
 * up.  0 <= m < n.  *len is on entry the room in proof in hashes (pass
 * MERKLE_MAX_PROOF to be sure), on return the proof's length.  0, -EINVAL
 * (m or n out of range) or -ENOSPC (proof too short; nothing written).
 */
int merkle_inclusion_proof(const struct merkle_hash *h, const uint8_t *leaves,
    uint64_t n, uint64_t m, uint8_t *proof, size_t *len);

/*
 * The consistency proof between the trees of the first m and the first n
 * leaves (RFC 6962 section 2.1.2 PROOF(m, D[n])).  0 <= m <= n; for m = 0
 * and m = n the proof is empty.  *len as above.  0, -EINVAL or -ENOSPC.
 */
int merkle_consistency_proof(const struct merkle_hash *h,
    const uint8_t *leaves, uint64_t m, uint64_t n, uint8_t *proof,
    size_t *len);

/*
 * Check that leaf_hash is leaf m of the tree of size n with this root,
 * as RFC 9162 section 2.1.3.2 does.  0 if proven, MERKLE_EPROOF otherwise
 * (m >= n, a proof too short or too long, any hash wrong).
 *
 * The sizes in both checkers are bound only through the roots: n only
 * decides the shape of the path, and other sizes can give the same shape.
 * The proof of leaf 0 of 8 also passes as leaf 0 of 5..7 against the root
 * of 8, and that of leaf 1 of 2 as leaf 2 of 3 against the root of 2; the
 * consistency proof 1 -> 8 passes as 1 -> 5..7 against the roots of 1
 * and 8.  With the true n and root, another index (or old size) is
 * refused.  So take each size and its root from the same signed
 * checkpoint, never a size from the prover.
 */
int merkle_verify_inclusion(const struct merkle_hash *h,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], uint64_t m, uint64_t n,
    const uint8_t *proof, size_t len, const uint8_t root[MERKLE_HASH_LEN]);

/*
 * Check that the tree of size n with root_n extends the tree of size m
 * with root_m, as RFC 9162 section 2.1.4.2 does for 0 < m < n.  For m = n
 * the proof must be empty and the roots equal; for m = 0 the proof must be
 * empty and root_m must be H("") (any tree extends the empty one).  0 if
 * proven, MERKLE_EPROOF otherwise (m > n, a proof too short or too long,
 * any hash wrong).
 */
int merkle_verify_consistency(const struct merkle_hash *h, uint64_t m,
    uint64_t n, const uint8_t root_m[MERKLE_HASH_LEN],
    const uint8_t root_n[MERKLE_HASH_LEN], const uint8_t *proof, size_t len);

#endif
