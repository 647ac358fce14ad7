/* spawn.h - the sender processes of an `oshirased --once` run
 * SPDX-License-Identifier: MIT
 *
 * A run with --once needs nothing else running: it starts [senders]
 * workers oshirase-sender processes of its own, each with one thread,
 * over private ipc:// endpoints in a fresh directory (mode 0700) under
 * $RUNTIME_DIRECTORY, else $TMPDIR, else /tmp, and stops them (SIGTERM)
 * and reaps them at the end.  The program is oshirase-sender beside the
 * running oshirased (/proc/self/exe), or $OSHIRASE_SENDER.  A child gets
 * `-c CONFIG` when the queue has one, the endpoints, NOTIFY_SOCKET naming a
 * socket in that directory (it says READY=1 there once its thread runs),
 * no other file descriptor than standard input (/dev/null), output and
 * error, and SIGTERM when the queue dies (PR_SET_PDEATHSIG), so that a
 * killed run leaves no sender behind.
 *
 * The long-running service starts no senders: the sender units do.
 */
#ifndef OSHIRASE_SPAWN_H
#define OSHIRASE_SPAWN_H

#include <stddef.h>

#define SPAWN_READY_MS 10000	/* how long a sender may take to start */
#define SPAWN_STOP_MS 6000	/* SIGTERM to SIGKILL (senders linger 5 s) */

struct spawn;

/* The private directory and the endpoint names in it.  NULL with err set. */
struct spawn *spawn_new(char *err, size_t errlen);
const char *spawn_jobs(const struct spawn *sp);
const char *spawn_results(const struct spawn *sp);
/*
 * Start n senders (config: the queue's -c, or NULL): returns once each
 * runs the program, without waiting for it to be ready, so that the queue
 * opens its store meanwhile (and forks before it has opened LMDB or
 * started a thread).  0, or EXIT_UNAVAILABLE with err set (the program
 * missing or not runnable).
 */
int spawn_start(struct spawn *sp, unsigned n, const char *config, char *err,
    size_t errlen);
/*
 * Wait until each sender has said READY=1.  0, or an exit status with err
 * set: the status a sender exited with before it was ready when that is
 * one of sysexits.h (78: its config or secrets), else EXIT_UNAVAILABLE (a
 * sender killed, no READY=1 in SPAWN_READY_MS).
 */
int spawn_ready(struct spawn *sp, char *err, size_t errlen);

/* Senders still running; those that have ended are reaped and logged. */
unsigned spawn_alive(struct spawn *sp);
/* SIGTERM each sender, reap it (SIGKILL after SPAWN_STOP_MS), remove the
 * directory.  NULL is fine. */
void spawn_free(struct spawn *sp);

#endif
