/* seams.h - stand-ins the unit tests put in the library's seams (util.h)
 * SPDX-License-Identifier: MIT
 */
#ifndef OSHIRASE_TEST_SEAMS_H
#define OSHIRASE_TEST_SEAMS_H

#include <errno.h>
#include <pthread.h>

/* For util_thread_create: no thread starts, as when the process is at
 * its limit of threads. */
static inline int
no_thread(pthread_t *thread, const pthread_attr_t *attr,
    void *(*start)(void *), void *arg)
{
	(void)thread;
	(void)attr;
	(void)start;
	(void)arg;
	return EAGAIN;
}

#endif
