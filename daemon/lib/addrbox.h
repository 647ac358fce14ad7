/* addrbox.h - contact addresses encrypted to the daemon's public key
 * SPDX-License-Identifier: MIT
 *
 * `oshirase keygen --contacts` makes an X25519 key pair: the public half
 * (contacts.pub) is all `import contacts` needs; the secret half
 * (contacts.sec, mode 0600) is read only by the daemon, which alone can
 * decrypt.  A copy of the store therefore does not reveal addresses, and
 * the import host cannot read back what it stored.
 *
 * Scheme (why not one sealed box per address: crypto_box_seal costs one
 * X25519 scalar multiplication, ~120 us, per address; this costs one per
 * import and ~1 us per address):
 *   per import: ephemeral key pair (e_pk, e_sk);
 *     k = BLAKE2b-256(key = X25519(e_sk, pk), "oshirase contacts v1" ||
 *                      e_pk || pk); e_sk and the shared secret are wiped;
 *     e_pk is kept in the store under the import's number.
 *   per address: XChaCha20-Poly1305-IETF(k, nonce = a random 16-byte
 *     prefix drawn once per import || a 64-bit number unique within the
 *     import (the caller's row sequence), so no nonce repeats under k and
 *     no system call is made per address,
 *     associated data = "oshirase contact" || resident pseudonym[32] ||
 *     channel[1]), so a ciphertext cannot be moved to another resident or
 *     channel without failing authentication.
 *   the daemon: k = the same hash of X25519(sk, e_pk).
 * Keys live in sodium_malloc memory and are wiped by addrbox_free.
 */
#ifndef OSHIRASE_ADDRBOX_H
#define OSHIRASE_ADDRBOX_H

#include <stddef.h>
#include <stdint.h>

#define ADDRBOX_PK_LEN 32
#define ADDRBOX_SK_LEN 32
#define ADDRBOX_NONCE_LEN 24
#define ADDRBOX_TAG_LEN 16
#define ADDRBOX_MAX_ADDR 254
#define ADDRBOX_PUB_FILE "contacts.pub"
#define ADDRBOX_SEC_FILE "contacts.sec"

struct addrbox;

/* Create a key pair: the public key file pub (mode 0644) and the secret
 * key file sec (mode 0600), both as 64 hex digits and a newline; neither
 * is ever overwritten.  Returns 0, -EEXIST, or -errno. */
int addrbox_keygen(const char *pub, const char *sec);

/* Sealing side: a fresh ephemeral key agreed with the public key pk.
 * *e_pk receives the ephemeral public key to store.  NULL on failure. */
struct addrbox *addrbox_sealer_new(const uint8_t pk[ADDRBOX_PK_LEN],
    uint8_t e_pk[ADDRBOX_PK_LEN]);
/* Opening side: the key for an import whose ephemeral key is e_pk. */
struct addrbox *addrbox_opener_new(const uint8_t *sk,
    const uint8_t pk[ADDRBOX_PK_LEN], const uint8_t e_pk[ADDRBOX_PK_LEN]);
void addrbox_free(struct addrbox *b);

/* Encrypt len (<= ADDRBOX_MAX_ADDR) bytes: writes the nonce (for seq,
 * which must differ for every call on one sealer) and len +
 * ADDRBOX_TAG_LEN bytes of ciphertext.  0 or -1.  Thread-safe. */
int addrbox_seal(const struct addrbox *b, uint64_t seq, const uint8_t *pseudo,
    uint8_t channel, const char *addr, size_t len,
    uint8_t nonce[ADDRBOX_NONCE_LEN], uint8_t *ct);
/* Decrypt into out (at least ct_len - ADDRBOX_TAG_LEN + 1 bytes, NUL
 * added).  0, or -1 if the ciphertext does not authenticate. */
int addrbox_open(const struct addrbox *b, const uint8_t *pseudo, uint8_t channel,
    const uint8_t nonce[ADDRBOX_NONCE_LEN], const uint8_t *ct, size_t ct_len,
    char *out);

/* Read dir/contacts.pub (64 hex digits): 0, or -1 with a message. */
int addrbox_read_pub(const char *path, uint8_t pk[ADDRBOX_PK_LEN],
    const char **err);

#endif
