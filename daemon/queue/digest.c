/* digest.c - the dispatcher's first phase: new notices become messages
 * SPDX-License-Identifier: MIT
 *
 * One recipient's new notices of one run and channel become one digest,
 * stored before the first attempt (see dispatch.h).
 */
#include "dispatch_int.h"
#include "log.h"
#include "notice.h"
#include "render.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nref {
	uint32_t run;
	uint8_t recipient[STORE_PSEUDO_LEN];
	uint8_t channel, language, child;
	uint64_t id;
	char program[65];
};

static int
nref_cmp(const void *a, const void *b)
{
	const struct nref *x = a, *y = b;
	int c;

	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	if ((c = memcmp(x->recipient, y->recipient, STORE_PSEUDO_LEN)) != 0)
		return c;
	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	if ((c = strcmp(x->program, y->program)) != 0)
		return c;
	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

#define TEXT_CAP 16384

/* Texts of a digest: a header, then one paragraph per distinct (program,
 * child) in program order, split into message objects of at most 5,000
 * UTF-16 units.  Returns the number of notices of g[0..n) taken (the
 * rest go into another message), 0 if none renders. */
static size_t
build_texts(struct dispatch *d, const struct nref *g, size_t n,
    char texts[JOB_MAX_TEXTS][TEXT_CAP], size_t *lens, unsigned *ntexts,
    char *subject, size_t subcap, uint8_t *cancel)
{
	const struct config *cfg = d->cfg;
	int en = g[0].language == LANG_EN;
	char para[8192];
	const char *foot;
	size_t taken = 0, units, pu, fl, fu;	/* units: of texts[t] */
	unsigned t = 0;

	snprintf(subject, subcap, en ? "[%s] Programs you may qualify for" :
	    "【%s】あなたが使える制度のお知らせ", en ? cfg->city_en : cfg->city_ja);
	lens[0] = (size_t)snprintf(texts[0], TEXT_CAP, en ?
	    "[%s] Programs you may qualify for" :
	    "【%s】あなたが使える制度のお知らせ", en ? cfg->city_en : cfg->city_ja);
	units = util_utf16_units(texts[0], lens[0]);
	/* room for the LINE footer in whichever text is last */
	foot = g[0].channel == CHANNEL_LINE ? render_footer_line(g[0].language) : "";
	fl = strlen(foot);
	fu = fl ? 2 + util_utf16_units(foot, fl) : 0;
	for (size_t i = 0; i < n; i++) {
		int idx = rules_find(d->rs, g[i].program);
		int len;

		cancel[i] = 0;
		if (i > 0 && strcmp(g[i].program, g[i - 1].program) == 0 &&
		    g[i].child == g[i - 1].child) {
			taken = i + 1;	/* the same paragraph covers it */
			cancel[i] = cancel[i - 1];
			continue;
		}
		len = idx < 0 ? -1 : render_message(d->rs->p[idx], cfg, g[i].language,
		    g[i].child, para, sizeof(para));
		if (len < 0) {
			cancel[i] = 1;	/* a program no longer in the rules */
			taken = i + 1;
			continue;
		}
		pu = util_utf16_units(para, (size_t)len);
		if (units + 2 + pu + fu > JOB_LINE_TEXT_UNITS ||
		    lens[t] + 2 + (size_t)len + fu >= TEXT_CAP) {
			if (t + 1 == JOB_MAX_TEXTS)
				break;	/* the rest: another message */
			t++;
			lens[t] = 0;
			units = pu;
		} else {
			memcpy(texts[t] + lens[t], "\n\n", 2);
			lens[t] += 2;
			units += 2 + pu;
		}
		memcpy(texts[t] + lens[t], para, (size_t)len);
		lens[t] += (size_t)len;
		taken = i + 1;
	}
	if (fl > 0) {
		memcpy(texts[t] + lens[t], "\n\n", 2);
		memcpy(texts[t] + lens[t] + 2, foot, fl);
		lens[t] += 2 + fl;
	}
	*ntexts = t + 1;
	return taken;
}

/* One group's messages: written in txn, queued in the heap after commit. */
static int
make_messages(struct dispatch *d, MDB_txn *txn, const struct nref *g, size_t n,
    uint64_t *made, size_t *nmade)
{
	static char texts[JOB_MAX_TEXTS][TEXT_CAP];
	uint8_t *cancel = xmalloc(n);
	size_t off = 0;
	int rc = 0;

	while (off < n && rc == 0) {
		struct message m;
		size_t lens[JOB_MAX_TEXTS], take, cap;
		unsigned ntexts;
		char subject[512];
		uint8_t key[8], *buf;
		MDB_val kv, vv;

		take = build_texts(d, g + off, n - off, texts, lens, &ntexts,
		    subject, sizeof(subject), cancel + off);
		if (take == 0)
			take = 1;	/* cannot happen: a paragraph always fits */
		memset(&m, 0, sizeof(m));
		if ((rc = notice_next_seq(txn, d->dbi, "message.seq", &m.id)) != 0)
			break;
		m.channel = g[off].channel;
		m.language = g[off].language;
		memcpy(m.recipient, g[off].recipient, STORE_PSEUDO_LEN);
		util_uuid4(m.retry_key);
		m.run = g[off].run;
		m.ntexts = ntexts;
		for (unsigned i = 0; i < ntexts; i++) {
			m.text[i] = texts[i];
			m.text_len[i] = lens[i];
		}
		m.subject = subject;
		m.subject_len = strlen(subject);
		for (size_t i = off; i < off + take; i++) {
			struct notice no;
			uint8_t nk[8], nb[256];
			MDB_val nkv = { 8, nk }, nvv;

			notice_key(nk, g[i].id);
			if ((rc = mdb_get(txn, d->dbi->outbox, &nkv, &nvv)) != 0 ||
			    notice_decode(&nkv, &nvv, &no) != 0) {
				rc = rc ? rc : MDB_CORRUPTED;
				break;
			}
			if (cancel[i]) {
				rc = dispatch_cancel_notice(d, txn, &no, 0,
				    OUTCOME_CANCELLED, 0, 0, NULL, 0);
				if (rc != 0)
					break;
				continue;
			}
			if (m.n == MESSAGE_MAX_NOTICES) {
				take = i - off;
				break;
			}
			m.notices[m.n++] = g[i].id;
			no.state = NOTICE_DIGESTED;
			no.message = m.id;
			nvv.mv_data = nb;
			nvv.mv_size = notice_encode(&no, nb, sizeof(nb));
			if ((rc = mdb_put(txn, d->dbi->outbox, &nkv, &nvv, 0)) != 0)
				break;
		}
		if (rc == 0 && m.n > 0) {
			cap = 256 + 8 * m.n + JOB_MAX_TEXTS * TEXT_CAP;
			buf = xmalloc(cap);
			notice_key(key, m.id);
			kv.mv_data = key;
			kv.mv_size = 8;
			vv.mv_data = buf;
			vv.mv_size = message_encode(&m, buf, cap);
			rc = mdb_put(txn, d->dbi->messages, &kv, &vv, MDB_APPEND);
			free(buf);
			if (rc == 0) {
				made[(*nmade)++] = m.id;
				made[(*nmade)++] = m.channel;
			}
		}
		off += take;
	}
	free(cancel);
	return rc;
}

int
dispatch_digest(struct dispatch *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct nref *r = NULL;
	size_t n = 0, cap = 0, nmade = 0;
	uint64_t *made;
	int rc, how;

	if ((rc = mdb_txn_begin(store_env(d->s), NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, d->dbi->outbox, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct notice no;

		if (notice_decode(&k, &v, &no) != 0 || no.state != NOTICE_NEW)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			r = xrealloc(r, cap * sizeof(*r));
		}
		r[n].run = no.run;
		memcpy(r[n].recipient, no.recipient, STORE_PSEUDO_LEN);
		r[n].channel = no.channel;
		r[n].language = no.language;
		r[n].child = no.child;
		r[n].id = no.id;
		memcpy(r[n].program, no.program, sizeof(r[n].program));
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND) {
		free(r);
		return rc;
	}
	if (n == 0) {
		free(r);
		return 0;
	}
	qsort(r, n, sizeof(*r), nref_cmp);
	made = xmalloc(2 * (n + 1) * sizeof(*made));
	if ((rc = mdb_txn_begin(store_env(d->s), NULL, 0, &txn)) == 0)
		outlog_mark(d->log);
	for (size_t i = 0, inbatch = 0; rc == 0 && i < n;) {
		size_t j = i + 1;

		while (j < n && r[j].run == r[i].run && r[j].channel == r[i].channel &&
		    memcmp(r[j].recipient, r[i].recipient, STORE_PSEUDO_LEN) == 0)
			j++;
		rc = make_messages(d, txn, r + i, j - i, made, &nmade);
		inbatch += j - i;
		i = j;
		if (rc == 0 && (inbatch >= 20000 || i == n)) {
			/* the records written before the commit, taken back
			 * if it fails (outlog.h) */
			rc = outlog_commit(d->log, txn, 0, NULL, &how);
			txn = NULL;
			if (rc == 0) {
				for (size_t m = 0; m < nmade; m += 2)
					dispatch_heap_push(&d->ch[made[m + 1]].q, 0, made[m]);
				d->st.messages_made += nmade / 2;
				nmade = 0;
				inbatch = 0;
				if (i < n && (rc = mdb_txn_begin(store_env(d->s),
				    NULL, 0, &txn)) == 0)
					outlog_mark(d->log);
			}
		}
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
		if (outlog_rollback(d->log) != 0)
			log_warnx("%s", outlog_error(d->log));
	}
	free(made);
	free(r);
	return rc;
}
