/* actions_pending.c - stand-ins for an interface another branch brings
 * (dispatch_transient and dispatch_watch: jobs outside the outbox, the
 * actions socket watched), weak so that the real ones win once merged;
 * this file goes then.
 * SPDX-License-Identifier: MIT
 */
#include "dispatch.h"
#include "log.h"

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
