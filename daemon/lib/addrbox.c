/* addrbox.c - contact addresses encrypted to the daemon's public key
 * SPDX-License-Identifier: MIT
 */
#include "addrbox.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTX "oshirase contacts v1"
#define AD_PREFIX "oshirase contact"

#define NONCE_PREFIX 16

struct addrbox {
	uint8_t *key;		/* sodium_malloc, 32 bytes */
	uint8_t prefix[NONCE_PREFIX];	/* sealing: random per import */
};

static int
write_pub(const char *path, const uint8_t *pk)
{
	char hex[2 * ADDRBOX_PK_LEN + 2];

	hex_encode(pk, ADDRBOX_PK_LEN, hex);
	hex[2 * ADDRBOX_PK_LEN] = '\n';
	return file_write_new(path, 0644, hex, sizeof(hex) - 1);
}

int
addrbox_keygen(const char *pub, const char *sec)
{
	uint8_t pk[ADDRBOX_PK_LEN], *sk;
	int rc;

	if (access(pub, F_OK) == 0 || access(sec, F_OK) == 0)
		return -EEXIST;
	sk = sodium_malloc(ADDRBOX_SK_LEN);
	if (sk == NULL)
		return -ENOMEM;
	crypto_box_keypair(pk, sk);
	rc = secret_write(sec, sk, ADDRBOX_SK_LEN);
	sodium_free(sk);
	if (rc != 0)
		return rc;
	rc = write_pub(pub, pk);
	if (rc != 0)
		unlink(sec);
	return rc;
}

static struct addrbox *
derive(const uint8_t *my_sk, const uint8_t *their_pk, const uint8_t *e_pk,
    const uint8_t *pk)
{
	struct addrbox *b;
	uint8_t *shared;
	crypto_generichash_state st;

	b = xcalloc(1, sizeof(*b));
	b->key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	shared = sodium_malloc(crypto_scalarmult_BYTES);
	if (b->key == NULL || shared == NULL ||
	    crypto_scalarmult(shared, my_sk, their_pk) != 0) {
		sodium_free(shared);
		addrbox_free(b);
		return NULL;
	}
	crypto_generichash_init(&st, shared, crypto_scalarmult_BYTES,
	    crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	crypto_generichash_update(&st, (const uint8_t *)CTX, sizeof(CTX) - 1);
	crypto_generichash_update(&st, e_pk, ADDRBOX_PK_LEN);
	crypto_generichash_update(&st, pk, ADDRBOX_PK_LEN);
	crypto_generichash_final(&st, b->key,
	    crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	sodium_memzero(&st, sizeof(st));
	sodium_free(shared);
	return b;
}

struct addrbox *
addrbox_sealer_new(const uint8_t pk[ADDRBOX_PK_LEN], uint8_t e_pk[ADDRBOX_PK_LEN])
{
	struct addrbox *b;
	uint8_t *e_sk = sodium_malloc(ADDRBOX_SK_LEN);

	if (e_sk == NULL)
		return NULL;
	crypto_box_keypair(e_pk, e_sk);
	b = derive(e_sk, pk, e_pk, pk);
	sodium_free(e_sk);
	if (b != NULL)
		randombytes_buf(b->prefix, sizeof(b->prefix));
	return b;
}

struct addrbox *
addrbox_opener_new(const uint8_t *sk, const uint8_t pk[ADDRBOX_PK_LEN],
    const uint8_t e_pk[ADDRBOX_PK_LEN])
{
	return derive(sk, e_pk, e_pk, pk);
}

void
addrbox_free(struct addrbox *b)
{
	if (b == NULL)
		return;
	sodium_free(b->key);
	free(b);
}

static void
make_ad(uint8_t *ad, const uint8_t *pseudo, uint8_t channel)
{
	memcpy(ad, AD_PREFIX, sizeof(AD_PREFIX) - 1);
	memcpy(ad + sizeof(AD_PREFIX) - 1, pseudo, 32);
	ad[sizeof(AD_PREFIX) - 1 + 32] = channel;
}

#define AD_LEN (sizeof(AD_PREFIX) - 1 + 32 + 1)

int
addrbox_seal(const struct addrbox *b, uint64_t seq, const uint8_t *pseudo,
    uint8_t channel, const char *addr, size_t len,
    uint8_t nonce[ADDRBOX_NONCE_LEN], uint8_t *ct)
{
	uint8_t ad[AD_LEN];
	unsigned long long clen;

	if (len > ADDRBOX_MAX_ADDR)
		return -1;
	make_ad(ad, pseudo, channel);
	memcpy(nonce, b->prefix, NONCE_PREFIX);
	for (int i = 0; i < 8; i++)
		nonce[NONCE_PREFIX + i] = (uint8_t)(seq >> (8 * i));
	return crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen,
	    (const uint8_t *)addr, len, ad, sizeof(ad), NULL, nonce, b->key);
}

int
addrbox_open(const struct addrbox *b, const uint8_t *pseudo, uint8_t channel,
    const uint8_t nonce[ADDRBOX_NONCE_LEN], const uint8_t *ct, size_t ct_len,
    char *out)
{
	uint8_t ad[AD_LEN];
	unsigned long long mlen;

	if (ct_len < ADDRBOX_TAG_LEN)
		return -1;
	make_ad(ad, pseudo, channel);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)out, &mlen,
	    NULL, ct, ct_len, ad, sizeof(ad), nonce, b->key) != 0)
		return -1;
	out[mlen] = '\0';
	return 0;
}

int
addrbox_read_pub(const char *path, uint8_t pk[ADDRBOX_PK_LEN], const char **err)
{
	char buf[2 * ADDRBOX_PK_LEN + 3], why[16];
	ssize_t got;
	size_t n = 0;
	int fd;

	/* never blocking on a FIFO; a regular file only */
	if ((fd = secret_open(path, 0, why, sizeof(why))) < 0) {
		*err = secret_strerror(fd);
		return -1;
	}
	while (n < sizeof(buf) && ((got = read(fd, buf + n, sizeof(buf) - n)) > 0 ||
	    (got < 0 && errno == EINTR)))
		n += got > 0 ? (size_t)got : 0;
	close(fd);
	if (n == 2 * ADDRBOX_PK_LEN + 1 && buf[n - 1] == '\n')
		n--;
	if (n != 2 * ADDRBOX_PK_LEN ||
	    hex_decode(buf, n, pk, ADDRBOX_PK_LEN) != 0) {
		*err = "a public key file holds 64 hex digits and a newline";
		return -1;
	}
	return 0;
}
