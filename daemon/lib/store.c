/* store.c - the LMDB store (layout and record formats in store.h)
 * SPDX-License-Identifier: MIT
 */
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_MAP_SIZE ((size_t)64 << 30)	/* address space, not disk */
#define STORE_MAX_DBS 24

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
	case STORE_EBUSY:
		return "another daemon holds the store";
	case STORE_EDAMAGED:
		return "the store's data file is damaged";
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
#define CONTACT_FIXED_V2 (8 + 1 + 8 + STORE_NONCE_LEN + 2)

size_t
store_contact_encode(const struct contact *c, uint8_t *buf, size_t cap)
{
	size_t need = CONTACT_FIXED_V2 + c->ct_len;

	if (need > cap)
		return 0;
	buf[0] = STORE_CONTACT_V2;
	buf[1] = c->language;
	buf[2] = c->consent;
	buf[3] = c->status;
	put32(buf + 4, c->import_no);
	buf[8] = c->source == 0 ? CONTACT_SRC_IMPORT : c->source;
	put64(buf + 9, (uint64_t)c->changed);
	if (c->nonce != NULL)
		memcpy(buf + 17, c->nonce, STORE_NONCE_LEN);
	else
		memset(buf + 17, 0, STORE_NONCE_LEN);
	put16(buf + 17 + STORE_NONCE_LEN, c->ct_len);
	if (c->ct_len)
		memcpy(buf + CONTACT_FIXED_V2, c->ct, c->ct_len);
	return need;
}

int
store_contact_decode(const void *vbuf, size_t len, struct contact *c)
{
	const uint8_t *p = vbuf;
	size_t fixed, at;

	if (len < 1)
		return -1;
	if (p[0] == STORE_CONTACT_V1) {
		fixed = CONTACT_FIXED;
		at = 8;
		c->source = CONTACT_SRC_IMPORT;
		c->changed = 0;
	} else if (p[0] == STORE_CONTACT_V2) {
		fixed = CONTACT_FIXED_V2;
		at = 17;
		if (len < fixed)
			return -1;
		c->source = p[8];
		c->changed = (int64_t)get64(p + 9);
		if (c->source < CONTACT_SRC_IMPORT || c->source > CONTACT_SRC_MAX)
			return -1;
	} else
		return -1;
	if (len < fixed)
		return -1;
	c->language = p[1];
	c->consent = p[2];
	c->status = p[3];
	c->import_no = (uint32_t)store_i32(p + 4);
	c->nonce = p + at;
	c->ct_len = store_u16(p + at + STORE_NONCE_LEN);
	c->ct = p + fixed;
	if (len != fixed + (size_t)c->ct_len)
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
	}, actions[] = {
		{ "line_index", offsetof(struct store_dbi, line_index) },
		{ "events", offsetof(struct store_dbi, events) },
		{ "codes", offsetof(struct store_dbi, codes) },
		{ "consent_seen", offsetof(struct store_dbi, consent_seen) },
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
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		MDB_dbi *d = (MDB_dbi *)((char *)&s->dbi + actions[i].off);

		rc = mdb_dbi_open(txn, actions[i].name,
		    (flags & (STORE_CREATE | STORE_WRITE)) ? MDB_CREATE : 0, d);
		if (rc == MDB_NOTFOUND && (flags & STORE_RDONLY))
			break;
		if (rc != 0) {
			snprintf(err, errlen, "%s: mdb_dbi_open %s: %s", s->dir,
			    actions[i].name, mdb_strerror(rc));
			mdb_txn_abort(txn);
			return STORE_ELMDB;
		}
		s->dbi.actions = i + 1 == sizeof(actions) / sizeof(actions[0]);
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
	if ((rc = store_check_file(dir, err, errlen)) != 0)
		return rc == STORE_EDAMAGED ? rc : STORE_ELMDB;
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

/* ------------------------------------------------------------------ */
/*
 * The data file as LMDB 0.9 writes it (mdb.c, not its API: these are the
 * on-disk layout of MDB_DATA_VERSION 1, native byte order and word size).
 * A page begins with its number (pgno_t, a size_t), u16 pad, u16 flags,
 * u16 lower, u16 upper (an overflow page: u32 page count instead), then
 * u16 node offsets.  Pages 0 and 1 are the meta pages: after the header,
 * u32 magic, u32 version, a pointer, size_t map size, two MDB_db (u32
 * pad, u16 flags, u16 depth, three pgno_t page counts, size_t entries,
 * pgno_t root; the first, the free list's, holds the page size in its
 * pad), pgno_t last page used, size_t txnid.  A node: u16 lo, u16 hi,
 * u16 flags, u16 key size, the key, then the data; in a branch the child's
 * page number is lo | hi << 16 | flags << 32; in a leaf the data size is
 * lo | hi << 16, and F_BIGDATA puts the data on overflow pages whose
 * number the node holds.  The free list maps a txnid to an ID list:
 * pgno_t n, then n page numbers.
 */
#if MDB_VERSION_MAJOR != 0 || MDB_VERSION_MINOR != 9
#error "store_check_file reads LMDB 0.9's data file: check its layout"
#endif
#define LM_MAGIC 0xBEEFC0DEu
#define LM_VERSION 1u
#define LM_P_BRANCH 0x01
#define LM_P_LEAF 0x02
#define LM_P_OVERFLOW 0x04
#define LM_P_META 0x08
#define LM_F_BIGDATA 0x01
#define LM_WORD sizeof(size_t)
#define LM_PAGEHDR (LM_WORD + 8)
#define LM_DBSIZE (8 + 5 * LM_WORD)
#define LM_M_DBS (8 + sizeof(void *) + LM_WORD)
#define LM_M_LAST (LM_M_DBS + 2 * LM_DBSIZE)
#define LM_M_TXNID (LM_M_LAST + LM_WORD)
#define LM_MAXDEPTH 32

struct lm_meta {
	size_t psize, last, txnid, free_root;
	unsigned free_depth;
};

struct lm_check {
	int fd;
	size_t psize, have;	/* pages in the file */
	size_t last;		/* last page in use */
	uint8_t *missing;	/* bit per page in [have, last]: not yet seen free */
	uint8_t *page;		/* psize bytes per level */
	const char *why;
};

static uint16_t
lm_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static size_t
lm_word(const uint8_t *p)
{
	size_t v;

	memcpy(&v, p, LM_WORD);
	return v;
}

static int
lm_read(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* Meta page i (0 or 1) at off: 0, or a reason it is not one. */
static const char *
lm_meta_read(int fd, off_t off, struct lm_meta *m)
{
	uint8_t b[LM_PAGEHDR + LM_M_TXNID + LM_WORD];
	const uint8_t *mm = b + LM_PAGEHDR, *fdb = mm + LM_M_DBS;
	uint32_t magic, version;

	if (lm_read(fd, b, sizeof(b), off) != 1)
		return "a meta page is cut short";
	memcpy(&magic, mm, 4);
	memcpy(&version, mm + 4, 4);
	if (!(lm_u16(b + LM_WORD + 2) & LM_P_META) || magic != LM_MAGIC)
		return "a meta page is not LMDB's";
	if (version != LM_VERSION)
		return "a meta page of another LMDB data version";
	memcpy(&version, fdb, 4);	/* the free list's pad: the page size */
	m->psize = version;
	m->free_depth = lm_u16(fdb + 6);
	m->free_root = lm_word(fdb + 8 + 4 * LM_WORD);
	m->last = lm_word(mm + LM_M_LAST);
	m->txnid = lm_word(mm + LM_M_TXNID);
	if (m->psize < 512 || m->psize > 65536 || (m->psize & (m->psize - 1)))
		return "a meta page gives an impossible page size";
	return NULL;
}

/* Read page pg into buf (n pages): 0, or a reason. */
static const char *
lm_page(struct lm_check *c, size_t pg, size_t n, uint8_t *buf)
{
	if (pg >= c->have || n > c->have - pg)
		return "a page in use lies past the end of the file";
	if (lm_read(c->fd, buf, n * c->psize, (off_t)(pg * c->psize)) != 1)
		return "a page cannot be read";
	return NULL;
}

static void
lm_free_id(struct lm_check *c, size_t pg)
{
	if (pg >= c->have && pg <= c->last) {
		size_t i = pg - c->have;

		c->missing[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
}

/* The IDL of one free-list record (len bytes at p). */
static const char *
lm_idl(struct lm_check *c, const uint8_t *p, size_t len)
{
	size_t n;

	if (len < LM_WORD)
		return "a free-list record is cut short";
	n = lm_word(p);
	if (n > (len - LM_WORD) / LM_WORD)
		return "a free-list record is longer than its data";
	for (size_t i = 1; i <= n; i++)
		lm_free_id(c, lm_word(p + i * LM_WORD));
	return NULL;
}

static const char *
lm_walk(struct lm_check *c, size_t pg, unsigned depth)
{
	uint8_t *p = c->page + (size_t)depth * c->psize;
	const char *why;
	uint16_t flags, lower;
	size_t nkeys;

	if (depth >= LM_MAXDEPTH)
		return "the free list is deeper than LMDB makes one";
	if ((why = lm_page(c, pg, 1, p)) != NULL)
		return why;
	flags = lm_u16(p + LM_WORD + 2);
	lower = lm_u16(p + LM_WORD + 4);
	if (lm_word(p) != pg || lower < LM_PAGEHDR || lower > c->psize ||
	    !(flags & (LM_P_BRANCH | LM_P_LEAF)))
		return "a free-list page is not one";
	nkeys = (lower - LM_PAGEHDR) / 2;
	for (size_t i = 0; i < nkeys; i++) {
		size_t off = lm_u16(p + LM_PAGEHDR + 2 * i);
		const uint8_t *nd = p + off;
		size_t lo, hi, nf, ks;

		if (off < LM_PAGEHDR || off + 8 > c->psize)
			return "a free-list node lies outside its page";
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		hi = lm_u16(nd);
		lo = lm_u16(nd + 2);
#else
		lo = lm_u16(nd);
		hi = lm_u16(nd + 2);
#endif
		nf = lm_u16(nd + 4);
		ks = lm_u16(nd + 6);
		if (flags & LM_P_BRANCH) {
			size_t child = lo | hi << 16;

			if (LM_WORD > 4)
				child |= (size_t)nf << 16 << 16;
			if ((why = lm_walk(c, child, depth + 1)) != NULL)
				return why;
			continue;
		}
		if (off + 8 + ks > c->psize)
			return "a free-list node lies outside its page";
		if (nf & LM_F_BIGDATA) {
			size_t ov, npages, dlen = lo | hi << 16;
			uint8_t *big;

			if (off + 8 + ks + LM_WORD > c->psize)
				return "a free-list node lies outside its page";
			ov = lm_word(nd + 8 + ks);
			npages = (LM_PAGEHDR + dlen + c->psize - 1) / c->psize;
			big = malloc(npages * c->psize);
			if (big == NULL)
				return "out of memory";
			why = lm_page(c, ov, npages, big);
			if (why == NULL && !(lm_u16(big + LM_WORD + 2) & LM_P_OVERFLOW))
				why = "a free-list overflow page is not one";
			if (why == NULL)
				why = lm_idl(c, big + LM_PAGEHDR, dlen);
			free(big);
		} else {
			size_t dlen = lo | hi << 16;

			if (off + 8 + ks + dlen > c->psize)
				return "a free-list node lies outside its page";
			why = lm_idl(c, nd + 8 + ks, dlen);
		}
		if (why != NULL)
			return why;
	}
	return NULL;
}

/* The pages in use beyond the end of the file (have..last) must all be
 * free: LMDB does not write a page freed in the transaction that made it
 * (a "loose" page), so a sound file may end before its last page. */
static const char *
lm_tail_free(struct lm_check *c, const struct lm_meta *m)
{
	size_t n = c->last - c->have + 1;
	const char *why = NULL;

	if (m->free_root == (size_t)-1)
		return "pages in use lie past the end of the file";
	c->missing = malloc(n / 8 + 1);
	c->page = malloc(LM_MAXDEPTH * c->psize);
	if (c->missing == NULL || c->page == NULL)
		why = "out of memory";
	else {
		memset(c->missing, 0xff, n / 8 + 1);
		why = lm_walk(c, m->free_root, 0);
	}
	for (size_t i = 0; why == NULL && i < n; i++)
		if (c->missing[i / 8] & (1u << (i % 8)))
			why = "pages in use lie past the end of the file";
	free(c->missing);
	free(c->page);
	c->missing = c->page = NULL;
	return why;
}

/* One look at the file: NULL if sound, else why not; *txnid the newest
 * meta's transaction. */
static const char *
lm_check_once(int fd, size_t *txnid, off_t *size)
{
	struct lm_meta m[2];
	struct lm_check c;
	struct stat st;
	const char *why;
	int newest;

	if ((why = lm_meta_read(fd, 0, &m[0])) != NULL)
		return why;
	if ((why = lm_meta_read(fd, (off_t)m[0].psize, &m[1])) != NULL)
		return why;
	newest = m[0].txnid < m[1].txnid;
	*txnid = m[newest].txnid;
	/* the size after the metas: a writer extends the file first */
	if (fstat(fd, &st) != 0)
		return "cannot stat it";
	*size = st.st_size;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.psize = m[0].psize;
	c.have = (size_t)st.st_size / c.psize;
	c.last = m[0].last > m[1].last ? m[0].last : m[1].last;
	if (m[1].psize != c.psize)
		return "its meta pages disagree on the page size";
	if (c.last < 1 || c.last > ((size_t)1 << 40))
		return "a meta page gives an impossible last page";
	if (c.last < c.have)
		return NULL;
	return lm_tail_free(&c, &m[newest]);
}

int
store_check_file(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	const char *why = NULL;
	size_t txnid = 0, again;
	off_t size = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size == 0)
		why = "the file is empty (0 bytes), the store's data is gone";
	/* A writer committing meanwhile may move pages under the look:
	 * a failure counts only if the newest transaction stayed the same. */
	for (int i = 0; why == NULL && i < 3; i++) {
		struct lm_meta m;

		if ((why = lm_check_once(fd, &txnid, &size)) == NULL)
			break;
		if (lm_meta_read(fd, 0, &m) != NULL)
			break;
		again = m.txnid;
		if (lm_meta_read(fd, (off_t)m.psize, &m) == NULL && m.txnid > again)
			again = m.txnid;
		if (again == txnid)
			break;
		why = NULL;
	}
	close(fd);
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s: damaged (%lld bytes): %s; restore the store "
	    "from a backup (nothing was changed; a store is never made anew "
	    "over an existing data.mdb)", path, (long long)(size ? size :
	    st.st_size), why);
	return STORE_EDAMAGED;
}

int
store_lock_writer(const char *dir, int *fdp, long *holder, char *err,
    size_t errlen)
{
	char path[4096], pid[32];
	struct flock fl;
	int fd, n;

	*fdp = -1;
	*holder = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/daemon.lock", dir) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT) {
			snprintf(err, errlen, "%s: no store here (import residents "
			    "into it first)", dir);
			return STORE_ENOENT;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;

		if (e != EAGAIN && e != EACCES) {
			snprintf(err, errlen, "%s: fcntl: %s", path, strerror(e));
			close(fd);
			return -e;
		}
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			*holder = (long)fl.l_pid;
		close(fd);
		if (*holder > 0)
			snprintf(err, errlen, "%s: another oshirased (pid %ld) "
			    "runs on this store; one daemon at a time may write "
			    "it (lock: %s)", dir, *holder, path);
		else
			snprintf(err, errlen, "%s: another oshirased runs on "
			    "this store; one daemon at a time may write it "
			    "(lock: %s)", dir, path);
		return STORE_EBUSY;
	}
	/* for people: who holds it */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* the lock holds without it */
	}
	*fdp = fd;
	return 0;
}
