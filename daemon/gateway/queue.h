/* queue.h - the gateway's side of the action link: action frames to the
 * queue (oshirased) and its answers, over ZeroMQ
 * SPDX-License-Identifier: MIT
 *
 * Owns: one ZeroMQ context, and in each thread that calls gwq_call a
 * DEALER socket of its own (made on the first call, closed when the
 * thread ends) connected to [gateway] actions (ipc://); the request ids.
 * Never touches: the store, HTTP, the limits; it does not look inside
 * the actions it carries.
 *
 * Frames: one ZeroMQ frame per action (action.h "OSA1"), no delimiter;
 * an answer is the last frame of a message ("OSB1"; an empty delimiter
 * before it is skipped).  Sockets have ZMQ_IMMEDIATE: with no queue
 * connected nothing is kept to be sent later, and the call fails.
 */
#ifndef OSHIRASE_GWQUEUE_H
#define OSHIRASE_GWQUEUE_H

#include <stddef.h>

#include "action.h"

struct gwq;

/* A link to endpoint, waiting timeout_ms for answers.  0 and *out, or -1
 * with err set. */
int gwq_new(const char *endpoint, long timeout_ms, struct gwq **out,
    char *err, size_t errlen);
/* Send the n actions (their request fields are set here) and wait for
 * their answers, ans[i] for a[i], until every one came or the timeout
 * passed: an action with no answer gets ACT_UNAVAILABLE.  Returns the
 * number answered.  Thread-safe: each thread uses its own socket. */
size_t gwq_call(struct gwq *q, struct action *a, struct action_answer *ans,
    size_t n);
/* Close the calling thread's socket and the context: every other thread
 * that called gwq_call must have ended.  NULL is fine. */
void gwq_free(struct gwq *q);

#endif
