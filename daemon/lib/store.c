/* store.c - the LMDB store (layout and record formats in store.h)
 * SPDX-License-Identifier: MIT
 */
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STORE_MAP_SIZE ((size_t)64 << 30)	/* address space, not disk */
#define STORE_MAX_DBS 16

const char *const store_rel_names[5] = { "head", "spouse", "child", "parent", "other" };
const char *const store_ins_names[5] = { "nhi", "late_elderly", "employee", "welfare", "none" };

struct store {
	MDB_env *env;
	struct store_dbi dbi;
	char *dir;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

const char *
store_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case STORE_ENOENT:
		return "no store there";
	case STORE_EFORMAT:
		return "a store format this build does not read";
	case STORE_ELMDB:
		return "an LMDB error";
	case STORE_ERANGE:
		return "more than a record holds";
	default:
		if (code < 0 && !(code >= MDB_KEYEXIST && code <= MDB_LAST_ERRCODE))
			return strerror(-code);
		return mdb_strerror(code);	/* LMDB's codes and errno values */
	}
}

static int
event_cmp(const void *a, const void *b)
{
	const struct store_event *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->date > y->date) - (x->date < y->date);
}

int
store_history_normalize(struct store_event *ev, size_t n, uint16_t *ids,
    int32_t *dates)
{
	size_t k = 0;

	if (n > 1)
		qsort(ev, n, sizeof(*ev), event_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && ids[k - 1] == ev[i].id && dates[k - 1] == ev[i].date)
			continue;
		if (k == STORE_HIST_MAX)
			return STORE_ERANGE;
		ids[k] = ev[i].id;
		dates[k] = ev[i].date;
		k++;
	}
	return (int)k;
}

#define RES_FIXED 32	/* bytes before the ward */

size_t
store_resident_encode(const struct resident *r, const uint16_t *benefits,
    const uint16_t *flags, const uint16_t *hist_ids, const int32_t *hist_dates,
    uint8_t *buf, size_t cap)
{
	size_t need = RES_FIXED + 1 + r->ward_len + 2 + 2 * (size_t)r->nbenefits +
	    2 + 2 * (size_t)r->nflags + 2 + STORE_HIST_ENTRY * (size_t)r->nhistory;
	uint8_t *p = buf;

	if (need > cap)
		return 0;
	p[0] = STORE_RECORD_V1;
	p[1] = r->relationship;
	p[2] = r->sex;
	p[3] = r->insurance;
	p[4] = (uint8_t)((r->tax_exempt ? 1 : 0) | (r->single_parent ? 2 : 0));
	p[5] = r->disability_physical;
	p[6] = r->disability_intellectual;
	p[7] = r->disability_mental;
	put32(p + 8, (uint32_t)r->birth);
	put64(p + 12, (uint64_t)r->income);
	put64(p + 20, (uint64_t)r->dependents);
	put32(p + 28, 0);	/* reserved */
	p += RES_FIXED;
	*p++ = r->ward_len;
	if (r->ward_len > 0)	/* r->ward may be NULL then */
		memcpy(p, r->ward, r->ward_len);
	p += r->ward_len;
	put16(p, r->nbenefits);
	p += 2;
	for (unsigned i = 0; i < r->nbenefits; i++, p += 2)
		put16(p, benefits[i]);
	put16(p, r->nflags);
	p += 2;
	for (unsigned i = 0; i < r->nflags; i++, p += 2)
		put16(p, flags[i]);
	put16(p, r->nhistory);
	p += 2;
	for (unsigned i = 0; i < r->nhistory; i++, p += STORE_HIST_ENTRY) {
		put16(p, hist_ids[i]);
		put32(p + 2, (uint32_t)hist_dates[i]);
	}
	return (size_t)(p - buf);
}

int
store_resident_relationship(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	return len >= RES_FIXED + 1 && p[0] == STORE_RECORD_V1 ? p[1] : -1;
}

int
store_resident_decode(const void *vbuf, size_t len, struct resident *r)
{
	const uint8_t *p = vbuf, *end = p + len;
	size_t n;

	if (len < RES_FIXED + 1 || p[0] != STORE_RECORD_V1)
		return -1;
	r->relationship = p[1];
	r->sex = p[2];
	r->insurance = p[3];
	r->tax_exempt = p[4] & 1;
	r->single_parent = (p[4] >> 1) & 1;
	r->disability_physical = p[5];
	r->disability_intellectual = p[6];
	r->disability_mental = p[7];
	r->birth = store_i32(p + 8);
	r->income = (int64_t)get64(p + 12);
	r->dependents = (int64_t)get64(p + 20);
	p += RES_FIXED;
	r->ward_len = *p++;
	if ((size_t)(end - p) < (size_t)r->ward_len + 2)
		return -1;
	r->ward = p;
	p += r->ward_len;
	r->nbenefits = store_u16(p);
	p += 2;
	n = 2 * (size_t)r->nbenefits;
	if ((size_t)(end - p) < n + 2)
		return -1;
	r->benefits = p;
	p += n;
	r->nflags = store_u16(p);
	p += 2;
	n = 2 * (size_t)r->nflags;
	if ((size_t)(end - p) < n + 2)
		return -1;
	r->flags = p;
	p += n;
	r->nhistory = store_u16(p);
	p += 2;
	n = STORE_HIST_ENTRY * (size_t)r->nhistory;
	if ((size_t)(end - p) != n)
		return -1;
	r->history = p;
	return 0;
}

#define CONTACT_FIXED (8 + STORE_NONCE_LEN + 2)

size_t
store_contact_encode(const struct contact *c, uint8_t *buf, size_t cap)
{
	size_t need = CONTACT_FIXED + c->ct_len;

	if (need > cap)
		return 0;
	buf[0] = STORE_CONTACT_V1;
	buf[1] = c->language;
	buf[2] = c->consent;
	buf[3] = c->status;
	put32(buf + 4, c->import_no);
	if (c->nonce != NULL)
		memcpy(buf + 8, c->nonce, STORE_NONCE_LEN);
	else
		memset(buf + 8, 0, STORE_NONCE_LEN);
	put16(buf + 8 + STORE_NONCE_LEN, c->ct_len);
	if (c->ct_len)
		memcpy(buf + CONTACT_FIXED, c->ct, c->ct_len);
	return need;
}

int
store_contact_decode(const void *vbuf, size_t len, struct contact *c)
{
	const uint8_t *p = vbuf;

	if (len < CONTACT_FIXED || p[0] != STORE_CONTACT_V1)
		return -1;
	c->language = p[1];
	c->consent = p[2];
	c->status = p[3];
	c->import_no = (uint32_t)store_i32(p + 4);
	c->nonce = p + 8;
	c->ct_len = store_u16(p + 8 + STORE_NONCE_LEN);
	c->ct = p + CONTACT_FIXED;
	if (len != CONTACT_FIXED + (size_t)c->ct_len)
		return -1;
	return 0;
}

static int
open_dbs(struct store *s, int flags, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} dbs[] = {
		{ "residents", offsetof(struct store_dbi, residents) },
		{ "resident_hh", offsetof(struct store_dbi, resident_hh) },
		{ "contacts", offsetof(struct store_dbi, contacts) },
		{ "contact_keys", offsetof(struct store_dbi, contact_keys) },
		{ "vocab", offsetof(struct store_dbi, vocab) },
		{ "meta", offsetof(struct store_dbi, meta) },
	}, delivery[] = {
		{ "ledger", offsetof(struct store_dbi, ledger) },
		{ "outbox", offsetof(struct store_dbi, outbox) },
		{ "messages", offsetof(struct store_dbi, messages) },
	};
	MDB_txn *txn;
	uint8_t fmt[4];
	size_t len;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, (flags & (STORE_CREATE | STORE_WRITE)) ?
	    0 : MDB_RDONLY, &txn);
	if (rc != 0) {
		snprintf(err, errlen, "%s: mdb_txn_begin: %s", s->dir, mdb_strerror(rc));
		return STORE_ELMDB;
	}
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *d = (MDB_dbi *)((char *)&s->dbi + dbs[i].off);

		rc = mdb_dbi_open(txn, dbs[i].name,
		    (flags & STORE_CREATE) ? MDB_CREATE : 0, d);
		if (rc == MDB_NOTFOUND) {
			snprintf(err, errlen, "%s: not an oshirase store "
			    "(no '%s' database); import into it first", s->dir,
			    dbs[i].name);
			mdb_txn_abort(txn);
			return STORE_ENOENT;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s: mdb_dbi_open %s: %s", s->dir,
			    dbs[i].name, mdb_strerror(rc));
			mdb_txn_abort(txn);
			return STORE_ELMDB;
		}
	}
	for (size_t i = 0; i < sizeof(delivery) / sizeof(delivery[0]); i++) {
		MDB_dbi *d = (MDB_dbi *)((char *)&s->dbi + delivery[i].off);

		rc = mdb_dbi_open(txn, delivery[i].name,
		    (flags & (STORE_CREATE | STORE_WRITE)) ? MDB_CREATE : 0, d);
		if (rc == MDB_NOTFOUND && (flags & STORE_RDONLY))
			break;
		if (rc != 0) {
			snprintf(err, errlen, "%s: mdb_dbi_open %s: %s", s->dir,
			    delivery[i].name, mdb_strerror(rc));
			mdb_txn_abort(txn);
			return STORE_ELMDB;
		}
		s->dbi.delivery = i + 1 == sizeof(delivery) / sizeof(delivery[0]);
	}
	rc = store_meta_get(txn, &s->dbi, "format", fmt, sizeof(fmt), &len);
	if (rc == MDB_NOTFOUND && (flags & STORE_CREATE)) {
		put32(fmt, STORE_FORMAT);
		rc = store_meta_put(txn, &s->dbi, "format", fmt, 4);
		len = 4;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: store format: %s", s->dir, mdb_strerror(rc));
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? STORE_ENOENT : STORE_ELMDB;
	}
	if (len != 4 || (uint32_t)store_i32(fmt) != STORE_FORMAT) {
		snprintf(err, errlen, "%s: store format %u, this build reads "
		    "format %d", s->dir, len == 4 ? (unsigned)store_i32(fmt) : 0,
		    STORE_FORMAT);
		mdb_txn_abort(txn);
		return STORE_EFORMAT;
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		snprintf(err, errlen, "%s: commit: %s", s->dir, mdb_strerror(rc));
		return STORE_ELMDB;
	}
	return 0;
}

int
store_open(const char *dir, int flags, struct store **out, char *err,
    size_t errlen)
{
	struct store *s;
	struct stat st;
	int rc;

	*out = NULL;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || !(flags & STORE_CREATE)) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return STORE_ENOENT;
		}
		if (mkdir(dir, 0700) != 0) {
			snprintf(err, errlen, "%s: mkdir: %s", dir, strerror(errno));
			return STORE_ELMDB;
		}
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, STORE_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(s->env, 126);
	if (rc == 0)
		rc = mdb_env_open(s->env, dir,
		    MDB_NOTLS | ((flags & STORE_RDONLY) ? MDB_RDONLY : 0), 0600);
	if (rc != 0) {
		if (rc == ENOENT)
			snprintf(err, errlen, "%s: no store here (import "
			    "residents into it first)", dir);
		else
			snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
		store_close(s);
		return rc == ENOENT ? STORE_ENOENT : STORE_ELMDB;
	}
	rc = open_dbs(s, flags, err, errlen);
	if (rc != 0) {
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

MDB_env *
store_env(struct store *s)
{
	return s->env;
}

const struct store_dbi *
store_dbi(const struct store *s)
{
	return &s->dbi;
}

const char *
store_dir(const struct store *s)
{
	return s->dir;
}

/* An LMDB return as a negative code: its own codes are negative, its
 * errno values positive. */
static int
neg(int rc)
{
	return rc > 0 ? -rc : rc;
}

int
store_word_id(MDB_txn *txn, const struct store_dbi *dbi, int kind,
    const char *word, int assign, uint16_t *id)
{
	uint8_t kbuf[1 + 64], vbuf[2];
	size_t wlen = strlen(word);
	char seqname[32];
	MDB_val k, v;
	size_t len;
	int rc;

	if (wlen > 64)
		return -EINVAL;
	kbuf[0] = (uint8_t)kind;
	memcpy(kbuf + 1, word, wlen);
	k.mv_data = kbuf;
	k.mv_size = 1 + wlen;
	rc = mdb_get(txn, dbi->vocab, &k, &v);
	if (rc == 0) {
		if (v.mv_size != 2)
			return MDB_CORRUPTED;
		*id = store_u16(v.mv_data);
		return 0;
	}
	if (rc != MDB_NOTFOUND || !assign)
		return neg(rc);
	snprintf(seqname, sizeof(seqname), "vocab.next.%d", kind);
	rc = store_meta_get(txn, dbi, seqname, vbuf, sizeof(vbuf), &len);
	if (rc == MDB_NOTFOUND) {
		put16(vbuf, 0);
		len = 2;
	} else if (rc != 0)
		return neg(rc);
	if (len != 2)
		return MDB_CORRUPTED;
	*id = store_u16(vbuf);
	if (*id == 0xffff)
		return MDB_MAP_FULL;
	v.mv_data = vbuf;
	v.mv_size = 2;
	rc = mdb_put(txn, dbi->vocab, &k, &v, 0);
	if (rc != 0)
		return neg(rc);
	put16(vbuf, (uint16_t)(*id + 1));
	return neg(store_meta_put(txn, dbi, seqname, vbuf, 2));
}

int
store_meta_get(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    void *buf, size_t cap, size_t *len)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc = mdb_get(txn, dbi->meta, &k, &v);

	if (rc != 0)
		return rc;
	*len = v.mv_size;
	memcpy(buf, v.mv_data, v.mv_size < cap ? v.mv_size : cap);
	return 0;
}

int
store_meta_put(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    const void *val, size_t len)
{
	MDB_val k = { strlen(name), (void *)name }, v = { len, (void *)val };

	return mdb_put(txn, dbi->meta, &k, &v, 0);
}
