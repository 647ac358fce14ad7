/* fuzz_webhook.c - libFuzzer target: the gateway's webhook reader
 * (webhook.h) on arbitrary bodies
 * SPDX-License-Identifier: MIT
 *
 * Each input is read as a webhook body, as a text message and as
 * postback data.  What reads must be a batch of LINE actions whose fields
 * fit their frame: each encodes, and decodes back to the same action; a
 * refused body leaves an empty batch.  The signature check runs over the
 * input too (the first 44 bytes as the header), and must refuse it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_action(const struct action *a)
{
	uint8_t frame[ACT_FRAME_MAX];
	struct action back;
	size_t n;

	if (a->kind < ACT_LINE_FOLLOW || a->kind > ACT_LINE_TEXT)
		abort();	/* the webhook makes LINE actions only */
	if (a->user[0] != 'U' || strlen(a->user) != 33 || a->event[0] == '\0')
		abort();
	if (a->kind == ACT_LINE_CODE && strlen(a->code) != 12)
		abort();
	if ((n = action_encode(a, frame, sizeof(frame))) == 0)
		abort();	/* a field too long for its frame */
	if (action_decode(frame, n, &back) != 0 || back.kind != a->kind ||
	    back.time != a->time || strcmp(back.user, a->user) != 0 ||
	    strcmp(back.event, a->event) != 0 ||
	    strcmp(back.reply, a->reply) != 0 || strcmp(back.code, a->code) != 0 ||
	    back.consent != a->consent || back.mask != a->mask ||
	    back.flags != a->flags || back.language != a->language)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
	struct webhook_batch b;
	struct action a;
	char *s, sig[45];
	int rc;

	rc = webhook_parse(data, size, &b);
	if (rc != 0 && (b.act != NULL || b.n != 0))
		abort();
	if (rc == 0) {
		if (b.n + b.ignored + b.malformed != b.events ||
		    b.redelivered > b.n)
			abort();
		for (size_t i = 0; i < b.n; i++)
			check_action(&b.act[i]);
	}
	webhook_batch_free(&b);

	memset(&a, 0, sizeof(a));
	webhook_text((const char *)data, size, &a);
	if (a.kind != ACT_LINE_CODE && a.kind != ACT_LINE_TEXT &&
	    a.kind != ACT_LINE_SETTINGS && a.kind != ACT_LINE_STOP)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&a, 0, sizeof(a));
	if (webhook_postback(s, &a) == 0 && (a.kind < ACT_LINE_CONSENT ||
	    a.kind > ACT_LINE_STOP || (a.consent & ~a.mask) != 0))
		abort();
	free(s);
	if (size >= 44) {
		memcpy(sig, data, 44);
		sig[44] = '\0';
		if (webhook_verify(key, sizeof(key) - 1, sig, data + 44,
		    size - 44) == 0)
			abort();	/* a forged signature passed */
	}
	return 0;
}
