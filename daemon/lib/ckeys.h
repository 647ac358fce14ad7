/* ckeys.h - the queue's keys of contact addresses, held once
 * SPDX-License-Identifier: MIT
 *
 * Owns: contacts.pub and contacts.sec as the queue reads them (once), the
 * keys derived from the secret half (token.h: the tokens', the LINE
 * index's, the address tags'), and the openers of each contact import's
 * addresses (addrbox.h), cached by import number.  The dispatcher holds
 * it and lends it to the residents' actions, so that the process holds
 * each secret once.  Never touches: the network, logs, the pseudonymisation
 * key; it writes nothing.  Not thread-safe (the queue's main thread).
 */
#ifndef OSHIRASE_CKEYS_H
#define OSHIRASE_CKEYS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "addrbox.h"
#include "store.h"

#define CKEYS_OPENERS 64	/* import numbers whose openers are kept */

struct ckeys {
	uint8_t pk[ADDRBOX_PK_LEN];
	uint8_t *sk;			/* sodium_malloc, all four */
	uint8_t *k_tokens, *k_index, *k_tag;
	struct {
		uint32_t import_no;
		struct addrbox *b;
	} open[CKEYS_OPENERS];
	unsigned nopen;
};

/* Read the key pair's files pub and sec and derive the keys: 0, or -1
 * with a message in err (what is read is freed by ckeys_free, which a
 * zeroed struct ckeys also takes). */
int ckeys_load(struct ckeys *k, const char *pub, const char *sec, char *err,
    size_t errlen);
void ckeys_free(struct ckeys *k);
/* Decrypt the address of contact c (of pseudonym pseudo, channel) into
 * out (ADDRBOX_MAX_ADDR + 1 bytes): 0; -1 if the contact keeps no
 * address of a possible length; -2 if it does not open (its import's key
 * is missing, or it does not authenticate). */
int ckeys_address(struct ckeys *k, MDB_txn *txn, const struct store_dbi *dbi,
    const uint8_t *pseudo, uint8_t channel, const struct contact *c,
    char *out);
/* Forget the cached openers (an import number a failed transaction took
 * may be taken again with another key). */
void ckeys_forget(struct ckeys *k);

#endif
