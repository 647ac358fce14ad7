/* consent.c - the latest consent record of each contact (consent.h)
 * SPDX-License-Identifier: MIT
 */
#include "consent.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN (SEALFMT_PSEUDO_LEN + 1)

struct slot {
	uint8_t key[KEY_LEN];	/* the pseudonym, then the channel */
	uint8_t used, state;
	int32_t bits;
	uint64_t message, record;
};

/* Open addressing, linear probing, a power-of-two size at most half
 * full.  Pseudonyms are keyed hashes already: their first bytes are
 * spread well enough to index with. */
struct consent_map {
	struct slot *slot;
	size_t cap, n;
};

struct consent_map *
consent_map_new(void)
{
	struct consent_map *m = xcalloc(1, sizeof(*m));

	m->cap = 1024;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	return m;
}

void
consent_map_free(struct consent_map *m)
{
	if (m == NULL)
		return;
	free(m->slot);
	free(m);
}

static void
make_key(const struct sealfmt_record *r, uint8_t key[KEY_LEN])
{
	memcpy(key, r->recipient, SEALFMT_PSEUDO_LEN);
	key[SEALFMT_PSEUDO_LEN] = r->channel;
}

static size_t
home(const uint8_t key[KEY_LEN], size_t cap)
{
	return (size_t)(util_le_get(key, 8) ^ key[SEALFMT_PSEUDO_LEN]) &
	    (cap - 1);
}

/* The slot of key: its own, or the empty one where it would go. */
static struct slot *
find(const struct slot *slot, size_t cap, const uint8_t key[KEY_LEN])
{
	size_t i = home(key, cap);

	while (slot[i].used && memcmp(slot[i].key, key, KEY_LEN) != 0)
		i = (i + 1) & (cap - 1);
	return (struct slot *)&slot[i];
}

static void
grow(struct consent_map *m)
{
	size_t cap = m->cap * 2;
	struct slot *s = xcalloc(cap, sizeof(*s));

	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].used)
			*find(s, cap, m->slot[i].key) = m->slot[i];
	free(m->slot);
	m->slot = s;
	m->cap = cap;
}

void
consent_note(struct consent_map *m, const struct sealfmt_record *r,
    uint64_t i)
{
	uint8_t key[KEY_LEN];
	struct slot *s;

	if (2 * (m->n + 1) > m->cap)
		grow(m);
	make_key(r, key);
	s = find(m->slot, m->cap, key);
	if (!s->used) {
		memcpy(s->key, key, KEY_LEN);
		s->used = 1;
		m->n++;
	}
	s->state = r->outcome;
	s->bits = r->status;
	s->message = r->message;
	s->record = i;
}

int
consent_breach(const struct consent_map *m, const struct sealfmt_record *r,
    uint64_t *by)
{
	uint8_t key[KEY_LEN];
	const struct slot *s;

	if (r->type != SEALFMT_OUTCOME || r->outcome != SEALFMT_SENT)
		return 0;
	make_key(r, key);
	s = find(m->slot, m->cap, key);
	if (!s->used || r->message <= s->message)
		return 0;
	if (s->state == SEALFMT_CONSENT_ACTIVE && (s->bits & 7) != 0)
		return 0;
	*by = s->record;
	return 1;
}

void
consent_categories(int32_t bits, char out[32])
{
	static const char *const name[] = { "health", "child", "welfare",
		"tax" };
	size_t len = 0;

	out[0] = '\0';
	for (int b = 0; b < 4; b++) {
		if (!(bits & (1 << b)))
			continue;
		len += (size_t)snprintf(out + len, 32 - len, "%s%s",
		    len ? "," : "", name[b]);
	}
	if (len == 0)
		snprintf(out, 32, "none");
}
