/* ckeys.c - the queue's keys of contact addresses (ckeys.h)
 * SPDX-License-Identifier: MIT
 */
#include "ckeys.h"
#include "token.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static uint8_t *
derive(const uint8_t *sk, int which)
{
	uint8_t *k = sodium_malloc(TOKEN_KEY_LEN);

	if (k != NULL)
		token_key_derive(k, sk, which);
	return k;
}

int
ckeys_load(struct ckeys *k, const char *pub, const char *sec, char *err,
    size_t errlen)
{
	const char *why;
	int rc;

	if (addrbox_read_pub(pub, k->pk, &why) != 0) {
		snprintf(err, errlen, "%s: %s", pub, why);
		return -1;
	}
	if ((rc = secret_read(sec, &k->sk)) != 0) {
		snprintf(err, errlen, "%s: %s", sec, secret_strerror(rc));
		return -1;
	}
	k->k_tokens = derive(k->sk, TOKEN_KEY_TOKENS);
	k->k_index = derive(k->sk, TOKEN_KEY_LINE_INDEX);
	k->k_tag = derive(k->sk, TOKEN_KEY_ADDR_TAG);
	if (k->k_tokens == NULL || k->k_index == NULL || k->k_tag == NULL) {
		snprintf(err, errlen, "sodium_malloc failed");
		return -1;
	}
	return 0;
}

void
ckeys_forget(struct ckeys *k)
{
	for (unsigned i = 0; i < k->nopen; i++)
		addrbox_free(k->open[i].b);
	k->nopen = 0;
}

void
ckeys_free(struct ckeys *k)
{
	ckeys_forget(k);
	if (k->sk)
		sodium_free(k->sk);
	if (k->k_tokens)
		sodium_free(k->k_tokens);
	if (k->k_index)
		sodium_free(k->k_index);
	if (k->k_tag)
		sodium_free(k->k_tag);
	memset(k, 0, sizeof(*k));
}

/* The opener of an import's addresses, cached (the oldest dropped when
 * CKEYS_OPENERS are), or NULL. */
static struct addrbox *
opener(struct ckeys *k, MDB_txn *txn, const struct store_dbi *dbi,
    uint32_t import_no)
{
	uint8_t key[4];
	MDB_val kv = { 4, key }, vv;
	struct addrbox *b;

	for (unsigned i = 0; i < k->nopen; i++)
		if (k->open[i].import_no == import_no)
			return k->open[i].b;
	util_be_put(key, import_no, 4);
	if (mdb_get(txn, dbi->contact_keys, &kv, &vv) != 0 ||
	    vv.mv_size != ADDRBOX_PK_LEN ||
	    (b = addrbox_opener_new(k->sk, k->pk, vv.mv_data)) == NULL)
		return NULL;
	if (k->nopen == CKEYS_OPENERS) {
		addrbox_free(k->open[0].b);
		memmove(k->open, k->open + 1,
		    (CKEYS_OPENERS - 1) * sizeof(k->open[0]));
		k->nopen--;
	}
	k->open[k->nopen].import_no = import_no;
	k->open[k->nopen++].b = b;
	return b;
}

int
ckeys_address(struct ckeys *k, MDB_txn *txn, const struct store_dbi *dbi,
    const uint8_t *pseudo, uint8_t channel, const struct contact *c,
    char *out)
{
	struct addrbox *b;

	if (c->ct_len <= ADDRBOX_TAG_LEN ||
	    c->ct_len - ADDRBOX_TAG_LEN > ADDRBOX_MAX_ADDR)
		return -1;
	if ((b = opener(k, txn, dbi, c->import_no)) == NULL ||
	    addrbox_open(b, pseudo, channel, c->nonce, c->ct, c->ct_len,
	    out) != 0)
		return -2;
	return 0;
}
