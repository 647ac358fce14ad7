/* actions_apply.c - each kind of resident's action against the store (see
 * actions.h)
 * SPDX-License-Identifier: MIT
 */
#include "actions_int.h"
#include "codes.h"
#include "dates.h"
#include "log.h"
#include "sealfmt.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONTACT_BUF (64 + ADDRBOX_MAX_ADDR + ADDRBOX_TAG_LEN)
#define CONSENT_ALL (CONSENT_HEALTH | CONSENT_CHILD | CONSENT_WELFARE | \
	CONSENT_TAX)

/* ---- contacts ---- */

static void
contact_key(uint8_t k[STORE_PSEUDO_LEN + 1], const uint8_t *pseudo,
    uint8_t channel)
{
	memcpy(k, pseudo, STORE_PSEUDO_LEN);
	k[STORE_PSEUDO_LEN] = channel;
}

/* 0 and *c (pointing into the transaction's pages), MDB_NOTFOUND,
 * MDB_CORRUPTED (a record that does not decode), or an LMDB error. */
static int
contact_get(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, struct contact *c)
{
	uint8_t k[STORE_PSEUDO_LEN + 1];
	MDB_val kv = { sizeof(k), k }, vv;
	int rc;

	contact_key(k, pseudo, channel);
	if ((rc = mdb_get(txn, a->dbi->contacts, &kv, &vv)) != 0)
		return rc;
	if (store_contact_decode(vv.mv_data, vv.mv_size, c) != 0)
		return MDB_CORRUPTED;
	return 0;
}

static int
contact_put(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, const struct contact *c)
{
	uint8_t k[STORE_PSEUDO_LEN + 1], buf[CONTACT_BUF];
	MDB_val kv = { sizeof(k), k }, vv = { 0, buf };

	contact_key(k, pseudo, channel);
	if ((vv.mv_size = store_contact_encode(c, buf, sizeof(buf))) == 0)
		return MDB_BAD_VALSIZE;
	return mdb_put(txn, a->dbi->contacts, &kv, &vv, 0);
}

void
actions_sealer_reset(struct actions *a)
{
	/* the openers too: one may hold the key of an import number that
	 * the failed transaction took and the next will take anew */
	ckeys_forget(a->keys);
	addrbox_free(a->sealer);
	a->sealer = NULL;
	a->sealer_new = 0;
}

/* The queue's own import (actions.h), made in txn on first need.  0 or
 * an error. */
static int
sealer(struct actions *a, MDB_txn *txn)
{
	uint8_t e_pk[ADDRBOX_PK_LEN], be[4], le[4], b[4];
	MDB_val kv = { 4, be }, vv = { ADDRBOX_PK_LEN, e_pk };
	uint32_t no = 0, indexed = 0;
	size_t len;
	int rc;

	if (a->sealer != NULL)
		return 0;
	rc = store_meta_get(txn, a->dbi, "contacts.seq", b, sizeof(b), &len);
	if (rc == 0 && len == 4)
		no = (uint32_t)util_le_get(b, 4);
	else if (rc != MDB_NOTFOUND)
		return rc ? rc : MDB_CORRUPTED;
	rc = store_meta_get(txn, a->dbi, "line_index.import", b, sizeof(b), &len);
	if (rc == 0 && len == 4)
		indexed = (uint32_t)util_le_get(b, 4);
	no++;
	for (int i = 0; i < 4; i++)
		be[i] = (uint8_t)(no >> (24 - 8 * i));
	util_le_put(le, no, 4);
	if ((a->sealer = addrbox_sealer_new(a->keys->pk, e_pk)) == NULL)
		return EINVAL;
	a->sealer_new = 1;
	a->seal_no = no;
	a->seal_seq = 0;
	if ((rc = mdb_put(txn, a->dbi->contact_keys, &kv, &vv,
	    MDB_NOOVERWRITE)) != 0 ||
	    (rc = store_meta_put(txn, a->dbi, "contacts.seq", le, 4)) != 0 ||
	    (rc = store_meta_put(txn, a->dbi, "queue.import", le, 4)) != 0)
		return rc;
	/* nothing of an import to catch up with: the queue indexes its own */
	if (indexed + 1 == no &&
	    (rc = store_meta_put(txn, a->dbi, "line_index.import", le, 4)) != 0)
		return rc;
	log_info("actions: the addresses residents give are kept under "
	    "import number %u", no);
	return 0;
}

/* Write an active contact holding addr (encrypted under the queue's own
 * import).  0 or an error. */
static int
contact_new(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, const char *addr, uint8_t language, uint8_t consent,
    uint8_t source)
{
	uint8_t nonce[ADDRBOX_NONCE_LEN], ct[ADDRBOX_MAX_ADDR + ADDRBOX_TAG_LEN];
	size_t len = strlen(addr);
	struct contact c;
	int rc;

	if (len == 0 || len > ADDRBOX_MAX_ADDR)
		return EINVAL;
	if ((rc = sealer(a, txn)) != 0)
		return rc;
	if (addrbox_seal(a->sealer, a->seal_seq++, pseudo, channel, addr, len,
	    nonce, ct) != 0)
		return EINVAL;
	memset(&c, 0, sizeof(c));
	c.language = language;
	c.consent = consent;
	c.status = CONTACT_ACTIVE;
	c.source = source;
	c.changed = actions_now(a);
	c.import_no = a->seal_no;
	c.nonce = nonce;
	c.ct = ct;
	c.ct_len = (uint16_t)(len + ADDRBOX_TAG_LEN);
	if ((rc = contact_put(a, txn, pseudo, channel, &c)) != 0)
		return rc;
	return actions_consent(a, txn, pseudo, channel, SEALFMT_CONSENT_ACTIVE,
	    consent, source);
}

/* Change a contact held in *c (copied: the record is rewritten): its
 * consent, language, or withdraw it (the address dropped).  0 or an
 * error. */
static int
contact_change(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, struct contact *c, uint8_t source)
{
	uint8_t ct[ADDRBOX_MAX_ADDR + ADDRBOX_TAG_LEN], nonce[ADDRBOX_NONCE_LEN];
	int rc;

	if (c->status == CONTACT_WITHDRAWN)
		c->ct_len = 0;
	if (c->ct_len > sizeof(ct))
		return MDB_CORRUPTED;
	memcpy(ct, c->ct, c->ct_len);
	memcpy(nonce, c->nonce, sizeof(nonce));
	c->ct = ct;
	c->nonce = nonce;
	c->source = source;
	c->changed = actions_now(a);
	if ((rc = contact_put(a, txn, pseudo, channel, c)) != 0)
		return rc;
	return actions_consent(a, txn, pseudo, channel,
	    c->status == CONTACT_ACTIVE ? SEALFMT_CONSENT_ACTIVE :
	    SEALFMT_CONSENT_WITHDRAWN, c->consent, source);
}

int
actions_consent(struct actions *a, MDB_txn *txn, const uint8_t *pseudo,
    uint8_t channel, int state, uint8_t consent, uint8_t source)
{
	uint8_t k[STORE_PSEUDO_LEN + 1], v[3];
	MDB_val kv = { sizeof(k), k }, vv;
	int rc;

	contact_key(k, pseudo, channel);
	rc = mdb_get(txn, a->dbi->consent_seen, &kv, &vv);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (state == SEALFMT_CONSENT_REMOVED && rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && vv.mv_size == 3 && state != SEALFMT_CONSENT_REMOVED &&
	    ((const uint8_t *)vv.mv_data)[0] == state &&
	    ((const uint8_t *)vv.mv_data)[1] == consent)
		return 0;
	/* the record's time is the clock's, as the outcomes' are, whatever
	 * --now says the day is */
	if (outlog_consent(a->log, pseudo, channel, (uint8_t)state, consent,
	    source, a->last_message, (int64_t)time(NULL)) != 0) {
		log_warnx("%s", outlog_error(a->log));
		return EIO;
	}
	a->st.consent_records++;
	if (state == SEALFMT_CONSENT_REMOVED)
		return mdb_del(txn, a->dbi->consent_seen, &kv, NULL);
	v[0] = (uint8_t)state;
	v[1] = consent;
	v[2] = source;
	vv.mv_data = v;
	vv.mv_size = sizeof(v);
	return mdb_put(txn, a->dbi->consent_seen, &kv, &vv, 0);
}

/* ---- LINE users ---- */

/* The resident whose active LINE contact is user: 0 with pseudo and *c,
 * MDB_NOTFOUND (none, or an index entry that does not check out), or an
 * error. */
static int
line_find(struct actions *a, MDB_txn *txn, const char *user, uint8_t *pseudo,
    struct contact *c)
{
	uint8_t k[32];
	char addr[ADDRBOX_MAX_ADDR + 1];
	MDB_val kv = { sizeof(k), k }, vv;
	int rc, same;

	token_line_index(a->keys->k_index, user, k);
	if ((rc = mdb_get(txn, a->dbi->line_index, &kv, &vv)) != 0)
		return rc;
	if (vv.mv_size != STORE_PSEUDO_LEN)
		return MDB_NOTFOUND;
	memcpy(pseudo, vv.mv_data, STORE_PSEUDO_LEN);
	rc = contact_get(a, txn, pseudo, CHANNEL_LINE, c);
	if (rc == MDB_CORRUPTED)
		return MDB_NOTFOUND;
	if (rc != 0)
		return rc;
	if (c->status != CONTACT_ACTIVE ||
	    ckeys_address(a->keys, txn, a->dbi, pseudo, CHANNEL_LINE, c,
	    addr) != 0)
		return MDB_NOTFOUND;
	same = strcmp(addr, user) == 0;
	sodium_memzero(addr, sizeof(addr));
	return same ? 0 : MDB_NOTFOUND;
}

static int
line_index_put(struct actions *a, MDB_txn *txn, const char *user,
    const uint8_t *pseudo)
{
	uint8_t k[32];
	MDB_val kv = { sizeof(k), k }, vv = { STORE_PSEUDO_LEN, (void *)pseudo };

	token_line_index(a->keys->k_index, user, k);
	return mdb_put(txn, a->dbi->line_index, &kv, &vv, 0);
}

static void
set_answer(struct act_item *it, int status, const struct contact *c)
{
	it->ans.status = (uint8_t)status;
	if (c == NULL) {
		it->ans.contact = ACT_CONTACT_NONE;
		return;
	}
	it->ans.contact = c->status == CONTACT_ACTIVE ? ACT_CONTACT_ACTIVE :
	    ACT_CONTACT_WITHDRAWN;
	it->ans.consent = c->consent;
	it->ans.language = c->language;
}

static void
line_reply(struct act_item *it, int what, int language, unsigned consent)
{
	if (it->act.reply[0] == '\0')
		return;
	replies_line(&it->rep, what, language, consent, it->act.reply);
	it->has_reply = 1;
}

/* ---- codes ---- */

/* Look up a code: ACT_OK with *rec and the stored key, or the status
 * to answer; *err an LMDB error. */
static int
code_check(struct actions *a, MDB_txn *txn, const char *text,
    const uint8_t *hash_in, uint8_t hash[CODE_HASH_LEN],
    struct code_record *rec, int *err)
{
	char norm[CODE_LEN + 1];
	MDB_val kv = { CODE_HASH_LEN, hash }, vv;
	int rc;

	*err = 0;
	if (hash_in != NULL)
		memcpy(hash, hash_in, CODE_HASH_LEN);
	else {
		if (a->code_key == NULL || code_normalize(text, norm) != 0)
			return ACT_BADCODE;
		code_hash(a->code_key, norm, hash);
		sodium_memzero(norm, sizeof(norm));
	}
	if ((rc = mdb_get(txn, a->dbi->codes, &kv, &vv)) == MDB_NOTFOUND)
		return ACT_BADCODE;
	if (rc != 0) {
		*err = rc;
		return ACT_UNAVAILABLE;
	}
	if (code_record_decode(vv.mv_data, vv.mv_size, rec) != 0) {
		log_warnx("actions: a code record does not decode; taken as "
		    "no code");
		return ACT_BADCODE;
	}
	if (rec->state == CODE_USED)
		return ACT_USED;
	if (rec->expires < date_of_time_jst(actions_now(a)))
		return ACT_EXPIRED;
	return ACT_OK;
}

static int
code_use(struct actions *a, MDB_txn *txn, const uint8_t *hash,
    struct code_record *rec)
{
	uint8_t buf[CODE_RECORD_LEN];
	MDB_val kv = { CODE_HASH_LEN, (void *)hash }, vv = { sizeof(buf), buf };

	rec->state = CODE_USED;
	rec->used = actions_now(a);
	code_record_encode(rec, buf);
	return mdb_put(txn, a->dbi->codes, &kv, &vv, 0);
}

static int
code_reply(int status)
{
	return status == ACT_USED ? REPLY_USED : status == ACT_EXPIRED ?
	    REPLY_EXPIRED : REPLY_BADCODE;
}

/* ---- the kinds ---- */

static int
do_code(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	uint8_t hash[CODE_HASH_LEN], other[STORE_PSEUDO_LEN];
	struct code_record rec;
	struct contact c;
	int rc, st;

	if (it->act.flags & ACT_FLAG_LIMITED) {
		set_answer(it, ACT_BADCODE, NULL);
		line_reply(it, REPLY_LIMITED, LANG_JA, 0);
		return 0;
	}
	st = code_check(a, txn, it->act.code, NULL, hash, &rec, &rc);
	if (rc != 0)
		return rc;
	if (st != ACT_OK) {
		set_answer(it, st, NULL);
		line_reply(it, code_reply(st), LANG_JA, 0);
		return 0;
	}
	/* one LINE user, one resident: a link to another goes first */
	rc = line_find(a, txn, it->act.user, other, &c);
	if (rc == 0 && memcmp(other, rec.resident, STORE_PSEUDO_LEN) != 0) {
		c.status = CONTACT_WITHDRAWN;
		if ((rc = contact_change(a, txn, other, CHANNEL_LINE, &c,
		    CONTACT_SRC_LINE)) != 0)
			return rc;
	} else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if ((rc = code_use(a, txn, hash, &rec)) != 0 ||
	    (rc = contact_new(a, txn, rec.resident, CHANNEL_LINE, it->act.user,
	    LANG_JA, 0, CONTACT_SRC_LINE)) != 0 ||
	    (rc = line_index_put(a, txn, it->act.user, rec.resident)) != 0)
		return rc;
	it->ans.status = ACT_OK;
	it->ans.contact = ACT_CONTACT_ACTIVE;
	it->ans.consent = 0;
	it->ans.language = LANG_JA;
	line_reply(it, REPLY_LINKED, LANG_JA, 0);
	return 0;
}

/* A follow from a user who linked with a code and then unfollowed (the
 * index still names their resident, whose LINE contact they withdrew
 * through LINE): linked again, consent to nothing until they choose, as
 * after the code; a letter's code is single use, and the index entry is
 * the proof the code gave.  0 (done), MDB_NOTFOUND (not such a user), or
 * an error. */
static int
line_refollow(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	uint8_t k[32], pseudo[STORE_PSEUDO_LEN];
	MDB_val kv = { sizeof(k), k }, vv;
	struct contact c;
	int rc;

	token_line_index(a->keys->k_index, it->act.user, k);
	if ((rc = mdb_get(txn, a->dbi->line_index, &kv, &vv)) != 0)
		return rc;
	if (vv.mv_size != STORE_PSEUDO_LEN)
		return MDB_NOTFOUND;
	memcpy(pseudo, vv.mv_data, STORE_PSEUDO_LEN);
	rc = contact_get(a, txn, pseudo, CHANNEL_LINE, &c);
	if (rc == MDB_CORRUPTED)
		return MDB_NOTFOUND;
	if (rc != 0)
		return rc;
	if (c.status != CONTACT_WITHDRAWN || c.source != CONTACT_SRC_LINE)
		return MDB_NOTFOUND;
	if ((rc = contact_new(a, txn, pseudo, CHANNEL_LINE, it->act.user,
	    c.language, 0, CONTACT_SRC_LINE)) != 0)
		return rc;
	it->ans.status = ACT_OK;
	it->ans.contact = ACT_CONTACT_ACTIVE;
	it->ans.consent = 0;
	it->ans.language = c.language;
	line_reply(it, REPLY_LINKED, c.language, 0);
	return 0;
}

/* The LINE kinds other than a code: the user's contact found first. */
static int
do_line(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	uint8_t pseudo[STORE_PSEUDO_LEN];
	struct contact c;
	const struct action *x = &it->act;
	int rc, what;

	rc = line_find(a, txn, x->user, pseudo, &c);
	if (rc == MDB_NOTFOUND && x->kind == ACT_LINE_FOLLOW &&
	    (rc = line_refollow(a, txn, it)) != MDB_NOTFOUND)
		return rc;
	if (rc == MDB_NOTFOUND) {
		set_answer(it, x->kind == ACT_LINE_FOLLOW ? ACT_OK :
		    ACT_NOCONTACT, NULL);
		line_reply(it, REPLY_GREET, LANG_JA, 0);
		return 0;
	}
	if (rc != 0)
		return rc;
	switch (x->kind) {
	case ACT_LINE_UNFOLLOW:
		c.status = CONTACT_WITHDRAWN;
		/* the index entry stays: a follow again links again */
		if ((rc = contact_change(a, txn, pseudo, CHANNEL_LINE, &c,
		    CONTACT_SRC_LINE)) != 0)
			return rc;
		set_answer(it, ACT_OK, &c);
		return 0;
	case ACT_LINE_STOP:
		c.consent = 0;
		what = REPLY_STOPPED;
		break;
	case ACT_LINE_CONSENT:
		c.consent = (uint8_t)((c.consent & ~x->mask) |
		    (x->consent & x->mask)) & CONSENT_ALL;
		if ((x->flags & ACT_FLAG_LANGUAGE) && x->language <= LANG_EN)
			c.language = x->language;
		what = x->mask == (CONSENT_ALL & ~CONSENT_TAX) ?
		    REPLY_ASK_TAX : REPLY_SAVED;
		break;
	default:	/* follow, settings, text: a reply only */
		set_answer(it, ACT_OK, &c);
		line_reply(it, x->kind == ACT_LINE_TEXT ? REPLY_HELP :
		    REPLY_SETTINGS, c.language, c.consent);
		return 0;
	}
	if ((rc = contact_change(a, txn, pseudo, CHANNEL_LINE, &c,
	    CONTACT_SRC_LINE)) != 0)
		return rc;
	set_answer(it, ACT_OK, &c);
	line_reply(it, what, c.language, c.consent);
	return 0;
}

/* A TOKEN_MANAGE token's contact: ACT_OK with t, pseudo in t.pseudo and
 * *c, or the status to answer; *err an LMDB error.  A withdrawn contact
 * (its address no longer kept) is ACT_OK. */
static int
manage_find(struct actions *a, MDB_txn *txn, const char *text,
    struct token *t, struct contact *c, int *err)
{
	char addr[ADDRBOX_MAX_ADDR + 1];
	uint8_t tag[TOKEN_TAG_LEN];
	int rc, same;

	*err = 0;
	if (token_open(a->keys->k_tokens, text, t) != 0 || t->kind != TOKEN_MANAGE)
		return ACT_BADTOKEN;
	if (t->expires < (int64_t)actions_now(a))
		return ACT_EXPIRED;
	rc = contact_get(a, txn, t->pseudo, t->channel, c);
	if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
		return ACT_NOCONTACT;
	if (rc != 0) {
		*err = rc;
		return ACT_UNAVAILABLE;
	}
	if (c->status == CONTACT_WITHDRAWN && c->ct_len == 0)
		return ACT_OK;
	if (ckeys_address(a->keys, txn, a->dbi, t->pseudo, t->channel, c,
	    addr) != 0)
		return ACT_NOCONTACT;
	token_addr_tag(a->keys->k_tag, addr, tag);
	sodium_memzero(addr, sizeof(addr));
	same = sodium_memcmp(tag, t->addr_tag, TOKEN_TAG_LEN) == 0;
	return same ? ACT_OK : ACT_NOCONTACT;
}

static int
do_manage(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	struct token t;
	struct contact c;
	int rc, st;

	st = manage_find(a, txn, it->act.token, &t, &c, &rc);
	if (rc != 0)
		return rc;
	if (st != ACT_OK) {
		set_answer(it, st, NULL);
		return 0;
	}
	if (it->act.kind == ACT_UNSUBSCRIBE) {
		if (c.status != CONTACT_WITHDRAWN) {
			c.status = CONTACT_WITHDRAWN;
			if ((rc = contact_change(a, txn, t.pseudo, t.channel,
			    &c, CONTACT_SRC_UNSUBSCRIBE)) != 0)
				return rc;
		}
	} else if (it->act.kind == ACT_MANAGE_CONSENT) {
		if (c.status == CONTACT_WITHDRAWN) {
			set_answer(it, ACT_NOCONTACT, &c);
			return 0;
		}
		c.consent = (uint8_t)((c.consent & ~it->act.mask) |
		    (it->act.consent & it->act.mask)) & CONSENT_ALL;
		if ((rc = contact_change(a, txn, t.pseudo, t.channel, &c,
		    CONTACT_SRC_WEB)) != 0)
			return rc;
	}
	set_answer(it, ACT_OK, &c);
	sodium_memzero(&t, sizeof(t));
	return 0;
}

/* An address a resident typed: printable, one '@' not at an end. */
static int
address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n < 3 || n > TOKEN_ADDR_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '<' ||
		    *s == '>' || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static int
do_register(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	struct token t;
	struct code_record rec;
	char text[TOKEN_TEXT_MAX], link[CONFIG_PATH_MAX + TOKEN_TEXT_MAX + 16];
	int rc, st;

	if (it->act.flags & ACT_FLAG_LIMITED) {
		set_answer(it, ACT_BADCODE, NULL);
		return 0;
	}
	if (!address_ok(it->act.address)) {
		set_answer(it, ACT_MALFORMED, NULL);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	st = code_check(a, txn, it->act.code, NULL, t.code_hash, &rec, &rc);
	if (rc != 0)
		return rc;
	if (st != ACT_OK) {
		set_answer(it, st, NULL);
		return 0;
	}
	t.kind = TOKEN_CONFIRM;
	t.expires = (int64_t)actions_now(a) + a->cfg->gw_confirm_hours * 3600;
	t.language = it->act.language <= LANG_EN ? it->act.language : LANG_JA;
	snprintf(t.address, sizeof(t.address), "%s", it->act.address);
	if (token_make(a->keys->k_tokens, &t, text, sizeof(text)) == 0) {
		set_answer(it, ACT_MALFORMED, NULL);
		return 0;
	}
	snprintf(link, sizeof(link), "%sconfirm/%s", a->cfg->gw_public_url, text);
	replies_confirm_mail(&it->rep, t.language, t.address, link,
	    a->cfg->gw_confirm_hours);
	it->has_reply = 1;
	set_answer(it, ACT_OK, NULL);
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(text, sizeof(text));
	sodium_memzero(link, sizeof(link));
	return 0;
}

static int
do_confirm(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	struct token t;
	struct code_record rec;
	uint8_t hash[CODE_HASH_LEN];
	struct contact c;
	int rc, st;

	if (token_open(a->keys->k_tokens, it->act.token, &t) != 0 ||
	    t.kind != TOKEN_CONFIRM) {
		set_answer(it, ACT_BADTOKEN, NULL);
		return 0;
	}
	if (t.expires < (int64_t)actions_now(a)) {
		set_answer(it, ACT_EXPIRED, NULL);
		return 0;
	}
	st = code_check(a, txn, NULL, t.code_hash, hash, &rec, &rc);
	if (rc != 0 || st != ACT_OK) {
		set_answer(it, st, NULL);
		return rc;
	}
	if (it->act.kind == ACT_CONFIRM_CHECK) {
		set_answer(it, ACT_OK, NULL);
		it->ans.language = t.language;
		return 0;
	}
	if ((rc = code_use(a, txn, hash, &rec)) != 0 ||
	    (rc = contact_new(a, txn, rec.resident, CHANNEL_EMAIL, t.address,
	    t.language, it->act.consent & CONSENT_ALL, CONTACT_SRC_WEB)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.status = CONTACT_ACTIVE;
	c.consent = it->act.consent & CONSENT_ALL;
	c.language = t.language;
	set_answer(it, ACT_OK, &c);
	sodium_memzero(&t, sizeof(t));
	return 0;
}

/* The event's key put first: a redelivered event is a duplicate. */
static int
event_once(struct actions *a, MDB_txn *txn, struct act_item *it, int *dup)
{
	uint8_t v[8];
	MDB_val kv = { strlen(it->act.event), it->act.event },
	    vv = { sizeof(v), v };
	int rc;

	*dup = 0;
	if (kv.mv_size == 0)
		return 0;
	util_le_put(v, (uint64_t)actions_now(a), 8);
	rc = mdb_put(txn, a->dbi->events, &kv, &vv, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		it->ans.status = ACT_DUPLICATE;
		*dup = 1;
		return 0;
	}
	return rc;
}

int
actions_apply(struct actions *a, MDB_txn *txn, struct act_item *it)
{
	int rc, dup;

	it->ans.request = it->act.request;
	it->ans.status = ACT_OK;
	if ((rc = event_once(a, txn, it, &dup)) != 0 || dup)
		return rc;
	switch (it->act.kind) {
	case ACT_LINE_CODE:
		return do_code(a, txn, it);
	case ACT_LINE_FOLLOW:
	case ACT_LINE_UNFOLLOW:
	case ACT_LINE_CONSENT:
	case ACT_LINE_SETTINGS:
	case ACT_LINE_STOP:
	case ACT_LINE_TEXT:
		return do_line(a, txn, it);
	case ACT_MANAGE_CHECK:
	case ACT_UNSUBSCRIBE:
	case ACT_MANAGE_CONSENT:
		return do_manage(a, txn, it);
	case ACT_EMAIL_REGISTER:
		return do_register(a, txn, it);
	case ACT_CONFIRM_CHECK:
	case ACT_EMAIL_CONFIRM:
		return do_confirm(a, txn, it);
	}
	it->ans.status = ACT_MALFORMED;
	return 0;
}
