/* actions_pending.c - stand-ins for two interfaces other branches bring
 * (outlog_consent: the consent records; dispatch_transient and
 * dispatch_watch: jobs outside the outbox, the actions socket watched),
 * weak so that the real ones win once merged; this file goes then.
 * SPDX-License-Identifier: MIT
 */
#include "dispatch.h"
#include "log.h"
#include "outlog.h"

__attribute__((weak)) int
outlog_consent(struct outlog *l, const uint8_t *pseudo, uint8_t channel,
    uint8_t state, uint8_t consent, uint8_t source, uint64_t last_message,
    int64_t time)
{
	(void)l; (void)pseudo; (void)channel; (void)state; (void)consent;
	(void)source; (void)last_message; (void)time;
	return 0;
}

__attribute__((weak)) int
dispatch_transient(struct dispatch *d, const struct job *j)
{
	(void)d; (void)j;
	return -1;
}

__attribute__((weak)) int
dispatch_watch(struct dispatch *d, void *sock, void (*fn)(void *), void *arg)
{
	(void)d; (void)sock; (void)fn; (void)arg;
	return -1;
}
