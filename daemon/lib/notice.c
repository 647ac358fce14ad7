/* notice.c - ledger, outbox and message records (format in notice.h)
 * SPDX-License-Identifier: MIT
 */
#include "notice.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
notice_key(uint8_t k[8], uint64_t id)
{
	for (unsigned i = 0; i < 8; i++)
		k[i] = (uint8_t)(id >> (56 - 8 * i));
}

uint64_t
notice_key_id(const MDB_val *key)
{
	const uint8_t *p = key->mv_data;
	uint64_t id = 0;

	if (key->mv_size != 8)
		return 0;
	for (unsigned i = 0; i < 8; i++)
		id = id << 8 | p[i];
	return id;
}

size_t
ledger_key(uint8_t *key, const uint8_t *recipient, const uint8_t *subject,
    uint32_t cycle, const char *program)
{
	size_t plen = strlen(program);

	memcpy(key, recipient, STORE_PSEUDO_LEN);
	memcpy(key + STORE_PSEUDO_LEN, subject, STORE_PSEUDO_LEN);
	be32(key + 2 * STORE_PSEUDO_LEN, cycle);
	memcpy(key + 2 * STORE_PSEUDO_LEN + 4, program, plen);
	return 2 * STORE_PSEUDO_LEN + 4 + plen;
}

void
ledger_value(uint8_t v[18], int state, uint64_t notice, int64_t time)
{
	v[0] = LEDGER_V1;
	v[1] = (uint8_t)state;
	util_le_put(v + 2, notice, 8);
	util_le_put(v + 10, (uint64_t)time, 8);
}

int
ledger_state(const MDB_val *v)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size != 18 || p[0] != LEDGER_V1)
		return -1;
	return p[1];
}

#define NOTICE_FIXED (1 + 1 + 4 + 4 + 1 + 1 + 1 + 4 + 2 * STORE_PSEUDO_LEN + 8 + 1)

size_t
notice_encode(const struct notice *n, uint8_t *buf, size_t cap)
{
	size_t plen = strlen(n->program);
	uint8_t *p = buf;

	if (plen > 64 || cap < NOTICE_FIXED + plen)
		return 0;
	*p++ = NOTICE_V1;
	*p++ = n->state;
	util_le_put(p, n->run, 4), p += 4;
	util_le_put(p, (uint32_t)n->date, 4), p += 4;
	*p++ = n->channel;
	*p++ = n->language;
	*p++ = n->child;
	util_le_put(p, n->cycle, 4), p += 4;
	memcpy(p, n->recipient, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	memcpy(p, n->subject, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	util_le_put(p, n->message, 8), p += 8;
	*p++ = (uint8_t)plen;
	memcpy(p, n->program, plen);
	return NOTICE_FIXED + plen;
}

int
notice_decode(const MDB_val *key, const MDB_val *val, struct notice *n)
{
	const uint8_t *p = val->mv_data;
	size_t plen;

	if (val->mv_size < NOTICE_FIXED || p[0] != NOTICE_V1)
		return -1;
	n->id = notice_key_id(key);
	p++;
	n->state = *p++;
	n->run = (uint32_t)util_le_get(p, 4), p += 4;
	n->date = (int32_t)(uint32_t)util_le_get(p, 4), p += 4;
	n->channel = *p++;
	n->language = *p++;
	n->child = *p++;
	n->cycle = (uint32_t)util_le_get(p, 4), p += 4;
	memcpy(n->recipient, p, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	memcpy(n->subject, p, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	n->message = util_le_get(p, 8), p += 8;
	plen = *p++;
	if (plen > 64 || val->mv_size != NOTICE_FIXED + plen)
		return -1;
	memcpy(n->program, p, plen);
	n->program[plen] = '\0';
	return 0;
}

#define MESSAGE_FIXED (4 + STORE_PSEUDO_LEN + 16 + 4 + 8 + 8 + 4 + 2)
#define MESSAGE_STARTED (4 + 8 + 8)	/* version 2 */

size_t
message_encode(const struct message *m, uint8_t *buf, size_t cap)
{
	size_t need = MESSAGE_FIXED + MESSAGE_STARTED + 8 * (size_t)m->n + 1 + 2 +
	    m->subject_len;
	uint8_t *p = buf;

	for (unsigned i = 0; i < m->ntexts; i++)
		need += 4 + m->text_len[i];
	if (need > cap || m->subject_len > 0xffff || m->ntexts > JOB_MAX_TEXTS)
		return 0;
	*p++ = MESSAGE_V2;
	*p++ = m->channel;
	*p++ = m->language;
	*p++ = m->flags;
	memcpy(p, m->recipient, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	memcpy(p, m->retry_key, 16), p += 16;
	util_le_put(p, m->attempts, 4), p += 4;
	util_le_put(p, (uint64_t)m->first_attempt, 8), p += 8;
	util_le_put(p, (uint64_t)m->next_attempt, 8), p += 8;
	util_le_put(p, m->run, 4), p += 4;
	util_le_put(p, m->started, 4), p += 4;
	util_le_put(p, m->started_token, 8), p += 8;
	util_le_put(p, (uint64_t)m->started_at, 8), p += 8;
	util_le_put(p, m->n, 2), p += 2;
	for (unsigned i = 0; i < m->n; i++)
		util_le_put(p, m->notices[i], 8), p += 8;
	*p++ = (uint8_t)m->ntexts;
	for (unsigned i = 0; i < m->ntexts; i++) {
		util_le_put(p, m->text_len[i], 4), p += 4;
		memcpy(p, m->text[i], m->text_len[i]), p += m->text_len[i];
	}
	util_le_put(p, m->subject_len, 2), p += 2;
	memcpy(p, m->subject, m->subject_len);
	return need;
}

int
message_decode(const MDB_val *key, const MDB_val *val, struct message *m)
{
	const uint8_t *p = val->mv_data, *end = p + val->mv_size;
	int v2 = val->mv_size > 0 && p[0] == MESSAGE_V2;

	if (val->mv_size < MESSAGE_FIXED + (v2 ? MESSAGE_STARTED : 0) ||
	    (p[0] != MESSAGE_V1 && p[0] != MESSAGE_V2))
		return -1;
	m->id = notice_key_id(key);
	p++;
	m->channel = *p++;
	m->language = *p++;
	m->flags = *p++;
	memcpy(m->recipient, p, STORE_PSEUDO_LEN), p += STORE_PSEUDO_LEN;
	memcpy(m->retry_key, p, 16), p += 16;
	m->attempts = (uint32_t)util_le_get(p, 4), p += 4;
	m->first_attempt = (int64_t)util_le_get(p, 8), p += 8;
	m->next_attempt = (int64_t)util_le_get(p, 8), p += 8;
	m->run = (uint32_t)util_le_get(p, 4), p += 4;
	m->started = 0;
	m->started_token = 0;
	m->started_at = 0;
	if (v2) {
		m->started = (uint32_t)util_le_get(p, 4), p += 4;
		m->started_token = util_le_get(p, 8), p += 8;
		m->started_at = (int64_t)util_le_get(p, 8), p += 8;
	}
	m->n = (uint16_t)util_le_get(p, 2), p += 2;
	if (m->n > MESSAGE_MAX_NOTICES || (size_t)(end - p) < 8u * m->n + 1)
		return -1;
	for (unsigned i = 0; i < m->n; i++)
		m->notices[i] = util_le_get(p, 8), p += 8;
	m->ntexts = *p++;
	if (m->ntexts > JOB_MAX_TEXTS)
		return -1;
	for (unsigned i = 0; i < m->ntexts; i++) {
		if (end - p < 4)
			return -1;
		m->text_len[i] = (size_t)util_le_get(p, 4), p += 4;
		if ((size_t)(end - p) < m->text_len[i])
			return -1;
		m->text[i] = (const char *)p;
		p += m->text_len[i];
	}
	if (end - p < 2)
		return -1;
	m->subject_len = (size_t)util_le_get(p, 2), p += 2;
	if ((size_t)(end - p) != m->subject_len)
		return -1;
	m->subject = (const char *)p;
	return 0;
}

int
notice_next_seq(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    uint64_t *out)
{
	uint8_t b[8];
	size_t len;
	uint64_t v = 0;
	int rc;

	rc = store_meta_get(txn, dbi, name, b, sizeof(b), &len);
	if (rc == 0 && len == 8)
		v = util_le_get(b, 8);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	v++;
	util_le_put(b, v, 8);
	*out = v;
	return store_meta_put(txn, dbi, name, b, 8);
}

