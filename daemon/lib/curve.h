/* curve.h - the CURVE keys of the link between the queue and its senders
 * SPDX-License-Identifier: MIT
 *
 * Over tcp:// the queue and a sender on another host speak ZeroMQ's CURVE
 * (authenticated, encrypted; Curve25519 keys as libsodium's crypto_box).
 * The queue is the server with its own key pair and an allow-list of the
 * senders' public keys; each sender has its own pair and pins the queue's
 * public key.  Keys are written in Z85 (ZeroMQ RFC 32): 40 characters for
 * 32 bytes.  The files (text, one item a line):
 *
 *   key pair (`oshirase keygen --curve --out FILE`), mode 0600:
 *       # comment lines
 *       public <40 Z85 characters>
 *       secret <40 Z85 characters>
 *   FILE.pub: the public key, one line of 40 Z85 characters
 *   a key list ([senders] curve_clients, server_key): one public key a
 *       line, as FILE.pub holds it; blank lines and lines starting with
 *       '#' are skipped, and so is a '#' comment after a key
 *
 * So `cat a.pub b.pub >clients` makes an allow-list, and a sender's
 * server_key is the queue's FILE.pub.  Changing the format: the key pair
 * file's lines are named, so a new line type can come without a version;
 * FILE.pub and lists stay one key a line.
 *
 * Secrets live in sodium_malloc memory.  Thread-safe (no shared state).
 */
#ifndef OSHIRASE_CURVE_H
#define OSHIRASE_CURVE_H

#include <stddef.h>
#include <stdint.h>

#define CURVE_KEY_LEN 32
#define CURVE_Z85_LEN 40	/* Z85 characters of a key */
#define CURVE_PUB_SUFFIX ".pub"

/* Z85 of n bytes (a multiple of 4) into out (5n/4 + 1 bytes, with a NUL). */
void curve_z85_encode(const uint8_t *in, size_t n, char *out);
/* Decode len characters (a multiple of 5) of Z85 into len * 4 / 5 bytes.
 * 0, or -1 for a character outside the alphabet or a value over 2^32. */
int curve_z85_decode(const char *in, size_t len, uint8_t *out);

struct curve_keypair {
	uint8_t pub[CURVE_KEY_LEN];
	uint8_t sec[CURVE_KEY_LEN];
};

/*
 * Make a new key pair and write it to path (mode 0600) and its public key
 * to path.pub.  Neither is ever overwritten.  Returns 0, -EEXIST when
 * either exists (nothing written), or another -errno with err set.
 */
int curve_keypair_write(const char *path, char *err, size_t errlen);
/*
 * Read a key pair file: a regular file with no access for group or others,
 * its secret key matching its public key.  Returns 0 with *out in
 * sodium_malloc memory (free with curve_keypair_free), or -1 with err set
 * ("PATH: what", "PATH:LINE: what"; never a key).
 */
int curve_keypair_read(const char *path, struct curve_keypair **out,
    char *err, size_t errlen);
void curve_keypair_free(struct curve_keypair *kp);

/* A list of public keys. */
struct curve_keys {
	size_t n;
	uint8_t (*key)[CURVE_KEY_LEN];
};
/*
 * Read a key list into keys (freed with curve_keys_fini, also after a
 * failure).  Returns 0, or -1 with err set ("PATH:LINE: what").  A list may
 * be empty: then nothing matches.
 */
int curve_keys_read(const char *path, struct curve_keys *keys, char *err,
    size_t errlen);
/* Read a file that holds exactly one public key (a server_key). */
int curve_key_read(const char *path, uint8_t key[CURVE_KEY_LEN], char *err,
    size_t errlen);
/* 1 if key is in the list. */
int curve_keys_has(const struct curve_keys *keys, const uint8_t *key);
void curve_keys_fini(struct curve_keys *keys);

#endif
