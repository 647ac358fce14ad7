/* catchup.c - contact imports caught up with: their LINE contacts indexed,
 * their consent sealed; events and codes pruned (see actions.h)
 * SPDX-License-Identifier: MIT
 */
#include "actions_int.h"
#include "codes.h"
#include "log.h"
#include "sealfmt.h"
#include "util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN (STORE_PSEUDO_LEN + 1)

/* A consent record to seal once the walk is over (consent_seen is not
 * written under its own cursor). */
struct change {
	uint8_t key[KEY_LEN];
	uint8_t state, consent, source;
};

struct walk {
	struct change *c;
	size_t n, cap;
	unsigned long indexed, damaged;
	uint32_t indexed_upto;
};

static void
change_add(struct walk *w, const uint8_t *key, int state, uint8_t consent,
    uint8_t source)
{
	struct change *c;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->c = xrealloc(w->c, w->cap * sizeof(*w->c));
	}
	c = &w->c[w->n++];
	memcpy(c->key, key, KEY_LEN);
	c->state = (uint8_t)state;
	c->consent = consent;
	c->source = source;
}

static int
index_line(struct actions *a, MDB_txn *txn, const uint8_t *key,
    const struct contact *c, struct walk *w)
{
	char user[ADDRBOX_MAX_ADDR + 1];
	uint8_t k[32];
	MDB_val kv = { sizeof(k), k }, vv = { STORE_PSEUDO_LEN, (void *)key };

	if (ckeys_address(a->keys, txn, a->dbi, key, CHANNEL_LINE, c,
	    user) != 0) {
		w->damaged++;
		return 0;
	}
	token_line_index(a->keys->k_index, user, k);
	sodium_memzero(user, sizeof(user));
	w->indexed++;
	return mdb_put(txn, a->dbi->line_index, &kv, &vv, 0);
}

/* One contact, with what consent_seen holds for it (NULL: nothing). */
static int
one_contact(struct actions *a, MDB_txn *txn, const MDB_val *k,
    const MDB_val *v, const MDB_val *seen, struct walk *w)
{
	const uint8_t *key = k->mv_data, *s = seen ? seen->mv_data : NULL;
	struct contact c;
	int state, rc;

	if (store_contact_decode(v->mv_data, v->mv_size, &c) != 0) {
		w->damaged++;
		return 0;
	}
	if (c.import_no > w->indexed_upto && key[STORE_PSEUDO_LEN] ==
	    CHANNEL_LINE && c.status == CONTACT_ACTIVE &&
	    (rc = index_line(a, txn, key, &c, w)) != 0)
		return rc;
	state = c.status == CONTACT_ACTIVE ? SEALFMT_CONSENT_ACTIVE :
	    SEALFMT_CONSENT_WITHDRAWN;
	if (s == NULL || seen->mv_size != 3 || s[0] != state ||
	    s[1] != c.consent)
		change_add(w, key, state, c.consent, c.source ? c.source :
		    CONTACT_SRC_IMPORT);
	return 0;
}

/* contacts and consent_seen side by side, in key order. */
static int
walk_both(struct actions *a, MDB_txn *txn, struct walk *w)
{
	MDB_cursor *cc = NULL, *cs = NULL;
	MDB_val kc, vc, ks, vs;
	int rc, rcc, rcs;

	if ((rc = mdb_cursor_open(txn, a->dbi->contacts, &cc)) != 0 ||
	    (rc = mdb_cursor_open(txn, a->dbi->consent_seen, &cs)) != 0)
		goto out;
	rcc = mdb_cursor_get(cc, &kc, &vc, MDB_FIRST);
	rcs = mdb_cursor_get(cs, &ks, &vs, MDB_FIRST);
	while (rc == 0 && (rcc == 0 || rcs == 0)) {
		int cmp;

		if (rcc == 0 && kc.mv_size != KEY_LEN) {
			rcc = mdb_cursor_get(cc, &kc, &vc, MDB_NEXT);
			continue;
		}
		if (rcs == 0 && ks.mv_size != KEY_LEN) {
			rcs = mdb_cursor_get(cs, &ks, &vs, MDB_NEXT);
			continue;
		}
		cmp = rcc != 0 ? 1 : rcs != 0 ? -1 :
		    memcmp(kc.mv_data, ks.mv_data, KEY_LEN);
		if (cmp <= 0)
			rc = one_contact(a, txn, &kc, &vc, cmp == 0 ? &vs : NULL, w);
		else	/* the log knows a contact the store no longer has */
			change_add(w, ks.mv_data, SEALFMT_CONSENT_REMOVED, 0,
			    CONTACT_SRC_IMPORT);
		if (cmp <= 0)
			rcc = mdb_cursor_get(cc, &kc, &vc, MDB_NEXT);
		if (cmp >= 0)
			rcs = mdb_cursor_get(cs, &ks, &vs, MDB_NEXT);
	}
	if (rc == 0 && rcc != MDB_NOTFOUND)
		rc = rcc;
	if (rc == 0 && rcs != MDB_NOTFOUND)
		rc = rcs;
out:
	if (cs != NULL)
		mdb_cursor_close(cs);
	if (cc != NULL)
		mdb_cursor_close(cc);
	return rc;
}

static uint32_t
meta_u32(MDB_txn *txn, const struct store_dbi *dbi, const char *name)
{
	uint8_t b[4];
	size_t len;

	if (store_meta_get(txn, dbi, name, b, sizeof(b), &len) == 0 && len == 4)
		return (uint32_t)util_le_get(b, 4);
	return 0;
}

int
catchup_run(struct actions *a, MDB_txn *txn, int force)
{
	struct walk w;
	uint32_t seq = meta_u32(txn, a->dbi, "contacts.seq");
	uint8_t le[4];
	int rc;

	memset(&w, 0, sizeof(w));
	w.indexed_upto = meta_u32(txn, a->dbi, "line_index.import");
	if (!force && seq <= w.indexed_upto)
		return 0;
	rc = walk_both(a, txn, &w);
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		const struct change *c = &w.c[i];

		rc = actions_consent(a, txn, c->key, c->key[STORE_PSEUDO_LEN],
		    c->state, c->consent, c->source);
	}
	util_le_put(le, seq, 4);
	if (rc == 0)
		rc = store_meta_put(txn, a->dbi, "line_index.import", le, 4);
	if (rc == 0 && (w.n || w.indexed))
		log_info("actions: contact imports up to %u caught up with: %lu "
		    "LINE contacts indexed, %zu consent records", seq,
		    w.indexed, w.n);
	if (w.damaged)
		log_warnx("actions: %lu contact records do not decode or "
		    "decrypt; not indexed", w.damaged);
	free(w.c);
	return rc;
}

/* Delete the entries of dbi that keep says are past keeping. */
static int
prune_db(MDB_txn *txn, MDB_dbi dbi, int (*past)(const MDB_val *, int64_t),
    int64_t limit, unsigned long *n)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (past(&v, limit)) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			(*n)++;
		}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
event_past(const MDB_val *v, int64_t limit)
{
	return v->mv_size == 8 &&
	    (int64_t)util_le_get(v->mv_data, 8) < limit;
}

static int
code_past(const MDB_val *v, int64_t limit)
{
	struct code_record c;

	return code_record_decode(v->mv_data, v->mv_size, &c) == 0 &&
	    c.expires < limit;
}

int
catchup_prune(struct actions *a, MDB_txn *txn)
{
	time_t now = actions_now(a);
	unsigned long events = 0, codes = 0;
	int rc;

	rc = prune_db(txn, a->dbi->events, event_past,
	    (int64_t)now - ACTIONS_KEEP_DAYS * 86400, &events);
	if (rc == 0)
		rc = prune_db(txn, a->dbi->codes, code_past,
		    (int64_t)date_of_time_jst(now) - ACTIONS_KEEP_DAYS, &codes);
	if (rc == 0 && (events || codes))
		log_info("actions: pruned %lu events and %lu codes past %d days",
		    events, codes, ACTIONS_KEEP_DAYS);
	return rc;
}
